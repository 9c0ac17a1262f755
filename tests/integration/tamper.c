// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tamper evidence through the real agent on this kernel: a SIGTERM from a
 * process of ours is a stop record naming that process, in --print-events
 * and committed to the spool; a kill -9 is reported by the next start as an
 * unclean exit with the gap, and a clean stop as clean; one of the agent's
 * BPF links detached from outside (tests/helpers/bpf_link_detach) is
 * reported once; and the laptop going to sleep, as a fake logind on a bus
 * of the test's own says (tests/checks_bus/fake_logind), is a suspend
 * record committed before the agent lets go of its delay lock, and the
 * wake-up a new lock and a snapshot.  Each test has its own spool and run
 * state, beside a collector URL nobody answers (the state is kept only with
 * a collector).  Needs root.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "../collector/harness_db.h"
#include "../helpers/private_bus.h"

struct world {
	char *dir;
	char config[PATH_MAX];
	char spool[PATH_MAX];
	char state[PATH_MAX];
	char stream[PATH_MAX];
};

static void world_done(struct world *w)
{
	harness_tmpdir_freep(&w->dir);
}

/* A test PKI, and a configuration whose collector is a port nothing listens on. */
static int world_init(struct world *w)
{
	char pki[PATH_MAX], text[4 * PATH_MAX + 256];
	char *argv[3];

	*w = (struct world){};
	TRY(harness_tmpdir_new(&w->dir));
	snprintf(pki, sizeof(pki), "%s/pki", w->dir);
	argv[0] = (char *)harness_source_path("tools/make-test-pki");
	argv[1] = pki;
	argv[2] = NULL;
	TRY(harness_run(argv, 60000));
	snprintf(w->config, sizeof(w->config), "%s/postured.conf", w->dir);
	snprintf(w->spool, sizeof(w->spool), "%s/spool.db", w->dir);
	snprintf(w->state, sizeof(w->state), "%s/run-state", w->dir);
	snprintf(w->stream, sizeof(w->stream), "%s/stream.ndjson", w->dir);
	snprintf(text, sizeof(text),
		 "{\"collector_url\": \"https://127.0.0.1:1\",\n"
		 " \"collector_ca\": \"%s/server-ca.crt\",\n"
		 " \"client_cert\": \"%s/device1.crt\", \"client_key\": \"%s/device1.key\",\n"
		 " \"spool_path\": \"%s\", \"sender_user\": \"nobody\"}\n",
		 pki, pki, pki, w->spool);
	return harness_write_file(w->config, text);
}

static int world_start_agent(struct world *w, bool stream, struct harness_agent **ret)
{
	struct harness_agent_opts o = { .config = w->config };

	if (stream)
		o.stream_path = w->stream;
	return harness_agent_start(&o, ret);
}

/* The first record whose postured.event is event (and link_id, when not 0). */
struct want {
	const char *event;
	long long link_id;
	yajl_val found;
	unsigned seen;
};

static int take_event(yajl_val *ev, void *userdata)
{
	struct want *w = userdata;
	const char *event = harness_json_str(harness_json(*ev, "postured", "event"));
	long long link_id = 0;

	if (!event || strcmp(event, w->event) != 0)
		return 0;
	(void)harness_json_int(harness_json(*ev, "postured", "link_id"), &link_id);
	if (w->link_id && link_id != w->link_id)
		return 0;
	w->seen++;
	if (!w->found) {
		w->found = *ev;
		*ev = NULL;
	}
	return 1;
}

static void want_done(struct want *w)
{
	if (w->found)
		yajl_tree_free(w->found);
	w->found = NULL;
}

