/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records the probes hand to userspace through the ring buffer.
 *
 * This is the only header shared by the BPF programs (built by clang) and the
 * agent (built by gcc or clang), so everything here is fixed-width, padded by
 * hand, a multiple of 8 bytes long, and pinned with _Static_assert.  Kinds are
 * numbered explicitly and never reused; a layout change bumps the kind's
 * version and keeps decoding the old one for as long as a probe might send it.
 */
#ifndef POSTURED_PROBES_EVENTS_H
#define POSTURED_PROBES_EVENTS_H

#ifdef __bpf__
/* BPF objects take the fixed-width types from the kernel-type header. */
#else
#include <linux/types.h>
#endif

enum event_kind {
	EVENT_KIND_INVALID = 0,
	EVENT_KIND_EXEC = 1,
	EVENT_KIND_FORK = 2,
	EVENT_KIND_EXIT = 3,
	_EVENT_KIND_MAX,
};

#define EVENT_EXEC_VERSION 2
#define EVENT_FORK_VERSION 1
#define EVENT_EXIT_VERSION 1

#define EVENT_COMM_LEN	   16
#define EVENT_PATH_LEN	   512
/* Upper bound on captured argv bytes; the policy may ask for less. */
#define EVENT_ARGS_LEN 1024

/* Flags in event_exec.flags. */
#define EVENT_EXEC_FILENAME_TRUNCATED (1U << 0)
#define EVENT_EXEC_ARGS_TRUNCATED     (1U << 1)
#define EVENT_EXEC_NO_LOGINUID	      (1U << 2)
#define EVENT_EXEC_KILLED	      (1U << 3) /* the probe sent SIGKILL before the first instruction */
#define EVENT_EXEC_DENIED	      (1U << 4) /* BPF LSM refused the exec (EPERM); task is the caller */

/* Flags in event_fork.flags. */
#define EVENT_FORK_NO_LOGINUID (1U << 0)
/* start_boot_ns is the fork's time, not read from the child (classic tracepoints). */
#define EVENT_FORK_START_APPROX (1U << 1)

struct event_header {
	__u16 kind; /* enum event_kind */
	__u16 version; /* EVENT_<KIND>_VERSION */
	__u32 size; /* bytes of this record, header included */
	__u64 time_boot_ns; /* CLOCK_BOOTTIME, counts suspend */
};

/* The identity every process record starts with. */
struct event_task {
	__u32 pid; /* thread group id, what userspace calls the pid */
	__u32 tid; /* the thread that caused the record */
	__u32 ppid; /* real parent's thread group id */
	__u32 uid;
	__u32 gid;
	__u32 loginuid; /* audit login uid, (__u32)-1 when unset */
	__u64 start_boot_ns; /* process start, CLOCK_BOOTTIME */
	__u64 cgroup_id;
	char comm[EVENT_COMM_LEN];
};

/*
 * An exec.  args_size bytes of NUL-separated argv follow the fixed part only
 * when the probe was asked to capture arguments; header.size says so.
 */
struct event_exec {
	struct event_header header;
	struct event_task task;
	__u64 exe_dev; /* st_dev of the executable, userspace encoding */
	__u64 exe_ino;
	__u32 flags;
	__u16 filename_size; /* bytes in filename, NUL included */
	__u16 args_size; /* bytes in args, 0 when not captured */
	__u32 match_rule; /* the kernel filter entry's rule number (1-based), 0 = none */
	__u16 match_action; /* enum event_action */
	__u16 match_gen; /* low 16 bits of the filter generation that matched */
	char filename[EVENT_PATH_LEN];
};

struct event_exec_args {
	struct event_exec exec;
	char args[EVENT_ARGS_LEN];
};

/* A new process (threads are not reported). */
struct event_fork {
	struct event_header header;
	struct event_task task; /* the child */
	__u32 parent_tid; /* the thread that called fork/clone */
	__u32 flags;
};

/* The last thread of a process exited. */
struct event_exit {
	struct event_header header;
	struct event_task task;
	__u32 exit_code; /* the raw wait status: (code << 8) | signal */
	__u32 _pad;
};

/*
 * The kernel filter: maps the agent fills from the policy.  An exec whose
 * executable (device and inode), path or name has an entry goes to
 * userspace with that entry's action; others only when the filter is open.
 */
enum event_action {
	EVENT_ACTION_NONE = 0,
	EVENT_ACTION_REPORT = 1, /* send to userspace, which evaluates the whole rule */
	EVENT_ACTION_KILL = 2, /* SIGKILL before the first instruction, then report */
};

struct filter_verdict {
	__u32 rule; /* 1-based rule number for the agent, 0 = none */
	__u32 action; /* enum event_action */
};

/* Keys carry the policy generation, so a reload can fill a new one and switch at once. */
struct filter_inode_key {
	__u32 gen;
	__u32 _pad;
	__u64 dev; /* userspace st_dev encoding */
	__u64 ino;
};

/* Executable file names up to FILTER_NAME_LEN - 1 bytes are kept whole. */
#define FILTER_NAME_LEN 64

struct filter_name_key {
	__u32 gen;
	char name[FILTER_NAME_LEN];
};

struct filter_path_key {
	__u32 gen;
	char path[EVENT_PATH_LEN];
};

#define FILTER_MAX_ENTRIES 8192
/* Processes whose exec went to userspace: their forks and exit go too. */
#define FILTER_TRACKED_MAX 16384

/* Indexes of the per-CPU counters in the "stats" map. */
enum event_stat {
	EVENT_STAT_EXEC_LOST = 0,
	EVENT_STAT_FORK_LOST = 1,
	EVENT_STAT_EXIT_LOST = 2,
	EVENT_STAT_EXEC_SENT = 3,
	EVENT_STAT_FORK_SENT = 4,
	EVENT_STAT_EXIT_SENT = 5,
	EVENT_STAT_WAKEUPS = 6,
	EVENT_STAT_EXEC_FILTERED = 7, /* execs the kernel filter kept from userspace */
	EVENT_STAT_KILLED = 8,
	EVENT_STAT_DENIED = 9, /* execs BPF LSM refused */
	_EVENT_STAT_MAX,
};

/* How the probes wake the consumer. */
enum event_wakeup_mode {
	EVENT_WAKEUP_BATCHED = 0, /* by fill level or age of the oldest unread record */
	EVENT_WAKEUP_EACH = 1, /* one wake-up per record */
};

_Static_assert(sizeof(struct event_header) == 16, "event_header layout");
_Static_assert(sizeof(struct event_task) == 56, "event_task layout");
_Static_assert(sizeof(struct event_exec) == 616, "event_exec layout");
_Static_assert(__builtin_offsetof(struct event_exec, filename) == 104, "event_exec layout");
_Static_assert(sizeof(struct event_exec_args) == 616 + EVENT_ARGS_LEN, "event_exec_args layout");
_Static_assert(sizeof(struct filter_verdict) == 8, "filter_verdict layout");
_Static_assert(sizeof(struct filter_inode_key) == 24, "filter_inode_key layout");
_Static_assert(sizeof(struct filter_name_key) == 4 + FILTER_NAME_LEN, "filter_name_key layout");
_Static_assert(sizeof(struct filter_path_key) == 4 + EVENT_PATH_LEN, "filter_path_key layout");
_Static_assert(sizeof(struct event_fork) == 80, "event_fork layout");
_Static_assert(sizeof(struct event_exit) == 80, "event_exit layout");
_Static_assert(sizeof(struct event_exec) % 8 == 0, "event_exec size");

#endif
