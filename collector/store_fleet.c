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

/*
 * Today's time and loss figures are one row the whole fleet adds to: kept
 * in the store while a batch is applied and written once at its end
 * (store_fleet_flush_day()), so that the row is locked only for the end of
 * each batch's transaction, not through all of its snapshots.
 */
static void add_time(struct store *s, const struct facts_snapshot *snap)
{
	if (!snap->has_completeness)
		return;
	s->day.watched += snap->watched_seconds;
	s->day.asleep += snap->asleep_seconds;
	s->day.stopped += snap->stopped_seconds;
	s->day.pending = true;
}

int store_fleet_flush_day(struct store *s, int64_t now)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	if (!s->day.pending)
		return 0;
	r = store_cached(
		s,
		"INSERT INTO fleet_daily (day, watched_seconds, asleep_seconds,"
		" stopped_seconds, lost_records) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (day) DO UPDATE SET"
		"  watched_seconds = fleet_daily.watched_seconds + excluded.watched_seconds,"
		"  asleep_seconds = fleet_daily.asleep_seconds + excluded.asleep_seconds,"
		"  stopped_seconds = fleet_daily.stopped_seconds + excluded.stopped_seconds,"
		"  lost_records = fleet_daily.lost_records + excluded.lost_records",
		&stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, now / DAY_MS);
	db_bind_int64(stmt, 2, s->day.watched);
	db_bind_int64(stmt, 3, s->day.asleep);
	db_bind_int64(stmt, 4, s->day.stopped);
	db_bind_int64(stmt, 5, s->day.lost);
	r = db_run(stmt);
	s->day = (struct store_day){};
	return r;
}

static int snapshot_seq(struct store *s, const char *device_id, int64_t *ret)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT snapshot_seq FROM devices WHERE device_id = ?1", &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	rc = db_step(stmt);
	if (rc == 0)
		return -ENOENT;
	if (rc != 1)
		return rc;
	*ret = db_column_int64(stmt, 0);
	return 0;
}

static int apply_device(struct store *s, const char *device_id, int64_t seq, int64_t now,
			const struct facts_snapshot *snap)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
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
		" lifecycle_seq = GREATEST(lifecycle_seq, ?11)"
		" WHERE device_id = ?1",
		&stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	db_bind_text(stmt, 2, snap->hostname);
	db_bind_text(stmt, 3, snap->os);
	db_bind_text(stmt, 4, snap->agent_version);
	db_bind_text(stmt, 5, snap->policy_id);
	db_bind_int64(stmt, 6, snap->policy_serial);
	db_bind_int64(stmt, 7, snap->agent_healthy);
	db_bind_text(stmt, 8, snap->key_storage);
	db_bind_int64(stmt, 9, snap->records_lost);
	db_bind_int64(stmt, 10, now);
	db_bind_int64(stmt, 11, seq);
	db_bind_int64(stmt, 12, snap->interval_seconds);
	db_bind_int64(stmt, 13, per_mille);
	return db_run(stmt);
}

/*
 * The rule's texts as the newest snapshot that had it says them, unless the
 * collector serves the policy they come from: then the policy's stand, and
 * no device, compromised or on an old policy, rewrites what IT reads.
 */
static int apply_rule_texts(struct store *s, int64_t now, const struct facts_rule *rule)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL, *same = NULL;
	int r;

	/*
	 * Looked at first: an upsert locks the rule's row even when it changes
	 * nothing, and every snapshot of the fleet names the same rules.
	 */
	r = store_cached(s,
			 "SELECT 1 FROM rules WHERE rule_id = ?1 AND (from_policy <> 0"
			 " OR (last_seen >= ?6 - 60000 AND title = ?2 AND severity = ?3"
			 "  AND message = ?4 AND remediation = ?5))",
			 &same);
	if (r < 0)
		return r;
	db_bind_text(same, 1, rule->id);
	db_bind_text(same, 2, rule->title);
	db_bind_text(same, 3, rule->severity);
	db_bind_text(same, 4, rule->message);
	db_bind_text(same, 5, rule->remediation);
	db_bind_int64(same, 6, now);
	r = db_step(same);
	if (r != 0)
		return r < 0 ? r : 0;

	r = store_cached(
		s,
		"INSERT INTO rules (rule_id, title, severity, type, message, remediation,"
		" last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (rule_id) DO UPDATE SET title = excluded.title,"
		"  severity = excluded.severity, type = excluded.type,"
		"  message = excluded.message, remediation = excluded.remediation,"
		"  last_seen = excluded.last_seen"
		" WHERE rules.from_policy = 0 AND (rules.last_seen < excluded.last_seen - 60000"
		"  OR rules.title <> excluded.title OR rules.severity <> excluded.severity"
		"  OR rules.message <> excluded.message"
		"  OR rules.remediation <> excluded.remediation)",
		&stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, rule->id);
	db_bind_text(stmt, 2, rule->title);
	db_bind_text(stmt, 3, rule->severity);
	db_bind_text(stmt, 4, rule->type);
	db_bind_text(stmt, 5, rule->message);
	db_bind_text(stmt, 6, rule->remediation);
	db_bind_int64(stmt, 7, now);
	return db_run(stmt);
}

