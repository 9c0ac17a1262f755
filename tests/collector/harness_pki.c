// SPDX-License-Identifier: LGPL-2.1-or-later
/* A device's side of enrollment with the OpenSSL API: keys, requests, answers, checks. */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness_pki.h"

EVP_PKEY *pki_key_ec(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

EVP_PKEY *pki_key_rsa(unsigned bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

EVP_PKEY *pki_key_ed25519(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

int pki_csr(EVP_PKEY *key, const char *const *cns, uint8_t **ret, size_t *ret_size)
{
	_cleanup_(X509_REQ_freep) X509_REQ *req = X509_REQ_new();
	int id = EVP_PKEY_get_base_id(key);
	unsigned char *der = NULL;
	uint8_t *out;
	X509_NAME *name;
	int len;

	if (!req || X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1)
		return -1;
	name = X509_REQ_get_subject_name(req);
	for (const char *const *cn = cns; *cn; cn++)
		if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
					       (const unsigned char *)*cn, -1, -1, 0) != 1)
			return -1;
	if (X509_REQ_set_pubkey(req, key) != 1 ||
	    X509_REQ_sign(req, key, id == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) <= 0)
		return -1;
	len = i2d_X509_REQ(req, &der);
	if (len <= 0)
		return -1;
	out = malloc((size_t)len);
	if (out)
		memcpy(out, der, (size_t)len);
	OPENSSL_free(der);
	if (!out)
		return -1;
	*ret = out;
	*ret_size = (size_t)len;
	return 0;
}

char *pki_csr_base64(EVP_PKEY *key, const char *device_id)
{
	const char *const cns[] = { device_id, NULL };
	uint8_t *der;
	size_t size;
	char *b64;

	if (pki_csr(key, cns, &der, &size) < 0)
		return NULL;
	b64 = pki_base64(der, size);
	free(der);
	return b64;
}

char *pki_base64(const void *data, size_t size)
{
	const unsigned char *p = data;
	/* 48 bytes make a line of 64 digits and its newline. */
	char *out = malloc((size + 47) / 48 * 65 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t off = 0; off < size; off += 48) {
		int n = EVP_EncodeBlock((unsigned char *)o, p + off,
					(int)(size - off < 48 ? size - off : 48));

		o += n;
		*o++ = '\n';
	}
	*o = '\0';
	return out;
}

/* base64 with any line breaks and surrounding whitespace, into a new buffer. */
static int unbase64(const char *text, size_t len, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ char *clean = malloc(len + 1);
	_cleanup_free_ uint8_t *out = NULL;
	size_t n = 0, pad = 0;
	int decoded;

	if (!clean)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			clean[n++] = text[i];
	clean[n] = '\0';
	if (n == 0 || n % 4 != 0)
		return -1;
	out = malloc(n / 4 * 3);
	if (!out)
		return -1;
	/* EVP_DecodeBlock() counts the padding as zero bytes: take them off. */
	decoded = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	if (decoded < 0)
		return -1;
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	*ret_size = (size_t)decoded - pad;
	*ret = TAKE_PTR(out);
	return 0;
}

int pki_answer_certs(const char *body, size_t size, STACK_OF(X509) * *ret, char *reason,
		     size_t reason_size)
{
	_cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
	_cleanup_free_ uint8_t *der = NULL;
	STACK_OF(X509) * certs, *copy;
	const unsigned char *p;
	size_t der_size;

	if (!body || unbase64(body, size, &der, &der_size) < 0) {
		snprintf(reason, reason_size, "the answer is not base64");
		return -1;
	}
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)der_size);
	if (!p7 || p != der + der_size) {
		snprintf(reason, reason_size, "the answer is not one DER PKCS#7 message");
		return -1;
	}
	if (!PKCS7_type_is_signed(p7) || !p7->d.sign) {
		snprintf(reason, reason_size, "the answer is PKCS#7 but not SignedData");
		return -1;
	}
	/* certs-only: no signers, no content (RFC 7030 section 4.1.3). */
	if (sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) != 0) {
		snprintf(reason, reason_size, "the answer has signers: not certs-only");
		return -1;
	}
	certs = p7->d.sign->cert;
	if (!certs || sk_X509_num(certs) == 0) {
		snprintf(reason, reason_size, "the answer holds no certificate");
		return -1;
	}
	copy = sk_X509_new_null();
	if (!copy)
		return -1;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);

		if (X509_up_ref(c) != 1 || sk_X509_push(copy, c) <= 0) {
			sk_X509_pop_free(copy, X509_free);
			return -1;
		}
	}
	*ret = copy;
	return 0;
}

int pki_answer_cert(const char *body, size_t size, X509 **ret, char *reason, size_t reason_size)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *certs = NULL;

	if (pki_answer_certs(body, size, &certs, reason, reason_size) < 0)
		return -1;
	if (sk_X509_num(certs) != 1) {
		snprintf(reason, reason_size, "the answer holds %d certificates, not 1",
			 sk_X509_num(certs));
		return -1;
	}
	*ret = sk_X509_shift(certs);
	return 0;
}

X509 *pki_read_cert(const char *path)
{
	FILE *f = fopen(path, "re");
	X509 *cert;

	if (!f)
		return NULL;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return cert;
}

X509_CRL *pki_parse_crl(const void *data, size_t size, bool pem)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	const unsigned char *p = data;
	X509_CRL *crl;

	if (!pem) {
		crl = d2i_X509_CRL(NULL, &p, (long)size);
		if (crl && p != (const unsigned char *)data + size) {
			X509_CRL_free(crl); /* bytes after it: not one CRL */
			return NULL;
		}
		return crl;
	}
	bio = BIO_new_mem_buf(data, (int)size);
	return bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
}

static int write_file_with(const char *path, mode_t mode, int (*write)(FILE *f, void *obj),
			   void *obj)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	ok = write(f, obj);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

static int write_cert(FILE *f, void *cert)
{
	return PEM_write_X509(f, cert);
}

static int write_key(FILE *f, void *key)
{
	return PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
}

int pki_write_pem(X509 *cert, const char *cert_path, EVP_PKEY *key, const char *key_path)
{
	if (write_file_with(cert_path, 0644, write_cert, cert) < 0)
		return -1;
	return write_file_with(key_path, 0600, write_key, key);
}

int pki_verify_client_cert(X509 *cert, const char *ca_path, char *reason, size_t reason_size)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	_cleanup_(X509_freep) X509 *ca = pki_read_cert(ca_path);

	if (!store || !ctx || !ca || X509_STORE_add_cert(store, ca) != 1 ||
	    X509_STORE_CTX_init(ctx, store, cert, NULL) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
		snprintf(reason, reason_size, "cannot set up a verification against %s", ca_path);
		return -1;
	}
	if (X509_verify_cert(ctx) != 1) {
		snprintf(reason, reason_size, "%s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		return -1;
	}
	return 0;
}

void pki_serial_hex(const ASN1_INTEGER *serial, char out[static PKI_SERIAL_HEX_MAX + 1])
{
	const unsigned char *p = ASN1_STRING_get0_data(serial);
	int n = ASN1_STRING_length(serial);

	out[0] = '\0';
	for (int i = 0; i < n && 2 * i < PKI_SERIAL_HEX_MAX; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

void pki_subject_cn(X509 *cert, char *out, size_t size)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *cn;

	out[0] = '\0';
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return;
	cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	snprintf(out, size, "%.*s", ASN1_STRING_length(cn),
		 (const char *)ASN1_STRING_get0_data(cn));
}

int pki_random_device_id(char out[static 33])
{
	unsigned char bytes[16];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(out + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}
