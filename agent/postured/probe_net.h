/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The network probe (probes/net.bpf.c): loads the programs, attaches the
 * cgroup sock_addr hooks (connect, UDP sendmsg, bind; IPv4 and IPv6) to the
 * cgroup v2 root and, while rules need it, the TCP state tracepoint (see
 * probe_net_follows_tcp()), compiles the policy's network rules into the
 * kernel's maps, exposes the ring buffer for the event loop, and sweeps the
 * counts the kernel aggregates.
 *
 * Every link is held by this process only: they go when it exits, whatever
 * way it exits, and with them every rule the kernel was enforcing.
 */
#ifndef POSTURED_PROBE_NET_H
#define POSTURED_PROBE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "probes/events.h"
#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "policy.h"
#include "probe_process.h"

struct probe_net_config {
	/*
	 * The cgroup v2 directory the sock_addr programs are attached to; NULL
	 * picks the root: /sys/fs/cgroup/unified when that is cgroup2 (hybrid
	 * hierarchy), else /sys/fs/cgroup when that is.
	 */
	const char *cgroup_path;
	/* The TCP state tracepoint: tp_btf where the kernel has it (AUTO), else classic. */
	enum probe_flavor flavor;
	/*
	 * Read the calling task with bpf_probe_read_kernel() even where the
	 * kernel lets cgroup programs walk it through BTF (the fallback of
	 * older kernels; for tests).
	 */
	bool task_probe_read;
	/*
	 * Records are rare (first events only), so the default wakes the
	 * consumer for each.  EVENT_WAKEUP_BATCHED needs a consumer that drains
	 * on a timer of its own and announces it with probe_net_set_deadline(),
	 * as the process probe's does; otherwise a record may wait for the next.
	 */
	enum event_wakeup_mode wakeup_mode;
	uint32_t ring_bytes; /* a power of two, at least a page */
	uint32_t wakeup_bytes; /* fill level that wakes the consumer at once */
	uint32_t wakeup_latency_ms; /* how long a record may wait for its batch */
};

#define PROBE_NET_CONFIG_DEFAULT                                      \
	((struct probe_net_config){ .cgroup_path = NULL,              \
				    .flavor = PROBE_FLAVOR_AUTO,      \
				    .wakeup_mode = EVENT_WAKEUP_EACH, \
				    .ring_bytes = 1U << 20,           \
				    .wakeup_bytes = 64U << 10,        \
				    .wakeup_latency_ms = 50 })

/*
 * A TCP connect still without outcome after this long is counted as outcome
 * unknown: longer than Linux's default SYN retries take (about 127 s), so
 * what is given up on is a connect that failed before its handshake (no
 * route, the VPN down), which leaves no state change to follow.
 */
#define PROBE_NET_PENDING_STALE_NSEC (150ULL * NSEC_PER_SEC)

/* Called for each record (decode it with decode_event()); returns 0, or < 0 to stop the drain. */
typedef int (*probe_net_sample_fn)(void *userdata, const void *data, size_t size);

typedef struct probe_net probe_net;

