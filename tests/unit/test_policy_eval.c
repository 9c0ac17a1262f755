// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Evaluation of process rules: every matcher, lists and fields, modes,
 * order, excepts, the index, and what rules need.  Network rules are in
 * test_policy_eval_net.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fixtures.h"

#define SHA_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_B "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* A policy with arguments collected and the given process rules, each a JSON object body. */
static policy *make_policy(const char *mode, const char *const *rules, size_t n)
{
	char head[128];

	snprintf(head, sizeof(head),
		 "\"mode\": \"%s\", \"settings\": {\"collect_arguments\": true}", mode);
	return fixture_policy_build("eval.json", head, "\"type\": \"process\", ", rules, n);
}

static policy *one_rule(const char *rule)
{
	return make_policy("monitor", &rule, 1);
}

static struct policy_process proc_at(const char *path)
{
	return (struct policy_process){ .path = path, .uid = 1000, .gid = 1000 };
}

static bool denied(const policy *p, const struct policy_process *proc)
{
	struct policy_match m[4];
	size_t n = policy_eval(p, proc, m, 4);

	/* policy_rule_matches() agrees with the index for every rule. */
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);
		bool found = false;

		for (size_t k = 0; k < n && k < 4; k++)
			found |= m[k].rule == r;
		if (policy_rule_enabled(r) && policy_rule_effect(r) == POLICY_EFFECT_DENY)
			assert_int_equal(found, policy_rule_matches(r, proc));
	}
	return n > 0;
}

static void test_path_exact(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"path\": \"/usr/bin/x11vnc\"}");
	struct policy_process a = proc_at("/usr/bin/x11vnc"), b = proc_at("/usr/bin/x11vnc2"),
			      c = proc_at("/usr/local/bin/x11vnc"), d = proc_at(NULL);

	assert_true(denied(p, &a));
	assert_false(denied(p, &b));
	assert_false(denied(p, &c));
	assert_false(denied(p, &d));
	assert_int_equal(policy_rule_key_field(policy_rule_at(p, 0)), POLICY_FIELD_PATH);
	assert_true(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	assert_int_equal(policy_needs(p), 0);
	policy_unref(p);
}

static void test_path_glob(void **state)
{
	policy *p = one_rule(
		"\"effect\": \"deny\", \"match\": {\"path\": \"/home/*/Downloads/ngrok*\"}");
	struct policy_process a = proc_at("/home/ann/Downloads/ngrok"),
			      b = proc_at("/home/ann/Downloads/ngrok-v3"),
			      c = proc_at("/home/ann/x/Downloads/ngrok"), /* '*' stops at '/' */
		d = proc_at("/home/.ann/Downloads/ngrok"), /* no FNM_PERIOD */
		e = proc_at("/home/ann/Downloads/sub/ngrok");

	assert_true(denied(p, &a));
	assert_true(denied(p, &b));
	assert_false(denied(p, &c));
	assert_true(denied(p, &d));
	assert_false(denied(p, &e));
	assert_int_equal(policy_rule_key_field(policy_rule_at(p, 0)), _POLICY_FIELD_NONE);
	assert_false(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	assert_int_equal(policy_needs(p), POLICY_NEED_EVERY_EXEC);
	policy_unref(p);
}

static void test_path_list_is_or(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"path\": [\"/usr/bin/a\", "
			     "\"/opt/?/b\", \"/srv/[xy]/c\"]}");
	struct policy_process a = proc_at("/usr/bin/a"), b = proc_at("/opt/z/b"),
			      c = proc_at("/srv/y/c"), d = proc_at("/srv/z/c"),
			      e = proc_at("/opt/zz/b");

	assert_true(denied(p, &a));
	assert_true(denied(p, &b));
	assert_true(denied(p, &c));
	assert_false(denied(p, &d));
	assert_false(denied(p, &e));
	policy_unref(p);
}

