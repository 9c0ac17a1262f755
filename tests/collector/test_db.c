// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * db.h's contract, run against both backends: SQLite in a temporary file,
 * and PostgreSQL in a database made for the run when POSTURED_TEST_POSTGRES
 * holds a URI (tools/pg-test-server start DIR prints one).  Without it the
 * PostgreSQL group is skipped, and says why.  The PostgreSQL group adds what
 * only a server does: reconnects, lock timeouts, bad UTF-8, a failed
 * transaction's COMMIT, refused connections, the password kept out of
 * db_describe().
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/db.h"

#define LOAD_ROWS 10000

struct backend {
	const char *name;
	char spec[1024]; /* what each test opens */
	char admin[1024]; /* PostgreSQL: the URI given, where the run's database is made */
	char dbname[64];
	char dir[64]; /* SQLite: the temporary directory */
	bool available;
	struct db *db; /* the current test's connection */
};

static struct backend sqlite_backend = { .name = "SQLite" };
static struct backend pg_backend = { .name = "PostgreSQL" };

static struct db *open_or_fail(const char *spec)
{
	struct db *db = NULL;
	char *error = NULL;
	int r;

	r = db_open(spec, 0, &db, &error);
	if (r < 0)
		fail_msg("db_open(%s): %s: %s", spec, strerror(-r), error ? error : "?");
	free(error);
	return db;
}

static void exec_ok(struct db *db, const char *sql)
{
	int r = db_exec(db, sql);

	if (r < 0)
		fail_msg("%s: %s: %s", sql, strerror(-r), db_errmsg(db));
}

static struct db_stmt *prepare_ok(struct db *db, const char *sql)
{
	struct db_stmt *st = NULL;
	int r = db_prepare(db, sql, &st);

	if (r < 0)
		fail_msg("prepare %s: %s: %s", sql, strerror(-r), db_errmsg(db));
	return st;
}

static void step_expect(struct db_stmt *st, int expect, struct db *db)
{
	int r = db_step(st);

	if (r != expect)
		fail_msg("step: %d (%s), expected %d: %s", r, r < 0 ? strerror(-r) : "", expect,
			 db_errmsg(db));
}

/* The first column of the one row sql gives. */
static int64_t query_int(struct db *db, const char *sql)
{
	_cleanup_(db_stmt_freep) struct db_stmt *st = prepare_ok(db, sql);

	step_expect(st, 1, db);
	return db_column_int64(st, 0);
}

static struct db *test_db(void **state)
{
	struct backend *b = *state;

	if (!b->available)
		skip();
	return b->db;
}

static bool is_pg(struct db *db)
{
	return db_kind(db) == DB_POSTGRESQL;
}

/* --- groups and tests: a connection a test, a database (or file) a run --- */

static int sqlite_group_setup(void **state)
{
	char dir[] = "/tmp/test_db.XXXXXX";

	if (!mkdtemp(dir))
		return -1;
	snprintf(sqlite_backend.dir, sizeof(sqlite_backend.dir), "%s", dir);
	snprintf(sqlite_backend.spec, sizeof(sqlite_backend.spec), "sqlite:%s/store.db", dir);
	sqlite_backend.available = true;
	*state = &sqlite_backend;
	return 0;
}

static int sqlite_group_teardown(void **state)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/store.db%s", sqlite_backend.dir, suffixes[i]);
		unlink(path);
	}
	return rmdir(sqlite_backend.dir) < 0 ? -1 : 0;
}

