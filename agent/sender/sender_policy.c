// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "postured/policy_sig.h"
#include "sender.h"
#include "sender_policy.h"

struct sender_policy {
	char *url;
	const char *dir; /* the configuration's, for the log */
	int dir_fd;
	usec_t interval;
	struct sender_curl *curl;
	sd_event_source *timer;
	bool fetching;
	struct sender_buf body;
	char sig[POLICY_SIG_MAX_SIGNATURE + 1];
	bool sig_too_long;
	char etag[128], new_etag[128]; /* the tag handed over, the one of the answer */
	struct curl_slist *headers;
	struct ratelimit rl;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct sender_policy *, sender_policy_free);

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct sender_policy *p = userdata;

	/* A policy larger than the daemon would read aborts the transfer. */
	if (p->body.len + size * n > POLICY_SIG_MAX_POLICY)
		return 0;
	if (sender_buf_append(&p->body, data, size * n) < 0)
		return 0;
	return size * n;
}

/* Copies a header's value, without surrounding blanks, when line is "name: value". */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t size,
			 bool *too_long)
{
	size_t k = strlen(name);

	if (len <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return false;
	line += k + 1;
	len -= k + 1;
	while (len > 0 && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
			   line[len - 1] == '\t'))
		len--;
	if (len >= size) {
		*too_long = true;
		out[0] = '\0';
		return true;
	}
	memcpy(out, line, len);
	out[len] = '\0';
	return true;
}

static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct sender_policy *p = userdata;
	bool ignored = false;

	if (!header_value(line, size * n, "X-Postured-Signature", p->sig, sizeof(p->sig),
			  &p->sig_too_long))
		(void)header_value(line, size * n, "ETag", p->new_etag, sizeof(p->new_etag),
				   &ignored);
	return size * n;
}

static void schedule(struct sender_policy *p)
{
	sd_event_source_set_time_relative(p->timer, p->interval);
	sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static int hand_over(struct sender_policy *p)
{
	int r;

	/* The signature first: the daemon reads both when the policy arrives. */
	r = write_file_atomic_at(p->dir_fd, SENDER_POLICY_SIG_FILE, p->sig, strlen(p->sig), 0600);
	if (r >= 0)
		r = write_file_atomic_at(p->dir_fd, SENDER_POLICY_FILE, p->body.data ?: "",
					 p->body.len, 0600);
	if (r >= 0 && fsync(p->dir_fd) < 0)
		r = -errno;
	return r;
}

static void on_done(CURL *e, CURLcode res, const char *error, void *userdata)
{
	struct sender_policy *p = userdata;
	long status = 0;
	int r;

	p->fetching = false;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	schedule(p);

	if (res != CURLE_OK) {
		if (ratelimit_below(&p->rl))
			log_warning("Failed to fetch the policy from %s: %s", p->url, error);
		return;
	}
	if (status == 304) {
		log_debug("The collector's policy is unchanged.");
		return;
	}
	if (status == 404) {
		log_debug("The collector serves no policy.");
		return;
	}
	if (status != 200) {
		if (ratelimit_below(&p->rl))
			log_warning("The collector answered the policy request with HTTP %ld.",
				    status);
		return;
	}
	if (!p->sig[0] || p->sig_too_long) {
		if (ratelimit_below(&p->rl))
			log_warning("The collector's policy came without a usable signature "
				    "header; ignoring it.");
		return;
	}
	r = hand_over(p);
	if (r < 0) {
		if (ratelimit_below(&p->rl))
			log_error_errno(r,
					"Failed to hand the fetched policy over to the daemon: %m");
		return;
	}
	/* Only what was handed over counts as seen; otherwise ask again in full. */
	memcpy(p->etag, p->new_etag, sizeof(p->etag));
	log_info("Fetched a policy of %zu bytes from the collector; handed it over for "
		 "verification.",
		 p->body.len);
}

static int start_request(struct sender_policy *p)
{
	_cleanup_free_ char *inm = NULL;
	CURL *e;
	int r;

	r = sender_curl_make(p->curl, p->url, &e);
	if (r < 0)
		return log_oom();
	p->body.len = 0;
	p->sig[0] = '\0';
	p->new_etag[0] = '\0';
	p->sig_too_long = false;
	curl_slist_free_all(TAKE_PTR(p->headers));
	if (p->etag[0]) {
		if (asprintf(&inm, "If-None-Match: %s", p->etag) < 0) {
			curl_easy_cleanup(e);
			return log_oom();
		}
		p->headers = curl_slist_append(NULL, inm);
	}
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, p);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)POLICY_SIG_MAX_POLICY);
	r = sender_curl_add(p->curl, e, on_done, p);
	if (r < 0)
		return log_error_errno(r, "Failed to start a policy request: %m");
	p->fetching = true;
	return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct sender_policy *p = userdata;

	if (p->fetching)
		return 0;
	if (start_request(p) < 0)
		schedule(p);
	return 0;
}

int sender_policy_new(const char *base_url, const char *dir, usec_t interval,
		      struct sender_policy **ret)
{
	_cleanup_(sender_policy_freep) struct sender_policy *p = NULL;

	p = calloc(1, sizeof(*p));
	if (!p)
		return log_oom();
	*p = (struct sender_policy){
		.dir = dir,
		.dir_fd = -EBADF,
		.interval = interval,
		.rl = RATELIMIT_INIT(60 * USEC_PER_SEC, 5),
	};
	if (sender_curl_url(base_url, "/v1/policy", &p->url) < 0)
		return log_oom();
	/* The daemon made it for the sender user; kept open across the drop. */
	p->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0)
		return log_error_errno(errno, "Failed to open the policy directory %s: %m", dir);
	*ret = TAKE_PTR(p);
	return 0;
}

int sender_policy_start(struct sender_policy *p, sd_event *event, struct sender_curl *curl)
{
	int r;

	p->curl = curl;
	/* The first fetch at once: a new device wants its policy soon. */
	r = sd_event_add_time_relative(event, &p->timer, CLOCK_MONOTONIC, 0, 0, on_timer, p);
	if (r < 0)
		return log_error_errno(r, "Failed to add a timer: %m");
	log_info("Fetching the policy from %s every %llu s into %s.", p->url,
		 (unsigned long long)(p->interval / USEC_PER_SEC), p->dir);
	return 0;
}

struct sender_policy *sender_policy_free(struct sender_policy *p)
{
	if (!p)
		return NULL;
	curl_slist_free_all(p->headers);
	sd_event_source_disable_unref(p->timer);
	safe_close(p->dir_fd);
	sender_buf_free(&p->body, false);
	free(p->url);
	free(p);
	return NULL;
}
