/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the posturectl unit tests: runs a verb's main function in this process
 * with stdout and stderr captured, as a user at a terminal would see them,
 * and read back through fixture_read_stream().  A suite binds its verb once:
 *
 *   #define run(...) run_verb(ctl_check_main, "check", __VA_ARGS__)
 */
#ifndef POSTURED_TESTS_CTL_RUN_H
#define POSTURED_TESTS_CTL_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixtures.h"

struct run {
	int status;
	char *out, *err;
};

/* fn(argc, argv) with argv = verb, then the arguments after it up to a NULL. */
static inline struct run run_verb(int (*fn)(int, char **), const char *verb, ...)
{
	char *argv[16] = { (char *)verb };
	int argc = 1, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	struct run r;
	va_list ap;

	assert_non_null(out);
	assert_non_null(err);
	va_start(ap, verb);
	for (const char *a = va_arg(ap, const char *); a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	r.status = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	r.out = fixture_read_stream(out);
	r.err = fixture_read_stream(err);
	return r;
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#endif
