// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The policy: which one to load (the configured file, else the last good
 * signed policy from the collector, else the built-in baseline), putting
 * it in force (the engine, the kernel's network rules, the checks), and
 * refusing it with the reasons kept for the status socket and a
 * policy_invalid finding.  Reloaded on SIGHUP, on "posturectl reload" and
 * when the file is rewritten; a signed policy the sender fetched comes in
 * through policy_feed.c.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "baseline.h"

/* Editors write a file in several steps; reload once they are done. */
#define AGENT_RELOAD_DELAY_USEC (200 * USEC_PER_MSEC)
/* Errors of a refused policy quoted in its finding and log. */
#define AGENT_POLICY_ERRORS_SHOWN 5

/* The errors of a refused policy, the first few joined on one line. */
static void join_errors(policy_errors *errs, char *buf, size_t size)
{
	size_t n = policy_errors_count(errs), off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && i < AGENT_POLICY_ERRORS_SHOWN; i++) {
		_cleanup_free_ char *line = NULL;
		int k;

		if (policy_error_format(policy_errors_get(errs, i), &line) < 0)
			break;
		k = snprintf(buf + off, size - off, "%s%s", i ? "; " : "", line);
		if (k < 0 || (size_t)k >= size - off)
			break;
		off += (size_t)k;
	}
	if (n > AGENT_POLICY_ERRORS_SHOWN && off < size)
		snprintf(buf + off, size - off, "; and %zu more", n - AGENT_POLICY_ERRORS_SHOWN);
}

int agent_policy_refuse(agent *a, int r, const char *detail, bool startup)
{
	strbufcpy(a->policy.last_error, sizeof(a->policy.last_error), detail);
	if (startup)
		return log_error_errno(r, "Cannot start without a valid policy: %s", detail);
	log_error("The new policy was refused; %s (serial %llu) stays in force.",
		  policy_id(engine_policy(a->engine)),
		  (unsigned long long)policy_serial(engine_policy(a->engine)));
	engine_report_invalid_policy(a->engine, detail);
	return r;
}

int agent_policy_refuse_invalid(agent *a, int r, policy_errors *errs, const char *name,
				bool startup)
{
	char detail[FINDING_DETAIL_MAX];

	if (policy_errors_count(errs) > 0)
		join_errors(errs, detail, sizeof(detail));
	else
		strbuf_printf(detail, sizeof(detail), "%s: %s", name, strerror(-r));
	for (size_t i = 0; i < policy_errors_count(errs); i++) {
		_cleanup_free_ char *line = NULL;

		if (policy_error_format(policy_errors_get(errs, i), &line) >= 0)
			log_error("%s", line);
	}
	return agent_policy_refuse(a, r, detail, startup);
}

void agent_policy_args_rules(const policy *p, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);
		int k;

		if (!policy_rule_enabled(r) || !(policy_rule_needs(r) & POLICY_NEED_ARGS))
			continue;
		k = snprintf(buf + off, size - off, "%s%s", off ? ", " : "", policy_rule_id(r));
		if (k < 0 || (size_t)k >= size - off)
			break;
		off += (size_t)k;
	}
}

/*
 * Says what p in force means for arguments, when that changed from the
 * previous policy (before: the bytes captured until now) or at start-up:
 * captured because it asks, refused by the configuration (so its argument
 * rules never match here), or no longer captured.
 */
static void log_args(agent *a, const policy *p, uint32_t before, uint32_t now, bool startup)
{
	bool collects = policy_settings(p)->collect_arguments;
	char rules[256];

	agent_policy_args_rules(p, rules, sizeof(rules));
	if (collects && !a->opts.config.allow_argument_capture)
		log_warning(
			"Policy %s collects program arguments, but \"allow_argument_capture\" is "
			"false in the configuration: no arguments are captured on this machine, "
			"so its rules on arguments%s%s%s will never match.",
			policy_id(p), rules[0] ? " (" : "", rules, rules[0] ? ")" : "");
	else if (collects && (startup || before != now))
		log_info("Capturing up to %u bytes of each program's arguments: policy %s collects "
			 "them%s%s%s.",
			 now, policy_id(p), rules[0] ? " (rules on arguments: " : "", rules,
			 rules[0] ? ")" : "");
	else if (!collects && before > now && now == 0)
		log_info("No longer capturing program arguments: policy %s does not collect them.",
			 policy_id(p));
}

