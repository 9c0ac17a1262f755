// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy in the real kernel, through the real daemon: each test writes a
 * policy (from the templates in tests/fixtures/agent-policies/) about a
 * uniquely named copy of tests/helpers/write_marker, whose first action is to
 * create the file named by its first argument, starts build/postured with it,
 * runs the copy, and checks what happened to the copy (its wait status, the
 * marker) and the findings postured printed.  Tests that look at one agent
 * from several sides (required_program, reload, filter_closed_*) share it
 * through a fixture; one that needs an earlier one's step does the step
 * itself when it runs alone.  Needs root; tests/run-integration runs it after
 * mounting bpffs and tracefs.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../../probes/events.h"

/* A finding must be printed within this long of what caused it. */
#define FINDING_TIMEOUT_MS 3000
/* A required program's grace (1 s in require.json.in), the timer, and slack. */
#define REQUIRE_TIMEOUT_MS 3500
#define CHILD_TIMEOUT_MS   5000
/* How long a copy that userspace must kill keeps running (write_marker's SECONDS). */
#define SLEEP_SECONDS "30"
/* Unremarkable execs the closed filter must keep in the kernel. */
#define QUIET_EXECS 200

/* --- the copy's digest -------------------------------------------------------- */

static int sha256_file(const char *path, char hex[65])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned len = 0;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return harness_fail("Cannot open %s: %m", path);
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return harness_fail("Cannot set up SHA-256");
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			r = -1;
	if (n < 0 || r < 0 || EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
		r = harness_fail("Cannot hash %s", path);
	EVP_MD_CTX_free(ctx);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* --- the agent ----------------------------------------------------------------- */

static int start_agent(const struct harness_policy_env *e, const char *flavor, bool print_events,
		       struct harness_agent **ret)
{
	struct harness_agent_opts o = {
		.flavor = flavor,
		.config = e->config,
		.no_print_events = !print_events,
	};

	return harness_agent_start(&o, ret);
}

/* Checks a process_denied finding: rule, action, and where the kill happened. */
static int check_denied(yajl_val f, pid_t pid, const char *action, int in_kernel, const char *mode)
{
	yajl_val before = harness_json(f, "postured", "before_first_instruction");

	EXPECT_JSON_INT("finding", f, 2003, "class_uid");
	EXPECT_JSON_INT("finding", f, 200301, "type_uid");
	EXPECT_JSON_STR("finding", f, "deny-marker", "finding_info", "analytic", "uid");
	EXPECT_JSON_STR("finding", f, "deny-marker", "postured", "rule_id");
	EXPECT_JSON_STR("finding", f, action, "postured", "action");
	EXPECT_JSON_STR("finding", f, mode, "postured", "mode");
	CHECK(harness_finding_pid(f) == pid, "the finding is about pid %lld, expected %d",
	      harness_finding_pid(f), (int)pid);
	if (in_kernel < 0) {
		EXPECT_JSON_ABSENT("finding", f, "postured", "before_first_instruction");
	} else {
		CHECK(before && (in_kernel ? YAJL_IS_TRUE(before) : YAJL_IS_FALSE(before)),
		      "the finding should say before_first_instruction: %s",
		      in_kernel ? "true" : "false");
	}
	return 0;
}

/* --- children ------------------------------------------------------------------ */

/* Starts path (the copy, or a link to it) with the marker and, when given, a sleep. */
static int run_marker(const char *path, const char *marker, const char *sleep_seconds,
		      pid_t *ret_pid)
{
	char *argv[] = { (char *)path, (char *)marker, (char *)sleep_seconds, NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

	return harness_spawn(path, argv, &o, ret_pid);
}

static int wait_gone(pid_t *pid, int *ret_status)
{
	int r = harness_wait_child(*pid, CHILD_TIMEOUT_MS, ret_status);

	/* Reaped either way (harness_wait_child kills one that does not end). */
	*pid = 0;
	return r;
}

static int expect_sigkill(int status, const char *what)
{
	char d[128];

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "%s should have been killed with SIGKILL; it ended with %s", what,
	      harness_describe_status(status, d, sizeof(d)));
	return 0;
}

static int expect_exit0(int status, const char *what)
{
	char d[128];

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s should have run to its end (exit status 0); it ended with %s", what,
	      harness_describe_status(status, d, sizeof(d)));
	return 0;
}

/*
 * Runs path and expects the kernel to kill it before its first instruction:
 * SIGKILL, no marker, and a "killed" finding made in the kernel.
 */
