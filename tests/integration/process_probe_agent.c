// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The agent's own life as the process probes see it: SIGTERM detaches what
 * it attached (every program and link gone from the kernel), sd_notify
 * (READY=1 with STATUS=, WATCHDOG=1), and start-up errors (privileges, the
 * configuration, the flavour) refused cleanly; process_probe.c has the
 * suite.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process_probe.h"

/* --- SIGTERM detaches the probes -------------------------------------------------- */

/* The kernel's description of a BPF object, through an fd of it we are handed (and close). */
static int info_by_fd(int fd_or_err, void *info, __u32 size)
{
	_cleanup_close_ int fd = fd_or_err;
	__u32 len = size;

	memset(info, 0, size);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, info, &len) < 0)
		return -errno;
	return 0;
}

static int prog_info(__u32 id, struct bpf_prog_info *info)
{
	return info_by_fd(bpf_prog_get_fd_by_id(id), info, sizeof(*info));
}

static int link_info(__u32 id, struct bpf_link_info *info)
{
	return info_by_fd(bpf_link_get_fd_by_id(id), info, sizeof(*info));
}

/* Whether the kernel still lists the object id, walking its ids with next (programs, links). */
static bool id_listed(int (*next)(__u32, __u32 *), __u32 want)
{
	__u32 id = 0;

	while (next(id, &id) == 0)
		if (id == want)
			return true;
	return false;
}

static bool prog_listed(__u32 want)
{
	return id_listed(bpf_prog_get_next_id, want);
}

static bool link_listed(__u32 want)
{
	return id_listed(bpf_link_get_next_id, want);
}

/*
 * What postured loads and attaches (agent/postured/probe_process.c, agent/postured/probe_net.c):
 * the process probe's exec, exit and fork programs of the flavour asked for,
 * each with one link; the network probe's six cgroup sock_addr programs, each
 * linked to the cgroup v2 root with its own attach type; and the network
 * probe's TCP state program (tp_btf or classic, whichever the kernel took),
 * linked only while a rule needs it: reported outbound TCP connects (their
 * outcome) or inbound rules.
 */
static const char *const process_progs[] = { "exec_", "exit_", "fork_" };

