// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Required services: every systemd unit in "units" (the VPN client, the
 * endpoint protection agent...) is active.  Asked of systemd over the system
 * bus: Manager.LoadUnit() gives the unit's object (and loads a unit systemd
 * had not loaded, as systemctl does, so an uninstalled one says
 * "not-found"), then its LoadState, ActiveState and SubState properties.
 * Without systemd on the bus, or when it does not answer in time, unknown.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "check_bus.h"
#include "checks.h"

#define SYSTEMD_NAME	   "org.freedesktop.systemd1"
#define SYSTEMD_PATH	   "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER	   "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT	   "org.freedesktop.systemd1.Unit"
#define REQUIRED_UNITS_MAX 32 /* as the policy language allows */
#define STATE_MAX	   32

struct unit_state {
	char load[STATE_MAX], active[STATE_MAX], sub[STATE_MAX];
};

/* Appends "name (what)" to the comma-separated list in buf, as far as it fits. */
static void list_add(char *buf, size_t size, const char *name, const char *what)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s%s (%s)", len ? ", " : "", name, what);
}

/* Whether systemd itself cannot be asked any more: no point asking about the next unit. */
static bool bus_gone(int r, const char *error)
{
	return r == -ETIMEDOUT || r == -ENOTCONN || r == -ECONNRESET ||
	       strcmp(error, "org.freedesktop.DBus.Error.ServiceUnknown") == 0 ||
	       strcmp(error, "org.freedesktop.DBus.Error.NameHasNoOwner") == 0 ||
	       strcmp(error, "org.freedesktop.DBus.Error.NoReply") == 0;
}

static int unit_query(struct check_bus *cb, const char *unit, struct unit_state *st, char *error,
		      size_t error_size, char *why, size_t size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r;

	error[0] = '\0';
	r = check_bus_call(cb, SYSTEMD_NAME, SYSTEMD_PATH, SYSTEMD_MANAGER, "LoadUnit", true,
			   &reply, error, error_size, why, size, "s", unit);
	if (r < 0)
		return r;
	r = sd_bus_message_read_basic(reply, 'o', &path);
	if (r < 0) {
		snprintf(why, size, "systemd's answer to LoadUnit holds no unit object");
		return r;
	}
	r = check_bus_get_string(cb, SYSTEMD_NAME, path, SYSTEMD_UNIT, "LoadState", true, st->load,
				 sizeof(st->load), why, size);
	if (r >= 0)
		r = check_bus_get_string(cb, SYSTEMD_NAME, path, SYSTEMD_UNIT, "ActiveState", true,
					 st->active, sizeof(st->active), why, size);
	if (r >= 0)
		r = check_bus_get_string(cb, SYSTEMD_NAME, path, SYSTEMD_UNIT, "SubState", true,
					 st->sub, sizeof(st->sub), why, size);
	return r;
}

int check_required_services(const char *root, const policy_rule *rule, struct check_result *res)
{
	const struct policy_param *units = check_param(rule, "units");
	char why[CHECK_LINE_MAX], error[CHECK_BUS_STRING_MAX];
	char failing[CHECK_LINE_MAX] = "", unknown[CHECK_LINE_MAX] = "";
	struct check_bus cb;
	size_t n;
	bool gone = false;

	if (!units || units->type != POLICY_PARAM_LIST || units->n == 0) {
		check_evidence(res, "the rule names no units to require");
		return 0;
	}
	n = MIN(units->n, (size_t)REQUIRED_UNITS_MAX);
	if (check_bus_open(&cb, root, why, sizeof(why)) < 0) {
		check_set(res, CHECK_UNKNOWN, "systemd cannot be asked: %s", why);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *unit = units->values[i];
		struct unit_state st;
		int r;

		if (gone) {
			check_evidence(res, "%.100s: not asked", unit);
			list_add(unknown, sizeof(unknown), unit, "not asked");
			continue;
		}
		r = unit_query(&cb, unit, &st, error, sizeof(error), why, sizeof(why));
		if (r < 0) {
			gone = bus_gone(r, error);
			check_evidence(res, "%.100s: %s", unit, why);
			list_add(unknown, sizeof(unknown), unit, "could not be asked");
			if (gone)
				check_set(res, CHECK_UNKNOWN, "systemd cannot be asked: %s", why);
			continue;
		}
		check_evidence(res, "%.100s: %s (%s), load state %s", unit, st.active, st.sub,
			       st.load);
		if (strcmp(st.load, "not-found") == 0)
			list_add(failing, sizeof(failing), unit, "not installed");
		else if (strcmp(st.load, "masked") == 0)
			list_add(failing, sizeof(failing), unit, "masked");
		else if (strcmp(st.active, "active") != 0 && strcmp(st.active, "reloading") != 0 &&
			 strcmp(st.active, "refreshing") != 0)
			list_add(failing, sizeof(failing), unit, st.active);
	}
	check_bus_close(&cb);
	if (failing[0])
		check_set(res, CHECK_FAIL, "not running: %s", failing);
	else if (unknown[0])
		check_set(res, CHECK_UNKNOWN, "cannot tell whether these run: %s", unknown);
	return 0;
}
