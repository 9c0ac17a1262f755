// SPDX-License-Identifier: LGPL-2.1-or-later
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "net.skel.h"
#include "probe_common.h"
#include "probe_net-internal.h"
#include "probe_net.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct net_bpf *, net_bpf__destroy);

static int is_cgroup2(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) < 0)
		return -errno;
	return (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The cgroup v2 root: the hybrid hierarchy's unified mount, else the unified hierarchy itself. */
static int cgroup_root_find(const char *want, char **ret)
{
	static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char *s;
	int r;

	if (want) {
		r = is_cgroup2(want);
		if (r < 0)
			return log_error_errno(r, "Cannot use the cgroup directory %s: %m", want);
		if (r == 0)
			return log_error_errno(ENOTDIR,
					       "%s is not on a cgroup v2 file system; the network "
					       "probe attaches to cgroup v2 only.",
					       want);
		s = strdup(want);
	} else {
		const char *found = NULL;

		for (size_t i = 0; i < ELEMENTSOF(candidates) && !found; i++)
			if (is_cgroup2(candidates[i]) > 0)
				found = candidates[i];
		if (!found)
			return log_error_errno(ENOENT,
					       "No cgroup v2 hierarchy is mounted (neither "
					       "/sys/fs/cgroup/unified nor /sys/fs/cgroup is "
					       "cgroup2); network rules need one.");
		s = strdup(found);
	}
	if (!s)
		return log_oom();
	*ret = s;
	return 0;
}

/* The program link i attaches (of the flavour in use). */
static struct bpf_program *link_program(probe_net *p, int i)
{
	bool btf = p->flavor == PROBE_FLAVOR_TP_BTF;

	switch (i) {
	case LINK_CONNECT4:
		return p->skel->progs.net_connect4;
	case LINK_CONNECT6:
		return p->skel->progs.net_connect6;
	case LINK_SENDMSG4:
		return p->skel->progs.net_sendmsg4;
	case LINK_SENDMSG6:
		return p->skel->progs.net_sendmsg6;
	case LINK_BIND4:
		return p->skel->progs.net_bind4;
	case LINK_BIND6:
		return p->skel->progs.net_bind6;
	case LINK_TCP_STATE:
		return btf ? p->skel->progs.net_tcp_state_btf : p->skel->progs.net_tcp_state_tp;
	case LINK_UDP_SEND:
		return btf ? p->skel->progs.net_udp_send_btf : p->skel->progs.net_udp_send_tp;
	case LINK_RECVMSG4:
		return p->skel->progs.net_recvmsg4;
	default:
		return p->skel->progs.net_recvmsg6;
	}
}

static int attach_all(probe_net *p)
{
	_cleanup_close_ int fd = -EBADF;

	fd = open(p->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "Failed to open the cgroup %s: %m", p->cgroup);
	for (int i = 0; i < _LINK_ALWAYS; i++) {
		struct bpf_program *prog = link_program(p, i);

		p->links[i] = bpf_program__attach_cgroup(prog, fd);
		if (!p->links[i])
			return log_error_errno(errno, "Failed to attach %s to the cgroup %s: %m.%s",
					       bpf_program__name(prog), p->cgroup,
					       probe_log_tail());
	}
	return 0;
}

/* Attaches link i (one of those attached on need) now; 0 or -errno, logged. */
static int attach_one(probe_net *p, int i)
{
	struct bpf_program *prog = link_program(p, i);
	_cleanup_close_ int fd = -EBADF;
	const char *what;

	switch (i) {
	case LINK_TCP_STATE:
		what = "the tracepoint sock/inet_sock_set_state (is tracefs mounted?)";
		p->links[i] = bpf_program__attach(prog);
		break;
	case LINK_UDP_SEND:
		what = "the tracepoint sock/sock_send_length (is tracefs mounted?)";
		p->links[i] = bpf_program__attach(prog);
		break;
	default:
		what = "the cgroup's UDP recvmsg hook";
		fd = open(p->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return log_error_errno(errno, "Failed to open the cgroup %s: %m",
					       p->cgroup);
		p->links[i] = bpf_program__attach_cgroup(prog, fd);
		break;
	}
	if (!p->links[i]) {
		int r = -errno;
		bool perf = p->flavor == PROBE_FLAVOR_TRACEPOINT &&
			    (i == LINK_TCP_STATE || i == LINK_UDP_SEND);

		return log_error_errno(r, "Failed to attach to %s: %m.%s%s", what,
				       perf ? probe_perf_hint(r) : "", probe_log_tail());
	}
	return 0;
}

/*
 * The programs beyond the sock_addr hooks run for every TCP state change,
 * every UDP datagram received with its address, or every send on the
 * machine, so each is attached only while some rule needs it: the TCP
 * state tracepoint for reported outbound TCP connects (their outcome),
 * inbound rules and TCP listen rules; the recvmsg hooks for outbound UDP
 * rules (a server's replies); the send tracepoint for reported outbound
 * UDP rules (a connected socket's first send).
 */
int probe_net_needs_sync(probe_net *p, unsigned needs)
{
	static const struct {
		int link;
		unsigned need;
	} table[] = {
		{ LINK_TCP_STATE, NEED_TCP_STATE },
		{ LINK_RECVMSG4, NEED_PEERS },
		{ LINK_RECVMSG6, NEED_PEERS },
		{ LINK_UDP_SEND, NEED_UDP_SEND },
	};

	if (!p->udp_send)
		needs &= ~NEED_UDP_SEND;
	p->needs = needs;
	if (p->detached)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		int l = table[i].link, r;

		if ((needs & table[i].need) && !p->links[l]) {
			r = attach_one(p, l);
			if (r < 0)
				return r;
		} else if (!(needs & table[i].need) && p->links[l]) {
			bpf_link__destroy(p->links[l]);
			p->links[l] = NULL;
		}
	}
	return 0;
}

bool probe_net_follows_tcp(probe_net *p)
{
	return p->links[LINK_TCP_STATE] != NULL;
}

size_t probe_net_links(probe_net *p, struct probe_link *out, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < _LINK_MAX && n < max; i++) {
		struct bpf_program *prog = link_program(p, i);

		if (!p->links[i])
			continue;
		out[n++] = (struct probe_link){ .name = bpf_program__name(prog),
						.link_fd = bpf_link__fd(p->links[i]),
						.prog_fd = bpf_program__fd(prog) };
	}
	return n;
}