/* uri with its database replaced by dbname (libpq's URI: scheme://[auth@]hosts[/db][?params]). */
static int uri_with_db(const char *uri, const char *dbname, char *buf, size_t size)
{
	const char *hosts = strstr(uri, "://"), *end, *query;
	int n;

	if (!hosts)
		return -EINVAL;
	hosts += 3;
	end = hosts + strcspn(hosts, "/?");
	query = strchr(end, '?');
	n = snprintf(buf, size, "%.*s/%s%s", (int)(end - uri), uri, dbname, query ? query : "");
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

static int pg_group_setup(void **state)
{
	const char *uri = getenv("POSTURED_TEST_POSTGRES");
	char sql[128];
	struct db *db = NULL;
	char *error = NULL;
	int r;

	*state = &pg_backend;
	if (!uri || !*uri) {
		printf("[  SKIPPED ] PostgreSQL: POSTURED_TEST_POSTGRES is not set (a URI such as "
		       "tools/pg-test-server start DIR prints)\n");
		return 0;
	}
	snprintf(pg_backend.admin, sizeof(pg_backend.admin), "%s", uri);
	snprintf(pg_backend.dbname, sizeof(pg_backend.dbname), "postured_test_%ld_%ld",
		 (long)getpid(), (long)time(NULL));
	if (uri_with_db(uri, pg_backend.dbname, pg_backend.spec, sizeof(pg_backend.spec)) < 0)
		return -1;
	r = db_open(uri, 0, &db, &error);
	if (r < 0) {
		fprintf(stderr, "PostgreSQL at %s: %s: %s\n", uri, strerror(-r),
			error ? error : "");
		free(error);
		return -1;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_backend.dbname);
	r = db_exec(db, sql);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", sql, db_errmsg(db));
	db_close(db);
	pg_backend.available = r >= 0;
	printf("[ INFO     ] PostgreSQL: database %s at %s\n", pg_backend.dbname, uri);
	return r < 0 ? -1 : 0;
}

static int pg_group_teardown(void **state)
{
	_cleanup_(db_closep) struct db *db = NULL;
	char sql[128];

	if (!pg_backend.available)
		return 0;
	db = open_or_fail(pg_backend.admin);
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", pg_backend.dbname);
	return db_exec(db, sql) < 0 ? -1 : 0;
}

static int test_setup(void **state)
{
	struct backend *b = *state;

	if (b->available)
		b->db = open_or_fail(b->spec);
	return 0;
}

static int test_teardown(void **state)
{
	struct backend *b = *state;

	b->db = db_close(b->db);
	return 0;
}

/* --- the contract, on both --- */

static void test_exec_several(void **state)
{
	struct db *db = test_db(state);

	exec_ok(db, "CREATE TABLE t_exec (a BIGINT);"
		    "INSERT INTO t_exec VALUES (1);"
		    "INSERT INTO t_exec VALUES (2);");
	assert_int_equal(query_int(db, "SELECT SUM(a) FROM t_exec"), 3);
	/* Rows are dropped, and a failing statement fails the call. */
	exec_ok(db, "SELECT a FROM t_exec");
	assert_true(db_exec(db, "INSERT INTO t_exec VALUES (3); INSERT INTO no_such VALUES (4)") <
		    0);
	assert_true(strlen(db_errmsg(db)) > 0);
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_exec"), is_pg(db) ? 2 : 3);
}

static void test_params_twice(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL;

	exec_ok(db, "CREATE TABLE t_twice (a TEXT, b TEXT, n BIGINT)");
	ins = prepare_ok(db, "INSERT INTO t_twice (a, b, n) VALUES (?1, ?1, ?2)");
	db_bind_text(ins, 1, "same");
	db_bind_int64(ins, 2, 7);
	assert_int_equal(db_run(ins), 0);
	db_bind_text(ins, 1, "other");
	db_bind_int64(ins, 2, 8);
	assert_int_equal(db_run(ins), 0);

	sel = prepare_ok(db, "SELECT a, b, n FROM t_twice WHERE (a = ?1 OR b = ?1) AND n >= ?2");
	db_bind_text(sel, 1, "same");
	db_bind_int64(sel, 2, 7);
	step_expect(sel, 1, db);
	assert_string_equal(db_column_text(sel, 0), "same");
	assert_string_equal(db_column_text(sel, 1), "same");
	assert_int_equal(db_column_int64(sel, 2), 7);
	step_expect(sel, 0, db);
	db_reset(sel);
	/* Run again with other values: the statement is prepared once. */
	db_bind_text(sel, 1, "other");
	db_bind_int64(sel, 2, 0);
	step_expect(sel, 1, db);
	assert_int_equal(db_column_int64(sel, 2), 8);
	db_reset(sel);
}

static void test_quotes(void **state)
{
	static const char tricky[] = "O'Brien said \"?1\" -- not a comment; /* nor ?2 this */ ''";
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL;

	exec_ok(db, "CREATE TABLE t_quote (k BIGINT, v TEXT, \"odd?name\" TEXT)");
	/* Only ?1 and ?2 are parameters: the rest is a literal, an identifier, comments. */
	ins = prepare_ok(db, "INSERT INTO t_quote (k, v, \"odd?name\") /* ?5 */"
			     " VALUES (?1, ?2, 'lit?3 ''?'' -- no') -- trailing ?4\n");
	db_bind_int64(ins, 1, 1);
	db_bind_text(ins, 2, tricky);
	assert_int_equal(db_run(ins), 0);

	sel = prepare_ok(db, "SELECT v, \"odd?name\", 'what?' FROM t_quote"
			     " WHERE k = ?1 AND v = ?2 AND \"odd?name\" <> '?'");
	db_bind_int64(sel, 1, 1);
	db_bind_text(sel, 2, tricky);
	step_expect(sel, 1, db);
	assert_string_equal(db_column_text(sel, 0), tricky);
	assert_string_equal(db_column_text(sel, 1), "lit?3 '?' -- no");
	assert_string_equal(db_column_text(sel, 2), "what?");
	step_expect(sel, 0, db);
	db_reset(sel);
}

static void test_int64(void **state)
{
	static const int64_t values[] = { INT64_MIN, -1, 0, 1, INT64_MAX };
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL, *cast = NULL;

	exec_ok(db, "CREATE TABLE t_int (v BIGINT)");
	ins = prepare_ok(db, "INSERT INTO t_int (v) VALUES (?1)");
	for (size_t i = 0; i < 5; i++) {
		db_bind_int64(ins, 1, values[i]);
		assert_int_equal(db_run(ins), 0);
	}
	sel = prepare_ok(db, "SELECT v FROM t_int ORDER BY v");
	for (size_t i = 0; i < 5; i++) {
		step_expect(sel, 1, db);
		assert_true(db_column_int64(sel, 0) == values[i]);
	}
	step_expect(sel, 0, db);
	db_reset(sel);

	cast = prepare_ok(db, "SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT)");
	db_bind_int64(cast, 1, INT64_MIN);
	db_bind_int64(cast, 2, INT64_MAX);
	step_expect(cast, 1, db);
	assert_true(db_column_int64(cast, 0) == INT64_MIN);
	assert_true(db_column_int64(cast, 1) == INT64_MAX);
	assert_string_equal(db_column_text(cast, 1), "9223372036854775807");
	db_reset(cast);

	/* A time in ms in arithmetic with small constants, uncast: the parameter stays bigint. */
	{
		_cleanup_(db_stmt_freep) struct db_stmt *ms =
			prepare_ok(db, "SELECT ?1 - 30 * 1000");

		db_bind_int64(ms, 1, INT64_C(1796696203039));
		step_expect(ms, 1, db);
		assert_true(db_column_int64(ms, 0) == INT64_C(1796696173039));
		db_reset(ms);
	}
}

static void test_null(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL;

	exec_ok(db, "CREATE TABLE t_null (k BIGINT, a TEXT, b BIGINT)");
	ins = prepare_ok(db, "INSERT INTO t_null (k, a, b) VALUES (?1, ?2, ?3)");
	db_bind_int64(ins, 1, 1);
	db_bind_null(ins, 2);
	db_bind_text(ins, 3, NULL);
	assert_int_equal(db_run(ins), 0);
	/* Unbound is NULL, and a reset clears what was bound. */
	db_bind_int64(ins, 1, 2);
	assert_int_equal(db_run(ins), 0);
	db_bind_int64(ins, 1, 3);
	db_bind_text(ins, 2, "");
	db_bind_int64(ins, 3, 5);
	assert_int_equal(db_run(ins), 0);
	db_bind_int64(ins, 1, 4);
	assert_int_equal(db_run(ins), 0);

	sel = prepare_ok(db, "SELECT a, b FROM t_null ORDER BY k");
	for (int k = 1; k <= 4; k++) {
		step_expect(sel, 1, db);
		if (k == 3) {
			/* The empty string is not NULL. */
			assert_false(db_column_null(sel, 0));
			assert_string_equal(db_column_text(sel, 0), "");
			assert_int_equal(db_column_int64(sel, 1), 5);
			continue;
		}
		assert_true(db_column_null(sel, 0));
		assert_true(db_column_null(sel, 1));
		assert_null(db_column_text(sel, 0));
		assert_int_equal(db_column_bytes(sel, 0), 0);
		assert_int_equal(db_column_int64(sel, 1), 0);
		assert_true(db_column_double(sel, 1) == 0);
	}
	step_expect(sel, 0, db);
	db_reset(sel);
}

static void test_text_n(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *st = NULL;
	_cleanup_free_ char *raw = malloc(4);
	const char buf[] = "abcdefgh";

	/* Exactly four bytes, no NUL: ASan catches a read past them. */
	assert_non_null(raw);
	memcpy(raw, "wxyz", 4);
	st = prepare_ok(db, "SELECT ?1, ?2, ?3");
	db_bind_text_n(st, 1, buf, 3);
	db_bind_text_n(st, 2, raw, 4);
	db_bind_text_n(st, 3, buf, 0);
	step_expect(st, 1, db);
	assert_string_equal(db_column_text(st, 0), "abc");
	assert_int_equal(db_column_bytes(st, 0), 3);
	assert_string_equal(db_column_text(st, 1), "wxyz");
	assert_int_equal(db_column_bytes(st, 1), 4);
	assert_false(db_column_null(st, 2));
	assert_string_equal(db_column_text(st, 2), "");
	db_reset(st);
}

static void test_rows(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL, *count = NULL;
	int n;

	exec_ok(db, "CREATE TABLE t_rows (v BIGINT, s TEXT)");
	assert_int_equal(db_begin(db), 0);
	ins = prepare_ok(db, "INSERT INTO t_rows (v, s) VALUES (?1, ?2)");
	for (int i = 1; i <= 100; i++) {
		char s[16];

		snprintf(s, sizeof(s), "row %d", i);
		db_bind_int64(ins, 1, i);
		db_bind_text(ins, 2, s);
		assert_int_equal(db_run(ins), 0);
	}
	assert_int_equal(db_commit(db), 0);

	sel = prepare_ok(db, "SELECT v, s FROM t_rows WHERE v > ?1 ORDER BY v");
	count = prepare_ok(db, "SELECT COUNT(*) FROM t_rows");
	db_bind_int64(sel, 1, 0);
	for (n = 0; db_step(sel) == 1; n++) {
		char s[16];

		assert_int_equal(db_column_int64(sel, 0), n + 1);
		snprintf(s, sizeof(s), "row %d", n + 1);
		assert_string_equal(db_column_text(sel, 1), s);
		/* Another statement runs while this one's rows are read. */
		if (n == 50) {
			step_expect(count, 1, db);
			assert_int_equal(db_column_int64(count, 0), 100);
			db_reset(count);
		}
	}
	assert_int_equal(n, 100);
	db_reset(sel);
	db_bind_int64(sel, 1, 90);
	for (n = 0; db_step(sel) == 1; n++)
		assert_int_equal(db_column_int64(sel, 0), 91 + n);
	assert_int_equal(n, 10);
	db_reset(sel);
	/* A query with no rows is done at once. */
	db_bind_int64(sel, 1, 1000);
	step_expect(sel, 0, db);
	db_reset(sel);
}

static void test_changes(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *upd = NULL, *del = NULL;

	exec_ok(db, "CREATE TABLE t_changes (v BIGINT);"
		    "INSERT INTO t_changes VALUES (1), (2), (3), (4), (5)");
	upd = prepare_ok(db, "UPDATE t_changes SET v = v + 10 WHERE v <= ?1");
	db_bind_int64(upd, 1, 3);
	assert_int_equal(db_run(upd), 0);
	assert_int_equal(db_changes(db), 3);
	del = prepare_ok(db, "DELETE FROM t_changes WHERE v > ?1");
	db_bind_int64(del, 1, 11);
	assert_int_equal(db_run(del), 0);
	assert_int_equal(db_changes(db), 2);
	/* A query changes nothing, and leaves the count. */
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_changes"), 3);
	assert_int_equal(db_changes(db), 2);
	exec_ok(db, "UPDATE t_changes SET v = 0");
	assert_int_equal(db_changes(db), 3);
	db_bind_int64(upd, 1, -1);
	assert_int_equal(db_run(upd), 0);
	assert_int_equal(db_changes(db), 0);
}

static void test_transactions(void **state)
{
	struct db *db = test_db(state);

	exec_ok(db, "CREATE TABLE t_tx (v BIGINT)");
	assert_false(db_in_transaction(db));
	assert_int_equal(db_begin(db), 0);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_begin(db), -EIO); /* no nesting */
	exec_ok(db, "INSERT INTO t_tx VALUES (1)");
	assert_int_equal(db_commit(db), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_tx"), 1);

	assert_int_equal(db_begin(db), 0);
	exec_ok(db, "INSERT INTO t_tx VALUES (2)");
	db_rollback(db);
	assert_false(db_in_transaction(db));
	db_rollback(db); /* none open: nothing to do, and no failure */
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_tx"), 1);
	assert_int_equal(db_commit(db), -EIO);

	/* A second connection sees only what was committed. */
	{
		_cleanup_(db_closep) struct db *other =
			open_or_fail(((struct backend *)*state)->spec);

		assert_int_equal(query_int(other, "SELECT COALESCE(SUM(v), 0) FROM t_tx"), 1);
	}
}

static void test_unique(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;

	exec_ok(db, "CREATE TABLE t_uniq (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
	ins = prepare_ok(db, "INSERT INTO t_uniq (k, v) VALUES (?1, ?2)");
	db_bind_text(ins, 1, "a");
	db_bind_text(ins, 2, "x");
	assert_int_equal(db_run(ins), 0);
	db_bind_text(ins, 1, "a");
	db_bind_text(ins, 2, "y");
	assert_int_equal(db_run(ins), -EEXIST);
	assert_true(strlen(db_errmsg(db)) > 0);
	assert_null(strchr(db_errmsg(db), '\n'));
	/* Another integrity rule is -EINVAL. */
	db_bind_text(ins, 1, "b");
	assert_int_equal(db_run(ins), -EINVAL);
	/* And the statement still works. */
	db_bind_text(ins, 1, "c");
	db_bind_text(ins, 2, "z");
	assert_int_equal(db_run(ins), 0);
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_uniq"), 2);
}

/* Row i's value of column c, or NULL: every escape COPY has, and the strings near them. */
static const char *load_value(int i, int c, char *buf, size_t size)
{
	static const char *const odd[] = {
		"tab\there",
		"new\nline",
		"carriage\rreturn",
		"back\\slash",
		"\\N",
		"\\",
		"",
		"\t\n\r\\",
		"trailing\\",
		"ä€😀 utf-8",
		"'quote' \"dq\"",
		"a\\tb (not a tab)",
		"\\.",
		"end\n",
	};

	if ((i + c) % 7 == 0)
		return NULL;
	if (i % 1000 == 1) {
		/* Long enough for rows to cross the COPY buffer's edge. */
		size_t n = size - 1;

		for (size_t k = 0; k < n; k++)
			buf[k] = "x\t\\\n"[(k + (size_t)c) % 4];
		buf[n] = '\0';
		return buf;
	}
	snprintf(buf, size, "%d:%d %s", i, c,
		 odd[(size_t)(i * 3 + c) % (sizeof(odd) / sizeof(odd[0]))]);
	return buf;
}

static void test_load(void **state)
{
	static const char *const columns[] = { "id", "a", "b" };
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *sel = NULL;
	struct db_load *l = NULL;
	int r = 0, n;

	exec_ok(db, "CREATE TABLE t_load (id BIGINT PRIMARY KEY, a TEXT, b TEXT)");
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_load_begin(db, "t_load", columns, 3, &l), 0);
	for (int i = 1; i <= LOAD_ROWS && r >= 0; i++) {
		static char a[70000], b[70000];
		char id[24];
		const char *values[3];
		size_t lengths[3];

		snprintf(id, sizeof(id), "%d", i);
		values[0] = id;
		values[1] = load_value(i, 1, a, i % 1000 == 1 ? sizeof(a) : 128);
		values[2] = load_value(i, 2, b, i % 1000 == 1 ? 3000 : 128);
		for (int c = 0; c < 3; c++)
			lengths[c] = values[c] ? strlen(values[c]) : 0;
		r = db_load_row(l, values, lengths);
	}
	assert_int_equal(r, 0);
	r = db_load_end(l);
	if (r < 0)
		fail_msg("load: %s: %s", strerror(-r), db_errmsg(db));
	assert_int_equal(db_commit(db), 0);

	sel = prepare_ok(db, "SELECT id, a, b FROM t_load ORDER BY id");
	for (n = 0; db_step(sel) == 1; n++) {
		int i = n + 1;

		assert_int_equal(db_column_int64(sel, 0), i);
		for (int c = 1; c <= 2; c++) {
			static char want[70000];
			const char *w = load_value(
				i, c, want, i % 1000 == 1 ? (c == 1 ? sizeof(want) : 3000) : 128);
			const char *got = db_column_text(sel, c);

			if (!w) {
				assert_true(db_column_null(sel, c));
				continue;
			}
			assert_non_null(got);
			assert_int_equal(db_column_bytes(sel, c), strlen(w));
			if (strcmp(got, w) != 0)
				fail_msg("row %d column %d: got '%.60s', want '%.60s'", i, c, got,
					 w);
		}
	}
	assert_int_equal(n, LOAD_ROWS);
	db_reset(sel);
}

static void test_load_unique(void **state)
{
	static const char *const columns[] = { "id", "v" };
	struct db *db = test_db(state);
	struct db_load *l = NULL;
	int r = 0;

	exec_ok(db, "CREATE TABLE t_load_uniq (id BIGINT PRIMARY KEY, v TEXT)");
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_load_begin(db, "t_load_uniq", columns, 2, &l), 0);
	for (int i = 0; i < 10; i++) {
		const char *values[] = { i == 7 ? "3" : (char[]){ (char)('0' + i), '\0' }, "v" };
		const size_t lengths[] = { 1, 1 };

		if (r >= 0)
			r = db_load_row(l, values, lengths);
	}
	/* SQLite finds the key taken at its row, PostgreSQL at the end: either way, the end says so. */
	assert_int_equal(db_load_end(l), -EEXIST);
	db_rollback(db);
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_load_uniq"), 0);
}

