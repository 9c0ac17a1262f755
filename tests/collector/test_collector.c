// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * posture-collector end to end on loopback: the real binary as a child
 * process, real TLS handshakes with libcurl (OpenSSL) against a PKI made by
 * tools/make-test-pki in a temporary directory, a real SQLite file.
 *
 * Usage: test_collector BUILD/posture-collector tools/make-test-pki
 * Ends with "N passed, N failed"; exits non-zero when any test failed.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BOOT_UID "0123456789abcdef0123456789abcdef"

struct collector {
	pid_t pid;
	int port;
	char db[512];
	char log[512];
};

struct ctx {
	const char *bin;
	const char *pki_tool;
	char dir[256];
	char pki[300];
	char policy[512];
	char signature[512];
	char device1[40];
	char device2[40];
	struct collector main; /* the instance most tests talk to */
	unsigned instances;
};

static unsigned n_passed, n_failed;

#define CHECK(cond, ...)                                                                         \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "    %s:%d: check failed: %s\n    ", __FILE__, __LINE__, \
				#cond);                                                          \
			fprintf(stderr, __VA_ARGS__);                                            \
			fputc('\n', stderr);                                                     \
			return -1;                                                               \
		}                                                                                \
	} while (0)

/* --- small helpers ---------------------------------------------------------- */

static void path_in(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int read_file(const char *path, char **ret, size_t *ret_size)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0, allocated = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (allocated - size < 4096) {
			char *p = realloc(buf, allocated + 65536);

			if (!p) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = p;
			allocated += 65536;
		}
		n = fread(buf + size, 1, allocated - size - 1, f);
		size += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[size] = '\0';
	*ret = buf;
	if (ret_size)
		*ret_size = size;
	return 0;
}

static int write_file(const char *path, const void *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, data, size) == (ssize_t)size;
	fchmod(fd, mode);
	close(fd);
	return ok ? 0 : -EIO;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char *data;
	size_t size;
	int r = read_file(from, &data, &size);

	if (r < 0)
		return r;
	r = write_file(to, data, size, mode);
	free(data);
	return r;
}

static void msleep(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv with stdout to out_path (or /dev/null) and stderr to err_path; returns the exit status. */
static int run(char *const argv[], const char *out_path, const char *err_path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int out =
			open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err =
			open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool file_contains(const char *path, const char *needle)
{
	char *data;
	bool found;

	if (read_file(path, &data, NULL) < 0)
		return false;
	found = strstr(data, needle) != NULL;
	free(data);
	return found;
}

/* --- the collector as a child process --------------------------------------- */

/*
 * Starts the collector with the standard PKI and policy plus extra options
 * (NULL-terminated), on 127.0.0.1:0 unless extra has --listen; waits for
 * READY=1 on a NOTIFY_SOCKET of our own and takes the port from STATUS=.
 * Returns 0, or -1 when it did not become ready (its exit status in *ret_exit
 * when it exited).
 */
static int collector_start(struct ctx *t, struct collector *c, const char *db_name,
			   const char *const *extra, int *ret_exit)
{
	char notify_path[300], cert[512], key[512], ca[512], pub[512], buf[512];
	const char *argv[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool has_listen = false;
	long long deadline;
	int fd, n = 0;

	memset(c, 0, sizeof(*c));
	snprintf(notify_path, sizeof(notify_path), "%s/notify-%u", t->dir, ++t->instances);
	path_in(c->db, sizeof(c->db), t->dir, db_name);
	snprintf(c->log, sizeof(c->log), "%s/collector-%u.log", t->dir, t->instances);
	path_in(cert, sizeof(cert), t->pki, "collector.crt");
	path_in(key, sizeof(key), t->pki, "collector.key");
	path_in(ca, sizeof(ca), t->pki, "device-ca.crt");
	path_in(pub, sizeof(pub), t->pki, "policy-signing.pub");

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (strlen(notify_path) >= sizeof(sa.sun_path)) {
		close(fd);
		return -1;
	}
	memcpy(sa.sun_path, notify_path, strlen(notify_path) + 1);
	unlink(notify_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}

	for (const char *const *e = extra; e && *e; e++)
		has_listen = has_listen || strcmp(*e, "--listen") == 0;
	argv[n++] = t->bin;
	if (!has_listen) {
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.1:0";
	}
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--device-ca";
	argv[n++] = ca;
	argv[n++] = "--db";
	argv[n++] = c->db;
	argv[n++] = "--policy";
	argv[n++] = t->policy;
	argv[n++] = "--policy-signature";
	argv[n++] = t->signature;
	argv[n++] = "--policy-public-key";
	argv[n++] = pub;
	for (const char *const *e = extra; e && *e && n < 62; e++) {
		/* Given after the defaults: for an option given twice, the last wins. */
		argv[n++] = *e;
	}
	argv[n] = NULL;

	c->pid = fork();
	if (c->pid < 0) {
		close(fd);
		return -1;
	}
	if (c->pid == 0) {
		int log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		setenv("POSTURED_LOG_LEVEL", "debug", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}

	deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int status;

		if (poll(&p, 1, 50) > 0) {
			ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
			const char *st, *colon;

			if (len <= 0)
				continue;
			buf[len] = '\0';
			st = strstr(buf, "Listening on ");
			if (!strstr(buf, "READY=1") || !st)
				continue;
			colon = strrchr(st, ':');
			c->port = colon ? atoi(colon + 1) : 0;
			close(fd);
			unlink(notify_path);
			return c->port > 0 ? 0 : -1;
		}
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			if (ret_exit)
				*ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			c->pid = 0;
			break;
		}
	}
	close(fd);
	unlink(notify_path);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	return -1;
}

/* Sends sig and reaps; returns the exit status (128+N for a signal), -1 on timeout. */
static int collector_stop(struct collector *c, int sig)
{
	long long deadline = now_ms() + 10000;
	int status;

	if (c->pid <= 0)
		return -1;
	kill(c->pid, sig);
	while (now_ms() < deadline) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		msleep(10);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
	return -1;
}

/* --- HTTP with libcurl -------------------------------------------------------- */

struct http {
	/* the request */
	const char *method; /* GET (default) or POST */
	const char *path;
	const char *device; /* client cert pki/<device>.crt/.key; NULL: none */
	const char *cacert; /* in pki/; default server-ca.crt */
	const char *host; /* default localhost (pinned to the address below) */
	const char *address; /* default 127.0.0.1 */
	int port;
	const void *body;
	size_t body_size;
	const char *content_type; /* default application/x-ndjson for POST */
	const char *content_encoding;
	const char *if_none_match;
	bool expect_100;
	bool chunked;
	long ssl_version; /* CURLOPT_SSLVERSION; 0: default */

	/* the result */
	CURLcode code;
	long status;
	char *resp;
	size_t resp_size;
	char etag[128];
	char signature[256];
	char retry_after[32];
	int tls_version;
	char error[CURL_ERROR_SIZE];

	/* internal */
	CURL *easy;
	size_t sent;
};

static size_t http_write(char *data, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	char *p = realloc(h->resp, h->resp_size + size * n + 1);

	if (!p)
		return 0;
	h->resp = p;
	memcpy(h->resp + h->resp_size, data, size * n);
	h->resp_size += size * n;
	h->resp[h->resp_size] = '\0';
	return size * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	snprintf(out, size, "%.*s", (int)len, line);
}

static size_t http_header(char *data, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	struct curl_tlssessioninfo *info = NULL;

	header_value(data, size * n, "ETag", h->etag, sizeof(h->etag));
	header_value(data, size * n, "X-Postured-Signature", h->signature, sizeof(h->signature));
	header_value(data, size * n, "Retry-After", h->retry_after, sizeof(h->retry_after));
	/* While the connection is certainly alive: which TLS version it speaks. */
	if (h->tls_version == 0 &&
	    curl_easy_getinfo(h->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info &&
	    info->backend == CURLSSLBACKEND_OPENSSL && info->internals)
		h->tls_version = SSL_version(info->internals);
	return size * n;
}

static size_t http_read_chunk(char *buf, size_t size, size_t n, void *userdata)
{
	struct http *h = userdata;
	size_t left = h->body_size - h->sent, take = size * n < left ? size * n : left;

	/* Small pieces, so the collector sees a chunked body grow. */
	if (take > 16384)
		take = 16384;
	memcpy(buf, (const char *)h->body + h->sent, take);
	h->sent += take;
	return take;
}

static CURL *http_setup(struct ctx *t, struct http *h, struct curl_slist **headers,
			struct curl_slist **resolve)
{
	char url[512], cert[512], key[512], cacert[512], pin[256], hdr[256];
	const char *host = h->host ? h->host : "localhost";
	const char *address = h->address ? h->address : "127.0.0.1";
	int port = h->port ? h->port : t->main.port;
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	h->easy = c;
	snprintf(url, sizeof(url), "https://%s:%d%s", host, port, h->path);
	if (strchr(address, ':'))
		snprintf(pin, sizeof(pin), "%s:%d:[%s]", host, port, address);
	else
		snprintf(pin, sizeof(pin), "%s:%d:%s", host, port, address);
	*resolve = curl_slist_append(NULL, pin);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, *resolve);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	path_in(cacert, sizeof(cacert), t->pki, h->cacert ? h->cacert : "server-ca.crt");
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->device) {
		snprintf(cert, sizeof(cert), "%s/%s.crt", t->pki, h->device);
		snprintf(key, sizeof(key), "%s/%s.key", t->pki, h->device);
		curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	if (h->ssl_version)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, h->ssl_version);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);

	*headers = NULL;
	if (h->method && strcmp(h->method, "POST") == 0) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s",
			 h->content_type ? h->content_type : "application/x-ndjson");
		*headers = curl_slist_append(*headers, hdr);
		if (h->content_encoding) {
			snprintf(hdr, sizeof(hdr), "Content-Encoding: %s", h->content_encoding);
			*headers = curl_slist_append(*headers, hdr);
		}
		*headers = curl_slist_append(*headers,
					     h->expect_100 ? "Expect: 100-continue" : "Expect:");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (h->chunked) {
			*headers = curl_slist_append(*headers, "Transfer-Encoding: chunked");
			curl_easy_setopt(c, CURLOPT_READFUNCTION, http_read_chunk);
			curl_easy_setopt(c, CURLOPT_READDATA, h);
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body ? h->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(h->body ? h->body_size : 0));
		}
	}
	if (h->if_none_match) {
		snprintf(hdr, sizeof(hdr), "If-None-Match: %s", h->if_none_match);
		*headers = curl_slist_append(*headers, hdr);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	return c;
}

