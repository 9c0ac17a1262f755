// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int read_full_fd(int fd, size_t max, unsigned flags, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t have = 0;
	struct stat st;
	int r = 0;

	if (max == 0 || max > SIZE_MAX - 2)
		return -EINVAL;
	/* Checked on the open file, so a swap after the check cannot get past it. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if ((flags & READ_FULL_PRIVATE) && (st.st_mode & 0077))
		return -EPERM;
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return -EFBIG;

	/* One byte past the limit tells a file that grew since fstat() from one at it. */
	buf = malloc(max + 2);
	if (!buf)
		return -ENOMEM;
	while (have <= max) {
		ssize_t n = read(fd, buf + have, max + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (r >= 0 && have > max)
		r = -EFBIG;
	if (r < 0) {
		if (flags & (READ_FULL_SECRET | READ_FULL_PRIVATE))
			explicit_bzero(buf, have);
		return r;
	}
	buf[have] = '\0';
	if (ret_size)
		*ret_size = have;
	*ret = TAKE_PTR(buf);
	return 0;
}

int read_full_file(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -EBADF;

	/* O_NONBLOCK: a FIFO put in a file's place must not hang the reader. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
				(flags & READ_FULL_NOFOLLOW ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	return read_full_fd(fd, max, flags, ret, ret_size);
}

int loop_write(int fd, const void *buf, size_t size, size_t *ret_written)
{
	const char *p = buf;
	size_t done = 0;
	int r = 0;

	while (done < size) {
		ssize_t w = write(fd, p + done, size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = -errno;
			break;
		}
		if (w == 0) {
			r = -EIO;
			break;
		}
		done += (size_t)w;
	}
	if (ret_written)
		*ret_written = done;
	return r;
}

int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode)
{
	const char *base = strrchr(path, '/');
	_cleanup_close_ int fd = -EBADF;
	char tmp[PATH_MAX];
	int n, r;

	/* ".NAME.tmp" beside NAME: hidden from anyone who watches the directory for NAME. */
	base = base ? base + 1 : path;
	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp", (int)(base - path), path, base);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = loop_write(fd, data, size, NULL);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(dir_fd, tmp, dir_fd, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(dir_fd, tmp, 0);
	return r;
}

int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode)
{
	return write_file_atomic_at(AT_FDCWD, path, data, size, mode);
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
