// SPDX-License-Identifier: LGPL-2.1-or-later
/* The system bus for the checks, with a deadline on everything; see check_bus.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/cleanup.h"
#include "check_bus.h"
#include "checks.h"

#define SYSTEM_BUS_SOCKET  "/run/dbus/system_bus_socket"
#define DEFAULT_SYSTEM_BUS "unix:path=" SYSTEM_BUS_SOCKET

char *check_bus_clean(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	if (size == 0)
		return dst;
	for (; src && src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
	if (src && src[i] && size >= 4)
		memcpy(dst + size - 4, "...", 4);
	return dst;
}

/* A D-Bus address value: bytes outside [-0-9A-Za-z_/.\*] are %-escaped. */
static int escape_address(const char *path, char *buf, size_t size)
{
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		bool plain = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
			     (*c >= 'A' && *c <= 'Z') || strchr("-_/.\\*", *c);

		if (n + (plain ? 1 : 3) >= size)
			return -ENAMETOOLONG;
		if (plain)
			buf[n++] = (char)*c;
		else
			n += (size_t)snprintf(buf + n, size - n, "%%%02x", *c);
	}
	buf[n] = '\0';
	return 0;
}

static int open_root_bus(struct check_bus *cb, const char *root, char *why, size_t size)
{
	char path[4096], escaped[512], address[540];
	struct stat st;
	int r;

	if (check_path(root, SYSTEM_BUS_SOCKET, path, sizeof(path)) < 0) {
		snprintf(why, size, "the path of the system bus below %s is too long", root);
		return -ENAMETOOLONG;
	}
	if (stat(path, &st) < 0) {
		r = -errno;
		snprintf(why, size, "no system bus to ask: %s: %s", path, strerror(-r));
		return r;
	}
	if (escape_address(path, escaped, sizeof(escaped)) < 0) {
		snprintf(why, size, "no system bus to ask: %s is too long for a socket address",
			 path);
		return -ENAMETOOLONG;
	}
	snprintf(address, sizeof(address), "unix:path=%s", escaped);
	snprintf(cb->where, sizeof(cb->where), "the system bus (%.130s)", address);
	r = sd_bus_new(&cb->bus);
	if (r < 0)
		return r;
	r = sd_bus_set_address(cb->bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(cb->bus, true);
	if (r >= 0)
		r = sd_bus_start(cb->bus);
	if (r < 0)
		snprintf(why, size, "cannot connect to %s: %s", cb->where, strerror(-r));
	return r;
}

int check_bus_open(struct check_bus *cb, const char *root, char *why, size_t size)
{
	char shown[96], tmo[32];
	const char *env;
	usec_t limit;
	int r;

	*cb = (struct check_bus){ .deadline = now_usec(CLOCK_MONOTONIC) + CHECK_BUS_BUDGET_USEC };
	if (strspn(root, "/") == strlen(root)) {
		env = getenv("DBUS_SYSTEM_BUS_ADDRESS");
		snprintf(cb->where, sizeof(cb->where), "the system bus (%s)",
			 check_bus_clean(shown, sizeof(shown), env ? env : DEFAULT_SYSTEM_BUS));
		r = sd_bus_open_system(&cb->bus);
		if (r < 0)
			snprintf(why, size, "cannot connect to %s: %s", cb->where, strerror(-r));
	} else {
		r = open_root_bus(cb, root, why, size);
	}
	if (r < 0) {
		check_bus_close(cb);
		return r;
	}

	/*
	 * sd_bus_call() would wait for the authentication and Hello with the
	 * library's own, long timeout: wait for them here, bounded.
	 */
	limit = now_usec(CLOCK_MONOTONIC) + CHECK_BUS_CALL_TIMEOUT_USEC;
	while ((r = sd_bus_is_ready(cb->bus)) == 0) {
		usec_t now = now_usec(CLOCK_MONOTONIC);

		if (now >= limit) {
			r = -ETIMEDOUT;
			snprintf(why, size, "%s did not accept the connection within %s", cb->where,
				 format_usec(tmo, sizeof(tmo), CHECK_BUS_CALL_TIMEOUT_USEC));
			break;
		}
		r = sd_bus_process(cb->bus, NULL);
		if (r < 0) {
			snprintf(why, size, "cannot connect to %s: %s", cb->where, strerror(-r));
			break;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(cb->bus, limit - now);
		if (r < 0 && r != -EINTR) {
			snprintf(why, size, "cannot connect to %s: %s", cb->where, strerror(-r));
			break;
		}
	}
	if (r < 0) {
		check_bus_close(cb);
		return r;
	}
	(void)sd_bus_set_method_call_timeout(cb->bus, CHECK_BUS_CALL_TIMEOUT_USEC);
	return 0;
}

void check_bus_close(struct check_bus *cb)
{
	cb->bus = sd_bus_close_unref(cb->bus);
}

/* what names the call in reasons: "LoadUnit", "Get(NTP)". */
static int vcall(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		 const char *member, const char *what, bool auto_start, sd_bus_message **ret_reply,
		 char *ret_error, size_t error_size, char *why, size_t size, const char *types,
		 va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	usec_t now = now_usec(CLOCK_MONOTONIC), timeout;
	char name[CHECK_BUS_STRING_MAX], text[128], tmo[32];
	int r;

	if (!cb->bus) {
		snprintf(why, size, "not connected to the system bus");
		return -ENOTCONN;
	}
	if (now >= cb->deadline) {
		snprintf(why, size, "the %s for asking the bus ran out before asking %s",
			 format_usec(tmo, sizeof(tmo), CHECK_BUS_BUDGET_USEC), dest);
		return -ETIMEDOUT;
	}
	timeout = MIN(CHECK_BUS_CALL_TIMEOUT_USEC, cb->deadline - now);

	r = sd_bus_message_new_method_call(cb->bus, &m, dest, path, iface, member);
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, auto_start);
	if (r >= 0 && types && *types)
		r = sd_bus_message_appendv(m, types, ap);
	if (r < 0) {
		snprintf(why, size, "cannot build the call %s.%s: %s", iface, member, strerror(-r));
		return r;
	}
	r = sd_bus_call(cb->bus, m, timeout, &error, &reply);
	if (r >= 0) {
		if (ret_reply)
			*ret_reply = TAKE_PTR(reply);
		return 0;
	}
	if (r == -ETIMEDOUT) {
		snprintf(why, size, "%s did not answer %s within %s", dest, what,
			 format_usec(tmo, sizeof(tmo), timeout));
		return r;
	}
	if (sd_bus_error_is_set(&error)) {
		check_bus_clean(name, sizeof(name), error.name);
		if (ret_error)
			check_bus_clean(ret_error, error_size, error.name);
		snprintf(why, size, "%s %s failed: %s (%s)", dest, what, name,
			 check_bus_clean(text, sizeof(text), error.message ? error.message : ""));
		return r;
	}
	snprintf(why, size, "%s %s failed: %s", dest, what, strerror(-r));
	return r;
}

int check_bus_call(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		   const char *member, bool auto_start, sd_bus_message **ret_reply, char *ret_error,
		   size_t error_size, char *why, size_t size, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = vcall(cb, dest, path, iface, member, member, auto_start, ret_reply, ret_error,
		  error_size, why, size, types, ap);
	va_end(ap);
	return r;
}

static int call_what(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		     const char *member, const char *what, bool auto_start,
		     sd_bus_message **ret_reply, char *why, size_t size, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = vcall(cb, dest, path, iface, member, what, auto_start, ret_reply, NULL, 0, why, size,
		  types, ap);
	va_end(ap);
	return r;
}

/* Properties.Get, entered into the variant of the given type. */
static int get_property(struct check_bus *cb, const char *dest, const char *path, const char *iface,
			const char *property, bool auto_start, const char *type,
			sd_bus_message **ret, char *why, size_t size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char what[CHECK_BUS_STRING_MAX];
	int r;

	snprintf(what, sizeof(what), "Get(%s)", property);
	r = call_what(cb, dest, path, "org.freedesktop.DBus.Properties", "Get", what, auto_start,
		      &reply, why, size, "ss", iface, property);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'v', type);
	if (r < 0) {
		snprintf(why, size, "%s sent %s not as the type \"%s\"", dest, property, type);
		return r;
	}
	*ret = TAKE_PTR(reply);
	return 0;
}

int check_bus_get_bool(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		       const char *property, bool auto_start, bool *ret, char *why, size_t size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int b, r;

	r = get_property(cb, dest, path, iface, property, auto_start, "b", &reply, why, size);
	if (r < 0)
		return r;
	r = sd_bus_message_read_basic(reply, 'b', &b);
	if (r < 0) {
		snprintf(why, size, "cannot read %s from %s: %s", property, dest, strerror(-r));
		return r;
	}
	*ret = b;
	return 0;
}

int check_bus_get_string(struct check_bus *cb, const char *dest, const char *path,
			 const char *iface, const char *property, bool auto_start, char *buf,
			 size_t bufsize, char *why, size_t size)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *s;
	int r;

	r = get_property(cb, dest, path, iface, property, auto_start, "s", &reply, why, size);
	if (r < 0)
		return r;
	r = sd_bus_message_read_basic(reply, 's', &s);
	if (r < 0) {
		snprintf(why, size, "cannot read %s from %s: %s", property, dest, strerror(-r));
		return r;
	}
	check_bus_clean(buf, bufsize, s);
	return 0;
}
