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

static int test_policy_if_none_match(struct harness *t)
{
	struct http h = { .path = "/v1/policy", .device = "device1" };
	char etag[128], list[300];

	http_perform(t, &h);
	snprintf(etag, sizeof(etag), "%s", h.etag);
	http_done(&h);
	CHECK(etag[0] == '"', "no ETag");

	h = (struct http){ .path = "/v1/policy", .device = "device1", .if_none_match = etag };
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 304, "status %ld", h.status);
	CHECK(h.resp_size == 0, "304 with a body");
	CHECK(strcmp(h.etag, etag) == 0, "304 without the ETag");
	http_done(&h);

	snprintf(list, sizeof(list), "\"0000\", W/%s", etag);
	h = (struct http){ .path = "/v1/policy", .device = "device1", .if_none_match = list };
	http_perform(t, &h);
	CHECK(h.status == 304, "list with a weak match: status %ld", h.status);
	http_done(&h);

	h = (struct http){ .path = "/v1/policy", .device = "device1", .if_none_match = "\"00\"" };
	http_perform(t, &h);
	CHECK(h.status == 200 && h.resp_size > 0, "other ETag: status %ld", h.status);
	http_done(&h);

	h = (struct http){ .path = "/v1/policy" };
	http_perform(t, &h);
	CHECK(h.status == 401 || h.code != CURLE_OK, "policy without a client cert: %ld", h.status);
	http_done(&h);
	return 0;
}

static int test_sign_policy_round_trip(struct harness *t)
{
	char key[512], pub[512], policy[512], sig[512], err[512], badkey[512];
	char *data, *sigtext;
	size_t size;
	int r;

	file_path(key, sizeof(key), t->pki, "policy-signing.key");
	file_path(pub, sizeof(pub), t->pki, "policy-signing.pub");
	file_path(policy, sizeof(policy), t->dir, "roundtrip.json");
	file_path(sig, sizeof(sig), t->dir, "roundtrip.sig");
	file_path(err, sizeof(err), t->dir, "sign.err");
	static const char valid[] = "{\"id\": \"t\", \"serial\": 7, \"rules\": []}\n";

	CHECK(file_write(policy, valid, strlen(valid), 0644) == 0, "write");

	r = collector_sign_policy(t, key, policy, sig, err);
	CHECK(r == 0, "sign-policy exited %d", r);
	CHECK(file_read(policy, &data, &size) == 0 && file_read(sig, &sigtext, NULL) == 0, "read");
	CHECK(crypto_verify_signature(pub, data, size, sigtext) == 0,
	      "signature does not verify: %s", sigtext);
	/* One byte changed: the signature no longer fits. */
	data[size - 2] = ' ';
	CHECK(crypto_verify_signature(pub, data, size, sigtext) != 0, "verifies a changed policy");
	free(data);
	free(sigtext);

	/* Not JSON: refused before signing. */
	CHECK(file_write(policy, "serial: 7\n", 10, 0644) == 0, "write");
	r = collector_sign_policy(t, key, policy, sig, err);
	CHECK(r != 0, "signed a policy that is not JSON");
	CHECK(file_contains(err, "Not signing"), "no clear error");

	/* JSON, but not a policy the agents would take: refused with the library's errors. */
	CHECK(file_write(policy, "{\"serial\": 7, \"rules\": []}\n", 27, 0644) == 0, "write");
	r = collector_sign_policy(t, key, policy, sig, err);
	CHECK(r != 0, "signed a policy without an id");
	CHECK(file_contains(err, "\"id\""), "the error does not name the missing id");

	/* A key others can read: refused. */
	CHECK(file_write(policy, valid, strlen(valid), 0644) == 0, "write");
	file_path(badkey, sizeof(badkey), t->dir, "readable-signing.key");
	CHECK(file_copy(key, badkey, 0644) == 0, "copy");
	r = collector_sign_policy(t, badkey, policy, sig, err);
	CHECK(r != 0, "signed with a world-readable key");
	CHECK(file_contains(err, "group or others"), "no clear error");
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

	/* A signature that does not match: refused, the old policy stays. */
	CHECK(file_write(t->policy, "{\"serial\": 3}", 13, 0644) == 0, "write policy");
	kill(t->main.pid, SIGHUP);
	deadline = now_ms() + 5000;
	while (!file_contains(t->main.log, "keeping the policy in force") && now_ms() < deadline)
		msleep(20);
	CHECK(file_contains(t->main.log, "keeping the policy in force"), "no refusal logged");
	h = (struct http){ .path = "/v1/policy", .device = "device1" };
	http_perform(t, &h);
	CHECK(h.status == 200 && strcmp(h.etag, etag) == 0 && strcmp(h.resp, v2) == 0,
	      "the refused policy replaced the good one");
	http_done(&h);
	CHECK(file_write(t->policy, v2, strlen(v2), 0644) == 0, "restore");
	return 0;
}

const struct test policy_feed_tests[] = { { "policy_get_bytes_signature_etag", test_policy_get },
					  { "policy_if_none_match_304", test_policy_if_none_match },
					  { "sign_policy_round_trip", test_sign_policy_round_trip },
					  { "policy_reload_on_sighup",
					    test_policy_reload_on_sighup },
					  {} };
