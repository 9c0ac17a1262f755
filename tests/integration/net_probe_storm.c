// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe under load: more keys than the aggregation map holds,
 * and storms of 50,000 calls of one key, every one accounted for in
 * records, sweep deltas or the lost count; net_probe.c has the suite.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_probe.h"

#define STORM_CONNECTED 50000
/* Sweeps during a storm, so deltas add up over several of them. */
#define STORM_SWEEPS 5

/*
 * More keys than the aggregation map holds: keys are (program, rule,
 * verdict), so one process each; one record for each event past the map's
 * room, none lost.
 */
static int test_agg_full(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct policy_net_prefix pf = prefix_of(&a);
	struct policy_net_port_range ports = { 20000, 20000 };
	struct policy_net_clause match = {
		.n_prefixes = 1, .prefixes = &pf, .n_ports = 1, .ports = &ports
	};
	struct probe_net_rule rule = { .direction = POLICY_NET_OUTBOUND,
				       .protocols = POLICY_NET_UDP,
				       .action = NET_ACTION_DENY,
				       .match = &match };
	const unsigned keys = NET_AGG_ENTRIES + 20, repeats = 50;
	struct sweep_sum sum = {};
	uint64_t st[_NET_STAT_MAX], in_records = 0;
	size_t not_aggregated = 0;

	TRY(fixture_setup(&f, false));
	TRY(apply(&f, &rule, 1));
	/* Each in a process of its own; the last one again and again. */
	for (unsigned i = 0; i < keys; i++) {
		unsigned n = i == keys - 1 ? 1 + repeats : 1;
		int status;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork: %m");
		if (pid == 0) {
			for (unsigned j = 0; j < n; j++)
				if (try_send(&a, ports.first, SOCK_DGRAM, NULL) != EPERM)
					_exit(1);
			_exit(0);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0,
		      "process %u's sendto was not denied", i);
		if (i % 200 == 199)
			TRY(drain(&f));
	}
	TRY(drain(&f));
	CHECK(probe_net_sweep(f.p, 0, on_delta, &sum) >= 0, "the sweep failed");
	TRY(stats(&f, st));
	for (size_t i = 0; i < recs.n; i++) {
		in_records += recs.ev[i].net.count;
		not_aggregated += recs.ev[i].net.not_aggregated;
	}
	harness_note("%u keys, %u repeats: %zu records (%zu not aggregated), %llu in deltas, "
		     "%llu lost",
		     keys, repeats, recs.n, not_aggregated, (unsigned long long)sum.total,
		     (unsigned long long)st[NET_STAT_LOST]);
	CHECK(st[NET_STAT_LOST] == 0, "%llu records lost", (unsigned long long)st[NET_STAT_LOST]);
	CHECK(recs.n == keys + repeats && sum.total == 0,
	      "expected %u records and no deltas, saw %zu records and %llu in deltas",
	      keys + repeats, recs.n, (unsigned long long)sum.total);
	CHECK(not_aggregated == keys + repeats - NET_AGG_ENTRIES,
	      "%zu records say the map was full, expected %u", not_aggregated,
	      keys + repeats - NET_AGG_ENTRIES);
	CHECK(in_records == keys + repeats, "records count %llu events, expected %u",
	      (unsigned long long)in_records, keys + repeats);
	CHECK(sum.removed == NET_AGG_ENTRIES && probe_net_live_keys(f.p) == 0,
	      "the idle sweep removed %u keys (expected %u), %zu left", sum.removed,
	      NET_AGG_ENTRIES, probe_net_live_keys(f.p));
	return 0;
}

struct storm_case {
	unsigned n;
	bool connected; /* reported, established connections; else denied connects */
};

