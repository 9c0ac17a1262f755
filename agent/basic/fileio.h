/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_BASIC_FILEIO_H
#define POSTURED_BASIC_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads at most size - 1 bytes of path into buf and NUL-terminates it; a
 * larger file is cut there, so callers parse only what fits.  Returns the
 * byte count or -errno.
 */
int read_small_file(const char *path, char *buf, size_t size);

/*
 * Replaces path with text: written to a temporary file beside it with mode,
 * synced, then renamed over path, so a reader sees the old or the new whole.
 * Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const char *text, mode_t mode);

/* Writes text to an existing file (a /proc or /sys knob).  Returns 0 or -errno. */
int write_small_file(const char *path, const char *text);

#endif
