// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process probes through the agent: the records of a process's life
 * (exec and exit, as another user, killed; a fork without exec; threads;
 * the arguments captured, cut or not; a process older than the agent);
 * process_probe.c has the suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_probe.h"

/* --- exec and exit of a uniquely named binary ------------------------------------- */

struct exec_case {
	const char *flavor;
	bool nobody; /* run the child as uid/gid 65534 */
	bool kill; /* the child SIGKILLs itself */
};

static int test_exec_exit(const void *arg)
{
	const struct exec_case *c = arg;
	struct harness_agent_opts o = { .flavor = c->flavor };
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(watch_clear) struct watch w = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	const char *uid = c->nobody ? "65534" : "0";
	char exe[PATH_MAX];
	int status;
	pid_t pid;

	TRY(self_exe(exe, sizeof(exe)));
	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("exit_with"), &bin));
	if (c->nobody) {
		co.set_uid = true;
		co.uid = NOBODY;
		co.gid = NOBODY;
	}
	TRY(harness_agent_start(&o, &a));
	TRY(run_watched(a, bin,
			(char *[]){ bin, c->kill ? "0" : "7", c->kill ? "kill" : NULL, NULL }, &co,
			&w, &pid, &status));
	TRY(check_status(status, c->kill ? 0 : 7, c->kill ? SIGKILL : 0));

	TRY(check_order(&w.p[0]));
	/* The fork happened before the child changed its user. */
	TRY(check_fork(w.p[0].fork, pid, getpid(), exe, "0"));
	TRY(check_exec(w.p[0].exec, pid, getpid(), bin, uid));
	if (c->nobody)
		EXPECT_JSON_INT("exec record", w.p[0].exec, NOBODY, "postured", "gid");
	else
		EXPECT_JSON_INT("exec record", w.p[0].exec, 0, "postured", "gid");
	TRY(check_exit(w.p[0].exit, pid, getpid(), bin, uid, c->kill ? 0 : 7,
		       c->kill ? SIGKILL : 0));
	return stop_ok(a, c->flavor, NULL, NULL, NULL);
}

/* --- a fork without exec ---------------------------------------------------------- */

static int test_fork(const void *arg)
{
	const char *flavor = arg;
	struct harness_agent_opts o = { .flavor = flavor };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(watch_clear) struct watch w = {};
	_cleanup_close_ int rd = -EBADF, wr = -EBADF;
	struct pid_records *child, *grandchild;
	char exe[PATH_MAX];
	pid_t parent = getpid(), pid, gpid = 0;
	int64_t deadline;
	int status;

	TRY(self_exe(exe, sizeof(exe)));
	TRY(harness_agent_start(&o, &a));
	TRY(harness_pipe(&rd, &wr));

	/* A child of ours that forks a grandchild; neither execs anything. */
	deadline = harness_now_ms() + RECORD_TIMEOUT_MS;
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0) {
		pid_t g;

		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		g = fork();
		if (g == 0)
			_exit(3);
		if (g < 0 || write(wr, &g, sizeof(g)) != sizeof(g))
			_exit(1);
		if (waitpid(g, &status, 0) != g)
			_exit(1);
		_exit(WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 1);
	}
	wr = safe_close(wr);
	if (read(rd, &gpid, sizeof(gpid)) != sizeof(gpid)) {
		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return harness_fail("the forking child did not report its own child's pid");
	}
	child = watch_add(&w, pid, true, false, true);
	grandchild = watch_add(&w, gpid, true, false, true);
	if (watch_wait(a, &w, deadline, "a child forking a grandchild without exec") < 0) {
		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return -1;
	}
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	TRY(check_status(status, 0, 0));

	CHECK(child->execs == 0 && grandchild->execs == 0,
	      "neither process execs, yet the agent reported %u exec records for the child and %u "
	      "for the grandchild",
	      child->execs, grandchild->execs);
	TRY(check_order(child));
	TRY(check_order(grandchild));
	TRY(check_fork(child->fork, pid, parent, exe, "0"));
	TRY(check_fork(grandchild->fork, gpid, pid, exe, "0"));
	CHECK(child->fork_seq < grandchild->fork_seq,
	      "the grandchild's fork record came before its parent's");
	CHECK(grandchild->exit_seq < child->exit_seq,
	      "the child's exit record came before that of the grandchild it waited for");
	TRY(check_exit(grandchild->exit, gpid, pid, exe, "0", 3, 0));
	TRY(check_exit(child->exit, pid, parent, exe, "0", 0, 0));
	return stop_ok(a, flavor, NULL, NULL, NULL);
}

