// SPDX-License-Identifier: LGPL-2.1-or-later
/* The fleet UI's output buffer, escaping, page frame and stylesheet (html.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "basic/cleanup.h"
#include "html.h"

#define EM_DASH "\xe2\x80\x94"

const char html_csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static size_t html_max(const struct html *h)
{
	return h->max ? h->max : HTML_SIZE_MAX;
}

void html_done(struct html *h)
{
	h->buf = mfree(h->buf);
	h->size = 0;
	h->allocated = 0;
	h->error = 0;
}

int html_finish(struct html *h, char **ret, size_t *ret_size)
{
	int r = h->error;

	if (r < 0) {
		html_done(h);
		return r;
	}
	if (!h->buf) {
		h->buf = strdup("");
		if (!h->buf)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(h->buf);
	*ret_size = h->size;
	html_done(h);
	return 0;
}

/* Makes room for n more bytes and the NUL, or sets the sticky error. */
static int html_reserve(struct html *h, size_t n)
{
	size_t max = html_max(h), want, a;
	char *p;

	if (h->error < 0)
		return h->error;
	if (n > max || h->size > max - n)
		return (h->error = -E2BIG);
	want = h->size + n + 1;
	if (want <= h->allocated)
		return 0;
	a = h->allocated ? h->allocated : 4096;
	while (a < want)
		a = a > SIZE_MAX / 2 ? want : a * 2;
	/* Never more than the cap needs. */
	a = MIN(a, max + 1);
	p = realloc(h->buf, a);
	if (!p)
		return (h->error = -ENOMEM);
	h->buf = p;
	h->allocated = a;
	return 0;
}

int html_raw_n(struct html *h, const void *data, size_t n)
{
	int r = html_reserve(h, n);

	if (r < 0)
		return r;
	if (n > 0)
		memcpy(h->buf + h->size, data, n);
	h->size += n;
	h->buf[h->size] = '\0';
	return 0;
}

int html_raw(struct html *h, const char *markup)
{
	return html_raw_n(h, markup, strlen(markup));
}

size_t html_utf8_next(const char *s, size_t n, uint32_t *ret_cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp, min;
	size_t len;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		goto invalid; /* a continuation byte, c0, c1, f5..ff */
	}
	if (n < len)
		goto invalid;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto invalid;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto invalid;
	*ret_cp = cp;
	return len;
invalid:
	*ret_cp = 0xfffd;
	return 1;
}

/* What a byte of ASCII becomes in escaped text, or NULL when it stays. */
static const char *html_escape_ascii(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\t':
	case '\n':
		return NULL;
	default:
		return c < 0x20 || c == 0x7f ? HTML_REPLACEMENT : NULL;
	}
}

int html_sanitized(struct html *h, const char *s, size_t n,
		   const char *(*escape_ascii)(unsigned char c))
{
	size_t i = 0, start = 0;

	/* Runs of bytes that stay are copied at once, at the next replacement or the end. */
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		size_t len = 1;

		if (c >= 0x80) {
			uint32_t cp;

			len = html_utf8_next(s + i, n - i, &cp);
			if (len == 1)
				rep = HTML_REPLACEMENT;
		} else {
			rep = escape_ascii(c);
		}
		if (rep) {
			html_raw_n(h, s + start, i - start);
			html_raw(h, rep);
			start = i + len;
		}
		i += len;
	}
	return html_raw_n(h, s + start, n - start);
}

int html_text_n(struct html *h, const char *s, size_t n)
{
	if (!s)
		return html_raw(h, EM_DASH);
	return html_sanitized(h, s, n, html_escape_ascii);
}

int html_text(struct html *h, const char *s)
{
	return html_text_n(h, s, s ? strlen(s) : 0);
}

int html_rawf(struct html *h, const char *format, ...)
{
	_cleanup_free_ char *big = NULL;
	char small[256];
	const char *p = small;
	va_list ap;
	int n;

	if (h->error < 0)
		return h->error;
	va_start(ap, format);
	n = vsnprintf(small, sizeof(small), format, ap);
	va_end(ap);
	if (n < 0)
		return (h->error = -EINVAL);
	if ((size_t)n >= sizeof(small)) {
		if ((size_t)n > html_max(h))
			return (h->error = -E2BIG);
		big = malloc((size_t)n + 1);
		if (!big)
			return (h->error = -ENOMEM);
		va_start(ap, format);
		n = vsnprintf(big, (size_t)n + 1, format, ap) == n ? n : -1;
		va_end(ap);
		if (n < 0)
			return (h->error = -EINVAL);
		p = big;
	}
	return html_raw_n(h, p, (size_t)n);
}
int html_int(struct html *h, int64_t value)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, value);

	return html_raw_n(h, b, (size_t)n);
}

