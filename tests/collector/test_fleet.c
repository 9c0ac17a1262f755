// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view against the real collector: devices enrolled over EST,
 * each with its own certificate, post snapshots, findings, losses and
 * lifecycle records over mutual TLS; people with certificates of the
 * people's CA (and a sign-on proxy's headers) read the pages and the API.
 * Every number of the first screen is checked against what this file
 * posted, computed from its own model of the fleet, never read back from
 * the collector's tables.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "harness.h"
#include "harness_browser.h"
#include "harness_enroll.h"
#include "basic/json-util.h"

#define N_DEVICES 24
#define FLEET_DB  "fleet.db"

/* Devices with a part to play; the others only pass and fail rules. */
#define DEV_HOSTILE 0 /* its host name is markup */
#define DEV_CHANGED 3 /* its disk-encryption failure is fixed in a second snapshot */
#define DEV_LOSS    2 /* reports 7 records lost */
#define DEV_ODD	    5 /* has a rule whose id has quotes */
#define DEV_EXEMPT  6 /* gets an exemption for disk-encryption */
#define DEV_MISSING 20 /* last heard of 31 days ago */
#define DEV_SILENT  21 /* snapshot interval 1 s, then nothing */
#define DEV_STOPPED 22 /* its agent said it stopped */
#define DEV_NEVER   23 /* enrolled, never reported */
#define LOST	    7
#define ODD_RULE    "odd\"rule'id"

static struct {
	struct collector c;
	struct enroll_token tok;
	struct enroll_device dev[N_DEVICES + 1]; /* the last one is revoked */
	char ui_ca[512];
	long long posted_watched, posted_asleep, posted_stopped;
	long long seq[N_DEVICES];
	long long since_base; /* the rules' since in the next snapshot; 0: an hour ago */
	char exemption_id[24];
} F;

/* --- the model: what each device says -------------------------------------------------------- */

static bool fails_disk(int i)
{
	return i % 3 == 0 && i != DEV_CHANGED;
}

static bool fails_vnc(int i)
{
	return i % 6 == 1;
}

static bool unknown_lock(int i)
{
	return i % 4 == 0;
}

/* Counted for compliance: a snapshot, heard of within 30 days. */
static bool counted(int i)
{
	return i != DEV_NEVER && i != DEV_MISSING && i < N_DEVICES;
}

static bool noncompliant(int i, bool with_exemption)
{
	return (fails_disk(i) && !(with_exemption && i == DEV_EXEMPT)) || fails_vnc(i);
}

/* --- posting ------------------------------------------------------------------------------------ */

static const char *state_text(bool fail, bool unknown)
{
	return fail ? "failing" : unknown ? "unknown" : "passing";
}

static int rule_json(char **buf, size_t *size, const char *id, const char *title, const char *type,
		     const char *state, long long since, const char *reason)
{
	return records_printf(buf, size,
			      "%s{\"id\":\"%s\",\"title\":\"%s\",\"severity\":\"high\","
			      "\"type\":\"%s\",\"mode\":\"monitor\",\"enabled\":true,"
			      "\"state\":\"%s\",\"since\":%lld%s%s%s,"
			      "\"message\":{\"en\":\"%s is not as the policy wants\",\"ja\":\"x\"},"
			      "\"remediation\":{\"en\":\"Fix %s\"}}",
			      (*buf)[strlen(*buf) - 1] == '[' ? "" : ",", id, title, type, state,
			      since, reason ? ",\"reason\":\"" : "", reason ? reason : "",
			      reason ? "\"" : "", title, title);
}

static void hostname_of(int i, char *buf, size_t size)
{
	if (i == DEV_HOSTILE)
		snprintf(buf, size, "<script>alert(1)</script>");
	else
		snprintf(buf, size, "laptop-%02d", i);
}

/* One snapshot of device i as its agent would send it. */
static int snapshot(char **buf, size_t *size, int i, long long seq, bool second)
{
	const char *id = F.dev[i].id, *odd_id = "odd\\\"rule'id";
	long long now = realtime_ms(), since = F.since_base ? F.since_base : now - 3600 * 1000LL;
	bool disk = second ? false : (i % 3 == 0);
	char host[64];
	int r;

	hostname_of(i, host, sizeof(host));
	r = records_printf(
		buf, size,
		"{\"time\":%lld,\"class_uid\":5001,\"category_uid\":5,\"activity_id\":2,"
		"\"metadata\":{\"version\":\"1.9.0-dev\",\"log_name\":\"posture\"},"
		"\"device\":{\"uid\":\"%s\",\"hostname\":\"%s\"},\"postured\":{\"seq\":%lld,"
		"\"boot_uid\":\"%s\",\"posture\":{\"compliant\":%s,\"device\":{\"uid\":\"%s\","
		"\"hostname\":\"%s\",\"os\":\"Debian GNU/Linux 12\"},\"agent\":{\"version\":"
		"\"0.1.0\",\"healthy\":true,\"records_lost\":%d},\"policy\":{\"id\":"
		"\"telework-baseline\",\"serial\":3},\"rules\":[",
		now, id, host, seq, BOOT_UID, noncompliant(i, false) ? "false" : "true", id, host,
		i == DEV_LOSS ? LOST : 0);
	if (r >= 0)
		r = rule_json(buf, size, "disk-encryption", "Disk encryption", "check",
			      state_text(disk, false), second ? now - 1000 : since,
			      disk ? "the root file system is not encrypted" : NULL);
	if (r >= 0)
		r = rule_json(buf, size, "screen-lock", "Screen lock", "check",
			      state_text(false, unknown_lock(i)), since,
			      unknown_lock(i) ? "no session to ask" : NULL);
	if (r >= 0)
		r = rule_json(buf, size, "remote-desktop-x11vnc", "x11vnc remote desktop",
			      "process", state_text(fails_vnc(i), false), since, NULL);
	if (r >= 0)
		r = rule_json(buf, size, "firewall", "Firewall", "check", "passing", since, NULL);
	if (r >= 0 && i == DEV_ODD)
		r = rule_json(buf, size, odd_id, "Odd \\\"quoted\\\" rule", "check", "passing",
			      since, NULL);
	if (r >= 0)
		r = records_printf(buf, size,
				   "]},\"completeness\":{\"interval_seconds\":1000,"
				   "\"watched_seconds\":900,\"asleep_seconds\":60,"
				   "\"stopped_seconds\":40,\"watched_per_mille\":900},"
				   "\"snapshot_interval_seconds\":%d}}\n",
				   i == DEV_SILENT ? 1 : 900);
	F.posted_watched += 900;
	F.posted_asleep += 60;
	F.posted_stopped += 40;
	return r;
}

