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
	struct policy_process matches[3]; /* programs the rule is about; a list ends at path NULL */
	struct policy_process unrelated[3]; /* look-alikes it must leave alone */
};

/* A program by its path alone, run by an ordinary user. */
#define P(p)                                          \
	{                                             \
		.path = (p), .uid = 1000, .gid = 1000 \
	}
/* One in a world-writable place, one in memory. */
#define WW(p)                                                                                     \
	{                                                                                         \
		.path = (p), .uid = 1000, .gid = 1000, .location = POLICY_LOCATION_WORLD_WRITABLE \
	}
#define MEM(p)                                                                            \
	{                                                                                 \
		.path = (p), .uid = 1000, .gid = 1000, .location = POLICY_LOCATION_MEMORY \
	}
/* With a TCP or UDP socket on its standard streams. */
#define NET(p)                                                                       \
	{                                                                            \
		.path = (p), .uid = 1000, .gid = 1000, .stdio = POLICY_STDIO_NETWORK \
	}
/* Reading a pipe that writer writes into. */
#define PIPE(p, w)                                                         \
	{                                                                  \
		.path = (p), .uid = 1000, .gid = 1000, .stdin_writer = (w) \
	}
/* Started by parent. */
#define BY(p, parent)                                                       \
	{                                                                   \
		.path = (p), .uid = 0, .gid = 0, .parent_path = {(parent) } \
	}

/* Check rules are judged by the checks' tests: here, that each runs its check with its params. */
struct check_case {
	const char *rule;
	const char *check;
	const char *params; /* the names of the parameters it sets, in order: "a,b" */
};

