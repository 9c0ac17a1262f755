/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl check [--root DIR] [--policy FILE] [--json]`: runs the device
 * posture checks of a policy's enabled check rules once, without the daemon,
 * and prints the results.  The built-in telework baseline when no --policy
 * is given.
 *
 * Exit status: 0 all pass, 1 any fails, 3 some are unknown and none fails,
 * 2 usage error (or a policy that cannot be used).
 */
#ifndef POSTURED_CTL_CHECK_H
#define POSTURED_CTL_CHECK_H

/* argv[0] is "check".  Prints to stdout and stderr and returns the exit status. */
int ctl_check_main(int argc, char *argv[]);

#endif
