// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process probes in the real kernel, through the real daemon: each test
 * starts build/postured --print-events (for both attachment flavours where
 * the flavour matters), makes processes with known properties, and checks
 * the records postured prints for them.  Needs root; tests/run-integration
 * runs it after mounting bpffs and tracefs.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Records of a process must arrive within this long of its start. */
#define RECORD_TIMEOUT_MS 2000
#define CHILD_TIMEOUT_MS  5000

#define STORM_COUNT	  5000
/* An upper bound on the storm (these VMs manage about 400 fork+exec a second). */
#define STORM_TIMEOUT_S 150

#define NOBODY		65534

/* --- watching pids --------------------------------------------------------- */

/* What the agent said about one pid, with the order of arrival (1-based). */
struct pid_records {
	pid_t pid;
	bool want_fork, want_exec, want_exit;
	yajl_val fork, exec, exit; /* the first of each kind */
	unsigned forks, execs, exits;
	unsigned fork_seq, exec_seq, exit_seq;
};

struct watch {
	struct pid_records p[4];
	size_t n;
	unsigned seq;
	/* An exec of this path by a pid not watched: a near miss worth reporting. */
	const char *path;
	long long other_pid;
};

static void watch_clear(struct watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		yajl_tree_free(w->p[i].fork);
		yajl_tree_free(w->p[i].exec);
		yajl_tree_free(w->p[i].exit);
	}
	*w = (struct watch){};
}

static struct pid_records *watch_add(struct watch *w, pid_t pid, bool fork, bool exec, bool exit)
{
	struct pid_records *r;

	if (w->n >= ELEMENTSOF(w->p))
		abort(); /* a test asks for more than it may */
	r = &w->p[w->n++];
	*r = (struct pid_records){
		.pid = pid, .want_fork = fork, .want_exec = exec, .want_exit = exit
	};
	return r;
}

static bool watch_complete(const struct watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct pid_records *r = &w->p[i];

		if ((r->want_fork && !r->fork) || (r->want_exec && !r->exec) ||
		    (r->want_exit && !r->exit))
			return false;
	}
	return true;
}

static int watch_event(yajl_val *ev, void *userdata)
{
	struct watch *w = userdata;
	const char *kind = harness_json_str(harness_json(*ev, "postured", "event"));
	long long pid;

	if (!kind || !harness_json_int(harness_json(*ev, "process", "pid"), &pid))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		struct pid_records *r = &w->p[i];

		if (r->pid != pid)
			continue;
		w->seq++;
		if (strcmp(kind, "fork") == 0 && r->forks++ == 0) {
			r->fork = TAKE_PTR(*ev);
			r->fork_seq = w->seq;
		} else if (strcmp(kind, "exec") == 0 && r->execs++ == 0) {
			r->exec = TAKE_PTR(*ev);
			r->exec_seq = w->seq;
		} else if (strcmp(kind, "exit") == 0 && r->exits++ == 0) {
			r->exit = TAKE_PTR(*ev);
			r->exit_seq = w->seq;
		}
		return watch_complete(w);
	}
	if (w->path && w->other_pid == 0 && strcmp(kind, "exec") == 0) {
		const char *path = harness_json_str(harness_json(*ev, "process", "file", "path"));

		if (path && strcmp(path, w->path) == 0)
			w->other_pid = pid;
	}
	return 0;
}

static const char *seen(yajl_val v)
{
	return v ? "seen" : "MISSING";
}

/* Waits until deadline_ms (monotonic) for every record w wants. */
static int watch_wait(struct harness_agent *a, struct watch *w, int64_t deadline_ms,
		      const char *what)
{
	int64_t left = deadline_ms - harness_now_ms();
	int r = harness_agent_wait(a, left > 0 ? (int)left : 0, NULL, watch_event, w);

	if (r > 0)
		return 0;
	if (r == -EPIPE)
		return harness_fail("postured ended its output while we waited for %s. Its stderr: "
				    "%s",
				    what, harness_agent_stderr(a));
	if (r < 0)
		return harness_fail("Reading postured's output: %s", strerror(-r));
	for (size_t i = 0; i < w->n; i++) {
		const struct pid_records *p = &w->p[i];

		harness_fail(
			"Within %d ms, %s: pid %d: fork record %s, exec record %s, exit record "
			"%s",
			RECORD_TIMEOUT_MS, what, (int)p->pid,
			p->want_fork ? seen(p->fork) : "not wanted",
			p->want_exec ? seen(p->exec) : "not wanted",
			p->want_exit ? seen(p->exit) : "not wanted");
	}
	if (w->other_pid)
		harness_note("an exec of %s was reported for pid %lld instead", w->path,
			     w->other_pid);
	return -1;
}

/*
 * Runs path with argv as a child of ours and waits for its fork, exec and
 * exit records (within RECORD_TIMEOUT_MS of its start) and for its end.
 */
static int run_watched(struct harness_agent *a, const char *path, char *const argv[],
		       const struct harness_child_opts *co, struct watch *w, pid_t *ret_pid,
		       int *ret_status)
{
	int64_t deadline = harness_now_ms() + RECORD_TIMEOUT_MS;
	char what[PATH_MAX + 64];
	pid_t pid;

	TRY(harness_spawn(path, argv, co, &pid));
	snprintf(what, sizeof(what), "a child running %s", path);
	watch_add(w, pid, true, true, true);
	w->path = path;
	if (watch_wait(a, w, deadline, what) < 0) {
		int status;

		(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
		return -1;
	}
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, ret_status));
	*ret_pid = pid;
	return 0;
}

