// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/log.h"
#include "basic/openssl-util.h"
#include "crypto.h"
#include "csr.h"
#include "est.h"

#define CONTENT_TYPE_PKCS7  "application/pkcs7-mime; smime-type=certs-only"
#define CONTENT_TYPE_PKCS10 "application/pkcs10"
#define CONTENT_TYPE_CRL    "application/pkix-crl"
#define CONTENT_TYPE_PEM    "application/x-pem-file"

void est_answer_done(struct est_answer *a)
{
	free(a->body);
	a->body = NULL;
}

static void answer_error(struct est_answer *a, unsigned status, const char *reason)
{
	a->status = status;
	a->challenge = status == 401;
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
}

static void answer_pkcs7(struct est_answer *a, uint8_t *der, size_t size)
{
	int r = base64_encode_lines(der, size, &a->body, &a->size);

	OPENSSL_free(der);
	if (r < 0) {
		answer_error(a, 503, "the collector is out of memory");
		return;
	}
	a->status = 200;
	a->content_type = CONTENT_TYPE_PKCS7;
}

void est_cacerts(const struct est *e, struct est_answer *ret)
{
	uint8_t *der = NULL;
	size_t size = 0;

	*ret = (struct est_answer){};
	if (ca_cacerts(e->ca, &der, &size) < 0) {
		answer_error(ret, 503, "the collector is out of memory");
		return;
	}
	answer_pkcs7(ret, der, size);
}

int est_token_hash(const char *token, size_t len, char ret[65])
{
	return crypto_sha256_hex(token, len, ret);
}

int est_token_new(char ret[65])
{
	unsigned char bytes[32];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(ret + 2 * i, 3, "%02x", bytes[i]);
	OPENSSL_cleanse(bytes, sizeof(bytes));
	return 0;
}

/*
 * The token of an Authorization header: "Bearer TOKEN", or "Basic" with
 * base64("user:TOKEN") for EST clients that only know RFC 7030's HTTP Basic
 * (the user name is ignored).  -ENOKEY when there is none, -EBADMSG when the
 * header is malformed.
 */
static int token_from_header(const char *v, char ret[EST_TOKEN_MAX + 1], size_t *ret_len)
{
	_cleanup_free_ uint8_t *plain = NULL;
	const char *colon;
	size_t size, len;
	int r;

	if (!v)
		return -ENOKEY;
	if (strncasecmp(v, "Bearer ", 7) == 0) {
		v += 7;
		v += strspn(v, " ");
		len = strcspn(v, " \t");
		if (len == 0 || len > EST_TOKEN_MAX || v[len + strspn(v + len, " \t")] != '\0')
			return -EBADMSG;
		memcpy(ret, v, len);
		ret[len] = '\0';
		*ret_len = len;
		return 0;
	}
	if (strncasecmp(v, "Basic ", 6) != 0)
		return -EBADMSG;
	v += 6;
	v += strspn(v, " ");
	if (strlen(v) > 2 * EST_TOKEN_MAX)
		return -EBADMSG;
	r = base64_decode(v, strlen(v), 0, &plain, &size);
	if (r < 0)
		return r;
	colon = memchr(plain, ':', size);
	if (!colon)
		return -EBADMSG;
	len = size - (size_t)(colon + 1 - (const char *)plain);
	if (len == 0 || len > EST_TOKEN_MAX || memchr(colon + 1, '\0', len))
		return -EBADMSG;
	memcpy(ret, colon + 1, len);
	ret[len] = '\0';
	*ret_len = len;
	OPENSSL_cleanse(plain, size);
	return 0;
}

static bool media_type_is(const char *value, const char *want)
{
	size_t n = strlen(want);

	if (!value)
		return false;
	value += strspn(value, " \t");
	if (strncasecmp(value, want, n) != 0)
		return false;
	value += n;
	value += strspn(value, " \t");
	return *value == '\0' || *value == ';';
}

/* The status for each of store_enroll()'s refusals. */
static unsigned enroll_status(int r)
{
	switch (r) {
	case -EACCES:
		return 401;
	case -EEXIST:
	case -EPERM:
		return 403;
	default:
		return 503;
	}
}