static void http_perform(struct ctx *t, struct http *h)
{
	struct curl_slist *headers = NULL, *resolve = NULL;
	CURL *c = http_setup(t, h, &headers, &resolve);

	if (!c) {
		h->code = CURLE_FAILED_INIT;
		return;
	}
	h->code = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_easy_cleanup(c);
	h->easy = NULL;
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
}

static void http_done(struct http *h)
{
	free(h->resp);
	h->resp = NULL;
}

/* POSTs body as device to the main collector; returns the HTTP status (0: no answer). */
static long post(struct ctx *t, const char *device, const char *body, long long *ret_acked,
		 char *resp, size_t resp_size)
{
	struct http h = {
		.method = "POST",
		.path = "/v1/reports",
		.device = device,
		.body = body,
		.body_size = strlen(body),
	};
	long status;

	http_perform(t, &h);
	status = h.code == CURLE_OK ? h.status : 0;
	if (ret_acked && h.resp) {
		const char *p = strstr(h.resp, "\"acked_seq\":");

		*ret_acked = p ? strtoll(p + 12, NULL, 10) : -1;
	}
	if (resp)
		snprintf(resp, resp_size, "%s", h.resp ? h.resp : h.error);
	http_done(&h);
	return status;
}

/* --- records and the database ---------------------------------------------------- */

