// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"

#define MIN_SIZE(a, b) ((a) < (b) ? (a) : (b))

int64_t decode_clock_offset(void)
{
	return (int64_t)(now_nsec(CLOCK_REALTIME) - now_nsec(CLOCK_BOOTTIME));
}

const char *event_kind_to_string(enum event_kind kind)
{
	switch (kind) {
	case EVENT_KIND_EXEC:
		return "exec";
	case EVENT_KIND_FORK:
		return "fork";
	case EVENT_KIND_EXIT:
		return "exit";
	case EVENT_KIND_NET:
		return "net";
	default:
		return NULL;
	}
}

const char *event_net_direction_to_string(unsigned d)
{
	switch (d) {
	case EVENT_NET_OUTBOUND:
		return "outbound";
	case EVENT_NET_INBOUND:
		return "inbound";
	case EVENT_NET_LISTEN:
		return "listen";
	default:
		return NULL;
	}
}

const char *event_net_verdict_to_string(unsigned v)
{
	switch (v) {
	case EVENT_NET_REPORTED:
		return "reported";
	case EVENT_NET_DENIED:
		return "denied";
	default:
		return NULL;
	}
}

const char *event_net_outcome_to_string(unsigned o)
{
	static const char *const names[] = {
		[EVENT_NET_OUTCOME_NONE] = "none",
		[EVENT_NET_OUTCOME_ESTABLISHED] = "established",
		[EVENT_NET_OUTCOME_REFUSED] = "refused",
		[EVENT_NET_OUTCOME_TIMED_OUT] = "timed_out",
		[EVENT_NET_OUTCOME_FAILED] = "failed",
		[EVENT_NET_OUTCOME_UNKNOWN] = "unknown",
	};

	return o < sizeof(names) / sizeof(names[0]) ? names[o] : NULL;
}