static void test_returning(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;

	exec_ok(db, is_pg(db) ? "CREATE TABLE t_ret (id BIGINT GENERATED BY DEFAULT AS IDENTITY"
				" PRIMARY KEY, v TEXT)" :
				"CREATE TABLE t_ret (id INTEGER PRIMARY KEY, v TEXT)");
	ins = prepare_ok(db, "INSERT INTO t_ret (v) VALUES (?1) RETURNING id, v");
	for (int i = 1; i <= 3; i++) {
		db_bind_text(ins, 1, "x");
		step_expect(ins, 1, db);
		assert_int_equal(db_column_int64(ins, 0), i);
		assert_string_equal(db_column_text(ins, 1), "x");
		step_expect(ins, 0, db);
		db_reset(ins);
		assert_int_equal(db_changes(db), 1);
	}
}

static void test_bool(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL, *sel = NULL;

	exec_ok(db, "CREATE TABLE t_bool (k BIGINT, b BOOLEAN NOT NULL);"
		    "INSERT INTO t_bool VALUES (1, TRUE), (2, FALSE)");
	/* Integers are bound as bigint: the store's flags are BIGINT columns, a comparison makes a BOOLEAN. */
	ins = prepare_ok(db, "INSERT INTO t_bool (k, b) VALUES (?1, ?2 <> 0)");
	db_bind_int64(ins, 1, 3);
	db_bind_int64(ins, 2, 1);
	assert_int_equal(db_run(ins), 0);
	db_bind_int64(ins, 1, 4);
	db_bind_int64(ins, 2, 0);
	assert_int_equal(db_run(ins), 0);

	sel = prepare_ok(db, "SELECT b, b = TRUE, EXISTS (SELECT 1 FROM t_bool WHERE k = ?1)"
			     " FROM t_bool ORDER BY k");
	db_bind_int64(sel, 1, 99);
	for (int k = 1; k <= 4; k++) {
		int want = k % 2;

		step_expect(sel, 1, db);
		assert_int_equal(db_column_int64(sel, 0), want);
		assert_int_equal(db_column_int64(sel, 1), want);
		assert_string_equal(db_column_text(sel, 0), want ? "1" : "0");
		assert_int_equal(db_column_bytes(sel, 0), 1);
		assert_true(db_column_double(sel, 0) == want);
		assert_int_equal(db_column_int64(sel, 2), 0);
	}
	db_reset(sel);
}

