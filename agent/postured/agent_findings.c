// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where a finding goes: the log (rate-limited), the spool for the
 * collector, the status socket's subscribers, and stdout under
 * --print-events.  The other records the agent writes with the same
 * generator (an exec of the audit trail, a posture snapshot) go out
 * through the same two doors, agent_findings_spool() and
 * agent_findings_print(), which count what could not be written.
 */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "agent-internal.h"
#include "basic/cleanup.h"
#include "basic/log.h"
#include "format.h"

void agent_findings_print(agent *a)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(a->gen, &buf, &len) == yajl_gen_status_ok && len > 0) {
		if (fwrite(buf, 1, len, stdout) != len || fputc('\n', stdout) == EOF)
			a->findings.output_errors++;
	}
	yajl_gen_clear(a->gen);
	yajl_gen_reset(a->gen, NULL);
}

void agent_findings_flush(agent *a)
{
	if (fflush(stdout) == EOF)
		a->findings.output_errors++;
}

void agent_findings_spool(agent *a, enum spool_class class, const char *kind)
{
	const unsigned char *buf;
	_cleanup_free_ char *line = NULL;
	size_t len;
	int r;

	if (!a->reports.spool || yajl_gen_get_buf(a->gen, &buf, &len) != yajl_gen_status_ok)
		return;
	line = strndup((const char *)buf, len);
	if (!line)
		return;
	r = spool_append(a->reports.spool, class, kind, line, NULL);
	if (r < 0) {
		a->findings.spool_errors++;
		if (ratelimit_below(&a->findings.spool_rl))
			log_warning_errno(r, "Could not keep a %s record for the collector: %m",
					  kind);
		return;
	}
	a->findings.spooled++;
	agent_reports_kick_sender(a);
}

void agent_findings_on_finding(void *userdata, const struct finding *f)
{
	agent *a = userdata;
	char uid[SD_ID128_STRING_MAX];
	sd_id128_t id;

	a->findings.count++;
	if (f->rule && ratelimit_below(&a->findings.rl)) {
		char line[2 * EVENT_PATH_LEN + CHECK_LINE_MAX + 256];

		log_notice("%s.", finding_log_line(f, line, sizeof(line)));
	}
	if (sd_id128_randomize(&id) < 0)
		id = SD_ID128_NULL;
	sd_id128_to_string(id, uid);
	format_finding(a->gen, f, uid, &a->device);
	agent_findings_spool(a, SPOOL_EVENT, "finding");
	if (a->status.server) {
		const unsigned char *buf;
		size_t len;

		if (yajl_gen_get_buf(a->gen, &buf, &len) == yajl_gen_status_ok)
			status_server_add_finding(
				a->status.server, (const char *)buf, len,
				f->has_process			       ? f->process.uid :
				f->has_network && f->network.has_owner ? f->network.owner_uid :
									 STATUS_UID_DEVICE,
				f->rule ? policy_rule_id(f->rule) : "policy",
				f->rule ? (int)policy_rule_severity(f->rule) + 1 : 4);
	}
	if (!a->opts.print_events) {
		yajl_gen_clear(a->gen);
		yajl_gen_reset(a->gen, NULL);
		return;
	}
	agent_findings_print(a);
	/* Findings also come from timers and reloads, where no drain flushes stdout after. */
	agent_findings_flush(a);
}

void agent_findings_on_state_changed(void *userdata)
{
	agent *a = userdata;

	if (a->status.server)
		status_server_notify_changed(a->status.server);
	agent_reports_snapshot_soon(a);
}
