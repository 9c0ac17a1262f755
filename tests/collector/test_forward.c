// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The export to a SOC, end to end: devices enrolled over EST post over mTLS
 * to a collector with an export log; two forwarders (syslog/TLS and RELP)
 * feed a real rsyslog, whose output files are what a SIEM took.  Each test
 * has a collector, a log, an rsyslog and forwarders of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "harness.h"
#include "harness_enroll.h"
#include "collector/export_read.h"
#include "harness_hec.h"
#include "harness_siem.h"

#define N_DEVICES  10
#define PER_DEVICE 1000
#define BATCH	   100
#define ALL	   (N_DEVICES * PER_DEVICE)

struct export_fixture {
	struct collector c;
	char name[32];
	char export_dir[512];
	char listen[64];
	struct enroll_token tok;
	struct enroll_device dev[N_DEVICES];
	struct siem siem;
	pid_t fw_tls, fw_relp;
	char tls_log[600], relp_log[600];
};

static void fixture_done(struct export_fixture *F)
{
	if (F->fw_tls > 0)
		process_stop(F->fw_tls, SIGTERM);
	if (F->fw_relp > 0)
		process_stop(F->fw_relp, SIGTERM);
	F->fw_tls = F->fw_relp = 0;
	if (F->siem.pid > 0)
		siem_stop(&F->siem);
	if (F->c.pid > 0)
		collector_stop(&F->c, SIGTERM);
	for (int i = 0; i < N_DEVICES; i++)
		enroll_device_done(&F->dev[i]);
}

static int collector_up(struct harness *t, struct export_fixture *F)
{
	char ca_cert[512], ca_key[512], ui_ca[512], db[64];
	const char *extra[] = { "--ca-cert",
				ca_cert,
				"--ca-key",
				ca_key,
				"--ui-listen",
				"127.0.0.1:0",
				"--ui-ca",
				ui_ca,
				"--export-dir",
				F->export_dir,
				"--export-max-size",
				"1M",
				"--export-keep",
				"100",
				F->listen[0] ? "--listen" : NULL,
				F->listen,
				NULL };
	int exit_status = -1;

	file_path(ca_cert, sizeof(ca_cert), t->pki, "device-ca.crt");
	file_path(ca_key, sizeof(ca_key), t->pki, "device-ca.key");
	file_path(ui_ca, sizeof(ui_ca), t->pki, "people-ca.crt");
	snprintf(db, sizeof(db), "%s.db", F->name);
	CHECK(collector_start(t, &F->c, db, extra, &exit_status) == 0,
	      "the collector with an export log did not start (exit %d); see %s", exit_status,
	      F->c.log);
	if (!F->listen[0])
		snprintf(F->listen, sizeof(F->listen), "127.0.0.1:%d", F->c.port);
	return 0;
}

/* F's two forwarders (again: they go on from their cursors), their output appended to their logs. */
static int forwarders_start(struct harness *t, struct export_fixture *F,
			    const char *const *relp_extra)
{
	char to[128], ca[512], log[512];
	const char *tls_opts[] = { "--ca", ca, NULL };

	file_path(ca, sizeof(ca), t->pki, "server-ca.crt");
	snprintf(to, sizeof(to), "syslog+tls://localhost:%d", F->siem.tls_port);
	snprintf(log, sizeof(log), "%s/%s-forward-tls.log", t->dir, F->name);
	F->fw_tls = forwarder_start(t->bin, F->export_dir, "tls", to, tls_opts, log);
	snprintf(to, sizeof(to), "relp://127.0.0.1:%d", F->siem.relp_port);
	snprintf(log, sizeof(log), "%s/%s-forward-relp.log", t->dir, F->name);
	F->fw_relp = forwarder_start(t->bin, F->export_dir, "relp", to, relp_extra, log);
	CHECK(F->fw_tls > 0 && F->fw_relp > 0, "the forwarders did not start");
	return 0;
}

