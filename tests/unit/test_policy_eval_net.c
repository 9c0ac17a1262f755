// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Evaluation of network rules: addresses, prefixes, ports, programs and
 * users, excepts, direction and protocol, order and modes, and agreement
 * with the decision the kernel makes from the compiled maps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fixtures.h"

/* A policy of rules each with their own "type" and what follows the common fields. */
static policy *make_typed_policy(const char *mode, const char *const *rules, size_t n)
{
	char head[64];

	snprintf(head, sizeof(head), "\"mode\": \"%s\"", mode);
	return fixture_policy_build("net.json", head, "", rules, n);
}

static policy *one_net_rule(const char *rule)
{
	char *typed = NULL;
	policy *p;

	assert_true(asprintf(&typed, "\"type\": \"network\", %s", rule) > 0);
	p = make_typed_policy("monitor", (const char *const[]){ typed }, 1);
	free(typed);
	return p;
}

/* A connection to or from text (IPv4 or IPv6), by /usr/bin/curl as uid 1000. */
static struct policy_connection conn(enum policy_net_direction d, unsigned protocol,
				     const char *text, uint16_t port)
{
	struct policy_connection c = {
		.direction = d,
		.protocol = protocol,
		.family = strchr(text, ':') ? AF_INET6 : AF_INET,
		.port = port,
		.path = "/usr/bin/curl",
		.uid = 1000,
	};

	assert_int_equal(inet_pton(c.family, text, c.addr), 1);
	return c;
}

static struct policy_connection out_tcp(const char *text, uint16_t port)
{
	return conn(POLICY_NET_OUTBOUND, POLICY_NET_TCP, text, port);
}

/* Whether c matches, checked to agree with policy_rule_net_matches() for every rule. */
static bool net_matched(const policy *p, const struct policy_connection *c)
{
	struct policy_match m[8];
	size_t n = policy_eval_net(p, c, m, 8);

	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);
		bool found = false;

		for (size_t k = 0; k < n && k < 8; k++)
			found |= m[k].rule == r;
		if (policy_rule_enabled(r))
			assert_int_equal(found, policy_rule_net_matches(r, c));
	}
	return n > 0;
}

/* net_matched() for an outbound TCP connection to text:port: one case, one line. */
static bool out_tcp_matched(const policy *p, const char *text, uint16_t port)
{
	struct policy_connection c = out_tcp(text, port);

	return net_matched(p, &c);
}

/* The same for a TCP socket listening on text:port. */
static bool listen_tcp_matched(const policy *p, const char *text, uint16_t port)
{
	struct policy_connection c = conn(POLICY_NET_LISTEN, POLICY_NET_TCP, text, port);

	return net_matched(p, &c);
}

static void test_net_ipv4(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"address\": [\"10.0.0.0/8\", \"192.0.2.7\"]}");
	struct policy_connection c;

	assert_true(out_tcp_matched(p, "10.0.0.0", 443));
	assert_true(out_tcp_matched(p, "10.255.255.255", 1));
	assert_false(out_tcp_matched(p, "11.0.0.0", 443));
	assert_false(out_tcp_matched(p, "9.255.255.255", 443));
	assert_true(out_tcp_matched(p, "192.0.2.7", 443));
	assert_false(out_tcp_matched(p, "192.0.2.8", 443));
	/* Bytes past the IPv4 address are not looked at. */
	c = out_tcp("192.0.2.7", 443);
	memset(c.addr + 4, 0xaa, 12);
	assert_true(net_matched(p, &c));
	/* An IPv6 address is never in an IPv4 prefix, even with the same first bytes. */
	c = out_tcp("a00::", 443);
	assert_false(net_matched(p, &c));
	c.family = 0; /* neither family */
	assert_false(net_matched(p, &c));
	policy_unref(p);
}

