// SPDX-License-Identifier: LGPL-2.1-or-later
/* A fleet of simulated devices posting to collectors (fleet_load.h). */
#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/harness_file.h"
#include "../collector/harness_time.h"
#include "fleet_load.h"

/* Paths here are short temporary ones; gcc cannot know that. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define BOOT_UID	  "0123456789abcdef0123456789abcdef"
#define RECORD_MAX	  4096
#define RESPONSE_MAX	  4096
#define BACKOFF_MIN_MS	  200
#define BACKOFF_MAX_MS	  5000
#define RETRY_AFTER_MAX_S 30

int fleet_load_exec_record(char *buf, size_t size, const char *device, long long seq)
{
	return snprintf(
		buf, size,
		"{\"time\":%lld,\"class_uid\":1007,\"class_name\":\"Process Activity\","
		"\"category_uid\":1,\"category_name\":\"System Activity\",\"activity_id\":1,"
		"\"activity_name\":\"Launch\",\"type_uid\":100701,\"type_name\":\"Process "
		"Activity: Launch\",\"severity_id\":1,\"severity\":\"Informational\","
		"\"metadata\":{\"version\":\"1.9.0-dev\",\"product\":{\"name\":\"postured\","
		"\"vendor_name\":\"postured\",\"version\":\"0.1.0\"},\"log_name\":\"process\","
		"\"profiles\":[\"host\"]},\"device\":{\"type_id\":3,\"uid\":\"%s\",\"hostname\":"
		"\"laptop-0042\",\"os\":{\"name\":\"Debian GNU/Linux\",\"version\":\"12\","
		"\"type_id\":200,\"type\":\"Linux\",\"kernel_release\":\"6.1.0-27-amd64\"}},"
		"\"launch_type_id\":3,\"launch_type\":\"Exec\",\"process\":{\"pid\":%lld,"
		"\"uid\":\"2f6c1e8a0b9d4c7e8f1a2b3c4d5e6f70\",\"name\":\"git\",\"cmd_line\":"
		"\"git -C /home/ada/src/project status --porcelain\",\"file\":{\"path\":"
		"\"/usr/bin/git\",\"name\":\"git\",\"type_id\":1},\"user\":{\"uid\":\"1000\","
		"\"name\":\"ada\"},\"parent_process\":{\"pid\":4242,\"name\":\"bash\"}},"
		"\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID "\"}}\n",
		1790000000000LL + seq, device, 10000 + seq, seq);
}

int fleet_load_finding_record(char *buf, size_t size, const char *device, long long seq)
{
	return snprintf(
		buf, size,
		"{\"time\":%lld,\"class_uid\":2003,\"class_name\":\"Compliance Finding\","
		"\"category_uid\":2,\"activity_id\":1,\"type_uid\":200301,\"severity_id\":4,"
		"\"status_id\":1,\"metadata\":{\"version\":\"1.9.0-dev\",\"log_name\":\"finding\","
		"\"profiles\":[\"host\"]},\"device\":{\"type_id\":3,\"uid\":\"%s\",\"hostname\":"
		"\"laptop-0042\"},\"finding_info\":{\"uid\":\"%s-%lld\",\"title\":\"x11vnc remote "
		"desktop started\",\"types\":[\"process\"]},\"compliance\":{\"control\":"
		"\"remote-desktop-x11vnc\",\"status_id\":3,\"status\":\"Fail\"},\"process\":{\"pid\":"
		"%lld,\"name\":\"x11vnc\",\"file\":{\"path\":\"/usr/bin/x11vnc\"}},"
		"\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID "\"}}\n",
		1790000000000LL + seq, device, device, seq, 20000 + seq, seq);
}

int fleet_load_snapshot_record(char *buf, size_t size, const char *device, long long seq)
{
	static const char *const rules[] = { "disk-encryption", "screen-lock", "firewall",
					     "os-updates", "remote-desktop-x11vnc" };
	long long now = realtime_ms();
	size_t n;

	n = (size_t)snprintf(
		buf, size,
		"{\"time\":%lld,\"class_uid\":5001,\"category_uid\":5,\"activity_id\":2,"
		"\"metadata\":{\"version\":\"1.9.0-dev\",\"log_name\":\"posture\"},"
		"\"device\":{\"uid\":\"%s\",\"hostname\":\"laptop-%.6s\"},\"postured\":{\"seq\":%lld,"
		"\"boot_uid\":\"" BOOT_UID "\",\"posture\":{\"compliant\":%s,\"device\":{\"uid\":"
		"\"%s\",\"hostname\":\"laptop-%.6s\",\"os\":\"Debian GNU/Linux 12\"},\"agent\":{"
		"\"version\":\"0.1.0\",\"healthy\":true,\"records_lost\":0},\"policy\":{\"id\":"
		"\"telework-baseline\",\"serial\":3},\"rules\":[",
		now, device, device, seq, seq % 3 ? "true" : "false", device, device);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && n < size; i++)
		n += (size_t)snprintf(
			buf + n, size - n,
			"%s{\"id\":\"%s\",\"title\":\"%s\",\"severity\":\"high\","
			"\"type\":\"check\",\"mode\":\"monitor\",\"enabled\":true,"
			"\"state\":\"%s\",\"since\":%lld,\"message\":{\"en\":\"%s is "
			"not as the policy wants\"},\"remediation\":{\"en\":\"Fix %s\"}}",
			i ? "," : "", rules[i], rules[i],
			i == 0 && seq % 3 == 0 ? "failing" : "passing", now - 3600000, rules[i],
			rules[i]);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n,
				      "]},\"completeness\":{\"interval_seconds\":900,"
				      "\"watched_seconds\":880,\"asleep_seconds\":0,"
				      "\"stopped_seconds\":20,\"watched_per_mille\":977},"
				      "\"snapshot_interval_seconds\":900}}\n");
	return (int)n;
}

/* --- devices -------------------------------------------------------------------------------- */

