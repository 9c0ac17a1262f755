// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ruleset is {"nftables": [{"metainfo": {...}}, {"table": {...}},
 * {"chain": {...}}, {"rule": {"family", "table", "chain", "handle",
 * "expr": [{"match": ...}, {"counter": ...}, {"accept": null}]}}, ...]}.
 * The event parser sees it as a stream; a stack of frames says, for each
 * open object or array, what it is in that shape (the "role"), and values
 * anywhere else are stepped over.  Every string kept is bounded, every
 * count too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "nft_ruleset.h"

#define DEPTH_MAX     64
#define KEY_MAX	      64 /* longer keys are none the parser looks for */
#define STEPS_MAX     64 /* unconditional verdict rules kept per chain */
#define FOLLOW_MAX    16 /* jumps followed from a base chain */
#define SHORT_STR_MAX 16 /* family, type, hook, policy */

enum role {
	R_OTHER,
	R_TOP, /* the document */
	R_ENTRIES, /* "nftables": [...] */
	R_ENTRY, /* {"chain": {...}} */
	R_OBJECT, /* the {...} of a table, chain or rule */
	R_EXPR, /* a rule's "expr": [...] */
	R_STMT, /* {"accept": null} */
	R_STMT_ARG, /* {"target": "x"} of a jump or goto */
};

enum kind { K_OTHER, K_TABLE, K_CHAIN, K_RULE };

enum verdict { V_NONE, V_ACCEPT, V_DROP, V_REJECT, V_QUEUE, V_RETURN, V_CONTINUE, V_JUMP, V_GOTO };

static const char *const verdict_names[] = {
	[V_NONE] = "",
	[V_ACCEPT] = "accept",
	[V_DROP] = "drop",
	[V_REJECT] = "reject",
	[V_QUEUE] = "queue",
	[V_RETURN] = "return",
	[V_CONTINUE] = "continue",
	[V_JUMP] = "jump",
	[V_GOTO] = "goto",
};

struct step {
	enum verdict verdict;
	char *target; /* jump and goto */
	unsigned rule_no; /* 1-based position in the chain */
	long long handle;
};

struct chain {
	char *family, *table, *name;
	bool declared, base;
	char type[SHORT_STR_MAX], hook[SHORT_STR_MAX], policy[SHORT_STR_MAX];
	long long prio;
	unsigned n_rules;
	struct step *steps;
	unsigned n_steps;
	bool closed; /* a final unconditional verdict was kept: later rules never run */
	bool overflow; /* more than STEPS_MAX: the chain cannot be followed */
};

struct nft_ruleset {
	struct chain *chains;
	size_t n_chains, cap_chains;
	char **tables;
	size_t n_tables, cap_tables;
	size_t n_rules;
};

struct frame {
	enum role role;
	char key[KEY_MAX + 1]; /* the last key of an object; "" when too long */
};

/* The table, chain or rule being read. */
struct object {
	enum kind kind;
	char family[SHORT_STR_MAX], type[SHORT_STR_MAX], hook[SHORT_STR_MAX], policy[SHORT_STR_MAX];
	char table[NFT_RULESET_NAME_MAX + 1], name[NFT_RULESET_NAME_MAX + 1],
		chain[NFT_RULESET_NAME_MAX + 1];
	long long prio, handle;
	/* rules */
	bool conditional;
	enum verdict verdict;
	char target[NFT_RULESET_NAME_MAX + 1];
};

struct parser {
	const char *text;
	size_t size;
	yajl_handle handle;
	struct nft_ruleset *rs;
	struct frame stack[DEPTH_MAX];
	unsigned depth;
	bool seen_entries;
	struct object obj;
	int error; /* set by a callback that stopped the parse */
	char *err;
	size_t err_size;
};

/* ---- the ruleset ------------------------------------------------------------- */

struct nft_ruleset *nft_ruleset_free(struct nft_ruleset *rs)
{
	if (!rs)
		return NULL;
	for (size_t i = 0; i < rs->n_chains; i++) {
		struct chain *c = &rs->chains[i];

		for (unsigned j = 0; j < c->n_steps; j++)
			free(c->steps[j].target);
		free(c->steps);
		free(c->family);
		free(c->table);
		free(c->name);
	}
	free(rs->chains);
	for (size_t i = 0; i < rs->n_tables; i++)
		free(rs->tables[i]);
	free(rs->tables);
	free(rs);
	return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ruleset *, nft_ruleset_free);

