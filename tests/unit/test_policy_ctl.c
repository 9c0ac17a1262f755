// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl policy check|explain` through ctl_policy_main(), with stdout
 * and stderr captured, in English and, with the catalogues built in the tree,
 * in Japanese.  Run from the top of the tree.
 */
#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_run.h"

#include "ctl/ctl_policy.h"
#include "policy.h"

#define FIXTURES "tests/fixtures/policies"
#ifndef TEST_LOCALEDIR
#define TEST_LOCALEDIR "build/locale"
#endif

/*
 * Sets the locale from LC_ALL, LC_MESSAGES and LANG as posturectl's main()
 * does (ctl_i18n_setup()), from C first: setlocale() keeps the previous
 * locale when the wanted one is not installed.  Returns the language of the
 * messages now in effect: "ja", or "en" for anything else.
 */
static const char *use_locale(void)
{
	const char *l;

	unsetenv("LANGUAGE");
	setlocale(LC_ALL, "C");
	setlocale(LC_ALL, "");
	bindtextdomain("postured", TEST_LOCALEDIR);
	bind_textdomain_codeset("postured", "UTF-8");
	textdomain("postured");
	l = setlocale(LC_MESSAGES, NULL);
	return l && strncmp(l, "ja", 2) == 0 ? "ja" : "en";
}

/* Sets the environment (NULL: unset; the first set of LC_ALL, LC_MESSAGES, LANG decides). */
static const char *set_lang(const char *lc_all, const char *lc_messages, const char *lang)
{
	lc_all ? setenv("LC_ALL", lc_all, 1) : unsetenv("LC_ALL");
	lc_messages ? setenv("LC_MESSAGES", lc_messages, 1) : unsetenv("LC_MESSAGES");
	lang ? setenv("LANG", lang, 1) : unsetenv("LANG");
	return use_locale();
}

/* True, after a message, when Japanese cannot be tested here: the locale is not installed. */
static bool skip_without_japanese(void)
{
	if (strcmp(set_lang(NULL, NULL, "ja_JP.UTF-8"), "ja") == 0)
		return false;
	print_message("SKIPPED: the ja_JP.UTF-8 locale is not available here (run "
		      "tools/install-deps as root to generate it)\n");
	skip();
	return true;
}

/* Every test starts in English. */
static int setup(void **state)
{
	set_lang(NULL, NULL, "C.UTF-8");
	return 0;
}

/* Runs ctl_policy_main() on the NULL-terminated arguments after "policy". */
#define run(...) run_verb(ctl_policy_main, "policy", __VA_ARGS__)

/* How many rules the policy in file has, and how many of them are enabled, as the library counts. */
static void count_rules(const char *file, size_t *ret_all, size_t *ret_enabled)
{
	policy *p = fixture_policy_load(file);
	size_t enabled = 0;

	for (size_t i = 0; i < policy_rule_count(p); i++)
		enabled += policy_rule_enabled(policy_rule_at(p, i));
	*ret_all = policy_rule_count(p);
	*ret_enabled = enabled;
	policy_unref(p);
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
	assert_non_null(strstr(r.out, "Usage: posturectl policy check [--config FILE] FILE...\n"));
	assert_string_equal(r.err, "");
	run_free(&r);

	r = run("check", "-h", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "posturectl policy explain FILE"));
	run_free(&r);
}

static void test_check_valid(void **state)
{
	/* The shipped configuration, not this machine's: it allows argument capture. */
	struct run r = run("check", "--config", "packaging/postured.conf",
			   "policy/baselines/telework.json", FIXTURES "/valid/minimal.json",
			   FIXTURES "/valid/full.json", NULL);
	char want[512];
	size_t n, enabled;

	/* The baseline grows with the checks; the library says how many rules it has. */
	count_rules("policy/baselines/telework.json", &n, &enabled);
	snprintf(want, sizeof(want),
		 "policy/baselines/telework.json: valid (%zu rules)\n" FIXTURES
		 "/valid/minimal.json: valid (0 rules)\n" FIXTURES
		 "/valid/full.json: valid (3 rules)\n",
		 n);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, want);
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

