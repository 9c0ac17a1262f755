// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device posture checks on fixture trees (tests/fixtures/rootfs-checks/:
 * pass, fail and unknown for every check), with the telework baseline's
 * parameters and with the defaults, and on this machine's "/".  Also check
 * rules in the policy language.  Run from the top of the tree.
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
#include <time.h>

#include <cmocka.h>

#include "checks/checks.h"

#define ROOTS	 "tests/fixtures/rootfs-checks"
#define BASELINE "policy/baselines/telework.json"

static policy *baseline;

static int setup(void **state)
{
	char path[256];
	struct timespec ts[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };

	if (policy_load(BASELINE, NULL, &baseline) < 0)
		return -1;
	/* Git keeps no modification times: set the stamps the update check reads. */
	snprintf(path, sizeof(path), "%s/pass/var/lib/apt/periodic/unattended-upgrades-stamp",
		 ROOTS);
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		return -1;
	ts[1] = (struct timespec){ .tv_sec = time(NULL) - 30 * 86400 };
	snprintf(path, sizeof(path), "%s/fail/var/lib/apt/periodic/unattended-upgrades-stamp",
		 ROOTS);
	return utimensat(AT_FDCWD, path, ts, 0) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	baseline = policy_unref(baseline);
	return 0;
}

/* The baseline rule running check, so that the shipped parameters are what is tested. */
static const policy_rule *rule_for(const char *check)
{
	for (size_t i = 0; i < policy_rule_count(baseline); i++) {
		const policy_rule *r = policy_rule_at(baseline, i);
		const char *c = policy_rule_check_name(r);

		if (c && strcmp(c, check) == 0)
			return r;
	}
	fail_msg("no baseline rule runs %s", check);
	return NULL;
}

static bool has_evidence(const struct check_result *res, const char *needle)
{
	for (size_t i = 0; i < res->n_evidence; i++)
		if (strstr(res->evidence[i], needle))
			return true;
	return false;
}

static void expect(const char *tree, const char *check, bool defaults, enum check_status want,
		   const char *reason, const char *evidence)
{
	struct check_result res;
	char root[256];

	snprintf(root, sizeof(root), "%s/%s", ROOTS, tree);
	assert_int_equal(checks_run(check, root, defaults ? NULL : rule_for(check), &res), 0);
	if (res.status != want) {
		fprintf(stderr, "%s on %s: %s (%s)\n", check, tree,
			check_status_to_string(res.status), res.reason);
		for (size_t i = 0; i < res.n_evidence; i++)
			fprintf(stderr, "  - %s\n", res.evidence[i]);
	}
	assert_int_equal(res.status, want);
	if (want == CHECK_PASS)
		assert_string_equal(res.reason, "");
	else
		assert_true(strlen(res.reason) > 0);
	if (reason && !strstr(res.reason, reason))
		fail_msg("%s on %s: reason \"%s\" lacks \"%s\"", check, tree, res.reason, reason);
	if (evidence && !has_evidence(&res, evidence))
		fail_msg("%s on %s: no evidence \"%s\"", check, tree, evidence);
}

static void test_disk_encryption(void **state)
{
	/* LVM on LUKS: / and /home are LVs whose slave is the crypt device; swap too. */
	expect("pass", "disk_encryption", false, CHECK_PASS, NULL,
	       "dm-0 is a dm-crypt device (CRYPT-LUKS2)");
	expect("pass", "disk_encryption", false, CHECK_PASS, NULL,
	       "dm-1 (LVM) sits on encrypted devices only");
	expect("pass", "disk_encryption", true, CHECK_PASS, NULL, "dm-3 (LVM)");
	expect("fail", "disk_encryption", false, CHECK_FAIL, "/ is not on an encrypted disk",
	       "sda2 is a plain disk or partition, not encrypted");
	expect("fail", "disk_encryption", false, CHECK_FAIL, NULL, "sda3 is a plain disk");
	expect("unknown", "disk_encryption", false, CHECK_UNKNOWN, "overlay filesystem", NULL);
	/* No tree at all: nothing to read. */
	expect("missing", "disk_encryption", true, CHECK_UNKNOWN, "proc/self/mountinfo", NULL);
}

static void test_os_version(void **state)
{
	expect("pass", "os_version", false, CHECK_PASS, NULL,
	       "debian 12 is at least the minimum 12");
	expect("fail", "os_version", false, CHECK_FAIL, "end of support", "kernel 4.19.0-27-amd64");
	expect("unknown", "os_version", false, CHECK_UNKNOWN, "no VERSION_ID", NULL);
	/* Without parameters there is nothing to fail on. */
	expect("fail", "os_version", true, CHECK_PASS, NULL, "ID=debian, VERSION_ID=10");
	expect("missing", "os_version", true, CHECK_UNKNOWN, "etc/os-release", NULL);
}

static void test_ssh_server(void **state)
{
	/* First value wins, Include'd files in place, Match blocks skipped. */
	expect("pass", "ssh_server", false, CHECK_PASS, NULL,
	       "PermitRootLogin no (etc/ssh/sshd_config.d/20-root.conf:1)");
	expect("pass", "ssh_server", false, CHECK_PASS, NULL, "Match block skipped");
	/* An Include before the "no" re-enables password logins. */
	expect("fail", "ssh_server", false, CHECK_FAIL, "PasswordAuthentication yes",
	       "etc/ssh/sshd_config.d/50-cloud-init.conf:2");
	expect("unknown", "ssh_server", false, CHECK_UNKNOWN, "etc/ssh/sshd_config", NULL);
	expect("missing", "ssh_server", true, CHECK_PASS, NULL, "not installed");
}

