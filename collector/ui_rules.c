// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules: every rule the fleet's devices have, least met first, with
 * how many devices pass, fail, cannot tell or are exempt (each number a
 * link to those devices), and one rule's page: its texts, its trend, and
 * the devices that fail it, longest failing first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"
#include "ui-internal.h"

#define DAY_MS	   (86400LL * 1000)
#define TREND_DAYS FLEET_TREND_DAYS

static const struct table_column rule_columns[] = {
	{ "rule_id", "Rule", TABLE_TEXT },
	{ "title", "Title", TABLE_TEXT },
	{ "severity", "Severity", TABLE_STATE },
	{ "type", "Type", TABLE_TEXT },
	{ "fail", "Failing", TABLE_INTEGER },
	{ "unknown", "Unknown", TABLE_INTEGER },
	{ "exempt", "Exempt", TABLE_INTEGER },
	{ "pass", "Passing", TABLE_INTEGER },
	{ "pass_per_mille", "Passing ‰", TABLE_INTEGER },
};

struct rules_out {
	struct table *table;
	bool html;
	size_t limit, n;
};

static int64_t rule_total(const struct fleet_rule *r)
{
	int64_t n = 0;

	for (int i = 0; i < _FLEET_STATE_MAX; i++)
		n += r->count[i];
	return n;
}

/* A count that links, on a page, to the devices it counts. */
static void count_cell(struct rules_out *o, const struct fleet_rule *r, enum fleet_state state)
{
	_cleanup_free_ char *id = NULL;
	char href[FACTS_ID_MAX * 3 + 64];

	if (!o->html || r->count[state] == 0 || html_url_encode(r->id, &id) < 0) {
		table_cell_int(o->table, r->count[state]);
		return;
	}
	snprintf(href, sizeof(href), "/devices?rule=%s&state=%s", id, fleet_state_name(state));
	table_cell_int_link(o->table, r->count[state], href);
}

static int rule_row(const struct fleet_rule *r, void *userdata)
{
	struct rules_out *o = userdata;
	struct table *t = o->table;
	_cleanup_free_ char *id = NULL;
	char href[FACTS_ID_MAX * 3 + 16];
	int64_t total = rule_total(r);

	if (o->limit && o->n >= o->limit)
		return 0;
	o->n++;
	if (html_url_encode(r->id, &id) < 0)
		return -ENOMEM;
	snprintf(href, sizeof(href), "/rules/%s", id);
	table_cell_text(t, r->id, href);
	table_cell_text(t, r->title[0] ? r->title : NULL, NULL);
	table_cell_state(t, r->severity[0] ? r->severity : NULL);
	table_cell_text(t, r->type[0] ? r->type : NULL, NULL);
	count_cell(o, r, FLEET_FAIL);
	count_cell(o, r, FLEET_UNKNOWN);
	count_cell(o, r, FLEET_EXEMPT);
	count_cell(o, r, FLEET_PASS);
	if (total > 0)
		table_cell_int(t, r->count[FLEET_PASS] * 1000 / total);
	else
		table_cell_null(t);
	return t->error < 0 ? t->error : 0;
}

int ui_rules_table(struct ui_request *req, struct html *h, size_t limit)
{
	struct table t;
	struct rules_out o = { .table = &t, .html = true, .limit = limit };
	int r;

	r = table_begin(&t, TABLE_HTML, rule_columns, ELEMENTSOF(rule_columns), h, NULL);
	if (r >= 0)
		r = store_fleet_rules(req->store, req->now, rule_row, &o);
	if (r >= 0)
		r = table_end(&t);
	return r;
}

