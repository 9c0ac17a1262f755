// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <string.h>

#include "harness_json.h"

bool harness_json_int(yajl_val v, long long *ret)
{
	if (!v || !YAJL_IS_INTEGER(v))
		return false;
	*ret = YAJL_GET_INTEGER(v);
	return true;
}

const char *harness_json_str(yajl_val v)
{
	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

const char *harness_json_describe(yajl_val v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "nothing (the key is missing)");
	else if (YAJL_IS_STRING(v))
		snprintf(buf, size, "\"%.200s\"", YAJL_GET_STRING(v));
	else if (YAJL_IS_INTEGER(v))
		snprintf(buf, size, "%lld", YAJL_GET_INTEGER(v));
	else if (YAJL_IS_NUMBER(v))
		snprintf(buf, size, "%s", YAJL_GET_NUMBER(v));
	else if (YAJL_IS_TRUE(v))
		snprintf(buf, size, "true");
	else if (YAJL_IS_FALSE(v))
		snprintf(buf, size, "false");
	else if (YAJL_IS_NULL(v))
		snprintf(buf, size, "null");
	else if (YAJL_IS_OBJECT(v))
		snprintf(buf, size, "an object");
	else
		snprintf(buf, size, "an array");
	return buf;
}

const char *harness_json_path(const char **path, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; path[i] && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "." : "", path[i]);
	return buf;
}

yajl_val harness_finding_evidence(yajl_val finding)
{
	yajl_val ev = harness_json(finding, "evidences");

	return ev && YAJL_IS_ARRAY(ev) && ev->u.array.len > 0 ? ev->u.array.values[0] : NULL;
}

long long harness_finding_pid(yajl_val finding)
{
	long long pid;

	if (!harness_json_int(harness_json(harness_finding_evidence(finding), "process", "pid"),
			      &pid))
		return -1;
	return pid;
}

int harness_expect_int_at(const char *file, int line, const char *what, yajl_val root,
			  long long want, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	char p[256], d[256];
	long long have;

	if (harness_json_int(v, &have) && have == want)
		return 0;
	return harness_fail_at(file, line, "%s: expected %s == %lld, saw %s", what,
			       harness_json_path(path, p, sizeof(p)), want,
			       harness_json_describe(v, d, sizeof(d)));
}

int harness_expect_str_at(const char *file, int line, const char *what, yajl_val root,
			  const char *want, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	const char *have = harness_json_str(v);
	char p[256], d[512];

	if (have && strcmp(have, want) == 0)
		return 0;
	return harness_fail_at(file, line, "%s: expected %s == \"%s\", saw %s", what,
			       harness_json_path(path, p, sizeof(p)), want,
			       harness_json_describe(v, d, sizeof(d)));
}

int harness_expect_absent_at(const char *file, int line, const char *what, yajl_val root,
			     const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_any);
	char p[256], d[512];

	if (!v)
		return 0;
	return harness_fail_at(file, line, "%s: expected no %s, saw %s", what,
			       harness_json_path(path, p, sizeof(p)),
			       harness_json_describe(v, d, sizeof(d)));
}
