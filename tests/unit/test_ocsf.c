// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every record kind the agent emits, checked against the OCSF schema itself
 * (tests/fixtures/ocsf, a subset of the schema with its licence) by the
 * validator in tests/ocsf/ocsf_validate.c, which says what it checks.  The
 * records come from the real formatters, parsed back the way the collector
 * reads them.  The validator's own rules are tested here too, each by a
 * broken record it must catch.
 */
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "postured/checks/checks.h"
#include "postured/format.h"
#include "postured/format_lifecycle.h"
#include "postured/format_loss.h"
#include "basic/json-util.h"
#include "basic/version.h"
#include "fixtures.h"
#include "tests/ocsf/ocsf_validate.h"
#include "collector/export.h"

static struct ocsf_schema *schema;

static void validate_record(struct ocsf_report *r, yajl_val rec, const char *class_rel)
{
	ocsf_validate_record(schema, rec, class_rel, r);
}

/*
 * What the collector's OCSF export makes of rec (collector/export_line.c):
 * the same record with metadata.uid, metadata.logged_time and
 * device.owner.name added, valid OCSF too.
 */
static void assert_exported_valid(yajl_val rec, const char *class_rel, const char *what)
{
	_cleanup_(yajl_gen_freep) yajl_gen in = yajl_gen_alloc(NULL), out = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val exported = NULL;
	struct export_context ctx = { .device_id = "00112233445566778899aabbccddeeff",
				      .received_ms = 1790000000123,
				      .owner = "Ada Lovelace" };
	struct record r = { .seq = 42, .boot_uid = "0123456789abcdef0123456789abcdef" };
	struct ocsf_report report = { .len = 0 };
	const unsigned char *buf;
	_cleanup_free_ char *text = NULL;
	size_t size;

	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(json_gen_tree(in, rec, 64), 0);
	assert_int_equal(yajl_gen_get_buf(in, &buf, &size), yajl_gen_status_ok);
	r.json = (const char *)buf;
	r.json_size = size;
	assert_int_equal(export_line_append(out, &r, &ctx), 0);
	assert_int_equal(yajl_gen_get_buf(out, &buf, &size), yajl_gen_status_ok);
	text = strndup((const char *)buf, size);
	exported = yajl_tree_parse(text, NULL, 0);
	assert_non_null(exported);
	validate_record(&report, exported, class_rel);
	if (report.count > 0)
		fail_msg("%s, as the collector exports it, does not pass (%u problems):\n%s", what,
			 report.count, report.text);
}

static void assert_valid(yajl_val rec, const char *class_rel, const char *what)
{
	struct ocsf_report r = { .len = 0 };

	validate_record(&r, rec, class_rel);
	if (r.count > 0)
		fail_msg("%s does not pass the OCSF schema (%u problems):\n%s", what, r.count,
			 r.text);
	/* The class its class_uid names is the one the test means. */
	r = (struct ocsf_report){ .len = 0 };
	validate_record(&r, rec, NULL);
	if (r.count > 0)
		fail_msg("%s, found by its class_uid, does not pass (%u problems):\n%s", what,
			 r.count, r.text);
	assert_exported_valid(rec, class_rel, what);
}

/* --- the records ------------------------------------------------------------------ */

/* The formatters' record, with what each kind may carry besides: arguments, a signal, a parent. */
static struct decoded_event make_event(enum event_kind kind)
{
	static const char args[] = "ls\0-la\0/tmp";
	struct decoded_event ev = fixture_event(kind);

	if (kind == EVENT_KIND_EXEC) {
		memcpy(ev.exec.args, args, sizeof(args));
		ev.exec.args_size = sizeof(args);
	} else if (kind == EVENT_KIND_EXIT) {
		ev.exit.signal = 9;
	} else if (kind == EVENT_KIND_FORK) {
		ev.fork.parent_tid = 4000;
	}
	return ev;
}