static int lifecycle(char **buf, size_t *size, int i, long long seq, const char *event)
{
	return records_printf(buf, size,
			      "{\"time\":%lld,\"class_uid\":6002,\"metadata\":{\"version\":"
			      "\"1.9.0-dev\",\"log_name\":\"agent\"},\"device\":{\"uid\":\"%s\"},"
			      "\"postured\":{\"event\":\"%s\",\"seq\":%lld,\"boot_uid\":\"%s\"}}\n",
			      realtime_ms(), F.dev[i].id, event, seq, BOOT_UID);
}

static int loss(char **buf, size_t *size, int i, long long seq)
{
	return records_printf(buf, size,
			      "{\"time\":%lld,\"class_uid\":5001,\"metadata\":{\"version\":"
			      "\"1.9.0-dev\",\"log_name\":\"records_lost\"},\"device\":{\"uid\":"
			      "\"%s\"},\"postured\":{\"event\":\"records_lost\",\"count\":%d,"
			      "\"dropped\":%d,\"unwritten\":0,\"lost_total\":%d,\"seq\":%lld,"
			      "\"boot_uid\":\"%s\"}}\n",
			      realtime_ms(), F.dev[i].id, LOST, LOST, LOST, seq, BOOT_UID);
}

static int finding(char **buf, size_t *size, int i, long long seq)
{
	return records_printf(
		buf, size,
		"{\"time\":%lld,\"class_uid\":2003,\"severity_id\":4,\"severity\":\"High\","
		"\"metadata\":{\"version\":\"1.9.0-dev\",\"log_name\":\"finding\"},\"device\":"
		"{\"uid\":\"%s\"},\"finding_info\":{\"uid\":\"f%d\",\"title\":\"Disk encryption\"},"
		"\"compliance\":{\"control\":\"disk-encryption\",\"status\":\"Fail\"},"
		"\"postured\":{\"finding\":\"check_failing\",\"seq\":%lld,\"boot_uid\":\"%s\"}}\n",
		realtime_ms(), F.dev[i].id, i, seq, BOOT_UID);
}

/* POSTs body with device i's own certificate; the status. */
static long post(struct harness *t, int i, const char *body)
{
	struct http h = {
		.method = "POST",
		.path = "/v1/reports",
		.cert_path = F.dev[i].cert_path,
		.key_path = F.dev[i].key_path,
		.port = F.c.port,
		.body = body,
		.body_size = strlen(body),
	};
	long status;

	http_perform(t, &h);
	status = h.status;
	http_done(&h);
	return status;
}

/* --- asking the fleet view --------------------------------------------------------------------- */

/* GET (or POST form) path on the fleet view as person (pki/NAME.crt; NULL: no certificate). */
static void ui_request(struct harness *t, struct http *h, const char *person, const char *path)
{
	static char cert[512], key[512];

	h->path = path;
	h->port = F.c.ui_port;
	if (person) {
		snprintf(cert, sizeof(cert), "%s/%s.crt", t->pki, person);
		snprintf(key, sizeof(key), "%s/%s.key", t->pki, person);
		h->cert_path = cert;
		h->key_path = key;
	}
	http_perform(t, h);
}

static yajl_val get(yajl_val v, const char *path)
{
	char key[128];
	const char *dot;

	while (v && path && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", (int)(dot ? dot - path : (long)strlen(path)),
			 path);
		if (!YAJL_IS_OBJECT(v))
			return NULL;
		yajl_val next = NULL;
		for (size_t k = 0; k < v->u.object.len; k++)
			if (strcmp(v->u.object.keys[k], key) == 0)
				next = v->u.object.values[k];
		v = next;
		path = dot ? dot + 1 : NULL;
	}
	return v;
}

static long long get_int(yajl_val v, const char *path)
{
	v = get(v, path);
	return YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -999;
}

