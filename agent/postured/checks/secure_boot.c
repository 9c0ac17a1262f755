// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Secure Boot and kernel lockdown.  The SecureBoot EFI variable under
 * sys/firmware/efi/efivars is 4 attribute bytes, then one data byte, 1 when
 * Secure Boot is on.  sys/kernel/security/lockdown lists the modes with the
 * current one in brackets: "none [integrity] confidentiality".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "checks.h"

#define SECURE_BOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

static const char *const lockdown_modes[] = { "none", "integrity", "confidentiality" };

static int lockdown_level(const char *mode)
{
	for (size_t i = 0; i < ELEMENTSOF(lockdown_modes); i++)
		if (strcmp(mode, lockdown_modes[i]) == 0)
			return (int)i;
	return -1;
}

static void check_efi(const char *root, struct check_result *res)
{
	char path[4096], buf[16];
	struct stat st;
	int r;

	r = check_read(root, SECURE_BOOT_VAR, buf, sizeof(buf));
	if (r >= 5) {
		check_evidence(res, "EFI variable SecureBoot = %u", (unsigned char)buf[4]);
		if (buf[4] != 1)
			check_set(res, CHECK_FAIL, "Secure Boot is off");
		return;
	}
	if (r >= 0) {
		check_set(res, CHECK_UNKNOWN, "the SecureBoot EFI variable holds %d bytes, not 5",
			  r);
		return;
	}
	if (r != -ENOENT) {
		check_set(res, CHECK_UNKNOWN, "could not read the SecureBoot EFI variable: %s",
			  strerror(-r));
		return;
	}
	/* No variable: legacy BIOS boot, or efivars not there to ask. */
	if (check_path(root, "/sys/firmware/efi", path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0) {
		if (check_path(root, "/sys/firmware/efi/efivars", path, sizeof(path)) == 0 &&
		    stat(path, &st) == 0) {
			check_evidence(res, "UEFI boot, no SecureBoot variable");
			check_set(res, CHECK_FAIL, "the firmware does not offer Secure Boot");
		} else {
			check_set(res, CHECK_UNKNOWN,
				  "booted with UEFI but efivars is not mounted to read SecureBoot");
		}
		return;
	}
	if (check_path(root, "/sys/firmware", path, sizeof(path)) == 0 && stat(path, &st) == 0) {
		check_evidence(res, "no sys/firmware/efi: booted in legacy BIOS mode");
		check_set(res, CHECK_FAIL,
			  "the machine booted in legacy BIOS mode, where Secure Boot cannot work");
		return;
	}
	check_set(res, CHECK_UNKNOWN, "sys/firmware is not there to tell how the machine booted");
}

int check_secure_boot(const char *root, const policy_rule *rule, struct check_result *res)
{
	const char *min = check_param_string(rule, "min_lockdown", "none");
	char buf[256], mode[32] = "";
	const char *open_b, *close_b;
	int r;

	if (check_param_bool(rule, "require_secure_boot", true))
		check_efi(root, res);

	r = check_read(root, "/sys/kernel/security/lockdown", buf, sizeof(buf));
	open_b = r >= 0 ? strchr(buf, '[') : NULL;
	close_b = open_b ? strchr(open_b, ']') : NULL;
	if (close_b && (size_t)(close_b - open_b - 1) < sizeof(mode))
		snprintf(mode, sizeof(mode), "%.*s", (int)(close_b - open_b - 1), open_b + 1);
	if (!*mode) {
		if (lockdown_level(min) > 0)
			check_set(res, CHECK_UNKNOWN,
				  "could not read the kernel lockdown mode from "
				  "sys/kernel/security/lockdown: %s",
				  r < 0 ? strerror(-r) : "no mode in brackets");
		return 0;
	}
	check_evidence(res, "kernel lockdown: %s", mode);
	if (lockdown_level(mode) < 0)
		check_set(res, CHECK_UNKNOWN, "unknown kernel lockdown mode \"%s\"", mode);
	else if (lockdown_level(mode) < lockdown_level(min))
		check_set(res, CHECK_FAIL, "kernel lockdown is \"%s\"; the policy asks for \"%s\"",
			  mode, min);
	return 0;
}
