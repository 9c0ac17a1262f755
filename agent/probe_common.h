/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every probe loader shares: the kernel's features as probed at start,
 * libbpf's log routed to ours, with the verifier's last lines kept for the
 * error message when a load fails.
 */
#ifndef POSTURED_PROBE_COMMON_H
#define POSTURED_PROBE_COMMON_H

#include <stdbool.h>
#include <stddef.h>

struct probe_features {
	bool btf; /* /sys/kernel/btf/vmlinux present */
	bool tp_btf; /* BTF-typed raw tracepoints load */
	bool ringbuf; /* BPF ring buffer maps */
	bool lsm; /* BPF LSM programs load (and "bpf" is in the LSM list) */
	bool fentry; /* fentry/fexit programs load */
	bool kprobes; /* kprobes configured in */
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
 * Checks that dir lies on a mounted bpffs, for pinning.  Returns 0, -ENOENT
 * when missing, -ENOTDIR when it is some other filesystem.
 */
int probe_check_bpffs(const char *dir);

#endif
