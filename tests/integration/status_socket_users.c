// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket as root and as uid 65534: who sees which findings,
 * and what only root may do (reload, run_checks); status_socket.c has the
 * suite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status_socket.h"

/* --- who sees which findings ------------------------------------------------------ */

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

/* Who asks for findings, how, and which they must be shown. */
struct seen_case {
	bool as_nobody; /* on uid 65534's connection, else root's */
	const char *request;
	unsigned root_seen, nobody_seen; /* findings about the copy run as root, as uid 65534 */
	int total; /* all the findings listed; -1: not checked */
};

static int test_visibility_seen(const void *arg)
{
	const struct seen_case *c = arg;
	_cleanup_(yajl_tree_freep) yajl_val answer = NULL;
	const char *who = c->as_nobody ? "uid 65534" : "root";
	yajl_val list;

	TRY(conn_request(c->as_nobody ? &sc.nobody : &sc.root, c->request, &answer));
	list = findings_of(answer, "findings");
	CHECK(list, "%.*s should answer %s with {\"findings\": [...]}",
	      (int)strcspn(c->request, "\n"), c->request, who);
	CHECK(count_pid(list, sc.root_pid) == c->root_seen,
	      "%s should see the finding about root's pid %d %u times; it sees it %u times", who,
	      (int)sc.root_pid, c->root_seen, count_pid(list, sc.root_pid));
	CHECK(count_pid(list, sc.nobody_pid) == c->nobody_seen,
	      "%s should see the finding about uid %d's pid %d %u times; it sees it %u times", who,
	      NOBODY, (int)sc.nobody_pid, c->nobody_seen, count_pid(list, sc.nobody_pid));
	if (c->total >= 0)
		CHECK(list->u.array.len == (size_t)c->total,
		      "%s should see exactly %d findings; it sees %zu", who, c->total,
		      list->u.array.len);
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

/* --- reload and run_checks: root's alone ------------------------------------------ */

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

#define SEEN_CASE(...) (&(const struct seen_case){ __VA_ARGS__ })

static const struct harness_fixture visibility = { "findings_visibility", visibility_setup,
						   scene_teardown, NULL };
static const struct harness_fixture root_only = { "root_only_methods", root_only_setup,
						  scene_teardown, NULL };
static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("findings_visibility/socket_open_to_everyone",
			     test_visibility_socket_mode, NULL, &visibility),
	/* Root sees every user's findings; uid 65534 its one alone, and explain filters alike. */
	HARNESS_FIXTURE_TEST("findings_visibility/root_sees_every_users_findings",
			     test_visibility_seen,
			     SEEN_CASE(.request = "{\"id\":1,\"method\":\"findings\"}\n",
				       .root_seen = 1, .nobody_seen = 1, .total = -1),
			     &visibility),
	HARNESS_FIXTURE_TEST(
		"findings_visibility/nobody_sees_only_own_findings", test_visibility_seen,
		SEEN_CASE(.as_nobody = true, .request = "{\"id\":2,\"method\":\"findings\"}\n",
			  .nobody_seen = 1, .total = 1),
		&visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/status_answered_for_everyone",
			     test_visibility_status_for_all, NULL, &visibility),
	HARNESS_FIXTURE_TEST("findings_visibility/explain_filtered_for_nobody",
			     test_visibility_seen,
			     SEEN_CASE(.as_nobody = true,
				       .request = "{\"id\":4,\"method\":\"explain\",\"params\":"
						  "{\"rule\":\"" RULE_ID "\"}}\n",
				       .nobody_seen = 1, .total = -1),
			     &visibility),
	HARNESS_FIXTURE_TEST("root_only_methods/reload_refused_to_nobody",
			     test_reload_refused_to_nobody, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/reload_by_root_puts_policy_in_force",
			     test_reload_by_root, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/run_checks_refused_to_nobody",
			     test_run_checks_refused_to_nobody, NULL, &root_only),
	HARNESS_FIXTURE_TEST("root_only_methods/run_checks_by_root_lists_checks",
			     test_run_checks_by_root, NULL, &root_only),
};

HARNESS_TABLE(status_socket_users_table, tests);
