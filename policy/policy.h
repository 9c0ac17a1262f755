/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy language as a library, used by the agent, posturectl and the
 * collector: parse a policy file (JSON, comments allowed), validate it with
 * precise errors (file, line, column, JSON pointer), and evaluate processes
 * against the compiled result.
 *
 * Nothing here logs, and evaluation does no I/O and keeps no global state: a
 * reload builds a new policy and swaps one pointer.  docs/policy.md describes
 * the language; policy/schema.json describes it for editors.
 */
#ifndef POSTURED_POLICY_H
#define POSTURED_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard limits: a policy over any of them is rejected with an error saying which. */
#define POLICY_SIZE_MAX	      (1024 * 1024) /* bytes of one policy file */
#define POLICY_RULES_MAX      10000 /* rules in one policy */
#define POLICY_LIST_MAX	      1024 /* values in one list (paths, names, tags...) */
#define POLICY_DEPTH_MAX      32 /* nesting of objects and arrays */
#define POLICY_STRING_MAX     8192 /* bytes of any one JSON string */
#define POLICY_TEXT_MAX	      4096 /* bytes of a message, remediation or description */
#define POLICY_ID_MAX	      64 /* bytes of a policy or rule id */
#define POLICY_ERRORS_MAX     200 /* errors kept for one file */
#define POLICY_PARENT_DEPTH   4 /* ancestors in struct policy_process */
#define POLICY_SHA256_HEX_LEN 64

typedef struct policy policy;
typedef struct policy_rule policy_rule;
typedef struct policy_errors policy_errors;

enum policy_mode {
	POLICY_MODE_MONITOR, /* report only */
	POLICY_MODE_ENFORCE, /* stop what is denied, and report */
};

enum policy_severity {
	POLICY_SEVERITY_INFO,
	POLICY_SEVERITY_LOW,
	POLICY_SEVERITY_MEDIUM,
	POLICY_SEVERITY_HIGH,
	POLICY_SEVERITY_CRITICAL,
};

/* The "type" of a rule. */
enum policy_rule_type {
	POLICY_RULE_PROCESS,
	POLICY_RULE_NETWORK,
	POLICY_RULE_CHECK,
};

enum policy_effect {
	POLICY_EFFECT_DENY, /* a matching program must not run; matching traffic must not happen */
	POLICY_EFFECT_REQUIRE, /* a matching program must be running */
	POLICY_EFFECT_REPORT, /* network rules: matching traffic is reported, never stopped */
};

/* The fields of a process rule's "match"; fields are ANDed, values within one are ORed. */
enum policy_field {
	POLICY_FIELD_PATH,
	POLICY_FIELD_NAME,
	POLICY_FIELD_SHA256,
	POLICY_FIELD_PARENT_PATH,
	POLICY_FIELD_USER,
	POLICY_FIELD_GROUP,
	POLICY_FIELD_ARGS_CONTAINS,
	POLICY_FIELD_LOCATION, /* keywords: where the executable lies (POLICY_LOCATION_*) */
	POLICY_FIELD_STDIO, /* keywords: what its standard streams are (POLICY_STDIO_*) */
	POLICY_FIELD_STDIN_FROM, /* the file name of the program writing into its standard input */
	_POLICY_FIELD_MAX,
	_POLICY_FIELD_NONE = _POLICY_FIELD_MAX,
};

enum policy_text_kind {
	POLICY_TEXT_MESSAGE,
	POLICY_TEXT_REMEDIATION,
};

const char *policy_mode_to_string(enum policy_mode m);
const char *policy_severity_to_string(enum policy_severity s);
const char *policy_rule_type_to_string(enum policy_rule_type t);
const char *policy_effect_to_string(enum policy_effect e);
const char *policy_field_to_string(enum policy_field f);

/* ---- errors --------------------------------------------------------------- */

/*
 * One problem found in a policy file.  Positions are 1-based; the column
 * counts characters (UTF-8 code points), a tab counting one.  line is 0 when
 * the error concerns the whole file (too large, not readable as a policy).
 */
