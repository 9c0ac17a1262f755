/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the SQLite store's files (store.c, store_identity.c) share. */
#ifndef POSTURED_COLLECTOR_STORE_INTERNAL_H
#define POSTURED_COLLECTOR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "basic/sqlite-util.h"
#include "store.h"

/*
 * 1: devices, records.  2: identities, certificates, enrollment tokens, the
 * audit.  3: each certificate's key (key_sha256).
 */
#define STORE_SCHEMA_VERSION  3
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
	/* store_identity.c's statements, prepared on first use. */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cached[32];
	size_t n_cached;
	char last_error[256];
};

/* The identity tables (store_identity.c), created with the rest of the schema. */
extern const char store_identity_schema_sql[];

/* Runs a statement that returns no rows and resets it for the next use. */
int store_step_done(sqlite3_stmt *stmt);

/* A statement kept for the store's life. */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret);

/* BEGIN IMMEDIATE; store_end() commits when r >= 0, else rolls back, and returns r or the commit's error. */
int store_begin(struct store *s);
int store_end(struct store *s, int r);

#endif