static void test_automatic_updates(void **state)
{
	expect("pass", "automatic_updates", false, CHECK_PASS, NULL, "last run 0 day(s) ago");
	expect("fail", "automatic_updates", false, CHECK_FAIL, "last ran 30 days ago", NULL);
	expect("unknown", "automatic_updates", false, CHECK_UNKNOWN, "neither apt nor dnf", NULL);
}

static void test_secure_boot(void **state)
{
	expect("pass", "secure_boot", false, CHECK_PASS, NULL, "kernel lockdown: integrity");
	expect("fail", "secure_boot", false, CHECK_FAIL, "Secure Boot is off",
	       "EFI variable SecureBoot = 0");
	expect("unknown", "secure_boot", false, CHECK_UNKNOWN, "sys/firmware", NULL);
}

static void test_usb_storage(void **state)
{
	expect("pass", "usb_storage", false, CHECK_PASS, NULL, "install usb-storage");
	expect("fail", "usb_storage", false, CHECK_FAIL, "no modprobe.d file", "is loaded");
	expect("unknown", "usb_storage", false, CHECK_UNKNOWN, "proc/modules", "blacklist");
}

/* On this build machine: every check says pass or fail, or unknown with a reason. */
static void test_this_machine(void **state)
{
	for (size_t i = 0; i < checks_count(); i++) {
		struct check_result res;

		assert_int_equal(checks_run(checks_at(i)->name, "/", NULL, &res), 0);
		if (res.status == CHECK_PASS)
			assert_string_equal(res.reason, "");
		else
			assert_true(strlen(res.reason) > 0);
		assert_int_equal(checks_run(checks_at(i)->name, NULL, rule_for(checks_at(i)->name),
					    &res),
				 0);
		assert_true(res.status == CHECK_PASS || strlen(res.reason) > 0);
	}
}

static void test_registry(void **state)
{
	struct check_result res = { .status = CHECK_FAIL };

	/* The agent runs every check the language knows, under the same names. */
	assert_int_equal(checks_count(), policy_check_name_count());
	for (size_t i = 0; i < checks_count(); i++)
		assert_string_equal(checks_at(i)->name, policy_check_name_at(i));
	assert_null(checks_at(checks_count()));
	assert_null(checks_find("firewall"));
	/* ret_* written only on success. */
	assert_int_equal(checks_run("firewall", "/", NULL, &res), -ENOENT);
	assert_int_equal(res.status, CHECK_FAIL);
}

static void test_version_compare(void **state)
{
	assert_true(check_version_compare("6.1.0-18-amd64", "5.15") > 0);
	assert_true(check_version_compare("6.1", "6.10") < 0);
	assert_int_equal(check_version_compare("12", "12.0"), 0);
	assert_true(check_version_compare("22.04", "22.10") < 0);
	assert_true(check_version_compare("4.19.0", "5") < 0);
}

static void test_policy_check_rule(void **state)
{
	static const char text[] =
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": \"check\", "
		"\"title\": \"t\", \"severity\": \"low\", \"check\": \"os_version\", "
		"\"params\": {\"min_kernel\": \"6.1\", \"min_version\": {\"debian\": \"12\", "
		"\"ubuntu\": \"22.04\"}, \"end_of_support\": [\"debian:10\"]}, "
		"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}]}";
	const struct policy_param *pp;
	const policy_rule *r;
	policy *p = NULL;

	assert_int_equal(policy_parse("inline.json", text, strlen(text), NULL, &p), 0);
	r = policy_rule_at(p, 0);
	assert_int_equal(policy_rule_type(r), POLICY_RULE_CHECK);
	assert_string_equal(policy_rule_check_name(r), "os_version");
	assert_int_equal(policy_rule_param_count(r), 3);
	assert_string_equal(policy_rule_param_at(r, 0)->name, "min_kernel");
	assert_string_equal(policy_rule_param(r, "min_kernel")->string, "6.1");
	pp = policy_rule_param(r, "min_version");
	assert_int_equal(pp->type, POLICY_PARAM_MAP);
	assert_int_equal(pp->n, 2);
	assert_string_equal(pp->keys[1], "ubuntu");
	assert_string_equal(pp->values[1], "22.04");
	pp = policy_rule_param(r, "end_of_support");
	assert_int_equal(pp->type, POLICY_PARAM_LIST);
	assert_string_equal(pp->values[0], "debian:10");
	assert_null(policy_rule_param(r, "nothing"));
	assert_null(policy_rule_param_at(r, 3));
	/* Check rules are never evaluated as process rules. */
	assert_int_equal(policy_rule_count(p), 1);
	assert_int_equal(policy_require_count(p), 0);
	assert_false(policy_rule_kernel_decidable(r));
	assert_null(policy_rule_check_name(policy_rule_at(baseline, 0)));
	policy_unref(p);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_encryption), cmocka_unit_test(test_os_version),
		cmocka_unit_test(test_ssh_server),	cmocka_unit_test(test_automatic_updates),
		cmocka_unit_test(test_secure_boot),	cmocka_unit_test(test_usb_storage),
		cmocka_unit_test(test_this_machine),	cmocka_unit_test(test_registry),
		cmocka_unit_test(test_version_compare), cmocka_unit_test(test_policy_check_rule),
	};

	return cmocka_run_group_tests_name("checks", tests, setup, teardown);
}
