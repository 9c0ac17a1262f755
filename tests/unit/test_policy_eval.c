// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Evaluation: every matcher, lists and fields, modes, order, the index, and
 * what rules need; network rules, and their agreement with the kernel's decision.
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

/*
 * A policy "t" whose head (mode, settings) follows id and serial, of rules
 * r0, r1...: each with common after its id, then a title, a severity and
 * texts, then its own fields in rules[i].
 */
static policy *build_policy(const char *name, const char *head, const char *common,
			    const char *const *rules, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	policy *p;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"id\": \"t\", \"serial\": 1, %s, \"rules\": [", head);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"%s{\"id\": \"r%zu\", %s\"title\": \"t\", \"severity\": \"low\", "
			"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, %s}",
			i ? "," : "", i, common, rules[i]);
	fprintf(f, "]}");
	fclose(f);
	p = fixture_policy_parse(name, text, len);
	free(text);
	return p;
}

/* A policy with arguments collected and the given process rules, each a JSON object body. */
static policy *make_policy(const char *mode, const char *const *rules, size_t n)
{
	char head[128];

	snprintf(head, sizeof(head),
		 "\"mode\": \"%s\", \"settings\": {\"collect_arguments\": true}", mode);
	return build_policy("eval.json", head, "\"type\": \"process\", ", rules, n);
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

/* ---- network rules ---------------------------------------------------------------- */

/* A policy of rules each with their own "type" and what follows the common fields. */
static policy *make_typed_policy(const char *mode, const char *const *rules, size_t n)
{
	char head[64];

	snprintf(head, sizeof(head), "\"mode\": \"%s\"", mode);
	return build_policy("net.json", head, "", rules, n);
}

static policy *one_net_rule(const char *rule)
{
	char *typed = NULL;
	policy *p;

	assert_true(asprintf(&typed, "\"type\": \"network\", %s", rule) > 0);
	p = make_typed_policy("monitor", (const char *const[]){ typed }, 1);
	free(typed);
	return p;
}

/* A connection to or from text (IPv4 or IPv6), by /usr/bin/curl as uid 1000. */
static struct policy_connection conn(enum policy_net_direction d, unsigned protocol,
				     const char *text, uint16_t port)
{
	struct policy_connection c = {
		.direction = d,
		.protocol = protocol,
		.family = strchr(text, ':') ? AF_INET6 : AF_INET,
		.port = port,
		.path = "/usr/bin/curl",
		.uid = 1000,
	};

	assert_int_equal(inet_pton(c.family, text, c.addr), 1);
	return c;
}

static struct policy_connection out_tcp(const char *text, uint16_t port)
{
	return conn(POLICY_NET_OUTBOUND, POLICY_NET_TCP, text, port);
}

/* Whether c matches, checked to agree with policy_rule_net_matches() for every rule. */
static bool net_matched(const policy *p, const struct policy_connection *c)
{
	struct policy_match m[8];
	size_t n = policy_eval_net(p, c, m, 8);

	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);
		bool found = false;

		for (size_t k = 0; k < n && k < 8; k++)
			found |= m[k].rule == r;
		if (policy_rule_enabled(r))
			assert_int_equal(found, policy_rule_net_matches(r, c));
	}
	return n > 0;
}

/* net_matched() for an outbound TCP connection to text:port: one case, one line. */
static bool out_tcp_matched(const policy *p, const char *text, uint16_t port)
{
	struct policy_connection c = out_tcp(text, port);

	return net_matched(p, &c);
}

/* The same for a TCP socket listening on text:port. */
static bool listen_tcp_matched(const policy *p, const char *text, uint16_t port)
{
	struct policy_connection c = conn(POLICY_NET_LISTEN, POLICY_NET_TCP, text, port);

	return net_matched(p, &c);
}

static void test_net_ipv4(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"address\": [\"10.0.0.0/8\", \"192.0.2.7\"]}");
	struct policy_connection c;

	assert_true(out_tcp_matched(p, "10.0.0.0", 443));
	assert_true(out_tcp_matched(p, "10.255.255.255", 1));
	assert_false(out_tcp_matched(p, "11.0.0.0", 443));
	assert_false(out_tcp_matched(p, "9.255.255.255", 443));
	assert_true(out_tcp_matched(p, "192.0.2.7", 443));
	assert_false(out_tcp_matched(p, "192.0.2.8", 443));
	/* Bytes past the IPv4 address are not looked at. */
	c = out_tcp("192.0.2.7", 443);
	memset(c.addr + 4, 0xaa, 12);
	assert_true(net_matched(p, &c));
	/* An IPv6 address is never in an IPv4 prefix, even with the same first bytes. */
	c = out_tcp("a00::", 443);
	assert_false(net_matched(p, &c));
	c.family = 0; /* neither family */
	assert_false(net_matched(p, &c));
	policy_unref(p);
}

