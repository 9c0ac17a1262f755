// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include <openssl/pem.h>
#include <zlib.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/openssl-util.h"
#include "postured/spool.h"
#include "sender.h"
#include "sender_curl.h"
#include "sender_enroll.h"
#include "sender_sign.h"
#include "sender_policy.h"

#define SENDER_MAX_FILE	       (1024 * 1024)
#define SENDER_MAX_RESPONSE    (64 * 1024)
#define SENDER_RETRY_AFTER_MAX (3600 * USEC_PER_SEC)

struct sender {
	struct sender_config cfg;
	char *reports_url;
	sd_event *event;
	sd_event_source *kick;
	struct sender_tls tls;
	struct sender_curl *curl;
	struct curl_slist *headers;
	struct spool *spool;
	/* One batch in flight at most. */
	bool sending;
	struct sender_buf plain, body, response;
	uint64_t batch_first, batch_last;
	size_t batch_n, max_records;
	unsigned failures;
	bool backing_off;
	struct ratelimit rl;

	struct sender_policy *policy; /* the policy feed, with a policy_dir */
	struct sender_enroll *enroll; /* instead of everything above, with an enroll_url */
};

/* Reads a PEM file; for the key, insists on root (or our own uid when unprivileged) and no access by others. */
static int read_pem(const char *path, bool is_key, struct sender_buf *ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	/* Written by read_full_fd() on success; gcc's LTO cannot see it. */
	size_t len = 0;
	char *data = NULL;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return log_error_errno(errno, "Failed to open '%s': %m", path);
	if (fstat(fd, &st) < 0)
		return log_error_errno(errno, "Failed to stat '%s': %m", path);
	if (S_ISREG(st.st_mode) && is_key && (st.st_uid != geteuid() || (st.st_mode & 0137) != 0))
		return log_error_errno(
			EPERM,
			"Refusing client key '%s': owner uid %u, mode %04o; it must be "
			"owned by root and have mode 0600 or 0640 (no access by others).",
			path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	r = read_full_fd(fd, SENDER_MAX_FILE, is_key ? READ_FULL_SECRET : 0, &data, &len);
	if (r == -EISDIR || r == -EBADFD)
		return log_error_errno(EINVAL, "'%s' is not a regular file.", path);
	if (r == -EFBIG)
		return log_error_errno(r, "'%s' is larger than %d bytes.", path, SENDER_MAX_FILE);
	if (r < 0)
		return log_error_errno(r, "Failed to read '%s': %m", path);
	*ret = (struct sender_buf){ .data = data, .len = len, .cap = len + 1 };
	return 0;
}

/* The certificate, and the key that has the daemon sign with the TPM key on sign_fd. */
static int tpm_client_key(struct sender_tls *tls, int sign_fd)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_mem_buf(tls->cert.data, (int)tls->cert.len);
	int r;

	if (!bio)
		return log_oom();
	tls->tpm_cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!tls->tpm_cert)
		return log_error_errno(EBADMSG, "The certificate holds no certificate.");
	r = sender_sign_key(tls->tpm_cert, sign_fd, &tls->tpm_key);
	if (r == -EKEYREJECTED)
		return log_error_errno(r, "The certificate's key is not an EC key the TPM holds.");
	if (r < 0)
		return log_error_errno(r, "Failed to set up the TPM signing: %m");
	log_debug("The client key is in the TPM; the daemon signs on fd %d.", sign_fd);
	return 0;
}

static int drop_privileges(const char *user)
{
	struct sender_user u;
	int r;

	r = sender_user_lookup(user, &u);
	if (r < 0)
		return log_error_errno(r, "Sender user '%s' not found.",
				       user && user[0] ? user : SENDER_DEFAULT_USER);
	if (u.uid == 0)
		return log_error_errno(EINVAL, "Sender user '%s' is root; refusing.", u.name);

	if (setgroups(1, &u.gid) < 0)
		return log_error_errno(errno, "setgroups() failed: %m");
	if (setresgid(u.gid, u.gid, u.gid) < 0)
		return log_error_errno(errno, "setresgid(%u) failed: %m", (unsigned)u.gid);
	/* No PR_SET_KEEPCAPS: all capabilities go with the last root uid. */
	if (setresuid(u.uid, u.uid, u.uid) < 0)
		return log_error_errno(errno, "setresuid(%u) failed: %m", (unsigned)u.uid);
	if (setresuid(0, 0, 0) >= 0)
		return log_error_errno(EPERM, "Could regain root after dropping privileges.");
	log_debug("Sender runs as '%s' (%u:%u).", u.name, (unsigned)u.uid, (unsigned)u.gid);
	return 0;
}

