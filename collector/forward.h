/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * posture-collector forward: one forwarder, its own process (a unit of its
 * own under systemd), that follows the export log (export.h) from its
 * cursor and sends each record it takes to one SIEM: syslog (RFC 5424) over
 * TLS with RFC 5425 framing, or RELP (librelp) with or without TLS.  The
 * collector never waits for it: a SIEM that is down only makes the cursor
 * stay behind, and the forwarder sends on from there when it is back.
 *
 * The cursor moves past a record only when the record is known delivered:
 * with RELP when its window is acknowledged (or the session closed
 * cleanly); with syslog/TLS, which has no acknowledgement, when the peer
 * has taken every byte at the TCP level and the connection has stayed up
 * for a second after.  What was sent and not known delivered is sent
 * again after a failure, so a SIEM may see a record twice (the same
 * metadata.uid), and misses none the log still holds, but for those passed
 * over and counted lost: a line that is not a record, and a record the SIEM
 * broke the connection on five times in a row.
 */
#ifndef POSTURED_COLLECTOR_FORWARD_H
#define POSTURED_COLLECTOR_FORWARD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The verb: argv[0] is "forward".  Runs until SIGTERM or SIGINT; returns 0 or -errno. */
int forward_run(int argc, char **argv);

/* --- the parts (forward_syslog.c, forward_relp.c), for the verb and the tests ------------- */

/* What a record's syslog header is made of, taken from its OCSF fields. */
struct forward_record {
	int64_t class_uid;
	int64_t severity_id; /* OCSF: 0 unknown, 1 informational ... 6 fatal, 99 other */
	int64_t time_ms;
	const char *hostname; /* device.hostname as the device sent it; NULL: none */
	char hostname_buf[256];
	const char *json; /* the exported line */
	size_t json_size;
};

/*
 * Reads the fields of the exported line json[size] into *ret (json pointing
 * into it, the host name copied): 0, -EBADMSG when it is not a JSON object,
 * -ENOMEM.  Absent fields are 0 (the host name NULL).
 */
int forward_record_parse(const char *json, size_t size, struct forward_record *ret);

/* The syslog severity (RFC 5424, 0 emergency .. 7 debug) for an OCSF severity_id. */
int forward_syslog_severity(int64_t severity_id);

/*
 * Formats r as one RFC 5424 message, "<PRI>1 TIME HOST postured - ocsf-CLASS - JSON",
 * into a new buffer (HOST reduced to printable ASCII, at most 255 bytes; "-"
 * when there is none; the TLS transport frames it, RFC 5425).  Returns 0,
 * *ret and its size; -ENOMEM; -EINVAL when the header would not fit.
 */
int forward_syslog_format(const struct forward_record *r, int facility, char **ret,
			  size_t *ret_size);

struct forward_target {
	char scheme[16]; /* "syslog+tls", "relp", "relp+tls", "hec+https" */
	char host[256];
	char port[8];
	char path[256]; /* HEC's endpoint; "": the default */
	const char *token; /* HEC's token */
	const char *ca, *cert, *key; /* PEM files; ca required with TLS */
	const char *server_name; /* the certificate's name to check; NULL: host */
	unsigned window; /* RELP: messages in flight */
};

/*
 * Parses URL ("syslog+tls://HOST[:PORT]", "relp://HOST:PORT", "relp+tls://HOST:PORT",
 * "hec+https://HOST[:PORT][/PATH]") into *ret: 0, or -EINVAL with why in reason.
 */
int forward_target_parse(const char *url, struct forward_target *ret, char *reason,
			 size_t reason_size);

/* A connection to a SIEM. */
struct forward_transport;

/*
 * r as one event of Splunk's HEC format into a new buffer: {"time": seconds,
 * "host", "source": "postured", "sourcetype": "ocsf:CLASS", "event": the
 * record}.  Returns 0, *ret and its size; -ENOMEM.
 */
int forward_hec_format(const struct forward_record *r, char **ret, size_t *ret_size);

struct forward_transport_ops {
	/* The message one record becomes for this transport. */
	int (*format)(const struct forward_record *r, int facility, char **ret, size_t *ret_size);
	/* Connects: 0, or -errno with a sentence in why. */
	int (*connect)(const struct forward_target *t, struct forward_transport **ret, char *why,
		       size_t why_size);
	/* Sends one message (unframed): 0, or -errno with why; the connection is then done. */
	int (*send)(struct forward_transport *c, const char *msg, size_t len, char *why,
		    size_t why_size);
	/*
	 * How many of the messages sent on this connection are known delivered,
	 * idle saying nothing more is to be sent for now.  0; 1 when it also
	 * closed the connection (connect again before sending); -errno with why:
	 * broken.
	 */
	int (*confirmed)(struct forward_transport *c, bool idle, uint64_t *ret_count, char *why,
			 size_t why_size);
	void (*close)(struct forward_transport *c);
};

extern const struct forward_transport_ops forward_syslog_tls_ops;
extern const struct forward_transport_ops forward_relp_ops;
extern const struct forward_transport_ops forward_hec_ops;

#define FORWARD_MAX_CLASSES 16

/* A forwarder's options, as the verb parsed them. */
struct forward_options {
	const char *dir;
	const char *name;
	const char *url;
	struct forward_target target;
	int64_t classes[FORWARD_MAX_CLASSES];
	size_t n_classes;
	int64_t min_severity;
	int facility;
};

/*
 * Follows the log from o's cursor, sending through ops, until *stop is set.
 * Returns 0 (the cursor saved) or -errno.
 */
int forward_follow(const struct forward_options *o, const struct forward_transport_ops *ops,
		   volatile sig_atomic_t *stop);

#endif
