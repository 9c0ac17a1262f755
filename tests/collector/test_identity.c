// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A device identity after enrollment: who may take an enrolled id (nobody
 * with a plain token), renewal with the device's own certificate,
 * revocation and retirement with what they cut off, the CRL a relying
 * party reads, and the audit of who did each.  Each test starts a collector
 * of its own (harness_enroll.h).
 */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness_enroll.h"

/* --- identity takeover --------------------------------------------------------------------- */

static int test_enrolled_id_with_token_403(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {}, thief = {};
	struct enroll_token first, second;
	struct collector c;
	char resp[512], want[256];
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &first, NULL) < 0 ||
	    enroll_token_create(t, &c, &second, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, first.bearer, false) < 0)
		return -1;
	/* Another machine, a good token, the same id. */
	memcpy(thief.id, d.id, sizeof(d.id));
	status = enroll_device_request(t, &c, &thief, EST_SIMPLEENROLL, second.bearer, false, resp,
				       sizeof(resp));
	collector_stop(&c, SIGTERM);
	snprintf(want, sizeof(want),
		 "{\"error\":\"device %s is already enrolled; renew with its current "
		 "certificate or use a re-enroll token\"}",
		 d.id);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(enroll_token_used(&c, &second) == 0, "the second token was used");
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates for the id",
	      enroll_certs_of(&c, d.id));
	CHECK(enroll_identity_is(&c, d.id, "active", d.serial),
	      "the identity's certificate changed");
	return 0;
}

static int test_enrolled_id_with_reenroll_token_200(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {}, again = {};
	struct enroll_token first, reenroll;
	struct collector c;
	char resp[512];

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &first, NULL) < 0 ||
	    enroll_token_create(t, &c, &reenroll, "--reenroll", NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, first.bearer, false) < 0)
		return -1;
	/* The same laptop reinstalled: its old key is gone, IT hands out a re-enroll token. */
	memcpy(again.id, d.id, sizeof(d.id));
	if (enroll_device_ok(t, &c, &again, reenroll.bearer, false) < 0)
		return -1;
	CHECK(enroll_device_report(t, &c, &again, 1, resp, sizeof(resp)) == 200,
	      "the new certificate cannot report: %s", resp);
	collector_stop(&c, SIGTERM);
	CHECK(strcmp(again.serial, d.serial) != 0, "the same serial twice");
	CHECK(enroll_token_used(&c, &reenroll) == 1, "re-enroll token used %lld times",
	      enroll_token_used(&c, &reenroll));
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	CHECK(enroll_identity_is(&c, d.id, "active", again.serial),
	      "the identity is not the new one");
	return 0;
}

static int test_reported_device_id_with_token_403(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device thief = {};
	char *body = records_batch(t->device1, 1, 1), resp[512], want[256];
	struct http h = http_report("device1", body, body ? strlen(body) : 0);
	struct enroll_token tok;
	struct collector c;
	long long certs;
	long status;

	if (enroll_start(t, &c) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0) {
		free(body);
		return -1;
	}
	certs = enroll_certs_of(&c, t->device1);
	/* device1 reports with its certificate from outside (pki/device1.crt) ... */
	h.port = c.port;
	http_perform(t, &h);
	free(body);
	CHECK(h.code == CURLE_OK && h.status == 200, "device1's report: status %ld: %s", h.status,
	      enroll_text(&h));
	http_done(&h);
	/* ... so a token cannot take its id. */
	memcpy(thief.id, t->device1, sizeof(thief.id));
	status = enroll_device_request(t, &c, &thief, EST_SIMPLEENROLL, tok.bearer, false, resp,
				       sizeof(resp));
	collector_stop(&c, SIGTERM);
	snprintf(want, sizeof(want),
		 "{\"error\":\"device %s is already enrolled; renew with its current "
		 "certificate or use a re-enroll token\"}",
		 t->device1);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(enroll_token_used(&c, &tok) == 0, "the token was used");
	CHECK(enroll_certs_of(&c, t->device1) == certs, "a certificate was issued for device1");
	return 0;
}