/* The stop record and the log name the process that sent SIGTERM; the spool has it too. */
static int test_stop_names_sender(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_(want_done) struct want want = { .event = "agent_stopped" };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_free_ char *state = NULL;
	struct harness_child_opts co = HARNESS_CHILD_OPTS_DEFAULT;
	char pid_text[16], like[96], how[64];
	char *argv[4];
	const char *validate[4];
	_cleanup_child_ pid_t killer = 0;
	pid_t sender;
	struct stat st;
	int status;

	TRY(world_init(&w));
	TRY(world_start_agent(&w, true, &a));
	snprintf(pid_text, sizeof(pid_text), "%d", (int)a->pid);
	argv[0] = (char *)"/bin/kill";
	argv[1] = (char *)"-TERM";
	argv[2] = pid_text;
	argv[3] = NULL;
	/* Not reaped until the agent has stopped: a zombie still has its name in /proc. */
	TRY(harness_spawn(argv[0], argv, &co, &killer));
	sender = killer;
	TRY(harness_agent_wait_exit(a, HARNESS_STOP_TIMEOUT_MS, "agent_stopped", take_event,
				    &want));
	TRY(harness_wait_child(killer, 5000, &status));
	killer = 0;
	CHECK(WIFEXITED(a->status) && WEXITSTATUS(a->status) == 0,
	      "The agent did not exit 0 after SIGTERM: %s",
	      harness_describe_status(a->status, how, sizeof(how)));
	CHECK(want.found, "No stop record on stdout; stderr: %s", harness_agent_stderr(a));

	EXPECT_JSON_INT("stop", want.found, 6002, "class_uid");
	EXPECT_JSON_INT("stop", want.found, 4, "activity_id");
	/* The test is the sender's parent: the pid in the record is one it knows. */
	EXPECT_JSON_INT("stop", want.found, sender, "actor", "process", "pid");
	EXPECT_JSON_STR("stop", want.found, "kill", "actor", "process", "name");
	EXPECT_JSON_STR("stop", want.found, "0", "actor", "process", "user", "uid");
	EXPECT_JSON_STR("stop", want.found, "SIGTERM", "postured", "signal");
	EXPECT_JSON_STR("stop", want.found, "process", "postured", "sent_by");
	EXPECT_JSON_INT("stop", want.found, 2, "severity_id");
	/* No systemd as PID 1 here: the record must say unknown, not no. */
	if (access("/run/systemd/system", F_OK) < 0)
		EXPECT_JSON_STR("stop", want.found, "unknown", "postured", "shutdown");

	/* Committed to the spool before the agent exited. */
	snprintf(like, sizeof(like), "%%\"pid\":%d,%%\"event\":\"agent_stopped\"%%", (int)sender);
	CHECK(db_int(w.spool, "SELECT count(*) FROM records WHERE kind = 'agent' AND line LIKE ?1",
		     like) == 1,
	      "The spool %s does not hold one stop record naming pid %d", w.spool, (int)sender);
	snprintf(like, sizeof(like), "Stopped by SIGTERM from pid %d (kill, uid 0).", (int)sender);
	CHECK(strstr(a->err, like), "The log does not say '%s': %s", like, harness_agent_stderr(a));
	/* The clean stop's marker, in a file only root reads. */
	CHECK(stat(w.state, &st) == 0 && (st.st_mode & 07777) == 0600 &&
		      harness_read_text(w.state, &state) == 0 && strstr(state, "\nstopped=1"),
	      "The run state %s is not 0600 with a stopped time: %s", w.state,
	      state ? state : "(unreadable)");
	/* Every record of the run, these included, against the schema. */
	validate[0] = harness_build_path("tests/ocsf-validate");
	validate[1] = harness_source_path("tests/fixtures/ocsf");
	validate[2] = w.stream;
	validate[3] = NULL;
	TRY(harness_run((char *const *)validate, 30000));
	harness_note("the stop record names pid %d (kill); the spool and the run state agree",
		     (int)sender);
	return 0;
}

/* The start record of an agent, within 10 s of its READY=1. */
static int wait_start_record(struct harness_agent *a, struct want *want)
{
	*want = (struct want){ .event = "agent_started" };
	if (harness_agent_wait(a, 10000, "agent_started", take_event, want) <= 0 || !want->found)
		return harness_fail("No start record; stderr: %s", harness_agent_stderr(a));
	return 0;
}

