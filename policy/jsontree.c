// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * yajl's event parser reports no positions, but yajl_get_bytes_consumed()
 * gives, inside a callback, the offset just past the token being reported.
 * The whole text is parsed as one chunk, so that offset is absolute: from it
 * we find where the token starts and turn that into a line and column.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "jsontree.h"
#include "basic/cleanup.h"
#include "policy.h"

#define JSONTREE_NODES_MAX   (256 * 1024)
#define JSONTREE_ENTRIES_MAX POLICY_RULES_MAX
#define JSONTREE_KEY_MAX     256

struct frame {
	struct jnode *node;
	size_t first; /* its first child in pending */
	const char *key; /* its key in the parent object, or NULL */
	size_t index; /* its index in the parent array */
};

struct builder {
	const char *text;
	size_t size;
	yajl_handle handle;
	struct arena *arena;
	bool completing; /* inside yajl_complete_parse(): offsets are not into text */

	/* Where the last position was computed, so each costs only the bytes since. */
	size_t cur_off;
	unsigned cur_line, cur_col;

	struct frame stack[POLICY_DEPTH_MAX];
	unsigned depth;
	struct jmember *pending; /* children of the open containers, innermost last */
	size_t n_pending, cap_pending;

	size_t last_end; /* just past the last token a callback saw */

	const char *key; /* an object key waiting for its value */
	unsigned key_line, key_col;

	size_t n_nodes;
	struct jnode *root;
	int error; /* why a callback stopped the parse */
	struct jsontree_error *err;
};

static void position(struct builder *b, size_t off, unsigned *ret_line, unsigned *ret_col)
{
	if (off > b->size)
		off = b->size;
	if (off < b->cur_off) {
		b->cur_off = 0;
		b->cur_line = 1;
		b->cur_col = 1;
	}
	for (; b->cur_off < off; b->cur_off++) {
		unsigned char c = (unsigned char)b->text[b->cur_off];

		if (c == '\n') {
			b->cur_line++;
			b->cur_col = 1;
		} else if ((c & 0xc0) != 0x80) {
			/* Count characters, not the continuation bytes of UTF-8. */
			b->cur_col++;
		}
	}
	*ret_line = b->cur_line;
	*ret_col = b->cur_col;
}

static bool is_word_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '+' || c == '-';
}

