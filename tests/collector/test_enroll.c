// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Enrollment over EST (RFC 7030): the CA a new device fetches, the
 * certificate a token buys and what it may do with it, every refusal of a
 * token or a request, and an outside client (est-client.sh: openssl and
 * curl only).  Takeover, renewal and revocation are test_identity.c's.  Each
 * test starts a collector of its own (harness_enroll.h says how they share
 * a database without depending on one another).
 */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness_enroll.h"

/* --- cacerts ------------------------------------------------------------------------------- */

/* The DER of the PEM certificate at path; the caller frees *ret (OPENSSL_free). */
static int cert_file_der(const char *path, unsigned char **ret, int *ret_len)
{
	_cleanup_(X509_freep) X509 *cert = pki_read_cert(path);

	*ret = NULL;
	*ret_len = cert ? i2d_X509(cert, ret) : -1;
	return *ret_len > 0 ? 0 : -1;
}

static int test_cacerts_is_the_device_ca(struct harness *t)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *certs = NULL;
	unsigned char *want = NULL, *got = NULL;
	char ca_path[512], reason[128];
	struct http h = { .path = EST_CACERTS };
	struct collector c;
	int want_len, got_len, same;

	if (enroll_start(t, &c) < 0)
		return -1;
	h.port = c.port;
	http_perform(t, &h); /* no client certificate: a new device has none */
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld: %s", h.code, h.status,
	      enroll_text(&h));
	CHECK(strcmp(h.resp_content_type, EST_CONTENT_PKCS7) == 0, "Content-Type '%s'",
	      h.resp_content_type);
	CHECK(strcmp(h.transfer_encoding, "base64") == 0, "Content-Transfer-Encoding '%s'",
	      h.transfer_encoding);
	/* Lines of 64 (RFC 7030 bodies are MIME base64). */
	for (const char *line = h.resp; *line;) {
		size_t len = strcspn(line, "\n");

		CHECK(len <= 64, "a line of %zu characters", len);
		line += len + (line[len] == '\n');
	}
	CHECK(pki_answer_certs(h.resp, h.resp_size, &certs, reason, sizeof(reason)) == 0, "%s",
	      reason);
	http_done(&h);
	CHECK(sk_X509_num(certs) == 1, "%d certificates", sk_X509_num(certs));

	file_path(ca_path, sizeof(ca_path), t->pki, "device-ca.crt");
	CHECK(cert_file_der(ca_path, &want, &want_len) == 0, "cannot read %s", ca_path);
	got_len = i2d_X509(sk_X509_value(certs, 0), &got);
	same = got_len == want_len && memcmp(got, want, (size_t)want_len) == 0;
	OPENSSL_free(want);
	OPENSSL_free(got);
	CHECK(same, "the certificate is not pki/device-ca.crt (%d and %d bytes of DER)", got_len,
	      want_len);
	return 0;
}

/* --- enrollment with a token --------------------------------------------------------------- */

