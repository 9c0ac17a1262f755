// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/openssl-util.h"
#include "identity.h"

#define IDENTITY_FILE_MAX   (64 * 1024)
#define IDENTITY_ANSWER_MAX (64 * 1024)

static int pem_to_buffer(BIO *bio, char **ret, size_t *ret_size)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0)
		return -ENOMEM;
	*ret = malloc((size_t)n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, data, (size_t)n);
	(*ret)[n] = '\0';
	*ret_size = (size_t)n;
	return 0;
}

static int key_from_pem(const char *pem, size_t size, EVP_PKEY **ret)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(pem, (int)size);

	if (!bio)
		return -ENOMEM;
	*ret = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	return *ret ? 0 : -EBADMSG;
}

bool identity_key_in_tpm(EVP_PKEY *key)
{
	const OSSL_PROVIDER *p = key ? EVP_PKEY_get0_provider(key) : NULL;

	return p && strcmp(OSSL_PROVIDER_get0_name(p), "tpm2") == 0;
}

/* The key of pem: in the clear, or a TPM's blob loaded in tpm. */
static int key_load(const char *pem, size_t size, struct identity_tpm *tpm, EVP_PKEY **ret)
{
	if (identity_tpm_is_key_pem(pem, size))
		return tpm ? identity_tpm_load(tpm, pem, size, ret) : -ENODEV;
	return key_from_pem(pem, size, ret);
}

int identity_pending_key(const char *pending_path, struct identity_tpm *tpm, EVP_PKEY **ret)
{
	_cleanup_erase_free_ char *pem = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t size;
	int r;

	r = read_full_file(pending_path, IDENTITY_FILE_MAX, READ_FULL_PRIVATE | READ_FULL_NOFOLLOW,
			   &pem, &size);
	if (r >= 0 && key_load(pem, size, tpm, &key) >= 0 &&
	    identity_key_in_tpm(key) == (tpm != NULL) &&
	    (tpm || EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)) {
		*ret = TAKE_PTR(key);
		return 0;
	}
	if (r < 0 && r != -ENOENT)
		return r;
	/* None, one of the other kind, or one that does not load: a new one. */
	EVP_PKEY_free(TAKE_PTR(key));
	if (tpm) {
		r = identity_tpm_keygen(tpm, &key);
		if (r < 0)
			return r;
	} else {
		key = EVP_EC_gen("P-256");
		if (!key)
			return -ENOMEM;
	}
	bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		return -ENOMEM;
	pem = erase_and_free(pem);
	r = pem_to_buffer(bio, &pem, &size);
	if (r < 0)
		return r;
	r = write_file_atomic(pending_path, pem, size, 0600);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(key);
	return 0;
}

int identity_request(EVP_PKEY *key, struct identity_tpm *tpm, const char *device_id, char **ret,
		     size_t *ret_size)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = X509_REQ_new();
	_cleanup_(X509_NAME_freep) X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int len, r;

	if (!req || !name)
		return -ENOMEM;
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
				       (const unsigned char *)device_id, -1, -1, 0) != 1 ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 || X509_REQ_set_pubkey(req, key) != 1)
		return -ENOMEM;
	if (identity_key_in_tpm(key)) {
		if (!tpm)
			return -ENODEV;
		r = identity_tpm_sign_request(tpm, key, req);
		if (r < 0)
			return r;
	} else if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		return -ENOMEM;
	len = i2d_X509_REQ(req, &der);
	if (len <= 0)
		return -ENOMEM;
	r = base64_encode_lines(der, (size_t)len, ret, ret_size);
	OPENSSL_free(der);
	return r;
}

/* Whether a and b are the same public key (compared as SubjectPublicKeyInfo: across providers). */
static bool same_public_key(EVP_PKEY *a, EVP_PKEY *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = a ? i2d_PUBKEY(a, &da) : -1, lb = b ? i2d_PUBKEY(b, &db) : -1;
	bool same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static int reject(char *reason, size_t reason_size, const char *what)
{
	snprintf(reason, reason_size, "%s", what);
	return -EBADMSG;
}

/* The certificate's Subject CN when it is exactly one, else "". */
static void subject_cn(X509 *cert, char *buf, size_t size)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *cn;

	buf[0] = '\0';
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	if (cn && (size_t)ASN1_STRING_length(cn) < size &&
	    !memchr(ASN1_STRING_get0_data(cn), '\0', (size_t)ASN1_STRING_length(cn))) {
		memcpy(buf, ASN1_STRING_get0_data(cn), (size_t)ASN1_STRING_length(cn));
		buf[ASN1_STRING_length(cn)] = '\0';
	}
}

static int verify_chain(X509 *cert, STACK_OF(X509) * others, const char *ca_path, char *reason,
			size_t reason_size)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	if (!store || !ctx)
		return -ENOMEM;
	if (X509_STORE_load_file(store, ca_path) != 1) {
		snprintf(reason, reason_size, "the pinned CA %s cannot be read", ca_path);
		return -ENOKEY;
	}
	if (X509_STORE_CTX_init(ctx, store, cert, others) != 1)
		return -ENOMEM;
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	ok = X509_verify_cert(ctx);
	if (ok != 1) {
		snprintf(reason, reason_size,
			 "the certificate does not chain to the pinned CA %s: %s", ca_path,
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		return -EBADMSG;
	}
	return 0;
}

