/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One table model for the fleet UI, rendered as an HTML <table>, as CSV or as
 * a JSON array of objects, so that a handler answers a page, /api/v1/... and
 * ?format=csv with the same code.  Pure library code: no I/O, no logging.
 *
 * The caller declares the columns, then writes the cells row by row, left to
 * right; a row ends by itself with its last cell.  Every format writes into a
 * struct html (html.h), so the same size cap and sticky error hold:
 *
 *     static const struct table_column columns[] = {
 *             { "name", "Device", TABLE_TEXT },
 *             { "state", "State", TABLE_STATE },
 *             { "last_seen", "Last seen", TABLE_TIME },
 *     };
 *     struct table t;
 *
 *     table_begin(&t, TABLE_HTML, columns, ELEMENTSOF(columns), &h, NULL);
 *     for (each device) {
 *             table_cell_text(&t, d->name, href);   <- href: "/devices/<id>", or NULL
 *             table_cell_state(&t, d->state);
 *             table_cell_time(&t, d->last_seen_ms);
 *     }
 *     r = table_end(&t);
 *
 * Values by type and format:
 *
 *     type           HTML                         CSV                     JSON
 *     TABLE_TEXT     escaped, a link with href    the text                string
 *     TABLE_INTEGER  decimal, class "num"         decimal                 integer
 *     TABLE_TIME     html_time(), class "time"    2026-12-07T17:00:00Z    integer (ms)
 *     TABLE_STATE    <span class="badge STATE">   the text                string
 *     no value       an em dash                   an empty cell           null
 *
 * A NULL text or state, table_cell_null(), and a time of 0 or less are "no
 * value".  Text from a device may hold anything: in every format each byte of
 * invalid UTF-8 becomes U+FFFD, so the output is always valid UTF-8 (and the
 * JSON always valid JSON); HTML escapes as html_text() does.
 *
 * CSV is RFC 4180: a header line of the column keys, lines ended by CRLF, a
 * cell quoted when it holds , " CR or LF, a quote inside doubled; no value and
 * the empty string are both an empty cell.  C0 controls other than tab, CR and
 * LF, and DEL, become U+FFFD.  Because an admin opens the export in a
 * spreadsheet, a text or state cell that begins with = + - @ tab or CR gets a
 * leading apostrophe, so a device named "=HYPERLINK(...)" is shown as text and
 * never evaluated as a formula (OWASP's advice on CSV injection).  The
 * apostrophe is visible in the cell, and a script reading the CSV sees it
 * too.  Integer and time cells are numbers the program formats and are left
 * alone, "-5" included.
 *
 * JSON goes through a yajl_gen the caller owns, so the array can sit inside
 * an object of the caller's ({"total": N, "devices": [...]}): the caller
 * writes the key, then the table writes the array.  table_json_gen_new() makes
 * a generator that prints into a struct html (and so obeys its cap);
 * table_json_string() writes any other string of the caller's with the same
 * sanitising.
 */
#ifndef POSTURED_COLLECTOR_TABLE_H
#define POSTURED_COLLECTOR_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "html.h"

enum table_format {
	TABLE_HTML,
	TABLE_CSV,
	TABLE_JSON,
};

enum table_type {
	TABLE_TEXT,
	TABLE_INTEGER,
	TABLE_TIME, /* milliseconds since the epoch */
	TABLE_STATE, /* a short lowercase word: pass, fail, online, ... */
};

struct table_column {
	const char *key; /* the JSON member name and the CSV header: [a-z0-9_] */
	const char *label; /* the HTML column header */
	enum table_type type;
};

/* Only for table.c to use; a caller declares one and passes it by pointer. */
struct table {
	enum table_format format;
	const struct table_column *columns;
	size_t n_columns;
	struct html *out;
	yajl_gen gen;
	size_t column; /* of the next cell */
	size_t n_rows;
	int error; /* sticky, besides out's */
};

/*
 * Starts a table of columns[n_columns] (borrowed; they must outlive t) in
 * format.  HTML and CSV are written into out, and gen is NULL; for TABLE_JSON
 * gen (borrowed) is the generator written to, at a place where a value may go,
 * and out is the buffer it prints into (its error is then reported here too)
 * or NULL.  Writes the HTML head, the CSV header line or the opening "[".
 * Returns 0 or a negative errno: -EINVAL for no columns, a missing out or gen.
 */
int table_begin(struct table *t, enum table_format format, const struct table_column *columns,
		size_t n_columns, struct html *out, yajl_gen gen);

/*
 * The cells, left to right.  Each returns 0, or the sticky error of the table
 * or of its output: -EINVAL for a cell past the last row's end or a cell of
 * the wrong type (programmer errors), -ENOMEM, -E2BIG.
 *
 * table_cell_text(): value may be NULL (no value).  href, when not NULL and
 * the format is HTML, makes the text a link: a path and query the caller has
 * built (query values through html_url_value() or html_url_encode()); it is
 * attribute-escaped here, and used only when it begins with one "/" (a path on
 * this site), else the text is shown without a link.
 */
int table_cell_text(struct table *t, const char *value, const char *href);
int table_cell_int(struct table *t, int64_t value);
/* An integer that links, in HTML, to href (as table_cell_text()'s): a count to what it counts. */
int table_cell_int_link(struct table *t, int64_t value, const char *href);
int table_cell_time(struct table *t, int64_t ms);
/* state is shown as its text; as a class only when it is [a-z][a-z0-9-]*, else "other". */
int table_cell_state(struct table *t, const char *state);
/* No value, in a cell of any type. */
int table_cell_null(struct table *t);

/*
 * Ends the table: </tbody></table> (with one "empty" row saying so when there
 * were no rows), nothing for CSV, "]" for JSON.  Returns 0, or the first error
 * of the table or its output; -EINVAL when a row was left unfinished.
 */
int table_end(struct table *t);

/*
 * A new yajl_gen that prints into out (borrowed; it must outlive the
 * generator), so that JSON obeys out's cap and error, and refuses strings of
 * invalid UTF-8 (table_json_string() never gives one).  *ret is to be freed
 * with yajl_gen_free().  Returns 0 or -ENOMEM.
 */
int table_json_gen_new(struct html *out, yajl_gen *ret);

/*
 * Writes s[strlen(s)] as a JSON string (a key or a value), each byte of
 * invalid UTF-8 as U+FFFD; NULL writes null.  Returns 0, -ENOMEM, or -EINVAL
 * when gen refuses it (a string where none may go).
 */
int table_json_string(yajl_gen gen, const char *s);

/* "key": s in an object, s as table_json_string() writes it (NULL: null). */
int table_json_member(yajl_gen gen, const char *key, const char *s);

#endif
