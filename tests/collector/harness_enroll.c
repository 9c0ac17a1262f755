// SPDX-License-Identifier: LGPL-2.1-or-later
/* The enrollment tests' collectors, command line, tokens and devices (harness_enroll.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness_enroll.h"

int enroll_start(struct harness *t, struct collector *c)
{
	char ca_cert[512], ca_key[512];
	const char *const extra[] = { "--ca-cert",	 ca_cert, "--ca-key", ca_key,
				      "--cert-lifetime", "1h",	  NULL };
	int exit_status = -1;

	file_path(ca_cert, sizeof(ca_cert), t->pki, "device-ca.crt");
	file_path(ca_key, sizeof(ca_key), t->pki, "device-ca.key");
	CHECK(collector_start(t, c, ENROLL_DB, extra, &exit_status) == 0,
	      "the enrolling collector did not start (exit %d); see %s", exit_status, c->log);
	return 0;
}

/* --- the command line on the collector's database ------------------------------------------ */

int enroll_cli(struct harness *t, const struct collector *c, char *out, size_t out_size, char *err,
	       size_t err_size, ...)
{
	char out_path[512], err_path[512], *argv[32], *data;
	unsigned n = 0;
	va_list ap;
	int r;

	file_path(out_path, sizeof(out_path), t->dir, "cli.out");
	file_path(err_path, sizeof(err_path), t->dir, "cli.err");
	argv[n++] = (char *)t->bin;
	va_start(ap, err_size);
	for (char *a; (a = va_arg(ap, char *)) && n < 28;)
		argv[n++] = a;
	va_end(ap);
	argv[n++] = "--db";
	argv[n++] = (char *)c->db;
	argv[n] = NULL;
	r = process_run(argv, out_path, err_path);
	if (out && file_read(out_path, &data, NULL) == 0) {
		snprintf(out, out_size, "%s", data);
		free(data);
	}
	if (err && file_read(err_path, &data, NULL) == 0) {
		snprintf(err, err_size, "%s", data);
		free(data);
	}
	return r;
}

int enroll_token_create_args(struct harness *t, const struct collector *c, struct enroll_token *tok,
			     const char *const *opts)
{
	const char *o[8] = {};
	char out[256], err[512];
	long long id;
	int r;

	for (unsigned i = 0; opts[i] && i < 7; i++)
		o[i] = opts[i];
	r = enroll_cli(t, c, out, sizeof(out), err, sizeof(err), "token", "create", o[0], o[1],
		       o[2], o[3], o[4], o[5], o[6], NULL);
	CHECK(r == 0, "token create exited %d: %s", r, err);
	/* The token and a newline on stdout, nothing else: a script takes it with $(...). */
	CHECK(strlen(out) == 65 && out[64] == '\n' && strspn(out, "0123456789abcdef") == 64,
	      "token create printed '%s'", out);
	CHECK(sscanf(err, "Token %lld", &id) == 1 && id > 0, "no token number in '%s'", err);
	snprintf(tok->value, sizeof(tok->value), "%.64s", out);
	snprintf(tok->id, sizeof(tok->id), "%lld", id);
	snprintf(tok->bearer, sizeof(tok->bearer), "Bearer %s", tok->value);
	return 0;
}

long long enroll_token_used(const struct collector *c, const struct enroll_token *tok)
{
	return db_int(c->db, "SELECT used FROM enroll_tokens WHERE id = ?1", tok->id);
}

long long enroll_certs_of(const struct collector *c, const char *id)
{
	return db_int(c->db, "SELECT count(*) FROM certificates WHERE device_id = ?1", id);
}

long long enroll_identities_of(const struct collector *c, const char *id)
{
	return db_int(c->db, "SELECT count(*) FROM identities WHERE device_id = ?1", id);
}