int identity_accept(EVP_PKEY *key, const char *device_id, const char *answer, size_t size,
		    const char *ca_path, X509 **ret, char *reason, size_t reason_size)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *certs = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	char cn[IDENTITY_ID_LEN + 2];
	X509 *mine = NULL;
	size_t der_size;
	int r;

	if (size > IDENTITY_ANSWER_MAX)
		return reject(reason, reason_size, "the answer is larger than 64 KiB");
	r = base64_decode(answer, size, BASE64_LINE_BREAKS, &der, &der_size);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return reject(reason, reason_size, "the answer is not base64");
	r = pkcs7_certs_parse(der, der_size, &certs);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return reject(reason, reason_size, "the answer is not a PKCS#7 certs-only message");
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (same_public_key(X509_get0_pubkey(x), key)) {
			mine = x;
			break;
		}
	}
	if (!mine)
		return reject(reason, reason_size,
			      "no certificate in the answer is for this device's key");
	subject_cn(mine, cn, sizeof(cn));
	if (strcmp(cn, device_id) != 0) {
		snprintf(reason, reason_size,
			 "the certificate is for '%.40s', not this device (%s)", cn, device_id);
		return -EBADMSG;
	}
	r = verify_chain(mine, certs, ca_path, reason, reason_size);
	if (r < 0)
		return r == -ENOKEY ? -EBADMSG : r;
	if (!X509_up_ref(mine))
		return -ENOMEM;
	*ret = mine;
	return 0;
}

int identity_write(const char *path, EVP_PKEY *key, X509 *cert)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	_cleanup_erase_free_ char *pem = NULL;
	size_t size;
	int r;

	if (!bio || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(bio, cert) != 1)
		return -ENOMEM;
	r = pem_to_buffer(bio, &pem, &size);
	if (r < 0)
		return r;
	/* The memory BIO held the key too: wipe it before it is freed. */
	{
		char *data;
		long n = BIO_get_mem_data(bio, &data);

		if (n > 0)
			OPENSSL_cleanse(data, (size_t)n);
	}
	return write_file_atomic(path, pem, size, 0600);
}

static int64_t asn1_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

void identity_info_from_cert(X509 *cert, struct identity_info *ret)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	_cleanup_(BN_freep) BIGNUM *bn = sn ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	*ret = (struct identity_info){};
	subject_cn(cert, ret->device_id, sizeof(ret->device_id));
	X509_NAME_oneline(X509_get_issuer_name(cert), ret->issuer, sizeof(ret->issuer));
	if (hex) {
		/* Lowercase, as the collector writes serials. */
		for (size_t i = 0; hex[i] && i + 1 < sizeof(ret->serial); i++)
			ret->serial[i] =
				(char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
		OPENSSL_free(hex);
	}
	ret->not_before = asn1_ms(X509_get0_notBefore(cert));
	ret->not_after = asn1_ms(X509_get0_notAfter(cert));
	ret->renew_at = ret->not_before + (ret->not_after - ret->not_before) / 3 * 2;
}

int identity_load(const char *cert_path, const char *key_path, struct identity_tpm *tpm,
		  struct identity_info *ret, EVP_PKEY **ret_key, char *reason, size_t reason_size)
{
	_cleanup_erase_free_ char *key_pem = NULL;
	_cleanup_free_ char *cert_pem = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	_cleanup_(BIO_freep) BIO *bio = NULL;
	size_t size;
	int r;

	r = read_full_file(cert_path, IDENTITY_FILE_MAX, 0, &cert_pem, &size);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		snprintf(reason, reason_size, "%s cannot be read: %s", cert_path, strerror(-r));
		return -EBADMSG;
	}
	bio = BIO_new_mem_buf(cert_pem, (int)size);
	if (!bio)
		return -ENOMEM;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!cert) {
		snprintf(reason, reason_size, "%s holds no certificate", cert_path);
		return -EBADMSG;
	}
	r = read_full_file(key_path, IDENTITY_FILE_MAX, READ_FULL_SECRET, &key_pem, &size);
	if (r < 0) {
		snprintf(reason, reason_size, "%s cannot be read: %s", key_path, strerror(-r));
		return r == -ENOENT ? -ENOENT : -EBADMSG;
	}
	r = key_load(key_pem, size, tpm, &key);
	if (r == -ENODEV) {
		snprintf(reason, reason_size, "the key in %s is in a TPM, which cannot be opened",
			 key_path);
		return -EBADMSG;
	}
	if (r < 0) {
		snprintf(reason, reason_size, "%s holds no private key%s", key_path,
			 identity_tpm_is_key_pem(key_pem, size) ? " this TPM can load" : "");
		return -EBADMSG;
	}
	if (!same_public_key(X509_get0_pubkey(cert), key)) {
		snprintf(reason, reason_size, "the key in %s is not the certificate's", key_path);
		return -EBADMSG;
	}
	identity_info_from_cert(cert, ret);
	ret->in_tpm = identity_key_in_tpm(key);
	if (ret_key)
		*ret_key = TAKE_PTR(key);
	return 0;
}