static char *pem_of(int (*write)(BIO *, const void *), const void *obj)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (bio && write(bio, obj) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0 &&
	    (out = malloc((size_t)len + 1))) {
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(bio);
	return out;
}

static int write_cert(BIO *bio, const void *x)
{
	return PEM_write_bio_X509(bio, (X509 *)x);
}

static int write_key(BIO *bio, const void *k)
{
	return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)k, NULL, NULL, 0, NULL, NULL);
}

/* A client certificate for id's new key, from the CA, valid for a day. */
static int device_cert(struct fleet_load_device *d, X509 *ca, EVP_PKEY *ca_key)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ku = NULL, *eku = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int r = -1;

	if (!key || !x || !name || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	ku = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature");
	eku = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "clientAuth");
	if (!bn || !ku || !eku || X509_set_version(x, 2) != 1 ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)d->id, -1,
				       -1, 0) != 1 ||
	    X509_set_subject_name(x, name) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || X509_set_pubkey(x, key) != 1 ||
	    X509_add_ext(x, ku, -1) != 1 || X509_add_ext(x, eku, -1) != 1 ||
	    X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto out;
	d->cert_pem = pem_of(write_cert, x);
	d->key_pem = pem_of(write_key, key);
	r = d->cert_pem && d->key_pem ? 0 : -1;
out:
	X509_EXTENSION_free(ku);
	X509_EXTENSION_free(eku);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

int fleet_load_devices(const char *pki, size_t n, long long records_per_device,
		       struct fleet_load_device **ret)
{
	char path[512];
	struct fleet_load_device *d = calloc(n ? n : 1, sizeof(*d));
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	FILE *f;
	int r = -1;

	file_path(path, sizeof(path), pki, "device-ca.crt");
	if ((f = fopen(path, "re"))) {
		ca = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	file_path(path, sizeof(path), pki, "device-ca.key");
	if ((f = fopen(path, "re"))) {
		ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!d || !ca || !ca_key)
		goto out;
	for (size_t i = 0; i < n; i++) {
		unsigned char raw[16];

		if (RAND_bytes(raw, sizeof(raw)) != 1)
			goto out;
		for (size_t j = 0; j < sizeof(raw); j++)
			snprintf(d[i].id + 2 * j, 3, "%02x", raw[j]);
		d[i].total = records_per_device;
		if (device_cert(&d[i], ca, ca_key) < 0)
			goto out;
	}
	*ret = d;
	d = NULL;
	r = 0;
out:
	fleet_load_devices_free(d, n);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r;
}

void fleet_load_devices_free(struct fleet_load_device *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].cert_pem);
		free(d[i].key_pem);
	}
	free(d);
}

/* --- the run -------------------------------------------------------------------------------- */

/* One request in flight: its device, body, answer and start. */
struct request {
	CURL *easy;
	struct curl_slist *headers, *resolve;
	struct fleet_load_device *device;
	char *body;
	char response[RESPONSE_MAX];
	size_t response_len;
	long long start_us;
};

struct run {
	const struct fleet_load_config *cfg;
	CURLM *multi;
	char ca[512];
	double *latencies;
	size_t n_latencies, latencies_cap;
	struct request **flight; /* the requests in flight, at most cfg->connections */
	size_t n_flight;
	long long acked; /* the devices' acknowledged records, summed */
	struct fleet_load_result *res;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct request *q = userdata;
	size_t len = size * n, room = sizeof(q->response) - 1 - q->response_len;

