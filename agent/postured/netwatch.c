// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/netlink-util.h"
#include "netwatch.h"

/* Big enough for any dump part the kernel sends (it fills at most 32 KiB). */
#define NETWATCH_BUF_SIZE (64 * 1024)
/* Datagrams read in one wake-up; the rest wait for the next turn of the loop. */
#define NETWATCH_READS_PER_WAKEUP 64
#define NETWATCH_DUMP_TRIES	  3
/* The kernel answers a dump at once; this only keeps a wedged socket from hanging the agent. */
#define NETWATCH_RECV_TIMEOUT_SEC 2
#define NETWATCH_RCVBUF		  (1024 * 1024)

enum { KIND_LINK, KIND_ADDRESS, KIND_ROUTE, KIND_COUNT };

struct netwatch {
	sd_event *event;
	sd_event_source *io;
	sd_event_source *timer;
	int fd;
	netwatch_fn cb;
	void *userdata;
	usec_t quiet, min_interval, max_delay;
	bool pending; /* relevant messages came since the last look */
	bool overrun; /* ... or some were lost */
	bool called; /* last_call is set */
	usec_t first, last_call;
	/* What the last look saw: an order-independent sum of each object's hash, per kind. */
	bool state_valid;
	uint64_t state[KIND_COUNT];
	uint32_t seq;
	char *buf;
	struct netwatch_stats stats;
};

/* --- the state that matters, as a fingerprint ------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

/* Spreads the bits, so the sum of many objects' hashes does not cancel out by accident. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Hashes the payload of the attributes of the given types, each with its type. */
static uint64_t hash_attrs(uint64_t h, const struct rtattr *a, size_t len, const uint16_t *types,
			   size_t n_types)
{
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		for (size_t i = 0; i < n_types; i++)
			if (a->rta_type == types[i]) {
				h = fnv(h, &a->rta_type, sizeof(a->rta_type));
				h = fnv(h, RTA_DATA(a), RTA_PAYLOAD(a));
			}
	return h;
}

static const struct rtattr *find_attr(const struct rtattr *a, size_t len, uint16_t type)
{
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

/*
 * The hash of one object, or 0 for one that does not matter (a route that is
 * not a default route).  Lifetimes, counters and caches are left out: they
 * change without the network changing.
 */
static uint64_t hash_object(const struct nlmsghdr *h)
{
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;
	uint64_t x = FNV_INIT;

	switch (h->nlmsg_type) {
	case RTM_NEWLINK: {
		static const uint16_t types[] = { IFLA_IFNAME, IFLA_OPERSTATE };
		const struct ifinfomsg *m = NLMSG_DATA(h);
		uint32_t flags;

		if (len < sizeof(*m))
			return 0;
		flags = m->ifi_flags & (IFF_UP | IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT);
		x = fnv(x, &m->ifi_index, sizeof(m->ifi_index));
		x = fnv(x, &flags, sizeof(flags));
		x = hash_attrs(x, IFLA_RTA(m), len - NLMSG_ALIGN(sizeof(*m)), types,
			       ELEMENTSOF(types));
		break;
	}
	case RTM_NEWADDR: {
		static const uint16_t types[] = { IFA_ADDRESS, IFA_LOCAL };
		const struct ifaddrmsg *m = NLMSG_DATA(h);
		const struct rtattr *fa;
		uint32_t flags;

		if (len < sizeof(*m))
			return 0;
		fa = find_attr(IFA_RTA(m), len - NLMSG_ALIGN(sizeof(*m)), IFA_FLAGS);
		flags = fa && RTA_PAYLOAD(fa) >= sizeof(uint32_t) ?
				*(const uint32_t *)RTA_DATA(fa) :
				m->ifa_flags;
		/* An address is usable once duplicate address detection is done. */
		flags &= IFA_F_TENTATIVE | IFA_F_DADFAILED;
		x = fnv(x, &m->ifa_family, sizeof(m->ifa_family));
		x = fnv(x, &m->ifa_prefixlen, sizeof(m->ifa_prefixlen));
		x = fnv(x, &m->ifa_index, sizeof(m->ifa_index));
		x = fnv(x, &flags, sizeof(flags));
		x = hash_attrs(x, IFA_RTA(m), len - NLMSG_ALIGN(sizeof(*m)), types,
			       ELEMENTSOF(types));
		break;
	}
	case RTM_NEWROUTE: {
		static const uint16_t types[] = { RTA_TABLE, RTA_PRIORITY,  RTA_OIF,   RTA_GATEWAY,
						  RTA_VIA,   RTA_MULTIPATH, RTA_NH_ID, RTA_PREF };
		const struct rtmsg *m = NLMSG_DATA(h);
		uint32_t flags;

		if (len < sizeof(*m) || m->rtm_dst_len != 0 || (m->rtm_flags & RTM_F_CLONED))
			return 0;
		flags = m->rtm_flags & (RTNH_F_DEAD | RTNH_F_LINKDOWN);
		x = fnv(x, &m->rtm_family, sizeof(m->rtm_family));
		x = fnv(x, &m->rtm_table, sizeof(m->rtm_table));
		x = fnv(x, &m->rtm_tos, sizeof(m->rtm_tos));
		x = fnv(x, &m->rtm_type, sizeof(m->rtm_type));
		x = fnv(x, &flags, sizeof(flags));
		x = hash_attrs(x, RTM_RTA(m), len - NLMSG_ALIGN(sizeof(*m)), types,
			       ELEMENTSOF(types));
		break;
	}
	default:
		return 0;
	}
	return mix(x) | 1;
}

struct dump {
	size_t *budget;
	uint64_t sum;
};

static int dump_message(const struct nlmsghdr *h, void *userdata)
{
	struct dump *d = userdata;

	if (*d->budget == 0)
		return -E2BIG;
	(*d->budget)--;
	d->sum += hash_object(h);
	return 0;
}

/*
 * One dump (RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE, all families) summed
 * into *ret.  Returns 0, 1 when the kernel said it was interrupted, or
 * -errno (-E2BIG past *budget objects).
 */
static int dump_once(netwatch *w, int fd, uint16_t type, size_t *budget, uint64_t *ret)
{
	struct {
		struct nlmsghdr nlh;
		struct rtgenmsg g;
	} rq = {
		.nlh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++w->seq,
		},
		.g = { .rtgen_family = AF_UNSPEC },
	};
	struct dump d = { .budget = budget };
	int r;

	r = netlink_dump(fd, &rq.nlh, w->buf, NETWATCH_BUF_SIZE, dump_message, &d);
	if (r < 0)
		return r;
	*ret = d.sum;
	return r;
}

