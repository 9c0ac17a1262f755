/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's records as yajl trees: values at paths of object keys, what a
 * value is for messages, and EXPECT_JSON_*() that fail the test saying which
 * path held what instead.
 */
#ifndef POSTURED_TESTS_HARNESS_JSON_H
#define POSTURED_TESTS_HARNESS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "harness_report.h"

/* The value at a path of object keys, or NULL: harness_json(v, "process", "pid"). */
#define harness_json(v, ...) yajl_tree_get((v), (const char *[]){ __VA_ARGS__, NULL }, yajl_t_any)

/* Whether v is an integer; if so, *ret is it. */
bool harness_json_int(yajl_val v, long long *ret);

/* v's text when it is a string (v's own), else NULL. */
const char *harness_json_str(yajl_val v);

/* What a value is, for messages, into buf: missing, "text", 12, true, an object ...; returns buf. */
const char *harness_json_describe(yajl_val v, char *buf, size_t size);

/* The NULL-terminated path of keys joined with dots ("process.pid") into buf; returns buf. */
const char *harness_json_path(const char **path, char *buf, size_t size);

/* A finding's evidences[0] (its process, its connection), or NULL. */
yajl_val harness_finding_evidence(yajl_val finding);

/* The pid of a finding's evidence process (evidences[0].process.pid), or -1. */
long long harness_finding_pid(yajl_val finding);

/*
 * The record `what` (root) must hold the integer or string want at path, or
 * nothing there.  Return 0, or fail the test at file:line and return -1.
 */
int harness_expect_int_at(const char *file, int line, const char *what, yajl_val root,
			  long long want, const char **path);
int harness_expect_str_at(const char *file, int line, const char *what, yajl_val root,
			  const char *want, const char **path);
int harness_expect_absent_at(const char *file, int line, const char *what, yajl_val root,
			     const char **path);

/* In a test: the record `what` must hold the integer/string at the path, or have nothing there. */
#define EXPECT_JSON_INT(what, root, want, ...)                          \
	TRY(harness_expect_int_at(__FILE__, __LINE__, what, root, want, \
				  (const char *[]){ __VA_ARGS__, NULL }))
#define EXPECT_JSON_STR(what, root, want, ...)                          \
	TRY(harness_expect_str_at(__FILE__, __LINE__, what, root, want, \
				  (const char *[]){ __VA_ARGS__, NULL }))
#define EXPECT_JSON_ABSENT(what, root, ...)                          \
	TRY(harness_expect_absent_at(__FILE__, __LINE__, what, root, \
				     (const char *[]){ __VA_ARGS__, NULL }))

#endif
