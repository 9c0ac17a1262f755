// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl policy check` prints every error of every file the way
 * compilers do, so editors can jump to them; `posturectl policy explain`
 * says what a policy will do, for the IT team that writes it and for the
 * employee who wants to know, in the language of the locale.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "basic/cleanup.h"
#include "ctl_i18n.h"
#include "ctl_policy.h"
#include "postured/config.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(policy_errors *, policy_errors_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(policy *, policy_unref);

/* --- explain: putting sentences together ----------------------------------- */

/*
 * Our sentences come from the catalogue of the locale; the policy's own
 * texts (message, remediation) are picked in the language the user asked for.
 * The first error (out of memory) sticks in error; explain_policy() returns it.
 */
struct explain {
	FILE *out;
	char lang[16];
	int error;
};

/*
 * The language the user asked for: the language part of the first one set of
 * LC_ALL, LC_MESSAGES and LANG (POSIX precedence), as setlocale() chooses it,
 * and "en" for C, POSIX or anything that is not a language code.
 */
static void explain_lang(char *buf, size_t size)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	snprintf(buf, size, "en");
	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = getenv(vars[i]);
		size_t n;

		if (!v || !*v)
			continue;
		n = strcspn(v, "_.@");
		if (n >= 2 && n < size && n == strspn(v, "abcdefghijklmnopqrstuvwxyz"))
			snprintf(buf, size, "%.*s", (int)n, v);
		return;
	}
}

