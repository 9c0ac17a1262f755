// SPDX-License-Identifier: LGPL-2.1-or-later
#include "finding.h"

const char *finding_kind_to_string(enum finding_kind k)
{
	switch (k) {
	case FINDING_PROCESS_DENIED:
		return "process_denied";
	case FINDING_REQUIRE_ABSENT:
		return "required_absent";
	case FINDING_REQUIRE_RETURNED:
		return "required_returned";
	case FINDING_POLICY_INVALID:
		return "policy_invalid";
	case FINDING_CHECK_FAILING:
		return "check_failing";
	case FINDING_CHECK_PASSING:
		return "check_passing";
	}
	return "unknown";
}

const char *finding_action_to_string(enum finding_action a)
{
	switch (a) {
	case FINDING_ACTION_NONE:
		return "none";
	case FINDING_ACTION_REPORTED:
		return "reported";
	case FINDING_ACTION_KILLED:
		return "killed";
	case FINDING_ACTION_KILL_FAILED:
		return "kill_failed";
	case FINDING_ACTION_GONE:
		return "exited_before_kill";
	case FINDING_ACTION_DENIED:
		return "denied";
	}
	return "unknown";
}
