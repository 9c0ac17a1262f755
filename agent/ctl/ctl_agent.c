// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_agent.h"
#include "ctl_i18n.h"
#include "finding_text.h"

/* --- options -------------------------------------------------------------- */

int ctl_agent_parse_opts(int argc, char *argv[], void (*help)(void), bool follow_ok,
			 struct ctl_agent_opts *ret)
{
	enum { ARG_SOCKET = 0x100, ARG_JSON };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "follow", no_argument, NULL, 'f' },
		{},
	};
	struct ctl_agent_opts o = { .socket = STATUSCLIENT_SOCKET };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "hf", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 1;
		case ARG_SOCKET:
			o.socket = optarg;
			break;
		case ARG_JSON:
			o.json = true;
			break;
		case 'f':
			if (follow_ok) {
				o.follow = true;
				break;
			}
			/* fall through */
		default:
			fprintf(stderr, _("Try 'posturectl %s --help'.\n"), argv[0]);
			return -EINVAL;
		}
	}
	*ret = o;
	return 0;
}

void ctl_agent_help_options(void)
{
	printf(_("\nOptions:\n"
		 "  -h --help         Show this help\n"
		 "     --json         Print the agent's answer as JSON, for scripts\n"
		 "     --socket PATH  The agent's socket (default: %s)\n"),
	       STATUSCLIENT_SOCKET);
}

/* --- calling the agent ---------------------------------------------------- */

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

int ctl_agent_error(int r, const struct statusclient_error *e)
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

int ctl_agent_call(const char *path, struct statusclient **c, const char *method,
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
		int s = ctl_agent_error(r, &e);

		return s > 0 ? s : unreachable(path, r);
	}
	return 0;
}

/* --- the answers ---------------------------------------------------------- */

bool ctl_agent_rule_failing(yajl_val r)
{
	const char *state = statusclient_get_str(r, "state");

	return state && strcmp(state, "failing") == 0;
}

const char *ctl_agent_severity(const char *sev)
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

void ctl_agent_print_finding(struct ctl_output *o, int indent, yajl_val f, bool with_title)
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

/* One distinct thing found: its latest finding, how often, when last. */
struct found {
	char key[1024];
	yajl_val latest;
	uint64_t count;
	int64_t last;
};

size_t ctl_agent_print_found(struct ctl_output *o, int indent, yajl_val findings,
			     bool (*want)(yajl_val f, void *userdata), void *userdata, size_t max,
			     bool with_time, bool with_title)
{
	_cleanup_free_ struct found *found = NULL;
	size_t n = 0, total;

	if (!findings || !YAJL_IS_ARRAY(findings))
		return 0;
	total = findings->u.array.len;
	found = calloc(total ? total : 1, sizeof(*found));
	if (!found)
		return 0;
	for (size_t i = 0; i < total; i++) {
		yajl_val f = findings->u.array.values[i];
		struct found *x = NULL;
		char key[sizeof(found->key)];
		bool keyed;

		if (want && !want(f, userdata))
			continue;
		keyed = finding_text_key(f, key, sizeof(key)) >= 0;
		for (size_t k = 0; keyed && k < n && !x; k++)
			if (strcmp(found[k].key, key) == 0)
				x = &found[k];
		if (!x) {
			x = &found[n++];
			snprintf(x->key, sizeof(x->key), "%s", keyed ? key : "");
		}
		/* Findings come oldest first: the last one seen is the latest. */
		x->latest = f;
		x->count += finding_text_count(f);
		x->last = statusclient_get_int(f, "time", 0);
	}
	for (size_t k = 0; k < n && k < max; k++) {
		_cleanup_free_ char *sentence = finding_text_sentence(found[k].latest);
		_cleanup_free_ char *line = NULL;
		int col = indent;
		char t[32];

		if (!sentence)
			continue;
		if (with_title && finding_text_title(found[k].latest)) {
			char *s = NULL;

			if (asprintf(&s, _("%s: %s"), finding_text_title(found[k].latest),
				     sentence) >= 0) {
				free(sentence);
				sentence = s;
			}
		}
		if (found[k].count > 1 &&
		    asprintf(&line,
			     /* TRANSLATORS: %1$s says what was found; %2$llu how often it happened. */
			     ngettext("%s (%llu time)", "%s (%llu times)",
				      (unsigned long)MIN(found[k].count, 1000000)),
			     sentence, (unsigned long long)found[k].count) < 0)
			line = NULL;
		fprintf(o->f, "%*s", indent, "");
		if (with_time) {
			ctl_output_time(t, found[k].last);
			ctl_output_style(o, CTL_STYLE_DIM);
			fprintf(o->f, "%s  ", t);
			ctl_output_reset(o);
			col += (int)strlen(t) + 2;
		} else {
			fputs("- ", o->f);
			col += 2;
		}
		ctl_output_wrapped(o, col, col, line ?: sentence);
		fputc('\n', o->f);
	}
	if (n > max)
		ctl_output_para(o, indent + (with_time ? 0 : 2),
				ngettext("and %zu more.", "and %zu more.",
					 (unsigned long)(n - max)),
				n - max);
	return n;
}

void ctl_agent_print_identity(struct ctl_output *o, int indent, yajl_val id)
{
	const char *state = statusclient_get_str(id, "state");
	const char *device = statusclient_get_str(id, "device_id") ?: "?";
	const char *issuer = statusclient_get_str(id, "issuer") ?: "?";
	const char *error = statusclient_get_str(id, "last_error");
	const char *url = statusclient_get_str(id, "enroll_url") ?: "?";
	int64_t not_after = statusclient_get_int(id, "not_after", 0);
	int64_t renew_at = statusclient_get_int(id, "renew_at", 0);
	int64_t next = statusclient_get_int(id, "next_attempt", 0);
	char t[32], t2[32];

	if (!state)
		return;
	if (strcmp(state, "by_hand") == 0) {
		if (not_after > 0)
			ctl_output_para(o, indent,
					_("Identity: device %s, certificate from %s, valid until "
					  "%s; installed and renewed by your IT team."),
					device, issuer, ctl_output_time(t, not_after));
		else
			ctl_output_para(
				o, indent,
				_("Identity: device %s; its certificate cannot be read, so "
				  "nothing can be sent. Your IT help desk can install a new "
				  "one."),
				device);
		return;
	}
	if (not_after > 0) {
		ctl_output_para(o, indent,
				_("Identity: device %s, certificate from %s, valid until %s; it "
				  "renews itself from %s. Its key never leaves this laptop."),
				device, issuer, ctl_output_time(t, not_after),
				ctl_output_time(t2, renew_at));
		if (strcmp(state, "renewing") == 0)
			ctl_output_para(o, indent + 2, "%s", _("Renewing it now."));
		else if (error)
			ctl_output_para(o, indent + 2,
					_("The last renewal did not work (%s); the agent tries "
					  "again at %s, and the current certificate is used until "
					  "then."),
					error, ctl_output_time(t, next));
		return;
	}
	if (error && strcmp(state, "enrolling") != 0)
		ctl_output_para(
			o, indent,
			_("Identity: this laptop is not enrolled with %s yet: %s. The agent "
			  "tries again at %s; reports wait on this laptop until then. If "
			  "this stays, your IT help desk can give you a new enrollment "
			  "token (posturectl enroll)."),
			url, error, ctl_output_time(t, next));
	else
		ctl_output_para(o, indent,
				_("Identity: enrolling this laptop with %s; reports wait on this "
				  "laptop until it is done."),
				url);
}
