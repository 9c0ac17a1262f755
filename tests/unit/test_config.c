// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The configuration file: defaults, every key, every way a value can be
 * wrong (with the exact message the user sees), and that a failed parse
 * leaves the configuration as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "postured/config.h"

#define PATH "test.conf"

static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_int_equal(a->process.flavor, b->process.flavor);
	assert_int_equal(a->process.args_size, b->process.args_size);
	assert_int_equal(a->process.wakeup_mode, b->process.wakeup_mode);
	assert_int_equal(a->process.ring_bytes, b->process.ring_bytes);
	assert_int_equal(a->process.wakeup_bytes, b->process.wakeup_bytes);
	assert_int_equal(a->wakeup_latency_ms, b->wakeup_latency_ms);
	assert_int_equal(a->process_table_max, b->process_table_max);
	assert_string_equal(a->policy_file, b->policy_file);
	assert_int_equal(a->allow_argument_capture, b->allow_argument_capture);
}

/* A configuration unlike the defaults, so "unchanged" cannot pass by accident. */
static void config_unusual(struct config *c)
{
	config_init(c);
	c->process.flavor = PROBE_FLAVOR_TRACEPOINT;
	c->process.args_size = 77;
	c->process.wakeup_mode = EVENT_WAKEUP_EACH;
	c->process.ring_bytes = 128 * 1024;
	c->process.wakeup_bytes = 32 * 1024;
	c->wakeup_latency_ms = 9;
	c->process_table_max = 999;
}

static int parse(const char *text, struct config *c, char *err, size_t err_size)
{
	return config_parse(PATH, text, c, err, err_size);
}

static struct config parse_ok(const char *text)
{
	struct config c;
	char err[1024] = "";

	config_init(&c);
	if (parse(text, &c, err, sizeof(err)) != 0)
		fail_msg("'%s' was refused: %s", text, err);
	return c;
}

