// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The facts the process probe decides at exec, through the daemon in the
 * real kernel: where the program lies (a world-writable directory, memory),
 * what its standard descriptors are (a TCP connection), a #! script's own
 * location, and who writes into the pipe on its input.  Each behaviour runs
 * in monitor mode (a finding that names the fact) and in enforce mode (the
 * program stopped), beside its ordinary cousin that must not be reported:
 * the same program from a directory only root may write, a service's unix
 * socket, a script outside /tmp, a pipe from cat.
 *
 * The test's own directory is under $TMPDIR (/tmp or a directory of
 * tests/run-integration's there), which is world-writable above it; the
 * cousins live in a directory of /run, which is not.
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

#include "process_rules.h"

#define SCRIPT_SLEEP "3" /* seconds a script waits before its marker: time to be stopped */

/* A directory in /run, writable by root alone, for the cousins. */
static int private_dir(char **ret)
{
	char tmpl[] = "/run/postured-it-facts.XXXXXX";

	if (!mkdtemp(tmpl))
		return harness_fail("Cannot create %s: %m", tmpl);
	if (chmod(tmpl, 0755) < 0)
		return harness_fail("chmod %s: %m", tmpl);
	*ret = strdup(tmpl);
	return *ret ? 0 : harness_fail("Out of memory");
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The postured.exec object of rule id's only kept finding, in *ret_root (to free) and *ret. */
static int only_finding_exec(struct harness_agent *a, const char *id, yajl_val *ret_root,
			     yajl_val *ret)
{
	yajl_val list, exec;

	TRY(findings_of(a, id, ret_root));
	list = harness_json(*ret_root, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list) && list->u.array.len == 1,
	      "rule %s should have one finding kept; it has %zu. postured's stderr: %s", id,
	      list && YAJL_IS_ARRAY(list) ? list->u.array.len : 0, harness_agent_stderr(a));
	exec = harness_json(list->u.array.values[0], "postured", "exec");
	CHECK(exec && YAJL_IS_OBJECT(exec), "the finding of rule %s has no postured.exec", id);
	*ret = exec;
	return 0;
}

/* Whether the location array of exec holds word. */
static bool location_has(yajl_val exec, const char *word)
{
	yajl_val loc = harness_json(exec, "location");

	for (size_t i = 0; loc && YAJL_IS_ARRAY(loc) && i < loc->u.array.len; i++) {
		const char *s = harness_json_str(loc->u.array.values[i]);

		if (s && strcmp(s, word) == 0)
			return true;
	}
	return false;
}

/* Starts the agent with one rule, id "facts", of match in mode. */
static int start_with_rule(struct env *e, const char *mode, const char *match,
			   struct harness_agent **ret)
{
	_cleanup_free_ char *rule = rule_json("facts", mode, match, NULL);

	CHECK(rule, "Out of memory");
	TRY(env_policy(e, 1, "", rule, NULL));
	TRY(start_agent(e, NULL, ret));
	return wait_stderr(*ret, "Policy process-rules-it");
}

/* Whether status says the program was stopped by SIGKILL. */
static bool was_killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/*
 * (1) An executable in a world-writable place: in enforce mode the kernel
 * stops it before its first instruction (no marker); in monitor mode it runs
 * and the finding says where it lay.  The same program in /run is neither.
 */
