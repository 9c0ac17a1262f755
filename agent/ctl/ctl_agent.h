/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the verbs that ask the agent share: posturectl status, explain,
 * events and sent are clients of the status socket (docs/status-socket.md).
 * Each takes --socket PATH and --json.  Exit 2 when the agent cannot be
 * reached (the message says so and what to do) and for usage errors.  Text
 * goes to stdout in the user's language: gettext for our strings, the
 * rule's own texts in the language of LC_MESSAGES, falling back to English.
 *
 * This owns the options they share, the call with its errors explained to
 * the employee, and the pieces of the agent's answers more than one verb
 * shows.
 */
#ifndef POSTURED_CTL_AGENT_H
#define POSTURED_CTL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "ctl_output.h"
#include "statusclient.h"

struct ctl_agent_opts {
	const char *socket;
	bool json;
	bool follow;
};

/*
 * Parses -h/--help (calls help), --socket PATH, --json, and -f/--follow when
 * follow_ok, leaving optind at the first argument.  Returns 0 and the
 * options in *ret; 1 when help was shown; -EINVAL after saying what to try.
 */
int ctl_agent_parse_opts(int argc, char *argv[], void (*help)(void), bool follow_ok,
			 struct ctl_agent_opts *ret);

/* The options above, the end of each verb's --help. */
void ctl_agent_help_options(void);

/*
 * Connects to the socket at path unless *c is connected already, and calls
 * method.  Returns 0 and the answer (statusclient_call()), or the exit status
 * (> 0) after saying why not.  When the agent answers with an error and
 * ret_error is not NULL, returns -1 and the error in *ret_error, saying
 * nothing: the verb knows the errors it expects (ctl_agent_error() for the
 * others).
 */
int ctl_agent_call(const char *path, struct statusclient **c, const char *method,
		   const struct statusclient_param *params, size_t n_params, yajl_val *ret_root,
		   yajl_val *ret_result, struct statusclient_error *ret_error);

/*
 * Says what went wrong with an answer: r is -EREMOTEIO (the agent's error e),
 * -EBADMSG, -EMSGSIZE or -ENOMEM.  Returns the exit status, 2; -1, saying
 * nothing, for any other r.
 */
int ctl_agent_error(int r, const struct statusclient_error *e);

/* Whether a rule of a status or explain answer is not met. */
bool ctl_agent_rule_failing(yajl_val rule);

/* A severity ("high") in the user's language; sev itself when unknown, "?" for NULL. */
const char *ctl_agent_severity(const char *sev);

/*
 * One finding on one line, "TIME  SENTENCE", or "TIME  TITLE: SENTENCE" with
 * with_title, after indent spaces; wrapped lines start under the sentence.
 */
void ctl_agent_print_finding(struct ctl_output *o, int indent, yajl_val f, bool with_title);

/*
 * What was found, one line for each distinct thing (finding_text_key():
 * the same program on the same port or destination is one line, with how
 * often), among the findings (oldest first) that want() takes (NULL: all),
 * at most max lines and then "and N more."; each line begins with the time
 * of its latest finding (with_time) or a dash, and names the rule's title
 * (with_title).  Returns how many distinct things.
 */
#define CTL_AGENT_FOUND_MAX 10
size_t ctl_agent_print_found(struct ctl_output *o, int indent, yajl_val findings,
			     bool (*want)(yajl_val f, void *userdata), void *userdata, size_t max,
			     bool with_time, bool with_title);

/*
 * The device's identity (a status answer's collector.identity): who it is
 * to the collector, which certificate, until when and when it renews, or
 * how its enrollment is going, in plain words.
 */
void ctl_agent_print_identity(struct ctl_output *o, int indent, yajl_val identity);

#endif