static const char *get_str(yajl_val v, const char *path)
{
	v = get(v, path);
	return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* GETs /api/v1/path as the viewer; the parsed answer (free with yajl_tree_free), NULL if not 200. */
static yajl_val api(struct harness *t, const char *path)
{
	struct http h = {};
	char full[512];
	yajl_val v = NULL;

	snprintf(full, sizeof(full), "/api/v1%s", path);
	ui_request(t, &h, "person-viewer", full);
	if (h.status == 200 && h.resp)
		v = yajl_tree_parse(h.resp, NULL, 0);
	else
		fprintf(stderr, "GET %s: %ld %s\n", full, h.status, h.resp ? h.resp : h.error);
	http_done(&h);
	return v;
}

/* The rule rule_id's object in the rules list v. */
static yajl_val rule_of(yajl_val list, const char *rule_id)
{
	yajl_val rules = get(list, "rules");

	for (size_t k = 0; YAJL_IS_ARRAY(rules) && k < rules->u.array.len; k++) {
		const char *id = get_str(rules->u.array.values[k], "rule_id");

		if (id && strcmp(id, rule_id) == 0)
			return rules->u.array.values[k];
	}
	return NULL;
}

/* The CSRF token of a form on the page in resp. */
static bool csrf_of(const char *resp, char *buf, size_t size)
{
	const char *p = resp ? strstr(resp, "name=\"csrf\" value=\"") : NULL, *end;

	if (!p)
		return false;
	p += strlen("name=\"csrf\" value=\"");
	end = strchr(p, '"');
	if (!end || (size_t)(end - p) >= size)
		return false;
	snprintf(buf, size, "%.*s", (int)(end - p), p);
	return true;
}

/* POSTs form (urlencoded) to path as person; the status (and Location in location). */
static long post_form(struct harness *t, const char *person, const char *path, const char *form,
		      const char *const *headers, char *location, size_t location_size)
{
	struct http h = {
		.method = "POST",
		.content_type = "application/x-www-form-urlencoded",
		.body = form,
		.body_size = strlen(form),
		.headers = headers,
	};
	long status;

	ui_request(t, &h, person, path);
	status = h.status;
	if (location)
		snprintf(location, location_size, "%s", h.location);
	if (status != 303)
		fprintf(stderr, "POST %s: %ld\n", path, status);
	http_done(&h);
	return status;
}

/* --- the tests ---------------------------------------------------------------------------------- */

/* The policy this collector serves: its texts of x11vnc are what IT reads, not the devices'. */
#define POLICY_VNC_TITLE "x11vnc (as the policy names it)"
static const char fleet_policy[] =
	"{\"id\": \"telework-baseline\", \"serial\": 3, \"rules\": [{\"id\": "
	"\"remote-desktop-x11vnc\", \"type\": \"process\", \"title\": \"" POLICY_VNC_TITLE "\","
	" \"severity\": \"high\", \"match\": {\"name\": \"x11vnc\"}, \"effect\": \"deny\","
	" \"message\": {\"en\": \"The policy's message.\"}, \"remediation\": {\"en\":"
	" \"The policy's advice.\"}}]}\n";

static int test_fleet_posts(struct harness *t)
{
	char ca_cert[512], ca_key[512], ui_ca[512], sql[256], err[512], policy[512], sig[512],
		key[512];
	const char *const extra[] = { "--ca-cert",
				      ca_cert,
				      "--ca-key",
				      ca_key,
				      "--cert-lifetime",
				      "1h",
				      "--ui-listen",
				      "127.0.0.1:0",
				      "--ui-ca",
				      ui_ca,
				      "--rollup-interval",
				      "1s",
				      "--policy",
				      policy,
				      "--policy-signature",
				      sig,
				      NULL };
	int exit_status = -1;

	file_path(ca_cert, sizeof(ca_cert), t->pki, "device-ca.crt");
	file_path(ca_key, sizeof(ca_key), t->pki, "device-ca.key");
	file_path(ui_ca, sizeof(ui_ca), t->pki, "people-ca.crt");
	file_path(policy, sizeof(policy), t->dir, "fleet-policy.json");
	file_path(sig, sizeof(sig), t->dir, "fleet-policy.sig");
	file_path(key, sizeof(key), t->pki, "policy-signing.key");
	CHECK(file_write(policy, fleet_policy, strlen(fleet_policy), 0644) == 0 &&
		      collector_sign_policy(t, key, policy, sig, NULL) == 0,
	      "the fleet's policy cannot be signed");
	CHECK(collector_start(t, &F.c, FLEET_DB, extra, &exit_status) == 0 && F.c.ui_port > 0,
	      "the collector with a fleet view did not start (exit %d); see %s", exit_status,
	      F.c.log);
	collector_keep(t, &F.c);
	CHECK(enroll_token_create(t, &F.c, &F.tok, "--uses", "100", "--label", "fleet", NULL) == 0,
	      "no token");
	for (int i = 0; i <= N_DEVICES; i++) {
		CHECK(enroll_device_new(&F.dev[i]) == 0, "device %d", i);
		CHECK(enroll_device_ok(t, &F.c, &F.dev[i], F.tok.bearer, false) == 0,
		      "device %d did not enroll", i);
	}
	CHECK(enroll_cli(t, &F.c, NULL, 0, err, sizeof(err), "device", "revoke",
			 F.dev[N_DEVICES].id, NULL) == 0,
	      "revoke: %s", err);

	for (int i = 0; i < N_DEVICES; i++) {
		_cleanup_free_ char *body = calloc(1, 1);
		size_t size = 0;
		long long s = 1;

		if (i == DEV_NEVER)
			continue;
		CHECK(body && lifecycle(&body, &size, i, s++, "agent_started") == 0 &&
			      snapshot(&body, &size, i, s++, false) == 0,
		      "no memory");
		if (fails_disk(i))
			CHECK(finding(&body, &size, i, s++) == 0, "no memory");
		if (i == DEV_LOSS)
			CHECK(loss(&body, &size, i, s++) == 0, "no memory");
		if (i == DEV_STOPPED)
			CHECK(lifecycle(&body, &size, i, s++, "agent_stopped") == 0, "no memory");
		CHECK(post(t, i, body) == 200, "device %d's records were refused", i);
		F.seq[i] = s;
	}
	/* The fix of one failure arrives in a batch of its own, later. */
	{
		_cleanup_free_ char *body = calloc(1, 1);
		size_t size = 0;

		CHECK(body && snapshot(&body, &size, DEV_CHANGED, F.seq[DEV_CHANGED]++, true) == 0,
		      "no memory");
		CHECK(post(t, DEV_CHANGED, body) == 200, "the second snapshot was refused");
	}
	/* Thirty-one days without a word, as far as the store can tell. */
	snprintf(sql, sizeof(sql),
		 "UPDATE devices SET last_seen = last_seen - 31 * CAST(86400000 AS BIGINT),"
		 " last_snapshot = last_snapshot - 31 * CAST(86400000 AS BIGINT)"
		 " WHERE device_id = '%s'",
		 F.dev[DEV_MISSING].id);
	CHECK(db_exec_sql(F.c.db, sql) == 0, "backdating failed");
	msleep(2500); /* two of DEV_SILENT's 1 s intervals, and a roll-up */
	return 0;
}

static int test_fleet_summary_numbers(struct harness *t)
{
	_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/summary");
	long long compliant = 0, noncompliant_n = 0;

	CHECK(v, "no summary");
	for (int i = 0; i < N_DEVICES; i++)
		if (counted(i)) {
			if (noncompliant(i, false))
				noncompliant_n++;
			else
				compliant++;
		}
	CHECK(get_int(v, "devices") == N_DEVICES, "devices %lld, want %d", get_int(v, "devices"),
	      N_DEVICES);
	CHECK(get_int(v, "compliant") == compliant, "compliant %lld, want %lld",
	      get_int(v, "compliant"), compliant);
	CHECK(get_int(v, "noncompliant") == noncompliant_n, "noncompliant %lld, want %lld",
	      get_int(v, "noncompliant"), noncompliant_n);
	CHECK(get_int(v, "compliance_per_mille") == compliant * 1000 / (compliant + noncompliant_n),
	      "per mille %lld", get_int(v, "compliance_per_mille"));
	CHECK(get_int(v, "status.online") == N_DEVICES - 4, "online %lld, want %d",
	      get_int(v, "status.online"), N_DEVICES - 4);
	CHECK(get_int(v, "status.silent") == 1, "silent %lld", get_int(v, "status.silent"));
	CHECK(get_int(v, "status.stopped") == 1, "stopped %lld", get_int(v, "status.stopped"));
	CHECK(get_int(v, "status.missing") == 1, "missing %lld", get_int(v, "status.missing"));
	CHECK(get_int(v, "status.never") == 1, "never %lld", get_int(v, "status.never"));
	CHECK(get_int(v, "status.asleep") == 0, "asleep %lld", get_int(v, "status.asleep"));
	CHECK(get_int(v, "revoked") == 1 && get_int(v, "retired") == 0, "revoked %lld",
	      get_int(v, "revoked"));
	CHECK(get_int(v, "last_30_days.watched_seconds") == F.posted_watched &&
		      get_int(v, "last_30_days.asleep_seconds") == F.posted_asleep &&
		      get_int(v, "last_30_days.stopped_seconds") == F.posted_stopped,
	      "watched %lld asleep %lld stopped %lld, want %lld %lld %lld",
	      get_int(v, "last_30_days.watched_seconds"), get_int(v, "last_30_days.asleep_seconds"),
	      get_int(v, "last_30_days.stopped_seconds"), F.posted_watched, F.posted_asleep,
	      F.posted_stopped);
	CHECK(get_int(v, "last_30_days.records_lost") == LOST, "lost %lld",
	      get_int(v, "last_30_days.records_lost"));
	{
		yajl_val trend = get(v, "trend"), today;

		CHECK(YAJL_IS_ARRAY(trend) && trend->u.array.len >= 1, "no trend");
		today = trend->u.array.values[trend->u.array.len - 1];
		CHECK(get_int(today, "compliant") == compliant &&
			      get_int(today, "noncompliant") == noncompliant_n,
		      "today's point %lld/%lld", get_int(today, "compliant"),
		      get_int(today, "noncompliant"));
	}
	return 0;
}

static int test_fleet_rules_counts(struct harness *t)
{
	_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/rules");
	long long disk_fail = 0, vnc_fail = 0, lock_unknown = 0, n = 0;
	yajl_val disk, vnc, lock, fw, first;

	CHECK(v, "no rules");
	for (int i = 0; i < N_DEVICES; i++)
		if (counted(i)) {
			n++;
			disk_fail += fails_disk(i);
			vnc_fail += fails_vnc(i);
			lock_unknown += unknown_lock(i);
		}
	disk = rule_of(v, "disk-encryption");
	vnc = rule_of(v, "remote-desktop-x11vnc");
	lock = rule_of(v, "screen-lock");
	fw = rule_of(v, "firewall");
	CHECK(disk && vnc && lock && fw && rule_of(v, ODD_RULE), "a rule is missing");
	CHECK(get_int(disk, "fail") == disk_fail && get_int(disk, "pass") == n - disk_fail,
	      "disk-encryption fail %lld pass %lld, want %lld %lld", get_int(disk, "fail"),
	      get_int(disk, "pass"), disk_fail, n - disk_fail);
	CHECK(get_int(vnc, "fail") == vnc_fail, "x11vnc fail %lld, want %lld", get_int(vnc, "fail"),
	      vnc_fail);
	CHECK(get_int(lock, "unknown") == lock_unknown && get_int(lock, "fail") == 0,
	      "screen-lock unknown %lld, want %lld", get_int(lock, "unknown"), lock_unknown);
	CHECK(get_int(fw, "pass") == n, "firewall pass %lld, want %lld", get_int(fw, "pass"), n);
	/* Least met first. */
	first = get(v, "rules")->u.array.values[0];
	CHECK(strcmp(get_str(first, "rule_id"), "disk-encryption") == 0, "first rule is %s",
	      get_str(first, "rule_id"));
	return 0;
}

static int test_fleet_lists_match_the_cards(struct harness *t)
{
	struct {
		const char *query;
		long long want;
	} cases[] = {
		{ "/devices?status=online", N_DEVICES - 4 },
		{ "/devices?status=missing", 1 },
		{ "/devices?status=never", 1 },
		{ "/devices?q=laptop-1", 10 },
		{ "/devices?q=LAPTOP-0", 9 }, /* 01..09, case does not matter; 00 is hostile */
		{ "/devices?rule=disk-encryption&state=fail", 0 },
		{ "/devices?compliance=noncompliant", 0 },
		{ "/devices", N_DEVICES },
	};
	long long disk_fail = 0, nc = 0;

	for (int i = 0; i < N_DEVICES; i++)
		if (counted(i)) {
			disk_fail += fails_disk(i);
			nc += noncompliant(i, false);
		}
	cases[5].want = disk_fail;
	cases[6].want = nc;
	for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, cases[k].query);

		CHECK(v && get_int(v, "total") == cases[k].want, "%s: total %lld, want %lld",
		      cases[k].query, v ? get_int(v, "total") : -1, cases[k].want);
	}
	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/devices?limit=5&offset=20");
		yajl_val list = get(v, "devices");

		CHECK(v && get_int(v, "total") == N_DEVICES && YAJL_IS_ARRAY(list) &&
			      list->u.array.len == 4,
		      "the last page has %zu rows", YAJL_IS_ARRAY(list) ? list->u.array.len : 0);
	}
	return 0;
}

