// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Several collectors on one PostgreSQL store behind HAProxy in TCP mode, as
 * docs/collector.md describes: mutual TLS ends in the collectors, so the
 * device id still comes from each device's certificate.  200 simulated
 * devices (tests/bench/fleet_load.c), each with a certificate of its own,
 * post through the balancer; one collector is killed with SIGKILL in the
 * middle; every record must be stored exactly once, in order per device,
 * with no gap.  Runs in the suite's PostgreSQL pass only (test_collector.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/fleet_load.h"
#include "harness.h"

#define COLLECTORS	   3
#define DEVICES		   200
#define RECORDS_PER_DEVICE 300
#define BATCH		   50

static const char *const haproxy_paths[] = { "/usr/sbin/haproxy", "/usr/bin/haproxy" };

/* HAProxy on a free port in front of the collectors: TCP, round robin, dead ones checked out. */
static pid_t balancer_start(struct harness *t, const struct collector *c, size_t n, int *ret_port,
			    char *log, size_t log_size)
{
	const char *haproxy = NULL;
	char config[512], text[2048];
	size_t len;
	pid_t pid;

	for (size_t i = 0; i < sizeof(haproxy_paths) / sizeof(haproxy_paths[0]); i++)
		if (access(haproxy_paths[i], X_OK) == 0)
			haproxy = haproxy_paths[i];
	if (!haproxy) {
		fprintf(stderr,
			"    HAProxy is not installed: install the Debian package haproxy\n");
		return -1;
	}
	*ret_port = port_free();
	if (*ret_port < 0)
		return -1;
	len = (size_t)snprintf(
		text, sizeof(text),
		"global\n\tmaxconn 4096\n"
		"defaults\n\tmode tcp\n\ttimeout connect 2s\n\ttimeout client 60s\n"
		"\ttimeout server 60s\n\tretries 3\n\toption redispatch\n"
		"frontend devices\n\tbind 127.0.0.1:%d\n\tdefault_backend collectors\n"
		"backend collectors\n\tbalance roundrobin\n",
		*ret_port);
	for (size_t i = 0; i < n && len < sizeof(text); i++)
		len += (size_t)snprintf(
			text + len, sizeof(text) - len,
			"\tserver c%zu 127.0.0.1:%d check inter 300ms fall 1 rise 2\n", i,
			c[i].port);
	snprintf(config, sizeof(config), "%s/balancer.cfg", t->dir);
	snprintf(log, log_size, "%s/balancer.log", t->dir);
	if (len >= sizeof(text) || file_write(config, text, len, 0600) < 0)
		return -1;
	{
		const char *const argv[] = { haproxy, "-f", config, "-db", NULL };

		pid = process_spawn(argv, log);
	}
	for (long long deadline = now_ms() + 5000; pid > 0 && !port_accepts(*ret_port); msleep(20))
		if (now_ms() > deadline) {
			process_stop(pid, SIGKILL);
			fprintf(stderr, "    HAProxy did not accept on %d; see %s\n", *ret_port,
				log);
			return -1;
		}
	return pid;
}

struct killer {
	struct collector *victim;
	long long goal, killed_at; /* records acknowledged when it was killed; -1 not yet */
};

/* A third of the way, one collector dies as a crash would take it: mid-request, mid-transaction. */
static void kill_one(long long elapsed_ms, long long acked, void *userdata)
{
	struct killer *k = userdata;

	if (k->killed_at < 0 && acked >= k->goal / 3) {
		kill(k->victim->pid, SIGKILL);
		waitpid(k->victim->pid, NULL, 0);
		k->victim->pid = 0;
		k->killed_at = acked;
		fprintf(stderr, "    collector %d killed at %lld ms, %lld records acknowledged\n",
			k->victim->port, elapsed_ms, acked);
	}
}

