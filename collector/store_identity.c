// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store's identity tables: which devices the collector's CA enrolled,
 * the certificates it issued, the enrollment tokens (as SHA-256 only), and
 * the audit of every enrollment, renewal, revocation and token change.
 * Decisions that must not race (a token's last use, a device id taken
 * twice) are made inside one transaction with their effects, one at a
 * time across collectors (store_begin_serialized(): SQLite's BEGIN
 * IMMEDIATE, PostgreSQL's advisory transaction lock).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "basic/time-util.h"
#include "store-internal.h"

static const char *const state_names[] = {
	[STORE_DEVICE_UNKNOWN] = "unknown",
	[STORE_DEVICE_ACTIVE] = "active",
	[STORE_DEVICE_REVOKED] = "revoked",
	[STORE_DEVICE_RETIRED] = "retired",
};

const char *store_device_state_name(enum store_device_state state)
{
	return (unsigned)state < ELEMENTSOF(state_names) ? state_names[state] : "unknown";
}

static enum store_device_state state_from_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(state_names); i++)
		if (strcmp(name, state_names[i]) == 0)
			return (enum store_device_state)i;
	return STORE_DEVICE_UNKNOWN;
}

int store_audit_add(struct store *s, int64_t now, const char *action, const char *device_id,
		    const char *actor, const char *detail)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "INSERT INTO audit (time, action, device_id, actor, detail)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, now);
	db_bind_text(stmt, 2, action);
	if (device_id)
		db_bind_text(stmt, 3, device_id);
	db_bind_text(stmt, 4, actor);
	db_bind_text(stmt, 5, detail ? detail : "");
	return db_run(stmt);
}

int store_device_access(struct store *s, const char *device_id, const char *serial)
{
	struct db_stmt *stmt = s->select_access;
	int rc, refused = 0;

	db_bind_text(stmt, 1, device_id);
	db_bind_text(stmt, 2, serial);
	rc = db_step(stmt);
	if (rc == 1)
		refused = db_column_int64(stmt, 0);
	db_reset(stmt);
	if (rc != 1)
		return rc;
	return refused ? -EPERM : 0;
}

int store_token_create(struct store *s, const char *hash_hex, const struct store_token *t,
		       int64_t *ret_id)
{
	char detail[256], when[TIMESTAMP_UTC_MAX];
	int r;

	r = store_begin_serialized(s, "identity");
	if (r < 0)
		return r;
	{
		_cleanup_stmt_ struct db_stmt *stmt = NULL;

		r = store_cached(s,
				 "INSERT INTO enroll_tokens"
				 " (hash, label, uses, reenroll, created, created_by, expires)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
				 &stmt);
		if (r >= 0) {
			db_bind_text(stmt, 1, hash_hex);
			db_bind_text(stmt, 2, t->label);
			db_bind_int64(stmt, 3, t->uses);
			db_bind_int64(stmt, 4, t->reenroll);
			db_bind_int64(stmt, 5, t->created);
			db_bind_text(stmt, 6, t->created_by);
			db_bind_int64(stmt, 7, t->expires);
			r = db_step(stmt);
			if (r > 0)
				*ret_id = db_column_int64(stmt, 0);
			else if (r == 0)
				r = -EIO;
		}
	}
	if (r >= 0) {
		snprintf(detail, sizeof(detail),
			 "token %" PRId64 " '%s': %" PRId64 " use(s), until %s%s", *ret_id,
			 t->label, t->uses, format_timestamp_utc(when, t->expires),
			 t->reenroll ? ", re-enroll" : "");
		r = store_audit_add(s, t->created, "token-create", NULL, t->created_by, detail);
	}
	return store_end(s, r);
}

