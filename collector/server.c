// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Threading and loop model: one thread.  libmicrohttpd runs without threads of
 * its own in external epoll mode (MHD_USE_EPOLL): its epoll fd is one I/O
 * source of the collector's sd-event loop, and MHD_get_timeout() arms one
 * timer source, so MHD_run() is called exactly when it has work.  The same
 * loop handles SIGTERM/SIGINT/SIGHUP and the watchdog.  So the store has a
 * single writer and needs no locks, a SIGHUP policy swap can never race an
 * answer being built, and shutdown happens between requests, never inside
 * a transaction.  The price: a batch's SQLite commit (one fsync) delays the
 * other connections for that long; a collector that outgrows it gets an
 * ingest thread or PostgreSQL, not a thread per connection.
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>

#include "basic/log.h"
#include "basic/time-util.h"
#include "basic/json-util.h"
#include "export.h"
#include "ingest.h"
#include "net.h"
#include "pace.h"
#include "est.h"
#include "est_hook.h"
#include "httpd.h"
#include "peer.h"
#include "server.h"
#include "store_fleet.h"

#define CONTENT_TYPE_JSON   "application/json"
#define CONTENT_TYPE_NDJSON "application/x-ndjson"
#define RETRY_AFTER_SEC	    "30"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct MHD_Response *, MHD_destroy_response);

struct server {
	sd_event *event;
	struct MHD_Daemon *daemon;
	struct httpd *httpd;
	struct store *store;
	struct export *export; /* NULL: no export log */
	struct server_limits limits;
	size_t pending; /* bytes held by bodies being received */
	struct pace pace; /* how busy batches keep the loop; when to ask devices to wait */
	struct ratelimit log_pace;

	const struct est *est; /* NULL: no enrollment, no CRL */
	struct ratelimit log_enroll;
	/* Requests suspended while the external CA makes their certificate. */
	struct request *hooked;
	unsigned n_hooked;

	struct feed *policy;
	struct MHD_Response *policy_ok;
	struct MHD_Response *policy_not_modified;

	/* Anything an outsider can trigger is logged at a bounded rate. */
	struct ratelimit log_rejects;
	struct ratelimit log_store;
	struct ratelimit log_export;
	struct httpd_log log_mhd;
};

enum route {
	ROUTE_NONE,
	ROUTE_REPORTS,
	ROUTE_POLICY,
	ROUTE_EST_CACERTS,
	ROUTE_EST_ENROLL,
	ROUTE_EST_REENROLL,
	ROUTE_CRL,
};

static const struct {
	const char *path;
	const char *methods; /* for Allow */
} routes[] = {
	[ROUTE_REPORTS] = { "/v1/reports", "POST" },
	[ROUTE_POLICY] = { "/v1/policy", "GET, HEAD" },
	[ROUTE_EST_CACERTS] = { EST_PATH_CACERTS, "GET, HEAD" },
	[ROUTE_EST_ENROLL] = { EST_PATH_SIMPLEENROLL, "POST" },
	[ROUTE_EST_REENROLL] = { EST_PATH_SIMPLEREENROLL, "POST" },
	[ROUTE_CRL] = { EST_PATH_CRL, "GET, HEAD" },
};

static enum route route_find(const char *url)
{
	for (size_t i = 1; i < ELEMENTSOF(routes); i++)
		if (strcmp(url, routes[i].path) == 0)
			return (enum route)i;
	return ROUTE_NONE;
}

/* The PKI routes, which answer clients without a certificate (enrollment, relying parties). */
static bool route_is_pki(enum route route)
{
	return route >= ROUTE_EST_CACERTS;
}

/* One HTTP request, from its headers to the end of its answer. */
struct request {
	struct server *server;
	enum route route;
	bool answered; /* a response is queued: any further upload is ignored */
	bool gzip;
	unsigned retry_after; /* of a 503, seconds; 0: RETRY_AFTER_SEC */
	struct peer peer; /* who the client certificate says; with has_peer */
	bool has_peer;
	char address[NET_ADDRESS_MAX];
	size_t max_body; /* for this route */
	char *body;
	size_t size;
	size_t allocated;

