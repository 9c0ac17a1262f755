// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "checks/checks.h"
#include "format.h"
#include "basic/json-util.h"
#include "ocsf.h"

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
 * json_text_value() writes the string alone (an array's element).
 */
static void json_text_value(yajl_gen g, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	char buf[3 * EVENT_ARGS_LEN + 4];
	size_t n = 0, k;

	while (*s && (k = utf8_sequence_len(s)) > 0)
		s += k;
	if (!*s) {
		yajl_gen_string(g, (const unsigned char *)value, strlen(value));
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
	yajl_gen_string(g, (const unsigned char *)buf, n);
}

void format_write_text(yajl_gen g, const char *key, const char *value)
{
	json_key(g, key);
	json_text_value(g, value);
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

void format_write_device(yajl_gen g, const struct device_info *dev)
{
	json_open(g, "device");
	json_int(g, "type_id", dev->type_id);
	if (dev->uid[0])
		json_str(g, "uid", dev->uid);
	if (dev->hostname[0])
		format_write_text(g, "hostname", dev->hostname);
	json_open(g, "os");
	format_write_text(g, "name", dev->os_name[0] ? dev->os_name : "Linux");
	json_int(g, "type_id", 200);
	json_str(g, "type", "Linux");
	if (dev->os_version[0])
		format_write_text(g, "version", dev->os_version);
	if (dev->kernel_release[0])
		format_write_text(g, "kernel_release", dev->kernel_release);
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

/* An OCSF file object; sha256 (hex) goes in its hashes when known. */
static void write_file_hashed(yajl_gen g, const char *path, const char *sha256)
{
	json_open(g, "file");
	format_write_text(g, "path", path);
	format_write_text(g, "name", basename_of(path));
	json_int(g, "type_id", 1); /* regular file */
	if (sha256 && sha256[0]) {
		json_key(g, "hashes");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		json_int(g, "algorithm_id", 3);
		json_str(g, "algorithm", "SHA-256");
		json_str(g, "value", sha256);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	json_close(g);
}

static void write_file(yajl_gen g, const char *path)
{
	write_file_hashed(g, path, NULL);
}

static const char *stdio_kind_name(uint8_t kind)
{
	static const char *const names[_EVENT_STDIO_MAX] = {
		[EVENT_STDIO_CLOSED] = "closed",	 [EVENT_STDIO_FILE] = "file",
		[EVENT_STDIO_CHAR] = "character_device", [EVENT_STDIO_PIPE] = "pipe",
		[EVENT_STDIO_UNIX] = "unix_socket",	 [EVENT_STDIO_NETWORK] = "network_socket",
		[EVENT_STDIO_SOCKET] = "socket",	 [EVENT_STDIO_OTHER] = "other",
	};

	return kind < _EVENT_STDIO_MAX ? names[kind] : "other";
}

/*
 * What the kernel found at an exec, in the postured extension: where the
 * program lies, the script a #! interpreter runs, and what its standard
 * descriptors are (with the other end of a network socket, and the program
 * writing into a pipe on its input).  Only the descriptors that say
 * something are listed: pipes and sockets (a file, a terminal, /dev/null or
 * a closed one is what nearly every program has), and nothing of what flows
 * through them.  Left out entirely when there is nothing to say: every exec
 * of an audit trail has this, so it stays short.
 */
static void write_exec_facts(yajl_gen g, unsigned location, const char *script,
			     const char *stdin_from, const struct decoded_stdio *stdio)
{
	static const char *const fds[3] = { "stdin", "stdout", "stderr" };
	bool telling[3] = {};
	bool any = location || (script && script[0]);

	for (size_t i = 0; stdio && i < 3; i++) {
		telling[i] = stdio[i].kind >= EVENT_STDIO_PIPE;
		any |= telling[i];
	}
	if (!any)
		return;
	json_open(g, "exec");
	json_key(g, "location");
	yajl_gen_array_open(g);
	if (location & POLICY_LOCATION_MEMORY)
		yajl_gen_string(g, (const unsigned char *)"memory", strlen("memory"));
	if (location & POLICY_LOCATION_WORLD_WRITABLE)
		yajl_gen_string(g, (const unsigned char *)"world_writable",
				strlen("world_writable"));
	yajl_gen_array_close(g);
	if (script && script[0])
		format_write_text(g, "script", script);
	for (size_t i = 0; stdio && i < 3; i++) {
		const struct decoded_stdio *s = &stdio[i];

		if (!telling[i])
			continue;
		json_open(g, fds[i]);
		json_str(g, "kind", stdio_kind_name(s->kind));
		if (s->kind == EVENT_STDIO_NETWORK) {
			char addr[INET6_ADDRSTRLEN];

			json_str(g, "protocol", s->protocol == IPPROTO_TCP ? "tcp" : "udp");
			if (inet_ntop(s->family, s->remote_addr, addr, sizeof(addr)))
				json_str(g, "remote_address", addr);
			json_int(g, "remote_port", s->remote_port);
			json_int(g, "local_port", s->local_port);
		}
		if (i == 0 && s->kind == EVENT_STDIO_PIPE && stdin_from && stdin_from[0])
			format_write_text(g, "writer", stdin_from);
		json_close(g);
	}
	json_close(g);
}

/* A process known only from the table (the parent, the exiting process). */
void format_write_process(yajl_gen g, const char *key, uint32_t pid, const struct proc_entry *e,
			  int64_t clock_offset)
{
	json_open(g, key);
	json_int(g, "pid", pid);
	if (e) {
		if (e->comm[0])
			format_write_text(g, "name", e->comm);
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

	ocsf_write_class(g, (long long)(ev->time_real / 1000),
			 &(const struct ocsf_class){
				 .class_uid = OCSF_CLASS_PROCESS_ACTIVITY,
				 .class_name = "Process Activity",
				 .category_uid = 1,
				 .category_name = "System Activity",
				 .activity_id = activity,
				 .activity_name = terminate ? "Terminate" : "Launch",
				 .severity_id = 1,
				 .severity = "Informational",
			 });
	ocsf_write_metadata(g, "process", NULL);
	format_write_device(g, dev);

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
		format_write_process(g, "process", t->pid, self, clock_offset);
	else
		format_write_process(g, "process", t->ppid, parent, clock_offset);
	json_close(g);

	json_open(g, "process");
	json_int(g, "pid", t->pid);
	json_int(g, "ptid", t->tid);
	if (t->comm[0])
		format_write_text(g, "name", t->comm);
	if (ev->kind == EVENT_KIND_EXEC) {
		write_file(g, ev->exec.exe_path[0] && !ev->exec.exe_path_truncated ?
				      ev->exec.exe_path :
				      ev->exec.filename);
		if (ev->exec.args_size > 0) {
			char cmd[EVENT_ARGS_LEN + 1];

			format_cmd_line(ev->exec.args, ev->exec.args_size, cmd, sizeof(cmd));
			format_write_text(g, "cmd_line", cmd);
		}
	} else if (self && self->exe) {
		write_file(g, self->exe);
	}
	write_user(g, t->uid);
	if (t->start_boot)
		json_int(g, "created_time", boot_to_ms(t->start_boot, clock_offset));
	if (terminate)
		json_int(g, "terminated_time", (long long)(ev->time_real / 1000));
	format_write_process(g, "parent_process", t->ppid, parent, clock_offset);
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
		write_exec_facts(g, finding_exec_location(ev->exec.facts),
				 ev->exec.script ? ev->exec.filename : NULL, ev->exec.stdin_writer,
				 ev->exec.stdio);
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

static int severity_id(enum policy_severity s)
{
	switch (s) {
	case POLICY_SEVERITY_INFO:
		return 1;
	case POLICY_SEVERITY_LOW:
		return 2;
	case POLICY_SEVERITY_MEDIUM:
		return 3;
	case POLICY_SEVERITY_HIGH:
		return 4;
	case POLICY_SEVERITY_CRITICAL:
		return 5;
	}
	return 0;
}

static const char *const severity_names[] = { "Unknown", "Informational", "Low",
					      "Medium",	 "High",	  "Critical" };

void format_rule_texts(yajl_gen g, const char *key, const policy_rule *r,
		       enum policy_text_kind kind)
{
	json_open(g, key);
	for (size_t i = 0; i < policy_rule_text_count(r, kind); i++) {
		const struct policy_text_entry *t = policy_rule_text_at(r, kind, i);

		format_write_text(g, t->lang, t->text);
	}
	json_close(g);
}

static void write_finding_process(yajl_gen g, const struct finding *f)
{
	const struct finding_process *p = &f->process;
	char uid[16];

	json_open(g, "process");
	json_int(g, "pid", p->pid);
	if (p->name[0])
		format_write_text(g, "name", p->name);
	if (p->path[0])
		write_file_hashed(g, p->path, p->sha256);
	if (p->cmd_line[0])
		format_write_text(g, "cmd_line", p->cmd_line);
	snprintf(uid, sizeof(uid), "%u", p->uid);
	json_open(g, "user");
	json_str(g, "uid", uid);
	json_close(g);
	if (f->n_ancestors > 0) {
		json_open(g, "parent_process");
		json_int(g, "pid", f->ancestors[0].pid);
		if (f->ancestors[0].path[0])
			write_file(g, f->ancestors[0].path);
		json_close(g);
	}
	json_close(g);
}

/* An address of a network finding as text; "" when the family is unknown. */
static void network_addr_text(const struct finding_network *n, const uint8_t *addr, char *buf,
			      size_t size)
{
	if (!inet_ntop(n->family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)size))
		buf[0] = '\0';
}

static void write_network_endpoint(yajl_gen g, const char *key, const struct finding_network *n,
				   const uint8_t *addr, bool has_addr, uint16_t port)
{
	char text[INET6_ADDRSTRLEN];

	if (!has_addr && port == 0)
		return;
	json_open(g, key);
	if (has_addr) {
		network_addr_text(n, addr, text, sizeof(text));
		if (text[0])
			json_str(g, "ip", text);
	}
	if (port)
		json_int(g, "port", port);
	json_close(g);
}

static const char *net_protocol_name(uint8_t protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "unknown";
}

/* The connection of a network finding, as OCSF evidence: who talked to whom, how. */
static void write_network_evidence(yajl_gen g, const struct finding_network *n)
{
	bool outbound = n->direction == POLICY_NET_OUTBOUND;

	json_open(g, "connection_info");
	json_str(g, "protocol_name", net_protocol_name(n->protocol));
	json_int(g, "protocol_num", n->protocol);
	json_int(g, "protocol_ver_id", n->family == AF_INET6 ? 6 : 4);
	/* A listener waits for inbound connections. */
	json_int(g, "direction_id", outbound ? 2 : 1);
	json_str(g, "direction", outbound ? "Outbound" : "Inbound");
	json_close(g);
	if (outbound) {
		write_network_endpoint(g, "src_endpoint", n, n->local_addr, n->has_local,
				       n->local_port);
		write_network_endpoint(g, "dst_endpoint", n, n->remote_addr, n->has_remote,
				       n->remote_port);
	} else {
		write_network_endpoint(g, "src_endpoint", n, n->remote_addr, n->has_remote,
				       n->remote_port);
		write_network_endpoint(g, "dst_endpoint", n, n->local_addr, n->has_local,
				       n->local_port);
	}
}

/*
 * A program that tried more than one destination under the rule: how many
 * ports and addresses, how many attempts, since when, and the first few.
 */
static void write_network_scan(yajl_gen g, const struct finding_network *n)
{
	char text[INET6_ADDRSTRLEN];

	json_open(g, "scan");
	json_u64(g, "ports", n->scan_ports);
	json_u64(g, "addresses", n->scan_addrs);
	json_u64(g, "attempts", n->scan_attempts);
	json_int(g, "start_time", (long long)(n->first_real / 1000));
	json_int(g, "end_time", (long long)(n->last_real / 1000));
	if (n->scan_partial)
		json_bool(g, "partial", true);
	json_key(g, "samples");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n->n_samples && i < FINDING_NET_SAMPLES_MAX; i++) {
		const struct finding_net_sample *s = &n->samples[i];

		json_open(g, NULL);
		if (!inet_ntop(s->family == AF_INET6 ? AF_INET6 : AF_INET, s->addr, text,
			       sizeof(text)))
			text[0] = '\0';
		json_str(g, "address", text);
		json_int(g, "port", s->port);
		json_close(g);
	}
	yajl_gen_array_close(g);
	json_close(g);
}

/* The postured extension's account of a network finding. */
static void write_network_details(yajl_gen g, const struct finding_network *n)
{
	char text[INET6_ADDRSTRLEN];

	json_open(g, "network");
	json_str(g, "direction", policy_net_direction_to_string(n->direction));
	json_str(g, "protocol", net_protocol_name(n->protocol));
	if (n->has_local) {
		network_addr_text(n, n->local_addr, text, sizeof(text));
		json_str(g, "local_address", text);
	}
	if (n->local_port)
		json_int(g, "local_port", n->local_port);
	if (n->has_remote) {
		network_addr_text(n, n->remote_addr, text, sizeof(text));
		json_str(g, "remote_address", text);
	}
	if (n->remote_port)
		json_int(g, "remote_port", n->remote_port);
	json_u64(g, "count", n->count);
	json_open(g, "outcomes");
	for (int o = FINDING_OUTCOME_ESTABLISHED; o < _FINDING_OUTCOME_MAX; o++)
		if (n->outcomes[o])
			json_u64(g, finding_outcome_to_string(o), n->outcomes[o]);
	json_close(g);
	if (n->aggregated)
		json_bool(g, "repeats", true);
	if (n->preexisting)
		json_bool(g, "already_open", true);
	if (n->scan)
		write_network_scan(g, n);
	json_close(g);
}

void format_finding(yajl_gen g, const struct finding *f, const char *uid,
		    const struct device_info *dev)
{
	const policy_rule *r = f->rule;
	bool resolved = f->kind == FINDING_REQUIRE_RETURNED || f->kind == FINDING_CHECK_PASSING;
	bool unknown = f->check && f->check->status == CHECK_UNKNOWN;
	int activity = resolved ? 3 : 1;
	int sev = r ? severity_id(policy_rule_severity(r)) : 4;
	bool blocked = f->action == FINDING_ACTION_KILLED || f->action == FINDING_ACTION_DENIED;

	ocsf_write_class(g, (long long)(f->time_real / 1000),
			 &(const struct ocsf_class){
				 .class_uid = OCSF_CLASS_COMPLIANCE_FINDING,
				 .class_name = "Compliance Finding",
				 .category_uid = 2,
				 .category_name = "Findings",
				 .activity_id = activity,
				 .activity_name = resolved ? "Close" : "Create",
				 .severity_id = sev,
				 .severity = severity_names[sev],
			 });
	json_int(g, "status_id", resolved ? 4 : 1);
	json_str(g, "status", resolved ? "Resolved" : "New");
	if (f->has_network && f->network.count > 1) {
		/* Repeats the kernel aggregated: one record for many attempts. */
		json_u64(g, "count", f->network.count);
		json_int(g, "start_time", (long long)(f->network.first_real / 1000));
		json_int(g, "end_time", (long long)(f->network.last_real / 1000));
	}

	/* Outside the System category, device needs the host profile. */
	ocsf_write_metadata(g, "finding",
			    (const char *const[]){ "host", "security_control", NULL });
	format_write_device(g, dev);

	if (f->kind == FINDING_PROCESS_DENIED || f->kind == FINDING_NETWORK) {
		json_int(g, "action_id", blocked ? 2 : 1);
		json_str(g, "action", blocked ? "Denied" : "Allowed");
		json_int(g, "disposition_id",
			 blocked				 ? 2 :
			 f->action == FINDING_ACTION_KILL_FAILED ? 27 :
								   17);
		json_str(g, "disposition",
			 blocked				 ? "Blocked" :
			 f->action == FINDING_ACTION_KILL_FAILED ? "Error" :
								   "Logged");
	}

	json_open(g, "finding_info");
	json_str(g, "uid", uid);
	if (r) {
		format_write_text(g, "title", policy_rule_title(r));
		format_write_text(g, "desc", policy_rule_text(r, POLICY_TEXT_MESSAGE, "en"));
		json_open(g, "analytic");
		json_int(g, "type_id", 1);
		json_str(g, "type", "Rule");
		format_write_text(g, "uid", policy_rule_id(r));
		format_write_text(g, "name", policy_rule_title(r));
		json_close(g);
	} else {
		json_str(g, "title",
			 "A new policy could not be used; the previous one stays in force");
		format_write_text(g, "desc", f->detail);
	}
	json_key(g, "types");
	yajl_gen_array_open(g);
	yajl_gen_string(g, (const unsigned char *)finding_kind_to_string(f->kind),
			strlen(finding_kind_to_string(f->kind)));
	yajl_gen_array_close(g);
	json_close(g);

	json_open(g, "compliance");
	json_int(g, "status_id", resolved ? 1 : unknown ? 0 : 3);
	json_str(g, "status", resolved ? "Pass" : unknown ? "Unknown" : "Fail");
	/* status_detail is deprecated since OCSF 1.4: its successor is a list. */
	if (f->check && f->check->reason[0]) {
		json_key(g, "status_details");
		yajl_gen_array_open(g);
		json_text_value(g, f->check->reason);
		yajl_gen_array_close(g);
	}
	if (r) {
		format_write_text(g, "control", policy_rule_id(r));
		if (policy_rule_tag_count(r) > 0) {
			json_key(g, "standards");
			yajl_gen_array_open(g);
			for (size_t i = 0; i < policy_rule_tag_count(r); i++) {
				const char *t = policy_rule_tag(r, i);

				yajl_gen_string(g, (const unsigned char *)t, strlen(t));
			}
			yajl_gen_array_close(g);
		}
	} else {
		json_str(g, "control", "policy");
	}
	json_close(g);

	if (r) {
		json_open(g, "remediation");
		format_write_text(g, "desc", policy_rule_text(r, POLICY_TEXT_REMEDIATION, "en"));
		json_close(g);
	}

	if (f->has_process || f->has_network) {
		json_key(g, "evidences");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		if (f->has_process)
			write_finding_process(g, f);
		if (f->has_network)
			write_network_evidence(g, &f->network);
		if (!f->has_process && f->has_network && f->network.has_owner) {
			char owner[16];

			/* Whose socket it is: that user sees the finding (status socket). */
			snprintf(owner, sizeof(owner), "%u", f->network.owner_uid);
			json_open(g, "user");
			json_str(g, "uid", owner);
			json_close(g);
		}
		if (f->n_ancestors > 0) {
			json_open(g, "actor");
			json_open(g, "process");
			json_int(g, "pid", f->ancestors[0].pid);
			if (f->ancestors[0].path[0])
				write_file(g, f->ancestors[0].path);
			json_close(g);
			json_close(g);
		}
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}

	json_open(g, "postured");
	json_str(g, "finding", finding_kind_to_string(f->kind));
	json_str(g, "action", finding_action_to_string(f->action));
	/* For a network finding "denied" says it all: the call failed with EPERM. */
	if (blocked && f->kind == FINDING_PROCESS_DENIED)
		json_bool(g, "before_first_instruction", f->in_kernel);
	json_str(g, "mode", policy_mode_to_string(f->mode));
	if (f->policy) {
		format_write_text(g, "policy_id", policy_id(f->policy));
		json_u64(g, "policy_serial", policy_serial(f->policy));
	}
	if (r) {
		format_write_text(g, "rule_id", policy_rule_id(r));
		format_rule_texts(g, "message", r, POLICY_TEXT_MESSAGE);
		format_rule_texts(g, "remediation", r, POLICY_TEXT_REMEDIATION);
		if (policy_rule_contact(r))
			format_write_text(g, "contact", policy_rule_contact(r));
	}
	if (f->detail[0])
		format_write_text(g, "detail", f->detail);
	if (f->check) {
		json_open(g, "check");
		json_str(g, "name", policy_rule_check_name(r));
		json_str(g, "status", check_status_to_string(f->check->status));
		if (f->check->reason[0])
			format_write_text(g, "reason", f->check->reason);
		json_key(g, "evidence");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < f->check->n_evidence; i++) {
			const unsigned char *s = (const unsigned char *)f->check->evidence[i];

			yajl_gen_string(g, s, strlen(f->check->evidence[i]));
		}
		yajl_gen_array_close(g);
		json_close(g);
	}
	if (f->has_network)
		write_network_details(g, &f->network);
	if (f->has_process && (f->process.has_stdio || f->process.location))
		write_exec_facts(g, f->process.location, f->process.script, f->process.stdin_from,
				 f->process.has_stdio ? f->process.stdio : NULL);
	if (f->has_process && f->n_ancestors > 0) {
		json_key(g, "ancestors");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < f->n_ancestors; i++) {
			yajl_gen_map_open(g);
			json_int(g, "pid", f->ancestors[i].pid);
			if (f->ancestors[i].path[0])
				format_write_text(g, "path", f->ancestors[i].path);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	json_close(g);
	yajl_gen_map_close(g);
}

void format_snapshot(yajl_gen g, const struct device_info *dev, long long time_ms,
		     void (*write_postured)(void *userdata, yajl_gen g), void *userdata)
{
	ocsf_write_class(g, time_ms,
			 &(const struct ocsf_class){
				 .class_uid = OCSF_CLASS_DEVICE_INVENTORY_INFO,
				 .class_name = "Device Inventory Info",
				 .category_uid = 5,
				 .category_name = "Discovery",
				 .activity_id = 2,
				 .activity_name = "Collect",
				 .severity_id = 1,
				 .severity = "Informational",
			 });
	ocsf_write_metadata(g, "posture", NULL);
	format_write_device(g, dev);
	json_open(g, "postured");
	write_postured(userdata, g);
	json_close(g);
	yajl_gen_map_close(g);
}
