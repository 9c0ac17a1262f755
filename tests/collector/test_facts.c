// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet facts of a record (collector/facts.c): what a snapshot, a loss
 * record and the agent's lifecycle records make the store keep, and that a
 * hostile record can make it keep nothing unbounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector/facts.h"

static const char snapshot[] =
	"{\"time\":1700000000000,\"class_uid\":5001,\"metadata\":{\"version\":\"1.9.0\","
	"\"log_name\":\"posture\"},\"postured\":{\"seq\":9,\"boot_uid\":\"b\",\"posture\":{"
	"\"compliant\":false,\"device\":{\"hostname\":\"laptop-7\",\"os\":\"Debian GNU/Linux 12\"},"
	"\"agent\":{\"version\":\"0.1.0\",\"healthy\":false,\"records_lost\":4},"
	"\"policy\":{\"id\":\"telework-baseline\",\"serial\":3},"
	"\"rules\":["
	"{\"id\":\"disk\",\"title\":\"Disk encryption\",\"severity\":\"high\",\"type\":\"check\","
	"\"enabled\":true,\"state\":\"failing\",\"since\":1699999999000,\"reason\":\"not encrypted\","
	"\"message\":{\"en\":\"Encrypt it\",\"ja\":\"x\"},\"remediation\":{\"en\":\"Use LUKS\"}},"
	"{\"id\":\"lock\",\"state\":\"unknown\",\"enabled\":true},"
	"{\"id\":\"pending\",\"state\":\"pending\"},"
	"{\"id\":\"off\",\"state\":\"failing\",\"enabled\":false},"
	"{\"id\":\"vnc\",\"state\":\"passing\",\"message\":\"plain text\"},"
	"{\"id\":\"weird\",\"state\":\"exploded\"},"
	"{\"state\":\"failing\"}"
	"],\"collector\":{\"identity\":{\"key_storage\":\"tpm\"}}},"
	"\"completeness\":{\"interval_seconds\":1000,\"watched_seconds\":900,"
	"\"asleep_seconds\":60,\"stopped_seconds\":40},\"snapshot_interval_seconds\":600}}";

static void test_snapshot(void **state)
{
	struct facts f;
	const struct facts_snapshot *s = &f.snapshot;

	assert_int_equal(facts_parse(snapshot, strlen(snapshot), 5001, &f), 1);
	assert_int_equal(f.kind, FACTS_SNAPSHOT);
	assert_int_equal(f.time, 1700000000000LL);
	assert_string_equal(s->hostname, "laptop-7");
	assert_string_equal(s->os, "Debian GNU/Linux 12");
	assert_string_equal(s->agent_version, "0.1.0");
	assert_false(s->agent_healthy);
	assert_int_equal(s->records_lost, 4);
	assert_string_equal(s->policy_id, "telework-baseline");
	assert_int_equal(s->policy_serial, 3);
	assert_int_equal(s->interval_seconds, 600);
	assert_string_equal(s->key_storage, "tpm");
	assert_true(s->has_completeness);
	assert_int_equal(s->since_previous_seconds, 1000);
	assert_int_equal(s->watched_seconds, 900);
	assert_int_equal(s->asleep_seconds, 60);
	assert_int_equal(s->stopped_seconds, 40);
	/* disabled, unknown states and rules without an id are not the device's state */
	assert_int_equal(s->n_rules, 4);
	assert_string_equal(s->rules[0].id, "disk");
	assert_int_equal(s->rules[0].state, FACTS_FAIL);
	assert_int_equal(s->rules[0].since, 1699999999000LL);
	assert_string_equal(s->rules[0].reason, "not encrypted");
	assert_string_equal(s->rules[0].message, "Encrypt it");
	assert_string_equal(s->rules[0].remediation, "Use LUKS");
	assert_string_equal(s->rules[0].severity, "high");
	assert_int_equal(s->rules[1].state, FACTS_UNKNOWN);
	assert_string_equal(s->rules[2].id, "pending");
	assert_int_equal(s->rules[2].state, FACTS_UNKNOWN);
	assert_string_equal(s->rules[3].id, "vnc");
	assert_int_equal(s->rules[3].state, FACTS_PASS);
	assert_string_equal(s->rules[3].message, "plain text");
	facts_done(&f);
	assert_int_equal(f.kind, FACTS_NONE);
}

static void test_lifecycle_and_loss(void **state)
{
	static const struct {
		const char *json;
		int64_t class_uid;
		enum facts_kind kind;
	} cases[] = {
		{ "{\"time\":1,\"postured\":{\"event\":\"agent_started\"}}", 6002, FACTS_STARTED },
		{ "{\"time\":1,\"postured\":{\"event\":\"agent_stopped\"}}", 6002, FACTS_STOPPED },
		{ "{\"time\":1,\"postured\":{\"event\":\"agent_suspended\"}}", 6002,
		  FACTS_SUSPENDED },
		{ "{\"time\":1,\"postured\":{\"event\":\"probe_changed\"}}", 6002, FACTS_NONE },
		{ "{\"time\":1,\"postured\":{\"event\":\"agent_stopped\"}}", 1007, FACTS_NONE },
		{ "{\"time\":1,\"metadata\":{\"log_name\":\"posture\"},\"postured\":{}}", 5001,
		  FACTS_NONE },
		{ "not json", 5001, FACTS_NONE },
		{ "[1,2]", 6002, FACTS_NONE },
	};
	static const char loss[] = "{\"time\":5,\"postured\":{\"event\":\"records_lost\","
				   "\"count\":12,\"lost_total\":40}}";
	struct facts f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = facts_parse(cases[i].json, strlen(cases[i].json), cases[i].class_uid, &f);

		assert_int_equal(r, cases[i].kind != FACTS_NONE);
		assert_int_equal(f.kind, cases[i].kind);
		facts_done(&f);
	}
	assert_int_equal(facts_parse(loss, strlen(loss), 5001, &f), 1);
	assert_int_equal(f.kind, FACTS_LOSS);
	assert_int_equal(f.loss.count, 12);
	assert_int_equal(f.loss.total, 40);
	facts_done(&f);
}

/* A compromised agent's snapshot: long strings are cut, at a character; rules are capped. */
static void test_bounds(void **state)
{
	size_t n_rules = FACTS_RULES_MAX + 10, size = 64 * 1024 + n_rules * 64;
	char *json = malloc(size), *p = json;
	struct facts f;

	assert_non_null(json);
	p += sprintf(p, "{\"time\":1,\"metadata\":{\"log_name\":\"posture\"},\"postured\":{"
			"\"posture\":{\"device\":{\"hostname\":\"");
	/* 300 "é" (2 bytes each): 600 bytes into a buffer of FACTS_NAME_MAX */
	for (int i = 0; i < 300; i++)
		p += sprintf(p, "\xc3\xa9");
	p += sprintf(p, "\"},\"rules\":[");
	for (size_t i = 0; i < n_rules; i++)
		p += sprintf(p, "%s{\"id\":\"r%zu\",\"state\":\"passing\"}", i ? "," : "", i);
	p += sprintf(p, "]}}}");
	assert_int_equal(facts_parse(json, (size_t)(p - json), 5001, &f), 1);
	assert_true(strlen(f.snapshot.hostname) < FACTS_NAME_MAX);
	assert_int_equal(strlen(f.snapshot.hostname) % 2, 0); /* no half character */
	assert_int_equal(f.snapshot.n_rules, FACTS_RULES_MAX);
	assert_true(f.snapshot.rules_cut);
	facts_done(&f);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_lifecycle_and_loss),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests_name("facts", tests, NULL, NULL);
}
