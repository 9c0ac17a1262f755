/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sender: the unprivileged process that reads the spool and posts it to
 * the collector (DESIGN.md, privilege separation).
 *
 * Spool ownership across the privilege drop: the sender opens the spool's
 * SQLite file (and, by a first read, its -wal and -shm files) while still
 * root, then drops to the sender user and keeps that handle: file
 * permissions are checked at open only, so the file stays root-owned 0600
 * and nothing else of the state directory is reachable by the sender user.
 * Both processes write the file (the daemon appends, the sender acks);
 * SQLite's locks and BEGIN IMMEDIATE order them.  This was chosen over
 * passing records through a socketpair because the spool is already the
 * durable queue: no second protocol, no copy of the records in the daemon,
 * and a restarted sender resumes from the file.
 *
 * Before dropping privileges the sender also reads the client certificate,
 * key and CA file into memory (handed to libcurl as blobs), refusing a key
 * not owned by root or accessible by others.  Then: setgroups(), setresgid(),
 * setresuid() to the sender user (no capabilities survive), no_new_privs,
 * not dumpable.  Only this process parses the collector's answers.
 *
 * One sd-event loop drives libcurl's multi interface (socket and timer
 * callbacks, as systemd-importd does); one request is in flight at a time,
 * a batch of at most batch_max_records / batch_max_bytes, gzip-compressed.
 * On 200 the answer's acked_seq (never more than the batch's last seq)
 * is acknowledged in the spool and the next batch goes at once; otherwise
 * exponential back-off with full jitter: a delay drawn uniformly from
 * [backoff_min, min(backoff_max, backoff_min * 2^failures)], at least the
 * Retry-After of a 429/503 (capped at one hour).  With nothing to send the
 * spool is polled every poll_interval; SIGUSR1 polls at once.  SIGTERM and
 * SIGINT end the loop.
 *
 * With a policy_dir, the sender also fetches GET /v1/policy every
 * policy_interval (If-None-Match with the last ETag it handed over).  On a
 * 200 it writes the body (at most 1 MiB) and the X-Postured-Signature
 * header (at most 256 bytes) into that directory as SENDER_POLICY_SIG_FILE,
 * then SENDER_POLICY_FILE, each written to a temporary file, fsync()ed and
 * renamed into place.  The daemon created the directory for the sender user
 * and watches it; it trusts nothing in it (policy_feed.c verifies the signature
 * with the pinned key and the serial before use).
 */
#ifndef POSTURED_SENDER_H
#define POSTURED_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/time-util.h"

#define SENDER_DEFAULT_USER	       "postured-sender"
#define SENDER_FALLBACK_USER	       "nobody"
#define SENDER_DEFAULT_BATCH_RECORDS   500
#define SENDER_DEFAULT_BATCH_BYTES     (1024 * 1024)
#define SENDER_DEFAULT_BACKOFF_MIN     (1 * USEC_PER_SEC)
#define SENDER_DEFAULT_BACKOFF_MAX     (15 * 60 * USEC_PER_SEC)
#define SENDER_DEFAULT_POLL_INTERVAL   (5 * USEC_PER_SEC)
#define SENDER_DEFAULT_POLICY_INTERVAL (300 * USEC_PER_SEC)
/* The names of a fetched policy in policy_dir; the daemon reacts to the second one's rename. */
#define SENDER_POLICY_FILE     "policy.json"
#define SENDER_POLICY_SIG_FILE "policy.sig"

struct sender_user {
	const char *name; /* static or the caller's: the name asked for, or a default */
	uid_t uid;
	gid_t gid;
};

/*
 * The sender's user: user when set (NULL or "" for the default), else
 * SENDER_DEFAULT_USER when it exists, else SENDER_FALLBACK_USER.  Returns 0
 * with *ret filled; -ESRCH when there is no such user, or getpwnam's -errno.
 */
int sender_user_lookup(const char *user, struct sender_user *ret);

struct sender_config {
	const char *url; /* collector base URL, "https://host:port"; /v1/reports is appended */
	const char *ca_file; /* the company CA (PEM): the only trust anchor */
	const char *cert_file; /* device certificate (PEM); NULL sends none (tests only) */
	const char *key_file; /* its key (PEM): root-owned, mode 0600/0640 or stricter */
	int sign_fd; /* instead of key_file: the daemon signs with the TPM key (-1: no) */
	const char *spool_path; /* NULL: SPOOL_DEFAULT_PATH */
	const char *user; /* NULL: SENDER_DEFAULT_USER if it exists, else "nobody" */
	const char *proxy; /* NULL: libcurl's environment (https_proxy, no_proxy ...) */
	bool tls13_only; /* minimum TLS 1.3 instead of 1.2 */
	size_t batch_max_records; /* 0: defaults above */
	size_t batch_max_bytes;
	usec_t backoff_min, backoff_max, poll_interval;
	const char *policy_dir; /* NULL: no policy fetching */
	usec_t policy_interval; /* 0: SENDER_DEFAULT_POLICY_INTERVAL */
	/*
	 * Instead of the report loop, one enrollment request (sender_enroll.h)
	 * to this EST base URL, the request on stdin; with the certificate and
	 * key a renewal, with token_file a first enrollment.
	 */
	const char *enroll_url;
	const char *token_file;
};

/*
 * Runs the sender in this process until SIGTERM/SIGINT: loads the keys, opens
 * the spool, drops privileges (when root), runs the loop.  Logs (it is a top
 * layer).  Returns 0 on a clean stop or -errno; with enroll_url, the exit
 * status sender_enroll_finish() gives, or -errno.
 */
int sender_run(const struct sender_config *c);

#endif