int ui_rules(struct ui_request *req)
{
	_cleanup_(html_done) struct html out = {};
	struct html h = {};
	yajl_gen gen = NULL;
	struct table t;
	struct rules_out o = { .table = &t };
	int r;

	if (req->format == UI_HTML) {
		ui_page_begin(req, &h, "Rules", HTML_NAV_RULES);
		html_raw(&h, "<h1>Rules, least met first</h1><p>Counted over the devices that "
			     "reported in the last 30 days. <a href=\"/rules?format=csv\">"
			     "Download as CSV</a></p>");
		r = ui_rules_table(req, &h, 0);
		if (r < 0) {
			html_done(&h);
			return r;
		}
		return ui_answer_html(req, 200, &h);
	}
	if (req->format == UI_JSON) {
		r = table_json_gen_new(&out, &gen);
		if (r < 0)
			return r;
		yajl_gen_map_open(gen);
		json_key(gen, "rules");
	}
	r = ui_table_begin(req, &t, rule_columns, ELEMENTSOF(rule_columns), NULL, &out, gen);
	if (r >= 0)
		r = store_fleet_rules(req->store, req->now, rule_row, &o);
	if (r >= 0)
		r = table_end(&t);
	if (gen) {
		yajl_gen_map_close(gen);
		yajl_gen_free(gen);
	}
	if (r < 0)
		return r;
	return ui_answer_data(req, &out, "rules.csv");
}

/* --- one rule --------------------------------------------------------------------------------- */

static void write_rule_trend(struct html *h, const struct fleet_day *days, size_t n, int64_t now)
{
	struct svg_point points[TREND_DAYS];
	int64_t first = now / DAY_MS - (TREND_DAYS - 1);
	size_t j = 0;

	for (size_t i = 0; i < TREND_DAYS; i++) {
		int64_t day = first + (int64_t)i, total;

		points[i] = (struct svg_point){ .day = day, .no_data = true };
		while (j < n && days[j].day < day)
			j++;
		if (j >= n || days[j].day != day)
			continue;
		total = days[j].pass + days[j].fail + days[j].unknown + days[j].exempt;
		if (total > 0)
			points[i] = (struct svg_point){
				.day = day,
				.per_mille = (int32_t)(days[j].pass * 1000 / total),
			};
	}
	svg_trend(h, "Devices passing this rule", points, TREND_DAYS);
}

static void rule_count_link(struct html *h, const struct fleet_rule *rule, enum fleet_state s,
			    const char *label)
{
	html_rawf(h, "<a class=\"card %s\" href=\"/devices?rule=", fleet_state_name(s));
	html_url_value(h, rule->id);
	html_rawf(h, "&amp;state=%s\"><span class=\"number\">", fleet_state_name(s));
	html_int(h, rule->count[s]);
	html_raw(h, "</span><span class=\"label\">");
	html_text(h, label);
	html_raw(h, "</span></a>");
}

static int rule_html(struct ui_request *req, const struct fleet_rule *rule,
		     const struct fleet_day *days, size_t n_days)
{
	struct html h = {};
	struct ui_devices_query q;
	char error[256];
	int r;

	r = ui_devices_query_parse(req, rule->id, &q, error, sizeof(error));
	if (r < 0)
		return ui_answer_error(req, 400, error);
	if (q.filter.rule_state < 0) {
		q.filter.rule_state = FLEET_FAIL;
		q.state = "fail";
	}

	ui_page_begin(req, &h, rule->title[0] ? rule->title : rule->id, HTML_NAV_RULES);
	html_raw(&h, "<h1>");
	html_text(&h, rule->title[0] ? rule->title : rule->id);
	html_raw(&h,
		 "</h1><div class=\"rule-summary\"><dl class=\"facts panel\"><dt>Rule id</dt><dd>");
	html_text(&h, rule->id);
	html_raw(&h, "</dd><dt>Severity</dt><dd>");
	html_text(&h, rule->severity[0] ? rule->severity : NULL);
	html_raw(&h, "</dd><dt>Type</dt><dd>");
	html_text(&h, rule->type[0] ? rule->type : NULL);
	html_raw(&h, "</dd><dt>Last reported</dt><dd>");
	html_ago(&h, req->now, rule->last_seen);
	html_raw(&h, "</dd><dt>The employee is told</dt><dd>");
	html_text(&h, rule->message[0] ? rule->message : NULL);
	html_raw(&h, "</dd><dt>What to do</dt><dd>");
	html_text(&h, rule->remediation[0] ? rule->remediation : NULL);
	html_raw(&h, "</dd></dl>");

	html_raw(&h, "<section class=\"cards\">");
	rule_count_link(&h, rule, FLEET_FAIL, "failing");
	rule_count_link(&h, rule, FLEET_UNKNOWN, "cannot tell");
	rule_count_link(&h, rule, FLEET_EXEMPT, "exempt");
	rule_count_link(&h, rule, FLEET_PASS, "passing");
	html_raw(&h, "</section><section class=\"trend panel\"><h2>30 days</h2>");
	write_rule_trend(&h, days, n_days, req->now);
	html_raw(&h, "</section></div><section class=\"panel device-list\"><h2>Devices where it ");
	html_raw(&h, q.filter.rule_state == FLEET_PASS	  ? "passes" :
		     q.filter.rule_state == FLEET_UNKNOWN ? "cannot tell" :
		     q.filter.rule_state == FLEET_EXEMPT  ? "is exempt" :
							    "fails");
	html_raw(&h, ", longest first</h2>");
	r = ui_devices_list(req, &q, &h, "/devices");
	if (r < 0) {
		html_done(&h);
		return r;
	}
	html_raw(&h, "</section>");
	return ui_answer_html(req, 200, &h);
}