int test_facts_world_writable(const void *arg)
{
	const struct facts_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *priv = NULL, *cousin = NULL;
	_cleanup_env_ struct env e = {};
	char marker[PATH_MAX], cousin_marker[PATH_MAX];
	yajl_val exec;
	int status;

	TRY(env_init(&e, NULL));
	TRY(private_dir(&priv));
	TRY(harness_unique_copy(priv, harness_helper("write_marker"), &cousin));
	TRY(start_with_rule(&e, c->mode, "\"location\": \"world_writable\"", &a));

	snprintf(cousin_marker, sizeof(cousin_marker), "%s", env_marker(&e));
	TRY(run_wait((char *[]){ cousin, cousin_marker, NULL }, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(cousin_marker),
	      "%s in a directory only root may write should run; status %d", cousin, status);

	snprintf(marker, sizeof(marker), "%s", env_marker(&e));
	TRY(run_wait((char *[]){ e.target, marker, NULL }, &status));
	if (enforce)
		CHECK(was_killed(status) && !exists(marker),
		      "%s under a world-writable directory should be killed before its first "
		      "instruction; status %d, marker %s",
		      e.target, status, exists(marker) ? "written" : "absent");
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(marker),
		      "in monitor mode %s should run; status %d", e.target, status);
	TRY(wait_stderr(a, "Rule facts:"));
	TRY(only_finding_exec(a, "facts", &root, &exec));
	CHECK(location_has(exec, "world_writable"),
	      "the finding should say the program lay in a world-writable place");
	CHECK(stderr_count(a, cousin) == 0, "the program in /run was reported: %s",
	      harness_agent_stderr(a));
	harness_tmpdir_remove(priv);
	return harness_agent_stop_ok(a);
}

/* Writes an executable #! script at path: it sleeps, then writes marker. */
static int write_script(const char *path, const char *marker)
{
	char text[PATH_MAX + 64];

	snprintf(text, sizeof(text), "#!/bin/sh\nsleep %s\n: > '%s'\n", SCRIPT_SLEEP, marker);
	TRY(harness_write_file(path, text));
	if (chmod(path, 0755) < 0)
		return harness_fail("chmod %s: %m", path);
	return 0;
}

/*
 * (2) A #! script in a world-writable place, started by its absolute name
 * and by a relative one from its directory: its interpreter lies in
 * /usr/bin, so the agent judges the script's own place, and in enforce mode
 * stops it just after it starts (before its marker).  The same script in
 * /run is not reported.
 */
int test_facts_script(const void *arg)
{
	const struct facts_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *priv = NULL;
	_cleanup_env_ struct env e = {};
	char script[PATH_MAX], cousin[PATH_MAX], marker[PATH_MAX], cousin_marker[PATH_MAX];
	char rel[2 * PATH_MAX + 32], rel_marker[PATH_MAX];
	yajl_val exec;
	int status;

	TRY(env_init(&e, NULL));
	TRY(private_dir(&priv));
	snprintf(script, sizeof(script), "%s/fetched.sh", e.dir);
	snprintf(cousin, sizeof(cousin), "%s/installed.sh", priv);
	snprintf(marker, sizeof(marker), "%s", env_marker(&e));
	snprintf(cousin_marker, sizeof(cousin_marker), "%s", env_marker(&e));
	TRY(write_script(script, marker));
	TRY(write_script(cousin, cousin_marker));
	TRY(start_with_rule(&e, c->mode, "\"location\": \"world_writable\"", &a));

	TRY(run_wait((char *[]){ cousin, NULL }, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(cousin_marker),
	      "the script in /run should run; status %d", status);

	TRY(run_wait((char *[]){ script, NULL }, &status));
	if (enforce)
		CHECK(was_killed(status) && !exists(marker),
		      "the script in a world-writable place should be stopped; status %d", status);
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(marker),
		      "in monitor mode the script should run; status %d", status);
	TRY(wait_stderr(a, "Rule facts:"));
	TRY(only_finding_exec(a, "facts", &root, &exec));
	EXPECT_JSON_STR("postured.exec", exec, script, "script");
	CHECK(location_has(exec, "world_writable"), "the finding should say where the script lay");

	/* By a relative name from its directory: the kernel looks at the working directory. */
	snprintf(rel_marker, sizeof(rel_marker), "%s", env_marker(&e));
	snprintf(script, sizeof(script), "%s/relative.sh", e.dir);
	TRY(write_script(script, rel_marker));
	snprintf(rel, sizeof(rel), "cd '%s' && exec ./relative.sh", e.dir);
	TRY(run_wait((char *[]){ "/bin/sh", "-c", rel, NULL }, &status));
	if (enforce)
		CHECK(was_killed(status) && !exists(rel_marker),
		      "the script started as ./relative.sh should be stopped; status %d", status);
	TRY(wait_stderr(a, "./relative.sh"));
	TRY(wait_findings(a, "facts", 2));
	CHECK(stderr_count(a, cousin) == 0, "the script in /run was reported: %s",
	      harness_agent_stderr(a));
	harness_tmpdir_remove(priv);
	return harness_agent_stop_ok(a);
}