static void test_net_ipv6_and_v4_mapped(void **state)
{
	policy *p = one_net_rule(
		"\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": {\"address\": "
		"[\"2001:db8::/32\", \"fe80::/10\", \"::ffff:198.51.100.0/120\", \"::1\"]}");

	assert_true(out_tcp_matched(p, "2001:db8:ffff::1", 443));
	assert_false(out_tcp_matched(p, "2001:db9::", 443));
	/* /10 is not a whole number of bytes. */
	assert_true(out_tcp_matched(p, "febf:ffff::", 443));
	assert_false(out_tcp_matched(p, "fec0::", 443));
	assert_true(out_tcp_matched(p, "::1", 443));
	assert_false(out_tcp_matched(p, "::2", 443));
	/* The v4-mapped prefix is IPv4: it matches IPv4 and v4-mapped IPv6 alike. */
	assert_true(out_tcp_matched(p, "198.51.100.9", 443));
	assert_true(out_tcp_matched(p, "::ffff:198.51.100.9", 443));
	assert_false(out_tcp_matched(p, "::ffff:198.51.101.9", 443));
	/* IPv4-compatible (deprecated) is not v4-mapped. */
	assert_false(out_tcp_matched(p, "::198.51.100.9", 443));
	policy_unref(p);

	/* An IPv4 rule catches the v4-mapped form too: the kernel judges it as IPv4. */
	p = one_net_rule("\"direction\": \"listen\", \"effect\": \"report\", \"match\": {}, "
			 "\"except\": [{\"address\": \"loopback\"}]");
	assert_false(listen_tcp_matched(p, "::ffff:127.0.0.1", 8080));
	assert_true(listen_tcp_matched(p, "::ffff:192.168.1.5", 8080));
	/* A bind to every address is not a bind to loopback. */
	assert_true(listen_tcp_matched(p, "0.0.0.0", 8080));
	assert_true(listen_tcp_matched(p, "::", 8080));
	assert_false(listen_tcp_matched(p, "::1", 8080));
	assert_false(listen_tcp_matched(p, "127.3.2.1", 8080));
	policy_unref(p);
}

/* Nested prefixes in several rules: each rule sees its own, longest or not. */
static void test_net_nested_prefixes(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"10.0.0.0/8\"}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"10.1.0.0/16\"}, \"except\": [{\"address\": "
		"\"10.1.2.0/24\"}]",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"any\"}, \"except\": [{\"address\": \"10.1.2.3\"}]",
	};
	policy *p = make_typed_policy("monitor", rules, 3);
	struct policy_match m[4];
	struct policy_connection c;

	c = out_tcp("10.1.2.3", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	c = out_tcp("10.1.2.4", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = out_tcp("10.1.3.4", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 3);
	c = out_tcp("10.2.0.1", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 2);
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = out_tcp("2001:db8::1", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r2");
	policy_unref(p);
}

static void test_net_ports(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"port\": [25, \"8000-8999\", 0, 65535]}");
	static const struct {
		uint16_t port;
		bool matched;
	} cases[] = {
		{ 25, true },	{ 24, false },	{ 26, false },	 { 7999, false },
		{ 8000, true }, { 8500, true }, { 8999, true },	 { 9000, false },
		{ 0, true },	{ 1, false },	{ 65535, true }, { 65534, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_connection c = out_tcp("192.0.2.1", cases[i].port);

		if (net_matched(p, &c) != cases[i].matched)
			fail_msg("port %u: expected %s", cases[i].port,
				 cases[i].matched ? "a match" : "none");
	}
	policy_unref(p);
}

static void test_net_programs_and_users(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"path\": [\"/usr/bin/curl\", \"/usr/bin/wget\"]}");
	struct policy_connection c = out_tcp("192.0.2.1", 80);

	assert_true(net_matched(p, &c));
	c.path = "/usr/local/bin/curl";
	assert_false(net_matched(p, &c));
	c.path = NULL; /* not known: a path cannot match */
	assert_false(net_matched(p, &c));
	policy_unref(p);

	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"name\": \"curl\"}");
	c = out_tcp("192.0.2.1", 80);
	assert_true(net_matched(p, &c)); /* the last component of the path */
	c.path = "/home/ann/Downloads/curl";
	assert_true(net_matched(p, &c));
	c.name = "wget"; /* an explicit name wins */
	assert_false(net_matched(p, &c));
	c.path = NULL;
	c.name = "curl";
	assert_true(net_matched(p, &c));
	c.name = NULL;
	assert_false(net_matched(p, &c));
	policy_unref(p);

	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"user\": [\"alice\", 0]}");
	c = out_tcp("192.0.2.1", 80);
	assert_false(net_matched(p, &c)); /* uid 1000, name unknown */
	c.user_name = "alice";
	assert_true(net_matched(p, &c));
	c.user_name = "bob";
	assert_false(net_matched(p, &c));
	c.uid = 0;
	assert_true(net_matched(p, &c));
	policy_unref(p);

	/* Fields are ANDed. */
	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"name\": \"curl\", \"user\": 1000, \"port\": 80, \"address\": "
			 "\"192.0.2.0/24\"}");
	c = out_tcp("192.0.2.1", 80);
	assert_true(net_matched(p, &c));
	c.uid = 1001;
	assert_false(net_matched(p, &c));
	assert_false(out_tcp_matched(p, "192.0.2.1", 81));
	assert_false(out_tcp_matched(p, "192.0.3.1", 80));
	c = out_tcp("192.0.2.1", 80);
	c.path = "/usr/bin/wget";
	assert_false(net_matched(p, &c));
	policy_unref(p);
}

