// SPDX-License-Identifier: LGPL-2.1-or-later
/* The check judge (engine_checks.c): which checks run, and their results as findings and states. */
#include "test_engine.h"
#include "postured/checks/checks.h"
#include "postured/checks/runner.h"

/* --- check results ------------------------------------------------------------------ */

static const char check_policy[] =
	"{\"id\": \"checks\", \"serial\": 1, \"rules\": ["
	"{\"id\": \"usb\", \"type\": \"check\", \"title\": \"t\", \"severity\": \"low\","
	" \"check\": \"usb_storage\", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}},"
	"{\"id\": \"off\", \"type\": \"check\", \"title\": \"t\", \"severity\": \"low\","
	" \"enabled\": false, \"check\": \"usb_storage\","
	" \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}},"
	"{\"id\": \"ssh\", \"type\": \"check\", \"title\": \"t\", \"severity\": \"high\","
	" \"check\": \"ssh_server\", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}"
	"]}";

static struct check_result result_of(enum check_status status, const char *evidence)
{
	struct check_result res;

	check_result_init(&res);
	if (status != CHECK_PASS)
		check_set(&res, status, "because %s", evidence);
	check_evidence(&res, "%s", evidence);
	return res;
}

/* Hands the engine one result for check rule id, as the runner would. */
static void check_result_for(struct ctx *c, const policy *p, const char *id,
			     enum check_status status, const char *evidence)
{
	const policy_rule *r = policy_rule_find(p, id);
	struct check_job job = { .check = policy_rule_check_name(r), .rule = r };
	struct check_result res = result_of(status, evidence);

	engine_apply_check_results(c->e, p, &job, &res, 1);
}

static void test_check_jobs_enabled_only(void **state)
{
	struct ctx *c = start_counting(state, parse_text(check_policy));
	struct check_job jobs[4];

	assert_int_equal(engine_check_jobs(c->e, jobs, 4), 2);
	assert_string_equal(jobs[0].check, "usb_storage");
	assert_ptr_equal(jobs[0].rule, policy_rule_find(c->p, "usb"));
	assert_string_equal(jobs[1].check, "ssh_server");
	assert_ptr_equal(jobs[1].rule, policy_rule_find(c->p, "ssh"));
	assert_int_equal(engine_check_jobs(c->e, jobs, 1), 1);
}

static void test_check_results_change(void **state)
{
	struct ctx *c = start_counting(state, parse_text(check_policy));
	const policy_rule *usb = policy_rule_find(c->p, "usb");
	const struct check_result *cr;
	struct check_job jobs[2];
	struct check_result res[2] = { result_of(CHECK_PASS, "no usb"),
				       result_of(CHECK_FAIL, "root login") };
	usec_t since = 0;
	char line[1024];

	assert_null(engine_check_result(c->e, usb));
	assert_false(engine_rule_failing(c->e, usb, &since));
	assert_int_equal(since, engine_policy_loaded(c->e));

	/* The first run tells only what does not pass. */
	fake.state_changes = 0;
	assert_int_equal(engine_check_jobs(c->e, jobs, 2), 2);
	engine_apply_check_results(c->e, c->p, jobs, res, 2);
	assert_int_equal(fake.state_changes, 1);
	assert_int_equal(fake.n_findings, 1);
	assert_int_equal(fake.findings[0].kind, FINDING_CHECK_FAILING);
	assert_string_equal(policy_rule_id(fake.findings[0].rule), "ssh");
	assert_string_equal(fake.findings[0].check->reason, "because root login");
	assert_string_equal(finding_log_line(&fake.findings[0], line, sizeof(line)),
			    "Rule ssh: check_failing: because root login");
	cr = engine_check_result(c->e, usb);
	assert_non_null(cr);
	assert_int_equal(cr->status, CHECK_PASS);
	assert_false(engine_rule_failing(c->e, usb, &since));
	assert_true(since > 0);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "ssh"), NULL));

	/* The same status again: no finding, no change, but the evidence moves on. */
	check_result_for(c, c->p, "ssh", CHECK_FAIL, "root login and passwords");
	assert_int_equal(fake.n_findings, 1);
	assert_int_equal(fake.state_changes, 1);
	cr = engine_check_result(c->e, policy_rule_find(c->p, "ssh"));
	assert_string_equal(cr->evidence[0], "root login and passwords");

	/* Failing to cannot tell is a change; back to passing is told too. */
	check_result_for(c, c->p, "ssh", CHECK_UNKNOWN, "unreadable");
	assert_int_equal(fake.n_findings, 2);
	assert_int_equal(fake.findings[1].kind, FINDING_CHECK_FAILING);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "ssh"), NULL));
	/* The log says what posturectl status says of the rule: unknown, not failing. */
	cr = engine_check_result(c->e, policy_rule_find(c->p, "ssh"));
	assert_int_equal(cr->status, CHECK_UNKNOWN);
	assert_string_equal(finding_state_to_string(&fake.findings[1]), "check_unknown");
	assert_string_equal(finding_log_line(&fake.findings[1], line, sizeof(line)),
			    "Rule ssh: check_unknown: because unreadable");
	check_result_for(c, c->p, "ssh", CHECK_PASS, "fine");
	assert_int_equal(fake.n_findings, 3);
	assert_int_equal(fake.findings[2].kind, FINDING_CHECK_PASSING);
	assert_false(engine_rule_failing(c->e, policy_rule_find(c->p, "ssh"), NULL));
	assert_int_equal(fake.state_changes, 3);
	/* A disabled check is never run: it has no result. */
	assert_null(engine_check_result(c->e, policy_rule_find(c->p, "off")));
}

static void test_check_results_of_other_policy_dropped(void **state)
{
	struct ctx *c = start_counting(state, parse_text(check_policy));
	policy *old = parse_text(check_policy);

	check_result_for(c, old, "ssh", CHECK_FAIL, "root login");
	assert_int_equal(fake.n_findings, 0);
	assert_null(engine_check_result(c->e, policy_rule_find(c->p, "ssh")));
	assert_false(engine_rule_failing(c->e, policy_rule_find(c->p, "ssh"), NULL));
	policy_unref(old);
}

/* A reload keeps each result under its rule id: nothing is told again. */
static void test_check_results_carried_by_reload(void **state)
{
	struct ctx *c = start_counting(state, parse_text(check_policy));
	policy *again = parse_text(check_policy);
	const struct check_result *cr;
	usec_t since, since_again;

	check_result_for(c, c->p, "ssh", CHECK_FAIL, "root login");
	assert_int_equal(fake.n_findings, 1);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "ssh"), &since));

	assert_int_equal(engine_set_policy(c->e, again, T0 + 1), 0);
	cr = engine_check_result(c->e, policy_rule_find(again, "ssh"));
	assert_non_null(cr);
	assert_int_equal(cr->status, CHECK_FAIL);
	assert_true(engine_rule_failing(c->e, policy_rule_find(again, "ssh"), &since_again));
	assert_int_equal(since_again, since);
	assert_null(engine_check_result(c->e, policy_rule_find(again, "usb")));

	check_result_for(c, again, "ssh", CHECK_FAIL, "root login");
	assert_int_equal(fake.n_findings, 1);
	policy_unref(again);
}

int test_engine_checks(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_jobs_enabled_only),
		T(test_check_results_change),
		T(test_check_results_of_other_policy_dropped),
		T(test_check_results_carried_by_reload),
	};

	return cmocka_run_group_tests_name("engine_checks", tests, NULL, NULL);
}
