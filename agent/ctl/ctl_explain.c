// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl explain RULE`: one rule in full, from the status socket: why
 * it exists, what was seen, how to fix it and whom to contact.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_agent.h"
#include "ctl_i18n.h"
#include "ctl_explain.h"

static void help(void)
{
	printf(_("Usage: posturectl explain RULE [--json] [--socket PATH]\n"
		 "\n"
		 "Explains one rule: why it exists, what was seen, how to fix it and whom\n"
		 "to contact.\n"));
	ctl_agent_help_options();
}

static void heading(struct ctl_output *o, const char *s)
{
	fputc('\n', o->f);
	ctl_output_style(o, CTL_STYLE_BOLD);
	ctl_output_para(o, 0, "%s", s);
	ctl_output_reset(o);
}

static void print_explain(struct ctl_output *o, const char *lang, yajl_val result)
{
	/* The rule's fields either in "rule" or at the top of the result. */
	yajl_val rule = statusclient_get(result, "rule") ?: result;
	yajl_val findings = statusclient_get(result, "findings");
	const char *id = statusclient_get_str(rule, "id") ?: "?";
	const char *title = statusclient_get_str(rule, "title") ?: id;
	const char *msg = statusclient_text(statusclient_get(rule, "message"), lang);
	const char *fix = statusclient_text(statusclient_get(rule, "remediation"), lang);
	const char *contact = statusclient_get_str(rule, "contact");
	int64_t since = statusclient_get_int(rule, "since", 0);
	bool failing = ctl_agent_rule_failing(rule);
	size_t n = 0;
	char t[32];

	ctl_output_style(o, CTL_STYLE_BOLD);
	ctl_output_para(o, 0, "%s (%s)", title, id);
	ctl_output_reset(o);
	ctl_output_style(o, failing ? CTL_STYLE_BAD : CTL_STYLE_GOOD);
	if (failing && since > 0)
		ctl_output_para(o, 0, _("This laptop has not met this setting since %s."),
				ctl_output_time(t, since));
	else if (failing)
		ctl_output_para(o, 0, _("This laptop does not meet this setting yet."));
	else
		ctl_output_para(o, 0, _("This laptop meets this setting."));
	ctl_output_reset(o);
	ctl_output_para(o, 0, _("Severity: %s."),
			ctl_agent_severity(statusclient_get_str(rule, "severity")));

	heading(o, _("Why this rule exists:"));
	ctl_output_para(o, 2, "%s", msg ?: _("The policy gives no reason."));

	heading(o, _("What was seen:"));
	/* One line for each thing found (a program, a port, a destination), not each finding. */
	n = ctl_agent_print_found(o, 2, findings, NULL, NULL, CTL_AGENT_FOUND_MAX, true, false);
	if (n == 0)
		ctl_output_para(o, 2, _("Nothing about this rule was seen recently."));

	heading(o, _("How to fix it:"));
	ctl_output_para(o, 2, "%s", fix ?: _("The policy gives no steps; ask your IT help desk."));

	heading(o, _("Whom to contact:"));
	ctl_output_para(o, 2, "%s", contact ?: _("Your IT help desk."));
}

int ctl_explain_main(int argc, char *argv[])
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	struct statusclient_error e = {};
	struct statusclient_param p;
	yajl_val result;
	struct ctl_agent_opts opts;
	struct ctl_output o;
	char lang[16];
	int r;

	r = ctl_agent_parse_opts(argc, argv, help, false, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (argc - optind != 1) {
		fprintf(stderr, _("posturectl explain takes one rule id; 'posturectl status' shows "
				  "the rules that are not met.\n"));
		return 2;
	}
	p = (struct statusclient_param){ .key = "rule", .str = argv[optind] };

	r = ctl_agent_call(opts.socket, &c, "explain", &p, 1, &root, &result, &e);
	if (r < 0) {
		if (strcmp(e.code, "unknown_rule") == 0) {
			fprintf(stderr,
				_("The policy in force has no rule '%s'. 'posturectl status' shows "
				  "the rules that are not met.\n"),
				argv[optind]);
			return 1;
		}
		return ctl_agent_error(-EREMOTEIO, &e);
	}
	if (r > 0)
		return r;

	if (opts.json)
		return ctl_output_json(stdout, result) < 0 ? 2 : 0;
	ctl_output_init(&o);
	print_explain(&o, statusclient_lang(lang, sizeof(lang)), result);
	fflush(stdout);
	return 0;
}
