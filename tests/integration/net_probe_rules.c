// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe: what reported connects carry (their outcome, an
 * inbound connection's listener), several rules at once, a new generation
 * replacing the old, a policy as the agent has it, and the default
 * attachment at the cgroup v2 root; net_probe.c has the suite.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../helpers/own_cgroup.h"

#include "net_probe.h"

/* Reported connects carry their outcome: established, or refused. */
static int test_outcomes(const void *arg)
{
	const enum probe_flavor *flavor = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), six = harness_addr_of("::1");
	struct policy_net_prefix pf[] = { prefix_of(&a), prefix_of(&six) };
	struct policy_net_port_range ports[2];
	struct policy_net_clause match = { .n_prefixes = 2, .prefixes = pf, .n_ports = 2 };
	struct probe_net_rule rule = { .direction = POLICY_NET_OUTBOUND,
				       .protocols = POLICY_NET_TCP,
				       .action = NET_ACTION_REPORT,
				       .match = &match };
	uint16_t open_port, closed_port;
	struct sweep_sum sum = {};
	int e;

	/* The classic tracepoint goes with the other fallback: what older kernels run. */
	TRY(fixture_setup_flavor(&f, false, *flavor, *flavor == PROBE_FLAVOR_TRACEPOINT));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &open_port));
	TRY(harness_free_port(&a, &closed_port));
	ports[0] = (struct policy_net_port_range){ open_port, open_port };
	ports[1] = (struct policy_net_port_range){ closed_port, closed_port };
	match.ports = ports;
	TRY(apply(&f, &rule, 1));
	/* Each connect, how it ends, and the outcome its record carries. */
	const struct {
		const struct harness_addr *to;
		uint16_t port;
		int err;
		uint8_t outcome;
	} calls[] = {
		{ &a, open_port, 0, EVENT_NET_OUTCOME_ESTABLISHED },
		{ &a, closed_port, ECONNREFUSED, EVENT_NET_OUTCOME_REFUSED },
		{ &six, closed_port, ECONNREFUSED, EVENT_NET_OUTCOME_REFUSED },
	};

	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		e = try_send(calls[i].to, calls[i].port, SOCK_STREAM, i == 0 ? &cfd : NULL);
		CHECK(e == calls[i].err, "connect to [%s]:%u ended with %s, not %s",
		      calls[i].to->text, calls[i].port, err_name(e), err_name(calls[i].err));
	}
	/* One program, one rule: the first connect is the record, the others count in its key. */
	TRY(expect_records(&f, 1, "three reported connects of one program"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = (uint8_t)calls[0].to->family,
					 .verdict = EVENT_NET_REPORTED,
					 .outcome = calls[0].outcome,
					 .addr = calls[0].to,
					 .port = calls[0].port }));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) == 1,
	      "the sweep should hand on one key, it handed on %u", sum.calls);
	CHECK(sum.total == 2 && sum.count[EVENT_NET_OUTCOME_REFUSED] == 2,
	      "the sweep should count 2 refused connects, it counted %llu (%llu refused)",
	      (unsigned long long)sum.total,
	      (unsigned long long)sum.count[EVENT_NET_OUTCOME_REFUSED]);
	/* Two ports, two addresses; each connect brought a new one, so each is a sample. */
	CHECK(sum.last_ports == 2 && sum.last_addrs == 2 && sum.last_attempts == 3 &&
		      sum.last_n_samples == 3,
	      "the key counts %u ports, %u addresses, %llu attempts, %zu samples; expected 2 2 3 3",
	      sum.last_ports, sum.last_addrs, (unsigned long long)sum.last_attempts,
	      sum.last_n_samples);
	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		const struct net_sample *smp = &sum.last_samples[i];

		CHECK(smp->family == calls[i].to->family && smp->port == calls[i].port &&
			      memcmp(smp->addr, calls[i].to->bytes,
				     calls[i].to->family == AF_INET ? 4 : 16) == 0,
		      "sample %zu is not [%s]:%u", i, calls[i].to->text, calls[i].port);
	}
	return 0;
}