struct policy_error {
	const char *file;
	unsigned line;
	unsigned column;
	const char *pointer; /* RFC 6901 JSON pointer: "/rules/3/match/path"; "" is the document */
	const char *message; /* says what was found and what was expected */
};

/* An error list that policy_parse() and policy_load() append to; it may hold several files. */
policy_errors *policy_errors_new(void);
policy_errors *policy_errors_free(policy_errors *e);
size_t policy_errors_count(const policy_errors *e);
/* The i-th error, NULL past the end.  Owned by the list. */
const struct policy_error *policy_errors_get(const policy_errors *e, size_t i);
/*
 * Formats an error as "FILE:LINE:COL: error: MESSAGE (at POINTER)", or
 * "FILE: error: MESSAGE" without a position.  Returns 0 and a string the
 * caller frees in *ret, or -ENOMEM.
 */
int policy_error_format(const struct policy_error *e, char **ret);

/* ---- parsing -------------------------------------------------------------- */

/*
 * Parses and validates the policy in data[0..size), naming it `name` in
 * errors.  Every problem found is appended to errors (when not NULL), in
 * order of position, at most POLICY_ERRORS_MAX of them.  Returns 0 and a new
 * policy (one reference) in *ret; -EINVAL when the policy is not valid,
 * -EFBIG when it is larger than POLICY_SIZE_MAX (both with errors appended),
 * or -ENOMEM.
 */
int policy_parse(const char *name, const void *data, size_t size, policy_errors *errors,
		 policy **ret);

/*
 * Reads the file at path (a regular file, at most POLICY_SIZE_MAX bytes) and
 * parses it as policy_parse() does, naming it by path.  Also returns -errno
 * when the file cannot be opened or read, -EISDIR for a directory and
 * -EBADFD for anything else that is not a regular file (no error appended
 * then).
 */
int policy_load(const char *path, policy_errors *errors, policy **ret);

policy *policy_ref(policy *p);
/* Drops one reference; frees the policy, its rules and their texts with the last.  NULL ok. */
policy *policy_unref(policy *p);

/* ---- the policy ----------------------------------------------------------- */

struct policy_settings {
	uint32_t check_interval_seconds; /* device posture checks, default 900 */
	uint32_t report_interval_seconds; /* sending to the collector, default 60 */
	bool collect_arguments; /* process arguments may be collected, default false */
	bool exec_audit; /* report every exec, not only findings, default false */
	uint32_t require_grace_seconds; /* default grace of require rules, default 300 */
	uint32_t sent_retention_days; /* local copy of what was sent, default 30 */
};

const char *policy_id(const policy *p);
uint64_t policy_serial(const policy *p);
const char *policy_description(const policy *p); /* NULL when absent */
enum policy_mode policy_mode(const policy *p);
const struct policy_settings *policy_settings(const policy *p);

/* Rules in file order, enabled or not.  policy_rule_at() returns NULL past the end. */
size_t policy_rule_count(const policy *p);
const policy_rule *policy_rule_at(const policy *p, size_t i);
const policy_rule *policy_rule_find(const policy *p, const char *id);

/* The enabled process rules with effect "require", in file order. */
size_t policy_require_count(const policy *p);
const policy_rule *policy_require_at(const policy *p, size_t i);

/* ---- one rule (owned by its policy) ------------------------------------------ */

struct policy_text_entry {
	const char *lang; /* "en", "ja", "pt-BR", ... */
	const char *text;
};

size_t policy_rule_index(const policy_rule *r); /* position in "rules" */
const char *policy_rule_id(const policy_rule *r);
enum policy_rule_type policy_rule_type(const policy_rule *r);
const char *policy_rule_title(const policy_rule *r);
enum policy_severity policy_rule_severity(const policy_rule *r);
bool policy_rule_enabled(const policy_rule *r);
/* The rule's own mode when it has one, else the policy's. */
enum policy_mode policy_rule_mode(const policy_rule *r);
bool policy_rule_mode_is_explicit(const policy_rule *r);
size_t policy_rule_tag_count(const policy_rule *r);
const char *policy_rule_tag(const policy_rule *r, size_t i);
const char *policy_rule_contact(const policy_rule *r); /* NULL when absent */

