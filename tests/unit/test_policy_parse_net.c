// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing and validation of network rules: what a rule holds after parsing,
 * keywords, addresses, ports, and each of the kernel's limits, with the
 * exact error at the place it is crossed.  Part of test_policy_parse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fixtures.h"
#include "test_policy_parse.h"

static void assert_prefix(const struct policy_net_prefix *p, int family, unsigned prefixlen,
			  const char *addr)
{
	uint8_t want[16] = {};

	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_int_equal(p->family, family);
	assert_int_equal(p->prefixlen, prefixlen);
	assert_memory_equal(p->addr, want, sizeof(want));
}

static void assert_ports(const struct policy_net_port_range *r, unsigned first, unsigned last)
{
	assert_int_equal(r->first, first);
	assert_int_equal(r->last, last);
}

static void test_network_round_trip(void **state)
{
	policy_errors *errors = policy_errors_new();
	const struct policy_net_clause *c;
	const policy_rule *r;
	policy *p = NULL;

	assert_int_equal(policy_load(VALID_DIR "/network.json", errors, &p), 0);
	assert_int_equal(policy_errors_count(errors), 0);
	policy_errors_free(errors);
	assert_int_equal(policy_rule_count(p), 5);

	/* The enabled network rules, in file order: not the process rule, not the disabled one. */
	assert_int_equal(policy_net_rule_count(p), 3);
	assert_ptr_equal(policy_net_rule_at(p, 0), policy_rule_at(p, 0));
	assert_ptr_equal(policy_net_rule_at(p, 1), policy_rule_at(p, 2));
	assert_ptr_equal(policy_net_rule_at(p, 2), policy_rule_at(p, 3));
	assert_null(policy_net_rule_at(p, 3));
	/* Network rules ask nothing of execs. */
	assert_int_equal(policy_needs(p), 0);
	assert_int_equal(policy_require_count(p), 0);

	r = policy_rule_at(p, 0);
	assert_int_equal(policy_rule_type(r), POLICY_RULE_NETWORK);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_LISTEN);
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP);
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_REPORT);
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_ENFORCE);
	assert_int_equal(policy_rule_grace_seconds(r), 0);
	assert_int_equal(policy_rule_key_field(r), _POLICY_FIELD_NONE);
	assert_false(policy_rule_kernel_decidable(r));
	assert_null(policy_rule_matcher(r, POLICY_FIELD_PATH));
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes + c->n_paths + c->n_names + c->n_users, 0);
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 1, 65535);
	assert_int_equal(policy_rule_net_except_count(r), 3);
	c = policy_rule_net_except_at(r, 0);
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "127.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 128, "::1");
	c = policy_rule_net_except_at(r, 1);
	assert_int_equal(c->n_paths, 1);
	assert_string_equal(c->paths[0], "/usr/sbin/sshd");
	assert_int_equal(c->n_ports + c->n_prefixes, 0);
	c = policy_rule_net_except_at(r, 2);
	assert_string_equal(c->paths[0], "/usr/lib/systemd/systemd");
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 22, 22);
	assert_null(policy_rule_net_except_at(r, 3));
	/* The same clauses in one walk: match first, then the excepts in order. */
	assert_int_equal(policy_rule_net_clause_count(r), 4);
	assert_ptr_equal(policy_rule_net_clause_at(r, 0), policy_rule_net_match(r));
	for (size_t k = 1; k < 4; k++)
		assert_ptr_equal(policy_rule_net_clause_at(r, k),
				 policy_rule_net_except_at(r, k - 1));
	assert_null(policy_rule_net_clause_at(r, 4));

	/* A process rule has no network parts. */
	r = policy_rule_at(p, 1);
	assert_null(policy_rule_net_match(r));
	assert_int_equal(policy_rule_net_except_count(r), 0);
	assert_null(policy_rule_net_except_at(r, 0));
	assert_int_equal(policy_rule_net_clause_count(r), 0);
	assert_null(policy_rule_net_clause_at(r, 0));
	assert_int_equal(policy_rule_net_protocols(r), 0);

	r = policy_rule_at(p, 2);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_OUTBOUND);
	/* "protocol" left out: both. */
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP | POLICY_NET_UDP);
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_DENY);
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_MONITOR);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 0, "0.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 0, "::");
	assert_int_equal(c->n_ports, 3);
	assert_ports(&c->ports[0], 25, 25);
	assert_ports(&c->ports[1], 465, 465);
	assert_ports(&c->ports[2], 587, 587);
	assert_int_equal(c->n_users, 2);
	assert_string_equal(c->users[0].text, "alice");
	assert_null(c->users[1].text);
	assert_int_equal(c->users[1].id, 1000);
	c = policy_rule_net_except_at(r, 0);
	assert_int_equal(c->n_prefixes, 3);
	assert_prefix(&c->prefixes[0], AF_INET, 32, "192.0.2.25");
	assert_prefix(&c->prefixes[1], AF_INET6, 32, "2001:db8::");
	/* v4-mapped is IPv4, as the kernel judges it. */
	assert_prefix(&c->prefixes[2], AF_INET, 24, "198.51.100.0");

	r = policy_rule_at(p, 3);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_INBOUND);
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP | POLICY_NET_UDP);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes + c->n_ports + c->n_paths + c->n_names + c->n_users, 0);
	c = policy_rule_net_except_at(r, 0);
	/* private (4), link_local (2), loopback (2), in that order. */
	assert_int_equal(c->n_prefixes, 8);
	assert_prefix(&c->prefixes[3], AF_INET6, 7, "fc00::");
	assert_prefix(&c->prefixes[5], AF_INET6, 10, "fe80::");
	assert_prefix(&c->prefixes[7], AF_INET6, 128, "::1");
	c = policy_rule_net_except_at(r, 1);
	assert_int_equal(c->n_users, 1);
	assert_int_equal(c->users[0].id, 0);
	assert_ports(&c->ports[0], 22, 22);

	/* Disabled, yet validated and readable. */
	r = policy_rule_at(p, 4);
	assert_false(policy_rule_enabled(r));
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_UDP);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_names, 2);
	assert_string_equal(c->names[1], "wget");
	assert_prefix(&c->prefixes[0], AF_INET, 4, "224.0.0.0");
	policy_unref(p);
}

