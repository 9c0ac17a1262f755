// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The listening sockets from NETLINK_SOCK_DIAG and their owners from /proc:
 * real loopback sockets this test opens (no privilege needed), found with
 * their address, port, uid, pid and executable; closed, connected and
 * unlistened ones not found; the bounds; and the /proc scan against a fake
 * tree (junk links, vanished processes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/listeners.h"

static char self_exe[PATH_MAX];

struct sock {
	int fd;
	uint64_t inode;
	uint16_t port;
};

static uint64_t fd_inode(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	return st.st_ino;
}

static uint16_t fd_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket bound to addr port 0 (v6only -1: left as it is); TCP ones listen unless told. */
static bool open_sock(struct sock *s, int type, const char *addr, int v6only, bool listen_too)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;

	s->fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (s->fd < 0 && family == AF_INET6 && errno == EAFNOSUPPORT)
		return false;
	assert_true(s->fd >= 0);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
		if (v6only >= 0)
			assert_int_equal(setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
						    sizeof(v6only)),
					 0);
	}
	if (bind(s->fd, (struct sockaddr *)&ss, len) < 0) {
		/* No ::1 on this machine (IPv6 disabled on lo). */
		assert_true(family == AF_INET6 && errno == EADDRNOTAVAIL);
		close(s->fd);
		return false;
	}
	if (type == SOCK_STREAM && listen_too)
		assert_int_equal(listen(s->fd, 4), 0);
	s->inode = fd_inode(s->fd);
	s->port = fd_port(s->fd);
	return true;
}

static struct listeners *read_all(void)
{
	struct listeners *l = NULL;

	assert_int_equal(listeners_read(NULL, &l), 0);
	assert_non_null(l);
	assert_false(l->truncated);
	assert_false(l->procs_truncated);
	assert_false(l->fds_truncated);
	return l;
}

static bool has_owner(const struct listener *e, pid_t pid, const char *exe)
{
	for (unsigned i = 0; i < e->n_owners; i++)
		if (e->owners[i].pid == pid && (!exe || strcmp(e->owners[i].exe, exe) == 0))
			return true;
	return false;
}

/* The listener for s must be there with these facts and this process as its owner. */
static void expect(const struct listeners *l, const struct sock *s, int protocol, int family,
		   const char *addr, bool v6only)
{
	const struct listener *e = listeners_find_inode(l, s->inode);
	uint8_t want[16] = {};
	char have[INET6_ADDRSTRLEN] = "";

	if (!e)
		fail_msg("no listener with inode %llu (%s port %u)", (unsigned long long)s->inode,
			 addr, s->port);
	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_int_equal(e->protocol, protocol);
	assert_int_equal(e->family, family);
	inet_ntop(e->family, e->addr, have, sizeof(have));
	assert_string_equal(have, addr);
	assert_memory_equal(e->addr, want, sizeof(want));
	assert_int_equal(e->port, s->port);
	assert_int_equal(e->uid, geteuid());
	assert_int_equal(e->ifindex, 0);
	if (family == AF_INET6)
		assert_int_equal(e->v6only, v6only);
	assert_int_equal(e->n_owners, 1);
	assert_false(e->owners_truncated);
	assert_int_equal(e->owners[0].pid, getpid());
	assert_string_equal(e->owners[0].exe, self_exe);
}

static void test_found(void **state)
{
	struct sock t4lo, t4any, t6lo, t6mapped, t6any, u4lo, u6lo, u4any;
	bool have6, have6lo;
	struct listeners *l;

	assert_true(open_sock(&t4lo, SOCK_STREAM, "127.0.0.1", -1, true));
	assert_true(open_sock(&t4any, SOCK_STREAM, "0.0.0.0", -1, true));
	assert_true(open_sock(&u4lo, SOCK_DGRAM, "127.0.0.1", -1, false));
	assert_true(open_sock(&u4any, SOCK_DGRAM, "0.0.0.0", -1, false));
	have6lo = open_sock(&t6lo, SOCK_STREAM, "::1", 1, true);
	if (have6lo)
		assert_true(open_sock(&u6lo, SOCK_DGRAM, "::1", 1, false));
	/* A v4-mapped bind needs IPV6_V6ONLY off; "::" with it off takes IPv4 too. */
	have6 = open_sock(&t6mapped, SOCK_STREAM, "::ffff:127.0.0.1", 0, true);
	if (have6)
		assert_true(open_sock(&t6any, SOCK_STREAM, "::", 0, true));

	l = read_all();
	assert_false(l->incomplete);
	expect(l, &t4lo, IPPROTO_TCP, AF_INET, "127.0.0.1", false);
	expect(l, &t4any, IPPROTO_TCP, AF_INET, "0.0.0.0", false);
	expect(l, &u4lo, IPPROTO_UDP, AF_INET, "127.0.0.1", false);
	expect(l, &u4any, IPPROTO_UDP, AF_INET, "0.0.0.0", false);
	if (have6lo) {
		expect(l, &t6lo, IPPROTO_TCP, AF_INET6, "::1", true);
		expect(l, &u6lo, IPPROTO_UDP, AF_INET6, "::1", true);
	}
	if (have6) {
		expect(l, &t6mapped, IPPROTO_TCP, AF_INET, "127.0.0.1", false);
		expect(l, &t6any, IPPROTO_TCP, AF_INET6, "::", false);
	}
	assert_string_equal(listener_protocol_to_string(listeners_find_inode(l, u4lo.inode)),
			    "udp");
	assert_string_equal(listener_protocol_to_string(listeners_find_inode(l, t4lo.inode)),
			    "tcp");
	assert_true(l->sockets_seen >= l->n);
	assert_true(l->procs_scanned >= 1);
	assert_true(l->fds_scanned >= 6);

	/* Sorted: protocol, family, port, address. */
	for (size_t i = 1; i < l->n; i++) {
		const struct listener *a = &l->items[i - 1], *b = &l->items[i];

		assert_true(a->protocol < b->protocol ||
			    (a->protocol == b->protocol &&
			     (a->family < b->family ||
			      (a->family == b->family && a->port <= b->port))));
	}
	listeners_free(l);

	close(t4lo.fd);
	close(t4any.fd);
	close(u4lo.fd);
	close(u4any.fd);
	if (have6lo) {
		close(t6lo.fd);
		close(u6lo.fd);
	}
	if (have6) {
		close(t6mapped.fd);
		close(t6any.fd);
	}
}

