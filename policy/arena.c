// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_CHUNK_SIZE (32 * 1024)
#define ARENA_ALIGN	 alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->chunks;
	size_t need;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN - sizeof(struct arena_chunk))
		return NULL;
	need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);

	if (!c || c->size - c->used < need) {
		size_t csize = need > ARENA_CHUNK_SIZE / 4 ? need : ARENA_CHUNK_SIZE;

		c = malloc(sizeof(struct arena_chunk) + csize);
		if (!c)
			return NULL;
		c->size = csize;
		c->used = 0;
		if (need == csize && a->chunks) {
			/* A large block of its own: keep filling the current chunk afterwards. */
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	return memset(p, 0, size);
}

void *arena_alloc_array(struct arena *a, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_done(struct arena *a)
{
	while (a->chunks) {
		struct arena_chunk *next = a->chunks->next;

		free(a->chunks);
		a->chunks = next;
	}
}
