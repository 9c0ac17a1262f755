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

/*
 * Replaces path with text: written to a temporary file beside it with mode,
 * synced, then renamed over path, so a reader sees the old or the new whole.
 * Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const char *text, mode_t mode);

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