static void test_not_found(void **state)
{
	struct sock closed, bound_only, connected, peer;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct listeners *l;

	/* Closed after listening. */
	assert_true(open_sock(&closed, SOCK_STREAM, "127.0.0.1", -1, true));
	close(closed.fd);
	/* Bound, never listening: not a listener. */
	assert_true(open_sock(&bound_only, SOCK_STREAM, "127.0.0.1", -1, false));
	/* A connected UDP socket takes datagrams from its peer only: not a listener. */
	assert_true(open_sock(&peer, SOCK_DGRAM, "127.0.0.1", -1, false));
	assert_true(open_sock(&connected, SOCK_DGRAM, "127.0.0.1", -1, false));
	to.sin_port = htons(peer.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(connected.fd, (struct sockaddr *)&to, sizeof(to)), 0);

	l = read_all();
	assert_null(listeners_find_inode(l, closed.inode));
	assert_null(listeners_find_inode(l, bound_only.inode));
	assert_null(listeners_find_inode(l, connected.inode));
	/* The unconnected one is. */
	expect(l, &peer, IPPROTO_UDP, AF_INET, "127.0.0.1", false);
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].protocol == IPPROTO_TCP && l->items[i].port == closed.port)
			assert_false(has_owner(&l->items[i], getpid(), NULL));
	listeners_free(l);
	close(bound_only.fd);
	close(peer.fd);
	close(connected.fd);
}

static void test_bounds(void **state)
{
	struct sock a, b, c;
	struct listeners *l = NULL;

	assert_true(open_sock(&a, SOCK_STREAM, "127.0.0.1", -1, true));
	assert_true(open_sock(&b, SOCK_STREAM, "127.0.0.1", -1, true));
	assert_true(open_sock(&c, SOCK_DGRAM, "127.0.0.1", -1, false));

	/* At most one listener kept; the kernel listed at least our three. */
	assert_int_equal(listeners_read(&(struct listeners_limits){ .listeners_max = 1 }, &l), 0);
	assert_int_equal(l->n, 1);
	assert_true(l->truncated);
	assert_true(l->sockets_seen >= 3);
	l = listeners_free(l);

	/* One process looked at (the machine has more: at least pid 1 and us). */
	assert_int_equal(listeners_read(&(struct listeners_limits){ .procs_max = 1 }, &l), 0);
	assert_true(l->procs_truncated);
	assert_int_equal(l->procs_scanned, 1);
	assert_false(l->truncated);
	assert_non_null(listeners_find_inode(l, a.inode));
	l = listeners_free(l);

	/* One descriptor looked at: our sockets' owners cannot all be known. */
	assert_int_equal(listeners_read(&(struct listeners_limits){ .fds_max = 1 }, &l), 0);
	assert_true(l->fds_truncated);
	assert_int_equal(l->fds_scanned, 1);
	assert_true(listeners_find_inode(l, a.inode)->n_owners +
			    listeners_find_inode(l, b.inode)->n_owners +
			    listeners_find_inode(l, c.inode)->n_owners <=
		    1);
	l = listeners_free(l);

	close(a.fd);
	close(b.fd);
	close(c.fd);
}

