// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "version.h"

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static long long boot_to_ms(nsec_t boot, int64_t offset)
{
	return (long long)(decode_time_real(boot, offset) / 1000);
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms,
 * surrogates or code points past U+10FFFF), 0 when s does not start one.
 * Stops at a NUL, which is never a continuation byte.
 */
static size_t utf8_sequence_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Writes a string that came from a process or a file: those are bytes, and a
 * JSON line must be UTF-8 (yajl_gen passes bytes through, and a reader
 * rejects the whole line), so each byte that does not start a well-formed
 * sequence is written as U+FFFD.  Valid strings are written as they are.
 */
static void json_text(yajl_gen g, const char *key, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	char buf[3 * EVENT_ARGS_LEN + 4];
	size_t n = 0, k;

	while (*s && (k = utf8_sequence_len(s)) > 0)
		s += k;
	if (!*s) {
		json_str(g, key, value);
		return;
	}
	/* At most 3 bytes out per byte in; longer strings than argv are cut. */
	for (s = (const unsigned char *)value; *s && n + 4 <= sizeof(buf);) {
		k = utf8_sequence_len(s);
		if (k > 0) {
			memcpy(buf + n, s, k);
			n += k;
			s += k;
		} else {
			memcpy(buf + n, "\xef\xbf\xbd", 3);
			n += 3;
			s++;
		}
	}
	json_key(g, key);
	yajl_gen_string(g, (const unsigned char *)buf, n);
}

void format_cmd_line(const char *args, size_t size, char *out, size_t out_size)
{
	size_t i, n = 0;

	if (out_size == 0)
		return;
	/* Drop the trailing NUL(s); the ones between arguments become spaces. */
	while (size > 0 && args[size - 1] == '\0')
		size--;
	for (i = 0; i < size && n + 1 < out_size; i++)
		out[n++] = args[i] == '\0' ? ' ' : args[i];
	out[n] = '\0';
}

static void write_metadata(yajl_gen g, const char *log_name)
{
	json_open(g, "metadata");
	json_str(g, "version", OCSF_SCHEMA_VERSION);
	json_open(g, "product");
	json_str(g, "name", "postured");
	json_str(g, "vendor_name", "postured");
	json_str(g, "version", POSTURED_VERSION);
	json_close(g);
	json_str(g, "log_name", log_name);
	json_close(g);
}

static void write_device(yajl_gen g, const struct device_info *dev)
{
	json_open(g, "device");
	json_int(g, "type_id", dev->type_id);
	if (dev->uid[0])
		json_str(g, "uid", dev->uid);
	if (dev->hostname[0])
		json_text(g, "hostname", dev->hostname);
	json_open(g, "os");
	json_text(g, "name", dev->os_name[0] ? dev->os_name : "Linux");
	json_int(g, "type_id", 200);
	json_str(g, "type", "Linux");
	if (dev->os_version[0])
		json_text(g, "version", dev->os_version);
	if (dev->kernel_release[0])
		json_text(g, "kernel_release", dev->kernel_release);
	json_close(g);
	json_close(g);
}

static void write_user(yajl_gen g, uint32_t uid)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", uid);
	json_open(g, "user");
	json_str(g, "uid", buf);
	json_close(g);
}

static void write_file(yajl_gen g, const char *path)
{
	json_open(g, "file");
	json_text(g, "path", path);
	json_text(g, "name", basename_of(path));
	json_int(g, "type_id", 1); /* regular file */
	json_close(g);
}

/* A process known only from the table (the parent, the exiting process). */
static void write_entry_process(yajl_gen g, const char *key, uint32_t pid,
				const struct proc_entry *e, int64_t clock_offset)
{
	json_open(g, key);
	json_int(g, "pid", pid);
	if (e) {
		if (e->comm[0])
			json_text(g, "name", e->comm);
		if (e->exe)
			write_file(g, e->exe);
		write_user(g, e->uid);
		if (e->start_boot)
			json_int(g, "created_time", boot_to_ms(e->start_boot, clock_offset));
	}
	json_close(g);
}

