// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "agent.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "decode.h"
#include "device.h"
#include "format.h"
#include "json.h"
#include "privs.h"
#include "probe_common.h"
#include "probe_process.h"
#include "proctab.h"

/* After a quiet drain, one more look this long later before going idle. */
#define AGENT_SWEEP_USEC (1 * USEC_PER_SEC)

struct agent {
	struct agent_options opts;
	sd_event *event;
	struct probe_features features;
	probe_process *proc;
	proctab *procs;
	struct device_info device;
	sd_event_source *ring_source;
	sd_event_source *drain_timer;
	yajl_gen gen;
	int64_t clock_offset;
	bool sweeping;
	uint64_t records;
	uint64_t decode_errors;
	uint64_t output_errors;
	struct ratelimit decode_rl;
};

static void print_json(agent *a)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(a->gen, &buf, &len) == yajl_gen_status_ok && len > 0) {
		if (fwrite(buf, 1, len, stdout) != len || fputc('\n', stdout) == EOF)
			a->output_errors++;
	}
	yajl_gen_clear(a->gen);
	yajl_gen_reset(a->gen, NULL);
}

static int on_record(void *userdata, const void *data, size_t size)
{
	agent *a = userdata;
	struct decoded_event ev;
	const struct proc_entry *self, *parent;
	int r;

	r = decode_event(data, size, a->clock_offset, &ev);
	if (r < 0) {
		a->decode_errors++;
		if (ratelimit_below(&a->decode_rl))
			log_warning_errno(
				r, "Dropped a malformed record of %zu bytes from the kernel: %m",
				size);
		return 0;
	}
	a->records++;

	/* An exit is described by what we knew before; exec and fork by what they change. */
	if (ev.kind != EVENT_KIND_EXIT) {
		r = proctab_apply(a->procs, &ev);
		if (r < 0)
			return log_error_errno(r, "Failed to update the process table: %m");
	}
	if (a->opts.print_events) {
		self = proctab_get(a->procs, ev.task.pid);
		parent = proctab_get(a->procs, ev.task.ppid);
		format_process_event(a->gen, &ev, self, parent, &a->device, a->clock_offset);
		print_json(a);
	}
	if (ev.kind == EVENT_KIND_EXIT)
		(void)proctab_apply(a->procs, &ev);
	return 0;
}

static int drain(agent *a)
{
	int n;

	a->clock_offset = decode_clock_offset();
	n = probe_process_drain(a->proc);
	if (n < 0)
		return log_error_errno(n, "Failed to read the ring buffer: %m");
	if (n > 0 && a->opts.print_events && fflush(stdout) == EOF)
		a->output_errors++;
	return n;
}

/*
 * Batching: after records arrive, the probes are told we will come back within
 * the latency by ourselves, so records until then do not wake us; a timer does.
 * When a timer drain finds nothing, records wake us again, and one sweep a
 * second later picks up any record that was being written during that switch.
 */
static int drain_and_schedule(agent *a, bool from_timer)
{
	usec_t latency = (usec_t)a->opts.config.wakeup_latency_ms * USEC_PER_MSEC;
	bool batched = a->opts.config.process.wakeup_mode == EVENT_WAKEUP_BATCHED;
	usec_t now;
	int n, r;

	n = drain(a);
	if (n < 0)
		return n;
	if (!batched)
		return 0;
	if (n == 0 && from_timer && !a->sweeping) {
		probe_process_set_deadline(a->proc, 0);
		n = drain(a);
		if (n < 0)
			return n;
		if (n == 0) {
			a->sweeping = true;
			r = sd_event_now(a->event, CLOCK_BOOTTIME, &now);
			if (r < 0)
				return r;
			r = sd_event_source_set_time(a->drain_timer, now + AGENT_SWEEP_USEC);
			if (r < 0)
				return r;
			return sd_event_source_set_enabled(a->drain_timer, SD_EVENT_ONESHOT);
		}
	}
	if (n > 0) {
		a->sweeping = false;
		r = sd_event_now(a->event, CLOCK_BOOTTIME, &now);
		if (r < 0)
			return r;
		probe_process_set_deadline(a->proc, (now + latency) * NSEC_PER_USEC);
		r = sd_event_source_set_time(a->drain_timer, now + latency);
		if (r < 0)
			return r;
		return sd_event_source_set_enabled(a->drain_timer, SD_EVENT_ONESHOT);
	}
	if (from_timer) {
		/* The sweep found nothing either: idle until a record wakes us. */
		a->sweeping = false;
		return sd_event_source_set_enabled(a->drain_timer, SD_EVENT_OFF);
	}
	return 0;
}

static int on_ring_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	agent *a = userdata;
	int r = drain_and_schedule(a, false);

	return r < 0 ? sd_event_exit(a->event, r) : 0;
}

static int on_drain_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;
	int r = drain_and_schedule(a, true);

	return r < 0 ? sd_event_exit(a->event, r) : 0;
}

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	agent *a = userdata;

	log_info("Received %s, shutting down.", strsignal((int)si->ssi_signo));
	(void)sd_notify(false, "STOPPING=1\nSTATUS=Shutting down.");
	return sd_event_exit(a->event, 0);
}

static int on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	log_info("Received SIGHUP; there is no policy to reload in this version.");
	return 0;
}

