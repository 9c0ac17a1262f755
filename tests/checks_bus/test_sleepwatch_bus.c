// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's watch of sleep and wake-up (agent/postured/sleepwatch.c)
 * against a private dbus-daemon and fake_logind, a test service answering
 * as systemd-logind does: the delay lock taken at start; PrepareForSleep
 * (true) told to the owner while the lock is held, the lock released when
 * the owner is ready, or by the 2 s bound when it never is; the wake-up
 * told and a new lock taken; logind absent, refusing, going and coming
 * back, and the bus going away.  fake_logind prints RELEASED when the lock
 * it handed out is closed, which is what logind waits for.  The bus is this
 * machine's for sd_bus_open_system() through DBUS_SYSTEM_BUS_ADDRESS.
 * Needs no root and no network.
 *
 *   test_sleepwatch_bus FAKE_LOGIND
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/sleepwatch.h"
#include "../helpers/private_bus.h"

#define WHY_TEXT "Telling the collector the laptop goes to sleep"

static const char *fake_path;
static char tmpdir[] = "/tmp/sleepwatch-bus-XXXXXX";
static char address[512];
static const char *bus_address = address; /* the bus fake_logind joins */
static pid_t dbus_pid = -1, fake_pid = -1;
static int fake_in = -1, fake_out = -1;

/* What fake_logind said since it started. */
static struct {
	unsigned inhibits, released;
	char inhibit[1024]; /* the last INHIBIT line */
	char buf[1024];
	size_t len;
} heard;

static void fake_start(const char *arg)
{
	const char *argv[] = { fake_path, "--address", bus_address, arg, NULL };

	heard = (typeof(heard)){};
	assert_int_equal(private_bus_spawn((char *const *)argv, &fake_pid, &fake_in, &fake_out), 0);
	assert_int_equal(fcntl(fake_out, F_SETFL, O_NONBLOCK), 0);
}

static void fake_say(const char *command)
{
	assert_true(write(fake_in, command, strlen(command)) == (ssize_t)strlen(command));
}

/* Takes in the lines fake_logind printed since the last look. */
static void fake_listen(void)
{
	ssize_t n;
	char *nl;

	if (fake_out < 0)
		return;
	while ((n = read(fake_out, heard.buf + heard.len, sizeof(heard.buf) - 1 - heard.len)) > 0) {
		heard.len += (size_t)n;
		heard.buf[heard.len] = '\0';
		while ((nl = strchr(heard.buf, '\n'))) {
			*nl = '\0';
			if (strncmp(heard.buf, "INHIBIT ", 8) == 0) {
				heard.inhibits++;
				snprintf(heard.inhibit, sizeof(heard.inhibit), "%s", heard.buf);
			} else if (strcmp(heard.buf, "RELEASED") == 0) {
				heard.released++;
			}
			heard.len -= (size_t)(nl + 1 - heard.buf);
			memmove(heard.buf, nl + 1, heard.len + 1);
		}
	}
}

static void fake_stop(void)
{
	if (fake_in >= 0)
		close(fake_in);
	if (fake_out >= 0)
		close(fake_out);
	fake_in = fake_out = -1;
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	fake_pid = -1;
}

/* ---- the watch on a loop of ours ------------------------------------------------ */

static struct {
	unsigned count;
	enum sleepwatch_event last;
	bool locked; /* whether the lock was held while the owner was told */
	usec_t sleep_at; /* CLOCK_MONOTONIC of the last SLEEPWATCH_SLEEP */
	bool ready_at_once; /* the owner is ready in the callback, as the agent is */
} told;

static void on_event(sleepwatch *w, enum sleepwatch_event event, void *userdata)
{
	told.count++;
	told.last = event;
	told.locked = sleepwatch_locked(w, NULL);
	if (event == SLEEPWATCH_SLEEP) {
		told.sleep_at = now_usec(CLOCK_MONOTONIC);
		if (told.ready_at_once)
			sleepwatch_ready(w);
	}
}

static void step(sd_event *e)
{
	assert_true(sd_event_run(e, 20 * USEC_PER_MSEC) >= 0);
	fake_listen();
}

/* Runs the loop, hearing fake_logind, until cond holds or timeout passes; whether it holds. */
#define RUN_UNTIL(e, cond, timeout)                                  \
	({                                                           \
		usec_t end_ = now_usec(CLOCK_MONOTONIC) + (timeout); \
		while (!(cond) && now_usec(CLOCK_MONOTONIC) < end_)  \
			step(e);                                     \
		(cond);                                              \
	})

/* Runs the loop for a while, for what must not happen. */
static void run_for(sd_event *e, usec_t t)
{
	usec_t end = now_usec(CLOCK_MONOTONIC) + t;

	while (now_usec(CLOCK_MONOTONIC) < end)
		step(e);
}

struct watch {
	sd_event *e;
	sleepwatch *w;
};

static struct watch watch_start(void)
{
	struct watch w = {};

