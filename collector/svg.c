// SPDX-License-Identifier: LGPL-2.1-or-later
/* The trend chart, an inline SVG (svg.h). */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "svg.h"

/* The plot area inside the viewBox; the rest is room for the labels. */
#define PLOT_LEFT   44
#define PLOT_RIGHT  588
#define PLOT_TOP    12
#define PLOT_BOTTOM 132
#define LABEL_Y	    150

/* 9999-12-31, the last day a date of four digits names. */
#define DAY_MAX 2932896

/*
 * Coordinates are integers in tenths of a unit, printed "12.3": no floating point, so no
 * locale can turn the decimal point into a comma.
 */
static int svg_coord(struct html *h, int tenths)
{
	return html_rawf(h, "%d.%d", tenths / 10, tenths % 10);
}

static int svg_x(const struct svg_point *first, int64_t span, int64_t day)
{
	const int64_t w = (PLOT_RIGHT - PLOT_LEFT) * 10;

	if (span == 0)
		return (PLOT_LEFT * 10) + (int)(w / 2);
	return PLOT_LEFT * 10 + (int)(((day - first->day) * w + span / 2) / span);
}

static int32_t svg_clamp(int32_t per_mille)
{
	return per_mille < 0 ? 0 : per_mille > 1000 ? 1000 : per_mille;
}

static int svg_y(int32_t per_mille)
{
	return PLOT_BOTTOM * 10 - svg_clamp(per_mille) * (PLOT_BOTTOM - PLOT_TOP) / 100;
}

/* Whole percent, rounded down: 100% only when it is all. */
static int svg_percent(int32_t per_mille)
{
	return svg_clamp(per_mille) / 10;
}

static void svg_date(int64_t day, char buf[static 11])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, 11, "%Y-%m-%d", &tm) == 0)
		buf[0] = '\0';
}

static void svg_put_point(struct html *h, const struct svg_point *first, int64_t span,
			  const struct svg_point *p)
{
	svg_coord(h, svg_x(first, span, p->day));
	html_raw(h, ",");
	svg_coord(h, svg_y(p->per_mille));
}

int svg_trend(struct html *h, const char *title, const struct svg_point *points, size_t n)
{
	const struct svg_point *latest = NULL;
	char date[11];
	int64_t span = 0;
	bool open = false;

	if (n > SVG_POINTS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (points[i].day < 0 || points[i].day > DAY_MAX ||
		    (i > 0 && points[i].day <= points[i - 1].day))
			return -EINVAL;
		if (!points[i].no_data)
			latest = &points[i];
	}
	if (n > 0)
		span = points[n - 1].day - points[0].day;

	html_rawf(h,
		  "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		  "role=\"img\">\n",
		  SVG_WIDTH, SVG_HEIGHT);
	html_raw(h, "<title>");
	html_text(h, title);
	html_raw(h, "</title>\n<desc>");
	html_text(h, title);
	if (n > 0) {
		if (span == 0)
			html_raw(h, " over the last day");
		else
			html_rawf(h, " over the last %d days", (int)span + 1);
	}
	if (latest) {
		svg_date(latest->day, date);
		html_rawf(h, ": %d%% on %s.", svg_percent(latest->per_mille), date);
	} else {
		html_raw(h, ": no data.");
	}
	html_raw(h, "</desc>\n");

	/* The y axis: gridlines and labels every 25 %, the 0 % line as the axis. */
	for (int pct = 100; pct >= 0; pct -= 25) {
		int y = PLOT_BOTTOM - pct * (PLOT_BOTTOM - PLOT_TOP) / 100;

		html_rawf(h, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
			  pct == 0 ? "axis" : "grid", PLOT_LEFT, y, PLOT_RIGHT, y);
		html_rawf(h, "<text class=\"ylabel\" x=\"%d\" y=\"%d\">%d%%</text>\n",
			  PLOT_LEFT - 6, y + 4, pct);
	}

	/* The x axis: the first and the last day. */
	if (n > 0) {
		svg_date(points[0].day, date);
		html_rawf(h, "<text class=\"xlabel\" x=\"%d\" y=\"%d\">%s</text>\n", PLOT_LEFT,
			  LABEL_Y, date);
	}
	if (n > 1) {
		svg_date(points[n - 1].day, date);
		html_rawf(h, "<text class=\"xlabel last\" x=\"%d\" y=\"%d\">%s</text>\n",
			  PLOT_RIGHT, LABEL_Y, date);
	}

	if (!latest)
		html_rawf(h, "<text class=\"nodata\" x=\"%d\" y=\"%d\">No data</text>\n",
			  (PLOT_LEFT + PLOT_RIGHT) / 2, (PLOT_TOP + PLOT_BOTTOM) / 2);

	/* The line: one polyline for each run of consecutive days with data. */
	for (size_t i = 0; i < n; i++) {
		const struct svg_point *p = &points[i];
		bool joins_next;

		if (p->no_data)
			continue;
		joins_next = i + 1 < n && !points[i + 1].no_data && points[i + 1].day == p->day + 1;
		if (!open && joins_next) {
			html_raw(h, "<polyline class=\"line\" points=\"");
			open = true;
		} else if (open) {
			html_raw(h, " ");
		}
		if (open)
			svg_put_point(h, &points[0], span, p);
		if (open && !joins_next) {
			html_raw(h, "\"/>\n");
			open = false;
		}
	}

	/* A circle a day with data, over the line, with its value as a tooltip. */
	for (size_t i = 0; i < n; i++) {
		const struct svg_point *p = &points[i];

		if (p->no_data)
			continue;
		html_raw(h, "<circle class=\"pt\" cx=\"");
		svg_coord(h, svg_x(&points[0], span, p->day));
		html_raw(h, "\" cy=\"");
		svg_coord(h, svg_y(p->per_mille));
		svg_date(p->day, date);
		html_rawf(h, "\" r=\"2.5\"><title>%s: %d%%</title></circle>\n", date,
			  svg_percent(p->per_mille));
	}
	return html_raw(h, "</svg>\n");
}
