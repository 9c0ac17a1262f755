// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The checks that ask services over the system bus (required_services,
 * time_sync), against a private dbus-daemon this test starts and
 * fake_systemd, a test service that answers as systemd, timedated and
 * timesyncd do, started per case with the states it is to report.  The bus
 * is reached both ways a check can: as this machine's (root "/", through
 * DBUS_SYSTEM_BUS_ADDRESS) and as another root's (ROOT/run/dbus/
 * system_bus_socket).  Needs no root and no network.
 *
 *   test_checks_bus FAKE_SYSTEMD
 *
 * Exit 77 (skipped) without dbus-daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/checks/checks.h"
#include "postured/checks/runner.h"
#include "tests/unit/fixtures.h"
#include "../helpers/private_bus.h"

static const char *fake_path;
static char tmpdir[] = "/tmp/checks-bus-XXXXXX";
static char root[256]; /* a root whose run/dbus/system_bus_socket is the private bus */
static char address[512];
static pid_t dbus_pid = -1, fake_pid = -1;

/* ---- the private bus and the fake service ------------------------------------ */

static int start_dbus(void)
{
	char dir[300], text[2048];

	snprintf(root, sizeof(root), "%s/root", tmpdir);
	snprintf(dir, sizeof(dir), "%s/run/dbus", root);
	snprintf(text, sizeof(text), "mkdir -p '%s'", dir);
	if (system(text) != 0)
		return -1;
	return private_bus_start_system(tmpdir, dir, address, sizeof(address), &dbus_pid);
}

/* Starts fake_systemd with the NULL-terminated arguments and waits until it owns its names. */
static void fake_start(const char *arg, ...)
{
	const char *argv[32] = { fake_path, "--address", address };
	size_t n = 3;
	va_list ap;

	va_start(ap, arg);
	for (; arg && n + 1 < 32; arg = va_arg(ap, const char *))
		argv[n++] = arg;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(private_bus_spawn((char *const *)argv, &fake_pid, NULL, NULL), 0);
}

static void fake_stop(void)
{
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	fake_pid = -1;
}

static int teardown_fake(void **state)
{
	fake_stop();
	return 0;
}

/* ---- rules and results ---------------------------------------------------------- */

static policy *rules;

/* The rule with this id from the test policy. */
static const policy_rule *rule(const char *id)
{
	const policy_rule *r = policy_rule_find(rules, id);

	assert_non_null(r);
	return r;
}

/* Runs check on root r and expects status, reason and evidence (NULL: any). */
static struct check_result expect(const char *check, const char *r, const policy_rule *pr,
				  enum check_status want, const char *reason, const char *evidence)
{
	struct check_result res;

	assert_int_equal(checks_run(check, r, pr, &res), 0);
	if (res.status != want || (reason && !strstr(res.reason, reason)) ||
	    (evidence && !fixture_check_has_evidence(&res, evidence)))
		fixture_check_dump(check, &res);
	assert_int_equal(res.status, want);
	if (want == CHECK_PASS)
		assert_string_equal(res.reason, "");
	else
		assert_true(strlen(res.reason) > 0);
	if (reason)
		assert_non_null(strstr(res.reason, reason));
	if (evidence)
		assert_true(fixture_check_has_evidence(&res, evidence));
	return res;
}

static usec_t elapsed_since(usec_t t)
{
	return now_usec(CLOCK_MONOTONIC) - t;
}

/* ---- required_services ------------------------------------------------------------ */

static void test_units_all_active(void **state)
{
	fake_start("--unit", "vpn.service=loaded:active:running", "--unit",
		   "edr.socket=loaded:active:listening", "--unit",
		   "backup.timer=loaded:reloading:waiting", NULL);
	/* This machine's bus, through DBUS_SYSTEM_BUS_ADDRESS, and another root's socket. */
	expect("required_services", "/", rule("services-ok"), CHECK_PASS, NULL,
	       "vpn.service: active (running), load state loaded");
	expect("required_services", root, rule("services-ok"), CHECK_PASS, NULL,
	       "edr.socket: active (listening), load state loaded");
	expect("required_services", root, rule("services-ok"), CHECK_PASS, NULL,
	       "backup.timer: reloading (waiting)");
}

