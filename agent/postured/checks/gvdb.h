/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A reader for just what the screen lock check needs of GVDB, the file
 * format of dconf databases (~/.config/dconf/user, /etc/dconf/db/NAME): find
 * a key in a hash table, read a boolean or a 32-bit integer value, open a
 * nested table (".locks").  Every offset, length and index in the file is
 * checked against the bytes given before it is used; a file that does not
 * hold up is -EBADMSG with what and where, never a crash.
 *
 * The format (glib's gvdb/gvdb-format.h, as dconf writes it): a 24-byte
 * header {"GVariant" (or "raVGtnai" when the values are big-endian),
 * version 0, options, root pointer {start, end}}; a hash table is
 * {n_bloom_words (low 27 bits), n_buckets}, the bloom words, the buckets
 * (index of each bucket's first item), then 24-byte items {hash, parent,
 * key_start, key_size (16 bits), type ('v' value, 'H' table, 'L' list),
 * unused, value pointer {start, end}}.  A key is stored as the part after
 * its parent's key.  A value is a serialized GVariant of type "v": the
 * data, a NUL, the type string.  The table's own integers are
 * little-endian always.
 *
 * Library code: nothing here logs.
 */
#ifndef POSTURED_CHECKS_GVDB_H
#define POSTURED_CHECKS_GVDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gvdb_table {
	const uint8_t *file; /* the whole file, which the caller keeps */
	size_t file_size;
	bool swapped; /* values are big-endian */
	const uint8_t *buckets;
	uint32_t n_buckets;
	const uint8_t *items;
	uint32_t n_items;
};

struct gvdb_error {
	size_t offset; /* in the file */
	char what[96];
};

/* The root table of the file data[0..size).  0, or -EBADMSG with *err. */
int gvdb_open(const void *data, size_t size, struct gvdb_table *ret, struct gvdb_error *err);

/* The table stored under key ('H'), e.g. ".locks".  -ENOENT, -EBADMSG. */
int gvdb_table_get_table(const struct gvdb_table *t, const char *key, struct gvdb_table *ret,
			 struct gvdb_error *err);

/* Whether key has a value ('v') in t.  0 no, 1 yes, -EBADMSG. */
int gvdb_table_has_value(const struct gvdb_table *t, const char *key, struct gvdb_error *err);

/* A value stored under key, of GVariant type "b", "i", "u", "x" or "t". */
struct gvdb_value {
	char type; /* 'b', 'i', 'u', 'x', 't'; 0 for another type */
	char type_string[16]; /* the value's type as stored, cut */
	bool boolean;
	int64_t number; /* i, u, x; t when it fits */
};

/* Reads the value under key.  -ENOENT, -EBADMSG. */
int gvdb_table_get_value(const struct gvdb_table *t, const char *key, struct gvdb_value *ret,
			 struct gvdb_error *err);

#endif
