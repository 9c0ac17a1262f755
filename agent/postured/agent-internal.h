/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon's files share: struct agent, one sub-struct a concern,
 * and the calls they make across.  Not for anything outside agent/postured/
 * agent*.c and policy_feed.c; the rest of the program sees agent.h.
 *
 * A sub-struct is owned by one file: that file sets it up, changes it and
 * frees it; the others read it (the status socket reads everything).  The
 * few writes across are said where the field is.  The fields at the top are
 * the lifecycle's (agent.c): the loop, the process probe, the process table,
 * the engine and the JSON generator every output is written with.
 */
#ifndef POSTURED_AGENT_INTERNAL_H
#define POSTURED_AGENT_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <yajl/yajl_gen.h>

#include "agent.h"
#include "basic/cleanup.h"
#include "bpfwatch.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "checks/checks.h"
#include "checks/runner.h"
#include "decode.h"
#include "device.h"
#include "engine.h"
#include "finding.h"
#include "hashcache.h"
#include "identity.h"
#include "netwatch.h"
#include "policy.h"
#include "probe_common.h"
#include "probe_net.h"
#include "probe_process.h"
#include "proctab.h"
#include "resolved.h"
#include "resolvers.h"
#include "runstate.h"
#include "sleepwatch.h"
#include "spool.h"
#include "status.h"

/* Programs remembered for the network repeats swept after they exited. */
#define AGENT_NET_PROCS 64

/* agent_records.c: the process probe's ring, decoded and routed. */
struct agent_records {
	sd_event_source *ring_source;
	sd_event_source *drain_timer;
	sd_event_source *engine_timer; /* the engine's next deadline */
	bool sweeping; /* the one look after a quiet drain is armed */
	int64_t clock_offset; /* decode_clock_offset(), read at each drain */
	/* Counted for both rings: agent_net.c decodes the network probe's records too. */
	uint64_t count;
	uint64_t decode_errors;
	struct ratelimit decode_rl;
};

/*
 * The programs of recent network records, so the repeats swept later still
 * name them after they exited.
 */
struct agent_net_proc {
	uint32_t pid, gid;
	uint64_t exe_ino; /* which program it was, against pid reuse */
	char comm[EVENT_COMM_LEN + 1];
	char exe[EVENT_PATH_LEN];
};

/* agent_net.c: the network probe, its sweeps and the listeners. */
struct agent_net {
	probe_net *probe; /* NULL: network rules unavailable (error says why) */
	/*
	 * Why network rules are not in force, "" when they are; agent_policy.c
	 * writes it too, when the kernel refuses a policy's network rules.
	 */
	char error[256];
	sd_event_source *source;
	sd_event_source *sweep_timer; /* on while the kernel counts repeats */
	sd_event_source *listen_timer; /* listeners judged again after a reported bind */
	uint64_t paths_sig; /* agent_net_paths_signature() of the rules in the kernel */
	/* A small ring, newest overwriting oldest. */
	struct agent_net_proc procs[AGENT_NET_PROCS];
	size_t procs_next;
};

/* agent_resolvers.c: the system's resolvers ("system_resolvers"), followed. */
struct agent_resolvers {
	struct policy_net_resolvers set; /* in force: in the engine and the kernel's maps */
	bool read; /* set was read once */
	usec_t since; /* CLOCK_REALTIME: when set last changed */
	uint64_t changes;
	size_t dropped; /* addresses past POLICY_NET_RESOLVERS_MAX */
	struct resolv_conf conf; /* resolv.conf at the last read */
	int conf_error; /* its -errno; 0 when read */
	resolved *resolved; /* NULL: no system bus */
	bool resolved_answered;
	char resolved_why[160]; /* why not, when it did not */
	sd_event_source *timer; /* a read shortly after a change */
	sd_event_source *link_source; /* resolv.conf's directory */
	sd_event_source *target_source; /* its target's, when it is a link elsewhere */
	char link_name[NAME_MAX + 1], target_name[NAME_MAX + 1];
	char target[PATH_MAX];
	struct ratelimit rl;
};

