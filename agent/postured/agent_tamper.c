// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tamper evidence: detect and report, never make the agent unstoppable.
 *
 * - The run state (runstate.h) beside the spool says how the previous run
 *   ended: a clean stop writes "stopped"; a crash or kill -9 leaves the
 *   last heartbeat (every RUNSTATE_ALIVE_INTERVAL).  At start the agent
 *   reports it (format_agent_start(): Medium when unclean) with the gap
 *   nobody watched.  The same file keeps the last snapshot's time, from
 *   which the snapshots count stopped_seconds.  Kept only with a
 *   collector: without one nothing is sent, and agents run by hand or by
 *   tests must not share a state in /var/lib.
 * - SIGTERM and SIGINT: the stop record names the sender the kernel gives
 *   (signalfd's ssi_pid, ssi_uid; pid 1 is systemd) and whether the system
 *   is shutting down (shutdown.c), committed to the spool before the loop
 *   ends.
 * - Every TAMPER_CHECK_INTERVAL the watch (bpfwatch.c) looks at the links
 *   the probes hold: a change the agent did not make is a record and a log
 *   line, once.
 * - Sleep (with a collector): logind's PrepareForSleep, under a delay lock
 *   (sleepwatch.c), is a suspend record committed to the spool and the
 *   sender woken; the lock is let go when the collector has acknowledged it
 *   (or sleepwatch's time is up), so the collector can tell a laptop asleep
 *   from one gone silent; the wake-up asks for a snapshot soon, which says
 *   the agent runs again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent-internal.h"
#include "basic/fileio.h"
#include "basic/string-util.h"
#include "format_lifecycle.h"
#include "shutdown.h"

#define TAMPER_CHECK_INTERVAL (5 * USEC_PER_SEC)
/* The probes' links: the process probe's few, the network probe's up to ten. */
#define TAMPER_LINKS_MAX 32

/* Prints (with --print-events) and spools the record in the generator, then clears it. */
static void tamper_emit(agent *a, const char *what)
{
	a->tamper.records++;
	agent_findings_spool(a, SPOOL_EVENT, what);
	if (a->opts.print_events) {
		agent_findings_print(a);
		agent_findings_flush(a);
	}
	yajl_gen_clear(a->gen);
	yajl_gen_reset(a->gen, NULL);
}

static void tamper_save(agent *a)
{
	char text[RUNSTATE_TEXT_MAX];
	size_t n;
	int r;

	if (!a->tamper.kept)
		return;
	n = runstate_format(&a->tamper.state, text, sizeof(text));
	r = write_file_atomic(a->tamper.path, text, n, 0600);
	if (r < 0)
		log_warning_errno(r, "Could not write the run state %s: %m", a->tamper.path);
	a->tamper.saved = now_usec(CLOCK_MONOTONIC);
}

void agent_tamper_load(agent *a)
{
	const char *spool = a->opts.config.spool_path;
	const char *slash = strrchr(spool, '/');
	char dir[PATH_MAX], legacy[PATH_MAX + 16], text[RUNSTATE_TEXT_MAX], err[128];
	const char *from = a->tamper.path;
	int r;

	strbuf_printf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - spool) : 1,
		      slash ? spool : ".");
	strbuf_printf(a->tamper.path, sizeof(a->tamper.path), "%s/run-state", dir);
	/* What the first versions kept: the last snapshot's time alone. */
	strbuf_printf(legacy, sizeof(legacy), "%s/last-snapshot", dir);
	a->tamper.kept = true;

	r = read_small_file(from, text, sizeof(text));
	if (r == -ENOENT) {
		from = legacy;
		r = read_small_file(from, text, sizeof(text));
	}
	if (r == -ENOENT)
		return;
	a->tamper.had_previous = true;
	if (r < 0) {
		log_warning_errno(r,
				  "Could not read the run state %s: %m; how the previous run "
				  "ended is not known.",
				  from);
		return;
	}
	r = runstate_parse(text, &a->tamper.previous, err, sizeof(err));
	if (r < 0) {
		log_warning("The run state %s is damaged (%s); how the previous run ended is not "
			    "known.",
			    from, err);
		return;
	}
	a->tamper.state.last_snapshot = a->tamper.previous.last_snapshot;
	/* The first interval reaches back to the last snapshot of an earlier run. */
	if (a->tamper.previous.last_snapshot &&
	    a->tamper.previous.last_snapshot < a->reports.interval_real)
		a->reports.interval_real = a->tamper.previous.last_snapshot;
}

