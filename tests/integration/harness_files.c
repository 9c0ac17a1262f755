// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness_files.h"
#include "harness_paths.h"
#include "harness_report.h"

void harness_tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

void harness_tmpdir_freep(char **dir)
{
	if (*dir) {
		harness_tmpdir_remove(*dir);
		free(*dir);
		*dir = NULL;
	}
}

int harness_tmpdir_new(char **ret)
{
	const char *base = getenv("TMPDIR");
	char tmpl[128];
	char *d;

	/* The notify socket goes in there, and sun_path is short. */
	if (!base || base[0] != '/' || strlen(base) > 64)
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/postured-it.XXXXXX", base);
	if (!mkdtemp(tmpl))
		return harness_fail("Cannot create a directory from %s: %m", tmpl);
	if (chmod(tmpl, 0755) < 0) {
		harness_fail("Cannot chmod %s: %m", tmpl);
		harness_tmpdir_remove(tmpl);
		return -1;
	}
	d = strdup(tmpl);
	if (!d) {
		harness_tmpdir_remove(tmpl);
		return harness_fail("Out of memory");
	}
	*ret = d;
	return 0;
}

int harness_write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0)
		return harness_fail("Cannot create %s: %m", path);
	if (write(fd, text, len) != (ssize_t)len)
		return harness_fail("Cannot write %s: %m", path);
	return 0;
}

int harness_replace_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	TRY(harness_write_file(tmp, text));
	if (rename(tmp, path) < 0)
		return harness_fail("Cannot rename %s to %s: %m", tmp, path);
	return 0;
}

int harness_read_text(const char *path, char **ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t have = 0, cap = 0;
	ssize_t n;

	if (fd < 0)
		return harness_fail("Cannot open %s: %m", path);
	do {
		if (cap - have < 4096) {
			char *p = realloc(text, cap + 65536);

			if (!p)
				return harness_fail("Out of memory");
			text = p;
			cap += 65536;
		}
		n = read(fd, text + have, cap - have - 1);
		if (n < 0)
			return harness_fail("Cannot read %s: %m", path);
		have += (size_t)n;
	} while (n > 0);
	text[have] = '\0';
	*ret = TAKE_PTR(text);
	return 0;
}

int harness_copy_file(const char *src, const char *dst)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	char buf[65536];
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return harness_fail("Cannot open %s (was it built? make integration builds it): %m",
				    src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0)
		return harness_fail("Cannot create %s: %m", dst);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return harness_fail("Cannot write %s: %m", dst);
	if (n < 0)
		return harness_fail("Cannot read %s: %m", src);
	if (fchmod(out, 0755) < 0)
		return harness_fail("Cannot chmod %s: %m", dst);
	/* Closed when this returns, before anyone execs it. */
	return 0;
}

int harness_unique_copy(const char *dir, const char *src, char **ret)
{
	_cleanup_free_ char *path = NULL;
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return harness_fail("getrandom: %m");
	if (asprintf(&path, "%s/%s-%d-%016llx", dir, harness_basename(src), (int)getpid(),
		     (unsigned long long)rnd) < 0) {
		path = NULL;
		return harness_fail("Out of memory");
	}
	TRY(harness_copy_file(src, path));
	*ret = TAKE_PTR(path);
	return 0;
}

char *harness_substitute(const char *text, const char *const *vars)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out;

	for (size_t i = 0; vars[i]; i += 2)
		cap += strlen(vars[i + 1]) * 8;
	out = malloc(cap);
	if (!out)
		return NULL;
	while (*text) {
		bool done = false;

		for (size_t i = 0; vars[i] && *text == '@'; i += 2) {
			size_t k = strlen(vars[i]);

			if (strncmp(text + 1, vars[i], k) != 0 || text[k + 1] != '@')
				continue;
			len += (size_t)snprintf(out + len, cap - len, "%s", vars[i + 1]);
			text += k + 2;
			done = true;
			break;
		}
		if (!done && len + 1 < cap)
			out[len++] = *text++;
		else if (!done)
			break;
	}
	out[len] = '\0';
	return out;
}