/* kill -9, a pause, a start: an unclean exit (Medium) with a plausible gap; then a clean one. */
static int test_unclean_exit_reported(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_(want_done) struct want want = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	long long gap = -1;
	pid_t killed;

	TRY(world_init(&w));
	TRY(world_start_agent(&w, false, &a));
	TRY(wait_start_record(a, &want));
	EXPECT_JSON_STR("first start", want.found, "none", "postured", "previous_run");
	EXPECT_JSON_INT("first start", want.found, 1, "severity_id");
	want_done(&want);
	killed = a->pid;
	CHECK(kill(a->pid, SIGKILL) == 0, "kill -9 %d: %m", (int)a->pid);
	TRY(harness_agent_wait_exit(a, 5000, NULL, NULL, NULL));
	a = harness_agent_free(a);
	/* The gap nobody watched: at least this long. */
	sleep(2);

	TRY(world_start_agent(&w, false, &a));
	TRY(wait_start_record(a, &want));
	EXPECT_JSON_INT("start after kill -9", want.found, 3, "activity_id");
	EXPECT_JSON_STR("start after kill -9", want.found, "unclean", "postured", "previous_run");
	EXPECT_JSON_INT("start after kill -9", want.found, 3, "severity_id");
	EXPECT_JSON_INT("start after kill -9", want.found, killed, "postured", "previous_pid");
	EXPECT_JSON_INT("start after kill -9", want.found, 60, "postured", "gap_precision_seconds");
	(void)harness_json_int(harness_json(want.found, "postured", "gap_seconds"), &gap);
	/* Killed a moment after its start, whose time was its last sign of life: 2 s and a bit. */
	CHECK(gap >= 2 && gap <= 30, "Implausible gap after kill -9: %lld s (2..30 expected)", gap);
	CHECK(strstr(a->err, "ended without a clean stop"),
	      "The log does not report the unclean exit: %s", harness_agent_stderr(a));
	harness_note("after kill -9 of pid %d: an unclean exit, gap %lld s", (int)killed, gap);
	want_done(&want);
	TRY(harness_agent_stop_ok(a));
	a = harness_agent_free(a);

	/* A clean stop is reported as clean, Informational. */
	TRY(world_start_agent(&w, false, &a));
	TRY(wait_start_record(a, &want));
	EXPECT_JSON_STR("start after a stop", want.found, "clean", "postured", "previous_run");
	EXPECT_JSON_INT("start after a stop", want.found, 1, "severity_id");
	CHECK(db_int(w.spool, "SELECT count(*) FROM records WHERE kind = 'agent' AND line LIKE ?1",
		     "%\"previous_run\":\"unclean\"%") == 1,
	      "The spool does not hold the unclean-exit record once");
	return harness_agent_stop_ok(a);
}

/* The id of a cgroup link pid holds (its fdinfo says link_type cgroup), 0 when none. */
static unsigned long cgroup_link_of(pid_t pid)
{
	char dir[64], path[PATH_MAX], buf[1024];
	unsigned long id = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!id && (de = readdir(d))) {
		FILE *f;
		bool cgroup = false;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(buf, sizeof(buf), f)) {
			if (strncmp(buf, "link_type:", 10) == 0)
				cgroup = strstr(buf, "cgroup") != NULL;
			if (cgroup && sscanf(buf, "link_id: %lu", &id) == 1)
				break;
		}
		if (!cgroup)
			id = 0;
		fclose(f);
	}
	closedir(d);
	return id;
}

/* One of the agent's cgroup links detached from outside: one record and one log line, once. */
static int test_detached_link_reported(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_(want_done) struct want want = {};
	_cleanup_agent_ struct harness_agent *a = NULL;
	char id_text[24], *argv[3];
	const char *program;
	unsigned long id;
	int64_t t0;

	TRY(world_init(&w));
	TRY(world_start_agent(&w, false, &a));
	id = cgroup_link_of(a->pid);
	CHECK(id != 0, "The agent (pid %d) holds no cgroup link", (int)a->pid);
	snprintf(id_text, sizeof(id_text), "%lu", id);
	argv[0] = (char *)harness_helper("bpf_link_detach");
	argv[1] = id_text;
	argv[2] = NULL;
	t0 = harness_now_ms();
	TRY(harness_run(argv, 5000));

	want = (struct want){ .event = "probe_changed", .link_id = (long long)id };
	/* The watch looks every 5 s. */
	CHECK(harness_agent_wait(a, 12000, "probe_changed", take_event, &want) > 0 && want.found,
	      "No probe_changed record for link %lu within 12 s; stderr: %s", id,
	      harness_agent_stderr(a));
	EXPECT_JSON_STR("probe change", want.found, "detached", "postured", "change");
	EXPECT_JSON_STR("probe change", want.found, "cgroup", "postured", "link_type");
	EXPECT_JSON_INT("probe change", want.found, 7, "activity_id");
	EXPECT_JSON_INT("probe change", want.found, 4, "severity_id");
	program = harness_json_str(harness_json(want.found, "postured", "program"));
	CHECK(program && strncmp(program, "net_", 4) == 0,
	      "The record names program '%s', not one of the network probe's",
	      program ? program : "(none)");
	harness_note("link %lu (%s) reported detached after %lld ms", id, program,
		     (long long)(harness_now_ms() - t0));
	CHECK(strstr(a->err, "was detached by someone else"), "The log does not report it: %s",
	      harness_agent_stderr(a));

	/* Once: two more looks of the watch bring nothing new. */
	want_done(&want);
	want = (struct want){ .event = "probe_changed", .link_id = (long long)id };
	CHECK(harness_agent_wait(a, 11000, "probe_changed", take_event, &want) == 0,
	      "The detached link %lu was reported again", id);
	return harness_agent_stop_ok(a);
}

