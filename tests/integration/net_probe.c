// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The network probe in the real kernel, driven through agent/postured/probe_net.c
 * without the daemon: each test applies rules, makes connections, datagrams
 * and binds with known properties on loopback, and checks what the kernel
 * did (EPERM or not), the records it sent and the counts it aggregated.
 *
 * Other test suites may run network tests on this machine at the same time,
 * so the programs are attached to a cgroup of this test's own, which it moves
 * into (its children follow), and every rule is scoped to ports the test
 * picked.  The one test that attaches at the cgroup v2 root applies a report
 * rule only.  Links are held by this process alone: whatever way it ends,
 * the kernel drops them, and every test frees its probe before it returns.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../helpers/own_cgroup.h"
#include "postured/decode.h"
#include "harness.h"
#include "postured/probe_common.h"
#include "postured/probe_net.h"

#define CHILD_TIMEOUT_MS 5000
#define STORM_DENIED	 50000
#define STORM_CONNECTED	 50000
/* Sweeps during a storm, so deltas add up over several of them. */
#define STORM_SWEEPS 5
#define RECORDS_MAX  (STORM_DENIED + 1024)

/* --- records and sweeps ------------------------------------------------------ */

struct recs {
	struct decoded_event *ev;
	size_t n, cap;
	unsigned malformed, overflow;
};

static struct recs recs;

static int on_record(void *userdata, const void *data, size_t size)
{
	struct decoded_event ev;

	if (decode_event(data, size, 0, &ev) < 0 || ev.kind != EVENT_KIND_NET) {
		recs.malformed++;
		return 0;
	}
	if (recs.n == recs.cap) {
		size_t c = recs.cap ? recs.cap * 2 : 64;
		struct decoded_event *n;

		if (c > RECORDS_MAX) {
			recs.overflow++;
			return 0;
		}
		n = realloc(recs.ev, c * sizeof(*n));
		if (!n) {
			recs.overflow++;
			return 0;
		}
		recs.ev = n;
		recs.cap = c;
	}
	recs.ev[recs.n++] = ev;
	return 0;
}

static void recs_clear(void)
{
	free(recs.ev);
	recs = (struct recs){};
}

struct sweep_sum {
	unsigned calls, removed, stale;
	uint64_t count[_EVENT_NET_OUTCOME_MAX];
	uint64_t total;
	struct net_agg_key last_key;
};

static int on_delta(void *userdata, const struct probe_net_delta *d)
{
	struct sweep_sum *s = userdata;

	s->calls++;
	s->removed += d->removed;
	s->stale += d->stale;
	for (size_t o = 0; o < _EVENT_NET_OUTCOME_MAX; o++)
		s->count[o] += d->count[o];
	s->total += d->total;
	s->last_key = *d->key;
	return 0;
}

/* --- the test's own cgroup, and the probe ------------------------------------- */

struct fixture {
	probe_net *p;
	char cg[PATH_MAX]; /* our cgroup, "" when none */
	char home[2 * PATH_MAX]; /* the cgroup we came from */
};

/* Removes the cgroups of earlier runs that died before they could (empty: rmdir fails otherwise). */
static void cgroup_remove_stale(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300];
		int pid;

		if (sscanf(de->d_name, "postured-net-it.%d", &pid) != 1 || pid == (int)getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		(void)rmdir(path);
	}
	closedir(d);
}

/* Moves us into a new cgroup of our own and attaches the probe to it (or to the root). */
/*
 * flavor: the TCP state tracepoint's; probe_read: the kernel-reading fallback
 * for the calling task (older kernels), else BTF where this kernel allows it.
 */
static int fixture_setup_flavor(struct fixture *f, bool at_root, enum probe_flavor flavor,
				bool probe_read)
{
	struct probe_net_config cfg = PROBE_NET_CONFIG_DEFAULT;
	const char *root = own_cgroup_root();
	int r;

	*f = (struct fixture){};
	recs_clear();
	if (!root)
		return harness_fail("No cgroup v2 hierarchy is mounted");
	cgroup_remove_stale(root);
	r = own_cgroup_current(root, f->home, sizeof(f->home));
	if (r < 0)
		return harness_fail("Cannot read /proc/self/cgroup: %s", strerror(-r));
	if (!f->home[0])
		return harness_fail("/proc/self/cgroup names no cgroup v2 path");
	snprintf(f->cg, sizeof(f->cg), "%s/postured-net-it.%d", root, (int)getpid());
	if (mkdir(f->cg, 0755) < 0 && errno != EEXIST) {
		f->cg[0] = '\0';
		return harness_fail("Cannot create the cgroup %s/postured-net-it.%d: %m", root,
				    (int)getpid());
	}
	r = own_cgroup_enter(f->cg);
	if (r < 0)
		return harness_fail("Cannot move into %s: %s", f->cg, strerror(-r));
	if (!at_root)
		cfg.cgroup_path = f->cg;
	cfg.flavor = flavor;
	cfg.task_probe_read = probe_read;
	if (probe_net_new(&cfg, on_record, NULL, &f->p) < 0)
		return harness_fail("probe_net_new failed (its error is above)");
	if (flavor != PROBE_FLAVOR_AUTO)
		CHECK(probe_net_flavor(f->p) == flavor, "the probe runs the %s flavour, not %s",
		      probe_net_flavor(f->p) == PROBE_FLAVOR_TP_BTF ? "tp_btf" : "tracepoint",
		      flavor == PROBE_FLAVOR_TP_BTF ? "tp_btf" : "tracepoint");
	return 0;
}

static int fixture_setup(struct fixture *f, bool at_root)
{
	return fixture_setup_flavor(f, at_root, PROBE_FLAVOR_AUTO, false);
}

static void fixture_teardown(struct fixture *f)
{
	/* Detach first: no rule of ours outlives the test. */
	f->p = probe_net_free(f->p);
	own_cgroup_leave(f->cg, f->home);
	f->cg[0] = '\0';
	recs_clear();
}

#define _cleanup_fixture_ _cleanup_(fixture_teardown)

static int stats(struct fixture *f, uint64_t s[_NET_STAT_MAX])
{
	int r = probe_net_stats(f->p, s);

	if (r < 0)
		return harness_fail("probe_net_stats: %s", strerror(-r));
	return 0;
}

static int drain(struct fixture *f)
{
	int r = probe_net_drain(f->p);

	if (r < 0)
		return harness_fail("probe_net_drain: %s", strerror(-r));
	CHECK(recs.malformed == 0, "%u records did not decode as network records", recs.malformed);
	CHECK(recs.overflow == 0, "more records than the test keeps (%u over)", recs.overflow);
	return 0;
}

static int apply(struct fixture *f, const struct probe_net_rule *rules, size_t n)
{
	int r = probe_net_apply_rules(f->p, rules, n);

	if (r < 0)
		return harness_fail("probe_net_apply_rules: %s", strerror(-r));
	return 0;
}

