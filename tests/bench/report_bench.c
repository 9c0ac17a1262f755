// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reports through agent -> collector on loopback (issue 6): a spool filled
 * with N realistic records (Process Activity of about 1 KiB and, one in ten,
 * a Compliance Finding of 2-3 KiB, both from the real formatters), then
 * build/postured-sender against build/posture-collector with a fresh test
 * PKI (tools/make-test-pki).  Measures the time from starting the sender until
 * the collector has acknowledged every record, and the bytes per record: the
 * gzipped bodies the sender logged (--debug), the same batches gzipped here
 * with zlib, and the batches as they would go without gzip (the sender has
 * no switch to turn it off).
 *
 *   report_bench BUILD_DIR     records: BENCH_REPORT_RECORDS (default 20000)
 *
 * Run from the source tree, as root (the sender drops to "nobody").  Prints a
 * table; exits 0 when every record was acknowledged, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "postured/checks/checks.h"
#include "postured/format.h"
#include "postured/spool.h"
#include "../collector/harness_process.h"
#include "tests/unit/fixtures.h"

/* Paths here are short temporary ones; gcc cannot know that. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define BATCH_RECORDS 500
#define BATCH_BYTES   (1024 * 1024) /* the sender's default */
#define TIMEOUT_MS    300000

/* Starts the collector on a port of its choosing and waits for its READY=1; returns the port or -1. */
static int collector_start(const char *bin, const char *dir, const char *pki, struct collector *c)
{
	char notify[300];

	snprintf(notify, sizeof(notify), "%s/notify", dir);
	snprintf(c->log, sizeof(c->log), "%s/collector.log", dir);
	snprintf(c->db, sizeof(c->db), "%s/collector.db", dir);
	if (collector_spawn_pki(c, bin, pki, "collector", "127.0.0.1:0", NULL, notify, NULL) < 0)
		return -1;
	return c->port;
}

static const char bench_policy[] =
	"{\"id\": \"bench\", \"serial\": 1, \"mode\": \"monitor\", \"rules\": ["
	"{\"id\": \"deny-ncat\", \"type\": \"process\", \"title\": \"Network listeners (ncat)\","
	" \"severity\": \"high\", \"tags\": [\"network\", \"listener\"],"
	" \"contact\": \"it-help@example.com\", \"match\": {\"name\": \"ncat\"}, \"effect\": \"deny\","
	" \"message\": {\"en\": \"ncat lets other computers connect to this laptop. It is not allowed"
	" on company laptops because it opens the machine to the network.\","
	" \"ja\": \"ncat はほかのコンピューターからこのPCへの接続を許します。会社のPCでは使えません。\"},"
	" \"remediation\": {\"en\": \"Close ncat. If you need it for your work, ask the IT help desk"
	" for an exception.\", \"ja\": \"ncat を終了してください。業務で必要な場合は IT ヘルプデスク"
	"に相談してください。\"}}]}";

/* One formatted record in g's buffer, copied into buf. */
static size_t take(yajl_gen g, char *buf, size_t size)
{
	const unsigned char *out;
	size_t len;

	yajl_gen_get_buf(g, &out, &len);
	if (len >= size)
		len = size - 1;
	memcpy(buf, out, len);
	buf[len] = '\0';
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	return len;
}

static const char *const programs[] = { "/usr/bin/git",	 "/usr/bin/ls",
					"/usr/bin/grep", "/usr/bin/python3",
					"/usr/bin/ssh",	 "/usr/lib/firefox/firefox",
					"/usr/bin/make", "/usr/bin/cc" };

