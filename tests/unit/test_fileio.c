// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * basic/fileio: the one bounded whole-file read and the one atomic write that
 * every program uses.  Limits hold at the byte, files that are not regular
 * are refused by kind, private files by mode, and a replaced file is never
 * seen half-written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/fileio.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/postured-fileio.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void write_n(const char *path, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	char *buf = malloc(n + 1);

	assert_true(fd >= 0);
	assert_non_null(buf);
	memset(buf, 'x', n);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(buf);
}

static void test_read_at_the_limit(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	char *data = NULL;
	size_t size = 0;

	snprintf(path, sizeof(path), "%s/exact", f->dir);
	write_n(path, 256, 0600);
	assert_int_equal(read_full_file(path, 256, 0, &data, &size), 0);
	assert_int_equal(size, 256);
	assert_int_equal(data[size], '\0');
	free(data);
	data = NULL;

	snprintf(path, sizeof(path), "%s/big", f->dir);
	write_n(path, 257, 0600);
	assert_int_equal(read_full_file(path, 256, 0, &data, &size), -EFBIG);
	assert_null(data);

	snprintf(path, sizeof(path), "%s/empty", f->dir);
	write_n(path, 0, 0600);
	assert_int_equal(read_full_file(path, 16, 0, &data, NULL), 0);
	assert_string_equal(data, "");
	free(data);
}

static void test_read_refuses_other_kinds(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], link_path[PATH_MAX];
	char *data = NULL;
	size_t size = 0;

	snprintf(link_path, sizeof(link_path), "%s/link", f->dir);
	assert_int_equal(symlink("/etc/hostname", link_path), 0);
	assert_int_equal(read_full_file(link_path, 4096, READ_FULL_NOFOLLOW, &data, &size), -ELOOP);
	assert_int_equal(read_full_file(f->dir, 4096, 0, &data, &size), -EISDIR);
	assert_int_equal(read_full_file("/dev/null", 4096, 0, &data, &size), -EBADFD);
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(read_full_file(path, 4096, 0, &data, &size), -ENOENT);
	/* A FIFO in a file's place is refused at once, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(read_full_file(path, 4096, 0, &data, &size), -EBADFD);
	assert_null(data);
}

static void test_read_private(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	char *data = NULL;

	snprintf(path, sizeof(path), "%s/key", f->dir);
	write_n(path, 32, 0640);
	assert_int_equal(read_full_file(path, 4096, READ_FULL_PRIVATE, &data, NULL), -EPERM);
	/* READ_FULL_SECRET only wipes; the mode is the caller's to judge. */
	assert_int_equal(read_full_file(path, 4096, READ_FULL_SECRET, &data, NULL), 0);
	free(data);
	data = NULL;
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(read_full_file(path, 4096, READ_FULL_PRIVATE, &data, NULL), 0);
	assert_int_equal(strlen(data), 32);
	free(data);
}

static void test_write_atomic_replaces(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], tmp[PATH_MAX];
	char *data = NULL;
	struct stat st;
	int dfd;

	snprintf(path, sizeof(path), "%s/state", f->dir);
	write_n(path, 100, 0644);
	assert_int_equal(write_file_atomic(path, "new\n", 4, 0600), 0);
	assert_int_equal(read_full_file(path, 4096, 0, &data, NULL), 0);
	assert_string_equal(data, "new\n");
	free(data);
	data = NULL;
	/* The new file has the mode asked for, not the old one's, and no temporary is left. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(tmp, sizeof(tmp), "%s/.state.tmp", f->dir);
	assert_int_equal(access(tmp, F_OK), -1);

	/* Relative to a directory, as the sender writes into its hand-over directory. */
	dfd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(write_file_atomic_at(dfd, "policy.json", "{}", 2, 0600), 0);
	close(dfd);
	snprintf(path, sizeof(path), "%s/policy.json", f->dir);
	assert_int_equal(read_full_file(path, 4096, 0, &data, NULL), 0);
	assert_string_equal(data, "{}");
	free(data);
}

static void test_write_atomic_failure_keeps_old(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	char *data = NULL;

	/* The target is a directory: the rename fails, the temporary goes, nothing changes. */
	snprintf(path, sizeof(path), "%s/sub", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(write_file_atomic(path, "x", 1, 0600) < 0);
	assert_int_equal(read_full_file(path, 4096, 0, &data, NULL), -EISDIR);
	snprintf(path, sizeof(path), "%s/.sub.tmp", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/no/such/dir/file", f->dir);
	assert_int_equal(write_file_atomic(path, "x", 1, 0600), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_at_the_limit),
		cmocka_unit_test(test_read_refuses_other_kinds),
		cmocka_unit_test(test_read_private),
		cmocka_unit_test(test_write_atomic_replaces),
		cmocka_unit_test(test_write_atomic_failure_keeps_old),
	};

	return cmocka_run_group_tests_name("fileio", tests, setup, teardown);
}
