/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The clock every deadline of the collector's harness reads, and sleeping.
 * Needs nothing else of the harness, so the suites that share
 * harness_process.c (tests/e2e, tests/bench, tests/integration) link it too.
 */

/* CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);

/* Sleeps ms milliseconds, across signals. */
void msleep(unsigned ms);
