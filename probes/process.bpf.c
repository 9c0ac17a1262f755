// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Process lifecycle: exec, fork (new processes, not threads) and exit of the
 * last thread of a process.
 *
 * Two attachment flavours carry the same bodies: tp_btf programs where the
 * kernel supports BTF-typed raw tracepoints, classic tracepoints otherwise.
 * The loader enables exactly one flavour before loading.
 *
 * The policy filter decides in the kernel which execs userspace needs: those
 * matching an entry of the filter maps (by executable inode, path or name)
 * and, after them, the forks and exit of those processes.  Everything else
 * stays here while the filter is closed.  An entry with EVENT_ACTION_KILL
 * stops the program before its first instruction.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "ring.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Written by the agent.  filter_gen selects the generation of map entries in
 * force, so a new policy is filled beside the old one and switched with one
 * store.  While filter_open is set every record goes to userspace.
 * args_size is how many bytes of its arguments each exec record carries (0:
 * none, and the record is the short kind), which the policy in force decides
 * (a policy with argument rules asks for them) and the agent's configuration
 * may refuse, so it changes with each policy rather than at load.  (The
 * wake-up knobs, fixed at load, are ring.bpf.h's.)
 */
__u32 filter_gen = 0;
__u32 filter_open = 1;
__u32 args_size = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILTER_MAX_ENTRIES);
	__type(key, struct filter_inode_key);
	__type(value, struct filter_verdict);
} filter_inode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILTER_MAX_ENTRIES);
	__type(key, struct filter_name_key);
	__type(value, struct filter_verdict);
} filter_name SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILTER_MAX_ENTRIES);
	__type(key, struct filter_path_key);
	__type(value, struct filter_verdict);
} filter_path SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FILTER_TRACKED_MAX);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

/* Room for a path key: too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct filter_path_key);
} path_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, _EVENT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	ring_stat_inc(&stats, idx);
}

static __always_inline __u64 wakeup_flags(void)
{
	return ring_wakeup_flags(&events, &stats, EVENT_STAT_WAKEUPS);
}

/* Task t as a record describes it; its credentials, not the caller's (t may be a new child). */
static __always_inline void fill_task(struct event_task *e, struct task_struct *t, __u32 *flags,
				      __u32 no_loginuid_flag)
{
	fill_task_common(e, t);
	e->uid = BPF_CORE_READ(t, cred, uid.val);
	e->gid = BPF_CORE_READ(t, cred, gid.val);
	if (!bpf_core_field_exists(t->loginuid))
		*flags |= no_loginuid_flag;
}

/* The stronger of two verdicts: kill over report, the first rule on a tie. */
static __always_inline void verdict_merge(struct filter_verdict *v, struct filter_verdict *found)
{
	if (found && found->action > v->action) {
		v->rule = found->rule;
		v->action = found->action;
	}
}

/*
 * The verdict for executing file (the program's struct file: mm->exe_file
 * once exec is done, bprm->file while the LSM hook decides) under filename,
 * the path as exec'd.
 */
static __always_inline void exec_verdict(struct file *file, const char *filename,
					 struct filter_verdict *v)
{
	struct filter_inode_key ik = {};
	struct filter_name_key nk = {};
	struct filter_path_key *pk;
	struct inode *inode;
	__u32 zero = 0;

	ik.gen = nk.gen = filter_gen;
	inode = BPF_CORE_READ(file, f_inode);
	ik.ino = BPF_CORE_READ(inode, i_ino);
	ik.dev = dev_to_user(BPF_CORE_READ(inode, i_sb, s_dev));
	verdict_merge(v, bpf_map_lookup_elem(&filter_inode, &ik));

	/*
	 * The executable's own file name, as rules mean it: comm would be the
	 * name of a symlink it was started through.  Longer names are cut to the
	 * key, as userspace cuts them.
	 */
	bpf_probe_read_kernel_str(nk.name, sizeof(nk.name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	verdict_merge(v, bpf_map_lookup_elem(&filter_name, &nk));

	pk = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pk)
		return;
	/* Keys compare whole: the bytes after the NUL must be zero too. */
	__builtin_memset(pk, 0, sizeof(*pk));
	pk->gen = filter_gen;
	if (bpf_probe_read_kernel_str(pk->path, sizeof(pk->path), filename) > 0)
		verdict_merge(v, bpf_map_lookup_elem(&filter_path, pk));
}

static __always_inline bool is_tracked(__u32 pid)
{
	return bpf_map_lookup_elem(&tracked, &pid) != NULL;
}

static __always_inline void track(__u32 pid)
{
	__u8 one = 1;

	bpf_map_update_elem(&tracked, &pid, &one, BPF_ANY);
}

static __always_inline void exec_fill(struct event_exec *e, struct file *file, const char *filename)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct inode *inode;
	long n;

