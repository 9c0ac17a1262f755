// SPDX-License-Identifier: LGPL-2.1-or-later
/* The SQL connection's entry points: the spec picks the backend, every call goes to its table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_postgresql(const char *spec)
{
	return starts_with(spec, "postgresql://") || starts_with(spec, "postgres://");
}

int db_open(const char *spec, unsigned flags, struct db **ret, char **ret_error)
{
	if (ret_error)
		*ret_error = NULL;
	if (!spec || !*spec)
		return -EINVAL;
	if (is_postgresql(spec))
		return db_postgresql_ops.open(spec, flags, ret, ret_error);
	if (starts_with(spec, "sqlite:"))
		spec += strlen("sqlite:");
	if (!*spec)
		return -EINVAL;
	return db_sqlite_ops.open(spec, flags, ret, ret_error);
}

char *db_spec_describe(const char *spec)
{
	if (is_postgresql(spec))
		return db_postgresql_redact(spec);
	return strdup(starts_with(spec, "sqlite:") ? spec + strlen("sqlite:") : spec);
}

struct db *db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
	return NULL;
}

enum db_kind db_kind(const struct db *db)
{
	return db->ops->kind;
}

const char *db_kind_name(const struct db *db)
{
	return db->ops->name;
}

const char *db_describe(const struct db *db)
{
	return db->describe ? db->describe : db->ops->name;
}

const char *db_errmsg(struct db *db)
{
	return db ? db->ops->errmsg(db) : "no database";
}

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int db_begin(struct db *db)
{
	return db->ops->begin(db);
}

int db_commit(struct db *db)
{
	return db->ops->commit(db);
}

void db_rollback(struct db *db)
{
	db->ops->rollback(db);
}

bool db_in_transaction(struct db *db)
{
	return db->ops->in_transaction(db);
}

int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **ret)
{
	return db->ops->prepare(db, sql, ret);
}

int db_query_int64(struct db *db, const char *sql, int64_t *ret)
{
	_cleanup_(db_stmt_freep) struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, sql, &st);
	if (r < 0)
		return r;
	r = db_step(st);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	*ret = db_column_int64(st, 0);
	return 0;
}

struct db_stmt *db_stmt_free(struct db_stmt *st)
{
	if (st)
		st->db->ops->stmt_free(st);
	return NULL;
}

void db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->db->ops->bind_int64(st, i, v);
}

void db_bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v)
		st->db->ops->bind_text_n(st, i, v, strlen(v));
	else
		st->db->ops->bind_null(st, i);
}

void db_bind_text_n(struct db_stmt *st, int i, const char *v, size_t n)
{
	st->db->ops->bind_text_n(st, i, v, n);
}

void db_bind_null(struct db_stmt *st, int i)
{
	st->db->ops->bind_null(st, i);
}

int db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}

void db_reset(struct db_stmt *st)
{
	st->db->ops->reset(st);
}

int db_run(struct db_stmt *st)
{
	int r = db_step(st);

	db_reset(st);
	return r < 0 ? r : 0;
}

bool db_column_null(struct db_stmt *st, int i)
{
	return st->db->ops->column_null(st, i);
}

int64_t db_column_int64(struct db_stmt *st, int i)
{
	return st->db->ops->column_int64(st, i);
}

double db_column_double(struct db_stmt *st, int i)
{
	return st->db->ops->column_double(st, i);
}

const char *db_column_text(struct db_stmt *st, int i)
{
	return st->db->ops->column_text(st, i);
}

size_t db_column_bytes(struct db_stmt *st, int i)
{
	return st->db->ops->column_bytes(st, i);
}

int db_load_begin(struct db *db, const char *table, const char *const *columns, int n_columns,
		  struct db_load **ret)
{
	return db->ops->load_begin(db, table, columns, n_columns, ret);
}

int db_load_row(struct db_load *l, const char *const *values, const size_t *lengths)
{
	return l->db->ops->load_row(l, values, lengths);
}

int db_load_end(struct db_load *l)
{
	return l ? l->db->ops->load_end(l) : 0;
}
