// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every record kind the agent emits, checked against the OCSF schema itself
 * (tests/fixtures/ocsf, a subset of the schema with its licence): the
 * required attributes are present, every *_id with an enum holds a listed
 * value, class_uid and type_uid follow from the class, and each attribute has
 * the JSON type its dictionary entry says.  The records come from the real
 * formatters, parsed back the way the collector reads them.
 *
 * The validator resolves a class through "extends" (class -> category ->
 * base_event) and an object through its own chain; a profile's attributes
 * ("$include": profiles/x.json) count only when metadata.profiles names it.
 * An enum's valid values are the class's or object's own together with the
 * dictionary's (0 Unknown and 99 Other live there), as the OCSF server merges
 * them.  Our own fields go in the "postured" extension object and are not
 * checked.
 */
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "postured/checks/checks.h"
#include "postured/format.h"
#include "postured/format_loss.h"
#include "basic/json-util.h"
#include "basic/version.h"
#include "fixtures.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);

/* --- the schema ------------------------------------------------------------------ */

#define SCHEMA_FILES_MAX 64
#define ATTRS_MAX	 256
#define ERRORS_SIZE	 8192

struct schema_file {
	char rel[128];
	yajl_val root;
};

static struct schema_file files[SCHEMA_FILES_MAX];
static size_t n_files;
static yajl_val dict_attrs, dict_types, categories;

/* tests/fixtures/ocsf/rel. */
static const char *schema_path(const char *rel)
{
	return fixture_path("ocsf", rel);
}

static bool schema_has(const char *rel)
{
	struct stat st;

	return stat(schema_path(rel), &st) == 0;
}

/* A schema file, parsed once and kept until the group ends. */
static yajl_val schema_load(const char *rel)
{
	char err[256] = "";
	char *text;
	yajl_val v;

	for (size_t i = 0; i < n_files; i++)
		if (strcmp(files[i].rel, rel) == 0)
			return files[i].root;
	assert_true(n_files < SCHEMA_FILES_MAX);
	if (!schema_has(rel))
		fail_msg("schema file %s is missing from tests/fixtures/ocsf", rel);
	text = fixture_read(schema_path(rel), NULL);
	v = yajl_tree_parse(text, err, sizeof(err));
	free(text);
	if (!v)
		fail_msg("schema file %s does not parse: %s", rel, err);
	snprintf(files[n_files].rel, sizeof(files[n_files].rel), "%s", rel);
	files[n_files++].root = v;
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

static void attrs_merge(struct attrs *s, yajl_val attributes, yajl_val profiles);

/* "$include": ["profiles/host.json", ...]: merged when the record applies the profile. */
static void attrs_include(struct attrs *s, yajl_val include, yajl_val profiles)
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
		if (!profile_applied(profiles, name))
			continue;
		attrs_merge(s, member(schema_load(rel), "attributes"), profiles);
	}
}

