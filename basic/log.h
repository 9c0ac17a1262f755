/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging for the daemon's top layers: to the journal under systemd, to
 * stderr otherwise.  log_*_errno() log with %m bound to the error and return
 * it negated, so a caller can log and fail in one statement.
 */
#ifndef POSTURED_BASIC_LOG_H
#define POSTURED_BASIC_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "time-util.h"

void log_setup(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
bool log_to_journal(void);

int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *format, ...) __attribute__((format(printf, 6, 7)));

#define log_full_errno(level, error, ...) \
	log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug(...)		  log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)		  log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)		  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...)	  log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)		  log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)	  log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)	  log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)	  log_full_errno(LOG_ERR, (e), __VA_ARGS__)

#define log_oom()		  log_error_errno(ENOMEM, "Out of memory.")

/* At most `burst` messages per `interval`; for anything logged per event. */
struct ratelimit {
	usec_t interval;
	unsigned burst;
	usec_t begin;
	unsigned num;
	unsigned suppressed;
};

#define RATELIMIT_INIT(i, b) ((struct ratelimit){ .interval = (i), .burst = (b) })

/* Returns true when a message may be logged now; counts the ones that may not. */
bool ratelimit_below(struct ratelimit *rl);

#endif