static struct chain *chain_find(const struct nft_ruleset *rs, const char *family, const char *table,
				const char *name)
{
	/* Rules follow their chain: search from the end. */
	for (size_t i = rs->n_chains; i-- > 0;) {
		struct chain *c = &rs->chains[i];

		if (strcmp(c->name, name) == 0 && strcmp(c->table, table) == 0 &&
		    strcmp(c->family, family) == 0)
			return c;
	}
	return NULL;
}

/* The chain, added (undeclared) when it is not there yet.  -E2BIG, -ENOMEM. */
static int chain_get(struct nft_ruleset *rs, const char *family, const char *table,
		     const char *name, struct chain **ret)
{
	struct chain *c = chain_find(rs, family, table, name);

	if (c) {
		*ret = c;
		return 0;
	}
	if (rs->n_chains >= NFT_RULESET_CHAINS_MAX)
		return -E2BIG;
	if (rs->n_chains == rs->cap_chains) {
		size_t cap = rs->cap_chains ? rs->cap_chains * 2 : 16;
		struct chain *n = reallocarray(rs->chains, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->chains = n;
		rs->cap_chains = cap;
	}
	c = &rs->chains[rs->n_chains];
	*c = (struct chain){};
	c->family = strdup(family);
	c->table = strdup(table);
	c->name = strdup(name);
	if (!c->family || !c->table || !c->name) {
		free(c->family);
		free(c->table);
		free(c->name);
		return -ENOMEM;
	}
	rs->n_chains++;
	*ret = c;
	return 0;
}

static int table_add(struct nft_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_tables; i++)
		if (strcmp(rs->tables[i], name) == 0)
			return 0;
	if (rs->n_tables >= NFT_RULESET_CHAINS_MAX)
		return -E2BIG;
	if (rs->n_tables == rs->cap_tables) {
		size_t cap = rs->cap_tables ? rs->cap_tables * 2 : 8;
		char **n = reallocarray(rs->tables, cap, sizeof(*n));

		if (!n)
			return -ENOMEM;
		rs->tables = n;
		rs->cap_tables = cap;
	}
	rs->tables[rs->n_tables] = strdup(name);
	if (!rs->tables[rs->n_tables])
		return -ENOMEM;
	rs->n_tables++;
	return 0;
}

size_t nft_ruleset_n_chains(const struct nft_ruleset *rs)
{
	return rs->n_chains;
}

size_t nft_ruleset_n_rules(const struct nft_ruleset *rs)
{
	return rs->n_rules;
}

bool nft_ruleset_has_table(const struct nft_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_tables; i++)
		if (strcmp(rs->tables[i], name) == 0)
			return true;
	return false;
}

const char *nft_ruleset_chain_with_prefix(const struct nft_ruleset *rs, const char *prefix)
{
	size_t len = strlen(prefix);

	for (size_t i = 0; i < rs->n_chains; i++)
		if (strncmp(rs->chains[i].name, prefix, len) == 0)
			return rs->chains[i].name;
	return NULL;
}

/* ---- the parser ---------------------------------------------------------------- */

