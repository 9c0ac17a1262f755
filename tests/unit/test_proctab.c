// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process table: lifecycle from events, pid reuse, bounded size with
 * least-recently-touched eviction, and seeding from the fixture /proc tree in
 * tests/fixtures/proc.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/fileio.h"
#include "postured/proctab.h"
#include "fixtures.h"

/* tests/fixtures/proc, a /proc of a few processes. */
static const char *proc_root(void)
{
	return fixture_path("proc", "");
}

static nsec_t ticks_to_ns(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return (nsec_t)ticks * (NSEC_PER_SEC / (nsec_t)(hz > 0 ? hz : 100));
}

static struct decoded_event task_event(enum event_kind kind, uint32_t pid, uint32_t ppid,
				       nsec_t start)
{
	struct decoded_event ev = {
		.kind = kind,
		.task = { .pid = pid,
			  .tid = pid,
			  .ppid = ppid,
			  .uid = 1000,
			  .gid = 1000,
			  .loginuid = 1000,
			  .start_boot = start,
			  .cgroup_id = 77 },
	};

	snprintf(ev.task.comm, sizeof(ev.task.comm), "p%u", pid);
	return ev;
}

static int do_fork(proctab *t, uint32_t pid, uint32_t ppid, nsec_t start)
{
	struct decoded_event ev = task_event(EVENT_KIND_FORK, pid, ppid, start);

	return proctab_apply(t, &ev);
}

static int do_exec(proctab *t, uint32_t pid, uint32_t ppid, nsec_t start, const char *exe)
{
	struct decoded_event ev = task_event(EVENT_KIND_EXEC, pid, ppid, start);

	snprintf(ev.exec.filename, sizeof(ev.exec.filename), "%s", exe);
	ev.exec.exe_dev = 8;
	ev.exec.exe_ino = 1000 + pid;
	return proctab_apply(t, &ev);
}

static int do_exit(proctab *t, uint32_t pid)
{
	struct decoded_event ev = task_event(EVENT_KIND_EXIT, pid, 1, 0);

	return proctab_apply(t, &ev);
}

static struct proctab_stats stats(proctab *t)
{
	struct proctab_stats s;

	proctab_get_stats(t, &s);
	return s;
}

static void test_new_free(void **state)
{
	proctab *t = proctab_new(0);

	assert_non_null(t);
	/* A size of 0 still holds one process. */
	assert_int_equal(stats(t).max_entries, 1);
	assert_int_equal(stats(t).entries, 0);
	assert_null(proctab_get(t, 1));
	assert_null(proctab_free(t));
	assert_null(proctab_free(NULL));
}

/* The resolved path replaces the one as exec'd; a fork after it inherits the resolved one. */
static void test_set_exe(void **state)
{
	proctab *t = proctab_new(16);

	assert_int_equal(do_exec(t, 100, 1, 1000, "/usr/bin/cc"), 0);
	assert_int_equal(proctab_set_exe(t, 100, "/usr/bin/x86_64-linux-gnu-gcc-12"), 0);
	assert_string_equal(proctab_get(t, 100)->exe, "/usr/bin/x86_64-linux-gnu-gcc-12");
	/* The same path again changes nothing. */
	assert_int_equal(proctab_set_exe(t, 100, "/usr/bin/x86_64-linux-gnu-gcc-12"), 0);
	assert_int_equal(proctab_get(t, 100)->exe_ino, 1100);
	assert_int_equal(do_fork(t, 101, 100, 2000), 0);
	assert_string_equal(proctab_get(t, 101)->exe, "/usr/bin/x86_64-linux-gnu-gcc-12");
	assert_int_equal(proctab_set_exe(t, 4242, "/bin/true"), -ENOENT);
	assert_null(proctab_get(t, 4242));
	proctab_free(t);
}

