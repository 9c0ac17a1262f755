/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy in the agent: compiles the policy in force into the kernel
 * filter, judges the records the kernel lets through, stops denied programs
 * in enforce mode, follows which required programs run, and hands every
 * conclusion on as a finding.
 *
 * The kernel, killing and the clock are reached through engine_ops so the
 * engine can be tested without them.
 */
#ifndef POSTURED_ENGINE_H
#define POSTURED_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "probes/events.h"
#include "basic/time-util.h"
#include "decode.h"
#include "finding.h"
#include "hashcache.h"
#include "policy.h"
#include "proctab.h"

struct engine_ops {
	/* The kernel filter, as in probe_process.h. */
	int (*filter_begin)(void *ctx);
	int (*filter_add_inode)(void *ctx, uint64_t dev, uint64_t ino,
				const struct filter_verdict *v);
	int (*filter_add_name)(void *ctx, const char *name, const struct filter_verdict *v);
	int (*filter_add_path)(void *ctx, const char *path, const struct filter_verdict *v);
	/* An exec for which the kernel finds fact (enum event_exec_fact). */
	int (*filter_add_fact)(void *ctx, unsigned fact, const struct filter_verdict *v);
	/* Whether the kernel notes who writes into pipes (rules on stdin_from); with the commit. */
	void (*filter_pipe_writers)(void *ctx, bool on);
	int (*filter_commit)(void *ctx, bool open);
	uint32_t (*filter_gen)(void *ctx);
	/*
	 * Sends SIGKILL to pid if it is still the process that started at
	 * start_boot (CLOCK_BOOTTIME ns, 0 = unknown).  Returns 0 or -errno
	 * (-ESRCH when it is gone).
	 */
	int (*kill)(void *ctx, uint32_t pid, nsec_t start_boot);
	/*
	 * Resolves pid's executable (readlink of /proc/pid/exe); -errno when it
	 * cannot, -ESTALE when it is no longer the file with inode ino (the pid
	 * exec'd again or was reused since the record; 0 = do not check).
	 */
	int (*exe_path)(void *ctx, uint32_t pid, uint64_t ino, char *buf, size_t size);
	/* Makes the kernel report pid's forks and exit although the filter is closed. */
	int (*track)(void *ctx, uint32_t pid);
	/* Opens pid's executable for hashing; -errno when it cannot. */
	int (*exe_open)(void *ctx, uint32_t pid);
	/*
	 * Optional: up to size bytes of pid's arguments, NUL-separated as
	 * /proc/PID/cmdline has them, into buf.  Returns how many, or -errno.
	 */
	int (*cmdline)(void *ctx, uint32_t pid, char *buf, size_t size);
	/*
	 * Optional: the file name of the program whose standard output is the
	 * pipe with inode ino, as the kernel noted it at that program's exec,
	 * into buf.  Returns 0, or -ENOENT when none was noted.
	 */
	int (*pipe_writer)(void *ctx, uint64_t ino, char *buf, size_t size);
	/*
	 * Optional: whether the file at path lies in a directory every user may
	 * write to, or below one (1 or 0), or -errno.  For what the kernel cannot
	 * tell at exec: a script's own location, programs running before the agent.
	 */
	int (*in_world_writable)(void *ctx, const char *path);
	/* Where findings go. */
	void (*finding)(void *ctx, const struct finding *f);
	/* Optional: a rule began or stopped failing (see engine_rule_failing()). */
	void (*state_changed)(void *ctx);
	/*
	 * Optional: puts p's network rules into the kernel (probe_net), switching
	 * at once; on error the kernel keeps the rules it had.  NULL when the
	 * agent runs without the network probe.
	 */
	int (*net_apply)(void *ctx, const policy *p);
};

/* The engine ops for the real system; their ctx is a struct engine_system. */
struct engine_system {
	struct probe_process *probe;
	struct probe_net *net; /* NULL: no network probe */
	const char *proc_root; /* "/proc" */
	void (*finding)(void *userdata, const struct finding *f);
	void (*state_changed)(void *userdata);
	void *userdata;
};
extern const struct engine_ops engine_ops_system;

typedef struct engine engine;

/*
 * A new engine.  procs and hashes are borrowed and must outlive it.
 * open_filter keeps every record coming to userspace (for --print-events).
 */
engine *engine_new(const struct engine_ops *ops, void *ctx, proctab *procs, hashcache *hashes,
		   bool open_filter);
engine *engine_free(engine *e);

/*
 * Compiles p into the kernel filter and puts it in force, replacing the one
 * in force (whose reference is dropped).  Takes a reference to p.  On error
 * the old policy stays in force, in the kernel too, and -errno is returned.
 * Required programs are looked for among the processes already known.
 */
int engine_set_policy(engine *e, policy *p, usec_t now);
const policy *engine_policy(engine *e);

