// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process judge (engine_process.c): what the kernel filter is given,
 * execs judged and stopped, parents and hashes decided in userspace,
 * required programs followed, and the rules failing meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_engine.h"

/* --- compiling ------------------------------------------------------------------- */

static void test_compile_exact_name_kills(void **state)
{
	start(state);
	assert_int_equal(fake.begins, 1);
	assert_int_equal(fake.commits, 1);
	assert_entry(find_entry(ENTRY_NAME, "ncat"), RULE_KILL_NCAT, EVENT_ACTION_KILL);
	assert_int_equal(entries_of_rule(RULE_KILL_NCAT), 1);
}

static void test_compile_exact_path_kills(void **state)
{
	start(state);
	/* The path as written, and the executable's inode for links and relative paths. */
	assert_entry(find_entry(ENTRY_PATH, "/bin/true"), RULE_KILL_PATH_TRUE, EVENT_ACTION_KILL);
	assert_entry(find_inode("/bin/true"), RULE_KILL_PATH_TRUE, EVENT_ACTION_KILL);
	assert_int_equal(entries_of_rule(RULE_KILL_PATH_TRUE), 2);
}

static void test_compile_monitor_reports(void **state)
{
	start(state);
	assert_entry(find_entry(ENTRY_NAME, "socat"), RULE_REPORT_SOCAT, EVENT_ACTION_REPORT);
	assert_int_equal(entries_of_rule(RULE_REPORT_SOCAT), 1);
}

static void test_compile_long_name_never_kills(void **state)
{
	start(state);
	/* The kernel keys 63 bytes of a name: a kill there would hit every name so cut. */
	assert_entry(find_entry(ENTRY_NAME, NAME_TOO_LONG), RULE_LONG_NAME, EVENT_ACTION_REPORT);
	assert_int_equal(entries_of_rule(RULE_LONG_NAME), 1);
}

static void test_compile_names_up_to_63_kill(void **state)
{
	start(state);
	/* Longer than a comm (15 bytes), but the kernel sees the file name whole. */
	assert_int_equal(strlen(NAME_63), POLICY_KERNEL_NAME_MAX);
	assert_entry(find_entry(ENTRY_NAME, NAME_63), RULE_KILL_LONG_NAMES, EVENT_ACTION_KILL);
	assert_entry(find_entry(ENTRY_NAME, "averyveryverylongname"), RULE_KILL_LONG_NAMES,
		     EVENT_ACTION_KILL);
	assert_int_equal(entries_of_rule(RULE_KILL_LONG_NAMES), 2);
}

static void test_compile_path_and_user_reports(void **state)
{
	start(state);
	assert_entry(find_entry(ENTRY_PATH, "/bin/false"), RULE_FALSE_AS_ROOT, EVENT_ACTION_REPORT);
	assert_entry(find_inode("/bin/false"), RULE_FALSE_AS_ROOT, EVENT_ACTION_REPORT);
	/* A name and a user likewise. */
	assert_entry(find_entry(ENTRY_NAME, "nc"), RULE_NC_AS_ROOT, EVENT_ACTION_REPORT);
}

static void test_compile_disabled_is_nothing(void **state)
{
	start(state);
	assert_null(find_entry(ENTRY_NAME, "telnetd"));
	assert_int_equal(entries_of_rule(RULE_DISABLED), 0);
}

static void test_compile_require_reports(void **state)
{
	struct engine_stats st;

	start(state);
	/* A required program's execs must reach userspace, never be killed. */
	assert_entry(find_entry(ENTRY_NAME, "openvpn"), RULE_REQUIRE_VPN, EVENT_ACTION_REPORT);
	/* Every rule has an exact key: the filter closes. */
	assert_false(fake.open);
	engine_get_stats(((struct ctx *)*state)->e, &st);
	assert_int_equal(st.kernel_entries, fake.n_committed);
	/* ncat, true (path, inode), socat, long name, false (path, inode), nc, openvpn, 2 names. */
	assert_int_equal(st.kernel_entries, 11);
	assert_false(st.kernel_filter_open);
}

static void test_compile_open_filter_asked(void **state)
{
	struct ctx *c = *state;
	engine *e = engine_new(&fake_ops, NULL, c->procs, c->hashes, true);

	assert_non_null(e);
	assert_int_equal(engine_set_policy(e, c->p, T0), 0);
	assert_true(fake.open);
	/* The entries are there all the same: they carry the kills. */
	assert_entry(find_entry(ENTRY_NAME, "ncat"), RULE_KILL_NCAT, EVENT_ACTION_KILL);
	engine_free(e);
}

static void test_compile_sha256_opens(void **state)
{
	struct ctx *c = *state;
	policy *p = one_rule("by-hash", "\"sha256\": "
					"\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
					"7852b855\"");

	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_int_equal(fake.n_committed, 0);
	assert_true(fake.open);
	policy_unref(p);
}

