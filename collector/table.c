// SPDX-License-Identifier: LGPL-2.1-or-later
/* One table model, written as HTML, CSV or JSON (table.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "table.h"

#define EM_DASH "\xe2\x80\x94"

/* The table's error, else its output's. */
static int table_error(const struct table *t)
{
	if (t->error < 0)
		return t->error;
	return t->out ? t->out->error : 0;
}

static int table_fail(struct table *t, int r)
{
	if (t->error == 0)
		t->error = r;
	return table_error(t);
}

static int table_yajl(struct table *t, yajl_gen_status s)
{
	return s == yajl_gen_status_ok ? table_error(t) : table_fail(t, -EINVAL);
}

/* Whether s[n] is valid UTF-8 throughout, as html_utf8_next() decides. */
static bool table_utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = html_utf8_next(s + i, n - i, &cp);

		if (len == 1 && (unsigned char)s[i] >= 0x80)
			return false;
		i += len;
	}
	return true;
}

int table_json_string(yajl_gen gen, const char *s)
{
	_cleanup_free_ char *clean = NULL;
	size_t n, m = 0;

	if (!s)
		return yajl_gen_null(gen) == yajl_gen_status_ok ? 0 : -EINVAL;
	n = strlen(s);
	if (!table_utf8_valid(s, n)) {
		/* At worst every byte becomes the three of U+FFFD. */
		if (n > (SIZE_MAX - 1) / 3)
			return -ENOMEM;
		clean = malloc(3 * n + 1);
		if (!clean)
			return -ENOMEM;
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			size_t len = html_utf8_next(s + i, n - i, &cp);

			if (len == 1 && (unsigned char)s[i] >= 0x80) {
				memcpy(clean + m, HTML_REPLACEMENT, 3);
				m += 3;
			} else {
				memcpy(clean + m, s + i, len);
				m += len;
			}
			i += len;
		}
		s = clean;
		n = m;
	}
	if (yajl_gen_string(gen, (const unsigned char *)s, n) != yajl_gen_status_ok)
		return -EINVAL;
	return 0;
}

static void table_json_print(void *ctx, const char *str, size_t len)
{
	html_raw_n(ctx, str, len);
}

int table_json_gen_new(struct html *out, yajl_gen *ret)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return -ENOMEM;
	if (!yajl_gen_config(g, yajl_gen_print_callback, table_json_print, out) ||
	    !yajl_gen_config(g, yajl_gen_validate_utf8, 1)) {
		yajl_gen_free(g);
		return -ENOMEM;
	}
	*ret = g;
	return 0;
}

/* --- CSV --- */

static bool table_csv_formula(const char *s)
{
	return s[0] && strchr("=+-@\t\r", s[0]);
}

/* What an ASCII byte becomes inside a CSV cell: a quote doubled, controls U+FFFD. */
static const char *table_csv_escape(unsigned char c)
{
	if (c == '"')
		return "\"\"";
	if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
		return HTML_REPLACEMENT;
	return NULL;
}

/* One cell's text: quoted when it must be, controls and invalid bytes as U+FFFD. */
static void table_csv_text(struct html *out, const char *s, bool neutralise)
{
	bool quote = strpbrk(s, ",\"\r\n");

	if (quote)
		html_raw(out, "\"");
	if (neutralise && table_csv_formula(s))
		html_raw(out, "'");
	html_sanitized(out, s, strlen(s), table_csv_escape);
	if (quote)
		html_raw(out, "\"");
}

/* --- HTML --- */

static const char *table_html_td(enum table_type type)
{
	switch (type) {
	case TABLE_INTEGER:
		return "<td class=\"num\">";
	case TABLE_TIME:
		return "<td class=\"time\">";
	default:
		return "<td>";
	}
}

/* A link only to a path on this site: "/x", never "//host" or "/\host" (which browsers
 * take for another host), never a scheme such as "javascript:". */
static bool table_href_ok(const char *href)
{
	return href[0] == '/' && href[1] != '/' && href[1] != '\\';
}