/* An accepted connection, judged by the listener's owner without a process. */
static int test_inbound(const void *arg)
{
	const enum probe_flavor *flavor = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF, afd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), peer = harness_addr_of("127.0.0.1");
	struct sockaddr_in client;
	socklen_t len = sizeof(client);
	struct policy_net_port_range pr;
	struct policy_value root = { .text = "root" };
	struct policy_net_clause match = {
		.n_ports = 1, .ports = &pr, .n_users = 1, .users = &root
	};
	struct probe_net_rule rule = { .direction = POLICY_NET_INBOUND,
				       .protocols = POLICY_NET_TCP,
				       .action = NET_ACTION_REPORT,
				       .match = &match };
	uint16_t port;
	int e;

	TRY(fixture_setup_flavor(&f, false, *flavor, *flavor == PROBE_FLAVOR_TRACEPOINT));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	pr = (struct policy_net_port_range){ port, port };
	TRY(apply(&f, &rule, 1));
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect ended with %s", err_name(e));
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(afd >= 0, "accept: %m");
	TRY(expect_records(&f, 1, "one accepted connection"));
	/* The remote end is the connecting socket. */
	CHECK(getsockname(cfd, (struct sockaddr *)&client, &len) == 0, "getsockname: %m");
	memcpy(peer.bytes, &client.sin_addr, 4);
	inet_ntop(AF_INET, &client.sin_addr, peer.text, sizeof(peer.text));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_INBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_REPORTED,
					 .addr = &peer,
					 .port = ntohs(client.sin_port) }));
	CHECK(recs.ev[0].net.local_port == port &&
		      memcmp(recs.ev[0].net.local_addr, a.bytes, 4) == 0,
	      "inbound record local end %u, expected %s:%u", recs.ev[0].net.local_port, a.text,
	      port);
	return 0;
}

/* Of two rules that fire, a later deny wins over an earlier report rule. */
static int test_deny_wins(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct policy_net_prefix pf = prefix_of(&a);
	struct policy_net_clause report = { .n_prefixes = 1, .prefixes = &pf };
	struct one_rule deny;
	struct probe_net_rule rules[2];
	uint16_t open_port, denied;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &open_port));
	TRY(harness_free_port(&a, &denied));
	one_rule_init(&deny, &a, denied, NET_ACTION_DENY, POLICY_NET_TCP);
	rules[0] = (struct probe_net_rule){ .direction = POLICY_NET_OUTBOUND,
					    .protocols = POLICY_NET_TCP,
					    .action = NET_ACTION_REPORT,
					    .match = &report };
	rules[1] = deny.rule;
	TRY(apply(&f, rules, 2));
	e = try_send(&a, denied, SOCK_STREAM, NULL);
	CHECK(e == EPERM, "the deny rule should win over the report rule; connect ended with %s",
	      err_name(e));
	e = try_send(&a, open_port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "the reported connect ended with %s", err_name(e));
	TRY(expect_records(&f, 2, "a denied and a reported connect"));
	CHECK(recs.ev[0].net.rule == 1 && recs.ev[0].net.verdict == EVENT_NET_DENIED,
	      "the denied connect's record names rule %u, verdict %s", recs.ev[0].net.rule,
	      event_net_verdict_to_string(recs.ev[0].net.verdict));
	CHECK(recs.ev[1].net.rule == 0 && recs.ev[1].net.verdict == EVENT_NET_REPORTED,
	      "the reported connect's record names rule %u, verdict %s", recs.ev[1].net.rule,
	      event_net_verdict_to_string(recs.ev[1].net.verdict));
	return 0;
}

