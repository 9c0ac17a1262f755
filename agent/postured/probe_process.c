// SPDX-License-Identifier: LGPL-2.1-or-later
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "probe_process.h"
#include "process.skel.h"

struct probe_process {
	struct process_bpf *skel;
	struct probe_ring ring;
	enum probe_flavor flavor;
	bool lsm; /* the BPF LSM program refuses denied execs */
	int ncpus;
	uint32_t next_gen; /* the generation being filled, when filling */
	uint32_t next_facts; /* the facts it has filter_fact entries for */
	bool next_pipe_writers;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct process_bpf *, process_bpf__destroy);

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

	skel->bss->args_size = MIN(cfg->args_size, (uint32_t)EVENT_ARGS_LEN);
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
		char what[64];

		snprintf(what, sizeof(what), "process probe (%s)", probe_flavor_to_string(flavor));
		return probe_log_load_error(r, what);
	}
	r = process_bpf__attach(skel);
	if (r < 0 && lsm) {
		log_debug_errno(r, "Attaching the BPF LSM exec hook failed: %m.%s",
				probe_log_tail());
		return r;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to attach the process probe (%s): %m.%s%s",
				       probe_flavor_to_string(flavor),
				       flavor == PROBE_FLAVOR_TRACEPOINT ? probe_perf_hint(r) : "",
				       probe_log_tail());

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

	r = probe_ring_check_size(cfg->ring_bytes, "ring buffer");
	if (r < 0)
		return r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return log_oom();
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

	r = probe_ring_init(&p->ring, p->skel->maps.events, &p->skel->bss->consumer_deadline_ns, fn,
			    userdata, "process ring buffer");
	if (r < 0)
		return r;

	*ret = TAKE_PTR(p);
	return 0;
}

probe_process *probe_process_free(probe_process *p)
{
	if (!p)
		return NULL;
	probe_ring_done(&p->ring);
	process_bpf__destroy(p->skel);
	free(p);
	return NULL;
}

int probe_process_fd(probe_process *p)
{
	return probe_ring_fd(&p->ring);
}

int probe_process_drain(probe_process *p)
{
	return probe_ring_drain(&p->ring);
}

void probe_process_set_deadline(probe_process *p, nsec_t deadline)
{
	probe_ring_set_deadline(&p->ring, deadline);
}

int probe_process_stats(probe_process *p, uint64_t *ret)
{
	return probe_stats_sum(bpf_map__fd(p->skel->maps.stats), p->ncpus, _EVENT_STAT_MAX, ret);
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
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_fact),
				 sizeof(struct filter_fact_key), p->skel->bss->filter_gen);
	if (r < 0)
		return r;
	p->next_gen = gen;
	p->next_facts = 0;
	p->next_pipe_writers = false;
	return 0;
}

int probe_process_filter_add_fact(probe_process *p, unsigned fact, const struct filter_verdict *v)
{
	struct filter_fact_key k = { .gen = p->next_gen, .fact = fact };
	int r;

	if (fact >= _EVENT_FACT_MAX)
		return -EINVAL;
	r = filter_put(bpf_map__fd(p->skel->maps.filter_fact), &k, v);
	if (r >= 0)
		p->next_facts |= 1U << fact;
	return r;
}

void probe_process_filter_pipe_writers(probe_process *p, bool on)
{
	p->next_pipe_writers = on;
}

int probe_process_pipe_writer(probe_process *p, uint64_t ino, char *buf, size_t size)
{
	struct pipe_writer w;

	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.pipe_writers), &ino, &w) < 0)
		return -errno;
	w.name[sizeof(w.name) - 1] = '\0';
	if (strlen(w.name) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, w.name);
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
	/*
	 * Both generations' facts while the switch happens: an exec between the
	 * stores tests a fact too many, never one too few.
	 */
	__atomic_store_n(&p->skel->bss->facts_wanted, p->skel->bss->facts_wanted | p->next_facts,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&p->skel->bss->pipe_writers_wanted, p->next_pipe_writers ? 1 : 0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(&p->skel->bss->filter_gen, p->next_gen, __ATOMIC_RELEASE);
	__atomic_store_n(&p->skel->bss->facts_wanted, p->next_facts, __ATOMIC_RELEASE);
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
	if (r >= 0)
		r = filter_prune(bpf_map__fd(p->skel->maps.filter_fact),
				 sizeof(struct filter_fact_key), p->next_gen);
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

void probe_process_set_args_size(probe_process *p, uint32_t bytes)
{
	/* One aligned store: each exec reads it once, and gets the old size or the new. */
	__atomic_store_n(&p->skel->bss->args_size, MIN(bytes, (uint32_t)EVENT_ARGS_LEN),
			 __ATOMIC_RELEASE);
}

uint32_t probe_process_args_size(probe_process *p)
{
	return __atomic_load_n(&p->skel->bss->args_size, __ATOMIC_ACQUIRE);
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

size_t probe_process_links(probe_process *p, struct probe_link *out, size_t max)
{
	/* The skeleton's table of programs: each with the slot its attach() filled. */
	const struct bpf_object_skeleton *s = p->skel->skeleton;
	size_t n = 0;

	for (int i = 0; i < s->prog_cnt && n < max; i++) {
		const struct bpf_prog_skeleton *ps =
			(const void *)((const char *)s->progs + (size_t)i * s->prog_skel_sz);
		struct bpf_link *l = *ps->link;

		if (!l)
			continue;
		out[n++] = (struct probe_link){ .name = ps->name,
						.link_fd = bpf_link__fd(l),
						.prog_fd = bpf_program__fd(*ps->prog) };
	}
	return n;
}

enum probe_flavor probe_process_flavor(probe_process *p)
{
	return p->flavor;
}
