/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the agent remembers of its runs, in one small file beside the spool
 * ("run-state", 0600): when its last posture snapshot was (the next one's
 * interval reaches back to it, so the time it was stopped is counted), when
 * this run started, when it was last known to be running (written every
 * RUNSTATE_ALIVE_INTERVAL), and when it stopped cleanly.  A clean stop
 * writes "stopped"; a crash, a kill -9 or a power cut leaves the file as the
 * last heartbeat left it, without one, and the next start reports that.
 *
 * The text is "key=value" lines (unknown keys are skipped, so a newer
 * agent's file still reads), every time in CLOCK_REALTIME microseconds.
 * The file of the first versions held one number, the last snapshot's time;
 * it still parses, as a state that says nothing about how the run ended.
 *
 * Library code: no I/O, no logging; tests/unit/test_runstate.c.
 */
#ifndef POSTURED_RUNSTATE_H
#define POSTURED_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/time-util.h"

/* How often a running agent writes "alive": the gap of an unclean exit is this exact. */
#define RUNSTATE_ALIVE_INTERVAL (60 * USEC_PER_SEC)
#define RUNSTATE_TEXT_MAX	512

struct runstate {
	usec_t last_snapshot; /* 0: none yet */
	usec_t started; /* 0: no run recorded (a file of the first versions) */
	usec_t alive; /* the last time the run was known to be going */
	usec_t stopped; /* 0: it has not stopped cleanly */
	uint32_t pid;
	char boot_uid[33]; /* the boot it ran in, 32 hex digits; "" when unknown */
};

/*
 * Parses the file's text into *ret.  On a line it cannot take, writes
 * "line N: reason" into err and returns -EINVAL, leaving *ret zeroed.
 */
int runstate_parse(const char *text, struct runstate *ret, char *err, size_t err_size);

/* Writes s as the file's text into buf (RUNSTATE_TEXT_MAX is enough).  Returns its length. */
size_t runstate_format(const struct runstate *s, char *buf, size_t size);

enum runstate_previous {
	RUNSTATE_PREVIOUS_NONE, /* no earlier run: the first start with this spool */
	RUNSTATE_PREVIOUS_UNKNOWN, /* a state that does not say (old or damaged file) */
	RUNSTATE_PREVIOUS_CLEAN, /* it stopped cleanly */
	RUNSTATE_PREVIOUS_UNCLEAN, /* it ended without a clean stop: crash, kill -9, power */
	_RUNSTATE_PREVIOUS_MAX,
};

/* "none", "unknown", "clean", "unclean". */
const char *runstate_previous_to_string(enum runstate_previous p);

/* What a start makes of the state the previous run left. */
struct runstate_verdict {
	enum runstate_previous previous;
	usec_t last_known; /* when the previous run was last known to be going; 0: unknown */
	usec_t gap; /* from last_known to now: the time no agent was watching */
	bool rebooted; /* the previous run was in another boot (known only when both ids are) */
	bool clock_back; /* the wall clock is before last_known: gap is 0, not negative */
};

/*
 * Judges prev (NULL: there was no state file) at now (CLOCK_REALTIME) in
 * the boot boot_uid ("" or NULL when unknown).
 */
void runstate_judge(const struct runstate *prev, usec_t now, const char *boot_uid,
		    struct runstate_verdict *ret);

#endif
