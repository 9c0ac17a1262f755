// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket (docs/status-socket.md) of the real daemon in the real
 * kernel: each test writes a deny policy (tests/fixtures/agent-policies/
 * deny.json.in) about a uniquely named copy of tests/helpers/write_marker,
 * starts build/postured with its own socket, runs the copy as root or as
 * uid 65534, and asks the socket as root and as uid 65534 what it sees.
 * An unprivileged client is a forked child that becomes 65534, connects, and
 * relays bytes between the socket and pipes of ours, so the test talks to it
 * like to any other connection.  The tests that ask one agent several
 * things share it (and its connections) through a fixture, a scene, each
 * test named for the one answer it checks.  Needs root; tests/run-integration
 * runs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A finding must be printed, and an answer or event arrive, within this long. */
#define FINDING_TIMEOUT_MS 3000
#define ANSWER_TIMEOUT_MS  3000
#define EVENT_TIMEOUT_MS   3000
#define CHILD_TIMEOUT_MS   5000
/* How long a copy that must be seen running keeps running (write_marker's SECONDS). */
#define SLEEP_SECONDS "30"
#define NOBODY	      65534
/* The agent's limits (agent/postured/status.h), as the protocol documents them. */
#define CLIENTS_MAX 64
#define PENDING_MAX (1024 * 1024)
#define REQUEST_MAX 4096
/* Killed copies for the slow client: each makes a finding of about 3 KB. */
#define STORM_RUNS "900"

#define POLICY_ID  "policy-enforce-it"
#define RULE_ID	   "deny-marker"

/* --- a test's files ------------------------------------------------------------ */

/* The copy of write_marker named <prefix>-<8 hex digits>, and the deny policy on it in mode. */
static int env_init(struct harness_policy_env *e, const char *prefix, const char *mode)
{
	TRY(harness_policy_env_init(e, prefix));
	return harness_policy_env_deny(e, mode, 1, NULL);
}

/* --- the agent ----------------------------------------------------------------- */

static int start_agent(const struct harness_policy_env *e, bool print_events,
		       struct harness_agent **ret)
{
	struct harness_agent_opts o = {
		.config = e->config,
		.no_print_events = !print_events,
	};

	return harness_agent_start(&o, ret);
}

