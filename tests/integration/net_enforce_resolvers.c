// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules on "system_resolvers" through the agent: with the
 * configuration's resolv_conf naming 127.0.0.1, a DNS datagram to
 * 127.0.0.1:53 is left out of "DNS to anything but the system's resolvers"
 * and one to 127.0.0.2:53 is reported; then resolv.conf changes the ways
 * it does on a laptop (its target rewritten, the link replaced, the
 * nameservers gone) and the decision follows without a restart, and
 * `posturectl status` says which resolvers are in force.  The system bus
 * is pointed at nothing, so only resolv.conf counts; tests/checks_bus has
 * systemd-resolved's side.  net_enforce.c has the suite.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_enforce.h"

#define DNS_RULE "dns-elsewhere"

/* The configuration of env e with resolv_conf at link. */
static int write_config(const struct env *e, const char *link)
{
	char text[3 * PATH_MAX];

	snprintf(text, sizeof(text),
		 "{ \"policy_file\": \"%s/policy.json\", \"resolv_conf\": \"%s\" }\n", e->dir,
		 link);
	return harness_replace_file(e->config, text);
}

/* A DNS datagram to addr:53, and whether the rule reported it (else the marker came first). */
static int expect_dns(struct harness_agent *a, const struct env *e, const char *addr, bool reported,
		      const struct harness_addr *M, uint16_t mport)
{
	_cleanup_client_ struct client c = CLIENT_INIT;
	char what[96];

	snprintf(what, sizeof(what), "the DNS datagram to %s:53", addr);
	TRY(client_run(e, &(struct client_opts){}, "udp", addr, 53, &c));
	EXPECT_OK(c, what);
	if (!reported)
		return expect_quiet(a, e, M, mport, &c.was, 1);
	return expect_net(a, &(const struct want){ .rule = DNS_RULE,
						   .action = "reported",
						   .direction = "outbound",
						   .protocol = "udp",
						   .addr = addr,
						   .ip_version = 4,
						   .port = 53,
						   .pid = c.was });
}

/* The resolvers `posturectl status --json` says are in force: want, space-separated. */
static int expect_status_resolvers(struct harness_agent *a, const char *want, bool known)
{
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	yajl_val r, addrs, rules;
	char got[256] = "";
	size_t off = 0;

	TRY(status_json(a, &st));
	r = harness_json(st, "agent", "network", "resolvers");
	CHECK(r, "posturectl status --json has no agent.network.resolvers");
	addrs = harness_json(r, "addresses");
	CHECK(addrs && YAJL_IS_ARRAY(addrs), "agent.network.resolvers.addresses is not a list");
	for (size_t i = 0; i < addrs->u.array.len; i++) {
		const char *s = harness_json_str(addrs->u.array.values[i]);

		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i ? " " : "",
					s ? s : "?");
	}
	CHECK(strcmp(got, want) == 0, "status says the resolvers are \"%s\", not \"%s\"", got,
	      want);
	CHECK(YAJL_IS_TRUE(harness_json(r, "known")) == known, "status says known is %s",
	      known ? "false" : "true");
	rules = harness_json(r, "rules");
	CHECK(rules && YAJL_IS_ARRAY(rules) && rules->u.array.len == 1 &&
		      strcmp(harness_json_str(rules->u.array.values[0]) ?: "", DNS_RULE) == 0,
	      "status does not name %s as the rule on the resolvers", DNS_RULE);
	return 0;
}

