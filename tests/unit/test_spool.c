// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The spool: order, persistence of sequence numbers, bounds (oldest events go,
 * the newest state stays, every loss counted), the loss record, a corrupt
 * file replaced, a full disk, and a writer killed with SIGKILL mid-append.
 * Also the envelope it writes into each record.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "postured/envelope.h"
#include "postured/ocsf.h"
#include "postured/spool.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))
#define BOOT	    "0123456789abcdef0123456789abcdef"
#define DEVICE	    "6c646f0706de403dbcc2954eff8fe274"

struct fixture {
	char dir[PATH_MAX - 64];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/test_spool.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/spool.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char p[PATH_MAX * 2];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct collected {
	size_t n;
	uint64_t seq[20000];
	char *line[20000];
};

static int collect(uint64_t seq, const char *line, size_t len, void *userdata)
{
	struct collected *c = userdata;

	assert_int_equal(strlen(line), len);
	c->seq[c->n] = seq;
	c->line[c->n] = strdup(line);
	c->n++;
	return c->n == ELEMENTS(c->seq) ? 1 : 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->line[i]);
	free(c);
}

static struct collected *peek_all(struct spool *s)
{
	struct collected *c = calloc(1, sizeof(*c));
	int r;

	assert_non_null(c);
	r = spool_peek(s, 0, SIZE_MAX, SIZE_MAX, collect, c);
	assert_true(r >= 0);
	assert_int_equal((size_t)r, c->n);
	return c;
}

/* The integer at postured.<key> in line, or -1. */
static long long postured_int(const char *line, const char *key)
{
	const char *path[] = { "postured", key, NULL };
	yajl_val root = yajl_tree_parse(line, NULL, 0), v;
	long long out = -1;

	if (!root)
		return -1;
	v = yajl_tree_get(root, path, yajl_t_number);
	if (v && YAJL_IS_INTEGER(v))
		out = YAJL_GET_INTEGER(v);
	yajl_tree_free(root);
	return out;
}

/* The string at a.b (one or two keys) in line, or "". */
static const char *str_at(const char *line, const char *a, const char *b, char *buf, size_t size)
{
	const char *path[] = { a, b, NULL };
	yajl_val root = yajl_tree_parse(line, NULL, 0), v;

	buf[0] = '\0';
	if (!root)
		return buf;
	v = yajl_tree_get(root, path, yajl_t_string);
	if (v)
		snprintf(buf, size, "%s", YAJL_GET_STRING(v));
	yajl_tree_free(root);
	return buf;
}

static const char *postured_str(const char *line, const char *key, char *buf, size_t size)
{
	return str_at(line, "postured", key, buf, size);
}

static struct spool *open_spool(const char *path, uint64_t max)
{
	struct spool *s = NULL;

	assert_int_equal(spool_open(path, max, &s), 0);
	assert_int_equal(spool_set_boot_uid(s, BOOT), 0);
	return s;
}

static void test_append_peek_ack(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f->path, 0);
	struct collected *c;
	struct spool_stats st;
	uint64_t seq[10];
	char line[128], buf[64];
	struct stat sb;

	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof(line),
			 "{\"class_uid\":1007,\"time\":%d,\"postured\":{\"n\":%d}}", 1000 + i, i);
		assert_int_equal(spool_append(s, SPOOL_EVENT, "process", line, &seq[i]), 0);
		if (i > 0)
			assert_int_equal(seq[i], seq[i - 1] + 1);
	}
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	c = peek_all(s);
	assert_int_equal(c->n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(c->seq[i], seq[i]);
		assert_int_equal(postured_int(c->line[i], "seq"), (long long)seq[i]);
		assert_int_equal(postured_int(c->line[i], "n"), i);
		assert_string_equal(postured_str(c->line[i], "boot_uid", buf, sizeof(buf)), BOOT);
	}
	collected_free(c);

	/* Limits: count, then bytes (the first record always comes). */
	c = calloc(1, sizeof(*c));
	assert_int_equal(spool_peek(s, seq[2], 3, SIZE_MAX, collect, c), 3);
	assert_int_equal(c->seq[0], seq[3]);
	collected_free(c);
	c = calloc(1, sizeof(*c));
	assert_int_equal(spool_peek(s, 0, 100, 1, collect, c), 1);
	collected_free(c);

	assert_int_equal(spool_ack(s, seq[4]), 5);
	assert_int_equal(spool_ack(s, seq[4]), 0);
	c = peek_all(s);
	assert_int_equal(c->n, 5);
	assert_int_equal(c->seq[0], seq[5]);
	collected_free(c);

	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.next_seq, seq[9] + 1);
	assert_int_equal(st.lost_total, 0);

	assert_int_equal(spool_append(s, SPOOL_EVENT, "x", "[1,2]", NULL), -EINVAL);
	assert_int_equal(spool_append(s, SPOOL_EVENT, "x", "{\"a\":", NULL), -EINVAL);
	spool_free(s);
}

