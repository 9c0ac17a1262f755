/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A policy about a program of the test's own, and the findings the agent
 * makes under it: a private directory with a uniquely named copy of
 * tests/helpers/write_marker (whose first action is to create the file named
 * by its first argument), the policy file written there from the templates
 * in tests/fixtures/agent-policies/, and the configuration naming it.
 */
#ifndef POSTURED_TESTS_HARNESS_POLICY_H
#define POSTURED_TESTS_HARNESS_POLICY_H

#include <limits.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "harness_agent.h"

struct harness_policy_env {
	char *dir; /* everything below is in here */
	char name[NAME_MAX + 1]; /* the copy's file name, <prefix>-<8 hex digits> */
	char prog[PATH_MAX]; /* the copy of write_marker */
	char policy[PATH_MAX];
	char config[PATH_MAX]; /* { "policy_file": policy } */
	unsigned markers; /* marker files named so far */
};

/*
 * A fresh directory with a copy of write_marker named <prefix>-<8 hex
 * digits> and the configuration naming the policy file there (not written
 * yet).  *e is the caller's (harness_policy_env_done()).  Returns 0 or -1.
 */
int harness_policy_env_init(struct harness_policy_env *e, const char *prefix);

/* Removes the directory; a zeroed or half-made e is fine. */
void harness_policy_env_done(struct harness_policy_env *e);

#define _cleanup_policy_env_ _cleanup_(harness_policy_env_done)

/* A new marker path for one run, in e's directory; it does not exist yet (a static buffer). */
const char *harness_policy_env_marker(struct harness_policy_env *e);

/*
 * Writes the template tests/fixtures/agent-policies/<name> with vars filled
 * in (harness_substitute()) as the policy file, atomically
 * (harness_replace_file()).  Returns 0 or -1.
 */
int harness_policy_env_template(struct harness_policy_env *e, const char *name,
				const char *const *vars);

/*
 * deny.json.in: one rule, deny-marker, in mode (monitor or enforce) under
 * serial, matching `match` (the inside of a JSON object); NULL matches the
 * copy by its name.  Returns 0 or -1.
 */
int harness_policy_env_deny(struct harness_policy_env *e, const char *mode, unsigned serial,
			    const char *match);

/*
 * Waits up to timeout_ms for a finding of kind (postured.finding) about
 * pid (its evidence's; 0: any), and fails the test saying which findings
 * came instead.  *ret, when not NULL, is the caller's.  Returns 0 or -1.
 */
int harness_wait_finding(struct harness_agent *a, const char *kind, pid_t pid, int timeout_ms,
			 yajl_val *ret);

#endif
