// SPDX-License-Identifier: LGPL-2.1-or-later
/* One table, three ways: HTML, CSV (RFC 4180, formula neutralising), JSON (parsed back). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "collector/table.h"

#define FFFD	"\xef\xbf\xbd"
#define EM_DASH "\xe2\x80\x94"
/* 2026-12-07 17:00:00 UTC */
#define T0 1796662800000LL

static const struct table_column columns[] = {
	{ "name", "Device", TABLE_TEXT },
	{ "findings", "Findings", TABLE_INTEGER },
	{ "last_seen", "Last seen", TABLE_TIME },
	{ "state", "State", TABLE_STATE },
};

/* Two devices, the second hostile, and one with nothing known. */
static void write_rows(struct table *t)
{
	assert_int_equal(table_cell_text(t, "laptop-01", "/devices/0011?tab=a&b=c"), 0);
	assert_int_equal(table_cell_int(t, 3), 0);
	assert_int_equal(table_cell_time(t, T0), 0);
	assert_int_equal(table_cell_state(t, "pass"), 0);

	assert_int_equal(table_cell_text(t, "<script>alert(1)</script>\xff", "javascript:alert(1)"),
			 0);
	assert_int_equal(table_cell_int(t, -5), 0);
	assert_int_equal(table_cell_time(t, 0), 0);
	assert_int_equal(table_cell_state(t, "Bad\" State"), 0);

	assert_int_equal(table_cell_text(t, NULL, NULL), 0);
	assert_int_equal(table_cell_null(t), 0);
	assert_int_equal(table_cell_null(t), 0);
	assert_int_equal(table_cell_state(t, NULL), 0);
}

static char *render(enum table_format format, void (*rows)(struct table *t))
{
	_cleanup_(html_done) struct html h = {};
	struct table t;
	char *out;
	size_t size;

	assert_int_equal(table_begin(&t, format, columns, ELEMENTSOF(columns), &h, NULL), 0);
	rows(&t);
	assert_int_equal(table_end(&t), 0);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	return out;
}

static void expect_in(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' lacks '%s'", haystack, needle);
}

static void test_html(void **state)
{
	_cleanup_free_ char *out = render(TABLE_HTML, write_rows);

	expect_in(out,
		  "<table class=\"data\">\n<thead><tr><th scope=\"col\">Device</th>"
		  "<th scope=\"col\" class=\"num\">Findings</th><th scope=\"col\">Last seen</th>"
		  "<th scope=\"col\">State</th></tr></thead>\n<tbody>\n");
	/* The href attribute-escaped. */
	expect_in(out, "<tr><td><a href=\"/devices/0011?tab=a&amp;b=c\">laptop-01</a></td>"
		       "<td class=\"num\">3</td><td class=\"time\">"
		       "<time datetime=\"2026-12-07T17:00:00Z\">2026-12-07 17:00 UTC</time></td>"
		       "<td><span class=\"badge pass\">pass</span></td></tr>\n");
	/* Escaped, invalid UTF-8 replaced, the javascript: link dropped, the state no class. */
	expect_in(out, "<tr><td>&lt;script&gt;alert(1)&lt;/script&gt;" FFFD "</td>"
		       "<td class=\"num\">-5</td><td class=\"time\">" EM_DASH "</td>"
		       "<td><span class=\"badge other\">Bad&quot; State</span></td></tr>\n");
	expect_in(out, "<tr><td>" EM_DASH "</td><td class=\"num\">" EM_DASH
		       "</td><td class=\"time\">" EM_DASH "</td><td>" EM_DASH
		       "</td></tr>\n</tbody></table></div>\n");
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "javascript:"));
	assert_null(strstr(out, "style="));
}

static void hrefs(struct table *t)
{
	static const char *const bad[] = {
		"//evil.example/", "/\\evil.example", "https://evil.example/", "devices", "",
		" /devices"
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(table_cell_text(t, "x", bad[i]), 0);
		table_cell_null(t);
		table_cell_null(t);
		table_cell_null(t);
	}
	table_cell_text(t, "ok", "/");
	table_cell_null(t);
	table_cell_null(t);
	table_cell_null(t);
}

static void test_html_links(void **state)
{
	_cleanup_free_ char *out = render(TABLE_HTML, hrefs);
	const char *a = strstr(out, "<a ");

	/* Only the one link on this site. */
	assert_non_null(a);
	assert_memory_equal(a, "<a href=\"/\">ok</a>", 18);
	assert_null(strstr(a + 1, "<a "));
}

static void no_rows(struct table *t)
{
}

static void test_html_empty(void **state)
{
	_cleanup_free_ char *out = render(TABLE_HTML, no_rows);

	expect_in(out, "<tbody>\n<tr class=\"empty\"><td colspan=\"4\">Nothing to show.</td></tr>\n"
		       "</tbody></table></div>\n");
}