/* agent_findings.c: where the generator's records go, and the counts of what went. */
struct agent_findings {
	uint64_t count;
	struct ratelimit rl;
	uint64_t spooled, spool_errors;
	struct ratelimit spool_rl;
	uint64_t output_errors; /* stdout (--print-events) could not be written */
};

/* agent_status.c: the status socket. */
struct agent_status {
	status_server *server;
};

/* agent_reports.c: the spool, the sender, and the posture snapshots. */
struct agent_reports {
	struct spool *spool; /* NULL when no collector is configured */
	char sender_path[PATH_MAX];
	pid_t sender_pid;
	sd_event_source *sender_child;
	sd_event_source *sender_timer; /* restarts the sender after it stopped */
	unsigned sender_failures;
	bool sender_restart; /* stopped on purpose, for a new certificate: start it at once */
	sd_event_source *snapshot_timer;
	/* Where the interval the next snapshot covers began, on each clock. */
	usec_t interval_real, interval_mono, interval_boot;
};

/*
 * agent_tamper.c: tamper evidence.  The run state beside the spool (kept only
 * with a collector: it is what the start record and the snapshots' stopped
 * time are told from), the start, stop and suspend records, the watch over
 * the agent's own BPF links, and the one over sleep and wake-up.
 */
struct agent_tamper {
	bool kept; /* the run state has a file (a collector is configured) */
	char path[PATH_MAX]; /* <the spool's directory>/run-state */
	bool had_previous; /* a state file was there at start (previous is it) */
	struct runstate previous; /* what the previous run left */
	struct runstate state; /* this run's, as written last */
	usec_t saved; /* CLOCK_MONOTONIC of the last write */
	bpfwatch *watch;
	sd_event_source *timer; /* the watch's look, and the heartbeat */
	bool stop_reported;
	uint64_t records; /* records made (the counters at stop) */
	sleepwatch *sleep; /* with a collector and a system bus; NULL: sleep is not told */
	sd_event_source *sleep_poll; /* going to sleep: has the collector the record yet? */
	uint64_t sleep_seq; /* the suspend record's */
};

/* agent_checks.c: the posture checks, their timer and the network-change trigger. */
struct agent_checks {
	sd_event_source *timer;
	netwatch *netwatch; /* NULL: not watching the network for changes */
	check_runner *runner; /* the checks running now, NULL when none */
	struct check_job *jobs; /* what it runs */
	policy *policy; /* for this policy */
	bool again; /* asked again while running: run again when done */
};

/* agent_policy.c: the policy in force, its reloads and refusals. */
struct agent_policy {
	sd_event_source *reload_timer;
	sd_event_source *inotify_source;
	char source[4096]; /* the file in force, or the built-in baseline's name */
	char last_error[FINDING_DETAIL_MAX];
};

/*
 * agent_identity.c: the device's certificate.  Made by hand (client_cert,
 * client_key), or enrolled over EST through the sender when enroll_url is
 * set, and renewed at two thirds of its life.
 */
struct agent_identity {
	bool enroll; /* enroll_url is set: this agent keeps its own identity */
	bool usable; /* a certificate the sender may use is in place */
	struct identity_info info; /* of the certificate in place (usable) */
	char pending_path[PATH_MAX]; /* the key of the request in flight or to retry */
	char token_file[PATH_MAX]; /* posturectl enroll's; "" the configuration's */
	bool renewal; /* the request in flight authenticates with the certificate */
	pid_t pid; /* the sender making the request; 0: none */
	sd_event_source *child, *out, *timer; /* the timer: CLOCK_REALTIME, renewal or retry */
	int out_fd;
	char *answer;
	size_t answer_size;
	bool answer_too_long, exited, out_eof;
	int exit_status; /* the sender's, or 128 + signal */
	unsigned failures;
	char last_error[256]; /* "" after a success */
	int64_t last_attempt, next_attempt; /* ms since the epoch; 0: none */
	/*
	 * Keys in the TPM: the TPM opened (NULL: keys are files), the key of the
	 * certificate in place, and the channels on which the senders have
	 * their TLS signatures made with it.
	 */
	struct identity_tpm *tpm;
	char tpm_error[160]; /* why keys are files although a TPM was asked for */
	EVP_PKEY *key;
	struct agent_sign_channel {
		int fd;
		sd_event_source *source;
	} sign[4];
};

