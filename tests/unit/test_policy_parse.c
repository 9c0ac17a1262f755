// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing and validation.  Invalid policies live in
 * tests/fixtures/policies/invalid/NAME.json, each beside NAME.expected: the
 * exact errors, one a line, as `posturectl policy check` prints them (file,
 * line, column, message, JSON pointer).  Run from the top of the tree.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "../../policy/policy.h"
#include "fixtures.h"

#define INVALID_DIR   "tests/fixtures/policies/invalid"
#define VALID_DIR     "tests/fixtures/policies/valid"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* All errors of parsing text as `name`, formatted and joined by newlines. */
static char *errors_of(const char *name, const char *text, size_t size, int *ret_r)
{
	policy_errors *errors = policy_errors_new();
	policy *p = NULL;
	char *all = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(errors);
	*ret_r = policy_parse(name, text, size, errors, &p);
	f = open_memstream(&all, &len);
	assert_non_null(f);
	for (size_t i = 0; i < policy_errors_count(errors); i++) {
		char *s;

		assert_int_equal(policy_error_format(policy_errors_get(errors, i), &s), 0);
		fprintf(f, "%s\n", s);
		free(s);
	}
	fclose(f);
	policy_unref(p);
	policy_errors_free(errors);
	return all;
}

static void test_invalid_fixture(void **state)
{
	const char *name = *state;
	char path[512], expected_path[512];
	char *text, *expected, *got;
	size_t size, esize;
	int r;

	snprintf(path, sizeof(path), "%s/%s.json", INVALID_DIR, name);
	snprintf(expected_path, sizeof(expected_path), "%s/%s.expected", INVALID_DIR, name);
	text = fixture_read(path, &size);
	expected = fixture_read(expected_path, &esize);

	snprintf(path, sizeof(path), "%s.json", name);
	got = errors_of(path, text, size, &r);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(got, expected);
	free(got);
	free(text);
	free(expected);
}

/* ---- inline invalid policies ------------------------------------------------ */