	/* Waiting for the external CA (est_hook.h): suspended, answered when it ends. */
	struct MHD_Connection *connection;
	struct est_pending pending;
	struct est_hook_job *job;
	struct est_answer hook_answer;
	bool hook_done;
	struct request *hooked_next, *hooked_prev;
};

static void request_free_body(struct request *req)
{
	req->server->pending -= req->allocated;
	free(req->body);
	req->body = NULL;
	req->size = req->allocated = 0;
}

static enum MHD_Result queue(struct request *req, struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *response)
{
	enum MHD_Result r = MHD_queue_response(c, status, response);

	if (r == MHD_YES)
		req->answered = true;
	return r;
}

static struct MHD_Response *response_json(const char *json, size_t size)
{
	struct MHD_Response *response;

	response = MHD_create_response_from_buffer(size, (void *)json, MHD_RESPMEM_MUST_COPY);
	if (!response)
		return NULL;
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_JSON) !=
	    MHD_YES) {
		MHD_destroy_response(response);
		return NULL;
	}
	return response;
}

/*
 * Answers {"error": reason} (and "line": K when line > 0) with status.
 * Errors that a retry may cure (503) carry Retry-After; 405 carries Allow.
 */
static enum MHD_Result respond_error(struct request *req, struct MHD_Connection *c, unsigned status,
				     const char *reason, unsigned line)
{
	_cleanup_(MHD_destroy_responsep) struct MHD_Response *response = NULL;
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	const unsigned char *json;
	size_t size;

	g = yajl_gen_alloc(NULL);
	if (!g)
		return MHD_NO;
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"error", 5);
	yajl_gen_string(g, (const unsigned char *)reason, strlen(reason));
	if (line > 0) {
		yajl_gen_string(g, (const unsigned char *)"line", 4);
		yajl_gen_integer(g, line);
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &json, &size) != yajl_gen_status_ok)
		return MHD_NO;

	response = response_json((const char *)json, size);
	if (!response)
		return MHD_NO;
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE) {
		char after[16];

		snprintf(after, sizeof(after), "%u", req->retry_after);
		if (MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER,
					    req->retry_after ? after : RETRY_AFTER_SEC) != MHD_YES)
			return MHD_NO;
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, routes[req->route].methods) !=
		    MHD_YES)
		return MHD_NO;
	if (status == MHD_HTTP_UNAUTHORIZED && route_is_pki(req->route) &&
	    MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				    "Bearer realm=\"postured enrollment\"") != MHD_YES)
		return MHD_NO;
	return queue(req, c, status, response);
}

static enum MHD_Result respond_acked(struct request *req, struct MHD_Connection *c,
				     int64_t acked_seq)
{
	_cleanup_(MHD_destroy_responsep) struct MHD_Response *response = NULL;
	char json[64];
	int n;

	n = snprintf(json, sizeof(json), "{\"acked_seq\":%" PRId64 "}", acked_seq);
	response = response_json(json, (size_t)n);
	if (!response)
		return MHD_NO;
	return queue(req, c, MHD_HTTP_OK, response);
}

/*
 * Who the peer is: its certificate's identity in req->peer when it sent
 * one that verifies.  The reports and the policy need one that is not
 * revoked; the PKI routes take a client without one (a token enrolls it)
 * but not one with a bad one.  Answers 401/403/503 itself and returns false
 * when the request goes no further.
 */
