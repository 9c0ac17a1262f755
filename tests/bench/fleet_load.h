/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A fleet of simulated devices posting to collectors on loopback
 * (fleet_load.c), for the benchmark of several collectors on one store and
 * for the test that kills one of them.  Each device has a key and a
 * certificate of its own, signed by the test PKI's device CA (as an
 * external CA would), and posts what an agent does: batches of exec audit
 * records, findings and, now and then, a posture snapshot, numbered
 * consecutively, each batch sent again from the last acknowledged record
 * after any failure (an agent's spool).  As after an outage, every device
 * has its backlog: at most `connections` devices send at once (libcurl
 * multi), each draining its backlog over the TLS connection it keeps, as
 * the sender does, before the next device starts; requests are paced to
 * `batches_per_second` when set.  Bounded: every device sends
 * records_per_device records, and the run ends at max_ms whatever happened.
 * Loopback only: the URL is https://localhost:PORT with localhost resolved
 * to 127.0.0.1.
 */

#include <stdbool.h>
#include <stddef.h>

struct fleet_load_device {
	char id[33];
	char *cert_pem, *key_pem;
	long long acked; /* the highest seq the collectors acknowledged */
	long long sent; /* the highest seq sent in the current request */
	long long total; /* records it will send: seq 1..total */
	long long retry_at_ms;
	unsigned failures; /* in a row */
	bool busy;
	size_t port; /* index into the config's ports */
};

struct fleet_load_config {
	const char *pki; /* device-ca.crt/.key, server-ca.crt */
	const int *ports; /* the collectors (or a load balancer); device i uses ports[i % n] */
	size_t n_ports;
	long long records_per_device;
	size_t batch_records;
	double batches_per_second; /* 0: as fast as they are answered */
	size_t connections; /* requests in flight at most */
	long long max_ms; /* the run's bound */
	/* Called about every 10 ms during the run (may be NULL): the test's moment to act. */
	void (*tick)(long long elapsed_ms, long long acked, void *userdata);
	void *userdata;
};

struct fleet_load_result {
	long long records_acked; /* sum over devices of what was acknowledged */
	long long requests, answered_200, refused, transport_errors, retry_after_honoured;
	double seconds, records_per_second;
	double p50_ms, p99_ms; /* from a request's start to its 200, over every 200 */
	bool finished; /* every device's records were acknowledged before max_ms */
};

/* n devices with new keys and certificates from pki's device CA.  0 or -1. */
int fleet_load_devices(const char *pki, size_t n, long long records_per_device,
		       struct fleet_load_device **ret);
void fleet_load_devices_free(struct fleet_load_device *d, size_t n);

/* Runs the fleet against cfg's collectors until every record is acknowledged or max_ms. */
int fleet_load_run(const struct fleet_load_config *cfg, struct fleet_load_device *devices,
		   size_t n, struct fleet_load_result *ret);

/*
 * Record lines as the agent writes them for device, seq: exec audit
 * (Process Activity, about 900 bytes), a finding, a posture snapshot.
 * Return the length written (snprintf's).
 */
int fleet_load_exec_record(char *buf, size_t size, const char *device, long long seq);
int fleet_load_finding_record(char *buf, size_t size, const char *device, long long seq);
int fleet_load_snapshot_record(char *buf, size_t size, const char *device, long long seq);
