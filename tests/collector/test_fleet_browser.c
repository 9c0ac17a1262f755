// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fleet view in a real browser: headless Chromium through HAProxy, as
 * IT sees it behind the sign-on proxy.  Each page is screenshotted (to look
 * at: $POSTURED_SCREENSHOT_DIR, which tests/collector/run sets to
 * build/screenshots), shows what it is about in its heading, carries no
 * script, and renders under the strict CSP without one violation (an
 * inline style would be one).  A page made to break the policy is loaded
 * first, so the check is seen to catch a violation at all.
 *
 * fleet_browser_pages() is called by test_fleet.c's table, on its fleet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "harness.h"
#include "harness_browser.h"

/* pki/person-viewer.crt's CN and OU (tools/make-test-pki). */
#define VIEWER	    "Vera Viewer"
#define VIEWER_ROLE "viewer"

/* Below this a 1280x800 screenshot of a page is blank, or an error page at best. */
#define SCREENSHOT_MIN_BYTES (10 * 1024)

/* mkdir -p path, mode 0755.  0 or -errno. */
static int mkdir_parents(const char *path)
{
	char buf[512];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (end)
			return 0;
		*p = '/';
	}
}

/* s percent-encoded as a path segment (RFC 3986 unreserved characters stay) into buf. */
static void url_segment(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)s; *c && n + 4 <= size; c++) {
		if (strchr("-._~", *c) || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= 'A' && *c <= 'Z')) {
			buf[n++] = (char)*c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*c >> 4];
			buf[n++] = hex[*c & 0xf];
		}
	}
	buf[n] = '\0';
}

/* The control: a page whose own CSP its inline style and script break. */
static int check_csp_is_seen(struct harness *t)
{
	static const char page[] =
		"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\""
		" content=\"default-src 'none'; style-src 'self'\"><title>control</title></head>"
		"<body><p style=\"color: red\">inline style</p><script>document.title = 'x'"
		"</script></body></html>\n";
	_cleanup_(browser_page_done) struct browser_page p = {};
	char html[512], url[600], png[512], error[512];
	int r;

	file_path(html, sizeof(html), t->dir, "csp-control.html");
	file_path(png, sizeof(png), t->dir, "csp-control.png");
	CHECK(file_write(html, page, strlen(page), 0644) == 0, "cannot write %s", html);
	snprintf(url, sizeof(url), "file://%s", html);
	r = browser_load(t->dir, url, png, &p, error, sizeof(error));
	CHECK(r == 0, "%s", error);
	CHECK(p.csp_violation,
	      "Chromium logged no CSP violation for a page that has two; the check would see "
	      "none either (see %s)",
	      p.log);
	return 0;
}

/* One page through the proxy: its screenshot, its heading, no script, no CSP violation. */
static int check_page(struct harness *t, const struct browser_proxy *proxy, const char *dir,
		      const char *path, const char *png_name, const char *heading)
{
	_cleanup_(browser_page_done) struct browser_page p = {};
	char url[600], png[512], h1[256], error[512];
	unsigned width = 0, height = 0;
	struct stat st;
	int r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", proxy->port, path);
	file_path(png, sizeof(png), dir, png_name);
	r = browser_load(t->dir, url, png, &p, error, sizeof(error));
	CHECK(r == 0, "%s", error);

	CHECK(stat(png, &st) == 0, "%s: no screenshot %s; see %s", path, png, p.log);
	CHECK(st.st_size > SCREENSHOT_MIN_BYTES, "%s: the screenshot %s has only %lld bytes", path,
	      png, (long long)st.st_size);
	CHECK(browser_png_size(png, &width, &height) == 0 && width == BROWSER_WIDTH &&
		      height == BROWSER_HEIGHT,
	      "%s: the screenshot is %ux%u, not %dx%d", path, width, height, BROWSER_WIDTH,
	      BROWSER_HEIGHT);

	/* The heading says what the page is about, and the top bar whom the proxy named. */
	snprintf(h1, sizeof(h1), "<h1>%s", heading);
	CHECK(strstr(p.dom, h1), "%s: no heading '%s' in the DOM (%zu bytes; see %s)", path,
	      heading, p.dom_size, p.log);
	CHECK(strstr(p.dom, "<span class=\"user-name\">" VIEWER "</span>"),
	      "%s: the page is not " VIEWER "'s", path);
	CHECK(!strcasestr(p.dom, "<script"), "%s: the DOM has a <script", path);
	CHECK(!p.csp_violation, "%s: Chromium logged a CSP violation: %s", path, p.csp_message);
	return 0;
}

