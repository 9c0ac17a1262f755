// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view's listener: who is asking (authentication before routing,
 * as in server.c), which page in which format, the forms (read by
 * libmicrohttpd's post processor, CSRF-checked), and the answer with its
 * security headers.  The pages themselves are ui_<page>.c's.  Same loop
 * model as server.c: one thread, the store read between two batches.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/log.h"
#include "basic/time-util.h"
#include "httpd.h"
#include "net.h"
#include "peer.h"
#include "ui-internal.h"

#define HEADER_REMOTE_USER "X-Remote-User"
#define HEADER_REMOTE_ROLE "X-Remote-Role"

struct ui {
	struct MHD_Daemon *daemon;
	struct httpd *httpd;
	struct store *store;
	struct export *export;
	bool certificates;
	bool trust_proxy;
	uint8_t csrf_key[32];
	struct ratelimit log_rejects;
	struct httpd_log log_mhd;
};

static const char *const role_names[] = {
	[UI_VIEWER] = "viewer",
	[UI_OPERATOR] = "operator",
	[UI_ADMIN] = "admin",
};

const char *ui_role_name(enum ui_role role)
{
	return (unsigned)role < ELEMENTSOF(role_names) ? role_names[role] : "viewer";
}

static int role_from_name(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(role_names); i++)
		if (strcmp(name, role_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* --- answers --------------------------------------------------------------------------------- */

static int ui_answer(struct ui_request *req, unsigned status, const char *content_type, char *body,
		     size_t size)
{
	free(req->body);
	req->status = status;
	req->content_type = content_type;
	req->body = body;
	req->size = size;
	return 0;
}

int ui_answer_html(struct ui_request *req, unsigned status, struct html *h)
{
	char *body = NULL;
	size_t size = 0;
	int r;

	html_page_end(h);
	r = html_finish(h, &body, &size);
	if (r < 0)
		return r;
	return ui_answer(req, status, "text/html; charset=utf-8", body, size);
}

int ui_answer_json(struct ui_request *req, yajl_gen g)
{
	const unsigned char *buf;
	size_t size;
	char *body;

	if (yajl_gen_get_buf(g, &buf, &size) != yajl_gen_status_ok)
		return -EINVAL;
	body = malloc(size + 1);
	if (!body)
		return -ENOMEM;
	memcpy(body, buf, size);
	body[size] = '\n';
	return ui_answer(req, MHD_HTTP_OK, "application/json", body, size + 1);
}

int ui_answer_data(struct ui_request *req, struct html *out, const char *filename)
{
	char *body = NULL;
	size_t size = 0;
	int r;

	r = html_finish(out, &body, &size);
	if (r < 0)
		return r;
	if (req->format == UI_CSV) {
		snprintf(req->filename, sizeof(req->filename), "%s", filename);
		return ui_answer(req, MHD_HTTP_OK, "text/csv; charset=utf-8; header=present", body,
				 size);
	}
	return ui_answer(req, MHD_HTTP_OK, "application/json", body, size);
}

int ui_table_begin(struct ui_request *req, struct table *t, const struct table_column *columns,
		   size_t n_columns, struct html *h, struct html *out, yajl_gen gen)
{
	switch (req->format) {
	case UI_CSV:
		return table_begin(t, TABLE_CSV, columns, n_columns, out, NULL);
	case UI_JSON:
		return table_begin(t, TABLE_JSON, columns, n_columns, out, gen);
	default:
		return table_begin(t, TABLE_HTML, columns, n_columns, h, NULL);
	}
}

int ui_answer_error(struct ui_request *req, unsigned status, const char *message)
{
	if (req->format == UI_HTML) {
		struct html h = {};

		ui_page_begin(req, &h, "Error", HTML_NAV_NONE);
		html_raw(&h, "<section class=\"error\"><h1>");
		html_int(&h, status);
		html_raw(&h, "</h1><p>");
		html_text(&h, message);
		html_raw(&h, "</p><p><a href=\"/\">Back to the overview</a></p></section>");
		return ui_answer_html(req, status, &h);
	} else {
		_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
		int r;

		if (!g)
			return -ENOMEM;
		yajl_gen_config(g, yajl_gen_validate_utf8, 1);
		yajl_gen_map_open(g);
		yajl_gen_string(g, (const unsigned char *)"error", 5);
		yajl_gen_string(g, (const unsigned char *)message, strlen(message));
		yajl_gen_map_close(g);
		r = ui_answer_json(req, g);
		req->status = status;
		return r;
	}
}

int ui_answer_redirect(struct ui_request *req, const char *location)
{
	snprintf(req->location, sizeof(req->location), "%s", location);
	return ui_answer(req, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", NULL, 0);
}

void ui_page_begin(struct ui_request *req, struct html *h, const char *title, enum html_nav nav)
{
	html_page_begin(h, title, nav, req->user, ui_role_name(req->role));
}

static enum MHD_Result ui_queue(struct ui_request *req)
{
	struct MHD_Response *response;
	enum MHD_Result result;
	char disposition[192];

	response = MHD_create_response_from_buffer(req->size, req->body ? req->body : (void *)"",
						   req->body ? MHD_RESPMEM_MUST_FREE :
							       MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	req->body = NULL; /* the response owns it now */
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type) !=
		    MHD_YES ||
	    /* No script, no frames, no outside anything: a hostile value cannot run. */
	    MHD_add_response_header(response, "Content-Security-Policy", html_csp) != MHD_YES ||
	    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(response, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(response, "Referrer-Policy", "no-referrer") != MHD_YES ||
	    MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin") !=
		    MHD_YES ||
	    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") !=
		    MHD_YES ||
	    (req->location[0] && MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION,
							 req->location) != MHD_YES)) {
		MHD_destroy_response(response);
		return MHD_NO;
	}
	if (req->filename[0]) {
		snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"",
			 req->filename);
		if (MHD_add_response_header(response, "Content-Disposition", disposition) !=
		    MHD_YES) {
			MHD_destroy_response(response);
			return MHD_NO;
		}
	}
	result = MHD_queue_response(req->connection, req->status, response);
	MHD_destroy_response(response);
	if (result == MHD_YES)
		req->answered = true;
	return result;
}

/* --- who is asking --------------------------------------------------------------------------- */

static bool address_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* A name a header gives: printable ASCII or UTF-8, no control characters, bounded. */
static bool name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= UI_NAME_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * Fills req->user and req->role, or answers 401 (nobody said who) or 403
 * (someone we do not take: a device, a bad certificate, an unknown role).
 */
static int ui_authenticate(struct ui_request *req, char *reason, size_t reason_size)
{
	struct ui *ui = req->ui;
	const union MHD_ConnectionInfo *info;
	char role[32] = "";
	const char *user, *header_role;
	int r = -ENOKEY;

	if (ui->certificates) {
		info = MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		r = peer_identify_person(info ? (gnutls_session_t)info->tls_session : NULL,
					 req->user, sizeof(req->user), role, sizeof(role), reason,
					 reason_size);
		if (r >= 0) {
			r = role_from_name(role);
			if (r < 0) {
				snprintf(reason, reason_size,
					 "the certificate's role (OU) '%.32s' is not viewer, "
					 "operator or admin",
					 role);
				return -EPERM;
			}
			req->role = (enum ui_role)r;
			return 0;
		}
		if (r != -ENOKEY)
			return -EPERM;
	}
	if (ui->trust_proxy) {
		info = MHD_get_connection_info(req->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!info || !info->client_addr || !address_is_loopback(info->client_addr)) {
			snprintf(reason, reason_size,
				 "sign in through the company's single sign-on, or with a "
				 "client certificate");
			return -ENOKEY;
		}
		user = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
						   HEADER_REMOTE_USER);
		header_role = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
							  HEADER_REMOTE_ROLE);
		if (!user || !name_is_valid(user)) {
			snprintf(reason, reason_size,
				 "the sign-on proxy did not say who you are (" HEADER_REMOTE_USER
				 ")");
			return -ENOKEY;
		}
		r = header_role ? role_from_name(header_role) : -EINVAL;
		if (r < 0) {
			snprintf(reason, reason_size,
				 "the sign-on proxy gave no role you may have (" HEADER_REMOTE_ROLE
				 ": viewer, operator or admin)");
			return -EPERM;
		}
		snprintf(req->user, sizeof(req->user), "%s", user);
		req->role = (enum ui_role)r;
		return 0;
	}
	if (r == -ENOKEY)
		snprintf(reason, reason_size,
			 "a client certificate from the company's people CA is needed");
	return r;
}