static void test_net_excepts(void **state)
{
	policy *p = one_net_rule(
		"\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": {\"port\": 25}, "
		"\"except\": [{\"address\": \"192.0.2.25\"}, {\"name\": \"postfix\", \"user\": 0}, "
		"{\"address\": \"private\", \"port\": [25, 587]}]");
	struct policy_connection c;

	assert_true(out_tcp_matched(p, "198.51.100.1", 25));
	assert_false(out_tcp_matched(p, "192.0.2.25", 25)); /* the first except */
	c = out_tcp("198.51.100.1", 25);
	c.path = "/usr/sbin/postfix";
	assert_true(net_matched(p, &c)); /* the second except needs root too */
	c.uid = 0;
	assert_false(net_matched(p, &c));
	assert_false(out_tcp_matched(p, "10.0.0.25", 25)); /* the third */
	assert_false(out_tcp_matched(p, "fd00::25", 25));
	assert_false(out_tcp_matched(p, "10.0.0.25", 26)); /* not matched in the first place */
	policy_unref(p);
}

static void test_net_direction_and_protocol(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"protocol\": \"tcp\", "
		"\"effect\": \"deny\", \"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"protocol\": \"udp\", "
		"\"effect\": \"deny\", \"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"listen\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"inbound\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53, \"user\": 0}",
	};
	policy *p = make_typed_policy("monitor", rules, 5);
	struct policy_match m[8];
	struct policy_connection c;

	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_TCP, "192.0.2.1", 53);
	assert_int_equal(policy_eval_net(p, &c, m, 8), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c.protocol = POLICY_NET_UDP;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r1");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = conn(POLICY_NET_LISTEN, POLICY_NET_UDP, "0.0.0.0", 53);
	assert_int_equal(policy_eval_net(p, &c, m, 8), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r3");
	c = conn(POLICY_NET_INBOUND, POLICY_NET_TCP, "203.0.113.5", 53);
	c.path = NULL; /* the kernel accepted it; no program yet */
	c.uid = 0;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r4");
	c.uid = 1000;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 0);
	policy_unref(p);
}

