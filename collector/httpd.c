// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "basic/log.h"
#include "basic/time-util.h"
#include "httpd.h"

#define HTTPD_TIMER_SLACK_USEC (100 * USEC_PER_MSEC)

struct httpd {
	sd_event *event;
	sd_event_source *io;
	sd_event_source *timer;
	struct MHD_Daemon *daemon;
	struct ratelimit log;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void httpd_mhd_log(void *cls, const char *format, va_list ap)
{
	struct httpd_log *l = cls;
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), format, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (ratelimit_below(&l->rate))
		log_info("%slibmicrohttpd: %s", l->prefix, buf);
}
#pragma GCC diagnostic pop

int httpd_dispatch(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG timeout_ms;
	uint64_t now;
	int r;

	if (MHD_run(h->daemon) != MHD_YES && ratelimit_below(&h->log))
		log_warning("libmicrohttpd failed to run its connections.");

	if (MHD_get_timeout(h->daemon, &timeout_ms) != MHD_YES)
		return sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	r = sd_event_now(h->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	/*
	 * A zero timeout ("TLS data is already buffered, run now") at once; a
	 * connection's idle timeout with 100 ms of slack, so that sd-event keeps
	 * the timerfd as it is across dispatches instead of re-arming it at each
	 * (measured: with 1 µs everywhere, timerfd_settime() took a third of the
	 * collector's CPU under a fleet's load).
	 */
	r = sd_event_source_set_time_accuracy(h->timer,
					      timeout_ms == 0 ? 1 : HTTPD_TIMER_SLACK_USEC);
	if (r < 0)
		return r;
	r = sd_event_source_set_time(h->timer,
				     now + MIN(timeout_ms, (MHD_UNSIGNED_LONG_LONG)UINT32_MAX) *
						     USEC_PER_MSEC);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static int httpd_on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	int r = httpd_dispatch(userdata);

	if (r < 0)
		return log_error_errno(r, "Failed to arm the HTTP timer: %m");
	return 0;
}

static int httpd_on_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	return httpd_on_io(source, -1, 0, userdata);
}

int httpd_new(sd_event *e, struct MHD_Daemon *daemon, struct httpd **ret)
{
	_cleanup_(httpd_freep) struct httpd *h = NULL;
	const union MHD_DaemonInfo *info;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->event = sd_event_ref(e);
	h->daemon = daemon;
	h->log = RATELIMIT_INIT(10 * USEC_PER_SEC, 20);

	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0)
		return -EOPNOTSUPP;
	r = sd_event_add_io(e, &h->io, info->epoll_fd, EPOLLIN, httpd_on_io, h);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, USEC_INFINITY, 1, httpd_on_timer, h);
	if (r < 0)
		return r;
	r = httpd_dispatch(h);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(h);
	return 0;
}

struct httpd *httpd_free(struct httpd *h)
{
	if (!h)
		return NULL;
	sd_event_source_disable_unref(h->io);
	sd_event_source_disable_unref(h->timer);
	sd_event_unref(h->event);
	free(h);
	return NULL;
}
