// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The daemon's lifecycle: agent_new() sets up the stages, each owned by its
 * own file (agent.h's table says which), in the order their dependencies
 * ask; agent_run() tells systemd it is ready and runs the one loop;
 * SIGTERM or SIGINT ends it once the kernel's last counts and records are
 * read; agent_free() takes the stages down.  Start-up ends by dropping the
 * capabilities the running daemon does not need.
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "privs.h"

/* A "Key: N kB" line of /proc/self/status, 0 when it cannot be read. */
static unsigned long proc_status_kib(const char *key)
{
	char buf[4096];
	const char *p;

	if (read_small_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, key);
	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	agent *a = userdata;

	log_info("Received %s, shutting down.", strsignal((int)si->ssi_signo));
	(void)sd_notify(false, "STOPPING=1\nSTATUS=Shutting down.");
	/* Before anything closes: the stop record goes into the spool now. */
	agent_tamper_on_stop(a, si);
	agent_net_final_sweep(a);
	return sd_event_exit(a->event, 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	agent *a = userdata;

	log_info("Received SIGHUP, reloading the policy.");
	agent_policy_reload(a);
	return 0;
}

/*
 * The counters, at stop, in the log: what the agent saw and lost, as one JSON
 * object after "Counters at stop: " so a reader or a test can take them
 * whole.  --print-events' stdout carries only OCSF records; posturectl
 * status and the snapshots tell the running counts.
 */
static void emit_stats(agent *a)
{
	uint64_t k[_EVENT_STAT_MAX] = {};
	struct proctab_stats ps;
	struct engine_stats es;
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	const unsigned char *buf;
	size_t len;

	if (probe_process_stats(a->proc, k) < 0)
		log_warning("Could not read the kernel's record counters.");
	proctab_get_stats(a->procs, &ps);
	engine_get_stats(a->engine, &es);
	log_info("Peak memory: %lu KiB at start-up, %lu KiB since.", a->startup_peak_kib,
		 proc_status_kib("VmHWM:"));
	log_info("Processed %llu records; the kernel dropped %llu exec, %llu fork and %llu exit "
		 "records; %llu malformed.",
		 (unsigned long long)a->records.count, (unsigned long long)k[EVENT_STAT_EXEC_LOST],
		 (unsigned long long)k[EVENT_STAT_FORK_LOST],
		 (unsigned long long)k[EVENT_STAT_EXIT_LOST],
		 (unsigned long long)a->records.decode_errors);
	/* Whatever the last drain printed goes out before the agent says it is done. */
	agent_findings_flush(a);

	g = yajl_gen_alloc(NULL);
	if (!g) {
		log_oom();
		return;
	}
	yajl_gen_map_open(g);
	json_str(g, "probe_flavor", probe_flavor_to_string(probe_process_flavor(a->proc)));
	json_str(g, "enforcement", probe_process_enforcement(a->proc));
	json_u64(g, "records", a->records.count);
	json_u64(g, "malformed", a->records.decode_errors);
	json_open(g, "sent");
	json_u64(g, "exec", k[EVENT_STAT_EXEC_SENT]);
	json_u64(g, "fork", k[EVENT_STAT_FORK_SENT]);
	json_u64(g, "exit", k[EVENT_STAT_EXIT_SENT]);
	json_close(g);
	json_open(g, "lost");
	json_u64(g, "exec", k[EVENT_STAT_EXEC_LOST]);
	json_u64(g, "fork", k[EVENT_STAT_FORK_LOST]);
	json_u64(g, "exit", k[EVENT_STAT_EXIT_LOST]);
	json_close(g);
	json_u64(g, "kernel_wakeups", k[EVENT_STAT_WAKEUPS]);
	json_u64(g, "kernel_filtered_execs", k[EVENT_STAT_EXEC_FILTERED]);
	json_u64(g, "kernel_kills", k[EVENT_STAT_KILLED]);
	json_u64(g, "kernel_denied_execs", k[EVENT_STAT_DENIED]);
	json_u64(g, "findings", a->findings.count);
	json_u64(g, "agent_records", a->tamper.records);
	json_u64(g, "startup_peak_rss_kib", a->startup_peak_kib);
	json_u64(g, "peak_rss_kib", proc_status_kib("VmHWM:"));
	json_open(g, "policy");
	if (engine_policy(a->engine)) {
		json_str(g, "id", policy_id(engine_policy(a->engine)));
		json_u64(g, "serial", policy_serial(engine_policy(a->engine)));
	}
	json_str(g, "source", a->policy.source);
	json_u64(g, "kernel_entries", es.kernel_entries);
	json_bool(g, "kernel_filter_open", es.kernel_filter_open);
	json_u64(g, "evaluated", es.evaluated);
	json_u64(g, "denied", es.denied);
	json_u64(g, "killed", es.killed);
	json_u64(g, "hashed", es.hashed);
	json_close(g);
	json_open(g, "process_table");
	json_u64(g, "entries", ps.entries);
	json_u64(g, "evicted", ps.evicted);
	json_u64(g, "replaced", ps.replaced);
	json_u64(g, "seeded", ps.seeded);
	json_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		log_info("Counters at stop: %.*s", (int)len, (const char *)buf);
}

agent *agent_free(agent *a)
{
	if (!a)
		return NULL;
	agent_tamper_free(a);
	agent_records_free(a);
	agent_policy_free(a);
	agent_checks_free(a);
	agent_resolvers_free(a);
	agent_net_free(a);
	agent_status_free(a);
	policy_feed_free(a);
	agent_identity_free(a);
	agent_reports_free(a);
	engine_free(a->engine);
	hashcache_free(a->hashes);
	probe_process_free(a->proc);
	proctab_free(a->procs);
	if (a->gen)
		yajl_gen_free(a->gen);
	sd_event_unref(a->event);
	free(a);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(agent *, agent_free);

/*
 * What the daemon keeps after start-up: reading other users' /proc entries and
 * executables, stopping their denied programs (CAP_KILL),
 * CAP_BPF for map reads and updates on kernels that ask for it even on fds we
 * hold (before 6.5, when unprivileged BPF is disabled), and CAP_NET_ADMIN,
 * without which the kernel refuses to list the nftables ruleset the firewall
 * check reads (nothing here writes to it).
 */
#define AGENT_KEEP_CAPS                                                                 \
	((1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_BPF) | \
	 (1ULL << CAP_KILL) | (1ULL << CAP_NET_ADMIN))

/* This machine's facts, the JSON generator every output is written with, the process table. */
static int agent_setup_basics(agent *a)
{
	int r;

	r = device_info_read("/", &a->device);
	if (r < 0)
		return log_error_errno(r, "Failed to read this machine's id (/etc/machine-id): %m");

	a->gen = yajl_gen_alloc(NULL);
	if (!a->gen)
		return log_oom();
	yajl_gen_config(a->gen, yajl_gen_validate_utf8, 0);

	a->procs = proctab_new(a->opts.config.process_table_max);
	if (!a->procs)
		return log_oom();
	return 0;
}

/* Probes the kernel's features, loads and attaches the process probe, seeds the process table. */
static int agent_attach_process_probe(agent *a)
{
	struct probe_process_config pc;
	int r;

	probe_features_detect(&a->features);
	r = probe_check_prerequisites(&a->features);
	if (r < 0)
		return r;
	pc = a->opts.config.process;
	pc.wakeup_latency_ms = a->opts.config.wakeup_latency_ms;
	r = probe_process_new(&pc, &a->features, agent_records_on_record, a, &a->proc);
	if (r < 0)
		return r;

	/* After attaching, so a process that starts in between is seen one way or the other. */
	r = proctab_seed(a->procs, "/proc");
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc: %m");
	log_debug("Seeded the process table with %d processes.", r);
	return 0;
}

/* The engine, whose findings and posture changes go to agent_findings.c. */
static int agent_setup_engine(agent *a)
{
	a->hashes = hashcache_new(1024);
	if (!a->hashes)
		return log_oom();
	a->engine_ctx = (struct engine_system){
		.probe = a->proc,
		.proc_root = "/proc",
		.finding = agent_findings_on_finding,
		.state_changed = agent_findings_on_state_changed,
		.userdata = a,
	};
	a->engine = engine_new(&engine_ops_system, &a->engine_ctx, a->procs, a->hashes,
			       a->opts.print_events);
	if (!a->engine)
		return log_oom();
	return 0;
}

/* The event loop, and the signals it handles blocked for everyone else. */
static int agent_setup_loop(agent *a)
{
	sigset_t mask;
	int r;

	r = sd_event_default(&a->event);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the event loop: %m");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* For the sender and the checks' children: sd_event_add_child() wants it blocked. */
	sigaddset(&mask, SIGCHLD);
	/* The sender's wake-up: blocked here so a forked sender starts with it blocked. */
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "Failed to block signals: %m");
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_add_signal(a->event, NULL, SIGTERM, on_terminate, a);
	if (r >= 0)
		r = sd_event_add_signal(a->event, NULL, SIGINT, on_terminate, a);
	if (r >= 0)
		r = sd_event_add_signal(a->event, NULL, SIGHUP, on_reload, a);
	if (r < 0)
		return log_error_errno(r, "Failed to watch signals: %m");
	return 0;
}

/*
 * Start-up peaks once: libbpf parses the kernel's whole BTF (about twice
 * its size, 11 MiB on a 6.x kernel) to relocate and attach the probes, and
 * frees it.  Keep that figure, then restart the high-water mark so that
 * VmHWM tells what the agent needs running.
 */
static void agent_mark_startup_peak(agent *a)
{
	a->startup_peak_kib = proc_status_kib("VmHWM:");
	(void)write_small_file("/proc/self/clear_refs", "5");
}

/* Drops every capability but AGENT_KEEP_CAPS and what restarting the sender needs. */
static int agent_drop_caps(agent *a)
{
	int r;

	if (!a->opts.keep_caps) {
		/*
		 * A sender that stopped is forked again from here; it must still
		 * be able to give up root (setgroups/setresgid/setresuid).
		 */
		uint64_t keep = AGENT_KEEP_CAPS;

		if (a->reports.spool)
			keep |= (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID);
		r = privs_drop_caps(keep);
		if (r < 0)
			return log_error_errno(r, "Failed to drop capabilities: %m");
	}
	return 0;
}

/*
 * The steps run in this order for these reasons:
 * - the process probe is attached before /proc is read into the process
 *   table, so that a process starting in between is seen one way or the
 *   other;
 * - the engine is set up before the network probe, which gives the
 *   engine's context its maps (engine_ctx.net);
 * - SIGCHLD and SIGUSR1 are blocked before any child is forked (the sender,
 *   the checks' runner);
 * - the network probe and the status socket come before the reports: the
 *   sender is exempted from the network rules before it may run, and the
 *   status socket shows the spool's sent records;
 * - every stage comes before the policy: putting it in force arms the
 *   engine timer (records) and puts the network rules in the kernel (net);
 *   the findings it makes at once are kept for status clients (status) and
 *   spooled (reports); and only a feed set up with the reports lets it fall
 *   back to the last good signed policy;
 * - the checks run once the policy is in force and everything is set up;
 * - the start-up peak of memory is taken when start-up is over, and the
 *   capabilities are dropped last: the steps above need them.
 */
int agent_new(const struct agent_options *opts, agent **ret)
{
	_cleanup_(agent_freep) agent *a = NULL;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return log_oom();
	a->opts = *opts;
	a->records.decode_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);
	a->findings.rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);
	a->findings.spool_rl = RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
	a->started = now_usec(CLOCK_REALTIME);
	/* The first snapshot's interval begins now (or at the last one of an earlier run). */
	a->reports.interval_real = a->started;
	a->reports.interval_mono = now_usec(CLOCK_MONOTONIC);
	a->reports.interval_boot = now_usec(CLOCK_BOOTTIME);

	r = agent_setup_basics(a);
	if (r < 0)
		return r;
	r = agent_attach_process_probe(a);
	if (r < 0)
		return r;
	r = agent_setup_engine(a);
	if (r < 0)
		return r;
	r = agent_setup_loop(a);
	if (r < 0)
		return r;
	r = agent_records_setup(a);
	if (r < 0)
		return r;
	r = agent_policy_setup(a);
	if (r < 0)
		return r;
	r = agent_net_setup(a);
	if (r < 0)
		return r;
	/* Before the first policy, whose rules may name the system's resolvers. */
	r = agent_resolvers_setup(a);
	if (r < 0)
		return r;
	r = agent_status_setup(a);
	if (r < 0)
		return r;
	r = agent_checks_setup(a);
	if (r < 0)
		return r;
	r = agent_reports_setup(a);
	if (r < 0)
		return r;
	/* With the spool open: the start record goes there; the probes' links are all attached. */
	r = agent_tamper_setup(a);
	if (r < 0)
		return r;

	r = agent_policy_load(a, true);
	if (r < 0)
		return r;
	agent_checks_run(a);

	r = sd_event_set_watchdog(a->event, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the watchdog: %m");
	agent_mark_startup_peak(a);
	r = agent_drop_caps(a);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(a);
	return 0;
}

int agent_run(agent *a)
{
	const char *flavor = probe_flavor_to_string(probe_process_flavor(a->proc));
	int r;

	log_info("Watching processes through %s probes (BPF LSM %s, fentry %s); enforcement by %s.",
		 flavor, a->features.lsm ? "available" : "unavailable",
		 a->features.fentry ? "available" : "unavailable",
		 probe_process_enforcement(a->proc));
	(void)sd_notifyf(false, "READY=1\nSTATUS=Watching processes (%s probes).", flavor);

	/* Records that arrived while we started. */
	r = agent_records_drain_and_schedule(a, false);
	if (r < 0)
		return r;
	r = sd_event_loop(a->event);
	/* Whatever is still in the ring. */
	(void)agent_records_drain(a);
	emit_stats(a);
	return r;
}
