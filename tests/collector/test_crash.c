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

#include "harness.h"

enum kill_mode {
	KILL_NEVER, /* calibration: how long the collector takes to store */
	KILL_MID_UPLOAD, /* when a third of the body is sent */
	KILL_AFTER_UPLOAD, /* param ms after the whole body is sent */
	KILL_IN_TRANSACTION, /* when the WAL has grown by param bytes: uncommitted pages */
};

struct kill_result {
	bool answered; /* a response arrived before the kill */
	bool killed;
	long long store_ms; /* upload complete -> response */
};

/* POSTs body to collector c, killing it with SIGKILL as mode says; reaps it when killed. */
static void post_and_kill(struct harness *t, struct collector *c, const char *body, size_t size,
			  enum kill_mode mode, long long param, struct kill_result *ret)
{
	struct http h = http_report("device2", body, size);
	struct curl_slist *headers = NULL, *resolve = NULL;
	CURLM *multi = curl_multi_init();
	long long uploaded_at = 0, wal_start = -1;
	char wal[600];
	int running = 1;
	CURL *e;

	*ret = (struct kill_result){};
	snprintf(wal, sizeof(wal), "%s-wal", c->db);
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
		if (!ret->killed && ((mode == KILL_MID_UPLOAD && (size_t)up >= size / 3) ||
				     (mode == KILL_AFTER_UPLOAD && uploaded_at &&
				      now_ms() - uploaded_at >= param) ||
				     (mode == KILL_IN_TRANSACTION && stat(wal, &st) == 0 &&
				      wal_start >= 0 && st.st_size - wal_start >= param))) {
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
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	http_done(&h);
}

/*
 * The collector killed with SIGKILL during a POST of a large batch: in the
 * middle of the upload, inside the SQLite transaction (seen by the WAL
 * growing before any answer), and at moments spread over its store time.
 * After each, a restarted collector finds a database that passes
 * integrity_check and holds all of the batch or none of it; finally a send
 * and a resend store it exactly once.
 */
static int test_sigkill_during_post(struct harness *t)
{
	static const char *const extra[] = { "--max-body-bytes", "64M", "--max-inflated-bytes",
					     "64M", NULL };
	const long long n = 20000;
	char *body = records_batch(t->device2, 1, n);
	size_t size = strlen(body);
	struct kill_result k;
	struct collector c;
	int exit_status = -1;
	long long rows, store_ms;
	bool in_transaction_seen = false;

	CHECK(body, "batch");
	CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start %d",
	      exit_status);
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	collector_stop(&c, SIGTERM);
	CHECK(k.answered, "calibration POST failed");
	store_ms = k.store_ms;
	db_remove(c.db);
	fprintf(stderr, "    %lld records: stored %lld ms after the upload\n", n, store_ms);

	for (int round = 0; round < 8; round++) {
		enum kill_mode mode = round == 0 ? KILL_MID_UPLOAD :
				      round <= 2 ? KILL_IN_TRANSACTION :
						   KILL_AFTER_UPLOAD;
		/* In transaction: 256 KiB, 1 MiB of WAL; after: 0%, 25%, 50%, 75%, 100% of store time. */
		long long param = mode == KILL_IN_TRANSACTION ? (round == 1 ? 256 : 1024) * 1024LL :
				  mode == KILL_AFTER_UPLOAD   ? store_ms * (round - 3) / 4 :
								0;

		CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start %d",
		      exit_status);
		post_and_kill(t, &c, body, size, mode, param, &k);
		if (!k.killed)
			collector_stop(&c, SIGKILL);
		CHECK(db_integrity_ok(c.db), "round %d: integrity_check failed", round);
		rows = db_count_records(c.db, t->device2);
		if (rows < 0)
			rows = 0;
		fprintf(stderr, "    SIGKILL %s %lld: %s, %lld rows after restart\n",
			mode == KILL_MID_UPLOAD	    ? "mid-upload" :
			mode == KILL_IN_TRANSACTION ? "in transaction, WAL grown by" :
						      "ms after upload",
			param, k.answered ? "answered first" : "no answer", rows);
		CHECK(rows == 0 || rows == n, "round %d: %lld of %lld rows: a torn batch", round,
		      rows, n);
		/* An answer means stored; no answer after a kill in the transaction means not. */
		CHECK(!k.answered || rows == n, "round %d: answered 200 but %lld rows", round,
		      rows);
		if (mode == KILL_IN_TRANSACTION && k.killed && !k.answered) {
			CHECK(rows == 0, "round %d: uncommitted batch survived", round);
			in_transaction_seen = true;
		}
		/* The restarted collector serves and stores on this database. */
		CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0,
		      "round %d: restart %d", round, exit_status);
		post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
		collector_stop(&c, SIGTERM);
		CHECK(k.answered, "round %d: resend after restart failed", round);
		CHECK(db_count_records(c.db, t->device2) == n, "round %d: %lld rows after resend",
		      round, db_count_records(c.db, t->device2));
		db_remove(c.db);
	}
	CHECK(in_transaction_seen, "no round killed the collector inside its transaction");

	/* A send and a resend: exactly once. */
	CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start");
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "first send");
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "resend");
	collector_stop(&c, SIGKILL);
	CHECK(db_integrity_ok(c.db), "integrity_check after the last kill");
	CHECK(db_count_records(c.db, t->device2) == n, "%lld rows, want %lld",
	      db_count_records(c.db, t->device2), n);
	free(body);
	return 0;
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

const struct test crash_tests[] = { { "sigkill_during_post_db_intact", test_sigkill_during_post },
				    { "sigterm_clean_exit", test_sigterm_clean_exit },
				    {} };