/* A collector, its devices, rsyslog and a forwarder of each kind, all of name. */
static int fixture_start(struct harness *t, struct export_fixture *F, const char *name,
			 const char *const *relp_extra)
{
	char dir[512], log[512];

	snprintf(F->name, sizeof(F->name), "%s", name);
	snprintf(dir, sizeof(dir), "%s-export", name);
	file_path(F->export_dir, sizeof(F->export_dir), t->dir, dir);
	CHECK(collector_up(t, F) == 0, "no collector");
	CHECK(enroll_token_create(t, &F->c, &F->tok, "--uses", "20", NULL) == 0, "no token");
	for (int i = 0; i < N_DEVICES; i++) {
		CHECK(enroll_device_new(&F->dev[i]) == 0, "device %d", i);
		CHECK(enroll_device_ok(t, &F->c, &F->dev[i], F->tok.bearer, false) == 0,
		      "device %d did not enroll", i);
	}
	snprintf(dir, sizeof(dir), "%s-siem", name);
	file_path(log, sizeof(log), t->dir, dir);
	CHECK(siem_start(&F->siem, log, t->pki) == 0, "rsyslog did not start; see %s", log);
	snprintf(F->tls_log, sizeof(F->tls_log), "%s", F->siem.tls_log);
	snprintf(F->relp_log, sizeof(F->relp_log), "%s", F->siem.relp_log);
	return forwarders_start(t, F, relp_extra);
}

/* Records first..last of device i: the classes in turn, severities 1..5. */
static char *device_batch(const struct export_fixture *F, int i, long long first, long long last)
{
	static const int classes[] = { 1007, 4001, 2003, 5001, 6002 };
	char *body = calloc(1, 1);
	size_t size = 0;

	for (long long s = first; body && s <= last; s++)
		if (records_printf(
			    &body, &size,
			    "{\"class_uid\":%d,\"time\":%lld,\"severity_id\":%lld,"
			    "\"metadata\":{\"version\":\"1.9.0-dev\",\"profiles\":[\"host\"]},"
			    "\"device\":{\"uid\":\"%s\",\"hostname\":\"laptop-%d\"},"
			    "\"message\":\"record %lld of device %d\","
			    "\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID "\"}}\n",
			    classes[s % 5], realtime_ms(), 1 + s % 5, F->dev[i].id, i, s, i,
			    s) < 0) {
			free(body);
			return NULL;
		}
	return body;
}

/* POSTs a batch for device i; the HTTP status (0: no answer) and the acked seq. */
static long post_batch(struct harness *t, struct export_fixture *F, int i, const char *body,
		       long long *ret_acked)
{
	struct http h = {
		.method = "POST",
		.path = "/v1/reports",
		.cert_path = F->dev[i].cert_path,
		.key_path = F->dev[i].key_path,
		.port = F->c.port,
		.body = body,
		.body_size = strlen(body),
	};
	long status;

	http_perform(t, &h);
	status = h.status;
	if (status == 200 && ret_acked) {
		const char *a = h.resp ? strstr(h.resp, "\"acked_seq\":") : NULL;

		*ret_acked = a ? atoll(a + 12) : -1;
	}
	http_done(&h);
	return status;
}

/* Posts every device's records first..last, a batch a device in turn, as laptops would. */
static int post_range(struct harness *t, struct export_fixture *F, long long first, long long last)
{
	for (long long s = first; s <= last; s += BATCH)
		for (int i = 0; i < N_DEVICES; i++) {
			_cleanup_free_ char *body = device_batch(F, i, s, MIN(s + BATCH - 1, last));
			long long acked = 0;

			CHECK(body, "no memory");
			CHECK(post_batch(t, F, i, body, &acked) == 200 &&
				      acked == MIN(s + BATCH - 1, last),
			      "device %d's records %lld.. were not acknowledged", i, s);
		}
	return 0;
}

struct seen {
	long long next[N_DEVICES]; /* the seq each device's next new record must have */
	unsigned long long lines, dups;
};

/*
 * Reads what rsyslog wrote to path: every line one JSON record, each
 * device's records arriving in order (a repeat only of one seen before, with
 * the collector's metadata.uid), every one of 1..per_device there.  0, or -1
 * with why on stderr.
 */
static int siem_check(const struct export_fixture *F, const char *path, long long per_device,
		      struct seen *ret)
{
	_cleanup_free_ char *text = NULL;
	struct seen s = {};
	size_t size;