/* A dbus-daemon of the test's own with fake_logind on it, and what fake_logind said. */
struct logind {
	char address[512];
	pid_t bus_pid, pid;
	int in, out;
	char buf[1024];
	size_t len;
	unsigned inhibits, released;
	int64_t released_ms; /* when the last RELEASED was heard */
};

static void logind_done(struct logind *l)
{
	if (l->in >= 0)
		close(l->in);
	if (l->out >= 0)
		close(l->out);
	if (l->pid > 0) {
		kill(l->pid, SIGTERM);
		waitpid(l->pid, NULL, 0);
	}
	if (l->bus_pid > 0) {
		kill(l->bus_pid, SIGTERM);
		waitpid(l->bus_pid, NULL, 0);
	}
	*l = (struct logind){ .in = -1, .out = -1 };
}

static int logind_start(struct logind *l, const char *dir)
{
	const char *argv[] = { harness_build_path("tests/checks_bus/fake_logind"), "--address",
			       l->address, NULL };
	int r;

	*l = (struct logind){ .in = -1, .out = -1 };
	r = private_bus_start_system(dir, dir, l->address, sizeof(l->address), &l->bus_pid);
	if (r < 0)
		return harness_fail("dbus-daemon cannot be started: %s", strerror(-r));
	r = private_bus_spawn((char *const *)argv, &l->pid, &l->in, &l->out);
	if (r < 0)
		return harness_fail("%s did not start: %s", argv[0], strerror(-r));
	return 0;
}

static int logind_say(struct logind *l, const char *command)
{
	CHECK(write(l->in, command, strlen(command)) == (ssize_t)strlen(command),
	      "Cannot write to fake_logind: %m");
	return 0;
}

