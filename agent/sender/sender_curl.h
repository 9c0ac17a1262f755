/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sender's libcurl glue, in the manner of systemd-importd's curl-util.c:
 * libcurl's multi interface driven by the sender's sd-event loop.  libcurl
 * says which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to be called
 * back (CURLMOPT_TIMERFUNCTION); the loop watches them and hands their events
 * to curl_multi_socket_action().  A finished transfer goes to the callback it
 * was added with.
 *
 * Every request is made here, with what every request to the collector has:
 * https only, timeouts on everything, TLS 1.2 or later (1.3 when asked) with
 * the company CA as the only trust anchor and the host name checked, the
 * device certificate and key, and the proxy.  The PEM blobs are copied into
 * each request, so the key stays in one place in the sender's memory.
 */
#ifndef POSTURED_SENDER_CURL_H
#define POSTURED_SENDER_CURL_H

#include <curl/curl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

/* A growable byte buffer; sender_buf_append() keeps it NUL-terminated. */
struct sender_buf {
	char *data;
	size_t len, cap;
};

/* Appends n bytes of p.  Returns 0 or -ENOMEM. */
int sender_buf_append(struct sender_buf *b, const void *p, size_t n);
/* Frees the buffer (wiping it first when it held key material) and empties it. */
void sender_buf_free(struct sender_buf *b, bool wipe);

/* What every request carries; the glue keeps a copy, the buffers stay the caller's. */
struct sender_tls {
	struct sender_buf ca; /* the company CA (PEM) */
	struct sender_buf cert, key; /* the device's (PEM); cert.data NULL: none */
	/*
	 * With the key in the TPM: the certificate parsed and the key that has
	 * the daemon sign (sender_sign.h), set on each request's SSL_CTX
	 * instead of the blobs.
	 */
	X509 *tpm_cert;
	EVP_PKEY *tpm_key;
	bool tls13_only; /* minimum TLS 1.3 instead of 1.2 */
	const char *proxy; /* NULL: libcurl's environment */
};

struct sender_curl;

/*
 * Called once when a transfer ended: result is libcurl's, error its message
 * when result is not CURLE_OK (NULL otherwise).  e has left the multi handle;
 * it is valid for curl_easy_getinfo() during the call and freed after it.
 */
typedef void (*sender_curl_done_fn)(CURL *e, CURLcode result, const char *error, void *userdata);

/*
 * Makes the glue on event.  tls is copied; its buffers must outlive the glue.
 * Returns 0 and the glue in *ret (free with sender_curl_free()), or -errno.
 */
int sender_curl_new(sd_event *event, const struct sender_tls *tls, struct sender_curl **ret);

/* Stops and frees every transfer still running (without calling their callbacks), then the glue; accepts NULL, returns NULL. */
struct sender_curl *sender_curl_free(struct sender_curl *g);

/*
 * A new request for url with the transport options above.  Returns 0 and the
 * handle in *ret, which the caller configures and passes to
 * sender_curl_add(), or -ENOMEM.
 */
int sender_curl_make(struct sender_curl *g, const char *url, CURL **ret);

/*
 * Starts e; done(e, ..., userdata) is called when it ends.  The glue owns e
 * from here on, also when this fails (e is freed then).  Returns 0 or -errno.
 */
int sender_curl_add(struct sender_curl *g, CURL *e, sender_curl_done_fn done, void *userdata);

/* base's URL with path ("/v1/...") appended.  Returns 0 and it in *ret (caller frees), or -ENOMEM. */
int sender_curl_url(const char *base, const char *path, char **ret);

#endif
