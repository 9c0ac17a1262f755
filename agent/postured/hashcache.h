/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-256 of executables, cached by what identifies one version of a file:
 * device, inode, size, mtime and ctime.  A rewrite in place changes ctime, so
 * it misses the cache and is hashed again.  Bounded in entries and in the
 * size of file it will read.
 */
#ifndef POSTURED_HASHCACHE_H
#define POSTURED_HASHCACHE_H

#include <stddef.h>
#include <stdint.h>

#define HASHCACHE_HEX_LEN  64
#define HASHCACHE_FILE_MAX (512ULL * 1024 * 1024)

typedef struct hashcache hashcache;

hashcache *hashcache_new(size_t max_entries);
hashcache *hashcache_free(hashcache *c);

/*
 * The SHA-256 of the file open at fd, as 64 lower-case hex digits and a NUL in
 * ret_hex[65].  Returns 1 when it came from the cache, 0 when it was
 * computed, -EFBIG for a file over HASHCACHE_FILE_MAX, -EINVAL for a file
 * that is not regular, or another -errno.
 */
int hashcache_get_fd(hashcache *c, int fd, char ret_hex[HASHCACHE_HEX_LEN + 1]);

/* The same for a path (opened O_RDONLY|O_CLOEXEC|O_NOFOLLOW is not used: exe links are followed). */
int hashcache_get_path(hashcache *c, const char *path, char ret_hex[HASHCACHE_HEX_LEN + 1]);

struct hashcache_stats {
	uint64_t hits, misses, evicted;
	size_t entries;
};
void hashcache_get_stats(hashcache *c, struct hashcache_stats *ret);

#endif
