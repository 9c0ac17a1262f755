// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing and validation.  Invalid policies live in
 * tests/fixtures/policies/invalid/NAME.json, each beside NAME.expected: the
 * exact errors, one a line, as `posturectl policy check` prints them (file,
 * line, column, message, JSON pointer).  Run from the top of the tree.
 * Network rules' parsing is in test_policy_parse_net.c, linked in.
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
#include "test_policy_parse.h"

/* All errors of parsing text as `name`, formatted and joined by newlines. */
char *errors_of(const char *name, const char *text, size_t size, int *ret_r)
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

void expect_one_error(const char *text, unsigned line, unsigned column, const char *pointer,
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

policy *parse_ok(const char *text)
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

	tests = calloc(n + ELEMENTSOF(inline_tests) + policy_parse_net_tests_n, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_invalid_fixture,
			.initial_state = names[i],
		};
	memcpy(tests + n, inline_tests, sizeof(inline_tests));
	memcpy(tests + n + ELEMENTSOF(inline_tests), policy_parse_net_tests,
	       policy_parse_net_tests_n * sizeof(*tests));

	failed = _cmocka_run_group_tests("policy_parse", tests,
					 n + ELEMENTSOF(inline_tests) + policy_parse_net_tests_n,
					 NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}
