/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A cgroup v2 of a test's own, for the tests and benches that attach the
 * network probe where no other program on the machine meets its rules: find
 * the hierarchy, remember the cgroup we came from, move in and back.
 *
 * Static functions: a test program includes this header once.  They print
 * nothing; the caller says what failed.
 */
#ifndef POSTURED_TESTS_OWN_CGROUP_H
#define POSTURED_TESTS_OWN_CGROUP_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* The cgroup v2 root: the hybrid hierarchy's unified mount, else the unified hierarchy itself. */
static inline const char *own_cgroup_root(void)
{
	static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		struct statfs sfs;

		if (statfs(candidates[i], &sfs) == 0 &&
		    (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	}
	return NULL;
}

/*
 * The cgroup v2 this process is in, as a path under root, into buf ("" when
 * /proc/self/cgroup names none).  Returns 0, or -errno when it cannot be read.
 */
static inline int own_cgroup_current(const char *root, char *buf, size_t size)
{
	char line[PATH_MAX + 8];
	FILE *in;

	buf[0] = '\0';
	in = fopen("/proc/self/cgroup", "re");
	if (!in)
		return -errno;
	while (fgets(line, sizeof(line), in))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s%s", root, line + 3);
		}
	fclose(in);
	return 0;
}

/* Moves this process (and the children it makes from now on) into the cgroup dir. */
static inline int own_cgroup_enter(const char *dir)
{
	char path[PATH_MAX + 32], pid[32];
	ssize_t len;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, pid, (size_t)len) != len)
		r = -errno;
	close(fd);
	return r;
}

/* Moves back home (unless "") and removes dir (unless ""). */
static inline void own_cgroup_leave(const char *dir, const char *home)
{
	if (!dir[0])
		return;
	if (home[0])
		(void)own_cgroup_enter(home);
	(void)rmdir(dir);
}

#endif
