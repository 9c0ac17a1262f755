// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * decode_event(): every record kind decoded field by field, and every way a
 * record can be malformed refused without touching the output.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "postured/decode.h"

#define BOOT_NS	  123456789012ULL
#define OFFSET_NS 1700000000000000000LL

/* The header every record starts with, written at BOOT_NS. */
static void fill_header(struct event_header *h, uint16_t kind, uint16_t version, size_t size)
{
	h->kind = kind;
	h->version = version;
	h->size = (uint32_t)size;
	h->time_boot_ns = BOOT_NS;
}

static void fill_task(struct event_task *t, uint32_t pid)
{
	t->pid = pid;
	t->tid = pid + 1;
	t->ppid = 1;
	t->uid = 1000;
	t->gid = 1001;
	t->loginuid = 1002;
	t->start_boot_ns = 99000000000ULL;
	t->cgroup_id = 0x1122334455667788ULL;
	memcpy(t->comm, "bash", 5);
}

/* A complete exec record with room for arguments; size the caller's choice. */
static void make_exec(struct event_exec_args *r, size_t size, const char *filename)
{
	memset(r, 0, sizeof(*r));
	fill_header(&r->exec.header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, size);
	fill_task(&r->exec.task, 4242);
	r->exec.exe_dev = 0x803;
	r->exec.exe_ino = 1234567;
	r->exec.filename_size = (uint16_t)(strlen(filename) + 1);
	memcpy(r->exec.filename, filename, strlen(filename) + 1);
}

static void make_fork(struct event_fork *r)
{
	memset(r, 0, sizeof(*r));
	fill_header(&r->header, EVENT_KIND_FORK, EVENT_FORK_VERSION, sizeof(*r));
	fill_task(&r->task, 5000);
	r->parent_tid = 77;
}

static void make_exit(struct event_exit *r, uint32_t wait_status)
{
	memset(r, 0, sizeof(*r));
	fill_header(&r->header, EVENT_KIND_EXIT, EVENT_EXIT_VERSION, sizeof(*r));
	fill_task(&r->task, 6000);
	r->exit_code = wait_status;
}

static void assert_task(const struct decoded_task *t, uint32_t pid, uint32_t loginuid)
{
	assert_int_equal(t->pid, pid);
	assert_int_equal(t->tid, pid + 1);
	assert_int_equal(t->ppid, 1);
	assert_int_equal(t->uid, 1000);
	assert_int_equal(t->gid, 1001);
	assert_int_equal(t->loginuid, loginuid);
	assert_true(t->start_boot == 99000000000ULL);
	assert_true(t->cgroup_id == 0x1122334455667788ULL);
	assert_string_equal(t->comm, "bash");
}

/* What every record built here decodes to: its kind, BOOT_NS and fill_task(pid). */
static void assert_decoded(const struct decoded_event *ev, enum event_kind kind, uint32_t pid)
{
	assert_int_equal(ev->kind, kind);
	assert_true(ev->time_boot == BOOT_NS);
	assert_true(ev->time_real == (BOOT_NS + OFFSET_NS) / 1000);
	assert_task(&ev->task, pid, 1002);
}

/* Decoding must fail with `expected` and leave *ret exactly as it was. */
static void assert_refused(const void *data, size_t size, int expected)
{
	struct decoded_event ev, before;

	memset(&ev, 0xa5, sizeof(ev));
	memcpy(&before, &ev, sizeof(ev));
	assert_int_equal(decode_event(data, size, OFFSET_NS, &ev), expected);
	assert_memory_equal(&ev, &before, sizeof(ev));
}

static void test_exec_valid(void **state)
{
	struct event_exec_args r;
	struct decoded_event ev;

	make_exec(&r, sizeof(struct event_exec), "/usr/bin/bash");
	assert_int_equal(decode_event(&r, sizeof(struct event_exec), OFFSET_NS, &ev), 0);
	assert_decoded(&ev, EVENT_KIND_EXEC, 4242);
	assert_string_equal(ev.exec.filename, "/usr/bin/bash");
	assert_false(ev.exec.filename_truncated);
	assert_false(ev.exec.args_truncated);
	assert_true(ev.exec.exe_dev == 0x803);
	assert_true(ev.exec.exe_ino == 1234567);
	assert_int_equal(ev.exec.args_size, 0);
	assert_string_equal(ev.exec.args, "");
}

