// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "ingest.h"

/* The OCSF classes a device may report (docs/collector.md). */
static const int64_t accepted_classes[] = {
	1007, /* Process Activity */
	4001, /* Network Activity */
	2003, /* Compliance Finding */
	5001, /* Device Inventory Info */
	6002, /* Application Lifecycle: the agent's own start, stop and probe changes */
};

bool ingest_is_id128(const char *s, size_t len)
{
	if (len != 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void inflate_endp(z_stream **zs)
{
	if (*zs)
		inflateEnd(*zs);
}

int ingest_inflate(const void *in, size_t in_size, size_t max_out, char **ret_out, size_t *ret_size)
{
	_cleanup_(inflate_endp) z_stream *zs_started = NULL;
	_cleanup_free_ char *out = NULL;
	size_t allocated = 0;
	z_stream zs = {};

	if (max_out == 0 || max_out > SIZE_MAX - 2 || in_size > UINT32_MAX)
		return -EINVAL;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) /* gzip wrapper only */
		return -ENOMEM;
	zs_started = &zs;

	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_size;
	for (;;) {
		int zr;

		/*
		 * Grow in steps, never past one byte over the cap (so exceeding it is
		 * seen without inflating more) plus the NUL: a bomb costs at most that.
		 */
		if (allocated - zs.total_out < 2) {
			size_t want = MIN(MAX(allocated * 2, (size_t)64 * 1024), max_out + 2);
			char *p;

			if (want <= allocated)
				return -EFBIG;
			p = realloc(out, want);
			if (!p)
				return -ENOMEM;
			out = p;
			allocated = want;
		}
		zs.next_out = (Bytef *)out + zs.total_out;
		zs.avail_out = (uInt)MIN(allocated - 1 - zs.total_out, (size_t)UINT32_MAX);

		zr = inflate(&zs, Z_NO_FLUSH);
		if (zs.total_out > max_out)
			return -EFBIG;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR)
			return -ENOMEM;
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return -EBADMSG; /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		/* All input taken, room left, no end: the stream was cut short. */
		if (zs.avail_in == 0 && zs.avail_out > 0)
			return -EBADMSG;
	}
	if (zs.avail_in != 0)
		return -EBADMSG; /* data after the gzip member */

	out[zs.total_out] = '\0';
	*ret_size = zs.total_out;
	*ret_out = TAKE_PTR(out);
	return 0;
}

static int fail_line(struct ingest_error *error, unsigned line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_line(struct ingest_error *error, unsigned line, const char *format, ...)
{
	va_list ap;

	error->line = line;
	va_start(ap, format);
	vsnprintf(error->reason, sizeof(error->reason), format, ap);
	va_end(ap);
	/* yajl's messages end in newlines; a reason is one line. */
	for (char *p = error->reason; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (size_t n = strlen(error->reason); n > 0 && error->reason[n - 1] == ' '; n--)
		error->reason[n - 1] = '\0';
	return -EBADMSG;
}

struct depth_state {
	unsigned depth;
	bool nul_key;
};

static int depth_push(void *ctx)
{
	struct depth_state *d = ctx;

	return ++d->depth <= INGEST_MAX_DEPTH;
}

static int depth_pop(void *ctx)
{
	struct depth_state *d = ctx;

	d->depth--;
	return 1;
}

/*
 * A key with a NUL in it (written \u0000) is one key to a parser that counts
 * bytes and another to one that stops at the NUL: consumers would disagree
 * about the record, so there is none.
 */
static int key_check(void *ctx, const unsigned char *key, size_t len)
{
	struct depth_state *d = ctx;

	d->nul_key = memchr(key, '\0', len) != NULL;
	return !d->nul_key;
}

static const yajl_callbacks depth_callbacks = {
	.yajl_map_key = key_check,
	.yajl_start_map = depth_push,
	.yajl_end_map = depth_pop,
	.yajl_start_array = depth_push,
	.yajl_end_array = depth_pop,
};

/*
 * Strict syntax check of one line before the tree parser sees it: no
 * comments (yajl_tree_parse would allow them), valid UTF-8, exactly one
 * value, bounded nesting (yajl_tree_free recurses).
 */
static int check_syntax(const char *line, size_t size, unsigned lineno, struct ingest_error *error)
{
	_cleanup_(yajl_freep) yajl_handle h = NULL;
	struct depth_state d = {};
	yajl_status st;

	h = yajl_alloc(&depth_callbacks, NULL, &d);
	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)line, size);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_client_canceled && d.nul_key)
		return fail_line(error, lineno, "a key has a NUL character (\\u0000) in it");
	if (st == yajl_status_client_canceled)
		return fail_line(error, lineno, "nested deeper than %d levels", INGEST_MAX_DEPTH);
	if (st != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
		int r = fail_line(error, lineno, "not valid JSON: %s",
				  msg ? (const char *)msg : "parse error");

		if (msg)
			yajl_free_error(h, msg);
		return r;
	}
	return 0;
}

