// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The export log's writer (export.h).  One file is open for appending; an
 * append is one write() and one fdatasync(), so a batch costs the store's
 * fsync and this one.  Closed files are compressed on the loop's idle
 * priority, EXPORT_SLICE bytes a dispatch, so that requests are served in
 * between: the compressed copy is written beside the file, synced and
 * renamed, and only then is the plain file removed (a reader that has it
 * open reads on).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/time-util.h"
#include "export.h"
#include "export_read.h"

#define EXPORT_SLICE (256 * 1024)

struct export
{
	sd_event *event;
	char *dir;
	int dir_fd;
	struct export_limits limits;

	int fd; /* the file being written */
	uint64_t first; /* its first record's number */
	uint64_t size;
	usec_t begun; /* realtime when it got its first record; 0 empty */
	uint64_t next;
	uint64_t exported, failed;
	sd_event_source *age_timer;

	/* Compression of the closed files, oldest first, one at a time. */
	sd_event_source *compressor;
	int in_fd, out_fd;
	gzFile out;
	uint64_t compressing;
};

#define EXPORT_RETRY_USEC (10 * USEC_PER_SEC)

/* Where the compressed copy of file first is made: beside it, then renamed. */
static void compress_tmp_name(uint64_t first, char buf[static EXPORT_NAME_MAX + 8])
{
	char gz[EXPORT_NAME_MAX];

	export_file_name(first, true, gz);
	snprintf(buf, EXPORT_NAME_MAX + 8, "%s.tmp", gz);
}

static void compress_abort(struct export *x)
{
	char name[EXPORT_NAME_MAX + 8];

	if (x->out)
		gzclose(x->out);
	x->out = NULL;
	if (x->in_fd >= 0)
		close(x->in_fd);
	if (x->out_fd >= 0)
		close(x->out_fd);
	x->in_fd = x->out_fd = -EBADF;
	if (x->compressing) {
		compress_tmp_name(x->compressing, name);
		(void)unlinkat(x->dir_fd, name, 0);
	}
	x->compressing = 0;
}

struct export *export_free(struct export *x)
{
	if (!x)
		return NULL;
	compress_abort(x);
	sd_event_source_disable_unref(x->compressor);
	sd_event_source_disable_unref(x->age_timer);
	if (x->fd >= 0)
		close(x->fd);
	if (x->dir_fd >= 0)
		close(x->dir_fd);
	sd_event_unref(x->event);
	free(x->dir);
	free(x);
	return NULL;
}

const char *export_dir(const struct export *x)
{
	return x->dir;
}

/* Deletes the oldest files while more than limits.keep are kept. */
static void export_trim(struct export *x)
{
	_cleanup_free_ struct export_file *files = NULL;
	size_t n;

	if (export_files_list(x->dir_fd, &files, &n) < 0)
		return;
	for (size_t i = 0; i + x->limits.keep < n; i++) {
		char name[EXPORT_NAME_MAX];

		if (files[i].first == x->first || files[i].first == x->compressing)
			break;
		export_file_name(files[i].first, files[i].compressed, name);
		if (unlinkat(x->dir_fd, name, 0) < 0 && errno != ENOENT)
			log_warning_errno(errno, "Failed to delete old export file %s/%s: %m",
					  x->dir, name);
	}
}

