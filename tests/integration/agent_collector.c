// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The whole path on this machine: the real agent with its probes in the
 * kernel, its spool and its unprivileged sender, and the real collector with
 * a test PKI made by tools/make-test-pki, on loopback.  An exec the test
 * makes must reach the collector's store, under the device id of the
 * client certificate, within 5 s; so must the finding of a denied program
 * and the posture snapshot.  The signed policy feed: a policy the collector
 * serves is put in force, a bad signature and a rollback are refused with a
 * finding, and the last good signed policy serves an offline start-up.
 * The agent runs with only the capabilities its systemd unit grants, as it
 * does on a laptop.  Needs root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postured/config.h"
#include "harness.h"
#include "../collector/harness_db.h"
#include "../collector/harness_process.h"

#define DELIVERY_TIMEOUT_MS 5000

struct world {
	char *dir;
	char pki[PATH_MAX];
	char config[PATH_MAX];
	char policy[PATH_MAX];
	char prog[PATH_MAX];
	char name[64];
	char device_id[64];
	char port[8]; /* the collector's, once it listens */
	struct collector collector; /* its store, db, is the world's from the start */
	/* The policy feed: what the collector serves (--policy, --policy-signature). */
	bool feed;
	char feed_policy[PATH_MAX];
	char feed_sig[PATH_MAX];
	char signed_policy[PATH_MAX];
};

static void world_done(struct world *w)
{
	if (w->collector.pid > 0)
		(void)collector_stop(&w->collector, SIGTERM);
	harness_tmpdir_freep(&w->dir);
}

/* The world's files: the PKI, the device id, the copy of write_marker; no configuration yet. */
static int world_init(struct world *w)
{
	char path[PATH_MAX + 32];
	char *pki_argv[3];
	uint32_t rnd;
	FILE *f;

	*w = (struct world){};
	TRY(harness_tmpdir_new(&w->dir));
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return harness_fail("getrandom: %m");
	snprintf(w->name, sizeof(w->name), "pdac-%08x", rnd);
	snprintf(w->pki, sizeof(w->pki), "%s/pki", w->dir);
	snprintf(w->collector.db, sizeof(w->collector.db), "%s/collector.db", w->dir);
	snprintf(w->config, sizeof(w->config), "%s/postured.conf", w->dir);
	snprintf(w->policy, sizeof(w->policy), "%s/policy.json", w->dir);
	snprintf(w->prog, sizeof(w->prog), "%s/%s", w->dir, w->name);

	pki_argv[0] = (char *)harness_source_path("tools/make-test-pki");
	pki_argv[1] = w->pki;
	pki_argv[2] = NULL;
	TRY(harness_run(pki_argv, 60000));
	snprintf(path, sizeof(path), "%s/device1.id", w->pki);
	f = fopen(path, "re");
	if (!f || !fgets(w->device_id, sizeof(w->device_id), f)) {
		if (f)
			fclose(f);
		return harness_fail("Cannot read %s", path);
	}
	fclose(f);
	w->device_id[strcspn(w->device_id, "\n")] = '\0';
	return harness_copy_file(harness_helper("write_marker"), w->prog);
}

/*
 * The agent's configuration, naming the collector's port: for the feed
 * (world_feed_init()), no policy_file, the pinned key, fetching every
 * second; else the policy file, written too.
 */
