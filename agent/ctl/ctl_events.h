/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl events [--follow] [--json] [--socket PATH]`
 *
 * Exit status: 0; 2 when the agent cannot be reached, for a usage error, and
 * when the agent closes the connection of --follow.
 *
 * Text in the user's language; the options and the messages every verb that
 * asks the agent shares: ctl_agent.h.
 */
#ifndef POSTURED_CTL_EVENTS_H
#define POSTURED_CTL_EVENTS_H

/* argv[0] is "events".  Prints to stdout and stderr and returns the exit status. */
int ctl_events_main(int argc, char *argv[]);

#endif
