// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fileio.h"
#include "crypto.h"

#define KEY_FILE_MAX (64 * 1024)

static int crypto_check_ed25519(EVP_PKEY *pkey, EVP_PKEY **ret)
{
	if (!pkey)
		return -EKEYREJECTED;
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return -EKEYREJECTED;
	}
	*ret = pkey;
	return 0;
}

int crypto_load_ed25519_private(const char *path, EVP_PKEY **ret)
{
	_cleanup_erase_free_ char *pem = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t size;
	int r;

	r = read_full_file(path, KEY_FILE_MAX, READ_FULL_PRIVATE, &pem, &size);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(pem, (int)size);
	if (!bio)
		return -ENOMEM;
	return crypto_check_ed25519(PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL), ret);
}

int crypto_load_ed25519_public(const char *path, EVP_PKEY **ret)
{
	_cleanup_free_ char *pem = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t size;
	int r;

	r = read_full_file(path, KEY_FILE_MAX, 0, &pem, &size);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(pem, (int)size);
	if (!bio)
		return -ENOMEM;
	return crypto_check_ed25519(PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL), ret);
}

int crypto_ed25519_sign(EVP_PKEY *key, const void *data, size_t size,
			uint8_t ret_sig[ED25519_SIGNATURE_SIZE])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	uint8_t sig[ED25519_SIGNATURE_SIZE];
	size_t sig_size = sizeof(sig);

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* Ed25519 hashes internally: no digest is given, and signing is one-shot. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_size, data, size) != 1 ||
	    sig_size != ED25519_SIGNATURE_SIZE)
		return -EIO;
	memcpy(ret_sig, sig, sizeof(sig));
	return 0;
}

int crypto_ed25519_verify(EVP_PKEY *key, const void *data, size_t size, const uint8_t *sig,
			  size_t sig_size)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;

	if (sig_size != ED25519_SIGNATURE_SIZE)
		return -EBADMSG;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		return -EIO;
	return EVP_DigestVerify(ctx, sig, sig_size, data, size) == 1 ? 0 : -EBADMSG;
}

int crypto_sha256_hex(const void *data, size_t size, char ret_hex[SHA256_HEX_SIZE + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_size = 0;

	if (EVP_Digest(data, size, md, &md_size, EVP_sha256(), NULL) != 1 || md_size != 32)
		return -EIO;
	for (unsigned i = 0; i < md_size; i++)
		snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The certificates of a PEM bundle; NULL when there is none (or no memory). */
static STACK_OF(X509) * pem_bundle_certs(const char *pem)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *cert;

	if (!bio || !certs) {
		sk_X509_free(certs);
		return NULL;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, cert)) {
			X509_free(cert);
			break;
		}
	ERR_clear_error(); /* the end of the bundle */
	if (sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		return NULL;
	}
	return certs;
}

int crypto_pem_bundles_share(const char *a, const char *b)
{
	STACK_OF(X509) *x = pem_bundle_certs(a), *y = pem_bundle_certs(b);
	int r = 0;

	if (!x || !y)
		r = -EBADMSG;
	for (int i = 0; r == 0 && i < sk_X509_num(x); i++)
		for (int j = 0; r == 0 && j < sk_X509_num(y); j++)
			if (X509_cmp(sk_X509_value(x, i), sk_X509_value(y, j)) == 0)
				r = 1;
	sk_X509_pop_free(x, X509_free);
	sk_X509_pop_free(y, X509_free);
	return r;
}