/* --- common checks ---------------------------------------------------------- */

static int self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n < 0)
		return harness_fail("readlink /proc/self/exe: %m");
	buf[n] = '\0';
	return 0;
}

static int check_order(const struct pid_records *r)
{
	if (r->fork && r->exec)
		CHECK(r->fork_seq < r->exec_seq,
		      "pid %d: the exec record came before the fork record", (int)r->pid);
	if (r->exec && r->exit)
		CHECK(r->exec_seq < r->exit_seq,
		      "pid %d: the exit record came before the exec record", (int)r->pid);
	if (r->fork && r->exit)
		CHECK(r->fork_seq < r->exit_seq,
		      "pid %d: the exit record came before the fork record", (int)r->pid);
	CHECK(r->forks <= 1 && r->execs <= 1 && r->exits <= 1,
	      "pid %d: expected at most one record of each kind, saw %u fork, %u exec, %u exit",
	      (int)r->pid, r->forks, r->execs, r->exits);
	return 0;
}

static int check_fork(yajl_val ev, pid_t pid, pid_t ppid, const char *exe, const char *uid)
{
	EXPECT_JSON_STR("fork record", ev, "fork", "postured", "event");
	EXPECT_JSON_INT("fork record", ev, 1007, "class_uid");
	EXPECT_JSON_INT("fork record", ev, 1, "activity_id");
	EXPECT_JSON_INT("fork record", ev, pid, "process", "pid");
	EXPECT_JSON_INT("fork record", ev, pid, "process", "ptid");
	EXPECT_JSON_INT("fork record", ev, ppid, "process", "parent_process", "pid");
	EXPECT_JSON_STR("fork record", ev, uid, "process", "user", "uid");
	/* A fork runs what its parent runs: the process table knows that. */
	EXPECT_JSON_STR("fork record", ev, exe, "process", "file", "path");
	return 0;
}

static int check_exec(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid)
{
	struct stat st;

	EXPECT_JSON_STR("exec record", ev, "exec", "postured", "event");
	EXPECT_JSON_INT("exec record", ev, 1007, "class_uid");
	EXPECT_JSON_INT("exec record", ev, 1, "activity_id");
	EXPECT_JSON_STR("exec record", ev, path, "process", "file", "path");
	EXPECT_JSON_STR("exec record", ev, harness_basename(path), "process", "file", "name");
	EXPECT_JSON_INT("exec record", ev, pid, "process", "pid");
	EXPECT_JSON_INT("exec record", ev, pid, "process", "ptid");
	EXPECT_JSON_INT("exec record", ev, ppid, "process", "parent_process", "pid");
	EXPECT_JSON_STR("exec record", ev, uid, "process", "user", "uid");
	if (stat(path, &st) < 0)
		return harness_fail("stat %s: %m", path);
	EXPECT_JSON_INT("exec record", ev, (long long)st.st_ino, "postured", "exe", "ino");
	EXPECT_JSON_INT("exec record", ev, (long long)st.st_dev, "postured", "exe", "dev");
	EXPECT_JSON_ABSENT("exec record", ev, "postured", "filename_truncated");
	return 0;
}

static int check_exit(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid,
		      int status, int signal)
{
	EXPECT_JSON_STR("exit record", ev, "exit", "postured", "event");
	EXPECT_JSON_INT("exit record", ev, 1007, "class_uid");
	EXPECT_JSON_INT("exit record", ev, 2, "activity_id");
	EXPECT_JSON_INT("exit record", ev, pid, "process", "pid");
	EXPECT_JSON_INT("exit record", ev, ppid, "process", "parent_process", "pid");
	EXPECT_JSON_STR("exit record", ev, uid, "process", "user", "uid");
	/* Known from the exec (or fork, or /proc) that came before. */
	EXPECT_JSON_STR("exit record", ev, path, "process", "file", "path");
	EXPECT_JSON_INT("exit record", ev, signal ? 128 + signal : status, "exit_code");
	EXPECT_JSON_INT("exit record", ev, status, "postured", "exit_status");
	EXPECT_JSON_INT("exit record", ev, signal, "postured", "exit_signal");
	return 0;
}

static int check_status(int status, int want_code, int want_signal)
{
	char d[128];

	if (want_signal)
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == want_signal,
		      "the child should have been killed by signal %d, it ended with %s",
		      want_signal, harness_describe_status(status, d, sizeof(d)));
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == want_code,
		      "the child should have exited with status %d, it ended with %s", want_code,
		      harness_describe_status(status, d, sizeof(d)));
	return 0;
}

static int stats_int(const struct harness_agent *a, long long *ret, const char *k1, const char *k2)
{
	const char *path[] = { "postured", k1, k2, NULL };
	yajl_val v = yajl_tree_get(a->stats, path, yajl_t_any);
	char p[128], d[128];

	if (!harness_json_int(v, ret))
		return harness_fail("agent_stats: expected an integer at %s, saw %s",
				    harness_json_path(path, p, sizeof(p)),
				    harness_json_describe(v, d, sizeof(d)));
	return 0;
}

/*
 * Stops the agent with SIGTERM and checks a clean stop: exit status 0, the
 * agent_stats line last, of the expected flavour, every line JSON, one line
 * per record, STOPPING=1 sent, and WATCHDOG=1 only when it was asked for.
 */
