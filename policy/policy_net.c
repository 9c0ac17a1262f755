// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules: the single values of their clauses (addresses, prefixes,
 * keywords, port ranges), their accessors, and their evaluation.  The
 * evaluation is the kernel's decision done again in userspace (for
 * listeners that were open before the agent started, and for records judged
 * by a policy no longer in force): the same facts, the same answer.  A
 * policy holds at most POLICY_NET_RULES_MAX enabled network rules, so
 * evaluation walks them in file order, with no index and no allocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "basic/cleanup.h"
#include "policy-internal.h"

/* ---- values ------------------------------------------------------------------ */

#define V4(a, b, c, d)     \
	{                  \
		a, b, c, d \
	}

static const struct {
	const char *name;
	size_t n;
	struct policy_net_prefix prefixes[POLICY_NET_KEYWORD_PREFIXES];
} keywords[] = {
	{ "loopback", 2, { { AF_INET, 8, V4(127, 0, 0, 0) }, { AF_INET6, 128, { [15] = 1 } } } },
	{ "private",
	  4,
	  { { AF_INET, 8, V4(10, 0, 0, 0) },
	    { AF_INET, 12, V4(172, 16, 0, 0) },
	    { AF_INET, 16, V4(192, 168, 0, 0) },
	    { AF_INET6, 7, { 0xfc } } } },
	{ "link_local",
	  2,
	  { { AF_INET, 16, V4(169, 254, 0, 0) }, { AF_INET6, 10, { 0xfe, 0x80 } } } },
	{ "multicast", 2, { { AF_INET, 4, V4(224, 0, 0, 0) }, { AF_INET6, 8, { 0xff } } } },
	{ "any", 2, { { AF_INET, 0, {} }, { AF_INET6, 0, {} } } },
	/* No prefixes of its own: the caller knows them (struct policy_net_resolvers). */
	{ "system_resolvers", 0, {} },
};

const char policy_net_keyword_list[] =
	"loopback, private, link_local, multicast, any, system_resolvers";

/* Whether the bits of addr past prefixlen are zero. */
static bool host_bits_clear(const uint8_t *addr, size_t size, unsigned prefixlen)
{
	for (size_t i = prefixlen / 8; i < size; i++) {
		uint8_t keep = i == prefixlen / 8 ? (uint8_t)(0xff00 >> (prefixlen % 8)) : 0;

		if (addr[i] & (uint8_t)~keep)
			return false;
	}
	return true;
}

static void clear_host_bits(uint8_t *addr, size_t size, unsigned prefixlen)
{
	for (size_t i = prefixlen / 8; i < size; i++)
		addr[i] &= i == prefixlen / 8 ? (uint8_t)(0xff00 >> (prefixlen % 8)) : 0;
}

/* ::ffff:a.b.c.d */
static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, mapped, sizeof(mapped)) == 0;
}

