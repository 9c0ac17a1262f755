// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A fleet catching up with a collector that paces it (collector/pace.h):
 * simulated devices (tests/bench/fleet_load.c) post their backlogs to a
 * collector told to turn batches away past a small share of its loop; some
 * are answered 503 with a Retry-After, the devices wait it out (spread, as
 * the sender does), and every record is stored once in the end.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../bench/fleet_load.h"
#include "harness.h"

#define DEVICES		   20
#define RECORDS_PER_DEVICE 1000

static int test_catchup_paced(struct harness *t)
{
	const char *const extra[] = { "--shed-above", "0.05", "--max-connections-per-ip", "0",
				      NULL };
	const long long goal = (long long)DEVICES * RECORDS_PER_DEVICE;
	struct fleet_load_device *devices = NULL;
	struct fleet_load_result res;
	struct collector c;
	int exit_status = -1, r = -1;

	CHECK(collector_start(t, &c, "catchup.db", extra, &exit_status) == 0, "no collector (%d)",
	      exit_status);
	CHECK(fleet_load_devices(t->pki, DEVICES, RECORDS_PER_DEVICE, &devices) == 0, "devices");
	{
		const int ports[] = { c.port };
		const struct fleet_load_config cfg = {
			.pki = t->pki,
			.ports = ports,
			.n_ports = 1,
			.records_per_device = RECORDS_PER_DEVICE,
			.batch_records = 25,
			.connections = DEVICES,
			.max_ms = 240000,
		};

		if (fleet_load_run(&cfg, devices, DEVICES, &res) < 0)
			goto out;
	}
	fprintf(stderr,
		"    %lld records in %.1f s, %lld requests: %lld answered 200, %lld refused "
		"(%lld with Retry-After), %lld broken\n",
		res.records_acked, res.seconds, res.requests, res.answered_200, res.refused,
		res.retry_after_honoured, res.transport_errors);
	if (!res.finished || res.retry_after_honoured == 0 ||
	    res.retry_after_honoured != res.refused)
		goto out;
	if (db_count_records(c.db, NULL) != goal ||
	    db_int(c.db, "SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM records) x",
		   NULL) != goal) {
		fprintf(stderr, "    %lld records stored, want %lld once each\n",
			db_count_records(c.db, NULL), goal);
		goto out;
	}
	if (!file_contains(c.log, "Asking devices to send again in")) {
		fprintf(stderr, "    the collector did not say why it refused\n");
		goto out;
	}
	r = 0;
out:
	collector_stop(&c, SIGTERM);
	fleet_load_devices_free(devices, DEVICES);
	return r;
}

const struct test catchup_tests[] = {
	{ "catch-up: past its share the collector asks devices to wait; all stored once",
	  test_catchup_paced },
	{},
};
