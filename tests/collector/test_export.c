// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The export log without a collector around it: the line a record becomes
 * (the collector's additions, the device's bytes otherwise, hostile strings
 * kept on one line, valid OCSF against the schema the project carries), the
 * log's files (rotation, compression, the oldest deleted, a line a crash cut
 * short), a reader following it across all that, cursors, and the syslog
 * message a record becomes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include <cmocka.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/json-util.h"
#include "collector/export.h"
#include "collector/export_read.h"
#include "collector/forward.h"
#include "tests/ocsf/ocsf_validate.h"

#define DEVICE "0123456789abcdef0123456789abcdef"
#define BOOT   "fedcba9876543210fedcba9876543210"

static struct record record_of(const char *json, int64_t seq)
{
	struct record r = { .json = json, .json_size = strlen(json), .seq = seq };

	memcpy(r.boot_uid, BOOT, sizeof(r.boot_uid));
	return r;
}

/* The exported line of json, NUL-terminated, in a new buffer. */
static char *export_one(const char *json, int64_t seq, const char *owner)
{
	struct export_context ctx = { .device_id = DEVICE,
				      .received_ms = 1790000000123,
				      .owner = owner };
	struct record r = record_of(json, seq);
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t size;
	char *out;

	assert_non_null(g);
	assert_int_equal(export_line_append(g, &r, &ctx), 0);
	assert_int_equal(yajl_gen_get_buf(g, &buf, &size), yajl_gen_status_ok);
	out = strndup((const char *)buf, size);
	yajl_gen_free(g);
	assert_non_null(out);
	return out;
}

