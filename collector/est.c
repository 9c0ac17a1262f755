// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
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

static struct store_enrollment enrollment_of(const struct est_pending *p, const char *serial,
					     int64_t not_before, int64_t not_after);

void est_pending_done(struct est_pending *p)
{
	X509_REQ_free(p->csr);
	p->csr = NULL;
}

bool est_enroll_check(const struct est *e, const struct est_request *req, struct est_pending *ret,
		      struct est_answer *ans)
{
	_cleanup_free_ uint8_t *der = NULL;
	char token[EST_TOKEN_MAX + 1], reason[256];
	struct est_pending p = { .renewal = req->renewal, .now = req->now };
	const struct peer *peer = req->peer;
	size_t der_size, token_len = 0;
	int r;

	*ans = (struct est_answer){};
	/*
	 * Who asks, first: a token that is not known, revoked or expired is
	 * refused before the body is read.  A request with neither a token nor
	 * a certificate may still be a retry with the key of the device's
	 * current certificate; its body is parsed (bounded) and looked up, and
	 * it gets nothing signed unless the store says so.
	 */
	r = token_from_header(req->authorization, token, &token_len);
	if (r == -EBADMSG) {
		answer_error(ans, 401, "the Authorization header is not 'Bearer TOKEN' or Basic");
		return false;
	}
	p.has_token = r >= 0;
	if (req->renewal && !peer) {
		answer_error(ans, 401, "renewal needs the device's current certificate");
		return false;
	}
	if (p.has_token) {
		char why[128];

		r = est_token_hash(token, token_len, p.token_hash);
		OPENSSL_cleanse(token, sizeof(token));
		if (r >= 0)
			r = store_token_usable(e->store, p.token_hash, req->now, why, sizeof(why));
		if (r == -EACCES) {
			answer_error(ans, 401, why);
			return false;
		}
		if (r < 0) {
			answer_error(ans, 503, "the collector cannot check the token right now");
			return false;
		}
	}

	if (!media_type_is(req->content_type, CONTENT_TYPE_PKCS10)) {
		answer_error(ans, 415, "Content-Type must be " CONTENT_TYPE_PKCS10);
		return false;
	}
	r = base64_decode(req->body ? req->body : "", req->size, BASE64_LINE_BREAKS, &der,
			  &der_size);
	if (r == -ENOMEM) {
		answer_error(ans, 503, "the collector is out of memory");
		return false;
	}
	if (r < 0) {
		answer_error(ans, 400, "the body is not base64 (RFC 7030 section 4.2.1)");
		return false;
	}
	r = csr_parse(der, der_size, &p.csr, &p.info, reason, sizeof(reason));
	if (r < 0) {
		answer_error(ans, r == -ENOMEM ? 503 : 400,
			     r == -ENOMEM ? "out of memory" : reason);
		return false;
	}
	/* A certificate speaks for its own device only; a token may still enroll another id. */
	if (peer && strcmp(peer->device_id, p.info.device_id) != 0) {
		if (req->renewal || !p.has_token) {
			snprintf(reason, sizeof(reason),
				 "the request is for device %s, the certificate is device %s's",
				 p.info.device_id, peer->device_id);
			answer_error(ans, 403, reason);
			est_pending_done(&p);
			return false;
		}
		peer = NULL;
	}
	if (peer) {
		p.has_peer = true;
		snprintf(p.peer_serial, sizeof(p.peer_serial), "%s", peer->serial);
	}
	snprintf(p.address, sizeof(p.address), "%s", req->address ? req->address : "unknown");

	/* The store's decision before a certificate is made: a refusal costs no signature. */
	{
		struct store_enrollment en = enrollment_of(&p, NULL, 0, 0);

		r = store_enroll_check(e->store, &en, reason, sizeof(reason));
		if (r < 0) {
			answer_error(ans, enroll_status(r), reason);
			est_pending_done(&p);
			return false;
		}
	}
	*ret = p;
	return true;
}

