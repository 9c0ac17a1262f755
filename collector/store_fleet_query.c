// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The questions the fleet pages ask of the store.  Each is one statement
 * (prepared once) whatever its filters, so a page costs the same whether it
 * is filtered or not; every statement's first parameter is now.  Exemptions
 * are applied here, at the moment of asking, so one that expires ends by
 * itself, without a job that could be late.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"
#include "store_fleet.h"

#define DAY_MS "CAST(86400000 AS BIGINT)"

/* The device row d (with its identity i) counts for compliance. */
#define COUNTED                                                            \
	"(d.last_snapshot IS NOT NULL AND d.last_seen > ?1 - 30 * " DAY_MS \
	" AND d.policy_id <> '' AND COALESCE(i.state, 'active') = 'active')"

/* The rule state cs is exempt now. */
#define EXEMPT                                                            \
	"EXISTS (SELECT 1 FROM exemptions e WHERE e.rule_id = cs.rule_id" \
	" AND e.revoked IS NULL AND e.expires > ?1"                       \
	" AND (e.device_id IS NULL OR e.device_id = cs.device_id))"

/* enum fleet_status of device row d. */
#define STATUS                                                          \
	"CASE WHEN d.last_snapshot IS NULL THEN 5"                      \
	" WHEN d.last_seen <= ?1 - 30 * " DAY_MS " THEN 4"              \
	" WHEN d.lifecycle = 'stopped' THEN 1"                          \
	" WHEN d.lifecycle = 'asleep' THEN 2"                           \
	" WHEN d.last_snapshot > ?1 - 2000 * d.interval_seconds THEN 0" \
	" ELSE 3 END"

/* Rules failing on device row d, exemptions applied (most devices fail none: no look). */
#define FAILING                                                                    \
	"CASE WHEN d.failing = 0 THEN 0 ELSE (SELECT count(*) FROM check_state cs" \
	" WHERE cs.device_id = d.device_id AND cs.state = 1 AND NOT " EXEMPT ") END"

static const char *const status_names[_FLEET_STATUS_MAX] = {
	[FLEET_ONLINE] = "online", [FLEET_STOPPED] = "stopped", [FLEET_ASLEEP] = "asleep",
	[FLEET_SILENT] = "silent", [FLEET_MISSING] = "missing", [FLEET_NEVER] = "never",
};

static const char *const fleet_state_names[_FLEET_STATE_MAX] = {
	[FLEET_PASS] = "pass",
	[FLEET_FAIL] = "fail",
	[FLEET_UNKNOWN] = "unknown",
	[FLEET_EXEMPT] = "exempt",
};

const char *fleet_status_name(enum fleet_status s)
{
	return (unsigned)s < _FLEET_STATUS_MAX ? status_names[s] : "unknown";
}

