// SPDX-License-Identifier: LGPL-2.1-or-later
/* Checks in a child process, each with a deadline; see runner.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"

#define RECORD_MAGIC 0x43484b52U /* "CHKR" */
/* How long the waiting driver waits for a killed child to go, before leaving it. */
#define REAP_WAIT_MSEC 1000

/* What the child writes for each check, in the order of the jobs. */
struct record {
	uint32_t magic;
	uint32_t index;
	struct check_result result;
};

struct check_runner {
	/* What to run. */
	char *root;
	struct check_job *jobs;
	size_t n;
	const struct check_info *table;
	size_t n_table;
	usec_t check_timeout, total_timeout;
	struct check_result *results;

	/* Progress. */
	size_t next; /* the first job without a result */
	usec_t started; /* CLOCK_MONOTONIC, when the run began */
	usec_t check_started; /* when jobs[next] began, as near as the parent can tell */
	bool finished;

	/* The child running jobs[next...]. */
	pid_t pid; /* 0: none */
	int fd; /* the read end of its pipe */
	int pidfd; /* the waiting driver's handle on it */
	bool eof;
	size_t have; /* bytes of rec read so far */
	struct record rec;

	/* The event-loop driver. */
	sd_event *event;
	sd_event_source *io, *timer, *child;
	check_runner_done_t done;
	void *userdata;
};

/* ---- the child ---------------------------------------------------------------- */

static const struct check_info *find_check(const check_runner *cr, const char *name)
{
	if (!cr->table)
		return checks_find(name);
	for (size_t i = 0; i < cr->n_table; i++)
		if (strcmp(cr->table[i].name, name) == 0)
			return &cr->table[i];
	return NULL;
}

static void run_one(const check_runner *cr, const struct check_job *job, struct check_result *res)
{
	const struct check_info *c = find_check(cr, job->check);
	int r;

	check_result_init(res);
	if (!c) {
		check_set(res, CHECK_UNKNOWN, "this agent cannot run the check \"%s\"", job->check);
		return;
	}
	r = c->run(cr->root, job->rule, res);
	if (r < 0) {
		check_result_init(res);
		check_set(res, CHECK_UNKNOWN, "the check could not run: %s", strerror(-r));
	}
}

static int write_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size > 0) {
		ssize_t k = write(fd, p, size);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		size -= (size_t)k;
	}
	return 0;
}

/* Runs jobs[next...] and writes their records to fd.  Never returns. */
static _Noreturn void child_main(check_runner *cr, int fd, pid_t parent)
{
	struct record *rec = malloc(sizeof(*rec));

	/* Not to outlive the agent when it dies while a check hangs. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent || !rec)
		_exit(1);
	/*
	 * The agent's other files (its BPF links, the spool, the status socket)
	 * are none of the checks' business: a check that hangs must not keep
	 * them, nor the kernel's rules, alive.
	 */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(1);
		fd = 3;
	}
	if (close_range(4, ~0U, 0) < 0)
		for (int i = 4; i < 4096; i++)
			(void)close(i);
	for (size_t i = cr->next; i < cr->n; i++) {
		memset(rec, 0, sizeof(*rec));
		rec->magic = RECORD_MAGIC;
		rec->index = (uint32_t)i;
		run_one(cr, &cr->jobs[i], &rec->result);
		if (write_all(fd, rec, sizeof(*rec)) < 0)
			_exit(1);
	}
	_exit(0);
}

/* ---- the parent: the machinery both drivers share --------------------------- */

static usec_t deadline_of(const check_runner *cr)
{
	return MIN(cr->check_started + cr->check_timeout, cr->started + cr->total_timeout);
}

