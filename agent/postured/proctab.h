/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process table: what the agent knows of each live process (executable,
 * parent, user, start time), fed by exec/fork/exit records and seeded from
 * /proc at start-up.  Bounded: when full, the least recently touched entry is
 * evicted and counted.
 */
#ifndef POSTURED_PROCTAB_H
#define POSTURED_PROCTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/time-util.h"
#include "decode.h"

struct proc_entry {
	uint32_t pid, ppid, uid, gid, loginuid;
	nsec_t start_boot; /* CLOCK_BOOTTIME ns, 0 when unknown */
	nsec_t start_tolerance; /* how exact start_boot is: 0, or a tick when read from /proc */
	uint64_t cgroup_id;
	uint64_t exe_dev, exe_ino;
	char comm[EVENT_COMM_LEN + 1];
	char *exe; /* executable path, NULL when unknown */

	/* Private to proctab.c. */
	struct proc_entry *hnext;
	struct proc_entry *lru_prev, *lru_next;
};

struct proctab_stats {
	size_t entries;
	size_t max_entries;
	uint64_t evicted; /* dropped because the table was full */
	uint64_t replaced; /* a pid found reused: the old entry was replaced */
	uint64_t seeded; /* entries read from /proc */
};

typedef struct proctab proctab;

/* A table holding at most max_entries processes (at least 1). */
proctab *proctab_new(size_t max_entries);
proctab *proctab_free(proctab *t);

/* The entry of pid, or NULL.  Owned by the table, valid until its next change. */
const struct proc_entry *proctab_get(proctab *t, uint32_t pid);

/*
 * Applies a decoded exec, fork or exit record.  Returns 0, -ENOMEM, or
 * -EINVAL for a kind the table does not follow.
 */
int proctab_apply(proctab *t, const struct decoded_event *ev);

/*
 * Replaces the executable path of pid's entry with exe, the path resolved
 * (as /proc/PID/exe shows it) where the record had it as exec'd: a symlink
 * or relative path.  Returns 0, -ENOENT when pid has no entry, or -ENOMEM
 * (the entry unchanged).
 */
int proctab_set_exe(proctab *t, uint32_t pid, const char *exe);

/*
 * Adds every process found under proc_root (normally "/proc"), without
 * replacing what events already told.  Unreadable processes (gone, or
 * denied) are skipped.  Returns the number of entries added, or -errno when
 * proc_root itself cannot be read.
 */
int proctab_seed(proctab *t, const char *proc_root);

/*
 * Reads one process from proc_root/<pid>.  Returns 0 and fills *ret (whose
 * exe the caller frees), -ENOENT when it is gone, or another -errno.
 */
int proctab_read_proc(const char *proc_root, uint32_t pid, struct proc_entry *ret);

void proctab_get_stats(proctab *t, struct proctab_stats *ret);

/* Calls fn for every entry, most recently touched first; fn must not change the table. */
void proctab_foreach(proctab *t, void (*fn)(void *userdata, const struct proc_entry *e),
		     void *userdata);

#endif
