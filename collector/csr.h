/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A device's certificate request (PKCS#10, RFC 2986), as untrusted input:
 * bounded, parsed by OpenSSL, its self-signature checked (the requester
 * holds the key), exactly one Subject CN that is a device id, and a key
 * strong enough for a device identity.
 */
#ifndef POSTURED_COLLECTOR_CSR_H
#define POSTURED_COLLECTOR_CSR_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* The largest DER request accepted: an RSA-8192 request is about 1.3 KiB. */
#define CSR_MAX_DER (16 * 1024)

struct csr_info {
	char device_id[DEVICE_ID_LEN + 1];
	char key_type[32]; /* "EC P-256", "EC P-384", "RSA 3072" */
	char key_sha256[65]; /* SHA-256 of the SubjectPublicKeyInfo DER, hex */
};

/*
 * Parses the DER request der[size] into *ret (the caller frees it) and
 * *ret_info.  -EBADMSG with reason in words when it is not an acceptable
 * request; -ENOMEM.
 */
int csr_parse(const uint8_t *der, size_t size, X509_REQ **ret, struct csr_info *ret_info,
	      char *reason, size_t reason_size);

#endif
