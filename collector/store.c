// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/sqlite-util.h"
#include "store-internal.h"
#include "store_fleet.h"

/*
 * Times are milliseconds since the epoch, like OCSF's `time`.  `record` is
 * the line exactly as the device sent it; `device_id` is the identity from
 * its client certificate, whatever the record itself says.
 */
static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS devices ("
	"  device_id TEXT PRIMARY KEY NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  last_acked_seq INTEGER NOT NULL DEFAULT 0,"
	"  last_address TEXT"
	");"
	"CREATE TABLE IF NOT EXISTS records ("
	"  id INTEGER PRIMARY KEY,"
	"  device_id TEXT NOT NULL,"
	"  boot_uid TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  class_uid INTEGER NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  received INTEGER NOT NULL,"
	"  record TEXT NOT NULL,"
	"  UNIQUE (device_id, boot_uid, seq)"
	");"
	"CREATE INDEX IF NOT EXISTS records_device_time ON records (device_id, time);";

int store_step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	return sqlite_errno(
		sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL));
}

int store_cached(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	size_t i;
	int r;

	for (i = 0; i < s->n_cached; i++)
		if (s->cached[i].sql == sql) {
			*ret = s->cached[i].stmt;
			return 0;
		}
	if (s->n_cached >= ELEMENTSOF(s->cached))
		return -E2BIG;
	r = store_prepare(s, sql, &s->cached[i].stmt);
	if (r < 0)
		return r;
	s->cached[i].sql = sql;
	s->n_cached++;
	*ret = s->cached[i].stmt;
	return 0;
}

void store_stmt_resetp(sqlite3_stmt **stmt)
{
	if (*stmt) {
		sqlite3_reset(*stmt);
		sqlite3_clear_bindings(*stmt);
	}
}

const char *store_column_text(sqlite3_stmt *stmt, int i)
{
	const char *v = (const char *)sqlite3_column_text(stmt, i);

	return v ? v : "";
}

void store_copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* Sets a PRAGMA that answers with its new value, and checks the answer. */
static int store_pragma(struct store *s, const char *sql, const char *expect)
{
	sqlite3_stmt *stmt = NULL;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);

		if (expect && (!v || strcasecmp(v, expect) != 0))
			r = -EOPNOTSUPP;
	} else if (rc != SQLITE_DONE) {
		r = sqlite_errno(rc);
	}
	sqlite3_finalize(stmt);
	return r;
}

