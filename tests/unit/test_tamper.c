// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tamper evidence without the kernel: the run state's file text and what a
 * start makes of it (runstate.c), the watch over the agent's BPF links with
 * a fake kernel (bpfwatch.c), and the records about the agent's own start,
 * stop, probes and suspend (format_lifecycle.c) read back field by field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "postured/bpfwatch.h"
#include "postured/format_lifecycle.h"
#include "postured/runstate.h"
#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "basic/string-util.h"
#include "fixtures.h"

#define T0     1700000000000000ULL /* CLOCK_REALTIME µs */
#define BOOT_A "0123456789abcdef0123456789abcdef"
#define BOOT_B "fedcba9876543210fedcba9876543210"
#define SEC(n) ((usec_t)(n)*USEC_PER_SEC)

/* --- the run state's text ------------------------------------------------------- */

static void test_runstate_round_trip(void **state)
{
	const struct runstate s = { .last_snapshot = T0 - SEC(900),
				    .started = T0 - SEC(3600),
				    .alive = T0 - SEC(30),
				    .stopped = 0,
				    .pid = 4242,
				    .boot_uid = BOOT_A };
	char text[RUNSTATE_TEXT_MAX], err[128] = "";
	struct runstate back;
	size_t n = runstate_format(&s, text, sizeof(text));

	assert_int_equal(n, strlen(text));
	assert_non_null(strstr(text, "\nstopped=0\n"));
	assert_int_equal(runstate_parse(text, &back, err, sizeof(err)), 0);
	assert_int_equal(back.last_snapshot, s.last_snapshot);
	assert_int_equal(back.started, s.started);
	assert_int_equal(back.alive, s.alive);
	assert_int_equal(back.stopped, 0);
	assert_int_equal(back.pid, 4242);
	assert_string_equal(back.boot_uid, BOOT_A);
}

/* The first versions' file held the last snapshot's time alone; it says nothing of the run. */
static void test_runstate_legacy(void **state)
{
	struct runstate s;
	char err[128] = "";

	assert_int_equal(runstate_parse("1699999100000000\n", &s, err, sizeof(err)), 0);
	assert_int_equal(s.last_snapshot, 1699999100000000ULL);
	assert_int_equal(s.started, 0);
	assert_int_equal(runstate_parse("1699999100000000", &s, err, sizeof(err)), 0);
	assert_int_equal(s.last_snapshot, 1699999100000000ULL);
}

/* A newer agent's keys are skipped; blank lines too. */
static void test_runstate_unknown_keys(void **state)
{
	struct runstate s;
	char err[128] = "";

	assert_int_equal(runstate_parse("started=5\n\nfuture_key=whatever\nstopped=9\n", &s, err,
					sizeof(err)),
			 0);
	assert_int_equal(s.started, 5);
	assert_int_equal(s.stopped, 9);
}

