/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_COLLECTOR_VALIDATE_H
#define POSTURED_COLLECTOR_VALIDATE_H

#include <stddef.h>

/*
 * Whether data[size] is a policy the company may sign.  Returns 0, or
 * -EBADMSG with a reason for the user in reason[reason_size], or -ENOMEM.
 */
int validate_policy(const char *data, size_t size, char *reason, size_t reason_size);

struct facts_rule;

/*
 * The rules of policy data[size] (valid: what sign-policy signed) with their
 * title, severity, type and English texts, into a new array *ret of *ret_n
 * (to free()).  Returns 0, -EBADMSG when it does not parse, -ENOMEM.
 */
int validate_policy_rules(const char *data, size_t size, struct facts_rule **ret, size_t *ret_n);

#endif
