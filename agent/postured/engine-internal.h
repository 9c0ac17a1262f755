/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine's files share, and nothing outside them sees.
 *
 * engine.c is the core: the policy in force with its per-rule states, the
 * swap on reload, the timers, the dispatch of records to the judges and the
 * one way out for findings.  Each judge keeps the state of its own kind of
 * rule in the core's array and reaches the system only through engine_ops:
 *
 *   engine_process.c  process rules: the kernel filter, execs, forks and
 *                     exits, enforcement, required programs
 *   engine_checks.c   device check results
 *   engine_net.c      network records and the listeners open now
 */
#ifndef POSTURED_ENGINE_INTERNAL_H
#define POSTURED_ENGINE_INTERNAL_H

#include "checks/checks.h"
#include "engine.h"

/* Processes followed for one require rule; more instances than this are not told apart. */
#define REQUIRE_PIDS_MAX 1024
/* Deny rules one exec can match and be reported under. */
#define MATCHES_MAX 16
/* Programs a monitor-mode deny rule reported that still run: the rule fails meanwhile. */
#define VIOLATORS_MAX 64

/* Which judge keeps a rule's state: fixed by the rule's type and effect. */
enum rule_state_kind {
	RULE_STATE_DENY, /* a process rule other than an enabled require rule */
	RULE_STATE_REQUIRE, /* an enabled require rule, one of policy_require_at() */
	RULE_STATE_LISTEN, /* a network rule */
	RULE_STATE_CHECK, /* a check rule */
};

/*
 * What the engine knows about one rule of the policy in force.  One array of
 * these, by rule index, is built with each policy (engine_set_policy()) and
 * swapped in with it; only the member of kind is used.
 */
struct rule_state {
	const policy_rule *rule;
	enum rule_state_kind kind;
	/*
	 * CLOCK_REALTIME of the last change its judge keeps: a require finding
	 * opened or closed, a check's status, violators or violating listeners
	 * between none and some.  0: none yet.  Require and check rules carry
	 * theirs over a reload, with their state.
	 */
	usec_t changed;
	union {
		struct {
			uint32_t pids[VIOLATORS_MAX];
			size_t n_pids;
		} deny;
		struct {
			uint32_t *pids; /* room for REQUIRE_PIDS_MAX */
			size_t n_pids;
			usec_t absent_since; /* CLOCK_MONOTONIC; 0 while present */
			bool finding_open; /* an "absent" finding stands until the program returns */
		} require;
		struct {
			size_t n_open; /* as the last enumeration found them */
		} listen;
		struct {
			bool ran;
			struct check_result *result; /* the latest, once ran */
		} check;
	};
};

struct listen_key; /* engine_net.c */

struct engine {
	const struct engine_ops *ops;
	void *ctx;
	proctab *procs;
	hashcache *hashes;
	bool open_filter;
	uint32_t args_bytes; /* what the kernel captures of arguments: engine_set_args_bytes() */
	struct policy_net_resolvers resolvers; /* "system_resolvers": engine_set_resolvers() */

	/* The policy in force and what was built with it, swapped together. */
	policy *policy;
	struct rule_state *rules; /* one per rule of policy, by index */
	size_t n_rules; /* 0 until a policy is in force */
	usec_t loaded; /* CLOCK_REALTIME when the policy in force came into force */

	/* The process judge's view of the compiled policy. */
	uint16_t gen; /* low 16 bits of the kernel filter generation of this policy */
	bool has_rules; /* any enabled process rule: else execs need no judging */
	bool userspace_keys; /* some enabled rule has no kernel key: judge every exec fully */

	/* The network judge's: violating listeners the last enumeration found. */
	struct listen_key *listen_seen;
	size_t n_listen_seen;

	struct engine_stats stats;
};

/* ---- engine.c: the core -------------------------------------------------- */

/* Hands f on to ops->finding: every finding leaves the engine through here. */
void engine_emit(engine *e, const struct finding *f);
/* Tells ops->state_changed, when there is one, that some rule began or stopped failing. */
void engine_state_changed(engine *e);
/* The state of rule r of the policy in force; NULL when r is none of its rules. */
struct rule_state *engine_rule_state(engine *e, const policy_rule *r);

/* The state of p's i-th require rule (policy_require_at()), in rules, p's states. */
static inline struct rule_state *engine_require_state(const policy *p, struct rule_state *rules,
						      size_t i)
{
	return &rules[policy_rule_index(policy_require_at(p, i))];
}

/* How many require rules the policy in force has; 0 without one. */
static inline size_t engine_require_count(engine *e)
{
	return e->policy ? policy_require_count(e->policy) : 0;
}

/* ---- engine_process.c: process rules ------------------------------------- */

/*
 * Fills the kernel filter with p's enabled process rules and commits it.
 * Returns 0 with the number of entries and whether the filter lets every
 * exec through in *ret_entries and *ret_open, or -errno (the filter in force
 * stays as it was).
 */
int engine_process_compile(engine *e, const policy *p, size_t *ret_entries, bool *ret_open);
/*
 * Finds the instances of p's required programs among the processes known
 * now, into rules (p's states, still unused), has the kernel track them, and
 * carries an absence over from the rule of the same id in force.
 */
void engine_process_require_build(engine *e, policy *p, struct rule_state *rules, usec_t now);
/*
 * After the swap to a new policy: takes its compiled view, tells which
 * required programs returned, and judges the programs running already.
 */
void engine_process_policy_changed(engine *e, usec_t now);
/* Emits a require finding of kind (absent, returned) for st, and notes the change. */
void engine_process_require_finding(engine *e, struct rule_state *st, enum finding_kind kind,
				    usec_t now);
/* An exec, fork or exit, after the process table saw an exec or fork and before an exit. */
void engine_process_exec(engine *e, const struct decoded_event *ev, usec_t now);
void engine_process_fork(engine *e, const struct decoded_event *ev, usec_t now);
void engine_process_exit(engine *e, const struct decoded_event *ev, usec_t now);
/* The ancestors of a process whose parent is ppid, from the process table, into f. */
void engine_process_fill_ancestors(engine *e, uint32_t ppid, struct finding *f);

/* ---- engine_checks.c: check rules ---------------------------------------- */

/*
 * Carries the check results in force over to the check rules of the same id
 * among rules (the n states of the policy coming into force).
 */
void engine_checks_carry_over(engine *e, struct rule_state *rules, size_t n);

#endif
