// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The status socket's answers (status.c speaks the protocol, this file
 * says what the agent answers): the posture and the rules' states, one
 * rule explained, a reload, the checks run at once.  The same posture
 * object is what a snapshot sends the collector (agent_reports.c), so the
 * employee, IT and the SOC see one state.
 */
#include <errno.h>
#include <string.h>

#include "agent-internal.h"
#include "basic/json-util.h"
#include "basic/log.h"
#include "basic/string-util.h"
#include "basic/version.h"
#include "format.h"

static void write_rule_state(agent *a, yajl_gen g, const policy_rule *r, bool with_tags)
{
	usec_t since = 0;
	bool failing = engine_rule_failing(a->engine, r, &since);

	yajl_gen_map_open(g);
	json_str(g, "id", policy_rule_id(r));
	json_str(g, "title", policy_rule_title(r));
	json_str(g, "severity", policy_severity_to_string(policy_rule_severity(r)));
	json_str(g, "type", policy_rule_type_to_string(policy_rule_type(r)));
	if (policy_rule_type(r) == POLICY_RULE_PROCESS)
		json_str(g, "effect", policy_effect_to_string(policy_rule_effect(r)));
	json_str(g, "mode", policy_mode_to_string(policy_rule_mode(r)));
	json_bool(g, "enabled", policy_rule_enabled(r));
	if (policy_rule_type(r) == POLICY_RULE_CHECK) {
		const struct check_result *cr = engine_check_result(a->engine, r);

		json_str(g, "check", policy_rule_check_name(r));
		json_str(g, "state",
			 !cr			  ? "pending" :
			 cr->status == CHECK_PASS ? "passing" :
			 cr->status == CHECK_FAIL ? "failing" :
						    "unknown");
		if (cr && cr->reason[0])
			json_str(g, "reason", cr->reason);
		if (cr) {
			json_key(g, "evidence");
			yajl_gen_array_open(g);
			for (size_t i = 0; i < cr->n_evidence; i++)
				yajl_gen_string(g, (const unsigned char *)cr->evidence[i],
						strlen(cr->evidence[i]));
			yajl_gen_array_close(g);
		}
	} else {
		json_str(g, "state", failing ? "failing" : "passing");
	}
	json_int(g, "since", (long long)(since / USEC_PER_MSEC));
	format_rule_texts(g, "message", r, POLICY_TEXT_MESSAGE);
	format_rule_texts(g, "remediation", r, POLICY_TEXT_REMEDIATION);
	if (policy_rule_contact(r))
		json_str(g, "contact", policy_rule_contact(r));
	if (with_tags) {
		json_key(g, "tags");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < policy_rule_tag_count(r); i++)
			yajl_gen_string(g, (const unsigned char *)policy_rule_tag(r, i),
					strlen(policy_rule_tag(r, i)));
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
}

static void write_policy_summary(agent *a, yajl_gen g)
{
	const policy *p = engine_policy(a->engine);

	yajl_gen_map_open(g);
	if (p) {
		json_str(g, "id", policy_id(p));
		json_u64(g, "serial", policy_serial(p));
		json_str(g, "mode", policy_mode_to_string(policy_mode(p)));
		json_str(g, "source", a->policy.source);
		json_int(g, "loaded", (long long)(engine_policy_loaded(a->engine) / USEC_PER_MSEC));
	}
	yajl_gen_map_close(g);
}

/*
 * Whether programs' arguments are captured now, and why: the policy in force
 * collects them ("policy"), the configuration captures them whatever the
 * policy ("configuration"), the policy collects them but the configuration
 * refuses ("refused": its rules on arguments never match here), or nothing
 * asks ("off").  The employee sees it in posturectl status.
 */
static void write_arguments(agent *a, yajl_gen g, const policy *p)
{
	uint32_t bytes = probe_process_args_size(a->proc);
	bool collects = p && policy_settings(p)->collect_arguments;
	bool allowed = a->opts.config.allow_argument_capture;

	json_open(g, "arguments");
	json_bool(g, "captured", bytes > 0);
	json_u64(g, "bytes", bytes);
	json_str(g, "reason",
		 collects && !allowed  ? "refused" :
		 collects && bytes > 0 ? "policy" :
		 bytes > 0	       ? "configuration" :
					 "off");
	json_bool(g, "allowed", allowed);
	/* The enabled rules that need them, for the employee to look up. */
	json_key(g, "rules");
	yajl_gen_array_open(g);
	for (size_t i = 0; p && i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (policy_rule_enabled(r) && (policy_rule_needs(r) & POLICY_NEED_ARGS))
			yajl_gen_string(g, (const unsigned char *)policy_rule_id(r),
					strlen(policy_rule_id(r)));
	}
	yajl_gen_array_close(g);
	json_close(g);
}

