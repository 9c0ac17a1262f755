// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * From the JSON tree to a policy: every field checked, every problem
 * collected (not only the first) with its position and JSON pointer, and
 * the rules copied into the policy's arena.  The tree is dropped afterwards.
 *
 * One file on purpose, past STYLE.md's 900 lines: it is one uniform walk of
 * the language, a field table and a checker for each object, all reporting
 * through the same validation context (struct vctx); split, each part would
 * need that context and the tables of the others.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsontree.h"
#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "policy-internal.h"

#define TITLE_MAX	  200
#define CONTACT_MAX	  256
#define TAG_MAX		  64
#define TAGS_MAX	  32
#define LANGUAGES_MAX	  64
#define ARGS_CONTAINS_MAX 1024
#define GRACE_MAX	  86400
#define ID_NUMBER_MAX	  4294967294u /* uid_t and gid_t, less (uid_t)-1 */

/* Per rule, what the checks across rules need of the tree. */
struct rule_info {
	const struct jnode *id;
	const struct jnode *match[_POLICY_FIELD_MAX]; /* each field's string or array */
	bool ok; /* no error inside this rule */
};

struct vctx {
	const char *file;
	policy_errors *errors;
	size_t n_errors;
	bool truncated; /* POLICY_ERRORS_MAX reached */
	int oom;
	char ptr[1024]; /* JSON pointer of the value being looked at */
	size_t ptr_len;
	struct policy *p;
	struct rule_info *info;
};

enum {
	TF_SCHEMA,
	TF_ID,
	TF_SERIAL,
	TF_DESCRIPTION,
	TF_MODE,
	TF_SETTINGS,
	TF_RULES,
	_TF_MAX,
};
static const char *const top_fields[_TF_MAX] = {
	[TF_SCHEMA] = "$schema", [TF_ID] = "id",
	[TF_SERIAL] = "serial",	 [TF_DESCRIPTION] = "description",
	[TF_MODE] = "mode",	 [TF_SETTINGS] = "settings",
	[TF_RULES] = "rules",
};
enum {
	SF_CHECK_INTERVAL,
	SF_REPORT_INTERVAL,
	SF_COLLECT_ARGUMENTS,
	SF_EXEC_AUDIT,
	SF_REQUIRE_GRACE,
	SF_SENT_RETENTION,
	_SF_MAX,
};
static const char *const settings_fields[_SF_MAX] = {
	[SF_CHECK_INTERVAL] = "check_interval_seconds",
	[SF_REPORT_INTERVAL] = "report_interval_seconds",
	[SF_COLLECT_ARGUMENTS] = "collect_arguments",
	[SF_EXEC_AUDIT] = "exec_audit",
	[SF_REQUIRE_GRACE] = "require_grace_seconds",
	[SF_SENT_RETENTION] = "sent_retention_days",
};
/* The fields every rule has come first; then those of process rules. */
enum {
	RF_ID,
	RF_TYPE,
	RF_TITLE,
	RF_SEVERITY,
	RF_ENABLED,
	RF_MODE,
	RF_TAGS,
	RF_MESSAGE,
	RF_REMEDIATION,
	RF_CONTACT,
	_RF_COMMON,
	RF_MATCH = _RF_COMMON,
	RF_PROCESS_EXCEPT,
	RF_EFFECT,
	RF_GRACE,
	_RF_PROCESS,
};
/* The names of the common fields, for the table of each type of rule. */
#define RULE_COMMON_FIELDS                                                                    \
	[RF_ID] = "id", [RF_TYPE] = "type", [RF_TITLE] = "title", [RF_SEVERITY] = "severity", \
	[RF_ENABLED] = "enabled", [RF_MODE] = "mode", [RF_TAGS] = "tags",                     \
	[RF_MESSAGE] = "message", [RF_REMEDIATION] = "remediation", [RF_CONTACT] = "contact"
static const char *const rule_fields[_RF_PROCESS] = {
	RULE_COMMON_FIELDS,	[RF_MATCH] = "match",	      [RF_PROCESS_EXCEPT] = "except",
	[RF_EFFECT] = "effect", [RF_GRACE] = "grace_seconds",
};
/* Check rules have the common fields and these two, at the places process fields have. */
enum {
	RF_CHECK = _RF_COMMON,
	RF_PARAMS,
	_RF_CHECK,
};
static const char *const check_rule_fields[_RF_CHECK] = {
	RULE_COMMON_FIELDS,
	[RF_CHECK] = "check",
	[RF_PARAMS] = "params",
};
_Static_assert((int)_RF_CHECK <= (int)_RF_PROCESS, "parse_rule() sizes its fields for both");
/* The effects a process rule may have; network rules have theirs below. */
static const enum policy_effect process_effects[] = { POLICY_EFFECT_DENY, POLICY_EFFECT_REQUIRE };

/* ---- checks and their parameters ------------------------------------------------ */

#define PARAM_LIST_MAX	 64
#define PARAM_STRING_MAX 256

/* What a string parameter, list entry or map value must look like. */
enum param_form {
	PF_TEXT, /* any one-line text */
	PF_PATH, /* an absolute path without ".", ".." or empty segments */
	PF_VERSION, /* "12", "22.04", "6.1.0": numbers separated by dots */
	PF_OS_ID, /* an os-release ID: a-z, 0-9, ".", "_", "-" */
	PF_OS_RELEASE, /* "ID:VERSION_ID", like "debian:10" */
	PF_LOCKDOWN, /* a kernel lockdown mode */
	PF_UNIT, /* a systemd unit name: "NAME[@INSTANCE].service", .socket, .timer... */
};

struct param_spec {
	const char *name;
	enum policy_param_type type;
	enum param_form form; /* of strings, list entries and map values; map keys are PF_OS_ID */
	uint64_t min, max; /* numbers; list lengths */
};

struct check_spec {
	const char *name;
	size_t n_params;
	const struct param_spec *params;
};

#define PARAMS(...)                                                           \
	.n_params = ELEMENTSOF(((const struct param_spec[]){ __VA_ARGS__ })), \
	.params = (const struct param_spec[])                                 \
	{                                                                     \
		__VA_ARGS__                                                   \
	}

/* Sorted by name; docs/checks.md describes each check and parameter. */
static const struct check_spec check_specs[] = {
	{ "automatic_updates", PARAMS({ "max_age_days", POLICY_PARAM_NUMBER, PF_TEXT, 1, 365 }) },
	{ "disk_encryption", PARAMS({ "mounts", POLICY_PARAM_LIST, PF_PATH, 1, 16 },
				    { "swap", POLICY_PARAM_BOOL, PF_TEXT, 0, 0 }) },
	{ "firewall", .n_params = 0 },
	{ "os_version",
	  PARAMS({ "min_version", POLICY_PARAM_MAP, PF_VERSION, 1, PARAM_LIST_MAX },
		 { "end_of_support", POLICY_PARAM_LIST, PF_OS_RELEASE, 1, PARAM_LIST_MAX },
		 { "min_kernel", POLICY_PARAM_STRING, PF_VERSION, 0, 0 }) },
	{ "required_services", PARAMS({ "units", POLICY_PARAM_LIST, PF_UNIT, 1, 32 }) },
	{ "screen_lock", PARAMS({ "max_idle_minutes", POLICY_PARAM_NUMBER, PF_TEXT, 1, 60 }) },
	{ "secure_boot", PARAMS({ "require_secure_boot", POLICY_PARAM_BOOL, PF_TEXT, 0, 0 },
				{ "min_lockdown", POLICY_PARAM_STRING, PF_LOCKDOWN, 0, 0 }) },
	{ "ssh_server", PARAMS({ "allow_prohibit_password", POLICY_PARAM_BOOL, PF_TEXT, 0, 0 }) },
	{ "time_sync", PARAMS({ "require_ntp", POLICY_PARAM_BOOL, PF_TEXT, 0, 0 }) },
	{ "usb_storage", .n_params = 0 },
};

const char *const policy_check_names[] = {
	"automatic_updates", "disk_encryption", "firewall",   "os_version", "required_services",
	"screen_lock",	     "secure_boot",	"ssh_server", "time_sync",  "usb_storage",
};
const size_t policy_n_check_names = ELEMENTSOF(policy_check_names);
_Static_assert(ELEMENTSOF(policy_check_names) == ELEMENTSOF(check_specs),
	       "every check has a name and a spec");

static const char *const lockdown_names[] = { "none", "integrity", "confidentiality" };
/* The kinds of unit a check can ask systemd about; a device or a slice is not a service. */
static const char *const unit_suffixes[] = { ".service", ".socket", ".timer",
					     ".target",	 ".mount",  ".path" };

/* ---- errors and pointers --------------------------------------------------- */

static void verr_at(struct vctx *v, unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verr_at(struct vctx *v, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	int r;

	v->n_errors++;
	if (!v->errors || v->truncated)
		return;
	if (v->n_errors > POLICY_ERRORS_MAX) {
		v->truncated = true;
		return;
	}
	va_start(ap, fmt);
	r = policy_errors_add(v->errors, v->file, line, column, v->ptr, fmt, ap);
	va_end(ap);
	if (r < 0)
		v->oom = r;
}

#define verr(v, node, ...) verr_at(v, (node)->line, (node)->column, __VA_ARGS__)

static size_t ptr_push(struct vctx *v, const char *segment)
{
	size_t old = v->ptr_len;

	jsontree_pointer_append(v->ptr, sizeof(v->ptr), &v->ptr_len, segment);
	return old;
}

static size_t ptr_push_index(struct vctx *v, size_t i)
{
	size_t old = v->ptr_len;

	jsontree_pointer_append_index(v->ptr, sizeof(v->ptr), &v->ptr_len, i);
	return old;
}

static void ptr_pop(struct vctx *v, size_t old)
{
	v->ptr_len = old;
	v->ptr[old] = '\0';
}

static bool oom(struct vctx *v)
{
	v->oom = -ENOMEM;
	return false;
}

/* "a, b, c" */
static const char *list_names(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", names[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	return buf;
}

static ssize_t name_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (ssize_t)i;
	return -1;
}

/*
 * Reports unknown and repeated fields of obj, and with a message of their own
 * (`"<field>" <why>`) those that are misplaced: fields of the language that
 * do not belong here.  For each field of allowed that obj has, found[i] is
 * its member (the first, when repeated).
 */
static void check_fields_misplaced(struct vctx *v, const struct jnode *obj,
				   const char *const *allowed, size_t n_allowed,
				   const struct jmember **found, const char *const *misplaced,
				   size_t n_misplaced, const char *why)
{
	char names[512];

	for (size_t i = 0; i < obj->children.n; i++) {
		const struct jmember *m = &obj->children.members[i];
		ssize_t k = name_index(m->key, allowed, n_allowed);
		char q[POLICY_QUOTE_MAX];
		size_t old = ptr_push(v, m->key);

		if (k < 0 && name_index(m->key, misplaced, n_misplaced) >= 0)
			verr_at(v, m->line, m->column, "\"%s\" %s", m->key, why);
		else if (k < 0)
			verr_at(v, m->line, m->column, "unknown field %s; expected one of: %s",
				policy_quote(q, m->key),
				list_names(names, sizeof(names), allowed, n_allowed));
		else if (found[k])
			verr_at(v, m->line, m->column,
				"duplicate field %s; it is already set on line %u",
				policy_quote(q, m->key), found[k]->line);
		else
			found[k] = m;
		ptr_pop(v, old);
	}
}