static const struct {
	const char *name;
	enum bpf_attach_type attach;
} net_sock_progs[] = {
	{ "net_connect4", BPF_CGROUP_INET4_CONNECT }, { "net_connect6", BPF_CGROUP_INET6_CONNECT },
	{ "net_sendmsg4", BPF_CGROUP_UDP4_SENDMSG },  { "net_sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	{ "net_bind4", BPF_CGROUP_INET4_BIND },	      { "net_bind6", BPF_CGROUP_INET6_BIND },
};

/* Program names are cut to BPF_OBJ_NAME_LEN - 1 bytes: net_tcp_state_btf, net_tcp_state_tp. */
#define NET_TCP_STATE_PREFIX "net_tcp_state_"

struct sigterm_case {
	const char *flavor;
	bool tcp_rule; /* a policy with a reported outbound TCP rule, which needs the TCP state */
};

/* What one program held by postured is, and its links. */
struct held_prog {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u32 type;
	int kind; /* 0..2: process_progs; 3 + i: net_sock_progs[i]; -1: TCP state; -2: unknown */
	unsigned links;
	bool link_ok; /* sock_addr: linked to the root with its attach type */
	char link_detail[128];
};

#define KIND_TCP_STATE (-1)
#define KIND_UNKNOWN   (-2)
/*
 * Attached only while a rule needs them (outbound UDP rules, as the
 * baseline's DNS rule): the replies a socket received (recvmsg4/6) and the
 * first send of a connected UDP socket.  Loaded always, linked (once) only
 * while a rule needs them.
 */
#define KIND_ON_NEED (-3)
static const char *const on_need_prefixes[] = { "net_recvmsg", "net_udp_send_" };

/* Sets h->kind; fails for a process program of the other flavour or a hook of the wrong type. */
static int classify_prog(struct held_prog *h, const char *suffix)
{
	const char *sfx = strchr(h->name, '_');

	h->kind = KIND_UNKNOWN;
	for (size_t k = 0; k < ELEMENTSOF(process_progs); k++)
		if (strncmp(h->name, process_progs[k], strlen(process_progs[k])) == 0) {
			CHECK(sfx && strcmp(sfx + 1, suffix) == 0,
			      "postured holds program %s of the other process probe flavour",
			      h->name);
			h->kind = (int)k;
		}
	for (size_t k = 0; k < ELEMENTSOF(net_sock_progs); k++)
		if (strcmp(h->name, net_sock_progs[k].name) == 0) {
			CHECK(h->type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
			      "program %s is of type %u, not cgroup sock_addr", h->name, h->type);
			h->kind = 3 + (int)k;
		}
	if (strncmp(h->name, NET_TCP_STATE_PREFIX, strlen(NET_TCP_STATE_PREFIX)) == 0)
		h->kind = KIND_TCP_STATE;
	for (size_t k = 0; k < ELEMENTSOF(on_need_prefixes); k++)
		if (strncmp(h->name, on_need_prefixes[k], strlen(on_need_prefixes[k])) == 0)
			h->kind = KIND_ON_NEED;
	CHECK(h->kind != KIND_UNKNOWN, "postured holds a BPF program %s nobody expects", h->name);
	return 0;
}

/* A config naming a policy of one network rule, so what needs the TCP state is known. */
static int sigterm_config(const char *dir, bool tcp_rule, char *config, size_t size)
{
	char policy[PATH_MAX + 16], text[PATH_MAX + 1024];

	snprintf(policy, sizeof(policy), "%s/policy.json", dir);
	snprintf(config, size, "%s/postured.conf", dir);
	/* Loopback, a port in the reserved range nothing here uses: it matches nothing real. */
	snprintf(
		text, sizeof(text),
		"{ \"id\": \"sigterm-it\", \"serial\": 1, \"mode\": \"monitor\", \"rules\": [ {\n"
		"  \"id\": \"net-report\", \"type\": \"network\", \"title\": \"t\",\n"
		"  \"severity\": \"low\", \"direction\": \"%s\", \"protocol\": \"%s\",\n"
		"  \"match\": { \"address\": \"127.0.0.1\", \"port\": 1 }, \"effect\": \"report\",\n"
		"  \"message\": { \"en\": \"m\" }, \"remediation\": { \"en\": \"r\" } } ] }\n",
		/* A TCP listen rule needs the state tracepoint too (listen() as it happens). */
		tcp_rule ? "outbound" : "listen", tcp_rule ? "tcp" : "udp");
	TRY(harness_write_file(policy, text));
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\" }\n", policy);
	return harness_write_file(config, text);
}

/* The cgroup postured says its network probe is attached to, as a cgroup id (its inode). */
static int net_cgroup_id(struct harness_agent *a, __u64 *ret, char *path, size_t size)
{
	static const char needle[] = "Network probe attached to ";
	const char *p;
	struct stat st;
	size_t n;

	CHECK(harness_agent_wait_stderr(a, needle, RECORD_TIMEOUT_MS) == 1,
	      "postured did not say where it attached the network probe. Its stderr: %s",
	      harness_agent_stderr(a));
	p = strstr(a->err, needle) + strlen(needle);
	n = strcspn(p, "\n");
	if (n > 0 && p[n - 1] == '.')
		n--;
	snprintf(path, size, "%.*s", (int)n, p);
	if (stat(path, &st) < 0)
		return harness_fail("Cannot stat the network probe's cgroup %s: %m", path);
	*ret = (__u64)st.st_ino;
	return 0;
}