	for (int i = 0; i < N_DEVICES; i++)
		s.next[i] = 1;
	CHECK(file_read(path, &text, &size) == 0, "%s cannot be read", path);
	for (char *line = text, *nl; line < text + size; line = nl + 1) {
		const char *seq_path[] = { "postured", "seq", NULL },
			   *dev_path[] = { "device", "uid", NULL },
			   *uid_path[] = { "metadata", "uid", NULL };
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		char want_uid[128];
		const char *dev, *uid;
		yajl_val v;
		long long seq;
		int i;

		nl = memchr(line, '\n', size - (size_t)(line - text));
		CHECK(nl, "%s ends in half a line", path);
		*nl = '\0';
		root = yajl_tree_parse(line, NULL, 0);
		CHECK(root, "%s line %llu is not JSON: %.200s", path, s.lines + 1, line);
		s.lines++;
		v = yajl_tree_get(root, seq_path, yajl_t_number);
		dev = YAJL_GET_STRING(yajl_tree_get(root, dev_path, yajl_t_string));
		uid = YAJL_GET_STRING(yajl_tree_get(root, uid_path, yajl_t_string));
		CHECK(v && dev && uid, "%s line %llu lacks seq, device or uid", path, s.lines);
		seq = YAJL_GET_INTEGER(v);
		for (i = 0; i < N_DEVICES && strcmp(F->dev[i].id, dev) != 0; i++)
			;
		CHECK(i < N_DEVICES, "%s line %llu is of an unknown device", path, s.lines);
		snprintf(want_uid, sizeof(want_uid), "%s-%s-%lld", dev, BOOT_UID, seq);
		CHECK(strcmp(uid, want_uid) == 0, "metadata.uid %s, not %s", uid, want_uid);
		if (seq < s.next[i]) {
			s.dups++; /* sent again after a failure: the same uid tells */
			continue;
		}
		CHECK(seq == s.next[i],
		      "%s: device %d's record %lld came after %lld (missing %lld)", path, i, seq,
		      s.next[i] - 1, s.next[i]);
		s.next[i]++;
	}
	for (int i = 0; i < N_DEVICES; i++)
		CHECK(s.next[i] == per_device + 1, "%s: device %d has records up to %lld of %lld",
		      path, i, s.next[i] - 1, per_device);
	*ret = s;
	return 0;
}

/* Waits up to 60 s until both SIEM files hold every record of 1..per_device. */
static int siem_wait(const struct export_fixture *F, long long per_device, struct seen *tls,
		     struct seen *relp)
{
	long long deadline = now_ms() + 60000;
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int r = -1;

	/* The checks fail quietly until the end, then once aloud. */
	while (now_ms() < deadline) {
		dup2(null, 2);
		r = siem_check(F, F->tls_log, per_device, tls) == 0 &&
				    siem_check(F, F->relp_log, per_device, relp) == 0 ?
			    0 :
			    -1;
		dup2(saved, 2);
		if (r == 0)
			break;
		msleep(200);
	}
	close(null);
	close(saved);
	if (r < 0) {
		CHECK(siem_check(F, F->tls_log, per_device, tls) == 0, "syslog/TLS");
		CHECK(siem_check(F, F->relp_log, per_device, relp) == 0, "RELP");
	}
	return 0;
}

static yajl_val export_api(struct harness *t, const struct export_fixture *F, const char *name,
			   yajl_val *ret_root);
static long long api_int(yajl_val obj, const char *key);

static int test_export_exactly_once(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	struct seen tls, relp;

	CHECK(fixture_start(t, &F, "once", NULL) == 0, "no fixture");
	CHECK(post_range(t, &F, 1, PER_DEVICE) == 0, "posting failed");
	CHECK(siem_wait(&F, PER_DEVICE, &tls, &relp) == 0, "not all arrived");
	CHECK(tls.lines == ALL && tls.dups == 0, "syslog/TLS: %llu lines, %llu repeats", tls.lines,
	      tls.dups);
	CHECK(relp.lines == ALL && relp.dups == 0, "RELP: %llu lines, %llu repeats", relp.lines,
	      relp.dups);
	CHECK(db_int(F.c.db, "SELECT count(*) FROM records", NULL) == ALL, "the store lacks some");
	/* A resend of what is stored already is acknowledged and not exported again. */
	{
		_cleanup_free_ char *again = device_batch(&F, 0, 1, BATCH);
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		long long acked = 0;

		CHECK(again && post_batch(t, &F, 0, again, &acked) == 200 && acked == PER_DEVICE,
		      "the resend was not acknowledged (%lld)", acked);
		export_api(t, &F, "relp", &root);
		CHECK(api_int(root, "exported") == ALL, "the log holds %lld records after a resend",
		      api_int(root, "exported"));
	}
	/* 4 MB of records in files of 1 MB: rotated, and the closed ones compressed. */
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "test $(ls %s/*.ndjson.gz | wc -l) -ge 2", F.export_dir);
		CHECK(system(cmd) == 0, "the export log was not rotated and compressed");
	}
	fprintf(stderr, "    10,000 records from %d devices: syslog/TLS %llu, RELP %llu\n",
		N_DEVICES, tls.lines, relp.lines);
	return 0;
}

