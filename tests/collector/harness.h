/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The harness of posture-collector's end-to-end suite: the real binary as a
 * child process, real TLS with libcurl (OpenSSL) against a PKI made by
 * tools/make-test-pki in a temporary directory, a real SQLite file.
 *
 * One binary, build/tests/collector/test_collector, runs the tables of tests
 * that test_collector.c lists, one table a file (test_<concern>.c), in order,
 * and ends with "N passed, N failed" (tests/collector/run reads that line).
 *
 * Each concern of the harness is one file, and its section below or a
 * header of its own (those need nothing else of the harness, so other
 * suites link them too):
 *   harness.c          the registry, the shared fixture
 *   harness_time.c     the clock (harness_time.h)
 *   harness_file.c     small file helpers (harness_file.h)
 *   harness_process.c  the collector (and its tools) as child processes
 *                      (harness_process.h; the fixture's, below)
 *   harness_http.c     requests with libcurl
 *   harness_records.c  record lines, batches and gzip bodies to send
 *   harness_db.c       what the collector stored, read from its SQLite file
 *                      (harness_db.h)
 *   harness_crypto.c   signatures and digests for the policy checks
 *   harness_pki.c      a device's side of enrollment with OpenSSL: keys,
 *                      requests, answers (harness_pki.h; tests/bench links it)
 *   harness_enroll.c   collectors that enroll, tokens, enrolled devices
 *                      (harness_enroll.h; test_enroll.c, test_identity.c)
 *
 * Tests share one collector, struct harness.main, and its database, and
 * run in their table's order: a test may build on what earlier tests of
 * its own file stored (the ingest tests count device1's rows and acks),
 * never on another file's.  A test that changes the fixture (the policy
 * feed's reload) leaves it valid.  A test that needs other options starts
 * a collector of its own with collector_start() and its own database.
 *
 * To add a concern: test_<concern>.c ending in a table, its extern below,
 * its place in test_collector.c's list, its name in COLLECTOR_TEST_SRCS
 * (collector/collector.mk).
 */

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "harness_db.h"
#include "harness_file.h"
#include "harness_process.h"
#include "harness_time.h"

/* The boot_uid every record the harness makes carries. */
#define BOOT_UID "0123456789abcdef0123456789abcdef"

/* The run's fixture: paths, the PKI's device ids, the main collector. */
struct harness {
	const char *bin; /* posture-collector */
	const char *pki_tool; /* tools/make-test-pki */
	char dir[256]; /* the temporary directory; removed unless a test failed */
	char pki[300];
	char policy[512]; /* the --policy every collector is started with ... */
	char signature[512]; /* ... and its --policy-signature */
	char device1[40]; /* device ids, from pki/device1.id and device2.id */
	char device2[40];
	struct collector main; /* the instance most tests talk to */
	unsigned instances; /* collectors started, for unique file names */
	/*
	 * The collectors the running test started: one a CHECK left running
	 * is killed after the test, which then fails.
	 */
	pid_t started[64];
	unsigned n_started;
};

/*
 * Ends the test with -1 when cond is false, after printing where, the
 * condition and a printf-style explanation to stderr.
 */
#define CHECK(cond, ...)                                                                         \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "    %s:%d: check failed: %s\n    ", __FILE__, __LINE__, \
				#cond);                                                          \
			fprintf(stderr, __VA_ARGS__);                                            \
			fputc('\n', stderr);                                                     \
			return -1;                                                               \
		}                                                                                \
	} while (0)

/* --- harness.c: the registry, the fixture -------------------------------------------- */

/* One test: 0 passed, anything else failed (CHECK returns -1). */
struct test {
	const char *name; /* the one behaviour it checks, as printed */
	int (*run)(struct harness *t);
};

/* Each file's table of tests, ended by an entry whose name is NULL. */
extern const struct test cli_tests[];
extern const struct test ingest_http_tests[];
extern const struct test tls_tests[];
extern const struct test policy_feed_tests[];
extern const struct test crash_tests[];
extern const struct test catchup_tests[];
extern const struct test cluster_tests[];
extern const struct test enroll_tests[];
extern const struct test identity_tests[];
extern const struct test ca_hook_tests[];
extern const struct test fleet_tests[];
extern const struct test forward_tests[];

/*
 * The whole run: takes argv (POSTURE-COLLECTOR MAKE-TEST-PKI), makes the
 * fixture (PKI, signed policy, the main collector on 127.0.0.1:0), runs
 * every table of the NULL-terminated suites in order, stops the main
 * collector (an exit status other than 0 counts as a failure), removes the
 * directory unless something failed or KEEP_TEST_DIR is set, and prints
 * "N passed, N failed" last.  Returns main()'s exit status: 0 when all
 * passed, 1 when any failed, 2 for a usage error.
 */
int harness_main(int argc, char **argv, const struct test *const suites[]);

/*
 * The 32-hex device id of the PKI's certificate NAME (pki/NAME.id) into
 * buf.  Returns 0 or -errno.
 */
int harness_device_id(struct harness *t, const char *name, char *buf, size_t size);

/* --- harness_process.c: the fixture's collectors (harness_process.h has the rest) --------- */

/*
 * Starts a collector of the fixture: the PKI's collector cert and key, the
 * device CA, the fixture's signed policy and public key, database
 * t->dir/db_name, on 127.0.0.1:0 unless extra has --listen, then the
 * NULL-terminated extra options (given last, so an option given twice takes
 * extra's value).  Writes *c (zeroed first) and returns 0 when it is ready,
 * or -1 as collector_spawn() does.  The caller stops it with
 * collector_stop(); one still running when the test returns is killed and
 * fails the test.
 */
