/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet web UI's output buffer and page frame.  Pure library code: no I/O,
 * no logging, no globals but constants.
 *
 * A page is built into one struct html.  Every append either succeeds or sets
 * the buffer's sticky error (-ENOMEM, or -E2BIG past max bytes), after which
 * further appends do nothing; so a handler appends without checking and asks
 * once, at html_finish().  An all-zero struct html is a valid empty buffer
 * with the default cap:
 *
 *     _cleanup_(html_done) struct html h = {};
 *
 *     html_page_begin(&h, "Devices", HTML_NAV_DEVICES, user, role);
 *     html_raw(&h, "<h1>");
 *     html_text(&h, device_name);   <- anything from a device or a user
 *     html_raw(&h, "</h1>");
 *     html_page_end(&h);
 *     r = html_finish(&h, &body, &size);
 *
 * What may come from outside (host names, user names, finding texts, query
 * strings) goes only through html_text() or html_url_value():
 * they escape & < > " ' so the result is safe both between tags and inside a
 * double- or single-quoted attribute value, and they turn C0 control
 * characters (other than tab and newline), DEL and every byte that is not part
 * of valid UTF-8 into U+FFFD, so bytes from a compromised laptop can never
 * break the page or its encoding.  Markup the program itself writes goes
 * through html_raw().
 *
 * The UI has no JavaScript at all: html_csp is the Content-Security-Policy
 * every page is served with, and it allows no script and no inline style, so
 * markup here carries classes, never style attributes.  html_stylesheet is
 * the one stylesheet, served at /static/style.css.
 *
 * The buffer is a plain byte buffer too: table.c writes CSV and JSON into it,
 * so the same cap holds for every format.
 */
#ifndef POSTURED_COLLECTOR_HTML_H
#define POSTURED_COLLECTOR_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default cap on a buffer, when its max is 0. */
#define HTML_SIZE_MAX (16u * 1024 * 1024)

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8. */
#define HTML_REPLACEMENT "\xef\xbf\xbd"

/* The Content-Security-Policy header value of every page: no script at all. */
extern const char html_csp[];

/* The stylesheet (text/css), served at /static/style.css; NUL-terminated. */
extern const char html_stylesheet[];

struct html {
	char *buf; /* NUL-terminated once anything was appended; owned */
	size_t size; /* bytes in buf, without the NUL */
	size_t allocated;
	size_t max; /* cap on size; 0 means HTML_SIZE_MAX */
	int error; /* the first failure, sticky: -ENOMEM, -E2BIG, -EINVAL (a bad format) */
};

/* The top bar's entries; the active one is marked. */
enum html_nav {
	HTML_NAV_NONE,
	HTML_NAV_OVERVIEW, /* / */
	HTML_NAV_DEVICES, /* /devices */
	HTML_NAV_RULES, /* /rules */
	HTML_NAV_EXEMPTIONS, /* /exemptions */
	HTML_NAV_EXPORT, /* /export */
};

/* Frees the buffer and leaves h empty, with its cap; for _cleanup_(html_done). */
void html_done(struct html *h);

/*
 * Hands the buffer over: *ret (NUL-terminated, never NULL on success, to free())
 * and *ret_size (without the NUL).  Returns 0, or the sticky error (the buffer
 * is freed then and ret untouched).  Either way h is left empty, its error
 * cleared, to be used again.
 */
int html_finish(struct html *h, char **ret, size_t *ret_size);

/*
 * Append trusted markup (or, for CSV and JSON, bytes) as is: data[n], or the
 * string markup.  Never pass anything from outside.  Return 0 or the sticky
 * error, as every append here does.
 */
int html_raw_n(struct html *h, const void *data, size_t n);
int html_raw(struct html *h, const char *markup);

/*
 * printf into the buffer, unescaped: only for values the program makes itself
 * (numbers, coordinates, constant class names).  Never %s with outside data.
 */