static void emit_stats(agent *a)
{
	uint64_t k[_EVENT_STAT_MAX] = {};
	struct proctab_stats ps;

	if (probe_process_stats(a->proc, k) < 0)
		log_warning("Could not read the kernel's record counters.");
	proctab_get_stats(a->procs, &ps);
	log_info("Processed %llu records; the kernel dropped %llu exec, %llu fork and %llu exit "
		 "records; %llu malformed.",
		 (unsigned long long)a->records, (unsigned long long)k[EVENT_STAT_EXEC_LOST],
		 (unsigned long long)k[EVENT_STAT_FORK_LOST],
		 (unsigned long long)k[EVENT_STAT_EXIT_LOST], (unsigned long long)a->decode_errors);
	if (!a->opts.print_events)
		return;

	/* The last line of the debugging view: what the agent saw and lost. */
	yajl_gen_map_open(a->gen);
	json_open(a->gen, "postured");
	json_str(a->gen, "event", "agent_stats");
	json_str(a->gen, "probe_flavor", probe_flavor_to_string(probe_process_flavor(a->proc)));
	json_u64(a->gen, "records", a->records);
	json_u64(a->gen, "malformed", a->decode_errors);
	json_open(a->gen, "sent");
	json_u64(a->gen, "exec", k[EVENT_STAT_EXEC_SENT]);
	json_u64(a->gen, "fork", k[EVENT_STAT_FORK_SENT]);
	json_u64(a->gen, "exit", k[EVENT_STAT_EXIT_SENT]);
	json_close(a->gen);
	json_open(a->gen, "lost");
	json_u64(a->gen, "exec", k[EVENT_STAT_EXEC_LOST]);
	json_u64(a->gen, "fork", k[EVENT_STAT_FORK_LOST]);
	json_u64(a->gen, "exit", k[EVENT_STAT_EXIT_LOST]);
	json_close(a->gen);
	json_u64(a->gen, "kernel_wakeups", k[EVENT_STAT_WAKEUPS]);
	json_open(a->gen, "process_table");
	json_u64(a->gen, "entries", ps.entries);
	json_u64(a->gen, "evicted", ps.evicted);
	json_u64(a->gen, "replaced", ps.replaced);
	json_u64(a->gen, "seeded", ps.seeded);
	json_close(a->gen);
	json_close(a->gen);
	yajl_gen_map_close(a->gen);
	print_json(a);
	fflush(stdout);
}

agent *agent_free(agent *a)
{
	if (!a)
		return NULL;
	sd_event_source_disable_unref(a->ring_source);
	sd_event_source_disable_unref(a->drain_timer);
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
 * What the daemon keeps after start-up: reading other users' /proc entries, and
 * CAP_BPF for map reads and updates on kernels that ask for it even on fds we
 * hold (before 6.5, when unprivileged BPF is disabled).
 */
#define AGENT_KEEP_CAPS \
	((1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_BPF))

int agent_new(const struct agent_options *opts, agent **ret)
{
	_cleanup_(agent_freep) agent *a = NULL;
	struct probe_process_config pc;
	sigset_t mask;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return log_oom();
	a->opts = *opts;
	a->decode_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);

	r = device_info_read("/", &a->device);
	if (r < 0)
		return log_error_errno(r, "Failed to read this machine's id (/etc/machine-id): %m");

	a->gen = yajl_gen_alloc(NULL);
	if (!a->gen)
		return log_oom();
	yajl_gen_config(a->gen, yajl_gen_validate_utf8, 0);

	a->procs = proctab_new(opts->config.process_table_max);
	if (!a->procs)
		return log_oom();

	probe_features_detect(&a->features);
	r = probe_check_prerequisites(&a->features);
	if (r < 0)
		return r;
	pc = opts->config.process;
	pc.wakeup_latency_ms = opts->config.wakeup_latency_ms;
	r = probe_process_new(&pc, &a->features, on_record, a, &a->proc);
	if (r < 0)
		return r;

	/* After attaching, so a process that starts in between is seen one way or the other. */
	r = proctab_seed(a->procs, "/proc");
	if (r < 0)
		return log_error_errno(r, "Failed to read /proc: %m");
	log_debug("Seeded the process table with %d processes.", r);

	r = sd_event_default(&a->event);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the event loop: %m");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
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

	r = sd_event_add_io(a->event, &a->ring_source, probe_process_fd(a->proc), EPOLLIN,
			    on_ring_io, a);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the ring buffer: %m");
	r = sd_event_add_time(a->event, &a->drain_timer, CLOCK_BOOTTIME, USEC_INFINITY,
			      USEC_PER_MSEC, on_drain_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the drain timer: %m");
	(void)sd_event_source_set_enabled(a->drain_timer, SD_EVENT_OFF);

	r = sd_event_set_watchdog(a->event, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the watchdog: %m");

	if (!opts->keep_caps) {
		r = privs_drop_caps(AGENT_KEEP_CAPS);
		if (r < 0)
			return log_error_errno(r, "Failed to drop capabilities: %m");
	}

	*ret = TAKE_PTR(a);
	return 0;
}

int agent_run(agent *a)
{
	const char *flavor = probe_flavor_to_string(probe_process_flavor(a->proc));
	int r;

	log_info("Watching processes through %s probes (BPF LSM %s, fentry %s).", flavor,
		 a->features.lsm ? "available" : "unavailable",
		 a->features.fentry ? "available" : "unavailable");
	(void)sd_notifyf(false, "READY=1\nSTATUS=Watching processes (%s probes).", flavor);

	/* Records that arrived while we started. */
	r = drain_and_schedule(a, false);
	if (r < 0)
		return r;
	r = sd_event_loop(a->event);
	/* Whatever is still in the ring. */
	(void)drain(a);
	emit_stats(a);
	return r;
}
