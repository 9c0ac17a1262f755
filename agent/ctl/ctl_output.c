// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <yajl/yajl_gen.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "ctl_output.h"

/* --- styles --------------------------------------------------------------- */

static const char *const style_on[] = {
	[CTL_STYLE_BOLD] = "\033[1m",
	[CTL_STYLE_GOOD] = "\033[1;32m",
	[CTL_STYLE_BAD] = "\033[1;31m",
	[CTL_STYLE_DIM] = "\033[2m",
};

void ctl_output_init(struct ctl_output *o)
{
	struct winsize ws;

	*o = (struct ctl_output){ .f = stdout };
	if (isatty(STDOUT_FILENO)) {
		const char *nc = getenv("NO_COLOR");

		o->color = !nc || !*nc;
		o->width = 80;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
			o->width = MIN((int)ws.ws_col, CTL_OUTPUT_WIDTH_MAX);
	}
}

void ctl_output_style(struct ctl_output *o, enum ctl_style s)
{
	if (o->color)
		fputs(style_on[s], o->f);
}

void ctl_output_reset(struct ctl_output *o)
{
	if (o->color)
		fputs("\033[0m", o->f);
}

/* --- text ----------------------------------------------------------------- */

/*
 * Decodes one UTF-8 character of s[0..len).  Returns its length, or 0 when the
 * bytes are not valid UTF-8.  The agent's texts are UTF-8 whatever our locale.
 */
static size_t utf8_decode(const char *s, size_t len, uint32_t *ret)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t c;

	if (u[0] < 0x80) {
		*ret = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2;
		c = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3;
		c = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode. */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
		return 0;
	*ret = c;
	return n;
}

/* Control characters would let a program's name drive the terminal. */
static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029;
}

int ctl_output_width(const char *s)
{
	size_t len = strlen(s);
	int width = 0;

	while (len > 0) {
		uint32_t c;
		size_t n = utf8_decode(s, len, &c);
		int w;

		if (n == 0)
			n = 1, c = '?';
		w = wcwidth((wchar_t)c);
		width += w < 0 ? 1 : w;
		s += n;
		len -= n;
	}
	return width;
}

/* Word wrapping that knows wide (CJK) characters and never lets the agent's text drive the tty. */
struct wrap {
	struct ctl_output *o;
	int indent, col;
	char word[256];
	size_t wlen;
	int wcols;
	bool space;
};

static void wrap_newline(struct wrap *w)
{
	fprintf(w->o->f, "\n%*s", w->indent, "");
	w->col = w->indent;
	w->space = false;
}

static void wrap_flush(struct wrap *w)
{
	int need;

	if (w->wlen == 0)
		return;
	need = (w->space && w->col > w->indent ? 1 : 0) + w->wcols;
	if (w->o->width > 0 && w->col > w->indent && w->col + need > w->o->width)
		wrap_newline(w);
	if (w->space && w->col > w->indent) {
		fputc(' ', w->o->f);
		w->col++;
	}
	fwrite(w->word, 1, w->wlen, w->o->f);
	w->col += w->wcols;
	w->wlen = 0;
	w->wcols = 0;
	w->space = false;
}

static void wrap_add(struct wrap *w, const char *bytes, size_t n, int cols)
{
	if (w->wlen + n > sizeof(w->word))
		wrap_flush(w);
	memcpy(w->word + w->wlen, bytes, n);
	w->wlen += n;
	w->wcols += cols;
}

void ctl_output_wrapped(struct ctl_output *o, int col, int indent, const char *s)
{
	struct wrap w = { .o = o, .indent = indent, .col = col };
	size_t len = strlen(s);

	while (len > 0) {
		uint32_t c;
		size_t n = utf8_decode(s, len, &c);
		int cols;

		if (n == 0) {
			wrap_add(&w, "?", 1, 1);
			s++;
			len--;
			continue;
		}
		if (c == '\n') {
			wrap_flush(&w);
			wrap_newline(&w);
		} else if (c == ' ' || c == '\t') {
			wrap_flush(&w);
			w.space = true;
		} else if (is_control(c)) {
			wrap_add(&w, "?", 1, 1);
		} else {
			cols = wcwidth((wchar_t)c);
			if (cols < 0)
				cols = 1; /* not known in this locale: a guess is good enough */
			if (cols == 2) {
				/* CJK text breaks between any two characters. */
				wrap_flush(&w);
				wrap_add(&w, s, n, cols);
				wrap_flush(&w);
			} else {
				wrap_add(&w, s, n, cols);
			}
		}
		s += n;
		len -= n;
	}
	wrap_flush(&w);
}

void ctl_output_para(struct ctl_output *o, int indent, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	fprintf(o->f, "%*s", indent, "");
	ctl_output_wrapped(o, indent, indent, s);
	fputc('\n', o->f);
}

/* Writes s[0..len) after indent spaces, and a newline; no wrapping. */
static void output_raw_line(struct ctl_output *o, int indent, const char *s, size_t len)
{
	fprintf(o->f, "%*s", indent, "");
	while (len > 0) {
		uint32_t c;
		size_t n = utf8_decode(s, len, &c);

		if (n == 0 || is_control(c))
			fputc('?', o->f);
		else
			fwrite(s, 1, n, o->f);
		n = n ?: 1;
		s += n;
		len -= n;
	}
	fputc('\n', o->f);
}

/* --- time ----------------------------------------------------------------- */

const char *ctl_output_time(char buf[static 32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		return strcpy(buf, "?");
	return buf;
}

const char *ctl_output_time_sec(char buf[static 32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return strcpy(buf, "?");
	return buf;
}

/* --- JSON ----------------------------------------------------------------- */

/* Deeper than the agent's answers ever are; a deeper tree is cut there. */
#define CTL_JSON_DEPTH_MAX 128

int ctl_output_json(FILE *f, yajl_val v)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;

	if (!g)
		return -ENOMEM;
	(void)json_gen_tree(g, v, CTL_JSON_DEPTH_MAX);
	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		return -ENOMEM;
	fwrite(buf, 1, n, f);
	fputc('\n', f);
	fflush(f);
	return 0;
}

void ctl_output_json_lines(struct ctl_output *o, int indent, yajl_val v)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;

	if (!g)
		return;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	(void)json_gen_tree(g, v, CTL_JSON_DEPTH_MAX);
	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		return;
	for (const char *p = (const char *)buf, *e = p + n; p < e;) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(e - p);

		if (len > 0)
			output_raw_line(o, indent, p, len);
		p += len + 1;
	}
}
