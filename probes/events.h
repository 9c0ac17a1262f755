/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records the probes hand to userspace through the ring buffer.
 *
 * This is the only header shared by the BPF programs (built by clang) and the
 * agent (built by gcc or clang), so everything here is fixed-width, padded by
 * hand, a multiple of 8 bytes long, and pinned with _Static_assert.  Kinds are
 * numbered explicitly and never reused; a layout change bumps the kind's
 * version and keeps decoding the old one for as long as a probe might send it.
 */
#ifndef POSTURED_PROBES_EVENTS_H
#define POSTURED_PROBES_EVENTS_H

#ifdef __bpf__
/* BPF objects take the fixed-width types from the kernel-type header. */
#else
#include <linux/types.h>
#endif

enum event_kind {
	EVENT_KIND_INVALID = 0,
	EVENT_KIND_EXEC = 1,
	EVENT_KIND_FORK = 2,
	EVENT_KIND_EXIT = 3,
	EVENT_KIND_NET = 4,
	_EVENT_KIND_MAX,
};

#define EVENT_EXEC_VERSION 3
#define EVENT_FORK_VERSION 1
#define EVENT_EXIT_VERSION 1

#define EVENT_COMM_LEN	   16
#define EVENT_PATH_LEN	   512
/* An executable's file name as the filter keys and event_exec.stdin_writer hold it. */
#define EVENT_NAME_LEN 64
/* Upper bound on captured argv bytes; the policy may ask for less. */
#define EVENT_ARGS_LEN 1024

/* Flags in event_exec.flags. */
#define EVENT_EXEC_FILENAME_TRUNCATED (1U << 0)
#define EVENT_EXEC_ARGS_TRUNCATED     (1U << 1)
#define EVENT_EXEC_NO_LOGINUID	      (1U << 2)
#define EVENT_EXEC_KILLED	      (1U << 3) /* the probe sent SIGKILL before the first instruction */
#define EVENT_EXEC_DENIED	      (1U << 4) /* BPF LSM refused the exec (EPERM); task is the caller */
/* A #! script: filename is the script as started, the executable its interpreter. */
#define EVENT_EXEC_SCRIPT (1U << 5)
/* Classic tracepoints do not show the exec's binprm: scripts are not told apart. */
#define EVENT_EXEC_NO_SCRIPT_INFO (1U << 6)
/* exe_path is cut (deeper than the walk goes, or longer than EVENT_PATH_LEN). */
#define EVENT_EXEC_EXE_PATH_TRUNCATED (1U << 7)
/* A script started by a relative name whose working directory is world-writable or below one. */
#define EVENT_EXEC_CWD_WORLD_WRITABLE (1U << 8)

/*
 * Facts the kernel decides about an exec from the program's struct file and
 * the new process's file table, as bits of event_exec.facts; the fact filter
 * (filter_fact) is keyed by their numbers.
 */
enum event_exec_fact {
	/* The executable has no name on disk: a memfd, or a file deleted since it was opened. */
	EVENT_FACT_MEMORY = 0,
	/* Its directory, or one above it on the same file system, is writable by every user. */
	EVENT_FACT_WORLD_WRITABLE = 1,
	/* Standard input, output or error is a TCP or UDP socket. */
	EVENT_FACT_STDIO_NETWORK = 2,
	_EVENT_FACT_MAX,
};

/* What one of a new program's descriptors 0, 1 and 2 is. */
enum event_stdio_kind {
	EVENT_STDIO_CLOSED = 0,
	EVENT_STDIO_FILE = 1, /* a regular file or a directory */
	EVENT_STDIO_CHAR = 2, /* a character device: a terminal, /dev/null */
	EVENT_STDIO_PIPE = 3,
	EVENT_STDIO_UNIX = 4, /* an AF_UNIX socket */
	EVENT_STDIO_NETWORK = 5, /* a TCP or UDP socket over IPv4 or IPv6 */
	EVENT_STDIO_SOCKET = 6, /* another kind of socket */
	EVENT_STDIO_OTHER = 7,
	_EVENT_STDIO_MAX,
};

