// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The compiled form and evaluation.  Each enabled process rule is reachable
 * by one kind of key: an exact path; else a file name (an exact name, or the
 * literal last component of every path pattern); else a SHA-256 digest.  A
 * rule with none of them is on the scan list, tested for every process.  An
 * exec thus costs a few binary searches plus the scan list, not a walk over
 * every rule, and the keys are what a kernel map can hold.  Globs are
 * checked against their literal start and end before fnmatch() runs.  Keys
 * come from "match" alone: a process its "except" clauses leave out must
 * match "match" first, so they only ever remove candidates.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/cleanup.h"
#include "policy-internal.h"

#define BIT(f) (1u << (f))

static int key_cmp(const void *a, const void *b)
{
	const struct policy_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->rule < y->rule ? -1 : x->rule > y->rule);
}

/* The literal last component of a path pattern ("ngrok" of "/home/?/ngrok"), or NULL. */
static const char *literal_base(const char *pattern)
{
	const char *base = policy_basename(pattern);

	return *base && !strpbrk(base, "*?[\\") ? base : NULL;
}

/* The literal first directory of a path pattern ("tmp" of "/tmp/?"), as a length, or 0. */
static size_t literal_top(const char *pattern)
{
	size_t n = strcspn(pattern + 1, "/*?[\\");

	return pattern[1 + n] == '/' ? n : 0;
}

/* Whether every value of m has a literal part f picks out. */
static bool all_have(const struct policy_matcher *m, bool (*f)(const char *))
{
	for (size_t i = 0; i < m->n_values; i++)
		if (!f(m->values[i].text))
			return false;
	return true;
}

static bool has_base(const char *pattern)
{
	return literal_base(pattern) != NULL;
}

static bool has_top(const char *pattern)
{
	return literal_top(pattern) > 0;
}

static enum policy_key_kind choose_key(const struct policy_rule *r)
{
	const struct policy_clause *c = &r->match;
	const struct policy_matcher *path = &c->matchers[POLICY_FIELD_PATH];
	bool has_path = c->fields & BIT(POLICY_FIELD_PATH);

	if (has_path && path->exact)
		return POLICY_KEY_PATH;
	if ((c->fields & BIT(POLICY_FIELD_NAME)) && c->matchers[POLICY_FIELD_NAME].exact)
		return POLICY_KEY_NAME;
	if (has_path && all_have(path, has_base))
		return POLICY_KEY_BASE;
	if (c->fields & BIT(POLICY_FIELD_SHA256))
		return POLICY_KEY_SHA256;
	if (has_path && all_have(path, has_top))
		return POLICY_KEY_TOP;
	if (c->fields & (BIT(POLICY_FIELD_LOCATION) | BIT(POLICY_FIELD_STDIO)))
		return POLICY_KEY_FACT;
	return POLICY_KEY_NONE;
}

/*
 * What the API shows: a field whose matcher's values are the keys.  The file
 * names of path patterns and their top directories are keys of ours only.
 */
static const enum policy_field key_fields[_POLICY_KEY_MAX] = {
	[POLICY_KEY_NONE] = _POLICY_FIELD_NONE,	   [POLICY_KEY_PATH] = POLICY_FIELD_PATH,
	[POLICY_KEY_NAME] = POLICY_FIELD_NAME,	   [POLICY_KEY_BASE] = _POLICY_FIELD_NONE,
	[POLICY_KEY_SHA256] = POLICY_FIELD_SHA256, [POLICY_KEY_TOP] = _POLICY_FIELD_NONE,
	[POLICY_KEY_FACT] = _POLICY_FIELD_NONE, /* set per rule: location or stdio */
};