/* Reads the links, addresses and default routes into ret[KIND_COUNT]. */
static int read_state(netwatch *w, uint64_t ret[KIND_COUNT])
{
	static const uint16_t types[KIND_COUNT] = {
		[KIND_LINK] = RTM_GETLINK,
		[KIND_ADDRESS] = RTM_GETADDR,
		[KIND_ROUTE] = RTM_GETROUTE,
	};
	_cleanup_close_ int fd = -EBADF;
	size_t budget = NETWATCH_OBJECTS_MAX;
	uint64_t state[KIND_COUNT];

	/* A socket of its own, so that notifications and an abandoned dump never mix. */
	fd = netlink_open_dump(NETLINK_ROUTE, NETWATCH_RECV_TIMEOUT_SEC);
	if (fd < 0)
		return fd;
	for (size_t k = 0; k < KIND_COUNT; k++) {
		int r = 1;

		for (int i = 0; i < NETWATCH_DUMP_TRIES && r > 0; i++)
			r = dump_once(w, fd, types[k], &budget, &state[k]);
		if (r < 0)
			return r;
		/* Still interrupted after all tries: taken as a change. */
		if (r > 0)
			return -EAGAIN;
	}
	memcpy(ret, state, sizeof(state));
	return 0;
}

/* --- notifications and the timer --------------------------------------------------------- */

/* Whether a notification can change what read_state() sees. */
static bool relevant(const struct nlmsghdr *h)
{
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return len >= sizeof(struct ifinfomsg);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return len >= sizeof(struct ifaddrmsg);
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *m = NLMSG_DATA(h);

		return len >= sizeof(*m) && m->rtm_dst_len == 0 && !(m->rtm_flags & RTM_F_CLONED);
	}
	default:
		return false;
	}
}