static int test_follow_resolv_conf(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(harness_tmpdir_freep) char *rdir = NULL, *tdir = NULL;
	_cleanup_close_ int fd_marker = -EBADF;
	struct harness_addr M = harness_loopback4_random();
	char link[PATH_MAX], target[PATH_MAX], other[PATH_MAX], tmp_link[PATH_MAX];
	char m_marker[128];
	uint16_t p_marker;

	/* The agent follows the system bus nowhere: only resolv.conf names resolvers. */
	CHECK(setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/postured-test-bus", 1) == 0,
	      "setenv: %m");
	TRY(env_init(&e));
	TRY(harness_tmpdir_new(&rdir));
	TRY(harness_tmpdir_new(&tdir));
	/* As on a laptop: /etc/resolv.conf a link into a directory of the network manager's. */
	snprintf(link, sizeof(link), "%s/resolv.conf", rdir);
	snprintf(target, sizeof(target), "%s/stub-resolv.conf", tdir);
	snprintf(other, sizeof(other), "%s/vpn-resolv.conf", tdir);
	snprintf(tmp_link, sizeof(tmp_link), "%s/.resolv.conf.new", rdir);
	TRY(harness_write_file(target, "# the router\nnameserver 127.0.0.1\noptions edns0\n"));
	CHECK(symlink(target, link) == 0, "symlink %s: %m", link);
	TRY(write_config(&e, link));
	TRY(harness_sock_open(&M, SOCK_DGRAM, &fd_marker, &p_marker));
	const struct rule_spec rules[] = {
		{ DNS_RULE, NULL, "outbound", "udp", "\"address\": \"loopback\", \"port\": 53",
		  "{ \"address\": \"system_resolvers\" }", "report" },
		marker_rule(&M, p_marker, m_marker, sizeof(m_marker)),
	};
	TRY(env_write_policy(&e, "monitor", 1, rules, ELEMENTSOF(rules)));
	TRY(start_agent(&e, true, &a));

	TRY(expect_status_resolvers(a, "127.0.0.1", true));
	TRY(expect_dns(a, &e, "127.0.0.1", false, &M, p_marker));
	TRY(expect_dns(a, &e, "127.0.0.2", true, &M, p_marker));

	/* The link's target rewritten (a new file renamed over it, in its own directory). */
	TRY(harness_replace_file(target, "# the hotel\nnameserver 127.0.0.2\n"));
	CHECK(harness_agent_wait_stderr(a, "The system's resolvers are now 127.0.0.2;",
					FINDING_TIMEOUT_MS) == 1,
	      "postured did not follow the rewritten %s. Its stderr: %s", target,
	      harness_agent_stderr(a));
	TRY(expect_status_resolvers(a, "127.0.0.2", true));
	TRY(expect_dns(a, &e, "127.0.0.2", false, &M, p_marker));
	TRY(expect_dns(a, &e, "127.0.0.1", true, &M, p_marker));

	/* The link itself replaced atomically, pointing elsewhere (the VPN's file). */
	TRY(harness_write_file(other, "nameserver 127.0.0.3\nnameserver fe80::1%lo\n"));
	CHECK(symlink(other, tmp_link) == 0 && rename(tmp_link, link) == 0,
	      "Cannot replace the link %s: %m", link);
	CHECK(harness_agent_wait_stderr(a, "The system's resolvers are now 127.0.0.3, fe80::1;",
					FINDING_TIMEOUT_MS) == 1,
	      "postured did not follow the replaced link %s. Its stderr: %s", link,
	      harness_agent_stderr(a));
	TRY(expect_status_resolvers(a, "127.0.0.3 fe80::1", true));
	TRY(expect_dns(a, &e, "127.0.0.3", false, &M, p_marker));
	TRY(expect_dns(a, &e, "127.0.0.2", true, &M, p_marker));

	/* No nameserver at all: none known, so the except leaves nothing out. */
	TRY(harness_replace_file(other, "# offline\n"));
	CHECK(harness_agent_wait_stderr(a, "No system resolver is known now", FINDING_TIMEOUT_MS) ==
		      1,
	      "postured did not say that no resolver is known. Its stderr: %s",
	      harness_agent_stderr(a));
	TRY(expect_status_resolvers(a, "", false));
	TRY(expect_dns(a, &e, "127.0.0.3", true, &M, p_marker));
	unlink(link);
	return harness_agent_stop_ok(a);
}

/* Whether text has line, and says so when not. */
static int expect_line(const char *text, const char *line, const char *who)
{
	CHECK(strstr(text, line), "posturectl status as %s does not say \"%s\"; it printed: %s",
	      who, line, text);
	return 0;
}

/*
 * What the employee reads in `posturectl status`: one line for each thing
 * found, here two listeners and one outbound connection of their own
 * programs, under the rule each is about; another user reads none of them.
 */
