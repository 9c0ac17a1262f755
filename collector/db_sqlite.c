// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The SQLite backend: the embedded default, one file, nothing to set up.
 * A read-write connection is the collector's own: WAL, so readers never
 * block the ingest and a crash mid-transaction leaves the last commit
 * intact; synchronous=FULL, because NORMAL would let a power cut undo
 * batches already acknowledged and so dropped from the agents' spools (one
 * fsync a batch, and agents batch).  A transaction takes the write lock at
 * its start (BEGIN IMMEDIATE), so two writers wait instead of deadlocking.
 *
 * The shared dialect's GREATEST and LEAST are registered here, with
 * PostgreSQL's meaning: NULL arguments are passed over.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/sqlite-util.h"
#include "db-internal.h"

#define SQLITE_BUSY_TIMEOUT_MS 5000

struct db_sqlite {
	struct db base;
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback;
};

struct db_sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *stmt;
};

struct db_sqlite_load {
	struct db_load base;
	sqlite3_stmt *insert;
	int n_columns;
	int r; /* the first failure */
};

static struct db_sqlite *to_sqlite(struct db *db)
{
	return (struct db_sqlite *)db;
}

static sqlite3_stmt *to_stmt(struct db_stmt *st)
{
	return ((struct db_sqlite_stmt *)st)->stmt;
}

/* A result code as -errno; a unique key taken is -EEXIST. */
static int sqlite_db_errno(int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return -EEXIST;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	return sqlite_errno(rc);
}

/* GREATEST(...) and LEAST(...): the largest (smallest) argument that is not NULL. */
static void sqlite_extreme(sqlite3_context *ctx, int argc, sqlite3_value **argv, int sign)
{
	sqlite3_value *best = NULL;

	for (int i = 0; i < argc; i++) {
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			continue;
		if (!best)
			best = argv[i];
		else if (sqlite3_value_type(argv[i]) == SQLITE_INTEGER &&
			 sqlite3_value_type(best) == SQLITE_INTEGER) {
			sqlite3_int64 a = sqlite3_value_int64(argv[i]),
				      b = sqlite3_value_int64(best);

			if ((a > b) == (sign > 0) && a != b)
				best = argv[i];
		} else {
			double a = sqlite3_value_double(argv[i]), b = sqlite3_value_double(best);

			if ((a > b) == (sign > 0) && a != b)
				best = argv[i];
		}
	}
	if (best)
		sqlite3_result_value(ctx, best);
	else
		sqlite3_result_null(ctx);
}

static void sqlite_greatest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite_extreme(ctx, argc, argv, 1);
}

static void sqlite_least(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite_extreme(ctx, argc, argv, -1);
}

/* Sets a PRAGMA that answers with its new value, and checks the answer. */
static int sqlite_pragma(sqlite3 *db, const char *sql, const char *expect)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return sqlite_errno(rc);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);

		if (expect && (!v || strcasecmp(v, expect) != 0))
			return -EOPNOTSUPP;
		return 0;
	}
	return sqlite_errno(rc);
}

static void sqlite_close(struct db *base)
{
	struct db_sqlite *d = to_sqlite(base);

	sqlite3_finalize(d->begin);
	sqlite3_finalize(d->commit);
	sqlite3_finalize(d->rollback);
	sqlite3_close(d->db);
	free(d->base.describe);
	free(d);
}

static int sqlite_open(const char *path, unsigned flags, struct db **ret, char **ret_error)
{
	struct db_sqlite *d;
	int open_flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
			 ((flags & DB_READONLY) ? SQLITE_OPEN_READONLY :
						  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->base.ops = &db_sqlite_ops;
	d->base.describe = strdup(path);
	r = d->base.describe ? sqlite_errno(sqlite3_open_v2(path, &d->db, open_flags, NULL)) :
			       -ENOMEM;
	if (r >= 0) {
		sqlite3_busy_timeout(d->db, SQLITE_BUSY_TIMEOUT_MS);
		r = sqlite_errno(sqlite3_create_function_v2(
			d->db, "greatest", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
			sqlite_greatest, NULL, NULL, NULL));
	}
	if (r >= 0)
		r = sqlite_errno(sqlite3_create_function_v2(d->db, "least", -1,
							    SQLITE_UTF8 | SQLITE_DETERMINISTIC,
							    NULL, sqlite_least, NULL, NULL, NULL));
	if (r >= 0 && !(flags & DB_READONLY)) {
		r = sqlite_pragma(d->db, "PRAGMA journal_mode = WAL", "wal");
		if (r >= 0)
			r = sqlite_pragma(d->db, "PRAGMA synchronous = FULL", NULL);
	}
	if (r >= 0)
		r = sqlite_errno(sqlite3_prepare_v2(d->db, "BEGIN IMMEDIATE", -1, &d->begin, NULL));
	if (r >= 0)
		r = sqlite_errno(sqlite3_prepare_v2(d->db, "COMMIT", -1, &d->commit, NULL));
	if (r >= 0)
		r = sqlite_errno(sqlite3_prepare_v2(d->db, "ROLLBACK", -1, &d->rollback, NULL));
	if (r < 0) {
		if (ret_error)
			*ret_error = strdup(d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(-r));
		sqlite_close(&d->base);
		return r;
	}
	*ret = &d->base;
	return 0;
}

static const char *sqlite_errmsg_(struct db *base)
{
	return sqlite3_errmsg(to_sqlite(base)->db);
}

static int sqlite_exec(struct db *base, const char *sql)
{
	return sqlite_db_errno(sqlite3_exec(to_sqlite(base)->db, sql, NULL, NULL, NULL));
}

static int sqlite_step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? 0 : sqlite_db_errno(rc);
}