int fleet_status_from_name(const char *name)
{
	for (size_t i = 0; name && i < _FLEET_STATUS_MAX; i++)
		if (strcmp(name, status_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *fleet_state_name(enum fleet_state s)
{
	return (unsigned)s < _FLEET_STATE_MAX ? fleet_state_names[s] : "unknown";
}

int fleet_state_from_name(const char *name)
{
	for (size_t i = 0; name && i < _FLEET_STATE_MAX; i++)
		if (strcmp(name, fleet_state_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static int64_t today(int64_t now)
{
	return now / (86400LL * 1000);
}

/* --- the first screen ------------------------------------------------------------------------ */

static int summary_devices(struct store *s, int64_t now, struct fleet_summary *sum)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(
		s,
		"SELECT status, CASE WHEN counted = 0 THEN 0 WHEN failing > 0 THEN 2"
		" ELSE 1 END, count(*) FROM ("
		"  SELECT " STATUS " AS status, CASE WHEN " COUNTED " THEN 1 ELSE 0 END AS counted,"
		"   " FAILING " AS failing"
		"  FROM devices d LEFT JOIN identities i USING (device_id)"
		"  WHERE COALESCE(i.state, 'active') = 'active'"
		" ) x GROUP BY 1, 2"
		" UNION ALL"
		" SELECT 5, 0, count(*) FROM identities i WHERE i.state = 'active'"
		"  AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = i.device_id)",
		&stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, now);
	while ((rc = db_step(stmt)) == 1) {
		int status = db_column_int64(stmt, 0), compliance = db_column_int64(stmt, 1);
		int64_t n = db_column_int64(stmt, 2);

		if (status < 0 || status >= _FLEET_STATUS_MAX)
			continue;
		sum->status[status] += n;
		sum->devices += n;
		if (compliance == FLEET_COMPLIANT)
			sum->compliant += n;
		else if (compliance == FLEET_NONCOMPLIANT)
			sum->noncompliant += n;
	}
	return rc;
}

static int summary_identities(struct store *s, struct fleet_summary *sum)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT count(*) FILTER (WHERE state = 'retired'),"
			 " count(*) FILTER (WHERE state = 'revoked') FROM identities",
			 &stmt);
	if (r < 0)
		return r;
	rc = db_step(stmt);
	if (rc != 1)
		return rc;
	sum->retired = db_column_int64(stmt, 0);
	sum->revoked = db_column_int64(stmt, 1);
	return 0;
}

static int summary_days(struct store *s, int64_t now, struct fleet_summary *sum)
{
	_cleanup_stmt_ struct db_stmt *totals = NULL, *trend = NULL;
	int64_t day = today(now);
	int rc, r;

	r = store_cached(
		s,
		"SELECT COALESCE(sum(watched_seconds), 0), COALESCE(sum(asleep_seconds), 0),"
		" COALESCE(sum(stopped_seconds), 0), COALESCE(sum(lost_records), 0)"
		" FROM fleet_daily WHERE day > ?1",
		&totals);
	if (r < 0)
		return r;
	db_bind_int64(totals, 1, day - FLEET_TREND_DAYS);
	rc = db_step(totals);
	if (rc != 1)
		return rc;
	sum->watched_seconds = db_column_int64(totals, 0);
	sum->asleep_seconds = db_column_int64(totals, 1);
	sum->stopped_seconds = db_column_int64(totals, 2);
	sum->lost_records = db_column_int64(totals, 3);

	/* Past days as rolled up; today is the state now. */
	r = store_cached(s,
			 "SELECT day, compliant, noncompliant FROM fleet_daily"
			 " WHERE day > ?1 AND day < ?2 AND rolled_up > 0 ORDER BY day",
			 &trend);
	if (r < 0)
		return r;
	db_bind_int64(trend, 1, day - FLEET_TREND_DAYS);
	db_bind_int64(trend, 2, day);
	sum->n_trend = 0;
	while ((rc = db_step(trend)) == 1 && sum->n_trend < FLEET_TREND_DAYS - 1)
		sum->trend[sum->n_trend++] = (struct fleet_day){
			.day = db_column_int64(trend, 0),
			.compliant = db_column_int64(trend, 1),
			.noncompliant = db_column_int64(trend, 2),
		};
	if (rc != 1 && rc != 0)
		return rc;
	sum->trend[sum->n_trend++] = (struct fleet_day){
		.day = day,
		.compliant = sum->compliant,
		.noncompliant = sum->noncompliant,
	};
	return 0;
}

int store_fleet_summary(struct store *s, int64_t now, struct fleet_summary *ret)
{
	struct fleet_summary sum = {};
	int r;

	if ((r = summary_devices(s, now, &sum)) < 0 || (r = summary_identities(s, &sum)) < 0 ||
	    (r = summary_days(s, now, &sum)) < 0)
		return r;
	*ret = sum;
	return 0;
}

/* --- rules ----------------------------------------------------------------------------------- */

/*
 * The rules' counts, built from the few rows that differ from the plain
 * count, not by looking at every state: all states by rule (a scan of an
 * index), less those of the devices not counted (few: missing, revoked,
 * never), with the exempt ones moved to exempt (exemptions are few, and a
 * fleet-wide one takes all of its rule).  With 10,000 devices of 30 rules
 * that is 40 ms where asking each state whether it is exempt was a second.
 */
struct rule_counts {
	struct fleet_rule *rules; /* by id, as GROUP BY gives them */
	size_t n, allocated;
};

static struct fleet_rule *rule_counts_find(struct rule_counts *rc, const char *id)
{
	size_t lo = 0, hi = rc->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(rc->rules[mid].id, id);

		if (c == 0)
			return &rc->rules[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Adds sign * each (rule, state, count) row of stmt; with to_exempt, moves them to exempt. */
static int rule_counts_apply(struct rule_counts *rc, struct db_stmt *stmt, bool to_exempt)
{
	int rc_step;

	while ((rc_step = db_step(stmt)) == 1) {
		struct fleet_rule *r = rule_counts_find(rc, store_column_text(stmt, 0));
		int state = db_column_int64(stmt, 1);
		int64_t n = db_column_int64(stmt, 2);

		if (!r || state < 0 || state >= FLEET_EXEMPT)
			continue;
		r->count[state] -= n;
		if (to_exempt)
			r->count[FLEET_EXEMPT] += n;
	}
	return rc_step;
}

static int rule_counts_all(struct store *s, const char *rule_id, struct rule_counts *rc)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc_step, r;

	r = store_cached(
		s,
		"SELECT rule_id, state, count(*) FROM check_state"
		" WHERE CAST(?1 AS TEXT) IS NULL OR rule_id = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
		&stmt);
	if (r < 0)
		return r;
	if (rule_id)
		db_bind_text(stmt, 1, rule_id);
	while ((rc_step = db_step(stmt)) == 1) {
		const char *id = store_column_text(stmt, 0);
		int state = db_column_int64(stmt, 1);
		struct fleet_rule *last = rc->n ? &rc->rules[rc->n - 1] : NULL;

		if (!last || strcmp(last->id, id) != 0) {
			if (rc->n == rc->allocated) {
				size_t want = MAX(rc->allocated * 2, (size_t)32);
				struct fleet_rule *p = reallocarray(rc->rules, want, sizeof(*p));

				if (!p)
					return -ENOMEM;
				rc->rules = p;
				rc->allocated = want;
			}
			last = &rc->rules[rc->n++];
			*last = (struct fleet_rule){};
			store_copy_text(last->id, sizeof(last->id), id);
		}
		if (state >= 0 && state < FLEET_EXEMPT)
			last->count[state] += db_column_int64(stmt, 2);
	}
	return rc_step;
}

static int rule_counts_uncounted(struct store *s, int64_t now, const char *rule_id,
				 struct rule_counts *rc)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(
		s,
		"SELECT cs.rule_id, cs.state, count(*) FROM check_state cs"
		" WHERE (CAST(?2 AS TEXT) IS NULL OR cs.rule_id = ?2) AND cs.device_id IN ("
		"  SELECT d.device_id FROM devices d LEFT JOIN identities i USING (device_id)"
		"  WHERE NOT " COUNTED ") GROUP BY 1, 2",
		&stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, now);
	if (rule_id)
		db_bind_text(stmt, 2, rule_id);
	return rule_counts_apply(rc, stmt, false);
}

static int rule_counts_exempt(struct store *s, int64_t now, const char *rule_id,
			      struct rule_counts *rc)
{
	_cleanup_stmt_ struct db_stmt *wide = NULL, *one = NULL;
	int rc_step, r;

	/* A fleet-wide exemption: every counted state of its rule is exempt. */
	r = store_cached(
		s,
		"SELECT DISTINCT rule_id FROM exemptions WHERE device_id IS NULL"
		" AND revoked IS NULL AND expires > ?1 AND (CAST(?2 AS TEXT) IS NULL OR rule_id = ?2)",
		&wide);
	if (r < 0)
		return r;
	db_bind_int64(wide, 1, now);
	if (rule_id)
		db_bind_text(wide, 2, rule_id);
	while ((rc_step = db_step(wide)) == 1) {
		struct fleet_rule *rule = rule_counts_find(rc, store_column_text(wide, 0));

		for (int i = 0; rule && i < FLEET_EXEMPT; i++) {
			rule->count[FLEET_EXEMPT] += rule->count[i];
			rule->count[i] = 0;
		}
	}
	if (rc_step != 0)
		return rc_step;

	/* One device's: each (device, rule) once, however many exemptions it has. */
	r = store_cached(
		s,
		"SELECT cs.rule_id, cs.state, count(*) FROM (SELECT DISTINCT e.device_id,"
		"  e.rule_id FROM exemptions e WHERE e.device_id IS NOT NULL"
		"  AND e.revoked IS NULL AND e.expires > ?1 AND (CAST(?2 AS TEXT) IS NULL OR e.rule_id = ?2)"
		"  AND NOT EXISTS (SELECT 1 FROM exemptions w WHERE w.device_id IS NULL"
		"   AND w.rule_id = e.rule_id AND w.revoked IS NULL AND w.expires > ?1)) x"
		" JOIN check_state cs ON cs.device_id = x.device_id AND cs.rule_id = x.rule_id"
		" JOIN devices d ON d.device_id = x.device_id"
		" LEFT JOIN identities i ON i.device_id = x.device_id"
		" WHERE " COUNTED " GROUP BY 1, 2",
		&one);
	if (r < 0)
		return r;
	db_bind_int64(one, 1, now);
	if (rule_id)
		db_bind_text(one, 2, rule_id);
	return rule_counts_apply(rc, one, true);
}

/* The texts of the rules rc counts. */
static int rule_counts_texts(struct store *s, struct rule_counts *rc)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "SELECT title, severity, type, message, remediation, last_seen FROM rules"
			 " WHERE rule_id = ?1",
			 &stmt);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rc->n; i++) {
		struct fleet_rule *rule = &rc->rules[i];
		int rc_step;

		db_bind_text(stmt, 1, rule->id);
		rc_step = db_step(stmt);
		if (rc_step == 1) {
			store_copy_text(rule->title, sizeof(rule->title),
					store_column_text(stmt, 0));
			store_copy_text(rule->severity, sizeof(rule->severity),
					store_column_text(stmt, 1));
			store_copy_text(rule->type, sizeof(rule->type), store_column_text(stmt, 2));
			store_copy_text(rule->message, sizeof(rule->message),
					store_column_text(stmt, 3));
			store_copy_text(rule->remediation, sizeof(rule->remediation),
					store_column_text(stmt, 4));
			rule->last_seen = db_column_int64(stmt, 5);
		} else if (rc_step != 0) {
			return rc_step;
		}
		db_reset(stmt);
	}
	return 0;
}

