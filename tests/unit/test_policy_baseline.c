// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shipped baseline, policy/baselines/telework.json: it parses without an
 * error, every rule has English and Japanese texts, and every rule matches
 * the program (or, for network rules, the socket) it is about and not a
 * look-alike.  A rule added to the baseline without a case here fails
 * test_every_rule_has_a_case.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fixtures.h"

#define BASELINE "policy/baselines/telework.json"

struct rule_case {
	const char *rule;
	const char *matches[3]; /* executable paths the rule is about */
	const char *unrelated[2]; /* look-alikes it must leave alone */
};

/* Check rules are judged by the checks' tests: here, that each runs its check with its params. */
struct check_case {
	const char *rule;
	const char *check;
	const char *params; /* the names of the parameters it sets, in order: "a,b" */
};

static const struct rule_case cases[] = {
	{ "remote-desktop-x11vnc",
	  { "/usr/bin/x11vnc", "/home/alice/Downloads/x11vnc" },
	  { "/usr/bin/vncviewer", "/usr/bin/x11perf" } },
	{ "remote-desktop-vnc-server",
	  { "/usr/bin/Xtigervnc", "/usr/bin/x0vncserver", "/usr/bin/Xvnc" },
	  { "/usr/bin/xtigervncviewer", "/usr/bin/vncserver" } },
	{ "remote-desktop-teamviewer",
	  { "/opt/teamviewer/tv_bin/teamviewerd", "/opt/teamviewer/tv_bin/TeamViewer" },
	  { "/usr/bin/teams", "/opt/teamviewer/tv_bin/script/teamviewer" } },
	{ "remote-desktop-anydesk", { "/usr/bin/anydesk" }, { "/usr/bin/firefox", "/usr/bin/any" } },
	{ "remote-desktop-rustdesk",
	  { "/usr/bin/rustdesk", "/usr/lib/rustdesk/rustdesk" },
	  { "/usr/bin/rust-analyzer", "/usr/bin/rustc" } },
	{ "remote-desktop-chrome-remote-desktop",
	  { "/opt/google/chrome-remote-desktop/chrome-remote-desktop-host" },
	  { "/opt/google/chrome/chrome", "/opt/google/chrome-remote-desktop/user-session" } },
	{ "remote-desktop-sharing",
	  { "/usr/libexec/gnome-remote-desktop-daemon", "/usr/bin/krfb", "/usr/sbin/xrdp" },
	  { "/usr/bin/gnome-shell", "/usr/bin/krdc" } },
	{ "remote-shell-web-terminal",
	  { "/usr/bin/ttyd", "/home/alice/go/bin/gotty" },
	  { "/usr/bin/tty", "/usr/bin/gnome-terminal" } },
	{ "tunnel-ngrok",
	  { "/usr/local/bin/ngrok", "/home/alice/Downloads/ngrok" },
	  { "/usr/sbin/nginx", "/usr/bin/ngrep" } },
	{ "tunnel-cloudflared",
	  { "/usr/bin/cloudflared", "/usr/local/bin/cloudflared" },
	  { "/usr/bin/curl", "/usr/bin/cloudflare-warp" } },
	{ "tunnel-frp",
	  { "/opt/frp/frpc", "/usr/local/bin/frps" },
	  { "/usr/bin/ftp", "/usr/bin/frpd" } },
	{ "tunnel-chisel",
	  { "/tmp/chisel", "/usr/local/bin/chisel" },
	  { "/usr/bin/chsh", "/usr/bin/chisel-server" } },
	{ "tunnel-bore", { "/home/alice/.cargo/bin/bore" }, { "/usr/bin/borg", "/usr/bin/boring" } },
	{ "anonymizer-tor",
	  { "/usr/bin/tor", "/home/alice/tor-browser/Browser/TorBrowser/Tor/tor" },
	  { "/usr/bin/top", "/usr/bin/torsocks" } },
	{ "require-vpn-client",
	  { "/usr/sbin/openvpn", "/usr/bin/openconnect", "/opt/cisco/secureclient/bin/vpnagentd" },
	  { "/usr/bin/ssh", "/usr/bin/wg" } },
	{ "require-endpoint-protection",
	  { "/opt/CrowdStrike/falcon-sensor", "/opt/microsoft/mdatp/sbin/wdavdaemon" },
	  { "/usr/bin/clamscan", "/usr/sbin/falcon" } },
};