/* Appends the formatted text to *buf (a malloc'd string, NULL at first).  Returns 0 or -ENOMEM. */
static int append(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int append(char **buf, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	char *joined;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (!*buf) {
		*buf = TAKE_PTR(s);
		return 0;
	}
	if (asprintf(&joined, "%s%s", *buf, s) < 0)
		return -ENOMEM;
	free(*buf);
	*buf = joined;
	return 0;
}

/* Item i of a list: the separator before every item but the first, then the item. */
static int append_item(char **buf, size_t i, const char *s)
{
	/* TRANSLATORS: between the items of a list, as in: "a", "b", "c" */
	return append(buf, "%s%s", i > 0 ? _(", ") : "", s);
}

static int append_quoted(char **buf, const char *s)
{
	/* TRANSLATORS: a value from the policy file, quoted: a path, a name, a group. */
	return append(buf, _("\"%s\""), s);
}

/* Prints s indented, and a newline; lines after the first of s are indented two more. */
static void print_indented(struct explain *e, int indent, const char *prefix, const char *s)
{
	fprintf(e->out, "%*s%s", indent, "", prefix);
	for (const char *p = s; *p; p++) {
		fputc(*p, e->out);
		if (*p == '\n')
			fprintf(e->out, "%*s", indent + 2, "");
	}
	fputc('\n', e->out);
}

static void vsay(struct explain *e, int indent, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vsay(struct explain *e, int indent, const char *prefix, const char *fmt, va_list ap)
{
	_cleanup_free_ char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL; /* undefined after a failure */
		e->error = e->error ?: -ENOMEM;
		return;
	}
	print_indented(e, indent, prefix, s);
}

/* One sentence, indented, on its own line. */
static void say(struct explain *e, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct explain *e, int indent, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(e, indent, "", fmt, ap);
	va_end(ap);
}

/* One item of a list: "- " and a sentence, indented, on its own line. */
static void item(struct explain *e, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void item(struct explain *e, int indent, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(e, indent, "- ", fmt, ap);
	va_end(ap);
}

/* --- explain: what each type of rule does ---------------------------------- */

/* One value of a matcher in words: "x" (quoted), uid 1000. */
static int append_value(char **buf, const struct policy_matcher *m, const struct policy_value *v)
{
	if (v->text)
		return append_quoted(buf, v->text);
	if (m->field == POLICY_FIELD_USER)
		/* TRANSLATORS: a user given by number in the policy. */
		return append(buf, _("uid %u"), v->id);
	/* TRANSLATORS: a group given by number in the policy. */
	return append(buf, _("gid %u"), v->id);
}

/* The keywords of a location matcher in words, joined by "or", into *buf. */
static int location_words(char **buf, const struct policy_matcher *m)
{
	for (size_t i = 0; i < m->n_values; i++) {
		const char *w =
			m->values[i].id == POLICY_LOCATION_MEMORY ?
				/* TRANSLATORS: where a program runs from: location "memory". */
				_("from memory, with no file on disk (a memfd or a deleted file)") :
				/* TRANSLATORS: location "world_writable". */
				_("from a directory that every user may write to, such as /tmp, "
				  "/var/tmp or /dev/shm, or from one below it");
		/* TRANSLATORS: joins two places a program may run from. */
		int k = i ? append(buf, _(", or %s"), w) : append(buf, "%s", w);

		if (k < 0)
			return k;
	}
	return 0;
}

/*
 * One condition of a process rule, with its values in words: one value or a
 * list of them, each exact or a pattern.
 */
static void matcher_item(struct explain *e, const struct policy_matcher *m, const char *v)
{
	bool list = m->n_values > 1, pattern = !m->exact;

	switch (m->field) {
	case POLICY_FIELD_PATH:
		if (list)
			item(e, 5,
			     pattern ? _("its path is or matches one of: %s") :
				       _("its path is one of: %s"),
			     v);
		else
			item(e, 5, pattern ? _("its path matches %s") : _("its path is %s"), v);
		break;
	case POLICY_FIELD_NAME:
		if (list)
			item(e, 5,
			     pattern ? _("its name is or matches one of: %s") :
				       _("its name is one of: %s"),
			     v);
		else
			item(e, 5, pattern ? _("its name matches %s") : _("its name is %s"), v);
		break;
	case POLICY_FIELD_SHA256:
		item(e, 5,
		     list ? _("the SHA-256 of its file is one of: %s") :
			    _("the SHA-256 of its file is %s"),
		     v);
		break;
	case POLICY_FIELD_PARENT_PATH:
		if (list)
			item(e, 5,
			     pattern ? _("it was started by a program whose path is or matches one "
					 "of: %s") :
				       _("it was started by a program whose path is one of: %s"),
			     v);
		else
			item(e, 5,
			     pattern ? _("it was started by a program whose path matches %s") :
				       _("it was started by the program at %s"),
			     v);
		break;
	case POLICY_FIELD_USER:
		item(e, 5, list ? _("it runs as one of the users: %s") : _("it runs as user %s"),
		     v);
		break;
	case POLICY_FIELD_GROUP:
		item(e, 5,
		     list ? _("it runs with one of the groups: %s") : _("it runs with group %s"),
		     v);
		break;
	case POLICY_FIELD_ARGS_CONTAINS:
		item(e, 5,
		     list ? _("its arguments contain one of: %s") : _("its arguments contain %s"),
		     v);
		break;
	case POLICY_FIELD_LOCATION: {
		_cleanup_free_ char *words = NULL;

		if (location_words(&words, m) < 0) {
			e->error = e->error ?: -ENOMEM;
			break;
		}
		/* TRANSLATORS: %s is one or more places, e.g. "from memory, with no file on disk". */
		item(e, 5, _("it runs %s"), words);
		break;
	}
	case POLICY_FIELD_STDIO:
		item(e, 5, "%s",
		     _("its standard input, output or error is a network connection (TCP or UDP), "
		       "as in a shell that someone controls over the network"));
		break;
	case POLICY_FIELD_STDIN_FROM:
		if (list)
			item(e, 5,
			     pattern ?
				     _("its standard input is a pipe from a program whose name is "
				       "or matches one of: %s") :
				     _("its standard input is a pipe from a program whose name is "
				       "one of: %s"),
			     v);
		else
			item(e, 5,
			     pattern ? _("its standard input is a pipe from a program whose name "
					 "matches %s") :
				       _("its standard input is a pipe from a program named %s"),
			     v);
		break;
	case _POLICY_FIELD_MAX:
		break;
	}
}

/* The conditions of one clause of a process rule (k 0: "match"; k > 0: except k - 1), as items. */
static int process_clause(struct explain *e, const policy_rule *r, size_t k)
{
	for (enum policy_field f = 0; f < _POLICY_FIELD_MAX; f++) {
		const struct policy_matcher *m = k == 0 ? policy_rule_matcher(r, f) :
							  policy_rule_except_matcher(r, k - 1, f);
		_cleanup_free_ char *values = NULL;

		if (!m)
			continue;
		for (size_t i = 0; i < m->n_values; i++) {
			_cleanup_free_ char *v = NULL;
			int n = append_value(&v, m, &m->values[i]);

			if (n >= 0)
				n = append_item(&values, i, v);
			if (n < 0)
				return n;
		}
		matcher_item(e, m, values ?: "");
	}
	return 0;
}

/* Whether r's location matcher names world-writable places, which scripts are judged for in userspace. */
static bool location_has_world_writable(const policy_rule *r)
{
	const struct policy_matcher *m = policy_rule_matcher(r, POLICY_FIELD_LOCATION);

	for (size_t i = 0; m && i < m->n_values; i++)
		if (m->values[i].id == POLICY_LOCATION_WORLD_WRITABLE)
			return true;
	return false;
}

static int explain_process_rule(struct explain *e, const policy_rule *r)
{
	unsigned grace = policy_rule_grace_seconds(r);
	size_t n_excepts = policy_rule_except_count(r);
	int k;

	if (policy_rule_effect(r) == POLICY_EFFECT_REQUIRE)
		say(e, 3,
		    ngettext("Expects a program that matches all of the following to be running; "
			     "reports when none has run for %u second, and again when one is back:",
			     "Expects a program that matches all of the following to be running; "
			     "reports when none has run for %u seconds, and again when one is back:",
			     grace),
		    grace);
	else if (policy_rule_mode(r) == POLICY_MODE_MONITOR)
		say(e, 3, "%s",
		    _("Reports any program that matches all of the following; the program is not "
		      "stopped (monitor mode):"));
	else if (policy_rule_kernel_decidable(r) && location_has_world_writable(r))
		say(e, 3, "%s",
		    _("Stops any program that matches all of the following before it runs a "
		      "single instruction, and reports it (enforce mode). A script is stopped "
		      "just after it starts: where a script lies is checked by the agent, not the "
		      "kernel, so it may run for a moment:"));
	else if (policy_rule_kernel_decidable(r))
		say(e, 3, "%s",
		    _("Stops any program that matches all of the following before it runs a "
		      "single instruction, and reports it (enforce mode):"));
	else if (n_excepts > 0)
		say(e, 3, "%s",
		    _("Stops any program that matches all of the following, and reports it "
		      "(enforce mode). Because the rule has exceptions, which the agent checks, "
		      "not the kernel, the program is stopped just after it starts, so it may run "
		      "for a moment:"));
	else
		say(e, 3, "%s",
		    _("Stops any program that matches all of the following, and reports it "
		      "(enforce mode). These conditions are checked just after the program "
		      "starts, so it may run for a moment:"));

	k = process_clause(e, r, 0);
	/* Each except gets its own opening, as network rules' do. */
	for (size_t i = 0; k >= 0 && i < n_excepts; i++) {
		say(e, 3, "%s", _("Except when all of the following hold:"));
		k = process_clause(e, r, i + 1);
	}
	return k;
}

static int explain_check_rule(struct explain *e, const policy_rule *r)
{
	_cleanup_free_ char *names = NULL;

	/* TRANSLATORS: %s is the name of a device posture check, such as disk_encryption. */
	say(e, 3,
	    _("Checks this device's settings (the \"%s\" check) at start and on every check "
	      "interval; reports when the check fails or cannot tell, and again when it passes. "
	      "Nothing is stopped."),
	    policy_rule_check_name(r));
	if (policy_rule_param_count(r) == 0)
		return 0;
	for (size_t i = 0; i < policy_rule_param_count(r); i++) {
		int k = append_item(&names, i, policy_rule_param_at(r, i)->name);

		if (k < 0)
			return k;
	}
	/* TRANSLATORS: %s lists the names of the check's parameters the rule sets. */
	say(e, 3, _("With the parameters: %s"), names);
	return 0;
}

/* The opening sentence of a network rule: what it is about and what it does to it. */
static const char *network_opening(const policy_rule *r)
{
	bool refuse = policy_rule_effect(r) == POLICY_EFFECT_DENY &&
		      policy_rule_mode(r) == POLICY_MODE_ENFORCE;
	bool monitored = policy_rule_effect(r) == POLICY_EFFECT_DENY;

	switch (policy_rule_net_direction(r)) {
	case POLICY_NET_OUTBOUND:
		if (refuse)
			return _(
				"Blocks, in the kernel, any connection or datagram a program sends "
				"that matches all of the following, and reports it (enforce mode); "
				"the program gets a \"permission denied\" error and nothing is sent:");
		if (monitored)
			return _("Reports any connection or datagram a program sends that matches "
				 "all of the following; nothing is blocked (monitor mode):");
		return _("Reports any connection or datagram a program sends that matches all of "
			 "the following; nothing is blocked:");
	case POLICY_NET_LISTEN:
		if (refuse)
			return _(
				"Refuses, in the kernel, any socket a program binds to listen that "
				"matches all of the following, and reports it (enforce mode); the "
				"program gets a \"permission denied\" error:");
		if (monitored)
			return _("Reports any socket a program binds to listen that matches all of "
				 "the following; nothing is refused (monitor mode):");
		return _("Reports any socket a program binds to listen that matches all of the "
			 "following, including ones already open when postured starts; nothing is "
			 "refused:");
	case POLICY_NET_INBOUND:
		break;
	}
	return _("Reports any TCP connection this laptop accepts from another computer that "
		 "matches all of the following; nothing is blocked (the kernel has already "
		 "accepted it):");
}

/* The values of one field of a clause, in words, joined as a list. */
static int network_values(const struct policy_net_clause *c, int field, char **ret)
{
	_cleanup_free_ char *values = NULL;
	size_t n = field == 0 ? c->n_prefixes :
		   field == 1 ? c->n_ports :
		   field == 2 ? c->n_paths :
		   field == 3 ? c->n_names :
				c->n_users;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *v = NULL;
		char addr[INET6_ADDRSTRLEN];
		int k;

		if (field == 0) {
			const struct policy_net_prefix *pf = &c->prefixes[i];

			if (!inet_ntop(pf->family, pf->addr, addr, sizeof(addr)))
				return -errno;
			k = append(&v, "%s/%u", addr, pf->prefixlen);
		} else if (field == 1) {
			const struct policy_net_port_range *pr = &c->ports[i];

			k = pr->first == pr->last ? append(&v, "%u", pr->first) :
						    append(&v, "%u-%u", pr->first, pr->last);
		} else if (field == 2) {
			k = append_quoted(&v, c->paths[i]);
		} else if (field == 3) {
			k = append_quoted(&v, c->names[i]);
		} else if (c->users[i].text) {
			k = append_quoted(&v, c->users[i].text);
		} else {
			k = append(&v, _("uid %u"), c->users[i].id);
		}
		if (k >= 0)
			k = append_item(&values, i, v);
		if (k < 0)
			return k;
	}
	if (field == 0 && c->system_resolvers) {
		/* TRANSLATORS: the address keyword "system_resolvers", in a list of addresses. */
		int k = append_item(&values, n,
				    _("the system's DNS resolvers (the DNS servers this "
				      "laptop is set to use at the time)"));

		if (k < 0)
			return k;
		n++;
	}
	*ret = TAKE_PTR(values);
	return n > 0;
}

/* The conditions of one clause of a network rule, as list items. */
static int network_clause(struct explain *e, const policy_rule *r,
			  const struct policy_net_clause *c, int indent)
{
	enum policy_net_direction d = policy_rule_net_direction(r);
	bool any = true;

	for (int field = 0; field < 5; field++) {
		_cleanup_free_ char *v = NULL;
		int k = network_values(c, field, &v);
		bool list;

		if (k < 0)
			return k;
		if (k == 0)
			continue;
		any = false;
		switch (field) {
		case 0:
			item(e, indent,
			     d == POLICY_NET_OUTBOUND ? _("it goes to an address in: %s") :
			     d == POLICY_NET_INBOUND  ? _("it comes from an address in: %s") :
							_("the address it listens on is in: %s"),
			     v);
			break;
		case 1:
			list = c->n_ports > 1 || c->ports[0].first != c->ports[0].last;
			if (d == POLICY_NET_OUTBOUND)
				item(e, indent,
				     list ? _("it goes to one of the ports: %s") :
					    _("it goes to port %s"),
				     v);
			else if (d == POLICY_NET_INBOUND)
				item(e, indent,
				     list ? _("it arrives on one of the ports: %s") :
					    _("it arrives on port %s"),
				     v);
			else
				item(e, indent,
				     list ? _("it listens on one of the ports: %s") :
					    _("it listens on port %s"),
				     v);
			break;
		case 2:
			item(e, indent,
			     c->n_paths > 1 ? _("the program's path is one of: %s") :
					      _("the program's path is %s"),
			     v);
			break;
		case 3:
			item(e, indent,
			     c->n_names > 1 ? _("the program's name is one of: %s") :
					      _("the program's name is %s"),
			     v);
			break;
		default:
			if (d == POLICY_NET_INBOUND)
				item(e, indent,
				     c->n_users > 1 ?
					     _("the listening socket belongs to one of the users: %s") :
					     _("the listening socket belongs to user %s"),
				     v);
			else
				item(e, indent,
				     c->n_users > 1 ? _("it runs as one of the users: %s") :
						      _("it runs as user %s"),
				     v);
			break;
		}
	}
	if (any)
		item(e, indent, "%s", _("all of it, whatever the address, port or program"));
	return 0;
}

static int explain_network_rule(struct explain *e, const policy_rule *r)
{
	unsigned protocols = policy_rule_net_protocols(r);
	int k = 0;

	say(e, 3, "%s", network_opening(r));
	if (protocols == POLICY_NET_TCP)
		item(e, 5, "%s", _("the protocol is TCP"));
	else if (protocols == POLICY_NET_UDP)
		item(e, 5, "%s", _("the protocol is UDP"));
	/* Clause 0 is the match; each except after it gets its own opening. */
	for (size_t i = 0; k >= 0 && i < policy_rule_net_clause_count(r); i++) {
		if (i > 0)
			say(e, 3, "%s", _("Except when all of the following hold:"));
		k = network_clause(e, r, policy_rule_net_clause_at(r, i), 5);
	}
	return k;
}

/*
 * What a rule of each type does: a sentence and its conditions as a list,
 * indented by 3 (items by 5).  explain_rule() adds what every rule has.  A
 * new rule type is one function above and one line here.
 */
static int (*const explain_rule_type[])(struct explain *e, const policy_rule *r) = {
	[POLICY_RULE_PROCESS] = explain_process_rule,
	[POLICY_RULE_NETWORK] = explain_network_rule,
	[POLICY_RULE_CHECK] = explain_check_rule,
};

static int explain_rule(struct explain *e, const policy_rule *r)
{
	static const char *const severities[] = {
		[POLICY_SEVERITY_INFO] = N_("info"),	     [POLICY_SEVERITY_LOW] = N_("low"),
		[POLICY_SEVERITY_MEDIUM] = N_("medium"),     [POLICY_SEVERITY_HIGH] = N_("high"),
		[POLICY_SEVERITY_CRITICAL] = N_("critical"),
	};
	enum policy_rule_type type = policy_rule_type(r);
	enum policy_severity sev = policy_rule_severity(r);
	int k;

	say(e, 0, "%zu. %s: %s", policy_rule_index(r) + 1, policy_rule_id(r), policy_rule_title(r));
	if (!policy_rule_enabled(r))
		say(e, 3, "%s",
		    _("Disabled: this rule does nothing until \"enabled\" is set to true. "
		      "Enabled, it would do this:"));
	if ((size_t)type < ELEMENTSOF(explain_rule_type) && explain_rule_type[type]) {
		k = explain_rule_type[type](e, r);
		if (k < 0)
			return k;
	} else {
		say(e, 3, _("This version of posturectl cannot say what rules of type \"%s\" do."),
		    policy_rule_type_to_string(type));
	}

	say(e, 3, _("Severity: %s."),
	    (size_t)sev < ELEMENTSOF(severities) ? _(severities[sev]) :
						   policy_severity_to_string(sev));
	if (policy_rule_tag_count(r) > 0) {
		_cleanup_free_ char *tags = NULL;

		for (size_t i = 0; i < policy_rule_tag_count(r); i++) {
			k = append_item(&tags, i, policy_rule_tag(r, i));
			if (k < 0)
				return k;
		}
		say(e, 3, _("Tags: %s."), tags);
	}
	if (policy_rule_contact(r))
		/* TRANSLATORS: whom to ask about the rule, as the policy gives it. */
		say(e, 3, _("Contact: %s"), policy_rule_contact(r));
	say(e, 3, _("Message shown: %s"), policy_rule_text(r, POLICY_TEXT_MESSAGE, e->lang));
	say(e, 3, _("How to fix: %s"), policy_rule_text(r, POLICY_TEXT_REMEDIATION, e->lang));
	fputc('\n', e->out);
	return 0;
}

/* Says what the policy will do, rule by rule.  Returns 0 or -ENOMEM. */
static int explain_policy(struct explain *e, const policy *p, const char *file)
{
	const struct policy_settings *s = policy_settings(p);
	_cleanup_free_ char *id = NULL;
	size_t n_rules = policy_rule_count(p), enabled = 0;
	int k;

	k = append_quoted(&id, policy_id(p));
	if (k < 0)
		return k;
	/* TRANSLATORS: the policy's id (quoted), its serial number and the file it was read from. */
	say(e, 0, _("Policy %s, serial %llu (%s)"), id, (unsigned long long)policy_serial(p), file);
	if (policy_description(p))
		print_indented(e, 0, "", policy_description(p));
	fputc('\n', e->out);
	if (policy_mode(p) == POLICY_MODE_ENFORCE)
		say(e, 0, "%s",
		    _("Mode: enforce. Denied programs are stopped and reported; a rule may set "
		      "monitor mode for itself."));
	else
		say(e, 0, "%s",
		    _("Mode: monitor. Rules report what they find; no program is stopped."));

	say(e, 0, "%s", _("Settings:"));
	item(e, 2,
	     ngettext("device posture checks run every %u second",
		      "device posture checks run every %u seconds", s->check_interval_seconds),
	     s->check_interval_seconds);
	item(e, 2,
	     ngettext("reports are sent every %u second", "reports are sent every %u seconds",
		      s->report_interval_seconds),
	     s->report_interval_seconds);
	if (s->collect_arguments)
		item(e, 2, "%s",
		     _("program arguments are collected (they can hold personal data)"));
	else
		item(e, 2, "%s", _("program arguments are not collected"));
	if (s->exec_audit)
		item(e, 2, "%s", _("every program started is reported (full exec audit trail)"));
	else
		item(e, 2, "%s", _("only findings are reported, not every program started"));
	item(e, 2,
	     ngettext("a required program may be missing for %u second before that is reported, "
		      "unless its rule says otherwise",
		      "a required program may be missing for %u seconds before that is reported, "
		      "unless its rule says otherwise",
		      s->require_grace_seconds),
	     s->require_grace_seconds);
	item(e, 2,
	     ngettext("the local record of what was sent is kept for %u day",
		      "the local record of what was sent is kept for %u days",
		      s->sent_retention_days),
	     s->sent_retention_days);

	for (size_t i = 0; i < n_rules; i++)
		if (policy_rule_enabled(policy_rule_at(p, i)))
			enabled++;
	fputc('\n', e->out);
	say(e, 0, ngettext("%zu rule, %zu enabled.", "%zu rules, %zu enabled.", n_rules), n_rules,
	    enabled);
	fputc('\n', e->out);

	for (size_t i = 0; i < n_rules; i++) {
		k = explain_rule(e, policy_rule_at(p, i));
		if (k < 0)
			return k;
	}
	return e->error;
}

/* Prints the errors of one file from index `from` on, then a summary.  Always 1. */
static int print_errors(const char *file, const policy_errors *errors, size_t from)
{
	size_t n = policy_errors_count(errors) - from;

	for (size_t i = from; i < policy_errors_count(errors); i++) {
		_cleanup_free_ char *s = NULL;

		if (policy_error_format(policy_errors_get(errors, i), &s) < 0) {
			fputs(_("posturectl: out of memory\n"), stderr);
			return 1;
		}
		fprintf(stderr, "%s\n", s);
	}
	fprintf(stderr, ngettext("%s: invalid (%zu error)\n", "%s: invalid (%zu errors)\n", n),
		file, n);
	return 1;
}

/* Loads one file; on failure prints why and returns the exit status (1). */
static int load(const char *file, policy_errors *errors, policy **ret)
{
	size_t from = policy_errors_count(errors);
	int r = policy_load(file, errors, ret);

	if (r >= 0)
		return 0;
	if (r == -EINVAL || r == -EFBIG)
		return print_errors(file, errors, from);
	if (r == -ENOMEM)
		fputs(_("posturectl: out of memory\n"), stderr);
	else if (r == -EBADFD)
		fprintf(stderr, _("%s: error: cannot read the policy: not a regular file\n"), file);
	else
		fprintf(stderr, _("%s: error: cannot read the policy: %s\n"), file, strerror(-r));
	return 1;
}

/* The agent's configuration on this machine, read once when a policy needs it. */
struct local_config {
	const char *path;
	bool read, ok;
	struct config config;
};

/* Reads it the first time; on failure says once why the check cannot tell.  True when read. */
static bool local_config(struct local_config *lc)
{
	char err[1024];
	int r;

	if (lc->read)
		return lc->ok;
	lc->read = true;
	config_init(&lc->config);
	r = config_load(lc->path, &lc->config, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr,
			_("posturectl policy: warning: cannot tell whether this machine allows "
			  "argument capture: %s\n"),
			r == -ENOMEM ? strerror(ENOMEM) : err);
		return false;
	}
	lc->ok = true;
	return true;
}

