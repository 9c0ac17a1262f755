/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Listening sockets and addresses as text. */
#ifndef POSTURED_COLLECTOR_NET_H
#define POSTURED_COLLECTOR_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[ipv6]:port" needs at most this much, with the NUL. */
#define NET_ADDRESS_MAX 64

/*
 * Parses "IPV4:PORT" or "[IPV6]:PORT" (numeric only, no name lookups; port 0
 * lets the kernel choose).  Returns 0 or -EINVAL.
 */
int net_parse_address(const char *text, struct sockaddr_storage *ret, socklen_t *ret_len);

/*
 * Creates a listening TCP socket (close-on-exec, non-blocking) bound to
 * address.  Returns the fd or -errno.
 */
int net_listen(const struct sockaddr_storage *address, socklen_t len, int backlog);

/* Formats an address as "1.2.3.4:5" or "[::1]:5"; without the port when !with_port. */
int net_format_address(const struct sockaddr *sa, bool with_port, char buf[NET_ADDRESS_MAX]);

#endif
