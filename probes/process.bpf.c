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
#include "exec_facts.bpf.h"

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
/*
 * Also the agent's, with each generation: the facts (bits of enum
 * event_exec_fact) that filter_fact has entries for, which every exec is
 * then tested for; and whether execs with a pipe on standard output are
 * noted in pipe_writers (a rule asks who writes into a program's input).
 */
__u32 facts_wanted = 0;
__u32 pipe_writers_wanted = 0;

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
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * _EVENT_FACT_MAX);
	__type(key, struct filter_fact_key);
	__type(value, struct filter_verdict);
} filter_fact SEC(".maps");

/* Keyed by the pipe's inode number (pipefs is one file system). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PIPE_WRITERS_MAX);
	__type(key, __u64);
	__type(value, struct pipe_writer);
} pipe_writers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} exe_path_scratch SEC(".maps");

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
 * How an exec was started, for exec_fill(): interp is bprm->interp where
 * the hook has the binprm (it differs from filename for a #! script), NULL
 * where it has not.
 */
struct exec_start {
	struct file *file;
	const char *filename;
	const char *interp;
	bool has_binprm;
	/* exec_file_facts(file), once exec_verdict() needed them. */
	bool file_facts_known;
	__u32 file_facts;
};

/*
 * The facts of an exec that the filter has entries for: of file, and of
 * task t's standard descriptors.  Only those asked for are looked at.
 */
static __always_inline __u32 wanted_facts(struct exec_start *s, struct task_struct *t)
{
	__u32 want = facts_wanted, facts = 0;

	if (want & (1U << EVENT_FACT_MEMORY | 1U << EVENT_FACT_WORLD_WRITABLE)) {
		s->file_facts = exec_file_facts(s->file);
		s->file_facts_known = true;
		facts = s->file_facts & want;
	}
	if ((want & 1U << EVENT_FACT_STDIO_NETWORK) && stdio_network(t))
		facts |= 1U << EVENT_FACT_STDIO_NETWORK;
	return facts;
}

static __always_inline void fact_verdict(__u32 facts, __u32 fact, struct filter_verdict *v)
{
	struct filter_fact_key k = { .gen = filter_gen, .fact = fact };

	if (facts & 1U << fact)
		verdict_merge(v, bpf_map_lookup_elem(&filter_fact, &k));
}

/*
 * A script's own location is not in the kernel's hands at this point (its
 * file is closed; file is the interpreter's): when a rule is about
 * world-writable places, a script goes to userspace, which judges the
 * script's path, under that rule's number but never with the kernel's kill.
 */
static __always_inline void script_verdict(struct filter_verdict *v)
{
	struct filter_fact_key k = { .gen = filter_gen, .fact = EVENT_FACT_WORLD_WRITABLE };
	struct filter_verdict *found;

	if (!(facts_wanted & 1U << EVENT_FACT_WORLD_WRITABLE) || v->action != EVENT_ACTION_NONE)
		return;
	found = bpf_map_lookup_elem(&filter_fact, &k);
	if (found) {
		v->rule = found->rule;
		v->action = EVENT_ACTION_REPORT;
	}
}

/*
 * The verdict for executing s->file (the program's struct file:
 * mm->exe_file once exec is done, bprm->file while the LSM hook decides)
 * under s->filename, the path as exec'd, by task t.
 */
static __always_inline void exec_verdict(struct exec_start *s, struct task_struct *t,
					 struct filter_verdict *v)
{
	struct file *file = s->file;
	const char *filename = s->filename;
	struct filter_inode_key ik = {};
	struct filter_name_key nk = {};
	struct filter_path_key *pk;
	struct inode *inode;
	__u32 zero = 0, facts;

	facts = wanted_facts(s, t);
#pragma unroll
	for (__u32 f = 0; f < _EVENT_FACT_MAX; f++)
		fact_verdict(facts, f, v);

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

/* Notes the program writing into the pipe on its standard output, for stdin_from rules. */
static __always_inline void note_pipe_writer(const struct event_exec *e, struct file *file)
{
	struct pipe_writer w = { .pid = e->task.pid };
	__u64 ino = e->stdio[1].ino;

	if (!pipe_writers_wanted || e->stdio[1].kind != EVENT_STDIO_PIPE)
		return;
	bpf_probe_read_kernel_str(w.name, sizeof(w.name),
				  BPF_CORE_READ(file, f_path.dentry, d_name.name));
	bpf_map_update_elem(&pipe_writers, &ino, &w, BPF_ANY);
}

static __always_inline void exec_fill(struct event_exec *e, const struct exec_start *s)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *file = s->file;
	struct path_scratch *scratch;
	struct task_fds fds;
	struct pipe_writer *w;
	struct inode *inode;
	__u32 zero = 0;
	bool cut;
	long n;

