// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Enrollments a second the collector sustains (EST simpleenroll, RFC 7030):
 * the real build/posture-collector with a fresh test PKI (tools/make-test-pki)
 * and its device CA as the issuing CA, one token of --uses N, then N new
 * devices enrolling over BENCH_ENROLL_CONNECTIONS concurrent connections
 * (libcurl multi).  Each enrollment is what a new device does: a fresh TLS
 * connection (no reuse, no session resumption), the token, a P-256 request
 * of its own.  The keys and requests are made before the clock starts, so
 * the client's key generation is not measured; the client's TLS is, on the
 * same machine.  Timed from the first request to the last answer; then every
 * answer must be 200 with a certificate for its device, and the store must
 * hold N certificates and N uses of the token.
 *
 *   enroll_bench BUILD_DIR   sizes: BENCH_ENROLL_DEVICES (default 2000),
 *                            BENCH_ENROLL_CONNECTIONS (default 16)
 *
 * Run from the source tree; needs no root.  Prints a table; exits 0 when
 * every enrollment succeeded and the rate holds the target, 1 otherwise, 2
 * on a usage error.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../collector/harness_db.h"
#include "../collector/harness_file.h"
#include "../collector/harness_pki.h"
#include "../collector/harness_process.h"
#include "../collector/harness_time.h"

/* Paths here are short temporary ones; gcc cannot know that. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define TARGET_PER_SEC	200.0 /* on the 2-CPU VMs the bench runs on */
#define DEVICES_MAX	1000000UL
#define CONNECTIONS_MAX 256UL
#define TIMEOUT_MS	600000

/* One device: its request, then the answer to it. */
struct enrollment {
	char id[33];
	char *csr; /* base64 */
	size_t csr_size;
	long status;
	CURLcode code;
	char *resp;
	size_t resp_size;
	long long start_ms, end_ms;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct enrollment *e = userdata;
	char *p = realloc(e->resp, e->resp_size + size * n + 1);

	if (!p)
		return 0;
	e->resp = p;
	memcpy(e->resp + e->resp_size, data, size * n);
	e->resp_size += size * n;
	e->resp[e->resp_size] = '\0';
	return size * n;
}

/* What every request shares: the URL, the pin of localhost, the headers, the CA. */
struct client {
	char url[128];
	char cacert[400];
	struct curl_slist *resolve;
	struct curl_slist *headers;
};

static CURL *request_new(const struct client *cl, struct enrollment *e)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, cl->url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, cl->resolve);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_CAINFO, cl->cacert);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	/* A new device: a connection of its own, no TLS session to resume. */
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, cl->headers);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->csr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->csr_size);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, e);
	curl_easy_setopt(c, CURLOPT_PRIVATE, e);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	return c;
}

/*
 * Enrolls every device of es[n] with at most conns requests in flight.
 * Returns 0 when every request was made (whatever its answer), -1 when curl
 * could not be set up or the whole run timed out.
 */
static int enroll_all(const struct client *cl, struct enrollment *es, size_t n, size_t conns)
{
	CURLM *multi = curl_multi_init();
	size_t next = 0, done = 0;
	long long deadline = now_ms() + TIMEOUT_MS;
	int running = 0, r = 0;

	if (!multi)
		return -1;
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
	while (done < n) {
		CURLMsg *msg;
		int left;

		while (next < n && next - done < conns) {
			CURL *c = request_new(cl, &es[next]);

			if (!c || curl_multi_add_handle(multi, c) != CURLM_OK) {
				r = -1;
				goto out;
			}
			es[next++].start_ms = now_ms();
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			r = -1;
			goto out;
		}
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct enrollment *e;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&e);
			e->code = msg->data.result;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &e->status);
			e->end_ms = now_ms();
			curl_multi_remove_handle(multi, msg->easy_handle);
			curl_easy_cleanup(msg->easy_handle);
			done++;
		}
		if (done < n && curl_multi_poll(multi, NULL, 0, 100, NULL) != CURLM_OK) {
			r = -1;
			goto out;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "enroll_bench: %zu of %zu answered after %d s\n", done, n,
				TIMEOUT_MS / 1000);
			r = -1;
			goto out;
		}
	}
out:
	/* Handles still in flight when it failed are left to the process's end. */
	curl_multi_cleanup(multi);
	return r;
}

/* `posture-collector token create --uses N --db DB`; the token into out. */
static int token_create(const char *bin, const char *dir, const char *db, size_t uses,
			char out[static 65])
{
	char n[32], path[400], *data = NULL;
	char *const argv[] = { (char *)bin, "token",	    "create", "--uses",	  n,
			       "--label",   "enroll bench", "--db",   (char *)db, NULL };
	int r;

	snprintf(n, sizeof(n), "%zu", uses);
	snprintf(path, sizeof(path), "%s/token", dir);
	r = process_run(argv, path, NULL);
	if (r != 0 || file_read(path, &data, NULL) < 0 || strlen(data) != 65) {
		free(data);
		return -1;
	}
	snprintf(out, 65, "%.64s", data);
	free(data);
	return 0;
}