/*
 * The rule's message or remediation in the language `lang` (a BCP 47 tag such
 * as "ja" or "ja-JP"; NULL means English): the text of that exact tag, else of
 * its primary language, else of a regional variant of it, else English, which
 * every rule has.  Never NULL.
 */
const char *policy_rule_text(const policy_rule *r, enum policy_text_kind kind, const char *lang);
size_t policy_rule_text_count(const policy_rule *r, enum policy_text_kind kind);
const struct policy_text_entry *policy_rule_text_at(const policy_rule *r,
						    enum policy_text_kind kind, size_t i);

/* Process rules. */
enum policy_effect policy_rule_effect(const policy_rule *r);
/* For require rules the grace period, the rule's own or the policy's default; 0 for deny. */
uint32_t policy_rule_grace_seconds(const policy_rule *r);

/*
 * Check rules: which device posture check runs ("disk_encryption", ...; see
 * policy_check_name_at()) and its parameters, validated by the parser
 * against what each check takes.  A parameter the rule leaves out is absent:
 * the check applies its own default.
 */
enum policy_param_type {
	POLICY_PARAM_BOOL,
	POLICY_PARAM_NUMBER, /* a whole number, in number */
	POLICY_PARAM_STRING, /* in string */
	POLICY_PARAM_LIST, /* n strings in values */
	POLICY_PARAM_MAP, /* n pairs keys[i] -> values[i], in file order, keys unique */
};

struct policy_param {
	const char *name;
	enum policy_param_type type;
	bool boolean;
	uint64_t number;
	const char *string;
	size_t n;
	const char *const *keys;
	const char *const *values;
};

/* The check a check rule runs; NULL for other rules. */
const char *policy_rule_check_name(const policy_rule *r);
/* The parameters the rule sets, in file order; policy_rule_param_at() is NULL past the end. */
size_t policy_rule_param_count(const policy_rule *r);
const struct policy_param *policy_rule_param_at(const policy_rule *r, size_t i);
/* The parameter called name, or NULL when the rule does not set it. */
const struct policy_param *policy_rule_param(const policy_rule *r, const char *name);

/* The names of the checks this version of the language knows, sorted; NULL past the end. */
size_t policy_check_name_count(void);
const char *policy_check_name_at(size_t i);

/*
 * One value of a match field.  Strings are as written, except SHA-256 digests,
 * which are lower-cased.  For user and group, text is NULL when the value is
 * a numeric uid or gid, given in id.
 */
struct policy_value {
	const char *text;
	uint32_t id;
	bool glob; /* text has wildcards (*, ?, [...], \) and is matched with fnmatch(3) */
};

struct policy_matcher {
	enum policy_field field;
	size_t n_values; /* at least 1 */
	const struct policy_value *values;
	bool exact; /* no value is a glob: a set of plain strings or ids, fit for a kernel map */
};

/*
 * The matcher of field f of the rule's "match", or NULL when it does not
 * test f.  Iterate over all of a rule's matchers with f from 0 to
 * _POLICY_FIELD_MAX.
 */
const struct policy_matcher *policy_rule_matcher(const policy_rule *r, enum policy_field f);

/*
 * A process rule's "except" clauses: a process that matches "match" and
 * any of them is not matched by the rule.  Each clause tests the fields of
 * "match" (ANDed, values ORed).  The count is 0 for rules without excepts
 * and for other rule types; policy_rule_except_matcher() is the matcher of
 * field f of clause i, NULL when that clause does not test f (or past the
 * end).
 */
#define POLICY_EXCEPT_MAX 16 /* "except" clauses of one process rule */
size_t policy_rule_except_count(const policy_rule *r);
const struct policy_matcher *policy_rule_except_matcher(const policy_rule *r, size_t i,
							enum policy_field f);

