// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A fleet into its collectors (issue 17): BENCH_INGEST_DEVICES simulated
 * devices (default 1000, tests/bench/fleet_load.c), each with a certificate
 * of its own, post BENCH_INGEST_RECORDS
 * records each (default 200) in batches of BENCH_INGEST_BATCH (default 100),
 * 64 devices at once, each draining its records over one connection, into
 *   1. one collector on SQLite,
 *   2. one collector on PostgreSQL,
 *   3. two collectors on one PostgreSQL (the devices split between them),
 * the real build/posture-collector on loopback, each on a fresh store, all
 * in this one run.  PostgreSQL is the one POSTURED_TEST_POSTGRES names, or a
 * throwaway one started here (tools/pg-test-server).  Prints records/s,
 * the median and p99 of the time from a request's start to its 200, and
 * the ratios against the first; the load generator runs on the same two
 * CPUs as the collectors and the database.
 *
 *   ingest_bench BUILD_DIR
 *
 * Run from the source tree as root (PostgreSQL runs as its own user).
 * Exits 0 when every record of every run was acknowledged, 1 otherwise.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../collector/harness_db.h"
#include "../collector/harness_file.h"
#include "../collector/harness_process.h"
#include "../collector/harness_time.h"
#include "fleet_load.h"

/* Paths here are short temporary ones; gcc cannot know that. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define CONNECTIONS    64
#define TARGET_PER_SEC 20000.0 /* into one collector, on the 2-CPU machines */
#define MAX_COLLECTORS 2
#define RUN_TIMEOUT_MS 600000

struct setup {
	const char *name;
	bool postgresql;
	size_t collectors;
	struct fleet_load_result res;
};

static long long env_or(const char *name, long long fallback)
{
	const char *v = getenv(name);

	return v && *v ? atoll(v) : fallback;
}

static int run_setup(const char *bin, const char *dir, const char *pki, struct setup *s,
		     struct fleet_load_device *devices, size_t n, long long per_device,
		     size_t batch)
{
	/* Every device comes from 127.0.0.1 here: no limit per address; capacity, so never paced. */
	const char *const extra[] = { "--max-connections",
				      "256",
				      "--max-connections-per-ip",
				      "0",
				      "--shed-above",
				      "1",
				      NULL };
	struct collector c[MAX_COLLECTORS] = {};
	int ports[MAX_COLLECTORS];
	char notify[600], name[64];
	int r = 0;

	snprintf(name, sizeof(name), "ingest-%s-%zu.db", s->postgresql ? "pg" : "sqlite",
		 s->collectors);
	for (size_t i = 0; i < s->collectors && r == 0; i++) {
		if (s->postgresql)
			r = db_spec(c[i].db, sizeof(c[i].db), dir, name);
		else
			file_path(c[i].db, sizeof(c[i].db), dir, name);
		snprintf(c[i].log, sizeof(c[i].log), "%s/%s-%zu.log", dir, name, i);
		snprintf(notify, sizeof(notify), "%s/notify-%zu", dir, i);
		if (r == 0)
			r = collector_spawn_pki(&c[i], bin, pki, "collector", "127.0.0.1:0", extra,
						notify, NULL);
		if (r < 0)
			fprintf(stderr, "ingest_bench: collector %zu of %s did not start; see %s\n",
				i, s->name, c[i].log);
		ports[i] = c[i].port;
	}
	for (size_t i = 0; i < n; i++)
		devices[i].acked = devices[i].sent = 0;
	if (r == 0) {
		const struct fleet_load_config cfg = {
			.pki = pki,
			.ports = ports,
			.n_ports = s->collectors,
			.records_per_device = per_device,
			.batch_records = batch,
			.connections = CONNECTIONS,
			.max_ms = RUN_TIMEOUT_MS,
		};

		r = fleet_load_run(&cfg, devices, n, &s->res);
	}
	for (size_t i = 0; i < s->collectors; i++)
		if (c[i].pid > 0)
			collector_stop(&c[i], SIGTERM);
	if (r == 0 && !s->res.finished) {
		fprintf(stderr, "ingest_bench: %s: %lld records acknowledged of %lld\n", s->name,
			s->res.records_acked, (long long)n * per_device);
		r = -1;
	}
	if (s->postgresql)
		db_remove(c[0].db);
	return r;
}

