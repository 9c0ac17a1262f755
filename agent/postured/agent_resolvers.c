// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The system's resolvers ("system_resolvers" in network rules), followed:
 * resolv.conf's nameservers together with systemd-resolved's servers.  At
 * home, in a hotel or on the VPN they change, so they are read again when
 * resolv.conf is replaced (inotify on its directory, and on its target's
 * when it is a symbolic link, since the file is usually a link replaced
 * atomically), when resolved says its servers changed, and when the
 * network changes (netwatch, through agent_checks.c).  A change of the set
 * goes to the engine and to the kernel's maps in one generation switch
 * (probe_net_apply_policy()), so no DNS query is judged by half a set.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/string-util.h"

/* resolv.conf is written in steps (truncate, write; or a new file, a rename): read once done. */
#define AGENT_RESOLVERS_DELAY_USEC (100 * USEC_PER_MSEC)

static void agent_resolvers_schedule(agent *a)
{
	usec_t now;

	if (!a->resolvers.timer)
		return;
	if (sd_event_now(a->event, CLOCK_MONOTONIC, &now) < 0)
		now = now_usec(CLOCK_MONOTONIC);
	(void)sd_event_source_set_time(a->resolvers.timer, now + AGENT_RESOLVERS_DELAY_USEC);
	(void)sd_event_source_set_enabled(a->resolvers.timer, SD_EVENT_ONESHOT);
}

/* The set in force as text, "a, b", for logs. */
static void set_text(const struct policy_net_resolvers *s, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		char t[64];
		int k = snprintf(buf + off, size - off, "%s%s", i ? ", " : "",
				 resolvers_address_text(s, i, t, sizeof(t)));

		if (k < 0 || (size_t)k >= size - off)
			break;
		off += (size_t)k;
	}
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	agent *a = userdata;
	const char *want = s == a->resolvers.target_source ? a->resolvers.target_name :
							     a->resolvers.link_name;

	if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && strcmp(ev->name, want) == 0))
		agent_resolvers_schedule(a);
	return 0;
}

/*
 * Watches the directory of the file resolv.conf leads to, when it is a
 * symbolic link into another directory (/run/systemd/resolve,
 * /run/NetworkManager): a rewrite there changes nothing in /etc.  Follows
 * the link as it is now; called again after each read.
 */
static void watch_target(agent *a)
{
	char target[PATH_MAX], dir[PATH_MAX], base[NAME_MAX + 1];
	_cleanup_free_ char *link_dir = strdup(a->opts.config.resolv_conf);
	const char *d;
	int r;

	if (!link_dir || !realpath(a->opts.config.resolv_conf, target))
		return;
	strbufcpy(dir, sizeof(dir), target);
	strbufcpy(base, sizeof(base), basename(target));
	d = dirname(dir);
	if (strcmp(d, dirname(link_dir)) == 0 || strcmp(target, a->resolvers.target) == 0)
		return;
	a->resolvers.target_source = sd_event_source_disable_unref(a->resolvers.target_source);
	a->resolvers.target[0] = '\0';
	r = sd_event_add_inotify(a->event, &a->resolvers.target_source, d,
				 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
					 IN_MOVED_FROM,
				 on_inotify, a);
	if (r < 0) {
		log_debug_errno(r, "Not watching %s for changes of the resolvers: %m", d);
		return;
	}
	strbufcpy(a->resolvers.target, sizeof(a->resolvers.target), target);
	strbufcpy(a->resolvers.target_name, sizeof(a->resolvers.target_name), base);
}

