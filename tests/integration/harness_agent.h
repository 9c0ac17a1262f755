/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real build/postured as a child of the test: its stdout and stderr on
 * pipes, NOTIFY_SOCKET pointing at a datagram socket of ours, READY=1 waited
 * for, the JSON lines it prints handed to the test (parsed with yajl_tree)
 * with timeouts, stopped with SIGTERM and its exit status collected.
 *
 * No postured is left behind: each gets SIGKILL when the test process dies
 * (PR_SET_PDEATHSIG), harness_agent_free() kills one still running, and
 * harness_main() kills an agent a test forgot and counts it as the test's
 * failure (harness_agent_kill_left()).
 */
#ifndef POSTURED_TESTS_HARNESS_AGENT_H
#define POSTURED_TESTS_HARNESS_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"

/* How long postured may take from exec to READY=1, and from SIGTERM to exit. */
#define HARNESS_READY_TIMEOUT_MS 15000
#define HARNESS_STOP_TIMEOUT_MS	 15000
/* Bounds on what is kept of the agent's output. */
#define HARNESS_STDERR_MAX  (256 * 1024)
#define HARNESS_STDERR_TAIL (16 * 1024)
#define HARNESS_LINE_MAX    (1024 * 1024)
#define HARNESS_MAX_LIVE    16

enum harness_privs {
	HARNESS_PRIVS_ROOT, /* as we are: root with every capability */
	HARNESS_PRIVS_NOBODY, /* uid and gid 65534, no capabilities */
	HARNESS_PRIVS_NO_CAPS, /* uid 0 without any capability, the bounding set emptied */
	HARNESS_PRIVS_UNIT, /* uid 0 with only the capabilities postured.service grants */
};

struct harness_agent_opts {
	const char *program; /* the postured to run; NULL: the build tree's */
	const char *flavor; /* --probe-flavor NAME, or NULL */
	const char *config; /* --config FILE; NULL: the packaged postured.conf */
	const char *args[8]; /* more arguments, up to the first NULL */
	const char *watchdog_usec; /* WATCHDOG_USEC, or NULL for none */
	pid_t watchdog_pid; /* WATCHDOG_PID when watchdog_usec is set; 0: postured's own */
	enum harness_privs privs;
	bool no_wait_ready; /* return at once instead of waiting for READY=1 */
	bool no_print_events; /* leave out --print-events: the kernel filter closes */
	const char *stream_path; /* write every stdout line here too (a whole stream to check) */
};

struct harness_agent {
	pid_t pid;
	int pidfd, out_fd, err_fd, notify_fd;
	char *dir; /* private directory holding the notify socket */
	char notify_path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	/* Its own status socket, so agents of tests never meet at /run/postured. */
	char status_path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	int64_t started_ms, ready_ms;

	/* stdout: bytes [out_pos, out_len) of out are not yet handed out. */
	char *out;
	size_t out_pos, out_len, out_cap;
	bool out_eof;
	uint64_t event_lines; /* every line: each must be an OCSF record */
	uint64_t bad_lines; /* lines that did not parse */
	char bad_line[256]; /* the first of them */
	FILE *stream; /* opts.stream_path, open */
	/* The "Counters at stop: {...}" log line's object, parsed once the agent has exited. */
	yajl_val stats;

	char err[HARNESS_STDERR_MAX + 1];
	size_t err_len;
	bool err_eof, err_truncated;
	/* Past HARNESS_STDERR_MAX: the last bytes, where the counters are. */
	char err_tail[HARNESS_STDERR_TAIL + 1];
	size_t err_tail_len;

	bool exited;
	int status;
	bool watchdog_env; /* WATCHDOG_USEC was set for it */

	/* What arrived on NOTIFY_SOCKET. */
	bool ready, stopping;
	unsigned watchdogs, notify_messages, notify_foreign;
	char status_text[256];
};

/* Called with each parsed record; may take ownership by setting *ev to NULL. */
typedef int (*harness_event_fn)(yajl_val *ev, void *userdata);

/*
 * Starts build/postured --foreground --print-events --config ... with o's
 * options, stdout and stderr on pipes and NOTIFY_SOCKET on a socket of ours,
 * and (unless o->no_wait_ready) waits for READY=1.  *ret is the caller's
 * (harness_agent_free()).  Returns 0 or -1.
 */
int harness_agent_start(const struct harness_agent_opts *o, struct harness_agent **ret);

/* Kills the agent when it still runs, reaps it, and frees all of a; returns NULL. */
struct harness_agent *harness_agent_free(struct harness_agent *a);

DEFINE_TRIVIAL_CLEANUP_FUNC(struct harness_agent *, harness_agent_free);
#define _cleanup_agent_ _cleanup_(harness_agent_freep)

/*
 * Waits up to timeout_ms for anything from the agent (output, a notification,
 * its exit) and takes in all that is there.  Returns > 0 when something
 * happened, 0 on timeout, -errno.
 */
int harness_agent_pump(struct harness_agent *a, int timeout_ms);

/*
 * Feeds the agent's records to fn (only lines containing prefilter, when
 * given) until fn returns non-zero, timeout_ms pass, or the output ends.
 * Returns fn's non-zero value, 0 on timeout, -EPIPE when the agent's output
 * ended, another -errno.
 */
int harness_agent_wait(struct harness_agent *a, int timeout_ms, const char *prefilter,
		       harness_event_fn fn, void *userdata);

/*
 * Waits until the agent has exited and closed its output, feeding every line
 * to fn (whatever it returns).  After timeout_ms it is killed and the test
 * fails.  The exit status is in a->status.  Returns 0 or -1.
 */
int harness_agent_wait_exit(struct harness_agent *a, int timeout_ms, const char *prefilter,
			    harness_event_fn fn, void *userdata);

/*
 * Waits up to timeout_ms for text to appear in what the agent wrote on stderr
 * (all of it, from the start), keeping its records for later.  Returns 1 when
 * it is there, 0 on timeout or when stderr ended without it, -errno.
 */
int harness_agent_wait_stderr(struct harness_agent *a, const char *text, int timeout_ms);

/* SIGTERM, then harness_agent_wait_exit().  Returns 0 or -1. */
int harness_agent_stop(struct harness_agent *a, int timeout_ms, const char *prefilter,
		       harness_event_fn fn, void *userdata);

/*
 * harness_agent_stop() within HARNESS_STOP_TIMEOUT_MS, and a clean end: exit
 * status 0 and no line on stdout that is not a JSON object.  Returns 0 or -1.
 */
int harness_agent_stop_ok(struct harness_agent *a);

/*
 * What a fixture's teardown does with its agent: harness_agent_stop_ok()
 * when there is one (*a may be NULL: the setup failed first), then
 * harness_agent_free(), *a set to NULL.  Returns 0 or -1.
 */
int harness_agent_stop_freep(struct harness_agent **a);

/* The last part of what the agent wrote on stderr, for messages (a static buffer). */
const char *harness_agent_stderr(const struct harness_agent *a);

/*
 * For harness_main(): agents started from now on belong to a fixture (true,
 * they outlive the test) or to the running test (false).
 */
void harness_agent_owner_fixture(bool fixture);

/*
 * For harness_main(): kills and reaps every agent still running that belongs
 * to a fixture (true) or to the test (false); returns how many there were.
 */
unsigned harness_agent_kill_left(bool fixture);

#endif