static int test_enroll_with_token(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char ca_path[512], reason[128], cn[64], list[2048], line[256];
	struct enroll_token tok;
	struct collector c;
	time_t before, after, not_before, not_after;
	int days = 0, secs = 0;
	struct tm tm;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, "--uses", "2", "--label", "first laptop", NULL) < 0)
		return -1;
	before = time(NULL);
	if (enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	after = time(NULL);
	collector_stop(&c, SIGTERM);

	pki_subject_cn(d.cert, cn, sizeof(cn));
	CHECK(strcmp(cn, d.id) == 0, "Subject CN '%s', not %s", cn, d.id);
	CHECK(X509_NAME_entry_count(X509_get_subject_name(d.cert)) == 1,
	      "the Subject has %d entries, not the CN alone",
	      X509_NAME_entry_count(X509_get_subject_name(d.cert)));
	CHECK(EVP_PKEY_eq(X509_get0_pubkey(d.cert), d.key) == 1,
	      "the certificate's key is not the request's");
	file_path(ca_path, sizeof(ca_path), t->pki, "device-ca.crt");
	CHECK(pki_verify_client_cert(d.cert, ca_path, reason, sizeof(reason)) == 0,
	      "does not verify against device-ca.crt for TLS clients: %s", reason);
	CHECK(X509_get_extended_key_usage(d.cert) == XKU_SSL_CLIENT,
	      "EKU 0x%x, not clientAuth only", X509_get_extended_key_usage(d.cert));
	CHECK(X509_check_ca(d.cert) == 0, "the device certificate is a CA");

	/* --cert-lifetime 1h, back-dated 300 s: 3900 s from notBefore to notAfter. */
	CHECK(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(d.cert),
			     X509_get0_notAfter(d.cert)) == 1 &&
		      days * 86400 + secs == ENROLL_LIFETIME_SEC + ENROLL_BACKDATE_SEC,
	      "valid for %d s, not %d", days * 86400 + secs,
	      ENROLL_LIFETIME_SEC + ENROLL_BACKDATE_SEC);
	CHECK(ASN1_TIME_to_tm(X509_get0_notBefore(d.cert), &tm) == 1, "notBefore");
	not_before = timegm(&tm);
	CHECK(ASN1_TIME_to_tm(X509_get0_notAfter(d.cert), &tm) == 1, "notAfter");
	not_after = timegm(&tm);
	CHECK(not_before >= before - ENROLL_BACKDATE_SEC &&
		      not_before <= after - ENROLL_BACKDATE_SEC,
	      "notBefore %lld is not 300 s before the request (%lld..%lld)", (long long)not_before,
	      (long long)before, (long long)after);
	CHECK(not_after >= before + ENROLL_LIFETIME_SEC && not_after <= after + ENROLL_LIFETIME_SEC,
	      "notAfter %lld is not 1 h after the request", (long long)not_after);

	/* The store: one certificate of that serial, the identity active with it, one use. */
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates stored",
	      enroll_certs_of(&c, d.id));
	CHECK(db_int(c.db, "SELECT count(*) FROM certificates WHERE serial = ?1", d.serial) == 1,
	      "serial %s not stored", d.serial);
	CHECK(enroll_identity_is(&c, d.id, "active", d.serial), "no active identity for %s with %s",
	      d.id, d.serial);
	CHECK(enroll_token_used(&c, &tok) == 1, "token used %lld times",
	      enroll_token_used(&c, &tok));
	/* ... and as `token list` shows it. */
	CHECK(enroll_cli(t, &c, list, sizeof(list), NULL, 0, "token", "list", NULL) == 0,
	      "token list");
	snprintf(line, sizeof(line), "%-5s %-8s %6d/%-6d ", tok.id, "active", 1, 2);
	CHECK(strstr(list, line) && strstr(list, "first laptop\n"), "no line '%s' in:\n%s", line,
	      list);
	return 0;
}

static int test_enrolled_cert_posts_reports(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char resp[512], list[4096], line[128];
	struct enroll_token tok;
	struct collector c;
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	status = enroll_device_report(t, &c, &d, 3, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, "{\"acked_seq\":3}") == 0, "answer %s", resp);
	CHECK(db_count_records(c.db, d.id) == 3, "%lld rows stored for %s",
	      db_count_records(c.db, d.id), d.id);
	CHECK(enroll_cli(t, &c, list, sizeof(list), NULL, 0, "device", "list", NULL) == 0,
	      "device list");
	snprintf(line, sizeof(line), "%s active ", d.id);
	CHECK(strstr(list, line) && strstr(list, "EC P-256"), "no line '%s' in:\n%s", line, list);
	return 0;
}

static int test_enroll_with_basic_auth(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char userpass[128], authorization[256] = "Basic ";
	struct enroll_token tok;
	struct collector c;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0)
		return -1;
	/* RFC 7030's HTTP Basic: any user name, the token as the password; one line. */
	snprintf(userpass, sizeof(userpass), "laptop-17:%s", tok.value);
	EVP_EncodeBlock((unsigned char *)authorization + 6, (const unsigned char *)userpass,
			(int)strlen(userpass));
	if (enroll_device_ok(t, &c, &d, authorization, false) < 0)
		return -1;
	collector_stop(&c, SIGTERM);
	CHECK(enroll_token_used(&c, &tok) == 1, "token used %lld times",
	      enroll_token_used(&c, &tok));
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

