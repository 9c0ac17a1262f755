// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process probes under load: a storm of 5,000 short-lived processes, one
 * at a time, every exec reported or counted as lost; process_probe.c has
 * the suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_probe.h"

#define STORM_COUNT 5000
/* An upper bound on the storm (these VMs manage about 400 fork+exec a second). */
#define STORM_TIMEOUT_S 150

/* --- a storm of short-lived processes --------------------------------------------- */

struct storm {
	const char *path;
	unsigned long execs, exits, others;
};

static int storm_event(yajl_val *ev, void *userdata)
{
	struct storm *s = userdata;
	const char *kind = harness_json_str(harness_json(*ev, "postured", "event"));
	const char *path = harness_json_str(harness_json(*ev, "process", "file", "path"));

	if (!kind || !path || strcmp(path, s->path) != 0)
		return 0;
	if (strcmp(kind, "exec") == 0)
		s->execs++;
	else if (strcmp(kind, "exit") == 0)
		s->exits++;
	else
		s->others++;
	return 0;
}

static int test_storm(const void *arg)
{
	const char *flavor = arg;
	struct harness_agent_opts o = { .flavor = flavor };
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	_cleanup_close_ int rd = -EBADF, wr = -EBADF;
	struct storm s = {};
	char count[16], limit[16], out[512] = "";
	unsigned long started = 0, wanted = 0;
	long long lost_exec, lost_fork, lost_exit, sent_exec, total;
	int64_t begin, deadline;
	int status, r;
	size_t have = 0;
	pid_t pid;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("exit_with"), &bin));
	s.path = bin;
	snprintf(count, sizeof(count), "%d", STORM_COUNT);
	snprintf(limit, sizeof(limit), "%d", STORM_TIMEOUT_S);
	TRY(harness_pipe(&rd, &wr));
	co.stdout_fd = wr;

	TRY(harness_agent_start(&o, &a));
	begin = harness_now_ms();
	deadline = begin + (STORM_TIMEOUT_S + 30) * 1000;
	/* One child at a time, each waited for, as a shell loop would run them. */
	TRY(harness_spawn(harness_helper("spawn_storm"),
			  (char *[]){ (char *)harness_helper("spawn_storm"), "-j", "1", "-t", limit,
				      count, bin, "0", NULL },
			  &co, &pid));
	wr = safe_close(wr);

	/* Keep reading the agent while the storm runs, or its pipe fills and it stalls. */
	for (;;) {
		struct pollfd p = { .fd = rd, .events = POLLIN };
		ssize_t n;

		r = harness_agent_wait(a, 100, harness_basename(bin), storm_event, &s);
		if (r == -EPIPE) {
			(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
			return harness_fail(
				"postured ended its output during the storm. Its stderr: %s",
				harness_agent_stderr(a));
		}
		if (r < 0)
			return harness_fail("Reading postured's output: %s", strerror(-r));
		if (poll(&p, 1, 0) > 0) {
			n = read(rd, out + have, sizeof(out) - 1 - have);
			if (n == 0)
				break; /* spawn_storm is done */
			if (n > 0)
				have += (size_t)n;
		}
		if (harness_now_ms() > deadline) {
			(void)kill(pid, SIGKILL);
			(void)harness_wait_child(pid, CHILD_TIMEOUT_MS, &status);
			return harness_fail("The storm did not end within %d s",
					    STORM_TIMEOUT_S + 30);
		}
	}
	out[have] = '\0';
	out[strcspn(out, "\n")] = '\0';
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	CHECK(sscanf(out, "started %lu of %lu", &started, &wanted) == 2,
	      "spawn_storm printed \"%s\", expected \"started N of M ...\"", out);
	CHECK(started == STORM_COUNT && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "spawn_storm should have run %s %d times within %d s: it says \"%s\" (exit status "
	      "%d)",
	      bin, STORM_COUNT, STORM_TIMEOUT_S, out, WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* What the agent still has in its ring comes out as it stops. */
	TRY(stop_ok(a, flavor, harness_basename(bin), storm_event, &s));
	TRY(stats_int(a, &lost_exec, "lost", "exec"));
	TRY(stats_int(a, &lost_fork, "lost", "fork"));
	TRY(stats_int(a, &lost_exit, "lost", "exit"));
	TRY(stats_int(a, &sent_exec, "sent", "exec"));
	harness_note("%s: spawn_storm %s; exec records seen %lu, lost %lld; exit records seen %lu, "
		     "lost %lld; fork lost %lld; the agent printed %llu records in %.1f s",
		     flavor, out, s.execs, lost_exec, s.exits, lost_exit, lost_fork,
		     (unsigned long long)a->event_lines,
		     (double)(harness_now_ms() - begin) / 1000.0);

	CHECK(s.others == 0, "%lu fork records carried the storm binary's path before its exec",
	      s.others);
	CHECK((long long)s.execs <= sent_exec,
	      "%lu exec records of %s seen, but the counters say only %lld were sent in all",
	      s.execs, bin, sent_exec);
	CHECK(s.execs <= STORM_COUNT, "%lu exec records of %s for %d execs: duplicates", s.execs,
	      bin, STORM_COUNT);
	total = (long long)s.execs + lost_exec;
	CHECK(total == STORM_COUNT,
	      "exec records seen (%lu) + lost (%lld) should be exactly %d: %s", s.execs, lost_exec,
	      STORM_COUNT,
	      total < STORM_COUNT ? "some execs were neither reported nor counted as lost" :
				    "more were lost than the storm made; lost.exec counts every "
				    "process's execs, so others exec'd while records were lost");
	/* With nothing lost, every storm child's exit must be there, named by the table. */
	if (lost_exec == 0 && lost_fork == 0 && lost_exit == 0)
		CHECK(s.exits == STORM_COUNT,
		      "nothing was lost, yet %lu exit records name %s for %d processes", s.exits,
		      bin, STORM_COUNT);
	return 0;
}

static const struct harness_test tests[] = {
	BOTH_FLAVOR_NAMES("storm_5000", test_storm),
};

HARNESS_TABLE(process_probe_storm_table, tests);