/* --- parameters and forms -------------------------------------------------------------------- */

const char *ui_arg(struct ui_request *req, const char *name)
{
	const char *v = MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);

	if (!v || !v[0] || strlen(v) > UI_ARG_MAX)
		return NULL;
	return v;
}

int64_t ui_arg_int(struct ui_request *req, const char *name, int64_t fallback)
{
	const char *v = ui_arg(req, name);
	int64_t n = 0;

	if (!v)
		return fallback;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
			return fallback;
		n = n * 10 + (*p - '0');
	}
	return n;
}

void ui_csrf_token(struct ui_request *req, char buf[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mac_size = 0;
	char data[UI_NAME_MAX + 16];
	int n;

	/* Bound to the person and the role: a token seen by one is no use to another. */
	n = snprintf(data, sizeof(data), "%s\n%s", req->user, ui_role_name(req->role));
	if (!HMAC(EVP_sha256(), req->ui->csrf_key, sizeof(req->ui->csrf_key),
		  (const unsigned char *)data, (size_t)n, mac, &mac_size))
		mac_size = 0;
	for (unsigned i = 0; i < 32 && i < mac_size; i++)
		snprintf(buf + 2 * i, 3, "%02x", mac[i]);
	buf[2 * MIN(mac_size, 32u)] = '\0';
}

static bool form_field(char *dst, size_t size, const char *data, size_t off, size_t n,
		       struct ui_form *form)
{
	size_t have = strnlen(dst, size);

	if (off != have || n >= size - have) {
		form->too_long = true;
		return false;
	}
	memcpy(dst + have, data, n);
	dst[have + n] = '\0';
	return true;
}

static enum MHD_Result ui_form_iterate(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *filename, const char *content_type,
				       const char *transfer_encoding, const char *data,
				       uint64_t off, size_t size)
{
	struct ui_form *f = cls;
	static const struct {
		const char *key;
		size_t offset, size;
	} fields[] = {
		{ "csrf", offsetof(struct ui_form, csrf), sizeof(((struct ui_form *)0)->csrf) },
		{ "device", offsetof(struct ui_form, device),
		  sizeof(((struct ui_form *)0)->device) },
		{ "rule", offsetof(struct ui_form, rule), sizeof(((struct ui_form *)0)->rule) },
		{ "reason", offsetof(struct ui_form, reason),
		  sizeof(((struct ui_form *)0)->reason) },
		{ "expires", offsetof(struct ui_form, expires),
		  sizeof(((struct ui_form *)0)->expires) },
	};

	if (filename)
		return MHD_YES; /* no uploads here */
	for (size_t i = 0; i < ELEMENTSOF(fields); i++)
		if (strcmp(key, fields[i].key) == 0) {
			form_field((char *)f + fields[i].offset, fields[i].size, data, (size_t)off,
				   size, f);
			break;
		}
	return MHD_YES;
}

/*
 * A form must come from one of our pages: its token, and where the browser
 * says (Sec-Fetch-Site, Origin) it comes from when it says so.
 */
static bool ui_form_trusted(struct ui_request *req)
{
	const char *site, *origin, *host, *p;
	char want[65];

	site = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return false;
	origin = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Origin");
	host = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (origin && strcmp(origin, "null") != 0) {
		p = strstr(origin, "://");
		if (!host || !p || strcasecmp(p + 3, host) != 0)
			return false;
	}
	ui_csrf_token(req, want);
	return strlen(req->form.csrf) == strlen(want) && want[0] &&
	       CRYPTO_memcmp(req->form.csrf, want, strlen(want)) == 0;
}

/* --- routing ---------------------------------------------------------------------------------- */

/* The first bad query parameter, in words, for a 400. */
struct arg_check {
	char error[128];
};

static enum MHD_Result ui_arg_check(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct arg_check *c = cls;
	bool numeric = strcmp(key, "offset") == 0 || strcmp(key, "limit") == 0;

	if (value && strlen(value) > UI_ARG_MAX) {
		snprintf(c->error, sizeof(c->error),
			 "The parameter '%.32s' is longer than %d bytes.", key, UI_ARG_MAX);
		return MHD_NO;
	}
	if (numeric && value &&
	    (!value[0] || strlen(value) > 9 || strspn(value, "0123456789") != strlen(value))) {
		snprintf(c->error, sizeof(c->error),
			 "The parameter '%s' must be a whole number below a billion.", key);
		return MHD_NO;
	}
	return MHD_YES;
}

/* A path's id after prefix ("/devices/ID"): NULL when the path is not that. */
static const char *path_id(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(path, prefix, n) != 0 || !path[n] || strchr(path + n, '/'))
		return NULL;
	return path + n;
}