/* The broken-down UTC time of ms, when it is one the UI shows: after the epoch, before 10000. */
static int html_tm(int64_t ms, struct tm *ret)
{
	time_t t;

	if (ms <= 0)
		return -EDOM;
	t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, ret) || ret->tm_year > 9999 - 1900)
		return -EDOM;
	return 0;
}

int html_time_iso(int64_t ms, char *buf, size_t size)
{
	struct tm tm;
	int r = html_tm(ms, &tm);

	if (r < 0)
		return r;
	if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -ENOBUFS;
	return 0;
}

/* <time datetime="ISO" (title="shown") >, then what is shown: the one element both need. */
static int html_time_element(struct html *h, int64_t ms, const char *ago)
{
	char iso[HTML_TIME_ISO_SIZE], shown[32];
	struct tm tm;

	if (html_tm(ms, &tm) < 0)
		return html_raw(h, EM_DASH);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(shown, sizeof(shown), "%Y-%m-%d %H:%M UTC", &tm);
	html_raw(h, "<time datetime=\"");
	html_raw(h, iso);
	if (ago) {
		html_raw(h, "\" title=\"");
		html_raw(h, shown);
		html_raw(h, "\">");
		html_raw(h, ago);
	} else {
		html_raw(h, "\">");
		html_raw(h, shown);
	}
	return html_raw(h, "</time>");
}

int html_time(struct html *h, int64_t ms)
{
	return html_time_element(h, ms, NULL);
}

int html_ago(struct html *h, int64_t now_ms, int64_t then_ms)
{
	const int64_t minute = 60 * 1000, hour = 60 * minute, day = 24 * hour;
	char ago[48];
	int64_t d;

	if (then_ms <= 0 || __builtin_sub_overflow(now_ms, then_ms, &d))
		return html_time_element(h, 0, NULL);
	if (d < -minute)
		snprintf(ago, sizeof(ago), "in the future");
	else if (d < minute)
		snprintf(ago, sizeof(ago), "just now");
	else if (d < hour)
		snprintf(ago, sizeof(ago), "%" PRId64 " min ago", d / minute);
	else if (d < day)
		snprintf(ago, sizeof(ago), "%" PRId64 " h ago", d / hour);
	else if (d < 2 * day)
		snprintf(ago, sizeof(ago), "1 day ago");
	else
		snprintf(ago, sizeof(ago), "%" PRId64 " days ago", d / day);
	return html_time_element(h, then_ms, ago);
}

static bool html_url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Writes s[len] percent-encoded to out, which has room for 3 * len + 1; returns the length. */
static size_t html_url_encode_into(const char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (html_url_unreserved(c)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 0xf];
		}
	}
	out[n] = '\0';
	return n;
}

int html_url_encode(const char *s, char **ret)
{
	size_t len = strlen(s);
	char *out;

	if (len > (SIZE_MAX - 1) / 3)
		return -ENOMEM;
	out = malloc(3 * len + 1);
	if (!out)
		return -ENOMEM;
	html_url_encode_into(s, len, out);
	*ret = out;
	return 0;
}

int html_url_value(struct html *h, const char *s)
{
	char chunk[3 * 64 + 1];
	size_t len = strlen(s);

	/* In pieces, so a long value needs no allocation of its own. */
	for (size_t i = 0; i < len; i += 64)
		html_raw_n(h, chunk, html_url_encode_into(s + i, MIN(len - i, (size_t)64), chunk));
	return h->error;
}

static const struct {
	enum html_nav nav;
	const char *href;
	const char *label;
} html_nav_items[] = {
	{ HTML_NAV_OVERVIEW, "/", "Overview" },
	{ HTML_NAV_DEVICES, "/devices", "Devices" },
	{ HTML_NAV_RULES, "/rules", "Rules" },
	{ HTML_NAV_EXEMPTIONS, "/exemptions", "Exemptions" },
	{ HTML_NAV_EXPORT, "/export", "SOC export" },
};

