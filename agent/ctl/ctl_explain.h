/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl explain RULE [--json] [--socket PATH]`
 *
 * Exit status: 0, 1 when the policy in force has no such rule, 2 when the
 * agent cannot be reached or for a usage error.
 *
 * Text in the user's language; the options and the messages every verb that
 * asks the agent shares: ctl_agent.h.
 */
#ifndef POSTURED_CTL_EXPLAIN_H
#define POSTURED_CTL_EXPLAIN_H

/* argv[0] is "explain".  Prints to stdout and stderr and returns the exit status. */
int ctl_explain_main(int argc, char *argv[]);

#endif
