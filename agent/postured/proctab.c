// SPDX-License-Identifier: LGPL-2.1-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/string-util.h"
#include "proctab.h"

struct proctab {
	struct proc_entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t max_entries;
	size_t n_entries;
	struct proc_entry *lru_head, *lru_tail; /* head: most recently touched */
	uint64_t evicted, replaced, seeded;
};

static size_t bucket_of(const proctab *t, uint32_t pid)
{
	/* Fibonacci hashing spreads consecutive pids over the table. */
	return (size_t)(((uint64_t)pid * 0x9E3779B97F4A7C15ULL) >> 32) & (t->n_buckets - 1);
}

proctab *proctab_new(size_t max_entries)
{
	_cleanup_free_ proctab *t = NULL;
	size_t n = 64;

	if (max_entries == 0)
		max_entries = 1;
	while (n < max_entries && n < ((size_t)1 << 30))
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return NULL;
	t->n_buckets = n;
	t->max_entries = max_entries;
	return TAKE_PTR(t);
}

static void entry_free(struct proc_entry *e)
{
	if (!e)
		return;
	free(e->exe);
	free(e);
}

proctab *proctab_free(proctab *t)
{
	struct proc_entry *e, *next;

	if (!t)
		return NULL;
	for (e = t->lru_head; e; e = next) {
		next = e->lru_next;
		entry_free(e);
	}
	free(t->buckets);
	free(t);
	return NULL;
}

