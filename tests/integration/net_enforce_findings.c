// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The net_enforce suite's findings: waiting for the network finding of a
 * rule about a pid (and none about others before it), what it must say, and
 * the rules' states in `posturectl status --json`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_enforce.h"

/* --- findings --------------------------------------------------------------------- */

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
int wait_net(struct harness_agent *a, struct net_wait *w, yajl_val *ret)
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
int expect_quiet(struct harness_agent *a, const struct env *e, const struct harness_addr *ma,
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

int check_net(yajl_val f, const struct want *w)
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
int expect_net(struct harness_agent *a, const struct want *w)
{
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	struct net_wait nw = { .pid = w->pid, .rule = w->rule };

	TRY(wait_net(a, &nw, &f));
	return check_net(f, w);
}

/* --- posturectl and the status socket --------------------------------------------- */

/* `posturectl status --json` as root, parsed; *ret is the caller's. */
int status_json(struct harness_agent *a, yajl_val *ret)
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
int expect_rule_state(struct harness_agent *a, const char *id, const char *want)
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
int wait_rule_state(struct harness_agent *a, const char *id, const char *want, int timeout_ms)
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
