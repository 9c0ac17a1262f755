// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket's limits: a subscriber that never reads is dropped
 * once 1 MiB waits for it, without the agent blocking, and at most 64
 * clients are served at once; status_socket.c has the suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "status_socket.h"

/* --- a client that never reads ---------------------------------------------------- */

/*
 * An enforce policy, no records on stdout (nothing of ours needs reading
 * while the storm runs), a subscriber that never reads with a small receive
 * buffer, and a storm of killed copies, each making a finding of about 3 KB.
 */
static int slow_client_setup(const void *arg)
{
	static const char sub[] = "{\"method\":\"subscribe\"}\n";
	char *argv[] = { (char *)harness_helper("spawn_storm"),
			 "-j",
			 "4",
			 STORM_RUNS,
			 NULL,
			 "/dev/null",
			 NULL };
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;

	TRY(scene_start("sd", "enforce", false));
	sc.slow = harness_status_connect(sc.a->status_path, 4096);
	if (sc.slow < 0)
		return harness_fail("Cannot connect to %s: %s", sc.a->status_path,
				    strerror(-sc.slow));
	if (send(sc.slow, sub, strlen(sub), MSG_NOSIGNAL) != (ssize_t)strlen(sub))
		return harness_fail("Cannot subscribe: %m");
	argv[4] = sc.e.prog;
	sc.storm_begin = harness_now_ms();
	return harness_spawn(argv[0], argv, &o, &sc.storm);
}

/* Waits for the storm's end (once). */
static int slow_client_storm_done(void)
{
	int status;

	if (sc.storm_done)
		return 0;
	TRY(harness_wait_child(sc.storm, 120000, &status));
	sc.storm = 0;
	sc.storm_done = true;
	harness_note("the storm took %lld ms", (long long)(harness_now_ms() - sc.storm_begin));
	return 0;
}

static int test_slow_client_dropped(const void *arg)
{
	int r = harness_agent_wait_stderr(sc.a, "Dropping status client", 30000);

	CHECK(r == 1,
	      "postured should drop a subscriber that never reads once %d bytes wait for it; "
	      "after %lld ms it has not. Its stderr: %s",
	      PENDING_MAX, (long long)(harness_now_ms() - sc.storm_begin),
	      harness_agent_stderr(sc.a));
	harness_note("dropped %lld ms after the storm began",
		     (long long)(harness_now_ms() - sc.storm_begin));
	return expect_alive(sc.a);
}

/* The agent is not blocked: a fresh client is answered at once, even mid-storm. */
static int test_slow_client_others_answered(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val v = NULL;
	int64_t asked;

	TRY(conn_open(sc.a, &sc.root));
	asked = harness_now_ms();
	TRY(conn_request(&sc.root, "{\"id\":9,\"method\":\"status\"}\n", &v));
	EXPECT_JSON_STR("a fresh client's status", v, POLICY_ID, "result", "policy", "id");
	harness_note("a fresh client's status answered in %lld ms",
		     (long long)(harness_now_ms() - asked));
	return 0;
}

