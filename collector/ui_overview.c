// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The first screen: the fleet's compliance now and over 30 days, where the
 * devices are (online, silent, missing, ...), how much of the fleet's time
 * was watched, the rules least met first, and the search.  Every number
 * links to the list it counts, and that list's total is the same number.
 */
#include <errno.h>
#include <string.h>

#include "basic/json-util.h"
#include "svg.h"
#include "ui-internal.h"

#define DAY_MS (86400LL * 1000)

static int64_t per_mille(int64_t part, int64_t whole)
{
	return whole > 0 ? part * 1000 / whole : -1;
}

static void write_per_mille_text(struct html *h, int64_t pm)
{
	if (pm < 0)
		html_raw(h, "—");
	else
		html_rawf(h, "%lld.%lld %%", (long long)(pm / 10), (long long)(pm % 10));
}

/* One card: a number, what it is, the list it counts. */
static void card(struct html *h, const char *cls, const char *href, int64_t n, const char *label,
		 const char *note)
{
	html_rawf(h, "<a class=\"card %s\" href=\"", cls);
	html_text(h, href);
	html_raw(h, "\"><span class=\"number\">");
	html_int(h, n);
	html_raw(h, "</span><span class=\"label\">");
	html_text(h, label);
	html_raw(h, "</span>");
	if (note) {
		html_raw(h, "<span class=\"note\">");
		html_text(h, note);
		html_raw(h, "</span>");
	}
	html_raw(h, "</a>");
}

static const struct {
	enum fleet_status status;
	const char *label, *note;
} status_cards[] = {
	{ FLEET_ONLINE, "online", "a snapshot within two of its intervals" },
	{ FLEET_SILENT, "silent", "no snapshot for two intervals, no stop or sleep said" },
	{ FLEET_STOPPED, "agent stopped", "its agent said it stopped" },
	{ FLEET_ASLEEP, "asleep", "it said it went to sleep" },
	{ FLEET_MISSING, "missing", "nothing for 30 days" },
	{ FLEET_NEVER, "never reported", "enrolled, no snapshot yet" },
};

static void write_trend(struct html *h, const struct fleet_summary *sum, int64_t now)
{
	struct svg_point points[FLEET_TREND_DAYS];
	int64_t first = now / DAY_MS - (FLEET_TREND_DAYS - 1);
	size_t j = 0;

	/* One point a day, days without a roll-up left as gaps. */
	for (size_t i = 0; i < FLEET_TREND_DAYS; i++) {
		int64_t day = first + (int64_t)i;

		points[i] = (struct svg_point){ .day = day, .no_data = true };
		while (j < sum->n_trend && sum->trend[j].day < day)
			j++;
		if (j < sum->n_trend && sum->trend[j].day == day) {
			int64_t pm =
				per_mille(sum->trend[j].compliant,
					  sum->trend[j].compliant + sum->trend[j].noncompliant);

			if (pm >= 0)
				points[i] = (struct svg_point){ .day = day, .per_mille = (int)pm };
		}
	}
	svg_trend(h, "Fleet compliance", points, FLEET_TREND_DAYS);
}

