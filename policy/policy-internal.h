/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of policy/ share with each other and with nobody else. */
#ifndef POSTURED_POLICY_INTERNAL_H
#define POSTURED_POLICY_INTERNAL_H

#include <stdarg.h>

#include "arena.h"
#include "policy.h"

struct policy_texts {
	size_t n;
	struct policy_text_entry *entries; /* "en" is always among them */
};

/* How evaluation finds a rule: which index holds it, under what. */
enum policy_key_kind {
	POLICY_KEY_NONE, /* the scan list: tested on every exec */
	POLICY_KEY_PATH, /* exact paths */
	POLICY_KEY_NAME, /* exact names */
	POLICY_KEY_BASE, /* the literal file names path patterns end in */
	POLICY_KEY_SHA256, /* digests */
	POLICY_KEY_TOP, /* the literal first directory of path patterns ("tmp" of "/tmp/?") */
	/*
	 * Keywords of location or stdio: the kernel picks these execs out by
	 * the fact; in userspace the rule is on the scan list.
	 */
	POLICY_KEY_FACT,
	_POLICY_KEY_MAX,
};

/*
 * A clause of a process rule, its "match" or one entry of its "except":
 * fields ANDed, the values of one field ORed.
 */
struct policy_clause {
	unsigned fields; /* bit (1 << f) set when matchers[f] is in use */
	struct policy_matcher matchers[_POLICY_FIELD_MAX];
	struct policy_glob_hint *hints[_POLICY_FIELD_MAX]; /* per value; set by policy_compile() */
};

struct policy_rule {
	const struct policy *policy;
	size_t index;
	const char *id;
	enum policy_rule_type type;
	const char *title;
	enum policy_severity severity;
	bool enabled;
	bool mode_explicit;
	enum policy_mode mode; /* effective */
	size_t n_tags;
	const char **tags;
	struct policy_texts texts[2]; /* by enum policy_text_kind */
	const char *contact;

	/* Process rules: a process matches when match does and no entry of excepts. */
	enum policy_effect effect;
	uint32_t grace_seconds;
	struct policy_clause match;
	size_t n_excepts;
	struct policy_clause *excepts;

	/* Check rules. */
	const char *check;
	size_t n_params;
	struct policy_param *params;

	/* Network rules; effect is POLICY_EFFECT_DENY or POLICY_EFFECT_REPORT. */
	enum policy_net_direction direction;
	unsigned protocols; /* POLICY_NET_TCP | POLICY_NET_UDP */
	struct policy_net_clause net_match;
	size_t n_net_excepts;
	struct policy_net_clause *net_excepts;

	/* Set by policy_compile(). */
	enum policy_key_kind key_kind;
	enum policy_field key_field; /* what the API shows of key_kind */
	size_t n_keys;
	const char **keys; /* what the rule is indexed under */
};

/* The literal start and end every string a glob matches has: tested before fnmatch(). */
struct policy_glob_hint {
	uint16_t len; /* of the pattern */
	uint16_t prefix; /* bytes of literal text at its start */
	uint16_t suffix; /* ... and at its end */
};

/* An exact path, name or digest and the rule it leads to, sorted by key for bsearch. */
struct policy_key {
	const char *key;
	uint32_t rule;
};

struct policy_index {
	struct policy_key *keys;
	size_t n;
};

struct policy {
	unsigned n_ref;
	struct arena arena; /* everything below lives in it */

	const char *id;
	uint64_t serial;
	const char *description;
	enum policy_mode mode;
	struct policy_settings settings;

	size_t n_rules;
	struct policy_rule *rules;

	/* The compiled form used by evaluation (policy_eval.c). */
	struct policy_index index[_POLICY_KEY_MAX]; /* by enum policy_key_kind; none for NONE */
	uint32_t *scan; /* enabled process rules without an exact key: tested on every exec */
	size_t n_scan;
	uint32_t *sha_rules; /* enabled process rules testing sha256 (in match or an except) */
	size_t n_sha_rules;
	uint32_t *requires; /* enabled require rules */
	size_t n_requires;
	unsigned needs;
	struct policy_net_compiled *net_rules; /* enabled network rules, in file order */
	size_t n_net_rules;
};

/* An enabled network rule as evaluation reads it: small, and its clauses side by side. */
struct policy_net_compiled {
	const struct policy_rule *rule;
	enum policy_net_direction direction;
	unsigned protocols;
	size_t n_excepts;
	const struct policy_net_clause *clauses; /* the match clause, then the excepts */
};

