// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy's network rules compiled into the network probe's maps: each
 * rule a bit, its clauses' prefixes, ports, programs, names and users keyed
 * to the bits they match, filled under a new generation and switched to in
 * one store, so the kernel never judges with half a policy.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "probe_net-internal.h"

/* --- compiling rules --------------------------------------------------------- */

struct prefix {
	uint8_t family, len;
	uint8_t addr[EVENT_NET_ADDR_LEN];
	uint64_t mask;
};

struct build {
	probe_net *p;
	uint32_t gen;
	unsigned needs; /* NEED_*: what the rules need attached */
	struct net_state state;
	struct prefix *prefixes;
	size_t n_prefixes, cap_prefixes;
	size_t entries[5]; /* per lookup map: what this generation put there */
};

enum { MAP_ADDR, MAP_PORT, MAP_INODE, MAP_NAME, MAP_UID };

static int map_fd(probe_net *p, int which)
{
	switch (which) {
	case MAP_ADDR:
		return bpf_map__fd(p->skel->maps.net_addr);
	case MAP_PORT:
		return bpf_map__fd(p->skel->maps.net_port);
	case MAP_INODE:
		return bpf_map__fd(p->skel->maps.net_inode);
	case MAP_NAME:
		return bpf_map__fd(p->skel->maps.net_name);
	default:
		return bpf_map__fd(p->skel->maps.net_uid);
	}
}

static size_t map_key_size(int which)
{
	static const size_t sizes[] = {
		[MAP_ADDR] = sizeof(struct net_addr_key),
		[MAP_PORT] = sizeof(struct net_port_key),
		[MAP_INODE] = sizeof(struct filter_inode_key),
		[MAP_NAME] = sizeof(struct filter_name_key),
		[MAP_UID] = sizeof(struct net_uid_key),
	};

	return sizes[which];
}

/* Where a map's keys keep their generation. */
static size_t map_gen_offset(int which)
{
	return which == MAP_ADDR ? offsetof(struct net_addr_key, gen) : 0;
}

/*
 * What the policy library lets through must fit: half of each map is the
 * other generation's.  The library counts the system's resolvers among the
 * addresses (POLICY_NET_RESOLVERS_MAX, once).
 */
_Static_assert(POLICY_NET_VALUES_MAX <= NET_MAP_ENTRIES / 2, "policy values fit the maps");

/*
 * Adds mask to the entry of key (ORed with what this generation has there
 * already).  Not for the trie: a lookup there answers with the longest prefix
 * that matches, not the entry of the key; prefixes are merged beforehand.
 */
static int build_put(struct build *b, int which, const void *key, uint64_t mask)
{
	int fd = map_fd(b->p, which);
	uint64_t old;

	if (which != MAP_ADDR && bpf_map_lookup_elem(fd, key, &old) == 0) {
		mask |= old;
	} else {
		/* Half of each map: the generation in force keeps the other half. */
		if (b->entries[which] >= NET_MAP_ENTRIES / 2)
			return -E2BIG;
		b->entries[which]++;
	}
	if (bpf_map_update_elem(fd, key, &mask, BPF_ANY) < 0)
		return errno == ENOSPC || errno == E2BIG ? -E2BIG : -errno;
	return 0;
}

/* Deletes every entry of the map whose generation is not keep. */
static int map_prune(probe_net *p, int which, uint32_t keep)
{
	size_t ks = map_key_size(which), off = map_gen_offset(which), n = 0, cap = 0;
	_cleanup_free_ uint8_t *keys = NULL;
	uint8_t key[128], next[128];
	int fd = map_fd(p, which);
	bool first = true;

	if (ks > sizeof(key))
		return -EINVAL;

	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		uint32_t g;

		first = false;
		memcpy(key, next, ks);
		memcpy(&g, next + off, sizeof(g));
		if (g == keep)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 64;
			uint8_t *k = realloc(keys, c * ks);

			if (!k)
				return -ENOMEM;
			keys = k;
			cap = c;
		}
		memcpy(keys + n * ks, next, ks);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * ks) < 0 && errno != ENOENT)
			return -errno;
	return 0;
}

static int maps_prune(probe_net *p, uint32_t keep)
{
	for (int m = MAP_ADDR; m <= MAP_UID; m++) {
		int r = map_prune(p, m, keep);

		if (r < 0)
			return r;
	}
	return 0;
}

