/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * posture-collector and its tools as child processes (harness_process.c),
 * without the rest of the collector's harness: tests/e2e, tests/bench and
 * tests/integration start their collectors with it too, and link
 * harness_process.c, harness_file.c and harness_time.c for it.
 *
 * Readiness is the collector's sd_notify READY=1 on a NOTIFY_SOCKET of our
 * own, and the port comes from its STATUS=: a collector on port 0 never
 * races another for a port, and nobody sleeps waiting for it.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "harness_time.h"

/* One running (or stopped: pid 0) posture-collector. */
struct collector {
	pid_t pid;
	int port;
	int ui_port; /* the fleet view's, when it has one */
	char db[512]; /* its --db */
	char log[512]; /* its stdout and stderr */
};

/*
 * Runs argv (argv[0] a path) with stdout to out_path and stderr to
 * err_path (each /dev/null when NULL) and waits.  Returns its exit status,
 * 128+N when signal N ended it, or -errno when it could not be started.
 */
int process_run(char *const argv[], const char *out_path, const char *err_path);

/*
 * Starts argv (argv[0] a path) in the background with stdout and stderr
 * appended to log_path, killed when the caller dies.  Returns its pid, or
 * -1.  The caller reaps it (process_stop()).
 */
pid_t process_spawn(const char *const argv[], const char *log_path);

/* A TCP port on 127.0.0.1 nothing listens on now (the kernel's choice for port 0), or -errno. */
int port_free(void);

/* Whether something accepts TCP connections on 127.0.0.1:port. */
bool port_accepts(int port);

/* Sends sig to pid and reaps it, waiting up to 10 s (then SIGKILL); its status as process_run(). */
int process_stop(pid_t pid, int sig);

/*
 * Starts argv (argv[0] the collector binary; the caller gives every option)
 * with stdout and stderr to c->log, killed when the caller dies
 * (PR_SET_PDEATHSIG), and waits up to 10 s for READY=1 on a
 * NOTIFY_SOCKET bound at notify_path; takes c->port from the STATUS=
 * "Listening on ADDRESS:PORT" that comes with it.  Sets c->pid and c->port
 * and returns 0; c->db and c->log are the caller's.  Returns -1 when it did
 * not become ready: killed and reaped then, its exit status in *ret_exit
 * when it exited by itself.  Knows nothing of the fixture, so a suite with
 * its own arguments can reuse it.
 */
int collector_spawn(struct collector *c, const char *const argv[], const char *notify_path,
		    int *ret_exit);

/*
 * collector_spawn() of bin with a test PKI (tools/make-test-pki) in the
 * directory pki: --listen listen (left out when NULL), the certificate and
 * key pki/<cert_name>.crt and .key, the device CA, --db c->db, then the
 * NULL-terminated extra options (NULL: none).  Returns as collector_spawn().
 */
int collector_spawn_pki(struct collector *c, const char *bin, const char *pki,
			const char *cert_name, const char *listen, const char *const *extra,
			const char *notify_path, int *ret_exit);

/*
 * Sends sig to c and reaps it, waiting up to 10 s (then SIGKILL).  Sets
 * c->pid to 0.  Returns its exit status (128+N for signal N), or -1 when it
 * was not running or did not exit in time.
 */
int collector_stop(struct collector *c, int sig);

/*
 * Runs `BIN sign-policy --key KEY POLICY` (bin: posture-collector), its
 * stdout (the signature) to out, its stderr to err (/dev/null when NULL).
 * Returns its exit status as process_run() does.
 */
int collector_run_sign_policy(const char *bin, const char *key, const char *policy, const char *out,
			      const char *err);
