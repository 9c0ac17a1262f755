// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Syslog for the forwarder: a record's RFC 5424 message, and the transport
 * of RFC 5425 (TLS, each message framed by its length, so nothing inside a
 * message can end it early).  Messages are gathered into one buffer and
 * written together when it fills or when the forwarder asks how far
 * delivery has got.  Syslog has no acknowledgement; the best knowledge a
 * sender has is that the peer's TCP has acknowledged a message's last byte
 * (the bytes written less those the socket still holds, SIOCOUTQ) and that
 * the connection is still up a second after: only then is it counted
 * delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "basic/time-util.h"
#include "forward.h"

#define SYSLOG_HOSTNAME_MAX 255
#define SYSLOG_FLUSH_AT	    (64 * 1024)
#define SYSLOG_SETTLE_USEC  (1 * USEC_PER_SEC) /* up this long after the bytes were taken */
#define SYSLOG_MARKS	    64
#define CONNECT_TIMEOUT_MS  10000
#define IO_TIMEOUT_SEC	    30

int forward_syslog_severity(int64_t severity_id)
{
	switch (severity_id) {
	case 1: /* Informational */
		return 6;
	case 2: /* Low */
		return 5;
	case 3: /* Medium */
		return 4;
	case 4: /* High */
		return 3;
	case 5: /* Critical */
		return 2;
	case 6: /* Fatal */
		return 1;
	default: /* Unknown, Other */
		return 5;
	}
}

/* RFC 5424's TIMESTAMP, in UTC with milliseconds; "-" for a time gmtime cannot take. */
static void syslog_timestamp(int64_t ms, char buf[static 40])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999) {
		strcpy(buf, "-");
		return;
	}
	snprintf(buf, 40, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		 tm.tm_sec % 100, (int)(ms % 1000));
}

/* HOSTNAME is PRINTUSASCII without spaces: anything else becomes '_'. */
static void syslog_hostname(const char *name, char buf[static SYSLOG_HOSTNAME_MAX + 1])
{
	size_t n = 0;

	for (; name && name[n] && n < SYSLOG_HOSTNAME_MAX; n++) {
		unsigned char c = (unsigned char)name[n];

		buf[n] = c >= 33 && c <= 126 ? (char)c : '_';
	}
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
}

int forward_syslog_format(const struct forward_record *r, int facility, char **ret,
			  size_t *ret_size)
{
	char stamp[40], host[SYSLOG_HOSTNAME_MAX + 1], header[SYSLOG_HOSTNAME_MAX + 128];
	int pri = facility * 8 + forward_syslog_severity(r->severity_id), nh;
	size_t size;
	char *buf;

	syslog_timestamp(r->time_ms, stamp);
	syslog_hostname(r->hostname, host);
	nh = snprintf(header, sizeof(header), "<%d>1 %s %s postured - ocsf-%" PRId64 " - ", pri,
		      stamp, host, r->class_uid);
	if (nh < 0 || (size_t)nh >= sizeof(header))
		return -EINVAL;
	size = (size_t)nh + r->json_size;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, header, (size_t)nh);
	memcpy(buf + nh, r->json, r->json_size);
	buf[size] = '\0';
	*ret = buf;
	*ret_size = size;
	return 0;
}

/* --- RFC 5425: syslog over TLS ----------------------------------------------------------- */

/* A flush: the messages and the bytes on the wire by its end, and when the peer had them all. */
struct syslog_mark {
	uint64_t count;
	uint64_t wire;
	usec_t taken; /* 0: not yet */
};

struct forward_transport {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char *buf;
	size_t len, allocated;
	uint64_t queued, written; /* messages in buf and before; written to the socket */
	struct syslog_mark marks[SYSLOG_MARKS];
	size_t n_marks;
	uint64_t confirmed;
};

static void syslog_close(struct forward_transport *c)
{
	if (!c)
		return;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static void tls_why(char *why, size_t size, const char *what)
{
	unsigned long e = ERR_get_error();
	char err[256] = "";

	if (e)
		ERR_error_string_n(e, err, sizeof(err));
	snprintf(why, size, "%s%s%s", what, err[0] ? ": " : "", err);
	ERR_clear_error();
}

/* A TCP connection to host:port within CONNECT_TIMEOUT_MS, blocking afterwards. */
static int tcp_connect(const char *host, const char *port, char *why, size_t why_size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	struct timeval tv = { .tv_sec = IO_TIMEOUT_SEC };
	int fd = -1, q, err = ECONNREFUSED;

	q = getaddrinfo(host, port, &hints, &res);
	if (q != 0) {
		snprintf(why, why_size, "cannot resolve %s: %s", host, gai_strerror(q));
		return -EHOSTUNREACH;
	}
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		struct pollfd p;
		socklen_t len = sizeof(err);

		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, CONNECT_TIMEOUT_MS) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(why, why_size, "cannot connect to %s port %s: %s", host, port,
			 strerror(err));
		return -err;
	}
	if (fcntl(fd, F_SETFL, 0) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		q = -errno;
		close(fd);
		return q;
	}
	return fd;
}