/* The layer's own definitions override what the layers below said. */
static void attrs_merge(struct attrs *s, yajl_val attributes, yajl_val profiles)
{
	assert_non_null(attributes);
	attrs_include(s, member(attributes, "$include"), profiles);
	for (size_t i = 0; i < attributes->u.object.len; i++) {
		const char *name = attributes->u.object.keys[i];
		yajl_val def = attributes->u.object.values[i];
		struct attr *a;

		if (name[0] == '$')
			continue;
		a = attrs_find(s, name);
		if (!a) {
			assert_true(s->n < ATTRS_MAX);
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

/* Where a class or category named name lives; NULL when the subset lacks it. */
static const char *event_file(const char *name)
{
	static const char *const dirs[] = { "system", "findings", "discovery", "network" };
	static char rel[128];

	if (strcmp(name, "base_event") == 0)
		return "events/base_event.json";
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(rel, sizeof(rel), "events/%s/%s.json", dirs[i], name);
		if (schema_has(rel))
			return rel;
	}
	return NULL;
}

static void class_attrs(struct attrs *s, const char *rel, yajl_val profiles,
			const char **ret_category)
{
	yajl_val def = schema_load(rel);
	const char *parent = member_str(def, "extends");
	const char *category = member_str(def, "category");

	if (parent) {
		const char *prel = event_file(parent);

		if (!prel)
			fail_msg("%s extends %s, which is missing from the subset", rel, parent);
		class_attrs(s, prel, profiles, ret_category);
	}
	/* The nearest layer that names a category wins (base_event says "other"). */
	if (category)
		*ret_category = category;
	attrs_merge(s, member(def, "attributes"), profiles);
}

static void object_attrs(struct attrs *s, const char *name, yajl_val profiles)
{
	char rel[128];
	yajl_val def;
	const char *parent;

	snprintf(rel, sizeof(rel), "objects/%s.json", name);
	def = schema_load(rel);
	parent = member_str(def, "extends");
	if (parent)
		object_attrs(s, parent, profiles);
	attrs_merge(s, member(def, "attributes"), profiles);
}

/* --- the validator ---------------------------------------------------------------- */

struct report {
	char text[ERRORS_SIZE];
	size_t len;
	unsigned count;
};

static void report_add(struct report *r, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_add(struct report *r, const char *path, const char *fmt, ...)
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
static const char *base_type(const char *type)
{
	for (int depth = 0; depth < 4; depth++) {
		const char *t = member_str(member(dict_types, type), "type");

		if (!t)
			break;
		type = t;
	}
	return type;
}

static void validate_object(struct report *r, const char *path, yajl_val value, struct attrs *s,
			    yajl_val profiles);

static void validate_value(struct report *r, const char *path, const char *type, yajl_val v,
			   yajl_val profiles)
{
	size_t n = strlen(type);

	if (n > 2 && strcmp(type + n - 2, "_t") == 0) {
		const char *b = base_type(type);
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
			report_add(r, path, "is %s, the dictionary says %s (%s)", type_name(v),
				   type, b);
		return;
	}
	/* An object type: an OCSF object, checked against its own definition. */
	if (!YAJL_IS_OBJECT(v)) {
		report_add(r, path, "is %s, the dictionary says object %s", type_name(v), type);
		return;
	}
	{
		struct attrs *os = calloc(1, sizeof(*os));

		assert_non_null(os);
		object_attrs(os, type, profiles);
		validate_object(r, path, v, os, profiles);
		free(os);
	}
}

static bool enum_has(yajl_val e, long long id)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", id);
	return member(e, key) != NULL;
}

static void validate_object(struct report *r, const char *path, yajl_val value, struct attrs *s,
			    yajl_val profiles)
{
	char sub[256];

	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].requirement && strcmp(s->a[i].requirement, "required") == 0 &&
		    !member(value, s->a[i].name))
			report_add(r, path, "required attribute \"%s\" is missing", s->a[i].name);

	for (size_t i = 0; i < value->u.object.len; i++) {
		const char *name = value->u.object.keys[i];
		yajl_val v = value->u.object.values[i];
		struct attr *a = attrs_find(s, name);
		yajl_val d = member(dict_attrs, name);
		const char *type;
		yajl_val e = NULL, de = member(d, "enum");

		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", name);
		if (!path[0] && strcmp(name, "postured") == 0)
			continue; /* the extension: ours, documented in docs/events.md */
		if (!a) {
			report_add(r, sub, "is not an attribute of this class or object");
			continue;
		}
		if (!d) {
			report_add(r, sub, "is not in the dictionary");
			continue;
		}
		/* A deprecated attribute has a successor the schema names: use that. */
		if (a->deprecated || member(d, "@deprecated")) {
			yajl_val dep = a->deprecated ? a->deprecated : member(d, "@deprecated");

			report_add(r, sub, "is deprecated since %s: %s",
				   member_str(dep, "since") ?: "?", member_str(dep, "message") ?: "");
		}
		type = a->type ? a->type : member_str(d, "type");
		if (!type) {
			report_add(r, sub, "has no type in the dictionary");
			continue;
		}
		if (YAJL_IS_TRUE(member(d, "is_array"))) {
			if (!YAJL_IS_ARRAY(v)) {
				report_add(r, sub, "is %s, the dictionary says an array of %s",
					   type_name(v), type);
				continue;
			}
			for (size_t j = 0; j < v->u.array.len; j++) {
				char el[300];

				snprintf(el, sizeof(el), "%s[%zu]", sub, j);
				validate_value(r, el, type, v->u.array.values[j], profiles);
			}
			continue;
		}
		validate_value(r, sub, type, v, profiles);

		/* An enum id: the local values together with the dictionary's. */
		e = a->enum_values;
		if ((e || de) && strlen(name) > 3 && strcmp(name + strlen(name) - 3, "_id") == 0 &&
		    YAJL_IS_INTEGER(v) && !enum_has(e, YAJL_GET_INTEGER(v)) &&
		    !enum_has(de, YAJL_GET_INTEGER(v)))
			report_add(r, sub, "%lld is not one of its enum's values",
				   YAJL_GET_INTEGER(v));
	}
}