static void test_seq_persists(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f->path, 0);
	uint64_t a, b;

	assert_int_equal(spool_append(s, SPOOL_EVENT, "p", "{\"time\":1}", &a), 0);
	assert_int_equal(spool_ack(s, a), 1);
	spool_free(s);

	/* Emptied and reopened: numbering goes on, never restarts. */
	s = open_spool(f->path, 0);
	assert_int_equal(spool_append(s, SPOOL_EVENT, "p", "{\"time\":2}", &b), 0);
	assert_int_equal(b, a + 1);
	spool_free(s);
}

static void test_bounds_keep_state(void **state)
{
	struct fixture *f = *state;
	const uint64_t max = 32 * 1024;
	struct spool *s = open_spool(f->path, max);
	struct collected *c;
	struct spool_stats st;
	uint64_t state_old, state_new, first, last = 0, loss_seq = 0;
	char line[256];
	int losses = 0;

	assert_int_equal(
		spool_append(s, SPOOL_STATE, "posture", "{\"time\":1,\"v\":1}", &state_old), 0);
	assert_int_equal(
		spool_append(s, SPOOL_STATE, "posture", "{\"time\":1,\"v\":2}", &state_new), 0);
	first = state_new + 1;
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "{\"time\":%d,\"pad\":\"%0150d\"}", i, i);
		assert_int_equal(spool_append(s, SPOOL_EVENT, "process", line, &last), 0);
	}
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_true(st.bytes <= max);
	assert_true(st.lost_total > 0);

	c = peek_all(s);
	/* Every event appended is either still here or counted as lost, exactly (the
	 * two states and the one loss record are the others). */
	assert_int_equal(st.lost_total, 2000 - (c->n - 3));
	/* Both states survived (events went first); the newest events are the ones kept. */
	assert_int_equal(c->seq[0], state_old);
	assert_int_equal(c->seq[1], state_new);
	assert_int_equal(c->seq[c->n - 1], last);
	for (size_t i = 0; i < c->n; i++) {
		char ev[64];

		if (strcmp(postured_str(c->line[i], "event", ev, sizeof(ev)), "records_lost") ==
		    0) {
			losses++;
			loss_seq = c->seq[i];
			assert_true(strstr(c->line[i], "\"class_uid\":5001") != NULL);
		}
	}
	/* One loss record, never sent, so it folds every drop; it carries the running total. */
	assert_int_equal(losses, 1);
	for (size_t i = 0; i < c->n; i++)
		if (c->seq[i] == loss_seq) {
			assert_int_equal(postured_int(c->line[i], "lost_total"),
					 (long long)st.lost_total);
			assert_int_equal(postured_int(c->line[i], "count"),
					 (long long)st.lost_total);
			assert_true(postured_int(c->line[i], "first_seq") >= (long long)first);
			assert_true(postured_int(c->line[i], "last_seq") < (long long)loss_seq);
		}
	/* Events that survived are contiguous from the oldest kept on (apart from loss records). */
	collected_free(c);

	/* Too large for the spool at all. */
	{
		char *big = malloc(max + 100);

		memset(big, 'a', max + 100);
		memcpy(big, "{\"x\":\"", 6);
		memcpy(big + max + 100 - 3, "\"}", 3);
		assert_int_equal(spool_append(s, SPOOL_EVENT, "x", big, NULL), -E2BIG);
		free(big);
	}
	spool_free(s);
}