int main(int argc, char **argv)
{
	size_t n = (size_t)env_or("BENCH_INGEST_DEVICES", 1000);
	long long per_device = env_or("BENCH_INGEST_RECORDS", 200);
	size_t batch = (size_t)env_or("BENCH_INGEST_BATCH", 100);
	struct setup setups[] = {
		{ "1 collector, SQLite", false, 1, {} },
		{ "1 collector, PostgreSQL", true, 1, {} },
		{ "2 collectors, PostgreSQL", true, 2, {} },
	};
	char dir[] = "/tmp/ingest-bench-XXXXXX", bin[512], pki[600], pg_dir[600], cmd[1400];
	struct fleet_load_device *devices = NULL;
	bool ok = true, own_pg = false;

	if (argc != 2 || n == 0 || per_device <= 0 || batch == 0) {
		fprintf(stderr, "Usage: ingest_bench BUILD_DIR\n");
		return 2;
	}
	snprintf(bin, sizeof(bin), "%s/posture-collector", argv[1]);
	/* PostgreSQL's own user must reach its data directory in here. */
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		return 1;
	file_path(pki, sizeof(pki), dir, "pki");
	file_path(pg_dir, sizeof(pg_dir), dir, "pg");
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s >/dev/null 2>&1", pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "ingest_bench: no test PKI\n");
		return 1;
	}
	if (!db_test_postgres()) {
		char uri[256] = "";
		FILE *p;

		snprintf(cmd, sizeof(cmd), "tools/pg-test-server start %s %d", pg_dir, port_free());
		p = popen(cmd, "r");
		if (!p || !fgets(uri, sizeof(uri), p) || pclose(p) != 0) {
			fprintf(stderr, "ingest_bench: PostgreSQL did not start\n");
			return 1;
		}
		uri[strcspn(uri, "\n")] = '\0';
		setenv("POSTURED_TEST_POSTGRES", uri, 1);
		own_pg = true;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fleet_load_devices(pki, n, per_device, &devices) < 0) {
		fprintf(stderr, "ingest_bench: no devices\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++)
		if (run_setup(bin, dir, pki, &setups[i], devices, n, per_device, batch) < 0)
			ok = false;

	printf("\nA fleet into its collectors (issue 17): %zu devices, %lld records each in "
	       "batches of %zu,\n%d devices at once, each over one mTLS connection; same "
	       "machine as the collectors and PostgreSQL\n",
	       n, per_device, batch, CONNECTIONS);
	printf("%-28s %12s %8s %8s %8s\n", "", "records/s", "ratio", "p50 ms", "p99 ms");
	for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
		const struct fleet_load_result *r = &setups[i].res;

		printf("%-28s %12.0f %8.2f %8.1f %8.1f\n", setups[i].name, r->records_per_second,
		       setups[0].res.records_per_second > 0 ?
			       r->records_per_second / setups[0].res.records_per_second :
			       0,
		       r->p50_ms, r->p99_ms);
	}
	printf("target: >= %.0f records/s into one collector: SQLite %s, PostgreSQL %s\n",
	       TARGET_PER_SEC,
	       setups[0].res.records_per_second >= TARGET_PER_SEC ? "met" : "NOT met",
	       setups[1].res.records_per_second >= TARGET_PER_SEC ? "met" : "NOT met");

	fleet_load_devices_free(devices, n);
	curl_global_cleanup();
	if (own_pg) {
		snprintf(cmd, sizeof(cmd), "tools/pg-test-server stop %s >/dev/null", pg_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "ingest_bench: PostgreSQL did not stop\n");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "ingest_bench: %s is left\n", dir);
	return ok ? 0 : 1;
}