static int test_export_siem_down(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	unsigned long long forwarded = 0;
	struct seen tls, relp;
	long long t0;

	CHECK(fixture_start(t, &F, "down", NULL) == 0, "no fixture");
	CHECK(post_range(t, &F, 1, PER_DEVICE / 4) == 0, "posting failed");
	/* Stopped while the forwarders may still be sending the first quarter. */
	CHECK(siem_stop(&F.siem) == 0, "rsyslog did not stop");
	t0 = now_ms();
	CHECK(post_range(t, &F, PER_DEVICE / 4 + 1, 3 * PER_DEVICE / 4) == 0,
	      "ingest was held up by the SIEM being down");
	fprintf(stderr, "    the middle 5,000 taken in %lld ms with rsyslog down\n", now_ms() - t0);
	forwarder_wait(F.export_dir, "relp", ALL, 0, &forwarded);
	CHECK(forwarded <= ALL / 4, "RELP forwarded %llu with nobody to take them", forwarded);
	CHECK(siem_start(&F.siem, NULL, t->pki) == 0, "rsyslog did not start again");
	CHECK(post_range(t, &F, 3 * PER_DEVICE / 4 + 1, PER_DEVICE) == 0, "posting failed");
	CHECK(siem_wait(&F, PER_DEVICE, &tls, &relp) == 0, "not all arrived");
	fprintf(stderr,
		"    rsyslog down for the middle 5,000: syslog/TLS %llu lines (%llu repeats), "
		"RELP %llu (%llu repeats)\n",
		tls.lines, tls.dups, relp.lines, relp.dups);
	return 0;
}

/* Posts like an agent: a batch is sent until acknowledged, the collector restarted when gone. */
static int post_through_crash(struct harness *t, struct export_fixture *F, long long first,
			      long long last, long long kill_at, unsigned *ret_kills)
{
	pid_t killer = 0;

	for (long long s = first; s <= last; s += BATCH)
		for (int i = 0; i < N_DEVICES; i++) {
			_cleanup_free_ char *body = device_batch(F, i, s, MIN(s + BATCH - 1, last));
			long long acked = 0, deadline = now_ms() + 30000;

			CHECK(body, "no memory");
			if (s == kill_at && i == N_DEVICES / 2) {
				/* SIGKILL a moment into the next requests, whatever it is doing. */
				pid_t victim = F->c.pid;

				killer = fork();
				CHECK(killer >= 0, "fork: %m");
				if (killer == 0) {
					msleep(5 + (unsigned)(getpid() % 40));
					kill(victim, SIGKILL);
					_exit(0);
				}
			}
			while (post_batch(t, F, i, body, &acked) != 200 ||
			       acked != MIN(s + BATCH - 1, last)) {
				CHECK(now_ms() < deadline, "device %d's batch %lld never got in", i,
				      s);
				if (killer > 0 && waitpid(killer, NULL, WNOHANG) == killer) {
					killer = 0;
					waitpid(F->c.pid, NULL, 0);
					F->c.pid = 0;
					(*ret_kills)++;
					CHECK(collector_up(t, F) == 0, "no restart");
				}
				msleep(20);
			}
		}
	if (killer > 0)
		waitpid(killer, NULL, 0);
	return 0;
}

static int test_export_collector_killed(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	struct seen tls, relp;
	unsigned kills = 0;

	CHECK(fixture_start(t, &F, "killed", NULL) == 0, "no fixture");
	CHECK(post_through_crash(t, &F, 1, PER_DEVICE, PER_DEVICE / 2 + 1, &kills) == 0,
	      "posting failed");
	CHECK(kills == 1, "the collector was killed %u times, not once", kills);
	CHECK(siem_wait(&F, PER_DEVICE, &tls, &relp) == 0, "some are missing");
	CHECK(db_int(F.c.db, "SELECT count(*) FROM records", NULL) == ALL,
	      "the store does not hold each record once");
	fprintf(stderr,
		"    collector killed mid-stream: syslog/TLS %llu lines (%llu repeats), "
		"RELP %llu (%llu repeats)\n",
		tls.lines, tls.dups, relp.lines, relp.dups);
	return 0;
}

