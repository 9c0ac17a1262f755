// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Enrollment on this machine, end to end: the real agent (its probes in the
 * kernel, the capabilities its unit grants) with only collector_url,
 * enroll_url, the pinned CA and a token file, and the real collector with
 * its issuing CA, over TLS on loopback.  The agent starts while the
 * collector is away: its records wait in the spool and the enrollment is
 * retried; once the collector is up it enrolls, and the records made before
 * are stored.  It renews (a certificate lifetime of seconds), is revoked
 * and refused, and enrolls again with a re-enroll token through the status
 * socket, as posturectl enroll does.  A token the collector does not know
 * leaves the agent unenrolled, saying why, with nothing stored.  The same
 * with the key made in a TPM, a software one (swtpm) the test starts: the
 * key never leaves it, the sender's TLS signatures are made there by the
 * daemon, and the renewal's new key is made there too.  Needs root.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "../collector/harness_db.h"
#include "../collector/harness_process.h"

#define ENROLL_TIMEOUT_MS 15000
/* Short enough to see a renewal (at two thirds) within the test, long enough to send. */
#define CERT_LIFETIME "24s"

struct world {
	char *dir;
	char pki[PATH_MAX];
	char config[PATH_MAX];
	char policy[PATH_MAX];
	char identity[PATH_MAX];
	char token[PATH_MAX];
	char marker_prog[PATH_MAX];
	char name[64];
	uint16_t port;
	struct collector collector;
	char device_id[40]; /* the agent's, from its status */
};

static void world_done(struct world *w)
{
	if (w->collector.pid > 0)
		(void)collector_stop(&w->collector, SIGTERM);
	harness_tmpdir_freep(&w->dir);
}

/* `posture-collector ARGS --db DB` with stdout into out (may be NULL). */
static int collector_cli(struct world *w, const char *const *args, const char *out)
{
	char err[PATH_MAX + 16];
	const char *argv[16] = { harness_build_path("posture-collector") };
	size_t n = 1;
	int status;

	for (; *args && n < ELEMENTSOF(argv) - 3; args++)
		argv[n++] = *args;
	argv[n++] = "--db";
	argv[n++] = w->collector.db;
	argv[n] = NULL;
	snprintf(err, sizeof(err), "%s/cli.err", w->dir);
	status = process_run((char *const *)argv, out ? out : "/dev/null", err);
	if (status != 0) {
		_cleanup_free_ char *text = NULL;

		(void)harness_read_text(err, &text);
		return harness_fail("posture-collector %s failed (%d): %s", args[-1], status,
				    text ? text : "");
	}
	return 0;
}

/* A token file for the agent, from `token create` with the options given. */
static int world_token(struct world *w, const char *path, const char *const *opts)
{
	const char *args[8] = { "token", "create" };
	size_t n = 2;

	for (; opts && *opts && n < ELEMENTSOF(args) - 1; opts++)
		args[n++] = *opts;
	args[n] = NULL;
	TRY(collector_cli(w, args, path));
	if (chmod(path, 0600) < 0)
		return harness_fail("chmod %s: %m", path);
	return 0;
}