/* text must be refused with exactly `message`, leaving the configuration alone. */
static void assert_refused(const char *text, const char *message)
{
	struct config c, before;
	char err[1024] = "";

	config_unusual(&c);
	before = c;
	assert_int_equal(parse(text, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, message);
	assert_config_equal(&c, &before);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_defaults(void **state)
{
	struct config c;

	memset(&c, 0xff, sizeof(c));
	config_init(&c);
	assert_int_equal(c.process.flavor, PROBE_FLAVOR_AUTO);
	assert_int_equal(c.process.args_size, 0);
	assert_int_equal(c.process.wakeup_mode, EVENT_WAKEUP_BATCHED);
	assert_int_equal(c.process.ring_bytes, 1 << 20);
	assert_int_equal(c.process.wakeup_bytes, 256 << 10);
	assert_int_equal(c.wakeup_latency_ms, 50);
	assert_int_equal(c.process_table_max, 32768);
	/* A policy may have arguments captured unless the configuration says otherwise. */
	assert_true(c.allow_argument_capture);
}

static void test_empty_object(void **state)
{
	struct config c, before;
	char err[256] = "";

	/* Keys not given keep the values already there, defaults or not. */
	config_unusual(&c);
	before = c;
	assert_int_equal(parse("{}", &c, err, sizeof(err)), 0);
	assert_config_equal(&c, &before);
	assert_int_equal(parse("{\"wakeup_latency_ms\": 20}", &c, err, sizeof(err)), 0);
	before.wakeup_latency_ms = 20;
	assert_config_equal(&c, &before);
}

static void test_every_key(void **state)
{
	struct config c = parse_ok("{\n"
				   "  \"probe_flavor\": \"tp_btf\",\n"
				   "  \"capture_args_bytes\": 512,\n"
				   "  \"ring_buffer_kib\": 1024,\n"
				   "  \"wakeup\": \"each\",\n"
				   "  \"wakeup_latency_ms\": 250,\n"
				   "  \"process_table_max\": 65536\n"
				   "}\n");

	assert_int_equal(c.process.flavor, PROBE_FLAVOR_TP_BTF);
	assert_int_equal(c.process.args_size, 512);
	assert_int_equal(c.process.ring_bytes, 1024 * 1024);
	assert_int_equal(c.process.wakeup_bytes, 256 * 1024);
	assert_int_equal(c.process.wakeup_mode, EVENT_WAKEUP_EACH);
	assert_int_equal(c.wakeup_latency_ms, 250);
	assert_int_equal(c.process_table_max, 65536);
}

static void test_values_accepted(void **state)
{
	assert_int_equal(parse_ok("{\"probe_flavor\": \"auto\"}").process.flavor,
			 PROBE_FLAVOR_AUTO);
	assert_int_equal(parse_ok("{\"probe_flavor\": \"tp_btf\"}").process.flavor,
			 PROBE_FLAVOR_TP_BTF);
	assert_int_equal(parse_ok("{\"probe_flavor\": \"tracepoint\"}").process.flavor,
			 PROBE_FLAVOR_TRACEPOINT);

	assert_int_equal(parse_ok("{\"capture_args_bytes\": 0}").process.args_size, 0);
	assert_int_equal(parse_ok("{\"capture_args_bytes\": 1024}").process.args_size, 1024);

	assert_int_equal(parse_ok("{\"ring_buffer_kib\": 64}").process.ring_bytes, 64 * 1024);
	assert_int_equal(parse_ok("{\"ring_buffer_kib\": 64}").process.wakeup_bytes, 16 * 1024);
	assert_int_equal(parse_ok("{\"ring_buffer_kib\": 262144}").process.ring_bytes,
			 256U * 1024 * 1024);

	assert_int_equal(parse_ok("{\"wakeup\": \"batched\"}").process.wakeup_mode,
			 EVENT_WAKEUP_BATCHED);
	assert_int_equal(parse_ok("{\"wakeup\": \"each\"}").process.wakeup_mode, EVENT_WAKEUP_EACH);

	assert_int_equal(parse_ok("{\"wakeup_latency_ms\": 1}").wakeup_latency_ms, 1);
	assert_int_equal(parse_ok("{\"wakeup_latency_ms\": 1000}").wakeup_latency_ms, 1000);

	assert_int_equal(parse_ok("{\"process_table_max\": 256}").process_table_max, 256);
	assert_int_equal(parse_ok("{\"process_table_max\": 4194304}").process_table_max, 4194304);

	/* A key given twice: the last one counts, as with most JSON readers. */
	assert_int_equal(
		parse_ok("{\"wakeup_latency_ms\": 5, \"wakeup_latency_ms\": 6}").wakeup_latency_ms,
		6);
}

static void test_comments(void **state)
{
	struct config c = parse_ok("/* postured.conf */\n"
				   "{\n"
				   "  // batch wake-ups to save power\n"
				   "  \"wakeup\": \"batched\", /* the default */\n"
				   "  \"wakeup_latency_ms\": 100\n"
				   "}\n");

	assert_int_equal(c.process.wakeup_mode, EVENT_WAKEUP_BATCHED);
	assert_int_equal(c.wakeup_latency_ms, 100);
}

static void test_bad_probe_flavor(void **state)
{
	static const char msg[] = PATH
		": \"probe_flavor\" must be \"auto\", \"tp_btf\" or \"tracepoint\".";

	assert_refused("{\"probe_flavor\": \"kprobe\"}", msg);
	assert_refused("{\"probe_flavor\": \"\"}", msg);
	assert_refused("{\"probe_flavor\": \"AUTO\"}", msg);
	assert_refused("{\"probe_flavor\": 1}", msg);
	assert_refused("{\"probe_flavor\": null}", msg);
	assert_refused("{\"probe_flavor\": [\"auto\"]}", msg);
}

static void test_bad_capture_args_bytes(void **state)
{
	static const char type[] = PATH ": \"capture_args_bytes\" must be a whole number from 0 to "
					"1024.";

	assert_refused("{\"capture_args_bytes\": 1025}",
		       PATH ": \"capture_args_bytes\" is 1025; it must be from 0 to 1024.");
	assert_refused("{\"capture_args_bytes\": -1}", type);
	assert_refused("{\"capture_args_bytes\": 1.5}", type);
	assert_refused("{\"capture_args_bytes\": 1e3}", type);
	assert_refused("{\"capture_args_bytes\": \"512\"}", type);
	assert_refused("{\"capture_args_bytes\": true}", type);
	assert_refused("{\"capture_args_bytes\": null}", type);
	assert_refused("{\"capture_args_bytes\": {}}", type);
	/* Too large for a 64-bit integer: yajl hands it over as a double. */
	assert_refused("{\"capture_args_bytes\": 99999999999999999999}", type);
}

/* allow_argument_capture: a boolean, and no contradiction with capture_args_bytes. */
static void test_allow_argument_capture(void **state)
{
	static const char type[] = PATH ": \"allow_argument_capture\" must be true or false.";
	struct config c;

	assert_false(parse_ok("{\"allow_argument_capture\": false}").allow_argument_capture);
	assert_true(parse_ok("{\"allow_argument_capture\": true}").allow_argument_capture);
	c = parse_ok("{\"allow_argument_capture\": true, \"capture_args_bytes\": 64}");
	assert_true(c.allow_argument_capture);
	assert_int_equal(c.process.args_size, 64);
	assert_refused("{\"allow_argument_capture\": \"no\"}", type);
	assert_refused("{\"allow_argument_capture\": 0}", type);
	assert_refused("{\"allow_argument_capture\": null}", type);
	/* Captured always, and refused to the policy: say which to change. */
	assert_refused("{\"capture_args_bytes\": 256, \"allow_argument_capture\": false}",
		       PATH ": \"capture_args_bytes\" is 256 but \"allow_argument_capture\" is "
			    "false; set capture_args_bytes to 0 to capture no arguments at all.");
	/* Also against a value already there (capture_args_bytes 77). */
	assert_refused("{\"allow_argument_capture\": false}",
		       PATH ": \"capture_args_bytes\" is 77 but \"allow_argument_capture\" is "
			    "false; set capture_args_bytes to 0 to capture no arguments at all.");
}

/* How many bytes are captured: the policy asks, the configuration allows, refuses or adds. */
static void test_args_bytes(void **state)
{
	struct config c;

	config_init(&c);
	assert_int_equal(config_args_bytes(&c, false), 0);
	assert_int_equal(config_args_bytes(&c, true), EVENT_ARGS_LEN);
	c.allow_argument_capture = false;
	assert_int_equal(config_args_bytes(&c, true), 0);
	assert_int_equal(config_args_bytes(&c, false), 0);
	/* capture_args_bytes captures whatever the policy, and a policy can ask for more. */
	c.allow_argument_capture = true;
	c.process.args_size = 100;
	assert_int_equal(config_args_bytes(&c, false), 100);
	assert_int_equal(config_args_bytes(&c, true), EVENT_ARGS_LEN);
	c.process.args_size = EVENT_ARGS_LEN + 1;
	assert_int_equal(config_args_bytes(&c, false), EVENT_ARGS_LEN);
}

static void test_bad_ring_buffer_kib(void **state)
{
	static const char type[] = PATH ": \"ring_buffer_kib\" must be a whole number from 64 to "
					"262144.";
	static const char pow2[] = PATH ": \"ring_buffer_kib\" must be a power of two (such as "
					"2048).";

	assert_refused("{\"ring_buffer_kib\": 32}",
		       PATH ": \"ring_buffer_kib\" is 32; it must be from 64 to 262144.");
	assert_refused("{\"ring_buffer_kib\": 0}",
		       PATH ": \"ring_buffer_kib\" is 0; it must be from 64 to 262144.");
	assert_refused("{\"ring_buffer_kib\": 524288}",
		       PATH ": \"ring_buffer_kib\" is 524288; it must be from 64 to 262144.");
	assert_refused("{\"ring_buffer_kib\": 100}", pow2);
	assert_refused("{\"ring_buffer_kib\": 4095}", pow2);
	assert_refused("{\"ring_buffer_kib\": \"4096\"}", type);
	assert_refused("{\"ring_buffer_kib\": -4096}", type);
	assert_refused("{\"ring_buffer_kib\": 4096.0}", type);
}

static void test_bad_wakeup(void **state)
{
	static const char msg[] = PATH ": \"wakeup\" must be \"batched\" or \"each\".";

	assert_refused("{\"wakeup\": \"never\"}", msg);
	assert_refused("{\"wakeup\": \"\"}", msg);
	assert_refused("{\"wakeup\": 1}", msg);
	assert_refused("{\"wakeup\": false}", msg);
	assert_refused("{\"wakeup\": null}", msg);
}

static void test_bad_wakeup_latency(void **state)
{
	assert_refused("{\"wakeup_latency_ms\": 0}",
		       PATH ": \"wakeup_latency_ms\" is 0; it must be from 1 to 1000.");
	assert_refused("{\"wakeup_latency_ms\": 1001}",
		       PATH ": \"wakeup_latency_ms\" is 1001; it must be from 1 to 1000.");
	assert_refused("{\"wakeup_latency_ms\": \"50ms\"}",
		       PATH ": \"wakeup_latency_ms\" must be a whole number from 1 to 1000.");
}

static void test_bad_process_table_max(void **state)
{
	assert_refused("{\"process_table_max\": 255}",
		       PATH ": \"process_table_max\" is 255; it must be from 256 to 4194304.");
	assert_refused("{\"process_table_max\": 4194305}",
		       PATH ": \"process_table_max\" is 4194305; it must be from 256 to 4194304.");
	assert_refused("{\"process_table_max\": 9223372036854775807}",
		       PATH ": \"process_table_max\" is 9223372036854775807; it must be from 256 "
			    "to 4194304.");
	assert_refused("{\"process_table_max\": [1]}",
		       PATH ": \"process_table_max\" must be a whole number from 256 to 4194304.");
}

static void test_policy_file(void **state)
{
	struct config c;
	char err[1024] = "";

	config_init(&c);
	assert_string_equal(c.policy_file, CONFIG_DEFAULT_POLICY);
	assert_int_equal(
		config_parse(PATH, "{\"policy_file\": \"/srv/p.json\"}", &c, err, sizeof(err)), 0);
	assert_string_equal(c.policy_file, "/srv/p.json");
	assert_refused("{\"policy_file\": \"relative.json\"}",
		       PATH ": \"policy_file\" must be an absolute path shorter than 4096 bytes.");
	assert_refused("{\"policy_file\": 3}",
		       PATH ": \"policy_file\" must be an absolute path shorter than 4096 bytes.");
}

static void test_signed_policy_keys(void **state)
{
	struct config c;

	config_init(&c);
	assert_string_equal(c.policy_public_key, "");
	assert_string_equal(c.policy_incoming_dir, CONFIG_DEFAULT_INCOMING_DIR);
	assert_string_equal(c.signed_policy_path, CONFIG_DEFAULT_SIGNED_POLICY);
	assert_int_equal(c.policy_fetch_interval_seconds, 300);

	c = parse_ok("{\"policy_public_key\": \"/etc/postured/policy-signing.pub\",\n"
		     " \"policy_incoming_dir\": \"/srv/in\",\n"
		     " \"signed_policy_path\": \"/srv/p.signed.json\",\n"
		     " \"policy_fetch_interval_seconds\": 1}");
	assert_string_equal(c.policy_public_key, "/etc/postured/policy-signing.pub");
	assert_string_equal(c.policy_incoming_dir, "/srv/in");
	assert_string_equal(c.signed_policy_path, "/srv/p.signed.json");
	assert_int_equal(c.policy_fetch_interval_seconds, 1);
	assert_string_equal(parse_ok("{\"policy_public_key\": \"\"}").policy_public_key, "");
	assert_int_equal(
		parse_ok("{\"policy_fetch_interval_seconds\": 86400}").policy_fetch_interval_seconds,
		86400);

	assert_refused("{\"policy_public_key\": \"key.pub\"}",
		       PATH ": \"policy_public_key\" must be an absolute path (or \"\" for none).");
	assert_refused("{\"policy_public_key\": null}",
		       PATH ": \"policy_public_key\" must be an absolute path (or \"\" for none).");
	assert_refused("{\"policy_incoming_dir\": \"\"}",
		       PATH ": \"policy_incoming_dir\" must be an absolute path.");
	assert_refused("{\"signed_policy_path\": \"p.json\"}",
		       PATH ": \"signed_policy_path\" must be an absolute path.");
	assert_refused("{\"policy_fetch_interval_seconds\": 0}", PATH
		       ": \"policy_fetch_interval_seconds\" is 0; it must be from 1 to 86400.");
	assert_refused("{\"policy_fetch_interval_seconds\": \"300\"}",
		       PATH ": \"policy_fetch_interval_seconds\" must be a whole number from 1 to "
			    "86400.");
}

static void test_unknown_key(void **state)
{
	assert_refused(
		"{\"wakeup_latency\": 5}", PATH
		": unknown key \"wakeup_latency\" (known: probe_flavor, "
		"capture_args_bytes, allow_argument_capture, ring_buffer_kib, wakeup, wakeup_latency_ms, "
		"process_table_max, policy_file, resolv_conf, status_socket, collector_url, "
		"collector_ca, client_cert, client_key, spool_path, spool_max_mib, sender_user, "
		"snapshot_interval_seconds, policy_public_key, policy_incoming_dir, "
		"signed_policy_path, policy_fetch_interval_seconds, enroll_url, "
		"enroll_token_file, device_ca, identity_path, enroll_retry_seconds, key_storage, "
		"tpm_tcti).");
	/* Key names are case-sensitive. */
	assert_refused(
		"{\"Wakeup\": \"each\"}", PATH
		": unknown key \"Wakeup\" (known: probe_flavor, capture_args_bytes, allow_argument_capture, "
		"ring_buffer_kib, wakeup, wakeup_latency_ms, process_table_max, "
		"policy_file, resolv_conf, status_socket, collector_url, "
		"collector_ca, client_cert, client_key, spool_path, spool_max_mib, sender_user, "
		"snapshot_interval_seconds, policy_public_key, policy_incoming_dir, "
		"signed_policy_path, policy_fetch_interval_seconds, enroll_url, "
		"enroll_token_file, device_ca, identity_path, enroll_retry_seconds, key_storage, "
		"tpm_tcti).");
	/* Nested objects are not flattened: the key is simply unknown. */
	assert_refused(
		"{\"process\": {\"wakeup\": \"each\"}}", PATH
		": unknown key \"process\" (known: probe_flavor, capture_args_bytes, allow_argument_capture, "
		"ring_buffer_kib, wakeup, wakeup_latency_ms, process_table_max, "
		"policy_file, resolv_conf, status_socket, collector_url, "
		"collector_ca, client_cert, client_key, spool_path, spool_max_mib, sender_user, "
		"snapshot_interval_seconds, policy_public_key, policy_incoming_dir, "
		"signed_policy_path, policy_fetch_interval_seconds, enroll_url, "
		"enroll_token_file, device_ca, identity_path, enroll_retry_seconds, key_storage, "
		"tpm_tcti).");
}

static void test_error_after_good_keys(void **state)
{
	/* Good keys before a bad one must not be half-applied. */
	assert_refused(
		"{\"probe_flavor\": \"auto\", \"capture_args_bytes\": 0, "
		"\"ring_buffer_kib\": 64, \"wakeup\": \"batched\", "
		"\"wakeup_latency_ms\": 1, \"process_table_max\": 256, \"bogus\": 1}",
		PATH
		": unknown key \"bogus\" (known: probe_flavor, capture_args_bytes, allow_argument_capture, "
		"ring_buffer_kib, wakeup, wakeup_latency_ms, process_table_max, "
		"policy_file, resolv_conf, status_socket, collector_url, "
		"collector_ca, client_cert, client_key, spool_path, spool_max_mib, sender_user, "
		"snapshot_interval_seconds, policy_public_key, policy_incoming_dir, "
		"signed_policy_path, policy_fetch_interval_seconds, enroll_url, "
		"enroll_token_file, device_ca, identity_path, enroll_retry_seconds, key_storage, "
		"tpm_tcti).");
	assert_refused("{\"wakeup\": \"batched\", \"ring_buffer_kib\": 3}",
		       PATH ": \"ring_buffer_kib\" is 3; it must be from 64 to 262144.");
}

static void test_not_an_object(void **state)
{
	static const char msg[] = PATH ": the top level must be a JSON object.";

	assert_refused("[]", msg);
	assert_refused("[{\"wakeup\": \"each\"}]", msg);
	assert_refused("42", msg);
	assert_refused("\"wakeup\"", msg);
	assert_refused("null", msg);
	assert_refused("true", msg);
}

static void test_invalid_json(void **state)
{
	/* The first line of yajl 2.1's message follows ours. */
	assert_refused("", PATH ": not valid JSON: parse error: premature EOF");
	assert_refused("   \n", PATH ": not valid JSON: parse error: premature EOF");
	assert_refused("{", PATH ": not valid JSON: parse error: premature EOF");
	assert_refused("{\"wakeup\": \"each\",}",
		       PATH ": not valid JSON: parse error: invalid object key (must be a string)");
	assert_refused("{wakeup: \"each\"}",
		       PATH ": not valid JSON: lexical error: invalid char in json text.");
	assert_refused("{} {}", PATH ": not valid JSON: parse error: trailing garbage");
	assert_refused("nul", PATH ": not valid JSON: lexical error: invalid string in json text.");
	assert_refused("{\"wakeup\": \"each\"\n \"x\": 1}",
		       PATH ": not valid JSON: parse error: after key and value, inside map, I "
			    "expect ',' or '}'");
	assert_refused("{\"wakeup\": \"\xff\"}",
		       PATH ": not valid JSON: lexical error: invalid bytes in UTF8 string.");
}

static void test_small_error_buffer(void **state)
{
	struct config c;
	char err[12];

	/* The message is cut to fit, and terminated. */
	config_init(&c);
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("[]", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "test.conf: ");
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("[]", &c, err, 5), -EINVAL);
	assert_string_equal(err, "test");
	assert_int_equal(parse("[]", &c, err, 0), -EINVAL);
	assert_int_equal(err[5], 'x');
}

/* A scratch directory for config_load(), removed by the teardown. */
static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/postured-test-config.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	char *dir = *state, path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d = opendir(dir);

	/* Only plain files are made in it. */
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			(void)unlink(path);
		}
	if (d)
		closedir(d);
	(void)rmdir(dir);
	free(dir);
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], err[512] = "";
	static const char text[] = "{ \"wakeup\": \"each\", \"capture_args_bytes\": 256 }\n";
	struct config c;

	snprintf(path, sizeof(path), "%s/postured.conf", dir);
	write_file(path, text, strlen(text));
	config_init(&c);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.process.wakeup_mode, EVENT_WAKEUP_EACH);
	assert_int_equal(c.process.args_size, 256);
	assert_int_equal(c.wakeup_latency_ms, 50);
}