static int stop_ok(struct harness_agent *a, const char *flavor, const char *prefilter,
		   harness_event_fn fn, void *userdata)
{
	long long records, findings, malformed;
	char d[128];

	TRY(harness_agent_stop(a, HARNESS_STOP_TIMEOUT_MS, prefilter, fn, userdata));
	CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == 0,
	      "after SIGTERM postured should exit with status 0; it ended with %s. Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	CHECK(a->stats, "postured printed no agent_stats line when stopping. Its stderr: %s",
	      harness_agent_stderr(a));
	CHECK(a->lines_after_stats == 0,
	      "agent_stats should be postured's last line; %llu lines followed it",
	      (unsigned long long)a->lines_after_stats);
	CHECK(a->bad_lines == 0,
	      "postured printed %llu lines that are not JSON objects; the first: %s",
	      (unsigned long long)a->bad_lines, a->bad_line);
	if (flavor)
		EXPECT_JSON_STR("agent_stats", a->stats, flavor, "postured", "probe_flavor");
	TRY(stats_int(a, &records, "records", NULL));
	TRY(stats_int(a, &findings, "findings", NULL));
	TRY(stats_int(a, &malformed, "malformed", NULL));
	CHECK(malformed == 0, "agent_stats: %lld malformed records from the kernel", malformed);
	/* Every record is a line, and so is every finding (the baseline's checks make some). */
	CHECK(records >= 0 && findings >= 0 &&
		      (unsigned long long)(records + findings) == a->event_lines,
	      "agent_stats says %lld records and %lld findings, but postured printed %llu event "
	      "lines",
	      records, findings, (unsigned long long)a->event_lines);
	CHECK(a->stopping, "no STOPPING=1 arrived on NOTIFY_SOCKET when postured stopped");
	CHECK(a->notify_foreign == 0, "%u notifications came from a pid other than postured's",
	      a->notify_foreign);
	if (!a->watchdog_env)
		CHECK(a->watchdogs == 0,
		      "postured sent WATCHDOG=1 %u times though WATCHDOG_USEC was not set",
		      a->watchdogs);
	return 0;
}

/* --- (1)-(3) exec and exit of a uniquely named binary ----------------------- */

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

/* --- (4) a fork without exec ------------------------------------------------ */

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

/* --- threads are not processes --------------------------------------------- */

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

/* --- (5) argument capture --------------------------------------------------- */

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

/* --- (6) a storm of short-lived processes ----------------------------------- */

struct storm {
	const char *path;
	unsigned long execs, exits, others;
};

static int storm_event(yajl_val *ev, void *userdata)
{
	struct storm *s = userdata;
	const char *kind = harness_json_str(harness_json(*ev, "postured", "event"));
	const char *path = harness_json_str(harness_json(*ev, "process", "file", "path"));

	if (!kind || !path || strcmp(path, s->path) != 0)
		return 0;
	if (strcmp(kind, "exec") == 0)
		s->execs++;
	else if (strcmp(kind, "exit") == 0)
		s->exits++;
	else
		s->others++;
	return 0;
}

