// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device's identity (docs/enrollment.md).  With enroll_url, this side
 * makes the key (EC P-256, root 0600, never leaves the machine) and the
 * request with the device id as CN (identity.c); the unprivileged sender
 * does the HTTP (postured-sender --enroll, the request on its stdin, the
 * answer on its stdout); this side checks that the certificate answered is
 * for its key and chains to the pinned CA, and only then replaces the
 * identity file in one rename and starts the report sender again with it.
 * Until the first enrollment succeeds, the sender does not run and the
 * records wait in the spool.  Renewal comes at two thirds of the
 * certificate's life with a new key; failures are retried from
 * enroll_retry_seconds, doubling up to an hour, with jitter so a fleet
 * back from an outage does not come at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-internal.h"
#include "basic/fileio.h"
#include "basic/json-util.h"
#include "basic/openssl-util.h"
#include "basic/string-util.h"
#include "sender/sender_enroll.h"

#define IDENTITY_RETRY_MAX_SEC 3600

static int64_t now_ms(void)
{
	return (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
}

static void arm(agent *a, int64_t at_ms)
{
	struct agent_identity *id = &a->identity;
	int64_t now = now_ms();

	id->next_attempt = MAX(at_ms, now);
	(void)sd_event_source_set_time(id->timer, (usec_t)id->next_attempt * USEC_PER_MSEC);
	(void)sd_event_source_set_enabled(id->timer, SD_EVENT_ONESHOT);
}

/* The next try after a failure: doubling from enroll_retry_seconds, less a random quarter. */
static void arm_retry(agent *a)
{
	struct agent_identity *id = &a->identity;
	uint64_t delay = a->opts.config.enroll_retry_seconds, jitter = 0;

	for (unsigned i = 1; i < id->failures && delay < IDENTITY_RETRY_MAX_SEC; i++)
		delay *= 2;
	delay = MIN(delay, (uint64_t)IDENTITY_RETRY_MAX_SEC) * 1000;
	if (getrandom(&jitter, sizeof(jitter), 0) == sizeof(jitter))
		delay -= jitter % (delay / 4 + 1);
	arm(a, now_ms() + (int64_t)delay);
}

static void arm_renewal(agent *a)
{
	char when[TIMESTAMP_UTC_MAX];

	arm(a, a->identity.info.renew_at);
	log_info("Certificate serial %s from %s is valid until %s; renewal at %s.",
		 a->identity.info.serial, a->identity.info.issuer,
		 format_timestamp_utc(when, a->identity.info.not_after),
		 format_timestamp_utc((char[TIMESTAMP_UTC_MAX]){}, a->identity.info.renew_at));
}

static void fail(agent *a, const char *what)
{
	struct agent_identity *id = &a->identity;

	if (id->failures < 64)
		id->failures++;
	strbuf_printf(id->last_error, sizeof(id->last_error), "%s", what);
	log_warning("%s failed: %s", id->renewal ? "Renewing the certificate" : "Enrolling", what);
	arm_retry(a);
	if (a->status.server)
		status_server_notify_changed(a->status.server);
}

/* The request ended: the answer checked and installed, or the failure noted. */
static void finish(agent *a)
{
	struct agent_identity *id = &a->identity;
	const struct config *c = &a->opts.config;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_(X509_freep) X509 *cert = NULL;
	char reason[256] = "";
	_cleanup_free_ char *answer = TAKE_PTR(id->answer);
	size_t size = id->answer_size;
	bool first = !id->renewal;
	int r;

	id->pid = 0;
	id->answer_size = 0;
	id->child = sd_event_source_disable_unref(id->child);
	id->out = sd_event_source_disable_unref(id->out);
	id->out_fd = safe_close(id->out_fd);

	if (id->exit_status != 0) {
		/* The sender's one line on stdout says why. */
		if (answer && strncmp(answer, "error: ", 7) == 0) {
			answer[strcspn(answer, "\n")] = '\0';
			strbuf_printf(reason, sizeof(reason), "%s", answer + 7);
		} else
			strbuf_printf(reason, sizeof(reason), "the sender stopped with status %d",
				      id->exit_status);
		fail(a, reason);
		return;
	}
	if (id->answer_too_long) {
		fail(a, "the answer is larger than 64 KiB");
		return;
	}
	r = identity_pending_key(id->pending_path, id->tpm, &key);
	if (r < 0) {
		strbuf_printf(reason, sizeof(reason), "the request's key %s is gone: %s",
			      id->pending_path, strerror(-r));
		fail(a, reason);
		return;
	}
	r = identity_accept(key, a->device.uid, answer ? answer : "", size,
			    c->device_ca[0] ? c->device_ca : c->collector_ca, &cert, reason,
			    sizeof(reason));
	if (r < 0) {
		/* The identity in place, if any, stays. */
		fail(a, r == -ENOMEM ? "out of memory" : reason);
		return;
	}
	r = identity_write(c->identity_path, key, cert);
	if (r < 0) {
		strbuf_printf(reason, sizeof(reason), "cannot write %s: %s", c->identity_path,
			      strerror(-r));
		fail(a, reason);
		return;
	}
	(void)unlink(id->pending_path);
	identity_info_from_cert(cert, &id->info);
	id->info.in_tpm = identity_key_in_tpm(key);
	/* A key in the TPM is kept loaded here: the senders' signatures are made with it. */
	EVP_PKEY_free(id->key);
	id->key = id->info.in_tpm ? TAKE_PTR(key) : NULL;
	id->usable = true;
	id->failures = 0;
	id->last_error[0] = '\0';
	id->token_file[0] = '\0';
	log_notice("%s: this device is %s to %s.", first ? "Enrolled" : "Renewed", a->device.uid,
		   id->info.issuer);
	arm_renewal(a);
	agent_reports_restart_sender(a);
	if (a->status.server)
		status_server_notify_changed(a->status.server);
}

static int on_sender_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	agent *a = userdata;
	struct agent_identity *id = &a->identity;

	if (a->net.probe)
		(void)probe_net_exempt(a->net.probe, si->si_pid, false);
	id->exited = true;
	id->exit_status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	if (id->out_eof)
		finish(a);
	return 0;
}

