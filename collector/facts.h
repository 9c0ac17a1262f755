/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the fleet view keeps of a device, read from the records it sends: a
 * posture snapshot (Device Inventory Info, postured.posture: the device, the
 * agent, the policy and every rule's state, as the employee sees them), a
 * loss record, and the agent's start, stop and suspend (Application
 * Lifecycle).  Pure library code: no I/O, no logging.  The records come
 * from devices, so nothing in them is trusted: every string is cut to a
 * bound, every number checked, and a record that does not have the shape is
 * simply not a fact (it was validated as OCSF and stored already).
 */
#ifndef POSTURED_COLLECTOR_FACTS_H
#define POSTURED_COLLECTOR_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"

/* Bounds on what one record may make the store keep (bytes, with the NUL). */
#define FACTS_ID_MAX	128 /* rule and policy ids */
#define FACTS_NAME_MAX	256 /* host name, OS, titles */
#define FACTS_TEXT_MAX	2048 /* a rule's message, remediation, a check's reason */
#define FACTS_RULES_MAX 1024 /* rules in one snapshot; more are not kept */

enum facts_kind {
	FACTS_NONE, /* nothing the fleet view keeps */
	FACTS_SNAPSHOT,
	FACTS_LOSS,
	FACTS_STARTED,
	FACTS_STOPPED,
	FACTS_SUSPENDED, /* the laptop is going to sleep */
};

/* A rule's state as the fleet view counts it; exempt is decided by the collector, later. */
enum facts_state {
	FACTS_PASS,
	FACTS_FAIL,
	FACTS_UNKNOWN, /* a check that cannot tell, or not run yet */
	_FACTS_STATE_MAX,
};

struct facts_rule {
	char id[FACTS_ID_MAX];
	char title[FACTS_NAME_MAX];
	char severity[16];
	char type[16]; /* process, check, network */
	enum facts_state state;
	int64_t since; /* ms; 0 when the agent did not say */
	char reason[FACTS_TEXT_MAX]; /* a check's reason; "" when none */
	char message[FACTS_TEXT_MAX]; /* in English, as the employee reads it */
	char remediation[FACTS_TEXT_MAX];
};

struct facts_snapshot {
	char hostname[FACTS_NAME_MAX];
	char os[FACTS_NAME_MAX];
	char agent_version[64];
	char policy_id[FACTS_ID_MAX];
	int64_t policy_serial;
	bool agent_healthy;
	int64_t records_lost; /* the agent's running total */
	int64_t interval_seconds; /* the agent's snapshot interval; 0: not said */
	char key_storage[16]; /* tpm, file, "" */
	/* postured.completeness, when present */
	bool has_completeness;
	int64_t since_previous_seconds, watched_seconds, asleep_seconds, stopped_seconds;
	struct facts_rule *rules; /* enabled rules only */
	size_t n_rules;
	bool rules_cut; /* more than FACTS_RULES_MAX */
};

struct facts {
	enum facts_kind kind;
	int64_t time; /* the record's own time, ms */
	union {
		struct facts_snapshot snapshot;
		struct {
			int64_t count; /* since the previous loss record */
			int64_t total; /* lost_total */
		} loss;
	};
};

/*
 * Reads the fleet facts of one stored record (json[size], class class_uid)
 * into *ret.  Returns 1 with *ret filled (free it with facts_done()), 0 when
 * the record holds nothing the fleet view keeps (ret->kind FACTS_NONE),
 * -ENOMEM.
 */
int facts_parse(const char *json, size_t size, int64_t class_uid, struct facts *ret);

void facts_done(struct facts *f);

/* A member of object v (NULL when v is no object or has none), and one that is a string. */
yajl_val facts_json_get(yajl_val v, const char *key);
const char *facts_json_string(yajl_val v, const char *key);

#endif
