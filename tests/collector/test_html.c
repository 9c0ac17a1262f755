// SPDX-License-Identifier: LGPL-2.1-or-later
/* The fleet UI's output buffer: escaping, hostile bytes, times, URLs, the cap, the page frame. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "collector/html.h"

#define FFFD	"\xef\xbf\xbd"
#define EM_DASH "\xe2\x80\x94"
/* 2026-12-07 17:00:00 UTC */
#define T0 1796662800000LL

/* What html_text_n() makes of s[n]. */
static char *text_n(const char *s, size_t n)
{
	struct html h = {};
	char *out;
	size_t size;

	html_text_n(&h, s, n);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_int_equal(size, strlen(out));
	return out;
}

static void expect_text(const char *in, const char *want)
{
	_cleanup_free_ char *out = text_n(in, strlen(in));

	assert_string_equal(out, want);
}

static void test_escape_script(void **state)
{
	expect_text("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect_text("a & b", "a &amp; b");
	expect_text("&amp;", "&amp;amp;");
	expect_text("", "");
	expect_text("plain text", "plain text");
}

static void test_escape_quotes(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ char *out = NULL;
	size_t size;

	expect_text("a\"b'c", "a&quot;b&#39;c");

	/* In an attribute, neither kind of quote can end the value. */
	html_raw(&h, "<a title=\"");
	html_text(&h, "\" onmouseover=\"x' y='");
	html_raw(&h, "\">");
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_string_equal(out, "<a title=\"&quot; onmouseover=&quot;x&#39; y=&#39;\">");
}

static void test_invalid_utf8(void **state)
{
	/* A lone byte that is never UTF-8. */
	expect_text("\xff", FFFD);
	expect_text("a\376b", "a" FFFD "b");
	/* A stray continuation byte. */
	expect_text("\x80x", FFFD "x");
	/* Truncated sequences: each byte its own replacement. */
	expect_text("a\342\202b", "a" FFFD FFFD "b");
	expect_text("\xe2\x82", FFFD FFFD);
	expect_text("\xf0\x9f\x98", FFFD FFFD FFFD);
	/* Overlong forms of '/' and of NUL. */
	expect_text("\xc0\xaf", FFFD FFFD);
	expect_text("\xc1\xbf", FFFD FFFD);
	expect_text("\xe0\x80\xaf", FFFD FFFD FFFD);
	expect_text("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	/* UTF-16 surrogates. */
	expect_text("\xed\xa0\x80", FFFD FFFD FFFD);
	expect_text("\xed\xbf\xbf", FFFD FFFD FFFD);
	/* Past U+10FFFF. */
	expect_text("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	expect_text("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	/* A sequence cut by an ASCII byte that then stands for itself (and is escaped). */
	expect_text("\xe2<", FFFD "&lt;");

	/* Valid UTF-8 stays: 2, 3 and 4 bytes, the edges of the ranges, U+FFFD itself. */
	expect_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_text("\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
		    "\xc2\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
	expect_text(FFFD, FFFD);
}

static void test_utf8_next(void **state)
{
	uint32_t cp;

	assert_int_equal(html_utf8_next("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(html_utf8_next("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(html_utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* The length given bounds the sequence: no read past it. */
	assert_int_equal(html_utf8_next("\xf0\x9f\x98\x80", 3, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(html_utf8_next("\xed\xa0\x80", 3, &cp), 1);
	assert_int_equal(cp, 0xfffd);
}

static void test_controls(void **state)
{
	_cleanup_free_ char *out = NULL;

	/* Tab and newline stay; CR, the other C0 controls (here 01 and ESC) and DEL do not. */
	expect_text("a\001b\tc\nd\re\177f\033[31m",
		    "a" FFFD "b\tc\nd" FFFD "e" FFFD "f" FFFD "[31m");
	/* A NUL inside the length given. */
	out = text_n("a\0b", 3);
	assert_string_equal(out, "a" FFFD "b");
}

static void test_null_and_printf(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ char *out = NULL, *big = NULL;
	size_t size;

	html_text(&h, NULL);
	html_raw(&h, "|");
	html_text(&h, "<x>=5");
	html_raw(&h, "|");
	html_rawf(&h, "<td class=\"%s\">", "num");
	html_int(&h, INT64_MIN);
	html_raw(&h, " ");
	html_int(&h, 0);
	html_raw(&h, " ");
	html_int(&h, INT64_MAX);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_string_equal(out, EM_DASH "|&lt;x&gt;=5|<td class=\"num\">-9223372036854775808 0 "
					 "9223372036854775807");
	out = mfree(out);

	/* Longer than the formatting buffer on the stack. */
	big = malloc(1001);
	assert_non_null(big);
	memset(big, '<', 1000);
	big[1000] = '\0';
	html_rawf(&h, "[%s]", big);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_int_equal(size, 2 + 1000);
	assert_memory_equal(out, "[<<", 3);
	assert_string_equal(out + size - 2, "<]");
}

static char *render_time(int64_t ms)
{
	struct html h = {};
	char *out;
	size_t size;

	html_time(&h, ms);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	return out;
}

static void test_time(void **state)
{
	_cleanup_free_ char *a = render_time(T0), *b = render_time(T0 + 59999), *c = render_time(0),
			    *d = render_time(-1000), *e = render_time(253402300800000LL);
	char iso[HTML_TIME_ISO_SIZE];

	assert_string_equal(a,
			    "<time datetime=\"2026-12-07T17:00:00Z\">2026-12-07 17:00 UTC</time>");
	/* To the minute, rounded down. */
	assert_string_equal(b,
			    "<time datetime=\"2026-12-07T17:00:59Z\">2026-12-07 17:00 UTC</time>");
	assert_string_equal(c, EM_DASH);
	assert_string_equal(d, EM_DASH);
	/* 10000-01-01 has no four-digit year. */
	assert_string_equal(e, EM_DASH);

	assert_int_equal(html_time_iso(T0, iso, sizeof(iso)), 0);
	assert_string_equal(iso, "2026-12-07T17:00:00Z");
	assert_int_equal(html_time_iso(0, iso, sizeof(iso)), -EDOM);
	assert_int_equal(html_time_iso(T0, iso, 10), -ENOBUFS);
}

static char *render_ago(int64_t now, int64_t then)
{
	struct html h = {};
	char *out;
	size_t size;

	html_ago(&h, now, then);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	return out;
}

static void expect_ago(int64_t now, int64_t then, const char *want)
{
	_cleanup_free_ char *out = render_ago(now, then);
	_cleanup_free_ char *tail = NULL;

	assert_int_equal(asprintf(&tail, "\">%s</time>", want) > 0, 1);
	if (!strstr(out, tail))
		fail_msg("'%s' lacks '%s'", out, tail);
}

static void test_ago(void **state)
{
	const int64_t min = 60 * 1000, hour = 60 * min, day = 24 * hour;
	_cleanup_free_ char *full = render_ago(T0 + 3 * min, T0), *never = render_ago(T0, 0);

	assert_string_equal(full, "<time datetime=\"2026-12-07T17:00:00Z\" "
				  "title=\"2026-12-07 17:00 UTC\">3 min ago</time>");
	assert_string_equal(never, EM_DASH);
	expect_ago(T0, T0, "just now");
	expect_ago(T0 + 59 * 1000, T0, "just now");
	expect_ago(T0 + min, T0, "1 min ago");
	expect_ago(T0 + 59 * min + 59 * 1000, T0, "59 min ago");
	expect_ago(T0 + 2 * hour, T0, "2 h ago");
	expect_ago(T0 + 23 * hour + 59 * min, T0, "23 h ago");
	expect_ago(T0 + day, T0, "1 day ago");
	expect_ago(T0 + 2 * day - 1, T0, "1 day ago");
	expect_ago(T0 + 5 * day + 3 * hour, T0, "5 days ago");
	/* A device clock a little ahead is "now"; far ahead, said. */
	expect_ago(T0, T0 + 30 * 1000, "just now");
	expect_ago(T0, T0 + 2 * hour, "in the future");
}

static void test_url_value(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ char *out = NULL, *enc = NULL, *long_in = NULL;
	size_t size;

	html_raw(&h, "<a href=\"/devices?q=");
	html_url_value(&h, "a b&c=d/\xc3\xa9~-._\"<>#%+");
	html_raw(&h, "&amp;page=2\">");
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_string_equal(out, "<a href=\"/devices?q=a%20b%26c%3Dd%2F%C3%A9~-._%22%3C%3E%23%25%2B"
				 "&amp;page=2\">");

	assert_int_equal(html_url_encode("x y\xff", &enc), 0);
	assert_string_equal(enc, "x%20y%FF");
	enc = mfree(enc);
	assert_int_equal(html_url_encode("", &enc), 0);
	assert_string_equal(enc, "");
	enc = mfree(enc);

	/* Past one piece of html_url_value(): the same as html_url_encode(). */
	long_in = malloc(201);
	assert_non_null(long_in);
	for (int i = 0; i < 200; i++)
		long_in[i] = i % 3 ? 'a' : ' ';
	long_in[200] = '\0';
	out = mfree(out);
	html_url_value(&h, long_in);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_int_equal(html_url_encode(long_in, &enc), 0);
	assert_string_equal(out, enc);
	assert_int_equal(size, 200 + 2 * 67);
}

static void test_size_cap(void **state)
{
	_cleanup_(html_done) struct html h = { .max = 100 };
	_cleanup_free_ char *out = NULL, *huge = NULL;
	char chunk[60];
	size_t size = 12345;

	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(html_raw_n(&h, chunk, sizeof(chunk)), 0);
	assert_int_equal(html_raw_n(&h, chunk, sizeof(chunk)), -E2BIG);
	/* Sticky: a small append now fails too, and nothing is added. */
	assert_int_equal(html_raw(&h, "y"), -E2BIG);
	assert_int_equal(html_text(&h, "y"), -E2BIG);
	assert_int_equal(html_rawf(&h, "%d", 1), -E2BIG);
	assert_int_equal(h.size, sizeof(chunk));
	assert_int_equal(html_finish(&h, &out, &size), -E2BIG);
	assert_null(out);
	assert_int_equal(size, 12345);
	/* Emptied, the error cleared, the cap kept: usable again. */
	assert_null(h.buf);
	assert_int_equal(h.error, 0);
	assert_int_equal(h.max, 100);

	/* Exactly the cap fits; escaping counts what it writes. */
	assert_int_equal(html_raw_n(&h, chunk, sizeof(chunk)), 0);
	assert_int_equal(html_raw_n(&h, chunk, 40), 0);
	assert_int_equal(h.size, 100);
	html_done(&h);
	assert_int_equal(html_text(&h, "<<<<<<<<<<<<<<<<<<<<<<<<<"), 0);
	assert_int_equal(html_text(&h, "<"), -E2BIG);
	html_done(&h);

	/* The default cap, without writing 16 MiB. */
	h.max = 0;
	huge = malloc(HTML_SIZE_MAX + 1);
	assert_non_null(huge);
	memset(huge, 'z', HTML_SIZE_MAX + 1);
	assert_int_equal(html_raw_n(&h, huge, HTML_SIZE_MAX + 1), -E2BIG);
	html_done(&h);
	assert_int_equal(html_raw_n(&h, huge, HTML_SIZE_MAX), 0);
	assert_int_equal(html_raw(&h, "z"), -E2BIG);
}

static void test_finish_empty(void **state)
{
	struct html h = {};
	_cleanup_free_ char *out = NULL;
	size_t size = 1;

	assert_int_equal(html_finish(&h, &out, &size), 0);
	assert_non_null(out);
	assert_string_equal(out, "");
	assert_int_equal(size, 0);
}

static void expect_in(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("page lacks '%s'", needle);
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_page_frame(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ char *out = NULL;
	size_t size;

	html_page_begin(&h, "Devices <1>", HTML_NAV_DEVICES, "<script>alert(1)</script>",
			"admin\" onclick=\"x");
	html_raw(&h, "<h1>Devices</h1>\n");
	html_page_end(&h);
	assert_int_equal(html_finish(&h, &out, &size), 0);

	assert_memory_equal(out, "<!DOCTYPE html>\n<html lang=\"en\">\n", 32);
	expect_in(out, "<meta charset=\"utf-8\">");
	expect_in(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
	expect_in(out, "<title>Devices &lt;1&gt; \xc2\xb7 postured fleet</title>");
	expect_in(out, "<link rel=\"stylesheet\" href=\"/static/style.css\">");
	expect_in(out, ">postured fleet</a>");
	expect_in(out, "<a href=\"/\">Overview</a>");
	expect_in(out, "<a href=\"/devices\" class=\"active\" aria-current=\"page\">Devices</a>");
	expect_in(out, "<a href=\"/rules\">Rules</a>");
	expect_in(out, "<a href=\"/exemptions\">Exemptions</a>");
	expect_in(out, "<span class=\"user-name\">&lt;script&gt;alert(1)&lt;/script&gt;</span>");
	expect_in(out, "<span class=\"role\">admin&quot; onclick=&quot;x</span>");
	expect_in(out, "<main>\n<h1>Devices</h1>\n</main>\n</body>\n</html>\n");
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "style="));
	/* One active entry only. */
	assert_int_equal(count(out, "class=\"active\""), 1);
}

static void test_page_frame_anonymous(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ char *out = NULL;
	size_t size;

	html_page_begin(&h, NULL, HTML_NAV_NONE, NULL, NULL);
	html_page_end(&h);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	expect_in(out, "<title>postured fleet</title>");
	assert_null(strstr(out, "class=\"user\""));
	assert_null(strstr(out, "class=\"active\""));
}

static void test_policy_and_stylesheet(void **state)
{
	int depth = 0;

	assert_string_equal(html_csp,
			    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	assert_null(strstr(html_csp, "script-src"));
	assert_null(strstr(html_csp, "unsafe"));

	expect_in(html_stylesheet, "system-ui");
	for (const char *c = "pass fail unknown exempt online silent missing stopped asleep never";
	     *c;) {
		char sel[32];
		size_t n = strcspn(c, " ");
		const char *at;

		snprintf(sel, sizeof(sel), ".badge.%.*s", (int)n, c);
		at = strstr(html_stylesheet, sel);
		if (!at || !strchr(" ,", at[strlen(sel)]))
			fail_msg("no rule for '%s'", sel);
		c += n + (c[n] == ' ');
	}
	expect_in(html_stylesheet, "table.data tbody tr:nth-child(even)");
	expect_in(html_stylesheet, ".chart .line");
	/* Braces balance; no markup that could end a <style> were it ever inlined. */
	for (const char *c = html_stylesheet; *c; c++) {
		depth += *c == '{' ? 1 : *c == '}' ? -1 : 0;
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);
	assert_null(strchr(html_stylesheet, '<'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_script),
		cmocka_unit_test(test_escape_quotes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_null_and_printf),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_ago),
		cmocka_unit_test(test_url_value),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_finish_empty),
		cmocka_unit_test(test_page_frame),
		cmocka_unit_test(test_page_frame_anonymous),
		cmocka_unit_test(test_policy_and_stylesheet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
