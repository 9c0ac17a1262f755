// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl_i18n.h"
#include "finding_text.h"
#include "statusclient.h"

/* The process of the first evidence, the one the finding is about; NULL when there is none. */
static yajl_val finding_process(yajl_val f)
{
	yajl_val ev = statusclient_get(f, "evidences");

	if (!ev || !YAJL_IS_ARRAY(ev) || ev->u.array.len == 0)
		return NULL;
	return statusclient_get(ev->u.array.values[0], "process");
}

const char *finding_text_rule(yajl_val f)
{
	const char *id = statusclient_get_str(statusclient_get(f, "postured"), "rule_id");

	if (id)
		return id;
	return statusclient_get_str(statusclient_get(f, "compliance"), "control");
}

const char *finding_text_title(yajl_val f)
{
	return statusclient_get_str(statusclient_get(f, "finding_info"), "title");
}

char *finding_text_sentence(yajl_val f)
{
	yajl_val pd = statusclient_get(f, "postured");
	const char *kind = statusclient_get_str(pd, "finding") ?: "";
	const char *action = statusclient_get_str(pd, "action") ?: "";
	bool early = statusclient_get_bool(pd, "before_first_instruction", false);
	yajl_val p = finding_process(f);
	const char *path = statusclient_get_str(statusclient_get(p, "file"), "path");
	const char *name = statusclient_get_str(p, "name");
	_cleanup_free_ char *prog = NULL;
	char *s = NULL;
	int r = -1;

	if (p) {
		int64_t pid = statusclient_get_int(p, "pid", 0);

		if (pid > 0)
			r = asprintf(&prog, _("%s (process %" PRId64 ")"),
				     path	  ?:
					     name ?:
						    "?",
				     pid);
		else
			r = asprintf(&prog, "%s", path ?: name ?: "?");
		if (r < 0)
			return NULL;
	}

	if (strcmp(kind, "process_denied") == 0) {
		const char *what = prog ?: _("A program");

		if (strcmp(action, "killed") == 0 && early)
			r = asprintf(&s, _("%s was stopped before it could run."), what);
		else if (strcmp(action, "killed") == 0)
			r = asprintf(&s, _("%s was stopped."), what);
		else if (strcmp(action, "denied") == 0)
			r = asprintf(&s, _("%s was not allowed to start."), what);
		else if (strcmp(action, "kill_failed") == 0)
			r = asprintf(&s, _("%s was running; stopping it failed."), what);
		else if (strcmp(action, "exited_before_kill") == 0)
			r = asprintf(&s, _("%s ended before it could be stopped."), what);
		else
			r = asprintf(&s, _("%s was running; it was reported, not stopped."), what);
	} else if (strcmp(kind, "required_absent") == 0) {
		r = asprintf(&s, "%s", _("The required program was not running."));
	} else if (strcmp(kind, "required_returned") == 0) {
		r = asprintf(&s, "%s", _("The required program is running again."));
	} else if (strcmp(kind, "policy_invalid") == 0) {
		r = asprintf(&s, "%s",
			     _("A new policy could not be used; the previous one stays in force."));
	} else {
		r = asprintf(&s, _("Something was found (%s)."), *kind ? kind : "?");
	}
	if (r < 0)
		return NULL;
	return s;
}
