// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the agent, on the listening side: an allow-list rule
 * that refuses binds to the any-address and lets loopback be, and a report
 * rule on listeners, one older than the agent and one opened while it
 * runs, failing the rule until the agent judges it closed (by SIGHUP,
 * run_checks or reload); net_enforce.c has the suite.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_enforce.h"

/* --- listen: one allow-list rule refuses 0.0.0.0 and lets loopback be ------------- */

/*
 * What the listen tests share: a port nobody uses, one allow-list rule "on
 * this port nothing listens but on loopback", the marker, and the agent.
 */
static struct listen_only {
	struct env e;
	struct harness_agent *a;
	struct harness_addr loopback;
	int fd_marker;
	uint16_t port, p_marker;
	bool refused; /* the binds to the any-addresses were refused and reported */
} lsn;

static int listen_setup(const void *arg)
{
	char m_listen[64], m_marker[128];

	lsn = (struct listen_only){ .loopback = harness_addr_of("127.0.0.1"), .fd_marker = -EBADF };
	TRY(env_init(&lsn.e));
	TRY(harness_free_port(&lsn.loopback, &lsn.port));
	TRY(harness_sock_open(&lsn.loopback, SOCK_DGRAM, &lsn.fd_marker, &lsn.p_marker));
	/* "Nothing listens on this port but on loopback" (the port keeps the machine's others out). */
	snprintf(m_listen, sizeof(m_listen), "\"port\": %u", lsn.port);
	const struct rule_spec rules[] = {
		{ "listen-loopback-only", NULL, "listen", "tcp", m_listen,
		  "{ \"address\": \"loopback\" }", "deny" },
		marker_rule(&lsn.loopback, lsn.p_marker, m_marker, sizeof(m_marker)),
	};
	TRY(env_write_policy(&lsn.e, "enforce", 1, rules, ELEMENTSOF(rules)));
	return start_agent(&lsn.e, true, &lsn.a);
}

static int listen_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&lsn.a);

	lsn.fd_marker = safe_close(lsn.fd_marker);
	env_done(&lsn.e);
	return r;
}

/* Binds to 0.0.0.0 and :: on the port: EPERM, and a finding each (once per fixture). */
static int listen_refuse_any(void)
{
	static const struct {
		const char *addr;
		int ip_version;
	} any[] = { { "0.0.0.0", 4 }, { "::", 6 } };

	if (lsn.refused)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(any); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		char what[64];

		snprintf(what, sizeof(what), "a bind to %s", any[i].addr);
		TRY(client_run(&lsn.e, &(struct client_opts){ .hold = true }, "bind", any[i].addr,
			       lsn.port, &cl));
		EXPECT_EPERM(cl, what);
		TRY(expect_net(lsn.a, &(struct want){ .rule = "listen-loopback-only",
						      .action = "denied",
						      .mode = "enforce",
						      .direction = "listen",
						      .protocol = "tcp",
						      .addr = any[i].addr,
						      .ip_version = any[i].ip_version,
						      .port = lsn.port,
						      .pid = cl.was,
						      .exe = lsn.e.client }));
		TRY(client_finish(&cl));
	}
	lsn.refused = true;
	return 0;
}

static int test_listen_any_refused(const void *arg)
{
	return listen_refuse_any();
}

/* Binds to 127.0.0.1 and ::1, which the rule excepts: they go through, nothing is said. */
static int test_listen_loopback_allowed(const void *arg)
{
	_cleanup_client_ struct client v4 = CLIENT_INIT, v6 = CLIENT_INIT;

	TRY(client_run(&lsn.e, &(struct client_opts){}, "bind", "127.0.0.1", lsn.port, &v4));
	EXPECT_OK(v4, "a bind to 127.0.0.1");
	TRY(client_run(&lsn.e, &(struct client_opts){}, "bind", "::1", lsn.port, &v6));
	EXPECT_OK(v6, "a bind to ::1");
	return expect_quiet(lsn.a, &lsn.e, &lsn.loopback, lsn.p_marker,
			    (const pid_t[]){ v4.was, v6.was }, 2);
}

/* Refused binds opened nothing: the rule passes. */
static int test_listen_refused_rule_passes(const void *arg)
{
	TRY(listen_refuse_any());
	return expect_rule_state(lsn.a, "listen-loopback-only", "passing");
}

/* --- listeners: one older than the agent, failing while open ---------------------- */

/* Closes a listener (its client ends), and has the agent judge the listeners again. */
enum rejudge {
	REJUDGE_SIGHUP, /* a new policy by SIGHUP */
	REJUDGE_RUN_CHECKS, /* root's run_checks request on the status socket */
	REJUDGE_RELOAD, /* root's reload request on the status socket */
};

static int rejudge(struct harness_agent *a, struct env *e, enum rejudge how, unsigned serial,
		   const struct rule_spec *rules, size_t n)
{
	_cleanup_(yajl_tree_freep) yajl_val answer = NULL;

	switch (how) {
	case REJUDGE_SIGHUP:
		TRY(env_write_policy(e, "enforce", serial, rules, n));
		return reload_sighup(a, serial);
	case REJUDGE_RUN_CHECKS:
		TRY(harness_status_result(a, "{\"id\": 1, \"method\": \"run_checks\"}\n", &answer));
		CHECK(harness_json(answer, "result", "checks"),
		      "the answer to run_checks has no \"checks\"");
		return 0;
	case REJUDGE_RELOAD:
		TRY(env_write_policy(e, "enforce", serial, rules, n));
		TRY(harness_status_result(a, "{\"id\": 1, \"method\": \"reload\"}\n", &answer));
		CHECK(harness_json(answer, "result", "reloaded") &&
			      YAJL_IS_TRUE(harness_json(answer, "result", "reloaded")),
		      "the reload request should have put the new policy in force");
		EXPECT_JSON_INT("reload answer", answer, serial, "result", "policy", "serial");
		return 0;
	}
	return harness_fail("No such way to judge the listeners again: %d", (int)how);
}