bool probe_net_waits_udp_send(probe_net *p)
{
	return p->udp_send;
}

int probe_net_attach(probe_net *p, bool attach)
{
	int r;

	if (!attach) {
		for (size_t i = 0; i < _LINK_MAX; i++) {
			bpf_link__destroy(p->links[i]);
			p->links[i] = NULL;
		}
		p->detached = true;
		return 0;
	}
	if (!p->detached)
		return 0;
	p->detached = false;
	r = attach_all(p);
	if (r >= 0)
		r = probe_net_needs_sync(p, p->needs);
	if (r < 0) {
		(void)probe_net_attach(p, false);
		return r;
	}
	return 0;
}

/*
 * Opens, configures and loads the programs with the given tracepoint flavour,
 * walking the current task through BTF where the kernel allows it in cgroup
 * programs and with bpf_probe_read_kernel() where it does not.
 */
static int load_one(const struct probe_net_config *cfg, enum probe_flavor flavor, bool task_btf,
		    bool udp_send, struct net_bpf **ret)
{
	_cleanup_(net_bpf__destroyp) struct net_bpf *skel = NULL;
	bool btf = flavor == PROBE_FLAVOR_TP_BTF;
	int r;

	skel = net_bpf__open();
	if (!skel)
		return log_error_errno(errno, "Failed to open the network probe: %m");
	skel->rodata->cfg_wakeup_mode = cfg->wakeup_mode;
	skel->rodata->cfg_wakeup_bytes = cfg->wakeup_bytes;
	skel->rodata->cfg_wakeup_ns = (uint64_t)cfg->wakeup_latency_ms * 1000000ULL;
	skel->rodata->cfg_task_btf = task_btf;
	r = bpf_map__set_max_entries(skel->maps.net_events, cfg->ring_bytes);
	if (r < 0)
		return log_error_errno(r, "Failed to size the network ring buffer to %u bytes: %m",
				       cfg->ring_bytes);
	bpf_program__set_autoload(skel->progs.net_tcp_state_btf, btf);
	bpf_program__set_autoload(skel->progs.net_tcp_state_tp, !btf);
	bpf_program__set_autoload(skel->progs.net_udp_send_btf, btf && udp_send);
	bpf_program__set_autoload(skel->progs.net_udp_send_tp, !btf && udp_send);
	skel->rodata->cfg_udp_send = udp_send;
	probe_log_reset();
	r = net_bpf__load(skel);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(skel);
	return 0;
}