/* Damage is refused with the line and the reason, and leaves nothing half-read. */
static void test_runstate_damaged(void **state)
{
	static const struct {
		const char *text, *expect;
	} cases[] = {
		{ "", "the file is empty" },
		{ "started=12x\n", "line 1: started is not a number" },
		{ "started=1\nalive=-3\n", "line 2: alive is not a number" },
		{ "started=1\nstopped=\n", "line 2: stopped is not a number" },
		{ "pid=4294967296\n", "line 1: pid is not a number" },
		{ "started=1\nboot_uid=0123\n",
		  "line 2: boot_uid is not 32 lower-case hex digits" },
		{ "started=1\ngarbage\n", "line 2: not a key=value line" },
		{ "12 34\n", "line 1: not a key=value line" },
		{ "started=99999999999999999999999\n", "line 1: started is not a number" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct runstate s = { .started = 77 };
		char err[128] = "";

		assert_int_equal(runstate_parse(cases[i].text, &s, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].expect);
		assert_int_equal(s.started, 0);
	}
}

/* --- how the previous run ended --------------------------------------------------- */

static void test_judge_first_start(void **state)
{
	struct runstate_verdict v;

	runstate_judge(NULL, T0, BOOT_A, &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_NONE);
	assert_int_equal(v.last_known, 0);
	assert_int_equal(v.gap, 0);
	assert_false(v.rebooted);
}

static void test_judge_clean(void **state)
{
	const struct runstate prev = { .started = T0 - SEC(7200),
				       .alive = T0 - SEC(600),
				       .stopped = T0 - SEC(600),
				       .boot_uid = BOOT_A };
	struct runstate_verdict v;

	runstate_judge(&prev, T0, BOOT_A, &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_CLEAN);
	assert_int_equal(v.last_known, T0 - SEC(600));
	assert_int_equal(v.gap, SEC(600));
	assert_false(v.rebooted);
	/* A clean stop whose clock was set back before it is still clean. */
	runstate_judge(&(const struct runstate){ .started = T0, .stopped = T0 - SEC(5) }, T0, NULL,
		       &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_CLEAN);
}

/* kill -9: no "stopped"; the last heartbeat says when it was last going. */
static void test_judge_unclean(void **state)
{
	const struct runstate prev = {
		.started = T0 - SEC(7200), .alive = T0 - SEC(95), .pid = 812, .boot_uid = BOOT_A
	};
	struct runstate_verdict v;

	runstate_judge(&prev, T0, BOOT_B, &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_UNCLEAN);
	assert_int_equal(v.last_known, T0 - SEC(95));
	assert_int_equal(v.gap, SEC(95));
	assert_true(v.rebooted);
	/* Killed before its first heartbeat: its start is the last known time. */
	runstate_judge(&(const struct runstate){ .started = T0 - SEC(10) }, T0, BOOT_A, &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_UNCLEAN);
	assert_int_equal(v.gap, SEC(10));
	/* Without both boot ids, no one can say it rebooted. */
	assert_false(v.rebooted);
}

static void test_judge_unknown_and_clock_back(void **state)
{
	struct runstate_verdict v;

	runstate_judge(&(const struct runstate){ .last_snapshot = T0 - SEC(30) }, T0, BOOT_A, &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_UNKNOWN);
	assert_int_equal(v.gap, SEC(30));
	runstate_judge(&(const struct runstate){ .started = T0, .alive = T0 + SEC(50) }, T0, BOOT_A,
		       &v);
	assert_int_equal(v.previous, RUNSTATE_PREVIOUS_UNCLEAN);
	assert_true(v.clock_back);
	assert_int_equal(v.gap, 0);
}

/* --- the watch over the BPF links ------------------------------------------------- */

/* The fake kernel: per fd, the link's info, or an error. */
struct fake_link {
	int fd;
	int err;
	struct bpfwatch_link_info info;
};
static struct fake_link fake_links[4];
static int fake_prog_err;

static int fake_link_info(int fd, struct bpfwatch_link_info *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(fake_links); i++)
		if (fake_links[i].fd == fd) {
			if (fake_links[i].err)
				return fake_links[i].err;
			*ret = fake_links[i].info;
			return 0;
		}
	return -EBADF;
}

/* The program open at fd 100 + n has id 900 + n. */
static int fake_prog_id(int fd, uint32_t *ret)
{
	if (fake_prog_err)
		return fake_prog_err;
	*ret = 900 + (uint32_t)(fd - 100);
	return 0;
}

static const struct bpfwatch_ops fake_ops = { .link_info = fake_link_info,
					      .prog_id = fake_prog_id };

struct reports {
	unsigned n;
	struct bpfwatch_report last;
	char name[64], target[64];
};

static void on_report(void *userdata, const struct bpfwatch_report *r)
{
	struct reports *c = userdata;

	c->n++;
	c->last = *r;
	strbufcpy(c->name, sizeof(c->name), r->name);
	strbufcpy(c->target, sizeof(c->target), r->target);
}

static void fake_reset(void)
{
	memset(fake_links, 0, sizeof(fake_links));
	fake_prog_err = 0;
	fake_links[0] =
		(struct fake_link){ .fd = 10,
				    .info = { .id = 17,
					      .prog_id = 900,
					      .type = 3,
					      .attached = true,
					      .target = "cgroup 1 (cgroup_inet4_connect)" } };
	fake_links[1] = (struct fake_link){ .fd = 11,
					    .info = { .id = 18,
						      .prog_id = 901,
						      .type = 1,
						      .attached = true,
						      .target = "sched_process_exec" } };
}

static const struct probe_link two_links[] = {
	{ .name = "net_connect4", .link_fd = 10, .prog_fd = 100 },
	{ .name = "exec_btf", .link_fd = 11, .prog_fd = 101 },
};

/* times looks of the watch at the two links, as the timer makes them. */
static void look(bpfwatch *w, struct reports *c, int times)
{
	for (int i = 0; i < times; i++)
		assert_int_equal(bpfwatch_check(w, two_links, 2, on_report, c), 2);
}

/* So many reports so far, the last of them the change given. */
static void expect_reports(const struct reports *c, unsigned n, enum bpfwatch_change last)
{
	assert_int_equal(c->n, n);
	assert_int_equal(c->last.change, last);
}

