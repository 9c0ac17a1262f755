// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process probes in the real kernel, through the real daemon: each test
 * starts build/postured --print-events (for both attachment flavours where
 * the flavour matters), makes processes with known properties, and checks
 * the records postured prints for them.  Needs root; tests/run-integration
 * runs it after mounting bpffs and tracefs.
 *
 * This file has what the suite's files share (process_probe.h: watching the
 * records of pids, checking them, a clean stop) and main(); the tests are in
 * process_probe_lifecycle.c (exec, exit, fork, threads, arguments, a
 * process older than the agent), process_probe_agent.c (the agent's own:
 * SIGTERM, sd_notify, start-up errors) and process_probe_storm.c, whose
 * tables run in that order: the storm, the longest, last.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_probe.h"

/* --- watching pids ---------------------------------------------------------------- */

void watch_clear(struct watch *w)
{
	for (size_t i = 0; i < w->n; i++) {
		yajl_tree_free(w->p[i].fork);
		yajl_tree_free(w->p[i].exec);
		yajl_tree_free(w->p[i].exit);
	}
	*w = (struct watch){};
}

struct pid_records *watch_add(struct watch *w, pid_t pid, bool fork, bool exec, bool exit)
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
int watch_wait(struct harness_agent *a, struct watch *w, int64_t deadline_ms, const char *what)
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
int run_watched(struct harness_agent *a, const char *path, char *const argv[],
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

/* --- common checks ---------------------------------------------------------------- */

int self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n < 0)
		return harness_fail("readlink /proc/self/exe: %m");
	buf[n] = '\0';
	return 0;
}

int check_order(const struct pid_records *r)
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

int check_fork(yajl_val ev, pid_t pid, pid_t ppid, const char *exe, const char *uid)
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

int check_exec(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid)
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

int check_exit(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid, int status,
	       int signal)
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

int check_status(int status, int want_code, int want_signal)
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

int stats_int(const struct harness_agent *a, long long *ret, const char *k1, const char *k2)
{
	const char *path[] = { k1, k2, NULL };
	yajl_val v = yajl_tree_get(a->stats, path, yajl_t_any);
	char p[128], d[128];

	if (!harness_json_int(v, ret))
		return harness_fail("Counters at stop: expected an integer at %s, saw %s",
				    harness_json_path(path, p, sizeof(p)),
				    harness_json_describe(v, d, sizeof(d)));
	return 0;
}

/*
 * Stops the agent with SIGTERM and checks a clean stop: exit status 0, the
 * counters logged, of the expected flavour, every line JSON, one line per
 * record, STOPPING=1 sent, and WATCHDOG=1 only when it was asked for.
 */
int stop_ok(struct harness_agent *a, const char *flavor, const char *prefilter, harness_event_fn fn,
	    void *userdata)
{
	long long records, findings, malformed, agent_records;
	char d[128];

	TRY(harness_agent_stop(a, HARNESS_STOP_TIMEOUT_MS, prefilter, fn, userdata));
	CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == 0,
	      "after SIGTERM postured should exit with status 0; it ended with %s. Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	CHECK(a->stats,
	      "postured logged no \"Counters at stop:\" line when stopping. Its stderr: %s",
	      harness_agent_stderr(a));
	CHECK(a->bad_lines == 0,
	      "postured printed %llu lines that are not JSON objects; the first: %s",
	      (unsigned long long)a->bad_lines, a->bad_line);
	if (flavor)
		EXPECT_JSON_STR("counters", a->stats, flavor, "probe_flavor");
	TRY(stats_int(a, &records, "records", NULL));
	TRY(stats_int(a, &findings, "findings", NULL));
	TRY(stats_int(a, &malformed, "malformed", NULL));
	TRY(stats_int(a, &agent_records, "agent_records", NULL));
	CHECK(malformed == 0, "counters: %lld malformed records from the kernel", malformed);
	/*
	 * Every record is a line, and so is every finding (the baseline's checks make some)
	 * and every record about the agent itself (its stop).
	 */
	CHECK(records >= 0 && findings >= 0 && agent_records >= 1 &&
		      (unsigned long long)(records + findings + agent_records) == a->event_lines,
	      "the counters say %lld records, %lld findings and %lld about the agent, but "
	      "postured printed %llu event lines",
	      records, findings, agent_records, (unsigned long long)a->event_lines);
	CHECK(a->stopping, "no STOPPING=1 arrived on NOTIFY_SOCKET when postured stopped");
	CHECK(a->notify_foreign == 0, "%u notifications came from a pid other than postured's",
	      a->notify_foreign);
	if (!a->watchdog_env)
		CHECK(a->watchdogs == 0,
		      "postured sent WATCHDOG=1 %u times though WATCHDOG_USEC was not set",
		      a->watchdogs);
	return 0;
}

HARNESS_MAIN_TABLES(&process_probe_lifecycle_table, &process_probe_agent_table,
		    &process_probe_storm_table)
