/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Addresses and sockets of a test's own on loopback, for the suites that
 * make connections, datagrams and binds under network rules: an address
 * parsed once into its family, bytes and text; a loopback address
 * 127.0.0.x no other run is likely to use; a socket bound to a port the
 * kernel chose, which holds the port for the test.
 */
#ifndef POSTURED_TESTS_HARNESS_NET_H
#define POSTURED_TESTS_HARNESS_NET_H

#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>

struct harness_addr {
	int family; /* AF_INET or AF_INET6; 0 when the text is no address */
	uint8_t bytes[16]; /* 4 of them for AF_INET */
	char text[INET6_ADDRSTRLEN];
};

/* The address written as text ("127.0.0.5", "::1", "::ffff:127.0.0.5"). */
struct harness_addr harness_addr_of(const char *text);

/* A loopback address 127.0.0.x of the test's own, x drawn from 2..254. */
struct harness_addr harness_loopback4_random(void);

/* a:port as a socket address in *ss; returns its length. */
socklen_t harness_sockaddr_of(const struct harness_addr *a, uint16_t port,
			      struct sockaddr_storage *ss);

/*
 * A socket of ours bound to a, port chosen by the kernel: listening for
 * SOCK_STREAM, a bound datagram socket for SOCK_DGRAM.  It holds the port
 * for the test, and takes what clients send there.  *ret_fd is the
 * caller's.  Returns 0 or -1 (it said why).
 */
int harness_sock_open(const struct harness_addr *a, int type, int *ret_fd, uint16_t *ret_port);

/* A TCP port on a that nobody listens on: one the kernel gave us and we gave back. */
int harness_free_port(const struct harness_addr *a, uint16_t *ret);

#endif
