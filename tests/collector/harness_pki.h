/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A device's side of enrollment, with the OpenSSL API only (harness_pki.c):
 * keys, PKCS#10 requests, base64 as EST bodies have it, the certificates
 * of a PKCS#7 certs-only answer, and checks on what the collector issued.
 * It shares no code with the collector's own csr.c, ca.c or base64, so a
 * mistake there cannot hide itself here.  Needs nothing else of the
 * harness, so tests/bench links it too.
 */

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/openssl-util.h" /* only its cleanup functions: the test links no basic/ */

/* The collector stores a serial as the lowercase hex of its bytes: 32 digits for its own. */
#define PKI_SERIAL_HEX_MAX 40

/* A new EC key on curve (an OpenSSL group name: "P-256", "secp256k1"); NULL on failure. */
EVP_PKEY *pki_key_ec(const char *curve);

/* A new RSA key of bits; NULL on failure. */
EVP_PKEY *pki_key_rsa(unsigned bits);

/* A new Ed25519 key; NULL on failure. */
EVP_PKEY *pki_key_ed25519(void);

/*
 * A DER PKCS#10 request for key's public key, its Subject one CN for each
 * string of the NULL-terminated cns, signed by key (SHA-256; Ed25519 signs
 * without a digest).  The caller frees *ret (free()).  Returns 0 or -1.
 */
int pki_csr(EVP_PKEY *key, const char *const *cns, uint8_t **ret, size_t *ret_size);

/* pki_csr() with the one CN device_id, as base64 lines (pki_base64()); NULL on failure. */
char *pki_csr_base64(EVP_PKEY *key, const char *device_id);

/*
 * data as base64 in lines of 64, each ended by "\n", as EST bodies are
 * (RFC 7030 section 4.2.1).  A new NUL-terminated string; NULL when out of
 * memory.
 */
char *pki_base64(const void *data, size_t size);

/*
 * The certificates of an EST answer: base64 (line breaks allowed) of a DER
 * PKCS#7 SignedData certs-only message.  A new stack in *ret (free it with
 * sk_X509_pop_free(.., X509_free)).  Returns 0, or -1 when the body is not
 * one; why in reason.
 */
int pki_answer_certs(const char *body, size_t size, STACK_OF(X509) * *ret, char *reason,
		     size_t reason_size);

/* pki_answer_certs() of an answer that must hold exactly one certificate, in *ret. */
int pki_answer_cert(const char *body, size_t size, X509 **ret, char *reason, size_t reason_size);

/* The first certificate of the PEM file at path; NULL when there is none. */
X509 *pki_read_cert(const char *path);

/* The CRL of a DER or PEM buffer; NULL when it is not one. */
X509_CRL *pki_parse_crl(const void *data, size_t size, bool pem);

/* cert as PEM at cert_path (mode 0644) and key as PEM at key_path (mode 0600).  0 or -1. */
int pki_write_pem(X509 *cert, const char *cert_path, EVP_PKEY *key, const char *key_path);

/*
 * Whether cert chains to the CA certificate in ca_path and may
 * authenticate a TLS client (EKU clientAuth), at the current time.  0 when
 * it does; -1 with OpenSSL's reason in reason otherwise.
 */
int pki_verify_client_cert(X509 *cert, const char *ca_path, char *reason, size_t reason_size);

/* An ASN.1 INTEGER serial as the collector writes it: lowercase hex of its bytes. */
void pki_serial_hex(const ASN1_INTEGER *serial, char out[static PKI_SERIAL_HEX_MAX + 1]);

/* The Subject CN of cert in out ("" when there is not exactly one). */
void pki_subject_cn(X509 *cert, char *out, size_t size);

/* A fresh random device id: 32 lowercase hex digits and a NUL.  0, or -1 without randomness. */
int pki_random_device_id(char out[static 33]);
