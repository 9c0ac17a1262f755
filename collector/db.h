/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's SQL connection, one interface over two engines: SQLite
 * (db_sqlite.c, the embedded default) and PostgreSQL through libpq
 * (db_postgresql.c, for several collectors sharing one store).
 *
 * The store's SQL is written once, in the dialect both accept: numbered
 * parameters ?1 ?2 ... (a number may be used twice), COALESCE, GREATEST and
 * LEAST, ON CONFLICT ... DO UPDATE, RETURNING, CAST(? AS BIGINT) where a
 * parameter's type would not be known.  Schemas, bulk loads and the few
 * statements that differ are the backends' own (db_kind()).
 *
 * A statement is prepared once per connection and kept: bind, step until
 * it says done, reset.  Text bound is not copied: it must stay valid until
 * the statement is reset (SQLite's SQLITE_STATIC).  Errors are -errno:
 * -ENOSPC disk full, -EBUSY locked, busy or a deadlock or serialization
 * failure (worth a retry), -EEXIST a unique key taken, -ENOMEM, -EUCLEAN a
 * damaged database, -EACCES refused, -ENOENT cannot open, -E2BIG too big,
 * -ECONNRESET the server went away (the next statement reconnects), -EIO
 * anything else; db_errmsg() has the engine's words.
 */
#ifndef POSTURED_COLLECTOR_DB_H
#define POSTURED_COLLECTOR_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/cleanup.h"

struct db;
struct db_stmt;

enum db_kind {
	DB_SQLITE,
	DB_POSTGRESQL,
};

enum {
	DB_READONLY = 1 << 0, /* SQLite: open the file read-only (a reader beside the collector) */
};

/*
 * Opens spec: "postgresql://..." or "postgres://..." (a libpq URI, passed as
 * it is), "sqlite:PATH", or a bare PATH (SQLite, created when missing
 * unless DB_READONLY).  Returns 0 or -errno; *ret_error (may be NULL) gets
 * the engine's message on failure, to be freed.
 */
int db_open(const char *spec, unsigned flags, struct db **ret, char **ret_error);
struct db *db_close(struct db *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct db *, db_close);

enum db_kind db_kind(const struct db *db);
/* "SQLite" or "PostgreSQL", for log lines. */
const char *db_kind_name(const struct db *db);
/* spec as db_describe() would say it, before or without a connection: to be freed. */
char *db_spec_describe(const char *spec);
/* The spec without a password, for log lines and status. */
const char *db_describe(const struct db *db);
/* The engine's message for the last failure. */
const char *db_errmsg(struct db *db);

/* Runs sql, one or more statements separated by ';', with no parameters and no rows. */
int db_exec(struct db *db, const char *sql);

/* Transactions.  db_begin() takes the write lock at once on SQLite (BEGIN IMMEDIATE). */
int db_begin(struct db *db);
int db_commit(struct db *db);
/* Rolls back when a transaction is open; never fails. */
void db_rollback(struct db *db);
bool db_in_transaction(struct db *db);

/* Rows the last INSERT, UPDATE or DELETE changed. */
int64_t db_changes(struct db *db);

/*
 * Runs sql (no parameters) and reads the first column of its first row into
 * *ret: 0, -ENOENT when there is no row, or -errno.
 */
int db_query_int64(struct db *db, const char *sql, int64_t *ret);

/* Prepares sql (one statement, ?N parameters). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **ret);
struct db_stmt *db_stmt_free(struct db_stmt *st);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct db_stmt *, db_stmt_free);

/* Parameters count from 1.  db_bind_text(st, i, NULL) binds NULL. */
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_text(struct db_stmt *st, int i, const char *v);
/* v[n] need not end in NUL, and must not contain one. */
void db_bind_text_n(struct db_stmt *st, int i, const char *v, size_t n);
void db_bind_null(struct db_stmt *st, int i);

/* 1: a row is ready; 0: done; or -errno. */
int db_step(struct db_stmt *st);
/* Ends the statement's run and clears its parameters. */
void db_reset(struct db_stmt *st);
/* Steps a statement that returns no rows, then resets it: 0 or -errno. */
int db_run(struct db_stmt *st);

/* Columns of the current row count from 0.  NULL reads as 0 or NULL. */
bool db_column_null(struct db_stmt *st, int i);
int64_t db_column_int64(struct db_stmt *st, int i);
double db_column_double(struct db_stmt *st, int i);
const char *db_column_text(struct db_stmt *st, int i);
size_t db_column_bytes(struct db_stmt *st, int i);

/*
 * Bulk insert into table (columns): n_columns text values a row, NULL for
 * NULL.  PostgreSQL streams the rows with COPY; SQLite runs one prepared
 * INSERT a row.  Inside a transaction; db_load_end() says whether every
 * row went in.
 */
struct db_load;
int db_load_begin(struct db *db, const char *table, const char *const *columns, int n_columns,
		  struct db_load **ret);
int db_load_row(struct db_load *l, const char *const *values, const size_t *lengths);
/* 0 when every row was stored; frees l either way. */
int db_load_end(struct db_load *l);

#endif