/* A new generation replaces the old one at once. */
static int test_generations(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule one, two;
	uint16_t p1, p2;
	uint32_t g1, g2;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &p1));
	TRY(harness_free_port(&a, &p2));
	CHECK(p1 != p2, "the kernel gave the same port twice");
	CHECK(probe_net_gen(f.p) == 0, "a new probe has generation %u", probe_net_gen(f.p));
	one_rule_init(&one, &a, p1, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &one.rule, 1));
	g1 = probe_net_gen(f.p);
	CHECK(try_send(&a, p1, SOCK_STREAM, NULL) == EPERM, "generation 1 does not deny port 1");
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == ECONNREFUSED,
	      "generation 1 should not deny port 2");
	one_rule_init(&two, &a, p2, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &two.rule, 1));
	g2 = probe_net_gen(f.p);
	CHECK(g2 != g1 && g2 != 0, "the generation did not change (%u, %u)", g1, g2);
	e = try_send(&a, p1, SOCK_STREAM, NULL);
	CHECK(e == ECONNREFUSED, "generation 2 should allow port 1, saw %s", err_name(e));
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == EPERM, "generation 2 does not deny port 2");
	TRY(expect_records(&f, 2, "one denied call per generation"));
	CHECK(recs.ev[0].net.gen == g1 && recs.ev[1].net.gen == g2,
	      "records carry generations %u and %u, expected %u and %u", recs.ev[0].net.gen,
	      recs.ev[1].net.gen, g1, g2);
	/* No rules: everything passes, and the kernel is told so. */
	TRY(apply(&f, NULL, 0));
	CHECK(probe_net_gen(f.p) == 0, "no rules should mean generation 0, saw %u",
	      probe_net_gen(f.p));
	CHECK(!probe_net_follows_tcp(f.p), "no rules, yet the TCP state tracepoint is attached");
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == ECONNREFUSED, "no rules, still denied");
	return 0;
}

/* A policy as the agent has it, through probe_net_apply_policy(). */
static int test_policy(const void *arg)
{
	static const char tmpl[] =
		"{ \"id\": \"net-it\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": ["
		"  { \"id\": \"report-port\", \"type\": \"network\", \"title\": \"t\","
		"    \"severity\": \"low\", \"direction\": \"outbound\", \"protocol\": \"tcp\","
		"    \"match\": { \"address\": \"loopback\", \"port\": @REPORT@ },"
		"    \"effect\": \"report\", \"message\": { \"en\": \"m\" },"
		"    \"remediation\": { \"en\": \"r\" } },"
		"  { \"id\": \"deny-range\", \"type\": \"network\", \"title\": \"t\","
		"    \"severity\": \"high\", \"direction\": \"outbound\","
		"    \"match\": { \"address\": \"@ADDR@/32\", \"port\": \"@FIRST@-@LAST@\" },"
		"    \"except\": [ { \"port\": @HOLE@ } ],"
		"    \"effect\": \"deny\", \"message\": { \"en\": \"m\" },"
		"    \"remediation\": { \"en\": \"r\" } } ] }";
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	policy_errors *errors = policy_errors_new();
	policy *pol = NULL;
	char report[8], first[8], last[8], hole[8];
	const policy_rule *rule;
	uint16_t lport, base;
	int r, e;

	CHECK(errors, "Out of memory");
	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &lport));
	TRY(harness_free_port(&a, &base));
	if (base > 65000)
		base = 40000;
	snprintf(report, sizeof(report), "%u", lport);
	snprintf(first, sizeof(first), "%u", base);
	snprintf(last, sizeof(last), "%u", base + 10);
	snprintf(hole, sizeof(hole), "%u", base + 5);
	text = harness_substitute(tmpl,
				  (const char *const[]){ "REPORT", report, "ADDR", a.text, "FIRST",
							 first, "LAST", last, "HOLE", hole, NULL });
	CHECK(text, "Out of memory");
	r = policy_parse("net-it.json", text, strlen(text), errors, &pol);
	if (r < 0) {
		for (size_t i = 0; i < policy_errors_count(errors); i++) {
			char *msg = NULL;

			if (policy_error_format(policy_errors_get(errors, i), &msg) == 0)
				harness_note("%s", msg);
			free(msg);
		}
		policy_errors_free(errors);
		return harness_fail("the test policy does not parse: %s", strerror(-r));
	}
	policy_errors_free(errors);
	r = probe_net_apply_policy(f.p, pol);
	policy_unref(pol);
	CHECK(r == 0, "probe_net_apply_policy: %s", strerror(-r));

	/* The range denies, but for its hole. */
	e = try_send(&a, (uint16_t)(base + 3), SOCK_STREAM, NULL);
	CHECK(e == EPERM, "port %u in the denied range ended with %s", base + 3, err_name(e));
	e = try_send(&a, (uint16_t)(base + 5), SOCK_DGRAM, NULL);
	CHECK(e == 0, "port %u (the except) ended with %s", base + 5, err_name(e));
	e = try_send(&a, (uint16_t)(base + 10), SOCK_DGRAM, NULL);
	CHECK(e == EPERM, "port %u (the range's last) ended with %s", base + 10, err_name(e));
	e = try_send(&a, (uint16_t)(base + 11), SOCK_DGRAM, NULL);
	CHECK(e == 0, "port %u (past the range) ended with %s", base + 11, err_name(e));
	e = try_send(&a, lport, SOCK_STREAM, &cfd);
	CHECK(e == 0, "the reported connect ended with %s", err_name(e));
	TRY(expect_records(&f, 3, "two denied calls and one reported connect"));
	CHECK(recs.ev[0].net.rule == 1 && recs.ev[1].net.rule == 1 && recs.ev[2].net.rule == 0,
	      "records name rules %u %u %u, expected 1 1 0", recs.ev[0].net.rule,
	      recs.ev[1].net.rule, recs.ev[2].net.rule);
	rule = probe_net_rule_of(f.p, recs.ev[0].net.gen, recs.ev[0].net.rule);
	CHECK(rule && strcmp(policy_rule_id(rule), "deny-range") == 0,
	      "probe_net_rule_of() does not find the rule \"deny-range\"");
	rule = probe_net_rule_of(f.p, recs.ev[2].net.gen, recs.ev[2].net.rule);
	CHECK(rule && strcmp(policy_rule_id(rule), "report-port") == 0,
	      "probe_net_rule_of() does not find the rule \"report-port\"");
	CHECK(recs.ev[2].net.outcome == EVENT_NET_OUTCOME_ESTABLISHED,
	      "the reported connect's outcome is %s",
	      event_net_outcome_to_string(recs.ev[2].net.outcome));
	return 0;
}