/* The facts the probe decided: stdio with the peer, the resolved path, scripts. */
static void test_exec_facts(void **state)
{
	struct event_exec_args r;
	struct decoded_event ev;
	const uint8_t peer[4] = { 127, 0, 0, 1 };

	make_exec(&r, sizeof(struct event_exec), "./x.sh");
	r.exec.flags = EVENT_EXEC_SCRIPT | EVENT_EXEC_CWD_WORLD_WRITABLE;
	r.exec.facts = 1U << EVENT_FACT_WORLD_WRITABLE | 1U << EVENT_FACT_STDIO_NETWORK;
	strcpy(r.exec.exe_path, "/usr/bin/dash");
	r.exec.exe_path_size = sizeof("/usr/bin/dash");
	r.exec.stdio[0] = (struct event_stdio){ .kind = EVENT_STDIO_NETWORK,
						.family = AF_INET,
						.protocol = IPPROTO_TCP,
						.local_port = 40000,
						.remote_port = 4444,
						.ino = 77 };
	memcpy(r.exec.stdio[0].remote_addr, peer, sizeof(peer));
	r.exec.stdio[1] = (struct event_stdio){ .kind = EVENT_STDIO_PIPE, .ino = 78 };
	strcpy(r.exec.stdin_writer, "curl");
	assert_int_equal(decode_event(&r, sizeof(struct event_exec), 0, &ev), 0);
	assert_string_equal(ev.exec.filename, "./x.sh");
	assert_string_equal(ev.exec.exe_path, "/usr/bin/dash");
	assert_true(ev.exec.script);
	assert_true(ev.exec.cwd_world_writable);
	assert_false(ev.exec.script_unknown);
	assert_int_equal(ev.exec.facts, r.exec.facts);
	assert_int_equal(ev.exec.stdio[0].kind, EVENT_STDIO_NETWORK);
	assert_int_equal(ev.exec.stdio[0].remote_port, 4444);
	assert_memory_equal(ev.exec.stdio[0].remote_addr, peer, sizeof(peer));
	assert_int_equal(ev.exec.stdio[1].kind, EVENT_STDIO_PIPE);
	assert_true(ev.exec.stdio[1].ino == 78);
	assert_int_equal(ev.exec.stdio[2].kind, EVENT_STDIO_CLOSED);
	assert_string_equal(ev.exec.stdin_writer, "curl");

	/* A relative or empty resolved path is none. */
	strcpy(r.exec.exe_path, "dash");
	assert_int_equal(decode_event(&r, sizeof(struct event_exec), 0, &ev), 0);
	assert_string_equal(ev.exec.exe_path, "");

	/* Values no probe sends. */
	r.exec.facts = 1U << _EVENT_FACT_MAX;
	assert_refused(&r, sizeof(struct event_exec), -EBADMSG);
	r.exec.facts = 0;
	r.exec.stdio[2].kind = _EVENT_STDIO_MAX;
	assert_refused(&r, sizeof(struct event_exec), -EBADMSG);
	r.exec.stdio[2].kind = EVENT_STDIO_PIPE;
	r.exec.stdio[2].family = AF_INET;
	assert_refused(&r, sizeof(struct event_exec), -EBADMSG);
	r.exec.stdio[2] = (struct event_stdio){ .kind = EVENT_STDIO_NETWORK, .family = AF_UNIX };
	assert_refused(&r, sizeof(struct event_exec), -EBADMSG);
	r.exec.stdio[2] = (struct event_stdio){};
	r.exec.exe_path_size = EVENT_PATH_LEN + 1;
	assert_refused(&r, sizeof(struct event_exec), -EBADMSG);
}

static void test_exec_flags(void **state)
{
	struct event_exec_args r;
	struct decoded_event ev;

	make_exec(&r, sizeof(struct event_exec), "/bin/true");
	r.exec.flags = EVENT_EXEC_FILENAME_TRUNCATED | EVENT_EXEC_ARGS_TRUNCATED |
		       EVENT_EXEC_NO_LOGINUID;
	assert_int_equal(decode_event(&r, sizeof(struct event_exec), 0, &ev), 0);
	assert_true(ev.exec.filename_truncated);
	assert_true(ev.exec.args_truncated);
	assert_int_equal(ev.task.loginuid, UINT32_MAX);
	assert_string_equal(ev.exec.filename, "/bin/true");
}

