// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>

#include "postured/baseline.h"
#include "basic/cleanup.h"
#include "postured/checks/checks.h"
#include "postured/checks/runner.h"
#include "ctl_check.h"
#include "ctl_i18n.h"
#include "ctl_output.h"
#include "basic/json-util.h"
#include "policy.h"

/* The width of a status label's column: "UNKNOWN" and a space. */
#define LABEL_COLUMNS 8

DEFINE_TRIVIAL_CLEANUP_FUNC(policy *, policy_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(policy_errors *, policy_errors_free);

enum {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_UNKNOWN = 3,
};

static void help(void)
{
	printf(_("Usage: posturectl check [--root DIR] [--policy FILE] [--json]\n"
		 "\n"
		 "Runs the device posture checks of a policy once and prints the results.\n"
		 "Without --policy, the built-in telework baseline.  Exit status: 0 all\n"
		 "pass, 1 some fail, 3 some could not be told and none fails.\n"
		 "\n"
		 "  -h --help         Show this help\n"
		 "     --root DIR     Check the system below DIR instead of / (a disk image)\n"
		 "     --policy FILE  Use the check rules of this policy file\n"
		 "     --json         Print JSON instead of text\n"));
}

/*
 * The language of the policy's texts, from the variables ctl_policy reads:
 * the first set of LC_ALL, LC_MESSAGES, LANG, whether or not that locale is
 * installed (our own words need it installed; the policy's texts do not).
 */
static const char *message_lang(char *buf, size_t size)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v) {
			snprintf(buf, size, "%.*s", (int)strcspn(v, ".@"), v);
			return strcmp(buf, "C") == 0 || strcmp(buf, "POSIX") == 0 ? NULL : buf;
		}
	}
	return NULL;
}

static int load(const char *file, policy **ret)
{
	_cleanup_(policy_errors_freep) policy_errors *errors = policy_errors_new();
	int r;

	if (!errors)
		return -ENOMEM;
	if (file) {
		r = policy_load(file, errors, ret);
	} else {
		size_t size;
		const char *json = baseline_json(&size);

		r = policy_parse(BASELINE_NAME, json, size, errors, ret);
	}
	for (size_t i = 0; i < policy_errors_count(errors); i++) {
		_cleanup_free_ char *s = NULL;

		if (policy_error_format(policy_errors_get(errors, i), &s) >= 0)
			fprintf(stderr, "%s\n", s);
	}
	if (r < 0 && policy_errors_count(errors) == 0)
		fprintf(stderr, _("posturectl: cannot read %s: %s\n"), file ? file : BASELINE_NAME,
			strerror(-r));
	return r;
}

static void print_text(const policy_rule *rule, const struct check_result *res, const char *lang)
{
	static const char *const labels[] = {
		/* TRANSLATORS: the result of a check, in a column 7 cells wide (CJK: 2 a character). */
		[CHECK_PASS] = N_("PASS"),
		[CHECK_FAIL] = N_("FAIL"),
		[CHECK_UNKNOWN] = N_("UNKNOWN"),
	};
	const char *label = _(labels[res->status]);
	const int indent = LABEL_COLUMNS;

	printf("%s%*s%s (%s)\n", label, MAX(LABEL_COLUMNS - ctl_output_width(label), 1), "",
	       policy_rule_title(rule), policy_rule_id(rule));
	/* The reasons and the evidence are the checks' own words, in English as they are reported. */
	if (res->status == CHECK_UNKNOWN)
		printf("%*s%s %s\n", indent, "", _("Could not tell:"), res->reason);
	else if (res->status == CHECK_FAIL)
		printf("%*s%s\n", indent, "", res->reason);
	for (size_t i = 0; i < res->n_evidence; i++)
		printf("%*s- %s\n", indent, "", res->evidence[i]);
	if (res->n_dropped) {
		printf("%*s- ", indent, "");
		/* TRANSLATORS: the evidence of a check goes on; %zu is how much was left out. */
		printf(ngettext("(%zu more)", "(%zu more)", res->n_dropped), res->n_dropped);
		putchar('\n');
	}
	if (res->status == CHECK_FAIL) {
		printf("%*s%s\n", indent, "", policy_rule_text(rule, POLICY_TEXT_MESSAGE, lang));
		printf("%*s", indent, "");
		printf(_("How to fix: %s"), policy_rule_text(rule, POLICY_TEXT_REMEDIATION, lang));
		putchar('\n');
	}
}