static void test_compile_glob_opens(void **state)
{
	struct ctx *c = *state;
	policy *p = one_rule("by-glob", "\"path\": \"/home/*/Downloads/*\"");
	struct engine_stats st;

	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_int_equal(fake.n_committed, 0);
	assert_true(fake.open);
	engine_get_stats(c->e, &st);
	assert_true(st.kernel_filter_open);
	policy_unref(p);

	/* A glob on the name likewise, even beside an exact path. */
	p = one_rule("by-name-glob", "\"name\": \"ngrok*\"");
	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_true(fake.open);
	policy_unref(p);
}

/* A rule with "except" on an exact path: reported to userspace, never killed in the kernel. */
#define EXCEPT_POLICY(parent)                                                                        \
	"{\"id\": \"except\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": [{\"id\": \"true\", " \
	"\"type\": \"process\", \"title\": \"t\", \"severity\": \"low\", \"match\": {\"path\": "     \
	"\"/bin/true\"}, \"except\": [{\"parent_path\": \"" parent "\"}], \"effect\": \"deny\", "    \
	"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}]}"

static void test_compile_except_reports(void **state)
{
	struct ctx *c = *state;
	policy *p = parse_text(EXCEPT_POLICY("/bin/sh"));

	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_entry(find_entry(ENTRY_PATH, "/bin/true"), 1, EVENT_ACTION_REPORT);
	assert_entry(find_inode("/bin/true"), 1, EVENT_ACTION_REPORT);
	/* The parent the except names comes up too, so that it is known when its child execs. */
	assert_entry(find_entry(ENTRY_PATH, "/bin/sh"), 1, EVENT_ACTION_REPORT);
	assert_entry(find_inode("/bin/sh"), 1, EVENT_ACTION_REPORT);
	assert_false(fake.open);
	policy_unref(p);

	/* A parent by pattern cannot be picked out in the kernel: every exec comes up. */
	p = parse_text(EXCEPT_POLICY("/usr/bin/*"));
	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_entry(find_entry(ENTRY_PATH, "/bin/true"), 1, EVENT_ACTION_REPORT);
	assert_true(fake.open);
	policy_unref(p);
}

static void test_compile_failure_keeps_old(void **state)
{
	struct ctx *c = start(state);
	policy *p = one_rule("other", "\"name\": \"wget\"");
	uint32_t gen = fake.gen;
	size_t entries = fake.n_committed;

	/* The third entry of engine.json fails: nothing is committed. */
	fake.fail_add_at = 3;
	assert_int_equal(engine_set_policy(c->e, c->p, T0), -E2BIG);
	fake.fail_add_at = 1;
	assert_int_equal(engine_set_policy(c->e, p, T0), -E2BIG);
	assert_ptr_equal(engine_policy(c->e), c->p);
	assert_int_equal(fake.commits, 1);
	assert_int_equal(fake.gen, gen);
	assert_int_equal(fake.n_committed, entries);
	assert_null(find_entry(ENTRY_NAME, "wget"));

	/* And the old policy still judges. */
	struct decoded_event ev = exec_of(300, 1, USER_UID, "/usr/bin/socat");

	feed(c, &ev, T0);
	assert_denied(only_finding(), "report-socat", FINDING_ACTION_REPORTED, false, 300);

	fake.fail_add_at = 0;
	fake.n_findings = 0;
	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_ptr_equal(engine_policy(c->e), p);
	assert_entry(find_entry(ENTRY_NAME, "wget"), 1, EVENT_ACTION_KILL);
	policy_unref(p);
}

/* --- judging execs ----------------------------------------------------------------- */

static void test_kernel_kill(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev =
		exec_matched(300, 1, "/tmp/ncat", RULE_KILL_NCAT, EVENT_ACTION_KILL, fake.gen);
	struct engine_stats st;
	const struct finding *f;

	feed(c, &ev, T0);
	f = only_finding();
	assert_denied(f, "kill-ncat", FINDING_ACTION_KILLED, true, 300);
	assert_int_equal(f->mode, POLICY_MODE_ENFORCE);
	assert_ptr_equal(f->policy, c->p);
	assert_string_equal(f->process.path, "/tmp/ncat");
	assert_string_equal(f->process.name, "ncat");
	assert_int_equal(f->process.uid, USER_UID);
	assert_int_equal(f->process.start_boot, 300 * NSEC_PER_SEC);
	assert_int_equal(f->time_real, ev.time_real);
	/* Userspace has nothing left to do. */
	assert_int_equal(fake.n_kills, 0);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.killed, 1);
	assert_int_equal(st.denied, 1);
	assert_int_equal(st.evaluated, 1);
}

static void test_userspace_kill(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(301, 1, ROOT_UID, "/usr/bin/nc");
	struct engine_stats st;

	/* The kernel reported it (name "nc"); uid 0 is decided here. */
	ev.exec.match_rule = RULE_NC_AS_ROOT;
	ev.exec.match_action = EVENT_ACTION_REPORT;
	ev.exec.match_gen = (uint16_t)fake.gen;
	fake.exe_path = "/usr/bin/nc";
	feed(c, &ev, T0);
	assert_denied(only_finding(), "nc-as-root", FINDING_ACTION_KILLED, false, 301);
	assert_int_equal(fake.n_kills, 1);
	assert_int_equal(fake.kills[0].pid, 301);
	/* The start time lets the kill make sure the pid was not reused. */
	assert_int_equal(fake.kills[0].start_boot, 301 * NSEC_PER_SEC);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.killed, 1);
	assert_int_equal(st.kill_failed, 0);

	/* Not root: the same program is no match. */
	fake.n_findings = 0;
	ev = exec_of(302, 1, USER_UID, "/usr/bin/nc");
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_int_equal(fake.n_kills, 1);
}