	e->flags = 0;
	fill_task(&e->task, t, &e->flags, EVENT_EXEC_NO_LOGINUID);
	inode = BPF_CORE_READ(file, f_inode);
	e->exe_ino = BPF_CORE_READ(inode, i_ino);
	e->exe_dev = dev_to_user(BPF_CORE_READ(inode, i_sb, s_dev));
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n < 0) {
		e->filename[0] = '\0';
		n = 1;
	} else if (n == sizeof(e->filename)) {
		/* Exactly full means the kernel may have cut it. */
		e->flags |= EVENT_EXEC_FILENAME_TRUNCATED;
	}
	e->filename_size = n;
	e->args_size = 0;
}

/* Fills in up to want bytes of the new program's arguments. */
static __always_inline void exec_args_fill(struct event_exec_args *e, __u32 want)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (want > EVENT_ARGS_LEN)
		want = EVENT_ARGS_LEN;
	if (len > want) {
		len = want;
		e->exec.flags |= EVENT_EXEC_ARGS_TRUNCATED;
	}
	/* The mask is a no-op at run time and gives the verifier its bound. */
	len &= EVENT_ARGS_LEN * 2 - 1;
	if (len > EVENT_ARGS_LEN)
		len = EVENT_ARGS_LEN;
	if (len == 0 || bpf_probe_read_user(e->args, len, (void *)start) < 0)
		len = 0;
	e->exec.args_size = len;
}

static __always_inline void exec_mark(struct event_exec *e, const struct filter_verdict *v)
{
	e->match_rule = v->rule;
	e->match_action = v->action;
	e->match_gen = filter_gen & 0xffff;
	if (v->action == EVENT_ACTION_KILL)
		e->flags |= EVENT_EXEC_KILLED;
}

static __always_inline int handle_exec(const char *filename)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *file = BPF_CORE_READ(t, mm, exe_file);
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct filter_verdict v = {};
	__u32 lost = EVENT_STAT_EXEC_LOST;
	/* Read once: the agent may change it between here and the record. */
	__u32 want_args = *(volatile __u32 *)&args_size;

	exec_verdict(file, filename, &v);
	if (v.action == EVENT_ACTION_KILL) {
		/* Delivered on the way back to user mode: the program never runs. */
		bpf_send_signal(9 /* SIGKILL */);
		stat_inc(EVENT_STAT_KILLED);
	}
	if (v.action != EVENT_ACTION_NONE) {
		track(pid);
	} else if (!filter_open) {
		if (!is_tracked(pid)) {
			stat_inc(EVENT_STAT_EXEC_FILTERED);
			return 0;
		}
		/* A watched process became something unremarkable: say so once. */
		bpf_map_delete_elem(&tracked, &pid);
	}

	if (want_args) {
		struct event_exec_args *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

		if (!e)
			goto lost;
		header_init(&e->exec.header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(*e));
		exec_fill(&e->exec, file, filename);
		exec_mark(&e->exec, &v);
		exec_args_fill(e, want_args);
		stat_inc(EVENT_STAT_EXEC_SENT);
		bpf_ringbuf_submit(e, wakeup_flags());
	} else {
		struct event_exec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

		if (!e)
			goto lost;
		header_init(&e->header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(*e));
		exec_fill(e, file, filename);
		exec_mark(e, &v);
		stat_inc(EVENT_STAT_EXEC_SENT);
		bpf_ringbuf_submit(e, wakeup_flags());
	}
	return 0;
lost:
	stat_inc(lost);
	return 0;
}

static __always_inline int handle_exit(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct event_exit *e;
	__u32 flags = 0;

	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	/* Only the last thread's exit ends the process. */
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	if (!filter_open && !is_tracked(pid))
		return 0;
	bpf_map_delete_elem(&tracked, &pid);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(EVENT_STAT_EXIT_LOST);
		return 0;
	}
	header_init(&e->header, EVENT_KIND_EXIT, EVENT_EXIT_VERSION, sizeof(*e));
	fill_task(&e->task, t, &flags, 0);
	e->exit_code = BPF_CORE_READ(t, exit_code);
	e->_pad = 0;
	stat_inc(EVENT_STAT_EXIT_SENT);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

