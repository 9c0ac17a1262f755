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
 *
 * This file has what the suite's files share (net_probe.h) and its main();
 * the tests are in net_probe_deny.c (denied calls, their records and
 * sweeps), net_probe_match.c (what a rule matches and what it leaves alone),
 * net_probe_rules.c (outcomes, inbound, several rules, generations, a
 * policy, the root), net_probe_storm.c (a full map, storms) and
 * net_probe_attack.c (what attacks do, and their ordinary cousins).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../helpers/own_cgroup.h"
#include "net_probe.h"
#include "postured/probe_common.h"

/* --- records and sweeps ----------------------------------------------------------- */

struct recs recs;

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

void recs_clear(void)
{
	free(recs.ev);
	recs = (struct recs){};
}

int on_delta(void *userdata, const struct probe_net_delta *d)
{
	struct sweep_sum *s = userdata;

	s->calls++;
	s->removed += d->removed;
	s->stale += d->stale;
	for (size_t o = 0; o < _EVENT_NET_OUTCOME_MAX; o++)
		s->count[o] += d->count[o];
	s->total += d->total;
	s->last_key = *d->key;
	s->last_attempts = d->attempts;
	s->last_ports = d->ports;
	s->last_addrs = d->addrs;
	s->last_partial = d->scan_partial;
	s->last_n_samples = d->n_samples;
	memset(s->last_samples, 0, sizeof(s->last_samples));
	memcpy(s->last_samples, d->samples, d->n_samples * sizeof(*d->samples));
	return 0;
}

/* --- the test's own cgroup, and the probe ----------------------------------------- */

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

int fixture_setup_flavor(struct fixture *f, bool at_root, enum probe_flavor flavor, bool probe_read)
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

int fixture_setup(struct fixture *f, bool at_root)
{
	return fixture_setup_flavor(f, at_root, PROBE_FLAVOR_AUTO, false);
}

void fixture_teardown(struct fixture *f)
{
	/* Detach first: no rule of ours outlives the test. */
	f->p = probe_net_free(f->p);
	own_cgroup_leave(f->cg, f->home);
	f->cg[0] = '\0';
	recs_clear();
}

int stats(struct fixture *f, uint64_t s[_NET_STAT_MAX])
{
	int r = probe_net_stats(f->p, s);

	if (r < 0)
		return harness_fail("probe_net_stats: %s", strerror(-r));
	return 0;
}

int drain(struct fixture *f)
{
	int r = probe_net_drain(f->p);

	if (r < 0)
		return harness_fail("probe_net_drain: %s", strerror(-r));
	CHECK(recs.malformed == 0, "%u records did not decode as network records", recs.malformed);
	CHECK(recs.overflow == 0, "more records than the test keeps (%u over)", recs.overflow);
	return 0;
}

int apply(struct fixture *f, const struct probe_net_rule *rules, size_t n)
{
	int r = probe_net_apply_rules(f->p, rules, n);

	if (r < 0)
		return harness_fail("probe_net_apply_rules: %s", strerror(-r));
	return 0;
}

/* --- addresses, ports, sockets ---------------------------------------------------- */

struct policy_net_prefix prefix_of(const struct harness_addr *a)
{
	struct policy_net_prefix p = { .family = (uint8_t)a->family,
				       .prefixlen = a->family == AF_INET ? 32 : 128 };

	memcpy(p.addr, a->bytes, sizeof(p.addr));
	return p;
}

int try_send(const struct harness_addr *a, uint16_t port, int type, int *ret_fd)
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

int try_bind(const struct harness_addr *a, uint16_t port)
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

int run_helper(const char *path, const char *what, const struct harness_addr *a, uint16_t port,
	       const struct harness_child_opts *co, pid_t *ret_pid)
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

/* --- checking records ------------------------------------------------------------- */

int check_record(const struct fixture *f, size_t i, const struct want *w)
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

int expect_records(struct fixture *f, size_t n, const char *what)
{
	TRY(drain(f));
	CHECK(recs.n == n, "%s: expected %zu record(s), saw %zu", what, n, recs.n);
	return 0;
}

const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

void one_rule_init(struct one_rule *o, const struct harness_addr *a, uint16_t port,
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

HARNESS_MAIN_TABLES_WITH_INTRO(probe_log_setup, &net_probe_deny_table, &net_probe_match_table,
			       &net_probe_rules_table, &net_probe_storm_table,
			       &net_probe_attack_table)
