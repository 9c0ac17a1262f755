// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The built-in telework baseline (policy/baselines/telework.json) against
 * the behaviours it is for, through the daemon in the real kernel, on
 * loopback: each behaviour is run once with the baseline as shipped
 * (monitor mode: a finding of the right rule) and once with it switched to
 * enforce mode (the program stopped, the connection refused), beside the
 * ordinary cousins that must not be reported.  Findings are counted as the
 * status socket keeps them, beside what the machine itself runs (its own
 * listeners and memfd programs are found when the policy comes into force).
 *
 * The suite's files, by what the behaviour is: baseline_exec.c (where
 * programs run from, shells on sockets and pipes), baseline_tools.c
 * (programs by name, the firewall changed through sudo, the VPN client
 * stopped), baseline_network.c (connections, DNS, listeners, an SSH SOCKS
 * proxy).  This file has what they share and main().
 *
 * Enforce mode is the whole baseline in enforce but exec-from-memory, which
 * stays in monitor mode here: the build machines run tooling of their own
 * from a memfd, which enforce mode would stop when the policy comes into
 * force.  process_rules' memfd tests show that rule's kind stopped, scoped
 * to a user of the test's.  The device checks have their own suites.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline.h"

const struct baseline_case baseline_monitor = { .enforce = false };
const struct baseline_case baseline_enforce = { .enforce = true };
const struct baseline_case baseline_short_grace = { .short_grace = true };
const struct baseline_case baseline_enforce_agent_in_tmp = { .enforce = true,
							     .agent_in_tmp = true };

void bl_done(struct bl *b)
{
	harness_agent_free(b->a);
	if (b->priv)
		harness_tmpdir_remove(b->priv);
	free(b->priv);
	free(b->net);
	free(b->agent);
	env_done(&b->e);
}

bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

bool was_killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* Every `"grace_seconds": 600` of text made REQUIRE_GRACE_SECONDS, into *ret. */
static int short_graces(const char *text, char **ret)
{
	static const char shipped[] = "\"grace_seconds\": 600";
	char cut[32];
	size_t n = 0, len;
	char *out, *o;

	snprintf(cut, sizeof(cut), "\"grace_seconds\": %d", REQUIRE_GRACE_SECONDS);
	for (const char *p = text; (p = strstr(p, shipped)); p += strlen(shipped))
		n++;
	CHECK(n > 0, "the baseline has no require rule of 600 s grace");
	len = strlen(text) + n * strlen(cut) + 1;
	out = o = malloc(len);
	CHECK(out, "Out of memory");
	for (const char *p = text, *q; *p; p = q + strlen(shipped)) {
		q = strstr(p, shipped);
		if (!q) {
			o = stpcpy(o, p);
			break;
		}
		o = mempcpy(o, p, q - p);
		o = stpcpy(o, cut);
	}
	*o = '\0';
	*ret = out;
	return 0;
}

/*
 * The baseline as shipped; in enforce mode but for exec-from-memory; or with
 * its require rules' graces cut short.
 */
static int write_baseline(struct bl *b, const struct baseline_case *c)
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	const char *mode = "\"mode\": \"monitor\"", *mem = "\"id\": \"exec-from-memory\",";
	char *m, *r;

	TRY(harness_read_text(harness_source_path("policy/baselines/telework.json"), &text));
	if (c->short_grace) {
		TRY(short_graces(text, &out));
		return env_write_policy(&b->e, out);
	}
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
int bl_start(struct bl *b, const struct baseline_case *c)
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
	TRY(write_baseline(b, c));
	if (c->agent_in_tmp) {
		struct harness_agent_opts o = {
			.config = b->e.config,
			.no_print_events = true,
		};

		TRY(copy_as(b->e.dir, harness_build_path("postured"), "postured", &b->agent));
		o.program = b->agent;
		TRY(harness_agent_start(&o, &b->a));
	} else {
		TRY(start_agent(&b->e, NULL, &b->a));
	}
	return wait_stderr(b->a, "Policy telework-baseline");
}

/* A copy of program in dir as name (mode 0755), its path in *ret. */
int copy_as(const char *dir, const char *program, const char *name, char **ret)
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
int count_findings(struct bl *b, const char *id, size_t *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val list;

	TRY(findings_of(b->a, id, &v));
	list = harness_json(v, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list), "no findings list for %s", id);
	*ret = list->u.array.len;
	return 0;
}

int expect_findings(struct bl *b, const char *id, size_t n)
{
	return wait_findings(b->a, id, n);
}

int expect_findings_at_least(struct bl *b, const char *id, size_t n, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t have = 0;

	do {
		(void)harness_agent_pump(b->a, 50);
		TRY(count_findings(b, id, &have));
	} while (have < n && harness_now_ms() < deadline);
	CHECK(have >= n, "%s should have at least %zu findings; it has %zu. postured's stderr: %s",
	      id, n, have, harness_agent_stderr(b->a));
	return 0;
}

/* Runs a program that sleeps `seconds`; stopped in enforce mode, run to its end in monitor. */
int expect_stopped(struct bl *b, char *const argv[], const char *what)
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

int expect_runs(char *const argv[], const char *what)
{
	int status;

	TRY(run_wait(argv, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s should run; status %d", what,
	      status);
	return 0;
}

const char *sleep_for(const struct bl *b)
{
	return b->enforce ? "30" : "0.2";
}

/* Runs net_client KIND ADDRESS PORT; its exit status (0 ok, 10 EPERM, 11 refused) in *ret. */
int net_call(struct bl *b, const char *kind, const char *addr, uint16_t port, int *ret)
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
int expect_refused(struct bl *b, const char *kind, const char *addr, uint16_t port)
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

/* How many findings of rule id are about local port (listeners of the machine's own aside). */
int count_port_findings(struct bl *b, const char *id, long long port, size_t *ret)
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

HARNESS_MAIN_TABLES(&baseline_exec_table, &baseline_tools_table, &baseline_network_table)