static void test_numbers(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *st = NULL;

	st = prepare_ok(db, "SELECT CAST('12.000' AS NUMERIC), CAST(2.5 AS DOUBLE PRECISION),"
			    " CAST(-7.9 AS DOUBLE PRECISION), CAST(?1 AS BIGINT) * 2,"
			    " CAST(1e20 AS DOUBLE PRECISION), CAST(-1e20 AS DOUBLE PRECISION)");
	db_bind_text(st, 1, "21"); /* digits as text, where a number is wanted */
	step_expect(st, 1, db);
	assert_int_equal(db_column_int64(st, 0), 12);
	assert_true(db_column_double(st, 1) == 2.5);
	assert_int_equal(db_column_int64(st, 1), 2);
	assert_int_equal(db_column_int64(st, 2), -7);
	assert_int_equal(db_column_int64(st, 3), 42);
	/* PostgreSQL writes these "1e+20": read whole, and clamped as SQLite clamps. */
	assert_true(db_column_int64(st, 4) == INT64_MAX);
	assert_true(db_column_int64(st, 5) == INT64_MIN);
	assert_true(db_column_double(st, 4) == 1e20);
	db_reset(st);
}

/* --- what only a server does --- */

static void terminate(struct db *db, int64_t pid)
{
	_cleanup_(db_closep) struct db *other = open_or_fail(pg_backend.spec);
	char sql[96];

	/* Waits (5 s at most) until the backend is gone. */
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%" PRId64 ", 5000)", pid);
	assert_int_equal(query_int(other, sql), 1);
}

