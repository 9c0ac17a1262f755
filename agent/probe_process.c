// SPDX-License-Identifier: LGPL-2.1-or-later
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "probe_process.h"
#include "process.skel.h"

struct probe_process {
	struct process_bpf *skel;
	struct ring_buffer *rb;
	enum probe_flavor flavor;
	bool lsm; /* the BPF LSM program refuses denied execs */
	probe_process_sample_fn fn;
	void *userdata;
	int ncpus;
	uint32_t next_gen; /* the generation being filled, when filling */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct process_bpf *, process_bpf__destroy);

const char *probe_flavor_to_string(enum probe_flavor f)
{
	switch (f) {
	case PROBE_FLAVOR_AUTO:
		return "auto";
	case PROBE_FLAVOR_TP_BTF:
		return "tp_btf";
	case PROBE_FLAVOR_TRACEPOINT:
		return "tracepoint";
	}
	return "unknown";
}

int probe_flavor_from_string(const char *s, enum probe_flavor *ret)
{
	static const enum probe_flavor all[] = { PROBE_FLAVOR_AUTO, PROBE_FLAVOR_TP_BTF,
						 PROBE_FLAVOR_TRACEPOINT };

	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		if (strcmp(s, probe_flavor_to_string(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

static int ring_sample(void *ctx, void *data, size_t size)
{
	probe_process *p = ctx;

	return p->fn(p->userdata, data, size);
}

static bool is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Opens, configures, loads and attaches one flavour. */
static int load_flavor(probe_process *p, const struct probe_process_config *cfg,
		       enum probe_flavor flavor, bool lsm)
{
	_cleanup_(process_bpf__destroyp) struct process_bpf *skel = NULL;
	bool btf = flavor == PROBE_FLAVOR_TP_BTF;
	int r;

	skel = process_bpf__open();
	if (!skel)
		return log_error_errno(errno, "Failed to open the process probe: %m");

	skel->rodata->cfg_args_size = MIN(cfg->args_size, (uint32_t)EVENT_ARGS_LEN);
	skel->rodata->cfg_wakeup_mode = cfg->wakeup_mode;
	skel->rodata->cfg_wakeup_bytes = cfg->wakeup_bytes;
	skel->rodata->cfg_wakeup_ns = (uint64_t)cfg->wakeup_latency_ms * 1000000ULL;
	r = bpf_map__set_max_entries(skel->maps.events, cfg->ring_bytes);
	if (r < 0)
		return log_error_errno(r, "Failed to size the ring buffer to %u bytes: %m",
				       cfg->ring_bytes);

	bpf_program__set_autoload(skel->progs.exec_btf, btf);
	bpf_program__set_autoload(skel->progs.exit_btf, btf);
	bpf_program__set_autoload(skel->progs.fork_btf, btf);
	bpf_program__set_autoload(skel->progs.exec_tp, !btf);
	bpf_program__set_autoload(skel->progs.exit_tp, !btf);
	bpf_program__set_autoload(skel->progs.fork_tp, !btf);
	bpf_program__set_autoload(skel->progs.exec_lsm, lsm);

	probe_log_reset();
	r = process_bpf__load(skel);
	if (r < 0 && lsm) {
		/* A try: the caller falls back to killing from the tracepoint. */
		log_debug_errno(r, "Loading with the BPF LSM exec hook failed: %m.%s",
				probe_log_tail());
		return r;
	}
	if (r < 0) {
		if (r == -EPERM || r == -EACCES)
			return log_error_errno(r,
					       "The kernel refused to load the process probe "
					       "(%s): %m. Is postured running as root, and does "
					       "kernel lockdown or a security module forbid BPF? "
					       "libbpf said:%s",
					       probe_flavor_to_string(flavor), probe_log_tail());
		return log_error_errno(r,
				       "The kernel's verifier refused the process probe (%s): %m. "
				       "Its last lines:%s",
				       probe_flavor_to_string(flavor), probe_log_tail());
	}
	r = process_bpf__attach(skel);
	if (r < 0 && lsm) {
		log_debug_errno(r, "Attaching the BPF LSM exec hook failed: %m.%s",
				probe_log_tail());
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to attach the process probe (%s): %m.%s",
				       probe_flavor_to_string(flavor), probe_log_tail());

	p->skel = TAKE_PTR(skel);
	p->flavor = flavor;
	p->lsm = lsm;
	return 0;
}

int probe_process_new(const struct probe_process_config *cfg, const struct probe_features *f,
		      probe_process_sample_fn fn, void *userdata, probe_process **ret)
{
	_cleanup_(probe_process_freep) probe_process *p = NULL;
	enum probe_flavor flavor = cfg->flavor;
	int r;

	if (!is_power_of_two(cfg->ring_bytes) || cfg->ring_bytes < (uint32_t)getpagesize())
		return log_error_errno(EINVAL,
				       "The ring buffer size %u is not a power of two of at least "
				       "a page.",
				       cfg->ring_bytes);

	p = calloc(1, sizeof(*p));
	if (!p)
		return log_oom();
	p->fn = fn;
	p->userdata = userdata;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0)
		return log_error_errno(p->ncpus, "Failed to count the possible CPUs: %m");

	if (flavor == PROBE_FLAVOR_AUTO)
		flavor = f->tp_btf ? PROBE_FLAVOR_TP_BTF : PROBE_FLAVOR_TRACEPOINT;

	r = load_flavor(p, cfg, flavor, f->lsm);
	if (r < 0 && f->lsm) {
		/* The kernel said it takes LSM programs, but not this one: kill from the tracepoint. */
		log_notice(
			"BPF LSM refused the exec hook; denied programs will be killed instead.");
		r = load_flavor(p, cfg, flavor, false);
	}
	if (r < 0 && cfg->flavor == PROBE_FLAVOR_AUTO && flavor == PROBE_FLAVOR_TP_BTF) {
		log_notice("Falling back to classic tracepoints for the process probe.");
		r = load_flavor(p, cfg, PROBE_FLAVOR_TRACEPOINT, false);
	}
	if (r < 0)
		return r;

	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), ring_sample, p, NULL);
	if (!p->rb)
		return log_error_errno(errno, "Failed to set up the process ring buffer: %m");

	*ret = TAKE_PTR(p);
	return 0;
}

probe_process *probe_process_free(probe_process *p)
{
	if (!p)
		return NULL;
	ring_buffer__free(p->rb);
	process_bpf__destroy(p->skel);
	free(p);
	return NULL;
}

int probe_process_fd(probe_process *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probe_process_drain(probe_process *p)
{
	return ring_buffer__consume(p->rb);
}

void probe_process_set_deadline(probe_process *p, nsec_t deadline)
{
	p->skel->bss->consumer_deadline_ns = deadline;
}

int probe_process_stats(probe_process *p, uint64_t *ret)
{
	_cleanup_free_ uint64_t *values = NULL;
	int fd = bpf_map__fd(p->skel->maps.stats);

	values = calloc((size_t)p->ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	for (uint32_t k = 0; k < _EVENT_STAT_MAX; k++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fd, &k, values) < 0)
			return -errno;
		for (int c = 0; c < p->ncpus; c++)
			sum += values[c];
		ret[k] = sum;
	}
	return 0;
}

/* Adds key with v, or raises the action of an entry already there. */
static int filter_put(int fd, const void *key, const struct filter_verdict *v)
{
	struct filter_verdict old;

	if (bpf_map_lookup_elem(fd, key, &old) == 0 && old.action >= v->action)
		return 0;
	if (bpf_map_update_elem(fd, key, v, BPF_ANY) < 0)
		return errno == ENOSPC ? -E2BIG : -errno;
	return 0;
}

/* Deletes every entry whose generation (the key's first 4 bytes) is not gen. */
static int filter_prune(int fd, size_t key_size, uint32_t gen)
{
	_cleanup_free_ uint8_t *key = NULL, *next = NULL;
	bool first = true;

	key = calloc(1, key_size);
	next = calloc(1, key_size);
	if (!key || !next)
		return -ENOMEM;
	/*
	 * Deleting while walking can restart the walk from the beginning; the
	 * kept generation is small, so that costs little.
	 */
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		uint32_t g;

		first = false;
		memcpy(&g, next, sizeof(g));
		if (g != gen && bpf_map_delete_elem(fd, next) < 0 && errno != ENOENT)
			return -errno;
		memcpy(key, next, key_size);
	}
	return 0;
}

