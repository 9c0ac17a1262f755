// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "policy.h"
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