static void check_process_event(enum event_kind kind, const struct device_info *dev,
				const struct proc_entry *self, const struct proc_entry *parent)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;
	struct decoded_event ev = make_event(kind);

	assert_non_null(g);
	format_process_event(g, &ev, self, parent, dev, FIXTURE_OFFSET_NS);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/system/process_activity.json", event_kind_to_string(kind));
}

static void test_process_activity(void **state)
{
	const struct device_info bare = { .type_id = 0 };

	check_process_event(EVENT_KIND_EXEC, &fixture_device, &fixture_self, &fixture_parent);
	check_process_event(EVENT_KIND_FORK, &fixture_device, &fixture_self, &fixture_parent);
	check_process_event(EVENT_KIND_EXIT, &fixture_device, &fixture_self, &fixture_parent);
	/* Without table entries or device details: still the schema's shape. */
	check_process_event(EVENT_KIND_EXEC, &bare, NULL, NULL);
	check_process_event(EVENT_KIND_FORK, &bare, NULL, NULL);
	check_process_event(EVENT_KIND_EXIT, &bare, NULL, NULL);
}

static const char test_policy[] =
	"{\"id\": \"ocsf-test\", \"serial\": 3, \"mode\": \"enforce\", \"rules\": ["
	"{\"id\": \"deny-ncat\", \"type\": \"process\", \"title\": \"ncat\", \"severity\": \"high\","
	" \"tags\": [\"network\", \"cis-4.8\"], \"contact\": \"it-help@example.com\","
	" \"match\": {\"name\": \"ncat\"}, \"effect\": \"deny\","
	" \"message\": {\"en\": \"ncat ran.\", \"ja\": \"ncat が動きました。\"},"
	" \"remediation\": {\"en\": \"Remove it.\"}},"
	"{\"id\": \"require-vpn\", \"type\": \"process\", \"title\": \"VPN\", \"severity\": "
	"\"medium\", \"match\": {\"name\": \"openvpn\"}, \"effect\": \"require\","
	" \"grace_seconds\": 60, \"message\": {\"en\": \"No VPN.\"},"
	" \"remediation\": {\"en\": \"Connect.\"}},"
	"{\"id\": \"disk-encryption\", \"type\": \"check\", \"title\": \"Disk encryption\","
	" \"severity\": \"critical\", \"check\": \"disk_encryption\","
	" \"message\": {\"en\": \"Not encrypted.\"}, \"remediation\": {\"en\": \"Reinstall.\"}},"
	"{\"id\": \"no-public-listeners\", \"type\": \"network\", \"title\": \"Listeners\","
	" \"severity\": \"medium\", \"direction\": \"listen\", \"match\": {},"
	" \"except\": [{\"address\": \"loopback\"}], \"effect\": \"deny\","
	" \"message\": {\"en\": \"A program listens.\"}, \"remediation\": {\"en\": \"Stop it.\"}}"
	"]}";

static void check_finding(const struct finding *f, const char *what)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_finding(g, f, "00112233445566778899aabbccddeeff", &fixture_device);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/findings/compliance_finding.json", what);
}

