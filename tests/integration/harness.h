/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The integration tests' harness: runs the real build/postured as a child with
 * its stdout and stderr on pipes and NOTIFY_SOCKET pointing at a datagram
 * socket of ours, waits for READY=1, hands the JSON lines it prints to the
 * test (parsed with yajl_tree) with timeouts, stops it with SIGTERM and
 * collects its exit status; plus a tiny test registry that prints each test's
 * result and ends with the line "N passed, N failed".
 *
 * Everything here is static: one test program includes this header once.
 * No postured is left behind: each gets SIGKILL when the test process dies
 * (PR_SET_PDEATHSIG), the agent's destructor kills one still running, and an
 * agent a test forgot is killed after the test and counted as its failure.
 */
#ifndef POSTURED_TESTS_HARNESS_H
#define POSTURED_TESTS_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"

/* How long postured may take from exec to READY=1, and from SIGTERM to exit. */
#define HARNESS_READY_TIMEOUT_MS 15000
#define HARNESS_STOP_TIMEOUT_MS	 15000
/* Bounds on what is kept of the agent's output. */
#define HARNESS_STDERR_MAX (256 * 1024)
#define HARNESS_LINE_MAX   (1024 * 1024)
#define HARNESS_MAX_LIVE   16

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);

/* --- time, reporting ----------------------------------------------------- */

static inline int64_t harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline const char *harness_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static inline int harness_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints why the running test fails; returns -1 for the test to return. */
static inline int harness_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("    FAIL (%s:%d): ", harness_basename(file), line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return -1;
}

#define harness_fail(...) harness_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Fails the running test with the message unless cond holds. */
#define CHECK(cond, ...)                                  \
	do {                                              \
		if (!(cond))                              \
			return harness_fail(__VA_ARGS__); \
	} while (0)

/* Returns -1 from the test when a harness call failed (it said why). */
#define TRY(expr)                  \
	do {                       \
		if ((expr) < 0)    \
			return -1; \
	} while (0)

