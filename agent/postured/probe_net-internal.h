/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the network probe's two files share: probe_net.c loads, attaches and
 * sweeps; probe_net_rules.c compiles the policy's network rules into the
 * kernel's maps.
 */
#ifndef POSTURED_PROBE_NET_INTERNAL_H
#define POSTURED_PROBE_NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "net.skel.h"
#include "probe_common.h"
#include "probe_net.h"

/*
 * The links: the sock_addr programs always attached, in the order they are
 * attached, then those attached only while rules need them.
 */
enum {
	LINK_CONNECT4,
	LINK_CONNECT6,
	LINK_SENDMSG4,
	LINK_SENDMSG6,
	LINK_BIND4,
	LINK_BIND6,
	_LINK_ALWAYS,
	LINK_TCP_STATE = _LINK_ALWAYS, /* reported TCP connects, inbound, TCP listen rules */
	LINK_RECVMSG4, /* outbound UDP rules: the peers a server replies to */
	LINK_RECVMSG6,
	LINK_UDP_SEND, /* reported outbound UDP rules: a connected socket's first send */
	_LINK_MAX,
};

/* What the rules in force need beyond the sock_addr hooks (a bit each). */
enum {
	NEED_TCP_STATE = 1 << 0,
	NEED_PEERS = 1 << 1,
	NEED_UDP_SEND = 1 << 2,
};

/* What the previous sweep saw of one key. */
struct seen {
	struct net_agg_key key;
	uint64_t count[_EVENT_NET_OUTCOME_MAX];
};

struct applied {
	uint32_t gen;
	policy *pol;
};

struct probe_net {
	struct net_bpf *skel;
	struct probe_ring ring;
	struct bpf_link *links[_LINK_MAX];
	char *cgroup;
	enum probe_flavor flavor;
	int ncpus;
	uint32_t last_gen; /* the last generation filled; never reused */
	unsigned needs; /* NEED_*: what the rules in force need attached */
	bool udp_send; /* the kernel has sock/sock_send_length: UDP connects wait for a send */
	bool detached; /* probe_net_attach(p, false) */
	struct applied applied[2]; /* [0] in force, [1] the one before */
	struct policy_net_resolvers resolvers; /* "system_resolvers", probe_net_set_resolvers() */

	/* Sweep buffers, sized for a full map once. */
	struct net_agg_key *agg_keys;
	struct net_agg_value *agg_values;
	struct seen *seen, *seen_next;
	size_t n_seen;
	size_t n_pending; /* TCP connects awaiting their outcome at the last sweep */
	uint64_t *pending_keys;
	struct net_pending *pending_values;
};

/*
 * Attaches the programs the rules need (NEED_* bits) that are not attached,
 * detaches those no longer needed.  Returns 0 or -errno.
 */
int probe_net_needs_sync(probe_net *p, unsigned needs);

#endif