static void expect_one_error(const char *text, unsigned line, unsigned column, const char *pointer,
			     const char *message)
{
	policy_errors *errors = policy_errors_new();
	const struct policy_error *e;
	policy *p = NULL;

	assert_int_equal(policy_parse("inline.json", text, strlen(text), errors, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(policy_errors_count(errors), 1);
	e = policy_errors_get(errors, 0);
	assert_string_equal(e->file, "inline.json");
	assert_string_equal(e->message, message);
	assert_string_equal(e->pointer, pointer);
	assert_int_equal(e->line, line);
	assert_int_equal(e->column, column);
	policy_errors_free(errors);
}

static void test_too_large(void **state)
{
	size_t size = POLICY_SIZE_MAX + 1;
	char *big = malloc(size);
	policy_errors *errors = policy_errors_new();
	const struct policy_error *e;
	policy *p = NULL;
	char *s;

	assert_non_null(big);
	memset(big, ' ', size);
	assert_int_equal(policy_parse("big.json", big, size, errors, &p), -EFBIG);
	assert_int_equal(policy_errors_count(errors), 1);
	e = policy_errors_get(errors, 0);
	assert_int_equal(e->line, 0);
	assert_int_equal(policy_error_format(e, &s), 0);
	assert_string_equal(s, "big.json: error: the policy is 1048577 bytes; at most 1048576 "
			       "bytes are allowed");
	free(s);
	policy_errors_free(errors);
	free(big);
}

static void test_nul_in_string(void **state)
{
	expect_one_error("{\"id\": \"p\\u0000x\", \"serial\": 1, \"rules\": []}", 1, 8, "/id",
			 "a string holds the character \\u0000, which is not allowed");
}

static void test_string_too_long(void **state)
{
	size_t n = POLICY_STRING_MAX + 1;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "{\"description\": \"");
	memset(text + strlen(text), 'x', n);
	strcpy(text + 17 + n, "\", \"id\": \"p\", \"serial\": 1, \"rules\": []}");
	expect_one_error(text, 1, 17, "/description", "a string longer than 8192 bytes");
	free(text);
}

static void test_utf8_invalid(void **state)
{
	expect_one_error(
		"{\"id\": \"p\", \"serial\": 1,\n \"description\": \"caf\xe9\", \"rules\": []}", 2,
		21, "/description", "invalid JSON: the text is not valid UTF-8");
}

static void test_byte_order_mark(void **state)
{
	expect_one_error("\xef\xbb\xbf{\"id\": \"p\", \"serial\": 1, \"rules\": []}", 1, 1, "",
			 "invalid JSON: the file starts with a byte-order mark; save it as UTF-8 "
			 "without one");
}

static void test_columns_count_characters(void **state)
{
	/* The column after Japanese text counts characters, not bytes. */
	expect_one_error("{\"description\": \"日本語\", \"x\": 1, \"id\": \"p\", \"serial\": 1, "
			 "\"rules\": []}",
			 1, 24, "/x",
			 "unknown field \"x\"; expected one of: $schema, id, serial, description, "
			 "mode, settings, rules");
}

static void test_crlf_and_comments(void **state)
{
	expect_one_error(
		"/* header\r\n * comment */\r\n{\"id\": \"p\", // trailing\r\n"
		"\t\"serial\": true, \"rules\": []}\r\n",
		4, 12, "/serial",
		"\"serial\" must be a whole number from 1 to 9223372036854775807, not true");
}

static void test_pointer_escaping(void **state)
{
	expect_one_error(
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [], \"a/b~c\": 1}", 1, 39, "/a~1b~0c",
		"unknown field \"a/b~c\"; expected one of: $schema, id, serial, description, "
		"mode, settings, rules");
}

static void test_control_characters_escaped(void **state)
{
	/* An escape sequence in a key must not reach the terminal raw. */
	expect_one_error("{\"id\": \"p\", \"serial\": 1, \"rules\": [], \"\\u001b[2J\": 1}", 1, 39,
			 "/\\u001b[2J",
			 "unknown field \"\\u001b[2J\"; expected one of: $schema, id, serial, "
			 "description, mode, settings, rules");
}

static void test_too_many_rules(void **state)
{
	/* One more rule than allowed, each the smallest the grammar takes: null. */
	size_t n = POLICY_RULES_MAX + 1;
	char *text = malloc(n * 5 + 64);
	size_t len;

	assert_non_null(text);
	len = (size_t)sprintf(text, "{\"id\": \"p\", \"serial\": 1, \"rules\": [");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%snull", i ? "," : "");
	strcpy(text + len, "]}");
	expect_one_error(text, 1, 36 + 5 * POLICY_RULES_MAX, "/rules",
			 "more than 10000 entries in one array");
	free(text);
}

static void test_list_too_long(void **state)
{
	char *text = malloc(16 * (POLICY_LIST_MAX + 1) + 512);
	size_t len;

	assert_non_null(text);
	len = (size_t)sprintf(text,
			      "{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", "
			      "\"type\": \"process\", \"title\": \"t\", \"severity\": "
			      "\"low\", \"message\": {\"en\": \"m\"}, \"remediation\": "
			      "{\"en\": \"r\"}, \"effect\": \"deny\", \"match\": {\"name\": [");
	for (size_t i = 0; i <= POLICY_LIST_MAX; i++)
		len += (size_t)sprintf(text + len, "%s\"n%zu\"", i ? "," : "", i);
	strcpy(text + len, "]}}]}");
	expect_one_error(text, 1, 188, "/rules/0/match/name", "\"name\" has more than 1024 values");
	free(text);
}

static void test_error_limit(void **state)
{
	/* 300 unknown fields: 200 errors, then a last one saying the rest were left out. */
	policy_errors *errors = policy_errors_new();
	char *text = malloc(300 * 16 + 64);
	const struct policy_error *e;
	policy *p = NULL;
	size_t len;

	assert_non_null(text);
	len = (size_t)sprintf(text, "{\"id\": \"p\", \"serial\": 1, \"rules\": []");
	for (int i = 0; i < 300; i++)
		len += (size_t)sprintf(text + len, ", \"x%d\": 1", i);
	strcpy(text + len, "}");
	assert_int_equal(policy_parse("many.json", text, strlen(text), errors, &p), -EINVAL);
	assert_int_equal(policy_errors_count(errors), POLICY_ERRORS_MAX + 1);
	e = policy_errors_get(errors, POLICY_ERRORS_MAX);
	assert_int_equal(e->line, 0);
	assert_string_equal(e->message, "too many errors; only the first 200 are shown");
	e = policy_errors_get(errors, 0);
	assert_string_equal(e->pointer, "/x0");
	policy_errors_free(errors);
	free(text);
}

static void test_errors_null_list(void **state)
{
	/* Errors may be ignored: NULL list, still -EINVAL. */
	policy *p = NULL;

	assert_int_equal(policy_parse("x", "{}", 2, NULL, &p), -EINVAL);
	assert_null(p);
}

static void test_several_files_one_list(void **state)
{
	policy_errors *errors = policy_errors_new();
	policy *p = NULL;

	assert_int_equal(policy_parse("a.json", "[]", 2, errors, &p), -EINVAL);
	assert_int_equal(policy_parse("b.json", "{\"id\":\"p\",\"serial\":1}", 21, errors, &p),
			 -EINVAL);
	assert_int_equal(policy_errors_count(errors), 2);
	assert_string_equal(policy_errors_get(errors, 0)->file, "a.json");
	assert_string_equal(policy_errors_get(errors, 1)->file, "b.json");
	assert_string_equal(policy_errors_get(errors, 1)->message,
			    "missing required field \"rules\"");
	assert_null(policy_errors_get(errors, 2));
	policy_errors_free(errors);
}

static void test_load_errors(void **state)
{
	policy_errors *errors = policy_errors_new();
	policy *p = NULL;

	assert_int_equal(policy_load("tests/fixtures/policies/does-not-exist.json", errors, &p),
			 -ENOENT);
	assert_int_equal(policy_load("tests/fixtures/policies", errors, &p), -EISDIR);
	assert_int_equal(policy_load("/dev/null", errors, &p), -EBADFD);
	assert_int_equal(policy_errors_count(errors), 0);
	assert_null(p);
	policy_errors_free(errors);
}

/* ---- valid policies ------------------------------------------------------------ */

static policy *parse_ok(const char *text)
{
	policy_errors *errors = policy_errors_new();
	policy *p = NULL;
	int r = policy_parse("ok.json", text, strlen(text), errors, &p);

	for (size_t i = 0; i < policy_errors_count(errors); i++) {
		char *s;

		assert_int_equal(policy_error_format(policy_errors_get(errors, i), &s), 0);
		print_error("%s\n", s);
		free(s);
	}
	assert_int_equal(r, 0);
	assert_int_equal(policy_errors_count(errors), 0);
	policy_errors_free(errors);
	return p;
}

static void test_minimal_defaults(void **state)
{
	policy *p = parse_ok("{\"id\": \"p\", \"serial\": 7, \"rules\": []}");
	const struct policy_settings *s = policy_settings(p);

	assert_string_equal(policy_id(p), "p");
	assert_int_equal(policy_serial(p), 7);
	assert_null(policy_description(p));
	assert_int_equal(policy_mode(p), POLICY_MODE_MONITOR);
	assert_int_equal(s->check_interval_seconds, 900);
	assert_int_equal(s->report_interval_seconds, 60);
	assert_false(s->collect_arguments);
	assert_false(s->exec_audit);
	assert_int_equal(s->require_grace_seconds, 300);
	assert_int_equal(s->sent_retention_days, 30);
	assert_int_equal(policy_rule_count(p), 0);
	assert_null(policy_rule_at(p, 0));
	assert_int_equal(policy_require_count(p), 0);
	assert_int_equal(policy_needs(p), 0);
	assert_null(policy_unref(p));
}

static void test_full_round_trip(void **state)
{
	size_t size;
	char *text = fixture_read(VALID_DIR "/full.json", &size);
	policy *p = parse_ok(text);
	const struct policy_settings *s = policy_settings(p);
	const struct policy_matcher *m;
	const policy_rule *r;

	assert_string_equal(policy_id(p), "acme.telework-2024");
	assert_int_equal(policy_serial(p), 42);
	assert_string_equal(policy_description(p), "Everything the language has.\nTwo lines.");
	assert_int_equal(policy_mode(p), POLICY_MODE_ENFORCE);
	assert_int_equal(s->check_interval_seconds, 3600);
	assert_int_equal(s->report_interval_seconds, 120);
	assert_true(s->collect_arguments);
	assert_true(s->exec_audit);
	assert_int_equal(s->require_grace_seconds, 45);
	assert_int_equal(s->sent_retention_days, 90);
	assert_int_equal(policy_rule_count(p), 3);

	r = policy_rule_at(p, 0);
	assert_ptr_equal(policy_rule_find(p, "deny-everything"), r);
	assert_int_equal(policy_rule_index(r), 0);
	assert_string_equal(policy_rule_id(r), "deny-everything");
	assert_int_equal(policy_rule_type(r), POLICY_RULE_PROCESS);
	assert_string_equal(policy_rule_title(r), "Every matcher at once");
	assert_int_equal(policy_rule_severity(r), POLICY_SEVERITY_CRITICAL);
	assert_true(policy_rule_enabled(r));
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_MONITOR);
	assert_true(policy_rule_mode_is_explicit(r));
	assert_int_equal(policy_rule_tag_count(r), 2);
	assert_string_equal(policy_rule_tag(r, 0), "CIS-6.1.1");
	assert_string_equal(policy_rule_tag(r, 1), "internal:SEC-12");
	assert_null(policy_rule_tag(r, 2));
	assert_string_equal(policy_rule_contact(r), "it-help@example.com");
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_DENY);
	assert_int_equal(policy_rule_grace_seconds(r), 0);
	assert_int_equal(policy_rule_text_count(r, POLICY_TEXT_MESSAGE), 3);
	assert_string_equal(policy_rule_text_at(r, POLICY_TEXT_MESSAGE, 2)->lang, "pt-BR");
	assert_null(policy_rule_text_at(r, POLICY_TEXT_MESSAGE, 3));
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_MESSAGE, NULL), "English message.");
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_MESSAGE, "ja"), "日本語のメッセージ。");
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_MESSAGE, "ja-JP"),
			    "日本語のメッセージ。");
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_MESSAGE, "pt"), "Mensagem.");
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_MESSAGE, "de"), "English message.");
	assert_string_equal(policy_rule_text(r, POLICY_TEXT_REMEDIATION, "ja"), "Fix it.");
	assert_int_equal(policy_rule_key_field(r), POLICY_FIELD_PATH);
	assert_int_equal(policy_rule_key_count(r), 2);
	assert_string_equal(policy_rule_key_at(r, 1), "/usr/local/bin/x11vnc");
	assert_null(policy_rule_key_at(r, 2));
	assert_false(policy_rule_kernel_decidable(r));

	m = policy_rule_matcher(r, POLICY_FIELD_PATH);
	assert_non_null(m);
	assert_int_equal(m->field, POLICY_FIELD_PATH);
	assert_int_equal(m->n_values, 2);
	assert_true(m->exact);
	assert_string_equal(m->values[0].text, "/usr/bin/x11vnc");
	assert_false(m->values[0].glob);
	m = policy_rule_matcher(r, POLICY_FIELD_NAME);
	assert_false(m->exact);
	assert_true(m->values[0].glob);
	m = policy_rule_matcher(r, POLICY_FIELD_SHA256);
	/* Digests are kept in lower case. */
	assert_string_equal(m->values[0].text,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	m = policy_rule_matcher(r, POLICY_FIELD_USER);
	assert_int_equal(m->n_values, 2);
	assert_string_equal(m->values[0].text, "alice");
	assert_null(m->values[1].text);
	assert_int_equal(m->values[1].id, 1000);
	m = policy_rule_matcher(r, POLICY_FIELD_GROUP);
	assert_null(m->values[0].text);
	assert_int_equal(m->values[0].id, 0);
	assert_non_null(policy_rule_matcher(r, POLICY_FIELD_PARENT_PATH));
	assert_non_null(policy_rule_matcher(r, POLICY_FIELD_ARGS_CONTAINS));
	assert_null(policy_rule_matcher(r, _POLICY_FIELD_MAX));

	r = policy_rule_at(p, 1);
	assert_string_equal(policy_rule_id(r), "require-vpn");
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_REQUIRE);
	/* The policy's mode, and the policy's default grace. */
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_ENFORCE);
	assert_false(policy_rule_mode_is_explicit(r));
	assert_int_equal(policy_rule_grace_seconds(r), 45);
	assert_null(policy_rule_contact(r));
	assert_int_equal(policy_rule_tag_count(r), 0);
	assert_int_equal(policy_rule_key_field(r), POLICY_FIELD_NAME);
	assert_true(policy_rule_kernel_decidable(r));

	r = policy_rule_at(p, 2);
	assert_false(policy_rule_enabled(r));
	assert_int_equal(policy_rule_grace_seconds(r), 10);
	/* Disabled: not compiled, so no keys. */
	assert_int_equal(policy_rule_key_field(r), _POLICY_FIELD_NONE);
	assert_int_equal(policy_rule_key_count(r), 0);

	/* Only the enabled require rule. */
	assert_int_equal(policy_require_count(p), 1);
	assert_ptr_equal(policy_require_at(p, 0), policy_rule_at(p, 1));
	assert_null(policy_require_at(p, 1));
	assert_int_equal(policy_needs(p), POLICY_NEED_SHA256 | POLICY_NEED_PARENT |
						  POLICY_NEED_USER_NAME | POLICY_NEED_ARGS |
						  POLICY_NEED_EVERY_EXEC);

	assert_ptr_equal(policy_ref(p), p);
	assert_null(policy_unref(p));
	assert_string_equal(policy_id(p), "acme.telework-2024");
	assert_null(policy_unref(p));
	free(text);
}