/*
 * The field by which this rule can be found from an exec, for a kernel map
 * to pre-filter execs with: POLICY_FIELD_PATH or POLICY_FIELD_NAME when that
 * field's matcher is exact, POLICY_FIELD_SHA256 for digests,
 * POLICY_FIELD_LOCATION or POLICY_FIELD_STDIO (whose keys are their
 * keywords: facts the kernel decides at exec) when the rule has no path or
 * name key, or _POLICY_FIELD_NONE when every exec must be looked at.  An exec none of
 * whose path, name or digest is among the keys (the values of that
 * matcher, policy_rule_key_at()) cannot match the rule.  Only enabled process
 * rules have a key field.  (Evaluation also indexes some rules this reports
 * as _POLICY_FIELD_NONE, such as "/home/?/Downloads/ngrok", by parts no
 * kernel map here can use.)
 */
enum policy_field policy_rule_key_field(const policy_rule *r);
size_t policy_rule_key_count(const policy_rule *r);
const char *policy_rule_key_at(const policy_rule *r, size_t i);

/*
 * Whether the kernel alone can decide this rule at exec, before the program's
 * first instruction: its one matcher is a set of exact paths, or of exact
 * names the kernel sees whole (at most POLICY_KERNEL_NAME_MAX bytes; the
 * kernel keeps that much of a file name in its filter keys), and it has no
 * "except" (exceptions are judged in userspace).  Every other rule needs
 * userspace and acts after the program started.
 */
#define POLICY_KERNEL_NAME_MAX 63
bool policy_rule_kernel_decidable(const policy_rule *r);

/* ---- network rules ----------------------------------------------------------- */

/*
 * A network rule is about one direction of traffic: connections and
 * datagrams a program sends (outbound), connections it accepts (inbound), or
 * sockets it binds or listens on (listen).  It matches when the traffic
 * matches its "match" clause and none of its "except" clauses.  Every
 * field of a clause is decidable in the kernel: prefixes, port ranges, exact
 * executable paths and names, users.
 */
struct policy_match; /* below, with evaluation */

#define POLICY_NET_EXCEPT_MAX  16 /* "except" clauses of one rule */
#define POLICY_NET_CLAUSES_MAX 64 /* match + except clauses of all enabled network rules */
#define POLICY_NET_RULES_MAX   32 /* enabled network rules in one policy */
#define POLICY_NET_RANGES_MAX  64 /* port ranges (first != last) of all enabled network rules */
#define POLICY_NET_VALUES_MAX  4096 /* values of each clause field (address, port...) in all */

enum policy_net_direction {
	POLICY_NET_OUTBOUND, /* connect(), sendto(): address and port are the remote end */
	POLICY_NET_INBOUND, /* accepted TCP connections: remote address, local port */
	POLICY_NET_LISTEN, /* bind(), listen(): the local address and port */
};

/* Protocol bits; a rule has one or both ("protocol": "any", the default). */
enum {
	POLICY_NET_TCP = 1 << 0,
	POLICY_NET_UDP = 1 << 1,
};

struct policy_net_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen; /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order, IPv4 in the first 4; bits past prefixlen zero */
};

struct policy_net_port_range {
	uint16_t first, last; /* inclusive, first <= last; one port: first == last */
};

/*
 * One clause: fields ANDed, values within a field ORed; a field with no
 * values does not constrain.  v4-mapped IPv6 addresses (::ffff:a.b.c.d) are
 * matched as the IPv4 address.  Keywords ("loopback", "private", ...) are
 * expanded into their prefixes by the parser, but for "system_resolvers":
 * the DNS servers the machine uses now are not the policy's to know, so the
 * clause only says it names them (system_resolvers) and the caller supplies
 * them (struct policy_net_resolvers).  The address field constrains when it
 * has prefixes or names the resolvers (policy_net_clause_has_address()); a
 * clause that names only the resolvers while none is known matches nothing.
 */
