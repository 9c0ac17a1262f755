// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/openssl-util.h"
#include "basic/string-util.h"
#include "basic/time-util.h"
#include "est_hook.h"

struct est_hook_job {
	pid_t pid;
	sd_event_source *child, *out, *timer;
	int out_fd;
	char *output;
	size_t size;
	bool exited, eof, too_long, timed_out;
	int status;
	est_hook_done_fn done;
	void *userdata;
};

struct est_hook_job *est_hook_job_free(struct est_hook_job *j)
{
	if (!j)
		return NULL;
	if (j->pid > 0 && !j->exited) {
		(void)kill(j->pid, SIGKILL);
		(void)waitpid(j->pid, NULL, 0);
	}
	sd_event_source_disable_unref(j->child);
	sd_event_source_disable_unref(j->out);
	sd_event_source_disable_unref(j->timer);
	safe_close(j->out_fd);
	free(j->output);
	free(j);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct est_hook_job *, est_hook_job_free);

/* Both the exit and the end of the output are in: tell the caller, once. */
static void job_finish(struct est_hook_job *j)
{
	char why[128] = "";
	bool ok = false;

	if (!j->exited || !j->eof || !j->done)
		return;
	if (j->timed_out)
		snprintf(why, sizeof(why), "the external CA did not answer within %d s",
			 EST_HOOK_TIMEOUT_SEC);
	else if (j->too_long)
		snprintf(why, sizeof(why), "the external CA wrote more than 64 KiB");
	else if (j->status != 0)
		snprintf(why, sizeof(why), "the external CA failed (%s %d)",
			 j->status >= 128 ? "signal" : "status",
			 j->status >= 128 ? j->status - 128 : j->status);
	else
		ok = true;
	j->done(ok, j->output ? j->output : "", j->size, why, j->userdata);
	j->done = NULL;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct est_hook_job *j = userdata;

	j->exited = true;
	j->status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	(void)sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
	job_finish(j);
	return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct est_hook_job *j = userdata;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0 && strbuf_append_bounded(&j->output, &j->size, buf, (size_t)n,
					   EST_HOOK_MAX_OUTPUT) != -EFBIG)
		return 0;
	if (n > 0) {
		/* More than a certificate: stop it and read no further. */
		j->too_long = true;
		(void)kill(j->pid, SIGKILL);
	}
	j->eof = true;
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	job_finish(j);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct est_hook_job *j = userdata;

	j->timed_out = true;
	(void)kill(j->pid, SIGKILL);
	return 0;
}

static int request_pem(X509_REQ *csr, char **ret, size_t *ret_size)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	if (!bio || PEM_write_bio_X509_REQ(bio, csr) != 1)
		return -ENOMEM;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || !(*ret = malloc((size_t)n)))
		return -ENOMEM;
	memcpy(*ret, data, (size_t)n);
	*ret_size = (size_t)n;
	return 0;
}

int est_hook_start(sd_event *event, const char *program, const struct est_pending *p,
		   uint64_t lifetime_sec, est_hook_done_fn done, void *userdata,
		   struct est_hook_job **ret)
{
	_cleanup_(est_hook_job_freep) struct est_hook_job *j = calloc(1, sizeof(*j));
	_cleanup_free_ char *pem = NULL;
	_cleanup_close_ int in_r = -EBADF, in_w = -EBADF, out_r = -EBADF, out_w = -EBADF;
	char lifetime[32];
	size_t size;
	int fds[2], r;

	if (!j)
		return -ENOMEM;
	j->out_fd = -EBADF;
	r = request_pem(p->csr, &pem, &size);
	if (r < 0)
		return r;
	snprintf(lifetime, sizeof(lifetime), "%" PRIu64, lifetime_sec);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	in_r = fds[0], in_w = fds[1];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	out_r = fds[0], out_w = fds[1];
	/* A request's PEM is a few KiB, far less than a pipe holds: written before the start. */
	if (write(in_w, pem, size) != (ssize_t)size)
		return -errno;
	in_w = safe_close(in_w);

	j->pid = fork();
	if (j->pid < 0)
		return -errno;
	if (j->pid == 0) {
		sigset_t none;

		/* The collector's blocked signals are its loop's, not the program's. */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in_r, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0)
			_exit(127);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if (setenv("POSTURED_DEVICE_ID", p->info.device_id, 1) < 0 ||
		    setenv("POSTURED_KEY_TYPE", p->info.key_type, 1) < 0 ||
		    setenv("POSTURED_ENROLLMENT", p->renewal ? "renew" : "enroll", 1) < 0 ||
		    setenv("POSTURED_LIFETIME_SECONDS", lifetime, 1) < 0)
			_exit(127);
		execl(program, program, (char *)NULL);
		log_error_errno(errno, "Failed to run the external CA %s: %m", program);
		_exit(127);
	}
	out_w = safe_close(out_w);
	j->done = done;
	j->userdata = userdata;
	r = sd_event_add_child(event, &j->child, j->pid, WEXITED, on_child, j);
	if (r >= 0)
		r = sd_event_add_io(event, &j->out, out_r, EPOLLIN, on_output, j);
	if (r >= 0)
		r = sd_event_add_time_relative(event, &j->timer, CLOCK_MONOTONIC,
					       EST_HOOK_TIMEOUT_SEC * USEC_PER_SEC, USEC_PER_SEC,
					       on_timeout, j);
	if (r < 0)
		return r;
	j->out_fd = TAKE_FD(out_r);
	*ret = TAKE_PTR(j);
	return 0;
}
