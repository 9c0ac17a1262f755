/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Enrollment over Secure Transport (RFC 7030), the subset devices need,
 * and the CRL for relying parties; docs/enrollment.md says what is
 * supported.  Pure request -> answer functions: the server (server.c) does
 * the HTTP, these do the PKI and the store.
 *
 *   GET  /.well-known/est/cacerts         the CA, PKCS#7 certs-only, base64
 *   POST /.well-known/est/simpleenroll    PKCS#10 (base64) -> PKCS#7 certs-only
 *                                         authorised by an enrollment token
 *                                         (Authorization: Bearer, or Basic with
 *                                         the token as password), or by the
 *                                         device's current certificate
 *   POST /.well-known/est/simplereenroll  the same, by the current certificate
 *   GET  /v1/crl                          the CRL, DER (?format=pem: PEM)
 */
#ifndef POSTURED_COLLECTOR_EST_H
#define POSTURED_COLLECTOR_EST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca.h"
#include "csr.h"
#include "peer.h"
#include "store.h"

#define EST_PATH_CACERTS	"/.well-known/est/cacerts"
#define EST_PATH_SIMPLEENROLL	"/.well-known/est/simpleenroll"
#define EST_PATH_SIMPLEREENROLL "/.well-known/est/simplereenroll"
#define EST_PATH_CRL		"/v1/crl"
/* A base64 request body: a 16 KiB DER request with line breaks fits. */
#define EST_MAX_BODY  (24 * 1024)
#define EST_TOKEN_MAX 256

struct est {
	struct ca *ca; /* its certificate; and its key, unless a hook issues */
	const char *hook; /* the external CA program (est_hook.h); NULL: ca signs */
	struct store *store;
	uint64_t lifetime_sec; /* of the certificates issued */
};

struct est_request {
	bool renewal; /* simplereenroll */
	const char *authorization; /* the Authorization header; NULL: none */
	const struct peer *peer; /* the client certificate's identity; NULL: none */
	const char *content_type;
	const char *body;
	size_t size;
	const char *address;
	int64_t now; /* ms since the epoch */
};

/* An answer: HTTP status, and either a body (ours to free) or an error reason. */
struct est_answer {
	unsigned status;
	const char *content_type;
	char *body;
	size_t size;
	char reason[256];
};

void est_answer_done(struct est_answer *a);

void est_cacerts(const struct est *e, struct est_answer *ret);

/* A request that may have a certificate, once one is made for it. */
struct est_pending {
	X509_REQ *csr;
	struct csr_info info;
	bool renewal, has_token, has_peer;
	char token_hash[65];
	char peer_serial[PEER_SERIAL_HEX_MAX + 1];
	char address[64];
	int64_t now;
};

void est_pending_done(struct est_pending *p);

/*
 * Checks a request (authentication first, then the body).  Returns true
 * with *ret filled (the caller's, est_pending_done()) when a certificate is
 * to be made for it; false with the refusal in *ans.
 */
bool est_enroll_check(const struct est *e, const struct est_request *req, struct est_pending *ret,
		      struct est_answer *ans);

/* Signs p with the collector's CA and records it if the store allows; the answer in *ans. */
void est_enroll_sign(const struct est *e, struct est_pending *p, struct est_answer *ans);

/*
 * Takes the PEM certificate(s) an external CA made for p: the one for the
 * request's key, with the device id as CN, is recorded and answered.
 */
void est_enroll_certificate(const struct est *e, struct est_pending *p, const char *pem,
			    size_t size, struct est_answer *ans);

void est_crl(const struct est *e, bool pem, int64_t now, struct est_answer *ret);

/* The SHA-256 (hex) a token is stored as. */
int est_token_hash(const char *token, size_t len, char ret[65]);

/* A new random token (64 hex digits) into ret. */
int est_token_new(char ret[65]);

#endif
