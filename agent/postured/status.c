// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "basic/json-util.h"
#include "spool.h"
#include "status.h"

struct kept_finding {
	char *json;
	size_t len;
	uint32_t uid;
	int severity;
	char rule[65];
};

struct client {
	status_server *server;
	int fd;
	sd_event_source *source;
	uid_t uid;
	pid_t pid;
	bool subscribed;
	char in[STATUS_REQUEST_MAX + 1];
	size_t in_len;
	bool discarding; /* the rest of an oversize line is being skipped */
	char *out;
	size_t out_len, out_size;
	struct client *prev, *next;
};

struct status_server {
	sd_event *event;
	int fd;
	sd_event_source *source;
	char *path;
	const struct status_ops *ops;
	void *userdata;
	struct client *clients;
	unsigned n_clients;
	struct kept_finding findings[STATUS_FINDINGS_KEPT];
	size_t findings_next; /* ring position of the next finding */
	size_t findings_count;
	struct status_stats stats;
	struct ratelimit log_rl;
	struct spool *spool; /* not owned */
};

static void client_free(struct client *c)
{
	status_server *s = c->server;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_clients--;
	sd_event_source_disable_unref(c->source);
	safe_close(c->fd);
	free(c->out);
	free(c);
}

/* Queues bytes for a client; a client that lets too much pile up is dropped. Returns false then. */
static bool client_queue(struct client *c, const void *data, size_t len)
{
	if (c->out_len + len > STATUS_PENDING_MAX) {
		c->server->stats.dropped_slow++;
		if (ratelimit_below(&c->server->log_rl))
			log_warning("Dropping status client pid %d (uid %u): it does not read its "
				    "answers.",
				    (int)c->pid, (unsigned)c->uid);
		client_free(c);
		return false;
	}
	if (c->out_len + len > c->out_size) {
		size_t n = MAX(c->out_size * 2, c->out_len + len);
		char *p = realloc(c->out, n);

		if (!p) {
			client_free(c);
			return false;
		}
		c->out = p;
		c->out_size = n;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	(void)sd_event_source_set_io_events(c->source, EPOLLIN | EPOLLOUT);
	return true;
}

static bool client_queue_str(struct client *c, const char *s)
{
	return client_queue(c, s, strlen(s));
}

/* The request's id, as JSON text ("null" when absent or not a scalar). */
static void id_text(yajl_val id, char *buf, size_t size)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *out;
	size_t len;

	strbufcpy(buf, size, "null");
	if (!g || !id)
		return;
	if (YAJL_IS_STRING(id)) {
		const char *v = YAJL_GET_STRING(id);

		if (strlen(v) > 128)
			return;
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
	} else if (YAJL_IS_NUMBER(id)) {
		const char *v = YAJL_GET_NUMBER(id);

		yajl_gen_number(g, v, strlen(v));
	} else if (YAJL_IS_TRUE(id) || YAJL_IS_FALSE(id)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(id));
	} else {
		return;
	}
	if (yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok && len < size) {
		memcpy(buf, out, len);
		buf[len] = '\0';
	}
}

static bool reply_error(struct client *c, const char *id, const char *code, const char *message)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *out;
	size_t len;

	if (!g)
		return false;
	yajl_gen_map_open(g);
	json_open(g, "error");
	json_str(g, "code", code);
	json_str(g, "message", message);
	json_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		return false;
	/* {"id":ID, + the rest of the object without its opening brace. */
	return client_queue_str(c, "{\"id\":") && client_queue_str(c, id) &&
	       client_queue_str(c, ",") && client_queue(c, out + 1, len - 1) &&
	       client_queue_str(c, "\n");
}

/* Sends {"id":ID,"result":RESULT} where RESULT is the generator's JSON. */
static bool reply_result(struct client *c, const char *id, yajl_gen g)
{
	const unsigned char *out;
	size_t len;

	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		return reply_error(c, id, "internal", "could not write the answer");
	return client_queue_str(c, "{\"id\":") && client_queue_str(c, id) &&
	       client_queue_str(c, ",\"result\":") && client_queue(c, out, len) &&
	       client_queue_str(c, "}\n");
}

