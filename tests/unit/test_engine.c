// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy engine without a kernel: fake engine_ops record the filter
 * entries, kills and findings; exec, fork and exit records are built by hand
 * and go through a real process table the way the agent feeds them.  The
 * policy is tests/fixtures/agent-policies/engine.json unless a test says
 * otherwise.
 *
 * This file has the fake system and the helpers (test_engine.h) and tests
 * the core (engine.c): the policy in force and the findings it emits, in
 * their OCSF shape.  test_engine_process.c, test_engine_checks.c and
 * test_engine_net.c test the judges; main() runs them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "test_engine.h"
#include "postured/format.h"
#include "basic/json-util.h"
#include "fixtures.h"

/* --- the fake system ---------------------------------------------------------- */

struct fake fake;

static int fake_filter_begin(void *ctx)
{
	fake.begins++;
	fake.n_filling = 0;
	fake.adds = 0;
	return 0;
}

static int fake_add(enum entry_type type, const char *key, uint64_t dev, uint64_t ino,
		    const struct filter_verdict *v)
{
	struct entry *e;

	if (++fake.adds == (unsigned)fake.fail_add_at)
		return -E2BIG;
	assert_true(fake.n_filling < ENTRIES_MAX);
	e = &fake.filling[fake.n_filling++];
	*e = (struct entry){ .type = type, .dev = dev, .ino = ino, .v = *v };
	if (key)
		snprintf(e->key, sizeof(e->key), "%s", key);
	return 0;
}

static int fake_filter_add_inode(void *ctx, uint64_t dev, uint64_t ino,
				 const struct filter_verdict *v)
{
	return fake_add(ENTRY_INODE, NULL, dev, ino, v);
}

static int fake_filter_add_name(void *ctx, const char *name, const struct filter_verdict *v)
{
	return fake_add(ENTRY_NAME, name, 0, 0, v);
}

static int fake_filter_add_path(void *ctx, const char *path, const struct filter_verdict *v)
{
	return fake_add(ENTRY_PATH, path, 0, 0, v);
}

static int fake_filter_add_fact(void *ctx, unsigned fact, const struct filter_verdict *v)
{
	return fake_add(ENTRY_FACT, NULL, 0, fact, v);
}

static void fake_filter_pipe_writers(void *ctx, bool on)
{
	fake.pipe_writers_filling = on;
}

static int fake_pipe_writer(void *ctx, uint64_t ino, char *buf, size_t size)
{
	if (!fake.pipe_writer)
		return -ENOENT;
	snprintf(buf, size, "%s", fake.pipe_writer);
	return 0;
}

static int fake_in_world_writable(void *ctx, const char *path)
{
	fake.world_writable_calls++;
	return fake.world_writable;
}

static int fake_filter_commit(void *ctx, bool open)
{
	fake.commits++;
	fake.pipe_writers = fake.pipe_writers_filling;
	memcpy(fake.committed, fake.filling, sizeof(fake.filling));
	fake.n_committed = fake.n_filling;
	fake.open = open;
	fake.gen++;
	return 0;
}

static uint32_t fake_filter_gen(void *ctx)
{
	return fake.gen;
}

static int fake_kill(void *ctx, uint32_t pid, nsec_t start_boot)
{
	assert_true(fake.n_kills < KILLS_MAX);
	fake.kills[fake.n_kills].pid = pid;
	fake.kills[fake.n_kills].start_boot = start_boot;
	fake.n_kills++;
	return fake.kill_result;
}

static int fake_track(void *ctx, uint32_t pid)
{
	assert_true(fake.n_tracked < KILLS_MAX);
	fake.tracked[fake.n_tracked++] = pid;
	return 0;
}

static int fake_exe_path(void *ctx, uint32_t pid, uint64_t ino, char *buf, size_t size)
{
	if (!fake.exe_path)
		return -ENOENT;
	snprintf(buf, size, "%s", fake.exe_path);
	return 0;
}