int agent_policy_put_in_force(agent *a, policy *p, const char *source, bool startup)
{
	char detail[FINDING_DETAIL_MAX];
	uint32_t args_before = probe_process_args_size(a->proc);
	uint32_t args = config_args_bytes(&a->opts.config, policy_settings(p)->collect_arguments);
	int r;

	/* Arguments p asks for are captured before it judges its first exec; fewer, after. */
	if (args > args_before)
		probe_process_set_args_size(a->proc, args);
	/* The processes running now are judged by the same facts as later execs. */
	engine_set_args_bytes(a->engine, args);
	/* Each policy tries to put its network rules into the kernel again. */
	a->engine_ctx.net = a->net.probe;
	r = engine_set_policy(a->engine, p, now_usec(CLOCK_MONOTONIC));
	if (r < 0 && startup && a->net.probe) {
		/*
		 * Without a policy the agent would not start at all, and a cached
		 * policy would make that a restart loop: better the process rules
		 * and checks without the network rules, said in status and a
		 * finding, than nothing.
		 */
		strbuf_printf(a->net.error, sizeof(a->net.error),
			      "the kernel refused the network rules of %s: %s", source,
			      strerror(-r));
		log_error("%s; running without network rules.", a->net.error);
		a->engine_ctx.net = NULL;
		r = engine_set_policy(a->engine, p, now_usec(CLOCK_MONOTONIC));
		if (r >= 0)
			engine_report_invalid_policy(a->engine, a->net.error);
	} else if (r >= 0 && a->net.probe) {
		a->net.error[0] = '\0';
	}
	if (r < 0) {
		probe_process_set_args_size(a->proc, args_before);
		engine_set_args_bytes(a->engine, args_before);
		strbuf_printf(detail, sizeof(detail), "%s: cannot be put in force: %s", source,
			      strerror(-r));
		strbufcpy(a->policy.last_error, sizeof(a->policy.last_error), detail);
		if (startup)
			return log_error_errno(r, "%s", detail);
		log_error("%s; the previous policy stays in force.", detail);
		engine_report_invalid_policy(a->engine, detail);
		return r;
	}
	strbufcpy(a->policy.source, sizeof(a->policy.source), source);
	probe_process_set_args_size(a->proc, args);
	agent_net_policy_changed(a, p);
	/*
	 * A new policy may check other things, or the same with other
	 * parameters; listeners that predate it are judged by it (at start-up,
	 * agent_new() runs the checks once everything is set up).
	 */
	if (!startup)
		agent_checks_run(a);
	log_info("Policy %s (serial %llu, %s mode, %zu rules) from %s is in force.", policy_id(p),
		 (unsigned long long)policy_serial(p), policy_mode_to_string(policy_mode(p)),
		 policy_rule_count(p), source);
	log_args(a, p, args_before, args, startup);
	agent_records_engine_rearm(a);
	return 0;
}

/*
 * Reads, validates and compiles the policy and puts it in force.  In order:
 * the file named in the configuration when it exists (or is not the
 * default); else the last good signed policy from the collector when it is
 * there and still verifies with the pinned key; else the built-in baseline.
 * On failure nothing changes: at start-up that is fatal, on reload the old
 * policy stays and a finding says why.
 */
