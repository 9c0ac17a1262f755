/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_BASIC_STRING_UTIL_H
#define POSTURED_BASIC_STRING_UTIL_H

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

#endif