static long long int_at(yajl_val rec, const char *key)
{
	yajl_val v = member(rec, key);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

/*
 * Checks one record against the class in class_rel; the problems found go
 * to r.  The record's class_uid, category_uid and type_uid must be the
 * class's.
 */
static void validate_record(struct report *r, yajl_val rec, const char *class_rel)
{
	yajl_val profiles = member(member(rec, "metadata"), "profiles");
	const char *category = NULL;
	long long cat_uid, class_uid, expect;
	struct attrs *s;

	if (!YAJL_IS_OBJECT(rec)) {
		report_add(r, "", "the record is not an object");
		return;
	}
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	class_attrs(s, class_rel, profiles, &category);
	assert_non_null(category);

	cat_uid =
		YAJL_GET_INTEGER(member(member(member(categories, "attributes"), category), "uid"));
	expect = cat_uid * 1000 + YAJL_GET_INTEGER(member(schema_load(class_rel), "uid"));
	class_uid = int_at(rec, "class_uid");
	if (class_uid != expect)
		report_add(r, "class_uid", "%lld, the class is %lld (category %s = %lld)",
			   class_uid, expect, category, cat_uid);
	if (int_at(rec, "category_uid") != cat_uid)
		report_add(r, "category_uid", "%lld, the class's category is %lld",
			   int_at(rec, "category_uid"), cat_uid);
	if (int_at(rec, "type_uid") != expect * 100 + int_at(rec, "activity_id"))
		report_add(r, "type_uid", "%lld, not class_uid * 100 + activity_id = %lld",
			   int_at(rec, "type_uid"), expect * 100 + int_at(rec, "activity_id"));

	validate_object(r, "", rec, s, profiles);
	free(s);
}

static void assert_valid(yajl_val rec, const char *class_rel, const char *what)
{
	struct report r = { .len = 0 };

	validate_record(&r, rec, class_rel);
	if (r.count > 0)
		fail_msg("%s does not pass the OCSF schema (%u problems):\n%s", what, r.count,
			 r.text);
}

/* --- the records ------------------------------------------------------------------ */

/* The formatters' record, with what each kind may carry besides: arguments, a signal, a parent. */
static struct decoded_event make_event(enum event_kind kind)
{
	static const char args[] = "ls\0-la\0/tmp";
	struct decoded_event ev = fixture_event(kind);

	if (kind == EVENT_KIND_EXEC) {
		memcpy(ev.exec.args, args, sizeof(args));
		ev.exec.args_size = sizeof(args);
	} else if (kind == EVENT_KIND_EXIT) {
		ev.exit.signal = 9;
	} else if (kind == EVENT_KIND_FORK) {
		ev.fork.parent_tid = 4000;
	}
	return ev;
}

static void check_process_event(enum event_kind kind, const struct device_info *dev,
				const struct proc_entry *self, const struct proc_entry *parent)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;
	struct decoded_event ev = make_event(kind);

	assert_non_null(g);
	format_process_event(g, &ev, self, parent, dev, FIXTURE_OFFSET_NS);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/system/process_activity.json", event_kind_to_string(kind));
}

static void test_process_activity(void **state)
{
	const struct device_info bare = { .type_id = 0 };

	check_process_event(EVENT_KIND_EXEC, &fixture_device, &fixture_self, &fixture_parent);
	check_process_event(EVENT_KIND_FORK, &fixture_device, &fixture_self, &fixture_parent);
	check_process_event(EVENT_KIND_EXIT, &fixture_device, &fixture_self, &fixture_parent);
	/* Without table entries or device details: still the schema's shape. */
	check_process_event(EVENT_KIND_EXEC, &bare, NULL, NULL);
	check_process_event(EVENT_KIND_FORK, &bare, NULL, NULL);
	check_process_event(EVENT_KIND_EXIT, &bare, NULL, NULL);
}

