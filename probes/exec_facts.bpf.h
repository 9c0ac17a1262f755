/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the process probe decides about an exec from kernel objects, at the
 * exec, rather than what userspace could look up later in /proc (where a
 * short-lived program is gone by then): where the executable lies, whether it
 * has a name on disk at all, what its standard descriptors are, and its path
 * resolved from its struct file.
 *
 * Every walk is bounded: EXEC_WALK_DEPTH directories up for the location
 * facts, EXEC_PATH_DEPTH components (and mounts crossed) for the path.  Past
 * them a fact is "no" and a path is marked cut; the userspace side says so.
 *
 * Include after kernel_types.h, the libbpf headers and events.h.
 */
#ifndef POSTURED_PROBES_EXEC_FACTS_BPF_H
#define POSTURED_PROBES_EXEC_FACTS_BPF_H

#define EXEC_WALK_DEPTH 16
#define EXEC_PATH_DEPTH 32
/* A component longer than this is cut: file names are at most 255 bytes on Linux. */
#define EXEC_NAME_MAX 255

/*
 * Whether d's directory, or a directory above it on d's file system, may be
 * written by every user (/tmp, /var/tmp, /dev/shm and what lies under them).
 * With self, d itself counts too (d is a directory: a working directory).
 * The walk stops at the file system's root, which is itself tested: a tmpfs
 * mounted on /tmp has the 1777 root.
 */
static __always_inline bool dentry_in_world_writable(struct dentry *d, bool self)
{
	if (self && (BPF_CORE_READ(d, d_inode, i_mode) & S_IWOTH))
		return true;
	for (int i = 0; i < EXEC_WALK_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);

		if (!parent)
			return false;
		if (BPF_CORE_READ(parent, d_inode, i_mode) & S_IWOTH)
			return true;
		if (parent == d)
			return false;
		d = parent;
	}
	return false;
}

/* The facts of the executable's own file, as event_exec.facts bits. */
static __always_inline __u32 exec_file_facts(struct file *file)
{
	__u32 facts = 0;

	/* memfd_create() files are born unlinked; a deleted executable has lost its last link. */
	if (BPF_CORE_READ(file, f_inode, i_nlink) == 0)
		facts |= 1U << EVENT_FACT_MEMORY;
	if (dentry_in_world_writable(BPF_CORE_READ(file, f_path.dentry), false))
		facts |= 1U << EVENT_FACT_WORLD_WRITABLE;
	return facts;
}

/* Task t's descriptor table, read once for the standard descriptors. */
struct task_fds {
	struct file **fds;
	unsigned int max;
};

static __always_inline struct task_fds task_fds(struct task_struct *t)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct task_fds tf = {};

	if (fdt) {
		tf.max = BPF_CORE_READ(fdt, max_fds);
		tf.fds = BPF_CORE_READ(fdt, fd);
	}
	return tf;
}

/* The file at descriptor fd of tf, or NULL. */
static __always_inline struct file *task_fd(const struct task_fds *tf, unsigned int fd)
{
	struct file *f = NULL;

	if (!tf->fds || fd >= tf->max)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &tf->fds[fd]) < 0)
		return NULL;
	return f;
}

/* The sock of a socket's file. */
static __always_inline struct sock *file_sock(struct file *f)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);

	return BPF_CORE_READ(sock, sk);
}

/* What descriptor fd of tf is, into *s; for a socket its peer.  Returns the kind. */
static __always_inline __u8 stdio_fill(const struct task_fds *tf, unsigned int fd,
				       struct event_stdio *s)
{
	struct file *f = task_fd(tf, fd);
	struct sock *sk;
	umode_t mode;
	__u16 family;

