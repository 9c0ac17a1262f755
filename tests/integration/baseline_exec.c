// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The baseline suite (baseline.c): where programs run from and what their
 * standard streams are.  A program and a #! script under /tmp and /dev/shm
 * (not the same program in /run, nor `go run`'s build), the agent itself
 * installed under /tmp, a program from a memfd, a program whose streams are
 * a TCP connection over IPv4 and IPv6 (not a unix socket), a download piped
 * into a shell (not cat into one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline.h"

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

/*
 * The agent itself installed under /tmp: exec-from-world-writable in enforce
 * mode judges it when the policy comes into force.  It reports itself, the
 * kill failed, and goes on: a program under /tmp is still stopped.
 */
static int test_agent_in_tmp(const void *arg)
{
	_cleanup_bl_ struct bl b = {};
	_cleanup_free_ char *tmp_sleep = NULL;
	char self[PATH_MAX + 64];

	TRY(bl_start(&b, arg));
	snprintf(self, sizeof(self), "process_denied (pid %d, %s): kill_failed", (int)b.a->pid,
		 b.agent);
	CHECK(stderr_count(b.a, self) == 1, "the agent should report itself once (%s): %s", self,
	      harness_agent_stderr(b.a));
	TRY(copy_as(b.e.dir, "/bin/sleep", "payload", &tmp_sleep));
	TRY(expect_stopped(&b, (char *[]){ tmp_sleep, (char *)sleep_for(&b), NULL },
			   "the program under /tmp"));
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
	int status;

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
	TRY(run_wait((char *[]){ "/bin/sh", "-c", cmd, NULL }, &status));
	CHECK(b.enforce ? !exists(marker) : exists(marker), "the script through curl should %s",
	      b.enforce ? "be stopped" : "run");
	/* The outer shell's status is the pipeline's last command's: 128 + 9 when it was killed. */
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == (b.enforce ? 128 + SIGKILL : 0),
	      "the shell reading curl should %s; the pipeline's status %d",
	      b.enforce ? "be killed" : "end well", status);
	TRY(expect_findings(&b, "download-piped-to-shell", 1));
	return harness_agent_stop_ok(b.a);
}

static const struct harness_test tests[] = {
	HARNESS_TEST("world_writable_monitor", test_world_writable, &baseline_monitor),
	HARNESS_TEST("world_writable_enforce", test_world_writable, &baseline_enforce),
	HARNESS_TEST("agent_itself_in_tmp_enforce", test_agent_in_tmp,
		     &baseline_enforce_agent_in_tmp),
	HARNESS_TEST("memory_monitor", test_memory, &baseline_monitor),
	HARNESS_TEST("reverse_shell_monitor", test_reverse_shell, &baseline_monitor),
	HARNESS_TEST("reverse_shell_enforce", test_reverse_shell, &baseline_enforce),
	HARNESS_TEST("pipe_to_shell_monitor", test_pipe_to_shell, &baseline_monitor),
	HARNESS_TEST("pipe_to_shell_enforce", test_pipe_to_shell, &baseline_enforce),
};

HARNESS_TABLE(baseline_exec_table, tests);