static int test_fleet_owner_search(struct harness *t)
{
	char err[512], out[8192];

	CHECK(enroll_cli(t, &F.c, NULL, 0, err, sizeof(err), "device", "set", F.dev[4].id,
			 "--owner", "Grace Hopper", "--serial", "SN-4242", NULL) == 0,
	      "device set: %s", err);
	CHECK(enroll_cli(t, &F.c, NULL, 0, err, sizeof(err), "device", "set", F.dev[4].id,
			 "--owner", "bad\x01name", NULL) != 0 &&
		      strstr(err, "control characters"),
	      "a control character in an owner was taken: %s", err);
	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/devices?q=hopper");
		yajl_val d = get(v, "devices");

		CHECK(v && get_int(v, "total") == 1 && YAJL_IS_ARRAY(d) &&
			      strcmp(get_str(d->u.array.values[0], "owner"), "Grace Hopper") == 0 &&
			      strcmp(get_str(d->u.array.values[0], "serial"), "SN-4242") == 0,
		      "search by owner: %lld", v ? get_int(v, "total") : -1);
	}
	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/devices?q=sn-42");

		CHECK(v && get_int(v, "total") == 1, "search by serial: %lld",
		      v ? get_int(v, "total") : -1);
	}
	/* LIKE's own characters are searched for, not obeyed. */
	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/devices?q=%25");

		CHECK(v && get_int(v, "total") == 0, "'%%' matched %lld devices",
		      v ? get_int(v, "total") : -1);
	}
	CHECK(enroll_cli(t, &F.c, out, sizeof(out), err, sizeof(err), "audit", "--device",
			 F.dev[4].id, NULL) == 0 &&
		      strstr(out, "device-set") && strstr(out, "Grace Hopper"),
	      "the audit does not have the change: %s", out);
	return 0;
}

