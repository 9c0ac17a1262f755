// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store's connection and its ingest: a device's batch stored once, in
 * one transaction, whichever collector it reaches.
 *
 * Exactly once: the device's row is locked first (PostgreSQL's row lock;
 * SQLite's whole-file write lock) and its last stored sequence number read.
 * Records above it are new; records at or below it are resends, dropped,
 * unless the store does not hold them (looked up: an earlier spool's
 * numbers used again).  The new ones are bulk-loaded (COPY on PostgreSQL),
 * the device's state and sequence number updated, and only then is the
 * batch committed and acknowledged.  Two collectors given the same batch (a
 * device that retried elsewhere) store it one after the other: the second
 * finds it stored.  A jump in sequence numbers is stored as a gap, because
 * those records never arrived and never will (the spool numbers
 * consecutively, so only its loss makes one).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store_fleet.h"

int store_prepare(struct store *s, const char *sql, struct db_stmt **ret)
{
	return db_prepare(s->db, sql, ret);
}

int store_cached(struct store *s, const char *sql, struct db_stmt **ret)
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

void store_stmt_resetp(struct db_stmt **stmt)
{
	if (*stmt)
		db_reset(*stmt);
}

const char *store_column_text(struct db_stmt *stmt, int i)
{
	const char *v = db_column_text(stmt, i);

	return v ? v : "";
}

void store_copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int store_open(const char *spec, struct store **ret, char **ret_error)
{
	_cleanup_(store_freep) struct store *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = db_open(spec, 0, &s->db, ret_error);
	if (r < 0)
		return r;
	s->backend = db_kind(s->db) == DB_POSTGRESQL ? &store_postgresql_backend :
						       &store_sqlite_backend;
	r = s->backend->schema(s);
	if (r < 0)
		goto fail;

	/*
	 * Made on the device's first batch; its row locked until the commit
	 * (PostgreSQL: an upsert's update locks the row; SQLite: the write lock
	 * BEGIN IMMEDIATE took is on the whole file), its last stored seq read:
	 * one round trip.
	 */
	if ((r = store_prepare(s,
			       "INSERT INTO devices (device_id, first_seen, last_seen, last_address)"
			       " VALUES (?1, ?2, ?2, ?3) ON CONFLICT (device_id) DO UPDATE SET"
			       " last_seen = excluded.last_seen RETURNING last_acked_seq",
			       &s->lock_device)) < 0 ||
	    (r = store_prepare(s,
			       "UPDATE devices SET last_seen = ?2, last_address = ?3,"
			       " last_acked_seq = GREATEST(last_acked_seq, ?4) WHERE device_id = ?1",
			       &s->update_device)) < 0 ||
	    (r = store_prepare(
		     s,
		     "INSERT INTO sequence_gaps (device_id, after_seq, before_seq, received)"
		     " VALUES (?1, ?2, ?3, ?4)",
		     &s->insert_gap)) < 0 ||
	    (r = store_prepare(s,
			       "SELECT 1 FROM records WHERE device_id = ?1 AND seq = ?2"
			       " AND boot_uid = ?3 LIMIT 1",
			       &s->find_record)) < 0 ||
	    (r = store_prepare(s,
			       "SELECT EXISTS (SELECT 1 FROM identities"
			       "  WHERE device_id = ?1 AND state <> 'active')"
			       " OR EXISTS (SELECT 1 FROM certificates"
			       "  WHERE serial = ?2 AND revoked IS NOT NULL)",
			       &s->select_access)) < 0)
		goto fail;

	*ret = TAKE_PTR(s);
	return 0;
fail:
	if (ret_error)
		*ret_error = strdup(db_errmsg(s->db));
	return r;
}

struct store *store_free(struct store *s)
{
	if (!s)
		return NULL;
	db_stmt_free(s->lock_device);
	db_stmt_free(s->update_device);
	db_stmt_free(s->insert_gap);
	db_stmt_free(s->find_record);
	db_stmt_free(s->select_access);
	for (size_t i = 0; i < s->n_cached; i++)
		db_stmt_free(s->cached[i].stmt);
	db_close(s->db);
	free(s);
	return NULL;
}

const char *store_describe(struct store *s)
{
	return db_describe(s->db);
}

int store_begin(struct store *s)
{
	s->last_error[0] = '\0';
	return db_begin(s->db);
}

int store_begin_serialized(struct store *s, const char *what)
{
	int r = store_begin(s);

	if (r < 0)
		return r;
	r = s->backend->serialize(s, what);
	if (r < 0)
		db_rollback(s->db);
	return r;
}

int store_end(struct store *s, int r)
{
	if (r >= 0)
		r = db_commit(s->db);
	if (r < 0) {
		/* Keep the failure's message for the log line, not the rollback's. */
		snprintf(s->last_error, sizeof(s->last_error), "%s", db_errmsg(s->db));
		db_rollback(s->db);
	}
	return r;
}

const char *store_last_error(struct store *s)
{
	if (!s || !s->db)
		return "no database";
	return s->last_error[0] ? s->last_error : db_errmsg(s->db);
}

int store_job_lock(struct store *s, const char *job)
{
	return s->backend->job_lock(s, job);
}

