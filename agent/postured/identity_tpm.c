// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/openssl-util.h"
#include "identity_tpm.h"

#define TPM_PROPQ "provider=tpm2"

struct identity_tpm {
	OSSL_LIB_CTX *ctx;
	OSSL_PROVIDER *tpm2, *base;
};

bool identity_tpm_present(void)
{
	return access(IDENTITY_TPM_DEVICE, F_OK) == 0;
}

struct identity_tpm *identity_tpm_free(struct identity_tpm *t)
{
	if (!t)
		return NULL;
	/* Unloading the provider closes its TCTI: the TPM's transient objects go with it. */
	if (t->tpm2)
		OSSL_PROVIDER_unload(t->tpm2);
	if (t->base)
		OSSL_PROVIDER_unload(t->base);
	OSSL_LIB_CTX_free(t->ctx);
	free(t);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct identity_tpm *, identity_tpm_free);

int identity_tpm_open(const char *tcti, struct identity_tpm **ret)
{
	_cleanup_(identity_tpm_freep) struct identity_tpm *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	/* The provider reads its TCTI from the environment when it loads. */
	if (tcti && *tcti && setenv("TPM2OPENSSL_TCTI", tcti, 1) < 0)
		return -errno;
	t->ctx = OSSL_LIB_CTX_new();
	if (!t->ctx)
		return -ENOMEM;
	/* tpm2 first, and every use names it: its keys must never fall to the default's ECDSA. */
	t->tpm2 = OSSL_PROVIDER_load(t->ctx, "tpm2");
	if (!t->tpm2)
		return -ENODEV;
	t->base = OSSL_PROVIDER_load(t->ctx, "default");
	if (!t->base)
		return -ENOMEM;
	*ret = TAKE_PTR(t);
	return 0;
}

int identity_tpm_keygen(struct identity_tpm *t, EVP_PKEY **ret)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *key = NULL;

	pctx = EVP_PKEY_CTX_new_from_name(t->ctx, "EC", TPM_PROPQ);
	if (!pctx || EVP_PKEY_keygen_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_params(pctx, params) <= 0 || EVP_PKEY_generate(pctx, &key) <= 0)
		return -EIO;
	*ret = key;
	return 0;
}

bool identity_tpm_is_key_pem(const char *pem, size_t size)
{
	static const char tag[] = "-----BEGIN TSS2 PRIVATE KEY-----";

	return size >= sizeof(tag) - 1 && memmem(pem, size, tag, sizeof(tag) - 1) != NULL;
}

int identity_tpm_load(struct identity_tpm *t, const char *pem, size_t size, EVP_PKEY **ret)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, (int)size);

	if (!bio)
		return -ENOMEM;
	*ret = PEM_read_bio_PrivateKey_ex(bio, NULL, NULL, NULL, t->ctx, TPM_PROPQ);
	return *ret ? 0 : -EBADMSG;
}

int identity_tpm_sign(struct identity_tpm *t, EVP_PKEY *key, const unsigned char *dgst, size_t dlen,
		      unsigned char *sig, size_t *sig_size)
{
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx = NULL;
	const char *md = dlen == 32 ? "SHA256" :
			 dlen == 48 ? "SHA384" :
			 dlen == 64 ? "SHA512" :
			 dlen == 20 ? "SHA1" :
				      NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, (char *)md, 0),
		OSSL_PARAM_END,
	};

	if (!md)
		return -EINVAL;
	pctx = EVP_PKEY_CTX_new_from_pkey(t->ctx, key, TPM_PROPQ);
	if (!pctx || EVP_PKEY_sign_init(pctx) <= 0 || EVP_PKEY_CTX_set_params(pctx, params) <= 0 ||
	    EVP_PKEY_sign(pctx, sig, sig_size, dgst, dlen) <= 0)
		return -EIO;
	return 0;
}

int identity_tpm_sign_request(struct identity_tpm *t, EVP_PKEY *key, X509_REQ *req)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mctx = EVP_MD_CTX_new();

	if (!mctx)
		return -ENOMEM;
	if (EVP_DigestSignInit_ex(mctx, NULL, "SHA256", t->ctx, TPM_PROPQ, key, NULL) <= 0 ||
	    X509_REQ_sign_ctx(req, mctx) <= 0)
		return -EIO;
	return 0;
}