/* A number of 1 to 5 digits without leading zeros, or -1. */
static long port_number(const char *s, size_t len)
{
	long n = 0;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

/* "LOOPBACK", "link-local": a keyword written otherwise. */
static bool keyword_like(const char *s, const char *keyword)
{
	for (; *s && *keyword; s++, keyword++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;

		if (c != *keyword && !(c == '-' && *keyword == '_'))
			return false;
	}
	return !*s && !*keyword;
}

/* A host name where an address belongs: letters and a dot, or "localhost". */
static bool looks_like_host_name(const char *s)
{
	return !strchr(s, ':') && !strchr(s, '/') &&
	       strpbrk(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
		       strlen(s);
}

const char *
policy_net_parse_address(const char *s,
			 struct policy_net_prefix ret[static POLICY_NET_KEYWORD_PREFIXES],
			 size_t *ret_n, int *ret_keyword, char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX], text[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t addr_len = slash ? (size_t)(slash - s) : strlen(s);
	struct policy_net_prefix p = {};
	unsigned max;

	for (size_t i = 0; i < ELEMENTSOF(keywords); i++)
		if (strcmp(s, keywords[i].name) == 0) {
			memcpy(ret, keywords[i].prefixes, keywords[i].n * sizeof(*ret));
			*ret_n = keywords[i].n;
			*ret_keyword = (int)i;
			return NULL;
		}
	for (size_t i = 0; i < ELEMENTSOF(keywords); i++)
		if (keyword_like(s, keywords[i].name)) {
			snprintf(msg, POLICY_MSG_MAX,
				 "unknown address keyword %s; did you mean \"%s\"?",
				 policy_quote(q, s), keywords[i].name);
			return msg;
		}
	if (strcasecmp(s, "localhost") == 0) {
		snprintf(msg, POLICY_MSG_MAX,
			 "address %s is a host name; did you mean the keyword \"loopback\"?",
			 policy_quote(q, s));
		return msg;
	}
	if (looks_like_host_name(s)) {
		snprintf(msg, POLICY_MSG_MAX,
			 "address %s is a host name; network rules take IP addresses and prefixes, "
			 "because the kernel sees addresses, not names",
			 policy_quote(q, s));
		return msg;
	}
	if (memchr(s, '%', addr_len)) {
		snprintf(msg, POLICY_MSG_MAX,
			 "address %s has a zone (\"%%...\"); write the address without it",
			 policy_quote(q, s));
		return msg;
	}

	if (addr_len >= sizeof(text))
		goto not_address;
	memcpy(text, s, addr_len);
	text[addr_len] = '\0';
	p.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p.family, text, p.addr) != 1)
		goto not_address;
	max = p.family == AF_INET ? 32 : 128;
	if (slash) {
		const char *len = slash + 1;
		size_t digits = strspn(len, "0123456789");

		if (digits == 0 || digits > 3 || len[digits] != '\0' ||
		    (len[0] == '0' && digits > 1)) {
			snprintf(msg, POLICY_MSG_MAX,
				 "address %s has an invalid prefix length; expected a number of "
				 "bits after \"/\", like \"10.0.0.0/8\"",
				 policy_quote(q, s));
			return msg;
		}
		if ((unsigned)port_number(len, digits) > max) {
			snprintf(msg, POLICY_MSG_MAX,
				 "address %s has a prefix length over %u, the length of an %s "
				 "address",
				 policy_quote(q, s), max, max == 32 ? "IPv4" : "IPv6");
			return msg;
		}
		p.prefixlen = (uint8_t)port_number(len, digits);
	} else {
		p.prefixlen = (uint8_t)max;
	}
	if (p.family == AF_INET6 && is_v4_mapped(p.addr) && p.prefixlen < 96) {
		snprintf(msg, POLICY_MSG_MAX,
			 "address %s is IPv4-mapped with a prefix length under 96; write the IPv4 "
			 "prefix, like \"10.0.0.0/8\", or add 96 to the length",
			 policy_quote(q, s));
		return msg;
	}
	if (!host_bits_clear(p.addr, sizeof(p.addr), p.prefixlen)) {
		uint8_t net[16];

		memcpy(net, p.addr, sizeof(net));
		clear_host_bits(net, sizeof(net), p.prefixlen);
		if (!inet_ntop(p.family, net, text, sizeof(text)))
			text[0] = '\0';
		snprintf(msg, POLICY_MSG_MAX, "%s has host bits set; did you mean \"%s/%u\"?",
			 policy_quote(q, s), text, p.prefixlen);
		return msg;
	}
	/* The kernel judges v4-mapped addresses as IPv4: so does the policy. */
	if (p.family == AF_INET6 && is_v4_mapped(p.addr)) {
		uint8_t v4[4];

		memcpy(v4, p.addr + 12, sizeof(v4));
		p = (struct policy_net_prefix){ .family = AF_INET,
						.prefixlen = (uint8_t)(p.prefixlen - 96) };
		memcpy(p.addr, v4, sizeof(v4));
	}
	ret[0] = p;
	*ret_n = 1;
	*ret_keyword = -1;
	return NULL;

not_address:
	snprintf(msg, POLICY_MSG_MAX,
		 "address %s is not an IP address, a prefix like \"10.0.0.0/8\" or \"fe80::/10\", "
		 "or one of: %s",
		 policy_quote(q, s), policy_net_keyword_list);
	return msg;
}