/* Process rules' "except": each clause as written, what it makes the rule need, no conflict. */
static void test_process_excepts(void **state)
{
	size_t size;
	char *text = fixture_read(VALID_DIR "/process-except.json", &size);
	policy *p = parse_ok(text);
	const struct policy_matcher *m;
	const policy_rule *r;

	r = policy_rule_find(p, "no-compilers-from-tmp");
	assert_int_equal(policy_rule_except_count(r), 2);
	m = policy_rule_except_matcher(r, 0, POLICY_FIELD_PARENT_PATH);
	assert_non_null(m);
	assert_int_equal(m->n_values, 2);
	assert_true(m->exact);
	assert_string_equal(m->values[1].text, "/usr/bin/ninja");
	assert_null(policy_rule_except_matcher(r, 0, POLICY_FIELD_NAME));
	m = policy_rule_except_matcher(r, 1, POLICY_FIELD_NAME);
	assert_false(m->exact);
	assert_string_equal(policy_rule_except_matcher(r, 1, POLICY_FIELD_USER)->values[0].text,
			    "builder");
	assert_null(policy_rule_except_matcher(r, 2, POLICY_FIELD_NAME));
	assert_null(policy_rule_except_matcher(r, 0, _POLICY_FIELD_MAX));

	/* An exact path with an except: found by the path, judged in userspace. */
	r = policy_rule_find(p, "no-netcat");
	assert_int_equal(policy_rule_key_field(r), POLICY_FIELD_PATH);
	assert_false(policy_rule_kernel_decidable(r));

	r = policy_rule_find(p, "shell-tools-watched");
	m = policy_rule_except_matcher(r, 1, POLICY_FIELD_GROUP);
	assert_string_equal(m->values[0].text, "staff");
	assert_null(m->values[1].text);
	assert_int_equal(m->values[1].id, 50);

	/* A deny rule with an except does not deny outright: the require rule stands. */
	assert_int_equal(policy_require_count(p), 1);
	assert_int_equal(policy_rule_except_count(policy_require_at(p, 0)), 1);
	assert_int_equal(policy_needs(p), POLICY_NEED_SHA256 | POLICY_NEED_PARENT |
						  POLICY_NEED_USER_NAME | POLICY_NEED_GROUP_NAME |
						  POLICY_NEED_ARGS | POLICY_NEED_EVERY_EXEC);

	/* Other types of rule have no process excepts. */
	policy_unref(p);
	p = parse_ok("{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"n\", \"type\": "
		     "\"network\", \"title\": \"t\", \"severity\": \"low\", \"message\": {\"en\": "
		     "\"m\"}, \"remediation\": {\"en\": \"r\"}, \"direction\": \"outbound\", "
		     "\"effect\": \"report\", \"match\": {}, \"except\": [{\"port\": 53}]}]}");
	assert_int_equal(policy_rule_except_count(policy_rule_at(p, 0)), 0);
	assert_int_equal(policy_rule_net_except_count(policy_rule_at(p, 0)), 1);
	policy_unref(p);
	free(text);
}

