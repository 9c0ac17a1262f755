/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the net_probe suite share (net_probe.c has them): the
 * records the probe hands over and the sweeps' deltas, the test's own cgroup
 * with the probe attached to it, calls made from this process, and what a
 * record must say.  One binary, build/tests/integration/net_probe, runs the
 * tables of net_probe_deny.c, net_probe_match.c, net_probe_rules.c and
 * net_probe_storm.c and net_probe_attack.c, in that order.
 */
#ifndef POSTURED_TESTS_NET_PROBE_H
#define POSTURED_TESTS_NET_PROBE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"
#include "postured/decode.h"
#include "postured/probe_net.h"

#define CHILD_TIMEOUT_MS 5000
/* The denied storm's calls (net_probe_storm.c); the most records a test keeps are as many and room. */
#define STORM_DENIED 50000
#define RECORDS_MAX  (STORM_DENIED + 1024)

/* --- records and sweeps ----------------------------------------------------------- */

/* The network records the probe handed over since the last recs_clear(), decoded. */
struct recs {
	struct decoded_event *ev;
	size_t n, cap;
	unsigned malformed, overflow;
};

extern struct recs recs;

void recs_clear(void);

/* What sweeps handed on, added up over all of them (on_delta() is their callback). */
struct sweep_sum {
	unsigned calls, removed, stale;
	uint64_t count[_EVENT_NET_OUTCOME_MAX];
	uint64_t total;
	struct net_agg_key last_key;
	/* The last delta's account of its key's whole life: destinations, samples[0]. */
	uint64_t last_attempts;
	uint32_t last_ports, last_addrs;
	size_t last_n_samples;
	struct net_sample last_samples[NET_SAMPLES_MAX];
	bool last_partial;
};

int on_delta(void *userdata, const struct probe_net_delta *d);

/* --- the test's own cgroup, and the probe ----------------------------------------- */

struct fixture {
	probe_net *p;
	char cg[PATH_MAX]; /* our cgroup, "" when none */
	char home[2 * PATH_MAX]; /* the cgroup we came from */
};

/*
 * Moves us into a new cgroup of our own and attaches the probe to it (or to
 * the root).  flavor: the TCP state tracepoint's; probe_read: the
 * kernel-reading fallback for the calling task (older kernels), else BTF
 * where this kernel allows it.
 */
int fixture_setup_flavor(struct fixture *f, bool at_root, enum probe_flavor flavor,
			 bool probe_read);
int fixture_setup(struct fixture *f, bool at_root);

/* Detaches the probe and leaves the cgroup; a zeroed f is fine. */
void fixture_teardown(struct fixture *f);

#define _cleanup_fixture_ _cleanup_(fixture_teardown)

/* The probe's kernel counters, its ring drained into recs, rules applied: 0, or the test fails. */
int stats(struct fixture *f, uint64_t s[_NET_STAT_MAX]);
int drain(struct fixture *f);
int apply(struct fixture *f, const struct probe_net_rule *rules, size_t n);

/* --- addresses, ports, sockets ---------------------------------------------------- */

struct policy_net_prefix prefix_of(const struct harness_addr *a);

/* connect() (TCP) or sendto() (UDP) from this process; returns 0 or the errno. */
int try_send(const struct harness_addr *a, uint16_t port, int type, int *ret_fd);

/* bind() from this process; returns 0 or the errno. */
int try_bind(const struct harness_addr *a, uint16_t port);

/* Runs the net_connect helper at path; returns its exit status, -1 on failure. */
int run_helper(const char *path, const char *what, const struct harness_addr *a, uint16_t port,
	       const struct harness_child_opts *co, pid_t *ret_pid);

/* strerror(), and "success" for 0. */
const char *err_name(int e);

/* --- checking records ------------------------------------------------------------- */

struct want {
	uint8_t direction, protocol, family, verdict, outcome, rule;
	const struct harness_addr *addr; /* remote (outbound, inbound) or local (listen) */
	uint16_t port;
	pid_t pid; /* 0: any */
	const char *exe; /* NULL: ours */
	uint32_t uid;
	bool v4mapped;
};

/* Record i since the last recs_clear() must be what w says, of f's generation in force. */
int check_record(const struct fixture *f, size_t i, const struct want *w);

/* Exactly n records since the last recs_clear(), after a drain. */
int expect_records(struct fixture *f, size_t n, const char *what);

/* --- rules ------------------------------------------------------------------------ */

/* One rule: outbound, to a.b.c.d:port, both protocols unless said. */
struct one_rule {
	struct policy_net_prefix prefix;
	struct policy_net_port_range port;
	struct policy_net_clause match;
	struct probe_net_rule rule;
};

void one_rule_init(struct one_rule *o, const struct harness_addr *a, uint16_t port,
		   enum net_action action, unsigned protocols);

/* --- the tables, in the order they run -------------------------------------------- */

extern const struct harness_table net_probe_deny_table, net_probe_match_table,
	net_probe_rules_table, net_probe_storm_table, net_probe_attack_table;

#endif
