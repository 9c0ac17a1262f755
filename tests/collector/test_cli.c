// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line: --help, and the errors a wrong invocation gets. */
#include "harness.h"

static int test_help_lists_options(struct harness *t)
{
	char out[512];
	char *const argv[] = { (char *)t->bin, "--help", NULL };

	file_path(out, sizeof(out), t->dir, "help.out");
	CHECK(process_run(argv, out, NULL) == 0, "--help failed");
	CHECK(file_contains(out, "--max-body-bytes") && file_contains(out, "sign-policy"),
	      "help text incomplete");
	return 0;
}

static int test_missing_options_exit_1(struct harness *t)
{
	char err[512];
	char *const argv[] = { (char *)t->bin, "--cert", "x", NULL };

	file_path(err, sizeof(err), t->dir, "usage.err");
	CHECK(process_run(argv, NULL, err) == 1, "missing options accepted");
	CHECK(file_contains(err, "are required"), "no clear error");
	return 0;
}

const struct test cli_tests[] = {
	{ "help_lists_options_and_sign_policy", test_help_lists_options },
	{ "missing_required_options_exit_1", test_missing_options_exit_1 },
	{},
};
