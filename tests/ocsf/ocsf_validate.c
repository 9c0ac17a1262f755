// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The validator resolves a class through "extends" (class -> category ->
 * base_event) and an object through its own chain; a profile's attributes
 * ("$include": profiles/x.json) count only when metadata.profiles names it.
 * An enum's valid values are the class's or object's own together with the
 * dictionary's (0 Unknown and 99 Other live there), as the OCSF server merges
 * them.  A schema file that is missing or does not parse is a problem of the
 * record that needed it, reported like the others.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "basic/string-util.h"
#include "ocsf_validate.h"

#define SCHEMA_FILES_MAX 128
#define SCHEMA_FILE_MAX	 (16 * 1024 * 1024)
#define ATTRS_MAX	 256

struct schema_file {
	char rel[128];
	yajl_val root;
};

struct ocsf_schema {
	char dir[4096];
	struct schema_file files[SCHEMA_FILES_MAX];
	size_t n_files;
	yajl_val dict_attrs, dict_types, categories;
};

/* One attribute of a class or object after every layer is merged. */
struct attr {
	const char *name;
	const char *requirement;
	const char *type; /* a local override of the dictionary's type, rarely */
	yajl_val enum_values; /* the class's or object's own enum */
	yajl_val deprecated; /* "@deprecated": {"message", "since"} of the nearest layer */
};

struct attrs {
	size_t n;
	struct attr a[ATTRS_MAX];
};

