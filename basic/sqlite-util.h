/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the two SQLite users (the agent's spool, the collector's store) share. */
#ifndef POSTURED_BASIC_SQLITE_UTIL_H
#define POSTURED_BASIC_SQLITE_UTIL_H

#include <sqlite3.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);
DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3 *, sqlite3_close_v2);

/*
 * A SQLite result code (primary or extended) as 0 for success (OK, ROW, DONE)
 * or -errno: -ENOSPC full, -EBUSY busy or locked, -ENOMEM, -EUCLEAN a damaged
 * file or not a database, -EACCES read-only or not permitted, -ENOENT cannot
 * open, -E2BIG too big, -EIO anything else.
 */
int sqlite_errno(int rc);

#endif
