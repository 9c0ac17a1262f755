// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Process rules through the real daemon in the real kernel, with the kernel
 * filter closed as on a laptop (no --print-events): a deny rule's "except"
 * on the parent spares the program its named parent starts and no other,
 * in enforce and in monitor mode; and a policy with an argument rule has
 * arguments captured with nothing in the configuration but the policy file,
 * stops when a policy that does not ask replaces it, and gets none where the
 * configuration refuses.  Findings are read from the agent's log and its
 * status socket.  Each test makes its own copies of tests/helpers/write_marker
 * (the program a rule is about) and tests/helpers/spawn_storm (the parents,
 * which fork and exec it), started after the agent, so nothing but the
 * kernel filter can have told the agent about them.  Needs root;
 * tests/run-integration runs it after mounting bpffs and tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "process_rules.h"

/*
 * Starts the target through parent (spawn_storm 1 TARGET MARKER SECONDS):
 * the parent forks and execs it, and exits 0 when it exited 0.
 */
static int run_through(struct env *e, const char *parent, const char *seconds, int *ret_status)
{
	char *argv[] = { (char *)parent,  "1", e->target, (char *)env_marker(e),
			 (char *)seconds, NULL };

	return run_wait(argv, ret_status);
}

/* The status answer's agent.arguments must say captured, bytes and reason. */
static int expect_arguments(struct harness_agent *a, bool captured, long long bytes,
			    const char *reason)
{
	_cleanup_(yajl_tree_freep) yajl_val st = NULL;
	yajl_val args;

	TRY(status_request(a, "{\"id\": 1, \"method\": \"status\"}\n", &st));
	args = harness_json(st, "result", "agent", "arguments");
	CHECK(args && YAJL_IS_OBJECT(args), "status has no agent.arguments");
	CHECK(captured ? YAJL_IS_TRUE(harness_json(args, "captured")) :
			 YAJL_IS_FALSE(harness_json(args, "captured")),
	      "agent.arguments.captured should be %s", captured ? "true" : "false");
	EXPECT_JSON_INT("agent.arguments", args, bytes, "bytes");
	EXPECT_JSON_STR("agent.arguments", args, reason, "reason");
	return 0;
}

/* The findings of rule id the status socket keeps (the answer's result.findings), in *ret. */
/* The path of the parent of finding f's process, or NULL. */
static const char *finding_parent(yajl_val f)
{
	yajl_val ev = harness_json(f, "evidences");

	if (!ev || !YAJL_IS_ARRAY(ev) || ev->u.array.len == 0)
		return NULL;
	return harness_json_str(
		harness_json(ev->u.array.values[0], "process", "parent_process", "file", "path"));
}

/*
 * Rule id has exactly one finding kept, and it is not about a program
 * spared started (the program of another parent, whom the agent need not
 * know, so its finding may name no parent).
 */
static int expect_one_finding_not_from(struct harness_agent *a, const char *id, const char *spared)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val list;
	const char *p;

	TRY(findings_of(a, id, &v));
	list = harness_json(v, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list) && list->u.array.len == 1,
	      "rule %s should have one finding kept; it has %zu. postured's stderr: %s", id,
	      list && YAJL_IS_ARRAY(list) ? list->u.array.len : 0, harness_agent_stderr(a));
	p = finding_parent(list->u.array.values[0]);
	CHECK(!p || strcmp(p, spared) != 0,
	      "the finding of rule %s is about the program %s started, which its except spares", id,
	      spared);
	return 0;
}

/* The command line of the newest finding of rule id the status socket keeps, in *ret ("": none). */
static int last_cmd_line(struct harness_agent *a, const char *id, char *ret, size_t size)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	yajl_val list, ev;
	const char *cmd;

	TRY(findings_of(a, id, &v));
	list = harness_json(v, "result", "findings");
	CHECK(list && YAJL_IS_ARRAY(list) && list->u.array.len > 0, "no finding of rule %s kept",
	      id);
	ev = harness_json(list->u.array.values[list->u.array.len - 1], "evidences");
	CHECK(ev && YAJL_IS_ARRAY(ev) && ev->u.array.len > 0, "the finding has no evidence");
	cmd = harness_json_str(harness_json(ev->u.array.values[0], "process", "cmd_line"));
	snprintf(ret, size, "%s", cmd ? cmd : "");
	return 0;
}

/* --- (1) except on the parent ------------------------------------------------------- */

static int run_sentinel(struct harness_agent *a, struct env *e);
static char *sentinel_rule(struct env *e);

struct except_case {
	const char *flavor;
	const char *mode;
};

/*
 * A deny rule on the target's exact path with an except on parent_ok: the
 * target parent_ok starts runs to its end and no finding is made of it; the
 * target parent_other starts is killed (enforce) or reported (monitor).
 */
