// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's watch of systemd-resolved (agent/postured/resolved.c) against
 * a private dbus-daemon and fake_resolved, a test service answering as
 * resolved does: its servers read, followed through PropertiesChanged and
 * through resolved going and coming back, an older resolved with DNS only,
 * malformed entries left out, and one that never answers given up on in
 * time.  The bus is this machine's for sd_bus_open_system() through
 * DBUS_SYSTEM_BUS_ADDRESS.  Needs no root and no network.
 *
 *   test_resolved_bus FAKE_RESOLVED
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/resolved.h"
#include "postured/resolvers.h"
#include "../helpers/private_bus.h"

static const char *fake_path;
static char tmpdir[] = "/tmp/resolved-bus-XXXXXX";
static char address[512];
static pid_t dbus_pid = -1, fake_pid = -1;
static int fake_in = -1;

static int start_dbus(void)
{
	return private_bus_start_system(tmpdir, tmpdir, address, sizeof(address), &dbus_pid);
}

/* Starts fake_resolved with the NULL-terminated arguments; waits until it owns the name. */
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
	assert_int_equal(private_bus_spawn((char *const *)argv, &fake_pid, &fake_in, NULL), 0);
}

static void fake_say(const char *servers)
{
	assert_true(write(fake_in, servers, strlen(servers)) == (ssize_t)strlen(servers));
}

static void fake_stop(void)
{
	if (fake_in >= 0)
		close(fake_in);
	fake_in = -1;
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

/* ---- the watch on a loop of ours ------------------------------------------------ */

static unsigned changes;

static void on_change(resolved *r, void *userdata)
{
	changes++;
}

/* Runs e until the callback came after `since` changes, or timeout; whether it came. */
static bool run_until_change(sd_event *e, unsigned since, usec_t timeout)
{
	usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

	while (changes == since && now_usec(CLOCK_MONOTONIC) < end)
		assert_true(sd_event_run(e, 20 * USEC_PER_MSEC) >= 0);
	return changes != since;
}

/* Runs e for a while, for what must not happen. */
static void run_for(sd_event *e, usec_t t)
{
	usec_t end = now_usec(CLOCK_MONOTONIC) + t;

	while (now_usec(CLOCK_MONOTONIC) < end)
		assert_true(sd_event_run(e, 20 * USEC_PER_MSEC) >= 0);
}

/* The set resolved_get() gives, as text. */
static const char *servers_text(resolved *r, bool *ret_answered, const char **ret_why)
{
	static char out[512];
	struct policy_net_resolvers s;
	size_t off = 0;

	*ret_answered = resolved_get(r, &s, NULL, ret_why);
	out[0] = '\0';
	for (size_t i = 0; i < s.n; i++) {
		char a[64];

		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i ? " " : "",
					resolvers_address_text(&s, i, a, sizeof(a)));
	}
	return out;
}

struct watch {
	sd_event *e;
	resolved *r;
};

static struct watch watch_start(void)
{
	struct watch w = {};

	changes = 0;
	assert_int_equal(sd_event_new(&w.e), 0);
	assert_int_equal(resolved_new(w.e, on_change, NULL, &w.r), 0);
	return w;
}

static void watch_stop(struct watch *w)
{
	w->r = resolved_free(w->r);
	w->e = sd_event_unref(w->e);
}