static const char *get_string(yajl_val root, const char *const *path)
{
	yajl_val v = yajl_tree_get(root, (const char **)path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static unsigned count_keys(yajl_val obj, const char *key)
{
	unsigned n = 0;

	for (size_t i = 0; obj && YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
		n += strcmp(obj->u.object.keys[i], key) == 0;
	return n;
}

static void test_line_additions(void **state)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	const char *uid[] = { "metadata", "uid", NULL },
		   *logged[] = { "metadata", "logged_time", NULL },
		   *product[] = { "metadata", "product", "name", NULL },
		   *owner[] = { "device", "owner", "name", NULL }, *meta[] = { "metadata", NULL },
		   *device[] = { "device", NULL };
	yajl_val v;

	(void)state;
	/* A device's own uid (an object even), logged_time and owner are the collector's to say. */
	line = export_one("{\"class_uid\":2003,\"metadata\":{\"version\":\"1.9.0\",\"uid\":"
			  "{\"forged\":[1,2]},\"product\":{\"name\":\"postured\"},"
			  "\"logged_time\":5},\"device\":{\"uid\":\"x\",\"owner\":{\"name\":"
			  "\"Mallory\"}},\"postured\":{\"seq\":42}}",
			  42, "Ada Lovelace");
	/* One line, ended by its newline. */
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	root = yajl_tree_parse(line, NULL, 0);
	assert_non_null(root);
	assert_string_equal(get_string(root, uid), DEVICE "-" BOOT "-42");
	v = yajl_tree_get(root, logged, yajl_t_number);
	assert_non_null(v);
	assert_int_equal(YAJL_GET_INTEGER(v), 1790000000123);
	assert_string_equal(get_string(root, product), "postured");
	assert_string_equal(get_string(root, owner), "Ada Lovelace");
	assert_int_equal(count_keys(yajl_tree_get(root, meta, yajl_t_object), "uid"), 1);
	assert_int_equal(count_keys(yajl_tree_get(root, meta, yajl_t_object), "logged_time"), 1);
	assert_int_equal(count_keys(yajl_tree_get(root, device, yajl_t_object), "owner"), 1);
	assert_null(strstr(line, "forged"));
	assert_null(strstr(line, "Mallory"));
}

static void test_line_without_owner(void **state)
{
	_cleanup_free_ char *line = NULL;

	(void)state;
	/* IT has named no owner: what the device said stays. */
	line = export_one(
		"{\"metadata\":{\"version\":\"1\"},\"device\":{\"owner\":{\"name\":\"ann\"}}}", 7,
		NULL);
	assert_non_null(strstr(line, "\"owner\":{\"name\":\"ann\"}"));
	assert_non_null(strstr(line, "\"uid\":\"" DEVICE "-" BOOT "-7\""));
	free(line);
	/* An owner that is not UTF-8 (stored before that was checked) is left out, not sent. */
	line = export_one(
		"{\"metadata\":{\"version\":\"1\"},\"device\":{\"owner\":{\"name\":\"ann\"}}}", 8,
		"M\xfcller");
	assert_non_null(strstr(line, "\"owner\":{\"name\":\"ann\"}"));
	assert_null(strstr(line, "ller"));
}

static void test_line_keeps_bytes(void **state)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	const char *msg[] = { "message", NULL };
	const char *m;

	(void)state;
	/* Numbers as written; escapes a line or a terminal would obey stay escaped. */
	line = export_one("{\"n\":1.50e3,\"z\":-0,\"big\":12345678901234567890,"
			  "\"message\":\"a\\u0000b\\nc\\u001b[31md\\u2028e\",\"metadata\":{}}",
			  1, NULL);
	assert_non_null(strstr(line, "\"n\":1.50e3"));
	assert_non_null(strstr(line, "\"z\":-0"));
	assert_non_null(strstr(line, "\"big\":12345678901234567890"));
	for (const char *p = line; *p && p[1]; p++)
		assert_true((unsigned char)*p >= 0x20);
	root = yajl_tree_parse(line, NULL, 0);
	assert_non_null(root);
	m = get_string(root, msg);
	assert_non_null(m);
	/* yajl's tree stops at the NUL: what came before it is intact, the rest is on the line. */
	assert_string_equal(m, "a");
	assert_non_null(strstr(line, "a\\u0000b\\nc\\u001B[31md"));
}

static void test_line_is_ocsf(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct ocsf_schema *schema = NULL;
	char err[512] = "";
	size_t size;
	unsigned n = 0;

	(void)state;
	assert_int_equal(
		ocsf_schema_load(SOURCE_DIR "/tests/fixtures/ocsf", &schema, err, sizeof(err)), 0);
	assert_int_equal(read_full_file(SOURCE_DIR "/tests/fixtures/export/records.ndjson", 1 << 20,
					0, &text, &size),
			 0);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		_cleanup_free_ char *out = export_one(line, 100 + n, "Ada Lovelace");
		_cleanup_(yajl_tree_freep) yajl_val root = yajl_tree_parse(out, NULL, 0);
		struct ocsf_report report = {};

		assert_non_null(root);
		ocsf_validate_record(schema, root, NULL, &report);
		if (report.count > 0)
			fail_msg("record %u is not valid OCSF once exported:\n%s", n, report.text);
		n++;
	}
	assert_true(n >= 3);
	ocsf_schema_free(schema);
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/test-export-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void remove_dir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void append_records(struct export *x, unsigned first, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char line[256];
		int len = snprintf(
			line, sizeof(line),
			"{\"n\":%u,\"metadata\":{\"logged_time\":%u},\"pad\":\"%0100d\"}\n",
			first + i, 1000 + first + i, 0);

		assert_int_equal(export_append(x, line, (size_t)len, 1), 0);
	}
}

/* Runs the loop until the compression of closed files is done. */
static void settle(sd_event *e)
{
	for (int i = 0; i < 100000; i++)
		if (sd_event_run(e, 0) == 0)
			break;
}

static unsigned count_files(const char *dir, bool compressed)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ struct export_file *files = NULL;
	size_t n = 0;
	unsigned c = 0;

	assert_int_equal(export_files_list(fd, &files, &n), 0);
	for (size_t i = 0; i < n; i++)
		c += files[i].compressed == compressed;
	return c;
}

/* Reads every line from pos on; checks they are n = first.. in order; returns how many. */
static unsigned read_all(const char *dir, const struct export_position *pos, unsigned first,
			 uint64_t *ret_lost)
{
	_cleanup_(export_reader_freep) struct export_reader *r = NULL;
	struct export_position next;
	const char *line;
	size_t len;
	unsigned got = 0;
	int q;

	assert_int_equal(export_reader_open(dir, pos, 1 << 20, &r), 0);
	while ((q = export_reader_next(r, &line, &len, &next)) > 0) {
		char want[32];

		snprintf(want, sizeof(want), "{\"n\":%u,", first + got);
		assert_true(len > strlen(want) && memcmp(line, want, strlen(want)) == 0);
		assert_int_equal(next.number, first + got + 1);
		got++;
	}
	assert_int_equal(q, 0);
	*ret_lost = export_reader_lost(r);
	return got;
}

