/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's status socket (docs/status-socket.md) and build/posturectl,
 * asked while the agent's output is taken in: an agent blocked on a full
 * stdout pipe would answer nobody.
 */
#ifndef POSTURED_TESTS_HARNESS_STATUS_H
#define POSTURED_TESTS_HARNESS_STATUS_H

#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "harness_agent.h"

/* How long an answer, or posturectl, may take. */
#define HARNESS_STATUS_TIMEOUT_MS 5000
/* The most of an answer, or of what posturectl prints, that is kept. */
#define HARNESS_STATUS_OUTPUT_MAX (8 * 1024 * 1024)

/*
 * A connection to the status socket at path, its receive buffer rcvbuf
 * bytes when > 0.  Returns the fd (the caller's) or -errno; says nothing.
 */
int harness_status_connect(const char *path, int rcvbuf);

/*
 * Waits up to timeout_ms for fd to be readable, taking in a's output
 * meanwhile.  Returns > 0 when fd is readable, 0 on timeout, -1 when
 * reading the agent failed (it said why).
 */
int harness_agent_poll(struct harness_agent *a, int fd, int timeout_ms);

/*
 * Connects to a's status socket as we are, sends request (one line, with
 * its newline) and reads the first line of the answer into *ret (without
 * the newline; the caller's).  Returns 0 or -1.
 */
int harness_status_ask(struct harness_agent *a, const char *request, char **ret);

/* The same, parsed: the answer's "result" must be an object.  *ret is the caller's. */
int harness_status_result(struct harness_agent *a, const char *request, yajl_val *ret);

/*
 * Runs build/posturectl with args (NULL-terminated) as uid (0: as we are),
 * taking in a's output meanwhile; *ret is all it printed on stdout (the
 * caller's), *ret_status its wait status.  Returns 0 or -1.
 */
int harness_ctl_run(struct harness_agent *a, uid_t uid, const char *const *args, char **ret,
		    int *ret_status);

#endif