/* --- addresses, ports, sockets ------------------------------------------------ */

static struct policy_net_prefix prefix_of(const struct harness_addr *a)
{
	struct policy_net_prefix p = { .family = (uint8_t)a->family,
				       .prefixlen = a->family == AF_INET ? 32 : 128 };

	memcpy(p.addr, a->bytes, sizeof(p.addr));
	return p;
}

/* connect() (TCP) or sendto() (UDP) from this process; returns 0 or the errno. */
static int try_send(const struct harness_addr *a, uint16_t port, int type, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(a, port, &ss);
	int fd = socket(a->family, type | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return errno;
	if (type == SOCK_STREAM)
		r = connect(fd, (struct sockaddr *)&ss, len);
	else
		r = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) == 1 ? 0 : -1;
	r = r < 0 ? errno : 0;
	if (ret_fd && r == 0)
		*ret_fd = fd;
	else
		close(fd);
	return r;
}

static int try_bind(const struct harness_addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr_of(a, port, &ss);
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return errno;
	r = bind(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	close(fd);
	return r;
}

/* Runs the net_connect helper at path; returns its exit status, -1 on failure. */
static int run_helper(const char *path, const char *what, const struct harness_addr *a,
		      uint16_t port, const struct harness_child_opts *co, pid_t *ret_pid)
{
	char portbuf[16];
	int status;
	pid_t pid;

	snprintf(portbuf, sizeof(portbuf), "%u", port);
	pid = 0;
	TRY(harness_spawn(path,
			  (char *[]){ (char *)path, (char *)what, (char *)a->text, portbuf, NULL },
			  co, &pid));
	TRY(harness_wait_child(pid, CHILD_TIMEOUT_MS, &status));
	CHECK(WIFEXITED(status), "%s was killed", path);
	if (ret_pid)
		*ret_pid = pid;
	return WEXITSTATUS(status);
}

/* --- checking records ------------------------------------------------------------ */

struct want {
	uint8_t direction, protocol, family, verdict, outcome, rule;
	const struct harness_addr *addr; /* remote (outbound, inbound) or local (listen) */
	uint16_t port;
	pid_t pid; /* 0: any */
	const char *exe; /* NULL: ours */
	uint32_t uid;
	bool v4mapped;
};

/* Record i since the last recs_clear() must be what w says, of f's generation in force. */
static int check_record(const struct fixture *f, size_t i, const struct want *w)
{
	const struct decoded_event *ev = &recs.ev[i];
	uint32_t gen = probe_net_gen(f->p);
	const uint8_t *addr = w->direction == EVENT_NET_LISTEN ? ev->net.local_addr :
								 ev->net.remote_addr;
	uint16_t port = w->direction == EVENT_NET_LISTEN ? ev->net.local_port : ev->net.remote_port;
	const char *exe = w->exe ? w->exe : "/proc/self/exe";
	struct stat st;

	CHECK(ev->net.direction == w->direction, "record direction %s, expected %s",
	      event_net_direction_to_string(ev->net.direction),
	      event_net_direction_to_string(w->direction));
	CHECK(ev->net.protocol == w->protocol, "record protocol %u, expected %u", ev->net.protocol,
	      w->protocol);
	CHECK(ev->net.family == w->family, "record family %u, expected %u", ev->net.family,
	      w->family);
	CHECK(ev->net.verdict == w->verdict, "record verdict %s, expected %s",
	      event_net_verdict_to_string(ev->net.verdict),
	      event_net_verdict_to_string(w->verdict));
	CHECK(ev->net.outcome == w->outcome, "record outcome %s, expected %s",
	      event_net_outcome_to_string(ev->net.outcome),
	      event_net_outcome_to_string(w->outcome));
	CHECK(ev->net.rule == w->rule, "record rule %u, expected %u", ev->net.rule, w->rule);
	CHECK(ev->net.gen == gen, "record generation %u, expected %u", ev->net.gen, gen);
	CHECK(ev->net.count == 1, "record count %u, expected 1", ev->net.count);
	CHECK(memcmp(addr, w->addr->bytes, w->family == AF_INET ? 4 : 16) == 0,
	      "record address is not %s", w->addr->text);
	CHECK(port == w->port, "record port %u, expected %u", port, w->port);
	CHECK(ev->net.v4mapped == w->v4mapped, "record v4mapped flag %d, expected %d",
	      ev->net.v4mapped, w->v4mapped);
	CHECK(!ev->net.not_aggregated && !ev->net.no_outcome,
	      "record flags not_aggregated=%d "
	      "no_outcome=%d",
	      ev->net.not_aggregated, ev->net.no_outcome);
	CHECK(ev->task.uid == w->uid, "record uid %u, expected %u", ev->task.uid, w->uid);
	if (w->direction == EVENT_NET_INBOUND) {
		CHECK(ev->task.pid == 0 && !ev->net.has_process, "an inbound record names pid %u",
		      ev->task.pid);
		return 0;
	}
	CHECK(ev->task.pid == (uint32_t)(w->pid ? w->pid : getpid()), "record pid %u, expected %d",
	      ev->task.pid, (int)(w->pid ? w->pid : getpid()));
	if (stat(exe, &st) < 0)
		return harness_fail("stat %s: %m", exe);
	CHECK(ev->net.exe_ino == st.st_ino && ev->net.exe_dev == st.st_dev,
	      "record executable %llu:%llu, expected %s (%llu:%llu)",
	      (unsigned long long)ev->net.exe_dev, (unsigned long long)ev->net.exe_ino, exe,
	      (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	return 0;
}

/* Exactly n records since the last recs_clear(), after a drain. */
static int expect_records(struct fixture *f, size_t n, const char *what)
{
	TRY(drain(f));
	CHECK(recs.n == n, "%s: expected %zu record(s), saw %zu", what, n, recs.n);
	return 0;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

/* --- the tests ---------------------------------------------------------------- */

/* One rule: outbound, to a.b.c.d:port, both protocols unless said. */
struct one_rule {
	struct policy_net_prefix prefix;
	struct policy_net_port_range port;
	struct policy_net_clause match;
	struct probe_net_rule rule;
};

static void one_rule_init(struct one_rule *o, const struct harness_addr *a, uint16_t port,
			  enum net_action action, unsigned protocols)
{
	o->prefix = prefix_of(a);
	o->port = (struct policy_net_port_range){ port, port };
	o->match = (struct policy_net_clause){
		.n_prefixes = 1, .prefixes = &o->prefix, .n_ports = 1, .ports = &o->port
	};
	o->rule = (struct probe_net_rule){ .direction = POLICY_NET_OUTBOUND,
					   .protocols = protocols,
					   .action = action,
					   .match = &o->match };
}

struct deny_case {
	const char *addr; /* NULL: a random 127.0.0.x */
	int type; /* SOCK_STREAM, SOCK_DGRAM */
	const char *connect_to; /* the address connected to, when not addr (v4-mapped) */
};

/*
 * What the deny tests of one case share: the probe in our cgroup with one
 * enforce rule on a port nobody uses, and the calls made so far (each step
 * once, so a test that needs an earlier one's calls makes them itself).
 */
static struct deny {
	const struct deny_case *c;
	struct fixture f;
	struct harness_addr a, to;
	uint8_t proto;
	struct one_rule o;
	uint16_t port;
	bool first_done, repeats_done;
} dn;

static int deny_setup(const void *arg)
{
	const struct deny_case *c = arg;

	dn = (struct deny){ .c = c };
	dn.a = c->addr ? harness_addr_of(c->addr) : harness_loopback4_random();
	dn.proto = c->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	TRY(fixture_setup(&dn.f, false));
	TRY(harness_free_port(&dn.a, &dn.port));
	one_rule_init(&dn.o, &dn.a, dn.port, NET_ACTION_DENY,
		      c->type == SOCK_STREAM ? POLICY_NET_TCP : POLICY_NET_UDP);
	TRY(apply(&dn.f, &dn.o.rule, 1));
	dn.to = dn.a;
	if (c->connect_to) {
		char mapped[64];

		/* ::ffff:127.0.0.x for the random address. */
		snprintf(mapped, sizeof(mapped), "::ffff:%s", dn.a.text);
		dn.to = harness_addr_of(mapped);
	}
	return 0;
}

static int deny_teardown(const void *arg)
{
	fixture_teardown(&dn.f);
	return 0;
}

/* The first call fails with EPERM, and makes one record. */
static int deny_first(void)
{
	int e;

	if (dn.first_done)
		return 0;
	e = try_send(&dn.to, dn.port, dn.c->type, NULL);
	CHECK(e == EPERM, "%s to [%s]:%u should fail with EPERM, it ended with %s",
	      dn.c->type == SOCK_STREAM ? "connect" : "sendto", dn.to.text, dn.port, err_name(e));
	TRY(expect_records(&dn.f, 1, "one denied call"));
	TRY(check_record(&dn.f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = dn.proto,
					 .family = (uint8_t)dn.a.family,
					 .verdict = EVENT_NET_DENIED,
					 .outcome = EVENT_NET_OUTCOME_NONE,
					 .rule = 0,
					 .addr = &dn.a,
					 .port = dn.port,
					 .v4mapped = dn.c->connect_to != NULL }));
	dn.first_done = true;
	return 0;
}

/* Twice more: denied, counted, no record; the sweep hands the 2 on as one key. */
static int deny_repeats(void)
{
	struct sweep_sum sum = {};
	int e;

	if (dn.repeats_done)
		return 0;
	TRY(deny_first());
	for (int i = 0; i < 2; i++) {
		e = try_send(&dn.to, dn.port, dn.c->type, NULL);
		CHECK(e == EPERM, "a repeated call should fail with EPERM too, it ended with %s",
		      err_name(e));
	}
	TRY(expect_records(&dn.f, 1, "repeats of a denied call"));
	CHECK(probe_net_sweep(dn.f.p, UINT64_MAX / 2, on_delta, &sum) == 1,
	      "the sweep should hand on one key, it handed on %u", sum.calls);
	CHECK(sum.total == 2 && sum.count[EVENT_NET_OUTCOME_NONE] == 2,
	      "the sweep should count the 2 repeats, it counted %llu",
	      (unsigned long long)sum.total);
	CHECK(sum.last_key.verdict == EVENT_NET_DENIED && sum.last_key.tgid == (uint32_t)getpid() &&
		      sum.last_key.port == dn.port,
	      "the swept key is not the denied call's");
	dn.repeats_done = true;
	return 0;
}

static int test_deny_no_tcp_state(const void *arg)
{
	CHECK(!probe_net_follows_tcp(dn.f.p),
	      "deny rules alone should not need the TCP state tracepoint attached");
	return 0;
}

static int test_deny_first(const void *arg)
{
	return deny_first();
}

static int test_deny_repeats(const void *arg)
{
	return deny_repeats();
}

/* Nothing new since the last sweep: nothing handed on. */
static int test_deny_idle_sweep(const void *arg)
{
	struct sweep_sum sum = {};

	TRY(deny_repeats());
	CHECK(probe_net_sweep(dn.f.p, UINT64_MAX / 2, on_delta, &sum) == 0 && sum.calls == 0,
	      "a second sweep without new events handed on %u keys", sum.calls);
	return 0;
}

/* The kernel's counters: 3 denied, 1 sent, 2 aggregated, none lost. */
static int test_deny_stats(const void *arg)
{
	uint64_t st[_NET_STAT_MAX];

	TRY(deny_repeats());
	TRY(stats(&dn.f, st));
	CHECK(st[NET_STAT_DENIED] == 3 && st[NET_STAT_SENT] == 1 && st[NET_STAT_AGGREGATED] == 2 &&
		      st[NET_STAT_LOST] == 0,
	      "stats: denied %llu sent %llu aggregated %llu lost %llu; expected 3 1 2 0",
	      (unsigned long long)st[NET_STAT_DENIED], (unsigned long long)st[NET_STAT_SENT],
	      (unsigned long long)st[NET_STAT_AGGREGATED], (unsigned long long)st[NET_STAT_LOST]);
	return 0;
}

/* A deny rule in monitor mode: the connection is made and reported with its outcome. */
static int test_monitor(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF, afd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sockaddr_in self;
	socklen_t len = sizeof(self);
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX];
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	one_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_TCP | POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(probe_net_follows_tcp(f.p),
	      "a reported TCP connect needs the TCP state tracepoint, which is not attached");
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect to %s:%u should succeed in monitor mode, it ended with %s", a.text,
	      port, err_name(e));
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(afd >= 0, "accept: %m");
	TRY(expect_records(&f, 1, "a reported connect"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_REPORTED,
					 .outcome = EVENT_NET_OUTCOME_ESTABLISHED,
					 .addr = &a,
					 .port = port }));
	/* The outcome record knows the local end too. */
	CHECK(getsockname(cfd, (struct sockaddr *)&self, &len) == 0, "getsockname: %m");
	CHECK(recs.ev[0].net.local_port == ntohs(self.sin_port) &&
		      memcmp(recs.ev[0].net.local_addr, &self.sin_addr, 4) == 0,
	      "record local end :%u, the socket's is :%u", recs.ev[0].net.local_port,
	      ntohs(self.sin_port));
	TRY(stats(&f, st));
	CHECK(st[NET_STAT_DENIED] == 0, "monitor mode denied %llu calls",
	      (unsigned long long)st[NET_STAT_DENIED]);
	return 0;
}

