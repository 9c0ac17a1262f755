// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "policy-internal.h"

struct entry {
	struct policy_error e; /* its strings are owned by the list */
	size_t seq; /* insertion order, so that sorting is stable */
};

struct policy_errors {
	struct entry *entries;
	size_t n, cap;
};

policy_errors *policy_errors_new(void)
{
	return calloc(1, sizeof(struct policy_errors));
}

policy_errors *policy_errors_free(policy_errors *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n; i++) {
		free((char *)e->entries[i].e.file);
		free((char *)e->entries[i].e.pointer);
		free((char *)e->entries[i].e.message);
	}
	free(e->entries);
	free(e);
	return NULL;
}

size_t policy_errors_count(const policy_errors *e)
{
	return e ? e->n : 0;
}

const struct policy_error *policy_errors_get(const policy_errors *e, size_t i)
{
	if (!e || i >= e->n)
		return NULL;
	return &e->entries[i].e;
}

int policy_errors_add(policy_errors *e, const char *file, unsigned line, unsigned column,
		      const char *pointer, const char *fmt, va_list ap)
{
	_cleanup_free_ char *f = NULL, *p = NULL, *m = NULL;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct entry *n = reallocarray(e->entries, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		e->entries = n;
		e->cap = cap;
	}
	f = strdup(file ? file : "");
	p = strdup(pointer ? pointer : "");
	if (!f || !p || vasprintf(&m, fmt, ap) < 0)
		return -ENOMEM;
	e->entries[e->n] = (struct entry){
		.e = {
			.file = TAKE_PTR(f),
			.line = line,
			.column = column,
			.pointer = TAKE_PTR(p),
			.message = TAKE_PTR(m),
		},
		.seq = e->n,
	};
	e->n++;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->e.line != y->e.line)
		return x->e.line < y->e.line ? -1 : 1;
	if (x->e.column != y->e.column)
		return x->e.column < y->e.column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void policy_errors_sort(policy_errors *e, size_t from)
{
	if (e && from < e->n)
		qsort(e->entries + from, e->n - from, sizeof(struct entry), entry_cmp);
}

int policy_error_format(const struct policy_error *e, char **ret)
{
	char *s;
	int r;

	if (e->line == 0)
		r = asprintf(&s, "%s: error: %s", e->file, e->message);
	else
		r = asprintf(&s, "%s:%u:%u: error: %s (at %s)", e->file, e->line, e->column,
			     e->message, e->pointer[0] ? e->pointer : "/");
	if (r < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* U+200E/F, U+202A..E and U+2066..9 reorder or hide text: a policy shows none of them raw. */
static uint32_t direction_char(const unsigned char *p)
{
	if (p[0] != 0xe2)
		return 0;
	if (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae)))
		return 0x2000 + (p[2] - 0x80);
	if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 0x2040 + (p[2] - 0x80);
	return 0;
}

const char *policy_quote(char buf[static POLICY_QUOTE_MAX], const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	buf[o++] = '"';
	while (*p) {
		char esc[8];
		size_t n = 1;
		uint32_t d = direction_char(p);

		/* Cut at a character boundary, leaving room for the longest escape. */
		if (o > 64 && (*p & 0xc0) != 0x80) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (d) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)d);
			n = 3;
		} else if (*p == '"' || *p == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", *p);
		} else if (*p == '\n') {
			strcpy(esc, "\\n");
		} else if (*p == '\t') {
			strcpy(esc, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		memcpy(buf + o, esc, strlen(esc));
		o += strlen(esc);
		p += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

uint32_t policy_check_text_chars(const char *s, bool multiline)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		uint32_t d;

		if ((*p < 0x20 && !(multiline && *p == '\n')) || *p == 0x7f)
			return *p;
		d = direction_char(p);
		if (d)
			return d;
	}
	return 0;
}