static void test_exec_with_args(void **state)
{
	static const char args[] = "ls\0-la\0/tmp"; /* 12 bytes with the final NUL */
	struct event_exec_args r;
	struct decoded_event ev;

	make_exec(&r, sizeof(r), "/usr/bin/ls");
	memcpy(r.args, args, sizeof(args));
	r.exec.args_size = sizeof(args);
	assert_int_equal(decode_event(&r, sizeof(r), OFFSET_NS, &ev), 0);
	assert_int_equal(ev.kind, EVENT_KIND_EXEC);
	assert_task(&ev.task, 4242, 1002);
	assert_string_equal(ev.exec.filename, "/usr/bin/ls");
	assert_int_equal(ev.exec.args_size, sizeof(args));
	assert_memory_equal(ev.exec.args, args, sizeof(args));
	assert_int_equal(ev.exec.args[ev.exec.args_size], '\0');
}

static void test_exec_args_area_unused(void **state)
{
	struct event_exec_args r;
	struct decoded_event ev;

	/* Capture on, but this exec had no argument bytes. */
	make_exec(&r, sizeof(r), "/usr/bin/ls");
	memset(r.args, 'x', sizeof(r.args));
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_int_equal(ev.exec.args_size, 0);
	assert_string_equal(ev.exec.args, "");
}

static void test_exec_args_full_without_nul(void **state)
{
	struct event_exec_args r;
	struct decoded_event ev;

	make_exec(&r, sizeof(r), "/usr/bin/ls");
	memset(r.args, 'a', sizeof(r.args));
	r.exec.args_size = EVENT_ARGS_LEN;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_int_equal(ev.exec.args_size, EVENT_ARGS_LEN);
	assert_int_equal(ev.exec.args[EVENT_ARGS_LEN], '\0');
	assert_int_equal(strlen(ev.exec.args), EVENT_ARGS_LEN);
}

static void test_fork_valid(void **state)
{
	struct event_fork r;
	struct decoded_event ev;

	make_fork(&r);
	assert_int_equal(decode_event(&r, sizeof(r), OFFSET_NS, &ev), 0);
	assert_decoded(&ev, EVENT_KIND_FORK, 5000);
	assert_int_equal(ev.fork.parent_tid, 77);
	assert_false(ev.fork.start_approx);

	r.flags = EVENT_FORK_NO_LOGINUID | EVENT_FORK_START_APPROX;
	assert_int_equal(decode_event(&r, sizeof(r), OFFSET_NS, &ev), 0);
	assert_int_equal(ev.task.loginuid, UINT32_MAX);
	assert_true(ev.fork.start_approx);
}

static void test_exit_valid(void **state)
{
	struct event_exit r;
	struct decoded_event ev;

	make_exit(&r, 0);
	assert_int_equal(decode_event(&r, sizeof(r), OFFSET_NS, &ev), 0);
	assert_decoded(&ev, EVENT_KIND_EXIT, 6000);
	assert_int_equal(ev.exit.status, 0);
	assert_int_equal(ev.exit.signal, 0);
	assert_false(ev.exit.core_dumped);
}

