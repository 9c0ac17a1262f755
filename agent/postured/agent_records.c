// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process probe's records: the ring buffer drained, each record
 * decoded, applied to the process table and judged by the engine, in the
 * batches the wake-up mode asks for; and the engine's own timer for the
 * deadlines records start (a required program's grace).
 */
#include "agent-internal.h"
#include "basic/log.h"
#include "format.h"

/* After a quiet drain, one more look this long later before going idle. */
#define AGENT_SWEEP_USEC (1 * USEC_PER_SEC)

int agent_records_on_record(void *userdata, const void *data, size_t size)
{
	agent *a = userdata;
	struct decoded_event ev;
	const struct proc_entry *self, *parent;
	bool audit;
	int r;

	r = decode_event(data, size, a->records.clock_offset, &ev);
	if (r < 0) {
		a->records.decode_errors++;
		if (ratelimit_below(&a->records.decode_rl))
			log_warning_errno(
				r, "Dropped a malformed record of %zu bytes from the kernel: %m",
				size);
		return 0;
	}
	a->records.count++;

	/* An exit is described by what we knew before; exec and fork by what they change. */
	if (ev.kind != EVENT_KIND_EXIT) {
		r = proctab_apply(a->procs, &ev);
		if (r < 0)
			return log_error_errno(r, "Failed to update the process table: %m");
	}
	engine_on_event(a->engine, &ev, now_usec(CLOCK_MONOTONIC));
	/* A policy asking for a full exec audit trail sends every exec to the collector. */
	audit = a->reports.spool && ev.kind == EVENT_KIND_EXEC && engine_policy(a->engine) &&
		policy_settings(engine_policy(a->engine))->exec_audit;
	if (a->opts.print_events || audit) {
		self = proctab_get(a->procs, ev.task.pid);
		parent = proctab_get(a->procs, ev.task.ppid);
		format_process_event(a->gen, &ev, self, parent, &a->device,
				     a->records.clock_offset);
		if (audit)
			agent_findings_spool(a, SPOOL_EVENT, "process");
		if (a->opts.print_events)
			agent_findings_print(a);
		else {
			yajl_gen_clear(a->gen);
			yajl_gen_reset(a->gen, NULL);
		}
	}
	if (ev.kind == EVENT_KIND_EXIT)
		(void)proctab_apply(a->procs, &ev);
	return 0;
}

void agent_records_engine_rearm(agent *a)
{
	usec_t next = engine_tick(a->engine, now_usec(CLOCK_MONOTONIC));

	if (!a->records.engine_timer)
		return;
	if (next == USEC_INFINITY) {
		(void)sd_event_source_set_enabled(a->records.engine_timer, SD_EVENT_OFF);
		return;
	}
	(void)sd_event_source_set_time(a->records.engine_timer, next);
	(void)sd_event_source_set_enabled(a->records.engine_timer, SD_EVENT_ONESHOT);
}

static int on_engine_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent_records_engine_rearm(userdata);
	return 0;
}

int agent_records_drain(agent *a)
{
	int n;

	a->records.clock_offset = decode_clock_offset();
	n = probe_process_drain(a->proc);
	if (n < 0)
		return log_error_errno(n, "Failed to read the ring buffer: %m");
	if (n > 0)
		agent_records_engine_rearm(a);
	if (n > 0 && a->opts.print_events)
		agent_findings_flush(a);
	return n;
}

/*
 * Batching: after records arrive, the probes are told we will come back within
 * the latency by ourselves, so records until then do not wake us; a timer does.
 * When a timer drain finds nothing, records wake us again, and one sweep a
 * second later picks up any record that was being written during that switch.
 */
int agent_records_drain_and_schedule(agent *a, bool from_timer)
{
	usec_t latency = (usec_t)a->opts.config.wakeup_latency_ms * USEC_PER_MSEC;
	bool batched = a->opts.config.process.wakeup_mode == EVENT_WAKEUP_BATCHED;
	usec_t now;
	int n, r;

	n = agent_records_drain(a);
	if (n < 0)
		return n;
	if (!batched)
		return 0;
	if (n == 0 && from_timer && !a->records.sweeping) {
		probe_process_set_deadline(a->proc, 0);
		n = agent_records_drain(a);
		if (n < 0)
			return n;
		if (n == 0) {
			a->records.sweeping = true;
			r = sd_event_now(a->event, CLOCK_BOOTTIME, &now);
			if (r < 0)
				return r;
			r = sd_event_source_set_time(a->records.drain_timer,
						     now + AGENT_SWEEP_USEC);
			if (r < 0)
				return r;
			return sd_event_source_set_enabled(a->records.drain_timer,
							   SD_EVENT_ONESHOT);
		}
	}
	if (n > 0) {
		a->records.sweeping = false;
		r = sd_event_now(a->event, CLOCK_BOOTTIME, &now);
		if (r < 0)
			return r;
		probe_process_set_deadline(a->proc, (now + latency) * NSEC_PER_USEC);
		r = sd_event_source_set_time(a->records.drain_timer, now + latency);
		if (r < 0)
			return r;
		return sd_event_source_set_enabled(a->records.drain_timer, SD_EVENT_ONESHOT);
	}
	if (from_timer) {
		/* The sweep found nothing either: idle until a record wakes us. */
		a->records.sweeping = false;
		return sd_event_source_set_enabled(a->records.drain_timer, SD_EVENT_OFF);
	}
	return 0;
}

static int on_ring_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	agent *a = userdata;
	int r = agent_records_drain_and_schedule(a, false);

	return r < 0 ? sd_event_exit(a->event, r) : 0;
}

static int on_drain_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;
	int r = agent_records_drain_and_schedule(a, true);

	return r < 0 ? sd_event_exit(a->event, r) : 0;
}

int agent_records_setup(agent *a)
{
	int r;

	r = sd_event_add_io(a->event, &a->records.ring_source, probe_process_fd(a->proc), EPOLLIN,
			    on_ring_io, a);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the ring buffer: %m");
	r = sd_event_add_time(a->event, &a->records.drain_timer, CLOCK_BOOTTIME, USEC_INFINITY,
			      USEC_PER_MSEC, on_drain_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the drain timer: %m");
	(void)sd_event_source_set_enabled(a->records.drain_timer, SD_EVENT_OFF);

	r = sd_event_add_time(a->event, &a->records.engine_timer, CLOCK_MONOTONIC, USEC_INFINITY,
			      10 * USEC_PER_MSEC, on_engine_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up timers: %m");
	(void)sd_event_source_set_enabled(a->records.engine_timer, SD_EVENT_OFF);
	return 0;
}

void agent_records_free(agent *a)
{
	sd_event_source_disable_unref(a->records.ring_source);
	sd_event_source_disable_unref(a->records.drain_timer);
	sd_event_source_disable_unref(a->records.engine_timer);
}
