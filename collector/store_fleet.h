/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet view's store: the current state of every device and every rule
 * on it, kept at ingest in the transaction that stores the records
 * (store_fleet.c), daily roll-ups so that trends stay cheap for years,
 * exemptions, and retention; and the questions the fleet pages ask
 * (store_fleet_query.c).  Times are ms since the epoch.
 *
 * A device's status, as of now:
 *   online   a snapshot came within two of its snapshot intervals
 *   stopped  its agent said it stopped, and nothing came since
 *   asleep   it said it went to sleep, and nothing came since
 *   silent   none of the above, for less than FLEET_MISSING_MS
 *   missing  nothing for FLEET_MISSING_MS or more
 *   never    enrolled (or seen) but no snapshot ever
 * Compliance is counted over the devices that are not missing, retired or
 * revoked and have sent a snapshot: noncompliant while a rule fails that is
 * not exempt.
 */
#ifndef POSTURED_COLLECTOR_STORE_FLEET_H
#define POSTURED_COLLECTOR_STORE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "facts.h"
#include "record.h"
#include "store.h"

#define FLEET_MISSING_MS	   (30LL * 86400 * 1000)
#define FLEET_DEFAULT_INTERVAL_SEC 900 /* the agent's default snapshot interval */
#define FLEET_TREND_DAYS	   30
#define FLEET_PAGE_MAX		   1000 /* rows of one page; a CSV export is not paged */

enum fleet_status {
	FLEET_ONLINE,
	FLEET_STOPPED,
	FLEET_ASLEEP,
	FLEET_SILENT,
	FLEET_MISSING,
	FLEET_NEVER,
	_FLEET_STATUS_MAX,
};

const char *fleet_status_name(enum fleet_status s); /* "online", ... */
int fleet_status_from_name(const char *name); /* -EINVAL when unknown */

/* A rule's state on a device, with exemptions applied. */
enum fleet_state {
	FLEET_PASS,
	FLEET_FAIL,
	FLEET_UNKNOWN,
	FLEET_EXEMPT,
	_FLEET_STATE_MAX,
};

/* check_state.state holds a facts_state; read back as a fleet_state, the values must agree. */
_Static_assert(FLEET_PASS == (int)FACTS_PASS && FLEET_FAIL == (int)FACTS_FAIL &&
		       FLEET_UNKNOWN == (int)FACTS_UNKNOWN && FLEET_EXEMPT == (int)_FACTS_STATE_MAX,
	       "fleet_state extends facts_state");

const char *fleet_state_name(enum fleet_state s); /* "pass", "fail", "unknown", "exempt" */
int fleet_state_from_name(const char *name);

enum fleet_compliance {
	FLEET_COMPLIANCE_NONE, /* no snapshot, or missing: not counted */
	FLEET_COMPLIANT,
	FLEET_NONCOMPLIANT,
};

/* --- at ingest (store.c calls these inside store_batch()'s transaction) --------------------- */

/*
 * Applies the facts of a record just stored for device_id (seq its
 * sequence number, now the time it was received).  A snapshot older than
 * the newest applied is not applied.  Returns 0 or -errno.
 */
int store_fleet_apply(struct store *s, const char *device_id, int64_t seq, int64_t now,
		      const struct facts *f);

/*
 * The texts of the policy the collector serves (rules[n]): they are what
 * the fleet view shows of those rules, whatever devices' snapshots say.
 * Replaces the previous policy's.  Returns 0 or -errno.
 */
int store_fleet_policy_rules(struct store *s, const struct facts_rule *rules, size_t n,
			     int64_t now);

/* Writes today's time and loss figures the batch's records added up (at its end): 0 or -errno. */
int store_fleet_flush_day(struct store *s, int64_t now);

/* --- maintenance (the collector's timer) --------------------------------------------------- */

/* Writes today's (UTC) roll-up rows from the current state.  Returns 0 or -errno. */
int store_fleet_rollup(struct store *s, int64_t now);

/*
 * Deletes at most batch records received before cutoff, oldest first;
 * the number deleted in *ret_deleted (fewer than batch: nothing more is
 * due; rules no device has and none reported since cutoff go then).
 * State, roll-ups and exemptions stay.
 */
int store_fleet_expire(struct store *s, int64_t cutoff, unsigned batch, unsigned *ret_deleted);

/* --- questions (store_fleet_query.c) ---------------------------------------------------------- */

struct fleet_day {
	int64_t day; /* days since the epoch, UTC */
	int64_t compliant, noncompliant; /* devices */
	int64_t pass, fail, unknown, exempt; /* rule states, for one rule's trend */
};

struct fleet_summary {
	int64_t devices; /* not retired or revoked */
	int64_t status[_FLEET_STATUS_MAX];
	int64_t compliant, noncompliant; /* see the header comment */
	int64_t retired, revoked;
	/* The last FLEET_TREND_DAYS days: time the agents accounted for, and records lost. */
	int64_t watched_seconds, asleep_seconds, stopped_seconds, lost_records;
	struct fleet_day trend[FLEET_TREND_DAYS]; /* oldest first; days without a roll-up left out */
	size_t n_trend;
};

int store_fleet_summary(struct store *s, int64_t now, struct fleet_summary *ret);

struct fleet_rule {
	char id[FACTS_ID_MAX];
	char title[FACTS_NAME_MAX];
	char severity[16];
	char type[16];
	char message[FACTS_TEXT_MAX];
	char remediation[FACTS_TEXT_MAX];
	int64_t count[_FLEET_STATE_MAX]; /* devices counted for compliance, by state */
	int64_t last_seen; /* the last snapshot that had it */
};