	assert_int_equal(sd_event_new(&w.e), 0);
	assert_int_equal(sleepwatch_new(w.e, on_event, NULL, &w.w), 0);
	return w;
}

static void watch_stop(struct watch *w)
{
	w->w = sleepwatch_free(w->w);
	w->e = sd_event_unref(w->e);
}

static bool locked(struct watch *w)
{
	return sleepwatch_locked(w->w, NULL);
}

static const char *why(struct watch *w)
{
	const char *s;

	(void)sleepwatch_locked(w->w, &s);
	return s;
}

static int setup_told(void **state)
{
	told = (typeof(told)){};
	return 0;
}

static int teardown_fake(void **state)
{
	fake_stop();
	return 0;
}

/* A lock at start, held while the owner is told; released once it is ready; a new one after. */
static void test_sleep_ready_wake(void **state)
{
	struct watch w;

	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, heard.inhibits == 1 && locked(&w), 3 * USEC_PER_SEC));
	assert_string_equal(heard.inhibit, "INHIBIT sleep postured delay " WHY_TEXT);
	assert_string_equal(why(&w), "");

	fake_say("sleep\n");
	assert_true(RUN_UNTIL(w.e, told.count == 1, 3 * USEC_PER_SEC));
	assert_int_equal(told.last, SLEEPWATCH_SLEEP);
	assert_string_equal(sleepwatch_event_to_string(told.last), "going to sleep");
	assert_true(told.locked);
	/* logind waits while the owner is not ready. */
	run_for(w.e, 300 * USEC_PER_MSEC);
	assert_int_equal(heard.released, 0);
	assert_true(locked(&w));

	sleepwatch_ready(w.w);
	assert_false(locked(&w));
	assert_string_equal(why(&w), "released: the laptop is going to sleep");
	assert_true(RUN_UNTIL(w.e, heard.released == 1, USEC_PER_SEC));
	/* Once is all: again, and nothing changes. */
	sleepwatch_ready(w.w);
	run_for(w.e, 100 * USEC_PER_MSEC);
	assert_int_equal(heard.inhibits, 1);

	fake_say("wake\n");
	assert_true(RUN_UNTIL(w.e, told.count == 2, 3 * USEC_PER_SEC));
	assert_int_equal(told.last, SLEEPWATCH_WAKE);
	assert_string_equal(sleepwatch_event_to_string(told.last), "woke");
	assert_true(RUN_UNTIL(w.e, heard.inhibits == 2 && locked(&w), 3 * USEC_PER_SEC));
	assert_int_equal(heard.released, 1);

	/* The watch's end closes the lock. */
	watch_stop(&w);
	for (int i = 0; i < 100 && heard.released < 2; i++) {
		usleep(10000);
		fake_listen();
	}
	assert_int_equal(heard.released, 2);
}

/* The owner ready in the callback, as the agent is: released at once. */
static void test_ready_at_once(void **state)
{
	struct watch w;

	told.ready_at_once = true;
	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, locked(&w), 3 * USEC_PER_SEC));
	fake_say("sleep\n");
	assert_true(RUN_UNTIL(w.e, heard.released == 1, 3 * USEC_PER_SEC));
	assert_int_equal(told.count, 1);
	assert_true(told.locked);
	assert_true(now_usec(CLOCK_MONOTONIC) - told.sleep_at < 500 * USEC_PER_MSEC);
	watch_stop(&w);
}

/* An owner that never says it is ready holds the suspend up for SLEEPWATCH_DELAY_USEC, no more. */
static void test_delay_bounded(void **state)
{
	struct watch w;
	usec_t held;

	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, locked(&w), 3 * USEC_PER_SEC));
	fake_say("sleep\n");
	assert_true(RUN_UNTIL(w.e, told.count == 1, 3 * USEC_PER_SEC));
	assert_true(RUN_UNTIL(w.e, heard.released == 1, SLEEPWATCH_DELAY_USEC + USEC_PER_SEC));
	held = now_usec(CLOCK_MONOTONIC) - told.sleep_at;
	assert_true(held >= SLEEPWATCH_DELAY_USEC - 50 * USEC_PER_MSEC);
	assert_true(held < SLEEPWATCH_DELAY_USEC + 500 * USEC_PER_MSEC);
	assert_string_equal(why(&w), "released: the laptop is going to sleep (the delay ran out)");
	/* Ready after the delay ran out: nothing left to release. */
	sleepwatch_ready(w.w);

	fake_say("wake\n");
	assert_true(RUN_UNTIL(w.e, told.count == 2 && heard.inhibits == 2 && locked(&w),
			      3 * USEC_PER_SEC));
	assert_int_equal(told.last, SLEEPWATCH_WAKE);
	watch_stop(&w);
}