static int append(char **buf, size_t *size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static int append(char **buf, size_t *size, const char *format, ...)
{
	va_list ap;
	char *line = NULL;
	char *p;
	int n;

	va_start(ap, format);
	n = vasprintf(&line, format, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	p = realloc(*buf, *size + (size_t)n + 1);
	if (!p) {
		free(line);
		return -ENOMEM;
	}
	memcpy(p + *size, line, (size_t)n + 1);
	*buf = p;
	*size += (size_t)n;
	free(line);
	return 0;
}

/* One valid record line (with "\n") for device uid, sequence number seq. */
static int append_record(char **buf, size_t *size, const char *uid, long long seq, int class_uid)
{
	return append(buf, size,
		      "{\"class_uid\":%d,\"type_uid\":%d01,\"time\":%lld,"
		      "\"metadata\":{\"version\":\"1.3.0\",\"profiles\":[\"host\"]},"
		      "\"device\":{\"uid\":\"%s\"},"
		      "\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID "\"}}\n",
		      class_uid, class_uid, 1790000000000LL + seq, uid, seq);
}

/* A batch of valid records seq first..last. */
static char *batch(const char *uid, long long first, long long last)
{
	static const int classes[] = { 1007, 4001, 2003, 5001 };
	char *buf = NULL;
	size_t size = 0;

	for (long long s = first; s <= last; s++)
		if (append_record(&buf, &size, uid, s, classes[s % 4]) < 0) {
			free(buf);
			return NULL;
		}
	return buf ? buf : strdup("");
}

/* Runs a query that yields one integer (-1 on any error). */
static long long db_int(const char *db_path, const char *sql, const char *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	long long v = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		goto out;
	if (arg)
		sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
out:
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

static long long count_records(const char *db_path, const char *device)
{
	if (!device)
		return db_int(db_path, "SELECT count(*) FROM records", NULL);
	return db_int(db_path, "SELECT count(*) FROM records WHERE device_id = ?1", device);
}

static bool db_integrity_ok(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	bool ok = false;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return ok;
}

/* --- crypto for the policy checks --------------------------------------------------- */

static int verify_signature(const char *pub_path, const void *data, size_t size,
			    const char *sig_b64)
{
	unsigned char sig[128];
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	FILE *f;
	int n, r = -1;
	size_t len = strlen(sig_b64);

	while (len > 0 && (sig_b64[len - 1] == '\n' || sig_b64[len - 1] == '\r'))
		len--;
	if (len != 88) /* 64 bytes in base64 */
		return -1;
	n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)len);
	if (n != 66) /* two padding bytes counted as zeros */
		return -1;
	f = fopen(pub_path, "re");
	if (!f)
		return -1;
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	md = EVP_MD_CTX_new();
	if (pkey && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(md, sig, 64, data, size) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return r;
}

static void sha256_hex(const void *data, size_t size, char out[65])
{
	unsigned char md[32];
	unsigned n = 0;

	EVP_Digest(data, size, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int gzip(const void *in, size_t in_size, void **ret, size_t *ret_size)
{
	z_stream zs = {};
	size_t cap = deflateBound(&zs, in_size) + 64;
	unsigned char *out;
	int zr;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&zs, in_size);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_size;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	zr = deflate(&zs, Z_FINISH);
	*ret_size = zs.total_out;
	deflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		free(out);
		return -1;
	}
	*ret = out;
	return 0;
}

/* --- the tests ---------------------------------------------------------------------- */

static int test_good_batch(struct ctx *t)
{
	char *body = batch(t->device1, 1, 3), resp[512];
	long long acked = -1;
	long status;

	status = post(t, "device1", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 3, "acked_seq %lld", acked);
	CHECK(count_records(t->main.db, t->device1) == 3, "%lld rows",
	      count_records(t->main.db, t->device1));
	CHECK(db_int(t->main.db,
		     "SELECT count(*) FROM records WHERE device_id = ?1 AND boot_uid = '" BOOT_UID
		     "' AND seq BETWEEN 1 AND 3 AND record LIKE '{\"class_uid\":%'",
		     t->device1) == 3,
	      "rows do not carry the cert's device id, boot_uid, seq and the record");
	CHECK(db_int(t->main.db, "SELECT last_acked_seq FROM devices WHERE device_id = ?1",
		     t->device1) == 3,
	      "devices.last_acked_seq");
	CHECK(db_int(t->main.db,
		     "SELECT count(*) FROM devices WHERE device_id = ?1 AND last_address = "
		     "'127.0.0.1' AND first_seen > 0 AND last_seen >= first_seen",
		     t->device1) == 1,
	      "devices row");
	return 0;
}

static int test_resend_is_deduplicated(struct ctx *t)
{
	char *body = batch(t->device1, 1, 3), resp[512];
	long long acked = -1;
	long status;

	status = post(t, "device1", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 3, "acked_seq %lld", acked);
	CHECK(count_records(t->main.db, t->device1) == 3, "%lld rows after resend",
	      count_records(t->main.db, t->device1));
	return 0;
}

static int test_devices_are_separate(struct ctx *t)
{
	char *body = batch(t->device2, 1, 2), resp[512];
	long long acked = -1;
	long status;

	status = post(t, "device2", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 2, "acked_seq %lld", acked);
	CHECK(count_records(t->main.db, t->device2) == 2, "device2 rows");
	CHECK(count_records(t->main.db, t->device1) == 3, "device1 rows");
	return 0;
}

static int test_identity_is_the_certificate(struct ctx *t)
{
	/* device1 sends records naming device2: stored as device1's. */
	char *body = batch(t->device2, 4, 4), resp[512];
	long long before2 = count_records(t->main.db, t->device2), acked = -1;
	long status;

	status = post(t, "device1", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 4, "acked_seq %lld", acked);
	CHECK(count_records(t->main.db, t->device1) == 4, "device1 rows");
	CHECK(count_records(t->main.db, t->device2) == before2, "device2 rows changed");
	CHECK(file_contains(t->main.log, "naming another device.uid"), "no warning logged");
	return 0;
}

static int test_gzip_accepted(struct ctx *t)
{
	char *body = batch(t->device1, 5, 7);
	void *gz = NULL;
	size_t gz_size = 0;
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };
	int r = gzip(body, strlen(body), &gz, &gz_size);

	free(body);
	CHECK(r == 0, "gzip failed");
	h.body = gz;
	h.body_size = gz_size;
	h.content_encoding = "gzip";
	http_perform(t, &h);
	free(gz);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	CHECK(h.resp && strstr(h.resp, "\"acked_seq\":7"), "answer %s", h.resp);
	http_done(&h);
	CHECK(count_records(t->main.db, t->device1) == 7, "%lld rows",
	      count_records(t->main.db, t->device1));
	return 0;
}

static int test_gzip_bomb_413(struct ctx *t)
{
	/* 64 MiB of newlines is about 64 KiB of gzip; the collector caps inflation at 4 MiB. */
	size_t size = 64u << 20;
	char *bomb = malloc(size);
	long long before = count_records(t->main.db, NULL);
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };
	void *gz = NULL;
	size_t gz_size = 0;
	int r;

	CHECK(bomb, "out of memory");
	memset(bomb, '\n', size);
	r = gzip(bomb, size, &gz, &gz_size);
	free(bomb);
	CHECK(r == 0 && gz_size < (1u << 20), "gzip failed or too big (%zu)", gz_size);
	h.body = gz;
	h.body_size = gz_size;
	h.content_encoding = "gzip";
	http_perform(t, &h);
	free(gz);
	CHECK(h.code == CURLE_OK && h.status == 413, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	http_done(&h);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_oversize_body_413(struct ctx *t)
{
	/* 2 MiB of valid records against --max-body-bytes 1M. */
	char *body = batch(t->device1, 1000, 1000 + 2 * 1024 * 1024 / 200);
	long long before = count_records(t->main.db, NULL);
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };

	CHECK(body && strlen(body) > (1u << 20), "batch too small");
	h.body = body;
	h.body_size = strlen(body);
	h.expect_100 = true;
	http_perform(t, &h);
	free(body);
	CHECK(h.code == CURLE_OK && h.status == 413, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	http_done(&h);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_oversize_chunked_refused(struct ctx *t)
{
	/* No Content-Length: found too large while receiving; 413 or the connection closed. */
	char *body = batch(t->device1, 1000, 1000 + 2 * 1024 * 1024 / 200);
	long long before = count_records(t->main.db, NULL);
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };

	h.body = body;
	h.body_size = strlen(body);
	h.chunked = true;
	http_perform(t, &h);
	free(body);
	CHECK(h.code != CURLE_OK || h.status == 413, "curl %d status %ld", h.code, h.status);
	http_done(&h);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_malformed_line3_400(struct ctx *t)
{
	char *body = NULL, resp[512];
	size_t size = 0;
	long long before = count_records(t->main.db, NULL);
	long status;

	append_record(&body, &size, t->device1, 100, 1007);
	append_record(&body, &size, t->device1, 101, 1007);
	append(&body, &size, "{\"class_uid\": 1007, \"time\": \n");
	append_record(&body, &size, t->device1, 103, 1007);
	status = post(t, "device1", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 400, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "\"line\":3"), "answer does not name line 3: %s", resp);
	CHECK(strstr(resp, "not valid JSON"), "answer gives no reason: %s", resp);
	CHECK(count_records(t->main.db, NULL) == before, "part of the batch was stored");
	CHECK(db_int(t->main.db, "SELECT count(*) FROM records WHERE seq >= 100", NULL) == 0,
	      "lines 1-2 were stored");
	return 0;
}

static int test_unknown_class_400(struct ctx *t)
{
	char *body = NULL, resp[512];
	size_t size = 0;
	long long before = count_records(t->main.db, NULL);
	long status;

	append_record(&body, &size, t->device1, 200, 1007);
	append_record(&body, &size, t->device1, 201, 9999);
	status = post(t, "device1", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 400, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "\"line\":2") && strstr(resp, "class_uid"), "answer: %s", resp);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_invalid_fields_400(struct ctx *t)
{
	static const struct {
		const char *line;
		const char *reason;
	} cases[] = {
		{ "[1,2,3]", "JSON object" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq is missing" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":0,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq must be a positive integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1.5,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "postured.seq must be a positive integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"0123456789ABCDEF0123456789abcdef\"}}",
		  "postured.boot_uid" },
		{ "{\"class_uid\":1007,\"time\":\"now\",\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "time must be an integer" },
		{ "{\"class_uid\":1007,\"time\":1,\"metadata\":{\"version\":1},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "metadata.version must be a string" },
		{ "{\"class_uid\":1007,\"class_uid\":4001,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "more than once" },
		{ "{\"class_uid\":1007 /* c */,\"time\":1,\"metadata\":{\"version\":\"1\"},"
		  "\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT_UID "\"}}",
		  "not valid JSON" },
	};
	long long before = count_records(t->main.db, NULL);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[1024], resp[512];
		long status;

		snprintf(body, sizeof(body), "%s\n", cases[i].line);
		status = post(t, "device1", body, NULL, resp, sizeof(resp));
		CHECK(status == 400, "case %zu: status %ld: %s", i, status, resp);
		CHECK(strstr(resp, cases[i].reason) && strstr(resp, "\"line\":1"),
		      "case %zu: answer %s", i, resp);
	}
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

/* The store cannot write (another process holds the write lock): 503, Retry-After, nothing kept. */
static int test_store_busy_503(struct ctx *t)
{
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };
	char *body = batch(t->device1, 8, 9);
	long long before = count_records(t->main.db, NULL), acked = -1;
	sqlite3 *db = NULL;
	char resp[256];
	long status;

	CHECK(sqlite3_open_v2(t->main.db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "open");
	CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK, "lock");
	h.body = body;
	h.body_size = strlen(body);
	http_perform(t, &h); /* the collector waits out its busy timeout (5 s) */
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(h.code == CURLE_OK && h.status == 503, "curl %d status %ld: %s", h.code, h.status,
	      h.resp ? h.resp : h.error);
	CHECK(h.retry_after[0] != '\0', "no Retry-After");
	http_done(&h);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");

	status = post(t, "device1", body, &acked, resp, sizeof(resp));
	free(body);
	CHECK(status == 200 && acked == 9, "retry: status %ld acked %lld: %s", status, acked, resp);
	return 0;
}

static int test_empty_body(struct ctx *t)
{
	long long acked = -1;
	char resp[256];
	long status = post(t, "device1", "", &acked, resp, sizeof(resp));

	CHECK(status == 200, "status %ld: %s", status, resp);
	CHECK(acked == 9, "acked_seq %lld", acked);
	return 0;
}

static int test_wrong_media_and_routes(struct ctx *t)
{
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };
	char *body = batch(t->device1, 300, 300);

	h.body = body;
	h.body_size = strlen(body);
	h.content_type = "text/plain";
	http_perform(t, &h);
	CHECK(h.status == 415, "text/plain: status %ld", h.status);
	http_done(&h);

	h = (struct http){ .method = "POST", .path = "/v1/reports", .device = "device1" };
	h.body = body;
	h.body_size = strlen(body);
	h.content_encoding = "br";
	http_perform(t, &h);
	CHECK(h.status == 415, "br: status %ld", h.status);
	http_done(&h);
	free(body);

	h = (struct http){ .path = "/v1/reports", .device = "device1" };
	http_perform(t, &h);
	CHECK(h.status == 405, "GET /v1/reports: status %ld", h.status);
	http_done(&h);

	h = (struct http){ .path = "/v1/nothing", .device = "device1" };
	http_perform(t, &h);
	CHECK(h.status == 404, "GET /v1/nothing: status %ld", h.status);
	http_done(&h);
	CHECK(db_int(t->main.db, "SELECT count(*) FROM records WHERE seq = 300", NULL) == 0,
	      "stored");
	return 0;
}

static int test_no_client_cert_refused(struct ctx *t)
{
	char *body = batch(t->device1, 400, 401), resp[512];
	long long before = count_records(t->main.db, NULL);
	long status = post(t, NULL, body, NULL, resp, sizeof(resp));

	free(body);
	CHECK(status == 401 || status == 0, "status %ld: %s", status, resp);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_rogue_ca_refused(struct ctx *t)
{
	char id[40];
	char *data;
	char *body, resp[512];
	long long before = count_records(t->main.db, NULL);
	char path[512];
	long status;

	path_in(path, sizeof(path), t->pki, "rogue-device.id");
	CHECK(read_file(path, &data, NULL) == 0, "no rogue id");
	snprintf(id, sizeof(id), "%.32s", data);
	free(data);
	body = batch(id, 1, 2);
	status = post(t, "rogue-device", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 403 || status == 0, "status %ld: %s", status, resp);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	CHECK(count_records(t->main.db, id) == 0, "rogue rows");
	return 0;
}

static int test_expired_cert_refused(struct ctx *t)
{
	char id[40], path[512], resp[512];
	char *data, *body;
	long long before = count_records(t->main.db, NULL);
	long status;

	path_in(path, sizeof(path), t->pki, "expired-device.id");
	CHECK(read_file(path, &data, NULL) == 0, "no expired id");
	snprintf(id, sizeof(id), "%.32s", data);
	free(data);
	body = batch(id, 1, 2);
	status = post(t, "expired-device", body, NULL, resp, sizeof(resp));
	free(body);
	CHECK(status == 403 || status == 0, "status %ld: %s", status, resp);
	CHECK(status == 0 || strstr(resp, "expired"), "no reason given: %s", resp);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_wrong_purpose_cert_refused(struct ctx *t)
{
	char *body = batch(t->device1, 700, 701), resp[512];
	long long before = count_records(t->main.db, NULL);
	long status = post(t, "serverauth-device", body, NULL, resp, sizeof(resp));

	free(body);
	CHECK(status == 403, "status %ld: %s", status, resp);
	CHECK(strstr(resp, "purpose"), "no reason given: %s", resp);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_client_rejects_wrong_server_ca(struct ctx *t)
{
	char *body = batch(t->device1, 500, 501);
	long long before = count_records(t->main.db, NULL);
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };

	h.body = body;
	h.body_size = strlen(body);
	h.cacert = "device-ca.crt"; /* not the CA that issued the collector's cert */
	http_perform(t, &h);
	free(body);
	CHECK(h.code == CURLE_PEER_FAILED_VERIFICATION, "curl %d (%s) status %ld", h.code, h.error,
	      h.status);
	http_done(&h);
	CHECK(count_records(t->main.db, NULL) == before, "rows changed");
	return 0;
}

static int test_client_rejects_wrong_hostname(struct ctx *t)
{
	static const char *const extra[] = { "--cert", NULL, "--key", NULL, NULL };
	const char *args[5];
	char cert[512], key[512];
	struct collector c;
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device1" };
	char *body = batch(t->device1, 600, 601);
	int r, exit_status = -1;
	long long rows;

	memcpy(args, extra, sizeof(args));
	path_in(cert, sizeof(cert), t->pki, "collector-wronghost.crt");
	path_in(key, sizeof(key), t->pki, "collector-wronghost.key");
	args[1] = cert;
	args[3] = key;
	r = collector_start(t, &c, "wronghost.db", args, &exit_status);
	CHECK(r == 0, "collector with the wrong-host cert did not start (%d)", exit_status);
	h.port = c.port;
	h.body = body;
	h.body_size = strlen(body);
	http_perform(t, &h);
	/* And by address: the certificate has no IP SAN either. */
	{
		struct http h2 = { .path = "/v1/policy", .device = "device1" };

		h2.port = c.port;
		h2.host = "127.0.0.1";
		http_perform(t, &h2);
		CHECK(h2.code == CURLE_PEER_FAILED_VERIFICATION, "by IP: curl %d (%s)", h2.code,
		      h2.error);
		http_done(&h2);
	}
	free(body);
	collector_stop(&c, SIGTERM);
	CHECK(h.code == CURLE_PEER_FAILED_VERIFICATION, "curl %d (%s) status %ld", h.code, h.error,
	      h.status);
	http_done(&h);
	rows = count_records(c.db, NULL);
	CHECK(rows <= 0, "%lld rows stored", rows);
	return 0;
}

static int test_tls_versions(struct ctx *t)
{
	static const char *const only13[] = { "--tls-min-version", "1.3", NULL };
	struct http h = { .path = "/v1/policy", .device = "device1" };
	struct collector c;
	int exit_status = -1;

	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld", h.code, h.status);
	CHECK(h.tls_version == TLS1_3_VERSION, "negotiated 0x%x, not TLS 1.3", h.tls_version);
	http_done(&h);

	h = (struct http){ .path = "/v1/policy", .device = "device1" };
	h.ssl_version = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "TLS 1.2: curl %d (%s) status %ld", h.code,
	      h.error, h.status);
	CHECK(h.tls_version == TLS1_2_VERSION, "negotiated 0x%x, not TLS 1.2", h.tls_version);
	http_done(&h);

	CHECK(collector_start(t, &c, "tls13.db", only13, &exit_status) == 0, "start: %d",
	      exit_status);
	h = (struct http){ .path = "/v1/policy", .device = "device1", .port = c.port };
	h.ssl_version = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	http_perform(t, &h);
	collector_stop(&c, SIGTERM);
	CHECK(h.code != CURLE_OK, "a TLS 1.2 client got through --tls-min-version 1.3 (%ld)",
	      h.status);
	http_done(&h);
	return 0;
}

static int test_ipv6_listen(struct ctx *t)
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

static int test_policy_get(struct ctx *t)
{
	char *policy, hex[65], etag[80], pub[512];
	size_t size;
	struct http h = { .path = "/v1/policy", .device = "device2" };

	CHECK(read_file(t->policy, &policy, &size) == 0, "read policy");
	path_in(pub, sizeof(pub), t->pki, "policy-signing.pub");
	http_perform(t, &h);
	CHECK(h.code == CURLE_OK && h.status == 200, "curl %d status %ld", h.code, h.status);
	CHECK(h.resp_size == size && memcmp(h.resp, policy, size) == 0,
	      "body differs from the policy file");
	CHECK(verify_signature(pub, h.resp, h.resp_size, h.signature) == 0,
	      "X-Postured-Signature '%s' does not verify", h.signature);
	sha256_hex(policy, size, hex);
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
	CHECK(strcmp(h.etag, etag) == 0, "ETag %s, want %s", h.etag, etag);
	http_done(&h);
	free(policy);
	return 0;
}

static int test_policy_if_none_match(struct ctx *t)
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

/* Runs `posture-collector sign-policy --key KEY POLICY > OUT`; returns its exit status. */
static int sign_policy(struct ctx *t, const char *key, const char *policy, const char *out,
		       const char *err)
{
	char *const argv[] = { (char *)t->bin, "sign-policy",  "--key",
			       (char *)key,    (char *)policy, NULL };

	return run(argv, out, err);
}

static int test_sign_policy_round_trip(struct ctx *t)
{
	char key[512], pub[512], policy[512], sig[512], err[512], badkey[512];
	char *data, *sigtext;
	size_t size;
	int r;

	path_in(key, sizeof(key), t->pki, "policy-signing.key");
	path_in(pub, sizeof(pub), t->pki, "policy-signing.pub");
	path_in(policy, sizeof(policy), t->dir, "roundtrip.json");
	path_in(sig, sizeof(sig), t->dir, "roundtrip.sig");
	path_in(err, sizeof(err), t->dir, "sign.err");
	static const char valid[] = "{\"id\": \"t\", \"serial\": 7, \"rules\": []}\n";

	CHECK(write_file(policy, valid, strlen(valid), 0644) == 0, "write");

	r = sign_policy(t, key, policy, sig, err);
	CHECK(r == 0, "sign-policy exited %d", r);
	CHECK(read_file(policy, &data, &size) == 0 && read_file(sig, &sigtext, NULL) == 0, "read");
	CHECK(verify_signature(pub, data, size, sigtext) == 0, "signature does not verify: %s",
	      sigtext);
	/* One byte changed: the signature no longer fits. */
	data[size - 2] = ' ';
	CHECK(verify_signature(pub, data, size, sigtext) != 0, "verifies a changed policy");
	free(data);
	free(sigtext);

	/* Not JSON: refused before signing. */
	CHECK(write_file(policy, "serial: 7\n", 10, 0644) == 0, "write");
	r = sign_policy(t, key, policy, sig, err);
	CHECK(r != 0, "signed a policy that is not JSON");
	CHECK(file_contains(err, "Not signing"), "no clear error");

	/* JSON, but not a policy the agents would take: refused with the library's errors. */
	CHECK(write_file(policy, "{\"serial\": 7, \"rules\": []}\n", 27, 0644) == 0, "write");
	r = sign_policy(t, key, policy, sig, err);
	CHECK(r != 0, "signed a policy without an id");
	CHECK(file_contains(err, "\"id\""), "the error does not name the missing id");

	/* A key others can read: refused. */
	CHECK(write_file(policy, valid, strlen(valid), 0644) == 0, "write");
	path_in(badkey, sizeof(badkey), t->dir, "readable-signing.key");
	CHECK(copy_file(key, badkey, 0644) == 0, "copy");
	r = sign_policy(t, badkey, policy, sig, err);
	CHECK(r != 0, "signed with a world-readable key");
	CHECK(file_contains(err, "group or others"), "no clear error");
	return 0;
}

static int test_policy_reload_on_sighup(struct ctx *t)
{
	char key[512], pub[512], sig_tmp[512], hex[65], etag[80];
	const char *v2 = "{\"id\": \"t\", \"serial\": 2, \"rules\": []}\n";
	struct http h = { .path = "/v1/policy", .device = "device1" };
	long long deadline;

	path_in(key, sizeof(key), t->pki, "policy-signing.key");
	path_in(pub, sizeof(pub), t->pki, "policy-signing.pub");
	path_in(sig_tmp, sizeof(sig_tmp), t->dir, "policy.sig.new");
	CHECK(write_file(t->policy, v2, strlen(v2), 0644) == 0, "write policy");
	CHECK(sign_policy(t, key, t->policy, sig_tmp, NULL) == 0, "sign");
	CHECK(rename(sig_tmp, t->signature) == 0, "rename");
	kill(t->main.pid, SIGHUP);

	sha256_hex(v2, strlen(v2), hex);
	snprintf(etag, sizeof(etag), "\"%s\"", hex);
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
	CHECK(verify_signature(pub, h.resp, h.resp_size, h.signature) == 0, "signature");
	http_done(&h);

	/* A signature that does not match: refused, the old policy stays. */
	CHECK(write_file(t->policy, "{\"serial\": 3}", 13, 0644) == 0, "write policy");
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
	CHECK(write_file(t->policy, v2, strlen(v2), 0644) == 0, "restore");
	return 0;
}

static int test_refuses_readable_key(struct ctx *t)
{
	char key[512], badkey[512], *extra[3];
	struct collector c;
	int exit_status = -1;

	path_in(key, sizeof(key), t->pki, "collector.key");
	path_in(badkey, sizeof(badkey), t->dir, "readable-collector.key");
	CHECK(copy_file(key, badkey, 0640) == 0, "copy");
	extra[0] = "--key";
	extra[1] = badkey;
	extra[2] = NULL;
	CHECK(collector_start(t, &c, "badkey.db", (const char *const *)extra, &exit_status) < 0,
	      "started with a group-readable key");
	CHECK(exit_status == 1, "exit status %d", exit_status);
	CHECK(file_contains(c.log, "group or others may access it"), "no clear error in %s", c.log);
	return 0;
}

enum kill_mode {
	KILL_NEVER, /* calibration: how long the collector takes to store */
	KILL_MID_UPLOAD, /* when a third of the body is sent */
	KILL_AFTER_UPLOAD, /* param ms after the whole body is sent */
	KILL_IN_TRANSACTION, /* when the WAL has grown by param bytes: uncommitted pages */
};

struct kill_result {
	bool answered; /* a response arrived before the kill */
	bool killed;
	long long store_ms; /* upload complete -> response */
};

/* POSTs body to collector c, killing it with SIGKILL as mode says; reaps it when killed. */
static void post_and_kill(struct ctx *t, struct collector *c, const char *body, size_t size,
			  enum kill_mode mode, long long param, struct kill_result *ret)
{
	struct http h = { .method = "POST", .path = "/v1/reports", .device = "device2" };
	struct curl_slist *headers = NULL, *resolve = NULL;
	CURLM *multi = curl_multi_init();
	long long uploaded_at = 0, wal_start = -1;
	char wal[600];
	int running = 1;
	CURL *e;

	*ret = (struct kill_result){};
	snprintf(wal, sizeof(wal), "%s-wal", c->db);
	h.port = c->port;
	h.body = body;
	h.body_size = size;
	e = http_setup(t, &h, &headers, &resolve);
	curl_multi_add_handle(multi, e);
	while (running) {
		curl_off_t up = 0;
		struct stat st;

		curl_multi_perform(multi, &running);
		curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
		if ((size_t)up >= size && !uploaded_at)
			uploaded_at = now_ms();
		if (wal_start < 0 && stat(wal, &st) == 0)
			wal_start = st.st_size;
		if (!ret->killed && ((mode == KILL_MID_UPLOAD && (size_t)up >= size / 3) ||
				     (mode == KILL_AFTER_UPLOAD && uploaded_at &&
				      now_ms() - uploaded_at >= param) ||
				     (mode == KILL_IN_TRANSACTION && stat(wal, &st) == 0 &&
				      wal_start >= 0 && st.st_size - wal_start >= param))) {
			kill(c->pid, SIGKILL);
			ret->killed = true;
		}
		if (running)
			curl_multi_poll(multi, NULL, 0, 1, NULL);
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &h.status);
	ret->answered = h.status == 200;
	ret->store_ms = uploaded_at ? now_ms() - uploaded_at : -1;
	if (ret->killed) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	curl_multi_remove_handle(multi, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	http_done(&h);
}

static void remove_db(const char *db)
{
	char p[600];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

/*
 * The collector killed with SIGKILL during a POST of a large batch: in the
 * middle of the upload, inside the SQLite transaction (seen by the WAL
 * growing before any answer), and at moments spread over its store time.
 * After each, a restarted collector finds a database that passes
 * integrity_check and holds all of the batch or none of it; finally a send
 * and a resend store it exactly once.
 */
static int test_sigkill_during_post(struct ctx *t)
{
	static const char *const extra[] = { "--max-body-bytes", "64M", "--max-inflated-bytes",
					     "64M", NULL };
	const long long n = 20000;
	char *body = batch(t->device2, 1, n);
	size_t size = strlen(body);
	struct kill_result k;
	struct collector c;
	int exit_status = -1;
	long long rows, store_ms;
	bool in_transaction_seen = false;

	CHECK(body, "batch");
	CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start %d",
	      exit_status);
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	collector_stop(&c, SIGTERM);
	CHECK(k.answered, "calibration POST failed");
	store_ms = k.store_ms;
	remove_db(c.db);
	fprintf(stderr, "    %lld records: stored %lld ms after the upload\n", n, store_ms);

	for (int round = 0; round < 8; round++) {
		enum kill_mode mode = round == 0 ? KILL_MID_UPLOAD :
				      round <= 2 ? KILL_IN_TRANSACTION :
						   KILL_AFTER_UPLOAD;
		/* In transaction: 256 KiB, 1 MiB of WAL; after: 0%, 25%, 50%, 75%, 100% of store time. */
		long long param = mode == KILL_IN_TRANSACTION ? (round == 1 ? 256 : 1024) * 1024LL :
				  mode == KILL_AFTER_UPLOAD   ? store_ms * (round - 3) / 4 :
								0;

		CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start %d",
		      exit_status);
		post_and_kill(t, &c, body, size, mode, param, &k);
		if (!k.killed)
			collector_stop(&c, SIGKILL);
		CHECK(db_integrity_ok(c.db), "round %d: integrity_check failed", round);
		rows = count_records(c.db, t->device2);
		if (rows < 0)
			rows = 0;
		fprintf(stderr, "    SIGKILL %s %lld: %s, %lld rows after restart\n",
			mode == KILL_MID_UPLOAD	    ? "mid-upload" :
			mode == KILL_IN_TRANSACTION ? "in transaction, WAL grown by" :
						      "ms after upload",
			param, k.answered ? "answered first" : "no answer", rows);
		CHECK(rows == 0 || rows == n, "round %d: %lld of %lld rows: a torn batch", round,
		      rows, n);
		/* An answer means stored; no answer after a kill in the transaction means not. */
		CHECK(!k.answered || rows == n, "round %d: answered 200 but %lld rows", round,
		      rows);
		if (mode == KILL_IN_TRANSACTION && k.killed && !k.answered) {
			CHECK(rows == 0, "round %d: uncommitted batch survived", round);
			in_transaction_seen = true;
		}
		/* The restarted collector serves and stores on this database. */
		CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0,
		      "round %d: restart %d", round, exit_status);
		post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
		collector_stop(&c, SIGTERM);
		CHECK(k.answered, "round %d: resend after restart failed", round);
		CHECK(count_records(c.db, t->device2) == n, "round %d: %lld rows after resend",
		      round, count_records(c.db, t->device2));
		remove_db(c.db);
	}
	CHECK(in_transaction_seen, "no round killed the collector inside its transaction");

	/* A send and a resend: exactly once. */
	CHECK(collector_start(t, &c, "sigkill.db", extra, &exit_status) == 0, "start");
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "first send");
	post_and_kill(t, &c, body, size, KILL_NEVER, 0, &k);
	CHECK(k.answered, "resend");
	collector_stop(&c, SIGKILL);
	CHECK(db_integrity_ok(c.db), "integrity_check after the last kill");
	CHECK(count_records(c.db, t->device2) == n, "%lld rows, want %lld",
	      count_records(c.db, t->device2), n);
	free(body);
	return 0;
}

static int test_sigterm_clean_exit(struct ctx *t)
{
	struct collector c;
	int exit_status = -1, r;

	CHECK(collector_start(t, &c, "sigterm.db", NULL, &exit_status) == 0, "start");
	r = collector_stop(&c, SIGTERM);
	CHECK(r == 0, "exit status %d after SIGTERM", r);
	CHECK(file_contains(c.log, "stopping"), "no stop logged");
	CHECK(db_integrity_ok(c.db), "integrity");
	return 0;
}

static int test_help(struct ctx *t)
{
	char out[512];
	char *const argv[] = { (char *)t->bin, "--help", NULL };
	char *const bad[] = { (char *)t->bin, "--cert", "x", NULL };

	path_in(out, sizeof(out), t->dir, "help.out");
	CHECK(run(argv, out, NULL) == 0, "--help failed");
	CHECK(file_contains(out, "--max-body-bytes") && file_contains(out, "sign-policy"),
	      "help text incomplete");
	CHECK(run(bad, NULL, out) == 1, "missing options accepted");
	CHECK(file_contains(out, "are required"), "no clear error");
	return 0;
}

/* --- the harness -------------------------------------------------------------------- */

static void run_test(struct ctx *t, const char *name, int (*fn)(struct ctx *))
{
	long long start = now_ms();
	int r = fn(t);

	printf("%-44s %s (%lld ms)\n", name, r == 0 ? "ok" : "FAILED", now_ms() - start);
	fflush(stdout);
	if (r == 0)
		n_passed++;
	else
		n_failed++;
}

static int setup(struct ctx *t)
{
	char path[512], *id, key[512];
	const char *pol = "{\"id\": \"t\", \"serial\": 1, \"rules\": []}\n";
	char *const pki_argv[] = { (char *)t->pki_tool, t->pki, NULL };
	static const char *const extra[] = { "--max-body-bytes", "1M", "--max-inflated-bytes", "4M",
					     NULL };
	int exit_status = -1;

	snprintf(t->dir, sizeof(t->dir), "/tmp/collector-test.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	path_in(t->pki, sizeof(t->pki), t->dir, "pki");
	if (run(pki_argv, NULL, NULL) != 0) {
		fprintf(stderr, "make-test-pki failed\n");
		return -1;
	}
	path_in(path, sizeof(path), t->pki, "device1.id");
	if (read_file(path, &id, NULL) < 0)
		return -1;
	snprintf(t->device1, sizeof(t->device1), "%.32s", id);
	free(id);
	path_in(path, sizeof(path), t->pki, "device2.id");
	if (read_file(path, &id, NULL) < 0)
		return -1;
	snprintf(t->device2, sizeof(t->device2), "%.32s", id);
	free(id);

	path_in(t->policy, sizeof(t->policy), t->dir, "policy.json");
	path_in(t->signature, sizeof(t->signature), t->dir, "policy.sig");
	path_in(key, sizeof(key), t->pki, "policy-signing.key");
	if (write_file(t->policy, pol, strlen(pol), 0644) < 0 ||
	    sign_policy(t, key, t->policy, t->signature, NULL) != 0) {
		fprintf(stderr, "signing the test policy failed\n");
		return -1;
	}
	if (collector_start(t, &t->main, "main.db", extra, &exit_status) < 0) {
		fprintf(stderr, "the collector did not start (exit %d); its log:\n", exit_status);
		return -1;
	}
	return 0;
}

static void cleanup_dir(const char *dir)
{
	char *const argv[] = { "/bin/rm", "-rf", (char *)dir, NULL };

	if (getenv("KEEP_TEST_DIR")) {
		fprintf(stderr, "keeping %s\n", dir);
		return;
	}
	run(argv, NULL, NULL);
}

int main(int argc, char **argv)
{
	struct ctx t = {};
	int r;

	if (argc != 3) {
		fprintf(stderr, "Usage: %s POSTURE-COLLECTOR MAKE-TEST-PKI\n", argv[0]);
		return 2;
	}
	t.bin = argv[1];
	t.pki_tool = argv[2];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (setup(&t) < 0) {
		printf("setup failed\n0 passed, 1 failed\n");
		return 1;
	}

	run_test(&t, "help_and_usage_errors", test_help);
	run_test(&t, "good_device_batch_stored", test_good_batch);
	run_test(&t, "resend_is_deduplicated", test_resend_is_deduplicated);
	run_test(&t, "devices_have_separate_acks", test_devices_are_separate);
	run_test(&t, "identity_is_the_certificate", test_identity_is_the_certificate);
	run_test(&t, "gzip_body_accepted", test_gzip_accepted);
	run_test(&t, "gzip_bomb_413", test_gzip_bomb_413);
	run_test(&t, "oversize_body_413", test_oversize_body_413);
	run_test(&t, "oversize_chunked_body_refused", test_oversize_chunked_refused);
	run_test(&t, "malformed_line_3_400_nothing_stored", test_malformed_line3_400);
	run_test(&t, "unknown_class_uid_400", test_unknown_class_400);
	run_test(&t, "invalid_fields_400", test_invalid_fields_400);
	run_test(&t, "store_busy_503_retry_after", test_store_busy_503);
	run_test(&t, "empty_body_acks_current", test_empty_body);
	run_test(&t, "wrong_media_type_method_path", test_wrong_media_and_routes);
	run_test(&t, "no_client_cert_refused", test_no_client_cert_refused);
	run_test(&t, "rogue_ca_client_cert_refused", test_rogue_ca_refused);
	run_test(&t, "expired_client_cert_refused", test_expired_cert_refused);
	run_test(&t, "client_cert_for_servers_only_refused", test_wrong_purpose_cert_refused);
	run_test(&t, "client_rejects_wrong_server_ca", test_client_rejects_wrong_server_ca);
	run_test(&t, "client_rejects_wrong_hostname", test_client_rejects_wrong_hostname);
	run_test(&t, "tls13_preferred_tls12_minimum", test_tls_versions);
	run_test(&t, "ipv6_loopback_listen", test_ipv6_listen);
	run_test(&t, "policy_get_bytes_signature_etag", test_policy_get);
	run_test(&t, "policy_if_none_match_304", test_policy_if_none_match);
	run_test(&t, "sign_policy_round_trip", test_sign_policy_round_trip);
	run_test(&t, "policy_reload_on_sighup", test_policy_reload_on_sighup);
	run_test(&t, "refuses_group_readable_key", test_refuses_readable_key);
	run_test(&t, "sigkill_during_post_db_intact", test_sigkill_during_post);
	run_test(&t, "sigterm_clean_exit", test_sigterm_clean_exit);

	r = collector_stop(&t.main, SIGTERM);
	if (r != 0) {
		printf("main collector exit status %d\n", r);
		n_failed++;
	}
	if (n_failed > 0) {
		char *log;

		if (read_file(t.main.log, &log, NULL) == 0) {
			fprintf(stderr, "--- main collector log ---\n%s", log);
			free(log);
		}
		setenv("KEEP_TEST_DIR", "1", 1);
	}
	cleanup_dir(t.dir);
	curl_global_cleanup();
	printf("%u passed, %u failed\n", n_passed, n_failed);
	return n_failed > 0 ? 1 : 0;
}
