/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the collector stored, read through the collector's own connection
 * code (collector/db.h) from either engine: a SQLite file, or, when the
 * environment names a PostgreSQL server (POSTURED_TEST_POSTGRES, a libpq
 * URI to a superuser's database), a database of its own for each store a
 * test names.  Needs nothing else of the harness, so tests/e2e and
 * tests/integration read their collectors' stores with it too.  A "db" below is
 * a --db argument: a path or a postgresql:// URI.
 */

#include <stdbool.h>
#include <stddef.h>

/* The PostgreSQL server the tests use, or NULL: SQLite. */
const char *db_test_postgres(void);

/*
 * The --db of a store named name (a file name such as "main.db") in dir:
 * dir/name on SQLite; on PostgreSQL a database for name made for this run
 * (kept when it exists, so a restarted collector finds its store).  0 or -1.
 */
int db_spec(char *buf, size_t size, const char *dir, const char *name);

/*
 * Runs sql with arg bound to ?1 unless NULL, and returns the first column of
 * the first row, -1 on any error.  SQLite: opened read-only, waiting up to
 * 5 s for a lock.
 */
long long db_int(const char *db, const char *sql, const char *arg);

/* Runs sql (no rows) on the database, written while the collector serves from it: 0 or -1. */
int db_exec_sql(const char *db, const char *sql);

/* Rows in records, for device only unless NULL; -1 on any error. */
long long db_count_records(const char *db, const char *device);

/*
 * Whether the store is whole: SQLite's PRAGMA integrity_check says ok
 * (opened read-write, as a restart would); on PostgreSQL every table of the
 * store reads.
 */
bool db_integrity_ok(const char *db);

/* Removes a store: a SQLite file and its -wal and -shm files, or a PostgreSQL database. */
void db_remove(const char *db);

/*
 * Holds the store's write lock from a second connection, as another writer
 * would, until db_release_lock(): SQLite's BEGIN IMMEDIATE, PostgreSQL's lock on
 * the devices table.  Returns a handle or NULL.
 */
struct db *db_hold_lock(const char *db);
void db_release_lock(struct db *lock);
