// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl status|explain|events`: what the agent says about this laptop,
 * in words an employee can act on.  Everything shown comes from the status
 * socket; nothing here judges the device itself.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <wchar.h>
#include <yajl/yajl_gen.h>

#include "ctl_i18n.h"
#include "ctl_output.h"
#include "ctl_status.h"
#include "finding_text.h"
#include "statusclient.h"

static const char *severity_text(const char *sev)
{
	static const char *const names[][2] = {
		{ "info", N_("info") }, { "low", N_("low") },		{ "medium", N_("medium") },
		{ "high", N_("high") }, { "critical", N_("critical") },
	};

	for (size_t i = 0; sev && i < ELEMENTSOF(names); i++)
		if (strcmp(sev, names[i][0]) == 0)
			return _(names[i][1]);
	return sev ?: "?";
}

/* --- talking to the agent ------------------------------------------------- */

/* Says that the agent cannot be reached and what to do.  Returns the exit status, 2. */
static int unreachable(const char *path, int r)
{
	if (r == -ETIMEDOUT)
		fprintf(stderr, _("postured, the security agent, did not answer at %s in time.\n"),
			path);
	else if (r == -EACCES || r == -EPERM)
		fprintf(stderr, _("You may not connect to postured, the security agent, at %s.\n"),
			path);
	else
		fprintf(stderr,
			_("postured, the security agent, cannot be reached at %s: it is not running, "
			  "or its socket is missing.\n"),
			path);
	fprintf(stderr, _("To check it, run: systemctl status postured\n"
			  "If that does not help, contact your IT help desk.\n"));
	return 2;
}

static int protocol_error(int r, const struct statusclient_error *e)
{
	if (r == -EREMOTEIO)
		fprintf(stderr, _("postured answered with an error: %s (%s)\n"), e->message,
			e->code);
	else if (r == -EBADMSG || r == -EMSGSIZE)
		fprintf(stderr, _("postured sent an answer posturectl does not understand. "
				  "posturectl and postured may be of different versions.\n"));
	else if (r == -ENOMEM)
		fprintf(stderr, _("posturectl: out of memory\n"));
	else
		return -1;
	return 2;
}

/* Connects and calls one method.  Returns 0, or the exit status (> 0) after saying why not. */
static int call(const char *path, struct statusclient **c, const char *method,
		const struct statusclient_param *params, size_t n_params, yajl_val *ret_root,
		yajl_val *ret_result, struct statusclient_error *ret_error)
{
	struct statusclient_error e = {};
	int r;

	if (!*c) {
		r = statusclient_connect(path, c);
		if (r < 0)
			return unreachable(path, r);
	}
	r = statusclient_call(*c, method, params, n_params, STATUSCLIENT_TIMEOUT_USEC, ret_root,
			      ret_result, &e);
	if (r == -EREMOTEIO && ret_error) {
		*ret_error = e;
		return -1;
	}
	if (r < 0) {
		int s = protocol_error(r, &e);

		return s > 0 ? s : unreachable(path, r);
	}
	return 0;
}

struct opts {
	const char *socket;
	bool json;
	bool follow;
};

static void verb_help(const char *verb)
{
	if (strcmp(verb, "status") == 0)
		printf(_(
			"Usage: posturectl status [--json] [--socket PATH]\n"
			"\n"
			"Shows whether this laptop meets the company's security settings, and how\n"
			"to fix each one it does not meet.  Exit status: 0 when it meets them all,\n"
			"1 when it does not, 2 when the agent cannot be reached.\n"));
	else if (strcmp(verb, "explain") == 0)
		printf(_("Usage: posturectl explain RULE [--json] [--socket PATH]\n"
			 "\n"
			 "Explains one rule: why it exists, what was seen, how to fix it and whom\n"
			 "to contact.\n"));
	else if (strcmp(verb, "sent") == 0)
		printf(_(
			"Usage: posturectl sent [--since DURATION|DATE] [--verbose] [--json] "
			"[--socket PATH]\n"
			"\n"
			"Shows exactly the records this laptop sent to the collector, as they were\n"
			"sent, with when the collector acknowledged them.  The agent keeps them for\n"
			"as long as the policy says (sent_retention_days).  --since takes a duration\n"
			"back from now (30m, 12h, 7d, 2w) or a local date (2026-11-26, or\n"
			"\"2026-11-26 08:00\"); --verbose shows each record in full.\n"));
	else
		printf(_(
			"Usage: posturectl events [--follow] [--json] [--socket PATH]\n"
			"\n"
			"Shows recent findings about this laptop and your programs; with --follow,\n"
			"keeps showing new ones as they happen until interrupted.\n"));
	printf(_("\nOptions:\n"
		 "  -h --help         Show this help\n"
		 "     --json         Print the agent's answer as JSON, for scripts\n"
		 "     --socket PATH  The agent's socket (default: %s)\n"),
	       STATUSCLIENT_SOCKET);
}

