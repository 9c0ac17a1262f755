/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs device posture checks so that none can hang the caller.  The checks
 * run in a child process forked for them (no exec: it runs the checks, writes
 * each result to a pipe as a fixed-size record, and _exit()s), each check
 * with a deadline of its own and all of them with one deadline in total.  A
 * check that does not finish in time becomes unknown, "did not finish within
 * N s": its child is killed and a new child runs the checks after it.  A
 * check that takes its child down (a crash) becomes unknown the same way.
 * Deadlines count CLOCK_MONOTONIC, so a laptop's sleep does not use them up.
 *
 * One machinery, two drivers: check_runner_run() waits for the results
 * (posturectl check), check_runner_start() runs in an sd-event loop and
 * calls back when every check has one (the daemon).
 *
 * Library code: nothing here logs.
 */
#ifndef POSTURED_CHECK_RUNNER_H
#define POSTURED_CHECK_RUNNER_H

#include <stddef.h>
#include <systemd/sd-event.h>

#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "checks.h"

#define CHECK_RUNNER_CHECK_TIMEOUT_USEC (10 * USEC_PER_SEC) /* one check */
#define CHECK_RUNNER_TOTAL_TIMEOUT_USEC (60 * USEC_PER_SEC) /* all of one run */

/* One check to run. */
struct check_job {
	const char *check; /* its name, as in a check rule */
	const policy_rule *rule; /* its parameters; NULL: the check's defaults */
};

struct check_runner_options {
	/*
	 * The checks the jobs name, found by name; NULL: the registry
	 * (checks_find()).  Tests pass a table of their own (a check that
	 * never returns, one that crashes).
	 */
	const struct check_info *table;
	size_t n_table;
	usec_t check_timeout; /* 0: CHECK_RUNNER_CHECK_TIMEOUT_USEC */
	usec_t total_timeout; /* 0: CHECK_RUNNER_TOTAL_TIMEOUT_USEC */
};

/*
 * Runs jobs[0..n) below root (NULL: "/") and waits: results[i] is jobs[i]'s
 * result, unknown with the reason for a check that did not finish, crashed,
 * or is not in the table.  opts may be NULL.  Returns 0 with every result
 * filled in, -ENOMEM.  Uses poll() and waitid(), not signals.
 */
int check_runner_run(const char *root, const struct check_job *jobs, size_t n,
		     const struct check_runner_options *opts, struct check_result *results);

typedef struct check_runner check_runner;

/*
 * Called once, from the event loop, when every job has a result: results[i]
 * for jobs[i], owned by the runner and valid until it is freed.  The
 * callback may free the runner.
 */
typedef void (*check_runner_done_t)(check_runner *cr, const struct check_result *results, size_t n,
				    void *userdata);

/*
 * Starts jobs[0..n) below root (NULL: "/") in event loop e and returns the
 * runner; done is called when all have results.  The runner copies root and
 * the jobs array, not the rules: they (their policy) must stay valid until
 * done is called or the runner is freed.  Children are watched with
 * sd_event_add_child(), so SIGCHLD must be blocked (-EBUSY otherwise).
 * Returns 0, or -errno with nothing started.
 */
int check_runner_start(sd_event *e, const char *root, const struct check_job *jobs, size_t n,
		       const struct check_runner_options *opts, check_runner_done_t done,
		       void *userdata, check_runner **ret);
/*
 * Stops the runner: a child still running is killed (and reaped by the
 * event loop later), done is not called.  Returns NULL.
 */
check_runner *check_runner_free(check_runner *cr);
DEFINE_TRIVIAL_CLEANUP_FUNC(check_runner *, check_runner_free);

#endif
