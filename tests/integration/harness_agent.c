// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_agent.h"
#include "harness_child.h"
#include "harness_files.h"
#include "harness_json.h"
#include "harness_paths.h"
#include "harness_privs.h"
#include "harness_report.h"

/* --- the agents running -------------------------------------------------------- */

/*
 * Every agent started and not yet reaped, and whether a fixture started it
 * (it outlives the tests of its group) or the running test did.
 */
static struct {
	pid_t pid;
	bool fixture;
} harness_live[HARNESS_MAX_LIVE];
static bool harness_live_fixture;

static void harness_live_add(pid_t pid)
{
	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i].pid == 0) {
			harness_live[i].pid = pid;
			harness_live[i].fixture = harness_live_fixture;
			return;
		}
}

static void harness_live_remove(pid_t pid)
{
	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i].pid == pid)
			harness_live[i].pid = 0;
}

void harness_agent_owner_fixture(bool fixture)
{
	harness_live_fixture = fixture;
}

unsigned harness_agent_kill_left(bool fixture)
{
	unsigned n = 0;

	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i].pid > 0 && harness_live[i].fixture == fixture) {
			(void)kill(harness_live[i].pid, SIGKILL);
			(void)waitpid(harness_live[i].pid, NULL, 0);
			harness_live[i].pid = 0;
			n++;
		}
	return n;
}

/* --- the agent ----------------------------------------------------------------- */

struct harness_agent *harness_agent_free(struct harness_agent *a)
{
	if (!a)
		return NULL;
	if (a->pid > 0 && !a->exited) {
		(void)kill(a->pid, SIGKILL);
		(void)waitpid(a->pid, NULL, 0);
	}
	if (a->pid > 0)
		harness_live_remove(a->pid);
	safe_close(a->pidfd);
	safe_close(a->out_fd);
	safe_close(a->err_fd);
	safe_close(a->notify_fd);
	if (a->dir) {
		harness_tmpdir_remove(a->dir);
		free(a->dir);
	}
	free(a->out);
	if (a->stream)
		fclose(a->stream);
	yajl_tree_free(a->stats);
	free(a);
	return NULL;
}

const char *harness_agent_stderr(const struct harness_agent *a)
{
	static char buf[2048];
	size_t n = MIN(a->err_len, sizeof(buf) - 1);

	memcpy(buf, a->err + a->err_len - n, n);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n > 0 ? buf : "(nothing)";
}

static void harness_agent_take_notify(struct harness_agent *a)
{
	for (;;) {
		char buf[4096], *save = NULL, *line;
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(struct ucred))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = &ctl,
			.msg_controllen = sizeof(ctl),
		};
		struct cmsghdr *c;
		pid_t sender = 0;
		ssize_t n;

		n = recvmsg(a->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return;
		buf[n] = '\0';
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
				struct ucred uc;

				memcpy(&uc, CMSG_DATA(c), sizeof(uc));
				sender = uc.pid;
			}
		a->notify_messages++;
		if (sender != a->pid) {
			a->notify_foreign++;
			continue;
		}
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strcmp(line, "READY=1") == 0) {
				if (!a->ready)
					a->ready_ms = harness_now_ms();
				a->ready = true;
			} else if (strcmp(line, "STOPPING=1") == 0)
				a->stopping = true;
			else if (strcmp(line, "WATCHDOG=1") == 0)
				a->watchdogs++;
			else if (strncmp(line, "STATUS=", 7) == 0)
				snprintf(a->status_text, sizeof(a->status_text), "%s", line + 7);
		}
	}
}

static int harness_agent_read_out(struct harness_agent *a)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n;

		if (a->out_pos > 0 && a->out_pos == a->out_len)
			a->out_pos = a->out_len = 0;
		if (a->out_cap - a->out_len < 65536) {
			if (a->out_pos > 0) {
				memmove(a->out, a->out + a->out_pos, a->out_len - a->out_pos);
				a->out_len -= a->out_pos;
				a->out_pos = 0;
			}
			if (a->out_cap - a->out_len < 65536) {
				size_t cap = a->out_cap ? a->out_cap * 2 : 262144;
				char *p;

				if (cap > 64 * HARNESS_LINE_MAX)
					return -ENOBUFS;
				p = realloc(a->out, cap + 1);
				if (!p)
					return -ENOMEM;
				a->out = p;
				a->out_cap = cap;
			}
		}
		n = read(a->out_fd, a->out + a->out_len, a->out_cap - a->out_len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0) {
			a->out_eof = true;
			return 0;
		}
		a->out_len += (size_t)n;
	}
	return 0;
}

