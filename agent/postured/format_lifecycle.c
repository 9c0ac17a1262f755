// SPDX-License-Identifier: LGPL-2.1-or-later
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "basic/json-util.h"
#include "basic/string-util.h"
#include "basic/version.h"
#include "format.h"
#include "format_lifecycle.h"
#include "ocsf.h"

static const char *const severity_names[] = { "Unknown", "Informational", "Low",
					      "Medium",	 "High",	  "Critical" };

/* The start of every one of them: class, activity, metadata (host profile: device, actor), device. */
static void write_head(yajl_gen g, const struct device_info *dev, long long time_ms,
		       int activity_id, const char *activity_name, int severity_id,
		       const char *message)
{
	ocsf_write_class(g, time_ms,
			 &(const struct ocsf_class){
				 .class_uid = OCSF_CLASS_APPLICATION_LIFECYCLE,
				 .class_name = "Application Lifecycle",
				 .category_uid = 6,
				 .category_name = "Application Activity",
				 .activity_id = activity_id,
				 .activity_name = activity_name,
				 .severity_id = severity_id,
				 .severity = severity_names[severity_id],
			 });
	json_str(g, "message", message);
	ocsf_write_metadata(g, "agent", (const char *const[]){ "host", NULL });
	format_write_device(g, dev);
	json_open(g, "app");
	json_str(g, "name", "postured");
	json_str(g, "vendor_name", "postured");
	json_str(g, "version", POSTURED_VERSION);
	json_close(g);
}

static const char *signal_name(int signo)
{
	return signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "other";
}

static const char *shutdown_to_string(enum format_shutdown s)
{
	return s == FORMAT_SHUTDOWN_YES ? "yes" : s == FORMAT_SHUTDOWN_NO ? "no" : "unknown";
}

void format_agent_stop(yajl_gen g, const struct device_info *dev, const struct format_agent_stop *s)
{
	const char *comm = s->sender && s->sender->comm[0] ? s->sender->comm : NULL;
	const char *by = !s->has_sender ? "kernel" : s->sender_pid == 1 ? "systemd" : "process";
	char who[96], message[256];

	if (!s->has_sender)
		strbuf_printf(who, sizeof(who), "the kernel (no process sent it)");
	else if (s->sender_pid == 1)
		strbuf_printf(who, sizeof(who), "systemd (pid 1)");
	else
		strbuf_printf(who, sizeof(who), "pid %u%s%s%s, uid %u", s->sender_pid,
			      comm ? " (" : "", comm ? comm : "", comm ? ")" : "", s->sender_uid);
	strbuf_printf(message, sizeof(message), "postured was stopped by %s from %s; %s",
		      signal_name(s->signo), who,
		      s->shutdown == FORMAT_SHUTDOWN_YES ? "the system is shutting down" :
		      s->shutdown == FORMAT_SHUTDOWN_NO	 ? "the system is not shutting down" :
							   "whether the system is shutting down "
							   "is not known");
	/* Who asked matters more when it was not systemd at a shutdown: Low then. */
	write_head(g, dev, s->time_ms, 4, "Stop",
		   s->shutdown == FORMAT_SHUTDOWN_YES || (s->has_sender && s->sender_pid == 1) ? 1 :
												 2,
		   message);
	if (s->has_sender) {
		struct proc_entry e = { .uid = s->sender_uid };

		if (s->sender)
			e = *s->sender;
		/* The kernel's uid, not what /proc showed a moment later. */
		e.uid = s->sender_uid;
		json_open(g, "actor");
		format_write_process(g, "process", s->sender_pid, &e, s->clock_offset);
		json_close(g);
	}
	json_open(g, "postured");
	json_str(g, "event", "agent_stopped");
	json_str(g, "signal", signal_name(s->signo));
	json_str(g, "sent_by", by);
	json_str(g, "shutdown", shutdown_to_string(s->shutdown));
	if (s->system_state)
		format_write_text(g, "system_state", s->system_state);
	if (s->shutdown_job)
		format_write_text(g, "shutdown_job", s->shutdown_job);
	json_close(g);
	yajl_gen_map_close(g);
}

int format_agent_start_severity(enum runstate_previous p)
{
	/* An unclean end is a finding: Medium.  A state that says nothing: Low. */
	return p == RUNSTATE_PREVIOUS_UNCLEAN ? 3 : p == RUNSTATE_PREVIOUS_UNKNOWN ? 2 : 1;
}

