// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Removable storage: the usb-storage module is kept from loading by
 * modprobe.d ("install usb-storage /bin/false" or "blacklist usb-storage" in
 * etc/modprobe.d/ *.conf or usr/lib/modprobe.d/ *.conf) and is not loaded now
 * (proc/modules).  modprobe treats "-" and "_" in module names alike.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "basic/fileio.h"
#include "checks.h"

static bool is_usb_storage(const char *s, size_t len)
{
	static const char want[] = "usb_storage";

	if (len != sizeof(want) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((s[i] == '-' ? '_' : s[i]) != want[i])
			return false;
	return true;
}

/* Whether the modprobe.d text blocks usb-storage; *ret_how says how. */
static bool blocks(const char *text, const char **ret_how)
{
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		char word[16], module[32], cmd[64];
		int n;

		n = sscanf(line, "%15s %31s %63s", word, module, cmd);
		if (n >= 2 && is_usb_storage(module, strlen(module))) {
			if (strcmp(word, "blacklist") == 0) {
				*ret_how = "blacklist";
				return true;
			}
			if (n == 3 && strcmp(word, "install") == 0 &&
			    (strstr(cmd, "/false") || strstr(cmd, "/true"))) {
				*ret_how = "install";
				return true;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

int check_usb_storage(const char *root, const policy_rule *rule, struct check_result *res)
{
	static const char *const dirs[] = { "/etc/modprobe.d", "/usr/lib/modprobe.d" };
	char modules[65536];
	bool blocked = false;
	int r;

	for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
		char pattern[4096];
		glob_t g = {};

		if (check_path(root, dirs[d], pattern, sizeof(pattern) - 8) < 0)
			continue;
		strcat(pattern, "/*.conf");
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			char text[16384];
			const char *how;

			if (read_small_file(g.gl_pathv[i], text, sizeof(text)) < 0)
				continue;
			if (blocks(text, &how)) {
				check_evidence(res, "%s%s: %s usb-storage", dirs[d] + 1,
					       strrchr(g.gl_pathv[i], '/'), how);
				blocked = true;
			}
		}
		globfree(&g);
	}
	if (!blocked)
		check_set(res, CHECK_FAIL, "no modprobe.d file blocks the usb-storage module");

	r = check_read(root, "/proc/modules", modules, sizeof(modules));
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "could not read proc/modules: %s", strerror(-r));
		return 0;
	}
	for (const char *line = modules; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (is_usb_storage(line, strcspn(line, " \n"))) {
			check_evidence(res, "proc/modules: usb_storage is loaded");
			check_set(res, CHECK_FAIL, "the usb-storage module is loaded");
			return 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	check_evidence(res, "proc/modules: usb_storage is not loaded");
	return 0;
}
