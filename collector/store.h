/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's store: SQLite in WAL mode with synchronous=FULL (a batch is
 * acknowledged only once it is on disk, so a power cut must not take back a
 * commit the agent has already dropped from its spool).  One writer, the
 * collector's event loop; other readers (fleet view, export) may open the file
 * read-only at the same time.
 */
#ifndef POSTURED_COLLECTOR_STORE_H
#define POSTURED_COLLECTOR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "basic/cleanup.h"
#include "record.h"

struct store;

/* Opens or creates the database at path and its schema.  Returns 0 or -errno. */
int store_open(const char *path, struct store **ret);
struct store *store_free(struct store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store *, store_free);

/*
 * Stores records[n] for device_id in one transaction, ignoring those already
 * stored (same device, boot_uid and seq), and records the contact in the
 * devices table.  now_ms is the realtime in milliseconds, address the peer's
 * address as text (may be NULL).  On success returns 0 and the highest seq
 * stored for the device in *ret_acked_seq; on failure nothing of the batch is
 * stored and -errno is returned (-ENOSPC when the disk is full).
 */
int store_batch(struct store *s, const char *device_id, const char *address, int64_t now_ms,
		const struct record *records, size_t n, int64_t *ret_acked_seq);

/* SQLite's message for the last failure, for the caller's log line. */
const char *store_last_error(struct store *s);

#endif