/*
 * (3) A program run from a memfd (fileless): reported as lying in memory,
 * named by the kernel's name for it, and stopped in enforce mode.  The rule
 * is scoped to the user the test runs it as, so that nothing else on the
 * machine that runs from a memfd is touched; with two matchers it is
 * stopped by the agent just after it starts (the kernel's own stop on a
 * fact is test (1)'s).  The same program from /run is not reported.
 */
int test_facts_memfd(const void *arg)
{
	const struct facts_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *priv = NULL, *sleeper = NULL;
	_cleanup_env_ struct env e = {};
	yajl_val exec;
	int status;
	pid_t pid;

	TRY(env_init(&e, NULL));
	TRY(private_dir(&priv));
	TRY(harness_unique_copy(priv, "/bin/sleep", &sleeper));
	TRY(start_with_rule(&e, c->mode, "\"location\": \"memory\", \"user\": 65534", &a));
	o.set_uid = true;
	o.uid = 65534;
	o.gid = 65534;

	TRY(harness_spawn(sleeper, (char *[]){ sleeper, "0.2", NULL }, &o, &pid));
	TRY(harness_wait_child(pid, 10000, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s should run; status %d", sleeper,
	      status);

	TRY(harness_spawn(harness_helper("exec_via"),
			  (char *[]){ (char *)harness_helper("exec_via"), "memfd", sleeper,
				      enforce ? "30" : "0.2", NULL },
			  &o, &pid));
	TRY(harness_wait_child(pid, 10000, &status));
	if (enforce)
		CHECK(was_killed(status),
		      "the program run from a memfd should be stopped; status %d", status);
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "in monitor mode the memfd program should run; status %d", status);
	TRY(wait_stderr(a, "Rule facts:"));
	TRY(only_finding_exec(a, "facts", &root, &exec));
	CHECK(location_has(exec, "memory"), "the finding should say the program ran from memory");
	CHECK(stderr_count(a, "memfd:payload") > 0,
	      "the finding should name the program as the kernel does (memfd:payload): %s",
	      harness_agent_stderr(a));
	CHECK(stderr_count(a, sleeper) == 0, "the program in /run was reported: %s",
	      harness_agent_stderr(a));
	harness_tmpdir_remove(priv);
	return harness_agent_stop_ok(a);
}

/* A TCP listener on the loopback address of family, its port in *ret_port; -1 on failure. */
static int listener(int family, uint16_t *ret_port)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return harness_fail("socket: %m");
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return harness_fail("Cannot listen on loopback: %m");
	}
	*ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					      ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/*
 * (4) A program whose standard streams are a TCP connection, over IPv4 and
 * IPv6 (a reverse shell's commands): stopped by the kernel in enforce mode,
 * reported with the other end in monitor mode.  The same program with a
 * unix socketpair on them, as a service has, is not reported.
 */