static inline void harness_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line of information in the test's output (numbers worth seeing). */
static inline void harness_note(const char *fmt, ...)
{
	va_list ap;

	printf("    # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* --- paths ---------------------------------------------------------------- */

static char harness_build[PATH_MAX];
static char harness_source[PATH_MAX];

/*
 * The build directory: $POSTURED_BUILD_DIR (tests/run-integration sets it), else
 * two levels above this binary (BUILD/tests/integration/NAME).  The source
 * tree: $POSTURED_SOURCE_DIR, else the build directory's parent.
 */
static inline int harness_paths_init(void)
{
	const char *e = getenv("POSTURED_BUILD_DIR");
	char self[PATH_MAX];
	ssize_t n;

	if (e && *e) {
		if (!realpath(e, harness_build))
			return harness_fail("POSTURED_BUILD_DIR=%s: %m", e);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return harness_fail("Cannot read /proc/self/exe: %m");
		self[n] = '\0';
		for (int i = 0; i < 3; i++) {
			char *s = strrchr(self, '/');

			if (s)
				*s = '\0';
		}
		snprintf(harness_build, sizeof(harness_build), "%s", self);
	}
	e = getenv("POSTURED_SOURCE_DIR");
	if (e && *e) {
		if (!realpath(e, harness_source))
			return harness_fail("POSTURED_SOURCE_DIR=%s: %m", e);
	} else {
		char up[PATH_MAX + 4];

		snprintf(up, sizeof(up), "%s/..", harness_build);
		if (!realpath(up, harness_source))
			return harness_fail("Cannot resolve %s: %m", up);
	}
	return 0;
}

/* BUILD/rel and SOURCE/rel, in static buffers of their own (a few at a time). */
static inline const char *harness_build_path(const char *rel)
{
	static char bufs[4][PATH_MAX + 256];
	static unsigned next;
	char *b = bufs[next++ % ELEMENTSOF(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s/%s", harness_build, rel);
	return b;
}

static inline const char *harness_source_path(const char *rel)
{
	static char bufs[4][PATH_MAX + 256];
	static unsigned next;
	char *b = bufs[next++ % ELEMENTSOF(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s/%s", harness_source, rel);
	return b;
}

/* --- temporary directories and unique binaries ---------------------------- */

/* Removes dir and the plain files in it (all the harness ever puts there). */
static inline void harness_tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

static inline void harness_tmpdir_freep(char **dir)
{
	if (*dir) {
		harness_tmpdir_remove(*dir);
		free(*dir);
		*dir = NULL;
	}
}

#define _cleanup_tmpdir_ _cleanup_(harness_tmpdir_freep)

/*
 * A fresh directory $TMPDIR/postured-it.XXXXXX (TMPDIR defaults to /tmp;
 * tests/run-integration points it at a directory it removes after the suite,
 * so even a killed run leaves nothing behind), searchable by everyone so a
 * test child that dropped to another user can exec from it.  *ret is the
 * caller's.
 */
static inline int harness_tmpdir_new(char **ret)
{
	const char *base = getenv("TMPDIR");
	char tmpl[128];
	char *d;

	/* The notify socket goes in there, and sun_path is short. */
	if (!base || base[0] != '/' || strlen(base) > 64)
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/postured-it.XXXXXX", base);
	if (!mkdtemp(tmpl))
		return harness_fail("Cannot create a directory from %s: %m", tmpl);
	if (chmod(tmpl, 0755) < 0) {
		harness_fail("Cannot chmod %s: %m", tmpl);
		harness_tmpdir_remove(tmpl);
		return -1;
	}
	d = strdup(tmpl);
	if (!d) {
		harness_tmpdir_remove(tmpl);
		return harness_fail("Out of memory");
	}
	*ret = d;
	return 0;
}

static inline int harness_write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0)
		return harness_fail("Cannot create %s: %m", path);
	if (write(fd, text, len) != (ssize_t)len)
		return harness_fail("Cannot write %s: %m", path);
	return 0;
}

/*
 * Copies src into dir under a name no other test run uses:
 * <basename>-<our pid>-<16 random hex digits>, mode 0755.  *ret is malloc'd.
 */
static inline int harness_unique_copy(const char *dir, const char *src, char **ret)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	_cleanup_free_ char *path = NULL;
	uint64_t rnd;
	char buf[65536];
	ssize_t n;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return harness_fail("getrandom: %m");
	if (asprintf(&path, "%s/%s-%d-%016llx", dir, harness_basename(src), (int)getpid(),
		     (unsigned long long)rnd) < 0) {
		path = NULL;
		return harness_fail("Out of memory");
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return harness_fail("Cannot open %s (was it built? make integration builds it): %m",
				    src);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0)
		return harness_fail("Cannot create %s: %m", path);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return harness_fail("Cannot write %s: %m", path);
	if (n < 0)
		return harness_fail("Cannot read %s: %m", src);
	if (fchmod(out, 0755) < 0)
		return harness_fail("Cannot chmod %s: %m", path);
	/* Closed before anyone execs it, or exec fails with ETXTBSY. */
	out = safe_close(out);
	*ret = TAKE_PTR(path);
	return 0;
}

/* --- JSON ----------------------------------------------------------------- */

/* The value at a path of object keys, or NULL: harness_json(v, "process", "pid"). */
#define harness_json(v, ...) yajl_tree_get((v), (const char *[]){ __VA_ARGS__, NULL }, yajl_t_any)

static inline bool harness_json_int(yajl_val v, long long *ret)
{
	if (!v || !YAJL_IS_INTEGER(v))
		return false;
	*ret = YAJL_GET_INTEGER(v);
	return true;
}

static inline const char *harness_json_str(yajl_val v)
{
	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* What a value is, for messages: missing, "text", 12, true, an object ... */
static inline const char *harness_json_describe(yajl_val v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "nothing (the key is missing)");
	else if (YAJL_IS_STRING(v))
		snprintf(buf, size, "\"%.200s\"", YAJL_GET_STRING(v));
	else if (YAJL_IS_INTEGER(v))
		snprintf(buf, size, "%lld", YAJL_GET_INTEGER(v));
	else if (YAJL_IS_NUMBER(v))
		snprintf(buf, size, "%s", YAJL_GET_NUMBER(v));
	else if (YAJL_IS_TRUE(v))
		snprintf(buf, size, "true");
	else if (YAJL_IS_FALSE(v))
		snprintf(buf, size, "false");
	else if (YAJL_IS_NULL(v))
		snprintf(buf, size, "null");
	else if (YAJL_IS_OBJECT(v))
		snprintf(buf, size, "an object");
	else
		snprintf(buf, size, "an array");
	return buf;
}

static inline const char *harness_json_path(const char **path, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; path[i] && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "." : "", path[i]);
	return buf;
}

static inline int harness_expect_int_at(const char *file, int line, const char *what, yajl_val root,
					long long want, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	char p[256], d[256];
	long long have;

	if (harness_json_int(v, &have) && have == want)
		return 0;
	return harness_fail_at(file, line, "%s: expected %s == %lld, saw %s", what,
			       harness_json_path(path, p, sizeof(p)), want,
			       harness_json_describe(v, d, sizeof(d)));
}

static inline int harness_expect_str_at(const char *file, int line, const char *what, yajl_val root,
					const char *want, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	const char *have = harness_json_str(v);
	char p[256], d[512];

	if (have && strcmp(have, want) == 0)
		return 0;
	return harness_fail_at(file, line, "%s: expected %s == \"%s\", saw %s", what,
			       harness_json_path(path, p, sizeof(p)), want,
			       harness_json_describe(v, d, sizeof(d)));
}

static inline int harness_expect_absent_at(const char *file, int line, const char *what,
					   yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	char p[256], d[512];

	if (!v)
		return 0;
	return harness_fail_at(file, line, "%s: expected no %s, saw %s", what,
			       harness_json_path(path, p, sizeof(p)),
			       harness_json_describe(v, d, sizeof(d)));
}

/* In a test: the record `what` must hold the integer/string at the path, or have nothing there. */
#define EXPECT_JSON_INT(what, root, want, ...)                          \
	TRY(harness_expect_int_at(__FILE__, __LINE__, what, root, want, \
				  (const char *[]){ __VA_ARGS__, NULL }))
#define EXPECT_JSON_STR(what, root, want, ...)                          \
	TRY(harness_expect_str_at(__FILE__, __LINE__, what, root, want, \
				  (const char *[]){ __VA_ARGS__, NULL }))
#define EXPECT_JSON_ABSENT(what, root, ...)                          \
	TRY(harness_expect_absent_at(__FILE__, __LINE__, what, root, \
				     (const char *[]){ __VA_ARGS__, NULL }))

/* --- children ------------------------------------------------------------- */

static pid_t harness_live[HARNESS_MAX_LIVE];

static inline void harness_live_add(pid_t pid)
{
	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i] == 0) {
			harness_live[i] = pid;
			return;
		}
}

