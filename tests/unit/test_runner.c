// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The check runner (agent/postured/checks/runner.c) with a table of test checks: ones
 * that answer at once, one that never returns, one that crashes its process,
 * slow ones, one the table does not have.  Both drivers: the waiting one and
 * the sd-event one, whose loop must go on serving while a check hangs.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/checks/runner.h"

static int check_quick_pass(const char *root, const policy_rule *rule, struct check_result *res)
{
	check_evidence(res, "root is %s", root);
	return 0;
}

static int check_quick_fail(const char *root, const policy_rule *rule, struct check_result *res)
{
	check_evidence(res, "looked, and it is off");
	check_set(res, CHECK_FAIL, "it is off");
	return 0;
}

static int check_forever(const char *root, const policy_rule *rule, struct check_result *res)
{
	for (;;)
		pause();
	return 0;
}

static int check_crash(const char *root, const policy_rule *rule, struct check_result *res)
{
	/* The default action, not a sanitizer's report. */
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}

static int check_slow(const char *root, const policy_rule *rule, struct check_result *res)
{
	usleep(400 * 1000);
	return 0;
}

static int check_nomem(const char *root, const policy_rule *rule, struct check_result *res)
{
	check_evidence(res, "half done");
	return -ENOMEM;
}

static int check_verbose(const char *root, const policy_rule *rule, struct check_result *res)
{
	for (int i = 0; i < 30; i++)
		check_evidence(res, "line %d %0200d", i, i);
	check_set(res, CHECK_UNKNOWN, "could not tell after %d lines", 30);
	return 0;
}

static const struct check_info table[] = {
	{ "quick_pass", "passes at once", check_quick_pass },
	{ "quick_fail", "fails at once", check_quick_fail },
	{ "forever", "never returns", check_forever },
	{ "crash", "takes its process down", check_crash },
	{ "slow", "takes 400 ms", check_slow },
	{ "nomem", "runs out of memory", check_nomem },
	{ "verbose", "more evidence than is kept", check_verbose },
};

static const struct check_runner_options fast = {
	.table = table,
	.n_table = ELEMENTSOF(table),
	.check_timeout = 300 * USEC_PER_MSEC,
};

static usec_t since(usec_t t)
{
	return now_usec(CLOCK_MONOTONIC) - t;
}

/* No child of this process is left, running or unreaped. */
static void assert_no_children(void)
{
	for (int i = 0; i < 100; i++) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		usleep(10 * 1000);
	}
	fail_msg("a child process is left behind");
}

static void test_hang_becomes_unknown(void **state)
{
	const struct check_job jobs[] = { { "quick_pass", NULL },
					  { "forever", NULL },
					  { "quick_fail", NULL } };
	struct check_result res[3];
	usec_t t = now_usec(CLOCK_MONOTONIC);

	assert_int_equal(check_runner_run("/tmp/root", jobs, 3, &fast, res), 0);
	/* Killed at its deadline; the check after it still ran, in a new child. */
	assert_true(since(t) >= 300 * USEC_PER_MSEC);
	/* Loose: a check never killed would hang; a sanitizer build starts children slowly. */
	assert_true(since(t) < 10 * USEC_PER_SEC);
	assert_int_equal(res[0].status, CHECK_PASS);
	assert_string_equal(res[0].evidence[0], "root is /tmp/root");
	assert_int_equal(res[1].status, CHECK_UNKNOWN);
	assert_string_equal(res[1].reason, "did not finish within 300 ms");
	assert_int_equal(res[1].n_evidence, 0);
	assert_int_equal(res[2].status, CHECK_FAIL);
	assert_string_equal(res[2].reason, "it is off");
	assert_string_equal(res[2].evidence[0], "looked, and it is off");
	assert_no_children();
}

