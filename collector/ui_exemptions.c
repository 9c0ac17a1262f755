// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Exemptions: a rule waived for one device or for every device, with a
 * reason and an end (at most a year ahead: an exemption nobody renews
 * ends).  Listed for everyone; made and ended by operators and admins,
 * each change a row of the audit with who made it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "ingest.h"
#include "ui-internal.h"

#define DAY_MS	      (86400LL * 1000)
#define EXEMPT_MAX_MS (366 * DAY_MS)

static const struct table_column exemption_columns[] = {
	{ "id", "Id", TABLE_INTEGER },		{ "rule_id", "Rule", TABLE_TEXT },
	{ "device_id", "Device", TABLE_TEXT },	{ "reason", "Reason", TABLE_TEXT },
	{ "created", "Made", TABLE_TIME },	{ "created_by", "By", TABLE_TEXT },
	{ "expires", "Until", TABLE_TIME },	{ "ended", "Ended", TABLE_TIME },
	{ "ended_by", "Ended by", TABLE_TEXT }, { "state", "State", TABLE_STATE },
};

struct exemptions_out {
	struct ui_request *req;
	struct table *table;
	bool html;
	char csrf[65];
};

static int exemption_row(const struct fleet_exemption *e, void *userdata)
{
	struct exemptions_out *o = userdata;
	struct table *t = o->table;
	_cleanup_free_ char *rule = NULL;
	char href[FACTS_ID_MAX * 3 + 16], device[64];
	bool active = !e->revoked && e->expires > o->req->now;

	if (html_url_encode(e->rule_id, &rule) < 0)
		return -ENOMEM;
	table_cell_int(t, e->id);
	snprintf(href, sizeof(href), "/rules/%s", rule);
	table_cell_text(t, e->rule_id, href);
	if (e->device_id[0]) {
		snprintf(device, sizeof(device), "/devices/%s", e->device_id);
		table_cell_text(t, e->device_id, device);
	} else {
		table_cell_text(t, o->html ? "every device" : "", NULL);
	}
	table_cell_text(t, e->reason, NULL);
	table_cell_time(t, e->created);
	table_cell_text(t, e->created_by, NULL);
	table_cell_time(t, e->expires);
	table_cell_time(t, e->revoked);
	table_cell_text(t, e->revoked_by[0] ? e->revoked_by : NULL, NULL);
	table_cell_state(t, active ? "active" : e->revoked ? "ended" : "expired");
	if (o->html && o->req->role >= UI_OPERATOR) {
		/* A cell past the table's columns would be refused: the form goes in its own row. */
		if (active) {
			struct html *h = t->out;

			html_rawf(h,
				  "<tr class=\"action\"><td colspan=\"%zu\">"
				  "<form method=\"post\" action=\"/exemptions/%" PRId64 "/end\">"
				  "<input type=\"hidden\" name=\"csrf\" value=\"",
				  ELEMENTSOF(exemption_columns), e->id);
			html_text(h, o->csrf);
			html_rawf(h,
				  "\"><button type=\"submit\">End exemption %" PRId64
				  "</button></form></td></tr>",
				  e->id);
		}
	}
	return t->error < 0 ? t->error : 0;
}

static void write_create_form(struct ui_request *req, struct html *h, const char *csrf)
{
	html_raw(h, "<section class=\"panel\"><h2>New exemption</h2><form class=\"exempt\""
		    " method=\"post\" action=\"/exemptions\"><input type=\"hidden\" name=\"csrf\""
		    " value=\"");
	html_text(h, csrf);
	html_raw(h, "\"><label for=\"rule\">Rule id</label>"
		    "<input id=\"rule\" name=\"rule\" required maxlength=\"127\">"
		    "<label for=\"device\">Device id (empty: every device)</label>"
		    "<input id=\"device\" name=\"device\" maxlength=\"32\">"
		    "<label for=\"reason\">Reason</label>"
		    "<input id=\"reason\" name=\"reason\" required maxlength=\"2000\">"
		    "<label for=\"expires\">Until (YYYY-MM-DD, or 30d, 12h)</label>"
		    "<input id=\"expires\" name=\"expires\" required maxlength=\"32\">"
		    "<button type=\"submit\">Exempt</button></form></section>");
}