static void report_add(struct ocsf_report *r, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_add(struct ocsf_report *r, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->count++;
	if (r->len + 2 >= sizeof(r->text))
		return;
	n = snprintf(r->text + r->len, sizeof(r->text) - r->len, "  %s: ", path);
	if (n > 0)
		r->len = r->len + (size_t)n < sizeof(r->text) ? r->len + (size_t)n :
								sizeof(r->text) - 1;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len = r->len + (size_t)n < sizeof(r->text) ? r->len + (size_t)n :
								sizeof(r->text) - 1;
	if (r->len + 2 < sizeof(r->text)) {
		r->text[r->len++] = '\n';
		r->text[r->len] = '\0';
	}
}

/* --- the schema ------------------------------------------------------------------ */

static bool schema_has(struct ocsf_schema *s, const char *rel)
{
	char path[4352];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads and parses dir/rel; NULL with the reason in err. */
static yajl_val schema_parse(struct ocsf_schema *s, const char *rel, char *err, size_t err_size)
{
	char path[4352], perr[256] = "";
	FILE *f;
	char *text;
	long size;
	yajl_val v;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	f = fopen(path, "re");
	if (!f) {
		strbuf_printf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || size > SCHEMA_FILE_MAX ||
	    fseek(f, 0, SEEK_SET) < 0) {
		strbuf_printf(err, err_size, "%s: unreadable or larger than %d bytes", path,
			      SCHEMA_FILE_MAX);
		fclose(f);
		return NULL;
	}
	text = malloc((size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
		strbuf_printf(err, err_size, "%s: cannot read it", path);
		free(text);
		fclose(f);
		return NULL;
	}
	fclose(f);
	text[size] = '\0';
	v = yajl_tree_parse(text, perr, sizeof(perr));
	free(text);
	if (!v) {
		perr[strcspn(perr, "\n")] = '\0';
		strbuf_printf(err, err_size, "%s does not parse: %s", path, perr);
	}
	return v;
}

/* A schema file, parsed once and kept with the schema; NULL (reported) when unusable. */
static yajl_val schema_load(struct ocsf_schema *s, const char *rel, struct ocsf_report *r)
{
	char err[512];
	yajl_val v;

	for (size_t i = 0; i < s->n_files; i++)
		if (strcmp(s->files[i].rel, rel) == 0)
			return s->files[i].root;
	if (s->n_files >= SCHEMA_FILES_MAX) {
		report_add(r, "schema", "more than %d files needed", SCHEMA_FILES_MAX);
		return NULL;
	}
	if (!schema_has(s, rel)) {
		report_add(r, "schema", "file %s is missing from %s", rel, s->dir);
		return NULL;
	}
	v = schema_parse(s, rel, err, sizeof(err));
	if (!v) {
		report_add(r, "schema", "%s", err);
		return NULL;
	}
	snprintf(s->files[s->n_files].rel, sizeof(s->files[s->n_files].rel), "%s", rel);
	s->files[s->n_files++].root = v;
	return v;
}

static yajl_val member(yajl_val obj, const char *key)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static const char *member_str(yajl_val obj, const char *key)
{
	yajl_val v = member(obj, key);

	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

int ocsf_schema_load(const char *dir, struct ocsf_schema **ret, char *err, size_t err_size)
{
	struct ocsf_schema *s = calloc(1, sizeof(*s));
	struct ocsf_report r = { .len = 0 };
	yajl_val dict;

	if (!s)
		return -ENOMEM;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	dict = schema_load(s, "dictionary.json", &r);
	s->categories = schema_load(s, "categories.json", &r);
	s->dict_attrs = member(dict, "attributes");
	s->dict_types = member(member(dict, "types"), "attributes");
	if (r.count == 0 && (!s->dict_attrs || !s->dict_types || !s->categories))
		report_add(&r, "schema", "%s/dictionary.json has no attributes or types", dir);
	if (r.count > 0) {
		r.text[strcspn(r.text, "\n")] = '\0';
		strbuf_printf(err, err_size, "%s", r.text + 2);
		ocsf_schema_free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

struct ocsf_schema *ocsf_schema_free(struct ocsf_schema *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_files; i++)
		yajl_tree_free(s->files[i].root);
	free(s);
	return NULL;
}

const char *ocsf_schema_version(struct ocsf_schema *s)
{
	struct ocsf_report r = { .len = 0 };
	const char *v = member_str(schema_load(s, "version.json", &r), "version");

	return v ? v : "";
}

static struct attr *attrs_find(struct attrs *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].name, name) == 0)
			return &s->a[i];
	return NULL;
}

static bool profile_applied(yajl_val profiles, const char *name)
{
	if (!profiles || !YAJL_IS_ARRAY(profiles))
		return false;
	for (size_t i = 0; i < profiles->u.array.len; i++) {
		const char *p = YAJL_GET_STRING(profiles->u.array.values[i]);

		if (p && strcmp(p, name) == 0)
			return true;
	}
	return false;
}

struct ctx {
	struct ocsf_schema *s;
	struct ocsf_report *r;
	yajl_val profiles;
};

static void attrs_merge(struct ctx *c, struct attrs *s, yajl_val attributes);

/* "$include": ["profiles/host.json", ...]: merged when the record applies the profile. */
static void attrs_include(struct ctx *c, struct attrs *s, yajl_val include)
{
	if (!include || !YAJL_IS_ARRAY(include))
		return;
	for (size_t i = 0; i < include->u.array.len; i++) {
		const char *rel = YAJL_GET_STRING(include->u.array.values[i]);
		char name[64];
		const char *base;

		if (!rel || strncmp(rel, "profiles/", 9) != 0)
			continue;
		base = rel + 9;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
		if (!profile_applied(c->profiles, name))
			continue;
		attrs_merge(c, s, member(schema_load(c->s, rel, c->r), "attributes"));
	}
}

/* The layer's own definitions override what the layers below said. */
static void attrs_merge(struct ctx *c, struct attrs *s, yajl_val attributes)
{
	if (!attributes || !YAJL_IS_OBJECT(attributes))
		return;
	attrs_include(c, s, member(attributes, "$include"));
	for (size_t i = 0; i < attributes->u.object.len; i++) {
		const char *name = attributes->u.object.keys[i];
		yajl_val def = attributes->u.object.values[i];
		struct attr *a;

		if (name[0] == '$')
			continue;
		a = attrs_find(s, name);
		if (!a) {
			if (s->n >= ATTRS_MAX) {
				report_add(c->r, "schema", "more than %d attributes in one class",
					   ATTRS_MAX);
				return;
			}
			a = &s->a[s->n++];
			*a = (struct attr){ .name = name };
		}
		if (member_str(def, "requirement"))
			a->requirement = member_str(def, "requirement");
		if (member_str(def, "type"))
			a->type = member_str(def, "type");
		if (member(def, "enum"))
			a->enum_values = member(def, "enum");
		if (member(def, "@deprecated"))
			a->deprecated = member(def, "@deprecated");
	}
}

/* The schema's folders of the categories the agent's records are in. */
static const char *const event_dirs[] = { "system", "findings", "discovery", "network",
					  "application" };

/* Where a class or category named name lives; NULL when the schema lacks it. */
static const char *event_file(struct ocsf_schema *s, const char *name, char *rel, size_t size)
{
	if (strcmp(name, "base_event") == 0)
		return "events/base_event.json";
	for (size_t i = 0; i < sizeof(event_dirs) / sizeof(event_dirs[0]); i++) {
		snprintf(rel, size, "events/%s/%s.json", event_dirs[i], name);
		if (schema_has(s, rel))
			return rel;
	}
	return NULL;
}

static void class_attrs(struct ctx *c, struct attrs *s, const char *rel, const char **ret_category,
			int depth)
{
	yajl_val def = schema_load(c->s, rel, c->r);
	const char *parent = member_str(def, "extends");
	const char *category = member_str(def, "category");
	char prel_buf[128];

	if (!def)
		return;
	if (parent && depth < 8) {
		const char *prel = event_file(c->s, parent, prel_buf, sizeof(prel_buf));

		if (!prel)
			report_add(c->r, "schema", "%s extends %s, which is missing", rel, parent);
		else
			class_attrs(c, s, prel, ret_category, depth + 1);
	}
	/* The nearest layer that names a category wins (base_event says "other"). */
	if (category)
		*ret_category = category;
	attrs_merge(c, s, member(def, "attributes"));
}

static void object_attrs(struct ctx *c, struct attrs *s, const char *name, int depth)
{
	char rel[128];
	yajl_val def;
	const char *parent;

	snprintf(rel, sizeof(rel), "objects/%s.json", name);
	def = schema_load(c->s, rel, c->r);
	if (!def)
		return;
	parent = member_str(def, "extends");
	if (parent && depth < 8)
		object_attrs(c, s, parent, depth + 1);
	attrs_merge(c, s, member(def, "attributes"));
}

/* --- the validator ---------------------------------------------------------------- */

static const char *type_name(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		return "string";
	if (YAJL_IS_INTEGER(v))
		return "integer";
	if (YAJL_IS_NUMBER(v))
		return "number";
	if (YAJL_IS_OBJECT(v))
		return "object";
	if (YAJL_IS_ARRAY(v))
		return "array";
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return "boolean";
	return "null";
}

/* A dictionary type down to one of the base types (hostname_t -> string_t, timestamp_t -> long_t). */
static const char *base_type(struct ocsf_schema *s, const char *type)
{
	for (int depth = 0; depth < 4; depth++) {
		const char *t = member_str(member(s->dict_types, type), "type");

		if (!t)
			break;
		type = t;
	}
	return type;
}

static void validate_object(struct ctx *c, const char *path, yajl_val value, struct attrs *s,
			    int depth);

static void validate_value(struct ctx *c, const char *path, const char *type, yajl_val v, int depth)
{
	size_t n = strlen(type);

	if (n > 2 && strcmp(type + n - 2, "_t") == 0) {
		const char *b = base_type(c->s, type);
		bool ok;

		if (strcmp(b, "string_t") == 0)
			ok = YAJL_IS_STRING(v);
		else if (strcmp(b, "integer_t") == 0 || strcmp(b, "long_t") == 0)
			ok = YAJL_IS_INTEGER(v);
		else if (strcmp(b, "float_t") == 0)
			ok = YAJL_IS_NUMBER(v);
		else if (strcmp(b, "boolean_t") == 0)
			ok = YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v);
		else if (strcmp(b, "object_t") == 0)
			ok = YAJL_IS_OBJECT(v);
		else
			ok = true; /* json_t: anything */
		if (!ok)
			report_add(c->r, path, "is %s, the dictionary says %s (%s)", type_name(v),
				   type, b);
		return;
	}
	/* An object type: an OCSF object, checked against its own definition. */
	if (!YAJL_IS_OBJECT(v)) {
		report_add(c->r, path, "is %s, the dictionary says object %s", type_name(v), type);
		return;
	}
	if (depth > 16) {
		report_add(c->r, path, "is nested deeper than 16 objects");
		return;
	}
	{
		struct attrs *os = calloc(1, sizeof(*os));

		if (!os) {
			report_add(c->r, path, "out of memory");
			return;
		}
		object_attrs(c, os, type, 0);
		validate_object(c, path, v, os, depth + 1);
		free(os);
	}
}

static bool enum_has(yajl_val e, long long id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", id);
	return member(e, key) != NULL;
}

static void validate_object(struct ctx *c, const char *path, yajl_val value, struct attrs *s,
			    int depth)
{
	char sub[256];

	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].requirement && strcmp(s->a[i].requirement, "required") == 0 &&
		    !member(value, s->a[i].name))
			report_add(c->r, path, "required attribute \"%s\" is missing",
				   s->a[i].name);

	for (size_t i = 0; i < value->u.object.len; i++) {
		const char *name = value->u.object.keys[i];
		yajl_val v = value->u.object.values[i];
		struct attr *a = attrs_find(s, name);
		yajl_val d = member(c->s->dict_attrs, name);
		const char *type;
		yajl_val e = NULL, de = member(d, "enum");

		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", name);
		if (!path[0] && strcmp(name, "postured") == 0)
			continue; /* the extension: ours, documented in docs/events.md */
		if (!a) {
			report_add(c->r, sub, "is not an attribute of this class or object");
			continue;
		}
		if (!d) {
			report_add(c->r, sub, "is not in the dictionary");
			continue;
		}
		/* A deprecated attribute has a successor the schema names: use that. */
		if (a->deprecated || member(d, "@deprecated")) {
			yajl_val dep = a->deprecated ? a->deprecated : member(d, "@deprecated");

			report_add(c->r, sub, "is deprecated since %s: %s",
				   member_str(dep, "since") ?: "?",
				   member_str(dep, "message") ?: "");
		}
		type = a->type ? a->type : member_str(d, "type");
		if (!type) {
			report_add(c->r, sub, "has no type in the dictionary");
			continue;
		}
		if (YAJL_IS_TRUE(member(d, "is_array"))) {
			if (!YAJL_IS_ARRAY(v)) {
				report_add(c->r, sub, "is %s, the dictionary says an array of %s",
					   type_name(v), type);
				continue;
			}
			for (size_t j = 0; j < v->u.array.len; j++) {
				char el[300];

				snprintf(el, sizeof(el), "%s[%zu]", sub, j);
				validate_value(c, el, type, v->u.array.values[j], depth);
			}
			continue;
		}
		validate_value(c, sub, type, v, depth);

		/* An enum id: the local values together with the dictionary's. */
		e = a->enum_values;
		if ((e || de) && strlen(name) > 3 && strcmp(name + strlen(name) - 3, "_id") == 0 &&
		    YAJL_IS_INTEGER(v) && !enum_has(e, YAJL_GET_INTEGER(v)) &&
		    !enum_has(de, YAJL_GET_INTEGER(v)))
			report_add(c->r, sub, "%lld is not one of its enum's values",
				   YAJL_GET_INTEGER(v));
	}
}