/* The agent must still be running (it may not have died of a client). */
static int expect_alive(struct harness_agent *a)
{
	char d[128];

	(void)harness_agent_pump(a, 0);
	CHECK(!a->exited, "postured died (%s). Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	return 0;
}

/*
 * Waits for the agent to print the process_denied finding about pid: by then
 * the status socket has it too (the agent hands it there before printing).
 */
static int wait_finding(struct harness_agent *a, pid_t pid)
{
	return harness_wait_finding(a, "process_denied", pid, FINDING_TIMEOUT_MS, NULL);
}

/* --- children ------------------------------------------------------------------ */

/*
 * Starts the copy as uid (0: as we are) with a marker nobody needs to look at
 * (/dev/null: any user may open it) and, when given, a sleep.
 */
static int run_copy(const struct harness_policy_env *e, uid_t uid, const char *sleep_seconds,
		    pid_t *ret_pid)
{
	char *argv[] = { (char *)e->prog, "/dev/null", (char *)sleep_seconds, NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

	if (uid != 0) {
		o.set_uid = true;
		o.uid = uid;
		o.gid = uid;
	}
	return harness_spawn(e->prog, argv, &o, ret_pid);
}

/* Runs the copy as uid to its end (exit 0: monitor mode) and waits for its finding. */
static int run_copy_seen(struct harness_agent *a, const struct harness_policy_env *e, uid_t uid,
			 pid_t *ret_pid)
{
	_cleanup_child_ pid_t child = 0;
	char d[128];
	int status;
	pid_t pid;

	TRY(run_copy(e, uid, NULL, &child));
	pid = child;
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	child = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s as uid %u should have run to its end; it ended with %s", e->prog, (unsigned)uid,
	      harness_describe_status(status, d, sizeof(d)));
	TRY(wait_finding(a, pid));
	*ret_pid = pid;
	return 0;
}

/* --- connections --------------------------------------------------------------- */

/*
 * A connection to the status socket: for root, the socket itself (rfd ==
 * wfd); for another user, the pipes of a relay child that connected as that
 * user.  Lines arrive in buf; events seen while waiting for an answer are
 * counted.
 */
struct conn {
	int rfd, wfd;
	pid_t relay;
	char *buf;
	size_t len, cap;
	bool eof;
	unsigned status_events, finding_events;
};

static void conn_close(struct conn *c)
{
	if (c->wfd >= 0 && c->wfd != c->rfd)
		safe_close(c->wfd);
	safe_close(c->rfd);
	c->rfd = c->wfd = -EBADF;
	harness_child_killp(&c->relay);
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

#define _cleanup_conn_ _cleanup_(conn_close)
#define CONN_INIT      ((struct conn){ .rfd = -EBADF, .wfd = -EBADF })

static int conn_open(struct harness_agent *a, struct conn *c)
{
	int fd = harness_status_connect(a->status_path, 0);

	*c = CONN_INIT;
	if (fd < 0)
		return harness_fail("Cannot connect to %s: %s", a->status_path, strerror(-fd));
	c->rfd = c->wfd = fd;
	return 0;
}

/* In the relay child (stdin and stdout are the pipes): copies bytes both ways until EOF. */
static void relay_run(const char *path)
{
	struct pollfd p[2];
	char buf[65536];
	int fd, r;

	r = harness_become(NOBODY, NOBODY);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (r < 0)
		_exit(10);
	fd = harness_status_connect(path, 0);
	if (fd < 0) {
		dprintf(STDOUT_FILENO, "{\"relay\":\"failed\",\"errno\":%d}\n", -fd);
		_exit(11);
	}
	dprintf(STDOUT_FILENO, "{\"relay\":\"connected\",\"uid\":%u}\n", (unsigned)getuid());
	p[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(12);
		}
		for (int i = 0; i < 2; i++) {
			int to = i == 0 ? fd : STDOUT_FILENO;

			if (!p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0)
				_exit(0);
			for (ssize_t off = 0; off < n;) {
				ssize_t k = write(to, buf + off, (size_t)(n - off));

				if (k <= 0)
					_exit(13);
				off += k;
			}
		}
	}
}

static int conn_read_line(struct conn *c, int timeout_ms, char **ret);

/* A connection as uid 65534: a child that becomes it, connects, and relays. */
static int conn_open_nobody(struct harness_agent *a, struct conn *c)
{
	int to_child[2], from_child[2];
	pid_t parent = getpid();
	char *line = NULL;
	int r;

	*c = CONN_INIT;
	if (pipe2(to_child, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	if (pipe2(from_child, O_CLOEXEC) < 0) {
		safe_close(to_child[0]);
		safe_close(to_child[1]);
		return harness_fail("pipe2: %m");
	}
	fflush(stdout);
	c->relay = fork();
	if (c->relay < 0) {
		c->relay = 0;
		r = harness_fail("fork: %m");
	} else if (c->relay == 0) {
		harness_child_setup(parent, to_child[0], from_child[1], -1);
		relay_run(a->status_path);
		_exit(0);
	} else {
		r = 0;
	}
	safe_close(to_child[0]);
	safe_close(from_child[1]);
	c->wfd = to_child[1];
	c->rfd = from_child[0];
	if (r < 0)
		return r;
	r = conn_read_line(c, ANSWER_TIMEOUT_MS, &line);
	if (r <= 0)
		return harness_fail("The uid %d client did not connect within %d ms (%s)", NOBODY,
				    ANSWER_TIMEOUT_MS, r == 0 ? "timeout" : "it ended");
	if (!strstr(line, "\"connected\"")) {
		r = harness_fail("The uid %d client could not connect to %s: %s", NOBODY,
				 a->status_path, line);
		free(line);
		return r;
	}
	free(line);
	return 0;
}

static int conn_send(struct conn *c, const char *text)
{
	size_t len = strlen(text);

	for (size_t off = 0; off < len;) {
		ssize_t n = send(c->wfd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(c->wfd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return harness_fail("Cannot send a request: %m");
		off += (size_t)n;
	}
	return 0;
}

/*
 * The next line from c (without its newline; *ret is the caller's).  Returns 1
 * with a line, 0 on timeout, -EPIPE when the connection ended first.
 */
static int conn_read_line(struct conn *c, int timeout_ms, char **ret)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd p = { .fd = c->rfd, .events = POLLIN };
		int64_t left;
		ssize_t n;

		if (nl) {
			size_t k = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, k);

			if (!line)
				return -ENOMEM;
			memmove(c->buf, nl + 1, c->len - k - 1);
			c->len -= k + 1;
			*ret = line;
			return 1;
		}
		if (c->eof)
			return -EPIPE;
		left = deadline - harness_now_ms();
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		if (c->cap - c->len < 65536) {
			char *b = realloc(c->buf, c->cap + 262144);

			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap += 262144;
		}
		n = read(c->rfd, c->buf + c->len, c->cap - c->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			c->eof = true;
		else
			c->len += (size_t)n;
	}
}

/* The next line, parsed; it must be a JSON object. */
static int conn_read_json(struct conn *c, int timeout_ms, const char *what, yajl_val *ret)
{
	_cleanup_free_ char *line = NULL;
	char err[256];
	yajl_val v;
	int r;

	r = conn_read_line(c, timeout_ms, &line);
	if (r == 0)
		return harness_fail("No %s within %d ms", what, timeout_ms);
	if (r < 0)
		return harness_fail("The connection ended while waiting for %s: %s", what,
				    strerror(-r));
	v = yajl_tree_parse(line, err, sizeof(err));
	if (!v || !YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		return harness_fail("%s is not a JSON object: %.300s", what, line);
	}
	*ret = v;
	return 0;
}

/* Sends a request line and returns the answer, counting the events that came before it. */
static int conn_request(struct conn *c, const char *request, yajl_val *ret)
{
	TRY(conn_send(c, request));
	for (;;) {
		yajl_val v = NULL;
		const char *ev;

		char what[160];

		if (strlen(request) > 100)
			snprintf(what, sizeof(what), "an answer to a %zu-byte line",
				 strlen(request));
		else
			snprintf(what, sizeof(what), "an answer to %.*s",
				 (int)strcspn(request, "\n"), request);
		TRY(conn_read_json(c, ANSWER_TIMEOUT_MS, what, &v));
		ev = harness_json_str(harness_json(v, "event"));
		if (!ev) {
			*ret = v;
			return 0;
		}
		if (strcmp(ev, "status") == 0)
			c->status_events++;
		else if (strcmp(ev, "finding") == 0)
			c->finding_events++;
		yajl_tree_free(v);
	}
}

/*
 * What conn_wait_event() waits for: an event ("status", or "finding" about
 * pid).  Other events pass by (and are counted); passed lists the pids of the
 * findings that passed by, for what must not have been seen.
 */
struct event_wait {
	const char *event;
	pid_t pid; /* a finding's evidence pid */
	long long passed[64];
	unsigned n_passed;
};

static int conn_wait_event(struct conn *c, struct event_wait *w, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val v = NULL;
		_cleanup_free_ char *line = NULL;
		int64_t left = deadline - harness_now_ms();
		const char *ev;
		char err[256];
		int r;

		r = conn_read_line(c, left > 0 ? (int)left : 0, &line);
		if (r == 0)
			return harness_fail("No {\"event\":\"%s\"} within %d ms (%u findings of "
					    "other processes passed by)",
					    w->event, timeout_ms, w->n_passed);
		if (r < 0)
			return harness_fail("The connection ended while waiting for an event: %s",
					    strerror(-r));
		v = yajl_tree_parse(line, err, sizeof(err));
		ev = harness_json_str(harness_json(v, "event"));
		CHECK(ev, "a subscribed connection got a line that is not an event: %.300s", line);
		if (strcmp(ev, "status") == 0)
			c->status_events++;
		else if (strcmp(ev, "finding") == 0) {
			long long pid = harness_finding_pid(harness_json(v, "finding"));

			c->finding_events++;
			if (strcmp(w->event, "finding") == 0 && pid == w->pid)
				return 0;
			if (w->n_passed < ELEMENTSOF(w->passed))
				w->passed[w->n_passed++] = pid;
			continue;
		}
		if (strcmp(ev, w->event) == 0)
			return 0;
	}
}

/* Reads and counts whatever events arrive within ms; returns how many lines. */
static unsigned conn_drain(struct conn *c, int ms)
{
	unsigned n = 0;
	char *line;

	while (conn_read_line(c, ms, &line) == 1) {
		if (strstr(line, "{\"event\":\"status\"") == line)
			c->status_events++;
		else if (strstr(line, "{\"event\":\"finding\"") == line)
			c->finding_events++;
		free(line);
		n++;
	}
	return n;
}

static int subscribe(struct conn *c)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val s;

	TRY(conn_request(c, "{\"id\":\"sub\",\"method\":\"subscribe\"}\n", &v));
	EXPECT_JSON_STR("the answer to subscribe", v, "sub", "id");
	s = harness_json(v, "result", "subscribed");
	CHECK(s && YAJL_IS_TRUE(s), "subscribe should answer {\"subscribed\": true}");
	return 0;
}

/* An answer must be an error with code. */
static int expect_error(yajl_val v, const char *what, const char *code)
{
	EXPECT_JSON_STR(what, v, code, "error", "code");
	CHECK(harness_json_str(harness_json(v, "error", "message")), "%s: the error has no message",
	      what);
	EXPECT_JSON_ABSENT(what, v, "result");
	return 0;
}

/* The rule's object in a status answer, or NULL. */
static yajl_val status_rule(yajl_val status, const char *id)
{
	yajl_val rules = harness_json(status, "result", "rules");

	if (!rules || !YAJL_IS_ARRAY(rules))
		return NULL;
	for (size_t i = 0; i < rules->u.array.len; i++) {
		const char *rid = harness_json_str(harness_json(rules->u.array.values[i], "id"));

		if (rid && strcmp(rid, id) == 0)
			return rules->u.array.values[i];
	}
	return NULL;
}

/* Asks status; the device must be compliant (or not) and the rule in state. */
static int expect_status(struct conn *c, bool compliant, const char *state)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val comp, rule;

	TRY(conn_request(c, "{\"id\":\"st\",\"method\":\"status\"}\n", &v));
	comp = harness_json(v, "result", "compliant");
	CHECK(comp && (compliant ? YAJL_IS_TRUE(comp) : YAJL_IS_FALSE(comp)),
	      "status should say compliant: %s", compliant ? "true" : "false");
	rule = status_rule(v, RULE_ID);
	CHECK(rule, "status lists no rule %s", RULE_ID);
	EXPECT_JSON_STR("the rule in status", rule, state, "state");
	return 0;
}

