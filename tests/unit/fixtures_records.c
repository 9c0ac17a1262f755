// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The laptop, its processes and their records that the formatters' tests
 * describe (fixtures.h).  Plain data and no cmocka, so that a benchmark can
 * link it too; decode.c gives the records their real time.
 */
#include <string.h>

#include "fixtures.h"

const struct device_info fixture_device = {
	.uid = "0123456789abcdef0123456789abcdef",
	.boot_uid = "fedcba9876543210fedcba9876543210",
	.hostname = "laptop-042",
	.type_id = 3,
	.os_name = "Debian GNU/Linux",
	.os_version = "12",
	.kernel_release = "6.1.0-test",
};

const struct proc_entry fixture_parent = {
	.pid = 4000,
	.ppid = 1,
	.uid = 1000,
	.gid = 1000,
	.start_boot = FIXTURE_PARENT_NS,
	.comm = "bash",
	.exe = (char *)"/usr/bin/bash",
};

const struct proc_entry fixture_self = {
	.pid = 4242,
	.ppid = 4000,
	.uid = 1000,
	.gid = 1001,
	.start_boot = FIXTURE_START_NS,
	.comm = "ls",
	.exe = (char *)"/usr/bin/ls",
};

struct decoded_event fixture_event(enum event_kind kind)
{
	struct decoded_event ev = {
		.kind = kind,
		.time_boot = FIXTURE_BOOT_NS,
		.time_real = decode_time_real(FIXTURE_BOOT_NS, FIXTURE_OFFSET_NS),
		.task = { .pid = 4242,
			  .tid = 4243,
			  .ppid = 4000,
			  .uid = 1000,
			  .gid = 1001,
			  .loginuid = 1000,
			  .start_boot = FIXTURE_START_NS,
			  .cgroup_id = 9876 },
	};

	strcpy(ev.task.comm, "ls");
	if (kind == EVENT_KIND_EXEC) {
		strcpy(ev.exec.filename, "/usr/bin/ls");
		ev.exec.exe_dev = 2049;
		ev.exec.exe_ino = 131313;
	}
	return ev;
}

void fixture_finding_process(struct finding *f)
{
	f->has_process = true;
	f->process = (struct finding_process){ .pid = 300, .ppid = 200, .uid = 1000, .gid = 1000 };
	strcpy(f->process.path, "/tmp/ncat");
	strcpy(f->process.name, "ncat");
	memset(f->process.sha256, 'a', 64);
	strcpy(f->process.cmd_line, "ncat -l 4444");
	f->n_ancestors = 2;
	f->ancestors[0] = (struct finding_ancestor){ .pid = 200, .path = "/usr/bin/bash" };
	f->ancestors[1] = (struct finding_ancestor){ .pid = 1, .path = "/usr/lib/systemd/systemd" };
}