static void test_name(void **state)
{
	policy *p =
		one_rule("\"effect\": \"deny\", \"match\": {\"name\": [\"anydesk\", \"frp?\"]}");
	struct policy_process a = proc_at("/usr/bin/anydesk"), b = proc_at("/tmp/frpc"),
			      c = proc_at("/tmp/frpcx"), d = proc_at("/usr/bin/true");

	assert_true(denied(p, &a));
	assert_true(denied(p, &b));
	assert_false(denied(p, &c));
	assert_false(denied(p, &d));
	/* An explicit name wins over the path's last component. */
	d.name = "anydesk";
	assert_true(denied(p, &d));
	a.name = "other";
	assert_false(denied(p, &a));
	/* Without path or name there is nothing to match. */
	d = (struct policy_process){};
	assert_false(denied(p, &d));
	assert_false(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	policy_unref(p);

	p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"ngrok\"}");
	assert_int_equal(policy_rule_key_field(policy_rule_at(p, 0)), POLICY_FIELD_NAME);
	assert_true(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	policy_unref(p);
}

static void test_sha256(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"sha256\": [\"" SHA_A
			     "\", \"" SHA_B "\"]}");
	struct policy_process a = proc_at("/usr/bin/x");

	assert_false(denied(p, &a)); /* not computed: no match */
	a.sha256 = SHA_A;
	assert_true(denied(p, &a));
	a.sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
	assert_true(denied(p, &a));
	a.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
	assert_false(denied(p, &a));
	a.sha256 = "short";
	assert_false(denied(p, &a));
	assert_int_equal(policy_rule_key_field(policy_rule_at(p, 0)), POLICY_FIELD_SHA256);
	assert_false(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	assert_int_equal(policy_needs(p), POLICY_NEED_SHA256 | POLICY_NEED_EVERY_EXEC);
	policy_unref(p);
}

static void test_parent_path(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"sh\", \"parent_path\": "
			     "[\"/usr/lib/firefox/firefox\", \"/opt/*/chrome\"]}");
	struct policy_process a = proc_at("/usr/bin/sh");

	assert_false(denied(p, &a)); /* no parent known */
	a.parent_path[0] = "/usr/lib/firefox/firefox";
	assert_true(denied(p, &a));
	a.parent_path[0] = "/opt/google/chrome";
	assert_true(denied(p, &a));
	/* The direct parent only; a grandparent does not count. */
	a.parent_path[0] = "/usr/bin/bash";
	a.parent_path[1] = "/usr/lib/firefox/firefox";
	assert_false(denied(p, &a));
	assert_int_equal(policy_needs(p), POLICY_NEED_PARENT);
	policy_unref(p);
}

static void test_user(void **state)
{
	policy *p = one_rule(
		"\"effect\": \"deny\", \"match\": {\"name\": \"x\", \"user\": [\"alice\", 0]}");
	struct policy_process a = proc_at("/bin/x");

	assert_false(denied(p, &a)); /* uid 1000, name unknown */
	a.user_name = "alice";
	assert_true(denied(p, &a));
	a.user_name = "bob";
	assert_false(denied(p, &a));
	a.uid = 0;
	assert_true(denied(p, &a));
	assert_int_equal(policy_needs(p), POLICY_NEED_USER_NAME);
	policy_unref(p);

	p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"x\", \"user\": 1000}");
	a = proc_at("/bin/x");
	assert_true(denied(p, &a));
	a.uid = 1001;
	assert_false(denied(p, &a));
	assert_int_equal(policy_needs(p), 0);
	/* The kernel keys on one field: name AND uid is judged in userspace. */
	assert_false(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	policy_unref(p);

	p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"x\"}");
	assert_true(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	policy_unref(p);
	p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": "
		     "\"a-name-longer-than-sixty-three-bytes-which-the-kernel-key-cannot-hold\"}");
	assert_false(policy_rule_kernel_decidable(policy_rule_at(p, 0)));
	policy_unref(p);
}