static void test_servers_and_changes(void **state)
{
	struct watch w;
	const char *why;
	bool answered;

	fake_start("2:192.0.2.53", "2:2001:db8::53", "3:fe80::1", "0:::ffff:192.0.2.53", NULL);
	w = watch_start();
	assert_true(run_until_change(w.e, 0, 3 * USEC_PER_SEC));
	/* Each once: the v4-mapped one is the first. */
	assert_string_equal(servers_text(w.r, &answered, &why), "192.0.2.53 2001:db8::53 fe80::1");
	assert_true(answered);
	assert_string_equal(why, "");

	/* The network changed: PropertiesChanged, and the new set. */
	fake_say("4:198.51.100.1\n");
	assert_true(run_until_change(w.e, 1, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "198.51.100.1");

	/* Asked again with nothing changed: no callback. */
	assert_int_equal(resolved_refresh(w.r), 0);
	run_for(w.e, 300 * USEC_PER_MSEC);
	assert_int_equal(changes, 2);

	/* resolved stops: NameOwnerChanged, and none of its servers. */
	fake_stop();
	assert_true(run_until_change(w.e, 2, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "");
	assert_false(answered);
	assert_string_equal(why, "systemd-resolved is not running");

	/* It comes back, older: DNS only. */
	fake_start("--old", "2:203.0.113.53", NULL);
	assert_true(run_until_change(w.e, 3, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "203.0.113.53");
	assert_true(answered);
	fake_say("2:203.0.113.54 2:203.0.113.55\n");
	assert_true(run_until_change(w.e, 4, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "203.0.113.54 203.0.113.55");
	watch_stop(&w);
}

static void test_not_running(void **state)
{
	struct watch w = watch_start();
	const char *why;
	bool answered;

	/* Nothing owns the name: an error answer at once; not started (no auto-start). */
	run_for(w.e, 500 * USEC_PER_MSEC);
	assert_string_equal(servers_text(w.r, &answered, &why), "");
	assert_false(answered);
	assert_string_equal(why, "systemd-resolved is not running");
	assert_int_equal(changes, 0);

	/* It starts: NameOwnerChanged, asked, answered. */
	fake_start("1:192.0.2.1", NULL);
	assert_true(run_until_change(w.e, 0, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "192.0.2.1");
	watch_stop(&w);
}

static void test_malformed_entries(void **state)
{
	char many[64 * 20] = "";
	struct policy_net_resolvers s;
	struct watch w;
	const char *why;
	size_t dropped;
	bool answered;

	/* An IPv4 of 6 bytes, an IPv6 of 4, an unknown family: left out. */
	fake_start("2:2:c0000235ffff", "2:10:c0000235", "2:7:c0000235", "2:192.0.2.9", NULL);
	w = watch_start();
	assert_true(run_until_change(w.e, 0, 3 * USEC_PER_SEC));
	assert_string_equal(servers_text(w.r, &answered, &why), "192.0.2.9");

	/* More servers than the set holds: the first ones, the rest counted. */
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%d:10.0.0.%d ", i, i);
	strcat(many, "\n");
	fake_say(many);
	assert_true(run_until_change(w.e, 1, 3 * USEC_PER_SEC));
	assert_true(resolved_get(w.r, &s, &dropped, NULL));
	assert_int_equal(s.n, POLICY_NET_RESOLVERS_MAX);
	assert_int_equal(dropped, 40 - POLICY_NET_RESOLVERS_MAX);
	watch_stop(&w);
}

static void test_hangs(void **state)
{
	struct watch w;
	const char *why;
	bool answered;
	usec_t t0;

	fake_start("--hang", "2:192.0.2.1", NULL);
	t0 = now_usec(CLOCK_MONOTONIC);
	w = watch_start();
	/* Given up on within the timeout, not waited for forever; the loop never blocks. */
	run_for(w.e, RESOLVED_TIMEOUT_USEC + 500 * USEC_PER_MSEC);
	assert_string_equal(servers_text(w.r, &answered, &why), "");
	assert_false(answered);
	assert_string_equal(why, "systemd-resolved did not answer in time");
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 < RESOLVED_TIMEOUT_USEC + 2 * USEC_PER_SEC);
	watch_stop(&w);
}

static void test_no_bus(void **state)
{
	sd_event *e = NULL;
	resolved *r = NULL;

	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1), 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_true(resolved_new(e, on_change, NULL, &r) < 0);
	assert_null(r);
	sd_event_unref(e);
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_servers_and_changes, teardown_fake),
		cmocka_unit_test_teardown(test_not_running, teardown_fake),
		cmocka_unit_test_teardown(test_malformed_entries, teardown_fake),
		cmocka_unit_test_teardown(test_hangs, teardown_fake),
		cmocka_unit_test(test_no_bus),
	};
	char cmd[600];
	int r;

	if (argc != 2) {
		fprintf(stderr, "Usage: test_resolved_bus FAKE_RESOLVED\n");
		return 2;
	}
	fake_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir))
		return 1;
	if (start_dbus() < 0) {
		printf("SKIP: dbus-daemon cannot be started\n");
		rmdir(tmpdir);
		return 77;
	}
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
	r = cmocka_run_group_tests_name("resolved_bus", tests, NULL, NULL);
	kill(dbus_pid, SIGTERM);
	waitpid(dbus_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
