// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OCSF Process Activity objects: every output is parsed back with
 * yajl_tree and checked field by field, the way a collector would read it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "postured/format.h"
#include "basic/json-util.h"
#include "fixtures.h"

/* Formats with a generator set up as the agent's, and parses the result back. */
static yajl_val render_with(const struct decoded_event *ev, const struct proc_entry *self,
			    const struct proc_entry *parent, const struct device_info *dev)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = yajl_gen_alloc(NULL);

	assert_non_null(g);
	yajl_gen_config(g, yajl_gen_validate_utf8, 0);
	format_process_event(g, ev, self, parent, dev, FIXTURE_OFFSET_NS);
	return fixture_json_parse(g);
}

static yajl_val render(const struct decoded_event *ev, const struct proc_entry *self,
		       const struct proc_entry *parent)
{
	return render_with(ev, self, parent, &fixture_device);
}

/* The value at a path such as "process.file.path", or NULL. */
static yajl_val get(yajl_val root, const char *dotted)
{
	char buf[256], *save = NULL, *tok;
	const char *path[16];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok && n < 15; tok = strtok_r(NULL, ".", &save))
		path[n++] = tok;
	path[n] = NULL;
	return yajl_tree_get(root, path, yajl_t_any);
}

static long long get_int(yajl_val root, const char *dotted)
{
	yajl_val v = get(root, dotted);

	if (!v || !YAJL_IS_INTEGER(v))
		fail_msg("\"%s\" is missing or not an integer", dotted);
	return YAJL_GET_INTEGER(v);
}

static const char *get_str(yajl_val root, const char *dotted)
{
	yajl_val v = get(root, dotted);

	if (!v || !YAJL_IS_STRING(v))
		fail_msg("\"%s\" is missing or not a string", dotted);
	return YAJL_GET_STRING(v);
}

static bool get_bool(yajl_val root, const char *dotted)
{
	yajl_val v = get(root, dotted);

	if (!v || !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)))
		fail_msg("\"%s\" is missing or not a boolean", dotted);
	return YAJL_IS_TRUE(v);
}

/* An instant ns after boot as OCSF writes time: ms since the epoch. */
static long long epoch_ms(unsigned long long ns)
{
	return (ns + FIXTURE_OFFSET_NS) / 1000000;
}

static void assert_common(yajl_val root, int activity)
{
	long long class_uid = get_int(root, "class_uid");

	assert_int_equal(class_uid, 1007);
	assert_string_equal(get_str(root, "class_name"), "Process Activity");
	assert_int_equal(get_int(root, "category_uid"), 1);
	assert_int_equal(get_int(root, "activity_id"), activity);
	assert_int_equal(get_int(root, "type_uid"), class_uid * 100 + get_int(root, "activity_id"));
	assert_string_equal(get_str(root, "activity_name"), activity == 1 ? "Launch" : "Terminate");
	assert_int_equal(get_int(root, "severity_id"), 1);
	/* OCSF time is ms since the epoch. */
	assert_int_equal(get_int(root, "time"), epoch_ms(FIXTURE_BOOT_NS));
	assert_string_equal(get_str(root, "metadata.version"), OCSF_SCHEMA_VERSION);
	assert_string_equal(get_str(root, "metadata.product.name"), "postured");
	assert_string_equal(get_str(root, "metadata.log_name"), "process");
	assert_int_equal(get_int(root, "device.type_id"), 3);
	assert_string_equal(get_str(root, "device.uid"), fixture_device.uid);
	assert_string_equal(get_str(root, "device.hostname"), "laptop-042");
	assert_string_equal(get_str(root, "device.os.name"), "Debian GNU/Linux");
	assert_string_equal(get_str(root, "device.os.version"), "12");
	assert_string_equal(get_str(root, "device.os.kernel_release"), "6.1.0-test");
	assert_int_equal(get_int(root, "device.os.type_id"), 200);
	assert_string_equal(get_str(root, "postured.boot_uid"), fixture_device.boot_uid);
	assert_int_equal(get_int(root, "postured.time_boot_ns"), FIXTURE_BOOT_NS);
	assert_int_equal(get_int(root, "process.pid"), 4242);
	assert_int_equal(get_int(root, "process.ptid"), 4243);
	assert_string_equal(get_str(root, "process.user.uid"), "1000");
	assert_int_equal(get_int(root, "process.created_time"), epoch_ms(FIXTURE_START_NS));
	assert_int_equal(get_int(root, "postured.gid"), 1001);
	assert_int_equal(get_int(root, "postured.loginuid"), 1000);
	assert_int_equal(get_int(root, "postured.cgroup_id"), 9876);
}

