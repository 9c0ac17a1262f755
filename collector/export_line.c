// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One exported line: the record as the device sent it, re-emitted token by
 * token (numbers as written, strings re-escaped, so a control character or
 * a NUL escaped in the input stays escaped and the line stays one line),
 * with the collector's own facts put in their OCSF places: metadata.uid,
 * metadata.logged_time and, when IT has said who it is, device.owner.name.
 * A device's own metadata.uid or logged_time is dropped, so that the
 * duplicate key a SIEM removes by is always the collector's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "export.h"
#include "html.h"

struct regen {
	yajl_gen g;
	const struct export_context *ctx;
	const struct record *rec;
	unsigned depth; /* of the container being written: 1 the record itself */
	unsigned skip; /* > 0: inside a value being dropped, its depth */
	bool skip_scalar; /* the next value, a scalar, is dropped */
	bool in_metadata, in_device; /* the record's own metadata or device object (depth 2) */
	bool key_pending_metadata, key_pending_device;
	bool device_owner_dropped;
	int error;
};

static bool regen_ok(struct regen *r, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok) {
		r->error = -ENOMEM;
		return false;
	}
	return true;
}

/* A scalar value: written, or dropped when it is the value of a dropped key. */
static bool regen_scalar(struct regen *r)
{
	r->key_pending_metadata = r->key_pending_device = false;
	if (r->skip_scalar) {
		r->skip_scalar = false;
		return false;
	}
	return r->skip == 0;
}

static int on_null(void *ctx)
{
	struct regen *r = ctx;

	return !regen_scalar(r) || regen_ok(r, yajl_gen_null(r->g));
}

static int on_boolean(void *ctx, int value)
{
	struct regen *r = ctx;

	return !regen_scalar(r) || regen_ok(r, yajl_gen_bool(r->g, value));
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct regen *r = ctx;

	return !regen_scalar(r) || regen_ok(r, yajl_gen_number(r->g, s, len));
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct regen *r = ctx;

	return !regen_scalar(r) || regen_ok(r, yajl_gen_string(r->g, s, len));
}

/* Whether s is valid UTF-8 (what IT typed, and stored, is not the device's to vouch for). */
static bool utf8_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = html_utf8_next(s + i, n - i, &cp);

		if (k == 1 && (unsigned char)s[i] >= 0x80)
			return false;
		i += k;
	}
	return true;
}

static bool key_is(const unsigned char *key, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(key, want, len) == 0;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct regen *r = ctx;
	bool drop = false;

	if (r->skip > 0)
		return 1;
	if (r->depth == 1) {
		r->key_pending_metadata = key_is(key, len, "metadata");
		r->key_pending_device = key_is(key, len, "device");
	} else if (r->depth == 2 && r->in_metadata) {
		drop = key_is(key, len, "uid") || key_is(key, len, "logged_time");
	} else if (r->depth == 2 && r->in_device && r->ctx->owner && r->ctx->owner[0] &&
		   utf8_valid(r->ctx->owner)) {
		drop = key_is(key, len, "owner");
	}
	if (drop) {
		/* The value follows: a scalar is skipped by flag, a container by depth. */
		r->skip_scalar = true;
		return 1;
	}
	return regen_ok(r, yajl_gen_string(r->g, key, len));
}

static int regen_open(struct regen *r, bool map)
{
	bool metadata = r->key_pending_metadata && map, device = r->key_pending_device && map;

	r->key_pending_metadata = r->key_pending_device = false;
	if (r->skip_scalar) {
		/* A dropped key's value is a container: drop it whole. */
		r->skip_scalar = false;
		r->skip = r->depth + 1;
	}
	r->depth++;
	if (r->skip > 0)
		return 1;
	if (r->depth == 2) {
		r->in_metadata = metadata;
		r->in_device = device;
	}
	return regen_ok(r, map ? yajl_gen_map_open(r->g) : yajl_gen_array_open(r->g));
}

static yajl_gen_status gen_key(yajl_gen g, const char *key)
{
	return yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

/* What the collector adds to the object closing now, before its '}'. */
static bool regen_additions(struct regen *r)
{
	const struct export_context *c = r->ctx;
	yajl_gen g = r->g;

	if (r->depth == 2 && r->in_metadata) {
		char uid[DEVICE_ID_LEN + BOOT_UID_LEN + 24];
		int n = snprintf(uid, sizeof(uid), "%s-%s-%" PRId64, c->device_id, r->rec->boot_uid,
				 r->rec->seq);

		return regen_ok(r, gen_key(g, "uid")) &&
		       regen_ok(r, yajl_gen_string(g, (const unsigned char *)uid, (size_t)n)) &&
		       regen_ok(r, gen_key(g, "logged_time")) &&
		       regen_ok(r, yajl_gen_integer(g, c->received_ms));
	}
	if (r->depth == 2 && r->in_device && c->owner && c->owner[0] && utf8_valid(c->owner))
		return regen_ok(r, gen_key(g, "owner")) && regen_ok(r, yajl_gen_map_open(g)) &&
		       regen_ok(r, gen_key(g, "name")) &&
		       regen_ok(r, yajl_gen_string(g, (const unsigned char *)c->owner,
						   strlen(c->owner))) &&
		       regen_ok(r, yajl_gen_map_close(g));
	return true;
}

static int regen_close(struct regen *r, bool map)
{
	if (r->skip > 0) {
		if (r->depth == r->skip)
			r->skip = 0;
		r->depth--;
		return 1;
	}
	if (map && !regen_additions(r))
		return 0;
	if (r->depth == 2)
		r->in_metadata = r->in_device = false;
	r->depth--;
	return regen_ok(r, map ? yajl_gen_map_close(r->g) : yajl_gen_array_close(r->g));
}

static int on_start_map(void *ctx)
{
	return regen_open(ctx, true);
}

static int on_end_map(void *ctx)
{
	return regen_close(ctx, true);
}

static int on_start_array(void *ctx)
{
	return regen_open(ctx, false);
}

static int on_end_array(void *ctx)
{
	return regen_close(ctx, false);
}

static const yajl_callbacks regen_callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

int export_line_append(yajl_gen g, const struct record *rec, const struct export_context *ctx)
{
	_cleanup_(yajl_freep) yajl_handle h = NULL;
	struct regen r = { .g = g, .ctx = ctx, .rec = rec };
	yajl_status st;

	h = yajl_alloc(&regen_callbacks, NULL, &r);
	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)rec->json, rec->json_size);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (r.error < 0)
		return r.error;
	/* The ingest has parsed the record already: a failure here is not the device's. */
	if (st != yajl_status_ok || r.depth != 0)
		return -EBADMSG;
	yajl_gen_reset(g, "\n");
	return 0;
}
