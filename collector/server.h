/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's HTTPS server: libmicrohttpd with GnuTLS, client certificates
 * verified against the device CA, driven from the caller's sd-event loop.
 *
 *   POST /v1/reports  NDJSON records (gzip allowed) -> {"acked_seq": N}
 *   GET  /v1/policy   the signed policy, ETag, If-None-Match -> 304
 *   EST enrollment and the CRL (est.h), with an issuing CA
 *
 * A device whose certificate or identity the store says is revoked gets 403.
 */
#ifndef POSTURED_COLLECTOR_SERVER_H
#define POSTURED_COLLECTOR_SERVER_H

#include <stddef.h>
#include <systemd/sd-event.h>

#include "basic/cleanup.h"
#include "est.h"
#include "feed.h"
#include "store.h"

struct server_limits {
	size_t max_body; /* request body as sent (compressed or not) */
	size_t max_inflated; /* request body after gzip */
	size_t max_line; /* one record */
	size_t max_pending; /* all bodies being received at once */
	unsigned max_connections; /* in total */
	unsigned max_per_ip; /* from one address; 0: no limit */
	unsigned timeout_sec; /* idle connection */
	double shed_above; /* busy share of the loop past which batches are refused (pace.h); 1: never */
};

/* PEM text; libmicrohttpd reads it at start, the caller keeps it until server_free(). */
struct server_tls {
	const char *cert;
	const char *key;
	const char *trust; /* the device CA: the only issuer of accepted client certs */
	const char *priorities;
};

struct server;

/*
 * Starts serving on listen_fd (which it takes over, also on failure) from
 * the loop e, storing reports in store and enrolling devices with est
 * (NULL: no enrollment; both borrowed: they must outlive the server).  Returns 0 or -errno.
 */
int server_new(sd_event *e, int listen_fd, const struct server_tls *tls,
	       const struct server_limits *limits, struct store *store, const struct est *est,
	       struct server **ret);

/* Stops serving: closes every connection.  Accepts NULL, returns NULL. */
struct server *server_free(struct server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct server *, server_free);

/*
 * Serves feed from now on (NULL: no policy, GET /v1/policy answers 404) and
 * takes ownership of it, also on failure.  Answers already being sent keep
 * the old bytes.  Returns 0 or -ENOMEM (then the old feed stays in force).
 */
int server_set_policy(struct server *s, struct feed *feed);

struct export;

/* Appends every new record to export (borrowed; NULL: none) before it is stored (export.h). */
void server_set_export(struct server *s, struct export *export);

#endif