/* policy_feed.c: signed policies from the collector, handed over by the sender. */
struct agent_feed {
	bool enabled; /* the sender's directory is set up and watched */
	sd_event_source *incoming_source;
	char *signed_bytes; /* the signed policy in force, exactly as signed; NULL: none */
	size_t signed_size;
};

struct agent {
	struct agent_options opts;
	sd_event *event;
	struct probe_features features;
	probe_process *proc;
	proctab *procs;
	struct device_info device;
	/* .net: set by agent_net.c when the probe attaches, by agent_policy.c for each policy */
	struct engine_system engine_ctx;
	engine *engine;
	hashcache *hashes;
	yajl_gen gen;
	usec_t started; /* CLOCK_REALTIME */
	unsigned long startup_peak_kib; /* VmHWM at the end of start-up */

	struct agent_records records;
	struct agent_net net;
	struct agent_resolvers resolvers;
	struct agent_findings findings;
	struct agent_status status;
	struct agent_reports reports;
	struct agent_checks checks;
	struct agent_policy policy;
	struct agent_feed feed;
	struct agent_tamper tamper;
	struct agent_identity identity;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(policy_errors *, policy_errors_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(policy *, policy_unref);

/* --- agent_records.c -------------------------------------------------------- */

/* The process probe's callback for one record: decodes and routes it.  Returns 0 or -errno. */
int agent_records_on_record(void *userdata, const void *data, size_t size);
/* Watches the process probe's ring; sets up the drain and engine timers.  0 or -errno (logged). */
int agent_records_setup(agent *a);
void agent_records_free(agent *a);
/* Reads every record in the ring.  Returns how many, or -errno (logged). */
int agent_records_drain(agent *a);
/*
 * Drains, then arms the next drain the wake-up mode asks for (from_timer:
 * called by the drain timer).  Returns 0 or -errno.
 */
int agent_records_drain_and_schedule(agent *a, bool from_timer);
/* Arms the engine's timer for its next deadline (a required program's grace). */
void agent_records_engine_rearm(agent *a);

/* --- agent_net.c ------------------------------------------------------------ */

/*
 * Attaches the network probe and sets up its ring, sweep and listener
 * timers.  A probe the kernel refuses is not an error (net.error says why);
 * returns -errno only when the loop cannot watch an attached probe.
 */
int agent_net_setup(agent *a);
void agent_net_free(agent *a);
/* Drains the probe's ring and collects every repeat counted (at shutdown). */
void agent_net_final_sweep(agent *a);
/* p was put in force: notes its executables' inodes and arms the sweep its rules want. */
void agent_net_policy_changed(agent *a, const policy *p);
/* Puts p's network rules in the kernel again when one of their executables was replaced. */
void agent_net_refresh_rules(agent *a, const policy *p);
/* Judges the sockets listening now against the listen rules in force. */
void agent_net_judge_listeners(agent *a);

/* --- agent_resolvers.c ------------------------------------------------------ */

/*
 * Reads the resolvers now and follows them: resolv.conf's directory (and
 * its target's), systemd-resolved when the system bus is there.  Puts them
 * in the engine and the network probe; call before the first policy.
 * Returns 0 or -errno (logged) when the loop cannot be set up.
 */
int agent_resolvers_setup(agent *a);
void agent_resolvers_free(agent *a);
/* The network changed: asks resolved again and reads resolv.conf shortly. */
void agent_resolvers_refresh(agent *a);

/* --- agent_findings.c ------------------------------------------------------- */

/* Writes the generator's JSON object to stdout as one line, and clears the generator. */
void agent_findings_print(agent *a);
/* Flushes stdout; a failure is counted in findings.output_errors. */
void agent_findings_flush(agent *a);
/*
 * Appends the generator's JSON object to the spool, when there is one, and
 * wakes the sender.  Leaves the generator as it is; a failure is counted
 * and logged (rate-limited).
 */
void agent_findings_spool(agent *a, enum spool_class class, const char *kind);
/* The engine's callbacks (struct engine_system): a finding, and a posture change. */
void agent_findings_on_finding(void *userdata, const struct finding *f);
void agent_findings_on_state_changed(void *userdata);

/* --- agent_status.c --------------------------------------------------------- */

/* Listens on the status socket.  Returns 0, or -errno (logged). */
int agent_status_setup(agent *a);
void agent_status_free(agent *a);
/* Writes the posture object "status" answers root with (a snapshot's postured.posture). */
void agent_status_write_posture(agent *a, yajl_gen g);

/* --- agent_reports.c -------------------------------------------------------- */

/*
 * When a collector is configured: checks the client key, opens the spool,
 * arms the snapshots, sets up the policy feed and starts the sender.
 * Returns 0 (also when no collector is configured), or -errno (logged).
 */
int agent_reports_setup(agent *a);
/* Stops the sender (it finishes the request in flight) and closes the spool. */
void agent_reports_free(agent *a);
/* Has the sender look at the spool now rather than at its next poll. */
void agent_reports_kick_sender(agent *a);
/* The posture changed: the next snapshot goes within 2 s, unless it is due sooner. */
void agent_reports_snapshot_soon(agent *a);
/*
 * Forks and execs postured-sender with argv, stdin and stdout from the fds
 * given (-EBADF: inherited) and sign_fd as its fd 3 (-EBADF: none),
 * exempted from the network rules before it runs.
 * Returns 0 and its pid, or -errno (logged).
 */
int agent_reports_spawn_sender(agent *a, const char *const *argv, int stdin_fd, int stdout_fd,
			       int sign_fd, pid_t *ret_pid);
/* Starts the report sender again (it loads the certificate at start), or starts it. */
void agent_reports_restart_sender(agent *a);

/* --- agent_identity.c ------------------------------------------------------- */

/*
 * Reads the certificate in place; with enroll_url, enrolls when there is
 * none (or none for this device) and arms its renewal.  Returns 1 when the
 * sender may start now, 0 when it waits for the enrollment, -errno (logged).
 */
int agent_identity_setup(agent *a);
void agent_identity_free(agent *a);
/*
 * Enrolls now with token_file (NULL: the configuration's), also when
 * enrolled: posturectl enroll.  -EOPNOTSUPP without enroll_url, -EBUSY
 * while a request is in flight; err says why.
 */
int agent_identity_enroll_now(agent *a, const char *token_file, char *err, size_t err_size);
/* The "identity" object of status and of the snapshots. */
void agent_identity_write(agent *a, yajl_gen g);
/*
 * A signing channel for a sender that authenticates with the key in the
 * TPM: the sender's end in *ret_fd (the caller closes it once passed on),
 * or -EBADF when the key is a file the sender reads itself.  0 or -errno.
 */
int agent_identity_sign_channel(agent *a, int *ret_fd);

/* --- agent_tamper.c --------------------------------------------------------- */

/*
 * Reads what the previous run left beside the spool (only with a
 * collector); a damaged file is logged and taken as saying nothing.  Sets
 * the first snapshot's interval to reach back to the last snapshot.  Call
 * before the spool opens.
 */
void agent_tamper_load(agent *a);
/*
 * Reports how the previous run ended (with a run state), writes this
 * run's, and starts the watch over the agent's BPF links and, with a
 * collector, the one over sleep (logind's delay lock: the suspend record is
 * committed before the laptop sleeps).  0 or -errno (logged) when the loop
 * cannot be set up.
 */
int agent_tamper_setup(agent *a);
void agent_tamper_free(agent *a);
/* A snapshot was made: its time goes into the run state. */
void agent_tamper_snapshot_made(agent *a, usec_t interval_real);
/*
 * SIGTERM or SIGINT: spools (committed) and prints the stop record, who
 * sent the signal and whether the system is shutting down, then marks the
 * run state stopped cleanly.
 */
void agent_tamper_on_stop(agent *a, const struct signalfd_siginfo *si);
/* Looks at the agent's BPF links now (the timer does this every few seconds). */
void agent_tamper_check_bpf(agent *a);

/* --- agent_checks.c --------------------------------------------------------- */

/* Sets up the checks' timer and the network watch (optional).  0 or -errno (logged). */
int agent_checks_setup(agent *a);
/* Stops a run in progress (its child is killed) and the network watch. */
void agent_checks_free(agent *a);
/*
 * Judges the listeners, refreshes the network rules when an executable was
 * replaced, and starts the posture checks in a child without waiting (once
 * more after the run in progress, if there is one).  Arms the next run.
 */
void agent_checks_run(agent *a);

/* --- agent_policy.c --------------------------------------------------------- */

/* Sets up the reload timer and watches the policy file's directory.  0 or -errno (logged). */
int agent_policy_setup(agent *a);
void agent_policy_free(agent *a);
/* Loads the policy again, telling systemd it is reloading (SIGHUP, a rewritten file). */
void agent_policy_reload(agent *a);

/*
 * Loads the policy (the configured file, else the last good signed one,
 * else the built-in baseline) and puts it in force.  Returns 0 or -errno;
 * at start-up a failure is fatal, later the old policy stays in force.
 */
int agent_policy_load(agent *a, bool startup);
/*
 * Puts a parsed, validated policy in force (source names it in status and
 * logs).  On failure nothing changes, and the reason is kept, logged and,
 * after start-up, reported as a policy_invalid finding; at start-up, a
 * policy whose network rules the kernel refuses is put in force without
 * them (net.error says so).  Returns 0 or -errno.
 */
int agent_policy_put_in_force(agent *a, policy *p, const char *source, bool startup);
/*
 * A policy was refused for detail: keeps the reason for the status socket;
 * at start-up that is fatal, afterwards the old policy stays in force and a
 * policy_invalid finding says why.  Returns r.
 */
int agent_policy_refuse(agent *a, int r, const char *detail, bool startup);
/* policy_load() or policy_parse() failed with r: logs every error in errs and refuses. */
int agent_policy_refuse_invalid(agent *a, int r, policy_errors *errs, const char *name,
				bool startup);
/* The ids of p's enabled rules on arguments (args_contains), joined by ", " into buf. */
void agent_policy_args_rules(const policy *p, char *buf, size_t size);

/* --- policy_feed.c ---------------------------------------------------------- */

/*
 * With a pinned key, makes the hand-over directory the sender writes
 * fetched policies into (the sender user's, 0700) and watches it
 * (feed.enabled).  Without a key, or when the directory cannot be set up,
 * logs why and no policy is fetched.
 */
void policy_feed_setup(agent *a);
void policy_feed_free(agent *a);
/*
 * Reads path and its signature (path.sig, or the sender's policy.sig beside
 * its policy.json) within the limits, following no symbolic link, and
 * verifies the signature with the pinned key.  Returns 0, the bytes as
 * signed in *ret and the signature's text in *ret_sig (when not NULL); or
 * -errno with the reason in detail (-ENOENT when path does not exist).
 */
int policy_feed_read_signed(agent *a, const char *path, char **ret, size_t *ret_size,
			    char **ret_sig, size_t *ret_sig_size, char *detail, size_t detail_size);
/* The signed bytes of the policy now in force (takes bytes; NULL: it is not a signed one). */
void policy_feed_set_in_force(agent *a, char *bytes, size_t size);

#endif