/*
 * Asks status until the rule is in state, up to timeout_ms (the agent learns
 * of a process's end a moment after its parent does).  Returns how long it
 * took, or -1.
 */
static int64_t wait_rule_state(struct conn *c, const char *want, int timeout_ms)
{
	int64_t begin = harness_now_ms();

	do {
		_cleanup_(yajl_tree_freep) yajl_val v = NULL;
		const char *state;
		yajl_val rule;

		if (conn_request(c, "{\"method\":\"status\"}\n", &v) < 0)
			return -1;
		rule = status_rule(v, RULE_ID);
		state = rule ? harness_json_str(harness_json(rule, "state")) : NULL;
		if (state && strcmp(state, want) == 0)
			return harness_now_ms() - begin;
		usleep(20 * 1000);
	} while (harness_now_ms() - begin < timeout_ms);
	return -1;
}

/* How many findings of an array are about pid. */
static unsigned count_pid(yajl_val findings, pid_t pid)
{
	unsigned n = 0;

	for (size_t i = 0; findings && YAJL_IS_ARRAY(findings) && i < findings->u.array.len; i++)
		if (harness_finding_pid(findings->u.array.values[i]) == pid)
			n++;
	return n;
}

static yajl_val findings_of(yajl_val answer, const char *key)
{
	yajl_val f = harness_json(answer, "result", key);

	return f && YAJL_IS_ARRAY(f) ? f : NULL;
}

/* --- scenes: what the tests of one group share ------------------------------------ */

/*
 * One agent with its deny policy, and connections to it: root's, uid 65534's
 * and another of root's, each opened by the setup that needs it.  The slow
 * client's group adds its never-reading subscriber and the storm.
 */
static struct scene {
	struct harness_policy_env e;
	struct harness_agent *a;
	struct conn root, nobody, other;
	pid_t root_pid, nobody_pid; /* the copies run as root and as uid 65534 */
	/* The slow client's group. */
	int slow;
	pid_t storm;
	int64_t storm_begin;
	bool storm_done;
} sc;

/* A fresh scene: the env (prefix, mode), and the agent printing records or not. */
static int scene_start(const char *prefix, const char *mode, bool print_events)
{
	sc = (struct scene){
		.root = CONN_INIT, .nobody = CONN_INIT, .other = CONN_INIT, .slow = -EBADF
	};
	TRY(env_init(&sc.e, prefix, mode));
	return start_agent(&sc.e, print_events, &sc.a);
}

static int scene_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&sc.a);

	conn_close(&sc.root);
	conn_close(&sc.nobody);
	conn_close(&sc.other);
	sc.slow = safe_close(sc.slow);
	harness_child_killp(&sc.storm);
	harness_policy_env_done(&sc.e);
	return r;
}

