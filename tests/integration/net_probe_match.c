// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe: what a rule matches and what it leaves alone (a deny
 * rule in monitor mode, traffic no rule names, a protocol, the
 * any-address, a program by path or name, a user); net_probe.c has the
 * suite.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_probe.h"

/* A deny rule in monitor mode: the connection is made and reported with its outcome. */
static int test_monitor(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF, afd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sockaddr_in self;
	socklen_t len = sizeof(self);
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX];
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	one_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_TCP | POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(probe_net_follows_tcp(f.p),
	      "a reported TCP connect needs the TCP state tracepoint, which is not attached");
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect to %s:%u should succeed in monitor mode, it ended with %s", a.text,
	      port, err_name(e));
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(afd >= 0, "accept: %m");
	TRY(expect_records(&f, 1, "a reported connect"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_REPORTED,
					 .outcome = EVENT_NET_OUTCOME_ESTABLISHED,
					 .addr = &a,
					 .port = port }));
	/* The outcome record knows the local end too. */
	CHECK(getsockname(cfd, (struct sockaddr *)&self, &len) == 0, "getsockname: %m");
	CHECK(recs.ev[0].net.local_port == ntohs(self.sin_port) &&
		      memcmp(recs.ev[0].net.local_addr, &self.sin_addr, 4) == 0,
	      "record local end :%u, the socket's is :%u", recs.ev[0].net.local_port,
	      ntohs(self.sin_port));
	TRY(stats(&f, st));
	CHECK(st[NET_STAT_DENIED] == 0, "monitor mode denied %llu calls",
	      (unsigned long long)st[NET_STAT_DENIED]);
	return 0;
}

/* Traffic no rule matches passes and never leaves the kernel. */
static int test_allowed(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), other = harness_addr_of("::1");
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX];
	uint16_t port, denied;
	int e, ufd;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	TRY(harness_free_port(&a, &denied));
	one_rule_init(&o, &a, denied, NET_ACTION_DENY, POLICY_NET_TCP | POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect to the allowed %s:%u ended with %s", a.text, port, err_name(e));
	/* Same port, other address; datagrams; binds. */
	e = try_send(&other, denied, SOCK_DGRAM, NULL);
	CHECK(e == 0, "sendto [::1]:%u ended with %s", denied, err_name(e));
	e = try_bind(&a, 0);
	CHECK(e == 0, "bind %s:0 ended with %s", a.text, err_name(e));
	ufd = -1;
	e = try_send(&a, (uint16_t)(denied ^ 1), SOCK_DGRAM, &ufd);
	if (ufd >= 0)
		close(ufd);
	CHECK(e == 0, "sendto %s:%u ended with %s", a.text, denied ^ 1, err_name(e));
	TRY(expect_records(&f, 0, "allowed traffic"));
	TRY(stats(&f, st));
	CHECK(st[NET_STAT_SENT] + st[NET_STAT_DENIED] + st[NET_STAT_AGGREGATED] +
			      st[NET_STAT_LOST] ==
		      0,
	      "allowed traffic left traces in the stats: sent %llu denied %llu aggregated %llu",
	      (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_DENIED],
	      (unsigned long long)st[NET_STAT_AGGREGATED]);
	return 0;
}

/* TCP only: a datagram to the same place passes. */
static int test_protocol_scope(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	e = try_send(&a, port, SOCK_STREAM, NULL);
	CHECK(e == ECONNREFUSED,
	      "a TCP connect under a UDP rule should be refused by nobody "
	      "listening, it ended with %s",
	      err_name(e));
	e = try_send(&a, port, SOCK_DGRAM, NULL);
	CHECK(e == EPERM, "sendto under the UDP rule ended with %s", err_name(e));
	TRY(expect_records(&f, 1, "one denied datagram"));
	CHECK(recs.ev[0].net.protocol == IPPROTO_UDP, "the record is not of UDP");
	return 0;
}

/* Binds to the any-address are not excepted by "loopback": that is the point. */
static int test_listen_any(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr any4 = harness_addr_of("0.0.0.0"), any6 = harness_addr_of("::"),
			    lo4 = harness_loopback4_random(), lo6 = harness_addr_of("::1");
	struct policy_net_prefix loop[] = {
		{ .family = AF_INET, .prefixlen = 8, .addr = { 127 } },
		{ .family = AF_INET6, .prefixlen = 128, .addr = { [15] = 1 } }
	};
	struct policy_net_clause match = {}, except = { .n_prefixes = 2, .prefixes = loop };
	const struct policy_net_clause *excepts[] = { &except };
	struct probe_net_rule rule = { .direction = POLICY_NET_LISTEN,
				       .protocols = POLICY_NET_TCP | POLICY_NET_UDP,
				       .action = NET_ACTION_DENY,
				       .match = &match,
				       .n_except = 1,
				       .except = excepts };
	const struct harness_addr *excepted[] = { &lo4, &lo6 }, *any[] = { &any4, &any6 };
	struct sweep_sum sum = {};
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&lo4, &port));
	TRY(apply(&f, &rule, 1));
	for (size_t i = 0; i < ELEMENTSOF(excepted); i++) {
		e = try_bind(excepted[i], port);
		CHECK(e == 0, "bind [%s]:%u is excepted (loopback), it ended with %s",
		      excepted[i]->text, port, err_name(e));
	}
	TRY(expect_records(&f, 0, "excepted binds"));
	for (size_t i = 0; i < ELEMENTSOF(any); i++) {
		e = try_bind(any[i], port);
		CHECK(e == EPERM, "bind [%s]:%u should fail with EPERM, it ended with %s",
		      any[i]->text, port, err_name(e));
	}
	/* One program, one rule: the first is the record, the second counts in its key. */
	TRY(expect_records(&f, 1, "two denied binds"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_LISTEN,
					 .protocol = IPPROTO_TCP,
					 .family = (uint8_t)any[0]->family,
					 .verdict = EVENT_NET_DENIED,
					 .addr = any[0],
					 .port = port }));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) == 1 && sum.total == 1 &&
		      sum.last_addrs == 2 && sum.last_ports == 1 && sum.last_n_samples == 2 &&
		      sum.last_samples[1].family == AF_INET6,
	      "the sweep should count the bind to :: in the key of the bind to 0.0.0.0 "
	      "(%u calls, %llu events, %u addresses, %zu samples)",
	      sum.calls, (unsigned long long)sum.total, sum.last_addrs, sum.last_n_samples);
	return 0;
}

