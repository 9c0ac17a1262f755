// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the real daemon in the real kernel (issue #4): each
 * test writes a policy of network rules about 127.0.0.x or ::1 and ports it
 * holds sockets on, starts build/postured --print-events with it, runs
 * uniquely named copies of tests/helpers/net_client, and checks what the
 * kernel did to them (EPERM or not) and the network findings postured
 * printed (docs/events.md) or shows on its status socket (posturectl).
 * Tests that look at one policy from several sides (outbound_*, listen_*,
 * listeners_*) share its sockets and agent through a fixture (harness.h),
 * each named for the one behaviour it checks.
 *
 * The agent attaches its hooks at the cgroup v2 root, so its rules apply to
 * every program on this machine while a test runs: every rule is scoped to
 * an address and a port the test picked, and nothing listens on other than
 * loopback (a bind to 0.0.0.0 is only tried where it is refused).
 *
 * The policy file named in the configuration is a symlink to a file in a
 * directory of its own: the agent watches the configuration's directory, so
 * a new policy is put in force by SIGHUP (or a reload request) alone.
 *
 * "Nothing was reported" is asserted with a marker: a later datagram a
 * report rule matches.  Records come through one ring in the order the
 * kernel made them, so a finding about the earlier call would have come
 * before the marker's.  Needs root; tests/run-integration runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A finding must be printed, and a client or posturectl be done, within this long. */
#define FINDING_TIMEOUT_MS 3000
#define CHILD_TIMEOUT_MS   5000
#define NOBODY		   65534

/* The storm, and a bound on how long it takes (about 0.6 s on these VMs). */
#define STORM_COUNT	       50000
#define STORM_CHILD_TIMEOUT_MS 60000
/* The agent collects the repeats the kernel counts every 10 s (docs/events.md). */
#define SWEEP_INTERVAL_MS 10000
#define STORM_COLLECT_MS  (2 * SWEEP_INTERVAL_MS + 5000)

/* While only counting repeats the agent must be idle: CPU time over a window of wall time. */
#define IDLE_WINDOW_MS 2000
/* Wake-ups allowed in that window: at most one sweep, and slack; a polling agent has many. */
#define IDLE_WAKEUPS_MAX 4

#define NET_PREFILTER	 "\"finding\":\"network\""
#define POLICY_ID	 "net-enforce-it"

/* --- a test's files -------------------------------------------------------------- */

struct env {
	char *dir; /* the configuration, the link to the policy, the clients */
	char *pdir; /* the policy itself, where the agent does not watch */
	char client[PATH_MAX]; /* a copy of net_client */
	char policy[PATH_MAX];
	char config[PATH_MAX];
};

static void env_done(struct env *e)
{
	harness_tmpdir_freep(&e->dir);
	harness_tmpdir_freep(&e->pdir);
}

#define _cleanup_env_ _cleanup_(env_done)

/* Another copy of net_client under a name of its own; *ret is PATH_MAX bytes. */
static int env_copy_client(struct env *e, char *ret)
{
	_cleanup_free_ char *path = NULL;

	TRY(harness_unique_copy(e->dir, harness_helper("net_client"), &path));
	snprintf(ret, PATH_MAX, "%s", path);
	return 0;
}

static int env_init(struct env *e)
{
	char link[PATH_MAX + 16], text[2 * PATH_MAX];

	*e = (struct env){};
	TRY(harness_tmpdir_new(&e->dir));
	TRY(harness_tmpdir_new(&e->pdir));
	TRY(env_copy_client(e, e->client));
	snprintf(e->policy, sizeof(e->policy), "%s/policy.json", e->pdir);
	snprintf(link, sizeof(link), "%s/policy.json", e->dir);
	if (symlink(e->policy, link) < 0)
		return harness_fail("Cannot create the symlink %s: %m", link);
	snprintf(e->config, sizeof(e->config), "%s/postured.conf", e->dir);
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\" }\n", link);
	return harness_write_file(e->config, text);
}

/* One network rule of a test's policy. */
struct rule_spec {
	const char *id;
	const char *mode; /* NULL: the policy's */
	const char *direction;
	const char *protocol;
	const char *match; /* the inside of the "match" object */
	const char *except; /* the inside of the "except" array, or NULL */
	const char *effect;
};

/* Writes the policy (a new file renamed over the old, in the directory nobody watches). */
static int env_write_policy(struct env *e, const char *mode, unsigned serial,
			    const struct rule_spec *rules, size_t n)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return harness_fail("Out of memory");
	fprintf(f,
		"{\n\t\"id\": \"%s\",\n\t\"serial\": %u,\n\t\"description\": \"Network rules of "
		"tests/integration/net_enforce.c.\",\n\t\"mode\": \"%s\",\n\t\"rules\": [\n",
		POLICY_ID, serial, mode);
	for (size_t i = 0; i < n; i++) {
		const struct rule_spec *r = &rules[i];

		fprintf(f, "%s\t\t{\n\t\t\t\"id\": \"%s\",\n\t\t\t\"type\": \"network\",\n",
			i ? ",\n" : "", r->id);
		fprintf(f,
			"\t\t\t\"title\": \"Network test rule %s\",\n\t\t\t\"severity\": \"high\",\n",
			r->id);
		if (r->mode)
			fprintf(f, "\t\t\t\"mode\": \"%s\",\n", r->mode);
		fprintf(f, "\t\t\t\"direction\": \"%s\",\n\t\t\t\"protocol\": \"%s\",\n",
			r->direction, r->protocol);
		fprintf(f, "\t\t\t\"match\": { %s },\n", r->match);
		if (r->except)
			fprintf(f, "\t\t\t\"except\": [ %s ],\n", r->except);
		fprintf(f,
			"\t\t\t\"effect\": \"%s\",\n\t\t\t\"message\": { \"en\": \"The network "
			"test's rule matched.\" },\n\t\t\t\"remediation\": { \"en\": \"Nothing to "
			"do: this is a test.\" }\n\t\t}",
			r->effect);
	}
	fprintf(f, "\n\t]\n}\n");
	if (fclose(f) != 0)
		return harness_fail("Cannot build the policy text: %m");
	return harness_replace_file(e->policy, text);
}

/* The inside of a "match" naming a:port, in buf; returns buf. */
static const char *match_to(char *buf, size_t size, const struct harness_addr *a, uint16_t port)
{
	snprintf(buf, size, "\"address\": \"%s\", \"port\": %u", a->text, port);
	return buf;
}

/* The marker rule: a UDP datagram to a:port is reported. */
static struct rule_spec marker_rule(const struct harness_addr *a, uint16_t port, char *buf,
				    size_t size)
{
	return (struct rule_spec){
		"net-marker", NULL, "outbound", "udp", match_to(buf, size, a, port), NULL, "report"
	};
}

/* --- the agent ------------------------------------------------------------------- */

static int start_agent(const struct env *e, bool print_events, struct harness_agent **ret)
{
	struct harness_agent_opts o = { .config = e->config, .no_print_events = !print_events };

	return harness_agent_start(&o, ret);
}

/*
 * The agent with a policy (serial 1, enforce) of one rule, id, denying TCP
 * connects to A:port, where a listener of ours (*ret_fd) holds the port.
 */
static int start_one_deny(struct env *e, const char *id, const struct harness_addr *A, int *ret_fd,
			  uint16_t *ret_port, struct harness_agent **ret)
{
	char m[128];

	TRY(env_init(e));
	TRY(harness_sock_open(A, SOCK_STREAM, ret_fd, ret_port));
	const struct rule_spec rules[] = {
		{ id, NULL, "outbound", "tcp", match_to(m, sizeof(m), A, *ret_port), NULL, "deny" },
	};
	TRY(env_write_policy(e, "enforce", 1, rules, ELEMENTSOF(rules)));
	return start_agent(e, true, ret);
}

/* SIGHUP, and the policy of the given serial in force. */
static int reload_sighup(struct harness_agent *a, unsigned serial)
{
	char want[64];

	if (kill(a->pid, SIGHUP) < 0)
		return harness_fail("Cannot send SIGHUP to postured: %m");
	snprintf(want, sizeof(want), "(serial %u, ", serial);
	CHECK(harness_agent_wait_stderr(a, want, FINDING_TIMEOUT_MS) == 1,
	      "postured did not put the policy of serial %u in force after SIGHUP. Its stderr: %s",
	      serial, harness_agent_stderr(a));
	return 0;
}

