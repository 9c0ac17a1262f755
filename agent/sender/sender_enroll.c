// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "sender_enroll.h"

#define TOKEN_FILE_MAX 4096

struct sender_enroll {
	char *url;
	bool renewal;
	struct sender_buf csr;
	char *authorization; /* "Authorization: Bearer ..." (secret) */
	struct curl_slist *headers;
	struct sender_buf answer;
	bool too_long;
	sd_event *event;
	bool done;
	CURLcode result;
	long status;
	char error[CURL_ERROR_SIZE];
};

DEFINE_TRIVIAL_CLEANUP_FUNC(struct sender_enroll *, sender_enroll_free);

struct sender_enroll *sender_enroll_free(struct sender_enroll *e)
{
	if (!e)
		return NULL;
	curl_slist_free_all(e->headers);
	if (e->authorization)
		explicit_bzero(e->authorization, strlen(e->authorization));
	free(e->authorization);
	sender_buf_free(&e->csr, false);
	sender_buf_free(&e->answer, false);
	free(e->url);
	free(e);
	return NULL;
}

/* Logs why the request cannot be made, and says it on stdout for the daemon's status. */
#define refuse(r, ...)                           \
	({                                       \
		printf("error: " __VA_ARGS__);   \
		putchar('\n');                   \
		fflush(stdout);                  \
		log_error_errno(r, __VA_ARGS__); \
	})

/* The token: the file's first line, printable ASCII without blanks, as a Bearer token is. */
static int read_token(const char *path, char **ret)
{
	_cleanup_erase_free_ char *text = NULL;
	size_t size, len;
	int r;

	r = read_full_file(path, TOKEN_FILE_MAX, READ_FULL_PRIVATE, &text, &size);
	if (r == -EPERM)
		return refuse(r,
			      "the enrollment token file %s may be read by group or others; make "
			      "it mode 0600",
			      path);
	if (r < 0)
		return refuse(r, "cannot read the enrollment token file %s: %s", path,
			      strerror(-r));
	len = strcspn(text, "\r\n");
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len; i++)
		if (text[i] <= ' ' || text[i] > '~')
			len = 0;
	if (len == 0)
		return refuse(EINVAL,
			      "the enrollment token file %s holds no token (one line of printable "
			      "characters)",
			      path);
	text[len] = '\0';
	if (asprintf(ret, "Authorization: Bearer %s", text) < 0)
		return log_oom();
	return 0;
}

int sender_enroll_new(const char *base_url, int fd, const char *token_file,
		      struct sender_enroll **ret)
{
	_cleanup_(sender_enroll_freep) struct sender_enroll *e = NULL;
	size_t base_len = strlen(base_url);
	char buf[4096];
	int r;

	e = calloc(1, sizeof(*e));
	if (!e)
		return log_oom();
	e->renewal = !token_file;
	while (base_len > 0 && base_url[base_len - 1] == '/')
		base_len--;
	if (asprintf(&e->url, "%.*s/%s", (int)base_len, base_url,
		     e->renewal ? "simplereenroll" : "simpleenroll") < 0)
		return log_oom();
	if (token_file) {
		r = read_token(token_file, &e->authorization);
		if (r < 0)
			return r;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_errno(errno, "Failed to read the request: %m");
		if (n == 0)
			break;
		if (e->csr.len + (size_t)n > SENDER_ENROLL_MAX_CSR)
			return log_error_errno(EFBIG, "The request is larger than %d bytes.",
					       SENDER_ENROLL_MAX_CSR);
		if (sender_buf_append(&e->csr, buf, (size_t)n) < 0)
			return log_oom();
	}
	if (e->csr.len == 0)
		return log_error_errno(EINVAL, "No request on standard input.");

	e->headers = curl_slist_append(NULL, "Content-Type: application/pkcs10");
	if (e->headers)
		e->headers = curl_slist_append(e->headers, "Content-Transfer-Encoding: base64");
	if (e->headers && e->authorization)
		e->headers = curl_slist_append(e->headers, e->authorization);
	if (!e->headers)
		return log_oom();
	*ret = TAKE_PTR(e);
	return 0;
}

static size_t on_answer(char *p, size_t size, size_t n, void *userdata)
{
	struct sender_enroll *e = userdata;

	if (e->answer.len + size * n > SENDER_ENROLL_MAX_ANSWER) {
		e->too_long = true;
		return 0;
	}
	if (sender_buf_append(&e->answer, p, size * n) < 0)
		return 0;
	return size * n;
}

static void on_done(CURL *c, CURLcode result, const char *error, void *userdata)
{
	struct sender_enroll *e = userdata;

	e->done = true;
	e->result = result;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &e->status);
	if (error)
		snprintf(e->error, sizeof(e->error), "%s", error);
	(void)sd_event_exit(e->event, 0);
}

int sender_enroll_start(struct sender_enroll *e, sd_event *event, struct sender_curl *curl)
{
	CURL *c;
	int r;

	e->event = event;
	r = sender_curl_make(curl, e->url, &c);
	if (r < 0)
		return log_oom();
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, e->csr.data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->csr.len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, e);
	r = sender_curl_add(curl, c, on_done, e);
	if (r < 0)
		return log_error_errno(r, "Failed to start the enrollment request: %m");
	log_info("Enrolling: %s %s.", e->renewal ? "renewal at" : "first enrollment at", e->url);
	return 0;
}

/* A printable, bounded copy of what the server said. */
static void printable(const struct sender_buf *b, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < b->len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)b->data[i];

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	out[o] = '\0';
}

int sender_enroll_finish(struct sender_enroll *e)
{
	char said[256];

	if (!e->done) {
		printf("error: the enrollment request did not finish\n");
		return 1;
	}
	if (e->result != CURLE_OK) {
		printf("error: %s\n", e->too_long ? "the answer is larger than 64 KiB" : e->error);
		log_error("Enrollment at %s failed: %s", e->url, e->error);
		return e->too_long ? SENDER_ENROLL_REFUSED : 1;
	}
	if (e->status == 200) {
		if (fwrite(e->answer.data, 1, e->answer.len, stdout) != e->answer.len ||
		    fflush(stdout) != 0) {
			log_error_errno(errno, "Failed to hand the answer over: %m");
			return 1;
		}
		return 0;
	}
	/* Our collector says why as {"error": "..."}; another EST server in text. */
	{
		const char *path[] = { "error", NULL };
		yajl_val root = e->answer.data ? yajl_tree_parse(e->answer.data, NULL, 0) : NULL;
		yajl_val v = root ? yajl_tree_get(root, path, yajl_t_string) : NULL;

		const char *text = v ? YAJL_GET_STRING(v) : NULL;

		if (text) {
			struct sender_buf b = { .data = (char *)text, .len = strlen(text) };

			printable(&b, said, sizeof(said));
		} else
			printable(&e->answer, said, sizeof(said));
		yajl_tree_free(root);
	}
	printf("error: HTTP %ld: %s\n", e->status, said);
	log_error("The enrollment server refused with HTTP %ld: %s", e->status, said);
	return e->status >= 400 && e->status < 500 && e->status != 408 && e->status != 429 ?
		       SENDER_ENROLL_REFUSED :
		       1;
}