static int expect_kernel_kill(struct harness_agent *a, struct harness_policy_env *e,
			      const char *path)
{
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	_cleanup_child_ pid_t child = 0;
	const char *marker = harness_policy_env_marker(e);
	pid_t pid;
	int status;

	TRY(run_marker(path, marker, NULL, &child));
	pid = child;
	TRY(wait_gone(&child, &status));
	TRY(expect_sigkill(status, path));
	TRY(harness_wait_finding(a, "process_denied", pid, FINDING_TIMEOUT_MS, &f));
	TRY(check_denied(f, pid, "killed", true, "enforce"));
	CHECK(access(marker, F_OK) < 0 && errno == ENOENT,
	      "the marker %s exists: the program ran before it was killed", marker);
	return 0;
}

/* --- (1) a name rule in enforce mode: killed in the kernel ---------------------- */

struct name_case {
	const char *flavor;
	const char *prefix; /* of the copy's name */
};

/* A name longer than a comm (15 bytes) that the kernel's filter still keys whole (63). */
#define LONG_PREFIX "pe-a-program-name-longer-than-a-comm-not-than-a-key"

static int test_enforce_name(const void *arg)
{
	const struct name_case *c = arg;
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	char link[PATH_MAX + 16];
	long long kills;

	TRY(harness_policy_env_init(&e, c->prefix));
	TRY(harness_policy_env_deny(&e, "enforce", 1, NULL));
	/* Rules mean the executable's own name, not that of a link it is started by. */
	snprintf(link, sizeof(link), "%s/innocent", e.dir);
	if (symlink(e.prog, link) < 0)
		return harness_fail("Cannot create the symlink %s: %m", link);
	TRY(start_agent(&e, c->flavor, true, &a));
	TRY(expect_kernel_kill(a, &e, e.prog));
	TRY(expect_kernel_kill(a, &e, link));
	TRY(harness_agent_stop_ok(a));
	CHECK(a->stats, "no \"Counters at stop:\" log line");
	CHECK(harness_json_int(harness_json(a->stats, "kernel_kills"), &kills) && kills == 2,
	      "the counters' kernel_kills should count the 2 kills");
	return 0;
}

/* --- (2) the same rule in monitor mode: reported, and it runs ------------------- */

static int test_monitor_name(const void *arg)
{
	const char *flavor = arg;
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	_cleanup_child_ pid_t child = 0;
	const char *marker;
	int status;
	pid_t pid;

	TRY(harness_policy_env_init(&e, "pm"));
	TRY(harness_policy_env_deny(&e, "monitor", 1, NULL));
	TRY(start_agent(&e, flavor, true, &a));
	marker = harness_policy_env_marker(&e);
	TRY(run_marker(e.prog, marker, NULL, &child));
	pid = child;
	TRY(wait_gone(&child, &status));
	TRY(expect_exit0(status, e.prog));
	CHECK(access(marker, F_OK) == 0, "the marker %s is missing: the program did not run",
	      marker);
	TRY(harness_wait_finding(a, "process_denied", pid, FINDING_TIMEOUT_MS, &f));
	TRY(check_denied(f, pid, "reported", -1, "monitor"));
	EXPECT_JSON_STR("finding", f, "Allowed", "action");
	EXPECT_JSON_STR("finding", f, "ポリシーのテスト用プログラムが動きました。", "postured",
			"message", "ja");
	return harness_agent_stop_ok(a);
}

/* --- (3) a path rule in enforce mode: killed by path and through a symlink ------- */

static int test_enforce_path(const void *arg)
{
	const char *flavor = arg;
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	char match[PATH_MAX + 16], link[PATH_MAX + 8];

	TRY(harness_policy_env_init(&e, "pp"));
	snprintf(match, sizeof(match), "\"path\": \"%s\"", e.prog);
	TRY(harness_policy_env_deny(&e, "enforce", 1, match));
	/* Another name and another path: only the executable's inode can tell. */
	snprintf(link, sizeof(link), "%s/link", e.dir);
	if (symlink(e.prog, link) < 0)
		return harness_fail("Cannot create the symlink %s: %m", link);
	TRY(start_agent(&e, flavor, true, &a));
	TRY(expect_kernel_kill(a, &e, e.prog));
	TRY(expect_kernel_kill(a, &e, link));
	return harness_agent_stop_ok(a);
}

/* --- (4) a rule only userspace can decide: killed from there -------------------- */

enum userspace_rule {
	RULE_NAME_AND_USER,
	RULE_SHA256,
	RULE_NAME_TOO_LONG, /* longer than the kernel's keys: it cannot tell it from others */
};

