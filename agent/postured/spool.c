// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "basic/sqlite-util.h"
#include "basic/time-util.h"
#include "envelope.h"
#include "format_loss.h"
#include "spool.h"

#define SPOOL_SCHEMA_VERSION 1
/* Room kept for the loss record that goes in with the records that caused it. */
#define SPOOL_LOSS_RESERVE 1024

struct spool {
	sqlite3 *db;
	uint64_t max_bytes;
	uint64_t lost_pending; /* not written for a full disk, not yet reported */
	char boot_uid[ENVELOPE_BOOT_UID_LEN + 1];
	char device_uid[33]; /* for loss records; "" when not set */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct spool *, spool_free);

static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite_errno(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **ret)
{
	return sqlite_errno(sqlite3_prepare_v2(db, sql, -1, ret, NULL));
}

/* Runs a statement that returns no rows and resets it for the next use. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EIO : sqlite_errno(rc);
}

/* The work of one transaction: >= 0 commits (and is returned), -errno rolls back. */
typedef int (*spool_txn_fn)(sqlite3 *db, void *userdata);

/*
 * Every transaction on the file has this one shape, collector/store.c's:
 * begin, fn does all the work, then commit when it succeeded, and roll back
 * when it or the COMMIT failed (unless SQLite rolled back already, as it may
 * for SQLITE_FULL).  A change takes the write lock at BEGIN (immediate): a
 * deferred transaction that reads, then writes, fails with SQLITE_BUSY at
 * once when the other process wrote in between, where busy_timeout would not
 * wait.  A read (immediate false) sees one consistent snapshot of the file.
 * Returns what fn returned, or -errno.
 */
static int spool_transaction(sqlite3 *db, bool immediate, spool_txn_fn fn, void *userdata)
{
	int r, k;

	r = exec_sql(db, immediate ? "BEGIN IMMEDIATE" : "BEGIN");
	if (r < 0)
		return r;
	r = fn(db, userdata);
	if (r >= 0) {
		k = exec_sql(db, "COMMIT");
		if (k >= 0)
			return r;
		r = k;
	}
	if (!sqlite3_get_autocommit(db))
		(void)exec_sql(db, "ROLLBACK");
	return r;
}

static int meta_get(sqlite3 *db, const char *key, uint64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db, "SELECT value FROM meta WHERE key = ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*ret = 0;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

static int meta_set(sqlite3 *db, const char *key, uint64_t value)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)value);
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

static int create_schema(sqlite3 *db, void *userdata)
{
	uint64_t next_seq;
	int r;

	r = exec_sql(db, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL,"
			 " value INTEGER NOT NULL) WITHOUT ROWID;"
			 "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY,"
			 " class INTEGER NOT NULL, kind TEXT NOT NULL, bytes INTEGER NOT NULL,"
			 " line TEXT NOT NULL);"
			 "CREATE INDEX IF NOT EXISTS records_class ON records (class, seq);"
			 "CREATE INDEX IF NOT EXISTS records_kind ON records (class, kind, seq);"
			 "CREATE TABLE IF NOT EXISTS sent (seq INTEGER PRIMARY KEY,"
			 " kind TEXT NOT NULL, acked INTEGER NOT NULL, line TEXT NOT NULL);"
			 "CREATE INDEX IF NOT EXISTS sent_acked ON sent (acked);"
			 "PRAGMA user_version = 1;");
	if (r < 0)
		return r;
	r = meta_get(db, "next_seq", &next_seq);
	if (r < 0)
		return r;
	/* See spool.h: a new spool never reuses a number an older one may have sent. */
	if (next_seq == 0)
		r = meta_set(db, "next_seq", MAX(now_usec(CLOCK_REALTIME), (usec_t)1));
	return r;
}