/* Traffic no rule matches passes and never leaves the kernel. */
static int test_allowed(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), other = harness_addr_of("::1");
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX];
	uint16_t port, denied;
	int e, ufd;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	TRY(harness_free_port(&a, &denied));
	one_rule_init(&o, &a, denied, NET_ACTION_DENY, POLICY_NET_TCP | POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect to the allowed %s:%u ended with %s", a.text, port, err_name(e));
	/* Same port, other address; datagrams; binds. */
	e = try_send(&other, denied, SOCK_DGRAM, NULL);
	CHECK(e == 0, "sendto [::1]:%u ended with %s", denied, err_name(e));
	e = try_bind(&a, 0);
	CHECK(e == 0, "bind %s:0 ended with %s", a.text, err_name(e));
	ufd = -1;
	e = try_send(&a, (uint16_t)(denied ^ 1), SOCK_DGRAM, &ufd);
	if (ufd >= 0)
		close(ufd);
	CHECK(e == 0, "sendto %s:%u ended with %s", a.text, denied ^ 1, err_name(e));
	TRY(expect_records(&f, 0, "allowed traffic"));
	TRY(stats(&f, st));
	CHECK(st[NET_STAT_SENT] + st[NET_STAT_DENIED] + st[NET_STAT_AGGREGATED] +
			      st[NET_STAT_LOST] ==
		      0,
	      "allowed traffic left traces in the stats: sent %llu denied %llu aggregated %llu",
	      (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_DENIED],
	      (unsigned long long)st[NET_STAT_AGGREGATED]);
	return 0;
}

