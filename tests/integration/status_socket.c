// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket (docs/status-socket.md) of the real daemon in the real
 * kernel: each test writes a deny policy (tests/fixtures/agent-policies/
 * deny.json.in) about a uniquely named copy of tests/helpers/write_marker,
 * starts build/postured with its own socket, runs the copy as root or as
 * uid 65534, and asks the socket as root and as uid 65534 what it sees.
 * An unprivileged client is a forked child that becomes 65534, connects, and
 * relays bytes between the socket and pipes of ours, so the test talks to it
 * like to any other connection.  The tests that ask one agent several
 * things share it (and its connections) through a fixture, a scene, each
 * test named for the one answer it checks.  Needs root; tests/run-integration
 * runs it.
 *
 * This file has the agent, the copy's runs, the scenes and main(); what the
 * tests share is declared in status_socket.h, and status_socket_conn.c has
 * the connections.  The tests are in status_socket_requests.c (what root
 * asks, and malformed requests), status_socket_users.c (who sees which
 * findings, what only root may do), status_socket_events.c (a violation
 * while it runs, the subscription stream) and status_socket_limits.c (a
 * client that never reads, the limit on clients), whose tables run in that
 * order.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "status_socket.h"

/* --- a test's files --------------------------------------------------------------- */

/* The copy of write_marker named <prefix>-<8 hex digits>, and the deny policy on it in mode. */
int env_init(struct harness_policy_env *e, const char *prefix, const char *mode)
{
	TRY(harness_policy_env_init(e, prefix));
	return harness_policy_env_deny(e, mode, 1, NULL);
}

/* --- the agent -------------------------------------------------------------------- */

int start_agent(const struct harness_policy_env *e, bool print_events, struct harness_agent **ret)
{
	struct harness_agent_opts o = {
		.config = e->config,
		.no_print_events = !print_events,
	};

	return harness_agent_start(&o, ret);
}

/* The agent must still be running (it may not have died of a client). */
int expect_alive(struct harness_agent *a)
{
	char d[128];

	(void)harness_agent_pump(a, 0);
	CHECK(!a->exited, "postured died (%s). Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	return 0;
}

/*
 * Waits for the agent to print the process_denied finding about pid: by then
 * the status socket has it too (the agent hands it there before printing).
 */
int wait_finding(struct harness_agent *a, pid_t pid)
{
	return harness_wait_finding(a, "process_denied", pid, FINDING_TIMEOUT_MS, NULL);
}

/* --- children --------------------------------------------------------------------- */

/*
 * Starts the copy as uid (0: as we are) with a marker nobody needs to look at
 * (/dev/null: any user may open it) and, when given, a sleep.
 */
int run_copy(const struct harness_policy_env *e, uid_t uid, const char *sleep_seconds,
	     pid_t *ret_pid)
{
	char *argv[] = { (char *)e->prog, "/dev/null", (char *)sleep_seconds, NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

	if (uid != 0) {
		o.set_uid = true;
		o.uid = uid;
		o.gid = uid;
	}
	return harness_spawn(e->prog, argv, &o, ret_pid);
}

/* Runs the copy as uid to its end (exit 0: monitor mode) and waits for its finding. */
int run_copy_seen(struct harness_agent *a, const struct harness_policy_env *e, uid_t uid,
		  pid_t *ret_pid)
{
	_cleanup_child_ pid_t child = 0;
	char d[128];
	int status;
	pid_t pid;

	TRY(run_copy(e, uid, NULL, &child));
	pid = child;
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	child = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s as uid %u should have run to its end; it ended with %s", e->prog, (unsigned)uid,
	      harness_describe_status(status, d, sizeof(d)));
	TRY(wait_finding(a, pid));
	*ret_pid = pid;
	return 0;
}

struct scene sc;

/* --- scenes: what the tests of one group share ------------------------------------ */

/* A fresh scene: the env (prefix, mode), and the agent printing records or not. */
int scene_start(const char *prefix, const char *mode, bool print_events)
{
	sc = (struct scene){
		.root = CONN_INIT, .nobody = CONN_INIT, .other = CONN_INIT, .slow = -EBADF
	};
	TRY(env_init(&sc.e, prefix, mode));
	return start_agent(&sc.e, print_events, &sc.a);
}

int scene_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&sc.a);

	conn_close(&sc.root);
	conn_close(&sc.nobody);
	conn_close(&sc.other);
	sc.slow = safe_close(sc.slow);
	harness_child_killp(&sc.storm);
	harness_policy_env_done(&sc.e);
	return r;
}

HARNESS_MAIN_TABLES(&status_socket_requests_table, &status_socket_users_table,
		    &status_socket_events_table, &status_socket_limits_table)
