// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "harness_files.h"
#include "harness_json.h"
#include "harness_paths.h"
#include "harness_policy.h"
#include "harness_report.h"

/* Only records of findings (Compliance Finding, class 2003) are parsed while waiting. */
#define FINDING_PREFILTER "\"class_uid\":2003"

int harness_policy_env_init(struct harness_policy_env *e, const char *prefix)
{
	char text[PATH_MAX + 64];
	uint32_t rnd;

	*e = (struct harness_policy_env){};
	TRY(harness_tmpdir_new(&e->dir));
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return harness_fail("getrandom: %m");
	snprintf(e->name, sizeof(e->name), "%.200s-%08x", prefix, rnd);
	snprintf(e->prog, sizeof(e->prog), "%s/%s", e->dir, e->name);
	snprintf(e->policy, sizeof(e->policy), "%s/policy.json", e->dir);
	snprintf(e->config, sizeof(e->config), "%s/postured.conf", e->dir);
	TRY(harness_copy_file(harness_helper("write_marker"), e->prog));
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\" }\n", e->policy);
	return harness_write_file(e->config, text);
}

void harness_policy_env_done(struct harness_policy_env *e)
{
	harness_tmpdir_freep(&e->dir);
}

const char *harness_policy_env_marker(struct harness_policy_env *e)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/marker-%u", e->dir, ++e->markers);
	(void)unlink(buf);
	return buf;
}

int harness_policy_env_template(struct harness_policy_env *e, const char *name,
				const char *const *vars)
{
	_cleanup_free_ char *tmpl = NULL, *text = NULL;
	char rel[128];

	snprintf(rel, sizeof(rel), "tests/fixtures/agent-policies/%s", name);
	TRY(harness_read_text(harness_source_path(rel), &tmpl));
	text = harness_substitute(tmpl, vars);
	if (!text)
		return harness_fail("Out of memory");
	return harness_replace_file(e->policy, text);
}

int harness_policy_env_deny(struct harness_policy_env *e, const char *mode, unsigned serial,
			    const char *match)
{
	char s[16], by_name[NAME_MAX + 32];

	snprintf(s, sizeof(s), "%u", serial);
	if (!match) {
		snprintf(by_name, sizeof(by_name), "\"name\": \"%s\"", e->name);
		match = by_name;
	}
	return harness_policy_env_template(e, "deny.json.in",
					   (const char *const[]){ "SERIAL", s, "MODE", mode,
								  "MATCH", match, NULL });
}

struct finding_wait {
	const char *kind; /* postured.finding */
	pid_t pid; /* the evidence's pid; 0: any */
	yajl_val found; /* the first that matched */
	unsigned seen; /* findings of any kind passed by */
	char seen_kinds[256];
};

static int finding_event(yajl_val *ev, void *userdata)
{
	struct finding_wait *w = userdata;
	const char *kind = harness_json_str(harness_json(*ev, "postured", "finding"));
	size_t n = strlen(w->seen_kinds);

	w->seen++;
	if (n + 40 < sizeof(w->seen_kinds))
		snprintf(w->seen_kinds + n, sizeof(w->seen_kinds) - n, "%s%s (pid %lld)",
			 n ? ", " : "", kind ? kind : "?", harness_finding_pid(*ev));
	if (!kind || strcmp(kind, w->kind) != 0)
		return 0;
	if (w->pid > 0 && harness_finding_pid(*ev) != w->pid)
		return 0;
	w->found = TAKE_PTR(*ev);
	return 1;
}

int harness_wait_finding(struct harness_agent *a, const char *kind, pid_t pid, int timeout_ms,
			 yajl_val *ret)
{
	struct finding_wait w = { .kind = kind, .pid = pid };
	int r;

	r = harness_agent_wait(a, timeout_ms, FINDING_PREFILTER, finding_event, &w);
	if (r < 0 && r != -EPIPE)
		return harness_fail("Reading from postured: %s", strerror(-r));
	if (!w.found)
		return harness_fail(
			"No \"%s\" finding about pid %d within %d ms (%u other findings: "
			"%s). Its stderr: %s",
			kind, (int)pid, timeout_ms, w.seen, w.seen ? w.seen_kinds : "none",
			harness_agent_stderr(a));
	if (ret)
		*ret = w.found;
	else
		yajl_tree_free(w.found);
	return 0;
}