/* Returns 0 when the file holds a healthy spool (made here if empty), -EUCLEAN when corrupt. */
static int open_db(const char *path, sqlite3 **ret)
{
	_cleanup_(sqlite3_close_v2p) sqlite3 *db = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	_cleanup_close_ int fd = -EBADF;
	uint64_t version = 0;
	int r, rc;

	/* Create it owner-only ourselves: SQLite would honour the umask. -wal/-shm copy this mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0)
		return -errno;

	rc = sqlite3_open_v2(
		path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return rc == SQLITE_NOMEM ? -ENOMEM : sqlite_errno(rc);
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, 5000);

	r = exec_sql(db, "PRAGMA journal_mode = WAL");
	if (r < 0)
		return r;
	r = exec_sql(db, "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 4194304;"
			 "PRAGMA foreign_keys = OFF");
	if (r < 0)
		return r;

	r = prepare(db, "PRAGMA quick_check", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		return -EUCLEAN;
	st = (sqlite3_finalize(st), NULL);

	r = prepare(db, "PRAGMA user_version", &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = (uint64_t)sqlite3_column_int64(st, 0);
	st = (sqlite3_finalize(st), NULL);
	if (version > SPOOL_SCHEMA_VERSION)
		return -EPROTONOSUPPORT;

	r = spool_transaction(db, true, create_schema, NULL);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(db);
	return 0;
}

static int move_aside(const char *path)
{
	char aside[PATH_MAX], extra[PATH_MAX];
	long long t = (long long)(now_usec(CLOCK_REALTIME) / USEC_PER_SEC);

	if ((size_t)snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, t) >= sizeof(aside))
		return -ENAMETOOLONG;
	if (rename(path, aside) < 0)
		return -errno;
	/* A WAL belonging to the old file must not be replayed into the new one. */
	snprintf(extra, sizeof(extra), "%s-wal", path);
	(void)unlink(extra);
	snprintf(extra, sizeof(extra), "%s-shm", path);
	(void)unlink(extra);
	return 0;
}

int spool_open(const char *path, uint64_t max_bytes, struct spool **ret)
{
	_cleanup_(spool_freep) struct spool *s = NULL;
	bool recreated = false;
	int r;

	if (!path || !ret)
		return -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->max_bytes = max_bytes ? max_bytes : SPOOL_DEFAULT_MAX_BYTES;
	if (envelope_boot_uid(s->boot_uid) < 0)
		memset(s->boot_uid, '0', ENVELOPE_BOOT_UID_LEN);

	r = open_db(path, &s->db);
	if (r == -EUCLEAN) {
		r = move_aside(path);
		if (r < 0)
			return r;
		recreated = true;
		r = open_db(path, &s->db);
	}
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return recreated ? SPOOL_OPEN_RECREATED : 0;
}

struct spool *spool_free(struct spool *s)
{
	if (!s)
		return NULL;
	sqlite3_close_v2(s->db);
	free(s);
	return NULL;
}

const char *spool_boot_uid(const struct spool *s)
{
	return s->boot_uid;
}

int spool_set_boot_uid(struct spool *s, const char *boot_uid)
{
	if (!boot_uid || strlen(boot_uid) != ENVELOPE_BOOT_UID_LEN ||
	    strspn(boot_uid, "0123456789abcdef") != ENVELOPE_BOOT_UID_LEN)
		return -EINVAL;
	memcpy(s->boot_uid, boot_uid, sizeof(s->boot_uid));
	return 0;
}

int spool_set_device_uid(struct spool *s, const char *uid)
{
	if (!uid || strlen(uid) != 32 || strspn(uid, "0123456789abcdef") != 32)
		return -EINVAL;
	memcpy(s->device_uid, uid, 33);
	return 0;
}

int spool_set_max_pages(struct spool *s, uint64_t n)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %" PRIu64, n);
	return exec_sql(s->db, sql);
}

/* The candidates to drop, best first: see spool.h. */
static const char *const evict_sql[] = {
	"SELECT seq, bytes FROM records WHERE class = 0 ORDER BY seq LIMIT 1",
	("SELECT r.seq, r.bytes FROM records r WHERE r.class = 1 AND EXISTS (SELECT 1 FROM records n"
	 " WHERE n.class = 1 AND n.kind = r.kind AND n.seq > r.seq) ORDER BY r.seq LIMIT 1"),
	"SELECT seq, bytes FROM records ORDER BY seq LIMIT 1",
};

/* The records make_room() deleted: how many, and the span of their numbers. */
struct drops {
	uint64_t count, first_seq, last_seq;
};

