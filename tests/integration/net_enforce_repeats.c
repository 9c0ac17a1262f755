// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the agent, repeats: a storm of 50,000 denied
 * connects counted exactly (one finding for the first, a few summing up the
 * repeats the kernel counted), and the agent idle while it waits for its
 * next sweep of those counts; net_enforce.c has the suite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_enforce.h"

/* The storm, and a bound on how long it takes (about 0.6 s on these VMs). */
#define STORM_COUNT	       50000
#define STORM_CHILD_TIMEOUT_MS 60000
/* The agent collects the repeats the kernel counts every 10 s (docs/events.md). */
#define SWEEP_INTERVAL_MS 10000
#define STORM_COLLECT_MS  (2 * SWEEP_INTERVAL_MS + 5000)

/* While only counting repeats the agent must be idle: CPU time over a window of wall time. */
#define IDLE_WINDOW_MS 2000
/* Wake-ups allowed in that window: at most one sweep, and slack; a polling agent has many. */
#define IDLE_WAKEUPS_MAX 4

/*
 * Runs `count` denied connects in one client and waits for the finding that
 * sums up its repeats: the agent's first sweep, at most an interval away.
 */
static int repeats_swept(struct harness_agent *a, const struct env *e, const struct harness_addr *A,
			 uint16_t port, unsigned long count, const char *rule)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;

	TRY(client_run(e, &(struct client_opts){ .count = count }, "tcp", A->text, port, &cl));
	CHECK(cl.eperm == count,
	      "the %lu connects should have failed with EPERM; the client says \"%s\"", count,
	      cl.line);
	TRY(wait_net(a,
		     &(struct net_wait){ .pid = cl.was,
					 .rule = rule,
					 .repeats = true,
					 .timeout_ms = SWEEP_INTERVAL_MS + 5000 },
		     &f));
	EXPECT_JSON_INT("finding of repeats", f, (long long)count - 1, "postured", "network",
			"count");
	return 0;
}

/* --- a storm of denied connects: counted exactly ---------------------------------- */

struct storm_sum {
	pid_t pid;
	unsigned long long total, target;
	unsigned firsts, repeats;
	long long first_time, last_repeat_time; /* the findings' "time" (ms since the epoch) */
	unsigned bad;
	char bad_text[256];
};

static int storm_event(yajl_val *ev, void *userdata)
{
	struct storm_sum *s = userdata;
	const char *rule = harness_json_str(harness_json(*ev, "postured", "rule_id"));
	yajl_val repeats = harness_json(*ev, "postured", "network", "repeats");
	long long count, time = 0;

	if (!rule || strcmp(rule, "net-storm") != 0 || harness_finding_pid(*ev) != s->pid)
		return 0;
	(void)harness_json_int(harness_json(*ev, "time"), &time);
	if (!harness_json_int(harness_json(*ev, "postured", "network", "count"), &count) ||
	    count <= 0 || !harness_json_str(harness_json(*ev, "postured", "action")) ||
	    strcmp(harness_json_str(harness_json(*ev, "postured", "action")), "denied") != 0) {
		if (s->bad++ == 0)
			snprintf(s->bad_text, sizeof(s->bad_text),
				 "a finding without a positive count, or not \"denied\"");
		return 0;
	}
	s->total += (unsigned long long)count;
	if (repeats && YAJL_IS_TRUE(repeats)) {
		s->repeats++;
		s->last_repeat_time = MAX(s->last_repeat_time, time);
	} else {
		s->firsts++;
		if (!s->first_time)
			s->first_time = time;
		if (count != 1 && s->bad++ == 0)
			snprintf(s->bad_text, sizeof(s->bad_text),
				 "a first finding with count %lld, not 1", count);
	}
	return s->target && s->total >= s->target;
}

