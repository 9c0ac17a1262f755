// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bpf_link_detach LINK_ID
 *
 * What someone tampering with the agent from outside does: takes an fd of
 * another process's BPF link by its id (BPF_LINK_GET_FD_BY_ID, which needs
 * CAP_SYS_ADMIN) and detaches it (BPF_LINK_DETACH), leaving the owner's fd
 * open on a link that no longer runs.  Raw bpf(2), so it needs no library.
 * Exits 0 when the kernel detached it, 1 with the reason otherwise.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int main(int argc, char *argv[])
{
	union bpf_attr attr;
	unsigned long id;
	char *end;
	long fd;

	if (argc != 2) {
		fprintf(stderr, "Usage: bpf_link_detach LINK_ID\n");
		return 2;
	}
	errno = 0;
	id = strtoul(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || id == 0 || id > 0xffffffffUL) {
		fprintf(stderr, "bpf_link_detach: '%s' is not a link id\n", argv[1]);
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.link_id = (__u32)id;
	fd = sys_bpf(BPF_LINK_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		fprintf(stderr, "bpf_link_detach: no fd for link %lu: %s\n", id, strerror(errno));
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.link_detach.link_fd = (__u32)fd;
	if (sys_bpf(BPF_LINK_DETACH, &attr) < 0) {
		fprintf(stderr, "bpf_link_detach: link %lu: %s\n", id, strerror(errno));
		return 1;
	}
	close((int)fd);
	return 0;
}