static int test_except_parent(const void *arg)
{
	const struct except_case *c = arg;
	bool enforce = strcmp(c->mode, "enforce") == 0;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_free_ char *match = NULL, *except = NULL, *rule = NULL, *sentinel = NULL;
	_cleanup_env_ struct env e = {};
	char want[PATH_MAX + 128], d[128];
	int status;

	TRY(env_init(&e, NULL));
	if (asprintf(&match, "\"path\": \"%s\"", e.target) < 0 ||
	    asprintf(&except, "{\"parent_path\": \"%s\"}", e.parent_ok) < 0 ||
	    !(rule = rule_json("deny-except", c->mode, match, except)) ||
	    !(sentinel = sentinel_rule(&e)))
		return harness_fail("Out of memory");
	TRY(env_policy(&e, 1, "", rule, sentinel));
	TRY(start_agent(&e, c->flavor, &a));

	/* Its named parent: not stopped, not reported. */
	TRY(run_through(&e, e.parent_ok, SPARED_SECONDS, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the program started by %s (the except's parent) should have run to its end; "
	      "its parent ended with %s. postured's stderr: %s",
	      e.parent_ok, harness_describe_status(status, d, sizeof(d)), harness_agent_stderr(a));

	/* Another parent: the same program is stopped (enforce) or reported (monitor). */
	TRY(run_through(&e, e.parent_other, enforce ? KILLED_SECONDS : "0", &status));
	if (enforce)
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0,
		      "the program started by %s should have been killed; its parent ended "
		      "with %s",
		      e.parent_other, harness_describe_status(status, d, sizeof(d)));
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "in monitor mode the program started by %s should have run to its end; "
		      "its parent ended with %s",
		      e.parent_other, harness_describe_status(status, d, sizeof(d)));
	/* Records are judged in order: once the sentinel's is, both runs' have been. */
	TRY(run_sentinel(a, &e));
	TRY(expect_one_finding_not_from(a, "deny-except", e.parent_ok));
	snprintf(want, sizeof(want), ", %s): %s.", e.target, enforce ? "killed" : "reported");
	CHECK(strstr(a->err, want), "postured did not log \"%s\". Its stderr: %s", want,
	      harness_agent_stderr(a));
	CHECK(stderr_count(a, "Rule deny-except: process_denied") == 1,
	      "postured should have logged one finding, of the program %s started; its stderr: "
	      "%s",
	      e.parent_other, harness_agent_stderr(a));
	return harness_agent_stop_ok(a);
}

/* --- (2) arguments, as the policy asks ------------------------------------------------ */

/* The policy of serial with the argument rule (collecting) or a rule on the name alone. */
static int args_policy(struct env *e, unsigned serial, bool collect)
{
	_cleanup_free_ char *match = NULL, *rule = NULL, *sentinel = NULL;
	const char *base = strrchr(e->target, '/') + 1;

	if (asprintf(&match,
		     collect ? "\"name\": \"%s\", \"args_contains\": \"%s\"" : "\"name\": \"%s\"",
		     base, e->flag) < 0 ||
	    !(rule = rule_json("args-marker", "monitor", match, NULL)) ||
	    !(sentinel = sentinel_rule(e)))
		return harness_fail("Out of memory");
	return env_policy(e, serial, collect ? "\"collect_arguments\": true" : "", rule, sentinel);
}