static void json_result(yajl_gen g, const policy_rule *rule, const struct check_result *res,
			const char *lang)
{
	json_open(g, NULL);
	json_str(g, "rule", policy_rule_id(rule));
	json_str(g, "check", policy_rule_check_name(rule));
	json_str(g, "title", policy_rule_title(rule));
	json_str(g, "severity", policy_severity_to_string(policy_rule_severity(rule)));
	json_str(g, "status", check_status_to_string(res->status));
	if (res->status != CHECK_PASS)
		json_str(g, "reason", res->reason);
	json_key(g, "evidence");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->n_evidence; i++)
		yajl_gen_string(g, (const unsigned char *)res->evidence[i],
				strlen(res->evidence[i]));
	yajl_gen_array_close(g);
	if (res->status == CHECK_FAIL) {
		json_str(g, "message", policy_rule_text(rule, POLICY_TEXT_MESSAGE, lang));
		json_str(g, "remediation", policy_rule_text(rule, POLICY_TEXT_REMEDIATION, lang));
	}
	json_close(g);
}

int ctl_check_main(int argc, char *argv[])
{
	enum { ARG_ROOT = 0x100, ARG_POLICY, ARG_JSON };
	static const struct option options[] = { { "help", no_argument, NULL, 'h' },
						 { "root", required_argument, NULL, ARG_ROOT },
						 { "policy", required_argument, NULL, ARG_POLICY },
						 { "json", no_argument, NULL, ARG_JSON },
						 {} };
	_cleanup_(policy_unrefp) policy *p = NULL;
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_free_ struct check_job *jobs = NULL;
	_cleanup_free_ struct check_result *results = NULL;
	const char *root = "/", *file = NULL, *lang;
	size_t counts[3] = {}, n_jobs = 0;
	char langbuf[32];
	bool json = false;
	struct stat st;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help();
			return EXIT_PASS;
		case ARG_ROOT:
			root = optarg;
			break;
		case ARG_POLICY:
			file = optarg;
			break;
		case ARG_JSON:
			json = true;
			break;
		default:
			fprintf(stderr, _("Try 'posturectl %s --help'.\n"), "check");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("posturectl check: unexpected argument '%s'.\n"), argv[optind]);
		return EXIT_USAGE;
	}
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, _("posturectl check: --root %s is not a directory.\n"), root);
		return EXIT_USAGE;
	}
	r = load(file, &p);
	if (r < 0)
		return EXIT_USAGE;
	lang = message_lang(langbuf, sizeof(langbuf));

	if (json) {
		g = yajl_gen_alloc(NULL);
		if (!g)
			return EXIT_USAGE;
		yajl_gen_config(g, yajl_gen_beautify, 1);
		json_open(g, NULL);
		json_str(g, "policy", policy_id(p));
		json_u64(g, "serial", policy_serial(p));
		json_str(g, "root", root);
		json_key(g, "results");
		yajl_gen_array_open(g);
	}
	/* In a child, each check within its time bound: a stuck check cannot hang us. */
	jobs = calloc(MAX(policy_rule_count(p), (size_t)1), sizeof(*jobs));
	results = calloc(MAX(policy_rule_count(p), (size_t)1), sizeof(*results));
	if (!jobs || !results) {
		fprintf(stderr, "posturectl check: %s\n", strerror(ENOMEM));
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *rule = policy_rule_at(p, i);

		if (policy_rule_type(rule) == POLICY_RULE_CHECK && policy_rule_enabled(rule))
			jobs[n_jobs++] = (struct check_job){ .check = policy_rule_check_name(rule),
							     .rule = rule };
	}
	r = check_runner_run(root, jobs, n_jobs, NULL, results);
	if (r < 0) {
		fprintf(stderr, "posturectl check: %s\n", strerror(-r));
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < n_jobs; k++) {
		counts[results[k].status]++;
		if (json)
			json_result(g, jobs[k].rule, &results[k], lang);
		else
			print_text(jobs[k].rule, &results[k], lang);
	}
	if (json) {
		const unsigned char *buf;
		size_t len;

		yajl_gen_array_close(g);
		json_open(g, "summary");
		json_u64(g, "pass", counts[CHECK_PASS]);
		json_u64(g, "fail", counts[CHECK_FAIL]);
		json_u64(g, "unknown", counts[CHECK_UNKNOWN]);
		json_close(g);
		json_close(g);
		yajl_gen_get_buf(g, &buf, &len);
		fwrite(buf, 1, len, stdout);
	} else {
		putchar('\n');
		/* TRANSLATORS: the summary of `posturectl check`: how many checks passed, failed, could not tell. */
		printf(_("%zu passed, %zu failed, %zu could not be told.\n"), counts[CHECK_PASS],
		       counts[CHECK_FAIL], counts[CHECK_UNKNOWN]);
	}
	fflush(stdout);
	if (counts[CHECK_FAIL])
		return EXIT_FAIL;
	return counts[CHECK_UNKNOWN] ? EXIT_UNKNOWN : EXIT_PASS;
}