static inline void harness_live_remove(pid_t pid)
{
	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i] == pid)
			harness_live[i] = 0;
}

/* Kills and reaps every agent still running; returns how many there were. */
static inline unsigned harness_live_kill_all(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < ELEMENTSOF(harness_live); i++)
		if (harness_live[i] > 0) {
			(void)kill(harness_live[i], SIGKILL);
			(void)waitpid(harness_live[i], NULL, 0);
			harness_live[i] = 0;
			n++;
		}
	return n;
}

/* Drops every capability, the bounding set included, so not even uid 0's exec regains them. */
static inline int harness_drop_all_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	for (int c = 0; c <= 63; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/* Becomes uid and gid (no supplementary groups); the kernel clears capabilities. */
static inline int harness_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return 0;
}

struct harness_child_opts {
	bool set_uid; /* run as uid/gid (setresuid in the child before exec) */
	uid_t uid;
	gid_t gid;
	int stdin_fd; /* -1: /dev/null */
	int stdout_fd; /* -1: ours */
};

#define HARNESS_CHILD_OPTS_DEFAULT ((struct harness_child_opts){ .stdin_fd = -1, .stdout_fd = -1 })

/*
 * In a forked child: what every child of ours does before its exec.  It gets
 * the given stdin (-1: /dev/null), stdout and stderr (-1: ours) and no other
 * fd (make's jobserver pipes, say), default signal handling, and SIGKILL when
 * the test dies.
 */
