// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's identity library: the pending key is made once and kept, the
 * request carries the device id and verifies with that key, and an EST
 * answer is taken only when a certificate in it is for this key and this
 * device, good for TLS client authentication, and chains to the pinned CA.
 * Every other answer (another key's certificate, another device's, another
 * CA's, a server certificate, not PKCS#7, not base64, too large) is refused
 * with its reason.  The identity file is written 0600 and read back; a key
 * that is not the certificate's is refused.  A test CA made here with
 * OpenSSL signs the certificates.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/openssl-util.h"
#include "postured/identity.h"

#define DEVICE "0123456789abcdef0123456789abcdef"
#define OTHER  "fedcba9876543210fedcba9876543210"

struct fixture {
	char dir[64];
	char ca_path[PATH_MAX], rogue_path[PATH_MAX], pending[PATH_MAX], identity[PATH_MAX];
	EVP_PKEY *ca_key, *rogue_key;
	X509 *ca, *rogue;
};

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, issued by issuer/issuer_key (NULL: self-signed, a CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		       const char *eku)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();

	assert_non_null(c);
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
	X509_set_version(c, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 4242);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(c), -60);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_set_pubkey(c, key);
	if (!issuer) {
		add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, issuer, NID_key_usage, "critical,digitalSignature");
		add_ext(c, issuer, NID_ext_key_usage, eku);
	}
	assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return c;
}

static void write_cert(X509 *c, const char *path)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, c), 1);
	assert_int_equal(fclose(f), 0);
}

/* The EST answer for certs: base64 (in lines) of a PKCS#7 certs-only message. */
static char *answer_of(X509 *const *certs, size_t n, size_t *ret_size)
{
	PKCS7 *p7 = PKCS7_new();
	unsigned char *der = NULL;
	char *b64 = NULL;
	int len;

	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PKCS7_add_certificate(p7, certs[i]), 1);
	len = i2d_PKCS7(p7, &der);
	assert_true(len > 0);
	assert_int_equal(base64_encode_lines(der, (size_t)len, &b64, ret_size), 0);
	OPENSSL_free(der);
	PKCS7_free(p7);
	return b64;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-identity.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ca_path, sizeof(f->ca_path), "%s/ca.crt", f->dir);
	snprintf(f->rogue_path, sizeof(f->rogue_path), "%s/rogue.crt", f->dir);
	snprintf(f->pending, sizeof(f->pending), "%s/identity.pem.pending-key", f->dir);
	snprintf(f->identity, sizeof(f->identity), "%s/identity.pem", f->dir);
	f->ca_key = EVP_EC_gen("P-256");
	f->rogue_key = EVP_EC_gen("P-256");
	assert_non_null(f->ca_key);
	assert_non_null(f->rogue_key);
	f->ca = make_cert(f->ca_key, "test device CA", NULL, NULL, NULL);
	f->rogue = make_cert(f->rogue_key, "test device CA", NULL, NULL, NULL);
	write_cert(f->ca, f->ca_path);
	write_cert(f->rogue, f->rogue_path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	X509_free(f->ca);
	X509_free(f->rogue);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->rogue_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The pending key is made once, 0600, and the same key comes back for a retry. */
static void test_pending_key_kept(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *a = NULL, *b = NULL;
	struct stat st;

	assert_int_equal(identity_pending_key(f->pending, NULL, &a), 0);
	assert_int_equal(stat(f->pending, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(EVP_PKEY_get_base_id(a), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(a), 256);
	assert_int_equal(identity_pending_key(f->pending, NULL, &b), 0);
	assert_int_equal(EVP_PKEY_eq(a, b), 1);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* The request: one CN, the device id; signed by the key; base64 in lines of 64. */
static void test_request(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = NULL;
	char *b64 = NULL, cn[64];
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t size, der_size;
	X509_REQ *req;

	assert_int_equal(identity_pending_key(f->pending, NULL, &key), 0);
	assert_int_equal(identity_request(key, NULL, DEVICE, &b64, &size), 0);
	assert_int_equal(strlen(b64), size);
	assert_true(strchr(b64, '\n') - b64 == 64);
	assert_int_equal(base64_decode(b64, size, BASE64_LINE_BREAKS, &der, &der_size), 0);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)der_size);
	assert_non_null(req);
	assert_int_equal(X509_REQ_verify(req, key), 1);
	assert_int_equal(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req), NID_commonName,
						   cn, sizeof(cn)),
			 32);
	assert_string_equal(cn, DEVICE);
	assert_int_equal(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 1);
	X509_REQ_free(req);
	free(der);
	free(b64);
	EVP_PKEY_free(key);
}

