// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "runstate.h"

/* A decimal number without sign or spaces, as runstate_format() writes them. */
static int parse_u64(const char *s, size_t len, uint64_t *ret)
{
	char buf[32], *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int runstate_parse(const char *text, struct runstate *ret, char *err, size_t err_size)
{
	struct runstate s = {};
	unsigned line = 0;
	const char *p = text;

	*ret = (struct runstate){};
	if (!text[0]) {
		strbuf_printf(err, err_size, "the file is empty");
		return -EINVAL;
	}
	while (*p) {
		size_t len = strcspn(p, "\n"), klen;
		const char *eq = memchr(p, '=', len), *v;
		uint64_t n;

		line++;
		if (len == 0)
			goto next;
		if (!eq) {
			/* The first versions' file: the last snapshot's time alone. */
			if (line == 1 && parse_u64(p, len, &n) >= 0 &&
			    strspn(p + len, "\n") == strlen(p + len)) {
				s.last_snapshot = n;
				*ret = s;
				return 0;
			}
			strbuf_printf(err, err_size, "line %u: not a key=value line", line);
			return -EINVAL;
		}
		klen = (size_t)(eq - p);
		v = eq + 1;
		len -= klen + 1;
#define KEY(k) (klen == strlen(k) && memcmp(p, (k), klen) == 0)
		if (KEY("boot_uid")) {
			if (len != 32 || strspn(v, "0123456789abcdef") < 32) {
				strbuf_printf(err, err_size,
					      "line %u: boot_uid is not 32 lower-case hex digits",
					      line);
				return -EINVAL;
			}
			memcpy(s.boot_uid, v, 32);
			s.boot_uid[32] = '\0';
		} else if (KEY("last_snapshot") || KEY("started") || KEY("alive") ||
			   KEY("stopped") || KEY("pid")) {
			if (parse_u64(v, len, &n) < 0 || (KEY("pid") && n > UINT32_MAX)) {
				strbuf_printf(err, err_size, "line %u: %.*s is not a number", line,
					      (int)klen, p);
				return -EINVAL;
			}
			if (KEY("last_snapshot"))
				s.last_snapshot = n;
			else if (KEY("started"))
				s.started = n;
			else if (KEY("alive"))
				s.alive = n;
			else if (KEY("stopped"))
				s.stopped = n;
			else
				s.pid = (uint32_t)n;
		}
		/* Any other key is a newer agent's: skipped. */
#undef KEY
		len += klen + 1;
next:
		p += len;
		if (*p == '\n')
			p++;
	}
	*ret = s;
	return 0;
}

size_t runstate_format(const struct runstate *s, char *buf, size_t size)
{
	int n = snprintf(buf, size,
			 "last_snapshot=%" PRIu64 "\nstarted=%" PRIu64 "\nalive=%" PRIu64
			 "\nstopped=%" PRIu64 "\npid=%" PRIu32 "\n%s%s%s",
			 s->last_snapshot, s->started, s->alive, s->stopped, s->pid,
			 s->boot_uid[0] ? "boot_uid=" : "", s->boot_uid,
			 s->boot_uid[0] ? "\n" : "");

	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

const char *runstate_previous_to_string(enum runstate_previous p)
{
	static const char *const names[_RUNSTATE_PREVIOUS_MAX] = {
		[RUNSTATE_PREVIOUS_NONE] = "none",
		[RUNSTATE_PREVIOUS_UNKNOWN] = "unknown",
		[RUNSTATE_PREVIOUS_CLEAN] = "clean",
		[RUNSTATE_PREVIOUS_UNCLEAN] = "unclean",
	};

	return (unsigned)p < _RUNSTATE_PREVIOUS_MAX ? names[p] : "unknown";
}

void runstate_judge(const struct runstate *prev, usec_t now, const char *boot_uid,
		    struct runstate_verdict *ret)
{
	struct runstate_verdict v = { .previous = RUNSTATE_PREVIOUS_NONE };

	if (prev) {
		if (prev->started == 0) {
			/* Nothing about the run; its last snapshot still says when it was going. */
			v.previous = RUNSTATE_PREVIOUS_UNKNOWN;
			v.last_known = prev->last_snapshot;
		} else if (prev->stopped) {
			v.previous = RUNSTATE_PREVIOUS_CLEAN;
			v.last_known = prev->stopped;
		} else {
			v.previous = RUNSTATE_PREVIOUS_UNCLEAN;
			v.last_known = MAX(prev->alive, prev->started);
		}
		v.rebooted = boot_uid && boot_uid[0] && prev->boot_uid[0] &&
			     strcmp(boot_uid, prev->boot_uid) != 0;
	}
	if (v.last_known) {
		v.clock_back = now < v.last_known;
		v.gap = v.clock_back ? 0 : now - v.last_known;
	}
	*ret = v;
}