/* Parses the options of a verb.  Returns 0, or 1 for --help shown, or -EINVAL after a message. */
static int parse_opts(int argc, char *argv[], bool follow_ok, struct opts *o)
{
	enum { ARG_SOCKET = 0x100, ARG_JSON };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "follow", no_argument, NULL, 'f' },
		{},
	};
	int c;

	*o = (struct opts){ .socket = STATUSCLIENT_SOCKET };
	optind = 0;
	while ((c = getopt_long(argc, argv, "hf", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			verb_help(argv[0]);
			return 1;
		case ARG_SOCKET:
			o->socket = optarg;
			break;
		case ARG_JSON:
			o->json = true;
			break;
		case 'f':
			if (follow_ok) {
				o->follow = true;
				break;
			}
			/* fall through */
		default:
			fprintf(stderr, _("Try 'posturectl %s --help'.\n"), argv[0]);
			return -EINVAL;
		}
	}
	return 0;
}

/* --- status --------------------------------------------------------------- */

static bool rule_failing(yajl_val r)
{
	const char *state = statusclient_get_str(r, "state");

	return state && strcmp(state, "failing") == 0;
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
	}
}

static int print_status(struct ctl_output *o, const char *lang, yajl_val result)
{
	yajl_val rules = statusclient_get(result, "rules");
	bool compliant = statusclient_get_bool(result, "compliant", false);
	size_t n_failing = 0, n_rules = 0, i = 0;
	char t[32];

	if (rules && YAJL_IS_ARRAY(rules)) {
		n_rules = rules->u.array.len;
		for (size_t k = 0; k < n_rules; k++)
			n_failing += rule_failing(rules->u.array.values[k]);
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

		if (!rule_failing(r))
			continue;
		i++;
		snprintf(num, sizeof(num), "%zu. ", i);
		fprintf(o->f, "%s", num);
		ctl_output_style(o, CTL_STYLE_BOLD);
		ctl_output_wrapped(o, (int)strlen(num), 3, title ?: id);
		ctl_output_reset(o);
		fputc('\n', o->f);
		print_rule_texts(o, lang, r, 3);
		ctl_output_style(o, CTL_STYLE_DIM);
		if (since > 0)
			ctl_output_para(
				o, 3,
				_("Not met since %s (%s severity). More: posturectl explain %s"),
				ctl_output_time(t, since),
				severity_text(statusclient_get_str(r, "severity")), id);
		else
			ctl_output_para(o, 3, _("%s severity. More: posturectl explain %s"),
					severity_text(statusclient_get_str(r, "severity")), id);
		ctl_output_reset(o);
		fputc('\n', o->f);
	}

	print_agent(o, result);
	return compliant ? 0 : 1;
}

int ctl_status_main(int argc, char *argv[])
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	yajl_val result;
	struct opts opts;
	struct ctl_output o;
	char lang[16];
	int r;

	r = parse_opts(argc, argv, false, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr,
			_("posturectl status takes no arguments. Try 'posturectl status --help'.\n"));
		return 2;
	}

	r = call(opts.socket, &c, "status", NULL, 0, &root, &result, NULL);
	if (r != 0)
		return r > 0 ? r : 2;

	if (opts.json) {
		if (ctl_output_json(stdout, result) < 0)
			return 2;
		return statusclient_get_bool(result, "compliant", false) ? 0 : 1;
	}
	ctl_output_init(&o);
	r = print_status(&o, statusclient_lang(lang, sizeof(lang)), result);
	fflush(stdout);
	return r;
}

