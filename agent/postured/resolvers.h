/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system's resolvers: the DNS servers this machine is set to use now,
 * which the policy's address keyword "system_resolvers" stands for.  Two
 * sources: the nameservers of resolv.conf (read here, within bounds), and
 * systemd-resolved's servers over D-Bus (resolved.c).  This file holds the
 * set itself and the resolv.conf parser; it does no I/O but
 * resolvers_read_conf().  agent_resolvers.c follows both sources and puts
 * the set in force.
 */
#ifndef POSTURED_RESOLVERS_H
#define POSTURED_RESOLVERS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

#define RESOLV_CONF_DEFAULT "/etc/resolv.conf"
/* resolv.conf is a few lines; a larger file is refused rather than half read. */
#define RESOLV_CONF_MAX_BYTES (64 * 1024)
/* A longer line is skipped whole: glibc reads its lines into a buffer of about this much. */
#define RESOLV_CONF_LINE_MAX 1024

/* What one parse of resolv.conf found. */
struct resolv_conf {
	struct policy_net_resolvers set; /* the nameservers, in file order, each once */
	size_t nameservers; /* "nameserver" lines with a valid address, repeats included */
	size_t dropped; /* valid addresses past POLICY_NET_RESOLVERS_MAX */
	size_t invalid; /* "nameserver" lines whose address is not one */
	size_t long_lines; /* lines over RESOLV_CONF_LINE_MAX, skipped */
	bool stub; /* systemd-resolved's stub (127.0.0.53 or 127.0.0.54) is among them */
};

/*
 * Parses resolv.conf's text (size bytes; need not be NUL-terminated) as
 * glibc does for its nameservers: "nameserver" at the start of a line,
 * blanks, an IPv4 or IPv6 address, which ends at a blank, "#" or ";".  An
 * IPv6 address may carry a scope ("fe80::1%wlan0"), which is dropped: the
 * kernel's hooks judge the address.  Comment lines ("#", ";"), other
 * options, and lines with a NUL are skipped.  Never fails.
 */
void resolvers_parse_conf(const char *text, size_t size, struct resolv_conf *ret);

/*
 * Reads path (at most RESOLV_CONF_MAX_BYTES, following a symbolic link, as
 * resolv.conf usually is) and parses it.  Returns 0, or -errno: -ENOENT for
 * no file, -EFBIG for one too large.
 */
int resolvers_read_conf(const char *path, struct resolv_conf *ret);

/*
 * Parses one address: IPv4, IPv6 (a scope after "%" of at most IF_NAMESIZE
 * bytes is dropped), v4-mapped IPv6 made IPv4.  Returns 0 and a whole-length
 * prefix in *ret, or -EINVAL.
 */
int resolvers_parse_address(const char *s, struct policy_net_prefix *ret);

/*
 * Adds the address of family (AF_INET: 4 bytes at addr, AF_INET6: 16) to
 * set, v4-mapped as IPv4, unless it is there already.  Returns 1 when
 * added, 0 when it was there, -E2BIG when the set is full, -EINVAL for
 * another family.
 */
int resolvers_add(struct policy_net_resolvers *set, int family, const void *addr);

/* Adds every address of from to set, as resolvers_add(); returns how many did not fit. */
size_t resolvers_merge(struct policy_net_resolvers *set, const struct policy_net_resolvers *from);

/* Whether a and b hold the same addresses, in whatever order. */
bool resolvers_equal(const struct policy_net_resolvers *a, const struct policy_net_resolvers *b);

/* The i-th address as text ("192.0.2.53", "fe80::1") into buf; "" past the end. */
const char *resolvers_address_text(const struct policy_net_resolvers *set, size_t i, char *buf,
				   size_t size);

#endif
