// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * posturectl: the command line for the employee and for IT.  Verbs that need
 * parts of postured not built yet say so and exit 2, as for any usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "ctl_check.h"
#include "ctl_enroll.h"
#include "ctl_events.h"
#include "ctl_explain.h"
#include "ctl_i18n.h"
#include "ctl_policy.h"
#include "ctl_sent.h"
#include "ctl_status.h"
#include "basic/version.h"

struct verb {
	const char *name;
	const char *summary;
	int (*run)(int argc, char *argv[]);
};

static int verb_version(int argc, char *argv[])
{
	printf("posturectl %s\n", POSTURED_VERSION);
	return 0;
}

static const struct verb verbs[] = {
	{ "status", N_("Show whether this device meets the policy, and how to fix what does not"),
	  ctl_status_main },
	{ "explain", N_("Explain one rule: why it exists, what was seen, how to fix it"),
	  ctl_explain_main },
	{ "events", N_("Show findings about your processes as they happen"), ctl_events_main },
	{ "sent", N_("Show exactly the records this device sent to the collector"), ctl_sent_main },
	{ "check", N_("Run the device posture checks once and print the results"), ctl_check_main },
	{ "policy", N_("Check or explain a policy file (policy check|explain FILE)"),
	  ctl_policy_main },
	{ "enroll", N_("Enroll this laptop with the company's collector now (root)"),
	  ctl_enroll_main },
	{ "version", N_("Show the version"), verb_version },
};

static void help(void)
{
	printf(_("Usage: posturectl [OPTIONS] COMMAND ...\n"
		 "\n"
		 "Shows this device's security posture as postured sees it.\n"
		 "\n"
		 "Commands:\n"));
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-9s %s%s\n", verbs[i].name, _(verbs[i].summary),
		       verbs[i].run ? "" : _(" (not in this version yet)"));
	printf(_("\nOptions:\n"
		 "  -h --help     Show this help\n"
		 "     --version  Show the version\n"));
}

int main(int argc, char *argv[])
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' },
						 { "version", no_argument, NULL, 'V' },
						 {} };
	int c;

	ctl_i18n_setup();

	/* Options stop at the verb; the verb parses its own. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return 0;
		case 'V':
			return verb_version(0, NULL);
		default:
			fprintf(stderr, _("Try 'posturectl --help'.\n"));
			return 2;
		}
	}
	if (optind >= argc) {
		help();
		return 2;
	}
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		if (strcmp(argv[optind], verbs[i].name) != 0)
			continue;
		if (!verbs[i].run) {
			fprintf(stderr,
				_("posturectl: '%s' is not available in postured %s yet.\n"),
				verbs[i].name, POSTURED_VERSION);
			return 2;
		}
		return verbs[i].run(argc - optind, argv + optind);
	}
	fprintf(stderr, _("posturectl: unknown command '%s'. Try 'posturectl --help'.\n"),
		argv[optind]);
	return 2;
}
