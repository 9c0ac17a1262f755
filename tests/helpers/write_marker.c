// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * write_marker MARKER [SECONDS]
 *
 * The policy tests' exec target, copied under a unique name for each test.
 * Its first action is to create the file MARKER, so a test can tell whether
 * it ran a single instruction of its own (the dynamic loader aside: a kill
 * before the first instruction comes before that too).  Then it sleeps
 * SECONDS (default 0, at most 60), so a test can keep it running, and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	struct timespec ts = {};
	int fd;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return 3;
	close(fd);
	if (argc > 2) {
		ts.tv_sec = strtol(argv[2], NULL, 10);
		if (ts.tv_sec < 0 || ts.tv_sec > 60)
			return 2;
		/* Interrupted (a stop and continue) it sleeps the rest. */
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}