static int test_enroll_accepts_p384_and_rsa2048(struct harness *t)
{
	static const char *const want[] = { "EC P-384", "RSA 2048" };
	struct enroll_token tok;
	struct collector c;

	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, "--uses", "2", NULL) < 0)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = i == 0 ? pki_key_ec("P-384") :
								   pki_key_rsa(2048);
		_cleanup_free_ char *csr = NULL;
		char id[33], sql[160];
		struct http h;

		CHECK(key && pki_random_device_id(id) == 0, "key");
		csr = pki_csr_base64(key, id);
		CHECK(csr, "request");
		enroll_post(t, &c, &h, EST_SIMPLEENROLL, csr, strlen(csr), tok.bearer, NULL);
		CHECK(h.code == CURLE_OK && h.status == 200, "%s: status %ld: %s", want[i],
		      h.status, enroll_text(&h));
		http_done(&h);
		snprintf(
			sql, sizeof(sql),
			"SELECT count(*) FROM certificates WHERE device_id = ?1 AND key_type = '%s'",
			want[i]);
		CHECK(db_int(c.db, sql, id) == 1, "no certificate with key type '%s'", want[i]);
	}
	collector_stop(&c, SIGTERM);
	return 0;
}

/* --- refusals: tokens ---------------------------------------------------------------------- */

/*
 * A P-256 request for a fresh device id sent to simpleenroll with
 * authorization, which must get status with {"error": reason}, and leave
 * nothing behind: no certificate or identity for the id, tok (unless NULL)
 * not used.  401s must say how to authenticate (WWW-Authenticate).
 */
static int expect_token_refused(struct harness *t, const struct collector *c,
				const char *authorization, const struct enroll_token *tok,
				long status, const char *reason)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ char *csr = NULL;
	long long used = tok ? enroll_token_used(c, tok) : 0;
	char id[33];
	struct http h;

	CHECK(key && pki_random_device_id(id) == 0, "key");
	csr = pki_csr_base64(key, id);
	CHECK(csr, "request");
	enroll_post(t, c, &h, EST_SIMPLEENROLL, csr, strlen(csr), authorization, NULL);
	CHECK(h.code == CURLE_OK && h.status == status, "status %ld, not %ld: %s", h.status, status,
	      enroll_text(&h));
	CHECK(enroll_error_is(&h, reason), "answer %s, not the reason '%s'", enroll_text(&h),
	      reason);
	if (status == 401)
		CHECK(strcmp(h.www_authenticate, EST_REALM) == 0, "WWW-Authenticate '%s'",
		      h.www_authenticate);
	http_done(&h);
	CHECK(enroll_certs_of(c, id) == 0, "a certificate was stored");
	CHECK(enroll_identities_of(c, id) == 0, "an identity was stored");
	if (tok)
		CHECK(enroll_token_used(c, tok) == used, "token used %lld times, was %lld",
		      enroll_token_used(c, tok), used);
	return 0;
}

/* An unknown token is refused before its body is looked at: a garbage body gets 401, not 400. */
static int test_unknown_token_before_body(struct harness *t)
{
	struct collector c;
	struct http h;

	if (enroll_start(t, &c) < 0)
		return -1;
	enroll_post(t, &c, &h, EST_SIMPLEENROLL, "not a request", 13,
		    "Bearer 0000000000000000000000000000000000000000000000000000000000000000",
		    NULL);
	collector_stop(&c, SIGTERM);
	CHECK(h.status == 401 && enroll_error_is(&h, "the enrollment token is not known"),
	      "status %ld: %s", h.status, enroll_text(&h));
	http_done(&h);
	return 0;
}