/* A watch that has had its first look at the two links, as the agent attached them. */
static bpfwatch *watch_start(struct reports *c)
{
	bpfwatch *w = bpfwatch_new(&fake_ops);

	assert_non_null(w);
	fake_reset();
	look(w, c, 1);
	return w;
}

static void test_bpfwatch_quiet(void **state)
{
	struct reports c = {};
	bpfwatch *w = watch_start(&c);

	look(w, &c, 1);
	assert_int_equal(c.n, 0);
	bpfwatch_free(w);
}

/* Detached by someone else: one report however many looks, and one when it is back. */
static void test_bpfwatch_detached_once(void **state)
{
	struct reports c = {};
	bpfwatch *w = watch_start(&c);

	fake_links[0].info.attached = false;
	fake_links[0].info.target[0] = '\0';
	look(w, &c, 5);
	expect_reports(&c, 1, BPFWATCH_DETACHED);
	assert_string_equal(c.name, "net_connect4");
	assert_int_equal(c.last.link_id, 17);
	assert_int_equal(c.last.prog_id, 900);
	assert_string_equal(c.last.link_type, "cgroup");
	/* What it was attached to, as the agent saw it then. */
	assert_string_equal(c.target, "cgroup 1 (cgroup_inet4_connect)");

	fake_links[0].info.attached = true;
	look(w, &c, 2);
	expect_reports(&c, 2, BPFWATCH_RESTORED);
	bpfwatch_free(w);
}

static void test_bpfwatch_replaced_and_gone(void **state)
{
	struct reports c = {};
	bpfwatch *w = watch_start(&c);

	fake_links[1].info.prog_id = 4711;
	look(w, &c, 1);
	expect_reports(&c, 1, BPFWATCH_REPLACED);
	assert_int_equal(c.last.prog_id, 901);
	assert_int_equal(c.last.now_prog_id, 4711);
	assert_string_equal(c.name, "exec_btf");
	/* Then its info goes too: another change, another report. */
	fake_links[1].err = -ENOENT;
	look(w, &c, 2);
	expect_reports(&c, 2, BPFWATCH_GONE);
	/* A program whose info the kernel no longer gives is gone as well (for each link). */
	fake_reset();
	fake_prog_err = -EBADF;
	look(w, &c, 1);
	/* exec_btf's link was reported gone already; net_connect4's is new. */
	expect_reports(&c, 3, BPFWATCH_GONE);
	bpfwatch_free(w);
}

/* What the agent lets go or makes anew is its own doing: never reported. */
static void test_bpfwatch_agent_changes(void **state)
{
	struct reports c = {};
	bpfwatch *w = watch_start(&c);

	/* The agent destroyed net_connect4's link: the probes list only the other. */
	assert_int_equal(bpfwatch_check(w, two_links + 1, 1, on_report, &c), 1);
	/* It made a new link whose fd is the old one's number, with another id and program. */
	fake_links[0].info.id = 33;
	fake_links[0].info.prog_id = 902;
	assert_int_equal(
		bpfwatch_check(w,
			       (const struct probe_link[]){
				       { .name = "net_bind4", .link_fd = 10, .prog_fd = 102 },
				       two_links[1] },
			       2, on_report, &c),
		2);
	/* Kept at its fd while the id changes under it: a new link of the agent's, learnt. */
	fake_links[0].info.id = 34;
	fake_links[0].info.prog_id = 903;
	bpfwatch_check(
		w,
		(const struct probe_link[]){ { .name = "net_bind6", .link_fd = 10, .prog_fd = 103 },
					     two_links[1] },
		2, on_report, &c);
	assert_int_equal(c.n, 0);
	/* A link without kernel info (an old kernel's perf link) is watched through its program. */
	fake_links[2] = (struct fake_link){ .fd = 12, .err = -EOPNOTSUPP };
	bpfwatch_check(
		w,
		(const struct probe_link[]){ { .name = "exec_tp", .link_fd = 12, .prog_fd = 104 } },
		1, on_report, &c);
	assert_int_equal(c.n, 0);
	bpfwatch_free(w);
}

/* --- the records ------------------------------------------------------------------ */

static yajl_val parse_record(yajl_gen g)
{
	yajl_val rec = fixture_json_parse(g);

	yajl_gen_reset(g, NULL);
	yajl_gen_clear(g);
	return rec;
}

