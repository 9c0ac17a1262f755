// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl sent`: exactly the records this laptop sent to the collector,
 * as the agent kept them, with when the collector acknowledged them, page
 * after page of the agent's answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_agent.h"
#include "ctl_i18n.h"
#include "ctl_sent.h"

static void help(void)
{
	printf(_("Usage: posturectl sent [--since DURATION|DATE] [--verbose] [--json] "
		 "[--socket PATH]\n"
		 "\n"
		 "Shows exactly the records this laptop sent to the collector, as they were\n"
		 "sent, with when the collector acknowledged them.  The agent keeps them for\n"
		 "as long as the policy says (sent_retention_days).  --since takes a duration\n"
		 "back from now (30m, 12h, 7d, 2w) or a local date (2026-11-26, or\n"
		 "\"2026-11-26 08:00\"); --verbose shows each record in full.\n"));
	ctl_agent_help_options();
}

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

/*
 * The agent's records about itself (Application Lifecycle): its stop and who
 * asked, its start and how the run before ended, a probe someone changed,
 * the laptop going to sleep.
 * Returns asprintf()'s value, or 0 when the record is none of those.
 */
static int lifecycle_text(char **ret, const char *t, const char *cls, yajl_val record)
{
	yajl_val postured = statusclient_get(record, "postured");
	yajl_val actor = statusclient_get(statusclient_get(record, "actor"), "process");
	const char *event = statusclient_get_str(postured, "event") ?: "";
	const char *by = statusclient_get_str(postured, "sent_by") ?: "";
	const char *run = statusclient_get_str(postured, "previous_run") ?: "";
	const char *name = statusclient_get_str(actor, "name");

	if (strcmp(event, "agent_stopped") == 0 && strcmp(by, "systemd") == 0)
		return asprintf(ret, _("%s  %s: postured stopped by systemd"), t, cls);
	if (strcmp(event, "agent_stopped") == 0 && strcmp(by, "process") == 0)
		return asprintf(ret, _("%s  %s: postured stopped by pid %lld (%s)"), t, cls,
				(long long)statusclient_get_int(actor, "pid", 0), name ?: "?");
	if (strcmp(event, "agent_stopped") == 0)
		return asprintf(ret, _("%s  %s: postured stopped from its terminal"), t, cls);
	if (strcmp(event, "agent_started") == 0 && strcmp(run, "unclean") == 0)
		return asprintf(ret,
				_("%s  %s: postured started; its previous run ended without a "
				  "clean stop, about %lld s were not watched"),
				t, cls,
				(long long)statusclient_get_int(postured, "gap_seconds", 0));
	if (strcmp(event, "agent_started") == 0)
		return asprintf(ret, _("%s  %s: postured started"), t, cls);
	if (strcmp(event, "probe_changed") == 0)
		return asprintf(ret, _("%s  %s: someone else changed postured's probe %s (%s)"), t,
				cls, statusclient_get_str(postured, "program") ?: "?",
				statusclient_get_str(postured, "change") ?: "?");
	if (strcmp(event, "agent_suspended") == 0)
		return asprintf(ret, _("%s  %s: the laptop went to sleep"), t, cls);
	return 0;
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
		r = class_uid == 6002 ? lifecycle_text(&text, t, cls, record) : 0;
	if (r == 0)
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
	/* --since and --verbose are sent's own; the others mean what they do for every verb. */
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
			help();
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

		r = ctl_agent_call(socket, &c, "sent", p, ELEMENTSOF(p), &root, &result, NULL);
		if (r != 0)
			return r > 0 ? r : 2;
		if (show_sent_page(&o, statusclient_get(result, "records"), json, verbose, &shown) <
		    0)
			return ctl_agent_error(-ENOMEM, NULL);
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