static void test_exit_status_split(void **state)
{
	static const struct {
		uint32_t raw;
		int status, signal;
		bool core;
	} cases[] = {
		{ 0x0000, 0, 0, false }, /* exit(0) */
		{ 0x0300, 3, 0, false }, /* exit(3) */
		{ 0xff00, 255, 0, false }, /* exit(255) */
		{ 0x0009, 0, 9, false }, /* SIGKILL */
		{ 0x000f, 0, 15, false }, /* SIGTERM */
		{ 0x008b, 0, 11, true }, /* SIGSEGV, core dumped */
		{ 0x0086, 0, 6, true }, /* SIGABRT, core dumped */
		{ 0x007f, 0, 127, false }, /* the highest signal field */
		{ 0xffffffff, 255, 127, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event_exit r;
		struct decoded_event ev;

		make_exit(&r, cases[i].raw);
		assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
		assert_int_equal(ev.exit.status, cases[i].status);
		assert_int_equal(ev.exit.signal, cases[i].signal);
		assert_int_equal(ev.exit.core_dumped, cases[i].core);
	}
}

static void test_short_buffers(void **state)
{
	struct event_exec_args e;
	struct event_fork f;
	struct event_exit x;

	assert_refused(NULL, 0, -EBADMSG);
	assert_refused(NULL, sizeof(f), -EBADMSG);

	/* Every prefix, with the header (when there is one) claiming that size. */
	make_exec(&e, sizeof(struct event_exec), "/bin/true");
	for (size_t n = 0; n < sizeof(struct event_exec); n++) {
		e.exec.header.size = (uint32_t)n;
		assert_refused(&e, n, -EBADMSG);
	}
	/* Between the plain and the with-arguments size. */
	for (size_t n = sizeof(struct event_exec) + 1; n < sizeof(e); n += 8) {
		e.exec.header.size = (uint32_t)n;
		assert_refused(&e, n, -EBADMSG);
	}
	make_fork(&f);
	for (size_t n = 0; n < sizeof(f); n++) {
		f.header.size = (uint32_t)n;
		assert_refused(&f, n, -EBADMSG);
	}
	make_exit(&x, 0);
	for (size_t n = 0; n < sizeof(x); n++) {
		x.header.size = (uint32_t)n;
		assert_refused(&x, n, -EBADMSG);
	}
}

static void test_header_size_disagrees(void **state)
{
	struct event_exec_args e;
	struct event_fork f;
	struct event_exit x;

	/* The header keeps the full size, the buffer is shorter. */
	make_exec(&e, sizeof(struct event_exec), "/bin/true");
	assert_refused(&e, sizeof(struct event_exec) - 8, -EBADMSG);
	assert_refused(&e, sizeof(struct event_header), -EBADMSG);
	/* The header claims more or less than the buffer holds. */
	e.exec.header.size = sizeof(struct event_exec) + 8;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.header.size = sizeof(struct event_exec) - 8;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.header.size = 0;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.header.size = UINT32_MAX;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);

	make_fork(&f);
	f.header.size = sizeof(f) - 1;
	assert_refused(&f, sizeof(f), -EBADMSG);
	make_exit(&x, 0);
	x.header.size = sizeof(x) + 1;
	assert_refused(&x, sizeof(x), -EBADMSG);
}

static void test_oversize(void **state)
{
	union {
		struct event_exec_args exec;
		struct event_fork fork;
		struct event_exit exit;
		char bytes[sizeof(struct event_exec_args) + 64];
	} u;

	memset(&u, 0, sizeof(u));
	make_exec(&u.exec, sizeof(struct event_exec) + 8, "/bin/true");
	assert_refused(&u, sizeof(struct event_exec) + 8, -EBADMSG);
	u.exec.exec.header.size = sizeof(struct event_exec_args) + 8;
	assert_refused(&u, sizeof(struct event_exec_args) + 8, -EBADMSG);
	u.exec.exec.header.size = sizeof(u);
	assert_refused(&u, sizeof(u), -EBADMSG);

	memset(&u, 0, sizeof(u));
	make_fork(&u.fork);
	u.fork.header.size = sizeof(struct event_fork) + 8;
	assert_refused(&u, sizeof(struct event_fork) + 8, -EBADMSG);

	memset(&u, 0, sizeof(u));
	make_exit(&u.exit, 0);
	u.exit.header.size = sizeof(struct event_exit) + 8;
	assert_refused(&u, sizeof(struct event_exit) + 8, -EBADMSG);
}

static void test_unknown_kind(void **state)
{
	static const uint16_t kinds[] = { EVENT_KIND_INVALID, _EVENT_KIND_MAX, 42, UINT16_MAX };
	struct event_exit x;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		make_exit(&x, 0);
		x.header.kind = kinds[i];
		assert_refused(&x, sizeof(x), -EPROTONOSUPPORT);
		/* Just a header of an unknown kind. */
		x.header.size = sizeof(struct event_header);
		assert_refused(&x, sizeof(struct event_header), -EPROTONOSUPPORT);
	}
	assert_null(event_kind_to_string(EVENT_KIND_INVALID));
	assert_null(event_kind_to_string(_EVENT_KIND_MAX));
	assert_string_equal(event_kind_to_string(EVENT_KIND_EXEC), "exec");
	assert_string_equal(event_kind_to_string(EVENT_KIND_FORK), "fork");
	assert_string_equal(event_kind_to_string(EVENT_KIND_EXIT), "exit");
}