static void test_compliance_finding(void **state)
{
	policy *p = fixture_policy_parse("inline.json", test_policy, strlen(test_policy));
	struct check_result check = { .status = CHECK_FAIL, .n_evidence = 2 };
	struct finding *f = calloc(1, sizeof(*f));
	static const enum finding_action actions[] = {
		FINDING_ACTION_KILLED, FINDING_ACTION_REPORTED, FINDING_ACTION_KILL_FAILED,
		FINDING_ACTION_GONE,   FINDING_ACTION_DENIED,
	};

	assert_non_null(f);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		*f = (struct finding){ .kind = FINDING_PROCESS_DENIED,
				       .time_real = 1700000000000000ULL,
				       .policy = p,
				       .rule = policy_rule_find(p, "deny-ncat"),
				       .mode = POLICY_MODE_ENFORCE,
				       .action = actions[i],
				       .in_kernel = true };
		fixture_finding_process(f);
		check_finding(f, finding_action_to_string(actions[i]));
	}

	*f = (struct finding){ .kind = FINDING_REQUIRE_ABSENT,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "require-vpn"),
			       .mode = POLICY_MODE_ENFORCE };
	check_finding(f, "required_absent");
	f->kind = FINDING_REQUIRE_RETURNED;
	fixture_finding_process(f);
	check_finding(f, "required_returned");

	*f = (struct finding){ .kind = FINDING_POLICY_INVALID,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .mode = POLICY_MODE_ENFORCE };
	strcpy(f->detail, "/etc/postured/policy.json:3:9: error: broken");
	check_finding(f, "policy_invalid");

	strcpy(check.reason, "/ is on /dev/sda2, which is not encrypted");
	strcpy(check.evidence[0], "/: /dev/sda2 (ext4)");
	strcpy(check.evidence[1], "swap: none");
	*f = (struct finding){ .kind = FINDING_CHECK_FAILING,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "disk-encryption"),
			       .mode = POLICY_MODE_ENFORCE,
			       .check = &check };
	check_finding(f, "check failing");
	check.status = CHECK_UNKNOWN;
	check_finding(f, "check unknown");
	check.status = CHECK_PASS;
	check.reason[0] = '\0';
	check.n_evidence = 0;
	f->kind = FINDING_CHECK_PASSING;
	check_finding(f, "check passing");

	/* Network findings: refused, reported with repeats, a listener without its process. */
	*f = (struct finding){ .kind = FINDING_NETWORK,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "no-public-listeners"),
			       .mode = POLICY_MODE_ENFORCE,
			       .action = FINDING_ACTION_DENIED,
			       .in_kernel = true,
			       .has_network = true,
			       .network = { .direction = POLICY_NET_LISTEN,
					    .protocol = IPPROTO_TCP,
					    .family = AF_INET,
					    .has_local = true,
					    .local_port = 8080,
					    .count = 1,
					    .has_owner = true,
					    .owner_uid = 1000 } };
	fixture_finding_process(f);
	check_finding(f, "network denied");
	f->action = FINDING_ACTION_REPORTED;
	f->network.direction = POLICY_NET_OUTBOUND;
	f->network.family = AF_INET6;
	f->network.has_remote = true;
	f->network.remote_addr[15] = 1;
	f->network.remote_port = 443;
	f->network.count = 5000;
	f->network.outcomes[FINDING_OUTCOME_ESTABLISHED] = 4990;
	f->network.outcomes[FINDING_OUTCOME_REFUSED] = 10;
	f->network.first_real = 1700000000000000ULL;
	f->network.last_real = 1700000010000000ULL;
	f->network.aggregated = true;
	check_finding(f, "network repeats");
	/* A scan: many ports of one address, the first few named. */
	f->network.family = AF_INET;
	memset(f->network.remote_addr, 0, sizeof(f->network.remote_addr));
	memcpy(f->network.remote_addr, (const uint8_t[]){ 192, 0, 2, 7 }, 4);
	f->network.remote_port = 1;
	f->network.scan = true;
	f->network.scan_attempts = 65535;
	f->network.scan_ports = 65535;
	f->network.scan_addrs = 1;
	f->network.n_samples = 2;
	f->network.samples[0] = (struct finding_net_sample){ .family = AF_INET,
							     .addr = { 192, 0, 2, 7 },
							     .port = 1 };
	f->network.samples[1] =
		(struct finding_net_sample){ .family = AF_INET6, .addr = { [15] = 1 }, .port = 2 };
	check_finding(f, "network scan");
	{
		_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
		_cleanup_(yajl_tree_freep) yajl_val rec = NULL;
		const char *ports[] = { "postured", "network", "scan", "ports", NULL };
		const char *addrs[] = { "postured", "network", "scan", "addresses", NULL };
		const char *attempts[] = { "postured", "network", "scan", "attempts", NULL };
		const char *samples[] = { "postured", "network", "scan", "samples", NULL };
		yajl_val v;

		assert_non_null(g);
		format_finding(g, f, "00112233445566778899aabbccddeeff", &fixture_device);
		rec = fixture_json_parse(g);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, ports, yajl_t_number)), 65535);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, addrs, yajl_t_number)), 1);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, attempts, yajl_t_number)),
				 65535);
		v = yajl_tree_get(rec, samples, yajl_t_array);
		assert_non_null(v);
		assert_int_equal(YAJL_GET_ARRAY(v)->len, 2);
		assert_string_equal(YAJL_GET_STRING(yajl_tree_get(
					    YAJL_GET_ARRAY(v)->values[1],
					    (const char *[]){ "address", NULL }, yajl_t_string)),
				    "::1");
	}
	f->network.scan = false;
	f->has_process = false;
	f->n_ancestors = 0;
	f->network.direction = POLICY_NET_INBOUND;
	f->network.count = 1;
	check_finding(f, "network inbound");

	free(f);
	policy_unref(p);
}