/* Reports unknown and repeated fields of obj; found[] as check_fields_misplaced() fills it. */
static void check_fields(struct vctx *v, const struct jnode *obj, const char *const *allowed,
			 size_t n_allowed, const struct jmember **found)
{
	check_fields_misplaced(v, obj, allowed, n_allowed, found, NULL, 0, NULL);
}

static void missing(struct vctx *v, const struct jnode *obj, const char *field)
{
	verr(v, obj, "missing required field \"%s\"", field);
}

/* ---- typed values ------------------------------------------------------------ */

/* A string of at most max bytes; multiline texts may hold line breaks.  NULL after an error. */
static const char *get_string(struct vctx *v, const struct jnode *n, const char *field, size_t max,
			      bool multiline)
{
	uint32_t c;

	if (n->type != JSON_STRING) {
		verr(v, n, "\"%s\" must be a string, not %s", field, jsontree_type_name(n));
		return NULL;
	}
	if (n->string.len == 0) {
		verr(v, n, "\"%s\" must not be empty", field);
		return NULL;
	}
	if (n->string.len > max) {
		verr(v, n, "\"%s\" is longer than %zu bytes", field, max);
		return NULL;
	}
	c = policy_check_text_chars(n->string.str, multiline);
	if (c) {
		verr(v, n, "\"%s\" contains the character U+%04X, which is not allowed%s", field, c,
		     multiline ? "; texts may hold line breaks but no other control characters" :
				 "");
		return NULL;
	}
	return n->string.str;
}

static bool get_enum(struct vctx *v, const struct jnode *n, const char *field,
		     const char *const *names, size_t n_names, unsigned *ret)
{
	char q[POLICY_QUOTE_MAX], list[256];
	ssize_t k;

	if (n->type != JSON_STRING) {
		verr(v, n, "\"%s\" must be one of: %s; not %s", field,
		     list_names(list, sizeof(list), names, n_names), jsontree_type_name(n));
		return false;
	}
	k = name_index(n->string.str, names, n_names);
	if (k < 0) {
		verr(v, n, "invalid %s %s; expected one of: %s", field,
		     policy_quote(q, n->string.str),
		     list_names(list, sizeof(list), names, n_names));
		return false;
	}
	*ret = (unsigned)k;
	return true;
}

static bool get_uint(struct vctx *v, const struct jnode *n, const char *field, uint64_t min,
		     uint64_t max, uint64_t *ret)
{
	if (n->type != JSON_INTEGER) {
		verr(v, n, "\"%s\" must be a whole number from %llu to %llu, not %s", field,
		     (unsigned long long)min, (unsigned long long)max, jsontree_type_name(n));
		return false;
	}
	if (n->integer.overflow || n->integer.value < 0 || (uint64_t)n->integer.value < min ||
	    (uint64_t)n->integer.value > max) {
		if (n->integer.overflow)
			verr(v, n,
			     "\"%s\" is out of range; expected a whole number from %llu to %llu",
			     field, (unsigned long long)min, (unsigned long long)max);
		else
			verr(v, n, "\"%s\" is %lld; expected a whole number from %llu to %llu",
			     field, (long long)n->integer.value, (unsigned long long)min,
			     (unsigned long long)max);
		return false;
	}
	*ret = (uint64_t)n->integer.value;
	return true;
}

static bool get_bool(struct vctx *v, const struct jnode *n, const char *field, bool *ret)
{
	if (n->type != JSON_BOOL) {
		verr(v, n, "\"%s\" must be true or false, not %s", field, jsontree_type_name(n));
		return false;
	}
	*ret = n->boolean;
	return true;
}

/* Runs the statement with the pointer at member m of the current object. */
#define WITH_FIELD(v, m, ...)                        \
	do {                                         \
		size_t _old = ptr_push(v, (m)->key); \
		__VA_ARGS__;                         \
		ptr_pop(v, _old);                    \
	} while (0)

/*
 * Member m of object n (NULL: absent) as one of names: true and its index in
 * *ret; false when it is absent (an error when required) or not one of them
 * (an error, at m).
 */
static bool member_enum(struct vctx *v, const struct jnode *n, const struct jmember *m,
			const char *field, const char *const *names, size_t n_names, bool required,
			unsigned *ret)
{
	bool ok = false;

	if (!m) {
		if (required)
			missing(v, n, field);
		return false;
	}
	WITH_FIELD(v, m, ok = get_enum(v, m->value, field, names, n_names, ret));
	return ok;
}

/*
 * Member m of object n (NULL: absent) as a string of at most max bytes, as
 * get_string() reads it: the string, owned by the tree; NULL when it is
 * absent (an error when required) or not such a string (an error, at m).
 */
static const char *member_string(struct vctx *v, const struct jnode *n, const struct jmember *m,
				 const char *field, size_t max, bool multiline, bool required)
{
	const char *s = NULL;

	if (!m) {
		if (required)
			missing(v, n, field);
		return NULL;
	}
	WITH_FIELD(v, m, s = get_string(v, m->value, field, max, multiline));
	return s;
}

/*
 * The required "id" member m of object n, checked as an id and copied into
 * the policy's arena; NULL after an error.
 */
static const char *member_id(struct vctx *v, const struct jnode *n, const struct jmember *m)
{
	char msg[POLICY_MSG_MAX];
	const char *s, *id;

	s = member_string(v, n, m, "id", POLICY_STRING_MAX, false, true);
	if (!s)
		return NULL;
	if (policy_check_id(s, msg)) {
		WITH_FIELD(v, m, verr(v, m->value, "%s", msg));
		return NULL;
	}
	id = arena_strdup(&v->p->arena, s);
	if (!id)
		oom(v);
	return id;
}

/*
 * The required "effect" member m of rule n, one of the allowed effects (the
 * words a rule of its type may use): true and the effect in *ret, as
 * member_enum() reads it.
 */
static bool member_effect(struct vctx *v, const struct jnode *n, const struct jmember *m,
			  const enum policy_effect *allowed, size_t n_allowed,
			  enum policy_effect *ret)
{
	const char *names[ELEMENTSOF(policy_effect_names)];
	unsigned k;

	assert(n_allowed <= ELEMENTSOF(names));
	for (size_t i = 0; i < n_allowed; i++)
		names[i] = policy_effect_names[allowed[i]];
	if (!member_enum(v, n, m, "effect", names, n_allowed, true, &k))
		return false;
	*ret = allowed[k];
	return true;
}

/* ---- settings ------------------------------------------------------------------ */

static void parse_settings(struct vctx *v, const struct jnode *n, struct policy_settings *s)
{
	static const struct {
		uint64_t min, max;
		size_t offset;
	} numbers[] = {
		[SF_CHECK_INTERVAL] = { 60, 604800,
					offsetof(struct policy_settings, check_interval_seconds) },
		[SF_REPORT_INTERVAL] = { 10, 86400,
					 offsetof(struct policy_settings,
						  report_interval_seconds) },
		[SF_REQUIRE_GRACE] = { 0, GRACE_MAX,
				       offsetof(struct policy_settings, require_grace_seconds) },
		[SF_SENT_RETENTION] = { 1, 365,
					offsetof(struct policy_settings, sent_retention_days) },
	};
	const struct jmember *f[_SF_MAX] = {};

	if (n->type != JSON_OBJECT) {
		verr(v, n, "\"settings\" must be an object, not %s", jsontree_type_name(n));
		return;
	}
	check_fields(v, n, settings_fields, _SF_MAX, f);
	for (size_t i = 0; i < _SF_MAX; i++) {
		uint64_t u;

		if (!f[i])
			continue;
		if (i == SF_COLLECT_ARGUMENTS) {
			WITH_FIELD(v, f[i],
				   get_bool(v, f[i]->value, f[i]->key, &s->collect_arguments));
		} else if (i == SF_EXEC_AUDIT) {
			WITH_FIELD(v, f[i], get_bool(v, f[i]->value, f[i]->key, &s->exec_audit));
		} else {
			bool ok;

			WITH_FIELD(v, f[i],
				   ok = get_uint(v, f[i]->value, f[i]->key, numbers[i].min,
						 numbers[i].max, &u));
			if (ok)
				*(uint32_t *)((char *)s + numbers[i].offset) = (uint32_t)u;
		}
	}
}

/* ---- rule texts ------------------------------------------------------------------ */

static bool parse_texts(struct vctx *v, const struct jnode *n, const char *field,
			struct policy_texts *ret)
{
	struct policy_text_entry *entries;
	bool ok = true, has_en = false;

	if (n->type != JSON_OBJECT) {
		verr(v, n,
		     "\"%s\" must be an object mapping languages to texts, like {\"en\": \"...\"}, not %s",
		     field, jsontree_type_name(n));
		return false;
	}
	if (n->children.n > LANGUAGES_MAX) {
		verr(v, n, "\"%s\" has more than %d languages", field, LANGUAGES_MAX);
		return false;
	}
	entries = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*entries));
	if (!entries)
		return oom(v);

	for (size_t i = 0; i < n->children.n; i++) {
		const struct jmember *m = &n->children.members[i];
		char msg[POLICY_MSG_MAX], q[POLICY_QUOTE_MAX];
		size_t old = ptr_push(v, m->key);
		const char *text;

		if (policy_check_lang(m->key, msg)) {
			verr_at(v, m->line, m->column, "%s", msg);
			ok = false;
		} else {
			for (size_t j = 0; j < i; j++)
				if (strcmp(n->children.members[j].key, m->key) == 0) {
					verr_at(v, m->line, m->column,
						"duplicate field %s; it is already set on line %u",
						policy_quote(q, m->key),
						n->children.members[j].line);
					ok = false;
					break;
				}
		}
		if (strcmp(m->key, "en") == 0)
			has_en = true;
		text = get_string(v, m->value, m->key, POLICY_TEXT_MAX, true);
		if (!text)
			ok = false;
		entries[i] = (struct policy_text_entry){ .lang = m->key, .text = text };
		ptr_pop(v, old);
	}
	if (!has_en) {
		verr(v, n, "\"%s\" needs an English text under \"en\"", field);
		ok = false;
	}
	if (!ok)
		return false;

	/* The tree goes away: copy into the policy. */
	for (size_t i = 0; i < n->children.n; i++) {
		entries[i].lang = arena_strdup(&v->p->arena, entries[i].lang);
		entries[i].text = arena_strdup(&v->p->arena, entries[i].text);
		if (!entries[i].lang || !entries[i].text)
			return oom(v);
	}
	*ret = (struct policy_texts){ .n = n->children.n, .entries = entries };
	return true;
}

static bool parse_tags(struct vctx *v, const struct jnode *n, struct policy_rule *r)
{
	bool ok = true;

	if (n->type != JSON_ARRAY) {
		verr(v, n, "\"tags\" must be an array of strings, not %s", jsontree_type_name(n));
		return false;
	}
	if (n->children.n > TAGS_MAX) {
		verr(v, n, "\"tags\" has more than %d entries", TAGS_MAX);
		return false;
	}
	r->tags = arena_alloc_array(&v->p->arena, n->children.n, sizeof(char *));
	if (!r->tags)
		return oom(v);
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jnode *t = n->children.members[i].value;
		size_t old = ptr_push_index(v, i);
		const char *s = get_string(v, t, "tags", TAG_MAX, false);

		if (!s)
			ok = false;
		else if (!(r->tags[r->n_tags++] = arena_strdup(&v->p->arena, s)))
			ok = oom(v);
		ptr_pop(v, old);
	}
	return ok;
}