static void test_wrong_version(void **state)
{
	/* Versions no probe of this agent sends: the one before and the one after each. */
	static const uint16_t versions[] = { 0, EVENT_EXEC_VERSION - 1, EVENT_EXEC_VERSION + 1,
					     UINT16_MAX };
	struct event_exec_args e;
	struct event_fork f;
	struct event_exit x;

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		make_exec(&e, sizeof(struct event_exec), "/bin/true");
		e.exec.header.version = versions[i];
		assert_refused(&e, sizeof(struct event_exec), -EPROTONOSUPPORT);
		if (versions[i] == EVENT_FORK_VERSION)
			continue;
		make_fork(&f);
		f.header.version = versions[i];
		assert_refused(&f, sizeof(f), -EPROTONOSUPPORT);
		make_exit(&x, 0);
		x.header.version = versions[i];
		assert_refused(&x, sizeof(x), -EPROTONOSUPPORT);
	}
}

static void test_filename_size_bounds(void **state)
{
	struct event_exec_args e;
	struct decoded_event ev;

	make_exec(&e, sizeof(struct event_exec), "/bin/true");
	e.exec.filename_size = 0;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.filename_size = EVENT_PATH_LEN + 1;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.filename_size = UINT16_MAX;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);

	/* The largest legal size is fine; the string still ends at its NUL. */
	e.exec.filename_size = EVENT_PATH_LEN;
	assert_int_equal(decode_event(&e, sizeof(struct event_exec), 0, &ev), 0);
	assert_string_equal(ev.exec.filename, "/bin/true");
	assert_false(ev.exec.filename_truncated);
}

static void test_args_size_bounds(void **state)
{
	struct event_exec_args e;

	make_exec(&e, sizeof(e), "/bin/echo");
	e.exec.args_size = EVENT_ARGS_LEN + 1;
	assert_refused(&e, sizeof(e), -EBADMSG);
	e.exec.args_size = UINT16_MAX;
	assert_refused(&e, sizeof(e), -EBADMSG);

	/* Argument bytes announced, but the record has no room for them. */
	make_exec(&e, sizeof(struct event_exec), "/bin/echo");
	e.exec.args_size = 1;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
	e.exec.args_size = EVENT_ARGS_LEN;
	assert_refused(&e, sizeof(struct event_exec), -EBADMSG);
}

static void test_filename_without_nul(void **state)
{
	struct event_exec_args e;
	struct decoded_event ev;

	/* All EVENT_PATH_LEN bytes used and no terminator. */
	make_exec(&e, sizeof(struct event_exec), "");
	memset(e.exec.filename, 'A', EVENT_PATH_LEN);
	e.exec.filename_size = EVENT_PATH_LEN;
	assert_int_equal(decode_event(&e, sizeof(struct event_exec), 0, &ev), 0);
	assert_int_equal(strnlen(ev.exec.filename, sizeof(ev.exec.filename)), EVENT_PATH_LEN - 1);
	assert_true(ev.exec.filename_truncated);

	/* The longest name that fits, properly terminated, is whole and not truncated. */
	memset(e.exec.filename, 'B', EVENT_PATH_LEN - 1);
	e.exec.filename[EVENT_PATH_LEN - 1] = '\0';
	assert_int_equal(decode_event(&e, sizeof(struct event_exec), 0, &ev), 0);
	assert_int_equal(strlen(ev.exec.filename), EVENT_PATH_LEN - 1);
	assert_false(ev.exec.filename_truncated);

	/* filename_size shorter than the string: nothing past it is read. */
	make_exec(&e, sizeof(struct event_exec), "/usr/bin/longer-name");
	e.exec.filename_size = 5;
	assert_int_equal(decode_event(&e, sizeof(struct event_exec), 0, &ev), 0);
	assert_string_equal(ev.exec.filename, "/usr/");
}