/* A process rule's except with an error in it: one error, where it is. */
static void test_process_except_errors(void **state)
{
	static const char head[] =
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", "
		"\"type\": \"process\", \"title\": \"t\", \"severity\": \"low\", "
		"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, "
		"\"effect\": \"deny\", \"match\": {\"name\": \"nc\"}, ";
	char text[1024];

	snprintf(text, sizeof(text), "%s\"except\": [{\"user\": -1}]}]}", head);
	expect_one_error(text, 1, 215, "/rules/0/except/0/user",
			 "uid -1 is out of range; expected 0 to 4294967294");
	snprintf(text, sizeof(text), "%s\"except\": [{\"name\": \"n[c\"}]}]}", head);
	expect_one_error(text, 1, 215, "/rules/0/except/0/name",
			 "name \"n[c\" has a \"[\" without its closing \"]\"");
	snprintf(text, sizeof(text), "%s\"except\": [{\"name\": [\"nc\", \"ncat\"]}]}]}", head);
	expect_one_error(text, 1, 206, "/rules/0/except/0",
			 "this except clause leaves out every program \"match\" matches, so the "
			 "rule could never match");
	/* A check rule has no "except". */
	expect_one_error(
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"c\", \"type\": "
		"\"check\", \"title\": \"t\", \"severity\": \"low\", \"message\": {\"en\": "
		"\"m\"}, \"remediation\": {\"en\": \"r\"}, \"check\": \"firewall\", "
		"\"except\": []}]}",
		1, 171, "/rules/0/except",
		"unknown field \"except\"; expected one of: id, type, title, severity, "
		"enabled, mode, tags, message, remediation, contact, check, params");
}

