// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "harness_bpf.h"
#include "harness_report.h"

static void ids_add(__u32 *ids, size_t *n, size_t max, __u32 id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < max)
		ids[(*n)++] = id;
}

int harness_bpf_ids_of(pid_t pid, struct harness_bpf_ids *ret)
{
	char dirpath[64];
	struct dirent *de;
	DIR *d;

	*ret = (struct harness_bpf_ids){};
	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dirpath);
	if (!d)
		return harness_fail("Cannot read %s: %m", dirpath);
	while ((de = readdir(d))) {
		char buf[4096], *line, *save = NULL;
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned id;

			if (sscanf(line, "prog_id: %u", &id) == 1)
				ids_add(ret->prog, &ret->nprog, ELEMENTSOF(ret->prog), id);
			else if (sscanf(line, "link_id: %u", &id) == 1)
				ids_add(ret->link, &ret->nlink, ELEMENTSOF(ret->link), id);
			else if (sscanf(line, "map_id: %u", &id) == 1)
				ids_add(ret->map, &ret->nmap, ELEMENTSOF(ret->map), id);
		}
	}
	closedir(d);
	return 0;
}