/* Bad parameters get a 400 naming the parameter and why, never a list of something else. */
static int test_fleet_bad_parameters(struct harness *t)
{
	static const struct {
		const char *path, *says;
	} cases[] = {
		{ "/api/v1/devices?status=bogus", "status must be" },
		{ "/api/v1/devices?compliance=maybe", "compliance must be" },
		{ "/api/v1/devices?state=fail", "with a rule" },
		{ "/api/v1/devices?limit=abc", "'limit' must be a whole number" },
		{ "/api/v1/devices?offset=-1", "'offset' must be a whole number" },
	};
	char long_q[400] = "/api/v1/devices?q=";

	for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
		struct http h = {};

		ui_request(t, &h, "person-viewer", cases[k].path);
		CHECK(h.status == 400 && h.resp && strstr(h.resp, cases[k].says), "%s: %ld %s",
		      cases[k].path, h.status, h.resp ? h.resp : "");
		http_done(&h);
	}
	memset(long_q + strlen(long_q), 'a', 300);
	{
		struct http h = {};

		ui_request(t, &h, "person-viewer", long_q);
		CHECK(h.status == 400 && strstr(h.resp, "'q' is longer than 256 bytes"),
		      "a long search: %ld", h.status);
		http_done(&h);
	}
	return 0;
}

static int test_fleet_csv_whole(struct harness *t)
{
	struct http h = {};
	size_t lines = 0;

	ui_request(t, &h, "person-viewer", "/devices?format=csv");
	CHECK(h.status == 200 && strstr(h.resp_content_type, "text/csv") &&
		      strstr(h.disposition, "attachment"),
	      "status %ld, %s, %s", h.status, h.resp_content_type, h.disposition);
	for (const char *p = h.resp; p && (p = strstr(p, "\r\n")); p += 2)
		lines++;
	CHECK(lines == 1 + N_DEVICES, "%zu lines", lines);
	CHECK(strncmp(h.resp, "hostname,device_id,owner,serial,status,compliance", 49) == 0,
	      "header: %.60s", h.resp);
	http_done(&h);
	return 0;
}

static int test_fleet_device_page(struct harness *t)
{
	char path[128];
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val checks;
	bool seen = false;

	snprintf(path, sizeof(path), "/devices/%s", F.dev[DEV_CHANGED].id);
	v = api(t, path);
	CHECK(v && strcmp(get_str(v, "hostname"), "laptop-03") == 0, "no device");
	CHECK(strcmp(get_str(v, "status"), "online") == 0 &&
		      strcmp(get_str(v, "compliance"), "compliant") == 0,
	      "status %s compliance %s", get_str(v, "status"), get_str(v, "compliance"));
	checks = get(v, "checks");
	for (size_t k = 0; YAJL_IS_ARRAY(checks) && k < checks->u.array.len; k++) {
		yajl_val c = checks->u.array.values[k];

		if (strcmp(get_str(c, "rule_id"), "disk-encryption") != 0)
			continue;
		seen = true;
		CHECK(strcmp(get_str(c, "state"), "pass") == 0 && get_str(c, "previous") &&
			      strcmp(get_str(c, "previous"), "fail") == 0,
		      "disk-encryption %s, before %s", get_str(c, "state"), get_str(c, "previous"));
	}
	CHECK(seen, "no disk-encryption state");

	/* A failing one says since when, why, and what the employee is told. */
	snprintf(path, sizeof(path), "/devices/%s", F.dev[9].id);
	yajl_tree_free(v);
	v = api(t, path);
	checks = get(v, "checks");
	CHECK(YAJL_IS_ARRAY(checks) && checks->u.array.len == 4, "laptop-09 has %zu rules",
	      YAJL_IS_ARRAY(checks) ? checks->u.array.len : 0);
	{
		yajl_val c = checks->u.array.values[0]; /* failing first */

		CHECK(strcmp(get_str(c, "state"), "fail") == 0 &&
			      strcmp(get_str(c, "reason"),
				     "the root file system is not encrypted") == 0 &&
			      strcmp(get_str(c, "remediation"), "Fix Disk encryption") == 0 &&
			      get_int(c, "since") > 0,
		      "first rule %s %s", get_str(c, "rule_id"), get_str(c, "state"));
	}
	CHECK(YAJL_IS_ARRAY(get(v, "findings")) && get(v, "findings")->u.array.len == 1,
	      "laptop-09's finding is not listed");
	return 0;
}

static int test_fleet_escapes_hostile_values(struct harness *t)
{
	struct http h = {};
	char path[128];

	snprintf(path, sizeof(path), "/devices/%s", F.dev[DEV_HOSTILE].id);
	ui_request(t, &h, "person-viewer", path);
	CHECK(h.status == 200 && strstr(h.resp, "&lt;script&gt;alert(1)&lt;/script&gt;") &&
		      !strstr(h.resp, "<script"),
	      "the host name is not escaped on the device page");
	CHECK(strstr(h.csp, "default-src 'none'") && !strstr(h.csp, "script-src"), "CSP: %s",
	      h.csp);
	http_done(&h);

	h = (struct http){};
	ui_request(t, &h, "person-viewer", "/devices");
	CHECK(h.status == 200 && !strstr(h.resp, "<script"), "the list shows raw markup");
	http_done(&h);

	h = (struct http){};
	ui_request(t, &h, "person-viewer", "/rules");
	CHECK(h.status == 200 && !strstr(h.resp, ODD_RULE) && strstr(h.resp, "odd&quot;rule"),
	      "the rule id with quotes is not escaped");
	http_done(&h);
	return 0;
}

static int test_fleet_access(struct harness *t)
{
	struct http h = {};
	char device_cert[512], device_key[512];

	ui_request(t, &h, NULL, "/");
	CHECK(h.status == 401, "no certificate: %ld", h.status);
	http_done(&h);

	/* A device's certificate never opens the fleet view. */
	h = (struct http){ .cert_path = F.dev[1].cert_path, .key_path = F.dev[1].key_path };
	h.path = "/api/v1/summary";
	h.port = F.c.ui_port;
	http_perform(t, &h);
	CHECK(h.status == 403, "a device certificate: %ld", h.status);
	http_done(&h);
	file_path(device_cert, sizeof(device_cert), t->pki, "device1.crt");
	file_path(device_key, sizeof(device_key), t->pki, "device1.key");
	h = (struct http){ .cert_path = device_cert, .key_path = device_key, .path = "/" };
	h.port = F.c.ui_port;
	http_perform(t, &h);
	CHECK(h.status == 403, "the PKI's device certificate: %ld", h.status);
	http_done(&h);

	h = (struct http){};
	ui_request(t, &h, "person-intern", "/");
	CHECK(h.status == 403 && strstr(h.resp, "intern"), "a role that is none: %ld", h.status);
	http_done(&h);

	/* A person's certificate never posts reports. */
	{
		char cert[512], key[512];
		const char *body = "";
		struct http r = {
			.method = "POST",
			.path = "/v1/reports",
			.body = body,
			.port = F.c.port,
		};

		file_path(cert, sizeof(cert), t->pki, "person-admin.crt");
		file_path(key, sizeof(key), t->pki, "person-admin.key");
		r.cert_path = cert;
		r.key_path = key;
		http_perform(t, &r);
		CHECK(r.status == 403, "a person posting reports: %ld", r.status);
		http_done(&r);
	}
	return 0;
}

