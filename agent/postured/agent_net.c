// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe's glue: its records (the first of a kind, judged at
 * once), the repeats the kernel counts and the sweeps that collect them,
 * the programs of recent records kept to name them, and the sockets
 * listening now, judged against the listen rules.  The rules themselves
 * are decided in the kernel (probes/net.bpf.c, probe_net.c); without the
 * probe the agent runs without network rules and says why in its status.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "listeners.h"

/* How often the repeats the kernel counts are collected while any are counted. */
#define AGENT_NET_SWEEP_USEC (10 * USEC_PER_SEC)
/* After a bind a rule reported, when to look at the listeners (a burst of binds: one look). */
#define AGENT_LISTEN_DELAY_USEC (2 * USEC_PER_SEC)
/* ... and how often outcomes are looked for while only rules that follow TCP are in force. */
#define AGENT_NET_SWEEP_IDLE_USEC (60 * USEC_PER_SEC)

static enum policy_net_direction net_direction(unsigned d)
{
	return d == EVENT_NET_INBOUND ? POLICY_NET_INBOUND :
	       d == EVENT_NET_LISTEN  ? POLICY_NET_LISTEN :
					POLICY_NET_OUTBOUND;
}

/* The kernel's outcomes are numbered as the finding's. */
_Static_assert((int)EVENT_NET_OUTCOME_ESTABLISHED == (int)FINDING_OUTCOME_ESTABLISHED &&
		       (int)EVENT_NET_OUTCOME_UNKNOWN == (int)FINDING_OUTCOME_UNKNOWN &&
		       (int)_EVENT_NET_OUTCOME_MAX == (int)_FINDING_OUTCOME_MAX,
	       "network outcomes");

_Static_assert(NET_SAMPLES_MAX == FINDING_NET_SAMPLES_MAX, "a scan finding names every sample");

/* Where a rule, by (generation, index among the network rules), is in the policy in force. */
static void net_rule(agent *a, uint32_t gen, unsigned rule, struct engine_network *n)
{
	const policy_rule *r = probe_net_rule_of(a->net.probe, gen, rule);
	const policy *p = engine_policy(a->engine);

	/* The kernel's rule, when it is one of the policy in force (a refresh keeps the policy). */
	n->rule_current = r && p && policy_rule_at(p, policy_rule_index(r)) == r;
	n->rule_index = r ? (uint32_t)policy_rule_index(r) : 0;
}

struct exe_search {
	uint64_t dev, ino;
	char *buf;
	size_t size;
};

static void exe_search_one(void *userdata, const struct proc_entry *pe)
{
	struct exe_search *x = userdata;

	if (!x->buf[0] && pe->exe && pe->exe_ino == x->ino && pe->exe_dev == x->dev)
		strbufcpy(x->buf, x->size, pe->exe);
}

/* The path of the executable (dev, ino) as a process in the table runs it; "" when none does. */
static void agent_exe_by_inode(agent *a, uint64_t dev, uint64_t ino, char *buf, size_t size)
{
	struct exe_search x = { .dev = dev, .ino = ino, .buf = buf, .size = size };

	buf[0] = '\0';
	proctab_foreach(a->procs, exe_search_one, &x);
}

static struct agent_net_proc *agent_net_proc_find(agent *a, uint32_t pid)
{
	for (size_t i = 0; i < AGENT_NET_PROCS; i++)
		if (a->net.procs[i].pid == pid)
			return &a->net.procs[i];
	return NULL;
}

/*
 * When the sweep should run next: soon while the kernel counts repeats or
 * awaits outcomes; now and then while rules follow TCP connects (a connect
 * that fails before its handshake leaves only an awaited outcome, and no
 * record to wake us); never otherwise, so an idle laptop is not woken.
 */
static usec_t agent_net_sweep_next(agent *a)
{
	if (!a->net.probe)
		return USEC_INFINITY;
	if (probe_net_live_keys(a->net.probe) > 0)
		return AGENT_NET_SWEEP_USEC;
	if (probe_net_follows_tcp(a->net.probe))
		return AGENT_NET_SWEEP_IDLE_USEC;
	return USEC_INFINITY;
}

