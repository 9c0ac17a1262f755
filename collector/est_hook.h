/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The external CA hook (docs/enrollment.md#an-external-ca): instead of
 * signing with its own key, the collector runs the company's program for
 * each request that may have a certificate.  The program gets the request
 * as PEM on standard input and, in its environment, POSTURED_DEVICE_ID,
 * POSTURED_KEY_TYPE, POSTURED_ENROLLMENT ("enroll" or "renew") and
 * POSTURED_LIFETIME_SECONDS; it writes the certificate (PEM, its chain
 * after it if it likes) to standard output and exits 0.  Anything else, or
 * no answer within EST_HOOK_TIMEOUT_SEC, is a failure the client is told
 * to retry (503).  Its standard error goes to the collector's.  It runs
 * while the collector goes on serving: the request waits, suspended.
 */
#ifndef POSTURED_COLLECTOR_EST_HOOK_H
#define POSTURED_COLLECTOR_EST_HOOK_H

#include <stddef.h>
#include <systemd/sd-event.h>

#include "est.h"

#define EST_HOOK_TIMEOUT_SEC 30
#define EST_HOOK_MAX_OUTPUT  (64 * 1024)

struct est_hook_job;

/*
 * Called once when the program ended: ok with its output (NUL-terminated)
 * when it exited 0 in time, else why not in words.
 */
typedef void (*est_hook_done_fn)(bool ok, const char *output, size_t size, const char *why,
				 void *userdata);

/* Starts program for p on event.  Returns 0 and the job in *ret, or -errno. */
int est_hook_start(sd_event *event, const char *program, const struct est_pending *p,
		   uint64_t lifetime_sec, est_hook_done_fn done, void *userdata,
		   struct est_hook_job **ret);

/* Stops the program if it still runs, without calling done; accepts NULL, returns NULL. */
struct est_hook_job *est_hook_job_free(struct est_hook_job *j);

#endif
