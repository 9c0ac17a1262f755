// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/json-util.h"
#include "basic/string-util.h"
#include "export_read.h"

#define READ_CHUNK	(64 * 1024)
#define CURSOR_FILE_MAX 4096

void export_file_name(uint64_t first, bool compressed, char buf[static EXPORT_NAME_MAX])
{
	snprintf(buf, EXPORT_NAME_MAX, "ocsf-%016" PRIu64 ".ndjson%s", first,
		 compressed ? ".gz" : "");
}

/* Parses a log file's name: 1 and the file, 0 when name is not one. */
static int export_file_parse(const char *name, struct export_file *ret)
{
	uint64_t first = 0;
	const char *p;

	if (strncmp(name, "ocsf-", 5) != 0)
		return 0;
	p = name + 5;
	for (int i = 0; i < 16; i++, p++) {
		if (*p < '0' || *p > '9')
			return 0;
		first = first * 10 + (uint64_t)(*p - '0');
	}
	if (first == 0)
		return 0;
	if (strcmp(p, ".ndjson") == 0)
		*ret = (struct export_file){ .first = first };
	else if (strcmp(p, ".ndjson.gz") == 0)
		*ret = (struct export_file){ .first = first, .compressed = true };
	else
		return 0;
	return 1;
}

static int export_file_compare(const void *a, const void *b)
{
	const struct export_file *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	/* Both forms for a moment while one is compressed: the plain one first. */
	return (int)x->compressed - (int)y->compressed;
}

int export_files_list(int dir_fd, struct export_file **ret, size_t *ret_n)
{
	_cleanup_free_ struct export_file *files = NULL;
	size_t n = 0, allocated = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct export_file f;

		if (export_file_parse(de->d_name, &f) <= 0)
			continue;
		if (n == allocated) {
			size_t want = MAX(allocated * 2, (size_t)16);
			struct export_file *p = reallocarray(files, want, sizeof(*files));

			if (!p) {
				closedir(d);
				return -ENOMEM;
			}
			files = p;
			allocated = want;
		}
		files[n++] = f;
	}
	closedir(d);
	if (n > 0)
		qsort(files, n, sizeof(*files), export_file_compare);
	/* A file being compressed is listed once, as the form a reader opens first. */
	for (size_t i = 1; i < n;)
		if (files[i].first == files[i - 1].first)
			memmove(&files[i], &files[i + 1], (--n - i) * sizeof(*files));
		else
			i++;
	*ret = TAKE_PTR(files);
	*ret_n = n;
	return 0;
}

/* Opens file first, plain or compressed, whichever is there (it may be compressed meanwhile). */
static int export_file_open(int dir_fd, uint64_t first, gzFile *ret)
{
	char name[EXPORT_NAME_MAX];
	gzFile gz;
	int fd = -1;

	for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
		export_file_name(first, attempt == 1, name);
		fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno != ENOENT)
			return -errno;
	}
	if (fd < 0)
		return -ENOENT;
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	*ret = gz;
	return 0;
}

struct export_reader {
	int dir_fd;
	gzFile gz; /* NULL: the file at pos is to be opened */
	struct export_position pos; /* of buf[start] */
	size_t max_line;
	char *buf;
	size_t start, len, allocated;
	bool skipping; /* inside a line longer than max_line, dropping it */
	uint64_t lost;
};

struct export_reader *export_reader_free(struct export_reader *r)
{
	if (!r)
		return NULL;
	if (r->gz)
		gzclose(r->gz);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	free(r->buf);
	free(r);
	return NULL;
}

int export_reader_open(const char *dir, const struct export_position *pos, size_t max_line,
		       struct export_reader **ret)
{
	_cleanup_(export_reader_freep) struct export_reader *r = NULL;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0)
		return -errno;
	r->pos = *pos;
	r->max_line = max_line;
	r->allocated = MIN(max_line + 1, (size_t)READ_CHUNK * 4);
	r->buf = malloc(r->allocated);
	if (!r->buf)
		return -ENOMEM;
	*ret = TAKE_PTR(r);
	return 0;
}

