// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /export: the OCSF export log for the SOC and how far each forwarder has
 * got with it: records exported, forwarded, pending and the age of the
 * oldest pending one, per destination (from the cursors the forwarders keep
 * beside the log).  /api/v1/export is the same as JSON.
 */
#include <errno.h>
#include <string.h>

#include "basic/json-util.h"
#include "export.h"
#include "export_read.h"
#include "ui-internal.h"

#define EXPORT_DESTINATIONS_MAX 64

struct ui_destinations {
	struct export_destination d[EXPORT_DESTINATIONS_MAX];
	size_t n;
};

static int destination_add(const struct export_destination *d, void *userdata)
{
	struct ui_destinations *ds = userdata;

	if (ds->n < EXPORT_DESTINATIONS_MAX)
		ds->d[ds->n++] = *d;
	return 0;
}

static int64_t pending_age_ms(const struct ui_request *req, const struct export_destination *d)
{
	return d->oldest_pending_ms > 0 && req->now > d->oldest_pending_ms ?
		       req->now - d->oldest_pending_ms :
		       0;
}

static int export_json(struct ui_request *req, const struct export_counters *c,
		       const struct ui_destinations *ds)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	json_int(g, "time", req->now);
	json_key(g, "enabled");
	yajl_gen_bool(g, c != NULL);
	if (c) {
		json_u64(g, "exported_since_start", c->exported);
		json_u64(g, "exported", c->next - 1);
		json_u64(g, "files", c->files);
		json_u64(g, "append_failures", c->failed);
		json_key(g, "destinations");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < ds->n; i++) {
			const struct export_destination *d = &ds->d[i];

			yajl_gen_map_open(g);
			json_str(g, "name", d->cursor.name);
			json_str(g, "destination", d->cursor.destination);
			json_u64(g, "forwarded", d->cursor.forwarded);
			json_u64(g, "pending", d->pending);
			json_int(g, "oldest_pending_ms", pending_age_ms(req, d));
			json_u64(g, "filtered", d->cursor.filtered);
			json_u64(g, "lost", d->cursor.lost);
			json_key(g, "connected");
			yajl_gen_bool(g, d->cursor.connected);
			json_int(g, "updated", d->cursor.updated_ms);
			json_str(g, "error", d->cursor.error);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	return ui_answer_json(req, g);
}

static void cell_int(struct html *h, int64_t v)
{
	html_raw(h, "<td class=\"num\">");
	html_int(h, v);
	html_raw(h, "</td>");
}

static int export_html(struct ui_request *req, const struct export_counters *c,
		       const struct ui_destinations *ds)
{
	struct html h = {};

	ui_page_begin(req, &h, "SOC export", HTML_NAV_EXPORT);
	html_raw(&h, "<section class=\"panel\"><h1>SOC export</h1>");
	if (!c) {
		html_raw(&h, "<p>This collector writes no export log for a SIEM. Start it with "
			     "<code>--export-dir</code> and run a forwarder "
			     "(<code>posture-collector forward</code>) for each SIEM; see "
			     "docs/soc.md.</p></section>");
		return ui_answer_html(req, 200, &h);
	}
	html_raw(&h, "<p>");
	html_int(&h, (int64_t)(c->next - 1));
	html_raw(&h, " records in the OCSF export log (");
	html_int(&h, (int64_t)c->exported);
	html_raw(&h, " since the collector started), in ");
	html_int(&h, (int64_t)c->files);
	html_raw(&h, " files.");
	if (c->failed) {
		html_raw(&h, " <strong>");
		html_int(&h, (int64_t)c->failed);
		html_raw(&h, " batches could not be written to it and were refused (the devices "
			     "send them again).</strong>");
	}
	html_raw(&h, "</p>");
	if (ds->n == 0) {
		html_raw(&h, "<p>No forwarder has read it yet.</p></section>");
		return ui_answer_html(req, 200, &h);
	}
	html_raw(&h, "<table><thead><tr><th>Forwarder</th><th>To</th><th>Forwarded</th>"
		     "<th>Pending</th><th>Oldest pending</th><th>Not taken</th><th>Lost</th>"
		     "<th>State</th></tr></thead><tbody>");
	for (size_t i = 0; i < ds->n; i++) {
		const struct export_destination *d = &ds->d[i];

		html_raw(&h, "<tr><td>");
		html_text(&h, d->cursor.name);
		html_raw(&h, "</td><td>");
		html_text(&h, d->cursor.destination);
		html_raw(&h, "</td>");
		cell_int(&h, (int64_t)d->cursor.forwarded);
		cell_int(&h, (int64_t)d->pending);
		html_raw(&h, "<td>");
		if (d->pending > 0 && d->oldest_pending_ms > 0)
			html_ago(&h, req->now, d->oldest_pending_ms);
		else
			html_raw(&h, "—");
		html_raw(&h, "</td>");
		cell_int(&h, (int64_t)d->cursor.filtered);
		cell_int(&h, (int64_t)d->cursor.lost);
		html_raw(&h, "<td>");
		if (d->cursor.error[0])
			html_text(&h, d->cursor.error);
		else
			html_raw(&h, d->cursor.connected || d->pending == 0 ? "sending" :
									      "not connected");
		html_raw(&h, ", updated ");
		html_ago(&h, req->now, d->cursor.updated_ms);
		html_raw(&h, "</td></tr>");
	}
	html_raw(&h, "</tbody></table><p class=\"note\">Not taken: records of classes or "
		     "severities the forwarder does not send.</p></section>");
	return ui_answer_html(req, 200, &h);
}

int ui_export(struct ui_request *req, struct export *export)
{
	struct export_counters counters;
	struct ui_destinations *ds;
	int r = 0;

	if (req->format == UI_CSV)
		return ui_answer_error(req, 400, "This page has no CSV form.");
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return -ENOMEM;
	if (export) {
		export_get_counters(export, &counters);
		r = export_destinations(export_dir(export), counters.next, destination_add, ds);
	}
	if (r >= 0)
		r = req->format == UI_JSON ? export_json(req, export ? &counters : NULL, ds) :
					     export_html(req, export ? &counters : NULL, ds);
	free(ds);
	return r;
}