/* policy_errors.c */
int policy_errors_add(policy_errors *e, const char *file, unsigned line, unsigned column,
		      const char *pointer, const char *fmt, va_list ap)
	__attribute__((format(printf, 6, 0)));
/* Sorts the errors added since the list held `from`, by position, keeping equal ones in order. */
void policy_errors_sort(policy_errors *e, size_t from);

/*
 * Writes s into buf as a double-quoted string safe to print: quotes,
 * backslashes and control characters escaped, and cut after about 60 bytes
 * with "...".  Returns buf.
 */
#define POLICY_QUOTE_MAX 96
const char *policy_quote(char buf[static POLICY_QUOTE_MAX], const char *s);

/* policy_check.c: single values.  Each returns NULL when fine, else msg saying what is wrong. */
#define POLICY_MSG_MAX 256
const char *policy_check_id(const char *s, char msg[static POLICY_MSG_MAX]);
/* what: "path" or "parent_path", for the message.  *ret_glob: s has wildcards or escapes. */
const char *policy_check_path_pattern(const char *s, const char *what, bool *ret_glob,
				      char msg[static POLICY_MSG_MAX]);
const char *policy_check_name_pattern(const char *s, bool *ret_glob,
				      char msg[static POLICY_MSG_MAX]);
const char *policy_check_lang(const char *s, char msg[static POLICY_MSG_MAX]);
/* what: "user" or "group". */
const char *policy_check_user_name(const char *s, const char *what,
				   char msg[static POLICY_MSG_MAX]);
/*
 * policy_errors.c: a control or invisible direction character that texts may
 * not hold, or 0.  \n is allowed when multiline.
 */
uint32_t policy_check_text_chars(const char *s, bool multiline);

/* policy_parse.c: the checks the language knows, sorted by name. */
extern const char *const policy_check_names[];
extern const size_t policy_n_check_names;

/* policy_eval.c: builds the compiled form once the rules are complete.  -ENOMEM. */
int policy_compile(struct policy *p);

/*
 * policy_net.c: single values of network clauses.  Each returns NULL when the
 * value is fine, else a message in msg saying what is wrong with it.
 *
 * An address, a prefix or a keyword, as up to POLICY_NET_KEYWORD_PREFIXES
 * prefixes in ret (*ret_n of them); v4-mapped IPv6 becomes IPv4.
 * *ret_keyword is the keyword's number, or -1 for an address or prefix.
 * "system_resolvers" is a keyword of no prefixes (*ret_n 0): the caller
 * knows them.
 */
#define POLICY_NET_KEYWORD_PREFIXES 4
const char *
policy_net_parse_address(const char *s,
			 struct policy_net_prefix ret[static POLICY_NET_KEYWORD_PREFIXES],
			 size_t *ret_n, int *ret_keyword, char msg[static POLICY_MSG_MAX]);
/* The "first-last" string form of a port range. */
const char *policy_net_parse_port_range(const char *s, struct policy_net_port_range *ret,
					char msg[static POLICY_MSG_MAX]);
/* The address keywords, "loopback, private, ...", for messages. */
extern const char policy_net_keyword_list[];
/* policy_net.c: the list of enabled network rules, for policy_compile().  -ENOMEM. */
int policy_compile_net(struct policy *p);

/*
 * policy.c: the words of the language for each enum, indexed by value (each
 * array as long as its enum).  The parser reads them and the *_to_string()
 * functions print them, so the two cannot drift apart.
 */
extern const char *const policy_mode_names[POLICY_MODE_ENFORCE + 1];
extern const char *const policy_severity_names[POLICY_SEVERITY_CRITICAL + 1];
extern const char *const policy_rule_type_names[POLICY_RULE_CHECK + 1];
extern const char *const policy_effect_names[POLICY_EFFECT_REPORT + 1];
extern const char *const policy_field_names[_POLICY_FIELD_MAX];
/* The keywords of "location" and "stdio": entry i is bit i of POLICY_LOCATION_* / POLICY_STDIO_*. */
#define POLICY_LOCATION_KEYWORDS 2
#define POLICY_STDIO_KEYWORDS	 1
extern const char *const policy_location_names[POLICY_LOCATION_KEYWORDS];
extern const char *const policy_stdio_names[POLICY_STDIO_KEYWORDS];
extern const char *const policy_net_direction_names[POLICY_NET_LISTEN + 1];

/* policy.c */
struct policy *policy_new(void);
/* The last component of a path ("/usr/bin/x" -> "x"). */
const char *policy_basename(const char *path);

#endif