static void harness_agent_read_err(struct harness_agent *a)
{
	for (;;) {
		char buf[8192];
		ssize_t n = read(a->err_fd, buf, sizeof(buf));
		size_t room = HARNESS_STDERR_MAX - a->err_len, k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0) {
			a->err_eof = true;
			return;
		}
		k = MIN(room, (size_t)n);
		memcpy(a->err + a->err_len, buf, k);
		a->err_len += k;
		a->err[a->err_len] = '\0';
		if (k < (size_t)n) {
			size_t more = (size_t)n - k, keep;

			a->err_truncated = true;
			/* The tail keeps the last HARNESS_STDERR_TAIL bytes. */
			more = MIN(more, (size_t)HARNESS_STDERR_TAIL);
			keep = MIN(a->err_tail_len, (size_t)HARNESS_STDERR_TAIL - more);
			memmove(a->err_tail, a->err_tail + a->err_tail_len - keep, keep);
			memcpy(a->err_tail + keep, buf + (size_t)n - more, more);
			a->err_tail_len = keep + more;
			a->err_tail[a->err_tail_len] = '\0';
		}
	}
}

int harness_agent_pump(struct harness_agent *a, int timeout_ms)
{
	struct pollfd p[4];
	int n = 0, out = -1, err = -1, notify, child = -1, k, r;

	if (!a->out_eof) {
		out = n;
		p[n++] = (struct pollfd){ .fd = a->out_fd, .events = POLLIN };
	}
	if (!a->err_eof) {
		err = n;
		p[n++] = (struct pollfd){ .fd = a->err_fd, .events = POLLIN };
	}
	notify = n;
	p[n++] = (struct pollfd){ .fd = a->notify_fd, .events = POLLIN };
	if (!a->exited && a->pidfd >= 0) {
		child = n;
		p[n++] = (struct pollfd){ .fd = a->pidfd, .events = POLLIN };
	}
	k = poll(p, (nfds_t)n, timeout_ms < 0 ? 0 : timeout_ms);
	if (k < 0)
		return errno == EINTR ? 0 : -errno;
	if (out >= 0 && p[out].revents) {
		r = harness_agent_read_out(a);
		if (r < 0)
			return r;
	}
	if (err >= 0 && p[err].revents)
		harness_agent_read_err(a);
	if (p[notify].revents)
		harness_agent_take_notify(a);
	if (child >= 0 && p[child].revents) {
		pid_t w;

		do
			w = waitpid(a->pid, &a->status, WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w == a->pid) {
			a->exited = true;
			harness_live_remove(a->pid);
		}
	}
	return k;
}

/* Called with each parsed record; may take ownership by setting *ev to NULL. */
static int harness_agent_line(struct harness_agent *a, const char *line, const char *prefilter,
			      harness_event_fn fn, void *userdata)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	char err[256] = "";

	if (a->stream)
		fprintf(a->stream, "%s\n", line);
	a->event_lines++;
	/* Parsing every line of a storm costs; a prefilter says which lines matter. */
	if (prefilter && !strstr(line, prefilter))
		return 0;
	v = yajl_tree_parse(line, err, sizeof(err));
	if (v && YAJL_IS_OBJECT(v))
		return fn ? fn(&v, userdata) : 0;
	if (a->bad_lines++ == 0) {
		err[strcspn(err, "\n")] = '\0';
		snprintf(a->bad_line, sizeof(a->bad_line), "%.120s... (%s)", line, err);
	}
	return 0;
}

#define HARNESS_COUNTERS_PREFIX "Counters at stop: "

/* The last "Counters at stop: {...}" line of text into a->stats. */
static void harness_agent_take_counters(struct harness_agent *a, const char *text)
{
	const char *p = NULL, *q;
	char *line;

	for (q = text; (q = strstr(q, HARNESS_COUNTERS_PREFIX)); q++)
		p = q;
	if (!p)
		return;
	p += strlen(HARNESS_COUNTERS_PREFIX);
	line = strndup(p, strcspn(p, "\n"));
	if (!line)
		return;
	yajl_tree_free(a->stats);
	a->stats = yajl_tree_parse(line, NULL, 0);
	if (a->stats && !YAJL_IS_OBJECT(a->stats)) {
		yajl_tree_free(a->stats);
		a->stats = NULL;
	}
	free(line);
}

/* Hands each complete line to fn until fn returns non-zero; returns that, or 0. */
static int harness_agent_feed(struct harness_agent *a, const char *prefilter, harness_event_fn fn,
			      void *userdata)
{
	while (a->out_pos < a->out_len) {
		char *start = a->out + a->out_pos;
		char *nl = memchr(start, '\n', a->out_len - a->out_pos);
		int r;

		if (!nl) {
			if (!a->out_eof && a->out_len - a->out_pos < HARNESS_LINE_MAX)
				break;
			/* A last line without its newline, or one far too long. */
			nl = a->out + a->out_len;
		}
		*nl = '\0';
		a->out_pos = MIN((size_t)(nl - a->out) + 1, a->out_len);
		r = harness_agent_line(a, start, prefilter, fn, userdata);
		if (r != 0)
			return r;
	}
	return 0;
}