static void test_valid_fixtures(void **state)
{
	DIR *d = opendir(VALID_DIR);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512];
		policy_errors *errors;
		policy *p = NULL;
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", VALID_DIR, de->d_name);
		errors = policy_errors_new();
		if (policy_load(path, errors, &p) != 0)
			fail_msg("%s does not parse (%zu errors)", path,
				 policy_errors_count(errors));
		policy_unref(p);
		policy_errors_free(errors);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
}

static void test_enum_strings(void **state)
{
	assert_string_equal(policy_effect_to_string(POLICY_EFFECT_REPORT), "report");
	assert_string_equal(policy_net_direction_to_string(POLICY_NET_OUTBOUND), "outbound");
	assert_string_equal(policy_net_direction_to_string(POLICY_NET_INBOUND), "inbound");
	assert_string_equal(policy_net_direction_to_string(POLICY_NET_LISTEN), "listen");
	assert_null(policy_net_direction_to_string((enum policy_net_direction)3));
	assert_string_equal(policy_mode_to_string(POLICY_MODE_ENFORCE), "enforce");
	assert_string_equal(policy_severity_to_string(POLICY_SEVERITY_MEDIUM), "medium");
	assert_string_equal(policy_rule_type_to_string(POLICY_RULE_NETWORK), "network");
	assert_string_equal(policy_effect_to_string(POLICY_EFFECT_REQUIRE), "require");
	assert_string_equal(policy_field_to_string(POLICY_FIELD_ARGS_CONTAINS), "args_contains");
	assert_null(policy_field_to_string(_POLICY_FIELD_MAX));
}

static void test_globs_accepted(void **state)
{
	/* What fnmatch(3) reads as one set, with classes and escapes, is fine. */
	policy *p = parse_ok(
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": \"process\", "
		"\"title\": \"t\", \"severity\": \"low\", \"message\": {\"en\": \"m\"}, "
		"\"remediation\": {\"en\": \"r\"}, \"effect\": \"deny\", \"match\": {\"path\": "
		"[\"/opt/[[:alpha:]]x/bin/*\", \"/opt/[]a]/y\", \"/opt/[!x]\", \"/opt/a\\\\*b\"], "
		"\"name\": [\"*\", \"[!.]?\"]}}]}");
	const struct policy_matcher *m =
		policy_rule_matcher(policy_rule_at(p, 0), POLICY_FIELD_PATH);

	assert_int_equal(m->n_values, 4);
	for (size_t i = 0; i < m->n_values; i++)
		assert_true(m->values[i].glob);
	policy_unref(p);
}

/* ---- network rules ------------------------------------------------------------- */

static void assert_prefix(const struct policy_net_prefix *p, int family, unsigned prefixlen,
			  const char *addr)
{
	uint8_t want[16] = {};

	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_int_equal(p->family, family);
	assert_int_equal(p->prefixlen, prefixlen);
	assert_memory_equal(p->addr, want, sizeof(want));
}

static void assert_ports(const struct policy_net_port_range *r, unsigned first, unsigned last)
{
	assert_int_equal(r->first, first);
	assert_int_equal(r->last, last);
}

