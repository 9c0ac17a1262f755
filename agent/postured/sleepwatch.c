// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Sleep and wake-up from systemd-logind over D-Bus; see sleepwatch.h.
 *
 * The lock is logind's end of a FIFO: logind waits while the agent holds
 * the other end open, so releasing it is closing the fd.  Its states:
 * held (lock_fd >= 0) or not, with why in why[]; between PrepareForSleep
 * (true) and (false) the laptop is sleeping, and while delaying the
 * owner's ready or the delay timer releases whatever is held.  A lock that
 * arrives while sleeping and no longer delaying is closed at once: logind
 * would otherwise wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "sleepwatch.h"

#define LOGIN1	    "org.freedesktop.login1"
#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MGR  "org.freedesktop.login1.Manager"

/* What logind shows in systemd-inhibit --list. */
#define SLEEPWATCH_WHO "postured"
#define SLEEPWATCH_WHY "Telling the collector the laptop goes to sleep"

struct sleepwatch {
	sd_event *event;
	sd_bus *bus;
	sd_bus_slot *sleep_slot, *owner_slot, *call_slot, *filter_slot;
	sd_event_source *delay_timer;
	sleepwatch_fn cb;
	void *userdata;
	int lock_fd;
	bool sleeping; /* PrepareForSleep(true) came, (false) not yet */
	bool delaying; /* sleeping, and a lock may still be held: ready or the timer ends that */
	char why[160]; /* why no lock is held, when none is */
};

const char *sleepwatch_event_to_string(enum sleepwatch_event e)
{
	return e == SLEEPWATCH_SLEEP ? "going to sleep" : "woke";
}

/* Closes the lock, if one is held, and ends the delay; why says why none is held now. */
static void sleepwatch_release(sleepwatch *w, const char *why)
{
	w->lock_fd = safe_close(w->lock_fd);
	w->delaying = false;
	if (w->delay_timer)
		(void)sd_event_source_set_enabled(w->delay_timer, SD_EVENT_OFF);
	strbufcpy(w->why, sizeof(w->why), why);
}

static int on_inhibit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	sleepwatch *w = userdata;
	int fd, k;

	w->call_slot = sd_bus_slot_unref(w->call_slot);
	if (sd_bus_message_is_method_error(m, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(m);

		if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
					   SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			strbufcpy(w->why, sizeof(w->why), "systemd-logind is not running");
		else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
			strbufcpy(w->why, sizeof(w->why), "systemd-logind did not answer in time");
		else
			strbuf_printf(w->why, sizeof(w->why), "systemd-logind refused the lock: %s",
				      e && e->message ? e->message : "no reason given");
		return 0;
	}
	k = sd_bus_message_read(m, "h", &fd);
	if (k < 0) {
		strbufcpy(w->why, sizeof(w->why), "systemd-logind's answer could not be read");
		return 0;
	}
	/* The message owns fd: a copy of ours, kept from the programs the agent starts. */
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		strbuf_printf(w->why, sizeof(w->why), "the lock could not be kept: %s",
			      strerror(errno));
		return 0;
	}
	if (w->sleeping && !w->delaying) {
		/* Asked before the suspend began, answered after its delay ended. */
		safe_close(fd);
		strbufcpy(w->why, sizeof(w->why), "released: the laptop is going to sleep");
		return 0;
	}
	safe_close(w->lock_fd);
	w->lock_fd = fd;
	w->why[0] = '\0';
	return 0;
}

/* Asks for a delay lock, without starting logind, unless one is held or asked for. */
static int sleepwatch_take(sleepwatch *w)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int k;

	if (w->lock_fd >= 0 || w->call_slot)
		return 0;
	k = sd_bus_message_new_method_call(w->bus, &m, LOGIN1, LOGIN1_PATH, LOGIN1_MGR, "Inhibit");
	if (k >= 0)
		k = sd_bus_message_set_auto_start(m, false);
	if (k >= 0)
		k = sd_bus_message_append(m, "ssss", "sleep", SLEEPWATCH_WHO, SLEEPWATCH_WHY,
					  "delay");
	if (k >= 0)
		k = sd_bus_call_async(w->bus, &w->call_slot, m, on_inhibit_reply, w,
				      SLEEPWATCH_TIMEOUT_USEC);
	if (k < 0) {
		strbufcpy(w->why, sizeof(w->why), "the system bus refused the question");
		return k;
	}
	strbufcpy(w->why, sizeof(w->why), "systemd-logind has not answered yet");
	return 0;
}

static int on_delay_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	sleepwatch *w = userdata;

	/* The owner was not ready in time: the laptop sleeps anyway. */
	sleepwatch_release(w, "released: the laptop is going to sleep (the delay ran out)");
	return 0;
}