struct policy_net_clause {
	size_t n_prefixes;
	const struct policy_net_prefix *prefixes;
	bool system_resolvers; /* "address" has the keyword "system_resolvers" */
	size_t n_ports;
	const struct policy_net_port_range *ports;
	size_t n_paths; /* exact absolute executable paths */
	const char *const *paths;
	size_t n_names; /* exact executable file names, at most POLICY_KERNEL_NAME_MAX bytes */
	const char *const *names;
	size_t n_users; /* names (text) or uids (text NULL, id) */
	const struct policy_value *users;
};

const char *policy_net_direction_to_string(enum policy_net_direction d);

/*
 * The system's resolvers as the caller knows them now: the addresses the
 * keyword "system_resolvers" stands for.  Each a whole address (prefixlen
 * 32 or 128), IPv4 as AF_INET (never v4-mapped), without scope; at most
 * POLICY_NET_RESOLVERS_MAX of them.  The agent fills it from resolv.conf
 * and systemd-resolved and passes it to evaluation (struct
 * policy_connection) and to the kernel's maps.
 */
#define POLICY_NET_RESOLVERS_MAX 16
struct policy_net_resolvers {
	size_t n;
	struct policy_net_prefix addrs[POLICY_NET_RESOLVERS_MAX];
};

/* Whether a clause's address field constrains: prefixes, or the system's resolvers. */
bool policy_net_clause_has_address(const struct policy_net_clause *c);
/* Whether some enabled network rule names "system_resolvers", in match or an except. */
bool policy_net_uses_resolvers(const policy *p);
/* Whether rule r does (enabled or not); false for other rules. */
bool policy_rule_net_uses_resolvers(const policy_rule *r);

/* Network rules only. */
enum policy_net_direction policy_rule_net_direction(const policy_rule *r);
unsigned policy_rule_net_protocols(const policy_rule *r); /* POLICY_NET_TCP | POLICY_NET_UDP */
const struct policy_net_clause *policy_rule_net_match(const policy_rule *r);
size_t policy_rule_net_except_count(const policy_rule *r);
const struct policy_net_clause *policy_rule_net_except_at(const policy_rule *r, size_t i);
/*
 * A network rule's clauses in one walk, for code that treats them alike:
 * clause 0 is "match", 1 to policy_rule_net_except_count() the excepts in
 * order.  The count is 0 for other rules; a clause past it is NULL.
 *
 *	for (size_t k = 0; k < policy_rule_net_clause_count(r); k++) {
 *		const struct policy_net_clause *c = policy_rule_net_clause_at(r, k);
 *		...
 *	}
 */
size_t policy_rule_net_clause_count(const policy_rule *r);
const struct policy_net_clause *policy_rule_net_clause_at(const policy_rule *r, size_t k);

/* The enabled network rules, in file order. */
size_t policy_net_rule_count(const policy *p);
const policy_rule *policy_net_rule_at(const policy *p, size_t i);

/* What the agent knows of one connection, bind or listener. */
struct policy_connection {
	enum policy_net_direction direction;
	unsigned protocol; /* POLICY_NET_TCP or POLICY_NET_UDP */
	uint8_t family; /* AF_INET or AF_INET6; a v4-mapped IPv6 address counts as AF_INET */
	uint8_t addr[16]; /* remote (outbound, inbound) or local (listen); IPv4 in the first 4 */
	uint16_t port; /* remote port (outbound), local port (inbound, listen) */
	const char *path; /* executable, NULL when unknown */
	const char *name; /* NULL: the last component of path */
	uint32_t uid;
	const char *user_name; /* NULL when unknown */
	/*
	 * The system's resolvers now, for clauses that name them; NULL when
	 * none is known (such an address field then matches nothing).
	 */
	const struct policy_net_resolvers *resolvers;
};

/*
 * The enabled network rules whose match clause c matches and none of whose
 * except clauses does, in file order; stores up to n_matches and returns how
 * many match.  The same decision the kernel takes.
 */
size_t policy_eval_net(const policy *p, const struct policy_connection *c,
		       struct policy_match *matches, size_t n_matches);
bool policy_rule_net_matches(const policy_rule *r, const struct policy_connection *c);

/* ---- evaluation (pure: no I/O, no allocation, no global state) ------------- */

