/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A real SIEM for the export tests (harness_siem.c): rsyslog (Debian's
 * rsyslogd, its OpenSSL stream driver and imrelp) in the foreground, taking
 * RFC 5425 syslog over TLS on one port and RELP on another, and writing each
 * message's MSG, one a line, to a file of each.  Its TLS certificate is the
 * test PKI's collector certificate (localhost), from server-ca.crt.  And
 * the forwarders that feed it, posture-collector forward, as children.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct siem {
	pid_t pid; /* 0: stopped */
	int tls_port, relp_port;
	char dir[512];
	char tls_log[600]; /* what came over syslog/TLS */
	char relp_log[600]; /* what came over RELP */
};

/*
 * Starts rsyslog in dir (made when needed) with the PKI in pki; a restart
 * (s->dir set) takes the same ports and appends to the same files.  Returns
 * 0 when both ports accept connections, -1 otherwise.
 */
int siem_start(struct siem *s, const char *dir, const char *pki);

/* Stops it (SIGTERM: rsyslog writes out what it took). 0 or -1. */
int siem_stop(struct siem *s);

/*
 * Starts `posture-collector forward --export-dir export_dir --name name --to
 * to` with the NULL-terminated extra options, its output into log.  Returns
 * its pid or -1.
 */
pid_t forwarder_start(const char *bin, const char *export_dir, const char *name, const char *to,
		      const char *const *extra, const char *log);

/*
 * Waits up to timeout_ms until export_dir's cursor of name has forwarded
 * at least want records; *ret_forwarded (may be NULL) what it had then.
 * Returns 0 or -1 (timed out).
 */
int forwarder_wait(const char *export_dir, const char *name, unsigned long long want,
		   unsigned timeout_ms, unsigned long long *ret_forwarded);