probe_net *probe_net_free(probe_net *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(probe_net *, probe_net_free);

/*
 * Loads the probe and attaches it.  Until rules are applied every hook lets
 * everything through at once.  Logs the reason and returns -errno on failure;
 * nothing stays attached then.
 */
int probe_net_new(const struct probe_net_config *cfg, probe_net_sample_fn fn, void *userdata,
		  probe_net **ret);

/*
 * Detaches every program (attach false: all traffic passes and nothing is
 * seen, as if the probe were not loaded) or attaches them again; the rules,
 * the aggregated counts and the ring stay.  Returns 0 or -errno (logged;
 * nothing is attached then).
 */
int probe_net_attach(probe_net *p, bool attach);

/* The flavour of the TCP state tracepoint in use (tp_btf or tracepoint). */
enum probe_flavor probe_net_flavor(probe_net *p);

/* The cgroup directory the programs are attached to. */
const char *probe_net_cgroup(probe_net *p);

/* An fd that polls readable when records are waiting. */
int probe_net_fd(probe_net *p);

/* Hands every waiting record to the callback.  Returns how many, or -errno. */
int probe_net_drain(probe_net *p);

/* As probe_process_set_deadline(): records until then need not wake the consumer. */
void probe_net_set_deadline(probe_net *p, nsec_t deadline);

/* Sums the per-CPU counters into ret[_NET_STAT_MAX] (enum net_stat). */
int probe_net_stats(probe_net *p, uint64_t *ret);

/*
 * One network rule as the kernel takes it.  The policy's rules are turned
 * into these by probe_net_apply_policy(); tests and benches may build them
 * by hand.
 */
struct probe_net_rule {
	enum policy_net_direction direction;
	unsigned protocols; /* POLICY_NET_TCP | POLICY_NET_UDP */
	enum net_action action; /* NET_ACTION_DENY: deny rules in enforce mode only */
	const struct policy_net_clause *match;
	size_t n_except;
	const struct policy_net_clause *const *except;
};

/*
 * Compiles rules[0..n) (index = the rule number records carry) into a new
 * generation of the kernel's maps and switches to it with one store; until
 * then the kernel keeps judging by the previous one.  Executable paths are
 * resolved to (device, inode) with stat(2) and user names to uids with
 * getpwnam_r(3) now: a path or user that does not exist matches nothing (it
 * is logged at notice level).  Returns 0, -E2BIG when the rules exceed a
 * limit of events.h (rules, clauses, port ranges, map entries), -EINVAL for
 * a malformed rule, or -errno from the kernel.  n == 0 removes every rule.
 */
int probe_net_apply_rules(probe_net *p, const struct probe_net_rule *rules, size_t n);

/*
 * The same for the enabled network rules of pol (policy_net_rule_at()): a
 * deny rule denies in enforce mode and reports in monitor mode.  Keeps a
 * reference to pol, and to the one before it, for probe_net_rule_of().
 */
int probe_net_apply_policy(probe_net *p, const policy *pol);

/*
 * The system's resolvers that clauses naming "system_resolvers" stand for
 * in the rules applied from now on (NULL: none known; such an address
 * field then matches nothing).  Copied.  Apply the rules again for the
 * kernel to follow.
 */
void probe_net_set_resolvers(probe_net *p, const struct policy_net_resolvers *r);

/*
 * Whether the TCP state tracepoint is attached: only while a rule needs it
 * (reported outbound TCP connects, inbound rules); it runs for every TCP
 * state change on the machine.
 */
bool probe_net_follows_tcp(probe_net *p);

/*
 * The programs attached now and their links (those the rules need come and
 * go), at most max of them, into out (the fds stay the probe's).  Returns
 * how many.
 */
size_t probe_net_links(probe_net *p, struct probe_link *out, size_t max);

/*
 * Whether a UDP connect() a rule reports is counted at the socket's first
 * send (the kernel has the sock/sock_send_length tracepoint, Linux 6.4), not
 * at the connect.
 */
bool probe_net_waits_udp_send(probe_net *p);

/*
 * Exempts process pid from every network rule (on), or ends that (off): the
 * agent's own sender, whose way to the collector no rule may cut.  At most
 * NET_EXEMPT_MAX at once; -E2BIG past that.
 */
int probe_net_exempt(probe_net *p, pid_t pid, bool on);

/* The generation in force (0 before any rule was applied or after none was). */
uint32_t probe_net_gen(probe_net *p);

/*
 * The policy rule a record or delta names by (gen, rule), while gen is the
 * generation in force or the one before; NULL otherwise or for rules applied
 * with probe_net_apply_rules().
 */
const policy_rule *probe_net_rule_of(probe_net *p, uint32_t gen, unsigned rule);

/*
 * What a sweep hands on for one aggregation key: the events counted since
 * the previous sweep, by outcome (index enum event_net_outcome).
 */
struct probe_net_delta {
	const struct net_agg_key *key;
	uint64_t count[_EVENT_NET_OUTCOME_MAX];
	uint64_t total;
	nsec_t first_boot, last_boot; /* CLOCK_BOOTTIME of the key's first and latest event */
	bool removed; /* the key was idle and is gone: a next event makes a new record */
	bool stale; /* a TCP connect given up on after PROBE_NET_PENDING_STALE_NSEC */
	/*
	 * The key's whole life so far, not only this delta: events (the
	 * recorded one included), distinct ports and addresses, and the first
	 * destinations (samples[0] is the recorded event's; n_samples of them,
	 * at most NET_SAMPLES_MAX).  scan_partial: the kernel ran out of room
	 * to tell new ports and addresses, so there may be more.
	 */
	uint64_t attempts;
	uint32_t ports, addrs;
	bool scan_partial;
	size_t n_samples;
	const struct net_sample *samples;
};

typedef int (*probe_net_sweep_fn)(void *userdata, const struct probe_net_delta *d);

/*
 * Walks the aggregation map and calls fn for every key whose counts grew
 * since the previous sweep, and for every key it removes: those idle for at
 * least `idle` (the agent passes two aggregation intervals).  TCP connects
 * whose outcome was awaited longer than PROBE_NET_PENDING_STALE_NSEC are
 * handed on as one event of outcome unknown each.  Each event reaches userspace exactly once: as a
 * record (count 1), in a delta, or in NET_STAT_LOST.  Returns the number of
 * callbacks, or -errno; a callback's negative return does not stop the sweep
 * (what was handed on is not handed on again) but the first one is returned.
 */
int probe_net_sweep(probe_net *p, nsec_t idle, probe_net_sweep_fn fn, void *userdata);

/*
 * What the last sweep left behind: aggregation keys and TCP connects awaiting
 * their outcome.  0 means further sweeps have nothing to do until the next
 * record (the first event of a key) arrives.
 */
size_t probe_net_live_keys(probe_net *p);

#endif