/* --- renewal ------------------------------------------------------------------------------- */

static int test_renewal_with_own_cert(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *old_key = NULL;
	char old_serial[PKI_SERIAL_HEX_MAX + 1], resp[512];
	struct enroll_token tok;
	struct collector c;
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	memcpy(old_serial, d.serial, sizeof(old_serial));
	old_key = EVP_PKEY_dup(d.key);
	CHECK(old_key, "out of memory");
	status = enroll_device_request(t, &c, &d, EST_SIMPLEREENROLL, NULL, true, resp,
				       sizeof(resp));
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(enroll_device_report(t, &c, &d, 1, resp, sizeof(resp)) == 200,
	      "the renewed certificate cannot report: %s", resp);
	collector_stop(&c, SIGTERM);
	CHECK(strcmp(d.serial, old_serial) != 0, "the same serial %s", d.serial);
	CHECK(EVP_PKEY_eq(X509_get0_pubkey(d.cert), d.key) == 1, "not the new request's key");
	CHECK(EVP_PKEY_eq(X509_get0_pubkey(d.cert), old_key) != 1, "still the old key");
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	CHECK(enroll_identity_is(&c, d.id, "active", d.serial),
	      "the identity does not name the new certificate");
	return 0;
}

static int test_renewal_without_cert_401(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok, other;
	struct collector c;
	struct http h;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = pki_key_ec("P-256");
	_cleanup_free_ char *csr = NULL;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_token_create(t, &c, &other, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	csr = key ? pki_csr_base64(key, d.id) : NULL;
	CHECK(csr, "request");
	/* A token is not the device's certificate. */
	enroll_post(t, &c, &h, EST_SIMPLEREENROLL, csr, strlen(csr), other.bearer, NULL);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_OK && h.status == 401, "status %ld: %s", h.status, enroll_text(&h));
	CHECK(enroll_error_is(&h, "renewal needs the device's current certificate"), "answer %s",
	      enroll_text(&h));
	CHECK(strcmp(h.www_authenticate, EST_REALM) == 0, "WWW-Authenticate '%s'",
	      h.www_authenticate);
	http_done(&h);
	CHECK(enroll_token_used(&c, &other) == 0, "the token was used");
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

static int test_renewal_with_other_devices_cert_403(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device as_device2 = {};
	char resp[512], want[256];
	struct collector c;
	long long certs;
	long status;

	if (enroll_start(t, &c) < 0)
		return -1;
	certs = enroll_certs_of(&c, t->device1);
	/* device2's own certificate, a request for device1's id. */
	memcpy(as_device2.id, t->device1, sizeof(as_device2.id));
	file_path(as_device2.cert_path, sizeof(as_device2.cert_path), t->pki, "device2.crt");
	file_path(as_device2.key_path, sizeof(as_device2.key_path), t->pki, "device2.key");
	status = enroll_device_request(t, &c, &as_device2, EST_SIMPLEREENROLL, NULL, true, resp,
				       sizeof(resp));
	collector_stop(&c, SIGTERM);
	snprintf(want, sizeof(want),
		 "{\"error\":\"the request is for device %s, the certificate is device %s's\"}",
		 t->device1, t->device2);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(enroll_certs_of(&c, t->device1) == certs, "a certificate was issued for device1");
	return 0;
}

static int test_enroll_with_own_cert_no_token(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char old_serial[PKI_SERIAL_HEX_MAX + 1];
	struct enroll_token tok;
	struct collector c;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	memcpy(old_serial, d.serial, sizeof(old_serial));
	/* RFC 7030 section 3.3.2: the client certificate authorises simpleenroll too. */
	if (enroll_device_ok(t, &c, &d, NULL, true) < 0)
		return -1;
	collector_stop(&c, SIGTERM);
	CHECK(strcmp(d.serial, old_serial) != 0, "the same serial");
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	CHECK(enroll_token_used(&c, &tok) == 1, "token used %lld times",
	      enroll_token_used(&c, &tok));
	return 0;
}

/* --- a lost answer's retry: the same key again ---------------------------------------------- */

static int test_retry_same_key_reissues(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char first[PKI_SERIAL_HEX_MAX + 1], resp[512], out[4096];
	struct enroll_token tok;
	struct collector c;
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, "--uses", "1", NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	memcpy(first, d.serial, sizeof(first));
	/* The answer was lost: the laptop sends the request of the same key and token again. */
	status = enroll_device_retry(t, &c, &d, tok.bearer, resp, sizeof(resp));
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(enroll_device_report(t, &c, &d, 1, resp, sizeof(resp)) == 200,
	      "the re-issued certificate cannot report: %s", resp);
	collector_stop(&c, SIGTERM);
	CHECK(strcmp(d.serial, first) != 0, "the same serial");
	CHECK(enroll_token_used(&c, &tok) == 1, "the one-use token was used %lld times",
	      enroll_token_used(&c, &tok));
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	CHECK(enroll_identity_is(&c, d.id, "active", d.serial), "the identity is not the new one");
	CHECK(enroll_cli(t, &c, out, sizeof(out), NULL, 0, "audit", "--device", d.id, NULL) == 0,
	      "audit");
	CHECK(strstr(out, " re-issue ") && strstr(out, "the key of its current certificate"),
	      "no re-issue row:\n%s", out);
	return 0;
}

static int test_retry_same_key_after_revoke_refused(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok;
	struct collector c;
	char resp[512];
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, "--uses", "1", NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0 ||
	    enroll_cli(t, &c, NULL, 0, NULL, 0, "device", "revoke", d.id, NULL) != 0)
		return -1;
	/* The key of a revoked certificate speaks for nobody: the used token decides. */
	status = enroll_device_retry(t, &c, &d, tok.bearer, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 401, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, "{\"error\":\"the enrollment token is used up\"}") == 0, "answer %s",
	      resp);
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

