// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ingest over HTTP: POST /v1/reports from the devices' certificates to the
 * main collector (--max-body-bytes 1M, --max-inflated-bytes 4M), and what
 * its database holds after.  The tests run in order and build on each
 * other: device1's rows and acked sequence numbers carry over.
 */
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "harness.h"

/* POSTs valid records first..last naming uid with device's cert; wants 200 and acked_seq acked. */
static int post_batch(struct harness *t, const char *device, const char *uid, long long first,
		      long long last, long long acked)
{
	char *body = records_batch(uid, first, last), resp[512];
	long long got = -1;
	long status;

	CHECK(body, "batch");
	status = http_post_report(t, device, body, &got, resp, sizeof(resp));
	free(body);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(got == acked, "acked_seq %lld, want %lld", got, acked);
	return 0;
}

static int test_good_batch(struct harness *t)
{
	if (post_batch(t, "device1", t->device1, 1, 3, 3) < 0)
		return -1;
	CHECK(db_count_records(t->main.db, t->device1) == 3, "%lld rows",
	      db_count_records(t->main.db, t->device1));
	CHECK(db_int(t->main.db,
		     "SELECT count(*) FROM records WHERE device_id = ?1 AND boot_uid = '" BOOT_UID
		     "' AND seq BETWEEN 1 AND 3 AND record LIKE '{\"class_uid\":%'",
		     t->device1) == 3,
	      "rows do not carry the cert's device id, boot_uid, seq and the record");
	CHECK(db_int(t->main.db, "SELECT last_acked_seq FROM devices WHERE device_id = ?1",
		     t->device1) == 3,
	      "devices.last_acked_seq");
	CHECK(db_int(t->main.db,
		     "SELECT count(*) FROM devices WHERE device_id = ?1 AND last_address = "
		     "'127.0.0.1' AND first_seen > 0 AND last_seen >= first_seen",
		     t->device1) == 1,
	      "devices row");
	return 0;
}

static int test_resend_is_deduplicated(struct harness *t)
{
	if (post_batch(t, "device1", t->device1, 1, 3, 3) < 0)
		return -1;
	CHECK(db_count_records(t->main.db, t->device1) == 3, "%lld rows after resend",
	      db_count_records(t->main.db, t->device1));
	return 0;
}

static int test_devices_are_separate(struct harness *t)
{
	if (post_batch(t, "device2", t->device2, 1, 2, 2) < 0)
		return -1;
	CHECK(db_count_records(t->main.db, t->device2) == 2, "device2 rows");
	CHECK(db_count_records(t->main.db, t->device1) == 3, "device1 rows");
	return 0;
}

static int test_identity_is_the_certificate(struct harness *t)
{
	/* device1 sends records naming device2: stored as device1's. */
	long long before2 = db_count_records(t->main.db, t->device2);

	if (post_batch(t, "device1", t->device2, 4, 4, 4) < 0)
		return -1;
	CHECK(db_count_records(t->main.db, t->device1) == 4, "device1 rows");
	CHECK(db_count_records(t->main.db, t->device2) == before2, "device2 rows changed");
	CHECK(file_contains(t->main.log, "naming another device.uid"), "no warning logged");
	return 0;
}

static int test_gzip_accepted(struct harness *t)
{
	char *body = records_batch(t->device1, 5, 7);
	void *gz = NULL;
	size_t gz_size = 0;
	int r = records_gzip(body, strlen(body), &gz, &gz_size);
	struct http h;

	free(body);
	CHECK(r == 0, "gzip failed");
	h = http_report("device1", gz, gz_size);
	h.content_encoding = "gzip";
	http_perform(t, &h);
	free(gz);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	CHECK(h.resp && strstr(h.resp, "\"acked_seq\":7"), "answer %s", h.resp);
	http_done(&h);
	CHECK(db_count_records(t->main.db, t->device1) == 7, "%lld rows",
	      db_count_records(t->main.db, t->device1));
	return 0;
}