static inline void harness_child_setup(pid_t parent, int stdin_fd, int stdout_fd, int stderr_fd)
{
	sigset_t none;

	/* Dies with the test, whatever kills it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (stdin_fd < 0)
		stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0)
		_exit(127);
	if (stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
}

/* Forks and execs path with argv; *ret_pid is the child. */
static inline int harness_spawn(const char *path, char *const argv[],
				const struct harness_child_opts *o, pid_t *ret_pid)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0) {
		harness_child_setup(parent, o->stdin_fd, o->stdout_fd, -1);
		if (o->set_uid) {
			if (harness_become(o->uid, o->gid) < 0) {
				dprintf(STDERR_FILENO, "harness: cannot become uid %u: %m\n",
					(unsigned)o->uid);
				_exit(127);
			}
			/* A change of credentials cleared it. */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		}
		execv(path, argv);
		dprintf(STDERR_FILENO, "harness: cannot execute %s: %m\n", path);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

/*
 * Waits up to timeout_ms for the child pid to end and reaps it.  On timeout it
 * is killed, reaped, and the test fails.
 */
static inline int harness_wait_child(pid_t pid, int timeout_ms, int *ret_status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status;
	pid_t r;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int64_t deadline = harness_now_ms() + timeout_ms;

		for (;;) {
			int64_t left = deadline - harness_now_ms();
			int k = poll(&p, 1, left > 0 ? (int)left : 0);

			if (k > 0)
				break;
			if (k == 0 || (k < 0 && errno != EINTR)) {
				(void)kill(pid, SIGKILL);
				(void)waitpid(pid, NULL, 0);
				return harness_fail("Child %d did not end within %d ms; killed it",
						    (int)pid, timeout_ms);
			}
		}
	}
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return harness_fail("waitpid(%d): %m", (int)pid);
	*ret_status = status;
	return 0;
}

static inline const char *harness_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned)status);
	return buf;
}

/* --- the agent ------------------------------------------------------------ */

enum harness_privs {
	HARNESS_PRIVS_ROOT, /* as we are: root with every capability */
	HARNESS_PRIVS_NOBODY, /* uid and gid 65534, no capabilities */
	HARNESS_PRIVS_NO_CAPS, /* uid 0 without any capability, the bounding set emptied */
};

struct harness_agent_opts {
	const char *flavor; /* --probe-flavor NAME, or NULL */
	const char *config; /* --config FILE; NULL: the packaged postured.conf */
	const char *args[8]; /* more arguments, up to the first NULL */
	const char *watchdog_usec; /* WATCHDOG_USEC, or NULL for none */
	pid_t watchdog_pid; /* WATCHDOG_PID when watchdog_usec is set; 0: postured's own */
	enum harness_privs privs;
	bool no_wait_ready; /* return at once instead of waiting for READY=1 */
	bool no_print_events; /* leave out --print-events: the kernel filter closes */
};

struct harness_agent {
	pid_t pid;
	int pidfd, out_fd, err_fd, notify_fd;
	char *dir; /* private directory holding the notify socket */
	char notify_path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	/* Its own status socket, so agents of tests never meet at /run/postured. */
	char status_path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	int64_t started_ms, ready_ms;

	/* stdout: bytes [out_pos, out_len) of out are not yet handed out. */
	char *out;
	size_t out_pos, out_len, out_cap;
	bool out_eof;
	uint64_t event_lines; /* lines other than agent_stats */
	uint64_t bad_lines; /* lines that did not parse */
	char bad_line[256]; /* the first of them */
	uint64_t lines_after_stats; /* agent_stats must be the last line */
	yajl_val stats; /* the agent_stats line, parsed */

	char err[HARNESS_STDERR_MAX + 1];
	size_t err_len;
	bool err_eof, err_truncated;

	bool exited;
	int status;
	bool watchdog_env; /* WATCHDOG_USEC was set for it */

	/* What arrived on NOTIFY_SOCKET. */
	bool ready, stopping;
	unsigned watchdogs, notify_messages, notify_foreign;
	char status_text[256];
};

static inline struct harness_agent *harness_agent_free(struct harness_agent *a)
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
	yajl_tree_free(a->stats);
	free(a);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct harness_agent *, harness_agent_free);
#define _cleanup_agent_ _cleanup_(harness_agent_freep)

/* The last part of what the agent wrote on stderr, for messages (a static buffer). */
static inline const char *harness_agent_stderr(const struct harness_agent *a)
{
	static char buf[2048];
	size_t n = MIN(a->err_len, sizeof(buf) - 1);

	memcpy(buf, a->err + a->err_len - n, n);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n > 0 ? buf : "(nothing)";
}

static inline void harness_agent_take_notify(struct harness_agent *a)
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

static inline int harness_agent_read_out(struct harness_agent *a)
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

static inline void harness_agent_read_err(struct harness_agent *a)
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
		if (k < (size_t)n)
			a->err_truncated = true;
	}
}

/*
 * Waits up to timeout_ms for anything from the agent (output, a notification,
 * its exit) and takes in all that is there.  Returns > 0 when something
 * happened, 0 on timeout, -errno.
 */