const char *policy_net_parse_port_range(const char *s, struct policy_net_port_range *ret,
					char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	const char *dash = strchr(s, '-');
	long first, last;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		snprintf(msg, POLICY_MSG_MAX,
			 "port %s is a string; write a single port as a number (%s), and a range "
			 "as \"first-last\"",
			 policy_quote(q, s), strlen(s) <= 5 ? s : "...");
		return msg;
	}
	first = dash ? port_number(s, (size_t)(dash - s)) : -1;
	last = dash ? port_number(dash + 1, strlen(dash + 1)) : -1;
	if (first < 0 || last < 0) {
		snprintf(msg, POLICY_MSG_MAX,
			 "port %s is not a port or a range; expected a number from 0 to 65535, or "
			 "a string \"first-last\" like \"8000-8999\"",
			 policy_quote(q, s));
		return msg;
	}
	if (first > 65535 || last > 65535) {
		snprintf(msg, POLICY_MSG_MAX, "port range %s goes beyond 65535, the highest port",
			 policy_quote(q, s));
		return msg;
	}
	if (first > last) {
		snprintf(msg, POLICY_MSG_MAX,
			 "port range %s is backwards; write the lower port first: \"%ld-%ld\"",
			 policy_quote(q, s), last, first);
		return msg;
	}
	*ret = (struct policy_net_port_range){ .first = (uint16_t)first, .last = (uint16_t)last };
	return NULL;
}

/* ---- the rules ------------------------------------------------------------------ */

enum policy_net_direction policy_rule_net_direction(const policy_rule *r)
{
	return r->direction;
}

unsigned policy_rule_net_protocols(const policy_rule *r)
{
	return r->type == POLICY_RULE_NETWORK ? r->protocols : 0;
}

const struct policy_net_clause *policy_rule_net_match(const policy_rule *r)
{
	return r->type == POLICY_RULE_NETWORK ? &r->net_match : NULL;
}

size_t policy_rule_net_except_count(const policy_rule *r)
{
	return r->type == POLICY_RULE_NETWORK ? r->n_net_excepts : 0;
}

const struct policy_net_clause *policy_rule_net_except_at(const policy_rule *r, size_t i)
{
	return i < policy_rule_net_except_count(r) ? &r->net_excepts[i] : NULL;
}

size_t policy_rule_net_clause_count(const policy_rule *r)
{
	return r->type == POLICY_RULE_NETWORK ? 1 + r->n_net_excepts : 0;
}

const struct policy_net_clause *policy_rule_net_clause_at(const policy_rule *r, size_t k)
{
	if (k >= policy_rule_net_clause_count(r))
		return NULL;
	return k == 0 ? &r->net_match : &r->net_excepts[k - 1];
}

bool policy_net_clause_has_address(const struct policy_net_clause *c)
{
	return c && (c->n_prefixes > 0 || c->system_resolvers);
}

bool policy_rule_net_uses_resolvers(const policy_rule *r)
{
	for (size_t k = 0; k < policy_rule_net_clause_count(r); k++)
		if (policy_rule_net_clause_at(r, k)->system_resolvers)
			return true;
	return false;
}

bool policy_net_uses_resolvers(const policy *p)
{
	for (size_t i = 0; i < p->n_net_rules; i++)
		if (policy_rule_net_uses_resolvers(p->net_rules[i].rule))
			return true;
	return false;
}

size_t policy_net_rule_count(const policy *p)
{
	return p->n_net_rules;
}

const policy_rule *policy_net_rule_at(const policy *p, size_t i)
{
	return i < p->n_net_rules ? p->net_rules[i].rule : NULL;
}

int policy_compile_net(struct policy *p)
{
	size_t n = 0, n_clauses = 0;
	struct policy_net_clause *clauses;

	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].type == POLICY_RULE_NETWORK && p->rules[i].enabled) {
			n++;
			n_clauses += policy_rule_net_clause_count(&p->rules[i]);
		}
	p->net_rules = arena_alloc_array(&p->arena, n + 1, sizeof(*p->net_rules));
	clauses = arena_alloc_array(&p->arena, n_clauses + 1, sizeof(*clauses));
	if (!p->net_rules || !clauses)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->type != POLICY_RULE_NETWORK || !r->enabled)
			continue;
		p->net_rules[p->n_net_rules++] = (struct policy_net_compiled){
			.rule = r,
			.direction = r->direction,
			.protocols = r->protocols,
			.n_excepts = r->n_net_excepts,
			.clauses = clauses,
		};
		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++)
			*clauses++ = *policy_rule_net_clause_at(r, k);
	}
	return 0;
}

/* ---- evaluation ------------------------------------------------------------------ */