uint64_t export_reader_lost(const struct export_reader *r)
{
	return r->lost;
}

void export_reader_position(const struct export_reader *r, struct export_position *ret)
{
	*ret = r->pos;
}

/* The file want, or when it is gone the oldest after it: 1 and it; 0 when there is none. */
static int reader_find_file(struct export_reader *r, uint64_t want, struct export_file *ret)
{
	_cleanup_free_ struct export_file *files = NULL;
	size_t n;
	int q;

	q = export_files_list(r->dir_fd, &files, &n);
	if (q < 0)
		return q;
	for (size_t i = 0; i < n; i++)
		if (files[i].first >= want) {
			*ret = files[i];
			return 1;
		}
	return 0;
}

/* Opens the file the position is in (or the next one there is), seeking to the offset. */
static int reader_open_file(struct export_reader *r)
{
	struct export_file f;
	gzFile gz = NULL;
	int q;

	q = reader_find_file(r, r->pos.file ? r->pos.file : 1, &f);
	if (q <= 0)
		return q;
	if (r->pos.file == 0 || f.first > r->pos.file) {
		/* A fresh cursor starts at the oldest file; a deleted file's records are lost. */
		if (r->pos.file != 0 && f.first > r->pos.number)
			r->lost += f.first - r->pos.number;
		r->pos = (struct export_position){ .file = f.first, .number = f.first };
	}
	q = export_file_open(r->dir_fd, r->pos.file, &gz);
	if (q == -ENOENT)
		return 0;
	if (q < 0)
		return q;
	if (r->pos.offset > 0 && gzseek(gz, (z_off_t)r->pos.offset, SEEK_SET) < 0) {
		gzclose(gz);
		return -EIO;
	}
	r->gz = gz;
	r->start = r->len = 0;
	r->skipping = false;
	return 1;
}

/* Whether a newer file than the one being read exists: the one being read is complete. */
static int reader_file_closed(struct export_reader *r)
{
	struct export_file f;
	int q = reader_find_file(r, r->pos.file + 1, &f);

	return q;
}

static int reader_fill(struct export_reader *r)
{
	int n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
	}
	if (r->len == r->allocated) {
		size_t want = MIN(r->allocated * 2, r->max_line + 1);
		char *p;

		if (want <= r->allocated) {
			/* A line longer than any kept: drop what there is of it, then its rest. */
			r->pos.offset += r->len;
			r->len = 0;
			r->skipping = true;
		} else {
			p = realloc(r->buf, want);
			if (!p)
				return -ENOMEM;
			r->buf = p;
			r->allocated = want;
		}
	}
	n = gzread(r->gz, r->buf + r->len,
		   (unsigned)MIN(r->allocated - r->len, (size_t)READ_CHUNK));
	if (n < 0)
		return -EIO;
	r->len += (size_t)n;
	if (n == 0)
		gzclearerr(r->gz); /* the file being written: what comes later is read later */
	return n;
}

int export_reader_next(struct export_reader *r, const char **ret_line, size_t *ret_len,
		       struct export_position *ret_next)
{
	for (;;) {
		char *nl;
		int q;

		if (!r->gz) {
			q = reader_open_file(r);
			if (q <= 0)
				return q;
		}
		nl = memchr(r->buf + r->start, '\n', r->len - r->start);
		if (nl) {
			size_t len = (size_t)(nl - (r->buf + r->start));
			const char *line = r->buf + r->start;
			bool skipped = r->skipping;

			r->start += len + 1;
			r->pos.offset += len + 1;
			r->pos.number++;
			r->skipping = false;
			if (skipped || len > r->max_line) {
				r->lost++;
				continue;
			}
			*ret_line = line;
			*ret_len = len;
			*ret_next = r->pos;
			return 1;
		}
		q = reader_fill(r);
		if (q < 0)
			return q;
		if (q > 0)
			continue;

		/* At the end of what is written: is there more to come in this file? */
		q = reader_file_closed(r);
		if (q <= 0)
			return q;
		/* The writer moved on, and wrote its last line here before: read once more. */
		q = reader_fill(r);
		if (q < 0)
			return q;
		if (q > 0)
			continue;
		/*
		 * A half line at the end of a closed file is one a crash cut short and the
		 * writer cut off: its record was not stored, and comes again.  Passed over.
		 */
		gzclose(r->gz);
		r->gz = NULL;
		r->pos = (struct export_position){ .file = r->pos.number, .number = r->pos.number };
	}
}

