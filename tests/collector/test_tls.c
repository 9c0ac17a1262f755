// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TLS and identity: which client certificates the collector refuses, that
 * a client can refuse the collector (wrong CA, wrong name), the TLS versions
 * it speaks, IPv6, and its refusal of a key others may read.
 */
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int test_no_client_cert_refused(struct harness *t)
{
	char *body = records_batch(t->device1, 400, 401), resp[512];
	long long before = db_count_records(t->main.db, NULL);
	long status = http_post_report(t, NULL, body, NULL, resp, sizeof(resp));

	free(body);
	CHECK(status == 401 || status == 0, "status %ld: %s", status, resp);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

/*
 * POSTs records naming the device of the PKI's certificate NAME with that
 * certificate, and wants it refused: 403, or the handshake failed (status
 * 0), and none of its rows stored.  The status in *ret_status, the answer in
 * resp.
 */
static int post_refused_cert(struct harness *t, const char *name, long *ret_status, char *resp,
			     size_t resp_size)
{
	long long before = db_count_records(t->main.db, NULL);
	char id[40], *body;
	long status;

	CHECK(harness_device_id(t, name, id, sizeof(id)) == 0, "no id for %s", name);
	body = records_batch(id, 1, 2);
	status = http_post_report(t, name, body, NULL, resp, resp_size);
	free(body);
	CHECK(status == 403 || status == 0, "status %ld: %s", status, resp);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	CHECK(db_count_records(t->main.db, id) == 0, "rows stored for %s", id);
	*ret_status = status;
	return 0;
}

static int test_rogue_ca_refused(struct harness *t)
{
	char resp[512];
	long status;

	return post_refused_cert(t, "rogue-device", &status, resp, sizeof(resp));
}

static int test_expired_cert_refused(struct harness *t)
{
	char resp[512];
	long status;

	if (post_refused_cert(t, "expired-device", &status, resp, sizeof(resp)) < 0)
		return -1;
	CHECK(status == 0 || strstr(resp, "expired"), "no reason given: %s", resp);
	return 0;
}

static int test_wrong_purpose_cert_refused(struct harness *t)
{
	char *body = records_batch(t->device1, 700, 701), resp[512];
	long long before = db_count_records(t->main.db, NULL);
	long status = http_post_report(t, "serverauth-device", body, NULL, resp, sizeof(resp));

	free(body);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "purpose"), "no reason given: %s", resp);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_client_rejects_wrong_server_ca(struct harness *t)
{
	char *body = records_batch(t->device1, 500, 501);
	long long before = db_count_records(t->main.db, NULL);
	struct http h = http_report("device1", body, strlen(body));

	h.cacert = "device-ca.crt"; /* not the CA that issued the collector's cert */
	http_perform(t, &h);
	free(body);
	CHECK(h.code == CURLE_PEER_FAILED_VERIFICATION, "curl %d (%s) status %ld", h.code, h.error,
	      h.status);
	http_done(&h);
	CHECK(db_count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

/* Starts a collector whose certificate names wrong-host.invalid only: no localhost, no IP. */
static int start_wronghost(struct harness *t, struct collector *c, const char *db_name)
{
	char cert[512], key[512];
	const char *extra[] = { "--cert", cert, "--key", key, NULL };
	int exit_status = -1;

	file_path(cert, sizeof(cert), t->pki, "collector-wronghost.crt");
	file_path(key, sizeof(key), t->pki, "collector-wronghost.key");
	CHECK(collector_start(t, c, db_name, extra, &exit_status) == 0,
	      "collector with the wrong-host cert did not start (%d)", exit_status);
	return 0;
}

static int test_client_rejects_wrong_hostname(struct harness *t)
{
	char *body = records_batch(t->device1, 600, 601);
	struct http h = http_report("device1", body, strlen(body));
	struct collector c;
	long long rows;

	if (start_wronghost(t, &c, "wronghost.db") < 0) {
		free(body);
		return -1;
	}
	h.port = c.port;
	http_perform(t, &h);
	free(body);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_PEER_FAILED_VERIFICATION, "curl %d (%s) status %ld", h.code, h.error,
	      h.status);
	http_done(&h);
	rows = db_count_records(c.db, NULL);
	CHECK(rows <= 0, "%lld rows stored", rows);
	return 0;
}

static int test_client_rejects_address_without_ip_san(struct harness *t)
{
	struct http h = { .path = "/v1/policy", .device = "device1", .host = "127.0.0.1" };
	struct collector c;

	if (start_wronghost(t, &c, "wronghost-ip.db") < 0)
		return -1;
	h.port = c.port;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_PEER_FAILED_VERIFICATION, "by IP: curl %d (%s)", h.code, h.error);
	http_done(&h);
	return 0;
}

