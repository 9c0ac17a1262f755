// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "ctl_agent.h"
#include "ctl_enroll.h"
#include "ctl_i18n.h"

#define ENROLL_WAIT_DEFAULT 60
#define ENROLL_POLL_USEC    (250 * USEC_PER_MSEC)

static void help(void)
{
	printf(_("Usage: posturectl enroll [--token-file FILE] [--wait SECONDS] [--json]\n"
		 "\n"
		 "Has the agent enroll this laptop with the company's collector now, and\n"
		 "waits for the outcome (root only).  With --token-file, that file's\n"
		 "enrollment token is used instead of the configured one.  Exit status: 0\n"
		 "enrolled, 1 the enrollment failed, 2 the agent cannot be reached.\n"
		 "\n"
		 "  -h --help             Show this help\n"
		 "     --token-file FILE  The enrollment token from your IT team (mode 0600)\n"
		 "     --wait SECONDS     How long to wait for the outcome (default 60)\n"));
	ctl_agent_help_options();
}

static bool in_flight(yajl_val id)
{
	const char *state = statusclient_get_str(id, "state");

	return state && (strcmp(state, "enrolling") == 0 || strcmp(state, "renewing") == 0) &&
	       statusclient_get(id, "next_attempt") == NULL;
}

int ctl_enroll_main(int argc, char *argv[])
{
	enum { ARG_SOCKET = 0x100, ARG_JSON, ARG_TOKEN_FILE, ARG_WAIT };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, ARG_SOCKET },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "token-file", required_argument, NULL, ARG_TOKEN_FILE },
		{ "wait", required_argument, NULL, ARG_WAIT },
		{},
	};
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	struct statusclient_param param = { .key = "token_file" };
	struct statusclient_error e = {};
	const char *socket = STATUSCLIENT_SOCKET;
	char token_path[PATH_MAX];
	yajl_val root = NULL, result = NULL, id = NULL;
	bool json = false;
	long wait_sec = ENROLL_WAIT_DEFAULT;
	usec_t deadline;
	struct ctl_output o;
	char *end;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
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
		case ARG_TOKEN_FILE:
			/* The agent reads it: it needs the whole path, as root sees it. */
			if (!realpath(optarg, token_path)) {
				fprintf(stderr, _("posturectl enroll: cannot read '%s': %s\n"),
					optarg, strerror(errno));
				return 2;
			}
			param.str = token_path;
			break;
		case ARG_WAIT:
			errno = 0;
			wait_sec = strtol(optarg, &end, 10);
			if (errno || *end || wait_sec < 1 || wait_sec > 3600) {
				fprintf(stderr,
					_("posturectl enroll: --wait takes 1 to 3600 seconds.\n"));
				return 2;
			}
			break;
		default:
			fprintf(stderr, _("Try 'posturectl enroll --help'.\n"));
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("posturectl enroll: unexpected argument '%s'.\n"), argv[optind]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "%s",
			_("posturectl enroll: only root can enroll the laptop; try "
			  "'sudo posturectl enroll'.\n"));
		return 2;
	}

	r = ctl_agent_call(socket, &c, "enroll", param.str ? &param : NULL, param.str ? 1 : 0,
			   &root, &result, &e);
	if (r == -1) {
		fprintf(stderr, _("posturectl enroll: the agent did not start it: %s\n"),
			e.message);
		return 2;
	}
	if (r > 0)
		return r;
	yajl_tree_free(root);

	/* The outcome: the identity's state once no request is in flight. */
	deadline = now_usec(CLOCK_MONOTONIC) + (usec_t)wait_sec * USEC_PER_SEC;
	for (;;) {
		r = ctl_agent_call(socket, &c, "status", NULL, 0, &root, &result, NULL);
		if (r > 0)
			return r;
		id = statusclient_get(statusclient_get(result, "collector"), "identity");
		if (!in_flight(id) || now_usec(CLOCK_MONOTONIC) >= deadline)
			break;
		yajl_tree_free(root);
		root = NULL;
		(void)usleep(ENROLL_POLL_USEC);
	}

	ctl_output_init(&o);
	if (json) {
		if (ctl_output_json(stdout, id) < 0)
			r = 2;
	} else
		ctl_agent_print_identity(&o, 0, id);
	if (r != 2)
		r = statusclient_get_int(id, "not_after", 0) > 0 &&
				    !statusclient_get_str(id, "last_error") ?
			    0 :
			    1;
	r = statusclient_get_int(id, "not_after", 0) > 0 &&
			    !statusclient_get_str(id, "last_error") ?
		    0 :
		    1;
	if (in_flight(id)) {
		fprintf(stderr,
			_("posturectl enroll: no outcome after %ld s; 'posturectl status' "
			  "shows it later.\n"),
			wait_sec);
		r = 1;
	}
	yajl_tree_free(root);
	return r;
}