/* TCP only: a datagram to the same place passes. */
static int test_protocol_scope(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	e = try_send(&a, port, SOCK_STREAM, NULL);
	CHECK(e == ECONNREFUSED,
	      "a TCP connect under a UDP rule should be refused by nobody "
	      "listening, it ended with %s",
	      err_name(e));
	e = try_send(&a, port, SOCK_DGRAM, NULL);
	CHECK(e == EPERM, "sendto under the UDP rule ended with %s", err_name(e));
	TRY(expect_records(&f, 1, "one denied datagram"));
	CHECK(recs.ev[0].net.protocol == IPPROTO_UDP, "the record is not of UDP");
	return 0;
}

/* Binds to the any-address are not excepted by "loopback": that is the point. */
static int test_listen_any(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr any4 = harness_addr_of("0.0.0.0"), any6 = harness_addr_of("::"),
			    lo4 = harness_loopback4_random(), lo6 = harness_addr_of("::1");
	struct policy_net_prefix loop[] = {
		{ .family = AF_INET, .prefixlen = 8, .addr = { 127 } },
		{ .family = AF_INET6, .prefixlen = 128, .addr = { [15] = 1 } }
	};
	struct policy_net_clause match = {}, except = { .n_prefixes = 2, .prefixes = loop };
	const struct policy_net_clause *excepts[] = { &except };
	struct probe_net_rule rule = { .direction = POLICY_NET_LISTEN,
				       .protocols = POLICY_NET_TCP | POLICY_NET_UDP,
				       .action = NET_ACTION_DENY,
				       .match = &match,
				       .n_except = 1,
				       .except = excepts };
	const struct harness_addr *excepted[] = { &lo4, &lo6 }, *any[] = { &any4, &any6 };
	uint16_t port;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&lo4, &port));
	TRY(apply(&f, &rule, 1));
	for (size_t i = 0; i < ELEMENTSOF(excepted); i++) {
		e = try_bind(excepted[i], port);
		CHECK(e == 0, "bind [%s]:%u is excepted (loopback), it ended with %s",
		      excepted[i]->text, port, err_name(e));
	}
	TRY(expect_records(&f, 0, "excepted binds"));
	for (size_t i = 0; i < ELEMENTSOF(any); i++) {
		e = try_bind(any[i], port);
		CHECK(e == EPERM, "bind [%s]:%u should fail with EPERM, it ended with %s",
		      any[i]->text, port, err_name(e));
	}
	TRY(expect_records(&f, ELEMENTSOF(any), "two denied binds"));
	for (size_t i = 0; i < ELEMENTSOF(any); i++)
		TRY(check_record(&f, i,
				 &(struct want){ .direction = EVENT_NET_LISTEN,
						 .protocol = IPPROTO_TCP,
						 .family = (uint8_t)any[i]->family,
						 .verdict = EVENT_NET_DENIED,
						 .addr = any[i],
						 .port = port }));
	return 0;
}

struct exe_case {
	bool by_name; /* scope by file name instead of path */
	bool probe_read; /* the task read with bpf_probe_read_kernel(), not through BTF */
};

/* A rule scoped to one program denies it and leaves another alone. */
static int test_exe_scope(const void *arg)
{
	const struct exe_case *c = arg;
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *one = NULL, *two = NULL;
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	const char *value;
	uint16_t port;
	pid_t pid;
	int code;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &one));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &two));
	TRY(fixture_setup_flavor(&f, false, PROBE_FLAVOR_AUTO, c->probe_read));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_TCP);
	value = c->by_name ? harness_basename(one) : one;
	if (c->by_name) {
		o.match.n_names = 1;
		o.match.names = &value;
	} else {
		o.match.n_paths = 1;
		o.match.paths = &value;
	}
	TRY(apply(&f, &o.rule, 1));

	code = run_helper(two, "tcp", &a, port, &co, NULL);
	CHECK(code == 11,
	      "the other program should be refused by nobody listening (11), it "
	      "exited %d",
	      code);
	TRY(expect_records(&f, 0, "a program the rule does not name"));
	code = run_helper(one, "tcp", &a, port, &co, &pid);
	CHECK(code == 10, "the program the rule names should get EPERM (10), it exited %d", code);
	TRY(expect_records(&f, 1, "the program the rule names"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_DENIED,
					 .addr = &a,
					 .port = port,
					 .pid = pid,
					 .exe = one }));
	CHECK(strncmp(recs.ev[0].task.comm, harness_basename(one), 15) == 0,
	      "record comm \"%s\" is not the program's", recs.ev[0].task.comm);
	/* And this test program itself is not named either. */
	CHECK(try_send(&a, port, SOCK_STREAM, NULL) == ECONNREFUSED,
	      "the test itself should not be denied");
	return 0;
}

/* A rule scoped to a user by name. */
static int test_user_scope(const void *arg)
{
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_free_ char *bin = NULL;
	struct harness_addr a = harness_loopback4_random();
	struct policy_value nobody = { .text = "nobody" };
	struct one_rule o;
	uint16_t port;
	pid_t pid;
	int code;

	TRY(harness_tmpdir_new(&dir));
	TRY(harness_unique_copy(dir, harness_helper("net_connect"), &bin));
	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_DENY, POLICY_NET_TCP);
	o.match.n_users = 1;
	o.match.users = &nobody;
	TRY(apply(&f, &o.rule, 1));
	code = run_helper(bin, "tcp", &a, port, &co, NULL);
	CHECK(code == 11, "root should not be denied (expected 11), exit %d", code);
	co.set_uid = true;
	co.uid = co.gid = 65534;
	code = run_helper(bin, "tcp", &a, port, &co, &pid);
	CHECK(code == 10, "nobody should get EPERM (10), exit %d", code);
	TRY(expect_records(&f, 1, "nobody's denied connect"));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_OUTBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_DENIED,
					 .addr = &a,
					 .port = port,
					 .pid = pid,
					 .exe = bin,
					 .uid = 65534 }));
	return 0;
}