	e->flags = 0;
	fill_task(&e->task, t, &e->flags, EVENT_EXEC_NO_LOGINUID);
	inode = BPF_CORE_READ(file, f_inode);
	e->exe_ino = BPF_CORE_READ(inode, i_ino);
	e->exe_dev = dev_to_user(BPF_CORE_READ(inode, i_sb, s_dev));
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), s->filename);
	if (n < 0) {
		e->filename[0] = '\0';
		n = 1;
	} else if (n == sizeof(e->filename)) {
		/* Exactly full means the kernel may have cut it. */
		e->flags |= EVENT_EXEC_FILENAME_TRUNCATED;
	}
	e->filename_size = n;
	e->args_size = 0;

	e->facts = s->file_facts_known ? s->file_facts : exec_file_facts(s->file);
	e->_pad = 0;
	fds = task_fds(t);
	/*
	 * Unrolled: Linux 6.1's verifier refuses a loop whose back edge is the
	 * fall-through after a helper call ("back-edge from insn"), which clang
	 * makes of a short loop like this one; later kernels accept it.
	 */
#pragma unroll
	for (unsigned int fd = 0; fd < 3; fd++)
		if (stdio_fill(&fds, fd, &e->stdio[fd]) == EVENT_STDIO_NETWORK)
			e->facts |= 1U << EVENT_FACT_STDIO_NETWORK;
	e->exe_path_size = 0;
	scratch = bpf_map_lookup_elem(&exe_path_scratch, &zero);
	if (scratch) {
		e->exe_path_size = file_path(s->file, scratch, e->exe_path, &cut);
		if (cut)
			e->flags |= EVENT_EXEC_EXE_PATH_TRUNCATED;
	}
	if (!s->has_binprm) {
		e->flags |= EVENT_EXEC_NO_SCRIPT_INFO;
	} else if (s->interp != s->filename) {
		e->flags |= EVENT_EXEC_SCRIPT;
		if (e->filename[0] != '/' &&
		    dentry_in_world_writable(BPF_CORE_READ(t, fs, pwd.dentry), true))
			e->flags |= EVENT_EXEC_CWD_WORLD_WRITABLE;
	}
	e->stdin_writer[0] = '\0';
	if (e->stdio[0].kind == EVENT_STDIO_PIPE) {
		__u64 ino = e->stdio[0].ino;

		w = bpf_map_lookup_elem(&pipe_writers, &ino);
		if (w)
			bpf_probe_read_kernel_str(e->stdin_writer, sizeof(e->stdin_writer),
						  w->name);
	}
	note_pipe_writer(e, s->file);
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

static __always_inline int handle_exec(struct exec_start *s)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct filter_verdict v = {};
	__u32 lost = EVENT_STAT_EXEC_LOST;
	/* Read once: the agent may change it between here and the record. */
	__u32 want_args = *(volatile __u32 *)&args_size;

	s->file = BPF_CORE_READ(t, mm, exe_file);
	exec_verdict(s, t, &v);
	if (s->has_binprm && s->interp != s->filename)
		script_verdict(&v);
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
		exec_fill(&e->exec, s);
		exec_mark(&e->exec, &v);
		exec_args_fill(e, want_args);
		stat_inc(EVENT_STAT_EXEC_SENT);
		bpf_ringbuf_submit(e, wakeup_flags());
	} else {
		struct event_exec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

		if (!e)
			goto lost;
		header_init(&e->header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(*e));
		exec_fill(e, s);
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
	struct exec_start s = {
		.filename = BPF_CORE_READ(bprm, filename),
		.interp = BPF_CORE_READ(bprm, interp),
		.has_binprm = true,
	};

	return handle_exec(&s);
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
	struct exec_start s = {
		.file = BPF_CORE_READ(bprm, file),
		.filename = BPF_CORE_READ(bprm, filename),
		.interp = BPF_CORE_READ(bprm, interp),
		.has_binprm = true,
	};
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct filter_verdict v = {};
	struct event_exec *e;

	if (ret)
		return ret;
	exec_verdict(&s, t, &v);
	if (v.action != EVENT_ACTION_KILL)
		return 0;
	stat_inc(EVENT_STAT_DENIED);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(EVENT_STAT_EXEC_LOST);
		return -1; /* -EPERM */
	}
	header_init(&e->header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(*e));
	/* The caller's descriptors: they are what the refused program would have had. */
	exec_fill(e, &s);
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
	struct exec_start s = { .filename = (const char *)ctx + (loc & 0xffff) };

	return handle_exec(&s);
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
