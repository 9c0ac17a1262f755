// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The engine's core: the policy in force and the per-rule states built with
 * it, the swap on reload, the timers, the dispatch of records to the judges
 * (engine_process.c, engine_checks.c, engine_net.c) and the way out for
 * findings.  engine-internal.h says who keeps what.
 */
#include <errno.h>
#include <stdlib.h>

#include "basic/string-util.h"
#include "engine-internal.h"

engine *engine_new(const struct engine_ops *ops, void *ctx, proctab *procs, hashcache *hashes,
		   bool open_filter)
{
	engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ops = ops;
	e->ctx = ctx;
	e->procs = procs;
	e->hashes = hashes;
	e->open_filter = open_filter;
	return e;
}

/* --- the per-rule states -------------------------------------------------- */

static enum rule_state_kind rule_state_kind_of(const policy_rule *r)
{
	switch (policy_rule_type(r)) {
	case POLICY_RULE_NETWORK:
		return RULE_STATE_LISTEN;
	case POLICY_RULE_CHECK:
		return RULE_STATE_CHECK;
	case POLICY_RULE_PROCESS:
		break;
	}
	/* As policy_require_at() lists them. */
	if (policy_rule_enabled(r) && policy_rule_effect(r) == POLICY_EFFECT_REQUIRE)
		return RULE_STATE_REQUIRE;
	return RULE_STATE_DENY;
}

static struct rule_state *rule_states_free(struct rule_state *rules, size_t n)
{
	for (size_t i = 0; rules && i < n; i++) {
		if (rules[i].kind == RULE_STATE_REQUIRE)
			free(rules[i].require.pids);
		else if (rules[i].kind == RULE_STATE_CHECK)
			free(rules[i].check.result);
	}
	free(rules);
	return NULL;
}

/* The states of p's rules, as they are before anything is known; NULL: out of memory. */
static struct rule_state *rule_states_new(const policy *p)
{
	size_t n = policy_rule_count(p);
	struct rule_state *rules = calloc(n ? n : 1, sizeof(*rules));

	if (!rules)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct rule_state *st = &rules[i];

		st->rule = policy_rule_at(p, i);
		st->kind = rule_state_kind_of(st->rule);
		if (st->kind == RULE_STATE_REQUIRE) {
			st->require.pids = calloc(REQUIRE_PIDS_MAX, sizeof(uint32_t));
			if (!st->require.pids)
				return rule_states_free(rules, i + 1);
		} else if (st->kind == RULE_STATE_CHECK) {
			st->check.result = calloc(1, sizeof(*st->check.result));
			if (!st->check.result)
				return rule_states_free(rules, i + 1);
		}
	}
	return rules;
}

struct rule_state *engine_rule_state(engine *e, const policy_rule *r)
{
	size_t i = policy_rule_index(r);

	if (i >= e->n_rules || e->rules[i].rule != r)
		return NULL;
	return &e->rules[i];
}

engine *engine_free(engine *e)
{
	if (!e)
		return NULL;
	e->rules = rule_states_free(e->rules, e->n_rules);
	free(e->listen_seen);
	policy_unref(e->policy);
	free(e);
	return NULL;
}

/* --- findings ------------------------------------------------------------- */

void engine_emit(engine *e, const struct finding *f)
{
	e->ops->finding(e->ctx, f);
}

void engine_state_changed(engine *e)
{
	if (e->ops->state_changed)
		e->ops->state_changed(e->ctx);
}

/* --- the policy in force -------------------------------------------------- */

const policy *engine_policy(engine *e)
{
	return e->policy;
}

usec_t engine_policy_loaded(engine *e)
{
	return e->loaded;
}

void engine_set_args_bytes(engine *e, uint32_t bytes)
{
	e->args_bytes = bytes;
}

void engine_set_resolvers(engine *e, const struct policy_net_resolvers *r)
{
	e->resolvers = r ? *r : (struct policy_net_resolvers){};
}