/* Reported connects carry their outcome: established, or refused. */
static int test_outcomes(const void *arg)
{
	const enum probe_flavor *flavor = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), six = harness_addr_of("::1");
	struct policy_net_prefix pf[] = { prefix_of(&a), prefix_of(&six) };
	struct policy_net_port_range ports[2];
	struct policy_net_clause match = { .n_prefixes = 2, .prefixes = pf, .n_ports = 2 };
	struct probe_net_rule rule = { .direction = POLICY_NET_OUTBOUND,
				       .protocols = POLICY_NET_TCP,
				       .action = NET_ACTION_REPORT,
				       .match = &match };
	uint16_t open_port, closed_port;
	int e;

	/* The classic tracepoint goes with the other fallback: what older kernels run. */
	TRY(fixture_setup_flavor(&f, false, *flavor, *flavor == PROBE_FLAVOR_TRACEPOINT));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &open_port));
	TRY(harness_free_port(&a, &closed_port));
	ports[0] = (struct policy_net_port_range){ open_port, open_port };
	ports[1] = (struct policy_net_port_range){ closed_port, closed_port };
	match.ports = ports;
	TRY(apply(&f, &rule, 1));
	/* Each connect, how it ends, and the outcome its record carries. */
	const struct {
		const struct harness_addr *to;
		uint16_t port;
		int err;
		uint8_t outcome;
	} calls[] = {
		{ &a, open_port, 0, EVENT_NET_OUTCOME_ESTABLISHED },
		{ &a, closed_port, ECONNREFUSED, EVENT_NET_OUTCOME_REFUSED },
		{ &six, closed_port, ECONNREFUSED, EVENT_NET_OUTCOME_REFUSED },
	};

	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		e = try_send(calls[i].to, calls[i].port, SOCK_STREAM, i == 0 ? &cfd : NULL);
		CHECK(e == calls[i].err, "connect to [%s]:%u ended with %s, not %s",
		      calls[i].to->text, calls[i].port, err_name(e), err_name(calls[i].err));
	}
	TRY(expect_records(&f, ELEMENTSOF(calls), "three reported connects"));
	for (size_t i = 0; i < ELEMENTSOF(calls); i++)
		TRY(check_record(&f, i,
				 &(struct want){ .direction = EVENT_NET_OUTBOUND,
						 .protocol = IPPROTO_TCP,
						 .family = (uint8_t)calls[i].to->family,
						 .verdict = EVENT_NET_REPORTED,
						 .outcome = calls[i].outcome,
						 .addr = calls[i].to,
						 .port = calls[i].port }));
	return 0;
}

/* An accepted connection, judged by the listener's owner without a process. */
static int test_inbound(const void *arg)
{
	const enum probe_flavor *flavor = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF, afd = -EBADF;
	struct harness_addr a = harness_loopback4_random(), peer = harness_addr_of("127.0.0.1");
	struct sockaddr_in client;
	socklen_t len = sizeof(client);
	struct policy_net_port_range pr;
	struct policy_value root = { .text = "root" };
	struct policy_net_clause match = {
		.n_ports = 1, .ports = &pr, .n_users = 1, .users = &root
	};
	struct probe_net_rule rule = { .direction = POLICY_NET_INBOUND,
				       .protocols = POLICY_NET_TCP,
				       .action = NET_ACTION_REPORT,
				       .match = &match };
	uint16_t port;
	int e;

	TRY(fixture_setup_flavor(&f, false, *flavor, *flavor == PROBE_FLAVOR_TRACEPOINT));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	pr = (struct policy_net_port_range){ port, port };
	TRY(apply(&f, &rule, 1));
	e = try_send(&a, port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "connect ended with %s", err_name(e));
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(afd >= 0, "accept: %m");
	TRY(expect_records(&f, 1, "one accepted connection"));
	/* The remote end is the connecting socket. */
	CHECK(getsockname(cfd, (struct sockaddr *)&client, &len) == 0, "getsockname: %m");
	memcpy(peer.bytes, &client.sin_addr, 4);
	inet_ntop(AF_INET, &client.sin_addr, peer.text, sizeof(peer.text));
	TRY(check_record(&f, 0,
			 &(struct want){ .direction = EVENT_NET_INBOUND,
					 .protocol = IPPROTO_TCP,
					 .family = AF_INET,
					 .verdict = EVENT_NET_REPORTED,
					 .addr = &peer,
					 .port = ntohs(client.sin_port) }));
	CHECK(recs.ev[0].net.local_port == port &&
		      memcmp(recs.ev[0].net.local_addr, a.bytes, 4) == 0,
	      "inbound record local end %u, expected %s:%u", recs.ev[0].net.local_port, a.text,
	      port);
	return 0;
}

/* Of two rules that fire, a later deny wins over an earlier report rule. */
static int test_deny_wins(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct policy_net_prefix pf = prefix_of(&a);
	struct policy_net_clause report = { .n_prefixes = 1, .prefixes = &pf };
	struct one_rule deny;
	struct probe_net_rule rules[2];
	uint16_t open_port, denied;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &open_port));
	TRY(harness_free_port(&a, &denied));
	one_rule_init(&deny, &a, denied, NET_ACTION_DENY, POLICY_NET_TCP);
	rules[0] = (struct probe_net_rule){ .direction = POLICY_NET_OUTBOUND,
					    .protocols = POLICY_NET_TCP,
					    .action = NET_ACTION_REPORT,
					    .match = &report };
	rules[1] = deny.rule;
	TRY(apply(&f, rules, 2));
	e = try_send(&a, denied, SOCK_STREAM, NULL);
	CHECK(e == EPERM, "the deny rule should win over the report rule; connect ended with %s",
	      err_name(e));
	e = try_send(&a, open_port, SOCK_STREAM, &cfd);
	CHECK(e == 0, "the reported connect ended with %s", err_name(e));
	TRY(expect_records(&f, 2, "a denied and a reported connect"));
	CHECK(recs.ev[0].net.rule == 1 && recs.ev[0].net.verdict == EVENT_NET_DENIED,
	      "the denied connect's record names rule %u, verdict %s", recs.ev[0].net.rule,
	      event_net_verdict_to_string(recs.ev[0].net.verdict));
	CHECK(recs.ev[1].net.rule == 0 && recs.ev[1].net.verdict == EVENT_NET_REPORTED,
	      "the reported connect's record names rule %u, verdict %s", recs.ev[1].net.rule,
	      event_net_verdict_to_string(recs.ev[1].net.verdict));
	return 0;
}