/* --- findings in words ---------------------------------------------------- */

/* "TIME  TITLE: SENTENCE" */
static void print_finding_line(struct ctl_output *o, int indent, yajl_val f, bool with_title)
{
	_cleanup_free_ char *sentence = finding_text_sentence(f);
	const char *title = finding_text_title(f);
	char t[32];
	int col;

	ctl_output_time(t, statusclient_get_int(f, "time", 0));
	fprintf(o->f, "%*s", indent, "");
	ctl_output_style(o, CTL_STYLE_DIM);
	fprintf(o->f, "%s  ", t);
	ctl_output_reset(o);
	col = indent + (int)strlen(t) + 2;
	if (with_title && title) {
		_cleanup_free_ char *s = NULL;

		if (asprintf(&s, _("%s: %s"), title, sentence ?: "") >= 0)
			ctl_output_wrapped(o, col, col, s);
	} else {
		ctl_output_wrapped(o, col, col, sentence ?: "");
	}
	fputc('\n', o->f);
}

/* --- explain -------------------------------------------------------------- */

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
	bool failing = rule_failing(rule);
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
			severity_text(statusclient_get_str(rule, "severity")));

	heading(o, _("Why this rule exists:"));
	ctl_output_para(o, 2, "%s", msg ?: _("The policy gives no reason."));

	heading(o, _("What was seen:"));
	if (findings && YAJL_IS_ARRAY(findings))
		n = findings->u.array.len;
	for (size_t i = 0; i < n; i++) {
		print_finding_line(o, 2, findings->u.array.values[i], false);
	}
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
	struct opts opts;
	struct ctl_output o;
	char lang[16];
	int r;

	r = parse_opts(argc, argv, false, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (argc - optind != 1) {
		fprintf(stderr, _("posturectl explain takes one rule id; 'posturectl status' shows "
				  "the rules that are not met.\n"));
		return 2;
	}
	p = (struct statusclient_param){ .key = "rule", .str = argv[optind] };

	r = call(opts.socket, &c, "explain", &p, 1, &root, &result, &e);
	if (r < 0) {
		if (strcmp(e.code, "unknown_rule") == 0) {
			fprintf(stderr,
				_("The policy in force has no rule '%s'. 'posturectl status' shows "
				  "the rules that are not met.\n"),
				argv[optind]);
			return 1;
		}
		return protocol_error(-EREMOTEIO, &e);
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

/* --- events --------------------------------------------------------------- */

#define SEEN_MAX 512

struct seen {
	char *uid[SEEN_MAX];
	size_t next;
};

static bool seen_check_add(struct seen *s, yajl_val f)
{
	const char *uid = statusclient_get_str(statusclient_get(f, "finding_info"), "uid");

	if (!uid)
		return false;
	for (size_t i = 0; i < SEEN_MAX; i++)
		if (s->uid[i] && strcmp(s->uid[i], uid) == 0)
			return true;
	free(s->uid[s->next]);
	s->uid[s->next] = strdup(uid);
	s->next = (s->next + 1) % SEEN_MAX;
	return false;
}

static void seen_done(struct seen *s)
{
	for (size_t i = 0; i < SEEN_MAX; i++)
		free(s->uid[i]);
}

static void show_finding(struct ctl_output *o, const struct opts *opts, yajl_val f)
{
	if (opts->json)
		ctl_output_json(o->f, f);
	else
		print_finding_line(o, 0, f, true);
	fflush(o->f);
}

/* Follows the subscription until the agent goes away.  Returns the exit status. */
static int follow(struct ctl_output *o, const struct opts *opts, struct statusclient *c,
		  struct seen *seen)
{
	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		_cleanup_free_ char *line = NULL;
		const char *event;
		int r;

		r = statusclient_read_line(c, USEC_INFINITY, &line);
		if (r == -EMSGSIZE)
			continue;
		if (r < 0) {
			fprintf(stderr,
				_("The connection to postured was closed; the agent may be "
				  "restarting. Run 'posturectl events --follow' again to go on.\n"));
			return 2;
		}
		root = yajl_tree_parse(line, NULL, 0);
		event = statusclient_get_str(root, "event");
		if (!event || strcmp(event, "finding") != 0)
			continue;
		if (!seen_check_add(seen, statusclient_get(root, "finding")))
			show_finding(o, opts, statusclient_get(root, "finding"));
	}
}

int ctl_events_main(int argc, char *argv[])
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL, sub_root = NULL;
	const struct statusclient_param limit = { .key = "limit", .num = 50 };
	yajl_val result, findings, sub;
	struct seen seen = {};
	struct opts opts;
	struct ctl_output o;
	size_t n = 0;
	int r;

	r = parse_opts(argc, argv, true, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr,
			_("posturectl events takes no arguments. Try 'posturectl events --help'.\n"));
		return 2;
	}

	/* Subscribe first, so that nothing falls between the list and the stream. */
	if (opts.follow) {
		r = call(opts.socket, &c, "subscribe", NULL, 0, &sub_root, &sub, NULL);
		if (r != 0)
			return r > 0 ? r : 2;
	}
	r = call(opts.socket, &c, "findings", &limit, 1, &root, &result, NULL);
	if (r != 0)
		return r > 0 ? r : 2;

	ctl_output_init(&o);
	findings = statusclient_get(result, "findings");
	if (findings && YAJL_IS_ARRAY(findings))
		n = findings->u.array.len;
	for (size_t i = 0; i < n; i++) {
		seen_check_add(&seen, findings->u.array.values[i]);
		show_finding(&o, &opts, findings->u.array.values[i]);
	}
	if (n == 0 && !opts.json)
		ctl_output_para(&o, 0, _("Nothing has been found recently."));
	if (opts.follow) {
		if (!opts.json)
			ctl_output_para(
				&o, 0,
				_("Showing new findings as they happen; press Ctrl-C to stop."));
		fflush(stdout);
		r = follow(&o, &opts, c, &seen);
	} else {
		r = 0;
	}
	seen_done(&seen);
	fflush(stdout);
	return r;
}