/* The line and column of byte off, counting UTF-8 characters. */
static void position(const struct parser *p, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < p->size; i++) {
		unsigned char c = (unsigned char)p->text[i];

		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int stop(struct parser *p, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stops the parse from a callback with error and a reason placed at the current token. */
static int stop(struct parser *p, int error, const char *fmt, ...)
{
	char msg[160];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	position(p, yajl_get_bytes_consumed(p->handle), &line, &col);
	snprintf(p->err, p->err_size, "line %u, column %u: %s", line, col, msg);
	p->error = error;
	return 0;
}

static struct frame *top(struct parser *p)
{
	return p->depth ? &p->stack[p->depth - 1] : NULL;
}

static enum kind kind_of(const char *key)
{
	if (strcmp(key, "table") == 0)
		return K_TABLE;
	if (strcmp(key, "chain") == 0)
		return K_CHAIN;
	if (strcmp(key, "rule") == 0)
		return K_RULE;
	return K_OTHER;
}

/* A statement of a rule, by its key: a verdict, neutral, or a condition. */
static void statement(struct object *o, const char *key)
{
	static const char *const neutral[] = { "counter", "log", "mangle", "notrack" };

	for (size_t v = V_ACCEPT; v < ELEMENTSOF(verdict_names); v++)
		if (strcmp(key, verdict_names[v]) == 0) {
			if (o->verdict == V_NONE)
				o->verdict = (enum verdict)v;
			return;
		}
	for (size_t i = 0; i < ELEMENTSOF(neutral); i++)
		if (strcmp(key, neutral[i]) == 0)
			return;
	/* match, limit, quota, xt, vmap...: only some packets get past it. */
	o->conditional = true;
}

/* The role of a container opened in the current frame (NULL: the document). */
static enum role child_role(struct parser *p, bool is_map)
{
	struct frame *f = top(p);

	if (!f)
		return is_map ? R_TOP : R_OTHER;
	switch (f->role) {
	case R_TOP:
		return !is_map && strcmp(f->key, "nftables") == 0 ? R_ENTRIES : R_OTHER;
	case R_ENTRIES:
		return is_map ? R_ENTRY : R_OTHER;
	case R_ENTRY:
		if (!is_map)
			return R_OTHER;
		p->obj = (struct object){ .kind = kind_of(f->key), .handle = -1 };
		return R_OBJECT;
	case R_OBJECT:
		return !is_map && p->obj.kind == K_RULE && strcmp(f->key, "expr") == 0 ? R_EXPR :
											 R_OTHER;
	case R_EXPR:
		return is_map ? R_STMT : R_OTHER;
	case R_STMT:
		return is_map && (strcmp(f->key, "jump") == 0 || strcmp(f->key, "goto") == 0) ?
			       R_STMT_ARG :
			       R_OTHER;
	default:
		return R_OTHER;
	}
}

static int open_container(struct parser *p, bool is_map)
{
	enum role role = child_role(p, is_map);

	if (p->depth >= DEPTH_MAX)
		return stop(p, -E2BIG, "objects and arrays nested deeper than %d levels",
			    DEPTH_MAX);
	if (role == R_ENTRIES)
		p->seen_entries = true;
	p->stack[p->depth++] = (struct frame){ .role = role };
	return 1;
}

static int copy_field(struct parser *p, char *dst, size_t size, const unsigned char *s, size_t len,
		      const char *what)
{
	if (len >= size)
		return stop(p, -EINVAL, "the %s is longer than %zu bytes", what, size - 1);
	if (memchr(s, '\0', len))
		return stop(p, -EINVAL, "the %s holds the character \\u0000", what);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 1;
}

/* A string value in the current frame. */
static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct parser *p = ctx;
	struct frame *f = top(p);
	struct object *o = &p->obj;

	if (!f)
		return stop(p, -EINVAL, "the ruleset is a string, not an object");
	if (f->role == R_STMT_ARG && strcmp(f->key, "target") == 0)
		return copy_field(p, o->target, sizeof(o->target), s, len, "jump target");
	if (f->role != R_OBJECT)
		return 1;
	if (strcmp(f->key, "family") == 0)
		return copy_field(p, o->family, sizeof(o->family), s, len, "family");
	if (strcmp(f->key, "table") == 0)
		return copy_field(p, o->table, sizeof(o->table), s, len, "table name");
	if (strcmp(f->key, "name") == 0)
		return copy_field(p, o->name, sizeof(o->name), s, len, "name");
	if (strcmp(f->key, "chain") == 0)
		return copy_field(p, o->chain, sizeof(o->chain), s, len, "chain name");
	/* Longer values are none that count ("filter", "input", "drop"): cut them. */
	if (strcmp(f->key, "type") == 0)
		snprintf(o->type, sizeof(o->type), "%.*s", (int)MIN(len, 15u), (const char *)s);
	else if (strcmp(f->key, "hook") == 0)
		snprintf(o->hook, sizeof(o->hook), "%.*s", (int)MIN(len, 15u), (const char *)s);
	else if (strcmp(f->key, "policy") == 0)
		snprintf(o->policy, sizeof(o->policy), "%.*s", (int)MIN(len, 15u), (const char *)s);
	return 1;
}

static int on_integer(void *ctx, long long v)
{
	struct parser *p = ctx;
	struct frame *f = top(p);

	if (!f)
		return stop(p, -EINVAL, "the ruleset is a number, not an object");
	if (f->role == R_OBJECT && strcmp(f->key, "prio") == 0)
		p->obj.prio = v;
	else if (f->role == R_OBJECT && strcmp(f->key, "handle") == 0)
		p->obj.handle = v;
	return 1;
}

static int on_scalar(struct parser *p)
{
	if (!top(p))
		return stop(p, -EINVAL, "the ruleset is not an object");
	return 1;
}

static int on_null(void *ctx)
{
	return on_scalar(ctx);
}

static int on_boolean(void *ctx, int b)
{
	return on_scalar(ctx);
}

static int on_double(void *ctx, double d)
{
	return on_scalar(ctx);
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, true);
}

