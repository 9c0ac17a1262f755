/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device keys in the TPM (docs/enrollment.md#keys-in-the-tpm), through the
 * tpm2 OpenSSL provider (Debian's tpm2-openssl) in a library context of its
 * own, so that nothing else of the process (libcurl, the file keys) is ever
 * routed to the TPM.  A key is made in the TPM and never leaves it: its
 * file is a "TSS2 PRIVATE KEY" blob only that TPM can load.  Only the
 * privileged daemon opens the TPM; the sender has its TLS signatures made
 * here (agent_identity.c), as OpenSSH's monitor signs for its unprivileged
 * child.
 */
#ifndef POSTURED_IDENTITY_TPM_H
#define POSTURED_IDENTITY_TPM_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#define IDENTITY_TPM_DEVICE "/dev/tpmrm0"

struct identity_tpm;

/* Whether this machine has a TPM 2.0 with the kernel's resource manager. */
bool identity_tpm_present(void);

/*
 * Opens the TPM at tcti (the TSS's TCTI string, "device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321"; NULL or "": the TSS's own search).
 * Returns 0 and the handle in *ret, -ENODEV when the provider cannot reach
 * a TPM, or -errno.
 */
int identity_tpm_open(const char *tcti, struct identity_tpm **ret);
struct identity_tpm *identity_tpm_free(struct identity_tpm *t);

/* A new EC P-256 key in the TPM.  Returns 0 or -errno. */
int identity_tpm_keygen(struct identity_tpm *t, EVP_PKEY **ret);

/* Loads a key from its PEM ("TSS2 PRIVATE KEY").  -EBADMSG when this TPM cannot. */
int identity_tpm_load(struct identity_tpm *t, const char *pem, size_t size, EVP_PKEY **ret);

/* Whether pem holds a TPM key rather than a private key in the clear. */
bool identity_tpm_is_key_pem(const char *pem, size_t size);

/*
 * Signs the digest dgst[dlen] (20, 32, 48 or 64 bytes) with key, in the
 * TPM: an ECDSA signature, DER, into sig (*sig_size bytes of room; the
 * length written).  Returns 0 or -errno.
 */
int identity_tpm_sign(struct identity_tpm *t, EVP_PKEY *key, const unsigned char *dgst, size_t dlen,
		      unsigned char *sig, size_t *sig_size);

/* Signs a certificate request with key (SHA-256), in the TPM.  Returns 0 or -errno. */
int identity_tpm_sign_request(struct identity_tpm *t, EVP_PKEY *key, X509_REQ *req);

#endif