static int test_storm(const void *arg)
{
	const char *flavor = arg;
	struct harness_agent_opts o = { .flavor = flavor };
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_close_ int rd = -EBADF, wr = -EBADF;
	struct storm s = {};
	char count[16], limit[16], out[512] = "";
	unsigned long started = 0, wanted = 0;
	long long lost_exec, lost_fork, lost_exit, sent_exec, total;
	int64_t begin, deadline;
	int status, r;
	size_t have = 0;
	pid_t pid;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("exit_with"), &bin));
	s.path = bin;
	snprintf(count, sizeof(count), "%d", STORM_COUNT);
	snprintf(limit, sizeof(limit), "%d", STORM_TIMEOUT_S);
	TRY(harness_pipe(&rd, &wr));
	co.stdout_fd = wr;

	TRY(harness_agent_start(&o, &a));
	begin = harness_now_ms();
	deadline = begin + (STORM_TIMEOUT_S + 30) * 1000;
	/* One child at a time, each waited for, as a shell loop would run them. */
	TRY(harness_spawn(harness_helper("spawn_storm"),
			  (char *[]){ (char *)harness_helper("spawn_storm"), "-j", "1", "-t", limit,
				      count, bin, "0", NULL },
			  &co, &pid));
	wr = safe_close(wr);

	/* Keep reading the agent while the storm runs, or its pipe fills and it stalls. */
	for (;;) {
		struct pollfd p = { .fd = rd, .events = POLLIN };
		ssize_t n;

		r = harness_agent_wait(a, 100, harness_basename(bin), storm_event, &s);
		if (r == -EPIPE) {
			(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
			return harness_fail(
				"postured ended its output during the storm. Its stderr: %s",
				harness_agent_stderr(a));
		}
		if (r < 0)
			return harness_fail("Reading postured's output: %s", strerror(-r));
		if (poll(&p, 1, 0) > 0) {
			n = read(rd, out + have, sizeof(out) - 1 - have);
			if (n == 0)
				break; /* spawn_storm is done */
			if (n > 0)
				have += (size_t)n;
		}
		if (harness_now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
			return harness_fail("The storm did not end within %d s",
					    STORM_TIMEOUT_S + 30);
		}
	}
	out[have] = '\0';
	out[strcspn(out, "\n")] = '\0';
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	CHECK(sscanf(out, "started %lu of %lu", &started, &wanted) == 2,
	      "spawn_storm printed \"%s\", expected \"started N of M ...\"", out);
	CHECK(started == STORM_COUNT && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "spawn_storm should have run %s %d times within %d s: it says \"%s\" (exit status "
	      "%d)",
	      bin, STORM_COUNT, STORM_TIMEOUT_S, out, WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* What the agent still has in its ring comes out as it stops. */
	TRY(stop_ok(a, flavor, harness_basename(bin), storm_event, &s));
	TRY(stats_int(a, &lost_exec, "lost", "exec"));
	TRY(stats_int(a, &lost_fork, "lost", "fork"));
	TRY(stats_int(a, &lost_exit, "lost", "exit"));
	TRY(stats_int(a, &sent_exec, "sent", "exec"));
	harness_note("%s: spawn_storm %s; exec records seen %lu, lost %lld; exit records seen %lu, "
		     "lost %lld; fork lost %lld; the agent printed %llu records in %.1f s",
		     flavor, out, s.execs, lost_exec, s.exits, lost_exit, lost_fork,
		     (unsigned long long)a->event_lines,
		     (double)(harness_now_ms() - begin) / 1000.0);

	CHECK(s.others == 0, "%lu fork records carried the storm binary's path before its exec",
	      s.others);
	CHECK((long long)s.execs <= sent_exec,
	      "%lu exec records of %s seen, but agent_stats says only %lld were sent in all",
	      s.execs, bin, sent_exec);
	CHECK(s.execs <= STORM_COUNT, "%lu exec records of %s for %d execs: duplicates", s.execs,
	      bin, STORM_COUNT);
	total = (long long)s.execs + lost_exec;
	CHECK(total == STORM_COUNT,
	      "exec records seen (%lu) + lost (%lld) should be exactly %d: %s", s.execs, lost_exec,
	      STORM_COUNT,
	      total < STORM_COUNT ? "some execs were neither reported nor counted as lost" :
				    "more were lost than the storm made; lost.exec counts every "
				    "process's execs, so others exec'd while records were lost");
	/* With nothing lost, every storm child's exit must be there, named by the table. */
	if (lost_exec == 0 && lost_fork == 0 && lost_exit == 0)
		CHECK(s.exits == STORM_COUNT,
		      "nothing was lost, yet %lu exit records name %s for %d processes", s.exits,
		      bin, STORM_COUNT);
	return 0;
}

/* --- (7) start-up errors ---------------------------------------------------- */

struct startup_case {
	enum harness_privs privs;
	const char *config_name; /* a file in the test's directory */
	const char *config_text; /* its contents; NULL: the file does not exist */
	const char *flavor;
	int want_code; /* the exit status; -1: any non-zero */
	const char *needles[3]; /* what stderr must say; "@CONFIG" is the config's path */
};

static int test_startup_error(const void *arg)
{
	const struct startup_case *c = arg;
	struct harness_agent_opts o = { .privs = c->privs,
					.flavor = c->flavor,
					.no_wait_ready = true };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_tmpdir_ char *dir = NULL;
	char config[PATH_MAX + 64], d[128];

	TRY(harness_tmpdir_new(&dir));
	if (c->config_name) {
		snprintf(config, sizeof(config), "%s/%s", dir, c->config_name);
		if (c->config_text)
			TRY(harness_write_file(config, c->config_text));
		o.config = config;
	} else if (c->privs != HARNESS_PRIVS_ROOT) {
		/* A configuration it can read wherever the source tree is, so only privileges fail. */
		snprintf(config, sizeof(config), "%s/postured.conf", dir);
		TRY(harness_write_file(config, "{ \"probe_flavor\": \"auto\" }\n"));
		o.config = config;
	}
	TRY(harness_agent_start(&o, &a));
	TRY(harness_agent_wait_exit(a, HARNESS_STOP_TIMEOUT_MS, NULL, NULL, NULL));

	CHECK(!WIFSIGNALED(a->status), "postured crashed: %s. Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	if (c->want_code >= 0)
		CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == c->want_code,
		      "expected exit status %d, saw %s. Its stderr: %s", c->want_code,
		      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	else
		CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) != 0,
		      "expected a non-zero exit status, saw %s. Its stderr: %s",
		      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	for (size_t i = 0; i < ELEMENTSOF(c->needles) && c->needles[i]; i++) {
		const char *n = strcmp(c->needles[i], "@CONFIG") == 0 ? config : c->needles[i];

		CHECK(strstr(a->err, n), "stderr should mention \"%s\"; it says: %s", n,
		      harness_agent_stderr(a));
	}
	harness_note("%s; stderr: %s", harness_describe_status(a->status, d, sizeof(d)),
		     harness_agent_stderr(a));
	CHECK(!a->ready, "postured said READY=1 although it could not start");
	CHECK(a->event_lines == 0 && !a->stats,
	      "postured printed %llu lines on stdout although it could not start",
	      (unsigned long long)(a->event_lines + (a->stats ? 1 : 0)));
	return 0;
}

/* --- (8) SIGTERM detaches the probes ---------------------------------------- */

/* The kernel's description of a BPF object, through an fd of it we are handed (and close). */
static int info_by_fd(int fd_or_err, void *info, __u32 size)
{
	_cleanup_close_ int fd = fd_or_err;
	__u32 len = size;

	memset(info, 0, size);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, info, &len) < 0)
		return -errno;
	return 0;
}

static int prog_info(__u32 id, struct bpf_prog_info *info)
{
	return info_by_fd(bpf_prog_get_fd_by_id(id), info, sizeof(*info));
}

static int link_info(__u32 id, struct bpf_link_info *info)
{
	return info_by_fd(bpf_link_get_fd_by_id(id), info, sizeof(*info));
}

