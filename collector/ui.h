/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet view: what IT sees of every device, on a listener of its own,
 * for people, never for devices.  Server-rendered HTML with no script at
 * all; the same handlers answer /api/v1/... as JSON and ?format=csv as CSV
 * (docs/collector.md lists every page, endpoint and column).
 *
 * Who is asking: a client certificate issued by the people's CA (--ui-ca;
 * its Subject CN names the person, its OU is the role), or, with
 * --ui-trust-proxy, the X-Remote-User and X-Remote-Role headers of a
 * reverse proxy that does single sign-on, believed only from a loopback
 * address and only without a certificate.  Roles: viewer (reads),
 * operator (also exemptions), admin (also device owners).
 */
#ifndef POSTURED_COLLECTOR_UI_H
#define POSTURED_COLLECTOR_UI_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "basic/cleanup.h"
#include "store.h"

struct ui_options {
	const char *cert; /* PEM text, borrowed until ui_free() */
	const char *key;
	const char *trust; /* the people's CA; NULL: certificates are not asked for */
	const char *priorities;
	bool trust_proxy;
	unsigned max_connections;
	unsigned timeout_sec;
};

struct ui;

/* Serves the fleet view on listen_fd (taken over, also on failure) from e.  Returns 0 or -errno. */
int ui_new(sd_event *e, int listen_fd, const struct ui_options *o, struct store *store,
	   struct ui **ret);

struct export;

/* Shows export's counters and its forwarders' on /export (borrowed; NULL: no export log). */
void ui_set_export(struct ui *ui, struct export *export);

struct ui *ui_free(struct ui *ui);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ui *, ui_free);

#endif
