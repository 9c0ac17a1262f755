// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the suites that drive rules through the daemon share (process_rules,
 * baseline): a test's directory, configuration and policy file, the agent,
 * children, and what the agent said on stderr and its status socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rules_env.h"

void env_done(struct env *e)
{
	free(e->target);
	free(e->sentinel);
	free(e->parent_ok);
	free(e->parent_other);
	harness_tmpdir_freep(&e->dir);
}

/* The configuration: the policy file, and extra (the inside of a JSON object) when given. */
int env_init(struct env *e, const char *extra)
{
	char text[PATH_MAX + 256];
	uint32_t rnd;

	*e = (struct env){};
	TRY(harness_tmpdir_new(&e->dir));
	TRY(harness_unique_copy(e->dir, harness_helper("write_marker"), &e->target));
	TRY(harness_unique_copy(e->dir, harness_helper("write_marker"), &e->sentinel));
	TRY(harness_unique_copy(e->dir, harness_helper("spawn_storm"), &e->parent_ok));
	TRY(harness_unique_copy(e->dir, harness_helper("spawn_storm"), &e->parent_other));
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return harness_fail("getrandom: %m");
	snprintf(e->flag, sizeof(e->flag), "--flag-%08x", rnd);
	snprintf(e->policy, sizeof(e->policy), "%s/policy.json", e->dir);
	snprintf(e->config, sizeof(e->config), "%s/postured.conf", e->dir);
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\"%s%s }\n", e->policy,
		 extra ? ", " : "", extra ? extra : "");
	return harness_write_file(e->config, text);
}

/* A new marker path; it does not exist yet. */
const char *env_marker(struct env *e)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/marker-%u", e->dir, ++e->markers);
	(void)unlink(buf);
	return buf;
}

/* Writes the policy file atomically (a new file renamed over the old one). */
int env_write_policy(struct env *e, const char *text)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", e->policy);
	TRY(harness_write_file(tmp, text));
	if (rename(tmp, e->policy) < 0)
		return harness_fail("Cannot rename %s to %s: %m", tmp, e->policy);
	return 0;
}

/* One process rule: id, mode, the insides of "match" and "except" (NULL: none). */
char *rule_json(const char *id, const char *mode, const char *match, const char *except)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"id\": \"%s\", \"type\": \"process\", \"title\": \"%s\", \"severity\": "
		     "\"high\", \"mode\": \"%s\", \"match\": {%s}, %s%s%s\"effect\": \"deny\", "
		     "\"message\": {\"en\": \"The test's program ran.\"}, \"remediation\": "
		     "{\"en\": \"Nothing to do: this is a test.\"}}",
		     id, id, mode, match, except ? "\"except\": [" : "", except ? except : "",
		     except ? "], " : "") < 0)
		return NULL;
	return s;
}

/* A policy of serial and settings (the inside of an object) and two rules (b may be NULL). */
int env_policy(struct env *e, unsigned serial, const char *settings, const char *a, const char *b)
{
	_cleanup_free_ char *text = NULL;

	if (asprintf(&text,
		     "{\"id\": \"process-rules-it\", \"serial\": %u, \"settings\": {%s}, "
		     "\"rules\": [%s%s%s]}\n",
		     serial, settings, a, b ? ", " : "", b ? b : "") < 0)
		return harness_fail("Out of memory");
	return env_write_policy(e, text);
}

int start_agent(struct env *e, const char *flavor, struct harness_agent **ret)
{
	struct harness_agent_opts o = {
		.flavor = flavor,
		.config = e->config,
		.no_print_events = true,
	};

	return harness_agent_start(&o, ret);
}

/* --- children and what the agent said ----------------------------------------------- */

/* Runs argv (NULL-terminated) to its end; *ret_status is its wait status. */
int run_wait(char *const argv[], int *ret_status)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_close_ int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pid_t pid;

	/* spawn_storm's summary line says nothing the wait status does not. */
	o.stdout_fd = null;
	TRY(harness_spawn(argv[0], argv, &o, &pid));
	return harness_wait_child(pid, CHILD_TIMEOUT_MS, ret_status);
}

/* How often text occurs in what the agent wrote on stderr. */
unsigned stderr_count(const struct harness_agent *a, const char *text)
{
	unsigned n = 0;

	for (const char *p = strstr(a->err, text); p; p = strstr(p + 1, text))
		n++;
	return n;
}

int wait_stderr(struct harness_agent *a, const char *text)
{
	CHECK(harness_agent_wait_stderr(a, text, FINDING_TIMEOUT_MS) == 1,
	      "postured did not log \"%s\" within %d ms. Its stderr: %s", text, FINDING_TIMEOUT_MS,
	      harness_agent_stderr(a));
	return 0;
}

/* One request on the status socket, as root; *ret (the caller's) is the parsed answer. */
int status_request(struct harness_agent *a, const char *request, yajl_val *ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int64_t deadline = harness_now_ms() + STATUS_TIMEOUT_MS;
	static char buf[256 * 1024];
	char err[256] = "";
	size_t have = 0, len = strlen(request);
	yajl_val v;

	if (fd < 0)
		return harness_fail("socket(AF_UNIX): %m");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->status_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return harness_fail("Cannot connect to %s: %m", a->status_path);
	if (write(fd, request, len) != (ssize_t)len)
		return harness_fail("Cannot send a request to %s: %m", a->status_path);
	while (!memchr(buf, '\n', have)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (harness_now_ms() > deadline || have == sizeof(buf) - 1)
			return harness_fail("No answer to %s within %d ms", request,
					    STATUS_TIMEOUT_MS);
		/* The agent's stderr is a pipe of ours: keep taking it in. */
		if (harness_agent_pump(a, 0) < 0 || poll(&p, 1, 10) <= 0)
			continue;
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return harness_fail("The status socket closed before answering");
		have += (size_t)n;
	}
	buf[have] = '\0';
	v = yajl_tree_parse(buf, err, sizeof(err));
	if (!v || !YAJL_IS_OBJECT(harness_json(v, "result"))) {
		yajl_tree_free(v);
		return harness_fail("The answer to %s is not a result: %.300s", request, buf);
	}
	*ret = v;
	return 0;
}

int findings_of(struct harness_agent *a, const char *id, yajl_val *ret)
{
	char request[256];

	snprintf(request, sizeof(request),
		 "{\"id\": 2, \"method\": \"findings\", \"params\": {\"rule\": \"%s\"}}\n", id);
	return status_request(a, request, ret);
}

int wait_findings(struct harness_agent *a, const char *id, size_t n)
{
	int64_t deadline = harness_now_ms() + FINDING_TIMEOUT_MS;
	size_t have = 0;

	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val v = NULL;
		yajl_val list;

		TRY(findings_of(a, id, &v));
		list = harness_json(v, "result", "findings");
		CHECK(list && YAJL_IS_ARRAY(list), "no findings list for rule %s", id);
		have = list->u.array.len;
		if (have >= n || harness_now_ms() > deadline)
			break;
		(void)harness_agent_pump(a, 50);
	}
	CHECK(have == n, "rule %s should have %zu finding(s); it has %zu. postured's stderr: %s",
	      id, n, have, harness_agent_stderr(a));
	return 0;
}