/* Reads both sources and puts the set in force when it changed. */
static void agent_resolvers_update(agent *a)
{
	struct agent_resolvers *s = &a->resolvers;
	struct policy_net_resolvers set = {}, from_resolved = {};
	const policy *p = engine_policy(a->engine);
	size_t dropped = 0;
	const char *why = "";
	char text[1024];
	int r;

	r = resolvers_read_conf(a->opts.config.resolv_conf, &s->conf);
	if (r < 0)
		s->conf = (struct resolv_conf){};
	if (r != s->conf_error && r < 0 && r != -ENOENT)
		log_warning_errno(r, "Cannot read the system's resolvers from %s: %m",
				  a->opts.config.resolv_conf);
	s->conf_error = r < 0 ? r : 0;
	if (s->conf.long_lines + s->conf.invalid > 0 && ratelimit_below(&s->rl))
		log_notice("%s: %zu lines skipped as too long, %zu nameservers that are not "
			   "addresses.",
			   a->opts.config.resolv_conf, s->conf.long_lines, s->conf.invalid);
	watch_target(a);

	s->resolved_answered = s->resolved &&
			       resolved_get(s->resolved, &from_resolved, &dropped, &why);
	strbufcpy(s->resolved_why, sizeof(s->resolved_why),
		  s->resolved ? why : "the system bus cannot be reached");

	/* resolv.conf first: the stub programs talk to, then the servers resolved talks to. */
	set = s->conf.set;
	dropped += s->conf.dropped + resolvers_merge(&set, &from_resolved);
	s->dropped = dropped;
	if (s->read && resolvers_equal(&set, &s->set))
		return;

	s->set = set;
	s->read = true;
	s->since = now_usec(CLOCK_REALTIME);
	s->changes++;
	set_text(&set, text, sizeof(text));
	engine_set_resolvers(a->engine, &set);
	if (a->net.probe)
		probe_net_set_resolvers(a->net.probe, &set);
	if (!p || !policy_net_uses_resolvers(p)) {
		log_debug("The system's resolvers: %s.", set.n ? text : "none");
		return;
	}
	if (set.n == 0)
		log_notice("No system resolver is known now (%s; %s): rules on "
			   "\"system_resolvers\" match no address until one is.",
			   s->conf_error ? strerror(-s->conf_error) :
					   "no nameserver in resolv.conf",
			   s->resolved_why[0] ? s->resolved_why : "systemd-resolved lists none");
	else
		log_info("The system's resolvers are now %s; the network rules follow.", text);
	/* Into the kernel in one switch; not when it refused the policy's rules (net.error). */
	if (a->engine_ctx.net) {
		r = probe_net_apply_policy(a->net.probe, p);
		if (r < 0)
			log_warning_errno(r,
					  "Failed to put the new resolvers into the network rules: "
					  "%m");
	}
	/* Listeners and the posture as status shows them follow too. */
	agent_net_judge_listeners(a);
	if (a->status.server)
		status_server_notify_changed(a->status.server);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent_resolvers_update(userdata);
	return 0;
}

static void on_resolved(resolved *r, void *userdata)
{
	agent_resolvers_schedule(userdata);
}

void agent_resolvers_refresh(agent *a)
{
	if (a->resolvers.resolved && resolved_refresh(a->resolvers.resolved) == -ENOTCONN)
		a->resolvers.resolved = resolved_free(a->resolvers.resolved);
	/* The bus may be back (dbus restarted): look again. */
	if (!a->resolvers.resolved)
		(void)resolved_new(a->event, on_resolved, a, &a->resolvers.resolved);
	agent_resolvers_schedule(a);
}

int agent_resolvers_setup(agent *a)
{
	struct agent_resolvers *s = &a->resolvers;
	_cleanup_free_ char *dir = strdup(a->opts.config.resolv_conf);
	_cleanup_free_ char *base = strdup(a->opts.config.resolv_conf);
	int r;

	if (!dir || !base)
		return log_oom();
	s->rl = (struct ratelimit){ .interval = 60 * USEC_PER_SEC, .burst = 1 };
	r = sd_event_add_time(a->event, &s->timer, CLOCK_MONOTONIC, USEC_INFINITY,
			      10 * USEC_PER_MSEC, on_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the resolvers' timer: %m");
	(void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	strbufcpy(s->link_name, sizeof(s->link_name), basename(base));
	r = sd_event_add_inotify(a->event, &s->link_source, dirname(dir),
				 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
					 IN_MOVED_FROM,
				 on_inotify, a);
	if (r < 0)
		log_warning_errno(r, "Not watching %s for changes of the resolvers: %m",
				  a->opts.config.resolv_conf);
	r = resolved_new(a->event, on_resolved, a, &s->resolved);
	if (r < 0)
		log_info_errno(r,
			       "Not following systemd-resolved: the system bus cannot be reached "
			       "(%m).");
	/* What resolv.conf says now is in force before the first policy; resolved answers later. */
	agent_resolvers_update(a);
	return 0;
}

void agent_resolvers_free(agent *a)
{
	sd_event_source_disable_unref(a->resolvers.timer);
	sd_event_source_disable_unref(a->resolvers.link_source);
	sd_event_source_disable_unref(a->resolvers.target_source);
	resolved_free(a->resolvers.resolved);
}