static int load_task(const struct probe_net_config *cfg, enum probe_flavor flavor, bool udp_send,
		     struct net_bpf **ret)
{
	int r;

	if (cfg->task_probe_read)
		return load_one(cfg, flavor, false, udp_send, ret);
	r = load_one(cfg, flavor, true, udp_send, ret);
	if (r >= 0)
		return r;
	log_debug_errno(r, "Loading the network probe with BTF task access failed: %m.%s",
			probe_log_tail());
	return load_one(cfg, flavor, false, udp_send, ret);
}

/*
 * The send tracepoint came with Linux 6.4: without it, a UDP connect() a
 * rule reports is counted at the connect, as before, whether or not the
 * socket ever sends.
 */
static int load(const struct probe_net_config *cfg, enum probe_flavor flavor, bool *ret_udp_send,
		struct net_bpf **ret)
{
	int r = load_task(cfg, flavor, true, ret);

	if (r >= 0) {
		*ret_udp_send = true;
		return r;
	}
	log_debug_errno(r, "Loading the network probe with the send tracepoint failed: %m.%s",
			probe_log_tail());
	r = load_task(cfg, flavor, false, ret);
	if (r >= 0) {
		*ret_udp_send = false;
		log_notice("The kernel has no sock/sock_send_length tracepoint: a UDP connect() a "
			   "rule reports is counted when it is made, not at its first send.");
	}
	return r;
}

int probe_net_new(const struct probe_net_config *cfg, probe_net_sample_fn fn, void *userdata,
		  probe_net **ret)
{
	_cleanup_(probe_net_freep) probe_net *p = NULL;
	_cleanup_(net_bpf__destroyp) struct net_bpf *skel = NULL;
	int r;

	r = probe_ring_check_size(cfg->ring_bytes, "network ring buffer");
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return log_oom();
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0)
		return log_error_errno(p->ncpus, "Failed to count the possible CPUs: %m");
	p->agg_keys = calloc(NET_AGG_ENTRIES, sizeof(*p->agg_keys));
	p->agg_values = calloc(NET_AGG_ENTRIES, sizeof(*p->agg_values));
	p->seen = calloc(NET_AGG_ENTRIES, sizeof(*p->seen));
	p->seen_next = calloc(NET_AGG_ENTRIES, sizeof(*p->seen_next));
	p->pending_keys = calloc(NET_PENDING_ENTRIES, sizeof(*p->pending_keys));
	p->pending_values = calloc(NET_PENDING_ENTRIES, sizeof(*p->pending_values));
	if (!p->agg_keys || !p->agg_values || !p->seen || !p->seen_next || !p->pending_keys ||
	    !p->pending_values)
		return log_oom();
	r = cgroup_root_find(cfg->cgroup_path, &p->cgroup);
	if (r < 0)
		return r;

	p->flavor = cfg->flavor == PROBE_FLAVOR_TRACEPOINT ? PROBE_FLAVOR_TRACEPOINT :
							     PROBE_FLAVOR_TP_BTF;
	r = load(cfg, p->flavor, &p->udp_send, &skel);
	if (r < 0 && cfg->flavor == PROBE_FLAVOR_AUTO) {
		log_debug_errno(r, "Loading the network probe with tp_btf failed: %m.%s",
				probe_log_tail());
		p->flavor = PROBE_FLAVOR_TRACEPOINT;
		r = load(cfg, p->flavor, &p->udp_send, &skel);
	}
	if (r < 0)
		return probe_log_load_error(r, "network probe");
	p->skel = TAKE_PTR(skel);
	r = attach_all(p);
	if (r < 0)
		return r;
	r = probe_ring_init(&p->ring, p->skel->maps.net_events, &p->skel->bss->consumer_deadline_ns,
			    fn, userdata, "network ring buffer");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

