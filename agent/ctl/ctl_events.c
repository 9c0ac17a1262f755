// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl events [--follow]`: the agent's recent findings about this
 * laptop, one line each; with --follow, new ones as they happen, through a
 * subscription taken before the list so that none falls between the two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_agent.h"
#include "ctl_i18n.h"
#include "ctl_events.h"

static void help(void)
{
	printf(_("Usage: posturectl events [--follow] [--json] [--socket PATH]\n"
		 "\n"
		 "Shows recent findings about this laptop and your programs; with --follow,\n"
		 "keeps showing new ones as they happen until interrupted.\n"));
	ctl_agent_help_options();
}

/* The findings shown, by uid: one both in the list and in the stream is shown once. */
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

static void show_finding(struct ctl_output *o, const struct ctl_agent_opts *opts, yajl_val f)
{
	if (opts->json)
		ctl_output_json(o->f, f);
	else
		ctl_agent_print_finding(o, 0, f, true);
	fflush(o->f);
}

/* Follows the subscription until the agent goes away.  Returns the exit status. */
static int follow(struct ctl_output *o, const struct ctl_agent_opts *opts, struct statusclient *c,
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
	struct ctl_agent_opts opts;
	struct ctl_output o;
	size_t n = 0;
	int r;

	r = ctl_agent_parse_opts(argc, argv, help, true, &opts);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (optind < argc) {
		fprintf(stderr,
			_("posturectl events takes no arguments. Try 'posturectl events --help'.\n"));
		return 2;
	}

	/* Subscribe first, so that nothing falls between the list and the stream. */
	if (opts.follow) {
		r = ctl_agent_call(opts.socket, &c, "subscribe", NULL, 0, &sub_root, &sub, NULL);
		if (r != 0)
			return r > 0 ? r : 2;
	}
	r = ctl_agent_call(opts.socket, &c, "findings", &limit, 1, &root, &result, NULL);
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