int store_maintain(struct store *s, int64_t now_ms)
{
	return s->backend->maintain(s, now_ms);
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

/* Locks the device's row (made on its first batch) and reads its last stored seq. */
static int store_lock_device(struct store *s, const char *device_id, const char *address,
			     int64_t now_ms, int64_t *ret_seq)
{
	int r;

	db_bind_text(s->lock_device, 1, device_id);
	db_bind_int64(s->lock_device, 2, now_ms);
	db_bind_text(s->lock_device, 3, address);
	r = db_step(s->lock_device);
	if (r > 0)
		*ret_seq = db_column_int64(s->lock_device, 0);
	db_reset(s->lock_device);
	return r < 0 ? r : r == 0 ? -EIO : 0;
}

static int store_gap(struct store *s, const char *device_id, int64_t after, int64_t before,
		     int64_t now_ms)
{
	db_bind_text(s->insert_gap, 1, device_id);
	db_bind_int64(s->insert_gap, 2, after);
	db_bind_int64(s->insert_gap, 3, before);
	db_bind_int64(s->insert_gap, 4, now_ms);
	return db_run(s->insert_gap);
}

/* Whether the store holds rec of device_id already: 1 yes, 0 no, or -errno. */
static int store_has_record(struct store *s, const char *device_id, const struct record *rec)
{
	int r;

	db_bind_text(s->find_record, 1, device_id);
	db_bind_int64(s->find_record, 2, rec->seq);
	db_bind_text(s->find_record, 3, rec->boot_uid);
	r = db_step(s->find_record);
	db_reset(s->find_record);
	return r;
}

static const char *const record_columns[] = {
	"device_id", "boot_uid", "seq", "class_uid", "time", "received", "record",
};

/* The fresh records into the records table, in one bulk load. */
static int store_load_records(struct store *s, const char *device_id, int64_t now_ms,
			      const struct record *records, const bool *fresh, size_t n)
{
	struct db_load *l = NULL;
	char received[24];
	int r;

	r = db_load_begin(s->db, "records", record_columns, (int)ELEMENTSOF(record_columns), &l);
	if (r < 0)
		return r;
	snprintf(received, sizeof(received), "%" PRId64, now_ms);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const struct record *rec = &records[i];
		char seq[24], class_uid[24], time[24];
		const char *values[] = { device_id, rec->boot_uid, seq,	     class_uid,
					 time,	    received,	   rec->json };
		size_t lengths[ELEMENTSOF(values)];

		if (!fresh[i])
			continue;
		snprintf(seq, sizeof(seq), "%" PRId64, rec->seq);
		snprintf(class_uid, sizeof(class_uid), "%" PRId64, rec->class_uid);
		snprintf(time, sizeof(time), "%" PRId64, rec->time);
		for (size_t j = 0; j < ELEMENTSOF(values); j++)
			lengths[j] = strlen(values[j]);
		lengths[6] = rec->json_size;
		r = db_load_row(l, values, lengths);
	}
	return r < 0 ? (db_load_end(l), r) : db_load_end(l);
}

static int store_batch_in_transaction(struct store *s, const char *device_id, const char *address,
				      int64_t now_ms, const struct record *records, size_t n,
				      const struct store_batch_hook *hook, int64_t *ret_acked_seq)
{
	_cleanup_free_ bool *fresh = NULL;
	int64_t stored = 0, last;
	size_t n_fresh = 0;
	int r;

	s->day = (struct store_day){};
	fresh = calloc(n ? n : 1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	r = store_lock_device(s, device_id, address, now_ms, &stored);
	if (r < 0)
		return r;
	last = stored;

	/*
	 * Above the last stored: new, and a jump is a gap.  At or below it: a
	 * resend, unless the store lacks it (a spool made again with its clock
	 * behind numbers below what its predecessor sent): looked up, one by
	 * one, which only a resend or that pays for.  The batch is in sequence
	 * order (ingest.c).
	 */
	for (size_t i = 0; i < n; i++) {
		const struct record *rec = &records[i];

		if (rec->json_size > INT32_MAX)
			return -E2BIG;
		if (rec->seq <= stored) {
			r = store_has_record(s, device_id, rec);
			if (r < 0)
				return r;
			fresh[i] = r == 0;
			n_fresh += fresh[i];
			continue;
		}
		if (last > 0 && rec->seq > last + 1) {
			r = store_gap(s, device_id, last, rec->seq, now_ms);
			if (r < 0)
				return r;
		}
		fresh[i] = true;
		last = rec->seq;
		n_fresh++;
	}
	if (n_fresh > 0) {
		r = store_load_records(s, device_id, now_ms, records, fresh, n);
		if (r < 0)
			return r;
	}

	db_bind_text(s->update_device, 1, device_id);
	db_bind_int64(s->update_device, 2, now_ms);
	db_bind_text(s->update_device, 3, address);
	db_bind_int64(s->update_device, 4, last);
	r = db_run(s->update_device);
	if (r < 0)
		return r;

	/* The device's state follows the new records, in order. */
	for (size_t i = 0; i < n; i++)
		if (fresh[i] && store_batch_has_facts(&records[i])) {
			r = store_batch_facts(s, device_id, now_ms, &records[i]);
			if (r < 0)
				return r;
		}

	r = store_fleet_flush_day(s, now_ms);
	if (r < 0)
		return r;

	if (hook && hook->before_commit) {
		r = hook->before_commit(records, fresh, n, hook->userdata);
		if (r < 0)
			return r;
	}
	*ret_acked_seq = last;
	return 0;
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