static int fake_exe_open(void *ctx, uint32_t pid)
{
	int fd;

	if (!fake.exe_path)
		return -ENOENT;
	fd = open(fake.exe_path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void fake_finding(void *ctx, const struct finding *f)
{
	assert_true(fake.n_findings < FINDINGS_MAX);
	fake.findings[fake.n_findings++] = *f;
}

/* Every operation of the fake system but the network probe's and state_changed. */
#define FAKE_OPS_PROCESS                                                                          \
	.filter_begin = fake_filter_begin, .filter_add_inode = fake_filter_add_inode,             \
	.filter_add_name = fake_filter_add_name, .filter_add_path = fake_filter_add_path,         \
	.filter_add_fact = fake_filter_add_fact, .filter_pipe_writers = fake_filter_pipe_writers, \
	.filter_commit = fake_filter_commit, .filter_gen = fake_filter_gen, .kill = fake_kill,    \
	.exe_path = fake_exe_path, .track = fake_track, .exe_open = fake_exe_open,                \
	.pipe_writer = fake_pipe_writer, .in_world_writable = fake_in_world_writable,             \
	.finding = fake_finding

const struct engine_ops fake_ops = { FAKE_OPS_PROCESS };

static int fake_net_apply(void *ctx, const policy *p)
{
	fake.net_applies++;
	if (fake.net_apply_result < 0)
		return fake.net_apply_result;
	fake.net_applied = p;
	if (fake.net_applies <= 8)
		fake.net_applied_seq[fake.net_applies - 1] = p;
	return 0;
}

static void fake_state_changed(void *ctx)
{
	fake.state_changes++;
}

/* The same, with a network probe. */
const struct engine_ops fake_ops_net = {
	FAKE_OPS_PROCESS,
	.state_changed = fake_state_changed,
	.net_apply = fake_net_apply,
};

/* --- fixtures ------------------------------------------------------------------- */

policy *load_fixture(const char *name)
{
	return fixture_policy_load(fixture_path("agent-policies", name));
}

policy *parse_text(const char *json)
{
	return fixture_policy_parse("inline.json", json, strlen(json));
}

/* A policy of one deny rule matching `match` (a JSON object's inside), in enforce mode. */
policy *one_rule(const char *id, const char *match)
{
	char json[2048];

	snprintf(json, sizeof(json),
		 "{\"id\": \"one\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": [{"
		 "\"id\": \"%s\", \"type\": \"process\", \"title\": \"t\", \"severity\": \"low\", "
		 "\"match\": {%s}, \"effect\": \"deny\", \"message\": {\"en\": \"m\"}, "
		 "\"remediation\": {\"en\": \"r\"}}]}",
		 id, match);
	return parse_text(json);
}

int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	memset(&fake, 0, sizeof(fake));
	c->procs = proctab_new(256);
	c->hashes = hashcache_new(16);
	assert_non_null(c->procs);
	assert_non_null(c->hashes);
	c->e = engine_new(&fake_ops, NULL, c->procs, c->hashes, false);
	assert_non_null(c->e);
	c->p = load_fixture("engine.json");
	*state = c;
	return 0;
}

int teardown(void **state)
{
	struct ctx *c = *state;

	engine_free(c->e);
	policy_unref(c->p);
	hashcache_free(c->hashes);
	proctab_free(c->procs);
	free(c);
	return 0;
}

/* Puts engine.json in force at T0. */
struct ctx *start(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(engine_set_policy(c->e, c->p, T0), 0);
	assert_ptr_equal(engine_policy(c->e), c->p);
	return c;
}

/* A new engine on the fake ops with a network probe and state changes, and p in force at T0. */
struct ctx *start_counting(void **state, policy *p)
{
	struct ctx *c = *state;

	engine_free(c->e);
	c->e = engine_new(&fake_ops_net, NULL, c->procs, c->hashes, false);
	assert_non_null(c->e);
	policy_unref(c->p);
	c->p = p;
	assert_int_equal(engine_set_policy(c->e, c->p, T0), 0);
	return c;
}

/* --- records ---------------------------------------------------------------------- */

static void task_init(struct decoded_task *t, uint32_t pid, uint32_t ppid, uint32_t uid,
		      const char *comm)
{
	t->pid = t->tid = pid;
	t->ppid = ppid;
	t->uid = uid;
	t->gid = uid;
	t->loginuid = uid;
	t->start_boot = (nsec_t)pid * NSEC_PER_SEC;
	/* The kernel keeps 15 bytes of a name. */
	snprintf(t->comm, EVENT_COMM_LEN, "%s", comm);
}

/* An exec as decode_event() hands it on: comm is the file name cut to 15 bytes. */
struct decoded_event exec_of(uint32_t pid, uint32_t ppid, uint32_t uid, const char *path)
{
	struct decoded_event ev = {
		.kind = EVENT_KIND_EXEC,
		.time_boot = 100 * NSEC_PER_SEC,
		.time_real = 1700000000 * USEC_PER_SEC,
	};
	const char *slash = strrchr(path, '/');

	task_init(&ev.task, pid, ppid, uid, slash ? slash + 1 : path);
	snprintf(ev.exec.filename, sizeof(ev.exec.filename), "%s", path);
	return ev;
}

/* The same exec, as the probe marks one a filter entry matched. */
struct decoded_event exec_matched(uint32_t pid, uint32_t ppid, const char *path, uint32_t rule,
				  uint16_t action, uint32_t gen)
{
	struct decoded_event ev = exec_of(pid, ppid, USER_UID, path);

	ev.exec.match_rule = rule;
	ev.exec.match_action = action;
	ev.exec.match_gen = (uint16_t)(gen & 0xffff);
	ev.exec.killed = action == EVENT_ACTION_KILL;
	return ev;
}

struct decoded_event fork_of(uint32_t pid, uint32_t ppid, const char *comm)
{
	struct decoded_event ev = { .kind = EVENT_KIND_FORK };

	task_init(&ev.task, pid, ppid, USER_UID, comm);
	return ev;
}

struct decoded_event exit_of(uint32_t pid, uint32_t ppid)
{
	struct decoded_event ev = { .kind = EVENT_KIND_EXIT };

	task_init(&ev.task, pid, ppid, USER_UID, "");
	return ev;
}

/* As the agent does: the table sees exec and fork first, exit after the engine. */
void feed(struct ctx *c, const struct decoded_event *ev, usec_t now)
{
	if (ev->kind != EVENT_KIND_EXIT)
		assert_int_equal(proctab_apply(c->procs, ev), 0);
	engine_on_event(c->e, ev, now);
	if (ev->kind == EVENT_KIND_EXIT)
		assert_int_equal(proctab_apply(c->procs, ev), 0);
}

/* A process known before the policy: straight into the table. */
void known(struct ctx *c, uint32_t pid, uint32_t ppid, const char *path)
{
	struct decoded_event ev = exec_of(pid, ppid, USER_UID, path);

	assert_int_equal(proctab_apply(c->procs, &ev), 0);
}

/* --- checks ---------------------------------------------------------------------- */

const struct entry *find_entry(enum entry_type type, const char *key)
{
	for (size_t i = 0; i < fake.n_committed; i++)
		if (fake.committed[i].type == type && strcmp(fake.committed[i].key, key) == 0)
			return &fake.committed[i];
	return NULL;
}

const struct entry *find_inode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	for (size_t i = 0; i < fake.n_committed; i++)
		if (fake.committed[i].type == ENTRY_INODE && fake.committed[i].dev == st.st_dev &&
		    fake.committed[i].ino == st.st_ino)
			return &fake.committed[i];
	return NULL;
}

size_t entries_of_rule(uint32_t rule)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.n_committed; i++)
		n += fake.committed[i].v.rule == rule;
	return n;
}