/* The collector's CPU time (user + system) in ms, from /proc; -1 when unreadable. */
static long long process_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* Fields after the ") " that ends comm: state is the 1st, utime the 12th, stime the 13th. */
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
		   &stime) != 2 ||
	    hz <= 0)
		return -1;
	return (long long)((utime + stime) * 1000 / (unsigned long long)hz);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static void row(const char *metric, const char *value, const char *target, const char *result)
{
	printf("%-56s %14s %10s %8s\n", metric, value, target, result);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/postured-enroll-bench.XXXXXX";
	char cmd[600], pki[300], bin[300], notify[300], ca_cert[400], ca_key[400], pin[128],
		auth[128], token[65], val[64], metric[128];
	const char *env_n = getenv("BENCH_ENROLL_DEVICES"),
		   *env_c = getenv("BENCH_ENROLL_CONNECTIONS");
	size_t n = env_n ? strtoul(env_n, NULL, 10) : 2000,
	       conns = env_c ? strtoul(env_c, NULL, 10) : 16, ok = 0, bad_cert = 0;
	/*
	 * Every device comes from 127.0.0.1 here, a fleet from many addresses:
	 * the per-address connection limit (16) would refuse the bench's own
	 * connections that are still closing, so it is lifted.
	 */
	const char *extra[] = { "--ca-cert",
				ca_cert,
				"--ca-key",
				ca_key,
				"--cert-lifetime",
				"90d",
				"--max-connections-per-ip",
				"0",
				NULL };
	struct enrollment *es = NULL;
	struct collector col = {};
	struct client cl = {};
	long long t0, t1, cpu0, cpu1, *lat = NULL, certs, used;
	double secs, rate;
	bool pass;
	int ret = 1;

	if (argc != 2 || n == 0 || n > DEVICES_MAX || conns == 0 || conns > CONNECTIONS_MAX) {
		fprintf(stderr,
			"usage: enroll_bench BUILD_DIR   (BENCH_ENROLL_DEVICES=1..%lu, "
			"BENCH_ENROLL_CONNECTIONS=1..%lu)\n",
			DEVICES_MAX, CONNECTIONS_MAX);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(bin, sizeof(bin), "%s/posture-collector", argv[1]);
	snprintf(notify, sizeof(notify), "%s/notify", dir);
	snprintf(ca_cert, sizeof(ca_cert), "%s/device-ca.crt", pki);
	snprintf(ca_key, sizeof(ca_key), "%s/device-ca.key", pki);
	snprintf(col.db, sizeof(col.db), "%s/collector.db", dir);
	snprintf(col.log, sizeof(col.log), "%s/collector.log", dir);
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s 2>/dev/null", pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "enroll_bench: make-test-pki failed\n");
		goto out;
	}
	if (collector_spawn_pki(&col, bin, pki, "collector", "127.0.0.1:0", extra, notify, NULL) <
	    0) {
		fprintf(stderr, "enroll_bench: the collector did not start; see %s\n", col.log);
		goto out;
	}
	if (token_create(bin, dir, col.db, n, token) < 0) {
		fprintf(stderr, "enroll_bench: token create failed\n");
		goto out;
	}

	/* The devices' keys and requests, before the clock starts. */
	es = calloc(n, sizeof(*es));
	lat = calloc(n, sizeof(*lat));
	if (!es || !lat)
		goto out;
	for (size_t i = 0; i < n; i++) {
		EVP_PKEY *key = pki_key_ec("P-256");

		if (key && pki_random_device_id(es[i].id) == 0)
			es[i].csr = pki_csr_base64(key, es[i].id);
		EVP_PKEY_free(key); /* the bench never needs a device's key again */
		if (!es[i].csr) {
			fprintf(stderr, "enroll_bench: cannot make request %zu\n", i);
			goto out;
		}
		es[i].csr_size = strlen(es[i].csr);
	}
	snprintf(cl.url, sizeof(cl.url), "https://localhost:%d/.well-known/est/simpleenroll",
		 col.port);
	snprintf(cl.cacert, sizeof(cl.cacert), "%s/server-ca.crt", pki);
	snprintf(pin, sizeof(pin), "localhost:%d:127.0.0.1", col.port);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	cl.resolve = curl_slist_append(NULL, pin);
	cl.headers = curl_slist_append(NULL, "Content-Type: application/pkcs10");
	cl.headers = curl_slist_append(cl.headers, auth);
	cl.headers = curl_slist_append(cl.headers, "Expect:");
	if (!cl.resolve || !cl.headers)
		goto out;

	cpu0 = process_cpu_ms(col.pid);
	t0 = now_ms();
	if (enroll_all(&cl, es, n, conns) < 0) {
		fprintf(stderr, "enroll_bench: the run did not finish; see %s\n", col.log);
		goto out;
	}
	t1 = now_ms();
	cpu1 = process_cpu_ms(col.pid);
	secs = (double)(t1 - t0) / 1000.0;

	/* Not timed: every answer a certificate for its own device, and the store agrees. */
	for (size_t i = 0; i < n; i++) {
		X509 *cert = NULL;
		char cn[64] = "", reason[128];

		lat[i] = es[i].end_ms - es[i].start_ms;
		if (es[i].code != CURLE_OK || es[i].status != 200)
			continue;
		ok++;
		if (pki_answer_cert(es[i].resp, es[i].resp_size, &cert, reason, sizeof(reason)) ==
		    0)
			pki_subject_cn(cert, cn, sizeof(cn));
		if (strcmp(cn, es[i].id) != 0)
			bad_cert++;
		X509_free(cert);
	}
	qsort(lat, n, sizeof(*lat), cmp_ll);
	collector_stop(&col, SIGTERM);
	certs = db_int(col.db, "SELECT count(*) FROM certificates", NULL);
	used = db_int(col.db, "SELECT used FROM enroll_tokens", NULL);
	rate = (double)ok / secs;
	pass = ok == n && bad_cert == 0 && certs == (long long)n && used == (long long)n &&
	       rate >= TARGET_PER_SEC;

	printf("\npostured enrollment bench: %zu new devices (EC P-256), %zu connections at once, "
	       "a fresh TLS connection each, loopback, %ld CPUs\n",
	       n, conns, sysconf(_SC_NPROCESSORS_ONLN));
	row("metric", "value", "target", "result");
	printf("%.*s\n", 91,
	       "-------------------------------------------------------------------"
	       "-----------------------------------------");
	snprintf(val, sizeof(val), "%.0f", rate);
	snprintf(metric, sizeof(metric), ">= %.0f", TARGET_PER_SEC);
	row("enrollments/s (simpleenroll answered 200)", val, metric,
	    rate >= TARGET_PER_SEC ? "PASS" : "FAIL");
	snprintf(val, sizeof(val), "%.2f", rate / TARGET_PER_SEC);
	row("ratio to the target", val, ">= 1", rate >= TARGET_PER_SEC ? "PASS" : "FAIL");
	snprintf(val, sizeof(val), "%zu/%zu", ok, n);
	snprintf(metric, sizeof(metric), "%zu", n);
	row("answered 200 with a certificate for the device", val, metric,
	    ok == n && bad_cert == 0 ? "PASS" : "FAIL");
	snprintf(val, sizeof(val), "%lld", certs);
	row("certificates in the store", val, metric, certs == (long long)n ? "PASS" : "FAIL");
	snprintf(val, sizeof(val), "%lld", used);
	row("uses of the token", val, metric, used == (long long)n ? "PASS" : "FAIL");
	snprintf(val, sizeof(val), "%.2f s", secs);
	row("time from the first request to the last answer", val, "-", "info");
	snprintf(val, sizeof(val), "%lld / %lld ms", lat[n / 2], lat[n - 1 - n / 100]);
	row("latency of one enrollment, median / 99th percentile", val, "-", "info");
	if (cpu0 >= 0 && cpu1 >= 0) {
		snprintf(val, sizeof(val), "%.2f ms", (double)(cpu1 - cpu0) / (double)n);
		row("collector CPU (user + system) per enrollment", val, "-", "info");
	}
	fflush(stdout);
	ret = pass ? 0 : 1;
	if (ok < n)
		for (size_t i = 0, shown = 0; i < n && shown < 5; i++)
			if (es[i].code != CURLE_OK || es[i].status != 200) {
				fprintf(stderr,
					"enroll_bench: device %s: curl %d, status %ld: %.200s\n",
					es[i].id, es[i].code, es[i].status,
					es[i].resp ? es[i].resp : "");
				shown++;
			}
out:
	if (col.pid > 0)
		collector_stop(&col, SIGTERM);
	for (size_t i = 0; es && i < n; i++) {
		free(es[i].csr);
		free(es[i].resp);
	}
	free(es);
	free(lat);
	curl_slist_free_all(cl.resolve);
	curl_slist_free_all(cl.headers);
	curl_global_cleanup();
	if (ret != 0 || getenv("KEEP_TEST_DIR")) {
		printf("kept %s\n", dir);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "enroll_bench: could not remove %s\n", dir);
	}
	return ret;
}