static void test_net_order_modes_and_overflow(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {}",
		"\"type\": \"process\", \"effect\": \"deny\", \"match\": {\"name\": \"curl\"}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"mode\": \"monitor\", \"match\": {\"port\": 443}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"enabled\": false, \"match\": {}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"match\": {\"name\": \"curl\"}",
	};
	policy *p = make_typed_policy("enforce", rules, 5);
	struct policy_connection c = out_tcp("192.0.2.1", 443);
	struct policy_process proc = { .path = "/usr/bin/curl" };
	struct policy_match m[4];

	assert_int_equal(policy_eval_net(p, &c, m, 4), 3);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_int_equal(m[0].mode, POLICY_MODE_ENFORCE);
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	assert_int_equal(m[1].mode, POLICY_MODE_MONITOR);
	assert_string_equal(policy_rule_id(m[2].rule), "r4");
	assert_int_equal(policy_rule_effect(m[2].rule), POLICY_EFFECT_DENY);
	/* A short buffer holds the first ones; the count is still all. */
	memset(m, 0, sizeof(m));
	assert_int_equal(policy_eval_net(p, &c, m, 1), 3);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_null(m[1].rule);
	assert_int_equal(policy_eval_net(p, &c, NULL, 0), 3);
	/* A disabled rule matches when asked directly; a process rule never does. */
	assert_true(policy_rule_net_matches(policy_rule_at(p, 3), &c));
	assert_false(policy_rule_net_matches(policy_rule_at(p, 1), &c));
	/* Process evaluation never sees network rules, nor network evaluation processes. */
	assert_int_equal(policy_eval(p, &proc, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r1");
	assert_false(policy_rule_matches(policy_rule_at(p, 4), &proc));
	assert_int_equal(policy_needs(p), 0);
	policy_unref(p);
}

/*
 * The kernel's decision, written as net-spec.md describes it: every clause of
 * every enabled rule is a bit; per field, a mask of the clauses that do not
 * constrain it or whose values hold the connection's; a rule fires when the
 * AND of all masks has its match bit and none of its except bits.  Built
 * here from the accessors, without policy_eval_net()'s code.
 */
static size_t kernel_model(const policy *p, const struct policy_connection *c, uint64_t *ret_fired)
{
	uint64_t mask[5] = {}, clauses_of = 0, fired = 0;
	uint8_t family = c->family, addr[16];
	const char *name = c->name ? c->name : c->path ? strrchr(c->path, '/') + 1 : NULL;
	unsigned bit = 0, first_bit[POLICY_NET_RULES_MAX];
	size_t n = 0;

	memcpy(addr, c->addr, 16);
	if (family == AF_INET6 && !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		family = AF_INET;
		memmove(addr, addr + 12, 4);
	}
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		first_bit[i] = bit;
		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++, bit++) {
			const struct policy_net_clause *cl = policy_rule_net_clause_at(r, k);
			uint64_t b = UINT64_C(1) << bit;

			if (policy_rule_net_direction(r) == c->direction &&
			    (policy_rule_net_protocols(r) & c->protocol))
				clauses_of |= b;
			size_t n_res = cl->system_resolvers && c->resolvers ? c->resolvers->n : 0;

			/* The kernel's maps: the resolvers are prefixes of the clause like the others. */
			if (!cl->n_prefixes && !cl->system_resolvers)
				mask[0] |= b;
			for (size_t j = 0; j < cl->n_prefixes + n_res; j++) {
				const struct policy_net_prefix *pf =
					j < cl->n_prefixes ?
						&cl->prefixes[j] :
						&c->resolvers->addrs[j - cl->n_prefixes];
				bool in = pf->family == family;

				for (unsigned x = 0; in && x < pf->prefixlen; x++)
					in = ((pf->addr[x / 8] ^ addr[x / 8]) &
					      (0x80 >> (x % 8))) == 0;
				if (in)
					mask[0] |= b;
			}
			if (!cl->n_ports)
				mask[1] |= b;
			for (size_t j = 0; j < cl->n_ports; j++)
				if (c->port >= cl->ports[j].first && c->port <= cl->ports[j].last)
					mask[1] |= b;
			if (!cl->n_paths)
				mask[2] |= b;
			for (size_t j = 0; j < cl->n_paths; j++)
				if (c->path && !strcmp(c->path, cl->paths[j]))
					mask[2] |= b;
			if (!cl->n_names)
				mask[3] |= b;
			for (size_t j = 0; j < cl->n_names; j++)
				if (name && !strcmp(name, cl->names[j]))
					mask[3] |= b;
			if (!cl->n_users)
				mask[4] |= b;
			for (size_t j = 0; j < cl->n_users; j++)
				if (cl->users[j].text ? c->user_name && !strcmp(c->user_name,
										cl->users[j].text) :
							cl->users[j].id == c->uid)
					mask[4] |= b;
		}
	}
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);
		uint64_t m = clauses_of & mask[0] & mask[1] & mask[2] & mask[3] & mask[4];
		uint64_t match_bit = UINT64_C(1) << first_bit[i];
		uint64_t except_bits = ((UINT64_C(1) << policy_rule_net_except_count(r)) - 1)
				       << (first_bit[i] + 1);

		if ((m & match_bit) && !(m & except_bits)) {
			fired |= UINT64_C(1) << i;
			n++;
		}
	}
	*ret_fired = fired;
	return n;
}

