/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A libmicrohttpd daemon in external epoll mode, driven from an sd-event
 * loop: its epoll fd is one I/O source, and MHD_get_timeout() arms one
 * timer, so MHD_run() is called exactly when it has work (server.c's
 * comment gives the loop model).  The device listener and the fleet view's
 * listener each have one.
 */
#ifndef POSTURED_COLLECTOR_HTTPD_H
#define POSTURED_COLLECTOR_HTTPD_H

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "basic/cleanup.h"

#include <stdarg.h>

#include "basic/log.h"

struct httpd;

/*
 * libmicrohttpd's messages (mostly failed handshakes: a client's problem,
 * worth a line, not a flood) to the log, at a bounded rate, after prefix:
 * MHD_OPTION_EXTERNAL_LOGGER, httpd_mhd_log, &a_struct_httpd_log.
 */
struct httpd_log {
	const char *prefix; /* "" or "Fleet view: " */
	struct ratelimit rate;
};

void httpd_mhd_log(void *cls, const char *format, va_list ap);

/*
 * Drives daemon (started with MHD_USE_EPOLL and no threads; borrowed: the
 * caller stops it after httpd_free()) from e.  Returns 0 or -errno.
 */
int httpd_new(sd_event *e, struct MHD_Daemon *daemon, struct httpd **ret);

/* Runs the daemon for what is ready now (after a resume, say) and re-arms the timer. */
int httpd_dispatch(struct httpd *h);

struct httpd *httpd_free(struct httpd *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct httpd *, httpd_free);

#endif
