// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/openssl-util.h"
#include "hashcache.h"

struct hash_entry {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char hex[HASHCACHE_HEX_LEN + 1];
	uint64_t used; /* clock of the last use, for eviction */
	bool valid;
};

struct hashcache {
	struct hash_entry *entries;
	size_t n;
	uint64_t clock;
	uint64_t hits, misses, evicted;
};

hashcache *hashcache_new(size_t max_entries)
{
	_cleanup_free_ hashcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->n = max_entries ? max_entries : 1;
	c->entries = calloc(c->n, sizeof(*c->entries));
	if (!c->entries)
		return NULL;
	return TAKE_PTR(c);
}

hashcache *hashcache_free(hashcache *c)
{
	if (!c)
		return NULL;
	free(c->entries);
	free(c);
	return NULL;
}

static bool same_version(const struct hash_entry *e, const struct stat *st)
{
	return e->valid && e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int sha256_fd(int fd, char hex[HASHCACHE_HEX_LEN + 1])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	unsigned char buf[64 * 1024], md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	off_t off = 0;

	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (;;) {
		/* pread: the fd's offset may be shared with whoever gave it to us. */
		ssize_t k = pread(fd, buf, sizeof(buf), off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		off += k;
		if ((unsigned long long)off > HASHCACHE_FILE_MAX)
			return -EFBIG;
		if (EVP_DigestUpdate(ctx, buf, (size_t)k) != 1)
			return -EIO;
	}
	if (EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32)
		return -EIO;
	for (unsigned i = 0; i < md_len; i++) {
		static const char digits[] = "0123456789abcdef";

		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[HASHCACHE_HEX_LEN] = '\0';
	return 0;
}

int hashcache_get_fd(hashcache *c, int fd, char ret_hex[HASHCACHE_HEX_LEN + 1])
{
	struct hash_entry *slot = NULL;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((unsigned long long)st.st_size > HASHCACHE_FILE_MAX)
		return -EFBIG;

	c->clock++;
	for (size_t i = 0; i < c->n; i++) {
		struct hash_entry *e = &c->entries[i];

		if (same_version(e, &st)) {
			e->used = c->clock;
			c->hits++;
			memcpy(ret_hex, e->hex, sizeof(e->hex));
			return 1;
		}
		/* Remember the best slot to reuse: an empty one, else the least recently used. */
		if (!slot || (slot->valid && (!e->valid || e->used < slot->used)))
			slot = e;
	}

	c->misses++;
	r = sha256_fd(fd, ret_hex);
	if (r < 0)
		return r;
	if (slot->valid)
		c->evicted++;
	*slot = (struct hash_entry){
		.dev = st.st_dev,
		.ino = st.st_ino,
		.size = st.st_size,
		.mtime = st.st_mtim,
		.ctime = st.st_ctim,
		.used = c->clock,
		.valid = true,
	};
	memcpy(slot->hex, ret_hex, HASHCACHE_HEX_LEN + 1);
	return 0;
}

int hashcache_get_path(hashcache *c, const char *path, char ret_hex[HASHCACHE_HEX_LEN + 1])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return hashcache_get_fd(c, fd, ret_hex);
}

void hashcache_get_stats(hashcache *c, struct hashcache_stats *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->entries[i].valid;
	*ret = (struct hashcache_stats){
		.hits = c->hits, .misses = c->misses, .evicted = c->evicted, .entries = n
	};
}
