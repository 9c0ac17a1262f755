/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sockets listening now: TCP sockets in LISTEN and bound, unconnected UDP
 * sockets, IPv4 and IPv6, as the kernel's NETLINK_SOCK_DIAG lists them (no
 * privilege needed), and the processes holding each one, found by scanning
 * /proc/PID/fd for socket:[INODE].  The agent judges with this the listeners
 * that were there before it started, at start-up and on every policy change.
 *
 * Bounded: at most listeners_max sockets are kept, at most procs_max
 * processes and fds_max descriptors are looked at, at most
 * LISTENER_OWNERS_MAX owners are kept per socket; the result says when a
 * bound was hit.  Processes that end during the scan are skipped.  Owners in
 * processes whose fd directory cannot be read (other users' without
 * CAP_SYS_PTRACE) stay unknown and are counted.
 */
#ifndef POSTURED_LISTENERS_H
#define POSTURED_LISTENERS_H

#include <netinet/in.h> /* IPPROTO_TCP, IPPROTO_UDP */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LISTENERS_MAX_DEFAULT	    4096
#define LISTENERS_PROCS_MAX_DEFAULT 32768
#define LISTENERS_FDS_MAX_DEFAULT   262144
#define LISTENER_OWNERS_MAX	    4

struct listener_owner {
	pid_t pid;
	/*
	 * The process's executable as /proc/PID/exe names it (" (deleted)"
	 * included when it was replaced), "" when it cannot be read.  Owned by
	 * the struct listeners; owners in the same process share it.
	 */
	const char *exe;
};

struct listener {
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	/*
	 * AF_INET or AF_INET6.  An IPv6 socket bound to a v4-mapped address
	 * (::ffff:a.b.c.d, which needs IPV6_V6ONLY off) is reported as AF_INET
	 * a.b.c.d; "::" stays AF_INET6 (see v6only).
	 */
	uint8_t family;
	bool v6only; /* an AF_INET6 socket with IPV6_V6ONLY on: no IPv4 traffic */
	uint8_t addr[16]; /* local address, network byte order; AF_INET: the first 4 bytes */
	uint16_t port; /* local port, host byte order */
	uint32_t ifindex; /* the device it is bound to (SO_BINDTODEVICE), 0: none */
	uint32_t uid; /* the socket's owner, as the kernel reports it */
	uint64_t inode;
	unsigned n_owners; /* owners[] kept */
	bool owners_truncated; /* more processes hold it than LISTENER_OWNERS_MAX */
	struct listener_owner owners[LISTENER_OWNERS_MAX];
};

struct listeners_limits {
	size_t listeners_max; /* 0: LISTENERS_MAX_DEFAULT */
	size_t procs_max; /* 0: LISTENERS_PROCS_MAX_DEFAULT */
	size_t fds_max; /* 0: LISTENERS_FDS_MAX_DEFAULT */
	const char *proc_root; /* NULL: "/proc" */
};

struct listeners {
	size_t n;
	struct listener *items; /* sorted by protocol, family, port, address */
	bool truncated; /* more sockets than listeners_max: the rest are not in items */
	bool procs_truncated; /* procs_max processes looked at before the end of /proc */
	bool fds_truncated; /* fds_max descriptors looked at before the end of /proc */
	bool incomplete; /* the kernel cannot list a protocol or family (no UDP diag, no IPv6) */
	size_t sockets_seen; /* sockets the kernel listed, those past listeners_max included */
	size_t procs_scanned;
	size_t procs_denied; /* processes whose fds could not be read (EACCES, EPERM) */
	size_t fds_scanned;
	/* The executables' strings. */
	size_t n_exes;
	char **exes;
};

/*
 * Lists the listening sockets of this network namespace and their owners.
 * limits may be NULL for the defaults.  Returns 0 and a new struct listeners
 * in *ret (free it with listeners_free()), or -errno: -ENOMEM, a netlink
 * error (-EPROTO for a malformed answer), or the error opening proc_root.
 */
int listeners_read(const struct listeners_limits *limits, struct listeners **ret);
struct listeners *listeners_free(struct listeners *l);

/* The listener holding that socket inode, or NULL. */
const struct listener *listeners_find_inode(const struct listeners *l, uint64_t inode);

/* "tcp" or "udp". */
const char *listener_protocol_to_string(const struct listener *e);

#endif
