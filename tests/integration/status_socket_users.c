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

static const struct harness_fixture visibility = { "findings_visibility", visibility_setup,
						   scene_teardown, NULL };
static const struct harness_fixture root_only = { "root_only_methods", root_only_setup,
						  scene_teardown, NULL };
static const struct harness_test tests[] = {
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
