/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bump allocator: many small allocations, all freed at once.  The JSON tree
 * of a parse and everything a compiled policy holds live in one each.
 */
#ifndef POSTURED_POLICY_ARENA_H
#define POSTURED_POLICY_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks;
};

/* Zeroed, suitably aligned memory owned by the arena; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t size);
/* n elements of size bytes each, with an overflow check. */
void *arena_alloc_array(struct arena *a, size_t n, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Frees everything the arena handed out; the arena can be used again. */
void arena_done(struct arena *a);

#endif