static void test_crash_and_errors(void **state)
{
	const struct check_job jobs[] = {
		{ "crash", NULL }, { "nomem", NULL }, { "firewall", NULL }, { "quick_pass", NULL }
	};
	struct check_result res[4];

	assert_int_equal(check_runner_run(NULL, jobs, 4, &fast, res), 0);
	assert_int_equal(res[0].status, CHECK_UNKNOWN);
	assert_non_null(strstr(res[0].reason, "the check stopped without a result (its process "
					      "ended: killed by signal 11"));
	/* An error of the check: unknown, without the evidence it had gathered. */
	assert_int_equal(res[1].status, CHECK_UNKNOWN);
	assert_string_equal(res[1].reason, "the check could not run: Cannot allocate memory");
	assert_int_equal(res[1].n_evidence, 0);
	/* The table, not the registry, says which checks there are. */
	assert_int_equal(res[2].status, CHECK_UNKNOWN);
	assert_string_equal(res[2].reason, "this agent cannot run the check \"firewall\"");
	assert_int_equal(res[3].status, CHECK_PASS);
	assert_string_equal(res[3].evidence[0], "root is /");
	assert_no_children();
}

static void test_total_deadline(void **state)
{
	const struct check_job jobs[] = { { "slow", NULL },
					  { "slow", NULL },
					  { "slow", NULL },
					  { "slow", NULL },
					  { "slow", NULL } };
	const struct check_runner_options opts = {
		.table = table,
		.n_table = ELEMENTSOF(table),
		.total_timeout = USEC_PER_SEC,
	};
	struct check_result res[5];
	usec_t t = now_usec(CLOCK_MONOTONIC);
	size_t cut = 0;

	/* 400 ms each, 1 s in all: two finish, the third is cut, the rest never start. */
	assert_int_equal(check_runner_run("/", jobs, 5, &opts, res), 0);
	/* The results below prove the cut; this only bounds the whole (sanitizer builds are slow). */
	assert_true(since(t) < 5 * USEC_PER_SEC);
	assert_int_equal(res[0].status, CHECK_PASS);
	for (size_t i = 0; i < 5; i++)
		if (strcmp(res[i].reason,
			   "did not finish before the checks' time, 1 s in all, ran out") == 0)
			cut++;
	assert_int_equal(cut, 1);
	assert_int_equal(res[4].status, CHECK_UNKNOWN);
	assert_string_equal(res[4].reason, "not run: the checks' time, 1 s in all, ran out");
	assert_no_children();
}

static void test_results_cross_intact(void **state)
{
	const struct check_job jobs[] = { { "verbose", NULL } };
	struct check_result res, direct;
	char want[CHECK_LINE_MAX];

	assert_int_equal(check_runner_run("/", jobs, 1, &fast, &res), 0);
	check_result_init(&direct);
	check_verbose("/", NULL, &direct);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.reason, "could not tell after 30 lines");
	assert_int_equal(res.n_evidence, CHECK_EVIDENCE_MAX);
	assert_int_equal(res.n_dropped, 30 - CHECK_EVIDENCE_MAX);
	for (size_t i = 0; i < res.n_evidence; i++)
		assert_string_equal(res.evidence[i], direct.evidence[i]);
	snprintf(want, sizeof(want), "line 23 %0200d", 23);
	assert_string_equal(res.evidence[23], want);
	/* Nothing to run: nothing to wait for. */
	assert_int_equal(check_runner_run("/", NULL, 0, &fast, NULL), 0);
}

/* ---- the event-loop driver ------------------------------------------------------ */

struct loop_state {
	struct check_result res[4];
	size_t n;
	int calls, ticks, ticks_at_done;
	bool free_in_callback;
};

static void on_done(check_runner *cr, const struct check_result *results, size_t n, void *userdata)
{
	struct loop_state *ls = userdata;

	ls->calls++;
	ls->n = n;
	ls->ticks_at_done = ls->ticks;
	memcpy(ls->res, results, n * sizeof(*results));
	if (ls->free_in_callback)
		check_runner_free(cr);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct loop_state *ls = userdata;

	ls->ticks++;
	(void)sd_event_source_set_time(s, usec + 50 * USEC_PER_MSEC);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ON);
	return 0;
}

/* Runs e until ls has its results or 5 s pass. */
static void run_loop(sd_event *e, struct loop_state *ls)
{
	usec_t t = now_usec(CLOCK_MONOTONIC);

	while (ls->calls == 0 && since(t) < 5 * USEC_PER_SEC)
		assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
}