static void test_log_rotates_compresses_keeps(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	struct export_limits limits = { .max_size = 4096, .max_age_sec = 3600, .keep = 4 };
	struct export_position start = {}, at_one = { .file = 1, .number = 1 };
	struct export_counters counters;
	struct export *x = NULL;
	sd_event *e = NULL;
	uint64_t lost;
	unsigned got;

	(void)state;
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(export_open(e, dir, &limits, &x), 0);
	append_records(x, 1, 60); /* about 140 bytes a line: some 29 to a file */
	settle(e);
	assert_int_equal(count_files(dir, false), 1); /* only the file being written is plain */
	assert_int_equal(count_files(dir, true), 2);
	got = read_all(dir, &start, 1, &lost);
	assert_int_equal(got, 60);
	assert_int_equal(lost, 0);

	append_records(x, 61, 140);
	settle(e);
	assert_int_equal(count_files(dir, false) + count_files(dir, true), 4);
	export_get_counters(x, &counters);
	assert_int_equal(counters.next, 201);
	assert_int_equal(counters.exported, 200);

	/* A cursor left at the first record: what was deleted is counted, the rest read. */
	{
		_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		_cleanup_free_ struct export_file *files = NULL;
		size_t n;

		assert_int_equal(export_files_list(fd, &files, &n), 0);
		got = read_all(dir, &at_one, (unsigned)files[0].first, &lost);
		assert_int_equal(lost, files[0].first - 1);
		assert_int_equal(got + lost, 200);
	}

	/* Reopened: numbering goes on where it stopped. */
	x = export_free(x);
	assert_int_equal(export_open(e, dir, &limits, &x), 0);
	export_get_counters(x, &counters);
	assert_int_equal(counters.next, 201);
	x = export_free(x);
	sd_event_unref(e);
	remove_dir(dir);
}

/* What a crash in the middle of a write leaves: half of record n at the end of file first. */
static void write_half_line(const char *dir, unsigned first, unsigned n)
{
	char path[512], half[32];
	int fd, len;

	snprintf(path, sizeof(path), "%s/ocsf-%016u.ndjson", dir, first);
	len = snprintf(half, sizeof(half), "{\"n\":%u,\"cut", n);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, half, (size_t)len), len);
	close(fd);
}

/* The next line of r, which must be record n; -1 when there is none yet. */
static int next_is(struct export_reader *r, unsigned n)
{
	struct export_position next;
	const char *line;
	size_t len;
	char want[32];
	int q = export_reader_next(r, &line, &len, &next);

	if (q <= 0)
		return -1;
	snprintf(want, sizeof(want), "{\"n\":%u,", n);
	if (len <= strlen(want) || memcmp(line, want, strlen(want)) != 0 || line[len - 1] != '}')
		fail_msg("wanted record %u, read '%.*s'", n, (int)MIN(len, (size_t)60), line);
	return 0;
}