static void test_network_round_trip(void **state)
{
	policy_errors *errors = policy_errors_new();
	const struct policy_net_clause *c;
	const policy_rule *r;
	policy *p = NULL;

	assert_int_equal(policy_load(VALID_DIR "/network.json", errors, &p), 0);
	assert_int_equal(policy_errors_count(errors), 0);
	policy_errors_free(errors);
	assert_int_equal(policy_rule_count(p), 5);

	/* The enabled network rules, in file order: not the process rule, not the disabled one. */
	assert_int_equal(policy_net_rule_count(p), 3);
	assert_ptr_equal(policy_net_rule_at(p, 0), policy_rule_at(p, 0));
	assert_ptr_equal(policy_net_rule_at(p, 1), policy_rule_at(p, 2));
	assert_ptr_equal(policy_net_rule_at(p, 2), policy_rule_at(p, 3));
	assert_null(policy_net_rule_at(p, 3));
	/* Network rules ask nothing of execs. */
	assert_int_equal(policy_needs(p), 0);
	assert_int_equal(policy_require_count(p), 0);

	r = policy_rule_at(p, 0);
	assert_int_equal(policy_rule_type(r), POLICY_RULE_NETWORK);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_LISTEN);
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP);
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_REPORT);
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_ENFORCE);
	assert_int_equal(policy_rule_grace_seconds(r), 0);
	assert_int_equal(policy_rule_key_field(r), _POLICY_FIELD_NONE);
	assert_false(policy_rule_kernel_decidable(r));
	assert_null(policy_rule_matcher(r, POLICY_FIELD_PATH));
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes + c->n_paths + c->n_names + c->n_users, 0);
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 1, 65535);
	assert_int_equal(policy_rule_net_except_count(r), 3);
	c = policy_rule_net_except_at(r, 0);
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "127.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 128, "::1");
	c = policy_rule_net_except_at(r, 1);
	assert_int_equal(c->n_paths, 1);
	assert_string_equal(c->paths[0], "/usr/sbin/sshd");
	assert_int_equal(c->n_ports + c->n_prefixes, 0);
	c = policy_rule_net_except_at(r, 2);
	assert_string_equal(c->paths[0], "/usr/lib/systemd/systemd");
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 22, 22);
	assert_null(policy_rule_net_except_at(r, 3));
	/* The same clauses in one walk: match first, then the excepts in order. */
	assert_int_equal(policy_rule_net_clause_count(r), 4);
	assert_ptr_equal(policy_rule_net_clause_at(r, 0), policy_rule_net_match(r));
	for (size_t k = 1; k < 4; k++)
		assert_ptr_equal(policy_rule_net_clause_at(r, k),
				 policy_rule_net_except_at(r, k - 1));
	assert_null(policy_rule_net_clause_at(r, 4));

	/* A process rule has no network parts. */
	r = policy_rule_at(p, 1);
	assert_null(policy_rule_net_match(r));
	assert_int_equal(policy_rule_net_except_count(r), 0);
	assert_null(policy_rule_net_except_at(r, 0));
	assert_int_equal(policy_rule_net_clause_count(r), 0);
	assert_null(policy_rule_net_clause_at(r, 0));
	assert_int_equal(policy_rule_net_protocols(r), 0);

	r = policy_rule_at(p, 2);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_OUTBOUND);
	/* "protocol" left out: both. */
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP | POLICY_NET_UDP);
	assert_int_equal(policy_rule_effect(r), POLICY_EFFECT_DENY);
	assert_int_equal(policy_rule_mode(r), POLICY_MODE_MONITOR);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 0, "0.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 0, "::");
	assert_int_equal(c->n_ports, 3);
	assert_ports(&c->ports[0], 25, 25);
	assert_ports(&c->ports[1], 465, 465);
	assert_ports(&c->ports[2], 587, 587);
	assert_int_equal(c->n_users, 2);
	assert_string_equal(c->users[0].text, "alice");
	assert_null(c->users[1].text);
	assert_int_equal(c->users[1].id, 1000);
	c = policy_rule_net_except_at(r, 0);
	assert_int_equal(c->n_prefixes, 3);
	assert_prefix(&c->prefixes[0], AF_INET, 32, "192.0.2.25");
	assert_prefix(&c->prefixes[1], AF_INET6, 32, "2001:db8::");
	/* v4-mapped is IPv4, as the kernel judges it. */
	assert_prefix(&c->prefixes[2], AF_INET, 24, "198.51.100.0");

	r = policy_rule_at(p, 3);
	assert_int_equal(policy_rule_net_direction(r), POLICY_NET_INBOUND);
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_TCP | POLICY_NET_UDP);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_prefixes + c->n_ports + c->n_paths + c->n_names + c->n_users, 0);
	c = policy_rule_net_except_at(r, 0);
	/* private (4), link_local (2), loopback (2), in that order. */
	assert_int_equal(c->n_prefixes, 8);
	assert_prefix(&c->prefixes[3], AF_INET6, 7, "fc00::");
	assert_prefix(&c->prefixes[5], AF_INET6, 10, "fe80::");
	assert_prefix(&c->prefixes[7], AF_INET6, 128, "::1");
	c = policy_rule_net_except_at(r, 1);
	assert_int_equal(c->n_users, 1);
	assert_int_equal(c->users[0].id, 0);
	assert_ports(&c->ports[0], 22, 22);

	/* Disabled, yet validated and readable. */
	r = policy_rule_at(p, 4);
	assert_false(policy_rule_enabled(r));
	assert_int_equal(policy_rule_net_protocols(r), POLICY_NET_UDP);
	c = policy_rule_net_match(r);
	assert_int_equal(c->n_names, 2);
	assert_string_equal(c->names[1], "wget");
	assert_prefix(&c->prefixes[0], AF_INET, 4, "224.0.0.0");
	policy_unref(p);
}

/* A policy of one network rule with the given fields after the common ones. */
static policy *net_policy(const char *fields)
{
	char *text = NULL;
	policy *p;

	assert_true(asprintf(&text,
			     "{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": "
			     "\"network\", \"title\": \"t\", \"severity\": \"low\", \"message\": "
			     "{\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, %s}]}",
			     fields) > 0);
	p = parse_ok(text);
	free(text);
	return p;
}

/* The prefixes of "address": value, in an outbound rule. */
static const struct policy_net_clause *address_clause(policy **p, const char *value)
{
	char *fields = NULL;

	assert_true(asprintf(&fields,
			     "\"direction\": \"outbound\", \"effect\": \"deny\", \"match\": "
			     "{\"address\": \"%s\"}",
			     value) > 0);
	*p = net_policy(fields);
	free(fields);
	return policy_rule_net_match(policy_rule_at(*p, 0));
}