/* The keys of r: the values of one matcher, or a literal part of each path pattern. */
static int rule_keys(struct policy *p, struct policy_rule *r)
{
	const struct policy_matcher *m;

	switch (r->key_kind) {
	case POLICY_KEY_NAME:
		m = &r->match.matchers[POLICY_FIELD_NAME];
		break;
	case POLICY_KEY_SHA256:
		m = &r->match.matchers[POLICY_FIELD_SHA256];
		break;
	case POLICY_KEY_PATH:
	case POLICY_KEY_BASE:
	case POLICY_KEY_TOP:
		m = &r->match.matchers[POLICY_FIELD_PATH];
		break;
	case POLICY_KEY_FACT:
		m = &r->match.matchers[r->key_field];
		break;
	default:
		return 0;
	}
	r->keys = arena_alloc_array(&p->arena, m->n_values, sizeof(char *));
	if (!r->keys)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_values; i++) {
		const char *k = m->values[i].text;
		bool seen = false;

		if (r->key_kind == POLICY_KEY_BASE)
			k = literal_base(k);
		else if (r->key_kind == POLICY_KEY_TOP)
			k = arena_strndup(&p->arena, k + 1, literal_top(k));
		if (!k)
			return -ENOMEM;
		/* "/a/ngrok" and "/b/?/ngrok" are one key. */
		for (size_t j = 0; j < r->n_keys; j++)
			seen |= strcmp(r->keys[j], k) == 0;
		if (!seen)
			r->keys[r->n_keys++] = k;
	}
	return 0;
}

static int glob_hints(struct policy *p, struct policy_clause *c)
{
	static const enum policy_field globbing[] = {
		POLICY_FIELD_PATH,
		POLICY_FIELD_NAME,
		POLICY_FIELD_PARENT_PATH,
		POLICY_FIELD_STDIN_FROM,
	};

	for (size_t j = 0; j < ELEMENTSOF(globbing); j++) {
		const struct policy_matcher *m = &c->matchers[globbing[j]];
		struct policy_glob_hint *h;

		if (!(c->fields & BIT(globbing[j])) || m->exact)
			continue;
		h = arena_alloc_array(&p->arena, m->n_values, sizeof(*h));
		if (!h)
			return -ENOMEM;
		for (size_t i = 0; i < m->n_values; i++) {
			const char *t = m->values[i].text;
			size_t len = strlen(t), suffix = 0;

			while (suffix < len && !strchr("*?[]\\", t[len - 1 - suffix]))
				suffix++;
			/* Patterns are at most PATH_MAX bytes: these fit in 16 bits. */
			h[i].len = (uint16_t)len;
			h[i].prefix = (uint16_t)strcspn(t, "*?[\\");
			h[i].suffix = (uint16_t)suffix;
		}
		c->hints[globbing[j]] = h;
	}
	return 0;
}

static unsigned clause_needs(const struct policy_clause *c)
{
	unsigned needs = 0;

	if (c->fields & BIT(POLICY_FIELD_SHA256))
		needs |= POLICY_NEED_SHA256;
	if (c->fields & BIT(POLICY_FIELD_PARENT_PATH))
		needs |= POLICY_NEED_PARENT;
	if (c->fields & BIT(POLICY_FIELD_ARGS_CONTAINS))
		needs |= POLICY_NEED_ARGS;
	if (c->fields & BIT(POLICY_FIELD_STDIN_FROM))
		needs |= POLICY_NEED_STDIN_WRITER;
	if (c->fields & BIT(POLICY_FIELD_LOCATION))
		needs |= POLICY_NEED_LOCATION;
	if (c->fields & BIT(POLICY_FIELD_STDIO))
		needs |= POLICY_NEED_STDIO;
	for (enum policy_field f = POLICY_FIELD_USER; f <= POLICY_FIELD_GROUP; f++)
		if (c->fields & BIT(f))
			for (size_t k = 0; k < c->matchers[f].n_values; k++)
				if (c->matchers[f].values[k].text)
					needs |= f == POLICY_FIELD_USER ? POLICY_NEED_USER_NAME :
									  POLICY_NEED_GROUP_NAME;
	return needs;
}

/* What the rule looks at, in "match" and in its excepts; which execs it must see, by its key. */
static unsigned rule_needs(const struct policy_rule *r)
{
	unsigned needs = clause_needs(&r->match);

	for (size_t i = 0; i < r->n_excepts; i++)
		needs |= clause_needs(&r->excepts[i]);
	if (r->key_field == _POLICY_FIELD_NONE || r->key_field == POLICY_FIELD_SHA256)
		needs |= POLICY_NEED_EVERY_EXEC;
	return needs;
}

/* Whether r tests sha256 in "match" or in an except. */
static bool rule_tests_sha256(const struct policy_rule *r)
{
	return rule_needs(r) & POLICY_NEED_SHA256;
}

/* The hints of every glob of r, in "match" and its excepts. */
static int rule_glob_hints(struct policy *p, struct policy_rule *r)
{
	int k = glob_hints(p, &r->match);

	for (size_t i = 0; k >= 0 && i < r->n_excepts; i++)
		k = glob_hints(p, &r->excepts[i]);
	return k;
}