static void write_test_posture(void *userdata, yajl_gen g)
{
	json_open(g, "posture");
	json_bool(g, "compliant", 0);
	json_close(g);
}

/* The posture snapshot (class 5001), as format_snapshot() writes it for agent_reports.c. */
static void test_inventory_info(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_snapshot(g, &fixture_device, 1700000000000LL, write_test_posture, NULL);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/discovery/inventory_info.json", "posture snapshot");
}

/* The spool's loss record (class 5001, activity Log), as format_loss() writes it. */
static void test_loss_record(void **state)
{
	static const struct format_loss loss = {
		.time_ms = 1700000000000LL,
		.device_uid = "0123456789abcdef0123456789abcdef",
		.dropped = 12,
		.lost_total = 40,
		.first_seq = 1732611000000123ULL,
		.last_seq = 1732611000000140ULL,
	};
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_loss(g, &loss);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/discovery/inventory_info.json", "loss record");
}

/*
 * The agent's records about itself (class 6002): every start verdict, stops, a probe change,
 * and the suspend, whose activity (99 Other) is the dictionary's, not the class's.
 */
static void check_lifecycle(yajl_gen g, const char *what)
{
	_cleanup_(yajl_tree_freep) yajl_val rec = fixture_json_parse(g);

	assert_valid(rec, "events/application/application_lifecycle.json", what);
}

static void test_application_lifecycle(void **state)
{
	static const struct runstate prev = { .started = 1699999000000000ULL,
					      .alive = 1699999900000000ULL,
					      .pid = 812,
					      .boot_uid = "0123456789abcdef0123456789abcdef" };
	const struct format_agent_stop stops[] = {
		{ .time_ms = 1700000000000LL,
		  .signo = 15,
		  .has_sender = true,
		  .sender_pid = 1,
		  .shutdown = FORMAT_SHUTDOWN_YES,
		  .system_state = "stopping" },
		{ .time_ms = 1700000000000LL,
		  .signo = 15,
		  .has_sender = true,
		  .sender_pid = 4242,
		  .sender_uid = 1000,
		  .sender = &fixture_self,
		  .clock_offset = FIXTURE_OFFSET_NS,
		  .shutdown = FORMAT_SHUTDOWN_NO,
		  .system_state = "running" },
		{ .time_ms = 1700000000000LL, .signo = 2 },
	};
	const struct bpfwatch_report change = { .change = BPFWATCH_REPLACED,
						.name = "net_connect4",
						.link_id = 17,
						.prog_id = 90,
						.now_prog_id = 91,
						.link_type = "cgroup",
						.target = "cgroup 1 (cgroup_inet4_connect)" };
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

	assert_non_null(g);
	for (int p = 0; p < _RUNSTATE_PREVIOUS_MAX; p++) {
		struct format_agent_start s = { .time_ms = 1700000000000LL,
						.previous = p ? &prev : NULL };

		runstate_judge(s.previous, 1700000000000000ULL, "fedcba9876543210fedcba9876543210",
			       &s.verdict);
		s.verdict.previous = (enum runstate_previous)p;
		format_agent_start(g, &fixture_device, &s);
		check_lifecycle(g, runstate_previous_to_string((enum runstate_previous)p));
		yajl_gen_reset(g, NULL);
		yajl_gen_clear(g);
	}
	for (size_t i = 0; i < ELEMENTSOF(stops); i++) {
		format_agent_stop(g, &fixture_device, &stops[i]);
		check_lifecycle(g, "stop");
		yajl_gen_reset(g, NULL);
		yajl_gen_clear(g);
	}
	format_probe_changed(g, &fixture_device, 1700000000000LL, &change);
	check_lifecycle(g, "probe change");
	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);
	format_agent_suspend(g, &fixture_device, 1700000000000LL);
	check_lifecycle(g, "suspend");
}