static int test_fleet_exemption(struct harness *t)
{
	struct http h = {};
	char path[128], csrf[80], form[512], location[512], err[512], out[8192];
	const char *const elsewhere[] = { "Origin: https://evil.example", NULL };

	snprintf(path, sizeof(path), "/devices/%s", F.dev[DEV_EXEMPT].id);
	ui_request(t, &h, "person-viewer", path);
	CHECK(h.status == 200 && !strstr(h.resp, "name=\"csrf\""),
	      "a viewer is offered the exemption form");
	http_done(&h);
	h = (struct http){};
	ui_request(t, &h, "person-operator", path);
	CHECK(h.status == 200 && csrf_of(h.resp, csrf, sizeof(csrf)), "no form for an operator");
	http_done(&h);

	snprintf(form, sizeof(form),
		 "csrf=%s&device=%s&rule=disk-encryption&reason=encrypting+next+week&expires=30d",
		 csrf, F.dev[DEV_EXEMPT].id);
	CHECK(post_form(t, "person-viewer", "/exemptions", form, NULL, NULL, 0) == 403,
	      "a viewer made an exemption");
	CHECK(post_form(t, "person-operator", "/exemptions",
			form + strlen("csrf=") + strlen(csrf) + 1, NULL, NULL, 0) == 403,
	      "a form without its token was taken");
	CHECK(post_form(t, "person-operator", "/exemptions", form, elsewhere, NULL, 0) == 403,
	      "a form from another site was taken");
	CHECK(post_form(t, "person-operator", "/exemptions",
			"csrf=x&rule=disk-encryption&reason=r&expires=2001-01-01", NULL, NULL,
			0) == 403,
	      "a wrong token was taken");
	{
		char bad[256];

		snprintf(bad, sizeof(bad),
			 "csrf=%s&rule=disk-encryption&reason=r&expires=2001-01-01", csrf);
		CHECK(post_form(t, "person-operator", "/exemptions", bad, NULL, NULL, 0) == 400,
		      "an exemption that ended in 2001 was taken");
		snprintf(bad, sizeof(bad), "csrf=%s&rule=no-such-rule&reason=r&expires=1d", csrf);
		CHECK(post_form(t, "person-operator", "/exemptions", bad, NULL, NULL, 0) == 400,
		      "an exemption of an unknown rule was taken");
		snprintf(bad, sizeof(bad),
			 "csrf=%s&rule=disk-encryption&reason=r&expires=2027-02-31", csrf);
		CHECK(post_form(t, "person-operator", "/exemptions", bad, NULL, NULL, 0) == 400,
		      "a day that does not exist was taken");
		snprintf(bad, sizeof(bad), "csrf=%s&rule=disk-encryption&reason=r&expires=30",
			 csrf);
		CHECK(post_form(t, "person-operator", "/exemptions", bad, NULL, NULL, 0) == 400,
		      "a duration without its unit was taken");
	}
	CHECK(post_form(t, "person-operator", "/exemptions", form, NULL, location,
			sizeof(location)) == 303 &&
		      strcmp(location, path) == 0,
	      "the exemption was not made (Location %s)", location);

	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, "/summary");
		_cleanup_(yajl_tree_freep) yajl_val rules = api(t, "/rules");
		long long nc = 0, disk_fail = 0;

		for (int i = 0; i < N_DEVICES; i++)
			if (counted(i)) {
				nc += noncompliant(i, true);
				disk_fail += fails_disk(i) && i != DEV_EXEMPT;
			}
		CHECK(get_int(v, "noncompliant") == nc, "noncompliant %lld, want %lld",
		      get_int(v, "noncompliant"), nc);
		CHECK(get_int(rule_of(rules, "disk-encryption"), "exempt") == 1 &&
			      get_int(rule_of(rules, "disk-encryption"), "fail") == disk_fail,
		      "disk-encryption exempt %lld fail %lld",
		      get_int(rule_of(rules, "disk-encryption"), "exempt"),
		      get_int(rule_of(rules, "disk-encryption"), "fail"));
	}
	CHECK(enroll_cli(t, &F.c, out, sizeof(out), err, sizeof(err), "audit", "--device",
			 F.dev[DEV_EXEMPT].id, NULL) == 0 &&
		      strstr(out, "exempt") && strstr(out, "Otto Operator"),
	      "the audit does not say who exempted: %s", out);
	return 0;
}

static int test_fleet_exemption_expires(struct harness *t)
{
	char csrf[80], form[256];
	struct http h = {};
	long long unknown = 0, n = 0;

	ui_request(t, &h, "person-operator", "/exemptions");
	CHECK(h.status == 200 && csrf_of(h.resp, csrf, sizeof(csrf)), "no form");
	http_done(&h);
	for (int i = 0; i < N_DEVICES; i++) {
		unknown += counted(i) && unknown_lock(i);
		n += counted(i);
	}
	snprintf(form, sizeof(form), "csrf=%s&rule=screen-lock&reason=fleet-wide+trial&expires=4s",
		 csrf);
	CHECK(post_form(t, "person-operator", "/exemptions", form, NULL, NULL, 0) == 303,
	      "the fleet-wide exemption was not made");
	{
		_cleanup_(yajl_tree_freep) yajl_val rules = api(t, "/rules");
		yajl_val lock = rule_of(rules, "screen-lock");

		/* Exempt, whatever the device says: not passing, not unknown. */
		CHECK(get_int(lock, "exempt") == n && get_int(lock, "unknown") == 0 &&
			      get_int(lock, "pass") == 0,
		      "screen-lock exempt %lld unknown %lld", get_int(lock, "exempt"),
		      get_int(lock, "unknown"));
	}
	/* It ends by itself: no job runs for it, so it is over whenever it is asked after its end. */
	for (long long deadline = now_ms() + 15000;; msleep(250)) {
		_cleanup_(yajl_tree_freep) yajl_val rules = api(t, "/rules");
		yajl_val lock = rule_of(rules, "screen-lock");

		if (get_int(lock, "exempt") == 0 && get_int(lock, "unknown") == unknown)
			break;
		CHECK(now_ms() < deadline, "15 s after: screen-lock exempt %lld unknown %lld",
		      get_int(lock, "exempt"), get_int(lock, "unknown"));
	}
	return 0;
}

