/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCSF export log for SOCs: every record the collector accepts, one JSON
 * object a line, appended and made durable before the transaction that
 * stores it commits.  A crash between the two can only repeat a record (the
 * device resends what was not acknowledged), never leave one out; the
 * collector's metadata.uid (device-boot-seq) tells a SIEM which lines are
 * repeats.
 *
 * The log is a directory of files named by the export number of their first
 * record, ocsf-NNNNNNNNNNNNNNNN.ndjson: the newest is written, the others are
 * closed, then compressed (.ndjson.gz) a slice at a time on the loop's idle
 * priority, and the oldest beyond the number kept are deleted.  A file is
 * closed when it reaches the size or the age limit.  Forwarders
 * (forward.h) read the directory with cursors of their own; this writer
 * never waits for them.
 */
#ifndef POSTURED_COLLECTOR_EXPORT_H
#define POSTURED_COLLECTOR_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <yajl/yajl_gen.h>

#include "basic/cleanup.h"
#include "record.h"

struct export_limits {
	uint64_t max_size; /* bytes a file may reach before it is closed */
	uint64_t max_age_sec; /* a file is closed this long after its first record (a restart: its last write) */
	unsigned keep; /* files kept, the one being written included */
};

#define EXPORT_DEFAULT_MAX_SIZE	   (64ULL << 20)
#define EXPORT_DEFAULT_MAX_AGE_SEC 3600
#define EXPORT_DEFAULT_KEEP	   48

/* What the collector knows of a record that its device cannot. */
struct export_context {
	const char *device_id; /* the certificate's */
	int64_t received_ms;
	const char *owner; /* the device's owner as IT set it; NULL or "": unknown */
};

/*
 * Writes rec (validated by the ingest) to g as one line ending in '\n', with
 * the collector's metadata.uid, metadata.logged_time and device.owner.name.
 * Returns 0; -ENOMEM; -EBADMSG when rec is not the JSON the ingest passed.
 */
int export_line_append(yajl_gen g, const struct record *rec, const struct export_context *ctx);

struct export;

struct export_counters {
	uint64_t next; /* the export number the next record will get (the first is 1) */
	uint64_t exported; /* records appended since start */
	uint64_t files; /* in the directory */
	uint64_t failed; /* appends that failed (the batch was refused, 503) */
};

/*
 * Opens (creating it, mode 0750) the export directory dir and the newest file
 * in it, cutting a line a crash left half-written, and starts the age timer
 * and the compression of closed files on e.  Returns 0 or -errno.
 */
int export_open(sd_event *e, const char *dir, const struct export_limits *limits,
		struct export **ret);
struct export *export_free(struct export *x);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct export *, export_free);

/*
 * Appends n records, data[size] (complete lines), to the log and syncs them
 * to disk.  Returns 0, or -errno (-ENOSPC when the disk is full): then the
 * batch is to be refused, and those of its lines that were written stay in
 * the log (repeats when its device sends it again); a half line is cut off
 * and the log goes on in a new file.
 */
int export_append(struct export *x, const char *data, size_t size, size_t n);

void export_get_counters(const struct export *x, struct export_counters *ret);
const char *export_dir(const struct export *x);

#endif
