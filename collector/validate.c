// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "policy.h"
#include "facts.h"
#include "validate.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(policy_errors *, policy_errors_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(policy *, policy_unref);

/*
 * The one place the collector validates a policy, with the same library the
 * agents use: `posture-collector sign-policy` refuses to sign a policy the
 * agents would refuse.  reason gets the first errors, one a line.
 */
int validate_policy(const char *data, size_t size, char *reason, size_t reason_size)
{
	_cleanup_(policy_errors_freep) policy_errors *errs = policy_errors_new();
	_cleanup_(policy_unrefp) policy *p = NULL;
	size_t off = 0, n;
	int r;

	if (!errs)
		return -ENOMEM;
	r = policy_parse("policy", data, size, errs, &p);
	if (r >= 0)
		return 0;
	if (r == -ENOMEM)
		return r;
	reason[0] = '\0';
	n = policy_errors_count(errs);
	for (size_t i = 0; i < n && i < 10; i++) {
		_cleanup_free_ char *line = NULL;
		int k;

		if (policy_error_format(policy_errors_get(errs, i), &line) < 0)
			return -ENOMEM;
		k = snprintf(reason + off, reason_size - off, "%s%s", i ? "\n" : "", line);
		if (k < 0 || (size_t)k >= reason_size - off)
			break;
		off += (size_t)k;
	}
	if (n == 0)
		strbuf_printf(reason, reason_size, "the policy is not valid (%s)", strerror(-r));
	return -EBADMSG;
}

int validate_policy_rules(const char *data, size_t size, struct facts_rule **ret, size_t *ret_n)
{
	_cleanup_(policy_errors_freep) policy_errors *errs = policy_errors_new();
	_cleanup_(policy_unrefp) policy *p = NULL;
	struct facts_rule *rules;
	size_t n;
	int r;

	if (!errs)
		return -ENOMEM;
	r = policy_parse("policy", data, size, errs, &p);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	n = policy_rule_count(p);
	rules = calloc(n ? n : 1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const policy_rule *pr = policy_rule_at(p, i);
		struct facts_rule *fr = &rules[i];

		strbufcpy(fr->id, sizeof(fr->id), policy_rule_id(pr));
		strbufcpy(fr->title, sizeof(fr->title), policy_rule_title(pr));
		strbufcpy(fr->severity, sizeof(fr->severity),
			  policy_severity_to_string(policy_rule_severity(pr)));
		strbufcpy(fr->type, sizeof(fr->type),
			  policy_rule_type_to_string(policy_rule_type(pr)));
		strbufcpy(fr->message, sizeof(fr->message),
			  policy_rule_text(pr, POLICY_TEXT_MESSAGE, NULL));
		strbufcpy(fr->remediation, sizeof(fr->remediation),
			  policy_rule_text(pr, POLICY_TEXT_REMEDIATION, NULL));
	}
	*ret = rules;
	*ret_n = n;
	return 0;
}