static void test_lifecycle(void **state)
{
	proctab *t = proctab_new(16);
	const struct proc_entry *e;

	assert_int_equal(do_exec(t, 100, 1, 1000, "/usr/bin/bash"), 0);
	assert_int_equal(do_fork(t, 101, 100, 2000), 0);
	e = proctab_get(t, 101);
	assert_non_null(e);
	assert_int_equal(e->pid, 101);
	assert_int_equal(e->ppid, 100);
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->gid, 1000);
	assert_int_equal(e->loginuid, 1000);
	assert_true(e->cgroup_id == 77);
	assert_true(e->start_boot == 2000);
	assert_string_equal(e->comm, "p101");

	assert_int_equal(do_exec(t, 101, 100, 2000, "/usr/bin/ls"), 0);
	e = proctab_get(t, 101);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/ls");
	assert_true(e->exe_dev == 8);
	assert_true(e->exe_ino == 1101);
	assert_true(e->start_boot == 2000);
	assert_int_equal(stats(t).entries, 2);
	assert_int_equal(stats(t).replaced, 0);

	assert_int_equal(do_exit(t, 101), 0);
	assert_null(proctab_get(t, 101));
	assert_non_null(proctab_get(t, 100));
	assert_int_equal(stats(t).entries, 1);

	/* Exit of a process never seen changes nothing. */
	assert_int_equal(do_exit(t, 9999), 0);
	assert_int_equal(stats(t).entries, 1);
	assert_int_equal(do_exit(t, 100), 0);
	assert_int_equal(stats(t).entries, 0);
	assert_int_equal(stats(t).evicted, 0);
	proctab_free(t);
}

static void test_unknown_kind(void **state)
{
	proctab *t = proctab_new(4);
	struct decoded_event ev = task_event(EVENT_KIND_INVALID, 5, 1, 0);

	assert_int_equal(proctab_apply(t, &ev), -EINVAL);
	ev.kind = _EVENT_KIND_MAX;
	assert_int_equal(proctab_apply(t, &ev), -EINVAL);
	assert_int_equal(stats(t).entries, 0);
	proctab_free(t);
}

static void test_fork_inherits_exe(void **state)
{
	proctab *t = proctab_new(16);
	const struct proc_entry *e;

	assert_int_equal(do_exec(t, 200, 1, 1000, "/usr/bin/python3"), 0);
	assert_int_equal(do_fork(t, 201, 200, 5000), 0);
	e = proctab_get(t, 201);
	assert_non_null(e);
	assert_non_null(e->exe);
	assert_string_equal(e->exe, "/usr/bin/python3");
	assert_true(e->exe_dev == 8);
	assert_true(e->exe_ino == 1200);
	/* A copy, not a shared pointer: the parent's exit must not affect it. */
	assert_ptr_not_equal(e->exe, proctab_get(t, 200)->exe);
	assert_int_equal(do_exit(t, 200), 0);
	assert_string_equal(proctab_get(t, 201)->exe, "/usr/bin/python3");

	/* An unknown parent leaves the executable unknown. */
	assert_int_equal(do_fork(t, 301, 300, 6000), 0);
	e = proctab_get(t, 301);
	assert_non_null(e);
	assert_null(e->exe);
	assert_true(e->exe_dev == 0 && e->exe_ino == 0);
	proctab_free(t);
}

static void test_fork_parent_evicted(void **state)
{
	proctab *t = proctab_new(1);
	const struct proc_entry *e;

	/* The child's insert evicts the only entry, its parent: the exe must survive. */
	assert_int_equal(do_exec(t, 10, 1, 1000, "/usr/bin/make"), 0);
	assert_int_equal(do_fork(t, 11, 10, 2000), 0);
	assert_null(proctab_get(t, 10));
	e = proctab_get(t, 11);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/make");
	assert_int_equal(stats(t).evicted, 1);
	proctab_free(t);
}

