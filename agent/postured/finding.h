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

#include "probes/events.h"
#include "basic/time-util.h"
#include "decode.h"
#include "policy.h"

struct check_result;

enum finding_kind {
	FINDING_PROCESS_DENIED, /* a denied program ran or tried to */
	FINDING_REQUIRE_ABSENT, /* a required program is not running after its grace */
	FINDING_REQUIRE_RETURNED, /* ... and now it runs again */
	FINDING_POLICY_INVALID, /* a new policy was refused; the old one stays */
	FINDING_CHECK_FAILING, /* a posture check fails (or cannot tell) */
	FINDING_CHECK_PASSING, /* ... and passes again */
	FINDING_NETWORK, /* traffic a network rule is about: a connection, datagram, bind or listener */
};

enum finding_action {
	FINDING_ACTION_NONE, /* nothing done: a state, not an event */
	FINDING_ACTION_REPORTED, /* monitor mode: seen and reported */
	FINDING_ACTION_KILLED, /* stopped: before its first instruction when in_kernel */
	FINDING_ACTION_KILL_FAILED,
	FINDING_ACTION_GONE, /* enforce mode, but it had ended before it could be stopped */
	FINDING_ACTION_DENIED, /* the exec was refused (BPF LSM, EPERM): it never started */
};

/* How the connections a network finding stands for ended (TCP connects; others: none). */
enum finding_outcome {
	FINDING_OUTCOME_NONE, /* not a TCP connect, refused by the agent, or not known */
	FINDING_OUTCOME_ESTABLISHED,
	FINDING_OUTCOME_REFUSED, /* the other end refused (RST) */
	FINDING_OUTCOME_TIMED_OUT,
	FINDING_OUTCOME_FAILED, /* another error */
	FINDING_OUTCOME_UNKNOWN, /* the probe could not follow it to its end */
	_FINDING_OUTCOME_MAX,
};

/* The first destinations a scan finding names (the kernel keeps as many). */
#define FINDING_NET_SAMPLES_MAX 4

struct finding_network {
	enum policy_net_direction direction;
	uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family; /* AF_INET or AF_INET6 */
	bool has_local, has_remote; /* whether the addresses below are known */
	uint8_t local_addr[16], remote_addr[16]; /* network byte order; IPv4 in the first 4 */
	uint16_t local_port, remote_port;
	/* How many attempts this finding stands for (1, or more when repeats were aggregated). */
	uint64_t count;
	uint64_t outcomes[_FINDING_OUTCOME_MAX]; /* of those, how each ended, where known */
	usec_t first_real, last_real; /* CLOCK_REALTIME of the first and last attempt */
	bool has_owner; /* the socket's owner is known (without a process: inbound) */
	uint32_t owner_uid;
	bool aggregated; /* a summary of repeats of an earlier finding */
	bool preexisting; /* a listener found already open (start-up, new policy) */
	/*
	 * More than one destination under the rule (a scan, a sweep of
	 * addresses): the program's whole run of them so far, the first
	 * attempt's (the addresses above) included.
	 */
	bool scan;
	bool scan_partial; /* the kernel ran out of room to tell new ones: at least these */
	uint64_t scan_attempts;
	uint32_t scan_ports, scan_addrs;
	size_t n_samples;
	struct finding_net_sample {
		uint8_t family;
		uint8_t addr[16];
		uint16_t port;
	} samples[FINDING_NET_SAMPLES_MAX];
};

#define FINDING_CHAIN_MAX  4
#define FINDING_DETAIL_MAX 1024

struct finding_process {
	uint32_t pid, ppid, uid, gid;
	nsec_t start_boot;
	char path[EVENT_PATH_LEN];
	char name[EVENT_NAME_LEN]; /* the executable's file name; comm when the path is unknown */
	char sha256[65]; /* empty when not computed */
	char cmd_line[EVENT_ARGS_LEN + 1]; /* empty when not collected */
	unsigned location; /* POLICY_LOCATION_* found at exec (or from /proc) */
	char script[EVENT_PATH_LEN]; /* a #! script as started (path is its interpreter); or empty */
	char stdin_from[EVENT_NAME_LEN]; /* who writes into the pipe on its stdin; empty: none known */
	bool has_stdio; /* stdio below is the kernel's account at exec */
	struct decoded_stdio stdio[3];
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

	/* For network findings. */
	bool has_network;
	struct finding_network network;
};

/* The location keywords (POLICY_LOCATION_*) of the kernel's exec facts (event_exec.facts). */
static inline unsigned finding_exec_location(uint32_t facts)
{
	return (facts & 1U << EVENT_FACT_MEMORY ? POLICY_LOCATION_MEMORY : 0) |
	       (facts & 1U << EVENT_FACT_WORLD_WRITABLE ? POLICY_LOCATION_WORLD_WRITABLE : 0);
}

/*
 * Names the process of a finding: the file name of its executable at path
 * (which a process cannot change) when path is known, else comm (what it
 * calls itself, EVENT_COMM_LEN bytes at most, NUL-terminated).
 */
void finding_process_set_name(struct finding_process *p, const char *path, const char *comm);

const char *finding_kind_to_string(enum finding_kind k);

/*
 * What a finding says of its rule, as posturectl status counts it: the
 * kind, except that a check that could not tell is "check_unknown", not
 * "check_failing" (its record's kind, with compliance.status_id 0).
 */
const char *finding_state_to_string(const struct finding *f);

/*
 * The daemon's log line for a finding about a rule, without the final
 * period, into buf: "Rule ID: STATE (pid N, PATH): ACTION" for a process,
 * "Rule ID: STATE: REASON" for a check with a reason, "Rule ID: STATE"
 * otherwise.  Returns buf; "" when the finding is about no rule.
 */
char *finding_log_line(const struct finding *f, char *buf, size_t size);
const char *finding_action_to_string(enum finding_action a);
const char *finding_outcome_to_string(enum finding_outcome o);

#endif
