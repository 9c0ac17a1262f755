// SPDX-License-Identifier: LGPL-2.1-or-later
/* The policy object: its lifetime and what callers may read of it. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "policy-internal.h"

/* The words of the language, by value: what the parser accepts and what the API prints. */
const char *const policy_mode_names[POLICY_MODE_ENFORCE + 1] = {
	[POLICY_MODE_MONITOR] = "monitor",
	[POLICY_MODE_ENFORCE] = "enforce",
};
const char *const policy_severity_names[POLICY_SEVERITY_CRITICAL + 1] = {
	[POLICY_SEVERITY_INFO] = "info",	 [POLICY_SEVERITY_LOW] = "low",
	[POLICY_SEVERITY_MEDIUM] = "medium",	 [POLICY_SEVERITY_HIGH] = "high",
	[POLICY_SEVERITY_CRITICAL] = "critical",
};
const char *const policy_rule_type_names[POLICY_RULE_CHECK + 1] = {
	[POLICY_RULE_PROCESS] = "process",
	[POLICY_RULE_NETWORK] = "network",
	[POLICY_RULE_CHECK] = "check",
};
const char *const policy_effect_names[POLICY_EFFECT_REPORT + 1] = {
	[POLICY_EFFECT_DENY] = "deny",
	[POLICY_EFFECT_REQUIRE] = "require",
	[POLICY_EFFECT_REPORT] = "report",
};
const char *const policy_field_names[_POLICY_FIELD_MAX] = {
	[POLICY_FIELD_PATH] = "path",
	[POLICY_FIELD_NAME] = "name",
	[POLICY_FIELD_SHA256] = "sha256",
	[POLICY_FIELD_PARENT_PATH] = "parent_path",
	[POLICY_FIELD_USER] = "user",
	[POLICY_FIELD_GROUP] = "group",
	[POLICY_FIELD_ARGS_CONTAINS] = "args_contains",
	[POLICY_FIELD_LOCATION] = "location",
	[POLICY_FIELD_STDIO] = "stdio",
	[POLICY_FIELD_STDIN_FROM] = "stdin_from",
};

const char *const policy_location_names[POLICY_LOCATION_KEYWORDS] = {
	"memory",
	"world_writable",
};
_Static_assert(POLICY_LOCATION_MEMORY == 1 << 0 && POLICY_LOCATION_WORLD_WRITABLE == 1 << 1,
	       "location keywords by bit");

const char *const policy_stdio_names[POLICY_STDIO_KEYWORDS] = {
	"network",
};
_Static_assert(POLICY_STDIO_NETWORK == 1 << 0, "stdio keywords by bit");
const char *const policy_net_direction_names[POLICY_NET_LISTEN + 1] = {
	[POLICY_NET_OUTBOUND] = "outbound",
	[POLICY_NET_INBOUND] = "inbound",
	[POLICY_NET_LISTEN] = "listen",
};

#define TO_STRING(table, i) ((size_t)(i) < ELEMENTSOF(table) ? table[i] : NULL)

const char *policy_mode_to_string(enum policy_mode m)
{
	return TO_STRING(policy_mode_names, m);
}

const char *policy_severity_to_string(enum policy_severity s)
{
	return TO_STRING(policy_severity_names, s);
}

const char *policy_rule_type_to_string(enum policy_rule_type t)
{
	return TO_STRING(policy_rule_type_names, t);
}

const char *policy_effect_to_string(enum policy_effect e)
{
	return TO_STRING(policy_effect_names, e);
}

const char *policy_field_to_string(enum policy_field f)
{
	return TO_STRING(policy_field_names, f);
}

const char *policy_net_direction_to_string(enum policy_net_direction d)
{
	return TO_STRING(policy_net_direction_names, d);
}

struct policy *policy_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->n_ref = 1;
	p->mode = POLICY_MODE_MONITOR;
	p->settings = (struct policy_settings){
		.check_interval_seconds = 900,
		.report_interval_seconds = 60,
		.collect_arguments = false,
		.exec_audit = false,
		.require_grace_seconds = 300,
		.sent_retention_days = 30,
	};
	return p;
}

policy *policy_ref(policy *p)
{
	if (p) {
		assert(p->n_ref > 0);
		p->n_ref++;
	}
	return p;
}

policy *policy_unref(policy *p)
{
	if (!p)
		return NULL;
	assert(p->n_ref > 0);
	if (--p->n_ref > 0)
		return NULL;
	arena_done(&p->arena);
	free(p);
	return NULL;
}

const char *policy_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *policy_id(const policy *p)
{
	return p->id;
}

uint64_t policy_serial(const policy *p)
{
	return p->serial;
}

const char *policy_description(const policy *p)
{
	return p->description;
}

enum policy_mode policy_mode(const policy *p)
{
	return p->mode;
}

const struct policy_settings *policy_settings(const policy *p)
{
	return &p->settings;
}

size_t policy_rule_count(const policy *p)
{
	return p->n_rules;
}

const policy_rule *policy_rule_at(const policy *p, size_t i)
{
	return i < p->n_rules ? &p->rules[i] : NULL;
}

const policy_rule *policy_rule_find(const policy *p, const char *id)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].id, id) == 0)
			return &p->rules[i];
	return NULL;
}

size_t policy_require_count(const policy *p)
{
	return p->n_requires;
}

const policy_rule *policy_require_at(const policy *p, size_t i)
{
	return i < p->n_requires ? &p->rules[p->requires[i]] : NULL;
}

size_t policy_rule_index(const policy_rule *r)
{
	return r->index;
}

const char *policy_rule_id(const policy_rule *r)
{
	return r->id;
}

