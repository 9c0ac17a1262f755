/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the SQLite store's files (store.c, store_identity.c) share. */
#ifndef POSTURED_COLLECTOR_STORE_INTERNAL_H
#define POSTURED_COLLECTOR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "basic/sqlite-util.h"
#include "store.h"

/*
 * 1: devices, records.  2: identities, certificates, enrollment tokens, the
 * audit.  3: each certificate's key (key_sha256).  4: the fleet view's
 * state (devices' facts, check_state, rules, roll-ups, exemptions).
 */
#define STORE_SCHEMA_VERSION  4
#define STORE_BUSY_TIMEOUT_MS 5000

struct store {
	sqlite3 *db;
	sqlite3_stmt *begin;
	sqlite3_stmt *commit;
	sqlite3_stmt *rollback;
	sqlite3_stmt *insert_record;
	sqlite3_stmt *upsert_device;
	sqlite3_stmt *select_acked;
	sqlite3_stmt *select_access;
	/* The statements of store_identity.c and store_fleet*.c, prepared on first use. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cached[64];
	size_t n_cached;
	char last_error[256];
};

/* The identity tables (store_identity.c), created with the rest of the schema. */
extern const char store_identity_schema_sql[];

/* The fleet view's columns of devices (added to a store older than 4), and its tables. */
extern const char store_fleet_devices_sql[];
extern const char store_fleet_schema_sql[];

/* Runs a statement that returns no rows and resets it for the next use. */
int store_step_done(sqlite3_stmt *stmt);

/* A statement kept for the store's life. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret);

/*
 * The statement for sql, prepared once for the store's life (the SQL of each
 * call site is a string literal: its address is the key); the caller resets
 * it after use (_cleanup_stmt_).  An enrollment runs about a dozen of them
 * twice: preparing each every time cost as much as the rest of it.
 */
int store_cached(struct store *s, const char *sql, sqlite3_stmt **ret);

void store_stmt_resetp(sqlite3_stmt **stmt);
#define _cleanup_stmt_ _cleanup_(store_stmt_resetp)

/* A column's text, "" for NULL. */
const char *store_column_text(sqlite3_stmt *stmt, int i);

/* Copies src ("" for NULL) into dst[size], cut to fit. */
void store_copy_text(char *dst, size_t size, const char *src);

/* A row of the audit (store_audit_list()). */
int store_audit_add(struct store *s, int64_t now, const char *action, const char *device_id,
		    const char *actor, const char *detail);

/* BEGIN IMMEDIATE; store_end() commits when r >= 0, else rolls back, and returns r or the commit's error. */
int store_begin(struct store *s);
int store_end(struct store *s, int r);

#endif
