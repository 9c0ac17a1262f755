// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl status`: whether this laptop meets the company's security
 * settings and how to fix each one it does not meet, in words an employee
 * can act on.  Everything shown comes from the status socket; nothing here
 * judges the device itself.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_agent.h"
#include "ctl_i18n.h"
#include "ctl_status.h"
#include "finding_text.h"

/* The findings asked for: as many as the agent keeps (STATUS_FINDINGS_KEPT). */
#define STATUS_FOUND_LIMIT 256

static void help(void)
{
	printf(_("Usage: posturectl status [--json] [--socket PATH]\n"
		 "\n"
		 "Shows whether this laptop meets the company's security settings, and how\n"
		 "to fix each one it does not meet.  Exit status: 0 when it meets them all,\n"
		 "1 when it does not, 2 when the agent cannot be reached.\n"));
	ctl_agent_help_options();
}

static void print_rule_texts(struct ctl_output *o, const char *lang, yajl_val rule, int indent)
{
	const char *msg = statusclient_text(statusclient_get(rule, "message"), lang);
	const char *fix = statusclient_text(statusclient_get(rule, "remediation"), lang);
	const char *contact = statusclient_get_str(rule, "contact");

	if (msg)
		ctl_output_para(o, indent, "%s", msg);
	if (fix) {
		const char *label = _("How to fix:");

		fprintf(o->f, "%*s", indent, "");
		ctl_output_style(o, CTL_STYLE_BOLD);
		fputs(label, o->f);
		ctl_output_reset(o);
		fputc(' ', o->f);
		ctl_output_wrapped(o, indent + ctl_output_width(label) + 1, indent, fix);
		fputc('\n', o->f);
	}
	if (contact)
		ctl_output_para(o, indent, _("Questions: %s"), contact);
}

/*
 * Whether the agent captures programs' arguments and why (the status
 * answer's agent.arguments; an older agent says nothing, and neither do we).
 */
static void print_arguments(struct ctl_output *o, yajl_val args)
{
	const char *reason = statusclient_get_str(args, "reason");
	int64_t bytes = statusclient_get_int(args, "bytes", 0);
	yajl_val rules = statusclient_get(args, "rules");
	char ids[512] = "";
	size_t off = 0;

	if (!reason)
		return;
	if (strcmp(reason, "policy") == 0)
		ctl_output_para(o, 0,
				_("Program arguments: captured (up to %" PRId64
				  " bytes of each command line), because the company's policy has "
				  "rules about them. They can hold personal data; the privacy "
				  "notice says what happens to them."),
				bytes);
	else if (strcmp(reason, "configuration") == 0)
		ctl_output_para(
			o, 0,
			_("Program arguments: captured (up to %" PRId64
			  " bytes of each command line), because this laptop's configuration "
			  "asks for it (capture_args_bytes)."),
			bytes);
	else if (strcmp(reason, "refused") == 0)
		ctl_output_para(o, 0, "%s",
				_("Program arguments: not captured. The company's policy asks for "
				  "them, but this laptop's configuration does not allow it "
				  "(allow_argument_capture), so the policy's rules about arguments "
				  "never match here."));
	else
		ctl_output_para(o, 0, "%s", _("Program arguments: not captured."));

	for (size_t i = 0; rules && YAJL_IS_ARRAY(rules) && i < rules->u.array.len; i++) {
		const char *id = YAJL_GET_STRING(rules->u.array.values[i]);
		int k;

		if (!id)
			continue;
		/* TRANSLATORS: between the items of a list, as in: a, b, c */
		k = snprintf(ids + off, sizeof(ids) - off, "%s%s", off ? _(", ") : "", id);
		if (k < 0 || (size_t)k >= sizeof(ids) - off)
			break;
		off += (size_t)k;
	}
	if (ids[0])
		/* TRANSLATORS: %s lists the ids of the policy's rules on programs' arguments. */
		ctl_output_para(o, 2, _("Rules about arguments: %s."), ids);
}

/*
 * The system's resolvers in force, when rules of the policy name them
 * ("system_resolvers"): which addresses and where they come from, or that
 * none is known (those rules then match no resolver).
 */
