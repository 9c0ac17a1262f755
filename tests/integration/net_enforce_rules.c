// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the agent, one agent a test: a rule scoped to one
 * program, new rules by SIGHUP, what a user sees of the findings, and a
 * client gone before the agent looked; net_enforce.c has the suite.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_enforce.h"

/*
 * What the finding of a TCP connect to A:port by pid, denied under rule in
 * enforce mode, says: exe its program (NULL: not checked), serial its
 * policy's (0: not checked).
 */
static struct want want_denied_tcp(const char *rule, const struct harness_addr *A, uint16_t port,
				   pid_t pid, const char *exe, unsigned serial)
{
	return (struct want){ .rule = rule,
			      .action = "denied",
			      .mode = "enforce",
			      .direction = "outbound",
			      .protocol = "tcp",
			      .addr = A->text,
			      .ip_version = 4,
			      .port = port,
			      .pid = pid,
			      .exe = exe,
			      .serial = serial };
}

/* --- a rule scoped to one executable ---------------------------------------------- */

static int test_exe_scope(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd_path = -EBADF, fd_name = -EBADF, fd_marker = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	char other[PATH_MAX], m_path[PATH_MAX + 128], m_name[PATH_MAX + 128], m_marker[128];
	uint16_t p_path, p_name, p_marker;

	TRY(env_init(&e));
	TRY(env_copy_client(&e, other));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_path, &p_path));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_name, &p_name));
	TRY(harness_sock_open(&A, SOCK_DGRAM, &fd_marker, &p_marker));
	snprintf(m_path, sizeof(m_path), "\"path\": \"%s\", \"address\": \"%s\", \"port\": %u",
		 e.client, A.text, p_path);
	snprintf(m_name, sizeof(m_name), "\"name\": \"%s\", \"address\": \"%s\", \"port\": %u",
		 harness_basename(e.client), A.text, p_name);
	const struct rule_spec rules[] = {
		{ "net-path", NULL, "outbound", "tcp", m_path, NULL, "deny" },
		{ "net-name", NULL, "outbound", "tcp", m_name, NULL, "deny" },
		marker_rule(&A, p_marker, m_marker, sizeof(m_marker)),
	};
	TRY(env_write_policy(&e, "enforce", 1, rules, ELEMENTSOF(rules)));
	TRY(start_agent(&e, true, &a));

	static const char *const ids[] = { "net-path", "net-name" };
	const uint16_t ports[] = { p_path, p_name };
	pid_t others[ELEMENTSOF(ids)];

	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		struct want w;
		char what[128];

		snprintf(what, sizeof(what), "the connect of the program rule %s names", ids[i]);
		TRY(client_run(&e, &(struct client_opts){ .hold = true }, "tcp", A.text, ports[i],
			       &cl));
		EXPECT_EPERM(cl, what);
		w = want_denied_tcp(ids[i], &A, ports[i], cl.was, e.client, 0);
		TRY(expect_net(a, &w));
		TRY(client_finish(&cl));
	}
	/* The same program at another path, under another name: left alone. */
	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		char what[128];

		snprintf(what, sizeof(what), "the connect of a program rule %s does not name",
			 ids[i]);
		TRY(client_run(&e, &(struct client_opts){ .path = other }, "tcp", A.text, ports[i],
			       &cl));
		EXPECT_OK(cl, what);
		others[i] = cl.was;
	}
	TRY(expect_quiet(a, &e, &A, p_marker, others, ELEMENTSOF(others)));
	return harness_agent_stop_ok(a);
}

/* --- SIGHUP: new network rules take effect ---------------------------------------- */

