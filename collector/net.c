// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "net.h"

static int net_parse_port(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int net_parse_address(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_storage ss = {};
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	uint16_t port;
	size_t n;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (!close || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - text - 1);
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, n);
		host[n] = '\0';
		if (net_parse_port(close + 2, &port) < 0 ||
		    inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*ret_len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		colon = strrchr(text, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - text);
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, n);
		host[n] = '\0';
		if (net_parse_port(colon + 1, &port) < 0 ||
		    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*ret_len = sizeof(*sin);
	}
	*ret = ss;
	return 0;
}

int net_listen(const struct sockaddr_storage *address, socklen_t len, int backlog)
{
	_cleanup_close_ int fd = -EBADF;
	int one = 1;

	fd = socket(address->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	/* "[::]:port" means IPv6 only; listen twice for both families. */
	if (address->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)address, len) < 0)
		return -errno;
	if (listen(fd, backlog) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int net_format_address(const struct sockaddr *sa, bool with_port, char buf[NET_ADDRESS_MAX])
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (!inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)))
			return -errno;
		if (with_port)
			snprintf(buf, NET_ADDRESS_MAX, "%s:%u", host, ntohs(sin->sin_port));
		else
			snprintf(buf, NET_ADDRESS_MAX, "%s", host);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (!inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)))
			return -errno;
		if (with_port)
			snprintf(buf, NET_ADDRESS_MAX, "[%s]:%u", host, ntohs(sin6->sin6_port));
		else
			snprintf(buf, NET_ADDRESS_MAX, "%s", host);
		return 0;
	}
	return -EAFNOSUPPORT;
}
