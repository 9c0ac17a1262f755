/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A client of postured's status socket (docs/status-socket.md): connect,
 * send requests, read JSON lines with timeouts and a bound on their length.
 * Used by posturectl and postured-notify.  Never logs; every function that
 * can fail returns -errno.
 */
#ifndef POSTURED_STATUSCLIENT_H
#define POSTURED_STATUSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "basic/json-util.h"

#define STATUSCLIENT_SOCKET "/run/postured/status.sock"
/*
 * The longest line accepted from the agent.  A `findings` answer carries up to
 * 256 records of a few KiB each, so this is generous; the bound is there so
 * that a confused peer cannot grow our memory without limit.
 */
#define STATUSCLIENT_LINE_MAX (4u * 1024 * 1024)
/* Event lines kept while waiting for an answer; older ones are dropped. */
#define STATUSCLIENT_QUEUE_MAX	  1024
#define STATUSCLIENT_TIMEOUT_USEC (5 * USEC_PER_SEC)

struct statusclient;

/* One request parameter: a string when str is not NULL, else the integer num. */
struct statusclient_param {
	const char *key;
	const char *str;
	int64_t num;
};

/* An error answer of the agent: its code and message, cut to fit. */
struct statusclient_error {
	char code[64];
	char message[256];
};

/*
 * Connects to the socket at path (STATUSCLIENT_SOCKET when NULL).  Returns 0
 * and a new client in *ret; -ENOENT when there is no socket, -ECONNREFUSED
 * when nobody listens on it, -EACCES, -ENAMETOOLONG, -ENOMEM.
 */
int statusclient_connect(const char *path, struct statusclient **ret);

/* Closes the connection and frees c.  Accepts NULL; returns NULL. */
struct statusclient *statusclient_free(struct statusclient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct statusclient *, statusclient_free);

/* The socket, for an event loop to wait on (POLLIN).  Owned by c. */
int statusclient_fd(const struct statusclient *c);

/*
 * Sends {"id": N, "method": method, "params": {...}} as one line; params is
 * omitted when n_params is 0.  Returns 0 and the id in *ret_id (may be NULL);
 * -ETIMEDOUT when the agent did not take the line within timeout, -EPIPE,
 * -ENOMEM.
 */
int statusclient_send(struct statusclient *c, const char *method,
		      const struct statusclient_param *params, size_t n_params, usec_t timeout,
		      int64_t *ret_id);

/*
 * Reads the next line: an event line queued while statusclient_call() waited
 * for its answer first, else from the socket.  Returns 0 and the line, a
 * malloc'd NUL-terminated string without the newline, in *ret_line;
 * -ETIMEDOUT after timeout (0: do not wait; -EAGAIN then), -ECONNRESET when
 * the agent closed the connection, -EMSGSIZE for a line longer than
 * STATUSCLIENT_LINE_MAX (which is skipped).
 */
int statusclient_read_line(struct statusclient *c, usec_t timeout, char **ret_line);

/*
 * Sends a request and waits up to timeout for the answer with its id; lines
 * without an id (events of a subscription) that arrive meanwhile are queued
 * for statusclient_read_line().  Returns 0 and the parsed answer's "result"
 * value in *ret_result, which the caller frees with yajl_tree_free() through
 * *ret_root (the whole answer; ret_result points into it).  When the agent
 * answers with an error returns -EREMOTEIO and fills *ret_error (may be
 * NULL); -EBADMSG for an answer that is not JSON; the errors of send and
 * read_line.
 */
int statusclient_call(struct statusclient *c, const char *method,
		      const struct statusclient_param *params, size_t n_params, usec_t timeout,
		      yajl_val *ret_root, yajl_val *ret_result,
		      struct statusclient_error *ret_error);

/* Lines dropped because the queue was full. */
uint64_t statusclient_dropped(const struct statusclient *c);

/*
 * The language rule texts should be shown in: the language part of the
 * LC_MESSAGES locale ("ja" for ja_JP.UTF-8), "en" for C and POSIX.  Written
 * into buf[size].  Call after setlocale().
 */
const char *statusclient_lang(char *buf, size_t size);

/*
 * A text from a {"en": ..., "ja": ...} object in language lang, else in
 * "en", else the first one; a plain string as it is.  NULL when there is
 * none.  Points into v.
 */
const char *statusclient_text(yajl_val v, const char *lang);

/* Member key of object o, or NULL (also when o is not an object). */
yajl_val statusclient_get(yajl_val o, const char *key);
/* The string at key, or NULL. */
const char *statusclient_get_str(yajl_val o, const char *key);
/* The integer at key, or def. */
int64_t statusclient_get_int(yajl_val o, const char *key, int64_t def);
/* The boolean at key, or def. */
bool statusclient_get_bool(yajl_val o, const char *key, bool def);

#endif
