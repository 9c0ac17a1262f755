// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exec_via HOW PROGRAM [ARG...]
 *
 * Starts PROGRAM the way an attack would, for the tests of the facts the
 * process probe decides at exec:
 *   memfd        from a memfd_create() copy of PROGRAM (execveat AT_EMPTY_PATH),
 *                so it has no name on disk;
 *   tcp:PORT     with standard input, output and error a TCP connection to
 *   tcp6:PORT    127.0.0.1:PORT (or [::1]:PORT), as in a reverse shell;
 *   unix         with them one end of an AF_UNIX socketpair, as a service's
 *                are (the cousin that must not count as the network).
 * Exits 111 when it cannot, with the reason on stderr; otherwise PROGRAM
 * replaces it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "exec_via: %s: %s\n", what, strerror(errno));
	return 111;
}

static int on_fds(int fd)
{
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -1;
	return 0;
}

static int connect_to(const char *how)
{
	bool v6 = strncmp(how, "tcp6:", 5) == 0;
	long port = strtol(how + (v6 ? 5 : 4), NULL, 10);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || port <= 0 || port > 65535)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin6.sin6_addr = in6addr_loopback;
	if (v6 ? connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) :
		 connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	return fd;
}

int main(int argc, char *argv[])
{
	const char *how;

	if (argc < 3) {
		fprintf(stderr, "Usage: exec_via memfd|tcp:PORT|tcp6:PORT|unix PROGRAM [ARG...]\n");
		return 2;
	}
	how = argv[1];
	if (strcmp(how, "memfd") == 0) {
		int in = open(argv[2], O_RDONLY | O_CLOEXEC);
		int mfd = memfd_create("payload", MFD_CLOEXEC);
		struct stat st;

		if (in < 0 || mfd < 0 || fstat(in, &st) < 0)
			return fail("memfd copy");
		for (off_t off = 0; off < st.st_size;)
			if (sendfile(mfd, in, &off, (size_t)(st.st_size - off)) <= 0)
				return fail("sendfile");
		syscall(SYS_execveat, mfd, "", argv + 2, environ, AT_EMPTY_PATH);
		return fail("execveat");
	}
	if (strncmp(how, "tcp:", 4) == 0 || strncmp(how, "tcp6:", 5) == 0) {
		int fd = connect_to(how);

		if (fd < 0 || on_fds(fd) < 0)
			return fail(how);
	} else if (strcmp(how, "unix") == 0) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || on_fds(sv[0]) < 0)
			return fail("socketpair");
	} else {
		fprintf(stderr, "exec_via: unknown way %s\n", how);
		return 2;
	}
	execv(argv[2], argv + 2);
	return fail("execv");
}
