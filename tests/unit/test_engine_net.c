// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network judge (engine_net.c): the kernel's network records as
 * findings, records of an older policy judged again, the network rules put
 * in force with the process filter, and listeners.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "test_engine.h"

/* --- network ------------------------------------------------------------------- */

static const char net_policy[] =
	"{\"id\": \"net\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": ["
	"{\"id\": \"deny-77\", \"type\": \"network\", \"title\": \"t\", \"severity\": \"high\","
	" \"direction\": \"outbound\", \"protocol\": \"tcp\","
	" \"match\": {\"address\": \"127.0.0.77\", \"port\": 9}, \"effect\": \"deny\","
	" \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}},"
	"{\"id\": \"listeners\", \"type\": \"network\", \"title\": \"t\", \"severity\": \"medium\","
	" \"direction\": \"listen\", \"match\": {}, \"except\": [{\"address\": \"loopback\"}],"
	" \"effect\": \"report\", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}"
	"]}";

/* python3 listening on every IPv4 address, port 8080: what "listeners" forbids. */
static const struct engine_listener python_8080 = {
	.protocol = POLICY_NET_TCP,
	.family = AF_INET,
	.port = 8080,
	.uid = USER_UID,
	.pid = 31,
	.exe = "/usr/bin/python3",
};

static struct ctx *start_net(void **state)
{
	struct ctx *c = *state;

	engine_free(c->e);
	c->e = engine_new(&fake_ops_net, NULL, c->procs, c->hashes, false);
	assert_non_null(c->e);
	policy_unref(c->p);
	c->p = parse_text(net_policy);
	assert_int_equal(engine_set_policy(c->e, c->p, T0), 0);
	assert_ptr_equal(fake.net_applied, c->p);
	return c;
}

static struct engine_network outbound_77(void)
{
	struct engine_network n = {
		.rule_index = 0,
		.rule_current = true,
		.denied = true,
		.pid = 4242,
		.uid = USER_UID,
		.gid = USER_UID,
		.exe_ino = 99,
		.comm = "curl",
		.net = { .direction = POLICY_NET_OUTBOUND,
			 .protocol = IPPROTO_TCP,
			 .family = AF_INET,
			 .has_remote = true,
			 .remote_addr = { 127, 0, 0, 77 },
			 .remote_port = 9,
			 .count = 1,
			 .last_real = 1700000000000000ULL },
	};

	return n;
}

static void test_net_kernel_denial(void **state)
{
	struct ctx *c = start_net(state);
	struct engine_network n = outbound_77();
	const struct finding *f;

	fake.exe_path = "/usr/bin/curl";
	engine_on_network(c->e, &n);
	assert_int_equal(fake.n_findings, 1);
	f = &fake.findings[0];
	assert_int_equal(f->kind, FINDING_NETWORK);
	assert_string_equal(policy_rule_id(f->rule), "deny-77");
	assert_int_equal(f->action, FINDING_ACTION_DENIED);
	assert_true(f->in_kernel);
	assert_true(f->has_process);
	assert_int_equal(f->process.pid, 4242);
	assert_string_equal(f->process.path, "/usr/bin/curl");
	assert_string_equal(f->process.name, "curl");
	assert_true(f->has_network);
	assert_int_equal(f->network.remote_port, 9);
	assert_int_equal(f->network.remote_addr[3], 77);
	assert_true(f->network.has_owner);
	assert_int_equal(f->network.owner_uid, USER_UID);
	assert_int_equal(f->time_real, 1700000000000000ULL);
}

/* A record judged by an older policy is judged again by the one in force. */
static void test_net_stale_rejudged(void **state)
{
	struct ctx *c = start_net(state);
	struct engine_network n = outbound_77();
	struct engine_stats st;

	n.rule_current = false;
	n.rule_index = 1; /* in the old policy: something else */
	engine_on_network(c->e, &n);
	assert_int_equal(fake.n_findings, 1);
	assert_string_equal(policy_rule_id(fake.findings[0].rule), "deny-77");

	/* No rule in force matches port 10: nothing to report. */
	n.net.remote_port = 10;
	engine_on_network(c->e, &n);
	assert_int_equal(fake.n_findings, 1);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.net_stale, 1);
	assert_int_equal(st.net_findings, 1);
}

/* The kernel refusing the network rules leaves everything as it was. */
static void test_net_apply_failure_keeps_old(void **state)
{
	struct ctx *c = start_net(state);
	policy *q = parse_text(net_policy);
	unsigned commits = fake.commits, begins = fake.begins;

	fake.net_apply_result = -E2BIG;
	assert_int_equal(engine_set_policy(c->e, q, T0), -E2BIG);
	assert_int_equal(fake.net_applies, 2); /* asked, and refused */
	assert_ptr_equal(engine_policy(c->e), c->p);
	assert_ptr_equal(fake.net_applied, c->p);
	/* Refused before the process filter was touched. */
	assert_int_equal(fake.begins, begins);
	assert_int_equal(fake.commits, commits);
	policy_unref(q);
}

