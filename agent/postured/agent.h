/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon: one sd-event loop over the probes' ring buffer, timers and
 * signals, feeding the process table and the outputs.
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
