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
	const struct ca *ca;
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
	bool challenge; /* 401: say how to authenticate (WWW-Authenticate) */
	char reason[256];
};

void est_answer_done(struct est_answer *a);

void est_cacerts(const struct est *e, struct est_answer *ret);
void est_enroll(const struct est *e, const struct est_request *req, struct est_answer *ret);
void est_crl(const struct est *e, bool pem, int64_t now, struct est_answer *ret);

/* The SHA-256 (hex) a token is stored as. */
int est_token_hash(const char *token, size_t len, char ret[65]);

/* A new random token (64 hex digits) into ret. */
int est_token_new(char ret[65]);

#endif
