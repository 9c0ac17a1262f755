// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/fileio.h"
#include "basic/openssl-util.h"
#include "ca.h"

#define CA_FILE_MAX	    (256 * 1024)
#define CA_CRL_NEXT_UPDATE  (24 * 3600)
#define CA_BACKDATE_MAX_SEC 300

struct ca {
	X509 *cert;
	EVP_PKEY *key;
	int64_t last_crl_number; /* each CRL's number is above the last one's */
};

struct ca *ca_free(struct ca *ca)
{
	if (!ca)
		return NULL;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->key);
	free(ca);
	return NULL;
}

int ca_load(const char *cert_path, const char *key_path, struct ca **ret)
{
	_cleanup_(ca_freep) struct ca *ca = NULL;
	_cleanup_erase_free_ char *key_pem = NULL;
	_cleanup_free_ char *cert_pem = NULL;
	_cleanup_(BIO_freep) BIO *cert_bio = NULL, *key_bio = NULL;
	size_t size;
	int r;

	r = read_full_file(cert_path, CA_FILE_MAX, 0, &cert_pem, &size);
	if (r < 0)
		return r;
	cert_bio = BIO_new_mem_buf(cert_pem, (int)size);
	ca = calloc(1, sizeof(*ca));
	if (!ca || !cert_bio)
		return -ENOMEM;
	ca->cert = PEM_read_bio_X509(cert_bio, NULL, NULL, NULL);
	if (!ca->cert)
		return -EKEYREJECTED;
	if (key_path) {
		r = read_full_file(key_path, CA_FILE_MAX, READ_FULL_PRIVATE, &key_pem, &size);
		if (r < 0)
			return r;
		key_bio = BIO_new_mem_buf(key_pem, (int)size);
		if (!key_bio)
			return -ENOMEM;
		ca->key = PEM_read_bio_PrivateKey(key_bio, NULL, NULL, NULL);
		if (!ca->key || X509_check_private_key(ca->cert, ca->key) != 1)
			return -EKEYREJECTED;
	}
	/* A CA, allowed to sign certificates and CRLs (an absent keyUsage allows both). */
	if (X509_check_ca(ca->cert) < 1 ||
	    ((X509_get_extension_flags(ca->cert) & EXFLAG_KUSAGE) &&
	     (X509_get_key_usage(ca->cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) !=
		     (KU_KEY_CERT_SIGN | KU_CRL_SIGN)))
		return -EKEYREJECTED;
	*ret = TAKE_PTR(ca);
	return 0;
}

bool ca_issued(const struct ca *ca, X509 *cert)
{
	return X509_check_issued(ca->cert, cert) == X509_V_OK &&
	       X509_verify(cert, X509_get0_pubkey(ca->cert)) == 1;
}

bool ca_can_sign(const struct ca *ca)
{
	return ca->key != NULL;
}

int ca_cert_pem(const struct ca *ca, char **ret)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (!bio || PEM_write_bio_X509(bio, ca->cert) != 1)
		return -ENOMEM;
	n = BIO_get_mem_data(bio, &data);
	out = n > 0 ? strndup(data, (size_t)n) : NULL;
	if (!out)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* A degenerate SignedData holding certs, no signers: what `openssl crl2pkcs7 -nocrl` makes. */
int ca_certs_only(X509 *const *certs, size_t n, uint8_t **ret, size_t *ret_size)
{
	_cleanup_(PKCS7_freep) PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	int len;

	if (!p7 || PKCS7_set_type(p7, NID_pkcs7_signed) != 1 ||
	    PKCS7_content_new(p7, NID_pkcs7_data) != 1)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (PKCS7_add_certificate(p7, certs[i]) != 1)
			return -ENOMEM;
	len = i2d_PKCS7(p7, &der);
	if (len <= 0)
		return -ENOMEM;
	*ret = der; /* OPENSSL_malloc()ed: free() is its default free */
	*ret_size = (size_t)len;
	return 0;
}

int ca_cacerts(const struct ca *ca, uint8_t **ret, size_t *ret_size)
{
	X509 *cert = ca->cert;

	return ca_certs_only(&cert, 1, ret, ret_size);
}

/* 16 random bytes, the first in 0x01..0x7f: positive, exactly 16 bytes of DER, 32 hex digits. */
static int random_serial(ASN1_INTEGER **ret, char hex[CA_SERIAL_HEX_MAX + 1])
{
	_cleanup_(BN_freep) BIGNUM *bn = NULL;
	unsigned char bytes[16];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return -EIO;
	bytes[0] = (unsigned char)((bytes[0] & 0x7f) | 0x01);
	bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
	if (!bn)
		return -ENOMEM;
	*ret = BN_to_ASN1_INTEGER(bn, NULL);
	if (!*ret)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return -ENOMEM;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -ENOMEM;
}

/* The digest to sign with: SHA-256, none for keys that hash themselves (Ed25519). */
static const EVP_MD *ca_digest(const struct ca *ca)
{
	int id = EVP_PKEY_get_base_id(ca->key);

	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

int ca_serial_hex(X509 *cert, char ret[CA_SERIAL_HEX_MAX + 1])
{
	_cleanup_(BN_freep) BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	if (!hex)
		return -ENOMEM;
	if (strlen(hex) > CA_SERIAL_HEX_MAX || hex[0] == '-') {
		OPENSSL_free(hex);
		return -EBADMSG;
	}
	/* Whole bytes, lowercase: as the TLS side (peer.c) writes a presented serial. */
	for (size_t i = 0; hex[i]; i++)
		ret[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] + 32 : hex[i]);
	ret[strlen(hex)] = '\0';
	OPENSSL_free(hex);
	return 0;
}

int64_t ca_time_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

int ca_issue(const struct ca *ca, X509_REQ *req, const char *device_id, int64_t now_ms,
	     uint64_t lifetime_sec, uint8_t **ret_p7, size_t *ret_p7_size,
	     char ret_serial[CA_SERIAL_HEX_MAX + 1], int64_t *ret_not_before,
	     int64_t *ret_not_after)
{
	_cleanup_(X509_freep) X509 *cert = X509_new();
	_cleanup_(X509_NAME_freep) X509_NAME *subject = X509_NAME_new();
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *serial = NULL;
	char hex[CA_SERIAL_HEX_MAX + 1];
	time_t now = (time_t)(now_ms / 1000), not_after;
	uint64_t backdate = MIN(lifetime_sec / 10, (uint64_t)CA_BACKDATE_MAX_SEC);
	X509V3_CTX ctx;
	int r;

	if (!cert || !subject)
		return -ENOMEM;
	if (!ca->key)
		return -ENOKEY;
	r = random_serial(&serial, hex);
	if (r < 0)
		return r;
	not_after = now + (time_t)lifetime_sec;
	/* Never past the CA itself: a chain must verify for the certificate's whole life. */
	if (ca_time_ms(X509_get0_notAfter(ca->cert)) / 1000 < not_after)
		not_after = (time_t)(ca_time_ms(X509_get0_notAfter(ca->cert)) / 1000);
	if (not_after <= now)
		return -EKEYEXPIRED;

	if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_ASC,
				       (const unsigned char *)device_id, -1, -1, 0) != 1 ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, serial) != 1 ||
	    X509_set_issuer_name(cert, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_set_subject_name(cert, subject) != 1 ||
	    !ASN1_TIME_set(X509_getm_notBefore(cert), now - (time_t)backdate) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert), not_after) ||
	    X509_set_pubkey(cert, X509_REQ_get0_pubkey(req)) != 1)
		return -ENOMEM;

	X509V3_set_ctx(&ctx, ca->cert, cert, NULL, NULL, 0);
	if ((r = add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE")) < 0 ||
	    (r = add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature")) < 0 ||
	    (r = add_ext(cert, &ctx, NID_ext_key_usage, "clientAuth")) < 0 ||
	    (r = add_ext(cert, &ctx, NID_subject_key_identifier, "hash")) < 0 ||
	    (r = add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always")) < 0)
		return r;
	if (X509_sign(cert, ca->key, ca_digest(ca)) <= 0)
		return -EIO;

	r = ca_certs_only(&cert, 1, ret_p7, ret_p7_size);
	if (r < 0)
		return r;
	memcpy(ret_serial, hex, sizeof(hex));
	*ret_not_before = (int64_t)(now - (time_t)backdate) * 1000;
	*ret_not_after = (int64_t)not_after * 1000;
	return 0;
}

static int serial_from_hex(const char *hex, ASN1_INTEGER **ret)
{
	_cleanup_(BN_freep) BIGNUM *bn = NULL;

	if (BN_hex2bn(&bn, hex) <= 0)
		return -EINVAL;
	*ret = BN_to_ASN1_INTEGER(bn, NULL);
	return *ret ? 0 : -ENOMEM;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(X509_REVOKED *, X509_REVOKED_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_TIME *, ASN1_TIME_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_ENUMERATED *, ASN1_ENUMERATED_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_EXTENSION *, X509_EXTENSION_free);

static int crl_add(const char *serial, int64_t revoked, enum store_device_state why, void *userdata)
{
	X509_CRL *crl = userdata;
	_cleanup_(X509_REVOKED_freep) X509_REVOKED *entry = X509_REVOKED_new();
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *sn = NULL;
	_cleanup_(ASN1_TIME_freep) ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)(revoked / 1000));
	_cleanup_(ASN1_ENUMERATED_freep) ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	int r;

	if (!entry || !when || !reason)
		return -ENOMEM;
	r = serial_from_hex(serial, &sn);
	if (r < 0)
		return r;
	if (X509_REVOKED_set_serialNumber(entry, sn) != 1 ||
	    X509_REVOKED_set_revocationDate(entry, when) != 1)
		return -ENOMEM;
	/* A retired device ceased operation; a revoked one's reason is left out (RFC 5280 5.3.1). */
	if (why == STORE_DEVICE_RETIRED &&
	    (ASN1_ENUMERATED_set(reason, CRL_REASON_CESSATION_OF_OPERATION) != 1 ||
	     X509_REVOKED_add1_ext_i2d(entry, NID_crl_reason, reason, 0, 0) != 1))
		return -ENOMEM;
	if (X509_CRL_add0_revoked(crl, entry) != 1)
		return -ENOMEM;
	TAKE_PTR(entry); /* the CRL's now */
	return 0;
}

int ca_crl(struct ca *ca, struct store *store, int64_t now_ms, uint8_t **ret, size_t *ret_size)
{
	time_t now = (time_t)(now_ms / 1000);
	_cleanup_(X509_CRL_freep) X509_CRL *crl = X509_CRL_new();
	_cleanup_(ASN1_INTEGER_freep) ASN1_INTEGER *number = ASN1_INTEGER_new();
	_cleanup_(ASN1_TIME_freep) ASN1_TIME *last = ASN1_TIME_set(NULL, now);
	_cleanup_(ASN1_TIME_freep) ASN1_TIME *next = ASN1_TIME_set(NULL, now + CA_CRL_NEXT_UPDATE);
	_cleanup_(X509_EXTENSION_freep) X509_EXTENSION *aki = NULL;
	unsigned char *der = NULL;
	X509V3_CTX ctx;
	int len, r;

	if (!crl || !number || !last || !next)
		return -ENOMEM;
	if (!ca->key)
		return -ENOKEY;
	if (X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_CRL_set1_lastUpdate(crl, last) != 1 || X509_CRL_set1_nextUpdate(crl, next) != 1)
		return -ENOMEM;
	r = store_crl_list(store, now_ms, crl_add, crl);
	if (r < 0)
		return r;
	/* Increasing CRL numbers: the signing time in ms, and above the last even within one. */
	ca->last_crl_number = MAX(now_ms, ca->last_crl_number + 1);
	if (ASN1_INTEGER_set_int64(number, ca->last_crl_number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0) != 1)
		return -ENOMEM;
	X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
	aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (!aki || X509_CRL_add_ext(crl, aki, -1) != 1)
		return -ENOMEM;
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, ca->key, ca_digest(ca)) <= 0)
		return -EIO;
	len = i2d_X509_CRL(crl, &der);
	if (len <= 0)
		return -ENOMEM;
	*ret = der;
	*ret_size = (size_t)len;
	return 0;
}
