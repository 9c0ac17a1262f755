// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network judge: the records probe_net's kernel side reported or
 * refused, completed with the process and turned into findings, and the
 * listeners open now judged against the listen rules.  What to refuse is
 * decided in the kernel (probes/net.bpf.c); a record judged by a policy no
 * longer in force is judged again here.
 */
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "engine-internal.h"

/* A violating listener, remembered from one enumeration to the next: its rule and socket. */
struct listen_key {
	size_t rule; /* index in the policy in force */
	unsigned protocol;
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t pid;
};

/* Whether some enabled network rule names a user by name (not by uid). */
static bool net_needs_user_name(const policy *p)
{
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++) {
			const struct policy_net_clause *c = policy_rule_net_clause_at(r, k);

			for (size_t u = 0; u < c->n_users; u++)
				if (c->users[u].text)
					return true;
		}
	}
	return false;
}

static const char *user_name_of(uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return NULL;
	return strbufcpy(buf, size, res->pw_name);
}

/* The rule a network record is about: the kernel's, or judged again here. */
static const policy_rule *network_rule(engine *e, const struct engine_network *n, const char *exe)
{
	struct policy_match m[1];
	struct policy_connection c = {
		.direction = n->net.direction,
		.protocol = n->net.protocol == IPPROTO_UDP ? POLICY_NET_UDP : POLICY_NET_TCP,
		.family = n->net.family,
		.path = exe,
		.uid = n->uid,
		.resolvers = &e->resolvers,
	};
	char user[256];

	if (n->rule_current) {
		const policy_rule *r = policy_rule_at(e->policy, n->rule_index);

		if (r && policy_rule_enabled(r) && policy_rule_type(r) == POLICY_RULE_NETWORK)
			return r;
	}
	/* Judged by a policy no longer in force: what does the one in force say? */
	if (n->net.direction == POLICY_NET_OUTBOUND) {
		memcpy(c.addr, n->net.remote_addr, sizeof(c.addr));
		c.port = n->net.remote_port;
	} else if (n->net.direction == POLICY_NET_INBOUND) {
		memcpy(c.addr, n->net.remote_addr, sizeof(c.addr));
		c.port = n->net.local_port;
	} else {
		memcpy(c.addr, n->net.local_addr, sizeof(c.addr));
		c.port = n->net.local_port;
	}
	if (net_needs_user_name(e->policy))
		c.user_name = user_name_of(n->uid, user, sizeof(user));
	if (policy_eval_net(e->policy, &c, m, 1) == 0)
		return NULL;
	return m[0].rule;
}

/* The process of a network finding: what the record says, completed from /proc and the table. */
static void network_fill_process(engine *e, struct finding *f, const struct engine_network *n,
				 const char *exe)
{
	const struct proc_entry *pe = proctab_get(e->procs, n->pid);
	struct finding_process *p = &f->process;

	f->has_process = true;
	p->pid = n->pid;
	p->uid = n->uid;
	p->gid = n->gid;
	strbufcpy(p->path, sizeof(p->path), exe ? exe : "");
	finding_process_set_name(p, exe, n->comm);
	/* The table's entry is this process only if it runs the same executable. */
	if (pe && (!n->exe_ino || pe->exe_ino == n->exe_ino)) {
		p->ppid = pe->ppid;
		p->start_boot = pe->start_boot;
		engine_process_fill_ancestors(e, pe->ppid, f);
	}
}

static bool listen_key_equal(const struct listen_key *a, const struct listen_key *b)
{
	return a->rule == b->rule && a->protocol == b->protocol && a->family == b->family &&
	       a->port == b->port && a->pid == b->pid && memcmp(a->addr, b->addr, 16) == 0;
}

static bool listen_seen_has(engine *e, const struct listen_key *k)
{
	for (size_t i = 0; i < e->n_listen_seen; i++)
		if (listen_key_equal(&e->listen_seen[i], k))
			return true;
	return false;
}

static void listen_set_open(engine *e, size_t rule, size_t n_open, usec_t now)
{
	struct rule_state *s = &e->rules[rule];
	bool was = s->listen.n_open > 0;

	s->listen.n_open = n_open;
	if (was != (n_open > 0)) {
		s->changed = now;
		engine_state_changed(e);
	}
}