static void print_resolvers(struct ctl_output *o, yajl_val res)
{
	yajl_val addrs = statusclient_get(res, "addresses");
	yajl_val rules = statusclient_get(res, "rules");
	char list[512] = "", from[600] = "";
	size_t off = 0;

	if (!rules || !YAJL_IS_ARRAY(rules) || rules->u.array.len == 0)
		return;
	for (size_t i = 0; addrs && YAJL_IS_ARRAY(addrs) && i < addrs->u.array.len; i++) {
		const char *a = YAJL_GET_STRING(addrs->u.array.values[i]);
		int k;

		if (!a)
			continue;
		k = snprintf(list + off, sizeof(list) - off, "%s%s", off ? _(", ") : "", a);
		if (k < 0 || (size_t)k >= sizeof(list) - off)
			break;
		off += (size_t)k;
	}
	if (!list[0]) {
		ctl_output_para(
			o, 0, "%s",
			_("DNS resolvers: none known right now, so the policy's rules about "
			  "the system's resolvers match none: DNS to any server counts as "
			  "DNS to another one."));
		return;
	}
	{
		yajl_val rc = statusclient_get(res, "resolv_conf");
		yajl_val rd = statusclient_get(res, "resolved");
		yajl_val rca = statusclient_get(rc, "addresses");
		yajl_val rda = statusclient_get(rd, "addresses");
		bool from_rc = rca && YAJL_IS_ARRAY(rca) && rca->u.array.len > 0;
		bool from_rd = rda && YAJL_IS_ARRAY(rda) && rda->u.array.len > 0;
		const char *path = statusclient_get_str(rc, "path") ?: "/etc/resolv.conf";

		if (from_rc && from_rd)
			/* TRANSLATORS: %s is the path of resolv.conf. */
			snprintf(from, sizeof(from), _("%s and systemd-resolved"), path);
		else if (from_rd)
			snprintf(from, sizeof(from), "%s", "systemd-resolved");
		else
			snprintf(from, sizeof(from), "%s", path);
	}
	/* TRANSLATORS: %1$s lists addresses; %2$s says where they come from. */
	ctl_output_para(o, 0, _("DNS resolvers in force: %s (from %s)."), list, from);
}

static bool finding_of_rule(yajl_val f, void *userdata)
{
	const char *id = finding_text_rule(f);

	return id && strcmp(id, userdata) == 0;
}

/* What was found about each failing rule, one line a thing, under the rule. */
static void print_found(struct ctl_output *o, yajl_val findings, const char *id)
{
	if (!findings)
		return;
	ctl_output_para(o, 3, "%s", _("Found:"));
	if (ctl_agent_print_found(o, 3, findings, finding_of_rule, (void *)id, CTL_AGENT_FOUND_MAX,
				  false, false) == 0)
		ctl_output_para(o, 5, "%s",
				_("Nothing recent (the agent keeps its last findings)."));
}

/*
 * Findings about rules that are met now: a connection a rule reports, a
 * listener since closed, a program stopped in enforce mode.  They leave
 * the rule passing, and the employee still sees what was found.
 */
static bool finding_of_met_rule(yajl_val f, void *userdata)
{
	yajl_val rules = userdata;
	const char *id = finding_text_rule(f);
	const char *kind = statusclient_get_str(statusclient_get(f, "postured"), "finding") ?: "";

	/* What was put right, and device checks, are said by the rules themselves. */
	if (!id || (strcmp(kind, "network") != 0 && strcmp(kind, "process_denied") != 0))
		return false;
	for (size_t k = 0; rules && YAJL_IS_ARRAY(rules) && k < rules->u.array.len; k++) {
		yajl_val r = rules->u.array.values[k];
		const char *rid = statusclient_get_str(r, "id");

		if (rid && strcmp(rid, id) == 0)
			return !ctl_agent_rule_failing(r);
	}
	return false;
}