static void test_units_not_running(void **state)
{
	struct check_result res;

	fake_start("--unit", "vpn.service=loaded:active:running", "--unit",
		   "edr.socket=loaded:inactive:dead", "--unit", "backup.timer=loaded:failed:failed",
		   "--unit", "masked@x.service=masked:inactive:dead", NULL);
	res = expect("required_services", "/", rule("services-mixed"), CHECK_FAIL,
		     "edr.socket (inactive)", "vpn.service: active (running)");
	/* Each one that is not running is named, with why. */
	assert_non_null(strstr(res.reason, "backup.timer (failed)"));
	assert_non_null(strstr(res.reason, "masked@x.service (masked)"));
	/* A unit systemd has no file for loads as not-found. */
	assert_non_null(strstr(res.reason, "openvpn-client@work.service (not installed)"));
	assert_null(strstr(res.reason, "vpn.service (")); /* the running one is not named */
	assert_true(fixture_check_has_evidence(&res,
					       "openvpn-client@work.service: inactive (dead), load "
					       "state not-found"));
	assert_true(fixture_check_has_evidence(&res,
					       "backup.timer: failed (failed), load state loaded"));
}

static void test_units_no_systemd(void **state)
{
	/* A bus without systemd on it: unknown, saying so. */
	fake_start("--no-systemd", NULL);
	expect("required_services", "/", rule("services-ok"), CHECK_UNKNOWN,
	       "systemd cannot be asked: org.freedesktop.systemd1 LoadUnit failed: "
	       "org.freedesktop.DBus.Error.ServiceUnknown",
	       "vpn.service: org.freedesktop.systemd1 LoadUnit failed");
}

static void test_units_no_bus(void **state)
{
	char bogus[300], none[300];

	/* No bus at all: unknown with where it looked. */
	snprintf(bogus, sizeof(bogus), "unix:path=%s/no-such-socket", tmpdir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bogus, 1);
	expect("required_services", "/", rule("services-ok"), CHECK_UNKNOWN,
	       "systemd cannot be asked: cannot connect to the system bus (unix:path=", NULL);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
	snprintf(none, sizeof(none), "%s/empty", tmpdir);
	mkdir(none, 0755);
	expect("required_services", none, rule("services-ok"), CHECK_UNKNOWN,
	       "no system bus to ask: ", NULL);
	/* Nothing required: nothing to ask. */
	expect("required_services", none, NULL, CHECK_PASS, NULL, "names no units");
}

static void test_units_hang(void **state)
{
	usec_t t = now_usec(CLOCK_MONOTONIC);
	struct check_result res;

	/* systemd holds its name and never answers: unknown within the call's 2 s. */
	fake_start("--hang", NULL);
	res = expect("required_services", "/", rule("services-ok"), CHECK_UNKNOWN,
		     "org.freedesktop.systemd1 did not answer LoadUnit within 2 s",
		     "edr.socket: not asked");
	assert_true(elapsed_since(t) < 10 * USEC_PER_SEC); /* sd-bus's own default is 25 s */
	assert_true(fixture_check_has_evidence(&res, "backup.timer: not asked"));
}

