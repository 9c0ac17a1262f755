// SPDX-License-Identifier: LGPL-2.1-or-later
/* Signatures and digests for the policy checks, with OpenSSL's EVP. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

int crypto_verify_signature(const char *pub_path, const void *data, size_t size,
			    const char *sig_b64)
{
	unsigned char sig[128];
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	FILE *f;
	int n, r = -1;
	size_t len = strlen(sig_b64);

	while (len > 0 && (sig_b64[len - 1] == '\n' || sig_b64[len - 1] == '\r'))
		len--;
	if (len != 88) /* 64 bytes in base64 */
		return -1;
	n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)len);
	if (n != 66) /* two padding bytes counted as zeros */
		return -1;
	f = fopen(pub_path, "re");
	if (!f)
		return -1;
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	md = EVP_MD_CTX_new();
	if (pkey && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(md, sig, 64, data, size) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return r;
}

void crypto_sha256_hex(const void *data, size_t size, char out[static 65])
{
	unsigned char md[32];
	unsigned n = 0;

	EVP_Digest(data, size, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void crypto_etag(const void *data, size_t size, char out[static 67])
{
	char hex[65];

	crypto_sha256_hex(data, size, hex);
	snprintf(out, 67, "\"%s\"", hex);
}
