// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <yajl/yajl_gen.h>

#include "basic/string-util.h"
#include "basic/json-util.h"
#include "statusclient.h"

struct statusclient {
	int fd;
	int64_t next_id;

	/* Bytes read and not yet returned as lines. */
	char *buf;
	size_t len, size;
	bool skipping; /* inside a line that was too long, until its newline */
	bool eof;

	/* Event lines read while waiting for an answer, oldest first. */
	char *queue[STATUSCLIENT_QUEUE_MAX];
	size_t q_head, q_len;
	uint64_t dropped;
};

int statusclient_connect(const char *path, struct statusclient **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	struct statusclient *c;

	if (!path)
		path = STATUSCLIENT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = TAKE_FD(fd);
	c->next_id = 1;
	*ret = c;
	return 0;
}

struct statusclient *statusclient_free(struct statusclient *c)
{
	if (!c)
		return NULL;
	safe_close(c->fd);
	free(c->buf);
	for (size_t i = 0; i < c->q_len; i++)
		free(c->queue[(c->q_head + i) % STATUSCLIENT_QUEUE_MAX]);
	free(c);
	return NULL;
}

int statusclient_fd(const struct statusclient *c)
{
	return c->fd;
}

uint64_t statusclient_dropped(const struct statusclient *c)
{
	return c->dropped;
}

static usec_t deadline_of(usec_t timeout)
{
	if (timeout == USEC_INFINITY)
		return USEC_INFINITY;
	return now_usec(CLOCK_MONOTONIC) + timeout;
}

/* Waits for events on c->fd until deadline.  Returns 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, usec_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = -1, r;

		if (deadline != USEC_INFINITY) {
			usec_t now = now_usec(CLOCK_MONOTONIC);

			if (now >= deadline)
				ms = 0;
			else
				ms = (int)MIN((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC,
					      (usec_t)INT32_MAX);
		}
		r = poll(&p, 1, ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		return 0;
	}
}

static int write_all(int fd, const char *p, size_t n, usec_t timeout)
{
	usec_t deadline = deadline_of(timeout);

	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		int r;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = wait_fd(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int statusclient_send(struct statusclient *c, const char *method,
		      const struct statusclient_param *params, size_t n_params, usec_t timeout,
		      int64_t *ret_id)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_free_ char *line = NULL;
	const unsigned char *out;
	int64_t id = c->next_id;
	size_t n;
	int r;

	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;
	yajl_gen_map_open(g);
	yajl_gen_string(g, (const unsigned char *)"id", 2);
	yajl_gen_integer(g, id);
	yajl_gen_string(g, (const unsigned char *)"method", 6);
	if (yajl_gen_string(g, (const unsigned char *)method, strlen(method)) != yajl_gen_status_ok)
		return -EINVAL;
	if (n_params > 0) {
		yajl_gen_string(g, (const unsigned char *)"params", 6);
		yajl_gen_map_open(g);
		for (size_t i = 0; i < n_params; i++) {
			const struct statusclient_param *p = &params[i];

			yajl_gen_string(g, (const unsigned char *)p->key, strlen(p->key));
			if (p->str) {
				/* yajl refuses invalid UTF-8 only with yajl_gen_validate_utf8. */
				if (yajl_gen_string(g, (const unsigned char *)p->str,
						    strlen(p->str)) != yajl_gen_status_ok)
					return -EINVAL;
			} else {
				yajl_gen_integer(g, p->num);
			}
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &out, &n) != yajl_gen_status_ok)
		return -ENOMEM;

	line = malloc(n + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, out, n);
	line[n] = '\n';
	r = write_all(c->fd, line, n + 1, timeout);
	if (r < 0)
		return r;
	c->next_id++;
	if (ret_id)
		*ret_id = id;
	return 0;
}

/* Takes a complete line out of the buffer, if there is one.  1 when found, 0 when not. */
static int take_line(struct statusclient *c, char **ret_line, bool *ret_too_long)
{
	char *nl = c->len > 0 ? memchr(c->buf, '\n', c->len) : NULL;
	size_t n;

	if (!nl) {
		if (c->len > STATUSCLIENT_LINE_MAX) {
			/* Drop what we have and skip to the end of this line. */
			c->len = 0;
			c->skipping = true;
			*ret_too_long = true;
		}
		return 0;
	}
	n = (size_t)(nl - c->buf);
	if (c->skipping) {
		c->skipping = false;
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
		return 0;
	}
	if (n > STATUSCLIENT_LINE_MAX) {
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
		*ret_too_long = true;
		return 0;
	}
	*ret_line = strndup(c->buf, n);
	if (!*ret_line)
		return -ENOMEM;
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return 1;
}

