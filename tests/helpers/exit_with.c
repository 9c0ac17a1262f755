// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exit_with STATUS [kill|wait] [ARGS...]
 *
 * The integration tests' exec target, copied under a unique name for each
 * test so its records can be told apart.  Exits with STATUS; with "kill" it
 * raises SIGKILL on itself instead; with "wait" it first reads stdin to its
 * end, so a test can keep it alive and end it by closing a pipe.  Further
 * arguments are ignored: they are there to be captured.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	char buf[256], *end;
	long status;

	if (argc < 2) {
		fprintf(stderr, "Usage: exit_with STATUS [kill|wait] [ARGS...]\n");
		return 2;
	}
	errno = 0;
	status = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || status < 0 || status > 255) {
		fprintf(stderr, "exit_with: STATUS must be a number from 0 to 255, not '%s'.\n",
			argv[1]);
		return 2;
	}
	if (argc > 2 && strcmp(argv[2], "wait") == 0) {
		for (;;) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
	}
	if (argc > 2 && strcmp(argv[2], "kill") == 0) {
		raise(SIGKILL);
		return 3; /* not reached */
	}
	return (int)status;
}