static int on_start_array(void *ctx)
{
	struct parser *p = ctx;

	if (!top(p))
		return stop(p, -EINVAL, "the ruleset is an array, not an object");
	return open_container(p, false);
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct parser *p = ctx;
	struct frame *f = top(p);

	if (len > KEY_MAX || memchr(key, '\0', len)) {
		f->key[0] = '\0';
		return 1;
	}
	memcpy(f->key, key, len);
	f->key[len] = '\0';
	if (f->role == R_STMT)
		statement(&p->obj, f->key);
	return 1;
}

static int end_rule(struct parser *p)
{
	struct object *o = &p->obj;
	struct chain *c;
	int r;

	if (!*o->family || !*o->table || !*o->chain)
		return stop(p, -EINVAL, "a rule without its family, table or chain");
	r = chain_get(p->rs, o->family, o->table, o->chain, &c);
	if (r < 0)
		return stop(p, r, r == -E2BIG ? "more than %d chains" : "out of memory (%d chains)",
			    NFT_RULESET_CHAINS_MAX);
	p->rs->n_rules++;
	c->n_rules++;
	if (o->conditional || o->verdict == V_NONE || c->closed)
		return 1;
	if ((o->verdict == V_JUMP || o->verdict == V_GOTO) && !*o->target)
		return stop(p, -EINVAL, "a %s without a target", verdict_names[o->verdict]);
	if (c->n_steps >= STEPS_MAX) {
		c->overflow = true;
		return 1;
	}
	if (!c->steps) {
		c->steps = calloc(STEPS_MAX, sizeof(*c->steps));
		if (!c->steps)
			return stop(p, -ENOMEM, "out of memory");
	}
	c->steps[c->n_steps] = (struct step){
		.verdict = o->verdict,
		.rule_no = c->n_rules,
		.handle = o->handle,
	};
	if (*o->target && !(c->steps[c->n_steps].target = strdup(o->target)))
		return stop(p, -ENOMEM, "out of memory");
	c->n_steps++;
	c->closed = o->verdict != V_JUMP && o->verdict != V_CONTINUE;
	return 1;
}

static int end_object(struct parser *p)
{
	struct object *o = &p->obj;
	struct chain *c;
	int r;

	switch (o->kind) {
	case K_TABLE:
		if (!*o->name)
			return stop(p, -EINVAL, "a table without a name");
		r = table_add(p->rs, o->name);
		if (r < 0)
			return stop(p, r, "more than %d tables, or out of memory",
				    NFT_RULESET_CHAINS_MAX);
		return 1;
	case K_CHAIN:
		if (!*o->family || !*o->table || !*o->name)
			return stop(p, -EINVAL, "a chain without its family, table or name");
		r = chain_get(p->rs, o->family, o->table, o->name, &c);
		if (r < 0)
			return stop(p, r, "more than %d chains, or out of memory",
				    NFT_RULESET_CHAINS_MAX);
		if (c->declared)
			return 1;
		c->declared = true;
		c->base = *o->hook;
		memcpy(c->type, o->type, sizeof(c->type));
		memcpy(c->hook, o->hook, sizeof(c->hook));
		memcpy(c->policy, o->policy, sizeof(c->policy));
		c->prio = o->prio;
		return 1;
	case K_RULE:
		return end_rule(p);
	case K_OTHER:
		return 1;
	}
	return 1;
}

static int on_end_container(void *ctx)
{
	struct parser *p = ctx;
	struct frame *f = top(p);

	p->depth--;
	return f->role == R_OBJECT ? end_object(p) : 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_integer = on_integer,
	.yajl_double = on_double,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_container,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_container,
};

/* yajl's message without its "parse error: " and the newline. */
static void yajl_reason(struct parser *p, size_t off)
{
	unsigned char *e = yajl_get_error(p->handle, 0, (const unsigned char *)p->text, p->size);
	const char *msg = e ? (const char *)e : "not JSON";
	unsigned line, col;

	if (strncmp(msg, "parse error: ", 13) == 0)
		msg += 13;
	position(p, off, &line, &col);
	snprintf(p->err, p->err_size, "line %u, column %u: %.*s", line, col,
		 (int)strcspn(msg, "\n"), msg);
	if (e)
		yajl_free_error(p->handle, e);
}

