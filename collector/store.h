/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's store, on SQLite (the embedded default: one collector, one
 * file) or PostgreSQL (several collectors sharing it).  A batch is
 * acknowledged only once it is committed to disk (SQLite's
 * synchronous=FULL, PostgreSQL's synchronous commit), so a power cut cannot
 * take back a commit an agent has already dropped from its spool.
 */
#ifndef POSTURED_COLLECTOR_STORE_H
#define POSTURED_COLLECTOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/cleanup.h"
#include "record.h"

struct store;

/*
 * Opens the database spec names (db.h: "postgresql://...", "sqlite:PATH" or
 * a path) and creates or brings up to date its schema.  Returns 0 or
 * -errno (-EPROTONOSUPPORT: written by a newer collector; -EUCLEAN: not a
 * database); *ret_error (may be NULL) the engine's message, to be freed.
 */
int store_open(const char *spec, struct store **ret, char **ret_error);
struct store *store_free(struct store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct store *, store_free);

/* What a batch's caller does inside its transaction, after the inserts and before the commit. */
struct store_batch_hook {
	/* fresh[i]: records[i] was not stored before.  A negative return rolls the batch back. */
	int (*before_commit)(const struct record *records, const bool *fresh, size_t n,
			     void *userdata);
	void *userdata;
};

/*
 * Stores records[n] for device_id in one transaction, ignoring those already
 * stored (same device, boot_uid and seq), and records the contact in the
 * devices table.  now_ms is the realtime in milliseconds, address the peer's
 * address as text (may be NULL), hook (may be NULL) called before the
 * commit.  On success returns 0 and the highest seq stored for the device in
 * *ret_acked_seq; on failure nothing of the batch is stored and -errno is
 * returned (-ENOSPC when the disk is full).
 */
int store_batch(struct store *s, const char *device_id, const char *address, int64_t now_ms,
		const struct record *records, size_t n, const struct store_batch_hook *hook,
		int64_t *ret_acked_seq);

/* The engine's message for the last failure, for the caller's log line. */
const char *store_last_error(struct store *s);

/* The database, without a password, for log lines. */
const char *store_describe(struct store *s);

/*
 * Whether this collector runs the jobs all collectors of one store share
 * (job: "upkeep"): 1 yes, 0 another one holds them, or -errno.  SQLite has
 * one collector, which always does; on PostgreSQL it is whichever holds an
 * advisory lock, kept until its connection ends.
 */
int store_job_lock(struct store *s, const char *job);

/* The tables' own upkeep (PostgreSQL: the record partitions ahead of now_ms). */
int store_maintain(struct store *s, int64_t now_ms);

/* --- identities: enrollment, renewal, revocation (store_identity.c) --------------------------- */

/* Where a device stands; a device with no row has a certificate issued outside the collector. */
enum store_device_state {
	STORE_DEVICE_UNKNOWN,
	STORE_DEVICE_ACTIVE,
	STORE_DEVICE_REVOKED,
	STORE_DEVICE_RETIRED,
};

const char *store_device_state_name(enum store_device_state state);

/*
 * Whether a request authenticated by device_id's certificate with serial
 * (lowercase hex, no leading zeros) may be served: 0 yes; -EPERM when the
 * device is revoked or retired or this certificate revoked.
 */
int store_device_access(struct store *s, const char *device_id, const char *serial);

/* An enrollment token as stored: only the SHA-256 of the token itself is kept. */
struct store_token {
	int64_t id;
	char label[128];
	int64_t uses, used;
	int64_t created, expires, revoked; /* ms since the epoch; revoked 0: not revoked */
	bool reenroll; /* may replace the identity of a device already enrolled or revoked */
	char created_by[128];
};

/* Stores a new token; its id in *ret_id.  Returns 0 or -errno. */
int store_token_create(struct store *s, const char *hash_hex, const struct store_token *t,
		       int64_t *ret_id);

/* Revokes token id: 0, -ENOENT when there is none, -EALREADY when it was revoked. */
int store_token_revoke(struct store *s, int64_t id, const char *actor, int64_t now_ms);

/* Calls cb for every token, oldest first; stops at cb's first negative return and returns it. */
int store_token_list(struct store *s, int (*cb)(const struct store_token *t, void *userdata),
		     void *userdata);

/* A certificate the CA signed, to be recorded if the request may have it. */
struct store_enrollment {
	const char *device_id;
	const char *token_hash; /* a first enrollment's token (SHA-256 hex); NULL: none */
	const char *peer_serial; /* the serial of the device's own certificate, when it sent one */
	bool renewal; /* simplereenroll: authenticated by peer_serial alone */
	const char *serial; /* of the new certificate */
	int64_t not_before, not_after;
	const char *key_type; /* "EC P-256", "RSA 3072", ... */
	const char *key_sha256; /* of the public key (SubjectPublicKeyInfo DER), hex */
	const char *address; /* where the request came from */
	int64_t now;
};

/*
 * Decides and records an enrollment in one transaction: a token is
 * consumed, the certificate and the device's identity stored, and the audit
 * row written; on any refusal nothing is.  A device already enrolled (or
 * revoked, or retired) needs its own current certificate (peer_serial) or a
 * re-enroll token; a request with the key of the device's current
 * certificate is a retry whose answer was lost, and needs neither (nor uses
 * a token).  Returns 0; -EACCES when the token is unknown, expired,
 * used up or revoked; -EEXIST when the device id is enrolled and the request
 * has no right to it; -EPERM when the device or the presenting certificate
 * is revoked or retired; or the store's -errno.  reason says which, in words.
 */
int store_enroll(struct store *s, const struct store_enrollment *e, char *reason,
		 size_t reason_size);

/*
 * store_enroll()'s decision alone, before a certificate is made: the same
 * refusals, nothing stored, no token used.
 */
int store_enroll_check(struct store *s, const struct store_enrollment *e, char *reason,
		       size_t reason_size);

/*
 * Whether a token is known, not revoked and not expired (whether it has a
 * use left is store_enroll()'s to say, with the rest): 0, or -EACCES with
 * reason.
 */
int store_token_usable(struct store *s, const char *hash_hex, int64_t now_ms, char *reason,
		       size_t reason_size);

/* A device's identity as the enrollment tables know it. */
struct store_identity {
	char device_id[DEVICE_ID_LEN + 1];
	enum store_device_state state;
	int64_t enrolled, changed, not_after, last_seen; /* 0: never / none */
	char serial[65]; /* the current certificate */
	char key_type[32];
};

/* Calls cb for every device with an identity or a contact, by device id. */
int store_device_list(struct store *s, int (*cb)(const struct store_identity *d, void *userdata),
		      void *userdata);

/*
 * Revokes or retires device_id (a row is made for a device enrolled outside
 * the collector) and revokes its certificates, with an audit row.  Returns
 * 0, or -EALREADY when it already is in that state.
 */
int store_device_set_state(struct store *s, const char *device_id, enum store_device_state state,
			   const char *actor, int64_t now_ms);

/* Calls cb for every revoked certificate not yet expired at now_ms (a CRL's entries). */
int store_crl_list(struct store *s, int64_t now_ms,
		   int (*cb)(const char *serial, int64_t revoked, enum store_device_state why,
			     void *userdata),
		   void *userdata);

/* One row of the audit: who did what to which device, and when. */
struct store_audit {
	int64_t time;
	const char *action; /* enroll, re-enroll, re-issue, renew, revoke, retire, token-... */
	const char *device_id; /* NULL for a token's rows */
	const char *actor;
	const char *detail;
};

/* Calls cb for every audit row (of device_id only, unless NULL), oldest first. */
int store_audit_list(struct store *s, const char *device_id,
		     int (*cb)(const struct store_audit *a, void *userdata), void *userdata);

#endif
