// SPDX-License-Identifier: LGPL-2.1-or-later
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_net.h"
#include "harness_report.h"

struct harness_addr harness_addr_of(const char *text)
{
	struct harness_addr a = {};

	snprintf(a.text, sizeof(a.text), "%s", text);
	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = AF_INET6;
	return a;
}

struct harness_addr harness_loopback4_random(void)
{
	char text[32];
	uint8_t x;

	if (getrandom(&x, 1, 0) != 1)
		x = 7;
	snprintf(text, sizeof(text), "127.0.0.%u", 2 + x % 253);
	return harness_addr_of(text);
}

socklen_t harness_sockaddr_of(const struct harness_addr *a, uint16_t port,
			      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->bytes, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, a->bytes, 16);
	return sizeof(*s6);
}

int harness_sock_open(const struct harness_addr *a, int type, int *ret_fd, uint16_t *ret_port)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(a, 0, &ss);
	_cleanup_close_ int fd = socket(a->family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return harness_fail("socket: %m");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return harness_fail("Cannot bind a socket to %s: %m", a->text);
	/* A deep backlog: the storms connect faster than a test accepts. */
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		return harness_fail("Cannot listen on %s: %m", a->text);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return harness_fail("getsockname: %m");
	*ret_port = ntohs(a->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						 ((struct sockaddr_in6 *)&ss)->sin6_port);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int harness_free_port(const struct harness_addr *a, uint16_t *ret)
{
	int fd;

	TRY(harness_sock_open(a, SOCK_STREAM, &fd, ret));
	close(fd);
	return 0;
}