static int rule_json(struct ui_request *req, const struct fleet_rule *rule,
		     const struct fleet_day *days, size_t n_days)
{
	_cleanup_(html_done) struct html out = {};
	yajl_gen g = NULL;
	int r;

	r = table_json_gen_new(&out, &g);
	if (r < 0)
		return r;
	yajl_gen_map_open(g);
	table_json_member(g, "rule_id", rule->id);
	table_json_member(g, "title", rule->title);
	table_json_member(g, "severity", rule->severity);
	table_json_member(g, "type", rule->type);
	table_json_member(g, "message", rule->message);
	table_json_member(g, "remediation", rule->remediation);
	json_int(g, "last_seen", rule->last_seen);
	for (int i = 0; i < _FLEET_STATE_MAX; i++)
		json_int(g, fleet_state_name((enum fleet_state)i), rule->count[i]);
	json_key(g, "trend");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n_days; i++) {
		char day[HTML_TIME_ISO_SIZE];

		yajl_gen_map_open(g);
		if (html_time_iso(days[i].day * DAY_MS, day, sizeof(day)) >= 0) {
			json_key(g, "day");
			yajl_gen_string(g, (const unsigned char *)day, 10);
		}
		json_int(g, "pass", days[i].pass);
		json_int(g, "fail", days[i].fail);
		json_int(g, "unknown", days[i].unknown);
		json_int(g, "exempt", days[i].exempt);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return ui_answer_data(req, &out, NULL);
}

int ui_rule(struct ui_request *req, const char *rule_id)
{
	_cleanup_free_ struct fleet_rule *rule = NULL;
	struct fleet_day days[TREND_DAYS];
	size_t n_days = 0;
	int r;

	if (strlen(rule_id) >= FACTS_ID_MAX)
		return ui_answer_error(req, 404, "No rule has so long an id.");
	rule = malloc(sizeof(*rule));
	if (!rule)
		return -ENOMEM;
	r = store_fleet_rule(req->store, req->now, rule_id, rule, days, TREND_DAYS, &n_days);
	if (r == -ENOENT)
		return ui_answer_error(req, 404, "No device has reported this rule.");
	if (r < 0)
		return r;
	if (req->format == UI_CSV) {
		struct ui_devices_query q;
		char error[256];

		/* The devices of the rule in a state, whole. */
		if (ui_devices_query_parse(req, rule->id, &q, error, sizeof(error)) < 0)
			return ui_answer_error(req, 400, error);
		return ui_devices_list(req, &q, NULL, NULL);
	}
	if (req->format == UI_JSON)
		return rule_json(req, rule, days, n_days);
	return rule_html(req, rule, days, n_days);
}
