/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* usec_t, the one time type: monotonic for timers, realtime only in reports. */
#ifndef POSTURED_BASIC_TIME_UTIL_H
#define POSTURED_BASIC_TIME_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef uint64_t usec_t;
typedef uint64_t nsec_t;

#define USEC_INFINITY ((usec_t)UINT64_MAX)
#define NSEC_PER_SEC  ((nsec_t)1000000000ULL)
#define NSEC_PER_USEC ((nsec_t)1000ULL)
#define USEC_PER_SEC  ((usec_t)1000000ULL)
#define USEC_PER_MSEC ((usec_t)1000ULL)

static inline nsec_t now_nsec(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (nsec_t)ts.tv_sec * NSEC_PER_SEC + (nsec_t)ts.tv_nsec;
}

static inline usec_t now_usec(clockid_t clock)
{
	return now_nsec(clock) / NSEC_PER_USEC;
}

/* A duration for a message: "2 s" when whole seconds, else "500 ms". */
static inline const char *format_usec(char *buf, size_t size, usec_t usec)
{
	if (usec % USEC_PER_SEC == 0)
		snprintf(buf, size, "%llu s", (unsigned long long)(usec / USEC_PER_SEC));
	else
		snprintf(buf, size, "%llu ms", (unsigned long long)(usec / USEC_PER_MSEC));
	return buf;
}

#define TIMESTAMP_UTC_MAX 32

/* Milliseconds since the epoch as "2026-12-07T14:02:51Z" (UTC), or "-" for 0 or less. */
static inline const char *format_timestamp_utc(char buf[TIMESTAMP_UTC_MAX], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, TIMESTAMP_UTC_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "-";
	return buf;
}

#endif