int nft_ruleset_parse(const char *text, size_t size, struct nft_ruleset **ret, char *err,
		      size_t err_size)
{
	_cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = NULL;
	_cleanup_(yajl_freep) yajl_handle h = NULL;
	struct parser *p;
	yajl_status st;
	size_t off;
	int r = 0;

	if (size > NFT_RULESET_SIZE_MAX) {
		snprintf(err, err_size, "%zu bytes, more than the %d accepted", size,
			 NFT_RULESET_SIZE_MAX);
		return -E2BIG;
	}
	rs = calloc(1, sizeof(*rs));
	p = calloc(1, sizeof(*p));
	if (!rs || !p) {
		free(p);
		return -ENOMEM;
	}
	*p = (struct parser){
		.text = text, .size = size, .rs = rs, .err = err, .err_size = err_size
	};
	h = yajl_alloc(&callbacks, NULL, p);
	if (!h) {
		free(p);
		return -ENOMEM;
	}
	p->handle = h;
	st = yajl_parse(h, (const unsigned char *)text, size);
	/* Consumed ends just past the byte yajl stopped at: name that byte. */
	off = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		off = size; /* the text ended too early */
	}
	if (st == yajl_status_client_canceled) {
		r = p->error;
	} else if (st != yajl_status_ok) {
		yajl_reason(p, off > 0 ? off - 1 : 0);
		r = -EINVAL;
	} else if (!p->seen_entries) {
		snprintf(err, err_size, "no \"nftables\" array: not a ruleset");
		r = -EINVAL;
	}
	free(p);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(rs);
	return 0;
}

/* ---- what happens to a packet -------------------------------------------------- */

struct decision {
	enum nft_fate fate;
	bool fell_through; /* no unconditional verdict ended it: the base chain's policy decides */
	const struct chain *chain; /* where the decisive rule is */
	const struct step *step;
};

/* Follows chain c's unconditional verdicts; d->fell_through when it ends without one. */
static void follow(const struct nft_ruleset *rs, const struct chain *c, unsigned depth,
		   struct decision *d)
{
	*d = (struct decision){ .fate = NFT_FATE_UNKNOWN, .chain = c };
	if (depth > FOLLOW_MAX || c->overflow)
		return;
	for (unsigned i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		const struct chain *t;

		d->chain = c;
		d->step = s;
		switch (s->verdict) {
		case V_ACCEPT:
			d->fate = NFT_FATE_ACCEPT;
			return;
		case V_DROP:
		case V_REJECT:
			d->fate = NFT_FATE_DROP;
			return;
		case V_QUEUE:
			d->fate = NFT_FATE_OTHER;
			return;
		case V_RETURN:
			d->fell_through = true;
			return;
		case V_CONTINUE:
		case V_NONE:
			continue;
		case V_JUMP:
		case V_GOTO:
			t = chain_find(rs, c->family, c->table, s->target);
			if (!t) {
				d->fate = NFT_FATE_UNKNOWN;
				return;
			}
			follow(rs, t, depth + 1, d);
			if (!d->fell_through)
				return;
			if (s->verdict == V_GOTO)
				return; /* back to whoever called c: fell through */
			d->fell_through = false;
			continue;
		}
	}
	d->fell_through = true;
	d->step = NULL;
}

int nft_ruleset_input_chain(const struct nft_ruleset *rs, size_t i, struct nft_input_chain *ret)
{
	for (size_t k = 0; k < rs->n_chains; k++) {
		const struct chain *c = &rs->chains[k];
		struct decision d;

		if (!c->base || strcmp(c->type, "filter") != 0 || strcmp(c->hook, "input") != 0 ||
		    !(strcmp(c->family, "ip") == 0 || strcmp(c->family, "ip6") == 0 ||
		      strcmp(c->family, "inet") == 0))
			continue;
		if (i-- > 0)
			continue;
		*ret = (struct nft_input_chain){
			.family = c->family,
			.table = c->table,
			.name = c->name,
			.prio = c->prio,
			.policy = *c->policy ? c->policy : "accept",
			.n_rules = c->n_rules,
		};
		follow(rs, c, 0, &d);
		if (d.fell_through) {
			ret->fate = strcmp(ret->policy, "drop") == 0 ? NFT_FATE_DROP :
								       NFT_FATE_ACCEPT;
			snprintf(ret->why, sizeof(ret->why), "policy %s, %s", ret->policy,
				 c->n_rules ? "no rule without conditions ends the chain" :
					      "no rules");
		} else if (d.fate == NFT_FATE_UNKNOWN) {
			ret->fate = NFT_FATE_UNKNOWN;
			snprintf(ret->why, sizeof(ret->why),
				 "a jump to a chain that is missing, too deep or too long (from "
				 "chain %.64s)",
				 d.chain->name);
		} else {
			ret->fate = d.fate;
			snprintf(ret->why, sizeof(ret->why),
				 "rule %u of chain %.64s has no conditions and says %s",
				 d.step->rule_no, d.chain->name, verdict_names[d.step->verdict]);
		}
		return 0;
	}
	return -ENOENT;
}