int store_token_revoke(struct store *s, int64_t id, const char *actor, int64_t now_ms)
{
	char detail[64];
	int r;

	r = store_begin_serialized(s, "identity");
	if (r < 0)
		return r;
	{
		_cleanup_stmt_ struct db_stmt *stmt = NULL;

		r = store_cached(s, "SELECT revoked IS NOT NULL FROM enroll_tokens WHERE id = ?1",
				 &stmt);
		if (r >= 0) {
			int rc;

			db_bind_int64(stmt, 1, id);
			rc = db_step(stmt);
			r = rc == 0			  ? -ENOENT :
			    rc != 1			  ? rc :
			    db_column_int64(stmt, 0) != 0 ? -EALREADY :
							    0;
		}
	}
	if (r >= 0) {
		_cleanup_stmt_ struct db_stmt *stmt = NULL;

		r = store_cached(s, "UPDATE enroll_tokens SET revoked = ?2 WHERE id = ?1", &stmt);
		if (r >= 0) {
			db_bind_int64(stmt, 1, id);
			db_bind_int64(stmt, 2, now_ms);
			r = db_run(stmt);
		}
	}
	if (r >= 0) {
		snprintf(detail, sizeof(detail), "token %" PRId64, id);
		r = store_audit_add(s, now_ms, "token-revoke", NULL, actor, detail);
	}
	return store_end(s, r);
}

int store_token_usable(struct store *s, const char *hash_hex, int64_t now_ms, char *reason,
		       size_t reason_size)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(
		s, "SELECT revoked IS NOT NULL, expires FROM enroll_tokens WHERE hash = ?1", &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, hash_hex);
	rc = db_step(stmt);
	if (rc == 0) {
		snprintf(reason, reason_size, "the enrollment token is not known");
		return -EACCES;
	}
	if (rc != 1)
		return rc;
	if (db_column_int64(stmt, 0)) {
		snprintf(reason, reason_size, "the enrollment token was revoked");
		return -EACCES;
	}
	if (db_column_int64(stmt, 1) <= now_ms) {
		snprintf(reason, reason_size, "the enrollment token has expired");
		return -EACCES;
	}
	return 0;
}

int store_token_list(struct store *s, int (*cb)(const struct store_token *t, void *userdata),
		     void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(
		s,
		"SELECT id, label, uses, used, created, expires, COALESCE(revoked, 0), reenroll,"
		" created_by FROM enroll_tokens ORDER BY id",
		&stmt);
	if (r < 0)
		return r;
	while ((rc = db_step(stmt)) == 1) {
		struct store_token t = {
			.id = db_column_int64(stmt, 0),
			.uses = db_column_int64(stmt, 2),
			.used = db_column_int64(stmt, 3),
			.created = db_column_int64(stmt, 4),
			.expires = db_column_int64(stmt, 5),
			.revoked = db_column_int64(stmt, 6),
			.reenroll = db_column_int64(stmt, 7) != 0,
		};

		store_copy_text(t.label, sizeof(t.label), store_column_text(stmt, 1));
		store_copy_text(t.created_by, sizeof(t.created_by), store_column_text(stmt, 8));
		r = cb(&t, userdata);
		if (r < 0)
			return r;
	}
	return rc;
}

/* The token's right to enroll, checked and used; *ret_actor names it for the audit. */
static int enroll_take_token(struct store *s, const struct store_enrollment *e, bool dry,
			     bool *ret_reenroll, char *actor, size_t actor_size, char *reason,
			     size_t reason_size)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL, *use = NULL;
	int64_t id;
	int rc, r;

	r = store_cached(s,
			 "SELECT id, label, uses, used, expires, revoked IS NOT NULL, reenroll"
			 " FROM enroll_tokens WHERE hash = ?1",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, e->token_hash);
	rc = db_step(stmt);
	if (rc == 0) {
		snprintf(reason, reason_size, "the enrollment token is not known");
		return -EACCES;
	}
	if (rc != 1)
		return rc;
	id = db_column_int64(stmt, 0);
	if (db_column_int64(stmt, 5)) {
		snprintf(reason, reason_size, "the enrollment token was revoked");
		return -EACCES;
	}
	if (db_column_int64(stmt, 4) <= e->now) {
		snprintf(reason, reason_size, "the enrollment token has expired");
		return -EACCES;
	}
	if (db_column_int64(stmt, 3) >= db_column_int64(stmt, 2)) {
		snprintf(reason, reason_size, "the enrollment token is used up");
		return -EACCES;
	}
	*ret_reenroll = db_column_int64(stmt, 6) != 0;
	snprintf(actor, actor_size, "token %" PRId64 " '%s'", id, store_column_text(stmt, 1));
	if (dry)
		return 0;

	/* Never past its uses, whatever raced: the decision's lock, and this condition. */
	r = store_cached(
		s, "UPDATE enroll_tokens SET used = used + 1 WHERE id = ?1 AND used < uses", &use);
	if (r < 0)
		return r;
	db_bind_int64(use, 1, id);
	r = db_run(use);
	if (r >= 0 && db_changes(s->db) != 1) {
		snprintf(reason, reason_size, "the enrollment token is used up");
		return -EACCES;
	}
	return r;
}