/*
 * Performs h, a body too large, and wants it refused with 413 (or, when
 * may_close, with the connection closed) and nothing stored.  The caller
 * frees the body.
 */
static int perform_too_large(struct harness *t, struct http *h, bool may_close)
{
	long long before = db_count_records(t->main.db, NULL);

	http_perform(t, h);
	CHECK((h->code == CURLE_OK && h->status == 413) || (may_close && h->code != CURLE_OK),
	      "curl %d status %ld: %s", h->code, h->status, h->resp ? h->resp : h->error);
	http_done(h);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_gzip_bomb_413(struct harness *t)
{
	/* 64 MiB of newlines is about 64 KiB of gzip; the collector caps inflation at 4 MiB. */
	size_t size = 64u << 20;
	char *bomb = malloc(size);
	struct http h;
	void *gz = NULL;
	size_t gz_size = 0;
	int r;

	CHECK(bomb, "out of memory");
	memset(bomb, '\n', size);
	r = records_gzip(bomb, size, &gz, &gz_size);
	free(bomb);
	CHECK(r == 0 && gz_size < (1u << 20), "gzip failed or too big (%zu)", gz_size);
	h = http_report("device1", gz, gz_size);
	h.content_encoding = "gzip";
	r = perform_too_large(t, &h, false);
	free(gz);
	return r;
}

/* 2 MiB of valid records against --max-body-bytes 1M. */
static char *oversize_batch(struct harness *t)
{
	return records_batch(t->device1, 1000, 1000 + 2 * 1024 * 1024 / 200);
}

static int test_oversize_body_413(struct harness *t)
{
	char *body = oversize_batch(t);
	struct http h;
	int r;

	CHECK(body && strlen(body) > (1u << 20), "batch too small");
	h = http_report("device1", body, strlen(body));
	h.expect_100 = true;
	r = perform_too_large(t, &h, false);
	free(body);
	return r;
}

static int test_oversize_chunked_refused(struct harness *t)
{
	/* No Content-Length: found too large while receiving; 413 or the connection closed. */
	char *body = oversize_batch(t);
	struct http h;
	int r;

	CHECK(body, "batch");
	h = http_report("device1", body, strlen(body));
	h.chunked = true;
	r = perform_too_large(t, &h, true);
	free(body);
	return r;
}

static int test_malformed_line3_400(struct harness *t)
{
	char *body = NULL, resp[512];
	size_t size = 0;
	long long before = db_count_records(t->main.db, NULL);
	long status;

	records_append(&body, &size, t->device1, 100, 1007);
	records_append(&body, &size, t->device1, 101, 1007);
	records_printf(&body, &size, "{\"class_uid\": 1007, \"time\": \n");
	records_append(&body, &size, t->device1, 103, 1007);
	status = http_post_report(t, "device1", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 400, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "\"line\":3"), "answer does not name line 3: %s", resp);
	CHECK(strstr(resp, "not valid JSON"), "answer gives no reason: %s", resp);
	CHECK(db_count_records(t->main.db, NULL) == before, "part of the batch was stored");
	CHECK(db_int(t->main.db, "SELECT count(*) FROM records WHERE seq >= 100", NULL) == 0,
	      "lines 1-2 were stored");
	return 0;
}