int probe_process_filter_begin(probe_process *p)
{
	uint32_t gen = p->skel->bss->filter_gen + 1;
	int r;

	/* Leftovers of an abandoned fill of this generation must not leak into it. */
	r = filter_prune(bpf_map__fd(p->skel->maps.filter_inode), sizeof(struct filter_inode_key),
			 p->skel->bss->filter_gen);
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_name),
				 sizeof(struct filter_name_key), p->skel->bss->filter_gen);
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_path),
				 sizeof(struct filter_path_key), p->skel->bss->filter_gen);
	if (r < 0)
		return r;
	p->next_gen = gen;
	return 0;
}

int probe_process_filter_add_inode(probe_process *p, uint64_t dev, uint64_t ino,
				   const struct filter_verdict *v)
{
	struct filter_inode_key k = { .gen = p->next_gen, .dev = dev, .ino = ino };

	return filter_put(bpf_map__fd(p->skel->maps.filter_inode), &k, v);
}

int probe_process_filter_add_name(probe_process *p, const char *name,
				  const struct filter_verdict *v)
{
	struct filter_name_key k = { .gen = p->next_gen };

	/* Longer names are cut to the key, as the probe cuts them. */
	strncpy(k.name, name, sizeof(k.name) - 1);
	return filter_put(bpf_map__fd(p->skel->maps.filter_name), &k, v);
}

