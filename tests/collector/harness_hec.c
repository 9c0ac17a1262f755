// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "basic/json-util.h"
#include "harness_file.h"
#include "harness_hec.h"

#define HEC_BODY_MAX (64 << 20)

struct hec_request {
	char *body;
	size_t size;
	bool too_large;
};

static char *hec_cert, *hec_key;
static pthread_mutex_t hec_lock = PTHREAD_MUTEX_INITIALIZER;

/* The end of the JSON object starting at p (past its '}'), or NULL. */
static const char *object_end(const char *p, const char *end)
{
	int depth = 0;
	bool in_string = false;

	for (; p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if ((*p == '}' || *p == ']') && --depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* Each envelope's "event" into the file, one a line; false when one is not HEC's shape. */
static bool hec_store(struct hec *h, const char *body, size_t size)
{
	const char *p = body, *end = body + size;
	const char *event_path[] = { "event", NULL }, *time_path[] = { "time", NULL },
		   *source_path[] = { "source", NULL }, *type_path[] = { "sourcetype", NULL };
	yajl_gen g = yajl_gen_alloc(NULL);
	bool ok = true;
	FILE *f;

	pthread_mutex_lock(&hec_lock);
	f = fopen(h->out_path, "a");
	while (f && g && p < end && ok) {
		const char *e = object_end(p, end);
		char *copy;
		yajl_val root, event;
		const unsigned char *buf;
		size_t len;

		if (!e)
			break;
		copy = strndup(p, (size_t)(e - p));
		root = copy ? yajl_tree_parse(copy, NULL, 0) : NULL;
		event = root ? yajl_tree_get(root, event_path, yajl_t_object) : NULL;
		ok = event && yajl_tree_get(root, time_path, yajl_t_number) &&
		     yajl_tree_get(root, source_path, yajl_t_string) &&
		     yajl_tree_get(root, type_path, yajl_t_string);
		if (ok) {
			yajl_gen_clear(g);
			yajl_gen_reset(g, NULL);
			json_gen_tree(g, event, 64);
			yajl_gen_get_buf(g, &buf, &len);
			fwrite(buf, 1, len, f);
			fputc('\n', f);
		}
		yajl_tree_free(root);
		free(copy);
		p = e;
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\r'))
			p++;
	}
	if (f)
		fclose(f);
	yajl_gen_free(g);
	pthread_mutex_unlock(&hec_lock);
	return ok && f && p == end;
}

static enum MHD_Result hec_answer(struct MHD_Connection *c, unsigned status, const char *json)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result q;

	MHD_add_response_header(r, "Content-Type", "application/json");
	q = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return q;
}

static enum MHD_Result hec_handle(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct hec *h = cls;
	struct hec_request *req = *con_cls;
	const char *auth;
	char want[96];

	(void)version;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (!req->too_large && req->size + *data_size <= HEC_BODY_MAX) {
			char *p = realloc(req->body, req->size + *data_size + 1);

			if (!p)
				return MHD_NO;
			memcpy(p + req->size, data, *data_size);
			req->body = p;
			req->size += *data_size;
			req->body[req->size] = '\0';
		} else {
			req->too_large = true;
		}
		*data_size = 0;
		return MHD_YES;
	}
	h->requests++;
	if (strcmp(method, "POST") != 0 || strcmp(url, "/services/collector/event") != 0)
		return hec_answer(c, 404,
				  "{\"text\":\"The requested URL was not found\",\"code\":404}");
	snprintf(want, sizeof(want), "Splunk %s", h->token);
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!auth || strcmp(auth, want) != 0) {
		h->refused++;
		return hec_answer(c, 401, "{\"text\":\"Invalid authorization\",\"code\":3}");
	}
	if (h->down) {
		h->refused++;
		return hec_answer(c, 503, "{\"text\":\"Server is busy\",\"code\":9}");
	}
	if (req->too_large || !hec_store(h, req->body ? req->body : "", req->size)) {
		h->bad_envelopes++;
		return hec_answer(c, 400, "{\"text\":\"Invalid data format\",\"code\":6}");
	}
	return hec_answer(c, 200, "{\"text\":\"Success\",\"code\":0}");
}

static void hec_done(void *cls, struct MHD_Connection *c, void **con_cls,
		     enum MHD_RequestTerminationCode toe)
{
	struct hec_request *req = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (req) {
		free(req->body);
		free(req);
	}
	*con_cls = NULL;
}

int hec_start(struct hec *h, const char *pki, const char *token, const char *out_path)
{
	char cert_path[600], key_path[600];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;
	size_t size;

	file_path(cert_path, sizeof(cert_path), pki, "collector.crt");
	file_path(key_path, sizeof(key_path), pki, "collector.key");
	if ((!hec_cert && file_read(cert_path, &hec_cert, &size) < 0) ||
	    (!hec_key && file_read(key_path, &hec_key, &size) < 0))
		return -1;
	snprintf(h->token, sizeof(h->token), "%s", token);
	snprintf(h->out_path, sizeof(h->out_path), "%s", out_path);
	h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL,
				     hec_handle, h, MHD_OPTION_SOCK_ADDR, &a,
				     MHD_OPTION_HTTPS_MEM_CERT, hec_cert, MHD_OPTION_HTTPS_MEM_KEY,
				     hec_key, MHD_OPTION_NOTIFY_COMPLETED, hec_done, h,
				     MHD_OPTION_END);
	if (!h->daemon)
		return -1;
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	return h->port > 0 ? 0 : -1;
}

void hec_stop(struct hec *h)
{
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	h->daemon = NULL;
}