static void write_addresses(yajl_gen g, const char *key, const struct policy_net_resolvers *s)
{
	json_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->n; i++) {
		char t[64];

		resolvers_address_text(s, i, t, sizeof(t));
		yajl_gen_string(g, (const unsigned char *)t, strlen(t));
	}
	yajl_gen_array_close(g);
}

/*
 * The system's resolvers in force for "system_resolvers" (every caller
 * sees them: they are the device's), where each came from, and the rules
 * that name them; "known" false while there is none, and those rules then
 * match no address.
 */
static void write_resolvers(agent *a, yajl_gen g, const policy *p)
{
	const struct agent_resolvers *s = &a->resolvers;
	struct policy_net_resolvers from_resolved = {};

	json_open(g, "resolvers");
	json_bool(g, "known", s->set.n > 0);
	write_addresses(g, "addresses", &s->set);
	json_int(g, "since", (long long)(s->since / USEC_PER_MSEC));
	if (s->dropped)
		json_u64(g, "left_out", s->dropped);
	json_open(g, "resolv_conf");
	json_str(g, "path", a->opts.config.resolv_conf);
	if (s->conf_error)
		json_str(g, "error", strerror(-s->conf_error));
	write_addresses(g, "addresses", &s->conf.set);
	json_close(g);
	json_open(g, "resolved");
	json_bool(g, "answered",
		  s->resolved && resolved_get(s->resolved, &from_resolved, NULL, NULL));
	write_addresses(g, "addresses", &from_resolved);
	if (s->resolved_why[0])
		json_str(g, "reason", s->resolved_why);
	json_close(g);
	json_key(g, "rules");
	yajl_gen_array_open(g);
	for (size_t i = 0; p && i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		if (policy_rule_net_uses_resolvers(r))
			yajl_gen_string(g, (const unsigned char *)policy_rule_id(r),
					strlen(policy_rule_id(r)));
	}
	yajl_gen_array_close(g);
	json_close(g);
}

/*
 * Whether logind waits for the suspend record before the laptop sleeps: a
 * delay lock held, or why not (the collector may see the laptop silent
 * rather than asleep then).
 */
static void write_sleep(agent *a, yajl_gen g)
{
	const char *why = "the system bus cannot be reached";
	bool locked = a->tamper.sleep && sleepwatch_locked(a->tamper.sleep, &why);

	json_open(g, "sleep");
	json_bool(g, "delay_lock", locked);
	if (!locked)
		json_str(g, "reason", why);
	json_close(g);
}