static int test_sigterm(const void *arg)
{
	const struct sigterm_case *c = arg;
	const char *suffix = strcmp(c->flavor, "tp_btf") == 0 ? "btf" : "tp";
	_cleanup_tmpdir_ char *dir = NULL;
	struct harness_agent_opts o = { .flavor = c->flavor };
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct held_prog held[ELEMENTSOF(((struct harness_bpf_ids *)NULL)->prog)] = {};
	unsigned per_kind[3 + ELEMENTSOF(net_sock_progs)] = {}, tcp_progs = 0, tcp_links = 0;
	char names[512] = "", config[PATH_MAX + 32], cgroup[PATH_MAX];
	struct harness_bpf_ids ids;
	size_t off = 0;
	unsigned remaining;
	int64_t deadline;
	__u64 cgroup_id = 0;

	TRY(harness_tmpdir_new(&dir));
	TRY(sigterm_config(dir, c->tcp_rule, config, sizeof(config)));
	o.config = config;
	TRY(harness_agent_start(&o, &a));
	TRY(net_cgroup_id(a, &cgroup_id, cgroup, sizeof(cgroup)));
	TRY(harness_bpf_ids_of(a->pid, &ids));

	for (size_t i = 0; i < ids.nprog; i++) {
		struct held_prog *h = &held[i];
		struct bpf_prog_info info;
		int r = prog_info(ids.prog[i], &info);

		if (r < 0)
			return harness_fail("Cannot look up BPF program %u held by postured: %s",
					    ids.prog[i], strerror(-r));
		h->id = ids.prog[i];
		h->type = info.type;
		snprintf(h->name, sizeof(h->name), "%s", info.name);
		CHECK(prog_listed(h->id),
		      "BPF program %u (%s) held by postured is not in the kernel's list", h->id,
		      h->name);
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						off ? " " : "", h->name);
		TRY(classify_prog(h, suffix));
		if (h->kind == KIND_TCP_STATE)
			tcp_progs++;
		else if (h->kind >= 0)
			per_kind[h->kind]++;
	}
	for (size_t i = 0; i < ids.nlink; i++) {
		struct bpf_link_info info;
		struct held_prog *h = NULL;
		int r = link_info(ids.link[i], &info);

		if (r < 0)
			return harness_fail("Cannot look up BPF link %u held by postured: %s",
					    ids.link[i], strerror(-r));
		for (size_t j = 0; j < ids.nprog; j++)
			if (held[j].id == info.prog_id)
				h = &held[j];
		CHECK(h,
		      "BPF link %u held by postured is of program %u, which postured does not hold",
		      ids.link[i], info.prog_id);
		h->links++;
		if (h->kind == KIND_TCP_STATE) {
			tcp_links++;
		} else if (h->kind >= 3) {
			enum bpf_attach_type want = net_sock_progs[h->kind - 3].attach;

			h->link_ok = info.type == BPF_LINK_TYPE_CGROUP &&
				     info.cgroup.cgroup_id == cgroup_id &&
				     info.cgroup.attach_type == (__u32)want;
			snprintf(h->link_detail, sizeof(h->link_detail),
				 "link type %u, cgroup id %llu, attach type %u", info.type,
				 (unsigned long long)info.cgroup.cgroup_id,
				 info.cgroup.attach_type);
		}
	}

	for (size_t k = 0; k < ELEMENTSOF(process_progs); k++)
		CHECK(per_kind[k] == 1,
		      "postured (%s) should hold one %s%s program; it holds %u (%s)", c->flavor,
		      process_progs[k], suffix, per_kind[k], names);
	for (size_t k = 0; k < ELEMENTSOF(net_sock_progs); k++)
		CHECK(per_kind[3 + k] == 1, "postured should hold one %s program; it holds %u (%s)",
		      net_sock_progs[k].name, per_kind[3 + k], names);
	CHECK(tcp_progs == 1, "postured should hold one TCP state program; it holds %u (%s)",
	      tcp_progs, names);
	for (size_t i = 0; i < ids.nprog; i++) {
		const struct held_prog *h = &held[i];

		if (h->kind == KIND_TCP_STATE)
			continue;
		if (h->kind == KIND_ON_NEED) {
			CHECK(h->links <= 1,
			      "program %s should have at most one link; postured holds %u", h->name,
			      h->links);
			continue;
		}
		CHECK(h->links == 1, "program %s should have one link; postured holds %u", h->name,
		      h->links);
		if (h->kind >= 3)
			CHECK(h->link_ok,
			      "program %s should be linked to the cgroup %s (id %llu) as %s: %s",
			      h->name, cgroup, (unsigned long long)cgroup_id,
			      libbpf_bpf_attach_type_str(net_sock_progs[h->kind - 3].attach),
			      h->link_detail);
	}
	CHECK(tcp_links == (c->tcp_rule ? 1U : 0U),
	      "the TCP state program should be linked %s; postured holds %u links of it",
	      c->tcp_rule ? "once (a reported outbound TCP rule needs it)" :
			    "not at all (no rule needs it)",
	      tcp_links);
	harness_note("%zu programs (%s), %zu links", ids.nprog, names, ids.nlink);

	TRY(stop_ok(a, c->flavor, NULL, NULL, NULL));

	/* Programs and links go when their last fd does; the kernel frees them soon after. */
	deadline = harness_now_ms() + 3000;
	do {
		remaining = 0;
		for (size_t i = 0; i < ids.nprog; i++)
			remaining += prog_listed(ids.prog[i]);
		for (size_t i = 0; i < ids.nlink; i++)
			remaining += link_listed(ids.link[i]);
		if (remaining == 0)
			break;
		usleep(20000);
	} while (harness_now_ms() < deadline);
	for (size_t i = 0; i < ids.nprog; i++)
		CHECK(!prog_listed(ids.prog[i]),
		      "BPF program %u (%s) is still loaded 3 s after postured exited (programs were: "
		      "%s)",
		      ids.prog[i], held[i].name, names);
	for (size_t i = 0; i < ids.nlink; i++)
		CHECK(!link_listed(ids.link[i]),
		      "BPF link %u is still in the kernel 3 s after postured exited", ids.link[i]);
	return 0;
}

