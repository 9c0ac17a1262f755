// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view in a real browser (harness_browser.h): HAProxy as the
 * sign-on proxy in front of it, headless Chromium loading its pages.
 *
 * HAProxy's configuration cannot bind port 0, so a free port is found by
 * binding 127.0.0.1:0 here and closing it again; another process may take
 * it in between, so a start that fails to bind is retried on a new one.
 * Chromium runs in a process group of its own (its wrapper script, the
 * browser, its helpers), which is killed whole after the page or its
 * timeout, so nothing of it outlives the test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_browser.h"
#include "harness_file.h"
#include "harness_process.h"
#include "harness_time.h"

#define PROXY_ATTEMPTS	 5
#define PROXY_READY_MS	 10000
#define PROXY_STOP_MS	 5000
#define HEADER_VALUE_MAX 128

/* Where Debian installs them (packages haproxy and chromium); then $PATH. */
static const char *const haproxy_paths[] = { "/usr/sbin/haproxy", "/usr/bin/haproxy", NULL };
static const char *const chromium_paths[] = { "/usr/bin/chromium", NULL };

/* Unique file names in the test's directory. */
static unsigned browser_serial;

static int browser_error(char *error, size_t size, int r, const char *format, ...)
	__attribute__((format(printf, 4, 5)));

/* Says why in error; returns r. */
static int browser_error(char *error, size_t size, int r, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vsnprintf(error, size, format, ap);
	va_end(ap);
	return r;
}