/* --- (1) status and explain as root --------------------------------------------- */

static int root_client_setup(const void *arg)
{
	TRY(scene_start("ss", "monitor", true));
	return conn_open(sc.a, &sc.root);
}

/* Status, before anything ran: compliant, the probes, the policy, its rule passing. */
static int test_root_status(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	const char *flavor;
	long long since;
	yajl_val rule;

	TRY(conn_request(&sc.root, "{\"id\": 1, \"method\": \"status\"}\n", &st));
	EXPECT_JSON_INT("the status answer", st, 1, "id");
	CHECK(YAJL_IS_TRUE(harness_json(st, "result", "compliant")),
	      "status should say compliant: true before anything ran");
	flavor = harness_json_str(harness_json(st, "result", "agent", "probe_flavor"));
	CHECK(flavor && (strcmp(flavor, "tp_btf") == 0 || strcmp(flavor, "tracepoint") == 0),
	      "status.agent.probe_flavor should be tp_btf or tracepoint, not %s",
	      flavor ? flavor : "missing");
	EXPECT_JSON_STR("the status answer", st, POLICY_ID, "result", "policy", "id");
	EXPECT_JSON_INT("the status answer", st, 1, "result", "policy", "serial");
	EXPECT_JSON_STR("the status answer", st, "monitor", "result", "policy", "mode");
	rule = status_rule(st, RULE_ID);
	CHECK(rule, "status lists no rule %s", RULE_ID);
	EXPECT_JSON_STR("the rule in status", rule, "passing", "state");
	EXPECT_JSON_STR("the rule in status", rule, "high", "severity");
	EXPECT_JSON_STR("the rule in status", rule, "deny", "effect");
	EXPECT_JSON_STR("the rule in status", rule, "The policy test's program ran.", "message",
			"en");
	CHECK(harness_json_int(harness_json(rule, "since"), &since),
	      "the rule in status has no \"since\"");
	harness_note("probe flavor %s", flavor);
	return 0;
}

/* Explain, once the program ran and ended: the rule, its messages and tags, its finding. */
static int test_root_explain(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val ex = NULL;
	yajl_val tags, found;
	const char *tag;
	pid_t pid;

	TRY(run_copy_seen(sc.a, &sc.e, 0, &pid));
	CHECK(wait_rule_state(&sc.root, "passing", EVENT_TIMEOUT_MS) >= 0,
	      "the rule should pass again once the program has ended");
	TRY(conn_request(&sc.root,
			 "{\"id\": \"x\", \"method\": \"explain\", \"params\": {\"rule\": "
			 "\"" RULE_ID "\"}}\n",
			 &ex));
	EXPECT_JSON_STR("the explain answer", ex, "x", "id");
	EXPECT_JSON_STR("the explain answer", ex, RULE_ID, "result", "rule", "id");
	EXPECT_JSON_STR("the explain answer", ex, "passing", "result", "rule", "state");
	EXPECT_JSON_STR("the explain answer", ex, "ポリシーのテスト用プログラムが動きました。",
			"result", "rule", "message", "ja");
	tags = harness_json(ex, "result", "rule", "tags");
	CHECK(tags && YAJL_IS_ARRAY(tags) && tags->u.array.len == 1,
	      "explain should give the rule's tags [\"test\"]");
	tag = harness_json_str(tags->u.array.values[0]);
	CHECK(tag && strcmp(tag, "test") == 0, "explain should give the rule's tags [\"test\"]");
	found = findings_of(ex, "findings");
	CHECK(found && count_pid(found, pid) == 1,
	      "explain should list the finding about pid %d once (it lists %u findings)", (int)pid,
	      found ? (unsigned)found->u.array.len : 0);
	EXPECT_JSON_STR("the finding in explain", found->u.array.values[found->u.array.len - 1],
			RULE_ID, "postured", "rule_id");
	return 0;
}

static int test_root_explain_unknown_rule(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val un = NULL;

	TRY(conn_request(&sc.root,
			 "{\"id\": 3, \"method\": \"explain\", \"params\": {\"rule\": "
			 "\"no-such-rule\"}}\n",
			 &un));
	EXPECT_JSON_INT("the answer to explain of an unknown rule", un, 3, "id");
	return expect_error(un, "the answer to explain of an unknown rule", "unknown_rule");
}

static int test_root_unknown_method(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val um = NULL;

	TRY(conn_request(&sc.root, "{\"id\": 4, \"method\": \"nope\"}\n", &um));
	return expect_error(um, "the answer to an unknown method", "unknown_method");
}

/* --- (2) who sees which findings ------------------------------------------------- */

/* The copy run as root and as uid 65534, each seen; a connection as each. */
static int visibility_setup(const void *arg)
{
	TRY(scene_start("sv", "monitor", true));
	TRY(run_copy_seen(sc.a, &sc.e, 0, &sc.root_pid));
	TRY(run_copy_seen(sc.a, &sc.e, NOBODY, &sc.nobody_pid));
	TRY(conn_open(sc.a, &sc.root));
	return conn_open_nobody(sc.a, &sc.nobody);
}

/* Everyone may connect: the socket is 0666, and the agent says who may see what. */
static int test_visibility_socket_mode(const void *arg)
{
	struct stat sb;

	if (stat(sc.a->status_path, &sb) < 0)
		return harness_fail("Cannot stat %s: %m", sc.a->status_path);
	CHECK(S_ISSOCK(sb.st_mode) && (sb.st_mode & 07777) == 0666,
	      "%s should be a socket of mode 0666; its mode is %o", sc.a->status_path,
	      (unsigned)sb.st_mode);
	return 0;
}

