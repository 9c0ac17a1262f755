// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reports to the collector: the spool opened, the posture snapshots on
 * their timer (and soon after a posture change), and the unprivileged
 * sender started, watched and started again with a growing delay when it
 * stops.  The sender reads and acknowledges the spool; this side only
 * appends to it (agent_findings_spool()).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "format.h"

/* The installed sender's directory; the Makefile sets it from LIBEXECDIR. */
#ifndef POSTURED_SENDER_DIR
#define POSTURED_SENDER_DIR "/usr/libexec/postured"
#endif

/*
 * The posture snapshot: an OCSF Device Inventory Info record (class 5001)
 * whose postured.posture is what `posturectl status` shows, so the SOC and
 * IT see the same state as the employee.  Kept as state in the spool: only
 * the newest unsent one matters.
 */
/*
 * How much of the interval since the last snapshot the agent was watching,
 * so the SOC can tell silence from safety: CLOCK_MONOTONIC stops while the
 * laptop sleeps, CLOCK_BOOTTIME does not, and the wall clock since the last
 * snapshot of an earlier run also counts the time the agent was stopped.
 */
static void write_completeness(agent *a, yajl_gen g)
{
	usec_t real = now_usec(CLOCK_REALTIME), mono = now_usec(CLOCK_MONOTONIC),
	       boot = now_usec(CLOCK_BOOTTIME);
	usec_t wall, watched = mono - a->reports.interval_mono,
		     up = boot - a->reports.interval_boot;
	usec_t asleep = up > watched ? up - watched : 0, stopped;

	wall = real > a->reports.interval_real ? real - a->reports.interval_real : up;
	if (wall < up)
		wall = up;
	stopped = wall - up;
	json_open(g, "completeness");
	json_int(g, "interval_seconds", (long long)(wall / USEC_PER_SEC));
	json_int(g, "watched_seconds", (long long)(watched / USEC_PER_SEC));
	json_int(g, "asleep_seconds", (long long)(asleep / USEC_PER_SEC));
	json_int(g, "stopped_seconds", (long long)(stopped / USEC_PER_SEC));
	/* Per mille: an integer the SOC can compare without floating point. */
	json_int(g, "watched_per_mille", wall ? (long long)(watched * 1000 / wall) : 1000);
	json_close(g);
	a->reports.interval_real = real;
	a->reports.interval_mono = mono;
	a->reports.interval_boot = boot;
}

static void write_snapshot_contents(void *userdata, yajl_gen g)
{
	agent *a = userdata;

	json_key(g, "posture");
	agent_status_write_posture(a, g);
	write_completeness(a, g);
	/* When the next one is due: the collector tells a silent laptop from one between snapshots. */
	json_int(g, "snapshot_interval_seconds",
		 (long long)a->opts.config.snapshot_interval_seconds);
}

static void agent_send_snapshot(agent *a)
{
	yajl_gen g = a->gen;

	format_snapshot(g, &a->device, (long long)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC),
			write_snapshot_contents, a);
	agent_findings_spool(a, SPOOL_STATE, "posture");
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
	/* The owner's copy of what was sent is kept as long as the policy says (posturectl sent). */
	if (a->reports.spool && engine_policy(a->engine)) {
		int64_t now_ms = (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
		int64_t days = policy_settings(engine_policy(a->engine))->sent_retention_days;
		int r = spool_prune_sent(a->reports.spool, now_ms - days * 86400000LL);

		if (r < 0)
			log_warning_errno(r, "Failed to prune the sent records: %m");
	}
	/* The run state keeps it, so the first snapshot after a restart counts the time stopped. */
	agent_tamper_snapshot_made(a, a->reports.interval_real);
}