static int sqlite_begin(struct db *base)
{
	return sqlite_step_done(to_sqlite(base)->begin);
}

static int sqlite_commit(struct db *base)
{
	return sqlite_step_done(to_sqlite(base)->commit);
}

static bool sqlite_in_transaction(struct db *base)
{
	return !sqlite3_get_autocommit(to_sqlite(base)->db);
}

static void sqlite_rollback(struct db *base)
{
	if (sqlite_in_transaction(base))
		(void)sqlite_step_done(to_sqlite(base)->rollback);
}

static int64_t sqlite_changes(struct db *base)
{
	return sqlite3_changes64(to_sqlite(base)->db);
}

static int sqlite_prepare(struct db *base, const char *sql, struct db_stmt **ret)
{
	struct db_sqlite_stmt *st;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->base.db = base;
	r = sqlite_db_errno(sqlite3_prepare_v3(to_sqlite(base)->db, sql, -1,
					       SQLITE_PREPARE_PERSISTENT, &st->stmt, NULL));
	if (r < 0) {
		free(st);
		return r;
	}
	*ret = &st->base;
	return 0;
}

static void sqlite_stmt_free(struct db_stmt *st)
{
	sqlite3_finalize(to_stmt(st));
	free(st);
}

static void sqlite_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(to_stmt(st), i, v);
}

static void sqlite_bind_text_n(struct db_stmt *st, int i, const char *v, size_t n)
{
	if (n > INT32_MAX)
		sqlite3_bind_null(to_stmt(st), i); /* the store refuses such records before */
	else
		sqlite3_bind_text(to_stmt(st), i, v, (int)n, SQLITE_STATIC);
}

static void sqlite_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(to_stmt(st), i);
}

static int sqlite_step(struct db_stmt *st)
{
	int rc = sqlite3_step(to_stmt(st));

	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : sqlite_db_errno(rc);
}

static void sqlite_reset(struct db_stmt *st)
{
	sqlite3_reset(to_stmt(st));
	sqlite3_clear_bindings(to_stmt(st));
}

static bool sqlite_column_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(to_stmt(st), i) == SQLITE_NULL;
}

static int64_t sqlite_column_int64(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(to_stmt(st), i);
}

static double sqlite_column_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(to_stmt(st), i);
}

static const char *sqlite_column_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(to_stmt(st), i);
}

static size_t sqlite_column_bytes(struct db_stmt *st, int i)
{
	return (size_t)sqlite3_column_bytes(to_stmt(st), i);
}

static int sqlite_load_begin(struct db *base, const char *table, const char *const *columns,
			     int n_columns, struct db_load **ret)
{
	char sql[1024];
	size_t len;
	struct db_sqlite_load *l;
	int r;

	if (n_columns <= 0 || n_columns > 32)
		return -EINVAL;
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);
	for (int i = 0; i < n_columns && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%s", i ? ", " : "",
					columns[i]);
	for (int i = 0; i < n_columns && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?%d",
					i ? ", " : ") VALUES (", i + 1);
	if (len + 2 > sizeof(sql))
		return -E2BIG;
	strcpy(sql + len, ")");

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->base.db = base;
	l->n_columns = n_columns;
	r = sqlite_db_errno(sqlite3_prepare_v2(to_sqlite(base)->db, sql, -1, &l->insert, NULL));
	if (r < 0) {
		free(l);
		return r;
	}
	*ret = &l->base;
	return 0;
}

static int sqlite_load_row(struct db_load *base, const char *const *values, const size_t *lengths)
{
	struct db_sqlite_load *l = (struct db_sqlite_load *)base;

	if (l->r < 0)
		return l->r;
	for (int i = 0; i < l->n_columns; i++) {
		if (!values[i])
			sqlite3_bind_null(l->insert, i + 1);
		else if (lengths[i] > INT32_MAX)
			return l->r = -E2BIG;
		else
			sqlite3_bind_text(l->insert, i + 1, values[i], (int)lengths[i],
					  SQLITE_STATIC);
	}
	l->r = sqlite_step_done(l->insert);
	sqlite3_clear_bindings(l->insert);
	return l->r;
}

static int sqlite_load_end(struct db_load *base)
{
	struct db_sqlite_load *l = (struct db_sqlite_load *)base;
	int r = l->r;

	sqlite3_finalize(l->insert);
	free(l);
	return r;
}

const struct db_ops db_sqlite_ops = {
	.kind = DB_SQLITE,
	.name = "SQLite",
	.open = sqlite_open,
	.close = sqlite_close,
	.errmsg = sqlite_errmsg_,
	.exec = sqlite_exec,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.in_transaction = sqlite_in_transaction,
	.changes = sqlite_changes,
	.prepare = sqlite_prepare,
	.stmt_free = sqlite_stmt_free,
	.bind_int64 = sqlite_bind_int64,
	.bind_text_n = sqlite_bind_text_n,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.reset = sqlite_reset,
	.column_null = sqlite_column_null,
	.column_int64 = sqlite_column_int64,
	.column_double = sqlite_column_double,
	.column_text = sqlite_column_text,
	.column_bytes = sqlite_column_bytes,
	.load_begin = sqlite_load_begin,
	.load_row = sqlite_load_row,
	.load_end = sqlite_load_end,
};
