/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One accepted report record: the fields the collector indexes, and the
 * record's JSON exactly as the device sent it (a view into the request body,
 * owned by whoever owns that body).
 */
#ifndef POSTURED_COLLECTOR_RECORD_H
#define POSTURED_COLLECTOR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define DEVICE_ID_LEN 32 /* lowercase hex, like an sd-id128 */
#define BOOT_UID_LEN  32

struct record {
	const char *json; /* not NUL-terminated */
	size_t json_size;
	int64_t class_uid;
	int64_t time;
	int64_t seq;
	char boot_uid[BOOT_UID_LEN + 1];
};

#endif
