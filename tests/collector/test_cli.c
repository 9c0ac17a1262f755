// SPDX-License-Identifier: LGPL-2.1-or-later
/* The command line: --help, and the errors a wrong invocation gets. */
#include "harness.h"

static int test_help(struct harness *t)
{
	char out[512];
	char *const argv[] = { (char *)t->bin, "--help", NULL };
	char *const bad[] = { (char *)t->bin, "--cert", "x", NULL };

	file_path(out, sizeof(out), t->dir, "help.out");
	CHECK(process_run(argv, out, NULL) == 0, "--help failed");
	CHECK(file_contains(out, "--max-body-bytes") && file_contains(out, "sign-policy"),
	      "help text incomplete");
	CHECK(process_run(bad, NULL, out) == 1, "missing options accepted");
	CHECK(file_contains(out, "are required"), "no clear error");
	return 0;
}

const struct test cli_tests[] = { { "help_and_usage_errors", test_help }, {} };