static void test_pid_reuse(void **state)
{
	proctab *t = proctab_new(16);
	const struct proc_entry *e;

	assert_int_equal(do_exec(t, 400, 1, 1000000, "/usr/bin/old"), 0);

	/* The same process exec'ing again (same start time) updates in place. */
	assert_int_equal(do_exec(t, 400, 1, 1000000, "/usr/bin/again"), 0);
	assert_int_equal(stats(t).replaced, 0);
	assert_string_equal(proctab_get(t, 400)->exe, "/usr/bin/again");

	/* An exec whose start time differs is another process reusing the pid. */
	assert_int_equal(do_exec(t, 400, 7, 9000000000ULL, "/usr/bin/new"), 0);
	assert_int_equal(stats(t).replaced, 1);
	e = proctab_get(t, 400);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/new");
	assert_int_equal(e->ppid, 7);
	assert_true(e->start_boot == 9000000000ULL);
	assert_int_equal(stats(t).entries, 1);

	/* A fork of a pid still held (its exit was lost) replaces it too. */
	assert_int_equal(do_fork(t, 400, 1, 12000000000ULL), 0);
	assert_int_equal(stats(t).replaced, 2);
	e = proctab_get(t, 400);
	assert_non_null(e);
	assert_true(e->start_boot == 12000000000ULL);
	assert_int_equal(e->ppid, 1);
	assert_null(e->exe); /* parent 1 is unknown */
	assert_int_equal(stats(t).entries, 1);

	/* Unknown start times (0) never count as reuse. */
	assert_int_equal(do_exec(t, 400, 1, 0, "/usr/bin/unknown-start"), 0);
	assert_int_equal(stats(t).replaced, 2);
	assert_true(proctab_get(t, 400)->start_boot == 12000000000ULL);
	proctab_free(t);
}

static void test_fork_start_approx(void **state)
{
	proctab *t = proctab_new(16);
	struct decoded_event ev = task_event(EVENT_KIND_FORK, 500, 1, 5000000000ULL);

	/* Classic tracepoints give the fork's time, a little off the real start. */
	ev.fork.start_approx = true;
	assert_int_equal(proctab_apply(t, &ev), 0);
	assert_int_equal(do_exec(t, 500, 1, 5000000000ULL + 3000000, "/bin/sh"), 0);
	assert_int_equal(stats(t).replaced, 0);
	/* The exec's exact time wins, so the next mismatch counts. */
	assert_true(proctab_get(t, 500)->start_boot == 5000000000ULL + 3000000);
	assert_int_equal(do_exec(t, 500, 1, 5000000000ULL, "/bin/sh"), 0);
	assert_int_equal(stats(t).replaced, 1);
	proctab_free(t);
}

static void test_eviction_lru(void **state)
{
	proctab *t = proctab_new(3);

	assert_int_equal(stats(t).max_entries, 3);
	assert_int_equal(do_fork(t, 1, 0, 100), 0);
	assert_int_equal(do_fork(t, 2, 1, 200), 0);
	assert_int_equal(do_fork(t, 3, 1, 300), 0);
	assert_int_equal(stats(t).entries, 3);
	assert_int_equal(stats(t).evicted, 0);

	/* Touch 1: now 2 is the least recently touched. */
	assert_int_equal(do_exec(t, 1, 0, 100, "/sbin/init"), 0);
	assert_int_equal(do_fork(t, 4, 1, 400), 0);
	assert_null(proctab_get(t, 2));
	assert_non_null(proctab_get(t, 1));
	assert_non_null(proctab_get(t, 3));
	assert_non_null(proctab_get(t, 4));
	assert_int_equal(stats(t).evicted, 1);
	assert_int_equal(stats(t).entries, 3);

	/* Lookups do not count as touches; 3 goes next, then 1. */
	assert_non_null(proctab_get(t, 3));
	assert_int_equal(do_fork(t, 5, 1, 500), 0);
	assert_null(proctab_get(t, 3));
	assert_int_equal(do_fork(t, 6, 1, 600), 0);
	assert_null(proctab_get(t, 1));
	assert_non_null(proctab_get(t, 4));
	assert_non_null(proctab_get(t, 5));
	assert_non_null(proctab_get(t, 6));
	assert_int_equal(stats(t).evicted, 3);
	assert_int_equal(stats(t).entries, 3);

	/* An exit frees room: the next insert evicts nothing. */
	assert_int_equal(do_exit(t, 5), 0);
	assert_int_equal(do_fork(t, 7, 1, 700), 0);
	assert_int_equal(stats(t).evicted, 3);
	assert_non_null(proctab_get(t, 4));
	assert_non_null(proctab_get(t, 6));
	assert_non_null(proctab_get(t, 7));
	assert_int_equal(stats(t).replaced, 0);
	proctab_free(t);
}

