/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A finding: what the agent concluded about the policy, with its evidence.
 * Findings are what employees, IT and the SOC read; format.c writes them as
 * OCSF Compliance Findings (class 2003).
 */
#ifndef POSTURED_FINDING_H
#define POSTURED_FINDING_H

#include <stdbool.h>
#include <stdint.h>

#include "../probes/events.h"
#include "basic/time-util.h"
#include "policy.h"

struct check_result;

enum finding_kind {
	FINDING_PROCESS_DENIED, /* a denied program ran or tried to */
	FINDING_REQUIRE_ABSENT, /* a required program is not running after its grace */
	FINDING_REQUIRE_RETURNED, /* ... and now it runs again */
	FINDING_POLICY_INVALID, /* a new policy was refused; the old one stays */
	FINDING_CHECK_FAILING, /* a posture check fails (or cannot tell) */
	FINDING_CHECK_PASSING, /* ... and passes again */
};

enum finding_action {
	FINDING_ACTION_NONE, /* nothing done: a state, not an event */
	FINDING_ACTION_REPORTED, /* monitor mode: seen and reported */
	FINDING_ACTION_KILLED, /* stopped: before its first instruction when in_kernel */
	FINDING_ACTION_KILL_FAILED,
	FINDING_ACTION_GONE, /* enforce mode, but it had ended before it could be stopped */
	FINDING_ACTION_DENIED, /* the exec was refused (BPF LSM, EPERM): it never started */
};

#define FINDING_CHAIN_MAX  4
#define FINDING_DETAIL_MAX 1024

struct finding_process {
	uint32_t pid, ppid, uid, gid;
	nsec_t start_boot;
	char path[EVENT_PATH_LEN];
	char name[EVENT_COMM_LEN + 1];
	char sha256[65]; /* empty when not computed */
	char cmd_line[EVENT_ARGS_LEN + 1]; /* empty when not collected */
};

struct finding_ancestor {
	uint32_t pid;
	char path[EVENT_PATH_LEN]; /* empty when unknown */
};

struct finding {
	enum finding_kind kind;
	usec_t time_real;
	const policy *policy; /* the policy the finding is about; not owned */
	const policy_rule *rule; /* NULL for policy findings */
	enum policy_mode mode; /* the rule's effective mode */
	enum finding_action action;
	bool in_kernel; /* the action was taken by the probe, before the first instruction */

	bool has_process;
	struct finding_process process;
	size_t n_ancestors;
	struct finding_ancestor ancestors[FINDING_CHAIN_MAX];

	char detail[FINDING_DETAIL_MAX]; /* for policy findings: what was wrong */

	/* For check findings: the result, with its reason and evidence; not owned. */
	const struct check_result *check;
};

const char *finding_kind_to_string(enum finding_kind k);
const char *finding_action_to_string(enum finding_action a);

#endif