static void test_pg_reconnect_self(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *st =
		prepare_ok(db, "SELECT CAST(?1 AS BIGINT) + 1");
	int64_t pid = query_int(db, "SELECT pg_backend_pid()");

	db_bind_int64(st, 1, 41);
	step_expect(st, 1, db);
	assert_int_equal(db_column_int64(st, 0), 42);
	db_reset(st);
	/* The failing call says the server went away... */
	assert_int_equal(db_exec(db, "SELECT pg_terminate_backend(pg_backend_pid())"), -ECONNRESET);
	assert_true(strlen(db_errmsg(db)) > 0);
	/* ...and the next one reconnects, the statement prepared again on the new session. */
	db_bind_int64(st, 1, 1);
	step_expect(st, 1, db);
	assert_int_equal(db_column_int64(st, 0), 2);
	db_reset(st);
	assert_true(query_int(db, "SELECT pg_backend_pid()") != pid);
}

static void test_pg_reconnect_other(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *st =
		prepare_ok(db, "SELECT CAST(?1 AS BIGINT) * 2");

	db_bind_int64(st, 1, 21);
	step_expect(st, 1, db);
	db_reset(st);
	terminate(db, query_int(db, "SELECT pg_backend_pid()"));
	db_bind_int64(st, 1, 1);
	assert_int_equal(db_step(st), -ECONNRESET);
	db_reset(st);
	db_bind_int64(st, 1, 4);
	step_expect(st, 1, db);
	assert_int_equal(db_column_int64(st, 0), 8);
	db_reset(st);
}