/* --- clients ---------------------------------------------------------------------- */

struct client {
	pid_t pid; /* while it runs */
	pid_t was; /* its pid, for the findings */
	int in_fd; /* its stdin while held */
	unsigned long ok, eperm, refused, other;
	char line[128];
};

static void client_done(struct client *c)
{
	c->in_fd = safe_close(c->in_fd);
	harness_child_killp(&c->pid);
}

#define _cleanup_client_ _cleanup_(client_done)
#define CLIENT_INIT	 ((struct client){ .in_fd = -EBADF })

/* Reads the client's summary line from fd within timeout_ms. */
static int client_read_line(struct client *c, int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (memchr(c->line, '\n', have))
			break;
		if (left <= 0)
			return harness_fail("The client (pid %d) printed no result within %d ms",
					    (int)c->was, timeout_ms);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, c->line + have, sizeof(c->line) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return harness_fail("The client (pid %d) ended without its result line",
					    (int)c->was);
		have += (size_t)n;
		c->line[have] = '\0';
		if (have == sizeof(c->line) - 1)
			break;
	}
	c->line[strcspn(c->line, "\n")] = '\0';
	if (sscanf(c->line, "ok %lu eperm %lu refused %lu other %lu", &c->ok, &c->eperm,
		   &c->refused, &c->other) != 4)
		return harness_fail("The client printed \"%s\"", c->line);
	return 0;
}

/* The client's exit status must be that of its last call (net_client's usage). */
static int client_check_exit(const struct client *c, int status)
{
	int want = c->other ? 12 : c->refused ? 11 : c->eperm ? 10 : 0;
	char d[128];

	/* One call, or many with one outcome: the last call's is known. */
	if ((c->ok > 0) + (c->eperm > 0) + (c->refused > 0) + (c->other > 0) != 1)
		want = -1;
	CHECK(WIFEXITED(status) && (want < 0 || WEXITSTATUS(status) == want),
	      "the client (pid %d, \"%s\") ended with %s, expected exit status %d", (int)c->was,
	      c->line, harness_describe_status(status, d, sizeof(d)), want);
	return 0;
}

struct client_opts {
	const char *path; /* NULL: the env's copy */
	bool hold; /* keeps running until client_finish() */
	unsigned long count; /* 0: 1 */
	uid_t uid; /* 0: as we are */
	int timeout_ms; /* 0: CHILD_TIMEOUT_MS */
};

/*
 * Runs a client: `what` (tcp, udp, bind) to address:port, and waits for its
 * result line.  One not held has exited (and is reaped) when this returns.
 */
static int client_run(const struct env *e, const struct client_opts *co, const char *what,
		      const char *address, uint16_t port, struct client *c)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	const char *path = co->path ? co->path : e->client;
	_cleanup_close_ int out_r = -EBADF, out_w = -EBADF, in_r = -EBADF;
	char portbuf[16], countbuf[24];
	char *argv[10];
	int fds[2], n = 0, status;

	*c = CLIENT_INIT;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	out_r = fds[0];
	out_w = fds[1];
	if (co->hold) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return harness_fail("pipe2: %m");
		in_r = fds[0];
		c->in_fd = fds[1];
	}
	snprintf(portbuf, sizeof(portbuf), "%u", port);
	snprintf(countbuf, sizeof(countbuf), "%lu", co->count ? co->count : 1);
	argv[n++] = (char *)path;
	if (co->hold)
		argv[n++] = "--hold";
	argv[n++] = "--count";
	argv[n++] = countbuf;
	argv[n++] = (char *)what;
	argv[n++] = (char *)address;
	argv[n++] = portbuf;
	argv[n] = NULL;
	o.stdin_fd = co->hold ? in_r : -1;
	o.stdout_fd = out_w;
	if (co->uid != 0) {
		o.set_uid = true;
		o.uid = co->uid;
		o.gid = co->uid;
	}
	TRY(harness_spawn(path, argv, &o, &c->pid));
	c->was = c->pid;
	out_w = safe_close(out_w);
	in_r = safe_close(in_r);
	TRY(client_read_line(c, out_r, co->timeout_ms ? co->timeout_ms : CHILD_TIMEOUT_MS));
	if (co->hold)
		return 0;
	TRY(harness_wait_child(c->pid, CHILD_TIMEOUT_MS, &status));
	c->pid = 0;
	return client_check_exit(c, status);
}

/* Lets a held client end, and reaps it. */
static int client_finish(struct client *c)
{
	int status;

	c->in_fd = safe_close(c->in_fd);
	if (c->pid <= 0)
		return 0;
	TRY(harness_wait_child(c->pid, CHILD_TIMEOUT_MS, &status));
	c->pid = 0;
	return client_check_exit(c, status);
}

/* The client's one call: refused with EPERM, or gone through (ok). */
#define EXPECT_EPERM(c, what)                                                            \
	CHECK((c).eperm == 1 && (c).ok + (c).refused + (c).other == 0,                   \
	      "%s should have failed with EPERM; the client (pid %d) says \"%s\"", what, \
	      (int)(c).was, (c).line)
#define EXPECT_OK(c, what)                                                                        \
	CHECK((c).ok == 1 && (c).eperm + (c).refused + (c).other == 0,                            \
	      "%s should have gone through; the client (pid %d) says \"%s\"", what, (int)(c).was, \
	      (c).line)

/* --- findings ----------------------------------------------------------------------- */

struct net_wait {
	pid_t pid; /* the finding wanted is about this pid ... */
	const char *rule; /* ... under this rule */
	bool repeats; /* ... and sums up repeats (postured.network.repeats) */
	int timeout_ms; /* 0: FINDING_TIMEOUT_MS */
	pid_t forbid[4]; /* findings about these must not come before it */
	yajl_val found;
	unsigned seen;
	char seen_text[512];
	char forbidden[512];
};