/* Record i: a process exec, or every tenth a finding about one. */
static size_t make_record(yajl_gen g, const policy *p, size_t i, char *buf, size_t size)
{
	const char *path = programs[i % (sizeof(programs) / sizeof(programs[0]))];
	uint64_t t = 1700000000000000000ULL + (uint64_t)i * 7919000ULL;

	if (i % 10 == 9) {
		struct finding f = {
			.kind = FINDING_PROCESS_DENIED,
			.time_real = t / 1000,
			.policy = p,
			.rule = policy_rule_find(p, "deny-ncat"),
			.mode = POLICY_MODE_MONITOR,
			.action = FINDING_ACTION_REPORTED,
			.has_process = true,
			.n_ancestors = 2,
		};
		char uid[33];

		f.process = (struct finding_process){
			.pid = (uint32_t)(20000 + i), .ppid = 4000, .uid = 1000, .gid = 1000
		};
		strcpy(f.process.path, "/home/alice/.local/bin/ncat");
		strcpy(f.process.name, "ncat");
		snprintf(f.process.sha256, sizeof(f.process.sha256), "%064zx", i * 2654435761u);
		snprintf(f.process.cmd_line, sizeof(f.process.cmd_line),
			 "ncat -l -k -p %zu --exec /bin/sh", 4000 + i % 1000);
		f.ancestors[0] = (struct finding_ancestor){ .pid = 4000, .path = "/usr/bin/bash" };
		f.ancestors[1] =
			(struct finding_ancestor){ .pid = 1200, .path = "/usr/bin/gnome-terminal" };
		snprintf(uid, sizeof(uid), "%016zx%016zx", i, i * 40503u);
		format_finding(g, &f, uid, &fixture_device);
	} else {
		struct proc_entry parent = { .pid = 4000,
					     .ppid = 1200,
					     .uid = 1000,
					     .gid = 1000,
					     .start_boot = 10000000000ULL,
					     .comm = "bash",
					     .exe = (char *)"/usr/bin/bash" };
		struct decoded_event ev = {
			.kind = EVENT_KIND_EXEC,
			.time_boot = 50000000000ULL + i * 7919000ULL,
			.time_real = t,
			.task = { .pid = (uint32_t)(20000 + i),
				  .tid = (uint32_t)(20000 + i),
				  .ppid = 4000,
				  .uid = 1000,
				  .gid = 1000,
				  .loginuid = 1000,
				  .start_boot = 50000000000ULL + i * 7919000ULL,
				  .cgroup_id = 4242 },
		};
		int n;

		snprintf(ev.exec.filename, sizeof(ev.exec.filename), "%s", path);
		snprintf(ev.task.comm, sizeof(ev.task.comm), "%.15s", strrchr(path, '/') + 1);
		n = snprintf(ev.exec.args, sizeof(ev.exec.args),
			     "%s%c--color=auto%c/home/alice/src/"
			     "project-%zu/file-%zu.c",
			     path, '\0', '\0', i % 50, i);
		ev.exec.args_size = (uint32_t)n + 1;
		ev.exec.exe_dev = 2049;
		ev.exec.exe_ino = 131072 + i % 8;
		format_process_event(g, &ev, NULL, &parent, &fixture_device, 0);
	}
	return take(g, buf, size);
}

/* The batches as the sender makes them: lines joined by newlines, BATCH_RECORDS at a time. */
struct sizes {
	char *plain;
	size_t plain_len, plain_size, n;
	unsigned long long plain_total, gzip_total;
};

static unsigned long long gzip_size(const char *data, size_t len)
{
	unsigned long long out = 0;
	unsigned char chunk[65536];
	z_stream z = {};

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return 0;
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		deflate(&z, Z_FINISH);
		out += sizeof(chunk) - z.avail_out;
	} while (z.avail_out == 0);
	deflateEnd(&z);
	return out;
}

static int add_line(uint64_t seq, const char *line, size_t len, void *userdata)
{
	struct sizes *s = userdata;

	if (s->plain_len + len + 1 > s->plain_size) {
		size_t n = (s->plain_len + len + 1) * 2;
		char *p = realloc(s->plain, n);

		if (!p)
			return -ENOMEM;
		s->plain = p;
		s->plain_size = n;
	}
	memcpy(s->plain + s->plain_len, line, len);
	s->plain_len += len;
	s->plain[s->plain_len++] = '\n';
	s->n++;
	return 0;
}

