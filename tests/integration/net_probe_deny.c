// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe: denied calls of each family and protocol, the one
 * record the first makes, the repeats the kernel counts and the sweeps hand
 * on, and its counters (net_probe.c has the suite).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_probe.h"

struct deny_case {
	const char *addr; /* NULL: a random 127.0.0.x */
	int type; /* SOCK_STREAM, SOCK_DGRAM */
	const char *connect_to; /* the address connected to, when not addr (v4-mapped) */
};

/*
 * What the deny tests of one case share: the probe in our cgroup with one
 * enforce rule on a port nobody uses, and the calls made so far (each step
 * once, so a test that needs an earlier one's calls makes them itself).
 */
static struct deny {
	const struct deny_case *c;
	struct fixture f;
	struct harness_addr a, to;
	uint8_t proto;
	struct one_rule o;
	uint16_t port;
	bool first_done, repeats_done;
} dn;

static int deny_setup(const void *arg)
{
	const struct deny_case *c = arg;

	dn = (struct deny){ .c = c };
	dn.a = c->addr ? harness_addr_of(c->addr) : harness_loopback4_random();
	dn.proto = c->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	TRY(fixture_setup(&dn.f, false));
	TRY(harness_free_port(&dn.a, &dn.port));
	one_rule_init(&dn.o, &dn.a, dn.port, NET_ACTION_DENY,
		      c->type == SOCK_STREAM ? POLICY_NET_TCP : POLICY_NET_UDP);
	TRY(apply(&dn.f, &dn.o.rule, 1));
	dn.to = dn.a;
	if (c->connect_to) {
		char mapped[64];

		/* ::ffff:127.0.0.x for the random address. */
		snprintf(mapped, sizeof(mapped), "::ffff:%s", dn.a.text);
		dn.to = harness_addr_of(mapped);
	}
	return 0;
}

static int deny_teardown(const void *arg)
{
	fixture_teardown(&dn.f);
	return 0;
}

/* The first call fails with EPERM, and makes one record. */
static int deny_first(void)
{
	int e;

	if (dn.first_done)
		return 0;
	e = try_send(&dn.to, dn.port, dn.c->type, NULL);
	CHECK(e == EPERM, "%s to [%s]:%u should fail with EPERM, it ended with %s",
	      dn.c->type == SOCK_STREAM ? "connect" : "sendto", dn.to.text, dn.port, err_name(e));
	TRY(expect_records(&dn.f, 1, "one denied call"));
	TRY(check_record(&dn.f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = dn.proto,
					 .family = (uint8_t)dn.a.family,
					 .verdict = EVENT_NET_DENIED,
					 .outcome = EVENT_NET_OUTCOME_NONE,
					 .rule = 0,
					 .addr = &dn.a,
					 .port = dn.port,
					 .v4mapped = dn.c->connect_to != NULL }));
	dn.first_done = true;
	return 0;
}

/* Twice more: denied, counted, no record; the sweep hands the 2 on as one key. */
static int deny_repeats(void)
{
	struct sweep_sum sum = {};
	int e;

	if (dn.repeats_done)
		return 0;
	TRY(deny_first());
	for (int i = 0; i < 2; i++) {
		e = try_send(&dn.to, dn.port, dn.c->type, NULL);
		CHECK(e == EPERM, "a repeated call should fail with EPERM too, it ended with %s",
		      err_name(e));
	}
	TRY(expect_records(&dn.f, 1, "repeats of a denied call"));
	CHECK(probe_net_sweep(dn.f.p, UINT64_MAX / 2, on_delta, &sum) == 1,
	      "the sweep should hand on one key, it handed on %u", sum.calls);
	CHECK(sum.total == 2 && sum.count[EVENT_NET_OUTCOME_NONE] == 2,
	      "the sweep should count the 2 repeats, it counted %llu",
	      (unsigned long long)sum.total);
	CHECK(sum.last_key.verdict == EVENT_NET_DENIED && sum.last_key.tgid == (uint32_t)getpid() &&
		      sum.last_n_samples == 1 && sum.last_samples[0].port == dn.port &&
		      sum.last_ports == 1 && sum.last_addrs == 1 && sum.last_attempts == 3,
	      "the swept key is not the denied call's");
	dn.repeats_done = true;
	return 0;
}