/*
 * "system_resolvers": the addresses the caller passes, in match and in
 * except; none known matches none (so an except of it leaves nothing out).
 */
static void test_net_system_resolvers(void **state)
{
	policy *p = one_net_rule(
		"\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": {\"port\": "
		"[53, 853]}, \"except\": [{\"address\": \"system_resolvers\"}]");
	policy *q = one_net_rule("\"direction\": \"outbound\", \"effect\": \"report\", "
				 "\"match\": {\"address\": [\"system_resolvers\", "
				 "\"198.51.100.0/24\"]}");
	struct policy_net_resolvers rs = {
		.n = 3,
		.addrs = { { AF_INET, 32, { 127, 0, 0, 53 } },
			   { AF_INET, 32, { 192, 0, 2, 53 } },
			   { AF_INET6, 128, { 0xfe, 0x80, [15] = 1 } } },
	};
	struct policy_net_resolvers empty = {};
	struct policy_connection c;

	assert_true(policy_net_uses_resolvers(p));
	assert_true(policy_rule_net_uses_resolvers(policy_rule_at(p, 0)));
	assert_true(
		policy_net_clause_has_address(policy_rule_net_except_at(policy_rule_at(p, 0), 0)));
	assert_false(policy_net_clause_has_address(policy_rule_net_match(policy_rule_at(p, 0))));

	/* DNS to a resolver in force is left out; to anything else, matched. */
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "127.0.0.53", 53);
	c.resolvers = &rs;
	assert_false(net_matched(p, &c));
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "::ffff:192.0.2.53", 53);
	c.resolvers = &rs;
	assert_false(net_matched(p, &c));
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_TCP, "fe80::1", 853);
	c.resolvers = &rs;
	assert_false(net_matched(p, &c));
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "8.8.8.8", 53);
	c.resolvers = &rs;
	assert_true(net_matched(p, &c));
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "192.0.2.54", 53);
	c.resolvers = &rs;
	assert_true(net_matched(p, &c));
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "127.0.0.53", 5353);
	c.resolvers = &rs;
	assert_false(net_matched(p, &c));

	/* None known (NULL or empty): the except leaves nothing out. */
	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_UDP, "127.0.0.53", 53);
	assert_true(net_matched(p, &c));
	c.resolvers = &empty;
	assert_true(net_matched(p, &c));

	/* In match, with a prefix beside it: either matches; none known, the prefix only. */
	c = out_tcp("192.0.2.53", 443);
	c.resolvers = &rs;
	assert_true(net_matched(q, &c));
	c.resolvers = NULL;
	assert_false(net_matched(q, &c));
	c = out_tcp("198.51.100.9", 443);
	assert_true(net_matched(q, &c));
	c = out_tcp("203.0.113.1", 443);
	c.resolvers = &rs;
	assert_false(net_matched(q, &c));
	assert_true(policy_net_uses_resolvers(q));

	/* A count past the array is not read past it. */
	rs.n = SIZE_MAX;
	c = out_tcp("203.0.113.1", 443);
	c.resolvers = &rs;
	assert_false(net_matched(q, &c));
	policy_unref(p);
	policy_unref(q);
}

