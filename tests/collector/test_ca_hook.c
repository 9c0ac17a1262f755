// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An external CA (--ca-hook): the collector hands each request that may
 * have a certificate to the company's program (ca-hook-example.sh here)
 * and answers with what it made, recorded like its own; a program that
 * fails, answers for another key, or with another CA's certificate gets the
 * device a 503 and nothing stored, its token unused; while a slow one runs,
 * the collector answers others; and the CRL is the external CA's.
 */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_enroll.h"

/* A collector whose certificates come from the example hook, misbehaving as mode says. */
static int hook_start(struct harness *t, struct collector *c, const char *mode)
{
	char ca_cert[512], ca_key[512], hook[PATH_MAX];
	const char *const extra[] = { "--ca-cert",	 ca_cert, "--ca-hook", hook,
				      "--cert-lifetime", "1h",	  NULL };
	int exit_status = -1;

	snprintf(ca_cert, sizeof(ca_cert), "%s/device-ca.crt", t->pki);
	snprintf(ca_key, sizeof(ca_key), "%s/device-ca.key", t->pki);
	CHECK(realpath("tests/collector/ca-hook-example.sh", hook), "no ca-hook-example.sh");
	/* The collector's environment is the hook's. */
	setenv("HOOK_CA_CERT", ca_cert, 1);
	setenv("HOOK_CA_KEY", ca_key, 1);
	if (mode)
		setenv("HOOK_MODE", mode, 1);
	else
		unsetenv("HOOK_MODE");
	CHECK(collector_start(t, c, "hook.db", extra, &exit_status) == 0,
	      "the collector with a CA hook did not start (exit %d); see %s", exit_status, c->log);
	return 0;
}

/* The hook's certificate: for the device, chained to the CA, stored, audited, and it reports. */
static int test_hook_issues(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok;
	struct collector c;
	char resp[512], reason[256];
	long status;

	if (hook_start(t, &c, NULL) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_new(&d) < 0)
		return -1;
	status = enroll_device_request(t, &c, &d, EST_SIMPLEENROLL, tok.bearer, false, resp,
				       sizeof(resp));
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(strncmp(d.serial, "40", 2) == 0, "the serial %s is not the hook's (40...)", d.serial);
	{
		char ca[512];

		snprintf(ca, sizeof(ca), "%s/device-ca.crt", t->pki);
		CHECK(pki_verify_client_cert(d.cert, ca, reason, sizeof(reason)) == 0, "%s",
		      reason);
	}
	CHECK(enroll_identity_is(&c, d.id, "active", d.serial), "no active identity for %s", d.id);
	CHECK(enroll_token_used(&c, &tok) == 1, "the token was used %lld times",
	      enroll_token_used(&c, &tok));
	status = enroll_device_report(t, &c, &d, 2, resp, sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 200, "the hook's certificate posts no report: %ld %s", status, resp);
	return 0;
}

/* A hook that fails, or answers wrongly: 503, nothing stored, the token not used. */
static int hook_refused(struct harness *t, const char *mode, const char *reason)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok;
	struct collector c;
	char resp[512];
	long status;

	if (hook_start(t, &c, mode) < 0 || enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_new(&d) < 0)
		return -1;
	status = enroll_device_request(t, &c, &d, EST_SIMPLEENROLL, tok.bearer, false, resp,
				       sizeof(resp));
	collector_stop(&c, SIGTERM);
	CHECK(status == 503, "%s: status %ld: %s", mode, status, resp);
	CHECK(strstr(resp, reason), "%s: the answer '%s' does not say '%s'", mode, resp, reason);
	CHECK(enroll_certs_of(&c, d.id) == 0 && enroll_identities_of(&c, d.id) == 0,
	      "%s: something was stored", mode);
	CHECK(enroll_token_used(&c, &tok) == 0, "%s: the token was used", mode);
	return 0;
}

static int test_hook_fails(struct harness *t)
{
	return hook_refused(t, "fail", "the external CA failed (status 1)");
}

static int test_hook_other_key(struct harness *t)
{
	return hook_refused(t, "other-key", "no certificate for the request's key");
}

static int test_hook_other_ca(struct harness *t)
{
	return hook_refused(t, "other-ca", "not signed by the CA this collector trusts");
}

/* While a slow hook runs (3 s), the collector answers others at once. */
static int test_hook_does_not_block(struct harness *t)
{
	_cleanup_(enroll_device_done) struct enroll_device d = {};
	struct enroll_token tok;
	struct collector c;
	char resp[512];
	pid_t pid;
	int status;

	if (hook_start(t, &c, "slow") < 0 || enroll_token_create(t, &c, &tok, NULL) < 0 ||
	    enroll_device_new(&d) < 0)
		return -1;
	pid = fork();
	CHECK(pid >= 0, "fork failed");
	if (pid == 0) {
		long s = enroll_device_request(t, &c, &d, EST_SIMPLEENROLL, tok.bearer, false, resp,
					       sizeof(resp));

		_exit(s == 200 ? 0 : 1);
	}
	usleep(500 * 1000);
	{
		struct http h = { .path = EST_CACERTS, .port = c.port };

		/*
		 * Answered while the enrollment still waits for the hook: a
		 * collector blocked on it would answer only after it, and the
		 * enrolling child would be gone by then.  No clock involved.
		 */
		http_perform(t, &h);
		CHECK(h.status == 200, "cacerts answered %ld while the hook ran", h.status);
		CHECK(waitpid(pid, &status, WNOHANG) == 0,
		      "the enrollment had ended before cacerts was answered: the collector waited "
		      "for the hook");
		http_done(&h);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the slow hook's enrollment did not succeed (status %d)", status);
	collector_stop(&c, SIGTERM);
	return 0;
}

/* The collector holds no CA key: the CRL is the external CA's to serve. */
static int test_hook_no_crl(struct harness *t)
{
	struct http h = { .path = "/v1/crl" };
	struct collector c;

	if (hook_start(t, &c, NULL) < 0)
		return -1;
	h.port = c.port;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.status == 404 && enroll_error_is(&h, "an external CA issues this collector's "
						     "certificates; its CRL is that CA's"),
	      "status %ld: %s", h.status, enroll_text(&h));
	http_done(&h);
	return 0;
}

const struct test ca_hook_tests[] = {
	{ "hook_issues_and_its_certificate_reports", test_hook_issues },
	{ "hook_failing_503_nothing_stored", test_hook_fails },
	{ "hook_other_key_503", test_hook_other_key },
	{ "hook_other_ca_503", test_hook_other_ca },
	{ "hook_slow_does_not_block_others", test_hook_does_not_block },
	{ "hook_no_crl_404", test_hook_no_crl },
	{},
};
