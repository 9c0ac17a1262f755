// SPDX-License-Identifier: LGPL-2.1-or-later
/* The engine's ops on the real system: the loaded probe, pidfds and /proc. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "engine.h"
#include "probe_net.h"
#include "probe_process.h"

static int sys_filter_begin(void *ctx)
{
	struct engine_system *s = ctx;

	return probe_process_filter_begin(s->probe);
}

static int sys_filter_add_inode(void *ctx, uint64_t dev, uint64_t ino,
				const struct filter_verdict *v)
{
	struct engine_system *s = ctx;

	return probe_process_filter_add_inode(s->probe, dev, ino, v);
}

static int sys_filter_add_name(void *ctx, const char *name, const struct filter_verdict *v)
{
	struct engine_system *s = ctx;

	return probe_process_filter_add_name(s->probe, name, v);
}

static int sys_filter_add_path(void *ctx, const char *path, const struct filter_verdict *v)
{
	struct engine_system *s = ctx;

	return probe_process_filter_add_path(s->probe, path, v);
}

static int sys_filter_add_fact(void *ctx, unsigned fact, const struct filter_verdict *v)
{
	struct engine_system *s = ctx;

	return probe_process_filter_add_fact(s->probe, fact, v);
}

static void sys_filter_pipe_writers(void *ctx, bool on)
{
	struct engine_system *s = ctx;

	probe_process_filter_pipe_writers(s->probe, on);
}

static int sys_pipe_writer(void *ctx, uint64_t ino, char *buf, size_t size)
{
	struct engine_system *s = ctx;

	return probe_process_pipe_writer(s->probe, ino, buf, size);
}

/*
 * From the file's directory up to the root, as the probe walks the
 * executable's dentries (probes/exec_facts.bpf.h), but through symlinks, as
 * the path is followed when the file is opened.
 */
static int sys_in_world_writable(void *ctx, const char *path)
{
	char dir[PATH_MAX];
	size_t len;
	int examined = 0;

	(void)ctx;
	if (!path || path[0] != '/')
		return -EINVAL;
	len = strlen(path);
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, len + 1);
	for (;;) {
		char *slash = strrchr(dir, '/');
		struct stat st;
		bool root = slash == dir;

		if (!slash)
			break;
		slash[root ? 1 : 0] = '\0';
		if (stat(dir, &st) == 0) {
			examined++;
			if (S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH))
				return 1;
		}
		if (root)
			break;
	}
	return examined ? 0 : -ENOENT;
}

static int sys_filter_commit(void *ctx, bool open)
{
	struct engine_system *s = ctx;

	return probe_process_filter_commit(s->probe, open);
}

static uint32_t sys_filter_gen(void *ctx)
{
	struct engine_system *s = ctx;

	return probe_process_filter_gen(s->probe);
}

/* Whether pid is a zombie (or dead): signalling it would "succeed" and do nothing. */
static bool is_zombie(const char *proc_root, uint32_t pid)
{
	char path[PATH_MAX], buf[1024];
	const char *p;

	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return true;
	p = strrchr(buf, ')');
	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X';
}

/*
 * Kills pid through a pidfd, after checking through /proc that the pid still
 * names the process that exec'd: a pid reused in between must not be hit.
 * Never the agent itself, which a rule about the place it was installed in
 * (/tmp, say) judges when the policy comes into force: that finding says
 * the kill failed (EPERM), and the agent goes on watching.
 */
static int sys_kill(void *ctx, uint32_t pid, nsec_t start_boot)
{
	struct engine_system *s = ctx;
	_cleanup_close_ int pidfd = -EBADF;
	struct proc_entry pe = {};
	int r;

	if ((pid_t)pid == getpid())
		return -EPERM;
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return -errno;
	/* The pidfd pins the process: what /proc says now is about it. */
	r = proctab_read_proc(s->proc_root, pid, &pe);
	free(pe.exe);
	if (r < 0)
		return r;
	if (start_boot && pe.start_boot &&
	    (pe.start_boot > start_boot ? pe.start_boot - start_boot : start_boot - pe.start_boot) >
		    pe.start_tolerance + NSEC_PER_USEC)
		return -ESRCH;
	if (is_zombie(s->proc_root, pid))
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		return -errno;
	return 0;
}

static int sys_exe_path(void *ctx, uint32_t pid, uint64_t ino, char *buf, size_t size)
{
	struct engine_system *s = ctx;
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/exe", s->proc_root, pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* Only the inode: device numbers of btrfs subvolumes and overlays differ between views. */
	if (ino && (stat(path, &st) < 0 || (uint64_t)st.st_ino != ino))
		return -ESTALE;
	return 0;
}

static int sys_track(void *ctx, uint32_t pid)
{
	struct engine_system *s = ctx;

	return probe_process_track(s->probe, pid);
}

static int sys_exe_open(void *ctx, uint32_t pid)
{
	struct engine_system *s = ctx;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/%u/exe", s->proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int sys_cmdline(void *ctx, uint32_t pid, char *buf, size_t size)
{
	struct engine_system *s = ctx;
	_cleanup_close_ int fd = -EBADF;
	char path[64];
	size_t have = 0;

	snprintf(path, sizeof(path), "%s/%u/cmdline", s->proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (have < size) {
		ssize_t n = read(fd, buf + have, size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (int)have;
}

static void sys_finding(void *ctx, const struct finding *f)
{
	struct engine_system *s = ctx;

	s->finding(s->userdata, f);
}

static void sys_state_changed(void *ctx)
{
	struct engine_system *s = ctx;

	if (s->state_changed)
		s->state_changed(s->userdata);
}

static int sys_net_apply(void *ctx, const policy *p)
{
	struct engine_system *s = ctx;

	/* Without the network probe there is nothing to put them in; status says so. */
	if (!s->net)
		return 0;
	return probe_net_apply_policy(s->net, p);
}

const struct engine_ops engine_ops_system = {
	.filter_begin = sys_filter_begin,
	.filter_add_inode = sys_filter_add_inode,
	.filter_add_name = sys_filter_add_name,
	.filter_add_path = sys_filter_add_path,
	.filter_add_fact = sys_filter_add_fact,
	.filter_pipe_writers = sys_filter_pipe_writers,
	.filter_commit = sys_filter_commit,
	.filter_gen = sys_filter_gen,
	.kill = sys_kill,
	.exe_path = sys_exe_path,
	.track = sys_track,
	.exe_open = sys_exe_open,
	.cmdline = sys_cmdline,
	.pipe_writer = sys_pipe_writer,
	.in_world_writable = sys_in_world_writable,
	.finding = sys_finding,
	.state_changed = sys_state_changed,
	.net_apply = sys_net_apply,
};
