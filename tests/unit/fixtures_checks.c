// SPDX-License-Identifier: LGPL-2.1-or-later
/* What a check found, searched and shown (fixtures.h).  Links the checks. */
#include <stdio.h>
#include <string.h>

#include "fixtures.h"

bool fixture_check_has_evidence(const struct check_result *res, const char *needle)
{
	for (size_t i = 0; i < res->n_evidence; i++)
		if (strstr(res->evidence[i], needle))
			return true;
	return false;
}

void fixture_check_dump(const char *what, const struct check_result *res)
{
	fprintf(stderr, "%s: %s (%s)\n", what, check_status_to_string(res->status), res->reason);
	for (size_t i = 0; i < res->n_evidence; i++)
		fprintf(stderr, "  - %s\n", res->evidence[i]);
}