/* ---- match ------------------------------------------------------------------------ */

static bool is_hex(const char *s)
{
	return strspn(s, "0123456789abcdefABCDEF") == strlen(s);
}

/* One value of a match field: checked, and stored in *ret. */
static bool parse_value(struct vctx *v, enum policy_field f, const struct jnode *n,
			const char *where, struct policy_value *ret)
{
	char msg[POLICY_MSG_MAX], q[POLICY_QUOTE_MAX];
	const char *field = policy_field_names[f];
	const char *s, *problem = NULL;
	bool glob = false;

	if ((f == POLICY_FIELD_USER || f == POLICY_FIELD_GROUP) && n->type == JSON_INTEGER) {
		if (n->integer.overflow || n->integer.value < 0 ||
		    n->integer.value > ID_NUMBER_MAX) {
			verr(v, n, "%s %s%lld is out of range; expected 0 to %u",
			     f == POLICY_FIELD_USER ? "uid" : "gid",
			     n->integer.overflow ? "beyond " : "", (long long)n->integer.value,
			     ID_NUMBER_MAX);
			return false;
		}
		*ret = (struct policy_value){ .id = (uint32_t)n->integer.value };
		return true;
	}
	if (n->type != JSON_STRING) {
		const char *expected = f == POLICY_FIELD_USER  ? "a user name or a uid" :
				       f == POLICY_FIELD_GROUP ? "a group name or a gid" :
								 "a string";

		if (where)
			verr(v, n, "each entry of \"%s\" must be %s, not %s", field, expected,
			     jsontree_type_name(n));
		else
			verr(v, n, "\"%s\" must be %s or an array of them, not %s", field, expected,
			     jsontree_type_name(n));
		return false;
	}
	s = n->string.str;
	if (policy_check_text_chars(s, false)) {
		verr(v, n, "%s %s contains a control or invisible direction character", field,
		     policy_quote(q, s));
		return false;
	}

	switch (f) {
	case POLICY_FIELD_PATH:
	case POLICY_FIELD_PARENT_PATH:
		problem = policy_check_path_pattern(s, field, &glob, msg);
		break;
	case POLICY_FIELD_STDIN_FROM:
		if (strchr(s, '/')) {
			snprintf(msg, sizeof(msg),
				 "stdin_from %s has a \"/\"; it is the file name of the program "
				 "writing into the pipe, such as \"curl\"",
				 policy_quote(q, s));
			problem = msg;
			break;
		}
		/* fall through */
	case POLICY_FIELD_NAME:
		problem = policy_check_name_pattern(s, &glob, msg);
		break;
	case POLICY_FIELD_LOCATION:
	case POLICY_FIELD_STDIO: {
		bool loc = f == POLICY_FIELD_LOCATION;
		const char *const *names = loc ? policy_location_names : policy_stdio_names;
		size_t count = loc ? POLICY_LOCATION_KEYWORDS : POLICY_STDIO_KEYWORDS;
		ssize_t k = name_index(s, names, count);
		char list[128];

		if (k < 0) {
			snprintf(msg, sizeof(msg), "%s %s is not one of: %s", field,
				 policy_quote(q, s), list_names(list, sizeof(list), names, count));
			problem = msg;
			break;
		}
		*ret = (struct policy_value){ .text = names[k], .id = 1u << k };
		return true;
	}
	case POLICY_FIELD_SHA256:
		if (strlen(s) != POLICY_SHA256_HEX_LEN) {
			snprintf(msg, sizeof(msg),
				 "sha256 %s is not a SHA-256 digest; expected 64 hexadecimal "
				 "digits, found %zu characters",
				 policy_quote(q, s), strlen(s));
			problem = msg;
		} else if (!is_hex(s)) {
			snprintf(
				msg, sizeof(msg),
				"sha256 %s is not a SHA-256 digest; it holds characters other than "
				"the hexadecimal digits 0-9 and a-f",
				policy_quote(q, s));
			problem = msg;
		}
		break;
	case POLICY_FIELD_USER:
	case POLICY_FIELD_GROUP:
		problem = policy_check_user_name(s, field, msg);
		break;
	case POLICY_FIELD_ARGS_CONTAINS:
		if (!*s) {
			snprintf(msg, sizeof(msg),
				 "args_contains must not be empty: it would match every process");
			problem = msg;
		} else if (strlen(s) > ARGS_CONTAINS_MAX) {
			snprintf(msg, sizeof(msg), "args_contains is longer than %d bytes",
				 ARGS_CONTAINS_MAX);
			problem = msg;
		}
		break;
	default:
		break;
	}
	if (problem) {
		verr(v, n, "%s", problem);
		return false;
	}

	*ret = (struct policy_value){ .text = arena_strdup(&v->p->arena, s), .glob = glob };
	if (!ret->text)
		return oom(v);
	if (f == POLICY_FIELD_SHA256)
		for (char *c = (char *)ret->text; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
	return true;
}

static int value_cmp(const void *a, const void *b)
{
	const struct policy_value *x = *(const struct policy_value *const *)a;
	const struct policy_value *y = *(const struct policy_value *const *)b;

	if (!x->text || !y->text) {
		if (x->text || y->text)
			return x->text ? 1 : -1;
		return x->id < y->id ? -1 : x->id > y->id;
	}
	return strcmp(x->text, y->text);
}

/* Reports a value listed twice.  Sorting keeps this O(n log n) for long lists. */
static bool check_repeats(struct vctx *v, enum policy_field f, const struct jnode *list,
			  struct policy_value *values, size_t n)
{
	_cleanup_free_ const struct policy_value **sorted = NULL;
	bool ok = true;

	if (n < 2)
		return true;
	sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return oom(v);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &values[i];
	qsort(sorted, n, sizeof(*sorted), value_cmp);
	for (size_t i = 1; i < n; i++) {
		/* Report the later of the two in the file. */
		const struct policy_value *later = sorted[i] > sorted[i - 1] ? sorted[i] :
									       sorted[i - 1];
		size_t k = (size_t)(later - values);
		const struct jnode *node = list->children.members[k].value;
		char q[POLICY_QUOTE_MAX];
		size_t old;

		if (value_cmp(&sorted[i - 1], &sorted[i]) != 0)
			continue;
		old = ptr_push_index(v, k);
		if (later->text)
			verr(v, node, "%s is listed twice in \"%s\"", policy_quote(q, later->text),
			     policy_field_names[f]);
		else
			verr(v, node, "%u is listed twice in \"%s\"", later->id,
			     policy_field_names[f]);
		ptr_pop(v, old);
		ok = false;
	}
	return ok;
}

static bool parse_matcher(struct vctx *v, enum policy_field f, const struct jnode *n,
			  struct policy_matcher *ret)
{
	struct policy_value *values;
	bool ok = true, exact = true;
	size_t count;

	if (n->type == JSON_ARRAY) {
		count = n->children.n;
		if (count == 0) {
			verr(v, n,
			     "\"%s\" is an empty list, which never matches; give at least one value",
			     policy_field_names[f]);
			return false;
		}
		if (count > POLICY_LIST_MAX) {
			verr(v, n, "\"%s\" has more than %d values", policy_field_names[f],
			     POLICY_LIST_MAX);
			return false;
		}
	} else {
		count = 1;
	}
	values = arena_alloc_array(&v->p->arena, count, sizeof(*values));
	if (!values)
		return oom(v);

	if (n->type != JSON_ARRAY) {
		ok = parse_value(v, f, n, NULL, &values[0]);
	} else {
		for (size_t i = 0; i < count; i++) {
			size_t old = ptr_push_index(v, i);

			if (!parse_value(v, f, n->children.members[i].value, policy_field_names[f],
					 &values[i]))
				ok = false;
			ptr_pop(v, old);
		}
		if (ok)
			ok = check_repeats(v, f, n, values, count);
	}
	if (!ok)
		return false;
	for (size_t i = 0; i < count; i++)
		if (values[i].glob)
			exact = false;
	*ret = (struct policy_matcher){
		.field = f,
		.n_values = count,
		.values = values,
		.exact = exact,
	};
	return true;
}

static bool name_accepts(const struct policy_value *name, const char *base)
{
	return name->glob ? fnmatch(name->text, base, 0) == 0 : strcmp(name->text, base) == 0;
}

/* The file name a path pattern fixes ("x" for "/usr/bin/x", also behind a wildcard directory), or NULL. */
static const char *path_pattern_base(const struct policy_value *path)
{
	const char *base = policy_basename(path->text);

	return strpbrk(base, "*?[\\") ? NULL : base;
}

/*
 * Whether path and name can never both match: every path value fixes a file
 * name that no name value accepts.
 */
static bool path_name_disjoint(const struct policy_matcher *path, const struct policy_matcher *name)
{
	for (size_t i = 0; i < path->n_values; i++) {
		const char *base = path_pattern_base(&path->values[i]);

		if (!base)
			return false;
		for (size_t j = 0; j < name->n_values; j++)
			if (name_accepts(&name->values[j], base))
				return false;
	}
	return true;
}

/*
 * The fields of one process clause, "match" or an entry of "except" (an
 * object, checked by the caller), into *c; match_nodes (when not NULL)
 * keeps each field's value for the checks across rules.  what names the
 * clause in messages ("the rule", "this except clause").  Returns false
 * after an error in a field's values.
 */
static bool parse_clause(struct vctx *v, const struct jnode *n, struct policy_clause *c,
			 const struct jnode **match_nodes, const char *what)
{
	const struct jmember *f[_POLICY_FIELD_MAX] = {};
	bool ok = true;

	check_fields(v, n, policy_field_names, _POLICY_FIELD_MAX, f);
	for (enum policy_field i = 0; i < _POLICY_FIELD_MAX; i++) {
		bool field_ok;

		if (!f[i])
			continue;
		if (match_nodes)
			match_nodes[i] = f[i]->value;
		WITH_FIELD(v, f[i], field_ok = parse_matcher(v, i, f[i]->value, &c->matchers[i]));
		if (!field_ok) {
			ok = false;
			continue;
		}
		c->fields |= 1u << i;
		if (i == POLICY_FIELD_ARGS_CONTAINS && !v->p->settings.collect_arguments) {
			WITH_FIELD(v, f[i],
				   verr_at(v, f[i]->line, f[i]->column,
					   "\"args_contains\" needs \"collect_arguments\": true in "
					   "\"settings\"; without it no arguments are collected"));
			ok = false;
		}
	}
	if (!ok)
		return false;

	if ((c->fields & 1u << POLICY_FIELD_PATH) && (c->fields & 1u << POLICY_FIELD_NAME) &&
	    path_name_disjoint(&c->matchers[POLICY_FIELD_PATH], &c->matchers[POLICY_FIELD_NAME])) {
		const struct policy_matcher *path = &c->matchers[POLICY_FIELD_PATH];
		const struct policy_matcher *name = &c->matchers[POLICY_FIELD_NAME];
		char q1[POLICY_QUOTE_MAX], q2[POLICY_QUOTE_MAX], q3[POLICY_QUOTE_MAX];
		size_t old = ptr_push(v, "name");

		if (path->n_values == 1 && name->n_values == 1)
			verr(v, f[POLICY_FIELD_NAME]->value,
			     "%s can never match: the program at %s is named %s, which name %s does "
			     "not match",
			     what, policy_quote(q1, path->values[0].text),
			     policy_quote(q2, path_pattern_base(&path->values[0])),
			     policy_quote(q3, name->values[0].text));
		else
			verr(v, f[POLICY_FIELD_NAME]->value,
			     "%s can never match: no \"name\" fits the file name of any \"path\"",
			     what);
		ptr_pop(v, old);
		return false;
	}
	return true;
}

static bool parse_match(struct vctx *v, const struct jnode *n, struct policy_rule *r,
			struct rule_info *info)
{
	char list[256];

	if (n->type != JSON_OBJECT) {
		verr(v, n, "\"match\" must be an object, not %s", jsontree_type_name(n));
		return false;
	}
	if (n->children.n == 0) {
		verr(v, n, "\"match\" is empty; name at least one of: %s",
		     list_names(list, sizeof(list), policy_field_names, _POLICY_FIELD_MAX));
		return false;
	}
	if (!parse_clause(v, n, &r->match, info->match, "the rule"))
		return false;

	if (r->effect == POLICY_EFFECT_REQUIRE &&
	    !(r->match.fields & (1u << POLICY_FIELD_PATH | 1u << POLICY_FIELD_NAME |
				 1u << POLICY_FIELD_SHA256 | 1u << POLICY_FIELD_ARGS_CONTAINS))) {
		verr(v, n,
		     "a require rule must say which program it requires: \"match\" needs \"path\", "
		     "\"name\", \"sha256\" or \"args_contains\"");
		return false;
	}
	return true;
}

/* ---- except ---------------------------------------------------------------------- */

/*
 * Whether n is a list "except" may be: an array of 1 to max entries, each
 * checked by except_entry_ok().  example is a clause for the message.
 */
static bool except_list_ok(struct vctx *v, const struct jnode *n, size_t max, const char *example)
{
	if (n->type != JSON_ARRAY) {
		verr(v, n, "\"except\" must be an array of clause objects, like [%s], not %s",
		     example, jsontree_type_name(n));
		return false;
	}
	if (n->children.n == 0) {
		verr(v, n, "\"except\" is an empty list; leave it out or give at least one clause");
		return false;
	}
	if (n->children.n > max) {
		verr(v, n, "\"except\" has %zu clauses; at most %zu are allowed", n->children.n,
		     max);
		return false;
	}
	return true;
}

/* Whether entry e of "except" is an object with a field; everything: what {} would except. */
static bool except_entry_ok(struct vctx *v, const struct jnode *e, const char *everything)
{
	if (e->type != JSON_OBJECT) {
		verr(v, e, "each entry of \"except\" must be a clause object, not %s",
		     jsontree_type_name(e));
		return false;
	}
	if (e->children.n == 0) {
		verr(v, e,
		     "an empty clause in \"except\" excepts %s, so the rule could never match; give "
		     "at least one field",
		     everything);
		return false;
	}
	return true;
}

/* Whether the except value ev accepts every process the match value mv of field f does. */
static bool value_covers(enum policy_field f, const struct policy_value *ev,
			 const struct policy_value *mv)
{
	if (!ev->text || !mv->text)
		return !ev->text && !mv->text && ev->id == mv->id;
	switch (f) {
	case POLICY_FIELD_ARGS_CONTAINS:
		/* Arguments holding mv hold every part of it. */
		return strstr(mv->text, ev->text) != NULL;
	case POLICY_FIELD_PATH:
	case POLICY_FIELD_PARENT_PATH:
		return ev->glob ? fnmatch(ev->text, mv->text, FNM_PATHNAME) == 0 :
				  strcmp(ev->text, mv->text) == 0;
	case POLICY_FIELD_NAME:
		return name_accepts(ev, mv->text);
	default:
		return strcmp(ev->text, mv->text) == 0;
	}
}

/*
 * Whether except clause e leaves out every process "match" m matches: each
 * field e tests, m tests too with plain values that e accepts all of (a
 * name of e may also accept the file name of every exact path of m).  Then
 * the rule can never match.  Patterns in m are not looked into.
 */
static bool except_covers_match(const struct policy_clause *e, const struct policy_clause *m)
{
	for (enum policy_field f = 0; f < _POLICY_FIELD_MAX; f++) {
		const struct policy_matcher *em = &e->matchers[f], *mm = &m->matchers[f];
		bool by_path = false;

		if (!(e->fields & 1u << f))
			continue;
		if (!(m->fields & 1u << f) && f == POLICY_FIELD_NAME &&
		    (m->fields & 1u << POLICY_FIELD_PATH)) {
			mm = &m->matchers[POLICY_FIELD_PATH];
			by_path = true;
		} else if (!(m->fields & 1u << f)) {
			return false;
		}
		if (!mm->exact)
			return false;
		for (size_t i = 0; i < mm->n_values; i++) {
			bool covered = false;

			for (size_t k = 0; k < em->n_values && !covered; k++)
				covered =
					by_path ?
						name_accepts(&em->values[k],
							     policy_basename(mm->values[i].text)) :
						value_covers(f, &em->values[k], &mm->values[i]);
			if (!covered)
				return false;
		}
	}
	return true;
}

static void parse_process_excepts(struct vctx *v, const struct jnode *n, struct policy_rule *r,
				  bool match_ok)
{
	if (!except_list_ok(v, n, POLICY_EXCEPT_MAX, "{\"parent_path\": \"/usr/bin/make\"}"))
		return;
	r->excepts = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*r->excepts));
	if (!r->excepts) {
		oom(v);
		return;
	}
	r->n_excepts = n->children.n;
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jnode *e = n->children.members[i].value;
		size_t old = ptr_push_index(v, i), before = v->n_errors;

		/* Only clauses without errors, compared with a match without errors. */
		if (except_entry_ok(v, e, "every program") &&
		    parse_clause(v, e, &r->excepts[i], NULL, "this except clause") &&
		    v->n_errors == before && match_ok &&
		    except_covers_match(&r->excepts[i], &r->match))
			verr(v, e,
			     "this except clause leaves out every program \"match\" matches, so the "
			     "rule could never match");
		ptr_pop(v, old);
	}
}

