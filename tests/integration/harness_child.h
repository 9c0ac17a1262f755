/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test's children other than the agent (helper programs, posturectl, the
 * collector, relays): started clean (no inherited fds, default signals) and
 * killed when the test process dies (PR_SET_PDEATHSIG), waited for with a
 * timeout, killed and reaped when a test leaves one behind.
 */
#ifndef POSTURED_TESTS_HARNESS_CHILD_H
#define POSTURED_TESTS_HARNESS_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "basic/cleanup.h"

struct harness_child_opts {
	bool set_uid; /* run as uid/gid (setresuid in the child before exec) */
	uid_t uid;
	gid_t gid;
	int stdin_fd; /* -1: /dev/null */
	int stdout_fd; /* -1: ours */
};

#define HARNESS_CHILD_OPTS_DEFAULT ((struct harness_child_opts){ .stdin_fd = -1, .stdout_fd = -1 })

/*
 * In a forked child: what every child of ours does before its exec.  It gets
 * the given stdin (-1: /dev/null), stdout and stderr (-1: ours) and no other
 * fd (make's jobserver pipes, say), default signal handling, and SIGKILL when
 * the test (parent) dies; it _exit()s at once when parent is already gone.
 */
void harness_child_setup(pid_t parent, int stdin_fd, int stdout_fd, int stderr_fd);

/* A pipe, both ends O_CLOEXEC: *ret_read and *ret_write are the caller's.  Returns 0 or -1. */
int harness_pipe(int *ret_read, int *ret_write);

/*
 * Forks and execs path with argv as o says; *ret_pid is the child, the
 * caller's to wait for (harness_wait_child()).  Returns 0 or -1.
 */
int harness_spawn(const char *path, char *const argv[], const struct harness_child_opts *o,
		  pid_t *ret_pid);

/*
 * Waits up to timeout_ms for the child pid to end and reaps it; *ret_status
 * is its wait status.  On timeout it is killed, reaped, and the test fails.
 * Returns 0 or -1.
 */
int harness_wait_child(pid_t pid, int timeout_ms, int *ret_status);

/*
 * Runs a tool to its end (stdout to /dev/null, at most timeout_ms): it
 * must exit with status 0.  Returns 0 or -1 (the test failed, saying why).
 */
int harness_run(char *const argv[], int timeout_ms);

/* A wait status in words into buf ("exit status 3", "killed by signal 9 (Killed)"); returns buf. */
const char *harness_describe_status(int status, char *buf, size_t size);

/* Kills and reaps *pid when it is a child still running, and sets it to 0. */
void harness_child_killp(pid_t *pid);

#define _cleanup_child_ _cleanup_(harness_child_killp)

#endif