static void test_comm_without_nul(void **state)
{
	struct event_fork f;
	struct decoded_event ev;

	make_fork(&f);
	memset(f.task.comm, 'c', sizeof(f.task.comm));
	assert_int_equal(decode_event(&f, sizeof(f), 0, &ev), 0);
	assert_int_equal(strlen(ev.task.comm), EVENT_COMM_LEN);
	assert_memory_equal(ev.task.comm, f.task.comm, EVENT_COMM_LEN);

	/* Bytes after the first NUL are not part of the name. */
	memcpy(f.task.comm, "ab\0garbagegarbag", EVENT_COMM_LEN);
	assert_int_equal(decode_event(&f, sizeof(f), 0, &ev), 0);
	assert_string_equal(ev.task.comm, "ab");
}

static void test_time_conversion(void **state)
{
	struct event_exit x;
	struct decoded_event ev;

	make_exit(&x, 0);
	x.header.time_boot_ns = 5 * 1000000000ULL + 1999;
	assert_int_equal(decode_event(&x, sizeof(x), 0, &ev), 0);
	assert_true(ev.time_boot == 5 * 1000000000ULL + 1999);
	assert_true(ev.time_real == 5 * 1000000ULL + 1); /* whole microseconds */

	assert_int_equal(decode_event(&x, sizeof(x), OFFSET_NS, &ev), 0);
	assert_true(ev.time_real == (5 * 1000000000ULL + 1999 + OFFSET_NS) / 1000);

	/* A negative offset, as long as the result is after the epoch. */
	assert_int_equal(decode_event(&x, sizeof(x), -4 * 1000000000LL, &ev), 0);
	assert_true(ev.time_real == 1000000ULL + 1);

	/* Before the epoch there is no sensible wall time: 0. */
	assert_int_equal(decode_event(&x, sizeof(x), -6 * 1000000000LL, &ev), 0);
	assert_true(ev.time_real == 0);
	assert_true(ev.time_boot == 5 * 1000000000ULL + 1999);

	/* Absurd kernel times must not overflow (UBSan checks this under make check). */
	x.header.time_boot_ns = INT64_MAX;
	assert_int_equal(decode_event(&x, sizeof(x), OFFSET_NS, &ev), 0);
	assert_true(ev.time_real >= (uint64_t)INT64_MAX / 1000);
	x.header.time_boot_ns = UINT64_MAX;
	assert_int_equal(decode_event(&x, sizeof(x), OFFSET_NS, &ev), 0);
	assert_true(ev.time_real >= (uint64_t)INT64_MAX / 1000);
	assert_int_equal(decode_event(&x, sizeof(x), INT64_MIN, &ev), 0);
	x.header.time_boot_ns = 0;
	assert_int_equal(decode_event(&x, sizeof(x), INT64_MAX, &ev), 0);
	assert_true(ev.time_real == (uint64_t)INT64_MAX / 1000);
	assert_int_equal(decode_event(&x, sizeof(x), INT64_MIN, &ev), 0);
	assert_true(ev.time_real == 0);
}

/* --- network records -------------------------------------------------------- */

static const uint8_t net_local[16] = { 127, 0, 0, 1 };
static const uint8_t net_remote[16] = { 10, 1, 2, 3 };

/* A reported, established IPv4 TCP connect of rule 3. */
static void make_net(struct event_net *r)
{
	memset(r, 0, sizeof(*r));
	fill_header(&r->header, EVENT_KIND_NET, EVENT_NET_VERSION, sizeof(*r));
	fill_task(&r->task, 7000);
	r->exe_dev = 0x803;
	r->exe_ino = 4242;
	memcpy(r->local_addr, net_local, sizeof(net_local));
	memcpy(r->remote_addr, net_remote, sizeof(net_remote));
	r->local_port = 40000;
	r->remote_port = 443;
	r->direction = EVENT_NET_OUTBOUND;
	r->protocol = IPPROTO_TCP;
	r->family = AF_INET;
	r->verdict = EVENT_NET_REPORTED;
	r->outcome = EVENT_NET_OUTCOME_ESTABLISHED;
	r->rule = 3;
	r->gen = 9;
	r->count = 1;
}