static void test_exec(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = render(&ev, &fixture_self, &fixture_parent);

	assert_common(root, 1);
	assert_string_equal(get_str(root, "type_name"), "Process Activity: Launch");
	assert_int_equal(get_int(root, "type_uid"), 100701);
	assert_int_equal(get_int(root, "launch_type_id"), 3);
	assert_string_equal(get_str(root, "launch_type"), "Exec");
	assert_null(get(root, "exit_code"));
	assert_string_equal(get_str(root, "process.name"), "ls");
	assert_string_equal(get_str(root, "process.file.path"), "/usr/bin/ls");
	assert_string_equal(get_str(root, "process.file.name"), "ls");
	assert_null(get(root, "process.cmd_line"));
	assert_null(get(root, "process.terminated_time"));
	/* A launch's actor is the parent. */
	assert_int_equal(get_int(root, "actor.process.pid"), 4000);
	assert_string_equal(get_str(root, "actor.process.name"), "bash");
	assert_string_equal(get_str(root, "actor.process.file.path"), "/usr/bin/bash");
	assert_string_equal(get_str(root, "actor.process.file.name"), "bash");
	assert_int_equal(get_int(root, "actor.process.created_time"), epoch_ms(FIXTURE_PARENT_NS));
	assert_int_equal(get_int(root, "process.parent_process.pid"), 4000);
	assert_string_equal(get_str(root, "process.parent_process.file.path"), "/usr/bin/bash");
	assert_string_equal(get_str(root, "postured.event"), "exec");
	assert_int_equal(get_int(root, "postured.exe.dev"), 2049);
	assert_int_equal(get_int(root, "postured.exe.ino"), 131313);
	assert_null(get(root, "postured.filename_truncated"));
	assert_null(get(root, "postured.args_truncated"));
}

static void test_exec_args(void **state)
{
	static const char args[] = "ls\0-la\0/tmp/a dir"; /* sizeof counts the last NUL */
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	memcpy(ev.exec.args, args, sizeof(args));
	ev.exec.args_size = sizeof(args);
	ev.exec.filename_truncated = true;
	ev.exec.args_truncated = true;
	root = render(&ev, &fixture_self, &fixture_parent);
	assert_string_equal(get_str(root, "process.cmd_line"), "ls -la /tmp/a dir");
	assert_true(get_bool(root, "postured.filename_truncated"));
	assert_true(get_bool(root, "postured.args_truncated"));
}

static void test_exec_unknown_parent(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	ev.task.loginuid = UINT32_MAX;
	ev.task.start_boot = 0;
	root = render(&ev, NULL, NULL);
	assert_int_equal(get_int(root, "actor.process.pid"), 4000);
	assert_null(get(root, "actor.process.name"));
	assert_null(get(root, "actor.process.file"));
	assert_null(get(root, "actor.process.created_time"));
	assert_int_equal(get_int(root, "process.parent_process.pid"), 4000);
	assert_null(get(root, "process.parent_process.file"));
	assert_null(get(root, "process.created_time"));
	/* An unset login uid is left out rather than sent as 4294967295. */
	assert_null(get(root, "postured.loginuid"));
	assert_string_equal(get_str(root, "process.file.path"), "/usr/bin/ls");
}

static void test_fork(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_FORK);
	struct proc_entry child = fixture_self;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	/* A forked child runs its parent's executable until it execs. */
	child.exe = (char *)"/usr/bin/bash";
	strcpy(ev.task.comm, "bash");
	ev.fork.parent_tid = 4000;
	ev.fork.start_approx = true;
	root = render(&ev, &child, &fixture_parent);
	assert_common(root, 1);
	assert_int_equal(get_int(root, "type_uid"), 100701);
	assert_int_equal(get_int(root, "launch_type_id"), 2);
	assert_string_equal(get_str(root, "launch_type"), "Fork");
	assert_string_equal(get_str(root, "process.file.path"), "/usr/bin/bash");
	assert_string_equal(get_str(root, "process.file.name"), "bash");
	assert_int_equal(get_int(root, "actor.process.pid"), 4000);
	assert_string_equal(get_str(root, "actor.process.file.path"), "/usr/bin/bash");
	assert_string_equal(get_str(root, "postured.event"), "fork");
	assert_true(get_bool(root, "postured.start_time_approximate"));
	assert_null(get(root, "postured.exe"));
	assert_null(get(root, "exit_code"));
}

