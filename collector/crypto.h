/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The collector's uses of OpenSSL: Ed25519 policy signatures, SHA-256, CA bundles. */
#ifndef POSTURED_COLLECTOR_CRYPTO_H
#define POSTURED_COLLECTOR_CRYPTO_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/openssl-util.h"

#define ED25519_SIGNATURE_SIZE 64
#define SHA256_HEX_SIZE	       64

/*
 * Loads an Ed25519 private key from the PEM file at path, refusing a file
 * that group or others may access (-EPERM).  -EKEYREJECTED when the file
 * holds no key or another kind of key.
 */
int crypto_load_ed25519_private(const char *path, EVP_PKEY **ret);

/* Loads an Ed25519 public key from a PEM file.  -EKEYREJECTED as above. */
int crypto_load_ed25519_public(const char *path, EVP_PKEY **ret);

/* Signs data[size] with an Ed25519 key (no pre-hash, RFC 8032). */
int crypto_ed25519_sign(EVP_PKEY *key, const void *data, size_t size,
			uint8_t ret_sig[ED25519_SIGNATURE_SIZE]);

/* Returns 0 when sig is a valid signature of data by key, -EBADMSG when not. */
int crypto_ed25519_verify(EVP_PKEY *key, const void *data, size_t size, const uint8_t *sig,
			  size_t sig_size);

/* Lowercase hex SHA-256 of data into ret_hex (NUL-terminated). */
int crypto_sha256_hex(const void *data, size_t size, char ret_hex[SHA256_HEX_SIZE + 1]);

/*
 * Whether the PEM bundles a and b hold a certificate in common (compared
 * whole, DER), so one CA cannot be both the people's and the devices'.
 * Returns 1 or 0; -EBADMSG when a bundle holds no certificate, -ENOMEM.
 */
int crypto_pem_bundles_share(const char *a, const char *b);

#endif