/* ---- check rules ----------------------------------------------------------------------- */

static bool is_version(const char *s)
{
	/* Digits, single dots between them: "12", "22.04", "6.1.0". */
	if (!*s)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			if (c == s || !c[1] || c[1] == '.')
				return false;
		} else if (*c < '0' || *c > '9') {
			return false;
		}
	}
	return true;
}

static bool is_os_id(const char *s, size_t len)
{
	/* os-release(5): ID and VERSION_ID hold a-z, 0-9, ".", "_" and "-". */
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._-", s[i])))
			return false;
	return true;
}

static bool is_clean_path(const char *s)
{
	if (s[0] != '/')
		return false;
	if (strcmp(s, "/") == 0)
		return true;
	for (const char *c = s; *c;) {
		size_t len;

		c++; /* the slash */
		len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += len;
	}
	return true;
}

/*
 * A unit name as systemd takes it (unit_name_is_valid()): NAME or
 * NAME@INSTANCE, each of letters, digits, ":", "-", "_", "." and the "\" of
 * systemd's escapes, then one of unit_suffixes.  A template ("NAME@.service") is not
 * a unit that can run.
 */
static bool is_unit_name(const char *s)
{
	const char *dot = strrchr(s, '.'), *at = NULL;

	if (!dot || dot == s || strlen(s) >= 256 ||
	    name_index(dot, unit_suffixes, ELEMENTSOF(unit_suffixes)) < 0)
		return false;
	for (const char *c = s; c < dot; c++) {
		if (*c == '@') {
			if (at || c == s || c + 1 == dot)
				return false;
			at = c;
		} else if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			     (*c >= '0' && *c <= '9') || strchr(":-_.\\", *c))) {
			return false;
		}
	}
	return true;
}

/* Checks a string of parameter `param` against its form; an error at n when it fails. */
static bool check_param_form(struct vctx *v, const struct jnode *n, const char *param,
			     enum param_form form, const char *s)
{
	char q[POLICY_QUOTE_MAX], list[128];
	const char *colon;

	switch (form) {
	case PF_TEXT:
		return true;
	case PF_PATH:
		if (is_clean_path(s))
			return true;
		verr(v, n,
		     "%s in \"%s\" is not a plain absolute path; expected one like \"/home\", "
		     "without \".\", \"..\", empty parts or a trailing slash",
		     policy_quote(q, s), param);
		return false;
	case PF_VERSION:
		if (is_version(s))
			return true;
		verr(v, n,
		     "%s in \"%s\" is not a version; expected numbers separated by dots, like "
		     "\"12\" or \"22.04\"",
		     policy_quote(q, s), param);
		return false;
	case PF_OS_ID:
		if (is_os_id(s, strlen(s)))
			return true;
		verr(v, n,
		     "%s in \"%s\" is not an operating system ID as in os-release; expected "
		     "lower-case letters, digits, \".\", \"_\" and \"-\", like \"debian\"",
		     policy_quote(q, s), param);
		return false;
	case PF_OS_RELEASE:
		colon = strchr(s, ':');
		if (colon && is_os_id(s, (size_t)(colon - s)) &&
		    is_os_id(colon + 1, strlen(colon + 1)))
			return true;
		verr(v, n,
		     "%s in \"%s\" is not a release; expected the os-release ID and VERSION_ID "
		     "joined by a colon, like \"debian:10\"",
		     policy_quote(q, s), param);
		return false;
	case PF_LOCKDOWN:
		if (name_index(s, lockdown_names, ELEMENTSOF(lockdown_names)) >= 0)
			return true;
		verr(v, n, "invalid %s %s; expected one of: %s", param, policy_quote(q, s),
		     list_names(list, sizeof(list), lockdown_names, ELEMENTSOF(lockdown_names)));
		return false;
	case PF_UNIT:
		if (is_unit_name(s))
			return true;
		verr(v, n,
		     "%s in \"%s\" is not a systemd unit name; expected one like "
		     "\"openvpn-client@work.service\": letters, digits and \":-_.\\\", an "
		     "\"@\" before an instance, and one of the endings: %s",
		     policy_quote(q, s), param,
		     list_names(list, sizeof(list), unit_suffixes, ELEMENTSOF(unit_suffixes)));
		return false;
	}
	return false;
}

/* A string of a parameter: typed, within limits, of its form, and copied.  NULL after an error. */
static const char *param_string(struct vctx *v, const struct jnode *n, const struct param_spec *ps,
				enum param_form form)
{
	const char *s = get_string(v, n, ps->name, PARAM_STRING_MAX, false);

	if (!s || !check_param_form(v, n, ps->name, form, s))
		return NULL;
	s = arena_strdup(&v->p->arena, s);
	if (!s)
		oom(v);
	return s;
}

static bool parse_param_list(struct vctx *v, const struct jnode *n, const struct param_spec *ps,
			     struct policy_param *ret)
{
	const char **values;
	bool ok = true;