static void test_group(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"x\", \"group\": "
			     "[\"games\", 27]}");
	struct policy_process a = proc_at("/bin/x");

	assert_false(denied(p, &a));
	a.gid = 27;
	assert_true(denied(p, &a));
	a.gid = 1000;
	a.group_name = "games";
	assert_true(denied(p, &a));
	a.group_name = "staff";
	assert_false(denied(p, &a));
	assert_int_equal(policy_needs(p), POLICY_NEED_GROUP_NAME);
	policy_unref(p);
}

static void test_args_contains(void **state)
{
	policy *p = one_rule("\"effect\": \"deny\", \"match\": {\"name\": \"node\", "
			     "\"args_contains\": [\"localtunnel\", \"lt --port\"]}");
	struct policy_process a = proc_at("/usr/bin/node");

	assert_false(denied(p, &a)); /* not collected */
	a.args = "node /usr/lib/node_modules/localtunnel/bin/lt.js --port 8080";
	assert_true(denied(p, &a));
	a.args = "npx lt --port 3000";
	assert_true(denied(p, &a));
	a.args = "node server.js";
	assert_false(denied(p, &a));
	assert_int_equal(policy_needs(p), POLICY_NEED_ARGS);
	policy_unref(p);
}

/* Location and stdio match the facts the kernel decided; a rule on them has a kernel key. */
static void test_exec_facts(void **state)
{
	policy *p = make_policy("enforce",
				(const char *const[]){
					"\"effect\": \"deny\", \"match\": "
					"{\"location\": [\"memory\", \"world_writable\"]}",
					"\"effect\": \"deny\", \"match\": "
					"{\"stdio\": \"network\"}",
					"\"effect\": \"deny\", \"match\": "
					"{\"name\": [\"sh\", \"bash\"], \"stdin_from\": [\"curl\", "
					"\"wget*\"]}",
				},
				3);
	const policy_rule *loc = policy_rule_at(p, 0), *net = policy_rule_at(p, 1);
	const policy_rule *pipe = policy_rule_at(p, 2);
	struct policy_process a = proc_at("/tmp/x/miner");

	assert_false(denied(p, &a)); /* nothing known of where it lies */
	a.location = POLICY_LOCATION_WORLD_WRITABLE;
	assert_true(policy_rule_matches(loc, &a));
	a.location = POLICY_LOCATION_MEMORY;
	assert_true(policy_rule_matches(loc, &a));
	assert_false(policy_rule_matches(net, &a));
	a.location = 0;
	a.stdio = POLICY_STDIO_NETWORK;
	assert_true(policy_rule_matches(net, &a));
	assert_false(policy_rule_matches(loc, &a));

	a = proc_at("/usr/bin/bash");
	assert_false(denied(p, &a));
	a.stdin_writer = "cat";
	assert_false(denied(p, &a));
	a.stdin_writer = "curl";
	assert_true(policy_rule_matches(pipe, &a));
	a.stdin_writer = "wget2";
	assert_true(policy_rule_matches(pipe, &a));

	/* The kernel picks the fact rules' execs out, and alone decides them. */
	assert_int_equal(policy_rule_key_field(loc), POLICY_FIELD_LOCATION);
	assert_int_equal(policy_rule_key_count(loc), 2);
	assert_string_equal(policy_rule_key_at(loc, 0), "memory");
	assert_int_equal(policy_rule_key_field(net), POLICY_FIELD_STDIO);
	assert_true(policy_rule_kernel_decidable(loc));
	assert_true(policy_rule_kernel_decidable(net));
	assert_int_equal(policy_rule_key_field(pipe), POLICY_FIELD_NAME);
	assert_false(policy_rule_kernel_decidable(pipe));
	assert_false(policy_needs(p) & POLICY_NEED_EVERY_EXEC);
	assert_true(policy_needs(p) & POLICY_NEED_STDIN_WRITER);
	assert_true(policy_needs(p) & POLICY_NEED_LOCATION);
	policy_unref(p);
}