/*
 * Runs net_connect at path `other` as co_other says, which the rule leaves
 * alone (refused by nobody listening: exit 11), and no record; then at
 * `named` as co_named says, which it denies (EPERM: 10), and one record of
 * that denied connect, of uid.  Each what says who runs, for messages.
 */
static int expect_only_named_denied(struct fixture *f, const struct harness_addr *a, uint16_t port,
				    const char *other, const struct harness_child_opts *co_other,
				    const char *what_other, const char *named,
				    const struct harness_child_opts *co_named,
				    const char *what_named, uint32_t uid)
{
	pid_t pid;
	int code;

	code = run_helper(other, "tcp", a, port, co_other, NULL);
	CHECK(code == 11, "%s should be refused by nobody listening (11), it exited %d", what_other,
	      code);
	TRY(expect_records(f, 0, what_other));
	code = run_helper(named, "tcp", a, port, co_named, &pid);
	CHECK(code == 10, "%s should get EPERM (10), it exited %d", what_named, code);
	TRY(expect_records(f, 1, what_named));
	return check_record(f, 0,
			    &(struct want){ .direction = EVENT_NET_OUTBOUND,
					    .protocol = IPPROTO_TCP,
					    .family = AF_INET,
					    .verdict = EVENT_NET_DENIED,
					    .addr = a,
					    .port = port,
					    .pid = pid,
					    .exe = named,
					    .uid = uid });
}

struct exe_case {
	bool by_name; /* scope by file name instead of path */
	bool probe_read; /* the task read with bpf_probe_read_kernel(), not through BTF */
};

/* A rule scoped to one program denies it and leaves another alone. */
static int test_exe_scope(const void *arg)
{
	const struct exe_case *c = arg;
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *one = NULL, *two = NULL;
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	const char *value;
	uint16_t port;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &one));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &two));
	TRY(fixture_setup_flavor(&f, false, PROBE_FLAVOR_AUTO, c->probe_read));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_TCP);
	value = c->by_name ? harness_basename(one) : one;
	if (c->by_name) {
		o.match.n_names = 1;
		o.match.names = &value;
	} else {
		o.match.n_paths = 1;
		o.match.paths = &value;
	}
	TRY(apply(&f, &o.rule, 1));

	TRY(expect_only_named_denied(&f, &a, port, two, &co, "a program the rule does not name",
				     one, &co, "the program the rule names", 0));
	CHECK(strncmp(recs.ev[0].task.comm, harness_basename(one), 15) == 0,
	      "record comm \"%s\" is not the program's", recs.ev[0].task.comm);
	/* And this test program itself is not named either. */
	CHECK(try_send(&a, port, SOCK_STREAM, NULL) == ECONNREFUSED,
	      "the test itself should not be denied");
	return 0;
}

/* A rule scoped to a user by name. */
static int test_user_scope(const void *arg)
{
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT, co_nobody = co;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	struct harness_addr a = harness_loopback4_random();
	struct policy_value nobody = { .text = "nobody" };
	struct one_rule o;
	uint16_t port;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &bin));
	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_TCP);
	o.match.n_users = 1;
	o.match.users = &nobody;
	TRY(apply(&f, &o.rule, 1));
	co_nobody.set_uid = true;
	co_nobody.uid = co_nobody.gid = 65534;
	return expect_only_named_denied(&f, &a, port, bin, &co, "root's connect", bin, &co_nobody,
					"nobody's connect", 65534);
}

#define EXE_CASE(...) (&(const struct exe_case){ __VA_ARGS__ })

static const struct harness_test tests[] = {
	HARNESS_TEST("monitor_connects_and_reports", test_monitor, NULL),
	HARNESS_TEST("allowed_traffic_makes_no_record", test_allowed, NULL),
	HARNESS_TEST("protocol_scope", test_protocol_scope, NULL),
	HARNESS_TEST("listen_any_address_denied_loopback_excepted", test_listen_any, NULL),
	HARNESS_TEST("path_scoped_rule", test_exe_scope, EXE_CASE(.by_name = false)),
	HARNESS_TEST("name_scoped_rule", test_exe_scope, EXE_CASE(.by_name = true)),
	HARNESS_TEST("path_scoped_rule/probe_read", test_exe_scope,
		     EXE_CASE(.by_name = false, .probe_read = true)),
	HARNESS_TEST("name_scoped_rule/probe_read", test_exe_scope,
		     EXE_CASE(.by_name = true, .probe_read = true)),
	HARNESS_TEST("user_scoped_rule", test_user_scope, NULL),
};

HARNESS_TABLE(net_probe_match_table, tests);