static int test_storm(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	struct storm_sum s = {};
	long long lost, denied;
	unsigned long long at_target;
	int64_t begin, storm_ms, span_ms;
	uint16_t port;
	int r;

	TRY(start_one_deny(&e, "net-storm", &A, &fd, &port, &a));
	/* The storm comes while the agent sweeps, as it would on a laptop that has run a while. */
	TRY(repeats_swept(a, &e, &A, port, 2, "net-storm"));

	begin = harness_now_ms();
	TRY(client_run(&e,
		       &(struct client_opts){ .count = STORM_COUNT,
					      .timeout_ms = STORM_CHILD_TIMEOUT_MS },
		       "tcp", A.text, port, &cl));
	storm_ms = harness_now_ms() - begin;
	CHECK(cl.eperm == STORM_COUNT,
	      "every one of the %d connects should have failed with EPERM; the client says \"%s\"",
	      STORM_COUNT, cl.line);
	s.pid = cl.was;

	/* What the kernel could not hand on (its ring full) is counted, not silently gone. */
	TRY(status_json(a, &st));
	CHECK(harness_json_int(harness_json(st, "agent", "network", "records_lost"), &lost) &&
		      lost >= 0,
	      "posturectl status --json has no agent.network.records_lost");
	if (harness_json_int(harness_json(st, "agent", "network", "denied"), &denied))
		CHECK(denied >= STORM_COUNT,
		      "agent.network.denied is %lld after %d denied connects", denied, STORM_COUNT);
	s.target = STORM_COUNT - (unsigned long long)lost;
	r = harness_agent_wait(a, STORM_COLLECT_MS, NET_PREFILTER, storm_event, &s);
	if (r < 0 && r != -EPIPE)
		return harness_fail("Reading from postured: %s", strerror(-r));
	at_target = s.total;
	/* From the first connect's finding to the last repeats collected, as the agent dated them. */
	span_ms = s.last_repeat_time && s.first_time ? s.last_repeat_time - s.first_time : 0;
	/* Whatever comes until it exits must not count any connect twice. */
	s.target = 0;
	TRY(harness_agent_stop(a, HARNESS_STOP_TIMEOUT_MS, NET_PREFILTER, storm_event, &s));
	harness_note("%d denied connects in %.2f s; findings: %u first (count 1) + %u of repeats "
		     "over %.1f s, counts adding up to %llu (%llu when the storm was complete); "
		     "%lld lost",
		     STORM_COUNT, (double)storm_ms / 1000.0, s.firsts, s.repeats,
		     (double)span_ms / 1000.0, s.total, at_target, lost);
	CHECK(s.bad == 0, "%u findings of the storm are malformed: %s", s.bad, s.bad_text);
	CHECK(at_target == STORM_COUNT - (unsigned long long)lost,
	      "within %d ms of the storm the findings' counts added up to %llu; with %lld lost "
	      "they should add up to %llu",
	      STORM_COLLECT_MS, at_target, lost, STORM_COUNT - (unsigned long long)lost);
	CHECK(s.total == at_target,
	      "after the counts added up, findings counted %llu more connects than were made",
	      s.total - at_target);
	CHECK(lost == 0, "%lld records were lost in a storm to one destination", lost);
	CHECK(s.firsts == 1, "%u findings of the storm are not of repeats; expected 1 (the first)",
	      s.firsts);
	/* Repeats are collected every 10 s: a handful of findings, not one per connect or sweep. */
	CHECK(s.repeats <= span_ms / SWEEP_INTERVAL_MS + 2,
	      "%u findings of repeats within %.1f s: the agent should collect the kernel's counts "
	      "every %d s",
	      s.repeats, (double)span_ms / 1000.0, SWEEP_INTERVAL_MS / 1000);
	return harness_agent_stop_ok(a);
}

/* How often pid was scheduled in (voluntary and involuntary switches): its wake-ups. */
static int ctx_switches(pid_t pid, long long *ret)
{
	_cleanup_free_ char *text = NULL;
	const char *p, *q;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	TRY(harness_read_text(path, &text));
	p = strstr(text, "\nvoluntary_ctxt_switches:");
	q = strstr(text, "\nnonvoluntary_ctxt_switches:");
	if (!p || !q)
		return harness_fail("Cannot find the context switches in %s", path);
	*ret = strtoll(p + strlen("\nvoluntary_ctxt_switches:"), NULL, 10) +
	       strtoll(q + strlen("\nnonvoluntary_ctxt_switches:"), NULL, 10);
	return 0;
}

/* While the kernel counts repeats of a key, the agent waits for its next sweep, idle. */
static int test_idle_between_sweeps(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	long long before, after;
	uint16_t port;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));
	/* After its first sweep the key stays in the kernel until idle for two intervals. */
	TRY(repeats_swept(a, &e, &A, port, 3, "net-deny"));
	TRY(ctx_switches(a->pid, &before));
	usleep(IDLE_WINDOW_MS * 1000);
	TRY(ctx_switches(a->pid, &after));
	harness_note("postured woke %lld times in %d ms after its first sweep", after - before,
		     IDLE_WINDOW_MS);
	CHECK(after - before <= IDLE_WAKEUPS_MAX,
	      "postured woke %lld times in %d ms with nothing to do but wait for its next "
	      "sweep of the kernel's counts (every %d s)",
	      after - before, IDLE_WINDOW_MS, SWEEP_INTERVAL_MS / 1000);
	return harness_agent_stop_ok(a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("storm_50000_counted_exactly", test_storm, NULL),
	HARNESS_TEST("agent_idle_between_sweeps", test_idle_between_sweeps, NULL),
};

HARNESS_TABLE(net_enforce_repeats_table, tests);