static void test_pg_reconnect_transaction(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *ins = NULL;

	exec_ok(db, "CREATE TABLE t_lost (v BIGINT)");
	ins = prepare_ok(db, "INSERT INTO t_lost (v) VALUES (?1)");
	assert_int_equal(db_begin(db), 0);
	db_bind_int64(ins, 1, 1);
	assert_int_equal(db_run(ins), 0);
	terminate(db, query_int(db, "SELECT pg_backend_pid()"));
	db_bind_int64(ins, 1, 2);
	assert_int_equal(db_run(ins), -ECONNRESET);
	assert_true(db_in_transaction(db));
	/* The rest of the transaction does not go on without it, autocommitted. */
	db_bind_int64(ins, 1, 3);
	assert_int_equal(db_run(ins), -ECONNRESET);
	assert_int_equal(db_exec(db, "INSERT INTO t_lost VALUES (4)"), -ECONNRESET);
	assert_int_equal(db_commit(db), -ECONNRESET);
	assert_true(db_in_transaction(db));
	db_rollback(db);
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_lost"), 0);
	db_bind_int64(ins, 1, 5);
	assert_int_equal(db_run(ins), 0);
	assert_int_equal(query_int(db, "SELECT SUM(v) FROM t_lost"), 5);
}

static void test_pg_failed_transaction(void **state)
{
	struct db *db = test_db(state);

	exec_ok(db, "CREATE TABLE t_failed (k BIGINT PRIMARY KEY)");
	assert_int_equal(db_begin(db), 0);
	exec_ok(db, "INSERT INTO t_failed VALUES (1)");
	assert_int_equal(db_exec(db, "INSERT INTO t_failed VALUES (1)"), -EEXIST);
	assert_true(db_in_transaction(db));
	/* PostgreSQL's COMMIT answers ROLLBACK: that is a failure. */
	assert_int_equal(db_commit(db), -EIO);
	assert_non_null(strstr(db_errmsg(db), "rolled back"));
	assert_false(db_in_transaction(db));
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM t_failed"), 0);
}

