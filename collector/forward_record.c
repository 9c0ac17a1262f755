// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The few fields a forwarder needs of an exported record (forward.h), read
 * with yajl's event parser: no tree is built, and the parse stops as soon
 * as all of them are found.  Only top-level class_uid, severity_id and time,
 * and device.hostname, count; the same names deeper down are not them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "forward.h"

enum {
	FIELD_NONE,
	FIELD_CLASS,
	FIELD_SEVERITY,
	FIELD_TIME,
	FIELD_DEVICE,
	FIELD_HOSTNAME,
};

struct record_parse {
	struct forward_record *r;
	unsigned depth;
	int field; /* the field whose value comes next */
	bool in_device; /* inside the top-level device object */
	unsigned found; /* bit per field */
};

#define FOUND_ALL \
	((1u << FIELD_CLASS) | (1u << FIELD_SEVERITY) | (1u << FIELD_TIME) | (1u << FIELD_HOSTNAME))

static bool key_is(const unsigned char *key, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(key, want, len) == 0;
}

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
	struct record_parse *p = ctx;

	p->field = FIELD_NONE;
	if (p->depth == 1) {
		if (key_is(key, len, "class_uid"))
			p->field = FIELD_CLASS;
		else if (key_is(key, len, "severity_id"))
			p->field = FIELD_SEVERITY;
		else if (key_is(key, len, "time"))
			p->field = FIELD_TIME;
		else if (key_is(key, len, "device"))
			p->field = FIELD_DEVICE;
	} else if (p->depth == 2 && p->in_device && key_is(key, len, "hostname")) {
		p->field = FIELD_HOSTNAME;
	}
	return 1;
}

/* A field is taken once: a second one (the ingest refuses duplicates of some) is ignored. */
static int take_integer(struct record_parse *p, long long v)
{
	int field = p->field;

	p->field = FIELD_NONE;
	if (field == FIELD_NONE || field == FIELD_DEVICE || field == FIELD_HOSTNAME ||
	    (p->found & (1u << field)))
		return 1;
	p->found |= 1u << field;
	if (field == FIELD_CLASS)
		p->r->class_uid = v;
	else if (field == FIELD_SEVERITY)
		p->r->severity_id = v;
	else
		p->r->time_ms = v;
	return p->found != FOUND_ALL; /* all there: stop reading */
}

/* Numbers as written: one too large for an integer is valid JSON, and not one of these fields. */
static int on_number(void *ctx, const char *s, size_t len)
{
	struct record_parse *p = ctx;
	char buf[24], *end;
	long long v;

	if (p->field == FIELD_NONE || len >= sizeof(buf)) {
		p->field = FIELD_NONE;
		return 1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0') {
		p->field = FIELD_NONE;
		return 1;
	}
	return take_integer(p, v);
}

static int on_other(void *ctx)
{
	struct record_parse *p = ctx;

	p->field = FIELD_NONE;
	return 1;
}

static int on_boolean(void *ctx, int v)
{
	(void)v;
	return on_other(ctx);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct record_parse *p = ctx;

	if (p->field == FIELD_HOSTNAME && !(p->found & (1u << FIELD_HOSTNAME))) {
		len = MIN(len, sizeof(p->r->hostname_buf) - 1);
		memcpy(p->r->hostname_buf, s, len);
		p->r->hostname_buf[len] = '\0';
		/* A NUL inside (an escape) ends the name there, as C strings do. */
		p->r->hostname = p->r->hostname_buf;
		p->found |= 1u << FIELD_HOSTNAME;
		p->field = FIELD_NONE;
		return p->found != FOUND_ALL;
	}
	p->field = FIELD_NONE;
	return 1;
}

static int on_start_map(void *ctx)
{
	struct record_parse *p = ctx;

	p->depth++;
	if (p->depth == 2 && p->field == FIELD_DEVICE)
		p->in_device = true;
	p->field = FIELD_NONE;
	return 1;
}

static int on_end_map(void *ctx)
{
	struct record_parse *p = ctx;

	if (p->depth == 2)
		p->in_device = false;
	p->depth--;
	return 1;
}

static int on_start_array(void *ctx)
{
	struct record_parse *p = ctx;

	p->depth++;
	p->field = FIELD_NONE;
	return 1;
}

static int on_end_array(void *ctx)
{
	struct record_parse *p = ctx;

	p->depth--;
	return 1;
}

static const yajl_callbacks record_callbacks = {
	.yajl_null = on_other,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

int forward_record_parse(const char *json, size_t size, struct forward_record *ret)
{
	_cleanup_(yajl_freep) yajl_handle h = NULL;
	struct record_parse p = { .r = ret };
	yajl_status st;

	*ret = (struct forward_record){ .json = json, .json_size = size };
	h = yajl_alloc(&record_callbacks, NULL, &p);
	if (!h)
		return -ENOMEM;
	if (size == 0 || json[0] != '{')
		return -EBADMSG;
	st = yajl_parse(h, (const unsigned char *)json, size);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	/* Stopped early with all found, or read to the end. */
	return st == yajl_status_ok || st == yajl_status_client_canceled ? 0 : -EBADMSG;
}
