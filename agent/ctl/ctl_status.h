/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl status [--json] [--socket PATH]`
 *
 * Exit status: 0 when this laptop meets every rule, 1 when it does not, 2 when
 * the agent cannot be reached or for a usage error.
 *
 * Text in the user's language; the options and the messages every verb that
 * asks the agent shares: ctl_agent.h.
 */
#ifndef POSTURED_CTL_STATUS_H
#define POSTURED_CTL_STATUS_H

/* argv[0] is "status".  Prints to stdout and stderr and returns the exit status. */
int ctl_status_main(int argc, char *argv[]);

#endif
