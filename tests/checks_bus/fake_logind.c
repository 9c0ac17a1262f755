// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A test service that answers on a private bus the way systemd-logind does
 * for the agent's sleep watch (agent/postured/sleepwatch.c): it owns
 * org.freedesktop.login1, has the Manager's Inhibit(ssss) -> h on
 * /org/freedesktop/login1, and emits its PrepareForSleep(b).
 *
 *   fake_logind --address ADDR [--refuse]
 *
 * Inhibit hands out the write end of a pipe, as logind hands out a FIFO's,
 * and keeps the read end: when the caller closes its end (releases the
 * lock) the read end sees the hang-up.  --refuse answers Inhibit with
 * AccessDenied, as polkit may.  On stdout, one line each, flushed:
 *
 *   READY                          it owns the name
 *   INHIBIT WHAT WHO MODE WHY...   a lock handed out
 *   RELEASED                       a caller closed a lock
 *
 * On stdin, one command a line: "sleep" emits PrepareForSleep(true),
 * "wake" PrepareForSleep(false).  End of input ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define LOGIN1_PATH "/org/freedesktop/login1"
#define LOGIN1_MGR  "org.freedesktop.login1.Manager"

static sd_bus *bus;
static bool refuse;

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* The caller's end of a lock closed: the read end sees the hang-up (or end of file). */
static int on_lock(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	char buf[64];

	if (read(fd, buf, sizeof(buf)) > 0)
		return 0;
	say("RELEASED");
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	close(fd);
	return 0;
}

static int method_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *what, *who, *why, *mode;
	int p[2], r;

	r = sd_bus_message_read(m, "ssss", &what, &who, &why, &mode);
	if (r < 0)
		return r;
	if (refuse)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Permission denied");
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Floating: it goes with the loop; on_lock() turns it off. */
	r = sd_event_add_io(sd_bus_get_event(sd_bus_message_get_bus(m)), NULL, p[0], EPOLLIN,
			    on_lock, NULL);
	if (r >= 0)
		r = sd_bus_reply_method_return(m, "h", p[1]);
	/* The reply holds a copy: ours must go, or the caller's close is never seen. */
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	say("INHIBIT %s %s %s %s", what, who, mode, why);
	return 1;
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Inhibit", "ssss", "h", method_inhibit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL("PrepareForSleep", "b", 0),
	SD_BUS_VTABLE_END,
};

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	static char line[256];
	static size_t len;
	ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
	char *nl;

	if (n <= 0)
		return sd_event_exit(sd_event_source_get_event(s), 0);
	len += (size_t)n;
	line[len] = '\0';
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		if (strcmp(line, "sleep") == 0 || strcmp(line, "wake") == 0)
			(void)sd_bus_emit_signal(bus, LOGIN1_PATH, LOGIN1_MGR, "PrepareForSleep",
						 "b", strcmp(line, "sleep") == 0);
		len -= (size_t)(nl + 1 - line);
		memmove(line, nl + 1, len + 1);
	}
	if (len == sizeof(line) - 1)
		len = 0;
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "refuse", no_argument, NULL, 'r' },
		{},
	};
	const char *address = NULL;
	sd_event *e = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c == 'a')
			address = optarg;
		else if (c == 'r')
			refuse = true;
		else
			return 2;
	}
	if (!address)
		return 2;
	r = sd_event_default(&e);
	if (r >= 0)
		r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_negotiate_fds(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, e, 0);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, LOGIN1_PATH, LOGIN1_MGR, manager_vtable,
					     NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, "org.freedesktop.login1", 0);
	if (r >= 0)
		r = sd_event_add_io(e, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
	if (r < 0) {
		fprintf(stderr, "fake_logind: %s\n", strerror(-r));
		return 1;
	}
	say("READY");
	r = sd_event_loop(e);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(e);
	return r < 0 ? 1 : 0;
}
