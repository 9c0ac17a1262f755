// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/netlink-util.h"
#include "listeners.h"

/* Netlink answers and directory listings are read through one buffer of this size. */
#define LISTENERS_BUF_SIZE (64 * 1024)
/* A dump answered with NLM_F_DUMP_INTR is asked again this many times, then taken as it is. */
#define LISTENERS_DUMP_TRIES 3
/* The kernel answers at once; this only keeps a wedged socket from hanging the agent. */
#define LISTENERS_RECV_TIMEOUT_SEC 5

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
#define LISTENERS_TCP_CLOSE  7
#define LISTENERS_TCP_LISTEN 10

static const char empty_exe[] = "";

struct scan {
	struct listeners *l;
	size_t cap;
	size_t max;
	char *buf;
	int nl_fd;
	uint32_t seq;
};

const char *listener_protocol_to_string(const struct listener *e)
{
	return e->protocol == IPPROTO_TCP ? "tcp" : "udp";
}

struct listeners *listeners_free(struct listeners *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n_exes; i++)
		free(l->exes[i]);
	free(l->exes);
	free(l->items);
	free(l);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct listeners *, listeners_free);

const struct listener *listeners_find_inode(const struct listeners *l, uint64_t inode)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].inode == inode)
			return &l->items[i];
	return NULL;
}

/* --- the kernel's list ------------------------------------------------------------- */

static int scan_add(struct scan *s, const struct inet_diag_msg *m, size_t attrs_len)
{
	const struct nlattr *a = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	struct listener *e;

	s->l->sockets_seen++;
	if (s->l->n >= s->max) {
		s->l->truncated = true;
		return 0;
	}
	if (s->l->n == s->cap) {
		size_t cap = MIN(s->max, MAX(s->cap * 2, (size_t)64));
		struct listener *p = reallocarray(s->l->items, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->l->items = p;
		s->cap = cap;
	}
	e = &s->l->items[s->l->n];
	*e = (struct listener){
		.family = m->idiag_family,
		.port = ntohs(m->id.idiag_sport),
		.ifindex = m->id.idiag_if,
		.uid = m->idiag_uid,
		.inode = m->idiag_inode,
	};
	if (m->idiag_family == AF_INET) {
		memcpy(e->addr, m->id.idiag_src, 4);
	} else {
		const struct in6_addr *a6 = (const struct in6_addr *)m->id.idiag_src;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			e->family = AF_INET;
			memcpy(e->addr, &a6->s6_addr[12], 4);
		} else
			memcpy(e->addr, a6->s6_addr, 16);
	}
	/* The attributes: only whether an IPv6 socket also takes IPv4. */
	while (attrs_len >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= attrs_len) {
		size_t step = NLA_ALIGN(a->nla_len);

		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY &&
		    a->nla_len >= NLA_HDRLEN + 1)
			e->v6only = *((const uint8_t *)a + NLA_HDRLEN) != 0;
		if (step >= attrs_len)
			break;
		attrs_len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	s->l->n++;
	return 0;
}

struct dump {
	struct scan *s;
	uint8_t family;
	uint32_t states;
};

/* One message of a dump's answer. */
static int scan_message(const struct nlmsghdr *h, void *userdata)
{
	const struct dump *d = userdata;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (len < sizeof(*m) || m->idiag_family != d->family)
		return -EPROTO;
	/* A socket that changed state since the kernel looked is not one of ours. */
	if (m->idiag_state >= 32 || !(d->states & (1U << m->idiag_state)))
		return 0;
	return scan_add(d->s, m, len > NLMSG_ALIGN(sizeof(*m)) ? len - NLMSG_ALIGN(sizeof(*m)) : 0);
}

/*
 * One dump: the sockets of a family and protocol in the given states.
 * Returns 1 when the kernel said the dump was interrupted (the caller asks
 * again), 0 when done, -errno on failure.
 */
static int scan_dump_once(struct scan *s, uint8_t family, uint8_t protocol, uint32_t states,
			  size_t *ret_added)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} rq = {
		.nlh = {
			.nlmsg_len = sizeof(rq),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = ++s->seq,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = protocol,
			.idiag_states = states,
		},
	};
	struct dump d = { .s = s, .family = family, .states = states };
	size_t first = s->l->n;
	int r;

	r = netlink_dump(s->nl_fd, &rq.nlh, s->buf, LISTENERS_BUF_SIZE, scan_message, &d);
	if (r < 0)
		return r;
	*ret_added = s->l->n - first;
	return r;
}

