// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view's first screen with a large fleet: a store of
 * BENCH_FLEET_DEVICES devices (default 10,000), each with a snapshot of 30
 * rules (a fifth of the devices failing one, a tenth a check that cannot
 * tell), a finding and a lifecycle record each, a few exemptions, and 30
 * days of roll-ups, written through the collector's own store code (the
 * same ingest that serves devices; synchronous=OFF while filling, which
 * only spares the fill's fsyncs).  Then the real build/posture-collector
 * serves it, and the bench times GET / (the first screen: every number,
 * the trend, the rules) over one kept-alive TLS connection, against GET
 * /static/style.css on the same connection as the baseline: the ratio is
 * the page's work beyond HTTP and TLS.  The store's questions alone are
 * timed in this process too.
 *
 *   fleet_bench BUILD_DIR   sizes: BENCH_FLEET_DEVICES (default 10000)
 *
 * Prints a table; exits 0 when the first screen's median is under the
 * target, 1 otherwise, 2 on a usage error.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../collector/harness_process.h"
#include "../collector/harness_time.h"
#include "store-internal.h"
#include "store_fleet.h"

#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define TARGET_MS   200.0
#define RULES	    30
#define DAYS	    30
#define ROUNDS	    21
#define DEVICES_MAX 200000UL
#define DAY_MS	    (86400LL * 1000)

static int append(char **buf, size_t *size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char **buf, size_t *size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *size - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < *size - *len) {
			*len += (size_t)n;
			return 0;
		}
		*size = 2 * *size + (size_t)n;
		*buf = realloc(*buf, *size);
		if (!*buf)
			return -1;
	}
}

/* Device i's snapshot: 30 rules with texts, as an agent sends it. */
static int snapshot(char **buf, size_t *size, size_t *len, const char *id, size_t i, long long now)
{
	*len = 0;
	if (append(buf, size, len,
		   "{\"time\":%lld,\"class_uid\":5001,\"metadata\":{\"version\":\"1.9.0-dev\","
		   "\"log_name\":\"posture\"},\"postured\":{\"seq\":2,\"boot_uid\":"
		   "\"0123456789abcdef0123456789abcdef\",\"posture\":{\"device\":{\"hostname\":"
		   "\"laptop-%05zu\",\"os\":\"Debian GNU/Linux 12\"},\"agent\":{\"version\":"
		   "\"0.1.0\",\"healthy\":true},\"policy\":{\"id\":\"telework-baseline\","
		   "\"serial\":7},\"rules\":[",
		   now, i) < 0)
		return -1;
	for (int r = 0; r < RULES; r++) {
		const char *state = r == (int)(i % 5) * 7 % RULES && i % 5 == 0 ? "failing" :
				    r == 3 && i % 10 == 1			? "unknown" :
										  "passing";

		if (append(buf, size, len,
			   "%s{\"id\":\"rule-%02d\",\"title\":\"Rule number %d of the baseline\","
			   "\"severity\":\"high\",\"type\":\"check\",\"enabled\":true,"
			   "\"state\":\"%s\",\"since\":%lld,\"message\":{\"en\":\"This laptop does "
			   "not meet rule %d; here is what that means for you and why it matters.\"},"
			   "\"remediation\":{\"en\":\"Open Settings and change the option for rule "
			   "%d, then wait a minute.\"}}",
			   r ? "," : "", r, r, state, now - 86400000LL, r, r) < 0)
			return -1;
	}
	(void)id;
	return append(buf, size, len,
		      "]},\"completeness\":{\"interval_seconds\":900,\"watched_seconds\":880,"
		      "\"asleep_seconds\":0,\"stopped_seconds\":20},"
		      "\"snapshot_interval_seconds\":900}}");
}

