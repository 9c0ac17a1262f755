// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Time synchronisation: the clock is kept right by a network time service.
 *
 * First asked of timedated over the system bus (org.freedesktop.timedate1,
 * what `timedatectl` shows): NTP says a time service is on, NTPSynchronized
 * that the kernel's clock is synchronised.  That covers systemd-timesyncd,
 * chrony and ntpd alike; for timesyncd the server in use is added from
 * org.freedesktop.timesync1 (never starting it).
 *
 * Without timedated (no bus, not installed, no answer in time), what can be
 * read without running a program: on this machine (root "/") the kernel's
 * own synchronisation status through adjtimex(), the very thing timedated
 * reports, so chrony and ntpd are judged as well; below another root, the
 * file systemd-timesyncd touches on every synchronisation
 * (run/systemd/timesync/synchronized) and which time services are enabled
 * (etc/systemd/system/TARGET.wants/).  chrony has no D-Bus interface and
 * leaves no such file: below another root it is unknown.
 *
 * "require_ntp" (default true): a time service must be on; false accepts a
 * synchronised clock however it was synchronised.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>

#include "basic/cleanup.h"
#include "check_bus.h"
#include "checks.h"

#define TIMEDATE_NAME  "org.freedesktop.timedate1"
#define TIMEDATE_PATH  "/org/freedesktop/timedate1"
#define TIMESYNC_NAME  "org.freedesktop.timesync1"
#define TIMESYNC_PATH  "/org/freedesktop/timesync1"
#define TIMESYNC_IFACE "org.freedesktop.timesync1.Manager"
#define SYNC_FLAG      "/run/systemd/timesync/synchronized"

static const struct {
	const char *unit;
	const char *name;
} time_services[] = {
	{ "systemd-timesyncd.service", "systemd-timesyncd" },
	{ "chrony.service", "chrony" }, /* Debian, Ubuntu */
	{ "chronyd.service", "chrony" }, /* Fedora, RHEL */
	{ "ntp.service", "ntpd" },
	{ "ntpd.service", "ntpd" },
	{ "ntpsec.service", "ntpsec" },
	{ "openntpd.service", "openntpd" },
};

/* Asks timedated; 0 with the result set, or -errno with why. */
static int ask_timedated(const char *root, bool require_ntp, struct check_result *res, char *why,
			 size_t size)
{
	char server[CHECK_BUS_STRING_MAX], ignored[CHECK_LINE_MAX];
	struct check_bus cb;
	bool ntp, synced;
	int r;

	r = check_bus_open(&cb, root, why, size);
	if (r < 0)
		return r;
	r = check_bus_get_bool(&cb, TIMEDATE_NAME, TIMEDATE_PATH, TIMEDATE_NAME, "NTP", true, &ntp,
			       why, size);
	if (r >= 0)
		r = check_bus_get_bool(&cb, TIMEDATE_NAME, TIMEDATE_PATH, TIMEDATE_NAME,
				       "NTPSynchronized", true, &synced, why, size);
	if (r < 0) {
		check_bus_close(&cb);
		return r;
	}
	check_evidence(res, "timedated: NTP %s, NTPSynchronized %s", ntp ? "on" : "off",
		       synced ? "yes" : "no");
	/* Only while systemd-timesyncd runs: asking must not start it. */
	if (ntp &&
	    check_bus_get_string(&cb, TIMESYNC_NAME, TIMESYNC_PATH, TIMESYNC_IFACE, "ServerName",
				 false, server, sizeof(server), ignored, sizeof(ignored)) >= 0 &&
	    server[0])
		check_evidence(res, "systemd-timesyncd: server %s", server);
	check_bus_close(&cb);

	if (require_ntp && !ntp)
		check_set(res, CHECK_FAIL, "network time synchronisation (NTP) is off");
	else if (!synced)
		check_set(res, CHECK_FAIL, "%s",
			  ntp ? "NTP is on, but the clock is not synchronised" :
				"the clock is not synchronised");
	return 0;
}