static int test_cluster_sigkill(struct harness *t)
{
	/*
	 * Behind the balancer every device comes from its address: no limit per
	 * address.  Never paced: what is tested is a kill, not a wait.
	 */
	const char *const extra[] = { "--max-connections-per-ip", "0", "--shed-above", "1", NULL };
	struct collector c[COLLECTORS];
	struct fleet_load_device *devices = NULL;
	struct fleet_load_result res;
	struct killer k = { .victim = &c[1],
			    .goal = (long long)DEVICES * RECORDS_PER_DEVICE,
			    .killed_at = -1 };
	char log[512], last[24];
	int port = -1, exit_status = -1, r = -1;
	pid_t balancer = -1;

	snprintf(last, sizeof(last), "%d", RECORDS_PER_DEVICE);
	for (size_t i = 0; i < COLLECTORS; i++)
		CHECK(collector_start(t, &c[i], "cluster.db", extra, &exit_status) == 0,
		      "collector %zu did not start (%d)", i, exit_status);
	balancer = balancer_start(t, c, COLLECTORS, &port, log, sizeof(log));
	CHECK(balancer > 0, "no balancer");
	CHECK(fleet_load_devices(t->pki, DEVICES, RECORDS_PER_DEVICE, &devices) == 0, "devices");
	{
		const int ports[] = { port };
		const struct fleet_load_config cfg = {
			.pki = t->pki,
			.ports = ports,
			.n_ports = 1,
			.records_per_device = RECORDS_PER_DEVICE,
			.batch_records = BATCH,
			.connections = 32,
			.max_ms = 180000,
			.tick = kill_one,
			.userdata = &k,
		};

		if (fleet_load_run(&cfg, devices, DEVICES, &res) < 0) {
			fprintf(stderr, "    the load did not run\n");
			goto out;
		}
	}
	fprintf(stderr,
		"    %lld records in %.1f s (%.0f/s), %lld requests: %lld answered 200, %lld "
		"refused, %lld broken; p99 %.0f ms\n",
		res.records_acked, res.seconds, res.records_per_second, res.requests,
		res.answered_200, res.refused, res.transport_errors, res.p99_ms);
	/* The kill broke connections with batches on them: resent, elsewhere. */
	if (!res.finished || k.killed_at < 0 || k.killed_at >= k.goal ||
	    res.transport_errors == 0) {
		fprintf(stderr, "    %lld of %lld acknowledged; killed at %lld\n",
			res.records_acked, k.goal, k.killed_at);
		goto out;
	}
	/* Every record once, and the store's order per device is the devices' order. */
	r = 0;
	if (db_count_records(c[0].db, NULL) != k.goal ||
	    db_int(c[0].db, "SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM records) x",
		   NULL) != k.goal) {
		fprintf(stderr, "    %lld records stored, %lld distinct, want %lld\n",
			db_count_records(c[0].db, NULL),
			db_int(c[0].db,
			       "SELECT count(*) FROM (SELECT DISTINCT device_id, seq FROM records) x",
			       NULL),
			k.goal);
		r = -1;
	}
	if (db_int(c[0].db,
		   "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (PARTITION BY device_id"
		   " ORDER BY id) AS prev FROM records) x WHERE prev IS NOT NULL AND seq <> prev + 1",
		   NULL) != 0) {
		fprintf(stderr, "    records stored out of order for some device\n");
		r = -1;
	}
	if (db_int(c[0].db, "SELECT count(*) FROM devices WHERE last_acked_seq = ?1", last) !=
		    DEVICES ||
	    db_int(c[0].db, "SELECT count(*) FROM sequence_gaps", NULL) != 0) {
		fprintf(stderr, "    devices or gaps wrong\n");
		r = -1;
	}
out:
	if (balancer > 0)
		process_stop(balancer, SIGTERM);
	for (size_t i = 0; i < COLLECTORS; i++)
		if (c[i].pid > 0)
			collector_stop(&c[i], SIGTERM);
	fleet_load_devices_free(devices, DEVICES);
	return r;
}

const struct test cluster_tests[] = {
	{ "cluster: 3 collectors behind HAProxy, one SIGKILLed: 60,000 records once, in order",
	  test_cluster_sigkill },
	{},
};
