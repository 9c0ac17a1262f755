// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Network rules, decided in the kernel.
 *
 * cgroup sock_addr programs at the cgroup v2 root see every connect(), UDP
 * sendto() with an address and bind() of IPv4 and IPv6 sockets, in the
 * caller's context, before the kernel acts; returning 0 makes the call fail
 * with EPERM.  The tracepoint sock/inet_sock_set_state (tp_btf or classic)
 * follows what becomes of reported TCP connects and sees accepted
 * connections; the agent attaches it only while a rule needs it.
 *
 * The agent compiles the enabled network rules into clause bits (each rule
 * one match clause and its except clauses) and one map per field from a
 * value to the clauses that value satisfies; a clause that does not
 * constrain a field is in that field's any_* mask.  A connection's clauses
 * are the AND over the fields; rule i fires when its match clause is among
 * them and none of its excepts is.  Maps are keyed by generation, so a new
 * policy is filled beside the old one and switched with one store of
 * net_gen.
 *
 * One file past 900 lines, for a reason: every program here shares the
 * rule maps, the aggregation and the pending sockets of one BPF object, and
 * the handlers are small; split into headers, they would still be one
 * object, only harder to read in order (hooks, then tracepoints).
 *
 * Only traffic a rule matches goes further.  The first event of an
 * aggregation key (program, rule, verdict) is a record; every later one only
 * counts in net_agg, which the agent sweeps, whatever its address and port:
 * a program trying many ports or addresses (a scan) is one record and one
 * key, however many it tries.  The key keeps the first few destinations as
 * samples and counts distinct ports and addresses in bitmaps of net_scan,
 * made only for a key that meets a second destination.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#define RING_WAKEUP_BYTES (64 * 1024)
#include "ring.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Set by the loader where the kernel lets these programs walk the current
 * task through BTF (plain loads instead of a helper call per field, which
 * matters on every connect a path or name rule has to look at).  Otherwise
 * the task is read with bpf_probe_read_kernel().
 */
const volatile bool cfg_task_btf = false;

/*
 * Set by the loader where the kernel has sock/sock_send_length: a UDP
 * connect() is counted at the socket's first send.  Otherwise at the connect.
 */
const volatile bool cfg_udp_send = false;

/* The generation in force, written by the agent; 0 = no rules, every hook allows at once. */
__u32 net_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct net_state);
} net_state SEC(".maps");

/* Processes no rule applies to: the agent's own sender, by tgid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_EXEMPT_MAX);
	__type(key, __u32);
	__type(value, __u8);
} net_exempt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NET_MAP_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct net_addr_key);
	__type(value, __u64);
} net_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAP_ENTRIES);
	__type(key, struct net_port_key);
	__type(value, __u64);
} net_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAP_ENTRIES);
	__type(key, struct filter_inode_key);
	__type(value, __u64);
} net_inode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAP_ENTRIES);
	__type(key, struct filter_name_key);
	__type(value, __u64);
} net_name SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAP_ENTRIES);
	__type(key, struct net_uid_key);
	__type(value, __u64);
} net_uid SEC(".maps");

/* A plain hash, not LRU: a full map must say so rather than drop counts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_AGG_ENTRIES);
	__type(key, struct net_agg_key);
	__type(value, struct net_agg_value);
} net_agg SEC(".maps");

/*
 * 16 KiB a key, allocated when a key meets its second destination: most
 * keys never do.  Full, the key's distinct counts stop growing and say so.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_SCAN_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct net_agg_key);
	__type(value, struct net_scan_bits);
} net_scan SEC(".maps");

/* What a new net_scan entry starts as. */
static const struct net_scan_bits scan_zero;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_PENDING_ENTRIES);
	__type(key, __u64);
	__type(value, struct net_pending);
} net_pending SEC(".maps");

/* Peers UDP sockets received from (cgroup recvmsg); LRU: the oldest go first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_PEERS_ENTRIES);
	__type(key, struct net_peer_key);
	__type(value, __u8);
} net_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} net_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, _NET_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} net_stats SEC(".maps");

/* What one connection, datagram or bind is judged by. */
struct net_facts {
	__u32 gen;
	__u32 uid;
	__u16 port; /* the port rules look at */
	__u8 direction;
	__u8 proto_idx; /* 0 TCP, 1 UDP */
	__u8 protocol; /* IPPROTO_* */
	__u8 flags; /* EVENT_NET_V4MAPPED */
	__u8 hook; /* enum hook */
	struct net_addr_key addr; /* the address rules look at, ready for the trie */
};

/* Which call a sock_addr program judges. */
enum hook {
	HOOK_CONNECT = 1,
	HOOK_SENDMSG = 2,
	HOOK_BIND = 3,
};

/* The calling program, read only when a rule needs it or a record is made. */
struct net_exe {
	__u64 dev, ino;
	struct file *file;
	bool read;
};

static __always_inline void stat_inc(__u32 idx)
{
	ring_stat_inc(&net_stats, idx);
}

static __always_inline __u64 wakeup_flags(void)
{
	return ring_wakeup_flags(&net_events, &net_stats, NET_STAT_WAKEUPS);
}