static int on_snapshot_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;

	usec_t now;

	agent_send_snapshot(a);
	/* From now, not from when it was due: the first one is due at once, at boot time 0. */
	if (sd_event_now(a->event, CLOCK_BOOTTIME, &now) < 0)
		now = now_usec(CLOCK_BOOTTIME);
	(void)sd_event_source_set_time(s, now + (usec_t)a->opts.config.snapshot_interval_seconds *
							  USEC_PER_SEC);
	(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

void agent_reports_snapshot_soon(agent *a)
{
	usec_t now;

	/* A posture change goes to the collector soon, changes close together as one. */
	if (a->reports.snapshot_timer && sd_event_now(a->event, CLOCK_BOOTTIME, &now) >= 0) {
		uint64_t next = USEC_INFINITY;

		(void)sd_event_source_get_time(a->reports.snapshot_timer, &next);
		if (next > now + 2 * USEC_PER_SEC) {
			(void)sd_event_source_set_time(a->reports.snapshot_timer,
						       now + 2 * USEC_PER_SEC);
			(void)sd_event_source_set_enabled(a->reports.snapshot_timer,
							  SD_EVENT_ONESHOT);
		}
	}
}

void agent_reports_kick_sender(agent *a)
{
	if (a->reports.sender_pid > 0)
		(void)kill(a->reports.sender_pid, SIGUSR1);
}

static int agent_start_sender(agent *a);

static int on_sender_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)agent_start_sender(userdata);
	return 0;
}

static int on_sender_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	agent *a = userdata;
	usec_t delay = 5 * USEC_PER_SEC << MIN(a->reports.sender_failures, 6U), now;

	a->reports.sender_child = sd_event_source_disable_unref(a->reports.sender_child);
	if (a->net.probe)
		(void)probe_net_exempt(a->net.probe, si->si_pid, false);
	a->reports.sender_pid = 0;
	if (a->reports.sender_restart) {
		a->reports.sender_restart = false;
		log_info("The sender (pid %d) stopped for a new certificate; starting it again.",
			 (int)si->si_pid);
		if (agent_start_sender(a) >= 0)
			return 0;
		/* It could not start: retried like a sender that stopped by itself. */
	}
	a->reports.sender_failures++;
	log_warning("The sender (pid %d) stopped (%s %d); starting it again in %llu s.",
		    (int)si->si_pid, si->si_code == CLD_EXITED ? "status" : "signal", si->si_status,
		    (unsigned long long)(delay / USEC_PER_SEC));
	if (sd_event_now(a->event, CLOCK_MONOTONIC, &now) >= 0) {
		(void)sd_event_source_set_time(a->reports.sender_timer, now + delay);
		(void)sd_event_source_set_enabled(a->reports.sender_timer, SD_EVENT_ONESHOT);
	}
	return 0;
}

/*
 * Where postured-sender is: beside this binary when it is there (the build
 * tree, where build/postured runs build/postured-sender), else in the
 * installed private directory, POSTURED_SENDER_DIR (the Makefile's
 * $(LIBEXECDIR)/postured): the sender is not a program a user runs, so it is
 * not on PATH.  Writes the path to ret_path; logs and returns -errno when
 * neither is an executable.
 */
static int agent_find_sender(char *ret_path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return log_error_errno(errno, "Failed to find my own executable: %m");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	strbuf_printf(ret_path, size, "%s/postured-sender", self);
	if (access(ret_path, X_OK) >= 0)
		return 0;
	strbuf_printf(ret_path, size, "%s/postured-sender", POSTURED_SENDER_DIR);
	if (access(ret_path, X_OK) < 0)
		return log_error_errno(
			errno, "The sender is missing: neither %s/postured-sender nor %s: %m", self,
			ret_path);
	return 0;
}

int agent_reports_spawn_sender(agent *a, const char *const *argv, int stdin_fd, int stdout_fd,
			       int sign_fd, pid_t *ret_pid)
{
	int go[2], r;
	pid_t pid;

	/* The child waits on go[0] until the parent has exempted it from the network rules. */
	if (pipe2(go, O_CLOEXEC) < 0)
		return log_error_errno(errno, "Failed to start the sender: %m");
	pid = fork();
	if (pid < 0) {
		r = log_error_errno(errno, "Failed to start the sender: %m");
		safe_close(go[0]);
		safe_close(go[1]);
		return r;
	}
	if (pid == 0) {
		char byte;

		safe_close(go[1]);
		while (read(go[0], &byte, 1) < 0 && errno == EINTR)
			;
		if ((stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0) ||
		    (stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0) ||
		    (sign_fd >= 0 && dup2(sign_fd, 3) < 0))
			_exit(127);
		/* Only stdio (and the signing channel) go along; SIGUSR1 stays blocked. */
		if (syscall(SYS_close_range, sign_fd >= 0 ? 4U : 3U, ~0U, 0) < 0)
			for (int fd = sign_fd >= 0 ? 4 : 3; fd < 65536; fd++)
				(void)close(fd);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		execv(a->reports.sender_path, (char *const *)argv);
		log_error_errno(errno, "Failed to run %s: %m", a->reports.sender_path);
		_exit(127);
	}
	safe_close(go[0]);
	/* Its way to the collector (and to a fixed policy) is one no network rule may cut. */
	if (a->net.probe) {
		r = probe_net_exempt(a->net.probe, pid, true);
		if (r < 0)
			log_warning_errno(r,
					  "Failed to exempt the sender from the network rules: %m");
	}
	safe_close(go[1]);
	*ret_pid = pid;
	return 0;
}

