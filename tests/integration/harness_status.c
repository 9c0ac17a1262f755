// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_child.h"
#include "harness_json.h"
#include "harness_paths.h"
#include "harness_report.h"
#include "harness_status.h"

int harness_status_connect(const char *path, int rcvbuf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return TAKE_FD(fd);
}

int harness_agent_poll(struct harness_agent *a, int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)MIN(left, (int64_t)10));
		if (r > 0)
			return r;
		r = harness_agent_pump(a, 0);
		if (r < 0)
			return harness_fail("Reading from postured: %s", strerror(-r));
	}
}

/*
 * Reads fd into buf (HARNESS_STATUS_OUTPUT_MAX + 1 bytes) until EOF, or
 * until a newline when to_newline, within the deadline.  what names the
 * other end for messages.  Returns the length, or -1.
 */
static ssize_t read_pumping(struct harness_agent *a, int fd, char *buf, bool to_newline,
			    int64_t deadline, const char *what)
{
	size_t have = 0;

	for (;;) {
		int64_t left = deadline - harness_now_ms();
		ssize_t k;
		int r;

		if (to_newline && memchr(buf, '\n', have))
			break;
		if (left <= 0)
			return harness_fail("%s did not finish within %d ms", what,
					    HARNESS_STATUS_TIMEOUT_MS);
		r = harness_agent_poll(a, fd, (int)left);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		k = read(fd, buf + have, HARNESS_STATUS_OUTPUT_MAX - have);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return harness_fail("Reading from %s: %m", what);
		if (k == 0) {
			if (to_newline)
				return harness_fail("%s ended before a whole line", what);
			break;
		}
		have += (size_t)k;
		if (have == HARNESS_STATUS_OUTPUT_MAX)
			return harness_fail("%s sent more than %d bytes", what,
					    HARNESS_STATUS_OUTPUT_MAX);
	}
	buf[have] = '\0';
	return (ssize_t)have;
}

int harness_status_ask(struct harness_agent *a, const char *request, char **ret)
{
	int64_t deadline = harness_now_ms() + HARNESS_STATUS_TIMEOUT_MS;
	_cleanup_close_ int fd = harness_status_connect(a->status_path, 0);
	_cleanup_free_ char *buf = NULL;
	size_t len = strlen(request);
	char what[128];

	if (fd < 0)
		return harness_fail("Cannot connect to %s: %s", a->status_path, strerror(-fd));
	if (write(fd, request, len) != (ssize_t)len)
		return harness_fail("Cannot send a request to %s: %m", a->status_path);
	buf = malloc(HARNESS_STATUS_OUTPUT_MAX + 1);
	if (!buf)
		return harness_fail("Out of memory");
	snprintf(what, sizeof(what), "The answer to %.*s", (int)strcspn(request, "\n"), request);
	if (read_pumping(a, fd, buf, true, deadline, what) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

int harness_status_result(struct harness_agent *a, const char *request, yajl_val *ret)
{
	_cleanup_free_ char *line = NULL;
	char err[256] = "";
	yajl_val v;

	TRY(harness_status_ask(a, request, &line));
	v = yajl_tree_parse(line, err, sizeof(err));
	if (!v || !YAJL_IS_OBJECT(harness_json(v, "result"))) {
		yajl_tree_free(v);
		return harness_fail("The answer to %.*s is not a result: %.300s",
				    (int)strcspn(request, "\n"), request, line);
	}
	*ret = v;
	return 0;
}

int harness_ctl_run(struct harness_agent *a, uid_t uid, const char *const *args, char **ret,
		    int *ret_status)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_close_ int out_r = -EBADF, out_w = -EBADF;
	_cleanup_child_ pid_t pid = 0;
	_cleanup_free_ char *buf = NULL;
	int64_t deadline = harness_now_ms() + HARNESS_STATUS_TIMEOUT_MS;
	const char *argv[16];
	char what[64];
	size_t n = 0;

	argv[n++] = harness_build_path("posturectl");
	for (size_t i = 0; args[i] && n < ELEMENTSOF(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	TRY(harness_pipe(&out_r, &out_w));
	buf = malloc(HARNESS_STATUS_OUTPUT_MAX + 1);
	if (!buf)
		return harness_fail("Out of memory");
	o.stdout_fd = out_w;
	if (uid != 0) {
		o.set_uid = true;
		o.uid = uid;
		o.gid = uid;
	}
	TRY(harness_spawn(argv[0], (char *const *)argv, &o, &pid));
	out_w = safe_close(out_w);
	snprintf(what, sizeof(what), "posturectl %s", args[0]);
	if (read_pumping(a, out_r, buf, false, deadline, what) < 0)
		return -1;
	TRY(harness_wait_child(pid, HARNESS_STATUS_TIMEOUT_MS, ret_status));
	pid = 0;
	*ret = TAKE_PTR(buf);
	return 0;
}