/* The first enabled time service below root, or NULL; each enabled one is evidence. */
static const char *enabled_service(const char *root, struct check_result *res)
{
	const char *first = NULL;

	for (size_t i = 0; i < ELEMENTSOF(time_services); i++) {
		char rel[128], pattern[4096];
		glob_t g = {};

		snprintf(rel, sizeof(rel), "/etc/systemd/system/*.wants/%s", time_services[i].unit);
		if (check_path(root, rel, pattern, sizeof(pattern)) < 0)
			continue;
		/* Enabling is a symbolic link, which need not resolve below root. */
		if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++) {
				struct stat st;
				const char *wants;

				if (lstat(g.gl_pathv[k], &st) < 0)
					continue;
				wants = g.gl_pathv[k] + strlen(pattern) - strlen(rel);
				check_evidence(res, "%s is enabled (%.200s)", time_services[i].name,
					       wants + 1);
				if (!first)
					first = time_services[i].name;
				break;
			}
		}
		globfree(&g);
	}
	return first;
}

/* This machine's kernel: 1 synchronised, 0 not, -errno. */
static int kernel_synchronised(struct check_result *res)
{
	struct timex tx = {};
	int state = adjtimex(&tx);
	bool synced;

	if (state < 0) {
		check_evidence(res, "kernel clock: adjtimex() failed: %s", strerror(errno));
		return -errno;
	}
	synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
	check_evidence(res, "kernel clock: %s (maximum error %ld us, estimated error %ld us)",
		       synced ? "synchronised" : "not synchronised", (long)tx.maxerror,
		       (long)tx.esterror);
	return synced;
}

static void from_files(const char *root, bool this_machine, bool require_ntp, const char *bus_why,
		       struct check_result *res)
{
	char path[4096];
	const char *service;
	struct stat st;
	bool flag, systemd;

	service = enabled_service(root, res);
	systemd = check_path(root, "/etc/systemd/system", path, sizeof(path)) == 0 &&
		  stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (!service && systemd)
		check_evidence(res, "no time synchronisation service (systemd-timesyncd, chrony, "
				    "ntpd, ntpsec, openntpd) is enabled in etc/systemd/system");
	flag = check_path(root, SYNC_FLAG, path, sizeof(path)) == 0 && stat(path, &st) == 0;
	if (flag) {
		long long age = (long long)time(NULL) - (long long)st.st_mtime;

		check_evidence(res,
			       "run/systemd/timesync/synchronized: systemd-timesyncd last "
			       "synchronised the clock %lld min ago",
			       age < 0 ? 0 : age / 60);
	}

	if (this_machine) {
		int synced = kernel_synchronised(res);

		if (synced > 0)
			return;
		if (synced == 0) {
			if (service)
				check_set(res, CHECK_FAIL,
					  "the clock is not synchronised, though %s is enabled",
					  service);
			else
				check_set(res, CHECK_FAIL,
					  "the clock is not synchronised, and no time "
					  "synchronisation service is enabled");
			return;
		}
	}
	if (flag)
		return;
	if (!service && systemd) {
		if (require_ntp)
			check_set(res, CHECK_FAIL, "no time synchronisation service is enabled");
		else
			check_set(res, CHECK_UNKNOWN,
				  "no time synchronisation service is enabled, and without "
				  "timedated whether the clock is synchronised cannot be told (%s)",
				  bus_why);
	} else if (service) {
		check_set(res, CHECK_UNKNOWN,
			  "%s is enabled, but whether it has synchronised the clock cannot be read "
			  "from files%s; and timedated cannot be asked: %s",
			  service,
			  strcmp(service, "chrony") == 0 ? " (chrony has no D-Bus interface)" : "",
			  bus_why);
	} else {
		check_set(res, CHECK_UNKNOWN,
			  "timedated cannot be asked (%s), and there is no systemd configuration "
			  "(etc/systemd/system) to read",
			  bus_why);
	}
}

int check_time_sync(const char *root, const policy_rule *rule, struct check_result *res)
{
	bool require_ntp = check_param_bool(rule, "require_ntp", true);
	char why[CHECK_LINE_MAX];

	if (ask_timedated(root, require_ntp, res, why, sizeof(why)) >= 0)
		return 0;
	check_evidence(res, "timedated: %s", why);
	from_files(root, strspn(root, "/") == strlen(root), require_ntp, why, res);
	return 0;
}
