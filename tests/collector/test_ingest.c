// SPDX-License-Identifier: LGPL-2.1-or-later
/* The collector's body decoding and record validation, without a network. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "collector/ingest.h"

#define DEV  "00112233445566778899aabbccddeeff"
#define BOOT "0123456789abcdef0123456789abcdef"
#define GOOD(seq)                                                                              \
	"{\"class_uid\":1007,\"time\":1700000000000,\"metadata\":{\"version\":\"1.3.0\"},"     \
	"\"device\":{\"uid\":\"" DEV "\"},\"postured\":{\"seq\":" #seq ",\"boot_uid\":\"" BOOT \
	"\"}}"

static int parse(const char *body, struct ingest_batch *batch, struct ingest_error *error)
{
	return ingest_parse(body, strlen(body), 4096, DEV, batch, error);
}

static void expect_error(const char *body, unsigned line, const char *reason)
{
	struct ingest_batch batch = { .n_records = 12345 };
	struct ingest_error error;

	assert_int_equal(parse(body, &batch, &error), -EBADMSG);
	assert_int_equal(error.line, line);
	if (!strstr(error.reason, reason))
		fail_msg("reason '%s' lacks '%s'", error.reason, reason);
	assert_null(strchr(error.reason, '\n'));
	/* Untouched on failure. */
	assert_int_equal(batch.n_records, 12345);
}

static void test_good_lines(void **state)
{
	const char *body = GOOD(1) "\n" GOOD(2) "\r\n\n" GOOD(3);
	struct ingest_batch batch;
	struct ingest_error error;

	assert_int_equal(parse(body, &batch, &error), 0);
	assert_int_equal(batch.n_records, 3);
	assert_int_equal(batch.n_uid_mismatch, 0);
	assert_int_equal(batch.records[0].seq, 1);
	assert_int_equal(batch.records[2].seq, 3);
	assert_int_equal(batch.records[1].class_uid, 1007);
	assert_int_equal(batch.records[1].time, 1700000000000LL);
	assert_string_equal(batch.records[0].boot_uid, BOOT);
	/* The JSON as received, without its line end. */
	assert_int_equal(batch.records[1].json_size, strlen(GOOD(2)));
	assert_memory_equal(batch.records[1].json, GOOD(2), strlen(GOOD(2)));
	ingest_batch_done(&batch);
}

static void test_empty_body(void **state)
{
	struct ingest_batch batch;
	struct ingest_error error;

	assert_int_equal(parse("", &batch, &error), 0);
	assert_int_equal(batch.n_records, 0);
	ingest_batch_done(&batch);
	assert_int_equal(parse("\n\n\r\n", &batch, &error), 0);
	assert_int_equal(batch.n_records, 0);
	ingest_batch_done(&batch);
}

static void test_line_numbers(void **state)
{
	expect_error(GOOD(1) "\n" GOOD(2) "\n{\"class_uid\":\n" GOOD(4), 3, "not valid JSON");
	/* Blank lines count. */
	expect_error("\n\n[]\n", 3, "JSON object");
}

/* The store takes a batch in sequence order: a seq not above the line before's is refused. */
static void test_sequence_order(void **state)
{
	expect_error(GOOD(5) "\n" GOOD(3) "\n" GOOD(4), 2, "not above the line before's 5");
	expect_error(GOOD(1) "\n" GOOD(2) "\n" GOOD(2), 3, "postured.seq 2");
}

static void test_strict_json(void **state)
{
	expect_error("{\"a\":1} {\"b\":2}", 1, "not valid JSON"); /* two values */
	expect_error("{\"a\":1 /* x */}", 1, "not valid JSON"); /* comment */
	expect_error("{\"a\":\"\xff\xfe\"}", 1, "not valid JSON"); /* not UTF-8 */
	expect_error("{\"a\":1,}", 1, "not valid JSON"); /* trailing comma */
	expect_error("\"just a string\"", 1, "JSON object");
}

static void test_depth(void **state)
{
	char body[512];
	size_t n = 0;

	body[n++] = '{';
	memcpy(body + n, "\"x\":", 4);
	n += 4;
	for (int i = 0; i < INGEST_MAX_DEPTH; i++)
		body[n++] = '[';
	for (int i = 0; i < INGEST_MAX_DEPTH; i++)
		body[n++] = ']';
	body[n++] = '}';
	body[n] = '\0';
	expect_error(body, 1, "nested deeper");
}

/* "metadata\u0000" is "metadata" to a tree of C strings, not to a byte counter: refused. */
static void test_nul_in_key(void **state)
{
	(void)state;
	expect_error("{\"class_uid\":2003,\"time\":1,\"metadata\\u0000\":{\"version\":\"1\"},"
		     "\"postured\":{\"seq\":1,\"boot_uid\":\"0123456789abcdef0123456789abcdef\"}}",
		     1, "a key has a NUL character");
	expect_error("{\"a\":{\"b\\u0000c\":1}}", 1, "NUL");
}