/* The slow client's connection was closed: what is left of it, under 1 MiB, ends in EOF. */
static int test_slow_client_closed(const void *arg)
{
	int64_t deadline;
	char buf[65536];
	size_t drained = 0;
	ssize_t n = 1;

	TRY(slow_client_storm_done());
	deadline = harness_now_ms() + 5000;
	(void)fcntl(sc.slow, F_SETFL, O_NONBLOCK);
	while (harness_now_ms() < deadline) {
		struct pollfd p = { .fd = sc.slow, .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(sc.slow, buf, sizeof(buf));
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	CHECK(n == 0,
	      "the slow client's connection should have been closed; read %zu bytes and "
	      "it is still open",
	      drained);
	CHECK(drained < PENDING_MAX,
	      "the slow client got %zu bytes before the end; more than 1 MiB was queued", drained);
	harness_note("%zu bytes were in the slow client's socket when it was closed", drained);
	return 0;
}

/* Once the storm is over the agent still runs and answers. */
static int test_slow_client_served_after(const void *arg)
{
	_cleanup_(yajl_tree_freep) yajl_val v2 = NULL;

	TRY(slow_client_storm_done());
	TRY(expect_alive(sc.a));
	if (sc.root.rfd < 0)
		TRY(conn_open(sc.a, &sc.root));
	TRY(conn_request(&sc.root, "{\"id\":10,\"method\":\"status\"}\n", &v2));
	EXPECT_JSON_INT("the status answer after the storm", v2, 10, "id");
	return 0;
}

/* --- the limit on clients --------------------------------------------------------- */

#define MANY_CLIENTS 70

static int test_many_clients(const void *arg)
{
	_cleanup_policy_env_ struct harness_policy_env e = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	int fds[MANY_CLIENTS];
	unsigned answered = 0, refused = 0, other = 0, attempts = 0;
	int64_t begin;
	int r = 0;

	(void)arg;
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		fds[i] = -EBADF;
	TRY(env_init(&e, "sc", "monitor"));
	TRY(start_agent(&e, true, &a));

	for (size_t i = 0; i < ELEMENTSOF(fds) && r == 0; i++) {
		fds[i] = harness_status_connect(a->status_path, 0);
		if (fds[i] < 0)
			r = harness_fail("Connection %zu of %d failed: %s", i + 1, MANY_CLIENTS,
					 strerror(-fds[i]));
	}
	/* Each asks; the ones beyond the limit get their connection closed without an answer. */
	for (size_t i = 0; i < ELEMENTSOF(fds) && r == 0; i++) {
		struct conn c = { .rfd = fds[i], .wfd = fds[i] };
		char *line = NULL;
		int k;

		(void)send(fds[i], "{\"method\":\"status\"}\n", 20, MSG_NOSIGNAL);
		k = conn_read_line(&c, ANSWER_TIMEOUT_MS, &line);
		if (k == 1 && strstr(line, "\"result\""))
			answered++;
		else if (k == -EPIPE)
			refused++;
		else
			other++;
		free(line);
		free(c.buf);
	}
	if (r == 0) {
		harness_note("%u answered, %u refused, %u neither", answered, refused, other);
		if (answered != CLIENTS_MAX || refused != MANY_CLIENTS - CLIENTS_MAX || other)
			r = harness_fail("of %d clients, %d should be answered and the rest "
					 "refused: %u answered, %u refused, %u neither",
					 MANY_CLIENTS, CLIENTS_MAX, answered, refused, other);
	}
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		safe_close(fds[i]);
	if (r < 0)
		return r;
	TRY(expect_alive(a));
	CHECK(harness_agent_wait_stderr(a, "Refusing a status client", 1000) == 1,
	      "postured should log that it refused clients. Its stderr: %s",
	      harness_agent_stderr(a));

	/* Once they are gone, a new client is served (the agent may need a moment to notice). */
	begin = harness_now_ms();
	for (;;) {
		_cleanup_conn_ struct conn c = CONN_INIT;
		_cleanup_free_ char *line = NULL;

		attempts++;
		TRY(conn_open(a, &c));
		TRY(conn_send(&c, "{\"id\":1,\"method\":\"status\"}\n"));
		if (conn_read_line(&c, ANSWER_TIMEOUT_MS, &line) == 1 && strstr(line, "\"result\""))
			break;
		CHECK(harness_now_ms() - begin < 3000,
		      "no new client was answered within 3 s of closing the others (%u tries)",
		      attempts);
		usleep(100 * 1000);
	}
	harness_note("a new client was answered at attempt %u", attempts);
	return harness_agent_stop_ok(a);
}

static const struct harness_fixture slow_client = { "slow_client", slow_client_setup,
						    scene_teardown, NULL };

static const struct harness_test tests[] = {
	HARNESS_FIXTURE_TEST("slow_client/dropped_once_1MiB_waits", test_slow_client_dropped, NULL,
			     &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/others_answered_meanwhile",
			     test_slow_client_others_answered, NULL, &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/connection_closed_short_of_1MiB", test_slow_client_closed,
			     NULL, &slow_client),
	HARNESS_FIXTURE_TEST("slow_client/agent_serves_after_storm", test_slow_client_served_after,
			     NULL, &slow_client),
	HARNESS_TEST("at_most_64_clients", test_many_clients, NULL),
};

HARNESS_TABLE(status_socket_limits_table, tests);
