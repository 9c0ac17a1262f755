// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * posture-collector forward (forward.h): options, and the loop.  It is a
 * plain blocking loop in a process of its own: read the next exported line,
 * take it or pass it over by class and severity, send it, and move the
 * cursor as far as delivery is known.  Between the line sent and the line
 * known delivered, a queue keeps where the cursor would be after each; a
 * failure sends everything after the cursor again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "basic/time-util.h"
#include "export_read.h"
#include "forward.h"

#define FORWARD_MAX_LINE     (80ULL << 20) /* the collector's largest record and its additions */
#define FORWARD_SAVE_USEC    (200 * USEC_PER_MSEC)
#define FORWARD_IDLE_USEC    (100 * USEC_PER_MSEC)
#define FORWARD_BACKOFF_MAX  (30 * USEC_PER_SEC)
#define FORWARD_POISON_TRIES 5
#define FORWARD_CONFIRM_USEC (100 * USEC_PER_MSEC) /* how often, while busy */
#define FORWARD_QUEUE_MAX    65536 /* in flight: more waits for delivery to catch up */

/* Where the cursor goes once a sent message is known delivered. */
struct pending {
	struct export_position after;
	uint64_t filtered, lost; /* the cursor's counts then */
};

struct forwarder {
	const struct forward_options *o;
	const struct forward_transport_ops *ops;
	volatile sig_atomic_t *stop;
	struct forward_transport *conn;
	int dir_fd;
	struct export_cursor cursor; /* as far as delivery is known */
	struct export_reader *reader; /* ahead of the cursor by what is in flight */
	uint64_t reader_lost_base, reader_filtered;
	struct pending *queue; /* ring */
	size_t q_head, q_len, q_allocated;
	uint64_t confirmed_before; /* of this connection's messages, already popped */
	uint64_t sent_on_conn; /* messages sent on this connection */
	/* The record a send failed on, before forwarder_rewind() reads it: its pending entry. */
	struct pending failed_send;
	bool has_failed_send;
	uint64_t fail_at; /* the number after the record the last breaks were at; 0 none */
	unsigned fail_streak; /* connections broken in a row on it */
	usec_t saved_at, confirmed_at, retry_at, backoff;
	bool dirty;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void help(void)
{
	printf("Usage: posture-collector forward --export-dir DIR --name NAME --to URL [OPTIONS]\n"
	       "\n"
	       "Follows the collector's OCSF export log in DIR and sends each record to a SIEM,\n"
	       "keeping its place in DIR/forward-NAME.cursor (docs/soc.md).\n"
	       "  --to syslog+tls://HOST[:PORT]  RFC 5424 over TLS, RFC 5425 framing (port 6514)\n"
	       "  --to relp://HOST:PORT          RELP: every message acknowledged\n"
	       "  --to relp+tls://HOST:PORT      RELP over TLS\n"
	       "  --to hec+https://HOST[:PORT][/PATH]  an HTTP event collector (Splunk HEC's JSON\n"
	       "                                 events, batched; port 8088)\n"
	       "\n"
	       "Options:\n"
	       "  --ca FILE            CA certificate(s), PEM, the SIEM's certificate must come from\n"
	       "                       (required with TLS)\n"
	       "  --cert FILE          client certificate, PEM, when the SIEM asks for one\n"
	       "  --key FILE           its private key, PEM\n"
	       "  --server-name NAME   the name the SIEM's certificate must have (default HOST)\n"
	       "  --class N            forward only records of OCSF class N (repeatable;\n"
	       "                       default all): 1007, 4001, 2003, 5001, 6002\n"
	       "  --min-severity N     forward only records of OCSF severity_id N or more,\n"
	       "                       1 informational .. 6 fatal (default all)\n"
	       "  --facility N         syslog facility, 0..23 (default 13, log audit)\n"
	       "  --window N           RELP messages in flight (default 128)\n"
	       "  --token-file FILE    HEC: the token, alone in a file of mode 0600\n"
	       "  -h --help            show this help\n");
}

static int parse_number(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* The HEC token, read once at start: the process's, until it exits. */
static char token[256];

static int read_token(const char *path)
{
	_cleanup_erase_free_ char *text = NULL;
	size_t size, n;
	int q;

	q = read_full_file(path, sizeof(token) * 2, READ_FULL_PRIVATE, &text, &size);
	if (q == -EPERM)
		return log_error_errno(q,
				       "Refusing --token-file '%s': group or others may read it; "
				       "make it mode 0600.",
				       path);
	if (q < 0)
		return log_error_errno(q, "Failed to read --token-file '%s': %m", path);
	for (n = size; n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ');)
		n--;
	if (n == 0 || n >= sizeof(token))
		return log_error_errno(EINVAL,
				       "--token-file '%s' holds no token (or one too long).", path);
	for (size_t i = 0; i < n; i++)
		if (text[i] <= ' ' || text[i] > '~')
			return log_error_errno(EINVAL,
					       "--token-file '%s': the token has a character that "
					       "is not printable ASCII, at byte %zu.",
					       path, i + 1);
	memcpy(token, text, n);
	token[n] = '\0';
	return 0;
}

static int parse_options(int argc, char **argv, struct forward_options *o)
{
	enum {
		ARG_DIR = 0x100,
		ARG_NAME,
		ARG_TO,
		ARG_CA,
		ARG_CERT,
		ARG_KEY,
		ARG_SERVER_NAME,
		ARG_CLASS,
		ARG_MIN_SEVERITY,
		ARG_FACILITY,
		ARG_WINDOW,
		ARG_TOKEN_FILE
	};
	static const struct option longopts[] = {
		{ "export-dir", required_argument, NULL, ARG_DIR },
		{ "name", required_argument, NULL, ARG_NAME },
		{ "to", required_argument, NULL, ARG_TO },
		{ "ca", required_argument, NULL, ARG_CA },
		{ "cert", required_argument, NULL, ARG_CERT },
		{ "key", required_argument, NULL, ARG_KEY },
		{ "server-name", required_argument, NULL, ARG_SERVER_NAME },
		{ "class", required_argument, NULL, ARG_CLASS },
		{ "min-severity", required_argument, NULL, ARG_MIN_SEVERITY },
		{ "facility", required_argument, NULL, ARG_FACILITY },
		{ "window", required_argument, NULL, ARG_WINDOW },
		{ "token-file", required_argument, NULL, ARG_TOKEN_FILE },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *ca = NULL, *cert = NULL, *key = NULL, *server_name = NULL, *token_file = NULL;
	int64_t v, window = 128;
	char reason[256];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case ARG_DIR:
			o->dir = optarg;
			break;
		case ARG_NAME:
			if (!export_cursor_name_valid(optarg))
				return log_error_errno(EINVAL,
						       "Invalid --name '%s': 1 to 32 of a-z, 0-9, "
						       "'-' and '_'.",
						       optarg);
			o->name = optarg;
			break;
		case ARG_TO:
			if (forward_target_parse(optarg, &o->target, reason, sizeof(reason)) < 0)
				return log_error_errno(EINVAL, "Invalid --to '%s': %s.", optarg,
						       reason);
			o->url = optarg;
			break;
		case ARG_CA:
			ca = optarg;
			break;
		case ARG_CERT:
			cert = optarg;
			break;
		case ARG_KEY:
			key = optarg;
			break;
		case ARG_SERVER_NAME:
			server_name = optarg;
			break;
		case ARG_CLASS:
			if (parse_number(optarg, 1, 999999, &v) < 0)
				return log_error_errno(EINVAL,
						       "Invalid --class '%s': an OCSF "
						       "class_uid such as 2003.",
						       optarg);
			if (o->n_classes == FORWARD_MAX_CLASSES)
				return log_error_errno(EINVAL, "At most %d --class options.",
						       FORWARD_MAX_CLASSES);
			o->classes[o->n_classes++] = v;
			break;
		case ARG_MIN_SEVERITY:
			if (parse_number(optarg, 0, 6, &o->min_severity) < 0)
				return log_error_errno(EINVAL,
						       "Invalid --min-severity '%s': an OCSF "
						       "severity_id from 0 to 6.",
						       optarg);
			break;
		case ARG_FACILITY:
			if (parse_number(optarg, 0, 23, &v) < 0)
				return log_error_errno(EINVAL, "Invalid --facility '%s': 0 to 23.",
						       optarg);
			o->facility = (int)v;
			break;
		case ARG_WINDOW:
			if (parse_number(optarg, 2, 65536, &window) < 0)
				return log_error_errno(EINVAL, "Invalid --window '%s': 2 to 65536.",
						       optarg);
			break;
		case ARG_TOKEN_FILE:
			token_file = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc)
		return log_error_errno(EINVAL, "Unexpected argument '%s'; see --help.",
				       argv[optind]);
	if (!o->dir || !o->name || !o->url)
		return log_error_errno(EINVAL, "--export-dir, --name and --to are required; see "
					       "--help.");
	if ((strstr(o->target.scheme, "tls") || strstr(o->target.scheme, "https")) && !ca)
		return log_error_errno(EINVAL,
				       "--to %s needs --ca: the CA of the SIEM's "
				       "certificate.",
				       o->url);
	if (!cert != !key)
		return log_error_errno(EINVAL, "--cert and --key go together.");
	if (strcmp(o->target.scheme, "hec+https") == 0 && !token_file)
		return log_error_errno(EINVAL, "--to %s needs --token-file: the HEC token.",
				       o->url);
	if (token_file && strcmp(o->target.scheme, "hec+https") != 0)
		return log_error_errno(EINVAL, "--token-file is for hec+https:// only.");
	if (token_file) {
		int q = read_token(token_file);

		if (q < 0)
			return q;
		o->target.token = token;
	}
	if (ca && access(ca, R_OK) < 0)
		return log_error_errno(errno, "Cannot read --ca '%s': %m", ca);
	if (cert && (access(cert, R_OK) < 0 || access(key, R_OK) < 0))
		return log_error_errno(errno, "Cannot read --cert '%s' or --key '%s': %m", cert,
				       key);
	o->target.ca = ca;
	o->target.cert = cert;
	o->target.key = key;
	o->target.server_name = server_name;
	o->target.window = (unsigned)window;
	return 1;
}

static bool forward_takes(const struct forward_options *o, const struct forward_record *r)
{
	bool class_ok = o->n_classes == 0;

	for (size_t i = 0; i < o->n_classes; i++)
		class_ok = class_ok || o->classes[i] == r->class_uid;
	return class_ok && r->severity_id >= o->min_severity &&
	       (o->min_severity == 0 || r->severity_id != 99);
}

static int forwarder_save(struct forwarder *f, bool force)
{
	usec_t now = now_usec(CLOCK_MONOTONIC);
	int q;

	if (!force && (!f->dirty || now - f->saved_at < FORWARD_SAVE_USEC))
		return 0;
	f->cursor.updated_ms = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
	f->cursor.connected = f->conn != NULL;
	q = export_cursor_save(f->dir_fd, &f->cursor);
	if (q < 0)
		return log_error_errno(q, "Failed to save the cursor in %s: %m", f->o->dir);
	f->saved_at = now;
	f->dirty = false;
	return 0;
}

static int queue_push(struct forwarder *f, const struct pending *p)
{
	if (f->q_len == f->q_allocated) {
		size_t want = MAX(f->q_allocated * 2, (size_t)1024);
		struct pending *n = calloc(want, sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < f->q_len; i++)
			n[i] = f->queue[(f->q_head + i) % f->q_allocated];
		free(f->queue);
		f->queue = n;
		f->q_head = 0;
		f->q_allocated = want;
	}
	f->queue[(f->q_head + f->q_len) % f->q_allocated] = *p;
	f->q_len++;
	return 0;
}

/* The reader's position and counts, as the cursor would have them with nothing in flight. */
static struct pending reader_point(struct forwarder *f)
{
	struct pending p;

	export_reader_position(f->reader, &p.after);
	p.filtered = f->reader_filtered;
	p.lost = f->reader_lost_base + export_reader_lost(f->reader);
	return p;
}

static void cursor_move(struct forwarder *f, const struct pending *p, uint64_t delivered)
{
	f->cursor.pos = p->after;
	f->cursor.filtered = p->filtered;
	if (p->lost > f->cursor.lost)
		log_error("Forwarder %s passed over %" PRIu64 " record(s) deleted from the export "
			  "log before it could read them (or broken).",
			  f->o->name, p->lost - f->cursor.lost);
	f->cursor.lost = p->lost;
	f->cursor.forwarded += delivered;
	f->dirty = true;
}

static int forwarder_rewind(struct forwarder *f, int error, const char *why);

/*
 * Moves the cursor over what the transport says is delivered; a broken
 * connection is rewound.  Returns 0, or -errno when the log cannot be read.
 */
static int forwarder_confirm(struct forwarder *f, bool idle)
{
	uint64_t count = 0;
	char why[256] = "";
	int q;

	f->confirmed_at = now_usec(CLOCK_MONOTONIC);
	if (f->conn) {
		q = f->ops->confirmed(f->conn, idle, &count, why, sizeof(why));
		if (q < 0)
			return forwarder_rewind(f, q, why[0] ? why : "the connection broke");
		for (; f->confirmed_before < count && f->q_len > 0; f->confirmed_before++) {
			struct pending p = f->queue[f->q_head];

			f->q_head = (f->q_head + 1) % f->q_allocated;
			f->q_len--;
			cursor_move(f, &p, 1);
		}
		/* The record the last breaks were at is delivered: the careful mode ends. */
		if (f->fail_streak > 0 && f->cursor.pos.number >= f->fail_at)
			f->fail_streak = 0;
		if (q == 1) {
			/* The transport closed its connection after a clean end. */
			f->ops->close(f->conn);
			f->conn = NULL;
			f->confirmed_before = 0;
			f->sent_on_conn = 0;
			f->dirty = true;
		}
	}
	/* Nothing in flight: passed-over records move the cursor by themselves. */
	if (f->q_len == 0) {
		struct pending p = reader_point(f);

		if (p.after.number != f->cursor.pos.number || p.after.file != f->cursor.pos.file)
			cursor_move(f, &p, 0);
	}
	return 0;
}

/*
 * A record a SIEM refuses by breaking the connection on it would be sent
 * again for ever.  After a break with records in flight the forwarder sends
 * one at a time (forwarder_loop()), so the record in flight when it breaks
 * again is the one: after FORWARD_POISON_TRIES breaks in a row on the same
 * record, it is passed over, counted lost, and the forwarder says so.
 */
static void forwarder_count_break(struct forwarder *f, const struct pending *failing)
{
	uint64_t key = failing->after.number;

	f->fail_streak = f->fail_at == key ? f->fail_streak + 1 : 1;
	f->fail_at = key;
	if (f->fail_streak < FORWARD_POISON_TRIES)
		return;
	log_error("Forwarder %s: %s broke the connection %u times in a row on export record "
		  "%" PRIu64 "; passing it over, counted lost.",
		  f->o->name, f->o->url, FORWARD_POISON_TRIES, key - 1);
	cursor_move(f, failing, 0);
	f->cursor.lost++;
	f->fail_streak = 0;
	f->fail_at = 0;
}

/*
 * After a failure: whatever was in flight is sent again, from the cursor.
 * Returns 0, or -errno when the log cannot be read again (the forwarder
 * cannot go on).
 */
static int forwarder_rewind(struct forwarder *f, int error, const char *why)
{
	struct pending failing;
	bool has_failing = false;
	int q;

	if (f->has_failed_send) {
		failing = f->failed_send;
		has_failing = true;
	} else if (f->q_len > 0) {
		failing = f->queue[f->q_head];
		has_failing = true;
	}
	if (f->conn)
		f->ops->close(f->conn);
	f->conn = NULL;
	/* Up and then broken is not down: try again soon. */
	if (f->sent_on_conn > 0)
		f->backoff = 0;
	f->sent_on_conn = 0;
	f->confirmed_before = 0;
	f->q_len = 0;
	f->q_head = 0;
	f->has_failed_send = false;
	if (has_failing)
		forwarder_count_break(f, &failing);

	f->reader = export_reader_free(f->reader);
	q = export_reader_open(f->o->dir, &f->cursor.pos, FORWARD_MAX_LINE, &f->reader);
	if (q < 0)
		return log_error_errno(q, "Failed to read the export log in %s: %m", f->o->dir);
	f->reader_lost_base = f->cursor.lost;
	f->reader_filtered = f->cursor.filtered;
	if (strcmp(f->cursor.error, why) != 0)
		log_warning_errno(error, "Forwarder %s to %s: %s; trying again.", f->o->name,
				  f->o->url, why);
	strbufcpy(f->cursor.error, sizeof(f->cursor.error), why);
	f->backoff = f->backoff ? MIN(f->backoff * 2, FORWARD_BACKOFF_MAX) : USEC_PER_SEC;
	f->retry_at = now_usec(CLOCK_MONOTONIC) + f->backoff;
	f->dirty = true;
	return 0;
}

static int forwarder_connect(struct forwarder *f)
{
	char why[256] = "";
	int q;

	q = f->ops->connect(&f->o->target, &f->conn, why, sizeof(why));
	if (q < 0) {
		f->conn = NULL;
		return forwarder_rewind(f, q, why[0] ? why : "cannot connect");
	}
	if (f->cursor.error[0])
		log_info("Forwarder %s connected to %s again.", f->o->name, f->o->url);
	f->cursor.error[0] = '\0';
	f->backoff = 0;
	f->dirty = true;
	return 0;
}

static void sleep_usec(usec_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / USEC_PER_SEC),
			       .tv_nsec = (long)(usec % USEC_PER_SEC) * 1000 };

	(void)nanosleep(&ts, NULL);
}

/* One record: passed over, or formatted and sent. */
static int forwarder_one(struct forwarder *f, const char *line, size_t len)
{
	struct forward_record r;
	_cleanup_free_ char *msg = NULL;
	struct pending p;
	char why[256] = "";
	size_t size;
	int q;

	q = forward_record_parse(line, len, &r);
	if (q == -EBADMSG) {
		f->reader_lost_base++; /* not a record: counted lost, never sent */
		return 0;
	}
	if (q < 0)
		return q;
	if (!forward_takes(f->o, &r)) {
		f->reader_filtered++;
		return 0;
	}
	q = f->ops->format(&r, f->o->facility, &msg, &size);
	if (q < 0)
		return q;
	if (!f->conn) {
		q = forwarder_connect(f);
		if (q < 0 || !f->conn)
			return q; /* rewound: the record is read again at the next attempt */
	}
	q = f->ops->send(f->conn, msg, size, why, sizeof(why));
	f->sent_on_conn++;
	p = reader_point(f);
	if (q < 0) {
		f->failed_send = p;
		f->has_failed_send = true;
		return forwarder_rewind(f, q, why[0] ? why : "send failed");
	}
	return queue_push(f, &p);
}

static int forwarder_loop(struct forwarder *f)
{
	(void)sd_notify(false, "READY=1");
	while (!*f->stop) {
		struct export_position next;
		const char *line = NULL;
		size_t len = 0;
		int q;

		/* Down: nothing is read until the next attempt is due. */
		if (!f->conn && now_usec(CLOCK_MONOTONIC) < f->retry_at) {
			(void)forwarder_save(f, false);
			sleep_usec(FORWARD_IDLE_USEC);
			continue;
		}
		/*
		 * After a connection broke with records in flight: one record at a time until
		 * the one it broke at is delivered, so that a record the SIEM refuses is known
		 * to be that one (forwarder_pass_poison()).
		 */
		if ((f->fail_streak > 0 && f->q_len > 0) || f->q_len >= FORWARD_QUEUE_MAX) {
			q = forwarder_confirm(f, f->fail_streak > 0);
			if (q < 0)
				return q;
			if (f->q_len > 0)
				sleep_usec(f->fail_streak > 0 ? FORWARD_IDLE_USEC :
								FORWARD_IDLE_USEC / 10);
			(void)forwarder_save(f, false);
			continue;
		}
		q = export_reader_next(f->reader, &line, &len, &next);
		if (q < 0)
			return log_error_errno(q, "Failed to read the export log in %s: %m",
					       f->o->dir);
		if (q > 0) {
			q = forwarder_one(f, line, len);
			if (q < 0)
				return log_error_errno(q, "Forwarder %s failed: %m", f->o->name);
			/* Now and then while busy: how far delivery has got. */
			if (now_usec(CLOCK_MONOTONIC) - f->confirmed_at >= FORWARD_CONFIRM_USEC) {
				q = forwarder_confirm(f, false);
				if (q < 0)
					return q;
			}
		} else {
			q = forwarder_confirm(f, true);
			if (q < 0)
				return q;
			(void)forwarder_save(f, false);
			sleep_usec(FORWARD_IDLE_USEC);
			continue;
		}
		(void)forwarder_save(f, false);
	}
	(void)sd_notify(false, "STOPPING=1");
	if (f->conn && (forwarder_confirm(f, true) < 0 || f->q_len > 0))
		log_warning("Forwarder %s: what was in flight is sent again at the next start.",
			    f->o->name);
	return forwarder_save(f, true);
}

int forward_run(int argc, char **argv)
{
	struct forward_options o = { .facility = 13 };
	struct sigaction sa = { .sa_handler = on_stop };
	const struct forward_transport_ops *ops;
	int q;

	q = parse_options(argc, argv, &o);
	if (q <= 0)
		return q;
	/* No SA_RESTART: a blocked send returns when asked to stop. */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return log_error_errno(errno, "Failed to set up signals: %m");
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.target.scheme, "syslog+tls") == 0)
		ops = &forward_syslog_tls_ops;
	else if (strcmp(o.target.scheme, "hec+https") == 0)
		ops = &forward_hec_ops;
	else
		ops = &forward_relp_ops;
	return forward_follow(&o, ops, &stop_requested);
}

