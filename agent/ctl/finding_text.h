/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The words about a finding (an OCSF Compliance Finding from the agent's
 * status socket) that posturectl and postured-notify both say: which rule
 * it is about, its title, and one sentence on what happened.  Only words:
 * no terminal, no notification server.
 */
#ifndef POSTURED_FINDING_TEXT_H
#define POSTURED_FINDING_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/*
 * One sentence in plain words saying what a finding is about, in the user's
 * language, for example
 * "/usr/bin/x11vnc (process 4242) was stopped before it could run."
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *finding_text_sentence(yajl_val finding);

/*
 * What makes two findings the same thing for the employee: the rule, the
 * kind and outcome, the program (by path, else name; not the pid) and, for
 * network findings, the direction, protocol, addresses and ports.  Written
 * into buf; 0, or -ENOBUFS when it does not fit (then treat it as unique).
 */
int finding_text_key(yajl_val finding, char *buf, size_t size);

/* How many times it happened: the network repeats a finding sums up, else 1. */
uint64_t finding_text_count(yajl_val finding);

/* The rule id and the title a finding is about; NULL when it has none.  Point into finding. */
const char *finding_text_rule(yajl_val finding);
const char *finding_text_title(yajl_val finding);

#endif