static void test_units_strings_cleaned(void **state)
{
	char sub[400], want[512];
	struct check_result res;

	/* States from the bus are cut and made printable before they become evidence. */
	memset(sub, 'x', sizeof(sub) - 1);
	sub[sizeof(sub) - 1] = '\0';
	memcpy(sub, "evil\x1b[2J\nline", 13);
	snprintf(want, sizeof(want), "vpn.service=loaded:act\tive:%s", sub);
	fake_start("--unit", want, NULL);
	res = expect("required_services", "/", rule("services-one"), CHECK_FAIL,
		     "vpn.service (act?ive)", "vpn.service: act?ive (evil?[2J?linexxx");
	for (size_t i = 0; i < res.n_evidence; i++) {
		assert_true(strlen(res.evidence[i]) < 200);
		for (const char *c = res.evidence[i]; *c; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
	}
	assert_true(fixture_check_has_evidence(&res, "xxx..."));
}

/* ---- time_sync ------------------------------------------------------------------------ */

static void test_time_synchronised(void **state)
{
	fake_start("--ntp", "yes", "--synced", "yes", "--server", "ntp.example.org\n!", NULL);
	expect("time_sync", "/", rule("time"), CHECK_PASS, NULL,
	       "timedated: NTP on, NTPSynchronized yes");
	expect("time_sync", root, rule("time"), CHECK_PASS, NULL,
	       "systemd-timesyncd: server ntp.example.org?!");
}

static void test_time_not_synchronised(void **state)
{
	fake_start("--ntp", "yes", "--synced", "no", NULL);
	expect("time_sync", "/", rule("time"), CHECK_FAIL,
	       "NTP is on, but the clock is not synchronised", "NTPSynchronized no");
}

static void test_time_ntp_off(void **state)
{
	/* Synchronised some other way (PTP, a hypervisor): NTP off fails unless allowed. */
	fake_start("--ntp", "no", "--synced", "yes", "--no-timesync", NULL);
	expect("time_sync", "/", rule("time"), CHECK_FAIL,
	       "network time synchronisation (NTP) is off", "timedated: NTP off");
	expect("time_sync", "/", rule("time-any"), CHECK_PASS, NULL, "NTPSynchronized yes");
	fake_stop();
	fake_start("--ntp", "no", "--synced", "no", "--no-timesync", NULL);
	expect("time_sync", "/", rule("time-any"), CHECK_FAIL, "the clock is not synchronised",
	       NULL);
}

/* What adjtimex() says of this machine's clock, as the check must report it without timedated. */
static enum check_status kernel_status(void)
{
	struct timex tx = {};
	int state = adjtimex(&tx);

	assert_true(state >= 0);
	return state != TIME_ERROR && !(tx.status & STA_UNSYNC) ? CHECK_PASS : CHECK_FAIL;
}

static void test_time_without_timedated(void **state)
{
	char none[300];
	struct check_result res;

	/* On this machine: the kernel's own status, which is what timedated reports. */
	fake_start("--no-timedate", NULL);
	res = expect("time_sync", "/", rule("time"), kernel_status(), NULL,
		     "timedated: org.freedesktop.timedate1 Get(NTP) failed: "
		     "org.freedesktop.DBus.Error.ServiceUnknown");
	assert_true(fixture_check_has_evidence(&res, "kernel clock: "));
	/* Below another root with nothing to read: unknown, with both reasons. */
	expect("time_sync", root, rule("time"), CHECK_UNKNOWN,
	       "there is no systemd configuration (etc/systemd/system) to read",
	       "timedated: org.freedesktop.timedate1 Get(NTP) failed");
	snprintf(none, sizeof(none), "%s/empty", tmpdir);
	mkdir(none, 0755);
	expect("time_sync", none, rule("time"), CHECK_UNKNOWN, "no system bus to ask", NULL);
}

static void test_time_hang(void **state)
{
	usec_t t = now_usec(CLOCK_MONOTONIC);

	fake_start("--hang", NULL);
	expect("time_sync", root, rule("time"), CHECK_UNKNOWN,
	       "org.freedesktop.timedate1 did not answer Get(NTP) within 2 s", NULL);
	assert_true(elapsed_since(t) < 10 * USEC_PER_SEC); /* sd-bus's own default is 25 s */
	/* On this machine the kernel still answers. */
	t = now_usec(CLOCK_MONOTONIC);
	expect("time_sync", "/", rule("time"), kernel_status(), NULL, "did not answer Get(NTP)");
	assert_true(elapsed_since(t) < 10 * USEC_PER_SEC); /* sd-bus's own default is 25 s */
}

/* ---- the runner with a check stuck on the bus ------------------------------------ */

static void test_runner_bus_hang(void **state)
{
	const struct check_job jobs[] = {
		{ "required_services", rule("services-ok") },
		{ "time_sync", rule("time") },
	};
	const struct check_runner_options opts = { .check_timeout = 500 * USEC_PER_MSEC };
	struct check_result results[2];
	usec_t t = now_usec(CLOCK_MONOTONIC);

	/* The checks' own 2 s are longer than the runner allows: the runner stops them. */
	fake_start("--hang", NULL);
	assert_int_equal(check_runner_run(root, jobs, 2, &opts, results), 0);
	assert_true(elapsed_since(t) < 10 * USEC_PER_SEC); /* the reasons say who stopped them */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(results[i].status, CHECK_UNKNOWN);
		assert_string_equal(results[i].reason, "did not finish within 500 ms");
	}
	fake_stop();
	/* And with a service that answers, the runner hands the checks' own results back. */
	fake_start("--unit", "vpn.service=loaded:active:running", "--unit",
		   "edr.socket=loaded:active:running", "--unit",
		   "backup.timer=loaded:active:waiting", NULL);
	assert_int_equal(check_runner_run(root, jobs, 2, NULL, results), 0);
	if (results[0].status != CHECK_PASS)
		fixture_check_dump("required_services", &results[0]);
	assert_int_equal(results[0].status, CHECK_PASS);
	assert_true(fixture_check_has_evidence(&results[0], "backup.timer: active (waiting)"));
	assert_int_equal(results[1].status, CHECK_PASS);
	assert_true(fixture_check_has_evidence(&results[1], "NTPSynchronized yes"));
}

