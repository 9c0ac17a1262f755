// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An HTTP event collector for the forwarder: Splunk's HEC JSON event format
 * (POST /services/collector/event, "Authorization: Splunk TOKEN", a body of
 * event objects one after another), through libcurl with OpenSSL.  Events are
 * gathered into a batch, posted when it is full or when the forwarder asks
 * how far delivery has got; a 200 whose answer has "code": 0 delivers the
 * whole batch, anything else none of it (the forwarder sends it again).
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "forward.h"

#define HEC_BATCH_EVENTS 500
#define HEC_BATCH_BYTES	 (4 << 20)
#define HEC_ANSWER_MAX	 4096
#define HEC_TIMEOUT_MS	 30000L

struct forward_transport {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char *buf;
	size_t len, allocated;
	uint64_t queued, confirmed; /* events in buf; delivered before them */
	char answer[HEC_ANSWER_MAX];
	size_t answer_len;
};

static void hec_close(struct forward_transport *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->buf);
	free(c);
}

static size_t hec_on_answer(char *data, size_t size, size_t n, void *userdata)
{
	struct forward_transport *c = userdata;
	size_t take = MIN(size * n, sizeof(c->answer) - 1 - c->answer_len);

	memcpy(c->answer + c->answer_len, data, take);
	c->answer_len += take;
	c->answer[c->answer_len] = '\0';
	return size * n; /* the rest of a long answer is not needed */
}

static int hec_connect(const struct forward_target *t, struct forward_transport **ret, char *why,
		       size_t why_size)
{
	_cleanup_erase_free_ char *auth = NULL;
	struct forward_transport *c;

	if (!t->token) {
		snprintf(why, why_size, "no HEC token (--token-file)");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* An IPv6 address goes in brackets. */
	if (asprintf(&c->url, strchr(t->host, ':') ? "https://[%s]:%s%s" : "https://%s:%s%s",
		     t->host, t->port, t->path[0] ? t->path : "/services/collector/event") < 0 ||
	    asprintf(&auth, "Authorization: Splunk %s", t->token) < 0) {
		c->url = NULL;
		hec_close(c);
		return -ENOMEM;
	}
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, auth);
	if (c->headers)
		c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
	if (!c->curl || !c->headers) {
		hec_close(c);
		return -ENOMEM;
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_CAINFO, t->ca);
	curl_easy_setopt(c->curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (t->cert) {
		curl_easy_setopt(c->curl, CURLOPT_SSLCERT, t->cert);
		curl_easy_setopt(c->curl, CURLOPT_SSLKEY, t->key);
	}
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, HEC_TIMEOUT_MS);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, hec_on_answer);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	*ret = c;
	return 0;
}

/* The answer's "code" (0: success) and "text", when it is HEC's JSON. */
static void hec_answer(const struct forward_transport *c, long long *ret_code, char *text,
		       size_t text_size)
{
	const char *code_path[] = { "code", NULL }, *text_path[] = { "text", NULL };
	_cleanup_free_ char *copy = strndup(c->answer, c->answer_len);
	yajl_val root = copy ? yajl_tree_parse(copy, NULL, 0) : NULL, v;

	*ret_code = -1;
	snprintf(text, text_size, "%.*s", (int)MIN(c->answer_len, (size_t)200), c->answer);
	if (!root)
		return;
	v = yajl_tree_get(root, code_path, yajl_t_number);
	if (v && YAJL_IS_INTEGER(v))
		*ret_code = YAJL_GET_INTEGER(v);
	v = yajl_tree_get(root, text_path, yajl_t_string);
	if (v)
		snprintf(text, text_size, "%s", YAJL_GET_STRING(v));
	yajl_tree_free(root);
}

static int hec_flush(struct forward_transport *c, char *why, size_t why_size)
{
	long status = 0;
	long long code;
	char text[256];
	CURLcode cc;

	if (c->queued == 0)
		return 0;
	c->answer_len = 0;
	c->answer[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, c->buf);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->len);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		snprintf(why, why_size, "cannot post to %s: %s", c->url, curl_easy_strerror(cc));
		return -ECONNREFUSED;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	hec_answer(c, &code, text, sizeof(text));
	if (status != 200 || code != 0) {
		snprintf(why, why_size, "%s answered %ld: %s", c->url, status, text);
		return status == 401 || status == 403 ? -EACCES : -EIO;
	}
	c->confirmed += c->queued;
	c->queued = 0;
	c->len = 0;
	return 0;
}

static int hec_send(struct forward_transport *c, const char *msg, size_t len, char *why,
		    size_t why_size)
{
	if (c->len + len + 1 > c->allocated) {
		size_t want = MAX(c->allocated * 2, c->len + len + 1);
		char *p = realloc(c->buf, want);

		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->allocated = want;
	}
	memcpy(c->buf + c->len, msg, len);
	c->len += len;
	c->buf[c->len] = '\0';
	c->queued++;
	if (c->queued >= HEC_BATCH_EVENTS || c->len >= HEC_BATCH_BYTES)
		return hec_flush(c, why, why_size);
	return 0;
}

static int hec_confirmed(struct forward_transport *c, bool idle, uint64_t *ret_count, char *why,
			 size_t why_size)
{
	int q;

	(void)idle;
	q = hec_flush(c, why, why_size);
	if (q < 0)
		return q;
	*ret_count = c->confirmed;
	return 0;
}

static int hec_format(const struct forward_record *r, int facility, char **ret, size_t *ret_size)
{
	(void)facility;
	return forward_hec_format(r, ret, ret_size);
}

const struct forward_transport_ops forward_hec_ops = {
	.format = hec_format,
	.connect = hec_connect,
	.send = hec_send,
	.confirmed = hec_confirmed,
	.close = hec_close,
};

int forward_hec_format(const struct forward_record *r, char **ret, size_t *ret_size)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *head;
	char stamp[32], sourcetype[32];
	size_t head_size;
	char *buf;
	int n;

	if (!g)
		return -ENOMEM;
	/* The envelope without its closing brace, then the record itself as "event". */
	yajl_gen_map_open(g);
	n = snprintf(stamp, sizeof(stamp), "%" PRId64 ".%03d", r->time_ms / 1000,
		     (int)(r->time_ms % 1000 < 0 ? 0 : r->time_ms % 1000));
	yajl_gen_string(g, (const unsigned char *)"time", 4);
	yajl_gen_number(g, stamp, (size_t)n);
	if (r->hostname) {
		yajl_gen_string(g, (const unsigned char *)"host", 4);
		yajl_gen_string(g, (const unsigned char *)r->hostname, strlen(r->hostname));
	}
	yajl_gen_string(g, (const unsigned char *)"source", 6);
	yajl_gen_string(g, (const unsigned char *)"postured", 8);
	n = snprintf(sourcetype, sizeof(sourcetype), "ocsf:%" PRId64, r->class_uid);
	yajl_gen_string(g, (const unsigned char *)"sourcetype", 10);
	yajl_gen_string(g, (const unsigned char *)sourcetype, (size_t)n);
	if (yajl_gen_get_buf(g, &head, &head_size) != yajl_gen_status_ok || head_size < 1)
		return -ENOMEM;
	buf = malloc(head_size + r->json_size + 16);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, head_size);
	memcpy(buf + head_size, ",\"event\":", 9);
	memcpy(buf + head_size + 9, r->json, r->json_size);
	memcpy(buf + head_size + 9 + r->json_size, "}", 2);
	*ret = buf;
	*ret_size = head_size + 9 + r->json_size + 1;
	return 0;
}