static void test_load_errors_name_the_file(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], expected[PATH_MAX + 128], err[PATH_MAX + 256] = "";
	struct config c, before;

	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	write_file(path, "{\"wakeup\": \"sometimes\"}", 23);
	config_unusual(&c);
	before = c;
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(expected, sizeof(expected), "%s: \"wakeup\" must be \"batched\" or \"each\".",
		 path);
	assert_string_equal(err, expected);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_load_missing(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], expected[PATH_MAX + 128], err[PATH_MAX + 256] = "";
	struct config c, before;

	/* A file named on the command line must exist. */
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	config_unusual(&c);
	before = c;
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -ENOENT);
	snprintf(expected, sizeof(expected), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, expected);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_load_missing_default(void **state)
{
	struct config c, before;
	char err[256] = "";

	/* No file at the default path means "all defaults". */
	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		skip(); /* this machine has one installed */
	config_unusual(&c);
	before = c;
	assert_int_equal(config_load(CONFIG_DEFAULT_PATH, &c, err, sizeof(err)), 0);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_string_equal(err, "");
}

static void test_load_directory(void **state)
{
	const char *dir = *state;
	char expected[PATH_MAX + 128], err[PATH_MAX + 256] = "";
	struct config c;

	config_init(&c);
	assert_int_equal(config_load(dir, &c, err, sizeof(err)), -EISDIR);
	snprintf(expected, sizeof(expected), "%s: cannot read: Is a directory", dir);
	assert_string_equal(err, expected);
}