/*
 * Looks key up in an object.  A key given twice is an error: consumers that
 * take the first and the last occurrence would disagree about the record.
 * Returns 1 and the value, 0 when absent, -EEXIST when duplicated.
 */
static int object_get(yajl_val obj, const char *key, yajl_val *ret)
{
	yajl_val found = NULL;

	for (size_t i = 0; i < obj->u.object.len; i++) {
		if (strcmp(obj->u.object.keys[i], key) != 0)
			continue;
		if (found)
			return -EEXIST;
		found = obj->u.object.values[i];
	}
	if (!found)
		return 0;
	*ret = found;
	return 1;
}

/* object_get() that turns absence and duplicates into a line error. */
static int get_field(yajl_val obj, const char *path, const char *key, unsigned lineno,
		     struct ingest_error *error, yajl_val *ret)
{
	yajl_val v = NULL;
	int r = object_get(obj, key, &v);

	if (r == -EEXIST)
		return fail_line(error, lineno, "%s appears more than once", path);
	if (r == 0)
		return fail_line(error, lineno, "%s is missing", path);
	*ret = v;
	return 0;
}

static int check_record(yajl_val root, unsigned lineno, const char *device_id, struct record *rec,
			bool *ret_mismatch, struct ingest_error *error)
{
	yajl_val v = NULL, metadata = NULL, postured = NULL, device = NULL;
	bool known = false;
	int r;

	if (!YAJL_IS_OBJECT(root))
		return fail_line(error, lineno, "a record must be a JSON object");

	r = get_field(root, "class_uid", "class_uid", lineno, error, &v);
	if (r < 0)
		return r;
	if (!YAJL_IS_INTEGER(v))
		return fail_line(error, lineno, "class_uid must be an integer");
	for (size_t i = 0; i < ELEMENTSOF(accepted_classes); i++)
		known = known || YAJL_GET_INTEGER(v) == accepted_classes[i];
	if (!known)
		return fail_line(error, lineno,
				 "class_uid %lld is not accepted (1007, 4001, 2003, 5001 or 6002)",
				 YAJL_GET_INTEGER(v));
	rec->class_uid = YAJL_GET_INTEGER(v);

	r = get_field(root, "time", "time", lineno, error, &v);
	if (r < 0)
		return r;
	if (!YAJL_IS_INTEGER(v))
		return fail_line(error, lineno, "time must be an integer");
	rec->time = YAJL_GET_INTEGER(v);

	r = get_field(root, "metadata", "metadata", lineno, error, &metadata);
	if (r < 0)
		return r;
	if (!YAJL_IS_OBJECT(metadata))
		return fail_line(error, lineno, "metadata must be an object");
	r = get_field(metadata, "metadata.version", "version", lineno, error, &v);
	if (r < 0)
		return r;
	if (!YAJL_IS_STRING(v))
		return fail_line(error, lineno, "metadata.version must be a string");

	r = get_field(root, "postured", "postured", lineno, error, &postured);
	if (r < 0)
		return r;
	if (!YAJL_IS_OBJECT(postured))
		return fail_line(error, lineno, "postured must be an object");
	r = get_field(postured, "postured.seq", "seq", lineno, error, &v);
	if (r < 0)
		return r;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0)
		return fail_line(error, lineno, "postured.seq must be a positive integer");
	rec->seq = YAJL_GET_INTEGER(v);
	r = get_field(postured, "postured.boot_uid", "boot_uid", lineno, error, &v);
	if (r < 0)
		return r;
	if (!YAJL_IS_STRING(v) || !ingest_is_id128(v->u.string, strlen(v->u.string)))
		return fail_line(error, lineno,
				 "postured.boot_uid must be a string of 32 lowercase hex digits");
	memcpy(rec->boot_uid, v->u.string, BOOT_UID_LEN + 1);

	/* device.uid is optional; the identity is the certificate's either way. */
	*ret_mismatch = false;
	r = object_get(root, "device", &device);
	if (r == -EEXIST)
		return fail_line(error, lineno, "device appears more than once");
	if (r > 0 && YAJL_IS_OBJECT(device)) {
		r = object_get(device, "uid", &v);
		if (r == -EEXIST)
			return fail_line(error, lineno, "device.uid appears more than once");
		if (r > 0)
			*ret_mismatch = !YAJL_IS_STRING(v) || strcmp(v->u.string, device_id) != 0;
	}
	return 0;
}