	__builtin_memset(s, 0, sizeof(*s));
	if (!f)
		return s->kind = EVENT_STDIO_CLOSED;
	mode = BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT;
	s->ino = BPF_CORE_READ(f, f_inode, i_ino);
	switch (mode) {
	case S_IFREG:
	case S_IFDIR:
		return s->kind = EVENT_STDIO_FILE;
	case S_IFCHR:
		return s->kind = EVENT_STDIO_CHAR;
	case S_IFIFO:
		return s->kind = EVENT_STDIO_PIPE;
	case S_IFSOCK:
		break;
	default:
		return s->kind = EVENT_STDIO_OTHER;
	}
	sk = file_sock(f);
	if (!sk)
		return s->kind = EVENT_STDIO_SOCKET;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_UNIX)
		return s->kind = EVENT_STDIO_UNIX;
	if (family != AF_INET && family != AF_INET6)
		return s->kind = EVENT_STDIO_SOCKET;
	s->protocol = BPF_CORE_READ(sk, sk_protocol);
	if (s->protocol != IPPROTO_TCP && s->protocol != IPPROTO_UDP) {
		s->protocol = 0;
		return s->kind = EVENT_STDIO_SOCKET;
	}
	s->family = family;
	s->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	s->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__be32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(s->remote_addr, &daddr, sizeof(daddr));
	} else {
		BPF_CORE_READ_INTO(&s->remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	return s->kind = EVENT_STDIO_NETWORK;
}

/* Whether one of t's descriptors 0 to 2 is a TCP or UDP socket (cheaper than stdio_fill()). */
static __always_inline bool stdio_network(struct task_struct *t)
{
	struct task_fds tf = task_fds(t);

	/* Unrolled: see exec_fill() on why loops around helper calls are kept short here. */
#pragma unroll
	for (unsigned int fd = 0; fd < 3; fd++) {
		struct file *f = task_fd(&tf, fd);
		struct sock *sk;
		__u16 family;

		if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
			continue;
		sk = file_sock(f);
		if (!sk)
			continue;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family != AF_INET && family != AF_INET6)
			continue;
		family = BPF_CORE_READ(sk, sk_protocol);
		if (family == IPPROTO_TCP || family == IPPROTO_UDP)
			return true;
	}
	return false;
}

/*
 * Room to build a path from its end: components are prepended from offset
 * EVENT_PATH_LEN - 1 down, and a component read at any offset below that
 * stays inside.
 */
struct path_scratch {
	char buf[EVENT_PATH_LEN * 2];
};

/*
 * The path of file from the root of the mount tree, as d_path() would give
 * it without " (deleted)", into out (EVENT_PATH_LEN bytes) through scratch.
 * Returns the bytes written, NUL included, and sets *cut when the path was
 * deeper than EXEC_PATH_DEPTH or longer than out; 0 when nothing could be
 * read.
 */
static __always_inline __u16 file_path(struct file *file, struct path_scratch *scratch, char *out,
				       bool *cut)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct dentry *root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	__u32 off = EVENT_PATH_LEN - 1, size;
	int i;

	scratch->buf[EVENT_PATH_LEN - 1] = '\0';
	*cut = true;
	for (i = 0; i < EXEC_PATH_DEPTH; i++) {
		struct dentry *parent;
		__u32 len;

		if (d == root) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (up == mnt) {
				/* The root of the mount tree. */
				*cut = false;
				break;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vfsmnt = (void *)mnt + bpf_core_field_offset(struct mount, mnt);
			root = BPF_CORE_READ(vfsmnt, mnt_root);
			continue;
		}
		len = BPF_CORE_READ(d, d_name.len);
		if (len > EXEC_NAME_MAX)
			len = EXEC_NAME_MAX;
		if (len + 1 > off)
			break;
		off -= len + 1;
		off &= EVENT_PATH_LEN - 1; /* no-op: gives the verifier its bound */
		scratch->buf[off] = '/';
		if (bpf_probe_read_kernel(&scratch->buf[off + 1], len & EXEC_NAME_MAX,
					  BPF_CORE_READ(d, d_name.name)) < 0)
			return 0;
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d) {
			/* A file of no directory (a memfd): its name alone, as d_path() has it. */
			*cut = false;
			break;
		}
		d = parent;
	}
	if (off == EVENT_PATH_LEN - 1) {
		/* The root itself. */
		off = EVENT_PATH_LEN - 2;
		scratch->buf[off] = '/';
	}
	size = EVENT_PATH_LEN - off;
	if (size > EVENT_PATH_LEN)
		return 0;
	off &= EVENT_PATH_LEN - 1;
	if (bpf_probe_read_kernel(out, size, &scratch->buf[off]) < 0)
		return 0;
	return size;
}

#endif