static void test_csv(void **state)
{
	_cleanup_free_ char *out = render(TABLE_CSV, write_rows);

	assert_string_equal(out, "name,findings,last_seen,state\r\n"
				 "laptop-01,3,2026-12-07T17:00:00Z,pass\r\n"
				 "<script>alert(1)</script>" FFFD ",-5,,\"Bad\"\" State\"\r\n"
				 ",,,\r\n");
}

static void csv_cells(struct table *t)
{
	static const char *const cells[] = {
		"a,b",	       "say \"hi\"", "line\nbreak",
		"cr\rhere",    "=1+1",	     "+1",
		"-1",	       "@SUM(A1)",   "\tx",
		"\rx",	       "a=b",	     "=HYPERLINK(\"http://x\",\"y\")",
		"bad\xc0\xaf", "c\001d\177", "",
		"plain",
	};

	for (size_t i = 0; i < ELEMENTSOF(cells); i++) {
		table_cell_text(t, cells[i], NULL);
		table_cell_int(t, (int64_t)i - 1);
		table_cell_time(t, i == 0 ? 253402300800000LL : 0);
		table_cell_state(t, i == 1 ? "-fail" : "fail");
	}
}

static void test_csv_quoting(void **state)
{
	_cleanup_free_ char *out = render(TABLE_CSV, csv_cells);

	assert_string_equal(out, "name,findings,last_seen,state\r\n"
				 /* A time with no ISO form here: an empty cell. */
				 "\"a,b\",-1,,fail\r\n"
				 /* A state is neutralised too. */
				 "\"say \"\"hi\"\"\",0,,'-fail\r\n"
				 "\"line\nbreak\",1,,fail\r\n"
				 "\"cr\rhere\",2,,fail\r\n"
				 "'=1+1,3,,fail\r\n"
				 "'+1,4,,fail\r\n"
				 "'-1,5,,fail\r\n"
				 "'@SUM(A1),6,,fail\r\n"
				 "'\tx,7,,fail\r\n"
				 /* Quoted for the CR, the apostrophe inside the quotes. */
				 "\"'\rx\",8,,fail\r\n"
				 "a=b,9,,fail\r\n"
				 "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",10,,fail\r\n"
				 "bad" FFFD FFFD ",11,,fail\r\n"
				 "c" FFFD "d" FFFD ",12,,fail\r\n"
				 ",13,,fail\r\n"
				 "plain,14,,fail\r\n");
}

static void test_json(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *out = NULL;
	const char *path_devices[] = { "devices", NULL }, *path_total[] = { "total", NULL };
	const char *path_name[] = { "name", NULL }, *path_findings[] = { "findings", NULL };
	const char *path_seen[] = { "last_seen", NULL }, *path_state[] = { "state", NULL };
	yajl_val devices, row, v;
	struct table t;
	char error[256];
	size_t size;

	assert_int_equal(table_json_gen_new(&h, &g), 0);
	yajl_gen_map_open(g);
	json_int(g, "total", 3);
	assert_int_equal(table_json_string(g, "devices"), 0);
	assert_int_equal(table_begin(&t, TABLE_JSON, columns, ELEMENTSOF(columns), &h, g), 0);
	write_rows(&t);
	assert_int_equal(table_end(&t), 0);
	/* The caller's own strings go through the same sanitising. */
	assert_int_equal(table_json_string(g, "note\xed\xa0\x80"), 0);
	assert_int_equal(table_json_string(g, NULL), 0);
	yajl_gen_map_close(g);
	assert_int_equal(html_finish(&h, &out, &size), 0);

	root = yajl_tree_parse(out, error, sizeof(error));
	if (!root)
		fail_msg("not JSON (%s): %s", error, out);
	v = yajl_tree_get(root, path_total, yajl_t_number);
	assert_non_null(v);
	assert_int_equal(YAJL_GET_INTEGER(v), 3);
	devices = yajl_tree_get(root, path_devices, yajl_t_array);
	assert_non_null(devices);
	assert_int_equal(devices->u.array.len, 3);

	row = devices->u.array.values[0];
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(row, path_name, yajl_t_string)),
			    "laptop-01");
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(row, path_findings, yajl_t_number)), 3);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(row, path_seen, yajl_t_number)), T0);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(row, path_state, yajl_t_string)), "pass");

	row = devices->u.array.values[1];
	/* Not HTML-escaped in JSON, but the invalid byte replaced. */
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(row, path_name, yajl_t_string)),
			    "<script>alert(1)</script>" FFFD);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(row, path_findings, yajl_t_number)), -5);
	assert_true(YAJL_IS_NULL(yajl_tree_get(row, path_seen, yajl_t_any)));
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(row, path_state, yajl_t_string)),
			    "Bad\" State");

	row = devices->u.array.values[2];
	assert_int_equal(row->u.object.len, 4);
	for (size_t i = 0; i < 4; i++)
		assert_true(YAJL_IS_NULL(row->u.object.values[i]));

	assert_string_equal(root->u.object.keys[2], "note" FFFD FFFD FFFD);
	assert_true(YAJL_IS_NULL(root->u.object.values[2]));
}