/* The world, its agent configured with extra keys (JSON members with a leading comma, or ""). */
static int world_init_with(struct world *w, const char *extra)
{
	char text[6 * PATH_MAX + 512];
	char *pki_argv[3];
	struct harness_addr lo = harness_addr_of("127.0.0.1");

	*w = (struct world){};
	TRY(harness_tmpdir_new(&w->dir));
	snprintf(w->pki, sizeof(w->pki), "%s/pki", w->dir);
	snprintf(w->collector.db, sizeof(w->collector.db), "%s/collector.db", w->dir);
	snprintf(w->collector.log, sizeof(w->collector.log), "%s/collector.log", w->dir);
	snprintf(w->config, sizeof(w->config), "%s/postured.conf", w->dir);
	snprintf(w->policy, sizeof(w->policy), "%s/policy.json", w->dir);
	snprintf(w->identity, sizeof(w->identity), "%s/identity.pem", w->dir);
	snprintf(w->token, sizeof(w->token), "%s/enroll-token", w->dir);
	snprintf(w->name, sizeof(w->name), "pden-%d", (int)getpid());
	snprintf(w->marker_prog, sizeof(w->marker_prog), "%s/%s", w->dir, w->name);
	pki_argv[0] = (char *)harness_source_path("tools/make-test-pki");
	pki_argv[1] = w->pki;
	pki_argv[2] = NULL;
	TRY(harness_run(pki_argv, 60000));
	TRY(harness_copy_file(harness_helper("write_marker"), w->marker_prog));
	/* The collector's port is chosen now: the agent is configured before it starts. */
	TRY(harness_free_port(&lo, &w->port));

	/* Every exec to the collector: records that must wait for the enrollment. */
	TRY(harness_write_file(w->policy,
			       "{\"id\": \"enroll\", \"serial\": 1, \"mode\": \"monitor\",\n"
			       " \"settings\": {\"exec_audit\": true}, \"rules\": []}\n"));
	/* Nothing of a certificate: the CA to pin, where to enroll, the token. */
	snprintf(text, sizeof(text),
		 "{\"policy_file\": \"%s\", \"collector_url\": \"https://localhost:%u\",\n"
		 " \"collector_ca\": \"%s/server-ca.crt\",\n"
		 " \"enroll_url\": \"https://localhost:%u/.well-known/est\",\n"
		 " \"enroll_token_file\": \"%s\", \"device_ca\": \"%s/device-ca.crt\",\n"
		 " \"identity_path\": \"%s\", \"enroll_retry_seconds\": 1,\n"
		 " \"spool_path\": \"%s/spool.db\", \"sender_user\": \"nobody\"%s}\n",
		 w->policy, w->port, w->pki, w->port, w->token, w->pki, w->identity, w->dir, extra);
	return harness_write_file(w->config, text);
}

static int world_init(struct world *w)
{
	/* No TPM here: keys are files, as on a laptop without one. */
	return world_init_with(w, ", \"key_storage\": \"file\"");
}

static int world_start_collector(struct world *w)
{
	char listen[32], ca_cert[PATH_MAX + 16], ca_key[PATH_MAX + 16];
	char notify[PATH_MAX + 16];
	const char *const extra[] = { "--ca-cert",	 ca_cert,	"--ca-key", ca_key,
				      "--cert-lifetime", CERT_LIFETIME, NULL };
	int exit_status = -1;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", w->port);
	snprintf(ca_cert, sizeof(ca_cert), "%s/device-ca.crt", w->pki);
	snprintf(ca_key, sizeof(ca_key), "%s/device-ca.key", w->pki);
	snprintf(notify, sizeof(notify), "%s/collector.notify", w->dir);
	if (collector_spawn_pki(&w->collector, harness_build_path("posture-collector"), w->pki,
				"collector", listen, extra, notify, &exit_status) < 0) {
		_cleanup_free_ char *log = NULL;

		(void)harness_read_text(w->collector.log, &log);
		return harness_fail("The collector did not become ready (exit status %d): %.2000s",
				    exit_status, log ? log : "(none)");
	}
	return 0;
}

/* The agent's identity object, from its status. */
static int agent_identity(struct harness_agent *a, yajl_val *ret_root, yajl_val *ret_id)
{
	yajl_val root = NULL;

	TRY(harness_status_result(a, "{\"id\":1,\"method\":\"status\"}\n", &root));
	*ret_root = root;
	*ret_id = harness_json(root, "result", "collector", "identity");
	if (!*ret_id) {
		char text[2048];

		harness_json_describe(root, text, sizeof(text));
		return harness_fail("status has no collector.identity: %s", text);
	}
	return 0;
}

/* Waits until the identity's state is want and (when serial_not) its serial is another. */
static int wait_identity(struct harness_agent *a, const char *want, const char *serial_not,
			 int timeout_ms, char *ret_serial, size_t serial_size)
{
	int64_t deadline = harness_now_ms() + timeout_ms, start = harness_now_ms();
	char last[512] = "";

	while (harness_now_ms() < deadline) {
		yajl_val root = NULL, id = NULL;
		const char *state, *serial;

		TRY(agent_identity(a, &root, &id));
		state = harness_json_str(harness_json(id, "state"));
		serial = harness_json_str(harness_json(id, "serial"));
		harness_json_describe(id, last, sizeof(last));
		if (state && strcmp(state, want) == 0 &&
		    (!serial_not || (serial && strcmp(serial, serial_not) != 0))) {
			if (ret_serial)
				snprintf(ret_serial, serial_size, "%s", serial ? serial : "");
			yajl_tree_free(root);
			harness_note("identity %s after %lld ms", want,
				     (long long)(harness_now_ms() - start));
			return 0;
		}
		yajl_tree_free(root);
		usleep(100 * 1000);
	}
	return harness_fail("The identity did not become '%s' within %d ms; it is %s", want,
			    timeout_ms, last);
}

