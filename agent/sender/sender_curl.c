// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "sender_curl.h"

/* A running transfer: its handle's CURLOPT_PRIVATE. */
struct transfer {
	CURL *easy;
	sender_curl_done_fn done;
	void *userdata;
	char error[CURL_ERROR_SIZE];
	struct transfer *next;
};

struct sender_curl {
	sd_event *event;
	sd_event_source *timer;
	CURLM *multi;
	struct sender_tls tls;
	struct transfer *transfers;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct sender_curl *, sender_curl_free);

int sender_buf_append(struct sender_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + n + 1);
		char *d = realloc(b->data, cap);

		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void sender_buf_free(struct sender_buf *b, bool wipe)
{
	if (b->data && wipe)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	*b = (struct sender_buf){};
}

/* Takes t out of the glue's list and the multi handle; the handle stays valid until transfer_free(). */
static void transfer_detach(struct sender_curl *g, struct transfer *t)
{
	for (struct transfer **p = &g->transfers; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	curl_multi_remove_handle(g->multi, t->easy);
}

static void transfer_free(struct transfer *t)
{
	curl_easy_cleanup(t->easy);
	free(t);
}

/* Hands every finished transfer to its callback. */
static void check_done(struct sender_curl *g)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(g->multi, &left))) {
		struct transfer *t = NULL;
		CURLcode result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		result = msg->data.result;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t) !=
			    CURLE_OK ||
		    !t)
			continue;
		/* Out of the multi handle first: the callback may start the next request. */
		transfer_detach(g, t);
		t->done(t->easy, result,
			result == CURLE_OK ? NULL :
			t->error[0]	   ? t->error :
					     curl_easy_strerror(result),
			t->userdata);
		transfer_free(t);
	}
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct sender_curl *g = userdata;
	int action = 0, running;

	if (revents & (EPOLLIN | EPOLLHUP))
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & EPOLLERR)
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(g->multi, fd, action, &running);
	check_done(g);
	return 0;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct sender_curl *g = userp;
	sd_event_source *io = socketp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (io) {
			sd_event_source_disable_unref(io);
			curl_multi_assign(g->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (io)
		return sd_event_source_set_io_events(io, events) < 0 ? -1 : 0;
	if (sd_event_add_io(g->event, &io, fd, events, on_io, g) < 0)
		return -1;
	curl_multi_assign(g->multi, fd, io);
	return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct sender_curl *g = userdata;
	int running;

	curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(g);
	return 0;
}

static int on_timer_change(CURLM *m, long timeout_ms, void *userp)
{
	struct sender_curl *g = userp;

	if (timeout_ms < 0)
		return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
	if (sd_event_source_set_time_relative(g->timer, (usec_t)timeout_ms * USEC_PER_MSEC) < 0)
		return -1;
	return sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

int sender_curl_new(sd_event *event, const struct sender_tls *tls, struct sender_curl **ret)
{
	_cleanup_(sender_curl_freep) struct sender_curl *g = NULL;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->event = sd_event_ref(event);
	g->tls = *tls;

	/* libcurl's timeouts are in ms, and 0 ("now") is most of them while a transfer runs. */
	r = sd_event_add_time_relative(event, &g->timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
				       on_timer, g);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
	if (r < 0)
		return r;

	g->multi = curl_multi_init();
	if (!g->multi)
		return -ENOMEM;
	if (curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
	    curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_timer_change) != CURLM_OK ||
	    curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g) != CURLM_OK)
		return -EIO;

	*ret = TAKE_PTR(g);
	return 0;
}

struct sender_curl *sender_curl_free(struct sender_curl *g)
{
	if (!g)
		return NULL;
	while (g->transfers) {
		struct transfer *t = g->transfers;

		transfer_detach(g, t);
		transfer_free(t);
	}
	if (g->multi)
		curl_multi_cleanup(g->multi);
	sd_event_source_disable_unref(g->timer);
	sd_event_unref(g->event);
	free(g);
	return NULL;
}

/* Sets the certificate and the key that has the daemon sign, when the key is in the TPM. */
static CURLcode on_ssl_ctx(CURL *e, void *ssl_ctx, void *userdata)
{
	const struct sender_tls *tls = userdata;

	if (SSL_CTX_use_certificate(ssl_ctx, tls->tpm_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ssl_ctx, tls->tpm_key) != 1)
		return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

int sender_curl_make(struct sender_curl *g, const char *url, CURL **ret)
{
	const struct sender_tls *tls = &g->tls;
	struct curl_blob ca = { tls->ca.data, tls->ca.len, CURL_BLOB_COPY };
	struct curl_blob cert = { tls->cert.data, tls->cert.len, CURL_BLOB_COPY };
	struct curl_blob key = { tls->key.data, tls->key.len, CURL_BLOB_COPY };
	CURL *e;

	e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* Timeouts on everything. */
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 20L);
	/* TLS: 1.2 minimum (1.3 when configured), the company CA only, hostname checked. */
	curl_easy_setopt(e, CURLOPT_SSLVERSION,
			 (long)(tls->tls13_only ? CURL_SSLVERSION_TLSv1_3 :
						  CURL_SSLVERSION_TLSv1_2) |
				 CURL_SSLVERSION_MAX_DEFAULT);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &ca);
	if (tls->tpm_key) {
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, tls);
	} else if (tls->cert.data) {
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (tls->proxy)
		curl_easy_setopt(e, CURLOPT_PROXY, tls->proxy);
	*ret = e;
	return 0;
}

int sender_curl_add(struct sender_curl *g, CURL *e, sender_curl_done_fn done, void *userdata)
{
	struct transfer *t;

	t = calloc(1, sizeof(*t));
	if (!t) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	*t = (struct transfer){ .easy = e, .done = done, .userdata = userdata };
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
	if (curl_multi_add_handle(g->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		free(t);
		return -EIO;
	}
	t->next = g->transfers;
	g->transfers = t;
	return 0;
}

int sender_curl_url(const char *base, const char *path, char **ret)
{
	size_t n = strlen(base);

	/* Not "https://host//v1/...", another path: "/./v1" is "/v1" once libcurl drops the dot. */
	if (asprintf(ret, "%s%s%s", base, n > 0 && base[n - 1] == '/' ? "." : "", path) < 0)
		return -ENOMEM;
	return 0;
}