static void test_fork_without_self(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_FORK);
	_cleanup_(yajl_tree_freep) yajl_val root = render(&ev, NULL, &fixture_parent);

	assert_int_equal(get_int(root, "launch_type_id"), 2);
	assert_null(get(root, "process.file"));
	assert_null(get(root, "postured.start_time_approximate"));
}

static void test_exit(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXIT);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	ev.exit.status = 3;
	root = render(&ev, &fixture_self, &fixture_parent);
	assert_common(root, 2);
	assert_int_equal(get_int(root, "type_uid"), 100702);
	assert_string_equal(get_str(root, "type_name"), "Process Activity: Terminate");
	assert_null(get(root, "launch_type_id"));
	assert_int_equal(get_int(root, "exit_code"), 3);
	/* An exit's actor is the process itself. */
	assert_int_equal(get_int(root, "actor.process.pid"), 4242);
	assert_string_equal(get_str(root, "actor.process.name"), "ls");
	assert_string_equal(get_str(root, "actor.process.file.path"), "/usr/bin/ls");
	assert_int_equal(get_int(root, "actor.process.created_time"), epoch_ms(FIXTURE_START_NS));
	assert_string_equal(get_str(root, "process.file.path"), "/usr/bin/ls");
	assert_int_equal(get_int(root, "process.terminated_time"), epoch_ms(FIXTURE_BOOT_NS));
	assert_int_equal(get_int(root, "process.parent_process.pid"), 4000);
	assert_string_equal(get_str(root, "postured.event"), "exit");
	assert_int_equal(get_int(root, "postured.exit_status"), 3);
	assert_int_equal(get_int(root, "postured.exit_signal"), 0);
	assert_null(get(root, "postured.core_dumped"));
}

static void test_exit_signal(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXIT);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL, root2 = NULL;

	ev.exit.signal = 9;
	root = render(&ev, &fixture_self, &fixture_parent);
	assert_int_equal(get_int(root, "exit_code"), 128 + 9);
	assert_int_equal(get_int(root, "postured.exit_signal"), 9);
	assert_int_equal(get_int(root, "postured.exit_status"), 0);

	ev.exit.signal = 11;
	ev.exit.core_dumped = true;
	root2 = render(&ev, NULL, NULL);
	assert_int_equal(get_int(root2, "exit_code"), 128 + 11);
	assert_true(get_bool(root2, "postured.core_dumped"));
	/* Without a table entry the actor is still the exiting pid. */
	assert_int_equal(get_int(root2, "actor.process.pid"), 4242);
	assert_null(get(root2, "actor.process.file"));
	assert_null(get(root2, "process.file"));
}

static void test_minimal_device(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	struct device_info dev = { .type_id = 0 };
	_cleanup_(yajl_tree_freep) yajl_val root = render_with(&ev, NULL, NULL, &dev);

	assert_int_equal(get_int(root, "device.type_id"), 0);
	assert_null(get(root, "device.uid"));
	assert_null(get(root, "device.hostname"));
	assert_string_equal(get_str(root, "device.os.name"), "Linux");
	assert_null(get(root, "device.os.version"));
	assert_null(get(root, "postured.boot_uid"));
}

static void test_large_numbers(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	/* Beyond a signed 64-bit integer: sent as a decimal string, not wrapped. */
	ev.exec.exe_ino = UINT64_MAX;
	ev.task.cgroup_id = (uint64_t)INT64_MAX + 1;
	ev.task.start_boot = UINT64_MAX;
	ev.time_boot = UINT64_MAX;
	root = render(&ev, NULL, NULL);
	assert_string_equal(get_str(root, "postured.exe.ino"), "18446744073709551615");
	assert_string_equal(get_str(root, "postured.cgroup_id"), "9223372036854775808");
	assert_string_equal(get_str(root, "postured.time_boot_ns"), "18446744073709551615");
	assert_true(get_int(root, "process.created_time") > 0);
}

