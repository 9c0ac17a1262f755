// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A test service that answers on a private bus the way systemd, timedated and
 * timesyncd do, for the checks that ask them (tests/checks_bus/).  It owns
 * org.freedesktop.systemd1 (Manager.LoadUnit() and GetUnit() on
 * /org/freedesktop/systemd1, units at /org/freedesktop/systemd1/unit/<the
 * name, bus-path-encoded> with the org.freedesktop.systemd1.Unit properties
 * Id, LoadState, ActiveState and SubState), org.freedesktop.timedate1 (its
 * properties on /org/freedesktop/timedate1) and org.freedesktop.timesync1
 * (ServerName on /org/freedesktop/timesync1).
 *
 *   fake_systemd --address ADDR [--unit NAME=LOAD:ACTIVE:SUB]... [--ntp yes|no]
 *                [--synced yes|no] [--server NAME] [--no-systemd] [--no-timedate]
 *                [--no-timesync] [--hang]
 *
 * A unit not given with --unit loads as systemd loads a unit it has no file
 * for: not-found, inactive, dead.  --hang takes the names and then never
 * answers.  Prints "READY" on stdout once it owns its names; runs until
 * killed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define UNITS_MAX  64
#define UNIT_ROOT  "/org/freedesktop/systemd1/unit"
#define STATES_MAX 3

struct unit {
	char *id, *load, *active, *sub;
};

static struct unit units[UNITS_MAX];
static size_t n_units;

struct timedate {
	char *timezone;
	int local_rtc, can_ntp, ntp, synced;
	uint64_t time_usec;
};

static struct timedate td = { .timezone = "Asia/Tokyo", .can_ntp = 1, .ntp = 1, .synced = 1 };
static char *server_name = "ntp.example.org";

static struct unit *unit_find(const char *id)
{
	for (size_t i = 0; i < n_units; i++)
		if (strcmp(units[i].id, id) == 0)
			return &units[i];
	return NULL;
}

static struct unit *unit_add(const char *id, const char *load, const char *active, const char *sub)
{
	struct unit *u;

	if (n_units >= UNITS_MAX)
		return NULL;
	u = &units[n_units++];
	u->id = strdup(id);
	u->load = strdup(load);
	u->active = strdup(active);
	u->sub = strdup(sub);
	return u;
}

/* systemd's check, roughly: a name with a dot and no slash. */
static bool unit_name_valid(const char *name)
{
	return strlen(name) > 2 && strchr(name, '.') && !strchr(name, '/');
}

static int reply_unit_path(sd_bus_message *m, const struct unit *u)
{
	char *path = NULL;
	int r;

	r = sd_bus_path_encode(UNIT_ROOT, u->id, &path);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(m, "o", path);
	free(path);
	return r;
}

static int method_load_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *name;
	struct unit *u;
	int r;

	r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	if (!unit_name_valid(name))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unit name %s is not valid.", name);
	u = unit_find(name);
	if (!u)
		u = unit_add(name, "not-found", "inactive", "dead");
	if (!u)
		return sd_bus_error_set(error, SD_BUS_ERROR_NO_MEMORY, "Too many units.");
	return reply_unit_path(m, u);
}

static int method_get_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *name;
	struct unit *u;
	int r;

	r = sd_bus_message_read(m, "s", &name);
	if (r < 0)
		return r;
	u = unit_find(name);
	if (!u)
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit",
					 "Unit %s not loaded.", name);
	return reply_unit_path(m, u);
}

