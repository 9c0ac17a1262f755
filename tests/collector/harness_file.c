// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small file helpers: whole files in and out, for fixtures and logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

void file_path(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

int file_read(const char *path, char **ret, size_t *ret_size)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0, allocated = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (allocated - size < 4096) {
			char *p = realloc(buf, allocated + 65536);

			if (!p) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = p;
			allocated += 65536;
		}
		n = fread(buf + size, 1, allocated - size - 1, f);
		size += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[size] = '\0';
	*ret = buf;
	if (ret_size)
		*ret_size = size;
	return 0;
}

int file_write(const char *path, const void *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	bool ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, data, size) == (ssize_t)size;
	/* open() applies the umask, and keeps an existing file's mode: set the one asked for. */
	fchmod(fd, mode);
	close(fd);
	return ok ? 0 : -EIO;
}

int file_copy(const char *from, const char *to, mode_t mode)
{
	char *data;
	size_t size;
	int r = file_read(from, &data, &size);

	if (r < 0)
		return r;
	r = file_write(to, data, size, mode);
	free(data);
	return r;
}

bool file_contains(const char *path, const char *needle)
{
	char *data;
	bool found;

	if (file_read(path, &data, NULL) < 0)
		return false;
	found = strstr(data, needle) != NULL;
	free(data);
	return found;
}
