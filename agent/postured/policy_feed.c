// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The privileged side of the signed-policy feed.  The unprivileged sender
 * fetches GET /v1/policy and hands the policy and its signature over as
 * files in a directory of its own; this side never trusts them: bounded
 * reads that follow no symbolic link, the Ed25519 signature over the exact
 * bytes with the pinned key, validation, and no rollback (a lower serial,
 * or the same serial with other contents, is refused).  What passes is put
 * in force (agent_policy.c) and kept as the last good signed policy, for
 * start-ups without the collector.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "policy_sig.h"
#include "sender/sender.h"

/* Why a file handed over could not be read, in words. */
static const char *read_error(int r)
{
	switch (r) {
	case -ELOOP:
		return "a symbolic link";
	case -EISDIR:
	case -EBADFD:
		return "not a regular file";
	default:
		return strerror(-r);
	}
}

int policy_feed_read_signed(agent *a, const char *path, char **ret, size_t *ret_size,
			    char **ret_sig, size_t *ret_sig_size, char *detail, size_t detail_size)
{
	_cleanup_free_ char *data = NULL, *sig = NULL;
	char sig_path[PATH_MAX];
	size_t size, sig_size;
	int r;

	/* The sender's directory is the sender's: a symlink out of it is not followed. */
	r = read_full_file(path, POLICY_SIG_MAX_POLICY, READ_FULL_NOFOLLOW, &data, &size);
	if (r < 0) {
		strbuf_printf(detail, detail_size, "%s: cannot read the policy: %s", path,
			      r == -EFBIG ? "larger than 1 MiB" : read_error(r));
		return r;
	}
	/* The sender's pair is policy.json + policy.sig; ours is FILE + FILE.sig. */
	if (strrchr(path, '/') && strcmp(strrchr(path, '/') + 1, SENDER_POLICY_FILE) == 0)
		strbuf_printf(sig_path, sizeof(sig_path), "%.*s%s",
			      (int)(strlen(path) - strlen(SENDER_POLICY_FILE)), path,
			      SENDER_POLICY_SIG_FILE);
	else
		strbuf_printf(sig_path, sizeof(sig_path), "%s.sig", path);
	r = read_full_file(sig_path, POLICY_SIG_MAX_SIGNATURE, READ_FULL_NOFOLLOW, &sig, &sig_size);
	if (r < 0) {
		strbuf_printf(detail, detail_size, "%s: cannot read the signature: %s", sig_path,
			      r == -EFBIG ? "larger than 256 bytes" : read_error(r));
		return r == -ENOENT ? -EBADMSG : r;
	}
	r = policy_sig_verify(data, size, sig, sig_size, a->opts.config.policy_public_key);
	if (r == -EBADMSG) {
		strbuf_printf(detail, detail_size,
			      "%s: signature does not verify with the pinned key %s", path,
			      a->opts.config.policy_public_key);
		return r;
	}
	if (r < 0) {
		strbuf_printf(detail, detail_size, "%s: cannot check the signature with %s: %s",
			      path, a->opts.config.policy_public_key,
			      r == -EKEYREJECTED ? "not an Ed25519 public key (PEM)" :
						   strerror(-r));
		/* -ENOENT says the policy itself is missing: a missing key is not that. */
		return r == -ENOENT ? -ENOKEY : r;
	}
	*ret = TAKE_PTR(data);
	*ret_size = size;
	if (ret_sig) {
		*ret_sig = TAKE_PTR(sig);
		*ret_sig_size = sig_size;
	}
	return 0;
}

/* Keeps the accepted policy and its signature for start-ups without the collector. */
static int policy_feed_store(agent *a, const char *data, size_t size, const char *sig,
			     size_t sig_size)
{
	const char *path = a->opts.config.signed_policy_path;
	char sig_path[PATH_MAX];
	int r;

	strbuf_printf(sig_path, sizeof(sig_path), "%s.sig", path);
	/* The signature first: a pair cut in the middle fails verification, never passes. */
	r = write_file_atomic(sig_path, sig, sig_size, 0600);
	if (r >= 0)
		r = write_file_atomic(path, data, size, 0600);
	if (r < 0)
		return log_warning_errno(r, "Could not keep the signed policy in %s: %m", path);
	return 0;
}

/*
 * The sender handed over a policy: the privileged side never trusts it.
 * Size limits, the signature over the exact bytes with the pinned key,
 * validation, then no rollback: a serial lower than the one in force, or the
 * same serial with other contents, is refused.  Only then in force, and kept
 * as the last good signed policy.
 */
