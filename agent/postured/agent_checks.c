// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * When the posture checks run: on a CLOCK_BOOTTIME timer at the policy's
 * interval, after a new policy, when the network changes (netwatch), and
 * at once when root asks through the status socket (agent_status.c runs
 * them in the loop itself).  Here they run in a child process without
 * waiting (checks/runner.c bounds each in time), and the engine judges
 * their results when they are done.
 */
#include <stdlib.h>

#include "agent-internal.h"
#include "basic/log.h"

/* Arms the next run of the checks, an interval from now. */
static void agent_arm_checks(agent *a)
{
	const policy *p = engine_policy(a->engine);
	usec_t now, interval;

	if (!p || !a->checks.timer || sd_event_now(a->event, CLOCK_BOOTTIME, &now) < 0)
		return;
	interval = (usec_t)policy_settings(p)->check_interval_seconds * USEC_PER_SEC;
	if (interval == 0)
		interval = 900 * USEC_PER_SEC;
	(void)sd_event_source_set_time(a->checks.timer, now + interval);
	(void)sd_event_source_set_enabled(a->checks.timer, SD_EVENT_ONESHOT);
}

static void agent_stop_checks(agent *a)
{
	a->checks.runner = check_runner_free(a->checks.runner);
	a->checks.jobs = mfree(a->checks.jobs);
	a->checks.policy = policy_unref(a->checks.policy);
}

static void on_checks_done(check_runner *cr, const struct check_result *results, size_t n,
			   void *userdata)
{
	agent *a = userdata;

	engine_apply_check_results(a->engine, a->checks.policy, a->checks.jobs, results, n);
	agent_stop_checks(a);
	agent_arm_checks(a);
	if (a->checks.again) {
		a->checks.again = false;
		agent_checks_run(a);
	}
}

/*
 * Runs the posture checks in a child process, without waiting (each check
 * has a time bound there: checks/runner.h), and arms the next run when they
 * are done.  The timer counts CLOCK_BOOTTIME, which goes on while the laptop
 * sleeps, so a run that fell due during suspend happens right after resume.
 * Listening sockets are judged again at the same pace, so a listener closed
 * since stops counting against its rule.
 */
void agent_checks_run(agent *a)
{
	const policy *p = engine_policy(a->engine);
	size_t n;
	int r;

	agent_net_judge_listeners(a);
	agent_net_refresh_rules(a, p);
	if (a->checks.runner) {
		a->checks.again = true; /* e.g. a new policy while the old one's checks run */
		return;
	}
	if (!p)
		return;
	a->checks.jobs = calloc(MAX(policy_rule_count(p), (size_t)1), sizeof(*a->checks.jobs));
	if (!a->checks.jobs) {
		log_oom();
		agent_arm_checks(a);
		return;
	}
	n = engine_check_jobs(a->engine, a->checks.jobs, policy_rule_count(p));
	if (n == 0) {
		agent_stop_checks(a);
		agent_arm_checks(a);
		return;
	}
	a->checks.policy = policy_ref((policy *)p);
	r = check_runner_start(a->event, "/", a->checks.jobs, n, NULL, on_checks_done, a,
			       &a->checks.runner);
	if (r < 0) {
		log_warning_errno(r, "Failed to start the posture checks: %m");
		agent_stop_checks(a);
		agent_arm_checks(a);
	}
}

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent_checks_run(userdata);
	return 0;
}

/* The network changed (issue #5): the checks that depend on it (firewall, time sync) run again. */
static void on_network_changed(netwatch *w, unsigned what, void *userdata)
{
	log_debug("The network changed:%s%s%s%s; running the checks again.",
		  what & NETWATCH_LINK ? " links" : "", what & NETWATCH_ADDRESS ? " addresses" : "",
		  what & NETWATCH_ROUTE ? " default route" : "",
		  what & NETWATCH_OVERRUN ? " notifications lost" : "");
	/* The resolvers change with the network: the rules on them follow. */
	agent_resolvers_refresh(userdata);
	agent_checks_run(userdata);
}

int agent_checks_setup(agent *a)
{
	int r;

	r = sd_event_add_time(a->event, &a->checks.timer, CLOCK_BOOTTIME, USEC_INFINITY,
			      USEC_PER_SEC, on_check_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the check timer: %m");
	(void)sd_event_source_set_enabled(a->checks.timer, SD_EVENT_OFF);

	/* Network-dependent checks run again when the network changes (issue #5); optional. */
	r = netwatch_new(a->event, NULL, on_network_changed, a, &a->checks.netwatch);
	if (r < 0)
		log_warning_errno(r, "Not watching the network for changes: %m");
	return 0;
}

void agent_checks_free(agent *a)
{
	sd_event_source_disable_unref(a->checks.timer);
	agent_stop_checks(a);
	netwatch_free(a->checks.netwatch);
}
