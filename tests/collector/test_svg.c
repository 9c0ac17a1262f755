// SPDX-License-Identifier: LGPL-2.1-or-later
/* The trend chart: well-formed, no inline style, gaps, labels, what it says to a screen reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "collector/svg.h"

/* 2026-12-07, in days since the epoch. */
#define DAY0 20794

/*
 * Checks s simply for well-formed XML: every tag closed in order or self-closed, attribute
 * values quoted, no '<' or '&' other than markup and entity references, one root element.
 */
static void expect_well_formed(const char *s)
{
	const char *stack[32];
	size_t len[32], depth = 0, roots = 0;

	for (const char *p = s; *p;) {
		if (*p == '&') {
			size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz#0123456789");

			if (n == 0 || p[1 + n] != ';')
				fail_msg("bare '&' at %zu", (size_t)(p - s));
			p += n + 2;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		if (p[1] == '/') {
			const char *name = p + 2;
			size_t n = strcspn(name, ">");

			if (depth == 0 || n != len[depth - 1] ||
			    memcmp(name, stack[depth - 1], n) != 0)
				fail_msg("unbalanced '%.*s' at %zu", (int)n + 3, p,
					 (size_t)(p - s));
			depth--;
			p = name + n + 1;
			continue;
		}
		{
			const char *name = p + 1, *q;
			size_t n = strcspn(name, " />\n");
			char quote = 0;

			if (n == 0)
				fail_msg("bare '<' at %zu", (size_t)(p - s));
			/* To the tag's end, skipping quoted values; no '<' inside a tag. */
			for (q = name + n; *q && (quote || *q != '>'); q++) {
				if (quote && *q == quote)
					quote = 0;
				else if (!quote && (*q == '"' || *q == '\''))
					quote = *q;
				else if (*q == '<')
					fail_msg("'<' inside a tag at %zu", (size_t)(q - s));
			}
			assert_int_equal(*q, '>');
			if (depth == 0)
				roots++;
			if (q[-1] != '/') {
				assert_true(depth < ELEMENTSOF(stack));
				stack[depth] = name;
				len[depth++] = n;
			}
			p = q + 1;
		}
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void expect_in(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' lacks '%s'", haystack, needle);
}

static char *render(const char *title, const struct svg_point *points, size_t n)
{
	struct html h = {};
	char *out;
	size_t size;

	assert_int_equal(svg_trend(&h, title, points, n), 0);
	assert_int_equal(html_finish(&h, &out, &size), 0);
	expect_well_formed(out);
	assert_null(strstr(out, "style"));
	assert_null(strstr(out, "<script"));
	return out;
}

/* 30 days to DAY0 rising from 60 % to 87 %, with no data on days 10 and 11. */
static void thirty_days(struct svg_point p[static 30])
{
	for (int i = 0; i < 30; i++)
		p[i] = (struct svg_point){
			.day = DAY0 - 29 + i,
			.per_mille = 600 + i * 270 / 29,
			.no_data = i == 10 || i == 11,
		};
}

static void test_trend(void **state)
{
	const char *head =
		"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
		"viewBox=\"0 0 600 160\" role=\"img\">\n<title>Fleet compliance</title>\n"
		"<desc>Fleet compliance over the last 30 days: 87% on 2026-12-07.</desc>\n";
	struct svg_point p[30];
	_cleanup_free_ char *out = NULL;

	thirty_days(p);
	out = render("Fleet compliance", p, 30);
	assert_memory_equal(out, head, strlen(head));
	/* The y axis 0-100 %, the first and last date. */
	for (int pct = 0; pct <= 100; pct += 25) {
		char label[16];

		snprintf(label, sizeof(label), ">%d%%</text>", pct);
		expect_in(out, label);
	}
	assert_int_equal(count(out, "class=\"grid\""), 4);
	assert_int_equal(count(out, "class=\"axis\""), 1);
	expect_in(out, "<text class=\"xlabel\" x=\"44\" y=\"150\">2026-11-08</text>");
	expect_in(out, "<text class=\"xlabel last\" x=\"588\" y=\"150\">2026-12-07</text>");
	/* The gap splits the line in two; a circle for each of the 28 days with data. */
	assert_int_equal(count(out, "<polyline class=\"line\""), 2);
	assert_int_equal(count(out, "<circle class=\"pt\""), 28);
	/* The first point at the left edge, 60 %; the last at the right edge, 87 %. */
	expect_in(out, "points=\"44.0,60.0 ");
	expect_in(out, " 588.0,27.6\"/>");
	expect_in(out, "<title>2026-12-07: 87%</title>");
	assert_null(strstr(out, "nodata"));
	assert_true(strlen(out) < 8192);
}

static void test_missing_day(void **state)
{
	struct svg_point p[] = {
		{ .day = DAY0 - 3, .per_mille = 500 },
		{ .day = DAY0 - 2, .per_mille = 500 },
		/* DAY0 - 1 absent: a gap too. */
		{ .day = DAY0, .per_mille = 1000 },
	};
	_cleanup_free_ char *out = render("Fleet compliance", p, ELEMENTSOF(p));

	/* One line of two points; the lone last day only a circle. */
	assert_int_equal(count(out, "<polyline"), 1);
	assert_int_equal(count(out, "<circle"), 3);
	expect_in(out, "over the last 4 days: 100% on 2026-12-07.");
	expect_in(out, "<circle class=\"pt\" cx=\"588.0\" cy=\"12.0\"");
}

static void test_single_and_clamped(void **state)
{
	struct svg_point one = { .day = DAY0, .per_mille = 1500 };
	struct svg_point two[] = {
		{ .day = DAY0 - 1, .per_mille = -20 },
		{ .day = DAY0, .per_mille = 999 },
	};
	_cleanup_free_ char *a = render("Fleet compliance", &one, 1);
	_cleanup_free_ char *b = render("Fleet compliance", two, 2);

	expect_in(a, "<desc>Fleet compliance over the last day: 100% on 2026-12-07.</desc>");
	/* One day: in the middle, at the top (clamped), one date. */
	expect_in(a, "<circle class=\"pt\" cx=\"316.0\" cy=\"12.0\"");
	assert_int_equal(count(a, "class=\"xlabel"), 1);
	assert_int_equal(count(a, "<polyline"), 0);
	/* Below 0 is 0; 99.9 % is not shown as 100 %. */
	expect_in(b, "points=\"44.0,132.0 588.0,12.2\"");
	expect_in(b, "<title>2026-12-07: 99%</title>");
}

static void test_no_data(void **state)
{
	struct svg_point p[] = {
		{ .day = DAY0 - 1, .no_data = true },
		{ .day = DAY0, .no_data = true },
	};
	_cleanup_free_ char *a = render("Fleet compliance", p, ELEMENTSOF(p));
	_cleanup_free_ char *b = render("Fleet compliance", NULL, 0);

	expect_in(a, "<desc>Fleet compliance over the last 2 days: no data.</desc>");
	expect_in(a, ">No data</text>");
	assert_int_equal(count(a, "<polyline"), 0);
	assert_int_equal(count(a, "<circle"), 0);
	expect_in(b, "<desc>Fleet compliance: no data.</desc>");
	expect_in(b, ">No data</text>");
	assert_int_equal(count(b, "class=\"xlabel"), 0);
}

static void test_hostile_title(void **state)
{
	struct svg_point p = { .day = DAY0, .per_mille = 870 };
	_cleanup_free_ char *out = render("<script>&\"\xff", &p, 1);

	expect_in(out, "<title>&lt;script&gt;&amp;&quot;\xef\xbf\xbd</title>");
}

static void test_refused(void **state)
{
	_cleanup_(html_done) struct html h = {};
	_cleanup_free_ struct svg_point *many = NULL;
	struct svg_point backwards[] = { { .day = DAY0 }, { .day = DAY0 - 1 } };
	struct svg_point twice[] = { { .day = DAY0 }, { .day = DAY0 } };
	struct svg_point before_epoch = { .day = -1 };

	assert_int_equal(svg_trend(&h, "x", backwards, 2), -EINVAL);
	assert_int_equal(svg_trend(&h, "x", twice, 2), -EINVAL);
	assert_int_equal(svg_trend(&h, "x", &before_epoch, 1), -EINVAL);
	many = calloc(SVG_POINTS_MAX + 1, sizeof(*many));
	assert_non_null(many);
	for (size_t i = 0; i <= SVG_POINTS_MAX; i++)
		many[i].day = DAY0 + (int64_t)i;
	assert_int_equal(svg_trend(&h, "x", many, SVG_POINTS_MAX + 1), -EINVAL);
	/* Nothing written for a refused chart. */
	assert_int_equal(h.size, 0);
	assert_int_equal(svg_trend(&h, "x", many, SVG_POINTS_MAX), 0);

	/* The buffer's cap is the chart's too. */
	html_done(&h);
	h.max = 200;
	assert_int_equal(svg_trend(&h, "x", many, 30), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trend),
		cmocka_unit_test(test_missing_day),
		cmocka_unit_test(test_single_and_clamped),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_hostile_title),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