/* Random connections against a policy of many overlapping rules: the same answer as the kernel. */
static void test_net_agrees_with_kernel_model(void **state)
{
	static const char *const rules[] = {
		"\"direction\": \"outbound\", \"match\": {\"address\": \"private\"}, \"except\": "
		"[{\"address\": \"10.1.0.0/16\"}, {\"port\": \"0-1023\", \"user\": 0}]",
		"\"direction\": \"outbound\", \"protocol\": \"udp\", \"match\": {\"port\": 53}, "
		"\"except\": [{\"address\": [\"10.1.2.3\", \"fd00::53\"]}]",
		"\"direction\": \"outbound\", \"match\": {\"name\": [\"curl\", \"nc\"], \"address\": "
		"[\"any\"]}, \"except\": [{\"address\": \"loopback\"}]",
		"\"direction\": \"listen\", \"protocol\": \"tcp\", \"match\": {\"port\": "
		"\"1-65535\"}, \"except\": [{\"address\": \"loopback\"}, {\"path\": "
		"\"/usr/sbin/sshd\"}, {\"path\": \"/usr/lib/systemd/systemd\", \"port\": 22}]",
		"\"direction\": \"inbound\", \"match\": {\"user\": [\"alice\", 0]}, \"except\": "
		"[{\"address\": [\"link_local\", \"10.0.0.0/9\"]}]",
		"\"direction\": \"outbound\", \"match\": {\"address\": [\"192.0.2.0/25\", "
		"\"2001:db8::/33\"], \"port\": [80, 443, \"8000-8100\"]}",
		"\"direction\": \"listen\", \"match\": {\"address\": \"::/0\"}, \"except\": "
		"[{\"user\": \"alice\"}, {\"name\": \"sshd\"}]",
		"\"direction\": \"outbound\", \"enabled\": false, \"match\": {}",
		"\"direction\": \"outbound\", \"match\": {\"address\": \"multicast\", \"user\": 1000}",
		/* The baseline's: DNS to anything but the system's resolvers. */
		"\"direction\": \"outbound\", \"match\": {\"port\": [53, 853]}, \"except\": "
		"[{\"address\": \"system_resolvers\"}]",
		"\"direction\": \"listen\", \"match\": {\"address\": [\"system_resolvers\", "
		"\"192.0.2.0/24\"], \"port\": [53, 80, 443]}",
	};
	static const char *const addrs[] = {
		"10.1.2.3",
		"10.1.200.1",
		"10.200.0.1",
		"10.127.0.1",
		"172.16.0.1",
		"172.32.0.1",
		"192.168.9.9",
		"192.0.2.1",
		"192.0.2.200",
		"127.0.0.1",
		"0.0.0.0",
		"169.254.1.1",
		"224.0.0.251",
		"8.8.8.8",
		"::",
		"::1",
		"fd00::53",
		"fd00::54",
		"fe80::1",
		"2001:db8::1",
		"2001:db8:8000::1",
		"::ffff:10.1.2.3",
		"::ffff:127.0.0.1",
		"::ffff:192.0.2.7",
		"ff02::fb",
		"2001:4860::8888",
	};
	static const uint16_t ports[] = { 0, 22, 53, 80, 443, 1023, 1024, 8000, 8100, 8101, 65535 };
	static const char *const paths[] = { "/usr/bin/curl", "/usr/sbin/sshd",
					     "/usr/lib/systemd/systemd", "/tmp/nc", NULL };
	static const char *const users[] = { "alice", "bob", NULL };
	static const uint32_t uids[] = { 0, 1000, 1001 };
	/* None known, known to be none, and two. */
	const struct policy_net_resolvers none_known = { 0 }, *resolver_sets[3] = {
		NULL,
		&none_known,
		&(const struct policy_net_resolvers){
			.n = 2,
			.addrs = { { AF_INET, 32, { 10, 1, 2, 3 } },
				   { AF_INET6, 128, { 0xfd, [15] = 0x53 } } } },
	};
	char *typed[sizeof(rules) / sizeof(rules[0])];
	size_t fired[POLICY_NET_RULES_MAX] = {}, none = 0;
	policy *p;
	unsigned seed = 42;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_true(asprintf(&typed[i], "\"type\": \"network\", \"effect\": \"report\", %s",
				     rules[i]) > 0);
	p = make_typed_policy("monitor", (const char *const *)typed,
			      sizeof(rules) / sizeof(rules[0]));
	assert_int_equal(policy_net_rule_count(p), 10);

	for (int iter = 0; iter < 20000; iter++) {
		struct policy_connection c;
		struct policy_match m[POLICY_NET_RULES_MAX];
		uint64_t want, got = 0;
		size_t n;

		c = conn((enum policy_net_direction)(rand_r(&seed) % 3),
			 rand_r(&seed) % 2 ? POLICY_NET_TCP : POLICY_NET_UDP,
			 addrs[rand_r(&seed) % (sizeof(addrs) / sizeof(addrs[0]))],
			 ports[rand_r(&seed) % (sizeof(ports) / sizeof(ports[0]))]);
		c.path = paths[rand_r(&seed) % (sizeof(paths) / sizeof(paths[0]))];
		c.user_name = users[rand_r(&seed) % (sizeof(users) / sizeof(users[0]))];
		c.uid = uids[rand_r(&seed) % (sizeof(uids) / sizeof(uids[0]))];
		c.resolvers = resolver_sets[rand_r(&seed) % 3];

		n = policy_eval_net(p, &c, m, POLICY_NET_RULES_MAX);
		assert_int_equal(n, kernel_model(p, &c, &want));
		for (size_t k = 0; k < n; k++) {
			size_t i = 0;

			while (policy_net_rule_at(p, i) != m[k].rule)
				i++;
			/* In file order. */
			assert_true(k == 0 || (UINT64_C(1) << i) > got);
			got |= UINT64_C(1) << i;
			fired[i]++;
		}
		assert_true(got == want);
		none += n == 0;
	}
	/* Not vacuous: every enabled rule fired, and some connections matched nothing. */
	for (size_t i = 0; i < policy_net_rule_count(p); i++)
		if (fired[i] < 100)
			fail_msg("rule %s fired %zu times only",
				 policy_rule_id(policy_net_rule_at(p, i)), fired[i]);
	assert_true(none > 1000);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		free(typed[i]);
	policy_unref(p);
}