/* ---- the policy --------------------------------------------------------------------- */

#define RULE(id, check, params)                                                               \
	"{\"id\": \"" id "\", \"type\": \"check\", \"title\": \"t\", \"severity\": \"low\", " \
	"\"check\": \"" check "\", \"params\": " params ", \"message\": {\"en\": \"m\"}, "    \
	"\"remediation\": {\"en\": \"r\"}}"

static const char policy_text[] =
	"{\"id\": \"bus-test\", \"serial\": 1, \"rules\": [" RULE("services-ok", "required_services", "{\"units\": [\"vpn.service\", \"edr.socket\", \"backup.timer\"]}") "," RULE(
		"services-mixed", "required_services",
		"{\"units\": [\"vpn.service\", \"edr.socket\", \"backup.timer\", "
		"\"masked@x.service\", \"openvpn-client@work.service\"]}") "," RULE("services-one",
										    "required_services",
										    "{\"units\": [\"vpn.service\"]}") "," RULE("time",
															       "time_sync",
															       "{}") "," RULE("time-any",
																	      "time_sync",
																	      "{\"require_ntp\": false}") "]}";

static int setup(void **state)
{
	rules = fixture_policy_parse("bus-test.json", policy_text, strlen(policy_text));
	return 0;
}

static int teardown(void **state)
{
	rules = policy_unref(rules);
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_units_all_active, teardown_fake),
		cmocka_unit_test_teardown(test_units_not_running, teardown_fake),
		cmocka_unit_test_teardown(test_units_no_systemd, teardown_fake),
		cmocka_unit_test_teardown(test_units_no_bus, teardown_fake),
		cmocka_unit_test_teardown(test_units_hang, teardown_fake),
		cmocka_unit_test_teardown(test_units_strings_cleaned, teardown_fake),
		cmocka_unit_test_teardown(test_time_synchronised, teardown_fake),
		cmocka_unit_test_teardown(test_time_not_synchronised, teardown_fake),
		cmocka_unit_test_teardown(test_time_ntp_off, teardown_fake),
		cmocka_unit_test_teardown(test_time_without_timedated, teardown_fake),
		cmocka_unit_test_teardown(test_time_hang, teardown_fake),
		cmocka_unit_test_teardown(test_runner_bus_hang, teardown_fake),
	};
	char cmd[300];
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FAKE_SYSTEMD\n", argv[0]);
		return 2;
	}
	fake_path = argv[1];
	if (system("command -v dbus-daemon >/dev/null 2>&1") != 0) {
		printf("SKIP: dbus-daemon is not installed (tools/install-deps)\n");
		return 77;
	}
	if (!mkdtemp(tmpdir) || start_dbus() < 0) {
		fprintf(stderr, "test_checks_bus: cannot start a private dbus-daemon\n");
		return 1;
	}
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
	r = cmocka_run_group_tests_name("checks_bus", tests, setup, teardown);
	fake_stop();
	kill(dbus_pid, SIGTERM);
	waitpid(dbus_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_checks_bus: could not remove %s\n", tmpdir);
	return r;
}