	memcpy(q->response + q->response_len, data, len < room ? len : room);
	q->response_len += len < room ? len : room;
	q->response[q->response_len] = '\0';
	return len;
}

/*
 * The records after the device's last acknowledged one, at most batch of
 * them: a snapshot first and every 100th, a finding every 10th, the rest
 * exec audit.
 */
static char *batch_body(const struct fleet_load_device *d, size_t batch, long long *ret_last,
			size_t *ret_size)
{
	size_t cap = batch * RECORD_MAX, len = 0;
	char *buf = malloc(cap);
	long long s = d->acked + 1;

	for (; buf && s <= d->total && s <= d->acked + (long long)batch; s++) {
		int n = s % 100 == 1 ? fleet_load_snapshot_record(buf + len, cap - len, d->id, s) :
			s % 10 == 5  ? fleet_load_finding_record(buf + len, cap - len, d->id, s) :
				       fleet_load_exec_record(buf + len, cap - len, d->id, s);

		if (n < 0 || (size_t)n >= cap - len) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	*ret_last = s - 1;
	*ret_size = len;
	return buf;
}

static int start_request(struct run *run, struct fleet_load_device *d)
{
	const int port = run->cfg->ports[d->port];
	struct request *q = calloc(1, sizeof(*q));
	struct curl_blob cert, key;
	char url[96], resolve[64];
	size_t size;

	if (!q)
		return -1;
	q->device = d;
	q->body = batch_body(d, run->cfg->batch_records, &d->sent, &size);
	q->easy = curl_easy_init();
	snprintf(url, sizeof(url), "https://localhost:%d/v1/reports", port);
	snprintf(resolve, sizeof(resolve), "localhost:%d:127.0.0.1", port);
	q->resolve = curl_slist_append(NULL, resolve);
	q->headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	if (!q->body || !q->easy || !q->resolve || !q->headers) {
		free(q->body);
		curl_easy_cleanup(q->easy);
		curl_slist_free_all(q->resolve);
		curl_slist_free_all(q->headers);
		free(q);
		return -1;
	}
	cert = (struct curl_blob){ d->cert_pem, strlen(d->cert_pem), CURL_BLOB_NOCOPY };
	key = (struct curl_blob){ d->key_pem, strlen(d->key_pem), CURL_BLOB_NOCOPY };
	curl_easy_setopt(q->easy, CURLOPT_URL, url);
	curl_easy_setopt(q->easy, CURLOPT_RESOLVE, q->resolve);
	curl_easy_setopt(q->easy, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(q->easy, CURLOPT_CAINFO, run->ca);
	curl_easy_setopt(q->easy, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(q->easy, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(q->easy, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(q->easy, CURLOPT_SSLKEYTYPE, "PEM");
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, 30000L);
	/* Its last batch: the device is done, its connection too. */
	curl_easy_setopt(q->easy, CURLOPT_FORBID_REUSE, d->sent >= d->total ? 1L : 0L);
	q->start_us = now_us();
	d->busy = true;
	run->res->requests++;
	run->flight[run->n_flight++] = q;
	curl_multi_add_handle(run->multi, q->easy);
	return 0;
}

static void backoff(struct fleet_load_device *d, long retry_after_s)
{
	long long max = BACKOFF_MIN_MS << (d->failures < 5 ? d->failures : 5);
	long long delay = BACKOFF_MIN_MS +
			  (long long)(random() % (max > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : max));

	/* As the sender: at least what the collector asked, spread up to twice it. */
	if (retry_after_s > 0) {
		long long after =
			(retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : retry_after_s) *
			1000LL;

		delay = after + random() % (after + 1);
	}
	d->failures++;
	d->retry_at_ms = now_ms() + delay;
}

/* The request q ended with result (CURLE_ABORTED_BY_CALLBACK: abandoned at the run's end). */
static void finish_request(struct run *run, struct request *q, CURLcode result)
{
	struct fleet_load_device *d = q->device;
	long status = 0;
	curl_off_t retry_after = 0;
	const char *acked;

	for (size_t i = 0; i < run->n_flight; i++)
		if (run->flight[i] == q) {
			run->flight[i] = run->flight[--run->n_flight];
			break;
		}
	d->busy = false;
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	acked = strstr(q->response, "\"acked_seq\":");
	if (result == CURLE_OK && status == 200 && acked) {
		long long a = strtoll(acked + strlen("\"acked_seq\":"), NULL, 10);

		run->res->answered_200++;
		if (run->n_latencies < run->latencies_cap)
			run->latencies[run->n_latencies++] =
				(double)(now_us() - q->start_us) / 1000.0;
		/* Never past what this request carried, as the sender clamps it. */
		if (a > d->sent)
			a = d->sent;
		if (a > d->acked) {
			run->acked += a - d->acked;
			d->acked = a;
		}
		d->failures = 0;
		d->retry_at_ms = 0;
	} else {
		if (result != CURLE_OK)
			run->res->transport_errors++;
		else
			run->res->refused++;
		curl_easy_getinfo(q->easy, CURLINFO_RETRY_AFTER, &retry_after);
		if (retry_after > 0)
			run->res->retry_after_honoured++;
		backoff(d, (long)retry_after);
	}
	curl_multi_remove_handle(run->multi, q->easy);
	curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->headers);
	curl_slist_free_all(q->resolve);
	free(q->body);
	free(q);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int fleet_load_run(const struct fleet_load_config *cfg, struct fleet_load_device *devices, size_t n,
		   struct fleet_load_result *ret)
{
	struct run run = { .cfg = cfg, .res = ret };
	long long t0 = now_us(), next_start = t0, last_tick = 0, goal = 0;
	int running = 0;

	*ret = (struct fleet_load_result){};
	if (!cfg->n_ports || !cfg->batch_records || !cfg->connections)
		return -1;
	file_path(run.ca, sizeof(run.ca), cfg->pki, "server-ca.crt");
	run.multi = curl_multi_init();
	/* The connections of the devices sending now, and no more: each is a collector's too. */
	curl_multi_setopt(run.multi, CURLMOPT_MAXCONNECTS, (long)cfg->connections);
	for (size_t i = 0; i < n; i++) {
		devices[i].port = i % cfg->n_ports;
		goal += devices[i].total;
		run.acked += devices[i].acked;
	}
	/* Every answer could be a 200 of one record: the bound on latencies kept. */
	run.latencies_cap = (size_t)goal + 1;
	run.latencies = calloc(run.latencies_cap, sizeof(double));
	run.flight = calloc(cfg->connections, sizeof(*run.flight));
	if (!run.multi || !run.latencies || !run.flight) {
		curl_multi_cleanup(run.multi);
		free(run.latencies);
		free(run.flight);
		return -1;
	}

	for (;;) {
		long long now = now_ms();
		int queued;
		CURLMsg *msg;

		if (now - t0 / 1000 >= cfg->max_ms || (run.acked >= goal && !run.n_flight))
			break;
		/*
		 * Devices with records to send, the first ones first, as the pace and
		 * the connections allow: a device drains its backlog batch after batch
		 * over the connection it keeps, as the sender does, and the next starts
		 * when one is done.
		 */
		for (size_t k = 0; k < n && run.n_flight < cfg->connections; k++) {
			struct fleet_load_device *d = &devices[k];

			if (cfg->batches_per_second > 0 && now_us() < next_start)
				break;
			if (d->busy || d->acked >= d->total || d->retry_at_ms > now)
				continue;
			if (start_request(&run, d) < 0)
				break;
			if (cfg->batches_per_second > 0)
				next_start += (long long)(1e6 / cfg->batches_per_second);
		}
		curl_multi_perform(run.multi, &running);
		while ((msg = curl_multi_info_read(run.multi, &queued)))
			if (msg->msg == CURLMSG_DONE) {
				struct request *q = NULL;

				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
				finish_request(&run, q, msg->data.result);
			}
		if (cfg->tick && now - last_tick >= 10) {
			last_tick = now;
			cfg->tick(now - t0 / 1000, run.acked, cfg->userdata);
		}
		curl_multi_poll(run.multi, NULL, 0, 5, NULL);
	}

	/* Whatever is still in flight at the bound is abandoned, as a device switched off. */
	while (run.n_flight > 0)
		finish_request(&run, run.flight[0], CURLE_ABORTED_BY_CALLBACK);
	ret->seconds = (double)(now_us() - t0) / 1e6;
	ret->records_acked = run.acked;
	ret->records_per_second = ret->seconds > 0 ? (double)ret->records_acked / ret->seconds : 0;
	ret->finished = ret->records_acked >= goal;
	if (run.n_latencies) {
		qsort(run.latencies, run.n_latencies, sizeof(double), compare_double);
		ret->p50_ms = run.latencies[run.n_latencies / 2];
		ret->p99_ms = run.latencies[(run.n_latencies * 99) / 100];
	}
	curl_multi_cleanup(run.multi);
	free(run.latencies);
	free(run.flight);
	return 0;
}