static int world_write_config(struct world *w)
{
	char text[6 * PATH_MAX + 512];

	if (w->feed) {
		snprintf(
			text, sizeof(text),
			"{\"collector_url\": \"https://localhost:%s\",\n"
			" \"collector_ca\": \"%s/server-ca.crt\",\n"
			" \"client_cert\": \"%s/device1.crt\", \"client_key\": \"%s/device1.key\",\n"
			" \"spool_path\": \"%s/spool.db\", \"sender_user\": \"nobody\",\n"
			" \"policy_public_key\": \"%s/policy-signing.pub\",\n"
			" \"policy_incoming_dir\": \"%s/incoming\",\n"
			" \"signed_policy_path\": \"%s\",\n"
			" \"policy_fetch_interval_seconds\": 1}\n",
			w->port, w->pki, w->pki, w->pki, w->dir, w->pki, w->dir, w->signed_policy);
		return harness_write_file(w->config, text);
	}
	/* Every exec to the collector, and a monitor-mode deny rule on the copy. */
	snprintf(
		text, sizeof(text),
		"{\"id\": \"e2e\", \"serial\": 1, \"mode\": \"monitor\",\n"
		" \"settings\": {\"exec_audit\": true},\n"
		" \"rules\": [{\"id\": \"deny-copy\", \"type\": \"process\", \"title\": \"copy\",\n"
		"   \"severity\": \"medium\", \"match\": {\"name\": \"%s\"}, \"effect\": \"deny\",\n"
		"   \"message\": {\"en\": \"The test program ran.\"},\n"
		"   \"remediation\": {\"en\": \"Nothing to do.\"}},\n"
		/* No program may reach the collector's port; the agent's own sender still must. */
		"  {\"id\": \"no-collector\", \"type\": \"network\", \"title\": \"collector\",\n"
		"   \"severity\": \"low\", \"mode\": \"enforce\", \"direction\": \"outbound\",\n"
		"   \"protocol\": \"tcp\", \"match\": {\"address\": \"loopback\", \"port\": %s},\n"
		"   \"effect\": \"deny\", \"message\": {\"en\": \"m\"},\n"
		"   \"remediation\": {\"en\": \"r\"}}]}\n",
		w->name, w->port);
	TRY(harness_write_file(w->policy, text));
	snprintf(text, sizeof(text),
		 "{\"policy_file\": \"%s\",\n"
		 " \"collector_url\": \"https://localhost:%s\",\n"
		 " \"collector_ca\": \"%s/server-ca.crt\",\n"
		 " \"client_cert\": \"%s/device1.crt\", \"client_key\": \"%s/device1.key\",\n"
		 " \"spool_path\": \"%s/spool.db\", \"sender_user\": \"nobody\"}\n",
		 w->policy, w->port, w->pki, w->pki, w->pki, w->dir);
	return harness_write_file(w->config, text);
}

/*
 * Starts the collector on a port of its choosing and waits for its READY=1
 * (collector_spawn() of the collector suite's harness), then writes the
 * agent's configuration naming that port.
 */
static int world_start_collector(struct world *w)
{
	/* No --policy-public-key: the collector serves what it is given, good or bad. */
	const char *const feed[] = { "--policy", w->feed_policy, "--policy-signature", w->feed_sig,
				     NULL };
	char notify[PATH_MAX + 16];
	int exit_status = -1;

	snprintf(notify, sizeof(notify), "%s/collector.notify", w->dir);
	snprintf(w->collector.log, sizeof(w->collector.log), "%s/collector.log", w->dir);
	if (collector_spawn_pki(&w->collector, harness_build_path("posture-collector"), w->pki,
				"collector", "127.0.0.1:0", w->feed ? feed : NULL, notify,
				&exit_status) < 0) {
		_cleanup_free_ char *log = NULL;

		(void)harness_read_text(w->collector.log, &log);
		return harness_fail("The collector did not become ready (exit status %d); its log: "
				    "%.2000s",
				    exit_status, log ? log : "(none)");
	}
	snprintf(w->port, sizeof(w->port), "%d", w->collector.port);
	return world_write_config(w);
}

/* Rows of the collector's store for device of class_uid whose record is LIKE like. */
static int count_rows(struct world *w, const char *device, int class_uid, const char *like,
		      long long *ret)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM records WHERE device_id = ?1 AND "
				    "class_uid = %d AND record LIKE %Q",
				    class_uid, like);

	if (!sql)
		return harness_fail("Out of memory");
	/* -1 before the store is there to read: not yet. */
	*ret = db_int(w->collector.db, sql, device);
	sqlite3_free(sql);
	return 0;
}

static int wait_rows(struct world *w, int class_uid, const char *like, const char *what)
{
	int64_t deadline = harness_now_ms() + DELIVERY_TIMEOUT_MS, start = harness_now_ms();
	long long n = 0;

	while (harness_now_ms() < deadline) {
		TRY(count_rows(w, w->device_id, class_uid, like, &n));
		if (n > 0) {
			harness_note("%s stored after %lld ms", what,
				     (long long)(harness_now_ms() - start));
			return 0;
		}
		usleep(50 * 1000);
	}
	return harness_fail("%s did not reach the collector's store within %d ms", what,
			    DELIVERY_TIMEOUT_MS);
}

/*
 * What the delivery tests share: the world, the collector, the agent (its
 * sender delivering to the collector), and one run of the copy the policy's
 * monitor-mode deny rule names, so there is an exec and a finding to deliver.
 */
static struct delivery {
	struct world w;
	struct harness_agent *a;
} dl;