static __always_inline void exe_read_btf(struct net_exe *x)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *file = t->mm->exe_file; /* faulting loads read as 0: kernel threads */
	struct inode *inode = file->f_inode;

	x->file = file;
	x->ino = inode->i_ino;
	x->dev = dev_to_user(inode->i_sb->s_dev);
}

static __always_inline void exe_read_probe(struct net_exe *x)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *file = BPF_CORE_READ(t, mm, exe_file);
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	x->file = file;
	x->ino = BPF_CORE_READ(inode, i_ino);
	x->dev = dev_to_user(BPF_CORE_READ(inode, i_sb, s_dev));
}

static __always_inline void exe_read(struct net_exe *x)
{
	if (x->read)
		return;
	x->read = true;
	if (cfg_task_btf)
		exe_read_btf(x);
	else
		exe_read_probe(x);
}

/* The executable's own file name into name[64], cut as userspace cuts it. */
static __always_inline void exe_name(struct net_exe *x, char *name)
{
	struct file *file = x->file;
	const unsigned char *s;

	if (cfg_task_btf)
		s = file->f_path.dentry->d_name.name;
	else
		s = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(name, FILTER_NAME_LEN, s);
}

static __always_inline __u64 lookup_mask(void *map, const void *key)
{
	__u64 *m = bpf_map_lookup_elem(map, key);

	return m ? *m : 0;
}

/*
 * All ones when v's sign bit is clear, else 0; without a branch, so the
 * verifier walks one path.  The barriers keep clang from turning the
 * arithmetic back into a compare and a jump.
 */
static __always_inline __u64 sign_to_mask(__u64 v)
{
	__u64 sign;

	barrier_var(v);
	sign = v >> 63;
	barrier_var(sign);
	return sign - 1; /* all ones when the sign bit was clear */
}

static __always_inline __u64 port_mask(const struct net_state *s, __u32 gen, __u16 port)
{
	struct net_port_key k = { .gen = gen, .port = port };
	__u64 m = s->any_port | lookup_mask(&net_port, &k);
	__u32 n = s->n_ranges;

	/*
	 * Branch-free within a slot: port is in [first, last] when port - first
	 * <= last - first, unsigned; with both sides below 2^32, that is the
	 * sign of their difference in 64 bits.
	 */
	for (__u32 i = 0; i < NET_RANGES_MAX; i++) {
		__u64 off, width;

		if (i >= n)
			break;
		off = (__u32)(port - s->ranges[i].first);
		width = (__u32)(s->ranges[i].last - s->ranges[i].first);
		m |= s->ranges[i].mask & sign_to_mask(width - off);
	}
	return m;
}

/*
 * The clauses the connection satisfies, field by field, cheapest first; stops
 * as soon as no rule's match clause is left.  x is NULL for traffic no
 * process caused (inbound): no clause constraining the executable matches.
 */
static __always_inline __u64 clauses_of(const struct net_state *s, struct net_facts *f,
					struct net_exe *x)
{
	__u64 m = s->clauses[f->direction & 3][f->proto_idx & 1];

	if (!(m & s->match_bits))
		return 0;
	/* A field only costs a lookup when a clause still in the running constrains it. */
	if (m & ~s->any_addr) {
		m &= s->any_addr | lookup_mask(&net_addr, &f->addr);
		if (!(m & s->match_bits))
			return 0;
	}
	if (m & ~s->any_port) {
		m &= port_mask(s, f->gen, f->port);
		if (!(m & s->match_bits))
			return 0;
	}
	if (m & ~s->any_user) {
		struct net_uid_key k = { .gen = f->gen, .uid = f->uid };

		m &= s->any_user | lookup_mask(&net_uid, &k);
		if (!(m & s->match_bits))
			return 0;
	}
	if (!x)
		return m & s->any_path & s->any_name;
	if (m & ~s->any_path) {
		struct filter_inode_key k = { .gen = f->gen };

		exe_read(x);
		k.dev = x->dev;
		k.ino = x->ino;
		m &= s->any_path | lookup_mask(&net_inode, &k);
		if (!(m & s->match_bits))
			return 0;
	}
	if (m & ~s->any_name) {
		struct filter_name_key k = { .gen = f->gen };

		exe_read(x);
		exe_name(x, k.name);
		m &= s->any_name | lookup_mask(&net_name, &k);
	}
	return m;
}

