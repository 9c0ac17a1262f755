/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What every probe does the same way: count in its per-CPU stats, decide
 * when a record wakes the consumer of its ring buffer, describe a task.
 *
 * Include after kernel_types.h, the libbpf headers and events.h.  Each probe
 * owns its maps (ring buffer, stats array) and passes them in.  The header
 * owns the wake-up knobs, which each loader sets by the same names
 * (agent/probe_<name>.c), and the consumer's deadline, which the consumer
 * writes (agent/probe_common.h); a probe may define RING_WAKEUP_BYTES before
 * the include for its own default fill level.
 */
#ifndef POSTURED_PROBES_RING_BPF_H
#define POSTURED_PROBES_RING_BPF_H

#ifndef RING_WAKEUP_BYTES
#define RING_WAKEUP_BYTES (256 * 1024)
#endif

/* Knobs set by the loader before load. */
const volatile __u32 cfg_wakeup_mode = EVENT_WAKEUP_BATCHED;
const volatile __u64 cfg_wakeup_bytes = RING_WAKEUP_BYTES;
/* After forcing a wake-up, how long records may wait for the drain it starts. */
const volatile __u64 cfg_wakeup_ns = 50 * 1000 * 1000;

/*
 * Written by the consumer: until this CLOCK_BOOTTIME instant it has a timer
 * armed that will drain the ring, so records need not wake it.  A racy read is
 * harmless: at worst one extra wake-up, and the consumer sweeps once more
 * before it stops its timer.
 */
__u64 consumer_deadline_ns = 0;

/* Adds one to counter idx of stats, a per-CPU array of __u64. */
static __always_inline void ring_stat_inc(void *stats, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(stats, &idx);

	if (v)
		*v += 1;
}

/*
 * The flags for bpf_ringbuf_submit() to ring: a forced wake-up when enough
 * bytes wait or the consumer's deadline has passed, counted at counter
 * wakeup_stat of stats; otherwise none.
 */
static __always_inline __u64 ring_wakeup_flags(void *ring, void *stats, __u32 wakeup_stat)
{
	if (cfg_wakeup_mode == EVENT_WAKEUP_EACH)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();

	if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ||
	    now >= consumer_deadline_ns) {
		/*
		 * The consumer will drain once it runs and then announce its own
		 * deadline; until then, one wake-up is enough.
		 */
		consumer_deadline_ns = now + cfg_wakeup_ns;
		ring_stat_inc(stats, wakeup_stat);
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void header_init(struct event_header *h, __u16 kind, __u16 version,
					__u32 size)
{
	h->kind = kind;
	h->version = version;
	h->size = size;
	h->time_boot_ns = bpf_ktime_get_boot_ns();
}

/* The kernel's dev_t is major:12 minor:20; stat(2) uses the "new" encoding. */
static __always_inline __u64 dev_to_user(__u32 dev)
{
	__u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((__u64)(minor & ~0xffU) << 12);
}

/*
 * The fields of e every probe reads from task t the same way, with
 * BPF_CORE_READ(): ids, login uid ((__u32)-1 where the kernel has none),
 * start time, comm; and the current cgroup.  uid and gid are the caller's
 * to fill: the probes take them from different places.
 */
static __always_inline void fill_task_common(struct event_task *e, struct task_struct *t)
{
	e->pid = BPF_CORE_READ(t, tgid);
	e->tid = BPF_CORE_READ(t, pid);
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	if (bpf_core_field_exists(t->loginuid))
		e->loginuid = BPF_CORE_READ(t, loginuid.val);
	else
		e->loginuid = (__u32)-1;
	if (bpf_core_field_exists(t->start_boottime))
		e->start_boot_ns = BPF_CORE_READ(t, group_leader, start_boottime);
	else
		e->start_boot_ns = 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
}

#endif