/*
 * One standard descriptor.  For network sockets the ports (host order) and
 * the remote address (network order, IPv4 in the first 4 bytes) say what is
 * on the other end; ino is the pipe's or socket's inode.
 */
struct event_stdio {
	__u8 kind; /* enum event_stdio_kind */
	__u8 family; /* AF_INET or AF_INET6 for network sockets, else 0 */
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP for network sockets, else 0 */
	__u8 _pad;
	__u16 local_port;
	__u16 remote_port;
	__u64 ino;
	__u8 remote_addr[16];
};

/* Flags in event_fork.flags. */
#define EVENT_FORK_NO_LOGINUID (1U << 0)
/* start_boot_ns is the fork's time, not read from the child (classic tracepoints). */
#define EVENT_FORK_START_APPROX (1U << 1)

struct event_header {
	__u16 kind; /* enum event_kind */
	__u16 version; /* EVENT_<KIND>_VERSION */
	__u32 size; /* bytes of this record, header included */
	__u64 time_boot_ns; /* CLOCK_BOOTTIME, counts suspend */
};

/* The identity every process record starts with. */
struct event_task {
	__u32 pid; /* thread group id, what userspace calls the pid */
	__u32 tid; /* the thread that caused the record */
	__u32 ppid; /* real parent's thread group id */
	__u32 uid;
	__u32 gid;
	__u32 loginuid; /* audit login uid, (__u32)-1 when unset */
	__u64 start_boot_ns; /* process start, CLOCK_BOOTTIME */
	__u64 cgroup_id;
	char comm[EVENT_COMM_LEN];
};

/*
 * An exec.  args_size bytes of NUL-separated argv follow the fixed part only
 * when the probe was asked to capture arguments; header.size says so.
 *
 * Two paths: filename as the program was started (relative, a symlink, or
 * for a script the script), and exe_path, the executable the kernel runs,
 * resolved from its struct file (for a script: the interpreter).
 * exe_path_size is 0 when the probe could not resolve it.
 */
struct event_exec {
	struct event_header header;
	struct event_task task;
	__u64 exe_dev; /* st_dev of the executable, userspace encoding */
	__u64 exe_ino;
	__u32 flags;
	__u16 filename_size; /* bytes in filename, NUL included */
	__u16 args_size; /* bytes in args, 0 when not captured */
	__u32 match_rule; /* the kernel filter entry's rule number (1-based), 0 = none */
	__u16 match_action; /* enum event_action */
	__u16 match_gen; /* low 16 bits of the filter generation that matched */
	__u32 facts; /* bit n: enum event_exec_fact n holds */
	__u16 exe_path_size; /* bytes in exe_path, NUL included; 0: not resolved */
	__u16 _pad;
	struct event_stdio stdio[3];
	/*
	 * When standard input is a pipe: the file name of the program whose
	 * standard output is that pipe, if its exec came first ("" otherwise;
	 * the agent looks again in the "pipe_writers" map).
	 */
	char stdin_writer[EVENT_NAME_LEN];
	char filename[EVENT_PATH_LEN];
	char exe_path[EVENT_PATH_LEN];
};

struct event_exec_args {
	struct event_exec exec;
	char args[EVENT_ARGS_LEN];
};

/* A new process (threads are not reported). */
struct event_fork {
	struct event_header header;
	struct event_task task; /* the child */
	__u32 parent_tid; /* the thread that called fork/clone */
	__u32 flags;
};

/* The last thread of a process exited. */
struct event_exit {
	struct event_header header;
	struct event_task task;
	__u32 exit_code; /* the raw wait status: (code << 8) | signal */
	__u32 _pad;
};

/*
 * The kernel filter: maps the agent fills from the policy.  An exec whose
 * executable (device and inode), path or name has an entry goes to
 * userspace with that entry's action; others only when the filter is open.
 */
enum event_action {
	EVENT_ACTION_NONE = 0,
	EVENT_ACTION_REPORT = 1, /* send to userspace, which evaluates the whole rule */
	EVENT_ACTION_KILL = 2, /* SIGKILL before the first instruction, then report */
};