/* Whether this kernel cannot list that family or protocol at all (no UDP diag, no IPv6). */
static bool dump_unsupported(int r)
{
	return r == -ENOENT || r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP;
}

static int scan_dump(struct scan *s, uint8_t family, uint8_t protocol, uint32_t states)
{
	int r = 0;

	for (int i = 0; i < LISTENERS_DUMP_TRIES; i++) {
		size_t first = s->l->n, added = 0;

		r = scan_dump_once(s, family, protocol, states, &added);
		if (r <= 0 || i == LISTENERS_DUMP_TRIES - 1)
			break;
		/* Interrupted: forget what it gave and ask again. */
		s->l->n = first;
		s->l->sockets_seen -= added;
	}
	if (r > 0)
		r = 0;
	if (dump_unsupported(r)) {
		s->l->incomplete = true;
		r = 0;
	}
	return r;
}

/* --- owners --------------------------------------------------------------------------- */

static int cmp_inode(const void *a, const void *b)
{
	uint64_t x = ((const struct listener *)a)->inode, y = ((const struct listener *)b)->inode;

	return x < y ? -1 : x > y;
}

static int cmp_key(const void *a, const void *b)
{
	const struct listener *x = a, *y = b;
	int c;

	if (x->protocol != y->protocol)
		return x->protocol < y->protocol ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c != 0)
		return c;
	return cmp_inode(a, b);
}

/* A decimal number of digits only, at most limit (limit < UINT64_MAX / 10). */
static bool parse_uint(const char *s, const char *end, uint64_t limit, uint64_t *ret)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > limit)
			return false;
	}
	*ret = v;
	return true;
}

/* The inode of "socket:[N]", or 0 for anything else. */
static uint64_t socket_inode(const char *link, size_t len)
{
	static const char prefix[] = "socket:[";
	uint64_t ino;

	if (len < sizeof(prefix) + 1 || memcmp(link, prefix, sizeof(prefix) - 1) != 0 ||
	    link[len - 1] != ']')
		return 0;
	if (!parse_uint(link + sizeof(prefix) - 1, link + len - 1, UINT32_MAX, &ino))
		return 0;
	return ino;
}

/* The executable of pid, kept in l->exes; "" when it cannot be read. */
static const char *owner_exe(struct listeners *l, int proc_fd, const char *pid)
{
	char path[32], exe[4096];
	char **p, *copy;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/exe", pid);
	n = readlinkat(proc_fd, path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return empty_exe;
	exe[n] = '\0';
	copy = strdup(exe);
	if (!copy)
		return NULL;
	p = reallocarray(l->exes, l->n_exes + 1, sizeof(*p));
	if (!p) {
		free(copy);
		return NULL;
	}
	l->exes = p;
	l->exes[l->n_exes++] = copy;
	return copy;
}

/*
 * Looks through one process's fds for the listeners' inodes (items sorted by
 * inode).  Returns 0, 1 when fds_max was reached, or -ENOMEM.
 */
static int scan_process(struct scan *s, int proc_fd, const char *name, pid_t pid, size_t fds_max)
{
	struct listeners *l = s->l;
	char *buf = s->buf + LISTENERS_BUF_SIZE / 2;
	_cleanup_close_ int dir = -EBADF;
	const char *exe = NULL;
	char path[32];

	snprintf(path, sizeof(path), "%s/fd", name);
	dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		/* Gone already (ENOENT, ESRCH) is not worth a count; not ours to read is. */
		if (errno == EACCES || errno == EPERM)
			l->procs_denied++;
		return 0;
	}
	for (;;) {
		ssize_t n = getdents64(dir, buf, LISTENERS_BUF_SIZE / 2);

		if (n <= 0)
			return 0; /* the end, or the process went away */
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			struct listener key, *e;
			char link[64];
			ssize_t len;

			if (de->d_reclen < offsetof(struct dirent64, d_name) + 2 ||
			    de->d_reclen > n - off)
				return 0;
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			if (l->fds_scanned >= fds_max) {
				l->fds_truncated = true;
				return 1;
			}
			l->fds_scanned++;
			len = readlinkat(dir, de->d_name, link, sizeof(link));
			if (len <= 0 || (size_t)len >= sizeof(link))
				continue;
			key.inode = socket_inode(link, (size_t)len);
			if (key.inode == 0)
				continue;
			e = bsearch(&key, l->items, l->n, sizeof(*e), cmp_inode);
			if (!e)
				continue;
			/* The same socket on several fds of one process is one owner. */
			if (e->n_owners > 0 && e->owners[e->n_owners - 1].pid == pid)
				continue;
			if (e->n_owners == LISTENER_OWNERS_MAX) {
				e->owners_truncated = true;
				continue;
			}
			if (!exe) {
				exe = owner_exe(l, proc_fd, name);
				if (!exe)
					return -ENOMEM;
			}
			e->owners[e->n_owners++] =
				(struct listener_owner){ .pid = pid, .exe = exe };
		}
	}
}