static void test_net_valid(void **state)
{
	struct event_net r;
	struct decoded_event ev;

	make_net(&r);
	assert_int_equal(decode_event(&r, sizeof(r), OFFSET_NS, &ev), 0);
	assert_decoded(&ev, EVENT_KIND_NET, 7000);
	assert_string_equal(event_kind_to_string(ev.kind), "net");
	assert_true(ev.net.has_process);
	assert_true(ev.net.exe_dev == 0x803);
	assert_true(ev.net.exe_ino == 4242);
	assert_memory_equal(ev.net.local_addr, net_local, 16);
	assert_memory_equal(ev.net.remote_addr, net_remote, 16);
	assert_int_equal(ev.net.local_port, 40000);
	assert_int_equal(ev.net.remote_port, 443);
	assert_int_equal(ev.net.direction, EVENT_NET_OUTBOUND);
	assert_int_equal(ev.net.protocol, IPPROTO_TCP);
	assert_int_equal(ev.net.family, AF_INET);
	assert_int_equal(ev.net.verdict, EVENT_NET_REPORTED);
	assert_int_equal(ev.net.outcome, EVENT_NET_OUTCOME_ESTABLISHED);
	assert_int_equal(ev.net.rule, 3);
	assert_int_equal(ev.net.gen, 9);
	assert_int_equal(ev.net.count, 1);
	assert_false(ev.net.not_aggregated);
	assert_false(ev.net.v4mapped);
	assert_false(ev.net.no_outcome);
	assert_false(ev.net.task_partial);
}