static int test_unknown_token_401(struct harness *t)
{
	struct collector c;
	long long uses = -1;
	int r;

	if (enroll_start(t, &c) < 0)
		return -1;
	uses = db_int(c.db, "SELECT COALESCE(sum(used), 0) FROM enroll_tokens", NULL);
	r = expect_token_refused(
		t, &c, "Bearer 0000000000000000000000000000000000000000000000000000000000000000",
		NULL, 401, "the enrollment token is not known");
	collector_stop(&c, SIGTERM);
	CHECK(r == 0, "see above");
	CHECK(db_int(c.db, "SELECT COALESCE(sum(used), 0) FROM enroll_tokens", NULL) == uses,
	      "some token was used");
	return 0;
}

static int test_expired_token_401(struct harness *t)
{
	struct enroll_token tok;
	struct collector c;
	int r;

	if (enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, "--expires", "1s", NULL) < 0)
		return -1;
	msleep(2000);
	r = expect_token_refused(t, &c, tok.bearer, &tok, 401, "the enrollment token has expired");
	collector_stop(&c, SIGTERM);
	return r;
}

static int test_used_up_token_401(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device first = {};
	struct enroll_token tok;
	struct collector c;
	int r;

	if (enroll_device_new(&first) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, "--uses", "1", NULL) < 0 ||
	    enroll_device_ok(t, &c, &first, tok.bearer, false) < 0)
		return -1;
	/* The second device with the same one-use token. */
	r = expect_token_refused(t, &c, tok.bearer, &tok, 401, "the enrollment token is used up");
	collector_stop(&c, SIGTERM);
	CHECK(enroll_token_used(&c, &tok) == 1, "token used %lld times",
	      enroll_token_used(&c, &tok));
	return r;
}

static int test_revoked_token_401(struct harness *t)
{
	struct enroll_token tok;
	struct collector c;
	char err[256];
	int r;

	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, "--uses", "5", NULL) < 0)
		return -1;
	r = enroll_cli(t, &c, NULL, 0, err, sizeof(err), "token", "revoke", tok.id, NULL);
	CHECK(r == 0, "token revoke exited %d: %s", r, err);
	r = expect_token_refused(t, &c, tok.bearer, &tok, 401, "the enrollment token was revoked");
	collector_stop(&c, SIGTERM);
	CHECK(enroll_token_used(&c, &tok) == 0, "token used %lld times",
	      enroll_token_used(&c, &tok));
	return r;
}

static int test_malformed_authorization_401(struct harness *t)
{
	static const char *const bad[] = {
		"Token abc", /* another scheme */
		"Bearer", /* no token */
		"Bearer two words",
		"Basic !!!not-base64!!!",
		"Basic bm8tY29sb24=", /* base64 of "no-colon" */
	};
	struct enroll_token tok;
	struct collector c;

	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (expect_token_refused(t, &c, bad[i], &tok, 401,
					 "the Authorization header is not 'Bearer TOKEN' or "
					 "Basic") < 0) {
			fprintf(stderr, "    with Authorization: %s\n", bad[i]);
			return -1;
		}
	collector_stop(&c, SIGTERM);
	return 0;
}

static int test_no_authorization_401(struct harness *t)
{
	struct collector c;
	int r;

	if (enroll_start(t, &c) < 0)
		return -1;
	r = expect_token_refused(t, &c, NULL, NULL, 401,
				 "an enrollment token or a device certificate is needed");
	collector_stop(&c, SIGTERM);
	return r;
}

/* --- refusals: requests -------------------------------------------------------------------- */

/*
 * Sends body (size bytes) with a good token and content_type to
 * simpleenroll; wants status with {"error": reason}, the token unused and
 * nothing stored for id (when not NULL).
 */
static int expect_request_refused(struct harness *t, const void *body, size_t size,
				  const char *content_type, const char *id, long status,
				  const char *reason)
{
	struct enroll_token tok;
	struct collector c;
	struct http h;

	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0)
		return -1;
	h = (struct http){
		.method = "POST",
		.path = EST_SIMPLEENROLL,
		.port = c.port,
		.body = body,
		.body_size = size,
		.content_type = content_type,
		.authorization = tok.bearer,
		.expect_100 = size > 4096, /* so a refusal can come before the body */
	};
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_OK && h.status == status, "curl %d status %ld, not %ld: %s", h.code,
	      h.status, status, enroll_text(&h));
	CHECK(enroll_error_is(&h, reason), "answer %s, not the reason '%s'", enroll_text(&h),
	      reason);
	http_done(&h);
	CHECK(enroll_token_used(&c, &tok) == 0, "token used %lld times",
	      enroll_token_used(&c, &tok));
	if (id) {
		CHECK(enroll_certs_of(&c, id) == 0, "a certificate was stored");
		CHECK(enroll_identities_of(&c, id) == 0, "an identity was stored");
	}
	return 0;
}