/* Arms the sweep in `after` (USEC_INFINITY: not), unless it is due sooner already. */
static void agent_arm_net_sweep(agent *a, usec_t after)
{
	uint64_t due = USEC_INFINITY, now;
	int enabled = SD_EVENT_OFF;

	if (!a->net.sweep_timer || after == USEC_INFINITY ||
	    sd_event_now(a->event, CLOCK_BOOTTIME, &now) < 0)
		return;
	(void)sd_event_source_get_enabled(a->net.sweep_timer, &enabled);
	(void)sd_event_source_get_time(a->net.sweep_timer, &due);
	if (enabled != SD_EVENT_OFF && due <= now + after)
		return;
	(void)sd_event_source_set_time(a->net.sweep_timer, now + after);
	(void)sd_event_source_set_enabled(a->net.sweep_timer, SD_EVENT_ONESHOT);
}

/* Has the listeners looked at shortly (a burst of listen()s and binds: one look). */
static void agent_arm_listen_look(agent *a)
{
	int enabled = SD_EVENT_OFF;

	if (!a->net.listen_timer)
		return;
	(void)sd_event_source_get_enabled(a->net.listen_timer, &enabled);
	if (enabled == SD_EVENT_OFF) {
		(void)sd_event_source_set_time_relative(a->net.listen_timer,
							AGENT_LISTEN_DELAY_USEC);
		(void)sd_event_source_set_enabled(a->net.listen_timer, SD_EVENT_ONESHOT);
	}
}

/* A network record from the kernel: the first of its kind, or one not aggregated. */
static void agent_on_net_record(agent *a, const struct decoded_event *ev)
{
	struct engine_network n = {
		.denied = ev->net.verdict == EVENT_NET_DENIED,
		.pid = ev->net.has_process ? ev->task.pid : 0,
		.uid = ev->task.uid,
		.gid = ev->task.gid,
		.exe_ino = ev->net.exe_ino,
		.net = {
			.direction = net_direction(ev->net.direction),
			.protocol = ev->net.protocol,
			.family = ev->net.family,
			.has_local = ev->net.direction != EVENT_NET_OUTBOUND ||
				     ev->net.local_port != 0,
			.has_remote = ev->net.direction != EVENT_NET_LISTEN,
			.local_port = ev->net.local_port,
			.remote_port = ev->net.remote_port,
			.count = ev->net.count ? ev->net.count : 1,
			.first_real = ev->time_real,
			.last_real = ev->time_real,
		},
	};

	/*
	 * A listen() on a socket the kernel gives a port only afterwards: the
	 * probe could not judge it; the enumeration, shortly, finds its port
	 * and judges it.
	 */
	if (ev->net.rule == EVENT_NET_RULE_UNJUDGED) {
		agent_arm_listen_look(a);
		agent_arm_net_sweep(a, AGENT_NET_SWEEP_USEC);
		return;
	}
	if (ev->net.outcome < _FINDING_OUTCOME_MAX && ev->net.outcome != EVENT_NET_OUTCOME_NONE)
		n.net.outcomes[ev->net.outcome] = n.net.count;
	memcpy(n.net.local_addr, ev->net.local_addr, sizeof(n.net.local_addr));
	memcpy(n.net.remote_addr, ev->net.remote_addr, sizeof(n.net.remote_addr));
	strbufcpy(n.comm, sizeof(n.comm), ev->task.comm);
	if (n.pid) {
		struct agent_net_proc *np = agent_net_proc_find(a, n.pid);
		char exe[EVENT_PATH_LEN];

		/* The same pid running another program is another process. */
		if (!np || (n.exe_ino && np->exe_ino && np->exe_ino != n.exe_ino)) {
			if (!np)
				np = &a->net.procs[a->net.procs_next++ % AGENT_NET_PROCS];
			*np = (struct agent_net_proc){ .pid = n.pid, .exe_ino = n.exe_ino };
		}
		np->gid = n.gid;
		/*
		 * /proc/PID/exe, if it is still the file the kernel saw (the
		 * engine's own lookup); a program that connects and exits at
		 * once is gone by now: keep what we knew.
		 */
		if (engine_ops_system.exe_path(&a->engine_ctx, n.pid, n.exe_ino, exe,
					       sizeof(exe)) >= 0)
			strbufcpy(np->exe, sizeof(np->exe), exe);
		else if (!np->exe[0] && ev->net.exe_ino)
			/* Gone already: another process running the same file names it. */
			agent_exe_by_inode(a, ev->net.exe_dev, ev->net.exe_ino, np->exe,
					   sizeof(np->exe));
		if (n.comm[0])
			strbufcpy(np->comm, sizeof(np->comm), n.comm);
		else
			strbufcpy(n.comm, sizeof(n.comm), np->comm);
		n.exe = np->exe[0] ? np->exe : NULL;
	}
	net_rule(a, ev->net.gen, ev->net.rule, &n);
	engine_on_network(a->engine, &n);
	/* Repeats of it are counted in the kernel from now on: collect them soon. */
	agent_arm_net_sweep(a, AGENT_NET_SWEEP_USEC);
	/* A listener let through: see shortly whether it stays open (its rule's state). */
	if (ev->net.direction == EVENT_NET_LISTEN && !n.denied)
		agent_arm_listen_look(a);
}