static void test_bounds_exact(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f->path, 0);
	struct spool_stats st;
	struct collected *c;
	uint64_t seq, len;
	char buf[64];
	const char *ev =
		"{\"time\":1,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";

	/* Measure one enveloped event, then reopen with room for exactly 1 KiB + 10 of them. */
	assert_int_equal(spool_append(s, SPOOL_EVENT, "e", ev, &seq), 0);
	assert_int_equal(spool_get_stats(s, &st), 0);
	len = st.bytes;
	assert_int_equal(spool_ack(s, seq), 1);
	spool_free(s);

	s = open_spool(f->path, 1024 + 10 * len);
	assert_int_equal(spool_set_device_uid(s, DEVICE), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(spool_append(s, SPOOL_EVENT, "e", ev, NULL), 0);
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.lost_total, 0);
	assert_int_equal(st.records, 10);

	/* The 11th needs room: exactly one event goes, then a loss record says so. */
	assert_int_equal(spool_append(s, SPOOL_EVENT, "e", ev, NULL), 0);
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.lost_total, 1);
	c = peek_all(s);
	assert_int_equal(c->n, 11);
	assert_int_equal(c->seq[0], seq + 2);
	assert_int_equal(postured_int(c->line[9], "count"), 1);
	assert_int_equal(postured_int(c->line[9], "dropped"), 1);
	assert_int_equal(postured_int(c->line[9], "first_seq"), (long long)seq + 1);
	assert_int_equal(postured_int(c->line[9], "last_seq"), (long long)seq + 1);
	assert_int_equal(c->seq[9], seq + 11);
	/* An OCSF record like the others: the common attributes, the device it was told. */
	assert_string_equal(str_at(c->line[9], "type_name", NULL, buf, sizeof(buf)),
			    "Device Inventory Info: Log");
	assert_string_equal(str_at(c->line[9], "metadata", "version", buf, sizeof(buf)),
			    OCSF_SCHEMA_VERSION);
	assert_string_equal(str_at(c->line[9], "metadata", "log_name", buf, sizeof(buf)),
			    "records_lost");
	assert_string_equal(str_at(c->line[9], "device", "uid", buf, sizeof(buf)), DEVICE);
	collected_free(c);
	spool_free(s);
}

static void test_corrupt_replaced(void **state)
{
	struct fixture *f = *state;
	struct spool *s = NULL;
	char garbage[8192];
	FILE *fp;
	DIR *d;
	struct dirent *de;
	int aside = 0;

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fwrite(garbage, 1, sizeof(garbage), fp);
	fclose(fp);

	assert_int_equal(spool_open(f->path, 0, &s), SPOOL_OPEN_RECREATED);
	assert_non_null(s);
	assert_int_equal(spool_append(s, SPOOL_EVENT, "e", "{\"time\":1}", NULL), 0);
	spool_free(s);

	d = opendir(f->dir);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "spool.db.corrupt-", 17) == 0)
			aside++;
	closedir(d);
	assert_int_equal(aside, 1);

	/* The new one is healthy: the next open is a plain one. */
	s = NULL;
	assert_int_equal(spool_open(f->path, 0, &s), 0);
	spool_free(s);
}