static void test_log_live_reader_across_cuts(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	struct export_limits limits = { .max_size = 1 << 20, .max_age_sec = 3600, .keep = 10 };
	struct export_position start = {};
	struct export_reader *r = NULL;
	struct export_counters counters;
	struct export *x = NULL;
	struct rlimit old, small;
	sd_event *e = NULL;
	uint64_t lost;
	char line[512];
	int len;

	(void)state;
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(export_open(e, dir, &limits, &x), 0);
	append_records(x, 1, 3);
	assert_int_equal(export_reader_open(dir, &start, 1 << 20, &r), 0);
	for (unsigned n = 1; n <= 3; n++)
		assert_int_equal(next_is(r, n), 0);

	/* A write cut short (the file size limit stands in for a full disk): refused... */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	small = old;
	small.rlim_cur = 3 * 150 + 40;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	len = snprintf(line, sizeof(line),
		       "{\"n\":4,\"metadata\":{\"logged_time\":4},\"pad\":\"%0100d\"}\n"
		       "{\"n\":5,\"metadata\":{\"logged_time\":5},\"pad\":\"%0100d\"}\n",
		       0, 0);
	assert_true(export_append(x, line, (size_t)len, 2) < 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* ... and the device sends it again: the log goes on, the reader with it. */
	append_records(x, 4, 2);
	assert_int_equal(next_is(r, 4), 0);
	assert_int_equal(next_is(r, 5), 0);
	assert_int_equal(next_is(r, 6), -1);

	/* A crash in the middle of a write, the reader still running. */
	x = export_free(x);
	write_half_line(dir, 4, 6);
	assert_int_equal(next_is(r, 6), -1); /* half a line is never a line */
	assert_int_equal(export_open(e, dir, &limits, &x), 0);
	export_get_counters(x, &counters);
	assert_int_equal(counters.next, 6);
	append_records(x, 6, 2);
	assert_int_equal(next_is(r, 6), 0);
	assert_int_equal(next_is(r, 7), 0);
	assert_int_equal(export_reader_lost(r), 0);
	export_reader_free(r);
	/* A reader from the start, afterwards: every record once, nothing counted lost. */
	assert_int_equal(read_all(dir, &start, 1, &lost), 7);
	assert_int_equal(lost, 0);
	x = export_free(x);
	sd_event_unref(e);
	remove_dir(dir);
}

static void test_cursor(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct export_cursor c = { .name = "siem-1",
				   .destination = "relp://h:1",
				   .pos = { .file = 1, .offset = 280, .number = 3 },
				   .forwarded = 2,
				   .filtered = 0,
				   .connected = true },
			     back;
	char path[512];

	(void)state;
	assert_false(export_cursor_name_valid("../x"));
	assert_false(export_cursor_name_valid(""));
	assert_false(export_cursor_name_valid("UPPER"));
	assert_int_equal(export_cursor_save(fd, &c), 0);
	assert_int_equal(export_cursor_load(fd, "siem-1", &back), 0);
	assert_int_equal(back.pos.offset, 280);
	assert_int_equal(back.pos.number, 3);
	assert_int_equal(back.forwarded, 2);
	assert_true(back.connected);
	assert_int_equal(export_cursor_load(fd, "other", &back), -ENOENT);
	snprintf(path, sizeof(path), "%s/forward-siem-1.cursor", dir);
	assert_int_equal(write_file_atomic(path, "{\"file\":-1}", 11, 0600), 0);
	assert_int_equal(export_cursor_load(fd, "siem-1", &back), -EBADMSG);
	remove_dir(dir);
}

static void test_syslog_message(void **state)
{
	const char *json = "{\"class_uid\":2003,\"severity_id\":3}";
	struct forward_record r = { .class_uid = 2003,
				    .severity_id = 3,
				    .time_ms = 1790000000123,
				    .hostname = "evil host\n<13>1 x\xc3\xa9",
				    .json = json,
				    .json_size = strlen(json) };
	_cleanup_free_ char *msg = NULL;
	size_t size;

	(void)state;
	assert_int_equal(forward_syslog_format(&r, 13, &msg, &size), 0);
	assert_string_equal(msg, "<108>1 2026-09-21T14:13:20.123Z evil_host_<13>1_x__ postured - "
				 "ocsf-2003 - {\"class_uid\":2003,\"severity_id\":3}");
	assert_int_equal(size, strlen(msg));
	assert_int_equal(forward_syslog_severity(5), 2);
	assert_int_equal(forward_syslog_severity(1), 6);
	assert_int_equal(forward_syslog_severity(99), 5);
}

static void test_hec_event(void **state)
{
	const char *json = "{\"class_uid\":2003,\"n\":1.50e3}";
	struct forward_record r = { .class_uid = 2003,
				    .time_ms = 1790000000123,
				    .hostname = "lap\"top\n",
				    .json = json,
				    .json_size = strlen(json) };
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *msg = NULL;
	const char *event_path[] = { "event", "class_uid", NULL }, *host[] = { "host", NULL },
		   *type[] = { "sourcetype", NULL };
	size_t size;

	(void)state;
	assert_int_equal(forward_hec_format(&r, &msg, &size), 0);
	assert_int_equal(size, strlen(msg));
	/* The record whole, as "event"; the host name escaped in the envelope. */
	assert_non_null(strstr(msg, "\"event\":{\"class_uid\":2003,\"n\":1.50e3}}"));
	assert_non_null(strstr(msg, "\"time\":1790000000.123"));
	root = yajl_tree_parse(msg, NULL, 0);
	assert_non_null(root);
	assert_non_null(yajl_tree_get(root, event_path, yajl_t_number));
	assert_string_equal(get_string(root, host), "lap\"top\n");
	assert_string_equal(get_string(root, type), "ocsf:2003");
}

static void test_syslog_no_hostname(void **state)
{
	struct forward_record r = {
		.class_uid = 1007, .severity_id = 1, .time_ms = -5, .json = "{}", .json_size = 2
	};
	_cleanup_free_ char *msg = NULL;
	size_t size;

	(void)state;
	assert_int_equal(forward_syslog_format(&r, 16, &msg, &size), 0);
	assert_string_equal(msg, "<134>1 - - postured - ocsf-1007 - {}");
}

static void test_record_fields(void **state)
{
	const char *json =
		"{\"finding_info\":{\"class_uid\":1,\"time\":2},\"big\":123456789012345678901,"
		"\"class_uid\":2003,\"severity_id\":4,\"process\":{\"hostname\":\"no\"},"
		"\"device\":{\"os\":{\"hostname\":\"no\"},\"hostname\":\"lap\\u0000top\"},"
		"\"time\":1790000000123,\"class_uid\":1}";
	struct forward_record r;

	(void)state;
	/* Only the record's own fields, the first of each; numbers too large are no matter. */
	assert_int_equal(forward_record_parse(json, strlen(json), &r), 0);
	assert_int_equal(r.class_uid, 2003);
	assert_int_equal(r.severity_id, 4);
	assert_int_equal(r.time_ms, 1790000000123);
	assert_string_equal(r.hostname, "lap");
	assert_int_equal(forward_record_parse("{\"class_uid\":1007}", 18, &r), 0);
	assert_null(r.hostname);
	assert_int_equal(r.severity_id, 0);
	assert_int_equal(forward_record_parse("[1]", 3, &r), -EBADMSG);
	assert_int_equal(forward_record_parse("{\"a\":", 5, &r), -EBADMSG);
}

static void test_target(void **state)
{
	struct forward_target t;
	char reason[256];

	(void)state;
	assert_int_equal(
		forward_target_parse("syslog+tls://siem.example", &t, reason, sizeof(reason)), 0);
	assert_string_equal(t.port, "6514");
	assert_string_equal(t.host, "siem.example");
	assert_int_equal(forward_target_parse("relp://[::1]:2514", &t, reason, sizeof(reason)), 0);
	assert_string_equal(t.host, "::1");
	assert_string_equal(t.port, "2514");
	assert_int_equal(forward_target_parse("relp://h", &t, reason, sizeof(reason)), -EINVAL);
	assert_non_null(strstr(reason, "port"));
	assert_int_equal(forward_target_parse("http://h:1", &t, reason, sizeof(reason)), -EINVAL);
	assert_non_null(strstr(reason, "http"));
	assert_int_equal(forward_target_parse("relp://h:99999", &t, reason, sizeof(reason)),
			 -EINVAL);
	assert_int_equal(forward_target_parse("relp+tls://:5", &t, reason, sizeof(reason)),
			 -EINVAL);
	assert_int_equal(forward_target_parse("hec+https://splunk.example/services/collector/event",
					      &t, reason, sizeof(reason)),
			 0);
	assert_string_equal(t.port, "8088");
	assert_string_equal(t.path, "/services/collector/event");
	assert_int_equal(forward_target_parse("relp://h:5/x", &t, reason, sizeof(reason)), -EINVAL);
	assert_non_null(strstr(reason, "path"));
}

/*
 * A SIEM that breaks the connection on one record (as a receiver with a
 * smaller frame limit does), and takes every other one.
 */
struct fake_siem {
	unsigned connects, breaks;
	char got[64][32];
	unsigned n_got;
	volatile sig_atomic_t stop;
};

static struct fake_siem fake;

struct forward_transport {
	uint64_t sent, delivered;
	char pending[4096][32];
};

static int fake_connect(const struct forward_target *t, struct forward_transport **ret, char *why,
			size_t why_size)
{
	(void)t;
	(void)why;
	(void)why_size;
	fake.connects++;
	*ret = calloc(1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static int fake_send(struct forward_transport *c, const char *msg, size_t len, char *why,
		     size_t why_size)
{
	const char *m = memmem(msg, len, "\"m\":\"", 5);

	if (memmem(msg, len, "POISON", 6)) {
		fake.breaks++;
		snprintf(why, why_size, "the peer closed the connection");
		return -EPIPE;
	}
	assert_non_null(m);
	snprintf(c->pending[c->sent++ % 4096], 32, "%.*s", (int)strcspn(m + 5, "\""), m + 5);
	return 0;
}

/* Everything sent is delivered at once; the test stops when the last record is in. */
static int fake_confirmed(struct forward_transport *c, bool idle, uint64_t *ret_count, char *why,
			  size_t why_size)
{
	(void)idle;
	(void)why;
	(void)why_size;
	for (; c->delivered < c->sent; c->delivered++)
		if (fake.n_got < 64)
			snprintf(fake.got[fake.n_got++], 32, "%s", c->pending[c->delivered % 4096]);
	*ret_count = c->sent;
	if (fake.n_got > 0 && strcmp(fake.got[fake.n_got - 1], "r5") == 0)
		fake.stop = 1;
	return 0;
}

static void fake_close(struct forward_transport *c)
{
	free(c);
}

static const struct forward_transport_ops fake_ops = {
	.format = forward_syslog_format,
	.connect = fake_connect,
	.send = fake_send,
	.confirmed = fake_confirmed,
	.close = fake_close,
};

static void test_forward_passes_poison(void **state)
{
	_cleanup_free_ char *dir = make_dir();
	struct export_limits limits = { .max_size = 1 << 20, .max_age_sec = 3600, .keep = 4 };
	struct forward_options o = { .name = "fake", .url = "fake://" };
	_cleanup_close_ int fd = -EBADF;
	struct export_cursor c;
	struct export *x = NULL;
	sd_event *e = NULL;
	unsigned delivered[6] = {};

	(void)state;
	o.dir = dir;
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(export_open(e, dir, &limits, &x), 0);
	for (int i = 1; i <= 5; i++) {
		char line[128];
		int n = snprintf(line, sizeof(line), "{\"class_uid\":2003,\"m\":\"%s\"}\n",
				 i == 3 ? "POISON" : (char[4]){ 'r', (char)('0' + i), 0 });

		assert_int_equal(export_append(x, line, (size_t)n, 1), 0);
	}
	fake = (struct fake_siem){};
	assert_int_equal(forward_follow(&o, &fake_ops, &fake.stop), 0);

	/* Each good record delivered (some twice: sent again after a break), the bad one never. */
	for (unsigned i = 0; i < fake.n_got; i++) {
		assert_int_equal(fake.got[i][0], 'r');
		delivered[fake.got[i][1] - '0']++;
	}
	assert_true(delivered[1] >= 1 && delivered[2] >= 1 && delivered[4] == 1 &&
		    delivered[5] == 1);
	assert_int_equal(delivered[3], 0);
	assert_true(fake.breaks >= 5);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(export_cursor_load(fd, "fake", &c), 0);
	assert_int_equal(c.lost, 1);
	assert_int_equal(c.pos.number, 6);
	x = export_free(x);
	sd_event_unref(e);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_additions),
		cmocka_unit_test(test_line_without_owner),
		cmocka_unit_test(test_line_keeps_bytes),
		cmocka_unit_test(test_line_is_ocsf),
		cmocka_unit_test(test_log_rotates_compresses_keeps),
		cmocka_unit_test(test_log_live_reader_across_cuts),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_syslog_message),
		cmocka_unit_test(test_syslog_no_hostname),
		cmocka_unit_test(test_hec_event),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_forward_passes_poison),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
