/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * posture-collector's administration verbs, run against the collector's
 * database while the collector may be serving from it (SQLite WAL):
 *   token create [--uses N] [--expires DURATION] [--label TEXT] [--reenroll]
 *   token list | token revoke ID
 *   device list | device revoke ID | device retire ID
 *   audit [--device ID]
 * each with --db FILE.  The audit records the caller's user name.
 */
#ifndef POSTURED_COLLECTOR_ADMIN_H
#define POSTURED_COLLECTOR_ADMIN_H

#include <stdint.h>

/* "90d", "12h", "30m", "45s" or plain seconds into *ret.  -EINVAL or -ERANGE. */
int admin_parse_duration(const char *text, uint64_t *ret);

/* Runs argv[0] ("token", "device" or "audit") with its arguments.  Logs; 0 or -errno. */
int admin_run(int argc, char **argv);

#endif