/* A new generation replaces the old one at once. */
static int test_generations(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule one, two;
	uint16_t p1, p2;
	uint32_t g1, g2;
	int e;

	TRY(fixture_setup(&f, false));
	TRY(harness_free_port(&a, &p1));
	TRY(harness_free_port(&a, &p2));
	CHECK(p1 != p2, "the kernel gave the same port twice");
	CHECK(probe_net_gen(f.p) == 0, "a new probe has generation %u", probe_net_gen(f.p));
	one_rule_init(&one, &a, p1, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &one.rule, 1));
	g1 = probe_net_gen(f.p);
	CHECK(try_send(&a, p1, SOCK_STREAM, NULL) == EPERM, "generation 1 does not deny port 1");
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == ECONNREFUSED,
	      "generation 1 should not deny port 2");
	one_rule_init(&two, &a, p2, NET_ACTION_DENY, POLICY_NET_TCP);
	TRY(apply(&f, &two.rule, 1));
	g2 = probe_net_gen(f.p);
	CHECK(g2 != g1 && g2 != 0, "the generation did not change (%u, %u)", g1, g2);
	e = try_send(&a, p1, SOCK_STREAM, NULL);
	CHECK(e == ECONNREFUSED, "generation 2 should allow port 1, saw %s", err_name(e));
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == EPERM, "generation 2 does not deny port 2");
	TRY(expect_records(&f, 2, "one denied call per generation"));
	CHECK(recs.ev[0].net.gen == g1 && recs.ev[1].net.gen == g2,
	      "records carry generations %u and %u, expected %u and %u", recs.ev[0].net.gen,
	      recs.ev[1].net.gen, g1, g2);
	/* No rules: everything passes, and the kernel is told so. */
	TRY(apply(&f, NULL, 0));
	CHECK(probe_net_gen(f.p) == 0, "no rules should mean generation 0, saw %u",
	      probe_net_gen(f.p));
	CHECK(!probe_net_follows_tcp(f.p), "no rules, yet the TCP state tracepoint is attached");
	CHECK(try_send(&a, p2, SOCK_STREAM, NULL) == ECONNREFUSED, "no rules, still denied");
	return 0;
}

/* A policy as the agent has it, through probe_net_apply_policy(). */
static int test_policy(const void *arg)
{
	static const char tmpl[] =
		"{ \"id\": \"net-it\", \"serial\": 1, \"mode\": \"enforce\", \"rules\": ["
		"  { \"id\": \"report-port\", \"type\": \"network\", \"title\": \"t\","
		"    \"severity\": \"low\", \"direction\": \"outbound\", \"protocol\": \"tcp\","
		"    \"match\": { \"address\": \"loopback\", \"port\": @REPORT@ },"
		"    \"effect\": \"report\", \"message\": { \"en\": \"m\" },"
		"    \"remediation\": { \"en\": \"r\" } },"
		"  { \"id\": \"deny-range\", \"type\": \"network\", \"title\": \"t\","
		"    \"severity\": \"high\", \"direction\": \"outbound\","
		"    \"match\": { \"address\": \"@ADDR@/32\", \"port\": \"@FIRST@-@LAST@\" },"
		"    \"except\": [ { \"port\": @HOLE@ } ],"
		"    \"effect\": \"deny\", \"message\": { \"en\": \"m\" },"
		"    \"remediation\": { \"en\": \"r\" } } ] }";
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int lfd = -EBADF, cfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	policy_errors *errors = policy_errors_new();
	policy *pol = NULL;
	char report[8], first[8], last[8], hole[8];
	const policy_rule *rule;
	uint16_t lport, base;
	int r, e;

	CHECK(errors, "Out of memory");
	TRY(fixture_setup(&f, false));
	TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &lport));
	TRY(harness_free_port(&a, &base));
	if (base > 65000)
		base = 40000;
	snprintf(report, sizeof(report), "%u", lport);
	snprintf(first, sizeof(first), "%u", base);
	snprintf(last, sizeof(last), "%u", base + 10);
	snprintf(hole, sizeof(hole), "%u", base + 5);
	text = harness_substitute(tmpl,
				  (const char *const[]){ "REPORT", report, "ADDR", a.text, "FIRST",
							 first, "LAST", last, "HOLE", hole, NULL });
	CHECK(text, "Out of memory");
	r = policy_parse("net-it.json", text, strlen(text), errors, &pol);
	if (r < 0) {
		for (size_t i = 0; i < policy_errors_count(errors); i++) {
			char *msg = NULL;

			if (policy_error_format(policy_errors_get(errors, i), &msg) == 0)
				harness_note("%s", msg);
			free(msg);
		}
		policy_errors_free(errors);
		return harness_fail("the test policy does not parse: %s", strerror(-r));
	}
	policy_errors_free(errors);
	r = probe_net_apply_policy(f.p, pol);
	policy_unref(pol);
	CHECK(r == 0, "probe_net_apply_policy: %s", strerror(-r));

	/* The range denies, but for its hole. */
	e = try_send(&a, (uint16_t)(base + 3), SOCK_STREAM, NULL);
	CHECK(e == EPERM, "port %u in the denied range ended with %s", base + 3, err_name(e));
	e = try_send(&a, (uint16_t)(base + 5), SOCK_DGRAM, NULL);
	CHECK(e == 0, "port %u (the except) ended with %s", base + 5, err_name(e));
	e = try_send(&a, (uint16_t)(base + 10), SOCK_DGRAM, NULL);
	CHECK(e == EPERM, "port %u (the range's last) ended with %s", base + 10, err_name(e));
	e = try_send(&a, (uint16_t)(base + 11), SOCK_DGRAM, NULL);
	CHECK(e == 0, "port %u (past the range) ended with %s", base + 11, err_name(e));
	e = try_send(&a, lport, SOCK_STREAM, &cfd);
	CHECK(e == 0, "the reported connect ended with %s", err_name(e));
	TRY(expect_records(&f, 3, "two denied calls and one reported connect"));
	CHECK(recs.ev[0].net.rule == 1 && recs.ev[1].net.rule == 1 && recs.ev[2].net.rule == 0,
	      "records name rules %u %u %u, expected 1 1 0", recs.ev[0].net.rule,
	      recs.ev[1].net.rule, recs.ev[2].net.rule);
	rule = probe_net_rule_of(f.p, recs.ev[0].net.gen, recs.ev[0].net.rule);
	CHECK(rule && strcmp(policy_rule_id(rule), "deny-range") == 0,
	      "probe_net_rule_of() does not find the rule \"deny-range\"");
	rule = probe_net_rule_of(f.p, recs.ev[2].net.gen, recs.ev[2].net.rule);
	CHECK(rule && strcmp(policy_rule_id(rule), "report-port") == 0,
	      "probe_net_rule_of() does not find the rule \"report-port\"");
	CHECK(recs.ev[2].net.outcome == EVENT_NET_OUTCOME_ESTABLISHED,
	      "the reported connect's outcome is %s",
	      event_net_outcome_to_string(recs.ev[2].net.outcome));
	return 0;
}

