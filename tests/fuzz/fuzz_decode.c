// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for decode_event(), the only reader of ring-buffer bytes.
 * Run by `make fuzz` on tests/fuzz/corpus/decode/.  Besides the sanitizers'
 * checks, every record that decodes must satisfy what the rest of the agent
 * relies on: a known kind, strings terminated within their arrays, sizes
 * within bounds.
 *
 * The seed corpus (valid exec, exec with arguments, fork, exit and network records)
 * is written by this program itself, so it follows events.h after a layout
 * change:
 *
 *   POSTURED_FUZZ_WRITE_SEEDS=tests/fuzz/corpus/decode build/fuzz/fuzz_decode
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>

#include "postured/decode.h"
#include "fuzz.h"

/* What decode_clock_offset() returns: typical, none, and a clock set before boot. */
static const int64_t offsets[] = { 1700000000000000000LL, 0, -1000000000000LL };

static void check_event(const struct decoded_event *ev, nsec_t boot, int64_t offset)
{
	check(ev->kind == EVENT_KIND_EXEC || ev->kind == EVENT_KIND_FORK ||
	      ev->kind == EVENT_KIND_EXIT || ev->kind == EVENT_KIND_NET);
	check(event_kind_to_string(ev->kind) != NULL);
	check(ev->time_boot == boot);
	check(ev->time_real == decode_time_real(boot, offset));
	check(strnlen(ev->task.comm, sizeof(ev->task.comm)) < sizeof(ev->task.comm));

	switch (ev->kind) {
	case EVENT_KIND_EXEC:
		check(strnlen(ev->exec.filename, sizeof(ev->exec.filename)) <
		      sizeof(ev->exec.filename));
		check(ev->exec.args_size <= EVENT_ARGS_LEN);
		check(ev->exec.args[ev->exec.args_size] == '\0');
		check(strnlen(ev->exec.exe_path, sizeof(ev->exec.exe_path)) <
		      sizeof(ev->exec.exe_path));
		check(!ev->exec.exe_path[0] || ev->exec.exe_path[0] == '/');
		check(strnlen(ev->exec.stdin_writer, sizeof(ev->exec.stdin_writer)) <
		      sizeof(ev->exec.stdin_writer));
		for (size_t i = 0; i < 3; i++)
			check(ev->exec.stdio[i].kind < _EVENT_STDIO_MAX);
		break;
	case EVENT_KIND_EXIT:
		check(ev->exit.signal >= 0 && ev->exit.signal < 128);
		check(ev->exit.status >= 0 && ev->exit.status < 256);
		break;
	case EVENT_KIND_NET:
		check(event_net_direction_to_string(ev->net.direction) != NULL);
		check(event_net_verdict_to_string(ev->net.verdict) != NULL);
		check(event_net_outcome_to_string(ev->net.outcome) != NULL);
		/* Unjudged only for a TCP listen() that has no port yet (decode.c). */
		check(ev->net.rule < NET_RULES_MAX ||
		      (ev->net.rule == EVENT_NET_RULE_UNJUDGED &&
		       ev->net.direction == EVENT_NET_LISTEN && ev->net.protocol == IPPROTO_TCP &&
		       ev->net.local_port == 0));
		check(ev->net.count > 0);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct decoded_event ev, before;
		int r;

		memset(&ev, 0x5a, sizeof(ev));
		before = ev;
		r = decode_event(data, size, offsets[i], &ev);
		if (r < 0) {
			check(r == -EBADMSG || r == -EPROTONOSUPPORT);
			/* *ret is written only on success. */
			check(memcmp(&ev, &before, sizeof(ev)) == 0);
			continue;
		}
		check(r == 0);
		check(size >= sizeof(struct event_header));
		check(((const struct event_header *)data)->size == size);
		check_event(&ev, ((const struct event_header *)data)->time_boot_ns, offsets[i]);
	}
	return 0;
}

/* --- seed corpus ----------------------------------------------------------- */