void engine_on_network(engine *e, const struct engine_network *n)
{
	char path[EVENT_PATH_LEN];
	const char *exe = n->exe;
	const policy_rule *r;
	usec_t now = now_usec(CLOCK_REALTIME);

	if (!e->policy)
		return;
	if (n->pid && !exe && e->ops->exe_path(e->ctx, n->pid, n->exe_ino, path, sizeof(path)) >= 0)
		exe = path;
	r = network_rule(e, n, exe);
	if (!r) {
		e->stats.net_stale++;
		return;
	}

	struct finding f = {
		.kind = FINDING_NETWORK,
		.time_real = n->net.last_real ? n->net.last_real : now,
		.policy = e->policy,
		.rule = r,
		.mode = policy_rule_mode(r),
		.action = n->denied ? FINDING_ACTION_DENIED : FINDING_ACTION_REPORTED,
		.in_kernel = n->denied,
		.has_network = true,
		.network = n->net,
	};

	f.network.has_owner = true;
	f.network.owner_uid = n->uid;
	if (n->pid)
		network_fill_process(e, &f, n, exe);
	e->stats.net_findings++;
	engine_emit(e, &f);

	/*
	 * A reported bind: remembered, so that the enumeration that follows
	 * (the agent runs one shortly) does not report it again.  Whether the
	 * rule fails is the enumeration's to say: the bind may yet fail, or the
	 * socket close.
	 */
	if (n->net.direction == POLICY_NET_LISTEN && !n->denied && !n->net.aggregated &&
	    e->n_listen_seen < ENGINE_LISTENERS_MAX) {
		if (!e->listen_seen)
			e->listen_seen = calloc(ENGINE_LISTENERS_MAX, sizeof(*e->listen_seen));
		if (!e->listen_seen)
			return;
		struct listen_key k = {
			.rule = policy_rule_index(r),
			.protocol = n->net.protocol == IPPROTO_UDP ? POLICY_NET_UDP :
								     POLICY_NET_TCP,
			.family = n->net.family,
			.port = n->net.local_port,
			.pid = n->pid,
		};

		memcpy(k.addr, n->net.local_addr, sizeof(k.addr));
		if (!listen_seen_has(e, &k))
			e->listen_seen[e->n_listen_seen++] = k;
	}
}

void engine_judge_listeners(engine *e, const struct engine_listener *l, size_t n)
{
	_cleanup_free_ struct listen_key *seen = NULL;
	_cleanup_free_ size_t *open = NULL;
	size_t n_seen = 0, n_rules;
	usec_t now = now_usec(CLOCK_REALTIME);
	bool names;

	if (!e->policy || policy_net_rule_count(e->policy) == 0)
		return;
	n_rules = policy_rule_count(e->policy);
	n = MIN(n, (size_t)ENGINE_LISTENERS_MAX);
	seen = calloc(ENGINE_LISTENERS_MAX, sizeof(*seen));
	open = calloc(n_rules, sizeof(*open));
	if (!seen || !open)
		return;
	names = net_needs_user_name(e->policy);

	for (size_t i = 0; i < n; i++) {
		struct policy_match m[MATCHES_MAX];
		struct policy_connection c = {
			.direction = POLICY_NET_LISTEN,
			.protocol = l[i].protocol,
			.family = l[i].family,
			.port = l[i].port,
			.path = l[i].exe,
			.uid = l[i].uid,
			.resolvers = &e->resolvers,
		};
		char user[256];
		size_t k, w = 0;

		memcpy(c.addr, l[i].addr, sizeof(c.addr));
		if (names)
			c.user_name = user_name_of(l[i].uid, user, sizeof(user));
		k = MIN(policy_eval_net(e->policy, &c, m, MATCHES_MAX), (size_t)MATCHES_MAX);
		if (k == 0)
			continue;
		/* As the kernel chooses: the first rule that would refuse, else the first. */
		for (size_t j = 0; j < k; j++)
			if (policy_rule_effect(m[j].rule) == POLICY_EFFECT_DENY &&
			    m[j].mode == POLICY_MODE_ENFORCE) {
				w = j;
				break;
			}

		struct listen_key key = {
			.rule = policy_rule_index(m[w].rule),
			.protocol = l[i].protocol,
			.family = l[i].family,
			.port = l[i].port,
			.pid = l[i].pid,
		};

		memcpy(key.addr, l[i].addr, sizeof(key.addr));
		seen[n_seen++] = key;
		open[key.rule]++;
		if (listen_seen_has(e, &key))
			continue;

		struct finding f = {
			.kind = FINDING_NETWORK,
			.time_real = now,
			.policy = e->policy,
			.rule = m[w].rule,
			.mode = m[w].mode,
			/* It is open already: nothing the kernel could refuse any more. */
			.action = FINDING_ACTION_REPORTED,
			.has_network = true,
			.network = {
				.direction = POLICY_NET_LISTEN,
				.protocol = l[i].protocol == POLICY_NET_UDP ? IPPROTO_UDP : IPPROTO_TCP,
				.family = l[i].family,
				.has_local = true,
				.local_port = l[i].port,
				.count = 1,
				.first_real = now,
				.last_real = now,
				.has_owner = true,
				.owner_uid = l[i].uid,
				.preexisting = true,
			},
		};

		memcpy(f.network.local_addr, l[i].addr, sizeof(f.network.local_addr));
		if (l[i].pid) {
			struct engine_network en = { .pid = l[i].pid, .uid = l[i].uid };

			network_fill_process(e, &f, &en, l[i].exe);
		}
		e->stats.net_findings++;
		engine_emit(e, &f);
	}

	free(e->listen_seen);
	e->listen_seen = TAKE_PTR(seen);
	e->n_listen_seen = n_seen;
	for (size_t i = 0; i < n_rules; i++)
		if (e->rules[i].kind == RULE_STATE_LISTEN)
			listen_set_open(e, i, open[i], now);
}