struct filter_verdict {
	__u32 rule; /* 1-based rule number for the agent, 0 = none */
	__u32 action; /* enum event_action */
};

/* Keys carry the policy generation, so a reload can fill a new one and switch at once. */
struct filter_inode_key {
	__u32 gen;
	__u32 _pad;
	__u64 dev; /* userspace st_dev encoding */
	__u64 ino;
};

/* Executable file names up to FILTER_NAME_LEN - 1 bytes are kept whole. */
#define FILTER_NAME_LEN EVENT_NAME_LEN

struct filter_name_key {
	__u32 gen;
	char name[FILTER_NAME_LEN];
};

struct filter_path_key {
	__u32 gen;
	char path[EVENT_PATH_LEN];
};

/* An exec for which fact (enum event_exec_fact) holds. */
struct filter_fact_key {
	__u32 gen;
	__u32 fact;
};

/*
 * The program writing into a pipe, recorded at its exec when its standard
 * output is a pipe (while a rule asks about stdin_from); keyed by the pipe's
 * inode number.
 */
struct pipe_writer {
	__u32 pid;
	__u32 _pad;
	char name[EVENT_NAME_LEN];
};

#define FILTER_MAX_ENTRIES 8192
#define PIPE_WRITERS_MAX   4096
/* Processes whose exec went to userspace: their forks and exit go too. */
#define FILTER_TRACKED_MAX 16384

/* Indexes of the per-CPU counters in the "stats" map. */
enum event_stat {
	EVENT_STAT_EXEC_LOST = 0,
	EVENT_STAT_FORK_LOST = 1,
	EVENT_STAT_EXIT_LOST = 2,
	EVENT_STAT_EXEC_SENT = 3,
	EVENT_STAT_FORK_SENT = 4,
	EVENT_STAT_EXIT_SENT = 5,
	EVENT_STAT_WAKEUPS = 6,
	EVENT_STAT_EXEC_FILTERED = 7, /* execs the kernel filter kept from userspace */
	EVENT_STAT_KILLED = 8,
	EVENT_STAT_DENIED = 9, /* execs BPF LSM refused */
	_EVENT_STAT_MAX,
};

/* How the probes wake the consumer. */
enum event_wakeup_mode {
	EVENT_WAKEUP_BATCHED = 0, /* by fill level or age of the oldest unread record */
	EVENT_WAKEUP_EACH = 1, /* one wake-up per record */
};

_Static_assert(sizeof(struct event_header) == 16, "event_header layout");
_Static_assert(sizeof(struct event_task) == 56, "event_task layout");
_Static_assert(sizeof(struct event_stdio) == 32, "event_stdio layout");
_Static_assert(sizeof(struct event_exec) == 1296, "event_exec layout");
_Static_assert(__builtin_offsetof(struct event_exec, facts) == 104, "event_exec layout");
_Static_assert(__builtin_offsetof(struct event_exec, stdio) == 112, "event_exec layout");
_Static_assert(__builtin_offsetof(struct event_exec, filename) == 272, "event_exec layout");
_Static_assert(__builtin_offsetof(struct event_exec, exe_path) == 784, "event_exec layout");
_Static_assert(sizeof(struct event_exec_args) == 1296 + EVENT_ARGS_LEN, "event_exec_args layout");
_Static_assert(sizeof(struct filter_fact_key) == 8, "filter_fact_key layout");
_Static_assert(sizeof(struct pipe_writer) == 72, "pipe_writer layout");
_Static_assert(sizeof(struct filter_verdict) == 8, "filter_verdict layout");
_Static_assert(sizeof(struct filter_inode_key) == 24, "filter_inode_key layout");
_Static_assert(sizeof(struct filter_name_key) == 4 + FILTER_NAME_LEN, "filter_name_key layout");
_Static_assert(sizeof(struct filter_path_key) == 4 + EVENT_PATH_LEN, "filter_path_key layout");
_Static_assert(sizeof(struct event_fork) == 80, "event_fork layout");
_Static_assert(sizeof(struct event_exit) == 80, "event_exit layout");
_Static_assert(sizeof(struct event_exec) % 8 == 0, "event_exec size");

