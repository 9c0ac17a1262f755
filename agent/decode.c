// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

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
	default:
		return NULL;
	}
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

static int decode_exec(const void *data, size_t size, struct decoded_event *ev)
{
	const struct event_exec *e = data;
	size_t name_len;

	if (size != sizeof(struct event_exec) && size != sizeof(struct event_exec_args))
		return -EBADMSG;
	if (e->filename_size == 0 || e->filename_size > EVENT_PATH_LEN)
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
	default:
		return -EPROTONOSUPPORT;
	}

	*ret = ev;
	return 0;
}
