/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BPF objects a process holds, as the kernel lists them in the fdinfo
 * of its fds (prog_id:, link_id:, map_id:): what the agent loaded and
 * attached, looked at from outside it.
 */
#ifndef POSTURED_TESTS_HARNESS_BPF_H
#define POSTURED_TESTS_HARNESS_BPF_H

#include <linux/types.h>
#include <stddef.h>
#include <sys/types.h>

struct harness_bpf_ids {
	__u32 prog[32], link[32], map[32];
	size_t nprog, nlink, nmap;
};

/*
 * The ids of the programs, links and maps pid holds through its fds, each
 * once (more than 32 of a kind are left out).  Returns 0 or -1 (it said why).
 */
int harness_bpf_ids_of(pid_t pid, struct harness_bpf_ids *ret);

#endif