static void append(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

static int net_event(yajl_val *ev, void *userdata)
{
	struct net_wait *w = userdata;
	const char *kind = harness_json_str(harness_json(*ev, "postured", "finding"));
	const char *rule = harness_json_str(harness_json(*ev, "postured", "rule_id"));
	long long pid = harness_finding_pid(*ev);

	if (!kind || strcmp(kind, "network") != 0)
		return 0;
	w->seen++;
	append(w->seen_text, sizeof(w->seen_text), "%s%s (pid %lld)", w->seen > 1 ? ", " : "",
	       rule ? rule : "?", pid);
	for (size_t i = 0; i < ELEMENTSOF(w->forbid); i++)
		if (w->forbid[i] > 0 && pid == w->forbid[i])
			append(w->forbidden, sizeof(w->forbidden), "%s%s (pid %lld)",
			       w->forbidden[0] ? ", " : "", rule ? rule : "?", pid);
	if (pid != w->pid || !rule || strcmp(rule, w->rule) != 0)
		return 0;
	if (w->repeats && !YAJL_IS_TRUE(harness_json(*ev, "postured", "network", "repeats")))
		return 0;
	w->found = TAKE_PTR(*ev);
	return 1;
}

/*
 * Waits for the network finding of rule about pid, and fails when one about
 * a pid of w->forbid came first.  *ret (may be NULL) is the caller's.
 */
static int wait_net(struct harness_agent *a, struct net_wait *w, yajl_val *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val found = NULL;
	int timeout_ms = w->timeout_ms ? w->timeout_ms : FINDING_TIMEOUT_MS;
	int r;

	r = harness_agent_wait(a, timeout_ms, NET_PREFILTER, net_event, w);
	found = w->found;
	w->found = NULL;
	if (r < 0 && r != -EPIPE)
		return harness_fail("Reading from postured: %s", strerror(-r));
	if (!found)
		return harness_fail("No network finding%s of rule %s about pid %d within %d ms "
				    "(%u other network findings: %s). Its stderr: %s",
				    w->repeats ? " of repeats" : "", w->rule, (int)w->pid,
				    timeout_ms, w->seen, w->seen ? w->seen_text : "none",
				    harness_agent_stderr(a));
	CHECK(!w->forbidden[0],
	      "Findings about calls that no rule matches came before that of rule %s about pid "
	      "%d: %s",
	      w->rule, (int)w->pid, w->forbidden);
	if (ret)
		*ret = TAKE_PTR(found);
	return 0;
}

/* Runs the marker client and waits for its finding; none about the pids in forbid may come first. */
static int expect_quiet(struct harness_agent *a, const struct env *e, const struct harness_addr *ma,
			uint16_t mport, const pid_t *forbid, size_t n_forbid)
{
	_cleanup_client_ struct client m = CLIENT_INIT;
	struct net_wait w = { .rule = "net-marker" };

	TRY(client_run(e, &(struct client_opts){}, "udp", ma->text, mport, &m));
	EXPECT_OK(m, "the marker datagram");
	w.pid = m.was;
	for (size_t i = 0; i < n_forbid && i < ELEMENTSOF(w.forbid); i++)
		w.forbid[i] = forbid[i];
	return wait_net(a, &w, NULL);
}

/* What a network finding must say. */
struct want {
	const char *rule;
	const char *action; /* postured.action: denied or reported */
	const char *mode; /* NULL: not checked */
	const char *direction; /* outbound or listen */
	const char *protocol; /* tcp or udp */
	const char *addr; /* the remote address (outbound) or the bound one (listen) */
	int ip_version; /* connection_info.protocol_ver_id; 0: not checked */
	uint16_t port;
	pid_t pid;
	const char *exe; /* evidences[0].process.file.path; NULL: not checked */
	unsigned serial; /* 0: not checked */
	const char *outcome; /* the TCP outcome counted, NULL: none */
	bool already_open;
};

static int expect_bool_at(const char *file, int line, yajl_val root, bool want, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	char p[256], d[256];

	if (want ? (v && YAJL_IS_TRUE(v)) : (!v || YAJL_IS_FALSE(v)))
		return 0;
	return harness_fail_at(file, line, "finding: expected %s %s, saw %s",
			       harness_json_path(path, p, sizeof(p)),
			       want ? "true" : "false or absent",
			       harness_json_describe(v, d, sizeof(d)));
}

#define EXPECT_JSON_BOOL(root, want, ...) \
	TRY(expect_bool_at(__FILE__, __LINE__, root, want, (const char *[]){ __VA_ARGS__, NULL }))

static int check_net(yajl_val f, const struct want *w)
{
	bool listen = strcmp(w->direction, "listen") == 0;
	bool denied = strcmp(w->action, "denied") == 0;
	yajl_val ev = harness_finding_evidence(f), outcomes;

	EXPECT_JSON_INT("finding", f, 2003, "class_uid");
	EXPECT_JSON_INT("finding", f, 200301, "type_uid");
	EXPECT_JSON_INT("finding", f, 3, "compliance", "status_id");
	EXPECT_JSON_STR("finding", f, "network", "postured", "finding");
	EXPECT_JSON_STR("finding", f, w->rule, "postured", "rule_id");
	EXPECT_JSON_STR("finding", f, w->rule, "finding_info", "analytic", "uid");
	EXPECT_JSON_STR("finding", f, POLICY_ID, "postured", "policy_id");
	if (w->serial)
		EXPECT_JSON_INT("finding", f, w->serial, "postured", "policy_serial");
	EXPECT_JSON_STR("finding", f, w->action, "postured", "action");
	EXPECT_JSON_STR("finding", f, denied ? "Denied" : "Allowed", "action");
	EXPECT_JSON_INT("finding", f, denied ? 2 : 17, "disposition_id");
	if (w->mode)
		EXPECT_JSON_STR("finding", f, w->mode, "postured", "mode");

	EXPECT_JSON_STR("finding", f, w->direction, "postured", "network", "direction");
	EXPECT_JSON_STR("finding", f, w->protocol, "postured", "network", "protocol");
	EXPECT_JSON_STR("finding", f, w->addr, "postured", "network",
			listen ? "local_address" : "remote_address");
	EXPECT_JSON_INT("finding", f, w->port, "postured", "network",
			listen ? "local_port" : "remote_port");
	EXPECT_JSON_INT("finding", f, 1, "postured", "network", "count");
	EXPECT_JSON_ABSENT("finding", f, "postured", "network", "repeats");
	EXPECT_JSON_BOOL(f, w->already_open, "postured", "network", "already_open");
	outcomes = harness_json(f, "postured", "network", "outcomes");
	if (w->outcome)
		EXPECT_JSON_INT("finding", f, 1, "postured", "network", "outcomes", w->outcome);
	CHECK(outcomes && YAJL_IS_OBJECT(outcomes) &&
		      outcomes->u.object.len == (w->outcome ? 1 : 0),
	      "finding: postured.network.outcomes should hold %s, it holds %zu",
	      w->outcome ? w->outcome : "nothing",
	      outcomes && YAJL_IS_OBJECT(outcomes) ? outcomes->u.object.len : 0);

	CHECK(ev, "the finding has no evidences[0]");
	EXPECT_JSON_STR("evidence", ev, w->protocol, "connection_info", "protocol_name");
	if (w->ip_version)
		EXPECT_JSON_INT("evidence", ev, w->ip_version, "connection_info",
				"protocol_ver_id");
	EXPECT_JSON_INT("evidence", ev, listen ? 1 : 2, "connection_info", "direction_id");
	EXPECT_JSON_STR("evidence", ev, w->addr, "dst_endpoint", "ip");
	EXPECT_JSON_INT("evidence", ev, w->port, "dst_endpoint", "port");
	EXPECT_JSON_INT("evidence", ev, w->pid, "process", "pid");
	if (w->exe)
		EXPECT_JSON_STR("evidence", ev, w->exe, "process", "file", "path");
	return 0;
}

/* Waits for the finding of w->rule about w->pid and checks it. */
static int expect_net(struct harness_agent *a, const struct want *w)
{
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	struct net_wait nw = { .pid = w->pid, .rule = w->rule };

	TRY(wait_net(a, &nw, &f));
	return check_net(f, w);
}

/* --- posturectl and the status socket -------------------------------------------------- */

/* `posturectl status --json` as root, parsed; *ret is the caller's. */
static int status_json(struct harness_agent *a, yajl_val *ret)
{
	_cleanup_free_ char *out = NULL;
	char err[256] = "", d[128];
	yajl_val v;
	int status;

	TRY(harness_ctl_run(
		a, 0, (const char *const[]){ "status", "--json", "--socket", a->status_path, NULL },
		&out, &status));
	/* 0: compliant, 1: not; 2: the agent could not be reached. */
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) <= 1,
	      "posturectl status --json ended with %s; it printed: %.300s",
	      harness_describe_status(status, d, sizeof(d)), out);
	v = yajl_tree_parse(out, err, sizeof(err));
	if (!v || !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return harness_fail("posturectl status --json printed no JSON object (%s): %.300s",
				    err, out);
	}
	*ret = v;
	return 0;
}

/* The state of rule id in `posturectl status --json`: passing or failing. */
static int expect_rule_state(struct harness_agent *a, const char *id, const char *want)
{
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	yajl_val rules;

	TRY(status_json(a, &st));
	rules = harness_json(st, "rules");
	CHECK(rules && YAJL_IS_ARRAY(rules), "posturectl status --json lists no rules");
	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val r = rules->u.array.values[i];
		const char *rid = harness_json_str(harness_json(r, "id"));

		if (!rid || strcmp(rid, id) != 0)
			continue;
		EXPECT_JSON_STR("posturectl status --json, rule", r, want, "state");
		if (strcmp(want, "failing") == 0)
			CHECK(harness_json(st, "compliant") &&
				      YAJL_IS_FALSE(harness_json(st, "compliant")),
			      "posturectl status --json says compliant while rule %s fails", id);
		return 0;
	}
	return harness_fail("posturectl status --json does not list rule %s", id);
}

