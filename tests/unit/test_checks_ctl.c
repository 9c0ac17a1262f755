// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl check` through ctl_check_main(), with stdout and stderr
 * captured: exit statuses, the text and the shape of --json.  Run from the
 * top of the tree (the fixture trees are tests/fixtures/rootfs-checks/).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "ctl_run.h"

#include "ctl/ctl_check.h"

#define ROOTS "tests/fixtures/rootfs-checks"

/* Runs ctl_check_main() on the NULL-terminated arguments after "check". */
#define run(...) run_verb(ctl_check_main, "check", __VA_ARGS__)

static int setup(void **state)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };

	/* The pass tree's update stamp must be recent; git keeps no times. */
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "C.UTF-8", 1);
	return utimensat(AT_FDCWD, ROOTS "/pass/var/lib/apt/periodic/unattended-upgrades-stamp", ts,
			 0) < 0 ?
		       -1 :
		       0;
}

static void test_exit_statuses(void **state)
{
	struct run r;

	r = run("--root", ROOTS "/pass", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "PASS    Disk encryption (disk-encryption)\n"));
	assert_non_null(strstr(r.out, "8 passed, 0 failed, 0 could not be told.\n"));
	/* Below a root, the file systemd-timesyncd touches when it has set the clock. */
	assert_non_null(strstr(r.out, "PASS    Clock set automatically from network time "
				      "(time-synchronised)\n"));
	assert_string_equal(r.err, "");
	run_free(&r);

	r = run("--root", ROOTS "/fail", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "FAIL    SSH server refuses root and password logins"));
	/* A failing check tells the employee what it means and how to fix it. */
	assert_non_null(strstr(r.out, "        How to fix: "));
	run_free(&r);

	r = run("--root", ROOTS "/unknown", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(
		strstr(r.out, "UNKNOWN Secure Boot (secure-boot)\n        Could not tell: "));
	run_free(&r);

	/* This machine: whatever it is, a definite answer for the baseline. */
	r = run(NULL);
	assert_true(r.status == 0 || r.status == 1 || r.status == 3);
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_japanese(void **state)
{
	struct run r;

	setenv("LANG", "ja_JP.UTF-8", 1);
	r = run("--root", ROOTS "/fail", NULL);
	setenv("LANG", "C.UTF-8", 1);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "スワップ領域）が暗号化されていません"));
	run_free(&r);
}

static void test_usage(void **state)
{
	struct run r;

	r = run("--bogus", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run("extra", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run("--root", ROOTS "/does-not-exist", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "is not a directory"));
	run_free(&r);
	r = run("--policy", "tests/fixtures/policies/invalid/check-unknown-name.json", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown check \"disk_encrypt\""));
	run_free(&r);
	r = run("--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: posturectl check"));
	run_free(&r);
}

static void test_policy_file(void **state)
{
	/* A policy without check rules has nothing to fail. */
	struct run r = run("--policy", "tests/fixtures/policies/valid/minimal.json", "--root",
			   ROOTS "/fail", NULL);

	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "0 passed, 0 failed, 0 could not be told."));
	run_free(&r);
}

static void test_json(void **state)
{
	struct run r = run("--json", "--root", ROOTS "/fail", NULL);
	char errbuf[256];
	yajl_val doc, results, summary;
	size_t fails = 0;

	assert_int_equal(r.status, 1);
	doc = yajl_tree_parse(r.out, errbuf, sizeof(errbuf));
	assert_non_null(doc);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(doc, (const char *[]){ "policy", NULL },
							  yajl_t_string)),
			    "telework-baseline");
	results = yajl_tree_get(doc, (const char *[]){ "results", NULL }, yajl_t_array);
	assert_non_null(results);
	assert_int_equal(YAJL_GET_ARRAY(results)->len, 8);
	for (size_t i = 0; i < YAJL_GET_ARRAY(results)->len; i++) {
		yajl_val o = YAJL_GET_ARRAY(results)->values[i];
		const char *status = YAJL_GET_STRING(
			yajl_tree_get(o, (const char *[]){ "status", NULL }, yajl_t_string));

		assert_non_null(yajl_tree_get(o, (const char *[]){ "rule", NULL }, yajl_t_string));
		assert_non_null(yajl_tree_get(o, (const char *[]){ "check", NULL }, yajl_t_string));
		assert_non_null(
			yajl_tree_get(o, (const char *[]){ "evidence", NULL }, yajl_t_array));
		if (strcmp(status, "fail") == 0) {
			fails++;
			assert_non_null(yajl_tree_get(o, (const char *[]){ "reason", NULL },
						      yajl_t_string));
			assert_non_null(yajl_tree_get(o, (const char *[]){ "remediation", NULL },
						      yajl_t_string));
		}
	}
	summary = yajl_tree_get(doc, (const char *[]){ "summary", "fail", NULL }, yajl_t_number);
	assert_non_null(summary);
	assert_int_equal(YAJL_GET_INTEGER(summary), fails);
	yajl_tree_free(doc);
	run_free(&r);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_statuses), cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_usage),	      cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("checks_ctl", tests, setup, NULL);
}