static const char test_policy[] =
	"{\"id\": \"ocsf-test\", \"serial\": 3, \"mode\": \"enforce\", \"rules\": ["
	"{\"id\": \"deny-ncat\", \"type\": \"process\", \"title\": \"ncat\", \"severity\": \"high\","
	" \"tags\": [\"network\", \"cis-4.8\"], \"contact\": \"it-help@example.com\","
	" \"match\": {\"name\": \"ncat\"}, \"effect\": \"deny\","
	" \"message\": {\"en\": \"ncat ran.\", \"ja\": \"ncat が動きました。\"},"
	" \"remediation\": {\"en\": \"Remove it.\"}},"
	"{\"id\": \"require-vpn\", \"type\": \"process\", \"title\": \"VPN\", \"severity\": "
	"\"medium\", \"match\": {\"name\": \"openvpn\"}, \"effect\": \"require\","
	" \"grace_seconds\": 60, \"message\": {\"en\": \"No VPN.\"},"
	" \"remediation\": {\"en\": \"Connect.\"}},"
	"{\"id\": \"disk-encryption\", \"type\": \"check\", \"title\": \"Disk encryption\","
	" \"severity\": \"critical\", \"check\": \"disk_encryption\","
	" \"message\": {\"en\": \"Not encrypted.\"}, \"remediation\": {\"en\": \"Reinstall.\"}},"
	"{\"id\": \"no-public-listeners\", \"type\": \"network\", \"title\": \"Listeners\","
	" \"severity\": \"medium\", \"direction\": \"listen\", \"match\": {},"
	" \"except\": [{\"address\": \"loopback\"}], \"effect\": \"deny\","
	" \"message\": {\"en\": \"A program listens.\"}, \"remediation\": {\"en\": \"Stop it.\"}}"
	"]}";

static void check_finding(const struct finding *f, const char *what)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_finding(g, f, "00112233445566778899aabbccddeeff", &fixture_device);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/findings/compliance_finding.json", what);
}

