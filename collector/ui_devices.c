// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The devices: the list (filtered by search, status, compliance, or a
 * rule's state; paged; whole as CSV) and one device's page (every rule's
 * state with what the employee is told, its exemptions, its recent
 * findings and snapshots, its agent and identity).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "facts.h"
#include "ingest.h"
#include "ui-internal.h"

static const char *const compliance_names[] = {
	[FLEET_COMPLIANCE_NONE] = "unknown",
	[FLEET_COMPLIANT] = "compliant",
	[FLEET_NONCOMPLIANT] = "noncompliant",
};

static int compliance_from_name(const char *name)
{
	for (size_t i = 0; name && i < ELEMENTSOF(compliance_names); i++)
		if (strcmp(name, compliance_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static const struct table_column device_columns[] = {
	{ "hostname", "Device", TABLE_TEXT },
	{ "device_id", "Device id", TABLE_TEXT },
	{ "owner", "Owner", TABLE_TEXT },
	{ "serial", "Serial", TABLE_TEXT },
	{ "status", "Status", TABLE_STATE },
	{ "compliance", "Compliance", TABLE_STATE },
	{ "failing", "Failing", TABLE_INTEGER },
	{ "os", "OS", TABLE_TEXT },
	{ "agent_version", "Agent", TABLE_TEXT },
	{ "policy_id", "Policy", TABLE_TEXT },
	{ "policy_serial", "Serial of policy", TABLE_INTEGER },
	{ "last_snapshot", "Last snapshot", TABLE_TIME },
	{ "last_seen", "Last contact", TABLE_TIME },
	{ "watched_per_mille", "Watched ‰", TABLE_INTEGER },
	{ "records_lost", "Records lost", TABLE_INTEGER },
	{ "kernel_lost", "Lost in kernel", TABLE_INTEGER },
	{ "enrolled", "Enrolled", TABLE_TIME },
	{ "certificate_expires", "Certificate expires", TABLE_TIME },
	/* With a rule: */
	{ "rule_state", "Rule state", TABLE_STATE },
	{ "rule_since", "Since", TABLE_TIME },
	{ "rule_reason", "Reason", TABLE_TEXT },
};
#define DEVICE_COLUMNS	    (ELEMENTSOF(device_columns) - 3)
#define DEVICE_RULE_COLUMNS ELEMENTSOF(device_columns)

int ui_devices_query_parse(struct ui_request *req, const char *rule, struct ui_devices_query *q,
			   char *error, size_t error_size)
{
	int v;

	*q = (struct ui_devices_query){
		.filter = { .status = -1, .compliance = -1, .rule_state = -1 },
	};
	q->filter.q = ui_arg(req, "q");
	q->filter.rule = rule ? rule : ui_arg(req, "rule");
	q->status = ui_arg(req, "status");
	q->compliance = ui_arg(req, "compliance");
	q->state = ui_arg(req, "state");
	if (q->status) {
		v = fleet_status_from_name(q->status);
		if (v < 0)
			return snprintf(error, error_size,
					"status must be online, stopped, asleep, silent, missing "
					"or never"),
			       -EINVAL;
		q->filter.status = v;
	}
	if (q->compliance) {
		v = compliance_from_name(q->compliance);
		if (v <= 0)
			return snprintf(error, error_size,
					"compliance must be compliant or noncompliant"),
			       -EINVAL;
		q->filter.compliance = v;
	}
	if (q->state) {
		v = fleet_state_from_name(q->state);
		if (v < 0 || !q->filter.rule)
			return snprintf(error, error_size,
					"state must be pass, fail, unknown or exempt, with a "
					"rule"),
			       -EINVAL;
		q->filter.rule_state = v;
	}
	return 0;
}

/* The query string of the list as filtered, without the page, for an href ("" or "a=b&amp;c=d"). */
static void devices_query_string(const struct ui_devices_query *q, struct html *out)
{
	const struct {
		const char *name, *value;
	} args[] = {
		{ "q", q->filter.q },
		{ "status", q->status },
		{ "compliance", q->compliance },
		{ "rule", q->filter.rule },
		{ "state", q->state },
	};
	bool first = true;

	for (size_t i = 0; i < ELEMENTSOF(args); i++) {
		if (!args[i].value)
			continue;
		html_rawf(out, "%s%s=", first ? "" : "&amp;", args[i].name);
		html_url_value(out, args[i].value);
		first = false;
	}
}

struct devices_out {
	struct ui_request *req;
	struct table *table;
	bool with_rule;
};

static int device_row(const struct fleet_device *d, void *userdata)
{
	struct devices_out *o = userdata;
	struct table *t = o->table;
	char href[64];

	snprintf(href, sizeof(href), "/devices/%s", d->device_id);
	table_cell_text(t, d->hostname[0] ? d->hostname : d->device_id, href);
	table_cell_text(t, d->device_id, NULL);
	table_cell_text(t, d->owner[0] ? d->owner : NULL, NULL);
	table_cell_text(t, d->serial[0] ? d->serial : NULL, NULL);
	table_cell_state(t, fleet_status_name(d->status));
	table_cell_state(t, compliance_names[d->compliance]);
	table_cell_int(t, d->failing);
	table_cell_text(t, d->os[0] ? d->os : NULL, NULL);
	table_cell_text(t, d->agent_version[0] ? d->agent_version : NULL, NULL);
	table_cell_text(t, d->policy_id[0] ? d->policy_id : NULL, NULL);
	if (d->policy_serial > 0)
		table_cell_int(t, d->policy_serial);
	else
		table_cell_null(t);
	table_cell_time(t, d->last_snapshot);
	table_cell_time(t, d->last_seen);
	if (d->watched_per_mille >= 0)
		table_cell_int(t, d->watched_per_mille);
	else
		table_cell_null(t);
	table_cell_int(t, d->records_lost);
	table_cell_int(t, d->kernel_lost);
	table_cell_time(t, d->enrolled);
	table_cell_time(t, d->cert_not_after);
	if (o->with_rule) {
		table_cell_state(t, fleet_state_name(d->rule_state));
		table_cell_time(t, d->rule_since);
		table_cell_text(t, d->rule_reason[0] ? d->rule_reason : NULL, NULL);
	}
	return t->error < 0 ? t->error : 0;
}

/* "Showing 51–100 of 812" and the links to the pages around, and to the whole as CSV. */
static void write_pager(struct html *h, const char *path, const struct ui_devices_query *q,
			int64_t total)
{
	struct html query = {};
	char *qs = NULL;
	size_t qs_size = 0;
	int64_t offset = q->filter.offset, limit = q->filter.limit;

	devices_query_string(q, &query);
	if (html_finish(&query, &qs, &qs_size) < 0)
		return;
	html_raw(h, "<nav class=\"pager\"><span>");
	if (total == 0) {
		html_raw(h, "No device matches.");
	} else if (offset >= total) {
		html_raw(h, "This page is past the end of the ");
		html_int(h, total);
		html_raw(h, " devices.");
		/* Previous: the last page there is. */
		offset = (total - 1) / limit * limit + limit;
	} else {
		html_raw(h, "Showing ");
		html_int(h, MIN(offset + 1, total));
		html_raw(h, "–");
		html_int(h, MIN(offset + limit, total));
		html_raw(h, " of ");
		html_int(h, total);
	}
	html_raw(h, "</span>");
	if (offset > 0) {
		html_rawf(h, "<a href=\"%s?", path);
		html_raw(h, qs);
		html_rawf(h, "%soffset=%lld\">‹ Previous</a>", qs_size ? "&amp;" : "",
			  (long long)MAX(offset - limit, (int64_t)0));
	}
	if (offset + limit < total) {
		html_rawf(h, "<a href=\"%s?", path);
		html_raw(h, qs);
		html_rawf(h, "%soffset=%lld\">Next ›</a>", qs_size ? "&amp;" : "",
			  (long long)(offset + limit));
	}
	html_rawf(h, "<a class=\"csv\" href=\"%s?", path);
	html_raw(h, qs);
	html_rawf(h, "%sformat=csv\">Download all as CSV</a></nav>", qs_size ? "&amp;" : "");
	free(qs);
}

static void write_select(struct html *h, const char *name, const char *label,
			 const char *const *options, size_t n, const char *selected)
{
	html_rawf(h, "<label for=\"%s\">%s</label><select id=\"%s\" name=\"%s\">", name, label,
		  name, name);
	html_raw(h, "<option value=\"\">any</option>");
	for (size_t i = 0; i < n; i++) {
		html_rawf(h, "<option%s>",
			  selected && strcmp(selected, options[i]) == 0 ? " selected" : "");
		html_text(h, options[i]);
		html_raw(h, "</option>");
	}
	html_raw(h, "</select>");
}

static void write_filter_form(struct html *h, const struct ui_devices_query *q)
{
	static const char *const statuses[] = { "online", "silent",  "stopped",
						"asleep", "missing", "never" };
	static const char *const compliances[] = { "compliant", "noncompliant" };

	html_raw(h, "<form class=\"filter\" method=\"get\" action=\"/devices\">"
		    "<label for=\"q\">Search</label><input id=\"q\" name=\"q\" type=\"search\""
		    " maxlength=\"256\" placeholder=\"host name, device id, owner or serial\"");
	if (q->filter.q) {
		html_raw(h, " value=\"");
		html_text(h, q->filter.q);
		html_raw(h, "\"");
	}
	html_raw(h, ">");
	write_select(h, "status", "Status", statuses, ELEMENTSOF(statuses), q->status);
	write_select(h, "compliance", "Compliance", compliances, ELEMENTSOF(compliances),
		     q->compliance);
	if (q->filter.rule) {
		html_raw(h, "<input type=\"hidden\" name=\"rule\" value=\"");
		html_text(h, q->filter.rule);
		html_raw(h, "\">");
	}
	if (q->state) {
		html_raw(h, "<input type=\"hidden\" name=\"state\" value=\"");
		html_text(h, q->state);
		html_raw(h, "\">");
	}
	html_raw(h, "<button type=\"submit\">Filter</button></form>");
}

int ui_devices_list(struct ui_request *req, struct ui_devices_query *q, struct html *h,
		    const char *path)
{
	/* A whole fleet's list: 50,000 devices are some 20 MiB of CSV. */
	_cleanup_(html_done) struct html out = { .max = UI_EXPORT_MAX };
	yajl_gen gen = NULL;
	struct table t;
	struct devices_out o = { .req = req, .table = &t, .with_rule = q->filter.rule != NULL };
	int64_t total = 0;
	int r;

	if (req->format == UI_CSV) {
		q->filter.offset = 0;
		q->filter.limit = 0; /* the whole list */
	} else {
		q->filter.offset = ui_arg_int(req, "offset", 0);
		q->filter.limit =
			MIN(ui_arg_int(req, "limit", UI_PAGE_SIZE), (int64_t)FLEET_PAGE_MAX);
		if (q->filter.limit <= 0)
			q->filter.limit = UI_PAGE_SIZE;
	}
	if (req->format == UI_JSON) {
		r = table_json_gen_new(&out, &gen);
		if (r < 0)
			return r;
		yajl_gen_map_open(gen);
		json_key(gen, "devices");
	}
	r = ui_table_begin(req, &t, device_columns,
			   o.with_rule ? DEVICE_RULE_COLUMNS : DEVICE_COLUMNS, h, &out, gen);
	if (r >= 0)
		r = store_fleet_devices(req->store, req->now, &q->filter, device_row, &o, &total);
	if (r >= 0)
		r = table_end(&t);
	if (r < 0) {
		if (gen)
			yajl_gen_free(gen);
		return r;
	}
	if (req->format == UI_HTML) {
		write_pager(h, path, q, total);
		return 0;
	}
	if (gen) {
		json_int(gen, "total", total);
		json_int(gen, "offset", q->filter.offset);
		json_int(gen, "limit", q->filter.limit);
		yajl_gen_map_close(gen);
		yajl_gen_free(gen);
	}
	return ui_answer_data(req, &out, "devices.csv");
}

int ui_devices(struct ui_request *req)
{
	struct ui_devices_query q;
	struct html h = {};
	char error[256];
	int r;

	if (ui_devices_query_parse(req, NULL, &q, error, sizeof(error)) < 0)
		return ui_answer_error(req, 400, error);
	if (req->format != UI_HTML)
		return ui_devices_list(req, &q, NULL, "/devices");

	ui_page_begin(req, &h, "Devices", HTML_NAV_DEVICES);
	html_raw(&h, "<h1>Devices</h1><div class=\"panel device-list\">");
	write_filter_form(&h, &q);
	r = ui_devices_list(req, &q, &h, "/devices");
	if (r < 0) {
		html_done(&h);
		return r;
	}
	html_raw(&h, "</div>");
	return ui_answer_html(req, 200, &h);
}

/* --- one device ------------------------------------------------------------------------------ */

struct device_page {
	struct ui_request *req;
	struct html *h;
	yajl_gen gen;
	const char *device_id;
	char csrf[65];
	size_t n;
};

static void fact(struct html *h, const char *label, const char *value)
{
	html_raw(h, "<dt>");
	html_text(h, label);
	html_raw(h, "</dt><dd>");
	html_text(h, value && value[0] ? value : NULL);
	html_raw(h, "</dd>");
}

static void fact_time(struct html *h, const char *label, int64_t ms)
{
	html_raw(h, "<dt>");
	html_text(h, label);
	html_raw(h, "</dt><dd>");
	html_time(h, ms);
	html_raw(h, "</dd>");
}

static void write_device_facts(struct html *h, const struct fleet_device *d, int64_t now)
{
	char buf[64];

	html_raw(h, "<dl class=\"facts\">");
	fact(h, "Device id", d->device_id);
	fact(h, "Owner", d->owner);
	fact(h, "Serial", d->serial);
	fact(h, "OS", d->os);
	fact(h, "Agent", d->agent_version);
	fact(h, "Agent healthy", d->last_snapshot ? (d->agent_healthy ? "yes" : "no") : NULL);
	snprintf(buf, sizeof(buf), "%lld", (long long)d->policy_serial);
	html_raw(h, "<dt>Policy</dt><dd>");
	html_text(h, d->policy_id[0] ? d->policy_id : NULL);
	if (d->policy_id[0]) {
		html_raw(h, " serial ");
		html_text(h, buf);
	}
	html_raw(h, "</dd>");
	html_raw(h, "<dt>Last snapshot</dt><dd>");
	html_ago(h, now, d->last_snapshot);
	html_raw(h, "</dd><dt>Snapshot interval</dt><dd>");
	html_int(h, d->interval_seconds);
	html_raw(h, " s</dd>");
	fact_time(h, "Last contact", d->last_seen);
	fact_time(h, "First seen", d->first_seen);
	html_raw(h, "<dt>Watched</dt><dd>");
	if (d->watched_per_mille >= 0)
		html_rawf(h, "%lld.%lld %% of the last interval",
			  (long long)(d->watched_per_mille / 10),
			  (long long)(d->watched_per_mille % 10));
	else
		html_raw(h, "—");
	html_raw(h, "</dd><dt>Records lost</dt><dd>");
	html_int(h, d->records_lost);
	html_raw(h, " before they could be sent, ");
	html_int(h, d->kernel_lost);
	html_raw(h, " in the kernel</dd>");
	fact(h, "Identity", d->identity_state[0] ? d->identity_state : "certificate made by IT");
	fact_time(h, "Enrolled", d->enrolled);
	fact(h, "Certificate serial", d->cert_serial);
	fact_time(h, "Certificate expires", d->cert_not_after);
	fact(h, "Key",
	     d->key_storage[0] ? (strcmp(d->key_storage, "tpm") == 0 ? "in the TPM" : "in a file") :
				 NULL);
	html_raw(h, "</dl>");
}

static int check_row_html(const struct fleet_check *c, void *userdata)
{
	struct device_page *p = userdata;
	struct html *h = p->h;
	const char *state = fleet_state_name(c->state);

	html_rawf(h, "<tr class=\"%s\"><td><span class=\"badge %s\">%s</span></td><td>", state,
		  state, state);
	html_raw(h, "<a href=\"/rules/");
	html_url_value(h, c->rule_id);
	html_raw(h, "\">");
	html_text(h, c->title[0] ? c->title : c->rule_id);
	html_raw(h, "</a><div class=\"id\">");
	html_text(h, c->rule_id);
	html_raw(h, "</div></td><td>");
	html_text(h, c->severity[0] ? c->severity : NULL);
	html_raw(h, "</td><td>");
	html_time(h, c->since);
	if (c->previous >= 0) {
		html_raw(h, "<div class=\"note\">before: ");
		html_text(h, fleet_state_name((enum fleet_state)c->previous));
		html_raw(h, "</div>");
	}
	html_raw(h, "</td><td>");
	if (c->state == FLEET_EXEMPT) {
		html_raw(h, "<div class=\"note\">Exempt until ");
		html_time(h, c->exemption_expires);
		html_raw(h, "; the device says: ");
		html_text(h, fleet_state_name(c->reported));
		html_raw(h, "</div>");
	}
	if (c->reason[0]) {
		html_raw(h, "<div class=\"reason\">");
		html_text(h, c->reason);
		html_raw(h, "</div>");
	}
	if (c->reported != FLEET_PASS) {
		html_raw(h, "<div class=\"message\">");
		html_text(h, c->message[0] ? c->message : NULL);
		html_raw(h, "</div><div class=\"remediation\">");
		html_text(h, c->remediation[0] ? c->remediation : NULL);
		html_raw(h, "</div>");
	}
	html_raw(h, "</td></tr>");
	p->n++;
	return h->error;
}

static int check_row_json(const struct fleet_check *c, void *userdata)
{
	struct device_page *p = userdata;
	yajl_gen g = p->gen;

	yajl_gen_map_open(g);
	table_json_member(g, "rule_id", c->rule_id);
	table_json_member(g, "title", c->title);
	table_json_member(g, "severity", c->severity);
	table_json_member(g, "state", fleet_state_name(c->state));
	table_json_member(g, "reported", fleet_state_name(c->reported));
	json_int(g, "since", c->since);
	table_json_member(g, "previous",
			  c->previous >= 0 ? fleet_state_name((enum fleet_state)c->previous) :
					     NULL);
	table_json_member(g, "reason", c->reason);
	table_json_member(g, "message", c->message);
	table_json_member(g, "remediation", c->remediation);
	if (c->exemption_id) {
		json_int(g, "exemption_id", c->exemption_id);
		json_int(g, "exemption_expires", c->exemption_expires);
	}
	yajl_gen_map_close(g);
	return 0;
}

/* One recent finding: when, how bad, what. */
static int finding_row(int64_t received, int64_t time, int64_t class_uid, const char *json,
		       size_t size, void *userdata)
{
	struct device_page *p = userdata;
	struct html *h = p->h;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = strndup(json, size);
	const char *severity = NULL, *title = NULL, *status = NULL, *kind = NULL;

	if (!text)
		return -ENOMEM;
	root = yajl_tree_parse(text, NULL, 0);
	if (root) {
		severity = facts_json_string(root, "severity");
		title = facts_json_string(facts_json_get(root, "finding_info"), "title");
		status = facts_json_string(facts_json_get(root, "compliance"), "status");
		kind = facts_json_string(facts_json_get(root, "postured"), "finding");
	}
	if (p->gen) {
		yajl_gen g = p->gen;

		yajl_gen_map_open(g);
		json_int(g, "time", time);
		json_int(g, "received", received);
		table_json_member(g, "severity", severity);
		table_json_member(g, "title", title);
		table_json_member(g, "status", status);
		table_json_member(g, "finding", kind);
		yajl_gen_map_close(g);
		return 0;
	}
	html_raw(h, "<tr><td>");
	html_time(h, time);
	html_raw(h, "</td><td>");
	html_text(h, severity);
	html_raw(h, "</td><td>");
	html_text(h, title);
	html_raw(h, "</td><td>");
	html_text(h, kind);
	html_raw(h, "</td><td>");
	html_text(h, status);
	html_raw(h, "</td></tr>");
	p->n++;
	return h->error;
}

static int snapshot_row(int64_t received, int64_t time, int64_t class_uid, const char *json,
			size_t size, void *userdata)
{
	struct device_page *p = userdata;
	struct html *h = p->h;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = strndup(json, size);
	yajl_val postured, compliant, watched;

	if (!text)
		return -ENOMEM;
	root = yajl_tree_parse(text, NULL, 0);
	postured = facts_json_get(root, "postured");
	if (!facts_json_get(postured, "posture"))
		return 0; /* a loss record, also class 5001 */
	compliant = facts_json_get(facts_json_get(postured, "posture"), "compliant");
	watched = facts_json_get(facts_json_get(postured, "completeness"), "watched_per_mille");
	html_raw(h, "<tr><td>");
	html_time(h, time);
	html_raw(h, "</td><td>");
	html_time(h, received);
	html_raw(h, "</td><td>");
	html_raw(h, YAJL_IS_TRUE(compliant)  ? "compliant" :
		    YAJL_IS_FALSE(compliant) ? "not compliant" :
					       "—");
	html_raw(h, "</td><td>");
	if (YAJL_IS_INTEGER(watched))
		html_rawf(h, "%lld ‰", (long long)YAJL_GET_INTEGER(watched));
	else
		html_raw(h, "—");
	html_raw(h, "</td></tr>");
	p->n++;
	return h->error;
}

static int exemption_row_html(const struct fleet_exemption *e, void *userdata)
{
	struct device_page *p = userdata;
	struct html *h = p->h;

	html_raw(h, "<tr><td>");
	html_text(h, e->rule_id);
	html_raw(h, "</td><td>");
	html_text(h, e->device_id[0] ? "this device" : "every device");
	html_raw(h, "</td><td>");
	html_text(h, e->reason);
	html_raw(h, "</td><td>");
	html_time(h, e->expires);
	html_raw(h, "</td><td>");
	html_text(h, e->created_by);
	html_raw(h, "</td></tr>");
	p->n++;
	return h->error;
}

static void write_exempt_form(struct ui_request *req, struct html *h, const char *device_id,
			      const char *csrf)
{
	html_raw(h, "<form class=\"exempt\" method=\"post\" action=\"/exemptions\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_text(h, csrf);
	html_raw(h, "\"><input type=\"hidden\" name=\"device\" value=\"");
	html_text(h, device_id);
	html_raw(h, "\"><label for=\"rule\">Rule id</label>"
		    "<input id=\"rule\" name=\"rule\" required maxlength=\"127\">"
		    "<label for=\"reason\">Reason</label>"
		    "<input id=\"reason\" name=\"reason\" required maxlength=\"2000\">"
		    "<label for=\"expires\">Until (YYYY-MM-DD or 30d)</label>"
		    "<input id=\"expires\" name=\"expires\" required maxlength=\"32\">"
		    "<button type=\"submit\">Exempt this device</button></form>");
}

static int device_html(struct ui_request *req, const struct fleet_device *d)
{
	struct html h = {};
	struct device_page p = { .req = req, .h = &h, .device_id = d->device_id };
	int r;

	ui_page_begin(req, &h, d->hostname[0] ? d->hostname : d->device_id, HTML_NAV_DEVICES);
	html_raw(&h, "<h1>");
	html_text(&h, d->hostname[0] ? d->hostname : d->device_id);
	html_rawf(&h,
		  " <span class=\"badge %s\">%s</span> <span class=\"badge %s\">%s</span></h1>"
		  "<div class=\"device-layout\"><div class=\"panel device-facts\">",
		  fleet_status_name(d->status), fleet_status_name(d->status),
		  compliance_names[d->compliance], compliance_names[d->compliance]);
	write_device_facts(&h, d, req->now);

	html_raw(&h,
		 "</div><div class=\"device-main\"><section class=\"panel\"><h2>Rules</h2>"
		 "<div class=\"table-wrap\"><table class=\"data checks\"><thead><tr><th>State</th>"
		 "<th>Rule</th><th>Severity</th><th>Since</th><th>What the employee is told"
		 "</th></tr></thead><tbody>");
	r = store_fleet_device_checks(req->store, req->now, d->device_id, check_row_html, &p);
	if (r >= 0 && p.n == 0)
		html_raw(&h, "<tr class=\"empty\"><td colspan=\"5\">No snapshot yet.</td></tr>");
	html_raw(&h, "</tbody></table></div></section>");

	html_raw(&h, "<section class=\"panel\"><h2>Exemptions</h2><div class=\"table-wrap\">"
		     "<table class=\"data\"><thead><tr><th>Rule</th><th>For</th>"
		     "<th>Reason</th><th>Until</th><th>By</th></tr></thead><tbody>");
	p.n = 0;
	if (r >= 0)
		r = store_fleet_exemptions(req->store, req->now, false, d->device_id, NULL,
					   exemption_row_html, &p);
	if (r >= 0 && p.n == 0)
		html_raw(&h, "<tr class=\"empty\"><td colspan=\"5\">None.</td></tr>");
	html_raw(&h, "</tbody></table></div>");
	if (req->role >= UI_OPERATOR) {
		ui_csrf_token(req, p.csrf);
		write_exempt_form(req, &h, d->device_id, p.csrf);
	}
	html_raw(&h, "</section>");

	html_raw(&h, "<section class=\"panel\"><h2>Recent findings</h2><div class=\"table-wrap\">"
		     "<table class=\"data\"><thead><tr><th>Time</th>"
		     "<th>Severity</th><th>Finding</th><th>Kind</th><th>Status</th></tr></thead>"
		     "<tbody>");
	p.n = 0;
	if (r >= 0)
		r = store_fleet_device_records(req->store, d->device_id, 2003, 20, finding_row, &p);
	if (r >= 0 && p.n == 0)
		html_raw(&h, "<tr class=\"empty\"><td colspan=\"5\">None stored.</td></tr>");
	html_raw(&h, "</tbody></table></div></section>");

	html_raw(&h, "<section class=\"panel\"><h2>Recent snapshots</h2><div class=\"table-wrap\">"
		     "<table class=\"data\"><thead><tr><th>Time</th>"
		     "<th>Received</th><th>Posture</th><th>Watched</th></tr></thead><tbody>");
	p.n = 0;
	if (r >= 0)
		r = store_fleet_device_records(req->store, d->device_id, 5001, 10, snapshot_row,
					       &p);
	if (r >= 0 && p.n == 0)
		html_raw(&h, "<tr class=\"empty\"><td colspan=\"4\">None stored.</td></tr>");
	html_raw(&h, "</tbody></table></div></section></div></div>");
	if (r < 0) {
		html_done(&h);
		return r;
	}
	return ui_answer_html(req, 200, &h);
}

static void device_json_facts(yajl_gen g, const struct fleet_device *d)
{
	const struct {
		const char *key, *value;
	} texts[] = {
		{ "device_id", d->device_id },
		{ "hostname", d->hostname },
		{ "owner", d->owner },
		{ "serial", d->serial },
		{ "os", d->os },
		{ "agent_version", d->agent_version },
		{ "policy_id", d->policy_id },
		{ "key_storage", d->key_storage },
		{ "identity", d->identity_state },
		{ "certificate_serial", d->cert_serial },
	};

	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		table_json_member(g, texts[i].key, texts[i].value[0] ? texts[i].value : NULL);
	}
	table_json_member(g, "status", fleet_status_name(d->status));
	table_json_member(g, "compliance", compliance_names[d->compliance]);
	json_int(g, "failing", d->failing);
	json_int(g, "policy_serial", d->policy_serial);
	json_int(g, "first_seen", d->first_seen);
	json_int(g, "last_seen", d->last_seen);
	json_int(g, "last_snapshot", d->last_snapshot);
	json_int(g, "interval_seconds", d->interval_seconds);
	json_int(g, "watched_per_mille", d->watched_per_mille);
	json_int(g, "records_lost", d->records_lost);
	json_int(g, "kernel_lost", d->kernel_lost);
	json_bool(g, "agent_healthy", d->agent_healthy);
	json_int(g, "enrolled", d->enrolled);
	json_int(g, "certificate_expires", d->cert_not_after);
}

static int device_json(struct ui_request *req, const struct fleet_device *d)
{
	_cleanup_(html_done) struct html out = {};
	struct device_page p = { .req = req, .device_id = d->device_id };
	int r;

	r = table_json_gen_new(&out, &p.gen);
	if (r < 0)
		return r;
	yajl_gen_map_open(p.gen);
	device_json_facts(p.gen, d);
	json_key(p.gen, "checks");
	yajl_gen_array_open(p.gen);
	r = store_fleet_device_checks(req->store, req->now, d->device_id, check_row_json, &p);
	yajl_gen_array_close(p.gen);
	json_key(p.gen, "findings");
	yajl_gen_array_open(p.gen);
	if (r >= 0)
		r = store_fleet_device_records(req->store, d->device_id, 2003, 20, finding_row, &p);
	yajl_gen_array_close(p.gen);
	yajl_gen_map_close(p.gen);
	yajl_gen_free(p.gen);
	if (r < 0)
		return r;
	return ui_answer_data(req, &out, NULL);
}

int ui_device(struct ui_request *req, const char *device_id)
{
	_cleanup_free_ struct fleet_device *d = NULL;
	int r;

	if (!ingest_is_id128(device_id, strlen(device_id)))
		return ui_answer_error(req, 404, "A device id is 32 lowercase hex digits.");
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = store_fleet_device(req->store, req->now, device_id, d);
	if (r == -ENOENT)
		return ui_answer_error(req, 404, "This collector knows no such device.");
	if (r < 0)
		return r;
	if (req->format == UI_JSON)
		return device_json(req, d);
	return device_html(req, d);
}