#define TOO_LONG_PREFIX "pu-a-program-name-longer-than-the-sixty-three-bytes-the-kernel-keys"

struct userspace_case {
	const char *flavor;
	enum userspace_rule rule;
};

static int test_enforce_userspace(const void *arg)
{
	const struct userspace_case *c = arg;
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val f = NULL;
	_cleanup_child_ pid_t child = 0;
	char match[NAME_MAX + 32], hex[65];
	const char *marker;
	int status;
	pid_t pid;

	TRY(harness_policy_env_init(&e, c->rule == RULE_NAME_TOO_LONG ? TOO_LONG_PREFIX : "pu"));
	if (c->rule == RULE_SHA256) {
		TRY(sha256_file(e.prog, hex));
		snprintf(match, sizeof(match), "\"sha256\": \"%s\"", hex);
	} else if (c->rule == RULE_NAME_TOO_LONG) {
		snprintf(match, sizeof(match), "\"name\": \"%s\"", e.name);
	} else {
		/* We are root, so is the child: uid 0 matches, but the kernel does not decide. */
		snprintf(match, sizeof(match), "\"name\": \"%s\", \"user\": 0", e.name);
	}
	TRY(harness_policy_env_deny(&e, "enforce", 1, match));
	TRY(start_agent(&e, c->flavor, true, &a));
	/*
	 * The program runs until the agent has judged its exec, so whether the
	 * marker appears is a race we do not assert on; it sleeps after writing
	 * it, so the kill from userspace lands while it still runs.
	 */
	marker = harness_policy_env_marker(&e);
	TRY(run_marker(e.prog, marker, SLEEP_SECONDS, &child));
	pid = child;
	TRY(wait_gone(&child, &status));
	TRY(expect_sigkill(status, e.prog));
	TRY(harness_wait_finding(a, "process_denied", pid, FINDING_TIMEOUT_MS, &f));
	TRY(check_denied(f, pid, "killed", false, "enforce"));
	if (c->rule == RULE_SHA256) {
		yajl_val hashes =
			harness_json(harness_finding_evidence(f), "process", "file", "hashes");

		CHECK(hashes && YAJL_IS_ARRAY(hashes) && hashes->u.array.len == 1,
		      "the finding should carry the executable's SHA-256");
		EXPECT_JSON_STR("finding", hashes->u.array.values[0], hex, "value");
	}
	return harness_agent_stop_ok(a);
}

/* --- (5) a required program: absent after its grace, then back ------------------- */

/* What the require tests share: the require policy naming the copy, and the agent. */
static struct require {
	struct harness_policy_env e;
	struct harness_agent *a;
	int64_t started;
	yajl_val absent; /* the required_absent finding, once it came */
} rq;

static int require_setup(const void *arg)
{
	rq = (struct require){};
	TRY(harness_policy_env_init(&rq.e, "rq"));
	TRY(harness_policy_env_template(&rq.e, "require.json.in",
					(const char *const[]){ "SERIAL", "1", "NAME", rq.e.name,
							       NULL }));
	TRY(start_agent(&rq.e, NULL, true, &rq.a));
	rq.started = harness_now_ms();
	return 0;
}

static int require_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&rq.a);

	yajl_tree_free(rq.absent);
	rq.absent = NULL;
	harness_policy_env_done(&rq.e);
	return r;
}

/* Nothing runs the program: after its grace the finding says it is absent (once). */
static int require_wait_absent(void)
{
	if (rq.absent)
		return 0;
	TRY(harness_wait_finding(rq.a, "required_absent", 0, REQUIRE_TIMEOUT_MS, &rq.absent));
	EXPECT_JSON_STR("finding", rq.absent, "require-marker", "finding_info", "analytic", "uid");
	EXPECT_JSON_STR("finding", rq.absent, "require-marker", "postured", "rule_id");
	EXPECT_JSON_INT("finding", rq.absent, 200301, "type_uid");
	EXPECT_JSON_INT("finding", rq.absent, 3, "compliance", "status_id");
	harness_note("required_absent %lld ms after READY=1 (grace 1 s)",
		     (long long)(harness_now_ms() - rq.started));
	return 0;
}

static int test_require_absent(const void *arg)
{
	return require_wait_absent();
}

