// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signed policies: a signature made with the pinned key verifies over exactly
 * the signed bytes and nothing else; malformed signatures, other keys and
 * keys of another type are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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

#include "postured/policy_sig.h"

static const char policy_text[] = "{\"id\": \"t\", \"serial\": 2, \"rules\": []}\n";

struct fixture {
	char dir[64];
	char pub[PATH_MAX], rogue_pub[PATH_MAX], ec_pub[PATH_MAX];
	EVP_PKEY *key, *rogue;
	char sig[128]; /* base64 of the signature of policy_text with key */
};

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	assert_int_equal(fclose(f), 0);
}

static void sign_b64(EVP_PKEY *k, const void *data, size_t size, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[64];
	size_t len = sizeof(sig);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &len, data, size), 1);
	assert_int_equal(len, 64);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)out, sig, 64), 88);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	EVP_PKEY *ec;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/postured-test-policy-sig.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->pub, sizeof(f->pub), "%s/signing.pub", f->dir);
	snprintf(f->rogue_pub, sizeof(f->rogue_pub), "%s/rogue.pub", f->dir);
	snprintf(f->ec_pub, sizeof(f->ec_pub), "%s/ec.pub", f->dir);
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	f->rogue = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!f->key || !f->rogue || !ec)
		return -1;
	write_pub(f->key, f->pub);
	write_pub(f->rogue, f->rogue_pub);
	write_pub(ec, f->ec_pub);
	EVP_PKEY_free(ec);
	sign_b64(f->key, policy_text, strlen(policy_text), f->sig);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 32];
	static const char *const names[] = { "signing.pub", "rogue.pub", "ec.pub", "exact",
					     "big",	    "link",	 "empty" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(f->dir);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->rogue);
	free(f);
	return 0;
}

static int verify(struct fixture *f, const char *data, size_t size, const char *sig,
		  const char *pub)
{
	return policy_sig_verify(data, size, sig, strlen(sig), pub);
}

static void test_good_signature(void **state)
{
	struct fixture *f = *state;
	char padded[160];

	assert_int_equal(verify(f, policy_text, strlen(policy_text), f->sig, f->pub), 0);
	/* A trailing newline, as sign-policy writes it, is fine. */
	snprintf(padded, sizeof(padded), "  %s\n", f->sig);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), padded, f->pub), 0);
}

static void test_other_bytes(void **state)
{
	struct fixture *f = *state;
	char copy[sizeof(policy_text)];

	/* One byte changed, one byte more, one byte less: never the signed bytes. */
	memcpy(copy, policy_text, sizeof(copy));
	copy[24] = '3';
	assert_int_equal(verify(f, copy, strlen(copy), f->sig, f->pub), -EBADMSG);
	assert_int_equal(verify(f, policy_text, strlen(policy_text) + 1, f->sig, f->pub), -EBADMSG);
	assert_int_equal(verify(f, policy_text, strlen(policy_text) - 1, f->sig, f->pub), -EBADMSG);
	assert_int_equal(verify(f, policy_text, 0, f->sig, f->pub), -EBADMSG);
}

static void test_other_key(void **state)
{
	struct fixture *f = *state;
	char rogue_sig[128];

	/* Signed by someone else, or checked against someone else's key. */
	sign_b64(f->rogue, policy_text, strlen(policy_text), rogue_sig);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), rogue_sig, f->pub), -EBADMSG);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), f->sig, f->rogue_pub),
			 -EBADMSG);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), rogue_sig, f->rogue_pub), 0);
}

static void test_malformed_signature(void **state)
{
	struct fixture *f = *state;
	char bad[160];

	assert_int_equal(verify(f, policy_text, strlen(policy_text), "", f->pub), -EBADMSG);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), "AAAA", f->pub), -EBADMSG);
	/* A flipped character of the base64. */
	strcpy(bad, f->sig);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(f, policy_text, strlen(policy_text), bad, f->pub), -EBADMSG);
	/* Not base64, the padding gone, a character too many. */
	strcpy(bad, f->sig);
	bad[5] = '*';
	assert_int_equal(verify(f, policy_text, strlen(policy_text), bad, f->pub), -EBADMSG);
	strcpy(bad, f->sig);
	bad[86] = '\0';
	assert_int_equal(verify(f, policy_text, strlen(policy_text), bad, f->pub), -EBADMSG);
	snprintf(bad, sizeof(bad), "A%s", f->sig);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), bad, f->pub), -EBADMSG);
	/* Longer than the limit, whatever it holds. */
	assert_int_equal(policy_sig_verify(policy_text, strlen(policy_text), f->sig,
					   POLICY_SIG_MAX_SIGNATURE + 1, f->pub),
			 -EBADMSG);
}

static void test_bad_public_key(void **state)
{
	struct fixture *f = *state;
	char missing[PATH_MAX + 16];

	snprintf(missing, sizeof(missing), "%s/missing.pub", f->dir);
	assert_int_equal(verify(f, policy_text, strlen(policy_text), f->sig, missing), -ENOENT);
	/* A key of another type is not a policy-signing key. */
	assert_int_equal(verify(f, policy_text, strlen(policy_text), f->sig, f->ec_pub),
			 -EKEYREJECTED);
	/* Nor is a file that holds no key at all. */
	assert_int_equal(verify(f, policy_text, strlen(policy_text), f->sig, "/dev/null"),
			 -EKEYREJECTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_signature), cmocka_unit_test(test_other_bytes),
		cmocka_unit_test(test_other_key),      cmocka_unit_test(test_malformed_signature),
		cmocka_unit_test(test_bad_public_key),
	};

	return cmocka_run_group_tests_name("policy_sig", tests, setup, teardown);
}