static int measure_batches(struct spool *sp, struct sizes *s, uint64_t first_seq, size_t n)
{
	uint64_t after = first_seq - 1;

	for (size_t done = 0; done < n;) {
		size_t before = s->n;
		int r;

		s->plain_len = 0;
		r = spool_peek(sp, after, BATCH_RECORDS, BATCH_BYTES, add_line, s);
		if (r <= 0)
			return r < 0 ? r : -EIO;
		s->plain_total += s->plain_len;
		s->gzip_total += gzip_size(s->plain, s->plain_len);
		done += s->n - before;
		after += s->n - before;
	}
	return 0;
}

/* The sum of "..., N bytes gzipped." in the sender's debug log. */
static unsigned long long logged_gzip_bytes(const char *log, unsigned *ret_batches)
{
	unsigned long long total = 0;
	char line[1024];
	FILE *f = fopen(log, "re");

	*ret_batches = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *end = strstr(line, " bytes gzipped.");
		char *start;

		if (!end)
			continue;
		*end = '\0';
		start = strrchr(line, ' ');
		if (start) {
			total += strtoull(start + 1, NULL, 10);
			(*ret_batches)++;
		}
	}
	fclose(f);
	return total;
}

static void row(const char *metric, const char *value, const char *target, const char *result)
{
	printf("%-56s %14s %10s %8s\n", metric, value, target, result);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/postured-report-bench.XXXXXX";
	char cmd[600], pki[300], spool_path[300], log[300], collector_bin[300], sender_bin[300],
		url[64], ca[400], cert[400], key[400], val[64], metric[128];
	const char *env = getenv("BENCH_REPORT_RECORDS");
	size_t n = env ? strtoul(env, NULL, 10) : 20000;
	struct spool_item *items = NULL;
	char(*lines)[8192] = NULL;
	struct sizes sizes = {};
	struct spool *sp = NULL;
	struct spool_stats st = {};
	policy_errors *errs = NULL;
	policy *pol = NULL;
	yajl_gen g = NULL;
	struct collector collector = {};
	pid_t sender = 0;
	uint64_t first_seq = 0, last;
	unsigned long long wire;
	unsigned batches;
	long long t0, t1 = 0;
	double secs;
	int port, ret = 1;

	if (argc != 2 || n == 0) {
		fprintf(stderr, "usage: report_bench BUILD_DIR   (BENCH_REPORT_RECORDS=N)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(pki, sizeof(pki), "%s/pki", dir);
	snprintf(spool_path, sizeof(spool_path), "%s/spool.db", dir);
	snprintf(log, sizeof(log), "%s/sender.log", dir);
	snprintf(collector_bin, sizeof(collector_bin), "%s/posture-collector", argv[1]);
	snprintf(sender_bin, sizeof(sender_bin), "%s/postured-sender", argv[1]);
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s >/dev/null", pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "report_bench: make-test-pki failed\n");
		goto out;
	}
	port = collector_start(collector_bin, dir, pki, &collector);
	if (port <= 0) {
		fprintf(stderr, "report_bench: the collector did not start\n");
		goto out;
	}

	/* Fill the spool (not timed) with records from the formatters. */
	errs = policy_errors_new();
	g = yajl_gen_alloc(NULL);
	items = calloc(BATCH_RECORDS, sizeof(*items));
	lines = calloc(BATCH_RECORDS, sizeof(*lines));
	if (!errs || !g || !items || !lines ||
	    policy_parse("bench.json", bench_policy, strlen(bench_policy), errs, &pol) < 0 ||
	    spool_open(spool_path, 0, &sp) < 0) {
		fprintf(stderr, "report_bench: setup failed\n");
		goto out;
	}
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < BATCH_RECORDS ? n - done : BATCH_RECORDS;

		for (size_t i = 0; i < k; i++) {
			make_record(g, pol, done + i, lines[i], sizeof(lines[i]));
			items[i] = (struct spool_item){
				SPOOL_EVENT, (done + i) % 10 == 9 ? "finding" : "process", lines[i]
			};
		}
		if (spool_append_many(sp, items, k, &last) < 0) {
			fprintf(stderr, "report_bench: spool_append_many failed\n");
			goto out;
		}
		if (done == 0)
			first_seq = last - k + 1;
		done += k;
	}
	if (measure_batches(sp, &sizes, first_seq, n) < 0) {
		fprintf(stderr, "report_bench: could not read the spool back\n");
		goto out;
	}

	/* Send, timed until the collector has acknowledged everything. */
	snprintf(url, sizeof(url), "https://localhost:%d", port);
	snprintf(ca, sizeof(ca), "%s/server-ca.crt", pki);
	snprintf(cert, sizeof(cert), "%s/device1.crt", pki);
	snprintf(key, sizeof(key), "%s/device1.key", pki);
	t0 = now_ms();
	sender = fork();
	if (sender == 0) {
		int l = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (l < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0)
			_exit(127);
		execl(sender_bin, sender_bin, "--url", url, "--ca", ca, "--cert", cert, "--key",
		      key, "--spool", spool_path, "--batch-records", "500", "--poll-ms", "50",
		      "--debug", geteuid() == 0 ? "--user" : (char *)NULL, "nobody", (char *)NULL);
		_exit(127);
	}
	while (now_ms() - t0 < TIMEOUT_MS) {
		if (spool_get_stats(sp, &st) >= 0 && st.records == 0) {
			t1 = now_ms();
			break;
		}
		if (waitpid(sender, NULL, WNOHANG) == sender) {
			sender = 0;
			break;
		}
		usleep(5000);
	}
	if (!t1) {
		fprintf(stderr,
			"report_bench: not everything was acknowledged (%llu left); see %s\n",
			(unsigned long long)st.records, log);
		goto out;
	}
	secs = (double)(t1 - t0) / 1000.0;
	wire = logged_gzip_bytes(log, &batches);

	printf("\npostured report bench: %zu records (9 in 10 Process Activity, 1 in 10 Compliance "
	       "Finding), batches of %d, loopback\n",
	       n, BATCH_RECORDS);
	row("metric", "value", "target", "result");
	printf("%.*s\n", 91,
	       "-------------------------------------------------------------------"
	       "-----------------------------------------");
	snprintf(val, sizeof(val), "%.0f", (double)n / secs);
	row("records/s, spool -> sender -> collector, acked", val, "-", "info");
	snprintf(val, sizeof(val), "%.2f s", secs);
	row("time from sender start to the last ack", val, "-", "info");
	snprintf(val, sizeof(val), "%.1f", (double)sizes.plain_total / (double)n);
	row("bytes/record, uncompressed (with the envelope)", val, "-", "info");
	if (batches > 0) {
		snprintf(val, sizeof(val), "%.1f", (double)wire / (double)n);
		snprintf(metric, sizeof(metric),
			 "bytes/record on the wire, gzip (%u request bodies)", batches);
		row(metric, val, "-", "info");
	} else {
		row("bytes/record on the wire, gzip (sender log)", "n/a", "-", "info");
	}
	snprintf(val, sizeof(val), "%.1f", (double)sizes.gzip_total / (double)n);
	row("bytes/record, gzip of the same batches (zlib here)", val, "-", "info");
	snprintf(val, sizeof(val), "%.1fx", (double)sizes.plain_total / (double)sizes.gzip_total);
	row("gzip ratio", val, "-", "info");
	row("records/s with gzip off", "n/a", "-", "no switch");
	fflush(stdout);
	ret = 0;
out:
	if (sender > 0) {
		kill(sender, SIGTERM);
		waitpid(sender, NULL, 0);
	}
	if (collector.pid > 0)
		collector_stop(&collector, SIGTERM);
	spool_free(sp);
	policy_unref(pol);
	policy_errors_free(errs);
	if (g)
		yajl_gen_free(g);
	free(items);
	free(lines);
	free(sizes.plain);
	if (!getenv("KEEP_TEST_DIR")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "report_bench: could not remove %s\n", dir);
	} else {
		printf("kept %s\n", dir);
	}
	return ret;
}