/* The program starts and stays: the finding is resolved. */
static int test_require_returned(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val back = NULL;
	_cleanup_child_ pid_t child = 0;
	int status;

	TRY(require_wait_absent());
	TRY(run_marker(rq.e.prog, harness_policy_env_marker(&rq.e), SLEEP_SECONDS, &child));
	TRY(harness_wait_finding(rq.a, "required_returned", 0, FINDING_TIMEOUT_MS, &back));
	EXPECT_JSON_STR("finding", back, "require-marker", "finding_info", "analytic", "uid");
	EXPECT_JSON_INT("finding", back, 200303, "type_uid");
	EXPECT_JSON_STR("finding", back, "Resolved", "status");
	EXPECT_JSON_INT("finding", back, 1, "compliance", "status_id");

	(void)kill(child, SIGKILL);
	return wait_gone(&child, &status);
}

/* --- (6) reload: an invalid policy keeps the old one, a valid one replaces it ---- */

/* What the reload tests share: an enforce policy denying the copy by name, and the agent. */
static struct reload {
	struct harness_policy_env e;
	struct harness_agent *a;
} rl;

static int reload_setup(const void *arg)
{
	rl = (struct reload){};
	TRY(harness_policy_env_init(&rl.e, "pr"));
	TRY(harness_policy_env_deny(&rl.e, "enforce", 1, NULL));
	return start_agent(&rl.e, NULL, true, &rl.a);
}

static int reload_teardown(const void *arg)
{
	int r = harness_agent_stop_freep(&rl.a);

	harness_policy_env_done(&rl.e);
	return r;
}

/* A broken file replaces the policy (renamed over it): refused, the deny stays. */
static int test_reload_invalid_keeps_old(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val invalid = NULL;
	_cleanup_free_ char *broken = NULL;
	const char *detail;

	TRY(expect_kernel_kill(rl.a, &rl.e, rl.e.prog));
	TRY(harness_read_text(harness_source_path("tests/fixtures/agent-policies/invalid.json"),
			      &broken));
	TRY(harness_replace_file(rl.e.policy, broken));
	TRY(harness_wait_finding(rl.a, "policy_invalid", 0, FINDING_TIMEOUT_MS, &invalid));
	detail = harness_json_str(harness_json(invalid, "postured", "detail"));
	CHECK(detail && strstr(detail, rl.e.policy),
	      "the policy_invalid finding should name the refused file %s; its detail: %s",
	      rl.e.policy, detail ? detail : "(none)");
	/* The policy still in force. */
	EXPECT_JSON_STR("policy_invalid finding", invalid, "policy-enforce-it", "postured",
			"policy_id");
	EXPECT_JSON_INT("policy_invalid finding", invalid, 1, "postured", "policy_serial");
	return expect_kernel_kill(rl.a, &rl.e, rl.e.prog);
}

/* A valid policy in monitor mode, and SIGHUP: it runs and is reported. */
static int test_reload_sighup_replaces(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val reported = NULL;
	_cleanup_child_ pid_t child = 0;
	const char *marker;
	int status;
	pid_t pid;

	TRY(harness_policy_env_deny(&rl.e, "monitor", 2, NULL));
	if (kill(rl.a->pid, SIGHUP) < 0)
		return harness_fail("Cannot send SIGHUP to postured: %m");
	CHECK(harness_agent_wait_stderr(rl.a, "Received SIGHUP", FINDING_TIMEOUT_MS) == 1,
	      "postured did not log the SIGHUP. Its stderr: %s", harness_agent_stderr(rl.a));
	CHECK(harness_agent_wait_stderr(rl.a, "(serial 2, monitor mode", FINDING_TIMEOUT_MS) == 1,
	      "postured did not put serial 2 in force. Its stderr: %s", harness_agent_stderr(rl.a));
	marker = harness_policy_env_marker(&rl.e);
	TRY(run_marker(rl.e.prog, marker, NULL, &child));
	pid = child;
	TRY(wait_gone(&child, &status));
	TRY(expect_exit0(status, rl.e.prog));
	CHECK(access(marker, F_OK) == 0, "the marker %s is missing: the program did not run",
	      marker);
	TRY(harness_wait_finding(rl.a, "process_denied", pid, FINDING_TIMEOUT_MS, &reported));
	TRY(check_denied(reported, pid, "reported", -1, "monitor"));
	EXPECT_JSON_INT("finding", reported, 2, "postured", "policy_serial");
	return 0;
}

/* --- (7) the filter closed: quiet execs stay in the kernel ---------------------- */