static void test_many_entries(void **state)
{
	proctab *t = proctab_new(1000);

	/* More than the table holds, with pids that collide in the hash. */
	for (uint32_t pid = 1; pid <= 5000; pid++)
		assert_int_equal(do_exec(t, pid * 64, 1, pid, "/bin/true"), 0);
	assert_int_equal(stats(t).entries, 1000);
	assert_int_equal(stats(t).evicted, 4000);
	for (uint32_t pid = 1; pid <= 5000; pid++) {
		const struct proc_entry *e = proctab_get(t, pid * 64);

		if (pid <= 4000)
			assert_null(e);
		else
			assert_true(e && e->pid == pid * 64);
	}
	for (uint32_t pid = 4001; pid <= 5000; pid++)
		assert_int_equal(do_exit(t, pid * 64), 0);
	assert_int_equal(stats(t).entries, 0);
	proctab_free(t);
}

static void expect_exe_identity(const char *pid, const struct proc_entry *e)
{
	char path[PATH_MAX + 32];
	struct stat st;

	/* The fixture's links point outside the tree: dev/ino are whatever stat() says. */
	snprintf(path, sizeof(path), "%s/%s/exe", proc_root(), pid);
	if (stat(path, &st) == 0) {
		assert_true(e->exe_dev == st.st_dev);
		assert_true(e->exe_ino == st.st_ino);
	} else {
		assert_true(e->exe_dev == 0 && e->exe_ino == 0);
	}
}

static void test_read_proc(void **state)
{
	struct proc_entry e;
	long hz = sysconf(_SC_CLK_TCK);

	assert_int_equal(proctab_read_proc(proc_root(), 1400, &e), 0);
	assert_int_equal(e.pid, 1400);
	assert_int_equal(e.ppid, 1200);
	assert_int_equal(e.uid, 1000);
	assert_int_equal(e.gid, 1001);
	assert_int_equal(e.loginuid, 1000);
	assert_true(e.start_boot == ticks_to_ns(123456));
	assert_true(e.start_tolerance == NSEC_PER_SEC / (nsec_t)(hz > 0 ? hz : 100));
	assert_string_equal(e.comm, "bash");
	assert_non_null(e.exe);
	assert_string_equal(e.exe, "/usr/bin/bash");
	expect_exe_identity("1400", &e);
	free(e.exe);

	/* A comm with spaces and ')' must not shift the fields after it. */
	assert_int_equal(proctab_read_proc(proc_root(), 1200, &e), 0);
	assert_int_equal(e.ppid, 1);
	assert_true(e.start_boot == ticks_to_ns(4500));
	assert_string_equal(e.comm, "evil) (name");
	assert_string_equal(e.exe, "/home/user/bin/evil) (name");
	assert_int_equal(e.uid, 1000);
	free(e.exe);

	/* A kernel thread: no executable, no login uid. */
	assert_int_equal(proctab_read_proc(proc_root(), 2, &e), 0);
	assert_int_equal(e.ppid, 0);
	assert_string_equal(e.comm, "kthreadd");
	assert_null(e.exe);
	assert_true(e.exe_dev == 0 && e.exe_ino == 0);
	assert_int_equal(e.loginuid, UINT32_MAX);
	assert_true(e.start_boot == ticks_to_ns(6));

	assert_int_equal(proctab_read_proc(proc_root(), 1, &e), 0);
	assert_int_equal(e.uid, 0);
	assert_string_equal(e.exe, "/usr/lib/systemd/systemd");
	assert_int_equal(e.loginuid, UINT32_MAX);
	free(e.exe);
}

