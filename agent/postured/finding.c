// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "basic/string-util.h"
#include "checks/checks.h"
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
	case FINDING_NETWORK:
		return "network";
	}
	return "unknown";
}

const char *finding_state_to_string(const struct finding *f)
{
	if (f->kind == FINDING_CHECK_FAILING && f->check && f->check->status == CHECK_UNKNOWN)
		return "check_unknown";
	return finding_kind_to_string(f->kind);
}

char *finding_log_line(const struct finding *f, char *buf, size_t size)
{
	const char *state = finding_state_to_string(f);

	if (!f->rule)
		return strbufcpy(buf, size, "");
	if (f->has_process)
		return strbuf_printf(buf, size, "Rule %s: %s (pid %u, %s%s%s): %s",
				     policy_rule_id(f->rule), state, f->process.pid,
				     f->process.path, f->process.script[0] ? " running " : "",
				     f->process.script, finding_action_to_string(f->action));
	if (f->check && f->check->reason[0])
		return strbuf_printf(buf, size, "Rule %s: %s: %s", policy_rule_id(f->rule), state,
				     f->check->reason);
	return strbuf_printf(buf, size, "Rule %s: %s", policy_rule_id(f->rule), state);
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

const char *finding_outcome_to_string(enum finding_outcome o)
{
	switch (o) {
	case FINDING_OUTCOME_NONE:
		return "none";
	case FINDING_OUTCOME_ESTABLISHED:
		return "established";
	case FINDING_OUTCOME_REFUSED:
		return "refused";
	case FINDING_OUTCOME_TIMED_OUT:
		return "timed_out";
	case FINDING_OUTCOME_FAILED:
		return "failed";
	case FINDING_OUTCOME_UNKNOWN:
		return "unknown";
	case _FINDING_OUTCOME_MAX:
		break;
	}
	return "unknown";
}

void finding_process_set_name(struct finding_process *p, const char *path, const char *comm)
{
	const char *base = path && path[0] == '/' ? strrchr(path, '/') + 1 : NULL;

	if (base && *base) {
		strbufcpy(p->name, sizeof(p->name), base);
	} else {
		size_t n = strnlen(comm, EVENT_COMM_LEN);

		memcpy(p->name, comm, n);
		p->name[n] = '\0';
	}
}
