// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * netbench: what the network probe costs a connection (issue 4).
 *
 * A loopback TCP connect storm (connect, accept, close with a reset so no
 * port lingers in TIME_WAIT) under a policy of a few network rules, for two
 * kinds of traffic: traffic no rule matches, which the kernel lets through
 * without a trace, and traffic a report rule matches, which the kernel counts
 * (one record, then aggregated counts and the connection's outcome).  The
 * probe is loaded once; each round times one batch with its programs
 * detached and one with them attached, in alternating order, so the load of
 * the rest of the machine falls on both alike.  Prints the median over the
 * rounds of the with/without ratio of each kind (target <= 1.10), by wall
 * time and by this process's CPU time, the records lost (target 0), and
 * checks that every reported connection is accounted for exactly.
 *
 *   netbench     sizes: BENCH_NET_CONNECTIONS per batch (default 2000),
 *                BENCH_NET_ROUNDS (default 21)
 *
 * Needs root.  The probe is attached to a cgroup of the bench's own, which it
 * moves into, so other programs on the machine never meet its rules; the
 * rules name only the bench's own addresses and ports or ones nobody uses.
 * Exits 0 when every target holds, 1 otherwise, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../helpers/own_cgroup.h"
#include "basic/log.h"
#include "postured/probe_common.h"
#include "postured/probe_net.h"

#define TARGET_RATIO	1.10
#define ROUNDS_MAX	1001
#define CONNECTIONS_MAX 1000000UL
#define WARMUP		200

enum { TRAFFIC_NONE, TRAFFIC_REPORT, _TRAFFIC_MAX };

static const char *const traffic_name[] = { "matching no rule", "matching a report rule" };

struct bench {
	char cg[PATH_MAX];
	char home[2 * PATH_MAX];
	struct sockaddr_in addr[_TRAFFIC_MAX];
	int lfd[_TRAFFIC_MAX];
	uint16_t port[_TRAFFIC_MAX];
	uint64_t records, counted, lost, records_none;
};

static int on_record(void *userdata, const void *data, size_t size)
{
	struct bench *b = userdata;
	const struct event_net *e = data;

	if (size != sizeof(*e) || e->header.kind != EVENT_KIND_NET)
		return 0;
	if (e->remote_port == b->port[TRAFFIC_REPORT])
		b->records += e->count;
	else
		b->records_none += e->count;
	return 0;
}

static int on_delta(void *userdata, const struct probe_net_delta *d)
{
	struct bench *b = userdata;

	if (d->n_samples > 0 && d->samples[0].port == b->port[TRAFFIC_REPORT])
		b->counted += d->total;
	else
		b->records_none += d->total;
	return 0;
}

static unsigned long env_number(const char *name, unsigned long def, unsigned long max)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "netbench: %s must be a number from 1 to %lu, not '%s'\n", name,
			max, s);
		exit(2);
	}
	return v;
}

static int cgroup_setup(struct bench *b)
{
	const char *root = own_cgroup_root();
	int r;

	if (!root) {
		fprintf(stderr, "netbench: no cgroup v2 hierarchy is mounted\n");
		return -ENOENT;
	}
	r = own_cgroup_current(root, b->home, sizeof(b->home));
	if (r < 0)
		return r;
	snprintf(b->cg, sizeof(b->cg), "%s/postured-netbench.%d", root, (int)getpid());
	if (mkdir(b->cg, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		b->cg[0] = '\0';
		fprintf(stderr, "netbench: cannot create a cgroup under %s: %s\n", root,
			strerror(-r));
		return r;
	}
	r = own_cgroup_enter(b->cg);
	if (r < 0)
		fprintf(stderr, "netbench: cannot move into %s: %s\n", b->cg, strerror(-r));
	return r;
}

static int listener(struct bench *b, int t, uint8_t x)
{
	socklen_t len = sizeof(b->addr[t]);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	b->addr[t] = (struct sockaddr_in){ .sin_family = AF_INET,
					   .sin_addr.s_addr = htonl(0x7f000000U | x) };
	if (bind(fd, (struct sockaddr *)&b->addr[t], len) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&b->addr[t], &len) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	b->lfd[t] = fd;
	b->port[t] = ntohs(b->addr[t].sin_port);
	return 0;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct timing {
	uint64_t wall, cpu; /* ns */
};

/* n connections to traffic t's listener; false on failure. */
static bool storm(struct bench *b, int t, unsigned long n, struct timing *ret)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

	for (unsigned long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), a;

		if (c < 0 || connect(c, (struct sockaddr *)&b->addr[t], sizeof(b->addr[t])) < 0) {
			fprintf(stderr, "netbench: connect %lu: %s\n", i, strerror(errno));
			if (c >= 0)
				close(c);
			return false;
		}
		a = accept4(b->lfd[t], NULL, NULL, SOCK_CLOEXEC);
		if (a < 0) {
			fprintf(stderr, "netbench: accept %lu: %s\n", i, strerror(errno));
			close(c);
			return false;
		}
		/* A reset instead of TIME_WAIT: ports do not run out. */
		(void)setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		close(a);
	}
	if (ret) {
		ret->wall = now_ns(CLOCK_MONOTONIC) - w0;
		ret->cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	}
	return true;
}

