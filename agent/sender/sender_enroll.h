/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sender's half of enrollment (docs/enrollment.md): one EST request
 * (RFC 7030) for the daemon, which made the key and the request.  The
 * daemon runs `postured-sender --enroll URL` with the base64 PKCS#10 on
 * standard input; the sender reads it and the token file (the first
 * enrollment) while still root, drops privileges like the report loop,
 * POSTs to URL/simpleenroll with "Authorization: Bearer TOKEN", or to
 * URL/simplereenroll with the current certificate, and writes the answer's
 * body (at most 64 KiB) to standard output.  Nothing of it is trusted here:
 * the daemon checks the certificate against its key and the pinned CA.
 *
 * Exit status: 0 with the answer on stdout; SENDER_ENROLL_REFUSED when the
 * server refused (4xx), and 1 for anything a retry may cure (no answer,
 * 5xx); either way one line "HTTP 401: ..." or curl's error on stdout for
 * the daemon's status.
 */
#ifndef POSTURED_SENDER_ENROLL_H
#define POSTURED_SENDER_ENROLL_H

#include <systemd/sd-event.h>

#include "sender_curl.h"

#define SENDER_ENROLL_REFUSED	 3
#define SENDER_ENROLL_MAX_CSR	 (24 * 1024)
#define SENDER_ENROLL_MAX_ANSWER (64 * 1024)

struct sender_enroll;

/*
 * Reads the request from fd and the token from token_file (NULL for a
 * renewal), while still privileged; makes the URL from base_url.  Logs.
 * Returns 0 and the request in *ret, or -errno.
 */
int sender_enroll_new(const char *base_url, int fd, const char *token_file,
		      struct sender_enroll **ret);

/* Sends it through curl on event; the loop exits when it ended.  Logs.  Returns 0 or -errno. */
int sender_enroll_start(struct sender_enroll *e, sd_event *event, struct sender_curl *curl);

/* The process's exit status for how it ended, after writing the answer or the error to stdout. */
int sender_enroll_finish(struct sender_enroll *e);

struct sender_enroll *sender_enroll_free(struct sender_enroll *e);

#endif