/* The default attachment: the cgroup v2 root (a report rule only: others run tests here). */
static int test_root(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct one_rule o;
	uint16_t port;

	TRY(fixture_setup(&f, true));
	CHECK(strcmp(probe_net_cgroup(f.p), own_cgroup_root()) == 0,
	      "the probe attached to %s, the cgroup v2 root is %s", probe_net_cgroup(f.p),
	      own_cgroup_root());
	TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, NET_ACTION_REPORT, POLICY_NET_UDP);
	TRY(apply(&f, &o.rule, 1));
	CHECK(try_send(&a, port, SOCK_DGRAM, NULL) == 0, "a reported datagram was not sent");
	TRY(expect_records(&f, 1, "a datagram from a cgroup below the root"));
	return 0;
}

/* More keys than the aggregation map holds: one record for each event past it, none lost. */
static int test_agg_full(const void *arg)
{
	_cleanup_fixture_ struct fixture f = {};
	struct harness_addr a = harness_loopback4_random();
	struct policy_net_prefix pf = prefix_of(&a);
	struct policy_net_port_range ports = { 20000, 20000 + NET_AGG_ENTRIES + 100 };
	struct policy_net_clause match = {
		.n_prefixes = 1, .prefixes = &pf, .n_ports = 1, .ports = &ports
	};
	struct probe_net_rule rule = { .direction = POLICY_NET_OUTBOUND,
				       .protocols = POLICY_NET_UDP,
				       .action = NET_ACTION_DENY,
				       .match = &match };
	const unsigned keys = NET_AGG_ENTRIES + 100, repeats = 50;
	struct sweep_sum sum = {};
	uint64_t st[_NET_STAT_MAX], in_records = 0;
	size_t not_aggregated = 0;

	TRY(fixture_setup(&f, false));
	TRY(apply(&f, &rule, 1));
	/* Denied datagrams never leave: any port of the range will do. */
	for (unsigned i = 0; i < keys; i++) {
		int e = try_send(&a, (uint16_t)(ports.first + i), SOCK_DGRAM, NULL);

		CHECK(e == EPERM, "sendto port %u ended with %s", ports.first + i, err_name(e));
		if (i % 1000 == 999)
			TRY(drain(&f));
	}
	/* A key that found the map full, again: a record each time. */
	for (unsigned i = 0; i < repeats; i++)
		CHECK(try_send(&a, (uint16_t)(ports.first + keys - 1), SOCK_DGRAM, NULL) == EPERM,
		      "a repeated sendto was not denied");
	TRY(drain(&f));
	CHECK(probe_net_sweep(f.p, 0, on_delta, &sum) >= 0, "the sweep failed");
	TRY(stats(&f, st));
	for (size_t i = 0; i < recs.n; i++) {
		in_records += recs.ev[i].net.count;
		not_aggregated += recs.ev[i].net.not_aggregated;
	}
	harness_note("%u keys, %u repeats: %zu records (%zu not aggregated), %llu in deltas, "
		     "%llu lost",
		     keys, repeats, recs.n, not_aggregated, (unsigned long long)sum.total,
		     (unsigned long long)st[NET_STAT_LOST]);
	CHECK(st[NET_STAT_LOST] == 0, "%llu records lost", (unsigned long long)st[NET_STAT_LOST]);
	CHECK(recs.n == keys + repeats && sum.total == 0,
	      "expected %u records and no deltas, saw %zu records and %llu in deltas",
	      keys + repeats, recs.n, (unsigned long long)sum.total);
	CHECK(not_aggregated == keys + repeats - NET_AGG_ENTRIES,
	      "%zu records say the map was full, expected %u", not_aggregated,
	      keys + repeats - NET_AGG_ENTRIES);
	CHECK(in_records == keys + repeats, "records count %llu events, expected %u",
	      (unsigned long long)in_records, keys + repeats);
	CHECK(sum.removed == NET_AGG_ENTRIES && probe_net_live_keys(f.p) == 0,
	      "the idle sweep removed %u keys (expected %u), %zu left", sum.removed,
	      NET_AGG_ENTRIES, probe_net_live_keys(f.p));
	return 0;
}

struct storm_case {
	unsigned n;
	bool connected; /* reported, established connections; else denied connects */
};

/* Many events of one key: every one accounted for, exactly. */
static int test_storm(const void *arg)
{
	const struct storm_case *c = arg;
	_cleanup_fixture_ struct fixture f = {};
	_cleanup_close_ int lfd = -EBADF;
	struct harness_addr a = harness_loopback4_random();
	struct sweep_sum sum = {};
	struct one_rule o;
	uint64_t st[_NET_STAT_MAX], outcome_total, in_records = 0;
	unsigned outcome = c->connected ? EVENT_NET_OUTCOME_ESTABLISHED : EVENT_NET_OUTCOME_NONE;
	uint16_t port;
	int64_t begin;

	TRY(fixture_setup(&f, false));
	if (c->connected)
		TRY(harness_sock_open(&a, SOCK_STREAM, &lfd, &port));
	else
		TRY(harness_free_port(&a, &port));
	one_rule_init(&o, &a, port, c->connected ? NET_ACTION_REPORT : NET_ACTION_DENY,
		      POLICY_NET_TCP);
	TRY(apply(&f, &o.rule, 1));
	begin = harness_now_ms();
	for (unsigned i = 0; i < c->n; i++) {
		int cfd = -1, e = try_send(&a, port, SOCK_STREAM, c->connected ? &cfd : NULL);

		if (c->connected) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			int afd;

			CHECK(e == 0, "connection %u ended with %s", i, err_name(e));
			afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			CHECK(afd >= 0, "accept %u: %m", i);
			/* A reset, not TIME_WAIT: the storm must not run out of ports. */
			(void)setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(cfd);
			close(afd);
		} else {
			CHECK(e == EPERM, "connect %u ended with %s", i, err_name(e));
		}
		if ((i + 1) % (c->n / STORM_SWEEPS) == 0) {
			TRY(drain(&f));
			CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) >= 0,
			      "a sweep failed");
		}
	}
	TRY(drain(&f));
	CHECK(probe_net_sweep(f.p, UINT64_MAX / 2, on_delta, &sum) >= 0, "the last sweep failed");
	CHECK(probe_net_live_keys(f.p) == 1, "after the storm one key should be live, not %zu",
	      probe_net_live_keys(f.p));
	/* Idle from the start of the storm: removed, with its last counts. */
	CHECK(probe_net_sweep(f.p, 0, on_delta, &sum) >= 0, "the removing sweep failed");
	CHECK(probe_net_live_keys(f.p) == 0, "%zu keys are live after the removing sweep",
	      probe_net_live_keys(f.p));
	TRY(stats(&f, st));
	for (size_t i = 0; i < recs.n; i++) {
		CHECK(recs.ev[i].net.outcome == outcome, "record %zu has outcome %s", i,
		      event_net_outcome_to_string(recs.ev[i].net.outcome));
		in_records += recs.ev[i].net.count;
	}
	outcome_total = sum.count[outcome];
	harness_note("%u %s in %.2f s: %llu in records, %llu in %u sweep deltas, %llu lost; "
		     "stats sent %llu aggregated %llu denied %llu",
		     c->n, c->connected ? "connections" : "denied connects",
		     (double)(harness_now_ms() - begin) / 1000.0, (unsigned long long)in_records,
		     (unsigned long long)sum.total, sum.calls,
		     (unsigned long long)st[NET_STAT_LOST], (unsigned long long)st[NET_STAT_SENT],
		     (unsigned long long)st[NET_STAT_AGGREGATED],
		     (unsigned long long)st[NET_STAT_DENIED]);
	CHECK(sum.total == outcome_total, "deltas of another outcome: %llu of %llu",
	      (unsigned long long)(sum.total - outcome_total), (unsigned long long)sum.total);
	CHECK(in_records + sum.total + st[NET_STAT_LOST] == c->n,
	      "records (%llu) + deltas (%llu) + lost (%llu) = %llu, expected %u",
	      (unsigned long long)in_records, (unsigned long long)sum.total,
	      (unsigned long long)st[NET_STAT_LOST],
	      (unsigned long long)(in_records + sum.total + st[NET_STAT_LOST]), c->n);
	CHECK(st[NET_STAT_SENT] == in_records && st[NET_STAT_AGGREGATED] == sum.total,
	      "the kernel's stats (sent %llu, aggregated %llu) disagree with what arrived",
	      (unsigned long long)st[NET_STAT_SENT], (unsigned long long)st[NET_STAT_AGGREGATED]);
	if (!c->connected)
		CHECK(st[NET_STAT_DENIED] == c->n, "denied %llu of %u",
		      (unsigned long long)st[NET_STAT_DENIED], c->n);
	CHECK(sum.removed == 1, "the idle key should have been removed once, %u times",
	      sum.removed);
	return 0;
}