static int fill(const char *db, size_t n, long long now)
{
	struct store *s = NULL;
	size_t size = 65536, len = 0;
	char *buf = malloc(size), finding[512];
	int r;

	r = store_open(db, &s, NULL);
	if (r < 0 || !buf)
		return -1;
	db_exec(s->db, "PRAGMA synchronous = OFF");
	for (size_t i = 0; i < n; i++) {
		char id[33];
		struct record recs[3];
		int64_t acked;
		int fl;

		snprintf(id, sizeof(id), "%032zx", i + 1);
		if (snapshot(&buf, &size, &len, id, i, now) < 0)
			goto fail;
		fl = snprintf(finding, sizeof(finding),
			      "{\"time\":%lld,\"class_uid\":2003,\"metadata\":{\"version\":"
			      "\"1.9.0-dev\"},\"finding_info\":{\"title\":\"Rule\"},\"postured\":"
			      "{\"seq\":3,\"boot_uid\":\"0123456789abcdef0123456789abcdef\"}}",
			      now);
		recs[0] = (struct record){ .json = "{\"time\":1,\"class_uid\":6002,\"postured\":"
						   "{\"event\":\"agent_started\"}}",
					   .class_uid = 6002,
					   .time = now,
					   .seq = 1 };
		recs[0].json_size = strlen(recs[0].json);
		recs[1] = (struct record){
			.json = buf, .json_size = len, .class_uid = 5001, .time = now, .seq = 2
		};
		recs[2] = (struct record){ .json = finding,
					   .json_size = (size_t)fl,
					   .class_uid = 2003,
					   .time = now,
					   .seq = 3 };
		for (int k = 0; k < 3; k++)
			memcpy(recs[k].boot_uid, "0123456789abcdef0123456789abcdef", 33);
		if (store_batch(s, id, "127.0.0.1", now, recs, 3, NULL, &acked) < 0)
			goto fail;
	}
	/* A few exemptions: the first screen applies them as it counts. */
	for (int e = 0; e < 20; e++) {
		char id[33];
		int64_t eid;

		snprintf(id, sizeof(id), "%032x", e * 5 + 1);
		if (store_fleet_exempt(s, e < 19 ? id : NULL, e < 19 ? "rule-00" : "rule-03",
				       "bench", now + DAY_MS, "bench", now, &eid) < 0)
			goto fail;
	}
	/* Thirty days of roll-ups. */
	for (int d = DAYS - 1; d >= 0; d--)
		if (store_fleet_rollup(s, now - d * DAY_MS) < 0)
			goto fail;
	store_free(s);
	free(buf);
	return 0;
fail:
	fprintf(stderr, "fleet_bench: filling the store failed: %s\n", store_last_error(s));
	store_free(s);
	free(buf);
	return -1;
}

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	size_t *bytes = userdata;

	*bytes += size * n;
	return size * n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of ROUNDS GETs of path over c's one connection; -1 on failure. */
