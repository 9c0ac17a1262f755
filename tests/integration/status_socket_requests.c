// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket: what root asks (status, explain, an unknown rule or
 * method) and malformed requests, each answered on its connection, which
 * goes on serving; status_socket.c has the suite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_socket.h"

/* --- status and explain as root --------------------------------------------------- */

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

/* --- malformed requests ----------------------------------------------------------- */

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

static const struct harness_fixture root_client = { "root_client", root_client_setup,
						    scene_teardown, NULL };
static const struct harness_fixture malformed = { "malformed_requests", malformed_setup,
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
};

HARNESS_TABLE(status_socket_requests_table, tests);
