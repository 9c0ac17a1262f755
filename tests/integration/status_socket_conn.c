// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Connections to the agent's status socket for the status_socket suite: as
 * root, the socket itself; as uid 65534, a relay child that became that user
 * and connected.  Lines, answers, events.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "status_socket.h"

/* --- connections ------------------------------------------------------------------ */

void conn_close(struct conn *c)
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

int conn_open(struct harness_agent *a, struct conn *c)
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

/* A connection as uid 65534: a child that becomes it, connects, and relays. */
int conn_open_nobody(struct harness_agent *a, struct conn *c)
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

int conn_send(struct conn *c, const char *text)
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
int conn_read_line(struct conn *c, int timeout_ms, char **ret)
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
int conn_read_json(struct conn *c, int timeout_ms, const char *what, yajl_val *ret)
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
int conn_request(struct conn *c, const char *request, yajl_val *ret)
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

int conn_wait_event(struct conn *c, struct event_wait *w, int timeout_ms)
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
unsigned conn_drain(struct conn *c, int ms)
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

int subscribe(struct conn *c)
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
int expect_error(yajl_val v, const char *what, const char *code)
{
	EXPECT_JSON_STR(what, v, code, "error", "code");
	CHECK(harness_json_str(harness_json(v, "error", "message")), "%s: the error has no message",
	      what);
	EXPECT_JSON_ABSENT(what, v, "result");
	return 0;
}

/* The rule's object in a status answer, or NULL. */
yajl_val status_rule(yajl_val status, const char *id)
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
int expect_status(struct conn *c, bool compliant, const char *state)
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
int64_t wait_rule_state(struct conn *c, const char *want, int timeout_ms)
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
unsigned count_pid(yajl_val findings, pid_t pid)
{
	unsigned n = 0;

	for (size_t i = 0; findings && YAJL_IS_ARRAY(findings) && i < findings->u.array.len; i++)
		if (harness_finding_pid(findings->u.array.values[i]) == pid)
			n++;
	return n;
}

yajl_val findings_of(yajl_val answer, const char *key)
{
	yajl_val f = harness_json(answer, "result", key);

	return f && YAJL_IS_ARRAY(f) ? f : NULL;
}