/* --- cursors ------------------------------------------------------------------------------ */

bool export_cursor_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= EXPORT_CURSOR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-' || name[i] == '_'))
			return false;
	return true;
}

static void cursor_file_name(const char *name, char buf[static 64])
{
	snprintf(buf, 64, "forward-%s.cursor", name);
}

int export_cursor_save(int dir_fd, const struct export_cursor *c)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	const unsigned char *json;
	char file[64];
	size_t size;

	if (!export_cursor_name_valid(c->name))
		return -EINVAL;
	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	yajl_gen_map_open(g);
	json_str(g, "name", c->name);
	json_str(g, "destination", c->destination);
	json_u64(g, "file", c->pos.file);
	json_u64(g, "offset", c->pos.offset);
	json_u64(g, "number", c->pos.number);
	json_u64(g, "forwarded", c->forwarded);
	json_u64(g, "filtered", c->filtered);
	json_u64(g, "lost", c->lost);
	json_int(g, "updated", c->updated_ms);
	json_key(g, "connected");
	yajl_gen_bool(g, c->connected);
	json_str(g, "error", c->error);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &json, &size) != yajl_gen_status_ok)
		return -ENOMEM;
	cursor_file_name(c->name, file);
	return write_file_atomic_at(dir_fd, file, json, size, 0640);
}

static bool cursor_u64(yajl_val root, const char *key, uint64_t *ret)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_number);

	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return false;
	*ret = (uint64_t)YAJL_GET_INTEGER(v);
	return true;
}

static void cursor_text(yajl_val root, const char *key, char *buf, size_t size)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);

	strbufcpy(buf, size, v ? YAJL_GET_STRING(v) : "");
}

int export_cursor_load(int dir_fd, const char *name, struct export_cursor *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct export_cursor c = {};
	const char *connected[] = { "connected", NULL };
	uint64_t updated = 0;
	char file[64];
	size_t size;
	int q;

	if (!export_cursor_name_valid(name))
		return -EINVAL;
	cursor_file_name(name, file);
	fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	q = read_full_fd(fd, CURSOR_FILE_MAX, 0, &text, &size);
	if (q < 0)
		return q == -EFBIG ? -EBADMSG : q;
	root = yajl_tree_parse(text, NULL, 0);
	if (!root || !YAJL_IS_OBJECT(root))
		return -EBADMSG;
	strbufcpy(c.name, sizeof(c.name), name);
	cursor_text(root, "destination", c.destination, sizeof(c.destination));
	cursor_text(root, "error", c.error, sizeof(c.error));
	if (!cursor_u64(root, "file", &c.pos.file) || !cursor_u64(root, "offset", &c.pos.offset) ||
	    !cursor_u64(root, "number", &c.pos.number) ||
	    !cursor_u64(root, "forwarded", &c.forwarded) ||
	    !cursor_u64(root, "filtered", &c.filtered) || !cursor_u64(root, "lost", &c.lost) ||
	    !cursor_u64(root, "updated", &updated) || c.pos.number < c.pos.file)
		return -EBADMSG;
	c.updated_ms = (int64_t)updated;
	c.connected = YAJL_IS_TRUE(yajl_tree_get(root, connected, yajl_t_true));
	*ret = c;
	return 0;
}