/* --- threads are not processes ---------------------------------------------------- */

struct threads_case {
	const char *flavor;
	bool leader_first; /* the main thread leaves first; another ends the process */
};

static void *thread_sleep(void *arg)
{
	usleep(20000);
	return NULL;
}

static void *thread_exit4(void *arg)
{
	usleep(50000);
	_exit(4);
}

/* In the forked child: three threads, then the end of the process with status 4. */
static _Noreturn void threads_child(bool leader_first)
{
	pthread_t t[3];

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		if (pthread_create(&t[i], NULL,
				   leader_first && i == 0 ? thread_exit4 : thread_sleep, NULL) != 0)
			_exit(1);
	if (leader_first)
		pthread_exit(NULL);
	for (size_t i = 0; i < ELEMENTSOF(t); i++)
		pthread_join(t[i], NULL);
	_exit(4);
}

static int test_threads(const void *arg)
{
	const struct threads_case *c = arg;
	struct harness_agent_opts o = { .flavor = c->flavor };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(watch_clear) struct watch w = {};
	char exe[PATH_MAX];
	int64_t deadline;
	int status;
	pid_t pid;

	TRY(self_exe(exe, sizeof(exe)));
	TRY(harness_agent_start(&o, &a));
	deadline = harness_now_ms() + RECORD_TIMEOUT_MS;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0)
		threads_child(c->leader_first);
	watch_add(&w, pid, true, false, true);
	if (watch_wait(a, &w, deadline, "a child with three threads") < 0) {
		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return -1;
	}
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	TRY(check_status(status, 4, 0));
	/* Threads' records would carry the process's pid: one fork and one exit, no more. */
	TRY(check_order(&w.p[0]));
	CHECK(w.p[0].forks == 1 && w.p[0].exits == 1 && w.p[0].execs == 0,
	      "expected 1 fork and 1 exit record for a process with threads, saw %u fork, %u exec "
	      "and %u exit records",
	      w.p[0].forks, w.p[0].execs, w.p[0].exits);
	TRY(check_fork(w.p[0].fork, pid, getpid(), exe, "0"));
	TRY(check_exit(w.p[0].exit, pid, getpid(), exe, "0", 4, 0));
	if (!c->leader_first)
		EXPECT_JSON_INT("exit record", w.p[0].exit, pid, "process", "ptid");
	return stop_ok(a, c->flavor, NULL, NULL, NULL);
}

/* --- argument capture ------------------------------------------------------------- */

struct args_case {
	const char *flavor;
	const char *capture; /* --capture-args BYTES; NULL: no option */
};

static int test_args(const void *arg)
{
	const struct args_case *c = arg;
	struct harness_agent_opts o = { .flavor = c->flavor };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(watch_clear) struct watch w = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL, *full = NULL;
	int status;
	pid_t pid;

	if (c->capture) {
		o.args[0] = "--capture-args";
		o.args[1] = c->capture;
	}
	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("exit_with"), &bin));
	if (asprintf(&full, "%s 5 alpha beta gamma", bin) < 0) {
		full = NULL;
		return harness_fail("Out of memory");
	}
	TRY(harness_agent_start(&o, &a));
	TRY(run_watched(a, bin, (char *[]){ bin, "5", "alpha", "beta gamma", NULL },
			&HARNESS_CHILD_OPTS_DEFAULT, &w, &pid, &status));
	TRY(check_status(status, 5, 0));
	TRY(check_exec(w.p[0].exec, pid, getpid(), bin, "0"));
	TRY(check_exit(w.p[0].exit, pid, getpid(), bin, "0", 5, 0));

	if (!c->capture) {
		EXPECT_JSON_ABSENT("exec record without --capture-args", w.p[0].exec, "process",
				   "cmd_line");
		EXPECT_JSON_ABSENT("exec record without --capture-args", w.p[0].exec, "postured",
				   "args_truncated");
	} else {
		size_t limit = (size_t)atoi(c->capture);
		bool cut = strlen(full) > limit;

		if (cut)
			full[limit] = '\0';
		EXPECT_JSON_STR("exec record", w.p[0].exec, full, "process", "cmd_line");
		if (cut)
			CHECK(YAJL_IS_TRUE(harness_json(w.p[0].exec, "postured", "args_truncated")),
			      "exec record: the command line was cut to %zu bytes, but "
			      "postured.args_truncated is not true",
			      limit);
		else
			EXPECT_JSON_ABSENT("exec record", w.p[0].exec, "postured",
					   "args_truncated");
	}
	return stop_ok(a, c->flavor, NULL, NULL, NULL);
}