static int scan_owners(struct scan *s, const char *proc_root, size_t procs_max, size_t fds_max)
{
	struct listeners *l = s->l;
	char *buf = s->buf;
	_cleanup_close_ int proc_fd = -EBADF;

	proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(proc_fd, buf, LISTENERS_BUF_SIZE / 2);

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);
			uint64_t pid;
			int r;

			if (de->d_reclen < offsetof(struct dirent64, d_name) + 2 ||
			    de->d_reclen > n - off)
				return -EIO;
			off += de->d_reclen;
			if (!parse_uint(de->d_name, de->d_name + strnlen(de->d_name, 16), INT32_MAX,
					&pid) ||
			    pid == 0)
				continue;
			if (l->procs_scanned >= procs_max) {
				l->procs_truncated = true;
				return 0;
			}
			l->procs_scanned++;
			r = scan_process(s, proc_fd, de->d_name, (pid_t)pid, fds_max);
			if (r != 0)
				return r < 0 ? r : 0;
		}
	}
}

/* --- the whole -------------------------------------------------------------------------- */

int listeners_read(const struct listeners_limits *limits, struct listeners **ret)
{
	static const struct {
		uint8_t family, protocol;
		uint32_t states;
	} dumps[] = {
		{ AF_INET, IPPROTO_TCP, 1U << LISTENERS_TCP_LISTEN },
		{ AF_INET6, IPPROTO_TCP, 1U << LISTENERS_TCP_LISTEN },
		/* Unconnected UDP sockets are in TCP_CLOSE; connected ones in ESTABLISHED. */
		{ AF_INET, IPPROTO_UDP, 1U << LISTENERS_TCP_CLOSE },
		{ AF_INET6, IPPROTO_UDP, 1U << LISTENERS_TCP_CLOSE },
	};
	const struct listeners_limits none = {};
	_cleanup_(listeners_freep) struct listeners *l = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct scan s;
	size_t n = 0;
	int r;

	if (!limits)
		limits = &none;
	l = calloc(1, sizeof(*l));
	buf = malloc(LISTENERS_BUF_SIZE);
	if (!l || !buf)
		return -ENOMEM;
	fd = netlink_open_dump(NETLINK_SOCK_DIAG, LISTENERS_RECV_TIMEOUT_SEC);
	if (fd < 0)
		return fd;
	s = (struct scan){
		.l = l,
		.max = limits->listeners_max ? limits->listeners_max : LISTENERS_MAX_DEFAULT,
		.buf = buf,
		.nl_fd = fd,
	};

	for (size_t i = 0; i < ELEMENTSOF(dumps); i++) {
		size_t first = l->n;

		r = scan_dump(&s, dumps[i].family, dumps[i].protocol, dumps[i].states);
		if (r < 0)
			return r;
		for (size_t j = first; j < l->n; j++)
			l->items[j].protocol = dumps[i].protocol;
	}
	fd = safe_close(fd);

	/* A dump that met a socket twice (they are not atomic) lists it once. */
	if (l->n > 0)
		qsort(l->items, l->n, sizeof(*l->items), cmp_inode);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || l->items[i].inode == 0 || l->items[i].inode != l->items[n - 1].inode)
			l->items[n++] = l->items[i];
	l->n = n;

	if (l->n > 0) {
		r = scan_owners(&s, limits->proc_root ? limits->proc_root : "/proc",
				limits->procs_max ? limits->procs_max : LISTENERS_PROCS_MAX_DEFAULT,
				limits->fds_max ? limits->fds_max : LISTENERS_FDS_MAX_DEFAULT);
		if (r < 0)
			return r;
		qsort(l->items, l->n, sizeof(*l->items), cmp_key);
	}
	*ret = TAKE_PTR(l);
	return 0;
}
