/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl enroll [--token-file FILE] [--wait SECONDS] [--json] [--socket PATH]`
 * (root): has the agent enroll now, with FILE's token or the configured one,
 * and waits for the outcome.
 *
 * Exit status: 0 enrolled, 1 the enrollment failed (the reason is printed),
 * 2 when the agent cannot be reached, refuses, or for a usage error.
 */
#ifndef POSTURED_CTL_ENROLL_H
#define POSTURED_CTL_ENROLL_H

/* argv[0] is "enroll".  Prints to stdout and stderr and returns the exit status. */
int ctl_enroll_main(int argc, char *argv[]);

#endif
