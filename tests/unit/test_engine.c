// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy engine without a kernel: fake engine_ops record the filter
 * entries, kills and findings; exec, fork and exit records are built by hand
 * and go through a real process table the way the agent feeds them.  The
 * policy is tests/fixtures/agent-policies/engine.json unless a test says
 * otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "postured/checks/checks.h"
#include "postured/checks/runner.h"
#include "postured/engine.h"
#include "postured/format.h"
#include "basic/json-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);

#define T0	 (1000 * USEC_PER_SEC) /* CLOCK_MONOTONIC of the first policy */
#define GRACE	 (60 * USEC_PER_SEC) /* require-vpn's grace_seconds */
#define ROOT_UID 0
#define USER_UID 1000

/* Rule numbers of engine.json as the kernel filter carries them (1-based). */
enum {
	RULE_KILL_NCAT = 1,
	RULE_KILL_PATH_TRUE,
	RULE_REPORT_SOCAT,
	RULE_LONG_NAME,
	RULE_FALSE_AS_ROOT,
	RULE_DISABLED,
	RULE_NC_AS_ROOT,
	RULE_REQUIRE_VPN,
	RULE_KILL_LONG_NAMES,
};

/* Longer than the 63 bytes of a name the kernel's filter keys hold. */
#define NAME_TOO_LONG "averyveryverylongnamethatgoesonandonpastthesixtythreebytesofthekernelkey"
#define NAME_63	      "a-name-of-exactly-sixty-three-bytes-which-the-kernel-keeps-whol"

/* --- the fake system ---------------------------------------------------------- */

enum entry_type {
	ENTRY_INODE,
	ENTRY_NAME,
	ENTRY_PATH,
};

struct entry {
	enum entry_type type;
	char key[EVENT_PATH_LEN];
	uint64_t dev, ino;
	struct filter_verdict v;
};

#define ENTRIES_MAX  64
#define FINDINGS_MAX 16
#define KILLS_MAX    8

static struct fake {
	/* The fill in progress, and what the last commit put in force. */
	struct entry filling[ENTRIES_MAX], committed[ENTRIES_MAX];
	size_t n_filling, n_committed;
	uint32_t gen;
	bool open;
	unsigned begins, commits, adds;
	int fail_add_at; /* the add (1-based, counted from the begin) that fails; 0: none */

	struct {
		uint32_t pid;
		nsec_t start_boot;
	} kills[KILLS_MAX];
	size_t n_kills;
	int kill_result;

	const char *exe_path; /* what /proc/PID/exe says; NULL: the process is gone */

	uint32_t tracked[KILLS_MAX]; /* pids handed to ops->track */
	size_t n_tracked;

	struct finding findings[FINDINGS_MAX];
	size_t n_findings;

	const policy *net_applied; /* what the last successful net_apply put in force */
	unsigned net_applies;
	const policy *net_applied_seq[8]; /* every successful net_apply, in order */
	int net_apply_result;
	unsigned state_changes;
} fake;

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

