/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading whole small files with a hard size limit; private keys with a mode check. */
#ifndef POSTURED_COLLECTOR_FILE_H
#define POSTURED_COLLECTOR_FILE_H

#include <stddef.h>

/*
 * Reads the regular file at path, at most max bytes, into a new
 * NUL-terminated buffer.  Returns 0 with the buffer and its size (without the
 * NUL); -EFBIG when larger than max, -EINVAL when not a regular file, or the
 * -errno of open/read.
 */
int file_read(const char *path, size_t max, char **ret, size_t *ret_size);

/*
 * As file_read(), for private keys: refuses with -EPERM a file that its group
 * or others may read or write (mode & 0077).  Free the buffer with
 * erase_and_free(): it holds key material.
 */
int file_read_private(const char *path, size_t max, char **ret, size_t *ret_size);

/* Wipes and frees a NUL-terminated buffer; accepts NULL, returns NULL. */
char *erase_and_free(char *p);

static inline void erase_and_freep(char **p)
{
	erase_and_free(*p);
}

#define _cleanup_erase_free_ __attribute__((cleanup(erase_and_freep)))

#endif
