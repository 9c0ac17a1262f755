/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sender's half of the policy feed (sender.h): GET /v1/policy every
 * interval, one request in flight at most, If-None-Match with the ETag last
 * handed over.  A 200 with a usable X-Postured-Signature header is written
 * into the hand-over directory, the signature first, each file atomically
 * and fsync()ed; nothing of it is trusted here (the daemon verifies the
 * signature and the serial).  Failures are logged, rate-limited, and the next
 * fetch comes at the next interval.
 */
#ifndef POSTURED_SENDER_POLICY_H
#define POSTURED_SENDER_POLICY_H

#include <systemd/sd-event.h>

#include "basic/time-util.h"
#include "sender_curl.h"

struct sender_policy;

/*
 * Opens the hand-over directory dir (while still root: the fd is kept across
 * the privilege drop) and makes the URL from the collector's base_url.  Logs.
 * Returns 0 and the feed in *ret (free with sender_policy_free()), or -errno.
 */
int sender_policy_new(const char *base_url, const char *dir, usec_t interval,
		      struct sender_policy **ret);

/* Fetches at once, then every interval, through curl on event.  Logs.  Returns 0 or -errno. */
int sender_policy_start(struct sender_policy *p, sd_event *event, struct sender_curl *curl);

/* Frees the feed, after the glue it was started with; accepts NULL, returns NULL. */
struct sender_policy *sender_policy_free(struct sender_policy *p);

#endif