/* The same, for a state that comes a moment later (the agent looks at listeners after a bind). */
static int wait_rule_state(struct harness_agent *a, const char *id, const char *want,
			   int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val st = NULL;
		yajl_val rules;

		TRY(status_json(a, &st));
		rules = harness_json(st, "rules");
		for (size_t i = 0; rules && YAJL_IS_ARRAY(rules) && i < rules->u.array.len; i++) {
			yajl_val r = rules->u.array.values[i];
			const char *rid = harness_json_str(harness_json(r, "id"));
			const char *state = harness_json_str(harness_json(r, "state"));

			if (rid && strcmp(rid, id) == 0 && state && strcmp(state, want) == 0)
				return expect_rule_state(a, id, want);
		}
		if (harness_now_ms() >= deadline)
			return expect_rule_state(a, id, want);
		usleep(100 * 1000);
	}
}

/* --- (1) outbound: enforce, monitor (rule and policy), allowed ------------------------ */

struct outbound_case {
	int family;
	const char *protocol;
};

/*
 * What the outbound tests of one family and protocol share: sockets of ours
 * on a denied port, a port under a deny rule in monitor mode, an allowed
 * port and the marker's; the policy (serial 1, enforce) naming them; and the
 * agent running it.  Only the last test of the group changes the policy.
 */
static struct outbound {
	const struct outbound_case *c;
	struct env e;
	struct harness_agent *a;
	struct harness_addr A;
	bool tcp;
	int ver;
	int fd_deny, fd_mon, fd_allowed, fd_marker;
	uint16_t p_deny, p_mon, p_allowed, p_marker;
	char m_deny[128], m_mon[128], m_marker[128];
	struct rule_spec rules[3];
} ob;

static int outbound_setup(const void *arg)
{
	const struct outbound_case *c = arg;
	int type;

	ob = (struct outbound){ .c = c,
				.fd_deny = -EBADF,
				.fd_mon = -EBADF,
				.fd_allowed = -EBADF,
				.fd_marker = -EBADF };
	ob.A = c->family == AF_INET ? harness_loopback4_random() : harness_addr_of("::1");
	ob.tcp = strcmp(c->protocol, "tcp") == 0;
	ob.ver = c->family == AF_INET ? 4 : 6;
	type = ob.tcp ? SOCK_STREAM : SOCK_DGRAM;
	TRY(env_init(&ob.e));
	/* A listener even where the call is refused: in monitor mode it goes through. */
	TRY(harness_sock_open(&ob.A, type, &ob.fd_deny, &ob.p_deny));
	TRY(harness_sock_open(&ob.A, type, &ob.fd_mon, &ob.p_mon));
	TRY(harness_sock_open(&ob.A, type, &ob.fd_allowed, &ob.p_allowed));
	TRY(harness_sock_open(&ob.A, SOCK_DGRAM, &ob.fd_marker, &ob.p_marker));
	ob.rules[0] = (struct rule_spec){ "net-deny",
					  NULL,
					  "outbound",
					  c->protocol,
					  match_to(ob.m_deny, sizeof(ob.m_deny), &ob.A, ob.p_deny),
					  NULL,
					  "deny" };
	ob.rules[1] = (struct rule_spec){ "net-monitor-rule",
					  "monitor",
					  "outbound",
					  c->protocol,
					  match_to(ob.m_mon, sizeof(ob.m_mon), &ob.A, ob.p_mon),
					  NULL,
					  "deny" };
	ob.rules[2] = marker_rule(&ob.A, ob.p_marker, ob.m_marker, sizeof(ob.m_marker));
	TRY(env_write_policy(&ob.e, "enforce", 1, ob.rules, ELEMENTSOF(ob.rules)));
	return start_agent(&ob.e, true, &ob.a);
}

static int outbound_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&ob.a);

	ob.fd_deny = safe_close(ob.fd_deny);
	ob.fd_mon = safe_close(ob.fd_mon);
	ob.fd_allowed = safe_close(ob.fd_allowed);
	ob.fd_marker = safe_close(ob.fd_marker);
	env_done(&ob.e);
	return r;
}

/*
 * A held client's call of the group's protocol to `to`:port, refused with
 * EPERM or let through, and its finding w; the call's direction,
 * protocol, address (written as IPv4, whatever to was), port, pid and
 * program are filled in.
 */
static int outbound_call(const char *to, uint16_t port, bool denied, const char *what,
			 struct want w)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(client_run(&ob.e, &(struct client_opts){ .hold = true }, ob.c->protocol, to, port,
		       &cl));
	if (denied)
		EXPECT_EPERM(cl, what);
	else
		EXPECT_OK(cl, what);
	w.direction = "outbound";
	w.protocol = ob.c->protocol;
	w.addr = ob.A.text;
	w.port = port;
	w.pid = cl.was;
	w.exe = ob.e.client;
	TRY(expect_net(ob.a, &w));
	return client_finish(&cl);
}

/* Enforce: EPERM for the program, and a finding that says so. */
static int test_outbound_denied(const void *arg)
{
	return outbound_call(ob.A.text, ob.p_deny, true, "the call to the denied destination",
			     (struct want){ .rule = "net-deny",
					    .action = "denied",
					    .mode = "enforce",
					    .ip_version = ob.ver,
					    .serial = 1 });
}

/* The same destination through an IPv6 socket, v4-mapped: judged (and written) as IPv4. */
static int test_outbound_v4mapped(const void *arg)
{
	char mapped[64];

	snprintf(mapped, sizeof(mapped), "::ffff:%s", ob.A.text);
	return outbound_call(mapped, ob.p_deny, true,
			     "the call to the denied destination, v4-mapped",
			     (struct want){ .rule = "net-deny", .action = "denied" });
}

/* A deny rule in monitor mode: the call goes through, and is reported. */
static int test_outbound_monitor_rule(const void *arg)
{
	return outbound_call(ob.A.text, ob.p_mon, false, "the call under a rule in monitor mode",
			     (struct want){ .rule = "net-monitor-rule",
					    .action = "reported",
					    .mode = "monitor",
					    .ip_version = ob.ver,
					    .outcome = ob.tcp ? "established" : NULL });
}

/* A destination no rule names: it goes through, and nothing is said about it. */
static int test_outbound_unnamed(const void *arg)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(client_run(&ob.e, &(struct client_opts){}, ob.c->protocol, ob.A.text, ob.p_allowed,
		       &cl));
	EXPECT_OK(cl, "the call to an allowed destination");
	return expect_quiet(ob.a, &ob.e, &ob.A, ob.p_marker, &cl.was, 1);
}

/* The whole policy in monitor mode (serial 2, by SIGHUP): the deny rule reports, the call goes through. */
static int test_outbound_monitor_policy(const void *arg)
{
	TRY(env_write_policy(&ob.e, "monitor", 2, ob.rules, ELEMENTSOF(ob.rules)));
	TRY(reload_sighup(ob.a, 2));
	return outbound_call(ob.A.text, ob.p_deny, false,
			     "the call to the destination denied in monitor mode",
			     (struct want){ .rule = "net-deny",
					    .action = "reported",
					    .mode = "monitor",
					    .ip_version = ob.ver,
					    .serial = 2,
					    .outcome = ob.tcp ? "established" : NULL });
}

/* --- (2) listen: one allow-list rule refuses 0.0.0.0 and lets loopback be ------------ */

/*
 * What the listen tests share: a port nobody uses, one allow-list rule "on
 * this port nothing listens but on loopback", the marker, and the agent.
 */
static struct listen_only {
	struct env e;
	struct harness_agent *a;
	struct harness_addr loopback;
	int fd_marker;
	uint16_t port, p_marker;
	bool refused; /* the binds to the any-addresses were refused and reported */
} lsn;

static int listen_setup(const void *arg)
{
	char m_listen[64], m_marker[128];

	lsn = (struct listen_only){ .loopback = harness_addr_of("127.0.0.1"), .fd_marker = -EBADF };
	TRY(env_init(&lsn.e));
	TRY(harness_free_port(&lsn.loopback, &lsn.port));
	TRY(harness_sock_open(&lsn.loopback, SOCK_DGRAM, &lsn.fd_marker, &lsn.p_marker));
	/* "Nothing listens on this port but on loopback" (the port keeps the machine's others out). */
	snprintf(m_listen, sizeof(m_listen), "\"port\": %u", lsn.port);
	const struct rule_spec rules[] = {
		{ "listen-loopback-only", NULL, "listen", "tcp", m_listen,
		  "{ \"address\": \"loopback\" }", "deny" },
		marker_rule(&lsn.loopback, lsn.p_marker, m_marker, sizeof(m_marker)),
	};
	TRY(env_write_policy(&lsn.e, "enforce", 1, rules, ELEMENTSOF(rules)));
	return start_agent(&lsn.e, true, &lsn.a);
}