static void test_json_hostile_bytes(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *out = NULL;
	static const struct table_column one[] = { { "name", "Name", TABLE_TEXT } };
	static const char *const names[] = {
		"\xff", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "ok\x01\x1f\x7f\"\\/", "caf\xc3\xa9"
	};
	static const char *const want[] = {
		FFFD, FFFD FFFD, FFFD FFFD, FFFD FFFD FFFD, "ok\x01\x1f\x7f\"\\/", "caf\xc3\xa9"
	};
	struct table t;
	char error[256];
	size_t size;

	assert_int_equal(table_json_gen_new(&h, &g), 0);
	assert_int_equal(table_begin(&t, TABLE_JSON, one, 1, &h, g), 0);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		assert_int_equal(table_cell_text(&t, names[i], "/ignored"), 0);
	assert_int_equal(table_end(&t), 0);
	assert_int_equal(html_finish(&h, &out, &size), 0);

	root = yajl_tree_parse(out, error, sizeof(error));
	if (!root)
		fail_msg("not JSON (%s): %s", error, out);
	assert_true(YAJL_IS_ARRAY(root));
	assert_int_equal(root->u.array.len, ELEMENTSOF(names));
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		yajl_val o = root->u.array.values[i];

		assert_true(YAJL_IS_OBJECT(o));
		assert_string_equal(o->u.object.keys[0], "name");
		/* Controls are kept, escaped as JSON escapes them. */
		assert_string_equal(YAJL_GET_STRING(o->u.object.values[0]), want[i]);
	}
	assert_null(strchr(out, '\x01'));
}

static void test_json_cap(void **state)
{
	_cleanup_(html_done) struct html h = { .max = 64 };
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	struct table t;
	int r = 0;

	assert_int_equal(table_json_gen_new(&h, &g), 0);
	assert_int_equal(table_begin(&t, TABLE_JSON, columns, ELEMENTSOF(columns), &h, g), 0);
	for (int i = 0; i < 10 && r == 0; i++) {
		table_cell_text(&t, "a device with a long name", NULL);
		table_cell_int(&t, i);
		table_cell_time(&t, T0);
		r = table_cell_state(&t, "fail");
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(table_end(&t), -E2BIG);
	assert_int_equal(h.error, -E2BIG);
}

static void test_csv_cap(void **state)
{
	_cleanup_(html_done) struct html h = { .max = 100 };
	struct table t;
	int r = 0;

	assert_int_equal(table_begin(&t, TABLE_CSV, columns, ELEMENTSOF(columns), &h, NULL), 0);
	for (int i = 0; i < 100 && r == 0; i++) {
		table_cell_text(&t, "x", NULL);
		table_cell_int(&t, i);
		table_cell_time(&t, T0);
		r = table_cell_state(&t, "fail");
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(table_end(&t), -E2BIG);
}

static void test_misuse(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	struct table t;

	/* No columns; no output; a generator where none belongs, or none where one does. */
	assert_int_equal(table_begin(&t, TABLE_HTML, columns, 0, &h, NULL), -EINVAL);
	assert_int_equal(table_begin(&t, TABLE_CSV, columns, 4, NULL, NULL), -EINVAL);
	assert_int_equal(table_json_gen_new(&h, &g), 0);
	assert_int_equal(table_begin(&t, TABLE_HTML, columns, 4, &h, g), -EINVAL);
	assert_int_equal(table_begin(&t, TABLE_JSON, columns, 4, &h, NULL), -EINVAL);
	assert_int_equal(h.size, 0);

	/* A cell of the wrong type, and the table stays failed. */
	assert_int_equal(table_begin(&t, TABLE_CSV, columns, 4, &h, NULL), 0);
	assert_int_equal(table_cell_int(&t, 1), -EINVAL);
	assert_int_equal(table_cell_text(&t, "x", NULL), -EINVAL);
	assert_int_equal(table_end(&t), -EINVAL);
	html_done(&h);

	/* A row left unfinished. */
	assert_int_equal(table_begin(&t, TABLE_HTML, columns, 4, &h, NULL), 0);
	assert_int_equal(table_cell_text(&t, "x", NULL), 0);
	assert_int_equal(table_end(&t), -EINVAL);
	html_done(&h);

	/* A JSON array where only a key may go. */
	yajl_gen_map_open(g);
	assert_int_equal(table_begin(&t, TABLE_JSON, columns, 4, &h, g), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_links),
		cmocka_unit_test(test_html_empty),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_hostile_bytes),
		cmocka_unit_test(test_json_cap),
		cmocka_unit_test(test_csv_cap),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
