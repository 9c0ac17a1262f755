/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What test_policy_parse.c shares with test_policy_parse_net.c, linked into one binary. */
#ifndef POSTURED_TEST_POLICY_PARSE_H
#define POSTURED_TEST_POLICY_PARSE_H

#include <stddef.h>

#include "../../policy/policy.h"

#define INVALID_DIR   "tests/fixtures/policies/invalid"
#define VALID_DIR     "tests/fixtures/policies/valid"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* All errors of parsing text as name, formatted and joined by newlines; policy_parse()'s result in *ret_r. */
char *errors_of(const char *name, const char *text, size_t size, int *ret_r);

/* Asserts that text gives exactly one error, with this position, pointer and message. */
void expect_one_error(const char *text, unsigned line, unsigned column, const char *pointer,
		      const char *message);

/* text parsed without an error (any error is printed); the caller unrefs it. */
policy *parse_ok(const char *text);

/* The network rules' tests, run after the others. */
extern const struct CMUnitTest policy_parse_net_tests[];
extern const size_t policy_parse_net_tests_n;

#endif