static const struct rule_case cases[] = {
	{ "remote-desktop-x11vnc",
	  { P("/usr/bin/x11vnc"), P("/home/alice/Downloads/x11vnc") },
	  { P("/usr/bin/vncviewer"), P("/usr/bin/x11perf") } },
	{ "remote-desktop-vnc-server",
	  { P("/usr/bin/Xtigervnc"), P("/usr/bin/x0vncserver"), P("/usr/bin/Xvnc") },
	  { P("/usr/bin/xtigervncviewer"), P("/usr/bin/vncserver") } },
	{ "remote-desktop-teamviewer",
	  { P("/opt/teamviewer/tv_bin/teamviewerd"), P("/opt/teamviewer/tv_bin/TeamViewer") },
	  { P("/usr/bin/teams"), P("/opt/teamviewer/tv_bin/script/teamviewer") } },
	{ "remote-desktop-anydesk",
	  { P("/usr/bin/anydesk") },
	  { P("/usr/bin/firefox"), P("/usr/bin/any") } },
	{ "remote-desktop-rustdesk",
	  { P("/usr/bin/rustdesk"), P("/usr/lib/rustdesk/rustdesk") },
	  { P("/usr/bin/rust-analyzer"), P("/usr/bin/rustc") } },
	{ "remote-desktop-chrome-remote-desktop",
	  { P("/opt/google/chrome-remote-desktop/chrome-remote-desktop-host") },
	  { P("/opt/google/chrome/chrome"), P("/opt/google/chrome-remote-desktop/user-session") } },
	{ "remote-desktop-sharing",
	  { P("/usr/libexec/gnome-remote-desktop-daemon"), P("/usr/bin/krfb"),
	    P("/usr/sbin/xrdp") },
	  { P("/usr/bin/gnome-shell"), P("/usr/bin/krdc") } },
	{ "remote-shell-web-terminal",
	  { P("/usr/bin/ttyd"), P("/home/alice/go/bin/gotty") },
	  { P("/usr/bin/tty"), P("/usr/bin/gnome-terminal") } },
	{ "tunnel-ngrok",
	  { P("/usr/local/bin/ngrok"), P("/home/alice/Downloads/ngrok") },
	  { P("/usr/sbin/nginx"), P("/usr/bin/ngrep") } },
	{ "tunnel-cloudflared",
	  { P("/usr/bin/cloudflared"), P("/usr/local/bin/cloudflared") },
	  { P("/usr/bin/curl"), P("/usr/bin/cloudflare-warp") } },
	{ "tunnel-frp",
	  { P("/opt/frp/frpc"), P("/usr/local/bin/frps") },
	  { P("/usr/bin/ftp"), P("/usr/bin/frpd") } },
	{ "tunnel-chisel",
	  { P("/tmp/chisel"), P("/usr/local/bin/chisel") },
	  { P("/usr/bin/chsh"), P("/usr/bin/chisel-server") } },
	{ "tunnel-bore",
	  { P("/home/alice/.cargo/bin/bore") },
	  { P("/usr/bin/borg"), P("/usr/bin/boring") } },
	{ "anonymizer-tor",
	  { P("/usr/bin/tor"), P("/home/alice/tor-browser/Browser/TorBrowser/Tor/tor") },
	  { P("/usr/bin/top"), P("/usr/bin/torsocks") } },
	{ "tunnel-relay-tools",
	  { P("/usr/bin/iodine"), P("/usr/local/bin/gost"), P("/home/alice/revsocks") },
	  { P("/usr/bin/ghostscript"), P("/usr/bin/iodbctest") } },
	{ "coin-miner",
	  { P("/opt/xmrig/xmrig"), P("/home/alice/Downloads/t-rex"), P("/usr/bin/cpuminer") },
	  { P("/usr/bin/xmlint"), P("/usr/bin/miner-game") } },
	{ "network-scanners",
	  { P("/usr/bin/nmap"), P("/usr/bin/masscan"), P("/home/alice/go/bin/naabu") },
	  { P("/usr/bin/nm"), P("/usr/bin/nmcli") } },
	{ "exec-from-world-writable",
	  { WW("/tmp/x"), WW("/dev/shm/.a/kdevtmpfsi"), WW("/var/tmp/update") },
	  /* go run, and the same program where it is installed. */
	  { WW("/tmp/go-build2518/b001/exe/main"), P("/usr/bin/x") } },
	{ "exec-from-memory",
	  { MEM("/memfd:payload"), MEM("/home/alice/a.out") },
	  /* runc's sealed copy of itself, started by the container shim. */
	  { { .path = "/memfd:runc_cloned",
	      .uid = 0,
	      .location = POLICY_LOCATION_MEMORY,
	      .parent_path = { "/usr/bin/containerd-shim-runc-v2" } },
	    P("/memfd-tool") } },
	{ "shell-on-network-socket",
	  { NET("/usr/bin/dash"), NET("/usr/bin/id"), NET("/usr/bin/python3.11") },
	  /* sshd in inetd mode; a shell on a terminal. */
	  { NET("/usr/sbin/sshd"), P("/usr/bin/bash") } },
	{ "download-piped-to-shell",
	  { PIPE("/usr/bin/dash", "curl"), PIPE("/usr/bin/bash", "wget"),
	    PIPE("/usr/bin/python3.11", "curl") },
	  /* cat into a shell, curl into a pager. */
	  { PIPE("/usr/bin/dash", "cat"), PIPE("/usr/bin/less", "curl") } },
	{ "firewall-changed-by-hand",
	  { BY("/usr/sbin/nft", "/usr/bin/sudo"), BY("/usr/sbin/xtables-nft-multi", "/usr/bin/su"),
	    BY("/usr/sbin/xtables-legacy-multi", "/usr/bin/sudo") },
	  /* Docker's and NetworkManager's own calls; sudo running something else. */
	  { BY("/usr/sbin/xtables-nft-multi", "/usr/sbin/dockerd"),
	    BY("/usr/sbin/nft", "/usr/sbin/NetworkManager"),
	    BY("/usr/bin/apt", "/usr/bin/sudo") } },
	{ "require-vpn-client",
	  { P("/usr/sbin/openvpn"), P("/usr/bin/openconnect"),
	    P("/opt/cisco/secureclient/bin/vpnagentd") },
	  { P("/usr/bin/ssh"), P("/usr/bin/wg") } },
	{ "require-endpoint-protection",
	  { P("/opt/CrowdStrike/falcon-sensor"), P("/opt/microsoft/mdatp/sbin/wdavdaemon") },
	  { P("/usr/bin/clamscan"), P("/usr/sbin/falcon") } },
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

#define OUT_TCP	   POLICY_NET_OUTBOUND, POLICY_NET_TCP
#define OUT_UDP	   POLICY_NET_OUTBOUND, POLICY_NET_UDP

static const struct net_case net_cases[] = {
	{ "outbound-shell-ports",
	  {
		  { OUT_TCP, "203.0.113.7", 4444, "/usr/bin/nc.openbsd" },
		  { OUT_TCP, "2001:db8::7", 31337, "/usr/bin/python3.11" },
		  { OUT_TCP, "127.0.0.1", 4444, "/usr/bin/bash" },
	  },
	  {
		  { OUT_TCP, "203.0.113.7", 443, "/usr/lib/firefox/firefox" },
		  { OUT_TCP, "203.0.113.7", 22, "/usr/bin/ssh" },
		  { OUT_UDP, "203.0.113.7", 4444, "/usr/bin/python3.11" },
	  } },
	{ "outbound-mining-pool-ports",
	  {
		  { OUT_TCP, "198.51.100.20", 3333, "/tmp/.x/kworker" },
		  { OUT_TCP, "198.51.100.20", 14444, "/opt/xmrig/xmrig" },
	  },
	  {
		  { OUT_TCP, "198.51.100.20", 443, "/usr/lib/firefox/firefox" },
		  { OUT_TCP, "127.0.0.1", 3000, "/usr/bin/node" },
	  } },
	{ "outbound-tor",
	  {
		  { OUT_TCP, "198.51.100.30", 9001, "/home/alice/tor-browser/tor" },
		  { OUT_TCP, "127.0.0.1", 9050, "/usr/bin/curl" },
	  },
	  {
		  { OUT_TCP, "198.51.100.30", 443, "/usr/bin/curl" },
		  { OUT_TCP, "127.0.0.1", 9000, "/usr/bin/php-fpm8.2" },
	  } },
	{ "dns-not-system-resolver",
	  {
		  { OUT_UDP, "8.8.8.8", 53, "/usr/lib/firefox/firefox" },
		  { OUT_TCP, "1.1.1.1", 853, "/usr/bin/kdig" },
		  { OUT_UDP, "203.0.113.53", 53, "/tmp/dnscat" },
	  },
	  {
		  /* The resolvers this laptop uses now (resolvers below). */
		  { OUT_UDP, "127.0.0.53", 53, "/usr/bin/ping" },
		  { OUT_UDP, "192.168.1.1", 53, "/usr/lib/systemd/systemd-resolved" },
		  { OUT_TCP, "2001:db8::53", 53, "/usr/bin/dig" },
		  /* A local forwarder asking upstream. */
		  { OUT_UDP, "9.9.9.9", 53, "/usr/sbin/dnsmasq" },
		  { OUT_UDP, "8.8.8.8", 443, "/usr/bin/chrome" },
	  } },
	{ "ssh-tunnel-listener",
	  {
		  { LISTEN_TCP, "127.0.0.1", 1080, "/usr/bin/ssh" }, /* ssh -D 1080 */
		  { LISTEN_TCP, "::1", 5432, "/usr/bin/ssh" }, /* ssh -L 5432:db:5432 */
	  },
	  {
		  { LISTEN_TCP, "0.0.0.0", 22, "/usr/sbin/sshd" },
		  { OUT_TCP, "203.0.113.7", 22, "/usr/bin/ssh" },
		  { LISTEN_TCP, "192.168.1.23", 0, "/usr/bin/ssh" },
	  } },
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
	/*
	 * What it looks at is decided in the kernel at exec, or (parents, a
	 * pipe's writer) known from execs the kernel passes up: no hashes, user
	 * names or arguments, and no rule makes every exec come to userspace.
	 */
	assert_int_equal(policy_needs(p), POLICY_NEED_PARENT | POLICY_NEED_STDIN_WRITER |
						  POLICY_NEED_LOCATION | POLICY_NEED_STDIO);
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		assert_int_equal(policy_rule_mode(r), POLICY_MODE_MONITOR);
		if (policy_rule_type(r) == POLICY_RULE_PROCESS && policy_rule_enabled(r))
			/* Every process rule has a key the kernel filter holds. */
			assert_int_not_equal(policy_rule_key_field(r), _POLICY_FIELD_NONE);
		else if (policy_rule_type(r) != POLICY_RULE_PROCESS)
			assert_true(policy_rule_type(r) == POLICY_RULE_NETWORK ||
				    policy_rule_type(r) == POLICY_RULE_CHECK);
	}
	assert_int_equal(policy_net_rule_count(p), 6);
	assert_true(policy_net_uses_resolvers(p));
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

/* The resolvers this test's laptop uses: systemd-resolved's stub and its upstreams. */
static const struct policy_net_resolvers resolvers = {
	.n = 3,
	.addrs = {
		{ .family = AF_INET, .prefixlen = 32, .addr = { 127, 0, 0, 53 } },
		{ .family = AF_INET, .prefixlen = 32, .addr = { 192, 168, 1, 1 } },
		{ .family = AF_INET6, .prefixlen = 128,
		  .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 } },
	},
};