/* The start record: how the previous run ended, and how long nothing watched. */
static void tamper_report_start(agent *a)
{
	struct format_agent_start s = {
		.time_ms = (long long)(a->started / USEC_PER_MSEC),
		.previous = a->tamper.had_previous ? &a->tamper.previous : NULL,
	};
	char gap[32];

	runstate_judge(s.previous, a->started, a->device.boot_uid, &s.verdict);
	format_usec(gap, sizeof(gap), s.verdict.gap / USEC_PER_SEC * USEC_PER_SEC);
	switch (s.verdict.previous) {
	case RUNSTATE_PREVIOUS_UNCLEAN:
		log_warning("The previous run (pid %u) ended without a clean stop%s; nothing "
			    "watched this device for about %s.",
			    a->tamper.previous.pid,
			    s.verdict.rebooted ? " (the system rebooted since)" : "", gap);
		break;
	case RUNSTATE_PREVIOUS_CLEAN:
		log_info("The previous run stopped cleanly %s ago.", gap);
		break;
	default:
		break;
	}
	format_agent_start(a->gen, &a->device, &s);
	tamper_emit(a, "agent");
}

static void on_bpf_change(void *userdata, const struct bpfwatch_report *r)
{
	agent *a = userdata;

	if (r->change == BPFWATCH_RESTORED) {
		log_notice("The BPF link of %s (link id %u) is attached as postured made it again.",
			   r->name, r->link_id);
		return;
	}
	log_warning("postured's BPF program %s (program id %u, link id %u, a %s link%s%s) was %s "
		    "by someone else.",
		    r->name, r->prog_id, r->link_id, r->link_type, r->target[0] ? " on " : "",
		    r->target, bpfwatch_change_to_string(r->change));
	format_probe_changed(a->gen, &a->device,
			     (long long)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC), r);
	tamper_emit(a, "agent");
}

void agent_tamper_check_bpf(agent *a)
{
	struct probe_link links[TAMPER_LINKS_MAX];
	size_t n;

	if (!a->tamper.watch)
		return;
	n = probe_process_links(a->proc, links, ELEMENTSOF(links));
	if (a->net.probe)
		n += probe_net_links(a->net.probe, links + n, ELEMENTSOF(links) - n);
	if (bpfwatch_check(a->tamper.watch, links, n, on_bpf_change, a) < 0)
		log_oom();
}

#define SLEEP_POLL_USEC (50 * USEC_PER_MSEC)

/* The spool holds nothing unsent up to seq: the collector has it. */
static int sleep_first_unsent(uint64_t seq, const char *line, size_t len, void *userdata)
{
	*(uint64_t *)userdata = seq;
	return 1;
}

/*
 * While the laptop waits to sleep: is the suspend record at the collector
 * (acknowledged, so gone from the spool)?  Then the delay lock goes at once;
 * sleepwatch lets it go anyway when its time is up, and what did not leave
 * goes when the laptop wakes.
 */