/* --- sd_notify -------------------------------------------------------------------- */

struct notify_case {
	const char *flavor;
	bool other_pid; /* WATCHDOG_PID names another process: no WATCHDOG=1 then */
};

/* What the sd_notify tests of a case share: the agent started with WATCHDOG_USEC=200000. */
static struct notify {
	const struct notify_case *c;
	struct harness_agent *a;
} nt;

static int notify_setup(const void *arg)
{
	const struct notify_case *c = arg;
	struct harness_agent_opts o = { .flavor = c->flavor, .watchdog_usec = "200000" };

	nt = (struct notify){ .c = c };
	if (c->other_pid)
		o.watchdog_pid = getpid();
	return harness_agent_start(&o, &nt.a);
}

static int notify_teardown(const void *arg)
{
	int r = nt.a ? stop_ok(nt.a, nt.c->flavor, NULL, NULL, NULL) : 0;

	nt.a = harness_agent_free(nt.a);
	return r;
}

/* READY=1 came from postured's pid (harness_agent_start() waited for it), with its STATUS=. */
static int test_notify_status(const void *arg)
{
	char want[64];

	snprintf(want, sizeof(want), "(%s probes)", nt.c->flavor);
	CHECK(strstr(nt.a->status_text, "Watching processes") && strstr(nt.a->status_text, want),
	      "STATUS= should say \"Watching processes %s\", it says \"%s\"", want,
	      nt.a->status_text);
	return 0;
}

/* WATCHDOG=1 every WATCHDOG_USEC / 2, or never when WATCHDOG_PID names another process. */
static int test_notify_watchdog(const void *arg)
{
	struct harness_agent *a = nt.a;
	unsigned before = a->watchdogs;
	int r;

	r = harness_agent_wait(a, 1000, NULL, NULL, NULL);
	CHECK(r == 0, "postured's output ended while we counted WATCHDOG=1. Its stderr: %s",
	      harness_agent_stderr(a));
	if (nt.c->other_pid)
		CHECK(a->watchdogs == 0,
		      "WATCHDOG_PID named another process, yet postured sent WATCHDOG=1 %u times",
		      a->watchdogs);
	else
		CHECK(a->watchdogs - before >= 2,
		      "with WATCHDOG_USEC=200000, expected at least 2 WATCHDOG=1 in 1 s, saw %u",
		      a->watchdogs - before);
	harness_note("%s: WATCHDOG=1 %u times in 1 s; ready %lld ms after exec; STATUS=%s",
		     nt.c->flavor, a->watchdogs - before, (long long)(a->ready_ms - a->started_ms),
		     a->status_text);
	return 0;
}

/* --- start-up errors -------------------------------------------------------------- */

struct startup_case {
	enum harness_privs privs;
	const char *config_name; /* a file in the test's directory */
	const char *config_text; /* its contents; NULL: the file does not exist */
	const char *flavor;
	int want_code; /* the exit status; -1: any non-zero */
	const char *needles[3]; /* what stderr must say; "@CONFIG" is the config's path */
};