/* The index of the lowest bit set in v (not 0), by counting the bits below it. */
static __always_inline __u32 lowest_bit(__u64 v)
{
	__u64 x = (v & -v) - 1;

	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/*
 * The winning rule: the first firing one that denies, else the first firing
 * one; -1 for none.  Rule i's match clause is bit i, so the rules whose match
 * clause holds are m's low bits; each except clause that holds knocks out its
 * rule.  Usually none does, and the loop does not run.
 */
static __always_inline int rule_pick(const struct net_state *s, __u64 m)
{
	__u64 excepts = m & ~s->match_bits, knocked = 0, fired, deny;

	for (__u32 i = 0; i < NET_CLAUSES_MAX; i++) {
		if (!excepts)
			break;
		knocked |= 1ULL << (s->except_owner[lowest_bit(excepts) & (NET_CLAUSES_MAX - 1)] &
				    (NET_RULES_MAX - 1));
		excepts &= excepts - 1;
	}
	fired = m & s->match_bits & ~knocked;
	if (!fired)
		return -1;
	deny = fired & s->deny_rules;
	return lowest_bit(deny ? deny : fired) & (NET_RULES_MAX - 1);
}

static __always_inline void addr_set4(struct net_addr_key *a, __u32 ip)
{
	a->family = AF_INET;
	__builtin_memcpy(a->addr, &ip, 4);
}

static __always_inline bool is_v4mapped(const __u32 ip6[4])
{
	return ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0x0000ffff);
}

static __always_inline void agg_key_init(struct net_agg_key *k, const struct net_facts *f,
					 __u32 tgid, int rule, __u8 verdict)
{
	k->gen = f->gen;
	k->tgid = tgid;
	k->uid = f->uid;
	k->rule = rule;
	k->direction = f->direction;
	k->protocol = f->protocol;
	k->verdict = verdict;
}

static __always_inline void sample_init(struct net_sample *s, const struct net_facts *f)
{
	s->family = f->addr.family;
	s->_pad = 0;
	s->port = f->port;
	__builtin_memcpy(s->addr, f->addr.addr, sizeof(s->addr));
}

static __always_inline bool sample_eq(const struct net_sample *a, const struct net_sample *b)
{
	const __u32 *x = (const __u32 *)a->addr, *y = (const __u32 *)b->addr;

	return a->family == b->family && a->port == b->port && x[0] == y[0] && x[1] == y[1] &&
	       x[2] == y[2] && x[3] == y[3];
}

/*
 * A 16-bit hash of the address: Fibonacci hashing of its folded words.  For
 * IPv4 that is the address times an odd constant, whose top 16 bits differ
 * for any two addresses of one /16: a sweep of a /16 or less is counted
 * exactly.
 */
static __always_inline __u32 addr_hash(const struct net_sample *s)
{
	const __u32 *w = (const __u32 *)s->addr;
	__u32 h = w[0] ^ (w[1] * 0x85ebca6bU) ^ (w[2] * 0xc2b2ae35U) ^ (w[3] * 0x27d4eb2fU);

	if (s->family == AF_INET6)
		h ^= 0x5bd1e995U; /* :: is not 0.0.0.0 */

	return (h * 0x9e3779b1U) >> 16;
}

/* Sets bit i of the bitmap; true when it was clear. */
static __always_inline bool bit_set(__u64 *map, __u32 i)
{
	__u64 bit = 1ULL << (i & 63);

	return !(__sync_fetch_and_or(&map[(i / 64) & (NET_SCAN_BITS / 64 - 1)], bit) & bit);
}

/*
 * A later event of key k, to destination s: counts a new port or address
 * into v and keeps it as a sample while there is room.  The common case, the
 * same destination as the recorded event, costs one compare.
 */
static __always_inline void scan_count(const struct net_agg_key *k, struct net_agg_value *v,
				       const struct net_sample *s)
{
	struct net_scan_bits *b;
	bool new_port, new_addr;
	__u32 i;

	if (sample_eq(&v->samples[0], s))
		return;
	b = bpf_map_lookup_elem(&net_scan, k);
	if (!b) {
		if (v->flags & NET_AGG_SCAN_PARTIAL)
			return;
		if (bpf_map_update_elem(&net_scan, k, &scan_zero, BPF_NOEXIST) != 0 &&
		    !bpf_map_lookup_elem(&net_scan, k)) {
			v->flags |= NET_AGG_SCAN_PARTIAL;
			return;
		}
		b = bpf_map_lookup_elem(&net_scan, k);
		if (!b)
			return;
		/* The recorded destination was counted when the key was made. */
		bit_set(b->ports, v->samples[0].port);
		bit_set(b->addrs, addr_hash(&v->samples[0]));
	}
	new_port = bit_set(b->ports, s->port);
	new_addr = bit_set(b->addrs, addr_hash(s));
	if (new_port)
		__sync_fetch_and_add(&v->ports, 1);
	if (new_addr)
		__sync_fetch_and_add(&v->addrs, 1);
	if (!(new_port || new_addr) || v->n_samples >= NET_SAMPLES_MAX)
		return;
	i = __sync_fetch_and_add(&v->n_samples, 1);
	if (i < NET_SAMPLES_MAX)
		__builtin_memcpy(&v->samples[i], s, sizeof(*s));
}

/*
 * Counts one event of key k, to destination s, with the given outcome.
 * Returns the ring record to fill and submit when this is the key's first
 * event (or the map is full), NULL when the event was counted in net_agg or
 * the ring had no room.
 */