static int on_sender_out(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	agent *a = userdata;
	struct agent_identity *id = &a->identity;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0) {
		if (strbuf_append_bounded(&id->answer, &id->answer_size, buf, (size_t)n,
					  SENDER_ENROLL_MAX_ANSWER) == -EFBIG) {
			/* Not a well-behaved sender: stop it rather than read on. */
			id->answer_too_long = true;
			(void)kill(id->pid, SIGTERM);
		}
		return 0;
	}
	id->out_eof = true;
	(void)sd_event_source_set_enabled(s, SD_EVENT_OFF);
	if (id->exited)
		finish(a);
	return 0;
}

/* Starts one request: the key and the request made here, the HTTP done by the sender. */
static int start(agent *a, bool renewal)
{
	struct agent_identity *id = &a->identity;
	const struct config *c = &a->opts.config;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_free_ char *csr = NULL;
	_cleanup_close_ int in_r = -EBADF, in_w = -EBADF, out_r = -EBADF, out_w = -EBADF,
			    sign_fd = -EBADF;
	const char *token = id->token_file[0] ? id->token_file : c->enroll_token_file;
	const char *argv[16] = { a->reports.sender_path, "--enroll", c->enroll_url,  "--url",
				 c->collector_url,	 "--ca",     c->collector_ca };
	size_t n = 7, size;
	char reason[256];
	int fds[2], r;

	if (id->pid > 0)
		return -EBUSY;
	id->renewal = renewal;
	id->last_attempt = now_ms();
	if (c->key_storage == CONFIG_KEY_STORAGE_TPM && !id->tpm) {
		/* Never a file key where the TPM was asked for. */
		fail(a, id->tpm_error);
		return -ENODEV;
	}
	r = identity_pending_key(id->pending_path, id->tpm, &key);
	if (r < 0) {
		strbuf_printf(reason, sizeof(reason), "cannot make the key %s%s: %s",
			      id->pending_path, id->tpm ? " in the TPM" : "", strerror(-r));
		fail(a, reason);
		return r;
	}
	r = identity_request(key, id->tpm, a->device.uid, &csr, &size);
	if (r < 0) {
		fail(a, "cannot make the certificate request");
		return r;
	}
	if (renewal) {
		r = agent_identity_sign_channel(a, &sign_fd);
		if (r < 0)
			return log_error_errno(r, "Failed to set up the TPM signing channel: %m");
		argv[n++] = "--cert";
		argv[n++] = c->identity_path;
		argv[n++] = sign_fd >= 0 ? "--sign-fd" : "--key";
		argv[n++] = sign_fd >= 0 ? "3" : c->identity_path;
	} else {
		argv[n++] = "--token-file";
		argv[n++] = token;
	}
	if (c->sender_user[0]) {
		argv[n++] = "--user";
		argv[n++] = c->sender_user;
	}
	argv[n] = NULL;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return log_error_errno(errno, "Failed to make a pipe: %m");
	in_r = fds[0], in_w = fds[1];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return log_error_errno(errno, "Failed to make a pipe: %m");
	out_r = fds[0], out_w = fds[1];
	/* The request is far smaller than a pipe holds: written now, read by the sender. */
	if (write(in_w, csr, size) != (ssize_t)size)
		return log_error_errno(errno, "Failed to hand the request over: %m");
	in_w = safe_close(in_w);

	r = agent_reports_spawn_sender(a, argv, in_r, out_w, sign_fd, &id->pid);
	if (r < 0) {
		fail(a, "cannot start the sender");
		return r;
	}
	out_w = safe_close(out_w);
	id->exited = id->out_eof = id->answer_too_long = false;
	r = sd_event_add_child(a->event, &id->child, id->pid, WEXITED, on_sender_exit, a);
	if (r >= 0)
		r = sd_event_add_io(a->event, &id->out, out_r, EPOLLIN, on_sender_out, a);
	if (r < 0) {
		(void)kill(id->pid, SIGKILL);
		(void)waitpid(id->pid, NULL, 0);
		id->pid = 0;
		id->child = sd_event_source_disable_unref(id->child);
		return log_error_errno(r, "Failed to watch the enrollment: %m");
	}
	id->out_fd = TAKE_FD(out_r);
	id->next_attempt = 0;
	log_info("%s at %s (sender pid %d).", renewal ? "Renewing the certificate" : "Enrolling",
		 c->enroll_url, (int)id->pid);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent *a = userdata;

	(void)start(a, a->identity.usable);
	return 0;
}