	if (n->type != JSON_ARRAY) {
		verr(v, n, "\"%s\" must be an array of strings, not %s", ps->name,
		     jsontree_type_name(n));
		return false;
	}
	if (n->children.n < ps->min || n->children.n > ps->max) {
		verr(v, n, "\"%s\" has %zu entries; expected %llu to %llu", ps->name, n->children.n,
		     (unsigned long long)ps->min, (unsigned long long)ps->max);
		return false;
	}
	values = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*values));
	if (!values)
		return oom(v);
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jnode *e = n->children.members[i].value;
		size_t old = ptr_push_index(v, i);

		values[i] = param_string(v, e, ps, ps->form);
		if (!values[i])
			ok = false;
		else
			for (size_t j = 0; j < i; j++)
				if (values[j] && strcmp(values[j], values[i]) == 0) {
					char q[POLICY_QUOTE_MAX];

					verr(v, e, "%s is listed twice in \"%s\"",
					     policy_quote(q, values[i]), ps->name);
					ok = false;
					break;
				}
		ptr_pop(v, old);
	}
	ret->n = n->children.n;
	ret->values = values;
	return ok;
}

static bool parse_param_map(struct vctx *v, const struct jnode *n, const struct param_spec *ps,
			    struct policy_param *ret)
{
	const char **keys, **values;
	bool ok = true;

	if (n->type != JSON_OBJECT) {
		verr(v, n,
		     "\"%s\" must be an object mapping os-release IDs to versions, like "
		     "{\"debian\": \"12\"}, not %s",
		     ps->name, jsontree_type_name(n));
		return false;
	}
	if (n->children.n < ps->min || n->children.n > ps->max) {
		verr(v, n, "\"%s\" has %zu entries; expected %llu to %llu", ps->name, n->children.n,
		     (unsigned long long)ps->min, (unsigned long long)ps->max);
		return false;
	}
	keys = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*keys));
	values = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*values));
	if (!keys || !values)
		return oom(v);
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jmember *m = &n->children.members[i];
		char q[POLICY_QUOTE_MAX];
		size_t old = ptr_push(v, m->key);

		keys[i] = NULL;
		if (!is_os_id(m->key, strlen(m->key))) {
			verr_at(v, m->line, m->column,
				"%s in \"%s\" is not an operating system ID as in os-release; "
				"expected lower-case letters, digits, \".\", \"_\" and \"-\", like "
				"\"debian\"",
				policy_quote(q, m->key), ps->name);
			ok = false;
		} else {
			for (size_t j = 0; j < i; j++)
				if (strcmp(n->children.members[j].key, m->key) == 0) {
					verr_at(v, m->line, m->column,
						"duplicate field %s; it is already set on line %u",
						policy_quote(q, m->key),
						n->children.members[j].line);
					ok = false;
					break;
				}
			if (ok && !(keys[i] = arena_strdup(&v->p->arena, m->key)))
				ok = oom(v);
		}
		values[i] = param_string(v, m->value, ps, ps->form);
		if (!values[i])
			ok = false;
		ptr_pop(v, old);
	}
	ret->n = n->children.n;
	ret->keys = keys;
	ret->values = values;
	return ok;
}

static bool parse_param(struct vctx *v, const struct jnode *n, const struct param_spec *ps,
			struct policy_param *ret)
{
	*ret = (struct policy_param){ .name = ps->name, .type = ps->type };
	switch (ps->type) {
	case POLICY_PARAM_BOOL:
		return get_bool(v, n, ps->name, &ret->boolean);
	case POLICY_PARAM_NUMBER:
		return get_uint(v, n, ps->name, ps->min, ps->max, &ret->number);
	case POLICY_PARAM_STRING:
		ret->string = param_string(v, n, ps, ps->form);
		return ret->string;
	case POLICY_PARAM_LIST:
		return parse_param_list(v, n, ps, ret);
	case POLICY_PARAM_MAP:
		return parse_param_map(v, n, ps, ret);
	}
	return false;
}

static void parse_params(struct vctx *v, const struct jnode *n, const struct check_spec *cs,
			 struct policy_rule *r)
{
	const struct jmember *found[8] = {};
	const char *names[ELEMENTSOF(found)];
	char q[POLICY_QUOTE_MAX];

	assert(cs->n_params <= ELEMENTSOF(found));
	if (n->type != JSON_OBJECT) {
		verr(v, n, "\"params\" must be an object, not %s", jsontree_type_name(n));
		return;
	}
	if (cs->n_params == 0) {
		for (size_t i = 0; i < n->children.n; i++) {
			const struct jmember *m = &n->children.members[i];

			WITH_FIELD(
				v, m,
				verr_at(v, m->line, m->column,
					"unknown parameter %s; the check \"%s\" takes no parameters",
					policy_quote(q, m->key), cs->name));
		}
		return;
	}
	for (size_t i = 0; i < cs->n_params; i++)
		names[i] = cs->params[i].name;
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jmember *m = &n->children.members[i];
		ssize_t k = name_index(m->key, names, cs->n_params);
		char list[256];
		size_t old = ptr_push(v, m->key);

		if (k < 0)
			verr_at(v, m->line, m->column,
				"unknown parameter %s of the check \"%s\"; expected one of: %s",
				policy_quote(q, m->key), cs->name,
				list_names(list, sizeof(list), names, cs->n_params));
		else if (found[k])
			verr_at(v, m->line, m->column,
				"duplicate parameter %s; it is already set on line %u",
				policy_quote(q, m->key), found[k]->line);
		else
			found[k] = m;
		ptr_pop(v, old);
	}

	r->params = arena_alloc_array(&v->p->arena, cs->n_params, sizeof(*r->params));
	if (!r->params) {
		oom(v);
		return;
	}
	/* In the order of the file, so that errors and accessors follow it. */
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jmember *m = &n->children.members[i];

		for (size_t k = 0; k < cs->n_params; k++) {
			bool ok;

			if (found[k] != m)
				continue;
			WITH_FIELD(v, m,
				   ok = parse_param(v, m->value, &cs->params[k],
						    &r->params[r->n_params]));
			if (ok)
				r->n_params++;
		}
	}
}

static void parse_check(struct vctx *v, const struct jnode *rule, const struct jmember *check,
			const struct jmember *params, struct policy_rule *r)
{
	const struct check_spec *cs = NULL;
	char q[POLICY_QUOTE_MAX], list[256];

	if (!check) {
		missing(v, rule, "check");
	} else {
		const struct jnode *n = check->value;
		ssize_t k = -1;

		if (n->type == JSON_STRING)
			k = name_index(n->string.str, policy_check_names, policy_n_check_names);
		if (n->type != JSON_STRING)
			WITH_FIELD(v, check,
				   verr(v, n, "\"check\" must be one of: %s; not %s",
					list_names(list, sizeof(list), policy_check_names,
						   policy_n_check_names),
					jsontree_type_name(n)));
		else if (k < 0)
			WITH_FIELD(v, check,
				   verr(v, n, "unknown check %s; expected one of: %s",
					policy_quote(q, n->string.str),
					list_names(list, sizeof(list), policy_check_names,
						   policy_n_check_names)));
		else if (!(r->check = arena_strdup(&v->p->arena, check_specs[k].name)))
			oom(v);
		else
			cs = &check_specs[k];
	}
	if (!params)
		return;
	if (!cs) {
		/* Without a known check, only the shape of params can be told. */
		if (params->value->type != JSON_OBJECT)
			WITH_FIELD(v, params,
				   verr(v, params->value, "\"params\" must be an object, not %s",
					jsontree_type_name(params->value)));
		return;
	}
	WITH_FIELD(v, params, parse_params(v, params->value, cs, r));
}

/* ---- network rules --------------------------------------------------------------------- */

/* Network rules have the common fields and these, at the places process fields have. */
enum {
	RF_DIRECTION = _RF_COMMON,
	RF_PROTOCOL,
	RF_NET_MATCH,
	RF_EXCEPT,
	RF_NET_EFFECT,
	_RF_NETWORK,
};
static const char *const network_rule_fields[_RF_NETWORK] = {
	RULE_COMMON_FIELDS,	  [RF_DIRECTION] = "direction", [RF_PROTOCOL] = "protocol",
	[RF_NET_MATCH] = "match", [RF_EXCEPT] = "except",	[RF_NET_EFFECT] = "effect",
};
/* What process rules have and network rules cannot: a message of its own, not "unknown". */
static const char *const network_rule_misplaced[] = { "grace_seconds" };
enum {
	NF_ADDRESS,
	NF_PORT,
	NF_PATH,
	NF_NAME,
	NF_USER,
	_NF_MAX,
};
static const char *const net_clause_fields[_NF_MAX] = {
	[NF_ADDRESS] = "address", [NF_PORT] = "port", [NF_PATH] = "path",
	[NF_NAME] = "name",	  [NF_USER] = "user",
};
static const char *const net_clause_misplaced[] = { "sha256", "parent_path", "group",
						    "args_contains" };
static const char *const protocol_names[] = { "tcp", "udp", "any" };
static const unsigned protocol_bits[] = { POLICY_NET_TCP, POLICY_NET_UDP,
					  POLICY_NET_TCP | POLICY_NET_UDP };
static const enum policy_effect net_effects[] = { POLICY_EFFECT_DENY, POLICY_EFFECT_REPORT };

/* A value of an address or port list, with what makes two of them the same. */
struct net_key {
	uint8_t key[2 + 16];
	size_t index; /* in the list */
};

