/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small wrappers over yajl_gen for writing "key": value pairs, and yajl's cleanups. */
#ifndef POSTURED_JSON_H
#define POSTURED_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_gen, yajl_gen_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_handle, yajl_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);

static inline void json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

static inline void json_str(yajl_gen g, const char *key, const char *value)
{
	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)value, strlen(value));
}

static inline void json_int(yajl_gen g, const char *key, long long value)
{
	json_key(g, key);
	yajl_gen_integer(g, value);
}

/* yajl integers are signed 64-bit; larger values (inode numbers rarely) go as strings. */
static inline void json_u64(yajl_gen g, const char *key, uint64_t value)
{
	json_key(g, key);
	if (value <= INT64_MAX) {
		yajl_gen_integer(g, (long long)value);
	} else {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);

		yajl_gen_string(g, (const unsigned char *)buf, (size_t)n);
	}
}

static inline void json_bool(yajl_gen g, const char *key, int value)
{
	json_key(g, key);
	yajl_gen_bool(g, value);
}

static inline void json_open(yajl_gen g, const char *key)
{
	if (key)
		json_key(g, key);
	yajl_gen_map_open(g);
}

static inline void json_close(yajl_gen g)
{
	yajl_gen_map_close(g);
}

/*
 * Writes the tree v (NULL: null) to g, numbers in their own text, containers
 * at most depth_left levels below it.  Returns 0, or -EINVAL for a tree
 * deeper than that (what was written so far stays in g).
 */
int json_gen_tree(yajl_gen g, yajl_val v, int depth_left);

#endif
