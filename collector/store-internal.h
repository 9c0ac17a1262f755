/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the store's files share: the connection (db.h), the statements kept
 * for its life, and each engine's own part (store_sqlite.c,
 * store_postgresql.c) as a table of operations.
 */
#ifndef POSTURED_COLLECTOR_STORE_INTERNAL_H
#define POSTURED_COLLECTOR_STORE_INTERNAL_H

#include <stdbool.h>

#include "db.h"
#include "store.h"

/*
 * 1: devices, records.  2: identities, certificates, enrollment tokens, the
 * audit.  3: each certificate's key (key_sha256).  4: the fleet view's
 * state (devices' facts, check_state, rules, roll-ups, exemptions).
 * 5: sequence gaps.
 */
#define STORE_SCHEMA_VERSION 5

/*
 * What differs between the engines.  Everything else is the same SQL on
 * both (db.h's dialect).
 */
struct store_backend {
	/* Creates the schema, or brings an older one up to STORE_SCHEMA_VERSION. */
	int (*schema)(struct store *s);
	/*
	 * Deletes records received before cutoff (ms), at most batch of them a
	 * call where the engine deletes row by row; the count in *ret_deleted.
	 * Runs inside a transaction.
	 */
	int (*expire)(struct store *s, int64_t cutoff, unsigned batch, unsigned *ret_deleted);
	/*
	 * Inside a transaction: waits until no other collector's transaction
	 * that asked for what is running, so that decisions that must not race
	 * (a token's last use, a device id taken twice) are made one at a time
	 * across collectors.  SQLite's BEGIN IMMEDIATE does that already.
	 */
	int (*serialize)(struct store *s, const char *what);
	/* Upkeep of the tables themselves (partitions ahead of the clock): 0 or -errno. */
	int (*maintain)(struct store *s, int64_t now_ms);
	/*
	 * Whether this collector is the one to run the shared jobs named job
	 * (roll-ups, retention, upkeep): 1 yes, 0 another collector does, or
	 * -errno.  Held until the connection ends.
	 */
	int (*job_lock)(struct store *s, const char *job);
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_postgresql_backend;

/* Today's figures of the batch being stored, for fleet_daily (store_fleet.c). */
struct store_day {
	int64_t watched, asleep, stopped, lost;
	bool pending;
};

struct store {
	struct db *db;
	const struct store_backend *backend;
	struct db_stmt *lock_device;
	struct db_stmt *update_device;
	struct db_stmt *insert_gap;
	struct db_stmt *find_record;
	struct db_stmt *select_access;
	/* The statements of store_identity.c and store_fleet*.c, prepared on first use. */
	struct {
		const char *sql;
		struct db_stmt *stmt;
	} cached[64];
	size_t n_cached;
	struct store_day day;
	char last_error[256];
};

/* A statement kept for the store's life. */
int store_prepare(struct store *s, const char *sql, struct db_stmt **ret);

/*
 * The statement for sql, prepared once for the store's life (the SQL of each
 * call site is a string literal: its address is the key); the caller resets
 * it after use (_cleanup_stmt_).  An enrollment runs about a dozen of them
 * twice: preparing each every time cost as much as the rest of it.
 */
int store_cached(struct store *s, const char *sql, struct db_stmt **ret);

void store_stmt_resetp(struct db_stmt **stmt);
#define _cleanup_stmt_ _cleanup_(store_stmt_resetp)

/* A column's text, "" for NULL. */
const char *store_column_text(struct db_stmt *stmt, int i);

/* Copies src ("" for NULL) into dst[size], cut to fit. */
void store_copy_text(char *dst, size_t size, const char *src);

/* A row of the audit (store_audit_list()). */
int store_audit_add(struct store *s, int64_t now, const char *action, const char *device_id,
		    const char *actor, const char *detail);

/* Begins a transaction; store_end() commits when r >= 0, else rolls back, and returns r or the commit's error. */
int store_begin(struct store *s);
int store_end(struct store *s, int r);

/* store_begin(), then the backend's serialize(what): the identity decisions' transactions. */
int store_begin_serialized(struct store *s, const char *what);

#endif