static const char *str_at(yajl_val rec, const char **path)
{
	yajl_val v = yajl_tree_get(rec, path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static long long int_at(yajl_val rec, const char **path)
{
	yajl_val v = yajl_tree_get(rec, path, yajl_t_number);

	assert_non_null(v);
	return YAJL_GET_INTEGER(v);
}

#define P(...) ((const char *[]){ __VA_ARGS__, NULL })

static void test_stop_record_systemd(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	format_agent_stop(g, &fixture_device,
			  &(const struct format_agent_stop){ .time_ms = 1700000000000LL,
							     .signo = 15,
							     .has_sender = true,
							     .sender_pid = 1,
							     .shutdown = FORMAT_SHUTDOWN_YES,
							     .system_state = "stopping" });
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("class_uid")), 6002);
	assert_int_equal(int_at(rec, P("activity_id")), 4);
	assert_int_equal(int_at(rec, P("severity_id")), 1);
	assert_int_equal(int_at(rec, P("actor", "process", "pid")), 1);
	assert_string_equal(str_at(rec, P("actor", "process", "user", "uid")), "0");
	assert_string_equal(str_at(rec, P("postured", "event")), "agent_stopped");
	assert_string_equal(str_at(rec, P("postured", "sent_by")), "systemd");
	assert_string_equal(str_at(rec, P("postured", "shutdown")), "yes");
	assert_string_equal(str_at(rec, P("postured", "system_state")), "stopping");
	assert_string_equal(str_at(rec, P("message")),
			    "postured was stopped by SIGTERM from systemd (pid 1); the system is "
			    "shutting down");
}

/*
 * Someone's kill, not at a shutdown: Low, and named by what the agent read of
 * it; the uid is the kernel's even when /proc said otherwise a moment later.
 */
static void test_stop_record_process(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	format_agent_stop(g, &fixture_device,
			  &(const struct format_agent_stop){ .time_ms = 1700000000000LL,
							     .signo = 15,
							     .has_sender = true,
							     .sender_pid = 4242,
							     .sender_uid = 1001,
							     .sender = &fixture_self,
							     .clock_offset = FIXTURE_OFFSET_NS,
							     .shutdown = FORMAT_SHUTDOWN_UNKNOWN });
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("severity_id")), 2);
	assert_int_equal(int_at(rec, P("actor", "process", "pid")), 4242);
	assert_string_equal(str_at(rec, P("actor", "process", "name")), fixture_self.comm);
	assert_string_equal(str_at(rec, P("actor", "process", "file", "path")), fixture_self.exe);
	assert_string_equal(str_at(rec, P("actor", "process", "user", "uid")), "1001");
	assert_string_equal(str_at(rec, P("postured", "sent_by")), "process");
	/* Unknown is said, never taken for "no". */
	assert_string_equal(str_at(rec, P("postured", "shutdown")), "unknown");
	assert_null(str_at(rec, P("postured", "system_state")));
	assert_non_null(strstr(str_at(rec, P("message")), "from pid 4242 ("));
	assert_non_null(strstr(str_at(rec, P("message")), "is not known"));

	/* Ctrl-C on a terminal: the kernel sent it, no actor. */
	format_agent_stop(g, &fixture_device,
			  &(const struct format_agent_stop){ .signo = 2,
							     .shutdown = FORMAT_SHUTDOWN_NO });
	yajl_tree_free(rec);
	rec = parse_record(g);
	assert_null(yajl_tree_get(rec, P("actor"), yajl_t_object));
	assert_string_equal(str_at(rec, P("postured", "signal")), "SIGINT");
	assert_string_equal(str_at(rec, P("postured", "sent_by")), "kernel");
	assert_string_equal(str_at(rec, P("postured", "shutdown")), "no");
}

static void test_start_record(void **state)
{
	const struct runstate prev = {
		.started = T0 - SEC(7200), .alive = T0 - SEC(95), .pid = 812, .boot_uid = BOOT_A
	};
	struct format_agent_start s = { .time_ms = (long long)(T0 / 1000), .previous = &prev };
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	runstate_judge(&prev, T0, BOOT_A, &s.verdict);
	format_agent_start(g, &fixture_device, &s);
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("activity_id")), 3);
	/* An unclean end is a finding: above informational. */
	assert_int_equal(int_at(rec, P("severity_id")), 3);
	assert_string_equal(str_at(rec, P("severity")), "Medium");
	assert_string_equal(str_at(rec, P("postured", "previous_run")), "unclean");
	assert_int_equal(int_at(rec, P("postured", "gap_seconds")), 95);
	assert_int_equal(int_at(rec, P("postured", "gap_precision_seconds")), 60);
	assert_int_equal(int_at(rec, P("postured", "previous_last_known")),
			 (long long)((T0 - SEC(95)) / 1000));
	assert_int_equal(int_at(rec, P("postured", "previous_started")),
			 (long long)((T0 - SEC(7200)) / 1000));
	assert_int_equal(int_at(rec, P("postured", "previous_pid")), 812);
	assert_true(YAJL_IS_FALSE(yajl_tree_get(rec, P("postured", "rebooted"), yajl_t_any)));
	assert_non_null(strstr(str_at(rec, P("message")), "about 95 s"));

	/* The first start: informational, no gap. */
	s = (struct format_agent_start){ .time_ms = (long long)(T0 / 1000) };
	runstate_judge(NULL, T0, BOOT_A, &s.verdict);
	format_agent_start(g, &fixture_device, &s);
	yajl_tree_free(rec);
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("severity_id")), 1);
	assert_string_equal(str_at(rec, P("postured", "previous_run")), "none");
	assert_null(yajl_tree_get(rec, P("postured", "gap_seconds"), yajl_t_any));
	assert_null(yajl_tree_get(rec, P("postured", "rebooted"), yajl_t_any));
}