static void test_monitor_reports(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(303, 1, USER_UID, "/usr/bin/socat");
	const struct finding *f;

	feed(c, &ev, T0);
	f = only_finding();
	assert_denied(f, "report-socat", FINDING_ACTION_REPORTED, false, 303);
	assert_int_equal(f->mode, POLICY_MODE_MONITOR);
	assert_int_equal(fake.n_kills, 0);
}

static void test_kill_failed(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(304, 1, ROOT_UID, "/usr/bin/nc");
	struct engine_stats st;

	fake.kill_result = -EPERM;
	feed(c, &ev, T0);
	assert_denied(only_finding(), "nc-as-root", FINDING_ACTION_KILL_FAILED, false, 304);
	assert_int_equal(fake.n_kills, 1);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.kill_failed, 1);
	assert_int_equal(st.killed, 0);
}

static void test_long_name_killed_from_userspace(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(305, 1, USER_UID, "/opt/x/" NAME_TOO_LONG);

	/* What the kernel matched was the 63-byte prefix; userspace checks the whole name. */
	ev.exec.match_rule = RULE_LONG_NAME;
	ev.exec.match_action = EVENT_ACTION_REPORT;
	ev.exec.match_gen = (uint16_t)fake.gen;
	feed(c, &ev, T0);
	assert_denied(only_finding(), "long-name", FINDING_ACTION_KILLED, false, 305);
	assert_int_equal(fake.n_kills, 1);

	/* Another program sharing those 63 bytes is left alone. */
	fake.n_findings = 0;
	ev = exec_of(306, 1, USER_UID, "/opt/x/" NAME_TOO_LONG "-sake");
	ev.exec.match_rule = RULE_LONG_NAME;
	ev.exec.match_action = EVENT_ACTION_REPORT;
	ev.exec.match_gen = (uint16_t)fake.gen;
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_int_equal(fake.n_kills, 1);
}

static void test_kernel_rule_counted_when_path_differs(void **state)
{
	struct ctx *c = start(state);
	/* Started through a link, and gone by now: only the kernel saw the inode. */
	struct decoded_event ev = exec_matched(307, 1, "/tmp/link-to-true", RULE_KILL_PATH_TRUE,
					       EVENT_ACTION_KILL, fake.gen);

	feed(c, &ev, T0);
	assert_denied(only_finding(), "kill-path-true", FINDING_ACTION_KILLED, true, 307);
	assert_string_equal(fake.findings[0].process.path, "/tmp/link-to-true");
	assert_int_equal(fake.n_kills, 0);
}

static void test_kernel_rule_resolved_path(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_matched(308, 1, "/tmp/link-to-true", RULE_KILL_PATH_TRUE,
					       EVENT_ACTION_KILL, fake.gen);

	/* When /proc still tells the real path, that is the one reported, once. */
	fake.exe_path = "/bin/true";
	feed(c, &ev, T0);
	assert_denied(only_finding(), "kill-path-true", FINDING_ACTION_KILLED, true, 308);
	assert_string_equal(fake.findings[0].process.path, "/bin/true");
}

static void test_old_generation_ignored(void **state)
{
	struct ctx *c = start(state);
	uint32_t old_gen = fake.gen;
	/* Rule 2 of this policy is another rule than rule 2 of engine.json. */
	policy *p = parse_text(
		"{\"id\": \"two\", \"serial\": 2, \"mode\": \"enforce\", \"rules\": ["
		"{\"id\": \"wget\", \"type\": \"process\", \"title\": \"t\", \"severity\": \"low\","
		" \"match\": {\"name\": \"wget\"}, \"effect\": \"deny\","
		" \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}},"
		"{\"id\": \"curl\", \"type\": \"process\", \"title\": \"t\", \"severity\": \"low\","
		" \"match\": {\"name\": \"curl\"}, \"effect\": \"deny\","
		" \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}]}");
	struct decoded_event ev;

	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	assert_int_not_equal(fake.gen, old_gen);

	/* Killed under the old generation: its rule number means nothing now. */
	ev = exec_matched(309, 1, "/tmp/link-to-true", RULE_KILL_PATH_TRUE, EVENT_ACTION_KILL,
			  old_gen);
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_int_equal(fake.n_kills, 0);

	/* The same number under the new generation is the new rule 2. */
	ev = exec_matched(310, 1, "/tmp/link-to-true", 2, EVENT_ACTION_KILL, fake.gen);
	feed(c, &ev, T0);
	assert_denied(only_finding(), "curl", FINDING_ACTION_KILLED, true, 310);
	policy_unref(p);
}

static void test_unremarkable_exec(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(311, 1, ROOT_UID, "/usr/bin/ls");
	struct engine_stats st;

	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_int_equal(fake.n_kills, 0);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.evaluated, 1);
	assert_int_equal(st.denied, 0);
}