static int delivery_setup(const void *arg)
{
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	char marker[PATH_MAX + 16];
	char *argv[3];
	int status;
	pid_t pid;

	dl = (struct delivery){};
	TRY(world_init(&dl.w));
	TRY(world_start_collector(&dl.w));
	o.config = dl.w.config;
	TRY(harness_agent_start(&o, &dl.a));

	snprintf(marker, sizeof(marker), "%s/marker", dl.w.dir);
	argv[0] = dl.w.prog;
	argv[1] = marker;
	argv[2] = NULL;
	TRY(harness_spawn(dl.w.prog, argv, &co, &pid));
	return harness_wait_child(pid, 5000, &status);
}

/* The agent must stop cleanly; then the collector goes, and the world. */
static int delivery_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&dl.a);

	world_done(&dl.w);
	return r;
}

/*
 * A network rule refuses every program the collector's port, and this
 * one is refused; the agent's sender, exempt, delivers all the same (the
 * records the other tests find in the store).
 */
static int test_collector_port_refused(const void *arg)
{
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	char *cargv[] = { (char *)harness_helper("net_client"), "tcp", "127.0.0.1", dl.w.port,
			  NULL };
	int status;
	pid_t cpid;

	TRY(harness_spawn(cargv[0], cargv, &co, &cpid));
	TRY(harness_wait_child(cpid, 5000, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 10,
	      "a program other than the sender is refused the collector's port (status "
	      "%d, 10 is EPERM)",
	      status);
	return 0;
}

/* The exec (exec audit) reaches the collector's store. */
static int test_exec_record_stored(const void *arg)
{
	char like[PATH_MAX + 32];

	snprintf(like, sizeof(like), "%%\"path\":\"%s\"%%", dl.w.prog);
	return wait_rows(&dl.w, 1007, like, "the exec record");
}

/* The finding about it. */
static int test_finding_stored(const void *arg)
{
	return wait_rows(&dl.w, 2003, "%\"rule_id\":\"deny-copy\"%", "the finding");
}

/* The posture. */
static int test_posture_stored(const void *arg)
{
	return wait_rows(&dl.w, 5001, "%\"posture\"%", "the posture snapshot");
}

/* The agent's own start record (tamper evidence, Application Lifecycle). */
static int test_start_record_stored(const void *arg)
{
	return wait_rows(&dl.w, 6002, "%\"event\":\"agent_started\"%", "the agent's start record");
}

/*
 * Stored under the certificate's identity, and no other; the records carry
 * it as their device.uid too.
 */
static int test_stored_under_certificate_id(const void *arg)
{
	char like[PATH_MAX + 32];
	long long other = 0;

	snprintf(like, sizeof(like), "%%\"uid\":\"%s\"%%", dl.w.device_id);
	TRY(wait_rows(&dl.w, 1007, like, "an exec record naming the certificate's device id"));
	TRY(count_rows(&dl.w, "0000000000000000000000000000000", 1007, "%", &other));
	CHECK(other == 0, "records stored under another device id");
	return 0;
}

/*
 * The transparency promise: what the collector acknowledged is what the
 * owner can list on the laptop (posturectl sent), as it was sent.
 */
static int test_sent_lists_delivered(const void *arg)
{
	int64_t deadline = harness_now_ms() + DELIVERY_TIMEOUT_MS;
	bool seen = false;

	while (!seen && harness_now_ms() < deadline) {
		_cleanup_free_ char *answer = NULL;

		TRY(harness_status_ask(dl.a, "{\"id\":1,\"method\":\"sent\"}\n", &answer));
		seen = strstr(answer, dl.w.prog) && strstr(answer, "\"rule_id\":\"deny-copy\"");
		if (!seen)
			usleep(100 * 1000);
	}
	CHECK(seen, "the sent records do not show the exec and the finding the collector "
		    "stored");
	return 0;
}

/* --- the signed policy feed ------------------------------------------------------ */

/* The world of the policy feed: what the collector will serve, where the agent keeps it. */
static int world_feed_init(struct world *w)
{
	if (access(CONFIG_DEFAULT_POLICY, F_OK) == 0)
		return harness_fail("%s exists: the start-up order under test needs it absent",
				    CONFIG_DEFAULT_POLICY);
	w->feed = true;
	snprintf(w->feed_policy, sizeof(w->feed_policy), "%s/served.json", w->dir);
	snprintf(w->feed_sig, sizeof(w->feed_sig), "%s/served.sig", w->dir);
	snprintf(w->signed_policy, sizeof(w->signed_policy), "%s/policy.signed.json", w->dir);
	return 0;
}

/* The collector's policy: serial `serial`, one harmless monitor-mode rule. */
static int feed_write_policy(struct world *w, unsigned serial)
{
	char text[1024];

	snprintf(
		text, sizeof(text),
		"{\"id\": \"feed\", \"serial\": %u, \"mode\": \"monitor\",\n"
		" \"rules\": [{\"id\": \"deny-copy\", \"type\": \"process\", \"title\": \"copy\",\n"
		"   \"severity\": \"medium\", \"match\": {\"name\": \"%s\"}, \"effect\": \"deny\",\n"
		"   \"message\": {\"en\": \"The test program ran.\"},\n"
		"   \"remediation\": {\"en\": \"Nothing to do.\"}}]}\n",
		serial, w->name);
	return harness_write_file(w->feed_policy, text);
}

/* posture-collector sign-policy with the company's (the test PKI's) key. */
static int feed_sign(struct world *w)
{
	_cleanup_free_ char *err = NULL;
	char key[PATH_MAX + 32], err_path[PATH_MAX + 32];
	int r;

	snprintf(key, sizeof(key), "%s/policy-signing.key", w->pki);
	snprintf(err_path, sizeof(err_path), "%s/sign-policy.err", w->dir);
	r = collector_run_sign_policy(harness_build_path("posture-collector"), key, w->feed_policy,
				      w->feed_sig, err_path);
	if (r == 0)
		return 0;
	(void)harness_read_text(err_path, &err);
	return harness_fail("sign-policy failed (%d): %s", r, err ? err : "");
}

/* The collector re-reads its policy on SIGHUP. */
static int feed_reload(struct world *w)
{
	if (kill(w->collector.pid, SIGHUP) < 0)
		return harness_fail("Cannot signal the collector: %m");
	return 0;
}

static int expect_stderr(struct harness_agent *a, const char *text, int timeout_ms)
{
	int64_t start = harness_now_ms();
	int r = harness_agent_wait_stderr(a, text, timeout_ms);

	if (r < 0)
		return harness_fail("Reading the agent's stderr: %s", strerror(-r));
	if (r == 0)
		return harness_fail("The agent did not say \"%s\" within %d ms; it said: %s", text,
				    timeout_ms, harness_agent_stderr(a));
	harness_note("\"%s\" after %lld ms", text, (long long)(harness_now_ms() - start));
	return 0;
}

/*
 * What the feed tests share: the world with the feed's configuration, the
 * collector serving serial 3 properly signed, and the agent fetching it.
 */
static struct feed {
	struct world w;
	struct harness_agent *a;
	bool in_force; /* serial 3 was put in force and kept on disk */
} fe;

static int feed_setup(const void *arg)
{
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };

	fe = (struct feed){};
	TRY(world_init(&fe.w));
	TRY(world_feed_init(&fe.w));
	TRY(feed_write_policy(&fe.w, 3));
	TRY(feed_sign(&fe.w));
	TRY(world_start_collector(&fe.w));
	o.config = fe.w.config;
	return harness_agent_start(&o, &fe.a);
}

