// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket's events: a monitor-mode violation while it runs (the
 * rule failing, then passing again), and the subscription stream of
 * findings as root and as uid 65534; status_socket.c has the suite.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_socket.h"

/* --- a monitor-mode violation while it runs --------------------------------------- */

static int test_monitor_status(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_conn_ struct conn c = CONN_INIT, sub = CONN_INIT;
	_cleanup_child_ pid_t child = 0;
	struct event_wait w = { .event = "status" };
	int64_t killed, passing = -1;
	int status;
	pid_t pid;

	(void)arg;
	TRY(env_init(&e, "sm", "monitor"));
	TRY(start_agent(&e, true, &a));
	TRY(conn_open(a, &c));
	TRY(conn_open(a, &sub));
	TRY(subscribe(&sub));
	TRY(expect_status(&c, true, "passing"));

	TRY(run_copy(&e, 0, SLEEP_SECONDS, &child));
	pid = child;
	TRY(wait_finding(a, pid));
	TRY(expect_status(&c, false, "failing"));
	/* The change to failing is announced too; what follows must be the change back. */
	(void)conn_drain(&sub, 300);
	CHECK(sub.status_events >= 1, "no {\"event\":\"status\"} when the rule began to fail");
	sub.status_events = 0;

	killed = harness_now_ms();
	(void)kill(child, SIGKILL);
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	TRY(conn_wait_event(&sub, &w, EVENT_TIMEOUT_MS));
	harness_note("{\"event\":\"status\"} %lld ms after the kill",
		     (long long)(harness_now_ms() - killed));
	passing = wait_rule_state(&c, "passing", EVENT_TIMEOUT_MS);
	CHECK(passing >= 0, "the rule should pass again within %d ms of the program's end",
	      EVENT_TIMEOUT_MS);
	passing = harness_now_ms() - killed;
	TRY(expect_status(&c, true, "passing"));
	harness_note("passing again %lld ms after the kill", (long long)passing);
	return harness_agent_stop_ok(a);
}

/* --- the subscription stream ------------------------------------------------------ */

static int test_subscribe(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_conn_ struct conn root = CONN_INIT, nobody = CONN_INIT;
	_cleanup_child_ pid_t child = 0;
	struct event_wait wr = { .event = "finding" }, wn = { .event = "finding" };
	int64_t begin;
	int status;
	pid_t root_pid, nobody_pid;

	(void)arg;
	TRY(env_init(&e, "su", "monitor"));
	TRY(start_agent(&e, true, &a));
	TRY(conn_open(a, &root));
	TRY(subscribe(&root));
	TRY(conn_open_nobody(a, &nobody));
	TRY(subscribe(&nobody));

	begin = harness_now_ms();
	TRY(run_copy(&e, 0, NULL, &child));
	root_pid = wr.pid = child;
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	TRY(conn_wait_event(&root, &wr, EVENT_TIMEOUT_MS));
	harness_note("root's finding event %lld ms after the exec",
		     (long long)(harness_now_ms() - begin));

	begin = harness_now_ms();
	TRY(run_copy(&e, NOBODY, NULL, &child));
	nobody_pid = wn.pid = child;
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	/* Events come in order: root's finding would have come first. */
	TRY(conn_wait_event(&nobody, &wn, EVENT_TIMEOUT_MS));
	harness_note("uid %d's finding event %lld ms after the exec", NOBODY,
		     (long long)(harness_now_ms() - begin));
	for (unsigned i = 0; i < wn.n_passed; i++)
		CHECK(wn.passed[i] != root_pid,
		      "the uid %d subscriber received the finding about root's pid %d", NOBODY,
		      (int)root_pid);
	CHECK(nobody.finding_events == 1,
	      "the uid %d subscriber should have received 1 finding, not %u", NOBODY,
	      nobody.finding_events);
	/* Root sees the other user's finding too, and nothing is late for uid 65534. */
	wr.pid = nobody_pid;
	TRY(conn_wait_event(&root, &wr, EVENT_TIMEOUT_MS));
	(void)conn_drain(&nobody, 300);
	CHECK(nobody.finding_events == 1,
	      "the uid %d subscriber received %u findings; it may only see its own one", NOBODY,
	      nobody.finding_events);
	return harness_agent_stop_ok(a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("monitor_violation_status", test_monitor_status, NULL),
	HARNESS_TEST("subscribe_findings", test_subscribe, NULL),
};

HARNESS_TABLE(status_socket_events_table, tests);
