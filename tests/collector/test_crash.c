// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Crash and kill behaviour: the collector killed with SIGKILL at chosen
 * moments of a POST, each time restarted on the same database; and a clean
 * exit on SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "collector/db.h"
#include "harness.h"

enum kill_mode {
	KILL_NEVER, /* calibration: how long the collector takes to store */
	KILL_MID_UPLOAD, /* when a third of the body is sent */
	KILL_AFTER_UPLOAD, /* param ms after the whole body is sent */
	/*
	 * Inside the store's transaction: SQLite, when the WAL has grown by
	 * param bytes (uncommitted pages); PostgreSQL, when the collector's
	 * session has been seen in a transaction param times.
	 */
	KILL_IN_TRANSACTION,
};

struct kill_result {
	bool answered; /* a response arrived before the kill */
	bool killed;
	long long store_ms; /* upload complete -> response */
};

/* Times a PostgreSQL session other than this one was seen inside a transaction on c's database. */
struct pg_watch {
	struct db *db;
	struct db_stmt *busy;
	long long seen;
};

static void pg_watch_start(struct pg_watch *w, const char *spec)
{
	*w = (struct pg_watch){};
	if (!db_test_postgres() || db_open(spec, 0, &w->db, NULL) < 0)
		return;
	if (db_prepare(w->db,
		       "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		       " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
		       " AND backend_type = 'client backend'",
		       &w->busy) < 0)
		w->db = db_close(w->db);
}

static long long pg_watch_poll(struct pg_watch *w)
{
	if (w->busy && db_step(w->busy) > 0 && db_column_int64(w->busy, 0) > 0)
		w->seen++;
	if (w->busy)
		db_reset(w->busy);
	return w->seen;
}

static void pg_watch_stop(struct pg_watch *w)
{
	db_stmt_free(w->busy);
	db_close(w->db);
}

/* POSTs body to collector c, killing it with SIGKILL as mode says; reaps it when killed. */
static void post_and_kill(struct harness *t, struct collector *c, const char *body, size_t size,
			  enum kill_mode mode, long long param, struct kill_result *ret)
{
	struct http h = http_report("device2", body, size);
	struct curl_slist *headers = NULL, *resolve = NULL;
	CURLM *multi = curl_multi_init();
	long long uploaded_at = 0, wal_start = -1;
	struct pg_watch pg;
	char wal[600];
	int running = 1;
	CURL *e;

	*ret = (struct kill_result){};
	snprintf(wal, sizeof(wal), "%s-wal", c->db);
	pg_watch_start(&pg, c->db);
	h.port = c->port;
	e = http_setup(t, &h, &headers, &resolve);
	curl_multi_add_handle(multi, e);
	while (running) {
		curl_off_t up = 0;
		struct stat st;

		curl_multi_perform(multi, &running);
		curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
		if ((size_t)up >= size && !uploaded_at)
			uploaded_at = now_ms();
		if (wal_start < 0 && stat(wal, &st) == 0)
			wal_start = st.st_size;
		if (!ret->killed &&
		    ((mode == KILL_MID_UPLOAD && (size_t)up >= size / 3) ||
		     (mode == KILL_AFTER_UPLOAD && uploaded_at && now_ms() - uploaded_at >= param) ||
		     (mode == KILL_IN_TRANSACTION && !pg.db && stat(wal, &st) == 0 &&
		      wal_start >= 0 && st.st_size - wal_start >= param) ||
		     (mode == KILL_IN_TRANSACTION && pg.db && pg_watch_poll(&pg) >= param))) {
			kill(c->pid, SIGKILL);
			ret->killed = true;
		}
		if (running)
			curl_multi_poll(multi, NULL, 0, 1, NULL);
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &h.status);
	ret->answered = h.status == 200;
	ret->store_ms = uploaded_at ? now_ms() - uploaded_at : -1;
	if (ret->killed) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	pg_watch_stop(&pg);
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	http_done(&h);
}

