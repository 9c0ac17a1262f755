/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tamper watch over the agent's own BPF programs and links: changes it
 * did not make.  The probes say what they hold now (struct probe_link, the
 * fds stay theirs); the watch asks the kernel about each through those fds
 * (no capability needed: the agent keeps CAP_BPF but not CAP_SYS_ADMIN,
 * which bpf_*_get_fd_by_id() would need) and compares with what it saw
 * when the link first appeared.
 *
 * - A link the probes stopped listing was destroyed by the agent itself
 *   (a rule that needed it went): forgotten, not reported.
 * - A link still held but detached by someone else (BPF_LINK_DETACH on an
 *   fd from bpf_link_get_fd_by_id(); the kernel lets cgroup links be
 *   detached that way) shows a link info without a target: "detached".
 * - A link now running another program (BPF_LINK_UPDATE): "replaced".
 * - A link or program whose info the kernel no longer gives: "gone".
 *
 * Each change is reported once, through the callback; a link that comes
 * back to what the agent attached is reported once as "restored".  Every
 * query of the kernel goes through struct bpfwatch_ops, so
 * tests/unit/test_bpfwatch.c runs the logic without BPF.
 */
#ifndef POSTURED_BPFWATCH_H
#define POSTURED_BPFWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe_common.h"

enum bpfwatch_change {
	BPFWATCH_RESTORED, /* as the agent attached it again, after a change */
	BPFWATCH_DETACHED,
	BPFWATCH_REPLACED,
	BPFWATCH_GONE,
	_BPFWATCH_CHANGE_MAX,
};

/* "restored", "detached", "replaced", "gone". */
const char *bpfwatch_change_to_string(enum bpfwatch_change c);

/* What the kernel says of one link. */
struct bpfwatch_link_info {
	uint32_t id, prog_id;
	uint32_t type; /* enum bpf_link_type */
	bool attached; /* it has a target (a cgroup link: a cgroup id) */
	char target[64]; /* what it is attached to, for the report ("cgroup 1"); may be "" */
};

struct bpfwatch_ops {
	/* Returns 0 and fills *ret, or -errno (-EOPNOTSUPP: the kernel has no info for it). */
	int (*link_info)(int link_fd, struct bpfwatch_link_info *ret);
	/* The id of the program open at prog_fd: 0 or -errno. */
	int (*prog_id)(int prog_fd, uint32_t *ret);
};

/* The real ones, through libbpf's bpf_link_get_info_by_fd() and bpf_prog_get_info_by_fd(). */
extern const struct bpfwatch_ops bpfwatch_ops_kernel;

/* One change, for the callback; name and target valid only during the call. */
struct bpfwatch_report {
	enum bpfwatch_change change;
	const char *name; /* the program's name */
	uint32_t link_id; /* 0 when the link had no info to begin with */
	uint32_t prog_id; /* the program the agent attached */
	uint32_t now_prog_id; /* replaced: the program the link runs now */
	const char *link_type; /* "cgroup", "raw_tracepoint", "tracing", "perf_event", ... */
	const char *target; /* what the agent had attached it to, may be "" */
};

typedef void (*bpfwatch_report_fn)(void *userdata, const struct bpfwatch_report *r);

typedef struct bpfwatch bpfwatch;

bpfwatch *bpfwatch_new(const struct bpfwatch_ops *ops);
bpfwatch *bpfwatch_free(bpfwatch *w);

/*
 * Looks at the n links the probes hold now: new ones are taken as the
 * agent's, changed ones are reported through fn (once a change).  Returns
 * the number of links watched, or -ENOMEM.
 */
int bpfwatch_check(bpfwatch *w, const struct probe_link *links, size_t n, bpfwatch_report_fn fn,
		   void *userdata);

/* The link type's name as bpftool says it, "unknown" for one it does not know. */
const char *bpfwatch_link_type_to_string(uint32_t type);

#endif