static int add_prefix(struct build *b, const struct policy_net_prefix *pf, uint64_t bit)
{
	struct prefix x = { .family = pf->family, .len = pf->prefixlen, .mask = bit };
	unsigned max = pf->family == AF_INET ? 32 : 128;

	if ((pf->family != AF_INET && pf->family != AF_INET6) || pf->prefixlen > max)
		return -EINVAL;
	memcpy(x.addr, pf->addr, max / 8);
	/* Host bits are zero in a valid policy; make sure the trie sees them so. */
	for (unsigned bitpos = x.len; bitpos < max; bitpos++)
		x.addr[bitpos / 8] &= (uint8_t) ~(0x80U >> (bitpos % 8));
	for (size_t i = 0; i < b->n_prefixes; i++) {
		struct prefix *o = &b->prefixes[i];

		if (o->family == x.family && o->len == x.len && memcmp(o->addr, x.addr, 16) == 0) {
			o->mask |= bit;
			return 0;
		}
	}
	if (b->n_prefixes >= NET_MAP_ENTRIES / 2)
		return -E2BIG;
	if (b->n_prefixes == b->cap_prefixes) {
		size_t c = b->cap_prefixes ? b->cap_prefixes * 2 : 32;
		struct prefix *n = realloc(b->prefixes, c * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->prefixes = n;
		b->cap_prefixes = c;
	}
	b->prefixes[b->n_prefixes++] = x;
	return 0;
}

/* Whether prefix q covers p: same family, q no longer, p's first q->len bits equal q's. */
static bool prefix_covers(const struct prefix *q, const struct prefix *p)
{
	unsigned full = q->len / 8, rest = q->len % 8;

	if (q->family != p->family || q->len > p->len)
		return false;
	if (memcmp(q->addr, p->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff00U >> rest);

		if ((q->addr[full] & m) != (p->addr[full] & m))
			return false;
	}
	return true;
}

/* The trie answers with the longest prefix only, so each carries the masks of those covering it. */
static int prefixes_commit(struct build *b)
{
	for (size_t i = 0; i < b->n_prefixes; i++) {
		struct net_addr_key k = { .gen = b->gen, .family = b->prefixes[i].family };
		uint64_t mask = 0;
		int r;

		for (size_t j = 0; j < b->n_prefixes; j++)
			if (prefix_covers(&b->prefixes[j], &b->prefixes[i]))
				mask |= b->prefixes[j].mask;
		k.prefixlen = NET_ADDR_KEY_BITS(b->prefixes[i].len);
		memcpy(k.addr, b->prefixes[i].addr, sizeof(k.addr));
		r = build_put(b, MAP_ADDR, &k, mask);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_ports(struct build *b, const struct policy_net_clause *c, uint64_t bit)
{
	struct net_state *s = &b->state;

	if (c->n_ports == 0) {
		s->any_port |= bit;
		return 0;
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct policy_net_port_range *pr = &c->ports[i];
		bool merged = false;

		if (pr->first > pr->last)
			return -EINVAL;
		if (pr->first == pr->last) {
			struct net_port_key k = { .gen = b->gen, .port = pr->first };
			int r = build_put(b, MAP_PORT, &k, bit);

			if (r < 0)
				return r;
			continue;
		}
		for (uint32_t j = 0; j < s->n_ranges && !merged; j++)
			if (s->ranges[j].first == pr->first && s->ranges[j].last == pr->last) {
				s->ranges[j].mask |= bit;
				merged = true;
			}
		if (merged)
			continue;
		if (s->n_ranges >= NET_RANGES_MAX)
			return -E2BIG;
		s->ranges[s->n_ranges++] = (struct net_port_range){ .first = pr->first,
								    .last = pr->last,
								    .mask = bit };
	}
	return 0;
}

static int add_paths(struct build *b, const struct policy_net_clause *c, uint64_t bit)
{
	if (c->n_paths == 0) {
		b->state.any_path |= bit;
		return 0;
	}
	for (size_t i = 0; i < c->n_paths; i++) {
		struct filter_inode_key k = { .gen = b->gen };
		struct stat st;
		int r;

		if (stat(c->paths[i], &st) < 0) {
			log_full_errno(LOG_NOTICE, errno,
				       "Network rules: the program %s cannot be found (%m); no "
				       "traffic of it matches until the policy is applied again.",
				       c->paths[i]);
			continue;
		}
		/* As the kernel numbers it (btrfs: not stat's st_dev). */
		k.dev = path_sb_dev(c->paths[i], &st);
		k.ino = st.st_ino;
		r = build_put(b, MAP_INODE, &k, bit);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_names(struct build *b, const struct policy_net_clause *c, uint64_t bit)
{
	if (c->n_names == 0) {
		b->state.any_name |= bit;
		return 0;
	}
	for (size_t i = 0; i < c->n_names; i++) {
		struct filter_name_key k = { .gen = b->gen };
		int r;

		/* Longer names are cut to the key, as the probe cuts them. */
		strncpy(k.name, c->names[i], sizeof(k.name) - 1);
		r = build_put(b, MAP_NAME, &k, bit);
		if (r < 0)
			return r;
	}
	return 0;
}

static int user_uid(const char *name, uint32_t *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r;

	r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (r != 0)
		return -r;
	if (!res)
		return -ESRCH;
	*ret = (uint32_t)res->pw_uid;
	return 0;
}

static int add_users(struct build *b, const struct policy_net_clause *c, uint64_t bit)
{
	if (c->n_users == 0) {
		b->state.any_user |= bit;
		return 0;
	}
	for (size_t i = 0; i < c->n_users; i++) {
		struct net_uid_key k = { .gen = b->gen, .uid = c->users[i].id };
		int r;

		if (c->users[i].text) {
			r = user_uid(c->users[i].text, &k.uid);
			if (r < 0) {
				log_full_errno(LOG_NOTICE, r,
					       "Network rules: the user %s is unknown here (%m); "
					       "no traffic of theirs matches.",
					       c->users[i].text);
				continue;
			}
		}
		r = build_put(b, MAP_UID, &k, bit);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_clause(struct build *b, const struct policy_net_clause *c, uint64_t bit)
{
	int r;

	if (!c)
		return -EINVAL;
	if (!policy_net_clause_has_address(c))
		b->state.any_addr |= bit;
	for (size_t i = 0; i < c->n_prefixes; i++) {
		r = add_prefix(b, &c->prefixes[i], bit);
		if (r < 0)
			return r;
	}
	/* The system's resolvers as they are now; none known: the address field matches none. */
	for (size_t i = 0; c->system_resolvers && i < b->p->resolvers.n; i++) {
		r = add_prefix(b, &b->p->resolvers.addrs[i], bit);
		if (r < 0)
			return r;
	}
	r = add_ports(b, c, bit);
	if (r >= 0)
		r = add_paths(b, c, bit);
	if (r >= 0)
		r = add_names(b, c, bit);
	if (r >= 0)
		r = add_users(b, c, bit);
	return r;
}

static int direction_to_event(enum policy_net_direction d)
{
	switch (d) {
	case POLICY_NET_OUTBOUND:
		return EVENT_NET_OUTBOUND;
	case POLICY_NET_INBOUND:
		return EVENT_NET_INBOUND;
	case POLICY_NET_LISTEN:
		return EVENT_NET_LISTEN;
	}
	return -EINVAL;
}

/*
 * Rule i's match clause is bit i (so the kernel reads the rules a connection
 * may fire from the clause bits directly); except clauses follow from bit n.
 */
static int build_rules(struct build *b, const struct probe_net_rule *rules, size_t n)
{
	struct net_state *s = &b->state;
	unsigned next_bit = (unsigned)n;
	int r;

	if (n > NET_RULES_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const struct probe_net_rule *rule = &rules[i];
		int dir = direction_to_event(rule->direction);
		uint64_t all, match = 1ULL << i;

		if (dir < 0 || !(rule->protocols & (POLICY_NET_TCP | POLICY_NET_UDP)) ||
		    (rule->action != NET_ACTION_REPORT && rule->action != NET_ACTION_DENY))
			return -EINVAL;
		if (next_bit + rule->n_except > NET_CLAUSES_MAX)
			return -E2BIG;
		r = add_clause(b, rule->match, match);
		if (r < 0)
			return r;
		all = match;
		for (size_t j = 0; j < rule->n_except; j++) {
			uint64_t bit = 1ULL << next_bit;

			r = add_clause(b, rule->except ? rule->except[j] : NULL, bit);
			if (r < 0)
				return r;
			s->except_owner[next_bit++] = (uint8_t)i;
			all |= bit;
		}
		if (rule->action == NET_ACTION_DENY)
			s->deny_rules |= match;
		if ((rule->direction == POLICY_NET_OUTBOUND && rule->action == NET_ACTION_REPORT &&
		     (rule->protocols & POLICY_NET_TCP)) ||
		    rule->direction == POLICY_NET_INBOUND ||
		    (rule->direction == POLICY_NET_LISTEN && (rule->protocols & POLICY_NET_TCP)))
			b->needs |= NEED_TCP_STATE;
		if (rule->direction == POLICY_NET_OUTBOUND && (rule->protocols & POLICY_NET_UDP)) {
			b->needs |= NEED_PEERS;
			if (rule->action == NET_ACTION_REPORT)
				b->needs |= NEED_UDP_SEND;
		}
		s->match_bits |= match;
		if (rule->protocols & POLICY_NET_TCP)
			s->clauses[dir][0] |= all;
		if (rule->protocols & POLICY_NET_UDP)
			s->clauses[dir][1] |= all;
	}
	s->n_rules = (uint32_t)n;
	return prefixes_commit(b);
}

int probe_net_apply_rules(probe_net *p, const struct probe_net_rule *rules, size_t n)
{
	struct build b = { .p = p };
	uint32_t cur = probe_net_gen(p), slot;
	unsigned old_needs;
	int r;

	/*
	 * Only the generation in force stays: the one before it (kept since the
	 * last switch for programs still running with it) and leftovers of an
	 * abandoned fill go, so the new one has its half of every map.
	 */
	r = maps_prune(p, cur);
	if (r < 0)
		return r;
	b.gen = p->last_gen + 1;
	/* Never 0 (no rules), never the slot of the generation in force. */
	if (b.gen == 0 || (cur && (b.gen & 1) == (cur & 1)))
		b.gen++;
	if (b.gen == 0)
		b.gen = 2;
	p->last_gen = b.gen;
	r = build_rules(&b, rules, n);
	free(b.prefixes);
	if (r < 0) {
		(void)maps_prune(p, cur);
		return r;
	}
	slot = b.gen & 1;
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.net_state), &slot, &b.state, BPF_ANY) <
	    0) {
		r = -errno;
		(void)maps_prune(p, cur);
		return r;
	}
	/*
	 * What the new rules need attached before they are in force, so no
	 * outcome, listen(), peer or first send is missed; what only the old
	 * ones needed goes after the switch.
	 */
	old_needs = p->needs;
	r = probe_net_needs_sync(p, old_needs | b.needs);
	if (r < 0) {
		(void)probe_net_needs_sync(p, old_needs);
		(void)maps_prune(p, cur);
		return r;
	}
	/*
	 * One aligned 4-byte store: the programs see the old rules or the new
	 * ones.  The old generation's entries stay until the next apply (each
	 * map has room for two): a program that read the old generation an
	 * instant before the store still finds its entries, rather than none.
	 */
	__atomic_store_n(&p->skel->bss->net_gen, n > 0 ? b.gen : 0, __ATOMIC_RELEASE);
	/* Connects of the old rules still awaiting their outcome are swept as stale. */
	(void)probe_net_needs_sync(p, b.needs);
	return 0;
}

void probe_net_set_resolvers(probe_net *p, const struct policy_net_resolvers *r)
{
	p->resolvers = (struct policy_net_resolvers){};
	if (r) {
		p->resolvers.n = MIN(r->n, (size_t)POLICY_NET_RESOLVERS_MAX);
		memcpy(p->resolvers.addrs, r->addrs, p->resolvers.n * sizeof(r->addrs[0]));
	}
}

int probe_net_exempt(probe_net *p, pid_t pid, bool on)
{
	int fd = bpf_map__fd(p->skel->maps.net_exempt);
	uint32_t key = (uint32_t)pid;
	uint8_t one = 1;

	if (pid <= 0)
		return -EINVAL;
	if (!on)
		return bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT ? -errno : 0;
	if (bpf_map_update_elem(fd, &key, &one, BPF_ANY) < 0)
		return errno == E2BIG ? -E2BIG : -errno;
	return 0;
}

int probe_net_apply_policy(probe_net *p, const policy *pol)
{
	struct probe_net_rule rules[NET_RULES_MAX] = {};
	const struct policy_net_clause *excepts[NET_RULES_MAX][POLICY_NET_EXCEPT_MAX];
	size_t n = pol ? policy_net_rule_count(pol) : 0;
	int r;

	if (n > NET_RULES_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const policy_rule *rule = policy_net_rule_at(pol, i);
		size_t ne = policy_rule_net_except_count(rule);
		bool deny = policy_rule_effect(rule) == POLICY_EFFECT_DENY;

		if (ne > POLICY_NET_EXCEPT_MAX)
			return -E2BIG;
		for (size_t j = 0; j < ne; j++)
			excepts[i][j] = policy_rule_net_except_at(rule, j);
		rules[i] = (struct probe_net_rule){
			.direction = policy_rule_net_direction(rule),
			.protocols = policy_rule_net_protocols(rule),
			.action = deny && policy_rule_mode(rule) == POLICY_MODE_ENFORCE ?
					  NET_ACTION_DENY :
					  NET_ACTION_REPORT,
			.match = policy_rule_net_match(rule),
			.n_except = ne,
			.except = excepts[i],
		};
	}
	r = probe_net_apply_rules(p, rules, n);
	if (r < 0)
		return r;
	policy_unref(p->applied[1].pol);
	p->applied[1] = p->applied[0];
	p->applied[0] = (struct applied){ .gen = probe_net_gen(p),
					  .pol = pol ? policy_ref((policy *)pol) : NULL };
	return 0;
}