static int listen_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&lsn.a);

	lsn.fd_marker = safe_close(lsn.fd_marker);
	env_done(&lsn.e);
	return r;
}

/* Binds to 0.0.0.0 and :: on the port: EPERM, and a finding each (once per fixture). */
static int listen_refuse_any(void)
{
	static const struct {
		const char *addr;
		int ip_version;
	} any[] = { { "0.0.0.0", 4 }, { "::", 6 } };

	if (lsn.refused)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(any); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		char what[64];

		snprintf(what, sizeof(what), "a bind to %s", any[i].addr);
		TRY(client_run(&lsn.e, &(struct client_opts){ .hold = true }, "bind", any[i].addr,
			       lsn.port, &cl));
		EXPECT_EPERM(cl, what);
		TRY(expect_net(lsn.a, &(struct want){ .rule = "listen-loopback-only",
						      .action = "denied",
						      .mode = "enforce",
						      .direction = "listen",
						      .protocol = "tcp",
						      .addr = any[i].addr,
						      .ip_version = any[i].ip_version,
						      .port = lsn.port,
						      .pid = cl.was,
						      .exe = lsn.e.client }));
		TRY(client_finish(&cl));
	}
	lsn.refused = true;
	return 0;
}

static int test_listen_any_refused(const void *arg)
{
	return listen_refuse_any();
}

/* Binds to 127.0.0.1 and ::1, which the rule excepts: they go through, nothing is said. */
static int test_listen_loopback_allowed(const void *arg)
{
	_cleanup_client_ struct client v4 = CLIENT_INIT, v6 = CLIENT_INIT;

	TRY(client_run(&lsn.e, &(struct client_opts){}, "bind", "127.0.0.1", lsn.port, &v4));
	EXPECT_OK(v4, "a bind to 127.0.0.1");
	TRY(client_run(&lsn.e, &(struct client_opts){}, "bind", "::1", lsn.port, &v6));
	EXPECT_OK(v6, "a bind to ::1");
	return expect_quiet(lsn.a, &lsn.e, &lsn.loopback, lsn.p_marker,
			    (const pid_t[]){ v4.was, v6.was }, 2);
}

/* Refused binds opened nothing: the rule passes. */
static int test_listen_refused_rule_passes(const void *arg)
{
	TRY(listen_refuse_any());
	return expect_rule_state(lsn.a, "listen-loopback-only", "passing");
}

/* --- (3) listeners: one older than the agent, failing while open --------------------- */

/* Closes a listener (its client ends), and has the agent judge the listeners again. */
enum rejudge {
	REJUDGE_SIGHUP, /* a new policy by SIGHUP */
	REJUDGE_RUN_CHECKS, /* root's run_checks request on the status socket */
	REJUDGE_RELOAD, /* root's reload request on the status socket */
};

static int rejudge(struct harness_agent *a, struct env *e, enum rejudge how, unsigned serial,
		   const struct rule_spec *rules, size_t n)
{
	_cleanup_(yajl_tree_freep) yajl_val answer = NULL;

	switch (how) {
	case REJUDGE_SIGHUP:
		TRY(env_write_policy(e, "enforce", serial, rules, n));
		return reload_sighup(a, serial);
	case REJUDGE_RUN_CHECKS:
		TRY(harness_status_result(a, "{\"id\": 1, \"method\": \"run_checks\"}\n", &answer));
		CHECK(harness_json(answer, "result", "checks"),
		      "the answer to run_checks has no \"checks\"");
		return 0;
	case REJUDGE_RELOAD:
		TRY(env_write_policy(e, "enforce", serial, rules, n));
		TRY(harness_status_result(a, "{\"id\": 1, \"method\": \"reload\"}\n", &answer));
		CHECK(harness_json(answer, "result", "reloaded") &&
			      YAJL_IS_TRUE(harness_json(answer, "result", "reloaded")),
		      "the reload request should have put the new policy in force");
		EXPECT_JSON_INT("reload answer", answer, serial, "result", "policy", "serial");
		return 0;
	}
	return harness_fail("No such way to judge the listeners again: %d", (int)how);
}

static const char *const rejudge_names[] = { "SIGHUP", "run_checks", "reload" };
static const enum rejudge rejudge_ways[] = { REJUDGE_SIGHUP, REJUDGE_RUN_CHECKS, REJUDGE_RELOAD };

/*
 * What the listener tests share: a port nobody uses, a report rule on it, a
 * listener of another program opened there before the agent started, and the
 * agent.  serial is the policy's in force.
 */
static struct listeners_open {
	struct env e;
	struct harness_agent *a;
	struct client old;
	struct harness_addr A;
	uint16_t port;
	unsigned serial;
	char m_listen[128];
	struct rule_spec rules[1];
	bool old_closed; /* the old listener closed and the rule judged passing again */
} lis;

static int listeners_setup(const void *arg)
{
	lis = (struct listeners_open){ .old = CLIENT_INIT,
				       .A = harness_loopback4_random(),
				       .serial = 1 };
	TRY(env_init(&lis.e));
	TRY(harness_free_port(&lis.A, &lis.port));
	lis.rules[0] =
		(struct rule_spec){ "listen-reported",
				    NULL,
				    "listen",
				    "tcp",
				    match_to(lis.m_listen, sizeof(lis.m_listen), &lis.A, lis.port),
				    NULL,
				    "report" };
	TRY(env_write_policy(&lis.e, "enforce", lis.serial, lis.rules, ELEMENTSOF(lis.rules)));

	/* A listener of another program, opened before the agent starts. */
	TRY(client_run(&lis.e, &(struct client_opts){ .hold = true }, "listen", lis.A.text,
		       lis.port, &lis.old));
	EXPECT_OK(lis.old, "listening before the agent starts");
	return start_agent(&lis.e, true, &lis.a);
}

static int listeners_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&lis.a);

	client_done(&lis.old);
	env_done(&lis.e);
	return r;
}

/* The finding that the listener of pid on the port was reported, under serial. */
static int expect_listener_reported(pid_t pid, unsigned serial, bool already_open)
{
	return expect_net(lis.a, &(struct want){ .rule = "listen-reported",
						 .action = "reported",
						 .direction = "listen",
						 .protocol = "tcp",
						 .addr = lis.A.text,
						 .ip_version = 4,
						 .port = lis.port,
						 .pid = pid,
						 .exe = lis.e.client,
						 .serial = serial,
						 .already_open = already_open });
}

/* The listener older than the agent is reported as already open, and fails the rule. */
static int test_listener_before_agent(const void *arg)
{
	TRY(expect_listener_reported(lis.old.was, 1, true));
	return expect_rule_state(lis.a, "listen-reported", "failing");
}

/* Closes the old listener and has the agent judge again by SIGHUP: the rule passes (once). */
static int listeners_close_old(void)
{
	if (lis.old_closed)
		return 0;
	TRY(client_finish(&lis.old));
	TRY(rejudge(lis.a, &lis.e, REJUDGE_SIGHUP, ++lis.serial, lis.rules, ELEMENTSOF(lis.rules)));
	TRY(expect_rule_state(lis.a, "listen-reported", "passing"));
	lis.old_closed = true;
	return 0;
}

static int test_listener_closed_passes(const void *arg)
{
	return listeners_close_old();
}

/*
 * Opened while the agent runs: the bind is reported, the rule fails once
 * the agent has seen the listener, and until it is judged again closed
 * (by the way arg names).
 */