/* A policy of one network rule with the given fields after the common ones. */
static policy *net_policy(const char *fields)
{
	char *text = NULL;
	policy *p;

	assert_true(asprintf(&text,
			     "{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": "
			     "\"network\", \"title\": \"t\", \"severity\": \"low\", \"message\": "
			     "{\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, %s}]}",
			     fields) > 0);
	p = parse_ok(text);
	free(text);
	return p;
}

/* The prefixes of "address": value, in an outbound rule. */
static const struct policy_net_clause *address_clause(policy **p, const char *value)
{
	char *fields = NULL;

	assert_true(asprintf(&fields,
			     "\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			     "{\"address\": \"%s\"}",
			     value) > 0);
	*p = net_policy(fields);
	free(fields);
	return policy_rule_net_match(policy_rule_at(*p, 0));
}

static void test_network_keywords(void **state)
{
	const struct policy_net_clause *c;
	policy *p;

	c = address_clause(&p, "loopback");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "127.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 128, "::1");
	policy_unref(p);

	c = address_clause(&p, "private");
	assert_int_equal(c->n_prefixes, 4);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "10.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET, 12, "172.16.0.0");
	assert_prefix(&c->prefixes[2], AF_INET, 16, "192.168.0.0");
	assert_prefix(&c->prefixes[3], AF_INET6, 7, "fc00::");
	policy_unref(p);

	c = address_clause(&p, "link_local");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 16, "169.254.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 10, "fe80::");
	policy_unref(p);

	c = address_clause(&p, "multicast");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 4, "224.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 8, "ff00::");
	policy_unref(p);

	c = address_clause(&p, "any");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 0, "0.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 0, "::");
	policy_unref(p);
}

/*
 * "system_resolvers" has no prefixes of its own: the clause says it names
 * them, alone or beside prefixes, in match or except.
 */
static void test_network_system_resolvers(void **state)
{
	const struct policy_net_clause *c;
	policy *p;

	c = address_clause(&p, "system_resolvers");
	assert_int_equal(c->n_prefixes, 0);
	assert_true(c->system_resolvers);
	assert_true(policy_net_clause_has_address(c));
	assert_true(policy_net_uses_resolvers(p));
	policy_unref(p);

	c = address_clause(&p, "loopback");
	assert_false(c->system_resolvers);
	assert_false(policy_net_uses_resolvers(p));
	policy_unref(p);

	p = net_policy("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
		       "{\"port\": [53, 853]}, \"except\": [{\"address\": [\"10.0.0.0/8\", "
		       "\"system_resolvers\"]}]");
	c = policy_rule_net_match(policy_rule_at(p, 0));
	assert_false(c->system_resolvers);
	assert_false(policy_net_clause_has_address(c));
	c = policy_rule_net_except_at(policy_rule_at(p, 0), 0);
	assert_true(c->system_resolvers);
	assert_int_equal(c->n_prefixes, 1);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "10.0.0.0");
	assert_true(policy_net_uses_resolvers(p));
	policy_unref(p);

	/* A disabled rule does not make the policy use them. */
	p = net_policy("\"direction\": \"outbound\", \"effect\": \"deny\", \"enabled\": false, "
		       "\"match\": {\"address\": \"system_resolvers\"}");
	assert_false(policy_net_uses_resolvers(p));
	assert_true(policy_rule_net_uses_resolvers(policy_rule_at(p, 0)));
	policy_unref(p);

	expect_one_error("{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": "
			 "\"network\", \"title\": \"t\", \"severity\": \"low\", \"message\": "
			 "{\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, \"direction\": "
			 "\"outbound\", \"effect\": \"deny\", \"match\": {\"address\": "
			 "\"System-Resolvers\"}}]}",
			 1, 216, "/rules/0/match/address",
			 "unknown address keyword \"System-Resolvers\"; did you mean "
			 "\"system_resolvers\"?");
	expect_one_error("{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": "
			 "\"network\", \"title\": \"t\", \"severity\": \"low\", \"message\": "
			 "{\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, \"direction\": "
			 "\"outbound\", \"effect\": \"deny\", \"match\": {\"address\": "
			 "[\"system_resolvers\", \"system_resolvers\"]}}]}",
			 1, 237, "/rules/0/match/address/1",
			 "\"system_resolvers\" is listed twice in \"address\"");
}