static int rule_counts_get(struct store *s, int64_t now, const char *rule_id,
			   struct rule_counts *rc)
{
	int r;

	if ((r = rule_counts_all(s, rule_id, rc)) < 0 ||
	    (r = rule_counts_uncounted(s, now, rule_id, rc)) < 0 ||
	    (r = rule_counts_exempt(s, now, rule_id, rc)) < 0)
		return r;
	return rule_counts_texts(s, rc);
}

static int64_t rule_total(const struct fleet_rule *r)
{
	return r->count[FLEET_PASS] + r->count[FLEET_FAIL] + r->count[FLEET_UNKNOWN] +
	       r->count[FLEET_EXEMPT];
}

/* Least met first: most failing, then most unknown, then by id. */
static int rule_cmp(const void *a, const void *b)
{
	const struct fleet_rule *x = a, *y = b;

	if (x->count[FLEET_FAIL] != y->count[FLEET_FAIL])
		return x->count[FLEET_FAIL] > y->count[FLEET_FAIL] ? -1 : 1;
	if (x->count[FLEET_UNKNOWN] != y->count[FLEET_UNKNOWN])
		return x->count[FLEET_UNKNOWN] > y->count[FLEET_UNKNOWN] ? -1 : 1;
	return strcmp(x->id, y->id);
}

