// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe against what attacks on a laptop do, each with the
 * ordinary cousin that must not be reported (issue 12): a thread with a
 * name of its own is reported as its process; a scan of every port, or of
 * many addresses, is one record and one key with counts, and the kernel's
 * room for them is bounded; listen() is seen when it happens, a bind() that
 * no listen() follows is not a TCP listener; a connected UDP socket counts
 * at its first send, not at connect(); a server's replies (UDP to a peer it
 * received from, TCP on an accepted socket) are not outbound traffic.
 * net_probe.c has the suite.
 */
#include <errno.h>
#include <netinet/in.h>
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
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, count_partial,
			      &(struct partial_count){ .partial = &partial,
						       .exact = &exact,
						       .ports = ports }) == (int)procs,
	      "the sweep should hand on %u keys", procs);
	CHECK(exact == NET_SCAN_ENTRIES && partial == procs - NET_SCAN_ENTRIES,
	      "%u keys counted %u ports exactly and %u partly; expected %u and %u", procs, ports,
	      partial, NET_SCAN_ENTRIES, procs - NET_SCAN_ENTRIES);
	return 0;
}

/* --- listen() as it happens -------------------------------------------------------- */

struct flavor_case {
	enum probe_flavor flavor;
};

/* One listen rule on a:port, of the given protocols and action. */
static void listen_rule_init(struct one_rule *o, const struct harness_addr *a, uint16_t port,
			     enum net_action action, unsigned protocols)
{
	one_rule_init(o, a, port, action, protocols);
	o->rule.direction = POLICY_NET_LISTEN;
}

static int sock_bound(const struct harness_addr *a, uint16_t port, int type, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(a, port, &ss);
	int fd = socket(a->family, type | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket: %m");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		return harness_fail("bind %s:%u: %s", a->text, port, strerror(e));
	}
	*ret_fd = fd;
	return 0;
}

/*
 * A TCP bind() a report rule is about makes no record: only its listen()
 * does, at once, with the program's identity; a socket bound and closed
 * without listen() is never a listener.
 */
static int test_listen_seen(const void *arg)
{
	const struct flavor_case *c = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int fd = -EBADF, only_bound = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;

	TRY(fixture_setup_flavor(&f, false, c->flavor, c->flavor == PROBE_FLAVOR_TRACEPOINT));
	TRY(harness_free_port(&a, &port));
	listen_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(probe_net_follows_tcp(f.p),
	      "a TCP listen rule should attach the TCP state tracepoint");
	/* The ordinary cousin: bound to set a source, never listening. */
	TRY(sock_bound(&a, port, SOCK_STREAM, &only_bound));
	only_bound = safe_close(only_bound);
	TRY(expect_records(&f, 0, "a TCP bind without listen()"));
	TRY(sock_bound(&a, port, SOCK_STREAM, &fd));
	TRY(expect_records(&f, 0, "a TCP bind before its listen()"));
	CHECK(listen(fd, 4) == 0, "listen: %m");
	TRY(expect_records(&f, 1, "listen()"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_LISTEN,
					    .protocol = IPPROTO_TCP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_REPORTED,
					    .addr = &a,
					    .port = port });
}

/* A UDP bind() is the listener: a record at the bind, as before. */
static int test_udp_bind_listens(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	listen_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	TRY(sock_bound(&a, port, SOCK_DGRAM, &fd));
	TRY(expect_records(&f, 1, "a UDP bind"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_LISTEN,
					    .protocol = IPPROTO_UDP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_REPORTED,
					    .addr = &a,
					    .port = port });
}

/*
 * listen() without bind(): the bind hook never runs and the kernel picks
 * the port after the tracepoint; the record says it is not judged, for the
 * agent to look the listener up.
 */