int html_page_begin(struct html *h, const char *title, enum html_nav active, const char *user,
		    const char *role)
{
	html_raw(h, "<!DOCTYPE html>\n"
		    "<html lang=\"en\">\n"
		    "<head>\n"
		    "<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"referrer\" content=\"same-origin\">\n"
		    "<title>");
	if (title) {
		html_text(h, title);
		html_raw(h, " \xc2\xb7 ");
	}
	html_raw(h, "postured fleet</title>\n"
		    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n"
		    /* No favicon request, no 404 for it in the log. */
		    "<link rel=\"icon\" href=\"data:,\">\n"
		    "</head>\n"
		    "<body>\n"
		    "<header class=\"topbar\">\n"
		    "<a class=\"brand\" href=\"/\">postured fleet</a>\n"
		    "<nav class=\"mainnav\" aria-label=\"Main\">");
	for (size_t i = 0; i < ELEMENTSOF(html_nav_items); i++) {
		html_raw(h, "<a href=\"");
		html_raw(h, html_nav_items[i].href);
		if (html_nav_items[i].nav == active)
			html_raw(h, "\" class=\"active\" aria-current=\"page");
		html_raw(h, "\">");
		html_raw(h, html_nav_items[i].label);
		html_raw(h, "</a>");
	}
	html_raw(h, "</nav>\n");
	if (user) {
		html_raw(h, "<div class=\"user\"><span class=\"user-name\">");
		html_text(h, user);
		html_raw(h, "</span>");
		if (role) {
			html_raw(h, " <span class=\"role\">");
			html_text(h, role);
			html_raw(h, "</span>");
		}
		html_raw(h, "</div>\n");
	}
	return html_raw(h, "</header>\n<main>\n");
}

int html_page_end(struct html *h)
{
	return html_raw(h, "</main>\n</body>\n</html>\n");
}

/*
 * The one stylesheet (the palette is in :root).  What it knows of the pages:
 *   frame      topbar (brand, mainnav, user: user-name, role); panel, the white box every
 *              section of a page sits in
 *   overview   dashboard, a grid of: search, headline (h1, big), cards.kpis, trend, watched
 *              (note), status (h2 over cards), rules
 *   cards      card (label, number, note) in a cards grid; its state class (pass fail unknown
 *              exempt online silent stopped asleep missing never all) colours it
 *   tables     table.data (num, time, empty) in a table-wrap, which scrolls a wide table;
 *              device-list (one line a device, its name kept in view); table.checks (a
 *              device's rules: id, note, reason, message, remediation); tr.action (a form
 *              under a row)
 *   badge      with a state class: pass fail unknown exempt online silent missing stopped
 *              asleep never compliant noncompliant, active ended expired, the severities
 *              critical high medium low info, other for anything else
 *   forms      search, filter, exempt; button (secondary, danger); field, hint, toolbar;
 *              notice (ok, error)
 *   pages      pager (csv); dl.facts, term and value; device-layout (device-facts,
 *              device-main); rule-summary; section.error; chart (svg.c); muted, mono
 */