int store_fleet_rules(struct store *s, int64_t now,
		      int (*cb)(const struct fleet_rule *r, void *userdata), void *userdata)
{
	struct rule_counts rc = {};
	int r;

	r = rule_counts_get(s, now, NULL, &rc);
	if (r >= 0)
		qsort(rc.rules, rc.n, sizeof(rc.rules[0]), rule_cmp);
	for (size_t i = 0; r >= 0 && i < rc.n; i++)
		if (rule_total(&rc.rules[i]) > 0)
			r = cb(&rc.rules[i], userdata);
	free(rc.rules);
	return r < 0 ? r : 0;
}

static int rule_trend(struct store *s, int64_t now, const char *rule_id, struct fleet_day *days,
		      size_t n_days, size_t *ret_n)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	size_t n = 0;
	int rc, r;

	r = store_cached(s,
			 "SELECT day, pass, fail, unknown, exempt FROM rule_daily"
			 " WHERE rule_id = ?2 AND day > ?1 AND day < ?3 ORDER BY day",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, today(now) - (int64_t)n_days);
	db_bind_text(stmt, 2, rule_id);
	db_bind_int64(stmt, 3, today(now));
	while ((rc = db_step(stmt)) == 1 && n + 1 < n_days)
		days[n++] = (struct fleet_day){
			.day = db_column_int64(stmt, 0),
			.pass = db_column_int64(stmt, 1),
			.fail = db_column_int64(stmt, 2),
			.unknown = db_column_int64(stmt, 3),
			.exempt = db_column_int64(stmt, 4),
		};
	if (rc != 1 && rc != 0)
		return rc;
	*ret_n = n;
	return 0;
}