/*
 * Starts the unprivileged sender (postured-sender, agent_find_sender()) and
 * watches it.  fork and exec, not fork alone: the daemon has the spool open,
 * and SQLite's locks do not survive into a forked child (its connections
 * would retry on the daemon's closed descriptors forever), nor should the
 * child inherit any of the daemon's memory, BPF objects or descriptors.
 */
static int agent_start_sender(agent *a)
{
	const struct config *c = &a->opts.config;
	const char *argv[20] = { a->reports.sender_path, "--url",  c->collector_url, "--ca",
				 c->collector_ca,	 "--cert", c->client_cert };
	_cleanup_close_ int sign_fd = -EBADF;
	char interval[32];
	size_t n = 7;
	pid_t pid;
	int r;

	if (a->reports.sender_pid > 0)
		return 0;
	r = agent_identity_sign_channel(a, &sign_fd);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the TPM signing channel: %m");
	/* A key in the TPM: the sender has its signatures made on fd 3. */
	argv[n++] = sign_fd >= 0 ? "--sign-fd" : "--key";
	argv[n++] = sign_fd >= 0 ? "3" : c->client_key;
	argv[n++] = "--spool";
	argv[n++] = c->spool_path;
	argv[n++] = "--poll-ms";
	argv[n++] = "2000";
	if (a->feed.enabled) {
		strbuf_printf(interval, sizeof(interval), "%llu",
			      (unsigned long long)c->policy_fetch_interval_seconds * 1000ULL);
		argv[n++] = "--policy-dir";
		argv[n++] = c->policy_incoming_dir;
		argv[n++] = "--policy-interval-ms";
		argv[n++] = interval;
	}
	if (c->sender_user[0]) {
		argv[n++] = "--user";
		argv[n++] = c->sender_user;
	}
	argv[n] = NULL;

	r = agent_reports_spawn_sender(a, argv, -EBADF, -EBADF, sign_fd, &pid);
	if (r < 0)
		return r;
	r = sd_event_add_child(a->event, &a->reports.sender_child, pid, WEXITED, on_sender_exit, a);
	if (r < 0) {
		(void)kill(pid, SIGTERM);
		return log_error_errno(r, "Failed to watch the sender: %m");
	}
	a->reports.sender_pid = pid;
	log_info("Sending reports to %s (sender pid %d).", a->opts.config.collector_url, (int)pid);
	return 0;
}

void agent_reports_restart_sender(agent *a)
{
	usec_t now;

	if (!a->reports.spool)
		return;
	if (a->reports.sender_pid > 0) {
		/* It has the old certificate in memory; on_sender_exit() starts it again at once. */
		a->reports.sender_restart = true;
		(void)kill(a->reports.sender_pid, SIGTERM);
		return;
	}
	(void)sd_event_source_set_enabled(a->reports.sender_timer, SD_EVENT_OFF);
	if (agent_start_sender(a) < 0 && sd_event_now(a->event, CLOCK_MONOTONIC, &now) >= 0) {
		/* Retried from the sender's timer, as after any stop. */
		(void)sd_event_source_set_time(a->reports.sender_timer, now + 5 * USEC_PER_SEC);
		(void)sd_event_source_set_enabled(a->reports.sender_timer, SD_EVENT_ONESHOT);
	}
}

/* The CN of the certificate in path when it is a device id (32 hex digits). */
static int cert_device_id(const char *path, char *ret, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	X509 *x;
	char cn[64];
	int n;

	if (!f)
		return -errno;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x)
		return -EBADMSG;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	X509_free(x);
	if (n != 32 || strspn(cn, "0123456789abcdef") != 32 || size <= 32)
		return -EBADMSG;
	memcpy(ret, cn, 33);
	return 0;
}

