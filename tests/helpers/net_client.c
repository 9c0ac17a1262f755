// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * net_client [--hold] [--count N] [--scan] tcp|udp|bind|listen|udpconnect|udpsend ADDRESS PORT
 *
 * The daemon-level network tests' client (tests/integration/net_enforce.c),
 * copied under unique names so rules can be scoped to one copy.  tcp
 * connects to ADDRESS:PORT, udp sends one datagram there with sendto(), bind
 * binds a TCP socket to it, listen binds one and listens on it; ADDRESS is an
 * IPv4 or IPv6 literal (v4-mapped included); udpconnect connects a UDP
 * socket there and sends nothing, udpsend connects one and send()s one
 * datagram.  With --scan call n goes to PORT + n.  Each of the N calls (default 1,
 * at most 1000000) uses a fresh socket, closed after the call, but for the
 * last listening socket, which stays open until the program ends.  Then it
 * prints one line on stdout:
 *
 *   ok N eperm N refused N other N
 *
 * and, with --hold, waits until its stdin ends before it exits, so the test
 * can look at it while it still runs.  Exit status: that of the last call, 0
 * when it succeeded, 10 for EPERM, 11 for ECONNREFUSED, 12 for any other
 * error (the first one is printed on stderr); 2 for a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define COUNT_MAX 1000000UL

static int usage(void)
{
	fprintf(stderr, "Usage: net_client [--hold] [--count N] [--scan] "
			"tcp|udp|bind|listen|udpconnect|udpsend ADDRESS PORT\n");
	return 2;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' && *ret <= max;
}

/* The listening socket kept open. */
static int listen_fd = -1;

/* One call on a fresh socket: 0 when it succeeded, else the errno. */
static int call_once(const char *what, const struct sockaddr_storage *ss, socklen_t len)
{
	int fd, r;

	fd = socket(ss->ss_family,
		    (strncmp(what, "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (strcmp(what, "tcp") == 0 || strcmp(what, "udpconnect") == 0)
		r = connect(fd, (const struct sockaddr *)ss, len);
	else if (strcmp(what, "udpsend") == 0)
		r = connect(fd, (const struct sockaddr *)ss, len) == 0 && send(fd, "x", 1, 0) == 1 ?
			    0 :
			    -1;
	else if (strcmp(what, "udp") == 0)
		r = sendto(fd, "x", 1, 0, (const struct sockaddr *)ss, len) == 1 ? 0 : -1;
	else
		r = bind(fd, (const struct sockaddr *)ss, len);
	if (r == 0 && strcmp(what, "listen") == 0)
		r = listen(fd, 16);
	r = r < 0 ? errno : 0;
	if (r == 0 && strcmp(what, "listen") == 0) {
		if (listen_fd >= 0)
			close(listen_fd);
		listen_fd = fd;
		return 0;
	}
	close(fd);
	return r;
}

int main(int argc, char *argv[])
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned long count = 1, port, ok = 0, eperm = 0, refused = 0, other = 0;
	bool hold = false, said = false, scan = false;
	const char *what;
	socklen_t len;
	int i = 1, last = 0;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--hold") == 0)
			hold = true;
		else if (strcmp(argv[i], "--scan") == 0)
			scan = true;
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc &&
			 parse_ulong(argv[i + 1], COUNT_MAX, &count) && count > 0)
			i++;
		else
			return usage();
	}
	if (argc - i != 3)
		return usage();
	what = argv[i];
	if (strcmp(what, "tcp") != 0 && strcmp(what, "udp") != 0 && strcmp(what, "bind") != 0 &&
	    strcmp(what, "listen") != 0 && strcmp(what, "udpconnect") != 0 &&
	    strcmp(what, "udpsend") != 0)
		return usage();
	if (!parse_ulong(argv[i + 2], 65535, &port))
		return usage();
	if (inet_pton(AF_INET, argv[i + 1], &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, argv[i + 1], &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	} else {
		return usage();
	}

	if (scan && port + count - 1 > 65535)
		return usage();
	for (unsigned long n = 0; n < count; n++) {
		if (scan) {
			uint16_t p = htons((uint16_t)(port + n));

			if (ss.ss_family == AF_INET)
				in4->sin_port = p;
			else
				in6->sin6_port = p;
		}
		last = call_once(what, &ss, len);
		if (last == 0)
			ok++;
		else if (last == EPERM)
			eperm++;
		else if (last == ECONNREFUSED)
			refused++;
		else {
			other++;
			if (!said)
				fprintf(stderr, "net_client %s %s %lu: %s\n", what, argv[i + 1],
					port, strerror(last));
			said = true;
		}
	}
	printf("ok %lu eperm %lu refused %lu other %lu\n", ok, eperm, refused, other);
	fflush(stdout);
	if (hold) {
		char buf[64];

		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
	}
	return last == 0 ? 0 : last == EPERM ? 10 : last == ECONNREFUSED ? 11 : 12;
}
