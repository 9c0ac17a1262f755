// SPDX-License-Identifier: LGPL-2.1-or-later
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "bpfwatch.h"

/* What the watch keeps of one link, found again by its fd (stable while the probe holds it). */
struct watched {
	int link_fd;
	uint32_t link_id, prog_id, type;
	char name[64];
	char target[64];
	int state; /* the change last reported, -1: none (as attached) */
	bool seen;
};

struct bpfwatch {
	const struct bpfwatch_ops *ops;
	struct watched *links;
	size_t n, cap;
};

const char *bpfwatch_change_to_string(enum bpfwatch_change c)
{
	static const char *const names[_BPFWATCH_CHANGE_MAX] = {
		[BPFWATCH_RESTORED] = "restored",
		[BPFWATCH_DETACHED] = "detached",
		[BPFWATCH_REPLACED] = "replaced",
		[BPFWATCH_GONE] = "gone",
	};

	return (unsigned)c < _BPFWATCH_CHANGE_MAX ? names[c] : "unknown";
}

const char *bpfwatch_link_type_to_string(uint32_t type)
{
	static const char *const names[] = {
		[BPF_LINK_TYPE_RAW_TRACEPOINT] = "raw_tracepoint",
		[BPF_LINK_TYPE_TRACING] = "tracing",
		[BPF_LINK_TYPE_CGROUP] = "cgroup",
		[BPF_LINK_TYPE_ITER] = "iter",
		[BPF_LINK_TYPE_NETNS] = "netns",
		[BPF_LINK_TYPE_XDP] = "xdp",
		[BPF_LINK_TYPE_PERF_EVENT] = "perf_event",
		[BPF_LINK_TYPE_KPROBE_MULTI] = "kprobe_multi",
		[BPF_LINK_TYPE_STRUCT_OPS] = "struct_ops",
	};

	return type < ELEMENTSOF(names) && names[type] ? names[type] : "unknown";
}

/*
 * bpf_obj_get_info_by_fd() rather than libbpf 1.2's bpf_link_get_info_by_fd():
 * Debian 12 has libbpf 1.1.  A cgroup link detached by someone else keeps
 * its fd and id but loses its cgroup (the kernel reports cgroup id 0).
 */
static int kernel_link_info(int link_fd, struct bpfwatch_link_info *ret)
{
	struct bpf_link_info info = {};
	char tp_name[sizeof(ret->target)] = "";
	__u32 len = sizeof(info);
	struct bpfwatch_link_info r = { .attached = true };

	/*
	 * Zeroed first: the union's other members take pointers too (a
	 * perf_event link's names), so a buffer is offered only to a type
	 * known to want it.
	 */
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return errno == EINVAL || errno == ENOTSUP ? -EOPNOTSUPP : -errno;
	if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
		info = (struct bpf_link_info){};
		len = sizeof(info);
		info.raw_tracepoint.tp_name = (__u64)(uintptr_t)tp_name;
		info.raw_tracepoint.tp_name_len = sizeof(tp_name);
		if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
			return -errno;
	}
	r.id = info.id;
	r.prog_id = info.prog_id;
	r.type = info.type;
	switch (info.type) {
	case BPF_LINK_TYPE_CGROUP:
		r.attached = info.cgroup.cgroup_id != 0;
		if (r.attached) {
			const char *hook = libbpf_bpf_attach_type_str(info.cgroup.attach_type);

			strbuf_printf(r.target, sizeof(r.target), "cgroup %llu (%s)",
				      (unsigned long long)info.cgroup.cgroup_id, hook ? hook : "?");
		}
		break;
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		tp_name[sizeof(tp_name) - 1] = '\0';
		strbufcpy(r.target, sizeof(r.target), tp_name);
		break;
	case BPF_LINK_TYPE_TRACING:
		strbuf_printf(r.target, sizeof(r.target), "btf id %u",
			      (unsigned)info.tracing.target_btf_id);
		break;
	default:
		break;
	}
	*ret = r;
	return 0;
}