/* Writes text to dir/name; path is where. */
static void write_in(const char *dir, const char *name, const char *text, char path[static 128])
{
	FILE *f;

	snprintf(path, 128, "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * A valid policy that collects arguments, on a machine whose agent refuses to
 * capture them: still valid (status 0), and a warning says its rules on
 * arguments never match here.
 */
static void test_check_arguments_refused(void **state)
{
	char dir[] = "/tmp/test-policy-ctl-XXXXXX", refuses[128], allows[128], pol[128];
	char want[512];
	struct run r;

	assert_non_null(mkdtemp(dir));
	write_in(dir, "refuses.conf", "{ \"allow_argument_capture\": false }\n", refuses);
	write_in(dir, "allows.conf", "{ \"allow_argument_capture\": true }\n", allows);
	write_in(dir, "collects.json",
		 "{\"id\": \"p\", \"serial\": 1, \"settings\": {\"collect_arguments\": true}, "
		 "\"rules\": []}",
		 pol);

	r = run("check", "--config", refuses, FIXTURES "/valid/full.json",
		FIXTURES "/valid/minimal.json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, FIXTURES "/valid/full.json: valid (3 rules)\n" FIXTURES
					    "/valid/minimal.json: valid (0 rules)\n");
	snprintf(want, sizeof(want),
		 FIXTURES "/valid/full.json: warning: argument capture is refused on this machine "
			  "(\"allow_argument_capture\": false in %s): the policy's rules on "
			  "arguments (deny-everything) will never match here\n",
		 refuses);
	assert_string_equal(r.err, want);
	run_free(&r);

	/* Collecting with no rule on arguments: nothing is captured, said without rules. */
	r = run("check", pol, "-c", refuses, NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want),
		 "%s: warning: the policy collects arguments, but argument capture is refused on "
		 "this machine (\"allow_argument_capture\": false in %s): none are captured here\n",
		 pol, refuses);
	assert_string_equal(r.err, want);
	run_free(&r);

	/* Allowed (the default): no warning. */
	r = run("check", "--config", allows, FIXTURES "/valid/full.json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	run_free(&r);

	/* An unreadable configuration does not make a valid policy invalid; it is said once. */
	r = run("check", "--config", "/nonexistent/postured.conf", FIXTURES "/valid/full.json", pol,
		NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "posturectl policy: warning: cannot tell whether this machine "
				   "allows argument capture: /nonexistent/postured.conf: cannot "
				   "open: No such file or directory\n");
	run_free(&r);

	/* A policy that does not collect arguments does not need the configuration at all. */
	r = run("check", "--config", "/nonexistent/postured.conf", FIXTURES "/valid/minimal.json",
		NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	run_free(&r);

	r = run("check", "--config", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "posturectl policy: option '--config' needs a value. Try "
				   "'posturectl policy --help'.\n");
	run_free(&r);
	unlink(refuses);
	unlink(allows);
	unlink(pol);
	rmdir(dir);
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

/* `posturectl policy explain FIXTURES/valid/file` in a locale prints FIXTURES/valid/expected. */
static void explain_in(const char *file, const char *lc_all, const char *lc_messages,
		       const char *lang, const char *expected)
{
	char path[256], *want;
	struct run r;

	snprintf(path, sizeof(path), "%s/valid/%s", FIXTURES, expected);
	want = fixture_read(path, NULL);
	snprintf(path, sizeof(path), "%s/valid/%s", FIXTURES, file);
	set_lang(lc_all, lc_messages, lang);
	r = run("explain", path, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out, want);
	run_free(&r);
	free(want);
}

static void test_explain_english(void **state)
{
	explain_in("explain.json", NULL, NULL, NULL, "explain.en.txt");
	explain_in("explain.json", NULL, NULL, "C.UTF-8", "explain.en.txt");
	explain_in("explain.json", NULL, NULL, "de_DE.UTF-8", "explain.en.txt");
	/* LC_ALL wins over LANG. */
	explain_in("explain.json", "en_US.UTF-8", NULL, "ja_JP.UTF-8", "explain.en.txt");
}

/* A check rule is explained as a check of the device, never as a rule about programs. */
static void test_explain_check_rule(void **state)
{
	struct run r;
	const char *at;

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
	if (skip_without_japanese())
		return;
	explain_in("explain.json", NULL, NULL, "ja_JP.UTF-8", "explain.ja.txt");
	explain_in("explain.json", "ja_JP.UTF-8", NULL, "C", "explain.ja.txt");
	/* LC_MESSAGES wins over LANG; an empty LC_ALL counts as unset. */
	explain_in("explain.json", "", "ja_JP.UTF-8", "C.UTF-8", "explain.ja.txt");
}

static void test_explain_invalid(void **state)
{
	struct run r = run("explain", FIXTURES "/invalid/never-matches.json", NULL);

	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err,
			    FIXTURES "/invalid/never-matches.json:5:47: error: the rule can "
				     "never match: the program at \"/usr/bin/x11vnc\" is named "
				     "\"x11vnc\", which name \"ngrok\" does not match (at "
				     "/rules/0/match/name)\n" FIXTURES
				     "/invalid/never-matches.json: invalid (1 error)\n");
	run_free(&r);
}

/* Network rules: what traffic, which direction, the exceptions, in both languages. */
static void test_explain_network(void **state)
{
	struct run r;

	explain_in("network.json", NULL, NULL, "C.UTF-8", "network.explain.en.txt");
	if (skip_without_japanese())
		return;
	set_lang(NULL, NULL, "ja_JP.UTF-8");
	r = run("explain", FIXTURES "/valid/network.json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out,
			       "     - プロトコルが TCP\n"
			       "     - 待ち受けるポートが次のいずれか: 1-65535\n"
			       "   ただし、次の条件をすべて満たす場合は除きます:\n"
			       "     - 待ち受けるアドレスが次のいずれかの範囲内: 127.0.0.0/8、"
			       "::1/128\n"));
	assert_non_null(strstr(r.out, "     - 宛先のポートが次のいずれか: 25、465、587\n"));
	assert_non_null(strstr(r.out, "     - アドレス、ポート、プログラムを問わず、すべて\n"));
	run_free(&r);
}

/* Process rules with "except": the exceptions, and why enforcement waits for userspace. */
static void test_explain_process_except(void **state)
{
	char *expected = fixture_read(FIXTURES "/valid/process-except.explain.en.txt", NULL);
	struct run r;

	set_lang(NULL, NULL, "C.UTF-8");
	r = run("explain", FIXTURES "/valid/process-except.json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out, expected);
	run_free(&r);
	free(expected);

	if (skip_without_japanese())
		return;
	set_lang(NULL, NULL, "ja_JP.UTF-8");
	r = run("explain", FIXTURES "/valid/process-except.json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(
		r.out, "   次の条件をすべて満たすプログラムを停止し、報告します（強制モード）"
		       "。このルールには例外があり、例外はカーネルではなくエージェントが"
		       "判定するため、プログラムは起動直後に停止され、わずかな間動作する"
		       "ことがあります:\n"
		       "     - パスが次のいずれか: 「/usr/bin/nc」、「/usr/bin/ncat」\n"
		       "   ただし、次の条件をすべて満たす場合は除きます:\n"));
	run_free(&r);
}

static void test_explain_baseline(void **state)
{
	struct run r;
	char want[128];
	size_t n, enabled;

	if (skip_without_japanese())
		return;
	count_rules("policy/baselines/telework.json", &n, &enabled);
	snprintf(want, sizeof(want), "\nルール %zu 件（うち有効 %zu 件）\n", n, enabled);
	r = run("explain", "policy/baselines/telework.json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "     - 名前が「x11vnc」\n"));
	assert_non_null(
		strstr(r.out, "表示されるメッセージ: このノートPCで x11vnc が動いています。"));
	run_free(&r);
}

/* Counts are words: one second, one day, one rule. */
static void test_explain_singular(void **state)
{
	static const char policy_json[] =
		"{\"id\": \"one\", \"serial\": 1, \"mode\": \"monitor\",\n"
		" \"settings\": {\"require_grace_seconds\": 1, \"sent_retention_days\": 1},\n"
		" \"rules\": [{\"id\": \"vpn\", \"type\": \"process\", \"title\": \"VPN\",\n"
		"  \"severity\": \"low\", \"match\": {\"name\": \"openvpn\"}, \"effect\": \"require\",\n"
		"  \"message\": {\"en\": \"No VPN.\"}, \"remediation\": {\"en\": \"Connect.\"}}]}\n";
	char file[] = "/tmp/test-policy-ctl.XXXXXX";
	int fd = mkstemp(file);
	struct run r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, policy_json, sizeof(policy_json) - 1),
			 (ssize_t)sizeof(policy_json) - 1);
	close(fd);
	r = run("explain", file, NULL);
	unlink(file);
	assert_int_equal(r.status, 0);
	assert_non_null(
		strstr(r.out, "\n  - a required program may be missing for 1 second before"));
	assert_non_null(
		strstr(r.out, "\n  - the local record of what was sent is kept for 1 day\n"));
	assert_non_null(strstr(r.out, "\n1 rule, 1 enabled.\n"));
	assert_non_null(strstr(r.out, "reports when none has run for 1 second, and again"));
	assert_non_null(strstr(r.out, "Mode: monitor. Rules report what they find"));
	run_free(&r);
}

/* `policy check` and its usage errors speak Japanese too. */
static void test_check_japanese(void **state)
{
	struct run r;

	if (skip_without_japanese())
		return;
	r = run("check", FIXTURES "/valid/full.json", FIXTURES "/invalid/never-matches.json", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, FIXTURES "/valid/full.json: 正常です（ルール 3 件）\n");
	assert_non_null(
		strstr(r.err, FIXTURES "/invalid/never-matches.json: 不正です（エラー 1 件）\n"));
	run_free(&r);

	r = run("explain", NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err,
			    "posturectl policy: explain にはファイルを1つだけ指定してください。 "
			    "'posturectl policy --help' を参照してください。\n");
	run_free(&r);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_usage, setup),
		cmocka_unit_test_setup(test_check_valid, setup),
		cmocka_unit_test_setup(test_check_invalid, setup),
		cmocka_unit_test_setup(test_check_directory, setup),
		cmocka_unit_test_setup(test_check_arguments_refused, setup),
		cmocka_unit_test_setup(test_check_japanese, setup),
		cmocka_unit_test_setup(test_explain_english, setup),
		cmocka_unit_test_setup(test_explain_japanese, setup),
		cmocka_unit_test_setup(test_explain_check_rule, setup),
		cmocka_unit_test_setup(test_explain_invalid, setup),
		cmocka_unit_test_setup(test_explain_network, setup),
		cmocka_unit_test_setup(test_explain_process_except, setup),
		cmocka_unit_test_setup(test_explain_baseline, setup),
		cmocka_unit_test_setup(test_explain_singular, setup),
	};

	return cmocka_run_group_tests_name("policy_ctl", tests, NULL, NULL);
}