static int apply_check(struct store *s, const char *device_id, int64_t seq, int64_t time,
		       int64_t now, const struct facts_rule *rule)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	/*
	 * In an UPDATE, every column named on the right is the row's old value.
	 * The agent's since starts again when it restarts (it is when this run
	 * first saw the state): a state that did not change keeps the earliest.
	 */
	r = store_cached(
		s,
		"INSERT INTO check_state (device_id, rule_id, state, since, changed,"
		" reason, snapshot_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT (device_id, rule_id) DO UPDATE SET"
		"  previous = CASE WHEN check_state.state <> excluded.state"
		"   THEN check_state.state ELSE check_state.previous END,"
		"  changed = CASE WHEN check_state.state <> excluded.state"
		"   THEN excluded.changed ELSE check_state.changed END,"
		"  since = CASE WHEN check_state.state <> excluded.state THEN excluded.since"
		"   ELSE LEAST(check_state.since, excluded.since) END,"
		"  state = excluded.state, reason = excluded.reason,"
		"  snapshot_seq = excluded.snapshot_seq",
		&stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	db_bind_text(stmt, 2, rule->id);
	db_bind_int64(stmt, 3, (int)rule->state);
	/* A state the agent gives no time for started, as far as anyone knows, with this record. */
	db_bind_int64(stmt, 4, rule->since > 0 ? rule->since : time);
	db_bind_int64(stmt, 5, now);
	db_bind_text(stmt, 6, rule->reason);
	db_bind_int64(stmt, 7, seq);
	return db_run(stmt);
}

/* Rules no longer in the device's policy are no longer its state. */
static int apply_checks_end(struct store *s, const char *device_id, int64_t seq)
{
	_cleanup_stmt_ struct db_stmt *drop = NULL, *count = NULL;
	int r;

	r = store_cached(s, "DELETE FROM check_state WHERE device_id = ?1 AND snapshot_seq <> ?2",
			 &drop);
	if (r < 0)
		return r;
	db_bind_text(drop, 1, device_id);
	db_bind_int64(drop, 2, seq);
	r = db_run(drop);
	if (r < 0)
		return r;
	r = store_cached(s,
			 "UPDATE devices SET failing = (SELECT count(*) FROM check_state"
			 "  WHERE check_state.device_id = ?1 AND state = 1)"
			 " WHERE device_id = ?1",
			 &count);
	if (r < 0)
		return r;
	db_bind_text(count, 1, device_id);
	return db_run(count);
}

static int apply_snapshot(struct store *s, const char *device_id, int64_t seq, int64_t now,
			  const struct facts *f)
{
	const struct facts_snapshot *snap = &f->snapshot;
	int64_t newest = 0;
	int r;

	add_time(s, snap);
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

static int apply_loss(struct store *s, const char *device_id, const struct facts *f)
{
	_cleanup_stmt_ struct db_stmt *device = NULL;
	int r;

	r = store_cached(s,
			 "UPDATE devices SET records_lost = GREATEST(records_lost, ?2)"
			 " WHERE device_id = ?1",
			 &device);
	if (r < 0)
		return r;
	db_bind_text(device, 1, device_id);
	db_bind_int64(device, 2, f->loss.total);
	r = db_run(device);
	if (r < 0)
		return r;
	s->day.lost += f->loss.count;
	s->day.pending = true;
	return 0;
}

static int apply_lifecycle(struct store *s, const char *device_id, int64_t seq,
			   const char *lifecycle)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "UPDATE devices SET lifecycle = ?2, lifecycle_seq = ?3"
			 " WHERE device_id = ?1 AND lifecycle_seq < ?3 AND snapshot_seq < ?3",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	db_bind_text(stmt, 2, lifecycle);
	db_bind_int64(stmt, 3, seq);
	return db_run(stmt);
}

