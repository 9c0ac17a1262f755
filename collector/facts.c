// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "basic/string-util.h"
#include "facts.h"

#define CLASS_INVENTORY 5001
#define CLASS_LIFECYCLE 6002

yajl_val facts_json_get(yajl_val v, const char *key)
{
	if (!YAJL_IS_OBJECT(v))
		return NULL;
	for (size_t i = 0; i < v->u.object.len; i++)
		if (strcmp(v->u.object.keys[i], key) == 0)
			return v->u.object.values[i];
	return NULL;
}

const char *facts_json_string(yajl_val v, const char *key)
{
	v = facts_json_get(v, key);
	return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/*
 * The figures a device's records give, bounded: a compromised agent must not
 * overflow the fleet's sums (SQLite's sum() fails on overflow, and C's is
 * undefined), so no interval counts for more than 31 days, no loss for
 * more than a billion records.
 */
#define FACTS_SECONDS_MAX (31LL * 86400)
#define FACTS_COUNT_MAX	  1000000000LL

static int64_t clamp(int64_t v, int64_t max)
{
	return v < 0 ? 0 : v > max ? max : v;
}

static int64_t get_int(yajl_val v, const char *key, int64_t fallback)
{
	v = facts_json_get(v, key);
	return YAJL_IS_INTEGER(v) ? (int64_t)YAJL_GET_INTEGER(v) : fallback;
}

/* Copies a string of the record, cut to the buffer (at a character boundary: it stays UTF-8). */
static void copy(char *dst, size_t size, const char *src)
{
	size_t n;

	if (!src) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A rule text in English: the map of languages the agent sends, or a plain string. */
static void copy_text(char *dst, size_t size, yajl_val rule, const char *key)
{
	yajl_val v = facts_json_get(rule, key);

	copy(dst, size, YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : facts_json_string(v, "en"));
}

static int state_from_agent(const char *s)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "passing") == 0)
		return FACTS_PASS;
	if (strcmp(s, "failing") == 0)
		return FACTS_FAIL;
	if (strcmp(s, "unknown") == 0 || strcmp(s, "pending") == 0)
		return FACTS_UNKNOWN;
	return -EINVAL;
}

static int parse_rules(yajl_val rules, struct facts_snapshot *snap)
{
	size_t n = 0;

	if (!YAJL_IS_ARRAY(rules))
		return 0;
	snap->rules =
		calloc(MIN(rules->u.array.len, (size_t)FACTS_RULES_MAX), sizeof(*snap->rules));
	if (!snap->rules && rules->u.array.len > 0)
		return -ENOMEM;
	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val r = rules->u.array.values[i], enabled = facts_json_get(r, "enabled");
		const char *id = facts_json_string(r, "id");
		struct facts_rule *out;
		int state;

		/* A rule switched off by the policy is not the device's to meet. */
		if (YAJL_IS_FALSE(enabled))
			continue;
		state = state_from_agent(facts_json_string(r, "state"));
		if (!id || !id[0] || strlen(id) >= FACTS_ID_MAX || state < 0)
			continue;
		if (n == FACTS_RULES_MAX) {
			snap->rules_cut = true;
			break;
		}
		out = &snap->rules[n++];
		copy(out->id, sizeof(out->id), id);
		copy(out->title, sizeof(out->title), facts_json_string(r, "title"));
		copy(out->severity, sizeof(out->severity), facts_json_string(r, "severity"));
		copy(out->type, sizeof(out->type), facts_json_string(r, "type"));
		out->state = (enum facts_state)state;
		out->since = MAX(get_int(r, "since", 0), (int64_t)0);
		copy(out->reason, sizeof(out->reason), facts_json_string(r, "reason"));
		copy_text(out->message, sizeof(out->message), r, "message");
		copy_text(out->remediation, sizeof(out->remediation), r, "remediation");
	}
	snap->n_rules = n;
	return 0;
}