static void test_disk_full(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f->path, 0);
	struct spool_stats st;
	struct collected *c;
	char line[4096];
	int r, failed = 0;
	uint64_t seq;

	memset(line, 0, sizeof(line));
	snprintf(line, sizeof(line), "{\"time\":1,\"pad\":\"%03000d\"}", 7);
	assert_int_equal(spool_set_max_pages(s, 12), 0);
	for (int i = 0; i < 40; i++) {
		r = spool_append(s, SPOOL_EVENT, "e", line, NULL);
		assert_true(r == 0 || r == -ENOSPC);
		if (r == -ENOSPC)
			failed++;
	}
	assert_true(failed > 0);
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.lost_pending, failed);
	assert_int_equal(st.lost_total, failed);

	/* Space comes back: the next append writes a loss record for the unwritten ones first. */
	assert_int_equal(spool_set_max_pages(s, 1u << 30), 0);
	assert_int_equal(spool_append(s, SPOOL_EVENT, "e", "{\"time\":2}", &seq), 0);
	c = peek_all(s);
	assert_int_equal(c->seq[c->n - 1], seq);
	assert_int_equal(postured_int(c->line[c->n - 2], "unwritten"), failed);
	assert_int_equal(postured_int(c->line[c->n - 2], "count"), failed);
	collected_free(c);
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.lost_pending, 0);
	assert_int_equal(st.lost_total, failed);
	spool_free(s);
}

static void test_sigkill_mid_append(void **state)
{
	struct fixture *f = *state;
	struct spool *s;
	struct collected *c;
	uint64_t got[100000];
	size_t n = 0, j = 0;
	int p[2], status;
	pid_t pid;
	ssize_t k;

	s = open_spool(f->path, 0);
	spool_free(s);

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		s = open_spool(f->path, 0);
		for (;;) {
			uint64_t seq;

			if (spool_append(s, SPOOL_EVENT, "e", "{\"time\":1}", &seq) < 0)
				_exit(2);
			if (write(p[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(3);
		}
	}
	close(p[1]);
	while (n < 200 && (k = read(p[0], &got[n], sizeof(got[0]))) == sizeof(got[0]))
		n++;
	kill(pid, SIGKILL);
	while (n < ELEMENTS(got) && (k = read(p[0], &got[n], sizeof(got[0]))) == sizeof(got[0]))
		n++;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(n >= 200);

	/* Every seq the child was told about is there, in order; maybe one more after them. */
	s = open_spool(f->path, 0);
	c = peek_all(s);
	assert_true(c->n >= n);
	for (size_t i = 0; i < c->n && j < n; i++)
		if (c->seq[i] == got[j])
			j++;
	assert_int_equal(j, n);
	for (size_t i = 1; i < c->n; i++)
		assert_true(c->seq[i] == c->seq[i - 1] + 1);
	collected_free(c);
	spool_free(s);
}

static void test_envelope(void **state)
{
	char *out = NULL;
	size_t len;
	const char *path_seq[] = { "postured", "seq", NULL };

	assert_int_equal(envelope_add("{\"time\":5,\"postured\":{\"a\":[1,2.50,\"x\"],\"seq\":9},"
				      "\"b\":null}\n",
				      30, 42, BOOT, 7, &out, &len),
			 -EINVAL); /* the length cuts the object short */
	assert_int_equal(
		envelope_add("{\"time\":5,\"postured\":{\"a\":[1,2.50,\"x\"],\"seq\":9},"
			     "\"b\":null}\n",
			     strlen("{\"time\":5,\"postured\":{\"a\":[1,2.50,\"x\"],\"seq\":9},"
				    "\"b\":null}\n"),
			     42, BOOT, 7, &out, &len),
		0);
	assert_string_equal(out, "{\"time\":5,\"postured\":{\"a\":[1,2.50,\"x\"],\"seq\":42,"
				 "\"boot_uid\":\"" BOOT "\"},\"b\":null}");
	assert_int_equal(len, strlen(out));
	{
		yajl_val v = yajl_tree_parse(out, NULL, 0);

		assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, path_seq, yajl_t_number)), 42);
		yajl_tree_free(v);
	}
	free(out);

	assert_int_equal(envelope_add("{}", 2, 1, BOOT, 7, &out, &len), 0);
	assert_string_equal(out, "{\"time\":7,\"postured\":{\"seq\":1,\"boot_uid\":\"" BOOT "\"}}");
	free(out);

	assert_int_equal(envelope_add("{\"postured\":3}", 14, 1, BOOT, 7, &out, &len), -EINVAL);
	assert_int_equal(envelope_add("[]", 2, 1, BOOT, 7, &out, &len), -EINVAL);
	assert_int_equal(envelope_add("{}", 2, 1, "nothex", 7, &out, &len), -EINVAL);
	assert_int_equal(envelope_add("{}\n{}", 5, 1, BOOT, 7, &out, &len), -EINVAL);
}

