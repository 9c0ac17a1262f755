/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A JSON document as a small tree in which every value and object key keeps
 * its line and column, built from yajl's event parser (yajl_tree keeps no
 * positions).  Comments are allowed.  Bounded by the POLICY_*_MAX limits.
 */
#ifndef POSTURED_POLICY_JSONTREE_H
#define POSTURED_POLICY_JSONTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum jtype {
	JSON_NULL,
	JSON_BOOL,
	JSON_INTEGER,
	JSON_REAL,
	JSON_STRING,
	JSON_OBJECT,
	JSON_ARRAY,
};

struct jnode;

struct jmember {
	const char *key; /* NULL in arrays */
	unsigned line, column;
	struct jnode *value;
};

struct jnode {
	enum jtype type;
	unsigned line, column;
	union {
		bool boolean;
		struct {
			int64_t value;
			bool overflow; /* too large for int64_t; value is then INT64_MAX or MIN */
		} integer;
		double real;
		struct {
			const char *str; /* NUL-terminated, and without inner NULs */
			size_t len;
		} string;
		struct {
			struct jmember *members; /* objects: key and value; arrays: values */
			size_t n;
		} children;
	};
};

#define JSONTREE_POINTER_MAX 512

struct jsontree_error {
	unsigned line, column;
	char pointer[JSONTREE_POINTER_MAX]; /* where in the document the parser was */
	char message[160];
};

/*
 * Parses text[0..size) into a tree allocated from arena.  Returns 0 and the
 * root in *ret; -EINVAL for text that is not JSON or is over a limit, with
 * *err saying what and where; -ENOMEM.
 */
int jsontree_parse(const char *text, size_t size, struct arena *arena, struct jsontree_error *err,
		   struct jnode **ret);

/* The first member of object o named key, or NULL. */
const struct jmember *jsontree_member(const struct jnode *o, const char *key);

/*
 * Appends "/" and segment, escaped as RFC 6901 asks ("~" as "~0", "/" as
 * "~1"; control characters, which a terminal would act on, as "\\u00XX"), to
 * the pointer buf of length *len.  Cuts it with "..." when it does not fit.
 */
void jsontree_pointer_append(char *buf, size_t size, size_t *len, const char *segment);
void jsontree_pointer_append_index(char *buf, size_t size, size_t *len, size_t index);

/* "a string", "an object"...: for messages saying what was found. */
const char *jsontree_type_name(const struct jnode *n);

#endif
