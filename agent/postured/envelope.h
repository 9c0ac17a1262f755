/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The delivery envelope of a record (DESIGN.md, data contract): the
 * per-device sequence number and the boot id go into the record's "postured"
 * extension object as "seq" and "boot_uid", next to whatever format.c put
 * there; device.uid is already written by format.c and the collector takes
 * the device id from the client certificate anyway.  The JSON is parsed and
 * regenerated with yajl, never spliced as text.
 */
#ifndef POSTURED_ENVELOPE_H
#define POSTURED_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define ENVELOPE_BOOT_UID_LEN 32

/*
 * Takes one JSON object (len bytes at line, no NUL needed, a trailing newline
 * allowed) and returns a newly allocated copy, NUL-terminated and without a
 * newline, with "postured":{"seq":seq,"boot_uid":boot_uid} merged in (existing
 * "seq"/"boot_uid" members are replaced).  When the object has no integer
 * "time", "time": time_ms is added, since the collector requires one.
 * boot_uid must be 32 lowercase hex digits.  Returns 0 and the line in
 * *ret_line (caller frees) and its length in *ret_len, -EINVAL for input that
 * is not a JSON object or a "postured" member that is not an object, -ENOMEM.
 */
int envelope_add(const char *line, size_t len, uint64_t seq, const char *boot_uid, int64_t time_ms,
		 char **ret_line, size_t *ret_len);

/*
 * Reads the running kernel's boot id into ret (33 bytes: 32 lowercase hex
 * digits, no dashes, NUL).  Returns 0 or -errno.
 */
int envelope_boot_uid(char ret[static ENVELOPE_BOOT_UID_LEN + 1]);

#endif