probe_net *probe_net_free(probe_net *p)
{
	if (!p)
		return NULL;
	/* Links first: no rule outlives its probe for a moment longer than needed. */
	for (size_t i = 0; i < _LINK_MAX; i++)
		bpf_link__destroy(p->links[i]);
	probe_ring_done(&p->ring);
	net_bpf__destroy(p->skel);
	for (size_t i = 0; i < ELEMENTSOF(p->applied); i++)
		policy_unref(p->applied[i].pol);
	free(p->cgroup);
	free(p->agg_keys);
	free(p->agg_values);
	free(p->seen);
	free(p->seen_next);
	free(p->pending_keys);
	free(p->pending_values);
	free(p);
	return NULL;
}

enum probe_flavor probe_net_flavor(probe_net *p)
{
	return p->flavor;
}

const char *probe_net_cgroup(probe_net *p)
{
	return p->cgroup;
}

int probe_net_fd(probe_net *p)
{
	return probe_ring_fd(&p->ring);
}

int probe_net_drain(probe_net *p)
{
	return probe_ring_drain(&p->ring);
}

void probe_net_set_deadline(probe_net *p, nsec_t deadline)
{
	probe_ring_set_deadline(&p->ring, deadline);
}

int probe_net_stats(probe_net *p, uint64_t *ret)
{
	return probe_stats_sum(bpf_map__fd(p->skel->maps.net_stats), p->ncpus, _NET_STAT_MAX, ret);
}

uint32_t probe_net_gen(probe_net *p)
{
	return __atomic_load_n(&p->skel->bss->net_gen, __ATOMIC_ACQUIRE);
}

const policy_rule *probe_net_rule_of(probe_net *p, uint32_t gen, unsigned rule)
{
	for (size_t i = 0; i < ELEMENTSOF(p->applied); i++)
		if (p->applied[i].pol && p->applied[i].gen == gen) {
			if (rule >= policy_net_rule_count(p->applied[i].pol))
				return NULL;
			return policy_net_rule_at(p->applied[i].pol, rule);
		}
	return NULL;
}

/* --- sweeping ------------------------------------------------------------------ */

static int seen_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct net_agg_key));
}

/* Reads a whole hash map into keys/values; returns the number of entries or -errno. */
static int map_read_all(int fd, void *keys, void *values, size_t max)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint8_t batch[64];
	size_t total = 0;
	size_t ks, vs;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	ks = info.key_size;
	vs = info.value_size;
	for (bool first = true;; first = false) {
		__u32 count = (__u32)(max - total);
		int r;

		if (count == 0)
			break;
		r = bpf_map_lookup_batch(fd, first ? NULL : batch, batch,
					 (uint8_t *)keys + total * ks,
					 (uint8_t *)values + total * vs, &count, &opts);
		if (r < 0 && errno != ENOENT)
			return -errno;
		total += count;
		if (r < 0)
			break; /* ENOENT: that was the last of it */
	}
	return (int)total;
}

static int sweep_pending(probe_net *p, nsec_t now, probe_net_sweep_fn fn, void *userdata,
			 int *failed)
{
	int fd = bpf_map__fd(p->skel->maps.net_pending), n, calls = 0;

	n = map_read_all(fd, p->pending_keys, p->pending_values, NET_PENDING_ENTRIES);
	if (n < 0)
		return n;
	p->n_pending = (size_t)n;
	for (int i = 0; i < n; i++) {
		const struct net_pending *pe = &p->pending_values[i];
		struct probe_net_delta d = { .key = &pe->key,
					     .total = 1,
					     .stale = true,
					     .attempts = 1,
					     .ports = 1,
					     .addrs = 1,
					     .n_samples = 1,
					     .samples = &pe->sample };
		int r;

		if (pe->time_ns + PROBE_NET_PENDING_STALE_NSEC > now)
			continue;
		/* Gone already: the tracepoint counted it just now. */
		if (bpf_map_delete_elem(fd, &p->pending_keys[i]) < 0)
			continue;
		p->n_pending--;
		/* A connected UDP socket that never sent: no traffic, nothing to say. */
		if (pe->key.protocol == IPPROTO_UDP)
			continue;
		d.count[EVENT_NET_OUTCOME_UNKNOWN] = 1;
		d.first_boot = d.last_boot = pe->time_ns;
		r = fn(userdata, &d);
		if (r < 0 && *failed == 0)
			*failed = r;
		calls++;
	}
	return calls;
}