int agent_reports_setup(agent *a)
{
	const struct config *c = &a->opts.config;
	int r;

	if (!c->collector_url[0])
		return 0;
	if (c->enroll_url[0]) {
		/* An enrolled agent's certificate and key are its identity file. */
		if (!c->collector_ca[0])
			return log_error_errno(EINVAL, "collector_url is set, so collector_ca must "
						       "be too.");
		strbuf_printf(a->opts.config.client_cert, sizeof(c->client_cert), "%s",
			      c->identity_path);
		strbuf_printf(a->opts.config.client_key, sizeof(c->client_key), "%s",
			      c->identity_path);
	} else if (!c->collector_ca[0] || !c->client_cert[0] || !c->client_key[0])
		return log_error_errno(EINVAL,
				       "collector_url is set, so collector_ca, client_cert and "
				       "client_key must be too (or enroll_url, to enroll).");
	if (!c->enroll_url[0]) {
		struct stat st;

		/* Checked here too, so the daemon refuses at once rather than its sender later. */
		if (stat(c->client_key, &st) < 0)
			return log_error_errno(errno, "Cannot read the client key %s: %m",
					       c->client_key);
		if (st.st_uid != 0 || (st.st_mode & 0027))
			return log_error_errno(EPERM,
					       "The client key %s must be owned by root and not "
					       "readable by others (mode 0600 or 0640; it is %04o, "
					       "owner uid %u). Fix: chown root %s && chmod 0600 %s",
					       c->client_key, (unsigned)(st.st_mode & 07777),
					       (unsigned)st.st_uid, c->client_key, c->client_key);
	}
	/* The run state: how the previous run ended, and when its last snapshot was. */
	agent_tamper_load(a);
	/*
	 * The collector knows this device by its certificate; records say the
	 * same, so the device id is one thing from the laptop to the SIEM.
	 */
	r = c->enroll_url[0] ? 0 :
			       cert_device_id(c->client_cert, a->device.uid, sizeof(a->device.uid));
	if (r < 0)
		log_warning_errno(r,
				  "Could not read a device id (a 32-hex-digit CN) from %s: %m; "
				  "records name this machine's own id.",
				  c->client_cert);
	r = spool_open(c->spool_path, (uint64_t)c->spool_max_mib * 1024 * 1024, &a->reports.spool);
	if (r < 0)
		return log_error_errno(r, "Failed to open the spool %s: %m", c->spool_path);
	(void)spool_set_device_uid(a->reports.spool, a->device.uid);
	if (a->status.server)
		status_server_set_spool(a->status.server, a->reports.spool);
	if (r == SPOOL_OPEN_RECREATED)
		log_warning("The spool %s was damaged; it was moved aside (%s.corrupt-*) and a new "
			    "one started.",
			    c->spool_path, c->spool_path);
	r = agent_find_sender(a->reports.sender_path, sizeof(a->reports.sender_path));
	if (r < 0)
		return r;
	r = sd_event_add_time(a->event, &a->reports.sender_timer, CLOCK_MONOTONIC, USEC_INFINITY,
			      USEC_PER_SEC, on_sender_timer, a);
	if (r >= 0)
		r = sd_event_add_time(a->event, &a->reports.snapshot_timer, CLOCK_BOOTTIME, 0,
				      USEC_PER_SEC, on_snapshot_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the report timers: %m");
	(void)sd_event_source_set_enabled(a->reports.sender_timer, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(a->reports.snapshot_timer, SD_EVENT_ONESHOT);
	policy_feed_setup(a);
	/* Without a certificate yet, the records wait in the spool for the enrollment. */
	r = agent_identity_setup(a);
	if (r <= 0)
		return r;
	return agent_start_sender(a);
}

void agent_reports_free(agent *a)
{
	sd_event_source_disable_unref(a->reports.sender_timer);
	sd_event_source_disable_unref(a->reports.snapshot_timer);
	if (a->reports.sender_pid > 0) {
		/* Let it finish the request in flight; the spool keeps the rest. */
		(void)kill(a->reports.sender_pid, SIGTERM);
		(void)waitpid(a->reports.sender_pid, NULL, 0);
	}
	sd_event_source_disable_unref(a->reports.sender_child);
	spool_free(a->reports.spool);
}