int test_facts_stdio_network(const void *arg)
{
	const struct facts_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_close_ int l4 = -EBADF, l6 = -EBADF;
	_cleanup_env_ struct env e = {};
	char how[32], marker[PATH_MAX], unix_marker[PATH_MAX];
	_cleanup_free_ char *via = NULL;
	uint16_t port4, port6;
	yajl_val list;
	int status;

	TRY(env_init(&e, NULL));
	via = strdup(harness_helper("exec_via"));
	CHECK(via, "Out of memory");
	l4 = listener(AF_INET, &port4);
	l6 = listener(AF_INET6, &port6);
	if (l4 < 0 || l6 < 0)
		return -1;
	TRY(start_with_rule(&e, c->mode, "\"stdio\": \"network\"", &a));

	snprintf(unix_marker, sizeof(unix_marker), "%s", env_marker(&e));
	TRY(run_wait((char *[]){ (char *)via, "unix", e.target, unix_marker, NULL }, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(unix_marker),
	      "with a unix socket on its streams the program should run; status %d", status);

	for (int family = 0; family < 2; family++) {
		snprintf(how, sizeof(how), family ? "tcp6:%u" : "tcp:%u", family ? port6 : port4);
		snprintf(marker, sizeof(marker), "%s", env_marker(&e));
		TRY(run_wait((char *[]){ (char *)via, how, e.target, marker, NULL }, &status));
		if (enforce)
			CHECK(was_killed(status) && !exists(marker),
			      "with a TCP connection (%s) on its streams the program should be "
			      "killed before its first instruction; status %d",
			      how, status);
		else
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(marker),
			      "in monitor mode the program should run; status %d", status);
	}
	/* IPv4 and IPv6, not the unix one. */
	TRY(wait_findings(a, "facts", 2));
	TRY(findings_of(a, "facts", &root));
	list = harness_json(root, "result", "findings");
	for (size_t i = 0; i < 2; i++) {
		yajl_val in = harness_json(list->u.array.values[i], "postured", "exec", "stdin");
		const char *addr = harness_json_str(harness_json(in, "remote_address"));

		EXPECT_JSON_STR("postured.exec.stdin", in, "network_socket", "kind");
		EXPECT_JSON_STR("postured.exec.stdin", in, "tcp", "protocol");
		CHECK(addr && (strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0),
		      "stdin's other end should be the loopback listener, not %s",
		      addr ? addr : "(none)");
	}
	return harness_agent_stop_ok(a);
}

/*
 * (5) Download and run through a pipe: curl's output into a shell.  The
 * rule names the shells and the downloaders; in enforce mode the shell is
 * stopped just after it starts, before the script's marker.  The same
 * script through cat is not reported.
 */
int test_facts_pipe_to_shell(const void *arg)
{
	const struct facts_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_env_ struct env e = {};
	char script[PATH_MAX], marker[PATH_MAX], cat_marker[PATH_MAX], cmd[3 * PATH_MAX];
	yajl_val exec;
	int status;

	TRY(env_init(&e, NULL));
	TRY(start_with_rule(&e, c->mode,
			    "\"name\": [\"sh\", \"dash\", \"bash\"], \"stdin_from\": [\"curl\", "
			    "\"wget\"]",
			    &a));

	snprintf(cat_marker, sizeof(cat_marker), "%s", env_marker(&e));
	snprintf(script, sizeof(script), "%s/by-cat.sh", e.dir);
	TRY(write_script(script, cat_marker));
	snprintf(cmd, sizeof(cmd), "cat '%s' | /bin/sh", script);
	TRY(run_wait((char *[]){ "/bin/sh", "-c", cmd, NULL }, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(cat_marker),
	      "a script piped from cat should run; status %d", status);

	snprintf(marker, sizeof(marker), "%s", env_marker(&e));
	snprintf(script, sizeof(script), "%s/by-curl.sh", e.dir);
	TRY(write_script(script, marker));
	snprintf(cmd, sizeof(cmd), "/usr/bin/curl -s 'file://%s' | /bin/sh", script);
	TRY(run_wait((char *[]){ "/bin/sh", "-c", cmd, NULL }, &status));
	if (enforce)
		CHECK(!exists(marker), "the shell reading curl's output should be stopped");
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && exists(marker),
		      "in monitor mode the piped script should run; status %d", status);
	TRY(wait_stderr(a, "Rule facts:"));
	TRY(only_finding_exec(a, "facts", &root, &exec));
	EXPECT_JSON_STR("postured.exec.stdin", harness_json(exec, "stdin"), "pipe", "kind");
	EXPECT_JSON_STR("postured.exec.stdin", harness_json(exec, "stdin"), "curl", "writer");
	return harness_agent_stop_ok(a);
}