/*
 * A valid policy that collects arguments, checked on a machine whose agent
 * refuses to capture them: the policy is accepted there, and its rules on
 * arguments never match.  Says so on standard error, as a warning.
 */
static void check_arguments_here(const char *file, const policy *p, struct local_config *lc)
{
	_cleanup_free_ char *rules = NULL;
	size_t n = 0;

	if (!policy_settings(p)->collect_arguments || !local_config(lc) ||
	    lc->config.allow_argument_capture)
		return;
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (!policy_rule_enabled(r) || !(policy_rule_needs(r) & POLICY_NEED_ARGS))
			continue;
		if (append_item(&rules, n++, policy_rule_id(r)) < 0) {
			fputs(_("posturectl: out of memory\n"), stderr);
			return;
		}
	}
	if (rules)
		fprintf(stderr,
			/* TRANSLATORS: the policy file, the configuration file, the rules' ids. */
			_("%s: warning: argument capture is refused on this machine "
			  "(\"allow_argument_capture\": false in %s): the policy's rules on arguments "
			  "(%s) will never match here\n"),
			file, lc->path, rules);
	else
		fprintf(stderr,
			/* TRANSLATORS: the policy file, then the configuration file. */
			_("%s: warning: the policy collects arguments, but argument capture is "
			  "refused on this machine (\"allow_argument_capture\": false in %s): none "
			  "are captured here\n"),
			file, lc->path);
}