/*
 * The policy: a few rules of the kinds a laptop has.  Only rule 3 matches the
 * bench's report traffic; the deny rules name nothing anybody uses.
 */
struct policy_rules {
	struct policy_net_prefix testnet, mine, loop[2], private4[3];
	struct policy_net_port_range mail[3], report, ssh;
	const char *name;
	struct policy_net_clause deny_testnet, mail_out, mail_private, listen_all, listen_loop,
		report_mine, ssh_in, deny_name;
	const struct policy_net_clause *mail_except[1], *listen_except[1];
	struct probe_net_rule rules[6];
};

static void rules_init(struct policy_rules *p, const struct bench *b)
{
	*p = (struct policy_rules){
		.testnet = { .family = AF_INET, .prefixlen = 24, .addr = { 192, 0, 2 } },
		.loop = { { .family = AF_INET, .prefixlen = 8, .addr = { 127 } },
			  { .family = AF_INET6, .prefixlen = 128, .addr = { [15] = 1 } } },
		.private4 = { { .family = AF_INET, .prefixlen = 8, .addr = { 10 } },
			      { .family = AF_INET, .prefixlen = 12, .addr = { 172, 16 } },
			      { .family = AF_INET, .prefixlen = 16, .addr = { 192, 168 } } },
		.mail = { { 25, 25 }, { 465, 465 }, { 587, 587 } },
		.report = { b->port[TRAFFIC_REPORT], b->port[TRAFFIC_REPORT] },
		.ssh = { 22, 22 },
		.name = "telnet",
	};
	p->mine = (struct policy_net_prefix){ .family = AF_INET, .prefixlen = 32 };
	memcpy(p->mine.addr, &b->addr[TRAFFIC_REPORT].sin_addr, 4);
	p->deny_testnet = (struct policy_net_clause){ .n_prefixes = 1, .prefixes = &p->testnet };
	p->mail_out = (struct policy_net_clause){ .n_ports = 3, .ports = p->mail };
	p->mail_private = (struct policy_net_clause){ .n_prefixes = 3, .prefixes = p->private4 };
	p->listen_loop = (struct policy_net_clause){ .n_prefixes = 2, .prefixes = p->loop };
	p->report_mine = (struct policy_net_clause){
		.n_prefixes = 1, .prefixes = &p->mine, .n_ports = 1, .ports = &p->report
	};
	p->ssh_in = (struct policy_net_clause){ .n_ports = 1, .ports = &p->ssh };
	p->deny_name = (struct policy_net_clause){ .n_names = 1, .names = &p->name };
	p->mail_except[0] = &p->mail_private;
	p->listen_except[0] = &p->listen_loop;
	p->rules[0] = (struct probe_net_rule){
		POLICY_NET_OUTBOUND, POLICY_NET_TCP, NET_ACTION_DENY, &p->deny_testnet, 0, NULL
	};
	p->rules[1] = (struct probe_net_rule){ POLICY_NET_OUTBOUND,
					       POLICY_NET_TCP | POLICY_NET_UDP,
					       NET_ACTION_REPORT,
					       &p->mail_out,
					       1,
					       p->mail_except };
	p->rules[2] = (struct probe_net_rule){ POLICY_NET_LISTEN,
					       POLICY_NET_TCP | POLICY_NET_UDP,
					       NET_ACTION_REPORT,
					       &p->listen_all,
					       1,
					       p->listen_except };
	p->rules[3] = (struct probe_net_rule){
		POLICY_NET_OUTBOUND, POLICY_NET_TCP, NET_ACTION_REPORT, &p->report_mine, 0, NULL
	};
	p->rules[4] = (struct probe_net_rule){
		POLICY_NET_INBOUND, POLICY_NET_TCP, NET_ACTION_REPORT, &p->ssh_in, 0, NULL
	};
	p->rules[5] = (struct probe_net_rule){ POLICY_NET_OUTBOUND,
					       POLICY_NET_TCP | POLICY_NET_UDP,
					       NET_ACTION_DENY,
					       &p->deny_name,
					       0,
					       NULL };
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* One batch with the probe's programs attached or not. */
static bool batch(struct bench *b, probe_net *p, int t, unsigned long n, bool with,
		  struct timing *ret)
{
	if (probe_net_attach(p, with) < 0)
		return false;
	if (!storm(b, t, n, ret))
		return false;
	/* The agent's work, outside the timed part: records and a sweep. */
	if (probe_net_drain(p) < 0 || probe_net_sweep(p, UINT64_MAX / 2, on_delta, b) < 0) {
		fprintf(stderr, "netbench: cannot read the probe's records and counts\n");
		return false;
	}
	return true;
}

static void row(const char *metric, const char *value, const char *target, const char *result)
{
	printf("%-58s %14s  %-8s %s\n", metric, value, target, result);
}

int main(void)
{
	unsigned long n = env_number("BENCH_NET_CONNECTIONS", 2000, CONNECTIONS_MAX);
	unsigned long rounds = env_number("BENCH_NET_ROUNDS", 21, ROUNDS_MAX);
	static double wall_ratio[_TRAFFIC_MAX][ROUNDS_MAX], cpu_ratio[_TRAFFIC_MAX][ROUNDS_MAX],
		wall_us[2][_TRAFFIC_MAX][ROUNDS_MAX];
	struct probe_net_config cfg = PROBE_NET_CONFIG_DEFAULT;
	struct bench b = { .lfd = { -1, -1 } };
	double ratio[_TRAFFIC_MAX], cpu[_TRAFFIC_MAX], us[2][_TRAFFIC_MAX];
	uint64_t st[_NET_STAT_MAX];
	struct policy_rules rules;
	probe_net *p = NULL;
	unsigned long expected;
	char val[64], metric[128];
	int ret = 1, failed = 0;
	uint8_t x;

	if (geteuid() != 0) {
		fprintf(stderr, "netbench: run as root: it loads eBPF programs\n");
		return 2;
	}
	log_set_max_level(LOG_WARNING);
	probe_log_setup();
	if (getrandom(&x, 1, 0) != 1)
		x = 9;
	if (cgroup_setup(&b) < 0)
		goto out;
	if (listener(&b, TRAFFIC_NONE, (uint8_t)(2 + x % 250)) < 0 ||
	    listener(&b, TRAFFIC_REPORT, (uint8_t)(2 + x % 250)) < 0) {
		fprintf(stderr, "netbench: cannot listen on loopback: %s\n", strerror(errno));
		goto out;
	}
	rules_init(&rules, &b);
	cfg.cgroup_path = b.cg;
	if (probe_net_new(&cfg, on_record, &b, &p) < 0)
		goto out;
	if (probe_net_apply_rules(p, rules.rules, ELEMENTSOF(rules.rules)) < 0) {
		fprintf(stderr, "netbench: the rules do not apply\n");
		goto out;
	}

	fprintf(stderr,
		"netbench: %lu rounds of %lu loopback connections, each kind of traffic with and "
		"without the probe attached\n",
		rounds, n);
	/* Warm the machine up once, without the probe: its first record comes in a round. */
	if (!batch(&b, p, TRAFFIC_NONE, WARMUP, false, NULL) ||
	    !batch(&b, p, TRAFFIC_REPORT, WARMUP, false, NULL))
		goto out;
	b.records = b.counted = b.records_none = 0;
	if (probe_net_stats(p, st) < 0)
		goto out;
	b.lost = st[NET_STAT_LOST];
	for (unsigned long r = 0; r < rounds; r++)
		for (int t = 0; t < _TRAFFIC_MAX; t++) {
			/* Alternate which goes first, so neither always runs on a warmer machine. */
			bool probe_first = (r + (unsigned long)t) % 2;
			struct timing tm[2];

			for (int k = 0; k < 2; k++) {
				bool with = probe_first == (k == 0);

				if (!batch(&b, p, t, n, with, &tm[with]))
					goto out;
			}
			wall_ratio[t][r] = (double)tm[1].wall / (double)tm[0].wall;
			cpu_ratio[t][r] = (double)tm[1].cpu / (double)tm[0].cpu;
			for (int w = 0; w < 2; w++)
				wall_us[w][t][r] = (double)tm[w].wall / 1e3 / (double)n;
		}
	if (probe_net_stats(p, st) < 0)
		goto out;
	b.lost = st[NET_STAT_LOST] - b.lost;

	for (int t = 0; t < _TRAFFIC_MAX; t++) {
		ratio[t] = median(wall_ratio[t], rounds);
		cpu[t] = median(cpu_ratio[t], rounds);
		for (int w = 0; w < 2; w++)
			us[w][t] = median(wall_us[w][t], rounds);
	}
	expected = n * rounds;

	printf("\npostured network probe bench: %lu rounds of %lu loopback TCP connections per "
	       "kind, %zu network rules\n",
	       rounds, n, ELEMENTSOF(rules.rules));
	row("metric", "value", "target", "result");
	printf("%.*s\n", 91,
	       "-------------------------------------------------------------------"
	       "-----------------------------------------");
	for (int t = 0; t < _TRAFFIC_MAX; t++) {
		snprintf(metric, sizeof(metric), "us/connection, %s, without / with",
			 traffic_name[t]);
		snprintf(val, sizeof(val), "%.2f / %.2f", us[0][t], us[1][t]);
		row(metric, val, "-", "info");
		snprintf(metric, sizeof(metric), "with/without ratio, %s", traffic_name[t]);
		snprintf(val, sizeof(val), "%.3f", ratio[t]);
		row(metric, val, "<= 1.10", ratio[t] <= TARGET_RATIO ? "PASS" : "FAIL");
		failed += ratio[t] > TARGET_RATIO;
		snprintf(metric, sizeof(metric), "with/without ratio by CPU time, %s",
			 traffic_name[t]);
		snprintf(val, sizeof(val), "%.3f", cpu[t]);
		row(metric, val, "-", "info");
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)b.lost);
	row("records lost (ring full)", val, "0", b.lost == 0 ? "PASS" : "FAIL");
	failed += b.lost != 0;
	snprintf(val, sizeof(val), "%llu + %llu + %llu", (unsigned long long)b.records,
		 (unsigned long long)b.counted, (unsigned long long)b.lost);
	snprintf(metric, sizeof(metric), "reported connections: records + swept + lost = %lu",
		 expected);
	row(metric, val, "exact", b.records + b.counted + b.lost == expected ? "PASS" : "FAIL");
	failed += b.records + b.counted + b.lost != expected;
	snprintf(val, sizeof(val), "%llu", (unsigned long long)b.records_none);
	row("events from traffic matching no rule", val, "0",
	    b.records_none == 0 ? "PASS" : "FAIL");
	failed += b.records_none != 0;
	printf("\nRatios are medians over the rounds of (batch with the programs attached) / "
	       "(batch without),\nwall time per connection (connect, accept, close); the probe's "
	       "in-kernel cost is charged\nto the connecting process.\n");
	if (failed)
		printf("netbench: %d target(s) missed\n", failed);
	else
		printf("netbench: all targets hold\n");
	fflush(stdout);
	ret = failed ? 1 : 0;
out:
	probe_net_free(p);
	for (int t = 0; t < _TRAFFIC_MAX; t++)
		if (b.lfd[t] >= 0)
			close(b.lfd[t]);
	own_cgroup_leave(b.cg, b.home);
	return ret;
}
