// SPDX-License-Identifier: LGPL-2.1-or-later
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "probe_common.h"

#define LOG_TAIL_LINES 24
#define LOG_LINE_MAX   256

static char log_tail[LOG_TAIL_LINES][LOG_LINE_MAX];
static unsigned log_tail_next, log_tail_count;
static char log_tail_joined[LOG_TAIL_LINES * LOG_LINE_MAX];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n == 0)
		return 0;
	if (level != LIBBPF_DEBUG) {
		memcpy(log_tail[log_tail_next], line, n + 1);
		log_tail_next = (log_tail_next + 1) % LOG_TAIL_LINES;
		if (log_tail_count < LOG_TAIL_LINES)
			log_tail_count++;
	}
	/* libbpf warns about things we handle ourselves (fallbacks); keep them at debug. */
	log_debug("libbpf: %s", line);
	return 0;
}

void probe_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}

void probe_log_reset(void)
{
	log_tail_next = log_tail_count = 0;
}

const char *probe_log_tail(void)
{
	unsigned i, start = (log_tail_next + LOG_TAIL_LINES - log_tail_count) % LOG_TAIL_LINES;
	size_t off = 0;

	log_tail_joined[0] = '\0';
	for (i = 0; i < log_tail_count; i++) {
		int n = snprintf(log_tail_joined + off, sizeof(log_tail_joined) - off, "\n    %s",
				 log_tail[(start + i) % LOG_TAIL_LINES]);

		if (n < 0 || (size_t)n >= sizeof(log_tail_joined) - off)
			break;
		off += (size_t)n;
	}
	return log_tail_joined;
}

/*
 * Whether the kernel loads a trivial program of a BTF-attached type against
 * the named kernel type: the only reliable answer for tracing and LSM
 * programs, which lockdown or a security module may refuse (EPERM).
 */
