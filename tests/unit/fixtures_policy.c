// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Policies a test needs to parse or load (fixtures.h): a failure prints
 * every error the library listed, as `posturectl policy check` would, and
 * fails the test.  Links the policy library.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures.h"

/* Prints every error in errs and fails the test: what could not be read as a policy, and why. */
static void fail_policy(const char *what, const char *verb, int r, policy_errors *errs)
{
	for (size_t i = 0; i < policy_errors_count(errs); i++) {
		char *line = NULL;

		assert_int_equal(policy_error_format(policy_errors_get(errs, i), &line), 0);
		print_error("%s\n", line);
		free(line);
	}
	policy_errors_free(errs);
	fail_msg("%s does not %s (%s)%s", what, verb, strerror(-r),
		 r == -ENOENT ? "; tests run from the top of the tree" : "");
}

policy *fixture_policy_parse(const char *name, const char *text, size_t size)
{
	policy_errors *errs = policy_errors_new();
	policy *p = NULL;
	int r;

	assert_non_null(errs);
	r = policy_parse(name, text, size, errs, &p);
	if (r < 0)
		fail_policy(name, "parse", r, errs);
	policy_errors_free(errs);
	return p;
}

policy *fixture_policy_load(const char *path)
{
	policy_errors *errs = policy_errors_new();
	policy *p = NULL;
	int r;

	assert_non_null(errs);
	r = policy_load(path, errs, &p);
	if (r < 0)
		fail_policy(path, "load", r, errs);
	policy_errors_free(errs);
	return p;
}

policy *fixture_policy_build(const char *name, const char *head, const char *common,
			     const char *const *rules, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	policy *p;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"id\": \"t\", \"serial\": 1, %s, \"rules\": [", head);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"%s{\"id\": \"r%zu\", %s\"title\": \"t\", \"severity\": \"low\", "
			"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, %s}",
			i ? "," : "", i, common, rules[i]);
	fprintf(f, "]}");
	fclose(f);
	p = fixture_policy_parse(name, text, len);
	free(text);
	return p;
}