/* The counts of the last loss record written, kept in meta so the next one folds them in. */
struct loss {
	uint64_t seq; /* 0: no loss record yet */
	uint64_t dropped, unwritten, first_seq, last_seq;
};

struct enveloped {
	char *line;
	size_t len;
};

/* One append transaction: the items, their enveloped lines, and the counters it moves. */
struct append {
	struct spool *s;
	const struct spool_item *items;
	struct enveloped *env; /* items[i].line with its envelope, numbered from next_seq */
	size_t n;
	uint64_t unwritten; /* s->lost_pending as the transaction began */
	int64_t time_ms;
	sqlite3_stmt *ins; /* INSERT INTO records; append_txn() owns it */
	uint64_t next_seq, bytes, lost_total; /* meta's counters, written back at the end */
	struct drops drops;
};

/* Envelopes every item again, numbered from a->next_seq on. */
static int envelope_items(struct append *a)
{
	for (size_t i = 0; i < a->n; i++) {
		int r;

		a->env[i].line = mfree(a->env[i].line);
		r = envelope_add(a->items[i].line, strlen(a->items[i].line), a->next_seq + i,
				 a->s->boot_uid, a->time_ms, &a->env[i].line, &a->env[i].len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Deletes records until a->bytes + need fits in max_bytes, counting them in a->drops. */
static int make_room(struct append *a, uint64_t need)
{
	struct spool *s = a->s;

	for (size_t i = 0; i < ELEMENTSOF(evict_sql) && a->bytes + need > s->max_bytes; i++) {
		_cleanup_(sqlite3_finalizep) sqlite3_stmt *pick = NULL, *del = NULL;
		int r;

		r = prepare(s->db, evict_sql[i], &pick);
		if (r < 0)
			return r;
		r = prepare(s->db, "DELETE FROM records WHERE seq = ?", &del);
		if (r < 0)
			return r;
		while (a->bytes + need > s->max_bytes) {
			uint64_t seq, b;
			int rc = sqlite3_step(pick);

			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				return sqlite_errno(rc);
			seq = (uint64_t)sqlite3_column_int64(pick, 0);
			b = (uint64_t)sqlite3_column_int64(pick, 1);
			sqlite3_reset(pick);

			sqlite3_bind_int64(del, 1, (sqlite3_int64)seq);
			r = step_done(del);
			if (r < 0)
				return r;

			a->bytes = a->bytes > b ? a->bytes - b : 0;
			if (a->drops.count == 0 || seq < a->drops.first_seq)
				a->drops.first_seq = seq;
			if (seq > a->drops.last_seq)
				a->drops.last_seq = seq;
			a->drops.count++;
		}
	}
	return 0;
}

/* Inserts one record and counts its bytes. */
static int insert_record(struct append *a, uint64_t seq, enum spool_class class, const char *kind,
			 const char *line, size_t len)
{
	int r;

	sqlite3_bind_int64(a->ins, 1, (sqlite3_int64)seq);
	sqlite3_bind_int(a->ins, 2, class == SPOOL_STATE ? 1 : 0);
	sqlite3_bind_text(a->ins, 3, kind ? kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(a->ins, 4, (sqlite3_int64)len);
	sqlite3_bind_text(a->ins, 5, line, (int)len, SQLITE_STATIC);
	r = step_done(a->ins);
	if (r < 0)
		return r;
	a->bytes += len;
	return 0;
}

static int loss_load(sqlite3 *db, struct loss *ret)
{
	struct loss l;
	int r;

	if ((r = meta_get(db, "loss_seq", &l.seq)) < 0 ||
	    (r = meta_get(db, "loss_dropped", &l.dropped)) < 0 ||
	    (r = meta_get(db, "loss_unwritten", &l.unwritten)) < 0 ||
	    (r = meta_get(db, "loss_first", &l.first_seq)) < 0 ||
	    (r = meta_get(db, "loss_last", &l.last_seq)) < 0)
		return r;
	*ret = l;
	return 0;
}

static int loss_store(sqlite3 *db, const struct loss *l)
{
	int r;

	if ((r = meta_set(db, "loss_seq", l->seq)) < 0 ||
	    (r = meta_set(db, "loss_dropped", l->dropped)) < 0 ||
	    (r = meta_set(db, "loss_unwritten", l->unwritten)) < 0 ||
	    (r = meta_set(db, "loss_first", l->first_seq)) < 0 ||
	    (r = meta_set(db, "loss_last", l->last_seq)) < 0)
		return r;
	return 0;
}

/*
 * Deletes the previous loss record if it is still in the spool (unsent) and
 * returns its counts in *ret, to be folded into the next one; zeros when there
 * is none or it was sent (what it said has been reported).
 */
static int loss_take_unsent(struct append *a, struct loss *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL;
	sqlite3 *db = a->s->db;
	struct loss prev = {};
	uint64_t seq, b;
	int r, rc;

	r = meta_get(db, "loss_seq", &seq);
	if (r < 0)
		return r;
	if (seq > 0) {
		r = prepare(db, "DELETE FROM records WHERE seq = ? RETURNING bytes", &del);
		if (r < 0)
			return r;
		sqlite3_bind_int64(del, 1, (sqlite3_int64)seq);
		rc = sqlite3_step(del);
		if (rc == SQLITE_ROW) {
			b = (uint64_t)sqlite3_column_int64(del, 0);
			a->bytes = a->bytes > b ? a->bytes - b : 0;
			r = loss_load(db, &prev);
			if (r < 0)
				return r;
			rc = sqlite3_step(del);
		}
		if (rc != SQLITE_DONE)
			return sqlite_errno(rc);
	}
	*ret = prev;
	return 0;
}

/*
 * Writes the loss record at a->next_seq (docs/events.md, "Loss record"), for
 * what make_room() dropped and what a full disk kept out.  An earlier loss
 * record still unsent in the spool is replaced and its counts folded into the
 * new one, so a full spool holds one loss record, not one per drop.  The
 * items' envelopes are renumbered to follow it.
 */
static int write_loss(struct append *a)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_free_ char *line = NULL;
	const unsigned char *raw;
	struct loss prev = {}, l;
	size_t raw_len, len;
	int r;

	a->lost_total += a->drops.count + a->unwritten;

	r = loss_take_unsent(a, &prev);
	if (r < 0)
		return r;
	l = (struct loss){
		.seq = a->next_seq,
		.dropped = a->drops.count + prev.dropped,
		.unwritten = a->unwritten + prev.unwritten,
		.first_seq = a->drops.first_seq,
		.last_seq = a->drops.last_seq,
	};
	if (prev.dropped > 0) {
		if (a->drops.count == 0 || prev.first_seq < l.first_seq)
			l.first_seq = prev.first_seq;
		l.last_seq = MAX(l.last_seq, prev.last_seq);
	}

	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	format_loss(g, &(const struct format_loss){
			       .time_ms = a->time_ms,
			       .device_uid = a->s->device_uid,
			       .dropped = l.dropped,
			       .unwritten = l.unwritten,
			       .lost_total = a->lost_total,
			       .first_seq = l.first_seq,
			       .last_seq = l.last_seq,
		       });
	if (yajl_gen_get_buf(g, &raw, &raw_len) != yajl_gen_status_ok)
		return -ENOMEM;
	r = envelope_add((const char *)raw, raw_len, a->next_seq, a->s->boot_uid, a->time_ms, &line,
			 &len);
	if (r < 0)
		return r;
	/* State, so it outlives the events while they are being dropped. */
	r = insert_record(a, a->next_seq, SPOOL_STATE, "records_lost", line, len);
	if (r < 0)
		return r;
	r = loss_store(a->s->db, &l);
	if (r < 0)
		return r;
	a->next_seq++;

	/* The items were enveloped with the number the loss record now has. */
	return envelope_items(a);
}

static int append_txn(sqlite3 *db, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *ins = NULL;
	struct append *a = userdata;
	uint64_t need = 0;
	int r;

	a->time_ms = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
	if ((r = meta_get(db, "next_seq", &a->next_seq)) < 0 ||
	    (r = meta_get(db, "bytes", &a->bytes)) < 0 ||
	    (r = meta_get(db, "lost_total", &a->lost_total)) < 0)
		return r;

	r = envelope_items(a);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->n; i++)
		need += a->env[i].len;
	if (need + SPOOL_LOSS_RESERVE > a->s->max_bytes)
		return -E2BIG;

	r = make_room(a, need + SPOOL_LOSS_RESERVE);
	if (r < 0)
		return r;

	r = prepare(db,
		    "INSERT INTO records (seq, class, kind, bytes, line) VALUES (?, ?, ?, ?, ?)",
		    &ins);
	if (r < 0)
		return r;
	a->ins = ins;

	if (a->drops.count > 0 || a->unwritten > 0) {
		r = write_loss(a);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < a->n; i++) {
		r = insert_record(a, a->next_seq + i, a->items[i].class, a->items[i].kind,
				  a->env[i].line, a->env[i].len);
		if (r < 0)
			return r;
	}
	a->next_seq += a->n;

	if ((r = meta_set(db, "next_seq", a->next_seq)) < 0 ||
	    (r = meta_set(db, "bytes", a->bytes)) < 0 ||
	    (r = meta_set(db, "lost_total", a->lost_total)) < 0)
		return r;
	return 0;
}

int spool_append_many(struct spool *s, const struct spool_item *items, size_t n,
		      uint64_t *ret_last_seq)
{
	_cleanup_free_ struct enveloped *env = NULL;
	struct append a;
	int r;

	if (!s || (!items && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!items[i].line)
			return -EINVAL;

	env = calloc(n, sizeof(*env));
	if (!env)
		return -ENOMEM;

	a = (struct append){
		.s = s,
		.items = items,
		.env = env,
		.n = n,
		.unwritten = s->lost_pending,
	};
	r = spool_transaction(s->db, true, append_txn, &a);
	for (size_t i = 0; i < n; i++)
		free(env[i].line);

	if (r == -ENOSPC) {
		s->lost_pending += n;
		return r;
	}
	if (r < 0)
		return r;

	/* The loss record just committed reported them. */
	s->lost_pending -= a.unwritten;
	if (ret_last_seq)
		*ret_last_seq = a.next_seq - 1;
	return 0;
}

int spool_append(struct spool *s, enum spool_class class, const char *kind, const char *json_line,
		 uint64_t *ret_seq)
{
	struct spool_item item = { .class = class, .kind = kind, .line = json_line };

	return spool_append_many(s, &item, 1, ret_seq);
}

int spool_peek(struct spool *s, uint64_t after_seq, size_t max_records, size_t max_bytes,
	       spool_peek_fn cb, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	size_t count = 0, bytes = 0;
	int r, rc;

	if (!s || !cb)
		return -EINVAL;
	if (max_records == 0)
		return 0;

	r = prepare(s->db,
		    "SELECT seq, line, bytes FROM records WHERE seq > ? ORDER BY seq LIMIT ?", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after_seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)MIN(max_records, (size_t)INT32_MAX));

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const char *line = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		if (!line)
			return -ENOMEM;
		if (count > 0 && bytes + len > max_bytes)
			break;
		r = cb(seq, line, len, userdata);
		if (r < 0)
			return r;
		count++;
		bytes += len;
		if (r > 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_errno(rc);
	return (int)MIN(count, (size_t)INT32_MAX);
}

static int ack_txn(sqlite3 *db, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *sum = NULL, *keep = NULL, *cap = NULL,
						  *del = NULL;
	sqlite3_int64 seq = *(const sqlite3_int64 *)userdata;
	uint64_t bytes, gone, count;
	int r, rc;

	r = prepare(db, "SELECT count(*), coalesce(sum(bytes), 0) FROM records WHERE seq <= ?",
		    &sum);
	if (r < 0)
		return r;
	sqlite3_bind_int64(sum, 1, seq);
	rc = sqlite3_step(sum);
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc) ?: -EIO;
	count = (uint64_t)sqlite3_column_int64(sum, 0);
	gone = (uint64_t)sqlite3_column_int64(sum, 1);

	/* What left the device stays visible to its owner (posturectl sent): see spool.h. */
	r = prepare(db,
		    "INSERT OR REPLACE INTO sent (seq, kind, acked, line)"
		    " SELECT seq, kind, ?, line FROM records WHERE seq <= ?",
		    &keep);
	if (r < 0)
		return r;
	sqlite3_bind_int64(keep, 1, (sqlite3_int64)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC));
	sqlite3_bind_int64(keep, 2, seq);
	r = step_done(keep);
	if (r < 0)
		return r;

	r = prepare(db,
		    "DELETE FROM sent WHERE seq <= (SELECT seq FROM sent ORDER BY seq DESC"
		    " LIMIT 1 OFFSET ?)",
		    &cap);
	if (r < 0)
		return r;
	sqlite3_bind_int64(cap, 1, (sqlite3_int64)SPOOL_SENT_MAX);
	r = step_done(cap);
	if (r < 0)
		return r;

	r = prepare(db, "DELETE FROM records WHERE seq <= ?", &del);
	if (r < 0)
		return r;
	sqlite3_bind_int64(del, 1, seq);
	r = step_done(del);
	if (r < 0)
		return r;

	r = meta_get(db, "bytes", &bytes);
	if (r < 0)
		return r;
	r = meta_set(db, "bytes", bytes > gone ? bytes - gone : 0);
	if (r < 0)
		return r;
	return (int)MIN(count, (uint64_t)INT32_MAX);
}

int spool_ack(struct spool *s, uint64_t seq)
{
	sqlite3_int64 upto = (sqlite3_int64)MIN(seq, (uint64_t)INT64_MAX);

	if (!s)
		return -EINVAL;
	return spool_transaction(s->db, true, ack_txn, &upto);
}

static int prune_sent_txn(sqlite3 *db, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL;
	int r;

	r = prepare(db, "DELETE FROM sent WHERE acked < ?", &del);
	if (r < 0)
		return r;
	sqlite3_bind_int64(del, 1, *(const int64_t *)userdata);
	r = step_done(del);
	if (r < 0)
		return r;
	return sqlite3_changes(db);
}

int spool_prune_sent(struct spool *s, int64_t older_than_ms)
{
	if (!s)
		return -EINVAL;
	return spool_transaction(s->db, true, prune_sent_txn, &older_than_ms);
}

int spool_list_sent(struct spool *s, int64_t since_ms, uint64_t after_seq, size_t max,
		    spool_sent_fn cb, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	size_t count = 0;
	int r, rc;

	if (!s || !cb)
		return -EINVAL;
	if (max == 0)
		return 0;
	if (after_seq > INT64_MAX)
		return 0;

	r = prepare(s->db,
		    "SELECT seq, acked, kind, line FROM sent WHERE acked >= ? AND seq > ?"
		    " ORDER BY seq LIMIT ?",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after_seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)MIN(max, (size_t)INT32_MAX));

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		int64_t acked = sqlite3_column_int64(st, 1);
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		const char *line = (const char *)sqlite3_column_text(st, 3);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);

		if (!kind || !line)
			return -ENOMEM;
		r = cb(seq, acked, kind, line, len, userdata);
		if (r < 0)
			return r;
		count++;
		if (r > 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_errno(rc);
	return (int)MIN(count, (size_t)INT32_MAX);
}

static int stats_txn(sqlite3 *db, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct spool_stats *stats = userdata;
	int r, rc;

	if ((r = meta_get(db, "next_seq", &stats->next_seq)) < 0 ||
	    (r = meta_get(db, "bytes", &stats->bytes)) < 0 ||
	    (r = meta_get(db, "lost_total", &stats->lost_total)) < 0)
		return r;
	r = prepare(db, "SELECT count(*) FROM records", &st);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc) ?: -EIO;
	stats->records = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

int spool_get_stats(struct spool *s, struct spool_stats *ret)
{
	struct spool_stats stats = {};
	int r;

	if (!s || !ret)
		return -EINVAL;
	/* One read transaction: the counters and the count agree. */
	r = spool_transaction(s->db, false, stats_txn, &stats);
	if (r < 0)
		return r;
	stats.lost_pending = s->lost_pending;
	stats.lost_total += s->lost_pending;
	*ret = stats;
	return 0;
}
