// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The built-in telework baseline (policy/baselines/telework.json) against
 * the behaviours it is for, through the daemon in the real kernel, on
 * loopback: each behaviour is run once with the baseline as shipped
 * (monitor mode: a finding of the right rule) and once with it switched to
 * enforce mode (the program stopped, the connection refused), beside the
 * ordinary cousins that must not be reported: the same program where
 * software is installed, `go run`'s build directory, a service's unix
 * socket, cat into a shell, a connection to port 443, DNS to the laptop's
 * own resolver, a listener on loopback.  Findings are counted as the status
 * socket keeps them, beside what the machine itself runs (its own
 * listeners and memfd programs are found when the policy comes into force).
 *
 * Enforce mode is the whole baseline in enforce but exec-from-memory, which
 * stays in monitor mode here: the build machines run tooling of their own
 * from a memfd, which enforce mode would stop when the policy comes into
 * force.  process_rules' memfd tests show that rule's kind stopped, scoped
 * to a user of the test's.
 *
 * Not here: firewall-changed-by-hand (these machines have neither sudo nor
 * nft; test_policy_baseline has its cases) and the device checks (their own
 * suites).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rules_env.h"

#define SCRIPT_SLEEP "3"

struct baseline_case {
	bool enforce;
};

struct bl {
	struct env e;
	bool enforce;
	char *priv; /* a directory in /run: only root may write there */
	char *net; /* a copy of net_client there */
	char resolv[PATH_MAX];
	struct harness_agent *a;
};

static void bl_done(struct bl *b)
{
	harness_agent_free(b->a);
	if (b->priv)
		harness_tmpdir_remove(b->priv);
	free(b->priv);
	free(b->net);
	env_done(&b->e);
}

#define _cleanup_bl_ _cleanup_(bl_done)

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool was_killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* The baseline as shipped, or in enforce mode but for exec-from-memory. */
static int write_baseline(struct bl *b)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	const char *mode = "\"mode\": \"monitor\"", *mem = "\"id\": \"exec-from-memory\",";
	char *m, *r;

	TRY(harness_read_text(harness_source_path("policy/baselines/telework.json"), &text));
	if (!b->enforce)
		return env_write_policy(&b->e, text);
	m = strstr(text, mode);
	r = strstr(text, mem);
	CHECK(m && r && m < r, "the baseline has no policy mode or no exec-from-memory rule");
	*m = '\0';
	*r = '\0';
	if (asprintf(&out, "%s\"mode\": \"enforce\"%s%s \"mode\": \"monitor\",%s", text,
		     m + strlen(mode), mem, r + strlen(mem)) < 0)
		return harness_fail("Out of memory");
	return env_write_policy(&b->e, out);
}

/*
 * The test's files, the agent with the baseline and a resolv.conf naming
 * this machine's resolvers and 127.0.0.1 (so a loopback DNS server counts
 * as the laptop's own).
 */
static int bl_start(struct bl *b, const struct baseline_case *c)
{
	char extra[PATH_MAX + 32], tmpl[] = "/run/postured-it-bl.XXXXXX";
	_cleanup_free_ char *sys = NULL, *resolv = NULL;

	b->enforce = c->enforce;
	snprintf(b->resolv, sizeof(b->resolv), "/run/postured-it-bl-resolv.%d", getpid());
	snprintf(extra, sizeof(extra), "\"resolv_conf\": \"%s\"", b->resolv);
	TRY(env_init(&b->e, extra));
	if (harness_read_text("/etc/resolv.conf", &sys) < 0)
		sys = strdup("");
	CHECK(sys && asprintf(&resolv, "%s\nnameserver 127.0.0.1\n", sys) >= 0, "Out of memory");
	TRY(harness_write_file(b->resolv, resolv));
	CHECK(mkdtemp(tmpl), "Cannot create %s: %m", tmpl);
	b->priv = strdup(tmpl);
	CHECK(b->priv && chmod(b->priv, 0755) == 0, "Cannot set up %s: %m", tmpl);
	TRY(harness_unique_copy(b->priv, harness_helper("net_client"), &b->net));
	TRY(write_baseline(b));
	TRY(start_agent(&b->e, NULL, &b->a));
	return wait_stderr(b->a, "Policy telework-baseline");
}

/* A copy of program in dir as name (mode 0755), its path in *ret. */
static int copy_as(const char *dir, const char *program, const char *name, char **ret)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return harness_fail("Out of memory");
	if (harness_copy_file(program, path) < 0) {
		free(path);
		return -1;
	}
	*ret = path;
	return 0;
}