/* --- a process that ran before the agent ------------------------------------------ */

static int test_preexisting(const void *arg)
{
	const char *flavor = arg;
	struct harness_agent_opts o = { .flavor = flavor };
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(watch_clear) struct watch w = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_close_ int rd = -EBADF, wr = -EBADF;
	char link[64], exe[PATH_MAX];
	long long seeded;
	int64_t deadline;
	int status;
	pid_t pid;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("exit_with"), &bin));
	TRY(harness_pipe(&rd, &wr));
	co.stdin_fd = rd;
	/* It waits for the end of its stdin, then exits 7. */
	TRY(harness_spawn(bin, (char *[]){ bin, "7", "wait", NULL }, &co, &pid));
	rd = safe_close(rd);

	/* Started, and running the binary, before the agent is. */
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	deadline = harness_now_ms() + RECORD_TIMEOUT_MS;
	for (;;) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			if (strcmp(exe, bin) == 0)
				break;
		}
		if (harness_now_ms() > deadline) {
			wr = safe_close(wr);
			(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
			return harness_fail("The child never ran %s", bin);
		}
		usleep(1000);
	}

	if (harness_agent_start(&o, &a) < 0) {
		wr = safe_close(wr);
		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return -1;
	}
	deadline = harness_now_ms() + RECORD_TIMEOUT_MS;
	watch_add(&w, pid, false, false, true);
	wr = safe_close(wr);
	if (watch_wait(a, &w, deadline, "a process started before the agent, ending") < 0) {
		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return -1;
	}
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	TRY(check_status(status, 7, 0));
	CHECK(w.p[0].forks == 0 && w.p[0].execs == 0,
	      "the process started before the agent, yet it reported %u fork and %u exec records "
	      "for it",
	      w.p[0].forks, w.p[0].execs);
	/* Only /proc can have told the agent what this process runs. */
	TRY(check_exit(w.p[0].exit, pid, getpid(), bin, "0", 7, 0));
	TRY(stop_ok(a, flavor, NULL, NULL, NULL));
	TRY(stats_int(a, &seeded, "process_table", "seeded"));
	CHECK(seeded >= 2, "counters: the process table was seeded with %lld processes", seeded);
	return 0;
}

static const struct harness_test tests[] = {
	/* exec and exit of a uniquely named binary; as uid 65534; killed by SIGKILL */
	BOTH_FLAVORS("exec_exit", test_exec_exit, struct exec_case),
	BOTH_FLAVORS("exec_exit_uid_nobody", test_exec_exit, struct exec_case, .nobody = true),
	BOTH_FLAVORS("exit_sigkill", test_exec_exit, struct exec_case, .kill = true),
	/* fork without exec */
	BOTH_FLAVOR_NAMES("fork_without_exec", test_fork),
	/* threads are not processes: one fork and one exit record */
	BOTH_FLAVORS("threads", test_threads, struct threads_case),
	BOTH_FLAVORS("threads_leader_exits_first", test_threads, struct threads_case,
		     .leader_first = true),
	/* argument capture */
	BOTH_FLAVORS("capture_args_256", test_args, struct args_case, .capture = "256"),
	BOTH_FLAVORS("capture_args_truncated_16", test_args, struct args_case, .capture = "16"),
	BOTH_FLAVORS("capture_args_off", test_args, struct args_case),
	/* a process that ran before the agent */
	BOTH_FLAVOR_NAMES("preexisting_process", test_preexisting),
};

HARNESS_TABLE(process_probe_lifecycle_table, tests);