int ingest_parse(const char *body, size_t size, size_t max_line, const char *device_id,
		 struct ingest_batch *ret, struct ingest_error *error)
{
	_cleanup_free_ struct record *records = NULL;
	_cleanup_free_ char *scratch = NULL;
	size_t n_records = 0, allocated = 0, n_mismatch = 0, pos = 0;
	unsigned lineno = 0;
	int r;

	*error = (struct ingest_error){};
	while (pos < size) {
		const char *line = body + pos, *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		char errbuf[128] = "";
		bool mismatch;

		pos += len + (nl ? 1 : 0);
		if (lineno == UINT32_MAX)
			return fail_line(error, lineno, "too many lines");
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue; /* blank lines (a trailing newline, CRLF) carry nothing */
		if (len > max_line)
			return fail_line(error, lineno, "record longer than %zu bytes", max_line);

		r = check_syntax(line, len, lineno, error);
		if (r < 0)
			return r;

		if (!scratch) {
			scratch = malloc(max_line + 1);
			if (!scratch)
				return -ENOMEM;
		}
		memcpy(scratch, line, len);
		scratch[len] = '\0';
		root = yajl_tree_parse(scratch, errbuf, sizeof(errbuf));
		if (!root)
			return fail_line(error, lineno, "not valid JSON: %s", errbuf);

		if (n_records == allocated) {
			size_t want = MAX(allocated * 2, (size_t)64);
			struct record *p = reallocarray(records, want, sizeof(*records));

			if (!p)
				return -ENOMEM;
			records = p;
			allocated = want;
		}
		records[n_records] = (struct record){ .json = line, .json_size = len };
		r = check_record(root, lineno, device_id, &records[n_records], &mismatch, error);
		if (r < 0)
			return r;
		/*
		 * The store takes a device's records in sequence order (a record at
		 * or below the last stored is looked up as a resend), as the spool
		 * numbers and sends them: a batch out of order is a client's mistake.
		 */
		if (n_records > 0 && records[n_records].seq <= records[n_records - 1].seq)
			return fail_line(error, lineno,
					 "postured.seq %" PRId64
					 " is not above the line before's %" PRId64
					 ": a batch is in sequence order",
					 records[n_records].seq, records[n_records - 1].seq);
		n_records++;
		n_mismatch += mismatch;
	}

	*ret = (struct ingest_batch){
		.records = TAKE_PTR(records),
		.n_records = n_records,
		.n_uid_mismatch = n_mismatch,
	};
	return 0;
}

void ingest_batch_done(struct ingest_batch *batch)
{
	if (!batch)
		return;
	free(batch->records);
	batch->records = NULL;
	batch->n_records = 0;
	batch->n_uid_mismatch = 0;
}