int store_fleet_rule(struct store *s, int64_t now, const char *rule_id, struct fleet_rule *ret,
		     struct fleet_day *days, size_t n_days, size_t *ret_n)
{
	struct rule_counts rc = {};
	size_t n = 0;
	int r;

	r = rule_counts_get(s, now, rule_id, &rc);
	if (r >= 0 && rc.n == 0) {
		/* A rule no device has any more still has a page: its texts, zero counts. */
		rc.rules = calloc(1, sizeof(*rc.rules));
		if (!rc.rules)
			return -ENOMEM;
		rc.n = 1;
		store_copy_text(rc.rules[0].id, sizeof(rc.rules[0].id), rule_id);
		r = rule_counts_texts(s, &rc);
		if (r >= 0 && rc.rules[0].last_seen == 0)
			r = -ENOENT;
	}
	if (r >= 0)
		*ret = rc.rules[0];
	free(rc.rules);
	if (r < 0)
		return r;
	if (!days || n_days == 0)
		return 0;
	r = rule_trend(s, now, rule_id, days, n_days, &n);
	if (r < 0)
		return r;
	/* Today is the state now. */
	days[n++] = (struct fleet_day){
		.day = today(now),
		.pass = ret->count[FLEET_PASS],
		.fail = ret->count[FLEET_FAIL],
		.unknown = ret->count[FLEET_UNKNOWN],
		.exempt = ret->count[FLEET_EXEMPT],
	};
	*ret_n = n;
	return 0;
}

/* --- devices --------------------------------------------------------------------------------- */

/*
 * Every device known, reported or only enrolled, as one row each; the
 * columns are those of device_from_row().  Parameters: ?1 now, ?2 a LIKE
 * pattern or NULL, ?3 status or -1, ?4 compliance or -1, ?5 a rule or NULL,
 * ?6 its state or -1, ?7 limit (-1 all), ?8 offset, ?9 one device or NULL.
 */
static const char devices_sql[] =
	"WITH dev AS ("
	" SELECT d.device_id, d.hostname, d.os, d.agent_version, COALESCE(o.owner, '') AS owner,"
	"  COALESCE(o.serial, '') AS serial, d.policy_id, d.policy_serial, " STATUS " AS status,"
	"  CASE WHEN " COUNTED " THEN 1 ELSE 0 END AS counted, " FAILING " AS failing,"
	"  d.first_seen, d.last_seen,"
	"  COALESCE(d.last_snapshot, 0) AS last_snapshot, d.interval_seconds, d.watched_per_mille,"
	"  d.records_lost, d.agent_healthy, d.key_storage, COALESCE(i.state, '') AS istate,"
	"  COALESCE(i.enrolled, 0) AS enrolled, COALESCE(i.not_after, 0) AS not_after,"
	"  COALESCE(i.serial, '') AS cert_serial, d.kernel_lost"
	" FROM devices d LEFT JOIN identities i USING (device_id)"
	"  LEFT JOIN device_owner o USING (device_id)"
	" WHERE COALESCE(i.state, 'active') = 'active' AND (CAST(?9 AS TEXT) IS NULL OR d.device_id = ?9)"
	" UNION ALL"
	" SELECT i.device_id, '', '', '', COALESCE(o.owner, ''), COALESCE(o.serial, ''), '', 0, 5, 0,"
	"  0, COALESCE(i.enrolled, 0), 0, 0, 900, -1, 0, 1, '', i.state, COALESCE(i.enrolled, 0),"
	"  COALESCE(i.not_after, 0), COALESCE(i.serial, ''), 0"
	" FROM identities i LEFT JOIN device_owner o USING (device_id)"
	" WHERE i.state = 'active' AND (CAST(?9 AS TEXT) IS NULL OR i.device_id = ?9)"
	"  AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = i.device_id)"
	")"
	/* The filters read the columns computed here, so they are a level out (x). */
	" SELECT x.*, count(*) OVER () FROM ("
	" SELECT dev.*, CASE WHEN dev.counted = 0 THEN 0 WHEN dev.failing > 0 THEN 2 ELSE 1 END"
	"  AS compliance,"
	"  CASE WHEN cs.rule_id IS NULL THEN -1 WHEN " EXEMPT " THEN 3 ELSE cs.state END AS rstate,"
	"  COALESCE(cs.since, 0) AS rsince, COALESCE(cs.reason, '') AS rreason"
	" FROM dev LEFT JOIN check_state cs ON CAST(?5 AS TEXT) IS NOT NULL"
	"  AND cs.device_id = dev.device_id AND cs.rule_id = ?5"
	" ) x"
	" WHERE (CAST(?2 AS TEXT) IS NULL OR lower(x.hostname) LIKE ?2 ESCAPE '\\'"
	"   OR lower(x.device_id) LIKE ?2 ESCAPE '\\' OR lower(x.owner) LIKE ?2 ESCAPE '\\'"
	"   OR lower(x.serial) LIKE ?2 ESCAPE '\\' OR lower(x.cert_serial) LIKE ?2 ESCAPE '\\')"
	"  AND (?3 < 0 OR x.status = ?3)"
	"  AND (?4 < 0 OR x.compliance = ?4)"
	"  AND (CAST(?5 AS TEXT) IS NULL OR (x.rstate >= 0 AND x.counted = 1))"
	"  AND (?6 < 0 OR x.rstate = ?6)"
	" ORDER BY CASE WHEN CAST(?5 AS TEXT) IS NOT NULL THEN x.rsince END, lower(x.hostname),"
	"  x.device_id"
	" LIMIT CASE WHEN ?7 < 0 THEN 9223372036854775807 ELSE ?7 END OFFSET ?8";

