/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * execbench: the load generator of `make bench`.
 *
 *   execbench saturate N          fork+exec /bin/true N times back to back,
 *                                 waiting for each; prints the throughput.
 *   execbench rate R SECONDS      fork+exec /bin/true R times a second for
 *                                 SECONDS, on an absolute schedule; prints how
 *                                 many ran and how far behind schedule it fell.
 *
 * Output is one line of key=value pairs so tests/bench/run-bench can read it
 * with awk.  Exit status: 0 when every child ran /bin/true and exited 0, 1 when
 * one did not, 2 for a usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basic/time-util.h"

#define EXECBENCH_PROGRAM     "/bin/true"
#define EXECBENCH_MAX_COUNT   100000000ULL
#define EXECBENCH_MAX_RATE    1000000ULL
#define EXECBENCH_MAX_SECONDS 86400ULL

static void usage(FILE *f)
{
	fprintf(f, "Usage: execbench saturate N\n"
		   "       execbench rate R SECONDS\n"
		   "\n"
		   "Forks and execs " EXECBENCH_PROGRAM " N times back to back, or R times a\n"
		   "second for SECONDS on an absolute schedule, and prints one line of\n"
		   "key=value results.\n");
}

/* Parses a decimal in [1, max]; returns 0 or -EINVAL. */
static int parse_count(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * Runs the program once and waits for it.  Returns 0 when it exited 0, 1 when
 * it ran but failed (or could not be exec'd: the child exits 127), -errno when
 * fork or wait failed.
 */
static int spawn_and_wait(void)
{
	static char *const argv[] = { (char *)EXECBENCH_PROGRAM, NULL };
	int status;
	pid_t pid, r;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(EXECBENCH_PROGRAM, argv);
		_exit(127);
	}
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Exec number i (for the message), its failure counted in *failed; -1 when fork or wait failed. */
static int exec_counted(unsigned long long i, unsigned long long *failed)
{
	int r = spawn_and_wait();

	if (r < 0) {
		fprintf(stderr, "execbench: fork/wait failed after %llu execs: %s\n", i,
			strerror(-r));
		return -1;
	}
	*failed += (unsigned long long)r;
	return 0;
}

static int run_saturate(unsigned long long n)
{
	unsigned long long i, failed = 0;
	nsec_t begin, end;
	double seconds;

	begin = now_nsec(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++)
		if (exec_counted(i, &failed) < 0)
			return 1;
	end = now_nsec(CLOCK_MONOTONIC);

	seconds = (double)(end - begin) / (double)NSEC_PER_SEC;
	printf("mode=saturate execs=%llu failed=%llu seconds=%.6f exec_per_s=%.1f\n", n, failed,
	       seconds, seconds > 0 ? (double)n / seconds : 0.0);
	return failed == 0 ? 0 : 1;
}

/* Sleeps until the monotonic time t; returns 0, or -1 when the clock failed (said why). */
static int sleep_until(nsec_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / NSEC_PER_SEC),
		.tv_nsec = (long)(t % NSEC_PER_SEC),
	};
	int r;

	do
		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	while (r == EINTR);
	if (r != 0) {
		fprintf(stderr, "execbench: clock_nanosleep failed: %s\n", strerror(r));
		return -1;
	}
	return 0;
}

/*
 * Exec number i is due at begin + i / rate.  A late exec runs at once, so the
 * count is always rate * seconds and the lateness shows in the report rather
 * than in a lower count.
 */
static int run_rate(unsigned long long rate, unsigned long long seconds)
{
	unsigned long long i, n = rate * seconds, failed = 0, late_count = 0;
	nsec_t begin, due, now, late, max_late = 0, end;
	double elapsed;

	begin = now_nsec(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		due = begin + (nsec_t)((double)i * (double)NSEC_PER_SEC / (double)rate);
		if (sleep_until(due) < 0)
			return 1;

		now = now_nsec(CLOCK_MONOTONIC);
		late = now > due ? now - due : 0;
		if (late > max_late)
			max_late = late;
		/* More than one period late means this exec missed its slot. */
		if (late * rate > NSEC_PER_SEC)
			late_count++;

		if (exec_counted(i, &failed) < 0)
			return 1;
	}
	/* The schedule ends one period after the last exec was due. */
	due = begin + seconds * NSEC_PER_SEC;
	if (sleep_until(due) < 0)
		return 1;
	end = now_nsec(CLOCK_MONOTONIC);

	elapsed = (double)(end - begin) / (double)NSEC_PER_SEC;
	printf("mode=rate target_per_s=%llu seconds=%.6f execs=%llu failed=%llu "
	       "achieved_per_s=%.1f max_late_ms=%.3f missed_slots=%llu end_behind_ms=%.3f\n",
	       rate, elapsed, n, failed, elapsed > 0 ? (double)n / elapsed : 0.0,
	       (double)max_late / 1e6, late_count, end > due ? (double)(end - due) / 1e6 : 0.0);
	return failed == 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
	unsigned long long n, rate, seconds;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "saturate")) {
		if (parse_count(argv[2], EXECBENCH_MAX_COUNT, &n) < 0) {
			fprintf(stderr, "execbench: N must be an integer from 1 to %llu\n",
				EXECBENCH_MAX_COUNT);
			return 2;
		}
		return run_saturate(n);
	}
	if (argc == 4 && !strcmp(argv[1], "rate")) {
		if (parse_count(argv[2], EXECBENCH_MAX_RATE, &rate) < 0 ||
		    parse_count(argv[3], EXECBENCH_MAX_SECONDS, &seconds) < 0) {
			fprintf(stderr,
				"execbench: R must be from 1 to %llu and SECONDS from 1 to %llu\n",
				EXECBENCH_MAX_RATE, EXECBENCH_MAX_SECONDS);
			return 2;
		}
		return run_rate(rate, seconds);
	}
	usage(stderr);
	return 2;
}
