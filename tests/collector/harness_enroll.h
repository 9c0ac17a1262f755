/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the enrollment tests (test_enroll.c, test_identity.c) share
 * (harness_enroll.c): a collector that enrolls, the administration command
 * line on its database, tokens, and devices that enroll, renew and report.
 *
 * Every such collector issues from the test PKI's device CA (--ca-cert
 * pki/device-ca.crt, --cert-lifetime 1h) and stores into one database,
 * enroll.db.  Tests enroll devices of fresh random ids with tokens of their
 * own and read only those rows, so none depends on another.  Keys, requests
 * and answers are made and read with OpenSSL (harness_pki.c), never with
 * the collector's own code.
 */

#include "harness.h"
#include "harness_pki.h"

#define ENROLL_DB	    "enroll.db"
#define ENROLL_LIFETIME_SEC 3600 /* --cert-lifetime 1h ... */
#define ENROLL_BACKDATE_SEC 300 /* ... back-dated min(lifetime / 10, 300 s) */

#define EST_CACERTS	    "/.well-known/est/cacerts"
#define EST_SIMPLEENROLL    "/.well-known/est/simpleenroll"
#define EST_SIMPLEREENROLL  "/.well-known/est/simplereenroll"
#define EST_CONTENT_PKCS7   "application/pkcs7-mime; smime-type=certs-only"
#define EST_REALM	    "Bearer realm=\"postured enrollment\"" /* WWW-Authenticate of a 401 */

/*
 * Starts *c: collector_start() on ENROLL_DB with the device CA as the
 * issuing CA.  Returns 0, or -1 (a CHECK) when it did not start.
 */
int enroll_start(struct harness *t, struct collector *c);

/*
 * Runs `posture-collector ARGS... --db c->db` (ARGS NULL-terminated, at most
 * 27), its stdout into out and its stderr into err (each NUL-terminated,
 * truncated; not kept when NULL).  Returns the exit status as process_run()
 * does.
 */
int enroll_cli(struct harness *t, const struct collector *c, char *out, size_t out_size, char *err,
	       size_t err_size, ...);

/* A token as `token create` printed it. */
struct enroll_token {
	char value[65];
	char id[24]; /* its number, as text: for `token revoke` and the SQL */
	char bearer[80]; /* "Bearer VALUE", an Authorization header's value */
};

/*
 * `token create` with the NULL-terminated options (NULL alone: one use, 7
 * days) into *tok; checks it printed the token alone on stdout and its
 * number on stderr.  Returns 0 or -1 (a CHECK).
 */
#define enroll_token_create(t, c, tok, ...) \
	enroll_token_create_args(t, c, tok, (const char *const[]){ __VA_ARGS__ })
int enroll_token_create_args(struct harness *t, const struct collector *c, struct enroll_token *tok,
			     const char *const *opts);

/* The store's counts: uses of tok, certificates and identities of device id; -1 on errors. */
long long enroll_token_used(const struct collector *c, const struct enroll_token *tok);
long long enroll_certs_of(const struct collector *c, const char *id);
long long enroll_identities_of(const struct collector *c, const char *id);

/* Whether the store has device id's identity in state, naming the certificate serial. */
bool enroll_identity_is(const struct collector *c, const char *id, const char *state,
			const char *serial);

/* A device of a test: its id, its key and certificate, and the files curl reads them from. */
struct enroll_device {
	char id[33];
	EVP_PKEY *key; /* of the last request answered with a certificate */
	X509 *cert; /* the certificate last issued to it */
	char serial[PKI_SERIAL_HEX_MAX + 1];
	char cert_path[512]; /* its client certificate for TLS; "" when it has none */
	char key_path[512];
};

/* A device with a fresh random id and nothing else into *d.  0 or -1 (a CHECK). */
int enroll_device_new(struct enroll_device *d);

/* Frees d's key and certificate (a cleanup function: _cleanup_(enroll_device_done)). */
void enroll_device_done(struct enroll_device *d);

/* Whether h's answer is {"error": reason}, exactly. */
bool enroll_error_is(const struct http *h, const char *reason);

/* h's answer, or curl's error when there is none: for messages. */
const char *enroll_text(const struct http *h);

/*
 * POSTs body (size bytes) to path of collector c as an EST request:
 * Content-Type application/pkcs10, authorization (NULL: no Authorization
 * header) and, when as is not NULL and has one, as's client certificate.
 * The caller reads *h and calls http_done().
 */
void enroll_post(struct harness *t, const struct collector *c, struct http *h, const char *path,
		 const char *body, size_t size, const char *authorization,
		 const struct enroll_device *as);

/*
 * d asks c for a certificate: a new P-256 key, a request for d->id, to path
 * (simpleenroll or simplereenroll) with authorization (NULL: none) and,
 * when with_cert, d's current certificate.  Returns the HTTP status (0: no
 * answer; -1: a 200 whose answer is not one certificate in PKCS#7 certs-only
 * base64) and the answer (or why not) in resp.  On 200 d's key, certificate,
 * serial and files are the new ones; the files of its earlier certificates
 * stay (they are named by serial).
 */
long enroll_device_request(struct harness *t, const struct collector *c, struct enroll_device *d,
			   const char *path, const char *authorization, bool with_cert, char *resp,
			   size_t resp_size);

/*
 * enroll_device_request() to simpleenroll without a certificate, but with
 * d's current key again: the retry of a laptop whose answer was lost.
 */
long enroll_device_retry(struct harness *t, const struct collector *c, struct enroll_device *d,
			 const char *authorization, char *resp, size_t resp_size);

/* enroll_device_request() to simpleenroll that must answer 200.  0 or -1 (a CHECK). */
int enroll_device_ok(struct harness *t, const struct collector *c, struct enroll_device *d,
		     const char *authorization, bool with_cert);

/* enroll_device_request() to simplereenroll with d's certificate that must answer 200. */
int enroll_device_renew_ok(struct harness *t, const struct collector *c, struct enroll_device *d);

/* POSTs records 1..n for d with its certificate; the HTTP status, the answer in resp. */
long enroll_device_report(struct harness *t, const struct collector *c,
			  const struct enroll_device *d, long long n, char *resp, size_t resp_size);
