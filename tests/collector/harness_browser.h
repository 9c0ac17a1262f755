/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The fleet view in a real browser (harness_browser.c): HAProxy in front of
 * a collector's fleet view, as the company's sign-on proxy would be, and
 * headless Chromium loading pages through it.  Each runs as a child process
 * with its files (configuration, log, profile) in the test's directory.
 * Needs nothing else of the harness but the clock and the file helpers;
 * test_fleet_browser.c, at the end, is the fleet suite's use of it.
 *
 * Both programs are required, not optional: when one is missing the
 * functions here fail with -ENOENT and say which Debian package to install,
 * and the test fails (CI installs them).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct harness;

#define BROWSER_WIDTH  1280
#define BROWSER_HEIGHT 800

/* How long one page may take in Chromium before it is killed. */
#define BROWSER_TIMEOUT_MS (60 * 1000)

/* What the proxy is to do. */
struct browser_proxy_options {
	int ui_port; /* the collector's fleet view, TLS on 127.0.0.1 */
	const char *ca_file; /* verifies the fleet view's certificate, for the name localhost */
	const char *user; /* X-Remote-User, set on every request */
	const char *role; /* X-Remote-Role */
	/*
	 * A person's certificate and key (PEM) the proxy presents to the fleet
	 * view, for a collector that knows people by certificate rather than
	 * by the proxy's headers; NULL: none.
	 */
	const char *client_cert;
	const char *client_key;
};

/* A running HAProxy (pid 0: none). */
struct browser_proxy {
	pid_t pid;
	int port; /* http://127.0.0.1:port/ reaches the fleet view */
	char config[512];
	char log[512]; /* its stdout and stderr */
};

/*
 * Writes an HAProxy configuration into dir and starts HAProxy on a free
 * port of 127.0.0.1 in front of o->ui_port (in http mode, setting the two
 * headers, to the fleet view over TLS), killed when the caller dies, and
 * waits up to 10 s for it to accept connections; a port taken in between
 * is retried with another.  Fills *ret and returns 0; -ENOENT when HAProxy
 * is not installed, -EINVAL for a user or role that cannot be put in a
 * header, or another -errno, with why in error either way.  The caller
 * stops it with browser_proxy_stop().
 */
int browser_proxy_start(const char *dir, const struct browser_proxy_options *o,
			struct browser_proxy *ret, char *error, size_t error_size);

/*
 * Stops p (SIGTERM, then SIGKILL after 5 s) and reaps it; sets p->pid to 0.
 * Returns its exit status (128+N for signal N), or -1 when it was not
 * running any more.
 */
int browser_proxy_stop(struct browser_proxy *p);

/* One page as Chromium saw it. */
struct browser_page {
	char *dom; /* --dump-dom: the DOM after loading, serialized; owned */
	size_t dom_size;
	bool csp_violation; /* Chromium logged a Content Security Policy violation */
	char csp_message[512]; /* the first line that said so */
	char log[512]; /* Chromium's stderr */
	int exit_status;
};

/*
 * Loads url in headless Chromium (a new profile in dir, no sandbox, no GPU,
 * no extensions, a BROWSER_WIDTH x BROWSER_HEIGHT window), writes its
 * screenshot to png and fills *ret with its DOM and whether its log has a
 * Content Security Policy violation ("Content Security Policy", "Refused
 * to").  Kills the whole of Chromium after BROWSER_TIMEOUT_MS.  Returns 0;
 * -ENOENT when Chromium is not installed, -ETIMEDOUT, -EIO when it failed
 * or gave no DOM, or another -errno, with why in error (*ret is filled as
 * far as it got then, to free with browser_page_done() either way).
 */
int browser_load(const char *dir, const char *url, const char *png, struct browser_page *ret,
		 char *error, size_t error_size);

/* Frees what p owns; p may then be reused. */
void browser_page_done(struct browser_page *p);

/* Whether png is a PNG image of width x height.  Returns 0, -EBADMSG, or -errno. */
int browser_png_size(const char *png, unsigned *ret_width, unsigned *ret_height);

/*
 * The fleet view's pages /, /devices/DEVICE_ID and /rules/RULE_ID
 * (test_fleet_browser.c) in Chromium through HAProxy, as the viewer Vera
 * Viewer: screenshots fleet-overview.png, fleet-device.png and
 * fleet-rule.png in $POSTURED_SCREENSHOT_DIR (t->dir when unset), each
 * page's heading in its DOM (the overview's "Fleet compliance",
 * expect_device_text on the device's, expect_rule_text on the rule's), no
 * script and no CSP violation.  Returns 0, or -1 when a check failed.
 */
int fleet_browser_pages_expect(struct harness *t, int ui_port, const char *device_id,
			       const char *expect_device_text, const char *rule_id,
			       const char *expect_rule_text);

/* fleet_browser_pages_expect() for the fleet suite's laptop-09 and "Disk encryption". */
int fleet_browser_pages(struct harness *t, int ui_port, const char *device_id, const char *rule_id);
