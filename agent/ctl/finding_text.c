// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl_i18n.h"
#include "finding_text.h"
#include "statusclient.h"

/* The process of the first evidence, the one the finding is about; NULL when there is none. */
static yajl_val finding_process(yajl_val f)
{
	yajl_val ev = statusclient_get(f, "evidences");

	if (!ev || !YAJL_IS_ARRAY(ev) || ev->u.array.len == 0)
		return NULL;
	return statusclient_get(ev->u.array.values[0], "process");
}

const char *finding_text_rule(yajl_val f)
{
	const char *id = statusclient_get_str(statusclient_get(f, "postured"), "rule_id");

	if (id)
		return id;
	return statusclient_get_str(statusclient_get(f, "compliance"), "control");
}

const char *finding_text_title(yajl_val f)
{
	return statusclient_get_str(statusclient_get(f, "finding_info"), "title");
}

/* The protocol's name as people write it. */
static const char *protocol_text(const char *p)
{
	return !p ? "?" : strcmp(p, "tcp") == 0 ? "TCP" : strcmp(p, "udp") == 0 ? "UDP" : p;
}

static bool all_addresses(const char *a)
{
	return !a || strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0;
}

/*
 * What a network finding was about: who listened on which port, or
 * connected where; what = the program ("/usr/bin/nc (process 42)").
 * Returns -1 when out of memory.
 */
static int network_sentence(yajl_val pd, const char *what, char **ret)
{
	yajl_val n = statusclient_get(pd, "network");
	const char *dir = statusclient_get_str(n, "direction") ?: "";
	const char *proto = protocol_text(statusclient_get_str(n, "protocol"));
	const char *action = statusclient_get_str(pd, "action") ?: "";
	const char *local = statusclient_get_str(n, "local_address");
	const char *remote = statusclient_get_str(n, "remote_address") ?: "?";
	int64_t lport = statusclient_get_int(n, "local_port", 0);
	int64_t rport = statusclient_get_int(n, "remote_port", 0);
	bool denied = strcmp(action, "denied") == 0;

	if (strcmp(dir, "listen") == 0) {
		if (all_addresses(local))
			/* TRANSLATORS: %1$s the program, %2$s TCP or UDP, %3$ld the port. */
			return asprintf(ret,
					denied ?
						_("%s was not allowed to listen on %s port %" PRId64
						  ", on all of this laptop's addresses.") :
						_("%s listened on %s port %" PRId64
						  ", on all of this laptop's addresses."),
					what, proto, lport);
		/* TRANSLATORS: %1$s the program, %2$s TCP or UDP, %3$ld the port, %4$s an address. */
		return asprintf(ret,
				denied ? _("%s was not allowed to listen on %s port %" PRId64
					   ", on %s.") :
					 _("%s listened on %s port %" PRId64 ", on %s."),
				what, proto, lport, local);
	}
	if (strcmp(dir, "inbound") == 0)
		/* TRANSLATORS: %1$s an address, %2$s TCP or UDP, %3$ld a port of this laptop. */
		return asprintf(
			ret, _("A computer at %s connected to %s port %" PRId64 " of this laptop."),
			remote, proto, lport);
	/* TRANSLATORS: %1$s the program, %2$s an address, %3$ld its port, %4$s TCP or UDP. */
	return asprintf(ret,
			denied ? _("%s was not allowed to connect to %s port %" PRId64 " (%s).") :
				 _("%s connected to %s port %" PRId64 " (%s)."),
			what, remote, rport, proto);
}

int finding_text_key(yajl_val f, char *buf, size_t size)
{
	yajl_val pd = statusclient_get(f, "postured");
	yajl_val n = statusclient_get(pd, "network");
	yajl_val p = finding_process(f);
	const char *path = statusclient_get_str(statusclient_get(p, "file"), "path");
	int k;

	/* The same program and socket or destination under the same rule and outcome: one line. */
	k = snprintf(buf, size, "%s|%s|%s|%s|%s|%s|%s|%s|%" PRId64 "|%" PRId64,
		     finding_text_rule(f) ?: "", statusclient_get_str(pd, "finding") ?: "",
		     statusclient_get_str(pd, "action") ?: "",
		     path				     ?:
			     statusclient_get_str(p, "name") ?:
							       "",
		     statusclient_get_str(n, "direction") ?: "",
		     statusclient_get_str(n, "protocol") ?: "",
		     statusclient_get_str(n, "local_address") ?: "",
		     statusclient_get_str(n, "remote_address") ?: "",
		     statusclient_get_int(n, "local_port", 0),
		     statusclient_get_int(n, "remote_port", 0));
	return k < 0 || (size_t)k >= size ? -ENOBUFS : 0;
}

uint64_t finding_text_count(yajl_val f)
{
	int64_t n = statusclient_get_int(
		statusclient_get(statusclient_get(f, "postured"), "network"), "count", 1);

	return n > 1 ? (uint64_t)n : 1;
}

char *finding_text_sentence(yajl_val f)
{
	yajl_val pd = statusclient_get(f, "postured");
	const char *kind = statusclient_get_str(pd, "finding") ?: "";
	const char *action = statusclient_get_str(pd, "action") ?: "";
	bool early = statusclient_get_bool(pd, "before_first_instruction", false);
	yajl_val p = finding_process(f);
	const char *path = statusclient_get_str(statusclient_get(p, "file"), "path");
	const char *name = statusclient_get_str(p, "name");
	_cleanup_free_ char *prog = NULL;
	char *s = NULL;
	int r = -1;

	if (p) {
		int64_t pid = statusclient_get_int(p, "pid", 0);

		if (pid > 0)
			r = asprintf(&prog, _("%s (process %" PRId64 ")"),
				     path	  ?:
					     name ?:
						    "?",
				     pid);
		else
			r = asprintf(&prog, "%s", path ?: name ?: "?");
		if (r < 0)
			return NULL;
	}

	if (strcmp(kind, "process_denied") == 0) {
		const char *what = prog ?: _("A program");

		if (strcmp(action, "killed") == 0 && early)
			r = asprintf(&s, _("%s was stopped before it could run."), what);
		else if (strcmp(action, "killed") == 0)
			r = asprintf(&s, _("%s was stopped."), what);
		else if (strcmp(action, "denied") == 0)
			r = asprintf(&s, _("%s was not allowed to start."), what);
		else if (strcmp(action, "kill_failed") == 0)
			r = asprintf(&s, _("%s was running; stopping it failed."), what);
		else if (strcmp(action, "exited_before_kill") == 0)
			r = asprintf(&s, _("%s ended before it could be stopped."), what);
		else
			r = asprintf(&s, _("%s was running; it was reported, not stopped."), what);
	} else if (strcmp(kind, "network") == 0) {
		r = network_sentence(pd, prog ?: _("A program"), &s);
	} else if (strcmp(kind, "required_absent") == 0) {
		r = asprintf(&s, "%s", _("The required program was not running."));
	} else if (strcmp(kind, "required_returned") == 0) {
		r = asprintf(&s, "%s", _("The required program is running again."));
	} else if (strcmp(kind, "policy_invalid") == 0) {
		r = asprintf(&s, "%s",
			     _("A new policy could not be used; the previous one stays in force."));
	} else {
		r = asprintf(&s, _("Something was found (%s)."), *kind ? kind : "?");
	}
	if (r < 0)
		return NULL;
	return s;
}
