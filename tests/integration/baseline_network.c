// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The baseline suite (baseline.c): connections, DNS and listeners.  TCP to
 * remote-shell, mining-pool and Tor ports (not to 443, nor UDP to those
 * ports), a scan by a program of no known name passing those ports, DNS
 * around the laptop's resolvers (not to them), a listener on every address
 * (not on loopback), and an SSH SOCKS proxy (not the SSH server).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baseline.h"
#include "harness_child.h"
#include "harness_net.h"

/* --- connections --------------------------------------------------------------------- */

/*
 * outbound-shell-ports, outbound-mining-pool-ports, outbound-tor: TCP to
 * 4444, 3333 and 9050 on loopback (refused by nobody listening, or by the
 * rule); not TCP to 443 or UDP to 4444.
 */
static int test_outbound_ports(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	int r;

	TRY(bl_start(&b, arg));
	TRY(net_call(&b, "tcp", "127.0.0.1", 443, &r));
	CHECK(r == 0 || r == 11, "TCP to port 443 should go ahead; exit %d", r);
	TRY(net_call(&b, "udp", "127.0.0.1", 4444, &r));
	CHECK(r == 0, "UDP to port 4444 should go ahead; exit %d", r);
	TRY(expect_refused(&b, "tcp", "127.0.0.1", 4444));
	TRY(expect_refused(&b, "tcp", "::1", 4444));
	TRY(expect_refused(&b, "tcp", "127.0.0.1", 3333));
	TRY(expect_refused(&b, "tcp", "127.0.0.1", 9050));
	TRY(expect_findings(&b, "outbound-shell-ports", 2));
	TRY(expect_findings(&b, "outbound-mining-pool-ports", 1));
	TRY(expect_findings(&b, "outbound-tor", 1));
	return harness_agent_stop_ok(b.a);
}

/* Runs b's net_client with argv after it; the counts it printed in *ret ("ok N eperm N ..."). */
static int net_counts(struct bl *b, char *const args[], size_t nargs, char **ret)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_close_ int fd = -EBADF;
	char out[PATH_MAX], *argv[16] = { b->net };
	pid_t pid;
	int status;

	CHECK(nargs < ELEMENTSOF(argv) - 1, "too many arguments");
	memcpy(argv + 1, args, nargs * sizeof(*args));
	snprintf(out, sizeof(out), "%s/counts.%u", b->e.dir, b->e.markers++);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "Cannot create %s: %m", out);
	o.stdout_fd = fd;
	TRY(harness_spawn(b->net, argv, &o, &pid));
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	CHECK(WIFEXITED(status), "net_client did not exit: status %d", status);
	return harness_read_text(out, ret);
}

/*
 * A scan by a program the baseline does not know by name (a renamed
 * scanner, run from /run): 2,000 ports from 3000 up, which pass the
 * mining-pool ports 3333 and 3334 and the remote-shell ports 4444 and 4445.
 * Those four are the findings, and in enforce mode the four connections
 * refused with EPERM; the other ports are left to the machine (refused:
 * nobody listens).
 */
static int test_renamed_scanner(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *counts = NULL;
	unsigned ok, eperm, refused, other;

	TRY(bl_start(&b, arg));
	TRY(net_counts(&b, (char *[]){ "--scan", "--count", "2000", "tcp", "127.0.0.1", "3000" }, 6,
		       &counts));
	CHECK(sscanf(counts, "ok %u eperm %u refused %u other %u", &ok, &eperm, &refused, &other) ==
		      4,
	      "net_client printed no counts: %s", counts);
	CHECK(eperm == (b.enforce ? 4U : 0U) && ok + eperm + refused + other == 2000,
	      "the scan should have %u connections refused with EPERM; it has: %s",
	      b.enforce ? 4U : 0U, counts);
	TRY(expect_findings_at_least(&b, "outbound-mining-pool-ports", 1, FINDING_TIMEOUT_MS));
	TRY(expect_findings_at_least(&b, "outbound-shell-ports", 1, FINDING_TIMEOUT_MS));
	return harness_agent_stop_ok(b.a);
}

