// SPDX-License-Identifier: LGPL-2.1-or-later
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_paths.h"
#include "harness_report.h"

static char harness_build[PATH_MAX];
static char harness_source[PATH_MAX];

int harness_paths_init(void)
{
	const char *e = getenv("POSTURED_BUILD_DIR");
	char self[PATH_MAX];
	ssize_t n;

	if (e && *e) {
		if (!realpath(e, harness_build))
			return harness_fail("POSTURED_BUILD_DIR=%s: %m", e);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return harness_fail("Cannot read /proc/self/exe: %m");
		self[n] = '\0';
		for (int i = 0; i < 3; i++) {
			char *s = strrchr(self, '/');

			if (s)
				*s = '\0';
		}
		snprintf(harness_build, sizeof(harness_build), "%s", self);
	}
	e = getenv("POSTURED_SOURCE_DIR");
	if (e && *e) {
		if (!realpath(e, harness_source))
			return harness_fail("POSTURED_SOURCE_DIR=%s: %m", e);
	} else {
		char up[PATH_MAX + 4];

		snprintf(up, sizeof(up), "%s/..", harness_build);
		if (!realpath(up, harness_source))
			return harness_fail("Cannot resolve %s: %m", up);
	}
	return 0;
}

const char *harness_build_dir(void)
{
	return harness_build;
}

/* root/rel in one of a few static buffers shared by both trees' paths, as the header says. */
static const char *harness_path_in(const char *root, const char *rel)
{
	static char bufs[8][PATH_MAX + 256];
	static unsigned next;
	char *b = bufs[next++ % ELEMENTSOF(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s/%s", root, rel);
	return b;
}

const char *harness_build_path(const char *rel)
{
	return harness_path_in(harness_build, rel);
}

const char *harness_source_path(const char *rel)
{
	return harness_path_in(harness_source, rel);
}

const char *harness_helper(const char *name)
{
	static char bufs[2][PATH_MAX];
	static unsigned next;
	char *b = bufs[next++ % ELEMENTSOF(bufs)];
	char rel[64];

	snprintf(rel, sizeof(rel), "tests/helpers/%s", name);
	snprintf(b, PATH_MAX, "%s", harness_build_path(rel));
	return b;
}

const char *harness_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}
