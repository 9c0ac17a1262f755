// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the collector stored, read from its SQLite file by a second
 * connection, as an operator's query would.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

long long db_int(const char *db_path, const char *sql, const char *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto out;
	if (arg)
		sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
out:
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

int db_exec(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

long long db_count_records(const char *db_path, const char *device)
{
	if (!device)
		return db_int(db_path, "SELECT count(*) FROM records", NULL);
	return db_int(db_path, "SELECT count(*) FROM records WHERE device_id = ?1", device);
}

bool db_integrity_ok(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	bool ok = false;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return ok;
}

void db_remove(const char *db_path)
{
	char p[600];

	unlink(db_path);
	snprintf(p, sizeof(p), "%s-wal", db_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db_path);
	unlink(p);
}