/* A socket several processes hold: at most LISTENER_OWNERS_MAX of them are kept. */
static void test_owners_capped(void **state)
{
	enum { CHILDREN = LISTENER_OWNERS_MAX + 2 };
	pid_t children[CHILDREN];
	const struct listener *e;
	struct listeners *l;
	struct sock s;
	int go[2];

	assert_true(open_sock(&s, SOCK_STREAM, "127.0.0.1", -1, true));
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	for (int i = 0; i < CHILDREN; i++) {
		char c;

		children[i] = fork();
		assert_true(children[i] >= 0);
		if (children[i] == 0) {
			/* Holds the socket until the test closes the pipe. */
			close(go[1]);
			_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	close(go[0]);

	l = read_all();
	e = listeners_find_inode(l, s.inode);
	assert_non_null(e);
	assert_int_equal(e->n_owners, LISTENER_OWNERS_MAX);
	assert_true(e->owners_truncated);
	for (unsigned i = 0; i < e->n_owners; i++) {
		bool known = e->owners[i].pid == getpid();

		for (int j = 0; j < CHILDREN; j++)
			known = known || e->owners[i].pid == children[j];
		assert_true(known);
		/* Children of a fork run the same program. */
		assert_string_equal(e->owners[i].exe, self_exe);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(e->owners[i].pid, e->owners[j].pid);
	}
	listeners_free(l);

	close(go[1]);
	for (int i = 0; i < CHILDREN; i++)
		assert_int_equal(waitpid(children[i], NULL, 0), children[i]);
	close(s.fd);
}

/* --- the /proc scan against a tree of our making ------------------------------------- */

static void make_link(const char *target, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void make_link(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, path), 0);
}

static void make_dir(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void make_dir(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void test_fake_proc(void **state)
{
	char root[] = "/tmp/test_listeners.XXXXXX", target[64], cmd[PATH_MAX + 16];
	struct listeners_limits lim = { .proc_root = root };
	const struct listener *e, *f;
	struct listeners *l = NULL;
	struct sock s, t;

	assert_true(open_sock(&s, SOCK_STREAM, "127.0.0.1", -1, true));
	assert_true(open_sock(&t, SOCK_DGRAM, "127.0.0.1", -1, false));
	assert_non_null(mkdtemp(root));

	/* 123 holds s on two fds (one owner) and t; beside junk that is no socket of ours. */
	make_dir("%s/123", root);
	make_dir("%s/123/fd", root);
	make_link("/usr/sbin/fake-daemon (deleted)", "%s/123/exe", root);
	snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)s.inode);
	make_link(target, "%s/123/fd/3", root);
	make_link(target, "%s/123/fd/7", root);
	snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)t.inode);
	make_link(target, "%s/123/fd/4", root);
	make_link("/dev/null", "%s/123/fd/0", root);
	make_link("socket:[]", "%s/123/fd/5", root);
	make_link("socket:[12x]", "%s/123/fd/6", root);
	make_link("socket:[99999999999999999999]", "%s/123/fd/8", root);
	make_link("pipe:[42]", "%s/123/fd/9", root);
	/* 200 holds s too but its executable cannot be read (a kernel thread, say). */
	make_dir("%s/200", root);
	make_dir("%s/200/fd", root);
	snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)s.inode);
	make_link(target, "%s/200/fd/10", root);
	/* Gone between the listing and the look: no fd directory. */
	make_dir("%s/300", root);
	/* Not processes. */
	make_dir("%s/self", root);
	make_dir("%s/0", root);
	make_dir("%s/12a", root);
	make_dir("%s/12a/fd", root);
	make_link(target, "%s/12a/fd/1", root);

	assert_int_equal(listeners_read(&lim, &l), 0);
	assert_int_equal(l->procs_scanned, 3);
	assert_int_equal(l->fds_scanned, 9);
	assert_int_equal(l->procs_denied, 0);
	e = listeners_find_inode(l, s.inode);
	assert_non_null(e);
	assert_int_equal(e->n_owners, 2);
	assert_true(has_owner(e, 123, "/usr/sbin/fake-daemon (deleted)"));
	assert_true(has_owner(e, 200, ""));
	f = listeners_find_inode(l, t.inode);
	assert_non_null(f);
	assert_int_equal(f->n_owners, 1);
	assert_int_equal(f->owners[0].pid, 123);
	/* One string for the process, shared by its sockets. */
	assert_ptr_equal(f->owners[0].exe,
			 e->owners[0].pid == 123 ? e->owners[0].exe : e->owners[1].exe);
	assert_int_equal(l->n_exes, 1);
	l = listeners_free(l);

	/* A root that is not there is an error, not an empty answer. */
	lim.proc_root = "/nonexistent-proc";
	assert_int_equal(listeners_read(&lim, &l), -ENOENT);
	assert_null(l);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	close(s.fd);
	close(t.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),	  cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bounds),	  cmocka_unit_test(test_owners_capped),
		cmocka_unit_test(test_fake_proc),
	};
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);

	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	return cmocka_run_group_tests_name("listeners", tests, NULL, NULL);
}