/* The program name: the first of paths that is executable, else from $PATH.  0 or -ENOENT. */
static int browser_find(const char *name, const char *const *paths, char *buf, size_t size)
{
	_cleanup_free_ char *search = NULL;
	const char *path = getenv("PATH");
	char *dir, *state = NULL;

	for (const char *const *p = paths; *p; p++)
		if (access(*p, X_OK) == 0) {
			snprintf(buf, size, "%s", *p);
			return 0;
		}
	search = strdup(path ? path : "");
	if (!search)
		return -ENOMEM;
	for (dir = strtok_r(search, ":", &state); dir; dir = strtok_r(NULL, ":", &state)) {
		snprintf(buf, size, "%s/%s", dir, name);
		if (dir[0] == '/' && access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * Starts argv in a process group of its own, stdin from /dev/null, stdout
 * to out_path, stderr to err_path, HOME home unless NULL, killed when we
 * die.  Returns its pid (also its group's id) or -errno.
 */
static pid_t browser_spawn(char *const argv[], const char *out_path, const char *err_path,
			   const char *home)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		/* One file for both: one open file, or each would write over the other. */
		int err = strcmp(out_path, err_path) == 0 ?
				  out :
				  open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != parent)
			_exit(127);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(127);
		if (home)
			setenv("HOME", home, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	/* Here too, so the group exists before either side goes on. */
	setpgid(pid, pid);
	return pid;
}

/*
 * Waits until pid has exited or deadline (now_ms()) has passed, without
 * reaping it, so its pid (and its group's id) stays ours.  0 when it
 * exited, -ETIMEDOUT, or -errno.
 */
static int browser_wait_exited(pid_t pid, long long deadline)
{
	for (;;) {
		siginfo_t si = {};

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			return -errno;
		if (si.si_pid == pid)
			return 0;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		msleep(20);
	}
}

/* Reaps pid: its exit status, 128+N for signal N, or -errno. */
static int browser_reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The first line of the file at path containing one of the needles, into buf; false if none. */
static bool browser_log_line(const char *path, const char *const *needles, char *buf, size_t size)
{
	_cleanup_free_ char *log = NULL;

	if (file_read(path, &log, NULL) < 0)
		return false;
	for (char *line = log, *end; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		for (const char *const *n = needles; *n; n++)
			if (strstr(line, *n)) {
				snprintf(buf, size, "%s", line);
				return true;
			}
	}
	return false;
}

/* --- HAProxy ----------------------------------------------------------------------------------- */

/* A value HAProxy's configuration takes between double quotes as it is, in a log-format. */
static bool browser_header_value_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < HEADER_VALUE_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 @._-") ==
		       n;
}

/* The client certificate and its key in one PEM, as HAProxy's crt wants them, at path. */
static int browser_write_client_pem(const char *path, const char *cert, const char *key)
{
	_cleanup_free_ char *c = NULL, *k = NULL, *both = NULL;
	size_t c_size, k_size;
	int r;

	r = file_read(cert, &c, &c_size);
	if (r < 0)
		return r;
	r = file_read(key, &k, &k_size);
	if (r < 0)
		return r;
	both = malloc(c_size + k_size + 2);
	if (!both)
		return -ENOMEM;
	memcpy(both, c, c_size);
	both[c_size] = '\n';
	memcpy(both + c_size + 1, k, k_size);
	return file_write(path, both, c_size + 1 + k_size, 0600);
}

static int browser_write_proxy_config(const struct browser_proxy *p,
				      const struct browser_proxy_options *o, const char *pem)
{
	char text[4096];
	int n;

	n = snprintf(text, sizeof(text),
		     "# The sign-on proxy of the collector's browser test (harness_browser.c).\n"
		     "global\n"
		     "\tlog stderr format raw local0 info\n"
		     "\tnbthread 1\n"
		     "defaults\n"
		     "\tmode http\n"
		     "\tlog global\n"
		     "\toption httplog\n"
		     "\toption dontlognull\n"
		     "\ttimeout connect 5s\n"
		     "\ttimeout client 60s\n"
		     "\ttimeout server 60s\n"
		     "frontend browser\n"
		     "\tbind 127.0.0.1:%d\n"
		     "\thttp-request set-header X-Remote-User \"%s\"\n"
		     "\thttp-request set-header X-Remote-Role \"%s\"\n"
		     "\tdefault_backend fleet_view\n"
		     "backend fleet_view\n"
		     "\tserver fleet 127.0.0.1:%d ssl ca-file \"%s\" sni str(localhost)"
		     " verifyhost localhost%s%s%s\n",
		     p->port, o->user, o->role, o->ui_port, o->ca_file, pem ? " crt \"" : "",
		     pem ? pem : "", pem ? "\"" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENAMETOOLONG;
	return file_write(p->config, text, (size_t)n, 0600);
}

int browser_proxy_start(const char *dir, const struct browser_proxy_options *o,
			struct browser_proxy *ret, char *error, size_t error_size)
{
	static const char *const alerts[] = { "[ALERT]", NULL };
	struct browser_proxy p = {};
	char haproxy[256], pem[512], alert[512] = "";
	unsigned n = ++browser_serial;
	int r;

	if (browser_find("haproxy", haproxy_paths, haproxy, sizeof(haproxy)) < 0)
		return browser_error(error, error_size, -ENOENT,
				     "HAProxy is not installed (no %s, no haproxy in $PATH): "
				     "install the Debian package haproxy",
				     haproxy_paths[0]);
	if (!browser_header_value_ok(o->user) || !browser_header_value_ok(o->role))
		return browser_error(error, error_size, -EINVAL,
				     "a user or role for the proxy's headers must be letters, "
				     "digits, spaces and @._-");
	if (!o->ca_file || o->ui_port <= 0)
		return browser_error(error, error_size, -EINVAL, "no fleet view to proxy");
	snprintf(pem, sizeof(pem), "%s/haproxy-%u-client.pem", dir, n);
	if (o->client_cert) {
		r = browser_write_client_pem(pem, o->client_cert, o->client_key);
		if (r < 0)
			return browser_error(error, error_size, r, "%s: %s", pem, strerror(-r));
	}
	snprintf(p.config, sizeof(p.config), "%s/haproxy-%u.cfg", dir, n);
	snprintf(p.log, sizeof(p.log), "%s/haproxy-%u.log", dir, n);

	for (int attempt = 0; attempt < PROXY_ATTEMPTS; attempt++) {
		char *const argv[] = { haproxy, "-f", p.config, "-db", NULL };
		long long deadline = now_ms() + PROXY_READY_MS;

		p.port = port_free();
		if (p.port < 0)
			return browser_error(error, error_size, p.port, "no free port: %s",
					     strerror(-p.port));
		r = browser_write_proxy_config(&p, o, o->client_cert ? pem : NULL);
		if (r < 0)
			return browser_error(error, error_size, r, "%s: %s", p.config,
					     strerror(-r));
		p.pid = browser_spawn(argv, p.log, p.log, NULL);
		if (p.pid < 0)
			return browser_error(error, error_size, p.pid, "%s: %s", haproxy,
					     strerror(-p.pid));
		r = -ETIMEDOUT;
		while (now_ms() < deadline) {
			if (browser_wait_exited(p.pid, 0) == 0) {
				r = browser_reap(p.pid);
				break;
			}
			if (port_accepts(p.port) && browser_wait_exited(p.pid, 0) != 0) {
				*ret = p;
				return 0;
			}
			msleep(20);
		}
		if (r == -ETIMEDOUT) {
			kill(p.pid, SIGKILL);
			browser_reap(p.pid);
			return browser_error(
				error, error_size, -ETIMEDOUT,
				"HAProxy did not accept on 127.0.0.1:%d in %d s; see %s", p.port,
				PROXY_READY_MS / 1000, p.log);
		}
		browser_log_line(p.log, alerts, alert, sizeof(alert));
		/* Someone took the port between our probe and HAProxy's bind: another. */
		if (!strstr(alert, "annot bind"))
			break;
	}
	return browser_error(error, error_size, -EIO, "HAProxy exited: %s (see %s)",
			     alert[0] ? alert : "no alert logged", p.log);
}

int browser_proxy_stop(struct browser_proxy *p)
{
	int r;

	if (p->pid <= 0)
		return -1;
	if (browser_wait_exited(p->pid, 0) == 0) {
		browser_reap(p->pid);
		p->pid = 0;
		return -1; /* it was gone already */
	}
	kill(p->pid, SIGTERM);
	if (browser_wait_exited(p->pid, now_ms() + PROXY_STOP_MS) < 0)
		kill(p->pid, SIGKILL);
	r = browser_reap(p->pid);
	p->pid = 0;
	return r < 0 ? -1 : r;
}

/* --- Chromium ---------------------------------------------------------------------------------- */

void browser_page_done(struct browser_page *p)
{
	free(p->dom);
	p->dom = NULL;
	p->dom_size = 0;
}

int browser_load(const char *dir, const char *url, const char *png, struct browser_page *ret,
		 char *error, size_t error_size)
{
	static const char *const csp[] = { "Content Security Policy", "Refused to", NULL };
	char chromium[256], profile[512], user_data[600], window[64], screenshot[600], dom[512];
	unsigned n = ++browser_serial;
	pid_t pid;
	int r;

	*ret = (struct browser_page){ .exit_status = -1 };
	if (browser_find("chromium", chromium_paths, chromium, sizeof(chromium)) < 0)
		return browser_error(error, error_size, -ENOENT,
				     "Chromium is not installed (no %s, no chromium in $PATH): "
				     "install the Debian package chromium",
				     chromium_paths[0]);
	/* A throwaway profile, also its HOME: nothing of root's is read or written. */
	snprintf(profile, sizeof(profile), "%s/chromium-%u", dir, n);
	if (mkdir(profile, 0700) < 0 && errno != EEXIST)
		return browser_error(error, error_size, -errno, "%s: %s", profile, strerror(errno));
	snprintf(user_data, sizeof(user_data), "--user-data-dir=%s", profile);
	snprintf(window, sizeof(window), "--window-size=%d,%d", BROWSER_WIDTH, BROWSER_HEIGHT);
	snprintf(screenshot, sizeof(screenshot), "--screenshot=%s", png);
	snprintf(dom, sizeof(dom), "%s/chromium-%u.dom", dir, n);
	snprintf(ret->log, sizeof(ret->log), "%s/chromium-%u.log", dir, n);
	/* No screenshot of an earlier run may pass for this one's. */
	if (unlink(png) < 0 && errno != ENOENT)
		return browser_error(error, error_size, -errno, "%s: %s", png, strerror(errno));

	{
		char *const argv[] = {
			chromium,
			"--headless",
			"--no-sandbox", /* we run as root */
			"--disable-gpu",
			"--no-first-run",
			"--no-default-browser-check",
			"--disable-extensions",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--hide-scrollbars",
			"--enable-logging=stderr",
			"--v=0",
			user_data,
			window,
			screenshot,
			"--dump-dom",
			(char *)url,
			NULL,
		};

		pid = browser_spawn(argv, dom, ret->log, profile);
	}
	if (pid < 0)
		return browser_error(error, error_size, pid, "%s: %s", chromium, strerror(-pid));
	r = browser_wait_exited(pid, now_ms() + BROWSER_TIMEOUT_MS);
	/* Whatever of it is left (its helpers; all of it after the timeout) goes now. */
	kill(-pid, SIGKILL);
	ret->exit_status = browser_reap(pid);
	if (r == -ETIMEDOUT)
		return browser_error(error, error_size, -ETIMEDOUT,
				     "Chromium took more than %d s for %s, killed; see %s",
				     BROWSER_TIMEOUT_MS / 1000, url, ret->log);
	if (r < 0)
		return browser_error(error, error_size, r, "waiting for Chromium: %s",
				     strerror(-r));

	ret->csp_violation =
		browser_log_line(ret->log, csp, ret->csp_message, sizeof(ret->csp_message));
	r = file_read(dom, &ret->dom, &ret->dom_size);
	if (r < 0)
		return browser_error(error, error_size, r, "%s: %s", dom, strerror(-r));
	if (ret->exit_status != 0)
		return browser_error(error, error_size, -EIO,
				     "Chromium exited with status %d for %s; see %s",
				     ret->exit_status, url, ret->log);
	if (ret->dom_size == 0)
		return browser_error(error, error_size, -EIO, "Chromium gave no DOM for %s; see %s",
				     url, ret->log);
	return 0;
}

int browser_png_size(const char *png, unsigned *ret_width, unsigned *ret_height)
{
	static const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	_cleanup_close_ int fd = open(png, O_RDONLY | O_CLOEXEC);
	unsigned char head[24];

	if (fd < 0)
		return -errno;
	/* The signature, then the IHDR chunk: length, "IHDR", width and height big-endian. */
	if (read(fd, head, sizeof(head)) != (ssize_t)sizeof(head) ||
	    memcmp(head, signature, sizeof(signature)) != 0 || memcmp(head + 12, "IHDR", 4) != 0)
		return -EBADMSG;
	*ret_width = (unsigned)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19];
	*ret_height = (unsigned)head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23];
	return 0;
}