static bool visible(const struct client *c, const struct kept_finding *f)
{
	return c->uid == 0 || f->uid == STATUS_UID_DEVICE || f->uid == (uint32_t)c->uid;
}

static int severity_from_string(const char *s)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i + 1;
	return -1;
}

/* The kept findings, oldest first, that c may see and that pass the filters, as a JSON array. */
static bool queue_findings(struct client *c, const char *rule, int min_severity, size_t limit)
{
	status_server *s = c->server;
	size_t start = (s->findings_next + STATUS_FINDINGS_KEPT - s->findings_count) %
		       STATUS_FINDINGS_KEPT;
	size_t matching = 0, skip, shown = 0;

	for (size_t k = 0; k < s->findings_count; k++) {
		const struct kept_finding *f = &s->findings[(start + k) % STATUS_FINDINGS_KEPT];

		if (visible(c, f) && (!rule || strcmp(rule, f->rule) == 0) &&
		    f->severity >= min_severity)
			matching++;
	}
	/* The newest `limit` of them. */
	skip = matching > limit ? matching - limit : 0;
	if (!client_queue_str(c, "["))
		return false;
	for (size_t k = 0; k < s->findings_count; k++) {
		const struct kept_finding *f = &s->findings[(start + k) % STATUS_FINDINGS_KEPT];

		if (!visible(c, f) || (rule && strcmp(rule, f->rule) != 0) ||
		    f->severity < min_severity)
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if ((shown++ > 0 && !client_queue_str(c, ",")) || !client_queue(c, f->json, f->len))
			return false;
	}
	return client_queue_str(c, "]");
}

static bool handle_findings(struct client *c, const char *id, yajl_val params)
{
	const char *rule_path[] = { "rule", NULL }, *sev_path[] = { "severity", NULL },
		   *limit_path[] = { "limit", NULL };
	yajl_val rule = params ? yajl_tree_get(params, rule_path, yajl_t_any) : NULL;
	yajl_val sev = params ? yajl_tree_get(params, sev_path, yajl_t_any) : NULL;
	yajl_val limit = params ? yajl_tree_get(params, limit_path, yajl_t_any) : NULL;
	int min_severity = 0;
	size_t n = STATUS_FINDINGS_KEPT;

	if (rule && !YAJL_IS_STRING(rule))
		return reply_error(c, id, "bad_request", "\"rule\" must be a string");
	if (sev && (!YAJL_IS_STRING(sev) ||
		    (min_severity = severity_from_string(YAJL_GET_STRING(sev))) < 0))
		return reply_error(c, id, "bad_request",
				   "\"severity\" must be info, low, medium, high or critical");
	if (limit) {
		if (!YAJL_IS_INTEGER(limit) || YAJL_GET_INTEGER(limit) < 1)
			return reply_error(c, id, "bad_request",
					   "\"limit\" must be a whole number from 1");
		n = (size_t)MIN(YAJL_GET_INTEGER(limit), (long long)STATUS_FINDINGS_KEPT);
	}
	return client_queue_str(c, "{\"id\":") && client_queue_str(c, id) &&
	       client_queue_str(c, ",\"result\":{\"findings\":") &&
	       queue_findings(c, rule ? YAJL_GET_STRING(rule) : NULL, min_severity, n) &&
	       client_queue_str(c, "}}\n");
}

static bool handle_explain(struct client *c, const char *id, yajl_val params)
{
	const char *rule_path[] = { "rule", NULL };
	yajl_val rule = params ? yajl_tree_get(params, rule_path, yajl_t_any) : NULL;
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *out;
	size_t len;

	if (!rule || !YAJL_IS_STRING(rule))
		return reply_error(c, id, "bad_request", "explain needs {\"rule\": \"RULE-ID\"}");
	if (!g)
		return false;
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	if (c->server->ops->write_rule(c->server->userdata, g, YAJL_GET_STRING(rule)) < 0)
		return reply_error(c, id, "unknown_rule",
				   "the policy in force has no rule of that id");
	if (yajl_gen_get_buf(g, &out, &len) != yajl_gen_status_ok)
		return false;
	return client_queue_str(c, "{\"id\":") && client_queue_str(c, id) &&
	       client_queue_str(c, ",\"result\":{\"rule\":") && client_queue(c, out, len) &&
	       client_queue_str(c, ",\"findings\":") &&
	       queue_findings(c, YAJL_GET_STRING(rule), 0, STATUS_FINDINGS_KEPT) &&
	       client_queue_str(c, "}}\n");
}