static bool request_authenticate(struct request *req, struct MHD_Connection *c,
				 enum MHD_Result *ret_result)
{
	struct server *s = req->server;
	const union MHD_ConnectionInfo *info;
	char reason[256] = "";
	int r;

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!info || !info->client_addr ||
	    net_format_address(info->client_addr, false, req->address) < 0)
		snprintf(req->address, sizeof(req->address), "unknown");

	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	r = peer_identify(info ? (gnutls_session_t)info->tls_session : NULL, &req->peer, reason,
			  sizeof(reason));
	if (r == -ENOKEY && route_is_pki(req->route))
		return true;
	if (r >= 0) {
		req->has_peer = true;
		r = store_device_access(s->store, req->peer.device_id, req->peer.serial);
		if (r >= 0)
			return true;
		if (r == -EPERM) {
			snprintf(reason, sizeof(reason),
				 "device %s or this certificate of it is revoked",
				 req->peer.device_id);
			r = -EKEYREJECTED;
		} else {
			if (ratelimit_below(&s->log_store))
				log_error_errno(r, "Failed to look up device %s: %s",
						req->peer.device_id, store_last_error(s->store));
			*ret_result = respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
						    "the collector cannot check devices right now",
						    0);
			return false;
		}
	}

	if (ratelimit_below(&s->log_rejects))
		log_warning("Refusing a request from %s: %s", req->address, reason);
	/* No certificate is "who are you" (401); a bad one is "not you" (403). */
	*ret_result = respond_error(
		req, c, r == -ENOKEY ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_FORBIDDEN, reason, 0);
	return false;
}

/* Whether a header value is `want`, ignoring case and parameters (";charset=..."). */
static bool media_type_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	while (*value == ' ' || *value == '\t')
		value++;
	if (strncasecmp(value, want, n) != 0)
		return false;
	value += n;
	while (*value == ' ' || *value == '\t')
		value++;
	return *value == '\0' || *value == ';';
}

/* Strict decimal, no sign, no overflow. */
static int parse_content_length(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

/* The first call for a request: headers only.  Decides everything it can before the body. */
static enum MHD_Result request_begin(struct request *req, struct MHD_Connection *c, const char *url,
				     const char *method)
{
	struct server *s = req->server;
	enum MHD_Result result = MHD_NO;
	const char *v;
	uint64_t length;

	req->max_body = s->limits.max_body;
	req->route = route_find(url);
	if (route_is_pki(req->route) && !s->est)
		req->route = ROUTE_NONE; /* this collector does not enroll */

	/* Nothing, not even whether a URL exists, is told to an unauthenticated peer. */
	if (!request_authenticate(req, c, &result))
		return result;
	if (req->route == ROUTE_NONE)
		return respond_error(req, c, MHD_HTTP_NOT_FOUND, "no such resource", 0);

	if (req->route != ROUTE_REPORTS && req->route != ROUTE_EST_ENROLL &&
	    req->route != ROUTE_EST_REENROLL) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return respond_error(req, c, MHD_HTTP_METHOD_NOT_ALLOWED,
					     "use GET for this resource", 0);
		/*
		 * Answered on the next call: libmicrohttpd 0.9.75 closes the
		 * connection after an answer queued with the headers alone.
		 */
		return MHD_YES;
	}
	if (req->route != ROUTE_REPORTS) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return respond_error(req, c, MHD_HTTP_METHOD_NOT_ALLOWED,
					     "use POST for enrollment", 0);
		req->max_body = EST_MAX_BODY;
		v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (v && parse_content_length(v, &length) >= 0 && length > req->max_body)
			return respond_error(req, c, MHD_HTTP_CONTENT_TOO_LARGE,
					     "an enrollment request is at most 24 KiB", 0);
		return MHD_YES;
	}

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return respond_error(req, c, MHD_HTTP_METHOD_NOT_ALLOWED,
				     "use POST for /v1/reports", 0);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!v || !media_type_is(v, CONTENT_TYPE_NDJSON))
		return respond_error(req, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				     "Content-Type must be " CONTENT_TYPE_NDJSON, 0);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (v && (media_type_is(v, "gzip") || media_type_is(v, "x-gzip")))
		req->gzip = true;
	else if (v && !media_type_is(v, "identity"))
		return respond_error(req, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				     "Content-Encoding must be gzip or identity", 0);

	/* A declared length over the limit is refused before a byte of the body is read. */
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (v && parse_content_length(v, &length) >= 0 && length > req->max_body) {
		if (ratelimit_below(&s->log_rejects))
			log_warning("Refusing a body of %" PRIu64 " bytes from device %s (%s).",
				    length, req->peer.device_id, req->address);
		return respond_error(req, c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "request body is larger than this collector accepts", 0);
	}
	/* Catching up with a fleet: some devices are asked to come back later, before their body. */
	req->retry_after = pace_refuse(&s->pace, now_usec(CLOCK_MONOTONIC));
	if (req->retry_after > 0) {
		if (ratelimit_below(&s->log_pace))
			log_info("Asking devices to send again in %u s or more: taking batches in "
				 "kept the loop %.0f%% busy in the last second.",
				 req->retry_after,
				 100 * pace_share(&s->pace, now_usec(CLOCK_MONOTONIC)));
		return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "the collector is catching up; send again after Retry-After",
				     0);
	}
	return MHD_YES;
}