/* A rule of the served policy reads as the policy says, whatever the devices sent. */
static int test_fleet_policy_texts(struct harness *t)
{
	_cleanup_(yajl_tree_freep) yajl_val vnc = api(t, "/rules/remote-desktop-x11vnc");
	_cleanup_(yajl_tree_freep) yajl_val fw = api(t, "/rules/firewall");

	CHECK(vnc && strcmp(get_str(vnc, "title"), POLICY_VNC_TITLE) == 0 &&
		      strcmp(get_str(vnc, "remediation"), "The policy's advice.") == 0,
	      "x11vnc's title is %s", vnc ? get_str(vnc, "title") : "(none)");
	/* Not in the policy: as the devices said. */
	CHECK(fw && strcmp(get_str(fw, "title"), "Firewall") == 0, "firewall's title is %s",
	      fw ? get_str(fw, "title") : "(none)");
	return 0;
}

/* The agent's since is its own run's: a restart must not make a failure young. */
static int test_fleet_since_survives_restart(struct harness *t)
{
	char path[128];
	long long since[2] = {};

	snprintf(path, sizeof(path), "/devices/%s", F.dev[9].id);
	for (int round = 0; round < 2; round++) {
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, path);
		yajl_val checks = get(v, "checks");

		CHECK(YAJL_IS_ARRAY(checks) && checks->u.array.len > 0, "no checks");
		since[round] = get_int(checks->u.array.values[0], "since");
		if (round == 0) {
			/* The same failure, from an agent started again: it says an hour later. */
			_cleanup_free_ char *body = calloc(1, 1);
			size_t size = 0;

			F.since_base = since[0] + 3600 * 1000LL;
			CHECK(body && snapshot(&body, &size, 9, F.seq[9]++, false) == 0,
			      "no memory");
			F.since_base = 0;
			CHECK(post(t, 9, body) == 200, "the snapshot was refused");
		}
	}
	CHECK(since[0] > 0 && since[1] == since[0], "since went from %lld to %lld", since[0],
	      since[1]);
	return 0;
}

/*
 * A device without a policy meets nothing: it is not counted as compliant;
 * and a hostile one's figures cannot overflow the fleet's sums.
 */
static int test_fleet_no_policy_and_huge_figures(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	_cleanup_(yajl_tree_freep) yajl_val before = api(t, "/summary"), after = NULL;
	char body[2048], path[128];

	CHECK(before, "no summary");
	CHECK(enroll_device_new(&d) == 0 && enroll_device_ok(t, &F.c, &d, F.tok.bearer, false) == 0,
	      "no device");
	for (int k = 0; k < 2; k++) {
		struct http h = {
			.method = "POST",
			.path = "/v1/reports",
			.cert_path = d.cert_path,
			.key_path = d.key_path,
			.port = F.c.port,
			.body = body,
		};

		snprintf(body, sizeof(body),
			 "{\"time\":%lld,\"class_uid\":5001,\"metadata\":{\"version\":\"1.9.0\","
			 "\"log_name\":\"posture\"},\"postured\":{\"seq\":%d,\"boot_uid\":\"%s\","
			 "\"posture\":{\"device\":{\"hostname\":\"no-policy\"},\"policy\":{},"
			 "\"rules\":[]},\"completeness\":{\"interval_seconds\":9000000000000000000,"
			 "\"watched_seconds\":5000000000000000000,\"asleep_seconds\":0,"
			 "\"stopped_seconds\":0}}}\n",
			 realtime_ms(), k + 1, BOOT_UID);
		h.body_size = strlen(body);
		http_perform(t, &h);
		CHECK(h.status == 200, "refused: %ld", h.status);
		http_done(&h);
	}
	after = api(t, "/summary");
	CHECK(after, "the summary broke");
	CHECK(get_int(after, "compliant") == get_int(before, "compliant") &&
		      get_int(after, "devices") == get_int(before, "devices") + 1,
	      "compliant %lld -> %lld", get_int(before, "compliant"), get_int(after, "compliant"));
	CHECK(get_int(after, "last_30_days.watched_seconds") -
			      get_int(before, "last_30_days.watched_seconds") <=
		      2 * 31 * 86400LL,
	      "watched grew by %lld s",
	      get_int(after, "last_30_days.watched_seconds") -
		      get_int(before, "last_30_days.watched_seconds"));
	snprintf(path, sizeof(path), "/devices/%s", d.id);
	{
		_cleanup_(yajl_tree_freep) yajl_val v = api(t, path);

		CHECK(v && strcmp(get_str(v, "compliance"), "unknown") == 0, "compliance %s",
		      v ? get_str(v, "compliance") : "(none)");
	}
	return 0;
}

static int test_fleet_browser(struct harness *t)
{
	return fleet_browser_pages(t, F.c.ui_port, F.dev[9].id, "disk-encryption");
}

static int test_fleet_stop(struct harness *t)
{
	for (int i = 0; i <= N_DEVICES; i++)
		enroll_device_done(&F.dev[i]);
	CHECK(collector_stop(&F.c, SIGTERM) == 0, "the collector did not stop cleanly; see %s",
	      F.c.log);
	return 0;
}

/* Behind a sign-on proxy: its headers, from loopback only, without a certificate. */
static int test_fleet_proxy_headers(struct harness *t)
{
	struct collector c;
	const char *const extra[] = { "--ui-listen", "127.0.0.1:0", "--ui-trust-proxy", NULL };
	const char *const alice[] = { "X-Remote-User: alice@example.com", "X-Remote-Role: viewer",
				      NULL };
	const char *const nobody[] = { "X-Remote-Role: viewer", NULL };
	const char *const root[] = { "X-Remote-User: mallory", "X-Remote-Role: root", NULL };
	struct http h = { .path = "/", .headers = alice };
	int exit_status = -1;

	CHECK(collector_start(t, &c, "proxy.db", extra, &exit_status) == 0 && c.ui_port > 0,
	      "no collector (exit %d)", exit_status);
	h.port = c.ui_port;
	http_perform(t, &h);
	CHECK(h.status == 200 && strstr(h.resp, "alice@example.com"), "alice: %ld", h.status);
	http_done(&h);
	h = (struct http){ .path = "/", .headers = nobody, .port = c.ui_port };
	http_perform(t, &h);
	CHECK(h.status == 401, "no user: %ld", h.status);
	http_done(&h);
	h = (struct http){ .path = "/", .headers = root, .port = c.ui_port };
	http_perform(t, &h);
	CHECK(h.status == 403, "role root: %ld", h.status);
	http_done(&h);
	CHECK(collector_stop(&c, SIGTERM) == 0, "the collector did not stop cleanly");
	return 0;
}