/*
 * The uid of the user a record is about: its evidence's process, else the
 * evidence's user, else its process (docs/status-socket.md).  STATUS_UID_DEVICE for a record about no
 * user; false when the record cannot be read, so it is shown to root only.
 */
static bool record_uid(const char *line, uint32_t *ret)
{
	const char *ev_path[] = { "evidences", NULL }, *uid_path[] = { "user", "uid", NULL },
		   *proc_path[] = { "process", NULL };
	_cleanup_(yajl_tree_freep) yajl_val v = yajl_tree_parse(line, NULL, 0);
	yajl_val ev, proc = NULL, uid = NULL;
	unsigned long long n;
	char *end;

	if (!v || !YAJL_IS_OBJECT(v))
		return false;
	ev = yajl_tree_get(v, ev_path, yajl_t_array);
	if (ev && YAJL_GET_ARRAY(ev)->len > 0)
		proc = yajl_tree_get(YAJL_GET_ARRAY(ev)->values[0], proc_path, yajl_t_object);
	if (proc)
		uid = yajl_tree_get(proc, uid_path, yajl_t_any);
	/* Evidence about a user's socket without a process (an inbound connection). */
	if (!uid && ev && YAJL_GET_ARRAY(ev)->len > 0)
		uid = yajl_tree_get(YAJL_GET_ARRAY(ev)->values[0], uid_path, yajl_t_any);
	if (!uid) {
		proc = yajl_tree_get(v, proc_path, yajl_t_object);
		if (proc)
			uid = yajl_tree_get(proc, uid_path, yajl_t_any);
	}
	if (!uid) {
		*ret = STATUS_UID_DEVICE;
		return true;
	}
	if (YAJL_IS_STRING(uid) || YAJL_IS_INTEGER(uid)) {
		const char *t = YAJL_IS_STRING(uid) ? YAJL_GET_STRING(uid) : YAJL_GET_NUMBER(uid);

		errno = 0;
		n = strtoull(t, &end, 10);
		if (errno == 0 && end != t && *end == '\0' && t[0] != '-' && n < UINT32_MAX) {
			*ret = (uint32_t)n;
			return true;
		}
	}
	return false;
}

struct sent_walk {
	struct client *c;
	size_t shown, limit, bytes;
	uint64_t last_seq;
	bool more, gone;
};

static int sent_one(uint64_t seq, int64_t acked_ms, const char *kind, const char *line, size_t len,
		    void *userdata)
{
	struct sent_walk *w = userdata;
	char head[96];
	uint32_t uid;

	if (w->shown >= w->limit || (w->shown > 0 && w->bytes + len > STATUS_SENT_BYTES)) {
		w->more = true;
		return 1;
	}
	w->last_seq = seq;
	if (w->c->uid != 0 &&
	    (!record_uid(line, &uid) || (uid != STATUS_UID_DEVICE && uid != (uint32_t)w->c->uid)))
		return 0;
	snprintf(head, sizeof(head),
		 "%s{\"seq\":%llu,\"acked\":%lld,\"record\":", w->shown > 0 ? "," : "",
		 (unsigned long long)seq, (long long)acked_ms);
	if (!client_queue_str(w->c, head) || !client_queue(w->c, line, len) ||
	    !client_queue_str(w->c, "}")) {
		w->gone = true;
		return -ECONNRESET;
	}
	w->shown++;
	w->bytes += len;
	return 0;
}

/*
 * "sent": the records acknowledged by the collector, as they were sent,
 * oldest first, that the caller may see.  One answer looks at no more than
 * STATUS_SENT_SCAN of them and holds no more than STATUS_SENT_BYTES; "more"
 * then says to ask again with "after_seq" set to "last_seq".
 */