static long long rows_like(struct world *w, const char *like)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM records WHERE device_id = ?1 AND record "
				    "LIKE %Q",
				    like);
	long long n = sql ? db_int(w->collector.db, sql, w->device_id) : -1;

	sqlite3_free(sql);
	return n;
}

/*
 * Runs a copy of the marker program named for tag once: an exec the
 * policy's exec audit reports, its path naming tag.
 */
static int run_marker(struct world *w, const char *tag)
{
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	char prog[PATH_MAX + 64], marker[PATH_MAX + 64];
	char *argv[3];
	int status;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s-%s", w->marker_prog, tag);
	snprintf(marker, sizeof(marker), "%s/marker-%s", w->dir, tag);
	TRY(harness_copy_file(w->marker_prog, prog));
	argv[0] = prog;
	argv[1] = marker;
	argv[2] = NULL;
	TRY(harness_spawn(prog, argv, &co, &pid));
	return harness_wait_child(pid, 5000, &status);
}

static int wait_rows(struct world *w, const char *like, const char *what, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	while (harness_now_ms() < deadline) {
		if (rows_like(w, like) > 0)
			return 0;
		usleep(100 * 1000);
	}
	return harness_fail("%s did not reach the collector's store within %d ms", what,
			    timeout_ms);
}

/* A request whose answer does not matter. */
static int ask(struct harness_agent *a, const char *request)
{
	_cleanup_free_ char *answer = NULL;

	return harness_status_ask(a, request, &answer);
}

static struct enroll {
	struct world w;
	struct harness_agent *a;
	char serial[64];
	int64_t revoked_ms;
} en;

/*
 * The agent starts with the collector away; its start record waits in the
 * spool while the enrollment fails and is retried every second or so.
 */
static int enroll_setup(const void *arg)
{
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };
	yajl_val root = NULL, id = NULL;
	const char *dev;

	en = (struct enroll){};
	TRY(world_init(&en.w));
	/* The token is made in the collector's database before the collector runs. */
	TRY(world_token(&en.w, en.w.token, (const char *const[]){ "--label", "laptops", NULL }));
	o.config = en.w.config;
	TRY(harness_agent_start(&o, &en.a));
	TRY(agent_identity(en.a, &root, &id));
	dev = harness_json_str(harness_json(id, "device_id"));
	if (!dev || strlen(dev) != 32) {
		yajl_tree_free(root);
		return harness_fail("status names no device id");
	}
	snprintf(en.w.device_id, sizeof(en.w.device_id), "%s", dev);
	yajl_tree_free(root);
	return 0;
}

static int enroll_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&en.a);

	world_done(&en.w);
	return r;
}

/* With the collector away: not enrolled, no identity file, no sender, the failure said. */
static int test_waits_while_collector_away(const void *arg)
{
	yajl_val root = NULL, id = NULL, coll;
	struct stat st;
	long long failures = 0;
	bool sender;

	TRY(wait_identity(en.a, "failed", NULL, ENROLL_TIMEOUT_MS, NULL, 0));
	/* Retried: more than one attempt has failed after a few seconds. */
	usleep(2500 * 1000);
	TRY(agent_identity(en.a, &root, &id));
	coll = harness_json(root, "result", "collector");
	sender = YAJL_IS_TRUE(harness_json(coll, "sender_running"));
	harness_json_int(harness_json(id, "failures"), &failures);
	CHECK(!sender, "the report sender runs without a certificate");
	CHECK(failures >= 2, "the enrollment was not retried (failures %lld)", failures);
	CHECK(harness_json_str(harness_json(id, "last_error")) &&
		      strstr(harness_json_str(harness_json(id, "last_error")), "onnect"),
	      "last_error does not say the collector cannot be reached: %s",
	      harness_json_str(harness_json(id, "last_error")));
	yajl_tree_free(root);
	CHECK(stat(en.w.identity, &st) < 0 && errno == ENOENT, "an identity file exists already");
	/* Something to wait in the spool: a finding made before the enrollment. */
	return run_marker(&en.w, "before");
}