static double time_get(CURL *c, const char *base, const char *path, size_t *ret_bytes)
{
	double t[ROUNDS];
	char url[256];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	for (int i = 0; i < ROUNDS; i++) {
		size_t bytes = 0;
		long long t0;

		curl_easy_setopt(c, CURLOPT_WRITEDATA, &bytes);
		t0 = now_us();
		if (curl_easy_perform(c) != CURLE_OK)
			return -1;
		t[i] = (double)(now_us() - t0) / 1000.0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			return -1;
		*ret_bytes = bytes;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return t[ROUNDS / 2];
}

static double time_queries(const char *db, long long now)
{
	struct store *s = NULL;
	struct fleet_summary sum;
	double t[ROUNDS];

	if (store_open(db, &s, NULL) < 0)
		return -1;
	for (int i = 0; i < ROUNDS; i++) {
		long long t0 = now_us();

		if (store_fleet_summary(s, now, &sum) < 0)
			break;
		t[i] = (double)(now_us() - t0) / 1000.0;
	}
	store_free(s);
	qsort(t, ROUNDS, sizeof(t[0]), cmp_double);
	return t[ROUNDS / 2];
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/postured-fleet-bench.XXXXXX";
	char cmd[600], pki[300], bin[300], notify[300], base[64], pin[64], cacert[400];
	const char *env_n = getenv("BENCH_FLEET_DEVICES");
	const char *extra[] = { "--ui-listen", "127.0.0.1:0", "--ui-trust-proxy", NULL };
	size_t n = env_n ? strtoul(env_n, NULL, 10) : 10000, page_bytes = 0, css_bytes = 0;
	struct curl_slist *headers = NULL, *resolve = NULL;
	struct collector col = {};
	double page_ms = -1, css_ms = -1, devices_ms = -1, rules_ms = -1, query_ms;
	long long t0, now = realtime_ms(), fill_ms;
	CURL *c = NULL;
	int ret = 1;

	if (argc != 2 || n == 0 || n > DEVICES_MAX) {
		fprintf(stderr, "usage: fleet_bench BUILD_DIR   (BENCH_FLEET_DEVICES=1..%lu)\n",
			DEVICES_MAX);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(bin, sizeof(bin), "%s/posture-collector", argv[1]);
	snprintf(notify, sizeof(notify), "%s/notify", dir);
	snprintf(col.db, sizeof(col.db), "%s/collector.db", dir);
	snprintf(col.log, sizeof(col.log), "%s/collector.log", dir);
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s 2>/dev/null", pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "fleet_bench: make-test-pki failed\n");
		goto out;
	}
	t0 = now_ms();
	if (fill(col.db, n, now) < 0)
		goto out;
	fill_ms = now_ms() - t0;
	query_ms = time_queries(col.db, realtime_ms());

	if (collector_spawn_pki(&col, bin, pki, "collector", "127.0.0.1:0", extra, notify, NULL) <
		    0 ||
	    col.ui_port <= 0) {
		fprintf(stderr, "fleet_bench: the collector did not start; see %s\n", col.log);
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	snprintf(base, sizeof(base), "https://localhost:%d", col.ui_port);
	snprintf(pin, sizeof(pin), "localhost:%d:127.0.0.1", col.ui_port);
	snprintf(cacert, sizeof(cacert), "%s/server-ca.crt", pki);
	resolve = curl_slist_append(NULL, pin);
	headers = curl_slist_append(NULL, "X-Remote-User: bench");
	headers = curl_slist_append(headers, "X-Remote-Role: viewer");
	if (!c || !resolve || !headers)
		goto out;
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	/* The baseline first, so the connection is made and warm for both. */
	css_ms = time_get(c, base, "/static/style.css", &css_bytes);
	page_ms = time_get(c, base, "/", &page_bytes);
	devices_ms = time_get(c, base, "/devices?status=online", &(size_t){ 0 });
	rules_ms = time_get(c, base, "/rules", &(size_t){ 0 });
	if (css_ms <= 0 || page_ms < 0 || devices_ms < 0 || rules_ms < 0) {
		fprintf(stderr, "fleet_bench: a request failed; see %s\n", col.log);
		goto out;
	}

	printf("fleet view, %zu devices x %d rules, %d days of roll-ups (filled in %.1f s)\n", n,
	       RULES, DAYS, (double)fill_ms / 1000.0);
	printf("  %-44s %9.1f ms\n", "store: the first screen's numbers (in process)", query_ms);
	printf("  %-44s %9.2f ms  (baseline, %zu bytes)\n", "GET /static/style.css", css_ms,
	       css_bytes);
	printf("  %-44s %9.1f ms  x%.0f baseline, %zu bytes  (target < %.0f ms)\n",
	       "GET / (first screen)", page_ms, page_ms / css_ms, page_bytes, TARGET_MS);
	printf("  %-44s %9.1f ms  x%.0f baseline\n", "GET /devices?status=online (page of 50)",
	       devices_ms, devices_ms / css_ms);
	printf("  %-44s %9.1f ms  x%.0f baseline\n", "GET /rules", rules_ms, rules_ms / css_ms);
	ret = page_ms < TARGET_MS ? 0 : 1;
	printf("fleet view: %s\n", ret == 0 ? "PASS" : "FAIL: the first screen is over target");
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	if (col.pid > 0)
		collector_stop(&col, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (getenv("BENCH_FLEET_KEEP"))
		fprintf(stderr, "fleet_bench: kept %s\n", dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "fleet_bench: could not remove %s\n", dir);
	return ret;
}