static int test_tls13_by_default(struct harness *t)
{
	struct http h = { .path = "/v1/policy", .device = "device1" };

	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld", h.code, h.status);
	CHECK(h.tls_version == TLS1_3_VERSION, "negotiated 0x%x, not TLS 1.3", h.tls_version);
	http_done(&h);
	return 0;
}

static int test_tls12_accepted_by_default(struct harness *t)
{
	struct http h = { .path = "/v1/policy", .device = "device1" };

	h.ssl_version = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "TLS 1.2: curl %d (%s) status %ld", h.code,
	      h.error, h.status);
	CHECK(h.tls_version == TLS1_2_VERSION, "negotiated 0x%x, not TLS 1.2", h.tls_version);
	http_done(&h);
	return 0;
}

static int test_tls_min_version_13_refuses_tls12(struct harness *t)
{
	static const char *const only13[] = { "--tls-min-version", "1.3", NULL };
	struct http h = { .path = "/v1/policy", .device = "device1" };
	struct collector c;
	int exit_status = -1;

	CHECK(collector_start(t, &c, "tls13.db", only13, &exit_status) == 0, "start: %d",
	      exit_status);
	h.port = c.port;
	h.ssl_version = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code != CURLE_OK, "a TLS 1.2 client got through --tls-min-version 1.3 (%ld)",
	      h.status);
	http_done(&h);
	return 0;
}

static int test_ipv6_listen(struct harness *t)
{
	static const char *const extra[] = { "--listen", "[::1]:0", NULL };
	struct http h = { .path = "/v1/policy", .device = "device1", .address = "::1" };
	struct collector c;
	int fd, exit_status = -1;

	/* Skipped (passes) where the loopback has no IPv6. */
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	close(fd);
	if (collector_start(t, &c, "ipv6.db", extra, &exit_status) < 0) {
		fprintf(stderr, "    (no IPv6 loopback here: skipped)\n");
		return 0;
	}
	h.port = c.port;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d (%s) status %ld", h.code, h.error,
	      h.status);
	http_done(&h);
	return 0;
}

static int test_refuses_readable_key(struct harness *t)
{
	char key[512], badkey[512];
	const char *extra[] = { "--key", badkey, NULL };
	struct collector c;
	int exit_status = -1;

	file_path(key, sizeof(key), t->pki, "collector.key");
	file_path(badkey, sizeof(badkey), t->dir, "readable-collector.key");
	CHECK(file_copy(key, badkey, 0640) == 0, "copy");
	CHECK(collector_start(t, &c, "badkey.db", extra, &exit_status) < 0,
	      "started with a group-readable key");
	CHECK(exit_status == 1, "exit status %d", exit_status);
	CHECK(file_contains(c.log, "group or others may access it"), "no clear error in %s", c.log);
	return 0;
}

const struct test tls_tests[] = {
	{ "no_client_cert_refused", test_no_client_cert_refused },
	{ "rogue_ca_client_cert_refused", test_rogue_ca_refused },
	{ "expired_client_cert_refused", test_expired_cert_refused },
	{ "client_cert_for_servers_only_refused", test_wrong_purpose_cert_refused },
	{ "client_rejects_wrong_server_ca", test_client_rejects_wrong_server_ca },
	{ "client_rejects_wrong_hostname", test_client_rejects_wrong_hostname },
	{ "client_rejects_address_without_ip_san", test_client_rejects_address_without_ip_san },
	{ "tls13_negotiated_by_default", test_tls13_by_default },
	{ "tls12_client_accepted_by_default", test_tls12_accepted_by_default },
	{ "tls_min_version_13_refuses_tls12", test_tls_min_version_13_refuses_tls12 },
	{ "ipv6_loopback_listen", test_ipv6_listen },
	{ "refuses_group_readable_key", test_refuses_readable_key },
	{}
};