static const char *const rejudge_names[] = { "SIGHUP", "run_checks", "reload" };
static const enum rejudge rejudge_ways[] = { REJUDGE_SIGHUP, REJUDGE_RUN_CHECKS, REJUDGE_RELOAD };

/*
 * What the listener tests share: a port nobody uses, a report rule on it, a
 * listener of another program opened there before the agent started, and the
 * agent.  serial is the policy's in force.
 */
static struct listeners_open {
	struct env e;
	struct harness_agent *a;
	struct client old;
	struct harness_addr A;
	uint16_t port;
	unsigned serial;
	char m_listen[128];
	struct rule_spec rules[1];
	bool old_closed; /* the old listener closed and the rule judged passing again */
} lis;

static int listeners_setup(const void *arg)
{
	lis = (struct listeners_open){ .old = CLIENT_INIT,
				       .A = harness_loopback4_random(),
				       .serial = 1 };
	TRY(env_init(&lis.e));
	TRY(harness_free_port(&lis.A, &lis.port));
	lis.rules[0] =
		(struct rule_spec){ "listen-reported",
				    NULL,
				    "listen",
				    "tcp",
				    match_to(lis.m_listen, sizeof(lis.m_listen), &lis.A, lis.port),
				    NULL,
				    "report" };
	TRY(env_write_policy(&lis.e, "enforce", lis.serial, lis.rules, ELEMENTSOF(lis.rules)));

	/* A listener of another program, opened before the agent starts. */
	TRY(client_run(&lis.e, &(struct client_opts){ .hold = true }, "listen", lis.A.text,
		       lis.port, &lis.old));
	EXPECT_OK(lis.old, "listening before the agent starts");
	return start_agent(&lis.e, true, &lis.a);
}

static int listeners_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&lis.a);

	client_done(&lis.old);
	env_done(&lis.e);
	return r;
}

/* The finding that the listener of pid on the port was reported, under serial. */
static int expect_listener_reported(pid_t pid, unsigned serial, bool already_open)
{
	return expect_net(lis.a, &(struct want){ .rule = "listen-reported",
						 .action = "reported",
						 .direction = "listen",
						 .protocol = "tcp",
						 .addr = lis.A.text,
						 .ip_version = 4,
						 .port = lis.port,
						 .pid = pid,
						 .exe = lis.e.client,
						 .serial = serial,
						 .already_open = already_open });
}

/* The listener older than the agent is reported as already open, and fails the rule. */
static int test_listener_before_agent(const void *arg)
{
	TRY(expect_listener_reported(lis.old.was, 1, true));
	return expect_rule_state(lis.a, "listen-reported", "failing");
}

/* Closes the old listener and has the agent judge again by SIGHUP: the rule passes (once). */
static int listeners_close_old(void)
{
	if (lis.old_closed)
		return 0;
	TRY(client_finish(&lis.old));
	TRY(rejudge(lis.a, &lis.e, REJUDGE_SIGHUP, ++lis.serial, lis.rules, ELEMENTSOF(lis.rules)));
	TRY(expect_rule_state(lis.a, "listen-reported", "passing"));
	lis.old_closed = true;
	return 0;
}

static int test_listener_closed_passes(const void *arg)
{
	return listeners_close_old();
}

/*
 * Opened while the agent runs: the bind is reported, the rule fails once
 * the agent has seen the listener, and until it is judged again closed
 * (by the way arg names).
 */
static int test_listener_new_fails_until_judged(const void *arg)
{
	const enum rejudge how = *(const enum rejudge *)arg;
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(listeners_close_old());
	TRY(client_run(&lis.e, &(struct client_opts){ .hold = true }, "listen", lis.A.text,
		       lis.port, &cl));
	EXPECT_OK(cl, "listening while the agent runs");
	TRY(expect_listener_reported(cl.was, lis.serial, false));
	/* The agent looks at the listeners 2 s after a bind it reported. */
	TRY(wait_rule_state(lis.a, "listen-reported", "failing", 5000));
	TRY(client_finish(&cl));
	harness_note("closed, then judged again by %s", rejudge_names[how]);
	if (how != REJUDGE_RUN_CHECKS)
		lis.serial++;
	TRY(rejudge(lis.a, &lis.e, how, lis.serial, lis.rules, ELEMENTSOF(lis.rules)));
	return expect_rule_state(lis.a, "listen-reported", "passing");
}

static const struct harness_fixture listen_fixture = { "listen_loopback_only", listen_setup,
						       listen_teardown, NULL };
static const struct harness_fixture listeners_fixture = { "listeners_open", listeners_setup,
							  listeners_teardown, NULL };

static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("listen_loopback_only/any_address_bind_refused",
			     test_listen_any_refused, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listen_loopback_only/loopback_bind_allowed_unreported",
			     test_listen_loopback_allowed, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listen_loopback_only/refused_binds_leave_rule_passing",
			     test_listen_refused_rule_passes, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/listener_before_agent_reported_failing",
			     test_listener_before_agent, NULL, &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/closed_listener_passes_after_sighup",
			     test_listener_closed_passes, NULL, &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_sighup",
			     test_listener_new_fails_until_judged, &rejudge_ways[0],
			     &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_run_checks",
			     test_listener_new_fails_until_judged, &rejudge_ways[1],
			     &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_reload",
			     test_listener_new_fails_until_judged, &rejudge_ways[2],
			     &listeners_fixture),
};

HARNESS_TABLE(net_enforce_listen_table, tests);