/* --- the validator itself ----------------------------------------------------------- */

/* A broken record must be caught, each rule by itself. */
static void test_validator_catches(void **state)
{
	static const struct {
		const char *json;
		const char *expect;
	} cases[] = {
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100701}",
		  "required attribute \"metadata\" is missing" },
		{ "{\"class_uid\":1006,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100601}",
		  "class_uid: 1006, the class is 1007" },
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100702}",
		  "type_uid: 100702, not class_uid * 100 + activity_id" },
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":7,\"type_uid\":100707}",
		  "activity_id: 7 is not one of its enum's values" },
		{ "{\"time\":\"now\"}", "time: is string, the dictionary says timestamp_t" },
		{ "{\"device\":{\"type_id\":3,\"os\":{\"name\":\"Linux\",\"type_id\":5}}}",
		  "device.os.type_id: 5 is not one of its enum's values" },
		{ "{\"device\":{\"hostname\":\"h\"}}",
		  "device: required attribute \"type_id\" is missing" },
		{ "{\"metadata\":{\"profiles\":\"host\"}}", "metadata.profiles: is string" },
		{ "{\"process\":{\"pid\":\"1\"}}", "process.pid: is string, the dictionary says" },
		{ "{\"process\":{\"file\":{\"name\":\"x\",\"type_id\":1,\"hashes\":[{\"value\":\"ab\"}]}}}",
		  "process.file.hashes[0]: required attribute \"algorithm_id\" is missing" },
		{ "{\"disposition_id\":2}", "disposition_id: is not an attribute" },
		{ "{\"no_such\":1}", "no_such: is not an attribute" },
		{ "{\"process\":{\"lineage\":[\"/bin/sh\"]}}",
		  "process.lineage: is deprecated since 1.4.0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		_cleanup_(yajl_tree_freep)
			yajl_val rec = yajl_tree_parse(cases[i].json, err, sizeof(err));
		struct ocsf_report r = { .len = 0 };

		assert_non_null(rec);
		validate_record(&r, rec, "events/system/process_activity.json");
		if (!strstr(r.text, cases[i].expect))
			fail_msg("case %zu: expected \"%s\" among:\n%s", i, cases[i].expect,
				 r.text);
	}
}

static int setup(void **state)
{
	char err[512];

	if (ocsf_schema_load(fixture_path("ocsf", ""), &schema, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	/* The schema the formatters claim is the one the test holds. */
	assert_string_equal(ocsf_schema_version(schema), OCSF_SCHEMA_VERSION);
	return 0;
}

static int teardown(void **state)
{
	schema = ocsf_schema_free(schema);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_catches),
		cmocka_unit_test(test_process_activity),
		cmocka_unit_test(test_compliance_finding),
		cmocka_unit_test(test_inventory_info),
		cmocka_unit_test(test_loss_record),
		cmocka_unit_test(test_application_lifecycle),
	};

	return cmocka_run_group_tests_name("ocsf", tests, setup, teardown);
}