static int check_pages(struct harness *t, const struct browser_proxy *proxy, const char *device_id,
		       const char *expect_device_text, const char *rule_id,
		       const char *expect_rule_text)
{
	const char *env = getenv("POSTURED_SCREENSHOT_DIR");
	char dir[512], path[256], rule[200];
	int r;

	snprintf(dir, sizeof(dir), "%s", env && env[0] ? env : t->dir);
	r = mkdir_parents(dir);
	CHECK(r == 0, "cannot make the screenshot directory %s: %s", dir, strerror(-r));

	if (check_page(t, proxy, dir, "/", "fleet-overview.png", "Fleet compliance") < 0)
		return -1;
	snprintf(path, sizeof(path), "/devices/%s", device_id);
	if (check_page(t, proxy, dir, path, "fleet-device.png", expect_device_text) < 0)
		return -1;
	url_segment(rule_id, rule, sizeof(rule));
	snprintf(path, sizeof(path), "/rules/%s", rule);
	if (check_page(t, proxy, dir, path, "fleet-rule.png", expect_rule_text) < 0)
		return -1;
	fprintf(stderr, "    screenshots: %s/fleet-{overview,device,rule}.png\n", dir);
	return 0;
}

int fleet_browser_pages_expect(struct harness *t, int ui_port, const char *device_id,
			       const char *expect_device_text, const char *rule_id,
			       const char *expect_rule_text)
{
	char ca[512], cert[512], key[512], error[512];
	/*
	 * The headers name Vera, for a collector that trusts its proxy
	 * (--ui-trust-proxy); the fleet suite's knows people by certificate
	 * only (--ui-ca), so the proxy presents hers as well, and she is the
	 * viewer either way.
	 */
	const struct browser_proxy_options o = {
		.ui_port = ui_port,
		.ca_file = ca,
		.user = VIEWER,
		.role = VIEWER_ROLE,
		.client_cert = cert,
		.client_key = key,
	};
	struct browser_proxy proxy = {};
	int r, stopped;

	CHECK(ui_port > 0, "the collector has no fleet view");
	if (check_csp_is_seen(t) < 0)
		return -1;

	file_path(ca, sizeof(ca), t->pki, "server-ca.crt");
	file_path(cert, sizeof(cert), t->pki, "person-viewer.crt");
	file_path(key, sizeof(key), t->pki, "person-viewer.key");
	r = browser_proxy_start(t->dir, &o, &proxy, error, sizeof(error));
	CHECK(r == 0, "%s", error);

	/* The checks in a function of their own: HAProxy is stopped whichever fails. */
	r = check_pages(t, &proxy, device_id, expect_device_text, rule_id, expect_rule_text);
	stopped = browser_proxy_stop(&proxy);
	if (r < 0) {
		fprintf(stderr, "    HAProxy's log: %s\n", proxy.log);
		return -1;
	}
	CHECK(stopped >= 0, "HAProxy had exited before the end; see %s", proxy.log);
	return 0;
}

int fleet_browser_pages(struct harness *t, int ui_port, const char *device_id, const char *rule_id)
{
	/* test_fleet.c's device 9 (hostname_of()) and its disk-encryption rule's title. */
	return fleet_browser_pages_expect(t, ui_port, device_id, "laptop-09", rule_id,
					  "Disk encryption");
}
