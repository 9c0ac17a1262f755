// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /export: the OCSF export log for the SOC and how far each forwarder has
 * got with it: records exported, and per destination forwarded, pending and
 * since when, passed over and lost (from the cursors the forwarders keep
 * beside the log).  One table, as every page's: /api/v1/export is the same
 * as JSON, ?format=csv the destinations as CSV.
 */
#include <errno.h>
#include <string.h>

#include "basic/json-util.h"
#include "export.h"
#include "export_read.h"
#include "ui-internal.h"

static const struct table_column destination_columns[] = {
	{ "name", "Forwarder", TABLE_TEXT },
	{ "destination", "To", TABLE_TEXT },
	{ "forwarded", "Forwarded", TABLE_INTEGER },
	{ "pending", "Pending", TABLE_INTEGER },
	{ "oldest_pending", "Oldest pending, received", TABLE_TIME },
	{ "filtered", "Not taken", TABLE_INTEGER },
	{ "lost", "Lost", TABLE_INTEGER },
	{ "state", "State", TABLE_STATE },
	{ "error", "Why not", TABLE_TEXT },
	{ "updated", "Cursor written", TABLE_TIME },
};

static int destination_row(const struct export_destination *d, void *userdata)
{
	struct table *t = userdata;

	table_cell_text(t, d->cursor.name, NULL);
	table_cell_text(t, d->cursor.destination, NULL);
	table_cell_int(t, (int64_t)d->cursor.forwarded);
	table_cell_int(t, (int64_t)d->pending);
	table_cell_time(t, d->pending > 0 ? d->oldest_pending_ms : 0);
	table_cell_int(t, (int64_t)d->cursor.filtered);
	table_cell_int(t, (int64_t)d->cursor.lost);
	table_cell_state(t, d->cursor.connected ? "connected" : "disconnected");
	table_cell_text(t, d->cursor.error[0] ? d->cursor.error : NULL, NULL);
	table_cell_time(t, d->cursor.updated_ms);
	return t->error < 0 ? t->error : 0;
}

static void export_summary_html(struct html *h, const struct export_counters *c)
{
	html_raw(h, "<p>");
	html_int(h, (int64_t)(c->next - 1));
	html_raw(h, " records in the OCSF export log (");
	html_int(h, (int64_t)c->exported);
	html_raw(h, " since the collector started), in ");
	html_int(h, (int64_t)c->files);
	html_raw(h, " files.");
	if (c->failed) {
		html_raw(h, " <strong>");
		html_int(h, (int64_t)c->failed);
		html_raw(h, " batches could not be written to it and were refused (the devices "
			    "send them again).</strong>");
	}
	html_raw(h, "</p><p class=\"note\">Not taken: records of classes or severities the "
		    "forwarder does not send. A forwarder starts at the oldest record kept."
		    "</p>");
}

static void export_summary_json(yajl_gen g, const struct ui_request *req,
				const struct export_counters *c)
{
	json_int(g, "time", req->now);
	json_key(g, "enabled");
	yajl_gen_bool(g, c != NULL);
	if (!c)
		return;
	json_u64(g, "exported_since_start", c->exported);
	json_u64(g, "exported", c->next - 1);
	json_u64(g, "files", c->files);
	json_u64(g, "append_failures", c->failed);
}

int ui_export(struct ui_request *req, struct export *export)
{
	_cleanup_(html_done) struct html out = {};
	struct export_counters counters;
	struct html h = {};
	yajl_gen gen = NULL;
	struct table t;
	int r;

	if (export)
		export_get_counters(export, &counters);
	if (req->format == UI_HTML) {
		ui_page_begin(req, &h, "SOC export", HTML_NAV_EXPORT);
		html_raw(&h, "<section class=\"panel\"><h1>SOC export</h1>");
		if (!export) {
			html_raw(&h, "<p>This collector writes no export log for a SIEM. Start it "
				     "with <code>--export-dir</code> and run a forwarder "
				     "(<code>posture-collector forward</code>) for each SIEM; see "
				     "docs/soc.md.</p></section>");
			return ui_answer_html(req, 200, &h);
		}
		export_summary_html(&h, &counters);
	} else if (req->format == UI_JSON) {
		r = table_json_gen_new(&out, &gen);
		if (r < 0)
			return r;
		yajl_gen_map_open(gen);
		export_summary_json(gen, req, export ? &counters : NULL);
		json_key(gen, "destinations");
	}
	r = ui_table_begin(req, &t, destination_columns, ELEMENTSOF(destination_columns), &h, &out,
			   gen);
	if (r >= 0 && export)
		r = export_destinations(export_dir(export), counters.next, destination_row, &t);
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
	if (req->format != UI_HTML)
		return ui_answer_data(req, &out, "export.csv");
	html_raw(&h, "</section>");
	return ui_answer_html(req, 200, &h);
}