static void test_fields_are_and(void **state)
{
	policy *p =
		one_rule("\"effect\": \"deny\", \"match\": {\"path\": \"/usr/bin/nc\", \"user\": "
			 "\"guest\", \"group\": 100}");
	struct policy_process a = proc_at("/usr/bin/nc");

	a.user_name = "guest";
	a.gid = 100;
	assert_true(denied(p, &a));
	a.gid = 101;
	assert_false(denied(p, &a));
	a.gid = 100;
	a.user_name = "root";
	assert_false(denied(p, &a));
	policy_unref(p);
}

static void test_modes_order_and_overflow(void **state)
{
	static const char *const rules[] = {
		"\"effect\": \"deny\", \"match\": {\"name\": \"x\", \"user\": 1000}",
		"\"effect\": \"deny\", \"mode\": \"monitor\", \"match\": {\"path\": \"/bin/*\"}",
		"\"effect\": \"deny\", \"enabled\": false, \"match\": {\"name\": \"x\", \"user\": 1000}",
		"\"effect\": \"require\", \"match\": {\"name\": \"x\"}",
		"\"effect\": \"deny\", \"match\": {\"path\": \"/bin/x\"}",
		"\"effect\": \"deny\", \"match\": {\"user\": 1000}",
	};
	policy *p = make_policy("enforce", rules, 6);
	struct policy_process a = proc_at("/bin/x");
	struct policy_match m[8];
	size_t n;

	n = policy_eval(p, &a, m, 8);
	/* In file order, from all three sources (name, scan list, path); not disabled nor require. */
	assert_int_equal(n, 4);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_int_equal(m[0].mode, POLICY_MODE_ENFORCE);
	assert_string_equal(policy_rule_id(m[1].rule), "r1");
	assert_int_equal(m[1].mode, POLICY_MODE_MONITOR);
	assert_string_equal(policy_rule_id(m[2].rule), "r4");
	assert_string_equal(policy_rule_id(m[3].rule), "r5");

	/* A short buffer holds the first ones; the count is still all. */
	memset(m, 0, sizeof(m));
	assert_int_equal(policy_eval(p, &a, m, 2), 4);
	assert_string_equal(policy_rule_id(m[1].rule), "r1");
	assert_null(m[2].rule);
	assert_int_equal(policy_eval(p, &a, NULL, 0), 4);

	/* The require rule, by itself. */
	assert_int_equal(policy_eval_require(p, &a, m, 8), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r3");
	assert_int_equal(policy_require_count(p), 1);
	/* Disabled rules still match when asked directly. */
	assert_true(policy_rule_matches(policy_rule_at(p, 2), &a));
	policy_unref(p);
}

static void test_require(void **state)
{
	static const char *const rules[] = {
		"\"effect\": \"require\", \"match\": {\"name\": [\"openvpn\", \"openconnect\"]}",
		("\"effect\": \"require\", \"grace_seconds\": 5, \"match\": {\"path\": "
		 "\"/opt/edr/bin/agent\", \"user\": 0}"),
		"\"effect\": \"require\", \"match\": {\"args_contains\": \"--daemon\"}",
	};
	policy *p = make_policy("monitor", rules, 3);
	struct policy_process vpn = proc_at("/usr/sbin/openvpn"),
			      edr = proc_at("/opt/edr/bin/agent"), other = proc_at("/usr/bin/bash");
	struct policy_match m[4];

	assert_int_equal(policy_require_count(p), 3);
	assert_int_equal(policy_rule_grace_seconds(policy_require_at(p, 0)), 300);
	assert_int_equal(policy_rule_grace_seconds(policy_require_at(p, 1)), 5);
	assert_int_equal(policy_eval_require(p, &vpn, m, 4), 1);
	assert_ptr_equal(m[0].rule, policy_require_at(p, 0));
	assert_int_equal(policy_eval_require(p, &edr, m, 4), 0); /* uid 1000, not root */
	edr.uid = 0;
	assert_int_equal(policy_eval_require(p, &edr, m, 4), 1);
	assert_int_equal(policy_eval_require(p, &other, m, 4), 0);
	other.args = "bash --daemon";
	assert_int_equal(policy_eval_require(p, &other, m, 4), 1);
	/* Require rules never come out of policy_eval(). */
	assert_int_equal(policy_eval(p, &vpn, m, 4), 0);
	policy_unref(p);
}

static void test_needs_sha256_for(void **state)
{
	static const char *const rules[] = {
		"\"effect\": \"deny\", \"match\": {\"name\": \"curl\", \"sha256\": \"" SHA_A "\"}",
		"\"effect\": \"deny\", \"match\": {\"path\": \"/usr/bin/wget\"}",
	};
	policy *p = make_policy("monitor", rules, 2);
	struct policy_process curl = proc_at("/usr/bin/curl"), wget = proc_at("/usr/bin/wget");

	assert_true(policy_needs_sha256_for(p, &curl));
	assert_false(policy_needs_sha256_for(p, &wget));
	/* Hashing is needed before the result is known: without it, no match. */
	assert_false(denied(p, &curl));
	curl.sha256 = SHA_A;
	assert_true(denied(p, &curl));
	policy_unref(p);
}

static void test_needs_exec_audit(void **state)
{
	policy *p = NULL;
	const char *text = "{\"id\": \"t\", \"serial\": 1, \"settings\": {\"exec_audit\": true}, "
			   "\"rules\": []}";

	assert_int_equal(policy_parse("a.json", text, strlen(text), NULL, &p), 0);
	assert_int_equal(policy_needs(p), POLICY_NEED_EVERY_EXEC);
	policy_unref(p);
}

/* ---- except --------------------------------------------------------------------------- */

/* A program its parent may run: the except on the parent leaves it out, and only that parent. */
static void test_except_parent_path(void **state)
{
	policy *p =
		one_rule("\"effect\": \"deny\", \"match\": {\"path\": \"/usr/bin/cc\"}, "
			 "\"except\": [{\"parent_path\": [\"/usr/bin/make\", \"/opt/*/ninja\"]}]");
	const policy_rule *r = policy_rule_at(p, 0);
	struct policy_process cc = proc_at("/usr/bin/cc");

	/* No parent known: the exception cannot be shown to hold, so the rule does. */
	assert_true(denied(p, &cc));
	cc.parent_path[0] = "/usr/bin/make";
	assert_false(denied(p, &cc));
	cc.parent_path[0] = "/opt/kitware/ninja";
	assert_false(denied(p, &cc));
	cc.parent_path[0] = "/usr/bin/bash";
	assert_true(denied(p, &cc));
	/* The direct parent only, as in "match". */
	cc.parent_path[1] = "/usr/bin/make";
	assert_true(denied(p, &cc));

	/* Still found by its exact path, but never decided by the kernel alone. */
	assert_int_equal(policy_rule_key_field(r), POLICY_FIELD_PATH);
	assert_false(policy_rule_kernel_decidable(r));
	assert_int_equal(policy_needs(p), POLICY_NEED_PARENT);
	assert_int_equal(policy_rule_except_count(r), 1);
	assert_non_null(policy_rule_except_matcher(r, 0, POLICY_FIELD_PARENT_PATH));
	assert_null(policy_rule_except_matcher(r, 0, POLICY_FIELD_PATH));
	assert_null(policy_rule_except_matcher(r, 1, POLICY_FIELD_PARENT_PATH));
	policy_unref(p);
}

/* Within a clause fields are ANDed and values ORed; any one clause leaves the program out. */
static void test_except_clauses(void **state)
{
	policy *p = one_rule(
		"\"effect\": \"deny\", \"match\": {\"path\": \"/tmp/*\"}, \"except\": ["
		"{\"path\": [\"/tmp/build-a\", \"/tmp/build-b\"], \"user\": [0, \"builder\"]}, "
		"{\"name\": \"ok-*\"}, {\"group\": \"staff\", \"args_contains\": \"--selftest\"}]");
	struct policy_process a = proc_at("/tmp/build-a"), ok = proc_at("/tmp/ok-1"),
			      x = proc_at("/tmp/x");

	assert_true(denied(p, &a)); /* the path, but uid 1000 */
	a.uid = 0;
	assert_false(denied(p, &a));
	a.uid = 1000;
	a.user_name = "builder";
	assert_false(denied(p, &a));
	assert_false(denied(p, &ok));
	assert_true(denied(p, &x));
	x.group_name = "staff";
	assert_true(denied(p, &x)); /* the group alone is half of the clause */
	x.args = "/tmp/x --selftest";
	assert_false(denied(p, &x));
	x.group_name = NULL;
	assert_true(denied(p, &x));
	/* What the excepts look at is gathered too, as for "match". */
	assert_int_equal(policy_needs(p), POLICY_NEED_USER_NAME | POLICY_NEED_GROUP_NAME |
						  POLICY_NEED_ARGS | POLICY_NEED_EVERY_EXEC);
	policy_unref(p);
}

/* A hash in an except is computed where it decides: after "match" and the clause's other fields. */
static void test_except_sha256(void **state)
{
	static const char *const rules[] = {
		"\"effect\": \"deny\", \"match\": {\"name\": \"nc\"}, \"except\": [{\"path\": "
		"\"/usr/bin/nc\", \"sha256\": \"" SHA_A "\"}]",
	};
	policy *p = make_policy("enforce", rules, 1);
	struct policy_process nc = proc_at("/usr/bin/nc"), copy = proc_at("/tmp/nc"),
			      other = proc_at("/usr/bin/ls");

	assert_true(policy_needs_sha256_for(p, &nc));
	assert_false(policy_needs_sha256_for(p, &copy)); /* the except's path does not hold */
	assert_false(policy_needs_sha256_for(p, &other)); /* "match" does not hold */
	assert_true(denied(p, &nc)); /* no hash, no exception */
	nc.sha256 = SHA_A;
	assert_false(denied(p, &nc));
	nc.sha256 = SHA_B;
	assert_true(denied(p, &nc));
	assert_int_equal(policy_needs(p), POLICY_NEED_SHA256);
	assert_int_equal(policy_rule_key_field(policy_rule_at(p, 0)), POLICY_FIELD_NAME);
	policy_unref(p);
}

/* A require rule with an except: the program it leaves out does not count as the one required. */
static void test_except_require(void **state)
{
	policy *p = one_rule("\"effect\": \"require\", \"match\": {\"name\": \"openvpn\"}, "
			     "\"except\": [{\"user\": \"guest\"}]");
	struct policy_process vpn = proc_at("/usr/sbin/openvpn");
	struct policy_match m[2];

	assert_int_equal(policy_eval_require(p, &vpn, m, 2), 1);
	vpn.user_name = "guest";
	assert_int_equal(policy_eval_require(p, &vpn, m, 2), 0);
	assert_false(policy_rule_matches(policy_rule_at(p, 0), &vpn));
	policy_unref(p);
}

/*
 * A thousand rules of every kind: the indexed evaluation agrees with testing
 * every rule on its own, and an allowed exec is cheap.
 */
static void test_index_agrees_with_scan(void **state)
{
	enum { N = 1000 };
	char **rules = calloc(N, sizeof(char *));
	struct policy_match *m = calloc(N, sizeof(*m));
	struct timespec t0, t1;
	policy *p;
	double ns;

	assert_non_null(rules);
	assert_non_null(m);
	for (int i = 0; i < N; i++) {
		int r;

		switch (i % 5) {
		case 0:
			r = asprintf(&rules[i],
				     "\"effect\": \"deny\", \"match\": {\"path\": "
				     "[\"/opt/t%d/bin/tool\", \"/usr/bin/t%d\"]}",
				     i, i % 7);
			break;
		case 1:
			r = asprintf(
				&rules[i],
				"\"effect\": \"deny\", \"match\": {\"name\": \"t%d\", \"user\": %d}",
				i % 11, i % 3);
			break;
		case 2:
			/* Half are found by file name, half are on the scan list. */
			if (i % 10 == 2)
				r = asprintf(
					&rules[i],
					"\"effect\": \"deny\", \"match\": {\"path\": \"/srv/*/t%d\"}",
					i % 13);
			else
				r = asprintf(
					&rules[i],
					"\"effect\": \"deny\", \"match\": {\"path\": \"/srv/t%d/*\"}",
					i % 13);
			break;
		case 3:
			r = asprintf(&rules[i],
				     "\"effect\": \"deny\", \"match\": {\"sha256\": \"%064d\"}",
				     i % 17);
			break;
		default:
			r = asprintf(&rules[i],
				     "\"effect\": \"deny\", \"mode\": \"monitor\", "
				     "\"match\": {\"name\": \"t*%d\", \"path\": \"/usr/bin/t%d\"}",
				     i % 7, i % 7);
			break;
		}
		assert_true(r > 0);
	}
	p = make_policy("enforce", (const char *const *)rules, N);

	for (int k = 0; k < 60; k++) {
		char path[64], sha[65];
		struct policy_process proc;
		size_t n, expected = 0;

		snprintf(path, sizeof(path),
			 k % 4 == 0 ? "/usr/bin/t%d" :
			 k % 4 == 1 ? "/srv/x/t%d" :
			 k % 4 == 2 ? "/srv/t%d/x" :
				      "/opt/t%d/bin/tool",
			 k % 20);
		snprintf(sha, sizeof(sha), "%064d", k % 17);
		proc = (struct policy_process){ .path = path,
						.uid = (uint32_t)(k % 3),
						.sha256 = sha };
		n = policy_eval(p, &proc, m, N);
		for (size_t i = 0, j = 0; i < policy_rule_count(p); i++) {
			if (!policy_rule_matches(policy_rule_at(p, i), &proc))
				continue;
			assert_true(j < n);
			assert_ptr_equal(m[j].rule, policy_rule_at(p, i));
			j++;
			expected++;
		}
		assert_int_equal(n, expected);
	}

	/* Not a benchmark (make bench is), a guard against falling back to a full walk. */
	{
		struct policy_process allowed = proc_at("/usr/lib/gcc/x86_64-linux-gnu/12/cc1");

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < 10000; k++)
			assert_int_equal(policy_eval(p, &allowed, m, N), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		     10000;
		print_message(
			"policy_eval, allowed exec, %d rules (%d of them path globs): %.0f ns\n", N,
			N / 10, ns);
	}

	for (int i = 0; i < N; i++)
		free(rules[i]);
	free(rules);
	free(m);
	policy_unref(p);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_exact),
		cmocka_unit_test(test_exec_facts),
		cmocka_unit_test(test_path_glob),
		cmocka_unit_test(test_path_list_is_or),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_parent_path),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_args_contains),
		cmocka_unit_test(test_fields_are_and),
		cmocka_unit_test(test_modes_order_and_overflow),
		cmocka_unit_test(test_require),
		cmocka_unit_test(test_needs_sha256_for),
		cmocka_unit_test(test_needs_exec_audit),
		cmocka_unit_test(test_except_parent_path),
		cmocka_unit_test(test_except_clauses),
		cmocka_unit_test(test_except_sha256),
		cmocka_unit_test(test_except_require),
		cmocka_unit_test(test_index_agrees_with_scan),
	};

	return cmocka_run_group_tests_name("policy_eval", tests, NULL, NULL);
}