void assert_entry(const struct entry *e, uint32_t rule, uint32_t action)
{
	assert_non_null(e);
	assert_int_equal(e->v.rule, rule);
	assert_int_equal(e->v.action, action);
}

const struct finding *only_finding(void)
{
	assert_int_equal(fake.n_findings, 1);
	return &fake.findings[0];
}

void assert_denied(const struct finding *f, const char *rule_id, enum finding_action action,
		   bool in_kernel, uint32_t pid)
{
	assert_int_equal(f->kind, FINDING_PROCESS_DENIED);
	assert_non_null(f->rule);
	assert_string_equal(policy_rule_id(f->rule), rule_id);
	assert_int_equal(f->action, action);
	assert_int_equal(f->in_kernel, in_kernel);
	assert_true(f->has_process);
	assert_int_equal(f->process.pid, pid);
}

size_t count_kind(enum finding_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.n_findings; i++)
		n += fake.findings[i].kind == k;
	return n;
}

/* --- the policy in force ------------------------------------------------------------ */

/* Nothing fails for a rule of another policy; *ret_since is left alone. */
static void test_rule_not_in_force(void **state)
{
	struct ctx *c = start(state);
	policy *other = load_fixture("engine.json");
	usec_t since = 42;

	assert_false(engine_rule_failing(c->e, policy_rule_find(other, "require-vpn"), &since));
	assert_int_equal(since, 42);
	policy_unref(other);
}