/* The collector comes: the agent enrolls, its key root's and 0600, its certificate the CA's. */
static int test_enrolls_when_collector_comes(const void *arg)
{
	struct stat st;
	char sql[256];

	TRY(world_start_collector(&en.w));
	TRY(wait_identity(en.a, "enrolled", NULL, ENROLL_TIMEOUT_MS, en.serial, sizeof(en.serial)));
	CHECK(stat(en.w.identity, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0600,
	      "the identity file is not root's with mode 0600 (mode %04o, uid %u)",
	      (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM identities WHERE device_id = ?1 AND state = 'active' AND "
		 "serial = '%.40s'",
		 en.serial);
	CHECK(db_int(en.w.collector.db, sql, en.w.device_id) == 1,
	      "the collector has no active identity for %s with serial %s", en.w.device_id,
	      en.serial);
	CHECK(db_int(en.w.collector.db,
		     "SELECT count(*) FROM audit WHERE device_id = ?1 AND action = 'enroll' AND "
		     "actor LIKE 'token % ''laptops'''",
		     en.w.device_id) == 1,
	      "no audit row says the token 'laptops' enrolled the device");
	return 0;
}

/* What waited in the spool is delivered: the start record and the exec from before. */
static int test_spooled_records_delivered(const void *arg)
{
	TRY(wait_rows(&en.w, "%\"event\":\"agent_started\"%",
		      "the start record spooled before the enrollment", ENROLL_TIMEOUT_MS));
	return wait_rows(&en.w, "%pden-%-before\"%", "the exec made before the enrollment",
			 ENROLL_TIMEOUT_MS);
}

/* At two thirds of its life the certificate is renewed, with a new key, and delivery goes on. */
static int test_renews(const void *arg)
{
	char serial[64];

	TRY(wait_identity(en.a, "enrolled", en.serial, 30000, serial, sizeof(serial)));
	CHECK(db_int(en.w.collector.db,
		     "SELECT count(*) FROM audit WHERE device_id = ?1 AND action = 'renew'",
		     en.w.device_id) >= 1,
	      "no renewal in the audit");
	CHECK(db_int(en.w.collector.db,
		     "SELECT count(DISTINCT key_sha256) FROM certificates WHERE device_id = ?1",
		     en.w.device_id) >= 2,
	      "the renewal did not use a new key");
	snprintf(en.serial, sizeof(en.serial), "%s", serial);
	/* The report sender was started again with it: a posture snapshot arrives. */
	TRY(ask(en.a, "{\"id\":2,\"method\":\"run_checks\"}\n"));
	return wait_rows(&en.w, "%\"posture\"%", "a snapshot after the renewal", ENROLL_TIMEOUT_MS);
}

/* Revoked: reports are refused and nothing more is stored; the renewal is refused, said why. */
static int test_revoked_refused(const void *arg)
{
	const char *args[] = { "device", "revoke", en.w.device_id, NULL };
	char sql[160];
	long long after;

	TRY(collector_cli(&en.w, args, NULL));
	en.revoked_ms = realtime_ms();
	TRY(run_marker(&en.w, "revoked"));
	TRY(ask(en.a, "{\"id\":3,\"method\":\"run_checks\"}\n"));
	/* The sender did come with its records, and was refused: the collector says so. */
	{
		int64_t deadline = harness_now_ms() + ENROLL_TIMEOUT_MS;
		bool refused = false;

		while (!refused && harness_now_ms() < deadline) {
			_cleanup_free_ char *log = NULL;

			(void)harness_read_text(en.w.collector.log, &log);
			refused = log && strstr(log, "this certificate of it is revoked");
			if (!refused)
				usleep(200 * 1000);
		}
		CHECK(refused, "the collector never refused the revoked device's sender");
	}
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM records WHERE device_id = ?1 AND "
		 "received > %lld",
		 (long long)en.revoked_ms + 500);
	after = db_int(en.w.collector.db, sql, en.w.device_id);
	CHECK(after == 0, "%lld records stored after the revocation", after);
	/* The next renewal (its certificate expires within the lifetime) is refused. */
	{
		int64_t deadline = harness_now_ms() + 30000;
		bool said = false;

		while (!said && harness_now_ms() < deadline) {
			yajl_val root = NULL, id = NULL;
			const char *e;

			TRY(agent_identity(en.a, &root, &id));
			e = harness_json_str(harness_json(id, "last_error"));
			said = e && strstr(e, "revoked");
			yajl_tree_free(root);
			if (!said)
				usleep(200 * 1000);
		}
		CHECK(said, "the agent never said its renewal was refused as revoked");
	}
	return 0;
}

/* A re-enroll token through the status socket (posturectl enroll): enrolled and delivering again. */
static int test_reenroll_by_hand(const void *arg)
{
	char token[PATH_MAX + 16], request[PATH_MAX + 128], serial[64];
	_cleanup_free_ char *answer = NULL;

	snprintf(token, sizeof(token), "%s/reenroll-token", en.w.dir);
	TRY(world_token(&en.w, token, (const char *const[]){ "--reenroll", NULL }));
	snprintf(request, sizeof(request),
		 "{\"id\":4,\"method\":\"enroll\",\"params\":{\"token_file\":\"%s\"}}\n", token);
	TRY(harness_status_ask(en.a, request, &answer));
	CHECK(strstr(answer, "\"started\":true"), "enroll did not start: %s", answer);
	TRY(wait_identity(en.a, "enrolled", en.serial, ENROLL_TIMEOUT_MS, serial, sizeof(serial)));
	CHECK(db_int(en.w.collector.db,
		     "SELECT count(*) FROM audit WHERE device_id = ?1 AND action = 're-enroll'",
		     en.w.device_id) == 1,
	      "no re-enroll row in the audit");
	/* The records refused meanwhile stayed in the spool: the exec of the revoked time comes. */
	return wait_rows(&en.w, "%pden-%-revoked\"%", "the exec refused while revoked",
			 ENROLL_TIMEOUT_MS);
}

/* A token the collector does not know: 401, said in status; nothing stored, no identity file. */
static int test_unknown_token(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };
	yajl_val root = NULL, id = NULL;
	const char *e;
	struct stat st;

	TRY(world_init(&w));
	TRY(world_start_collector(&w));
	TRY(harness_write_file(
		w.token, "0000000000000000000000000000000000000000000000000000000000000000\n"));
	if (chmod(w.token, 0600) < 0)
		return harness_fail("chmod: %m");
	o.config = w.config;
	TRY(harness_agent_start(&o, &a));
	TRY(wait_identity(a, "failed", NULL, ENROLL_TIMEOUT_MS, NULL, 0));
	TRY(agent_identity(a, &root, &id));
	e = harness_json_str(harness_json(id, "last_error"));
	CHECK(e && strstr(e, "HTTP 401") && strstr(e, "token is not known"),
	      "last_error does not say the token is unknown: %s", e ? e : "(none)");
	yajl_tree_free(root);
	CHECK(stat(w.identity, &st) < 0, "an identity file was written");
	CHECK(db_int(w.collector.db, "SELECT count(*) FROM certificates WHERE ?1 IS NOT NULL",
		     "x") == 0,
	      "the collector issued a certificate");
	CHECK(db_int(w.collector.db, "SELECT count(*) FROM records WHERE ?1 IS NOT NULL", "x") == 0,
	      "records were stored");
	return harness_agent_stop_ok(a);
}