/* Every rule some counted device has, least compliant first (most failing, then unknown). */
int store_fleet_rules(struct store *s, int64_t now,
		      int (*cb)(const struct fleet_rule *r, void *userdata), void *userdata);

/* One rule: 0, -ENOENT.  Its trend (oldest first) in days[n_days] when days is not NULL. */
int store_fleet_rule(struct store *s, int64_t now, const char *rule_id, struct fleet_rule *ret,
		     struct fleet_day *days, size_t n_days, size_t *ret_n);

struct fleet_device {
	char device_id[DEVICE_ID_LEN + 1];
	char hostname[FACTS_NAME_MAX];
	char os[FACTS_NAME_MAX];
	char agent_version[64];
	char owner[FACTS_NAME_MAX];
	char serial[FACTS_NAME_MAX]; /* hardware serial or asset tag, set by IT */
	char policy_id[FACTS_ID_MAX];
	int64_t policy_serial;
	enum fleet_status status;
	enum fleet_compliance compliance;
	int64_t failing; /* rules failing, not exempt */
	int64_t first_seen, last_seen, last_snapshot; /* last_snapshot: when it came */
	int64_t interval_seconds;
	int64_t watched_per_mille; /* of the last snapshot's interval; -1 unknown */
	int64_t records_lost; /* in the spool, before they could be sent (loss records) */
	int64_t kernel_lost; /* by the probes, ring buffer full (the newest snapshot) */
	bool agent_healthy;
	char key_storage[16];
	/* The enrollment's view (store_identity.c); state "" for a device enrolled by hand. */
	char identity_state[16];
	int64_t enrolled, cert_not_after;
	char cert_serial[65];
	/* With fleet_device_filter.rule: that rule's state on this device. */
	enum fleet_state rule_state;
	int64_t rule_since;
	char rule_reason[FACTS_TEXT_MAX];
};

struct fleet_device_filter {
	const char *q; /* host name, device id, owner or serial contains it; NULL: any */
	int status; /* enum fleet_status; -1: any */
	int compliance; /* enum fleet_compliance; -1: any */
	const char *rule; /* devices that have this rule ... */
	int rule_state; /* ... in this enum fleet_state; -1: any */
	int64_t offset, limit; /* limit 0: all (the CSV export) */
};

/*
 * The devices that match filter, by host name; *ret_total (when not NULL)
 * counts all that match, whatever offset and limit.
 */
int store_fleet_devices(struct store *s, int64_t now, const struct fleet_device_filter *filter,
			int (*cb)(const struct fleet_device *d, void *userdata), void *userdata,
			int64_t *ret_total);

/* One device: 0, -ENOENT. */
int store_fleet_device(struct store *s, int64_t now, const char *device_id,
		       struct fleet_device *ret);

struct fleet_check {
	char rule_id[FACTS_ID_MAX];
	char title[FACTS_NAME_MAX];
	char severity[16];
	enum fleet_state state; /* with exemptions */
	enum fleet_state reported; /* what the device said */
	int64_t since; /* when it last changed, by the device's clock */
	int64_t previous; /* enum fleet_state before, -1 none */
	char reason[FACTS_TEXT_MAX];
	char message[FACTS_TEXT_MAX];
	char remediation[FACTS_TEXT_MAX];
	int64_t exemption_id; /* 0 none */
	int64_t exemption_expires;
};

/* Every rule's state on device_id: failing first, then unknown, exempt, passing. */
int store_fleet_device_checks(struct store *s, int64_t now, const char *device_id,
			      int (*cb)(const struct fleet_check *c, void *userdata),
			      void *userdata);

/* The device's newest records of class class_uid (0: any), newest first. */
int store_fleet_device_records(struct store *s, const char *device_id, int64_t class_uid,
			       unsigned limit,
			       int (*cb)(int64_t received, int64_t time, int64_t class_uid,
					 const char *json, size_t size, void *userdata),
			       void *userdata);

struct fleet_exemption {
	int64_t id;
	char device_id[DEVICE_ID_LEN + 1]; /* "" for every device */
	char rule_id[FACTS_ID_MAX];
	char reason[FACTS_TEXT_MAX];
	int64_t created, expires, revoked; /* revoked 0: not */
	char created_by[FACTS_NAME_MAX], revoked_by[FACTS_NAME_MAX];
};

/*
 * Records an exemption (device_id NULL: every device) of rule_id until
 * expires, with reason, by actor, and its audit row.  Returns 0 and its id
 * in *ret_id; -EINVAL when expires is not after now.
 */
int store_fleet_exempt(struct store *s, const char *device_id, const char *rule_id,
		       const char *reason, int64_t expires, const char *actor, int64_t now,
		       int64_t *ret_id);

/* Ends exemption id now: 0, -ENOENT, -EALREADY when it has ended. */
int store_fleet_exemption_revoke(struct store *s, int64_t id, const char *actor, int64_t now);

/* The exemptions in force at now (all, with all), newest first; of device_id or rule_id only when given. */
int store_fleet_exemptions(struct store *s, int64_t now, bool all, const char *device_id,
			   const char *rule_id,
			   int (*cb)(const struct fleet_exemption *e, void *userdata),
			   void *userdata);

/* The owner IT set for device_id into buf ("" when none).  Returns 0 or -errno. */
int store_fleet_owner(struct store *s, const char *device_id, char *buf, size_t size);

/* Sets the owner and the serial IT knows a device by (NULL: leave as is), with an audit row. */
int store_fleet_set_owner(struct store *s, const char *device_id, const char *owner,
			  const char *serial, const char *actor, int64_t now);

#endif
