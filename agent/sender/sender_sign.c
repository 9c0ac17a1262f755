// SPDX-License-Identifier: LGPL-2.1-or-later
/* The EC_KEY_METHOD below is deprecated API: see sender_sign.h for why it is used. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <openssl/ec.h>
#include <string.h>
#include <sys/socket.h>

#include "basic/cleanup.h"
#include "sender_sign.h"

#define SIGN_TIMEOUT_SEC 10

static int sign_fd_index = -1;

/* Sends the digest, waits for the signature: the daemon answers from its loop at once. */
static int remote_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		       unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	unsigned char req[1 + 64], answer[1 + 160];
	int fd = (int)(intptr_t)EC_KEY_get_ex_data(ec, sign_fd_index) - 1;
	ssize_t n;

	if (fd < 0 || dlen < 20 || dlen > 64)
		return 0;
	req[0] = (unsigned char)dlen;
	memcpy(req + 1, dgst, (size_t)dlen);
	if (send(fd, req, 1 + (size_t)dlen, MSG_NOSIGNAL) != 1 + dlen)
		return 0;
	do
		n = recv(fd, answer, sizeof(answer), 0);
	while (n < 0 && errno == EINTR);
	if (n < 1 || answer[0] == 0 || (size_t)n != 1u + answer[0] ||
	    answer[0] > (unsigned)ECDSA_size(ec))
		return 0;
	memcpy(sig, answer + 1, answer[0]);
	*siglen = answer[0];
	return 1;
}

static ECDSA_SIG *remote_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
				  const BIGNUM *r, EC_KEY *ec)
{
	unsigned char der[160];
	const unsigned char *p = der;
	unsigned int len = 0;

	if (ECDSA_size(ec) > (int)sizeof(der) ||
	    !remote_sign(0, dgst, dlen, der, &len, kinv, r, ec))
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, len);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(EC_KEY *, EC_KEY_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free);

int sender_sign_key(X509 *cert, int sign_fd, EVP_PKEY **ret)
{
	static EC_KEY_METHOD *method;
	_cleanup_(EC_KEY_freep) EC_KEY *ec = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	const EC_KEY *pub = EVP_PKEY_get0_EC_KEY(X509_get0_pubkey(cert));
	int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

	if (!pub)
		return -EKEYREJECTED;
	if (!method) {
		method = EC_KEY_METHOD_new(EC_KEY_get_default_method());
		if (!method)
			return -ENOMEM;
		EC_KEY_METHOD_get_sign(EC_KEY_get_default_method(), NULL, &setup, NULL);
		EC_KEY_METHOD_set_sign(method, remote_sign, setup, remote_sign_sig);
		sign_fd_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	}
	ec = EC_KEY_dup(pub);
	key = EVP_PKEY_new();
	if (!ec || !key || sign_fd_index < 0)
		return -ENOMEM;
	/* The method before the key is assigned: that is when OpenSSL takes it as foreign. */
	if (!EC_KEY_set_method(ec, method) ||
	    !EC_KEY_set_ex_data(ec, sign_fd_index, (void *)(intptr_t)(sign_fd + 1)) ||
	    !EVP_PKEY_assign_EC_KEY(key, ec))
		return -ENOMEM;
	TAKE_PTR(ec); /* the key's now */
	*ret = TAKE_PTR(key);
	return 0;
}
