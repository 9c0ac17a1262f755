// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The baseline suite (baseline.c): programs the baseline knows by name
 * (remote control, tunnels and relays, Tor, miners, scanners; not their
 * namesakes xmllint, nmcli, ngrep), the firewall changed through sudo (not
 * nft run by a service), and the VPN client stopping.
 *
 * The firewall is changed in a network namespace of the test's own, so the
 * machine's ruleset is never touched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline.h"
#include "harness_child.h"

/* --- programs by name ---------------------------------------------------------------- */

struct named {
	const char *name;
	const char *rule;
};

/* One program of each rule that names programs, the names as their packages install them. */
static const struct named named_tools[] = {
	{ "x11vnc", "remote-desktop-x11vnc" },
	{ "Xtigervnc", "remote-desktop-vnc-server" },
	{ "teamviewerd", "remote-desktop-teamviewer" },
	{ "anydesk", "remote-desktop-anydesk" },
	{ "rustdesk", "remote-desktop-rustdesk" },
	{ "chrome-remote-desktop-host", "remote-desktop-chrome-remote-desktop" },
	{ "krfb", "remote-desktop-sharing" },
	{ "ttyd", "remote-shell-web-terminal" },
	{ "ngrok", "tunnel-ngrok" },
	{ "cloudflared", "tunnel-cloudflared" },
	{ "frpc", "tunnel-frp" },
	{ "chisel", "tunnel-chisel" },
	{ "bore", "tunnel-bore" },
	{ "tor", "anonymizer-tor" },
	{ "gost", "tunnel-relay-tools" },
	{ "xmrig", "coin-miner" },
	{ "nmap", "network-scanners" },
};

static const char *const namesakes[] = { "xmllint", "nmcli", "ngrep" };

/*
 * Copies of sleep under each name, in /run (so that the place does not
 * count): each is one finding of its rule, and in enforce mode stopped by
 * the kernel before its first instruction (the rules name programs
 * exactly).  The namesakes run, unreported.
 */