/* The device's state, and whether it ever reported or enrolled. */
static int enroll_device_state(struct store *s, const char *device_id,
			       enum store_device_state *ret_state, bool *ret_known)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT (SELECT state FROM identities WHERE device_id = ?1),"
			 " EXISTS (SELECT 1 FROM devices WHERE device_id = ?1)",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, device_id);
	rc = db_step(stmt);
	if (rc != 1)
		return rc == 0 ? -EIO : rc;
	*ret_state = state_from_name(db_column_text(stmt, 0));
	*ret_known = *ret_state != STORE_DEVICE_UNKNOWN || db_column_int64(stmt, 1) != 0;
	return 0;
}

/*
 * Whether the request's key is the one of the device's current certificate:
 * a laptop whose answer was lost retries with the same key, and holding it
 * proves as much as presenting the certificate would.
 */
static int enroll_same_key(struct store *s, const struct store_enrollment *e)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT 1 FROM identities i JOIN certificates c ON c.serial = i.serial"
			 " WHERE i.device_id = ?1 AND i.state = 'active' AND c.revoked IS NULL"
			 "  AND c.key_sha256 = ?2 AND c.not_after > ?3",
			 &stmt);
	if (r < 0)
		return r;
	/* Only while that certificate is valid: an expired one's key renews nothing. */
	db_bind_text(stmt, 1, e->device_id);
	db_bind_text(stmt, 2, e->key_sha256);
	db_bind_int64(stmt, 3, e->now);
	rc = db_step(stmt);
	return rc == 1 ? 1 : rc == 0 ? 0 : rc;
}

/* Whether the certificate the device presented is one the collector revoked. */
static int enroll_peer_revoked(struct store *s, const char *serial)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT revoked IS NOT NULL FROM certificates WHERE serial = ?1",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_text(stmt, 1, serial);
	rc = db_step(stmt);
	if (rc == 0)
		return 0;
	if (rc != 1)
		return rc;
	return db_column_int64(stmt, 0);
}

