// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OCSF export for SOCs (issue 16), in one run on this machine:
 *   (a) ingest: N records posted in batches of 500 over one kept-alive mTLS
 *       connection to the real build/posture-collector, without an export
 *       log and with one (the extra write and fdatasync before each commit),
 *       each ROUNDS times, interleaved, the median of each (fsync times vary
 *       from one run to the next on a shared machine);
 *   (b) the export line alone: the record re-emitted with the collector's
 *       additions, in this process, records/s of one core;
 *   (c) forwarding: the N records of the log just written sent by
 *       posture-collector forward to a real rsyslog, over syslog/TLS and over
 *       RELP (each forwarder alone), and to the tests' stand-in for an HTTP
 *       event collector (HEC), timed from its start until its cursor has
 *       passed them all.
 * Target: forwarding is never the bottleneck of ingest, i.e. each
 * forwarder moves records at least as fast as the collector takes them with
 * the export on.
 *
 *   export_bench BUILD_DIR     records: BENCH_EXPORT_RECORDS (default 50000)
 *
 * Run from the source tree.  Prints a table; exits 0 when every record got
 * through and the target holds, 1 otherwise.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "collector/export.h"
#include "../collector/harness_file.h"
#include "../collector/harness_hec.h"
#include "../collector/harness_process.h"
#include "../collector/harness_siem.h"
#include "../collector/harness_time.h"
#include "fleet_load.h"

#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define BATCH	 500
#define ROUNDS	 3
#define BOOT_UID "0123456789abcdef0123456789abcdef"

static char *batch(const char *device, long long first, long long n, size_t *ret_size)
{
	size_t size = (size_t)n * 2048, len = 0;
	char *buf = malloc(size);

	for (long long s = first; buf && s < first + n; s++)
		len += (size_t)fleet_load_exec_record(buf + len, size - len, device, s);
	*ret_size = len;
	return buf;
}

static size_t discard(char *data, size_t size, size_t n, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * n;
}

/* Posts n records to the collector on port; records/s, or -1 when one was refused. */
static double post_all(const char *pki, const char *device, int port, long long n)
{
	char url[128], resolve[64], cert[512], key[512], ca[512];
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	struct curl_slist *res;
	CURL *c = curl_easy_init();
	long long t0 = now_us();
	double rate = -1;

	snprintf(url, sizeof(url), "https://localhost:%d/v1/reports", port);
	snprintf(resolve, sizeof(resolve), "localhost:%d:127.0.0.1", port);
	res = curl_slist_append(NULL, resolve);
	file_path(cert, sizeof(cert), pki, "device1.crt");
	file_path(key, sizeof(key), pki, "device1.key");
	file_path(ca, sizeof(ca), pki, "server-ca.crt");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, res);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	for (long long s = 1; s <= n; s += BATCH) {
		size_t size;
		char *body = batch(device, s, BATCH, &size);
		long status = 0;

		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
		if (!body || curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status != 200) {
			fprintf(stderr, "export_bench: batch %lld refused (%ld)\n", s, status);
			free(body);
			goto out;
		}
		free(body);
	}
	rate = (double)n / ((double)(now_us() - t0) / 1e6);
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	curl_slist_free_all(res);
	return rate;
}

static double ingest(const char *bin, const char *dir, const char *pki, const char *device,
		     const char *export_dir, long long n, int round)
{
	struct collector c = {};
	const char *extra[] = { "--export-dir", export_dir, NULL };
	char notify[600];
	double rate;

	snprintf(notify, sizeof(notify), "%s/notify", dir);
	snprintf(c.log, sizeof(c.log), "%s/collector-%s-%d.log", dir,
		 export_dir ? "export" : "plain", round);
	/* A fresh store each round; the export log of the last round is the one forwarded. */
	snprintf(c.db, sizeof(c.db), "%s/collector-%s-%d.db", dir, export_dir ? "export" : "plain",
		 round);
	if (collector_spawn_pki(&c, bin, pki, "collector", "127.0.0.1:0", export_dir ? extra : NULL,
				notify, NULL) < 0) {
		fprintf(stderr, "export_bench: the collector did not start; see %s\n", c.log);
		return -1;
	}
	rate = post_all(pki, device, c.port, n);
	collector_stop(&c, SIGTERM);
	return rate;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return v[n / 2];
}

/* The export line alone, in this process: records/s. */
static double line_rate(const char *device, long long n)
{
	struct export_context ctx = { .device_id = device,
				      .received_ms = 1790000000000LL,
				      .owner = "Ada Lovelace" };
	yajl_gen g = yajl_gen_alloc(NULL);
	char buf[2048];
	long long t0 = now_us();

	for (long long s = 1; s <= n; s++) {
		struct record r = { .json = buf, .seq = s };

		r.json_size = (size_t)fleet_load_exec_record(buf, sizeof(buf), device, s) - 1;
		memcpy(r.boot_uid, BOOT_UID, sizeof(r.boot_uid));
		if (export_line_append(g, &r, &ctx) < 0)
			return -1;
		if (s % BATCH == 0)
			yajl_gen_clear(g);
	}
	yajl_gen_free(g);
	return (double)n / ((double)(now_us() - t0) / 1e6);
}

