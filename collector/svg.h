/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet UI's trend chart: an inline SVG line chart of a per-day share
 * (compliance over the last 30 days), written into a struct html.  Pure
 * library code: no I/O, no logging.
 *
 * The chart has a fixed viewBox (SVG_WIDTH x SVG_HEIGHT) and scales to its
 * container; the y axis is 0-100 % with gridlines every 25 %, the x axis
 * shows the first and the last day (YYYY-MM-DD).  The line breaks where a day
 * has no data or is missing from the points, each day with data has a small
 * circle whose <title> gives its date and value (a tooltip, without script),
 * and the chart's <title> and <desc> say what it shows for screen readers.
 * Nothing is styled inline: the elements carry classes (chart, grid, axis,
 * ylabel, xlabel, line, pt, nodata), which html_stylesheet styles.
 */
#ifndef POSTURED_COLLECTOR_SVG_H
#define POSTURED_COLLECTOR_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "html.h"

#define SVG_WIDTH  600
#define SVG_HEIGHT 160
/* The most points a chart takes: a year and a bit. */
#define SVG_POINTS_MAX 400

struct svg_point {
	int64_t day; /* days since 1970-01-01 (UTC); ascending, one point a day at most */
	int32_t per_mille; /* 0..1000, clamped when outside */
	bool no_data; /* nothing was measured that day: a gap */
};

/*
 * Appends <svg class="chart" role="img" ...> for points[n] to h.  title
 * names the series ("Fleet compliance"); the <title> is it, the <desc> adds
 * the span and the latest value: "Fleet compliance over the last 30 days:
 * 87% on 2026-12-07.", or "...: no data." when no point has any.  n may be
 * 0 (an empty chart saying "No data").  Returns 0 or a negative errno:
 * -EINVAL for days not ascending or more than SVG_POINTS_MAX points (nothing
 * is written then), or h's sticky error.
 */
int svg_trend(struct html *h, const char *title, const struct svg_point *points, size_t n);

#endif
