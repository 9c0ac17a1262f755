// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store's identity tables: which devices the collector's CA enrolled,
 * the certificates it issued, the enrollment tokens (as SHA-256 only), and
 * the audit of every enrollment, renewal, revocation and token change.
 * Decisions that must not race (a token's last use, a device id taken
 * twice) are made inside one BEGIN IMMEDIATE transaction with their effects.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "basic/time-util.h"
#include "store-internal.h"

/* Times are milliseconds since the epoch, as everywhere in the store. */
const char store_identity_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS identities ("
	"  device_id TEXT PRIMARY KEY NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('active', 'revoked', 'retired')),"
	"  enrolled INTEGER,"
	"  changed INTEGER NOT NULL,"
	"  serial TEXT,"
	"  not_after INTEGER,"
	"  key_type TEXT"
	");"
	"CREATE TABLE IF NOT EXISTS certificates ("
	"  serial TEXT PRIMARY KEY NOT NULL,"
	"  device_id TEXT NOT NULL,"
	"  issued INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL,"
	"  not_after INTEGER NOT NULL,"
	"  key_type TEXT NOT NULL,"
	"  key_sha256 TEXT NOT NULL,"
	"  revoked INTEGER,"
	"  revoked_why TEXT"
	");"
	"CREATE INDEX IF NOT EXISTS certificates_device ON certificates (device_id);"
	"CREATE INDEX IF NOT EXISTS certificates_revoked ON certificates (not_after)"
	"  WHERE revoked IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS enroll_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  hash TEXT UNIQUE NOT NULL,"
	"  label TEXT NOT NULL DEFAULT '',"
	"  uses INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  reenroll INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  revoked INTEGER"
	");"
	"CREATE TABLE IF NOT EXISTS audit ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  action TEXT NOT NULL,"
	"  device_id TEXT,"
	"  actor TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX IF NOT EXISTS audit_device ON audit (device_id, time);";

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
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int r;

	r = store_cached(s,
			 "INSERT INTO audit (time, action, device_id, actor, detail)"
			 " VALUES (?1, ?2, ?3, ?4, ?5)",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_text(stmt, 2, action, -1, SQLITE_STATIC);
	if (device_id)
		sqlite3_bind_text(stmt, 3, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, detail ? detail : "", -1, SQLITE_STATIC);
	return store_step_done(stmt);
}

int store_device_access(struct store *s, const char *device_id, const char *serial)
{
	sqlite3_stmt *stmt = s->select_access;
	int rc, refused = 0;

	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		refused = sqlite3_column_int(stmt, 0);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	return refused ? -EPERM : 0;
}

int store_token_create(struct store *s, const char *hash_hex, const struct store_token *t,
		       int64_t *ret_id)
{
	char detail[256], when[TIMESTAMP_UTC_MAX];
	int r;

	r = store_begin(s);
	if (r < 0)
		return r;
	{
		_cleanup_stmt_ sqlite3_stmt *stmt = NULL;

		r = store_cached(s,
				 "INSERT INTO enroll_tokens"
				 " (hash, label, uses, reenroll, created, created_by, expires)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				 &stmt);
		if (r >= 0) {
			sqlite3_bind_text(stmt, 1, hash_hex, -1, SQLITE_STATIC);
			sqlite3_bind_text(stmt, 2, t->label, -1, SQLITE_STATIC);
			sqlite3_bind_int64(stmt, 3, t->uses);
			sqlite3_bind_int(stmt, 4, t->reenroll);
			sqlite3_bind_int64(stmt, 5, t->created);
			sqlite3_bind_text(stmt, 6, t->created_by, -1, SQLITE_STATIC);
			sqlite3_bind_int64(stmt, 7, t->expires);
			r = store_step_done(stmt);
		}
	}
	if (r >= 0) {
		*ret_id = sqlite3_last_insert_rowid(s->db);
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

	r = store_begin(s);
	if (r < 0)
		return r;
	{
		_cleanup_stmt_ sqlite3_stmt *stmt = NULL;

		r = store_cached(s, "SELECT revoked IS NOT NULL FROM enroll_tokens WHERE id = ?1",
				 &stmt);
		if (r >= 0) {
			int rc;

			sqlite3_bind_int64(stmt, 1, id);
			rc = sqlite3_step(stmt);
			r = rc == SQLITE_DONE		     ? -ENOENT :
			    rc != SQLITE_ROW		     ? sqlite_errno(rc) :
			    sqlite3_column_int(stmt, 0) != 0 ? -EALREADY :
							       0;
		}
	}
	if (r >= 0) {
		_cleanup_stmt_ sqlite3_stmt *stmt = NULL;

		r = store_cached(s, "UPDATE enroll_tokens SET revoked = ?2 WHERE id = ?1", &stmt);
		if (r >= 0) {
			sqlite3_bind_int64(stmt, 1, id);
			sqlite3_bind_int64(stmt, 2, now_ms);
			r = store_step_done(stmt);
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
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(
		s, "SELECT revoked IS NOT NULL, expires FROM enroll_tokens WHERE hash = ?1", &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, hash_hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		snprintf(reason, reason_size, "the enrollment token is not known");
		return -EACCES;
	}
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	if (sqlite3_column_int(stmt, 0)) {
		snprintf(reason, reason_size, "the enrollment token was revoked");
		return -EACCES;
	}
	if (sqlite3_column_int64(stmt, 1) <= now_ms) {
		snprintf(reason, reason_size, "the enrollment token has expired");
		return -EACCES;
	}
	return 0;
}

int store_token_list(struct store *s, int (*cb)(const struct store_token *t, void *userdata),
		     void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(
		s,
		"SELECT id, label, uses, used, created, expires, IFNULL(revoked, 0), reenroll,"
		" created_by FROM enroll_tokens ORDER BY id",
		&stmt);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_token t = {
			.id = sqlite3_column_int64(stmt, 0),
			.uses = sqlite3_column_int64(stmt, 2),
			.used = sqlite3_column_int64(stmt, 3),
			.created = sqlite3_column_int64(stmt, 4),
			.expires = sqlite3_column_int64(stmt, 5),
			.revoked = sqlite3_column_int64(stmt, 6),
			.reenroll = sqlite3_column_int(stmt, 7) != 0,
		};

		store_copy_text(t.label, sizeof(t.label), store_column_text(stmt, 1));
		store_copy_text(t.created_by, sizeof(t.created_by), store_column_text(stmt, 8));
		r = cb(&t, userdata);
		if (r < 0)
			return r;
	}
	return sqlite_errno(rc);
}

/* The token's right to enroll, checked and used; *ret_actor names it for the audit. */
static int enroll_take_token(struct store *s, const struct store_enrollment *e, bool dry,
			     bool *ret_reenroll, char *actor, size_t actor_size, char *reason,
			     size_t reason_size)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL, *use = NULL;
	int64_t id;
	int rc, r;

	r = store_cached(s,
			 "SELECT id, label, uses, used, expires, revoked IS NOT NULL, reenroll"
			 " FROM enroll_tokens WHERE hash = ?1",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, e->token_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		snprintf(reason, reason_size, "the enrollment token is not known");
		return -EACCES;
	}
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	id = sqlite3_column_int64(stmt, 0);
	if (sqlite3_column_int(stmt, 5)) {
		snprintf(reason, reason_size, "the enrollment token was revoked");
		return -EACCES;
	}
	if (sqlite3_column_int64(stmt, 4) <= e->now) {
		snprintf(reason, reason_size, "the enrollment token has expired");
		return -EACCES;
	}
	if (sqlite3_column_int64(stmt, 3) >= sqlite3_column_int64(stmt, 2)) {
		snprintf(reason, reason_size, "the enrollment token is used up");
		return -EACCES;
	}
	*ret_reenroll = sqlite3_column_int(stmt, 6) != 0;
	snprintf(actor, actor_size, "token %" PRId64 " '%s'", id, store_column_text(stmt, 1));
	if (dry)
		return 0;

	r = store_cached(s, "UPDATE enroll_tokens SET used = used + 1 WHERE id = ?1", &use);
	if (r < 0)
		return r;
	sqlite3_bind_int64(use, 1, id);
	return store_step_done(use);
}

/* The device's state, and whether it ever reported or enrolled. */
static int enroll_device_state(struct store *s, const char *device_id,
			       enum store_device_state *ret_state, bool *ret_known)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT (SELECT state FROM identities WHERE device_id = ?1),"
			 " EXISTS (SELECT 1 FROM devices WHERE device_id = ?1)",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -EIO : sqlite_errno(rc);
	*ret_state = state_from_name((const char *)sqlite3_column_text(stmt, 0));
	*ret_known = *ret_state != STORE_DEVICE_UNKNOWN || sqlite3_column_int(stmt, 1) != 0;
	return 0;
}

/*
 * Whether the request's key is the one of the device's current certificate:
 * a laptop whose answer was lost retries with the same key, and holding it
 * proves as much as presenting the certificate would.
 */
static int enroll_same_key(struct store *s, const struct store_enrollment *e)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT 1 FROM identities i JOIN certificates c ON c.serial = i.serial"
			 " WHERE i.device_id = ?1 AND i.state = 'active' AND c.revoked IS NULL"
			 "  AND c.key_sha256 = ?2 AND c.not_after > ?3",
			 &stmt);
	if (r < 0)
		return r;
	/* Only while that certificate is valid: an expired one's key renews nothing. */
	sqlite3_bind_text(stmt, 1, e->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, e->key_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 3, e->now);
	rc = sqlite3_step(stmt);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

/* Whether the certificate the device presented is one the collector revoked. */
static int enroll_peer_revoked(struct store *s, const char *serial)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s, "SELECT revoked IS NOT NULL FROM certificates WHERE serial = ?1",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_text(stmt, 1, serial, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return sqlite_errno(rc);
	return sqlite3_column_int(stmt, 0);
}

static int enroll_record(struct store *s, const struct store_enrollment *e, const char *action,
			 const char *actor)
{
	_cleanup_stmt_ sqlite3_stmt *cert = NULL, *identity = NULL;
	char detail[256], when[TIMESTAMP_UTC_MAX];
	int r;

	r = store_cached(s,
			 "INSERT INTO certificates"
			 " (serial, device_id, issued, not_before, not_after, key_type, key_sha256)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			 &cert);
	if (r < 0)
		return r;
	sqlite3_bind_text(cert, 1, e->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(cert, 2, e->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(cert, 3, e->now);
	sqlite3_bind_int64(cert, 4, e->not_before);
	sqlite3_bind_int64(cert, 5, e->not_after);
	sqlite3_bind_text(cert, 6, e->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(cert, 7, e->key_sha256, -1, SQLITE_STATIC);
	r = store_step_done(cert);
	if (r < 0)
		return r;

	r = store_cached(
		s,
		"INSERT INTO identities"
		" (device_id, state, enrolled, changed, serial, not_after, key_type)"
		" VALUES (?1, 'active', ?2, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (device_id) DO UPDATE SET"
		"  state = 'active', changed = excluded.changed,"
		"  enrolled = CASE WHEN state = 'active' THEN IFNULL(enrolled, excluded.enrolled)"
		"   ELSE excluded.enrolled END,"
		"  serial = excluded.serial, not_after = excluded.not_after,"
		"  key_type = excluded.key_type",
		&identity);
	if (r < 0)
		return r;
	sqlite3_bind_text(identity, 1, e->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(identity, 2, e->now);
	sqlite3_bind_text(identity, 3, e->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(identity, 4, e->not_after);
	sqlite3_bind_text(identity, 5, e->key_type, -1, SQLITE_STATIC);
	r = store_step_done(identity);
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
	r = store_begin(s);
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
	r = store_begin(s);
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
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	/* Devices that reported with an outside certificate, and those enrolled that never did. */
	r = store_cached(
		s,
		"SELECT d.device_id, i.state, IFNULL(i.enrolled, 0), IFNULL(i.changed, 0),"
		" IFNULL(i.not_after, 0), IFNULL(c.last_seen, 0), i.serial, i.key_type"
		" FROM (SELECT device_id FROM identities UNION SELECT device_id FROM devices) d"
		" LEFT JOIN identities i USING (device_id)"
		" LEFT JOIN devices c USING (device_id)"
		" ORDER BY d.device_id",
		&stmt);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_identity d = {
			.state = state_from_name((const char *)sqlite3_column_text(stmt, 1)),
			.enrolled = sqlite3_column_int64(stmt, 2),
			.changed = sqlite3_column_int64(stmt, 3),
			.not_after = sqlite3_column_int64(stmt, 4),
			.last_seen = sqlite3_column_int64(stmt, 5),
		};

		store_copy_text(d.device_id, sizeof(d.device_id), store_column_text(stmt, 0));
		store_copy_text(d.serial, sizeof(d.serial), store_column_text(stmt, 6));
		store_copy_text(d.key_type, sizeof(d.key_type), store_column_text(stmt, 7));
		r = cb(&d, userdata);
		if (r < 0)
			return r;
	}
	return sqlite_errno(rc);
}

static int set_state_in_transaction(struct store *s, const char *device_id,
				    enum store_device_state state, const char *actor,
				    int64_t now_ms)
{
	_cleanup_stmt_ sqlite3_stmt *get = NULL, *set = NULL, *certs = NULL;
	const char *name = store_device_state_name(state);
	char detail[128];
	int rc, r, n;

	r = store_cached(s, "SELECT state FROM identities WHERE device_id = ?1", &get);
	if (r < 0)
		return r;
	sqlite3_bind_text(get, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(get);
	if (rc == SQLITE_ROW && state_from_name(store_column_text(get, 0)) == state)
		return -EALREADY;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqlite_errno(rc);

	r = store_cached(s,
			 "INSERT INTO identities (device_id, state, changed) VALUES (?1, ?2, ?3)"
			 " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state,"
			 "  changed = excluded.changed",
			 &set);
	if (r < 0)
		return r;
	sqlite3_bind_text(set, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(set, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(set, 3, now_ms);
	r = store_step_done(set);
	if (r < 0)
		return r;

	r = store_cached(s,
			 "UPDATE certificates SET revoked = ?2, revoked_why = ?3"
			 " WHERE device_id = ?1 AND revoked IS NULL",
			 &certs);
	if (r < 0)
		return r;
	sqlite3_bind_text(certs, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(certs, 2, now_ms);
	sqlite3_bind_text(certs, 3, name, -1, SQLITE_STATIC);
	r = store_step_done(certs);
	if (r < 0)
		return r;
	n = sqlite3_changes(s->db);
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
	r = store_begin(s);
	if (r < 0)
		return r;
	return store_end(s, set_state_in_transaction(s, device_id, state, actor, now_ms));
}

int store_crl_list(struct store *s, int64_t now_ms,
		   int (*cb)(const char *serial, int64_t revoked, enum store_device_state why,
			     void *userdata),
		   void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT serial, revoked, revoked_why FROM certificates"
			 " WHERE revoked IS NOT NULL AND not_after > ?1 ORDER BY revoked, serial",
			 &stmt);
	if (r < 0)
		return r;
	sqlite3_bind_int64(stmt, 1, now_ms);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r = cb(store_column_text(stmt, 0), sqlite3_column_int64(stmt, 1),
		       state_from_name(store_column_text(stmt, 2)), userdata);
		if (r < 0)
			return r;
	}
	return sqlite_errno(rc);
}

int store_audit_list(struct store *s, const char *device_id,
		     int (*cb)(const struct store_audit *a, void *userdata), void *userdata)
{
	_cleanup_stmt_ sqlite3_stmt *stmt = NULL;
	int rc, r;

	r = store_cached(s,
			 "SELECT time, action, device_id, actor, detail FROM audit"
			 " WHERE ?1 IS NULL OR device_id = ?1 ORDER BY id",
			 &stmt);
	if (r < 0)
		return r;
	if (device_id)
		sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_audit a = {
			.time = sqlite3_column_int64(stmt, 0),
			.action = store_column_text(stmt, 1),
			.device_id = (const char *)sqlite3_column_text(stmt, 2),
			.actor = store_column_text(stmt, 3),
			.detail = store_column_text(stmt, 4),
		};

		r = cb(&a, userdata);
		if (r < 0)
			return r;
	}
	return sqlite_errno(rc);
}
