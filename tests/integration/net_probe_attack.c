// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe against what attacks on a laptop do, each with the
 * ordinary cousin that must not be reported (issue 12): a thread with a
 * name of its own is reported as its process; net_probe.c has the suite.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_probe.h"

/* --- a thread is reported as its process ------------------------------------------ */

struct thread_call {
	const struct harness_addr *a;
	uint16_t port;
	pid_t tid;
	int err;
};

static void *thread_connect(void *arg)
{
	struct thread_call *t = arg;

	/* What a browser's resolver thread calls itself. */
	(void)prctl(PR_SET_NAME, "DNS Res~ver #1", 0, 0, 0);
	t->tid = gettid();
	t->err = try_send(t->a, t->port, SOCK_STREAM, NULL);
	return NULL;
}

/* A renamed thread's denied connect: the record names the process (comm, pid), and the thread (tid). */
static int test_thread_named(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct thread_call t = { .a = &a };
	char comm[EVENT_COMM_LEN + 1] = "";
	struct one_rule o;
	pthread_t th;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &t.port));
	one_rule_init(&o, &a, t.port, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(prctl(PR_GET_NAME, comm, 0, 0, 0) == 0, "PR_GET_NAME: %m");
	CHECK(pthread_create(&th, NULL, thread_connect, &t) == 0, "pthread_create failed");
	pthread_join(th, NULL);
	CHECK(t.err == EPERM, "the thread's connect ended with %s", err_name(t.err));
	TRY(expect_records(&f, 1, "one denied connect from a thread"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_DENIED,
					 .addr = &a,
					 .port = t.port }));
	CHECK(strcmp(recs.ev[0].task.comm, comm) == 0,
	      "the record names \"%s\", not the process \"%s\"", recs.ev[0].task.comm, comm);
	CHECK(recs.ev[0].task.tid == (uint32_t)t.tid, "the record's tid is %u, not the thread's %d",
	      recs.ev[0].task.tid, (int)t.tid);
	return 0;
}

static const struct harness_test tests[] = {
	HARNESS_TEST("thread_reported_as_its_process", test_thread_named, NULL),
};

HARNESS_TABLE(net_probe_attack_table, tests);
