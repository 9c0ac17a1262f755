// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the agent, outbound: for each family and protocol,
 * a denied destination (and, for IPv4, the same v4-mapped), a deny rule in
 * monitor mode, a destination no rule names, and the whole policy in
 * monitor mode; net_enforce.c has the suite.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_enforce.h"

/* --- outbound: enforce, monitor (rule and policy), allowed ------------------------ */

struct outbound_case {
	int family;
	const char *protocol;
};

/*
 * What the outbound tests of one family and protocol share: sockets of ours
 * on a denied port, a port under a deny rule in monitor mode, an allowed
 * port and the marker's; the policy (serial 1, enforce) naming them; and the
 * agent running it.  Only the last test of the group changes the policy.
 */
static struct outbound {
	const struct outbound_case *c;
	struct env e;
	struct harness_agent *a;
	struct harness_addr A;
	bool tcp;
	int ver;
	int fd_deny, fd_mon, fd_allowed, fd_marker;
	uint16_t p_deny, p_mon, p_allowed, p_marker;
	char m_deny[128], m_mon[128], m_marker[128];
	struct rule_spec rules[3];
} ob;

static int outbound_setup(const void *arg)
{
	const struct outbound_case *c = arg;
	int type;

	ob = (struct outbound){ .c = c,
				.fd_deny = -EBADF,
				.fd_mon = -EBADF,
				.fd_allowed = -EBADF,
				.fd_marker = -EBADF };
	ob.A = c->family == AF_INET ? harness_loopback4_random() : harness_addr_of("::1");
	ob.tcp = strcmp(c->protocol, "tcp") == 0;
	ob.ver = c->family == AF_INET ? 4 : 6;
	type = ob.tcp ? SOCK_STREAM : SOCK_DGRAM;
	TRY(env_init(&ob.e));
	/* A listener even where the call is refused: in monitor mode it goes through. */
	TRY(harness_sock_open(&ob.A, type, &ob.fd_deny, &ob.p_deny));
	TRY(harness_sock_open(&ob.A, type, &ob.fd_mon, &ob.p_mon));
	TRY(harness_sock_open(&ob.A, type, &ob.fd_allowed, &ob.p_allowed));
	TRY(harness_sock_open(&ob.A, SOCK_DGRAM, &ob.fd_marker, &ob.p_marker));
	ob.rules[0] = (struct rule_spec){ "net-deny",
					  NULL,
					  "outbound",
					  c->protocol,
					  match_to(ob.m_deny, sizeof(ob.m_deny), &ob.A, ob.p_deny),
					  NULL,
					  "deny" };
	ob.rules[1] = (struct rule_spec){ "net-monitor-rule",
					  "monitor",
					  "outbound",
					  c->protocol,
					  match_to(ob.m_mon, sizeof(ob.m_mon), &ob.A, ob.p_mon),
					  NULL,
					  "deny" };
	ob.rules[2] = marker_rule(&ob.A, ob.p_marker, ob.m_marker, sizeof(ob.m_marker));
	TRY(env_write_policy(&ob.e, "enforce", 1, ob.rules, ELEMENTSOF(ob.rules)));
	return start_agent(&ob.e, true, &ob.a);
}

static int outbound_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&ob.a);

	ob.fd_deny = safe_close(ob.fd_deny);
	ob.fd_mon = safe_close(ob.fd_mon);
	ob.fd_allowed = safe_close(ob.fd_allowed);
	ob.fd_marker = safe_close(ob.fd_marker);
	env_done(&ob.e);
	return r;
}

/*
 * A held client's call of the group's protocol to `to`:port, refused with
 * EPERM or let through, and its finding w; the call's direction,
 * protocol, address (written as IPv4, whatever to was), port, pid and
 * program are filled in.
 */
static int outbound_call(const char *to, uint16_t port, bool denied, const char *what,
			 struct want w)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(client_run(&ob.e, &(struct client_opts){ .hold = true }, ob.c->protocol, to, port,
		       &cl));
	if (denied)
		EXPECT_EPERM(cl, what);
	else
		EXPECT_OK(cl, what);
	w.direction = "outbound";
	w.protocol = ob.c->protocol;
	w.addr = ob.A.text;
	w.port = port;
	w.pid = cl.was;
	w.exe = ob.e.client;
	TRY(expect_net(ob.a, &w));
	return client_finish(&cl);
}

/* Enforce: EPERM for the program, and a finding that says so. */
static int test_outbound_denied(const void *arg)
{
	return outbound_call(ob.A.text, ob.p_deny, true, "the call to the denied destination",
			     (struct want){ .rule = "net-deny",
					    .action = "denied",
					    .mode = "enforce",
					    .ip_version = ob.ver,
					    .serial = 1 });
}