static void test_network_addresses(void **state)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefixlen;
		const char *addr;
	} cases[] = {
		{ "192.0.2.7", AF_INET, 32, "192.0.2.7" },
		{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
		{ "0.0.0.0", AF_INET, 32, "0.0.0.0" },
		{ "::", AF_INET6, 128, "::" },
		{ "::1", AF_INET6, 128, "::1" },
		{ "fe80::/10", AF_INET6, 10, "fe80::" },
		{ "2001:DB8::/32", AF_INET6, 32, "2001:db8::" },
		{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1" },
		/* v4-mapped, in either notation, with the prefix length less 96. */
		{ "::ffff:127.0.0.1", AF_INET, 32, "127.0.0.1" },
		{ "::ffff:7f00:1", AF_INET, 32, "127.0.0.1" },
		{ "::ffff:10.0.0.0/104", AF_INET, 8, "10.0.0.0" },
		{ "::ffff:0:0/96", AF_INET, 0, "0.0.0.0" },
		/* Not v4-mapped: IPv4-compatible (deprecated) and NAT64 stay IPv6. */
		{ "::7f00:1", AF_INET6, 128, "::7f00:1" },
		{ "64:ff9b::/96", AF_INET6, 96, "64:ff9b::" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		policy *p;
		const struct policy_net_clause *c = address_clause(&p, cases[i].text);

		assert_int_equal(c->n_prefixes, 1);
		assert_prefix(&c->prefixes[0], cases[i].family, cases[i].prefixlen, cases[i].addr);
		policy_unref(p);
	}
}

static void test_network_ports(void **state)
{
	policy *p = net_policy("\"direction\": \"listen\", \"effect\": \"report\", \"match\": "
			       "{\"port\": [0, 65535, \"0-65535\", \"1024-2048\", \"7-7\"]}");
	const struct policy_net_clause *c = policy_rule_net_match(policy_rule_at(p, 0));

	assert_int_equal(c->n_ports, 5);
	assert_ports(&c->ports[0], 0, 0);
	assert_ports(&c->ports[1], 65535, 65535);
	assert_ports(&c->ports[2], 0, 65535);
	assert_ports(&c->ports[3], 1024, 2048);
	assert_ports(&c->ports[4], 7, 7);
	policy_unref(p);

	/* One port alone, not in an array. */
	p = net_policy("\"direction\": \"outbound\", \"effect\": \"report\", \"match\": "
		       "{\"port\": \"8000-8999\"}");
	c = policy_rule_net_match(policy_rule_at(p, 0));
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 8000, 8999);
	policy_unref(p);
}

/* Line and column of at in text, which is ASCII. */
static void position_of(const char *text, const char *at, unsigned *ret_line, unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	assert_non_null(at);
	for (const char *c = text; c < at; c++) {
		if (*c == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

/*
 * A policy of n network rules, one a line, "{...}" each with the common
 * fields and rule(i); rule(i) NULL: an outbound rule on all traffic.
 */
static char *net_rules_text(size_t n, const char *(*rule)(size_t i, char *buf, size_t size))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"id\": \"p\", \"serial\": 1, \"rules\": [\n");
	for (size_t i = 0; i < n; i++) {
		static char buf[16384];

		fprintf(f,
			"%s{\"id\": \"r%zu\", \"type\": \"network\", \"title\": \"t\", \"severity\": "
			"\"low\", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, "
			"%s}\n",
			i ? "," : "", i,
			rule ? rule(i, buf, sizeof(buf)) :
			       "\"direction\": \"outbound\", \"effect\": \"report\", \"match\": {}");
	}
	fprintf(f, "]}\n");
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Expects text to parse, or to fail with this one error at the n-th occurrence of needle. */
static void expect_limit(const char *text, const char *needle, size_t nth, const char *pointer,
			 const char *message)
{
	const char *at = text;
	unsigned line, column;

	if (!message) {
		policy_unref(parse_ok(text));
		return;
	}
	for (size_t i = 0; i <= nth; i++) {
		at = strstr(i ? at + 1 : at, needle);
		assert_non_null(at);
	}
	position_of(text, at, &line, &column);
	expect_one_error(text, line, column, pointer, message);
}

static const char *disabled_33rd(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "\"direction\": \"listen\", \"effect\": \"report\", \"match\": {}%s",
		 i == 32 ? ", \"enabled\": false" : "");
	return buf;
}

static const char *invalid_33rd(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "\"direction\": \"%s\", \"effect\": \"report\", \"match\": {}",
		 i == 32 ? "up" : "listen");
	return buf;
}

static void test_network_rule_limit(void **state)
{
	char *text;

	text = net_rules_text(POLICY_NET_RULES_MAX, NULL);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	text = net_rules_text(POLICY_NET_RULES_MAX + 1, NULL);
	expect_limit(text, "{\"id\": \"r32\"", 0, "/rules/32",
		     "more than 32 network rules are enabled; the kernel holds at most 32: merge "
		     "or disable some");
	free(text);

	/* A disabled rule does not count; a rule with errors says only what is wrong with it. */
	text = net_rules_text(POLICY_NET_RULES_MAX + 1, disabled_33rd);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);
	text = net_rules_text(POLICY_NET_RULES_MAX + 1, invalid_33rd);
	expect_limit(text, "\"up\"", 0, "/rules/32/direction",
		     "invalid direction \"up\"; expected one of: outbound, inbound, listen");
	free(text);
}