static int parse_snapshot(yajl_val postured, struct facts *f)
{
	yajl_val posture = facts_json_get(postured, "posture"),
		 agent = facts_json_get(posture, "agent"),
		 policy = facts_json_get(posture, "policy"),
		 device = facts_json_get(posture, "device"),
		 completeness = facts_json_get(postured, "completeness"),
		 identity = facts_json_get(facts_json_get(posture, "collector"), "identity");
	struct facts_snapshot *snap = &f->snapshot;

	if (!YAJL_IS_OBJECT(posture))
		return 0;
	f->kind = FACTS_SNAPSHOT;
	copy(snap->hostname, sizeof(snap->hostname), facts_json_string(device, "hostname"));
	copy(snap->os, sizeof(snap->os), facts_json_string(device, "os"));
	copy(snap->agent_version, sizeof(snap->agent_version), facts_json_string(agent, "version"));
	snap->agent_healthy = !YAJL_IS_FALSE(facts_json_get(agent, "healthy"));
	snap->records_lost = clamp(get_int(agent, "records_lost", 0), FACTS_COUNT_MAX);
	copy(snap->policy_id, sizeof(snap->policy_id), facts_json_string(policy, "id"));
	snap->policy_serial = get_int(policy, "serial", 0);
	snap->interval_seconds =
		clamp(get_int(postured, "snapshot_interval_seconds", 0), FACTS_SECONDS_MAX);
	copy(snap->key_storage, sizeof(snap->key_storage),
	     facts_json_string(identity, "key_storage"));
	if (YAJL_IS_OBJECT(completeness)) {
		int64_t span =
			clamp(get_int(completeness, "interval_seconds", 0), FACTS_SECONDS_MAX);

		/* Each part at most the interval it is a part of. */
		snap->has_completeness = true;
		snap->since_previous_seconds = span;
		snap->watched_seconds = clamp(get_int(completeness, "watched_seconds", 0), span);
		snap->asleep_seconds = clamp(get_int(completeness, "asleep_seconds", 0), span);
		snap->stopped_seconds = clamp(get_int(completeness, "stopped_seconds", 0), span);
	}
	return parse_rules(facts_json_get(posture, "rules"), snap);
}

int facts_parse(const char *json, size_t size, int64_t class_uid, struct facts *ret)
{
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = NULL;
	struct facts f = { .kind = FACTS_NONE };
	yajl_val postured;
	const char *event, *log_name;
	int r;

	*ret = f;
	if (class_uid != CLASS_INVENTORY && class_uid != CLASS_LIFECYCLE)
		return 0;
	text = strndup(json, size);
	if (!text)
		return -ENOMEM;
	root = yajl_tree_parse(text, NULL, 0);
	if (!root)
		return 0; /* not for lack of memory: ingest checked the syntax */
	postured = facts_json_get(root, "postured");
	event = facts_json_string(postured, "event");
	log_name = facts_json_string(facts_json_get(root, "metadata"), "log_name");
	f.time = get_int(root, "time", 0);

	if (class_uid == CLASS_LIFECYCLE) {
		if (!event)
			return 0;
		if (strcmp(event, "agent_started") == 0)
			f.kind = FACTS_STARTED;
		else if (strcmp(event, "agent_stopped") == 0)
			f.kind = FACTS_STOPPED;
		else if (strcmp(event, "agent_suspended") == 0)
			f.kind = FACTS_SUSPENDED;
	} else if (event && strcmp(event, "records_lost") == 0) {
		f.kind = FACTS_LOSS;
		f.loss.count = clamp(get_int(postured, "count", 0), FACTS_COUNT_MAX);
		f.loss.total = clamp(get_int(postured, "lost_total", 0), FACTS_COUNT_MAX);
	} else if (log_name && strcmp(log_name, "posture") == 0) {
		r = parse_snapshot(postured, &f);
		if (r < 0) {
			facts_done(&f);
			return r;
		}
	}
	*ret = f;
	return f.kind != FACTS_NONE;
}

void facts_done(struct facts *f)
{
	if (!f)
		return;
	if (f->kind == FACTS_SNAPSHOT)
		free(f->snapshot.rules);
	*f = (struct facts){ .kind = FACTS_NONE };
}