/* A piece of the body.  Bounded per request and for all requests together. */
static enum MHD_Result request_append(struct request *req, struct MHD_Connection *c,
				      const char *data, size_t size)
{
	struct server *s = req->server;

	if (size > req->max_body - req->size) {
		request_free_body(req);
		if (ratelimit_below(&s->log_rejects))
			log_warning("Refusing a body over %zu bytes from device %s (%s).",
				    s->limits.max_body, req->peer.device_id, req->address);
		/*
		 * A body without Content-Length (chunked) found too large on the
		 * way.  Where libmicrohttpd cannot answer in the middle of an
		 * upload, queueing fails and MHD_NO closes the connection:
		 * reading on would let a client hold it with an endless body.
		 */
		return respond_error(req, c, MHD_HTTP_CONTENT_TOO_LARGE,
				     "request body is larger than this collector accepts", 0);
	}
	if (req->size + size > req->allocated) {
		size_t want = MIN(MAX(req->allocated * 2, req->size + size), req->max_body);
		size_t growth = want - req->allocated;
		char *p;

		if (growth > s->limits.max_pending - s->pending) {
			request_free_body(req);
			return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
					     "the collector is busy, try again later", 0);
		}
		p = realloc(req->body, want);
		if (!p) {
			request_free_body(req);
			return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
					     "the collector is out of memory", 0);
		}
		req->body = p;
		req->allocated = want;
		s->pending += growth;
	}
	memcpy(req->body + req->size, data, size);
	req->size += size;
	return MHD_YES;
}

static int64_t now_ms(void)
{
	return (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
}

struct export_batch {
	struct server *server;
	struct export_context context;
};

/*
 * The new records of a batch into the export log, before the store commits
 * them: a crash between the two repeats them in the log when the device
 * resends, and leaves none out.
 */
static int export_before_commit(const struct record *records, const bool *fresh, size_t n,
				void *userdata)
{
	const struct export_batch *b = userdata;
	struct export_context ctx = b->context;
	struct server *s = b->server;
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	char owner[FACTS_NAME_MAX];
	const unsigned char *buf;
	size_t size, n_fresh = 0;
	bool any = false;
	int r;

	/* A resend of what is stored already: nothing to export, nothing to look up. */
	for (size_t i = 0; i < n && !any; i++)
		any = fresh[i];
	if (!any)
		return 0;
	r = store_fleet_owner(s->store, ctx.device_id, owner, sizeof(owner));
	if (r < 0)
		return r;
	ctx.owner = owner;
	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!fresh[i])
			continue;
		r = export_line_append(g, &records[i], &ctx);
		if (r < 0)
			return r;
		n_fresh++;
	}
	if (yajl_gen_get_buf(g, &buf, &size) != yajl_gen_status_ok)
		return -ENOMEM;
	r = export_append(s->export, (const char *)buf, size, n_fresh);
	if (r < 0 && ratelimit_below(&s->log_export))
		log_error_errno(r, "Failed to append %zu record(s) to the export log in %s: %m",
				n_fresh, export_dir(s->export));
	return r;
}