static __always_inline struct event_net *
agg_count(const struct net_agg_key *k, const struct net_sample *s, __u32 outcome, __u16 *flags)
{
	struct net_agg_value *v, nv = {};
	struct event_net *e;
	__u64 now = bpf_ktime_get_boot_ns();
	long err;

	if (outcome >= _EVENT_NET_OUTCOME_MAX)
		outcome = EVENT_NET_OUTCOME_UNKNOWN;
	v = bpf_map_lookup_elem(&net_agg, k);
	if (v)
		goto count;
	/* Room in the ring first: a key whose record was lost tries again next time. */
	e = bpf_ringbuf_reserve(&net_events, sizeof(*e), 0);
	if (!e) {
		stat_inc(NET_STAT_LOST);
		return NULL;
	}
	nv.first_ns = nv.last_ns = now;
	nv.ports = nv.addrs = nv.n_samples = 1;
	__builtin_memcpy(&nv.samples[0], s, sizeof(*s));
	err = bpf_map_update_elem(&net_agg, k, &nv, BPF_NOEXIST);
	if (err == 0)
		return e;
	v = bpf_map_lookup_elem(&net_agg, k);
	if (v) {
		/* Another CPU recorded the key first. */
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		goto count;
	}
	/* The map is full: every event is a record of its own. */
	*flags |= EVENT_NET_NOT_AGGREGATED;
	return e;
count:
	__sync_fetch_and_add(&v->count[outcome], 1);
	v->last_ns = now;
	scan_count(k, v, s);
	stat_inc(NET_STAT_AGGREGATED);
	return NULL;
}

static __always_inline void record_init(struct event_net *e, const struct net_agg_key *k,
					const struct net_sample *s, __u32 outcome, __u16 flags)
{
	header_init(&e->header, EVENT_KIND_NET, EVENT_NET_VERSION, sizeof(*e));
	e->direction = k->direction;
	e->protocol = k->protocol;
	e->family = s->family;
	e->verdict = k->verdict;
	e->outcome = outcome;
	e->rule = k->rule;
	e->flags = flags;
	e->gen = k->gen;
	e->count = 1;
	e->_pad = 0;
}

static __always_inline void record_submit(struct event_net *e)
{
	stat_inc(NET_STAT_SENT);
	bpf_ringbuf_submit(e, wakeup_flags());
}

/* fill_task_common(), with plain loads through the task's BTF. */
static __always_inline void fill_task_btf(struct event_task *e)
{
	struct task_struct *t = bpf_get_current_task_btf();

	e->pid = t->tgid;
	e->tid = t->pid;
	e->ppid = t->real_parent->tgid;
	e->loginuid = (__u32)-1;
	if (bpf_core_field_exists(t->loginuid))
		e->loginuid = t->loginuid.val;
	e->start_boot_ns = 0;
	if (bpf_core_field_exists(t->start_boottime))
		e->start_boot_ns = t->group_leader->start_boottime;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), t->group_leader->comm);
}

/*
 * The calling task, as process.bpf.c describes it, but named by its process:
 * comm is the thread group leader's, not the calling thread's, so a
 * browser's resolver thread ("DNS Res~ver #1") is reported as the browser.
 * tid still says which thread it was.
 */
static __always_inline void fill_task(struct event_task *e)
{
	__u64 ug = bpf_get_current_uid_gid();

	if (cfg_task_btf) {
		fill_task_btf(e);
	} else {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		fill_task_common(e, t);
		BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	}
	e->uid = (__u32)ug;
	e->gid = ug >> 32;
}

/*
 * The body of every sock_addr program: judge, then record, count or await
 * the outcome.  Returns what the program returns: 1 lets the call go on, 0
 * fails it with EPERM.
 */