static void test_network_keywords(void **state)
{
	const struct policy_net_clause *c;
	policy *p;

	c = address_clause(&p, "loopback");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "127.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 128, "::1");
	policy_unref(p);

	c = address_clause(&p, "private");
	assert_int_equal(c->n_prefixes, 4);
	assert_prefix(&c->prefixes[0], AF_INET, 8, "10.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET, 12, "172.16.0.0");
	assert_prefix(&c->prefixes[2], AF_INET, 16, "192.168.0.0");
	assert_prefix(&c->prefixes[3], AF_INET6, 7, "fc00::");
	policy_unref(p);

	c = address_clause(&p, "link_local");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 16, "169.254.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 10, "fe80::");
	policy_unref(p);

	c = address_clause(&p, "multicast");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 4, "224.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 8, "ff00::");
	policy_unref(p);

	c = address_clause(&p, "any");
	assert_int_equal(c->n_prefixes, 2);
	assert_prefix(&c->prefixes[0], AF_INET, 0, "0.0.0.0");
	assert_prefix(&c->prefixes[1], AF_INET6, 0, "::");
	policy_unref(p);
}

static void test_network_addresses(void **state)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefixlen;
		const char *addr;
	} cases[] = {
		{ "192.0.2.7", AF_INET, 32, "192.0.2.7" },
		{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0" },
		{ "0.0.0.0", AF_INET, 32, "0.0.0.0" },
		{ "::", AF_INET6, 128, "::" },
		{ "::1", AF_INET6, 128, "::1" },
		{ "fe80::/10", AF_INET6, 10, "fe80::" },
		{ "2001:DB8::/32", AF_INET6, 32, "2001:db8::" },
		{ "2001:db8::1/128", AF_INET6, 128, "2001:db8::1" },
		/* v4-mapped, in either notation, with the prefix length less 96. */
		{ "::ffff:127.0.0.1", AF_INET, 32, "127.0.0.1" },
		{ "::ffff:7f00:1", AF_INET, 32, "127.0.0.1" },
		{ "::ffff:10.0.0.0/104", AF_INET, 8, "10.0.0.0" },
		{ "::ffff:0:0/96", AF_INET, 0, "0.0.0.0" },
		/* Not v4-mapped: IPv4-compatible (deprecated) and NAT64 stay IPv6. */
		{ "::7f00:1", AF_INET6, 128, "::7f00:1" },
		{ "64:ff9b::/96", AF_INET6, 96, "64:ff9b::" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		policy *p;
		const struct policy_net_clause *c = address_clause(&p, cases[i].text);

		assert_int_equal(c->n_prefixes, 1);
		assert_prefix(&c->prefixes[0], cases[i].family, cases[i].prefixlen, cases[i].addr);
		policy_unref(p);
	}
}

static void test_network_ports(void **state)
{
	policy *p = net_policy("\"direction\": \"listen\", \"effect\": \"report\", \"match\": "
			       "{\"port\": [0, 65535, \"0-65535\", \"1024-2048\", \"7-7\"]}");
	const struct policy_net_clause *c = policy_rule_net_match(policy_rule_at(p, 0));

	assert_int_equal(c->n_ports, 5);
	assert_ports(&c->ports[0], 0, 0);
	assert_ports(&c->ports[1], 65535, 65535);
	assert_ports(&c->ports[2], 0, 65535);
	assert_ports(&c->ports[3], 1024, 2048);
	assert_ports(&c->ports[4], 7, 7);
	policy_unref(p);

	/* One port alone, not in an array. */
	p = net_policy("\"direction\": \"outbound\", \"effect\": \"report\", \"match\": "
		       "{\"port\": \"8000-8999\"}");
	c = policy_rule_net_match(policy_rule_at(p, 0));
	assert_int_equal(c->n_ports, 1);
	assert_ports(&c->ports[0], 8000, 8999);
	policy_unref(p);
}

/* Line and column of at in text, which is ASCII. */
static void position_of(const char *text, const char *at, unsigned *ret_line, unsigned *ret_column)
{
	unsigned line = 1, column = 1;

	assert_non_null(at);
	for (const char *c = text; c < at; c++) {
		if (*c == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	*ret_line = line;
	*ret_column = column;
}

/*
 * A policy of n network rules, one a line, "{...}" each with the common
 * fields and rule(i); rule(i) NULL: an outbound rule on all traffic.
 */
static char *net_rules_text(size_t n, const char *(*rule)(size_t i, char *buf, size_t size))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fprintf(f, "{\"id\": \"p\", \"serial\": 1, \"rules\": [\n");
	for (size_t i = 0; i < n; i++) {
		static char buf[16384];

		fprintf(f,
			"%s{\"id\": \"r%zu\", \"type\": \"network\", \"title\": \"t\", \"severity\": "
			"\"low\", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}, "
			"%s}\n",
			i ? "," : "", i,
			rule ? rule(i, buf, sizeof(buf)) :
			       "\"direction\": \"outbound\", \"effect\": \"report\", \"match\": {}");
	}
	fprintf(f, "]}\n");
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Expects text to parse, or to fail with this one error at the n-th occurrence of needle. */
static void expect_limit(const char *text, const char *needle, size_t nth, const char *pointer,
			 const char *message)
{
	const char *at = text;
	unsigned line, column;

	if (!message) {
		policy_unref(parse_ok(text));
		return;
	}
	for (size_t i = 0; i <= nth; i++) {
		at = strstr(i ? at + 1 : at, needle);
		assert_non_null(at);
	}
	position_of(text, at, &line, &column);
	expect_one_error(text, line, column, pointer, message);
}

static const char *disabled_33rd(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "\"direction\": \"listen\", \"effect\": \"report\", \"match\": {}%s",
		 i == 32 ? ", \"enabled\": false" : "");
	return buf;
}

static const char *invalid_33rd(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "\"direction\": \"%s\", \"effect\": \"report\", \"match\": {}",
		 i == 32 ? "up" : "listen");
	return buf;
}

static void test_network_rule_limit(void **state)
{
	char *text;

	text = net_rules_text(POLICY_NET_RULES_MAX, NULL);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	text = net_rules_text(POLICY_NET_RULES_MAX + 1, NULL);
	expect_limit(text, "{\"id\": \"r32\"", 0, "/rules/32",
		     "more than 32 network rules are enabled; the kernel holds at most 32: merge "
		     "or disable some");
	free(text);

	/* A disabled rule does not count; a rule with errors says only what is wrong with it. */
	text = net_rules_text(POLICY_NET_RULES_MAX + 1, disabled_33rd);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);
	text = net_rules_text(POLICY_NET_RULES_MAX + 1, invalid_33rd);
	expect_limit(text, "\"up\"", 0, "/rules/32/direction",
		     "invalid direction \"up\"; expected one of: outbound, inbound, listen");
	free(text);
}