static bool handle_sent(struct client *c, const char *id, yajl_val params)
{
	const char *since_path[] = { "since", NULL }, *limit_path[] = { "limit", NULL },
		   *after_path[] = { "after_seq", NULL };
	yajl_val since = params ? yajl_tree_get(params, since_path, yajl_t_any) : NULL;
	yajl_val limit = params ? yajl_tree_get(params, limit_path, yajl_t_any) : NULL;
	yajl_val after = params ? yajl_tree_get(params, after_path, yajl_t_any) : NULL;
	struct sent_walk w = { .c = c, .limit = STATUS_SENT_DEFAULT };
	char tail[96];
	int r = 0;

	if (since && (!YAJL_IS_INTEGER(since) || YAJL_GET_INTEGER(since) < 0))
		return reply_error(c, id, "bad_request",
				   "\"since\" must be a time in milliseconds since the epoch");
	if (after && (!YAJL_IS_INTEGER(after) || YAJL_GET_INTEGER(after) < 0))
		return reply_error(c, id, "bad_request", "\"after_seq\" must be a sequence number");
	if (limit) {
		if (!YAJL_IS_INTEGER(limit) || YAJL_GET_INTEGER(limit) < 1)
			return reply_error(c, id, "bad_request",
					   "\"limit\" must be a whole number from 1");
		w.limit = (size_t)MIN(YAJL_GET_INTEGER(limit), (long long)STATUS_SENT_MAX);
	}
	w.last_seq = after ? (uint64_t)YAJL_GET_INTEGER(after) : 0;

	if (!client_queue_str(c, "{\"id\":") || !client_queue_str(c, id) ||
	    !client_queue_str(c, ",\"result\":{\"records\":["))
		return false;
	if (c->server->spool) {
		r = spool_list_sent(c->server->spool, since ? YAJL_GET_INTEGER(since) : 0,
				    w.last_seq, STATUS_SENT_SCAN, sent_one, &w);
		if (w.gone)
			return false;
		if (r == STATUS_SENT_SCAN)
			w.more = true;
	}
	if (r < 0) {
		/* The array is open: close the answer as an error the client can read. */
		if (ratelimit_below(&c->server->log_rl))
			log_error_errno(r, "Failed to read the sent records: %m");
		return client_queue_str(c,
					"]},\"error\":{\"code\":\"internal\","
					"\"message\":\"the sent records could not be read\"}}\n");
	}
	snprintf(tail, sizeof(tail), "],\"more\":%s,\"last_seq\":%llu}}\n",
		 w.more ? "true" : "false", (unsigned long long)w.last_seq);
	return client_queue_str(c, tail);
}