/*
 * Deletes the scan bitmaps of keys that are gone (swept away as idle, or
 * never made because the aggregation map was full), so a key made anew
 * starts counting its destinations from its own first.
 */
static void scan_prune(probe_net *p)
{
	int scan_fd = bpf_map__fd(p->skel->maps.net_scan),
	    agg_fd = bpf_map__fd(p->skel->maps.net_agg);
	struct net_agg_key key, next, gone[NET_SCAN_ENTRIES];
	struct net_agg_value v;
	size_t n = 0;
	bool first = true;

	while (n < ELEMENTSOF(gone) &&
	       bpf_map_get_next_key(scan_fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(agg_fd, &next, &v) < 0 && errno == ENOENT)
			gone[n++] = next;
	}
	for (size_t i = 0; i < n; i++)
		(void)bpf_map_delete_elem(scan_fd, &gone[i]);
}

size_t probe_net_live_keys(probe_net *p)
{
	return p->n_seen + p->n_pending;
}

int probe_net_sweep(probe_net *p, nsec_t idle, probe_net_sweep_fn fn, void *userdata)
{
	int fd = bpf_map__fd(p->skel->maps.net_agg), n, calls = 0, failed = 0, r;
	nsec_t now = now_nsec(CLOCK_BOOTTIME);
	struct seen *swap;
	size_t n_next = 0;

	n = map_read_all(fd, p->agg_keys, p->agg_values, NET_AGG_ENTRIES);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct net_agg_value v = p->agg_values[i];
		struct probe_net_delta d = { .key = &p->agg_keys[i] };
		const struct seen *prev;

		prev = bsearch(&p->agg_keys[i], p->seen, p->n_seen, sizeof(*p->seen), seen_cmp);
		if (v.last_ns + idle <= now) {
			struct net_agg_value last;

			/* The final counts come with the deletion, so none is missed. */
			if (bpf_map_lookup_and_delete_elem(fd, &p->agg_keys[i], &last) == 0) {
				v = last;
				d.removed = true;
			}
		}
		for (size_t o = 0; o < _EVENT_NET_OUTCOME_MAX; o++) {
			uint64_t before = prev ? prev->count[o] : 0;

			/* A key removed and made anew since restarts from zero. */
			if (v.count[o] < before)
				before = 0;
			d.count[o] = v.count[o] - before;
			d.total += d.count[o];
		}
		d.first_boot = v.first_ns;
		d.last_boot = v.last_ns;
		d.attempts = 1;
		for (size_t o = 0; o < _EVENT_NET_OUTCOME_MAX; o++)
			d.attempts += v.count[o];
		d.ports = v.ports;
		d.addrs = v.addrs;
		d.scan_partial = v.flags & NET_AGG_SCAN_PARTIAL;
		d.n_samples = MIN((size_t)v.n_samples, (size_t)NET_SAMPLES_MAX);
		/* A slot taken but not yet written reads as family 0: the samples end there. */
		for (size_t j = 0; j < d.n_samples; j++)
			if (!v.samples[j].family) {
				d.n_samples = j;
				break;
			}
		d.samples = v.samples;
		if (!d.removed && n_next < NET_AGG_ENTRIES) {
			struct seen *s = &p->seen_next[n_next++];

			s->key = p->agg_keys[i];
			memcpy(s->count, v.count, sizeof(s->count));
		}
		if (d.total == 0 && !d.removed)
			continue;
		/* Handed on is handed on: a failing callback does not make the next sweep repeat it. */
		r = fn(userdata, &d);
		if (r < 0 && failed == 0)
			failed = r;
		calls++;
	}
	scan_prune(p);
	qsort(p->seen_next, n_next, sizeof(*p->seen_next), seen_cmp);
	swap = p->seen;
	p->seen = p->seen_next;
	p->seen_next = swap;
	p->n_seen = n_next;

	r = sweep_pending(p, now, fn, userdata, &failed);
	if (r < 0)
		return r;
	return failed < 0 ? failed : calls + r;
}