static int test_deny_no_tcp_state(const void *arg)
{
	CHECK(!probe_net_follows_tcp(dn.f.p),
	      "deny rules alone should not need the TCP state tracepoint attached");
	return 0;
}

static int test_deny_first(const void *arg)
{
	return deny_first();
}

static int test_deny_repeats(const void *arg)
{
	return deny_repeats();
}

/* Nothing new since the last sweep: nothing handed on. */
static int test_deny_idle_sweep(const void *arg)
{
	struct sweep_sum sum = {};

	TRY(deny_repeats());
	CHECK(probe_net_sweep(dn.f.p, UINT64_MAX / 2, on_delta, &sum) == 0 && sum.calls == 0,
	      "a second sweep without new events handed on %u keys", sum.calls);
	return 0;
}

/* The kernel's counters: 3 denied, 1 sent, 2 aggregated, none lost. */
static int test_deny_stats(const void *arg)
{
	uint64_t st[_NET_STAT_MAX];

	TRY(deny_repeats());
	TRY(stats(&dn.f, st));
	CHECK(st[NET_STAT_DENIED] == 3 && st[NET_STAT_SENT] == 1 && st[NET_STAT_AGGREGATED] == 2 &&
		      st[NET_STAT_LOST] == 0,
	      "stats: denied %llu sent %llu aggregated %llu lost %llu; expected 3 1 2 0",
	      (unsigned long long)st[NET_STAT_DENIED], (unsigned long long)st[NET_STAT_SENT],
	      (unsigned long long)st[NET_STAT_AGGREGATED], (unsigned long long)st[NET_STAT_LOST]);
	return 0;
}

#define DENY_CASE(...) (&(const struct deny_case){ __VA_ARGS__ })

static const struct harness_fixture deny_fixtures[] = {
	{ "deny_connect_ipv4", deny_setup, deny_teardown, DENY_CASE(.type = SOCK_STREAM) },
	{ "deny_connect_ipv6_loopback", deny_setup, deny_teardown,
	  DENY_CASE(.addr = "::1", .type = SOCK_STREAM) },
	{ "deny_connect_v4mapped_as_ipv4", deny_setup, deny_teardown,
	  DENY_CASE(.type = SOCK_STREAM, .connect_to = "v4mapped") },
	{ "deny_udp_sendto_ipv4", deny_setup, deny_teardown, DENY_CASE(.type = SOCK_DGRAM) },
	{ "deny_udp_sendto_ipv6_loopback", deny_setup, deny_teardown,
	  DENY_CASE(.addr = "::1", .type = SOCK_DGRAM) },
};

/* The tests of one deny fixture, each doing the steps before it that it needs. */
#define DENY_TESTS(name, fx)                                                                      \
	HARNESS_FIXTURE_TEST(name "/needs_no_tcp_state", test_deny_no_tcp_state, NULL, fx),       \
		HARNESS_FIXTURE_TEST(name "/denied_with_one_record", test_deny_first, NULL, fx),  \
		HARNESS_FIXTURE_TEST(name "/repeats_swept_not_recorded", test_deny_repeats, NULL, \
				     fx),                                                         \
		HARNESS_FIXTURE_TEST(name "/idle_sweep_hands_on_nothing", test_deny_idle_sweep,   \
				     NULL, fx),                                                   \
		HARNESS_FIXTURE_TEST(name "/kernel_stats_count_each_call", test_deny_stats, NULL, \
				     fx)

static const struct harness_test tests[] = {
	DENY_TESTS("deny_connect_ipv4", &deny_fixtures[0]),
	DENY_TESTS("deny_connect_ipv6_loopback", &deny_fixtures[1]),
	DENY_TESTS("deny_connect_v4mapped_as_ipv4", &deny_fixtures[2]),
	DENY_TESTS("deny_udp_sendto_ipv4", &deny_fixtures[3]),
	DENY_TESTS("deny_udp_sendto_ipv6_loopback", &deny_fixtures[4]),
};

HARNESS_TABLE(net_probe_deny_table, tests);