/* Opens file first and its compressed copy to be. */
static int compress_open(struct export *x, uint64_t first)
{
	char name[EXPORT_NAME_MAX], tmp[EXPORT_NAME_MAX + 8];
	int fd;

	x->compressing = first; /* from here on compress_abort() removes the copy */
	export_file_name(first, false, name);
	compress_tmp_name(first, tmp);
	x->in_fd = openat(x->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (x->in_fd < 0)
		return -errno;
	x->out_fd =
		openat(x->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (x->out_fd < 0)
		return -errno;
	/* gzclose() closes its own descriptor; this one stays to be synced. */
	fd = fcntl(x->out_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	x->out = gzdopen(fd, "wb6");
	if (!x->out) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

/* Starts compressing the oldest closed plain file, if there is one; deletes beyond keep. */
static int compress_next(struct export *x)
{
	_cleanup_free_ struct export_file *files = NULL;
	size_t n;
	int q;

	export_trim(x);
	q = export_files_list(x->dir_fd, &files, &n);
	if (q < 0)
		return q;
	for (size_t i = 0; i < n; i++) {
		if (files[i].compressed || files[i].first >= x->first)
			continue;
		q = compress_open(x, files[i].first);
		if (q < 0) {
			compress_abort(x);
			return q;
		}
		return sd_event_source_set_enabled(x->compressor, SD_EVENT_ON);
	}
	return sd_event_source_set_enabled(x->compressor, SD_EVENT_OFF);
}

static int compress_finish(struct export *x)
{
	char name[EXPORT_NAME_MAX], gz[EXPORT_NAME_MAX], tmp[EXPORT_NAME_MAX + 8];
	int zr = gzclose(x->out);

	x->out = NULL;
	if (zr != Z_OK)
		return -EIO;
	if (fsync(x->out_fd) < 0)
		return -errno;
	export_file_name(x->compressing, false, name);
	export_file_name(x->compressing, true, gz);
	compress_tmp_name(x->compressing, tmp);
	if (renameat(x->dir_fd, tmp, x->dir_fd, gz) < 0)
		return -errno;
	if (unlinkat(x->dir_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	(void)fsync(x->dir_fd);
	x->compressing = 0;
	compress_abort(x);
	return 0;
}

static int on_compress(sd_event_source *source, void *userdata)
{
	struct export *x = userdata;
	static char buf[EXPORT_SLICE];
	ssize_t n;
	int q;

	(void)source;
	if (!x->compressing) {
		q = compress_next(x);
		goto check;
	}
	n = read(x->in_fd, buf, sizeof(buf));
	if (n < 0) {
		q = -errno;
		goto check;
	}
	if (n > 0) {
		q = gzwrite(x->out, buf, (unsigned)n) == (int)n ? 0 : -EIO;
		goto check;
	}
	q = compress_finish(x);
	if (q >= 0)
		q = compress_next(x);
check:
	if (q < 0) {
		/* The plain file stays, readable; try again at the next rotation. */
		log_warning_errno(q, "Failed to compress export file %016" PRIu64 " in %s: %m",
				  x->compressing, x->dir);
		compress_abort(x);
		(void)sd_event_source_set_enabled(x->compressor, SD_EVENT_OFF);
	}
	return 0;
}

/* Opens (creating when needed) the file whose first record is first, to append to it. */
static int export_begin_file(struct export *x, uint64_t first)
{
	char name[EXPORT_NAME_MAX];
	struct stat st;
	int fd;

	export_file_name(first, false, name);
	fd = openat(x->dir_fd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	if (fsync(x->dir_fd) < 0) {
		close(fd);
		return -errno;
	}
	if (x->fd >= 0)
		close(x->fd);
	x->fd = fd;
	x->first = first;
	x->size = (uint64_t)st.st_size;
	x->begun = st.st_size > 0 ? (usec_t)st.st_mtim.tv_sec * USEC_PER_SEC : 0;
	return 0;
}

static int export_rotate(struct export *x)
{
	int q;

	if (x->size == 0)
		return 0;
	q = export_begin_file(x, x->next);
	if (q < 0)
		return q;
	if (x->compressing)
		export_trim(x);
	else if ((q = compress_next(x)) < 0)
		log_warning_errno(q, "Failed to compress the closed export files in %s: %m",
				  x->dir);
	return 0;
}

static int export_arm_age_timer(struct export *x)
{
	usec_t due;

	if (x->begun == 0)
		return sd_event_source_set_enabled(x->age_timer, SD_EVENT_OFF);
	due = x->begun + x->limits.max_age_sec * USEC_PER_SEC;
	if (sd_event_source_set_time(x->age_timer, due) < 0)
		return -EIO;
	return sd_event_source_set_enabled(x->age_timer, SD_EVENT_ONESHOT);
}

static int on_age(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct export *x = userdata;
	int q;

	(void)source;
	(void)usec;
	q = export_rotate(x);
	if (q < 0) {
		/* Not again at once: in a while, as the next append would. */
		log_warning_errno(q, "Failed to begin a new export file in %s: %m", x->dir);
		(void)sd_event_source_set_time(x->age_timer,
					       now_usec(CLOCK_REALTIME) + EXPORT_RETRY_USEC);
		(void)sd_event_source_set_enabled(x->age_timer, SD_EVENT_ONESHOT);
		return 0;
	}
	(void)export_arm_age_timer(x);
	return 0;
}

/*
 * The newest file: a line cut short by a crash is cut off (its record was
 * not stored, so its device sends it again), and its lines are counted for
 * the next number.  After a cut, the records go on in a new file: a reader
 * may have read the cut part, so nothing is ever written where it was.
 */
static int export_recover(struct export *x, const struct export_file *newest)
{
	_cleanup_close_ int fd = -EBADF;
	static char buf[EXPORT_SLICE];
	uint64_t offset = 0, last_nl = 0, lines = 0;
	char name[EXPORT_NAME_MAX];
	ssize_t n;

	export_file_name(newest->first, false, name);
	fd = openat(x->dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n') {
				lines++;
				last_nl = offset + (uint64_t)i + 1;
			}
		offset += (uint64_t)n;
	}
	if (n < 0)
		return -errno;
	if (last_nl < offset) {
		log_warning("Export file %s/%s ends in a line cut short (%" PRIu64
			    " bytes); cutting it off, its device will send it again.",
			    x->dir, name, offset - last_nl);
		if (ftruncate(fd, (off_t)last_nl) < 0 || fsync(fd) < 0)
			return -errno;
	}
	x->next = newest->first + lines;
	return export_begin_file(x, last_nl < offset && lines > 0 ? x->next : newest->first);
}

int export_open(sd_event *e, const char *dir, const struct export_limits *limits,
		struct export **ret)
{
	_cleanup_(export_freep) struct export *x = NULL;
	_cleanup_free_ struct export_file *files = NULL;
	size_t n;
	int q;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fd = x->dir_fd = x->in_fd = x->out_fd = -EBADF;
	x->event = sd_event_ref(e);
	x->limits = *limits;
	x->dir = strdup(dir);
	if (!x->dir)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	x->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dir_fd < 0)
		return -errno;

	q = export_files_list(x->dir_fd, &files, &n);
	if (q < 0)
		return q;
	if (n > 0 && !files[n - 1].compressed) {
		q = export_recover(x, &files[n - 1]);
		if (q < 0)
			return q;
	} else {
		/* Empty, or every file closed: the next number follows the newest's last line. */
		x->next = 1;
		if (n > 0) {
			_cleanup_(export_reader_freep) struct export_reader *r = NULL;
			struct export_position pos = { .file = files[n - 1].first,
						       .number = files[n - 1].first },
					       next = pos;
			const char *line;
			size_t len;

			q = export_reader_open(dir, &pos, SIZE_MAX - 1, &r);
			while (q >= 0 && (q = export_reader_next(r, &line, &len, &next)) > 0)
				;
			if (q < 0)
				return q;
			export_reader_position(r, &next);
			x->next = next.number;
		}
		q = export_begin_file(x, x->next);
		if (q < 0)
			return q;
	}

	q = sd_event_add_time(e, &x->age_timer, CLOCK_REALTIME, 0, USEC_PER_SEC, on_age, x);
	if (q < 0)
		return q;
	q = sd_event_add_defer(e, &x->compressor, on_compress, x);
	if (q < 0)
		return q;
	(void)sd_event_source_set_priority(x->compressor, SD_EVENT_PRIORITY_IDLE);
	q = export_arm_age_timer(x);
	if (q < 0)
		return q;
	q = compress_next(x);
	if (q < 0)
		log_warning_errno(q, "Failed to compress the closed export files in %s: %m", dir);
	*ret = TAKE_PTR(x);
	return 0;
}

/* How many lines data[size] holds, and where the last of them ends. */
static size_t count_lines(const char *data, size_t size, size_t *ret_end)
{
	size_t lines = 0, end = 0;

	for (const char *p = data; (p = memchr(p, '\n', size - (size_t)(p - data))); p++) {
		lines++;
		end = (size_t)(p - data) + 1;
	}
	*ret_end = end;
	return lines;
}

int export_append(struct export *x, const char *data, size_t size, size_t n)
{
	size_t written = 0, end, lines;
	int q;

	if (size == 0)
		return 0;
	if (x->size > 0 &&
	    (x->size + size > x->limits.max_size ||
	     now_usec(CLOCK_REALTIME) >= x->begun + x->limits.max_age_sec * USEC_PER_SEC)) {
		q = export_rotate(x);
		if (q < 0) {
			x->failed++;
			return q;
		}
	}
	q = loop_write(x->fd, data, size, &written);
	if (q >= 0 && fdatasync(x->fd) < 0)
		q = -errno;
	if (q >= 0) {
		if (x->size == 0) {
			x->begun = now_usec(CLOCK_REALTIME);
			(void)export_arm_age_timer(x);
		}
		x->size += size;
		x->next += n;
		x->exported += n;
		return 0;
	}

	/*
	 * The batch is refused and its device sends it again.  A reader may have
	 * read the lines written already: they stay, counted (repeats, with the
	 * same metadata.uid), and only a half line is cut off; then the log goes
	 * on in a new file, so nothing is written where a reader has been.
	 */
	lines = count_lines(data, written, &end);
	if (end < written && ftruncate(x->fd, (off_t)(x->size + end)) < 0)
		log_error_errno(errno,
				"Failed to cut a half line off export file %016" PRIu64
				" in %s: %m; readers pass it over.",
				x->first, x->dir);
	x->size += end;
	x->next += lines;
	x->exported += lines;
	x->failed++;
	if (x->size > 0 && export_rotate(x) < 0)
		log_warning("Failed to begin a new export file in %s; the next batch tries again.",
			    x->dir);
	return q;
}

void export_get_counters(const struct export *x, struct export_counters *ret)
{
	_cleanup_free_ struct export_file *files = NULL;
	size_t n = 0;

	*ret = (struct export_counters){
		.next = x->next,
		.exported = x->exported,
		.failed = x->failed,
	};
	if (export_files_list(x->dir_fd, &files, &n) >= 0)
		ret->files = n;
}