void est_enroll(const struct est *e, const struct est_request *req, struct est_answer *ret)
{
	_cleanup_(X509_REQ_freep) X509_REQ *csr = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	uint8_t *p7 = NULL;
	char token[EST_TOKEN_MAX + 1], hash[65], serial[CA_SERIAL_HEX_MAX + 1], reason[256];
	struct csr_info info;
	struct store_enrollment en = {};
	const struct peer *peer = req->peer;
	size_t der_size, p7_size, token_len = 0;
	bool has_token = false;
	int r;

	*ret = (struct est_answer){};
	/* Who asks, first: nothing of the body is looked at for a stranger. */
	r = token_from_header(req->authorization, token, &token_len);
	if (r == -EBADMSG) {
		answer_error(ret, 401, "the Authorization header is not 'Bearer TOKEN' or Basic");
		return;
	}
	has_token = r >= 0;
	if (req->renewal && !req->peer) {
		answer_error(ret, 401, "renewal needs the device's current certificate");
		return;
	}
	if (!has_token && !req->peer) {
		answer_error(ret, 401, "an enrollment token (Authorization: Bearer) is needed");
		return;
	}

	if (!media_type_is(req->content_type, CONTENT_TYPE_PKCS10)) {
		answer_error(ret, 415, "Content-Type must be " CONTENT_TYPE_PKCS10);
		return;
	}
	r = base64_decode(req->body ? req->body : "", req->size, BASE64_LINE_BREAKS, &der,
			  &der_size);
	if (r == -ENOMEM) {
		answer_error(ret, 503, "the collector is out of memory");
		return;
	}
	if (r < 0) {
		answer_error(ret, 400, "the body is not base64 (RFC 7030 section 4.2.1)");
		return;
	}
	r = csr_parse(der, der_size, &csr, &info, reason, sizeof(reason));
	if (r < 0) {
		answer_error(ret, r == -ENOMEM ? 503 : 400,
			     r == -ENOMEM ? "out of memory" : reason);
		return;
	}
	/* A certificate speaks for its own device only; a token may still enroll another id. */
	if (peer && strcmp(peer->device_id, info.device_id) != 0) {
		if (req->renewal || !has_token) {
			snprintf(reason, sizeof(reason),
				 "the request is for device %s, the certificate is device %s's",
				 info.device_id, peer->device_id);
			answer_error(ret, 403, reason);
			return;
		}
		peer = NULL;
	}

	if (has_token && est_token_hash(token, token_len, hash) < 0) {
		answer_error(ret, 503, "the collector cannot hash the token");
		return;
	}
	OPENSSL_cleanse(token, sizeof(token));

	en = (struct store_enrollment){
		.device_id = info.device_id,
		.token_hash = has_token ? hash : NULL,
		.peer_serial = peer ? peer->serial : NULL,
		.renewal = req->renewal,
		.serial = serial,
		.key_type = info.key_type,
		.key_sha256 = info.key_sha256,
		.address = req->address,
		.now = req->now,
	};
	r = ca_issue(e->ca, csr, info.device_id, en.now, e->lifetime_sec, &p7, &p7_size, serial,
		     &en.not_before, &en.not_after);
	if (r < 0) {
		answer_error(ret, 503,
			     r == -EKEYEXPIRED ? "the collector's CA has expired" :
						 "the collector cannot issue a certificate");
		return;
	}
	r = store_enroll(e->store, &en, reason, sizeof(reason));
	if (r < 0) {
		OPENSSL_free(p7);
		answer_error(ret, enroll_status(r), reason);
		return;
	}
	answer_pkcs7(ret, p7, p7_size);
}

void est_crl(const struct est *e, bool pem, int64_t now, struct est_answer *ret)
{
	uint8_t *der = NULL;
	size_t size = 0;

	*ret = (struct est_answer){};
	if (ca_crl(e->ca, e->store, now, &der, &size) < 0) {
		answer_error(ret, 503, "the collector cannot make its CRL right now");
		return;
	}
	if (pem) {
		_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
		char *data;
		long n;

		if (!bio || PEM_write_bio(bio, "X509 CRL", "", der, (long)size) <= 0 ||
		    (n = BIO_get_mem_data(bio, &data)) <= 0 || !(ret->body = malloc((size_t)n))) {
			OPENSSL_free(der);
			answer_error(ret, 503, "the collector is out of memory");
			return;
		}
		memcpy(ret->body, data, (size_t)n);
		ret->size = (size_t)n;
		ret->content_type = CONTENT_TYPE_PEM;
		OPENSSL_free(der);
	} else {
		/* OPENSSL_malloc()ed, and OpenSSL's allocator is malloc() here: free() will do. */
		ret->body = (char *)der;
		ret->size = size;
		ret->content_type = CONTENT_TYPE_CRL;
	}
	ret->status = 200;
}