static const struct check_case check_cases[] = {
	{ "disk-encryption", "disk_encryption", "mounts,swap" },
	{ "os-supported-version", "os_version", "min_version,end_of_support,min_kernel" },
	{ "ssh-server-hardened", "ssh_server", "allow_prohibit_password" },
	{ "automatic-updates", "automatic_updates", "max_age_days" },
	{ "secure-boot", "secure_boot", "require_secure_boot,min_lockdown" },
	{ "firewall", "firewall", "" },
	{ "screen-lock", "screen_lock", "max_idle_minutes" },
	{ "time-synchronised", "time_sync", "require_ntp" },
	{ "usb-storage-blocked", "usb_storage", "" },
};

/* Network rules: what the agent sees of a socket; a list ends at addr NULL. */
struct net_conn {
	enum policy_net_direction direction;
	unsigned protocol;
	const char *addr;
	uint16_t port;
	const char *path;
};

struct net_case {
	const char *rule;
	struct net_conn matches[8]; /* what the rule is about */
	struct net_conn unrelated[10]; /* what it must leave alone */
};

#define LISTEN_TCP POLICY_NET_LISTEN, POLICY_NET_TCP

static const struct net_case net_cases[] = {
	{ "no-public-listeners",
	  {
		  { LISTEN_TCP, "0.0.0.0", 8000, "/usr/bin/python3.11" }, /* http.server */
		  { LISTEN_TCP, "::", 3000, "/usr/bin/node" }, /* a dev server, every address */
		  { LISTEN_TCP, "192.168.1.23", 4444, "/usr/bin/nc.openbsd" },
		  { LISTEN_TCP, "::ffff:10.0.0.5", 5900, "/usr/bin/x11vnc" },
		  { LISTEN_TCP, "fe80::1c2b:3aff:fe4d:5e6f", 8080, "/usr/bin/python3.11" },
		  /* Not the packaged sshd, and not port 22 of systemd. */
		  { LISTEN_TCP, "0.0.0.0", 22, "/home/alice/Downloads/sshd" },
		  { LISTEN_TCP, "0.0.0.0", 2222, "/usr/lib/systemd/systemd" },
	  },
	  {
		  { LISTEN_TCP, "127.0.0.1", 631, "/usr/sbin/cupsd" },
		  { LISTEN_TCP, "::1", 631, "/usr/sbin/cupsd" },
		  { LISTEN_TCP, "127.0.0.53", 53, "/usr/lib/systemd/systemd-resolved" },
		  { LISTEN_TCP, "::ffff:127.0.0.1", 9000, "/usr/bin/node" },
		  { LISTEN_TCP, "0.0.0.0", 22, "/usr/sbin/sshd" },
		  { LISTEN_TCP, "::", 22, "/usr/lib/systemd/systemd" }, /* ssh.socket */
		  { POLICY_NET_LISTEN, POLICY_NET_UDP, "0.0.0.0", 5353, "/usr/sbin/avahi-daemon" },
		  /* Port 0: the source address of an outgoing connection, not a listener. */
		  { LISTEN_TCP, "192.168.1.23", 0, "/usr/bin/ssh" },
		  { POLICY_NET_OUTBOUND, POLICY_NET_TCP, "203.0.113.10", 443,
		    "/usr/lib/firefox/firefox" },
		  { POLICY_NET_INBOUND, POLICY_NET_TCP, "192.168.1.50", 8000, NULL },
	  } },
};

/* Loaded by the group's setup. */
static policy *baseline;

static int setup(void **state)
{
	baseline = fixture_policy_load(BASELINE);
	return 0;
}

static int teardown(void **state)
{
	baseline = policy_unref(baseline);
	return 0;
}

static const struct rule_case *case_for(const char *id)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].rule, id) == 0)
			return &cases[i];
	return NULL;
}

static const struct net_case *net_case_for(const char *id)
{
	for (size_t i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++)
		if (strcmp(net_cases[i].rule, id) == 0)
			return &net_cases[i];
	return NULL;
}

static const struct check_case *check_case_for(const char *id)
{
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++)
		if (strcmp(check_cases[i].rule, id) == 0)
			return &check_cases[i];
	return NULL;
}

static void test_shape(void **state)
{
	const policy *p = baseline;

	assert_string_equal(policy_id(p), "telework-baseline");
	assert_int_equal(policy_mode(p), POLICY_MODE_MONITOR);
	assert_false(policy_settings(p)->collect_arguments);
	assert_false(policy_settings(p)->exec_audit);
	/* Everything it matches on is in the kernel's reach at exec: no hashes, users or parents. */
	assert_int_equal(policy_needs(p), 0);
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		assert_int_equal(policy_rule_mode(r), POLICY_MODE_MONITOR);
		if (policy_rule_type(r) == POLICY_RULE_PROCESS)
			assert_true(policy_rule_kernel_decidable(r));
		else if (policy_rule_type(r) == POLICY_RULE_NETWORK)
			/* Reported, never refused: the baseline stops no traffic. */
			assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_REPORT);
		else
			assert_int_equal(policy_rule_type(r), POLICY_RULE_CHECK);
	}
	assert_int_equal(policy_net_rule_count(p), 1);
	/* The endpoint protection rule ships disabled: companies use different products. */
	assert_false(policy_rule_enabled(policy_rule_find(p, "require-endpoint-protection")));
	assert_true(policy_rule_enabled(policy_rule_find(p, "require-vpn-client")));
	assert_int_equal(policy_require_count(p), 1);
}