int harness_agent_wait(struct harness_agent *a, int timeout_ms, const char *prefilter,
		       harness_event_fn fn, void *userdata)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		int64_t left;
		int r;

		r = harness_agent_feed(a, prefilter, fn, userdata);
		if (r != 0)
			return r;
		if (a->out_eof)
			return -EPIPE;
		left = deadline - harness_now_ms();
		r = harness_agent_pump(a, left > 0 ? (int)left : 0);
		if (r < 0)
			return r;
		if (r == 0 && left <= 0)
			return 0;
	}
}

int harness_agent_wait_exit(struct harness_agent *a, int timeout_ms, const char *prefilter,
			    harness_event_fn fn, void *userdata)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		int64_t left;
		int r;

		while (harness_agent_feed(a, prefilter, fn, userdata) != 0)
			;
		if (a->out_eof && a->err_eof && a->exited)
			break;
		left = deadline - harness_now_ms();
		if (left <= 0) {
			(void)kill(a->pid, SIGKILL);
			(void)waitpid(a->pid, &a->status, 0);
			a->exited = true;
			harness_live_remove(a->pid);
			return harness_fail(
				"postured (pid %d) did not exit within %d ms; killed it. "
				"Its stderr: %s",
				(int)a->pid, timeout_ms, harness_agent_stderr(a));
		}
		r = harness_agent_pump(a, (int)left);
		if (r < 0)
			return harness_fail("Reading from postured: %s", strerror(-r));
	}
	/* Notifications sent just before the exit. */
	harness_agent_take_notify(a);
	if (a->stream)
		fflush(a->stream);
	harness_agent_take_counters(a, a->err);
	if (a->err_truncated)
		harness_agent_take_counters(a, a->err_tail);
	return 0;
}

int harness_agent_wait_stderr(struct harness_agent *a, const char *text, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		int64_t left;
		int r;

		if (strstr(a->err, text))
			return 1;
		if (a->err_eof)
			return 0;
		left = deadline - harness_now_ms();
		if (left <= 0)
			return 0;
		r = harness_agent_pump(a, (int)left);
		if (r < 0)
			return r;
	}
}

int harness_agent_stop(struct harness_agent *a, int timeout_ms, const char *prefilter,
		       harness_event_fn fn, void *userdata)
{
	if (!a->exited && kill(a->pid, SIGTERM) < 0)
		return harness_fail("Cannot signal postured (pid %d): %m", (int)a->pid);
	return harness_agent_wait_exit(a, timeout_ms, prefilter, fn, userdata);
}

int harness_agent_stop_ok(struct harness_agent *a)
{
	char d[128];

	TRY(harness_agent_stop(a, HARNESS_STOP_TIMEOUT_MS, NULL, NULL, NULL));
	CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == 0,
	      "after SIGTERM postured should exit with status 0; it ended with %s. Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	CHECK(a->bad_lines == 0,
	      "postured printed %llu lines that are not JSON objects; the first: %s",
	      (unsigned long long)a->bad_lines, a->bad_line);
	return 0;
}

int harness_agent_stop_freep(struct harness_agent **a)
{
	int r = *a ? harness_agent_stop_ok(*a) : 0;

	*a = harness_agent_free(*a);
	return r;
}

