// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * agent/postured/netwatch against the real kernel, as root: every test moves this
 * process into a network namespace of its own (unshare(CLONE_NEWNET)), so
 * nothing outside it is touched, changes the network there with ip(8) and
 * counts the debounced callbacks: one per burst that changes something, none
 * when idle or when nothing that matters changed, none for datagrams from
 * other processes, one for an overrun; min_interval and max_delay honoured.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "harness.h"
#include "postured/netwatch.h"

#define QUIET_USEC (400 * USEC_PER_MSEC)
/*
 * How late a callback may come: sd-event's accuracy (quiet / 10), scheduling
 * on a busy machine, and an `ip` run the test waits for while the loop does
 * not run.  Still short of what a broken bound would show (max_delay never
 * firing within the 3 s of changes; min_interval is held by the lower bound).
 */
#define LATE_USEC (1000 * USEC_PER_MSEC)

struct seen {
	unsigned n;
	unsigned what[32];
	usec_t at[32];
};

static void on_change(netwatch *w, unsigned what, void *userdata)
{
	struct seen *s = userdata;

	if (s->n < ELEMENTSOF(s->what)) {
		s->what[s->n] = what;
		s->at[s->n] = now_usec(CLOCK_BOOTTIME);
	}
	s->n++;
}

/* A network namespace of our own, with IPv6 addresses usable at once (no DAD to wait for). */
static int fresh_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return harness_fail("unshare(CLONE_NEWNET): %m");
	/* /proc/sys/net is that of the namespace the opener is in. */
	TRY(harness_write_file("/proc/sys/net/ipv6/conf/all/accept_dad", "0\n"));
	TRY(harness_write_file("/proc/sys/net/ipv6/conf/default/accept_dad", "0\n"));
	return 0;
}