static void test_compliance_finding(void **state)
{
	policy *p = fixture_policy_parse("inline.json", test_policy, strlen(test_policy));
	struct check_result check = { .status = CHECK_FAIL, .n_evidence = 2 };
	struct finding *f = calloc(1, sizeof(*f));
	static const enum finding_action actions[] = {
		FINDING_ACTION_KILLED, FINDING_ACTION_REPORTED, FINDING_ACTION_KILL_FAILED,
		FINDING_ACTION_GONE,   FINDING_ACTION_DENIED,
	};

	assert_non_null(f);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		*f = (struct finding){ .kind = FINDING_PROCESS_DENIED,
				       .time_real = 1700000000000000ULL,
				       .policy = p,
				       .rule = policy_rule_find(p, "deny-ncat"),
				       .mode = POLICY_MODE_ENFORCE,
				       .action = actions[i],
				       .in_kernel = true };
		fixture_finding_process(f);
		check_finding(f, finding_action_to_string(actions[i]));
	}

	*f = (struct finding){ .kind = FINDING_REQUIRE_ABSENT,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "require-vpn"),
			       .mode = POLICY_MODE_ENFORCE };
	check_finding(f, "required_absent");
	f->kind = FINDING_REQUIRE_RETURNED;
	fixture_finding_process(f);
	check_finding(f, "required_returned");

	*f = (struct finding){ .kind = FINDING_POLICY_INVALID,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .mode = POLICY_MODE_ENFORCE };
	strcpy(f->detail, "/etc/postured/policy.json:3:9: error: broken");
	check_finding(f, "policy_invalid");

	strcpy(check.reason, "/ is on /dev/sda2, which is not encrypted");
	strcpy(check.evidence[0], "/: /dev/sda2 (ext4)");
	strcpy(check.evidence[1], "swap: none");
	*f = (struct finding){ .kind = FINDING_CHECK_FAILING,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "disk-encryption"),
			       .mode = POLICY_MODE_ENFORCE,
			       .check = &check };
	check_finding(f, "check failing");
	check.status = CHECK_UNKNOWN;
	check_finding(f, "check unknown");
	check.status = CHECK_PASS;
	check.reason[0] = '\0';
	check.n_evidence = 0;
	f->kind = FINDING_CHECK_PASSING;
	check_finding(f, "check passing");

	/* Network findings: refused, reported with repeats, a listener without its process. */
	*f = (struct finding){ .kind = FINDING_NETWORK,
			       .time_real = 1700000000000000ULL,
			       .policy = p,
			       .rule = policy_rule_find(p, "no-public-listeners"),
			       .mode = POLICY_MODE_ENFORCE,
			       .action = FINDING_ACTION_DENIED,
			       .in_kernel = true,
			       .has_network = true,
			       .network = { .direction = POLICY_NET_LISTEN,
					    .protocol = IPPROTO_TCP,
					    .family = AF_INET,
					    .has_local = true,
					    .local_port = 8080,
					    .count = 1,
					    .has_owner = true,
					    .owner_uid = 1000 } };
	fixture_finding_process(f);
	check_finding(f, "network denied");
	f->action = FINDING_ACTION_REPORTED;
	f->network.direction = POLICY_NET_OUTBOUND;
	f->network.family = AF_INET6;
	f->network.has_remote = true;
	f->network.remote_addr[15] = 1;
	f->network.remote_port = 443;
	f->network.count = 5000;
	f->network.outcomes[FINDING_OUTCOME_ESTABLISHED] = 4990;
	f->network.outcomes[FINDING_OUTCOME_REFUSED] = 10;
	f->network.first_real = 1700000000000000ULL;
	f->network.last_real = 1700000010000000ULL;
	f->network.aggregated = true;
	check_finding(f, "network repeats");
	/* A scan: many ports of one address, the first few named. */
	f->network.family = AF_INET;
	memset(f->network.remote_addr, 0, sizeof(f->network.remote_addr));
	memcpy(f->network.remote_addr, (const uint8_t[]){ 192, 0, 2, 7 }, 4);
	f->network.remote_port = 1;
	f->network.scan = true;
	f->network.scan_attempts = 65535;
	f->network.scan_ports = 65535;
	f->network.scan_addrs = 1;
	f->network.n_samples = 2;
	f->network.samples[0] = (struct finding_net_sample){ .family = AF_INET,
							     .addr = { 192, 0, 2, 7 },
							     .port = 1 };
	f->network.samples[1] =
		(struct finding_net_sample){ .family = AF_INET6, .addr = { [15] = 1 }, .port = 2 };
	check_finding(f, "network scan");
	{
		_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
		_cleanup_(yajl_tree_freep) yajl_val rec = NULL;
		const char *ports[] = { "postured", "network", "scan", "ports", NULL };
		const char *addrs[] = { "postured", "network", "scan", "addresses", NULL };
		const char *attempts[] = { "postured", "network", "scan", "attempts", NULL };
		const char *samples[] = { "postured", "network", "scan", "samples", NULL };
		yajl_val v;

		assert_non_null(g);
		format_finding(g, f, "00112233445566778899aabbccddeeff", &fixture_device);
		rec = fixture_json_parse(g);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, ports, yajl_t_number)), 65535);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, addrs, yajl_t_number)), 1);
		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(rec, attempts, yajl_t_number)),
				 65535);
		v = yajl_tree_get(rec, samples, yajl_t_array);
		assert_non_null(v);
		assert_int_equal(YAJL_GET_ARRAY(v)->len, 2);
		assert_string_equal(YAJL_GET_STRING(yajl_tree_get(
					    YAJL_GET_ARRAY(v)->values[1],
					    (const char *[]){ "address", NULL }, yajl_t_string)),
				    "::1");
	}
	f->network.scan = false;
	f->has_process = false;
	f->n_ancestors = 0;
	f->network.direction = POLICY_NET_INBOUND;
	f->network.count = 1;
	check_finding(f, "network inbound");

	free(f);
	policy_unref(p);
}

static void write_test_posture(void *userdata, yajl_gen g)
{
	json_open(g, "posture");
	json_bool(g, "compliant", 0);
	json_close(g);
}