void format_process_event(yajl_gen g, const struct decoded_event *ev, const struct proc_entry *self,
			  const struct proc_entry *parent, const struct device_info *dev,
			  int64_t clock_offset)
{
	const struct decoded_task *t = &ev->task;
	bool terminate = ev->kind == EVENT_KIND_EXIT;
	int activity = terminate ? 2 : 1;

	yajl_gen_map_open(g);
	json_int(g, "time", (long long)(ev->time_real / 1000));
	json_int(g, "class_uid", OCSF_CLASS_PROCESS_ACTIVITY);
	json_str(g, "class_name", "Process Activity");
	json_int(g, "category_uid", 1);
	json_str(g, "category_name", "System Activity");
	json_int(g, "activity_id", activity);
	json_str(g, "activity_name", terminate ? "Terminate" : "Launch");
	json_int(g, "type_uid", OCSF_CLASS_PROCESS_ACTIVITY * 100 + activity);
	json_str(g, "type_name",
		 terminate ? "Process Activity: Terminate" : "Process Activity: Launch");
	json_int(g, "severity_id", 1);
	json_str(g, "severity", "Informational");
	write_metadata(g, "process");
	write_device(g, dev);

	if (ev->kind == EVENT_KIND_EXEC) {
		json_int(g, "launch_type_id", 3);
		json_str(g, "launch_type", "Exec");
	} else if (ev->kind == EVENT_KIND_FORK) {
		json_int(g, "launch_type_id", 2);
		json_str(g, "launch_type", "Fork");
	} else {
		json_int(g, "exit_code", ev->exit.signal ? 128 + ev->exit.signal : ev->exit.status);
	}

	/* The actor: the parent that launched, or the process ending itself. */
	json_open(g, "actor");
	if (terminate)
		write_entry_process(g, "process", t->pid, self, clock_offset);
	else
		write_entry_process(g, "process", t->ppid, parent, clock_offset);
	json_close(g);

	json_open(g, "process");
	json_int(g, "pid", t->pid);
	json_int(g, "ptid", t->tid);
	if (t->comm[0])
		json_text(g, "name", t->comm);
	if (ev->kind == EVENT_KIND_EXEC) {
		write_file(g, ev->exec.filename);
		if (ev->exec.args_size > 0) {
			char cmd[EVENT_ARGS_LEN + 1];

			format_cmd_line(ev->exec.args, ev->exec.args_size, cmd, sizeof(cmd));
			json_text(g, "cmd_line", cmd);
		}
	} else if (self && self->exe) {
		write_file(g, self->exe);
	}
	write_user(g, t->uid);
	if (t->start_boot)
		json_int(g, "created_time", boot_to_ms(t->start_boot, clock_offset));
	if (terminate)
		json_int(g, "terminated_time", (long long)(ev->time_real / 1000));
	write_entry_process(g, "parent_process", t->ppid, parent, clock_offset);
	json_close(g);

	json_open(g, "postured");
	json_str(g, "event", event_kind_to_string(ev->kind));
	if (dev->boot_uid[0])
		json_str(g, "boot_uid", dev->boot_uid);
	json_u64(g, "time_boot_ns", ev->time_boot);
	json_int(g, "gid", t->gid);
	if (t->loginuid != UINT32_MAX)
		json_int(g, "loginuid", t->loginuid);
	json_u64(g, "cgroup_id", t->cgroup_id);
	if (ev->kind == EVENT_KIND_EXEC) {
		json_open(g, "exe");
		json_u64(g, "dev", ev->exec.exe_dev);
		json_u64(g, "ino", ev->exec.exe_ino);
		json_close(g);
		if (ev->exec.filename_truncated)
			json_bool(g, "filename_truncated", 1);
		if (ev->exec.args_truncated)
			json_bool(g, "args_truncated", 1);
	} else if (ev->kind == EVENT_KIND_EXIT) {
		json_int(g, "exit_status", ev->exit.status);
		json_int(g, "exit_signal", ev->exit.signal);
		if (ev->exit.core_dumped)
			json_bool(g, "core_dumped", 1);
	} else if (ev->fork.start_approx) {
		json_bool(g, "start_time_approximate", 1);
	}
	json_close(g);
	yajl_gen_map_close(g);
}
