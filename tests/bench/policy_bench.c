// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Userspace policy evaluation cost per allowed exec (issue 3): a generated
 * policy of N rules (exact names and paths, path globs, a name with a user)
 * against processes that match none, next to a one-rule policy measured in
 * the same run.  Prints a table; exits 0 when the N-rule figure is under the
 * target, 1 when not, 2 on usage errors.
 *
 *   policy_bench [RULES [EVALS]]     defaults: 1000 rules, 2000000 evaluations
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/time-util.h"
#include "policy.h"

#define TARGET_NS 1000.0

static char *make_policy(unsigned rules)
{
	size_t size = 256 + (size_t)rules * 400, off = 0;
	char *s = malloc(size);

	if (!s)
		return NULL;
	off += (size_t)snprintf(s + off, size - off,
				"{\"id\":\"bench\",\"serial\":1,\"mode\":\"monitor\",\"rules\":[");
	for (unsigned i = 0; i < rules; i++) {
		char match[160];

		switch (i % 10) {
		case 0:
		case 1:
		case 2:
		case 3:
			snprintf(match, sizeof(match), "{\"name\":\"tool%u\"}", i);
			break;
		case 4:
		case 5:
		case 6:
			snprintf(match, sizeof(match), "{\"path\":\"/opt/vendor%u/bin/agent%u\"}",
				 i, i);
			break;
		case 7:
		case 8:
			snprintf(match, sizeof(match), "{\"path\":\"/opt/*/bin/helper%u\"}", i);
			break;
		default:
			snprintf(match, sizeof(match), "{\"name\":\"svc%u\",\"user\":%u}", i,
				 1000 + i);
			break;
		}
		off += (size_t)snprintf(
			s + off, size - off,
			"%s{\"id\":\"r%u\",\"type\":\"process\",\"title\":\"r%u\","
			"\"severity\":\"low\",\"match\":%s,\"effect\":\"deny\","
			"\"message\":{\"en\":\"m\"},\"remediation\":{\"en\":\"r\"}}",
			i ? "," : "", i, i, match);
	}
	snprintf(s + off, size - off, "]}");
	return s;
}

/* Nanoseconds per evaluation of `evals` allowed processes. */
static double measure(const policy *p, unsigned long evals)
{
	static const char *const paths[] = { "/usr/bin/bash",
					     "/usr/bin/git",
					     "/usr/lib/firefox/firefox",
					     "/opt/google/chrome/chrome",
					     "/usr/bin/python3.11",
					     "/home/user/.local/bin/tool" };
	struct policy_match m[4];
	volatile size_t sink = 0;
	nsec_t start, end;

	start = now_nsec(CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < evals; i++) {
		struct policy_process proc = {
			.path = paths[i % (sizeof(paths) / sizeof(paths[0]))],
			.uid = 1000,
			.gid = 1000,
		};

		sink += policy_eval(p, &proc, m, 4);
	}
	end = now_nsec(CLOCK_MONOTONIC);
	if (sink != 0)
		fprintf(stderr, "policy_bench: an allowed process matched; the bench is wrong\n");
	return (double)(end - start) / (double)evals;
}

static int load(unsigned rules, policy **ret)
{
	policy_errors *errs = policy_errors_new();
	char *json = make_policy(rules);
	int r;

	if (!errs || !json) {
		free(json);
		policy_errors_free(errs);
		return -ENOMEM;
	}
	r = policy_parse("bench.json", json, strlen(json), errs, ret);
	if (r < 0 && policy_errors_count(errs) > 0) {
		char *line = NULL;

		if (policy_error_format(policy_errors_get(errs, 0), &line) >= 0)
			fprintf(stderr, "policy_bench: %s\n", line);
		free(line);
	}
	free(json);
	policy_errors_free(errs);
	return r;
}

int main(int argc, char *argv[])
{
	unsigned long rules = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	unsigned long evals = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	policy *small = NULL, *big = NULL;
	double base, ns;

	if (argc > 3 || rules == 0 || rules > POLICY_RULES_MAX || evals == 0) {
		fprintf(stderr, "Usage: policy_bench [RULES (1-%d) [EVALS]]\n", POLICY_RULES_MAX);
		return 2;
	}
	if (load(1, &small) < 0 || load((unsigned)rules, &big) < 0) {
		fprintf(stderr, "policy_bench: could not build the policies\n");
		return 2;
	}
	/* Warm up, then alternate so both see the same machine. */
	(void)measure(big, evals / 10);
	base = (measure(small, evals / 2) + measure(small, evals / 2)) / 2;
	ns = (measure(big, evals / 2) + measure(big, evals / 2)) / 2;

	printf("%-52s %12s %10s %8s\n", "policy evaluation (allowed exec)", "value", "target",
	       "result");
	printf("%-52s %9.0f ns %10s %8s\n", "1 rule (baseline in this run)", base, "-", "info");
	printf("%-45s%7lu %9.0f ns %7.0f ns %8s\n", "rules in the generated policy: ", rules, ns,
	       TARGET_NS, ns < TARGET_NS ? "PASS" : "FAIL");
	printf("%-52s %12.2f %10s %8s\n", "ratio to the 1-rule policy", ns / base, "-", "info");
	fflush(stdout);
	policy_unref(small);
	policy_unref(big);
	return ns < TARGET_NS ? 0 : 1;
}
