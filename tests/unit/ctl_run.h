/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the posturectl unit tests: runs a verb's main function in this process
 * with stdout and stderr captured, as a user at a terminal would see them.
 */
#ifndef POSTURED_TESTS_CTL_RUN_H
#define POSTURED_TESTS_CTL_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct run {
	int status;
	char *out, *err;
};

static inline char *slurp(FILE *f)
{
	char *buf = NULL;
	size_t size = 0, n;

	rewind(f);
	do {
		buf = realloc(buf, size + 4096 + 1);
		assert_non_null(buf);
		n = fread(buf + size, 1, 4096, f);
		size += n;
	} while (n > 0);
	buf[size] = '\0';
	fclose(f);
	return buf;
}

/* fn(argc, argv) with argv = verb, first, then the rest of ap up to a NULL. */
static inline struct run run_verb_va(int (*fn)(int, char **), const char *verb, const char *first,
				     va_list ap)
{
	char *argv[16] = { (char *)verb };
	int argc = 1, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();
	struct run r;

	assert_non_null(out);
	assert_non_null(err);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;

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
	r.out = slurp(out);
	r.err = slurp(err);
	return r;
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#endif