static void test_load_oversize(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], expected[PATH_MAX + 128], err[PATH_MAX + 256] = "";
	char *text = malloc(CONFIG_MAX_BYTES + 2);
	struct config c, before;

	assert_non_null(text);
	/* Exactly the limit: a valid object padded with spaces is read. */
	memset(text, ' ', CONFIG_MAX_BYTES);
	memcpy(text, "{\"wakeup\": \"each\"}", 18);
	snprintf(path, sizeof(path), "%s/limit.conf", dir);
	write_file(path, text, CONFIG_MAX_BYTES);
	config_init(&c);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.process.wakeup_mode, EVENT_WAKEUP_EACH);

	/* One byte more is refused before it is parsed. */
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, CONFIG_MAX_BYTES + 1);
	config_unusual(&c);
	before = c;
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -EINVAL);
	snprintf(expected, sizeof(expected), "%s: larger than 65536 bytes; is this the right file?",
		 path);
	assert_string_equal(err, expected);
	assert_memory_equal(&c, &before, sizeof(c));
	free(text);
}

/* Enrollment: its keys, defaults, and the keys of a certificate made by hand excluded. */
static void test_enrollment_keys(void **state)
{
	struct config c = parse_ok("{\"enroll_url\": \"https://c.example:8443/.well-known/est\",\n"
				   " \"enroll_token_file\": \"/etc/postured/token\",\n"
				   " \"device_ca\": \"/etc/postured/device-ca.pem\",\n"
				   " \"identity_path\": \"/var/lib/postured/id.pem\",\n"
				   " \"enroll_retry_seconds\": 5}");

	assert_string_equal(c.enroll_url, "https://c.example:8443/.well-known/est");
	assert_string_equal(c.enroll_token_file, "/etc/postured/token");
	assert_string_equal(c.device_ca, "/etc/postured/device-ca.pem");
	assert_string_equal(c.identity_path, "/var/lib/postured/id.pem");
	assert_int_equal(c.enroll_retry_seconds, 5);

	c = parse_ok("{}");
	assert_string_equal(c.enroll_url, "");
	assert_string_equal(c.enroll_token_file, "/etc/postured/enroll-token");
	assert_string_equal(c.identity_path, "/var/lib/postured/identity.pem");
	assert_string_equal(c.device_ca, "");
	assert_int_equal(c.enroll_retry_seconds, 30);
	assert_int_equal(c.key_storage, CONFIG_KEY_STORAGE_AUTO);
	assert_string_equal(c.tpm_tcti, "");
	assert_int_equal(parse_ok("{\"key_storage\": \"tpm\"}").key_storage,
			 CONFIG_KEY_STORAGE_TPM);
	assert_int_equal(parse_ok("{\"key_storage\": \"file\"}").key_storage,
			 CONFIG_KEY_STORAGE_FILE);
	assert_string_equal(parse_ok("{\"tpm_tcti\": \"swtpm:port=2321\"}").tpm_tcti,
			    "swtpm:port=2321");
	assert_refused("{\"key_storage\": \"hsm\"}",
		       PATH ": \"key_storage\" must be \"auto\", \"tpm\" or \"file\".");

	assert_refused("{\"enroll_url\": \"http://c.example/.well-known/est\"}",
		       PATH ": \"enroll_url\" must be an https:// URL, the EST base such as "
			    "https://collector:8443/.well-known/est (or \"\" for none).");
	assert_refused("{\"enroll_token_file\": \"token\"}",
		       PATH ": \"enroll_token_file\" must be an absolute path.");
	assert_refused("{\"enroll_retry_seconds\": 0}",
		       PATH ": \"enroll_retry_seconds\" is 0; it must be from 1 to 3600.");
	assert_refused("{\"enroll_url\": \"https://c/.well-known/est\",\n"
		       " \"client_cert\": \"/etc/postured/device.crt\"}",
		       PATH
		       ": \"enroll_url\" and \"client_cert\"/\"client_key\" exclude each other: "
		       "an agent that enrolls keeps its own key and certificate in "
		       "\"identity_path\" (/var/lib/postured/identity.pem).");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_values_accepted),
		cmocka_unit_test(test_enrollment_keys),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_bad_probe_flavor),
		cmocka_unit_test(test_bad_capture_args_bytes),
		cmocka_unit_test(test_allow_argument_capture),
		cmocka_unit_test(test_args_bytes),
		cmocka_unit_test(test_bad_ring_buffer_kib),
		cmocka_unit_test(test_bad_wakeup),
		cmocka_unit_test(test_bad_wakeup_latency),
		cmocka_unit_test(test_bad_process_table_max),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_signed_policy_keys),
		cmocka_unit_test(test_error_after_good_keys),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_small_error_buffer),
		cmocka_unit_test_setup_teardown(test_load, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_errors_name_the_file, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_missing, setup_dir, teardown_dir),
		cmocka_unit_test(test_load_missing_default),
		cmocka_unit_test_setup_teardown(test_load_directory, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_load_oversize, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