/* Whether the kernel still lists the object id, walking its ids with next (programs, links). */
static bool id_listed(int (*next)(__u32, __u32 *), __u32 want)
{
	__u32 id = 0;

	while (next(id, &id) == 0)
		if (id == want)
			return true;
	return false;
}

static bool prog_listed(__u32 want)
{
	return id_listed(bpf_prog_get_next_id, want);
}

static bool link_listed(__u32 want)
{
	return id_listed(bpf_link_get_next_id, want);
}

/*
 * What postured loads and attaches (agent/postured/probe_process.c, agent/postured/probe_net.c):
 * the process probe's exec, exit and fork programs of the flavour asked for,
 * each with one link; the network probe's six cgroup sock_addr programs, each
 * linked to the cgroup v2 root with its own attach type; and the network
 * probe's TCP state program (tp_btf or classic, whichever the kernel took),
 * linked only while a rule needs it: reported outbound TCP connects (their
 * outcome) or inbound rules.
 */
static const char *const process_progs[] = { "exec_", "exit_", "fork_" };

static const struct {
	const char *name;
	enum bpf_attach_type attach;
} net_sock_progs[] = {
	{ "net_connect4", BPF_CGROUP_INET4_CONNECT }, { "net_connect6", BPF_CGROUP_INET6_CONNECT },
	{ "net_sendmsg4", BPF_CGROUP_UDP4_SENDMSG },  { "net_sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	{ "net_bind4", BPF_CGROUP_INET4_BIND },	      { "net_bind6", BPF_CGROUP_INET6_BIND },
};

/* Program names are cut to BPF_OBJ_NAME_LEN - 1 bytes: net_tcp_state_btf, net_tcp_state_tp. */
#define NET_TCP_STATE_PREFIX "net_tcp_state_"

struct sigterm_case {
	const char *flavor;
	bool tcp_rule; /* a policy with a reported outbound TCP rule, which needs the TCP state */
};

/* What one program held by postured is, and its links. */
struct held_prog {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u32 type;
	int kind; /* 0..2: process_progs; 3 + i: net_sock_progs[i]; -1: TCP state; -2: unknown */
	unsigned links;
	bool link_ok; /* sock_addr: linked to the root with its attach type */
	char link_detail[128];
};

#define KIND_TCP_STATE (-1)
#define KIND_UNKNOWN   (-2)

/* Sets h->kind; fails for a process program of the other flavour or a hook of the wrong type. */
static int classify_prog(struct held_prog *h, const char *suffix)
{
	const char *sfx = strchr(h->name, '_');

	h->kind = KIND_UNKNOWN;
	for (size_t k = 0; k < ELEMENTSOF(process_progs); k++)
		if (strncmp(h->name, process_progs[k], strlen(process_progs[k])) == 0) {
			CHECK(sfx && strcmp(sfx + 1, suffix) == 0,
			      "postured holds program %s of the other process probe flavour",
			      h->name);
			h->kind = (int)k;
		}
	for (size_t k = 0; k < ELEMENTSOF(net_sock_progs); k++)
		if (strcmp(h->name, net_sock_progs[k].name) == 0) {
			CHECK(h->type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			      "program %s is of type %u, not cgroup sock_addr", h->name, h->type);
			h->kind = 3 + (int)k;
		}
	if (strncmp(h->name, NET_TCP_STATE_PREFIX, strlen(NET_TCP_STATE_PREFIX)) == 0)
		h->kind = KIND_TCP_STATE;
	CHECK(h->kind != KIND_UNKNOWN, "postured holds a BPF program %s nobody expects", h->name);
	return 0;
}

/* A config naming a policy of one network rule, so what needs the TCP state is known. */
static int sigterm_config(const char *dir, bool tcp_rule, char *config, size_t size)
{
	char policy[PATH_MAX + 16], text[PATH_MAX + 1024];

	snprintf(policy, sizeof(policy), "%s/policy.json", dir);
	snprintf(config, size, "%s/postured.conf", dir);
	/* Loopback, a port in the reserved range nothing here uses: it matches nothing real. */
	snprintf(
		text, sizeof(text),
		"{ \"id\": \"sigterm-it\", \"serial\": 1, \"mode\": \"monitor\", \"rules\": [ {\n"
		"  \"id\": \"net-report\", \"type\": \"network\", \"title\": \"t\",\n"
		"  \"severity\": \"low\", \"direction\": \"%s\", \"protocol\": \"tcp\",\n"
		"  \"match\": { \"address\": \"127.0.0.1\", \"port\": 1 }, \"effect\": \"report\",\n"
		"  \"message\": { \"en\": \"m\" }, \"remediation\": { \"en\": \"r\" } } ] }\n",
		tcp_rule ? "outbound" : "listen");
	TRY(harness_write_file(policy, text));
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\" }\n", policy);
	return harness_write_file(config, text);
}

/* The cgroup postured says its network probe is attached to, as a cgroup id (its inode). */
static int net_cgroup_id(struct harness_agent *a, __u64 *ret, char *path, size_t size)
{
	static const char needle[] = "Network probe attached to ";
	const char *p;
	struct stat st;
	size_t n;

	CHECK(harness_agent_wait_stderr(a, needle, RECORD_TIMEOUT_MS) == 1,
	      "postured did not say where it attached the network probe. Its stderr: %s",
	      harness_agent_stderr(a));
	p = strstr(a->err, needle) + strlen(needle);
	n = strcspn(p, "\n");
	if (n > 0 && p[n - 1] == '.')
		n--;
	snprintf(path, size, "%.*s", (int)n, p);
	if (stat(path, &st) < 0)
		return harness_fail("Cannot stat the network probe's cgroup %s: %m", path);
	*ret = (__u64)st.st_ino;
	return 0;
}