bool enroll_identity_is(const struct collector *c, const char *id, const char *state,
			const char *serial)
{
	char sql[256];

	/* Both are ours (a state name, hex digits): safe to put in the SQL. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM identities WHERE device_id = ?1 AND state = '%s' AND "
		 "serial = '%s'",
		 state, serial);
	return db_int(c->db, sql, id) == 1;
}

/* --- devices and their requests ------------------------------------------------------------ */

void enroll_device_done(struct enroll_device *d)
{
	EVP_PKEY_free(d->key);
	X509_free(d->cert);
	d->key = NULL;
	d->cert = NULL;
}

int enroll_device_new(struct enroll_device *d)
{
	*d = (struct enroll_device){};
	CHECK(pki_random_device_id(d->id) == 0, "no randomness for a device id");
	return 0;
}

bool enroll_error_is(const struct http *h, const char *reason)
{
	char want[512];

	snprintf(want, sizeof(want), "{\"error\":\"%s\"}", reason);
	return h->resp && strcmp(h->resp, want) == 0;
}

const char *enroll_text(const struct http *h)
{
	return h->resp ? h->resp : h->error;
}

void enroll_post(struct harness *t, const struct collector *c, struct http *h, const char *path,
		 const char *body, size_t size, const char *authorization,
		 const struct enroll_device *as)
{
	*h = (struct http){
		.method = "POST",
		.path = path,
		.port = c->port,
		.body = body,
		.body_size = size,
		.content_type = "application/pkcs10",
		.authorization = authorization,
	};
	if (as && as->cert_path[0]) {
		h->cert_path = as->cert_path;
		h->key_path = as->key_path;
	}
	http_perform(t, h);
}

/* enroll_device_request() with key (taken: freed, or d's on success) for the request. */
static long request_with_key(struct harness *t, const struct collector *c, struct enroll_device *d,
			     EVP_PKEY *new_key, const char *path, const char *authorization,
			     bool with_cert, char *resp, size_t resp_size)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = new_key;
	_cleanup_free_ char *csr = key ? pki_csr_base64(key, d->id) : NULL;
	char reason[128];
	struct http h;
	long status;
	X509 *cert;

	resp[0] = '\0';
	if (!csr) {
		snprintf(resp, resp_size, "no key or request");
		return 0;
	}
	enroll_post(t, c, &h, path, csr, strlen(csr), authorization, with_cert ? d : NULL);
	status = h.code == CURLE_OK ? h.status : 0;
	snprintf(resp, resp_size, "%s", enroll_text(&h));
	if (status == 200) {
		if (strcmp(h.resp_content_type, EST_CONTENT_PKCS7) != 0 ||
		    strcmp(h.transfer_encoding, "base64") != 0 ||
		    pki_answer_cert(h.resp, h.resp_size, &cert, reason, sizeof(reason)) < 0) {
			snprintf(resp, resp_size, "a bad answer (%s, %s): %s", h.resp_content_type,
				 h.transfer_encoding, reason);
			status = -1;
		} else {
			enroll_device_done(d);
			d->cert = cert;
			d->key = TAKE_PTR(key);
			pki_serial_hex(X509_get0_serialNumber(cert), d->serial);
			/* By serial: every certificate keeps its files, for the tests of old ones. */
			snprintf(d->cert_path, sizeof(d->cert_path), "%s/%s.crt", t->dir,
				 d->serial);
			snprintf(d->key_path, sizeof(d->key_path), "%s/%s.key", t->dir, d->serial);
			if (pki_write_pem(d->cert, d->cert_path, d->key, d->key_path) < 0) {
				snprintf(resp, resp_size, "cannot write %.400s", d->cert_path);
				status = -1;
			}
		}
	}
	http_done(&h);
	return status;
}

long enroll_device_request(struct harness *t, const struct collector *c, struct enroll_device *d,
			   const char *path, const char *authorization, bool with_cert, char *resp,
			   size_t resp_size)
{
	return request_with_key(t, c, d, pki_key_ec("P-256"), path, authorization, with_cert, resp,
				resp_size);
}

long enroll_device_retry(struct harness *t, const struct collector *c, struct enroll_device *d,
			 const char *authorization, char *resp, size_t resp_size)
{
	return request_with_key(t, c, d, d->key ? EVP_PKEY_dup(d->key) : NULL, EST_SIMPLEENROLL,
				authorization, false, resp, resp_size);
}

int enroll_device_ok(struct harness *t, const struct collector *c, struct enroll_device *d,
		     const char *authorization, bool with_cert)
{
	char resp[512];
	long status = enroll_device_request(t, c, d, EST_SIMPLEENROLL, authorization, with_cert,
					    resp, sizeof(resp));

	CHECK(status == 200, "enrolling %s: status %ld: %s", d->id, status, resp);
	return 0;
}

int enroll_device_renew_ok(struct harness *t, const struct collector *c, struct enroll_device *d)
{
	char resp[512];
	long status =
		enroll_device_request(t, c, d, EST_SIMPLEREENROLL, NULL, true, resp, sizeof(resp));

	CHECK(status == 200, "renewing %s: status %ld: %s", d->id, status, resp);
	return 0;
}

long enroll_device_report(struct harness *t, const struct collector *c,
			  const struct enroll_device *d, long long n, char *resp, size_t resp_size)
{
	char *body = records_batch(d->id, 1, n);
	struct http h = http_report(NULL, body, body ? strlen(body) : 0);
	long status;

	h.port = c->port;
	h.cert_path = d->cert_path;
	h.key_path = d->key_path;
	http_perform(t, &h);
	status = h.code == CURLE_OK ? h.status : 0;
	snprintf(resp, resp_size, "%s", enroll_text(&h));
	http_done(&h);
	free(body);
	return status;
}
