/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the collector stored, read from its SQLite file (harness_db.c).
 * Needs nothing else of the harness, so tests/e2e and tests/integration
 * read their collectors' stores with it too.
 */

#include <stdbool.h>

/*
 * Opens db_path read-only (waiting up to 5 s for a lock), runs sql with arg
 * bound to ?1 unless NULL, and returns the first column of the first row,
 * -1 on any error.
 */
long long db_int(const char *db_path, const char *sql, const char *arg);

/* Rows in records, for device only unless NULL; -1 on any error. */
/* Runs sql (no rows) on the database, written while the collector serves from it: 0 or -1. */
int db_exec(const char *db_path, const char *sql);

long long db_count_records(const char *db_path, const char *device);

/* Whether PRAGMA integrity_check says ok (opened read-write, as a restart would). */
bool db_integrity_ok(const char *db_path);

/* Removes a database and its -wal and -shm files. */
void db_remove(const char *db_path);