/*
 * /dev/tpmrm0 is the tss group's, mode 0660 (tpm-udev).  The daemon, root
 * without CAP_DAC_OVERRIDE, joins the device's group (CAP_SETGID, which it
 * keeps for the sender) rather than be given a capability that opens every
 * file.
 */
static void join_device_group(const char *path)
{
	gid_t groups[64];
	struct stat st;
	int n;

	if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) || !(st.st_mode & S_IWGRP) ||
	    st.st_gid == getegid())
		return;
	n = getgroups((int)ELEMENTSOF(groups) - 1, groups);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return;
	groups[n++] = st.st_gid;
	if (setgroups((size_t)n, groups) < 0)
		log_warning_errno(errno, "Failed to join group %u of %s: %m", (unsigned)st.st_gid,
				  path);
}

/*
 * The TPM, when keys are to be made there: asked for (key_storage "tpm"),
 * or there is one (auto).  A TPM that cannot be opened is said in status;
 * when it was asked for, enrollment fails rather than make a file key.
 */
static void open_tpm(agent *a)
{
	struct agent_identity *id = &a->identity;
	const struct config *c = &a->opts.config;
	bool want = c->key_storage == CONFIG_KEY_STORAGE_TPM ||
		    (c->key_storage == CONFIG_KEY_STORAGE_AUTO &&
		     (c->tpm_tcti[0] || identity_tpm_present()));
	int r;

	if (!want)
		return;
	if (!c->tpm_tcti[0])
		join_device_group(IDENTITY_TPM_DEVICE);
	r = identity_tpm_open(c->tpm_tcti[0] ? c->tpm_tcti : "device:" IDENTITY_TPM_DEVICE,
			      &id->tpm);
	if (r >= 0) {
		log_info("Keys are made in the TPM (%s).",
			 c->tpm_tcti[0] ? c->tpm_tcti : IDENTITY_TPM_DEVICE);
		return;
	}
	strbuf_printf(id->tpm_error, sizeof(id->tpm_error), "the TPM (%s) cannot be opened: %s",
		      c->tpm_tcti[0] ? c->tpm_tcti : IDENTITY_TPM_DEVICE,
		      r == -ENODEV ? "the tpm2 provider found no TPM there" : strerror(-r));
	if (c->key_storage == CONFIG_KEY_STORAGE_TPM)
		/* The agent still watches; only enrolling waits for the TPM. */
		log_error("key_storage is \"tpm\" but %s; enrollment fails until it can be.",
			  id->tpm_error);
	else
		log_warning("Keys are files: %s.", id->tpm_error);
}