static int verb_check(int argc, char *argv[], const char *config_path)
{
	_cleanup_(policy_errors_freep) policy_errors *errors = NULL;
	struct local_config lc = { .path = config_path };
	int status = 0;

	errors = policy_errors_new();
	if (!errors) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		_cleanup_(policy_unrefp) policy *p = NULL;

		if (load(argv[i], errors, &p) != 0) {
			status = 1;
			continue;
		}
		printf(ngettext("%s: valid (%zu rule)\n", "%s: valid (%zu rules)\n",
				policy_rule_count(p)),
		       argv[i], policy_rule_count(p));
		check_arguments_here(argv[i], p, &lc);
	}
	return status;
}

static int verb_explain(const char *file)
{
	_cleanup_(policy_errors_freep) policy_errors *errors = NULL;
	_cleanup_(policy_unrefp) policy *p = NULL;
	struct explain e = { .out = stdout };

	errors = policy_errors_new();
	if (!errors) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	if (load(file, errors, &p) != 0)
		return 1;
	explain_lang(e.lang, sizeof(e.lang));
	if (explain_policy(&e, p, file) < 0) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	return 0;
}

static void help(FILE *f)
{
	fprintf(f, _("Usage: posturectl policy check [--config FILE] FILE...\n"
		     "       posturectl policy explain FILE\n"
		     "\n"
		     "check    Validate policy files: exit 0 when all are valid, 1 listing every\n"
		     "         error as FILE:LINE:COLUMN: error: MESSAGE (at /json/pointer); warn\n"
		     "         when this machine's agent would not capture the arguments a valid\n"
		     "         policy collects\n"
		     "explain  Say in words what a policy will do, rule by rule, in the language\n"
		     "         of the locale (Japanese for ja_*, English otherwise)\n"
		     "\n"
		     "Options:\n"
		     "  -c --config FILE  The agent's configuration that check looks at\n"
		     "                    (default: /etc/postured/postured.conf)\n"
		     "  -h --help         Show this help\n"));
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("posturectl policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(_(" Try 'posturectl policy --help'.\n"), stderr);
	return 2;
}

int ctl_policy_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{},
	};
	const char *verb, *config_path = CONFIG_DEFAULT_PATH;
	int c;

	/* Options may come before or after the verb; operands stay in order. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return 0;
		case 'c':
			config_path = optarg;
			break;
		case ':':
			return usage_error(_("option '%s' needs a value."), argv[optind - 1]);
		default:
			return usage_error(_("unknown option '%s'."), argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", _("missing command: check or explain."));
	verb = argv[optind++];
	if (strcmp(verb, "check") == 0) {
		if (optind >= argc)
			return usage_error("%s", _("check needs at least one FILE."));
		return verb_check(argc - optind, argv + optind, config_path);
	}
	if (strcmp(verb, "explain") == 0) {
		if (argc - optind != 1)
			return usage_error("%s", _("explain takes exactly one FILE."));
		return verb_explain(argv[optind]);
	}
	return usage_error(_("unknown command '%s'."), verb);
}