int forward_follow(const struct forward_options *op, const struct forward_transport_ops *ops,
		   volatile sig_atomic_t *stop)
{
	const struct forward_options o = *op;
	struct forwarder f = { .o = op, .ops = ops, .stop = stop, .dir_fd = -EBADF };
	int q;

	f.dir_fd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f.dir_fd < 0)
		return log_error_errno(errno, "Failed to open the export log '%s': %m", o.dir);
	q = export_cursor_load(f.dir_fd, o.name, &f.cursor);
	if (q == -ENOENT) {
		f.cursor = (struct export_cursor){};
		strbufcpy(f.cursor.name, sizeof(f.cursor.name), o.name);
		log_info("Forwarder %s starts at the oldest record the export log keeps.", o.name);
	} else if (q == -EBADMSG) {
		q = log_error_errno(q,
				    "The cursor %s/forward-%s.cursor is damaged; move it aside "
				    "to start again from the oldest record kept.",
				    o.dir, o.name);
		goto out;
	} else if (q < 0) {
		q = log_error_errno(q, "Failed to read the cursor of %s in %s: %m", o.name, o.dir);
		goto out;
	}
	strbufcpy(f.cursor.destination, sizeof(f.cursor.destination), o.url);
	q = export_reader_open(o.dir, &f.cursor.pos, FORWARD_MAX_LINE, &f.reader);
	if (q < 0) {
		q = log_error_errno(q, "Failed to read the export log in %s: %m", o.dir);
		goto out;
	}
	f.reader_lost_base = f.cursor.lost;
	f.reader_filtered = f.cursor.filtered;
	log_info("Forwarder %s: export log %s to %s, from record %" PRIu64 ".", o.name, o.dir,
		 o.url, f.cursor.pos.number ? f.cursor.pos.number : 1);
	q = forwarder_loop(&f);