/* A request with the Subject CNs cns (NULL-terminated) for key, as base64; NULL on failure. */
static char *csr_with_cns(EVP_PKEY *key, const char *const *cns)
{
	uint8_t *der;
	size_t size;
	char *b64;

	if (!key || pki_csr(key, cns, &der, &size) < 0)
		return NULL;
	b64 = pki_base64(der, size);
	free(der);
	return b64;
}

/* A request for a fresh id with key (owned by the caller), refused with reason. */
static int expect_key_refused(struct harness *t, EVP_PKEY *key, const char *reason)
{
	_cleanup_free_ char *csr = NULL;
	char id[33];

	CHECK(key && pki_random_device_id(id) == 0, "no key");
	csr = pki_csr_base64(key, id);
	CHECK(csr, "no request");
	return expect_request_refused(t, csr, strlen(csr), "application/pkcs10", id, 400, reason);
}

static int test_csr_not_base64_400(struct harness *t)
{
	static const char body[] = "this is *not* base64!\n";

	return expect_request_refused(t, body, strlen(body), "application/pkcs10", NULL, 400,
				      "the body is not base64 (RFC 7030 section 4.2.1)");
}

static int test_csr_garbage_400(struct harness *t)
{
	static const char garbage[] = "a certificate request, honestly";
	_cleanup_free_ char *b64 = pki_base64(garbage, strlen(garbage));

	CHECK(b64, "out of memory");
	return expect_request_refused(t, b64, strlen(b64), "application/pkcs10", NULL, 400,
				      "the body is not a DER PKCS#10 request");
}

static int test_csr_cn_not_device_id_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ char *csr = csr_with_cns(key, (const char *const[]){ "laptop", NULL });

	CHECK(csr, "no request");
	return expect_request_refused(t, csr, strlen(csr), "application/pkcs10", "laptop", 400,
				      "the request's Subject CN is not a device id (32 lowercase "
				      "hex digits)");
}

static int test_csr_two_cns_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ char *csr = NULL;
	char a[33], b[33];

	CHECK(pki_random_device_id(a) == 0 && pki_random_device_id(b) == 0, "ids");
	csr = csr_with_cns(key, (const char *const[]){ a, b, NULL });
	CHECK(csr, "no request");
	return expect_request_refused(t, csr, strlen(csr), "application/pkcs10", a, 400,
				      "the request has more than one Subject CN");
}

static int test_csr_rsa_1024_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_rsa(1024);

	return expect_key_refused(t, key, "an RSA key of 1024 bits is not accepted (2048 to 8192)");
}

static int test_csr_curve_secp256k1_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("secp256k1");

	return expect_key_refused(t, key,
				  "the EC key's curve secp256k1 is not accepted (P-256 or P-384)");
}

static int test_csr_ed25519_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ed25519();

	return expect_key_refused(t, key, "the key type is not accepted (EC P-256, P-384 or RSA)");
}

static int test_csr_tampered_signature_400(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ uint8_t *der = NULL;
	_cleanup_free_ char *b64 = NULL;
	char id[33];
	size_t size;

	CHECK(key && pki_random_device_id(id) == 0, "key");
	CHECK(pki_csr(key, (const char *const[]){ id, NULL }, &der, &size) == 0, "request");

	/* The DER ends with the signature: its last byte is the last byte of ECDSA's s. */
	der[size - 1] ^= 0x01;
	b64 = pki_base64(der, size);
	CHECK(b64, "out of memory");
	return expect_request_refused(t, b64, strlen(b64), "application/pkcs10", id, 400,
				      "the request's signature does not verify with its own key");
}