static void test_read_proc_bad(void **state)
{
	struct proc_entry e;

	memset(&e, 0x5a, sizeof(e));
	assert_int_equal(proctab_read_proc(proc_root(), 31337, &e), -ENOENT);
	assert_int_equal(proctab_read_proc(proc_root(), 666, &e), -EBADMSG); /* garbage */
	assert_int_equal(proctab_read_proc(proc_root(), 667, &e), -EISDIR); /* unreadable */
	assert_int_equal(proctab_read_proc(proc_root(), 668, &e), -EBADMSG); /* cut short */
	assert_int_equal(proctab_read_proc(proc_root(), 669, &e), -ENOENT); /* no status */
	assert_int_equal(proctab_read_proc("/nonexistent-proc-root", 1, &e), -ENOENT);
	/* Nothing written on failure. */
	assert_int_equal(e.pid, 0x5a5a5a5a);
}

static void test_seed(void **state)
{
	proctab *t = proctab_new(64);
	const struct proc_entry *e;

	/* 1, 2, 1200 and 1400; the broken ones and non-numeric names are skipped. */
	assert_int_equal(proctab_seed(t, proc_root()), 4);
	assert_int_equal(stats(t).seeded, 4);
	assert_int_equal(stats(t).entries, 4);
	assert_null(proctab_get(t, 666));
	assert_null(proctab_get(t, 667));
	assert_null(proctab_get(t, 668));
	assert_null(proctab_get(t, 669));
	assert_null(proctab_get(t, 12));

	e = proctab_get(t, 1200);
	assert_non_null(e);
	assert_int_equal(e->pid, 1200);
	assert_string_equal(e->comm, "evil) (name");
	assert_int_equal(e->ppid, 1);
	assert_true(e->start_boot == ticks_to_ns(4500));

	e = proctab_get(t, 2);
	assert_non_null(e);
	assert_null(e->exe);

	e = proctab_get(t, 1400);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/bash");
	assert_int_equal(e->ppid, 1200);

	/*
	 * /proc start times are in clock ticks: an exec of that process with
	 * its exact start time is the same process...
	 */
	assert_int_equal(do_exec(t, 1400, 1200, ticks_to_ns(123456) + 1234, "/usr/bin/vim"), 0);
	assert_int_equal(stats(t).replaced, 0);
	assert_string_equal(proctab_get(t, 1400)->exe, "/usr/bin/vim");
	/* ...and a process started seconds later under that pid is not. */
	assert_int_equal(do_exec(t, 1200, 1, ticks_to_ns(4500) + 5 * NSEC_PER_SEC, "/bin/new"), 0);
	assert_int_equal(stats(t).replaced, 1);

	/* Forks of seeded processes inherit what /proc said. */
	assert_int_equal(do_fork(t, 1500, 1, ticks_to_ns(900000)), 0);
	assert_string_equal(proctab_get(t, 1500)->exe, "/usr/lib/systemd/systemd");

	/* Seeding again adds nothing: everything is known. */
	assert_int_equal(proctab_seed(t, proc_root()), 0);
	assert_int_equal(stats(t).seeded, 4);
	proctab_free(t);
}

