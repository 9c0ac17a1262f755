/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's records about itself, the tamper evidence (docs/events.md,
 * "The agent's own lifecycle"): OCSF Application Lifecycle (class 6002,
 * category Application Activity), the application being postured.
 *
 *   agent_started  activity 3 Start: how the previous run ended, and the gap
 *   agent_stopped  activity 4 Stop: the signal, who sent it, whether the
 *                  system is shutting down
 *   probe_changed  activity 7 Disable: one of its BPF links or programs
 *                  changed by someone else (detached, replaced, gone)
 *   agent_suspended  activity 99 Other, "Suspend": the laptop is going to
 *                  sleep, so the silence until it wakes is not a stopped agent
 */
#ifndef POSTURED_FORMAT_LIFECYCLE_H
#define POSTURED_FORMAT_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "bpfwatch.h"
#include "device.h"
#include "proctab.h"
#include "runstate.h"

#define OCSF_CLASS_APPLICATION_LIFECYCLE 6002

/* Whether the system is shutting down, as systemd says; unknown without systemd as PID 1. */
enum format_shutdown {
	FORMAT_SHUTDOWN_UNKNOWN,
	FORMAT_SHUTDOWN_NO,
	FORMAT_SHUTDOWN_YES,
};

struct format_agent_stop {
	long long time_ms;
	int signo; /* SIGTERM, SIGINT */
	/*
	 * The kernel named a sending process (si_code SI_USER, SI_QUEUE or
	 * SI_TKILL): its pid and real uid, and what the agent could still
	 * read of it (sender; NULL when nothing: it exited and was reaped).
	 * Otherwise the kernel itself sent it (a terminal's Ctrl-C).
	 */
	bool has_sender;
	uint32_t sender_pid, sender_uid;
	const struct proc_entry *sender;
	int64_t clock_offset; /* for sender's start time */
	enum format_shutdown shutdown;
	const char *system_state; /* the manager's SystemState; NULL: not asked or no answer */
	const char *shutdown_job; /* the shutdown target a job is queued for, or NULL */
};

void format_agent_stop(yajl_gen g, const struct device_info *dev,
		       const struct format_agent_stop *s);

struct format_agent_start {
	long long time_ms;
	struct runstate_verdict verdict;
	const struct runstate *previous; /* NULL: there was no state */
};

void format_agent_start(yajl_gen g, const struct device_info *dev,
			const struct format_agent_start *s);

/* The severity of a start: above informational when the previous run ended uncleanly. */
int format_agent_start_severity(enum runstate_previous p);

void format_probe_changed(yajl_gen g, const struct device_info *dev, long long time_ms,
			  const struct bpfwatch_report *r);

/*
 * The laptop is going to sleep (logind's PrepareForSleep): Informational.
 * The class has no activity for it, so 99 Other, named "Suspend".
 */
void format_agent_suspend(yajl_gen g, const struct device_info *dev, long long time_ms);

#endif
