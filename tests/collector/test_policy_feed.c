// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy feed: GET /v1/policy's bytes, signature and ETag, conditional
 * requests, `sign-policy`, and a reload on SIGHUP.  The reload leaves the
 * fixture's policy at serial 2, correctly signed, for the tests after it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int test_policy_get(struct harness *t)
{
	char *policy, etag[67], pub[512];
	size_t size;
	struct http h = { .path = "/v1/policy", .device = "device2" };

	CHECK(file_read(t->policy, &policy, &size) == 0, "read policy");
	file_path(pub, sizeof(pub), t->pki, "policy-signing.pub");
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld", h.code, h.status);
	CHECK(h.resp_size == size && memcmp(h.resp, policy, size) == 0,
	      "body differs from the policy file");
	CHECK(crypto_verify_signature(pub, h.resp, h.resp_size, h.signature) == 0,
	      "X-Postured-Signature '%s' does not verify", h.signature);
	crypto_etag(policy, size, etag);
	CHECK(strcmp(h.etag, etag) == 0, "ETag %s, want %s", h.etag, etag);
	http_done(&h);
	free(policy);
	return 0;
}

/* The ETag the main collector serves now into etag.  Returns 0, or -1 when it gave none. */
static int current_etag(struct harness *t, char *etag, size_t size)
{
	struct http h = { .path = "/v1/policy", .device = "device1" };

	http_perform(t, &h);
	snprintf(etag, size, "%s", h.etag);
	http_done(&h);
	CHECK(etag[0] == '"', "no ETag");
	return 0;
}

static int test_policy_if_none_match_304(struct harness *t)
{
	char etag[128];
	struct http h = { .path = "/v1/policy", .device = "device1", .if_none_match = etag };

	if (current_etag(t, etag, sizeof(etag)) < 0)
		return -1;
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 304, "status %ld", h.status);
	CHECK(h.resp_size == 0, "304 with a body");
	CHECK(strcmp(h.etag, etag) == 0, "304 without the ETag");
	http_done(&h);
	return 0;
}

static int test_policy_if_none_match_weak_in_list_304(struct harness *t)
{
	char etag[128], list[300];
	struct http h = { .path = "/v1/policy", .device = "device1", .if_none_match = list };

	if (current_etag(t, etag, sizeof(etag)) < 0)
		return -1;
	snprintf(list, sizeof(list), "\"0000\", W/%s", etag);
	http_perform(t, &h);
	CHECK(h.status == 304, "list with a weak match: status %ld", h.status);
	http_done(&h);
	return 0;
}

static int test_policy_if_none_match_other_200(struct harness *t)
{
	struct http h = { .path = "/v1/policy", .device = "device1", .if_none_match = "\"00\"" };

	http_perform(t, &h);
	CHECK(h.status == 200 && h.resp_size > 0, "other ETag: status %ld", h.status);
	http_done(&h);
	return 0;
}

static int test_policy_without_client_cert_refused(struct harness *t)
{
	struct http h = { .path = "/v1/policy" };

	http_perform(t, &h);
	CHECK(h.status == 401 || h.code != CURLE_OK, "policy without a client cert: %ld", h.status);
	http_done(&h);
	return 0;
}

/* The files of a sign-policy run: the PKI's key pair, and a policy, signature, stderr of our own. */
struct signing {
	char key[512], pub[512], policy[512], sig[512], err[512];
};

static void signing_paths(struct harness *t, struct signing *s)
{
	file_path(s->key, sizeof(s->key), t->pki, "policy-signing.key");
	file_path(s->pub, sizeof(s->pub), t->pki, "policy-signing.pub");
	file_path(s->policy, sizeof(s->policy), t->dir, "roundtrip.json");
	file_path(s->sig, sizeof(s->sig), t->dir, "roundtrip.sig");
	file_path(s->err, sizeof(s->err), t->dir, "sign.err");
}

static const char valid_policy[] = "{\"id\": \"t\", \"serial\": 7, \"rules\": []}\n";

static int test_sign_policy_signature_verifies(struct harness *t)
{
	struct signing s;
	char *data, *sigtext;
	size_t size;
	int r;

	signing_paths(t, &s);
	CHECK(file_write(s.policy, valid_policy, strlen(valid_policy), 0644) == 0, "write");
	r = collector_sign_policy(t, s.key, s.policy, s.sig, s.err);
	CHECK(r == 0, "sign-policy exited %d", r);
	CHECK(file_read(s.policy, &data, &size) == 0 && file_read(s.sig, &sigtext, NULL) == 0,
	      "read");
	CHECK(crypto_verify_signature(s.pub, data, size, sigtext) == 0,
	      "signature does not verify: %s", sigtext);
	/* One byte changed: the signature no longer fits. */
	data[size - 2] = ' ';
	CHECK(crypto_verify_signature(s.pub, data, size, sigtext) != 0,
	      "verifies a changed policy");
	free(data);
	free(sigtext);
	return 0;
}

static int test_sign_policy_refuses_non_json(struct harness *t)
{
	struct signing s;
	int r;

	signing_paths(t, &s);
	CHECK(file_write(s.policy, "serial: 7\n", 10, 0644) == 0, "write");
	r = collector_sign_policy(t, s.key, s.policy, s.sig, s.err);
	CHECK(r != 0, "signed a policy that is not JSON");
	CHECK(file_contains(s.err, "Not signing"), "no clear error");
	return 0;
}