int harness_agent_start(const struct harness_agent_opts *o, struct harness_agent **ret)
{
	_cleanup_agent_ struct harness_agent *a = NULL;
	const char *argv[32];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int out[2], err[2], one = 1, n = 0;
	pid_t parent = getpid();
	uint64_t unit_caps = 0;
	char *dir = NULL;

	a = calloc(1, sizeof(*a));
	if (!a)
		return harness_fail("Out of memory");
	a->pidfd = a->out_fd = a->err_fd = a->notify_fd = -EBADF;
	TRY(harness_tmpdir_new(&dir));
	a->dir = dir;

	snprintf(a->notify_path, sizeof(a->notify_path), "%s/notify", a->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->notify_path);
	a->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->notify_fd < 0)
		return harness_fail("socket(AF_UNIX): %m");
	if (bind(a->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return harness_fail("Cannot bind %s: %m", a->notify_path);
	/* The sender's pid comes with each message: notifications must be postured's own. */
	if (setsockopt(a->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return harness_fail("SO_PASSCRED: %m");
	/* An agent running as nobody must be able to send to it. */
	if (o->privs == HARNESS_PRIVS_NOBODY && chmod(a->notify_path, 0777) < 0)
		return harness_fail("Cannot chmod %s: %m", a->notify_path);

	if (o->privs == HARNESS_PRIVS_UNIT &&
	    harness_unit_caps(harness_source_path("packaging/systemd/postured.service.in"),
			      &unit_caps) < 0)
		return -1;

	argv[n++] = o->program ? o->program : harness_build_path("postured");
	argv[n++] = "--foreground";
	if (!o->no_print_events)
		argv[n++] = "--print-events";
	if (o->stream_path) {
		a->stream = fopen(o->stream_path, "we");
		if (!a->stream)
			return harness_fail("Cannot create %s: %m", o->stream_path);
	}
	argv[n++] = "--config";
	argv[n++] = o->config ? o->config : harness_source_path("packaging/postured.conf");
	snprintf(a->status_path, sizeof(a->status_path), "%s/status.sock", a->dir);
	argv[n++] = "--status-socket";
	argv[n++] = a->status_path;
	if (o->flavor) {
		argv[n++] = "--probe-flavor";
		argv[n++] = o->flavor;
	}
	for (size_t i = 0; i < ELEMENTSOF(o->args) && o->args[i]; i++)
		argv[n++] = o->args[i];
	argv[n] = NULL;

	if (pipe2(out, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	if (pipe2(err, O_CLOEXEC) < 0) {
		safe_close(out[0]);
		safe_close(out[1]);
		return harness_fail("pipe2: %m");
	}
	a->out_fd = out[0];
	a->err_fd = err[0];
	/* Room for a burst of records while the test is busy elsewhere. */
	(void)fcntl(a->out_fd, F_SETPIPE_SZ, 1024 * 1024);

	fflush(stdout);
	a->started_ms = harness_now_ms();
	a->pid = fork();
	if (a->pid < 0) {
		safe_close(out[1]);
		safe_close(err[1]);
		return harness_fail("fork: %m");
	}
	if (a->pid == 0) {
		char pidbuf[32];
		int r = 0;

		harness_child_setup(parent, -1, out[1], err[1]);
		/* Whatever the test itself runs under is not postured's business. */
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		unsetenv("JOURNAL_STREAM");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("POSTURED_LOG_LEVEL");
		setenv("NOTIFY_SOCKET", a->notify_path, 1);
		if (o->watchdog_usec) {
			snprintf(pidbuf, sizeof(pidbuf), "%d",
				 (int)(o->watchdog_pid ? o->watchdog_pid : getpid()));
			setenv("WATCHDOG_USEC", o->watchdog_usec, 1);
			setenv("WATCHDOG_PID", pidbuf, 1);
		}
		if (o->privs == HARNESS_PRIVS_NOBODY)
			r = harness_become(65534, 65534);
		else if (o->privs == HARNESS_PRIVS_NO_CAPS)
			r = harness_drop_all_caps();
		else if (o->privs == HARNESS_PRIVS_UNIT)
			r = harness_keep_caps(unit_caps);
		if (r < 0) {
			dprintf(STDERR_FILENO, "harness: cannot drop privileges: %s\n",
				strerror(-r));
			_exit(127);
		}
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], (char *const *)argv);
		dprintf(STDERR_FILENO, "harness: cannot execute %s: %m\n", argv[0]);
		_exit(127);
	}
	harness_live_add(a->pid);
	a->watchdog_env = o->watchdog_usec != NULL;
	safe_close(out[1]);
	safe_close(err[1]);
	a->pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
	if (a->pidfd < 0)
		return harness_fail("pidfd_open: %m");
	(void)fcntl(a->out_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(a->err_fd, F_SETFL, O_NONBLOCK);

	if (!o->no_wait_ready) {
		int64_t deadline = a->started_ms + HARNESS_READY_TIMEOUT_MS;

		while (!a->ready) {
			int64_t left = deadline - harness_now_ms();
			int r;

			if (a->exited) {
				char st[128];

				/* Everything it said on the way out. */
				while (!a->err_eof && harness_agent_pump(a, 1000) > 0)
					;
				return harness_fail("postured exited before READY=1 (%s). Its "
						    "stderr: %s",
						    harness_describe_status(a->status, st,
									    sizeof(st)),
						    harness_agent_stderr(a));
			}
			if (left <= 0)
				return harness_fail("No READY=1 on NOTIFY_SOCKET within %d ms of "
						    "starting postured (%u other notifications, "
						    "%u from other pids). Its stderr: %s",
						    HARNESS_READY_TIMEOUT_MS, a->notify_messages,
						    a->notify_foreign, harness_agent_stderr(a));
			r = harness_agent_pump(a, (int)left);
			if (r < 0)
				return harness_fail("Waiting for postured: %s", strerror(-r));
		}
	}
	*ret = TAKE_PTR(a);
	return 0;
}