/* The default attachment: the cgroup v2 root (a report rule only: others run tests here). */
static int test_root(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;

	TRY(fixture_setup(&f, true));
	CHECK(strcmp(probe_net_cgroup(f.p), own_cgroup_root()) == 0,
	      "the probe attached to %s, the cgroup v2 root is %s", probe_net_cgroup(f.p),
	      own_cgroup_root());
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(try_send(&a, port, SOCK_DGRAM, NULL) == 0, "a reported datagram was not sent");
	TRY(expect_records(&f, 1, "a datagram from a cgroup below the root"));
	return 0;
}

#define FLAVOR(f) (&(const enum probe_flavor){ f })

static const struct harness_test tests[] = {
	HARNESS_TEST("outcome_established_refused/tp_btf", test_outcomes,
		     FLAVOR(PROBE_FLAVOR_TP_BTF)),
	HARNESS_TEST("outcome_established_refused/tracepoint", test_outcomes,
		     FLAVOR(PROBE_FLAVOR_TRACEPOINT)),
	HARNESS_TEST("inbound_accept_reported/tp_btf", test_inbound, FLAVOR(PROBE_FLAVOR_TP_BTF)),
	HARNESS_TEST("inbound_accept_reported/tracepoint", test_inbound,
		     FLAVOR(PROBE_FLAVOR_TRACEPOINT)),
	HARNESS_TEST("deny_wins_over_earlier_report", test_deny_wins, NULL),
	HARNESS_TEST("generation_switch", test_generations, NULL),
	HARNESS_TEST("policy_applied", test_policy, NULL),
	HARNESS_TEST("attach_at_cgroup_root", test_root, NULL),
};

HARNESS_TABLE(net_probe_rules_table, tests);