/* Rules of 16 clauses (match and 15 excepts); rule 4 has one more except. */
static const char *clauses_16(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {}, \"except\": [");

	for (size_t k = 0; k < 15 + (i == 4); k++)
		len += (size_t)snprintf(buf + len, size - len, "%s{\"port\": %zu}", k ? ", " : "",
					k);
	snprintf(buf + len, size - len, "]");
	return buf;
}

static void test_network_clause_limit(void **state)
{
	char *text;

	text = net_rules_text(POLICY_NET_CLAUSES_MAX / 16, clauses_16);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	/* Rules 0-3 hold 64; the 65th clause is rule 4's match. */
	text = net_rules_text(POLICY_NET_CLAUSES_MAX / 16 + 1, clauses_16);
	expect_limit(text, "{}", 4, "/rules/4/match",
		     "the enabled network rules have more than 64 clauses (\"match\" and "
		     "\"except\" together); the kernel holds at most 64");
	free(text);
}

/* Rule 0: 40 ranges and 100 single ports; rule 1: 25 ranges (24 without the last). */
static size_t n_ranges_rule_1;

static const char *ranges(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {\"port\": [");

	for (size_t k = 0; k < (i == 0 ? 40 : n_ranges_rule_1); k++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"%zu-%zu\"", k ? ", " : "",
					1000 + 10 * k + i * 1000, 1005 + 10 * k + i * 1000);
	for (size_t k = 0; i == 0 && k < 100; k++)
		len += (size_t)snprintf(buf + len, size - len, ", %zu", 10000 + k);
	/* first == last: a single port, as the kernel holds it. */
	snprintf(buf + len, size - len, ", \"%zu-%zu\"]}", 20000 + i, 20000 + i);
	return buf;
}

static void test_network_range_limit(void **state)
{
	char *text;

	n_ranges_rule_1 = POLICY_NET_RANGES_MAX - 40;
	text = net_rules_text(2, ranges);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	n_ranges_rule_1 = POLICY_NET_RANGES_MAX - 40 + 1;
	text = net_rules_text(2, ranges);
	expect_limit(text, "\"2240-2245\"", 0, "/rules/1/match/port/24",
		     "the enabled network rules have more than 64 port ranges; the kernel holds "
		     "at most 64 (single ports do not count)");
	free(text);
}

/* 700 distinct addresses a rule: 5 rules hold 3,500, a 6th crosses 4,096. */
static const char *addresses_700(size_t i, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size,
				      "\"direction\": \"outbound\", \"effect\": \"report\", "
				      "\"match\": {\"address\": [");

	for (size_t k = 0; k < 700; k++)
		len += (size_t)snprintf(buf + len, size - len, "%s\"10.%zu.%zu.%zu\"",
					k ? ", " : "", i, k / 256, k % 256);
	snprintf(buf + len, size - len, "]}");
	return buf;
}

static void test_network_values_limit(void **state)
{
	char *text;

	text = net_rules_text(5, addresses_700);
	expect_limit(text, NULL, 0, NULL, NULL);
	free(text);

	text = net_rules_text(6, addresses_700);
	expect_limit(text, "{\"address\"", 5, "/rules/5/match",
		     "the enabled network rules have more than 4096 \"address\" values in all; "
		     "the kernel holds at most 4096 of each field: use wider prefixes or ranges, "
		     "or fewer rules");
	free(text);
}

/* ---- main --------------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static const struct CMUnitTest inline_tests[] = {
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_nul_in_string),
		cmocka_unit_test(test_string_too_long),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_byte_order_mark),
		cmocka_unit_test(test_columns_count_characters),
		cmocka_unit_test(test_crlf_and_comments),
		cmocka_unit_test(test_pointer_escaping),
		cmocka_unit_test(test_control_characters_escaped),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_list_too_long),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_errors_null_list),
		cmocka_unit_test(test_several_files_one_list),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_round_trip),
		cmocka_unit_test(test_valid_fixtures),
		cmocka_unit_test(test_process_excepts),
		cmocka_unit_test(test_process_except_errors),
		cmocka_unit_test(test_enum_strings),
		cmocka_unit_test(test_globs_accepted),
		cmocka_unit_test(test_network_round_trip),
		cmocka_unit_test(test_network_keywords),
		cmocka_unit_test(test_network_addresses),
		cmocka_unit_test(test_network_ports),
		cmocka_unit_test(test_network_rule_limit),
		cmocka_unit_test(test_network_clause_limit),
		cmocka_unit_test(test_network_range_limit),
		cmocka_unit_test(test_network_values_limit),
	};
	struct CMUnitTest *tests;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int failed;

	/* One test per invalid fixture, in name order. */
	d = opendir(INVALID_DIR);
	if (!d) {
		fprintf(stderr, "%s: %m (run from the top of the tree)\n", INVALID_DIR);
		return 1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n++] = strndup(de->d_name, len - 5);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);

	tests = calloc(n + ELEMENTSOF(inline_tests), sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_invalid_fixture,
			.initial_state = names[i],
		};
	memcpy(tests + n, inline_tests, sizeof(inline_tests));

	failed = _cmocka_run_group_tests("policy_parse", tests, n + ELEMENTSOF(inline_tests), NULL,
					 NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}