static int test_body_over_24k_413(struct harness *t)
{
	size_t size = 24 * 1024 + 1;
	_cleanup_free_ char *body = malloc(size);

	CHECK(body, "out of memory");
	memset(body, 'A', size); /* base64 digits: only its size is wrong */
	return expect_request_refused(t, body, size, "application/pkcs10", NULL, 413,
				      "an enrollment request is at most 24 KiB");
}

static int test_chunked_body_over_24k_refused(struct harness *t)
{
	size_t size = 24 * 1024 + 1;
	_cleanup_free_ char *body = malloc(size);
	struct enroll_token tok;
	struct collector c;
	struct http h;

	CHECK(body, "out of memory");
	memset(body, 'A', size);
	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0)
		return -1;
	/* No Content-Length: found too large on the way; 413, or the connection closed. */
	h = (struct http){
		.method = "POST",
		.path = EST_SIMPLEENROLL,
		.port = c.port,
		.body = body,
		.body_size = size,
		.content_type = "application/pkcs10",
		.authorization = tok.bearer,
		.chunked = true,
	};
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK((h.code == CURLE_OK && h.status == 413) || h.code != CURLE_OK,
	      "curl %d status %ld: %s", h.code, h.status, enroll_text(&h));
	http_done(&h);
	CHECK(enroll_token_used(&c, &tok) == 0, "token used %lld times",
	      enroll_token_used(&c, &tok));
	return 0;
}

static int test_wrong_content_type_415(struct harness *t)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ char *csr = NULL;
	char id[33];

	CHECK(key && pki_random_device_id(id) == 0, "key");
	csr = pki_csr_base64(key, id);
	CHECK(csr, "request");
	return expect_request_refused(t, csr, strlen(csr), "application/x-www-form-urlencoded", id,
				      415, "Content-Type must be application/pkcs10");
}

static int test_get_simpleenroll_405(struct harness *t)
{
	struct http h = { .path = EST_SIMPLEENROLL };
	struct collector c;

	if (enroll_start(t, &c) < 0)
		return -1;
	h.port = c.port;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_OK && h.status == 405, "status %ld: %s", h.status, enroll_text(&h));
	CHECK(enroll_error_is(&h, "use POST for enrollment"), "answer %s", enroll_text(&h));
	http_done(&h);
	return 0;
}

/* --- an outside client: openssl and curl (est-client.sh) ----------------------------------- */