static uint64_t random_u64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = now_usec(CLOCK_MONOTONIC) * 6364136223846793005ULL;
	return v;
}

static void schedule(struct sender *s, usec_t delay)
{
	/*
	 * "At once" means at once: sd-event's default accuracy (250 ms, for
	 * accuracy 0) made every batch of a backlog wait for it.  A poll or a
	 * back-off keeps the default slack, so a laptop's wake-ups coalesce.
	 */
	sd_event_source_set_time_accuracy(s->kick, delay == 0 ? 1 : 0);
	sd_event_source_set_time_relative(s->kick, delay);
	sd_event_source_set_enabled(s->kick, SD_EVENT_ONESHOT);
}

static void back_off(struct sender *s, usec_t retry_after)
{
	usec_t lo = s->cfg.backoff_min, cap = lo, delay;

	for (unsigned i = 0; i < s->failures && cap < s->cfg.backoff_max; i++)
		cap *= 2;
	cap = MIN(cap, s->cfg.backoff_max);
	delay = lo + (cap > lo ? random_u64() % (cap - lo + 1) : 0);
	/*
	 * A collector that says when, told the whole fleet the same: spread
	 * over [Retry-After, 2 x Retry-After], so that they do not all come
	 * back in the same second.
	 */
	retry_after = MIN(retry_after, SENDER_RETRY_AFTER_MAX);
	if (retry_after > 0)
		delay = MAX(delay, retry_after + random_u64() % (retry_after + 1));
	if (s->failures < 64)
		s->failures++;
	s->backing_off = true;
	log_info("Retrying in %llu ms.", (unsigned long long)(delay / USEC_PER_MSEC));
	schedule(s, delay);
}

/* --- batches --------------------------------------------------------------- */

static size_t on_response(char *p, size_t size, size_t n, void *userdata)
{
	struct sender *s = userdata;

	if (s->response.len + size * n > SENDER_MAX_RESPONSE)
		return 0; /* aborts the transfer: a collector answers in a few bytes */
	if (sender_buf_append(&s->response, p, size * n) < 0)
		return 0;
	return size * n;
}

static int add_line(uint64_t seq, const char *line, size_t len, void *userdata)
{
	struct sender *s = userdata;
	int r;

	r = sender_buf_append(&s->plain, line, len);
	if (r >= 0)
		r = sender_buf_append(&s->plain, "\n", 1);
	if (r < 0)
		return r;
	if (s->batch_n == 0)
		s->batch_first = seq;
	s->batch_last = seq;
	s->batch_n++;
	return 0;
}

static int gzip_buf(const struct sender_buf *in, struct sender_buf *out)
{
	z_stream z = {};
	uLong bound;
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, in->len) + 32;
	out->len = 0;
	if (out->cap < bound) {
		char *d = realloc(out->data, bound);

		if (!d) {
			deflateEnd(&z);
			return -ENOMEM;
		}
		out->data = d;
		out->cap = bound;
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)out->cap;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

static void finish_request(CURL *e, CURLcode res, const char *error, void *userdata);

static int start_request(struct sender *s)
{
	CURL *e;
	int r;

	s->plain.len = 0;
	s->batch_n = 0;
	r = spool_peek(s->spool, 0, s->max_records, s->cfg.batch_max_bytes, add_line, s);
	if (r < 0)
		return log_error_errno(r, "Failed to read the spool: %m");
	if (s->batch_n == 0)
		return 0;
	r = gzip_buf(&s->plain, &s->body);
	if (r < 0)
		return log_error_errno(r, "Failed to compress a batch: %m");

	r = sender_curl_make(s->curl, s->reports_url, &e);
	if (r < 0)
		return log_oom();
	s->response.len = 0;
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body.data);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body.len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	r = sender_curl_add(s->curl, e, finish_request, s);
	if (r < 0)
		return log_error_errno(r, "Failed to start a request: %m");
	s->sending = true;
	log_debug("Sending %zu records (seq %llu..%llu), %zu bytes gzipped.", s->batch_n,
		  (unsigned long long)s->batch_first, (unsigned long long)s->batch_last,
		  s->body.len);
	return 1;
}

static int on_kick(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct sender *s = userdata;
	int r;

	if (s->sending)
		return 0;
	s->backing_off = false;
	r = start_request(s);
	if (r < 0)
		back_off(s, 0);
	else if (r == 0)
		schedule(s, s->cfg.poll_interval);
	return 0;
}

static int on_sigusr1(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	struct sender *s = userdata;

	if (!s->sending && !s->backing_off)
		schedule(s, 0);
	return 0;
}

