// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The net_enforce suite's clients: uniquely named copies of
 * tests/helpers/net_client, run as root or another user, held open or not,
 * and their one-line summary of what the kernel did to their calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_enforce.h"

/* --- clients ---------------------------------------------------------------------- */

void client_done(struct client *c)
{
	c->in_fd = safe_close(c->in_fd);
	harness_child_killp(&c->pid);
}

/* Reads the client's summary line from fd within timeout_ms. */
static int client_read_line(struct client *c, int fd, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	size_t have = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - harness_now_ms();
		ssize_t n;

		if (memchr(c->line, '\n', have))
			break;
		if (left <= 0)
			return harness_fail("The client (pid %d) printed no result within %d ms",
					    (int)c->was, timeout_ms);
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(fd, c->line + have, sizeof(c->line) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return harness_fail("The client (pid %d) ended without its result line",
					    (int)c->was);
		have += (size_t)n;
		c->line[have] = '\0';
		if (have == sizeof(c->line) - 1)
			break;
	}
	c->line[strcspn(c->line, "\n")] = '\0';
	if (sscanf(c->line, "ok %lu eperm %lu refused %lu other %lu", &c->ok, &c->eperm,
		   &c->refused, &c->other) != 4)
		return harness_fail("The client printed \"%s\"", c->line);
	return 0;
}

/* The client's exit status must be that of its last call (net_client's usage). */
static int client_check_exit(const struct client *c, int status)
{
	int want = c->other ? 12 : c->refused ? 11 : c->eperm ? 10 : 0;
	char d[128];

	/* One call, or many with one outcome: the last call's is known. */
	if ((c->ok > 0) + (c->eperm > 0) + (c->refused > 0) + (c->other > 0) != 1)
		want = -1;
	CHECK(WIFEXITED(status) && (want < 0 || WEXITSTATUS(status) == want),
	      "the client (pid %d, \"%s\") ended with %s, expected exit status %d", (int)c->was,
	      c->line, harness_describe_status(status, d, sizeof(d)), want);
	return 0;
}

/*
 * Runs a client: `what` (tcp, udp, bind) to address:port, and waits for its
 * result line.  One not held has exited (and is reaped) when this returns.
 */
int client_run(const struct env *e, const struct client_opts *co, const char *what,
	       const char *address, uint16_t port, struct client *c)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	const char *path = co->path ? co->path : e->client;
	_cleanup_close_ int out_r = -EBADF, out_w = -EBADF, in_r = -EBADF;
	char portbuf[16], countbuf[24];
	char *argv[10];
	int n = 0, status;

	*c = CLIENT_INIT;
	TRY(harness_pipe(&out_r, &out_w));
	if (co->hold)
		TRY(harness_pipe(&in_r, &c->in_fd));
	snprintf(portbuf, sizeof(portbuf), "%u", port);
	snprintf(countbuf, sizeof(countbuf), "%lu", co->count ? co->count : 1);
	argv[n++] = (char *)path;
	if (co->hold)
		argv[n++] = "--hold";
	if (co->scan)
		argv[n++] = "--scan";
	argv[n++] = "--count";
	argv[n++] = countbuf;
	argv[n++] = (char *)what;
	argv[n++] = (char *)address;
	argv[n++] = portbuf;
	argv[n] = NULL;
	o.stdin_fd = co->hold ? in_r : -1;
	o.stdout_fd = out_w;
	if (co->uid != 0) {
		o.set_uid = true;
		o.uid = co->uid;
		o.gid = co->uid;
	}
	TRY(harness_spawn(path, argv, &o, &c->pid));
	c->was = c->pid;
	out_w = safe_close(out_w);
	in_r = safe_close(in_r);
	TRY(client_read_line(c, out_r, co->timeout_ms ? co->timeout_ms : CHILD_TIMEOUT_MS));
	if (co->hold)
		return 0;
	TRY(harness_wait_child(c->pid, CHILD_TIMEOUT_MS, &status));
	c->pid = 0;
	return client_check_exit(c, status);
}

/* Lets a held client end, and reaps it. */
int client_finish(struct client *c)
{
	int status;

	c->in_fd = safe_close(c->in_fd);
	if (c->pid <= 0)
		return 0;
	TRY(harness_wait_child(c->pid, CHILD_TIMEOUT_MS, &status));
	c->pid = 0;
	return client_check_exit(c, status);
}