static void test_parent_chain(void **state)
{
	struct ctx *c = *state;
	struct decoded_event ev;
	const struct finding *f;

	known(c, 1, 0, "/sbin/init");
	known(c, 100, 1, "/usr/sbin/sshd");
	known(c, 200, 100, "/usr/bin/bash");
	start(state);
	ev = exec_of(300, 200, USER_UID, "/usr/bin/socat");
	feed(c, &ev, T0);
	f = only_finding();
	assert_int_equal(f->process.ppid, 200);
	assert_int_equal(f->n_ancestors, 3);
	assert_int_equal(f->ancestors[0].pid, 200);
	assert_string_equal(f->ancestors[0].path, "/usr/bin/bash");
	assert_int_equal(f->ancestors[1].pid, 100);
	assert_string_equal(f->ancestors[1].path, "/usr/sbin/sshd");
	assert_int_equal(f->ancestors[2].pid, 1);
	assert_string_equal(f->ancestors[2].path, "/sbin/init");
}

static void test_parent_chain_depth(void **state)
{
	struct ctx *c = *state;
	struct decoded_event ev;
	const struct finding *f;

	/* Six generations: the evidence keeps the nearest four. */
	known(c, 1, 0, "/sbin/init");
	for (uint32_t pid = 2; pid <= 6; pid++) {
		char path[32];

		snprintf(path, sizeof(path), "/usr/bin/gen%u", pid);
		known(c, pid, pid - 1, path);
	}
	start(state);
	ev = exec_of(300, 6, USER_UID, "/usr/bin/socat");
	feed(c, &ev, T0);
	f = only_finding();
	assert_int_equal(f->n_ancestors, FINDING_CHAIN_MAX);
	for (size_t i = 0; i < FINDING_CHAIN_MAX; i++)
		assert_int_equal(f->ancestors[i].pid, 6 - i);
	assert_string_equal(f->ancestors[3].path, "/usr/bin/gen3");
}

static void test_parent_unknown(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(300, 4242, USER_UID, "/usr/bin/socat");

	feed(c, &ev, T0);
	assert_int_equal(only_finding()->n_ancestors, 0);
}

/* The except spares the child of the parent it names, and only that one; the others are killed. */
static void test_except_parent_spares(void **state)
{
	struct ctx *c = *state;
	policy *p = parse_text(EXCEPT_POLICY("/usr/bin/make"));
	struct decoded_event ev;

	known(c, 201, 1, "/usr/bin/bash");
	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	/* make, started through a link: the kernel reports it, and its path is resolved. */
	fake.exe_path = "/usr/bin/make";
	ev = exec_matched(200, 1, "/usr/local/bin/gmake", 1, EVENT_ACTION_REPORT, fake.gen);
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_string_equal(proctab_get(c->procs, 200)->exe, "/usr/bin/make");

	fake.exe_path = "/bin/true";
	ev = exec_matched(300, 200, "/bin/true", 1, EVENT_ACTION_REPORT, fake.gen);
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	assert_int_equal(fake.n_kills, 0);

	ev = exec_matched(301, 201, "/bin/true", 1, EVENT_ACTION_REPORT, fake.gen);
	feed(c, &ev, T0);
	assert_denied(only_finding(), "true", FINDING_ACTION_KILLED, false, 301);
	assert_int_equal(fake.n_kills, 1);
	assert_int_equal(fake.kills[0].pid, 301);

	/* A parent not known: the exception is not shown to hold. */
	fake.n_findings = 0;
	ev = exec_matched(302, 4242, "/bin/true", 1, EVENT_ACTION_REPORT, fake.gen);
	feed(c, &ev, T0);
	assert_denied(only_finding(), "true", FINDING_ACTION_KILLED, false, 302);
	policy_unref(p);
}

/* What /proc/PID/cmdline says to test_except_args_running: safe for pid 400, not for 401. */
static int cmdline_of(void *ctx, uint32_t pid, char *buf, size_t size)
{
	static const char safe[] = "node\0server.js\0--safe", evil[] = "node\0evil.js";
	const char *s = pid == 400 ? safe : evil;
	size_t n = pid == 400 ? sizeof(safe) : sizeof(evil);

	n = n < size ? n : size;
	memcpy(buf, s, n);
	return (int)n;
}

/*
 * Programs running when a policy comes into force are judged by the
 * arguments the kernel would have captured at their exec: an except on
 * arguments spares them as it would at exec, and only while capture is on.
 */
