// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view's tables, kept at ingest: a snapshot sets the device's
 * facts and every rule's state on it (check_state), in the transaction
 * that stores the records, so the state never disagrees with what was
 * acknowledged.  What IT writes (owners, exemptions) is kept apart from what
 * devices say, and every change to it is a row of the audit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store-internal.h"
#include "store_fleet.h"

#define DAY_MS (86400LL * 1000)

const char store_fleet_devices_sql[] =
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
const char store_fleet_schema_sql[] =
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

static int add_time(struct store *s, int64_t now, const struct facts_snapshot *snap)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	if (!snap->has_completeness)
		return 0;
	r = store_cached(s,
			 "INSERT INTO fleet_daily (day, watched_seconds, asleep_seconds,"
			 " stopped_seconds) VALUES (?1, ?2, ?3, ?4)"
			 " ON CONFLICT (day) DO UPDATE SET"
			 "  watched_seconds = watched_seconds + excluded.watched_seconds,"
			 "  asleep_seconds = asleep_seconds + excluded.asleep_seconds,"
			 "  stopped_seconds = stopped_seconds + excluded.stopped_seconds",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, now / DAY_MS);
	sqlite3_bind_int64(stmt, 2, snap->watched_seconds);
	sqlite3_bind_int64(stmt, 3, snap->asleep_seconds);
	sqlite3_bind_int64(stmt, 4, snap->stopped_seconds);
	return store_step_done(stmt);
}

static int snapshot_seq(struct store *s, const char *device_id, int64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT snapshot_seq FROM devices WHERE device_id = ?1", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	*ret = sqlite3_column_int64(stmt, 0);
	return 0;
}

static int apply_device(struct store *s, const char *device_id, int64_t seq, int64_t now,
			const struct facts_snapshot *snap)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int64_t per_mille = -1;
	int r;

	if (snap->has_completeness && snap->since_previous_seconds > 0)
		per_mille = MIN(snap->watched_seconds * 1000 / snap->since_previous_seconds,
				(int64_t)1000);
	r = store_cached(
		s,
		"UPDATE devices SET hostname = ?2, os = ?3, agent_version = ?4,"
		" policy_id = ?5, policy_serial = ?6, agent_healthy = ?7,"
		" key_storage = ?8, kernel_lost = ?9,"
		" last_snapshot = ?10, snapshot_seq = ?11,"
		" interval_seconds = CASE WHEN ?12 > 0 THEN ?12 ELSE interval_seconds END,"
		" watched_per_mille = ?13,"
		" lifecycle = CASE WHEN lifecycle_seq < ?11 THEN 'running' ELSE lifecycle END,"
		" lifecycle_seq = MAX(lifecycle_seq, ?11)"
		" WHERE device_id = ?1",
		&stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, snap->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, snap->os, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, snap->agent_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, snap->policy_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, snap->policy_serial);
	sqlite3_bind_int(stmt, 7, snap->agent_healthy);
	sqlite3_bind_text(stmt, 8, snap->key_storage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, snap->records_lost);
	sqlite3_bind_int64(stmt, 10, now);
	sqlite3_bind_int64(stmt, 11, seq);
	sqlite3_bind_int64(stmt, 12, snap->interval_seconds);
	sqlite3_bind_int64(stmt, 13, per_mille);
	return store_step_done(stmt);
}

/*
 * The rule's texts as the newest snapshot that had it says them, unless the
 * collector serves the policy they come from: then the policy's stand, and
 * no device, compromised or on an old policy, rewrites what IT reads.
 */