int collector_start(struct harness *t, struct collector *c, const char *db_name,
		    const char *const *extra, int *ret_exit);

/*
 * Lets c outlive the test that started it: the tests after it in its file
 * use it, and the last of them stops it.
 */
void collector_keep(struct harness *t, const struct collector *c);

/* collector_run_sign_policy() of the fixture's posture-collector. */
int collector_sign_policy(struct harness *t, const char *key, const char *policy, const char *out,
			  const char *err);

/* --- harness_http.c: requests with libcurl ----------------------------------------------- */

/*
 * One request and its result.  Fill in the request part (zero for the
 * defaults), call http_perform(), read the result, then http_done().
 */
struct http {
	/* the request */
	const char *method; /* GET (default) or POST */
	const char *path;
	const char *device; /* client cert pki/<device>.crt/.key; NULL: none */
	const char *cert_path; /* or a client cert and key anywhere (an enrolled one) */
	const char *key_path;
	const char *cacert; /* in pki/; default server-ca.crt */
	const char *host; /* default localhost (pinned to the address below) */
	const char *address; /* default 127.0.0.1 */
	int port; /* default the main collector's */
	const void *body;
	size_t body_size;
	const char *content_type; /* default application/x-ndjson for POST */
	const char *content_encoding;
	const char *if_none_match;
	const char *authorization; /* the Authorization header's value; NULL: none */
	const char *const *headers; /* more "Name: value" lines, NULL-terminated; NULL: none */
	bool expect_100;
	bool chunked; /* sent in pieces of 16 KiB with Transfer-Encoding: chunked */
	long ssl_version; /* CURLOPT_SSLVERSION; 0: default */

	/* the result */
	CURLcode code;
	long status;
	char *resp; /* the body, NUL-terminated; owned until http_done() */
	size_t resp_size;
	char etag[128];
	char signature[256]; /* X-Postured-Signature */
	char retry_after[32];
	char www_authenticate[128];
	char resp_content_type[128];
	char transfer_encoding[32]; /* Content-Transfer-Encoding (EST's base64) */
	char location[512];
	char csp[256]; /* Content-Security-Policy */
	char disposition[192]; /* Content-Disposition */
	int tls_version; /* TLS1_2_VERSION, TLS1_3_VERSION, ...; 0: not seen */
	char error[CURL_ERROR_SIZE];

	/* internal */
	CURL *easy;
	size_t sent;
};

/*
 * A configured easy handle for h, not yet performed, for callers that drive
 * it themselves (a multi handle).  The caller owns the handle and the two
 * lists it returns in *headers and *resolve, which must outlive it; h must
 * outlive it too, as the callbacks write into it.  Returns NULL when curl
 * could not make one.
 */
CURL *http_setup(struct harness *t, struct http *h, struct curl_slist **headers,
		 struct curl_slist **resolve);

/* Performs h; fills in its result (h->code CURLE_FAILED_INIT when it could not start). */
void http_perform(struct harness *t, struct http *h);

/* Frees what h's result owns; h may then be reused. */
void http_done(struct http *h);

/*
 * A request to POST body (body_size bytes; the caller keeps it until
 * http_done()) to /v1/reports with device's client certificate (none when
 * NULL), to change further before http_perform().
 */
struct http http_report(const char *device, const void *body, size_t body_size);

/*
 * POSTs body (application/x-ndjson) to the main collector's /v1/reports
 * with device's client certificate (none when NULL).  Returns the HTTP
 * status, 0 when no answer came; the answer's acked_seq in *ret_acked (-1
 * when it has none) and the answer, or curl's error, in resp, each unless
 * NULL.
 */
long http_post_report(struct harness *t, const char *device, const char *body, long long *ret_acked,
		      char *resp, size_t resp_size);

/* --- harness_records.c: bodies to send ---------------------------------------------------- */

/*
 * Appends printf-style text to the NUL-terminated *buf of *size bytes,
 * growing it.  Returns 0 or -ENOMEM (*buf is left as it was).
 */
int records_printf(char **buf, size_t *size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* Appends one valid record line (with "\n") for device uid, sequence number seq. */
int records_append(char **buf, size_t *size, const char *uid, long long seq, int class_uid);

/*
 * A batch of valid records seq first..last for uid, the classes taking
 * turns; "" when last < first.  The caller frees it; NULL when out of memory.
 */
char *records_batch(const char *uid, long long first, long long last);

/* in as one gzip member in *ret (the caller frees it) of *ret_size bytes.  Returns 0 or -1. */
int records_gzip(const void *in, size_t in_size, void **ret, size_t *ret_size);

/* --- harness_crypto.c: signatures and digests for the policy checks ----------------------- */

/*
 * Whether sig_b64 (base64 of 64 bytes, trailing newlines allowed) is an
 * Ed25519 signature of data by the PEM public key at pub_path.  Returns 0
 * when it verifies, -1 otherwise.
 */
int crypto_verify_signature(const char *pub_path, const void *data, size_t size,
			    const char *sig_b64);

/* The lowercase hex SHA-256 of data into out. */
void crypto_sha256_hex(const void *data, size_t size, char out[static 65]);

/* The ETag the collector serves for data: its SHA-256 in hex, in double quotes. */
void crypto_etag(const void *data, size_t size, char out[static 67]);