static __always_inline int sock_addr_judge(struct bpf_sock_addr *ctx, struct net_facts *f)
{
	struct net_exe x = {};
	struct net_agg_key k = {};
	struct net_sample smp;
	struct net_state *s;
	struct event_net *e;
	__u32 slot = f->gen & 1;
	__u16 flags = f->flags;
	__u8 verdict;
	bool deny;
	__u64 m;
	__u32 tgid;
	int rule;

	s = bpf_map_lookup_elem(&net_state, &slot);
	if (!s)
		return 1;
	f->uid = (__u32)bpf_get_current_uid_gid();
	m = clauses_of(s, f, &x);
	rule = rule_pick(s, m);
	if (rule < 0 || rule >= NET_RULES_MAX)
		return 1;
	/*
	 * The agent's sender talks to the collector, which is where a fixed
	 * policy comes from: no rule may cut that way.  Looked up only for
	 * traffic a rule is about, not for every call.
	 */
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&net_exempt, &tgid))
		return 1;
	deny = s->deny_rules & (1ULL << rule);
	/*
	 * A TCP bind is not a listener yet: most binds that are never followed
	 * by listen() set the source of an outgoing connection.  Unless it is
	 * to be refused, the listen() is what is judged (tcp_listen()).
	 */
	if (f->hook == HOOK_BIND && f->protocol == IPPROTO_TCP && !deny)
		return 1;
	sample_init(&smp, f);
	/* A datagram back to a peer the socket received from is a server's reply. */
	if (f->protocol == IPPROTO_UDP && f->hook != HOOK_BIND) {
		struct net_peer_key pk = { .cookie = bpf_get_socket_cookie(ctx), .peer = smp };

		if (bpf_map_lookup_elem(&net_peers, &pk)) {
			stat_inc(NET_STAT_REPLIES);
			return 1;
		}
	}
	verdict = deny ? EVENT_NET_DENIED : EVENT_NET_REPORTED;
	if (deny)
		stat_inc(NET_STAT_DENIED);
	agg_key_init(&k, f, tgid, rule, verdict);

	/*
	 * A TCP connect that goes ahead is counted when its outcome is known; a
	 * UDP connect sends nothing, and is counted at the socket's first send
	 * (udp_first_send()), if it ever sends.
	 */
	if (!deny && f->hook == HOOK_CONNECT && (f->protocol == IPPROTO_TCP || cfg_udp_send)) {
		struct net_pending p = {};
		__u64 cookie = bpf_get_socket_cookie(ctx);

		p.key = k;
		p.sample = smp;
		/* A key counted before needs no record, and so no more than its key. */
		if (bpf_map_lookup_elem(&net_agg, &k)) {
			p.task.pid = k.tgid;
			p.task.uid = k.uid;
			p.flags = flags | EVENT_NET_TASK_PARTIAL;
		} else {
			exe_read(&x);
			fill_task(&p.task);
			p.exe_dev = x.dev;
			p.exe_ino = x.ino;
			p.flags = flags;
		}
		p.time_ns = bpf_ktime_get_boot_ns();
		if (bpf_map_update_elem(&net_pending, &cookie, &p, BPF_ANY) == 0)
			return 1;
		stat_inc(NET_STAT_PENDING_FULL);
		flags |= EVENT_NET_NO_OUTCOME;
	}

	e = agg_count(&k, &smp,
		      flags & EVENT_NET_NO_OUTCOME ? EVENT_NET_OUTCOME_UNKNOWN :
						     EVENT_NET_OUTCOME_NONE,
		      &flags);
	if (e) {
		record_init(e, &k, &smp,
			    flags & EVENT_NET_NO_OUTCOME ? EVENT_NET_OUTCOME_UNKNOWN :
							   EVENT_NET_OUTCOME_NONE,
			    flags);
		exe_read(&x);
		fill_task(&e->task);
		e->exe_dev = x.dev;
		e->exe_ino = x.ino;
		__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
		__builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
		e->local_port = e->remote_port = 0;
		if (f->direction == EVENT_NET_LISTEN) {
			__builtin_memcpy(e->local_addr, smp.addr, sizeof(e->local_addr));
			e->local_port = smp.port;
		} else {
			__builtin_memcpy(e->remote_addr, smp.addr, sizeof(e->remote_addr));
			e->remote_port = smp.port;
		}
		record_submit(e);
	}
	return deny ? 0 : 1;
}

/* Fills the facts common to the sock_addr programs; false when no rule can be concerned. */
static __always_inline bool facts_init(struct bpf_sock_addr *ctx, struct net_facts *f, __u8 hook)
{
	__u8 dir = hook == HOOK_BIND ? EVENT_NET_LISTEN : EVENT_NET_OUTBOUND;
	__u32 protocol = ctx->protocol;

	f->gen = net_gen;
	if (!f->gen)
		return false;
	if (protocol == IPPROTO_TCP)
		f->proto_idx = 0;
	else if (protocol == IPPROTO_UDP)
		f->proto_idx = 1;
	else
		return false;
	f->protocol = protocol;
	f->direction = dir;
	f->hook = hook;
	f->port = bpf_ntohs((__u16)ctx->user_port);
	f->addr.gen = f->gen;
	return true;
}

static __always_inline int sock_addr4(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct net_facts f = {};

	if (!facts_init(ctx, &f, hook))
		return 1;
	addr_set4(&f.addr, ctx->user_ip4);
	f.addr.prefixlen = NET_ADDR_KEY_BITS(32);
	return sock_addr_judge(ctx, &f);
}

static __always_inline int sock_addr6(struct bpf_sock_addr *ctx, __u8 hook)
{
	struct net_facts f = {};
	__u32 ip6[4];

	if (!facts_init(ctx, &f, hook))
		return 1;
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
	if (is_v4mapped(ip6)) {
		addr_set4(&f.addr, ip6[3]);
		f.addr.prefixlen = NET_ADDR_KEY_BITS(32);
		f.flags |= EVENT_NET_V4MAPPED;
	} else {
		f.addr.family = AF_INET6;
		__builtin_memcpy(f.addr.addr, ip6, 16);
		f.addr.prefixlen = NET_ADDR_KEY_BITS(128);
	}
	return sock_addr_judge(ctx, &f);
}

SEC("cgroup/connect4")
int net_connect4(struct bpf_sock_addr *ctx)
{
	return sock_addr4(ctx, HOOK_CONNECT);
}

SEC("cgroup/connect6")
int net_connect6(struct bpf_sock_addr *ctx)
{
	return sock_addr6(ctx, HOOK_CONNECT);
}

