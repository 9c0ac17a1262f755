/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the OpenSSL users (the agent's identity and policy signatures, the
 * collector's CA and EST endpoints) share: cleanup functions for its
 * handles, base64 as RFC 4648 and RFC 7030 write it, and the certificates
 * of a PKCS#7 certs-only message.
 */
#ifndef POSTURED_BASIC_OPENSSL_UTIL_H
#define POSTURED_BASIC_OPENSSL_UTIL_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY_CTX *, EVP_PKEY_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509 *, X509_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_REQ *, X509_REQ_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_CRL *, X509_CRL_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_NAME *, X509_NAME_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(PKCS7 *, PKCS7_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_INTEGER *, ASN1_INTEGER_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(BIGNUM *, BN_free);

static inline void sk_X509_pop_freep(STACK_OF(X509) * *p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
}

/* Standard base64 with padding, no line breaks; a new NUL-terminated string. */
int base64_encode(const void *data, size_t size, char **ret);

/*
 * base64 in lines of 64 characters, each ended by "\n", as MIME and RFC
 * 7030's Content-Transfer-Encoding: base64 bodies have it; a new string of
 * *ret_size bytes (NUL-terminated).
 */
int base64_encode_lines(const void *data, size_t size, char **ret, size_t *ret_size);

enum {
	/* Line breaks (CR, LF) anywhere, as MIME and RFC 7030's bodies have them. */
	BASE64_LINE_BREAKS = 1 << 0,
};

/*
 * Decodes base64 text[len] (whitespace around it ignored; line breaks inside
 * only with BASE64_LINE_BREAKS) into a new buffer of *ret_size bytes.
 * -EBADMSG for anything that is not base64 with correct padding.
 */
int base64_decode(const char *text, size_t len, unsigned flags, uint8_t **ret, size_t *ret_size);

/*
 * The certificates of a DER PKCS#7 SignedData "certs-only" message (RFC
 * 7030's answer to cacerts and simpleenroll), as a new stack in *ret.
 * -EBADMSG when it is not one, or holds no certificate.
 */
int pkcs7_certs_parse(const uint8_t *der, size_t size, STACK_OF(X509) * *ret);

#endif
