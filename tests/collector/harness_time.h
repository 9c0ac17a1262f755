/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The clock every deadline of the collector's harness reads, and sleeping.
 * Needs nothing else of the harness, so the suites that share
 * harness_process.c (tests/e2e, tests/bench, tests/integration) link it too.
 */

/* CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);

/* CLOCK_MONOTONIC in microseconds: for timing. */
long long now_us(void);

/* CLOCK_REALTIME in milliseconds: the time records carry. */
long long realtime_ms(void);

/* Sleeps ms milliseconds, across signals. */
void msleep(unsigned ms);
