/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every probe loader shares: the kernel's features as probed at start,
 * libbpf's log routed to ours, with the verifier's last lines kept for the
 * error message when a load fails, and the consumer's side of a probe's ring
 * buffer and counters.
 */
#ifndef POSTURED_PROBE_COMMON_H
#define POSTURED_PROBE_COMMON_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/time-util.h"

struct bpf_map;
struct ring_buffer;

struct probe_features {
	bool btf; /* /sys/kernel/btf/vmlinux present */
	bool tp_btf; /* BTF-typed raw tracepoints load */
	bool ringbuf; /* BPF ring buffer maps */
	bool lsm; /* BPF LSM programs load (and "bpf" is in the LSM list) */
	bool fentry; /* fentry/fexit programs load */
	bool kprobes; /* kprobes configured in */
};

/*
 * A program a probe loaded and the link that keeps it attached, as the
 * probe holds them now (the tamper watch, bpfwatch.c, looks at them).
 */
struct probe_link {
	const char *name; /* the program's name in the object */
	int link_fd, prog_fd;
};

/* Probes the running kernel.  Never fails: what cannot be probed is false. */
void probe_features_detect(struct probe_features *ret);

/* Routes libbpf's messages to our log and keeps the last lines it printed. */
void probe_log_setup(void);

/* The last lines libbpf printed (the verifier's tail after a failed load). */
const char *probe_log_tail(void);
void probe_log_reset(void);

/*
 * Checks what loading probes needs before trying, so the error says what to
 * do: privileges (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), BTF.  Logs and
 * returns -errno on the first thing missing.
 */
int probe_check_prerequisites(const struct probe_features *f);

/*
 * What to say after r from attaching a tracepoint probe, when the kernel's
 * perf_event_paranoid level is why: a sentence with a leading space, or "".
 */
const char *probe_perf_hint(int r);

/*
 * Checks that dir lies on a mounted bpffs, for pinning.  Returns 0, -ENOENT
 * when missing, -ENOTDIR when it is some other filesystem.
 */
int probe_check_bpffs(const char *dir);

/*
 * Logs why the kernel refused to load a probe (r from its skeleton's load),
 * naming it by what ("network probe"), with libbpf's last lines.  Returns r.
 */
int probe_log_load_error(int r, const char *what);

/* Called for each record of a ring buffer; returns 0, or < 0 to stop the drain. */
typedef int (*probe_sample_fn)(void *userdata, const void *data, size_t size);

/*
 * The consumer's side of a probe's ring buffer: the records go to fn, and
 * the programs wake the consumer by the deadline it sets in their .bss
 * (consumer_deadline_ns, read by the programs of probes/ when they batch).
 */
struct probe_ring {
	struct ring_buffer *rb;
	probe_sample_fn fn;
	void *userdata;
	__u64 *deadline;
};

/*
 * Checks a ring buffer size before loading: a power of two, at least a page.
 * Logs, naming it by what ("network ring buffer"), and returns -EINVAL when not.
 */
int probe_ring_check_size(uint32_t bytes, const char *what);

/*
 * Sets up the consumer of a loaded probe's ring buffer map: records go to fn,
 * deadline is the programs' consumer_deadline_ns.  Logs and returns -errno on
 * failure; ring is untouched then.  Undo with probe_ring_done().
 */
int probe_ring_init(struct probe_ring *ring, const struct bpf_map *map, __u64 *deadline,
		    probe_sample_fn fn, void *userdata, const char *what);
void probe_ring_done(struct probe_ring *ring);

/* An fd that polls readable when records are waiting. */
int probe_ring_fd(const struct probe_ring *ring);

/* Hands every waiting record to the callback.  Returns how many, or -errno. */
int probe_ring_drain(struct probe_ring *ring);

/*
 * Tells the programs the consumer will drain by itself before `deadline`
 * (CLOCK_BOOTTIME ns), so records until then need not wake it; 0 = wake now.
 */
void probe_ring_set_deadline(struct probe_ring *ring, nsec_t deadline);

/*
 * Sums the n counters of a per-CPU array map of uint64_t (ncpus: libbpf's
 * possible CPUs) into ret[n].  Returns 0 or -errno.
 */
int probe_stats_sum(int map_fd, int ncpus, uint32_t n, uint64_t *ret);

#endif