/* --- the key in a TPM (swtpm) ------------------------------------------------------ */

static struct tpm_world {
	struct world w;
	struct harness_agent *a;
	char *tpm_dir; /* swtpm's state */
	pid_t swtpm;
	char serial[64];
} tw;

/* swtpm on a free port and the next (its control channel), its state in dir. */
static int swtpm_start(const char *dir, pid_t *ret_pid, uint16_t *ret_port)
{
	struct harness_addr lo = harness_addr_of("127.0.0.1");
	char state[PATH_MAX + 16], server[64], ctrl[64], tpmstate[PATH_MAX + 32];
	uint16_t port = 0;
	pid_t pid;

	/* Two ports in a row: the data port and its control port. */
	for (int i = 0; i < 20 && !port; i++) {
		uint16_t p, q;

		TRY(harness_free_port(&lo, &p));
		q = p + 1;
		if (p < 65535 && harness_free_port(&lo, &q) >= 0)
			port = p;
	}
	if (!port)
		return harness_fail("No two free ports for swtpm");
	snprintf(state, sizeof(state), "%s/tpm", dir);
	if (mkdir(state, 0700) < 0)
		return harness_fail("mkdir %s: %m", state);
	snprintf(tpmstate, sizeof(tpmstate), "dir=%s", state);
	snprintf(server, sizeof(server), "type=tcp,port=%u,bindaddr=127.0.0.1", port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%u,bindaddr=127.0.0.1", port + 1);
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0) {
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate, "--server",
		       server, "--ctrl", ctrl, "--flags", "not-need-init,startup-clear",
		       (char *)NULL);
		_exit(127);
	}
	*ret_pid = pid;
	*ret_port = port;
	/* Ready when it accepts on the data port. */
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (fd >= 0)
			close(fd);
		if (up)
			return 0;
		usleep(50 * 1000);
	}
	return harness_fail("swtpm did not listen on %u", port);
}