/*
 * How many bytes of each program's arguments the kernel captures at exec
 * from now on (0: none), as the agent set the probe for the policy in
 * force.  Processes judged without an exec record (running when a policy
 * comes into force) get as many from ops->cmdline, so that rules and
 * excepts on arguments judge them by the same facts; set it before
 * engine_set_policy() for the policy's judgement of them.
 */
void engine_set_args_bytes(engine *e, uint32_t bytes);

/*
 * The system's resolvers from now on, for network rules that name
 * "system_resolvers" (NULL: none known).  Copied.  The kernel's maps follow
 * them through probe_net_set_resolvers(); this is for what the engine
 * judges again itself (listeners, records of an older policy).
 */
void engine_set_resolvers(engine *e, const struct policy_net_resolvers *r);

/*
 * Judges one record.  Call it after the process table has seen an exec or a
 * fork, and before it sees an exit.  now is CLOCK_MONOTONIC.
 */
void engine_on_event(engine *e, const struct decoded_event *ev, usec_t now);

/* Runs what is due at now (require grace periods).  Returns the next deadline or USEC_INFINITY. */
usec_t engine_tick(engine *e, usec_t now);

/* Emits a finding that a new policy was refused, with the reason in detail. */
void engine_report_invalid_policy(engine *e, const char *detail);

struct engine_stats {
	uint64_t evaluated, denied, killed, kill_failed, hashed, hash_failed;
	uint64_t net_findings; /* network findings emitted */
	uint64_t net_stale; /* network records no rule in force matches any more (a reload) */
	size_t kernel_entries; /* filter entries the policy in force compiled to */
	bool kernel_filter_open;
};
void engine_get_stats(engine *e, struct engine_stats *ret);

/*
 * Whether rule r of the policy in force fails now: a required program absent
 * past its grace, or a program a monitor-mode deny rule reported still
 * running.  *ret_since (CLOCK_REALTIME) is when that last changed.
 */
bool engine_rule_failing(engine *e, const policy_rule *r, usec_t *ret_since);
/*
 * Runs the policy's enabled check rules (checks/) below root ("/" on
 * the machine) in a child process with a time bound per check (see
 * checks/runner.h), waits for them, and emits a finding for each whose
 * result changed: a check that fails or cannot tell, and one that passes
 * again.  The first run of a rule reports only what does not pass.  Returns
 * 0, or -errno when the checks could not be started.
 */
int engine_run_checks(engine *e, const char *root);

/*
 * The same in two steps, for running the checks without waiting: the jobs
 * for the enabled check rules in force (at most max; returns how many), and
 * taking their results.  Results for a policy other than the one in force
 * (p) are dropped.
 */
struct check_job;
size_t engine_check_jobs(engine *e, struct check_job *jobs, size_t max);
void engine_apply_check_results(engine *e, const policy *p, const struct check_job *jobs,
				const struct check_result *results, size_t n);
/* The latest result of check rule r, or NULL when it has not run. */
const struct check_result *engine_check_result(engine *e, const policy_rule *r);

/*
 * Network records, as the agent hands them over: one attempt the kernel
 * reported (or refused), or the repeats it aggregated since the last sweep.
 */
struct engine_network {
	uint32_t rule_index; /* the rule, in file order, as the kernel saw it */
	bool rule_current; /* the kernel judged by the policy in force (else: re-judged here) */
	bool denied; /* the kernel refused the call with EPERM */
	uint32_t pid; /* 0 when no process is known (inbound connections) */
	uint32_t uid, gid;
	uint64_t exe_ino; /* the executable the kernel saw, 0 when unknown */
	char comm[EVENT_COMM_LEN + 1];
	const char *exe; /* the executable's path when already known, else NULL */
	struct finding_network net;
};
void engine_on_network(engine *e, const struct engine_network *n);

/* A socket listening now (TCP) or bound (UDP), from enumerating them. */
struct engine_listener {
	unsigned protocol; /* POLICY_NET_TCP or POLICY_NET_UDP */
	uint8_t family; /* AF_INET, AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
	uint32_t uid;
	uint32_t pid; /* an owning process, 0 when none was found */
	const char *exe; /* its executable, NULL when unknown */
};
/*
 * Judges the listeners open now against the listen rules in force: a finding
 * for each violation not already reported by the previous call (or since the
 * policy changed), and the rules failing while a violating listener stays
 * open.  n at most ENGINE_LISTENERS_MAX; more are ignored.
 */
#define ENGINE_LISTENERS_MAX 1024
void engine_judge_listeners(engine *e, const struct engine_listener *l, size_t n);

/* CLOCK_REALTIME when the policy in force came into force. */
usec_t engine_policy_loaded(engine *e);

/* Whether the required program of require rule i (policy_require_at) runs now. */
bool engine_require_present(engine *e, size_t i);

#endif