static void test_seed_keeps_event_entries(void **state)
{
	proctab *t = proctab_new(64);
	const struct proc_entry *e;

	/* Events came first: they are fresher than /proc. */
	assert_int_equal(do_exec(t, 1400, 1, 777, "/usr/bin/zsh"), 0);
	assert_int_equal(proctab_seed(t, proc_root()), 3);
	assert_int_equal(stats(t).seeded, 3);
	assert_int_equal(stats(t).entries, 4);
	e = proctab_get(t, 1400);
	assert_non_null(e);
	assert_string_equal(e->exe, "/usr/bin/zsh");
	assert_int_equal(e->ppid, 1);
	assert_true(e->start_boot == 777);
	assert_string_equal(e->comm, "p1400");
	assert_int_equal(stats(t).replaced, 0);
	proctab_free(t);
}

static void test_seed_bounded(void **state)
{
	proctab *t = proctab_new(2);

	/* A table smaller than /proc stays within its bound and stops seeding when full. */
	assert_int_equal(proctab_seed(t, proc_root()), 2);
	assert_int_equal(stats(t).entries, 2);
	assert_int_equal(stats(t).evicted, 0);
	proctab_free(t);
}

static void test_seed_missing_root(void **state)
{
	proctab *t = proctab_new(8);

	assert_int_equal(proctab_seed(t, "/nonexistent-proc-root"), -ENOENT);
	assert_int_equal(stats(t).entries, 0);
	proctab_free(t);
}

/* The mount table lookup behind path_sb_dev(): the device of a mount id, by the line's start only. */
static void test_mountinfo_dev(void **state)
{
	char text[8192];
	size_t n;
	FILE *f;
	dev_t dev;

	/* A btrfs subvolume mount, then one with a mount point longer than a read, whose
	 * continuation happens to look like a mountinfo line for id 77. */
	n = (size_t)snprintf(text, sizeof(text),
			     "22 1 0:33 /@home /home rw,relatime - btrfs /dev/vda2 rw\n"
			     "30 1 0:40 / /m/");
	for (size_t i = 0; i < 4080; i++) /* the line's first read ends right here */
		text[n++] = 'x';
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "77 1 9:9 / /x rw - ext4 /dev/x rw\n"
			      "77 22 0:51 / /srv rw - tmpfs tmpfs rw\n");
	f = fmemopen(text, n, "r");
	assert_non_null(f);
	assert_int_equal(mountinfo_find_dev(f, 22, &dev), 0);
	assert_int_equal(major(dev), 0);
	assert_int_equal(minor(dev), 33);
	rewind(f);
	assert_int_equal(mountinfo_find_dev(f, 77, &dev), 0);
	assert_int_equal(minor(dev), 51); /* not the 9:9 inside the long line */
	rewind(f);
	assert_int_equal(mountinfo_find_dev(f, 5, &dev), -ENOENT);
	fclose(f);
}

/*
 * The superblock's device, as the probes see executables: stat's own where
 * the filesystem sits on a block device, and through the mount table where
 * it has an anonymous device (here /proc and /dev, where the two agree; on
 * btrfs they differ, which this machine cannot show).
 */
static void test_sb_dev(void **state)
{
	const char *paths[] = { "/", "/proc/self/status", "/dev/null" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct stat st;

		assert_int_equal(stat(paths[i], &st), 0);
		assert_int_equal(path_sb_dev(paths[i], &st), (uint64_t)st.st_dev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_fork_inherits_exe),
		cmocka_unit_test(test_fork_parent_evicted),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_fork_start_approx),
		cmocka_unit_test(test_eviction_lru),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_read_proc),
		cmocka_unit_test(test_read_proc_bad),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_seed_keeps_event_entries),
		cmocka_unit_test(test_seed_bounded),
		cmocka_unit_test(test_seed_missing_root),
		cmocka_unit_test(test_mountinfo_dev),
		cmocka_unit_test(test_sb_dev),
		cmocka_unit_test(test_set_exe),
	};

	return cmocka_run_group_tests_name("proctab", tests, NULL, NULL);
}
