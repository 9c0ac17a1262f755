// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>

#include "string-util.h"

char *strbuf_printf(char *buf, size_t size, const char *format, ...)
{
	va_list ap;

	if (size == 0)
		return buf;
	va_start(ap, format);
	if (vsnprintf(buf, size, format, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
	return buf;
}