static void device_from_row(struct db_stmt *stmt, struct fleet_device *d)
{
	*d = (struct fleet_device){
		.policy_serial = db_column_int64(stmt, 7),
		.status = (enum fleet_status)db_column_int64(stmt, 8),
		.failing = db_column_int64(stmt, 10),
		.first_seen = db_column_int64(stmt, 11),
		.last_seen = db_column_int64(stmt, 12),
		.last_snapshot = db_column_int64(stmt, 13),
		.interval_seconds = db_column_int64(stmt, 14),
		.watched_per_mille = db_column_int64(stmt, 15),
		.records_lost = db_column_int64(stmt, 16),
		.agent_healthy = db_column_int64(stmt, 17),
		.enrolled = db_column_int64(stmt, 20),
		.cert_not_after = db_column_int64(stmt, 21),
		.kernel_lost = db_column_int64(stmt, 23),
		.compliance = (enum fleet_compliance)db_column_int64(stmt, 24),
		.rule_state = (enum fleet_state)db_column_int64(stmt, 25),
		.rule_since = db_column_int64(stmt, 26),
	};
	store_copy_text(d->device_id, sizeof(d->device_id), store_column_text(stmt, 0));
	store_copy_text(d->hostname, sizeof(d->hostname), store_column_text(stmt, 1));
	store_copy_text(d->os, sizeof(d->os), store_column_text(stmt, 2));
	store_copy_text(d->agent_version, sizeof(d->agent_version), store_column_text(stmt, 3));
	store_copy_text(d->owner, sizeof(d->owner), store_column_text(stmt, 4));
	store_copy_text(d->serial, sizeof(d->serial), store_column_text(stmt, 5));
	store_copy_text(d->policy_id, sizeof(d->policy_id), store_column_text(stmt, 6));
	store_copy_text(d->key_storage, sizeof(d->key_storage), store_column_text(stmt, 18));
	store_copy_text(d->identity_state, sizeof(d->identity_state), store_column_text(stmt, 19));
	store_copy_text(d->cert_serial, sizeof(d->cert_serial), store_column_text(stmt, 22));
	store_copy_text(d->rule_reason, sizeof(d->rule_reason), store_column_text(stmt, 27));
}

/*
 * "%q%" with LIKE's own characters escaped (a search is for what was
 * typed), in ASCII lower case, as lower() makes the columns it is matched
 * with on either engine.
 */
static char *like_pattern(const char *q)
{
	size_t n = strlen(q);
	char *p = malloc(2 * n + 3), *o = p;

	if (!p)
		return NULL;
	*o++ = '%';
	for (const char *c = q; *c; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			*o++ = '\\';
		*o++ = *c >= 'A' && *c <= 'Z' ? (char)(*c + ('a' - 'A')) : *c;
	}
	*o++ = '%';
	*o = '\0';
	return p;
}