static long long int_at(yajl_val rec, const char *key)
{
	yajl_val v = member(rec, key);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

/* The category of the class in rel: its own, or the nearest parent's. */
static const char *class_category(struct ctx *c, const char *rel)
{
	char buf[128];

	for (int depth = 0; rel && depth < 8; depth++) {
		yajl_val def = schema_load(c->s, rel, c->r);
		const char *parent = member_str(def, "extends");

		if (member_str(def, "category"))
			return member_str(def, "category");
		if (!parent)
			return NULL;
		rel = event_file(c->s, parent, buf, sizeof(buf));
	}
	return NULL;
}

/* The class file whose category uid * 1000 + uid is class_uid; NULL when none is. */
static const char *class_file(struct ctx *c, long long class_uid, char *rel, size_t size)
{
	yajl_val cats = member(c->s->categories, "attributes");

	for (size_t i = 0; i < sizeof(event_dirs) / sizeof(event_dirs[0]); i++) {
		char dir[4352];
		DIR *d;
		struct dirent *de;

		snprintf(dir, sizeof(dir), "%s/events/%s", c->s->dir, event_dirs[i]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t n = strlen(de->d_name);
			yajl_val def, cat;

			if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
				continue;
			snprintf(rel, size, "events/%s/%s", event_dirs[i], de->d_name);
			def = schema_load(c->s, rel, c->r);
			cat = member(member(cats, class_category(c, rel) ?: ""), "uid");
			if (def && cat && YAJL_IS_INTEGER(member(def, "uid")) &&
			    YAJL_GET_INTEGER(cat) * 1000 + YAJL_GET_INTEGER(member(def, "uid")) ==
				    class_uid) {
				closedir(d);
				return rel;
			}
		}
		closedir(d);
	}
	return NULL;
}

void ocsf_validate_record(struct ocsf_schema *schema, yajl_val rec, const char *class_rel,
			  struct ocsf_report *r)
{
	struct ctx c = { .s = schema, .r = r };
	const char *category = NULL;
	long long cat_uid, class_uid, expect;
	char rel[256];
	struct attrs *s;

	if (!rec || !YAJL_IS_OBJECT(rec)) {
		report_add(r, "", "the record is not an object");
		return;
	}
	c.profiles = member(member(rec, "metadata"), "profiles");
	class_uid = int_at(rec, "class_uid");
	if (!class_rel) {
		class_rel = class_file(&c, class_uid, rel, sizeof(rel));
		if (!class_rel) {
			report_add(r, "class_uid", "%lld is no class of the schema in %s",
				   class_uid, schema->dir);
			return;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		report_add(r, "", "out of memory");
		return;
	}
	class_attrs(&c, s, class_rel, &category, 0);
	if (!category) {
		report_add(r, "schema", "%s names no category", class_rel);
		free(s);
		return;
	}

	cat_uid = int_at(member(member(schema->categories, "attributes"), category), "uid");
	expect = cat_uid * 1000 + int_at(schema_load(schema, class_rel, r), "uid");
	if (class_uid != expect)
		report_add(r, "class_uid", "%lld, the class is %lld (category %s = %lld)",
			   class_uid, expect, category, cat_uid);
	if (int_at(rec, "category_uid") != cat_uid)
		report_add(r, "category_uid", "%lld, the class's category is %lld",
			   int_at(rec, "category_uid"), cat_uid);
	if (int_at(rec, "type_uid") != expect * 100 + int_at(rec, "activity_id"))
		report_add(r, "type_uid", "%lld, not class_uid * 100 + activity_id = %lld",
			   int_at(rec, "type_uid"), expect * 100 + int_at(rec, "activity_id"));

	validate_object(&c, "", rec, s, 0);
	free(s);
}