/*
 * --- Network (probes/net.bpf.c) ---
 *
 * The kernel decides every network rule itself (see net.bpf.c); only traffic a
 * rule matches reaches userspace.  The first event of an aggregation key (a
 * program under a rule) is a record; every later one, to whatever address and
 * port, only counts in the "net_agg" map, which the agent sweeps: so a scan is
 * one record and one key, with counts of the ports and addresses it tried.
 */
#define EVENT_NET_VERSION 1

enum event_net_direction {
	/* connect() (TCP), sendto() and a connected socket's first send (UDP): the remote end */
	EVENT_NET_OUTBOUND = 1,
	EVENT_NET_INBOUND = 2, /* an accepted TCP connection: remote address, local port */
	/* listen() (TCP), bind() (UDP), a refused bind() (both): the local address and port */
	EVENT_NET_LISTEN = 3,
	_EVENT_NET_DIRECTION_MAX,
};

enum event_net_verdict {
	/* The traffic went ahead: report rules, deny rules in monitor mode. */
	EVENT_NET_REPORTED = 1,
	EVENT_NET_DENIED = 2, /* the call failed with EPERM */
};

/* What became of a TCP connect; the others have EVENT_NET_OUTCOME_NONE. */
enum event_net_outcome {
	EVENT_NET_OUTCOME_NONE = 0, /* UDP, binds, inbound, denied calls */
	EVENT_NET_OUTCOME_ESTABLISHED = 1,
	EVENT_NET_OUTCOME_REFUSED = 2, /* ECONNREFUSED */
	EVENT_NET_OUTCOME_TIMED_OUT = 3, /* ETIMEDOUT */
	EVENT_NET_OUTCOME_FAILED = 4, /* any other end before the handshake */
	EVENT_NET_OUTCOME_UNKNOWN = 5, /* the outcome could not be followed */
	_EVENT_NET_OUTCOME_MAX,
};

/* Flags in event_net.flags. */
#define EVENT_NET_NOT_AGGREGATED (1U << 0) /* the aggregation map was full: one record per event */
#define EVENT_NET_V4MAPPED	 (1U << 1) /* an IPv6 socket with a v4-mapped address, judged as IPv4 */
#define EVENT_NET_NO_OUTCOME	 (1U << 2) /* a TCP connect whose outcome the probe could not follow */
/*
 * Of the task only pid and uid are known, not its executable: a connect of a
 * key counted before, whose key was swept away before its outcome.
 */
#define EVENT_NET_TASK_PARTIAL (1U << 3)

/*
 * event_net.rule of a TCP listen() on a socket without a port yet (no bind()
 * before it): the kernel chooses the port after the tracepoint, so the
 * probe cannot judge it; the agent looks the listener up and judges it.
 */
#define EVENT_NET_RULE_UNJUDGED 0xff

#define EVENT_NET_ADDR_LEN	16

/*
 * One network event a rule matched.  Addresses are in network byte order
 * (IPv4 in the first 4 bytes), ports in host order.  For inbound connections
 * task.pid is 0 (the kernel accepts them outside any process) and task.uid is
 * the owner of the listening socket; exe_dev and exe_ino are 0 then.
 */
struct event_net {
	struct event_header header;
	struct event_task task;
	__u64 exe_dev; /* st_dev of the executable, userspace encoding */
	__u64 exe_ino;
	__u8 local_addr[EVENT_NET_ADDR_LEN];
	__u8 remote_addr[EVENT_NET_ADDR_LEN];
	__u16 local_port;
	__u16 remote_port;
	__u8 direction; /* enum event_net_direction */
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 verdict; /* enum event_net_verdict */
	__u8 outcome; /* enum event_net_outcome */
	__u8 rule; /* index among the policy's enabled network rules, in file order */
	__u16 flags;
	__u32 gen; /* the rule generation that matched */
	__u32 count; /* events this record stands for */
	__u32 _pad;
};