static int test_visibility_root_sees_all(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val fr = NULL;
	yajl_val list;

	TRY(conn_request(&sc.root, "{\"id\":1,\"method\":\"findings\"}\n", &fr));
	list = findings_of(fr, "findings");
	CHECK(list, "findings should answer {\"findings\": [...]}");
	CHECK(count_pid(list, sc.root_pid) == 1 && count_pid(list, sc.nobody_pid) == 1,
	      "root should see the findings about pid %d (uid 0) and pid %d (uid %d) once each; "
	      "it sees %u and %u",
	      (int)sc.root_pid, (int)sc.nobody_pid, NOBODY, count_pid(list, sc.root_pid),
	      count_pid(list, sc.nobody_pid));
	return 0;
}

static int test_visibility_nobody_sees_own(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val fn = NULL;
	yajl_val list;

	TRY(conn_request(&sc.nobody, "{\"id\":2,\"method\":\"findings\"}\n", &fn));
	list = findings_of(fn, "findings");
	CHECK(list, "findings should answer uid %d with {\"findings\": [...]}", NOBODY);
	CHECK(count_pid(list, sc.root_pid) == 0,
	      "uid %d must not see the finding about root's pid %d; it does", NOBODY,
	      (int)sc.root_pid);
	CHECK(count_pid(list, sc.nobody_pid) == 1,
	      "uid %d should see the finding about its own pid %d once; it sees it %u times",
	      NOBODY, (int)sc.nobody_pid, count_pid(list, sc.nobody_pid));
	CHECK(list->u.array.len == 1, "uid %d should see exactly its one finding; it sees %zu",
	      NOBODY, list->u.array.len);
	return 0;
}

/* The device's posture is for everyone. */
static int test_visibility_status_for_all(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val sn = NULL;

	TRY(conn_request(&sc.nobody, "{\"id\":3,\"method\":\"status\"}\n", &sn));
	EXPECT_JSON_STR("the status answer to uid 65534", sn, POLICY_ID, "result", "policy", "id");
	CHECK(status_rule(sn, RULE_ID), "status for uid %d lists no rule %s", NOBODY, RULE_ID);
	return 0;
}

/* Explain filters the rule's findings as findings does. */
static int test_visibility_explain_filtered(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val en = NULL;
	yajl_val list;

	TRY(conn_request(
		&sc.nobody,
		"{\"id\":4,\"method\":\"explain\",\"params\":{\"rule\":\"" RULE_ID "\"}}\n", &en));
	list = findings_of(en, "findings");
	CHECK(list && count_pid(list, sc.root_pid) == 0 && count_pid(list, sc.nobody_pid) == 1,
	      "explain for uid %d should list its own finding and not root's", NOBODY);
	return 0;
}

/* --- (3) a monitor-mode violation while it runs ---------------------------------- */

static int test_monitor_status(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_conn_ struct conn c = CONN_INIT, sub = CONN_INIT;
	_cleanup_child_ pid_t child = 0;
	struct event_wait w = { .event = "status" };
	int64_t killed, passing = -1;
	int status;
	pid_t pid;

	(void)arg;
	TRY(env_init(&e, "sm", "monitor"));
	TRY(start_agent(&e, true, &a));
	TRY(conn_open(a, &c));
	TRY(conn_open(a, &sub));
	TRY(subscribe(&sub));
	TRY(expect_status(&c, true, "passing"));

	TRY(run_copy(&e, 0, SLEEP_SECONDS, &child));
	pid = child;
	TRY(wait_finding(a, pid));
	TRY(expect_status(&c, false, "failing"));
	/* The change to failing is announced too; what follows must be the change back. */
	(void)conn_drain(&sub, 300);
	CHECK(sub.status_events >= 1, "no {\"event\":\"status\"} when the rule began to fail");
	sub.status_events = 0;

	killed = harness_now_ms();
	(void)kill(child, SIGKILL);
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	TRY(conn_wait_event(&sub, &w, EVENT_TIMEOUT_MS));
	harness_note("{\"event\":\"status\"} %lld ms after the kill",
		     (long long)(harness_now_ms() - killed));
	passing = wait_rule_state(&c, "passing", EVENT_TIMEOUT_MS);
	CHECK(passing >= 0, "the rule should pass again within %d ms of the program's end",
	      EVENT_TIMEOUT_MS);
	passing = harness_now_ms() - killed;
	TRY(expect_status(&c, true, "passing"));
	harness_note("passing again %lld ms after the kill", (long long)passing);
	return harness_agent_stop_ok(a);
}

/* --- (4) the subscription stream ------------------------------------------------- */

static int test_subscribe(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_conn_ struct conn root = CONN_INIT, nobody = CONN_INIT;
	_cleanup_child_ pid_t child = 0;
	struct event_wait wr = { .event = "finding" }, wn = { .event = "finding" };
	int64_t begin;
	int status;
	pid_t root_pid, nobody_pid;

	(void)arg;
	TRY(env_init(&e, "su", "monitor"));
	TRY(start_agent(&e, true, &a));
	TRY(conn_open(a, &root));
	TRY(subscribe(&root));
	TRY(conn_open_nobody(a, &nobody));
	TRY(subscribe(&nobody));

	begin = harness_now_ms();
	TRY(run_copy(&e, 0, NULL, &child));
	root_pid = wr.pid = child;
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	TRY(conn_wait_event(&root, &wr, EVENT_TIMEOUT_MS));
	harness_note("root's finding event %lld ms after the exec",
		     (long long)(harness_now_ms() - begin));

	begin = harness_now_ms();
	TRY(run_copy(&e, NOBODY, NULL, &child));
	nobody_pid = wn.pid = child;
	TRY(harness_wait_child(child, CHILD_TIMEOUT_MS, &status));
	child = 0;
	/* Events come in order: root's finding would have come first. */
	TRY(conn_wait_event(&nobody, &wn, EVENT_TIMEOUT_MS));
	harness_note("uid %d's finding event %lld ms after the exec", NOBODY,
		     (long long)(harness_now_ms() - begin));
	for (unsigned i = 0; i < wn.n_passed; i++)
		CHECK(wn.passed[i] != root_pid,
		      "the uid %d subscriber received the finding about root's pid %d", NOBODY,
		      (int)root_pid);
	CHECK(nobody.finding_events == 1,
	      "the uid %d subscriber should have received 1 finding, not %u", NOBODY,
	      nobody.finding_events);
	/* Root sees the other user's finding too, and nothing is late for uid 65534. */
	wr.pid = nobody_pid;
	TRY(conn_wait_event(&root, &wr, EVENT_TIMEOUT_MS));
	(void)conn_drain(&nobody, 300);
	CHECK(nobody.finding_events == 1,
	      "the uid %d subscriber received %u findings; it may only see its own one", NOBODY,
	      nobody.finding_events);
	return harness_agent_stop_ok(a);
}