/* Rules of 16 clauses (match and 15 excepts); rule 4 has one more except. */
static const char *clauses_16(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {}, \"except\": [");

	for (size_t k = 0; k < 15 + (i == 4); k++)
		len += (size_t)snprintf(buf + len, size - len, "%s{\"port\": %zu}", k ? ", " : "",
					k);
	snprintf(buf + len, size - len, "]");
	return buf;
}

static void test_network_clause_limit(void **state)
{
	char *text;

	text = net_rules_text(POLICY_NET_CLAUSES_MAX / 16, clauses_16);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	/* Rules 0-3 hold 64; the 65th clause is rule 4's match. */
	text = net_rules_text(POLICY_NET_CLAUSES_MAX / 16 + 1, clauses_16);
	expect_limit(text, "{}", 4, "/rules/4/match",
		     "the enabled network rules have more than 64 clauses (\"match\" and "
		     "\"except\" together); the kernel holds at most 64");
	free(text);
}

/* Rule 0: 40 ranges and 100 single ports; rule 1: 25 ranges (24 without the last). */
static size_t n_ranges_rule_1;

static const char *ranges(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {\"port\": [");

	for (size_t k = 0; k < (i == 0 ? 40 : n_ranges_rule_1); k++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"%zu-%zu\"", k ? ", " : "",
					1000 + 10 * k + i * 1000, 1005 + 10 * k + i * 1000);
	for (size_t k = 0; i == 0 && k < 100; k++)
		len += (size_t)snprintf(buf + len, size - len, ", %zu", 10000 + k);
	/* first == last: a single port, as the kernel holds it. */
	snprintf(buf + len, size - len, ", \"%zu-%zu\"]}", 20000 + i, 20000 + i);
	return buf;
}

