// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe against what attacks on a laptop do, each with the
 * ordinary cousin that must not be reported (issue 12): a thread with a
 * name of its own is reported as its process; a scan of every port, or of
 * many addresses, is one record and one key with counts, and the kernel's
 * room for them is bounded; net_probe.c has the suite.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_probe.h"

/* --- a thread is reported as its process ------------------------------------------ */

struct thread_call {
	const struct harness_addr *a;
	uint16_t port;
	pid_t tid;
	int err;
};

static void *thread_connect(void *arg)
{
	struct thread_call *t = arg;

	/* What a browser's resolver thread calls itself. */
	(void)prctl(PR_SET_NAME, "DNS Res~ver #1", 0, 0, 0);
	t->tid = gettid();
	t->err = try_send(t->a, t->port, SOCK_STREAM, NULL);
	return NULL;
}

/* A renamed thread's denied connect: the record names the process (comm, pid), and the thread (tid). */
static int test_thread_named(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct thread_call t = { .a = &a };
	char comm[EVENT_COMM_LEN + 1] = "";
	struct one_rule o;
	pthread_t th;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &t.port));
	one_rule_init(&o, &a, t.port, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(prctl(PR_GET_NAME, comm, 0, 0, 0) == 0, "PR_GET_NAME: %m");
	CHECK(pthread_create(&th, NULL, thread_connect, &t) == 0, "pthread_create failed");
	pthread_join(th, NULL);
	CHECK(t.err == EPERM, "the thread's connect ended with %s", err_name(t.err));
	TRY(expect_records(&f, 1, "one denied connect from a thread"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_DENIED,
					 .addr = &a,
					 .port = t.port }));
	CHECK(strcmp(recs.ev[0].task.comm, comm) == 0,
	      "the record names \"%s\", not the process \"%s\"", recs.ev[0].task.comm, comm);
	CHECK(recs.ev[0].task.tid == (uint32_t)t.tid, "the record's tid is %u, not the thread's %d",
	      recs.ev[0].task.tid, (int)t.tid);
	return 0;
}

/* --- scans ------------------------------------------------------------------------ */

/* After a scan: one record, one key of these counts after a sweep (*sum), no record lost. */
static int expect_scan(struct fixture *f, uint64_t attempts, uint32_t ports, uint32_t addrs,
		       struct sweep_sum *sum)
{
	uint64_t st[_NET_STAT_MAX];

	TRY(expect_records(f, 1, "a scan"));
	CHECK(probe_net_sweep(f->p, UINT64_MAX / 2, on_delta, sum) == 1,
	      "the sweep should hand on one key, it handed on %u", sum->calls);
	TRY(stats(f, st));
	harness_note("scan: %llu attempts, %u ports, %u addresses in one key; %llu records sent, "
		     "%llu lost",
		     (unsigned long long)sum->last_attempts, sum->last_ports, sum->last_addrs,
		     (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_LOST]);
	CHECK(sum->total == attempts - 1 && sum->last_attempts == attempts,
	      "the key counts %llu attempts (%llu after the record), expected %llu",
	      (unsigned long long)sum->last_attempts, (unsigned long long)sum->total,
	      (unsigned long long)attempts);
	CHECK(sum->last_ports == ports && sum->last_addrs == addrs && !sum->last_partial,
	      "the key counts %u ports and %u addresses%s, expected %u and %u", sum->last_ports,
	      sum->last_addrs, sum->last_partial ? " (partial)" : "", ports, addrs);
	CHECK(sum->last_n_samples == NET_SAMPLES_MAX, "the key keeps %zu samples, not %d",
	      sum->last_n_samples, NET_SAMPLES_MAX);
	CHECK(st[NET_STAT_SENT] == 1 && st[NET_STAT_LOST] == 0,
	      "the scan sent %llu records and lost %llu; expected 1 and 0",
	      (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_LOST]);
	return 0;
}

/* Every port of an address, denied: one record, one key counting 65,535 ports. */
static int test_port_scan_denied(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct sweep_sum sum = {};
	struct one_rule o;

	TRY(fixture_setup(&f, false));
	one_rule_init(&o, &a, 1, NET_ACTION_DENY, POLICY_NET_TCP);
	o.port = (struct policy_net_port_range){ 1, 65535 };
	TRY(apply(&f, &o.rule, 1));
	for (unsigned port = 1; port <= 65535; port++) {
		int e = try_send(&a, (uint16_t)port, SOCK_STREAM, NULL);

		CHECK(e == EPERM, "connect to port %u ended with %s", port, err_name(e));
	}
	TRY(expect_scan(&f, 65535, 65535, 1, &sum));
	CHECK(sum.count[EVENT_NET_OUTCOME_NONE] == 65534, "denied connects have no outcome");
	for (size_t i = 0; i < NET_SAMPLES_MAX; i++)
		CHECK(sum.last_samples[i].port == i + 1 &&
			      memcmp(sum.last_samples[i].addr, a.bytes, 4) == 0,
		      "sample %zu is port %u, not %zu of %s", i, sum.last_samples[i].port, i + 1,
		      a.text);
	return 0;
}