static int enroll_record(struct store *s, const struct store_enrollment *e, const char *action,
			 const char *actor)
{
	_cleanup_stmt_ struct db_stmt *cert = NULL, *identity = NULL;
	char detail[256], when[TIMESTAMP_UTC_MAX];
	int r;

	r = store_cached(s,
			 "INSERT INTO certificates"
			 " (serial, device_id, issued, not_before, not_after, key_type, key_sha256)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			 &cert);
	if (r < 0)
		return r;
	db_bind_text(cert, 1, e->serial);
	db_bind_text(cert, 2, e->device_id);
	db_bind_int64(cert, 3, e->now);
	db_bind_int64(cert, 4, e->not_before);
	db_bind_int64(cert, 5, e->not_after);
	db_bind_text(cert, 6, e->key_type);
	db_bind_text(cert, 7, e->key_sha256);
	r = db_run(cert);
	if (r < 0)
		return r;

	r = store_cached(s,
			 "INSERT INTO identities"
			 " (device_id, state, enrolled, changed, serial, not_after, key_type)"
			 " VALUES (?1, 'active', ?2, ?2, ?3, ?4, ?5)"
			 " ON CONFLICT (device_id) DO UPDATE SET"
			 "  state = 'active', changed = excluded.changed,"
			 "  enrolled = CASE WHEN identities.state = 'active'"
			 "   THEN COALESCE(identities.enrolled, excluded.enrolled)"
			 "   ELSE excluded.enrolled END,"
			 "  serial = excluded.serial, not_after = excluded.not_after,"
			 "  key_type = excluded.key_type",
			 &identity);
	if (r < 0)
		return r;
	db_bind_text(identity, 1, e->device_id);
	db_bind_int64(identity, 2, e->now);
	db_bind_text(identity, 3, e->serial);
	db_bind_int64(identity, 4, e->not_after);
	db_bind_text(identity, 5, e->key_type);
	r = db_run(identity);
	if (r < 0)
		return r;

	snprintf(detail, sizeof(detail), "serial %s, %s, until %s, from %s", e->serial, e->key_type,
		 format_timestamp_utc(when, e->not_after), e->address ? e->address : "unknown");
	return store_audit_add(s, e->now, action, e->device_id, actor, detail);
}

/* The decision, and unless dry its effects. */
static int enroll_decide(struct store *s, const struct store_enrollment *e, bool dry, char *reason,
			 size_t reason_size)
{
	enum store_device_state state = STORE_DEVICE_UNKNOWN;
	bool known = false, reenroll = false;
	char actor[192];
	const char *action;
	int r;

	if (e->peer_serial) {
		r = enroll_peer_revoked(s, e->peer_serial);
		if (r < 0)
			return r;
		if (r > 0) {
			snprintf(reason, reason_size, "this device certificate is revoked");
			return -EPERM;
		}
		snprintf(actor, sizeof(actor), "certificate %s", e->peer_serial);
	}
	r = e->peer_serial ? 0 : enroll_same_key(s, e);
	if (r < 0)
		return r;
	if (r > 0) {
		/* A retry: the token, if any, is not used again. */
		snprintf(actor, sizeof(actor), "the key of its current certificate");
		return dry ? 0 : enroll_record(s, e, "re-issue", actor);
	}
	if (e->token_hash) {
		r = enroll_take_token(s, e, dry, &reenroll, actor, sizeof(actor), reason,
				      reason_size);
		if (r < 0)
			return r;
	} else if (!e->peer_serial) {
		snprintf(reason, reason_size,
			 "an enrollment token or a device certificate is needed");
		return -EACCES;
	}

	r = enroll_device_state(s, e->device_id, &state, &known);
	if (r < 0)
		return r;
	if ((state == STORE_DEVICE_REVOKED || state == STORE_DEVICE_RETIRED) && !reenroll) {
		snprintf(reason, reason_size,
			 "device %s is %s; only a re-enroll token can enroll it again",
			 e->device_id, store_device_state_name(state));
		return -EPERM;
	}
	if (known && !e->peer_serial && !reenroll) {
		snprintf(reason, reason_size,
			 "device %s is already enrolled; renew with its current certificate or use "
			 "a re-enroll token",
			 e->device_id);
		return -EEXIST;
	}
	action = e->renewal ? "renew" : known ? "re-enroll" : "enroll";
	return dry ? 0 : enroll_record(s, e, action, actor);
}

int store_enroll(struct store *s, const struct store_enrollment *e, char *reason,
		 size_t reason_size)
{
	int r;

	reason[0] = '\0';
	r = store_begin_serialized(s, "identity");
	if (r < 0)
		return r;
	r = enroll_decide(s, e, false, reason, reason_size);
	r = store_end(s, r);
	if (r < 0 && !reason[0])
		snprintf(reason, reason_size, "the collector cannot store the enrollment: %s",
			 store_last_error(s));
	return r;
}

int store_enroll_check(struct store *s, const struct store_enrollment *e, char *reason,
		       size_t reason_size)
{
	int r, rb;

	reason[0] = '\0';
	r = store_begin_serialized(s, "identity");
	if (r < 0)
		return r;
	r = enroll_decide(s, e, true, reason, reason_size);
	/* Nothing to keep: the decision only. */
	rb = store_end(s, -ECANCELED);
	if (r >= 0 && rb != -ECANCELED && rb < 0)
		r = rb;
	if (r < 0 && !reason[0])
		snprintf(reason, reason_size, "the collector cannot check the enrollment: %s",
			 store_last_error(s));
	return r;
}

int store_device_list(struct store *s, int (*cb)(const struct store_identity *d, void *userdata),
		      void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	/* Devices that reported with an outside certificate, and those enrolled that never did. */
	r = store_cached(
		s,
		"SELECT d.device_id, i.state, COALESCE(i.enrolled, 0), COALESCE(i.changed, 0),"
		" COALESCE(i.not_after, 0), COALESCE(c.last_seen, 0), i.serial, i.key_type"
		" FROM (SELECT device_id FROM identities UNION SELECT device_id FROM devices) d"
		" LEFT JOIN identities i USING (device_id)"
		" LEFT JOIN devices c USING (device_id)"
		" ORDER BY d.device_id",
		&stmt);
	if (r < 0)
		return r;
	while ((rc = db_step(stmt)) == 1) {
		struct store_identity d = {
			.state = state_from_name(db_column_text(stmt, 1)),
			.enrolled = db_column_int64(stmt, 2),
			.changed = db_column_int64(stmt, 3),
			.not_after = db_column_int64(stmt, 4),
			.last_seen = db_column_int64(stmt, 5),
		};

		store_copy_text(d.device_id, sizeof(d.device_id), store_column_text(stmt, 0));
		store_copy_text(d.serial, sizeof(d.serial), store_column_text(stmt, 6));
		store_copy_text(d.key_type, sizeof(d.key_type), store_column_text(stmt, 7));
		r = cb(&d, userdata);
		if (r < 0)
			return r;
	}
	return rc;
}

static int set_state_in_transaction(struct store *s, const char *device_id,
				    enum store_device_state state, const char *actor,
				    int64_t now_ms)
{
	_cleanup_stmt_ struct db_stmt *get = NULL, *set = NULL, *certs = NULL;
	const char *name = store_device_state_name(state);
	char detail[128];
	int rc, r, n;

	r = store_cached(s, "SELECT state FROM identities WHERE device_id = ?1", &get);
	if (r < 0)
		return r;
	db_bind_text(get, 1, device_id);
	rc = db_step(get);
	if (rc == 1 && state_from_name(store_column_text(get, 0)) == state)
		return -EALREADY;
	if (rc != 1 && rc != 0)
		return rc;

	r = store_cached(s,
			 "INSERT INTO identities (device_id, state, changed) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state,"
			 "  changed = excluded.changed",
			 &set);
	if (r < 0)
		return r;
	db_bind_text(set, 1, device_id);
	db_bind_text(set, 2, name);
	db_bind_int64(set, 3, now_ms);
	r = db_run(set);
	if (r < 0)
		return r;

	r = store_cached(s,
			 "UPDATE certificates SET revoked = ?2, revoked_why = ?3"
			 " WHERE device_id = ?1 AND revoked IS NULL",
			 &certs);
	if (r < 0)
		return r;
	db_bind_text(certs, 1, device_id);
	db_bind_int64(certs, 2, now_ms);
	db_bind_text(certs, 3, name);
	r = db_run(certs);
	if (r < 0)
		return r;
	n = db_changes(s->db);
	snprintf(detail, sizeof(detail), "%d certificate(s) revoked", n);
	return store_audit_add(s, now_ms, state == STORE_DEVICE_RETIRED ? "retire" : "revoke",
			       device_id, actor, detail);
}

int store_device_set_state(struct store *s, const char *device_id, enum store_device_state state,
			   const char *actor, int64_t now_ms)
{
	int r;

	if (state != STORE_DEVICE_REVOKED && state != STORE_DEVICE_RETIRED)
		return -EINVAL;
	r = store_begin_serialized(s, "identity");
	if (r < 0)
		return r;
	return store_end(s, set_state_in_transaction(s, device_id, state, actor, now_ms));
}

int store_crl_list(struct store *s, int64_t now_ms,
		   int (*cb)(const char *serial, int64_t revoked, enum store_device_state why,
			     void *userdata),
		   void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT serial, revoked, revoked_why FROM certificates"
			 " WHERE revoked IS NOT NULL AND not_after > ?1 ORDER BY revoked, serial",
			 &stmt);
	if (r < 0)
		return r;
	db_bind_int64(stmt, 1, now_ms);
	while ((rc = db_step(stmt)) == 1) {
		r = cb(store_column_text(stmt, 0), db_column_int64(stmt, 1),
		       state_from_name(store_column_text(stmt, 2)), userdata);
		if (r < 0)
			return r;
	}
	return rc;
}

int store_audit_list(struct store *s, const char *device_id,
		     int (*cb)(const struct store_audit *a, void *userdata), void *userdata)
{
	_cleanup_stmt_ struct db_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT time, action, device_id, actor, detail FROM audit"
			 " WHERE CAST(?1 AS TEXT) IS NULL OR device_id = ?1 ORDER BY id",
			 &stmt);
	if (r < 0)
		return r;
	if (device_id)
		db_bind_text(stmt, 1, device_id);
	while ((rc = db_step(stmt)) == 1) {
		struct store_audit a = {
			.time = db_column_int64(stmt, 0),
			.action = store_column_text(stmt, 1),
			.device_id = db_column_text(stmt, 2),
			.actor = store_column_text(stmt, 3),
			.detail = store_column_text(stmt, 4),
		};

		r = cb(&a, userdata);
		if (r < 0)
			return r;
	}
	return rc;
}