static void test_except_args_running(void **state)
{
	struct ctx *c = *state;
	struct engine_ops ops = fake_ops;
	policy *p = parse_text(
		"{\"id\": \"args\", \"serial\": 1, \"mode\": \"enforce\", \"settings\": "
		"{\"collect_arguments\": true}, \"rules\": [{\"id\": \"node\", \"type\": \"process\", "
		"\"title\": \"t\", \"severity\": \"low\", \"match\": {\"name\": \"node\"}, \"except\": "
		"[{\"args_contains\": \"--safe\"}], \"effect\": \"deny\", \"message\": {\"en\": "
		"\"m\"}, \"remediation\": {\"en\": \"r\"}}]}");
	engine *e;

	ops.cmdline = cmdline_of;
	e = engine_new(&ops, NULL, c->procs, c->hashes, false);
	assert_non_null(e);
	known(c, 400, 1, "/usr/bin/node");
	known(c, 401, 1, "/usr/bin/node");
	engine_set_args_bytes(e, EVENT_ARGS_LEN);
	assert_int_equal(engine_set_policy(e, p, T0), 0);
	assert_int_equal(fake.n_kills, 1);
	assert_int_equal(fake.kills[0].pid, 401);
	assert_string_equal(only_finding()->process.cmd_line, "node evil.js");

	/* Capture refused: the except cannot hold, at a reload as at an exec. */
	fake.n_kills = fake.n_findings = 0;
	engine_set_args_bytes(e, 0);
	assert_int_equal(engine_set_policy(e, p, T0), 0);
	assert_int_equal(fake.n_kills, 2);
	engine_free(e);
	policy_unref(p);
}

/*
 * Rules on the facts the kernel decides: compiled into fact entries (a kill
 * for a single-fact enforce rule) without opening the filter; a #! script's
 * own place judged by the agent; the writer of a pipe looked up when the
 * record came without it; and the finding carries what was found.
 */
static void test_exec_facts(void **state)
{
	struct ctx *c = *state;
	policy *p = parse_text(
		"{\"id\": \"facts\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": ["
		"{\"id\": \"ww\", \"type\": \"process\", \"title\": \"t\", \"severity\": \"low\", "
		"\"match\": {\"location\": \"world_writable\"}, \"effect\": \"deny\", \"message\": "
		"{\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}},"
		"{\"id\": \"pipe\", \"type\": \"process\", \"title\": \"t\", \"severity\": \"low\", "
		"\"match\": {\"name\": \"dash\", \"stdin_from\": \"curl\"}, \"effect\": \"deny\", "
		"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}]}");
	struct decoded_event ev;
	const struct finding *f;
	const struct entry *en = NULL;

	assert_int_equal(engine_set_policy(c->e, p, T0), 0);
	for (size_t i = 0; i < fake.n_committed; i++)
		if (fake.committed[i].type == ENTRY_FACT)
			en = &fake.committed[i];
	assert_non_null(en);
	assert_int_equal(en->ino, EVENT_FACT_WORLD_WRITABLE);
	assert_int_equal(en->v.action, EVENT_ACTION_KILL);
	assert_false(fake.open);
	assert_true(fake.pipe_writers);

	/* A script the kernel passed up: the agent finds it lies in a world-writable place. */
	ev = exec_of(500, 1, USER_UID, "/tmp/fetched.sh");
	strcpy(ev.exec.exe_path, "/usr/bin/dash");
	ev.exec.script = true;
	fake.world_writable = 1;
	fake.world_writable_calls = 0;
	feed(c, &ev, T0);
	f = only_finding();
	assert_string_equal(policy_rule_id(f->rule), "ww");
	assert_string_equal(f->process.path, "/usr/bin/dash");
	assert_string_equal(f->process.script, "/tmp/fetched.sh");
	assert_int_equal(f->process.location, POLICY_LOCATION_WORLD_WRITABLE);
	assert_int_equal(fake.world_writable_calls, 1);

	/* The shell's stdin pipe: its writer exec'd after it, so the agent asks the map. */
	fake.n_findings = 0;
	fake.world_writable = 0;
	ev = exec_of(501, 1, USER_UID, "/bin/sh");
	strcpy(ev.exec.exe_path, "/usr/bin/dash");
	ev.exec.stdio[0] = (struct decoded_stdio){ .kind = EVENT_STDIO_PIPE, .ino = 9 };
	fake.pipe_writer = "curl";
	feed(c, &ev, T0);
	f = only_finding();
	assert_string_equal(policy_rule_id(f->rule), "pipe");
	assert_string_equal(f->process.name, "dash");
	assert_string_equal(f->process.stdin_from, "curl");
	assert_true(f->process.has_stdio);
	fake.pipe_writer = "cat";
	fake.n_findings = 0;
	ev.task.pid = 502;
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	fake.pipe_writer = NULL;
	policy_unref(p);
}

static void sha256_of(const char *path, char hex[65])
{
	unsigned char md[32], buf[65536];
	unsigned len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(ctx);
	assert_non_null(f);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(EVP_DigestUpdate(ctx, buf, n), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &len), 1);
	assert_int_equal(len, 32);
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	fclose(f);
	EVP_MD_CTX_free(ctx);
}