static void test_texts_in_english_and_japanese(void **state)
{
	const policy *p = baseline;

	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		for (enum policy_text_kind k = POLICY_TEXT_MESSAGE; k <= POLICY_TEXT_REMEDIATION;
		     k++) {
			bool en = false, ja = false;

			for (size_t j = 0; j < policy_rule_text_count(r, k); j++) {
				const struct policy_text_entry *t = policy_rule_text_at(r, k, j);

				en |= strcmp(t->lang, "en") == 0;
				ja |= strcmp(t->lang, "ja") == 0;
			}
			if (!en || !ja)
				fail_msg("rule %s lacks English or Japanese text",
					 policy_rule_id(r));
			assert_string_not_equal(policy_rule_text(r, k, "ja"),
						policy_rule_text(r, k, "en"));
		}
	}
}

static void test_every_rule_has_a_case(void **state)
{
	const policy *p = baseline;

	for (size_t i = 0; i < policy_rule_count(p); i++)
		if (!case_for(policy_rule_id(policy_rule_at(p, i))) &&
		    !check_case_for(policy_rule_id(policy_rule_at(p, i))) &&
		    !net_case_for(policy_rule_id(policy_rule_at(p, i))))
			fail_msg("baseline rule %s has no test case",
				 policy_rule_id(policy_rule_at(p, i)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!policy_rule_find(p, cases[i].rule))
			fail_msg("test case %s names no baseline rule", cases[i].rule);
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++)
		if (!policy_rule_find(p, check_cases[i].rule))
			fail_msg("test case %s names no baseline rule", check_cases[i].rule);
	for (size_t i = 0; i < sizeof(net_cases) / sizeof(net_cases[0]); i++)
		if (!policy_rule_find(p, net_cases[i].rule))
			fail_msg("test case %s names no baseline rule", net_cases[i].rule);
}

/* The rules, deny or require, that proc triggers, as the agent would ask. */
static size_t triggered(const policy *p, const struct policy_process *proc, struct policy_match *m,
			size_t n)
{
	size_t d = policy_eval(p, proc, m, n);

	return d + policy_eval_require(p, proc, m + (d < n ? d : n), n > d ? n - d : 0);
}

/* One test per check rule: state is its case. */
static void test_check_case(void **state)
{
	const struct check_case *cc = *state;
	const policy_rule *r = policy_rule_find(baseline, cc->rule);
	char names[256] = "";

	assert_non_null(r);
	assert_int_equal(policy_rule_type(r), POLICY_RULE_CHECK);
	assert_string_equal(policy_rule_check_name(r), cc->check);
	for (size_t i = 0; i < policy_rule_param_count(r); i++) {
		if (i)
			strcat(names, ",");
		strcat(names, policy_rule_param_at(r, i)->name);
	}
	assert_string_equal(names, cc->params);
	assert_int_equal(policy_rule_key_field(r), _POLICY_FIELD_NONE);
	assert_false(policy_rule_matches(r, &(struct policy_process){ .path = "/usr/bin/x" }));
}

static struct policy_connection connection_of(const struct net_conn *nc)
{
	struct policy_connection c = {
		.direction = nc->direction,
		.protocol = nc->protocol,
		.family = strchr(nc->addr, ':') ? AF_INET6 : AF_INET,
		.port = nc->port,
		.path = nc->path,
		.uid = nc->path ? 1000 : 0,
	};

	assert_int_equal(inet_pton(c.family, nc->addr, c.addr), 1);
	return c;
}