#define DENY_CASE(...)	(&(const struct deny_case){ __VA_ARGS__ })
#define EXE_CASE(...)	(&(const struct exe_case){ __VA_ARGS__ })
#define STORM_CASE(...) (&(const struct storm_case){ __VA_ARGS__ })
#define FLAVOR(f)	(&(const enum probe_flavor){ f })

static const struct harness_fixture deny_fixtures[] = {
	{ "deny_connect_ipv4", deny_setup, deny_teardown, DENY_CASE(.type = SOCK_STREAM) },
	{ "deny_connect_ipv6_loopback", deny_setup, deny_teardown,
	  DENY_CASE(.addr = "::1", .type = SOCK_STREAM) },
	{ "deny_connect_v4mapped_as_ipv4", deny_setup, deny_teardown,
	  DENY_CASE(.type = SOCK_STREAM, .connect_to = "v4mapped") },
	{ "deny_udp_sendto_ipv4", deny_setup, deny_teardown, DENY_CASE(.type = SOCK_DGRAM) },
	{ "deny_udp_sendto_ipv6_loopback", deny_setup, deny_teardown,
	  DENY_CASE(.addr = "::1", .type = SOCK_DGRAM) },
};

/* The tests of one deny fixture, each doing the steps before it that it needs. */
#define DENY_TESTS(name, fx)                                                                      \
	HARNESS_FIXTURE_TEST(name "/needs_no_tcp_state", test_deny_no_tcp_state, NULL, fx),       \
		HARNESS_FIXTURE_TEST(name "/denied_with_one_record", test_deny_first, NULL, fx),  \
		HARNESS_FIXTURE_TEST(name "/repeats_swept_not_recorded", test_deny_repeats, NULL, \
				     fx),                                                         \
		HARNESS_FIXTURE_TEST(name "/idle_sweep_hands_on_nothing", test_deny_idle_sweep,   \
				     NULL, fx),                                                   \
		HARNESS_FIXTURE_TEST(name "/kernel_stats_count_each_call", test_deny_stats, NULL, \
				     fx)

static const struct harness_test tests[] = {
	DENY_TESTS("deny_connect_ipv4", &deny_fixtures[0]),
	DENY_TESTS("deny_connect_ipv6_loopback", &deny_fixtures[1]),
	DENY_TESTS("deny_connect_v4mapped_as_ipv4", &deny_fixtures[2]),
	DENY_TESTS("deny_udp_sendto_ipv4", &deny_fixtures[3]),
	DENY_TESTS("deny_udp_sendto_ipv6_loopback", &deny_fixtures[4]),
	HARNESS_TEST("monitor_connects_and_reports", test_monitor, NULL),
	HARNESS_TEST("allowed_traffic_makes_no_record", test_allowed, NULL),
	HARNESS_TEST("protocol_scope", test_protocol_scope, NULL),
	HARNESS_TEST("listen_any_address_denied_loopback_excepted", test_listen_any, NULL),
	HARNESS_TEST("path_scoped_rule", test_exe_scope, EXE_CASE(.by_name = false)),
	HARNESS_TEST("name_scoped_rule", test_exe_scope, EXE_CASE(.by_name = true)),
	HARNESS_TEST("path_scoped_rule/probe_read", test_exe_scope,
		     EXE_CASE(.by_name = false, .probe_read = true)),
	HARNESS_TEST("name_scoped_rule/probe_read", test_exe_scope,
		     EXE_CASE(.by_name = true, .probe_read = true)),
	HARNESS_TEST("user_scoped_rule", test_user_scope, NULL),
	HARNESS_TEST("outcome_established_refused/tp_btf", test_outcomes,
		     FLAVOR(PROBE_FLAVOR_TP_BTF)),
	HARNESS_TEST("outcome_established_refused/tracepoint", test_outcomes,
		     FLAVOR(PROBE_FLAVOR_TRACEPOINT)),
	HARNESS_TEST("inbound_accept_reported/tp_btf", test_inbound, FLAVOR(PROBE_FLAVOR_TP_BTF)),
	HARNESS_TEST("inbound_accept_reported/tracepoint", test_inbound,
		     FLAVOR(PROBE_FLAVOR_TRACEPOINT)),
	HARNESS_TEST("deny_wins_over_earlier_report", test_deny_wins, NULL),
	HARNESS_TEST("generation_switch", test_generations, NULL),
	HARNESS_TEST("policy_applied", test_policy, NULL),
	HARNESS_TEST("attach_at_cgroup_root", test_root, NULL),
	HARNESS_TEST("aggregation_map_full", test_agg_full, NULL),
	HARNESS_TEST("storm_50000_denied", test_storm, STORM_CASE(.n = STORM_DENIED)),
	HARNESS_TEST("storm_50000_established", test_storm,
		     STORM_CASE(.n = STORM_CONNECTED, .connected = true)),
};

HARNESS_MAIN_WITH_INTRO(tests, probe_log_setup)
