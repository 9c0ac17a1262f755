/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoding and validation of a POST /v1/reports body: gzip with a hard cap on
 * the inflated size, then NDJSON, one OCSF record a line.  Pure library code:
 * no I/O, no logging; it is also the fuzzing entry point for the collector's
 * ingest.
 */
#ifndef POSTURED_COLLECTOR_INGEST_H
#define POSTURED_COLLECTOR_INGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

/* Deepest nesting of objects and arrays a record may have. */
#define INGEST_MAX_DEPTH 64

struct ingest_error {
	unsigned line; /* 1-based; 0 when the error is not about one line */
	char reason[256];
};

struct ingest_batch {
	struct record *records;
	size_t n_records;
	size_t n_uid_mismatch; /* records whose device.uid differs from the identity */
};

/*
 * Inflates the gzip stream in[in_size] into a new buffer of at most max_out
 * bytes.  Returns 0 and hands the buffer (NUL-terminated, not counted in
 * *ret_size) to *ret_out; -EFBIG when the output would exceed max_out,
 * -EBADMSG for a damaged or truncated stream or data after it, -ENOMEM.
 */
int ingest_inflate(const void *in, size_t in_size, size_t max_out, char **ret_out,
		   size_t *ret_size);

/*
 * Validates every line of body[size] and, when all are good, fills *ret with
 * one record per non-empty line, pointing into body.  device_id is the
 * authenticated identity, only compared with the records' device.uid.
 * Returns 0; -EBADMSG with *error filled (line and reason) for the first bad
 * line; -ENOMEM.  ret is written only on success; free it with
 * ingest_batch_done().
 */
int ingest_parse(const char *body, size_t size, size_t max_line, const char *device_id,
		 struct ingest_batch *ret, struct ingest_error *error);

void ingest_batch_done(struct ingest_batch *batch);

/* Whether s is exactly 32 lowercase hex digits (device ids, boot ids). */
bool ingest_is_id128(const char *s, size_t len);

#endif
