// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * net_connect tcp|udp|bind ADDRESS PORT
 *
 * The network integration tests' program, copied under unique names so
 * rules can be scoped to one copy.  tcp connects to ADDRESS:PORT, udp sends
 * one datagram there with sendto(), bind binds a TCP socket to it; ADDRESS is
 * an IPv4 or IPv6 literal.  Exit status: 0 when the call succeeded, 10 for
 * EPERM, 11 for ECONNREFUSED, 12 for any other error (printed), 2 for a
 * usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "Usage: net_connect tcp|udp|bind ADDRESS PORT\n");
	return 2;
}

int main(int argc, char *argv[])
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char *end;
	long port;
	int fd, r;

	if (argc != 4)
		return usage();
	errno = 0;
	port = strtol(argv[3], &end, 10);
	if (errno || end == argv[3] || *end || port < 0 || port > 65535)
		return usage();
	if (inet_pton(AF_INET, argv[2], &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, argv[2], &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	} else {
		return usage();
	}

	fd = socket(ss.ss_family, strcmp(argv[1], "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return 12;
	}
	if (strcmp(argv[1], "tcp") == 0)
		r = connect(fd, (struct sockaddr *)&ss, len);
	else if (strcmp(argv[1], "udp") == 0)
		r = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	else if (strcmp(argv[1], "bind") == 0)
		r = bind(fd, (struct sockaddr *)&ss, len);
	else
		return usage();
	if (r == 0)
		return 0;
	if (errno == EPERM)
		return 10;
	if (errno == ECONNREFUSED)
		return 11;
	fprintf(stderr, "net_connect %s %s %s: %s\n", argv[1], argv[2], argv[3], strerror(errno));
	return 12;
}