static int test_startup_error(const void *arg)
{
	const struct startup_case *c = arg;
	struct harness_agent_opts o = { .privs = c->privs,
					.flavor = c->flavor,
					.no_wait_ready = true };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_tmpdir_ char *dir = NULL;
	char config[PATH_MAX + 64], d[128];

	TRY(harness_tmpdir_new(&dir));
	if (c->config_name) {
		snprintf(config, sizeof(config), "%s/%s", dir, c->config_name);
		if (c->config_text)
			TRY(harness_write_file(config, c->config_text));
		o.config = config;
	} else if (c->privs != HARNESS_PRIVS_ROOT) {
		/* A configuration it can read wherever the source tree is, so only privileges fail. */
		snprintf(config, sizeof(config), "%s/postured.conf", dir);
		TRY(harness_write_file(config, "{ \"probe_flavor\": \"auto\" }\n"));
		o.config = config;
	}
	TRY(harness_agent_start(&o, &a));
	TRY(harness_agent_wait_exit(a, HARNESS_STOP_TIMEOUT_MS, NULL, NULL, NULL));

	CHECK(!WIFSIGNALED(a->status), "postured crashed: %s. Its stderr: %s",
	      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	if (c->want_code >= 0)
		CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == c->want_code,
		      "expected exit status %d, saw %s. Its stderr: %s", c->want_code,
		      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	else
		CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) != 0,
		      "expected a non-zero exit status, saw %s. Its stderr: %s",
		      harness_describe_status(a->status, d, sizeof(d)), harness_agent_stderr(a));
	for (size_t i = 0; i < ELEMENTSOF(c->needles) && c->needles[i]; i++) {
		const char *n = strcmp(c->needles[i], "@CONFIG") == 0 ? config : c->needles[i];

		CHECK(strstr(a->err, n), "stderr should mention \"%s\"; it says: %s", n,
		      harness_agent_stderr(a));
	}
	harness_note("%s; stderr: %s", harness_describe_status(a->status, d, sizeof(d)),
		     harness_agent_stderr(a));
	CHECK(!a->ready, "postured said READY=1 although it could not start");
	CHECK(a->event_lines == 0 && !a->stats,
	      "postured printed %llu lines on stdout although it could not start",
	      (unsigned long long)(a->event_lines + (a->stats ? 1 : 0)));
	return 0;
}

/*
 * --print-events prints OCSF records and nothing else: a whole run's stream
 * (the start-up checks' findings, a child's fork, exec and exit, the stop)
 * passes build/tests/ocsf-validate against the schema the project carries,
 * every line of it.  The counters are in the log ("Counters at stop:").
 */
static int test_print_events_ocsf(const void *arg)
{
	const char *flavor = arg;
	_cleanup_tmpdir_ char *dir = NULL;
	_cleanup_agent_ struct harness_agent *a = NULL;
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	char stream[PATH_MAX], cmd[3 * PATH_MAX + 64], out[4096] = "";
	char *argv[] = { "/bin/true", NULL };
	struct harness_agent_opts o = { .flavor = flavor, .stream_path = stream };
	struct watch w = {};
	size_t n = 0;
	int r, status;
	pid_t pid;
	FILE *p;

	TRY(harness_tmpdir_new(&dir));
	snprintf(stream, sizeof(stream), "%s/print-events.ndjson", dir);
	TRY(harness_agent_start(&o, &a));
	/* The baseline's device checks run at start; their findings are part of the stream. */
	CHECK(harness_agent_wait_stderr(a, "Rule ", 20000) == 1,
	      "no finding was logged within 20 s of the start. Its stderr: %s",
	      harness_agent_stderr(a));
	r = run_watched(a, "/bin/true", argv, &co, &w, &pid, &status);
	watch_clear(&w);
	TRY(r);
	TRY(stop_ok(a, flavor, NULL, NULL, NULL));
	CHECK(a->event_lines >= 4, "only %llu lines were printed",
	      (unsigned long long)a->event_lines);

	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' 2>&1", harness_build_path("tests/ocsf-validate"),
		 harness_source_path("tests/fixtures/ocsf"), stream);
	p = popen(cmd, "r");
	if (!p)
		return harness_fail("Cannot run %s: %m", cmd);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	harness_note("ocsf-validate: %s", out[0] ? out + (n > 200 ? n - 200 : 0) : "(nothing)");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the --print-events stream (%llu lines) is not all OCSF:\n%s",
	      (unsigned long long)a->event_lines, out);
	return 0;
}