static void test_sha256_killed_from_userspace(void **state)
{
	struct ctx *c = *state;
	char hex[65], match[128];
	struct decoded_event ev;
	struct engine_stats st;
	policy *p;

	sha256_of("/bin/true", hex);
	snprintf(match, sizeof(match), "\"sha256\": \"%s\"", hex);
	p = one_rule("by-hash", match);
	assert_int_equal(engine_set_policy(c->e, p, T0), 0);

	/* Any name: the content decides. */
	fake.exe_path = "/bin/true";
	ev = exec_of(312, 1, USER_UID, "/tmp/renamed");
	feed(c, &ev, T0);
	assert_denied(only_finding(), "by-hash", FINDING_ACTION_KILLED, false, 312);
	assert_string_equal(fake.findings[0].process.sha256, hex);
	assert_int_equal(fake.n_kills, 1);

	/* Other content: hashed, no match. */
	fake.n_findings = 0;
	fake.exe_path = "/bin/false";
	ev = exec_of(313, 1, USER_UID, "/bin/false");
	feed(c, &ev, T0);
	assert_int_equal(fake.n_findings, 0);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.hashed, 2);
	assert_int_equal(st.hash_failed, 0);
	policy_unref(p);
}

/* --- required programs --------------------------------------------------------------- */

static void test_userspace_kill_finds_it_gone(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(306, 1, ROOT_UID, "/usr/bin/nc");
	struct engine_stats st;

	/* It ran to its end before userspace judged it: not "killed". */
	fake.kill_result = -ESRCH;
	feed(c, &ev, T0);
	assert_denied(only_finding(), "nc-as-root", FINDING_ACTION_GONE, false, 306);
	engine_get_stats(c->e, &st);
	assert_int_equal(st.killed, 0);
	assert_int_equal(st.kill_failed, 0);
}

static void test_require_seeded_is_tracked(void **state)
{
	struct ctx *c = *state;

	/* Known from /proc only: the kernel must be told to report its exit. */
	known(c, 1, 0, "/sbin/init");
	known(c, 50, 1, "/usr/sbin/openvpn");
	start(state);
	assert_int_equal(fake.n_tracked, 1);
	assert_int_equal(fake.tracked[0], 50);
}

static void test_require_reload_finds_it_back(void **state)
{
	struct ctx *c = start(state);
	policy *again = load_fixture("engine.json");

	engine_tick(c->e, T0 + GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 1);

	/* It started while its exec was not seen (say, before a restart of the filter). */
	known(c, 70, 1, "/usr/sbin/openvpn");
	assert_int_equal(engine_set_policy(c->e, again, T0 + 2 * GRACE), 0);
	assert_int_equal(count_kind(FINDING_REQUIRE_RETURNED), 1);
	assert_true(engine_require_present(c->e, 0));

	/* And its later absence is told again. */
	{
		struct decoded_event ev = exit_of(70, 1);

		feed(c, &ev, T0 + 3 * GRACE);
	}
	engine_tick(c->e, T0 + 4 * GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 2);
	policy_unref(again);
}

static void test_running_denied_judged_at_load(void **state)
{
	struct ctx *c = *state;
	const struct finding *f;

	/* Started before the policy: stopped when it comes into force (enforce). */
	known(c, 1, 0, "/sbin/init");
	known(c, 80, 1, "/usr/bin/ncat");
	start(state);
	f = only_finding();
	assert_int_equal(f->kind, FINDING_PROCESS_DENIED);
	assert_string_equal(policy_rule_id(f->rule), "kill-ncat");
	assert_int_equal(f->action, FINDING_ACTION_KILLED);
	assert_false(f->in_kernel);
	assert_int_equal(f->process.pid, 80);
	assert_int_equal(fake.n_kills, 1);
	assert_int_equal(fake.kills[0].pid, 80);
}

static void test_require_present_at_start(void **state)
{
	struct ctx *c = *state;

	known(c, 1, 0, "/sbin/init");
	known(c, 50, 1, "/usr/sbin/openvpn");
	start(state);
	assert_true(engine_require_present(c->e, 0));
	assert_int_equal(engine_tick(c->e, T0 + 10 * GRACE), USEC_INFINITY);
	assert_int_equal(fake.n_findings, 0);
}

static void test_require_absent_after_grace(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev;
	const struct finding *f;

	assert_false(engine_require_present(c->e, 0));
	/* Nothing before the grace period ends; the tick says when it does. */
	assert_int_equal(engine_tick(c->e, T0), T0 + GRACE);
	assert_int_equal(engine_tick(c->e, T0 + GRACE - 1), T0 + GRACE);
	assert_int_equal(fake.n_findings, 0);

	assert_int_equal(engine_tick(c->e, T0 + GRACE), USEC_INFINITY);
	f = only_finding();
	assert_int_equal(f->kind, FINDING_REQUIRE_ABSENT);
	assert_string_equal(policy_rule_id(f->rule), "require-vpn");
	assert_int_equal(f->action, FINDING_ACTION_NONE);
	assert_false(f->has_process);

	/* Once. */
	assert_int_equal(engine_tick(c->e, T0 + 5 * GRACE), USEC_INFINITY);
	assert_int_equal(fake.n_findings, 1);

	/* The program starts: it returned, once. */
	ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");
	feed(c, &ev, T0 + 6 * GRACE);
	assert_int_equal(fake.n_findings, 2);
	assert_int_equal(fake.findings[1].kind, FINDING_REQUIRE_RETURNED);
	assert_string_equal(policy_rule_id(fake.findings[1].rule), "require-vpn");
	assert_true(engine_require_present(c->e, 0));
	ev = exec_of(61, 1, ROOT_UID, "/usr/sbin/openvpn");
	feed(c, &ev, T0 + 6 * GRACE);
	assert_int_equal(fake.n_findings, 2);
	assert_int_equal(count_kind(FINDING_REQUIRE_RETURNED), 1);
}