static int test_sigterm(const void *arg)
{
	const struct sigterm_case *c = arg;
	const char *suffix = strcmp(c->flavor, "tp_btf") == 0 ? "btf" : "tp";
	_cleanup_tmpdir_ char *dir = NULL;
	struct harness_agent_opts o = { .flavor = c->flavor };
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct held_prog held[ELEMENTSOF(((struct harness_bpf_ids *)NULL)->prog)] = {};
	unsigned per_kind[3 + ELEMENTSOF(net_sock_progs)] = {}, tcp_progs = 0, tcp_links = 0;
	char names[512] = "", config[PATH_MAX + 32], cgroup[PATH_MAX];
	struct harness_bpf_ids ids;
	size_t off = 0;
	unsigned remaining;
	int64_t deadline;
	__u64 cgroup_id = 0;

	TRY(harness_tmpdir_new(&dir));
	TRY(sigterm_config(dir, c->tcp_rule, config, sizeof(config)));
	o.config = config;
	TRY(harness_agent_start(&o, &a));
	TRY(net_cgroup_id(a, &cgroup_id, cgroup, sizeof(cgroup)));
	TRY(harness_bpf_ids_of(a->pid, &ids));

	for (size_t i = 0; i < ids.nprog; i++) {
		struct held_prog *h = &held[i];
		struct bpf_prog_info info;
		int r = prog_info(ids.prog[i], &info);

		if (r < 0)
			return harness_fail("Cannot look up BPF program %u held by postured: %s",
					    ids.prog[i], strerror(-r));
		h->id = ids.prog[i];
		h->type = info.type;
		snprintf(h->name, sizeof(h->name), "%s", info.name);
		CHECK(prog_listed(h->id),
		      "BPF program %u (%s) held by postured is not in the kernel's list", h->id,
		      h->name);
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						off ? " " : "", h->name);
		TRY(classify_prog(h, suffix));
		if (h->kind == KIND_TCP_STATE)
			tcp_progs++;
		else
			per_kind[h->kind]++;
	}
	for (size_t i = 0; i < ids.nlink; i++) {
		struct bpf_link_info info;
		struct held_prog *h = NULL;
		int r = link_info(ids.link[i], &info);

		if (r < 0)
			return harness_fail("Cannot look up BPF link %u held by postured: %s",
					    ids.link[i], strerror(-r));
		for (size_t j = 0; j < ids.nprog; j++)
			if (held[j].id == info.prog_id)
				h = &held[j];
		CHECK(h,
		      "BPF link %u held by postured is of program %u, which postured does not hold",
		      ids.link[i], info.prog_id);
		h->links++;
		if (h->kind == KIND_TCP_STATE) {
			tcp_links++;
		} else if (h->kind >= 3) {
			enum bpf_attach_type want = net_sock_progs[h->kind - 3].attach;

			h->link_ok = info.type == BPF_LINK_TYPE_CGROUP &&
				     info.cgroup.cgroup_id == cgroup_id &&
				     info.cgroup.attach_type == (__u32)want;
			snprintf(h->link_detail, sizeof(h->link_detail),
				 "link type %u, cgroup id %llu, attach type %u", info.type,
				 (unsigned long long)info.cgroup.cgroup_id,
				 info.cgroup.attach_type);
		}
	}

	for (size_t k = 0; k < ELEMENTSOF(process_progs); k++)
		CHECK(per_kind[k] == 1,
		      "postured (%s) should hold one %s%s program; it holds %u (%s)", c->flavor,
		      process_progs[k], suffix, per_kind[k], names);
	for (size_t k = 0; k < ELEMENTSOF(net_sock_progs); k++)
		CHECK(per_kind[3 + k] == 1, "postured should hold one %s program; it holds %u (%s)",
		      net_sock_progs[k].name, per_kind[3 + k], names);
	CHECK(tcp_progs == 1, "postured should hold one TCP state program; it holds %u (%s)",
	      tcp_progs, names);
	for (size_t i = 0; i < ids.nprog; i++) {
		const struct held_prog *h = &held[i];

		if (h->kind == KIND_TCP_STATE)
			continue;
		CHECK(h->links == 1, "program %s should have one link; postured holds %u", h->name,
		      h->links);
		if (h->kind >= 3)
			CHECK(h->link_ok,
			      "program %s should be linked to the cgroup %s (id %llu) as %s: %s",
			      h->name, cgroup, (unsigned long long)cgroup_id,
			      libbpf_bpf_attach_type_str(net_sock_progs[h->kind - 3].attach),
			      h->link_detail);
	}
	CHECK(tcp_links == (c->tcp_rule ? 1U : 0U),
	      "the TCP state program should be linked %s; postured holds %u links of it",
	      c->tcp_rule ? "once (a reported outbound TCP rule needs it)" :
			    "not at all (no rule needs it)",
	      tcp_links);
	harness_note("%zu programs (%s), %zu links", ids.nprog, names, ids.nlink);

	TRY(stop_ok(a, c->flavor, NULL, NULL, NULL));

	/* Programs and links go when their last fd does; the kernel frees them soon after. */
	deadline = harness_now_ms() + 3000;
	do {
		remaining = 0;
		for (size_t i = 0; i < ids.nprog; i++)
			remaining += prog_listed(ids.prog[i]);
		for (size_t i = 0; i < ids.nlink; i++)
			remaining += link_listed(ids.link[i]);
		if (remaining == 0)
			break;
		usleep(20000);
	} while (harness_now_ms() < deadline);
	for (size_t i = 0; i < ids.nprog; i++)
		CHECK(!prog_listed(ids.prog[i]),
		      "BPF program %u (%s) is still loaded 3 s after postured exited (programs were: "
		      "%s)",
		      ids.prog[i], held[i].name, names);
	for (size_t i = 0; i < ids.nlink; i++)
		CHECK(!link_listed(ids.link[i]),
		      "BPF link %u is still in the kernel 3 s after postured exited", ids.link[i]);
	return 0;
}

