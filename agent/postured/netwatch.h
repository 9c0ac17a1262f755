/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tells the agent when the network changed, so that the checks that depend
 * on it (firewall, time sync) run again.  An rtnetlink socket subscribed to
 * link, IPv4/IPv6 address and IPv4/IPv6 route notifications, an io source on
 * the agent's sd_event.
 *
 * A notification only says "look again": when no relevant notification has
 * come for `quiet`, the state that matters is read from the kernel (links'
 * up/carrier state, addresses, default routes) and compared with the state
 * at the previous callback; the callback runs only when it differs.  So a
 * burst of messages makes one callback, and the messages that change
 * nothing (address lifetimes renewed by router advertisements, wireless
 * scan results) make none.  Two callbacks are at least `min_interval`
 * apart; messages that never stop are looked at no later than `max_delay`
 * after the first.  A receive queue overrun (ENOBUFS) counts as a change.
 * Only messages from the kernel are read (sender port 0), at most a bounded
 * number per wake-up.
 */
#ifndef POSTURED_NETWATCH_H
#define POSTURED_NETWATCH_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "basic/time-util.h"

#define NETWATCH_QUIET_DEFAULT	      (2 * USEC_PER_SEC)
#define NETWATCH_MIN_INTERVAL_DEFAULT (30 * USEC_PER_SEC)
/* Objects (links, addresses, default routes) read in one look; past it, a change is assumed. */
#define NETWATCH_OBJECTS_MAX 65536

/* What changed, as the callback's mask. */
enum {
	NETWATCH_LINK = 1 << 0, /* a link appeared, went away, went up/down, gained/lost carrier */
	NETWATCH_ADDRESS = 1 << 1, /* an address was added or removed, or finished DAD */
	NETWATCH_ROUTE = 1 << 2, /* a default route appeared, went away or changed */
	NETWATCH_OVERRUN = 1 << 3, /* notifications were lost, or the state could not be read */
};

struct netwatch_config {
	usec_t quiet; /* 0: NETWATCH_QUIET_DEFAULT */
	usec_t min_interval; /* 0: NETWATCH_MIN_INTERVAL_DEFAULT */
	usec_t max_delay; /* 0: 5 × quiet */
};

typedef struct netwatch netwatch;

/* Called from the event loop; what is a mask of NETWATCH_*, never 0. */
typedef void (*netwatch_fn)(netwatch *w, unsigned what, void *userdata);

/*
 * Subscribes to the notifications, reads the state to compare with later and
 * adds its sources to e (CLOCK_BOOTTIME timers: time asleep counts).  config
 * may be NULL for the defaults.  Returns 0 and the watcher in *ret, or
 * -errno.  No privilege is needed.
 */
int netwatch_new(sd_event *e, const struct netwatch_config *config, netwatch_fn cb, void *userdata,
		 netwatch **ret);
/* Removes its sources from the loop and closes its sockets. */
netwatch *netwatch_free(netwatch *w);

struct netwatch_stats {
	uint64_t messages; /* notifications read from the kernel */
	uint64_t relevant; /* ... of them about links, addresses or default routes */
	uint64_t foreign; /* datagrams not from the kernel, dropped */
	uint64_t overruns; /* ENOBUFS: the kernel dropped notifications */
	uint64_t looks; /* times the state was read and compared after a quiet period */
	uint64_t callbacks;
};
void netwatch_get_stats(const netwatch *w, struct netwatch_stats *ret);

/* The notification socket, for tests and diagnostics; netwatch keeps it. */
int netwatch_fd(const netwatch *w);

#endif