static void test_invalid_policy_finding(void **state)
{
	struct ctx *c = start(state);
	const struct finding *f;

	engine_report_invalid_policy(c->e, "/etc/postured/policy.json:3:9: error: broken");
	f = only_finding();
	assert_int_equal(f->kind, FINDING_POLICY_INVALID);
	assert_null(f->rule);
	assert_ptr_equal(f->policy, c->p);
	assert_int_equal(f->action, FINDING_ACTION_NONE);
	assert_false(f->has_process);
	assert_string_equal(f->detail, "/etc/postured/policy.json:3:9: error: broken");
	/* The policy in force is untouched. */
	assert_ptr_equal(engine_policy(c->e), c->p);
}

/* --- the OCSF shape ------------------------------------------------------------------ */

static yajl_val render(const struct finding *f)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

	assert_non_null(g);
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	format_finding(g, f, "00112233445566778899aabbccddeeff", &fixture_device);
	return fixture_json_parse(g);
}

#define get(v, ...) yajl_tree_get((v), (const char *[]){ __VA_ARGS__, NULL }, yajl_t_any)

static long long get_int(yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);

	if (!v || !YAJL_IS_INTEGER(v))
		fail_msg("expected an integer at %s...", path[0]);
	return YAJL_GET_INTEGER(v);
}

static const char *get_str(yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);

	if (!v || !YAJL_IS_STRING(v))
		fail_msg("expected a string at %s...", path[0]);
	return YAJL_GET_STRING(v);
}

#define INT_AT(v, ...) get_int((v), (const char *[]){ __VA_ARGS__, NULL })
#define STR_AT(v, ...) get_str((v), (const char *[]){ __VA_ARGS__, NULL })

static void assert_has_host_profile(yajl_val root)
{
	yajl_val profiles = get(root, "metadata", "profiles");
	bool host = false;

	assert_non_null(profiles);
	assert_true(YAJL_IS_ARRAY(profiles));
	for (size_t i = 0; i < profiles->u.array.len; i++) {
		yajl_val s = profiles->u.array.values[i];

		const char *t = YAJL_IS_STRING(s) ? YAJL_GET_STRING(s) : NULL;

		host |= t && strcmp(t, "host") == 0;
	}
	assert_true(host);
	/* The device the host profile asks for. */
	assert_string_equal(STR_AT(root, "device", "uid"), fixture_device.uid);
}

