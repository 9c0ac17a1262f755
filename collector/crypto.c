// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/pem.h>
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
