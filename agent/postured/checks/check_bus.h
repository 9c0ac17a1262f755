/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system bus for the checks that ask services (systemd, timedated)
 * instead of reading files.  Everything a check does on the bus has a
 * deadline: connecting and authenticating, and each method call (at most
 * CHECK_BUS_CALL_TIMEOUT_USEC, and never past the check's budget).  Every
 * string that comes back is bounded and made printable before it goes into
 * evidence or a reason.
 *
 * Library code: nothing here logs.
 */
#ifndef POSTURED_CHECK_BUS_H
#define POSTURED_CHECK_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "basic/time-util.h"

#define CHECK_BUS_CALL_TIMEOUT_USEC (2 * USEC_PER_SEC) /* one method call */
#define CHECK_BUS_BUDGET_USEC	    (6 * USEC_PER_SEC) /* all a check does on the bus */
#define CHECK_BUS_STRING_MAX	    64 /* bytes of a string from the bus, with its NUL */

struct check_bus {
	sd_bus *bus;
	usec_t deadline; /* CLOCK_MONOTONIC: nothing on this bus is waited for past it */
	char where[160]; /* the bus, for reasons: "the system bus (unix:path=...)" */
};

/*
 * Connects to the system bus of root: "/" is this machine's (sd_bus_open_system(),
 * which honours DBUS_SYSTEM_BUS_ADDRESS), another root's is the socket
 * ROOT/run/dbus/system_bus_socket.  Waits at most CHECK_BUS_CALL_TIMEOUT_USEC
 * for the bus to accept us.  Returns 0 with *cb open, or -errno with why
 * a one-line reason.
 */
int check_bus_open(struct check_bus *cb, const char *root, char *why, size_t size);
/* Closes the connection; cb may be closed already. */
void check_bus_close(struct check_bus *cb);

/*
 * Calls member of iface on path at dest and waits for the reply, at most
 * CHECK_BUS_CALL_TIMEOUT_USEC and not past cb's deadline.  auto_start false
 * asks the bus not to start dest for this call.  types and the rest are the
 * arguments, as for sd_bus_message_append().  Returns 0 and the reply,
 * -ETIMEDOUT, or -errno, with why a one-line reason in each failure
 * ("org.freedesktop.systemd1 did not answer within 2 s").  When the service
 * answered with an error, ret_error (if not NULL) gets its name, cleaned.
 */
int check_bus_call(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		   const char *member, bool auto_start, sd_bus_message **ret_reply, char *ret_error,
		   size_t error_size, char *why, size_t size, const char *types, ...);

/* A property through org.freedesktop.DBus.Properties.Get; as check_bus_call(). */
int check_bus_get_bool(struct check_bus *cb, const char *dest, const char *path, const char *iface,
		       const char *property, bool auto_start, bool *ret, char *why, size_t size);
/* A string property, cleaned into buf (at most size - 1 bytes). */
int check_bus_get_string(struct check_bus *cb, const char *dest, const char *path,
			 const char *iface, const char *property, bool auto_start, char *buf,
			 size_t bufsize, char *why, size_t size);

/*
 * Copies src into dst (size bytes with the NUL) with every byte that is not
 * printable ASCII replaced by '?', and "..." at the end when it was cut.
 * Returns dst.
 */
char *check_bus_clean(char *dst, size_t size, const char *src);

#endif
