// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "shutdown.h"

#define SYSTEMD1      "org.freedesktop.systemd1"
#define SYSTEMD1_PATH "/org/freedesktop/systemd1"
#define SYSTEMD1_MGR  "org.freedesktop.systemd1.Manager"

static bool is_shutdown_target(const char *unit)
{
	static const char *const targets[] = { "shutdown.target", "poweroff.target",
					       "reboot.target",	  "halt.target",
					       "kexec.target",	  "soft-reboot.target" };

	for (size_t i = 0; i < ELEMENTSOF(targets); i++)
		if (strcmp(unit, targets[i]) == 0)
			return true;
	return false;
}

/* A direct connection to PID 1 on its private socket (as systemctl makes when D-Bus is gone). */
static int open_private(struct check_bus *cb)
{
	int r;

	r = sd_bus_new(&cb->bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(cb->bus, "unix:path=/run/systemd/private");
	if (r >= 0)
		r = sd_bus_start(cb->bus);
	if (r < 0)
		cb->bus = sd_bus_close_unref(cb->bus);
	else
		strbufcpy(cb->where, sizeof(cb->where), "systemd's private socket");
	return r;
}

/* A queued start job of a shutdown target: its unit into job.  1 found, 0 none, -errno. */
static int find_shutdown_job(struct check_bus *cb, char *job, size_t size, char *why,
			     size_t why_size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *unit, *type, *state, *jpath, *upath;
	uint32_t id;
	int r;

	r = check_bus_call(cb, SYSTEMD1, SYSTEMD1_PATH, SYSTEMD1_MGR, "ListJobs", false, &reply,
			   NULL, 0, why, why_size, NULL);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(usssoo)");
	if (r < 0)
		goto bad;
	while ((r = sd_bus_message_read(reply, "(usssoo)", &id, &unit, &type, &state, &jpath,
					&upath)) > 0) {
		if (strcmp(type, "start") == 0 && is_shutdown_target(unit)) {
			check_bus_clean(job, size, unit);
			return 1;
		}
	}
	if (r < 0)
		goto bad;
	return 0;
bad:
	strbuf_printf(why, why_size, "systemd's ListJobs answer did not parse: %s", strerror(-r));
	return r;
}

void shutdown_query(struct shutdown_state *ret)
{
	struct check_bus cb = {};
	struct shutdown_state s = { .shutdown = FORMAT_SHUTDOWN_UNKNOWN };
	int r;

	if (sd_booted() <= 0) {
		strbufcpy(s.why, sizeof(s.why), "systemd is not PID 1");
		*ret = s;
		return;
	}
	r = open_private(&cb);
	if (r < 0) {
		r = check_bus_open(&cb, "/", s.why, sizeof(s.why));
		if (r < 0) {
			*ret = s;
			return;
		}
	}
	cb.deadline = now_usec(CLOCK_MONOTONIC) + SHUTDOWN_QUERY_BUDGET_USEC;
	(void)sd_bus_set_method_call_timeout(cb.bus, SHUTDOWN_QUERY_BUDGET_USEC);
	r = check_bus_get_string(&cb, SYSTEMD1, SYSTEMD1_PATH, SYSTEMD1_MGR, "SystemState", false,
				 s.system_state, sizeof(s.system_state), s.why, sizeof(s.why));
	if (r < 0) {
		s.system_state[0] = '\0';
	} else if (strcmp(s.system_state, "stopping") == 0) {
		s.shutdown = FORMAT_SHUTDOWN_YES;
	} else {
		r = find_shutdown_job(&cb, s.job, sizeof(s.job), s.why, sizeof(s.why));
		if (r >= 0)
			s.shutdown = r > 0 ? FORMAT_SHUTDOWN_YES : FORMAT_SHUTDOWN_NO;
	}
	check_bus_close(&cb);
	*ret = s;
}