static void test_cmd_line(void **state)
{
	char out[32];

	format_cmd_line("a\0b\0c", 6, out, sizeof(out));
	assert_string_equal(out, "a b c");
	/* Without the final NUL (the probe cut the arguments). */
	format_cmd_line("a\0b\0c", 5, out, sizeof(out));
	assert_string_equal(out, "a b c");
	/* Empty arguments stay visible as double spaces; trailing NULs go. */
	format_cmd_line("a\0\0b\0\0\0", 7, out, sizeof(out));
	assert_string_equal(out, "a  b");
	format_cmd_line("", 0, out, sizeof(out));
	assert_string_equal(out, "");
	format_cmd_line("\0\0\0", 3, out, sizeof(out));
	assert_string_equal(out, "");

	/* Cut to the output size, always terminated. */
	format_cmd_line("abcdef\0ghi", 11, out, 5);
	assert_string_equal(out, "abcd");
	format_cmd_line("abc", 4, out, 1);
	assert_string_equal(out, "");
	out[0] = 'x';
	format_cmd_line("abc", 4, out, 0);
	assert_int_equal(out[0], 'x');
}

static void test_escaping(void **state)
{
	static const char name[] = "/tmp/we\"ird\\na\nme\t\x01\x1f/end";
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	strcpy(ev.exec.filename, name);
	strcpy(ev.task.comm, "a\"b\nc");
	root = render(&ev, NULL, NULL);
	/* Valid UTF-8, however odd, comes back byte for byte. */
	assert_string_equal(get_str(root, "process.file.path"), name);
	assert_string_equal(get_str(root, "process.file.name"), "end");
	assert_string_equal(get_str(root, "process.name"), "a\"b\nc");
}

static void test_utf8(void **state)
{
	static const char args[] =
		"echo\0\xed\xa0\x80\0\xc0\xaf\0\xf4\x90\x80\x80\0ok\xf0\x9f\x98\x80";
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	struct proc_entry parent = fixture_parent;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	/* Paths are bytes: valid UTF-8 must pass as is, invalid bytes must not break the line. */
	strcpy(ev.exec.filename, "/home/j\xc3\xb6rg/\xe2\x82\xac/bad\xff\xfe\"x\"/cut\xc3");
	/* The kernel cuts comm at 15 bytes, possibly inside a character. */
	strcpy(ev.task.comm, "\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3");
	memcpy(ev.exec.args, args, sizeof(args));
	ev.exec.args_size = sizeof(args);
	parent.exe = (char *)"/opt/\x80\x80/tool";
	root = render(&ev, NULL, &parent);

	/* Each invalid byte becomes U+FFFD; the valid parts are kept. */
	assert_string_equal(get_str(root, "process.file.path"),
			    "/home/j\xc3\xb6rg/\xe2\x82\xac/bad\xef\xbf\xbd\xef\xbf\xbd\"x\"/"
			    "cut\xef\xbf\xbd");
	assert_string_equal(get_str(root, "process.file.name"), "cut\xef\xbf\xbd");
	assert_string_equal(get_str(root, "process.name"),
			    "\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xc3\xb1\xef\xbf\xbd");
	/* Surrogates, overlong forms and code points past U+10FFFF are invalid too. */
	assert_string_equal(get_str(root, "process.cmd_line"),
			    "echo \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok\xf0\x9f\x98\x80");
	assert_string_equal(get_str(root, "actor.process.file.path"),
			    "/opt/\xef\xbf\xbd\xef\xbf\xbd/tool");
}

static void test_longest_strings(void **state)
{
	struct decoded_event ev = fixture_event(EVENT_KIND_EXEC);
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;

	/* Every byte invalid, at the largest sizes the decoder produces. */
	memset(ev.exec.filename, 0xff, EVENT_PATH_LEN - 1);
	ev.exec.filename[EVENT_PATH_LEN - 1] = '\0';
	memset(ev.exec.args, 0xfe, EVENT_ARGS_LEN);
	ev.exec.args[EVENT_ARGS_LEN] = '\0';
	ev.exec.args_size = EVENT_ARGS_LEN;
	memset(ev.task.comm, 0x80, EVENT_COMM_LEN);
	ev.task.comm[EVENT_COMM_LEN] = '\0';
	root = render(&ev, NULL, NULL);
	assert_int_equal(strlen(get_str(root, "process.file.path")), 3 * (EVENT_PATH_LEN - 1));
	assert_int_equal(strlen(get_str(root, "process.cmd_line")), 3 * EVENT_ARGS_LEN);
	assert_int_equal(strlen(get_str(root, "process.name")), 3 * EVENT_COMM_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_args),
		cmocka_unit_test(test_exec_unknown_parent),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_fork_without_self),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_exit_signal),
		cmocka_unit_test(test_minimal_device),
		cmocka_unit_test(test_large_numbers),
		cmocka_unit_test(test_cmd_line),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_longest_strings),
	};

	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