static int syslog_connect(const struct forward_target *t, struct forward_transport **ret, char *why,
			  size_t why_size)
{
	struct forward_transport *c;
	const char *name = t->server_name ? t->server_name : t->host;
	int q;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) ||
	    SSL_CTX_load_verify_locations(c->ctx, t->ca, NULL) != 1) {
		tls_why(why, why_size, "cannot load the CA certificates");
		syslog_close(c);
		return -EINVAL;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (t->cert && (SSL_CTX_use_certificate_chain_file(c->ctx, t->cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(c->ctx, t->key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(c->ctx) != 1)) {
		tls_why(why, why_size, "cannot load the client certificate and key");
		syslog_close(c);
		return -EINVAL;
	}
	c->fd = tcp_connect(t->host, t->port, why, why_size);
	if (c->fd < 0) {
		q = c->fd;
		c->fd = -1;
		syslog_close(c);
		return q;
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || !SSL_set1_host(c->ssl, name) ||
	    !SSL_set_tlsext_host_name(c->ssl, name)) {
		tls_why(why, why_size, "cannot set up TLS");
		syslog_close(c);
		return -ENOMEM;
	}
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);

		if (v != X509_V_OK)
			snprintf(why, why_size, "TLS with %s port %s: the certificate of %s: %s",
				 t->host, t->port, name, X509_verify_cert_error_string(v));
		else
			tls_why(why, why_size, "TLS handshake failed");
		syslog_close(c);
		return -ECONNREFUSED;
	}
	*ret = c;
	return 0;
}

static int syslog_flush(struct forward_transport *c, char *why, size_t why_size)
{
	size_t done = 0;

	while (done < c->len) {
		int n = SSL_write(c->ssl, c->buf + done,
				  (int)MIN(c->len - done, (size_t)INT32_MAX));

		if (n <= 0) {
			tls_why(why, why_size, "the connection broke");
			return -EPIPE;
		}
		done += (size_t)n;
	}
	c->len = 0;
	c->written += c->queued;
	c->queued = 0;
	/* With every mark in use, the newest grows (it is not taken yet: this flush is newer). */
	if (c->n_marks == SYSLOG_MARKS)
		c->n_marks--;
	c->marks[c->n_marks++] = (struct syslog_mark){
		.count = c->written,
		.wire = BIO_number_written(SSL_get_wbio(c->ssl)),
	};
	return 0;
}

static int syslog_send(struct forward_transport *c, const char *msg, size_t len, char *why,
		       size_t why_size)
{
	char frame[24];
	int nf = snprintf(frame, sizeof(frame), "%zu ", len);

	if (c->len + (size_t)nf + len > c->allocated) {
		size_t want = MAX(c->allocated * 2, c->len + (size_t)nf + len);
		char *p = realloc(c->buf, MAX(want, (size_t)SYSLOG_FLUSH_AT * 2));

		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->allocated = MAX(want, (size_t)SYSLOG_FLUSH_AT * 2);
	}
	memcpy(c->buf + c->len, frame, (size_t)nf);
	memcpy(c->buf + c->len + nf, msg, len);
	c->len += (size_t)nf + len;
	c->queued++;
	return c->len >= SYSLOG_FLUSH_AT ? syslog_flush(c, why, why_size) : 0;
}

static int syslog_confirmed(struct forward_transport *c, bool idle, uint64_t *ret_count, char *why,
			    size_t why_size)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	int outq = 0, q;
	usec_t now;

	(void)idle;
	if (c->len > 0) {
		q = syslog_flush(c, why, why_size);
		if (q < 0)
			return q;
	}
	/* The peer closing (a TLS close_notify comes with the FIN) or resetting: broken. */
	if (poll(&p, 1, 0) < 0 || (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))) {
		snprintf(why, why_size, "the receiver closed the connection");
		return -EPIPE;
	}
	if (ioctl(c->fd, SIOCOUTQ, &outq) < 0) {
		snprintf(why, why_size, "cannot ask the socket what is unsent: %s",
			 strerror(errno));
		return -EIO;
	}
	now = now_usec(CLOCK_MONOTONIC);
	{
		uint64_t wire = BIO_number_written(SSL_get_wbio(c->ssl));
		uint64_t acked = wire > (uint64_t)outq ? wire - (uint64_t)outq : 0;
		size_t keep = 0;

		/*
		 * A flush is taken when the peer's TCP has acknowledged its last byte, and
		 * delivered when the connection is still up the settle time after that.
		 */
		for (size_t i = 0; i < c->n_marks; i++) {
			struct syslog_mark *m = &c->marks[i];

			if (!m->taken && m->wire <= acked)
				m->taken = now;
			if (m->taken && now - m->taken >= SYSLOG_SETTLE_USEC)
				c->confirmed = MAX(c->confirmed, m->count);
			else
				c->marks[keep++] = *m;
		}
		c->n_marks = keep;
	}
	*ret_count = c->confirmed;
	return 0;
}

const struct forward_transport_ops forward_syslog_tls_ops = {
	.format = forward_syslog_format,
	.connect = syslog_connect,
	.send = syslog_send,
	.confirmed = syslog_confirmed,
	.close = syslog_close,
};