/* Reads a line from the socket only, bypassing the queue. */
static int read_line_socket(struct statusclient *c, usec_t timeout, char **ret_line)
{
	usec_t deadline = deadline_of(timeout);

	for (;;) {
		bool too_long = false;
		char *line = NULL;
		ssize_t k;
		int r;

		/* A line already buffered may hold several; keep taking while skipping. */
		do {
			r = take_line(c, &line, &too_long);
			if (r < 0)
				return r;
			if (r > 0) {
				*ret_line = line;
				return 0;
			}
			if (too_long)
				return -EMSGSIZE;
		} while (c->len > 0 && memchr(c->buf, '\n', c->len));

		if (c->eof)
			return -ECONNRESET;

		if (c->size - c->len < 4096) {
			size_t size = c->size ? c->size * 2 : 8192;
			char *b;

			/* Room for one line over the limit, so take_line() can see it is too long. */
			size = MIN(size, (size_t)STATUSCLIENT_LINE_MAX + 8192);
			if (size <= c->len)
				return -EMSGSIZE;
			b = realloc(c->buf, size);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->size = size;
		}

		k = recv(c->fd, c->buf + c->len, c->size - c->len, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (timeout == 0)
				return -EAGAIN;
			r = wait_fd(c->fd, POLLIN, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (k == 0) {
			/* An unterminated last line is dropped: the agent always ends its lines. */
			c->eof = true;
			return -ECONNRESET;
		}
		c->len += (size_t)k;
	}
}

int statusclient_read_line(struct statusclient *c, usec_t timeout, char **ret_line)
{
	if (c->q_len > 0) {
		*ret_line = c->queue[c->q_head];
		c->queue[c->q_head] = NULL;
		c->q_head = (c->q_head + 1) % STATUSCLIENT_QUEUE_MAX;
		c->q_len--;
		return 0;
	}
	return read_line_socket(c, timeout, ret_line);
}

static void queue_push(struct statusclient *c, char *line)
{
	if (c->q_len == STATUSCLIENT_QUEUE_MAX) {
		free(c->queue[c->q_head]);
		c->queue[c->q_head] = NULL;
		c->q_head = (c->q_head + 1) % STATUSCLIENT_QUEUE_MAX;
		c->q_len--;
		c->dropped++;
	}
	c->queue[(c->q_head + c->q_len) % STATUSCLIENT_QUEUE_MAX] = line;
	c->q_len++;
}

int statusclient_call(struct statusclient *c, const char *method,
		      const struct statusclient_param *params, size_t n_params, usec_t timeout,
		      yajl_val *ret_root, yajl_val *ret_result,
		      struct statusclient_error *ret_error)
{
	usec_t deadline = deadline_of(timeout);
	int64_t id;
	int r;

	r = statusclient_send(c, method, params, n_params, timeout, &id);
	if (r < 0)
		return r;

	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		_cleanup_free_ char *line = NULL;
		usec_t left = 0;
		yajl_val v;

		if (deadline == USEC_INFINITY)
			left = USEC_INFINITY;
		else if (deadline > now_usec(CLOCK_MONOTONIC))
			left = deadline - now_usec(CLOCK_MONOTONIC);
		r = read_line_socket(c, left ?: 1, &line);
		if (r < 0)
			return r;

		root = yajl_tree_parse(line, NULL, 0);
		if (!root || !YAJL_IS_OBJECT(root))
			return -EBADMSG;
		v = statusclient_get(root, "id");
		if (!v) {
			/* An event of a subscription: keep it for read_line(). */
			queue_push(c, TAKE_PTR(line));
			continue;
		}
		if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != id)
			continue; /* the answer to a request we gave up on */

		v = statusclient_get(root, "error");
		if (v) {
			if (ret_error) {
				const char *code = statusclient_get_str(v, "code");
				const char *message = statusclient_get_str(v, "message");

				strbufcpy(ret_error->code, sizeof(ret_error->code), code ?: "");
				strbufcpy(ret_error->message, sizeof(ret_error->message),
					  message ?: "");
			}
			return -EREMOTEIO;
		}
		v = statusclient_get(root, "result");
		if (!v)
			return -EBADMSG;
		*ret_result = v;
		*ret_root = TAKE_PTR(root);
		return 0;
	}
}

const char *statusclient_lang(char *buf, size_t size)
{
	const char *l = setlocale(LC_MESSAGES, NULL);
	size_t n;

	if (!l || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0 || strncmp(l, "C.", 2) == 0)
		return strbufcpy(buf, size, "en");
	n = strcspn(l, "_.@");
	if (n == 0 || n >= size)
		return strbufcpy(buf, size, "en");
	memcpy(buf, l, n);
	buf[n] = '\0';
	return buf;
}

yajl_val statusclient_get(yajl_val o, const char *key)
{
	if (!o || !YAJL_IS_OBJECT(o))
		return NULL;
	for (size_t i = 0; i < o->u.object.len; i++)
		if (strcmp(o->u.object.keys[i], key) == 0)
			return o->u.object.values[i];
	return NULL;
}

const char *statusclient_get_str(yajl_val o, const char *key)
{
	yajl_val v = statusclient_get(o, key);

	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

int64_t statusclient_get_int(yajl_val o, const char *key, int64_t def)
{
	yajl_val v = statusclient_get(o, key);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : def;
}

bool statusclient_get_bool(yajl_val o, const char *key, bool def)
{
	yajl_val v = statusclient_get(o, key);

	if (v && YAJL_IS_TRUE(v))
		return true;
	if (v && YAJL_IS_FALSE(v))
		return false;
	return def;
}

const char *statusclient_text(yajl_val v, const char *lang)
{
	const char *s;

	if (!v)
		return NULL;
	if (YAJL_IS_STRING(v))
		return YAJL_GET_STRING(v);
	if (!YAJL_IS_OBJECT(v))
		return NULL;
	s = statusclient_get_str(v, lang);
	if (s)
		return s;
	s = statusclient_get_str(v, "en");
	if (s)
		return s;
	for (size_t i = 0; i < v->u.object.len; i++)
		if (YAJL_IS_STRING(v->u.object.values[i]))
			return YAJL_GET_STRING(v->u.object.values[i]);
	return NULL;
}
