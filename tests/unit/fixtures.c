// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fixture files and JSON for every unit test (fixtures.h): where
 * tests/fixtures is, whole files read, a record parsed back.  Needs libc,
 * cmocka, yajl and basic/ only, so that every suite can link it.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixtures.h"
#include "basic/fileio.h"

const char *fixture_path(const char *dir, const char *name)
{
	static char path[PATH_MAX];
	const char *env = getenv("POSTURED_TEST_FIXTURES");
	const char *slash = strrchr(__FILE__, '/');
	const char *sep = name[0] ? "/" : "";

	if (env)
		snprintf(path, sizeof(path), "%s/%s%s%s", env, dir, sep, name);
	else
		snprintf(path, sizeof(path), "%.*s/../fixtures/%s%s%s",
			 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", dir, sep,
			 name);
	return path;
}

char *fixture_read(const char *path, size_t *ret_size)
{
	char *text = NULL;
	int r = read_full_file(path, FIXTURE_READ_MAX, 0, &text, ret_size);

	if (r < 0)
		fail_msg("cannot read %s: %s%s", path, strerror(-r),
			 r == -ENOENT ? "; tests run from the top of the tree" : "");
	return text;
}

char *fixture_read_stream(FILE *f)
{
	char *text = NULL;
	int r;

	assert_non_null(f);
	rewind(f);
	r = read_full_fd(fileno(f), FIXTURE_READ_MAX, 0, &text, NULL);
	fclose(f);
	if (r < 0)
		fail_msg("cannot read a stream back: %s", strerror(-r));
	return text;
}

yajl_val fixture_json_parse(yajl_gen g)
{
	const unsigned char *buf;
	char *text, err[256] = "";
	yajl_val root;
	size_t len;

	assert_int_equal(yajl_gen_get_buf(g, &buf, &len), yajl_gen_status_ok);
	/* One object, one line, no NUL inside. */
	assert_null(memchr(buf, '\n', len));
	text = strndup((const char *)buf, len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	root = yajl_tree_parse(text, err, sizeof(err));
	if (!root)
		fail_msg("record does not parse (%s): %s", err, text);
	free(text);
	if (!YAJL_IS_OBJECT(root))
		fail_msg("record is not an object");
	return root;
}