SEC("cgroup/sendmsg4")
int net_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_addr4(ctx, HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int net_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock_addr6(ctx, HOOK_SENDMSG);
}

SEC("cgroup/bind4")
int net_bind4(struct bpf_sock_addr *ctx)
{
	return sock_addr4(ctx, HOOK_BIND);
}

SEC("cgroup/bind6")
int net_bind6(struct bpf_sock_addr *ctx)
{
	return sock_addr6(ctx, HOOK_BIND);
}

/*
 * A datagram received with its sender's address (recvfrom(), recvmsg() with
 * msg_name): the sender is a peer of the socket, and what the socket sends
 * back to it is a reply (sock_addr_judge()).  Attached only while an
 * outbound UDP rule is in force; it lets every call through.
 */
static __always_inline void peer_note(struct bpf_sock_addr *ctx, bool v6)
{
	struct net_peer_key pk = {};
	__u8 one = 1;

	if (!net_gen || ctx->protocol != IPPROTO_UDP)
		return;
	pk.cookie = bpf_get_socket_cookie(ctx);
	pk.peer.port = bpf_ntohs((__u16)ctx->user_port);
	if (!v6) {
		__u32 ip = ctx->user_ip4;

		pk.peer.family = AF_INET;
		__builtin_memcpy(pk.peer.addr, &ip, 4);
	} else {
		__u32 ip6[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
				 ctx->user_ip6[3] };

		if (is_v4mapped(ip6)) {
			pk.peer.family = AF_INET;
			__builtin_memcpy(pk.peer.addr, &ip6[3], 4);
		} else {
			pk.peer.family = AF_INET6;
			__builtin_memcpy(pk.peer.addr, ip6, 16);
		}
	}
	/* Known already: the LRU's order does not need the update. */
	if (!bpf_map_lookup_elem(&net_peers, &pk))
		bpf_map_update_elem(&net_peers, &pk, &one, BPF_ANY);
}

SEC("cgroup/recvmsg4")
int net_recvmsg4(struct bpf_sock_addr *ctx)
{
	peer_note(ctx, false);
	return 1;
}

SEC("cgroup/recvmsg6")
int net_recvmsg6(struct bpf_sock_addr *ctx)
{
	peer_note(ctx, true);
	return 1;
}

/* --- a connected UDP socket's first send ------------------------------------ */

/*
 * sock/sock_send_length runs after every sendmsg of every socket, in the
 * sender; attached only while a reported outbound UDP rule is in force.  A
 * UDP socket whose connect() a rule reported is counted here, at its first
 * send; one that never sends is never counted.
 */