static void test_format_killed(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev =
		exec_matched(300, 200, "/tmp/ncat", RULE_KILL_NCAT, EVENT_ACTION_KILL, fake.gen);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	yajl_val v;

	known(c, 200, 1, "/usr/bin/bash");
	feed(c, &ev, T0);
	root = render(only_finding());
	assert_int_equal(INT_AT(root, "class_uid"), 2003);
	assert_int_equal(INT_AT(root, "type_uid"), 200301);
	assert_int_equal(INT_AT(root, "activity_id"), 1);
	assert_int_equal(INT_AT(root, "status_id"), 1);
	assert_string_equal(STR_AT(root, "status"), "New");
	assert_int_equal(INT_AT(root, "severity_id"), 4); /* high */
	assert_int_equal(INT_AT(root, "time"), 1700000000000LL);
	assert_int_equal(INT_AT(root, "compliance", "status_id"), 3);
	assert_string_equal(STR_AT(root, "compliance", "status"), "Fail");
	assert_string_equal(STR_AT(root, "compliance", "control"), "kill-ncat");
	assert_string_equal(STR_AT(root, "finding_info", "uid"),
			    "00112233445566778899aabbccddeeff");
	assert_string_equal(STR_AT(root, "finding_info", "analytic", "uid"), "kill-ncat");
	assert_string_equal(STR_AT(root, "finding_info", "title"), "ncat");
	assert_has_host_profile(root);
	assert_int_equal(INT_AT(root, "action_id"), 2);
	assert_string_equal(STR_AT(root, "disposition"), "Blocked");

	/* Ours: what was done, by which rule, and every language of its texts. */
	assert_string_equal(STR_AT(root, "postured", "finding"), "process_denied");
	assert_string_equal(STR_AT(root, "postured", "action"), "killed");
	v = get(root, "postured", "before_first_instruction");
	assert_non_null(v);
	assert_true(YAJL_IS_TRUE(v));
	assert_string_equal(STR_AT(root, "postured", "mode"), "enforce");
	assert_string_equal(STR_AT(root, "postured", "rule_id"), "kill-ncat");
	assert_string_equal(STR_AT(root, "postured", "policy_id"), "engine-test");
	assert_int_equal(INT_AT(root, "postured", "policy_serial"), 7);
	assert_string_equal(STR_AT(root, "postured", "message", "en"),
			    "ncat lets other computers connect to this laptop.");
	assert_string_equal(STR_AT(root, "postured", "message", "ja"),
			    "ncat はほかのコンピューターからこのPCへの接続を許します。");
	assert_string_equal(STR_AT(root, "postured", "message", "pt-BR"),
			    "O ncat permite conexões de outros computadores.");
	assert_string_equal(STR_AT(root, "postured", "remediation", "ja"),
			    "ncat を終了してください。");
	assert_string_equal(STR_AT(root, "postured", "contact"), "it-help@example.com");

	/* The evidence: the process and its parent. */
	v = get(root, "evidences");
	assert_non_null(v);
	assert_true(YAJL_IS_ARRAY(v));
	assert_int_equal(v->u.array.len, 1);
	v = v->u.array.values[0];
	assert_int_equal(INT_AT(v, "process", "pid"), 300);
	assert_string_equal(STR_AT(v, "process", "file", "path"), "/tmp/ncat");
	assert_int_equal(INT_AT(v, "process", "parent_process", "pid"), 200);
	assert_string_equal(STR_AT(v, "process", "parent_process", "file", "path"),
			    "/usr/bin/bash");
	v = get(root, "postured", "ancestors");
	assert_non_null(v);
	assert_true(YAJL_IS_ARRAY(v));
	assert_int_equal(v->u.array.len, 1);
}

static void test_format_reported_and_failed(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(303, 1, USER_UID, "/usr/bin/socat");
	_cleanup_(yajl_tree_freep) yajl_val root = NULL, failed = NULL;

	feed(c, &ev, T0);
	root = render(only_finding());
	assert_string_equal(STR_AT(root, "postured", "action"), "reported");
	assert_string_equal(STR_AT(root, "postured", "mode"), "monitor");
	assert_null(get(root, "postured", "before_first_instruction"));
	assert_int_equal(INT_AT(root, "action_id"), 1);
	assert_string_equal(STR_AT(root, "disposition"), "Logged");

	fake.n_findings = 0;
	fake.kill_result = -EPERM;
	ev = exec_of(304, 1, ROOT_UID, "/usr/bin/nc");
	feed(c, &ev, T0);
	failed = render(only_finding());
	assert_string_equal(STR_AT(failed, "postured", "action"), "kill_failed");
	assert_string_equal(STR_AT(failed, "disposition"), "Error");
}