static int test_reload(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd_x = -EBADF, fd_y = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	char m_x[128], m_y[128];
	uint16_t p_x, p_y;

	TRY(env_init(&e));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_x, &p_x));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_y, &p_y));
	const struct rule_spec deny_x[] = { { "deny-x", NULL, "outbound", "tcp",
					      match_to(m_x, sizeof(m_x), &A, p_x), NULL, "deny" } };
	const struct rule_spec deny_y[] = { { "deny-y", NULL, "outbound", "tcp",
					      match_to(m_y, sizeof(m_y), &A, p_y), NULL, "deny" } };
	TRY(env_write_policy(&e, "enforce", 1, deny_x, 1));
	TRY(start_agent(&e, true, &a));

	/* Serial 1: y goes through, x is refused (its finding also shows y raised none). */
	for (unsigned serial = 1; serial <= 2; serial++) {
		_cleanup_client_ struct client ok = CLIENT_INIT, no = CLIENT_INIT;
		const char *rule = serial == 1 ? "deny-x" : "deny-y";
		uint16_t p_ok = serial == 1 ? p_y : p_x, p_no = serial == 1 ? p_x : p_y;
		struct net_wait w = { .rule = rule };
		struct want want;
		_cleanup_(yajl_tree_freep) yajl_val f = NULL;
		char what[96];

		if (serial == 2) {
			TRY(env_write_policy(&e, "enforce", 2, deny_y, 1));
			TRY(reload_sighup(a, 2));
		}
		snprintf(what, sizeof(what), "under serial %u, the connect to port %u", serial,
			 p_ok);
		TRY(client_run(&e, &(struct client_opts){}, "tcp", A.text, p_ok, &ok));
		EXPECT_OK(ok, what);
		snprintf(what, sizeof(what), "under serial %u, the connect to port %u", serial,
			 p_no);
		TRY(client_run(&e, &(struct client_opts){ .hold = true }, "tcp", A.text, p_no,
			       &no));
		EXPECT_EPERM(no, what);
		w.pid = no.was;
		w.forbid[0] = ok.was;
		TRY(wait_net(a, &w, &f));
		want = want_denied_tcp(rule, &A, p_no, no.was, e.client, serial);
		TRY(check_net(f, &want));
		TRY(client_finish(&no));
	}
	return harness_agent_stop_ok(a);
}

/* --- a user sees their own network findings, not root's --------------------------- */

/* The pids of the network findings `posturectl events --json` shows uid; each must be uid's. */
static int events_pids(struct harness_agent *a, uid_t uid, pid_t *pids, size_t max, size_t *ret_n)
{
	_cleanup_free_ char *out = NULL;
	char *line, *save = NULL, d[128], want_uid[16];
	size_t n = 0;
	int status;

	TRY(harness_ctl_run(a, uid,
			    (const char *const[]){ "events", "--json", "--socket", a->status_path,
						   NULL },
			    &out, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "posturectl events --json as uid %u ended with %s; it printed: %.300s", (unsigned)uid,
	      harness_describe_status(status, d, sizeof(d)), out);
	snprintf(want_uid, sizeof(want_uid), "%u", (unsigned)uid);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		_cleanup_(yajl_tree_freep) yajl_val f = NULL;
		const char *kind, *owner;
		char err[256] = "";

		f = yajl_tree_parse(line, err, sizeof(err));
		CHECK(f && YAJL_IS_OBJECT(f), "posturectl events --json printed \"%.200s\" (%s)",
		      line, err);
		kind = harness_json_str(harness_json(f, "postured", "finding"));
		if (!kind || strcmp(kind, "network") != 0)
			continue;
		owner = harness_json_str(
			harness_json(harness_finding_evidence(f), "process", "user", "uid"));
		if (uid != 0)
			CHECK(owner && strcmp(owner, want_uid) == 0,
			      "posturectl events as uid %u shows a network finding about a process "
			      "of uid %s",
			      (unsigned)uid, owner ? owner : "(none)");
		if (n < max)
			pids[n++] = (pid_t)harness_finding_pid(f);
	}
	*ret_n = n;
	return 0;
}