static __always_inline void udp_first_send(__u64 cookie)
{
	struct net_pending *p;
	struct event_net *e;
	__u16 flags;

	if (!cookie || !net_gen)
		return;
	p = bpf_map_lookup_elem(&net_pending, &cookie);
	if (!p || p->key.protocol != IPPROTO_UDP)
		return;
	flags = p->flags;
	e = agg_count(&p->key, &p->sample, EVENT_NET_OUTCOME_NONE, &flags);
	if (e) {
		record_init(e, &p->key, &p->sample, EVENT_NET_OUTCOME_NONE, flags);
		__builtin_memcpy(&e->task, &p->task, sizeof(e->task));
		e->exe_dev = p->exe_dev;
		e->exe_ino = p->exe_ino;
		__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
		__builtin_memcpy(e->remote_addr, p->sample.addr, sizeof(e->remote_addr));
		e->local_port = 0;
		e->remote_port = p->sample.port;
		record_submit(e);
	}
	bpf_map_delete_elem(&net_pending, &cookie);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(net_udp_send_btf, struct sock *sk, int ret, int flags)
{
	if (sk->sk_protocol != IPPROTO_UDP)
		return 0;
	udp_first_send(sk->__sk_common.skc_cookie.counter);
	return 0;
}

SEC("tp/sock/sock_send_length")
int net_udp_send_tp(struct trace_event_raw_sock_msg_length *ctx)
{
	struct sock *sk;

	if (ctx->protocol != IPPROTO_UDP)
		return 0;
	sk = ctx->sk;
	udp_first_send(BPF_CORE_READ(sk, __sk_common.skc_cookie.counter));
	return 0;
}

/* --- TCP state changes ----------------------------------------------------- */

/*
 * Two flavours carry the same body, as in process.bpf.c: tp_btf where the
 * kernel supports BTF-typed raw tracepoints (called directly, the cheaper
 * one: it runs for every TCP state change on the machine), the classic
 * tracepoint otherwise.  The loader enables exactly one.  The classic one
 * has the addresses in its record; tp_btf reads them from the socket.
 */
/*
 * A field of the socket: tp_btf (btf, a constant in each program) has a BTF
 * pointer and loads it directly, the classic tracepoint has an address and
 * reads it with a helper.
 */
#define SK_READ(btf, sk, field) ((btf) ? (sk)->field : BPF_CORE_READ(sk, field))

struct tcp_change {
	__u8 local[16], remote[16];
	__u16 local_port, remote_port; /* host order */
	__u8 family; /* v4-mapped IPv6 addresses are IPv4 */
	__u16 flags; /* EVENT_NET_V4MAPPED */
};

static __always_inline void tcp_change_addrs(struct trace_event_raw_inet_sock_set_state *ctx,
					     struct sock *sk, bool btf, struct tcp_change *c)
{
	__u32 s6[4] = {}, d6[4] = {};
	__u16 family;

	__builtin_memset(c->local, 0, 16);
	__builtin_memset(c->remote, 0, 16);
	/* Arrays of the tracepoint's record are read, not dereferenced: ctx may not move. */
	if (!btf) {
		family = ctx->family;
		c->local_port = ctx->sport;
		c->remote_port = ctx->dport;
	} else {
		family = sk->__sk_common.skc_family;
		c->local_port = sk->__sk_common.skc_num;
		c->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
	}
	c->family = AF_INET;
	if (family == AF_INET) {
		if (!btf) {
			bpf_core_read(c->local, 4, &ctx->saddr);
			bpf_core_read(c->remote, 4, &ctx->daddr);
		} else {
			bpf_core_read(c->local, 4, &sk->__sk_common.skc_rcv_saddr);
			bpf_core_read(c->remote, 4, &sk->__sk_common.skc_daddr);
		}
		return;
	}
	if (!btf) {
		bpf_core_read(s6, 16, &ctx->saddr_v6);
		bpf_core_read(d6, 16, &ctx->daddr_v6);
	} else {
		bpf_core_read(s6, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(d6, 16, &sk->__sk_common.skc_v6_daddr);
	}
	if (is_v4mapped(d6)) {
		__builtin_memcpy(c->local, &s6[3], 4);
		__builtin_memcpy(c->remote, &d6[3], 4);
		c->flags |= EVENT_NET_V4MAPPED;
		return;
	}
	c->family = AF_INET6;
	__builtin_memcpy(c->local, s6, 16);
	__builtin_memcpy(c->remote, d6, 16);
}

/* A reported connect ended its handshake: count it with its outcome. */
static __always_inline void tcp_outcome(struct trace_event_raw_inet_sock_set_state *ctx,
					struct sock *sk, bool btf, int newstate)
{
	__u64 cookie = SK_READ(btf, sk, __sk_common.skc_cookie.counter);
	struct tcp_change c = {};
	struct net_pending *p;
	struct event_net *e;
	__u32 outcome;
	__u16 flags;

	if (!cookie)
		return;
	p = bpf_map_lookup_elem(&net_pending, &cookie);
	if (!p)
		return;
	if (newstate == TCP_ESTABLISHED) {
		outcome = EVENT_NET_OUTCOME_ESTABLISHED;
	} else {
		int err = SK_READ(btf, sk, sk_err);

		if (err == ECONNREFUSED)
			outcome = EVENT_NET_OUTCOME_REFUSED;
		else if (err == ETIMEDOUT)
			outcome = EVENT_NET_OUTCOME_TIMED_OUT;
		else
			outcome = EVENT_NET_OUTCOME_FAILED;
	}
	flags = p->flags;
	e = agg_count(&p->key, &p->sample, outcome, &flags);
	if (e) {
		tcp_change_addrs(ctx, sk, btf, &c);
		record_init(e, &p->key, &p->sample, outcome, flags | c.flags);
		__builtin_memcpy(&e->task, &p->task, sizeof(e->task));
		e->exe_dev = p->exe_dev;
		e->exe_ino = p->exe_ino;
		__builtin_memcpy(e->local_addr, c.local, 16);
		__builtin_memcpy(e->remote_addr, c.remote, 16);
		e->local_port = c.local_port;
		e->remote_port = c.remote_port;
		record_submit(e);
	}
	bpf_map_delete_elem(&net_pending, &cookie);
}

/*
 * The facts of a TCP state change as a rule of direction sees them: the
 * local port, uid, and addr (the remote end for inbound, the local one for
 * listen).
 */
static __always_inline void tcp_facts(struct net_facts *f, __u32 gen, __u8 direction,
				      const struct tcp_change *c, __u32 uid, const __u8 *addr)
{
	f->gen = gen;
	f->direction = direction;
	f->protocol = IPPROTO_TCP;
	f->proto_idx = 0;
	f->port = c->local_port;
	f->uid = uid;
	f->addr.gen = gen;
	f->addr.family = c->family;
	__builtin_memcpy(f->addr.addr, addr, 16);
	f->addr.prefixlen = NET_ADDR_KEY_BITS(c->family == AF_INET ? 32 : 128);
}

/* An accepted connection: judged without a process, by the listener's owner. */
static __always_inline void tcp_inbound(struct trace_event_raw_inet_sock_set_state *ctx,
					struct sock *sk, bool btf, __u32 gen)
{
	struct net_facts f = {};
	struct net_agg_key k = {};
	struct net_sample smp;
	struct tcp_change c = {};
	struct net_state *s;
	struct event_net *e;
	__u32 slot = gen & 1;
	__u16 flags;
	int rule;

	s = bpf_map_lookup_elem(&net_state, &slot);
	if (!s || !(s->clauses[EVENT_NET_INBOUND][0] & s->match_bits))
		return;
	tcp_change_addrs(ctx, sk, btf, &c);
	flags = c.flags;
	tcp_facts(&f, gen, EVENT_NET_INBOUND, &c, SK_READ(btf, sk, sk_uid.val), c.remote);
	rule = rule_pick(s, clauses_of(s, &f, NULL));
	if (rule < 0 || rule >= NET_RULES_MAX)
		return;
	agg_key_init(&k, &f, 0, rule, EVENT_NET_REPORTED);
	sample_init(&smp, &f);
	e = agg_count(&k, &smp, EVENT_NET_OUTCOME_NONE, &flags);
	if (!e)
		return;
	record_init(e, &k, &smp, EVENT_NET_OUTCOME_NONE, flags);
	__builtin_memset(&e->task, 0, sizeof(e->task));
	e->task.uid = f.uid;
	e->task.gid = (__u32)-1;
	e->task.loginuid = (__u32)-1;
	e->exe_dev = e->exe_ino = 0;
	__builtin_memcpy(e->local_addr, c.local, 16);
	__builtin_memcpy(e->remote_addr, c.remote, 16);
	e->local_port = c.local_port;
	e->remote_port = c.remote_port;
	record_submit(e);
}

/*
 * listen(): the socket becomes TCP_LISTEN, in the caller's context, before
 * the kernel hashes it (a listen() that then fails goes back to TCP_CLOSE at
 * once).  Judged as a listen rule sees it; never refused here (a deny rule
 * in enforce mode refuses the bind() before).  A socket without a bind()
 * gets its port only after this: its record says so (EVENT_NET_RULE_UNJUDGED)
 * and the agent looks it up.
 */
static __always_inline void tcp_listen(struct trace_event_raw_inet_sock_set_state *ctx,
				       struct sock *sk, bool btf, __u32 gen)
{
	struct net_exe x = {};
	struct net_facts f = {};
	struct net_agg_key k = {};
	struct net_sample smp;
	struct tcp_change c = {};
	struct net_state *s;
	struct event_net *e;
	__u32 slot = gen & 1, tgid;
	__u16 flags;
	int rule;

	s = bpf_map_lookup_elem(&net_state, &slot);
	if (!s || !(s->clauses[EVENT_NET_LISTEN][0] & s->match_bits))
		return;
	tcp_change_addrs(ctx, sk, btf, &c);
	flags = c.flags;
	tcp_facts(&f, gen, EVENT_NET_LISTEN, &c, (__u32)bpf_get_current_uid_gid(), c.local);
	if (f.port == 0)
		rule = EVENT_NET_RULE_UNJUDGED;
	else
		rule = rule_pick(s, clauses_of(s, &f, &x));
	if (rule < 0 || (rule >= NET_RULES_MAX && rule != EVENT_NET_RULE_UNJUDGED))
		return;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&net_exempt, &tgid))
		return;
	agg_key_init(&k, &f, tgid, rule, EVENT_NET_REPORTED);
	sample_init(&smp, &f);
	e = agg_count(&k, &smp, EVENT_NET_OUTCOME_NONE, &flags);
	if (!e)
		return;
	record_init(e, &k, &smp, EVENT_NET_OUTCOME_NONE, flags);
	exe_read(&x);
	fill_task(&e->task);
	e->exe_dev = x.dev;
	e->exe_ino = x.ino;
	__builtin_memcpy(e->local_addr, c.local, 16);
	__builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
	e->local_port = c.local_port;
	e->remote_port = 0;
	record_submit(e);
}