/* A batch large enough that storing it takes the collector a while, and its limits. */
#define BIG_BATCH 20000LL
static const char *const big_limits[] = { "--max-body-bytes", "64M", "--max-inflated-bytes", "64M",
					  NULL };

struct big_batch {
	char *body;
	size_t size;
};

/* Runs fn with the big batch for device2, freed after; fn's result. */
static int with_big_batch(struct harness *t,
			  int (*fn)(struct harness *t, const struct big_batch *b))
{
	struct big_batch b = { .body = records_batch(t->device2, 1, BIG_BATCH) };
	int r;

	CHECK(b.body, "batch");
	b.size = strlen(b.body);
	r = fn(t, &b);
	free(b.body);
	return r;
}

/* On a fresh db_name: how long the collector takes to store the batch after the upload. */
static int store_time(struct harness *t, const struct big_batch *b, const char *db_name,
		      long long *ret_ms)
{
	struct kill_result k;
	struct collector c;
	int exit_status = -1;

	CHECK(collector_start(t, &c, db_name, big_limits, &exit_status) == 0, "start %d",
	      exit_status);
	post_and_kill(t, &c, b->body, b->size, KILL_NEVER, 0, &k);
	collector_stop(&c, SIGTERM);
	db_remove(c.db);
	CHECK(k.answered, "calibration POST failed");
	fprintf(stderr, "    %lld records: stored %lld ms after the upload\n", BIG_BATCH,
		k.store_ms);
	*ret_ms = k.store_ms;
	return 0;
}

/*
 * One round on a fresh db_name: the batch POSTed and the collector killed
 * as mode and param say.  Then a restarted collector must find a database
 * that passes integrity_check and holds all of the batch or none of it
 * (all when it had answered, none when it was killed in the transaction
 * before answering), and store the batch on that database when it is sent
 * again; the database is removed after.  The kill's result in *ret.
 */
static int sigkill_round(struct harness *t, const struct big_batch *b, const char *db_name,
			 enum kill_mode mode, long long param, struct kill_result *ret)
{
	struct kill_result k;
	struct collector c;
	int exit_status = -1;
	long long rows;

	CHECK(collector_start(t, &c, db_name, big_limits, &exit_status) == 0, "start %d",
	      exit_status);
	post_and_kill(t, &c, b->body, b->size, mode, param, ret);
	if (!ret->killed)
		collector_stop(&c, SIGKILL);
	CHECK(db_integrity_ok(c.db), "integrity_check failed");
	rows = db_count_records(c.db, t->device2);
	if (rows < 0)
		rows = 0;
	fprintf(stderr, "    SIGKILL %s %lld: %s, %lld rows after restart\n",
		mode == KILL_MID_UPLOAD	    ? "mid-upload" :
		mode == KILL_IN_TRANSACTION ? "in transaction, WAL grown by" :
					      "ms after upload",
		param, ret->answered ? "answered first" : "no answer", rows);
	CHECK(rows == 0 || rows == BIG_BATCH, "%lld of %lld rows: a torn batch", rows, BIG_BATCH);
	/* An answer means stored; no answer after a kill in the transaction means not. */
	CHECK(!ret->answered || rows == BIG_BATCH, "answered 200 but %lld rows", rows);
	if (mode == KILL_IN_TRANSACTION && ret->killed && !ret->answered)
		CHECK(rows == 0, "uncommitted batch survived");

	/* The restarted collector serves and stores on this database. */
	CHECK(collector_start(t, &c, db_name, big_limits, &exit_status) == 0, "restart %d",
	      exit_status);
	post_and_kill(t, &c, b->body, b->size, KILL_NEVER, 0, &k);
	collector_stop(&c, SIGTERM);
	CHECK(k.answered, "resend after restart failed");
	rows = db_count_records(c.db, t->device2);
	CHECK(rows == BIG_BATCH, "%lld rows after resend", rows);
	db_remove(c.db);
	return 0;
}

static int sigkill_mid_upload(struct harness *t, const struct big_batch *b)
{
	struct kill_result k;

	return sigkill_round(t, b, "sigkill-upload.db", KILL_MID_UPLOAD, 0, &k);
}