static void print_seen(struct ctl_output *o, yajl_val findings, yajl_val rules)
{
	size_t n;

	if (!findings)
		return;
	/* A heading only when there is something under it: count first, silently. */
	{
		struct ctl_output quiet = *o;
		FILE *null = fopen("/dev/null", "we");

		if (!null)
			return;
		quiet.f = null;
		n = ctl_agent_print_found(&quiet, 2, findings, finding_of_met_rule, rules, 0, false,
					  true);
		fclose(null);
	}
	if (n == 0)
		return;
	ctl_output_para(o, 0, "%s", _("Also seen recently, about settings this laptop meets now:"));
	ctl_agent_print_found(o, 0, findings, finding_of_met_rule, rules, CTL_AGENT_FOUND_MAX,
			      false, true);
	fputc('\n', o->f);
}

static void print_agent(struct ctl_output *o, yajl_val result)
{
	yajl_val agent = statusclient_get(result, "agent");
	yajl_val policy = statusclient_get(result, "policy");
	yajl_val coll = statusclient_get(result, "collector");
	const char *version = statusclient_get_str(agent, "version") ?: "?";
	const char *enforcement = statusclient_get_str(agent, "enforcement");
	int64_t lost = statusclient_get_int(agent, "records_lost", 0);
	int64_t checked = statusclient_get_int(result, "checked", 0);
	char t[32];

	if (checked > 0)
		ctl_output_para(o, 0, _("Last checked: %s."), ctl_output_time(t, checked));

	if (statusclient_get_bool(agent, "healthy", false))
		ctl_output_para(o, 0, _("Agent: running and healthy (postured %s, started %s)."),
				version,
				ctl_output_time(t, statusclient_get_int(agent, "started", 0)));
	else
		ctl_output_para(
			o, 0,
			_("Agent: running, but not healthy (postured %s). "
			  "'systemctl status postured' shows why; if it stays so, contact your IT help desk."),
			version);
	if (lost > 0)
		ctl_output_para(o, 2,
				ngettext("%" PRId64
					 " event was lost because the agent could not keep up; "
					 "findings may be incomplete.",
					 "%" PRId64
					 " events were lost because the agent could not keep up; "
					 "findings may be incomplete.",
					 (unsigned long)MIN(lost, 1000000)),
				lost);
	else
		ctl_output_para(o, 2, _("No events were lost."));
	if (enforcement)
		ctl_output_para(o, 2, _("Enforcement: %s."), enforcement);

	if (policy) {
		const char *mode = statusclient_get_str(policy, "mode");
		const char *mode_text =
			!mode ? "?" :
			strcmp(mode, "enforce") == 0 ?
				_("enforce mode: programs it denies are stopped") :
				_("monitor mode: programs are reported, not stopped");

		ctl_output_para(o, 0, _("Policy: %s, serial %" PRId64 ", %s; in force since %s."),
				statusclient_get_str(policy, "id") ?: "?",
				statusclient_get_int(policy, "serial", 0), mode_text,
				ctl_output_time(t, statusclient_get_int(policy, "loaded", 0)));
	}
	print_arguments(o, statusclient_get(agent, "arguments"));
	print_resolvers(o, statusclient_get(statusclient_get(agent, "network"), "resolvers"));

	if (!statusclient_get_bool(coll, "configured", false)) {
		ctl_output_para(o, 0,
				_("Collector: not configured — nothing is sent from this laptop."));
	} else {
		int64_t ack = statusclient_get_int(coll, "last_ack", 0);
		const char *url = statusclient_get_str(coll, "url");

		if (ack > 0)
			ctl_output_para(
				o, 0,
				_("Collector: %s; last acknowledged what this laptop sent at %s."),
				url ?: _("configured"), ctl_output_time(t, ack));
		else
			ctl_output_para(o, 0,
					_("Collector: %s; it has not acknowledged anything yet."),
					url ?: _("configured"));
		ctl_output_para(o, 2, _("'posturectl sent' shows exactly what was sent."));
		ctl_agent_print_identity(o, 2, statusclient_get(coll, "identity"));
	}
}