int agent_identity_setup(agent *a)
{
	struct agent_identity *id = &a->identity;
	const struct config *c = &a->opts.config;
	char reason[256] = "";
	int r;

	id->out_fd = -EBADF;
	for (size_t i = 0; i < ELEMENTSOF(id->sign); i++)
		id->sign[i].fd = -EBADF;
	id->enroll = c->enroll_url[0] != '\0';
	if (!id->enroll) {
		/* Made by hand: shown in status, renewed by whoever made it. */
		if (identity_load(c->client_cert, c->client_key, NULL, &id->info, NULL, reason,
				  sizeof(reason)) >= 0)
			id->usable = true;
		else
			log_warning("The client certificate %s cannot be used: %s", c->client_cert,
				    reason[0] ? reason : "not found");
		return 1;
	}

	strbuf_printf(id->pending_path, sizeof(id->pending_path), "%s.pending-key",
		      c->identity_path);
	r = sd_event_add_time(a->event, &id->timer, CLOCK_REALTIME, USEC_INFINITY, USEC_PER_SEC,
			      on_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the enrollment timer: %m");

	(void)open_tpm(a);
	r = identity_load(c->identity_path, c->identity_path, id->tpm, &id->info, &id->key, reason,
			  sizeof(reason));
	if (r >= 0 && !id->info.in_tpm)
		EVP_PKEY_free(TAKE_PTR(id->key));
	if (r >= 0 && strcmp(id->info.device_id, a->device.uid) != 0) {
		/* A copied disk image: the identity is another machine's. */
		log_warning("The identity %s is for device %s, not this one (%s); enrolling anew.",
			    c->identity_path, id->info.device_id, a->device.uid);
		r = -ENOENT;
	} else if (r == -EBADMSG) {
		log_warning("The identity %s cannot be used (%s); enrolling anew.",
			    c->identity_path, reason);
	}
	if (r >= 0 && id->info.in_tpm != (id->tpm != NULL))
		/* Kept as it is; the renewal makes the key where it is to be now. */
		log_info("The identity's key is %s; its renewal makes the next one %s.",
			 id->info.in_tpm ? "in the TPM" : "a file",
			 id->tpm ? "in the TPM" : "a file");
	if (r >= 0) {
		id->usable = true;
		arm_renewal(a);
		return 1;
	}
	if (r != -ENOENT && r != -EBADMSG)
		return log_error_errno(r, "Failed to read the identity %s: %m", c->identity_path);
	log_info("No certificate yet: enrolling at %s; reports wait in the spool.", c->enroll_url);
	arm(a, now_ms());
	return 0;
}

void agent_identity_free(agent *a)
{
	struct agent_identity *id = &a->identity;

	if (id->pid > 0) {
		(void)kill(id->pid, SIGTERM);
		(void)waitpid(id->pid, NULL, 0);
	}
	sd_event_source_disable_unref(id->child);
	sd_event_source_disable_unref(id->out);
	sd_event_source_disable_unref(id->timer);
	safe_close(id->out_fd);
	free(id->answer);
	for (size_t i = 0; i < ELEMENTSOF(id->sign); i++) {
		sd_event_source_disable_unref(id->sign[i].source);
		safe_close(id->sign[i].fd);
	}
	/* The key before the TPM: freeing it flushes its object from the TPM. */
	EVP_PKEY_free(id->key);
	identity_tpm_free(id->tpm);
}

int agent_identity_enroll_now(agent *a, const char *token_file, char *err, size_t err_size)
{
	struct agent_identity *id = &a->identity;

	if (!id->enroll || !a->reports.spool) {
		strbuf_printf(err, err_size,
			      "enrollment is not configured: set collector_url and enroll_url in "
			      "postured.conf");
		return -EOPNOTSUPP;
	}
	if (id->pid > 0) {
		strbuf_printf(err, err_size, "an enrollment request is in flight already");
		return -EBUSY;
	}
	strbuf_printf(id->token_file, sizeof(id->token_file), "%s", token_file ? token_file : "");
	id->failures = 0;
	(void)sd_event_source_set_enabled(id->timer, SD_EVENT_OFF);
	return start(a, false);
}

void agent_identity_write(agent *a, yajl_gen g)
{
	struct agent_identity *id = &a->identity;
	const char *state = !id->enroll	 ? "by_hand" :
			    id->pid > 0	 ? (id->renewal ? "renewing" : "enrolling") :
			    id->usable	 ? "enrolled" :
			    id->failures ? "failed" :
					   "enrolling";

	json_open(g, "identity");
	json_str(g, "device_id", a->device.uid);
	json_str(g, "state", state);
	/* Where the private key is: in the TPM, or a file only root can read. */
	json_str(g, "key_storage",
		 id->usable ? (id->info.in_tpm ? "tpm" : "file") : (id->tpm ? "tpm" : "file"));
	if (id->tpm_error[0])
		json_str(g, "tpm_error", id->tpm_error);
	if (id->usable) {
		json_str(g, "issuer", id->info.issuer);
		json_str(g, "serial", id->info.serial);
		json_int(g, "not_before", id->info.not_before);
		json_int(g, "not_after", id->info.not_after);
		if (id->enroll)
			json_int(g, "renew_at", id->info.renew_at);
	}
	if (id->enroll) {
		json_str(g, "enroll_url", a->opts.config.enroll_url);
		if (id->last_attempt)
			json_int(g, "last_attempt", id->last_attempt);
		if (id->next_attempt && id->pid == 0)
			json_int(g, "next_attempt", id->next_attempt);
		if (id->last_error[0])
			json_str(g, "last_error", id->last_error);
		json_int(g, "failures", id->failures);
	}
	json_close(g);
}

/* --- signatures for the senders, with the key in the TPM ------------------------- */

/*
 * One request on a channel: a length byte and a digest of 20 to 64 bytes;
 * the answer: a length byte and the DER ECDSA signature, or 0 when it could
 * not be made.  SOCK_SEQPACKET keeps each in one message.  All a sender can
 * have signed is what the key is for: its own TLS handshakes.
 */
static int on_sign_request(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	agent *a = userdata;
	struct agent_identity *id = &a->identity;
	unsigned char req[1 + 64], answer[1 + 160];
	size_t sig_size = sizeof(answer) - 1;
	ssize_t n = recv(fd, req, sizeof(req), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* The sender is gone. */
		for (size_t i = 0; i < ELEMENTSOF(id->sign); i++)
			if (id->sign[i].fd == fd) {
				id->sign[i].source =
					sd_event_source_disable_unref(id->sign[i].source);
				id->sign[i].fd = safe_close(id->sign[i].fd);
			}
		return 0;
	}
	answer[0] = 0;
	if ((size_t)n == 1u + req[0] && req[0] >= 20 && req[0] <= 64 && id->key && id->tpm &&
	    identity_tpm_sign(id->tpm, id->key, req + 1, req[0], answer + 1, &sig_size) >= 0 &&
	    sig_size < 256)
		answer[0] = (unsigned char)sig_size;
	else
		sig_size = 0;
	(void)send(fd, answer, 1 + (answer[0] ? sig_size : 0), MSG_DONTWAIT | MSG_NOSIGNAL);
	return 0;
}

int agent_identity_sign_channel(agent *a, int *ret_fd)
{
	struct agent_identity *id = &a->identity;
	struct agent_sign_channel *ch = NULL;
	int pair[2], r;

	*ret_fd = -EBADF;
	if (!id->key || !id->tpm)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(id->sign) && !ch; i++)
		if (id->sign[i].fd < 0)
			ch = &id->sign[i];
	if (!ch)
		return -EBUSY;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -errno;
	r = sd_event_add_io(a->event, &ch->source, pair[0], EPOLLIN, on_sign_request, a);
	if (r < 0) {
		safe_close(pair[0]);
		safe_close(pair[1]);
		return r;
	}
	ch->fd = pair[0];
	*ret_fd = pair[1];
	return 0;
}
