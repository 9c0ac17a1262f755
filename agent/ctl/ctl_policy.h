/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `posturectl policy`: check policy files and explain them in words.
 *
 *   posturectl policy check FILE...   exit 0 when all are valid, 1 otherwise
 *   posturectl policy explain FILE    what the policy will do, rule by rule
 *
 * Usage errors exit 2.
 */
#ifndef POSTURED_CTL_POLICY_H
#define POSTURED_CTL_POLICY_H

/* argv[0] is "policy".  Prints to stdout and stderr and returns the exit status. */
int ctl_policy_main(int argc, char *argv[]);

#endif