/* Many events of one key: every one accounted for, exactly. */
static int test_storm(const void *arg)
{
	const struct storm_case *c = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sweep_sum sum = {};
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX], outcome_total, in_records = 0;
	unsigned outcome = c->connected ? EVENT_NET_OUTCOME_ESTABLISHED : EVENT_NET_OUTCOME_NONE;
	uint16_t port;
	int64_t begin;

	TRY(fixture_setup(&f, false));
	if (c->connected)
		TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	else
		TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, c->connected ? NET_ACTION_REPORT : NET_ACTION_DENY,
		      POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	begin = harness_now_ms();
	for (unsigned i = 0; i < c->n; i++) {
		int cfd = -1, e = try_send(&a, port, SOCK_STREAM, c->connected ? &cfd : NULL);

		if (c->connected) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			int afd;

			CHECK(e == 0, "connection %u ended with %s", i, err_name(e));
			afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			CHECK(afd >= 0, "accept %u: %m", i);
			/* A reset, not TIME_WAIT: the storm must not run out of ports. */
			(void)setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(cfd);
			close(afd);
		} else {
			CHECK(e == EPERM, "connect %u ended with %s", i, err_name(e));
		}
		if ((i + 1) % (c->n / STORM_SWEEPS) == 0) {
			TRY(drain(&f));
			CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) >= 0,
			      "a sweep failed");
		}
	}
	TRY(drain(&f));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) >= 0, "the last sweep failed");
	CHECK(probe_net_live_keys(f.p) == 1, "after the storm one key should be live, not %zu",
	      probe_net_live_keys(f.p));
	/* Idle from the start of the storm: removed, with its last counts. */
	CHECK(probe_net_sweep(f.p, 0, on_delta, &sum) >= 0, "the removing sweep failed");
	CHECK(probe_net_live_keys(f.p) == 0, "%zu keys are live after the removing sweep",
	      probe_net_live_keys(f.p));
	TRY(stats(&f, st));
	for (size_t i = 0; i < recs.n; i++) {
		CHECK(recs.ev[i].net.outcome == outcome, "record %zu has outcome %s", i,
		      event_net_outcome_to_string(recs.ev[i].net.outcome));
		in_records += recs.ev[i].net.count;
	}
	outcome_total = sum.count[outcome];
	harness_note("%u %s in %.2f s: %llu in records, %llu in %u sweep deltas, %llu lost; "
		     "stats sent %llu aggregated %llu denied %llu",
		     c->n, c->connected ? "connections" : "denied connects",
		     (double)(harness_now_ms() - begin) / 1000.0, (unsigned long long)in_records,
		     (unsigned long long)sum.total, sum.calls,
		     (unsigned long long)st[NET_STAT_LOST], (unsigned long long)st[NET_STAT_SENT],
		     (unsigned long long)st[NET_STAT_AGGREGATED],
		     (unsigned long long)st[NET_STAT_DENIED]);
	CHECK(sum.total == outcome_total, "deltas of another outcome: %llu of %llu",
	      (unsigned long long)(sum.total - outcome_total), (unsigned long long)sum.total);
	CHECK(in_records + sum.total + st[NET_STAT_LOST] == c->n,
	      "records (%llu) + deltas (%llu) + lost (%llu) = %llu, expected %u",
	      (unsigned long long)in_records, (unsigned long long)sum.total,
	      (unsigned long long)st[NET_STAT_LOST],
	      (unsigned long long)(in_records + sum.total + st[NET_STAT_LOST]), c->n);
	CHECK(st[NET_STAT_SENT] == in_records && st[NET_STAT_AGGREGATED] == sum.total,
	      "the kernel's stats (sent %llu, aggregated %llu) disagree with what arrived",
	      (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_AGGREGATED]);
	if (!c->connected)
		CHECK(st[NET_STAT_DENIED] == c->n, "denied %llu of %u",
		      (unsigned long long)st[NET_STAT_DENIED], c->n);
	CHECK(sum.removed == 1, "the idle key should have been removed once, %u times",
	      sum.removed);
	return 0;
}

#define STORM_CASE(...) (&(const struct storm_case){ __VA_ARGS__ })

static const struct harness_test tests[] = {
	HARNESS_TEST("aggregation_map_full", test_agg_full, NULL),
	HARNESS_TEST("storm_50000_denied", test_storm, STORM_CASE(.n = STORM_DENIED)),
	HARNESS_TEST("storm_50000_established", test_storm,
		     STORM_CASE(.n = STORM_CONNECTED, .connected = true)),
};

HARNESS_TABLE(net_probe_storm_table, tests);
