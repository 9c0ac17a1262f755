// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Agent spool + sender against the real collector, on loopback, with a fresh
 * test PKI (tools/make-test-pki).  The test appends to a spool with the spool
 * library, runs build/postured-sender (as root, so it really drops to
 * "nobody") and reads the collector's SQLite store.
 *
 * usage: test_e2e BUILD_DIR   (run from the source tree; KEEP_TEST_DIR=1 keeps the files)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postured/spool.h"
#include "../collector/harness_db.h"
#include "../collector/harness_process.h"

/* Paths here are short temporary ones; gcc cannot know that. */
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_SEQS 40000

struct ctx {
	const char *build;
	char dir[256], pki[300];
	char collector_bin[300], sender_bin[300];
	unsigned instances;
	int passed, failed;
	/* What the main spool handed out, in order, and what must reach the collector. */
	uint64_t sent[MAX_SEQS];
	size_t n_sent;
	struct spool *spool;
	char spool_path[300], db[300];
	struct collector collector;
	pid_t sender;
	int port;
};

__attribute__((format(printf, 3, 4))) static void check(struct ctx *t, bool ok, const char *fmt,
							...)
{
	va_list ap;

	va_start(ap, fmt);
	printf(ok ? "ok:   " : "FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
	if (ok)
		t->passed++;
	else
		t->failed++;
}

static void stop(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

/*
 * Starts a collector with cert NAME and store db on port (0: any) and waits
 * for its READY=1.  Returns its port or -1.
 */
static int collector_start(struct ctx *t, struct collector *c, const char *cert_name,
			   const char *db, int port)
{
	char notify[300], listen[64];

	snprintf(notify, sizeof(notify), "%s/notify-%u", t->dir, ++t->instances);
	snprintf(c->log, sizeof(c->log), "%s/collector-%u.log", t->dir, t->instances);
	snprintf(c->db, sizeof(c->db), "%s", db);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	if (collector_spawn_pki(c, t->collector_bin, t->pki, cert_name, listen, NULL, notify,
				NULL) < 0)
		return -1;
	return c->port;
}

/* Runs the sender with the device1 identity unless extra overrides; NULL-terminated extra args. */
static pid_t sender_spawn(struct ctx *t, const char *spool, const char *log, int port,
			  int default_cert, ...)
{
	char url[64], ca[400], cert[400], key[400];
	const char *argv[40];
	va_list ap;
	const char *a;
	int n = 0;
	pid_t pid;

	snprintf(url, sizeof(url), "https://localhost:%d", port);
	snprintf(ca, sizeof(ca), "%s/server-ca.crt", t->pki);
	snprintf(cert, sizeof(cert), "%s/device1.crt", t->pki);
	snprintf(key, sizeof(key), "%s/device1.key", t->pki);
	argv[n++] = t->sender_bin;
	argv[n++] = "--url";
	argv[n++] = url;
	argv[n++] = "--spool";
	argv[n++] = spool;
	argv[n++] = "--user";
	argv[n++] = "nobody";
	argv[n++] = "--batch-records";
	argv[n++] = "200";
	argv[n++] = "--backoff-min-ms";
	argv[n++] = "100";
	argv[n++] = "--backoff-max-ms";
	argv[n++] = "800";
	argv[n++] = "--poll-ms";
	argv[n++] = "100";
	if (default_cert) {
		argv[n++] = "--cert";
		argv[n++] = cert;
		argv[n++] = "--key";
		argv[n++] = key;
	}
	va_start(ap, default_cert);
	while ((a = va_arg(ap, const char *)) && n < 36)
		argv[n++] = a;
	va_end(ap);
	/* --ca last unless given: getopt takes the last one. */
	argv[n] = NULL;
	{
		bool has_ca = false;

		for (int i = 0; i < n; i++)
			has_ca = has_ca || strcmp(argv[i], "--ca") == 0;
		if (!has_ca) {
			argv[n++] = "--ca";
			argv[n++] = ca;
			argv[n] = NULL;
		}
	}
	pid = fork();
	if (pid == 0) {
		int l = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (l < 0 || dup2(l, 1) < 0 || dup2(l, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The seqs stored for device1's records, in the order stored.  Returns the count or -1. */
static long stored_seqs(const char *db, uint64_t *out, size_t max)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return 0; /* not made yet */
	}
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, "SELECT seq FROM records ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(h);
		return 0;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((size_t)n < max)
			out[n] = (uint64_t)sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* Records stored so far (-1 before the store can be read). */
static long stored(const char *db)
{
	return (long)db_count_records(db, NULL);
}

static long wait_stored(const char *db, long want, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	long n = 0;

	while (now_ms() < deadline) {
		n = stored(db);
		if (n >= want)
			return n;
		usleep(100 * 1000);
	}
	return n;
}

static bool log_contains(const char *path, const char *needle)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int append_n(struct ctx *t, struct spool *s, size_t count, bool record)
{
	static char lines[500][160];
	struct spool_item items[500];

	for (size_t done = 0; done < count;) {
		size_t k = count - done < 500 ? count - done : 500;
		uint64_t last;
		int r;

		for (size_t i = 0; i < k; i++) {
			snprintf(lines[i], sizeof(lines[i]),
				 "{\"class_uid\":1007,\"time\":1700000000000,"
				 "\"metadata\":{\"version\":\"1.3.0\"},\"postured\":{\"i\":%zu}}",
				 done + i);
			items[i] = (struct spool_item){ SPOOL_EVENT, "process", lines[i] };
		}
		r = spool_append_many(s, items, k, &last);
		if (r < 0)
			return r;
		if (record)
			for (size_t i = 0; i < k && t->n_sent < MAX_SEQS; i++)
				t->sent[t->n_sent++] = last - k + 1 + i;
		done += k;
	}
	return 0;
}

/* Everything appended so far is stored exactly once, in sequence order. */
static bool exactly_once(struct ctx *t, const char *what)
{
	static uint64_t got[MAX_SEQS + 100];
	long n = stored_seqs(t->db, got, sizeof(got) / sizeof(got[0]));

	if (n != (long)t->n_sent) {
		printf("  %s: %ld stored, %zu appended\n", what, n, t->n_sent);
		return false;
	}
	for (long i = 0; i < n; i++)
		if (got[i] != t->sent[i]) {
			printf("  %s: stored[%ld] = %llu, want %llu\n", what, i,
			       (unsigned long long)got[i], (unsigned long long)t->sent[i]);
			return false;
		}
	return true;
}

static uint64_t spool_records(struct spool *s)
{
	struct spool_stats st = {};

	spool_get_stats(s, &st);
	return st.records;
}

static void test_negative(struct ctx *t, const char *name, int port, bool default_cert,
			  const char *needle, const char *a1, const char *a2, const char *a3,
			  const char *a4)
{
	char spool[400], log[400];
	struct spool *s = NULL;
	long before = stored(t->db), after;
	pid_t pid;

	snprintf(spool, sizeof(spool), "%s/spool-%s.db", t->dir, name);
	snprintf(log, sizeof(log), "%s/sender-%s.log", t->dir, name);
	if (spool_open(spool, 0, &s) < 0 || append_n(t, s, 5, false) < 0) {
		check(t, false, "%s: spool", name);
		return;
	}
	pid = sender_spawn(t, spool, log, port, default_cert, a1, a2, a3, a4, (char *)NULL);
	usleep(2500 * 1000);
	stop(&pid, SIGTERM);
	after = stored(t->db);
	check(t, after == before, "%s: nothing stored (%ld → %ld)", name, before, after);
	check(t, spool_records(s) == 5, "%s: the spool keeps all 5 records", name);
	check(t, log_contains(log, needle), "%s: the log says \"%s\"", name, needle);
	spool_free(s);
}

/* What spool_peek() hands over, kept for the disk-full checks. */
struct peeked {
	size_t n;
	uint64_t seq[4096];
	char *line[4096];
};

static int peek_keep(uint64_t seq, const char *line, size_t len, void *userdata)
{
	struct peeked *p = userdata;

	if (p->n >= sizeof(p->seq) / sizeof(p->seq[0]))
		return 1;
	p->seq[p->n] = seq;
	p->line[p->n++] = strndup(line, len);
	return 0;
}

static const char *peeked_line(const struct peeked *p, uint64_t seq)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->seq[i] == seq)
			return p->line[i];
	return NULL;
}

/* A ~1 KiB process record numbered i. */
static void disk_full_line(char *buf, size_t size, size_t i)
{
	char pad[900];

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	snprintf(
		buf, size,
		"{\"class_uid\":1007,\"time\":1700000000000,\"metadata\":{\"version\":\"1.9.0-dev\"},"
		"\"process\":{\"cmd_line\":\"%s\"},\"postured\":{\"i\":%zu}}",
		pad, i);
}

/*
 * 5. Disk full: the spool on a 256 KiB tmpfs, filled until the disk refuses.
 * No crash; each refused append is -ENOSPC and counted as lost; once space
 * returns (the tmpfs remounted larger) the next append brings a loss record,
 * and every record taken before is still there, byte for byte.
 */
static void test_disk_full(struct ctx *t)
{
	static uint64_t seqs[4096];
	static struct peeked got;
	char mnt[300], path[400], line[1200];
	struct spool *s = NULL;
	struct spool_stats st = {};
	size_t n_ok = 0, n_enospc = 0, n_other = 0, i;
	int r, last_err = 0;
	bool intact = true, loss = false;
	uint64_t seq;

	snprintf(mnt, sizeof(mnt), "%s/tmpfs", t->dir);
	snprintf(path, sizeof(path), "%s/spool.db", mnt);
	if (mkdir(mnt, 0700) < 0 ||
	    mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700") < 0) {
		check(t, false, "disk full: mount a 256 KiB tmpfs on %s: %s", mnt, strerror(errno));
		return;
	}
	if (spool_open(path, 0, &s) < 0) {
		check(t, false, "disk full: spool opened on the tmpfs");
		goto unmount;
	}
	/* Fill it; after the first refusal go on a while: each must be refused the same way. */
	for (i = 0; i < 4096 && n_enospc + n_other < 20; i++) {
		disk_full_line(line, sizeof(line), i);
		r = spool_append(s, SPOOL_EVENT, "process", line, &seq);
		if (r >= 0) {
			if (n_enospc + n_other == 0 && n_ok < 4096)
				seqs[n_ok++] = seq;
		} else if (r == -ENOSPC) {
			n_enospc++;
		} else {
			n_other++;
			last_err = r;
		}
	}
	check(t, n_ok > 0 && n_enospc + n_other > 0,
	      "disk full: %zu records taken, then the disk refused (no crash)", n_ok);
	check(t, n_other == 0 && n_enospc == 20,
	      "disk full: every refused append is -ENOSPC (%zu ENOSPC, %zu other, last %s)",
	      n_enospc, n_other, last_err ? strerror(-last_err) : "-");
	r = spool_get_stats(s, &st);
	check(t, r >= 0 && st.lost_pending == n_enospc + n_other,
	      "disk full: the refused records are counted as lost (pending %llu, total %llu, "
	      "want %zu)",
	      (unsigned long long)st.lost_pending, (unsigned long long)st.lost_total,
	      n_enospc + n_other);

	/* Space returns. */
	if (mount("tmpfs", mnt, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, "size=8m") < 0) {
		check(t, false, "disk full: remount larger: %s", strerror(errno));
		goto reopen;
	}
	disk_full_line(line, sizeof(line), 100000);
	r = spool_append(s, SPOOL_EVENT, "process", line, &seq);
	check(t, r >= 0, "disk full: appends work again once space returns (%s)",
	      r < 0 ? strerror(-r) : "ok");

	r = spool_peek(s, 0, 4096, SIZE_MAX, peek_keep, &got);
	for (i = 0; i < got.n; i++)
		if (strstr(got.line[i], "\"records_lost\"")) {
			char want[64];

			snprintf(want, sizeof(want), "\"unwritten\":%zu", n_enospc + n_other);
			loss = strstr(got.line[i], want) != NULL;
			if (!loss)
				printf("  loss record: %s\n", got.line[i]);
		}
	check(t, r >= 0 && loss, "disk full: a loss record counts the %zu unwritten records",
	      n_enospc + n_other);
	for (i = 0; i < n_ok; i++) {
		const char *l = peeked_line(&got, seqs[i]);
		char want[32];

		snprintf(want, sizeof(want), "{\"i\":%zu,", i);
		if (!l || !strstr(l, want) || !strstr(l, "xxxxxxxxxx")) {
			printf("  seq %llu (record %zu): %s\n", (unsigned long long)seqs[i], i,
			       l ? l : "missing");
			intact = false;
			break;
		}
	}
	check(t, intact, "disk full: the %zu records taken before are intact", n_ok);
	spool_get_stats(s, &st);
	check(t, st.lost_pending == 0, "disk full: nothing left unreported (pending %llu)",
	      (unsigned long long)st.lost_pending);
reopen:
	spool_free(s);
	/* The file survived the ordeal: it opens without being moved aside. */
	if (spool_open(path, 0, &s) >= 0) {
		check(t, spool_records(s) == n_ok + 2,
		      "disk full: reopened, %llu records (want %zu)",
		      (unsigned long long)spool_records(s), n_ok + 2);
		spool_free(s);
	} else
		check(t, false, "disk full: the spool reopens");
	for (i = 0; i < got.n; i++)
		free(got.line[i]);
unmount:
	if (umount2(mnt, 0) < 0)
		check(t, false, "disk full: unmount %s: %s", mnt, strerror(errno));
}

/*
 * A collector that cannot store answers 503 with Retry-After (30 s): the
 * sender must wait at least that long before it tries again, whatever its
 * own back-off would say, at most twice it (spread, as a fleet's retries
 * must be), and keep the records.
 */
static void test_retry_after(struct ctx *t)
{
	char log[400], line[256];
	sqlite3 *lock = NULL;
	unsigned long long ms = 0;
	long long deadline;
	uint64_t before;
	pid_t pid;
	FILE *f;

	snprintf(log, sizeof(log), "%s/sender-busy.log", t->dir);
	append_n(t, t->spool, 5, true);
	before = spool_records(t->spool);
	/* Another writer holds the store: the collector's insert times out busy. */
	if (sqlite3_open(t->db, &lock) != SQLITE_OK ||
	    sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) {
		check(t, false, "retry-after: could not lock the collector's store");
		sqlite3_close(lock);
		return;
	}
	pid = sender_spawn(t, t->spool_path, log, t->port, true, (char *)NULL);
	for (deadline = now_ms() + 20000;
	     now_ms() < deadline && !log_contains(log, "Retrying in ");)
		usleep(100 * 1000);
	f = fopen(log, "re");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "Retrying in "))
			ms = strtoull(strstr(line, "Retrying in ") + 12, NULL, 10);
	if (f)
		fclose(f);
	stop(&pid, SIGTERM);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	check(t, log_contains(log, "HTTP 503"), "retry-after: the sender saw the 503");
	/* Spread as a fleet's must be: between what was asked and twice that. */
	check(t, ms >= 29000 && ms <= 61000,
	      "retry-after: the sender waits %llu ms, from the 30 s asked to twice that", ms);
	check(t, spool_records(t->spool) == before, "retry-after: the spool keeps all %llu records",
	      (unsigned long long)before);
}

int main(int argc, char **argv)
{
	static struct ctx ctx;
	struct ctx *t = &ctx;
	char cmd[600], log[400], db2[400], badkey[400];
	struct collector wrong = {};
	int port2;

	if (argc < 2) {
		fprintf(stderr, "usage: %s BUILD_DIR\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	t->build = argv[1];
	snprintf(t->collector_bin, sizeof(t->collector_bin), "%s/posture-collector", t->build);
	snprintf(t->sender_bin, sizeof(t->sender_bin), "%s/postured-sender", t->build);
	snprintf(t->dir, sizeof(t->dir), "/tmp/postured-e2e.XXXXXX");
	if (!mkdtemp(t->dir))
		return 1;
	snprintf(t->pki, sizeof(t->pki), "%s/pki", t->dir);
	snprintf(cmd, sizeof(cmd), "tools/make-test-pki %s >/dev/null", t->pki);
	if (system(cmd) != 0) {
		fprintf(stderr, "make-test-pki failed\n");
		return 1;
	}
	snprintf(t->db, sizeof(t->db), "%s/collector.db", t->dir);
	snprintf(t->spool_path, sizeof(t->spool_path), "%s/spool.db", t->dir);
	snprintf(log, sizeof(log), "%s/sender.log", t->dir);

	t->port = collector_start(t, &t->collector, "collector", t->db, 0);
	check(t, t->port > 0, "collector started (port %d)", t->port);
	if (t->port <= 0)
		goto out;
	check(t, spool_open(t->spool_path, 0, &t->spool) >= 0, "spool opened");

	/* 1. Records appended reach the store exactly once, in order; the spool empties. */
	append_n(t, t->spool, 100, true);
	t->sender = sender_spawn(t, t->spool_path, log, t->port, true, (char *)NULL);
	wait_stored(t->db, 100, 15000);
	check(t, exactly_once(t, "basic"), "100 records stored exactly once in order");
	usleep(300 * 1000);
	check(t, spool_records(t->spool) == 0, "the spool is acknowledged down to empty");

	/* 2. Collector down while 10,000 records are produced, then up. */
	collector_stop(&t->collector, SIGTERM);
	append_n(t, t->spool, 10000, true);
	usleep(1500 * 1000);
	check(t, log_contains(log, "Failed to send"), "sender reports the collector down");
	check(t, collector_start(t, &t->collector, "collector", t->db, t->port) == t->port,
	      "collector restarted on port %d", t->port);
	wait_stored(t->db, (long)t->n_sent, 60000);
	check(t, exactly_once(t, "offline"),
	      "10,000 produced offline: stored exactly once in order");

	/* 3. Sender killed with SIGKILL mid-send, then restarted. */
	{
		long base = stored(t->db);

		append_n(t, t->spool, 10000, true);
		wait_stored(t->db, base + 1000, 30000);
		stop(&t->sender, SIGKILL);
		check(t, stored(t->db) < (long)t->n_sent, "sender killed mid-stream");
		t->sender = sender_spawn(t, t->spool_path, log, t->port, true, (char *)NULL);
		wait_stored(t->db, (long)t->n_sent, 60000);
		check(t, exactly_once(t, "sigkill"),
		      "after SIGKILL and restart: nothing lost, no duplicate, in order");
	}
	stop(&t->sender, SIGTERM);

	/* 4. Negative TLS: nothing stored, a clear error, the spool keeps everything. */
	{
		char rogue[400], exp_crt[400], exp_key[400];

		snprintf(rogue, sizeof(rogue), "%s/rogue-ca.crt", t->pki);
		snprintf(exp_crt, sizeof(exp_crt), "%s/expired-device.crt", t->pki);
		snprintf(exp_key, sizeof(exp_key), "%s/expired-device.key", t->pki);
		test_negative(t, "unknown-server-ca", t->port, true, "SSL certificate problem",
			      "--ca", rogue, NULL, NULL);
		test_negative(t, "expired-client-cert", t->port, false, "HTTP 403", "--cert",
			      exp_crt, "--key", exp_key);
		test_negative(t, "no-client-cert", t->port, false, "HTTP 401", NULL, NULL, NULL,
			      NULL);
		snprintf(db2, sizeof(db2), "%s/collector-wronghost.db", t->dir);
		port2 = collector_start(t, &wrong, "collector-wronghost", db2, 0);
		check(t, port2 > 0, "wrong-hostname collector started");
		test_negative(t, "wrong-hostname", port2, true, "target host name", NULL, NULL,
			      NULL, NULL);
		check(t, stored(db2) == 0, "wrong-hostname: its store is empty too");
		collector_stop(&wrong, SIGTERM);

		/* A key readable by others is refused before anything is sent. */
		snprintf(badkey, sizeof(badkey), "%s/loose.key", t->dir);
		snprintf(cmd, sizeof(cmd), "cp %s/device1.key %s && chmod 0644 %s", t->pki, badkey,
			 badkey);
		if (system(cmd) == 0) {
			char crt[400];

			snprintf(crt, sizeof(crt), "%s/device1.crt", t->pki);
			test_negative(t, "loose-key-mode", t->port, false, "Refusing client key",
				      "--cert", crt, "--key", badkey);
		}
	}

	test_retry_after(t);
	test_disk_full(t);

out:
	stop(&t->sender, SIGTERM);
	collector_stop(&t->collector, SIGTERM);
	spool_free(t->spool);
	if (!getenv("KEEP_TEST_DIR")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", t->dir);
	} else
		printf("kept %s\n", t->dir);
	printf("%d passed, %d failed\n", t->passed, t->failed);
	return t->failed == 0 && t->passed > 0 ? 0 : 1;
}