static void test_pg_errors(void **state)
{
	struct db *db = test_db(state);
	_cleanup_(db_stmt_freep) struct db_stmt *st = NULL, *upd = NULL;
	struct db_stmt *bad = NULL;
	_cleanup_(db_closep) struct db *other = NULL;

	/* Bad UTF-8 is refused (SQLite would store it). */
	st = prepare_ok(db, "SELECT ?1");
	db_bind_text(st, 1, "\xff\xfe");
	assert_int_equal(db_step(st), -EILSEQ);
	db_reset(st);
	/* A parameter the statement does not have, and one past ?99. */
	db_bind_text(st, 2, "x");
	assert_int_equal(db_step(st), -EINVAL);
	db_reset(st);
	assert_int_equal(db_prepare(db, "SELECT ?100", &bad), -EINVAL);
	assert_null(bad);
	/* E'...' has backslash escapes: its \' does not end it; block comments nest. */
	st = db_stmt_free(st);
	st = prepare_ok(db, "SELECT E'it\\'s ?1', /* ?2 /* ?3 */ ?4 */ ?1");
	db_bind_text(st, 1, "p");
	step_expect(st, 1, db);
	assert_string_equal(db_column_text(st, 0), "it's ?1");
	assert_string_equal(db_column_text(st, 1), "p");
	db_reset(st);

	/* A row locked by another connection, with a lock timeout: busy, worth a retry. */
	exec_ok(db, "CREATE TABLE t_lock (k BIGINT PRIMARY KEY, v BIGINT);"
		    "INSERT INTO t_lock VALUES (1, 0)");
	other = open_or_fail(pg_backend.spec);
	assert_int_equal(db_begin(other), 0);
	exec_ok(other, "UPDATE t_lock SET v = 1 WHERE k = 1");
	exec_ok(db, "SET lock_timeout = '100ms'");
	upd = prepare_ok(db, "UPDATE t_lock SET v = 2 WHERE k = ?1");
	db_bind_int64(upd, 1, 1);
	assert_int_equal(db_run(upd), -EBUSY);
	db_rollback(other);
	db_bind_int64(upd, 1, 1);
	assert_int_equal(db_run(upd), 0);
}