static int test_sigkill_mid_upload(struct harness *t)
{
	return with_big_batch(t, sigkill_mid_upload);
}

/*
 * Killed inside the store's transaction before any answer (SQLite: the WAL
 * grown by 256 KiB, then 1 MiB; PostgreSQL: the session seen in its
 * transaction once, then three times): the uncommitted batch is gone after
 * the restart.  One of the two rounds at least must catch the transaction.
 */
static int sigkill_in_transaction(struct harness *t, const struct big_batch *b)
{
	static const long long wal_growth[] = { 256 * 1024, 1024 * 1024 }, pg_seen[] = { 1, 3 };
	const long long *param = db_test_postgres() ? pg_seen : wal_growth;
	bool in_transaction_seen = false;

	for (size_t i = 0; i < sizeof(wal_growth) / sizeof(wal_growth[0]); i++) {
		struct kill_result k;

		if (sigkill_round(t, b, "sigkill-transaction.db", KILL_IN_TRANSACTION, param[i],
				  &k) < 0)
			return -1;
		in_transaction_seen = in_transaction_seen || (k.killed && !k.answered);
	}
	CHECK(in_transaction_seen, "no round killed the collector inside its transaction");
	return 0;
}

static int test_sigkill_in_transaction(struct harness *t)
{
	return with_big_batch(t, sigkill_in_transaction);
}

/* Killed at 0%, 25%, 50%, 75% and 100% of the time the collector takes to store. */
static int sigkill_after_upload(struct harness *t, const struct big_batch *b)
{
	long long store_ms;

	if (store_time(t, b, "sigkill-after.db", &store_ms) < 0)
		return -1;
	for (int quarter = 0; quarter <= 4; quarter++) {
		struct kill_result k;

		if (sigkill_round(t, b, "sigkill-after.db", KILL_AFTER_UPLOAD,
				  store_ms * quarter / 4, &k) < 0)
			return -1;
	}
	return 0;
}

static int test_sigkill_after_upload(struct harness *t)
{
	return with_big_batch(t, sigkill_after_upload);
}

/* A send and a resend, then SIGKILL: stored exactly once, and the database intact. */
static int resend_then_sigkill(struct harness *t, const struct big_batch *b)
{
	struct kill_result k;
	struct collector c;
	int exit_status = -1;
	long long rows;

	CHECK(collector_start(t, &c, "sigkill-resend.db", big_limits, &exit_status) == 0,
	      "start %d", exit_status);
	post_and_kill(t, &c, b->body, b->size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "first send");
	post_and_kill(t, &c, b->body, b->size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "resend");
	collector_stop(&c, SIGKILL);
	CHECK(db_integrity_ok(c.db), "integrity_check after the kill");
	rows = db_count_records(c.db, t->device2);
	CHECK(rows == BIG_BATCH, "%lld rows, want %lld", rows, BIG_BATCH);
	return 0;
}

static int test_resend_then_sigkill(struct harness *t)
{
	return with_big_batch(t, resend_then_sigkill);
}

static int test_sigterm_clean_exit(struct harness *t)
{
	struct collector c;
	int exit_status = -1, r;

	CHECK(collector_start(t, &c, "sigterm.db", NULL, &exit_status) == 0, "start");
	r = collector_stop(&c, SIGTERM);
	CHECK(r == 0, "exit status %d after SIGTERM", r);
	CHECK(file_contains(c.log, "stopping"), "no stop logged");
	CHECK(db_integrity_ok(c.db), "integrity");
	return 0;
}

const struct test crash_tests[] = {
	{ "sigkill_mid_upload_db_intact", test_sigkill_mid_upload },
	{ "sigkill_in_transaction_rolled_back", test_sigkill_in_transaction },
	{ "sigkill_after_upload_db_intact", test_sigkill_after_upload },
	{ "resend_then_sigkill_stored_once", test_resend_then_sigkill },
	{ "sigterm_clean_exit", test_sigterm_clean_exit },
	{},
};