static void test_net_flags_and_forms(void **state)
{
	static const uint8_t six[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	struct event_net r;
	struct decoded_event ev;

	make_net(&r);
	r.flags = EVENT_NET_NOT_AGGREGATED | EVENT_NET_V4MAPPED | EVENT_NET_NO_OUTCOME;
	r.outcome = EVENT_NET_OUTCOME_UNKNOWN;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_true(ev.net.not_aggregated);
	assert_true(ev.net.v4mapped);
	assert_true(ev.net.no_outcome);
	assert_false(ev.net.task_partial);
	r.flags = EVENT_NET_TASK_PARTIAL;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_true(ev.net.task_partial);
	assert_false(ev.net.not_aggregated || ev.net.v4mapped || ev.net.no_outcome);
	assert_int_equal(ev.net.outcome, EVENT_NET_OUTCOME_UNKNOWN);

	/* IPv4 is 4 bytes: whatever follows in the record is not part of the address. */
	make_net(&r);
	memset(r.remote_addr + 4, 0xee, 12);
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_memory_equal(ev.net.remote_addr, net_remote, 16);

	/* IPv6, all 16 bytes. */
	make_net(&r);
	r.family = AF_INET6;
	memcpy(r.remote_addr, six, 16);
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_memory_equal(ev.net.remote_addr, six, 16);

	/* Inbound: no process, the listener's owner. */
	make_net(&r);
	r.direction = EVENT_NET_INBOUND;
	r.outcome = EVENT_NET_OUTCOME_NONE;
	memset(&r.task, 0, sizeof(r.task));
	r.task.uid = 1000;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_false(ev.net.has_process);
	assert_int_equal(ev.task.pid, 0);
	assert_int_equal(ev.task.uid, 1000);

	/* A denied UDP datagram and a denied bind: no outcome. */
	make_net(&r);
	r.protocol = IPPROTO_UDP;
	r.verdict = EVENT_NET_DENIED;
	r.outcome = EVENT_NET_OUTCOME_NONE;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_int_equal(ev.net.verdict, EVENT_NET_DENIED);
	r.direction = EVENT_NET_LISTEN;
	assert_int_equal(decode_event(&r, sizeof(r), 0, &ev), 0);
	assert_string_equal(event_net_direction_to_string(ev.net.direction), "listen");
	assert_string_equal(event_net_verdict_to_string(ev.net.verdict), "denied");
	assert_string_equal(event_net_outcome_to_string(ev.net.outcome), "none");
}

static void test_net_out_of_range(void **state)
{
	struct event_net r;

	make_net(&r);
	r.direction = 0;
	assert_refused(&r, sizeof(r), -EBADMSG);
	r.direction = _EVENT_NET_DIRECTION_MAX;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.verdict = 0;
	assert_refused(&r, sizeof(r), -EBADMSG);
	r.verdict = EVENT_NET_DENIED + 1;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.outcome = _EVENT_NET_OUTCOME_MAX;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.protocol = 1; /* ICMP */
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.family = AF_UNIX;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.rule = NET_RULES_MAX;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.count = 0;
	assert_refused(&r, sizeof(r), -EBADMSG);
	/* An outcome belongs to TCP connects that went ahead only. */
	make_net(&r);
	r.protocol = IPPROTO_UDP;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.verdict = EVENT_NET_DENIED;
	assert_refused(&r, sizeof(r), -EBADMSG);
	make_net(&r);
	r.direction = EVENT_NET_LISTEN;
	assert_refused(&r, sizeof(r), -EBADMSG);
	assert_null(event_net_direction_to_string(0));
	assert_null(event_net_verdict_to_string(3));
	assert_null(event_net_outcome_to_string(_EVENT_NET_OUTCOME_MAX));
}

static void test_net_sizes(void **state)
{
	union {
		struct event_net net;
		char bytes[sizeof(struct event_net) + 64];
	} u;

	/* Every prefix, the header claiming that size. */
	make_net(&u.net);
	for (size_t n = 0; n < sizeof(struct event_net); n++) {
		u.net.header.size = (uint32_t)n;
		assert_refused(&u, n, -EBADMSG);
	}
	/* Longer than a network record, however the header agrees. */
	memset(&u, 0, sizeof(u));
	make_net(&u.net);
	for (size_t n = sizeof(struct event_net) + 1; n <= sizeof(u); n++) {
		u.net.header.size = (uint32_t)n;
		assert_refused(&u, n, -EBADMSG);
	}
	/* The header disagrees with the buffer. */
	make_net(&u.net);
	u.net.header.size = sizeof(struct event_net) + 8;
	assert_refused(&u, sizeof(struct event_net), -EBADMSG);
	u.net.header.size = sizeof(struct event_net) - 8;
	assert_refused(&u, sizeof(struct event_net), -EBADMSG);
	/* Versions no probe of this agent sends. */
	make_net(&u.net);
	u.net.header.version = EVENT_NET_VERSION + 1;
	assert_refused(&u, sizeof(struct event_net), -EPROTONOSUPPORT);
	u.net.header.version = 0;
	assert_refused(&u, sizeof(struct event_net), -EPROTONOSUPPORT);
}

static void test_clock_offset(void **state)
{
	nsec_t before = now_nsec(CLOCK_REALTIME) - now_nsec(CLOCK_BOOTTIME);
	int64_t off = decode_clock_offset();
	nsec_t after = now_nsec(CLOCK_REALTIME) - now_nsec(CLOCK_BOOTTIME);
	nsec_t lo = before < after ? before : after, hi = before < after ? after : before;

	/* Within a second of what the clocks say around the call. */
	assert_true((nsec_t)off + NSEC_PER_SEC >= lo);
	assert_true((nsec_t)off <= hi + NSEC_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_valid),
		cmocka_unit_test(test_exec_flags),
		cmocka_unit_test(test_exec_facts),
		cmocka_unit_test(test_exec_with_args),
		cmocka_unit_test(test_exec_args_area_unused),
		cmocka_unit_test(test_exec_args_full_without_nul),
		cmocka_unit_test(test_fork_valid),
		cmocka_unit_test(test_exit_valid),
		cmocka_unit_test(test_exit_status_split),
		cmocka_unit_test(test_short_buffers),
		cmocka_unit_test(test_header_size_disagrees),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_filename_size_bounds),
		cmocka_unit_test(test_args_size_bounds),
		cmocka_unit_test(test_filename_without_nul),
		cmocka_unit_test(test_comm_without_nul),
		cmocka_unit_test(test_time_conversion),
		cmocka_unit_test(test_clock_offset),
		cmocka_unit_test(test_net_valid),
		cmocka_unit_test(test_net_flags_and_forms),
		cmocka_unit_test(test_net_out_of_range),
		cmocka_unit_test(test_net_sizes),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