static int test_listener_new_fails_until_judged(const void *arg)
{
	const enum rejudge how = *(const enum rejudge *)arg;
	_cleanup_client_ struct client cl = CLIENT_INIT;

	TRY(listeners_close_old());
	TRY(client_run(&lis.e, &(struct client_opts){ .hold = true }, "listen", lis.A.text,
		       lis.port, &cl));
	EXPECT_OK(cl, "listening while the agent runs");
	TRY(expect_listener_reported(cl.was, lis.serial, false));
	/* The agent looks at the listeners 2 s after a bind it reported. */
	TRY(wait_rule_state(lis.a, "listen-reported", "failing", 5000));
	TRY(client_finish(&cl));
	harness_note("closed, then judged again by %s", rejudge_names[how]);
	if (how != REJUDGE_RUN_CHECKS)
		lis.serial++;
	TRY(rejudge(lis.a, &lis.e, how, lis.serial, lis.rules, ELEMENTSOF(lis.rules)));
	return expect_rule_state(lis.a, "listen-reported", "passing");
}

/* --- (4) a rule scoped to one executable ------------------------------------------------ */

static int test_exe_scope(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd_path = -EBADF, fd_name = -EBADF, fd_marker = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	char other[PATH_MAX], m_path[PATH_MAX + 128], m_name[PATH_MAX + 128], m_marker[128];
	uint16_t p_path, p_name, p_marker;

	TRY(env_init(&e));
	TRY(env_copy_client(&e, other));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_path, &p_path));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_name, &p_name));
	TRY(harness_sock_open(&A, SOCK_DGRAM, &fd_marker, &p_marker));
	snprintf(m_path, sizeof(m_path), "\"path\": \"%s\", \"address\": \"%s\", \"port\": %u",
		 e.client, A.text, p_path);
	snprintf(m_name, sizeof(m_name), "\"name\": \"%s\", \"address\": \"%s\", \"port\": %u",
		 harness_basename(e.client), A.text, p_name);
	const struct rule_spec rules[] = {
		{ "net-path", NULL, "outbound", "tcp", m_path, NULL, "deny" },
		{ "net-name", NULL, "outbound", "tcp", m_name, NULL, "deny" },
		marker_rule(&A, p_marker, m_marker, sizeof(m_marker)),
	};
	TRY(env_write_policy(&e, "enforce", 1, rules, ELEMENTSOF(rules)));
	TRY(start_agent(&e, true, &a));

	static const char *const ids[] = { "net-path", "net-name" };
	const uint16_t ports[] = { p_path, p_name };
	pid_t others[ELEMENTSOF(ids)];

	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		char what[128];

		snprintf(what, sizeof(what), "the connect of the program rule %s names", ids[i]);
		TRY(client_run(&e, &(struct client_opts){ .hold = true }, "tcp", A.text, ports[i],
			       &cl));
		EXPECT_EPERM(cl, what);
		TRY(expect_net(a, &(struct want){ .rule = ids[i],
						  .action = "denied",
						  .mode = "enforce",
						  .direction = "outbound",
						  .protocol = "tcp",
						  .addr = A.text,
						  .ip_version = 4,
						  .port = ports[i],
						  .pid = cl.was,
						  .exe = e.client }));
		TRY(client_finish(&cl));
	}
	/* The same program at another path, under another name: left alone. */
	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		_cleanup_client_ struct client cl = CLIENT_INIT;
		char what[128];

		snprintf(what, sizeof(what), "the connect of a program rule %s does not name",
			 ids[i]);
		TRY(client_run(&e, &(struct client_opts){ .path = other }, "tcp", A.text, ports[i],
			       &cl));
		EXPECT_OK(cl, what);
		others[i] = cl.was;
	}
	TRY(expect_quiet(a, &e, &A, p_marker, others, ELEMENTSOF(others)));
	return harness_agent_stop_ok(a);
}

/* --- (5) a storm of denied connects: counted exactly ------------------------------------- */

struct storm_sum {
	pid_t pid;
	unsigned long long total, target;
	unsigned firsts, repeats;
	long long first_time, last_repeat_time; /* the findings' "time" (ms since the epoch) */
	unsigned bad;
	char bad_text[256];
};

static int storm_event(yajl_val *ev, void *userdata)
{
	struct storm_sum *s = userdata;
	const char *rule = harness_json_str(harness_json(*ev, "postured", "rule_id"));
	yajl_val repeats = harness_json(*ev, "postured", "network", "repeats");
	long long count, time = 0;

	if (!rule || strcmp(rule, "net-storm") != 0 || harness_finding_pid(*ev) != s->pid)
		return 0;
	(void)harness_json_int(harness_json(*ev, "time"), &time);
	if (!harness_json_int(harness_json(*ev, "postured", "network", "count"), &count) ||
	    count <= 0 || !harness_json_str(harness_json(*ev, "postured", "action")) ||
	    strcmp(harness_json_str(harness_json(*ev, "postured", "action")), "denied") != 0) {
		if (s->bad++ == 0)
			snprintf(s->bad_text, sizeof(s->bad_text),
				 "a finding without a positive count, or not \"denied\"");
		return 0;
	}
	s->total += (unsigned long long)count;
	if (repeats && YAJL_IS_TRUE(repeats)) {
		s->repeats++;
		s->last_repeat_time = MAX(s->last_repeat_time, time);
	} else {
		s->firsts++;
		if (!s->first_time)
			s->first_time = time;
		if (count != 1 && s->bad++ == 0)
			snprintf(s->bad_text, sizeof(s->bad_text),
				 "a first finding with count %lld, not 1", count);
	}
	return s->target && s->total >= s->target;
}

static int repeats_swept(struct harness_agent *a, const struct env *e, const struct harness_addr *A,
			 uint16_t port, unsigned long count, const char *rule);

static int test_storm(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	struct storm_sum s = {};
	long long lost, denied;
	unsigned long long at_target;
	int64_t begin, storm_ms, span_ms;
	uint16_t port;
	int r;

	TRY(start_one_deny(&e, "net-storm", &A, &fd, &port, &a));
	/* The storm comes while the agent sweeps, as it would on a laptop that has run a while. */
	TRY(repeats_swept(a, &e, &A, port, 2, "net-storm"));

	begin = harness_now_ms();
	TRY(client_run(&e,
		       &(struct client_opts){ .count = STORM_COUNT,
					      .timeout_ms = STORM_CHILD_TIMEOUT_MS },
		       "tcp", A.text, port, &cl));
	storm_ms = harness_now_ms() - begin;
	CHECK(cl.eperm == STORM_COUNT,
	      "every one of the %d connects should have failed with EPERM; the client says \"%s\"",
	      STORM_COUNT, cl.line);
	s.pid = cl.was;

	/* What the kernel could not hand on (its ring full) is counted, not silently gone. */
	TRY(status_json(a, &st));
	CHECK(harness_json_int(harness_json(st, "agent", "network", "records_lost"), &lost) &&
		      lost >= 0,
	      "posturectl status --json has no agent.network.records_lost");
	if (harness_json_int(harness_json(st, "agent", "network", "denied"), &denied))
		CHECK(denied >= STORM_COUNT,
		      "agent.network.denied is %lld after %d denied connects", denied, STORM_COUNT);
	s.target = STORM_COUNT - (unsigned long long)lost;
	r = harness_agent_wait(a, STORM_COLLECT_MS, NET_PREFILTER, storm_event, &s);
	if (r < 0 && r != -EPIPE)
		return harness_fail("Reading from postured: %s", strerror(-r));
	at_target = s.total;
	/* From the first connect's finding to the last repeats collected, as the agent dated them. */
	span_ms = s.last_repeat_time && s.first_time ? s.last_repeat_time - s.first_time : 0;
	/* Whatever comes until it exits must not count any connect twice. */
	s.target = 0;
	TRY(harness_agent_stop(a, HARNESS_STOP_TIMEOUT_MS, NET_PREFILTER, storm_event, &s));
	harness_note("%d denied connects in %.2f s; findings: %u first (count 1) + %u of repeats "
		     "over %.1f s, counts adding up to %llu (%llu when the storm was complete); "
		     "%lld lost",
		     STORM_COUNT, (double)storm_ms / 1000.0, s.firsts, s.repeats,
		     (double)span_ms / 1000.0, s.total, at_target, lost);
	CHECK(s.bad == 0, "%u findings of the storm are malformed: %s", s.bad, s.bad_text);
	CHECK(at_target == STORM_COUNT - (unsigned long long)lost,
	      "within %d ms of the storm the findings' counts added up to %llu; with %lld lost "
	      "they should add up to %llu",
	      STORM_COLLECT_MS, at_target, lost, STORM_COUNT - (unsigned long long)lost);
	CHECK(s.total == at_target,
	      "after the counts added up, findings counted %llu more connects than were made",
	      s.total - at_target);
	CHECK(lost == 0, "%lld records were lost in a storm to one destination", lost);
	CHECK(s.firsts == 1, "%u findings of the storm are not of repeats; expected 1 (the first)",
	      s.firsts);
	/* Repeats are collected every 10 s: a handful of findings, not one per connect or sweep. */
	CHECK(s.repeats <= span_ms / SWEEP_INTERVAL_MS + 2,
	      "%u findings of repeats within %.1f s: the agent should collect the kernel's counts "
	      "every %d s",
	      s.repeats, (double)span_ms / 1000.0, SWEEP_INTERVAL_MS / 1000);
	return harness_agent_stop_ok(a);
}