/* A certificate for this key and device, from the pinned CA: taken, and written 0600. */
static void test_accept_good(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = NULL;
	X509 *cert, *got = NULL, *pair[2];
	char *answer, reason[256] = "";
	struct identity_info info;
	struct stat st;
	size_t size;

	assert_int_equal(identity_pending_key(f->pending, NULL, &key), 0);
	cert = make_cert(key, DEVICE, f->ca, f->ca_key, "clientAuth");
	/* With the CA in the answer too, as EST servers may send the chain. */
	pair[0] = f->ca;
	pair[1] = cert;
	answer = answer_of(pair, 2, &size);
	assert_int_equal(identity_accept(key, DEVICE, answer, size, f->ca_path, &got, reason,
					 sizeof(reason)),
			 0);
	assert_int_equal(X509_cmp(got, cert), 0);
	assert_int_equal(identity_write(f->identity, key, got), 0);
	assert_int_equal(stat(f->identity, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(identity_load(f->identity, f->identity, NULL, &info, NULL, reason,
				       sizeof(reason)),
			 0);
	assert_string_equal(info.device_id, DEVICE);
	assert_string_equal(info.issuer, "/CN=test device CA");
	assert_string_equal(info.serial, "1092");
	assert_int_equal(info.not_after - info.not_before, 3660 * 1000);
	assert_int_equal(info.renew_at, info.not_before + 2440 * 1000);
	X509_free(got);
	X509_free(cert);
	free(answer);
	EVP_PKEY_free(key);
}

static void expect_refused(struct fixture *f, EVP_PKEY *key, const char *answer, size_t size,
			   const char *why)
{
	char reason[256] = "";
	X509 *got = NULL;

	assert_int_equal(identity_accept(key, DEVICE, answer, size, f->ca_path, &got, reason,
					 sizeof(reason)),
			 -EBADMSG);
	assert_null(got);
	if (!strstr(reason, why))
		fail_msg("reason '%s' does not say '%s'", reason, why);
}

/* Every answer that is not this device's certificate from the pinned CA is refused, saying why. */
static void test_accept_refusals(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = NULL, *other = EVP_EC_gen("P-256");
	X509 *wrong_key, *wrong_cn, *rogue, *server;
	char *answer;
	size_t size;

	assert_int_equal(identity_pending_key(f->pending, NULL, &key), 0);
	wrong_key = make_cert(other, DEVICE, f->ca, f->ca_key, "clientAuth");
	wrong_cn = make_cert(key, OTHER, f->ca, f->ca_key, "clientAuth");
	rogue = make_cert(key, DEVICE, f->rogue, f->rogue_key, "clientAuth");
	server = make_cert(key, DEVICE, f->ca, f->ca_key, "serverAuth");

	answer = answer_of(&wrong_key, 1, &size);
	expect_refused(f, key, answer, size,
		       "no certificate in the answer is for this device's key");
	free(answer);
	answer = answer_of(&wrong_cn, 1, &size);
	expect_refused(f, key, answer, size, "not this device");
	free(answer);
	answer = answer_of(&rogue, 1, &size);
	expect_refused(f, key, answer, size, "does not chain to the pinned CA");
	free(answer);
	answer = answer_of(&server, 1, &size);
	expect_refused(f, key, answer, size, "does not chain to the pinned CA");
	free(answer);
	expect_refused(f, key, "not base64 at all!", 18, "not base64");
	expect_refused(f, key, "aGVsbG8gd29ybGQ=", 16, "not a PKCS#7");
	{
		size_t big = 65 * 1024;
		char *huge = malloc(big);

		assert_non_null(huge);
		memset(huge, 'A', big);
		expect_refused(f, key, huge, big, "larger than 64 KiB");
		free(huge);
	}
	X509_free(wrong_key);
	X509_free(wrong_cn);
	X509_free(rogue);
	X509_free(server);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
}

/* An identity whose key is not its certificate's, and one that is not there. */
static void test_load_refusals(void **state)
{
	struct fixture *f = *state;
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *cert = make_cert(key, DEVICE, f->ca, f->ca_key, "clientAuth");
	struct identity_info info;
	char reason[256] = "";

	assert_int_equal(identity_load(f->identity, f->identity, NULL, &info, NULL, reason,
				       sizeof(reason)),
			 -ENOENT);
	assert_int_equal(identity_write(f->identity, other, cert), 0);
	assert_int_equal(identity_load(f->identity, f->identity, NULL, &info, NULL, reason,
				       sizeof(reason)),
			 -EBADMSG);
	assert_non_null(strstr(reason, "is not the certificate's"));
	X509_free(cert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pending_key_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