static int test_export_forwarders_killed(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	unsigned long long tls_before = 0, relp_before = 0;
	struct seen tls, relp;

	CHECK(fixture_start(t, &F, "fwkilled", NULL) == 0, "no fixture");
	CHECK(post_range(t, &F, 1, PER_DEVICE / 2) == 0, "posting failed");
	/* SIGKILL both while they send the first half: no goodbye, no last cursor. */
	msleep(60);
	CHECK(process_stop(F.fw_tls, SIGKILL) == 128 + SIGKILL &&
		      process_stop(F.fw_relp, SIGKILL) == 128 + SIGKILL,
	      "the forwarders were not running");
	F.fw_tls = F.fw_relp = 0;
	forwarder_wait(F.export_dir, "tls", ALL, 0, &tls_before);
	forwarder_wait(F.export_dir, "relp", ALL, 0, &relp_before);
	CHECK(post_range(t, &F, PER_DEVICE / 2 + 1, PER_DEVICE) == 0, "posting failed");
	CHECK(forwarders_start(t, &F, NULL) == 0, "the forwarders did not start again");
	CHECK(siem_wait(&F, PER_DEVICE, &tls, &relp) == 0, "some are missing");
	fprintf(stderr,
		"    forwarders killed at %llu (syslog/TLS) and %llu (RELP) of 10,000 and started "
		"again: syslog/TLS %llu lines (%llu repeats), RELP %llu (%llu repeats)\n",
		tls_before, relp_before, tls.lines, tls.dups, relp.lines, relp.dups);
	return 0;
}

/* GET /api/v1/export as the PKI's viewer: destination name's object, or NULL; the whole in *ret_root. */
static yajl_val export_api(struct harness *t, const struct export_fixture *F, const char *name,
			   yajl_val *ret_root)
{
	char cert[512], key[512];
	struct http h = {
		.path = "/api/v1/export", .port = F->c.ui_port, .cert_path = cert, .key_path = key
	};
	const char *list_path[] = { "destinations", NULL }, *name_path[] = { "name", NULL };
	yajl_val root = NULL, list;

	file_path(cert, sizeof(cert), t->pki, "person-viewer.crt");
	file_path(key, sizeof(key), t->pki, "person-viewer.key");
	http_perform(t, &h);
	if (h.status == 200 && h.resp)
		root = yajl_tree_parse(h.resp, NULL, 0);
	http_done(&h);
	*ret_root = root;
	list = root ? yajl_tree_get(root, list_path, yajl_t_array) : NULL;
	for (size_t i = 0; list && i < list->u.array.len; i++) {
		const char *n = YAJL_GET_STRING(
			yajl_tree_get(list->u.array.values[i], name_path, yajl_t_string));

		if (n && strcmp(n, name) == 0)
			return list->u.array.values[i];
	}
	return NULL;
}

