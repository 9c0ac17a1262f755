/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading the export log (export.h): its files, a reader that follows it
 * from a position on (into the file being written and across rotations),
 * and the cursors forwarders keep in the same directory, one small JSON
 * file each (forward-NAME.cursor), which the collector reads for its
 * counters.
 */
#ifndef POSTURED_COLLECTOR_EXPORT_READ_H
#define POSTURED_COLLECTOR_EXPORT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basic/cleanup.h"

#define EXPORT_NAME_MAX 48

/* One file of the log: the export number of its first record, and whether it is compressed. */
struct export_file {
	uint64_t first;
	bool compressed;
};

/* "ocsf-%016llu.ndjson" or ".ndjson.gz". */
void export_file_name(uint64_t first, bool compressed, char buf[static EXPORT_NAME_MAX]);

/* The log's files in dir_fd, oldest first, in a new array.  Returns 0 or -errno. */
int export_files_list(int dir_fd, struct export_file **ret, size_t *ret_n);

/* Where a reader is: the file (by its first number), bytes into its text, and the record's number. */
struct export_position {
	uint64_t file;
	uint64_t offset;
	uint64_t number;
};

struct export_reader;

/*
 * Opens a reader of the log in dir at pos (all zero: the oldest record
 * kept), lines of at most max_line bytes.  Returns 0 or -errno.
 */
int export_reader_open(const char *dir, const struct export_position *pos, size_t max_line,
		       struct export_reader **ret);
struct export_reader *export_reader_free(struct export_reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct export_reader *, export_reader_free);

/*
 * The next complete line: returns 1 with the line (no '\n'; valid until the
 * next call) and the position after it in *ret_next; 0 when there is none
 * yet; -errno.  Records of files deleted before they were read and lines
 * longer than max_line are passed over and counted in export_reader_lost();
 * a half line a crash left at the end of a closed file (its record comes
 * again) is passed over uncounted.
 */
int export_reader_next(struct export_reader *r, const char **ret_line, size_t *ret_len,
		       struct export_position *ret_next);

/* Records passed over since open: their files were deleted unread, or their lines too long. */
uint64_t export_reader_lost(const struct export_reader *r);

/* The position of the next line export_reader_next() will return. */
void export_reader_position(const struct export_reader *r, struct export_position *ret);

/* --- cursors ------------------------------------------------------------------------------ */

#define EXPORT_CURSOR_NAME_MAX 33

struct export_cursor {
	char name[EXPORT_CURSOR_NAME_MAX]; /* [a-z0-9_-], 1..32 */
	char destination[256]; /* the URL it forwards to */
	struct export_position pos; /* the first record not known delivered */
	uint64_t forwarded; /* delivered (known to the destination) */
	uint64_t filtered; /* passed over: not of the classes or severity it takes */
	uint64_t lost; /* passed over: deleted before it read them, or broken */
	int64_t updated_ms;
	bool connected;
	char error[256]; /* why the last attempt failed; "" none */
};

/* Whether name may name a cursor (and so a forwarder). */
bool export_cursor_name_valid(const char *name);

/* Writes c to dir_fd's forward-NAME.cursor atomically, mode 0640.  Returns 0 or -errno. */
int export_cursor_save(int dir_fd, const struct export_cursor *c);

/* Reads name's cursor: 0; -ENOENT when it has none yet; -EBADMSG when it is damaged. */
int export_cursor_load(int dir_fd, const char *name, struct export_cursor *ret);

/* Calls cb for every cursor in dir_fd, by name; stops at cb's first negative return. */
int export_cursor_list(int dir_fd, int (*cb)(const struct export_cursor *c, void *userdata),
		       void *userdata);

/* A forwarder's cursor, and what it has yet to send of the log. */
struct export_destination {
	struct export_cursor cursor;
	uint64_t pending; /* records after its cursor, whether its filter will take them or not */
	int64_t oldest_pending_ms; /* the first of them was received then; 0: none pending */
};

/*
 * Calls cb for the cursor of every forwarder of the log in dir, whose next
 * record will be number next (export_counters.next).
 */
int export_destinations(const char *dir, uint64_t next,
			int (*cb)(const struct export_destination *d, void *userdata),
			void *userdata);

#endif