static int fake_filter_commit(void *ctx, bool open)
{
	fake.commits++;
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

static const struct engine_ops fake_ops = {
	.filter_begin = fake_filter_begin,
	.filter_add_inode = fake_filter_add_inode,
	.filter_add_name = fake_filter_add_name,
	.filter_add_path = fake_filter_add_path,
	.filter_commit = fake_filter_commit,
	.filter_gen = fake_filter_gen,
	.kill = fake_kill,
	.exe_path = fake_exe_path,
	.track = fake_track,
	.exe_open = fake_exe_open,
	.finding = fake_finding,
};

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
static const struct engine_ops fake_ops_net = {
	.filter_begin = fake_filter_begin,
	.filter_add_inode = fake_filter_add_inode,
	.filter_add_name = fake_filter_add_name,
	.filter_add_path = fake_filter_add_path,
	.filter_commit = fake_filter_commit,
	.filter_gen = fake_filter_gen,
	.kill = fake_kill,
	.exe_path = fake_exe_path,
	.track = fake_track,
	.exe_open = fake_exe_open,
	.finding = fake_finding,
	.state_changed = fake_state_changed,
	.net_apply = fake_net_apply,
};

/* --- fixtures ------------------------------------------------------------------- */

/* Overridable for out-of-tree runs; by default found next to this source file. */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	const char *env = getenv("POSTURED_TEST_FIXTURES");
	const char *slash = strrchr(__FILE__, '/');

	if (env)
		snprintf(path, sizeof(path), "%s/agent-policies/%s", env, name);
	else
		snprintf(path, sizeof(path), "%.*s/../fixtures/agent-policies/%s",
			 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	return path;
}

static policy *load_fixture(const char *name)
{
	policy_errors *errs = policy_errors_new();
	policy *p = NULL;
	int r;

	assert_non_null(errs);
	r = policy_load(fixture(name), errs, &p);
	if (r < 0) {
		char *line = NULL;

		if (policy_errors_count(errs) > 0)
			assert_int_equal(policy_error_format(policy_errors_get(errs, 0), &line), 0);
		fail_msg("%s does not load (%s): %s", fixture(name), strerror(-r),
			 line ? line : "no error listed");
	}
	policy_errors_free(errs);
	return p;
}

static policy *parse_text(const char *json)
{
	policy_errors *errs = policy_errors_new();
	policy *p = NULL;
	int r;

	assert_non_null(errs);
	r = policy_parse("inline.json", json, strlen(json), errs, &p);
	if (r < 0) {
		char *line = NULL;

		if (policy_errors_count(errs) > 0)
			assert_int_equal(policy_error_format(policy_errors_get(errs, 0), &line), 0);
		fail_msg("inline policy does not parse: %s", line ? line : strerror(-r));
	}
	policy_errors_free(errs);
	return p;
}

/* A policy of one deny rule matching `match` (a JSON object's inside), in enforce mode. */
static policy *one_rule(const char *id, const char *match)
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

struct ctx {
	proctab *procs;
	hashcache *hashes;
	engine *e;
	policy *p; /* engine.json */
};

static int setup(void **state)
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

static int teardown(void **state)
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
static struct ctx *start(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(engine_set_policy(c->e, c->p, T0), 0);
	assert_ptr_equal(engine_policy(c->e), c->p);
	return c;
}

/* A new engine on the fake ops with a network probe and state changes, and p in force at T0. */
static struct ctx *start_counting(void **state, policy *p)
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
static struct decoded_event exec_of(uint32_t pid, uint32_t ppid, uint32_t uid, const char *path)
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
static struct decoded_event exec_matched(uint32_t pid, uint32_t ppid, const char *path,
					 uint32_t rule, uint16_t action, uint32_t gen)
{
	struct decoded_event ev = exec_of(pid, ppid, USER_UID, path);

	ev.exec.match_rule = rule;
	ev.exec.match_action = action;
	ev.exec.match_gen = (uint16_t)(gen & 0xffff);
	ev.exec.killed = action == EVENT_ACTION_KILL;
	return ev;
}

static struct decoded_event fork_of(uint32_t pid, uint32_t ppid, const char *comm)
{
	struct decoded_event ev = { .kind = EVENT_KIND_FORK };

	task_init(&ev.task, pid, ppid, USER_UID, comm);
	return ev;
}

static struct decoded_event exit_of(uint32_t pid, uint32_t ppid)
{
	struct decoded_event ev = { .kind = EVENT_KIND_EXIT };

	task_init(&ev.task, pid, ppid, USER_UID, "");
	return ev;
}

/* As the agent does: the table sees exec and fork first, exit after the engine. */
static void feed(struct ctx *c, const struct decoded_event *ev, usec_t now)
{
	if (ev->kind != EVENT_KIND_EXIT)
		assert_int_equal(proctab_apply(c->procs, ev), 0);
	engine_on_event(c->e, ev, now);
	if (ev->kind == EVENT_KIND_EXIT)
		assert_int_equal(proctab_apply(c->procs, ev), 0);
}

/* A process known before the policy: straight into the table. */
static void known(struct ctx *c, uint32_t pid, uint32_t ppid, const char *path)
{
	struct decoded_event ev = exec_of(pid, ppid, USER_UID, path);

	assert_int_equal(proctab_apply(c->procs, &ev), 0);
}

/* --- checks ---------------------------------------------------------------------- */

static const struct entry *find_entry(enum entry_type type, const char *key)
{
	for (size_t i = 0; i < fake.n_committed; i++)
		if (fake.committed[i].type == type && strcmp(fake.committed[i].key, key) == 0)
			return &fake.committed[i];
	return NULL;
}

static const struct entry *find_inode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	for (size_t i = 0; i < fake.n_committed; i++)
		if (fake.committed[i].type == ENTRY_INODE && fake.committed[i].dev == st.st_dev &&
		    fake.committed[i].ino == st.st_ino)
			return &fake.committed[i];
	return NULL;
}