static void lru_unlink(proctab *t, struct proc_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(proctab *t, struct proc_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = e;
	t->lru_head = e;
	if (!t->lru_tail)
		t->lru_tail = e;
}

static void lru_touch(proctab *t, struct proc_entry *e)
{
	if (t->lru_head == e)
		return;
	lru_unlink(t, e);
	lru_push_front(t, e);
}

static struct proc_entry *lookup(proctab *t, uint32_t pid)
{
	struct proc_entry *e;

	for (e = t->buckets[bucket_of(t, pid)]; e; e = e->hnext)
		if (e->pid == pid)
			return e;
	return NULL;
}

const struct proc_entry *proctab_get(proctab *t, uint32_t pid)
{
	return lookup(t, pid);
}

static void remove_entry(proctab *t, struct proc_entry *e)
{
	struct proc_entry **p;

	for (p = &t->buckets[bucket_of(t, e->pid)]; *p; p = &(*p)->hnext)
		if (*p == e) {
			*p = e->hnext;
			break;
		}
	lru_unlink(t, e);
	t->n_entries--;
	entry_free(e);
}

/* Inserts a new, zeroed entry for pid, evicting the stalest when full. */
static struct proc_entry *insert(proctab *t, uint32_t pid)
{
	struct proc_entry *e;
	size_t b;

	if (t->n_entries >= t->max_entries && t->lru_tail) {
		remove_entry(t, t->lru_tail);
		t->evicted++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pid = pid;
	b = bucket_of(t, pid);
	e->hnext = t->buckets[b];
	t->buckets[b] = e;
	lru_push_front(t, e);
	t->n_entries++;
	return e;
}

/* Whether two start times can belong to the same process. */
static bool same_start(const struct proc_entry *e, const struct decoded_task *task)
{
	nsec_t a = e->start_boot, b = task->start_boot;

	if (a == 0 || b == 0)
		return true;
	return (a > b ? a - b : b - a) <= e->start_tolerance + NSEC_PER_USEC;
}

static void set_identity(struct proc_entry *e, const struct decoded_task *task)
{
	e->ppid = task->ppid;
	e->uid = task->uid;
	e->gid = task->gid;
	e->loginuid = task->loginuid;
	e->cgroup_id = task->cgroup_id;
	memcpy(e->comm, task->comm, sizeof(e->comm));
}

static int apply_fork(proctab *t, const struct decoded_event *ev)
{
	const struct proc_entry *parent = lookup(t, ev->task.ppid);
	const char *parent_exe = parent ? parent->exe : NULL;
	uint64_t dev = parent ? parent->exe_dev : 0, ino = parent ? parent->exe_ino : 0;
	_cleanup_free_ char *exe = NULL;
	struct proc_entry *e;

	/* Copy first: inserting may evict the parent. */
	if (parent_exe) {
		exe = strdup(parent_exe);
		if (!exe)
			return -ENOMEM;
	}
	e = lookup(t, ev->task.pid);
	if (e) {
		/* A fork of a pid we still hold: the old process is gone. */
		remove_entry(t, e);
		t->replaced++;
	}
	e = insert(t, ev->task.pid);
	if (!e)
		return -ENOMEM;
	set_identity(e, &ev->task);
	e->start_boot = ev->task.start_boot;
	e->start_tolerance = ev->fork.start_approx ? NSEC_PER_SEC / 100 : 0;
	e->exe = TAKE_PTR(exe);
	e->exe_dev = dev;
	e->exe_ino = ino;
	return 0;
}

static int apply_exec(proctab *t, const struct decoded_event *ev)
{
	struct proc_entry *e = lookup(t, ev->task.pid);
	char *exe;

	/* Allocate before changing anything, so a failure leaves the table as it was. */
	/* The kernel's resolved path where it has one: what parent_path rules mean. */
	exe = strdup(ev->exec.exe_path[0] && !ev->exec.exe_path_truncated ? ev->exec.exe_path :
									    ev->exec.filename);
	if (!exe)
		return -ENOMEM;
	if (e && !same_start(e, &ev->task)) {
		remove_entry(t, e);
		t->replaced++;
		e = NULL;
	}
	if (!e) {
		e = insert(t, ev->task.pid);
		if (!e) {
			free(exe);
			return -ENOMEM;
		}
	} else {
		lru_touch(t, e);
	}
	free(e->exe);
	e->exe = exe;
	set_identity(e, &ev->task);
	if (ev->task.start_boot != 0) {
		e->start_boot = ev->task.start_boot;
		e->start_tolerance = 0;
	}
	e->exe_dev = ev->exec.exe_dev;
	e->exe_ino = ev->exec.exe_ino;
	return 0;
}

int proctab_set_exe(proctab *t, uint32_t pid, const char *exe)
{
	struct proc_entry *e = lookup(t, pid);
	char *copy;

	if (!e)
		return -ENOENT;
	if (e->exe && strcmp(e->exe, exe) == 0)
		return 0;
	copy = strdup(exe);
	if (!copy)
		return -ENOMEM;
	free(e->exe);
	e->exe = copy;
	return 0;
}

int proctab_apply(proctab *t, const struct decoded_event *ev)
{
	struct proc_entry *e;

	switch (ev->kind) {
	case EVENT_KIND_FORK:
		return apply_fork(t, ev);
	case EVENT_KIND_EXEC:
		/* A refused exec changed nothing: the caller still runs its own program. */
		if (ev->exec.denied)
			return 0;
		return apply_exec(t, ev);
	case EVENT_KIND_EXIT:
		/* Whatever we hold under this pid is no longer running. */
		e = lookup(t, ev->task.pid);
		if (e)
			remove_entry(t, e);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Parses /proc/<pid>/stat: ppid and start time, both after the last ')'. */
static int parse_stat(const char *buf, uint32_t *ret_ppid, unsigned long long *ret_start)
{
	const char *p = strrchr(buf, ')');
	unsigned long long start = 0;
	unsigned ppid;
	int field;

	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return -EBADMSG;
	/*
	 * After ')' come fields 3 (state) .. 52; starttime is field 22.  Each
	 * step leaves p on the space before field `field`.
	 */
	for (field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EBADMSG;
	}
	if (sscanf(p + 1, "%llu", &start) != 1)
		return -EBADMSG;
	*ret_ppid = ppid;
	*ret_start = start;
	return 0;
}

static int parse_status_ids(const char *buf, uint32_t *ret_uid, uint32_t *ret_gid)
{
	const char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
	unsigned uid, gid;

	if (!u || !g || sscanf(u + 5, "%u", &uid) != 1 || sscanf(g + 5, "%u", &gid) != 1)
		return -EBADMSG;
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

int proctab_read_proc(const char *proc_root, uint32_t pid, struct proc_entry *ret)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], buf[4096], exe[EVENT_PATH_LEN];
	struct proc_entry e = { .pid = pid, .loginuid = UINT32_MAX };
	unsigned long long start;
	long tick = sysconf(_SC_CLK_TCK);
	struct stat st;
	ssize_t n;
	int r;

	if (tick <= 0)
		tick = 100;
	snprintf(dir, sizeof(dir), "%s/%u", proc_root, pid);

	snprintf(path, sizeof(path), "%s/stat", dir);
	r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_stat(buf, &e.ppid, &start);
	if (r < 0)
		return r;
	e.start_boot = (nsec_t)start * (NSEC_PER_SEC / (nsec_t)tick);
	e.start_tolerance = NSEC_PER_SEC / (nsec_t)tick;

	snprintf(path, sizeof(path), "%s/status", dir);
	r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	r = parse_status_ids(buf, &e.uid, &e.gid);
	if (r < 0)
		return r;

	snprintf(path, sizeof(path), "%s/comm", dir);
	if (read_small_file(path, buf, sizeof(buf)) >= 0) {
		buf[strcspn(buf, "\n")] = '\0';
		strbufcpy(e.comm, sizeof(e.comm), buf);
	}

	snprintf(path, sizeof(path), "%s/loginuid", dir);
	if (read_small_file(path, buf, sizeof(buf)) >= 0) {
		unsigned long v;
		char *end;

		errno = 0;
		v = strtoul(buf, &end, 10);
		if (errno == 0 && end != buf && v <= UINT32_MAX)
			e.loginuid = v;
	}

	/* Kernel threads have no executable; that is not an error. */
	snprintf(path, sizeof(path), "%s/exe", dir);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		e.exe = strdup(exe);
		if (!e.exe)
			return -ENOMEM;
		if (stat(path, &st) == 0) {
			e.exe_dev = path_sb_dev(path, &st);
			e.exe_ino = st.st_ino;
		}
	}
	*ret = e;
	return 0;
}

static bool parse_pid(const char *s, uint32_t *ret)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > INT32_MAX)
			return false;
	}
	*ret = v;
	return v > 0;
}