static int devices_query(struct store *s, int64_t now, const struct fleet_device_filter *f,
			 const char *device_id,
			 int (*cb)(const struct fleet_device *d, void *userdata), void *userdata,
			 int64_t *ret_total)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	_cleanup_free_ struct fleet_device *d = NULL;
	_cleanup_free_ char *like = NULL;
	int64_t total = 0;
	int rc, r;

	r = store_cached(s, devices_sql, &stmt);
	if (r < 0)
		return r;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (f->q && f->q[0]) {
		like = like_pattern(f->q);
		if (!like)
			return -ENOMEM;
	}
	db_bind_int64(stmt, 1, now);
	if (like)
		db_bind_text(stmt, 2, like);
	db_bind_int64(stmt, 3, f->status);
	db_bind_int64(stmt, 4, f->compliance);
	if (f->rule)
		db_bind_text(stmt, 5, f->rule);
	db_bind_int64(stmt, 6, f->rule ? f->rule_state : -1);
	db_bind_int64(stmt, 7, f->limit > 0 ? f->limit : -1);
	db_bind_int64(stmt, 8, MAX(f->offset, (int64_t)0));
	if (device_id)
		db_bind_text(stmt, 9, device_id);
	while ((rc = db_step(stmt)) == 1) {
		total = db_column_int64(stmt, 28);
		device_from_row(stmt, d);
		r = cb(d, userdata);
		if (r < 0)
			return r;
	}
	if (rc != 0)
		return rc;
	if (ret_total)
		*ret_total = total;
	return 0;
}

static int ignore_device(const struct fleet_device *d, void *userdata)
{
	return 0;
}

int store_fleet_devices(struct store *s, int64_t now, const struct fleet_device_filter *filter,
			int (*cb)(const struct fleet_device *d, void *userdata), void *userdata,
			int64_t *ret_total)
{
	int64_t total = 0;
	int r;

	r = devices_query(s, now, filter, NULL, cb, userdata, &total);
	if (r < 0)
		return r;
	/* A page past the end has no row to carry the total: ask again, without the page. */
	if (total == 0 && filter->offset > 0 && ret_total) {
		struct fleet_device_filter all = *filter;

		all.offset = 0;
		all.limit = 1;
		r = devices_query(s, now, &all, NULL, ignore_device, NULL, &total);
		if (r < 0)
			return r;
	}
	if (ret_total)
		*ret_total = total;
	return 0;
}

static int copy_device(const struct fleet_device *d, void *userdata)
{
	memcpy(userdata, d, sizeof(*d));
	return 1;
}

int store_fleet_device(struct store *s, int64_t now, const char *device_id,
		       struct fleet_device *ret)
{
	struct fleet_device_filter f = { .status = -1, .compliance = -1, .rule_state = -1 };
	int64_t total = 0;
	int r;

	r = devices_query(s, now, &f, device_id, copy_device, ret, &total);
	if (r < 0)
		return r;
	return total > 0 ? 0 : -ENOENT;
}