/* The same destination through an IPv6 socket, v4-mapped: judged (and written) as IPv4. */
static int test_outbound_v4mapped(const void *arg)
{
	char mapped[64];

	snprintf(mapped, sizeof(mapped), "::ffff:%s", ob.A.text);
	return outbound_call(mapped, ob.p_deny, true,
			     "the call to the denied destination, v4-mapped",
			     (struct want){ .rule = "net-deny", .action = "denied" });
}

/* A deny rule in monitor mode: the call goes through, and is reported. */
static int test_outbound_monitor_rule(const void *arg)
{
	return outbound_call(ob.A.text, ob.p_mon, false, "the call under a rule in monitor mode",
			     (struct want){ .rule = "net-monitor-rule",
					    .action = "reported",
					    .mode = "monitor",
					    .ip_version = ob.ver,
					    .outcome = ob.tcp ? "established" : NULL });
}

/* A destination no rule names: it goes through, and nothing is said about it. */
static int test_outbound_unnamed(const void *arg)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(client_run(&ob.e, &(struct client_opts){}, ob.c->protocol, ob.A.text, ob.p_allowed,
		       &cl));
	EXPECT_OK(cl, "the call to an allowed destination");
	return expect_quiet(ob.a, &ob.e, &ob.A, ob.p_marker, &cl.was, 1);
}

/* The whole policy in monitor mode (serial 2, by SIGHUP): the deny rule reports, the call goes through. */
static int test_outbound_monitor_policy(const void *arg)
{
	TRY(env_write_policy(&ob.e, "monitor", 2, ob.rules, ELEMENTSOF(ob.rules)));
	TRY(reload_sighup(ob.a, 2));
	return outbound_call(ob.A.text, ob.p_deny, false,
			     "the call to the destination denied in monitor mode",
			     (struct want){ .rule = "net-deny",
					    .action = "reported",
					    .mode = "monitor",
					    .ip_version = ob.ver,
					    .serial = 2,
					    .outcome = ob.tcp ? "established" : NULL });
}

static const struct outbound_case outbound_cases[] = {
	{ AF_INET, "tcp" },
	{ AF_INET, "udp" },
	{ AF_INET6, "tcp" },
	{ AF_INET6, "udp" },
};

static const struct harness_fixture outbound_fixtures[] = {
	{ "outbound_tcp_ipv4", outbound_setup, outbound_teardown, &outbound_cases[0] },
	{ "outbound_udp_ipv4", outbound_setup, outbound_teardown, &outbound_cases[1] },
	{ "outbound_tcp_ipv6", outbound_setup, outbound_teardown, &outbound_cases[2] },
	{ "outbound_udp_ipv6", outbound_setup, outbound_teardown, &outbound_cases[3] },
};

/* The tests of an outbound group after the first: the monitor-mode rule, the unnamed, the policy. */
#define OUTBOUND_REST(name, fx)                                                                   \
	HARNESS_FIXTURE_TEST(name "/monitor_rule_reports_not_denies", test_outbound_monitor_rule, \
			     NULL, fx),                                                           \
		HARNESS_FIXTURE_TEST(name "/unnamed_destination_passes_unreported",               \
				     test_outbound_unnamed, NULL, fx),                            \
		HARNESS_FIXTURE_TEST(name "/monitor_policy_reports_not_denies",                   \
				     test_outbound_monitor_policy, NULL, fx)
#define OUTBOUND_DENIED(name, fx) \
	HARNESS_FIXTURE_TEST(name "/denied_in_enforce", test_outbound_denied, NULL, fx)
/* IPv4's groups try the denied destination v4-mapped too. */
#define OUTBOUND_TESTS_IPV4(name, fx)                                                         \
	OUTBOUND_DENIED(name, fx),                                                            \
		HARNESS_FIXTURE_TEST(name "/v4mapped_denied_as_ipv4", test_outbound_v4mapped, \
				     NULL, fx),                                               \
		OUTBOUND_REST(name, fx)
#define OUTBOUND_TESTS_IPV6(name, fx) OUTBOUND_DENIED(name, fx), OUTBOUND_REST(name, fx)

static const struct harness_test tests[] = {
	OUTBOUND_TESTS_IPV4("outbound_tcp_ipv4", &outbound_fixtures[0]),
	OUTBOUND_TESTS_IPV4("outbound_udp_ipv4", &outbound_fixtures[1]),
	OUTBOUND_TESTS_IPV6("outbound_tcp_ipv6", &outbound_fixtures[2]),
	OUTBOUND_TESTS_IPV6("outbound_udp_ipv6", &outbound_fixtures[3]),
};

HARNESS_TABLE(net_enforce_outbound_table, tests);