/* The whole body is in: decode, validate every line, store in one transaction, answer. */
static enum MHD_Result request_finish_reports(struct request *req, struct MHD_Connection *c)
{
	struct server *s = req->server;
	_cleanup_free_ char *inflated = NULL;
	_cleanup_(ingest_batch_done) struct ingest_batch batch = {};
	struct ingest_error error = {};
	const char *body = req->body ? req->body : "";
	size_t size = req->size;
	struct export_batch ctx;
	const struct store_batch_hook hook = { .before_commit = export_before_commit,
					       .userdata = &ctx };
	int64_t acked = 0, received;
	int r;

	if (req->gzip) {
		r = ingest_inflate(body, size, s->limits.max_inflated, &inflated, &size);
		if ((r == -EFBIG || r == -EBADMSG) && ratelimit_below(&s->log_rejects))
			log_warning("Refusing a gzip body from device %s (%s): %s.",
				    req->peer.device_id, req->address,
				    r == -EFBIG ? "inflates past the limit" : "not valid gzip");
		if (r == -EFBIG)
			return respond_error(req, c, MHD_HTTP_CONTENT_TOO_LARGE,
					     "inflated request body is larger than this collector "
					     "accepts",
					     0);
		if (r == -ENOMEM)
			return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
					     "the collector is out of memory", 0);
		if (r < 0)
			return respond_error(req, c, MHD_HTTP_BAD_REQUEST,
					     "request body is not a valid gzip stream", 0);
		request_free_body(req);
		body = inflated;
	}

	r = ingest_parse(body, size, s->limits.max_line, req->peer.device_id, &batch, &error);
	if (r == -EBADMSG) {
		if (ratelimit_below(&s->log_rejects))
			log_warning("Refusing a batch from device %s (%s): line %u: %s",
				    req->peer.device_id, req->address, error.line, error.reason);
		return respond_error(req, c, MHD_HTTP_BAD_REQUEST, error.reason, error.line);
	}
	if (r < 0)
		return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "the collector is out of memory", 0);
	if (batch.n_uid_mismatch > 0 && ratelimit_below(&s->log_rejects))
		log_warning("Device %s (%s) sent %zu record(s) naming another device.uid; "
			    "stored under the certificate's identity.",
			    req->peer.device_id, req->address, batch.n_uid_mismatch);

	received = now_ms();
	ctx = (struct export_batch){ .server = s,
				     .context = { .device_id = req->peer.device_id,
						  .received_ms = received } };
	r = store_batch(s->store, req->peer.device_id, req->address, received, batch.records,
			batch.n_records, s->export ? &hook : NULL, &acked);
	if (r == -EILSEQ) {
		/* An escape ingest allows (a lone surrogate) that PostgreSQL refuses: no retry helps. */
		if (ratelimit_below(&s->log_rejects))
			log_warning("Refusing a batch from device %s (%s): %s", req->peer.device_id,
				    req->address, store_last_error(s->store));
		return respond_error(req, c, MHD_HTTP_BAD_REQUEST,
				     "a record holds text the store cannot keep (not UTF-8 once "
				     "decoded)",
				     0);
	}
	if (r < 0) {
		/* The agents keep their spools and retry after Retry-After. */
		if (ratelimit_below(&s->log_store))
			log_error_errno(r, "Failed to store %zu record(s) from device %s: %s",
					batch.n_records, req->peer.device_id,
					store_last_error(s->store));
		return respond_error(req, c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "the collector cannot store reports right now", 0);
	}
	log_debug("Stored %zu record(s) from device %s, acked_seq=%" PRId64, batch.n_records,
		  req->peer.device_id, acked);
	return respond_acked(req, c, acked);
}