/* Ports nobody listens on, reported (monitor): one record, the refusals counted in its key. */
static int test_port_scan_reported(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	const unsigned first = 40000, n = 2000;
	struct sweep_sum sum = {};
	struct one_rule o;

	TRY(fixture_setup(&f, false));
	one_rule_init(&o, &a, 1, NET_ACTION_REPORT, POLICY_NET_TCP);
	o.port = (struct policy_net_port_range){ first, first + n - 1 };
	TRY(apply(&f, &o.rule, 1));
	for (unsigned i = 0; i < n; i++) {
		int e = try_send(&a, (uint16_t)(first + i), SOCK_STREAM, NULL);

		/* A port of the range another program listens on on every address is fine too. */
		CHECK(e == ECONNREFUSED || e == 0, "connect to port %u ended with %s", first + i,
		      err_name(e));
	}
	TRY(expect_scan(&f, n, n, 1, &sum));
	CHECK(recs.ev[0].net.outcome == EVENT_NET_OUTCOME_REFUSED ||
		      recs.ev[0].net.outcome == EVENT_NET_OUTCOME_ESTABLISHED,
	      "the record's outcome is %s", event_net_outcome_to_string(recs.ev[0].net.outcome));
	CHECK(sum.count[EVENT_NET_OUTCOME_REFUSED] + sum.count[EVENT_NET_OUTCOME_ESTABLISHED] ==
		      n - 1,
	      "the key counts %llu refused and %llu established, expected %u in all",
	      (unsigned long long)sum.count[EVENT_NET_OUTCOME_REFUSED],
	      (unsigned long long)sum.count[EVENT_NET_OUTCOME_ESTABLISHED], n - 1);
	return 0;
}

/* Datagrams to 1,000 addresses of a /16, denied: one key counting 1,000 addresses exactly. */
static int test_address_sweep(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random(), to;
	struct sweep_sum sum = {};
	struct one_rule o;
	const unsigned n = 1000;
	uint16_t port;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_UDP);
	o.prefix.prefixlen = 16; /* 127.x.0.0/16 */
	o.prefix.addr[1] = (uint8_t)(a.bytes[3] + 100);
	o.prefix.addr[2] = o.prefix.addr[3] = 0;
	TRY(apply(&f, &o.rule, 1));
	for (unsigned i = 0; i < n; i++) {
		char text[32];
		int e;

		snprintf(text, sizeof(text), "127.%u.%u.%u", o.prefix.addr[1], 1 + i / 250,
			 1 + i % 250);
		to = harness_addr_of(text);
		e = try_send(&to, port, SOCK_DGRAM, NULL);
		CHECK(e == EPERM, "sendto %s:%u ended with %s", text, port, err_name(e));
	}
	return expect_scan(&f, n, 1, n, &sum);
}

struct partial_count {
	unsigned *partial, *exact;
	uint32_t ports;
};

static int count_partial(void *userdata, const struct probe_net_delta *d)
{
	const struct partial_count *pc = userdata;

	if (d->scan_partial && d->ports < pc->ports)
		(*pc->partial)++;
	else if (!d->scan_partial && d->ports == pc->ports)
		(*pc->exact)++;
	return 0;
}

/*
 * More scanning programs than the kernel keeps bitmaps for: the first
 * NET_SCAN_ENTRIES count exactly, the others say their counts are partial;
 * every program is still one record.
 */
static int test_scan_room_bounded(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	const unsigned procs = NET_SCAN_ENTRIES + 8, ports = 3;
	unsigned partial = 0, exact = 0;
	struct one_rule o;

	TRY(fixture_setup(&f, false));
	one_rule_init(&o, &a, 1, NET_ACTION_DENY, POLICY_NET_UDP);
	o.port = (struct policy_net_port_range){ 30000, 30000 + ports - 1 };
	TRY(apply(&f, &o.rule, 1));
	for (unsigned i = 0; i < procs; i++) {
		int status;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork: %m");
		if (pid == 0) {
			for (unsigned j = 0; j < ports; j++)
				if (try_send(&a, (uint16_t)(30000 + j), SOCK_DGRAM, NULL) != EPERM)
					_exit(1);
			_exit(0);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0,
		      "process %u's datagrams were not denied", i);
	}
	TRY(expect_records(&f, procs, "one record a scanning program"));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, count_partial, &(struct partial_count){
								    .partial = &partial,
								    .exact = &exact,
								    .ports = ports }) == (int)procs,
	      "the sweep should hand on %u keys", procs);
	CHECK(exact == NET_SCAN_ENTRIES && partial == procs - NET_SCAN_ENTRIES,
	      "%u keys counted %u ports exactly and %u partly; expected %u and %u", procs, ports,
	      partial, NET_SCAN_ENTRIES, procs - NET_SCAN_ENTRIES);
	return 0;
}

static const struct harness_test tests[] = {
	HARNESS_TEST("thread_reported_as_its_process", test_thread_named, NULL),
	HARNESS_TEST("port_scan_65535_denied_one_record", test_port_scan_denied, NULL),
	HARNESS_TEST("port_scan_reported_one_record", test_port_scan_reported, NULL),
	HARNESS_TEST("address_sweep_one_record", test_address_sweep, NULL),
	HARNESS_TEST("scan_room_bounded", test_scan_room_bounded, NULL),
};

HARNESS_TABLE(net_probe_attack_table, tests);