static int tpm_setup(const void *arg)
{
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };
	yajl_val root = NULL, id = NULL;
	char extra[160];
	uint16_t port;

	tw = (struct tpm_world){};
	TRY(harness_tmpdir_new(&tw.tpm_dir));
	TRY(swtpm_start(tw.tpm_dir, &tw.swtpm, &port));
	snprintf(extra, sizeof(extra),
		 ", \"key_storage\": \"tpm\", \"tpm_tcti\": \"swtpm:host=127.0.0.1,port=%u\"",
		 port);
	TRY(world_init_with(&tw.w, extra));
	TRY(world_token(&tw.w, tw.w.token, NULL));
	TRY(world_start_collector(&tw.w));
	o.config = tw.w.config;
	TRY(harness_agent_start(&o, &tw.a));
	TRY(agent_identity(tw.a, &root, &id));
	snprintf(tw.w.device_id, sizeof(tw.w.device_id), "%s",
		 harness_json_str(harness_json(id, "device_id")) ?: "");
	yajl_tree_free(root);
	return 0;
}

static int tpm_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&tw.a);

	world_done(&tw.w);
	if (tw.swtpm > 0) {
		(void)kill(tw.swtpm, SIGTERM);
		(void)waitpid(tw.swtpm, NULL, 0);
	}
	harness_tmpdir_freep(&tw.tpm_dir);
	return r;
}

/* Enrolled with a key in the TPM: its file is the TPM's blob, no private key in the clear. */
static int test_tpm_enrolls(const void *arg)
{
	_cleanup_free_ char *text = NULL;
	yajl_val root = NULL, id = NULL;
	const char *storage;

	TRY(wait_identity(tw.a, "enrolled", NULL, ENROLL_TIMEOUT_MS, tw.serial, sizeof(tw.serial)));
	TRY(agent_identity(tw.a, &root, &id));
	storage = harness_json_str(harness_json(id, "key_storage"));
	CHECK(storage && strcmp(storage, "tpm") == 0, "key_storage is %s, not tpm",
	      storage ? storage : "(none)");
	yajl_tree_free(root);
	TRY(harness_read_text(tw.w.identity, &text));
	CHECK(strstr(text, "-----BEGIN TSS2 PRIVATE KEY-----"),
	      "the identity file holds no TPM key blob");
	CHECK(!strstr(text, "BEGIN PRIVATE KEY") && !strstr(text, "BEGIN EC PRIVATE KEY"),
	      "the identity file holds a private key in the clear");
	return 0;
}

/* The sender's mutual TLS works with the key in the TPM: what it sends is stored. */
static int test_tpm_delivers(const void *arg)
{
	return wait_rows(&tw.w, "%\"event\":\"agent_started\"%",
			 "the start record, sent with the TPM key", ENROLL_TIMEOUT_MS);
}