static int apply_rule_texts(struct store *s, int64_t now, const struct facts_rule *rule)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "INSERT INTO rules (rule_id, title, severity, type, message, remediation,"
			 " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			 " ON CONFLICT (rule_id) DO UPDATE SET title = excluded.title,"
			 "  severity = excluded.severity, type = excluded.type,"
			 "  message = excluded.message, remediation = excluded.remediation,"
			 "  last_seen = excluded.last_seen"
			 " WHERE from_policy = 0 AND (last_seen < excluded.last_seen - 60000"
			 "  OR title <> excluded.title OR severity <> excluded.severity"
			 "  OR message <> excluded.message OR remediation <> excluded.remediation)",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, rule->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rule->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, rule->severity, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, rule->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, rule->message, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, rule->remediation, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, now);
	return store_step_done(stmt);
}

static int apply_check(struct store *s, const char *device_id, int64_t seq, int64_t time,
		       int64_t now, const struct facts_rule *rule)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	/*
	 * In an UPDATE, every column named on the right is the row's old value.
	 * The agent's since starts again when it restarts (it is when this run
	 * first saw the state): a state that did not change keeps the earliest.
	 */
	r = store_cached(s,
			 "INSERT INTO check_state (device_id, rule_id, state, since, changed,"
			 " reason, snapshot_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			 " ON CONFLICT (device_id, rule_id) DO UPDATE SET"
			 "  previous = CASE WHEN state <> excluded.state THEN state"
			 "   ELSE previous END,"
			 "  changed = CASE WHEN state <> excluded.state THEN excluded.changed"
			 "   ELSE changed END,"
			 "  since = CASE WHEN state <> excluded.state THEN excluded.since"
			 "   ELSE MIN(since, excluded.since) END,"
			 "  state = excluded.state, reason = excluded.reason,"
			 "  snapshot_seq = excluded.snapshot_seq",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rule->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 3, (int)rule->state);
	/* A state the agent gives no time for started, as far as anyone knows, with this record. */
	sqlite3_bind_int64(stmt, 4, rule->since > 0 ? rule->since : time);
	sqlite3_bind_int64(stmt, 5, now);
	sqlite3_bind_text(stmt, 6, rule->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 7, seq);
	return store_step_done(stmt);
}

/* Rules no longer in the device's policy are no longer its state. */
static int apply_checks_end(struct store *s, const char *device_id, int64_t seq)
{
	_cleanup_stmt_ sqlite3_stmt *drop = NULL, *count = NULL;
	int r;

	r = store_cached(s, "DELETE FROM check_state WHERE device_id = ?1 AND snapshot_seq <> ?2",
			 &drop);
	if (r < 0)
		return r;
	sqlite3_bind_text(drop, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(drop, 2, seq);
	r = store_step_done(drop);
	if (r < 0)
		return r;
	r = store_cached(s,
			 "UPDATE devices SET failing = (SELECT count(*) FROM check_state"
			 "  WHERE check_state.device_id = ?1 AND state = 1)"
			 " WHERE device_id = ?1",
			 &count);
	if (r < 0)
		return r;
	sqlite3_bind_text(count, 1, device_id, -1, SQLITE_STATIC);
	return store_step_done(count);
}

static int apply_snapshot(struct store *s, const char *device_id, int64_t seq, int64_t now,
			  const struct facts *f)
{
	const struct facts_snapshot *snap = &f->snapshot;
	int64_t newest = 0;
	int r;

	r = add_time(s, now, snap);
	if (r < 0)
		return r;
	r = snapshot_seq(s, device_id, &newest);
	if (r < 0)
		return r;
	if (seq <= newest)
		return 0; /* an older snapshot, late: the state is already newer */
	r = apply_device(s, device_id, seq, now, snap);
	if (r < 0)
		return r;
	for (size_t i = 0; i < snap->n_rules; i++) {
		r = apply_rule_texts(s, now, &snap->rules[i]);
		if (r < 0)
			return r;
		r = apply_check(s, device_id, seq, f->time, now, &snap->rules[i]);
		if (r < 0)
			return r;
	}
	return apply_checks_end(s, device_id, seq);
}

static int apply_loss(struct store *s, const char *device_id, int64_t now, const struct facts *f)
{
	_cleanup_stmt_ sqlite3_stmt *device = NULL, *day = NULL;
	int r;

	r = store_cached(s,
			 "UPDATE devices SET records_lost = MAX(records_lost, ?2)"
			 " WHERE device_id = ?1",
			 &device);
	if (r < 0)
		return r;
	sqlite3_bind_text(device, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(device, 2, f->loss.total);
	r = store_step_done(device);
	if (r < 0)
		return r;
	r = store_cached(s,
			 "INSERT INTO fleet_daily (day, lost_records) VALUES (?1, ?2)"
			 " ON CONFLICT (day) DO UPDATE SET"
			 "  lost_records = lost_records + excluded.lost_records",
			 &day);
	if (r < 0)
		return r;
	sqlite3_bind_int64(day, 1, now / DAY_MS);
	sqlite3_bind_int64(day, 2, f->loss.count);
	return store_step_done(day);
}

static int apply_lifecycle(struct store *s, const char *device_id, int64_t seq,
			   const char *lifecycle)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "UPDATE devices SET lifecycle = ?2, lifecycle_seq = ?3"
			 " WHERE device_id = ?1 AND lifecycle_seq < ?3 AND snapshot_seq < ?3",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, lifecycle, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, seq);
	return store_step_done(stmt);
}

