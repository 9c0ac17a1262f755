// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GVDB, read defensively: see gvdb.h for the layout.  Lookups follow glib's
 * gvdb-reader.c (djb hash of the key, the bucket's run of items, each
 * item's key checked part by part through its parents) but skip the bloom
 * filter, which only saves time.  Loops are bounded by the item count and
 * the key length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "gvdb.h"

#define HEADER_SIZE	 24
#define HASH_HEADER_SIZE 8
#define ITEM_SIZE	 24
#define NO_PARENT	 0xffffffffu

static const uint8_t signature[8] = { 'G', 'V', 'a', 'r', 'i', 'a', 'n', 't' };
static const uint8_t signature_swapped[8] = { 'r', 'a', 'V', 'G', 't', 'n', 'a', 'i' };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int corrupt(struct gvdb_error *err, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int corrupt(struct gvdb_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->offset = offset;
		va_start(ap, fmt);
		vsnprintf(err->what, sizeof(err->what), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* The bytes a {start, end} pointer at p names, checked; NULL when they are not in the file. */
static const uint8_t *deref(const uint8_t *file, size_t file_size, const uint8_t *p, unsigned align,
			    size_t *ret_size)
{
	uint32_t start = le32(p), end = le32(p + 4);

	if (start > end || end > file_size || (start & (align - 1)) != 0)
		return NULL;
	*ret_size = end - start;
	return file + start;
}

/* A hash table at pointer p.  0 or -EBADMSG. */
static int table_at(const uint8_t *file, size_t file_size, bool swapped, const uint8_t *p,
		    struct gvdb_table *ret, struct gvdb_error *err)
{
	const uint8_t *h;
	size_t size;
	uint32_t n_bloom, n_buckets;

	h = deref(file, file_size, p, 4, &size);
	if (!h || size < HASH_HEADER_SIZE)
		return corrupt(err, (size_t)(p - file),
			       "a hash table pointer [%u, %u) outside the file's %zu bytes",
			       le32(p), le32(p + 4), file_size);
	size -= HASH_HEADER_SIZE;
	n_bloom = le32(h) & ((1u << 27) - 1);
	n_buckets = le32(h + 4);
	if ((size_t)n_bloom * 4 > size)
		return corrupt(err, (size_t)(h - file), "%u bloom filter words in %zu bytes",
			       n_bloom, size);
	size -= (size_t)n_bloom * 4;
	if ((size_t)n_buckets * 4 > size)
		return corrupt(err, (size_t)(h - file) + 4, "%u hash buckets in %zu bytes",
			       n_buckets, size);
	size -= (size_t)n_buckets * 4;
	*ret = (struct gvdb_table){
		.file = file,
		.file_size = file_size,
		.swapped = swapped,
		.buckets = h + HASH_HEADER_SIZE + (size_t)n_bloom * 4,
		.n_buckets = n_buckets,
		.n_items = (uint32_t)(size / ITEM_SIZE),
	};
	ret->items = ret->buckets + (size_t)n_buckets * 4;
	return 0;
}

int gvdb_open(const void *data, size_t size, struct gvdb_table *ret, struct gvdb_error *err)
{
	const uint8_t *file = data;
	bool swapped;

	if (size < HEADER_SIZE)
		return corrupt(err, 0, "%zu bytes, shorter than the %d-byte header", size,
			       HEADER_SIZE);
	if (memcmp(file, signature, 8) == 0)
		swapped = false;
	else if (memcmp(file, signature_swapped, 8) == 0)
		swapped = true;
	else
		return corrupt(err, 0, "no GVariant database signature");
	if (le32(file + 8) != 0)
		return corrupt(err, 8, "format version %u, not 0", le32(file + 8));
	return table_at(file, size, swapped, file + 16, ret, err);
}

static const uint8_t *item_at(const struct gvdb_table *t, uint32_t i)
{
	return t->items + (size_t)i * ITEM_SIZE;
}

static size_t offset_of(const struct gvdb_table *t, const uint8_t *p)
{
	return (size_t)(p - t->file);
}

/* Whether item's key, with its parents' before it, is key[0..len).  1, 0 or -EBADMSG. */
static int key_matches(const struct gvdb_table *t, const uint8_t *item, const char *key, size_t len,
		       struct gvdb_error *err)
{
	/* Every step eats at least one byte of the key, and visits an item. */
	for (uint32_t steps = 0; steps <= t->n_items; steps++) {
		uint32_t start = le32(item + 8), parent = le32(item + 4);
		uint16_t size = le16(item + 12);

		if ((size_t)start + size > t->file_size)
			return corrupt(err, offset_of(t, item) + 8,
				       "a key [%u, +%u) outside the file's %zu bytes", start, size,
				       t->file_size);
		if (size > len || memcmp(t->file + start, key + len - size, size) != 0)
			return 0;
		len -= size;
		if (len == 0 && parent == NO_PARENT)
			return 1;
		if (parent >= t->n_items || size == 0)
			return 0;
		item = item_at(t, parent);
	}
	return corrupt(err, offset_of(t, item), "a loop of parent items");
}

/* The item holding key with type, in *ret.  1 found, 0 not, -EBADMSG. */
static int lookup(const struct gvdb_table *t, const char *key, char type, const uint8_t **ret,
		  struct gvdb_error *err)
{
	uint32_t hash = 5381, bucket, i, last;
	size_t len;

	if (t->n_buckets == 0 || t->n_items == 0)
		return 0;
	for (len = 0; key[len]; len++)
		hash = hash * 33 + (uint32_t)(int32_t)(signed char)key[len];
	bucket = hash % t->n_buckets;
	i = le32(t->buckets + (size_t)bucket * 4);
	last = bucket == t->n_buckets - 1 ? t->n_items : le32(t->buckets + (size_t)bucket * 4 + 4);
	if (last > t->n_items)
		last = t->n_items;
	for (; i < last; i++) {
		const uint8_t *item = item_at(t, i);
		int r;

		if (le32(item) != hash)
			continue;
		r = key_matches(t, item, key, len, err);
		if (r < 0)
			return r;
		if (r > 0 && item[14] == (uint8_t)type) {
			*ret = item;
			return 1;
		}
	}
	return 0;
}

int gvdb_table_get_table(const struct gvdb_table *t, const char *key, struct gvdb_table *ret,
			 struct gvdb_error *err)
{
	const uint8_t *item;
	int r = lookup(t, key, 'H', &item, err);

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	return table_at(t->file, t->file_size, t->swapped, item + 16, ret, err);
}

int gvdb_table_has_value(const struct gvdb_table *t, const char *key, struct gvdb_error *err)
{
	const uint8_t *item;

	return lookup(t, key, 'v', &item, err);
}

static uint64_t get_uint(const uint8_t *p, size_t n, bool swapped)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[swapped ? n - 1 - i : i] << (8 * i);
	return v;
}

int gvdb_table_get_value(const struct gvdb_table *t, const char *key, struct gvdb_value *ret,
			 struct gvdb_error *err)
{
	const uint8_t *item, *v, *nul;
	size_t size, child, type_len;
	struct gvdb_value val = {};
	int r = lookup(t, key, 'v', &item, err);

	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	v = deref(t->file, t->file_size, item + 16, 8, &size);
	if (!v)
		return corrupt(err, offset_of(t, item) + 16,
			       "the value of %.40s is outside the file or misaligned", key);
	/* A variant: the child's bytes, a NUL, the child's type; the NUL is the last one. */
	nul = size ? memrchr(v, '\0', size) : NULL;
	if (!nul)
		return corrupt(err, offset_of(t, v), "the value of %.40s is not a variant", key);
	child = (size_t)(nul - v);
	type_len = size - child - 1;
	snprintf(val.type_string, sizeof(val.type_string), "%.*s", (int)MIN(type_len, 15),
		 (const char *)nul + 1);
	for (char *c = val.type_string; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			*c = '?';
	if (type_len == 1) {
		static const struct {
			char type;
			size_t size;
		} fixed[] = { { 'b', 1 }, { 'i', 4 }, { 'u', 4 }, { 'x', 8 }, { 't', 8 } };

		for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++) {
			uint64_t u;

			if (nul[1] != fixed[k].type)
				continue;
			if (child != fixed[k].size)
				return corrupt(err, offset_of(t, v),
					       "the %c value of %.40s is %zu bytes, not %zu",
					       fixed[k].type, key, child, fixed[k].size);
			u = get_uint(v, child, t->swapped);
			val.type = fixed[k].type;
			switch (val.type) {
			case 'b':
				if (u > 1)
					return corrupt(err, offset_of(t, v),
						       "the boolean %.40s is %u, not 0 or 1", key,
						       (unsigned)u);
				val.boolean = u;
				break;
			case 'i':
				val.number = (int32_t)(uint32_t)u;
				break;
			case 'u':
				val.number = (int64_t)u;
				break;
			case 'x':
				val.number = (int64_t)u;
				break;
			case 't':
				val.number = u > INT64_MAX ? INT64_MAX : (int64_t)u;
				break;
			}
		}
	}
	*ret = val;
	return 0;
}