/* --- sent ------------------------------------------------------------------ */

/*
 * --since: a duration back from now_ms ("90s", "30m", "12h", "7d", "2w") or a
 * local date ("2026-11-26", "2026-11-26 08:00", "2026-11-26T08:00:00").
 * Returns 0 and milliseconds since the epoch in *ret, or -EINVAL.
 */
static int parse_since(const char *s, int64_t now_ms, int64_t *ret)
{
	static const char *const date_fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
						 "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	unsigned long long n;
	char *end;

	if (s[0] >= '0' && s[0] <= '9' && !strchr(s, '-')) {
		int64_t unit;

		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno != 0 || end == s)
			return -EINVAL;
		if (strcmp(end, "s") == 0)
			unit = 1000;
		else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
			unit = 60 * 1000;
		else if (strcmp(end, "h") == 0)
			unit = 3600 * 1000;
		else if (strcmp(end, "d") == 0)
			unit = 86400 * 1000LL;
		else if (strcmp(end, "w") == 0)
			unit = 7 * 86400 * 1000LL;
		else
			return -EINVAL;
		if (n > (unsigned long long)(now_ms / unit))
			return -EINVAL;
		*ret = now_ms - (int64_t)n * unit;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(date_fmts); i++) {
		struct tm tm = { .tm_isdst = -1 };
		const char *rest = strptime(s, date_fmts[i], &tm);
		time_t t;

		if (!rest || *rest != '\0')
			continue;
		t = mktime(&tm);
		if (t == (time_t)-1 || t < 0)
			return -EINVAL;
		*ret = (int64_t)t * 1000;
		return 0;
	}
	return -EINVAL;
}