/* A printable, bounded copy of what the collector said, for the log. */
static void sanitize(const struct sender_buf *b, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < b->len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)b->data[i];

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

static int parse_acked(const struct sender_buf *b, uint64_t *ret)
{
	const char *path[] = { "acked_seq", NULL };
	yajl_val root, v;
	int r = -EBADMSG;

	if (!b->data)
		return -EBADMSG;
	root = yajl_tree_parse(b->data, NULL, 0);
	if (!root)
		return -EBADMSG;
	v = yajl_tree_get(root, path, yajl_t_number);
	if (v && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= 0) {
		*ret = (uint64_t)YAJL_GET_INTEGER(v);
		r = 0;
	}
	yajl_tree_free(root);
	return r;
}

static void finish_request(CURL *e, CURLcode res, const char *error, void *userdata)
{
	struct sender *s = userdata;
	long status = 0;
	curl_off_t retry_after = 0;
	char said[256];
	uint64_t acked;
	int r;

	s->sending = false;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &retry_after);
	sanitize(&s->response, said, sizeof(said));

	if (res != CURLE_OK) {
		if (ratelimit_below(&s->rl))
			log_error("Failed to send %zu records to %s: %s", s->batch_n,
				  s->reports_url, error);
		back_off(s, 0);
		return;
	}
	if (status == 200) {
		r = parse_acked(&s->response, &acked);
		if (r < 0 || acked < s->batch_last) {
			log_error("Collector answered 200 without acknowledging seq %llu: '%s'",
				  (unsigned long long)s->batch_last, said);
			back_off(s, 0);
			return;
		}
		/* Never past what we sent: a collector ahead of a recreated spool must not eat it. */
		r = spool_ack(s->spool, MIN(acked, s->batch_last));
		if (r < 0) {
			log_error_errno(r, "Failed to acknowledge seq %llu in the spool: %m",
					(unsigned long long)s->batch_last);
			back_off(s, 0);
			return;
		}
		log_debug("Collector stored up to seq %llu.", (unsigned long long)acked);
		s->failures = 0;
		s->max_records = s->cfg.batch_max_records;
		schedule(s, 0);
		return;
	}
	if (ratelimit_below(&s->rl))
		log_error("Collector refused %zu records with HTTP %ld: %s", s->batch_n, status,
			  said);
	if (status == 413 && s->max_records > 1)
		s->max_records = MAX(s->max_records / 2, (size_t)1);
	back_off(s, (status == 429 || status == 503) && retry_after > 0 ?
			    (usec_t)retry_after * USEC_PER_SEC :
			    0);
}

static int on_exit_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(es), 0);
}

static void sender_free(struct sender *s)
{
	/* The transfers first: they use the headers, the buffers and the blobs below. */
	sender_curl_free(s->curl);
	sender_policy_free(s->policy);
	sender_enroll_free(s->enroll);
	curl_slist_free_all(s->headers);
	sd_event_source_disable_unref(s->kick);
	sd_event_unref(s->event);
	spool_free(s->spool);
	sender_buf_free(&s->tls.key, true);
	X509_free(s->tls.tpm_cert);
	EVP_PKEY_free(s->tls.tpm_key);
	sender_buf_free(&s->tls.cert, false);
	sender_buf_free(&s->tls.ca, false);
	sender_buf_free(&s->plain, false);
	sender_buf_free(&s->body, false);
	sender_buf_free(&s->response, false);
	free(s->reports_url);
}