static void test_require_returns_within_grace(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");

	feed(c, &ev, T0 + GRACE / 2);
	assert_true(engine_require_present(c->e, 0));
	assert_int_equal(engine_tick(c->e, T0 + 10 * GRACE), USEC_INFINITY);
	/* Neither absent nor returned: it was never missing long enough. */
	assert_int_equal(fake.n_findings, 0);

	/* It exits: a new grace period from then. */
	ev = exit_of(60, 1);
	feed(c, &ev, T0 + 20 * GRACE);
	assert_false(engine_require_present(c->e, 0));
	assert_int_equal(engine_tick(c->e, T0 + 20 * GRACE), T0 + 21 * GRACE);
	assert_int_equal(fake.n_findings, 0);
	engine_tick(c->e, T0 + 21 * GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 1);
}

static void test_require_fork_keeps_present(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");

	feed(c, &ev, T0);
	ev = fork_of(61, 60, "openvpn");
	feed(c, &ev, T0 + 1);
	/* The parent daemonizes away; the child carries on. */
	ev = exit_of(60, 1);
	feed(c, &ev, T0 + 2);
	assert_true(engine_require_present(c->e, 0));
	assert_int_equal(engine_tick(c->e, T0 + 10 * GRACE), USEC_INFINITY);
	assert_int_equal(fake.n_findings, 0);

	/* The child becoming something else ends it. */
	ev = exec_of(61, 1, ROOT_UID, "/usr/bin/sleep");
	feed(c, &ev, T0 + 20 * GRACE);
	assert_false(engine_require_present(c->e, 0));
	engine_tick(c->e, T0 + 21 * GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 1);
}

static void test_require_killed_is_not_present(void **state)
{
	struct ctx *c = start(state);
	/* A process named openvpn that a deny rule stops does not count as running. */
	struct decoded_event ev = exec_of(62, 1, ROOT_UID, "/usr/sbin/openvpn");

	ev.exec.killed = true;
	feed(c, &ev, T0);
	assert_false(engine_require_present(c->e, 0));
}

static void test_require_reload_carries_open_finding(void **state)
{
	struct ctx *c = start(state);
	policy *again = load_fixture("engine.json");
	struct decoded_event ev;

	engine_tick(c->e, T0 + GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 1);

	/* The same rule in a new policy: the finding stands, it is not made again. */
	assert_int_equal(engine_set_policy(c->e, again, T0 + 2 * GRACE), 0);
	assert_int_equal(engine_tick(c->e, T0 + 10 * GRACE), USEC_INFINITY);
	assert_int_equal(fake.n_findings, 1);

	/* And its end is still told. */
	ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");
	feed(c, &ev, T0 + 11 * GRACE);
	assert_int_equal(fake.n_findings, 2);
	assert_int_equal(fake.findings[1].kind, FINDING_REQUIRE_RETURNED);
	assert_ptr_equal(fake.findings[1].policy, again);
	policy_unref(again);
}

static void test_require_reload_keeps_deadline(void **state)
{
	struct ctx *c = start(state);
	policy *again = load_fixture("engine.json");

	/* A reload half-way through the grace period does not restart it. */
	assert_int_equal(engine_set_policy(c->e, again, T0 + GRACE / 2), 0);
	assert_int_equal(engine_tick(c->e, T0 + GRACE / 2), T0 + GRACE);
	engine_tick(c->e, T0 + GRACE);
	assert_int_equal(count_kind(FINDING_REQUIRE_ABSENT), 1);
	policy_unref(again);
}

static void test_require_dropped_by_reload(void **state)
{
	struct ctx *c = start(state);
	policy *p = one_rule("other", "\"name\": \"wget\"");

	/* A policy without the rule: nothing is due any more. */
	assert_int_equal(engine_set_policy(c->e, p, T0 + 1), 0);
	assert_int_equal(engine_tick(c->e, T0 + 10 * GRACE), USEC_INFINITY);
	assert_int_equal(fake.n_findings, 0);
	assert_false(engine_require_present(c->e, 0));
	policy_unref(p);
}

/* --- rules failing ------------------------------------------------------------------ */