/* The keywords of "location" and "stdio", as bits of struct policy_process and values' ids. */
enum {
	POLICY_LOCATION_MEMORY = 1 << 0, /* "memory": no name on disk (memfd, deleted) */
	POLICY_LOCATION_WORLD_WRITABLE = 1
					 << 1, /* "world_writable": in or below such a directory */
};
enum {
	POLICY_STDIO_NETWORK = 1
			       << 0, /* "network": stdin, stdout or stderr is a TCP or UDP socket */
};

/*
 * What the agent knows of a process at exec.  Strings may be NULL when
 * unknown; a matcher on an unknown fact does not match.
 */
struct policy_process {
	const char *path; /* absolute path of the executable, symlinks resolved */
	const char *name; /* its file name; NULL: the last component of path */
	const char *sha256; /* 64 lower-case hex digits; NULL when not computed */
	/* Executable paths of the parent ([0]), grandparent ([1]), ...; NULL past the chain. */
	const char *parent_path[POLICY_PARENT_DEPTH];
	uint32_t uid, gid; /* real user and group ids */
	const char *user_name; /* NULL when unknown */
	const char *group_name; /* NULL when unknown */
	const char *args; /* arguments joined by single spaces; NULL when not collected */
	unsigned location; /* the POLICY_LOCATION_* that hold; none when unknown */
	unsigned stdio; /* the POLICY_STDIO_* that hold; none when unknown */
	/* The file name of the program writing into the pipe on its standard input; NULL: none known. */
	const char *stdin_writer;
};

struct policy_match {
	const policy_rule *rule;
	enum policy_mode mode; /* the rule's effective mode */
};

/*
 * The enabled deny rules that proc matches.  Stores up to n_matches of them
 * in matches, in file order, and returns how many match in all (which may be
 * more than n_matches).
 */
size_t policy_eval(const policy *p, const struct policy_process *proc, struct policy_match *matches,
		   size_t n_matches);

/* The same for enabled require rules: which required programs proc is. */
size_t policy_eval_require(const policy *p, const struct policy_process *proc,
			   struct policy_match *matches, size_t n_matches);

/*
 * Whether rule r matches proc (its "match" holds and none of its "except"
 * clauses does), regardless of its effect and whether it is enabled.
 */
bool policy_rule_matches(const policy_rule *r, const struct policy_process *proc);

/*
 * What facts the enabled process rules look at, in "match" or in an
 * "except", so the agent gathers only those.
 */
enum {
	POLICY_NEED_SHA256 = 1 << 0, /* some rule matches on sha256 */
	POLICY_NEED_PARENT = 1 << 1, /* ... on parent_path */
	POLICY_NEED_USER_NAME = 1 << 2, /* ... on a user name (not a uid) */
	POLICY_NEED_GROUP_NAME = 1 << 3, /* ... on a group name (not a gid) */
	POLICY_NEED_ARGS = 1 << 4, /* ... on args_contains */
	POLICY_NEED_EVERY_EXEC = 1
				 << 5, /* a rule without an exact path or name key, or exec_audit */
	POLICY_NEED_STDIN_WRITER = 1 << 6, /* ... on stdin_from */
	POLICY_NEED_LOCATION = 1 << 7, /* ... on location */
	POLICY_NEED_STDIO = 1 << 8, /* ... on stdio */
};
unsigned policy_needs(const policy *p);
/*
 * What facts rule r looks at, in "match" or an except: the POLICY_NEED_*
 * bits but POLICY_NEED_EVERY_EXEC, whether r is enabled or not; 0 for
 * rules that are not process rules.  Tells which rules need arguments.
 */
unsigned policy_rule_needs(const policy_rule *r);

/*
 * Whether proc's SHA-256 would change the outcome: some enabled rule whose
 * "match" holds for every other fact of proc tests sha256, in "match" or in
 * an "except" clause whose other fields hold (proc->sha256 is ignored).
 * Lets the agent hash only the executables that a rule could be about.
 */
bool policy_needs_sha256_for(const policy *p, const struct policy_process *proc);

#endif