/* The transitions that matter; the states are known before anything is read. */
static __always_inline int tcp_state(struct trace_event_raw_inet_sock_set_state *ctx,
				     struct sock *sk, bool btf, int oldstate, int newstate,
				     __u16 protocol)
{
	__u32 gen = net_gen;

	if (!gen || protocol != IPPROTO_TCP)
		return 0;
	if (oldstate == TCP_SYN_SENT && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE))
		tcp_outcome(ctx, sk, btf, newstate);
	else if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)
		tcp_inbound(ctx, sk, btf, gen);
	else if (newstate == TCP_LISTEN)
		tcp_listen(ctx, sk, btf, gen);
	return 0;
}

static __always_inline bool tcp_state_wanted(int oldstate, int newstate)
{
	return (oldstate == TCP_SYN_SENT &&
		(newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)) ||
	       (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) ||
	       (oldstate == TCP_CLOSE && newstate == TCP_LISTEN);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_tcp_state_btf, struct sock *sk, int oldstate, int newstate)
{
	if (!tcp_state_wanted(oldstate, newstate))
		return 0;
	return tcp_state(NULL, sk, true, oldstate, newstate, sk->sk_protocol);
}

SEC("tp/sock/inet_sock_set_state")
int net_tcp_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	int oldstate = ctx->oldstate, newstate = ctx->newstate;

	if (!tcp_state_wanted(oldstate, newstate))
		return 0;
	return tcp_state(ctx, (struct sock *)ctx->skaddr, false, oldstate, newstate, ctx->protocol);
}