/* One forwarder over the whole log: records/s from its start to its cursor past them. */
static double forward(const char *bin, const char *dir, const char *export_dir, const char *name,
		      const char *to, const char *const *extra, long long n)
{
	char log[600];
	long long t0 = now_us();
	double seconds;
	pid_t pid;
	int r;

	snprintf(log, sizeof(log), "%s/forward-%s.log", dir, name);
	pid = forwarder_start(bin, export_dir, name, to, extra, log);
	if (pid < 0)
		return -1;
	r = forwarder_wait(export_dir, name, (unsigned long long)n, 300000, NULL);
	seconds = (double)(now_us() - t0) / 1e6;
	process_stop(pid, SIGTERM);
	if (r < 0) {
		fprintf(stderr, "export_bench: forwarder %s did not get through; see %s\n", name,
			log);
		return -1;
	}
	return (double)n / seconds;
}

int main(int argc, char **argv)
{
	long long n = getenv("BENCH_EXPORT_RECORDS") ? atoll(getenv("BENCH_EXPORT_RECORDS")) :
						       50000;
	char dir[] = "/tmp/export-bench-XXXXXX", bin[512], pki[600], export_dir[600], siem_dir[600],
	     device[64] = "", cmd[700], ca[700], to[128];
	struct siem siem = {};
	double plain, with_export, line, tls = -1, relp = -1, hec_rate = -1;
	struct hec hec = {};
	char *id = NULL;
	size_t id_size;
	bool ok;

	if (argc != 2 || n < BATCH) {
		fprintf(stderr, "Usage: export_bench BUILD_DIR\n");
		return 2;
	}
	snprintf(bin, sizeof(bin), "%s/posture-collector", argv[1]);
	if (!mkdtemp(dir))
		return 1;
	n -= n % BATCH;
	file_path(pki, sizeof(pki), dir, "pki");
	file_path(export_dir, sizeof(export_dir), dir, "export");
	file_path(siem_dir, sizeof(siem_dir), dir, "siem");
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s >/dev/null 2>&1", pki);
	snprintf(ca, sizeof(ca), "%s/device1.id", pki);
	if (system(cmd) != 0 || file_read(ca, &id, &id_size) < 0) {
		fprintf(stderr, "export_bench: no test PKI\n");
		return 1;
	}
	snprintf(device, sizeof(device), "%.32s", id);
	free(id);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	{
		double p[ROUNDS], x[ROUNDS];
		char cmd_rm[700];

		for (int r = 0; r < ROUNDS; r++) {
			p[r] = ingest(bin, dir, pki, device, NULL, n, r);
			snprintf(cmd_rm, sizeof(cmd_rm), "rm -rf %s", export_dir);
			if (system(cmd_rm) != 0)
				return 1;
			x[r] = ingest(bin, dir, pki, device, export_dir, n, r);
		}
		plain = median(p, ROUNDS);
		with_export = median(x, ROUNDS);
	}
	line = line_rate(device, n);
	if (siem_start(&siem, siem_dir, pki) == 0) {
		const char *tls_extra[] = { "--ca", ca, NULL };

		file_path(ca, sizeof(ca), pki, "server-ca.crt");
		snprintf(to, sizeof(to), "syslog+tls://localhost:%d", siem.tls_port);
		tls = forward(bin, dir, export_dir, "tls", to, tls_extra, n);
		snprintf(to, sizeof(to), "relp://127.0.0.1:%d", siem.relp_port);
		relp = forward(bin, dir, export_dir, "relp", to, NULL, n);
		siem_stop(&siem);
	} else {
		fprintf(stderr, "export_bench: rsyslog did not start\n");
	}
	{
		char token[700], events[700];
		const char *hec_extra[] = { "--ca", ca, "--token-file", token, NULL };

		file_path(token, sizeof(token), dir, "hec.token");
		file_path(events, sizeof(events), dir, "hec-events.ndjson");
		file_path(ca, sizeof(ca), pki, "server-ca.crt");
		if (file_write(token, "bench-token", 11, 0600) == 0 &&
		    hec_start(&hec, pki, "bench-token", events) == 0) {
			snprintf(to, sizeof(to), "hec+https://localhost:%d", hec.port);
			hec_rate = forward(bin, dir, export_dir, "hec", to, hec_extra, n);
			hec_stop(&hec);
		}
	}

	printf("\nOCSF export (issue 16): %lld records of ~900 bytes, batches of %d, one device;\n"
	       "ingest the median of %d rounds each\n",
	       n, BATCH, ROUNDS);
	printf("  %-44s %10.0f records/s\n", "ingest, no export log", plain);
	printf("  %-44s %10.0f records/s  (x%.2f of no export)\n", "ingest, export log on",
	       with_export, with_export / plain);
	printf("  %-44s %10.0f records/s  (x%.1f of ingest)\n", "the export line alone (one core)",
	       line, line / with_export);
	printf("  %-44s %10.0f records/s  (x%.1f of ingest)\n", "forwarding to rsyslog, syslog/TLS",
	       tls, tls / with_export);
	printf("  %-44s %10.0f records/s  (x%.1f of ingest)\n", "forwarding to rsyslog, RELP", relp,
	       relp / with_export);
	printf("  %-44s %10.0f records/s  (x%.1f of ingest)\n",
	       "forwarding to an HTTP event collector (HEC)", hec_rate, hec_rate / with_export);
	ok = plain > 0 && with_export > 0 && tls >= with_export && relp >= with_export &&
	     hec_rate >= with_export;
	printf("  target: each forwarder at least as fast as ingest with the export on: %s\n",
	       ok ? "holds" : "FAILS");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (ok && system(cmd) != 0)
		fprintf(stderr, "export_bench: %s not removed\n", dir);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