static void test_net_ipv6_and_v4_mapped(void **state)
{
	policy *p = one_net_rule(
		"\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": {\"address\": "
		"[\"2001:db8::/32\", \"fe80::/10\", \"::ffff:198.51.100.0/120\", \"::1\"]}");

	assert_true(out_tcp_matched(p, "2001:db8:ffff::1", 443));
	assert_false(out_tcp_matched(p, "2001:db9::", 443));
	/* /10 is not a whole number of bytes. */
	assert_true(out_tcp_matched(p, "febf:ffff::", 443));
	assert_false(out_tcp_matched(p, "fec0::", 443));
	assert_true(out_tcp_matched(p, "::1", 443));
	assert_false(out_tcp_matched(p, "::2", 443));
	/* The v4-mapped prefix is IPv4: it matches IPv4 and v4-mapped IPv6 alike. */
	assert_true(out_tcp_matched(p, "198.51.100.9", 443));
	assert_true(out_tcp_matched(p, "::ffff:198.51.100.9", 443));
	assert_false(out_tcp_matched(p, "::ffff:198.51.101.9", 443));
	/* IPv4-compatible (deprecated) is not v4-mapped. */
	assert_false(out_tcp_matched(p, "::198.51.100.9", 443));
	policy_unref(p);

	/* An IPv4 rule catches the v4-mapped form too: the kernel judges it as IPv4. */
	p = one_net_rule("\"direction\": \"listen\", \"effect\": \"report\", \"match\": {}, "
			 "\"except\": [{\"address\": \"loopback\"}]");
	assert_false(listen_tcp_matched(p, "::ffff:127.0.0.1", 8080));
	assert_true(listen_tcp_matched(p, "::ffff:192.168.1.5", 8080));
	/* A bind to every address is not a bind to loopback. */
	assert_true(listen_tcp_matched(p, "0.0.0.0", 8080));
	assert_true(listen_tcp_matched(p, "::", 8080));
	assert_false(listen_tcp_matched(p, "::1", 8080));
	assert_false(listen_tcp_matched(p, "127.3.2.1", 8080));
	policy_unref(p);
}

/* Nested prefixes in several rules: each rule sees its own, longest or not. */
static void test_net_nested_prefixes(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"10.0.0.0/8\"}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"10.1.0.0/16\"}, \"except\": [{\"address\": "
		"\"10.1.2.0/24\"}]",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"address\": \"any\"}, \"except\": [{\"address\": \"10.1.2.3\"}]",
	};
	policy *p = make_typed_policy("monitor", rules, 3);
	struct policy_match m[4];
	struct policy_connection c;

	c = out_tcp("10.1.2.3", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	c = out_tcp("10.1.2.4", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = out_tcp("10.1.3.4", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 3);
	c = out_tcp("10.2.0.1", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 2);
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = out_tcp("2001:db8::1", 80);
	assert_int_equal(policy_eval_net(p, &c, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r2");
	policy_unref(p);
}

static void test_net_ports(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"port\": [25, \"8000-8999\", 0, 65535]}");
	static const struct {
		uint16_t port;
		bool matched;
	} cases[] = {
		{ 25, true },	{ 24, false },	{ 26, false },	 { 7999, false },
		{ 8000, true }, { 8500, true }, { 8999, true },	 { 9000, false },
		{ 0, true },	{ 1, false },	{ 65535, true }, { 65534, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_connection c = out_tcp("192.0.2.1", cases[i].port);

		if (net_matched(p, &c) != cases[i].matched)
			fail_msg("port %u: expected %s", cases[i].port,
				 cases[i].matched ? "a match" : "none");
	}
	policy_unref(p);
}

static void test_net_programs_and_users(void **state)
{
	policy *p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
				 "{\"path\": [\"/usr/bin/curl\", \"/usr/bin/wget\"]}");
	struct policy_connection c = out_tcp("192.0.2.1", 80);

	assert_true(net_matched(p, &c));
	c.path = "/usr/local/bin/curl";
	assert_false(net_matched(p, &c));
	c.path = NULL; /* not known: a path cannot match */
	assert_false(net_matched(p, &c));
	policy_unref(p);

	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"name\": \"curl\"}");
	c = out_tcp("192.0.2.1", 80);
	assert_true(net_matched(p, &c)); /* the last component of the path */
	c.path = "/home/ann/Downloads/curl";
	assert_true(net_matched(p, &c));
	c.name = "wget"; /* an explicit name wins */
	assert_false(net_matched(p, &c));
	c.path = NULL;
	c.name = "curl";
	assert_true(net_matched(p, &c));
	c.name = NULL;
	assert_false(net_matched(p, &c));
	policy_unref(p);

	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"user\": [\"alice\", 0]}");
	c = out_tcp("192.0.2.1", 80);
	assert_false(net_matched(p, &c)); /* uid 1000, name unknown */
	c.user_name = "alice";
	assert_true(net_matched(p, &c));
	c.user_name = "bob";
	assert_false(net_matched(p, &c));
	c.uid = 0;
	assert_true(net_matched(p, &c));
	policy_unref(p);

	/* Fields are ANDed. */
	p = one_net_rule("\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			 "{\"name\": \"curl\", \"user\": 1000, \"port\": 80, \"address\": "
			 "\"192.0.2.0/24\"}");
	c = out_tcp("192.0.2.1", 80);
	assert_true(net_matched(p, &c));
	c.uid = 1001;
	assert_false(net_matched(p, &c));
	assert_false(out_tcp_matched(p, "192.0.2.1", 81));
	assert_false(out_tcp_matched(p, "192.0.3.1", 80));
	c = out_tcp("192.0.2.1", 80);
	c.path = "/usr/bin/wget";
	assert_false(net_matched(p, &c));
	policy_unref(p);
}

static void test_net_excepts(void **state)
{
	policy *p = one_net_rule(
		"\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": {\"port\": 25}, "
		"\"except\": [{\"address\": \"192.0.2.25\"}, {\"name\": \"postfix\", \"user\": 0}, "
		"{\"address\": \"private\", \"port\": [25, 587]}]");
	struct policy_connection c;

	assert_true(out_tcp_matched(p, "198.51.100.1", 25));
	assert_false(out_tcp_matched(p, "192.0.2.25", 25)); /* the first except */
	c = out_tcp("198.51.100.1", 25);
	c.path = "/usr/sbin/postfix";
	assert_true(net_matched(p, &c)); /* the second except needs root too */
	c.uid = 0;
	assert_false(net_matched(p, &c));
	assert_false(out_tcp_matched(p, "10.0.0.25", 25)); /* the third */
	assert_false(out_tcp_matched(p, "fd00::25", 25));
	assert_false(out_tcp_matched(p, "10.0.0.25", 26)); /* not matched in the first place */
	policy_unref(p);
}

static void test_net_direction_and_protocol(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"protocol\": \"tcp\", "
		"\"effect\": \"deny\", \"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"protocol\": \"udp\", "
		"\"effect\": \"deny\", \"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"listen\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53}",
		"\"type\": \"network\", \"direction\": \"inbound\", \"effect\": \"report\", "
		"\"match\": {\"port\": 53, \"user\": 0}",
	};
	policy *p = make_typed_policy("monitor", rules, 5);
	struct policy_match m[8];
	struct policy_connection c;

	c = conn(POLICY_NET_OUTBOUND, POLICY_NET_TCP, "192.0.2.1", 53);
	assert_int_equal(policy_eval_net(p, &c, m, 8), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c.protocol = POLICY_NET_UDP;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 2);
	assert_string_equal(policy_rule_id(m[0].rule), "r1");
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	c = conn(POLICY_NET_LISTEN, POLICY_NET_UDP, "0.0.0.0", 53);
	assert_int_equal(policy_eval_net(p, &c, m, 8), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r3");
	c = conn(POLICY_NET_INBOUND, POLICY_NET_TCP, "203.0.113.5", 53);
	c.path = NULL; /* the kernel accepted it; no program yet */
	c.uid = 0;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r4");
	c.uid = 1000;
	assert_int_equal(policy_eval_net(p, &c, m, 8), 0);
	policy_unref(p);
}

static void test_net_order_modes_and_overflow(void **state)
{
	static const char *const rules[] = {
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"report\", "
		"\"match\": {}",
		"\"type\": \"process\", \"effect\": \"deny\", \"match\": {\"name\": \"curl\"}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"mode\": \"monitor\", \"match\": {\"port\": 443}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"enabled\": false, \"match\": {}",
		"\"type\": \"network\", \"direction\": \"outbound\", \"effect\": \"deny\", "
		"\"match\": {\"name\": \"curl\"}",
	};
	policy *p = make_typed_policy("enforce", rules, 5);
	struct policy_connection c = out_tcp("192.0.2.1", 443);
	struct policy_process proc = { .path = "/usr/bin/curl" };
	struct policy_match m[4];

	assert_int_equal(policy_eval_net(p, &c, m, 4), 3);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_int_equal(m[0].mode, POLICY_MODE_ENFORCE);
	assert_string_equal(policy_rule_id(m[1].rule), "r2");
	assert_int_equal(m[1].mode, POLICY_MODE_MONITOR);
	assert_string_equal(policy_rule_id(m[2].rule), "r4");
	assert_int_equal(policy_rule_effect(m[2].rule), POLICY_EFFECT_DENY);
	/* A short buffer holds the first ones; the count is still all. */
	memset(m, 0, sizeof(m));
	assert_int_equal(policy_eval_net(p, &c, m, 1), 3);
	assert_string_equal(policy_rule_id(m[0].rule), "r0");
	assert_null(m[1].rule);
	assert_int_equal(policy_eval_net(p, &c, NULL, 0), 3);
	/* A disabled rule matches when asked directly; a process rule never does. */
	assert_true(policy_rule_net_matches(policy_rule_at(p, 3), &c));
	assert_false(policy_rule_net_matches(policy_rule_at(p, 1), &c));
	/* Process evaluation never sees network rules, nor network evaluation processes. */
	assert_int_equal(policy_eval(p, &proc, m, 4), 1);
	assert_string_equal(policy_rule_id(m[0].rule), "r1");
	assert_false(policy_rule_matches(policy_rule_at(p, 4), &proc));
	assert_int_equal(policy_needs(p), 0);
	policy_unref(p);
}

/*
 * The kernel's decision, written as net-spec.md describes it: every clause of
 * every enabled rule is a bit; per field, a mask of the clauses that do not
 * constrain it or whose values hold the connection's; a rule fires when the
 * AND of all masks has its match bit and none of its except bits.  Built
 * here from the accessors, without policy_eval_net()'s code.
 */
static size_t kernel_model(const policy *p, const struct policy_connection *c, uint64_t *ret_fired)
{
	uint64_t mask[5] = {}, clauses_of = 0, fired = 0;
	uint8_t family = c->family, addr[16];
	const char *name = c->name ? c->name : c->path ? strrchr(c->path, '/') + 1 : NULL;
	unsigned bit = 0, first_bit[POLICY_NET_RULES_MAX];
	size_t n = 0;

	memcpy(addr, c->addr, 16);
	if (family == AF_INET6 && !memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		family = AF_INET;
		memmove(addr, addr + 12, 4);
	}
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		first_bit[i] = bit;
		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++, bit++) {
			const struct policy_net_clause *cl = policy_rule_net_clause_at(r, k);
			uint64_t b = UINT64_C(1) << bit;

			if (policy_rule_net_direction(r) == c->direction &&
			    (policy_rule_net_protocols(r) & c->protocol))
				clauses_of |= b;
			if (!cl->n_prefixes)
				mask[0] |= b;
			for (size_t j = 0; j < cl->n_prefixes; j++) {
				const struct policy_net_prefix *pf = &cl->prefixes[j];
				bool in = pf->family == family;

				for (unsigned x = 0; in && x < pf->prefixlen; x++)
					in = ((pf->addr[x / 8] ^ addr[x / 8]) &
					      (0x80 >> (x % 8))) == 0;
				if (in)
					mask[0] |= b;
			}
			if (!cl->n_ports)
				mask[1] |= b;
			for (size_t j = 0; j < cl->n_ports; j++)
				if (c->port >= cl->ports[j].first && c->port <= cl->ports[j].last)
					mask[1] |= b;
			if (!cl->n_paths)
				mask[2] |= b;
			for (size_t j = 0; j < cl->n_paths; j++)
				if (c->path && !strcmp(c->path, cl->paths[j]))
					mask[2] |= b;
			if (!cl->n_names)
				mask[3] |= b;
			for (size_t j = 0; j < cl->n_names; j++)
				if (name && !strcmp(name, cl->names[j]))
					mask[3] |= b;
			if (!cl->n_users)
				mask[4] |= b;
			for (size_t j = 0; j < cl->n_users; j++)
				if (cl->users[j].text ? c->user_name && !strcmp(c->user_name,
										cl->users[j].text) :
							cl->users[j].id == c->uid)
					mask[4] |= b;
		}
	}
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);
		uint64_t m = clauses_of & mask[0] & mask[1] & mask[2] & mask[3] & mask[4];
		uint64_t match_bit = UINT64_C(1) << first_bit[i];
		uint64_t except_bits = ((UINT64_C(1) << policy_rule_net_except_count(r)) - 1)
				       << (first_bit[i] + 1);

		if ((m & match_bit) && !(m & except_bits)) {
			fired |= UINT64_C(1) << i;
			n++;
		}
	}
	*ret_fired = fired;
	return n;
}

