/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy the collector serves on GET /v1/policy: the policy JSON bytes
 * exactly as signed, the detached Ed25519 signature over them (base64), and
 * the ETag (the quoted lowercase hex SHA-256 of the bytes).  Loaded from
 * files at start and again on SIGHUP; a reload builds a new feed and the
 * server swaps it in whole.
 */
#ifndef POSTURED_COLLECTOR_FEED_H
#define POSTURED_COLLECTOR_FEED_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/cleanup.h"
#include "crypto.h"

#define FEED_MAX_SIZE		(1024 * 1024)
#define FEED_MAX_SIGNATURE_FILE 4096

struct feed {
	char *data; /* NUL-terminated for convenience; the NUL is not served */
	size_t size;
	char *signature; /* base64 of the 64 signature bytes */
	char etag[SHA256_HEX_SIZE + 3];
};

/*
 * Reads the policy and its signature file (base64, as `posture-collector
 * sign-policy` writes it).  When public_key is given, the signature must
 * verify with it (-EKEYREJECTED otherwise), so a mismatched pair is refused
 * here rather than by every agent.  On failure *failed_path names the file
 * at fault.  Returns 0 and the new feed, -EFBIG, -EBADMSG (signature file is
 * not base64 of 64 bytes), or an -errno from reading.
 */
int feed_load(const char *policy_path, const char *signature_path, EVP_PKEY *public_key,
	      struct feed **ret, const char **failed_path);

struct feed *feed_free(struct feed *feed);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct feed *, feed_free);

/*
 * Whether an If-None-Match header value names this feed's ETag: "*", or a
 * comma-separated list of entity tags compared weakly (a W/ prefix matches).
 */
bool feed_etag_matches(const struct feed *feed, const char *if_none_match);

#endif