/* dns-not-system-resolver: DNS to 127.0.0.2; not to 127.0.0.1, which resolv.conf names. */
static int test_dns(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	int r;

	TRY(bl_start(&b, arg));
	TRY(net_call(&b, "udp", "127.0.0.1", 53, &r));
	CHECK(r == 0, "DNS to the laptop's resolver should go ahead; exit %d", r);
	TRY(expect_refused(&b, "udp", "127.0.0.2", 53));
	TRY(expect_refused(&b, "tcp", "127.0.0.2", 853));
	TRY(expect_findings(&b, "dns-not-system-resolver", 2));
	(void)unlink(b.resolv);
	return harness_agent_stop_ok(b.a);
}

/* no-public-listeners: a listener on every address; not one on loopback. */
static int test_listeners(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	int64_t deadline;
	size_t n = 0, loopback = 0;
	int r;

	TRY(bl_start(&b, arg));
	TRY(net_call(&b, "listen", "127.0.0.1", 18764, &r));
	CHECK(r == 0, "listening on loopback should go ahead; exit %d", r);
	TRY(net_call(&b, "listen", "0.0.0.0", 18765, &r));
	CHECK(b.enforce ? r == 10 : r == 0, "listening on every address should %s; exit %d",
	      b.enforce ? "fail with EPERM" : "go ahead", r);
	deadline = harness_now_ms() + FINDING_TIMEOUT_MS;
	do {
		(void)harness_agent_pump(b.a, 50);
		TRY(count_port_findings(&b, "no-public-listeners", 18765, &n));
	} while (n == 0 && harness_now_ms() < deadline);
	TRY(count_port_findings(&b, "no-public-listeners", 18764, &loopback));
	CHECK(n == 1 && loopback == 0,
	      "no-public-listeners should have one finding of port 18765 and none of the loopback "
	      "18764; it has %zu and %zu. postured's stderr: %s",
	      n, loopback, harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

/* --- an SSH SOCKS proxy ------------------------------------------------------------ */

#define SSHD	   "/usr/sbin/sshd"
#define SSH	   "/usr/bin/ssh"
#define SSH_KEYGEN "/usr/bin/ssh-keygen"

/* Whether something accepts TCP connections on 127.0.0.1:port, waiting up to CHILD_TIMEOUT_MS. */
static bool wait_accepting(struct bl *b, uint16_t port)
{
	struct harness_addr lo = harness_addr_of("127.0.0.1");
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(&lo, port, &ss);
	int64_t deadline = harness_now_ms() + CHILD_TIMEOUT_MS;

	do {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up = fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0;

		if (fd >= 0)
			close(fd);
		if (up)
			return true;
		(void)harness_agent_pump(b->a, 50);
	} while (harness_now_ms() < deadline);
	return false;
}

static int keygen(const char *path)
{
	int status;

	TRY(run_wait((char *[]){ SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", (char *)path,
				 NULL },
		     &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ssh-keygen -f %s: status %d", path,
	      status);
	return 0;
}

/*
 * ssh-tunnel-listener: the SSH client as a SOCKS proxy (ssh -D) through an
 * SSH server on this machine, both the packaged programs.  The proxy's
 * port is a finding (the rule reports in either mode: developers use ssh -L
 * for databases, docs/baseline.md).  Its cousin is the server itself,
 * listening on every address: /usr/sbin/sshd is what no-public-listeners
 * allows, so in enforce mode its bind goes ahead, and the connection it
 * takes (its streams a TCP socket) is not stopped as a shell on a socket.
 */
static int test_ssh_proxy(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_child_ pid_t sshd = 0, ssh = 0;
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	/* Ports free on loopback: asking for one on every address would be a public listener. */
	struct harness_addr lo = harness_addr_of("127.0.0.1");
	char host_key[PATH_MAX], user_key[PATH_MAX], keys[PATH_MAX], conf[PATH_MAX];
	char text[4 * PATH_MAX], proxy[32], port_opt[16];
	_cleanup_free_ char *pub = NULL;
	uint16_t server_port, proxy_port;
	size_t proxy_findings = 0, server_findings = 0;

	if (access(SSHD, X_OK) < 0 || access(SSH, X_OK) < 0)
		return harness_fail("%s and %s are needed (tools/install-deps installs "
				    "openssh-server)",
				    SSHD, SSH);
	TRY(bl_start(&b, arg));
	snprintf(host_key, sizeof(host_key), "%s/host_key", b.e.dir);
	snprintf(user_key, sizeof(user_key), "%s/user_key", b.e.dir);
	snprintf(keys, sizeof(keys), "%s/authorized_keys", b.e.dir);
	snprintf(conf, sizeof(conf), "%s/sshd_config", b.e.dir);
	TRY(keygen(host_key));
	TRY(keygen(user_key));
	snprintf(text, sizeof(text), "%s.pub", user_key);
	TRY(harness_read_text(text, &pub));
	TRY(harness_write_file(keys, pub));
	TRY(harness_free_port(&lo, &server_port));
	TRY(harness_free_port(&lo, &proxy_port));
	snprintf(text, sizeof(text),
		 "Port %u\nListenAddress 0.0.0.0\nHostKey %s\nAuthorizedKeysFile %s\n"
		 "PidFile none\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
		 "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
		 "AllowTcpForwarding yes\nLogLevel ERROR\n",
		 server_port, host_key, keys);
	TRY(harness_write_file(conf, text));
	/* sshd's privilege separation directory, which its package's unit makes. */
	CHECK(mkdir("/run/sshd", 0755) == 0 || errno == EEXIST, "mkdir /run/sshd: %m");

	TRY(harness_spawn(SSHD, (char *[]){ SSHD, "-D", "-e", "-f", conf, NULL }, &o, &sshd));
	CHECK(wait_accepting(&b, server_port), "sshd does not accept connections on port %u",
	      server_port);
	snprintf(proxy, sizeof(proxy), "127.0.0.1:%u", proxy_port);
	snprintf(port_opt, sizeof(port_opt), "%u", server_port);
	TRY(harness_spawn(SSH,
			  (char *[]){ SSH,
				      "-N",
				      "-F",
				      "/dev/null",
				      "-D",
				      proxy,
				      "-i",
				      user_key,
				      "-p",
				      port_opt,
				      "-o",
				      "BatchMode=yes",
				      "-o",
				      "StrictHostKeyChecking=no",
				      "-o",
				      "UserKnownHostsFile=/dev/null",
				      "-o",
				      "ExitOnForwardFailure=yes",
				      "root@127.0.0.1",
				      NULL },
			  &o, &ssh));
	CHECK(wait_accepting(&b, proxy_port), "ssh -D %s does not accept connections", proxy);

	int64_t deadline = harness_now_ms() + FINDING_TIMEOUT_MS;
	do {
		(void)harness_agent_pump(b.a, 50);
		TRY(count_port_findings(&b, "ssh-tunnel-listener", proxy_port, &proxy_findings));
	} while (proxy_findings == 0 && harness_now_ms() < deadline);
	TRY(count_port_findings(&b, "no-public-listeners", server_port, &server_findings));
	CHECK(proxy_findings == 1 && server_findings == 0,
	      "ssh-tunnel-listener should have one finding of the proxy's port %u (it has %zu) "
	      "and no-public-listeners none of sshd's port %u (it has %zu). postured's stderr: %s",
	      proxy_port, proxy_findings, server_port, server_findings, harness_agent_stderr(b.a));
	CHECK(stderr_count(b.a, SSHD) == 0, "sshd was reported: %s", harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("outbound_ports_monitor", test_outbound_ports, &baseline_monitor),
	HARNESS_TEST("outbound_ports_enforce", test_outbound_ports, &baseline_enforce),
	HARNESS_TEST("renamed_scanner_monitor", test_renamed_scanner, &baseline_monitor),
	HARNESS_TEST("renamed_scanner_enforce", test_renamed_scanner, &baseline_enforce),
	HARNESS_TEST("dns_monitor", test_dns, &baseline_monitor),
	HARNESS_TEST("dns_enforce", test_dns, &baseline_enforce),
	HARNESS_TEST("listeners_monitor", test_listeners, &baseline_monitor),
	HARNESS_TEST("listeners_enforce", test_listeners, &baseline_enforce),
	HARNESS_TEST("ssh_socks_proxy_monitor", test_ssh_proxy, &baseline_monitor),
	HARNESS_TEST("ssh_socks_proxy_enforce", test_ssh_proxy, &baseline_enforce),
};

HARNESS_TABLE(baseline_network_table, tests);
