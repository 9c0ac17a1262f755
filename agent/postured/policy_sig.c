// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/openssl-util.h"
#include "policy_sig.h"

/* Standard base64 with padding, one line, of exactly a 64-byte signature. */
static int decode_signature(const char *text, size_t len,
			    unsigned char ret[POLICY_SIG_ED25519_SIZE])
{
	_cleanup_free_ uint8_t *sig = NULL;
	size_t size;
	int r;

	r = base64_decode(text, len, 0, &sig, &size);
	if (r < 0)
		return r;
	if (size != POLICY_SIG_ED25519_SIZE)
		return -EBADMSG;
	memcpy(ret, sig, size);
	return 0;
}

static int load_public_key(const char *path, EVP_PKEY **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		return -errno;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!k)
		return -EKEYREJECTED;
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		return -EKEYREJECTED;
	}
	*ret = k;
	return 0;
}

int policy_sig_verify(const void *data, size_t size, const char *sig, size_t sig_len,
		      const char *public_key_path)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	unsigned char raw[POLICY_SIG_ED25519_SIZE];
	int r;

	if (!data || !sig || sig_len > POLICY_SIG_MAX_SIGNATURE)
		return -EBADMSG;
	r = load_public_key(public_key_path, &key);
	if (r < 0)
		return r;
	r = decode_signature(sig, sig_len, raw);
	if (r < 0)
		return r;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	/* Ed25519 signs the message itself (RFC 8032, no pre-hash): no digest. */
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		return -EIO;
	r = EVP_DigestVerify(ctx, raw, sizeof(raw), data, size);
	return r == 1 ? 0 : -EBADMSG;
}