/* Limits of one generation of network rules (the policy library has the same). */
#define NET_RULES_MAX	32
#define NET_CLAUSES_MAX 64
#define NET_RANGES_MAX	64
/* Entries of each lookup map, both generations together; one generation may fill half. */
#define NET_MAP_ENTRIES 8192
/* Aggregation keys (program, rule, verdict) counted at once; their scan bitmaps. */
#define NET_AGG_ENTRIES	 1024
#define NET_SCAN_ENTRIES 256
/* Processes exempt from every network rule (the agent's sender). */
#define NET_EXEMPT_MAX 16
/* TCP connects a rule reported whose outcome is awaited. */
#define NET_PENDING_ENTRIES 8192

/* What a rule does with traffic it matches. */
enum net_action {
	NET_ACTION_REPORT = 1,
	NET_ACTION_DENY = 2, /* deny rules in enforce mode: the call fails with EPERM */
};

struct net_port_range {
	__u16 first, last; /* inclusive */
	__u32 _pad;
	__u64 mask; /* the clauses whose ports include the range */
};

/*
 * One generation of rules, at index gen & 1 of the "net_state" array.  Clause
 * bits: rule i's match clause is bit i, the except clauses of all rules
 * follow from bit n_rules on; NET_CLAUSES_MAX in all.
 */
struct net_state {
	/* [direction][0 TCP, 1 UDP]: the clauses of the rules about that traffic. */
	__u64 clauses[_EVENT_NET_DIRECTION_MAX][2];
	__u64 match_bits; /* the match clauses: bits 0 .. n_rules - 1 */
	__u64 deny_rules; /* bit i: rule i denies (enum net_action NET_ACTION_DENY) */
	/* Clauses that do not constrain a field, which therefore matches for them. */
	__u64 any_addr, any_port, any_path, any_name, any_user;
	__u8 except_owner[NET_CLAUSES_MAX]; /* for an except clause's bit: its rule */
	__u32 n_rules;
	__u32 n_ranges;
	struct net_port_range ranges[NET_RANGES_MAX];
};

/* LPM trie key: prefixlen counts gen and family (40 bits) and then the prefix. */
struct net_addr_key {
	__u32 prefixlen;
	__u32 gen;
	__u8 family;
	__u8 addr[EVENT_NET_ADDR_LEN];
	__u8 _pad[3];
};

#define NET_ADDR_KEY_BITS(prefixlen) (32 + 8 + (prefixlen))

struct net_port_key {
	__u32 gen;
	__u16 port;
	__u16 _pad;
};

struct net_uid_key {
	__u32 gen;
	__u32 uid;
};

/* Executables are keyed like the process filter's: struct filter_inode_key and filter_name_key. */

/*
 * One aggregation key: the same program under the same rule with the same
 * verdict, whatever address and port (a scan of 65,535 ports is one key).
 */
struct net_agg_key {
	__u32 gen;
	__u32 tgid; /* 0 for inbound */
	__u32 uid;
	__u8 rule;
	__u8 direction;
	__u8 protocol;
	__u8 verdict;
};

/* An address and port a rule looked at: remote (outbound, inbound's peer) or local (listen). */
struct net_sample {
	__u8 family; /* AF_INET or AF_INET6; 0 for a slot not (yet) filled */
	__u8 _pad;
	__u16 port; /* the port the rule looks at: remote (outbound), local (inbound, listen) */
	__u8 addr[EVENT_NET_ADDR_LEN]; /* the address it looks at, as port */
};

/* The first addresses and ports of a key the kernel keeps as samples. */
#define NET_SAMPLES_MAX 4

/* Flags in net_agg_value.flags. */
#define NET_AGG_SCAN_PARTIAL (1U << 0) /* net_scan was full: ports and addrs count too few */