/* Runs the target with the flag (or without); *ret_pid is it. */
static int run_target(struct env *e, bool flag, pid_t *ret_pid)
{
	char *argv[] = { e->target, (char *)env_marker(e), "0", flag ? e->flag : NULL, NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	int status;
	char d[128];

	TRY(harness_spawn(argv[0], argv, &o, ret_pid));
	TRY(harness_wait_child(*ret_pid, CHILD_TIMEOUT_MS, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s ended with %s", e->target,
	      harness_describe_status(status, d, sizeof(d)));
	return 0;
}

/* A monitor rule on the sentinel's name: its finding tells that the records before it are judged. */
static char *sentinel_rule(struct env *e)
{
	_cleanup_free_ char *match = NULL;

	if (asprintf(&match, "\"name\": \"%s\"", strrchr(e->sentinel, '/') + 1) < 0)
		return NULL;
	return rule_json("sentinel", "monitor", match, NULL);
}

/* Runs the sentinel and waits for its finding, logged after whatever the runs before it made. */
static int run_sentinel(struct harness_agent *a, struct env *e)
{
	char *argv[] = { e->sentinel, (char *)env_marker(e), NULL };
	char want[PATH_MAX + 128];
	int status;
	pid_t pid;

	{
		struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

		TRY(harness_spawn(argv[0], argv, &o, &pid));
		TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	}
	snprintf(want, sizeof(want), "Rule sentinel: process_denied (pid %d, %s): reported.",
		 (int)pid, e->sentinel);
	return wait_stderr(a, want);
}

/*
 * Nothing in the configuration but the policy file: a policy with an
 * argument rule has arguments captured, and the exec with the argument is
 * reported, with its command line; the same program without it is not.  A
 * policy that no longer asks stops the capture.
 */
static int test_args_by_policy(const void *arg)
{
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_env_ struct env e = {};
	char want[PATH_MAX + 128], cmd[2048];
	pid_t pid;

	TRY(env_init(&e, NULL));
	TRY(args_policy(&e, 1, true));
	TRY(start_agent(&e, NULL, &a));
	TRY(wait_stderr(a, "Capturing up to 1024 bytes of each program's arguments: policy "
			   "process-rules-it collects them (rules on arguments: args-marker)."));
	TRY(expect_arguments(a, true, 1024, "policy"));

	TRY(run_target(&e, false, &pid));
	TRY(run_target(&e, true, &pid));
	snprintf(want, sizeof(want), "Rule args-marker: process_denied (pid %d, %s): reported.",
		 (int)pid, e.target);
	TRY(wait_stderr(a, want));
	CHECK(stderr_count(a, "Rule args-marker: process_denied") == 1,
	      "only the run with %s should have been reported; postured's stderr: %s", e.flag,
	      harness_agent_stderr(a));
	TRY(last_cmd_line(a, "args-marker", cmd, sizeof(cmd)));
	CHECK(strstr(cmd, e.flag), "the finding's command line should hold %s; it is \"%s\"",
	      e.flag, cmd);

	/* A policy without argument rules: capture stops, and findings carry no command line. */
	TRY(args_policy(&e, 2, false));
	TRY(wait_stderr(a, "No longer capturing program arguments: policy process-rules-it does "
			   "not collect them."));
	TRY(expect_arguments(a, false, 0, "off"));
	TRY(run_target(&e, true, &pid));
	snprintf(want, sizeof(want), "Rule args-marker: process_denied (pid %d, %s): reported.",
		 (int)pid, e.target);
	TRY(wait_stderr(a, want));
	TRY(last_cmd_line(a, "args-marker", cmd, sizeof(cmd)));
	CHECK(cmd[0] == '\0',
	      "with capture off the finding should have no command line; it has "
	      "\"%s\"",
	      cmd);
	return harness_agent_stop_ok(a);
}

/*
 * "allow_argument_capture": false: the policy is accepted, the log says its
 * argument rule will never match, status says refused, and the exec with the
 * argument is not reported.
 */
static int test_args_refused(const void *arg)
{
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_env_ struct env e = {};
	pid_t pid;

	TRY(env_init(&e, "\"allow_argument_capture\": false"));
	TRY(args_policy(&e, 1, true));
	TRY(start_agent(&e, NULL, &a));
	TRY(wait_stderr(a, "Policy process-rules-it collects program arguments, but "
			   "\"allow_argument_capture\" is false in the configuration: no arguments "
			   "are captured on this machine, so its rules on arguments (args-marker) "
			   "will never match."));
	TRY(expect_arguments(a, false, 0, "refused"));
	TRY(run_target(&e, true, &pid));
	TRY(run_sentinel(a, &e));
	CHECK(stderr_count(a, "Rule args-marker:") == 0,
	      "with capture refused the argument rule should never match; postured's stderr: %s",
	      harness_agent_stderr(a));
	return harness_agent_stop_ok(a);
}

static const struct except_case except_cases[] = {
	{ "tp_btf", "enforce" },
	{ "tracepoint", "enforce" },
	{ "tp_btf", "monitor" },
};

static const struct facts_case facts_cases[] = {
	{ "monitor" },
	{ "enforce" },
};

static const struct harness_test tests[] = {
	HARNESS_TEST("except_parent_enforce_tp_btf", test_except_parent, &except_cases[0]),
	HARNESS_TEST("except_parent_enforce_tracepoint", test_except_parent, &except_cases[1]),
	HARNESS_TEST("except_parent_monitor", test_except_parent, &except_cases[2]),
	HARNESS_TEST("arguments_captured_for_policy", test_args_by_policy, NULL),
	HARNESS_TEST("arguments_refused_by_configuration", test_args_refused, NULL),
	HARNESS_TEST("world_writable_monitor", test_facts_world_writable, &facts_cases[0]),
	HARNESS_TEST("world_writable_enforce", test_facts_world_writable, &facts_cases[1]),
	HARNESS_TEST("script_monitor", test_facts_script, &facts_cases[0]),
	HARNESS_TEST("script_enforce", test_facts_script, &facts_cases[1]),
	HARNESS_TEST("memfd_monitor", test_facts_memfd, &facts_cases[0]),
	HARNESS_TEST("memfd_enforce", test_facts_memfd, &facts_cases[1]),
	HARNESS_TEST("stdio_network_monitor", test_facts_stdio_network, &facts_cases[0]),
	HARNESS_TEST("stdio_network_enforce", test_facts_stdio_network, &facts_cases[1]),
	HARNESS_TEST("pipe_to_shell_monitor", test_facts_pipe_to_shell, &facts_cases[0]),
	HARNESS_TEST("pipe_to_shell_enforce", test_facts_pipe_to_shell, &facts_cases[1]),
};

HARNESS_MAIN(tests)