static int store_schema(struct store *s)
{
	sqlite3_stmt *stmt = NULL;
	int version = 0, rc, r;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	if (version > STORE_SCHEMA_VERSION)
		return -EPROTONOSUPPORT; /* written by a newer collector */
	if (version == STORE_SCHEMA_VERSION)
		return 0;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	/* Every statement is IF NOT EXISTS: an older schema gets what it lacks. */
	rc = SQLITE_OK;
	if (version == 2)
		/* The key of certificates issued before: unknown, so no retry matches it. */
		rc = sqlite3_exec(s->db,
				  "ALTER TABLE certificates ADD COLUMN key_sha256 TEXT NOT NULL "
				  "DEFAULT ''",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, store_identity_schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK && version < 4)
		/* devices of versions 1 to 3, or just made: the facts the fleet view keeps. */
		rc = sqlite3_exec(s->db, store_fleet_devices_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, store_fleet_schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA user_version = " STRINGIFY(STORE_SCHEMA_VERSION),
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	r = sqlite_errno(rc);
	if (r < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int store_open(const char *path, struct store **ret)
{
	_cleanup_(store_freep) struct store *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = sqlite_errno(sqlite3_open_v2(path, &s->db,
					 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
					 NULL));
	if (r < 0)
		return r;
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	/*
	 * WAL: readers (fleet view, export) never block the ingest, and a crash
	 * mid-transaction leaves the last commit intact.  synchronous=FULL syncs
	 * the WAL at every commit: NORMAL would let a power cut undo batches that
	 * were already acknowledged and so dropped from the agents' spools.  The
	 * price is one fsync per batch, and agents batch.
	 */
	r = store_pragma(s, "PRAGMA journal_mode = WAL", "wal");
	if (r < 0)
		return r;
	r = store_pragma(s, "PRAGMA synchronous = FULL", NULL);
	if (r < 0)
		return r;
	r = store_schema(s);
	if (r < 0)
		return r;

	if ((r = store_prepare(s, "BEGIN IMMEDIATE", &s->begin)) < 0 ||
	    (r = store_prepare(s, "COMMIT", &s->commit)) < 0 ||
	    (r = store_prepare(s, "ROLLBACK", &s->rollback)) < 0 ||
	    (r = store_prepare(s,
			       "INSERT OR IGNORE INTO records"
			       " (device_id, boot_uid, seq, class_uid, time, received, record)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       &s->insert_record)) < 0 ||
	    (r = store_prepare(s,
			       "INSERT INTO devices"
			       " (device_id, first_seen, last_seen, last_acked_seq, last_address)"
			       " VALUES (?1, ?2, ?2, ?3, ?4)"
			       " ON CONFLICT (device_id) DO UPDATE SET"
			       "  last_seen = excluded.last_seen,"
			       "  last_address = excluded.last_address,"
			       "  last_acked_seq = MAX(last_acked_seq, excluded.last_acked_seq)",
			       &s->upsert_device)) < 0 ||
	    (r = store_prepare(s, "SELECT last_acked_seq FROM devices WHERE device_id = ?1",
			       &s->select_acked)) < 0 ||
	    (r = store_prepare(s,
			       "SELECT EXISTS (SELECT 1 FROM identities"
			       "  WHERE device_id = ?1 AND state <> 'active')"
			       " OR EXISTS (SELECT 1 FROM certificates"
			       "  WHERE serial = ?2 AND revoked IS NOT NULL)",
			       &s->select_access)) < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->insert_record);
	sqlite3_finalize(s->upsert_device);
	sqlite3_finalize(s->select_acked);
	sqlite3_finalize(s->select_access);
	for (size_t i = 0; i < s->n_cached; i++)
		sqlite3_finalize(s->cached[i].stmt);
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

int store_begin(struct store *s)
{
	s->last_error[0] = '\0';
	return store_step_done(s->begin);
}

int store_end(struct store *s, int r)
{
	if (r >= 0)
		r = store_step_done(s->commit);
	if (r < 0) {
		/* Keep the failure's message for the log line, not the rollback's. */
		snprintf(s->last_error, sizeof(s->last_error), "%s", sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			(void)store_step_done(s->rollback);
	}
	return r;
}

const char *store_last_error(struct store *s)
{
	if (!s || !s->db)
		return "no database";
	return s->last_error[0] ? s->last_error : sqlite3_errmsg(s->db);
}

/* Applies the fleet facts of the record just stored (store_fleet.h). */
static int store_batch_facts(struct store *s, const char *device_id, int64_t now_ms,
			     const struct record *rec)
{
	struct facts f;
	int r;

	r = facts_parse(rec->json, rec->json_size, rec->class_uid, &f);
	if (r <= 0)
		return r;
	r = store_fleet_apply(s, device_id, rec->seq, now_ms, &f);
	facts_done(&f);
	return r;
}

static bool store_batch_has_facts(const struct record *rec)
{
	return rec->class_uid == 5001 || rec->class_uid == 6002;
}

static int store_batch_in_transaction(struct store *s, const char *device_id, const char *address,
				      int64_t now_ms, const struct record *records, size_t n,
				      const struct store_batch_hook *hook, int64_t *ret_acked_seq)
{
	_cleanup_free_ bool *fresh = NULL;
	int64_t max_seq = 0;
	int rc, r;

	fresh = calloc(n ? n : 1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct record *rec = &records[i];

		if (rec->json_size > INT32_MAX)
			return -E2BIG;
		sqlite3_bind_text(s->insert_record, 1, device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s->insert_record, 2, rec->boot_uid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->insert_record, 3, rec->seq);
		sqlite3_bind_int64(s->insert_record, 4, rec->class_uid);
		sqlite3_bind_int64(s->insert_record, 5, rec->time);
		sqlite3_bind_int64(s->insert_record, 6, now_ms);
		sqlite3_bind_text(s->insert_record, 7, rec->json, (int)rec->json_size,
				  SQLITE_STATIC);
		r = store_step_done(s->insert_record);
		if (r < 0)
			return r;
		/* A record stored before (a resend) changes nothing the second time. */
		fresh[i] = sqlite3_changes(s->db) > 0;
		max_seq = MAX(max_seq, rec->seq);
	}

	sqlite3_bind_text(s->upsert_device, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upsert_device, 2, now_ms);
	sqlite3_bind_int64(s->upsert_device, 3, max_seq);
	if (address)
		sqlite3_bind_text(s->upsert_device, 4, address, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->upsert_device, 4);
	r = store_step_done(s->upsert_device);
	if (r < 0)
		return r;

	/* The device's row exists now: its state follows the new records, in order. */
	for (size_t i = 0; i < n; i++)
		if (fresh[i] && store_batch_has_facts(&records[i])) {
			r = store_batch_facts(s, device_id, now_ms, &records[i]);
			if (r < 0)
				return r;
		}

	if (hook && hook->before_commit) {
		r = hook->before_commit(records, fresh, n, hook->userdata);
		if (r < 0)
			return r;
	}

	sqlite3_bind_text(s->select_acked, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->select_acked);
	if (rc == SQLITE_ROW)
		*ret_acked_seq = sqlite3_column_int64(s->select_acked, 0);
	sqlite3_reset(s->select_acked);
	sqlite3_clear_bindings(s->select_acked);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -EIO : sqlite_errno(rc);
}

int store_batch(struct store *s, const char *device_id, const char *address, int64_t now_ms,
		const struct record *records, size_t n, const struct store_batch_hook *hook,
		int64_t *ret_acked_seq)
{
	int64_t acked = 0;
	int r;

	r = store_begin(s);
	if (r < 0)
		return r;
	r = store_batch_in_transaction(s, device_id, address, now_ms, records, n, hook, &acked);
	r = store_end(s, r);
	if (r < 0)
		return r;
	*ret_acked_seq = acked;
	return 0;
}
