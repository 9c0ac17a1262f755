// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* One character of a value into buf[size] at *n, counted even where it no longer fits. */
static void value_put(char *buf, size_t size, size_t *n, char c)
{
	if (*n + 1 < size)
		buf[*n] = c;
	(*n)++;
}

/* VALUE, from v up to end, unquoted into buf[size] (size > 0). */
static void env_value_unquote(const char *v, const char *end, char *buf, size_t size)
{
	size_t n = 0, kept = 0; /* kept: n without the unquoted blanks at the end */
	char quote = 0;

	v += strspn(v, " \t");
	if (end > v && end[-1] == '\r')
		end--;
	for (const char *p = v; p < end; p++) {
		char c = *p;

		if (quote == '\'') {
			if (c == '\'') {
				quote = 0;
				continue;
			}
		} else if (c == '\\' && p + 1 < end && (!quote || strchr("$`\"\\", p[1]))) {
			c = *++p;
		} else if (c == '"' && quote) {
			quote = 0;
			continue;
		} else if ((c == '"' || c == '\'') && !quote) {
			quote = c;
			continue;
		} else if ((c == ' ' || c == '\t') && !quote) {
			value_put(buf, size, &n, c);
			continue;
		}
		value_put(buf, size, &n, c);
		kept = n;
	}
	buf[kept < size ? kept : size - 1] = '\0';
}

bool env_file_value(const char *text, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	bool found = false;

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *end = eol ? eol : line + strlen(line);

		line += strspn(line, " \t");
		if ((size_t)(end - line) > klen && strncmp(line, key, klen) == 0 &&
		    line[klen] == '=') {
			if (size > 0)
				env_value_unquote(line + klen + 1, end, buf, size);
			found = true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return found;
}

int strbuf_append_bounded(char **buf, size_t *size, const void *data, size_t n, size_t max)
{
	char *p;

	if (n > max || *size > max - n)
		return -EFBIG;
	p = realloc(*buf, *size + n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + *size, data, n);
	*size += n;
	p[*size] = '\0';
	*buf = p;
	return 0;
}