/* --- (6) SIGHUP: new network rules take effect ----------------------------------------- */

static int test_reload(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd_x = -EBADF, fd_y = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	char m_x[128], m_y[128];
	uint16_t p_x, p_y;

	TRY(env_init(&e));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_x, &p_x));
	TRY(harness_sock_open(&A, SOCK_STREAM, &fd_y, &p_y));
	const struct rule_spec deny_x[] = { { "deny-x", NULL, "outbound", "tcp",
					      match_to(m_x, sizeof(m_x), &A, p_x), NULL, "deny" } };
	const struct rule_spec deny_y[] = { { "deny-y", NULL, "outbound", "tcp",
					      match_to(m_y, sizeof(m_y), &A, p_y), NULL, "deny" } };
	TRY(env_write_policy(&e, "enforce", 1, deny_x, 1));
	TRY(start_agent(&e, true, &a));

	/* Serial 1: y goes through, x is refused (its finding also shows y raised none). */
	for (unsigned serial = 1; serial <= 2; serial++) {
		_cleanup_client_ struct client ok = CLIENT_INIT, no = CLIENT_INIT;
		const char *rule = serial == 1 ? "deny-x" : "deny-y";
		uint16_t p_ok = serial == 1 ? p_y : p_x, p_no = serial == 1 ? p_x : p_y;
		struct net_wait w = { .rule = rule };
		_cleanup_(yajl_tree_freep) yajl_val f = NULL;
		char what[96];

		if (serial == 2) {
			TRY(env_write_policy(&e, "enforce", 2, deny_y, 1));
			TRY(reload_sighup(a, 2));
		}
		snprintf(what, sizeof(what), "under serial %u, the connect to port %u", serial,
			 p_ok);
		TRY(client_run(&e, &(struct client_opts){}, "tcp", A.text, p_ok, &ok));
		EXPECT_OK(ok, what);
		snprintf(what, sizeof(what), "under serial %u, the connect to port %u", serial,
			 p_no);
		TRY(client_run(&e, &(struct client_opts){ .hold = true }, "tcp", A.text, p_no,
			       &no));
		EXPECT_EPERM(no, what);
		w.pid = no.was;
		w.forbid[0] = ok.was;
		TRY(wait_net(a, &w, &f));
		TRY(check_net(f, &(struct want){ .rule = rule,
						 .action = "denied",
						 .mode = "enforce",
						 .direction = "outbound",
						 .protocol = "tcp",
						 .addr = A.text,
						 .ip_version = 4,
						 .port = p_no,
						 .pid = no.was,
						 .exe = e.client,
						 .serial = serial }));
		TRY(client_finish(&no));
	}
	return harness_agent_stop_ok(a);
}

/* --- (7) a user sees their own network findings, not root's ---------------------------- */

/* The pids of the network findings `posturectl events --json` shows uid; each must be uid's. */
static int events_pids(struct harness_agent *a, uid_t uid, pid_t *pids, size_t max, size_t *ret_n)
{
	_cleanup_free_ char *out = NULL;
	char *line, *save = NULL, d[128], want_uid[16];
	size_t n = 0;
	int status;

	TRY(harness_ctl_run(a, uid,
			    (const char *const[]){ "events", "--json", "--socket", a->status_path,
						   NULL },
			    &out, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "posturectl events --json as uid %u ended with %s; it printed: %.300s", (unsigned)uid,
	      harness_describe_status(status, d, sizeof(d)), out);
	snprintf(want_uid, sizeof(want_uid), "%u", (unsigned)uid);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		_cleanup_(yajl_tree_freep) yajl_val f = NULL;
		const char *kind, *owner;
		char err[256] = "";

		f = yajl_tree_parse(line, err, sizeof(err));
		CHECK(f && YAJL_IS_OBJECT(f), "posturectl events --json printed \"%.200s\" (%s)",
		      line, err);
		kind = harness_json_str(harness_json(f, "postured", "finding"));
		if (!kind || strcmp(kind, "network") != 0)
			continue;
		owner = harness_json_str(
			harness_json(harness_finding_evidence(f), "process", "user", "uid"));
		if (uid != 0)
			CHECK(owner && strcmp(owner, want_uid) == 0,
			      "posturectl events as uid %u shows a network finding about a process "
			      "of uid %s",
			      (unsigned)uid, owner ? owner : "(none)");
		if (n < max)
			pids[n++] = (pid_t)harness_finding_pid(f);
	}
	*ret_n = n;
	return 0;
}

static bool pids_have(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

static int test_user_sees_own(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_client_ struct client mine = CLIENT_INIT, roots = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	pid_t pids[64];
	uint16_t port;
	size_t n;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));

	TRY(client_run(&e, &(struct client_opts){ .uid = NOBODY }, "tcp", A.text, port, &mine));
	EXPECT_EPERM(mine, "the connect of uid 65534");
	TRY(client_run(&e, &(struct client_opts){}, "tcp", A.text, port, &roots));
	EXPECT_EPERM(roots, "root's connect");
	/* Printed, so kept for the status socket too (the agent hands them there first). */
	TRY(wait_net(a, &(struct net_wait){ .pid = mine.was, .rule = "net-deny" }, NULL));
	TRY(wait_net(a, &(struct net_wait){ .pid = roots.was, .rule = "net-deny" }, NULL));

	TRY(events_pids(a, NOBODY, pids, ELEMENTSOF(pids), &n));
	CHECK(pids_have(pids, n, mine.was),
	      "posturectl events as uid %d does not show the finding about its own pid %d", NOBODY,
	      (int)mine.was);
	CHECK(!pids_have(pids, n, roots.was),
	      "posturectl events as uid %d shows the finding about root's pid %d", NOBODY,
	      (int)roots.was);
	/* Root sees both: what uid 65534 does not see was there to see. */
	TRY(events_pids(a, 0, pids, ELEMENTSOF(pids), &n));
	CHECK(pids_have(pids, n, mine.was) && pids_have(pids, n, roots.was),
	      "posturectl events as root should show both findings (pids %d and %d)", (int)mine.was,
	      (int)roots.was);
	return harness_agent_stop_ok(a);
}

/* --- (8) a client gone before the agent looks; the agent between sweeps ----------------- */

/*
 * A client that exited before the agent read its record is still named by
 * its executable: the agent knows it from the process probe.  The agent is
 * stopped (SIGSTOP) while the client connects, exits and is reaped, so this
 * does not depend on who wins the race.  The kernel refuses the connect all
 * the same.
 */
