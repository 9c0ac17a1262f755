/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * decode_event(): the only code that reads ring-buffer bytes.  It checks kind,
 * version and size, terminates strings, and converts kernel times.
 */
#ifndef POSTURED_DECODE_H
#define POSTURED_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/events.h"
#include "basic/time-util.h"

struct decoded_task {
	uint32_t pid, tid, ppid, uid, gid;
	uint32_t loginuid; /* (uint32_t)-1 when unset or unknown */
	nsec_t start_boot;
	uint64_t cgroup_id;
	char comm[EVENT_COMM_LEN + 1];
};

/* One of a new program's standard descriptors (struct event_stdio). */
struct decoded_stdio {
	uint8_t kind; /* enum event_stdio_kind */
	uint8_t family; /* network sockets: AF_INET or AF_INET6 */
	uint8_t protocol; /* network sockets: IPPROTO_TCP or IPPROTO_UDP */
	uint16_t local_port, remote_port;
	uint64_t ino; /* the pipe's or socket's inode */
	uint8_t remote_addr[EVENT_NET_ADDR_LEN]; /* network order; IPv4 in the first 4 bytes */
};

struct decoded_event {
	enum event_kind kind;
	nsec_t time_boot; /* CLOCK_BOOTTIME */
	usec_t time_real; /* CLOCK_REALTIME, for reports */
	struct decoded_task task;
	union {
		struct {
			char filename[EVENT_PATH_LEN];
			bool filename_truncated;
			bool args_truncated;
			uint64_t exe_dev, exe_ino;
			bool killed; /* the probe sent SIGKILL */
			bool denied; /* BPF LSM refused the exec; task is the caller */
			uint32_t match_rule; /* kernel filter entry's rule number, 0 = none */
			uint16_t match_action; /* enum event_action */
			uint16_t match_gen; /* its filter generation (low 16 bits) */
			size_t args_size; /* NUL-separated argv bytes in args */
			char args[EVENT_ARGS_LEN + 1];
			/* The executable as the kernel resolved it; "" when it could not. */
			char exe_path[EVENT_PATH_LEN];
			bool exe_path_truncated;
			uint32_t facts; /* bits of enum event_exec_fact */
			bool script; /* filename is a #! script, the executable its interpreter */
			bool script_unknown; /* the probe cannot tell scripts (classic tracepoints) */
			bool cwd_world_writable; /* scripts by relative name: where they were started */
			struct decoded_stdio stdio[3];
			char stdin_writer[EVENT_NAME_LEN]; /* "" when unknown */
		} exec;
		struct {
			uint32_t parent_tid;
			bool start_approx;
		} fork;
		struct {
			int status; /* exit(2) status, valid when signal == 0 */
			int signal; /* terminating signal, 0 for a normal exit */
			bool core_dumped;
		} exit;
		/*
		 * A network event a rule matched (probes/net.bpf.c).  For inbound
		 * connections no process caused it: task has only the uid (the
		 * listening socket's owner) and has_process is false.
		 */
		struct {
			uint64_t exe_dev, exe_ino;
			uint8_t local_addr[EVENT_NET_ADDR_LEN]; /* network order; IPv4 in 4 bytes */
			uint8_t remote_addr[EVENT_NET_ADDR_LEN];
			uint16_t local_port, remote_port;
			uint8_t direction; /* enum event_net_direction */
			uint8_t protocol; /* IPPROTO_TCP or IPPROTO_UDP */
			uint8_t family; /* AF_INET or AF_INET6 */
			uint8_t verdict; /* enum event_net_verdict */
			uint8_t outcome; /* enum event_net_outcome */
			uint8_t rule; /* index among the enabled network rules */
			uint32_t gen; /* the rule generation (probe_net_rule_of()) */
			uint32_t count;
			bool has_process;
			bool not_aggregated, v4mapped, no_outcome;
			bool task_partial; /* of the task, only pid and uid are known */
		} net;
	};
};

/*
 * CLOCK_REALTIME minus CLOCK_BOOTTIME, in ns; refresh it at each drain so a
 * stepped wall clock shows up in the next batch.
 */
int64_t decode_clock_offset(void);

/*
 * A CLOCK_BOOTTIME time as CLOCK_REALTIME µs, given decode_clock_offset():
 * 0 for a time before the epoch, saturated instead of wrapping.
 */
usec_t decode_time_real(nsec_t boot, int64_t clock_offset);

/*
 * Decodes one ring-buffer record of `size` bytes into *ret.  Returns 0, or
 * -EBADMSG for a malformed record (short, sizes that disagree, bad string
 * lengths, network fields out of their range) and -EPROTONOSUPPORT for an
 * unknown kind or version.  *ret is written only on success.
 */
int decode_event(const void *data, size_t size, int64_t clock_offset, struct decoded_event *ret);

const char *event_kind_to_string(enum event_kind kind);
/* "outbound", "inbound", "listen"; NULL for another value. */
const char *event_net_direction_to_string(unsigned d);
/* "reported", "denied"; NULL for another value. */
const char *event_net_verdict_to_string(unsigned v);
/* "none", "established", "refused", "timed_out", "failed", "unknown"; NULL for another value. */
const char *event_net_outcome_to_string(unsigned o);

#endif