static long long api_int(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = obj ? yajl_tree_get(obj, path, yajl_t_number) : NULL;

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

/* A string member of obj, "" when absent or not a string (so a CHECK can print it). */
static const char *api_str(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = obj ? yajl_tree_get(obj, path, yajl_t_string) : NULL;

	return v ? YAJL_GET_STRING(v) : "";
}

static int test_export_counters(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	_cleanup_(yajl_tree_freep) yajl_val root = NULL, root2 = NULL;
	char cert[512], key[512];
	struct seen tls, relp;
	struct http h;
	long long age;
	yajl_val d;

	CHECK(fixture_start(t, &F, "counters", NULL) == 0, "no fixture");
	CHECK(post_range(t, &F, 1, 100) == 0, "posting failed");
	CHECK(forwarder_wait(F.export_dir, "relp", 1000, 30000, NULL) == 0, "RELP is behind");
	CHECK(siem_stop(&F.siem) == 0, "rsyslog did not stop");
	CHECK(post_range(t, &F, 101, 300) == 0, "posting failed");
	msleep(1500);
	/* Down: what waits, and since when, for each destination. */
	d = export_api(t, &F, "relp", &root);
	CHECK(d, "no RELP destination in /api/v1/export");
	CHECK(api_int(root, "exported") == 3000, "exported %lld, not 3000",
	      api_int(root, "exported"));
	CHECK(api_int(d, "forwarded") == 1000 && api_int(d, "pending") == 2000,
	      "RELP: forwarded %lld, pending %lld", api_int(d, "forwarded"), api_int(d, "pending"));
	/* Record 1001, the first pending, was received before the 1.5 s wait began. */
	age = realtime_ms() - api_int(d, "oldest_pending");
	CHECK(api_int(d, "oldest_pending") > 0 && age >= 1500 && age < 60000,
	      "the oldest pending was received %lld ms ago", age);
	CHECK(strcmp(api_str(d, "state"), "disconnected") == 0 &&
		      strstr(api_str(d, "error"), "cannot open a RELP session"),
	      "RELP: state %s, error %s", api_str(d, "state"), api_str(d, "error"));
	/* The same on the page, for IT. */
	file_path(cert, sizeof(cert), t->pki, "person-viewer.crt");
	file_path(key, sizeof(key), t->pki, "person-viewer.key");
	h = (struct http){
		.path = "/export", .port = F.c.ui_port, .cert_path = cert, .key_path = key
	};
	http_perform(t, &h);
	CHECK(h.status == 200 && h.resp && strstr(h.resp, "<td>relp</td>") &&
		      strstr(h.resp, ">2000<") && strstr(h.resp, "cannot open a RELP session"),
	      "the export page: %ld %.300s", h.status, h.resp ? h.resp : h.error);
	http_done(&h);
	/* And as CSV: a header line, then each forwarder. */
	h = (struct http){ .path = "/export?format=csv",
			   .port = F.c.ui_port,
			   .cert_path = cert,
			   .key_path = key };
	http_perform(t, &h);
	CHECK(h.status == 200 && h.resp &&
		      strncmp(h.resp, "name,destination,forwarded,pending,", 35) == 0 &&
		      strstr(h.resp, "\r\nrelp,relp://127.0.0.1:") && strstr(h.resp, ",1000,2000,"),
	      "the export CSV: %ld %.300s", h.status, h.resp ? h.resp : h.error);
	http_done(&h);

	CHECK(siem_start(&F.siem, NULL, t->pki) == 0, "rsyslog did not start again");
	CHECK(siem_wait(&F, 300, &tls, &relp) == 0, "not all arrived");
	CHECK(forwarder_wait(F.export_dir, "relp", 3000, 30000, NULL) == 0, "RELP is behind");
	d = export_api(t, &F, "relp", &root2);
	CHECK(api_int(d, "forwarded") == 3000 && api_int(d, "pending") == 0 &&
		      api_int(d, "oldest_pending") == -1,
	      "after: forwarded %lld, pending %lld", api_int(d, "forwarded"),
	      api_int(d, "pending"));
	return 0;
}

/* How many lines rsyslog wrote to path hold needle; the longest of them in *ret_longest. */
static unsigned lines_with(const char *path, const char *needle, size_t *ret_longest)
{
	_cleanup_free_ char *text = NULL;
	size_t size, longest = 0;
	unsigned n = 0;
	char *nl;

	if (file_read(path, &text, &size) < 0)
		return 0;
	for (char *line = text; line < text + size; line = nl + 1) {
		nl = memchr(line, '\n', size - (size_t)(line - text));
		if (!nl)
			break;
		*nl = '\0';
		if (strstr(line, needle)) {
			n++;
			longest = MAX(longest, (size_t)(nl - line));
		}
	}
	if (ret_longest)
		*ret_longest = longest;
	return n;
}

#define HUGE_FIELD (600 * 1024)

static int test_export_hostile(struct harness *t)
{
	const char *relp_filter[] = { "--class", "2003", "--min-severity", "3", NULL };
	_cleanup_(fixture_done) struct export_fixture F = {};
	_cleanup_free_ char *huge = malloc(HUGE_FIELD + 1), *body = calloc(1, 1), *bad = NULL;
	size_t size = 0, longest = 0;
	long long acked = 0;
	struct http h;

	CHECK(huge && body, "no memory");
	memset(huge, 'A', HUGE_FIELD);
	huge[HUGE_FIELD] = '\0';
	CHECK(fixture_start(t, &F, "hostile", relp_filter) == 0, "no fixture");
	/*
	 * A compromised agent: a host name that would begin a syslog message of its own, escapes
	 * for line ends, terminals and a NUL, a field of 600 KiB; valid records all the same,
	 * of severities 1 to 4 (the RELP forwarder takes findings of 3 and more).
	 */
	for (long long s = 1; s <= 4; s++)
		CHECK(records_printf(
			      &body, &size,
			      "{\"class_uid\":2003,\"time\":%lld,\"severity_id\":%lld,"
			      "\"metadata\":{\"version\":\"1.9.0-dev\"},\"device\":{\"uid\":"
			      "\"%s\",\"hostname\":\"evil\\n<13>1 2026-01-01T00:00:00Z x\"},"
			      "\"message\":\"%s\",\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID
			      "\"}}\n",
			      realtime_ms(), s, F.dev[0].id,
			      s == 1 ? "line\\nbreak\\r\\u0000nul\\u001b[2Jclear\\u2028sep" :
			      s == 2 ? huge :
				       "after the huge one",
			      s) == 0,
		      "no memory");
	CHECK(post_batch(t, &F, 0, body, &acked) == 200 && acked == 4,
	      "the hostile batch was refused");
	/* Invalid UTF-8 is refused at the door, naming the line: it never reaches the log. */
	size = 0;
	CHECK(records_printf(
		      &bad, &size,
		      "{\"class_uid\":2003,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		      "\"message\":\"\xff\xfe not-utf8-marker\",\"postured\":{\"seq\":5,\"boot_uid\":"
		      "\"" BOOT_UID "\"}}\n") == 0,
	      "no memory");
	h = (struct http){ .method = "POST",
			   .path = "/v1/reports",
			   .cert_path = F.dev[0].cert_path,
			   .key_path = F.dev[0].key_path,
			   .port = F.c.port,
			   .body = bad,
			   .body_size = size };
	http_perform(t, &h);
	CHECK(h.status == 400 && h.resp && strstr(h.resp, "\"line\":1"), "invalid UTF-8: %ld %s",
	      h.status, h.resp ? h.resp : h.error);
	http_done(&h);

	CHECK(forwarder_wait(F.export_dir, "tls", 4, 30000, NULL) == 0, "syslog/TLS is behind");
	CHECK(forwarder_wait(F.export_dir, "relp", 2, 30000, NULL) == 0, "RELP is behind");
	msleep(500); /* rsyslog writes what it took a moment later */
	CHECK(lines_with(F.tls_log, "\"hostname\":\"evil\\n<13>1", NULL) == 4,
	      "syslog/TLS: not 4 whole lines with the hostile host name");
	CHECK(lines_with(F.tls_log, "\"message\":\"after the huge one\"", NULL) == 2,
	      "the records after the huge one are not whole");
	lines_with(F.tls_log, "AAAAAAAA", &longest);
	CHECK(longest > HUGE_FIELD, "the huge record arrived cut to %zu bytes", longest);
	CHECK(lines_with(F.tls_log, "line\\nbreak\\r\\u0000nul\\u001B[2Jclear", NULL) == 1,
	      "the escapes did not stay escaped");
	CHECK(lines_with(F.tls_log, "not-utf8-marker", NULL) == 0,
	      "the invalid record got through");
	CHECK(lines_with(F.relp_log, "evil", NULL) == 2,
	      "RELP, findings of severity 3 or more only: %u lines",
	      lines_with(F.relp_log, "evil", NULL));
	lines_with(F.relp_log, "AAAAAAAA", &longest);
	CHECK(longest == 0, "RELP took the severity-2 record");
	return 0;
}

static void hec_stopp(struct hec *h)
{
	hec_stop(h);
}

static int test_export_hec(struct harness *t)
{
	_cleanup_(fixture_done) struct export_fixture F = {};
	_cleanup_(hec_stopp) struct hec hec = {};
	char token[512], bad_token[512], out[512], ca[512], to[128], log[512], bad_log[512];
	const char *opts[] = { "--ca", ca, "--token-file", token, NULL },
		   *bad_opts[] = { "--ca", ca, "--token-file", bad_token, NULL };
	unsigned long long forwarded = 0;
	int dir_fd;
	struct export_cursor c = {};
	struct seen s;

	snprintf(F.name, sizeof(F.name), "hec");
	file_path(F.export_dir, sizeof(F.export_dir), t->dir, "hec-export");
	CHECK(collector_up(t, &F) == 0, "no collector");
	CHECK(enroll_token_create(t, &F.c, &F.tok, "--uses", "20", NULL) == 0, "no token");
	for (int i = 0; i < N_DEVICES; i++)
		CHECK(enroll_device_new(&F.dev[i]) == 0 &&
			      enroll_device_ok(t, &F.c, &F.dev[i], F.tok.bearer, false) == 0,
		      "device %d did not enroll", i);
	file_path(out, sizeof(out), t->dir, "hec-events.ndjson");
	file_path(token, sizeof(token), t->dir, "hec.token");
	file_path(bad_token, sizeof(bad_token), t->dir, "hec-bad.token");
	file_path(ca, sizeof(ca), t->pki, "server-ca.crt");
	CHECK(file_write(token, "0b5e3c1a-4f2d-4e6a-9b8c-7d1e2f3a4b5c\n", 37, 0600) == 0 &&
		      file_write(bad_token, "not-the-token", 13, 0600) == 0,
	      "cannot write the tokens");
	CHECK(hec_start(&hec, t->pki, "0b5e3c1a-4f2d-4e6a-9b8c-7d1e2f3a4b5c", out) == 0,
	      "the event collector did not start");
	snprintf(to, sizeof(to), "hec+https://localhost:%d", hec.port);
	snprintf(log, sizeof(log), "%s/hec-forward.log", t->dir);
	snprintf(bad_log, sizeof(bad_log), "%s/hec-bad-forward.log", t->dir);
	F.fw_tls = forwarder_start(t->bin, F.export_dir, "hec", to, opts, log);
	F.fw_relp = forwarder_start(t->bin, F.export_dir, "hec-bad", to, bad_opts, bad_log);
	CHECK(F.fw_tls > 0 && F.fw_relp > 0, "the forwarders did not start");

	CHECK(post_range(t, &F, 1, 100) == 0, "posting failed");
	CHECK(forwarder_wait(F.export_dir, "hec", 1000, 30000, NULL) == 0, "HEC is behind");
	/* Busy: 503 for the next 1,000, which wait and then arrive once. */
	hec.down = true;
	CHECK(post_range(t, &F, 101, 200) == 0, "posting failed");
	msleep(1500);
	forwarder_wait(F.export_dir, "hec", ALL, 0, &forwarded);
	CHECK(forwarded == 1000, "forwarded %llu while the collector was busy", forwarded);
	hec.down = false;
	CHECK(post_range(t, &F, 201, PER_DEVICE) == 0, "posting failed");
	CHECK(forwarder_wait(F.export_dir, "hec", ALL, 60000, &forwarded) == 0,
	      "HEC forwarded %llu of %d", forwarded, ALL);
	CHECK(siem_check(&F, out, PER_DEVICE, &s) == 0, "the events are not all there");
	CHECK(s.lines == ALL && s.dups == 0 && hec.bad_envelopes == 0,
	      "%llu events, %llu repeats, %u bad envelopes", s.lines, s.dups, hec.bad_envelopes);

	/* A wrong token: nothing forwarded, and the cursor says why. */
	dir_fd = open(F.export_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir_fd >= 0 && export_cursor_load(dir_fd, "hec-bad", &c) == 0, "no cursor");
	close(dir_fd);
	CHECK(c.forwarded == 0 && strstr(c.error, "401") &&
		      strstr(c.error, "Invalid authorization"),
	      "the wrong token: forwarded %llu, error '%s'", (unsigned long long)c.forwarded,
	      c.error);
	fprintf(stderr, "    10,000 records to the event collector in %u requests (%u refused)\n",
		hec.requests, hec.refused);
	return 0;
}

const struct test forward_tests[] = {
	{ "export: 10,000 records reach rsyslog over syslog/TLS and RELP exactly once",
	  test_export_exactly_once },
	{ "export: rsyslog down for the middle 5,000: all arrive, in order per device",
	  test_export_siem_down },
	{ "export: the collector killed mid-stream: none missing, repeats by metadata.uid",
	  test_export_collector_killed },
	{ "export: the forwarders killed mid-stream and started again: none missing",
	  test_export_forwarders_killed },
	{ "export: pending and its age per destination on /export and /api/v1/export",
	  test_export_counters },
	{ "export: hostile records stay one message each, invalid UTF-8 is refused, filters",
	  test_export_hostile },
	{ "export: an HTTP event collector (HEC) gets each record once, waits out 503s, 401 said",
	  test_export_hec },
	{},
};