/* Copies a fixed kernel char array, ending it at the first NUL or at n. */
static void copy_str(char *dst, const char *src, size_t n)
{
	size_t len = strnlen(src, n);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void decode_task(const struct event_task *t, struct decoded_task *ret)
{
	ret->pid = t->pid;
	ret->tid = t->tid;
	ret->ppid = t->ppid;
	ret->uid = t->uid;
	ret->gid = t->gid;
	ret->loginuid = t->loginuid;
	ret->start_boot = t->start_boot_ns;
	ret->cgroup_id = t->cgroup_id;
	copy_str(ret->comm, t->comm, sizeof(t->comm));
}

usec_t decode_time_real(nsec_t boot, int64_t clock_offset)
{
	nsec_t real;

	/* Kernel times are data too: saturate rather than overflow on absurd ones. */
	if (clock_offset >= 0) {
		if (__builtin_add_overflow(boot, (nsec_t)clock_offset, &real))
			real = UINT64_MAX;
	} else if (__builtin_sub_overflow(boot, (nsec_t)0 - (nsec_t)clock_offset, &real)) {
		real = 0;
	}
	return real / NSEC_PER_USEC;
}

/* A standard descriptor as the probe saw it; false for values no probe sends. */
static bool decode_stdio(const struct event_stdio *s, struct decoded_stdio *ret)
{
	bool network = s->kind == EVENT_STDIO_NETWORK;

	if (s->kind >= _EVENT_STDIO_MAX)
		return false;
	if (network ? (s->family != AF_INET && s->family != AF_INET6) ||
			      (s->protocol != IPPROTO_TCP && s->protocol != IPPROTO_UDP) :
		      s->family != 0 || s->protocol != 0)
		return false;
	*ret = (struct decoded_stdio){
		.kind = s->kind,
		.family = s->family,
		.protocol = s->protocol,
		.local_port = s->local_port,
		.remote_port = s->remote_port,
		.ino = s->ino,
	};
	if (network)
		memcpy(ret->remote_addr, s->remote_addr,
		       s->family == AF_INET ? 4 : EVENT_NET_ADDR_LEN);
	return true;
}

static int decode_exec(const void *data, size_t size, struct decoded_event *ev)
{
	const struct event_exec *e = data;
	size_t name_len;

	if (size != sizeof(struct event_exec) && size != sizeof(struct event_exec_args))
		return -EBADMSG;
	if (e->filename_size == 0 || e->filename_size > EVENT_PATH_LEN)
		return -EBADMSG;
	if (e->exe_path_size > EVENT_PATH_LEN || e->facts >> _EVENT_FACT_MAX)
		return -EBADMSG;
	if (e->args_size > EVENT_ARGS_LEN)
		return -EBADMSG;
	if (e->args_size > 0 && size != sizeof(struct event_exec_args))
		return -EBADMSG;

	decode_task(&e->task, &ev->task);
	/* filename_size counts the NUL; never trust it to be there. */
	name_len = strnlen(e->filename, e->filename_size);
	memcpy(ev->exec.filename, e->filename, MIN_SIZE(name_len, EVENT_PATH_LEN - 1));
	ev->exec.filename[MIN_SIZE(name_len, EVENT_PATH_LEN - 1)] = '\0';
	ev->exec.filename_truncated = (e->flags & EVENT_EXEC_FILENAME_TRUNCATED) ||
				      name_len >= EVENT_PATH_LEN;
	ev->exec.args_truncated = e->flags & EVENT_EXEC_ARGS_TRUNCATED;
	if (e->match_action > EVENT_ACTION_KILL)
		return -EBADMSG;
	ev->exec.killed = e->flags & EVENT_EXEC_KILLED;
	ev->exec.denied = e->flags & EVENT_EXEC_DENIED;
	ev->exec.match_rule = e->match_rule;
	ev->exec.match_action = e->match_action;
	ev->exec.match_gen = e->match_gen;
	ev->exec.exe_dev = e->exe_dev;
	ev->exec.exe_ino = e->exe_ino;
	for (size_t i = 0; i < 3; i++)
		if (!decode_stdio(&e->stdio[i], &ev->exec.stdio[i]))
			return -EBADMSG;
	/* Only an absolute path is one: anything else would be taken for a name elsewhere. */
	name_len = strnlen(e->exe_path, e->exe_path_size);
	if (name_len > 0 && e->exe_path[0] == '/' && name_len < EVENT_PATH_LEN) {
		memcpy(ev->exec.exe_path, e->exe_path, name_len);
		ev->exec.exe_path[name_len] = '\0';
	} else {
		ev->exec.exe_path[0] = '\0';
	}
	ev->exec.exe_path_truncated = e->flags & EVENT_EXEC_EXE_PATH_TRUNCATED;
	ev->exec.facts = e->facts;
	ev->exec.script = e->flags & EVENT_EXEC_SCRIPT;
	ev->exec.script_unknown = e->flags & EVENT_EXEC_NO_SCRIPT_INFO;
	ev->exec.cwd_world_writable = e->flags & EVENT_EXEC_CWD_WORLD_WRITABLE;
	copy_str(ev->exec.stdin_writer, e->stdin_writer, sizeof(e->stdin_writer) - 1);
	if (e->flags & EVENT_EXEC_NO_LOGINUID)
		ev->task.loginuid = UINT32_MAX;
	ev->exec.args_size = 0;
	if (e->args_size > 0) {
		const struct event_exec_args *a = data;

		memcpy(ev->exec.args, a->args, e->args_size);
		ev->exec.args_size = e->args_size;
	}
	ev->exec.args[ev->exec.args_size] = '\0';
	return 0;
}

static void copy_addr(uint8_t *dst, const uint8_t *src, uint8_t family)
{
	memset(dst, 0, EVENT_NET_ADDR_LEN);
	memcpy(dst, src, family == AF_INET ? 4 : EVENT_NET_ADDR_LEN);
}

static int decode_net(const void *data, size_t size, struct decoded_event *ev)
{
	const struct event_net *e = data;

	if (size != sizeof(*e))
		return -EBADMSG;
	if (!event_net_direction_to_string(e->direction) ||
	    !event_net_verdict_to_string(e->verdict) || !event_net_outcome_to_string(e->outcome))
		return -EBADMSG;
	if (e->protocol != IPPROTO_TCP && e->protocol != IPPROTO_UDP)
		return -EBADMSG;
	if (e->family != AF_INET && e->family != AF_INET6)
		return -EBADMSG;
	/* Unjudged: only a TCP listen() the kernel had not given a port yet. */
	if ((e->rule >= NET_RULES_MAX &&
	     (e->rule != EVENT_NET_RULE_UNJUDGED || e->direction != EVENT_NET_LISTEN ||
	      e->protocol != IPPROTO_TCP || e->local_port != 0)) ||
	    e->count == 0)
		return -EBADMSG;
	/* Only TCP connects have an outcome, and only those that went ahead. */
	if (e->outcome != EVENT_NET_OUTCOME_NONE &&
	    (e->protocol != IPPROTO_TCP || e->direction != EVENT_NET_OUTBOUND ||
	     e->verdict != EVENT_NET_REPORTED))
		return -EBADMSG;

	decode_task(&e->task, &ev->task);
	ev->net.has_process = e->direction != EVENT_NET_INBOUND;
	ev->net.exe_dev = e->exe_dev;
	ev->net.exe_ino = e->exe_ino;
	copy_addr(ev->net.local_addr, e->local_addr, e->family);
	copy_addr(ev->net.remote_addr, e->remote_addr, e->family);
	ev->net.local_port = e->local_port;
	ev->net.remote_port = e->remote_port;
	ev->net.direction = e->direction;
	ev->net.protocol = e->protocol;
	ev->net.family = e->family;
	ev->net.verdict = e->verdict;
	ev->net.outcome = e->outcome;
	ev->net.rule = e->rule;
	ev->net.gen = e->gen;
	ev->net.count = e->count;
	ev->net.not_aggregated = e->flags & EVENT_NET_NOT_AGGREGATED;
	ev->net.v4mapped = e->flags & EVENT_NET_V4MAPPED;
	ev->net.no_outcome = e->flags & EVENT_NET_NO_OUTCOME;
	ev->net.task_partial = e->flags & EVENT_NET_TASK_PARTIAL;
	return 0;
}

int decode_event(const void *data, size_t size, int64_t clock_offset, struct decoded_event *ret)
{
	const struct event_header *h = data;
	struct decoded_event ev = {};
	int r;

	if (!data || size < sizeof(*h))
		return -EBADMSG;
	if (h->size != size)
		return -EBADMSG;

	ev.kind = h->kind;
	ev.time_boot = h->time_boot_ns;
	ev.time_real = decode_time_real(h->time_boot_ns, clock_offset);

	switch (h->kind) {
	case EVENT_KIND_EXEC:
		if (h->version != EVENT_EXEC_VERSION)
			return -EPROTONOSUPPORT;
		r = decode_exec(data, size, &ev);
		if (r < 0)
			return r;
		break;
	case EVENT_KIND_FORK: {
		const struct event_fork *e = data;

		if (h->version != EVENT_FORK_VERSION)
			return -EPROTONOSUPPORT;
		if (size != sizeof(*e))
			return -EBADMSG;
		decode_task(&e->task, &ev.task);
		if (e->flags & EVENT_FORK_NO_LOGINUID)
			ev.task.loginuid = UINT32_MAX;
		ev.fork.parent_tid = e->parent_tid;
		ev.fork.start_approx = e->flags & EVENT_FORK_START_APPROX;
		break;
	}
	case EVENT_KIND_EXIT: {
		const struct event_exit *e = data;

		if (h->version != EVENT_EXIT_VERSION)
			return -EPROTONOSUPPORT;
		if (size != sizeof(*e))
			return -EBADMSG;
		decode_task(&e->task, &ev.task);
		/* The wait status: signal in the low 7 bits, core flag, status above. */
		ev.exit.signal = e->exit_code & 0x7f;
		ev.exit.core_dumped = e->exit_code & 0x80;
		ev.exit.status = (e->exit_code >> 8) & 0xff;
		break;
	}
	case EVENT_KIND_NET:
		if (h->version != EVENT_NET_VERSION)
			return -EPROTONOSUPPORT;
		r = decode_net(data, size, &ev);
		if (r < 0)
			return r;
		break;
	default:
		return -EPROTONOSUPPORT;
	}

	*ret = ev;
	return 0;
}