/* Hears fake_logind and keeps the agent's output flowing until *count reaches want. */
static int logind_wait(struct logind *l, struct harness_agent *a, const unsigned *count,
		       unsigned want, int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;
	char *nl;

	while (*count < want && harness_now_ms() < deadline) {
		struct pollfd p = { .fd = l->out, .events = POLLIN };
		ssize_t n;

		(void)harness_agent_pump(a, 0);
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(l->out, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		CHECK(n > 0, "fake_logind ended");
		l->len += (size_t)n;
		l->buf[l->len] = '\0';
		while ((nl = strchr(l->buf, '\n'))) {
			*nl = '\0';
			if (strncmp(l->buf, "INHIBIT ", 8) == 0) {
				l->inhibits++;
			} else if (strcmp(l->buf, "RELEASED") == 0) {
				l->released++;
				l->released_ms = harness_now_ms();
			}
			l->len -= (size_t)(nl + 1 - l->buf);
			memmove(l->buf, nl + 1, l->len + 1);
		}
	}
	return *count >= want ? 0 : -1;
}

/* The spool's newest snapshot (kind posture: state, only the newest unsent is kept); 0: none. */
static long long spool_snapshot_seq(const struct world *w)
{
	return db_int(w->spool, "SELECT IFNULL(max(seq), 0) FROM records WHERE kind = 'posture'",
		      NULL);
}

/* Keeps the agent's output flowing until the spool holds a snapshot newer than after. */
static int wait_snapshot_after(const struct world *w, struct harness_agent *a, long long after,
			       int timeout_ms)
{
	int64_t deadline = harness_now_ms() + timeout_ms;

	while (harness_now_ms() < deadline) {
		if (spool_snapshot_seq(w) > after)
			return 0;
		(void)harness_agent_pump(a, 100);
	}
	return -1;
}

/*
 * The laptop goes to sleep: the suspend record is printed and committed to
 * the spool, and the delay lock held while the sender may deliver it; with
 * the collector away (this world has none) that is until the 2 s bound, and
 * no longer; it wakes: a new lock, and a snapshot in the spool within
 * seconds (the interval is 15 min; snapshots are not printed).
 */
static int test_sleep_reported(const void *arg)
{
	_cleanup_(world_done) struct world w = {};
	_cleanup_(logind_done) struct logind l = { .in = -1, .out = -1 };
	_cleanup_(want_done) struct want want = { .event = "agent_suspended" };
	_cleanup_agent_ struct harness_agent *a = NULL;
	_cleanup_(yajl_tree_freep) yajl_val status = NULL;
	const char *validate[4];
	yajl_val profiles;
	long long before;
	int64_t asked;
	int r;

	TRY(world_init(&w));
	TRY(logind_start(&l, w.dir));
	/* The agent's system bus is the test's: only the agent is started with it. */
	setenv("DBUS_SYSTEM_BUS_ADDRESS", l.address, 1);
	r = world_start_agent(&w, true, &a);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	TRY(r);
	CHECK(logind_wait(&l, a, &l.inhibits, 1, 10000) == 0,
	      "The agent took no delay lock; stderr: %s", harness_agent_stderr(a));
	/* fake_logind says INHIBIT as it answers: the agent has the answer a moment later. */
	for (int64_t end = harness_now_ms() + 3000;;) {
		TRY(harness_status_result(a, "{\"id\":1,\"method\":\"status\"}\n", &status));
		if (YAJL_IS_TRUE(
			    harness_json(status, "result", "collector", "sleep", "delay_lock")))
			break;
		CHECK(harness_now_ms() < end, "status does not say the agent holds a delay lock");
		yajl_tree_free(status);
		status = NULL;
		(void)harness_agent_pump(a, 50);
	}

	asked = harness_now_ms();
	TRY(logind_say(&l, "sleep\n"));
	CHECK(harness_agent_wait(a, 5000, "agent_suspended", take_event, &want) > 0 && want.found,
	      "No suspend record; stderr: %s", harness_agent_stderr(a));
	CHECK(logind_wait(&l, a, &l.released, 1, 5000) == 0,
	      "The agent did not let go of its delay lock");
	/*
	 * Not acknowledged by a collector: held to the 2 s bound, and let go
	 * before logind's own (InhibitDelayMaxSec, 5 s) however busy the machine.
	 */
	CHECK(l.released_ms - asked >= 1800 && l.released_ms - asked < 5000,
	      "The lock was let go after %lld ms, not at the 2 s bound",
	      (long long)(l.released_ms - asked));
	EXPECT_JSON_INT("suspend", want.found, 6002, "class_uid");
	EXPECT_JSON_INT("suspend", want.found, 99, "activity_id");
	EXPECT_JSON_STR("suspend", want.found, "Suspend", "activity_name");
	EXPECT_JSON_INT("suspend", want.found, 1, "severity_id");
	profiles = harness_json(want.found, "metadata", "profiles");
	CHECK(YAJL_IS_ARRAY(profiles) && YAJL_GET_ARRAY(profiles)->len == 1 &&
		      strcmp(harness_json_str(YAJL_GET_ARRAY(profiles)->values[0]) ?: "", "host") ==
			      0,
	      "The suspend record's profiles are not [\"host\"]");
	CHECK(db_int(w.spool, "SELECT count(*) FROM records WHERE kind = 'agent' AND line LIKE ?1",
		     "%\"event\":\"agent_suspended\"%") == 1,
	      "The spool %s does not hold one suspend record", w.spool);
	CHECK(strstr(a->err, "The laptop is going to sleep; telling the collector."),
	      "The log does not say the laptop is going to sleep: %s", harness_agent_stderr(a));
	harness_note("the suspend record was committed, and with no collector to take it the "
		     "lock let go %lld ms after PrepareForSleep",
		     (long long)(l.released_ms - asked));

	before = spool_snapshot_seq(&w);
	TRY(logind_say(&l, "wake\n"));
	CHECK(logind_wait(&l, a, &l.inhibits, 2, 5000) == 0,
	      "The agent took no new delay lock after the wake-up; stderr: %s",
	      harness_agent_stderr(a));
	CHECK(wait_snapshot_after(&w, a, before, 8000) == 0,
	      "No new snapshot in the spool within 8 s of the wake-up; stderr: %s",
	      harness_agent_stderr(a));
	CHECK(strstr(a->err, "The laptop woke; a posture snapshot goes to the collector soon."),
	      "The log does not say the laptop woke: %s", harness_agent_stderr(a));
	TRY(harness_agent_stop_ok(a));
	/* Its stop closes the lock too. */
	CHECK(logind_wait(&l, a, &l.released, 2, 5000) == 0, "The lock outlived the agent");
	validate[0] = harness_build_path("tests/ocsf-validate");
	validate[1] = harness_source_path("tests/fixtures/ocsf");
	validate[2] = w.stream;
	validate[3] = NULL;
	TRY(harness_run((char *const *)validate, 30000));
	return 0;
}

static const struct harness_test tests[] = {
	HARNESS_TEST("stop_names_sender", test_stop_names_sender, NULL),
	HARNESS_TEST("unclean_exit_reported", test_unclean_exit_reported, NULL),
	HARNESS_TEST("detached_link_reported", test_detached_link_reported, NULL),
	HARNESS_TEST("sleep_reported", test_sleep_reported, NULL),
};

HARNESS_MAIN(tests)