static int test_named_tools(const void *arg)
{
	_cleanup_bl_ struct bl b = {};

	TRY(bl_start(&b, arg));
	for (size_t i = 0; i < ELEMENTSOF(namesakes); i++) {
		_cleanup_free_ char *path = NULL;

		TRY(copy_as(b.priv, "/bin/sleep", namesakes[i], &path));
		TRY(expect_runs((char *[]){ path, "0.1", NULL }, namesakes[i]));
	}
	for (size_t i = 0; i < ELEMENTSOF(named_tools); i++) {
		_cleanup_free_ char *path = NULL;
		int status;

		TRY(copy_as(b.priv, "/bin/sleep", named_tools[i].name, &path));
		TRY(run_wait((char *[]){ path, "0.1", NULL }, &status));
		CHECK(b.enforce ? was_killed(status) :
				  WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s should %s; status %d", named_tools[i].name,
		      b.enforce ? "be killed" : "run", status);
	}
	for (size_t i = 0; i < ELEMENTSOF(named_tools); i++)
		TRY(expect_findings(&b, named_tools[i].rule, 1));
	for (size_t i = 0; i < ELEMENTSOF(namesakes); i++)
		CHECK(stderr_count(b.a, namesakes[i]) == 0, "%s was reported: %s", namesakes[i],
		      harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

/* --- the firewall -------------------------------------------------------------------- */

#define NFT  "/usr/sbin/nft"
#define SUDO "/usr/bin/sudo"

/*
 * Runs script with sh in a network namespace of its own (unshare -n), the
 * ruleset it lists at the end in *ret (the caller's).
 */
static int in_netns(struct bl *b, const char *script, char **ret)
{
	char out[PATH_MAX], cmd[2 * PATH_MAX];
	int status;

	snprintf(out, sizeof(out), "%s/ruleset.%u", b->e.dir, b->e.markers++);
	snprintf(cmd, sizeof(cmd), "%s; " NFT " list tables > '%s'", script, out);
	TRY(run_wait((char *[]){ "/usr/bin/unshare", "-n", "/bin/sh", "-c", cmd, NULL }, &status));
	CHECK(WIFEXITED(status), "unshare -n sh -c '%s': status %d", cmd, status);
	return harness_read_text(out, ret);
}

/*
 * firewall-changed-by-hand: nft run through sudo, adding a table; nft reads
 * its commands from a pipe that brings them after a second, so in enforce
 * mode userspace (the rule is about the parent, which the kernel filter does
 * not know) stops it before it changes anything.  Not nft run directly by
 * root, as NetworkManager, Docker or a package's script would.
 */
static int test_firewall(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *plain = NULL, *by_hand = NULL;

	if (access(SUDO, X_OK) < 0 || access(NFT, X_OK) < 0)
		return harness_fail("%s and %s are needed (tools/install-deps installs sudo and "
				    "nftables)",
				    SUDO, NFT);
	TRY(bl_start(&b, arg));
	TRY(in_netns(&b, NFT " add table inet postured_service", &plain));
	CHECK(strstr(plain, "table inet postured_service"),
	      "nft run directly should have added its table; the tables: %s", plain);
	TRY(in_netns(&b,
		     "(sleep 1; echo 'add table inet postured_by_hand') | " SUDO " " NFT " -f -",
		     &by_hand));
	if (b.enforce)
		CHECK(!strstr(by_hand, "postured_by_hand"),
		      "nft through sudo should be stopped before it adds its table; the tables: %s",
		      by_hand);
	else
		CHECK(strstr(by_hand, "table inet postured_by_hand"),
		      "nft through sudo should add its table in monitor mode; the tables: %s",
		      by_hand);
	TRY(expect_findings(&b, "firewall-changed-by-hand", 1));
	CHECK(stderr_count(b.a, NFT) >= 1, "the finding should name %s: %s", NFT,
	      harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

/* --- the VPN client ------------------------------------------------------------------ */

/*
 * require-vpn-client, its grace cut to REQUIRE_GRACE_SECONDS: an openvpn
 * started as the policy comes into force is no finding for twice the grace;
 * stopped, it is one within the grace and the timer's slack.
 */
static int test_vpn_stopped(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_child_ pid_t vpn = 0;
	_cleanup_free_ char *openvpn = NULL;
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	int64_t until;
	size_t n = 0;
	int status;

	TRY(bl_start(&b, arg));
	TRY(copy_as(b.priv, "/bin/sleep", "openvpn", &openvpn));
	TRY(harness_spawn(openvpn, (char *[]){ openvpn, "60", NULL }, &o, &vpn));
	until = harness_now_ms() + 2 * REQUIRE_GRACE_SECONDS * 1000;
	while (harness_now_ms() < until)
		(void)harness_agent_pump(b.a, 100);
	TRY(count_findings(&b, "require-vpn-client", &n));
	CHECK(n == 0, "require-vpn-client should be met while openvpn runs; %zu findings: %s", n,
	      harness_agent_stderr(b.a));
	CHECK(kill(vpn, SIGTERM) == 0, "kill openvpn: %m");
	TRY(harness_wait_child(vpn, CHILD_TIMEOUT_MS, &status));
	vpn = 0;
	TRY(expect_findings_at_least(&b, "require-vpn-client", 1,
				     REQUIRE_GRACE_SECONDS * 1000 + FINDING_TIMEOUT_MS));
	return harness_agent_stop_ok(b.a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("named_tools_monitor", test_named_tools, &baseline_monitor),
	HARNESS_TEST("named_tools_enforce", test_named_tools, &baseline_enforce),
	HARNESS_TEST("firewall_by_hand_monitor", test_firewall, &baseline_monitor),
	HARNESS_TEST("firewall_by_hand_enforce", test_firewall, &baseline_enforce),
	HARNESS_TEST("vpn_client_stopped", test_vpn_stopped, &baseline_short_grace),
};

HARNESS_TABLE(baseline_tools_table, tests);