/* The sum over CPUs of the kernel counter idx, from the agent's "stats" map. */
static int kernel_stat(pid_t agent, unsigned idx, unsigned long long *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	struct harness_bpf_ids ids;

	TRY(harness_bpf_ids_of(agent, &ids));
	for (size_t i = 0; i < ids.nmap && ncpus > 0; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		_cleanup_free_ __u64 *values = NULL;
		_cleanup_close_ int mfd = bpf_map_get_fd_by_id(ids.map[i]);

		if (mfd < 0 || bpf_obj_get_info_by_fd(mfd, &info, &len) < 0)
			continue;
		if (strcmp(info.name, "stats") != 0 || info.type != BPF_MAP_TYPE_PERCPU_ARRAY)
			continue;
		values = calloc((size_t)ncpus, sizeof(*values));
		if (!values)
			return harness_fail("Out of memory");
		if (bpf_map_lookup_elem(mfd, &idx, values) < 0)
			return harness_fail("Cannot read the stats map: %m");
		*ret = 0;
		for (int c = 0; c < ncpus; c++)
			*ret += values[c];
		return 0;
	}
	return harness_fail("postured (pid %d) holds no \"stats\" map", (int)agent);
}

/*
 * What the closed-filter tests of one flavour share: an enforce policy
 * denying the copy by name, and the agent without --print-events, so the
 * kernel keeps every exec no rule cares about.  Each step happens once.
 */
static struct filter {
	struct harness_policy_env e;
	struct harness_agent *a;
	bool quiet_done, denied_done, stopped;
} fc;

static int filter_setup(const void *arg)
{
	const char *flavor = arg;

	fc = (struct filter){};
	TRY(harness_policy_env_init(&fc.e, "pf"));
	TRY(harness_policy_env_deny(&fc.e, "enforce", 1, NULL));
	return start_agent(&fc.e, flavor, false, &fc.a);
}

static int filter_teardown(const void *arg)
{
	int r = fc.a && !fc.stopped ? harness_agent_stop_ok(fc.a) : 0;

	fc.a = harness_agent_free(fc.a);
	harness_policy_env_done(&fc.e);
	return r;
}

/* QUIET_EXECS runs of /bin/true: the kernel keeps them all from userspace. */
static int filter_quiet_execs(void)
{
	_cleanup_child_ pid_t storm = 0;
	unsigned long long before, after;
	char count[16];
	int status;

	if (fc.quiet_done)
		return 0;
	TRY(kernel_stat(fc.a->pid, EVENT_STAT_EXEC_FILTERED, &before));
	snprintf(count, sizeof(count), "%d", QUIET_EXECS);
	{
		char *argv[] = { (char *)harness_helper("spawn_storm"), count, "/bin/true", NULL };
		struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

		TRY(harness_spawn(argv[0], argv, &o, &storm));
	}
	TRY(harness_wait_child(storm, 60000, &status));
	storm = 0;
	TRY(expect_exit0(status, "spawn_storm"));
	TRY(kernel_stat(fc.a->pid, EVENT_STAT_EXEC_FILTERED, &after));
	harness_note("%llu execs kept in the kernel", after - before);
	CHECK(after - before >= QUIET_EXECS,
	      "the kernel filter should have kept at least %d execs from userspace; it kept %llu",
	      QUIET_EXECS, after - before);
	fc.quiet_done = true;
	return 0;
}

/* A denied program is still killed, and said so in the log. */
static int filter_denied(void)
{
	_cleanup_child_ pid_t child = 0;
	char want[PATH_MAX + 128];
	const char *marker;
	int status;
	pid_t pid;

	if (fc.denied_done)
		return 0;
	marker = harness_policy_env_marker(&fc.e);
	TRY(run_marker(fc.e.prog, marker, NULL, &child));
	pid = child;
	TRY(wait_gone(&child, &status));
	TRY(expect_sigkill(status, fc.e.prog));
	CHECK(access(marker, F_OK) < 0, "the marker %s exists: the program ran", marker);
	snprintf(want, sizeof(want), "Rule deny-marker: process_denied (pid %d, %s): killed.",
		 (int)pid, fc.e.prog);
	CHECK(harness_agent_wait_stderr(fc.a, want, FINDING_TIMEOUT_MS) == 1,
	      "postured did not log \"%s\". Its stderr: %s", want, harness_agent_stderr(fc.a));
	fc.denied_done = true;
	return 0;
}

/* After the quiet execs and the denied one, the agent stops cleanly. */
static int filter_stop(void)
{
	if (fc.stopped)
		return 0;
	TRY(filter_quiet_execs());
	TRY(filter_denied());
	fc.stopped = true;
	return harness_agent_stop_ok(fc.a);
}