static int test_listen_autobind(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int fd = -EBADF;
	struct policy_net_clause match = {};
	struct probe_net_rule rule = { .direction = POLICY_NET_LISTEN,
				       .protocols = POLICY_NET_TCP,
				       .action = NET_ACTION_REPORT,
				       .match = &match };

	TRY(fixture_setup(&f, false));
	TRY(apply(&f, &rule, 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "socket: %m");
	CHECK(listen(fd, 4) == 0, "listen: %m");
	TRY(expect_records(&f, 1, "listen() without bind()"));
	CHECK(recs.ev[0].net.direction == EVENT_NET_LISTEN &&
		      recs.ev[0].net.rule == EVENT_NET_RULE_UNJUDGED &&
		      recs.ev[0].net.local_port == 0 && recs.ev[0].task.pid == (uint32_t)getpid(),
	      "the record should be an unjudged listen of ours (direction %u, rule %u, port %u, "
	      "pid %u)",
	      recs.ev[0].net.direction, recs.ev[0].net.rule, recs.ev[0].net.local_port,
	      recs.ev[0].task.pid);
	return 0;
}

/* Enforce: a deny rule refuses the TCP bind (EPERM) and says so, listen() or not. */
static int test_listen_deny(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	listen_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	e = try_bind(&a, port);
	CHECK(e == EPERM, "the bind should fail with EPERM, it ended with %s", err_name(e));
	TRY(expect_records(&f, 1, "a refused bind"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_LISTEN,
					    .protocol = IPPROTO_TCP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_DENIED,
					    .addr = &a,
					    .port = port });
}

/* --- UDP connect() is not traffic until the socket sends ----------------------- */

static int udp_connected(const struct harness_addr *a, uint16_t port, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(a, port, &ss);
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), e;

	CHECK(fd >= 0, "socket: %m");
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	*ret_fd = fd;
	return 0;
}

/*
 * A connected UDP socket that sends nothing (what getaddrinfo() does to
 * pick a source address) makes no record and no count; one that sends
 * makes the record at its first send.
 */
static int test_udp_connect(const void *arg)
{
	const struct flavor_case *c = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int silent = -EBADF, talker = -EBADF, sink = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sweep_sum sum = {};
	struct one_rule o;
	uint16_t port;

	TRY(fixture_setup_flavor(&f, false, c->flavor, c->flavor == PROBE_FLAVOR_TRACEPOINT));
	CHECK(probe_net_waits_udp_send(f.p),
	      "this kernel has sock/sock_send_length, yet the probe does not use it");
	TRY(harness_sock_open(&a, SOCK_DGRAM, &sink, &port));
	one_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(udp_connected(&a, port, &silent) == 0, "UDP connect failed");
	TRY(expect_records(&f, 0, "a UDP connect that sends nothing"));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) >= 0 && sum.total == 0,
	      "the sweep counted %llu events of a silent socket", (unsigned long long)sum.total);
	CHECK(udp_connected(&a, port, &talker) == 0, "UDP connect failed");
	TRY(expect_records(&f, 0, "a UDP connect before it sends"));
	CHECK(send(talker, "x", 1, 0) == 1, "send: %m");
	CHECK(send(talker, "y", 1, 0) == 1, "send: %m");
	TRY(expect_records(&f, 1, "a connected UDP socket's sends"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_OUTBOUND,
					    .protocol = IPPROTO_UDP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_REPORTED,
					    .addr = &a,
					    .port = port });
}

/* Enforce: a deny rule refuses the UDP connect itself (EPERM), so nothing is ever sent. */
static int test_udp_connect_denied(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;
	int r;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	r = udp_connected(&a, port, &fd);
	CHECK(r == -EPERM, "the UDP connect should fail with EPERM, it ended with %s",
	      err_name(-r));
	TRY(expect_records(&f, 1, "a refused UDP connect"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_OUTBOUND,
					    .protocol = IPPROTO_UDP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_DENIED,
					    .addr = &a,
					    .port = port });
}

/* --- a server's replies are not outbound ---------------------------------------- */

/*
 * A UDP server answers a client (a DNS server's reply): its datagram back to
 * the peer it received from is not judged by outbound rules.  Another socket
 * that never heard from that peer sending to it is.  The rule names the
 * client's own address and port, as a rule on a destination would.
 */