static int feed_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&fe.a);

	world_done(&fe.w);
	return r;
}

/* The served policy, serial 3, is verified and put in force, and kept on disk (once). */
static int feed_put_in_force(void)
{
	if (fe.in_force)
		return 0;
	TRY(expect_stderr(fe.a, "Policy feed (serial 3,", 10000));
	/* Kept on disk right after it is in force. */
	for (int i = 0; i < 40 && access(fe.w.signed_policy, F_OK) < 0; i++)
		usleep(50 * 1000);
	CHECK(access(fe.w.signed_policy, F_OK) == 0,
	      "no last good signed policy at %s; it said: %s", fe.w.signed_policy,
	      harness_agent_stderr(fe.a));
	fe.in_force = true;
	return 0;
}

static int test_feed_in_force(const void *arg)
{
	return feed_put_in_force();
}

/* Serial 4 with serial 3's signature: the bytes are not the signed bytes. */
static int test_feed_bad_signature(const void *arg)
{
	TRY(feed_write_policy(&fe.w, 4));
	TRY(feed_reload(&fe.w));
	TRY(expect_stderr(fe.a, "signature does not verify with the pinned key", 10000));
	TRY(wait_rows(&fe.w, 2003, "%signature does not verify with the pinned key%",
		      "the finding about the bad signature"));
	CHECK(!strstr(fe.a->err, "Policy feed (serial 4,"),
	      "a refused policy was put in force; the agent said: %s", harness_agent_stderr(fe.a));
	return 0;
}

