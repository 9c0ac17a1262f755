/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef POSTURED_BASIC_FILEIO_H
#define POSTURED_BASIC_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Reads at most size - 1 bytes of path into buf and NUL-terminates it; a
 * larger file is cut there, so callers parse only what fits.  Returns the
 * byte count or -errno.
 */
int read_small_file(const char *path, char *buf, size_t size);

enum {
	/* Key material: what was read is wiped on failure. */
	READ_FULL_SECRET = 1 << 0,
	/* READ_FULL_SECRET, and refuse a file its group or others may access (-EPERM). */
	READ_FULL_PRIVATE = 1 << 1,
	/* Refuse a symbolic link as the last component (-ELOOP). */
	READ_FULL_NOFOLLOW = 1 << 2,
};

/*
 * Reads the whole regular file open at fd, at most max bytes, into a new
 * NUL-terminated buffer the caller frees: *ret, and its length in *ret_size
 * (may be NULL).  The size is checked on fstat() and again while reading, so
 * a file that grows cannot get past it.  Returns 0; -EISDIR for a directory,
 * -EBADFD for another kind of file, -EFBIG past max, -EPERM (see
 * READ_FULL_PRIVATE), -ENOMEM or the read's -errno.  Nothing is written to
 * ret on failure.
 */
int read_full_fd(int fd, size_t max, unsigned flags, char **ret, size_t *ret_size);

/*
 * read_full_fd() of path, opened without blocking (a FIFO in a file's place
 * cannot hang the reader); also the open's -errno.
 */
int read_full_file(const char *path, size_t max, unsigned flags, char **ret, size_t *ret_size);

/*
 * Replaces path (relative to dir_fd, or AT_FDCWD) with size bytes of data:
 * written to ".NAME.tmp" beside it with mode, synced, then renamed over it,
 * so a reader sees the old or the new whole, and one watching the directory
 * for NAME never sees a part.  Returns 0 or -errno; the temporary file is
 * removed on failure.
 */
/*
 * Writes all of buf[size] to fd, again after EINTR and short writes.  Returns
 * 0, or -errno with the bytes that did get written in *ret_written (when not
 * NULL; set on success too).
 */
int loop_write(int fd, const void *buf, size_t size, size_t *ret_written);

int write_file_atomic_at(int dir_fd, const char *path, const void *data, size_t size, mode_t mode);
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* Writes text to an existing file (a /proc or /sys knob).  Returns 0 or -errno. */
int write_small_file(const char *path, const char *text);

/*
 * The device number of the filesystem holding path as the kernel's
 * superblock has it (inode->i_sb->s_dev, what the probes read), in
 * userspace encoding, given path's stat() in st.  Mostly that is
 * st->st_dev; on btrfs, stat() reports a device of the subvolume instead,
 * and the kernel's is found through the mount (statx's mount id and
 * /proc/self/mountinfo).  Falls back to st->st_dev when that cannot be
 * read.
 */
uint64_t path_sb_dev(const char *path, const struct stat *st);

/*
 * The "major:minor" of mount mnt_id in f, a /proc/PID/mountinfo (at most
 * 65536 lines are read); -ENOENT when it is not there.
 */
int mountinfo_find_dev(FILE *f, uint64_t mnt_id, dev_t *ret);

#endif