static int on_prepare_for_sleep(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	sleepwatch *w = userdata;
	usec_t now;
	int start;

	if (sd_bus_message_read(m, "b", &start) < 0)
		return 0;
	if (start) {
		/* Said once a suspend. */
		if (w->sleeping)
			return 0;
		w->sleeping = true;
		w->delaying = true;
		if (sd_event_now(w->event, CLOCK_MONOTONIC, &now) < 0)
			now = now_usec(CLOCK_MONOTONIC);
		(void)sd_event_source_set_time(w->delay_timer, now + SLEEPWATCH_DELAY_USEC);
		(void)sd_event_source_set_enabled(w->delay_timer, SD_EVENT_ONESHOT);
		if (w->cb)
			w->cb(w, SLEEPWATCH_SLEEP, w->userdata);
		return 0;
	}
	/* Awake again (or the suspend failed): also when the owner never said it was ready. */
	w->sleeping = false;
	if (w->delaying)
		sleepwatch_release(w, "released: the laptop went to sleep");
	if (w->cb)
		w->cb(w, SLEEPWATCH_WAKE, w->userdata);
	(void)sleepwatch_take(w);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	sleepwatch *w = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, LOGIN1) != 0)
		return 0;
	/* A lock is the logind's that gave it, and so is a question in flight. */
	w->call_slot = sd_bus_slot_unref(w->call_slot);
	w->sleeping = false;
	sleepwatch_release(w, "systemd-logind is not running");
	if (new_owner[0] != '\0')
		(void)sleepwatch_take(w);
	return 0;
}

/* Every message that arrives: the bus's end, which sd-bus says as a local signal. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	sleepwatch *w = userdata;

	if (sd_bus_message_is_signal(m, "org.freedesktop.DBus.Local", "Disconnected")) {
		/* No PrepareForSleep can come now: a lock held would only make logind wait. */
		w->sleeping = false;
		sleepwatch_release(w, "the system bus went away");
	}
	return 0;
}

int sleepwatch_new(sd_event *e, sleepwatch_fn cb, void *userdata, sleepwatch **ret)
{
	sleepwatch *w = calloc(1, sizeof(*w));
	int k;

	if (!w)
		return -ENOMEM;
	w->event = sd_event_ref(e);
	w->cb = cb;
	w->userdata = userdata;
	w->lock_fd = -EBADF;
	strbufcpy(w->why, sizeof(w->why), "systemd-logind has not answered yet");
	k = sd_event_add_time(e, &w->delay_timer, CLOCK_MONOTONIC, USEC_INFINITY,
			      10 * USEC_PER_MSEC, on_delay_timer, w);
	if (k >= 0)
		k = sd_event_source_set_enabled(w->delay_timer, SD_EVENT_OFF);
	if (k >= 0)
		k = sd_bus_open_system(&w->bus);
	if (k >= 0)
		k = sd_bus_attach_event(w->bus, e, SD_EVENT_PRIORITY_NORMAL);
	if (k >= 0)
		k = sd_bus_add_filter(w->bus, &w->filter_slot, on_message, w);
	/* The matches first: logind appearing while the question is in flight is not missed. */
	if (k >= 0)
		k = sd_bus_match_signal_async(w->bus, &w->sleep_slot, LOGIN1, LOGIN1_PATH,
					      LOGIN1_MGR, "PrepareForSleep", on_prepare_for_sleep,
					      NULL, w);
	if (k >= 0)
		k = sd_bus_add_match_async(
			w->bus, &w->owner_slot,
			"type='signal',sender='org.freedesktop.DBus',"
			"path='/org/freedesktop/DBus',"
			"interface='org.freedesktop.DBus',member='NameOwnerChanged',"
			"arg0='" LOGIN1 "'",
			on_owner_changed, NULL, w);
	if (k >= 0)
		k = sleepwatch_take(w);
	if (k < 0) {
		sleepwatch_free(w);
		return k;
	}
	*ret = w;
	return 0;
}

sleepwatch *sleepwatch_free(sleepwatch *w)
{
	if (!w)
		return NULL;
	safe_close(w->lock_fd);
	sd_event_source_disable_unref(w->delay_timer);
	sd_bus_slot_unref(w->call_slot);
	sd_bus_slot_unref(w->sleep_slot);
	sd_bus_slot_unref(w->owner_slot);
	sd_bus_slot_unref(w->filter_slot);
	if (w->bus) {
		sd_bus_detach_event(w->bus);
		sd_bus_flush_close_unref(w->bus);
	}
	sd_event_unref(w->event);
	free(w);
	return NULL;
}

void sleepwatch_ready(sleepwatch *w)
{
	if (w->delaying)
		sleepwatch_release(w, "released: the laptop is going to sleep");
}

bool sleepwatch_waiting(sleepwatch *w)
{
	return w->delaying;
}

bool sleepwatch_locked(sleepwatch *w, const char **ret_why)
{
	if (ret_why)
		*ret_why = w->lock_fd >= 0 ? "" : w->why;
	return w->lock_fd >= 0;
}