static int kernel_prog_id(int prog_fd, uint32_t *ret)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	*ret = info.id;
	return 0;
}

const struct bpfwatch_ops bpfwatch_ops_kernel = {
	.link_info = kernel_link_info,
	.prog_id = kernel_prog_id,
};

bpfwatch *bpfwatch_new(const struct bpfwatch_ops *ops)
{
	bpfwatch *w = calloc(1, sizeof(*w));

	if (w)
		w->ops = ops;
	return w;
}

bpfwatch *bpfwatch_free(bpfwatch *w)
{
	if (!w)
		return NULL;
	free(w->links);
	free(w);
	return NULL;
}

static struct watched *watched_find(bpfwatch *w, int link_fd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->links[i].link_fd == link_fd)
			return &w->links[i];
	return NULL;
}

static struct watched *watched_add(bpfwatch *w, const struct probe_link *l)
{
	struct watched *e;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		struct watched *links = reallocarray(w->links, cap, sizeof(*links));

		if (!links)
			return NULL;
		w->links = links;
		w->cap = cap;
	}
	e = &w->links[w->n++];
	*e = (struct watched){ .link_fd = l->link_fd, .state = -1 };
	return e;
}

/* The link as the agent attached it: what later looks are compared with. */
static void watched_learn(struct watched *e, const struct probe_link *l, int info_r,
			  const struct bpfwatch_link_info *info, int prog_r, uint32_t prog_id)
{
	strbufcpy(e->name, sizeof(e->name), l->name ? l->name : "?");
	e->link_id = info_r >= 0 ? info->id : 0;
	e->type = info_r >= 0 ? info->type : 0;
	strbufcpy(e->target, sizeof(e->target), info_r >= 0 ? info->target : "");
	e->prog_id = prog_r >= 0 ? prog_id : 0;
	e->state = -1;
}

int bpfwatch_check(bpfwatch *w, const struct probe_link *links, size_t n, bpfwatch_report_fn fn,
		   void *userdata)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->n; i++)
		w->links[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct probe_link *l = &links[i];
		struct bpfwatch_link_info info = {};
		uint32_t prog_id = 0;
		int info_r = w->ops->link_info(l->link_fd, &info);
		int prog_r = w->ops->prog_id(l->prog_fd, &prog_id);
		struct watched *e = watched_find(w, l->link_fd);
		int change = -1;

		if (!e) {
			e = watched_add(w, l);
			if (!e)
				return -ENOMEM;
			watched_learn(e, l, info_r, &info, prog_r, prog_id);
		} else if (info_r >= 0 && e->link_id && info.id != e->link_id) {
			/* The fd now holds another link: the agent made a new one there. */
			watched_learn(e, l, info_r, &info, prog_r, prog_id);
		}
		e->seen = true;

		if (prog_r < 0 || (e->link_id && info_r < 0))
			change = BPFWATCH_GONE;
		else if (info_r >= 0 && !info.attached)
			change = BPFWATCH_DETACHED;
		else if (info_r >= 0 && e->prog_id && info.prog_id != e->prog_id)
			change = BPFWATCH_REPLACED;
		if (change == e->state)
			continue;
		if (change >= 0 || e->state >= 0) {
			struct bpfwatch_report r = {
				.change = change >= 0 ? (enum bpfwatch_change)change :
							BPFWATCH_RESTORED,
				.name = e->name,
				.link_id = e->link_id,
				.prog_id = e->prog_id,
				.now_prog_id = info_r >= 0 ? info.prog_id : 0,
				.link_type = bpfwatch_link_type_to_string(e->type),
				.target = e->target,
			};

			if (fn)
				fn(userdata, &r);
		}
		e->state = change;
	}
	/* Links the probes no longer hold: the agent let them go. */
	for (size_t i = 0; i < w->n; i++)
		if (w->links[i].seen)
			w->links[kept++] = w->links[i];
	w->n = kept;
	return (int)kept;
}