static void test_format_userspace_kill(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(301, 1, ROOT_UID, "/usr/bin/nc");
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	yajl_val v;

	feed(c, &ev, T0);
	root = render(only_finding());
	assert_string_equal(STR_AT(root, "postured", "action"), "killed");
	v = get(root, "postured", "before_first_instruction");
	assert_non_null(v);
	assert_true(YAJL_IS_FALSE(v));
}

static void test_format_require(void **state)
{
	struct ctx *c = start(state);
	struct decoded_event ev = exec_of(60, 1, ROOT_UID, "/usr/sbin/openvpn");
	_cleanup_(yajl_tree_freep) yajl_val absent = NULL, back = NULL;

	engine_tick(c->e, T0 + GRACE);
	feed(c, &ev, T0 + 2 * GRACE);
	assert_int_equal(fake.n_findings, 2);

	absent = render(&fake.findings[0]);
	assert_int_equal(INT_AT(absent, "class_uid"), 2003);
	assert_int_equal(INT_AT(absent, "type_uid"), 200301);
	assert_string_equal(STR_AT(absent, "status"), "New");
	assert_int_equal(INT_AT(absent, "compliance", "status_id"), 3);
	assert_string_equal(STR_AT(absent, "finding_info", "analytic", "uid"), "require-vpn");
	assert_string_equal(STR_AT(absent, "postured", "finding"), "required_absent");
	assert_string_equal(STR_AT(absent, "postured", "action"), "none");
	assert_string_equal(STR_AT(absent, "postured", "message", "en"), "The VPN is not running.");
	assert_string_equal(STR_AT(absent, "postured", "message", "ja"), "VPN が動いていません。");
	assert_has_host_profile(absent);
	/* A state, not an action on a process. */
	assert_null(get(absent, "action_id"));
	assert_null(get(absent, "evidences"));

	back = render(&fake.findings[1]);
	assert_int_equal(INT_AT(back, "type_uid"), 200303);
	assert_int_equal(INT_AT(back, "activity_id"), 3);
	assert_int_equal(INT_AT(back, "status_id"), 4);
	assert_string_equal(STR_AT(back, "status"), "Resolved");
	assert_int_equal(INT_AT(back, "compliance", "status_id"), 1);
	assert_string_equal(STR_AT(back, "compliance", "status"), "Pass");
	assert_string_equal(STR_AT(back, "finding_info", "analytic", "uid"), "require-vpn");
	assert_string_equal(STR_AT(back, "postured", "finding"), "required_returned");
	assert_has_host_profile(back);
}

static void test_format_invalid_policy(void **state)
{
	struct ctx *c = start(state);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	engine_report_invalid_policy(c->e, "policy.json:1:1: error: not JSON");
	root = render(only_finding());
	assert_int_equal(INT_AT(root, "class_uid"), 2003);
	assert_int_equal(INT_AT(root, "type_uid"), 200301);
	assert_int_equal(INT_AT(root, "compliance", "status_id"), 3);
	assert_null(get(root, "finding_info", "analytic"));
	assert_string_equal(STR_AT(root, "finding_info", "desc"),
			    "policy.json:1:1: error: not JSON");
	assert_string_equal(STR_AT(root, "postured", "finding"), "policy_invalid");
	assert_string_equal(STR_AT(root, "postured", "detail"), "policy.json:1:1: error: not JSON");
	/* The policy that stays in force. */
	assert_string_equal(STR_AT(root, "postured", "policy_id"), "engine-test");
	assert_has_host_profile(root);
}

static int test_engine_core(void)
{
	const struct CMUnitTest tests[] = {
		/* the policy in force */
		T(test_rule_not_in_force),
		T(test_invalid_policy_finding),
		/* the OCSF shape */
		T(test_format_killed),
		T(test_format_reported_and_failed),
		T(test_format_userspace_kill),
		T(test_format_require),
		T(test_format_invalid_policy),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}

int main(void)
{
	int failed = 0;

	failed += test_engine_core();
	failed += test_engine_process();
	failed += test_engine_checks();
	failed += test_engine_net();
	return failed;
}