/* One line: when it was acknowledged, what kind of record, and what it is about. */
static void print_sent_line(struct ctl_output *o, yajl_val item, bool verbose)
{
	yajl_val record = statusclient_get(item, "record");
	yajl_val postured = statusclient_get(record, "postured");
	const char *cls = statusclient_get_str(record, "class_name");
	const char *rule = statusclient_get_str(postured, "rule_id");
	const char *action = statusclient_get_str(postured, "action");
	const char *path = statusclient_get_str(
		statusclient_get(statusclient_get(record, "process"), "file"), "path");
	int64_t class_uid = statusclient_get_int(record, "class_uid", 0);
	_cleanup_free_ char *text = NULL;
	char t[32], unknown[32];
	int r;

	if (!cls) {
		snprintf(unknown, sizeof(unknown), _("class %lld"), (long long)class_uid);
		cls = unknown;
	}
	ctl_output_time_sec(t, statusclient_get_int(item, "acked", 0));
	if (class_uid == 2003)
		r = asprintf(&text, _("%s  %s: rule %s, action %s"), t, cls, rule ?: "?",
			     action ?: "?");
	else if (class_uid == 1007 && path)
		r = asprintf(&text, "%s  %s: %s", t, cls, path);
	else
		r = asprintf(&text, "%s  %s", t, cls);
	if (r < 0)
		return;
	ctl_output_para(o, 0, "%s", text);
	if (verbose)
		ctl_output_json_lines(o, 4, record);
}

/* Each item as one JSON line: {"seq":..,"acked":..,"record":{...}}. */
static int show_sent_page(struct ctl_output *o, yajl_val records, bool json, bool verbose,
			  size_t *shown)
{
	size_t n = records && YAJL_IS_ARRAY(records) ? records->u.array.len : 0;

	for (size_t i = 0; i < n; i++) {
		yajl_val item = records->u.array.values[i];

		if (json) {
			if (ctl_output_json(o->f, item) < 0)
				return -ENOMEM;
		} else {
			print_sent_line(o, item, verbose);
		}
		(*shown)++;
	}
	return 0;
}

int ctl_sent_main(int argc, char *argv[])
{
	enum { ARG_SOCKET = 0x100, ARG_JSON, ARG_SINCE };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "since", required_argument, NULL, ARG_SINCE },
		{ "verbose", no_argument, NULL, 'v' },
		{},
	};
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	const char *socket = STATUSCLIENT_SOCKET;
	bool json = false, verbose = false;
	int64_t since = 0, after = 0;
	size_t shown = 0;
	struct ctl_output o;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
		switch (opt) {
		case 'h':
			verb_help(argv[0]);
			return 0;
		case ARG_SOCKET:
			socket = optarg;
			break;
		case ARG_JSON:
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case ARG_SINCE:
			if (parse_since(optarg, (int64_t)time(NULL) * 1000, &since) < 0) {
				fprintf(stderr,
					_("posturectl sent: '%s' is neither a duration (30m, 12h, 7d, "
					  "2w) nor a date (2026-11-26 08:00).\n"),
					optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, _("Try 'posturectl %s --help'.\n"), argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			_("posturectl sent takes no arguments. Try 'posturectl sent --help'.\n"));
		return 2;
	}

	ctl_output_init(&o);
	/* The agent answers in pages; follow them until it says there is no more. */
	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		struct statusclient_param p[3] = {
			{ .key = "since", .num = since },
			{ .key = "limit", .num = 1000 },
			{ .key = "after_seq", .num = after },
		};
		yajl_val result;
		int64_t last;

		r = call(socket, &c, "sent", p, ELEMENTSOF(p), &root, &result, NULL);
		if (r != 0)
			return r > 0 ? r : 2;
		if (show_sent_page(&o, statusclient_get(result, "records"), json, verbose, &shown) <
		    0)
			return protocol_error(-ENOMEM, NULL);
		last = statusclient_get_int(result, "last_seq", 0);
		if (!statusclient_get_bool(result, "more", false) || last <= after)
			break;
		after = last;
	}
	if (shown == 0 && !json)
		ctl_output_para(&o, 0, _("Nothing this laptop sent in that time is kept here."));
	fflush(stdout);
	return 0;
}