int probe_process_filter_add_path(probe_process *p, const char *path,
				  const struct filter_verdict *v)
{
	_cleanup_free_ struct filter_path_key *k = NULL;

	if (strlen(path) >= EVENT_PATH_LEN)
		return -ENAMETOOLONG;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->gen = p->next_gen;
	memcpy(k->path, path, strlen(path));
	return filter_put(bpf_map__fd(p->skel->maps.filter_path), k, v);
}

int probe_process_filter_commit(probe_process *p, bool open)
{
	int r;

	/* One aligned 4-byte store: the probes see the old set or the new one. */
	__atomic_store_n(&p->skel->bss->filter_gen, p->next_gen, __ATOMIC_RELEASE);
	__atomic_store_n(&p->skel->data->filter_open, open ? 1 : 0, __ATOMIC_RELEASE);
	/*
	 * The new generation is in force from here on, whatever happens next:
	 * the old entries can no longer match, so removing them is tidying,
	 * and what is left is removed by the next filter_begin().
	 */
	r = filter_prune(bpf_map__fd(p->skel->maps.filter_inode), sizeof(struct filter_inode_key),
			 p->next_gen);
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_name),
				 sizeof(struct filter_name_key), p->next_gen);
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_path),
				 sizeof(struct filter_path_key), p->next_gen);
	(void)r;
	return 0;
}

int probe_process_track(probe_process *p, uint32_t pid)
{
	uint8_t one = 1;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.tracked), &pid, &one, BPF_ANY) < 0)
		return -errno;
	return 0;
}

uint32_t probe_process_filter_gen(probe_process *p)
{
	return p->skel->bss->filter_gen;
}

const char *probe_process_enforcement(probe_process *p)
{
	return p->lsm ? "bpf-lsm: a denied exec fails with EPERM" :
			"tracepoint: a denied program is killed before its first instruction";
}

enum probe_flavor probe_process_flavor(probe_process *p)
{
	return p->flavor;
}
