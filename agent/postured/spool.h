/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The durable, bounded spool between the daemon and the sender: one SQLite
 * file (WAL, synchronous=FULL) holding the records not yet acknowledged by the
 * collector, each with its per-device sequence number.
 *
 * - A record is committed (fsynced) before spool_append() returns: FULL
 *   rather than NORMAL because a laptop loses power, and with NORMAL a power
 *   cut may undo commits the daemon already counted as taken.  The cost is
 *   one fsync per transaction; batch with spool_append_many().
 * - Sequence numbers are persisted in the file (meta table), so they survive
 *   restarts and reboots; the boot id is a field of each record.  A fresh
 *   spool starts its sequence at the realtime clock in microseconds, so a
 *   spool recreated after corruption never reuses numbers the collector
 *   already holds (it deduplicates by device, boot, seq and acknowledges the
 *   highest seq it has).
 * - Bounded by max_bytes of stored record lines (SQLite page overhead comes
 *   on top; freed pages are reused).  To make room the oldest events go
 *   first, then posture state records superseded by a newer one of the same
 *   kind, and only then the oldest of whatever is left; every drop is counted
 *   and reported by a loss record appended with the next records (see
 *   docs/events.md, "Envelope and delivery").
 * - A record that cannot be written because the disk is full (SQLITE_FULL)
 *   is counted as lost (in memory) and reported by the next loss record once
 *   a write succeeds again.
 *
 * - Acknowledged records are not deleted but moved, as they were sent, into
 *   a second table ("sent") with the time of the acknowledgement, so the
 *   owner can see exactly what left the device (posturectl sent).  They do
 *   not count against max_bytes; the table keeps at most SPOOL_SENT_MAX of
 *   the newest, and the daemon prunes it to the policy's
 *   sent_retention_days with spool_prune_sent().
 *
 * Two processes use the file: the daemon appends, the sender peeks and acks.
 * Every change runs in a BEGIN IMMEDIATE transaction; busy_timeout is 5 s.
 * Library code: returns -errno, never logs.
 */
#ifndef POSTURED_SPOOL_H
#define POSTURED_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_DEFAULT_PATH	"/var/lib/postured/spool.db"
#define SPOOL_DEFAULT_MAX_BYTES (64ULL * 1024 * 1024)
/* Acknowledged records kept for the owner to see; the oldest beyond go first. */
#define SPOOL_SENT_MAX 100000

/* spool_open() returns this when it moved a corrupt file aside and made a new one. */
#define SPOOL_OPEN_RECREATED 1

enum spool_class {
	SPOOL_EVENT = 0, /* one of a stream: dropped oldest-first when full */
	SPOOL_STATE = 1, /* posture state: the newest of each kind is kept */
};

struct spool;

struct spool_item {
	enum spool_class class;
	const char *kind; /* e.g. "process", "finding", "posture"; supersession key for state */
	const char *line; /* one JSON object, as format.c writes it */
};

struct spool_stats {
	uint64_t records; /* records in the spool */
	uint64_t bytes; /* their line bytes */
	uint64_t next_seq; /* the number the next record gets */
	uint64_t lost_total; /* records ever dropped or not written (persisted) */
	uint64_t lost_pending; /* losses not yet reported by a loss record */
};

/*
 * Opens (creating it 0600 when missing) the spool at path, bounded by
 * max_bytes (0: SPOOL_DEFAULT_MAX_BYTES).  A file that is not a database or
 * fails its integrity check is renamed to "<path>.corrupt-<unix time>" (its
 * -wal/-shm removed) and a new spool made; then SPOOL_OPEN_RECREATED is
 * returned so the caller can log it.  Returns 0 or SPOOL_OPEN_RECREATED and
 * the handle in *ret (free with spool_free()), or -errno.
 */
int spool_open(const char *path, uint64_t max_bytes, struct spool **ret);

/* Closes the handle; accepts NULL, returns NULL. */
struct spool *spool_free(struct spool *s);

/*
 * Adds one record: the line gets the envelope (envelope_add(): seq, boot id,
 * a time when missing) and the next sequence number, and is committed before
 * this returns.  Returns 0 and the record's seq in *ret_seq (may be NULL),
 * -EINVAL for a line that is not a JSON object, -E2BIG for one larger than
 * the whole spool, -ENOSPC when the disk is full (the record is counted as
 * lost), -EBUSY when the file stayed locked, -EIO otherwise.
 */
int spool_append(struct spool *s, enum spool_class class, const char *kind, const char *json_line,
		 uint64_t *ret_seq);

/* The same for n records in one transaction: all are committed or none. *ret_last_seq is the last. */
int spool_append_many(struct spool *s, const struct spool_item *items, size_t n,
		      uint64_t *ret_last_seq);

/*
 * Called for each record in sequence order; line is NUL-terminated, without
 * newline, valid only during the call.  Return 0 to go on, > 0 to stop, < 0 to
 * stop and make spool_peek() return that error.
 */
typedef int (*spool_peek_fn)(uint64_t seq, const char *line, size_t len, void *userdata);

/*
 * Hands the oldest records with seq > after_seq to cb, at most max_records of
 * them and at most max_bytes of line bytes (the first record always, however
 * large).  Returns the number of records handed over, or -errno.
 */
int spool_peek(struct spool *s, uint64_t after_seq, size_t max_records, size_t max_bytes,
	       spool_peek_fn cb, void *userdata);

/*
 * The collector has every record with seq <= seq: moves them, in one
 * transaction, from the spool into the sent table with the time now (ms since
 * the epoch) as their acknowledgement time, then trims that table to the
 * newest SPOOL_SENT_MAX.  Returns the number moved, or -errno.
 */
int spool_ack(struct spool *s, uint64_t seq);

/* Deletes the sent records acknowledged before older_than_ms.  Returns the number deleted, or -errno. */
int spool_prune_sent(struct spool *s, int64_t older_than_ms);

/*
 * Called for each sent record: its seq, when it was acknowledged (ms since the
 * epoch), its kind and the line as it was sent (NUL-terminated, valid only
 * during the call).  Return 0 to go on, > 0 to stop, < 0 to stop and make
 * spool_list_sent() return that error.
 */
typedef int (*spool_sent_fn)(uint64_t seq, int64_t acked_ms, const char *kind, const char *line,
			     size_t len, void *userdata);

/*
 * Hands the sent records acknowledged at or after since_ms with seq >
 * after_seq to cb, oldest (lowest seq) first, at most max of them.  Returns
 * the number handed over, or -errno.
 */
int spool_list_sent(struct spool *s, int64_t since_ms, uint64_t after_seq, size_t max,
		    spool_sent_fn cb, void *userdata);

/* Counters, read from the file (so another process's changes show).  Returns 0 or -errno. */
int spool_get_stats(struct spool *s, struct spool_stats *ret);

/* The boot id written into records (32 hex digits); spool_open() reads the kernel's. */
const char *spool_boot_uid(const struct spool *s);
int spool_set_boot_uid(struct spool *s, const char *boot_uid);
/* The device id loss records name (32 lower-case hex digits); -EINVAL otherwise. */
int spool_set_device_uid(struct spool *s, const char *uid);

/* For tests: caps the file at n pages so SQLITE_FULL can be provoked without a tmpfs. */
int spool_set_max_pages(struct spool *s, uint64_t n);

#endif
