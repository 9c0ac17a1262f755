/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the baseline suite share (baseline.c): a test's files
 * and its agent running the built-in baseline, and how a behaviour's
 * outcome is checked in monitor and in enforce mode.
 */
#ifndef POSTURED_IT_BASELINE_H
#define POSTURED_IT_BASELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules_env.h"

/* How long a script sleeps before it leaves its marker: time for userspace to stop it. */
#define SCRIPT_SLEEP "3"

struct baseline_case {
	bool enforce;
	/* The require rules' grace (10 minutes as shipped) cut to REQUIRE_GRACE_SECONDS. */
	bool short_grace;
	/* The agent run from a copy in the test's directory under /tmp, a world-writable place. */
	bool agent_in_tmp;
};

#define REQUIRE_GRACE_SECONDS 2

extern const struct baseline_case baseline_monitor, baseline_enforce, baseline_short_grace,
	baseline_enforce_agent_in_tmp;

struct bl {
	struct env e;
	bool enforce;
	char *priv; /* a directory in /run: only root may write there */
	char *net; /* a copy of net_client there */
	char resolv[PATH_MAX];
	char *agent; /* the agent's copy under /tmp, when the case asks for one */
	struct harness_agent *a;
};

void bl_done(struct bl *b);
#define _cleanup_bl_ _cleanup_(bl_done)

/* The test's files and the agent with the baseline as c says, ready. */
int bl_start(struct bl *b, const struct baseline_case *c);

bool exists(const char *path);
bool was_killed(int status);
/* A copy of program in dir as name (mode 0755), its path in *ret. */
int copy_as(const char *dir, const char *program, const char *name, char **ret);

/* How many findings of rule id the agent keeps. */
int count_findings(struct bl *b, const char *id, size_t *ret);
/* Waits until rule id has n findings kept; fails when it has another number. */
int expect_findings(struct bl *b, const char *id, size_t n);
/* Waits up to timeout_ms until rule id has at least n findings kept. */
int expect_findings_at_least(struct bl *b, const char *id, size_t n, int timeout_ms);
/* How many findings of rule id are about local port (listeners of the machine's own aside). */
int count_port_findings(struct bl *b, const char *id, long long port, size_t *ret);

/* Runs argv to its end: stopped (SIGKILL) in enforce mode, exit status 0 in monitor mode. */
int expect_stopped(struct bl *b, char *const argv[], const char *what);
/* Runs argv to its end: exit status 0 in either mode. */
int expect_runs(char *const argv[], const char *what);
/* How long a program the baseline stops sleeps: long in enforce mode, where it is killed. */
const char *sleep_for(const struct bl *b);

/* Runs net_client KIND ADDRESS PORT; its exit status (0 ok, 10 EPERM, 11 refused) in *ret. */
int net_call(struct bl *b, const char *kind, const char *addr, uint16_t port, int *ret);
/* A call the baseline is about: refused with EPERM in enforce mode, made in monitor mode. */
int expect_refused(struct bl *b, const char *kind, const char *addr, uint16_t port);

extern const struct harness_table baseline_exec_table, baseline_tools_table, baseline_network_table;

#endif