int policy_compile(struct policy *p)
{
	size_t n_keys[_POLICY_KEY_MAX] = {};
	int r;

	/* First count, then fill: everything lives in the arena. */
	for (size_t i = 0; i < p->n_rules; i++) {
		struct policy_rule *rule = &p->rules[i];

		if (rule->type != POLICY_RULE_PROCESS || !rule->enabled)
			continue;
		rule->key_kind = choose_key(rule);
		rule->key_field = key_fields[rule->key_kind];
		if (rule->key_kind == POLICY_KEY_FACT)
			rule->key_field = rule->match.fields & BIT(POLICY_FIELD_LOCATION) ?
						  POLICY_FIELD_LOCATION :
						  POLICY_FIELD_STDIO;
		r = rule_keys(p, rule);
		if (r < 0)
			return r;
		r = rule_glob_hints(p, rule);
		if (r < 0)
			return r;
		n_keys[rule->key_kind] += rule->n_keys;
		if (rule->key_kind == POLICY_KEY_NONE || rule->key_kind == POLICY_KEY_FACT)
			p->n_scan++;
		if (rule->effect == POLICY_EFFECT_REQUIRE)
			p->n_requires++;
		if (rule_tests_sha256(rule))
			p->n_sha_rules++;
		p->needs |= rule_needs(rule);
	}
	if (p->settings.exec_audit)
		p->needs |= POLICY_NEED_EVERY_EXEC;

	for (size_t k = 0; k < _POLICY_KEY_MAX; k++) {
		p->index[k].keys =
			arena_alloc_array(&p->arena, n_keys[k] + 1, sizeof(struct policy_key));
		if (!p->index[k].keys)
			return -ENOMEM;
	}
	p->scan = arena_alloc_array(&p->arena, p->n_scan + 1, sizeof(*p->scan));
	p->requires = arena_alloc_array(&p->arena, p->n_requires + 1, sizeof(*p->requires));
	p->sha_rules = arena_alloc_array(&p->arena, p->n_sha_rules + 1, sizeof(*p->sha_rules));
	if (!p->scan || !p->requires || !p->sha_rules)
		return -ENOMEM;
	p->n_scan = p->n_requires = p->n_sha_rules = 0;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct policy_rule *rule = &p->rules[i];
		struct policy_index *idx = &p->index[rule->key_kind];

		if (rule->type != POLICY_RULE_PROCESS || !rule->enabled)
			continue;
		if (rule->key_kind == POLICY_KEY_NONE || rule->key_kind == POLICY_KEY_FACT)
			p->scan[p->n_scan++] = (uint32_t)i;
		for (size_t k = 0; k < rule->n_keys; k++)
			idx->keys[idx->n++] = (struct policy_key){
				.key = rule->keys[k],
				.rule = (uint32_t)i,
			};
		if (rule->effect == POLICY_EFFECT_REQUIRE)
			p->requires[p->n_requires++] = (uint32_t)i;
		if (rule_tests_sha256(rule))
			p->sha_rules[p->n_sha_rules++] = (uint32_t)i;
	}
	for (size_t k = 0; k < _POLICY_KEY_MAX; k++)
		qsort(p->index[k].keys, p->index[k].n, sizeof(struct policy_key), key_cmp);
	return policy_compile_net(p);
}

unsigned policy_needs(const policy *p)
{
	return p->needs;
}

unsigned policy_rule_needs(const policy_rule *r)
{
	if (r->type != POLICY_RULE_PROCESS)
		return 0;
	return rule_needs(r) & ~(unsigned)POLICY_NEED_EVERY_EXEC;
}

enum policy_field policy_rule_key_field(const policy_rule *r)
{
	return r->key_field;
}

size_t policy_rule_key_count(const policy_rule *r)
{
	return r->key_field == _POLICY_FIELD_NONE ? 0 : r->n_keys;
}

const char *policy_rule_key_at(const policy_rule *r, size_t i)
{
	return i < policy_rule_key_count(r) ? r->keys[i] : NULL;
}

/* ---- matching ------------------------------------------------------------------- */

/* A fact and its length, measured once per evaluation. */
struct fact {
	const char *s;
	size_t len;
};

static struct fact fact(const char *s)
{
	return (struct fact){ .s = s, .len = s ? strlen(s) : 0 };
}

struct eval {
	const struct policy_process *proc;
	struct fact path, name, parent, stdin_writer;
};