/* A state is a class only when it is a plain lowercase word. */
static bool table_state_class_ok(const char *state)
{
	size_t n = strlen(state);

	if (n == 0 || n > 32 || state[0] < 'a' || state[0] > 'z')
		return false;
	return strspn(state, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* --- rows and cells --- */

int table_begin(struct table *t, enum table_format format, const struct table_column *columns,
		size_t n_columns, struct html *out, yajl_gen gen)
{
	*t = (struct table){
		.format = format,
		.columns = columns,
		.n_columns = n_columns,
		.out = out,
		.gen = gen,
	};
	if (n_columns == 0 || (format == TABLE_JSON ? !gen : !out || gen))
		return table_fail(t, -EINVAL);

	switch (format) {
	case TABLE_HTML:
		html_raw(out, "<div class=\"table-wrap\"><table class=\"data\">\n<thead><tr>");
		for (size_t i = 0; i < n_columns; i++) {
			bool num = columns[i].type == TABLE_INTEGER;

			html_raw(out,
				 num ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
			html_text(out, columns[i].label);
			html_raw(out, "</th>");
		}
		html_raw(out, "</tr></thead>\n<tbody>\n");
		return table_error(t);
	case TABLE_CSV:
		for (size_t i = 0; i < n_columns; i++) {
			if (i > 0)
				html_raw(out, ",");
			table_csv_text(out, columns[i].key, true);
		}
		html_raw(out, "\r\n");
		return table_error(t);
	case TABLE_JSON:
		return table_yajl(t, yajl_gen_array_open(gen));
	}
	return table_fail(t, -EINVAL);
}

/*
 * Opens the next cell of type (or any type, when null), writing what comes before its value:
 * a new row's start, the separator, the JSON key.  Returns the column, or a negative errno.
 */
static int table_cell_open(struct table *t, enum table_type type, bool null)
{
	const struct table_column *c;
	int r = table_error(t);

	if (r < 0)
		return r;
	if (!t->columns || t->column >= t->n_columns)
		return table_fail(t, -EINVAL);
	c = &t->columns[t->column];
	if (!null && c->type != type)
		return table_fail(t, -EINVAL);

	switch (t->format) {
	case TABLE_HTML:
		if (t->column == 0)
			html_raw(t->out, "<tr>");
		html_raw(t->out, table_html_td(c->type));
		break;
	case TABLE_CSV:
		if (t->column > 0)
			html_raw(t->out, ",");
		break;
	case TABLE_JSON:
		if (t->column == 0 && yajl_gen_map_open(t->gen) != yajl_gen_status_ok)
			return table_fail(t, -EINVAL);
		r = table_json_string(t->gen, c->key);
		if (r < 0)
			return table_fail(t, r);
		break;
	}
	r = table_error(t);
	return r < 0 ? r : (int)t->column;
}

/* Writes what comes after the cell's value, and the row's end after its last cell. */
static int table_cell_close(struct table *t)
{
	bool last = ++t->column == t->n_columns;

	switch (t->format) {
	case TABLE_HTML:
		html_raw(t->out, last ? "</td></tr>\n" : "</td>");
		break;
	case TABLE_CSV:
		if (last)
			html_raw(t->out, "\r\n");
		break;
	case TABLE_JSON:
		if (last && yajl_gen_map_close(t->gen) != yajl_gen_status_ok)
			return table_fail(t, -EINVAL);
		break;
	}
	if (last) {
		t->column = 0;
		t->n_rows++;
	}
	return table_error(t);
}

int table_cell_null(struct table *t)
{
	int r = table_cell_open(t, TABLE_TEXT, true);

	if (r < 0)
		return r;
	switch (t->format) {
	case TABLE_HTML:
		html_raw(t->out, EM_DASH);
		break;
	case TABLE_CSV:
		break;
	case TABLE_JSON:
		if (yajl_gen_null(t->gen) != yajl_gen_status_ok)
			return table_fail(t, -EINVAL);
		break;
	}
	return table_cell_close(t);
}

int table_cell_text(struct table *t, const char *value, const char *href)
{
	int r;

	if (!value)
		return table_cell_null(t);
	r = table_cell_open(t, TABLE_TEXT, false);
	if (r < 0)
		return r;
	switch (t->format) {
	case TABLE_HTML:
		if (href && table_href_ok(href)) {
			html_raw(t->out, "<a href=\"");
			html_text(t->out, href);
			html_raw(t->out, "\">");
			html_text(t->out, value);
			html_raw(t->out, "</a>");
		} else {
			html_text(t->out, value);
		}
		break;
	case TABLE_CSV:
		table_csv_text(t->out, value, true);
		break;
	case TABLE_JSON:
		r = table_json_string(t->gen, value);
		if (r < 0)
			return table_fail(t, r);
		break;
	}
	return table_cell_close(t);
}

int table_cell_int_link(struct table *t, int64_t value, const char *href)
{
	int r = table_cell_open(t, TABLE_INTEGER, false);

	if (r < 0)
		return r;
	if (t->format == TABLE_JSON) {
		if (yajl_gen_integer(t->gen, value) != yajl_gen_status_ok)
			return table_fail(t, -EINVAL);
	} else if (t->format == TABLE_HTML && href && table_href_ok(href)) {
		html_raw(t->out, "<a href=\"");
		html_text(t->out, href);
		html_raw(t->out, "\">");
		html_int(t->out, value);
		html_raw(t->out, "</a>");
	} else {
		html_int(t->out, value);
	}
	return table_cell_close(t);
}

int table_cell_int(struct table *t, int64_t value)
{
	return table_cell_int_link(t, value, NULL);
}

int table_cell_time(struct table *t, int64_t ms)
{
	char iso[HTML_TIME_ISO_SIZE];
	int r;

	if (ms <= 0)
		return table_cell_null(t);
	r = table_cell_open(t, TABLE_TIME, false);
	if (r < 0)
		return r;
	switch (t->format) {
	case TABLE_HTML:
		html_time(t->out, ms);
		break;
	case TABLE_CSV:
		/* A time past the year 9999 has no ISO form here: no value. */
		if (html_time_iso(ms, iso, sizeof(iso)) >= 0)
			html_raw(t->out, iso);
		break;
	case TABLE_JSON:
		if (yajl_gen_integer(t->gen, ms) != yajl_gen_status_ok)
			return table_fail(t, -EINVAL);
		break;
	}
	return table_cell_close(t);
}

int table_cell_state(struct table *t, const char *state)
{
	int r;

	if (!state)
		return table_cell_null(t);
	r = table_cell_open(t, TABLE_STATE, false);
	if (r < 0)
		return r;
	switch (t->format) {
	case TABLE_HTML:
		html_raw(t->out, "<span class=\"badge ");
		html_raw(t->out, table_state_class_ok(state) ? state : "other");
		html_raw(t->out, "\">");
		html_text(t->out, state);
		html_raw(t->out, "</span>");
		break;
	case TABLE_CSV:
		table_csv_text(t->out, state, true);
		break;
	case TABLE_JSON:
		r = table_json_string(t->gen, state);
		if (r < 0)
			return table_fail(t, r);
		break;
	}
	return table_cell_close(t);
}

int table_end(struct table *t)
{
	int r = table_error(t);

	if (r < 0)
		return r;
	if (!t->columns || t->column != 0)
		return table_fail(t, -EINVAL);
	switch (t->format) {
	case TABLE_HTML:
		if (t->n_rows == 0)
			html_rawf(t->out,
				  "<tr class=\"empty\"><td colspan=\"%zu\">Nothing to show.</td>"
				  "</tr>\n",
				  t->n_columns);
		html_raw(t->out, "</tbody></table></div>\n");
		break;
	case TABLE_CSV:
		break;
	case TABLE_JSON:
		return table_yajl(t, yajl_gen_array_close(t->gen));
	}
	return table_error(t);
}

int table_json_member(yajl_gen gen, const char *key, const char *s)
{
	int r = table_json_string(gen, key);

	return r < 0 ? r : table_json_string(gen, s);
}
