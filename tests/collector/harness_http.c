// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests with libcurl (OpenSSL): the name pinned to an address with
 * CURLOPT_RESOLVE, so certificates are checked against "localhost" (or what
 * a test asks for) while the connection goes where the collector listens.
 */
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"

static size_t http_write(char *data, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	char *p = realloc(h->resp, h->resp_size + size * n + 1);

	if (!p)
		return 0;
	h->resp = p;
	memcpy(h->resp + h->resp_size, data, size * n);
	h->resp_size += size * n;
	h->resp[h->resp_size] = '\0';
	return size * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	snprintf(out, size, "%.*s", (int)len, line);
}

static size_t http_header(char *data, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	struct curl_tlssessioninfo *info = NULL;

	header_value(data, size * n, "ETag", h->etag, sizeof(h->etag));
	header_value(data, size * n, "X-Postured-Signature", h->signature, sizeof(h->signature));
	header_value(data, size * n, "Retry-After", h->retry_after, sizeof(h->retry_after));
	header_value(data, size * n, "WWW-Authenticate", h->www_authenticate,
		     sizeof(h->www_authenticate));
	header_value(data, size * n, "Content-Type", h->resp_content_type,
		     sizeof(h->resp_content_type));
	header_value(data, size * n, "Content-Transfer-Encoding", h->transfer_encoding,
		     sizeof(h->transfer_encoding));
	header_value(data, size * n, "Location", h->location, sizeof(h->location));
	header_value(data, size * n, "Content-Security-Policy", h->csp, sizeof(h->csp));
	header_value(data, size * n, "Content-Disposition", h->disposition, sizeof(h->disposition));
	/* While the connection is certainly alive: which TLS version it speaks. */
	if (h->tls_version == 0 &&
	    curl_easy_getinfo(h->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info &&
	    info->backend == CURLSSLBACKEND_OPENSSL && info->internals)
		h->tls_version = SSL_version(info->internals);
	return size * n;
}

static size_t http_read_chunk(char *buf, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	size_t left = h->body_size - h->sent, take = size * n < left ? size * n : left;

	/* Small pieces, so the collector sees a chunked body grow. */
	if (take > 16384)
		take = 16384;
	memcpy(buf, (const char *)h->body + h->sent, take);
	h->sent += take;
	return take;
}

CURL *http_setup(struct harness *t, struct http *h, struct curl_slist **headers,
		 struct curl_slist **resolve)
{
	char url[512], cert[512], key[512], cacert[512], pin[256], hdr[256];
	const char *host = h->host ? h->host : "localhost";
	const char *address = h->address ? h->address : "127.0.0.1";
	int port = h->port ? h->port : t->main.port;
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	h->easy = c;
	snprintf(url, sizeof(url), "https://%s:%d%s", host, port, h->path);
	if (strchr(address, ':'))
		snprintf(pin, sizeof(pin), "%s:%d:[%s]", host, port, address);
	else
		snprintf(pin, sizeof(pin), "%s:%d:%s", host, port, address);
	*resolve = curl_slist_append(NULL, pin);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, *resolve);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	file_path(cacert, sizeof(cacert), t->pki, h->cacert ? h->cacert : "server-ca.crt");
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->device) {
		snprintf(cert, sizeof(cert), "%s/%s.crt", t->pki, h->device);
		snprintf(key, sizeof(key), "%s/%s.key", t->pki, h->device);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	} else if (h->cert_path) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert_path);
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->key_path);
	}
	if (h->ssl_version)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, h->ssl_version);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);

	*headers = NULL;
	if (h->method && strcmp(h->method, "POST") == 0) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s",
			 h->content_type ? h->content_type : "application/x-ndjson");
		*headers = curl_slist_append(*headers, hdr);
		if (h->content_encoding) {
			snprintf(hdr, sizeof(hdr), "Content-Encoding: %s", h->content_encoding);
			*headers = curl_slist_append(*headers, hdr);
		}
		*headers = curl_slist_append(*headers,
					     h->expect_100 ? "Expect: 100-continue" : "Expect:");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (h->chunked) {
			*headers = curl_slist_append(*headers, "Transfer-Encoding: chunked");
			curl_easy_setopt(c, CURLOPT_READFUNCTION, http_read_chunk);
			curl_easy_setopt(c, CURLOPT_READDATA, h);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body ? h->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(h->body ? h->body_size : 0));
		}
	}
	if (h->if_none_match) {
		snprintf(hdr, sizeof(hdr), "If-None-Match: %s", h->if_none_match);
		*headers = curl_slist_append(*headers, hdr);
	}
	if (h->authorization) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", h->authorization);
		*headers = curl_slist_append(*headers, hdr);
	}
	for (size_t i = 0; h->headers && h->headers[i]; i++)
		*headers = curl_slist_append(*headers, h->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	return c;
}

void http_perform(struct harness *t, struct http *h)
{
	struct curl_slist *headers = NULL, *resolve = NULL;
	CURL *c = http_setup(t, h, &headers, &resolve);

	if (!c) {
		h->code = CURLE_FAILED_INIT;
		return;
	}
	h->code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_easy_cleanup(c);
	h->easy = NULL;
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
}

void http_done(struct http *h)
{
	free(h->resp);
	h->resp = NULL;
}

struct http http_report(const char *device, const void *body, size_t body_size)
{
	return (struct http){
		.method = "POST",
		.path = "/v1/reports",
		.device = device,
		.body = body,
		.body_size = body_size,
	};
}

long http_post_report(struct harness *t, const char *device, const char *body, long long *ret_acked,
		      char *resp, size_t resp_size)
{
	struct http h = http_report(device, body, strlen(body));
	long status;

	http_perform(t, &h);
	status = h.code == CURLE_OK ? h.status : 0;
	if (ret_acked && h.resp) {
		const char *p = strstr(h.resp, "\"acked_seq\":");

		*ret_acked = p ? strtoll(p + 12, NULL, 10) : -1;
	}
	if (resp)
		snprintf(resp, resp_size, "%s", h.resp ? h.resp : h.error);
	http_done(&h);
	return status;
}