static void test_network_range_limit(void **state)
{
	char *text;

	n_ranges_rule_1 = POLICY_NET_RANGES_MAX - 40;
	text = net_rules_text(2, ranges);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	n_ranges_rule_1 = POLICY_NET_RANGES_MAX - 40 + 1;
	text = net_rules_text(2, ranges);
	expect_limit(text, "\"2240-2245\"", 0, "/rules/1/match/port/24",
		     "the enabled network rules have more than 64 port ranges; the kernel holds "
		     "at most 64 (single ports do not count)");
	free(text);
}

/* 700 distinct addresses a rule: 5 rules hold 3,500, a 6th crosses 4,096. */
static const char *addresses_700(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {\"address\": [");

	for (size_t k = 0; k < 700; k++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"10.%zu.%zu.%zu\"",
					k ? ", " : "", i, k / 256, k % 256);
	snprintf(buf + len, size - len, "]}");
	return buf;
}

/*
 * 5 rules of 700 addresses and one of 580 hold 4,080; with the resolvers
 * (16, counted once however many rules name them) 4,096; a rule of one
 * more address crosses.
 */
static const char *addresses_or_resolvers(size_t i, char *buf, size_t size)
{
	size_t len;

	if (i < 5)
		return addresses_700(i, buf, size);
	if (i == 6)
		return "\"direction\": \"outbound\", \"effect\": \"report\", \"match\": "
		       "{\"port\": 53}, \"except\": [{\"address\": \"system_resolvers\"}, "
		       "{\"address\": \"system_resolvers\", \"user\": 0}]";
	if (i == 7)
		return "\"direction\": \"outbound\", \"effect\": \"report\", \"match\": "
		       "{\"address\": \"192.0.2.1\"}";
	len = (size_t)snprintf(buf, size,
			       "\"direction\": \"outbound\", \"effect\": \"report\", "
			       "\"match\": {\"address\": [");
	for (size_t k = 0; k < 580; k++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"10.%zu.%zu.%zu\"",
					k ? ", " : "", i, k / 256, k % 256);
	snprintf(buf + len, size - len, "]}");
	return buf;
}

static void test_network_values_limit(void **state)
{
	char *text;

	text = net_rules_text(5, addresses_700);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	/* The system's resolvers count as POLICY_NET_RESOLVERS_MAX addresses, once. */
	text = net_rules_text(7, addresses_or_resolvers);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);
	text = net_rules_text(8, addresses_or_resolvers);
	expect_limit(text, "{\"address\": \"192.0.2.1\"", 0, "/rules/7/match",
		     "the enabled network rules have more than 4096 \"address\" values in all; "
		     "the kernel holds at most 4096 of each field: use wider prefixes or ranges, "
		     "or fewer rules");
	free(text);

	text = net_rules_text(6, addresses_700);
	expect_limit(text, "{\"address\"", 5, "/rules/5/match",
		     "the enabled network rules have more than 4096 \"address\" values in all; "
		     "the kernel holds at most 4096 of each field: use wider prefixes or ranges, "
		     "or fewer rules");
	free(text);
}

const struct CMUnitTest policy_parse_net_tests[] = {
	cmocka_unit_test(test_network_round_trip),
	cmocka_unit_test(test_network_keywords),
	cmocka_unit_test(test_network_system_resolvers),
	cmocka_unit_test(test_network_addresses),
	cmocka_unit_test(test_network_ports),
	cmocka_unit_test(test_network_rule_limit),
	cmocka_unit_test(test_network_clause_limit),
	cmocka_unit_test(test_network_range_limit),
	cmocka_unit_test(test_network_values_limit),
};
const size_t policy_parse_net_tests_n =
	sizeof(policy_parse_net_tests) / sizeof(policy_parse_net_tests[0]);
