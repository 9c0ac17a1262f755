/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's pace (pace.c): how much of the last second its one loop
 * spent taking batches in (inflating, parsing, storing), and, past a share
 * of it, which new batches to turn away with 503 and a Retry-After so that
 * a fleet catching up after an outage does not flatten it.  Refused at the
 * headers, so a refused body is neither inflated, parsed nor stored (it
 * may still cross the network: libcurl asks 100-continue only above 1 MiB,
 * and the connection is closed after the answer); the agents keep their
 * records and spread their retries over [Retry-After, 2 x Retry-After].
 *
 * Above the share, a new batch is refused with a probability that grows
 * from 0 to 1 as the busy share goes from the threshold to all of the
 * second, and the Retry-After with it (PACE_RETRY_MIN_SEC to
 * PACE_RETRY_MAX_SEC): the loop stays near the threshold instead of
 * swinging between refusing everything and taking everything.
 */
#ifndef POSTURED_COLLECTOR_PACE_H
#define POSTURED_COLLECTOR_PACE_H

#include <stdint.h>

#define PACE_WINDOW_USEC   (1000 * 1000ULL)
#define PACE_RETRY_MIN_SEC 2
#define PACE_RETRY_MAX_SEC 20

struct pace {
	double shed_above; /* share of the loop; >= 1: never refuse */
	uint64_t window_start, busy; /* µs, CLOCK_MONOTONIC */
	double last_share; /* of the previous window */
	uint64_t state; /* the refusals' random draw (xorshift) */
};

void pace_init(struct pace *p, double shed_above, uint64_t now, uint64_t seed);

/* A batch took the loop from start to end (µs). */
void pace_busy(struct pace *p, uint64_t start, uint64_t end);

/* The busy share of the last whole window. */
double pace_share(struct pace *p, uint64_t now);

/* 0: take the new batch; else the seconds of its Retry-After. */
unsigned pace_refuse(struct pace *p, uint64_t now);

#endif