/* A monitor-mode deny rule fails while a program it reported runs. */
static void test_monitor_violator_fails_until_it_ends(void **state)
{
	struct ctx *c = start_counting(state, load_fixture("engine.json"));
	const policy_rule *rule = policy_rule_find(c->p, "report-socat");
	struct decoded_event ev;
	usec_t since = 0, before;

	assert_false(engine_rule_failing(c->e, rule, &since));
	assert_int_equal(since, engine_policy_loaded(c->e));
	fake.state_changes = 0;

	before = now_usec(CLOCK_REALTIME);
	ev = exec_of(303, 1, USER_UID, "/usr/bin/socat");
	feed(c, &ev, T0);
	ev = exec_of(304, 1, USER_UID, "/usr/bin/socat");
	feed(c, &ev, T0);
	assert_true(engine_rule_failing(c->e, rule, &since));
	assert_true(since >= before);
	/* From none to some: one change, however many run. */
	assert_int_equal(fake.state_changes, 1);

	/* One exits, the other runs something else: the rule passes again. */
	ev = exit_of(303, 1);
	feed(c, &ev, T0 + 1);
	assert_true(engine_rule_failing(c->e, rule, NULL));
	ev = exec_of(304, 1, USER_UID, "/usr/bin/sleep");
	feed(c, &ev, T0 + 2);
	assert_false(engine_rule_failing(c->e, rule, NULL));
	assert_int_equal(fake.state_changes, 2);

	/* Enforce-mode rules never fail for a program they stopped. */
	ev = exec_of(305, 1, USER_UID, "/usr/bin/ncat");
	feed(c, &ev, T0 + 3);
	assert_false(engine_rule_failing(c->e, policy_rule_find(c->p, "kill-ncat"), NULL));
}

/* A reload forgets who violated: the programs running are judged again. */
static void test_monitor_violator_judged_again_at_reload(void **state)
{
	struct ctx *c = *state;
	policy *again = load_fixture("engine.json");
	struct decoded_event ev;

	known(c, 1, 0, "/sbin/init");
	known(c, 90, 1, "/usr/bin/socat");
	start(state);
	assert_denied(only_finding(), "report-socat", FINDING_ACTION_REPORTED, false, 90);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "report-socat"), NULL));

	assert_int_equal(engine_set_policy(c->e, again, T0 + 1), 0);
	assert_int_equal(fake.n_findings, 2);
	assert_denied(&fake.findings[1], "report-socat", FINDING_ACTION_REPORTED, false, 90);
	assert_ptr_equal(fake.findings[1].policy, again);
	assert_true(engine_rule_failing(c->e, policy_rule_find(again, "report-socat"), NULL));
	/* The old policy's rule is no rule in force. */
	assert_false(engine_rule_failing(c->e, policy_rule_find(c->p, "report-socat"), NULL));

	ev = exit_of(90, 1);
	feed(c, &ev, T0 + 2);
	assert_false(engine_rule_failing(c->e, policy_rule_find(again, "report-socat"), NULL));
	policy_unref(again);
}

static void test_require_fails_while_absent(void **state)
{
	struct ctx *c = start(state);
	const policy_rule *rule = policy_rule_find(c->p, "require-vpn");
	struct decoded_event ev;
	usec_t since = 0;

	/* Absent, but within its grace: not failing yet. */
	assert_false(engine_rule_failing(c->e, rule, &since));
	assert_int_equal(since, engine_policy_loaded(c->e));
	engine_tick(c->e, T0 + GRACE);
	assert_true(engine_rule_failing(c->e, rule, &since));
	assert_int_equal(since, fake.findings[0].time_real);

	ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");
	feed(c, &ev, T0 + 2 * GRACE);
	assert_false(engine_rule_failing(c->e, rule, &since));
	assert_int_equal(since, fake.findings[1].time_real);
}

int test_engine_process(void)
{
	const struct CMUnitTest tests[] = {
		T(test_compile_exact_name_kills),
		T(test_compile_exact_path_kills),
		T(test_compile_monitor_reports),
		T(test_compile_long_name_never_kills),
		T(test_compile_names_up_to_63_kill),
		T(test_compile_path_and_user_reports),
		T(test_compile_disabled_is_nothing),
		T(test_compile_require_reports),
		T(test_compile_open_filter_asked),
		T(test_compile_sha256_opens),
		T(test_compile_glob_opens),
		T(test_compile_except_reports),
		T(test_compile_failure_keeps_old),
		T(test_kernel_kill),
		T(test_userspace_kill),
		T(test_monitor_reports),
		T(test_kill_failed),
		T(test_long_name_killed_from_userspace),
		T(test_kernel_rule_counted_when_path_differs),
		T(test_kernel_rule_resolved_path),
		T(test_old_generation_ignored),
		T(test_unremarkable_exec),
		T(test_parent_chain),
		T(test_parent_chain_depth),
		T(test_parent_unknown),
		T(test_except_parent_spares),
		T(test_except_args_running),
		T(test_exec_facts),
		T(test_sha256_killed_from_userspace),
		T(test_require_present_at_start),
		T(test_userspace_kill_finds_it_gone),
		T(test_require_seeded_is_tracked),
		T(test_require_reload_finds_it_back),
		T(test_running_denied_judged_at_load),
		T(test_require_absent_after_grace),
		T(test_require_returns_within_grace),
		T(test_require_fork_keeps_present),
		T(test_require_killed_is_not_present),
		T(test_require_reload_carries_open_finding),
		T(test_require_reload_keeps_deadline),
		T(test_require_dropped_by_reload),
		T(test_monitor_violator_fails_until_it_ends),
		T(test_monitor_violator_judged_again_at_reload),
		T(test_require_fails_while_absent),
	};

	return cmocka_run_group_tests_name("engine_process", tests, NULL, NULL);
}