static int on_sleep_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;
	uint64_t first = 0;
	int r;

	r = spool_peek(a->reports.spool, 0, 1, SIZE_MAX, sleep_first_unsent, &first);
	if (r < 0 || r == 0 || first > a->tamper.sleep_seq ||
	    !sleepwatch_waiting(a->tamper.sleep)) {
		if (r >= 0 && (r == 0 || first > a->tamper.sleep_seq))
			log_info("The collector has the suspend record.");
		sleepwatch_ready(a->tamper.sleep);
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	}
	(void)sd_event_source_set_time(s, usec + SLEEP_POLL_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void on_sleep_event(sleepwatch *w, enum sleepwatch_event event, void *userdata)
{
	agent *a = userdata;
	struct spool_stats st;
	const char *why;
	usec_t now;

	if (event == SLEEPWATCH_WAKE) {
		log_info("The laptop woke; a posture snapshot goes to the collector soon.");
		agent_reports_snapshot_soon(a);
		return;
	}
	if (sleepwatch_locked(w, &why))
		log_info("The laptop is going to sleep; telling the collector.");
	else
		log_info("The laptop is going to sleep; telling the collector, without a delay "
			 "lock (%s).",
			 why);
	format_agent_suspend(a->gen, &a->device,
			     (long long)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC));
	/* Committed (synchronous=FULL) when it returns; agent_findings_spool() kicks the sender. */
	tamper_emit(a, "agent");
	/* Then the sender has until the collector acknowledges it, or sleepwatch's time is up. */
	if (!a->tamper.sleep_poll || spool_get_stats(a->reports.spool, &st) < 0 ||
	    st.next_seq == 0 || sd_event_now(a->event, CLOCK_MONOTONIC, &now) < 0) {
		sleepwatch_ready(w);
		return;
	}
	a->tamper.sleep_seq = st.next_seq - 1;
	(void)sd_event_source_set_time(a->tamper.sleep_poll, now + SLEEP_POLL_USEC);
	(void)sd_event_source_set_enabled(a->tamper.sleep_poll, SD_EVENT_ONESHOT);
}

static int on_tamper_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;

	agent_tamper_check_bpf(a);
	if (a->tamper.kept &&
	    now_usec(CLOCK_MONOTONIC) - a->tamper.saved >= RUNSTATE_ALIVE_INTERVAL) {
		a->tamper.state.alive = now_usec(CLOCK_REALTIME);
		tamper_save(a);
	}
	(void)sd_event_source_set_time_relative(s, TAMPER_CHECK_INTERVAL);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