static bool handle_request(struct client *c, char *line)
{
	const char *method_path[] = { "method", NULL }, *id_path[] = { "id", NULL },
		   *params_path[] = { "params", NULL };
	_cleanup_(yajl_tree_freep) yajl_val req = NULL;
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	status_server *s = c->server;
	char id[160], err[256] = "";
	yajl_val method, params;
	const char *m;

	s->stats.requests++;
	req = yajl_tree_parse(line, err, sizeof(err));
	if (!req || !YAJL_IS_OBJECT(req)) {
		s->stats.bad_requests++;
		err[strcspn(err, "\n")] = '\0';
		return reply_error(c, "null", "bad_request",
				   req ? "a request is a JSON object" :
					 (err[0] ? err : "not valid JSON"));
	}
	id_text(yajl_tree_get(req, id_path, yajl_t_any), id, sizeof(id));
	method = yajl_tree_get(req, method_path, yajl_t_any);
	params = yajl_tree_get(req, params_path, yajl_t_any);
	if (!method || !YAJL_IS_STRING(method)) {
		s->stats.bad_requests++;
		return reply_error(c, id, "bad_request", "a request needs a string \"method\"");
	}
	if (params && !YAJL_IS_OBJECT(params)) {
		s->stats.bad_requests++;
		return reply_error(c, id, "bad_request", "\"params\" must be an object");
	}
	m = YAJL_GET_STRING(method);

	if (strcmp(m, "findings") == 0)
		return handle_findings(c, id, params);
	if (strcmp(m, "explain") == 0)
		return handle_explain(c, id, params);
	if (strcmp(m, "sent") == 0)
		return handle_sent(c, id, params);

	g = yajl_gen_alloc(NULL);
	if (!g)
		return false;
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	if (strcmp(m, "status") == 0) {
		s->ops->write_status(s->userdata, g, c->uid);
		return reply_result(c, id, g);
	}
	if (strcmp(m, "subscribe") == 0) {
		c->subscribed = true;
		yajl_gen_map_open(g);
		json_bool(g, "subscribed", 1);
		yajl_gen_map_close(g);
		return reply_result(c, id, g);
	}
	if (strcmp(m, "reload") == 0) {
		char reason[1024] = "";

		if (c->uid != 0)
			return reply_error(c, id, "permission_denied", "reload is for root");
		yajl_gen_map_open(g);
		json_bool(g, "reloaded", 1);
		json_key(g, "policy");
		if (s->ops->reload(s->userdata, g, reason, sizeof(reason)) < 0)
			return reply_error(c, id, "policy_refused",
					   reason[0] ? reason : "the policy was refused");
		yajl_gen_map_close(g);
		return reply_result(c, id, g);
	}
	if (strcmp(m, "enroll") == 0) {
		const char *tf_path[] = { "token_file", NULL };
		yajl_val tf = params ? yajl_tree_get(params, tf_path, yajl_t_any) : NULL;
		const char *token_file = tf && YAJL_IS_STRING(tf) ? YAJL_GET_STRING(tf) : NULL;
		char reason[256] = "";

		if (c->uid != 0)
			return reply_error(c, id, "permission_denied", "enroll is for root");
		if (tf && (!token_file || token_file[0] != '/' || strlen(token_file) >= PATH_MAX))
			return reply_error(c, id, "bad_request",
					   "\"token_file\" must be an absolute path");
		if (!s->ops->enroll ||
		    s->ops->enroll(s->userdata, g, token_file, reason, sizeof(reason)) < 0)
			return reply_error(c, id, "enroll_failed",
					   reason[0] ? reason : "enrollment could not start");
		return reply_result(c, id, g);
	}
	if (strcmp(m, "run_checks") == 0) {
		if (c->uid != 0)
			return reply_error(c, id, "permission_denied", "run_checks is for root");
		s->ops->run_checks(s->userdata, g);
		return reply_result(c, id, g);
	}
	{
		char msg[192];

		strbuf_printf(msg, sizeof(msg), "unknown method \"%.64s\"", m);
		return reply_error(c, id, "unknown_method", msg);
	}
}

/* Splits what arrived into lines and answers each.  Returns false when c was freed. */
static bool client_read(struct client *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? true : (client_free(c), false);
	if (n == 0) {
		client_free(c);
		return false;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (c->discarding)
				continue;
			if (c->in_len >= STATUS_REQUEST_MAX) {
				/* Too long: answer once, skip to the end of the line. */
				c->discarding = true;
				c->in_len = 0;
				c->server->stats.bad_requests++;
				if (!reply_error(c, "null", "bad_request",
						 "a request line is at most 4096 bytes"))
					return false;
				continue;
			}
			c->in[c->in_len++] = buf[i];
			continue;
		}
		if (c->discarding) {
			c->discarding = false;
			continue;
		}
		c->in[c->in_len] = '\0';
		c->in_len = 0;
		if (c->in[0] == '\0')
			continue;
		if (!handle_request(c, c->in))
			return false;
	}
	return true;
}

static void client_flush(struct client *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_free(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	(void)sd_event_source_set_io_events(c->source, EPOLLIN);
}

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (!client_read(c))
			return 0;
	}
	if (revents & EPOLLOUT || c->out_len > 0)
		client_flush(c);
	return 0;
}