struct net_agg_value {
	__u64 count[_EVENT_NET_OUTCOME_MAX]; /* events after the one recorded, by outcome */
	__u64 first_ns; /* CLOCK_BOOTTIME of the recorded event */
	__u64 last_ns;
	/*
	 * Distinct ports and addresses, the recorded event's included: ports
	 * exactly, addresses by a 16-bit hash (two addresses of one hash count
	 * once).  Counted in net_scan's bitmaps from the second destination on.
	 */
	__u32 ports, addrs;
	__u32 n_samples; /* slots of samples[] taken; may run past NET_SAMPLES_MAX */
	__u32 flags; /* NET_AGG_* */
	struct net_sample samples[NET_SAMPLES_MAX]; /* [0] is the recorded event's */
};

/* The bitmaps behind net_agg_value.ports and .addrs, of a key with more than one destination. */
#define NET_SCAN_BITS 65536
struct net_scan_bits {
	__u64 ports[NET_SCAN_BITS / 64];
	__u64 addrs[NET_SCAN_BITS / 64]; /* by net_addr_hash() */
};

/*
 * Keyed by socket cookie: a reported TCP connect awaiting its outcome, or a
 * connected UDP socket awaiting its first send (key.protocol says which).
 */
struct net_pending {
	struct net_agg_key key;
	struct net_sample sample; /* the remote address and port */
	__u32 _pad0;
	struct event_task task;
	__u64 exe_dev;
	__u64 exe_ino;
	__u64 time_ns; /* the connect(), CLOCK_BOOTTIME */
	__u32 flags; /* EVENT_NET_* */
	__u32 _pad;
};

/*
 * A UDP socket's peers it has received datagrams from (cgroup recvmsg): a
 * datagram back to one of them is a reply, not outbound traffic.
 */
struct net_peer_key {
	__u64 cookie; /* the socket's */
	struct net_sample peer;
	__u32 _pad;
};

#define NET_PEERS_ENTRIES 16384

/* Indexes of the per-CPU counters in net.bpf.c's "net_stats" map. */
enum net_stat {
	NET_STAT_SENT = 0, /* records in the ring */
	NET_STAT_LOST = 1, /* records the full ring refused */
	NET_STAT_DENIED = 2, /* calls refused with EPERM */
	NET_STAT_AGGREGATED = 3, /* events counted in net_agg instead of a record */
	NET_STAT_WAKEUPS = 4,
	NET_STAT_PENDING_FULL = 5, /* TCP connects recorded without waiting for their outcome */
	NET_STAT_REPLIES = 6, /* UDP datagrams to a peer the socket received from: not judged */
	_NET_STAT_MAX,
};

_Static_assert(sizeof(struct event_net) == 144, "event_net layout");
_Static_assert(__builtin_offsetof(struct event_net, local_addr) == 88, "event_net layout");
_Static_assert(__builtin_offsetof(struct event_net, direction) == 124, "event_net layout");
_Static_assert(__builtin_offsetof(struct event_net, gen) == 132, "event_net layout");
_Static_assert(sizeof(struct event_net) % 8 == 0, "event_net size");
_Static_assert(sizeof(struct net_port_range) == 16, "net_port_range layout");
_Static_assert(sizeof(struct net_state) == 1216, "net_state layout");
_Static_assert(__builtin_offsetof(struct net_state, ranges) == 192, "net_state layout");
_Static_assert(sizeof(struct net_addr_key) == 28, "net_addr_key layout");
_Static_assert(__builtin_offsetof(struct net_addr_key, addr) == 9, "net_addr_key layout");
_Static_assert(sizeof(struct net_port_key) == 8, "net_port_key layout");
_Static_assert(sizeof(struct net_uid_key) == 8, "net_uid_key layout");
_Static_assert(sizeof(struct net_agg_key) == 16, "net_agg_key layout");
_Static_assert(sizeof(struct net_sample) == 20, "net_sample layout");
_Static_assert(sizeof(struct net_agg_value) == 160, "net_agg_value layout");
_Static_assert(__builtin_offsetof(struct net_agg_value, samples) == 80, "net_agg_value layout");
_Static_assert(sizeof(struct net_scan_bits) == 16384, "net_scan_bits layout");
_Static_assert(sizeof(struct net_pending) == 128, "net_pending layout");
_Static_assert(sizeof(struct net_peer_key) == 32, "net_peer_key layout");

#endif
