// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "file.h"

char *erase_and_free(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
	return NULL;
}

static int file_read_full(const char *path, size_t max, bool private, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	struct stat st;

	if (max == 0 || max > SIZE_MAX - 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* Checked on the open file, so a swap after the check cannot get past it. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (private && (st.st_mode & 0077))
		return -EPERM;
	if (st.st_size < 0 || (unsigned long long)st.st_size > max)
		return -EFBIG;

	/* One byte over the limit tells a file that grew since fstat(). */
	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;
	while (size <= max) {
		ssize_t n = read(fd, buf + size, max + 1 - size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			if (private)
				explicit_bzero(buf, size);
			return (int)n;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (size > max) {
		if (private)
			explicit_bzero(buf, size);
		return -EFBIG;
	}
	buf[size] = '\0';
	*ret_size = size;
	*ret = TAKE_PTR(buf);
	return 0;
}

int file_read(const char *path, size_t max, char **ret, size_t *ret_size)
{
	return file_read_full(path, max, false, ret, ret_size);
}

int file_read_private(const char *path, size_t max, char **ret, size_t *ret_size)
{
	return file_read_full(path, max, true, ret, ret_size);
}