static size_t entries_of_rule(uint32_t rule)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.n_committed; i++)
		n += fake.committed[i].v.rule == rule;
	return n;
}

static void assert_entry(const struct entry *e, uint32_t rule, uint32_t action)
{
	assert_non_null(e);
	assert_int_equal(e->v.rule, rule);
	assert_int_equal(e->v.action, action);
}

static const struct finding *only_finding(void)
{
	assert_int_equal(fake.n_findings, 1);
	return &fake.findings[0];
}

static void assert_denied(const struct finding *f, const char *rule_id, enum finding_action action,
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

static size_t count_kind(enum finding_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.n_findings; i++)
		n += fake.findings[i].kind == k;
	return n;
}

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

/* --- policy findings ------------------------------------------------------------------ */

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

static const struct device_info test_device = {
	.uid = "0123456789abcdef0123456789abcdef",
	.boot_uid = "fedcba9876543210fedcba9876543210",
	.hostname = "laptop-042",
	.type_id = 3,
	.os_name = "Debian GNU/Linux",
	.os_version = "12",
	.kernel_release = "6.1.0-test",
};

static yajl_val render(const struct finding *f)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *text, err[256] = "";
	yajl_val root;
	size_t len;

	assert_non_null(g);
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	format_finding(g, f, "00112233445566778899aabbccddeeff", &test_device);
	assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
	assert_null(memchr(buf, '\n', len));
	text = strndup((const char *)buf, len);
	assert_non_null(text);
	root = yajl_tree_parse(text, err, sizeof(err));
	if (!root)
		fail_msg("finding does not parse (%s): %s", err, text);
	free(text);
	assert_true(YAJL_IS_OBJECT(root));
	return root;
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
	assert_string_equal(STR_AT(root, "device", "uid"), test_device.uid);
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
		{ .protocol = POLICY_NET_TCP,
		  .family = AF_INET,
		  .port = 8080,
		  .uid = USER_UID,
		  .pid = 31,
		  .exe = "/usr/bin/python3" },
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
	struct engine_listener l = { .protocol = POLICY_NET_TCP,
				     .family = AF_INET,
				     .port = 8080,
				     .uid = USER_UID,
				     .pid = 31,
				     .exe = "/usr/bin/python3" };

	engine_on_network(c->e, &n);
	assert_int_equal(fake.n_findings, 1);
	assert_int_equal(fake.findings[0].action, FINDING_ACTION_REPORTED);
	assert_false(engine_rule_failing(c->e, rule, NULL));
	engine_judge_listeners(c->e, &l, 1);
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
	struct engine_listener l = { .protocol = POLICY_NET_TCP,
				     .family = AF_INET,
				     .port = 8080,
				     .uid = USER_UID,
				     .pid = 31,
				     .exe = "/usr/bin/python3" };

	engine_judge_listeners(c->e, &l, 1);
	assert_int_equal(fake.n_findings, 1);
	assert_true(engine_rule_failing(c->e, policy_rule_find(c->p, "listeners"), NULL));

	assert_int_equal(engine_set_policy(c->e, again, T0 + 1), 0);
	assert_false(engine_rule_failing(c->e, policy_rule_find(again, "listeners"), NULL));
	engine_judge_listeners(c->e, &l, 1);
	assert_int_equal(fake.n_findings, 2);
	assert_ptr_equal(fake.findings[1].policy, again);
	assert_true(engine_rule_failing(c->e, policy_rule_find(again, "listeners"), NULL));
	policy_unref(again);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
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
		T(test_rule_not_in_force),
		T(test_check_jobs_enabled_only),
		T(test_check_results_change),
		T(test_check_results_of_other_policy_dropped),
		T(test_check_results_carried_by_reload),
		T(test_invalid_policy_finding),
		T(test_format_killed),
		T(test_format_reported_and_failed),
		T(test_format_userspace_kill),
		T(test_format_require),
		T(test_format_invalid_policy),
		T(test_net_kernel_denial),
		T(test_net_stale_rejudged),
		T(test_net_apply_failure_keeps_old),
		T(test_net_restored_when_filter_fails),
		T(test_net_listeners),
		T(test_net_reported_bind_is_a_listener),
		T(test_net_listeners_afresh_after_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