static int test_found_lines(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_client_ struct client l1 = CLIENT_INIT, l2 = CLIENT_INIT;
	_cleanup_close_ int fd_dst = -EBADF;
	_cleanup_free_ char *out = NULL, *other = NULL;
	struct harness_addr A = harness_loopback4_random(), L = harness_loopback4_random();
	char m_listen[128], m_out[128], line[2 * PATH_MAX];
	uint16_t p1, p2, p3;
	int status;

	TRY(env_init(&e));
	TRY(harness_free_port(&L, &p1));
	do
		TRY(harness_free_port(&L, &p2));
	while (p2 == p1);
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_dst, &p3));
	snprintf(m_listen, sizeof(m_listen), "\"port\": [%u, %u]", p1, p2);
	const struct rule_spec rules[] = {
		{ "listeners-here", NULL, "listen", "tcp", m_listen, NULL, "report" },
		{ "connections-there", NULL, "outbound", "tcp",
		  match_to(m_out, sizeof(m_out), &A, p3), NULL, "report" },
	};
	TRY(env_write_policy(&e, "monitor", 1, rules, ELEMENTSOF(rules)));
	TRY(start_agent(&e, true, &a));

	/* Two listeners and a connection, all the employee's (nobody here). */
	TRY(client_run(&e, &(struct client_opts){ .hold = true, .uid = NOBODY }, "listen", L.text,
		       p1, &l1));
	EXPECT_OK(l1, "the first listener");
	TRY(expect_net(a, &(const struct want){ .rule = "listeners-here",
						.action = "reported",
						.direction = "listen",
						.protocol = "tcp",
						.addr = L.text,
						.port = p1,
						.pid = l1.was }));
	TRY(client_run(&e, &(struct client_opts){ .hold = true, .uid = NOBODY }, "listen", L.text,
		       p2, &l2));
	EXPECT_OK(l2, "the second listener");
	TRY(expect_net(a, &(const struct want){ .rule = "listeners-here",
						.action = "reported",
						.direction = "listen",
						.protocol = "tcp",
						.addr = L.text,
						.port = p2,
						.pid = l2.was }));
	{
		_cleanup_client_ struct client c = CLIENT_INIT;

		/* Held open: a one-shot client may be gone before the agent reads its /proc/PID/exe. */
		TRY(client_run(&e, &(struct client_opts){ .hold = true, .uid = NOBODY }, "tcp",
			       A.text, p3, &c));
		EXPECT_OK(c, "the connection");
		TRY(expect_net(a, &(const struct want){ .rule = "connections-there",
							.action = "reported",
							.direction = "outbound",
							.protocol = "tcp",
							.addr = A.text,
							.port = p3,
							.pid = c.was,
							.outcome = "established" }));
		/* The listen rule fails while they are open (the agent looks shortly after a bind). */
		TRY(wait_rule_state(a, "listeners-here", "failing", 4 * FINDING_TIMEOUT_MS));
		TRY(harness_ctl_run(a, NOBODY,
				    (const char *const[]){ "status", "--socket", a->status_path,
							   NULL },
				    &out, &status));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "posturectl status should say the laptop does not meet the policy; it "
		      "printed: %s",
		      out);
		snprintf(line, sizeof(line),
			 "   - %s (process %d) listened on TCP port %u, on %s.\n", e.client,
			 (int)l1.was, p1, L.text);
		TRY(expect_line(out, line, "the employee"));
		snprintf(line, sizeof(line),
			 "   - %s (process %d) listened on TCP port %u, on %s.\n", e.client,
			 (int)l2.was, p2, L.text);
		TRY(expect_line(out, line, "the employee"));
		/* A report rule on connections is met: what it found is seen after the failing ones. */
		snprintf(line, sizeof(line),
			 "\n- Network test rule connections-there: %s (process %d) connected to %s "
			 "port %u (TCP).\n",
			 e.client, (int)c.was, A.text, p3);
		TRY(expect_line(out, line, "the employee"));
		CHECK(strstr(out, "Also seen recently") > strstr(out, "listened on TCP port"),
		      "the listeners are not under their failing rule: %s", out);
	}
	/* Another user sees the rules fail, and none of the employee's programs. */
	TRY(harness_ctl_run(a, NOBODY - 1,
			    (const char *const[]){ "status", "--socket", a->status_path, NULL },
			    &other, &status));
	CHECK(!strstr(other, e.client), "another user sees the employee's programs: %s", other);
	CHECK(strstr(other, "Nothing recent"), "another user should see no findings: %s", other);
	TRY(client_finish(&l1));
	TRY(client_finish(&l2));
	return harness_agent_stop_ok(a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("resolvers_follow_resolv_conf", test_follow_resolv_conf, NULL),
	HARNESS_TEST("status_names_each_listener_and_connection", test_found_lines, NULL),
};

HARNESS_TABLE(net_enforce_resolvers_table, tests);