static int on_listen_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent_net_judge_listeners(userdata);
	return 0;
}

static usec_t boot_to_real(agent *a, nsec_t boot)
{
	return boot ? (usec_t)(((int64_t)boot + a->records.clock_offset) / (int64_t)NSEC_PER_USEC) :
		      0;
}

/* Repeats the kernel counted since the last sweep: one finding with the count. */
static int on_net_delta(void *userdata, const struct probe_net_delta *d)
{
	agent *a = userdata;
	const struct net_agg_key *k = d->key;
	const struct proc_entry *pe;
	const struct agent_net_proc *np;
	struct engine_network n = {
		.denied = k->verdict == EVENT_NET_DENIED,
		.pid = k->tgid,
		.uid = k->uid,
		.net = {
			.direction = net_direction(k->direction),
			.protocol = k->protocol,
			.count = d->total,
			.first_real = boot_to_real(a, d->first_boot),
			.last_real = boot_to_real(a, d->last_boot),
			.aggregated = true,
		},
	};

	if (d->total == 0)
		return 0; /* only gone idle */
	if (k->rule == EVENT_NET_RULE_UNJUDGED) {
		/* More listen()s without a port: the enumeration judges them. */
		agent_arm_listen_look(a);
		return 0;
	}
	for (size_t o = FINDING_OUTCOME_ESTABLISHED; o < _FINDING_OUTCOME_MAX; o++)
		n.net.outcomes[o] = d->count[o];
	if (d->n_samples > 0) {
		const struct net_sample *s0 = &d->samples[0];

		/* The first destination stands for them all; the samples and counts say the rest. */
		n.net.family = s0->family;
		if (k->direction == EVENT_NET_LISTEN) {
			n.net.has_local = true;
			memcpy(n.net.local_addr, s0->addr, sizeof(n.net.local_addr));
			n.net.local_port = s0->port;
		} else {
			n.net.has_remote = true;
			memcpy(n.net.remote_addr, s0->addr, sizeof(n.net.remote_addr));
			if (k->direction == EVENT_NET_INBOUND)
				n.net.local_port = s0->port;
			else
				n.net.remote_port = s0->port;
		}
	}
	if (d->ports > 1 || d->addrs > 1) {
		n.net.scan = true;
		n.net.scan_partial = d->scan_partial;
		n.net.scan_attempts = d->attempts;
		n.net.scan_ports = d->ports;
		n.net.scan_addrs = d->addrs;
		n.net.n_samples = MIN(d->n_samples, (size_t)FINDING_NET_SAMPLES_MAX);
		for (size_t i = 0; i < n.net.n_samples; i++) {
			n.net.samples[i].family = d->samples[i].family;
			memcpy(n.net.samples[i].addr, d->samples[i].addr, 16);
			n.net.samples[i].port = d->samples[i].port;
		}
	}
	/*
	 * The key has only the pid: what the first record said about it names
	 * the program (exe_ino lets the engine refuse a table entry of a reused
	 * pid).  Without that, the process table's entry, if it still runs the
	 * same uid.
	 */
	np = n.pid ? agent_net_proc_find(a, n.pid) : NULL;
	pe = n.pid ? proctab_get(a->procs, n.pid) : NULL;
	if (np) {
		strbufcpy(n.comm, sizeof(n.comm), np->comm);
		n.exe = np->exe[0] ? np->exe : NULL;
		n.exe_ino = np->exe_ino;
		n.gid = np->gid;
	} else if (pe && pe->uid == n.uid) {
		strbufcpy(n.comm, sizeof(n.comm), pe->comm);
		n.gid = pe->gid;
		n.exe_ino = pe->exe_ino;
	}
	net_rule(a, k->gen, k->rule, &n);
	engine_on_network(a->engine, &n);
	return 0;
}