int proctab_seed(proctab *t, const char *proc_root)
{
	DIR *d = opendir(proc_root);
	struct dirent *de;
	int added = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct proc_entry pe, *e;
		uint32_t pid;

		/* What events told us is fresher than /proc: never evict it for a seed. */
		if (t->n_entries >= t->max_entries)
			break;
		if (!parse_pid(de->d_name, &pid))
			continue;
		if (lookup(t, pid))
			continue;
		if (proctab_read_proc(proc_root, pid, &pe) < 0)
			continue;
		e = insert(t, pid);
		if (!e) {
			free(pe.exe);
			closedir(d);
			return -ENOMEM;
		}
		pe.hnext = e->hnext;
		pe.lru_prev = e->lru_prev;
		pe.lru_next = e->lru_next;
		*e = pe;
		t->seeded++;
		added++;
	}
	closedir(d);
	return added;
}

void proctab_foreach(proctab *t, void (*fn)(void *userdata, const struct proc_entry *e),
		     void *userdata)
{
	for (const struct proc_entry *e = t->lru_head; e; e = e->lru_next)
		fn(userdata, e);
}

void proctab_get_stats(proctab *t, struct proctab_stats *ret)
{
	*ret = (struct proctab_stats){
		.entries = t->n_entries,
		.max_entries = t->max_entries,
		.evicted = t->evicted,
		.replaced = t->replaced,
		.seeded = t->seeded,
	};
}