static int ui_route_get(struct ui_request *req)
{
	const char *path = req->path, *id;

	if (strcmp(path, "/") == 0 || strcmp(path, "/summary") == 0)
		return ui_overview(req);
	if (strcmp(path, "/devices") == 0)
		return ui_devices(req);
	if ((id = path_id(path, "/devices/")))
		return ui_device(req, id);
	if (strcmp(path, "/rules") == 0)
		return ui_rules(req);
	if ((id = path_id(path, "/rules/")))
		return ui_rule(req, id);
	if (strcmp(path, "/exemptions") == 0)
		return ui_exemptions(req);
	if (strcmp(path, "/export") == 0)
		return ui_export(req, req->ui->export);
	return ui_answer_error(req, MHD_HTTP_NOT_FOUND, "There is no such page.");
}

static int ui_route_post(struct ui_request *req)
{
	const char *path = req->path;
	char *end;
	long long id;

	if (req->role < UI_OPERATOR)
		return ui_answer_error(req, MHD_HTTP_FORBIDDEN,
				       "Your role (viewer) may look, not change: exemptions need "
				       "the operator or admin role.");
	if (req->form.too_long)
		return ui_answer_error(req, MHD_HTTP_BAD_REQUEST,
				       "A field of the form is longer than it may be.");
	if (!ui_form_trusted(req))
		return ui_answer_error(req, MHD_HTTP_FORBIDDEN,
				       "This form did not come from this page (its token does not "
				       "match); load the page again and resend it.");
	if (strcmp(path, "/exemptions") == 0)
		return ui_exemption_create(req);
	if (strncmp(path, "/exemptions/", 12) == 0) {
		errno = 0;
		id = strtoll(path + 12, &end, 10);
		if (errno == 0 && id > 0 && strcmp(end, "/end") == 0)
			return ui_exemption_end(req, id);
	}
	return ui_answer_error(req, MHD_HTTP_NOT_FOUND, "There is no such form.");
}