/* Awake again before the owner was ready (a suspend that failed): the old lock goes, a new comes. */
static void test_wake_before_ready(void **state)
{
	struct watch w;

	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, locked(&w), 3 * USEC_PER_SEC));
	fake_say("sleep\nwake\n");
	assert_true(RUN_UNTIL(
		w.e, told.count == 2 && heard.released == 1 && heard.inhibits == 2 && locked(&w),
		3 * USEC_PER_SEC));
	assert_int_equal(told.last, SLEEPWATCH_WAKE);
	/* The delay's timer went with the old lock: it releases nothing later. */
	run_for(w.e, SLEEPWATCH_DELAY_USEC + 200 * USEC_PER_MSEC);
	assert_int_equal(heard.released, 1);
	assert_true(locked(&w));
	watch_stop(&w);
}

/* Without logind: no lock, no crash, not started; a lock once it appears. */
static void test_logind_absent(void **state)
{
	struct watch w = watch_start();

	run_for(w.e, 500 * USEC_PER_MSEC);
	assert_false(locked(&w));
	assert_string_equal(why(&w), "systemd-logind is not running");
	assert_int_equal(told.count, 0);

	fake_start(NULL);
	assert_true(RUN_UNTIL(w.e, heard.inhibits == 1 && locked(&w), 3 * USEC_PER_SEC));
	watch_stop(&w);
}

/* logind goes: the lock, its, goes too; it comes back: a new lock. */
static void test_logind_restarts(void **state)
{
	struct watch w;

	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, locked(&w), 3 * USEC_PER_SEC));
	fake_stop();
	assert_true(RUN_UNTIL(w.e, !locked(&w), 3 * USEC_PER_SEC));
	assert_string_equal(why(&w), "systemd-logind is not running");

	fake_start(NULL);
	assert_true(RUN_UNTIL(w.e, heard.inhibits == 1 && locked(&w), 3 * USEC_PER_SEC));
	fake_say("sleep\n");
	assert_true(RUN_UNTIL(w.e, told.count == 1, 3 * USEC_PER_SEC));
	assert_true(told.locked);
	watch_stop(&w);
}

/* logind (polkit) refuses the lock: why says so, and sleep and wake-up are still told. */
static void test_refused(void **state)
{
	struct watch w;

	fake_start("--refuse");
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, strstr(why(&w), "refused") != NULL, 3 * USEC_PER_SEC));
	assert_string_equal(why(&w), "systemd-logind refused the lock: Permission denied");
	fake_say("sleep\n");
	assert_true(RUN_UNTIL(w.e, told.count == 1, 3 * USEC_PER_SEC));
	assert_false(told.locked);
	sleepwatch_ready(w.w);
	fake_say("wake\n");
	assert_true(RUN_UNTIL(w.e, told.count == 2, 3 * USEC_PER_SEC));
	run_for(w.e, 200 * USEC_PER_MSEC);
	assert_false(locked(&w));
	assert_int_equal(heard.inhibits, 0);
	watch_stop(&w);
}

/* The bus goes away (its daemon dies): no signal can come, so the lock is closed. */
static void test_bus_gone(void **state)
{
	char dir[300], address2[512];
	struct watch w;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/second", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(private_bus_start_system(dir, dir, address2, sizeof(address2), &pid), 0);
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address2, 1), 0);
	bus_address = address2;
	fake_start(NULL);
	w = watch_start();
	assert_true(RUN_UNTIL(w.e, locked(&w), 3 * USEC_PER_SEC));

	/* SIGKILL: gone at once, without saying first that logind's name has no owner now. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_true(RUN_UNTIL(w.e, heard.released == 1, 3 * USEC_PER_SEC));
	assert_false(locked(&w));
	assert_string_equal(why(&w), "the system bus went away");
	watch_stop(&w);
	fake_stop();
	bus_address = address;
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
}

static void test_no_bus(void **state)
{
	sd_event *e = NULL;
	sleepwatch *w = NULL;

	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1), 0);
	assert_int_equal(sd_event_new(&e), 0);
	assert_true(sleepwatch_new(e, on_event, NULL, &w) < 0);
	assert_null(w);
	sd_event_unref(e);
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1), 0);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sleep_ready_wake, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_ready_at_once, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_delay_bounded, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_wake_before_ready, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_logind_absent, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_logind_restarts, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_refused, setup_told, teardown_fake),
		cmocka_unit_test_setup_teardown(test_bus_gone, setup_told, teardown_fake),
		cmocka_unit_test(test_no_bus),
	};
	char cmd[600];
	int r;

	if (argc != 2) {
		fprintf(stderr, "Usage: test_sleepwatch_bus FAKE_LOGIND\n");
		return 2;
	}
	fake_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir))
		return 1;
	if (private_bus_start_system(tmpdir, tmpdir, address, sizeof(address), &dbus_pid) < 0) {
		printf("SKIP: dbus-daemon cannot be started\n");
		rmdir(tmpdir);
		return 77;
	}
	setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
	r = cmocka_run_group_tests_name("sleepwatch_bus", tests, NULL, NULL);
	kill(dbus_pid, SIGTERM);
	waitpid(dbus_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