/* Random connections against a policy of many overlapping rules: the same answer as the kernel. */
static void test_net_agrees_with_kernel_model(void **state)
{
	static const char *const rules[] = {
		"\"direction\": \"outbound\", \"match\": {\"address\": \"private\"}, \"except\": "
		"[{\"address\": \"10.1.0.0/16\"}, {\"port\": \"0-1023\", \"user\": 0}]",
		"\"direction\": \"outbound\", \"protocol\": \"udp\", \"match\": {\"port\": 53}, "
		"\"except\": [{\"address\": [\"10.1.2.3\", \"fd00::53\"]}]",
		"\"direction\": \"outbound\", \"match\": {\"name\": [\"curl\", \"nc\"], \"address\": "
		"[\"any\"]}, \"except\": [{\"address\": \"loopback\"}]",
		"\"direction\": \"listen\", \"protocol\": \"tcp\", \"match\": {\"port\": "
		"\"1-65535\"}, \"except\": [{\"address\": \"loopback\"}, {\"path\": "
		"\"/usr/sbin/sshd\"}, {\"path\": \"/usr/lib/systemd/systemd\", \"port\": 22}]",
		"\"direction\": \"inbound\", \"match\": {\"user\": [\"alice\", 0]}, \"except\": "
		"[{\"address\": [\"link_local\", \"10.0.0.0/9\"]}]",
		"\"direction\": \"outbound\", \"match\": {\"address\": [\"192.0.2.0/25\", "
		"\"2001:db8::/33\"], \"port\": [80, 443, \"8000-8100\"]}",
		"\"direction\": \"listen\", \"match\": {\"address\": \"::/0\"}, \"except\": "
		"[{\"user\": \"alice\"}, {\"name\": \"sshd\"}]",
		"\"direction\": \"outbound\", \"enabled\": false, \"match\": {}",
		"\"direction\": \"outbound\", \"match\": {\"address\": \"multicast\", \"user\": 1000}",
	};
	static const char *const addrs[] = {
		"10.1.2.3",
		"10.1.200.1",
		"10.200.0.1",
		"10.127.0.1",
		"172.16.0.1",
		"172.32.0.1",
		"192.168.9.9",
		"192.0.2.1",
		"192.0.2.200",
		"127.0.0.1",
		"0.0.0.0",
		"169.254.1.1",
		"224.0.0.251",
		"8.8.8.8",
		"::",
		"::1",
		"fd00::53",
		"fd00::54",
		"fe80::1",
		"2001:db8::1",
		"2001:db8:8000::1",
		"::ffff:10.1.2.3",
		"::ffff:127.0.0.1",
		"ff02::fb",
		"2001:4860::8888",
	};
	static const uint16_t ports[] = { 0, 22, 53, 80, 443, 1023, 1024, 8000, 8100, 8101, 65535 };
	static const char *const paths[] = { "/usr/bin/curl", "/usr/sbin/sshd",
					     "/usr/lib/systemd/systemd", "/tmp/nc", NULL };
	static const char *const users[] = { "alice", "bob", NULL };
	static const uint32_t uids[] = { 0, 1000, 1001 };
	char *typed[sizeof(rules) / sizeof(rules[0])];
	size_t fired[POLICY_NET_RULES_MAX] = {}, none = 0;
	policy *p;
	unsigned seed = 42;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_true(asprintf(&typed[i], "\"type\": \"network\", \"effect\": \"report\", %s",
				     rules[i]) > 0);
	p = make_typed_policy("monitor", (const char *const *)typed,
			      sizeof(rules) / sizeof(rules[0]));
	assert_int_equal(policy_net_rule_count(p), 8);

	for (int iter = 0; iter < 20000; iter++) {
		struct policy_connection c;
		struct policy_match m[POLICY_NET_RULES_MAX];
		uint64_t want, got = 0;
		size_t n;

		c = conn((enum policy_net_direction)(rand_r(&seed) % 3),
			 rand_r(&seed) % 2 ? POLICY_NET_TCP : POLICY_NET_UDP,
			 addrs[rand_r(&seed) % (sizeof(addrs) / sizeof(addrs[0]))],
			 ports[rand_r(&seed) % (sizeof(ports) / sizeof(ports[0]))]);
		c.path = paths[rand_r(&seed) % (sizeof(paths) / sizeof(paths[0]))];
		c.user_name = users[rand_r(&seed) % (sizeof(users) / sizeof(users[0]))];
		c.uid = uids[rand_r(&seed) % (sizeof(uids) / sizeof(uids[0]))];

		n = policy_eval_net(p, &c, m, POLICY_NET_RULES_MAX);
		assert_int_equal(n, kernel_model(p, &c, &want));
		for (size_t k = 0; k < n; k++) {
			size_t i = 0;

			while (policy_net_rule_at(p, i) != m[k].rule)
				i++;
			/* In file order. */
			assert_true(k == 0 || (UINT64_C(1) << i) > got);
			got |= UINT64_C(1) << i;
			fired[i]++;
		}
		assert_true(got == want);
		none += n == 0;
	}
	/* Not vacuous: every enabled rule fired, and some connections matched nothing. */
	for (size_t i = 0; i < policy_net_rule_count(p); i++)
		if (fired[i] < 100)
			fail_msg("rule %s fired %zu times only",
				 policy_rule_id(policy_net_rule_at(p, i)), fired[i]);
	assert_true(none > 1000);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		free(typed[i]);
	policy_unref(p);
}

