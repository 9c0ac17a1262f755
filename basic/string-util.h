/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_BASIC_STRING_UTIL_H
#define POSTURED_BASIC_STRING_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Copies src into dst[size], cutting it to fit; dst always ends in NUL.  Returns dst. */
static inline char *strbufcpy(char *dst, size_t size, const char *src)
{
	size_t n;

	if (size == 0)
		return dst;
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return dst;
}

/*
 * snprintf() into a buffer where cutting is intended (messages): returns buf,
 * always terminated.  Spares callers the truncation warnings of snprintf.
 */
char *strbuf_printf(char *buf, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The value of key in text, the contents of an environment-like file of
 * KEY=VALUE lines: os-release(5), /etc/default/<name>, ufw.conf.  Returns
 * whether key is set there; only then is its value written into buf[size],
 * cut to fit, so buf may hold a default.
 *
 * Quoting as a shell reads one assignment (and os-release(5) asks for):
 * VALUE may be in double or single quotes, or parts of it; inside single
 * quotes every character is itself; inside double quotes a backslash escapes
 * only $ ` " and \ (elsewhere it stays); unquoted, a backslash escapes any
 * character.  Spaces and tabs before KEY and around an unquoted VALUE, and a
 * CR ending the line, are dropped.  When key is set more than once the last
 * one wins, as when a shell sources the file.  Comments (#) and other lines
 * never match.  Not handled: lines continued with a trailing backslash,
 * "export KEY=", expansion of $VARIABLES; an unclosed quote runs to the end
 * of the line.
 */
bool env_file_value(const char *text, const char *key, char *buf, size_t size);

/*
 * Appends data[n] to the NUL-terminated *buf of *size bytes (NULL and 0 to
 * begin with), growing it, but never past max bytes: -EFBIG then, and
 * -ENOMEM; *buf is unchanged on failure.  For what a child process writes.
 */
int strbuf_append_bounded(char **buf, size_t *size, const void *data, size_t n, size_t max);

#endif