static unsigned clients_of(status_server *s, uid_t uid)
{
	unsigned n = 0;

	for (struct client *c = s->clients; c; c = c->next)
		n += c->uid == uid;
	return n;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	status_server *s = userdata;
	_cleanup_close_ int cfd = -EBADF;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	/*
	 * One user cannot take every place: each has a share, and the last
	 * places are kept for root, so posturectl as root always gets in.
	 */
	if (s->n_clients >= STATUS_CLIENTS_MAX ||
	    (cred.uid != 0 && (s->n_clients >= STATUS_CLIENTS_MAX - STATUS_CLIENTS_ROOT ||
			       clients_of(s, cred.uid) >= STATUS_CLIENTS_PER_USER))) {
		if (ratelimit_below(&s->log_rl))
			log_warning("Refusing a status client of uid %u: too many connections.",
				    (unsigned)cred.uid);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	c->server = s;
	c->uid = cred.uid;
	c->pid = cred.pid;
	if (sd_event_add_io(s->event, &c->source, cfd, EPOLLIN, on_client, c) < 0) {
		free(c);
		return 0;
	}
	c->fd = TAKE_FD(cfd);
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->n_clients++;
	return 0;
}

int status_server_new(sd_event *event, const char *path, const struct status_ops *ops,
		      void *userdata, status_server **ret)
{
	_cleanup_close_ int fd = -EBADF;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = NULL;
	status_server *s;
	char *slash;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket left by an earlier run: nothing listens there any more.  Anything else stays. */
	{
		struct stat st;

		if (lstat(path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode))
				return -EEXIST;
			(void)unlink(path);
		}
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Every local user may ask; what they see is decided per request. */
	if (chmod(path, 0666) < 0 || listen(fd, 16) < 0)
		return -errno;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(event);
	s->ops = ops;
	s->userdata = userdata;
	s->log_rl = RATELIMIT_INIT(10 * USEC_PER_SEC, 5);
	s->path = strdup(path);
	if (!s->path) {
		status_server_free(s);
		return -ENOMEM;
	}
	r = sd_event_add_io(event, &s->source, fd, EPOLLIN, on_accept, s);
	if (r < 0) {
		status_server_free(s);
		return r;
	}
	s->fd = TAKE_FD(fd);
	*ret = s;
	return 0;
}

status_server *status_server_free(status_server *s)
{
	if (!s)
		return NULL;
	while (s->clients)
		client_free(s->clients);
	sd_event_source_disable_unref(s->source);
	if (s->path) {
		(void)unlink(s->path);
		free(s->path);
	}
	safe_close(s->fd);
	for (size_t i = 0; i < STATUS_FINDINGS_KEPT; i++)
		free(s->findings[i].json);
	sd_event_unref(s->event);
	free(s);
	return NULL;
}

void status_server_add_finding(status_server *s, const char *json, size_t len, uint32_t uid,
			       const char *rule_id, int severity_id)
{
	struct kept_finding *f = &s->findings[s->findings_next];
	struct client *c, *next;
	char *copy = malloc(len);

	if (!copy)
		return;
	memcpy(copy, json, len);
	free(f->json);
	*f = (struct kept_finding){ .json = copy, .len = len, .uid = uid, .severity = severity_id };
	strbufcpy(f->rule, sizeof(f->rule), rule_id ? rule_id : "");
	s->findings_next = (s->findings_next + 1) % STATUS_FINDINGS_KEPT;
	if (s->findings_count < STATUS_FINDINGS_KEPT)
		s->findings_count++;

	for (c = s->clients; c; c = next) {
		next = c->next;
		if (!c->subscribed || !visible(c, f))
			continue;
		if (client_queue_str(c, "{\"event\":\"finding\",\"finding\":") &&
		    client_queue(c, f->json, f->len) && client_queue_str(c, "}\n"))
			client_flush(c);
	}
}

void status_server_set_spool(status_server *s, struct spool *spool)
{
	s->spool = spool;
}

void status_server_notify_changed(status_server *s)
{
	struct client *c, *next;

	for (c = s->clients; c; c = next) {
		next = c->next;
		if (c->subscribed && client_queue_str(c, "{\"event\":\"status\"}\n"))
			client_flush(c);
	}
}

void status_server_get_stats(status_server *s, struct status_stats *ret)
{
	*ret = s->stats;
	ret->clients = s->n_clients;
}