static int print_status(struct ctl_output *o, const char *lang, yajl_val result, yajl_val findings)
{
	yajl_val rules = statusclient_get(result, "rules");
	bool compliant = statusclient_get_bool(result, "compliant", false);
	size_t n_failing = 0, n_rules = 0, i = 0;
	char t[32];

	if (rules && YAJL_IS_ARRAY(rules)) {
		n_rules = rules->u.array.len;
		for (size_t k = 0; k < n_rules; k++)
			n_failing += ctl_agent_rule_failing(rules->u.array.values[k]);
	}

	if (compliant) {
		ctl_output_style(o, CTL_STYLE_GOOD);
		ctl_output_para(o, 0,
				_("This laptop meets all of the company's security settings."));
		ctl_output_reset(o);
	} else if (n_failing == 0) {
		ctl_output_style(o, CTL_STYLE_BAD);
		ctl_output_para(
			o, 0, _("This laptop is not yet meeting the company's security settings."));
		ctl_output_reset(o);
	} else {
		ctl_output_style(o, CTL_STYLE_BAD);
		ctl_output_para(
			o, 0,
			ngettext("This laptop is not yet meeting %zu of the company's security "
				 "settings. Here is how to fix it:",
				 "This laptop is not yet meeting %zu of the company's security "
				 "settings. Here is how to fix each one:",
				 (unsigned long)n_failing),
			n_failing);
		ctl_output_reset(o);
	}
	fputc('\n', o->f);

	for (size_t k = 0; k < n_rules; k++) {
		yajl_val r = rules->u.array.values[k];
		const char *title = statusclient_get_str(r, "title");
		const char *id = statusclient_get_str(r, "id") ?: "?";
		int64_t since = statusclient_get_int(r, "since", 0);
		char num[16];

		if (!ctl_agent_rule_failing(r))
			continue;
		i++;
		snprintf(num, sizeof(num), "%zu. ", i);
		fprintf(o->f, "%s", num);
		ctl_output_style(o, CTL_STYLE_BOLD);
		ctl_output_wrapped(o, (int)strlen(num), 3, title ?: id);
		ctl_output_reset(o);
		fputc('\n', o->f);
		print_rule_texts(o, lang, r, 3);
		if (strcmp(statusclient_get_str(r, "type") ?: "", "check") != 0)
			print_found(o, findings, id);
		ctl_output_style(o, CTL_STYLE_DIM);
		if (since > 0)
			ctl_output_para(
				o, 3,
				_("Not met since %s (%s severity). More: posturectl explain %s"),
				ctl_output_time(t, since),
				ctl_agent_severity(statusclient_get_str(r, "severity")), id);
		else
			ctl_output_para(o, 3, _("%s severity. More: posturectl explain %s"),
					ctl_agent_severity(statusclient_get_str(r, "severity")),
					id);
		ctl_output_reset(o);
		fputc('\n', o->f);
	}

	print_seen(o, findings, rules);
	print_agent(o, result);
	return compliant ? 0 : 1;
}

int ctl_status_main(int argc, char *argv[])
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL, froot = NULL;
	yajl_val result, fresult = NULL;
	struct ctl_agent_opts opts;
	struct ctl_output o;
	char lang[16];
	int r;

	r = ctl_agent_parse_opts(argc, argv, help, false, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr,
			_("posturectl status takes no arguments. Try 'posturectl status --help'.\n"));
		return 2;
	}

	r = ctl_agent_call(opts.socket, &c, "status", NULL, 0, &root, &result, NULL);
	if (r != 0)
		return r > 0 ? r : 2;

	if (opts.json) {
		if (ctl_output_json(stdout, result) < 0)
			return 2;
		return statusclient_get_bool(result, "compliant", false) ? 0 : 1;
	}
	/*
	 * What was found, for the failing rules: the findings this caller may
	 * see (the agent keeps its last ones).  An agent that does not answer
	 * leaves the lines out, not the status.
	 */
	{
		struct statusclient_error e = {};
		struct statusclient_param p = { .key = "limit", .num = STATUS_FOUND_LIMIT };

		if (ctl_agent_call(opts.socket, &c, "findings", &p, 1, &froot, &fresult, &e) == 0)
			fresult = statusclient_get(fresult, "findings");
		else
			fresult = NULL;
	}
	ctl_output_init(&o);
	r = print_status(&o, statusclient_lang(lang, sizeof(lang)), result, fresult);
	fflush(stdout);
	return r;
}
