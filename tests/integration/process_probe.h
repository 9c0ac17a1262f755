/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the process_probe suite share (process_probe.c has
 * them): the records the agent prints about the pids a test watches, the
 * checks of a fork, exec and exit record and of a child's end, and a clean
 * stop of the agent.
 */
#ifndef POSTURED_TESTS_PROCESS_PROBE_H
#define POSTURED_TESTS_PROCESS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* Records of a process must arrive within this long of its start. */
#define RECORD_TIMEOUT_MS 2000
#define CHILD_TIMEOUT_MS  5000
#define NOBODY		  65534

/* --- watching pids ---------------------------------------------------------------- */

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

/* Frees what w holds, and zeroes it. */
void watch_clear(struct watch *w);

/* Watches pid for the records wanted (at most four pids). */
struct pid_records *watch_add(struct watch *w, pid_t pid, bool fork, bool exec, bool exit);

/* Waits until deadline_ms (monotonic) for every record w wants; what names them for messages. */
int watch_wait(struct harness_agent *a, struct watch *w, int64_t deadline_ms, const char *what);

/*
 * Runs path with argv as a child of ours and waits for its fork, exec and
 * exit records (within RECORD_TIMEOUT_MS of its start) and for its end.
 */
int run_watched(struct harness_agent *a, const char *path, char *const argv[],
		const struct harness_child_opts *co, struct watch *w, pid_t *ret_pid,
		int *ret_status);

/* --- checks ----------------------------------------------------------------------- */

/* The path of this test program, /proc/self/exe, into buf. */
int self_exe(char *buf, size_t size);

/* A pid's records came fork, exec, exit, at most one of each. */
int check_order(const struct pid_records *r);

/* A fork, exec or exit record of pid (parent ppid) running exe or path as uid. */
int check_fork(yajl_val ev, pid_t pid, pid_t ppid, const char *exe, const char *uid);
int check_exec(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid);
int check_exit(yajl_val ev, pid_t pid, pid_t ppid, const char *path, const char *uid, int status,
	       int signal);

/* A child's wait status: exit status want_code, or killed by want_signal when not 0. */
int check_status(int status, int want_code, int want_signal);

/* The integer k1[.k2] of the counters the agent logged at stop into *ret. */
int stats_int(const struct harness_agent *a, long long *ret, const char *k1, const char *k2);

/*
 * Stops the agent with SIGTERM and checks a clean stop: exit status 0, the
 * counters logged, of the expected flavour, every line JSON, one line
 * per record, STOPPING=1 sent, and WATCHDOG=1 only when it was asked for.
 */
int stop_ok(struct harness_agent *a, const char *flavor, const char *prefilter, harness_event_fn fn,
	    void *userdata);

/* --- the tables ------------------------------------------------------------------- */

/* Both attachment flavours of a test, name/tp_btf and name/tracepoint (harness.h). */
#define BOTH_FLAVORS(name, ...)	    HARNESS_BOTH_FLAVORS(name, "/", __VA_ARGS__)
#define BOTH_FLAVOR_NAMES(name, fn) HARNESS_BOTH_FLAVOR_NAMES(name, "/", fn)

extern const struct harness_table process_probe_lifecycle_table, process_probe_agent_table,
	process_probe_storm_table;

#endif
