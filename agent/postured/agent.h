/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon: one sd-event loop over the probes' ring buffers, timers,
 * signals and the status socket.  Where each stage lives:
 *
 *   probe       probes/<name>.bpf.c in the kernel; probe_process.c, probe_net.c load
 *               and attach them (agent.c the process probe, agent_net.c the network one)
 *   decode      decode.c, the only code that reads ring-buffer bytes; called by
 *               agent_records.c (process records) and agent_net.c (network records)
 *   proctab     proctab.c, kept by agent_records.c
 *   engine      engine.c, engine_system.c; fed by agent_records.c (process records),
 *               agent_net.c (network records, counted repeats, listeners) and
 *               agent_checks.c (check results)
 *   findings    finding.c, format.c; agent_findings.c sends each to the log, the spool,
 *               the status socket's subscribers and, with -p, stdout
 *   spool       spool.c, envelope.c; opened by agent_reports.c, appended to by
 *               agent_findings.c
 *   sender      agent/sender/, unprivileged; agent_reports.c starts and watches it, and
 *               writes the posture snapshots it sends
 *   collector   collector/
 *
 *   status socket  status.c speaks the protocol, agent_status.c answers
 *   checks         checks/ (the checks, runner.c bounds them); agent_checks.c schedules
 *   policy         policy/ (the library); agent_policy.c loads it, puts it in force,
 *                  refuses it and reloads it
 *   resolvers      resolvers.c (resolv.conf), resolved.c (systemd-resolved over D-Bus);
 *                  agent_resolvers.c follows both and puts "system_resolvers" in force
 *   feed           policy_feed.c: the signed policy the sender fetched, read, verified
 *                  (policy_sig.c) and kept by the privileged side
 *   tamper         agent_tamper.c: the stop, start and suspend records, the run state
 *                  (runstate.c), the watch over the agent's BPF links (bpfwatch.c),
 *                  shutdown.c, sleep and wake-up from logind (sleepwatch.c)
 *   lifecycle      agent.c: agent_new()'s steps and their order, agent_run(), signals,
 *                  readiness, capabilities, shutdown; agent-internal.h: struct agent,
 *                  one sub-struct a file
 */
#ifndef POSTURED_AGENT_H
#define POSTURED_AGENT_H

#include <stdbool.h>

#include "config.h"

struct agent_options {
	struct config config;
	bool print_events; /* one JSON object a line on stdout */
	bool keep_caps; /* do not drop capabilities after start-up (debugging) */
};

typedef struct agent agent;

/*
 * Probes the kernel, loads and attaches the probes, seeds the process table
 * and sets up the loop.  Logs what went wrong and returns -errno on failure.
 */
int agent_new(const struct agent_options *opts, agent **ret);
agent *agent_free(agent *a);

/* Runs until SIGTERM or SIGINT.  Returns 0 or -errno. */
int agent_run(agent *a);

#endif