int sender_run(const struct sender_config *c)
{
	_cleanup_(sender_free) struct sender s = {
		.cfg = *c,
		.tls = { .tls13_only = c->tls13_only, .proxy = c->proxy },
	};
	sigset_t mask;
	int r;

	if (!c->url || !c->ca_file || (c->cert_file && !c->key_file && c->sign_fd < 0))
		return log_error_errno(EINVAL, "Sender needs a URL, a CA file, and a key (or the "
					       "signing channel) with the certificate.");
	if (c->enroll_url && !c->token_file == !c->cert_file)
		return log_error_errno(EINVAL, "Enrollment needs a token file, or renewal a "
					       "certificate, one of the two.");
	if (strncmp(c->url, "https://", 8) != 0)
		return log_error_errno(EINVAL, "Collector URL '%s' is not https://.", c->url);
	if (!s.cfg.batch_max_records)
		s.cfg.batch_max_records = SENDER_DEFAULT_BATCH_RECORDS;
	if (!s.cfg.batch_max_bytes)
		s.cfg.batch_max_bytes = SENDER_DEFAULT_BATCH_BYTES;
	if (!s.cfg.backoff_min)
		s.cfg.backoff_min = SENDER_DEFAULT_BACKOFF_MIN;
	if (!s.cfg.backoff_max)
		s.cfg.backoff_max = SENDER_DEFAULT_BACKOFF_MAX;
	s.cfg.backoff_max = MAX(s.cfg.backoff_max, s.cfg.backoff_min);
	if (!s.cfg.poll_interval)
		s.cfg.poll_interval = SENDER_DEFAULT_POLL_INTERVAL;
	s.max_records = s.cfg.batch_max_records;
	s.rl = RATELIMIT_INIT(60 * USEC_PER_SEC, 10);
	if (!s.cfg.policy_interval)
		s.cfg.policy_interval = SENDER_DEFAULT_POLICY_INTERVAL;
	if (sender_curl_url(c->url, "/v1/reports", &s.reports_url) < 0)
		return log_oom();
	if (c->policy_dir) {
		r = sender_policy_new(c->url, c->policy_dir, s.cfg.policy_interval, &s.policy);
		if (r < 0)
			return r;
	}

	/* Everything that needs root, first. */
	if (c->cert_file && c->sign_fd >= 0) {
		r = read_pem(c->cert_file, false, &s.tls.cert);
		if (r < 0)
			return r;
		r = tpm_client_key(&s.tls, c->sign_fd);
		if (r < 0)
			return r;
	} else if (c->cert_file) {
		r = read_pem(c->key_file, true, &s.tls.key);
		if (r < 0)
			return r;
		r = read_pem(c->cert_file, false, &s.tls.cert);
		if (r < 0)
			return r;
	}
	r = read_pem(c->ca_file, false, &s.tls.ca);
	if (r < 0)
		return r;

	if (c->enroll_url) {
		r = sender_enroll_new(c->enroll_url, STDIN_FILENO, c->token_file, &s.enroll);
		if (r < 0)
			return r;
	} else {
		struct spool_stats st;

		r = spool_open(c->spool_path ? c->spool_path : SPOOL_DEFAULT_PATH, 0, &s.spool);
		if (r < 0)
			return log_error_errno(r, "Failed to open the spool: %m");
		/* A first read opens the -wal and -shm files while we may still. */
		r = spool_get_stats(s.spool, &st);
		if (r < 0)
			return log_error_errno(r, "Failed to read the spool: %m");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return log_error_errno(EIO, "Failed to initialize libcurl.");

	if (geteuid() == 0) {
		pid_t parent = getppid();

		r = drop_privileges(c->user);
		if (r < 0)
			return r;
		/*
		 * A change of credentials clears the parent-death signal the
		 * daemon set: set it again, so the sender never outlives the
		 * daemon, and stop now if the daemon died in between.
		 */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (getppid() != parent)
			return log_error_errno(ESRCH,
					       "The daemon that started the sender is gone.");
	} else
		log_notice("Not root: the sender keeps uid %u.", (unsigned)geteuid());
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_error_errno(errno, "PR_SET_NO_NEW_PRIVS failed: %m");
	/* The key is in memory: no core dumps, no ptrace by other processes of this user. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_new(&s.event);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	if ((r = sd_event_add_signal(s.event, NULL, SIGTERM, on_exit_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(s.event, NULL, SIGINT, on_exit_signal, NULL)) < 0 ||
	    (r = sd_event_add_signal(s.event, NULL, SIGUSR1, on_sigusr1, &s)) < 0)
		return log_error_errno(r, "Failed to watch signals: %m");
	r = sender_curl_new(s.event, &s.tls, &s.curl);
	if (r < 0)
		return log_error_errno(r, "Failed to set up libcurl: %m");
	if (s.enroll) {
		r = sender_enroll_start(s.enroll, s.event, s.curl);
		if (r < 0)
			return r;
		r = sd_event_loop(s.event);
		if (r < 0)
			return log_error_errno(r, "Event loop failed: %m");
		return sender_enroll_finish(s.enroll);
	}

	r = sd_event_add_time_relative(s.event, &s.kick, CLOCK_MONOTONIC, 0, 0, on_kick, &s);
	if (r < 0)
		return log_error_errno(r, "Failed to add a timer: %m");
	s.headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	if (s.headers)
		s.headers = curl_slist_append(s.headers, "Content-Encoding: gzip");
	if (!s.headers)
		return log_oom();

	log_info("Sender started: %s", s.reports_url);
	if (s.policy) {
		r = sender_policy_start(s.policy, s.event, s.curl);
		if (r < 0)
			return r;
	}
	r = sd_event_loop(s.event);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return 0;
}