static int net_key_cmp(const void *a, const void *b)
{
	const struct net_key *x = *(const struct net_key *const *)a;
	const struct net_key *y = *(const struct net_key *const *)b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/* A value as written, for messages: "10.0.0.0/8" or 443. */
static const char *net_value_text(const struct jnode *n, char buf[static POLICY_QUOTE_MAX])
{
	if (n->type == JSON_STRING)
		return policy_quote(buf, n->string.str);
	snprintf(buf, POLICY_QUOTE_MAX, "%lld", (long long)n->integer.value);
	return buf;
}

/* The i-th value of a field that takes one value or an array. */
static const struct jnode *net_value(const struct jnode *list, size_t i)
{
	return list->type == JSON_ARRAY ? list->children.members[i].value : list;
}

/* Reports a value given twice (the later of the two), sorting to stay O(n log n). */
static bool check_net_repeats(struct vctx *v, const struct jnode *list, const char *field,
			      struct net_key *keys, size_t n)
{
	_cleanup_free_ const struct net_key **sorted = NULL;
	bool ok = true;

	if (n < 2)
		return true;
	sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return oom(v);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &keys[i];
	qsort(sorted, n, sizeof(*sorted), net_key_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct jnode *earlier, *later;
		char q1[POLICY_QUOTE_MAX], q2[POLICY_QUOTE_MAX];
		size_t old;

		if (memcmp(sorted[first]->key, sorted[i]->key, sizeof(sorted[i]->key)) != 0) {
			first = i;
			continue;
		}
		/* Sorted by index within one key: the first of a run is the earliest. */
		earlier = net_value(list, sorted[first]->index);
		later = net_value(list, sorted[i]->index);
		old = ptr_push_index(v, sorted[i]->index);
		net_value_text(earlier, q1);
		net_value_text(later, q2);
		if (strcmp(q1, q2) == 0)
			verr(v, later, "%s is listed twice in \"%s\"", q2, field);
		else
			verr(v, later, "%s is the same as %s, already in \"%s\"", q2, q1, field);
		ptr_pop(v, old);
		ok = false;
	}
	return ok;
}

/* How many values a clause field has: one, or a non-empty array within limits.  0 after an error. */
static size_t net_value_count(struct vctx *v, const struct jnode *n, const char *field)
{
	if (n->type != JSON_ARRAY)
		return 1;
	if (n->children.n == 0) {
		verr(v, n, "\"%s\" is an empty list, which never matches; give at least one value",
		     field);
		return 0;
	}
	if (n->children.n > POLICY_LIST_MAX) {
		verr(v, n, "\"%s\" has more than %d values", field, POLICY_LIST_MAX);
		return 0;
	}
	return n->children.n;
}

/* Pushes the index of value i when the field is an array. */
static size_t net_value_push(struct vctx *v, const struct jnode *list, size_t i)
{
	return list->type == JSON_ARRAY ? ptr_push_index(v, i) : v->ptr_len;
}

static bool parse_net_addresses(struct vctx *v, const struct jnode *n, struct policy_net_clause *cl)
{
	size_t count = net_value_count(v, n, "address"), n_prefixes = 0;
	_cleanup_free_ struct net_key *keys = NULL;
	struct policy_net_prefix *prefixes;
	bool ok = true, resolvers = false;

	if (count == 0)
		return false;
	prefixes = arena_alloc_array(&v->p->arena, count * POLICY_NET_KEYWORD_PREFIXES,
				     sizeof(*prefixes));
	keys = calloc(count, sizeof(*keys));
	if (!prefixes || !keys)
		return oom(v);
	for (size_t i = 0; i < count; i++) {
		const struct jnode *e = net_value(n, i);
		size_t old = net_value_push(v, n, i), got;
		char msg[POLICY_MSG_MAX];
		int keyword;

		keys[i].index = i;
		if (e->type != JSON_STRING) {
			if (n->type == JSON_ARRAY)
				verr(v, e, "each entry of \"address\" must be a string, not %s",
				     jsontree_type_name(e));
			else
				verr(v, e,
				     "\"address\" must be a string or an array of them, not %s",
				     jsontree_type_name(e));
			ok = false;
		} else if (policy_net_parse_address(e->string.str, prefixes + n_prefixes, &got,
						    &keyword, msg)) {
			verr(v, e, "%s", msg);
			ok = false;
		} else if (keyword >= 0) {
			keys[i].key[0] = 0xff; /* not a family */
			keys[i].key[1] = (uint8_t)keyword;
			/* A keyword without prefixes: the system's resolvers, the caller's to know. */
			resolvers |= got == 0;
			n_prefixes += got;
		} else {
			keys[i].key[0] = prefixes[n_prefixes].family;
			keys[i].key[1] = prefixes[n_prefixes].prefixlen;
			memcpy(keys[i].key + 2, prefixes[n_prefixes].addr, 16);
			n_prefixes += got;
		}
		ptr_pop(v, old);
	}
	if (!ok || !check_net_repeats(v, n, "address", keys, count))
		return false;
	cl->n_prefixes = n_prefixes;
	cl->prefixes = prefixes;
	cl->system_resolvers = resolvers;
	return true;
}

static bool parse_net_ports(struct vctx *v, const struct jnode *n, struct policy_net_clause *cl)
{
	size_t count = net_value_count(v, n, "port");
	_cleanup_free_ struct net_key *keys = NULL;
	struct policy_net_port_range *ports;
	bool ok = true;

	if (count == 0)
		return false;
	ports = arena_alloc_array(&v->p->arena, count, sizeof(*ports));
	keys = calloc(count, sizeof(*keys));
	if (!ports || !keys)
		return oom(v);
	for (size_t i = 0; i < count; i++) {
		const struct jnode *e = net_value(n, i);
		size_t old = net_value_push(v, n, i);
		char msg[POLICY_MSG_MAX];

		keys[i].index = i;
		if (e->type == JSON_INTEGER) {
			if (e->integer.overflow || e->integer.value < 0 ||
			    e->integer.value > 65535) {
				verr(v, e, "port %s%lld is out of range; expected 0 to 65535",
				     e->integer.overflow ? "beyond " : "",
				     (long long)e->integer.value);
				ok = false;
			} else {
				ports[i].first = ports[i].last = (uint16_t)e->integer.value;
			}
		} else if (e->type != JSON_STRING) {
			if (n->type == JSON_ARRAY)
				verr(v, e,
				     "each entry of \"port\" must be a port number or a \"first-last\" "
				     "range, not %s",
				     jsontree_type_name(e));
			else
				verr(v, e,
				     "\"port\" must be a port number or a \"first-last\" range, or an "
				     "array of them, not %s",
				     jsontree_type_name(e));
			ok = false;
		} else if (policy_net_parse_port_range(e->string.str, &ports[i], msg)) {
			verr(v, e, "%s", msg);
			ok = false;
		}
		keys[i].key[0] = (uint8_t)(ports[i].first >> 8);
		keys[i].key[1] = (uint8_t)ports[i].first;
		keys[i].key[2] = (uint8_t)(ports[i].last >> 8);
		keys[i].key[3] = (uint8_t)ports[i].last;
		ptr_pop(v, old);
	}
	if (!ok || !check_net_repeats(v, n, "port", keys, count))
		return false;
	cl->n_ports = count;
	cl->ports = ports;
	return true;
}

/*
 * "path" and "name" of a clause: as in process rules, but exact.  The kernel
 * decides network rules by the executable's inode and its file name as the
 * dentry holds it (at most POLICY_KERNEL_NAME_MAX bytes of it in its keys).
 */
static bool parse_net_programs(struct vctx *v, enum policy_field f, const struct jnode *n,
			       size_t *ret_n, const char *const **ret)
{
	size_t count = net_value_count(v, n, policy_field_names[f]);
	struct policy_value *values;
	const char **texts;
	bool ok = true;

	if (count == 0)
		return false;
	values = arena_alloc_array(&v->p->arena, count, sizeof(*values));
	texts = arena_alloc_array(&v->p->arena, count, sizeof(*texts));
	if (!values || !texts)
		return oom(v);
	for (size_t i = 0; i < count; i++) {
		const struct jnode *e = net_value(n, i);
		size_t old = net_value_push(v, n, i);
		char q[POLICY_QUOTE_MAX];

		if (!parse_value(v, f, e, n->type == JSON_ARRAY ? policy_field_names[f] : NULL,
				 &values[i])) {
			ok = false;
		} else if (values[i].glob) {
			verr(v, e,
			     "%s %s has wildcards or escapes; network rules take exact %ss only, "
			     "because the kernel decides them %s",
			     policy_field_names[f], policy_quote(q, values[i].text),
			     policy_field_names[f],
			     f == POLICY_FIELD_PATH ? "by the program's file itself" :
						      "by comparing whole file names");
			ok = false;
		} else if (f == POLICY_FIELD_NAME &&
			   strlen(values[i].text) > POLICY_KERNEL_NAME_MAX) {
			verr(v, e,
			     "name %s is longer than %d bytes, more than the kernel compares; use "
			     "\"path\" for this program",
			     policy_quote(q, values[i].text), POLICY_KERNEL_NAME_MAX);
			ok = false;
		}
		texts[i] = values[i].text;
		ptr_pop(v, old);
	}
	if (!ok || (n->type == JSON_ARRAY && !check_repeats(v, f, n, values, count)))
		return false;
	*ret_n = count;
	*ret = texts;
	return true;
}

/* One clause, "match" or an entry of "except"; an object, checked by the caller. */
static bool parse_net_clause(struct vctx *v, const struct jnode *n, bool inbound,
			     struct policy_net_clause *cl)
{
	const struct jmember *f[_NF_MAX] = {};
	size_t before = v->n_errors;
	bool ok = true;

	check_fields_misplaced(v, n, net_clause_fields, _NF_MAX, f, net_clause_misplaced,
			       ELEMENTSOF(net_clause_misplaced),
			       "cannot be used in network rules: the kernel decides them, and it "
			       "tests only address, port, path, name and user");
	for (size_t i = NF_PATH; inbound && i <= NF_NAME; i++) {
		if (!f[i])
			continue;
		WITH_FIELD(v, f[i],
			   verr_at(v, f[i]->line, f[i]->column,
				   "\"%s\" cannot be used in an inbound rule: the kernel accepts "
				   "inbound connections itself, before any program takes them; "
				   "scope the rule with \"user\", or judge the program with a "
				   "\"listen\" rule",
				   f[i]->key));
		f[i] = NULL;
	}
	if (f[NF_ADDRESS])
		WITH_FIELD(v, f[NF_ADDRESS],
			   ok &= parse_net_addresses(v, f[NF_ADDRESS]->value, cl));
	if (f[NF_PORT])
		WITH_FIELD(v, f[NF_PORT], ok &= parse_net_ports(v, f[NF_PORT]->value, cl));
	if (f[NF_PATH])
		WITH_FIELD(v, f[NF_PATH],
			   ok &= parse_net_programs(v, POLICY_FIELD_PATH, f[NF_PATH]->value,
						    &cl->n_paths, &cl->paths));
	if (f[NF_NAME])
		WITH_FIELD(v, f[NF_NAME],
			   ok &= parse_net_programs(v, POLICY_FIELD_NAME, f[NF_NAME]->value,
						    &cl->n_names, &cl->names));
	if (f[NF_USER]) {
		struct policy_matcher m;
		bool user_ok;

		WITH_FIELD(v, f[NF_USER],
			   user_ok = parse_matcher(v, POLICY_FIELD_USER, f[NF_USER]->value, &m));
		if (user_ok) {
			cl->n_users = m.n_values;
			cl->users = m.values;
		}
		ok &= user_ok;
	}
	return ok && v->n_errors == before;
}

static void parse_net_excepts(struct vctx *v, const struct jnode *n, bool inbound,
			      struct policy_rule *r)
{
	if (!except_list_ok(v, n, POLICY_NET_EXCEPT_MAX, "{\"address\": \"loopback\"}"))
		return;
	r->net_excepts = arena_alloc_array(&v->p->arena, n->children.n, sizeof(*r->net_excepts));
	if (!r->net_excepts) {
		oom(v);
		return;
	}
	r->n_net_excepts = n->children.n;
	for (size_t i = 0; i < n->children.n; i++) {
		const struct jnode *e = n->children.members[i].value;
		size_t old = ptr_push_index(v, i);

		if (except_entry_ok(v, e, "all traffic"))
			parse_net_clause(v, e, inbound, &r->net_excepts[i]);
		ptr_pop(v, old);
	}
}

/* The fields of a network rule after the common ones. */
static void parse_network(struct vctx *v, const struct jnode *n, const struct jmember **f,
			  struct policy_rule *r)
{
	bool direction_known, protocol_known, effect_known, inbound;
	unsigned u;

	direction_known = member_enum(v, n, f[RF_DIRECTION], "direction",
				      policy_net_direction_names,
				      ELEMENTSOF(policy_net_direction_names), true, &u);
	if (direction_known)
		r->direction = (enum policy_net_direction)u;
	inbound = direction_known && r->direction == POLICY_NET_INBOUND;

	r->protocols = POLICY_NET_TCP | POLICY_NET_UDP;
	protocol_known = member_enum(v, n, f[RF_PROTOCOL], "protocol", protocol_names,
				     ELEMENTSOF(protocol_names), false, &u);
	if (protocol_known)
		r->protocols = protocol_bits[u];
	if (protocol_known && inbound && r->protocols == POLICY_NET_UDP)
		WITH_FIELD(v, f[RF_PROTOCOL],
			   verr(v, f[RF_PROTOCOL]->value,
				"an inbound rule is about accepted TCP connections: with "
				"\"protocol\": \"udp\" it could never match; use a \"listen\" rule "
				"for UDP"));

	effect_known = member_effect(v, n, f[RF_NET_EFFECT], net_effects, ELEMENTSOF(net_effects),
				     &r->effect);
	if (effect_known && inbound && r->effect == POLICY_EFFECT_DENY)
		WITH_FIELD(v, f[RF_NET_EFFECT],
			   verr(v, f[RF_NET_EFFECT]->value,
				"an inbound rule cannot deny: the kernel has accepted the "
				"connection before postured sees it; use \"report\", a \"listen\" "
				"rule to deny the program its socket, or the firewall"));

	if (!f[RF_NET_MATCH])
		missing(v, n, "match");
	else if (f[RF_NET_MATCH]->value->type != JSON_OBJECT)
		WITH_FIELD(v, f[RF_NET_MATCH],
			   verr(v, f[RF_NET_MATCH]->value,
				"\"match\" must be an object (\"{}\" for all traffic), not %s",
				jsontree_type_name(f[RF_NET_MATCH]->value)));
	else
		WITH_FIELD(v, f[RF_NET_MATCH],
			   parse_net_clause(v, f[RF_NET_MATCH]->value, inbound, &r->net_match));
	if (f[RF_EXCEPT])
		WITH_FIELD(v, f[RF_EXCEPT], parse_net_excepts(v, f[RF_EXCEPT]->value, inbound, r));
}

/*
 * What the kernel holds of the enabled network rules: at most
 * POLICY_NET_RULES_MAX rules, POLICY_NET_CLAUSES_MAX clauses,
 * POLICY_NET_RANGES_MAX port ranges and POLICY_NET_VALUES_MAX values of
 * each field (addresses, single ports, paths, names, users; counted as
 * written, so values repeated across clauses count each time; the keyword
 * "system_resolvers" as POLICY_NET_RESOLVERS_MAX addresses, once, since
 * the agent fills in that many at most).  Each limit is reported once, where it
 * is crossed.  Rules with errors do not count: their errors come first.
 */
static void check_net_limits(struct vctx *v, const struct jnode *rules)
{
	size_t n_rules = 0, n_clauses = 0, n_ranges = 0, n_values[5] = {};
	bool rules_over = false, clauses_over = false, ranges_over = false, values_over[5] = {};
	bool resolvers_counted = false;
	static const char *const value_fields[5] = { "address", "port", "path", "name", "user" };
	const struct policy *p = v->p;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];
		const struct jnode *node = rules->children.members[i].value;
		size_t old;

		if (!v->info[i].ok || r->type != POLICY_RULE_NETWORK || !r->enabled)
			continue;
		old = ptr_push(v, "rules");
		ptr_push_index(v, i);
		if (++n_rules > POLICY_NET_RULES_MAX && !rules_over) {
			verr(v, node,
			     "more than %d network rules are enabled; the kernel holds at most %d: "
			     "merge or disable some",
			     POLICY_NET_RULES_MAX, POLICY_NET_RULES_MAX);
			rules_over = true;
		}
		for (size_t k = 0; k < policy_rule_net_clause_count(r); k++) {
			const struct policy_net_clause *cl = policy_rule_net_clause_at(r, k);
			const struct jnode *cn =
				jsontree_member(node, k ? "except" : "match")->value;
			const struct jmember *port;
			size_t old_clause;

			if (k)
				cn = cn->children.members[k - 1].value;
			old_clause = ptr_push(v, k ? "except" : "match");
			if (k)
				ptr_push_index(v, k - 1);
			if (++n_clauses > POLICY_NET_CLAUSES_MAX && !clauses_over) {
				verr(v, cn,
				     "the enabled network rules have more than %d clauses (\"match\" "
				     "and \"except\" together); the kernel holds at most %d",
				     POLICY_NET_CLAUSES_MAX, POLICY_NET_CLAUSES_MAX);
				clauses_over = true;
			}
			/* Each value is a kernel map entry; single ports are, ranges are not. */
			n_values[0] += cl->n_prefixes;
			/*
			 * The system's resolvers take up to POLICY_NET_RESOLVERS_MAX
			 * entries however many clauses name them: counted once, in full.
			 */
			if (cl->system_resolvers && !resolvers_counted) {
				n_values[0] += POLICY_NET_RESOLVERS_MAX;
				resolvers_counted = true;
			}
			for (size_t j = 0; j < cl->n_ports; j++)
				n_values[1] += cl->ports[j].first == cl->ports[j].last;
			n_values[2] += cl->n_paths;
			n_values[3] += cl->n_names;
			n_values[4] += cl->n_users;
			for (size_t f = 0; f < 5; f++) {
				if (n_values[f] <= POLICY_NET_VALUES_MAX || values_over[f])
					continue;
				verr(v, cn,
				     "the enabled network rules have more than %d \"%s\" values in "
				     "all; the kernel holds at most %d of each field: use wider "
				     "prefixes or ranges, or fewer rules",
				     POLICY_NET_VALUES_MAX, value_fields[f], POLICY_NET_VALUES_MAX);
				values_over[f] = true;
			}
			port = jsontree_member(cn, "port");
			for (size_t j = 0; j < cl->n_ports; j++) {
				size_t old_port;

				if (cl->ports[j].first == cl->ports[j].last ||
				    ++n_ranges <= POLICY_NET_RANGES_MAX || ranges_over)
					continue;
				old_port = ptr_push(v, "port");
				net_value_push(v, port->value, j);
				verr(v, net_value(port->value, j),
				     "the enabled network rules have more than %d port ranges; the "
				     "kernel holds at most %d (single ports do not count)",
				     POLICY_NET_RANGES_MAX, POLICY_NET_RANGES_MAX);
				ptr_pop(v, old_port);
				ranges_over = true;
			}
			ptr_pop(v, old_clause);
		}
		ptr_pop(v, old);
	}
}

