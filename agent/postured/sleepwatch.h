/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The laptop going to sleep and waking, as systemd-logind says over the
 * system bus: the Manager's PrepareForSleep(b) signal, and a delay
 * inhibitor lock (Inhibit("sleep", ..., "delay"), a file descriptor) so
 * that logind waits for the agent a moment before it suspends.  The lock is
 * released as soon as the owner says it is done (sleepwatch_ready()), and
 * at the latest SLEEPWATCH_DELAY_USEC after the signal: logind waits for
 * delay locks only up to InhibitDelayMaxSec (5 s by default) and the
 * agent must never be what keeps a laptop awake.  After the wake-up a new
 * lock is taken.
 *
 * Every call is asynchronous on the agent's loop and never starts logind
 * (no auto-start).  Without logind there is no lock, and one is taken when
 * logind appears (NameOwnerChanged); when logind or the bus goes away, the
 * lock, useless then, is closed.  The bus is sd_bus_open_system()'s, so
 * DBUS_SYSTEM_BUS_ADDRESS points it elsewhere (tests).
 */
#ifndef POSTURED_SLEEPWATCH_H
#define POSTURED_SLEEPWATCH_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "basic/time-util.h"

/* How long the lock may hold a suspend up, at most: well inside logind's 5 s. */
#define SLEEPWATCH_DELAY_USEC (2 * USEC_PER_SEC)
/* logind answers root at once; others go through polkit, which may take a moment. */
#define SLEEPWATCH_TIMEOUT_USEC (5 * USEC_PER_SEC)

typedef struct sleepwatch sleepwatch;

enum sleepwatch_event {
	SLEEPWATCH_SLEEP, /* PrepareForSleep(true): the laptop is about to suspend */
	SLEEPWATCH_WAKE, /* PrepareForSleep(false): it woke, or the suspend failed */
};

/* "going to sleep", "woke". */
const char *sleepwatch_event_to_string(enum sleepwatch_event e);

/*
 * Called from the loop.  On SLEEPWATCH_SLEEP the lock (when there is one)
 * is still held: the owner does what must happen before the suspend, then
 * calls sleepwatch_ready(), from the callback or later.  The callback must
 * not free w.
 */
typedef void (*sleepwatch_fn)(sleepwatch *w, enum sleepwatch_event event, void *userdata);

/*
 * Connects to the system bus on e, follows logind and asks for a delay
 * lock.  Returns 0 and the watcher in *ret, or -errno when there is no bus
 * (the caller goes on without knowing when the laptop sleeps).
 */
int sleepwatch_new(sd_event *e, sleepwatch_fn cb, void *userdata, sleepwatch **ret);
/* Closes the lock, if one is held, and the bus connection.  Returns NULL. */
sleepwatch *sleepwatch_free(sleepwatch *w);

/*
 * The owner is done with what had to happen before the suspend: the lock
 * is released now rather than at SLEEPWATCH_DELAY_USEC.  Does nothing
 * outside a SLEEPWATCH_SLEEP (called twice, or after the delay ran out).
 */
void sleepwatch_ready(sleepwatch *w);

/* Whether a suspend waits for the owner's sleepwatch_ready() now (its delay has not run out). */
bool sleepwatch_waiting(sleepwatch *w);

/*
 * Whether a delay lock is held now; when not, why in *ret_why (when not
 * NULL; it points into w and lasts until the next event on the loop).
 */
bool sleepwatch_locked(sleepwatch *w, const char **ret_why);

#endif