static int on_net_sweep_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;
	int r;

	r = probe_net_sweep(a->net.probe, 2 * AGENT_NET_SWEEP_USEC * NSEC_PER_USEC, on_net_delta,
			    a);
	if (r < 0)
		log_warning_errno(r,
				  "Failed to collect the network repeats the kernel counted: %m");
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	agent_arm_net_sweep(a, agent_net_sweep_next(a));
	return 0;
}

static int on_net_sample(void *userdata, const void *data, size_t size)
{
	agent *a = userdata;
	struct decoded_event ev;
	int r;

	r = decode_event(data, size, a->records.clock_offset, &ev);
	if (r < 0 || ev.kind != EVENT_KIND_NET) {
		a->records.decode_errors++;
		if (ratelimit_below(&a->records.decode_rl))
			log_warning("Dropped a malformed network record of %zu bytes from the "
				    "kernel.",
				    size);
		return 0;
	}
	a->records.count++;
	agent_on_net_record(a, &ev);
	return 0;
}

static int on_net_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	agent *a = userdata;
	int r;

	r = probe_net_drain(a->net.probe);
	if (r < 0)
		log_warning_errno(r, "Failed to read the network probe's records: %m");
	return 0;
}

/*
 * Loads and attaches the network probe.  Without it (no cgroup v2, a kernel
 * that refuses the hooks) the agent still runs, without network rules, and
 * says so in its status.
 */
int agent_net_setup(agent *a)
{
	struct probe_net_config nc = PROBE_NET_CONFIG_DEFAULT;
	int r;

	/*
	 * Records are rare (only what a rule matches; repeats are counted in
	 * the kernel), so each one wakes the agent and is judged at once.
	 */
	nc.wakeup_mode = EVENT_WAKEUP_EACH;
	r = probe_net_new(&nc, on_net_sample, a, &a->net.probe);
	if (r < 0) {
		strbuf_printf(a->net.error, sizeof(a->net.error), "%s", strerror(-r));
		log_warning_errno(r, "Network rules are not available: the network probe could "
				     "not be attached: %m");
		return 0;
	}
	r = sd_event_add_io(a->event, &a->net.source, probe_net_fd(a->net.probe), EPOLLIN,
			    on_net_io, a);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the network probe: %m");
	(void)sd_event_source_set_description(a->net.source, "net-ring");
	r = sd_event_add_time_relative(a->event, &a->net.sweep_timer, CLOCK_BOOTTIME,
				       AGENT_NET_SWEEP_USEC, USEC_PER_SEC, on_net_sweep_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the network sweep: %m");
	(void)sd_event_source_set_description(a->net.sweep_timer, "net-sweep");
	(void)sd_event_source_set_enabled(a->net.sweep_timer, SD_EVENT_OFF);
	r = sd_event_add_time_relative(a->event, &a->net.listen_timer, CLOCK_BOOTTIME,
				       AGENT_LISTEN_DELAY_USEC, USEC_PER_SEC / 10, on_listen_timer,
				       a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the listener timer: %m");
	(void)sd_event_source_set_description(a->net.listen_timer, "listeners");
	(void)sd_event_source_set_enabled(a->net.listen_timer, SD_EVENT_OFF);
	a->engine_ctx.net = a->net.probe;
	log_info("Network probe attached to %s.", probe_net_cgroup(a->net.probe));
	return 0;
}

void agent_net_free(agent *a)
{
	sd_event_source_disable_unref(a->net.source);
	sd_event_source_disable_unref(a->net.sweep_timer);
	sd_event_source_disable_unref(a->net.listen_timer);
	probe_net_free(a->net.probe);
}

void agent_net_final_sweep(agent *a)
{
	/* What the kernel counted since the last sweep is reported, not dropped. */
	if (a->net.probe) {
		(void)probe_net_drain(a->net.probe);
		(void)probe_net_sweep(a->net.probe, 0, on_net_delta, a);
	}
}

/*
 * What the executables named by network rules are now (device and inode of
 * each path, FNV-1a over them), to see that an upgrade replaced one.
 */
static uint64_t agent_net_paths_signature(const policy *p)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++) {
			const struct policy_net_clause *c = policy_rule_net_clause_at(r, k);

			for (size_t j = 0; j < c->n_paths; j++) {
				struct stat st = {};
				uint64_t v[2];

				(void)stat(c->paths[j], &st);
				v[0] = (uint64_t)st.st_dev;
				v[1] = (uint64_t)st.st_ino;
				for (size_t b = 0; b < sizeof(v); b++) {
					h ^= ((const uint8_t *)v)[b];
					h *= 1099511628211ULL;
				}
			}
		}
	}
	return h;
}