/* Where the token ending just before `end` starts: a string, a number or literal, or one char. */
static size_t token_start(struct builder *b, size_t end)
{
	size_t p;

	if (end == 0)
		return 0;
	if (end > b->size)
		return b->size;
	p = end - 1;
	if (b->text[p] == '"') {
		/* The opening quote is the first one back not escaped by an odd run of '\'. */
		while (p > 0) {
			size_t bs = 0;

			p--;
			if (b->text[p] != '"')
				continue;
			while (bs < p && b->text[p - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0)
				return p;
		}
		return 0;
	}
	if (is_word_char(b->text[p]))
		while (p > 0 && is_word_char(b->text[p - 1]))
			p--;
	return p;
}

/* Where yajl is, just past the token it reports; remembered for syntax errors. */
static size_t consumed(struct builder *b)
{
	if (b->completing)
		return b->size;
	b->last_end = yajl_get_bytes_consumed(b->handle);
	return b->last_end;
}

static int fail(struct builder *b, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void jsontree_pointer_append(char *buf, size_t size, size_t *len, const char *segment)
{
	size_t n = *len;

	if (size < 8 || n + 4 >= size)
		return;
	buf[n++] = '/';
	for (const unsigned char *p = (const unsigned char *)segment; *p; p++) {
		char esc[8];
		size_t e;

		if (*p == '~')
			strcpy(esc, "~0");
		else if (*p == '/')
			strcpy(esc, "~1");
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			snprintf(esc, sizeof(esc), "%c", *p);
		e = strlen(esc);
		if (n + e + 4 >= size) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(buf + n, esc, e);
		n += e;
	}
	buf[n] = '\0';
	*len = n;
}

void jsontree_pointer_append_index(char *buf, size_t size, size_t *len, size_t index)
{
	char s[24];

	snprintf(s, sizeof(s), "%zu", index);
	jsontree_pointer_append(buf, size, len, s);
}

/* The pointer of where the parser is: the open containers, and the key or index inside. */
static void builder_pointer(struct builder *b, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 1; i < b->depth; i++) {
		if (b->stack[i].key)
			jsontree_pointer_append(buf, size, &len, b->stack[i].key);
		else
			jsontree_pointer_append_index(buf, size, &len, b->stack[i].index);
	}
	if (b->depth > 0 && b->key)
		jsontree_pointer_append(buf, size, &len, b->key);
}

static int fail(struct builder *b, size_t off, const char *fmt, ...)
{
	va_list ap;

	builder_pointer(b, b->err->pointer, sizeof(b->err->pointer));
	position(b, off, &b->err->line, &b->err->column);
	va_start(ap, fmt);
	vsnprintf(b->err->message, sizeof(b->err->message), fmt, ap);
	va_end(ap);
	b->error = -EINVAL;
	return 0; /* stops yajl */
}

static int oom(struct builder *b)
{
	b->error = -ENOMEM;
	return 0;
}

static struct jnode *node_new(struct builder *b, enum jtype type, size_t start)
{
	struct jnode *n;

	if (b->n_nodes >= JSONTREE_NODES_MAX) {
		fail(b, start, "the policy has more than %d values", JSONTREE_NODES_MAX);
		return NULL;
	}
	n = arena_alloc(b->arena, sizeof(*n));
	if (!n) {
		oom(b);
		return NULL;
	}
	b->n_nodes++;
	n->type = type;
	position(b, start, &n->line, &n->column);
	return n;
}

/* Hands n to the innermost open container, or makes it the root.  Returns 1, or 0 to stop. */
static int attach(struct builder *b, struct jnode *n)
{
	struct frame *f;

	if (!n)
		return 0;
	if (b->depth == 0) {
		b->root = n;
		return 1;
	}
	f = &b->stack[b->depth - 1];
	if (b->n_pending - f->first >= JSONTREE_ENTRIES_MAX)
		return fail(b, token_start(b, consumed(b)), "more than %d entries in one %s",
			    JSONTREE_ENTRIES_MAX,
			    f->node->type == JSON_OBJECT ? "object" : "array");
	if (b->n_pending == b->cap_pending) {
		size_t cap = b->cap_pending ? b->cap_pending * 2 : 64;
		struct jmember *p = reallocarray(b->pending, cap, sizeof(*p));

		if (!p)
			return oom(b);
		b->pending = p;
		b->cap_pending = cap;
	}
	b->pending[b->n_pending++] = (struct jmember){
		.key = b->key,
		.line = b->key_line,
		.column = b->key_col,
		.value = n,
	};
	b->key = NULL;
	return 1;
}

static int on_null(void *ctx)
{
	struct builder *b = ctx;

	return attach(b, node_new(b, JSON_NULL, token_start(b, consumed(b))));
}

static int on_boolean(void *ctx, int value)
{
	struct builder *b = ctx;
	struct jnode *n = node_new(b, JSON_BOOL, token_start(b, consumed(b)));

	if (n)
		n->boolean = value;
	return attach(b, n);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	struct builder *b = ctx;
	/* A number ending the text is only seen by yajl_complete_parse(). */
	size_t start = b->completing ? b->size - len : token_start(b, consumed(b));
	char buf[64];
	struct jnode *n;

	if (len >= sizeof(buf))
		return fail(b, start, "a number longer than %zu characters", sizeof(buf) - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (strpbrk(buf, ".eE")) {
		n = node_new(b, JSON_REAL, start);
		if (n)
			n->real = strtod(buf, NULL);
	} else {
		n = node_new(b, JSON_INTEGER, start);
		if (n) {
			errno = 0;
			n->integer.value = strtoll(buf, NULL, 10);
			n->integer.overflow = errno == ERANGE;
		}
	}
	return attach(b, n);
}

static int check_string(struct builder *b, const unsigned char *s, size_t len, size_t max,
			size_t start)
{
	if (len > max)
		return fail(b, start, "a %s longer than %zu bytes",
			    max == JSONTREE_KEY_MAX ? "field name" : "string", max);
	if (memchr(s, '\0', len))
		return fail(b, start, "a string holds the character \\u0000, which is not allowed");
	return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	size_t start = token_start(b, consumed(b));
	struct jnode *n;

	if (!check_string(b, s, len, POLICY_STRING_MAX, start))
		return 0;
	n = node_new(b, JSON_STRING, start);
	if (!n)
		return 0;
	n->string.str = arena_strndup(b->arena, (const char *)s, len);
	if (!n->string.str)
		return oom(b);
	n->string.len = len;
	return attach(b, n);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	size_t start = token_start(b, consumed(b));

	if (!check_string(b, s, len, JSONTREE_KEY_MAX, start))
		return 0;
	b->key = arena_strndup(b->arena, (const char *)s, len);
	if (!b->key)
		return oom(b);
	position(b, start, &b->key_line, &b->key_col);
	return 1;
}

static int close_container(struct builder *b);

static int on_end(void *ctx)
{
	struct builder *b = ctx;

	consumed(b);
	return close_container(b);
}

static int open_container(struct builder *b, enum jtype type)
{
	size_t start = consumed(b) - 1;
	size_t index = b->depth > 0 ? b->n_pending - b->stack[b->depth - 1].first : 0;
	const char *key = b->key;
	struct jnode *n;

	if (b->depth >= POLICY_DEPTH_MAX)
		return fail(b, start, "objects and arrays nested deeper than %d levels",
			    POLICY_DEPTH_MAX);
	n = node_new(b, type, start);
	if (!attach(b, n))
		return 0;
	b->stack[b->depth++] = (struct frame){
		.node = n,
		.first = b->n_pending,
		.key = key,
		.index = index,
	};
	return 1;
}

static int close_container(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	size_t n = b->n_pending - f->first;

	if (n > 0) {
		struct jmember *m = arena_alloc_array(b->arena, n, sizeof(*m));

		if (!m)
			return oom(b);
		memcpy(m, b->pending + f->first, n * sizeof(*m));
		f->node->children.members = m;
	}
	f->node->children.n = n;
	b->n_pending = f->first;
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, JSON_ARRAY);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* yajl's terse messages, said the way the rest of our errors are. */
static const struct {
	const char *yajl;
	const char *ours;
} syntax_messages[] = {
	{ "after key and value, inside map, I expect ',' or '}'",
	  "expected \",\" or \"}\" after a field's value" },
	{ "after array element, I expect ',' or ']'",
	  "expected \",\" or \"]\" after an array entry" },
	{ "object key and value must be separated by a colon (':')",
	  "expected \":\" after a field name" },
	{ "trailing garbage", "unexpected text after the end of the policy object" },
	{ "premature EOF",
	  "the file ends before the JSON is complete; is a \"}\" or \"]\" missing?" },
	{ "invalid object key (must be a string)", "expected a field name in double quotes" },
	{ "unallowed token at this point in JSON text", "expected a value here" },
	{ "invalid string in json text.",
	  "expected a value: a \"string\", a number, true, false or null" },
	{ "invalid character inside string.",
	  "a control character (line break, tab...) inside a string must be escaped: \\n, \\t, \\u00XX" },
	{ "invalid bytes in UTF8 string.", "the text is not valid UTF-8" },
};

/* Skips white space and comments from off on. */
static size_t skip_space(const struct builder *b, size_t off)
{
	while (off < b->size) {
		const char *p = b->text + off;

		if (strchr(" \t\r\n", *p) && *p) {
			off++;
		} else if (off + 1 < b->size && p[0] == '/' && p[1] == '/') {
			const char *nl = memchr(p, '\n', b->size - off);

			off = nl ? (size_t)(nl - b->text) : b->size;
		} else if (off + 1 < b->size && p[0] == '/' && p[1] == '*') {
			const char *end = memmem(p + 2, b->size - off - 2, "*/", 2);

			off = end ? (size_t)(end - b->text) + 2 : b->size;
		} else {
			break;
		}
	}
	return off;
}

/*
 * The token yajl stopped at starts after the last one it reported, white
 * space, comments and perhaps a "," or ":".  (yajl's own error offset is
 * sometimes past the token, sometimes inside it.)
 */
static size_t failed_token(const struct builder *b)
{
	size_t off = skip_space(b, b->last_end);

	if (off < b->size && (b->text[off] == ',' || b->text[off] == ':'))
		off = skip_space(b, off + 1);
	return off;
}

/* The first byte from off on that does not belong to valid UTF-8. */
static size_t bad_utf8(const struct builder *b, size_t off)
{
	const unsigned char *t = (const unsigned char *)b->text;

	while (off < b->size) {
		unsigned char c = t[off];
		size_t n = c < 0x80	      ? 1 :
			   (c & 0xe0) == 0xc0 ? 2 :
			   (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 ? 4 :
						0;

		if (n == 0 || off + n > b->size)
			return off;
		for (size_t i = 1; i < n; i++)
			if ((t[off + i] & 0xc0) != 0x80)
				return off;
		off += n;
	}
	return off;
}

static void syntax_error(struct builder *b, const char *yajl_msg)
{
	char what[160];
	const char *text = yajl_msg;
	bool lexical = false;
	size_t off, len;

	if (strncmp(text, "lexical error: ", 15) == 0) {
		lexical = true;
		text += 15;
	} else if (strncmp(text, "parse error: ", 13) == 0) {
		text += 13;
	}
	len = strcspn(text, "\n");
	snprintf(what, sizeof(what), "%.*s", (int)len, text);

	if (b->completing)
		off = b->size;
	else if (lexical && (strstr(what, "inside string") || strstr(what, "inside a string")))
		/* A bad character or escape inside a string: yajl stops right at it. */
		off = yajl_get_bytes_consumed(b->handle);
	else if (lexical && strcmp(what, "invalid bytes in UTF8 string.") == 0)
		off = bad_utf8(b, failed_token(b));
	else
		off = failed_token(b);
	if (off > b->size)
		off = b->size;

	if (strcmp(what, "premature EOF") == 0 && !b->root) {
		fail(b, off,
		     "invalid JSON: the file holds no JSON value; expected a policy object");
		return;
	}
	if (off < b->size && (b->text[off] == '}' || b->text[off] == ']')) {
		size_t p = off;

		while (p > 0 && strchr(" \t\r\n", b->text[p - 1]))
			p--;
		if (p > 0 && b->text[p - 1] == ',') {
			char close = b->text[off];

			fail(b, p - 1, "invalid JSON: trailing comma before \"%c\"", close);
			return;
		}
	}
	if (strcmp(what, "invalid char in json text.") == 0 && off < b->size) {
		unsigned char c = (unsigned char)b->text[off];

		if (off == 0 && b->size >= 3 && memcmp(b->text, "\xef\xbb\xbf", 3) == 0)
			fail(b, off,
			     "invalid JSON: the file starts with a byte-order mark; save it "
			     "as UTF-8 without one");
		else if (c == '\'')
			fail(b, off,
			     "invalid JSON: strings and field names take double quotes, not "
			     "single quotes");
		else if (c > 0x20 && c < 0x7f)
			fail(b, off, "invalid JSON: unexpected character \"%c\"", c);
		else
			fail(b, off, "invalid JSON: unexpected byte 0x%02x", c);
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(syntax_messages); i++)
		if (strcmp(what, syntax_messages[i].yajl) == 0) {
			fail(b, off, "invalid JSON: %s", syntax_messages[i].ours);
			return;
		}
	len = strlen(what);
	if (len > 0 && what[len - 1] == '.')
		what[len - 1] = '\0';
	fail(b, off, "invalid JSON: %s", what);
}

int jsontree_parse(const char *text, size_t size, struct arena *arena, struct jsontree_error *err,
		   struct jnode **ret)
{
	struct builder b = {
		.text = text,
		.size = size,
		.arena = arena,
		.cur_line = 1,
		.cur_col = 1,
		.err = err,
	};
	yajl_status st;
	int r;

	b.handle = yajl_alloc(&callbacks, NULL, &b);
	if (!b.handle)
		return -ENOMEM;
	yajl_config(b.handle, yajl_allow_comments, 1);

	st = yajl_parse(b.handle, (const unsigned char *)text, size);
	if (st == yajl_status_ok) {
		b.completing = true;
		st = yajl_complete_parse(b.handle);
	}
	if (st == yajl_status_ok) {
		r = 0;
	} else if (st == yajl_status_client_canceled) {
		r = b.error;
	} else {
		unsigned char *m = yajl_get_error(b.handle, 0, NULL, 0);

		if (!m) {
			r = -ENOMEM;
		} else {
			syntax_error(&b, (const char *)m);
			yajl_free_error(b.handle, m);
			r = -EINVAL;
		}
	}
	yajl_free(b.handle);
	free(b.pending);
	if (r < 0)
		return r;
	*ret = b.root;
	return 0;
}

const struct jmember *jsontree_member(const struct jnode *o, const char *key)
{
	if (!o || o->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < o->children.n; i++)
		if (strcmp(o->children.members[i].key, key) == 0)
			return &o->children.members[i];
	return NULL;
}

const char *jsontree_type_name(const struct jnode *n)
{
	switch (n->type) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return n->boolean ? "true" : "false";
	case JSON_INTEGER:
		return "a whole number";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_STRING:
		return "a string";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	}
	return "a value";
}