int agent_tamper_setup(agent *a)
{
	int r;

	a->tamper.kept = a->tamper.kept && a->reports.spool;
	if (a->tamper.kept) {
		char legacy[PATH_MAX + 16];
		const char *slash = strrchr(a->tamper.path, '/');

		tamper_report_start(a);
		a->tamper.state.started = a->started;
		a->tamper.state.alive = now_usec(CLOCK_REALTIME);
		a->tamper.state.stopped = 0;
		a->tamper.state.pid = (uint32_t)getpid();
		strbufcpy(a->tamper.state.boot_uid, sizeof(a->tamper.state.boot_uid),
			  a->device.boot_uid);
		tamper_save(a);
		/* The run state has taken over from the first versions' file. */
		strbuf_printf(legacy, sizeof(legacy), "%.*s/last-snapshot",
			      (int)(slash - a->tamper.path), a->tamper.path);
		(void)unlink(legacy);
	}

	a->tamper.watch = bpfwatch_new(&bpfwatch_ops_kernel);
	if (!a->tamper.watch)
		return log_oom();
	/* What the probes hold now is the agent's own. */
	agent_tamper_check_bpf(a);
	r = sd_event_add_time_relative(a->event, &a->tamper.timer, CLOCK_MONOTONIC,
				       TAMPER_CHECK_INTERVAL, USEC_PER_SEC, on_tamper_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the tamper watch's timer: %m");
	/* Without a collector nobody is to be told, and no suspend is to wait. */
	if (a->reports.spool) {
		r = sd_event_add_time(a->event, &a->tamper.sleep_poll, CLOCK_MONOTONIC,
				      USEC_INFINITY, USEC_PER_MSEC, on_sleep_poll, a);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the sleep watch's timer: %m");
		(void)sd_event_source_set_enabled(a->tamper.sleep_poll, SD_EVENT_OFF);
		r = sleepwatch_new(a->event, on_sleep_event, a, &a->tamper.sleep);
		if (r < 0)
			log_info_errno(r,
				       "Not following sleep and wake-up: the system bus cannot be "
				       "reached (%m).");
	}
	return 0;
}

void agent_tamper_free(agent *a)
{
	a->tamper.sleep = sleepwatch_free(a->tamper.sleep);
	a->tamper.sleep_poll = sd_event_source_disable_unref(a->tamper.sleep_poll);
	a->tamper.timer = sd_event_source_disable_unref(a->tamper.timer);
	a->tamper.watch = bpfwatch_free(a->tamper.watch);
}

void agent_tamper_snapshot_made(agent *a, usec_t interval_real)
{
	a->tamper.state.last_snapshot = interval_real;
	a->tamper.state.alive = now_usec(CLOCK_REALTIME);
	tamper_save(a);
}

/*
 * Who sent the signal, as far as the kernel says and /proc or the process
 * table still know: the pid and uid from signalfd; the name and executable
 * from /proc/<pid> when it is still there with that uid (a zombie still has
 * its name), else from the table.
 */
static void tamper_sender(agent *a, const struct signalfd_siginfo *si, struct format_agent_stop *s,
			  struct proc_entry *buf)
{
	const struct proc_entry *e;

	s->has_sender = si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE ||
			si->ssi_code == SI_TKILL;
	if (!s->has_sender)
		return;
	s->sender_pid = si->ssi_pid;
	s->sender_uid = si->ssi_uid;
	if (proctab_read_proc("/proc", si->ssi_pid, buf) >= 0) {
		if (buf->uid == si->ssi_uid) {
			s->sender = buf;
			return;
		}
		free(buf->exe);
		buf->exe = NULL;
	}
	e = proctab_get(a->procs, si->ssi_pid);
	if (e && e->uid == si->ssi_uid)
		s->sender = e;
}

void agent_tamper_on_stop(agent *a, const struct signalfd_siginfo *si)
{
	struct proc_entry sender = {};
	struct shutdown_state sd;
	struct format_agent_stop s = {
		.time_ms = (long long)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC),
		.signo = (int)si->ssi_signo,
		.clock_offset = a->records.clock_offset,
	};

	/* A second signal while stopping says nothing new. */
	if (a->tamper.stop_reported)
		return;
	a->tamper.stop_reported = true;
	tamper_sender(a, si, &s, &sender);
	shutdown_query(&sd);
	s.shutdown = sd.shutdown;
	s.system_state = sd.system_state[0] ? sd.system_state : NULL;
	s.shutdown_job = sd.job[0] ? sd.job : NULL;
	if (sd.shutdown == FORMAT_SHUTDOWN_UNKNOWN)
		log_debug("Whether the system is shutting down is not known: %s.", sd.why);
	if (!s.has_sender)
		log_notice("Stopped by %s from the kernel (no process sent it).",
			   s.signo == SIGINT ? "SIGINT" : "SIGTERM");
	else
		log_notice("Stopped by %s from pid %u (%s, uid %u)%s.",
			   s.signo == SIGINT ? "SIGINT" : "SIGTERM", s.sender_pid,
			   s.sender_pid == 1		 ? "systemd" :
			   s.sender && s.sender->comm[0] ? s.sender->comm :
							   "gone",
			   s.sender_uid,
			   sd.shutdown == FORMAT_SHUTDOWN_YES ? "; the system is shutting down" :
								"");
	format_agent_stop(a->gen, &a->device, &s);
	/* spool_append() commits with synchronous=FULL: on disk before the loop ends. */
	tamper_emit(a, "agent");
	free(sender.exe);

	if (a->tamper.kept) {
		a->tamper.state.stopped = now_usec(CLOCK_REALTIME);
		a->tamper.state.alive = a->tamper.state.stopped;
		tamper_save(a);
	}
}
