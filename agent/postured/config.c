// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "basic/json-util.h"
#include "config.h"

void config_init(struct config *c)
{
	*c = (struct config){
		.process = PROBE_PROCESS_CONFIG_DEFAULT,
		.allow_argument_capture = true,
		.wakeup_latency_ms = 50,
		.process_table_max = 32768,
		.policy_file = CONFIG_DEFAULT_POLICY,
		.resolv_conf = "/etc/resolv.conf",
		.status_socket = "/run/postured/status.sock",
		.spool_path = "/var/lib/postured/spool.db",
		.spool_max_mib = 64,
		.snapshot_interval_seconds = 900,
		.policy_incoming_dir = CONFIG_DEFAULT_INCOMING_DIR,
		.signed_policy_path = CONFIG_DEFAULT_SIGNED_POLICY,
		.policy_fetch_interval_seconds = 300,
		.enroll_token_file = CONFIG_DEFAULT_ENROLL_TOKEN,
		.identity_path = CONFIG_DEFAULT_IDENTITY,
		.enroll_retry_seconds = 30,
	};
}

static int fail(char *err, size_t size, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t size, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, size, "%s: ", path);

	if (n >= 0 && (size_t)n < size) {
		va_start(ap, fmt);
		vsnprintf(err + n, size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int get_uint(yajl_val v, const char *path, const char *key, uint64_t min, uint64_t max,
		    uint64_t *ret, char *err, size_t err_size)
{
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return fail(err, err_size, path, "\"%s\" must be a whole number from %llu to %llu.",
			    key, (unsigned long long)min, (unsigned long long)max);
	if ((uint64_t)YAJL_GET_INTEGER(v) < min || (uint64_t)YAJL_GET_INTEGER(v) > max)
		return fail(err, err_size, path, "\"%s\" is %lld; it must be from %llu to %llu.",
			    key, YAJL_GET_INTEGER(v), (unsigned long long)min,
			    (unsigned long long)max);
	*ret = (uint64_t)YAJL_GET_INTEGER(v);
	return 0;
}

int config_parse(const char *path, const char *text, struct config *c, char *err, size_t err_size)
{
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	struct config n = *c;
	char yerr[256] = "";
	uint64_t u;
	int r;

	root = yajl_tree_parse(text, yerr, sizeof(yerr));
	if (!root) {
		yerr[strcspn(yerr, "\n")] = '\0';
		return fail(err, err_size, path, "not valid JSON: %s",
			    yerr[0] ? yerr : "parse error");
	}
	if (!YAJL_IS_OBJECT(root))
		return fail(err, err_size, path, "the top level must be a JSON object.");

	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *key = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];

		if (strcmp(key, "probe_flavor") == 0) {
			if (!YAJL_IS_STRING(v) ||
			    probe_flavor_from_string(YAJL_GET_STRING(v), &n.process.flavor) < 0)
				return fail(err, err_size, path,
					    "\"probe_flavor\" must be \"auto\", \"tp_btf\" or "
					    "\"tracepoint\".");
		} else if (strcmp(key, "capture_args_bytes") == 0) {
			r = get_uint(v, path, key, 0, EVENT_ARGS_LEN, &u, err, err_size);
			if (r < 0)
				return r;
			n.process.args_size = (uint32_t)u;
		} else if (strcmp(key, "allow_argument_capture") == 0) {
			if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
				return fail(err, err_size, path,
					    "\"allow_argument_capture\" must be true or false.");
			n.allow_argument_capture = YAJL_IS_TRUE(v);
		} else if (strcmp(key, "ring_buffer_kib") == 0) {
			r = get_uint(v, path, key, 64, 256 * 1024, &u, err, err_size);
			if (r < 0)
				return r;
			if (u & (u - 1))
				return fail(err, err_size, path,
					    "\"ring_buffer_kib\" must be a power of two (such as "
					    "2048).");
			n.process.ring_bytes = (uint32_t)(u * 1024);
			n.process.wakeup_bytes = n.process.ring_bytes / 4;
		} else if (strcmp(key, "wakeup") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (strcmp(s, "batched") == 0)
				n.process.wakeup_mode = EVENT_WAKEUP_BATCHED;
			else if (strcmp(s, "each") == 0)
				n.process.wakeup_mode = EVENT_WAKEUP_EACH;
			else
				return fail(err, err_size, path,
					    "\"wakeup\" must be \"batched\" or \"each\".");
		} else if (strcmp(key, "wakeup_latency_ms") == 0) {
			r = get_uint(v, path, key, 1, 1000, &u, err, err_size);
			if (r < 0)
				return r;
			n.wakeup_latency_ms = (uint32_t)u;
		} else if (strcmp(key, "process_table_max") == 0) {
			r = get_uint(v, path, key, 256, 4194304, &u, err, err_size);
			if (r < 0)
				return r;
			n.process_table_max = (uint32_t)u;
		} else if (strcmp(key, "collector_url") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

			if (!s || (s[0] && strncmp(s, "https://", 8) != 0) ||
			    strlen(s) >= sizeof(n.collector_url))
				return fail(
					err, err_size, path,
					"\"collector_url\" must be an https:// URL (or \"\" for none).");
			strcpy(n.collector_url, s);
		} else if (strcmp(key, "enroll_url") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

			if (!s || (s[0] && strncmp(s, "https://", 8) != 0) ||
			    strlen(s) >= sizeof(n.enroll_url))
				return fail(
					err, err_size, path,
					"\"enroll_url\" must be an https:// URL, the EST base "
					"such as https://collector:8443/.well-known/est (or \"\" "
					"for none).");
			strcpy(n.enroll_url, s);
		} else if (strcmp(key, "enroll_token_file") == 0 || strcmp(key, "device_ca") == 0 ||
			   strcmp(key, "identity_path") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";
			char *dst = strcmp(key, "device_ca") == 0     ? n.device_ca :
				    strcmp(key, "identity_path") == 0 ? n.identity_path :
									n.enroll_token_file;

			/* Room for the temporary and pending names made from it. */
			if (s[0] != '/' || strlen(s) >= sizeof(n.identity_path) - 64)
				return fail(err, err_size, path, "\"%s\" must be an absolute path.",
					    key);
			strcpy(dst, s);
		} else if (strcmp(key, "key_storage") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (strcmp(s, "auto") == 0)
				n.key_storage = CONFIG_KEY_STORAGE_AUTO;
			else if (strcmp(s, "tpm") == 0)
				n.key_storage = CONFIG_KEY_STORAGE_TPM;
			else if (strcmp(s, "file") == 0)
				n.key_storage = CONFIG_KEY_STORAGE_FILE;
			else
				return fail(
					err, err_size, path,
					"\"key_storage\" must be \"auto\", \"tpm\" or \"file\".");
		} else if (strcmp(key, "tpm_tcti") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

			if (!s || strlen(s) >= sizeof(n.tpm_tcti) || strpbrk(s, "\n\r"))
				return fail(err, err_size, path,
					    "\"tpm_tcti\" must be a TCTI string such as "
					    "\"device:/dev/tpmrm0\" (or \"\" for the default).");
			strcpy(n.tpm_tcti, s);
		} else if (strcmp(key, "enroll_retry_seconds") == 0) {
			r = get_uint(v, path, key, 1, 3600, &u, err, err_size);
			if (r < 0)
				return r;
			n.enroll_retry_seconds = (uint32_t)u;
		} else if (strcmp(key, "collector_ca") == 0 || strcmp(key, "client_cert") == 0 ||
			   strcmp(key, "client_key") == 0 || strcmp(key, "spool_path") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";
			char *dst = strcmp(key, "collector_ca") == 0 ? n.collector_ca :
				    strcmp(key, "client_cert") == 0  ? n.client_cert :
				    strcmp(key, "client_key") == 0   ? n.client_key :
								       n.spool_path;

			if (s[0] != '/' || strlen(s) >= sizeof(n.spool_path))
				return fail(err, err_size, path, "\"%s\" must be an absolute path.",
					    key);
			strcpy(dst, s);
		} else if (strcmp(key, "spool_max_mib") == 0) {
			r = get_uint(v, path, key, 1, 4096, &u, err, err_size);
			if (r < 0)
				return r;
			n.spool_max_mib = (uint32_t)u;
		} else if (strcmp(key, "snapshot_interval_seconds") == 0) {
			r = get_uint(v, path, key, 60, 86400, &u, err, err_size);
			if (r < 0)
				return r;
			n.snapshot_interval_seconds = (uint32_t)u;
		} else if (strcmp(key, "policy_fetch_interval_seconds") == 0) {
			r = get_uint(v, path, key, 1, 86400, &u, err, err_size);
			if (r < 0)
				return r;
			n.policy_fetch_interval_seconds = (uint32_t)u;
		} else if (strcmp(key, "policy_public_key") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;

			if (!s || (s[0] && s[0] != '/') || strlen(s) >= sizeof(n.policy_public_key))
				return fail(
					err, err_size, path,
					"\"policy_public_key\" must be an absolute path (or \"\" "
					"for none).");
			strcpy(n.policy_public_key, s);
		} else if (strcmp(key, "policy_incoming_dir") == 0 ||
			   strcmp(key, "signed_policy_path") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";
			char *dst = strcmp(key, "signed_policy_path") == 0 ? n.signed_policy_path :
									     n.policy_incoming_dir;

			/* Room for the ".sig" and temporary names made from it. */
			if (s[0] != '/' || strlen(s) >= sizeof(n.signed_policy_path) - 64)
				return fail(err, err_size, path, "\"%s\" must be an absolute path.",
					    key);
			strcpy(dst, s);
		} else if (strcmp(key, "sender_user") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (!s[0] || strlen(s) >= sizeof(n.sender_user) || strchr(s, '/'))
				return fail(err, err_size, path,
					    "\"sender_user\" must be a user name.");
			strcpy(n.sender_user, s);
		} else if (strcmp(key, "status_socket") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (s[0] != '/' || strlen(s) >= sizeof(n.status_socket))
				return fail(
					err, err_size, path,
					"\"status_socket\" must be an absolute path shorter than %zu "
					"bytes.",
					sizeof(n.status_socket));
			strcpy(n.status_socket, s);
		} else if (strcmp(key, "policy_file") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (s[0] != '/' || strlen(s) >= sizeof(n.policy_file))
				return fail(
					err, err_size, path,
					"\"policy_file\" must be an absolute path shorter than %zu "
					"bytes.",
					sizeof(n.policy_file));
			strcpy(n.policy_file, s);
		} else if (strcmp(key, "resolv_conf") == 0) {
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			if (s[0] != '/' || strlen(s) >= sizeof(n.resolv_conf))
				return fail(
					err, err_size, path,
					"\"resolv_conf\" must be an absolute path shorter than %zu "
					"bytes.",
					sizeof(n.resolv_conf));
			strcpy(n.resolv_conf, s);
		} else {
			return fail(
				err, err_size, path,
				"unknown key \"%s\" (known: probe_flavor, capture_args_bytes, "
				"allow_argument_capture, ring_buffer_kib, wakeup, wakeup_latency_ms, "
				"process_table_max, policy_file, resolv_conf, status_socket, collector_url, "
				"collector_ca, client_cert, client_key, spool_path, spool_max_mib, "
				"sender_user, snapshot_interval_seconds, policy_public_key, "
				"policy_incoming_dir, signed_policy_path, "
				"policy_fetch_interval_seconds, enroll_url, enroll_token_file, "
				"device_ca, identity_path, enroll_retry_seconds, key_storage, tpm_tcti).",
				key);
		}
	}
	if (n.enroll_url[0] && (n.client_cert[0] || n.client_key[0]))
		return fail(err, err_size, path,
			    "\"enroll_url\" and \"client_cert\"/\"client_key\" exclude each other: "
			    "an agent that enrolls keeps its own key and certificate in "
			    "\"identity_path\" (%s).",
			    n.identity_path);
	/* Both would be a contradiction: capture always, and never for the policy. */
	if (!n.allow_argument_capture && n.process.args_size > 0)
		return fail(err, err_size, path,
			    "\"capture_args_bytes\" is %u but \"allow_argument_capture\" is false; "
			    "set capture_args_bytes to 0 to capture no arguments at all.",
			    n.process.args_size);
	*c = n;
	return 0;
}

uint32_t config_args_bytes(const struct config *c, bool policy_collects)
{
	uint32_t local = MIN(c->process.args_size, (uint32_t)EVENT_ARGS_LEN);

	if (policy_collects && c->allow_argument_capture)
		return EVENT_ARGS_LEN;
	return local;
}

int config_load(const char *path, struct config *c, char *err, size_t err_size)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t have = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && strcmp(path, CONFIG_DEFAULT_PATH) == 0)
			return 0;
		snprintf(err, err_size, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	text = malloc(CONFIG_MAX_BYTES + 1);
	if (!text)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, text + have, CONFIG_MAX_BYTES + 1 - have);

		if (k < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			snprintf(err, err_size, "%s: cannot read: %s", path, strerror(e));
			return -e;
		}
		if (k == 0)
			break;
		have += (size_t)k;
		if (have > CONFIG_MAX_BYTES)
			return fail(err, err_size, path,
				    "larger than %d bytes; is this the right file?",
				    CONFIG_MAX_BYTES);
	}
	text[have] = '\0';
	return config_parse(path, text, c, err, err_size);
}
