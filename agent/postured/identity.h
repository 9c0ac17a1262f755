/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device's identity for the collector, as a library (no I/O but the
 * files named, no logging): an EC P-256 key made here that never leaves
 * the machine, its PKCS#10 request with the device id as CN, the EST
 * server's PKCS#7 answer checked against that key and the pinned CA, and
 * the identity file (the key and the certificate in one PEM file, root
 * 0600), which is replaced in one rename so the key and its certificate
 * never disagree on disk.
 */
#ifndef POSTURED_IDENTITY_H
#define POSTURED_IDENTITY_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "identity_tpm.h"

#define IDENTITY_ID_LEN 32

struct identity_info {
	char device_id[IDENTITY_ID_LEN + 1]; /* the certificate's Subject CN */
	char issuer[256]; /* the issuer's name, one line */
	char serial[41]; /* lowercase hex */
	int64_t not_before, not_after; /* ms since the epoch */
	int64_t renew_at; /* two thirds of the way from not_before to not_after */
	bool in_tpm; /* the key is in the TPM */
};

/*
 * The key for a request: the one kept in pending_path (a request whose
 * answer never came is retried with the same key, so the server can tell
 * the same laptop), else a new EC P-256 key, made in the TPM tpm (NULL: in
 * memory), written there first (0600, fsync()ed).  A kept key of the other
 * kind is replaced.  Returns 0 or -errno.
 */
int identity_pending_key(const char *pending_path, struct identity_tpm *tpm, EVP_PKEY **ret);

/* Whether key is one in a TPM. */
bool identity_key_in_tpm(EVP_PKEY *key);

/*
 * The DER request for key with Subject CN=device_id, signed by the key
 * (in tpm when it is there), base64 in lines; a new string.
 */
int identity_request(EVP_PKEY *key, struct identity_tpm *tpm, const char *device_id, char **ret,
		     size_t *ret_size);

/*
 * Checks an EST answer (base64 PKCS#7 certs-only, answer[size]): one of its
 * certificates is for key and device_id, usable for TLS client
 * authentication, and chains to the CA certificates in ca_path.  The
 * validity dates are not checked here: the laptop's clock may be off, and
 * the collector, which checks them, is the one that will be shown the
 * certificate.  Returns 0 and the certificate in *ret; -EBADMSG with reason
 * when the answer is not acceptable.
 */
int identity_accept(EVP_PKEY *key, const char *device_id, const char *answer, size_t size,
		    const char *ca_path, X509 **ret, char *reason, size_t reason_size);

/* Writes key and cert as the identity file at path: a temporary file, fsync(), rename(). */
int identity_write(const char *path, EVP_PKEY *key, X509 *cert);

/*
 * Reads the identity file (or a certificate and key made by hand: key_path
 * may differ from cert_path) and checks that the key is the certificate's;
 * a TPM key is loaded in tpm (NULL: refused).  Returns 0, what the
 * certificate says in *ret and the key in *ret_key (unless NULL); -ENOENT
 * when there is none; -EBADMSG with reason otherwise.
 */
int identity_load(const char *cert_path, const char *key_path, struct identity_tpm *tpm,
		  struct identity_info *ret, EVP_PKEY **ret_key, char *reason, size_t reason_size);

/* What cert says, in *ret. */
void identity_info_from_cert(X509 *cert, struct identity_info *ret);

#endif