static bool btf_prog_loads(struct btf *vmlinux, enum bpf_prog_type type,
			   enum bpf_attach_type attach, const char *target, __u32 kind)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
	int id, fd;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, target, kind);
	if (id <= 0)
		return false;
	opts.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(type, NULL, "GPL", insns, ELEMENTSOF(insns), &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool lsm_enabled(void)
{
	char buf[512];

	if (read_small_file("/sys/kernel/security/lsm", buf, sizeof(buf)) < 0)
		return false;
	return strstr(buf, "bpf") != NULL;
}

void probe_features_detect(struct probe_features *ret)
{
	struct probe_features f = {};
	struct btf *vmlinux = NULL;

	f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	if (f.btf)
		vmlinux = btf__load_vmlinux_btf();
	if (vmlinux && libbpf_get_error(vmlinux))
		vmlinux = NULL;
	f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	f.tp_btf = btf_prog_loads(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
				  "btf_trace_sched_process_exec", BTF_KIND_TYPEDEF);
	f.fentry = btf_prog_loads(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
				  "security_bprm_check", BTF_KIND_FUNC);
	f.lsm = lsm_enabled() && btf_prog_loads(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
						"bpf_lsm_bprm_check_security", BTF_KIND_FUNC);
	f.kprobes = access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
		    access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
	btf__free(vmlinux);
	*ret = f;
}

/* Effective capabilities of this process, from /proc/self/status. */
static int effective_caps(unsigned long long *ret)
{
	char buf[4096];
	const char *p;
	int r;

	r = read_small_file("/proc/self/status", buf, sizeof(buf));
	if (r < 0)
		return r;
	p = strstr(buf, "\nCapEff:");
	if (!p || sscanf(p + 8, "%llx", ret) != 1)
		return -EBADMSG;
	return 0;
}

#define CAP_BIT(c) (1ULL << (c))

int probe_check_prerequisites(const struct probe_features *f)
{
	unsigned long long caps = 0;
	bool can_load;

	if (effective_caps(&caps) < 0)
		caps = geteuid() == 0 ? ~0ULL : 0;
	can_load = (caps & CAP_BIT(CAP_SYS_ADMIN)) ||
		   ((caps & CAP_BIT(CAP_BPF)) && (caps & CAP_BIT(CAP_PERFMON)));
	if (!can_load)
		return log_error_errno(EPERM,
				       "postured loads eBPF programs and needs root (CAP_BPF and "
				       "CAP_PERFMON, or CAP_SYS_ADMIN); run it as root or under "
				       "its systemd unit.");
	if (!f->btf)
		return log_error_errno(ENOENT,
				       "The kernel exposes no BTF (/sys/kernel/btf/vmlinux is "
				       "missing). postured needs a kernel built with "
				       "CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, Fedora and RHEL "
				       "kernels are).");
	if (!f->ringbuf)
		return log_error_errno(EOPNOTSUPP,
				       "The kernel has no BPF ring buffer; postured needs Linux "
				       "5.8 or later.");
	return 0;
}

/*
 * Debian's kernels add a level 3 to kernel.perf_event_paranoid (their
 * default) at which perf_event_open() is refused to anything without
 * CAP_SYS_ADMIN, CAP_PERFMON notwithstanding.  The tracepoint probes attach
 * through perf events; the tp_btf and LSM ones do not.
 */
const char *probe_perf_hint(int r)
{
	unsigned long long caps = 0;
	char buf[32];
	int level;

	if (r != -EACCES && r != -EPERM)
		return "";
	if (read_small_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%d", &level) != 1 || level <= 2)
		return "";
	if (effective_caps(&caps) >= 0 && (caps & CAP_BIT(CAP_SYS_ADMIN)))
		return "";
	return " This kernel's kernel.perf_event_paranoid is above 2, at which it opens the perf "
	       "events that tracepoint probes attach through only to CAP_SYS_ADMIN, which "
	       "postured does not keep; set it to 2 (sysctl kernel.perf_event_paranoid=2) for "
	       "the tracepoint probes, or let postured use its tp_btf ones (probe flavour "
	       "auto or tp_btf) where the kernel has them.";
}

int probe_check_bpffs(const char *dir)
{
	struct statfs sfs;

	if (statfs(dir, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != BPF_FS_MAGIC)
		return -ENOTDIR;
	return 0;
}

int probe_log_load_error(int r, const char *what)
{
	if (r == -EPERM || r == -EACCES)
		return log_error_errno(r,
				       "The kernel refused to load the %s: %m. Is postured running "
				       "as root, and does kernel lockdown or a security module "
				       "forbid BPF? libbpf said:%s",
				       what, probe_log_tail());
	return log_error_errno(r, "The kernel's verifier refused the %s: %m. Its last lines:%s",
			       what, probe_log_tail());
}

int probe_ring_check_size(uint32_t bytes, const char *what)
{
	bool power_of_two = bytes && !(bytes & (bytes - 1));

	if (!power_of_two || bytes < (uint32_t)getpagesize())
		return log_error_errno(EINVAL,
				       "The %s size %u is not a power of two of at least a page.",
				       what, bytes);
	return 0;
}

static int ring_sample(void *ctx, void *data, size_t size)
{
	struct probe_ring *ring = ctx;

	return ring->fn(ring->userdata, data, size);
}

int probe_ring_init(struct probe_ring *ring, const struct bpf_map *map, __u64 *deadline,
		    probe_sample_fn fn, void *userdata, const char *what)
{
	/* The context is ring itself, so it must stay where it is (inside the probe). */
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), ring_sample, ring, NULL);

	if (!rb)
		return log_error_errno(errno, "Failed to set up the %s: %m", what);
	*ring = (struct probe_ring){
		.rb = rb, .fn = fn, .userdata = userdata, .deadline = deadline
	};
	return 0;
}

void probe_ring_done(struct probe_ring *ring)
{
	ring_buffer__free(ring->rb);
	ring->rb = NULL;
}

int probe_ring_fd(const struct probe_ring *ring)
{
	return ring_buffer__epoll_fd(ring->rb);
}

int probe_ring_drain(struct probe_ring *ring)
{
	return ring_buffer__consume(ring->rb);
}

void probe_ring_set_deadline(struct probe_ring *ring, nsec_t deadline)
{
	*ring->deadline = deadline;
}

int probe_stats_sum(int map_fd, int ncpus, uint32_t n, uint64_t *ret)
{
	_cleanup_free_ uint64_t *values = NULL;

	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(map_fd, &k, values) < 0)
			return -errno;
		for (int c = 0; c < ncpus; c++)
			sum += values[c];
		ret[k] = sum;
	}
	return 0;
}