/* Whether to report a new child of parent_pid; a watched parent's children are watched. */
static __always_inline bool fork_wanted(__u32 parent_pid, __u32 child_pid)
{
	if (filter_open)
		return true;
	if (!is_tracked(parent_pid))
		return false;
	track(child_pid);
	return true;
}

static __always_inline struct event_fork *fork_reserve(void)
{
	struct event_fork *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(EVENT_STAT_FORK_LOST);
		return NULL;
	}
	header_init(&e->header, EVENT_KIND_FORK, EVENT_FORK_VERSION, sizeof(*e));
	e->parent_tid = bpf_get_current_pid_tgid() & 0xffffffff;
	e->flags = 0;
	return e;
}

/* --- tp_btf flavour --- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(BPF_CORE_READ(bprm, filename));
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf)
{
	return handle_exit();
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	struct event_fork *e;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (!fork_wanted(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid)))
		return 0;
	e = fork_reserve();
	if (!e)
		return 0;
	fill_task(&e->task, child, &e->flags, EVENT_FORK_NO_LOGINUID);
	stat_inc(EVENT_STAT_FORK_SENT);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}

/*
 * --- BPF LSM, where the kernel allows it ---
 *
 * A kill verdict refuses the exec itself: execve() fails with EPERM and the
 * caller's own program goes on.  The record says so (EVENT_EXEC_DENIED); its
 * task is the caller, its file the program that was refused.  The exec
 * tracepoint never sees a refused exec.  Loaded only when the kernel accepts
 * BPF LSM programs; otherwise the tracepoints kill instead.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(exec_lsm, struct linux_binprm *bprm, int ret)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	const char *filename = BPF_CORE_READ(bprm, filename);
	struct filter_verdict v = {};
	struct event_exec *e;

	if (ret)
		return ret;
	exec_verdict(file, filename, &v);
	if (v.action != EVENT_ACTION_KILL)
		return 0;
	stat_inc(EVENT_STAT_DENIED);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(EVENT_STAT_EXEC_LOST);
		return -1; /* -EPERM */
	}
	header_init(&e->header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(*e));
	exec_fill(e, file, filename);
	e->match_rule = v.rule;
	e->match_action = v.action;
	e->match_gen = filter_gen & 0xffff;
	e->flags |= EVENT_EXEC_DENIED;
	stat_inc(EVENT_STAT_EXEC_SENT);
	bpf_ringbuf_submit(e, wakeup_flags());
	return -1; /* -EPERM */
}

/* --- classic tracepoint flavour --- */

SEC("tp/sched/sched_process_exec")
int exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 loc = BPF_CORE_READ(ctx, __data_loc_filename);

	return handle_exec((const char *)ctx + (loc & 0xffff));
}

SEC("tp/sched/sched_process_exit")
int exit_tp(void *ctx)
{
	return handle_exit();
}

/*
 * sched_process_fork does not say whether the child is a thread, and runs
 * before the child has its own identity to read; task_newtask has the clone
 * flags.  It runs in the parent, which the child's credentials copy.
 */
SEC("tp/task/task_newtask")
int fork_tp(struct trace_event_raw_task_newtask *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 clone_flags = BPF_CORE_READ(ctx, clone_flags);
	struct event_fork *e;
	pid_t child = BPF_CORE_READ(ctx, pid);

	if (clone_flags & CLONE_THREAD)
		return 0;
	if (!fork_wanted(BPF_CORE_READ(t, tgid), child))
		return 0;
	e = fork_reserve();
	if (!e)
		return 0;
	fill_task(&e->task, t, &e->flags, EVENT_FORK_NO_LOGINUID);
	e->task.pid = child;
	e->task.tid = child;
	if (clone_flags & CLONE_PARENT)
		e->task.ppid = BPF_CORE_READ(t, real_parent, tgid);
	else
		e->task.ppid = BPF_CORE_READ(t, tgid);
	/* The child's own start time is not reachable here; this is within microseconds. */
	e->task.start_boot_ns = e->header.time_boot_ns;
	BPF_CORE_READ_STR_INTO(&e->task.comm, ctx, comm);
	e->flags |= EVENT_FORK_START_APPROX;
	stat_inc(EVENT_STAT_FORK_SENT);
	bpf_ringbuf_submit(e, wakeup_flags());
	return 0;
}
