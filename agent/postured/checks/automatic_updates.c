// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Automatic updates.  Debian and Ubuntu: APT::Periodic::Unattended-Upgrade
 * set to a non-zero number in etc/apt/apt.conf.d/ (later files win, as in
 * apt), and the last run of unattended-upgrades, the modification time of
 * var/lib/apt/periodic/unattended-upgrades-stamp or of its log, within
 * "max_age_days" (default 7).  Fedora and RHEL: a dnf-automatic timer
 * enabled under etc/systemd/system/timers.target.wants/, and its last run
 * from systemd's persistent timer stamp.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "basic/fileio.h"
#include "checks.h"

#define DAY_SECONDS (24 * 60 * 60)

/* The value of APT::Periodic::Unattended-Upgrade in one apt.conf file, or -1. */
static long apt_unattended_value(const char *text)
{
	static const char key[] = "APT::Periodic::Unattended-Upgrade";
	long value = -1;

	for (const char *c = text; (c = strcasestr(c, key)); c += sizeof(key) - 1) {
		const char *v = c + sizeof(key) - 1;

		/* Not commented out: nothing but blanks before it on its line. */
		const char *bol = c;
		while (bol > text && (bol[-1] == ' ' || bol[-1] == '\t'))
			bol--;
		if (bol > text && bol[-1] != '\n' && bol[-1] != ';')
			continue;
		v += strspn(v, " \t");
		if (*v != '"')
			continue;
		value = strtol(v + 1, NULL, 10);
	}
	return value;
}

/* Seconds since path was modified (0 for a time in the future) in *ret_age; -errno. */
static int age_of(const char *path, time_t now, long long *ret_age)
{
	struct stat st;
	long long age;

	if (stat(path, &st) < 0)
		return -errno;
	age = (long long)now - (long long)st.st_mtime;
	*ret_age = age < 0 ? 0 : age;
	return 0;
}

static void judge_age(struct check_result *res, const char *const *stamps, size_t n, time_t now,
		      unsigned long long max_days)
{
	long long best = -1;
	const char *which = NULL;

	for (size_t i = 0; i < n; i++) {
		long long a = 0;

		if (age_of(stamps[i], now, &a) == 0 && (!which || a < best)) {
			best = a;
			which = stamps[i];
		}
	}
	if (!which) {
		check_set(res, CHECK_FAIL, "automatic updates have never run on this machine");
		return;
	}
	check_evidence(res, "last run %lld day(s) ago (%s)", best / DAY_SECONDS, which);
	if ((unsigned long long)best > max_days * DAY_SECONDS)
		check_set(res, CHECK_FAIL,
			  "automatic updates last ran %lld days ago; at most %llu are allowed",
			  best / DAY_SECONDS, max_days);
}

int check_automatic_updates(const char *root, const policy_rule *rule, struct check_result *res)
{
	unsigned long long max_days = check_param_number(rule, "max_age_days", 7);
	char pattern[4096], apt_dir[4096], dnf_dir[4096], path[2][4096];
	time_t now = time(NULL);
	struct stat st;
	glob_t g = {};
	bool apt, dnf;
	long value = -1;
	const char *where = NULL;
	_cleanup_free_ char *last_file = NULL;

	if (check_path(root, "/etc/apt", apt_dir, sizeof(apt_dir)) < 0 ||
	    check_path(root, "/etc/dnf", dnf_dir, sizeof(dnf_dir)) < 0)
		return 0;
	apt = stat(apt_dir, &st) == 0;
	dnf = stat(dnf_dir, &st) == 0;

	if (apt) {
		if (check_path(root, "/etc/apt/apt.conf.d/*", pattern, sizeof(pattern)) == 0 &&
		    glob(pattern, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				char text[16384];
				long v;

				if (read_small_file(g.gl_pathv[i], text, sizeof(text)) < 0)
					continue;
				v = apt_unattended_value(text);
				if (v >= 0) {
					value = v;
					free(last_file);
					last_file = strdup(g.gl_pathv[i]);
					if (!last_file) {
						globfree(&g);
						return -ENOMEM;
					}
				}
			}
			globfree(&g);
		}
		where = last_file ? strrchr(last_file, '/') + 1 : NULL;
		if (value > 0) {
			const char *stamps[2] = { path[0], path[1] };

			check_evidence(res,
				       "etc/apt/apt.conf.d/%s: APT::Periodic::Unattended-Upgrade "
				       "\"%ld\"",
				       where, value);
			check_path(root, "/var/lib/apt/periodic/unattended-upgrades-stamp", path[0],
				   sizeof(path[0]));
			check_path(root, "/var/log/unattended-upgrades/unattended-upgrades.log",
				   path[1], sizeof(path[1]));
			judge_age(res, stamps, 2, now, max_days);
			return 0;
		}
		if (value == 0)
			check_evidence(res,
				       "etc/apt/apt.conf.d/%s: APT::Periodic::Unattended-Upgrade "
				       "\"0\"",
				       where);
		else
			check_evidence(res, "etc/apt/apt.conf.d: APT::Periodic::Unattended-Upgrade "
					    "is not set");
	}
	if (dnf) {
		static const char *const timers[] = { "dnf-automatic.timer",
						      "dnf-automatic-install.timer",
						      "dnf5-automatic.timer" };

		for (size_t i = 0; i < ELEMENTSOF(timers); i++) {
			char p[256];
			const char *stamps[1] = { path[0] };

			snprintf(p, sizeof(p), "/etc/systemd/system/timers.target.wants/%s",
				 timers[i]);
			if (check_path(root, p, path[1], sizeof(path[1])) < 0 ||
			    lstat(path[1], &st) < 0)
				continue;
			check_evidence(res, "%s is enabled", timers[i]);
			snprintf(p, sizeof(p), "/var/lib/systemd/timers/stamp-%s", timers[i]);
			check_path(root, p, path[0], sizeof(path[0]));
			judge_age(res, stamps, 1, now, max_days);
			return 0;
		}
		check_evidence(res, "no dnf-automatic timer is enabled");
	}
	if (!apt && !dnf)
		check_set(res, CHECK_UNKNOWN,
			  "neither apt nor dnf is installed; this check knows no other updater");
	else
		check_set(res, CHECK_FAIL, "automatic security updates are not turned on");
	return 0;
}
