// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

int read_small_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -EBADF;
	size_t have = 0;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (have < size - 1) {
		ssize_t n = read(fd, buf + have, size - 1 - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	return (int)MIN(have, (size_t)INT32_MAX);
}

int write_small_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int write_file_atomic(const char *path, const char *text, mode_t mode)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	safe_close(fd);
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/* Lines of /proc/self/mountinfo looked at, at most: a bound on a hostile mount table. */
#define MOUNTINFO_LINES_MAX 65536

int mountinfo_find_dev(FILE *f, uint64_t mnt_id, dev_t *ret)
{
	bool at_start = true;
	char line[4096];

	for (unsigned n = 0; n < MOUNTINFO_LINES_MAX && fgets(line, sizeof(line), f); n++) {
		unsigned long long id;
		unsigned maj, min;
		bool start = at_start;

		/* A line longer than the buffer comes in pieces: only its start is parsed. */
		at_start = strchr(line, '\n') != NULL;
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." */
		if (start && sscanf(line, "%llu %*u %u:%u ", &id, &maj, &min) == 3 &&
		    id == mnt_id) {
			*ret = makedev(maj, min);
			return 0;
		}
	}
	return -ENOENT;
}

uint64_t path_sb_dev(const char *path, const struct stat *st)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct statx sx;
	dev_t dev;

	/* A filesystem on a block device reports the superblock's own device. */
	if (major(st->st_dev) != 0)
		return (uint64_t)st->st_dev;
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID) || sx.stx_ino != (uint64_t)st->st_ino)
		return (uint64_t)st->st_dev;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f || mountinfo_find_dev(f, sx.stx_mnt_id, &dev) < 0)
		return (uint64_t)st->st_dev;
	return (uint64_t)dev;
}