static enum MHD_Result request_finish_policy(struct request *req, struct MHD_Connection *c)
{
	struct server *s = req->server;
	const char *v;

	if (!s->policy)
		return respond_error(req, c, MHD_HTTP_NOT_FOUND, "this collector serves no policy",
				     0);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (v && feed_etag_matches(s->policy, v))
		return queue(req, c, MHD_HTTP_NOT_MODIFIED, s->policy_not_modified);
	return queue(req, c, MHD_HTTP_OK, s->policy_ok);
}

static void log_enrollment(struct request *req, const struct est_answer *a)
{
	struct server *s = req->server;
	const char *what = req->route == ROUTE_EST_REENROLL ? "renewal" : "enrollment";

	if (!ratelimit_below(&s->log_enroll))
		return;
	if (a->status == MHD_HTTP_OK)
		log_info("Issued a certificate (%s) to %s%s%s.", what, req->address,
			 req->has_peer ? ", device " : "",
			 req->has_peer ? req->peer.device_id : "");
	else
		log_warning("Refused an %s from %s%s%s with %u: %s", what, req->address,
			    req->has_peer ? ", device " : "",
			    req->has_peer ? req->peer.device_id : "", a->status, a->reason);
}

/* Queues an EST or CRL answer (its body is the response's from here). */
static enum MHD_Result respond_pki(struct request *req, struct MHD_Connection *c,
				   struct est_answer *a)
{
	_cleanup_(MHD_destroy_responsep) struct MHD_Response *response = NULL;

	if (a->status != MHD_HTTP_OK) {
		est_answer_done(a);
		return respond_error(req, c, a->status, a->reason, 0);
	}
	response = MHD_create_response_from_buffer(a->size, a->body, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		est_answer_done(a);
		return MHD_NO;
	}
	a->body = NULL; /* the response's */
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type) !=
		    MHD_YES ||
	    (req->route != ROUTE_CRL &&
	     MHD_add_response_header(response, "Content-Transfer-Encoding", "base64") != MHD_YES))
		return MHD_NO;
	return queue(req, c, MHD_HTTP_OK, response);
}

static void hooked_remove(struct request *req)
{
	struct server *s = req->server;

	if (req->hooked_prev)
		req->hooked_prev->hooked_next = req->hooked_next;
	else if (s->hooked == req)
		s->hooked = req->hooked_next;
	if (req->hooked_next)
		req->hooked_next->hooked_prev = req->hooked_prev;
	req->hooked_next = req->hooked_prev = NULL;
	s->n_hooked--;
}

/* The external CA ended: take its certificate (or its failure), and resume the request. */
static void on_hook_done(bool ok, const char *output, size_t size, const char *why, void *userdata)
{
	struct request *req = userdata;
	struct server *s = req->server;

	if (ok)
		est_enroll_certificate(s->est, &req->pending, output, size, &req->hook_answer);
	else
		req->hook_answer = (struct est_answer){ .status = MHD_HTTP_SERVICE_UNAVAILABLE };
	if (!ok)
		snprintf(req->hook_answer.reason, sizeof(req->hook_answer.reason), "%s", why);
	if (!ok && ratelimit_below(&s->log_store))
		log_error("The external CA %s made no certificate for %s: %s", s->est->hook,
			  req->pending.info.device_id, why);
	req->hook_done = true;
	hooked_remove(req);
	MHD_resume_connection(req->connection);
	(void)httpd_dispatch(s->httpd);
}

/* The EST answers and the CRL (est.c), built now that the body is in. */
static enum MHD_Result request_finish_pki(struct request *req, struct MHD_Connection *c)
{
	struct server *s = req->server;
	struct est_answer a = {};
	const char *format;
	int r;