/* Serial 2, properly signed, after 3: a rollback. */
static int test_feed_rollback(const void *arg)
{
	TRY(feed_put_in_force());
	TRY(feed_write_policy(&fe.w, 2));
	TRY(feed_sign(&fe.w));
	TRY(feed_reload(&fe.w));
	TRY(expect_stderr(fe.a, "serial 2 is lower than 3 in force: refusing a rollback", 10000));
	TRY(wait_rows(&fe.w, 2003, "%refusing a rollback%", "the finding about the rollback"));
	CHECK(!strstr(fe.a->err, "Policy feed (serial 4,") &&
		      !strstr(fe.a->err, "Policy feed (serial 2,"),
	      "a refused policy was put in force; the agent said: %s", harness_agent_stderr(fe.a));
	return 0;
}

/* The collector is gone: the agent starts with the last good signed policy.  Last: it ends both. */
static int test_feed_offline_start(const void *arg)
{
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct harness_agent_opts o = { .no_print_events = true,
					.config = fe.w.config,
					.privs = HARNESS_PRIVS_UNIT };
	char text[PATH_MAX + 128];

	TRY(feed_put_in_force());
	TRY(harness_agent_stop_freep(&fe.a));
	CHECK(collector_stop(&fe.w.collector, SIGTERM) >= 0,
	      "the collector did not exit within 10 s of SIGTERM");
	TRY(harness_agent_start(&o, &a));
	snprintf(text, sizeof(text),
		 "Policy feed (serial 3, monitor mode, 1 rules) from %s is in force",
		 fe.w.signed_policy);
	TRY(expect_stderr(a, text, 5000));
	return harness_agent_stop_ok(a);
}

/* A client key others can read: the agent refuses to start, saying what to do. */
static int test_loose_key_refused(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct harness_agent_opts o = { .no_print_events = true,
					.no_wait_ready = true,
					.privs = HARNESS_PRIVS_UNIT };
	struct harness_addr lo = harness_addr_of("127.0.0.1");
	char key[PATH_MAX + 32];
	uint16_t port;

	TRY(world_init(&w));
	/* No collector: the agent refuses to start before it would reach one. */
	TRY(harness_free_port(&lo, &port));
	snprintf(w.port, sizeof(w.port), "%u", port);
	TRY(world_write_config(&w));
	snprintf(key, sizeof(key), "%s/device1.key", w.pki);
	if (chmod(key, 0644) < 0)
		return harness_fail("Cannot chmod %s: %m", key);
	o.config = w.config;
	TRY(harness_agent_start(&o, &a));
	TRY(harness_agent_wait_exit(a, 15000, NULL, NULL, NULL));
	CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == 1,
	      "the agent should exit with status 1 for a readable key; stderr: %s",
	      harness_agent_stderr(a));
	CHECK(strstr(harness_agent_stderr(a), "must be owned by root and not readable by others"),
	      "the agent did not say what is wrong with the key; stderr: %s",
	      harness_agent_stderr(a));
	CHECK(!a->ready, "the agent said READY=1 although it refused to start");
	return 0;
}

static const struct harness_fixture delivery_fixture = { "exec_reaches_collector", delivery_setup,
							 delivery_teardown, NULL };
static const struct harness_fixture feed_fixture = { "signed_policy_feed", feed_setup,
						     feed_teardown, NULL };

static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("exec_reaches_collector/collector_port_refused_to_others",
			     test_collector_port_refused, NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/exec_record_stored", test_exec_record_stored,
			     NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/finding_stored", test_finding_stored, NULL,
			     &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/posture_snapshot_stored", test_posture_stored,
			     NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/agent_start_record_stored",
			     test_start_record_stored, NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/stored_under_certificate_device_id",
			     test_stored_under_certificate_id, NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("exec_reaches_collector/sent_lists_what_was_stored",
			     test_sent_lists_delivered, NULL, &delivery_fixture),
	HARNESS_FIXTURE_TEST("signed_policy_feed/served_policy_put_in_force", test_feed_in_force,
			     NULL, &feed_fixture),
	HARNESS_FIXTURE_TEST("signed_policy_feed/bad_signature_refused", test_feed_bad_signature,
			     NULL, &feed_fixture),
	HARNESS_FIXTURE_TEST("signed_policy_feed/rollback_refused", test_feed_rollback, NULL,
			     &feed_fixture),
	HARNESS_FIXTURE_TEST("signed_policy_feed/last_good_policy_serves_offline_start",
			     test_feed_offline_start, NULL, &feed_fixture),
	HARNESS_TEST("loose_key_refused", test_loose_key_refused, NULL),
};

HARNESS_MAIN(tests)
