/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The integration tests' harness, and the one header a suite includes: the
 * test registry below, and every part of the harness, each a .c file of its
 * own linked into every suite (the Makefile's HARNESS_SRCS):
 *
 *   harness_report   why a test fails, notes, the clock; the registry's runner
 *   harness_paths    the build directory and the source tree
 *   harness_files    temporary directories, configurations, unique binaries
 *   harness_json     records as yajl trees, EXPECT_JSON_*()
 *   harness_privs    another user, no capabilities
 *   harness_child    helper programs: spawn, wait with a timeout, kill
 *   harness_agent    build/postured itself: start, READY=1, records, stop
 *   harness_net      addresses and sockets of the test's own on loopback
 *   harness_policy   a policy about a copy of write_marker, the findings it makes
 *   harness_bpf      the BPF programs, links and maps a process holds
 *   harness_status   the agent's status socket and posturectl
 *
 * A suite lists its tests with HARNESS_TEST(), each named for the one
 * behaviour it checks, and ends with HARNESS_MAIN(tests); a suite split by
 * concern into several files has a table a file (HARNESS_TABLE()) and ends
 * with HARNESS_MAIN_TABLES() over them.  Tests that look at one scenario
 * from several sides share it through a fixture (HARNESS_FIXTURE_TEST()):
 * set up before the first of them, torn down after the last, so the
 * scenario (an agent, a collector, a policy in force) is paid for once.
 */
#ifndef POSTURED_TESTS_HARNESS_H
#define POSTURED_TESTS_HARNESS_H

#include <stddef.h>

#include "basic/cleanup.h"
#include "harness_agent.h"
#include "harness_bpf.h"
#include "harness_child.h"
#include "harness_files.h"
#include "harness_json.h"
#include "harness_net.h"
#include "harness_paths.h"
#include "harness_policy.h"
#include "harness_privs.h"
#include "harness_report.h"
#include "harness_status.h"

/*
 * What several tests share: setup() runs before the first test of a run of
 * consecutive tests naming this fixture, teardown() after the last of them,
 * both with arg; their state is the suite's (a static of its own).  Agents
 * started by setup() belong to the fixture and outlive its tests; teardown()
 * must stop them, or they are killed and counted as the last test's failure.
 * teardown() runs whenever setup() ran, even when it failed half-way, so it
 * must take a half-made state (as destructors take NULL).
 */
struct harness_fixture {
	const char *name;
	int (*setup)(const void *arg); /* 0; < 0: failed (it printed why), so do its tests */
	int (*teardown)(const void *arg); /* 0; < 0: fails the last test that used it */
	const void *arg;
};

struct harness_test {
	const char *name;
	int (*run)(const void *arg); /* 0: passed; < 0: failed (it printed why) */
	const void *arg;
	const struct harness_fixture *fixture; /* NULL: none */
};

/* An entry of a suite's tests[]: name, the function, its argument. */
#define HARNESS_TEST(n, fn, a)                       \
	{                                            \
		.name = (n), .run = (fn), .arg = (a) \
	}
/* The same, run after fixture fx's setup (shared with the tests next to it). */
#define HARNESS_FIXTURE_TEST(n, fn, a, fx)                            \
	{                                                             \
		.name = (n), .run = (fn), .arg = (a), .fixture = (fx) \
	}

/*
 * Entries of tests[] for one test under both probe flavours, named name sep
 * "tp_btf" and name sep "tracepoint": its argument a const type (a struct
 * with a .flavor) whose .flavor is the flavour's name, the other fields as
 * given.
 */
#define HARNESS_BOTH_FLAVORS(name, sep, fn, type, ...)                                           \
	HARNESS_TEST(name sep "tp_btf", fn, (&(const type){ .flavor = "tp_btf", __VA_ARGS__ })), \
		HARNESS_TEST(name sep "tracepoint", fn,                                          \
			     (&(const type){ .flavor = "tracepoint", __VA_ARGS__ }))

/* The same for a test whose argument is the flavour's name alone. */
#define HARNESS_BOTH_FLAVOR_NAMES(name, sep, fn)       \
	HARNESS_TEST(name sep "tp_btf", fn, "tp_btf"), \
		HARNESS_TEST(name sep "tracepoint", fn, "tracepoint")

/*
 * Runs the tests whose names contain one of the arguments (all without
 * arguments; --list prints the names), each after its fixture's setup, prints
 * each one's result and time, and ends with "N passed, N failed", which
 * tests/run-integration adds up.  An agent a test leaves running is killed
 * and fails the test.  Returns main()'s exit status.
 */
int harness_main(const struct harness_test *tests, size_t n, int argc, char *argv[]);

/*
 * One file's tests, where a suite's tests are split by concern into several
 * files linked into one binary: each file defines its table with
 * HARNESS_TABLE(), and the suite's main file lists the tables in the order
 * they run (HARNESS_MAIN_TABLES()).
 */
struct harness_table {
	const struct harness_test *tests;
	size_t n;
};

#define HARNESS_TABLE(name, tests) const struct harness_table name = { (tests), ELEMENTSOF(tests) }

/* harness_main() over the tables' tests, one after the other, as if they were one array. */
int harness_main_tables(const struct harness_table *const *tables, size_t n, int argc,
			char *argv[]);

/* The suite's main(): harness_main() over the array tests. */
#define HARNESS_MAIN(tests)                                                \
	int main(int argc, char *argv[])                                   \
	{                                                                  \
		return harness_main(tests, ELEMENTSOF(tests), argc, argv); \
	}

/* The same, with intro() called first (a suite's own set-up of the process, such as logging). */
#define HARNESS_MAIN_WITH_INTRO(tests, intro)                              \
	int main(int argc, char *argv[])                                   \
	{                                                                  \
		intro();                                                   \
		return harness_main(tests, ELEMENTSOF(tests), argc, argv); \
	}

/* The suite's main() over the tables given (pointers to HARNESS_TABLE()s), after intro(). */
#define HARNESS_MAIN_TABLES_WITH_INTRO(intro, ...)                                   \
	int main(int argc, char *argv[])                                             \
	{                                                                            \
		static const struct harness_table *const tables[] = { __VA_ARGS__ }; \
                                                                                     \
		intro();                                                             \
		return harness_main_tables(tables, ELEMENTSOF(tables), argc, argv);  \
	}

/* The same without an intro. */
static inline void harness_no_intro(void)
{
}

#define HARNESS_MAIN_TABLES(...) HARNESS_MAIN_TABLES_WITH_INTRO(harness_no_intro, __VA_ARGS__)

#endif