/* The most the kernel holds, every clause constraining every field: still cheap to judge. */
static void test_net_cost(void **state)
{
	enum { N = POLICY_NET_RULES_MAX };
	char *rules[N];
	struct policy_match m[N];
	struct timespec t0, t1;
	policy *p;
	double ns;

	for (int i = 0; i < N; i++)
		assert_true(asprintf(&rules[i],
				     "\"type\": \"network\", \"direction\": \"outbound\", "
				     "\"effect\": \"deny\", \"match\": {\"address\": [\"private\", "
				     "\"2001:db8:%x::/48\"], \"port\": [%d, \"%d-%d\"], \"name\": "
				     "\"prog%d\", \"user\": [%d, \"user%d\"]}",
				     i, 1000 + i, 2000 + 10 * i, 2005 + 10 * i, i, i, i) > 0);
	p = make_typed_policy("enforce", (const char *const *)rules, N);
	{
		struct policy_connection c = out_tcp("10.1.2.3", 2003);

		c.path = "/usr/bin/prog0";
		c.uid = 0;
		assert_int_equal(policy_eval_net(p, &c, m, N), 1);
		c = out_tcp("10.1.2.3", 2003); /* curl, uid 1000: nothing */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < 100000; k++)
			assert_int_equal(policy_eval_net(p, &c, m, N), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
		     100000;
		print_message("policy_eval_net, %d rules, no match: %.0f ns\n", N, ns);
	}
	for (int i = 0; i < N; i++)
		free(rules[i]);
	policy_unref(p);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_exact),
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
		cmocka_unit_test(test_net_ipv4),
		cmocka_unit_test(test_net_ipv6_and_v4_mapped),
		cmocka_unit_test(test_net_nested_prefixes),
		cmocka_unit_test(test_net_ports),
		cmocka_unit_test(test_net_programs_and_users),
		cmocka_unit_test(test_net_excepts),
		cmocka_unit_test(test_net_direction_and_protocol),
		cmocka_unit_test(test_net_order_modes_and_overflow),
		cmocka_unit_test(test_net_agrees_with_kernel_model),
		cmocka_unit_test(test_net_cost),
	};

	return cmocka_run_group_tests_name("policy_eval", tests, NULL, NULL);
}