/* --- (5) malformed requests ------------------------------------------------------ */

static int malformed_setup(const void *arg)
{
	TRY(scene_start("sb", "monitor", true));
	TRY(conn_open(sc.a, &sc.root));
	return conn_open(sc.a, &sc.other);
}

/* Each is answered with bad_request, on the connection that sent it. */
static int test_malformed_answered(const void *arg)
{
	static const struct {
		const char *line, *what;
	} bad[] = {
		{ "garbage\n", "garbage" },
		{ "[{\"method\":\"status\"}]\n", "a JSON array" },
		{ "{\"id\":5}\n", "an object without a method" },
		{ "{\"id\":6,\"method\":7}\n", "a method that is not a string" },
		{ "{\"method\":\"status\"\n", "JSON cut short" },
		{ "\"status\"\n", "a JSON string" },
		{ "{\"method\":\"findings\",\"params\":[1]}\n", "params that are not an object" },
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(yajl_tree_freep) yajl_val v = NULL;
		char what[128];

		snprintf(what, sizeof(what), "the answer to %s", bad[i].what);
		TRY(conn_request(&sc.root, bad[i].line, &v));
		TRY(expect_error(v, what, "bad_request"));
	}
	return 0;
}

/* Longer than 4 KiB: one error for the whole line, however it arrives. */
static int test_malformed_overlong(const void *arg)
{
	static const char head[] = "{\"method\":\"status\",\"pad\":\"";
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	_cleanup_free_ char *longline = NULL;

	longline = malloc(REQUEST_MAX + 1000 + 2);
	if (!longline)
		return harness_fail("Out of memory");
	memset(longline, 'x', REQUEST_MAX + 904);
	memcpy(longline, head, strlen(head));
	strcpy(longline + REQUEST_MAX + 904, "\"}\n");
	TRY(conn_request(&sc.root, longline, &v));
	return expect_error(v, "the answer to a 5000-byte line", "bad_request");
}

/* After a bad request the same connection answers the next one, and so does another client. */
static int test_malformed_then_served(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val bad = NULL, v = NULL, o = NULL;

	TRY(conn_request(&sc.root, "garbage\n", &bad));
	TRY(expect_error(bad, "the answer to garbage", "bad_request"));
	TRY(conn_request(&sc.root, "{\"id\":42,\"method\":\"status\"}\n", &v));
	EXPECT_JSON_INT("the status answer after bad requests", v, 42, "id");
	EXPECT_JSON_STR("the status answer after bad requests", v, POLICY_ID, "result", "policy",
			"id");
	TRY(conn_request(&sc.other, "{\"id\":43,\"method\":\"status\"}\n", &o));
	EXPECT_JSON_INT("another client's status answer", o, 43, "id");
	EXPECT_JSON_STR("another client's status answer", o, POLICY_ID, "result", "policy", "id");
	return 0;
}

/* Several requests in one write, a bad one among them, are answered in order. */
static int test_malformed_pipelined(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val v1 = NULL, v2 = NULL, v3 = NULL;

	TRY(conn_send(&sc.root,
		      "{\"id\":\"a\",\"method\":\"status\"}\nnope\n"
		      "{\"id\":\"c\",\"method\":\"findings\",\"params\":{\"limit\":1}}\n"));
	TRY(conn_read_json(&sc.root, ANSWER_TIMEOUT_MS, "the first answer", &v1));
	TRY(conn_read_json(&sc.root, ANSWER_TIMEOUT_MS, "the second answer", &v2));
	TRY(conn_read_json(&sc.root, ANSWER_TIMEOUT_MS, "the third answer", &v3));
	EXPECT_JSON_STR("the first of three answers", v1, "a", "id");
	TRY(expect_error(v2, "the second of three answers", "bad_request"));
	EXPECT_JSON_STR("the third of three answers", v3, "c", "id");
	return 0;
}

/* Whatever came before, the agent did not die of it. */
static int test_malformed_agent_alive(const void *arg)
{
	return expect_alive(sc.a);
}

/* --- (6) reload and run_checks: root's alone ------------------------------------- */

static int root_only_setup(const void *arg)
{
	TRY(scene_start("sr", "monitor", true));
	TRY(conn_open(sc.a, &sc.root));
	return conn_open_nobody(sc.a, &sc.nobody);
}

static int test_reload_refused_to_nobody(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val n1 = NULL;

	TRY(conn_request(&sc.nobody, "{\"id\":1,\"method\":\"reload\"}\n", &n1));
	EXPECT_JSON_INT("the answer to reload as uid 65534", n1, 1, "id");
	return expect_error(n1, "the answer to reload as uid 65534", "permission_denied");
}

static int test_reload_by_root(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val r1 = NULL, st = NULL;
	yajl_val reloaded;

	TRY(conn_request(&sc.root, "{\"id\":2,\"method\":\"reload\"}\n", &r1));
	EXPECT_JSON_INT("the answer to reload as root", r1, 2, "id");
	reloaded = harness_json(r1, "result", "reloaded");
	CHECK(reloaded && YAJL_IS_TRUE(reloaded),
	      "reload as root should answer reloaded: true; the error: %s",
	      harness_json_str(harness_json(r1, "error", "message")) ?: "none");
	EXPECT_JSON_STR("the answer to reload as root", r1, POLICY_ID, "result", "policy", "id");
	EXPECT_JSON_INT("the answer to reload as root", r1, 1, "result", "policy", "serial");

	TRY(conn_request(&sc.root, "{\"method\":\"status\"}\n", &st));
	EXPECT_JSON_STR("status after the reload", st, POLICY_ID, "result", "policy", "id");
	return 0;
}