/* --- (9) sd_notify ---------------------------------------------------------- */

struct notify_case {
	const char *flavor;
	bool other_pid; /* WATCHDOG_PID names another process: no WATCHDOG=1 then */
};

/* What the sd_notify tests of a case share: the agent started with WATCHDOG_USEC=200000. */
static struct notify {
	const struct notify_case *c;
	struct harness_agent *a;
} nt;

static int notify_setup(const void *arg)
{
	const struct notify_case *c = arg;
	struct harness_agent_opts o = { .flavor = c->flavor, .watchdog_usec = "200000" };

	nt = (struct notify){ .c = c };
	if (c->other_pid)
		o.watchdog_pid = getpid();
	return harness_agent_start(&o, &nt.a);
}

static int notify_teardown(const void *arg)
{
	int r = nt.a ? stop_ok(nt.a, nt.c->flavor, NULL, NULL, NULL) : 0;

	nt.a = harness_agent_free(nt.a);
	return r;
}

/* READY=1 came from postured's pid (harness_agent_start() waited for it), with its STATUS=. */
static int test_notify_status(const void *arg)
{
	char want[64];

	snprintf(want, sizeof(want), "(%s probes)", nt.c->flavor);
	CHECK(strstr(nt.a->status_text, "Watching processes") && strstr(nt.a->status_text, want),
	      "STATUS= should say \"Watching processes %s\", it says \"%s\"", want,
	      nt.a->status_text);
	return 0;
}

/* WATCHDOG=1 every WATCHDOG_USEC / 2, or never when WATCHDOG_PID names another process. */
static int test_notify_watchdog(const void *arg)
{
	struct harness_agent *a = nt.a;
	unsigned before = a->watchdogs;
	int r;

	r = harness_agent_wait(a, 1000, NULL, NULL, NULL);
	CHECK(r == 0, "postured's output ended while we counted WATCHDOG=1. Its stderr: %s",
	      harness_agent_stderr(a));
	if (nt.c->other_pid)
		CHECK(a->watchdogs == 0,
		      "WATCHDOG_PID named another process, yet postured sent WATCHDOG=1 %u times",
		      a->watchdogs);
	else
		CHECK(a->watchdogs - before >= 2,
		      "with WATCHDOG_USEC=200000, expected at least 2 WATCHDOG=1 in 1 s, saw %u",
		      a->watchdogs - before);
	harness_note("%s: WATCHDOG=1 %u times in 1 s; ready %lld ms after exec; STATUS=%s",
		     nt.c->flavor, a->watchdogs - before, (long long)(a->ready_ms - a->started_ms),
		     a->status_text);
	return 0;
}

/* --- (10) a process that ran before the agent ------------------------------- */

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
	CHECK(seeded >= 2, "agent_stats: the process table was seeded with %lld processes", seeded);
	return 0;
}

/* --- the registry ----------------------------------------------------------- */

#define EXEC_CASE(...)	  (&(const struct exec_case){ __VA_ARGS__ })
#define THREADS_CASE(...) (&(const struct threads_case){ __VA_ARGS__ })
#define ARGS_CASE(...)	  (&(const struct args_case){ __VA_ARGS__ })
#define NOTIFY_CASE(...)  (&(const struct notify_case){ __VA_ARGS__ })
#define STARTUP_CASE(...) (&(const struct startup_case){ __VA_ARGS__ })
#define SIGTERM_CASE(...) (&(const struct sigterm_case){ __VA_ARGS__ })

static const struct harness_fixture notify_fixtures[] = {
	{ "sd_notify/tp_btf", notify_setup, notify_teardown, NOTIFY_CASE(.flavor = "tp_btf") },
	{ "sd_notify/tracepoint", notify_setup, notify_teardown,
	  NOTIFY_CASE(.flavor = "tracepoint") },
	{ "sd_notify_other_pid", notify_setup, notify_teardown,
	  NOTIFY_CASE(.flavor = "tp_btf", .other_pid = true) },
};