#define NOTIFY_CASE(...)  (&(const struct notify_case){ __VA_ARGS__ })
#define STARTUP_CASE(...) (&(const struct startup_case){ __VA_ARGS__ })
#define SIGTERM_CASE(...) (&(const struct sigterm_case){ __VA_ARGS__ })

static const struct harness_fixture notify_fixtures[] = {
	{ "sd_notify/tp_btf", notify_setup, notify_teardown, NOTIFY_CASE(.flavor = "tp_btf") },
	{ "sd_notify/tracepoint", notify_setup, notify_teardown,
	  NOTIFY_CASE(.flavor = "tracepoint") },
	{ "sd_notify_other_pid", notify_setup, notify_teardown,
	  NOTIFY_CASE(.flavor = "tp_btf", .other_pid = true) },
};

/* The sd_notify tests of a fixture, their names ending in suffix. */
#define NOTIFY_TESTS(suffix, fx)                                                             \
	HARNESS_FIXTURE_TEST("sd_notify_ready_status" suffix, test_notify_status, NULL, fx), \
		HARNESS_FIXTURE_TEST("sd_notify_watchdog" suffix, test_notify_watchdog, NULL, fx)

static const struct harness_test tests[] = {
	/* SIGTERM */
	HARNESS_TEST("sigterm_detaches/tp_btf", test_sigterm, SIGTERM_CASE(.flavor = "tp_btf")),
	HARNESS_TEST("sigterm_detaches/tracepoint", test_sigterm,
		     SIGTERM_CASE(.flavor = "tracepoint")),
	HARNESS_TEST("sigterm_detaches_tcp_state/tp_btf", test_sigterm,
		     SIGTERM_CASE(.flavor = "tp_btf", .tcp_rule = true)),
	/* The stream --print-events writes */
	HARNESS_TEST("print_events_ocsf/tp_btf", test_print_events_ocsf, "tp_btf"),
	HARNESS_TEST("print_events_ocsf/tracepoint", test_print_events_ocsf, "tracepoint"),
	/* sd_notify */
	NOTIFY_TESTS("/tp_btf", &notify_fixtures[0]),
	NOTIFY_TESTS("/tracepoint", &notify_fixtures[1]),
	NOTIFY_TESTS("_other_pid", &notify_fixtures[2]),
	/* start-up errors */
	HARNESS_TEST("startup_unprivileged_nobody", test_startup_error,
		     STARTUP_CASE(.privs = HARNESS_PRIVS_NOBODY, .want_code = -1,
				  .needles = { "root", "CAP_BPF" })),
	HARNESS_TEST("startup_root_without_caps", test_startup_error,
		     STARTUP_CASE(.privs = HARNESS_PRIVS_NO_CAPS, .want_code = -1,
				  .needles = { "root", "CAP_BPF" })),
	HARNESS_TEST("startup_config_missing", test_startup_error,
		     STARTUP_CASE(.config_name = "missing.conf", .want_code = 1,
				  .needles = { "@CONFIG" })),
	HARNESS_TEST("startup_config_unknown_key", test_startup_error,
		     STARTUP_CASE(.config_name = "unknown-key.conf",
				  .config_text =
					  "{ \"probe_flavor\": \"auto\", \"frobnicate\": 1 }\n",
				  .want_code = 1, .needles = { "@CONFIG", "frobnicate" })),
	HARNESS_TEST("startup_config_invalid_json", test_startup_error,
		     STARTUP_CASE(.config_name = "broken.conf",
				  .config_text = "{ \"probe_flavor\": ", .want_code = 1,
				  .needles = { "@CONFIG" })),
	HARNESS_TEST("startup_bad_probe_flavor", test_startup_error,
		     STARTUP_CASE(.flavor = "fentry", .want_code = 2,
				  .needles = { "--probe-flavor" })),
};

HARNESS_TABLE(process_probe_agent_table, tests);