/* The renewal signs with the TPM key and makes its new key in the TPM; delivery goes on. */
static int test_tpm_renews(const void *arg)
{
	_cleanup_free_ char *text = NULL;
	char serial[64];

	TRY(wait_identity(tw.a, "enrolled", tw.serial, 30000, serial, sizeof(serial)));
	CHECK(db_int(tw.w.collector.db,
		     "SELECT count(DISTINCT key_sha256) FROM certificates WHERE device_id = ?1",
		     tw.w.device_id) == 2,
	      "the renewal did not use a new key");
	TRY(harness_read_text(tw.w.identity, &text));
	CHECK(strstr(text, "-----BEGIN TSS2 PRIVATE KEY-----"), "the renewed key is not the TPM's");
	TRY(ask(tw.a, "{\"id\":5,\"method\":\"run_checks\"}\n"));
	return wait_rows(&tw.w, "%\"posture\"%", "a snapshot after the renewal", ENROLL_TIMEOUT_MS);
}

/* A TPM asked for that is not there: no file key is made instead, and status says why. */
static int test_tpm_missing(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct harness_agent_opts o = { .no_print_events = true, .privs = HARNESS_PRIVS_UNIT };
	struct harness_addr lo = harness_addr_of("127.0.0.1");
	yajl_val root = NULL, id = NULL;
	char extra[160];
	const char *e;
	uint16_t nobody;
	struct stat st;

	TRY(harness_free_port(&lo, &nobody));
	snprintf(extra, sizeof(extra),
		 ", \"key_storage\": \"tpm\", \"tpm_tcti\": \"swtpm:host=127.0.0.1,port=%u\"",
		 nobody);
	TRY(world_init_with(&w, extra));
	TRY(world_token(&w, w.token, NULL));
	TRY(world_start_collector(&w));
	o.config = w.config;
	TRY(harness_agent_start(&o, &a));
	TRY(wait_identity(a, "failed", NULL, ENROLL_TIMEOUT_MS, NULL, 0));
	TRY(agent_identity(a, &root, &id));
	e = harness_json_str(harness_json(id, "last_error"));
	CHECK(e && strstr(e, "the TPM") && strstr(e, "cannot be opened"),
	      "last_error does not say the TPM cannot be opened: %s", e ? e : "(none)");
	yajl_tree_free(root);
	CHECK(stat(w.identity, &st) < 0, "an identity was written");
	{
		char pending[PATH_MAX + 32];

		snprintf(pending, sizeof(pending), "%s.pending-key", w.identity);
		CHECK(stat(pending, &st) < 0, "a file key was made although the TPM was asked for");
	}
	return harness_agent_stop_ok(a);
}

static const struct harness_fixture enroll_fixture = { "enrollment", enroll_setup, enroll_teardown,
						       NULL };

static const struct harness_fixture tpm_fixture = { "tpm", tpm_setup, tpm_teardown, NULL };

static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("enrollment/waits_while_collector_away",
			     test_waits_while_collector_away, NULL, &enroll_fixture),
	HARNESS_FIXTURE_TEST("enrollment/enrolls_when_collector_comes",
			     test_enrolls_when_collector_comes, NULL, &enroll_fixture),
	HARNESS_FIXTURE_TEST("enrollment/spooled_records_delivered", test_spooled_records_delivered,
			     NULL, &enroll_fixture),
	HARNESS_FIXTURE_TEST("enrollment/renews_at_two_thirds", test_renews, NULL, &enroll_fixture),
	HARNESS_FIXTURE_TEST("enrollment/revoked_refused", test_revoked_refused, NULL,
			     &enroll_fixture),
	HARNESS_FIXTURE_TEST("enrollment/reenroll_by_hand", test_reenroll_by_hand, NULL,
			     &enroll_fixture),
	HARNESS_TEST("unknown_token_refused", test_unknown_token, NULL),
	HARNESS_FIXTURE_TEST("tpm/enrolls_with_key_in_tpm", test_tpm_enrolls, NULL, &tpm_fixture),
	HARNESS_FIXTURE_TEST("tpm/delivers_with_key_in_tpm", test_tpm_delivers, NULL, &tpm_fixture),
	HARNESS_FIXTURE_TEST("tpm/renews_with_new_key_in_tpm", test_tpm_renews, NULL, &tpm_fixture),
	HARNESS_TEST("tpm_asked_for_but_missing", test_tpm_missing, NULL),
};

HARNESS_MAIN(tests)