/* --- revocation and the CRL ---------------------------------------------------------------- */

static int device_set_state(struct harness *t, const struct collector *c, const char *verb,
			    const char *id)
{
	char err[512];
	int r = enroll_cli(t, c, NULL, 0, err, sizeof(err), "device", verb, id, NULL);

	CHECK(r == 0, "device %s %s exited %d: %s", verb, id, r, err);
	return 0;
}

/* An enrolled device with two certificates (enrolled, then renewed), in *d. */
static int enroll_and_renew(struct harness *t, const struct collector *c, struct enroll_device *d)
{
	struct enroll_token tok;

	if (enroll_device_new(d) < 0 || enroll_token_create(t, c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, c, d, tok.bearer, false) < 0)
		return -1;
	return enroll_device_renew_ok(t, c, d);
}

static int test_revoked_device_refused(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct http policy = { .path = "/v1/policy" };
	char resp[512], want[256];
	struct collector c;
	long status;

	if (enroll_start(t, &c) < 0 || enroll_and_renew(t, &c, &d) < 0)
		return -1;
	CHECK(enroll_device_report(t, &c, &d, 2, resp, sizeof(resp)) == 200, "before: %s", resp);
	if (device_set_state(t, &c, "revoke", d.id) < 0)
		return -1;
	status = enroll_device_report(t, &c, &d, 5, resp, sizeof(resp));
	policy.port = c.port;
	policy.cert_path = d.cert_path;
	policy.key_path = d.key_path;
	http_perform(t, &policy);
	collector_stop(&c, SIGTERM);
	snprintf(want, sizeof(want),
		 "{\"error\":\"device %s or this certificate of it is revoked\"}", d.id);
	CHECK(status == 403, "report after revoke: status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(db_count_records(c.db, d.id) == 2, "%lld rows, not the 2 from before",
	      db_count_records(c.db, d.id));
	CHECK(policy.code == CURLE_OK && policy.status == 403, "policy: status %ld: %s",
	      policy.status, enroll_text(&policy));
	CHECK(policy.resp && strcmp(policy.resp, want) == 0, "policy: answer %s",
	      enroll_text(&policy));
	http_done(&policy);
	CHECK(db_int(c.db,
		     "SELECT count(*) FROM certificates WHERE device_id = ?1 AND revoked IS "
		     "NOT NULL AND revoked_why = 'revoked'",
		     d.id) == 2,
	      "not both certificates revoked");
	return 0;
}

