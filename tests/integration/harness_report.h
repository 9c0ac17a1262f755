/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a test says: why it fails (harness_fail(), CHECK(), TRY()) and lines
 * worth seeing (harness_note()), indented under the test's "[ RUN    ]" line,
 * and the monotonic clock every timeout of the harness reads.  The registry
 * is declared in harness.h; its runner, harness_main(), is in harness_report.c
 * with these, and prints each test's result and the summary.
 */
#ifndef POSTURED_TESTS_HARNESS_REPORT_H
#define POSTURED_TESTS_HARNESS_REPORT_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: what every deadline of the harness is measured in. */
int64_t harness_now_ms(void);

/*
 * Prints "FAIL (file:line): ..." for the running test, the file named by its
 * basename.  Returns -1, for the test to return.
 */
int harness_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define harness_fail(...) harness_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Fails the running test with the message unless cond holds. */
#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond))                              \
			return harness_fail(__VA_ARGS__); \
	} while (0)

/* Returns -1 from the test when a harness call failed (it said why). */
#define TRY(expr)                  \
	do {                       \
		if ((expr) < 0)    \
			return -1; \
	} while (0)

/* Prints a line of information ("# ...") in the running test's output: numbers worth seeing. */
void harness_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