static struct eval eval_init(const struct policy_process *proc)
{
	const char *name = proc->name;

	if (!name && proc->path)
		name = policy_basename(proc->path);
	return (struct eval){
		.proc = proc,
		.path = fact(proc->path),
		.name = fact(name),
		.parent = fact(proc->parent_path[0]),
		.stdin_writer = fact(proc->stdin_writer),
	};
}

static bool string_matches(const struct policy_value *v, const struct policy_glob_hint *h,
			   struct fact s, int flags)
{
	if (!s.s)
		return false;
	if (!v->glob)
		return strcmp(v->text, s.s) == 0;
	if (h) {
		/* Most patterns differ from most paths within a few bytes: no memcmp() call. */
		if (s.len < (size_t)h->prefix + h->suffix)
			return false;
		for (size_t i = 0; i < h->prefix; i++)
			if (v->text[i] != s.s[i])
				return false;
		for (size_t i = 1; i <= h->suffix; i++)
			if (v->text[h->len - i] != s.s[s.len - i])
				return false;
	}
	return fnmatch(v->text, s.s, flags) == 0;
}

static bool matcher_matches(const struct policy_clause *c, enum policy_field f,
			    const struct eval *e)
{
	const struct policy_matcher *m = &c->matchers[f];
	const struct policy_process *proc = e->proc;

	for (size_t i = 0; i < m->n_values; i++) {
		const struct policy_value *v = &m->values[i];
		const struct policy_glob_hint *h = c->hints[f] ? &c->hints[f][i] : NULL;

		switch (f) {
		case POLICY_FIELD_PATH:
			if (string_matches(v, h, e->path, FNM_PATHNAME))
				return true;
			break;
		case POLICY_FIELD_NAME:
			if (string_matches(v, h, e->name, 0))
				return true;
			break;
		case POLICY_FIELD_SHA256:
			if (proc->sha256 && strcasecmp(v->text, proc->sha256) == 0)
				return true;
			break;
		case POLICY_FIELD_PARENT_PATH:
			if (string_matches(v, h, e->parent, FNM_PATHNAME))
				return true;
			break;
		case POLICY_FIELD_USER:
			if (v->text ? proc->user_name && strcmp(v->text, proc->user_name) == 0 :
				      v->id == proc->uid)
				return true;
			break;
		case POLICY_FIELD_GROUP:
			if (v->text ? proc->group_name && strcmp(v->text, proc->group_name) == 0 :
				      v->id == proc->gid)
				return true;
			break;
		case POLICY_FIELD_ARGS_CONTAINS:
			if (proc->args && strstr(proc->args, v->text))
				return true;
			break;
		case POLICY_FIELD_LOCATION:
			if (proc->location & v->id)
				return true;
			break;
		case POLICY_FIELD_STDIO:
			if (proc->stdio & v->id)
				return true;
			break;
		case POLICY_FIELD_STDIN_FROM:
			if (string_matches(v, h, e->stdin_writer, 0))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* All of c's fields match, but for those in the mask skip. */
static bool clause_matches(const struct policy_clause *c, const struct eval *e, unsigned skip)
{
	unsigned todo = c->fields & ~skip;

	while (todo) {
		enum policy_field f = (enum policy_field)__builtin_ctz(todo);

		if (!matcher_matches(c, f, e))
			return false;
		todo &= todo - 1;
	}
	return true;
}

/*
 * "match" holds and no except does.  An unknown fact matches nothing, so an
 * except that needs one (a parent not known, a hash not computed) does not
 * leave the process out: the rule errs towards reporting.
 */
static bool rule_matches(const struct policy_rule *r, const struct eval *e)
{
	if (r->type != POLICY_RULE_PROCESS || !r->match.fields || !clause_matches(&r->match, e, 0))
		return false;
	for (size_t i = 0; i < r->n_excepts; i++)
		if (clause_matches(&r->excepts[i], e, 0))
			return false;
	return true;
}

bool policy_rule_matches(const policy_rule *r, const struct policy_process *proc)
{
	struct eval e = eval_init(proc);

	return rule_matches(r, &e);
}

/* The entries of an index for key, a range in which rule numbers ascend. */
static const struct policy_key *index_find(const struct policy_index *idx, const char *key,
					   size_t *ret_n)
{
	size_t lo = 0, hi = idx->n, end;

	*ret_n = 0;
	if (!key || idx->n == 0)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(idx->keys[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < idx->n && strcmp(idx->keys[end].key, key) == 0; end++)
		;
	*ret_n = end - lo;
	return idx->keys + lo;
}

/* The first directory of path as a key ("usr" of "/usr/bin/x"), in buf. */
static const char *path_top(const char *path, char *buf, size_t size)
{
	size_t n;

	if (!path || path[0] != '/')
		return NULL;
	n = strcspn(path + 1, "/");
	if (path[1 + n] != '/' || n >= size)
		return NULL;
	memcpy(buf, path + 1, n);
	buf[n] = '\0';
	return buf;
}

/*
 * Merges the candidates of the indexes and the scan list, each in ascending
 * rule order, so that matches come out in file order.  A rule sits in one of
 * them only, and under a key at most once, so none is seen twice.
 */
static size_t eval_effect(const policy *p, const struct policy_process *proc,
			  enum policy_effect effect, struct policy_match *matches, size_t n_matches)
{
	struct eval e = eval_init(proc);
	char sha[POLICY_SHA256_HEX_LEN + 1], top[256];
	const char *keys[_POLICY_KEY_MAX] = {};
	const struct policy_key *k[_POLICY_KEY_MAX] = {};
	size_t nk[_POLICY_KEY_MAX] = {}, ik[_POLICY_KEY_MAX] = {}, is = 0, found = 0;

	keys[POLICY_KEY_PATH] = proc->path;
	keys[POLICY_KEY_NAME] = e.name.s;
	keys[POLICY_KEY_BASE] = proc->path ? policy_basename(proc->path) : NULL;
	keys[POLICY_KEY_TOP] = path_top(proc->path, top, sizeof(top));
	/* The index holds digests in lower case. */
	if (proc->sha256 && strlen(proc->sha256) == POLICY_SHA256_HEX_LEN) {
		for (size_t i = 0; i <= POLICY_SHA256_HEX_LEN; i++) {
			char c = proc->sha256[i];

			sha[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
		}
		keys[POLICY_KEY_SHA256] = sha;
	}
	for (size_t j = 1; j < _POLICY_KEY_MAX; j++)
		k[j] = index_find(&p->index[j], keys[j], &nk[j]);

	for (;;) {
		uint32_t next = UINT32_MAX;
		size_t from = 0; /* POLICY_KEY_NONE: the scan list */
		const struct policy_rule *r;

		for (size_t j = 1; j < _POLICY_KEY_MAX; j++)
			if (ik[j] < nk[j] && k[j][ik[j]].rule < next) {
				next = k[j][ik[j]].rule;
				from = j;
			}
		if (is < p->n_scan && p->scan[is] < next) {
			next = p->scan[is];
			from = 0;
		}
		if (next == UINT32_MAX)
			break;
		if (from == 0)
			is++;
		else
			ik[from]++;

		r = &p->rules[next];
		if (r->effect != effect || !rule_matches(r, &e))
			continue;
		if (found < n_matches)
			matches[found] = (struct policy_match){ .rule = r, .mode = r->mode };
		found++;
	}
	return found;
}

size_t policy_eval(const policy *p, const struct policy_process *proc, struct policy_match *matches,
		   size_t n_matches)
{
	return eval_effect(p, proc, POLICY_EFFECT_DENY, matches, n_matches);
}

size_t policy_eval_require(const policy *p, const struct policy_process *proc,
			   struct policy_match *matches, size_t n_matches)
{
	return eval_effect(p, proc, POLICY_EFFECT_REQUIRE, matches, n_matches);
}

bool policy_needs_sha256_for(const policy *p, const struct policy_process *proc)
{
	struct eval e = eval_init(proc);

	for (size_t i = 0; i < p->n_sha_rules; i++) {
		const struct policy_rule *r = &p->rules[p->sha_rules[i]];

		if (!clause_matches(&r->match, &e, BIT(POLICY_FIELD_SHA256)))
			continue;
		if (r->match.fields & BIT(POLICY_FIELD_SHA256))
			return true;
		/* "match" holds whatever the digest: it decides only if an except tests it. */
		for (size_t k = 0; k < r->n_excepts; k++)
			if ((r->excepts[k].fields & BIT(POLICY_FIELD_SHA256)) &&
			    clause_matches(&r->excepts[k], &e, BIT(POLICY_FIELD_SHA256)))
				return true;
	}
	return false;
}
