/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What db.c dispatches to: each backend's table of operations (db_sqlite.c, db_postgresql.c). */
#ifndef POSTURED_COLLECTOR_DB_INTERNAL_H
#define POSTURED_COLLECTOR_DB_INTERNAL_H

#include "db.h"

struct db_ops {
	enum db_kind kind;
	const char *name;
	/* spec as the backend takes it: a path for SQLite, the URI for PostgreSQL. */
	int (*open)(const char *spec, unsigned flags, struct db **ret, char **ret_error);
	void (*close)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*begin)(struct db *db);
	int (*commit)(struct db *db);
	void (*rollback)(struct db *db);
	bool (*in_transaction)(struct db *db);
	int64_t (*changes)(struct db *db);

	int (*prepare)(struct db *db, const char *sql, struct db_stmt **ret);
	void (*stmt_free)(struct db_stmt *st);
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	void (*bind_text_n)(struct db_stmt *st, int i, const char *v, size_t n);
	void (*bind_null)(struct db_stmt *st, int i);
	int (*step)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	bool (*column_null)(struct db_stmt *st, int i);
	int64_t (*column_int64)(struct db_stmt *st, int i);
	double (*column_double)(struct db_stmt *st, int i);
	const char *(*column_text)(struct db_stmt *st, int i);
	size_t (*column_bytes)(struct db_stmt *st, int i);

	int (*load_begin)(struct db *db, const char *table, const char *const *columns,
			  int n_columns, struct db_load **ret);
	int (*load_row)(struct db_load *l, const char *const *values, const size_t *lengths);
	int (*load_end)(struct db_load *l);
};

/* The first member of each backend's connection, statement and load. */
struct db {
	const struct db_ops *ops;
	char *describe;
};

struct db_stmt {
	struct db *db;
};

struct db_load {
	struct db *db;
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_postgresql_ops;

/* A libpq URI without its password (db_describe()'s), to be freed; NULL when out of memory. */
char *db_postgresql_redact(const char *uri);

#endif