int export_cursor_list(int dir_fd, int (*cb)(const struct export_cursor *c, void *userdata),
		       void *userdata)
{
	struct dirent **names = NULL;
	int n, q = 0;

	n = scandirat(dir_fd, ".", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		size_t len = strlen(e);
		char name[EXPORT_CURSOR_NAME_MAX];
		struct export_cursor c;

		if (q >= 0 && len > 15 && strncmp(e, "forward-", 8) == 0 &&
		    strcmp(e + len - 7, ".cursor") == 0 && len - 15 < sizeof(name)) {
			memcpy(name, e + 8, len - 15);
			name[len - 15] = '\0';
			if (export_cursor_load(dir_fd, name, &c) == 0)
				q = cb(&c, userdata);
		}
		free(names[i]);
	}
	free(names);
	return q < 0 ? q : 0;
}

/* Whether name exists in dir: 0 or -errno. */
static int access_in(const char *dir, const char *name)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return faccessat(fd, name, F_OK, 0) < 0 ? -errno : 0;
}

/*
 * The collector's time of receipt (metadata.logged_time) of the record at
 * pos in the log in dir (inside a compressed file: of that file's first
 * record, so that no file is inflated to find it): 0 and *ret_ms; -ENOENT
 * when there is no record there yet.
 */
static int export_logged_time_at(const char *dir, const struct export_position *pos,
				 int64_t *ret_ms)
{
	_cleanup_(export_reader_freep) struct export_reader *r = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	const char *path[] = { "metadata", "logged_time", NULL };
	struct export_position next;
	_cleanup_free_ char *copy = NULL;
	struct export_position at = *pos;
	char name[EXPORT_NAME_MAX];
	const char *line;
	size_t len;
	yajl_val v;
	int q;

	/*
	 * Inside a compressed file, reading to the position would inflate up to
	 * a whole file on the collector's loop: that file's first record answers
	 * instead, older by at most the file's span.
	 */
	export_file_name(pos->file, false, name);
	if (pos->file > 0 && pos->offset > 0 && access_in(dir, name) == -ENOENT)
		at = (struct export_position){ .file = pos->file, .number = pos->file };
	q = export_reader_open(dir, &at, 16 << 20, &r);
	if (q < 0)
		return q;
	q = export_reader_next(r, &line, &len, &next);
	if (q < 0)
		return q;
	if (q == 0)
		return -ENOENT;
	copy = strndup(line, len);
	if (!copy)
		return -ENOMEM;
	root = yajl_tree_parse(copy, NULL, 0);
	v = root ? yajl_tree_get(root, path, yajl_t_number) : NULL;
	if (!v || !YAJL_IS_INTEGER(v))
		return -EBADMSG;
	*ret_ms = YAJL_GET_INTEGER(v);
	return 0;
}

struct destinations {
	const char *dir;
	uint64_t next;
	int (*cb)(const struct export_destination *d, void *userdata);
	void *userdata;
};

static int destination_one(const struct export_cursor *c, void *userdata)
{
	struct destinations *ds = userdata;
	struct export_destination d = { .cursor = *c };

	/* A fresh cursor (number 0) has all of them to go; the first record is number 1. */
	if (ds->next > MAX(c->pos.number, (uint64_t)1)) {
		d.pending = ds->next - MAX(c->pos.number, (uint64_t)1);
		/* Pending from a file since deleted: the oldest left is the age that counts. */
		if (export_logged_time_at(ds->dir, &c->pos, &d.oldest_pending_ms) < 0)
			d.oldest_pending_ms = 0;
	}
	return ds->cb(&d, ds->userdata);
}

int export_destinations(const char *dir, uint64_t next,
			int (*cb)(const struct export_destination *d, void *userdata),
			void *userdata)
{
	struct destinations ds = { .dir = dir, .next = next, .cb = cb, .userdata = userdata };
	_cleanup_close_ int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir_fd < 0)
		return -errno;
	return export_cursor_list(dir_fd, destination_one, &ds);
}
