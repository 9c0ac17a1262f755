/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules_env.c: what the suites that drive rules through the daemon share.
 */
#ifndef POSTURED_IT_RULES_ENV_H
#define POSTURED_IT_RULES_ENV_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

/* A finding is logged within this long of what caused it. */
#define FINDING_TIMEOUT_MS 3000
#define CHILD_TIMEOUT_MS   10000
#define STATUS_TIMEOUT_MS  5000
/* Long enough for userspace to have killed a program it meant to (it takes milliseconds). */
#define SPARED_SECONDS "2"
/* A program userspace must kill sleeps this long otherwise, and the wait times out. */
#define KILLED_SECONDS "30"

/* --- a test's files ---------------------------------------------------------------- */

struct env {
	char *dir;
	char *target; /* a copy of write_marker: the program the rules are about */
	char *sentinel; /* another copy, with a rule of its own */
	char *parent_ok; /* copies of spawn_storm: the parent an except names ... */
	char *parent_other; /* ... and one it does not */
	char flag[32]; /* an argument no other program has */
	char policy[PATH_MAX], config[PATH_MAX];
	unsigned markers;
};

void env_done(struct env *e);
#define _cleanup_env_ _cleanup_(env_done)

/* The configuration: the policy file, and extra (the inside of a JSON object) when given. */
int env_init(struct env *e, const char *extra);
/* A new marker path; it does not exist yet. */
const char *env_marker(struct env *e);
int env_write_policy(struct env *e, const char *text);
/* One process rule: id, mode, the insides of "match" and "except" (NULL: none). */
char *rule_json(const char *id, const char *mode, const char *match, const char *except);
/* A policy of serial and settings (the inside of an object) and two rules (b may be NULL). */
int env_policy(struct env *e, unsigned serial, const char *settings, const char *a, const char *b);
int start_agent(struct env *e, const char *flavor, struct harness_agent **ret);
/* Runs argv (NULL-terminated) to its end; *ret_status is its wait status. */
int run_wait(char *const argv[], int *ret_status);
/* How often text occurs in what the agent wrote on stderr. */
unsigned stderr_count(const struct harness_agent *a, const char *text);
int wait_stderr(struct harness_agent *a, const char *text);
/* One request on the status socket, as root; *ret (the caller's) is the parsed answer. */
int status_request(struct harness_agent *a, const char *request, yajl_val *ret);
/* The findings of rule id the status socket keeps (the answer's result.findings), in *ret. */
int findings_of(struct harness_agent *a, const char *id, yajl_val *ret);
/* Waits up to FINDING_TIMEOUT_MS until rule id has n findings kept; fails when it has another number. */
int wait_findings(struct harness_agent *a, const char *id, size_t n);

#endif