static int test_filter_quiet_execs(const void *arg)
{
	return filter_quiet_execs();
}

static int test_filter_denied(const void *arg)
{
	return filter_denied();
}

static int test_filter_stdout_silent(const void *arg)
{
	TRY(filter_stop());
	CHECK(fc.a->event_lines == 0,
	      "without --print-events postured should print nothing on stdout; it printed %llu "
	      "lines",
	      (unsigned long long)fc.a->event_lines);
	return 0;
}

/* Only what the filter let through reached userspace: the denied program's exec and exit. */
static int test_filter_few_records(const void *arg)
{
	long long records;
	const char *p;

	TRY(filter_stop());
	p = strstr(fc.a->err, "Processed ");
	CHECK(p && sscanf(p, "Processed %lld records", &records) == 1,
	      "postured did not log how many records it processed. Its stderr: %s",
	      harness_agent_stderr(fc.a));
	harness_note("%lld records reached userspace", records);
	CHECK(records >= 1 && records < QUIET_EXECS / 4,
	      "with the filter closed, %lld records reached userspace (expected a few)", records);
	return 0;
}

static const struct harness_fixture require_fixture = { "required_program", require_setup,
							require_teardown, NULL };
static const struct harness_fixture reload_fixture = { "reload", reload_setup, reload_teardown,
						       NULL };
static const struct harness_fixture filter_fixtures[] = {
	{ "filter_closed_tp_btf", filter_setup, filter_teardown, "tp_btf" },
	{ "filter_closed_tracepoint", filter_setup, filter_teardown, "tracepoint" },
};

/* The closed filter's tests of one flavour, each doing the steps before it that it needs. */
#define FILTER_TESTS(name, fx)                                                                   \
	HARNESS_FIXTURE_TEST(name "/quiet_execs_stay_in_kernel", test_filter_quiet_execs, NULL,  \
			     fx),                                                                \
		HARNESS_FIXTURE_TEST(name "/denied_exec_still_killed", test_filter_denied, NULL, \
				     fx),                                                        \
		HARNESS_FIXTURE_TEST(name "/stdout_silent_without_print_events",                 \
				     test_filter_stdout_silent, NULL, fx),                       \
		HARNESS_FIXTURE_TEST(name "/only_filtered_records_reach_userspace",              \
				     test_filter_few_records, NULL, fx)

/* Both flavours of a test, name_tp_btf and name_tracepoint (harness.h). */
#define BOTH_FLAVORS(name, ...)	    HARNESS_BOTH_FLAVORS(name, "_", __VA_ARGS__)
#define BOTH_FLAVOR_NAMES(name, fn) HARNESS_BOTH_FLAVOR_NAMES(name, "_", fn)

static const struct harness_test tests[] = {
	BOTH_FLAVORS("enforce_name", test_enforce_name, struct name_case, .prefix = "pe"),
	BOTH_FLAVORS("enforce_long_name", test_enforce_name, struct name_case,
		     .prefix = LONG_PREFIX),
	BOTH_FLAVOR_NAMES("monitor_name", test_monitor_name),
	BOTH_FLAVOR_NAMES("enforce_path_and_symlink", test_enforce_path),
	BOTH_FLAVORS("enforce_userspace_name_and_user", test_enforce_userspace,
		     struct userspace_case, .rule = RULE_NAME_AND_USER),
	BOTH_FLAVORS("enforce_userspace_sha256", test_enforce_userspace, struct userspace_case,
		     .rule = RULE_SHA256),
	BOTH_FLAVORS("enforce_userspace_name_too_long", test_enforce_userspace,
		     struct userspace_case, .rule = RULE_NAME_TOO_LONG),
	HARNESS_FIXTURE_TEST("required_program/absent_after_grace", test_require_absent, NULL,
			     &require_fixture),
	HARNESS_FIXTURE_TEST("required_program/returned_resolves_finding", test_require_returned,
			     NULL, &require_fixture),
	HARNESS_FIXTURE_TEST("reload/invalid_policy_refused_old_kept",
			     test_reload_invalid_keeps_old, NULL, &reload_fixture),
	HARNESS_FIXTURE_TEST("reload/sighup_puts_valid_policy_in_force",
			     test_reload_sighup_replaces, NULL, &reload_fixture),
	FILTER_TESTS("filter_closed_tp_btf", &filter_fixtures[0]),
	FILTER_TESTS("filter_closed_tracepoint", &filter_fixtures[1]),
};

HARNESS_MAIN(tests)