/* JSON, but not a policy the agents would take: refused with the library's errors. */
static int test_sign_policy_refuses_invalid_policy(struct harness *t)
{
	static const char no_id[] = "{\"serial\": 7, \"rules\": []}\n";
	struct signing s;
	int r;

	signing_paths(t, &s);
	CHECK(file_write(s.policy, no_id, strlen(no_id), 0644) == 0, "write");
	r = collector_sign_policy(t, s.key, s.policy, s.sig, s.err);
	CHECK(r != 0, "signed a policy without an id");
	CHECK(file_contains(s.err, "\"id\""), "the error does not name the missing id");
	return 0;
}

static int test_sign_policy_refuses_readable_key(struct harness *t)
{
	struct signing s;
	char badkey[512];
	int r;

	signing_paths(t, &s);
	CHECK(file_write(s.policy, valid_policy, strlen(valid_policy), 0644) == 0, "write");
	file_path(badkey, sizeof(badkey), t->dir, "readable-signing.key");
	CHECK(file_copy(s.key, badkey, 0644) == 0, "copy");
	r = collector_sign_policy(t, badkey, s.policy, s.sig, s.err);
	CHECK(r != 0, "signed with a world-readable key");
	CHECK(file_contains(s.err, "group or others"), "no clear error");
	return 0;
}

static int test_policy_reload_on_sighup(struct harness *t)
{
	char key[512], pub[512], sig_tmp[512], etag[67];
	const char *v2 = "{\"id\": \"t\", \"serial\": 2, \"rules\": []}\n";
	struct http h = { .path = "/v1/policy", .device = "device1" };
	long long deadline;

	file_path(key, sizeof(key), t->pki, "policy-signing.key");
	file_path(pub, sizeof(pub), t->pki, "policy-signing.pub");
	file_path(sig_tmp, sizeof(sig_tmp), t->dir, "policy.sig.new");
	CHECK(file_write(t->policy, v2, strlen(v2), 0644) == 0, "write policy");
	CHECK(collector_sign_policy(t, key, t->policy, sig_tmp, NULL) == 0, "sign");
	CHECK(rename(sig_tmp, t->signature) == 0, "rename");
	kill(t->main.pid, SIGHUP);

	crypto_etag(v2, strlen(v2), etag);
	deadline = now_ms() + 5000;
	do {
		http_done(&h);
		h = (struct http){ .path = "/v1/policy", .device = "device1" };
		http_perform(t, &h);
		if (strcmp(h.etag, etag) == 0)
			break;
		msleep(20);
	} while (now_ms() < deadline);
	CHECK(strcmp(h.etag, etag) == 0, "still serving %s after SIGHUP", h.etag);
	CHECK(h.resp && strcmp(h.resp, v2) == 0, "body %s", h.resp);
	CHECK(crypto_verify_signature(pub, h.resp, h.resp_size, h.signature) == 0, "signature");
	http_done(&h);
	return 0;
}

/*
 * A policy whose signature does not match, then SIGHUP: refused, and the
 * one in force stays.  The file is put back before the checks, so the
 * collectors later tests start find a policy that matches its signature.
 */
static int test_policy_reload_keeps_policy_on_bad_signature(struct harness *t)
{
	static const char bad[] = "{\"serial\": 3}";
	struct http h = { .path = "/v1/policy", .device = "device1" };
	char *good, etag[67];
	size_t size;
	long long deadline;
	bool refused;
	int restored;

	CHECK(file_read(t->policy, &good, &size) == 0, "read policy");
	crypto_etag(good, size, etag);
	if (file_write(t->policy, bad, strlen(bad), 0644) < 0) {
		free(good);
		CHECK(false, "write policy");
	}
	kill(t->main.pid, SIGHUP);
	deadline = now_ms() + 5000;
	while (!(refused = file_contains(t->main.log, "keeping the policy in force")) &&
	       now_ms() < deadline)
		msleep(20);
	restored = file_write(t->policy, good, size, 0644);
	http_perform(t, &h);
	CHECK(refused, "no refusal logged");
	CHECK(h.status == 200 && strcmp(h.etag, etag) == 0 && h.resp && h.resp_size == size &&
		      memcmp(h.resp, good, size) == 0,
	      "the refused policy replaced the good one");
	http_done(&h);
	free(good);
	CHECK(restored == 0, "restore");
	return 0;
}

const struct test policy_feed_tests[] = {
	{ "policy_get_bytes_signature_etag", test_policy_get },
	{ "policy_if_none_match_304", test_policy_if_none_match_304 },
	{ "policy_if_none_match_weak_in_list_304", test_policy_if_none_match_weak_in_list_304 },
	{ "policy_if_none_match_other_200", test_policy_if_none_match_other_200 },
	{ "policy_without_client_cert_refused", test_policy_without_client_cert_refused },
	{ "sign_policy_signature_verifies", test_sign_policy_signature_verifies },
	{ "sign_policy_refuses_non_json", test_sign_policy_refuses_non_json },
	{ "sign_policy_refuses_invalid_policy", test_sign_policy_refuses_invalid_policy },
	{ "sign_policy_refuses_readable_key", test_sign_policy_refuses_readable_key },
	{ "policy_reload_on_sighup", test_policy_reload_on_sighup },
	{ "policy_reload_keeps_policy_on_bad_signature",
	  test_policy_reload_keeps_policy_on_bad_signature },
	{},
};