out:
	if (f.conn)
		f.ops->close(f.conn);
	export_reader_free(f.reader);
	free(f.queue);
	if (f.dir_fd >= 0)
		close(f.dir_fd);
	return q;
}

int forward_target_parse(const char *url, struct forward_target *ret, char *reason,
			 size_t reason_size)
{
	struct forward_target t = { .window = 128 };
	bool hec = false;
	const char *rest = strstr(url, "://"), *host, *end, *port = NULL;
	size_t n;

	if (!rest || (size_t)(rest - url) >= sizeof(t.scheme)) {
		snprintf(reason, reason_size,
			 "expected syslog+tls://, relp://, relp+tls:// or hec+https://");
		return -EINVAL;
	}
	memcpy(t.scheme, url, (size_t)(rest - url));
	t.scheme[rest - url] = '\0';
	hec = strcmp(t.scheme, "hec+https") == 0;
	if (strcmp(t.scheme, "syslog+tls") != 0 && strcmp(t.scheme, "relp") != 0 &&
	    strcmp(t.scheme, "relp+tls") != 0 && !hec) {
		snprintf(reason, reason_size,
			 "unknown scheme '%s': syslog+tls, relp, relp+tls or hec+https", t.scheme);
		return -EINVAL;
	}
	host = rest + 3;
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end) {
			snprintf(reason, reason_size, "an IPv6 address needs its closing ']'");
			return -EINVAL;
		}
		n = (size_t)(end - host - 1);
		host++;
		end++;
	} else {
		end = host + strcspn(host, ":/");
		n = (size_t)(end - host);
	}
	if (n == 0 || n >= sizeof(t.host)) {
		snprintf(reason, reason_size, "the host is missing or too long");
		return -EINVAL;
	}
	memcpy(t.host, host, n);
	t.host[n] = '\0';
	if (*end == ':')
		port = end + 1;
	if (port) {
		char *e;
		unsigned long p = strtoul(port, &e, 10);

		if (port[0] < '0' || port[0] > '9' || (*e != '\0' && *e != '/') || p == 0 ||
		    p > 65535) {
			snprintf(reason, reason_size, "the port must be a number from 1 to 65535");
			return -EINVAL;
		}
		snprintf(t.port, sizeof(t.port), "%lu", p);
	} else if (strcmp(t.scheme, "syslog+tls") == 0) {
		strcpy(t.port, "6514"); /* RFC 5425's port */
	} else if (hec) {
		strcpy(t.port, "8088"); /* Splunk's HEC port */
	} else {
		snprintf(reason, reason_size, "RELP has no standard port: give one");
		return -EINVAL;
	}
	/* A path only for HEC (another event endpoint, /services/collector/event by default). */
	end += strcspn(end, "/");
	if (*end == '/' && !hec) {
		snprintf(reason, reason_size, "only hec+https:// takes a path");
		return -EINVAL;
	}
	if (*end == '/') {
		if (strlen(end) >= sizeof(t.path) || strpbrk(end, " ?#\"\\")) {
			snprintf(reason, reason_size, "the path is too long or has ' ?#\"\\'");
			return -EINVAL;
		}
		strcpy(t.path, end);
	}
	*ret = t;
	return 0;
}
