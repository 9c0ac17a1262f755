/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl sent [--since DURATION|DATE] [--verbose] [--json] [--socket PATH]`
 *
 * Exit status: 0, 2 when the agent cannot be reached or for a usage error.
 *
 * Text in the user's language; the options and the messages every verb that
 * asks the agent shares: ctl_agent.h.
 */
#ifndef POSTURED_CTL_SENT_H
#define POSTURED_CTL_SENT_H

/* argv[0] is "sent".  Prints to stdout and stderr and returns the exit status. */
int ctl_sent_main(int argc, char *argv[]);

#endif