/* Runs `ip -batch -` with the commands on its stdin; it stops at the first that fails. */
static int ip_batch(const char *commands)
{
	static const char *const paths[] = { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" };
	size_t len = strlen(commands);
	int in[2], status;
	pid_t pid, parent = getpid();

	if (len > 60000)
		return harness_fail("ip batch too long");
	if (pipe2(in, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	if (write(in[1], commands, len) != (ssize_t)len) {
		safe_close(in[0]);
		safe_close(in[1]);
		return harness_fail("Cannot write the ip batch: %m");
	}
	safe_close(in[1]);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		safe_close(in[0]);
		return harness_fail("fork: %m");
	}
	if (pid == 0) {
		harness_child_setup(parent, in[0], -1, -1);
		for (size_t i = 0; i < ELEMENTSOF(paths); i++)
			execl(paths[i], "ip", "-batch", "-", (char *)NULL);
		dprintf(STDERR_FILENO, "Cannot execute ip (iproute2): %m\n");
		_exit(127);
	}
	safe_close(in[0]);
	if (waitpid(pid, &status, 0) != pid)
		return harness_fail("waitpid: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return harness_fail("ip -batch failed (status 0x%x) on:\n%s", status, commands);
	return 0;
}

/* Runs the loop for ms milliseconds, or until s->n reaches until (0: the whole time). */
static int run_loop(sd_event *e, struct seen *s, unsigned until, int64_t ms)
{
	int64_t deadline = harness_now_ms() + ms;

	for (;;) {
		int64_t left = deadline - harness_now_ms();
		int r;

		if (left <= 0 || (until && s->n >= until))
			return 0;
		r = sd_event_run(e, (uint64_t)left * USEC_PER_MSEC);
		if (r < 0)
			return harness_fail("sd_event_run: %s", strerror(-r));
	}
}

struct fixture {
	sd_event *event;
	netwatch *w;
	struct seen seen;
};

static void fixture_done(struct fixture *f)
{
	f->w = netwatch_free(f->w);
	f->event = sd_event_unref(f->event);
}

static int fixture_init(struct fixture *f, usec_t min_interval, usec_t max_delay)
{
	struct netwatch_config c = {
		.quiet = QUIET_USEC,
		.min_interval = min_interval,
		.max_delay = max_delay,
	};
	int r;

	*f = (struct fixture){};
	TRY(fresh_netns());
	r = sd_event_new(&f->event);
	if (r < 0)
		return harness_fail("sd_event_new: %s", strerror(-r));
	r = netwatch_new(f->event, &c, on_change, &f->seen, &f->w);
	if (r < 0)
		return harness_fail("netwatch_new: %s", strerror(-r));
	return 0;
}

#define _cleanup_fixture_ _cleanup_(fixture_done)

/* A veth pair, up, with an IPv4 address: the usual burst. */
static const char veth_up[] = "link add nw0 type veth peer name nw1\n"
			      "link set nw0 up\n"
			      "link set nw1 up\n"
			      "addr add 10.77.0.2/24 dev nw0\n";

/* Makes a burst, expects exactly one callback with at least `want` in its mask, no earlier than quiet. */
static int expect_one(struct fixture *f, const char *commands, unsigned want)
{
	unsigned before = f->seen.n;
	usec_t done;

	TRY(ip_batch(commands));
	done = now_usec(CLOCK_BOOTTIME);
	TRY(run_loop(f->event, &f->seen, before + 1, 5000));
	CHECK(f->seen.n == before + 1, "No callback within 5 s of: %s", commands);
	CHECK((f->seen.what[before] & want) == want, "Callback mask 0x%x lacks 0x%x after: %s",
	      f->seen.what[before], want, commands);
	CHECK(f->seen.at[before] >= done + QUIET_USEC,
	      "Callback %lld ms after the burst, before the quiet time (%lld ms)",
	      (long long)(f->seen.at[before] - done) / 1000, (long long)QUIET_USEC / 1000);
	/* The burst's stragglers (carrier, IPv6 link-local) must not make a second one. */
	TRY(run_loop(f->event, &f->seen, 0, 3 * QUIET_USEC / USEC_PER_MSEC));
	CHECK(f->seen.n == before + 1, "%u callbacks for one burst: %s", f->seen.n - before,
	      commands);
	return 0;
}

/* Changes that must not make a callback (nothing that matters changed). */
static int expect_none(struct fixture *f, const char *commands, bool relevant)
{
	struct netwatch_stats a, b;
	unsigned before = f->seen.n;

	netwatch_get_stats(f->w, &a);
	TRY(ip_batch(commands));
	TRY(run_loop(f->event, &f->seen, 0, 3 * QUIET_USEC / USEC_PER_MSEC));
	netwatch_get_stats(f->w, &b);
	CHECK(f->seen.n == before, "A callback (mask 0x%x) after: %s",
	      f->seen.what[before % ELEMENTSOF(f->seen.what)], commands);
	CHECK(b.messages > a.messages, "No notification at all after: %s", commands);
	if (relevant)
		CHECK(b.looks > a.looks, "The state was not looked at after: %s", commands);
	else
		CHECK(b.relevant == a.relevant && b.looks == a.looks,
		      "Irrelevant messages counted (%llu) or looked at (%llu) after: %s",
		      (unsigned long long)(b.relevant - a.relevant),
		      (unsigned long long)(b.looks - a.looks), commands);
	return 0;
}

static int test_idle(const void *arg)
{
	_cleanup_fixture_ struct fixture f;
	struct netwatch_stats st;

	TRY(fixture_init(&f, USEC_PER_SEC, 0));
	TRY(run_loop(f.event, &f.seen, 0, 1500));
	netwatch_get_stats(f.w, &st);
	CHECK(f.seen.n == 0, "%u callbacks with nothing changing", f.seen.n);
	CHECK(st.looks == 0, "%llu looks with nothing changing", (unsigned long long)st.looks);
	return 0;
}

static int test_burst(const void *arg)
{
	_cleanup_fixture_ struct fixture f;

	TRY(fixture_init(&f, USEC_PER_SEC, 0));
	TRY(expect_one(&f, veth_up, NETWATCH_LINK | NETWATCH_ADDRESS));
	CHECK(!(f.seen.what[0] & NETWATCH_OVERRUN), "Overrun reported: 0x%x", f.seen.what[0]);
	/* Down, then gone. */
	TRY(expect_one(&f, "link set nw0 down\n", NETWATCH_LINK));
	TRY(expect_one(&f, "addr add 10.77.1.2/24 dev nw1\n", NETWATCH_ADDRESS));
	CHECK(!(f.seen.what[2] & NETWATCH_LINK), "Link change reported for an address: 0x%x",
	      f.seen.what[2]);
	TRY(expect_one(&f, "link del nw0\n", NETWATCH_LINK | NETWATCH_ADDRESS));
	/* Idle again. */
	TRY(run_loop(f.event, &f.seen, 0, 1000));
	CHECK(f.seen.n == 4, "%u callbacks for 4 bursts", f.seen.n);
	return 0;
}

static int test_routes(const void *arg)
{
	_cleanup_fixture_ struct fixture f;

	TRY(fixture_init(&f, 500 * USEC_PER_MSEC, 0));
	TRY(expect_one(&f, veth_up, NETWATCH_LINK));
	TRY(expect_one(&f, "route add default via 10.77.0.1 dev nw0\n", NETWATCH_ROUTE));
	CHECK(f.seen.what[1] == NETWATCH_ROUTE, "Mask 0x%x for a default route", f.seen.what[1]);
	/* Other routes are not the default route. */
	TRY(expect_none(&f, "route add 10.99.0.0/16 via 10.77.0.1 dev nw0\n", false));
	TRY(expect_one(&f, "route replace default via 10.77.0.3 dev nw0\n", NETWATCH_ROUTE));
	TRY(expect_one(&f, "route add default via fe80::1 dev nw0\n", NETWATCH_ROUTE));
	TRY(expect_one(&f, "route del default\n", NETWATCH_ROUTE));
	return 0;
}

static int test_nothing_changed(const void *arg)
{
	_cleanup_fixture_ struct fixture f;

	TRY(fixture_init(&f, 500 * USEC_PER_MSEC, 0));
	TRY(expect_one(&f,
		       "link add nw0 type veth peer name nw1\n"
		       "link set nw0 up\nlink set nw1 up\n"
		       "addr add 10.78.0.2/24 dev nw0 valid_lft 100 preferred_lft 100\n",
		       NETWATCH_LINK | NETWATCH_ADDRESS));
	/* A renewed lifetime (what router advertisements and DHCP renewals do). */
	TRY(expect_none(&f, "addr change 10.78.0.2/24 dev nw0 valid_lft 200 preferred_lft 200\n",
			true));
	/* An MTU change: a link notification, nothing that matters. */
	TRY(expect_none(&f, "link set nw0 mtu 1400\n", true));
	/* Removed and added back within the quiet time: the same network as before. */
	TRY(expect_none(&f,
			"addr del 10.78.0.2/24 dev nw0\n"
			"addr add 10.78.0.2/24 dev nw0 valid_lft 100 preferred_lft 100\n",
			true));
	return 0;
}

static int test_min_interval(const void *arg)
{
	_cleanup_fixture_ struct fixture f;
	usec_t first;

	TRY(fixture_init(&f, 2500 * USEC_PER_MSEC, 0));
	TRY(ip_batch(veth_up));
	TRY(run_loop(f.event, &f.seen, 1, 5000));
	CHECK(f.seen.n == 1, "No callback for the first burst");
	first = f.seen.at[0];
	/* Right after the callback, another burst: its callback waits for min_interval. */
	TRY(ip_batch("addr add 10.77.5.2/24 dev nw0\n"));
	TRY(run_loop(f.event, &f.seen, 2, 6000));
	CHECK(f.seen.n == 2, "%u callbacks, expected 2", f.seen.n);
	CHECK(f.seen.at[1] >= first + 2500 * USEC_PER_MSEC,
	      "Second callback %lld ms after the first, min_interval is 2500 ms",
	      (long long)(f.seen.at[1] - first) / 1000);
	CHECK(f.seen.at[1] <= first + 2500 * USEC_PER_MSEC + LATE_USEC,
	      "Second callback %lld ms after the first, expected at 2500 ms",
	      (long long)(f.seen.at[1] - first) / 1000);
	return 0;
}

static int test_max_delay(const void *arg)
{
	_cleanup_fixture_ struct fixture f;
	usec_t start, end;
	int64_t start_ms;
	unsigned i;

	TRY(fixture_init(&f, 500 * USEC_PER_MSEC, 1200 * USEC_PER_MSEC));
	start = now_usec(CLOCK_BOOTTIME);
	start_ms = harness_now_ms();
	/* A new address every 150 ms, under the quiet time, for 3 s: never quiet. */
	for (i = 0; harness_now_ms() - start_ms < 3000; i++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "%saddr add 10.79.%u.%u/32 dev lo\n",
			 i == 0 ? "link set lo up\n" : "", i / 200, i % 200 + 1);
		TRY(ip_batch(cmd));
		TRY(run_loop(f.event, &f.seen, 0, 150));
	}
	end = now_usec(CLOCK_BOOTTIME);
	harness_note("%u changes in %lld ms, %u callbacks while they went on", i,
		     (long long)(end - start) / 1000, f.seen.n);
	CHECK(f.seen.n >= 2, "%u callbacks in 3 s of changes with max_delay 1.2 s", f.seen.n);
	CHECK(f.seen.at[0] <= start + 1200 * USEC_PER_MSEC + LATE_USEC,
	      "First callback %lld ms after the first change, max_delay is 1200 ms",
	      (long long)(f.seen.at[0] - start) / 1000);
	return 0;
}

/* A datagram from another process to netwatch's port is not a notification. */
static int test_foreign(const void *arg)
{
	_cleanup_fixture_ struct fixture f;
	_cleanup_close_ int fd = -EBADF;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK }, me;
	socklen_t len = sizeof(me);
	struct {
		struct nlmsghdr h;
		struct ifinfomsg m;
	} msg = {
		.h = { .nlmsg_len = sizeof(msg), .nlmsg_type = RTM_NEWLINK },
		.m = { .ifi_family = AF_UNSPEC, .ifi_index = 1, .ifi_flags = IFF_UP },
	};
	struct netwatch_stats st;

	TRY(fixture_init(&f, USEC_PER_SEC, 0));
	if (getsockname(netwatch_fd(f.w), (struct sockaddr *)&me, &len) < 0)
		return harness_fail("getsockname: %m");
	to.nl_pid = me.nl_pid;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return harness_fail("socket(AF_NETLINK): %m");
	for (int i = 0; i < 3; i++)
		if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return harness_fail("Cannot send to port %u: %m", me.nl_pid);
	TRY(run_loop(f.event, &f.seen, 0, 1500));
	netwatch_get_stats(f.w, &st);
	CHECK(st.foreign == 3, "%llu foreign datagrams counted, 3 sent",
	      (unsigned long long)st.foreign);
	CHECK(st.messages == 0 && st.looks == 0, "Forged messages taken: %llu read, %llu looks",
	      (unsigned long long)st.messages, (unsigned long long)st.looks);
	CHECK(f.seen.n == 0, "%u callbacks for forged messages", f.seen.n);
	return 0;
}

/* More notifications than the socket holds: ENOBUFS, one callback saying so. */
static int test_overrun(const void *arg)
{
	_cleanup_fixture_ struct fixture f;
	_cleanup_free_ char *batch = NULL;
	struct netwatch_stats st;
	int small = 4096;
	size_t len = 0;

	TRY(fixture_init(&f, USEC_PER_SEC, 0));
	if (setsockopt(netwatch_fd(f.w), SOL_SOCKET, SO_RCVBUFFORCE, &small, sizeof(small)) < 0)
		return harness_fail("SO_RCVBUFFORCE: %m");
	batch = malloc(32768);
	if (!batch)
		return harness_fail("Out of memory");
	len += (size_t)snprintf(batch + len, 32768 - len, "link set lo up\n");
	for (unsigned i = 1; i <= 400; i++)
		len += (size_t)snprintf(batch + len, 32768 - len,
					"addr add 10.81.%u.%u/32 dev lo\n", i / 200, i % 200 + 1);
	/* All of it while the loop does not read. */
	TRY(ip_batch(batch));
	TRY(run_loop(f.event, &f.seen, 1, 5000));
	TRY(run_loop(f.event, &f.seen, 0, 3 * QUIET_USEC / USEC_PER_MSEC));
	netwatch_get_stats(f.w, &st);
	CHECK(st.overruns >= 1, "No overrun counted (%llu messages read)",
	      (unsigned long long)st.messages);
	CHECK(f.seen.n == 1, "%u callbacks for one overrun burst", f.seen.n);
	CHECK(f.seen.what[0] & NETWATCH_OVERRUN, "Mask 0x%x lacks NETWATCH_OVERRUN",
	      f.seen.what[0]);
	CHECK(f.seen.what[0] & NETWATCH_ADDRESS, "Mask 0x%x lacks NETWATCH_ADDRESS",
	      f.seen.what[0]);
	return 0;
}

static const struct harness_test tests[] = {
	HARNESS_TEST("idle", test_idle, NULL),
	HARNESS_TEST("burst", test_burst, NULL),
	HARNESS_TEST("routes", test_routes, NULL),
	HARNESS_TEST("nothing_changed", test_nothing_changed, NULL),
	HARNESS_TEST("min_interval", test_min_interval, NULL),
	HARNESS_TEST("max_delay", test_max_delay, NULL),
	HARNESS_TEST("foreign", test_foreign, NULL),
	HARNESS_TEST("overrun", test_overrun, NULL),
};

HARNESS_MAIN(tests)
