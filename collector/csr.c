// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/obj_mac.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/openssl-util.h"
#include "crypto.h"
#include "csr.h"
#include "ingest.h"

static int csr_reject(char *reason, size_t reason_size, const char *what)
{
	snprintf(reason, reason_size, "%s", what);
	return -EBADMSG;
}

/* EC on P-256 or P-384, or RSA of 2048 to 8192 bits: what GnuTLS and every VPN take. */
static int csr_check_key(EVP_PKEY *key, struct csr_info *info, char *reason, size_t reason_size)
{
	char curve[64] = "";
	size_t len = 0;
	int bits = EVP_PKEY_get_bits(key);

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), &len))
			return csr_reject(reason, reason_size, "the EC key names no curve");
		if (strcmp(curve, "prime256v1") == 0 || strcmp(curve, "P-256") == 0)
			snprintf(info->key_type, sizeof(info->key_type), "EC P-256");
		else if (strcmp(curve, "secp384r1") == 0 || strcmp(curve, "P-384") == 0)
			snprintf(info->key_type, sizeof(info->key_type), "EC P-384");
		else {
			snprintf(reason, reason_size,
				 "the EC key's curve %.32s is not accepted (P-256 or P-384)",
				 curve);
			return -EBADMSG;
		}
		return 0;
	case EVP_PKEY_RSA:
		if (bits < 2048 || bits > 8192) {
			snprintf(reason, reason_size,
				 "an RSA key of %d bits is not accepted (2048 to 8192)", bits);
			return -EBADMSG;
		}
		snprintf(info->key_type, sizeof(info->key_type), "RSA %d", bits);
		return 0;
	default:
		return csr_reject(reason, reason_size,
				  "the key type is not accepted (EC P-256, P-384 or RSA)");
	}
}

static int csr_check_subject(X509_REQ *req, struct csr_info *info, char *reason, size_t reason_size)
{
	const X509_NAME *name = X509_REQ_get_subject_name(req);
	const ASN1_STRING *cn;
	int i;

	i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	if (i < 0)
		return csr_reject(reason, reason_size, "the request has no Subject CN");
	if (X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return csr_reject(reason, reason_size, "the request has more than one Subject CN");
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (!cn || ASN1_STRING_length(cn) != DEVICE_ID_LEN ||
	    !ingest_is_id128((const char *)ASN1_STRING_get0_data(cn), DEVICE_ID_LEN))
		return csr_reject(reason, reason_size,
				  "the request's Subject CN is not a device id (32 lowercase hex "
				  "digits)");
	memcpy(info->device_id, ASN1_STRING_get0_data(cn), DEVICE_ID_LEN);
	info->device_id[DEVICE_ID_LEN] = '\0';
	return 0;
}

int csr_parse(const uint8_t *der, size_t size, X509_REQ **ret, struct csr_info *ret_info,
	      char *reason, size_t reason_size)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = NULL;
	struct csr_info info = {};
	const unsigned char *p = der;
	EVP_PKEY *key;
	int r;

	if (size == 0)
		return csr_reject(reason, reason_size, "the request is empty");
	if (size > CSR_MAX_DER)
		return csr_reject(reason, reason_size, "the request is larger than 16 KiB");
	req = d2i_X509_REQ(NULL, &p, (long)size);
	if (!req || p != der + size)
		return csr_reject(reason, reason_size, "the body is not a DER PKCS#10 request");

	key = X509_REQ_get0_pubkey(req);
	if (!key)
		return csr_reject(reason, reason_size, "the request's public key cannot be read");
	r = csr_check_key(key, &info, reason, reason_size);
	if (r < 0)
		return r;
	/* The request is signed by the key it asks a certificate for. */
	if (X509_REQ_verify(req, key) != 1)
		return csr_reject(reason, reason_size,
				  "the request's signature does not verify with its own key");
	r = csr_check_subject(req, &info, reason, reason_size);
	if (r < 0)
		return r;
	{
		unsigned char *spki = NULL;
		int len = i2d_PUBKEY(key, &spki);

		r = len > 0 ? crypto_sha256_hex(spki, (size_t)len, info.key_sha256) : -ENOMEM;
		OPENSSL_free(spki);
		if (r < 0)
			return -ENOMEM;
	}

	*ret = TAKE_PTR(req);
	*ret_info = info;
	return 0;
}
