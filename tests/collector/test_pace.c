// SPDX-License-Identifier: LGPL-2.1-or-later
/* The collector's pace (collector/pace.c): the busy share, and which batches it turns away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

#define SEC 1000000ULL

/* A second of the loop busy for share of it, in batches of 10 ms, from t. */
static uint64_t busy_second(struct pace *p, uint64_t t, double share)
{
	for (uint64_t at = t; at < t + SEC; at += 10000) {
		uint64_t spent = (uint64_t)(share * 10000);

		pace_busy(p, at, at + spent);
	}
	return t + SEC;
}

static void test_share_of_the_last_second(void **state)
{
	struct pace p;
	uint64_t t = 5 * SEC;

	pace_init(&p, 0.9, t, 42);
	assert_true(pace_share(&p, t) == 0);
	t = busy_second(&p, t, 0.5);
	assert_true(pace_share(&p, t) > 0.45 && pace_share(&p, t) < 0.55);
	t = busy_second(&p, t, 0.2);
	assert_true(pace_share(&p, t) > 0.15 && pace_share(&p, t) < 0.25);
	/* Nothing for a long while: idle, whatever came before. */
	assert_true(pace_share(&p, t + 10 * SEC) == 0);
}

/* A store slow enough that one batch outlasts the window: all busy, not idle. */
static void test_slow_batches_fill_the_window(void **state)
{
	struct pace p;
	uint64_t t = SEC;

	pace_init(&p, 0.9, t, 11);
	pace_busy(&p, t, t + 2500000);
	assert_true(pace_share(&p, t + 2500000) > 0.99);
	pace_busy(&p, t + 2500000, t + 5000000);
	assert_true(pace_share(&p, t + 5000000) > 0.99);
}

static void test_below_the_share_nothing_is_refused(void **state)
{
	struct pace p;
	uint64_t t = SEC;

	pace_init(&p, 0.9, t, 7);
	t = busy_second(&p, t, 0.85);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pace_refuse(&p, t), 0);
}

static void test_above_the_share_some_are_refused_more_as_it_grows(void **state)
{
	struct pace p;
	uint64_t t = SEC;
	unsigned refused_low = 0, refused_high = 0, ra_low = 0, ra_high = 0;

	pace_init(&p, 0.5, t, 9);
	t = busy_second(&p, t, 0.6);
	for (int i = 0; i < 10000; i++) {
		unsigned ra = pace_refuse(&p, t);

		if (ra) {
			refused_low++;
			ra_low = ra;
			assert_true(ra >= PACE_RETRY_MIN_SEC && ra <= PACE_RETRY_MAX_SEC);
		}
	}
	t = busy_second(&p, t, 0.95);
	for (int i = 0; i < 10000; i++) {
		unsigned ra = pace_refuse(&p, t);

		if (ra) {
			refused_high++;
			ra_high = ra;
		}
	}
	/* 0.6 is 20 % of the way from 0.5 to all; 0.95 is 90 %. */
	assert_true(refused_low > 1500 && refused_low < 2500);
	assert_true(refused_high > 8500 && refused_high < 9500);
	assert_true(ra_high > ra_low);
	assert_true(ra_high <= PACE_RETRY_MAX_SEC);
}

static void test_share_one_never_refuses(void **state)
{
	struct pace p;
	uint64_t t = SEC;

	pace_init(&p, 1, t, 3);
	t = busy_second(&p, t, 1.0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pace_refuse(&p, t), 0);
}

static void test_clock_going_back_is_ignored(void **state)
{
	struct pace p;

	pace_init(&p, 0.5, 10 * SEC, 5);
	pace_busy(&p, 9 * SEC, 9 * SEC + 500000);
	assert_true(pace_share(&p, 9 * SEC) == 0);
	assert_int_equal(pace_refuse(&p, 9 * SEC), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_of_the_last_second),
		cmocka_unit_test(test_slow_batches_fill_the_window),
		cmocka_unit_test(test_below_the_share_nothing_is_refused),
		cmocka_unit_test(test_above_the_share_some_are_refused_more_as_it_grows),
		cmocka_unit_test(test_share_one_never_refuses),
		cmocka_unit_test(test_clock_going_back_is_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