/* A connection as the clauses see it: v4-mapped made IPv4, the name found. */
struct conn {
	const struct policy_connection *c;
	uint8_t family;
	uint8_t addr[16];
	const char *name;
};

static struct conn conn_init(const struct policy_connection *c)
{
	struct conn k = { .c = c, .family = c->family, .name = c->name };

	memcpy(k.addr, c->addr, sizeof(k.addr));
	if (k.family == AF_INET6 && is_v4_mapped(k.addr)) {
		k.family = AF_INET;
		memmove(k.addr, k.addr + 12, 4);
		memset(k.addr + 4, 0, sizeof(k.addr) - 4);
	}
	if (!k.name && c->path)
		k.name = policy_basename(c->path);
	return k;
}

static bool prefix_contains(const struct policy_net_prefix *p, const struct conn *k)
{
	unsigned whole = p->prefixlen / 8, bits = p->prefixlen % 8;

	if (p->family != k->family)
		return false;
	if (memcmp(p->addr, k->addr, whole) != 0)
		return false;
	return !bits || !((p->addr[whole] ^ k->addr[whole]) & (uint8_t)(0xff00 >> bits));
}

/* Fields ANDed, values ORed; the cheapest tests first. */
static bool clause_matches(const struct policy_net_clause *cl, const struct conn *k)
{
	const struct policy_connection *c = k->c;
	bool found;

	if (cl->n_ports) {
		found = false;
		for (size_t i = 0; i < cl->n_ports && !found; i++)
			found = c->port >= cl->ports[i].first && c->port <= cl->ports[i].last;
		if (!found)
			return false;
	}
	if (cl->n_prefixes || cl->system_resolvers) {
		const struct policy_net_resolvers *rs = c->resolvers;

		found = false;
		for (size_t i = 0; i < cl->n_prefixes && !found; i++)
			found = prefix_contains(&cl->prefixes[i], k);
		/* The resolvers as the caller knows them now; none known: none matches. */
		for (size_t i = 0; cl->system_resolvers && rs && i < rs->n &&
				   i < POLICY_NET_RESOLVERS_MAX && !found;
		     i++)
			found = prefix_contains(&rs->addrs[i], k);
		if (!found)
			return false;
	}
	if (cl->n_users) {
		found = false;
		for (size_t i = 0; i < cl->n_users && !found; i++) {
			const struct policy_value *u = &cl->users[i];

			found = u->text ? c->user_name && strcmp(u->text, c->user_name) == 0 :
					  u->id == c->uid;
		}
		if (!found)
			return false;
	}
	if (cl->n_names) {
		found = false;
		for (size_t i = 0; i < cl->n_names && !found && k->name; i++)
			found = strcmp(cl->names[i], k->name) == 0;
		if (!found)
			return false;
	}
	if (cl->n_paths) {
		found = false;
		for (size_t i = 0; i < cl->n_paths && !found && c->path; i++)
			found = strcmp(cl->paths[i], c->path) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* The match clause matches and no except clause does. */
static bool clauses_match(const struct policy_net_clause *match,
			  const struct policy_net_clause *excepts, size_t n_excepts,
			  const struct conn *k)
{
	if (!clause_matches(match, k))
		return false;
	for (size_t i = 0; i < n_excepts; i++)
		if (clause_matches(&excepts[i], k))
			return false;
	return true;
}

bool policy_rule_net_matches(const policy_rule *r, const struct policy_connection *c)
{
	struct conn k;

	if (r->type != POLICY_RULE_NETWORK || r->direction != c->direction ||
	    !(r->protocols & c->protocol))
		return false;
	k = conn_init(c);
	return clauses_match(&r->net_match, r->net_excepts, r->n_net_excepts, &k);
}

size_t policy_eval_net(const policy *p, const struct policy_connection *c,
		       struct policy_match *matches, size_t n_matches)
{
	struct conn k = conn_init(c);
	size_t found = 0;

	for (size_t i = 0; i < p->n_net_rules; i++) {
		const struct policy_net_compiled *r = &p->net_rules[i];

		if (r->direction != c->direction || !(r->protocols & c->protocol) ||
		    !clauses_match(&r->clauses[0], &r->clauses[1], r->n_excepts, &k))
			continue;
		if (found < n_matches)
			matches[found] =
				(struct policy_match){ .rule = r->rule, .mode = r->rule->mode };
		found++;
	}
	return found;
}
