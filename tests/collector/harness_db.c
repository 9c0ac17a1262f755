// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the collector stored, read by a second connection, as an operator's
 * query would; and on PostgreSQL, each test's database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/db.h"
#include "harness_db.h"

const char *db_test_postgres(void)
{
	const char *uri = getenv("POSTURED_TEST_POSTGRES");

	return uri && *uri ? uri : NULL;
}

/* The server's URI with its database replaced by name. */
static int postgres_uri(char *buf, size_t size, const char *name)
{
	const char *server = db_test_postgres(), *slash, *query;
	int n;

	if (!server || !(slash = strchr(server + strlen("postgresql://"), '/')))
		return -1;
	query = strchr(slash, '?');
	n = snprintf(buf, size, "%.*s/%s%s", (int)(slash - server), server, name,
		     query ? query : "");
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* "main.db" of this process as a database name: t<pid>_main_db. */
static void postgres_name(char *buf, size_t size, const char *name)
{
	size_t n = (size_t)snprintf(buf, size, "t%d_", (int)getpid());

	for (const char *p = name; *p && n + 1 < size; p++)
		buf[n++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p :
			   (*p >= 'A' && *p <= 'Z')				? (char)(*p + 32) :
										  '_';
	buf[n] = '\0';
}

static int postgres_admin(const char *sql)
{
	_cleanup_(db_closep) struct db *db = NULL;

	if (db_open(db_test_postgres(), 0, &db, NULL) < 0)
		return -1;
	return db_exec(db, sql) < 0 ? -1 : 0;
}

int db_spec(char *buf, size_t size, const char *dir, const char *name)
{
	char db_name[64], sql[128];
	int n;

	if (!db_test_postgres()) {
		n = snprintf(buf, size, "%s/%s", dir, name);
		return n > 0 && (size_t)n < size ? 0 : -1;
	}
	postgres_name(db_name, sizeof(db_name), name);
	if (postgres_uri(buf, size, db_name) < 0)
		return -1;
	if (db_int(buf, "SELECT 1", NULL) == 1)
		return 0; /* made before: a restart */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db_name);
	return postgres_admin(sql);
}

static int db_connect(const char *spec, unsigned flags, struct db **ret)
{
	struct db *db = NULL;

	if (db_open(spec, flags, &db, NULL) < 0)
		return -1;
	if (db_kind(db) == DB_SQLITE)
		db_exec(db, "PRAGMA busy_timeout = 5000");
	*ret = db;
	return 0;
}

long long db_int(const char *spec, const char *sql, const char *arg)
{
	_cleanup_(db_closep) struct db *db = NULL;
	_cleanup_(db_stmt_freep) struct db_stmt *stmt = NULL;

	if (db_connect(spec, DB_READONLY, &db) < 0 || db_prepare(db, sql, &stmt) < 0)
		return -1;
	if (arg)
		db_bind_text(stmt, 1, arg);
	if (db_step(stmt) <= 0)
		return -1;
	return db_column_int64(stmt, 0);
}

int db_exec_sql(const char *spec, const char *sql)
{
	_cleanup_(db_closep) struct db *db = NULL;

	if (db_connect(spec, 0, &db) < 0)
		return -1;
	return db_exec(db, sql) < 0 ? -1 : 0;
}

long long db_count_records(const char *spec, const char *device)
{
	if (!device)
		return db_int(spec, "SELECT count(*) FROM records", NULL);
	return db_int(spec, "SELECT count(*) FROM records WHERE device_id = ?1", device);
}

bool db_integrity_ok(const char *spec)
{
	static const char *const tables[] = { "devices",      "records",     "identities",
					      "certificates", "check_state", "sequence_gaps" };
	_cleanup_(db_closep) struct db *db = NULL;
	_cleanup_(db_stmt_freep) struct db_stmt *stmt = NULL;
	char sql[96];

	if (db_connect(spec, 0, &db) < 0)
		return false;
	if (db_kind(db) == DB_SQLITE) {
		if (db_prepare(db, "PRAGMA integrity_check", &stmt) < 0 || db_step(stmt) <= 0)
			return false;
		return strcmp(db_column_text(stmt, 0), "ok") == 0;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		if (db_exec(db, sql) < 0)
			return false;
	}
	return true;
}

void db_remove(const char *spec)
{
	char p[600], sql[128];
	const char *name;

	if (strncmp(spec, "postgresql://", strlen("postgresql://")) == 0 ||
	    strncmp(spec, "postgres://", strlen("postgres://")) == 0) {
		/* The path's one segment, before any query (which may hold slashes). */
		name = strchr(strstr(spec, "://") + 3, '/');
		if (!name)
			return;
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
			 (int)strcspn(name + 1, "?"), name + 1);
		(void)postgres_admin(sql);
		return;
	}
	unlink(spec);
	snprintf(p, sizeof(p), "%s-wal", spec);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", spec);
	unlink(p);
}

struct db *db_hold_lock(const char *spec)
{
	struct db *db = NULL;

	if (db_connect(spec, 0, &db) < 0)
		return NULL;
	if (db_begin(db) < 0 || (db_kind(db) == DB_POSTGRESQL &&
				 db_exec(db, "LOCK TABLE devices IN EXCLUSIVE MODE") < 0))
		return db_close(db);
	return db;
}

void db_release_lock(struct db *lock)
{
	if (!lock)
		return;
	db_rollback(lock);
	db_close(lock);
}