const char html_stylesheet[] =
	"/* postured fleet: served at /static/style.css; no inline style anywhere (CSP). */\n"
	":root {\n"
	"  --bg: #f3f5f8; --surface: #fff; --line: #dde2e8; --line-soft: #ebeef2;\n"
	"  --text: #1b2230; --muted: #5d6878; --faint: #8b95a3;\n"
	"  --accent: #2457d6; --accent-dark: #1c45ad; --accent-soft: #e8eefc;\n"
	"  --green: #13733a; --green-bg: #ddf4e4;\n"
	"  --red: #b42318; --red-bg: #fde4e1;\n"
	"  --amber: #a15c07; --amber-bg: #fdf0d2;\n"
	"  --purple: #6434c9; --purple-bg: #ede7fc;\n"
	"  --grey: #4f5968; --grey-bg: #eceff3;\n"
	"  --darkred: #7a1010;\n"
	"  --radius: 8px;\n"
	"  --shadow: 0 1px 2px rgba(16, 24, 40, .05), 0 1px 3px rgba(16, 24, 40, .06);\n"
	"  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, \"DejaVu Sans Mono\",\n"
	"    monospace;\n"
	"}\n"
	"*, *::before, *::after { box-sizing: border-box; }\n"
	"html { font-size: 14px; }\n"
	"body {\n"
	"  margin: 0; color: var(--text); background: var(--bg); line-height: 1.45;\n"
	"  font-family: system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\",\n"
	"    Arial, sans-serif;\n"
	"}\n"
	"a { color: var(--accent); text-decoration: none; }\n"
	"a:hover { color: var(--accent-dark); text-decoration: underline; }\n"
	":focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }\n"
	"code, .mono { font-family: var(--mono); font-size: .92em; }\n"
	".muted { color: var(--muted); }\n"
	"p { margin: 0 0 12px; }\n"
	"p:last-child { margin-bottom: 0; }\n"
	"\n"
	"/* Top bar: product, navigation, the signed-in user. */\n"
	".topbar {\n"
	"  display: flex; align-items: center; gap: 28px; height: 52px; padding: 0 24px;\n"
	"  background: #111a2e; color: #dbe3ef; box-shadow: 0 1px 3px rgba(0, 0, 0, .25);\n"
	"}\n"
	".topbar .brand {\n"
	"  display: flex; align-items: center; gap: 10px; color: #fff; font-weight: 650;\n"
	"  font-size: 1.07rem; letter-spacing: .01em; white-space: nowrap;\n"
	"}\n"
	".topbar .brand::before {\n"
	"  content: \"\"; width: 20px; height: 20px; border-radius: 6px;\n"
	"  background: linear-gradient(135deg, #4f8cff, #7b5cff);\n"
	"  box-shadow: inset 0 0 0 5px rgba(255, 255, 255, .16);\n"
	"}\n"
	".topbar .brand:hover { color: #fff; text-decoration: none; }\n"
	".mainnav { display: flex; gap: 4px; align-self: stretch; }\n"
	".mainnav a {\n"
	"  display: flex; align-items: center; padding: 0 12px; color: #aab6c8;\n"
	"  border-bottom: 2px solid transparent; border-top: 2px solid transparent;\n"
	"  font-weight: 500;\n"
	"}\n"
	".mainnav a:hover { color: #fff; text-decoration: none; }\n"
	".mainnav a.active { color: #fff; border-bottom-color: #5b8cff; font-weight: 600; }\n"
	".user {\n"
	"  display: flex; align-items: center; gap: 8px; margin-left: auto; white-space: nowrap;\n"
	"  font-size: .93rem;\n"
	"}\n"
	".user .user-name { color: #fff; font-weight: 500; }\n"
	".user .role {\n"
	"  padding: 1px 8px; border: 1px solid #3a4a66; border-radius: 999px; color: #b7c3d6;\n"
	"  font-size: .75rem; text-transform: uppercase; letter-spacing: .05em;\n"
	"}\n"
	"\n"
	"/* The page: a title, then panels. */\n"
	"main { max-width: 1440px; margin: 0 auto; padding: 24px; }\n"
	"h1 {\n"
	"  display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin: 0 0 16px;\n"
	"  font-size: 1.6rem; font-weight: 650; letter-spacing: -.01em; line-height: 1.25;\n"
	"}\n"
	"h2 { margin: 0 0 12px; font-size: 1.05rem; font-weight: 600; }\n"
	"main > p { color: var(--muted); margin-bottom: 16px; }\n"
	".panel {\n"
	"  min-width: 0; margin: 0 0 20px; padding: 18px 20px; background: var(--surface);\n"
	"  border: 1px solid var(--line); border-radius: var(--radius);\n"
	"  box-shadow: var(--shadow);\n"
	"}\n"
	".panel > h2:first-child { margin-top: 0; }\n"
	"\n"
	"/* The overview: a grid of panels. */\n"
	".dashboard {\n"
	"  display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 20px;\n"
	"  grid-template-areas:\n"
	"    \"search search search\"\n"
	"    \"headline kpis kpis\"\n"
	"    \"trend trend watched\"\n"
	"    \"status status status\"\n"
	"    \"rules rules rules\";\n"
	"}\n"
	".dashboard > * { margin: 0; }\n"
	".dashboard > .search { grid-area: search; }\n"
	".dashboard > .headline { grid-area: headline; }\n"
	".dashboard > .kpis { grid-area: kpis; }\n"
	".dashboard > .trend { grid-area: trend; }\n"
	".dashboard > .watched { grid-area: watched; }\n"
	".dashboard > .status { grid-area: status; }\n"
	".dashboard > .rules { grid-area: rules; }\n"
	".dashboard > .status > h2 { margin: 0 0 12px; }\n"
	".headline { display: flex; flex-direction: column; justify-content: center; }\n"
	".headline h1 {\n"
	"  margin: 0 0 4px; color: var(--muted); font-size: .8rem; font-weight: 600;\n"
	"  text-transform: uppercase; letter-spacing: .07em;\n"
	"}\n"
	".headline .big {\n"
	"  margin: 0 0 8px; color: #18347f; font-size: 3.6rem; font-weight: 700;\n"
	"  line-height: 1.05;\n"
	"  letter-spacing: -.02em; font-variant-numeric: tabular-nums; white-space: nowrap;\n"
	"}\n"
	".headline p { color: var(--muted); }\n"
	".watched p { color: #353e4c; }\n"
	".watched p.note { color: var(--muted); font-size: .9rem; }\n"
	".rules > p { margin-top: 12px; font-size: .93rem; }\n"
	"\n"
	"/* Cards: what they count, a big number, a line under it. */\n"
	".cards {\n"
	"  display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 16px;\n"
	"  margin: 0;\n"
	"}\n"
	".card {\n"
	"  --c: var(--grey);\n"
	"  display: flex; flex-direction: column; gap: 2px; min-width: 0; padding: 16px 18px;\n"
	"  background: var(--surface); border: 1px solid var(--line);\n"
	"  border-radius: var(--radius);\n"
	"  box-shadow: inset 0 3px 0 var(--c), var(--shadow); color: var(--text);\n"
	"}\n"
	"a.card:hover {\n"
	"  border-color: #b6c4dc; text-decoration: none; color: var(--text);\n"
	"  box-shadow: inset 0 3px 0 var(--c), 0 4px 10px rgba(16, 24, 40, .08);\n"
	"}\n"
	".card .label {\n"
	"  order: -1; color: var(--muted); font-size: .75rem; font-weight: 600;\n"
	"  text-transform: uppercase; letter-spacing: .06em;\n"
	"}\n"
	".card .number {\n"
	"  color: var(--c); font-size: 2.3rem; font-weight: 700; line-height: 1.15;\n"
	"  font-variant-numeric: tabular-nums;\n"
	"}\n"
	".card .note { color: var(--muted); font-size: .85rem; line-height: 1.35; }\n"
	".card.pass, .card.online { --c: var(--green); }\n"
	".card.fail { --c: var(--red); }\n"
	".card.missing { --c: var(--darkred); }\n"
	".card.silent, .card.stopped, .card.asleep { --c: var(--amber); }\n"
	".card.exempt { --c: var(--purple); }\n"
	".card.all { --c: var(--accent); }\n"
	".card.unknown, .card.never { --c: var(--grey); }\n"
	"\n"
	"/* Tables: dense, zebra rows, numbers right-aligned; wide ones scroll. */\n"
	".table-wrap {\n"
	"  overflow-x: auto; background: var(--surface); border: 1px solid var(--line);\n"
	"  border-radius: var(--radius); box-shadow: var(--shadow);\n"
	"}\n"
	".panel .table-wrap {\n"
	"  border-color: var(--line-soft); border-radius: 6px; box-shadow: none;\n"
	"}\n"
	"table.data { width: 100%; border-collapse: collapse; font-size: .93rem; }\n"
	"table.data th, table.data td {\n"
	"  padding: 8px 12px; text-align: left; vertical-align: top;\n"
	"  border-bottom: 1px solid var(--line-soft);\n"
	"}\n"
	"table.data th {\n"
	"  background: #f7f9fb; color: #4a5465; font-size: .75rem; font-weight: 600;\n"
	"  text-transform: uppercase; letter-spacing: .05em; white-space: nowrap;\n"
	"  border-bottom-color: var(--line);\n"
	"}\n"
	"table.data tbody tr { background: var(--surface); }\n"
	"table.data tbody tr:nth-child(even) { background: #fafbfc; }\n"
	"table.data tbody tr:hover { background: #f0f5ff; }\n"
	"table.data tbody tr:last-child td { border-bottom: 0; }\n"
	"table.data .num {\n"
	"  text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;\n"
	"}\n"
	"table.data .time, table.data time { white-space: nowrap; }\n"
	"table.data td a { white-space: nowrap; }\n"
	"main > .table-wrap { margin: 0 0 20px; }\n"
	"table.data tr.empty td { padding: 22px; text-align: center; color: var(--muted); }\n"
	"table.data .badge { vertical-align: 1px; }\n"
	"/* The device list: one line a device, the name kept in view while the rest scrolls. */\n"
	".device-list table.data td { white-space: nowrap; }\n"
	".device-list table.data tr > :first-child {\n"
	"  position: sticky; left: 0; z-index: 1; background: inherit;\n"
	"  box-shadow: inset -1px 0 0 var(--line-soft);\n"
	"}\n"
	".device-list table.data thead tr { background: #f7f9fb; }\n"
	".device-list table.data tbody td:first-child { font-weight: 600; }\n"
	"/* Its second column is the device id: 32 hex digits, easier to read monospaced. */\n"
	".device-list table.data tbody td:nth-child(2) {\n"
	"  color: var(--muted); font-family: var(--mono); font-size: .85rem;\n"
	"}\n"
	"/* A device's rules: state, rule (and its id), what the employee is told. */\n"
	"table.checks tbody td:first-child { width: 1%; white-space: nowrap; }\n"
	"table.checks tr.fail td:first-child { box-shadow: inset 3px 0 0 var(--red); }\n"
	"table.checks tr.unknown td:first-child { box-shadow: inset 3px 0 0 #9aa3ae; }\n"
	"table.checks tr.exempt td:first-child { box-shadow: inset 3px 0 0 var(--purple); }\n"
	"table.checks a { font-weight: 600; white-space: normal; }\n"
	"table.checks th:last-child { white-space: normal; }\n"
	"table.checks td:last-child { min-width: 16em; }\n"
	"table.checks .id {\n"
	"  color: var(--faint); font-family: var(--mono); font-size: .8rem; white-space: nowrap;\n"
	"}\n"
	"table.checks .note { color: var(--muted); font-size: .85rem; }\n"
	"table.checks .reason { color: var(--red); font-weight: 500; }\n"
	"table.checks tr:not(.fail) .reason { color: #353e4c; }\n"
	"table.checks .message { color: #353e4c; }\n"
	"table.checks .remediation {\n"
	"  margin-top: 4px; padding-left: 8px; border-left: 2px solid #c9d6f5;\n"
	"  color: var(--muted);\n"
	"  font-size: .9rem;\n"
	"}\n"
	"/* An exemption's end, in a row of its own under it. */\n"
	"table.data:has(tr.action) tbody tr { background: var(--surface); }\n"
	"table.data tr:has(+ tr.action) td { border-bottom: 0; }\n"
	"table.data tr.action td { padding: 0 12px 10px; text-align: right; }\n"
	"tr.action button {\n"
	"  padding: 3px 10px; background: var(--surface); border-color: #f1b5ae;\n"
	"  color: var(--red);\n"
	"  font-size: .85rem; font-weight: 500;\n"
	"}\n"
	"tr.action button:hover { background: var(--red-bg); border-color: var(--red); }\n"
	"\n"
	"/* Badges: compliance, a rule's state, a device's presence, severity, an exemption's. */\n"
	".badge {\n"
	"  display: inline-flex; align-items: center; gap: 5px; padding: 1px 9px;\n"
	"  border: 1px solid transparent; border-radius: 999px; background: var(--grey-bg);\n"
	"  color: var(--grey); font-size: .78rem; font-weight: 600; line-height: 1.55;\n"
	"  letter-spacing: .01em; white-space: nowrap;\n"
	"}\n"
	".badge::before {\n"
	"  content: \"\"; width: 6px; height: 6px; border-radius: 50%; background: currentColor;\n"
	"}\n"
	"h1 .badge { font-size: .8rem; }\n"
	".badge.pass, .badge.compliant, .badge.online {\n"
	"  background: var(--green-bg); color: var(--green);\n"
	"}\n"
	".badge.fail, .badge.noncompliant { background: var(--red-bg); color: var(--red); }\n"
	".badge.unknown, .badge.other, .badge.ended, .badge.expired {\n"
	"  background: var(--grey-bg); color: var(--grey);\n"
	"}\n"
	".badge.never {\n"
	"  background: var(--surface); color: var(--grey); border: 1px dashed #a3acb8;\n"
	"}\n"
	".badge.exempt, .badge.active { background: var(--purple-bg); color: var(--purple); }\n"
	".badge.silent, .badge.stopped, .badge.asleep {\n"
	"  background: var(--amber-bg); color: var(--amber);\n"
	"}\n"
	".badge.stopped { border-color: #ecc77a; }\n"
	".badge.missing { background: var(--darkred); color: #fff; }\n"
	".badge.critical { background: var(--darkred); color: #fff; }\n"
	".badge.high { background: #fde8dc; color: #b0400b; }\n"
	".badge.medium { background: var(--amber-bg); color: var(--amber); }\n"
	".badge.low, .badge.info { background: #e3edfb; color: #2d5592; }\n"
	"\n"
	"/* Forms: the searches, the filter above the device list, the exemption forms. */\n"
	"input[type=text], input[type=search], input[type=number], input[type=date],\n"
	"input[type=datetime-local], input:not([type]), select, textarea {\n"
	"  height: 34px; padding: 5px 10px; border: 1px solid #c6cdd7; border-radius: 6px;\n"
	"  background: var(--surface); color: inherit; font: inherit;\n"
	"}\n"
	"input:focus, select:focus, textarea:focus {\n"
	"  border-color: var(--accent); outline: none;\n"
	"  box-shadow: 0 0 0 3px rgba(36, 87, 214, .18);\n"
	"}\n"
	"select { padding-right: 6px; }\n"
	"textarea { width: 100%; height: auto; min-height: 6em; }\n"
	"button, .button {\n"
	"  display: inline-flex; align-items: center; justify-content: center; height: 34px;\n"
	"  padding: 0 16px; border: 1px solid var(--accent); border-radius: 6px;\n"
	"  background: var(--accent); color: #fff; font: inherit; font-weight: 600;\n"
	"  cursor: pointer;\n"
	"}\n"
	"button:hover, .button:hover {\n"
	"  background: var(--accent-dark); border-color: var(--accent-dark);\n"
	"  text-decoration: none;\n"
	"}\n"
	"button.secondary, .button.secondary {\n"
	"  background: var(--surface); color: var(--accent);\n"
	"}\n"
	"button.danger, .button.danger { background: var(--red); border-color: var(--red); }\n"
	"form.search { display: flex; align-items: center; gap: 10px; }\n"
	"form.search label { color: var(--muted); font-weight: 600; }\n"
	"form.search input { width: 380px; max-width: 100%; }\n"
	"form.filter {\n"
	"  display: grid; grid-auto-flow: column; grid-template-rows: auto auto;\n"
	"  justify-content: start; align-items: end; gap: 4px 12px; margin: 0 0 16px;\n"
	"  padding: 0 0 16px; border-bottom: 1px solid var(--line-soft);\n"
	"}\n"
	"form.filter label, form.exempt label {\n"
	"  color: var(--muted); font-size: .85rem; font-weight: 600;\n"
	"}\n"
	"form.filter input[type=search] { width: 320px; }\n"
	"form.filter select { min-width: 150px; }\n"
	"form.filter button { grid-row: 2; }\n"
	"form.exempt {\n"
	"  display: grid; grid-template-columns: max-content minmax(0, 440px);\n"
	"  align-items: center;\n"
	"  gap: 10px 16px;\n"
	"}\n"
	"form.exempt input { width: 100%; }\n"
	"form.exempt button { grid-column: 2; justify-self: start; }\n"
	".panel .table-wrap + form.exempt {\n"
	"  margin-top: 18px; padding-top: 18px; border-top: 1px dashed var(--line);\n"
	"}\n"
	".field { display: flex; flex-direction: column; gap: 4px; margin: 0 0 12px; }\n"
	".field label { font-weight: 600; font-size: .9rem; }\n"
	".field .hint { color: var(--muted); font-size: .85rem; }\n"
	".toolbar {\n"
	"  display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0 0 12px;\n"
	"}\n"
	".notice {\n"
	"  margin: 0 0 16px; padding: 10px 14px; border: 1px solid #c6cdd7; border-radius: 6px;\n"
	"  background: var(--surface);\n"
	"}\n"
	".notice.ok { background: var(--green-bg); border-color: #a6dcb5; color: var(--green); }\n"
	".notice.error { background: var(--red-bg); border-color: #f2b3b0; color: var(--red); }\n"
	"\n"
	"/* Pager under a table: where we are, the pages around, the whole as CSV. */\n"
	".pager {\n"
	"  display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 14px 0 0;\n"
	"  color: var(--muted); font-size: .9rem;\n"
	"}\n"
	".pager > span:first-child { margin-right: 8px; }\n"
	".pager a {\n"
	"  padding: 4px 12px; border: 1px solid var(--line); border-radius: 6px;\n"
	"  background: var(--surface); color: var(--text); font-weight: 500;\n"
	"}\n"
	".pager a:hover {\n"
	"  border-color: var(--accent); color: var(--accent); text-decoration: none;\n"
	"}\n"
	".pager a.csv { margin-left: auto; }\n"
	"\n"
	"/* Term and value, in two columns. */\n"
	"dl.facts {\n"
	"  display: grid; grid-template-columns: max-content minmax(0, 1fr); margin: 0;\n"
	"  align-content: start;\n"
	"}\n"
	"dl.facts dt, dl.facts dd {\n"
	"  margin: 0; padding: 7px 0; border-bottom: 1px solid var(--line-soft);\n"
	"}\n"
	"dl.facts dt { padding-right: 20px; color: var(--muted); }\n"
	"dl.facts dd { overflow-wrap: anywhere; }\n"
	"dl.facts > :nth-last-child(-n+2) { border-bottom: 0; }\n"
	"dl.facts.panel { padding-top: 8px; padding-bottom: 8px; }\n"
	"\n"
	"/* A device: its facts on the left, its rules and records on the right. */\n"
	".device-layout {\n"
	"  display: grid; grid-template-columns: minmax(0, 440px) minmax(0, 1fr); gap: 20px;\n"
	"  align-items: start;\n"
	"}\n"
	".device-layout > .panel, .device-main > .panel:last-child { margin-bottom: 0; }\n"
	".device-facts { padding: 8px 16px; font-size: .93rem; }\n"
	".device-facts dl.facts dt { padding-right: 14px; }\n"
	"\n"
	"/* A rule: its texts beside its counts and trend, the devices under them. */\n"
	".rule-summary {\n"
	"  display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px;\n"
	"  grid-template-areas: \"facts cards\" \"facts trend\"; align-items: start;\n"
	"  margin: 0 0 20px;\n"
	"}\n"
	".rule-summary > * { margin: 0; }\n"
	".rule-summary > .facts { grid-area: facts; align-self: stretch; }\n"
	".rule-summary > .cards {\n"
	"  grid-area: cards; grid-template-columns: repeat(4, minmax(0, 1fr));\n"
	"}\n"
	".rule-summary > .trend { grid-area: trend; }\n"
	"\n"
	"/* An error page. */\n"
	"section.error {\n"
	"  max-width: 640px; margin: 40px auto; padding: 28px 32px; background: var(--surface);\n"
	"  border: 1px solid var(--line); border-top: 4px solid var(--red);\n"
	"  border-radius: var(--radius); box-shadow: var(--shadow);\n"
	"}\n"
	"section.error h1 { color: var(--red); font-size: 2.4rem; }\n"
	"\n"
	"/* The trend chart (svg.c). */\n"
	".chart { display: block; width: 100%; max-width: 1000px; height: auto; }\n"
	".chart .grid { stroke: #e5e9ee; stroke-width: 1; }\n"
	".chart .axis { stroke: #a3acb8; stroke-width: 1; }\n"
	".chart .ylabel, .chart .xlabel, .chart .nodata { fill: var(--muted); font-size: 9px; }\n"
	".chart .ylabel { text-anchor: end; }\n"
	".chart .xlabel.last { text-anchor: end; }\n"
	".chart .nodata { text-anchor: middle; font-size: 11px; }\n"
	".chart .line {\n"
	"  fill: none; stroke: var(--accent); stroke-width: 2; stroke-linejoin: round;\n"
	"  stroke-linecap: round;\n"
	"}\n"
	".chart .pt { fill: #fff; stroke: var(--accent); stroke-width: 1.5; }\n"
	"\n"
	"@media (max-width: 1100px) {\n"
	"  .dashboard {\n"
	"    grid-template-columns: minmax(0, 1fr);\n"
	"    grid-template-areas:\n"
	"      \"search\" \"headline\" \"kpis\" \"trend\" \"watched\" \"status\" \"rules\";\n"
	"  }\n"
	"  .device-layout, .rule-summary { grid-template-columns: minmax(0, 1fr); }\n"
	"  .rule-summary { grid-template-areas: \"facts\" \"cards\" \"trend\"; }\n"
	"}\n"
	"@media (max-width: 700px) {\n"
	"  .topbar { flex-wrap: wrap; height: auto; gap: 8px; padding: 8px 12px; }\n"
	"  .mainnav a { padding: 6px 8px; }\n"
	"  .user { margin-left: 0; }\n"
	"  main { padding: 12px; }\n"
	"  form.search, form.filter { display: flex; flex-wrap: wrap; }\n"
	"  form.exempt { grid-template-columns: minmax(0, 1fr); }\n"
	"  form.exempt button { grid-column: 1; }\n"
	"  .rule-summary > .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }\n"
	"}\n"
	"\n"
	"@media print {\n"
	"  .topbar, .pager, form.search, form.filter, form.exempt, tr.action { display: none; }\n"
	"  body { background: #fff; }\n"
	"  .panel, .card, .table-wrap { box-shadow: none; }\n"
	"}\n";
