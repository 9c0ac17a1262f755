// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The registry's runner and what it prints:
 *
 *   [ RUN    ] name
 *       FAIL (file.c:123): why          harness_fail()
 *       # a number worth seeing         harness_note()
 *   [     OK ] name (0.42 s)            or [ FAILED ]
 *   ...
 *   N passed, N failed                  the last line, which tests/run-integration parses
 *
 * A fixture's setup and teardown run inside the first and the last of its
 * tests, so what they print and how long they take is those tests'.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

int64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int harness_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("    FAIL (%s:%d): ", harness_basename(file), line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return -1;
}

void harness_note(const char *fmt, ...)
{
	va_list ap;

	printf("    # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static bool harness_selected(const char *name, int argc, char *argv[])
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

/* The index of the first selected test from i on, or n. */
static size_t harness_next_selected(const struct harness_test *tests, size_t i, size_t n, int argc,
				    char *argv[])
{
	while (i < n && !harness_selected(tests[i].name, argc, argv))
		i++;
	return i;
}

/* Runs f's setup with the agents it starts owned by the fixture. */
static int harness_fixture_setup(const struct harness_fixture *f)
{
	int r;

	harness_agent_owner_fixture(true);
	r = f->setup ? f->setup(f->arg) : 0;
	harness_agent_owner_fixture(false);
	if (r < 0)
		return harness_fail("Setting up %s failed", f->name);
	return 0;
}

/* Runs f's teardown, then kills what of the fixture's is left; < 0 when either failed. */
static int harness_fixture_teardown(const struct harness_fixture *f)
{
	unsigned left;
	int r;

	harness_agent_owner_fixture(true);
	r = f->teardown ? f->teardown(f->arg) : 0;
	harness_agent_owner_fixture(false);
	left = harness_agent_kill_left(true);
	if (left > 0)
		r = harness_fail("The fixture %s left %u postured process(es) running; killed them",
				 f->name, left);
	return r < 0 ? -1 : 0;
}

int harness_main(const struct harness_test *tests, size_t n, int argc, char *argv[])
{
	const struct harness_fixture *current = NULL;
	unsigned passed = 0, failed = 0;
	bool current_ok = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (geteuid() != 0) {
		printf("These tests load eBPF programs into the kernel and must run as root.\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if (harness_paths_init() < 0 || access(harness_build_path("postured"), X_OK) < 0) {
		printf("Cannot find postured under %s (run make integration, or set "
		       "POSTURED_BUILD_DIR).\n0 passed, 1 failed\n",
		       harness_build_dir());
		return 1;
	}

	for (size_t i = harness_next_selected(tests, 0, n, argc, argv); i < n;) {
		const struct harness_test *t = &tests[i];
		size_t next = harness_next_selected(tests, i + 1, n, argc, argv);
		int64_t begin;
		unsigned left;
		int r = 0;

		printf("[ RUN    ] %s\n", t->name);
		begin = harness_now_ms();
		if (t->fixture && t->fixture != current) {
			current = t->fixture;
			current_ok = harness_fixture_setup(current) >= 0;
		}
		if (t->fixture && !current_ok)
			r = harness_fail("Not run: its fixture %s could not be set up",
					 current->name);
		else
			r = t->run(t->arg);
		left = harness_agent_kill_left(false);
		if (left > 0)
			r = harness_fail(
				"The test left %u postured process(es) running; killed them", left);
		/* The last test of a fixture's run pays for its teardown, and fails with it. */
		if (current && (next == n || tests[next].fixture != current)) {
			if (harness_fixture_teardown(current) < 0)
				r = -1;
			current = NULL;
		}
		printf("[ %s ] %s (%.2f s)\n", r < 0 ? "FAILED" : "    OK", t->name,
		       (double)(harness_now_ms() - begin) / 1000.0);
		if (r < 0)
			failed++;
		else
			passed++;
		i = next;
	}
	if (passed + failed == 0)
		printf("No test name contains what was asked for; --list shows them.\n");
	printf("%u passed, %u failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}

int harness_main_tables(const struct harness_table *const *tables, size_t n, int argc, char *argv[])
{
	_cleanup_free_ struct harness_test *all = NULL;
	size_t total = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		total += tables[i]->n;
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all) {
		printf("Out of memory\n0 passed, 1 failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < tables[i]->n; j++)
			all[k++] = tables[i]->tests[j];
	return harness_main(all, total, argc, argv);
}
