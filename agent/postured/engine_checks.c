// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The check judge: which check rules are to run, and their results turned
 * into rule states and findings.  The checks themselves run elsewhere
 * (checks/runner.c); results are about the policy they were asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "checks/runner.h"
#include "engine-internal.h"

/* Takes the result of check rule st; emits a finding when its status changed.  True if so. */
static bool check_done(engine *e, struct rule_state *st, const struct check_result *res)
{
	const policy_rule *r = st->rule;
	bool first = !st->check.ran;

	if (!first && st->check.result->status == res->status) {
		*st->check.result = *res; /* the evidence may have moved on */
		return false;
	}
	st->check.ran = true;
	*st->check.result = *res;
	st->changed = now_usec(CLOCK_REALTIME);
	if (first && res->status == CHECK_PASS)
		return true;

	struct finding f = {
		.kind = res->status == CHECK_PASS ? FINDING_CHECK_PASSING : FINDING_CHECK_FAILING,
		.time_real = st->changed,
		.policy = e->policy,
		.rule = r,
		.mode = policy_rule_mode(r),
		.action = FINDING_ACTION_NONE,
		.check = st->check.result,
	};

	engine_emit(e, &f);
	return true;
}

size_t engine_check_jobs(engine *e, struct check_job *jobs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; e->policy && i < policy_rule_count(e->policy) && n < max; i++) {
		const policy_rule *r = policy_rule_at(e->policy, i);

		if (!policy_rule_enabled(r) || policy_rule_type(r) != POLICY_RULE_CHECK)
			continue;
		jobs[n++] = (struct check_job){ .check = policy_rule_check_name(r), .rule = r };
	}
	return n;
}

void engine_apply_check_results(engine *e, const policy *p, const struct check_job *jobs,
				const struct check_result *results, size_t n)
{
	bool changed = false;

	/* Results for a policy no longer in force are about rules that may be gone. */
	if (!e->policy || p != e->policy)
		return;
	for (size_t k = 0; k < n; k++) {
		struct rule_state *st = engine_rule_state(e, jobs[k].rule);

		if (st && st->kind == RULE_STATE_CHECK)
			changed |= check_done(e, st, &results[k]);
	}
	if (changed)
		engine_state_changed(e);
}

int engine_run_checks(engine *e, const char *root)
{
	_cleanup_free_ struct check_job *jobs = NULL;
	_cleanup_free_ struct check_result *results = NULL;
	size_t n;
	int r;

	if (!e->policy || policy_rule_count(e->policy) == 0)
		return 0;
	jobs = calloc(policy_rule_count(e->policy), sizeof(*jobs));
	results = calloc(policy_rule_count(e->policy), sizeof(*results));
	if (!jobs || !results)
		return -ENOMEM;
	n = engine_check_jobs(e, jobs, policy_rule_count(e->policy));
	if (n == 0)
		return 0;
	/*
	 * Whoever waits here (root's run_checks on the status socket) holds up
	 * the agent's loop: all of it within 20 s, well inside the 30 s watchdog.
	 */
	r = check_runner_run(root, jobs, n,
			     &(struct check_runner_options){ .total_timeout = 20 * USEC_PER_SEC },
			     results);
	if (r < 0)
		return r;
	engine_apply_check_results(e, e->policy, jobs, results, n);
	return 0;
}

const struct check_result *engine_check_result(engine *e, const policy_rule *r)
{
	const struct rule_state *st = engine_rule_state(e, r);

	if (!st || st->kind != RULE_STATE_CHECK || !st->check.ran)
		return NULL;
	return st->check.result;
}

/* Check results carry over to the same rule id: a reload does not forget them. */
void engine_checks_carry_over(engine *e, struct rule_state *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rule_state *st = &rules[i];

		if (st->kind != RULE_STATE_CHECK)
			continue;
		for (size_t j = 0; j < e->n_rules; j++) {
			const struct rule_state *old = &e->rules[j];

			if (old->kind != RULE_STATE_CHECK || !old->check.ran ||
			    strcmp(policy_rule_id(old->rule), policy_rule_id(st->rule)) != 0)
				continue;
			st->check.ran = true;
			*st->check.result = *old->check.result;
			st->changed = old->changed;
		}
	}
}