static int test_revoked_device_renewal_403(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char resp[512], want[256];
	struct collector c;
	long status;

	if (enroll_start(t, &c) < 0 || enroll_and_renew(t, &c, &d) < 0 ||
	    device_set_state(t, &c, "revoke", d.id) < 0)
		return -1;
	status = enroll_device_request(t, &c, &d, EST_SIMPLEREENROLL, NULL, true, resp,
				       sizeof(resp));
	collector_stop(&c, SIGTERM);
	snprintf(want, sizeof(want),
		 "{\"error\":\"device %s or this certificate of it is revoked\"}", d.id);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

/* GETs the CRL of c (pem: ?format=pem) into *ret; checks the media type. */
static int fetch_crl(struct harness *t, const struct collector *c, bool pem, X509_CRL **ret)
{
	struct http h = { .path = pem ? "/v1/crl?format=pem" : "/v1/crl", .port = c->port };
	const char *type = pem ? "application/x-pem-file" : "application/pkix-crl";

	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "%s: status %ld: %s", h.path, h.status,
	      enroll_text(&h));
	CHECK(strcmp(h.resp_content_type, type) == 0, "%s: Content-Type '%s', not %s", h.path,
	      h.resp_content_type, type);
	CHECK(!pem || strncmp(h.resp, "-----BEGIN X509 CRL-----\n", 25) == 0, "PEM: %.40s", h.resp);
	*ret = pki_parse_crl(h.resp, h.resp_size, pem);
	http_done(&h);
	CHECK(*ret, "%s is not a CRL", pem ? "the PEM" : "the DER");
	return 0;
}

/* The reason code of serial in crl: -1 when it is not listed, -2 for no reason code. */
static int crl_reason(X509_CRL *crl, const char *serial)
{
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);

	for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
		char hex[PKI_SERIAL_HEX_MAX + 1];
		ASN1_ENUMERATED *reason;
		long v;

		pki_serial_hex(X509_REVOKED_get0_serialNumber(r), hex);
		if (strcmp(hex, serial) != 0)
			continue;
		reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
		if (!reason)
			return -2;
		v = ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
		return (int)v;
	}
	return -1;
}

/*
 * Checks crl as a relying party would: issued and signed by the device CA,
 * a CRL number, a next update, and every revoked certificate of the store
 * that has not expired listed: as many entries as those rows.
 */
static int check_crl(struct harness *t, const struct collector *c, X509_CRL *crl)
{
	_cleanup_(X509_freep) X509 *ca = NULL;
	ASN1_INTEGER *number;
	char ca_path[512], sql[160];
	long long rows;

	file_path(ca_path, sizeof(ca_path), t->pki, "device-ca.crt");
	ca = pki_read_cert(ca_path);
	CHECK(ca, "cannot read %s", ca_path);
	CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) == 0,
	      "the issuer is not the device CA");
	CHECK(X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1,
	      "the signature does not verify with the device CA's key");
	number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	CHECK(number, "no CRL number");
	CHECK(ASN1_INTEGER_get(number) > 0, "CRL number %ld", ASN1_INTEGER_get(number));
	ASN1_INTEGER_free(number);
	CHECK(X509_CRL_get0_nextUpdate(crl) && ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl),
								 X509_CRL_get0_nextUpdate(crl)) < 0,
	      "no next update after the last");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM certificates WHERE revoked IS NOT NULL AND not_after > %lld",
		 (long long)time(NULL) * 1000);
	rows = db_int(c->db, sql, NULL);
	CHECK(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == rows,
	      "%d entries, %lld revoked certificates in the store",
	      sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), rows);
	return 0;
}

