// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * agent/postured/listeners across users, as root: a listener another user's process
 * opened is found with that user's uid, the process's pid and its
 * executable; a scan without privilege sees root's listener, cannot know its
 * owner, and counts the processes it could not look into.
 *
 * This binary is also the listening child: run with --listen it opens a TCP
 * listener and a bound UDP socket on 127.0.0.1, prints their inodes and
 * waits for its stdin to close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "postured/listeners.h"

#define NOBODY 65534

DEFINE_TRIVIAL_CLEANUP_FUNC(struct listeners *, listeners_free);

/* A socket on 127.0.0.1 port 0, listening when TCP; returns its fd and inode. */
static int loopback_socket(int type, uint64_t *ret_inode)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stat st;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) < 0) || fstat(fd, &st) < 0) {
		int r = -errno;

		safe_close(fd);
		return r;
	}
	*ret_inode = st.st_ino;
	return fd;
}

static int listen_child(void)
{
	uint64_t tcp, udp;
	int t = loopback_socket(SOCK_STREAM, &tcp), u = loopback_socket(SOCK_DGRAM, &udp);
	char c;

	if (t < 0 || u < 0)
		return 1;
	printf("%llu %llu\n", (unsigned long long)tcp, (unsigned long long)udp);
	fflush(stdout);
	/* Until the test closes our stdin. */
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return 0;
}

static int expect_owned(const struct listeners *l, uint64_t inode, int protocol, pid_t pid,
			const char *exe)
{
	const struct listener *e = listeners_find_inode(l, inode);

	CHECK(e, "No listener with inode %llu", (unsigned long long)inode);
	CHECK(e->protocol == protocol, "Protocol %u, expected %d", e->protocol, protocol);
	CHECK(e->family == AF_INET && memcmp(e->addr, "\x7f\0\0\x01", 4) == 0,
	      "Not 127.0.0.1 (family %u)", e->family);
	CHECK(e->uid == NOBODY, "uid %u, expected %d", e->uid, NOBODY);
	CHECK(e->n_owners == 1, "%u owners, expected 1", e->n_owners);
	CHECK(e->owners[0].pid == pid, "Owner %d, expected %d", (int)e->owners[0].pid, (int)pid);
	CHECK(strcmp(e->owners[0].exe, exe) == 0, "Owner's executable \"%s\", expected \"%s\"",
	      e->owners[0].exe, exe);
	return 0;
}

/* Root finds another user's listeners and the process holding them. */
static int test_other_user(const void *arg)
{
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_(listeners_freep) struct listeners *l = NULL;
	_cleanup_child_ pid_t pid = 0;
	_cleanup_close_ int hold = -EBADF, out = -EBADF;
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	unsigned long long tcp = 0, udp = 0;
	char line[128], self[PATH_MAX];
	int in[2], res[2], r;
	ssize_t n, len = 0;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0, "readlink /proc/self/exe: %m");
	self[n] = '\0';
	TRY(harness_tmpdir_new(&dir));
	/* A path of its own, so the executable found cannot be ours by accident. */
	TRY(harness_unique_copy(dir, self, &bin));
	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(res, O_CLOEXEC) == 0, "pipe2: %m");
	o.set_uid = true;
	o.uid = NOBODY;
	o.gid = NOBODY;
	o.stdin_fd = in[0];
	o.stdout_fd = res[1];
	r = harness_spawn(bin, (char *const[]){ bin, "--listen", NULL }, &o, &pid);
	hold = in[1];
	out = res[0];
	safe_close(in[0]);
	safe_close(res[1]);
	TRY(r);

	while (len < (ssize_t)sizeof(line) - 1 && !memchr(line, '\n', (size_t)len)) {
		struct pollfd p = { .fd = out, .events = POLLIN };

		CHECK(poll(&p, 1, 5000) == 1, "The listening child said nothing within 5 s");
		n = read(out, line + len, sizeof(line) - 1 - (size_t)len);
		CHECK(n > 0, "The listening child ended without its inodes");
		len += n;
	}
	line[len] = '\0';
	CHECK(sscanf(line, "%llu %llu", &tcp, &udp) == 2, "Unexpected line from the child: %s",
	      line);

	r = listeners_read(NULL, &l);
	CHECK(r == 0, "listeners_read: %s", strerror(-r));
	TRY(expect_owned(l, tcp, IPPROTO_TCP, pid, bin));
	TRY(expect_owned(l, udp, IPPROTO_UDP, pid, bin));
	CHECK(l->procs_denied == 0, "Root was denied %zu processes", l->procs_denied);

	/* Gone with its process. */
	hold = safe_close(hold);
	TRY(harness_wait_child(pid, 5000, &r));
	pid = 0;
	l = listeners_free(l);
	r = listeners_read(NULL, &l);
	CHECK(r == 0, "listeners_read: %s", strerror(-r));
	CHECK(!listeners_find_inode(l, tcp) && !listeners_find_inode(l, udp),
	      "A listener outlived its process");
	return 0;
}

/* In a forked child that became nobody: root's listener is seen, its owner is not. */
static int unprivileged_scan(uint64_t root_inode)
{
	_cleanup_(listeners_freep) struct listeners *l = NULL;
	const struct listener *e;
	uint64_t mine;
	int fd, r;

	if (harness_become(NOBODY, NOBODY) < 0)
		return 10;
	mine = 0;
	fd = loopback_socket(SOCK_STREAM, &mine);
	if (fd < 0)
		return 11;
	r = listeners_read(NULL, &l);
	if (r < 0)
		return 12;
	e = listeners_find_inode(l, root_inode);
	if (!e || e->uid != 0)
		return 13;
	if (e->n_owners != 0)
		return 14;
	if (l->procs_denied == 0)
		return 15;
	e = listeners_find_inode(l, mine);
	if (!e || e->n_owners != 1 || e->owners[0].pid != getpid() || e->uid != NOBODY)
		return 16;
	close(fd);
	return 0;
}

static int test_unprivileged(const void *arg)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_child_ pid_t pid = 0;
	pid_t parent = getpid();
	uint64_t inode = 0;
	int status;

	fd = loopback_socket(SOCK_STREAM, &inode);
	CHECK(fd >= 0, "Cannot open a listener: %s", strerror(-fd));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0, "fork: %m");
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		/* Not an owner itself: only the parent holds the socket. */
		safe_close(fd);
		_exit(unprivileged_scan(inode));
	}
	TRY(harness_wait_child(pid, 10000, &status));
	pid = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "The unprivileged scan failed at step %d (status 0x%x): 13 root's listener missing, "
	      "14 its owner known, 15 nothing denied, 16 its own listener wrong",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
	return 0;
}

static const struct harness_test tests[] = {
	HARNESS_TEST("other_user", test_other_user, NULL),
	HARNESS_TEST("unprivileged", test_unprivileged, NULL),
};

int main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--listen") == 0)
		return listen_child();
	return harness_main(tests, ELEMENTSOF(tests), argc, argv);
}
