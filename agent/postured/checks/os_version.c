// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Operating system: etc/os-release (else usr/lib/os-release) against the
 * policy's minimum version per distribution ("min_version": {"debian":
 * "12"}) and its end-of-support list ("end_of_support": ["debian:10"]), and
 * the running kernel (proc/sys/kernel/osrelease) against "min_kernel".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/string-util.h"
#include "checks.h"

int check_os_version(const char *root, const policy_rule *rule, struct check_result *res)
{
	const struct policy_param *min = check_param(rule, "min_version");
	const struct policy_param *eos = check_param(rule, "end_of_support");
	const char *min_kernel = check_param_string(rule, "min_kernel", NULL);
	char text[8192], id[64] = "", version[64] = "", name[128] = "", kernel[256];
	const char *file = "/etc/os-release";
	int r;

	r = check_read(root, file, text, sizeof(text));
	if (r == -ENOENT) {
		file = "/usr/lib/os-release";
		r = check_read(root, file, text, sizeof(text));
	}
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "could not read etc/os-release: %s", strerror(-r));
	} else {
		if (!env_file_value(text, "PRETTY_NAME", name, sizeof(name)))
			env_file_value(text, "NAME", name, sizeof(name));
		env_file_value(text, "ID", id, sizeof(id));
		env_file_value(text, "VERSION_ID", version, sizeof(version));
		check_evidence(res, "%s: %s (ID=%s, VERSION_ID=%s)", file + 1,
			       *name ? name : "no NAME", *id ? id : "none",
			       *version ? version : "none");
		if (!*id)
			check_set(res, CHECK_UNKNOWN, "%s does not say which distribution this is",
				  file + 1);
	}

	if (*id && eos)
		for (size_t i = 0; i < eos->n; i++) {
			const char *e = eos->values[i], *colon = strchr(e, ':');

			if ((size_t)(colon - e) == strlen(id) && strncmp(e, id, strlen(id)) == 0 &&
			    strcmp(colon + 1, version) == 0)
				check_set(res, CHECK_FAIL,
					  "%s %s no longer gets security updates (end of support)",
					  *name ? name : id, version);
		}
	if (*id && min) {
		const char *want = NULL;

		for (size_t i = 0; i < min->n; i++)
			if (strcmp(min->keys[i], id) == 0)
				want = min->values[i];
		if (!want)
			check_evidence(res, "the policy sets no minimum version for \"%s\"", id);
		else if (!*version)
			check_set(res, CHECK_UNKNOWN,
				  "os-release has no VERSION_ID (a rolling or testing release?) to "
				  "compare with the minimum %s %s",
				  id, want);
		else if (check_version_compare(version, want) < 0)
			check_set(res, CHECK_FAIL, "%s %s is older than the minimum %s %s",
				  *name ? name : id, version, id, want);
		else
			check_evidence(res, "%s %s is at least the minimum %s", id, version, want);
	}

	r = check_read(root, "/proc/sys/kernel/osrelease", kernel, sizeof(kernel));
	if (r < 0) {
		if (min_kernel)
			check_set(res, CHECK_UNKNOWN,
				  "could not read the kernel version from "
				  "proc/sys/kernel/osrelease: %s",
				  strerror(-r));
		return 0;
	}
	kernel[strcspn(kernel, "\n")] = '\0';
	check_evidence(res, "kernel %s", kernel);
	if (min_kernel) {
		if (!(kernel[0] >= '0' && kernel[0] <= '9'))
			check_set(res, CHECK_UNKNOWN, "the kernel version \"%s\" is not a number",
				  kernel);
		else if (check_version_compare(kernel, min_kernel) < 0)
			check_set(res, CHECK_FAIL, "kernel %s is older than the minimum %s", kernel,
				  min_kernel);
		else
			check_evidence(res, "kernel %s is at least the minimum %s", kernel,
				       min_kernel);
	}
	return 0;
}