static int test_crl_lists_revoked_device(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	_cleanup_(X509_CRL_freep) X509_CRL *der = NULL, *pem = NULL, *before = NULL;
	char first[PKI_SERIAL_HEX_MAX + 1];
	struct enroll_token tok;
	struct collector c;

	if (enroll_start(t, &c) < 0 || enroll_device_new(&d) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	memcpy(first, d.serial, sizeof(first));
	if (enroll_device_renew_ok(t, &c, &d) < 0 || fetch_crl(t, &c, false, &before) < 0)
		return -1;
	CHECK(crl_reason(before, first) == -1 && crl_reason(before, d.serial) == -1,
	      "listed before it was revoked");
	if (device_set_state(t, &c, "revoke", d.id) < 0 || fetch_crl(t, &c, false, &der) < 0 ||
	    fetch_crl(t, &c, true, &pem) < 0)
		return -1;
	collector_stop(&c, SIGTERM);
	for (X509_CRL *crl = der; crl; crl = crl == der ? pem : NULL) {
		const char *what = crl == der ? "DER" : "PEM";
		int a = crl_reason(crl, first), b = crl_reason(crl, d.serial);

		if (check_crl(t, &c, crl) < 0)
			return -1;
		/* Revoked for no stated reason: no reason code (RFC 5280 5.3.1). */
		CHECK(a == -2 && b == -2, "%s: %s reason %d, %s reason %d", what, first, a,
		      d.serial, b);
	}
	return 0;
}

static int test_crl_retired_cessation_of_operation(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	_cleanup_(X509_CRL_freep) X509_CRL *crl = NULL;
	char resp[512];
	struct enroll_token tok;
	struct collector c;
	long status;
	int reason;

	if (enroll_start(t, &c) < 0 || enroll_device_new(&d) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0 ||
	    device_set_state(t, &c, "retire", d.id) < 0 || fetch_crl(t, &c, false, &crl) < 0)
		return -1;
	status = enroll_device_report(t, &c, &d, 1, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	reason = crl_reason(crl, d.serial);
	CHECK(reason == CRL_REASON_CESSATION_OF_OPERATION, "reason %d, not cessationOfOperation",
	      reason);
	if (check_crl(t, &c, crl) < 0)
		return -1;
	CHECK(status == 403, "a retired device's report: status %ld: %s", status, resp);
	CHECK(db_count_records(c.db, d.id) == 0, "rows stored");
	return 0;
}

static int test_revoked_device_reenroll_needs_reenroll_token(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {}, again = {};
	struct enroll_token tok, normal, reenroll;
	struct collector c;
	char resp[512], want[256];
	long status;

	if (enroll_start(t, &c) < 0 || enroll_device_new(&d) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_token_create(t, &c, &normal, NULL) < 0 ||
	    enroll_token_create(t, &c, &reenroll, "--reenroll", NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0 ||
	    device_set_state(t, &c, "revoke", d.id) < 0)
		return -1;
	memcpy(again.id, d.id, sizeof(d.id));
	status = enroll_device_request(t, &c, &again, EST_SIMPLEENROLL, normal.bearer, false, resp,
				       sizeof(resp));
	snprintf(want, sizeof(want),
		 "{\"error\":\"device %s is revoked; only a re-enroll token can enroll it again\"}",
		 d.id);
	CHECK(status == 403, "a normal token: status %ld: %s", status, resp);
	CHECK(strcmp(resp, want) == 0, "answer %s", resp);
	CHECK(enroll_token_used(&c, &normal) == 0, "the normal token was used");

	if (enroll_device_ok(t, &c, &again, reenroll.bearer, false) < 0)
		return -1;
	CHECK(enroll_device_report(t, &c, &again, 1, resp, sizeof(resp)) == 200,
	      "the new certificate: %s", resp);
	/* The certificate revoked before stays revoked. */
	status = enroll_device_report(t, &c, &d, 1, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 403, "the revoked certificate: status %ld: %s", status, resp);
	CHECK(enroll_token_used(&c, &reenroll) == 1, "re-enroll token used %lld times",
	      enroll_token_used(&c, &reenroll));
	CHECK(enroll_identity_is(&c, d.id, "active", again.serial), "not active again with %s",
	      again.serial);
	return 0;
}

/* --- the audit ----------------------------------------------------------------------------- */

/*
 * Whether audit output has a row of action for device ("-": none) by actor
 * whose detail starts with detail.  Columns: time, action, device, actor,
 * detail, separated by spaces (admin.c's print_audit()).
 */
static bool audit_has(const char *out, const char *action, const char *device, const char *actor,
		      const char *detail)
{
	for (const char *line = out; *line;) {
		size_t len = strcspn(line, "\n");
		char when[32], act[32], dev[40];
		int n = 0;

		if (sscanf(line, "%31s %31s %39s %n", when, act, dev, &n) == 3 && n > 0 &&
		    strcmp(act, action) == 0 && strcmp(dev, device) == 0 &&
		    strncmp(line + n, actor, strlen(actor)) == 0) {
			const char *rest = line + n + strlen(actor);

			rest += strspn(rest, " ");
			if (strncmp(rest, detail, strlen(detail)) == 0 &&
			    (size_t)(rest - line) <= len)
				return true;
		}
		line += len + (line[len] == '\n');
	}
	return false;
}

static int test_audit_names_actors(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char all[65536], mine[4096], actor[160], cli_user[128], detail[160], first[41];
	struct passwd *pw = getpwuid(getuid());
	struct enroll_token tok;
	struct collector c;
	int lines = 0;

	CHECK(pw, "who am I?");
	snprintf(cli_user, sizeof(cli_user), "cli:%s", pw->pw_name);
	if (enroll_start(t, &c) < 0 || enroll_device_new(&d) < 0 ||
	    enroll_token_create(t, &c, &tok, "--uses", "2", "--label", "audit laptop", NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	memcpy(first, d.serial, sizeof(first));
	if (enroll_device_renew_ok(t, &c, &d) < 0 || device_set_state(t, &c, "revoke", d.id) < 0)
		return -1;
	CHECK(enroll_cli(t, &c, NULL, 0, NULL, 0, "token", "revoke", tok.id, NULL) == 0,
	      "token revoke");
	collector_stop(&c, SIGTERM);

	CHECK(enroll_cli(t, &c, all, sizeof(all), NULL, 0, "audit", NULL) == 0, "audit");
	snprintf(detail, sizeof(detail), "token %s 'audit laptop': 2 use(s), until ", tok.id);
	CHECK(audit_has(all, "token-create", "-", cli_user, detail),
	      "no token-create row by %s:\n%s", cli_user, all);
	snprintf(detail, sizeof(detail), "token %s", tok.id);
	CHECK(audit_has(all, "token-revoke", "-", cli_user, detail), "no token-revoke row:\n%s",
	      all);

	CHECK(enroll_cli(t, &c, mine, sizeof(mine), NULL, 0, "audit", "--device", d.id, NULL) == 0,
	      "audit --device");
	snprintf(actor, sizeof(actor), "token %s 'audit laptop'", tok.id);
	snprintf(detail, sizeof(detail), "serial %s, EC P-256, until ", first);
	CHECK(audit_has(mine, "enroll", d.id, actor, detail), "no enroll row by %s:\n%s", actor,
	      mine);
	snprintf(actor, sizeof(actor), "certificate %s", first);
	snprintf(detail, sizeof(detail), "serial %s, EC P-256, until ", d.serial);
	CHECK(audit_has(mine, "renew", d.id, actor, detail), "no renew row by %s:\n%s", actor,
	      mine);
	CHECK(audit_has(mine, "revoke", d.id, cli_user, "2 certificate(s) revoked"),
	      "no revoke row by %s:\n%s", cli_user, mine);
	/* The header and exactly those three. */
	for (const char *p = mine; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK(lines == 4, "%d lines for the device:\n%s", lines, mine);
	return 0;
}

/* The key alone, with no token and no certificate, is a retry the docs allow. */
static int test_retry_same_key_without_authorization(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok;
	struct collector c;
	char resp[512];
	long status;

	if (enroll_device_new(&d) < 0 || enroll_start(t, &c) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	status = enroll_device_retry(t, &c, &d, NULL, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(enroll_certs_of(&c, d.id) == 2, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

/* An expired certificate's key renews nothing: 401, nothing issued. */
static int test_retry_expired_certificate_key_refused(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	char ca_cert[512], ca_key[512], resp[512];
	const char *const extra[] = { "--ca-cert",	 ca_cert, "--ca-key", ca_key,
				      "--cert-lifetime", "1s",	  NULL };
	struct enroll_token tok;
	struct collector c;
	int exit_status = -1;
	long status;

	snprintf(ca_cert, sizeof(ca_cert), "%s/device-ca.crt", t->pki);
	snprintf(ca_key, sizeof(ca_key), "%s/device-ca.key", t->pki);
	CHECK(collector_start(t, &c, ENROLL_DB, extra, &exit_status) == 0,
	      "the collector did not start (exit %d)", exit_status);
	if (enroll_device_new(&d) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0)
		return -1;
	sleep(2);
	status = enroll_device_retry(t, &c, &d, NULL, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 401, "status %ld: %s", status, resp);
	CHECK(enroll_certs_of(&c, d.id) == 1, "%lld certificates", enroll_certs_of(&c, d.id));
	return 0;
}

/* The CRL number of each CRL is above the last one's, even within one second. */
static int test_crl_numbers_increase(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	_cleanup_(X509_CRL_freep) X509_CRL *first = NULL, *second = NULL;
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *a = NULL, *b = NULL;
	struct enroll_token tok;
	struct collector c;

	if (enroll_start(t, &c) < 0 || enroll_device_new(&d) < 0 ||
	    enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_ok(t, &c, &d, tok.bearer, false) < 0 ||
	    fetch_crl(t, &c, false, &first) < 0 || device_set_state(t, &c, "revoke", d.id) < 0 ||
	    fetch_crl(t, &c, false, &second) < 0)
		return -1;
	collector_stop(&c, SIGTERM);
	a = X509_CRL_get_ext_d2i(first, NID_crl_number, NULL, NULL);
	b = X509_CRL_get_ext_d2i(second, NID_crl_number, NULL, NULL);
	CHECK(a && b && ASN1_INTEGER_cmp(a, b) < 0,
	      "the second CRL's number is not above the first's");
	return 0;
}

const struct test identity_tests[] = {
	{ "enrolled_id_with_token_403", test_enrolled_id_with_token_403 },
	{ "enrolled_id_with_reenroll_token_200", test_enrolled_id_with_reenroll_token_200 },
	{ "reported_device_id_with_token_403", test_reported_device_id_with_token_403 },
	{ "renewal_with_own_cert_new_serial", test_renewal_with_own_cert },
	{ "renewal_without_cert_401", test_renewal_without_cert_401 },
	{ "renewal_with_other_devices_cert_403", test_renewal_with_other_devices_cert_403 },
	{ "enroll_with_own_cert_no_token_200", test_enroll_with_own_cert_no_token },
	{ "retry_same_key_reissues_without_token_use", test_retry_same_key_reissues },
	{ "retry_same_key_after_revoke_refused", test_retry_same_key_after_revoke_refused },
	{ "retry_same_key_without_authorization_200", test_retry_same_key_without_authorization },
	{ "retry_expired_certificate_key_401", test_retry_expired_certificate_key_refused },
	{ "revoked_device_reports_and_policy_403", test_revoked_device_refused },
	{ "revoked_device_renewal_403", test_revoked_device_renewal_403 },
	{ "crl_lists_revoked_device_serials", test_crl_lists_revoked_device },
	{ "crl_retired_cessation_of_operation", test_crl_retired_cessation_of_operation },
	{ "crl_numbers_increase", test_crl_numbers_increase },
	{ "revoked_device_reenroll_needs_reenroll_token",
	  test_revoked_device_reenroll_needs_reenroll_token },
	{ "audit_names_actors", test_audit_names_actors },
	{},
};