static void status_write_status(void *userdata, yajl_gen g, uid_t uid)
{
	agent *a = userdata;
	const policy *p = engine_policy(a->engine);
	uint64_t k[_EVENT_STAT_MAX] = {};
	bool compliant = true, stats_ok;
	char os[200];

	stats_ok = probe_process_stats(a->proc, k) >= 0;
	for (size_t i = 0; p && i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (policy_rule_enabled(r) && engine_rule_failing(a->engine, r, NULL))
			compliant = false;
	}
	yajl_gen_map_open(g);
	json_bool(g, "compliant", compliant);
	json_open(g, "device");
	json_str(g, "uid", a->device.uid);
	json_str(g, "hostname", a->device.hostname);
	strbuf_printf(os, sizeof(os), "%s %s", a->device.os_name, a->device.os_version);
	json_str(g, "os", os);
	json_close(g);

	json_open(g, "agent");
	json_str(g, "version", POSTURED_VERSION);
	json_int(g, "started", (long long)(a->started / USEC_PER_MSEC));
	json_bool(g, "healthy", stats_ok && a->records.decode_errors == 0);
	json_str(g, "probe_flavor", probe_flavor_to_string(probe_process_flavor(a->proc)));
	json_str(g, "enforcement", probe_process_enforcement(a->proc));
	json_u64(g, "records_lost",
		 k[EVENT_STAT_EXEC_LOST] + k[EVENT_STAT_FORK_LOST] + k[EVENT_STAT_EXIT_LOST]);
	write_arguments(a, g, p);
	json_open(g, "network");
	json_bool(g, "attached", a->net.probe != NULL);
	if (a->net.error[0])
		json_str(g, "error", a->net.error);
	if (a->net.probe) {
		uint64_t nk[_NET_STAT_MAX] = {};

		json_str(g, "cgroup", probe_net_cgroup(a->net.probe));
		if (probe_net_stats(a->net.probe, nk) >= 0) {
			json_u64(g, "records_lost", nk[NET_STAT_LOST]);
			json_u64(g, "denied", nk[NET_STAT_DENIED]);
			json_u64(g, "aggregated", nk[NET_STAT_AGGREGATED]);
		}
	}
	write_resolvers(a, g, p);
	json_close(g);
	json_close(g);

	json_key(g, "policy");
	write_policy_summary(a, g);

	json_key(g, "rules");
	yajl_gen_array_open(g);
	for (size_t i = 0; p && i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (policy_rule_enabled(r))
			write_rule_state(a, g, r, false);
	}
	yajl_gen_array_close(g);

	json_open(g, "collector");
	json_bool(g, "configured", a->reports.spool != NULL);
	if (a->reports.spool) {
		struct spool_stats ss;

		json_str(g, "url", a->opts.config.collector_url);
		json_bool(g, "sender_running", a->reports.sender_pid > 0);
		if (spool_get_stats(a->reports.spool, &ss) >= 0) {
			/* Records kept until the collector acknowledges them. */
			json_u64(g, "pending", ss.records);
			json_u64(g, "lost_total", ss.lost_total);
		}
		write_sleep(a, g);
		agent_identity_write(a, g);
	}
	json_close(g);
	yajl_gen_map_close(g);
}

static int status_write_rule(void *userdata, yajl_gen g, const char *id)
{
	agent *a = userdata;
	const policy *p = engine_policy(a->engine);
	const policy_rule *r = p ? policy_rule_find(p, id) : NULL;

	if (!r)
		return -ENOENT;
	write_rule_state(a, g, r, true);
	return 0;
}

static int status_reload(void *userdata, yajl_gen g, char *err, size_t err_size)
{
	agent *a = userdata;
	int r = agent_policy_load(a, false);

	if (r < 0) {
		strbufcpy(err, err_size, a->policy.last_error);
		return r;
	}
	write_policy_summary(a, g);
	return 0;
}

/* Runs the checks at once (root asked) and answers with the check rules' states. */
static void status_run_checks(void *userdata, yajl_gen g)
{
	agent *a = userdata;
	const policy *p = engine_policy(a->engine);
	int k;

	/* Listeners too: the caller may just have closed one. */
	agent_net_judge_listeners(a);
	/* The caller waits for the answer: run them here, each within its bound. */
	k = engine_run_checks(a->engine, "/");
	if (k < 0)
		log_warning_errno(k, "Failed to run the posture checks: %m");
	yajl_gen_map_open(g);
	json_key(g, "checks");
	yajl_gen_array_open(g);
	for (size_t i = 0; p && i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (policy_rule_enabled(r) && policy_rule_type(r) == POLICY_RULE_CHECK)
			write_rule_state(a, g, r, false);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static int status_enroll(void *userdata, yajl_gen g, const char *token_file, char *err,
			 size_t err_size)
{
	agent *a = userdata;
	int r = agent_identity_enroll_now(a, token_file, err, err_size);

	if (r < 0)
		return r;
	yajl_gen_map_open(g);
	json_bool(g, "started", 1);
	agent_identity_write(a, g);
	yajl_gen_map_close(g);
	return 0;
}

static const struct status_ops agent_status_ops = {
	.write_status = status_write_status,
	.write_rule = status_write_rule,
	.reload = status_reload,
	.run_checks = status_run_checks,
	.enroll = status_enroll,
};

int agent_status_setup(agent *a)
{
	int r;

	r = status_server_new(a->event, a->opts.config.status_socket, &agent_status_ops, a,
			      &a->status.server);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on %s: %m",
				       a->opts.config.status_socket);
	return 0;
}

void agent_status_free(agent *a)
{
	status_server_free(a->status.server);
}

void agent_status_write_posture(agent *a, yajl_gen g)
{
	status_write_status(a, g, 0);
}