enum policy_rule_type policy_rule_type(const policy_rule *r)
{
	return r->type;
}

const char *policy_rule_title(const policy_rule *r)
{
	return r->title;
}

enum policy_severity policy_rule_severity(const policy_rule *r)
{
	return r->severity;
}

bool policy_rule_enabled(const policy_rule *r)
{
	return r->enabled;
}

enum policy_mode policy_rule_mode(const policy_rule *r)
{
	return r->mode;
}

bool policy_rule_mode_is_explicit(const policy_rule *r)
{
	return r->mode_explicit;
}

size_t policy_rule_tag_count(const policy_rule *r)
{
	return r->n_tags;
}

const char *policy_rule_tag(const policy_rule *r, size_t i)
{
	return i < r->n_tags ? r->tags[i] : NULL;
}

const char *policy_rule_contact(const policy_rule *r)
{
	return r->contact;
}

static const struct policy_texts *texts_of(const policy_rule *r, enum policy_text_kind kind)
{
	return &r->texts[kind == POLICY_TEXT_REMEDIATION ? POLICY_TEXT_REMEDIATION :
							   POLICY_TEXT_MESSAGE];
}

const char *policy_rule_text(const policy_rule *r, enum policy_text_kind kind, const char *lang)
{
	const struct policy_texts *t = texts_of(r, kind);
	size_t primary;

	if (lang && *lang) {
		primary = strcspn(lang, "-_");
		/* "ja-JP": that exact tag, ... */
		for (size_t i = 0; i < t->n; i++)
			if (strcasecmp(t->entries[i].lang, lang) == 0)
				return t->entries[i].text;
		/* ... else "ja", ... */
		for (size_t i = 0; i < t->n; i++)
			if (strlen(t->entries[i].lang) == primary &&
			    strncasecmp(t->entries[i].lang, lang, primary) == 0)
				return t->entries[i].text;
		/* ... else any "ja-*". */
		for (size_t i = 0; i < t->n; i++)
			if (strncasecmp(t->entries[i].lang, lang, primary) == 0 &&
			    t->entries[i].lang[primary] == '-')
				return t->entries[i].text;
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].lang, "en") == 0)
			return t->entries[i].text;
	/* Unreachable for a parsed policy, which always has "en". */
	return "";
}

size_t policy_rule_text_count(const policy_rule *r, enum policy_text_kind kind)
{
	return texts_of(r, kind)->n;
}

const struct policy_text_entry *policy_rule_text_at(const policy_rule *r,
						    enum policy_text_kind kind, size_t i)
{
	const struct policy_texts *t = texts_of(r, kind);

	return i < t->n ? &t->entries[i] : NULL;
}

enum policy_effect policy_rule_effect(const policy_rule *r)
{
	return r->effect;
}

uint32_t policy_rule_grace_seconds(const policy_rule *r)
{
	return r->effect == POLICY_EFFECT_REQUIRE ? r->grace_seconds : 0;
}

const char *policy_rule_check_name(const policy_rule *r)
{
	return r->type == POLICY_RULE_CHECK ? r->check : NULL;
}

size_t policy_rule_param_count(const policy_rule *r)
{
	return r->n_params;
}

const struct policy_param *policy_rule_param_at(const policy_rule *r, size_t i)
{
	return i < r->n_params ? &r->params[i] : NULL;
}

const struct policy_param *policy_rule_param(const policy_rule *r, const char *name)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return &r->params[i];
	return NULL;
}

size_t policy_check_name_count(void)
{
	return policy_n_check_names;
}

const char *policy_check_name_at(size_t i)
{
	return i < policy_n_check_names ? policy_check_names[i] : NULL;
}

static const struct policy_matcher *clause_matcher(const struct policy_clause *c,
						   enum policy_field f)
{
	if ((unsigned)f >= _POLICY_FIELD_MAX || !(c->fields & 1u << f))
		return NULL;
	return &c->matchers[f];
}

const struct policy_matcher *policy_rule_matcher(const policy_rule *r, enum policy_field f)
{
	return clause_matcher(&r->match, f);
}

size_t policy_rule_except_count(const policy_rule *r)
{
	return r->type == POLICY_RULE_PROCESS ? r->n_excepts : 0;
}

const struct policy_matcher *policy_rule_except_matcher(const policy_rule *r, size_t i,
							enum policy_field f)
{
	return i < policy_rule_except_count(r) ? clause_matcher(&r->excepts[i], f) : NULL;
}

bool policy_rule_kernel_decidable(const policy_rule *r)
{
	const struct policy_matcher *only = NULL;

	if (r->type != POLICY_RULE_PROCESS || !r->match.fields)
		return false;
	/* The kernel would kill before userspace could tell that an exception applies. */
	if (r->n_excepts > 0)
		return false;
	for (enum policy_field f = 0; f < _POLICY_FIELD_MAX; f++) {
		const struct policy_matcher *m = policy_rule_matcher(r, f);

		if (!m)
			continue;
		if (only)
			return false; /* the kernel keys on one field: an AND needs userspace */
		only = m;
	}
	if (!only || !only->exact)
		return false;
	switch (only->field) {
	case POLICY_FIELD_PATH:
		return true;
	case POLICY_FIELD_NAME:
		for (size_t i = 0; i < only->n_values; i++)
			if (strlen(only->values[i].text) > POLICY_KERNEL_NAME_MAX)
				return false;
		return true;
	case POLICY_FIELD_LOCATION:
	case POLICY_FIELD_STDIO:
		/* Decided at exec from kernel objects (a script's location in userspace). */
		return true;
	default:
		return false;
	}
}