/* How many findings of rule id the agent keeps. */
static int count_findings(struct bl *b, const char *id, size_t *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val list;

	TRY(findings_of(b->a, id, &v));
	list = harness_json(v, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list), "no findings list for %s", id);
	*ret = list->u.array.len;
	return 0;
}

static int expect_findings(struct bl *b, const char *id, size_t n)
{
	return wait_findings(b->a, id, n);
}

/* Runs a program that sleeps `seconds`; stopped in enforce mode, run to its end in monitor. */
static int expect_stopped(struct bl *b, char *const argv[], const char *what)
{
	int status;

	TRY(run_wait(argv, &status));
	if (b->enforce)
		CHECK(was_killed(status), "%s should be stopped in enforce mode; status %d", what,
		      status);
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "%s should run in monitor mode; status %d", what, status);
	return 0;
}

static int expect_runs(char *const argv[], const char *what)
{
	int status;

	TRY(run_wait(argv, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s should run; status %d", what,
	      status);
	return 0;
}

static const char *sleep_for(const struct bl *b)
{
	return b->enforce ? "30" : "0.2";
}

/* --- where programs run from ------------------------------------------------------- */

/*
 * exec-from-world-writable: a program and a #! script under /tmp, and one in
 * /dev/shm; not the same program in /run, nor `go run`'s build under
 * /tmp/go-build*.
 */
static int test_world_writable(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *tmp_sleep = NULL, *run_sleep = NULL, *go_main = NULL, *shm = NULL;
	_cleanup_free_ char *script = NULL;
	char go_dir[64], script_text[PATH_MAX + 64], marker[PATH_MAX];

	TRY(bl_start(&b, arg));
	TRY(copy_as(b.e.dir, "/bin/sleep", "payload", &tmp_sleep));
	TRY(copy_as(b.priv, "/bin/sleep", "installed", &run_sleep));
	snprintf(go_dir, sizeof(go_dir), "/tmp/go-build%d", getpid());
	CHECK(mkdir(go_dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %m", go_dir);
	strcat(go_dir, "/b001");
	CHECK(mkdir(go_dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %m", go_dir);
	strcat(go_dir, "/exe");
	CHECK(mkdir(go_dir, 0700) == 0 || errno == EEXIST, "mkdir %s: %m", go_dir);
	TRY(copy_as(go_dir, "/bin/sleep", "main", &go_main));

	TRY(expect_runs((char *[]){ run_sleep, "0.1", NULL }, "the program in /run"));
	TRY(expect_runs((char *[]){ go_main, "0.1", NULL }, "go run's program"));
	TRY(expect_stopped(&b, (char *[]){ tmp_sleep, (char *)sleep_for(&b), NULL },
			   "the program under /tmp"));
	TRY(expect_findings(&b, "exec-from-world-writable", 1));

	snprintf(marker, sizeof(marker), "%s", env_marker(&b.e));
	snprintf(script_text, sizeof(script_text), "#!/bin/sh\nsleep %s\n: > '%s'\n", SCRIPT_SLEEP,
		 marker);
	CHECK(asprintf(&script, "/dev/shm/postured-it-%d.sh", getpid()) >= 0, "Out of memory");
	TRY(harness_write_file(script, script_text));
	CHECK(chmod(script, 0755) == 0, "chmod %s: %m", script);
	TRY(run_wait((char *[]){ script, NULL }, &(int){ 0 }));
	CHECK(b.enforce ? !exists(marker) : exists(marker), "the script in /dev/shm should %s",
	      b.enforce ? "be stopped" : "run");
	TRY(expect_findings(&b, "exec-from-world-writable", 2));
	(void)unlink(script);
	(void)unlink(go_main);
	for (int i = 0; i < 3; i++) {
		(void)rmdir(go_dir);
		*strrchr(go_dir, '/') = '\0';
	}
	return harness_agent_stop_ok(b.a);
}

/* exec-from-memory: a program run from a memfd; not the same from /run. */
static int test_memory(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *run_sleep = NULL, *via = NULL;
	size_t before = 0;

	TRY(bl_start(&b, arg));
	/* Programs of the machine's own that run from a memfd were found at start. */
	TRY(count_findings(&b, "exec-from-memory", &before));
	TRY(copy_as(b.priv, "/bin/sleep", "installed", &run_sleep));
	via = strdup(harness_helper("exec_via"));
	CHECK(via, "Out of memory");
	TRY(expect_runs((char *[]){ run_sleep, "0.1", NULL }, "the program in /run"));
	/* The rule stays in monitor mode here (see the top of the file). */
	TRY(expect_runs((char *[]){ via, "memfd", run_sleep, "0.1", NULL }, "the memfd program"));
	TRY(expect_findings(&b, "exec-from-memory", before + 1));
	CHECK(stderr_count(b.a, "memfd:payload") > 0, "the finding should name memfd:payload: %s",
	      harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

/* --- shells -------------------------------------------------------------------------- */

/* A TCP listener on loopback (family AF_INET or AF_INET6); its port in *ret_port. */
static int listener(int family, uint16_t *ret_port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr *sa = family == AF_INET ? (struct sockaddr *)&sin :
						  (struct sockaddr *)&sin6;
	socklen_t len = family == AF_INET ? sizeof(sin) : sizeof(sin6);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, sa, len) < 0 || listen(fd, 8) < 0 || getsockname(fd, sa, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return harness_fail("Cannot listen on loopback: %m");
	}
	*ret_port = ntohs(family == AF_INET ? sin.sin_port : sin6.sin6_port);
	return fd;
}

/*
 * shell-on-network-socket: a shell whose streams are a TCP connection (a
 * reverse shell's), over IPv4 and IPv6; not with a unix socketpair.
 */
static int test_reverse_shell(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_close_ int l4 = -EBADF, l6 = -EBADF;
	_cleanup_free_ char *via = NULL;
	char how[32];
	uint16_t p4, p6;

	TRY(bl_start(&b, arg));
	via = strdup(harness_helper("exec_via"));
	CHECK(via, "Out of memory");
	l4 = listener(AF_INET, &p4);
	l6 = listener(AF_INET6, &p6);
	if (l4 < 0 || l6 < 0)
		return -1;
	/* What a reverse shell runs: a command with the connection on its streams. */
	TRY(expect_runs((char *[]){ via, "unix", "/bin/sleep", "0.1", NULL },
			"a program on a unix socket"));
	snprintf(how, sizeof(how), "tcp:%u", p4);
	TRY(expect_stopped(&b, (char *[]){ via, how, "/bin/sleep", (char *)sleep_for(&b), NULL },
			   "a program on a TCP connection"));
	snprintf(how, sizeof(how), "tcp6:%u", p6);
	TRY(expect_stopped(&b, (char *[]){ via, how, "/bin/sleep", (char *)sleep_for(&b), NULL },
			   "a program on an IPv6 TCP connection"));
	TRY(expect_findings(&b, "shell-on-network-socket", 2));
	return harness_agent_stop_ok(b.a);
}

/* download-piped-to-shell: curl into sh; not cat into sh. */
static int test_pipe_to_shell(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	char script[PATH_MAX], marker[PATH_MAX], text[PATH_MAX + 64], cmd[2 * PATH_MAX];

	TRY(bl_start(&b, arg));
	snprintf(marker, sizeof(marker), "%s", env_marker(&b.e));
	snprintf(script, sizeof(script), "%s/install.sh", b.priv);
	snprintf(text, sizeof(text), "sleep %s\n: > '%s'\n", SCRIPT_SLEEP, marker);
	TRY(harness_write_file(script, text));
	snprintf(cmd, sizeof(cmd), "cat '%s' | /bin/sh", script);
	TRY(expect_runs((char *[]){ "/bin/sh", "-c", cmd, NULL }, "cat piped into sh"));
	CHECK(exists(marker), "the script through cat should have run");
	CHECK(unlink(marker) == 0, "unlink %s: %m", marker);
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -s 'file://%s' | /bin/sh", script);
	TRY(run_wait((char *[]){ "/bin/sh", "-c", cmd, NULL }, &(int){ 0 }));
	CHECK(b.enforce ? !exists(marker) : exists(marker), "the script through curl should %s",
	      b.enforce ? "be stopped" : "run");
	TRY(expect_findings(&b, "download-piped-to-shell", 1));
	return harness_agent_stop_ok(b.a);
}

/* --- programs by name ---------------------------------------------------------------- */

/*
 * coin-miner and tunnel-relay-tools: programs named xmrig and gost, from
 * /run (so that the place does not count); not one named xmllint.
 */
static int test_named_tools(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *miner = NULL, *relay = NULL, *cousin = NULL;
	int status;

	TRY(bl_start(&b, arg));
	TRY(copy_as(b.priv, "/bin/sleep", "xmrig", &miner));
	TRY(copy_as(b.priv, "/bin/sleep", "gost", &relay));
	TRY(copy_as(b.priv, "/bin/sleep", "xmllint", &cousin));
	TRY(expect_runs((char *[]){ cousin, "0.1", NULL }, "xmllint"));
	TRY(run_wait((char *[]){ miner, "0.1", NULL }, &status));
	/* A single exact name: the kernel stops it before its first instruction. */
	CHECK(b.enforce ? was_killed(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "xmrig: status %d", status);
	TRY(run_wait((char *[]){ relay, "0.1", NULL }, &status));
	CHECK(b.enforce ? was_killed(status) : WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "gost: status %d", status);
	TRY(expect_findings(&b, "coin-miner", 1));
	TRY(expect_findings(&b, "tunnel-relay-tools", 1));
	CHECK(stderr_count(b.a, "xmllint") == 0, "xmllint was reported: %s",
	      harness_agent_stderr(b.a));
	return harness_agent_stop_ok(b.a);
}

/* --- connections --------------------------------------------------------------------- */

/* Runs net_client KIND ADDRESS PORT; its exit status (0 ok, 10 EPERM, 11 refused) in *ret. */
static int net_call(struct bl *b, const char *kind, const char *addr, uint16_t port, int *ret)
{
	char p[8];
	int status;

	snprintf(p, sizeof(p), "%u", port);
	TRY(run_wait((char *[]){ b->net, (char *)kind, (char *)addr, p, NULL }, &status));
	CHECK(WIFEXITED(status), "net_client did not exit: status %d", status);
	*ret = WEXITSTATUS(status);
	return 0;
}

/* A call the baseline is about: refused with EPERM in enforce mode, made in monitor mode. */
static int expect_refused(struct bl *b, const char *kind, const char *addr, uint16_t port)
{
	int r;

	TRY(net_call(b, kind, addr, port, &r));
	if (b->enforce)
		CHECK(r == 10, "%s to %s port %u should fail with EPERM; exit %d", kind, addr, port,
		      r);
	else
		CHECK(r == 0 || r == 11, "%s to %s port %u should go ahead; exit %d", kind, addr,
		      port, r);
	return 0;
}

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

/* How many findings of rule id are about local port (listeners of the machine's own aside). */
static int count_port_findings(struct bl *b, const char *id, long long port, size_t *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val list;

	TRY(findings_of(b->a, id, &v));
	list = harness_json(v, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list), "no findings list for %s", id);
	*ret = 0;
	for (size_t i = 0; i < list->u.array.len; i++) {
		yajl_val p =
			harness_json(list->u.array.values[i], "postured", "network", "local_port");

		*ret += p && YAJL_IS_INTEGER(p) && YAJL_GET_INTEGER(p) == port;
	}
	return 0;
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

static const struct baseline_case monitor = { .enforce = false };
static const struct baseline_case enforce = { .enforce = true };

static const struct harness_test tests[] = {
	HARNESS_TEST("world_writable_monitor", test_world_writable, &monitor),
	HARNESS_TEST("world_writable_enforce", test_world_writable, &enforce),
	HARNESS_TEST("memory_monitor", test_memory, &monitor),
	HARNESS_TEST("reverse_shell_monitor", test_reverse_shell, &monitor),
	HARNESS_TEST("reverse_shell_enforce", test_reverse_shell, &enforce),
	HARNESS_TEST("pipe_to_shell_monitor", test_pipe_to_shell, &monitor),
	HARNESS_TEST("pipe_to_shell_enforce", test_pipe_to_shell, &enforce),
	HARNESS_TEST("named_tools_monitor", test_named_tools, &monitor),
	HARNESS_TEST("named_tools_enforce", test_named_tools, &enforce),
	HARNESS_TEST("outbound_ports_monitor", test_outbound_ports, &monitor),
	HARNESS_TEST("outbound_ports_enforce", test_outbound_ports, &enforce),
	HARNESS_TEST("dns_monitor", test_dns, &monitor),
	HARNESS_TEST("dns_enforce", test_dns, &enforce),
	HARNESS_TEST("listeners_monitor", test_listeners, &monitor),
	HARNESS_TEST("listeners_enforce", test_listeners, &enforce),
};

HARNESS_MAIN(tests)