static void test_pg_deallocate(void **state)
{
	struct db *db = test_db(state);

	/* Statements freed are deallocated on the server, not kept for the session's life. */
	for (int i = 0; i < 20; i++) {
		_cleanup_(db_stmt_freep) struct db_stmt *st = prepare_ok(db, "SELECT ?1");

		db_bind_int64(st, 1, i);
		step_expect(st, 1, db);
	}
	assert_int_equal(query_int(db, "SELECT COUNT(*) FROM pg_prepared_statements"), 1);
}

static void test_pg_open(void **state)
{
	struct backend *b = *state;
	char uri[1200], *p, *error = NULL;
	struct db *db = NULL;
	int r;

	test_db(state);
	/* A password in the user info and in the query is not in db_describe() (trust ignores it). */
	snprintf(uri, sizeof(uri), "%s", b->spec);
	p = strstr(uri, "://");
	assert_non_null(p);
	p = strchr(p + 3, '@');
	assert_non_null(p);
	memmove(p + 7, p, strlen(p) + 1);
	memcpy(p, ":s3cr3t", 7);
	strcat(uri, strchr(uri, '?') ? "&" : "?");
	strcat(uri, "sslmode=disable&password=hunter2&application_name=t&p%61ssword=x");
	db = open_or_fail(uri);
	assert_null(strstr(db_describe(db), "s3cr3t"));
	assert_null(strstr(db_describe(db), "hunter2"));
	assert_null(strstr(db_describe(db), "=x"));
	assert_non_null(strstr(db_describe(db), "sslmode=disable&application_name=t"));
	assert_string_equal(db_kind_name(db), "PostgreSQL");
	db = db_close(db);

	/* A database that is not there, a port nobody listens on. */
	assert_int_equal(uri_with_db(b->admin, "postured_no_such_db", uri, sizeof(uri)), 0);
	r = db_open(uri, 0, &db, &error);
	assert_int_equal(r, -ENOENT);
	assert_non_null(error);
	assert_null(db);
	error = mfree(error);
	r = db_open("postgresql://postured@127.0.0.1:1/postgres?connect_timeout=2", 0, &db, &error);
	assert_int_equal(r, -ECONNREFUSED);
	assert_non_null(error);
	assert_true(strlen(error) > 0);
	free(error);
}

#define CONTRACT_TESTS                                                                         \
	cmocka_unit_test_setup_teardown(test_exec_several, test_setup, test_teardown),         \
		cmocka_unit_test_setup_teardown(test_params_twice, test_setup, test_teardown), \
		cmocka_unit_test_setup_teardown(test_quotes, test_setup, test_teardown),       \
		cmocka_unit_test_setup_teardown(test_int64, test_setup, test_teardown),        \
		cmocka_unit_test_setup_teardown(test_null, test_setup, test_teardown),         \
		cmocka_unit_test_setup_teardown(test_text_n, test_setup, test_teardown),       \
		cmocka_unit_test_setup_teardown(test_rows, test_setup, test_teardown),         \
		cmocka_unit_test_setup_teardown(test_changes, test_setup, test_teardown),      \
		cmocka_unit_test_setup_teardown(test_transactions, test_setup, test_teardown), \
		cmocka_unit_test_setup_teardown(test_unique, test_setup, test_teardown),       \
		cmocka_unit_test_setup_teardown(test_load, test_setup, test_teardown),         \
		cmocka_unit_test_setup_teardown(test_load_unique, test_setup, test_teardown),  \
		cmocka_unit_test_setup_teardown(test_returning, test_setup, test_teardown),    \
		cmocka_unit_test_setup_teardown(test_bool, test_setup, test_teardown),         \
		cmocka_unit_test_setup_teardown(test_numbers, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest sqlite_tests[] = { CONTRACT_TESTS };
	const struct CMUnitTest pg_tests[] = {
		CONTRACT_TESTS,
		cmocka_unit_test_setup_teardown(test_pg_reconnect_self, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_reconnect_other, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_reconnect_transaction, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_failed_transaction, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_errors, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_deallocate, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_pg_open, test_setup, test_teardown),
	};
	int failed;

	failed = cmocka_run_group_tests_name("db_sqlite", sqlite_tests, sqlite_group_setup,
					     sqlite_group_teardown);
	failed += cmocka_run_group_tests_name("db_postgresql", pg_tests, pg_group_setup,
					      pg_group_teardown);
	return failed ? 1 : 0;
}