/* What the store decides on for p, with the certificate's serial and validity once made. */
static struct store_enrollment enrollment_of(const struct est_pending *p, const char *serial,
					     int64_t not_before, int64_t not_after)
{
	return (struct store_enrollment){
		.device_id = p->info.device_id,
		.token_hash = p->has_token ? p->token_hash : NULL,
		.peer_serial = p->has_peer ? p->peer_serial : NULL,
		.renewal = p->renewal,
		.serial = serial,
		.not_before = not_before,
		.not_after = not_after,
		.key_type = p->info.key_type,
		.key_sha256 = p->info.key_sha256,
		.address = p->address,
		.now = p->now,
	};
}

/* Records the certificate (DER PKCS#7 p7, of serial) in the store if the request may have it, and answers. */
static void enroll_record(const struct est *e, struct est_pending *p, uint8_t *p7, size_t p7_size,
			  const char *serial, int64_t not_before, int64_t not_after,
			  struct est_answer *ans)
{
	struct store_enrollment en = enrollment_of(p, serial, not_before, not_after);
	char reason[256];
	int r;

	r = store_enroll(e->store, &en, reason, sizeof(reason));
	if (r < 0) {
		OPENSSL_free(p7);
		answer_error(ans, enroll_status(r), reason);
		return;
	}
	answer_pkcs7(ans, p7, p7_size);
}

void est_enroll_sign(const struct est *e, struct est_pending *p, struct est_answer *ans)
{
	char serial[CA_SERIAL_HEX_MAX + 1];
	int64_t not_before, not_after;
	uint8_t *p7 = NULL;
	size_t p7_size;
	int r;

	*ans = (struct est_answer){};
	r = ca_issue(e->ca, p->csr, p->info.device_id, p->now, e->lifetime_sec, &p7, &p7_size,
		     serial, &not_before, &not_after);
	if (r < 0) {
		answer_error(ans, 503,
			     r == -EKEYEXPIRED ? "the collector's CA has expired" :
						 "the collector cannot issue a certificate");
		return;
	}
	enroll_record(e, p, p7, p7_size, serial, not_before, not_after, ans);
}

void est_enroll_certificate(const struct est *e, struct est_pending *p, const char *pem,
			    size_t size, struct est_answer *ans)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *chain = sk_X509_new_null();
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, (int)MIN(size, (size_t)INT32_MAX));
	char serial[CA_SERIAL_HEX_MAX + 1], cn[DEVICE_ID_LEN + 2] = "", reason[256];
	uint8_t *p7 = NULL;
	size_t p7_size;
	X509 *x, *leaf = NULL;
	int r;

	*ans = (struct est_answer){};
	if (!chain || !bio) {
		answer_error(ans, 503, "the collector is out of memory");
		return;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			answer_error(ans, 503, "the collector is out of memory");
			return;
		}
		/* The request's key: that is the device's certificate; the rest is its chain. */
		if (!leaf && EVP_PKEY_eq(X509_get0_pubkey(x), X509_REQ_get0_pubkey(p->csr)) == 1)
			leaf = x;
	}
	if (!leaf) {
		answer_error(ans, 503,
			     "the external CA answered no certificate for the request's key");
		return;
	}
	if (!ca_issued(e->ca, leaf)) {
		answer_error(ans, 503,
			     "the external CA's certificate is not signed by the CA this collector "
			     "trusts (--ca-cert)");
		return;
	}
	X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof(cn));
	if (strcmp(cn, p->info.device_id) != 0) {
		snprintf(reason, sizeof(reason),
			 "the external CA's certificate is for '%.40s', not device %s", cn,
			 p->info.device_id);
		answer_error(ans, 503, reason);
		return;
	}
	r = ca_serial_hex(leaf, serial);
	if (r >= 0)
		r = ca_certs_only((X509 *const *)&leaf, 1, &p7, &p7_size);
	if (r < 0) {
		answer_error(ans, 503, "the external CA's certificate cannot be read");
		return;
	}
	enroll_record(e, p, p7, p7_size, serial, ca_time_ms(X509_get0_notBefore(leaf)),
		      ca_time_ms(X509_get0_notAfter(leaf)), ans);
}

void est_crl(const struct est *e, bool pem, int64_t now, struct est_answer *ret)
{
	uint8_t *der = NULL;
	size_t size = 0;

	*ret = (struct est_answer){};
	if (!ca_can_sign(e->ca)) {
		answer_error(ret, 404,
			     "an external CA issues this collector's certificates; its "
			     "CRL is that CA's");
		return;
	}
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