/* One test per network rule: state is its case. */
static void test_net_case(void **state)
{
	const struct net_case *nc = *state;
	const policy_rule *r = policy_rule_find(baseline, nc->rule);

	assert_non_null(r);
	for (size_t i = 0; i < 8 && nc->matches[i].addr; i++) {
		struct policy_connection c = connection_of(&nc->matches[i]);
		struct policy_match m[4];

		if (!policy_rule_net_matches(r, &c))
			fail_msg("%s does not match %s port %u by %s", nc->rule,
				 nc->matches[i].addr, nc->matches[i].port, nc->matches[i].path);
		/* By this rule alone, in the baseline's monitor mode. */
		assert_int_equal(policy_eval_net(baseline, &c, m, 4), 1);
		assert_ptr_equal(m[0].rule, r);
		assert_int_equal(m[0].mode, POLICY_MODE_MONITOR);
	}
	for (size_t i = 0; i < 10 && nc->unrelated[i].addr; i++) {
		struct policy_connection c = connection_of(&nc->unrelated[i]);
		struct policy_match m[4];

		if (policy_rule_net_matches(r, &c))
			fail_msg("%s matches the unrelated %s port %u by %s", nc->rule,
				 nc->unrelated[i].addr, nc->unrelated[i].port,
				 nc->unrelated[i].path ? nc->unrelated[i].path : "the kernel");
		assert_int_equal(policy_eval_net(baseline, &c, m, 4), 0);
	}
}

/* One test per rule: state is its case. */
static void test_rule_case(void **state)
{
	const struct rule_case *rc = *state;
	const policy *p = baseline;
	const policy_rule *r = policy_rule_find(p, rc->rule);

	assert_non_null(r);
	for (size_t i = 0; i < 3 && rc->matches[i]; i++) {
		struct policy_process proc = { .path = rc->matches[i], .uid = 1000, .gid = 1000 };
		struct policy_match m[4];
		size_t n = triggered(p, &proc, m, 4);

		if (!policy_rule_matches(r, &proc))
			fail_msg("%s does not match %s", rc->rule, rc->matches[i]);
		if (policy_rule_enabled(r)) {
			/* Found through the index, and by this rule alone. */
			assert_int_equal(n, 1);
			assert_ptr_equal(m[0].rule, r);
			assert_int_equal(m[0].mode, POLICY_MODE_MONITOR);
		} else {
			/* A disabled rule is never evaluated. */
			assert_int_equal(n, 0);
		}
	}
	for (size_t i = 0; i < 2 && rc->unrelated[i]; i++) {
		struct policy_process proc = { .path = rc->unrelated[i], .uid = 1000, .gid = 1000 };
		struct policy_match m[4];

		if (policy_rule_matches(r, &proc))
			fail_msg("%s matches the unrelated %s", rc->rule, rc->unrelated[i]);
		assert_int_equal(triggered(p, &proc, m, 4), 0);
	}
}

static void test_ordinary_desktop_is_quiet(void **state)
{
	static const char *const everyday[] = {
		"/usr/bin/bash",
		"/usr/lib/firefox/firefox",
		"/usr/bin/ssh",
		"/usr/bin/git",
		"/usr/bin/python3.11",
		"/usr/libexec/gnome-session-binary",
		"/usr/sbin/sshd",
		"/usr/bin/sudo",
		"/usr/lib/systemd/systemd",
	};
	const policy *p = baseline;

	for (size_t i = 0; i < sizeof(everyday) / sizeof(everyday[0]); i++) {
		struct policy_process proc = { .path = everyday[i], .uid = 1000, .gid = 1000 };
		struct policy_match m[4];

		assert_int_equal(triggered(p, &proc, m, 4), 0);
	}
}

#define N_CASES	      (sizeof(cases) / sizeof(cases[0]))
#define N_CHECK_CASES (sizeof(check_cases) / sizeof(check_cases[0]))
#define N_NET_CASES   (sizeof(net_cases) / sizeof(net_cases[0]))

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_texts_in_english_and_japanese),
		cmocka_unit_test(test_every_rule_has_a_case),
		cmocka_unit_test(test_ordinary_desktop_is_quiet),
	};
	struct CMUnitTest
		tests[sizeof(fixed) / sizeof(fixed[0]) + N_CASES + N_CHECK_CASES + N_NET_CASES];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < N_CASES; i++)
		tests[sizeof(fixed) / sizeof(fixed[0]) + i] = (struct CMUnitTest){
			.name = cases[i].rule,
			.test_func = test_rule_case,
			.initial_state = (void *)&cases[i],
		};
	for (size_t i = 0; i < N_CHECK_CASES; i++)
		tests[sizeof(fixed) / sizeof(fixed[0]) + N_CASES + i] = (struct CMUnitTest){
			.name = check_cases[i].rule,
			.test_func = test_check_case,
			.initial_state = (void *)&check_cases[i],
		};
	for (size_t i = 0; i < N_NET_CASES; i++)
		tests[sizeof(fixed) / sizeof(fixed[0]) + N_CASES + N_CHECK_CASES + i] =
			(struct CMUnitTest){
				.name = net_cases[i].rule,
				.test_func = test_net_case,
				.initial_state = (void *)&net_cases[i],
			};
	return _cmocka_run_group_tests("policy_baseline", tests, sizeof(tests) / sizeof(tests[0]),
				       setup, teardown);
}