static bool pids_have(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int test_user_sees_own(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_client_ struct client mine = CLIENT_INIT, roots = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	pid_t pids[64];
	uint16_t port;
	size_t n;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));

	TRY(client_run(&e, &(struct client_opts){ .uid = NOBODY }, "tcp", A.text, port, &mine));
	EXPECT_EPERM(mine, "the connect of uid 65534");
	TRY(client_run(&e, &(struct client_opts){}, "tcp", A.text, port, &roots));
	EXPECT_EPERM(roots, "root's connect");
	/* Printed, so kept for the status socket too (the agent hands them there first). */
	TRY(wait_net(a, &(struct net_wait){ .pid = mine.was, .rule = "net-deny" }, NULL));
	TRY(wait_net(a, &(struct net_wait){ .pid = roots.was, .rule = "net-deny" }, NULL));

	TRY(events_pids(a, NOBODY, pids, ELEMENTSOF(pids), &n));
	CHECK(pids_have(pids, n, mine.was),
	      "posturectl events as uid %d does not show the finding about its own pid %d", NOBODY,
	      (int)mine.was);
	CHECK(!pids_have(pids, n, roots.was),
	      "posturectl events as uid %d shows the finding about root's pid %d", NOBODY,
	      (int)roots.was);
	/* Root sees both: what uid 65534 does not see was there to see. */
	TRY(events_pids(a, 0, pids, ELEMENTSOF(pids), &n));
	CHECK(pids_have(pids, n, mine.was) && pids_have(pids, n, roots.was),
	      "posturectl events as root should show both findings (pids %d and %d)", (int)mine.was,
	      (int)roots.was);
	return harness_agent_stop_ok(a);
}

/* --- a client gone before the agent looks; the agent between sweeps --------------- */

/*
 * A client that exited before the agent read its record is still named by
 * its executable: the agent knows it from the process probe.  The agent is
 * stopped (SIGSTOP) while the client connects, exits and is reaped, so this
 * does not depend on who wins the race.  The kernel refuses the connect all
 * the same.
 */
static int test_gone_client_named(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	struct want want;
	uint16_t port;
	int r;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));

	if (kill(a->pid, SIGSTOP) < 0)
		return harness_fail("Cannot stop postured: %m");
	r = client_run(&e, &(struct client_opts){}, "tcp", A.text, port, &cl);
	if (kill(a->pid, SIGCONT) < 0)
		return harness_fail("Cannot continue postured: %m");
	TRY(r);
	EXPECT_EPERM(cl, "the connect while postured was stopped");
	TRY(wait_net(a, &(struct net_wait){ .pid = cl.was, .rule = "net-deny" }, &f));
	want = want_denied_tcp("net-deny", &A, port, cl.was, NULL, 0);
	TRY(check_net(f, &want));
	/*
	 * The program is gone before the agent could read /proc/PID/exe, and
	 * the kernel's record carries only its inode and comm (a known limit,
	 * docs/events.md): the finding names it by pid and name, and has the
	 * right path or none, never another program's.
	 */
	{
		yajl_val proc = harness_json(harness_finding_evidence(f), "process");
		const char *name = harness_json_str(harness_json(proc, "name"));
		const char *path = harness_json_str(harness_json(proc, "file", "path"));
		char comm[16];

		snprintf(comm, sizeof(comm), "%.15s", harness_basename(e.client));
		CHECK(name && strcmp(name, comm) == 0, "the gone client is named %s, not %s", comm,
		      name ? name : "(nothing)");
		CHECK(!path || strcmp(path, e.client) == 0,
		      "the gone client's path is %s or absent, not %s", e.client, path);
	}
	return harness_agent_stop_ok(a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("rule_scoped_to_executable", test_exe_scope, NULL),
	HARNESS_TEST("sighup_replaces_network_rules", test_reload, NULL),
	HARNESS_TEST("user_sees_own_network_findings", test_user_sees_own, NULL),
	HARNESS_TEST("client_gone_before_agent_looked_named", test_gone_client_named, NULL),
};

HARNESS_TABLE(net_enforce_rules_table, tests);