/* The process filter failing after the network rules went in puts the old ones back. */
static void test_net_restored_when_filter_fails(void **state)
{
	struct ctx *c = start_net(state);
	policy *q = one_rule("kill-nc", "\"name\": \"nc\"");

	fake.fail_add_at = 1;
	assert_int_equal(engine_set_policy(c->e, q, T0), -E2BIG);
	assert_ptr_equal(engine_policy(c->e), c->p);
	/* The new rules went in first, then the old ones were put back. */
	assert_int_equal(fake.net_applies, 3);
	assert_ptr_equal(fake.net_applied_seq[0], c->p);
	assert_ptr_equal(fake.net_applied_seq[1], q);
	assert_ptr_equal(fake.net_applied_seq[2], c->p);
	policy_unref(q);
}

static void test_net_listeners(void **state)
{
	struct ctx *c = start_net(state);
	const policy_rule *rule;
	struct engine_listener l[3] = {
		python_8080,
		{ .protocol = POLICY_NET_TCP,
		  .family = AF_INET,
		  .addr = { 127, 0, 0, 1 },
		  .port = 8081,
		  .uid = USER_UID,
		  .pid = 32,
		  .exe = "/usr/bin/python3" },
		{ .protocol = POLICY_NET_UDP,
		  .family = AF_INET6,
		  .addr = { [15] = 1 },
		  .port = 5353,
		  .uid = USER_UID,
		  .pid = 33 },
	};
	usec_t since;

	rule = policy_rule_find(c->p, "listeners");
	assert_false(engine_rule_failing(c->e, rule, NULL));

	/* 0.0.0.0:8080 violates; the two on loopback do not. */
	engine_judge_listeners(c->e, l, 3);
	assert_int_equal(fake.n_findings, 1);
	assert_ptr_equal(fake.findings[0].rule, rule);
	assert_int_equal(fake.findings[0].action, FINDING_ACTION_REPORTED);
	assert_true(fake.findings[0].network.preexisting);
	assert_int_equal(fake.findings[0].network.local_port, 8080);
	assert_int_equal(fake.findings[0].process.pid, 31);
	assert_string_equal(fake.findings[0].process.path, "/usr/bin/python3");
	assert_true(engine_rule_failing(c->e, rule, &since));
	assert_true(since > 0);

	/* Still open next time: no second finding. */
	engine_judge_listeners(c->e, l, 3);
	assert_int_equal(fake.n_findings, 1);
	assert_true(engine_rule_failing(c->e, rule, NULL));

	/* Closed: the rule passes again. */
	fake.state_changes = 0;
	engine_judge_listeners(c->e, l + 1, 2);
	assert_int_equal(fake.n_findings, 1);
	assert_false(engine_rule_failing(c->e, rule, NULL));
	assert_int_equal(fake.state_changes, 1);

	/* Opened again: found again. */
	engine_judge_listeners(c->e, l, 3);
	assert_int_equal(fake.n_findings, 2);
}

/*
 * A reported bind is a finding; whether its listen rule fails is for the
 * enumeration that follows, which does not report it again.
 */
static void test_net_reported_bind_is_a_listener(void **state)
{
	struct ctx *c = start_net(state);
	const policy_rule *rule = policy_rule_find(c->p, "listeners");
	struct engine_network n = {
		.rule_index = 1,
		.rule_current = true,
		.pid = 31,
		.uid = USER_UID,
		.comm = "python3",
		.exe = "/usr/bin/python3",
		.net = { .direction = POLICY_NET_LISTEN,
			 .protocol = IPPROTO_TCP,
			 .family = AF_INET,
			 .has_local = true,
			 .local_port = 8080,
			 .count = 1 },
	};

	engine_on_network(c->e, &n);
	assert_int_equal(fake.n_findings, 1);
	assert_int_equal(fake.findings[0].action, FINDING_ACTION_REPORTED);
	assert_false(engine_rule_failing(c->e, rule, NULL));
	engine_judge_listeners(c->e, &python_8080, 1);
	assert_int_equal(fake.n_findings, 1);
	assert_true(engine_rule_failing(c->e, rule, NULL));
	/* The bind failed, or the socket closed: nothing open, nothing failing. */
	engine_judge_listeners(c->e, NULL, 0);
	assert_false(engine_rule_failing(c->e, rule, NULL));
}

/* A reload judges the listeners afresh: what stays open is reported again. */
static void test_net_listeners_afresh_after_reload(void **state)
{
	struct ctx *c = start_net(state);
	policy *again = parse_text(net_policy);

	engine_judge_listeners(c->e, &python_8080, 1);
	assert_int_equal(fake.n_findings, 1);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "listeners"), NULL));

	assert_int_equal(engine_set_policy(c->e, again, T0 + 1), 0);
	assert_false(engine_rule_failing(c->e, policy_rule_find(again, "listeners"), NULL));
	engine_judge_listeners(c->e, &python_8080, 1);
	assert_int_equal(fake.n_findings, 2);
	assert_ptr_equal(fake.findings[1].policy, again);
	assert_true(engine_rule_failing(c->e, policy_rule_find(again, "listeners"), NULL));
	policy_unref(again);
}

int test_engine_net(void)
{
	const struct CMUnitTest tests[] = {
		T(test_net_kernel_denial),
		T(test_net_stale_rejudged),
		T(test_net_apply_failure_keeps_old),
		T(test_net_restored_when_filter_fails),
		T(test_net_listeners),
		T(test_net_reported_bind_is_a_listener),
		T(test_net_listeners_afresh_after_reload),
	};

	return cmocka_run_group_tests_name("engine_net", tests, NULL, NULL);
}