/* ---- rules ---------------------------------------------------------------------------- */

static void parse_rule(struct vctx *v, const struct jnode *n, size_t index, struct policy_rule *r,
		       struct rule_info *info)
{
	const struct jmember *f[_RF_PROCESS] = {}; /* check rules have fewer fields */
	const struct jmember *nf[_RF_NETWORK] = {}; /* network rules have more */
	size_t errors_before = v->n_errors;
	bool type_known = false, effect_known = false, match_ok = false;
	const char *s;
	unsigned u;
	uint64_t grace;

	r->policy = v->p;
	r->index = index;
	r->enabled = true;
	r->mode = v->p->mode;
	r->key_field = _POLICY_FIELD_NONE;

	if (n->type != JSON_OBJECT) {
		verr(v, n, "each rule must be an object, not %s", jsontree_type_name(n));
		return;
	}

	/* The type decides which fields a rule may have: look at it first. */
	{
		const struct jmember *t = jsontree_member(n, "type");
		char q[POLICY_QUOTE_MAX], list[128];

		if (!t) {
			verr(v, n,
			     "missing required field \"type\": \"process\", \"network\" or "
			     "\"check\"");
		} else {
			const char *const *names = policy_rule_type_names;
			size_t n_names = ELEMENTSOF(policy_rule_type_names);
			size_t old = ptr_push(v, "type");
			ssize_t k = -1;

			if (t->value->type == JSON_STRING)
				k = name_index(t->value->string.str, names, n_names);
			if (t->value->type != JSON_STRING) {
				verr(v, t->value, "\"type\" must be one of: %s; not %s",
				     list_names(list, sizeof(list), names, n_names),
				     jsontree_type_name(t->value));
			} else if (k < 0) {
				verr(v, t->value, "unknown rule type %s; expected one of: %s",
				     policy_quote(q, t->value->string.str),
				     list_names(list, sizeof(list), names, n_names));
			} else {
				r->type = (enum policy_rule_type)k;
				type_known = true;
			}
			ptr_pop(v, old);
		}
	}

	if (type_known && r->type == POLICY_RULE_CHECK) {
		check_fields(v, n, check_rule_fields, _RF_CHECK, f);
	} else if (type_known && r->type == POLICY_RULE_NETWORK) {
		check_fields_misplaced(v, n, network_rule_fields, _RF_NETWORK, nf,
				       network_rule_misplaced, ELEMENTSOF(network_rule_misplaced),
				       "applies to require rules only, not to network rules");
		memcpy(f, nf, _RF_COMMON * sizeof(*f));
	} else if (type_known) {
		check_fields(v, n, rule_fields, _RF_PROCESS, f);
	} else {
		/* Without a type we cannot tell unknown fields; still check the common ones. */
		for (size_t i = 0; i < _RF_COMMON; i++)
			f[i] = jsontree_member(n, rule_fields[i]);
	}

	if (f[RF_ID])
		info->id = f[RF_ID]->value;
	r->id = member_id(v, n, f[RF_ID]);
	s = member_string(v, n, f[RF_TITLE], "title", TITLE_MAX, false, true);
	if (s && !(r->title = arena_strdup(&v->p->arena, s)))
		oom(v);
	if (member_enum(v, n, f[RF_SEVERITY], "severity", policy_severity_names,
			ELEMENTSOF(policy_severity_names), true, &u))
		r->severity = u;
	if (f[RF_ENABLED])
		WITH_FIELD(v, f[RF_ENABLED],
			   get_bool(v, f[RF_ENABLED]->value, "enabled", &r->enabled));
	if (member_enum(v, n, f[RF_MODE], "mode", policy_mode_names, ELEMENTSOF(policy_mode_names),
			false, &u)) {
		r->mode = u;
		r->mode_explicit = true;
	}
	if (f[RF_TAGS])
		WITH_FIELD(v, f[RF_TAGS], parse_tags(v, f[RF_TAGS]->value, r));
	if (!f[RF_MESSAGE])
		missing(v, n, "message");
	else
		WITH_FIELD(v, f[RF_MESSAGE],
			   parse_texts(v, f[RF_MESSAGE]->value, "message",
				       &r->texts[POLICY_TEXT_MESSAGE]));
	if (!f[RF_REMEDIATION])
		missing(v, n, "remediation");
	else
		WITH_FIELD(v, f[RF_REMEDIATION],
			   parse_texts(v, f[RF_REMEDIATION]->value, "remediation",
				       &r->texts[POLICY_TEXT_REMEDIATION]));
	s = member_string(v, n, f[RF_CONTACT], "contact", CONTACT_MAX, false, false);
	if (s && !(r->contact = arena_strdup(&v->p->arena, s)))
		oom(v);

	if (!type_known)
		return;
	if (r->type == POLICY_RULE_CHECK) {
		parse_check(v, n, f[RF_CHECK], f[RF_PARAMS], r);
		info->ok = v->n_errors == errors_before;
		return;
	}
	if (r->type == POLICY_RULE_NETWORK) {
		parse_network(v, n, nf, r);
		info->ok = v->n_errors == errors_before;
		return;
	}

