// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "validate.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);

/*
 * ==== LEAD: POLICY LIBRARY CALL SITE ====
 * The one place the collector validates a policy: `posture-collector
 * sign-policy` calls this before it signs.  Until it is wired, it only checks
 * that the bytes are one JSON object.  To wire it: call policy_parse("policy",
 * data, size, errors, &p) from policy/policy.h here, format the first errors
 * with policy_error_format() into reason, drop the policy with
 * policy_unref(), and add $(POLICY_LIB) to the posture-collector
 * prerequisites in collector/collector.mk (-Ipolicy or "policy/policy.h").
 */
int validate_policy(const char *data, size_t size, char *reason, size_t reason_size)
{
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = NULL;
	char error[256] = "";

	if (memchr(data, '\0', size)) {
		snprintf(reason, reason_size, "the policy contains a NUL byte");
		return -EBADMSG;
	}
	text = strndup(data, size);
	if (!text)
		return -ENOMEM;
	root = yajl_tree_parse(text, error, sizeof(error));
	if (!root) {
		snprintf(reason, reason_size, "the policy is not valid JSON: %s", error);
		return -EBADMSG;
	}
	if (!YAJL_IS_OBJECT(root)) {
		snprintf(reason, reason_size, "the policy is not a JSON object");
		return -EBADMSG;
	}
	return 0;
}