int ui_exemptions(struct ui_request *req)
{
	_cleanup_(html_done) struct html out = {};
	struct html h = {};
	yajl_gen gen = NULL;
	struct table t;
	struct exemptions_out o = { .req = req, .table = &t, .html = req->format == UI_HTML };
	const char *all = ui_arg(req, "all");
	bool with_ended = all && strcmp(all, "1") == 0;
	int r;

	if (o.html) {
		ui_page_begin(req, &h, "Exemptions", HTML_NAV_EXEMPTIONS);
		html_raw(&h, "<h1>Exemptions</h1><p>An exempt rule is shown as exempt, not as "
			     "passing, and counts as neither. ");
		html_raw(&h, with_ended ? "<a href=\"/exemptions\">Only those in force</a>" :
					  "<a href=\"/exemptions?all=1\">With those ended</a>");
		html_raw(&h, " · <a href=\"/exemptions?format=csv&amp;all=1\">Download all as "
			     "CSV</a></p>");
		ui_csrf_token(req, o.csrf);
	} else if (req->format == UI_JSON) {
		r = table_json_gen_new(&out, &gen);
		if (r < 0)
			return r;
		yajl_gen_map_open(gen);
		json_key(gen, "exemptions");
	}
	r = ui_table_begin(req, &t, exemption_columns, ELEMENTSOF(exemption_columns), &h, &out,
			   gen);
	if (r >= 0)
		r = store_fleet_exemptions(req->store, req->now, with_ended, NULL, NULL,
					   exemption_row, &o);
	if (r >= 0)
		r = table_end(&t);
	if (gen) {
		yajl_gen_map_close(gen);
		yajl_gen_free(gen);
	}
	if (r < 0) {
		html_done(&h);
		return r;
	}
	if (!o.html)
		return ui_answer_data(req, &out, "exemptions.csv");
	if (req->role >= UI_OPERATOR)
		write_create_form(req, &h, o.csrf);
	return ui_answer_html(req, 200, &h);
}

/* "YYYY-MM-DD" (the exemption ends as that day ends, UTC) or a duration from now. */
static int parse_expires(const char *text, int64_t now, int64_t *ret)
{
	struct tm tm = {};
	uint64_t seconds;
	const char *end;
	time_t t;

	end = strptime(text, "%Y-%m-%d", &tm);
	if (end && *end == '\0') {
		struct tm back;
		int day = tm.tm_mday, month = tm.tm_mon;

		t = timegm(&tm);
		/* timegm() makes 2026-02-31 into March the 3rd: a date that is none is refused. */
		if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != day ||
		    back.tm_mon != month)
			return -EINVAL;
		*ret = ((int64_t)t + 86400) * 1000;
		return 0;
	}
	/* A duration says its unit: "30" could be days or seconds. */
	if (!strchr("smhd", text[strlen(text) - 1]) || admin_parse_duration(text, &seconds) < 0 ||
	    seconds > EXEMPT_MAX_MS / 1000)
		return -EINVAL;
	*ret = now + (int64_t)seconds * 1000;
	return 0;
}

static int rule_known(struct ui_request *req, const char *rule_id)
{
	struct fleet_rule *rule = malloc(sizeof(*rule));
	int r;

	if (!rule)
		return -ENOMEM;
	r = store_fleet_rule(req->store, req->now, rule_id, rule, NULL, 0, NULL);
	free(rule);
	return r;
}

int ui_exemption_create(struct ui_request *req)
{
	const struct ui_form *f = &req->form;
	int64_t expires = 0, id = 0;
	char location[128];
	int r;

	if (!f->rule[0])
		return ui_answer_error(req, 400, "The rule id is missing.");
	if (!f->reason[0])
		return ui_answer_error(req, 400,
				       "Say why in the reason: it is shown with the exemption.");
	if (f->device[0] && !ingest_is_id128(f->device, strlen(f->device)))
		return ui_answer_error(req, 400,
				       "The device id must be 32 lowercase hex digits, or empty "
				       "for every device.");
	if (!f->expires[0] || parse_expires(f->expires, req->now, &expires) < 0)
		return ui_answer_error(
			req, 400,
			"Until (expires) must be a date that exists (YYYY-MM-DD) or a "
			"duration with its unit (30d, 12h), at most a year ahead.");
	if (expires <= req->now || expires > req->now + EXEMPT_MAX_MS)
		return ui_answer_error(req, 400,
				       "Until must be in the future, and at most a year ahead.");
	r = rule_known(req, f->rule);
	if (r == -ENOENT)
		return ui_answer_error(req, 400, "No device has reported a rule with this id.");
	if (r < 0)
		return r;
	r = store_fleet_exempt(req->store, f->device[0] ? f->device : NULL, f->rule, f->reason,
			       expires, req->user, req->now, &id);
	if (r < 0)
		return r;
	if (req->format == UI_JSON) {
		_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

		if (!g)
			return -ENOMEM;
		yajl_gen_map_open(g);
		json_int(g, "id", id);
		json_int(g, "expires", expires);
		yajl_gen_map_close(g);
		return ui_answer_json(req, g);
	}
	if (f->device[0])
		snprintf(location, sizeof(location), "/devices/%s", f->device);
	else
		snprintf(location, sizeof(location), "/exemptions");
	return ui_answer_redirect(req, location);
}

int ui_exemption_end(struct ui_request *req, int64_t id)
{
	int r;

	r = store_fleet_exemption_revoke(req->store, id, req->user, req->now);
	if (r == -ENOENT)
		return ui_answer_error(req, 404, "There is no such exemption.");
	if (r == -EALREADY)
		return ui_answer_error(req, 409, "This exemption has ended already.");
	if (r < 0)
		return r;
	return ui_answer_redirect(req, "/exemptions");
}