	/* Process rules: the effect first, since what match must hold depends on it. */
	effect_known = member_effect(v, n, f[RF_EFFECT], process_effects,
				     ELEMENTSOF(process_effects), &r->effect);
	if (f[RF_GRACE]) {
		bool ok;

		WITH_FIELD(v, f[RF_GRACE],
			   ok = get_uint(v, f[RF_GRACE]->value, "grace_seconds", 0, GRACE_MAX,
					 &grace));
		if (ok && effect_known && r->effect != POLICY_EFFECT_REQUIRE)
			WITH_FIELD(v, f[RF_GRACE],
				   verr_at(v, f[RF_GRACE]->line, f[RF_GRACE]->column,
					   "\"grace_seconds\" applies to require rules only"));
		else if (ok)
			r->grace_seconds = (uint32_t)grace;
	} else if (effect_known && r->effect == POLICY_EFFECT_REQUIRE) {
		r->grace_seconds = v->p->settings.require_grace_seconds;
	}
	/* Without a known effect, match is still checked; only what require needs is not. */
	if (!f[RF_MATCH]) {
		missing(v, n, "match");
	} else {
		size_t before = v->n_errors;

		WITH_FIELD(v, f[RF_MATCH], match_ok = parse_match(v, f[RF_MATCH]->value, r, info));
		match_ok &= v->n_errors == before;
	}
	if (f[RF_PROCESS_EXCEPT])
		WITH_FIELD(v, f[RF_PROCESS_EXCEPT],
			   parse_process_excepts(v, f[RF_PROCESS_EXCEPT]->value, r, match_ok));

	info->ok = v->n_errors == errors_before;
}

/* ---- checks across rules -------------------------------------------------------------- */

static int rule_id_cmp(const void *a, const void *b, void *userdata)
{
	const struct policy *p = userdata;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(p->rules[x].id, p->rules[y].id);

	return c ? c : (x < y ? -1 : x > y);
}

static void check_duplicate_ids(struct vctx *v)
{
	_cleanup_free_ uint32_t *order = NULL;
	struct policy *p = v->p;
	size_t n = 0;

	order = calloc(p->n_rules ? p->n_rules : 1, sizeof(*order));
	if (!order) {
		oom(v);
		return;
	}
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].id)
			order[n++] = (uint32_t)i;
	/* Sorted by id, then by position: each run of one id starts with its first rule. */
	qsort_r(order, n, sizeof(*order), rule_id_cmp, p);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct policy_rule *again = &p->rules[order[i]];
		char q[POLICY_QUOTE_MAX];
		size_t old;

		if (strcmp(p->rules[order[first]].id, again->id) != 0) {
			first = i;
			continue;
		}
		old = ptr_push(v, "rules");
		ptr_push_index(v, again->index);
		ptr_push(v, "id");
		verr(v, v->info[again->index].id,
		     "duplicate rule id %s; rule /rules/%u has it already",
		     policy_quote(q, again->id), order[first]);
		ptr_pop(v, old);
	}
}

/*
 * A process cannot be required and denied at once.  A deny rule that tests
 * one of path, name or sha256 and nothing else denies every process with
 * that value; a require rule naming such a value contradicts it.
 */
static const struct policy_rule *denied_by(const struct policy *p, const struct rule_info *info,
					   enum policy_field f, const char *value)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *d = &p->rules[i];
		const struct policy_matcher *m;

		if (!info[i].ok || d->type != POLICY_RULE_PROCESS ||
		    d->effect != POLICY_EFFECT_DENY || !d->match.fields)
			continue;
		m = &d->match.matchers[__builtin_ctz(d->match.fields)];
		if ((d->match.fields & (d->match.fields - 1)) != 0 || d->n_excepts > 0)
			continue; /* more than one field, or excepts: narrower than "every process" */
		for (size_t k = 0; k < m->n_values; k++) {
			const struct policy_value *dv = &m->values[k];

			if (m->field == POLICY_FIELD_SHA256 && f == POLICY_FIELD_SHA256 &&
			    strcmp(dv->text, value) == 0)
				return d;
			if (m->field == POLICY_FIELD_PATH && f == POLICY_FIELD_PATH &&
			    (dv->glob ? fnmatch(dv->text, value, FNM_PATHNAME) == 0 :
					strcmp(dv->text, value) == 0))
				return d;
			if (m->field == POLICY_FIELD_NAME &&
			    (f == POLICY_FIELD_NAME || f == POLICY_FIELD_PATH) &&
			    name_accepts(dv,
					 f == POLICY_FIELD_PATH ? policy_basename(value) : value))
				return d;
		}
	}
	return NULL;
}

static void check_conflicts(struct vctx *v)
{
	static const enum policy_field fields[] = {
		POLICY_FIELD_PATH,
		POLICY_FIELD_NAME,
		POLICY_FIELD_SHA256,
	};
	struct policy *p = v->p;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!v->info[i].ok || r->type != POLICY_RULE_PROCESS ||
		    r->effect != POLICY_EFFECT_REQUIRE)
			continue;
		for (size_t j = 0; j < ELEMENTSOF(fields); j++) {
			const struct policy_matcher *m = &r->match.matchers[fields[j]];

			if (!(r->match.fields & 1u << fields[j]))
				continue;
			for (size_t k = 0; k < m->n_values; k++) {
				const struct policy_rule *d;
				const struct jnode *node = v->info[i].match[fields[j]];
				char q[POLICY_QUOTE_MAX];
				size_t old;

				if (m->values[k].glob)
					continue;
				d = denied_by(p, v->info, fields[j], m->values[k].text);
				if (!d)
					continue;
				old = ptr_push(v, "rules");
				ptr_push_index(v, i);
				ptr_push(v, "match");
				ptr_push(v, policy_field_names[fields[j]]);
				if (node->type == JSON_ARRAY) {
					ptr_push_index(v, k);
					node = node->children.members[k].value;
				}
				verr(v, node,
				     "%s is required here but denied by rule \"%s\" (/rules/%zu); a "
				     "program cannot be both",
				     policy_quote(q, m->values[k].text), d->id, d->index);
				ptr_pop(v, old);
			}
		}
	}
}

/* ---- the document ----------------------------------------------------------------------- */

static void parse_document(struct vctx *v, const struct jnode *root)
{
	const struct jmember *f[_TF_MAX] = {};
	struct policy *p = v->p;
	const struct jnode *rules;
	const char *s;
	uint64_t u;
	unsigned e;

	if (root->type != JSON_OBJECT) {
		verr(v, root, "the policy must be a JSON object, not %s", jsontree_type_name(root));
		return;
	}
	check_fields(v, root, top_fields, _TF_MAX, f);

	/* Only checked: editors read it, the agent does not. */
	member_string(v, root, f[TF_SCHEMA], "$schema", POLICY_STRING_MAX, false, false);
	p->id = member_id(v, root, f[TF_ID]);
	if (!f[TF_SERIAL])
		missing(v, root, "serial");
	else {
		bool ok;

		WITH_FIELD(v, f[TF_SERIAL],
			   ok = get_uint(v, f[TF_SERIAL]->value, "serial", 1, INT64_MAX, &u));
		if (ok)
			p->serial = u;
	}
	s = member_string(v, root, f[TF_DESCRIPTION], "description", POLICY_TEXT_MAX, true, false);
	if (s && !(p->description = arena_strdup(&p->arena, s)))
		oom(v);
	if (member_enum(v, root, f[TF_MODE], "mode", policy_mode_names,
			ELEMENTSOF(policy_mode_names), false, &e))
		p->mode = e;
	/* Settings before rules: whether arguments may be matched depends on them. */
	if (f[TF_SETTINGS]) {
		size_t before = v->n_errors;

		WITH_FIELD(v, f[TF_SETTINGS],
			   parse_settings(v, f[TF_SETTINGS]->value, &p->settings));
		if (v->n_errors != before) {
			const struct jmember *ca =
				jsontree_member(f[TF_SETTINGS]->value, "collect_arguments");

			/* Do not add "needs collect_arguments" to an error there already. */
			if (ca && ca->value->type != JSON_BOOL)
				p->settings.collect_arguments = true;
		}
	}
	if (!f[TF_RULES]) {
		missing(v, root, "rules");
		return;
	}
	rules = f[TF_RULES]->value;
	if (rules->type != JSON_ARRAY) {
		WITH_FIELD(v, f[TF_RULES],
			   verr(v, rules, "\"rules\" must be an array, not %s",
				jsontree_type_name(rules)));
		return;
	}
	if (rules->children.n > POLICY_RULES_MAX) {
		WITH_FIELD(v, f[TF_RULES],
			   verr(v, rules, "\"rules\" has more than %d rules", POLICY_RULES_MAX));
		return;
	}
	p->rules = arena_alloc_array(&p->arena, rules->children.n ? rules->children.n : 1,
				     sizeof(*p->rules));
	v->info = calloc(rules->children.n ? rules->children.n : 1, sizeof(*v->info));
	if (!p->rules || !v->info) {
		oom(v);
		return;
	}
	p->n_rules = rules->children.n;
	for (size_t i = 0; i < p->n_rules; i++) {
		size_t old = ptr_push(v, "rules");

		ptr_push_index(v, i);
		parse_rule(v, rules->children.members[i].value, i, &p->rules[i], &v->info[i]);
		ptr_pop(v, old);
	}

	check_duplicate_ids(v);
	check_conflicts(v);
	check_net_limits(v, rules);
}

int policy_parse(const char *name, const void *data, size_t size, policy_errors *errors,
		 policy **ret)
{
	struct vctx v = {
		.file = name ? name : "<policy>",
		.errors = errors,
	};
	size_t first_error = policy_errors_count(errors);
	struct arena tree = {};
	struct jsontree_error jerr = {};
	struct jnode *root;
	struct policy *p;
	int r;

	if (size > POLICY_SIZE_MAX) {
		verr_at(&v, 0, 0, "the policy is %zu bytes; at most %d bytes are allowed", size,
			POLICY_SIZE_MAX);
		return v.oom ? v.oom : -EFBIG;
	}
	if (!data)
		data = "";

	p = policy_new();
	if (!p)
		return -ENOMEM;
	v.p = p;

	r = jsontree_parse(data, size, &tree, &jerr, &root);
	if (r == -EINVAL) {
		memcpy(v.ptr, jerr.pointer, sizeof(jerr.pointer));
		verr_at(&v, jerr.line, jerr.column, "%s", jerr.message);
	} else if (r >= 0) {
		parse_document(&v, root);
	}
	arena_done(&tree);
	free(v.info);

	if (r >= 0 && v.oom)
		r = v.oom;
	if (r >= 0 && v.n_errors > 0)
		r = -EINVAL;
	if (r >= 0)
		r = policy_compile(p);
	if (r < 0) {
		policy_unref(p);
		policy_errors_sort(errors, first_error);
		if (v.truncated && errors) {
			v.truncated = false;
			v.ptr[0] = '\0';
			v.n_errors = 0;
			verr_at(&v, 0, 0, "too many errors; only the first %d are shown",
				POLICY_ERRORS_MAX);
		}
		return r;
	}
	*ret = p;
	return 0;
}

int policy_load(const char *path, policy_errors *errors, policy **ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t size = 0; /* written by read_full_fd() on success; gcc's LTO cannot see it */
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = read_full_fd(fd, POLICY_SIZE_MAX, 0, &buf, &size);
	/* Too large: the parser says how large, as stat saw it, with the limit. */
	if (r == -EFBIG && fstat(fd, &st) >= 0)
		return policy_parse(path, NULL,
				    MAX((size_t)st.st_size, (size_t)POLICY_SIZE_MAX + 1), errors,
				    ret);
	if (r < 0)
		return r;
	return policy_parse(path, buf, size, errors, ret);
}
