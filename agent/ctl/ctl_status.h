/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The employee's verbs of posturectl, clients of the status socket
 * (docs/status-socket.md):
 *
 *   posturectl status [--json]            exit 0 compliant, 1 not
 *   posturectl explain RULE [--json]      exit 0, 1 when the policy has no such rule
 *   posturectl events [--follow] [--json] exit 0
 *   posturectl sent [--since DURATION|DATE] [--verbose] [--json]  exit 0
 *
 * Each takes --socket PATH.  Exit 2 when the agent cannot be reached (the
 * message says so and what to do) and for usage errors.  Text goes to stdout
 * in the user's language: gettext for our strings, the rule's own texts in
 * the language of LC_MESSAGES, falling back to English.
 */
#ifndef POSTURED_CTL_STATUS_H
#define POSTURED_CTL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* argv[0] is the verb.  Print to stdout and stderr and return the exit status. */
int ctl_status_main(int argc, char *argv[]);
int ctl_explain_main(int argc, char *argv[]);
int ctl_events_main(int argc, char *argv[]);
int ctl_sent_main(int argc, char *argv[]);

#endif