static void seed_task(struct event_task *t, uint32_t pid, const char *comm)
{
	t->pid = pid;
	t->tid = pid;
	t->ppid = 1000;
	t->uid = 1000;
	t->gid = 1000;
	t->loginuid = 1000;
	t->start_boot_ns = 12000000000ULL;
	t->cgroup_id = 4242;
	strncpy(t->comm, comm, sizeof(t->comm));
}

static void seed_header(struct event_header *h, uint16_t kind, uint16_t version, uint32_t size)
{
	h->kind = kind;
	h->version = version;
	h->size = size;
	h->time_boot_ns = 12345000000ULL;
}

static int seed_write(const char *dir, const char *name, const void *data, size_t size)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static int seeds_write(const char *dir)
{
	static const char args[] = "ls\0-la\0/tmp";
	struct event_exec_args e = {};
	struct event_fork f = {};
	struct event_exit x = {};
	struct event_net n = {};
	int r = 0;

	seed_header(&e.exec.header, EVENT_KIND_EXEC, EVENT_EXEC_VERSION, sizeof(e.exec));
	seed_task(&e.exec.task, 2001, "ls");
	e.exec.exe_dev = 0x803;
	e.exec.exe_ino = 393218;
	e.exec.filename_size = sizeof("/usr/bin/ls");
	memcpy(e.exec.filename, "/usr/bin/ls", sizeof("/usr/bin/ls"));
	e.exec.exe_path_size = sizeof("/usr/bin/ls");
	memcpy(e.exec.exe_path, "/usr/bin/ls", sizeof("/usr/bin/ls"));
	e.exec.facts = 1U << EVENT_FACT_STDIO_NETWORK;
	e.exec.stdio[0] = (struct event_stdio){ .kind = EVENT_STDIO_NETWORK,
						.family = 2,
						.protocol = 6,
						.remote_port = 4444,
						.ino = 7 };
	e.exec.stdio[1] = (struct event_stdio){ .kind = EVENT_STDIO_PIPE, .ino = 8 };
	memcpy(e.exec.stdin_writer, "curl", sizeof("curl"));
	r |= seed_write(dir, "exec", &e, sizeof(e.exec));

	e.exec.header.size = sizeof(e);
	e.exec.args_size = sizeof(args);
	memcpy(e.args, args, sizeof(args));
	r |= seed_write(dir, "exec-args", &e, sizeof(e));

	seed_header(&f.header, EVENT_KIND_FORK, EVENT_FORK_VERSION, sizeof(f));
	seed_task(&f.task, 2002, "bash");
	f.parent_tid = 1000;
	f.flags = EVENT_FORK_START_APPROX;
	r |= seed_write(dir, "fork", &f, sizeof(f));

	seed_header(&x.header, EVENT_KIND_EXIT, EVENT_EXIT_VERSION, sizeof(x));
	seed_task(&x.task, 2001, "ls");
	x.exit_code = 2 << 8;
	r |= seed_write(dir, "exit", &x, sizeof(x));

	x.exit_code = 0x80 | 11; /* SIGSEGV, core dumped */
	r |= seed_write(dir, "exit-signal", &x, sizeof(x));

	seed_header(&n.header, EVENT_KIND_NET, EVENT_NET_VERSION, sizeof(n));
	seed_task(&n.task, 2003, "curl");
	n.exe_dev = 0x803;
	n.exe_ino = 393219;
	n.local_addr[0] = 127;
	n.local_addr[3] = 1;
	n.remote_addr[0] = 127;
	n.remote_addr[3] = 1;
	n.local_port = 40000;
	n.remote_port = 25;
	n.direction = EVENT_NET_OUTBOUND;
	n.protocol = 6; /* TCP */
	n.family = 2; /* AF_INET */
	n.verdict = EVENT_NET_REPORTED;
	n.outcome = EVENT_NET_OUTCOME_REFUSED;
	n.gen = 1;
	n.count = 1;
	r |= seed_write(dir, "net", &n, sizeof(n));
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("POSTURED_FUZZ_WRITE_SEEDS");

	if (dir)
		exit(seeds_write(dir) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
	return 0;
}
