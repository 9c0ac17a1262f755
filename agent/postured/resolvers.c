// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The system's resolvers as a set, and resolv.conf's nameservers.  The
 * file is written by whatever manages the network (NetworkManager,
 * systemd-resolved, a VPN client, DHCP hooks), so it is read as outside
 * input: bounded in size, line length and count, every address parsed
 * strictly, and what does not fit or parse counted rather than guessed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "resolvers.h"

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, mapped, sizeof(mapped)) == 0;
}

int resolvers_parse_address(const char *s, struct policy_net_prefix *ret)
{
	char text[INET6_ADDRSTRLEN + 1 + IF_NAMESIZE];
	struct policy_net_prefix p = {};
	size_t len = strlen(s);
	char *scope;

	if (len == 0 || len >= sizeof(text))
		return -EINVAL;
	memcpy(text, s, len + 1);
	scope = strchr(text, '%');
	if (scope) {
		/* A link's scope: only IPv6 has one, and only one, not empty. */
		if (!strchr(text, ':') || scope[1] == '\0' || strlen(scope + 1) >= IF_NAMESIZE ||
		    strchr(scope + 1, '%'))
			return -EINVAL;
		*scope = '\0';
	}
	if (inet_pton(AF_INET, text, p.addr) == 1) {
		if (scope)
			return -EINVAL;
		p.family = AF_INET;
		p.prefixlen = 32;
	} else if (inet_pton(AF_INET6, text, p.addr) == 1) {
		p.family = AF_INET6;
		p.prefixlen = 128;
		if (is_v4_mapped(p.addr)) {
			memmove(p.addr, p.addr + 12, 4);
			memset(p.addr + 4, 0, sizeof(p.addr) - 4);
			p.family = AF_INET;
			p.prefixlen = 32;
		}
	} else {
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

int resolvers_add(struct policy_net_resolvers *set, int family, const void *addr)
{
	struct policy_net_prefix p = {};

	if (family == AF_INET) {
		p = (struct policy_net_prefix){ .family = AF_INET, .prefixlen = 32 };
		memcpy(p.addr, addr, 4);
	} else if (family == AF_INET6) {
		p = (struct policy_net_prefix){ .family = AF_INET6, .prefixlen = 128 };
		memcpy(p.addr, addr, 16);
		if (is_v4_mapped(p.addr)) {
			memmove(p.addr, p.addr + 12, 4);
			memset(p.addr + 4, 0, sizeof(p.addr) - 4);
			p.family = AF_INET;
			p.prefixlen = 32;
		}
	} else {
		return -EINVAL;
	}
	for (size_t i = 0; i < set->n && i < POLICY_NET_RESOLVERS_MAX; i++)
		if (set->addrs[i].family == p.family &&
		    memcmp(set->addrs[i].addr, p.addr, sizeof(p.addr)) == 0)
			return 0;
	if (set->n >= POLICY_NET_RESOLVERS_MAX)
		return -E2BIG;
	set->addrs[set->n++] = p;
	return 1;
}

size_t resolvers_merge(struct policy_net_resolvers *set, const struct policy_net_resolvers *from)
{
	size_t left_out = 0;

	for (size_t i = 0; i < from->n && i < POLICY_NET_RESOLVERS_MAX; i++)
		left_out += resolvers_add(set, from->addrs[i].family, from->addrs[i].addr) ==
			    -E2BIG;
	return left_out;
}

static bool resolvers_has(const struct policy_net_resolvers *s, const struct policy_net_prefix *p)
{
	for (size_t i = 0; i < s->n && i < POLICY_NET_RESOLVERS_MAX; i++)
		if (s->addrs[i].family == p->family &&
		    memcmp(s->addrs[i].addr, p->addr, sizeof(p->addr)) == 0)
			return true;
	return false;
}

bool resolvers_equal(const struct policy_net_resolvers *a, const struct policy_net_resolvers *b)
{
	/* Each holds every address once, so equal counts and inclusion one way suffice. */
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n && i < POLICY_NET_RESOLVERS_MAX; i++)
		if (!resolvers_has(b, &a->addrs[i]))
			return false;
	return true;
}

const char *resolvers_address_text(const struct policy_net_resolvers *set, size_t i, char *buf,
				   size_t size)
{
	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (i >= set->n || i >= POLICY_NET_RESOLVERS_MAX ||
	    !inet_ntop(set->addrs[i].family, set->addrs[i].addr, buf, (socklen_t)size))
		buf[0] = '\0';
	return buf;
}

/* One line, without its newline: a nameserver, or nothing the set is about. */
static void parse_line(const char *line, size_t len, struct resolv_conf *rc)
{
	static const char keyword[] = "nameserver";
	char addr[INET6_ADDRSTRLEN + 1 + IF_NAMESIZE];
	struct policy_net_prefix p;
	size_t i = sizeof(keyword) - 1, start, end;
	int r;

	/* As glibc: the keyword at the very start, then at least one blank. */
	if (len <= i || memcmp(line, keyword, i) != 0 || (line[i] != ' ' && line[i] != '\t'))
		return;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	start = i;
	while (i < len && !strchr(" \t\r#;", line[i]))
		i++;
	end = i;
	if (end == start || end - start >= sizeof(addr)) {
		rc->invalid++;
		return;
	}
	memcpy(addr, line + start, end - start);
	addr[end - start] = '\0';
	if (resolvers_parse_address(addr, &p) < 0) {
		rc->invalid++;
		return;
	}
	rc->nameservers++;
	/* systemd-resolved's stub and its proxy: the resolver programs talk to. */
	if (p.family == AF_INET && p.addr[0] == 127 && p.addr[1] == 0 && p.addr[2] == 0 &&
	    (p.addr[3] == 53 || p.addr[3] == 54))
		rc->stub = true;
	r = resolvers_add(&rc->set, p.family, p.addr);
	if (r == -E2BIG)
		rc->dropped++;
}

void resolvers_parse_conf(const char *text, size_t size, struct resolv_conf *ret)
{
	struct resolv_conf rc = {};
	size_t pos = 0;

	while (pos < size) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;

		pos += len + (nl ? 1 : 0);
		if (len > RESOLV_CONF_LINE_MAX) {
			rc.long_lines++;
			continue;
		}
		/* A NUL in a line: not text; glibc would stop reading the line there. */
		if (memchr(line, '\0', len))
			continue;
		if (len > 0 && (line[0] == '#' || line[0] == ';'))
			continue;
		parse_line(line, len, &rc);
	}
	*ret = rc;
}

int resolvers_read_conf(const char *path, struct resolv_conf *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	int r;

	r = read_full_file(path, RESOLV_CONF_MAX_BYTES, 0, &text, &size);
	if (r < 0)
		return r;
	resolvers_parse_conf(text, size, ret);
	return 0;
}
