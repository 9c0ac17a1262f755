/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the readers of the kernel's netlink answers share (agent/postured/listeners.c
 * with sock_diag, agent/postured/netwatch.c with rtnetlink): a socket for dumps, one
 * datagram received with its sender checked, and a whole dump, with the
 * answer bounded by the caller's buffer and only the kernel's messages read.
 */
#ifndef POSTURED_BASIC_NETLINK_UTIL_H
#define POSTURED_BASIC_NETLINK_UTIL_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * A netlink socket of the given protocol (NETLINK_ROUTE, NETLINK_SOCK_DIAG)
 * for dumps: blocking, with receives that give up after timeout_sec.
 * Returns the fd (O_CLOEXEC) or -errno.
 */
int netlink_open_dump(int protocol, unsigned timeout_sec);

/*
 * Receives one datagram into buf[size] (recvmsg() flags: MSG_DONTWAIT or 0).
 * Returns its length, or -errno as recvmsg() failed (-EINTR included).
 * *ret_from_kernel says whether the kernel sent it (sender port 0; other
 * processes send from ports of their own), *ret_truncated whether it was
 * larger than size and cut (MSG_TRUNC).
 */
ssize_t netlink_recv(int fd, void *buf, size_t size, int flags, bool *ret_from_kernel,
		     bool *ret_truncated);

/* Called for each message of a dump's answer; returns 0, or < 0 to stop with that error. */
typedef int (*netlink_dump_fn)(const struct nlmsghdr *h, void *userdata);

/*
 * Sends req (a request with NLM_F_REQUEST | NLM_F_DUMP, its nlmsg_len bytes,
 * a sequence number of the caller's) to the kernel and hands each message of
 * the answer that carries that sequence number to fn, until NLMSG_DONE.  buf
 * holds one datagram at a time; datagrams from other processes are skipped.
 * Returns 0 when done, 1 when the kernel marked the dump interrupted
 * (NLM_F_DUMP_INTR: the answer may be inconsistent, ask again), or -errno:
 * the kernel's error, -EPROTO for a malformed answer, -EMSGSIZE for a
 * datagram larger than size, -ETIMEDOUT when the socket's receive timeout
 * passed, or fn's error.
 */
int netlink_dump(int fd, const struct nlmsghdr *req, void *buf, size_t size, netlink_dump_fn fn,
		 void *userdata);

#endif
