/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the fleet view's files share: the request, its answer, and the pages. */
#ifndef POSTURED_COLLECTOR_UI_INTERNAL_H
#define POSTURED_COLLECTOR_UI_INTERNAL_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "basic/json-util.h"
#include "html.h"
#include "store_fleet.h"
#include "table.h"
#include "ui.h"

#define UI_NAME_MAX   128
#define UI_ARG_MAX    256 /* a query parameter's value */
#define UI_FORM_MAX   (16 * 1024) /* a form's body */
#define UI_PAGE_SIZE  50
#define UI_EXPORT_MAX (256u * 1024 * 1024) /* one CSV or JSON export, built whole */

enum ui_role {
	UI_VIEWER,
	UI_OPERATOR,
	UI_ADMIN,
};

const char *ui_role_name(enum ui_role role);

enum ui_format {
	UI_HTML,
	UI_JSON, /* /api/v1/... */
	UI_CSV, /* ?format=csv */
};

/* The fields of the fleet view's forms, as posted. */
struct ui_form {
	char csrf[128];
	char device[64];
	char rule[FACTS_ID_MAX];
	char reason[FACTS_TEXT_MAX];
	char expires[64];
	bool too_long; /* a field longer than its buffer: refused, not cut */
};

struct ui_request {
	struct ui *ui;
	struct store *store;
	struct MHD_Connection *connection;
	enum ui_format format;
	int64_t now;
	char user[UI_NAME_MAX];
	enum ui_role role;
	bool answered;

	/* A POST: its form, read by libmicrohttpd's post processor. */
	bool post;
	struct MHD_PostProcessor *pp;
	size_t form_size;
	struct ui_form form;
	char path[512];

	/* The answer, built by a page. */
	unsigned status;
	const char *content_type;
	char *body;
	size_t size;
	char location[512]; /* a redirect after a form (303) */
	char filename[128]; /* a CSV download's name */
};

/* The value of query parameter name, NULL when absent or empty (ui.c refused longer ones). */
const char *ui_arg(struct ui_request *req, const char *name);

/* A non-negative integer parameter; fallback when absent or not one. */
int64_t ui_arg_int(struct ui_request *req, const char *name, int64_t fallback);

/* The token a form of this person must carry (CSRF), hex. */
void ui_csrf_token(struct ui_request *req, char buf[65]);

/* The page frame, for the person asking. */
void ui_page_begin(struct ui_request *req, struct html *h, const char *title, enum html_nav nav);

/* Answers h's page (ended here) with status; takes h's buffer.  Returns 0 or -errno. */
int ui_answer_html(struct ui_request *req, unsigned status, struct html *h);

/* Answers g's JSON.  Returns 0 or -errno. */
int ui_answer_json(struct ui_request *req, yajl_gen g);

/*
 * Answers out's bytes (taken) as the request's format: JSON, or CSV as a
 * download named filename.  Returns 0 or -errno.
 */
int ui_answer_data(struct ui_request *req, struct html *out, const char *filename);

/* A table in the request's format: into h for a page, else into out (with *gen for JSON). */
int ui_table_begin(struct ui_request *req, struct table *t, const struct table_column *columns,
		   size_t n_columns, struct html *h, struct html *out, yajl_gen gen);

/* Answers an error in the request's format: a page, or {"error": message}. */
int ui_answer_error(struct ui_request *req, unsigned status, const char *message);

/* After a form: 303 to location. */
int ui_answer_redirect(struct ui_request *req, const char *location);

/* The device list's filter from the query, with the values as given (for the links). */
struct ui_devices_query {
	struct fleet_device_filter filter;
	const char *status, *compliance, *state;
};

/* Reads q from the request's parameters (rule, when not NULL, is the rule's page's): 0, or -EINVAL with why in error. */
int ui_devices_query_parse(struct ui_request *req, const char *rule, struct ui_devices_query *q,
			   char *error, size_t error_size);

/*
 * The devices of q in the request's format: a table and its pager in h for
 * a page (path is the page's, for the links), else answered as CSV or JSON.
 */
int ui_devices_list(struct ui_request *req, struct ui_devices_query *q, struct html *h,
		    const char *path);

/* The rules' table, least met first (at most limit rows, 0: all), into a page. */
int ui_rules_table(struct ui_request *req, struct html *h, size_t limit);

/* The pages (ui_overview.c, ui_devices.c, ui_rules.c, ui_exemptions.c). */
int ui_overview(struct ui_request *req);
int ui_devices(struct ui_request *req);
int ui_device(struct ui_request *req, const char *device_id);
int ui_rules(struct ui_request *req);
int ui_rule(struct ui_request *req, const char *rule_id);
int ui_exemptions(struct ui_request *req);
int ui_exemption_create(struct ui_request *req);
int ui_exemption_end(struct ui_request *req, int64_t id);
int ui_export(struct ui_request *req, struct export *export);

#endif