/* The fallback's object finder: a path below UNIT_ROOT names a loaded unit. */
static int find_unit(sd_bus *bus, const char *path, const char *interface, void *userdata,
		     void **found, sd_bus_error *error)
{
	char *id = NULL;
	struct unit *u;
	int r;

	r = sd_bus_path_decode(path, UNIT_ROOT, &id);
	if (r <= 0)
		return r;
	u = unit_find(id);
	free(id);
	if (!u)
		return 0;
	*found = u;
	return 1;
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("LoadUnit", "s", "o", method_load_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("GetUnit", "s", "o", method_get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", NULL, offsetof(struct unit, id), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("LoadState", "s", NULL, offsetof(struct unit, load), 0),
	SD_BUS_PROPERTY("ActiveState", "s", NULL, offsetof(struct unit, active), 0),
	SD_BUS_PROPERTY("SubState", "s", NULL, offsetof(struct unit, sub), 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable timedate_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Timezone", "s", NULL, offsetof(struct timedate, timezone), 0),
	SD_BUS_PROPERTY("LocalRTC", "b", NULL, offsetof(struct timedate, local_rtc), 0),
	SD_BUS_PROPERTY("CanNTP", "b", NULL, offsetof(struct timedate, can_ntp), 0),
	SD_BUS_PROPERTY("NTP", "b", NULL, offsetof(struct timedate, ntp), 0),
	SD_BUS_PROPERTY("NTPSynchronized", "b", NULL, offsetof(struct timedate, synced), 0),
	SD_BUS_PROPERTY("TimeUSec", "t", NULL, offsetof(struct timedate, time_usec), 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable timesync_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("ServerName", "s", NULL, 0, 0),
	SD_BUS_VTABLE_END,
};

static bool yes(const char *s)
{
	return strcmp(s, "yes") == 0;
}

/* NAME=LOAD:ACTIVE:SUB */
static int parse_unit(char *arg)
{
	char *eq = strchr(arg, '='), *states[STATES_MAX];
	char *p;

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	p = eq + 1;
	for (size_t i = 0; i < STATES_MAX; i++) {
		states[i] = p;
		p = strchr(p, ':');
		if (!p && i + 1 < STATES_MAX)
			return -EINVAL;
		if (p)
			*p++ = '\0';
	}
	return unit_add(arg, states[0], states[1], states[2]) ? 0 : -ENOMEM;
}

int main(int argc, char *argv[])
{
	enum {
		ARG_ADDRESS = 0x100,
		ARG_UNIT,
		ARG_NTP,
		ARG_SYNCED,
		ARG_SERVER,
		ARG_NO_SYSTEMD,
		ARG_NO_TIMEDATE,
		ARG_NO_TIMESYNC,
		ARG_HANG
	};
	static const struct option options[] = {
		{ "address", required_argument, NULL, ARG_ADDRESS },
		{ "unit", required_argument, NULL, ARG_UNIT },
		{ "ntp", required_argument, NULL, ARG_NTP },
		{ "synced", required_argument, NULL, ARG_SYNCED },
		{ "server", required_argument, NULL, ARG_SERVER },
		{ "no-systemd", no_argument, NULL, ARG_NO_SYSTEMD },
		{ "no-timedate", no_argument, NULL, ARG_NO_TIMEDATE },
		{ "no-timesync", no_argument, NULL, ARG_NO_TIMESYNC },
		{ "hang", no_argument, NULL, ARG_HANG },
		{},
	};
	bool systemd = true, timedate = true, timesync = true, hang = false;
	const char *address = NULL;
	sd_bus *bus = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case ARG_ADDRESS:
			address = optarg;
			break;
		case ARG_UNIT:
			if (parse_unit(optarg) < 0) {
				fprintf(stderr, "fake_systemd: bad --unit %s\n", optarg);
				return 2;
			}
			break;
		case ARG_NTP:
			td.ntp = yes(optarg);
			break;
		case ARG_SYNCED:
			td.synced = yes(optarg);
			break;
		case ARG_SERVER:
			server_name = optarg;
			break;
		case ARG_NO_SYSTEMD:
			systemd = false;
			break;
		case ARG_NO_TIMEDATE:
			timedate = false;
			break;
		case ARG_NO_TIMESYNC:
			timesync = false;
			break;
		case ARG_HANG:
			hang = true;
			break;
		default:
			return 2;
		}
	}
	if (!address) {
		fprintf(stderr, "fake_systemd: --address is required\n");
		return 2;
	}

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, true);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0 && systemd)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
					     "org.freedesktop.systemd1.Manager", manager_vtable,
					     NULL);
	if (r >= 0 && systemd)
		r = sd_bus_add_fallback_vtable(bus, NULL, UNIT_ROOT,
					       "org.freedesktop.systemd1.Unit", unit_vtable,
					       find_unit, NULL);
	if (r >= 0 && timedate)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/timedate1",
					     "org.freedesktop.timedate1", timedate_vtable, &td);
	if (r >= 0 && timesync)
		r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/timesync1",
					     "org.freedesktop.timesync1.Manager", timesync_vtable,
					     &server_name);
	if (r >= 0 && systemd)
		r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	if (r >= 0 && timedate)
		r = sd_bus_request_name(bus, "org.freedesktop.timedate1", 0);
	if (r >= 0 && timesync)
		r = sd_bus_request_name(bus, "org.freedesktop.timesync1", 0);
	if (r < 0) {
		fprintf(stderr, "fake_systemd: cannot serve on %s: %s\n", address, strerror(-r));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);

	for (;;) {
		if (hang) {
			pause();
			continue;
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			fprintf(stderr, "fake_systemd: %s\n", strerror(-r));
			return 1;
		}
		if (r == 0)
			(void)sd_bus_wait(bus, UINT64_MAX);
	}
}
