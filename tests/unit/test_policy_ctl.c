// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl policy check|explain` through ctl_policy_main(), with stdout
 * and stderr captured.  Run from the top of the tree.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_run.h"

#include "ctl_policy.h"

#define FIXTURES "tests/fixtures/policies"

/* Runs ctl_policy_main() on the NULL-terminated arguments after "policy". */
static struct run run(const char *arg, ...)
{
	struct run r;
	va_list ap;

	va_start(ap, arg);
	r = run_verb_va(ctl_policy_main, "policy", arg, ap);
	va_end(ap);
	return r;
}

static char *read_fixture(const char *path)
{
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	return slurp(f);
}

static void test_usage(void **state)
{
	struct run r;

	r = run(NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: missing command: check or explain. Try "
				   "'posturectl policy --help'.\n");
	run_free(&r);

	r = run("verify", "x.json", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: unknown command 'verify'. Try 'posturectl "
				   "policy --help'.\n");
	run_free(&r);

	r = run("check", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: check needs at least one FILE. Try "
				   "'posturectl policy --help'.\n");
	run_free(&r);

	r = run("explain", "a.json", "b.json", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: explain takes exactly one FILE. Try "
				   "'posturectl policy --help'.\n");
	run_free(&r);

	r = run("check", "--frobnicate", "a.json", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: unknown option '--frobnicate'. Try "
				   "'posturectl policy --help'.\n");
	assert_string_equal(r.out, "");
	run_free(&r);

	r = run("--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: posturectl policy check FILE...\n"));
	assert_string_equal(r.err, "");
	run_free(&r);

	r = run("check", "-h", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "posturectl policy explain FILE"));
	run_free(&r);
}

static void test_check_valid(void **state)
{
	struct run r = run("check", "policy/baselines/telework.json",
			   FIXTURES "/valid/minimal.json", FIXTURES "/valid/full.json", NULL);

	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "policy/baselines/telework.json: valid (22 rules)\n" FIXTURES
				   "/valid/minimal.json: valid (0 rules)\n" FIXTURES
				   "/valid/full.json: valid (3 rules)\n");
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_check_invalid(void **state)
{
	/* Every file is checked; the status is 1 when any is invalid or unreadable. */
	struct run r = run("check", FIXTURES "/invalid/top-missing-fields.json",
			   FIXTURES "/valid/minimal.json", FIXTURES "/invalid/never-matches.json",
			   FIXTURES "/nope.json", NULL);

	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, FIXTURES "/valid/minimal.json: valid (0 rules)\n");
	assert_string_equal(
		r.err,
		FIXTURES "/invalid/top-missing-fields.json:1:1: error: missing required field "
			 "\"id\" (at /)\n" FIXTURES
			 "/invalid/top-missing-fields.json:1:1: error: missing required field "
			 "\"serial\" (at /)\n" FIXTURES
			 "/invalid/top-missing-fields.json:1:1: error: missing required field "
			 "\"rules\" (at /)\n" FIXTURES
			 "/invalid/top-missing-fields.json: invalid (3 errors)\n" FIXTURES
			 "/invalid/never-matches.json:5:47: error: the rule can never match: the "
			 "program at \"/usr/bin/x11vnc\" is named \"x11vnc\", which name \"ngrok\" "
			 "does not match (at /rules/0/match/name)\n" FIXTURES
			 "/invalid/never-matches.json: invalid (1 error)\n" FIXTURES
			 "/nope.json: error: cannot read the policy: No such file or directory\n");
	run_free(&r);
}

static void test_check_directory(void **state)
{
	struct run r = run("check", FIXTURES, NULL);

	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, FIXTURES ": error: cannot read the policy: Is a directory\n");
	run_free(&r);

	r = run("check", "/dev/null", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err,
			    "/dev/null: error: cannot read the policy: not a regular file\n");
	run_free(&r);
}

static void explain_in(const char *lc_all, const char *lc_messages, const char *lang,
		       const char *expected_file)
{
	char *expected = read_fixture(expected_file);
	struct run r;

	/* Unset what is NULL: the first set variable of LC_ALL, LC_MESSAGES, LANG decides. */
	lc_all ? setenv("LC_ALL", lc_all, 1) : unsetenv("LC_ALL");
	lc_messages ? setenv("LC_MESSAGES", lc_messages, 1) : unsetenv("LC_MESSAGES");
	lang ? setenv("LANG", lang, 1) : unsetenv("LANG");
	r = run("explain", FIXTURES "/valid/explain.json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out, expected);
	run_free(&r);
	free(expected);
}

static void test_explain_english(void **state)
{
	explain_in(NULL, NULL, NULL, FIXTURES "/valid/explain.en.txt");
	explain_in(NULL, NULL, "C.UTF-8", FIXTURES "/valid/explain.en.txt");
	explain_in(NULL, NULL, "de_DE.UTF-8", FIXTURES "/valid/explain.en.txt");
	/* LC_ALL wins over LANG. */
	explain_in("en_US.UTF-8", NULL, "ja_JP.UTF-8", FIXTURES "/valid/explain.en.txt");
}

/* A check rule is explained as a check of the device, never as a rule about programs. */
static void test_explain_check_rule(void **state)
{
	struct run r;
	const char *at;

	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "C.UTF-8", 1);
	r = run("explain", "policy/baselines/telework.json", NULL);
	assert_int_equal(r.status, 0);
	at = strstr(r.out, "disk-encryption: Disk encryption\n");
	assert_non_null(at);
	at = strchr(at, '\n') + 1;
	assert_memory_equal(
		at, "   Checks this device's settings (the \"disk_encryption\" check)",
		strlen("   Checks this device's settings (the \"disk_encryption\" check)"));
	run_free(&r);
}

static void test_explain_japanese(void **state)
{
	explain_in(NULL, NULL, "ja_JP.UTF-8", FIXTURES "/valid/explain.ja.txt");
	explain_in("ja_JP.UTF-8", NULL, "C", FIXTURES "/valid/explain.ja.txt");
	/* LC_MESSAGES wins over LANG; an empty LC_ALL counts as unset. */
	explain_in("", "ja_JP.eucJP", "en_US.UTF-8", FIXTURES "/valid/explain.ja.txt");
}

static void test_explain_invalid(void **state)
{
	struct run r = run("explain", FIXTURES "/invalid/rule-type-network.json", NULL);

	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, FIXTURES "/invalid/rule-type-network.json:2:21: error: rule "
					    "type \"network\" is not supported by this version (at "
					    "/rules/0/type)\n" FIXTURES
					    "/invalid/rule-type-network.json: invalid (1 error)\n");
	run_free(&r);
}

static void test_explain_baseline(void **state)
{
	struct run r;

	setenv("LANG", "ja_JP.UTF-8", 1);
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	r = run("explain", "policy/baselines/telework.json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ルール 22 件（うち有効 20 件）\n"));
	assert_non_null(strstr(r.out, "     - 名前が「x11vnc」\n"));
	assert_non_null(
		strstr(r.out, "表示されるメッセージ: このノートPCで x11vnc が動いています。"));
	run_free(&r);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_invalid),
		cmocka_unit_test(test_check_directory),
		cmocka_unit_test(test_explain_english),
		cmocka_unit_test(test_explain_japanese),
		cmocka_unit_test(test_explain_check_rule),
		cmocka_unit_test(test_explain_invalid),
		cmocka_unit_test(test_explain_baseline),
	};

	return cmocka_run_group_tests_name("policy_ctl", tests, NULL, NULL);
}