/* Arms the look: quiet after the last message, max_delay after the first, min_interval apart. */
static void schedule(netwatch *w)
{
	usec_t now, at;

	if (sd_event_now(w->event, CLOCK_BOOTTIME, &now) < 0)
		now = now_usec(CLOCK_BOOTTIME);
	if (!w->pending) {
		w->pending = true;
		w->first = now;
	}
	at = MIN(now + w->quiet, w->first + w->max_delay);
	if (w->called)
		at = MAX(at, w->last_call + w->min_interval);
	(void)sd_event_source_set_time(w->timer, at);
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	netwatch *w = userdata;
	uint64_t state[KIND_COUNT];
	unsigned what = 0;
	usec_t now;
	int r;

	if (sd_event_now(w->event, CLOCK_BOOTTIME, &now) < 0)
		now = usec;
	w->pending = false;
	w->stats.looks++;
	r = read_state(w, state);
	if (r < 0 || !w->state_valid || w->overrun)
		what |= NETWATCH_OVERRUN;
	if (r >= 0 && w->state_valid) {
		if (state[KIND_LINK] != w->state[KIND_LINK])
			what |= NETWATCH_LINK;
		if (state[KIND_ADDRESS] != w->state[KIND_ADDRESS])
			what |= NETWATCH_ADDRESS;
		if (state[KIND_ROUTE] != w->state[KIND_ROUTE])
			what |= NETWATCH_ROUTE;
	}
	w->overrun = false;
	w->state_valid = r >= 0;
	if (r >= 0)
		memcpy(w->state, state, sizeof(state));
	if (what == 0)
		return 0;
	w->called = true;
	w->last_call = now;
	w->stats.callbacks++;
	w->cb(w, what, w->userdata);
	return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	netwatch *w = userdata;
	bool changed = false;

	for (int i = 0; i < NETWATCH_READS_PER_WAKEUP; i++) {
		bool from_kernel, truncated;
		ssize_t n = netlink_recv(w->fd, w->buf, NETWATCH_BUF_SIZE, MSG_DONTWAIT,
					 &from_kernel, &truncated);

		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* ENOBUFS: the kernel dropped notifications; anything may have changed. */
			w->overrun = changed = true;
			if (n != -ENOBUFS)
				break;
			w->stats.overruns++;
			continue;
		}
		if (!from_kernel) {
			w->stats.foreign++;
			continue;
		}
		if (truncated) {
			w->overrun = changed = true;
			continue;
		}
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)w->buf; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			w->stats.messages++;
			if (relevant(h)) {
				w->stats.relevant++;
				changed = true;
			}
		}
	}
	if (changed)
		schedule(w);
	return 0;
}

/* --- the whole ---------------------------------------------------------------------------- */

netwatch *netwatch_free(netwatch *w)
{
	if (!w)
		return NULL;
	sd_event_source_disable_unref(w->io);
	sd_event_source_disable_unref(w->timer);
	safe_close(w->fd);
	sd_event_unref(w->event);
	free(w->buf);
	free(w);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(netwatch *, netwatch_free);

int netwatch_new(sd_event *e, const struct netwatch_config *config, netwatch_fn cb, void *userdata,
		 netwatch **ret)
{
	_cleanup_(netwatch_freep) netwatch *w = NULL;
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	};
	const struct netwatch_config none = {};
	int rcvbuf = NETWATCH_RCVBUF;
	int r;

	if (!e || !cb || !ret)
		return -EINVAL;
	if (!config)
		config = &none;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -EBADF;
	w->event = sd_event_ref(e);
	w->cb = cb;
	w->userdata = userdata;
	w->quiet = config->quiet ? config->quiet : NETWATCH_QUIET_DEFAULT;
	w->min_interval = config->min_interval ? config->min_interval :
						 NETWATCH_MIN_INTERVAL_DEFAULT;
	w->max_delay = config->max_delay ? config->max_delay : 5 * w->quiet;
	w->max_delay = MAX(w->max_delay, w->quiet);
	w->buf = malloc(NETWATCH_BUF_SIZE);
	if (!w->buf)
		return -ENOMEM;

	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->fd < 0)
		return -errno;
	/* Room for a burst (a VPN coming up, a dock); the root agent may pass rmem_max. */
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;

	/* After subscribing: a change in between is both in the notifications and compared. */
	r = read_state(w, w->state);
	if (r < 0)
		return r;
	w->state_valid = true;

	r = sd_event_add_io(e, &w->io, w->fd, EPOLLIN, on_io, w);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &w->timer, CLOCK_BOOTTIME, USEC_INFINITY,
			      MAX(MIN(w->quiet / 10, 250 * USEC_PER_MSEC), USEC_PER_MSEC), on_timer,
			      w);
	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
	*ret = TAKE_PTR(w);
	return 0;
}

void netwatch_get_stats(const netwatch *w, struct netwatch_stats *ret)
{
	*ret = w->stats;
}

int netwatch_fd(const netwatch *w)
{
	return w->fd;
}