/* One CA for devices and people would let a laptop open the fleet view: refused at start. */
static int test_fleet_people_ca_apart(struct harness *t)
{
	struct collector c;
	char ca[512];
	const char *const extra[] = { "--ui-listen", "127.0.0.1:0", "--ui-ca", ca, NULL };
	int exit_status = -1;

	file_path(ca, sizeof(ca), t->pki, "device-ca.crt");
	CHECK(collector_start(t, &c, "same-ca.db", extra, &exit_status) < 0 && exit_status == 1,
	      "a collector whose people's CA is the devices' started (exit %d)", exit_status);
	CHECK(file_contains(c.log, "is a CA devices' certificates come from"),
	      "the log does not say why; see %s", c.log);
	return 0;
}

/* device1's records 1 to 30 to collector c: the answer's status. */
static long post_30_records(struct harness *t, const struct collector *c)
{
	_cleanup_free_ char *b = records_batch(t->device1, 1, 30);
	struct http h = http_report("device1", b, strlen(b));
	long status;

	h.port = c->port;
	http_perform(t, &h);
	status = h.status;
	http_done(&h);
	return status;
}

/*
 * On PostgreSQL retention drops whole days: a partition of a day long past,
 * filled here as a collector of that day would have, goes; today's
 * records stay, and so does the device.
 */
static int fleet_retention_postgresql(struct harness *t)
{
	struct collector c;
	const char *const extra[] = { "--retention", "2d", "--rollup-interval", "1s", NULL };
	const long long day = 1577836800000LL; /* 2020-01-01T00:00:00Z */
	int exit_status = -1;
	char sql[512];

	CHECK(collector_start(t, &c, "retention.db", extra, &exit_status) == 0, "no collector");
	CHECK(db_int(c.db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'records_2%'", NULL) >=
		      4,
	      "no partitions made ahead of the clock");
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE records_20200101 PARTITION OF records FOR VALUES FROM (%lld) TO "
		 "(%lld); INSERT INTO records (device_id, boot_uid, seq, class_uid, time, received,"
		 " record) SELECT '%s', 'b', n, 1007, %lld, %lld + n, '{}'"
		 " FROM generate_series(1, 30) AS n",
		 day, day + 86400000LL, t->device1, day, day);
	CHECK(db_exec_sql(c.db, sql) == 0, "the old day was not filled");
	CHECK(post_30_records(t, &c) == 200, "records refused");
	for (long long deadline = now_ms() + 15000;
	     db_int(c.db, "SELECT count(*) FROM pg_class WHERE relname = 'records_20200101'",
		    NULL) != 0;
	     msleep(250))
		CHECK(now_ms() < deadline, "the day past the retention age is kept after 15 s");
	CHECK(db_count_records(c.db, t->device1) == 30, "%lld records, want today's 30",
	      db_count_records(c.db, t->device1));
	CHECK(file_contains(c.log, "Dropped records_20200101"), "the drop was not logged");
	CHECK(collector_stop(&c, SIGTERM) == 0, "the collector did not stop cleanly");
	return 0;
}

/* Records past the retention age go; the state they made stays. */
static int test_fleet_retention(struct harness *t)
{
	struct collector c;
	const char *const extra[] = { "--retention", "2s", "--rollup-interval", "1s", NULL };
	int exit_status = -1;

	if (db_test_postgres())
		return fleet_retention_postgresql(t);
	CHECK(collector_start(t, &c, "retention.db", extra, &exit_status) == 0, "no collector");
	CHECK(post_30_records(t, &c) == 200, "records refused");
	CHECK(db_count_records(c.db, t->device1) == 30, "not stored");
	/* Past 2 s, at the next upkeep (every second): polled, a busy machine's upkeep is late. */
	for (long long deadline = now_ms() + 15000; db_count_records(c.db, t->device1) != 0;
	     msleep(250))
		CHECK(now_ms() < deadline, "%lld records past their age are kept after 15 s",
		      db_count_records(c.db, t->device1));
	CHECK(db_int(c.db, "SELECT count(*) FROM devices WHERE device_id = ?1", t->device1) == 1,
	      "the device went with its records");
	CHECK(collector_stop(&c, SIGTERM) == 0, "the collector did not stop cleanly");
	return 0;
}

const struct test fleet_tests[] = {
	{ "fleet: enrolled devices post over mTLS", test_fleet_posts },
	{ "fleet: every number of the first screen is what was posted",
	  test_fleet_summary_numbers },
	{ "fleet: rules counted, least met first", test_fleet_rules_counts },
	{ "fleet: each card's list has the card's number", test_fleet_lists_match_the_cards },
	{ "fleet: IT's owner and serial are searched", test_fleet_owner_search },
	{ "fleet: bad parameters are refused, saying which", test_fleet_bad_parameters },
	{ "fleet: the device list exports whole as CSV", test_fleet_csv_whole },
	{ "fleet: a device's rules, since when, and what it was told", test_fleet_device_page },
	{ "fleet: hostile values come out escaped", test_fleet_escapes_hostile_values },
	{ "fleet: people only, by role; devices never", test_fleet_access },
	{ "fleet: an operator exempts, a viewer cannot, forms need their token",
	  test_fleet_exemption },
	{ "fleet: an exemption ends by itself", test_fleet_exemption_expires },
	{ "fleet: the served policy's texts, not a device's", test_fleet_policy_texts },
	{ "fleet: since when survives an agent restart", test_fleet_since_survives_restart },
	{ "fleet: no policy is not compliant; huge figures are bounded",
	  test_fleet_no_policy_and_huge_figures },
	{ "fleet: the pages in a real browser", test_fleet_browser },
	{ "fleet: the collector stops cleanly", test_fleet_stop },
	{ "fleet: a sign-on proxy's headers, from loopback", test_fleet_proxy_headers },
	{ "fleet: the people's CA must not be the devices'", test_fleet_people_ca_apart },
	{ "fleet: retention deletes old records, keeps state", test_fleet_retention },
	{},
};