	switch (req->route) {
	case ROUTE_EST_CACERTS:
		est_cacerts(s->est, &a);
		break;
	case ROUTE_CRL:
		format = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
		est_crl(s->est, format && strcmp(format, "pem") == 0, now_ms(), &a);
		break;
	default: {
		struct est_request er = {
			.renewal = req->route == ROUTE_EST_REENROLL,
			.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								     MHD_HTTP_HEADER_AUTHORIZATION),
			.peer = req->has_peer ? &req->peer : NULL,
			.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								    MHD_HTTP_HEADER_CONTENT_TYPE),
			.body = req->body,
			.size = req->size,
			.address = req->address,
			.now = now_ms(),
		};

		if (req->hook_done) {
			/* Resumed: the external CA has answered. */
			a = req->hook_answer;
			req->hook_answer = (struct est_answer){};
		} else if (est_enroll_check(s->est, &er, &req->pending, &a)) {
			if (!s->est->hook) {
				est_enroll_sign(s->est, &req->pending, &a);
			} else {
				/* Suspended until the company's CA program answers. */
				r = est_hook_start(s->event, s->est->hook, &req->pending,
						   s->est->lifetime_sec, on_hook_done, req,
						   &req->job);
				if (r >= 0) {
					req->connection = c;
					req->hooked_next = s->hooked;
					if (s->hooked)
						s->hooked->hooked_prev = req;
					s->hooked = req;
					s->n_hooked++;
					MHD_suspend_connection(c);
					return MHD_YES;
				}
				log_error_errno(r, "Failed to run the external CA %s: %m",
						s->est->hook);
				a = (struct est_answer){ .status = MHD_HTTP_SERVICE_UNAVAILABLE };
				snprintf(a.reason, sizeof(a.reason),
					 "the collector cannot reach its CA right now");
			}
		}
		log_enrollment(req, &a);
		break;
	}
	}
	return respond_pki(req, c, &a);
}

static enum MHD_Result server_handle(void *cls, struct MHD_Connection *c, const char *url,
				     const char *method, const char *version,
				     const char *upload_data, size_t *upload_data_size,
				     void **con_cls)
{
	struct server *s = cls;
	struct request *req = *con_cls;

	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		req->server = s;
		*con_cls = req;
		return request_begin(req, c, url, method);
	}
	if (*upload_data_size > 0) {
		size_t size = *upload_data_size;

		*upload_data_size = 0;
		if (req->answered)
			return MHD_YES;
		return request_append(req, c, upload_data, size);
	}
	if (req->answered)
		return MHD_YES;
	switch (req->route) {
	case ROUTE_REPORTS: {
		uint64_t start = now_usec(CLOCK_MONOTONIC);
		enum MHD_Result result = request_finish_reports(req, c);

		pace_busy(&req->server->pace, start, now_usec(CLOCK_MONOTONIC));
		return result;
	}
	case ROUTE_POLICY:
		return request_finish_policy(req, c);
	default:
		return request_finish_pki(req, c);
	}
}

static void server_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
				     enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	if (!req)
		return;
	request_free_body(req);
	est_hook_job_free(req->job);
	est_pending_done(&req->pending);
	est_answer_done(&req->hook_answer);
	free(req);
	*con_cls = NULL;
}