static const struct harness_test tests[] = {
	/* (1) exec and exit of a uniquely named binary */
	HARNESS_TEST("exec_exit/tp_btf", test_exec_exit, EXEC_CASE(.flavor = "tp_btf")),
	HARNESS_TEST("exec_exit/tracepoint", test_exec_exit, EXEC_CASE(.flavor = "tracepoint")),
	/* (2) the same as uid 65534 */
	HARNESS_TEST("exec_exit_uid_nobody/tp_btf", test_exec_exit,
		     EXEC_CASE(.flavor = "tp_btf", .nobody = true)),
	HARNESS_TEST("exec_exit_uid_nobody/tracepoint", test_exec_exit,
		     EXEC_CASE(.flavor = "tracepoint", .nobody = true)),
	/* (3) killed by SIGKILL */
	HARNESS_TEST("exit_sigkill/tp_btf", test_exec_exit,
		     EXEC_CASE(.flavor = "tp_btf", .kill = true)),
	HARNESS_TEST("exit_sigkill/tracepoint", test_exec_exit,
		     EXEC_CASE(.flavor = "tracepoint", .kill = true)),
	/* (4) fork without exec */
	HARNESS_TEST("fork_without_exec/tp_btf", test_fork, "tp_btf"),
	HARNESS_TEST("fork_without_exec/tracepoint", test_fork, "tracepoint"),
	/* threads are not processes: one fork and one exit record */
	HARNESS_TEST("threads/tp_btf", test_threads, THREADS_CASE(.flavor = "tp_btf")),
	HARNESS_TEST("threads/tracepoint", test_threads, THREADS_CASE(.flavor = "tracepoint")),
	HARNESS_TEST("threads_leader_exits_first/tp_btf", test_threads,
		     THREADS_CASE(.flavor = "tp_btf", .leader_first = true)),
	HARNESS_TEST("threads_leader_exits_first/tracepoint", test_threads,
		     THREADS_CASE(.flavor = "tracepoint", .leader_first = true)),
	/* (5) argument capture */
	HARNESS_TEST("capture_args_256/tp_btf", test_args,
		     ARGS_CASE(.flavor = "tp_btf", .capture = "256")),
	HARNESS_TEST("capture_args_256/tracepoint", test_args,
		     ARGS_CASE(.flavor = "tracepoint", .capture = "256")),
	HARNESS_TEST("capture_args_truncated_16/tp_btf", test_args,
		     ARGS_CASE(.flavor = "tp_btf", .capture = "16")),
	HARNESS_TEST("capture_args_truncated_16/tracepoint", test_args,
		     ARGS_CASE(.flavor = "tracepoint", .capture = "16")),
	HARNESS_TEST("capture_args_off/tp_btf", test_args, ARGS_CASE(.flavor = "tp_btf")),
	HARNESS_TEST("capture_args_off/tracepoint", test_args, ARGS_CASE(.flavor = "tracepoint")),
	/* (10) a process that ran before the agent */
	HARNESS_TEST("preexisting_process/tp_btf", test_preexisting, "tp_btf"),
	HARNESS_TEST("preexisting_process/tracepoint", test_preexisting, "tracepoint"),
	/* (8) SIGTERM */
	HARNESS_TEST("sigterm_detaches/tp_btf", test_sigterm, SIGTERM_CASE(.flavor = "tp_btf")),
	HARNESS_TEST("sigterm_detaches/tracepoint", test_sigterm,
		     SIGTERM_CASE(.flavor = "tracepoint")),
	HARNESS_TEST("sigterm_detaches_tcp_state/tp_btf", test_sigterm,
		     SIGTERM_CASE(.flavor = "tp_btf", .tcp_rule = true)),
	/* (9) sd_notify */
	HARNESS_FIXTURE_TEST("sd_notify_ready_status/tp_btf", test_notify_status, NULL,
			     &notify_fixtures[0]),
	HARNESS_FIXTURE_TEST("sd_notify_watchdog/tp_btf", test_notify_watchdog, NULL,
			     &notify_fixtures[0]),
	HARNESS_FIXTURE_TEST("sd_notify_ready_status/tracepoint", test_notify_status, NULL,
			     &notify_fixtures[1]),
	HARNESS_FIXTURE_TEST("sd_notify_watchdog/tracepoint", test_notify_watchdog, NULL,
			     &notify_fixtures[1]),
	HARNESS_FIXTURE_TEST("sd_notify_ready_status_other_pid", test_notify_status, NULL,
			     &notify_fixtures[2]),
	HARNESS_FIXTURE_TEST("sd_notify_watchdog_other_pid", test_notify_watchdog, NULL,
			     &notify_fixtures[2]),
	/* (7) start-up errors */
	HARNESS_TEST("startup_unprivileged_nobody", test_startup_error,
		     STARTUP_CASE(.privs = HARNESS_PRIVS_NOBODY, .want_code = -1,
				  .needles = { "root", "CAP_BPF" })),
	HARNESS_TEST("startup_root_without_caps", test_startup_error,
		     STARTUP_CASE(.privs = HARNESS_PRIVS_NO_CAPS, .want_code = -1,
				  .needles = { "root", "CAP_BPF" })),
	HARNESS_TEST("startup_config_missing", test_startup_error,
		     STARTUP_CASE(.config_name = "missing.conf", .want_code = 1,
				  .needles = { "@CONFIG" })),
	HARNESS_TEST("startup_config_unknown_key", test_startup_error,
		     STARTUP_CASE(.config_name = "unknown-key.conf",
				  .config_text =
					  "{ \"probe_flavor\": \"auto\", \"frobnicate\": 1 }\n",
				  .want_code = 1, .needles = { "@CONFIG", "frobnicate" })),
	HARNESS_TEST("startup_config_invalid_json", test_startup_error,
		     STARTUP_CASE(.config_name = "broken.conf",
				  .config_text = "{ \"probe_flavor\": ", .want_code = 1,
				  .needles = { "@CONFIG" })),
	HARNESS_TEST("startup_bad_probe_flavor", test_startup_error,
		     STARTUP_CASE(.flavor = "fentry", .want_code = 2,
				  .needles = { "--probe-flavor" })),
	/* (6) a storm of short-lived processes, last: the longest */
	HARNESS_TEST("storm_5000/tp_btf", test_storm, "tp_btf"),
	HARNESS_TEST("storm_5000/tracepoint", test_storm, "tracepoint"),
};

HARNESS_MAIN(tests)