/* The first call: who, what, in which format.  Answers at once when it can go no further. */
static enum MHD_Result ui_begin(struct ui_request *req, const char *url, const char *method)
{
	struct ui *ui = req->ui;
	char reason[256] = "";
	const char *format;
	int r;

	req->now = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
	if (strncmp(url, "/api/v1/", 8) == 0) {
		req->format = UI_JSON;
		url += 7;
	}
	snprintf(req->path, sizeof(req->path), "%s", url);
	format = ui_arg(req, "format");
	if (req->format == UI_HTML && format && strcmp(format, "csv") == 0)
		req->format = UI_CSV;

	r = ui_authenticate(req, reason, sizeof(reason));
	if (r < 0) {
		if (ratelimit_below(&ui->log_rejects))
			log_warning("Fleet view: refusing a request: %s", reason);
		if (req->format == UI_CSV)
			req->format = UI_HTML;
		(void)ui_answer_error(
			req, r == -ENOKEY ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_FORBIDDEN, reason);
		return ui_queue(req);
	}

	{
		struct arg_check check = {};

		(void)MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND,
						ui_arg_check, &check);
		if (check.error[0]) {
			if (req->format == UI_CSV)
				req->format = UI_HTML;
			(void)ui_answer_error(req, MHD_HTTP_BAD_REQUEST, check.error);
			return ui_queue(req);
		}
	}
	if (strcmp(url, "/static/style.css") == 0 &&
	    (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0))
		return MHD_YES;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
		const char *length = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_CONTENT_LENGTH);

		/* Refused before the body is read: libmicrohttpd cannot answer in the middle. */
		if (length &&
		    (strlen(length) > 9 || strspn(length, "0123456789") != strlen(length) ||
		     strtoul(length, NULL, 10) > UI_FORM_MAX)) {
			(void)ui_answer_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
					      "The form is larger than this collector accepts.");
			return ui_queue(req);
		}
		req->post = true;
		req->pp = MHD_create_post_processor(req->connection, 4096, ui_form_iterate,
						    &req->form);
		if (!req->pp) {
			(void)ui_answer_error(req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					      "A form must be sent as "
					      "application/x-www-form-urlencoded.");
			return ui_queue(req);
		}
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		(void)ui_answer_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "Use GET or POST.");
		return ui_queue(req);
	}
	/* Answered on the next call, as server.c does (libmicrohttpd 0.9.75). */
	return MHD_YES;
}

