/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the status_socket suite share: the deny policy on a copy
 * of write_marker, the agent and the copy's runs (status_socket.c),
 * connections to the status socket as root or as uid 65534
 * (status_socket_conn.c), and the scene a group of tests shares.
 */
#ifndef POSTURED_TESTS_STATUS_SOCKET_H
#define POSTURED_TESTS_STATUS_SOCKET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* A finding must be printed, and an answer or event arrive, within this long. */
#define FINDING_TIMEOUT_MS 3000
#define ANSWER_TIMEOUT_MS  3000
#define EVENT_TIMEOUT_MS   3000
#define CHILD_TIMEOUT_MS   5000
/* How long a copy that must be seen running keeps running (write_marker's SECONDS). */
#define SLEEP_SECONDS "30"
#define NOBODY	      65534
/* The agent's limits (agent/postured/status.h), as the protocol documents them. */
#define CLIENTS_MAX 64
#define PENDING_MAX (1024 * 1024)
#define REQUEST_MAX 4096
/* Killed copies for the slow client: each makes a finding of about 3 KB. */
#define STORM_RUNS "900"

#define POLICY_ID  "policy-enforce-it"
#define RULE_ID	   "deny-marker"

/* --- the agent and the copy (status_socket.c) ------------------------------------- */

/* The copy of write_marker named <prefix>-<8 hex digits>, and the deny policy on it in mode. */
int env_init(struct harness_policy_env *e, const char *prefix, const char *mode);

int start_agent(const struct harness_policy_env *e, bool print_events, struct harness_agent **ret);

/* The agent must still be running (it may not have died of a client). */
int expect_alive(struct harness_agent *a);

/* Waits for the process_denied finding about pid: the status socket has it by then. */
int wait_finding(struct harness_agent *a, pid_t pid);

/* Starts the copy as uid (0: as we are), with a sleep when given. */
int run_copy(const struct harness_policy_env *e, uid_t uid, const char *sleep_seconds,
	     pid_t *ret_pid);

/* Runs the copy as uid to its end (exit 0: monitor mode) and waits for its finding. */
int run_copy_seen(struct harness_agent *a, const struct harness_policy_env *e, uid_t uid,
		  pid_t *ret_pid);

/* --- connections (status_socket_conn.c) ------------------------------------------- */

/*
 * A connection to the status socket: for root, the socket itself (rfd ==
 * wfd); for another user, the pipes of a relay child that connected as that
 * user.  Lines arrive in buf; events seen while waiting for an answer are
 * counted.
 */
struct conn {
	int rfd, wfd;
	pid_t relay;
	char *buf;
	size_t len, cap;
	bool eof;
	unsigned status_events, finding_events;
};

void conn_close(struct conn *c);

#define _cleanup_conn_ _cleanup_(conn_close)
#define CONN_INIT      ((struct conn){ .rfd = -EBADF, .wfd = -EBADF })

/* A connection as root, and one as uid 65534 (through a relay child). */
int conn_open(struct harness_agent *a, struct conn *c);
int conn_open_nobody(struct harness_agent *a, struct conn *c);

int conn_send(struct conn *c, const char *text);

/*
 * The next line from c (without its newline; *ret is the caller's).  Returns 1
 * with a line, 0 on timeout, -EPIPE when the connection ended first.
 */
int conn_read_line(struct conn *c, int timeout_ms, char **ret);

/* The next line, parsed; it must be a JSON object. */
int conn_read_json(struct conn *c, int timeout_ms, const char *what, yajl_val *ret);

/* Sends a request line and returns the answer, counting the events that came before it. */
int conn_request(struct conn *c, const char *request, yajl_val *ret);

/*
 * What conn_wait_event() waits for: an event ("status", or "finding" about
 * pid).  Other events pass by (and are counted); passed lists the pids of the
 * findings that passed by, for what must not have been seen.
 */
struct event_wait {
	const char *event;
	pid_t pid; /* a finding's evidence pid */
	long long passed[64];
	unsigned n_passed;
};

int conn_wait_event(struct conn *c, struct event_wait *w, int timeout_ms);

/* Reads and counts whatever events arrive within ms; returns how many lines. */
unsigned conn_drain(struct conn *c, int ms);

int subscribe(struct conn *c);

/* An answer must be an error with code. */
int expect_error(yajl_val v, const char *what, const char *code);

/* The rule's object in a status answer, or NULL. */
yajl_val status_rule(yajl_val status, const char *id);

/* Asks status; the device must be compliant (or not) and the rule in state. */
int expect_status(struct conn *c, bool compliant, const char *state);

/* Asks status until the rule is in state, up to timeout_ms; returns how long it took, or -1. */
int64_t wait_rule_state(struct conn *c, const char *want, int timeout_ms);

/* How many findings of an array are about pid. */
unsigned count_pid(yajl_val findings, pid_t pid);

/* The array answer.result.<key>, or NULL. */
yajl_val findings_of(yajl_val answer, const char *key);

/* --- scenes: what the tests of one group share (status_socket.c) ------------------ */

/*
 * One agent with its deny policy, and connections to it: root's, uid 65534's
 * and another of root's, each opened by the setup that needs it.  The slow
 * client's group adds its never-reading subscriber and the storm.
 */
struct scene {
	struct harness_policy_env e;
	struct harness_agent *a;
	struct conn root, nobody, other;
	pid_t root_pid, nobody_pid; /* the copies run as root and as uid 65534 */
	/* The slow client's group. */
	int slow;
	pid_t storm;
	int64_t storm_begin;
	bool storm_done;
};

extern struct scene sc;

/* A fresh scene: the env (prefix, mode), and the agent printing records or not. */
int scene_start(const char *prefix, const char *mode, bool print_events);

/* Every fixture's teardown: the agent stopped cleanly, the connections closed. */
int scene_teardown(const void *arg);

/* --- the tables, in the order they run -------------------------------------------- */

extern const struct harness_table status_socket_requests_table, status_socket_users_table,
	status_socket_events_table, status_socket_limits_table;

#endif
