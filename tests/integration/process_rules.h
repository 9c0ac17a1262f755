/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process_rules suite: process_rules.c has the except and argument
 * tests and main(); process_rules_facts.c the tests of the facts the kernel
 * decides at exec.  What they share with other suites is rules_env.h's.
 */
#ifndef POSTURED_IT_PROCESS_RULES_H
#define POSTURED_IT_PROCESS_RULES_H

#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"
#include "rules_env.h"

/* process_rules_facts.c: each in "monitor" and "enforce" mode. */
struct facts_case {
	const char *mode;
};
int test_facts_world_writable(const void *arg);
int test_facts_script(const void *arg);
int test_facts_memfd(const void *arg);
int test_facts_stdio_network(const void *arg);
int test_facts_pipe_to_shell(const void *arg);

#endif