int html_rawf(struct html *h, const char *format, ...) __attribute__((format(printf, 2, 3)));

/*
 * Append text escaped for HTML: s[n] or the string s.  & < > " ' become
 * character references, so the result is safe in element content and in a
 * quoted attribute value; C0 controls other than \t and \n, DEL, and each byte
 * of invalid UTF-8 (stray continuation bytes, truncated or overlong
 * sequences, surrogates, code points past U+10FFFF) become U+FFFD.  A NULL s
 * appends an em dash, the UI's "no value".
 */
int html_text_n(struct html *h, const char *s, size_t n);
int html_text(struct html *h, const char *s);

/*
 * The walk html_text_n() makes, for other formats (CSV): s[n] with each
 * byte of invalid UTF-8 as U+FFFD and each ASCII byte as escape_ascii()
 * says (NULL: as it is).
 */
int html_sanitized(struct html *h, const char *s, size_t n,
		   const char *(*escape_ascii)(unsigned char c));

/* Append a decimal integer. */
int html_int(struct html *h, int64_t value);

/*
 * Append a time (milliseconds since the epoch, shown in UTC to the minute,
 * the seconds dropped, the datetime attribute to the second):
 * <time datetime="2026-12-07T17:00:00Z">2026-12-07 17:00 UTC</time>.  0 or
 * less, or a time past the year 9999, appends an em dash.
 */
int html_time(struct html *h, int64_t ms);

/*
 * The same time as html_time()'s datetime, "2026-12-07T17:00:00Z", into
 * buf[size] (HTML_TIME_ISO_SIZE is enough); for CSV.  Returns 0; -EDOM when ms
 * is no time html_time() shows (0 or less, past 9999), -ENOBUFS.
 */
#define HTML_TIME_ISO_SIZE 21
int html_time_iso(int64_t ms, char *buf, size_t size);

/*
 * Append how long ago then_ms was at now_ms, both milliseconds since the
 * epoch: "just now" under a minute, "3 min ago", "2 h ago", "1 day ago",
 * "5 days ago" (rounded down), "in the future" for then more than a minute
 * after now (a skewed device clock), inside a <time> element whose datetime
 * and title give the exact time.  then_ms 0 or less appends an em dash.
 */
int html_ago(struct html *h, int64_t now_ms, int64_t then_ms);

/*
 * Append s percent-encoded as a URL query value (or path segment): the RFC
 * 3986 unreserved characters A-Z a-z 0-9 - . _ ~ stay, every other byte
 * becomes %XX (uppercase hex).  The result needs no further escaping inside an
 * attribute; between two query parameters the caller writes "&amp;".
 */
int html_url_value(struct html *h, const char *s);

/*
 * The same encoding into a new string *ret (to free()), for building an href
 * handed to table_cell_text().  Returns 0 or -ENOMEM.
 */
int html_url_encode(const char *s, char **ret);

/*
 * Decodes one code point of UTF-8 from s[n] (n > 0): returns the bytes it
 * takes (1-4) and writes the code point to *ret_cp; an invalid byte takes 1
 * and gives 0xFFFD (so a return of 1 for a byte >= 0x80 means invalid).
 * Strict RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF.
 * For the other writers (table.c's CSV and JSON) to sanitise alike.
 */
size_t html_utf8_next(const char *s, size_t n, uint32_t *ret_cp);

/*
 * The page frame: <!DOCTYPE html>, <head> (charset, viewport, the title
 * "<title> · postured fleet", the stylesheet), the top bar (product name,
 * the navigation with active marked, and, when user is not NULL, the signed-in
 * user and role on the right), then <main> opened for the page's content.
 * title, user and role are escaped; a NULL title gives "postured fleet"
 * alone, a NULL role none.
 */
int html_page_begin(struct html *h, const char *title, enum html_nav active, const char *user,
		    const char *role);

/* Closes what html_page_begin() opened. */
int html_page_end(struct html *h);

#endif