static enum MHD_Result ui_finish(struct ui_request *req)
{
	int r;

	if (strcmp(req->path, "/static/style.css") == 0) {
		char *css = strdup(html_stylesheet);

		if (!css)
			return MHD_NO;
		(void)ui_answer(req, MHD_HTTP_OK, "text/css; charset=utf-8", css, strlen(css));
		return ui_queue(req);
	}
	r = req->post ? ui_route_post(req) : ui_route_get(req);
	if (r < 0) {
		if (ratelimit_below(&req->ui->log_rejects))
			log_error_errno(r, "Fleet view: failed to answer %s: %m (%s)", req->path,
					store_last_error(req->store));
		if (r == -ENOMEM || ui_answer_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
						    "The collector cannot answer this right "
						    "now; try again in a moment.") < 0)
			return MHD_NO;
	}
	return ui_queue(req);
}

static enum MHD_Result ui_handle(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct ui_request *req = *con_cls;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->ui = cls;
		req->store = req->ui->store;
		req->connection = c;
		*con_cls = req;
		return ui_begin(req, url, method);
	}
	if (*upload_data_size > 0) {
		size_t size = *upload_data_size;

		*upload_data_size = 0;
		if (req->answered || !req->pp)
			return MHD_YES;
		if (size > UI_FORM_MAX - req->form_size) {
			MHD_destroy_post_processor(req->pp);
			req->pp = NULL;
			(void)ui_answer_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
					      "The form is larger than this collector accepts.");
			return ui_queue(req);
		}
		req->form_size += size;
		if (MHD_post_process(req->pp, upload_data, size) != MHD_YES) {
			(void)ui_answer_error(req, MHD_HTTP_BAD_REQUEST,
					      "The form cannot be read.");
			return ui_queue(req);
		}
		return MHD_YES;
	}
	if (req->answered)
		return MHD_YES;
	return ui_finish(req);
}

static void ui_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ui_request *req = *con_cls;

	if (!req)
		return;
	if (req->pp)
		MHD_destroy_post_processor(req->pp);
	free(req->body);
	free(req);
	*con_cls = NULL;
}

void ui_set_export(struct ui *ui, struct export *export)
{
	ui->export = export;
}

int ui_new(sd_event *e, int listen_fd, const struct ui_options *o, struct store *store,
	   struct ui **ret)
{
	_cleanup_close_ int fd = listen_fd;
	_cleanup_(ui_freep) struct ui *ui = NULL;
	int r;

	ui = calloc(1, sizeof(*ui));
	if (!ui)
		return -ENOMEM;
	ui->store = store;
	ui->certificates = o->trust != NULL;
	ui->trust_proxy = o->trust_proxy;
	ui->log_rejects = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);
	ui->log_mhd = (struct httpd_log){ .prefix = "Fleet view: ",
					  .rate = RATELIMIT_INIT(10 * USEC_PER_SEC, 20) };
	if (RAND_bytes(ui->csrf_key, sizeof(ui->csrf_key)) != 1)
		return -EIO;

	{
		/* The people's CA, when there is one: client certificates are asked for. */
		struct MHD_OptionItem options[] = {
			{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)httpd_mhd_log, &ui->log_mhd },
			{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
			{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->cert },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->key },
			{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)o->priorities },
			{ MHD_OPTION_CONNECTION_LIMIT, o->max_connections, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_sec, NULL },
			{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)ui_completed, ui },
			{ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL },
			{ o->trust ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
			  (void *)o->trust },
			{ MHD_OPTION_END, 0, NULL },
		};

		ui->daemon = MHD_start_daemon(MHD_USE_TLS | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
					      NULL, NULL, ui_handle, ui, MHD_OPTION_ARRAY, options,
					      MHD_OPTION_END);
	}
	if (!ui->daemon)
		return -EINVAL; /* libmicrohttpd has logged why */
	TAKE_FD(fd);
	r = httpd_new(e, ui->daemon, &ui->httpd);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(ui);
	return 0;
}

struct ui *ui_free(struct ui *ui)
{
	if (!ui)
		return NULL;
	ui->httpd = httpd_free(ui->httpd);
	if (ui->daemon)
		MHD_stop_daemon(ui->daemon);
	free(ui);
	return NULL;
}