int server_new(sd_event *e, int listen_fd, const struct server_tls *tls,
	       const struct server_limits *limits, struct store *store, const struct est *est,
	       struct server **ret)
{
	_cleanup_close_ int fd = listen_fd;
	_cleanup_(server_freep) struct server *s = NULL;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(e);
	s->store = store;
	s->est = est;
	s->limits = *limits;
	s->log_enroll = RATELIMIT_INIT(10 * USEC_PER_SEC, 50);
	s->log_rejects = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);
	s->log_store = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);
	s->log_export = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);
	s->log_pace = RATELIMIT_INIT(10 * USEC_PER_SEC, 1);
	pace_init(&s->pace, limits->shed_above, now_usec(CLOCK_MONOTONIC),
		  now_usec(CLOCK_REALTIME) ^ (uint64_t)getpid());
	s->log_mhd =
		(struct httpd_log){ .prefix = "", .rate = RATELIMIT_INIT(10 * USEC_PER_SEC, 20) };

	/* The logger first, so every message of the start goes through it. */
	s->daemon = MHD_start_daemon(
		MHD_USE_TLS | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
		NULL, server_handle, s, MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_log, &s->log_mhd,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_HTTPS_MEM_CERT, tls->cert,
		MHD_OPTION_HTTPS_MEM_KEY, tls->key, MHD_OPTION_HTTPS_MEM_TRUST, tls->trust,
		MHD_OPTION_HTTPS_PRIORITIES, tls->priorities, MHD_OPTION_CONNECTION_LIMIT,
		limits->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits->max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, limits->timeout_sec, MHD_OPTION_NOTIFY_COMPLETED,
		server_request_completed, s, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
	if (!s->daemon)
		return -EINVAL; /* libmicrohttpd has logged why */
	TAKE_FD(fd); /* the daemon owns and closes it now */

	r = httpd_new(e, s->daemon, &s->httpd);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(s);
	return 0;
}

struct server *server_free(struct server *s)
{
	if (!s)
		return NULL;
	s->httpd = httpd_free(s->httpd);
	/* Suspended requests must be resumed for the daemon to stop: their CA programs go. */
	while (s->hooked) {
		struct request *req = s->hooked;

		req->job = est_hook_job_free(req->job);
		hooked_remove(req);
		MHD_resume_connection(req->connection);
	}
	/* Ends every connection; their request_completed() calls run in here. */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->policy_ok)
		MHD_destroy_response(s->policy_ok);
	if (s->policy_not_modified)
		MHD_destroy_response(s->policy_not_modified);
	feed_free(s->policy);
	sd_event_unref(s->event);
	free(s);
	return NULL;
}

static int policy_add_headers(struct MHD_Response *response, const struct feed *feed,
			      bool with_body_headers)
{
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_ETAG, feed->etag) != MHD_YES ||
	    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES)
		return -ENOMEM;
	if (!with_body_headers)
		return 0;
	if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE_JSON) !=
		    MHD_YES ||
	    MHD_add_response_header(response, "X-Postured-Signature", feed->signature) != MHD_YES ||
	    MHD_add_response_header(response, "X-Postured-Signature-Algorithm", "ed25519") !=
		    MHD_YES)
		return -ENOMEM;
	return 0;
}

void server_set_export(struct server *s, struct export *export)
{
	s->export = export;
}

int server_set_policy(struct server *s, struct feed *feed)
{
	_cleanup_(feed_freep) struct feed *f = feed;
	_cleanup_(MHD_destroy_responsep) struct MHD_Response *ok = NULL, *not_modified = NULL;

	if (f) {
		/*
		 * Built once per policy and shared by every GET: MHD counts
		 * references, so a response still being sent keeps its bytes
		 * after a reload replaces it here.
		 */
		ok = MHD_create_response_from_buffer(f->size, f->data, MHD_RESPMEM_MUST_COPY);
		not_modified = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!ok || !not_modified || policy_add_headers(ok, f, true) < 0 ||
		    policy_add_headers(not_modified, f, false) < 0)
			return -ENOMEM;
	}

	if (s->policy_ok)
		MHD_destroy_response(s->policy_ok);
	if (s->policy_not_modified)
		MHD_destroy_response(s->policy_not_modified);
	feed_free(s->policy);
	s->policy_ok = TAKE_PTR(ok);
	s->policy_not_modified = TAKE_PTR(not_modified);
	s->policy = TAKE_PTR(f);
	return 0;
}