int store_fleet_apply(struct store *s, const char *device_id, int64_t seq, int64_t now,
		      const struct facts *f)
{
	switch (f->kind) {
	case FACTS_SNAPSHOT:
		return apply_snapshot(s, device_id, seq, now, f);
	case FACTS_LOSS:
		return apply_loss(s, device_id, f);
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
	_cleanup_stmt_ struct db_stmt *reset = NULL, *stmt = NULL;
	int r;

	r = store_cached(s, "UPDATE rules SET from_policy = 0 WHERE from_policy = 1", &reset);
	if (r < 0)
		return r;
	r = db_run(reset);
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
		db_bind_text(stmt, 1, rules[i].id);
		db_bind_text(stmt, 2, rules[i].title);
		db_bind_text(stmt, 3, rules[i].severity);
		db_bind_text(stmt, 4, rules[i].type);
		db_bind_text(stmt, 5, rules[i].message);
		db_bind_text(stmt, 6, rules[i].remediation);
		db_bind_int64(stmt, 7, now);
		r = db_run(stmt);
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
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(ru->s,
			 "INSERT INTO rule_daily (day, rule_id, pass, fail, unknown, exempt)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (rule_id, day) DO UPDATE SET"
			 "  pass = excluded.pass, fail = excluded.fail, unknown = excluded.unknown,"
			 "  exempt = excluded.exempt",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, ru->day);
	db_bind_text(stmt, 2, rule->id);
	db_bind_int64(stmt, 3, rule->count[FLEET_PASS]);
	db_bind_int64(stmt, 4, rule->count[FLEET_FAIL]);
	db_bind_int64(stmt, 5, rule->count[FLEET_UNKNOWN]);
	db_bind_int64(stmt, 6, rule->count[FLEET_EXEMPT]);
	return db_run(stmt);
}

static int rollup_in_transaction(struct store *s, int64_t now)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
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
	db_bind_int64(stmt, 1, ru.day);
	db_bind_int64(stmt, 2, sum.devices);
	db_bind_int64(stmt, 3, sum.compliant);
	db_bind_int64(stmt, 4, sum.noncompliant);
	db_bind_int64(stmt, 5, now);
	r = db_run(stmt);
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
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(
		s,
		"DELETE FROM rules WHERE from_policy = 0 AND last_seen < ?1"
		" AND NOT EXISTS (SELECT 1 FROM check_state c WHERE c.rule_id = rules.rule_id)",
		&stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, cutoff);
	return db_run(stmt);
}

int store_fleet_expire(struct store *s, int64_t cutoff, unsigned batch, unsigned *ret_deleted)
{
	unsigned deleted = 0;
	int r;

	r = store_begin(s);
	if (r < 0)
		return r;
	r = s->backend->expire(s, cutoff, batch, &deleted);
	/* Rule ids no device has any more, and that none reported within the age, go too. */
	if (r >= 0 && deleted < batch)
		r = prune_rules(s, cutoff);
	r = store_end(s, r);
	if (r < 0)
		return r;
	*ret_deleted = deleted;
	return 0;
}

/* --- what IT writes -------------------------------------------------------------------------- */

static int exempt_in_transaction(struct store *s, const char *device_id, const char *rule_id,
				 const char *reason, int64_t expires, const char *actor,
				 int64_t now, int64_t *ret_id)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	char detail[FACTS_TEXT_MAX + 256];
	int r;

	r = store_cached(s,
			 "INSERT INTO exemptions (device_id, rule_id, reason, created, created_by,"
			 " expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
			 &stmt);
	if (r < 0)
		return r;
	if (device_id)
		db_bind_text(stmt, 1, device_id);
	db_bind_text(stmt, 2, rule_id);
	db_bind_text(stmt, 3, reason);
	db_bind_int64(stmt, 4, now);
	db_bind_text(stmt, 5, actor);
	db_bind_int64(stmt, 6, expires);
	r = db_step(stmt);
	if (r <= 0)
		return r < 0 ? r : -EIO;
	*ret_id = db_column_int64(stmt, 0);
	db_reset(stmt);
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
	_cleanup_stmt_ struct db_stmt *find = NULL, *stmt = NULL;
	_cleanup_free_ char *device_id = NULL;
	char detail[FACTS_ID_MAX + 64];
	int rc, r;

	r = store_cached(s,
			 "SELECT device_id, rule_id, revoked IS NOT NULL OR expires <= ?2"
			 " FROM exemptions WHERE id = ?1",
			 &find);
	if (r < 0)
		return r;
	db_bind_int64(find, 1, id);
	db_bind_int64(find, 2, now);
	rc = db_step(find);
	if (rc == 0)
		return -ENOENT;
	if (rc != 1)
		return rc;
	if (db_column_int64(find, 2))
		return -EALREADY;
	if (!db_column_null(find, 0)) {
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
	db_bind_int64(stmt, 1, id);
	db_bind_int64(stmt, 2, now);
	db_bind_text(stmt, 3, actor);
	r = db_run(stmt);
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
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	char detail[2 * FACTS_NAME_MAX + 32];
	int r;

	r = store_cached(s,
			 "INSERT INTO device_owner (device_id, owner, serial, changed, changed_by)"
			 " VALUES (?1, COALESCE(?2, ''), COALESCE(?3, ''), ?4, ?5)"
			 " ON CONFLICT (device_id) DO UPDATE SET"
			 "  owner = COALESCE(?2, device_owner.owner),"
			 "  serial = COALESCE(?3, device_owner.serial),"
			 "  changed = ?4, changed_by = ?5",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	if (owner)
		db_bind_text(stmt, 2, owner);
	if (serial)
		db_bind_text(stmt, 3, serial);
	db_bind_int64(stmt, 4, now);
	db_bind_text(stmt, 5, actor);
	r = db_run(stmt);
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
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT owner FROM device_owner WHERE device_id = ?1", &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	rc = db_step(stmt);
	if (rc == 1) {
		store_copy_text(buf, size, store_column_text(stmt, 0));
		return 0;
	}
	if (rc != 0)
		return rc;
	if (size > 0)
		buf[0] = '\0';
	return 0;
}
