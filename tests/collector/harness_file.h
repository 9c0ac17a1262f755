/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small file helpers of the collector's harness (harness_file.c), whole
 * files in and out.  Need nothing else of the harness.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* "dir/name" into buf (truncated to size). */
void file_path(char *buf, size_t size, const char *dir, const char *name);

/*
 * The whole file, NUL-terminated, in *ret (the caller frees it) and its size
 * in *ret_size unless NULL.  Returns 0 or -errno; *ret is written only on
 * success.
 */
int file_read(const char *path, char **ret, size_t *ret_size);

/* Creates or truncates path with mode and writes data.  Returns 0 or -errno. */
int file_write(const char *path, const void *data, size_t size, mode_t mode);

/* Copies from to to, which gets mode.  Returns 0 or -errno. */
int file_copy(const char *from, const char *to, mode_t mode);

/* Whether the file at path exists and contains needle. */
bool file_contains(const char *path, const char *needle);