static int test_udp_reply(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int server = -EBADF, client = -EBADF, other = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sockaddr_storage ss, from;
	socklen_t len, flen = sizeof(from);
	uint16_t sport, cport;
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX];
	char buf[8];

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_DGRAM, &server, &sport));
	TRY(harness_sock_open(&a, SOCK_DGRAM, &client, &cport));
	one_rule_init(&o, &a, cport, NET_ACTION_REPORT, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	/* The client's query goes to the server's port, which no rule names. */
	len = harness_sockaddr_of(&a, sport, &ss);
	CHECK(sendto(client, "q", 1, 0, (struct sockaddr *)&ss, len) == 1, "sendto: %m");
	CHECK(recvfrom(server, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 1,
	      "recvfrom: %m");
	CHECK(sendto(server, "r", 1, 0, (struct sockaddr *)&from, flen) == 1, "reply: %m");
	CHECK(recv(client, buf, sizeof(buf), 0) == 1, "the client got no reply: %m");
	TRY(expect_records(&f, 0, "a server's reply to its client"));
	TRY(stats(&f, st));
	CHECK(st[NET_STAT_REPLIES] == 1, "the kernel counted %llu replies, not 1",
	      (unsigned long long)st[NET_STAT_REPLIES]);
	/* The attack's shape: a socket that heard nothing from the client sends to it. */
	other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(other >= 0, "socket: %m");
	CHECK(sendto(other, "x", 1, 0, (struct sockaddr *)&from, flen) == 1, "sendto: %m");
	TRY(expect_records(&f, 1, "a datagram to the client from a socket it never talked to"));
	return check_record(&f, 0,
			    &(struct want){ .direction = EVENT_NET_OUTBOUND,
					    .protocol = IPPROTO_UDP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_REPORTED,
					    .addr = &a,
					    .port = cport });
}

/* A TCP server writing on the connection it accepted is not connecting out. */
static int test_tcp_accepted(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF, afd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint16_t lport, cport;
	struct one_rule o;
	char buf[8];

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &lport));
	CHECK(try_send(&a, lport, SOCK_STREAM, &cfd) == 0, "connect failed");
	CHECK(getsockname(cfd, (struct sockaddr *)&ss, &len) == 0, "getsockname: %m");
	cport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	/* Every TCP connection to the client's address and port, reported. */
	one_rule_init(&o, &a, cport, NET_ACTION_REPORT, POLICY_NET_TCP | POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(afd >= 0, "accept: %m");
	CHECK(write(afd, "reply", 5) == 5, "write: %m");
	CHECK(send(afd, "more", 4, 0) == 4, "send: %m");
	CHECK(read(cfd, buf, sizeof(buf)) > 0, "the client got nothing: %m");
	return expect_records(&f, 0, "a TCP server's replies on its accepted socket");
}

static const struct harness_test tests[] = {
	HARNESS_TEST("thread_reported_as_its_process", test_thread_named, NULL),
	HARNESS_TEST("port_scan_65535_denied_one_record", test_port_scan_denied, NULL),
	HARNESS_TEST("port_scan_reported_one_record", test_port_scan_reported, NULL),
	HARNESS_TEST("address_sweep_one_record", test_address_sweep, NULL),
	HARNESS_TEST("scan_room_bounded", test_scan_room_bounded, NULL),
	HARNESS_TEST("listen_seen_bind_alone_not/tp_btf", test_listen_seen,
		     (&(const struct flavor_case){ PROBE_FLAVOR_TP_BTF })),
	HARNESS_TEST("listen_seen_bind_alone_not/tracepoint", test_listen_seen,
		     (&(const struct flavor_case){ PROBE_FLAVOR_TRACEPOINT })),
	HARNESS_TEST("udp_bind_is_the_listener", test_udp_bind_listens, NULL),
	HARNESS_TEST("listen_without_bind_unjudged", test_listen_autobind, NULL),
	HARNESS_TEST("listen_deny_refuses_bind", test_listen_deny, NULL),
	HARNESS_TEST("udp_connect_counted_at_first_send/tp_btf", test_udp_connect,
		     (&(const struct flavor_case){ PROBE_FLAVOR_TP_BTF })),
	HARNESS_TEST("udp_connect_counted_at_first_send/tracepoint", test_udp_connect,
		     (&(const struct flavor_case){ PROBE_FLAVOR_TRACEPOINT })),
	HARNESS_TEST("udp_connect_denied_at_connect", test_udp_connect_denied, NULL),
	HARNESS_TEST("udp_server_reply_not_outbound", test_udp_reply, NULL),
	HARNESS_TEST("tcp_accepted_socket_not_outbound", test_tcp_accepted, NULL),
};

HARNESS_TABLE(net_probe_attack_table, tests);