static int overview_html(struct ui_request *req, const struct fleet_summary *sum)
{
	struct html h = {};
	int64_t counted = sum->compliant + sum->noncompliant;
	int64_t awake = sum->watched_seconds + sum->stopped_seconds;
	int r;

	ui_page_begin(req, &h, "Overview", HTML_NAV_OVERVIEW);
	html_raw(&h, "<div class=\"dashboard\"><form class=\"search\" method=\"get\""
		     " action=\"/devices\">"
		     "<label for=\"q\">Find a device</label>"
		     "<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"256\""
		     " placeholder=\"host name, device id, owner or serial\">"
		     "<button type=\"submit\">Search</button></form>");

	html_raw(&h,
		 "<section class=\"headline panel\"><h1>Fleet compliance</h1><p class=\"big\">");
	write_per_mille_text(&h, per_mille(sum->compliant, counted));
	html_raw(&h, "</p><p>of the ");
	html_int(&h, counted);
	html_raw(&h, " devices that reported in the last 30 days meet the policy.</p></section>");

	html_raw(&h, "<section class=\"cards kpis\">");
	card(&h, "pass", "/devices?compliance=compliant", sum->compliant, "compliant", NULL);
	card(&h, "fail", "/devices?compliance=noncompliant", sum->noncompliant, "not compliant",
	     "a rule fails that is not exempt");
	card(&h, "all", "/devices", sum->devices, "devices", "enrolled or reporting");
	html_raw(&h, "</section>");

	html_raw(&h, "<section class=\"trend panel\"><h2>30 days</h2>");
	write_trend(&h, sum, req->now);
	html_raw(&h, "</section>");

	html_raw(&h,
		 "<section class=\"status\"><h2>Where the devices are</h2><div class=\"cards\">");
	for (size_t i = 0; i < ELEMENTSOF(status_cards); i++) {
		char href[64];

		snprintf(href, sizeof(href), "/devices?status=%s",
			 fleet_status_name(status_cards[i].status));
		card(&h, fleet_status_name(status_cards[i].status), href,
		     sum->status[status_cards[i].status], status_cards[i].label,
		     status_cards[i].note);
	}
	html_raw(&h, "</div></section>");

	html_raw(&h, "<section class=\"watched panel\"><h2>Watched time, last 30 days</h2><p>");
	write_per_mille_text(&h, per_mille(sum->watched_seconds, awake));
	html_raw(&h, " of the time the devices were awake, their agent was watching (");
	html_int(&h, sum->watched_seconds / 3600);
	html_raw(&h, " h watched, ");
	html_int(&h, sum->stopped_seconds / 3600);
	html_raw(&h, " h with the agent stopped; ");
	html_int(&h, sum->asleep_seconds / 3600);
	html_raw(&h, " h asleep). Records lost on devices before they could be sent: ");
	html_int(&h, sum->lost_records);
	html_raw(&h, ".</p>");
	if (sum->retired || sum->revoked) {
		html_raw(&h, "<p class=\"note\">Not counted: ");
		html_int(&h, sum->retired);
		html_raw(&h, " retired and ");
		html_int(&h, sum->revoked);
		html_raw(&h, " revoked devices.</p>");
	}
	html_raw(&h, "</section>");

	html_raw(&h, "<section class=\"rules panel\"><h2>Rules, least met first</h2>");
	r = ui_rules_table(req, &h, 10);
	if (r < 0) {
		html_done(&h);
		return r;
	}
	html_raw(&h, "<p><a href=\"/rules\">All rules</a> · <a href=\"/rules?format=csv\">CSV</a>"
		     "</p></section></div>");
	return ui_answer_html(req, 200, &h);
}

static int overview_json(struct ui_request *req, const struct fleet_summary *sum)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	int64_t counted = sum->compliant + sum->noncompliant;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	json_int(g, "time", req->now);
	json_int(g, "devices", sum->devices);
	json_int(g, "compliant", sum->compliant);
	json_int(g, "noncompliant", sum->noncompliant);
	json_int(g, "compliance_per_mille", per_mille(sum->compliant, counted));
	json_key(g, "status");
	yajl_gen_map_open(g);
	for (int i = 0; i < _FLEET_STATUS_MAX; i++)
		json_int(g, fleet_status_name((enum fleet_status)i), sum->status[i]);
	yajl_gen_map_close(g);
	json_int(g, "retired", sum->retired);
	json_int(g, "revoked", sum->revoked);
	json_key(g, "last_30_days");
	yajl_gen_map_open(g);
	json_int(g, "watched_seconds", sum->watched_seconds);
	json_int(g, "asleep_seconds", sum->asleep_seconds);
	json_int(g, "stopped_seconds", sum->stopped_seconds);
	json_int(g, "watched_per_mille",
		 per_mille(sum->watched_seconds, sum->watched_seconds + sum->stopped_seconds));
	json_int(g, "records_lost", sum->lost_records);
	yajl_gen_map_close(g);
	json_key(g, "trend");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < sum->n_trend; i++) {
		char day[HTML_TIME_ISO_SIZE];

		yajl_gen_map_open(g);
		if (html_time_iso(sum->trend[i].day * DAY_MS, day, sizeof(day)) >= 0) {
			json_key(g, "day");
			yajl_gen_string(g, (const unsigned char *)day, 10);
		}
		json_int(g, "compliant", sum->trend[i].compliant);
		json_int(g, "noncompliant", sum->trend[i].noncompliant);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return ui_answer_json(req, g);
}

int ui_overview(struct ui_request *req)
{
	struct fleet_summary sum;
	int r;

	r = store_fleet_summary(req->store, req->now, &sum);
	if (r < 0)
		return r;
	if (req->format == UI_JSON)
		return overview_json(req, &sum);
	return overview_html(req, &sum);
}