static void test_fields(void **state)
{
	expect_error("{\"time\":1}", 1, "class_uid is missing");
	expect_error("{\"class_uid\":\"1007\"}", 1, "class_uid must be an integer");
	expect_error("{\"class_uid\":5002}", 1, "class_uid 5002 is not accepted");
	expect_error("{\"class_uid\":1007,\"time\":1.5}", 1, "time must be an integer");
	expect_error("{\"class_uid\":1007,\"time\":1}", 1, "metadata is missing");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{}}", 1,
		     "metadata.version is missing");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"}}", 1,
		     "postured is missing");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		     "\"postured\":{\"seq\":-1,\"boot_uid\":\"" BOOT "\"}}",
		     1, "postured.seq must be a positive integer");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		     "\"postured\":{\"seq\":99999999999999999999,\"boot_uid\":\"" BOOT "\"}}",
		     1, "postured.seq must be a positive integer");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		     "\"postured\":{\"seq\":1,\"boot_uid\":\"0123\"}}",
		     1, "postured.boot_uid");
	expect_error("{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		     "\"postured\":{\"seq\":1,\"seq\":2,\"boot_uid\":\"" BOOT "\"}}",
		     1, "postured.seq appears more than once");
}

static void test_uid_mismatch_counted(void **state)
{
	const char *body =
		GOOD(1) "\n"
			"{\"class_uid\":4001,\"time\":1,\"metadata\":{\"version\":\"1\"},"
			"\"device\":{\"uid\":\"ffffffffffffffffffffffffffffffff\"},"
			"\"postured\":{\"seq\":2,\"boot_uid\":\"" BOOT "\"}}\n"
			"{\"class_uid\":2003,\"time\":1,\"metadata\":{\"version\":\"1\"},"
			"\"postured\":{\"seq\":3,\"boot_uid\":\"" BOOT "\"}}\n";
	struct ingest_batch batch;
	struct ingest_error error;

	assert_int_equal(parse(body, &batch, &error), 0);
	assert_int_equal(batch.n_records, 3);
	assert_int_equal(batch.n_uid_mismatch, 1);
	ingest_batch_done(&batch);
}

static void test_line_too_long(void **state)
{
	struct ingest_batch batch;
	struct ingest_error error;
	const char *body = GOOD(1) "\n" GOOD(2);

	assert_int_equal(ingest_parse(body, strlen(body), 64, DEV, &batch, &error), -EBADMSG);
	assert_int_equal(error.line, 1);
	assert_non_null(strstr(error.reason, "longer than 64"));
}

static size_t gzip(const void *in, size_t size, unsigned char *out, size_t out_size)
{
	z_stream zs = {};

	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)size;
	zs.next_out = out;
	zs.avail_out = (uInt)out_size;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return zs.total_out;
}

static void test_inflate(void **state)
{
	const char *text = GOOD(1) "\n" GOOD(2) "\n";
	unsigned char gz[1024];
	size_t gz_size = gzip(text, strlen(text), gz, sizeof(gz)), size;
	char *out = NULL;

	assert_int_equal(ingest_inflate(gz, gz_size, 1 << 20, &out, &size), 0);
	assert_int_equal(size, strlen(text));
	assert_string_equal(out, text);
	free(out);

	/* Exactly at the cap is fine, one byte below it is not. */
	assert_int_equal(ingest_inflate(gz, gz_size, strlen(text), &out, &size), 0);
	free(out);
	out = NULL;
	assert_int_equal(ingest_inflate(gz, gz_size, strlen(text) - 1, &out, &size), -EFBIG);
	assert_null(out);

	/* Truncated, damaged, trailing data, empty, not gzip. */
	assert_int_equal(ingest_inflate(gz, gz_size - 5, 1 << 20, &out, &size), -EBADMSG);
	gz[gz_size / 2] ^= 0xff;
	assert_int_equal(ingest_inflate(gz, gz_size, 1 << 20, &out, &size), -EBADMSG);
	gz[gz_size / 2] ^= 0xff;
	memcpy(gz + gz_size, "xx", 2);
	assert_int_equal(ingest_inflate(gz, gz_size + 2, 1 << 20, &out, &size), -EBADMSG);
	assert_int_equal(ingest_inflate(gz, 0, 1 << 20, &out, &size), -EBADMSG);
	assert_int_equal(ingest_inflate(text, strlen(text), 1 << 20, &out, &size), -EBADMSG);
	assert_null(out);
}

static void test_inflate_bomb(void **state)
{
	/* 32 MiB of zeros is ~32 KiB of gzip; a 1 MiB cap stops it without inflating it all. */
	size_t big = 32u << 20, gz_cap = 64u << 10, size;
	unsigned char *zeros = calloc(1, big), *gz = malloc(gz_cap);
	char *out = NULL;
	size_t gz_size;

	assert_non_null(zeros);
	assert_non_null(gz);
	gz_size = gzip(zeros, big, gz, gz_cap);
	free(zeros);
	assert_int_equal(ingest_inflate(gz, gz_size, 1 << 20, &out, &size), -EFBIG);
	assert_null(out);
	free(gz);
}

static void test_is_id128(void **state)
{
	assert_true(ingest_is_id128(DEV, 32));
	assert_false(ingest_is_id128(DEV, 31));
	assert_false(ingest_is_id128("00112233445566778899AABBCCDDEEFF", 32));
	assert_false(ingest_is_id128("00112233-4455-6677-8899-aabbccdd", 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),     cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_line_numbers),   cmocka_unit_test(test_strict_json),
		cmocka_unit_test(test_depth),	       cmocka_unit_test(test_nul_in_key),
		cmocka_unit_test(test_fields),	       cmocka_unit_test(test_uid_mismatch_counted),
		cmocka_unit_test(test_line_too_long),  cmocka_unit_test(test_inflate),
		cmocka_unit_test(test_inflate_bomb),   cmocka_unit_test(test_is_id128),
		cmocka_unit_test(test_sequence_order),
	};

	return cmocka_run_group_tests_name("collector_ingest", tests, NULL, NULL);
}