static int policy_feed_take_incoming(agent *a)
{
	const struct config *c = &a->opts.config;
	_cleanup_(policy_errors_freep) policy_errors *errs = policy_errors_new();
	_cleanup_(policy_unrefp) policy *p = NULL;
	_cleanup_free_ char *data = NULL, *sig = NULL;
	char path[PATH_MAX], source[PATH_MAX], detail[FINDING_DETAIL_MAX];
	const policy *cur = engine_policy(a->engine);
	size_t size, sig_size;
	int r;

	if (!errs)
		return log_oom();
	strbuf_printf(path, sizeof(path), "%s/%s", c->policy_incoming_dir, SENDER_POLICY_FILE);
	strbuf_printf(source, sizeof(source), "%s%s/v1/policy", c->collector_url,
		      c->collector_url[strlen(c->collector_url) - 1] == '/' ? "." : "");

	r = policy_feed_read_signed(a, path, &data, &size, &sig, &sig_size, detail, sizeof(detail));
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		log_error("Refusing the policy fetched from %s: %s.", source, detail);
		return agent_policy_refuse(a, r, detail, false);
	}
	/* Identical to the signed policy in force: a refetch, nothing to do. */
	if (a->feed.signed_bytes && a->feed.signed_size == size &&
	    memcmp(a->feed.signed_bytes, data, size) == 0) {
		log_debug("The fetched policy is the one in force.");
		return 0;
	}
	r = policy_parse(source, data, size, errs, &p);
	if (r < 0) {
		log_error("Refusing the policy fetched from %s: it is not valid.", source);
		return agent_policy_refuse_invalid(a, r, errs, source, false);
	}
	if (cur && policy_serial(p) < policy_serial(cur)) {
		strbuf_printf(detail, sizeof(detail),
			      "%s: serial %llu is lower than %llu in force: refusing a rollback",
			      source, (unsigned long long)policy_serial(p),
			      (unsigned long long)policy_serial(cur));
		log_error("Refusing the policy fetched from %s: %s.", source, detail);
		return agent_policy_refuse(a, -ESTALE, detail, false);
	}
	if (cur && policy_serial(p) == policy_serial(cur)) {
		strbuf_printf(detail, sizeof(detail),
			      "%s: serial %llu is already in force with other contents (from "
			      "%s): refusing; a changed policy needs a higher serial",
			      source, (unsigned long long)policy_serial(p), a->policy.source);
		log_error("Refusing the policy fetched from %s: %s.", source, detail);
		return agent_policy_refuse(a, -ESTALE, detail, false);
	}
	r = agent_policy_put_in_force(a, p, source, false);
	if (r < 0)
		return r;
	(void)policy_feed_store(a, data, size, sig, sig_size);
	policy_feed_set_in_force(a, TAKE_PTR(data), size);
	return 0;
}

static int on_incoming_policy(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	agent *a = userdata;

	if ((ev->mask & IN_Q_OVERFLOW) ||
	    (ev->len > 0 && strcmp(ev->name, SENDER_POLICY_FILE) == 0)) {
		(void)sd_notify(false, "RELOADING=1");
		(void)policy_feed_take_incoming(a);
		(void)sd_notify(false, "READY=1");
	}
	return 0;
}

void policy_feed_setup(agent *a)
{
	const struct config *c = &a->opts.config;
	const char *dir = c->policy_incoming_dir;
	struct stat st;
	struct sender_user u;
	int r;

	if (!c->policy_public_key[0]) {
		log_debug("No policy_public_key: not fetching the policy from the collector.");
		return;
	}
	if (access(c->policy_public_key, R_OK) < 0) {
		log_error_errno(errno, "Not fetching the policy: cannot read the key %s: %m",
				c->policy_public_key);
		return;
	}
	r = sender_user_lookup(c->sender_user, &u);
	if (r < 0) {
		log_error_errno(r, "Not fetching the policy: the sender user is unknown: %m");
		return;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error_errno(errno, "Not fetching the policy: cannot make %s: %m", dir);
		return;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_error("Not fetching the policy: %s is not a directory.", dir);
		return;
	}
	/*
	 * chmod() needs the owner or CAP_FOWNER, which the unit does not grant:
	 * the mode is set while the directory is root's, then it is given away.
	 */
	if (st.st_uid != u.uid || st.st_gid != u.gid || (st.st_mode & 07777) != 0700) {
		if (st.st_uid != 0 && chown(dir, 0, 0) < 0) {
			log_error_errno(errno, "Not fetching the policy: cannot take back %s: %m",
					dir);
			return;
		}
		if (chmod(dir, 0700) < 0) {
			log_error_errno(errno, "Not fetching the policy: cannot chmod %s: %m", dir);
			return;
		}
		if (chown(dir, u.uid, u.gid) < 0) {
			log_error_errno(errno,
					"Not fetching the policy: cannot give %s to the sender: %m",
					dir);
			return;
		}
	}
	r = sd_event_add_inotify(a->event, &a->feed.incoming_source, dir,
				 IN_MOVED_TO | IN_CLOSE_WRITE, on_incoming_policy, a);
	if (r < 0) {
		log_error_errno(r, "Not fetching the policy: cannot watch %s: %m", dir);
		return;
	}
	a->feed.enabled = true;
	log_info("Fetching the signed policy every %u s; verifying it with %s.",
		 c->policy_fetch_interval_seconds, c->policy_public_key);
}

void policy_feed_set_in_force(agent *a, char *bytes, size_t size)
{
	free(a->feed.signed_bytes);
	a->feed.signed_bytes = bytes;
	a->feed.signed_size = size;
}

void policy_feed_free(agent *a)
{
	sd_event_source_disable_unref(a->feed.incoming_source);
	free(a->feed.signed_bytes);
}
