/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The status socket (docs/status-socket.md): a Unix stream socket speaking
 * JSON lines to posturectl, postured-notify and scripts.  SO_PEERCRED decides
 * what a caller sees: root everything; other users the device's posture and
 * the findings about their own processes.  Bounded in clients, request size
 * and the answers waiting for a slow client, which is dropped rather than
 * allowed to block the agent or grow its memory.
 */
#ifndef POSTURED_STATUS_H
#define POSTURED_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>
#include <yajl/yajl_gen.h>

#define STATUS_SOCKET_DEFAULT	"/run/postured/status.sock"
#define STATUS_CLIENTS_MAX	64
#define STATUS_CLIENTS_ROOT	8 /* places only root may take */
#define STATUS_CLIENTS_PER_USER 16 /* connections one other user may hold */
#define STATUS_REQUEST_MAX	4096
#define STATUS_PENDING_MAX	(1024 * 1024)
#define STATUS_FINDINGS_KEPT	256
#define STATUS_SENT_DEFAULT	200 /* records in a "sent" answer unless "limit" says */
#define STATUS_SENT_MAX		1000
#define STATUS_SENT_BYTES	(512 * 1024) /* record bytes in one "sent" answer */
#define STATUS_SENT_SCAN	5000 /* sent records one "sent" request looks at */

/* A finding's uid when it is about the device rather than a user's process. */
#define STATUS_UID_DEVICE UINT32_MAX

/* What the server asks of the agent. */
struct status_ops {
	/* Writes the result object of "status" for a caller (uid). */
	void (*write_status)(void *userdata, yajl_gen g, uid_t uid);
	/* Writes the rule object of "explain" for rule id; -ENOENT when there is none. */
	int (*write_rule)(void *userdata, yajl_gen g, const char *id);
	/*
	 * Reloads the policy.  Returns 0 and writes the policy now in force as
	 * a JSON object into g, or -errno with the reasons in err.
	 */
	int (*reload)(void *userdata, yajl_gen g, char *err, size_t err_size);
	/* Runs the posture checks now; writes the result object (the checks' rules) into g. */
	void (*run_checks)(void *userdata, yajl_gen g);
	/*
	 * Starts an enrollment with token_file (NULL: the configured one).
	 * Returns 0 and writes the result object into g, or -errno with why in err.
	 */
	int (*enroll)(void *userdata, yajl_gen g, const char *token_file, char *err,
		      size_t err_size);
};

typedef struct status_server status_server;

/*
 * Listens on path (its directory is made 0755 when missing; a stale socket is
 * replaced; the socket is made 0666).  Returns 0 or -errno.
 */
int status_server_new(sd_event *event, const char *path, const struct status_ops *ops,
		      void *userdata, status_server **ret);
status_server *status_server_free(status_server *s);

/*
 * Keeps a finding for "findings", "explain" and subscribers.  json is its
 * record as sent (one JSON object); uid the uid of the process it is about,
 * or STATUS_UID_DEVICE; severity_id 1 (info) to 5 (critical).
 */
void status_server_add_finding(status_server *s, const char *json, size_t len, uint32_t uid,
			       const char *rule_id, int severity_id);

struct spool;
/*
 * The spool whose sent records the "sent" method shows (NULL: none, the
 * method answers with no records).  Not owned: the caller keeps it alive
 * while s uses it.
 */
void status_server_set_spool(status_server *s, struct spool *spool);

/* Tells subscribers that the device's posture changed. */
void status_server_notify_changed(status_server *s);

struct status_stats {
	unsigned clients;
	uint64_t dropped_slow; /* clients dropped for not reading */
	uint64_t requests, bad_requests;
};
void status_server_get_stats(status_server *s, struct status_stats *ret);

#endif