/* Running the checks now is for root too. */
static int test_run_checks_refused_to_nobody(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val nc = NULL;

	TRY(conn_request(&sc.nobody, "{\"id\":3,\"method\":\"run_checks\"}\n", &nc));
	return expect_error(nc, "the answer to run_checks as uid 65534", "permission_denied");
}

/* This policy has no checks, so the list is empty; a list all the same. */
static int test_run_checks_by_root(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val rc = NULL;
	yajl_val checks;

	TRY(conn_request(&sc.root, "{\"id\":4,\"method\":\"run_checks\"}\n", &rc));
	checks = harness_json(rc, "result", "checks");
	CHECK(checks && YAJL_IS_ARRAY(checks),
	      "run_checks as root should answer a list of checks; the error: %s",
	      harness_json_str(harness_json(rc, "error", "message")) ?: "none");
	return 0;
}

/* --- (7) a client that never reads ----------------------------------------------- */

/*
 * An enforce policy, no records on stdout (nothing of ours needs reading
 * while the storm runs), a subscriber that never reads with a small receive
 * buffer, and a storm of killed copies, each making a finding of about 3 KB.
 */
static int slow_client_setup(const void *arg)
{
	static const char sub[] = "{\"method\":\"subscribe\"}\n";
	char *argv[] = { (char *)harness_helper("spawn_storm"),
			 "-j",
			 "4",
			 STORM_RUNS,
			 NULL,
			 "/dev/null",
			 NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

	TRY(scene_start("sd", "enforce", false));
	sc.slow = harness_status_connect(sc.a->status_path, 4096);
	if (sc.slow < 0)
		return harness_fail("Cannot connect to %s: %s", sc.a->status_path,
				    strerror(-sc.slow));
	if (send(sc.slow, sub, strlen(sub), MSG_NOSIGNAL) != (ssize_t)strlen(sub))
		return harness_fail("Cannot subscribe: %m");
	argv[4] = sc.e.prog;
	sc.storm_begin = harness_now_ms();
	return harness_spawn(argv[0], argv, &o, &sc.storm);
}

/* Waits for the storm's end (once). */
static int slow_client_storm_done(void)
{
	int status;

	if (sc.storm_done)
		return 0;
	TRY(harness_wait_child(sc.storm, 120000, &status));
	sc.storm = 0;
	sc.storm_done = true;
	harness_note("the storm took %lld ms", (long long)(harness_now_ms() - sc.storm_begin));
	return 0;
}

static int test_slow_client_dropped(const void *arg)
{
	int r = harness_agent_wait_stderr(sc.a, "Dropping status client", 30000);

	CHECK(r == 1,
	      "postured should drop a subscriber that never reads once %d bytes wait for it; "
	      "after %lld ms it has not. Its stderr: %s",
	      PENDING_MAX, (long long)(harness_now_ms() - sc.storm_begin),
	      harness_agent_stderr(sc.a));
	harness_note("dropped %lld ms after the storm began",
		     (long long)(harness_now_ms() - sc.storm_begin));
	return expect_alive(sc.a);
}

/* The agent is not blocked: a fresh client is answered at once, even mid-storm. */
static int test_slow_client_others_answered(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	int64_t asked;

	TRY(conn_open(sc.a, &sc.root));
	asked = harness_now_ms();
	TRY(conn_request(&sc.root, "{\"id\":9,\"method\":\"status\"}\n", &v));
	EXPECT_JSON_STR("a fresh client's status", v, POLICY_ID, "result", "policy", "id");
	harness_note("a fresh client's status answered in %lld ms",
		     (long long)(harness_now_ms() - asked));
	return 0;
}

/* The slow client's connection was closed: what is left of it, under 1 MiB, ends in EOF. */
static int test_slow_client_closed(const void *arg)
{
	int64_t deadline;
	char buf[65536];
	size_t drained = 0;
	ssize_t n = 1;

	TRY(slow_client_storm_done());
	deadline = harness_now_ms() + 5000;
	(void)fcntl(sc.slow, F_SETFL, O_NONBLOCK);
	while (harness_now_ms() < deadline) {
		struct pollfd p = { .fd = sc.slow, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(sc.slow, buf, sizeof(buf));
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	CHECK(n == 0,
	      "the slow client's connection should have been closed; read %zu bytes and "
	      "it is still open",
	      drained);
	CHECK(drained < PENDING_MAX,
	      "the slow client got %zu bytes before the end; more than 1 MiB was queued", drained);
	harness_note("%zu bytes were in the slow client's socket when it was closed", drained);
	return 0;
}

/* Once the storm is over the agent still runs and answers. */
static int test_slow_client_served_after(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val v2 = NULL;

	TRY(slow_client_storm_done());
	TRY(expect_alive(sc.a));
	if (sc.root.rfd < 0)
		TRY(conn_open(sc.a, &sc.root));
	TRY(conn_request(&sc.root, "{\"id\":10,\"method\":\"status\"}\n", &v2));
	EXPECT_JSON_INT("the status answer after the storm", v2, 10, "id");
	return 0;
}

/* --- (8) the limit on clients ---------------------------------------------------- */

#define MANY_CLIENTS 70

static int test_many_clients(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	int fds[MANY_CLIENTS];
	unsigned answered = 0, refused = 0, other = 0, attempts = 0;
	int64_t begin;
	int r = 0;

	(void)arg;
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		fds[i] = -EBADF;
	TRY(env_init(&e, "sc", "monitor"));
	TRY(start_agent(&e, true, &a));

	for (size_t i = 0; i < ELEMENTSOF(fds) && r == 0; i++) {
		fds[i] = harness_status_connect(a->status_path, 0);
		if (fds[i] < 0)
			r = harness_fail("Connection %zu of %d failed: %s", i + 1, MANY_CLIENTS,
					 strerror(-fds[i]));
	}
	/* Each asks; the ones beyond the limit get their connection closed without an answer. */
	for (size_t i = 0; i < ELEMENTSOF(fds) && r == 0; i++) {
		struct conn c = { .rfd = fds[i], .wfd = fds[i] };
		char *line = NULL;
		int k;

		(void)send(fds[i], "{\"method\":\"status\"}\n", 20, MSG_NOSIGNAL);
		k = conn_read_line(&c, ANSWER_TIMEOUT_MS, &line);
		if (k == 1 && strstr(line, "\"result\""))
			answered++;
		else if (k == -EPIPE)
			refused++;
		else
			other++;
		free(line);
		free(c.buf);
	}
	if (r == 0) {
		harness_note("%u answered, %u refused, %u neither", answered, refused, other);
		if (answered != CLIENTS_MAX || refused != MANY_CLIENTS - CLIENTS_MAX || other)
			r = harness_fail("of %d clients, %d should be answered and the rest "
					 "refused: %u answered, %u refused, %u neither",
					 MANY_CLIENTS, CLIENTS_MAX, answered, refused, other);
	}
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		safe_close(fds[i]);
	if (r < 0)
		return r;
	TRY(expect_alive(a));
	CHECK(harness_agent_wait_stderr(a, "Refusing a status client", 1000) == 1,
	      "postured should log that it refused clients. Its stderr: %s",
	      harness_agent_stderr(a));

	/* Once they are gone, a new client is served (the agent may need a moment to notice). */
	begin = harness_now_ms();
	for (;;) {
		_cleanup_conn_ struct conn c = CONN_INIT;
		_cleanup_free_ char *line = NULL;

		attempts++;
		TRY(conn_open(a, &c));
		TRY(conn_send(&c, "{\"id\":1,\"method\":\"status\"}\n"));
		if (conn_read_line(&c, ANSWER_TIMEOUT_MS, &line) == 1 && strstr(line, "\"result\""))
			break;
		CHECK(harness_now_ms() - begin < 3000,
		      "no new client was answered within 3 s of closing the others (%u tries)",
		      attempts);
		usleep(100 * 1000);
	}
	harness_note("a new client was answered at attempt %u", attempts);
	return harness_agent_stop_ok(a);
}

static const struct harness_fixture root_client = { "root_client", root_client_setup,
						    scene_teardown, NULL };
static const struct harness_fixture visibility = { "findings_visibility", visibility_setup,
						   scene_teardown, NULL };
static const struct harness_fixture malformed = { "malformed_requests", malformed_setup,
						  scene_teardown, NULL };
static const struct harness_fixture root_only = { "root_only_methods", root_only_setup,
						  scene_teardown, NULL };
static const struct harness_fixture slow_client = { "slow_client", slow_client_setup,
						    scene_teardown, NULL };

static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("root_client/status_describes_policy", test_root_status, NULL,
			     &root_client),
	HARNESS_FIXTURE_TEST("root_client/explain_gives_rule_with_its_finding", test_root_explain,
			     NULL, &root_client),
	HARNESS_FIXTURE_TEST("root_client/explain_unknown_rule_is_an_error",
			     test_root_explain_unknown_rule, NULL, &root_client),
	HARNESS_FIXTURE_TEST("root_client/unknown_method_is_an_error", test_root_unknown_method,
			     NULL, &root_client),
	HARNESS_FIXTURE_TEST("findings_visibility/socket_open_to_everyone",
			     test_visibility_socket_mode, NULL, &visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/root_sees_every_users_findings",
			     test_visibility_root_sees_all, NULL, &visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/nobody_sees_only_own_findings",
			     test_visibility_nobody_sees_own, NULL, &visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/status_answered_for_everyone",
			     test_visibility_status_for_all, NULL, &visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/explain_filtered_for_nobody",
			     test_visibility_explain_filtered, NULL, &visibility),
	HARNESS_TEST("monitor_violation_status", test_monitor_status, NULL),
	HARNESS_TEST("subscribe_findings", test_subscribe, NULL),
	HARNESS_FIXTURE_TEST("malformed_requests/each_answered_bad_request",
			     test_malformed_answered, NULL, &malformed),
	HARNESS_FIXTURE_TEST("malformed_requests/overlong_line_one_error", test_malformed_overlong,
			     NULL, &malformed),
	HARNESS_FIXTURE_TEST("malformed_requests/connection_served_after_error",
			     test_malformed_then_served, NULL, &malformed),
	HARNESS_FIXTURE_TEST("malformed_requests/pipelined_answered_in_order",
			     test_malformed_pipelined, NULL, &malformed),
	HARNESS_FIXTURE_TEST("malformed_requests/agent_survives", test_malformed_agent_alive, NULL,
			     &malformed),
	HARNESS_FIXTURE_TEST("root_only_methods/reload_refused_to_nobody",
			     test_reload_refused_to_nobody, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/reload_by_root_puts_policy_in_force",
			     test_reload_by_root, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/run_checks_refused_to_nobody",
			     test_run_checks_refused_to_nobody, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/run_checks_by_root_lists_checks",
			     test_run_checks_by_root, NULL, &root_only),
	HARNESS_FIXTURE_TEST("slow_client/dropped_once_1MiB_waits", test_slow_client_dropped, NULL,
			     &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/others_answered_meanwhile",
			     test_slow_client_others_answered, NULL, &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/connection_closed_short_of_1MiB", test_slow_client_closed,
			     NULL, &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/agent_serves_after_storm", test_slow_client_served_after,
			     NULL, &slow_client),
	HARNESS_TEST("at_most_64_clients", test_many_clients, NULL),
};

HARNESS_MAIN(tests)
