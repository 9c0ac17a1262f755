// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_privs.h"
#include "harness_report.h"

/* The names CapabilityBoundingSet= takes, as <linux/capability.h> numbers them. */
/* clang-format off */
#define CAP(c) { #c, c }
static const struct {
	const char *name;
	int value;
} cap_names[] = {
	CAP(CAP_CHOWN), CAP(CAP_DAC_OVERRIDE), CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
	CAP(CAP_FSETID), CAP(CAP_KILL), CAP(CAP_SETGID), CAP(CAP_SETUID), CAP(CAP_SETPCAP),
	CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
	CAP(CAP_NET_ADMIN), CAP(CAP_NET_RAW), CAP(CAP_IPC_LOCK), CAP(CAP_IPC_OWNER),
	CAP(CAP_SYS_MODULE), CAP(CAP_SYS_RAWIO), CAP(CAP_SYS_CHROOT), CAP(CAP_SYS_PTRACE),
	CAP(CAP_SYS_PACCT), CAP(CAP_SYS_ADMIN), CAP(CAP_SYS_BOOT), CAP(CAP_SYS_NICE),
	CAP(CAP_SYS_RESOURCE), CAP(CAP_SYS_TIME), CAP(CAP_SYS_TTY_CONFIG), CAP(CAP_MKNOD),
	CAP(CAP_LEASE), CAP(CAP_AUDIT_WRITE), CAP(CAP_AUDIT_CONTROL), CAP(CAP_SETFCAP),
	CAP(CAP_MAC_OVERRIDE), CAP(CAP_MAC_ADMIN), CAP(CAP_SYSLOG), CAP(CAP_WAKE_ALARM),
	CAP(CAP_BLOCK_SUSPEND), CAP(CAP_AUDIT_READ), CAP(CAP_PERFMON), CAP(CAP_BPF),
	CAP(CAP_CHECKPOINT_RESTORE),
};
#undef CAP
/* clang-format on */

int harness_unit_caps(const char *unit, uint64_t *ret)
{
	static const char key[] = "CapabilityBoundingSet=";
	_cleanup_fclose_ FILE *f = fopen(unit, "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	uint64_t mask = 0;
	bool found = false;

	if (!f)
		return harness_fail("Cannot open %s: %m", unit);
	while (getline(&line, &size, f) >= 0) {
		char *save = NULL;

		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		found = true;
		for (char *w = strtok_r(line + strlen(key), " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save)) {
			size_t i;

			for (i = 0; i < ELEMENTSOF(cap_names); i++)
				if (strcmp(w, cap_names[i].name) == 0)
					break;
			if (i == ELEMENTSOF(cap_names))
				return harness_fail("%s: unknown capability %s", unit, w);
			mask |= 1ULL << cap_names[i].value;
		}
	}
	if (!found)
		return harness_fail("%s has no %s line", unit, key);
	*ret = mask;
	return 0;
}

int harness_keep_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	for (int c = 0; c <= 63; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	for (int i = 0; i < 2; i++) {
		d[i].effective = d[i].permitted = (uint32_t)(keep >> (32 * i));
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

int harness_drop_all_caps(void)
{
	return harness_keep_caps(0);
}

int harness_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}