int agent_policy_load(agent *a, bool startup)
{
	_cleanup_(policy_errors_freep) policy_errors *errs = policy_errors_new();
	_cleanup_(policy_unrefp) policy *p = NULL;
	_cleanup_free_ char *signed_bytes = NULL;
	const char *file = a->opts.config.policy_file;
	const char *source = file;
	size_t signed_size = 0;
	int r;

	if (!errs)
		return log_oom();
	r = policy_load(file, errs, &p);
	if (r == -ENOENT && strcmp(file, CONFIG_DEFAULT_POLICY) == 0 && a->feed.enabled) {
		char detail[FINDING_DETAIL_MAX];

		r = policy_feed_read_signed(a, a->opts.config.signed_policy_path, &signed_bytes,
					    &signed_size, NULL, NULL, detail, sizeof(detail));
		if (r >= 0) {
			source = a->opts.config.signed_policy_path;
			r = policy_parse(source, signed_bytes, signed_size, errs, &p);
			if (r < 0)
				log_warning("The last signed policy %s is not valid; not using it.",
					    source);
		} else if (r != -ENOENT)
			log_warning("Not using the last signed policy: %s", detail);
		if (r < 0) {
			free(TAKE_PTR(signed_bytes));
			policy_errors_free(errs);
			errs = policy_errors_new();
			if (!errs)
				return log_oom();
			r = -ENOENT;
		}
	}
	if (r == -ENOENT && strcmp(file, CONFIG_DEFAULT_POLICY) == 0) {
		size_t size;
		const char *json = baseline_json(&size);

		source = BASELINE_NAME;
		r = policy_parse(BASELINE_NAME, json, size, errs, &p);
	}
	if (r < 0)
		return agent_policy_refuse_invalid(a, r, errs, file, startup);
	r = agent_policy_put_in_force(a, p, source, startup);
	if (r < 0)
		return r;
	policy_feed_set_in_force(a, TAKE_PTR(signed_bytes), signed_size);
	return 0;
}

void agent_policy_reload(agent *a)
{
	(void)sd_notify(false, "RELOADING=1");
	(void)agent_policy_load(a, false);
	(void)sd_notify(false, "READY=1");
}

static int on_reload_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	agent_policy_reload(userdata);
	return 0;
}

static void agent_schedule_reload(agent *a)
{
	usec_t now;

	if (sd_event_now(a->event, CLOCK_MONOTONIC, &now) < 0)
		now = now_usec(CLOCK_MONOTONIC);
	(void)sd_event_source_set_time(a->policy.reload_timer, now + AGENT_RELOAD_DELAY_USEC);
	(void)sd_event_source_set_enabled(a->policy.reload_timer, SD_EVENT_ONESHOT);
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	agent *a = userdata;
	_cleanup_free_ char *copy = strdup(a->opts.config.policy_file);

	if (copy && ev->len > 0 && strcmp(ev->name, basename(copy)) == 0)
		agent_schedule_reload(a);
	return 0;
}

int agent_policy_setup(agent *a)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	r = sd_event_add_time(a->event, &a->policy.reload_timer, CLOCK_MONOTONIC, USEC_INFINITY,
			      10 * USEC_PER_MSEC, on_reload_timer, a);
	if (r < 0)
		return log_error_errno(r, "Failed to set up timers: %m");
	(void)sd_event_source_set_enabled(a->policy.reload_timer, SD_EVENT_OFF);

	/* Rewrites of the policy file, watched through its directory (editors replace files). */
	dir = strdup(a->opts.config.policy_file);
	if (!dir)
		return log_oom();
	r = sd_event_add_inotify(a->event, &a->policy.inotify_source, dirname(dir),
				 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
					 IN_MOVED_FROM,
				 on_inotify, a);
	if (r < 0)
		log_debug_errno(r, "Not watching the policy's directory for changes: %m");
	return 0;
}

void agent_policy_free(agent *a)
{
	sd_event_source_disable_unref(a->policy.reload_timer);
	sd_event_source_disable_unref(a->policy.inotify_source);
}