void format_agent_start(yajl_gen g, const struct device_info *dev,
			const struct format_agent_start *s)
{
	const struct runstate_verdict *v = &s->verdict;
	unsigned long long gap = v->gap / USEC_PER_SEC;
	char message[256];

	switch (v->previous) {
	case RUNSTATE_PREVIOUS_NONE:
		strbuf_printf(message, sizeof(message),
			      "postured started; no earlier run is recorded on this device");
		break;
	case RUNSTATE_PREVIOUS_CLEAN:
		strbuf_printf(message, sizeof(message),
			      "postured started; its previous run stopped cleanly %llu s before",
			      gap);
		break;
	case RUNSTATE_PREVIOUS_UNCLEAN:
		strbuf_printf(message, sizeof(message),
			      "postured started; its previous run ended without a clean stop "
			      "(a crash, kill -9 or power loss%s): nothing watched this device for "
			      "about %llu s",
			      v->rebooted ? "; the system rebooted since" : "", gap);
		break;
	default:
		strbuf_printf(message, sizeof(message),
			      "postured started; how its previous run ended is not recorded");
		break;
	}
	write_head(g, dev, s->time_ms, 3, "Start", format_agent_start_severity(v->previous),
		   message);
	json_open(g, "postured");
	json_str(g, "event", "agent_started");
	json_str(g, "previous_run", runstate_previous_to_string(v->previous));
	if (v->last_known) {
		json_u64(g, "gap_seconds", gap);
		json_u64(g, "previous_last_known", v->last_known / USEC_PER_MSEC);
	}
	/* The heartbeat's period: an unclean run may have gone on that much after its last one. */
	if (v->previous == RUNSTATE_PREVIOUS_UNCLEAN)
		json_u64(g, "gap_precision_seconds", RUNSTATE_ALIVE_INTERVAL / USEC_PER_SEC);
	if (s->previous && s->previous->started) {
		json_u64(g, "previous_started", s->previous->started / USEC_PER_MSEC);
		if (s->previous->pid)
			json_u64(g, "previous_pid", s->previous->pid);
	}
	if (s->previous && s->previous->boot_uid[0])
		json_bool(g, "rebooted", v->rebooted);
	if (v->clock_back)
		json_bool(g, "clock_back", true);
	json_close(g);
	yajl_gen_map_close(g);
}

void format_probe_changed(yajl_gen g, const struct device_info *dev, long long time_ms,
			  const struct bpfwatch_report *r)
{
	const char *change = bpfwatch_change_to_string(r->change);
	char message[256];

	if (r->change == BPFWATCH_REPLACED)
		strbuf_printf(message, sizeof(message),
			      "postured's BPF link for %s (link id %u) now runs program id %u, "
			      "not its own (id %u): someone else replaced it",
			      r->name, r->link_id, r->now_prog_id, r->prog_id);
	else if (r->change == BPFWATCH_DETACHED)
		strbuf_printf(message, sizeof(message),
			      "postured's BPF program %s (link id %u) was detached%s%s by someone "
			      "else",
			      r->name, r->link_id, r->target[0] ? " from " : "", r->target);
	else
		strbuf_printf(message, sizeof(message),
			      "postured's BPF program %s (program id %u, link id %u) is %s",
			      r->name, r->prog_id, r->link_id, change);
	write_head(g, dev, time_ms, 7, "Disable", 4, message);
	json_open(g, "postured");
	json_str(g, "event", "probe_changed");
	json_str(g, "change", change);
	json_str(g, "program", r->name);
	json_u64(g, "program_id", r->prog_id);
	if (r->link_id)
		json_u64(g, "link_id", r->link_id);
	json_str(g, "link_type", r->link_type);
	if (r->target[0])
		json_str(g, "target", r->target);
	if (r->change == BPFWATCH_REPLACED)
		json_u64(g, "now_program_id", r->now_prog_id);
	json_close(g);
	yajl_gen_map_close(g);
}

void format_agent_suspend(yajl_gen g, const struct device_info *dev, long long time_ms)
{
	write_head(g, dev, time_ms, 99, "Suspend", 1,
		   "The laptop is going to sleep; postured watches again when it wakes");
	json_open(g, "postured");
	json_str(g, "event", "agent_suspended");
	json_close(g);
	yajl_gen_map_close(g);
}