int store_fleet_device_checks(struct store *s, int64_t now, const char *device_id,
			      int (*cb)(const struct fleet_check *c, void *userdata),
			      void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	_cleanup_free_ struct fleet_check *c = NULL;
	int rc, r;

	r = store_cached(
		s,
		"SELECT x.rule_id, COALESCE(r.title, ''), COALESCE(r.severity, ''),"
		" CASE WHEN x.eid IS NOT NULL THEN 3 ELSE x.state END AS eff, x.state, x.since,"
		" COALESCE(x.previous, -1), x.reason, COALESCE(r.message, ''),"
		" COALESCE(r.remediation, ''), COALESCE(x.eid, 0),"
		" COALESCE((SELECT expires FROM exemptions WHERE id = x.eid), 0)"
		" FROM (SELECT cs.*, (SELECT e.id FROM exemptions e WHERE e.rule_id = cs.rule_id"
		"   AND e.revoked IS NULL AND e.expires > ?1"
		"   AND (e.device_id IS NULL OR e.device_id = cs.device_id)"
		"   ORDER BY e.expires DESC LIMIT 1) AS eid"
		"  FROM check_state cs WHERE cs.device_id = ?2) x"
		" LEFT JOIN rules r USING (rule_id)"
		/* Failing first, then unknown, exempt, passing (eff, spelt out for PostgreSQL). */
		" ORDER BY CASE WHEN x.eid IS NOT NULL THEN 2 WHEN x.state = 1 THEN 0"
		"  WHEN x.state = 2 THEN 1 ELSE 3 END, x.rule_id",
		&stmt);
	if (r < 0)
		return r;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	db_bind_int64(stmt, 1, now);
	db_bind_text(stmt, 2, device_id);
	while ((rc = db_step(stmt)) == 1) {
		*c = (struct fleet_check){
			.state = (enum fleet_state)db_column_int64(stmt, 3),
			.reported = (enum fleet_state)db_column_int64(stmt, 4),
			.since = db_column_int64(stmt, 5),
			.previous = db_column_int64(stmt, 6),
			.exemption_id = db_column_int64(stmt, 10),
			.exemption_expires = db_column_int64(stmt, 11),
		};
		store_copy_text(c->rule_id, sizeof(c->rule_id), store_column_text(stmt, 0));
		store_copy_text(c->title, sizeof(c->title), store_column_text(stmt, 1));
		store_copy_text(c->severity, sizeof(c->severity), store_column_text(stmt, 2));
		store_copy_text(c->reason, sizeof(c->reason), store_column_text(stmt, 7));
		store_copy_text(c->message, sizeof(c->message), store_column_text(stmt, 8));
		store_copy_text(c->remediation, sizeof(c->remediation), store_column_text(stmt, 9));
		r = cb(c, userdata);
		if (r < 0)
			return r;
	}
	return rc;
}

int store_fleet_device_records(struct store *s, const char *device_id, int64_t class_uid,
			       unsigned limit,
			       int (*cb)(int64_t received, int64_t time, int64_t class_uid,
					 const char *json, size_t size, void *userdata),
			       void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT received, time, class_uid, record FROM records"
			 " WHERE device_id = ?1 AND (?2 = 0 OR class_uid = ?2)"
			 " ORDER BY time DESC LIMIT ?3",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	db_bind_int64(stmt, 2, class_uid);
	db_bind_int64(stmt, 3, limit);
	while ((rc = db_step(stmt)) == 1) {
		r = cb(db_column_int64(stmt, 0), db_column_int64(stmt, 1), db_column_int64(stmt, 2),
		       store_column_text(stmt, 3), (size_t)db_column_bytes(stmt, 3), userdata);
		if (r < 0)
			return r;
	}
	return rc;
}

int store_fleet_exemptions(struct store *s, int64_t now, bool all, const char *device_id,
			   const char *rule_id,
			   int (*cb)(const struct fleet_exemption *e, void *userdata),
			   void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	_cleanup_free_ struct fleet_exemption *e = NULL;
	int rc, r;

	r = store_cached(
		s,
		"SELECT id, COALESCE(device_id, ''), rule_id, reason, created, expires,"
		" COALESCE(revoked, 0), created_by, COALESCE(revoked_by, '') FROM exemptions"
		" WHERE (?2 <> 0 OR (revoked IS NULL AND expires > ?1))"
		"  AND (CAST(?3 AS TEXT) IS NULL OR device_id = ?3 OR device_id IS NULL)"
		"  AND (CAST(?4 AS TEXT) IS NULL OR rule_id = ?4)"
		" ORDER BY id DESC",
		&stmt);
	if (r < 0)
		return r;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	db_bind_int64(stmt, 1, now);
	db_bind_int64(stmt, 2, all);
	if (device_id)
		db_bind_text(stmt, 3, device_id);
	if (rule_id)
		db_bind_text(stmt, 4, rule_id);
	while ((rc = db_step(stmt)) == 1) {
		*e = (struct fleet_exemption){
			.id = db_column_int64(stmt, 0),
			.created = db_column_int64(stmt, 4),
			.expires = db_column_int64(stmt, 5),
			.revoked = db_column_int64(stmt, 6),
		};
		store_copy_text(e->device_id, sizeof(e->device_id), store_column_text(stmt, 1));
		store_copy_text(e->rule_id, sizeof(e->rule_id), store_column_text(stmt, 2));
		store_copy_text(e->reason, sizeof(e->reason), store_column_text(stmt, 3));
		store_copy_text(e->created_by, sizeof(e->created_by), store_column_text(stmt, 7));
		store_copy_text(e->revoked_by, sizeof(e->revoked_by), store_column_text(stmt, 8));
		r = cb(e, userdata);
		if (r < 0)
			return r;
	}
	return rc;
}