static void test_probe_record(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	format_probe_changed(g, &fixture_device, 1700000000000LL,
			     &(const struct bpfwatch_report){
				     .change = BPFWATCH_DETACHED,
				     .name = "net_connect4",
				     .link_id = 17,
				     .prog_id = 900,
				     .link_type = "cgroup",
				     .target = "cgroup 1 (cgroup_inet4_connect)",
			     });
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("activity_id")), 7);
	assert_int_equal(int_at(rec, P("severity_id")), 4);
	assert_string_equal(str_at(rec, P("postured", "event")), "probe_changed");
	assert_string_equal(str_at(rec, P("postured", "change")), "detached");
	assert_string_equal(str_at(rec, P("postured", "program")), "net_connect4");
	assert_int_equal(int_at(rec, P("postured", "link_id")), 17);
	assert_string_equal(str_at(rec, P("postured", "target")),
			    "cgroup 1 (cgroup_inet4_connect)");
	assert_null(yajl_tree_get(rec, P("postured", "now_program_id"), yajl_t_any));
	assert_string_equal(str_at(rec, P("message")),
			    "postured's BPF program net_connect4 (link id 17) was detached from "
			    "cgroup 1 (cgroup_inet4_connect) by someone else");
}

/* The laptop going to sleep: Informational, activity 99 Other named "Suspend", the host profile. */
static void test_suspend_record(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;
	yajl_val profiles;

	format_agent_suspend(g, &fixture_device, 1700000000000LL);
	rec = parse_record(g);
	assert_int_equal(int_at(rec, P("time")), 1700000000000LL);
	assert_int_equal(int_at(rec, P("class_uid")), 6002);
	assert_int_equal(int_at(rec, P("activity_id")), 99);
	assert_string_equal(str_at(rec, P("activity_name")), "Suspend");
	assert_int_equal(int_at(rec, P("type_uid")), 600299);
	assert_int_equal(int_at(rec, P("severity_id")), 1);
	assert_string_equal(str_at(rec, P("severity")), "Informational");
	assert_string_equal(str_at(rec, P("postured", "event")), "agent_suspended");
	assert_string_equal(str_at(rec, P("app", "name")), "postured");
	assert_string_equal(str_at(rec, P("device", "uid")), fixture_device.uid);
	profiles = yajl_tree_get(rec, P("metadata", "profiles"), yajl_t_array);
	assert_non_null(profiles);
	assert_int_equal(YAJL_GET_ARRAY(profiles)->len, 1);
	assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(profiles)->values[0]), "host");
	assert_string_equal(str_at(rec, P("message")),
			    "The laptop is going to sleep; postured watches again when it wakes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runstate_round_trip),
		cmocka_unit_test(test_runstate_legacy),
		cmocka_unit_test(test_runstate_unknown_keys),
		cmocka_unit_test(test_runstate_damaged),
		cmocka_unit_test(test_judge_first_start),
		cmocka_unit_test(test_judge_clean),
		cmocka_unit_test(test_judge_unclean),
		cmocka_unit_test(test_judge_unknown_and_clock_back),
		cmocka_unit_test(test_bpfwatch_quiet),
		cmocka_unit_test(test_bpfwatch_detached_once),
		cmocka_unit_test(test_bpfwatch_replaced_and_gone),
		cmocka_unit_test(test_bpfwatch_agent_changes),
		cmocka_unit_test(test_stop_record_systemd),
		cmocka_unit_test(test_stop_record_process),
		cmocka_unit_test(test_start_record),
		cmocka_unit_test(test_probe_record),
		cmocka_unit_test(test_suspend_record),
	};

	return cmocka_run_group_tests_name("tamper", tests, NULL, NULL);
}