static int test_gone_client_named(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	uint16_t port;
	int r;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));

	if (kill(a->pid, SIGSTOP) < 0)
		return harness_fail("Cannot stop postured: %m");
	r = client_run(&e, &(struct client_opts){}, "tcp", A.text, port, &cl);
	if (kill(a->pid, SIGCONT) < 0)
		return harness_fail("Cannot continue postured: %m");
	TRY(r);
	EXPECT_EPERM(cl, "the connect while postured was stopped");
	TRY(wait_net(a, &(struct net_wait){ .pid = cl.was, .rule = "net-deny" }, &f));
	TRY(check_net(f, &(struct want){ .rule = "net-deny",
					 .action = "denied",
					 .mode = "enforce",
					 .direction = "outbound",
					 .protocol = "tcp",
					 .addr = A.text,
					 .ip_version = 4,
					 .port = port,
					 .pid = cl.was }));
	/*
	 * The program is gone before the agent could read /proc/PID/exe, and
	 * the kernel's record carries only its inode and comm (a known limit,
	 * docs/events.md): the finding names it by pid and name, and has the
	 * right path or none, never another program's.
	 */
	{
		yajl_val proc = harness_json(harness_finding_evidence(f), "process");
		const char *name = harness_json_str(harness_json(proc, "name"));
		const char *path = harness_json_str(harness_json(proc, "file", "path"));
		char comm[16];

		snprintf(comm, sizeof(comm), "%.15s", harness_basename(e.client));
		CHECK(name && strcmp(name, comm) == 0, "the gone client is named %s, not %s", comm,
		      name ? name : "(nothing)");
		CHECK(!path || strcmp(path, e.client) == 0,
		      "the gone client's path is %s or absent, not %s", e.client, path);
	}
	return harness_agent_stop_ok(a);
}

/* How often pid was scheduled in (voluntary and involuntary switches): its wake-ups. */
static int ctx_switches(pid_t pid, long long *ret)
{
	_cleanup_free_ char *text = NULL;
	const char *p, *q;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	TRY(harness_read_text(path, &text));
	p = strstr(text, "\nvoluntary_ctxt_switches:");
	q = strstr(text, "\nnonvoluntary_ctxt_switches:");
	if (!p || !q)
		return harness_fail("Cannot find the context switches in %s", path);
	*ret = strtoll(p + strlen("\nvoluntary_ctxt_switches:"), NULL, 10) +
	       strtoll(q + strlen("\nnonvoluntary_ctxt_switches:"), NULL, 10);
	return 0;
}

/*
 * Runs `count` denied connects in one client and waits for the finding that
 * sums up its repeats: the agent's first sweep, at most an interval away.
 */
static int repeats_swept(struct harness_agent *a, const struct env *e, const struct harness_addr *A,
			 uint16_t port, unsigned long count, const char *rule)
{
	_cleanup_client_ struct client cl = CLIENT_INIT;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;

	TRY(client_run(e, &(struct client_opts){ .count = count }, "tcp", A->text, port, &cl));
	CHECK(cl.eperm == count,
	      "the %lu connects should have failed with EPERM; the client says \"%s\"", count,
	      cl.line);
	TRY(wait_net(a,
		     &(struct net_wait){ .pid = cl.was,
					 .rule = rule,
					 .repeats = true,
					 .timeout_ms = SWEEP_INTERVAL_MS + 5000 },
		     &f));
	EXPECT_JSON_INT("finding of repeats", f, (long long)count - 1, "postured", "network",
			"count");
	return 0;
}

/* While the kernel counts repeats of a key, the agent waits for its next sweep, idle. */
static int test_idle_between_sweeps(const void *arg)
{
	_cleanup_env_ struct env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct harness_addr A = harness_loopback4_random();
	long long before, after;
	uint16_t port;

	TRY(start_one_deny(&e, "net-deny", &A, &fd, &port, &a));
	/* After its first sweep the key stays in the kernel until idle for two intervals. */
	TRY(repeats_swept(a, &e, &A, port, 3, "net-deny"));
	TRY(ctx_switches(a->pid, &before));
	usleep(IDLE_WINDOW_MS * 1000);
	TRY(ctx_switches(a->pid, &after));
	harness_note("postured woke %lld times in %d ms after its first sweep", after - before,
		     IDLE_WINDOW_MS);
	CHECK(after - before <= IDLE_WAKEUPS_MAX,
	      "postured woke %lld times in %d ms with nothing to do but wait for its next "
	      "sweep of the kernel's counts (every %d s)",
	      after - before, IDLE_WINDOW_MS, SWEEP_INTERVAL_MS / 1000);
	return harness_agent_stop_ok(a);
}

static const struct outbound_case outbound_cases[] = {
	{ AF_INET, "tcp" },
	{ AF_INET, "udp" },
	{ AF_INET6, "tcp" },
	{ AF_INET6, "udp" },
};

static const struct harness_fixture outbound_fixtures[] = {
	{ "outbound_tcp_ipv4", outbound_setup, outbound_teardown, &outbound_cases[0] },
	{ "outbound_udp_ipv4", outbound_setup, outbound_teardown, &outbound_cases[1] },
	{ "outbound_tcp_ipv6", outbound_setup, outbound_teardown, &outbound_cases[2] },
	{ "outbound_udp_ipv6", outbound_setup, outbound_teardown, &outbound_cases[3] },
};

static const struct harness_fixture listen_fixture = { "listen_loopback_only", listen_setup,
						       listen_teardown, NULL };
static const struct harness_fixture listeners_fixture = { "listeners_open", listeners_setup,
							  listeners_teardown, NULL };

/* The tests of an outbound group after the first: the monitor-mode rule, the unnamed, the policy. */
#define OUTBOUND_REST(name, fx)                                                                   \
	HARNESS_FIXTURE_TEST(name "/monitor_rule_reports_not_denies", test_outbound_monitor_rule, \
			     NULL, fx),                                                           \
		HARNESS_FIXTURE_TEST(name "/unnamed_destination_passes_unreported",               \
				     test_outbound_unnamed, NULL, fx),                            \
		HARNESS_FIXTURE_TEST(name "/monitor_policy_reports_not_denies",                   \
				     test_outbound_monitor_policy, NULL, fx)
#define OUTBOUND_DENIED(name, fx) \
	HARNESS_FIXTURE_TEST(name "/denied_in_enforce", test_outbound_denied, NULL, fx)
/* IPv4's groups try the denied destination v4-mapped too. */
#define OUTBOUND_TESTS_IPV4(name, fx)                                                         \
	OUTBOUND_DENIED(name, fx),                                                            \
		HARNESS_FIXTURE_TEST(name "/v4mapped_denied_as_ipv4", test_outbound_v4mapped, \
				     NULL, fx),                                               \
		OUTBOUND_REST(name, fx)
#define OUTBOUND_TESTS_IPV6(name, fx) OUTBOUND_DENIED(name, fx), OUTBOUND_REST(name, fx)

static const struct harness_test tests[] = {
	OUTBOUND_TESTS_IPV4("outbound_tcp_ipv4", &outbound_fixtures[0]),
	OUTBOUND_TESTS_IPV4("outbound_udp_ipv4", &outbound_fixtures[1]),
	OUTBOUND_TESTS_IPV6("outbound_tcp_ipv6", &outbound_fixtures[2]),
	OUTBOUND_TESTS_IPV6("outbound_udp_ipv6", &outbound_fixtures[3]),
	HARNESS_FIXTURE_TEST("listen_loopback_only/any_address_bind_refused",
			     test_listen_any_refused, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listen_loopback_only/loopback_bind_allowed_unreported",
			     test_listen_loopback_allowed, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listen_loopback_only/refused_binds_leave_rule_passing",
			     test_listen_refused_rule_passes, NULL, &listen_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/listener_before_agent_reported_failing",
			     test_listener_before_agent, NULL, &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/closed_listener_passes_after_sighup",
			     test_listener_closed_passes, NULL, &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_sighup",
			     test_listener_new_fails_until_judged, &rejudge_ways[0],
			     &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_run_checks",
			     test_listener_new_fails_until_judged, &rejudge_ways[1],
			     &listeners_fixture),
	HARNESS_FIXTURE_TEST("listeners_open/new_listener_fails_until_reload",
			     test_listener_new_fails_until_judged, &rejudge_ways[2],
			     &listeners_fixture),
	HARNESS_TEST("rule_scoped_to_executable", test_exe_scope, NULL),
	HARNESS_TEST("storm_50000_counted_exactly", test_storm, NULL),
	HARNESS_TEST("sighup_replaces_network_rules", test_reload, NULL),
	HARNESS_TEST("user_sees_own_network_findings", test_user_sees_own, NULL),
	HARNESS_TEST("client_gone_before_agent_looked_named", test_gone_client_named, NULL),
	HARNESS_TEST("agent_idle_between_sweeps", test_idle_between_sweeps, NULL),
};

HARNESS_MAIN(tests)
