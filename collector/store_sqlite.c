// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store on SQLite: its schema and migrations, retention by bounded
 * deletes.  One collector owns the file (its write lock is the device
 * lock, BEGIN IMMEDIATE), so it runs every job itself.
 */
#include <errno.h>
#include <stdio.h>

#include "store-internal.h"

/*
 * Times are milliseconds since the epoch, like OCSF's `time`.  `record` is
 * the line exactly as the device sent it; `device_id` is the identity from
 * its client certificate, whatever the record itself says.
 */
static const char base_schema_sql[] =
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

/* Enrollment: identities, the certificates issued, tokens (as SHA-256 only), the audit. */
static const char identity_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS identities ("
	"  device_id TEXT PRIMARY KEY NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('active', 'revoked', 'retired')),"
	"  enrolled INTEGER,"
	"  changed INTEGER NOT NULL,"
	"  serial TEXT,"
	"  not_after INTEGER,"
	"  key_type TEXT"
	");"
	"CREATE TABLE IF NOT EXISTS certificates ("
	"  serial TEXT PRIMARY KEY NOT NULL,"
	"  device_id TEXT NOT NULL,"
	"  issued INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  key_type TEXT NOT NULL,"
	"  key_sha256 TEXT NOT NULL,"
	"  revoked INTEGER,"
	"  revoked_why TEXT"
	");"
	"CREATE INDEX IF NOT EXISTS certificates_device ON certificates (device_id);"
	"CREATE INDEX IF NOT EXISTS certificates_revoked ON certificates (not_after)"
	"  WHERE revoked IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS enroll_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  hash TEXT UNIQUE NOT NULL,"
	"  label TEXT NOT NULL DEFAULT '',"
	"  uses INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  reenroll INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  revoked INTEGER"
	");"
	"CREATE TABLE IF NOT EXISTS audit ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"
	"  device_id TEXT,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX IF NOT EXISTS audit_device ON audit (device_id, time);";

static const char fleet_devices_sql[] =
	"ALTER TABLE devices ADD COLUMN hostname TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE devices ADD COLUMN os TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE devices ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE devices ADD COLUMN policy_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE devices ADD COLUMN policy_serial INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE devices ADD COLUMN agent_healthy INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE devices ADD COLUMN key_storage TEXT NOT NULL DEFAULT '';"
	/* When the newest snapshot came (the collector's clock), and its sequence number. */
	"ALTER TABLE devices ADD COLUMN last_snapshot INTEGER;"
	"ALTER TABLE devices ADD COLUMN snapshot_seq INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE devices ADD COLUMN interval_seconds INTEGER NOT NULL DEFAULT 900;"
	"ALTER TABLE devices ADD COLUMN watched_per_mille INTEGER NOT NULL DEFAULT -1;"
	/* Records lost: in the spool (loss records' lost_total), and in the kernel (snapshots'). */
	"ALTER TABLE devices ADD COLUMN records_lost INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE devices ADD COLUMN kernel_lost INTEGER NOT NULL DEFAULT 0;"
	/* running, stopped or asleep: the agent's last word about itself, and its seq. */
	"ALTER TABLE devices ADD COLUMN lifecycle TEXT NOT NULL DEFAULT 'running';"
	"ALTER TABLE devices ADD COLUMN lifecycle_seq INTEGER NOT NULL DEFAULT 0;"
	/* Rules failing on it, exemptions not applied: most devices need no more look. */
	"ALTER TABLE devices ADD COLUMN failing INTEGER NOT NULL DEFAULT 0;";

/*
 * check_state.state and previous: 0 pass, 1 fail, 2 unknown (enum
 * facts_state).  since is the device's time of the change, changed the
 * collector's.  rule_daily and fleet_daily are per UTC day (days since the
 * epoch): written by the roll-up, except the time and loss figures, added
 * at ingest.
 */
static const char fleet_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS check_state ("
	"  device_id TEXT NOT NULL,"
	"  rule_id TEXT NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  previous INTEGER,"
	"  changed INTEGER NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  snapshot_seq INTEGER NOT NULL,"
	"  PRIMARY KEY (device_id, rule_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS check_state_rule ON check_state (rule_id, state);"
	/* Retention deletes by it, in batches that stay bounded whatever the clock did. */
	"CREATE INDEX IF NOT EXISTS records_received ON records (received);"
	"CREATE TABLE IF NOT EXISTS rules ("
	"  rule_id TEXT PRIMARY KEY NOT NULL,"
	"  title TEXT NOT NULL DEFAULT '',"
	"  severity TEXT NOT NULL DEFAULT '',"
	"  type TEXT NOT NULL DEFAULT '',"
	"  message TEXT NOT NULL DEFAULT '',"
	"  remediation TEXT NOT NULL DEFAULT '',"
	"  last_seen INTEGER NOT NULL,"
	/* 1: the texts are the served policy's, which no device's snapshot replaces. */
	"  from_policy INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE IF NOT EXISTS device_owner ("
	"  device_id TEXT PRIMARY KEY NOT NULL,"
	"  owner TEXT NOT NULL DEFAULT '',"
	"  serial TEXT NOT NULL DEFAULT '',"
	"  changed INTEGER NOT NULL,"
	"  changed_by TEXT NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS exemptions ("
	"  id INTEGER PRIMARY KEY,"
	"  device_id TEXT," /* NULL: every device */
	"  rule_id TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  revoked INTEGER,"
	"  revoked_by TEXT"
	");"
	"CREATE INDEX IF NOT EXISTS exemptions_rule ON exemptions (rule_id, expires)"
	"  WHERE revoked IS NULL;"
	"CREATE TABLE IF NOT EXISTS fleet_daily ("
	"  day INTEGER PRIMARY KEY,"
	"  devices INTEGER NOT NULL DEFAULT 0,"
	"  compliant INTEGER NOT NULL DEFAULT 0,"
	"  noncompliant INTEGER NOT NULL DEFAULT 0,"
	"  rolled_up INTEGER NOT NULL DEFAULT 0,"
	"  watched_seconds INTEGER NOT NULL DEFAULT 0,"
	"  asleep_seconds INTEGER NOT NULL DEFAULT 0,"
	"  stopped_seconds INTEGER NOT NULL DEFAULT 0,"
	"  lost_records INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE IF NOT EXISTS rule_daily ("
	"  day INTEGER NOT NULL,"
	"  rule_id TEXT NOT NULL,"
	"  pass INTEGER NOT NULL,"
	"  fail INTEGER NOT NULL,"
	"  unknown INTEGER NOT NULL,"
	"  exempt INTEGER NOT NULL,"
	"  PRIMARY KEY (rule_id, day)"
	") WITHOUT ROWID;";

/* 5: a jump in a device's sequence numbers (store.c). */
static const char gaps_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS sequence_gaps ("
	"  device_id TEXT NOT NULL,"
	"  after_seq INTEGER NOT NULL,"
	"  before_seq INTEGER NOT NULL,"
	"  received INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS sequence_gaps_device ON sequence_gaps (device_id, received);";

static int sqlite_schema_from(struct store *s, int64_t version)
{
	int r = 0;

	/* Every statement is IF NOT EXISTS: an older schema gets what it lacks. */
	if (version == 2)
		/* The key of certificates issued before: unknown, so no retry matches it. */
		r = db_exec(s->db, "ALTER TABLE certificates ADD COLUMN key_sha256 TEXT NOT NULL "
				   "DEFAULT ''");
	if (r >= 0)
		r = db_exec(s->db, base_schema_sql);
	if (r >= 0)
		r = db_exec(s->db, identity_schema_sql);
	if (r >= 0 && version < 4)
		/* devices of versions 1 to 3, or just made: the facts the fleet view keeps. */
		r = db_exec(s->db, fleet_devices_sql);
	if (r >= 0)
		r = db_exec(s->db, fleet_schema_sql);
	if (r >= 0)
		r = db_exec(s->db, gaps_schema_sql);
	if (r >= 0)
		r = db_exec(s->db, "PRAGMA user_version = " STRINGIFY(STORE_SCHEMA_VERSION));
	return r;
}

static int sqlite_schema(struct store *s)
{
	int64_t version = 0;
	int r;

	r = db_query_int64(s->db, "PRAGMA user_version", &version);
	if (r < 0)
		return r;
	if (version > STORE_SCHEMA_VERSION)
		return -EPROTONOSUPPORT; /* written by a newer collector */
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	r = db_begin(s->db);
	if (r < 0)
		return r;
	r = sqlite_schema_from(s, version);
	if (r >= 0)
		r = db_commit(s->db);
	if (r < 0)
		db_rollback(s->db);
	return r;
}

static int sqlite_expire(struct store *s, int64_t cutoff, unsigned batch, unsigned *ret_deleted)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "DELETE FROM records WHERE id IN (SELECT id FROM records"
			 " WHERE received < ?1 ORDER BY received LIMIT ?2)",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, cutoff);
	db_bind_int64(stmt, 2, batch);
	r = db_run(stmt);
	if (r < 0)
		return r;
	*ret_deleted = (unsigned)db_changes(s->db);
	return 0;
}

static int sqlite_maintain(struct store *s, int64_t now_ms)
{
	return 0; /* one table, indexed by the time received */
}

static int sqlite_serialize(struct store *s, const char *what)
{
	return 0; /* BEGIN IMMEDIATE took the file's write lock */
}

static int sqlite_job_lock(struct store *s, const char *job)
{
	return 1;
}

const struct store_backend store_sqlite_backend = {
	.schema = sqlite_schema,
	.expire = sqlite_expire,
	.serialize = sqlite_serialize,
	.maintain = sqlite_maintain,
	.job_lock = sqlite_job_lock,
};