static inline int harness_agent_pump(struct harness_agent *a, int timeout_ms)
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
typedef int (*harness_event_fn)(yajl_val *ev, void *userdata);

#define HARNESS_STATS_PREFIX "{\"postured\":{\"event\":\"agent_stats\""

static inline int harness_agent_line(struct harness_agent *a, const char *line,
				     const char *prefilter, harness_event_fn fn, void *userdata)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	char err[256] = "";

	if (strncmp(line, HARNESS_STATS_PREFIX, strlen(HARNESS_STATS_PREFIX)) == 0) {
		v = yajl_tree_parse(line, err, sizeof(err));
		if (v && YAJL_IS_OBJECT(v) && v->u.object.len == 1 &&
		    YAJL_IS_OBJECT(v->u.object.values[0])) {
			yajl_tree_free(a->stats);
			a->stats = TAKE_PTR(v);
			return 0;
		}
	} else {
		if (a->stats)
			a->lines_after_stats++;
		a->event_lines++;
		/* Parsing every line of a storm costs; a prefilter says which lines matter. */
		if (prefilter && !strstr(line, prefilter))
			return 0;
		v = yajl_tree_parse(line, err, sizeof(err));
		if (v && YAJL_IS_OBJECT(v))
			return fn ? fn(&v, userdata) : 0;
	}
	if (a->bad_lines++ == 0) {
		err[strcspn(err, "\n")] = '\0';
		snprintf(a->bad_line, sizeof(a->bad_line), "%.120s... (%s)", line, err);
	}
	return 0;
}

/* Hands each complete line to fn until fn returns non-zero; returns that, or 0. */
static inline int harness_agent_feed(struct harness_agent *a, const char *prefilter,
				     harness_event_fn fn, void *userdata)
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

/*
 * Feeds the agent's records to fn (only lines containing prefilter, when
 * given) until fn returns non-zero, timeout_ms pass, or the output ends.
 * Returns fn's non-zero value, 0 on timeout, -EPIPE when the agent's output
 * ended, another -errno.
 */
static inline int harness_agent_wait(struct harness_agent *a, int timeout_ms, const char *prefilter,
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

/*
 * Waits until the agent has exited and closed its output, feeding every line
 * to fn (whatever it returns).  After timeout_ms it is killed and the test
 * fails.  The exit status is in a->status.
 */
static inline int harness_agent_wait_exit(struct harness_agent *a, int timeout_ms,
					  const char *prefilter, harness_event_fn fn,
					  void *userdata)
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
	return 0;
}

/*
 * Waits up to timeout_ms for text to appear in what the agent wrote on stderr
 * (all of it, from the start), keeping its records for later.  Returns 1 when
 * it is there, 0 on timeout or when stderr ended without it, -errno.
 */
static inline int harness_agent_wait_stderr(struct harness_agent *a, const char *text,
					    int timeout_ms)
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

/* SIGTERM, then harness_agent_wait_exit(). */
static inline int harness_agent_stop(struct harness_agent *a, int timeout_ms, const char *prefilter,
				     harness_event_fn fn, void *userdata)
{
	if (!a->exited && kill(a->pid, SIGTERM) < 0)
		return harness_fail("Cannot signal postured (pid %d): %m", (int)a->pid);
	return harness_agent_wait_exit(a, timeout_ms, prefilter, fn, userdata);
}

/*
 * Starts build/postured --foreground --print-events --config ... with o's
 * options, stdout and stderr on pipes and NOTIFY_SOCKET on a socket of ours,
 * and (unless o->no_wait_ready) waits for READY=1.  *ret is the caller's.
 */
static inline int harness_agent_start(const struct harness_agent_opts *o,
				      struct harness_agent **ret)
{
	_cleanup_agent_ struct harness_agent *a = NULL;
	const char *argv[32];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int out[2], err[2], one = 1, n = 0;
	pid_t parent = getpid();
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

