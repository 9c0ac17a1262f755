// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * spawn_storm [-j JOBS] [-t SECONDS] COUNT BINARY [ARGS...]
 *
 * Forks and execs BINARY (argv[0] is BINARY itself) COUNT times, with at most
 * JOBS children alive at once (default 1: each is waited for before the next
 * starts), and starts no more after SECONDS.  Prints one line:
 *
 *   started N of COUNT in S.SSS s (R/s), F failed
 *
 * where F counts children that did not exit with status 0 (127: the exec
 * failed).  Exits 0 when all COUNT started and none failed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_count(const char *s, const char *what, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max) {
		fprintf(stderr, "spawn_storm: %s must be a number from 1 to %lu, not '%s'.\n", what,
			max, s);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Reaps one child; returns 1 when it failed, 0 when it exited 0, -errno. */
static int reap_one(void)
{
	int status;
	pid_t pid;

	do
		pid = wait(&status);
	while (pid < 0 && errno == EINTR);
	if (pid < 0)
		return -errno;
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Reaps one child into the counts: one fewer running, one more failed if it failed.  -1: wait failed (said why). */
static int reap_counted(unsigned long *running, unsigned long *failed)
{
	int r = reap_one();

	if (r < 0) {
		fprintf(stderr, "spawn_storm: wait: %s\n", strerror(-r));
		return -1;
	}
	*failed += (unsigned long)r;
	(*running)--;
	return 0;
}

int main(int argc, char *argv[])
{
	unsigned long jobs = 1, seconds = 0, count, started = 0, running = 0, failed = 0;
	double begin, deadline, elapsed;
	int c, r;

	while ((c = getopt(argc, argv, "+j:t:h")) >= 0) {
		switch (c) {
		case 'j':
			if (parse_count(optarg, "JOBS", 1024, &jobs) < 0)
				return 2;
			break;
		case 't':
			if (parse_count(optarg, "SECONDS", 86400, &seconds) < 0)
				return 2;
			break;
		case 'h':
		default:
			fprintf(stderr,
				"Usage: spawn_storm [-j JOBS] [-t SECONDS] COUNT BINARY [ARGS...]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"Usage: spawn_storm [-j JOBS] [-t SECONDS] COUNT BINARY [ARGS...]\n");
		return 2;
	}
	if (parse_count(argv[optind], "COUNT", 100000000, &count) < 0)
		return 2;
	argv += optind + 1; /* argv[0] is now BINARY: the children's argv */

	begin = now_seconds();
	deadline = seconds ? begin + (double)seconds : 0;
	while (started < count) {
		pid_t pid;

		if (deadline && now_seconds() >= deadline)
			break;
		while (running >= jobs)
			if (reap_counted(&running, &failed) < 0)
				return 1;
		pid = fork();
		if (pid < 0) {
			if (errno == EAGAIN && running > 0) {
				/* Out of processes for now: let one finish. */
				r = reap_one();
				if (r >= 0) {
					failed += (unsigned long)r;
					running--;
				}
				continue;
			}
			fprintf(stderr, "spawn_storm: fork: %s\n", strerror(errno));
			break;
		}
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		started++;
		running++;
	}
	while (running > 0)
		if (reap_counted(&running, &failed) < 0)
			return 1;
	elapsed = now_seconds() - begin;
	printf("started %lu of %lu in %.3f s (%.0f/s), %lu failed\n", started, count, elapsed,
	       elapsed > 0 ? (double)started / elapsed : 0.0, failed);
	return started == count && failed == 0 ? 0 : 1;
}