static int test_est_client_script_enrolls(struct harness *t)
{
	_cleanup_(X509_freep) X509 *cert = NULL, *cacert = NULL;
	_cleanup_free_ char *report = NULL;
	char url[64], server_ca[512], token_file[512], out_dir[512], out[512], err[512],
		report_path[512], cert_path[512], cacerts_path[512], ca_path[512], line[128],
		reason[128];
	char id[33];
	struct enroll_token tok;
	struct collector c;
	int r;

	CHECK(pki_random_device_id(id) == 0, "id");
	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0)
		return -1;
	snprintf(url, sizeof(url), "https://localhost:%d", c.port);
	file_path(server_ca, sizeof(server_ca), t->pki, "server-ca.crt");
	file_path(token_file, sizeof(token_file), t->dir, "script.token");
	file_path(out_dir, sizeof(out_dir), t->dir, "est-client");
	file_path(report_path, sizeof(report_path), t->dir, "script-report.ndjson");
	file_path(out, sizeof(out), t->dir, "est-client.out");
	file_path(err, sizeof(err), t->dir, "est-client.err");
	report = records_batch(id, 1, 2);
	CHECK(report, "out of memory");
	CHECK(file_write(token_file, tok.value, strlen(tok.value), 0600) == 0 &&
		      file_write(report_path, report, strlen(report), 0600) == 0,
	      "cannot write the script's inputs");
	{
		/* No proxy of the environment between us and the loopback. */
		char *const argv[] = { "/usr/bin/env",
				       "no_proxy=*",
				       "NO_PROXY=*",
				       "/bin/sh",
				       "tests/collector/est-client.sh",
				       url,
				       server_ca,
				       token_file,
				       id,
				       out_dir,
				       report_path,
				       NULL };

		r = process_run(argv, out, err);
	}
	collector_stop(&c, SIGTERM);
	if (r != 0) {
		char *text;

		if (file_read(err, &text, NULL) == 0) {
			fprintf(stderr, "    est-client.sh stderr:\n%s", text);
			free(text);
		}
	}
	CHECK(r == 0, "est-client.sh exited %d; see %s and %s", r, out, err);
	snprintf(line, sizeof(line), "subject=CN = %s\n", id);
	CHECK(file_contains(out, line), "%s does not show '%s'", out, line);
	CHECK(file_contains(out, "{\"acked_seq\":2}"), "the report was not acknowledged: %s", out);
	CHECK(db_count_records(c.db, id) == 2, "%lld rows stored", db_count_records(c.db, id));
	CHECK(enroll_certs_of(&c, id) == 1, "%lld certificates stored", enroll_certs_of(&c, id));
	CHECK(enroll_token_used(&c, &tok) == 1, "token used %lld times",
	      enroll_token_used(&c, &tok));

	/* What it wrote: the device CA from cacerts, a certificate for the id chaining to it. */
	file_path(cacerts_path, sizeof(cacerts_path), out_dir, "cacerts.pem");
	file_path(cert_path, sizeof(cert_path), out_dir, "device.crt");
	file_path(ca_path, sizeof(ca_path), t->pki, "device-ca.crt");
	cacert = pki_read_cert(cacerts_path);
	cert = pki_read_cert(cert_path);
	CHECK(cacert && cert, "no %s or %s", cacerts_path, cert_path);
	{
		_cleanup_(X509_freep) X509 *ca = pki_read_cert(ca_path);

		CHECK(ca && X509_cmp(ca, cacert) == 0, "cacerts.pem is not the device CA");
	}
	pki_subject_cn(cert, line, sizeof(line));
	CHECK(strcmp(line, id) == 0, "CN '%s'", line);
	CHECK(pki_verify_client_cert(cert, ca_path, reason, sizeof(reason)) == 0, "%s", reason);
	return 0;
}

const struct test enroll_tests[] = {
	{ "est_cacerts_is_the_device_ca", test_cacerts_is_the_device_ca },
	{ "enroll_with_token_issues_device_cert", test_enroll_with_token },
	{ "enrolled_cert_posts_reports", test_enrolled_cert_posts_reports },
	{ "enroll_with_basic_auth_token", test_enroll_with_basic_auth },
	{ "enroll_accepts_p384_and_rsa2048", test_enroll_accepts_p384_and_rsa2048 },
	{ "enroll_unknown_token_401", test_unknown_token_401 },
	{ "enroll_unknown_token_refused_before_body", test_unknown_token_before_body },
	{ "enroll_expired_token_401", test_expired_token_401 },
	{ "enroll_used_up_token_401", test_used_up_token_401 },
	{ "enroll_revoked_token_401", test_revoked_token_401 },
	{ "enroll_malformed_authorization_401", test_malformed_authorization_401 },
	{ "enroll_no_authorization_401", test_no_authorization_401 },
	{ "csr_not_base64_400", test_csr_not_base64_400 },
	{ "csr_garbage_400", test_csr_garbage_400 },
	{ "csr_cn_not_device_id_400", test_csr_cn_not_device_id_400 },
	{ "csr_two_cns_400", test_csr_two_cns_400 },
	{ "csr_rsa_1024_400", test_csr_rsa_1024_400 },
	{ "csr_curve_secp256k1_400", test_csr_curve_secp256k1_400 },
	{ "csr_ed25519_key_400", test_csr_ed25519_400 },
	{ "csr_tampered_signature_400", test_csr_tampered_signature_400 },
	{ "enroll_body_over_24k_413", test_body_over_24k_413 },
	{ "enroll_chunked_body_over_24k_refused", test_chunked_body_over_24k_refused },
	{ "enroll_wrong_content_type_415", test_wrong_content_type_415 },
	{ "enroll_get_405", test_get_simpleenroll_405 },
	{ "est_client_script_enrolls", test_est_client_script_enrolls },
	{},
};