static struct policy_connection connection_of(const struct net_conn *nc)
{
	struct policy_connection c = {
		.resolvers = &resolvers,
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
	for (size_t i = 0; i < 3 && rc->matches[i].path; i++) {
		const struct policy_process *proc = &rc->matches[i];
		struct policy_match m[4];
		size_t n = triggered(p, proc, m, 4);

		if (!policy_rule_matches(r, proc))
			fail_msg("%s does not match %s", rc->rule, proc->path);
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
	for (size_t i = 0; i < 3 && rc->unrelated[i].path; i++) {
		const struct policy_process *proc = &rc->unrelated[i];
		struct policy_match m[4];

		if (policy_rule_matches(r, proc))
			fail_msg("%s matches the unrelated %s", rc->rule, proc->path);
		assert_int_equal(triggered(p, proc, m, 4), 0);
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
	/* And as they really run: from a pipe, on a terminal, through sudo. */
	static const struct policy_process everyday_facts[] = {
		PIPE("/usr/bin/dash", "cat"),
		PIPE("/usr/bin/grep", "curl"),
		BY("/usr/bin/apt", "/usr/bin/sudo"),
		BY("/usr/sbin/nft", "/usr/sbin/NetworkManager"),
		WW("/tmp/go-build99/b001/exe/hello"),
		NET("/usr/sbin/sshd"),
	};
	const policy *p = baseline;

	for (size_t i = 0; i < sizeof(everyday) / sizeof(everyday[0]); i++) {
		struct policy_process proc = { .path = everyday[i], .uid = 1000, .gid = 1000 };
		struct policy_match m[4];

		assert_int_equal(triggered(p, &proc, m, 4), 0);
	}
	for (size_t i = 0; i < sizeof(everyday_facts) / sizeof(everyday_facts[0]); i++) {
		struct policy_match m[4];

		if (triggered(p, &everyday_facts[i], m, 4) != 0)
			fail_msg("the baseline reports the everyday %s", everyday_facts[i].path);
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