static void test_event_loop(void **state)
{
	const struct check_job jobs[] = { { "quick_pass", NULL },
					  { "forever", NULL },
					  { "crash", NULL },
					  { "quick_fail", NULL } };
	_cleanup_(check_runner_freep) check_runner *cr = NULL;
	struct loop_state ls = {};
	sd_event_source *tick = NULL;
	sd_event *e = NULL;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 50 * USEC_PER_MSEC,
						    0, on_tick, &ls),
			 0);
	(void)sd_event_source_set_enabled(tick, SD_EVENT_ON);
	assert_int_equal(check_runner_start(e, "/", jobs, 4, &fast, on_done, &ls, &cr), 0);
	run_loop(e, &ls);
	assert_int_equal(ls.calls, 1);
	assert_int_equal(ls.n, 4);
	/* The loop kept serving while a check hung. */
	assert_true(ls.ticks_at_done >= 3);
	assert_int_equal(ls.res[0].status, CHECK_PASS);
	assert_string_equal(ls.res[1].reason, "did not finish within 300 ms");
	assert_non_null(strstr(ls.res[2].reason, "killed by signal 11"));
	assert_int_equal(ls.res[3].status, CHECK_FAIL);
	cr = check_runner_free(cr);
	/* The killed children are reaped by the loop. */
	for (int i = 0; i < 5; i++)
		(void)sd_event_run(e, 20 * USEC_PER_MSEC);
	assert_no_children();
	sd_event_source_disable_unref(tick);
	sd_event_unref(e);
}

static void test_event_loop_free_midway(void **state)
{
	const struct check_job jobs[] = { { "forever", NULL }, { "quick_pass", NULL } };
	struct loop_state ls = {};
	check_runner *cr = NULL;
	sd_event *e = NULL;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(check_runner_start(e, "/", jobs, 2, &fast, on_done, &ls, &cr), 0);
	(void)sd_event_run(e, 50 * USEC_PER_MSEC);
	/* Freed while a check hangs: no callback, the child killed and reaped by the loop. */
	cr = check_runner_free(cr);
	for (int i = 0; i < 10; i++)
		(void)sd_event_run(e, 20 * USEC_PER_MSEC);
	assert_int_equal(ls.calls, 0);
	assert_no_children();

	/* The callback may free the runner; nothing to run calls back from the loop. */
	ls.free_in_callback = true;
	assert_int_equal(check_runner_start(e, "/", jobs + 1, 1, &fast, on_done, &ls, &cr), 0);
	run_loop(e, &ls);
	assert_int_equal(ls.calls, 1);
	assert_int_equal(ls.res[0].status, CHECK_PASS);
	ls.calls = 0;
	assert_int_equal(check_runner_start(e, "/", NULL, 0, &fast, on_done, &ls, &cr), 0);
	assert_int_equal(ls.calls, 0);
	run_loop(e, &ls);
	assert_int_equal(ls.calls, 1);
	assert_int_equal(ls.n, 0);
	for (int i = 0; i < 5; i++)
		(void)sd_event_run(e, 20 * USEC_PER_MSEC);
	assert_no_children();
	sd_event_unref(e);
}

static void test_event_loop_needs_sigchld_blocked(void **state)
{
	const struct check_job jobs[] = { { "quick_pass", NULL } };
	struct loop_state ls = {};
	check_runner *cr = NULL;
	sigset_t mask;
	sd_event *e = NULL;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	assert_int_equal(sigprocmask(SIG_UNBLOCK, &mask, NULL), 0);
	assert_int_equal(sd_event_new(&e), 0);
	/* Nothing started, nothing left behind. */
	assert_int_equal(check_runner_start(e, "/", jobs, 1, &fast, on_done, &ls, &cr), -EBUSY);
	assert_null(cr);
	assert_no_children();
	sd_event_unref(e);
	assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);
}

static int setup(void **state)
{
	sigset_t mask;

	/* As the daemon has it: sd_event_add_child() wants SIGCHLD blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -1 : 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hang_becomes_unknown),
		cmocka_unit_test(test_crash_and_errors),
		cmocka_unit_test(test_total_deadline),
		cmocka_unit_test(test_results_cross_intact),
		cmocka_unit_test(test_event_loop),
		cmocka_unit_test(test_event_loop_free_midway),
		cmocka_unit_test(test_event_loop_needs_sigchld_blocked),
	};

	return cmocka_run_group_tests_name("runner", tests, setup, NULL);
}