struct sent_seen {
	size_t n;
	uint64_t seq[8];
	int64_t acked[8];
	char kind[8][16];
	char *line[8];
};

static int collect_sent(uint64_t seq, int64_t acked_ms, const char *kind, const char *line,
			size_t len, void *userdata)
{
	struct sent_seen *c = userdata;

	assert_true(c->n < ELEMENTS(c->seq));
	assert_int_equal(strlen(line), len);
	c->seq[c->n] = seq;
	c->acked[c->n] = acked_ms;
	snprintf(c->kind[c->n], sizeof(c->kind[0]), "%s", kind);
	c->line[c->n] = strdup(line);
	c->n++;
	return 0;
}

static void sent_seen_free(struct sent_seen *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->line[i]);
	*c = (struct sent_seen){};
}

/* An acknowledged record moves, as it was sent, to the sent table; prune and list. */
static void test_sent_kept(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f->path, 0);
	struct sent_seen c = {};
	struct spool_stats st;
	struct collected *p;
	uint64_t seq[4];
	int64_t before = (int64_t)time(NULL) * 1000 - 1000;

	for (size_t i = 0; i < 4; i++) {
		char line[64];

		snprintf(line, sizeof(line), "{\"time\":1,\"n\":%zu}", i);
		assert_int_equal(spool_append(s, SPOOL_EVENT, i % 2 ? "finding" : "process", line,
					      &seq[i]),
				 0);
	}
	p = peek_all(s);
	assert_int_equal(p->n, 4);

	/* Nothing is sent before an ack. */
	assert_int_equal(spool_list_sent(s, 0, 0, 100, collect_sent, &c), 0);

	assert_int_equal(spool_ack(s, seq[2]), 3);
	assert_int_equal(spool_get_stats(s, &st), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(spool_list_sent(s, 0, 0, 100, collect_sent, &c), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c.seq[i], seq[i]);
		/* The line exactly as the sender peeked it. */
		assert_string_equal(c.line[i], p->line[i]);
		assert_true(c.acked[i] >= before);
		assert_string_equal(c.kind[i], i % 2 ? "finding" : "process");
	}
	sent_seen_free(&c);

	/* Paging by seq and limits. */
	assert_int_equal(spool_list_sent(s, 0, seq[0], 1, collect_sent, &c), 1);
	assert_int_equal(c.seq[0], seq[1]);
	sent_seen_free(&c);
	assert_int_equal(spool_list_sent(s, INT64_MAX, 0, 100, collect_sent, &c), 0);

	/* Acked again (the collector repeats itself): nothing new, nothing lost. */
	assert_int_equal(spool_ack(s, seq[2]), 0);
	assert_int_equal(spool_ack(s, seq[3]), 1);
	assert_int_equal(spool_list_sent(s, 0, 0, 100, collect_sent, &c), 4);
	sent_seen_free(&c);

	/* Survives a reopen. */
	spool_free(s);
	s = open_spool(f->path, 0);
	assert_int_equal(spool_list_sent(s, before, 0, 100, collect_sent, &c), 4);
	sent_seen_free(&c);

	/* Prune: older than a time in the past keeps all, older than the future none. */
	assert_int_equal(spool_prune_sent(s, before), 0);
	assert_int_equal(spool_list_sent(s, 0, 0, 100, collect_sent, &c), 4);
	sent_seen_free(&c);
	assert_int_equal(spool_prune_sent(s, INT64_MAX), 4);
	assert_int_equal(spool_list_sent(s, 0, 0, 100, collect_sent, &c), 0);

	assert_int_equal(spool_list_sent(s, 0, 0, 100, NULL, &c), -EINVAL);
	collected_free(p);
	spool_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_peek_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_persists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds_keep_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigkill_mid_append, setup, teardown),
		cmocka_unit_test(test_envelope),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