static int test_unknown_class_400(struct harness *t)
{
	char *body = NULL, resp[512];
	size_t size = 0;
	long long before = db_count_records(t->main.db, NULL);
	long status;

	records_append(&body, &size, t->device1, 200, 1007);
	records_append(&body, &size, t->device1, 201, 9999);
	status = http_post_report(t, "device1", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 400, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "\"line\":2") && strstr(resp, "class_uid"), "answer: %s", resp);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_invalid_fields_400(struct harness *t)
{
	static const struct {
		const char *line;
		const char *reason;
	} cases[] = {
		{ "[1,2,3]", "JSON object" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq is missing" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":0,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq must be a positive integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1.5,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq must be a positive integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"0123456789ABCDEF0123456789abcdef\"}}",
		  "postured.boot_uid" },
		{ "{\"class_uid\":1007,\"time\":\"now\",\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "time must be an integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":1},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "metadata.version must be a string" },
		{ "{\"class_uid\":1007,\"class_uid\":4001,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "more than once" },
		{ "{\"class_uid\":1007 /* c */,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "not valid JSON" },
	};
	long long before = db_count_records(t->main.db, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[1024], resp[512];
		long status;

		snprintf(body, sizeof(body), "%s\n", cases[i].line);
		status = http_post_report(t, "device1", body, NULL, resp, sizeof(resp));
		CHECK(status == 400, "case %zu: status %ld: %s", i, status, resp);
		CHECK(strstr(resp, cases[i].reason) && strstr(resp, "\"line\":1"),
		      "case %zu: answer %s", i, resp);
	}
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

/* The store cannot write (another process holds the write lock): 503, Retry-After, nothing kept. */
static int test_store_busy_503(struct harness *t)
{
	char *body = records_batch(t->device1, 8, 9);
	struct http h = http_report("device1", body, strlen(body));
	long long before = db_count_records(t->main.db, NULL), acked = -1;
	struct db *lock;
	char resp[256];
	long status;

	lock = db_hold_lock(t->main.db);
	CHECK(lock, "lock");
	http_perform(t, &h); /* the collector waits out its busy or lock timeout (5 s) */
	db_release_lock(lock);
	CHECK(h.code == CURLE_OK && h.status == 503, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	CHECK(h.retry_after[0] != '\0', "no Retry-After");
	http_done(&h);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");

	status = http_post_report(t, "device1", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200 && acked == 9, "retry: status %ld acked %lld: %s", status, acked, resp);
	return 0;
}

static int test_empty_body(struct harness *t)
{
	long long acked = -1;
	char resp[256];
	long status = http_post_report(t, "device1", "", &acked, resp, sizeof(resp));

	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 9, "acked_seq %lld", acked);
	return 0;
}

/* POSTs a valid record, seq 300, with one header wrong; wants 415 and nothing stored. */
static int post_unsupported_415(struct harness *t, const char *content_type,
				const char *content_encoding)
{
	char *body = records_batch(t->device1, 300, 300);
	struct http h = http_report("device1", body, strlen(body));

	h.content_type = content_type;
	h.content_encoding = content_encoding;
	http_perform(t, &h);
	free(body);
	CHECK(h.status == 415, "%s: status %ld", content_type ? content_type : content_encoding,
	      h.status);
	http_done(&h);
	CHECK(db_int(t->main.db, "SELECT count(*) FROM records WHERE seq = 300", NULL) == 0,
	      "stored");
	return 0;
}

static int test_wrong_media_type_415(struct harness *t)
{
	return post_unsupported_415(t, "text/plain", NULL);
}

static int test_unknown_content_encoding_415(struct harness *t)
{
	return post_unsupported_415(t, NULL, "br");
}

static int test_get_reports_405(struct harness *t)
{
	struct http h = { .path = "/v1/reports", .device = "device1" };

	http_perform(t, &h);
	CHECK(h.status == 405, "GET /v1/reports: status %ld", h.status);
	http_done(&h);
	return 0;
}

static int test_unknown_path_404(struct harness *t)
{
	struct http h = { .path = "/v1/nothing", .device = "device1" };

	http_perform(t, &h);
	CHECK(h.status == 404, "GET /v1/nothing: status %ld", h.status);
	http_done(&h);
	return 0;
}

/* device2's records first..last under boot, as records_append() writes them. */
static char *boot_batch(struct harness *t, const char *boot, long long first, long long last)
{
	char *buf = NULL;
	size_t size = 0;

	for (long long q = first; q <= last; q++)
		if (records_printf(&buf, &size,
				   "{\"class_uid\":1007,\"type_uid\":100701,\"time\":%lld,"
				   "\"metadata\":{\"version\":\"1.3.0\",\"profiles\":[\"host\"]},"
				   "\"device\":{\"uid\":\"%s\"},"
				   "\"postured\":{\"seq\":%lld,\"boot_uid\":\"%s\"}}\n",
				   1790000000000LL + q, t->device2, q, boot) < 0) {
			free(buf);
			return NULL;
		}
	return buf;
}

/*
 * A spool made anew with its clock behind numbers below what the store
 * holds for the device: those records are not resends, and are stored
 * (once); the acknowledgement stays the highest seq stored.
 */
static int test_reused_numbers_stored_once(struct harness *t)
{
	static const char other_boot[] = "ffffffffffffffffffffffffffffffff";
	long long last = db_int(t->main.db,
				"SELECT last_acked_seq FROM devices WHERE device_id = ?1",
				t->device2),
		  before, acked = -1;
	char resp[512];

	CHECK(last >= 0, "device2 has no row");
	if (post_batch(t, "device2", t->device2, last + 1000, last + 1002, last + 1002) < 0)
		return -1;
	before = db_count_records(t->main.db, t->device2);
	for (int round = 0; round < 2; round++) {
		_cleanup_free_ char *body = boot_batch(t, other_boot, last + 500, last + 502);
		long status = http_post_report(t, "device2", body, &acked, resp, sizeof(resp));

		CHECK(status == 200 && acked == last + 1002, "round %d: status %ld acked %lld: %s",
		      round, status, acked, resp);
		CHECK(db_count_records(t->main.db, t->device2) == before + 3,
		      "round %d: %lld rows, want %lld", round,
		      db_count_records(t->main.db, t->device2), before + 3);
	}
	return 0;
}

/* A batch not in sequence order is refused, naming the line, and nothing of it is stored. */
static int test_out_of_order_400(struct harness *t)
{
	long long last = db_int(t->main.db,
				"SELECT last_acked_seq FROM devices WHERE device_id = ?1",
				t->device2),
		  before = db_count_records(t->main.db, t->device2), acked = -1;
	_cleanup_free_ char *high = boot_batch(t, BOOT_UID, last + 10, last + 10);
	_cleanup_free_ char *low = boot_batch(t, BOOT_UID, last + 5, last + 5);
	_cleanup_free_ char *body = NULL;
	char resp[512];
	long status;

	CHECK(high && low && asprintf(&body, "%s%s", high, low) > 0, "no memory");
	status = http_post_report(t, "device2", body, &acked, resp, sizeof(resp));
	CHECK(status == 400 && strstr(resp, "\"line\":2") && strstr(resp, "sequence order"),
	      "status %ld: %s", status, resp);
	CHECK(db_count_records(t->main.db, t->device2) == before, "rows changed");
	return 0;
}

const struct test ingest_http_tests[] = {
	{ "good_device_batch_stored", test_good_batch },
	{ "resend_is_deduplicated", test_resend_is_deduplicated },
	{ "devices_have_separate_acks", test_devices_are_separate },
	{ "identity_is_the_certificate", test_identity_is_the_certificate },
	{ "gzip_body_accepted", test_gzip_accepted },
	{ "gzip_bomb_413", test_gzip_bomb_413 },
	{ "oversize_body_413", test_oversize_body_413 },
	{ "oversize_chunked_body_refused", test_oversize_chunked_refused },
	{ "malformed_line_3_400_nothing_stored", test_malformed_line3_400 },
	{ "unknown_class_uid_400", test_unknown_class_400 },
	{ "invalid_fields_400", test_invalid_fields_400 },
	{ "store_busy_503_retry_after", test_store_busy_503 },
	{ "empty_body_acks_current", test_empty_body },
	{ "wrong_media_type_415", test_wrong_media_type_415 },
	{ "unknown_content_encoding_415", test_unknown_content_encoding_415 },
	{ "get_reports_405", test_get_reports_405 },
	{ "unknown_path_404", test_unknown_path_404 },
	{ "reused_numbers_of_a_new_spool_stored_once", test_reused_numbers_stored_once },
	{ "out_of_order_batch_400", test_out_of_order_400 },
	{}
};