int engine_set_policy(engine *e, policy *p, usec_t now)
{
	struct rule_state *rules;
	size_t entries;
	bool open;
	int r;

	rules = rule_states_new(p);
	if (!rules)
		return -ENOMEM;
	engine_process_require_build(e, p, rules, now);

	/* Network rules first: if the kernel cannot take them, nothing changed yet. */
	if (e->ops->net_apply) {
		r = e->ops->net_apply(e->ctx, p);
		if (r < 0) {
			rule_states_free(rules, policy_rule_count(p));
			return r;
		}
	}

	r = engine_process_compile(e, p, &entries, &open);
	if (r < 0) {
		rule_states_free(rules, policy_rule_count(p));
		/* Put the old policy's network rules back, as the process filter stayed. */
		if (e->ops->net_apply && e->policy)
			(void)e->ops->net_apply(e->ctx, e->policy);
		return r;
	}

	/* The kernel judges by p now; so does userspace, from here on. */
	engine_checks_carry_over(e, rules, policy_rule_count(p));
	rule_states_free(e->rules, e->n_rules);
	e->rules = rules;
	e->n_rules = policy_rule_count(p);
	/* Listeners are judged afresh by the new rules: every violation is new. */
	e->n_listen_seen = 0;
	e->loaded = now_usec(CLOCK_REALTIME);
	policy_unref(e->policy);
	e->policy = policy_ref(p);

	engine_process_policy_changed(e, now);
	engine_state_changed(e);
	e->stats.kernel_entries = entries;
	e->stats.kernel_filter_open = open;
	return 0;
}

void engine_report_invalid_policy(engine *e, const char *detail)
{
	struct finding f = {
		.kind = FINDING_POLICY_INVALID,
		.time_real = now_usec(CLOCK_REALTIME),
		.policy = e->policy,
		.mode = e->policy ? policy_mode(e->policy) : POLICY_MODE_MONITOR,
		.action = FINDING_ACTION_NONE,
	};

	strbufcpy(f.detail, sizeof(f.detail), detail);
	engine_emit(e, &f);
}

bool engine_rule_failing(engine *e, const policy_rule *r, usec_t *ret_since)
{
	const struct rule_state *st = engine_rule_state(e, r);
	bool failing = false;

	if (!st)
		return false;
	switch (st->kind) {
	case RULE_STATE_DENY:
		failing = st->deny.n_pids > 0;
		break;
	case RULE_STATE_REQUIRE:
		failing = st->require.finding_open;
		break;
	case RULE_STATE_LISTEN:
		failing = st->listen.n_open > 0;
		break;
	case RULE_STATE_CHECK:
		failing = st->check.ran && st->check.result->status != CHECK_PASS;
		break;
	}
	if (ret_since)
		*ret_since = st->changed ? st->changed : e->loaded;
	return failing;
}

/* --- timers --------------------------------------------------------------- */

/* The only deadlines are the grace periods of required programs that are absent. */
usec_t engine_tick(engine *e, usec_t now)
{
	usec_t next = USEC_INFINITY;

	for (size_t i = 0; i < engine_require_count(e); i++) {
		struct rule_state *s = engine_require_state(e->policy, e->rules, i);
		usec_t due;

		if (s->require.n_pids > 0 || s->require.finding_open || !s->require.absent_since)
			continue;
		due = s->require.absent_since +
		      (usec_t)policy_rule_grace_seconds(s->rule) * USEC_PER_SEC;
		if (now >= due) {
			s->require.finding_open = true;
			engine_process_require_finding(e, s, FINDING_REQUIRE_ABSENT, now);
		} else if (due < next) {
			next = due;
		}
	}
	return next;
}

/* --- records -------------------------------------------------------------- */

void engine_on_event(engine *e, const struct decoded_event *ev, usec_t now)
{
	if (!e->policy)
		return;
	switch (ev->kind) {
	case EVENT_KIND_EXEC:
		/* A full exec audit with no process rules: nothing to judge. */
		if (e->has_rules)
			engine_process_exec(e, ev, now);
		break;
	case EVENT_KIND_FORK:
		engine_process_fork(e, ev, now);
		break;
	case EVENT_KIND_EXIT:
		engine_process_exit(e, ev, now);
		break;
	default:
		break;
	}
}

void engine_get_stats(engine *e, struct engine_stats *ret)
{
	*ret = e->stats;
}