void agent_net_policy_changed(agent *a, const policy *p)
{
	a->net.paths_sig = agent_net_paths_signature(p);
	/* Rules that follow TCP connects want their outcomes looked for. */
	agent_arm_net_sweep(a, agent_net_sweep_next(a));
}

void agent_net_refresh_rules(agent *a, const policy *p)
{
	int r;

	/*
	 * Network rules name executables by path, and the kernel knows them by
	 * inode: an upgrade replaces the file.  Resolve them again at the
	 * checks' pace (one generation switch; nothing is let through between).
	 */
	if (a->net.probe && p && policy_net_rule_count(p) > 0) {
		uint64_t sig = agent_net_paths_signature(p);

		/* Only when a file changed: each switch leaves records of the old generation. */
		if (sig != a->net.paths_sig) {
			r = probe_net_apply_policy(a->net.probe, p);
			if (r < 0)
				log_warning_errno(r, "Failed to refresh the network rules: %m");
			else
				a->net.paths_sig = sig;
		}
	}
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct listeners *, listeners_free);

/*
 * Judges the sockets listening now, those opened before the agent started
 * included, against the listen rules in force: at start-up and on every
 * policy change.  One entry per socket, with its first owner.
 */
void agent_net_judge_listeners(agent *a)
{
	_cleanup_(listeners_freep) struct listeners *l = NULL;
	_cleanup_free_ struct engine_listener *el = NULL;
	int r;

	r = listeners_read(&(struct listeners_limits){ .listeners_max = ENGINE_LISTENERS_MAX }, &l);
	if (r < 0) {
		log_warning_errno(r, "Cannot list the listening sockets: %m");
		return;
	}
	if (l->truncated || l->procs_truncated || l->fds_truncated)
		log_warning("Listing the listening sockets hit a bound (%zu of %zu kept, %zu "
			    "processes, %zu fds looked at); some are not judged, or without owner.",
			    l->n, l->sockets_seen, l->procs_scanned, l->fds_scanned);
	if (l->n == 0)
		return;
	el = calloc(l->n, sizeof(*el));
	if (!el) {
		log_oom();
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct listener *s = &l->items[i];

		el[i] = (struct engine_listener){
			.protocol = s->protocol == IPPROTO_TCP ? POLICY_NET_TCP : POLICY_NET_UDP,
			.family = s->family,
			.port = s->port,
			.uid = s->uid,
			.pid = s->n_owners > 0 ? (uint32_t)s->owners[0].pid : 0,
			.exe = s->n_owners > 0 && s->owners[0].exe[0] ? s->owners[0].exe : NULL,
		};
		memcpy(el[i].addr, s->addr, sizeof(el[i].addr));
	}
	engine_judge_listeners(a->engine, el, l->n);
}