/* The posture snapshot (class 5001), as format_snapshot() writes it for agent_reports.c. */
static void test_inventory_info(void **state)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_snapshot(g, &fixture_device, 1700000000000LL, write_test_posture, NULL);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/discovery/inventory_info.json", "posture snapshot");
}

/* The spool's loss record (class 5001, activity Log), as format_loss() writes it. */
static void test_loss_record(void **state)
{
	static const struct format_loss loss = {
		.time_ms = 1700000000000LL,
		.device_uid = "0123456789abcdef0123456789abcdef",
		.dropped = 12,
		.lost_total = 40,
		.first_seq = 1732611000000123ULL,
		.last_seq = 1732611000000140ULL,
	};
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);
	_cleanup_(yajl_tree_freep) yajl_val rec = NULL;

	assert_non_null(g);
	format_loss(g, &loss);
	rec = fixture_json_parse(g);
	assert_valid(rec, "events/discovery/inventory_info.json", "loss record");
}

/* --- the validator itself ----------------------------------------------------------- */

/* A broken record must be caught, each rule by itself. */
static void test_validator_catches(void **state)
{
	static const struct {
		const char *json;
		const char *expect;
	} cases[] = {
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100701}",
		  "required attribute \"metadata\" is missing" },
		{ "{\"class_uid\":1006,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100601}",
		  "class_uid: 1006, the class is 1007" },
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":1,\"type_uid\":100702}",
		  "type_uid: 100702, not class_uid * 100 + activity_id" },
		{ "{\"class_uid\":1007,\"category_uid\":1,\"activity_id\":7,\"type_uid\":100707}",
		  "activity_id: 7 is not one of its enum's values" },
		{ "{\"time\":\"now\"}", "time: is string, the dictionary says timestamp_t" },
		{ "{\"device\":{\"type_id\":3,\"os\":{\"name\":\"Linux\",\"type_id\":5}}}",
		  "device.os.type_id: 5 is not one of its enum's values" },
		{ "{\"device\":{\"hostname\":\"h\"}}",
		  "device: required attribute \"type_id\" is missing" },
		{ "{\"metadata\":{\"profiles\":\"host\"}}", "metadata.profiles: is string" },
		{ "{\"process\":{\"pid\":\"1\"}}", "process.pid: is string, the dictionary says" },
		{ "{\"process\":{\"file\":{\"name\":\"x\",\"type_id\":1,\"hashes\":[{\"value\":\"ab\"}]}}}",
		  "process.file.hashes[0]: required attribute \"algorithm_id\" is missing" },
		{ "{\"disposition_id\":2}", "disposition_id: is not an attribute" },
		{ "{\"no_such\":1}", "no_such: is not an attribute" },
		{ "{\"process\":{\"lineage\":[\"/bin/sh\"]}}",
		  "process.lineage: is deprecated since 1.4.0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		_cleanup_(yajl_tree_freep)
			yajl_val rec = yajl_tree_parse(cases[i].json, err, sizeof(err));
		struct report r = { .len = 0 };

		assert_non_null(rec);
		validate_record(&r, rec, "events/system/process_activity.json");
		if (!strstr(r.text, cases[i].expect))
			fail_msg("case %zu: expected \"%s\" among:\n%s", i, cases[i].expect,
				 r.text);
	}
}

static int setup(void **state)
{
	yajl_val dict = schema_load("dictionary.json");

	dict_attrs = member(dict, "attributes");
	dict_types = member(member(dict, "types"), "attributes");
	categories = schema_load("categories.json");
	assert_non_null(dict_attrs);
	assert_non_null(dict_types);
	/* The schema the formatters claim is the one the test holds. */
	assert_string_equal(member_str(schema_load("version.json"), "version"),
			    OCSF_SCHEMA_VERSION);
	return 0;
}

static int teardown(void **state)
{
	for (size_t i = 0; i < n_files; i++)
		yajl_tree_free(files[i].root);
	n_files = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_catches),  cmocka_unit_test(test_process_activity),
		cmocka_unit_test(test_compliance_finding), cmocka_unit_test(test_inventory_info),
		cmocka_unit_test(test_loss_record),
	};

	return cmocka_run_group_tests_name("ocsf", tests, setup, teardown);
}