/* The most the kernel holds, every clause constraining every field: still cheap to judge. */
static void test_net_cost(void **state)
{
	enum { N = POLICY_NET_RULES_MAX };
	char *rules[N];
	struct policy_match m[N];
	struct timespec t0, t1;
	policy *p;
	double ns;

	for (int i = 0; i < N; i++)
		assert_true(asprintf(&rules[i],
				     "\"type\": \"network\", \"direction\": \"outbound\", "
				     "\"effect\": \"deny\", \"match\": {\"address\": [\"private\", "
				     "\"2001:db8:%x::/48\"], \"port\": [%d, \"%d-%d\"], \"name\": "
				     "\"prog%d\", \"user\": [%d, \"user%d\"]}",
				     i, 1000 + i, 2000 + 10 * i, 2005 + 10 * i, i, i, i) > 0);
	p = make_typed_policy("enforce", (const char *const *)rules, N);
	{
		struct policy_connection c = out_tcp("10.1.2.3", 2003);

		c.path = "/usr/bin/prog0";
		c.uid = 0;
		assert_int_equal(policy_eval_net(p, &c, m, N), 1);
		c = out_tcp("10.1.2.3", 2003); /* curl, uid 1000: nothing */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < 100000; k++)
			assert_int_equal(policy_eval_net(p, &c, m, N), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		     100000;
		print_message("policy_eval_net, %d rules, no match: %.0f ns\n", N, ns);
	}
	for (int i = 0; i < N; i++)
		free(rules[i]);
	policy_unref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_ipv4),
		cmocka_unit_test(test_net_ipv6_and_v4_mapped),
		cmocka_unit_test(test_net_nested_prefixes),
		cmocka_unit_test(test_net_ports),
		cmocka_unit_test(test_net_programs_and_users),
		cmocka_unit_test(test_net_excepts),
		cmocka_unit_test(test_net_direction_and_protocol),
		cmocka_unit_test(test_net_order_modes_and_overflow),
		cmocka_unit_test(test_net_system_resolvers),
		cmocka_unit_test(test_net_agrees_with_kernel_model),
		cmocka_unit_test(test_net_cost),
	};

	return cmocka_run_group_tests_name("policy_eval_net", tests, NULL, NULL);
}
