// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "postured";
static int log_max_level = LOG_INFO;
static bool log_journal;

/*
 * systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to our
 * stderr; when stderr is still that stream, structured journal entries are
 * better than lines on it.
 */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(const char *ident)
{
	const char *level = getenv("POSTURED_LOG_LEVEL");

	if (ident)
		log_ident = ident;
	log_journal = stderr_is_journal();
	if (level) {
		if (strcmp(level, "debug") == 0)
			log_max_level = LOG_DEBUG;
		else if (strcmp(level, "info") == 0)
			log_max_level = LOG_INFO;
		else if (strcmp(level, "notice") == 0)
			log_max_level = LOG_NOTICE;
		else if (strcmp(level, "warning") == 0)
			log_max_level = LOG_WARNING;
		else if (strcmp(level, "err") == 0 || strcmp(level, "error") == 0)
			log_max_level = LOG_ERR;
	}
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

bool log_to_journal(void)
{
	return log_journal;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *format, ...)
{
	char buf[2048];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > log_max_level)
		return -error;

	/* glibc expands %m from errno. */
	errno = error;
	va_start(ap, format);
	vsnprintf(buf, sizeof(buf), format, ap);
	va_end(ap);

	if (log_journal) {
		char code_file[256], code_line[32];

		snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
		snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
		sd_journal_send_with_location(code_file, code_line, func, "MESSAGE=%s", buf,
					      "PRIORITY=%i", level, "ERRNO=%i", error,
					      "SYSLOG_IDENTIFIER=%s", log_ident, NULL);
	} else {
		fprintf(stderr, "%s: %s\n", log_ident, buf);
	}
	errno = error;
	return -error;
}

bool ratelimit_below(struct ratelimit *rl)
{
	usec_t now = now_usec(CLOCK_MONOTONIC);

	if (rl->begin == 0 || now - rl->begin >= rl->interval) {
		if (rl->suppressed > 0)
			log_warning("%u messages like the next were suppressed.", rl->suppressed);
		rl->begin = now;
		rl->num = 0;
		rl->suppressed = 0;
	}
	if (rl->num < rl->burst) {
		rl->num++;
		return true;
	}
	rl->suppressed++;
	return false;
}