	argv[n++] = harness_build_path("postured");
	argv[n++] = "--foreground";
	if (!o->no_print_events)
		argv[n++] = "--print-events";
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

/* --- the test registry ---------------------------------------------------- */

/* --- files and children shared by the suites ----------------------------------- */

/* The path of a test helper program built in BUILD/tests/helpers/. */
static inline const char *harness_helper(const char *name)
{
	static char bufs[2][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % ELEMENTSOF(bufs)];
	char rel[64];

	snprintf(rel, sizeof(rel), "tests/helpers/%s", name);
	snprintf(b, PATH_MAX, "%s", harness_build_path(rel));
	return b;
}

/* Copies src to dst, mode 0755; closed before anyone execs it (ETXTBSY). */
static inline int harness_copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	char buf[65536];
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return harness_fail("Cannot open %s (was it built? make integration builds it): %m",
				    src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0)
		return harness_fail("Cannot create %s: %m", dst);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return harness_fail("Cannot write %s: %m", dst);
	if (n < 0)
		return harness_fail("Cannot read %s: %m", src);
	if (fchmod(out, 0755) < 0)
		return harness_fail("Cannot chmod %s: %m", dst);
	return 0;
}

/* Reads a whole text file into *ret (NUL-terminated; the caller frees it). */
static inline int harness_read_text(const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0, cap = 0;
	ssize_t n;

	if (fd < 0)
		return harness_fail("Cannot open %s: %m", path);
	do {
		if (cap - have < 4096) {
			char *p = realloc(text, cap + 65536);

			if (!p)
				return harness_fail("Out of memory");
			text = p;
			cap += 65536;
		}
		n = read(fd, text + have, cap - have - 1);
		if (n < 0)
			return harness_fail("Cannot read %s: %m", path);
		have += (size_t)n;
	} while (n > 0);
	text[have] = '\0';
	*ret = TAKE_PTR(text);
	return 0;
}

/* Replaces every @KEY@ of vars (pairs of key and value, NULL-terminated) in text. */
static inline char *harness_substitute(const char *text, const char *const *vars)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out;

	for (size_t i = 0; vars[i]; i += 2)
		cap += strlen(vars[i + 1]) * 8;
	out = malloc(cap);
	if (!out)
		return NULL;
	while (*text) {
		bool done = false;

		for (size_t i = 0; vars[i] && *text == '@'; i += 2) {
			size_t k = strlen(vars[i]);

			if (strncmp(text + 1, vars[i], k) != 0 || text[k + 1] != '@')
				continue;
			len += (size_t)snprintf(out + len, cap - len, "%s", vars[i + 1]);
			text += k + 2;
			done = true;
			break;
		}
		if (!done && len + 1 < cap)
			out[len++] = *text++;
		else if (!done)
			break;
	}
	out[len] = '\0';
	return out;
}

/* A child still running when a test leaves is killed and reaped. */
static inline void harness_child_killp(pid_t *pid)
{
	if (*pid > 0) {
		(void)kill(*pid, SIGKILL);
		(void)waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

#define _cleanup_child_ _cleanup_(harness_child_killp)

struct harness_test {
	const char *name;
	int (*run)(const void *arg); /* 0: passed; < 0: failed (it printed why) */
	const void *arg;
};

static inline bool harness_selected(const char *name, int argc, char *argv[])
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

/*
 * Runs the tests whose names contain one of the arguments (all without
 * arguments; --list prints the names), prints each one's result and time, and
 * ends with "N passed, N failed".  Returns main()'s exit status.
 */
static inline int harness_main(const struct harness_test *tests, size_t n, int argc, char *argv[])
{
	unsigned passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	if (geteuid() != 0) {
		printf("These tests load eBPF programs into the kernel and must run as root.\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if (harness_paths_init() < 0 || access(harness_build_path("postured"), X_OK) < 0) {
		printf("Cannot find postured under %s (run make integration, or set "
		       "POSTURED_BUILD_DIR).\n0 passed, 1 failed\n",
		       harness_build);
		return 1;
	}

	for (size_t i = 0; i < n; i++) {
		const struct harness_test *t = &tests[i];
		int64_t begin;
		unsigned left;
		int r;

		if (!harness_selected(t->name, argc, argv))
			continue;
		printf("[ RUN    ] %s\n", t->name);
		begin = harness_now_ms();
		r = t->run(t->arg);
		left = harness_live_kill_all();
		if (left > 0)
			r = harness_fail(
				"The test left %u postured process(es) running; killed them", left);
		printf("[ %s ] %s (%.2f s)\n", r < 0 ? "FAILED" : "    OK", t->name,
		       (double)(harness_now_ms() - begin) / 1000.0);
		if (r < 0)
			failed++;
		else
			passed++;
	}
	if (passed + failed == 0)
		printf("No test name contains what was asked for; --list shows them.\n");
	printf("%u passed, %u failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}

#endif