/* Gives jobs[next] an unknown result with the reason, and moves on. */
static void give_up(check_runner *cr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void give_up(check_runner *cr, const char *fmt, ...)
{
	struct check_result *res = &cr->results[cr->next];
	va_list ap;

	check_result_init(res);
	res->status = CHECK_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	cr->next++;
	cr->check_started = now_usec(CLOCK_MONOTONIC);
}

/* Gives every job left an unknown result: the run's time is up. */
static void give_up_rest(check_runner *cr)
{
	char t[32];

	format_usec(t, sizeof(t), cr->total_timeout);
	while (cr->next < cr->n)
		give_up(cr, "not run: the checks' time, %s in all, ran out", t);
}

static bool record_valid(const check_runner *cr, const struct record *rec)
{
	const struct check_result *res = &rec->result;

	return rec->magic == RECORD_MAGIC && rec->index == cr->next &&
	       (res->status == CHECK_PASS || res->status == CHECK_FAIL ||
		res->status == CHECK_UNKNOWN) &&
	       res->n_evidence <= CHECK_EVIDENCE_MAX;
}

/*
 * Reads what the child has written, without blocking; each whole record is
 * the next job's result.  Sets eof at the end of the pipe.  Returns -EBADMSG
 * when the child wrote something that is not the next record.
 */
static int take_records(check_runner *cr)
{
	while (!cr->eof && cr->next < cr->n) {
		ssize_t k = read(cr->fd, (char *)&cr->rec + cr->have, sizeof(cr->rec) - cr->have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (k == 0) {
			cr->eof = true;
			return 0;
		}
		cr->have += (size_t)k;
		if (cr->have < sizeof(cr->rec))
			continue;
		cr->have = 0;
		if (!record_valid(cr, &cr->rec))
			return -EBADMSG;
		/* Its strings end where the reader expects, whatever the child did. */
		cr->rec.result.reason[CHECK_LINE_MAX - 1] = '\0';
		for (size_t i = 0; i < cr->rec.result.n_evidence; i++)
			cr->rec.result.evidence[i][CHECK_LINE_MAX - 1] = '\0';
		cr->results[cr->next++] = cr->rec.result;
		cr->check_started = now_usec(CLOCK_MONOTONIC);
	}
	return 0;
}

static void exit_reason(char *buf, size_t size, const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		snprintf(buf, size, "exit status %d", si->si_status);
	else
		snprintf(buf, size, "killed by signal %d, %s", si->si_status,
			 strsignal(si->si_status));
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata);
static void step(check_runner *cr);

/* Forks a child for jobs[next...]; -errno when there is none. */
static int child_start(check_runner *cr)
{
	int p[2], r;
	pid_t pid, parent = getpid();

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		safe_close(p[0]);
		safe_close(p[1]);
		return r;
	}
	if (pid == 0) {
		safe_close(p[0]);
		child_main(cr, p[1], parent);
	}
	safe_close(p[1]);
	cr->pid = pid;
	cr->fd = p[0];
	cr->eof = false;
	cr->have = 0;
	cr->check_started = now_usec(CLOCK_MONOTONIC);
	if (fcntl(cr->fd, F_SETFL, O_NONBLOCK) < 0)
		r = -errno;
	else if (cr->event) {
		r = sd_event_add_io(cr->event, &cr->io, cr->fd, EPOLLIN, on_io, cr);
		if (r >= 0)
			r = sd_event_add_child(cr->event, &cr->child, pid, WEXITED, on_child, cr);
	} else {
		cr->pidfd = pidfd_open(pid, 0);
		r = cr->pidfd < 0 ? -errno : 0;
	}
	if (r < 0) {
		(void)kill(pid, SIGKILL);
		if (!cr->child)
			(void)waitpid(pid, NULL, 0); /* just killed, and never in a check yet */
		return r;
	}
	return 0;
}

/*
 * Lets go of the current child: killed (harmless when it has exited) and
 * reaped now or, when it cannot be (stuck in the kernel), later: the event
 * loop's floating source, or whoever inherits it after a short wait.
 */
static void child_stop(check_runner *cr, bool exited)
{
	cr->io = sd_event_source_disable_unref(cr->io);
	cr->fd = safe_close(cr->fd);
	if (cr->pid <= 0)
		return;
	if (cr->child) {
		if (!exited) {
			/* on_child() without a runner only lets the loop reap it. */
			(void)sd_event_source_send_child_signal(cr->child, SIGKILL, NULL, 0);
			(void)sd_event_source_set_userdata(cr->child, NULL);
			(void)sd_event_source_set_floating(cr->child, true);
		}
		cr->child = sd_event_source_unref(cr->child);
	} else if (cr->pidfd >= 0) {
		if (!exited) {
			struct pollfd pfd = { .fd = cr->pidfd, .events = POLLIN };
			siginfo_t si = {};

			(void)pidfd_send_signal(cr->pidfd, SIGKILL, NULL, 0);
			if (poll(&pfd, 1, REAP_WAIT_MSEC) > 0)
				(void)waitid(P_PIDFD, (id_t)cr->pidfd, &si, WEXITED | WNOHANG);
		}
		cr->pidfd = safe_close(cr->pidfd);
	}
	cr->pid = 0;
}

/* The deadline passed: the check running gives up, the child goes. */
static void expire(check_runner *cr, usec_t now)
{
	char t[32];

	child_stop(cr, false);
	if (cr->next >= cr->n)
		return;
	if (now >= cr->check_started + cr->check_timeout)
		give_up(cr, "did not finish within %s",
			format_usec(t, sizeof(t), cr->check_timeout));
	else
		give_up(cr, "did not finish before the checks' time, %s in all, ran out",
			format_usec(t, sizeof(t), cr->total_timeout));
	if (now >= cr->started + cr->total_timeout)
		give_up_rest(cr);
}

/* The child is gone (si): what it wrote counts; the check it was in gives up. */
static void child_exited(check_runner *cr, const siginfo_t *si)
{
	char why[96];

	if (take_records(cr) < 0 && cr->next < cr->n) {
		give_up(cr, "the check's process sent a result that cannot be read");
	} else if (cr->next < cr->n) {
		exit_reason(why, sizeof(why), si);
		give_up(cr, "the check stopped without a result (its process ended: %s)", why);
	}
	child_stop(cr, true);
}

/*
 * After any progress: the run is finished, or a child must run the rest
 * (started here when the last one went), within the deadlines.
 */
static void step(check_runner *cr)
{
	usec_t now = now_usec(CLOCK_MONOTONIC);

	if (cr->next < cr->n && now >= deadline_of(cr))
		expire(cr, now);
	while (cr->next < cr->n && cr->pid <= 0) {
		int r;

		if (now >= cr->started + cr->total_timeout) {
			give_up_rest(cr);
			break;
		}
		r = child_start(cr);
		if (r < 0) {
			child_stop(cr, true);
			while (cr->next < cr->n)
				give_up(cr, "could not start a process for the checks: %s",
					strerror(-r));
		}
	}
	if (cr->next >= cr->n) {
		if (cr->pid > 0)
			child_stop(cr, false); /* done writing; it may not have exited yet */
		cr->finished = true;
	}
}

static check_runner *runner_new(const char *root, const struct check_job *jobs, size_t n,
				const struct check_runner_options *opts)
{
	check_runner *cr = calloc(1, sizeof(*cr));

	if (!cr)
		return NULL;
	cr->fd = cr->pidfd = -EBADF;
	cr->root = strdup(root ? root : "/");
	cr->jobs = calloc(n ? n : 1, sizeof(*cr->jobs));
	cr->results = calloc(n ? n : 1, sizeof(*cr->results));
	if (!cr->root || !cr->jobs || !cr->results)
		return check_runner_free(cr);
	if (n)
		memcpy(cr->jobs, jobs, n * sizeof(*jobs));
	cr->n = n;
	if (opts) {
		cr->table = opts->table;
		cr->n_table = opts->n_table;
		cr->check_timeout = opts->check_timeout;
		cr->total_timeout = opts->total_timeout;
	}
	if (!cr->check_timeout)
		cr->check_timeout = CHECK_RUNNER_CHECK_TIMEOUT_USEC;
	if (!cr->total_timeout)
		cr->total_timeout = CHECK_RUNNER_TOTAL_TIMEOUT_USEC;
	cr->started = cr->check_started = now_usec(CLOCK_MONOTONIC);
	return cr;
}

check_runner *check_runner_free(check_runner *cr)
{
	if (!cr)
		return NULL;
	child_stop(cr, false);
	cr->timer = sd_event_source_disable_unref(cr->timer);
	cr->event = sd_event_unref(cr->event);
	free(cr->results);
	free(cr->jobs);
	free(cr->root);
	free(cr);
	return NULL;
}

/* ---- the waiting driver ------------------------------------------------------- */

int check_runner_run(const char *root, const struct check_job *jobs, size_t n,
		     const struct check_runner_options *opts, struct check_result *results)
{
	_cleanup_(check_runner_freep) check_runner *cr = runner_new(root, jobs, n, opts);

	if (!cr)
		return -ENOMEM;
	step(cr);
	while (!cr->finished) {
		struct pollfd pfd[2] = {
			{ .fd = cr->eof ? -1 : cr->fd, .events = POLLIN },
			{ .fd = cr->pidfd, .events = POLLIN },
		};
		usec_t now = now_usec(CLOCK_MONOTONIC), deadline = deadline_of(cr);
		int ms = now >= deadline ?
				 0 :
				 (int)((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC);

		if (poll(pfd, 2, ms) < 0 && errno != EINTR)
			return -errno;
		if (pfd[0].revents && take_records(cr) < 0) {
			child_stop(cr, false);
			give_up(cr, "the check's process sent a result that cannot be read");
		} else if (pfd[1].revents) {
			siginfo_t si = {};

			if (waitid(P_PIDFD, (id_t)cr->pidfd, &si, WEXITED | WNOHANG) == 0 &&
			    si.si_pid > 0)
				child_exited(cr, &si);
		}
		step(cr);
	}
	if (n > 0)
		memcpy(results, cr->results, n * sizeof(*results));
	return 0;
}

/* ---- the event-loop driver ---------------------------------------------------- */

/* Arms the timer for the deadline, or calls back when the run is finished. */
static void async_step(check_runner *cr)
{
	step(cr);
	if (cr->finished) {
		(void)sd_event_source_set_enabled(cr->timer, SD_EVENT_OFF);
		cr->done(cr, cr->results, cr->n, cr->userdata); /* may free cr */
		return;
	}
	(void)sd_event_source_set_time(cr->timer, deadline_of(cr));
	(void)sd_event_source_set_enabled(cr->timer, SD_EVENT_ONESHOT);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	check_runner *cr = userdata;

	if (take_records(cr) < 0) {
		child_stop(cr, false);
		give_up(cr, "the check's process sent a result that cannot be read");
	} else if (cr->eof) {
		/* The exit itself comes as on_child(). */
		(void)sd_event_source_set_enabled(cr->io, SD_EVENT_OFF);
	}
	async_step(cr);
	return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	check_runner *cr = userdata;

	if (!cr) {
		/*
		 * A child let go of (killed, or its runner freed): the loop reaps
		 * it after this; dropping the loop's reference frees the source.
		 */
		(void)sd_event_source_set_floating(s, false);
		return 0;
	}
	child_exited(cr, si);
	async_step(cr);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	async_step(userdata);
	return 0;
}

int check_runner_start(sd_event *e, const char *root, const struct check_job *jobs, size_t n,
		       const struct check_runner_options *opts, check_runner_done_t done,
		       void *userdata, check_runner **ret)
{
	_cleanup_(check_runner_freep) check_runner *cr = runner_new(root, jobs, n, opts);
	int r;

	if (!cr)
		return -ENOMEM;
	cr->event = sd_event_ref(e);
	cr->done = done;
	cr->userdata = userdata;
	r = sd_event_add_time(e, &cr->timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_timer, cr);
	if (r < 0)
		return r;
	if (n > 0) {
		r = child_start(cr);
		if (r < 0)
			return r;
		(void)sd_event_source_set_time(cr->timer, deadline_of(cr));
	}
	/* With nothing to run, the timer fires at once and calls back. */
	(void)sd_event_source_set_enabled(cr->timer, SD_EVENT_ONESHOT);
	*ret = TAKE_PTR(cr);
	return 0;
}