int store_fleet_apply(struct store *s, const char *device_id, int64_t seq, int64_t now,
		      const struct facts *f)
{
	switch (f->kind) {
	case FACTS_SNAPSHOT:
		return apply_snapshot(s, device_id, seq, now, f);
	case FACTS_LOSS:
		return apply_loss(s, device_id, now, f);
	case FACTS_STARTED:
		return apply_lifecycle(s, device_id, seq, "running");
	case FACTS_STOPPED:
		return apply_lifecycle(s, device_id, seq, "stopped");
	case FACTS_SUSPENDED:
		return apply_lifecycle(s, device_id, seq, "asleep");
	default:
		return 0;
	}
}

/* --- the served policy's texts ------------------------------------------------------------ */

static int policy_rules_in_transaction(struct store *s, const struct facts_rule *rules, size_t n,
				       int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *reset = NULL, *stmt = NULL;
	int r;

	r = store_cached(s, "UPDATE rules SET from_policy = 0 WHERE from_policy = 1", &reset);
	if (r < 0)
		return r;
	r = store_step_done(reset);
	if (r < 0)
		return r;
	r = store_cached(s,
			 "INSERT INTO rules (rule_id, title, severity, type, message, remediation,"
			 " last_seen, from_policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)"
			 " ON CONFLICT (rule_id) DO UPDATE SET title = excluded.title,"
			 "  severity = excluded.severity, type = excluded.type,"
			 "  message = excluded.message, remediation = excluded.remediation,"
			 "  from_policy = 1",
			 &stmt);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_text(stmt, 1, rules[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, rules[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 3, rules[i].severity, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 4, rules[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 5, rules[i].message, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 6, rules[i].remediation, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 7, now);
		r = store_step_done(stmt);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_fleet_policy_rules(struct store *s, const struct facts_rule *rules, size_t n, int64_t now)
{
	int r = store_begin(s);

	if (r < 0)
		return r;
	return store_end(s, policy_rules_in_transaction(s, rules, n, now));
}

/* --- the roll-up --------------------------------------------------------------------------- */

struct rollup {
	struct store *s;
	int64_t day;
};

static int rollup_rule(const struct fleet_rule *rule, void *userdata)
{
	struct rollup *ru = userdata;
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_cached(ru->s,
			 "INSERT OR REPLACE INTO rule_daily (day, rule_id, pass, fail, unknown,"
			 " exempt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, ru->day);
	sqlite3_bind_text(stmt, 2, rule->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, rule->count[FLEET_PASS]);
	sqlite3_bind_int64(stmt, 4, rule->count[FLEET_FAIL]);
	sqlite3_bind_int64(stmt, 5, rule->count[FLEET_UNKNOWN]);
	sqlite3_bind_int64(stmt, 6, rule->count[FLEET_EXEMPT]);
	return store_step_done(stmt);
}

static int rollup_in_transaction(struct store *s, int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	struct rollup ru = { .s = s, .day = now / DAY_MS };
	struct fleet_summary sum;
	int r;

	r = store_fleet_summary(s, now, &sum);
	if (r < 0)
		return r;
	r = store_cached(
		s,
		"INSERT INTO fleet_daily (day, devices, compliant, noncompliant, rolled_up)"
		" VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (day) DO UPDATE SET devices = excluded.devices,"
		"  compliant = excluded.compliant, noncompliant = excluded.noncompliant,"
		"  rolled_up = excluded.rolled_up",
		&stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, ru.day);
	sqlite3_bind_int64(stmt, 2, sum.devices);
	sqlite3_bind_int64(stmt, 3, sum.compliant);
	sqlite3_bind_int64(stmt, 4, sum.noncompliant);
	sqlite3_bind_int64(stmt, 5, now);
	r = store_step_done(stmt);
	if (r < 0)
		return r;
	return store_fleet_rules(s, now, rollup_rule, &ru);
}

int store_fleet_rollup(struct store *s, int64_t now)
{
	int r = store_begin(s);

	if (r < 0)
		return r;
	return store_end(s, rollup_in_transaction(s, now));
}

/* --- retention ------------------------------------------------------------------------------ */

static int prune_rules(struct store *s, int64_t cutoff)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_cached(
		s,
		"DELETE FROM rules WHERE from_policy = 0 AND last_seen < ?1"
		" AND NOT EXISTS (SELECT 1 FROM check_state c WHERE c.rule_id = rules.rule_id)",
		&stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, cutoff);
	return store_step_done(stmt);
}

int store_fleet_expire(struct store *s, int64_t cutoff, unsigned batch, unsigned *ret_deleted)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int deleted = 0;
	int r;

	r = store_cached(s,
			 "DELETE FROM records WHERE id IN (SELECT id FROM records"
			 " WHERE received < ?1 ORDER BY received LIMIT ?2)",
			 &stmt);
	if (r < 0)
		return r;
	r = store_begin(s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, cutoff);
	sqlite3_bind_int64(stmt, 2, batch);
	r = store_step_done(stmt);
	if (r >= 0)
		deleted = sqlite3_changes(s->db);
	/* Rule ids no device has any more, and that none reported within the age, go too. */
	if (r >= 0 && deleted < (int)batch)
		r = prune_rules(s, cutoff);
	r = store_end(s, r);
	if (r < 0)
		return r;
	*ret_deleted = (unsigned)deleted;
	return 0;
}

/* --- what IT writes -------------------------------------------------------------------------- */

static int exempt_in_transaction(struct store *s, const char *device_id, const char *rule_id,
				 const char *reason, int64_t expires, const char *actor,
				 int64_t now, int64_t *ret_id)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	char detail[FACTS_TEXT_MAX + 256];
	int r;

	r = store_cached(s,
			 "INSERT INTO exemptions (device_id, rule_id, reason, created, created_by,"
			 " expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			 &stmt);
	if (r < 0)
		return r;
	if (device_id)
		sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rule_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_text(stmt, 5, actor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 6, expires);
	r = store_step_done(stmt);
	if (r < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	snprintf(detail, sizeof(detail), "exemption %" PRId64 " of rule %s%s until %" PRId64 ": %s",
		 *ret_id, rule_id, device_id ? "" : " on every device", expires, reason);
	return store_audit_add(s, now, "exempt", device_id, actor, detail);
}

int store_fleet_exempt(struct store *s, const char *device_id, const char *rule_id,
		       const char *reason, int64_t expires, const char *actor, int64_t now,
		       int64_t *ret_id)
{
	int64_t id = 0;
	int r;

	if (expires <= now)
		return -EINVAL;
	r = store_begin(s);
	if (r < 0)
		return r;
	r = store_end(s, exempt_in_transaction(s, device_id, rule_id, reason, expires, actor, now,
					       &id));
	if (r < 0)
		return r;
	*ret_id = id;
	return 0;
}

static int revoke_in_transaction(struct store *s, int64_t id, const char *actor, int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *find = NULL, *stmt = NULL;
	_cleanup_free_ char *device_id = NULL;
	char detail[FACTS_ID_MAX + 64];
	int rc, r;

	r = store_cached(s,
			 "SELECT device_id, rule_id, revoked IS NOT NULL OR expires <= ?2"
			 " FROM exemptions WHERE id = ?1",
			 &find);
	if (r < 0)
		return r;
	sqlite3_bind_int64(find, 1, id);
	sqlite3_bind_int64(find, 2, now);
	rc = sqlite3_step(find);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	if (sqlite3_column_int(find, 2))
		return -EALREADY;
	if (sqlite3_column_type(find, 0) != SQLITE_NULL) {
		device_id = strdup(store_column_text(find, 0));
		if (!device_id)
			return -ENOMEM;
	}
	snprintf(detail, sizeof(detail), "exemption %" PRId64 " of rule %s ended", id,
		 store_column_text(find, 1));

	r = store_cached(s, "UPDATE exemptions SET revoked = ?2, revoked_by = ?3 WHERE id = ?1",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_text(stmt, 3, actor, -1, SQLITE_STATIC);
	r = store_step_done(stmt);
	if (r < 0)
		return r;
	return store_audit_add(s, now, "exempt-end", device_id, actor, detail);
}

int store_fleet_exemption_revoke(struct store *s, int64_t id, const char *actor, int64_t now)
{
	int r = store_begin(s);

	if (r < 0)
		return r;
	return store_end(s, revoke_in_transaction(s, id, actor, now));
}

static int set_owner_in_transaction(struct store *s, const char *device_id, const char *owner,
				    const char *serial, const char *actor, int64_t now)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	char detail[2 * FACTS_NAME_MAX + 32];
	int r;

	r = store_cached(s,
			 "INSERT INTO device_owner (device_id, owner, serial, changed, changed_by)"
			 " VALUES (?1, IFNULL(?2, ''), IFNULL(?3, ''), ?4, ?5)"
			 " ON CONFLICT (device_id) DO UPDATE SET"
			 "  owner = IFNULL(?2, owner), serial = IFNULL(?3, serial),"
			 "  changed = ?4, changed_by = ?5",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	if (owner)
		sqlite3_bind_text(stmt, 2, owner, -1, SQLITE_STATIC);
	if (serial)
		sqlite3_bind_text(stmt, 3, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_text(stmt, 5, actor, -1, SQLITE_STATIC);
	r = store_step_done(stmt);
	if (r < 0)
		return r;
	snprintf(detail, sizeof(detail), "%s%s%s%s%s", owner ? "owner '" : "", owner ? owner : "",
		 owner ? "'" : "", serial ? (owner ? ", serial " : "serial ") : "",
		 serial ? serial : "");
	return store_audit_add(s, now, "device-set", device_id, actor, detail);
}

int store_fleet_set_owner(struct store *s, const char *device_id, const char *owner,
			  const char *serial, const char *actor, int64_t now)
{
	int r = store_begin(s);

	if (r < 0)
		return r;
	return store_end(s, set_owner_in_transaction(s, device_id, owner, serial, actor, now));
}

int store_fleet_owner(struct store *s, const char *device_id, char *buf, size_t size)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT owner FROM device_owner WHERE device_id = ?1", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		store_copy_text(buf, size, store_column_text(stmt, 0));
		return 0;
	}
	if (rc != SQLITE_DONE)
		return sqlite_errno(rc);
	if (size > 0)
		buf[0] = '\0';
	return 0;
}
