// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "basic/cleanup.h"
#include "envelope.h"
#include "basic/json-util.h"

/* Deeper input than this is refused rather than recursed into. */
#define ENVELOPE_MAX_DEPTH 64

static bool key_is(const char *key, const char *want)
{
	return strcmp(key, want) == 0;
}

static void gen_envelope_members(yajl_gen g, uint64_t seq, const char *boot_uid)
{
	json_u64(g, "seq", seq);
	json_str(g, "boot_uid", boot_uid);
}

static bool boot_uid_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == ENVELOPE_BOOT_UID_LEN;
}

int envelope_add(const char *line, size_t len, uint64_t seq, const char *boot_uid, int64_t time_ms,
		 char **ret_line, size_t *ret_len)
{
	_cleanup_(yajl_gen_freep) yajl_gen g = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *text = NULL;
	const unsigned char *buf;
	bool have_postured = false, have_time = false;
	size_t n;
	char *out;

	if (!boot_uid_valid(boot_uid) || seq == 0)
		return -EINVAL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len))
		return -EINVAL;

	text = strndup(line, len);
	if (!text)
		return -ENOMEM;
	root = yajl_tree_parse(text, NULL, 0);
	if (!root || !YAJL_IS_OBJECT(root))
		return -EINVAL;

	g = yajl_gen_alloc(NULL);
	if (!g)
		return -ENOMEM;

	yajl_gen_map_open(g);
	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *key = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];
		int r;

		if (key_is(key, "postured")) {
			if (!YAJL_IS_OBJECT(v) || have_postured)
				return -EINVAL;
			have_postured = true;
			json_open(g, "postured");
			for (size_t j = 0; j < v->u.object.len; j++) {
				const char *k = v->u.object.keys[j];

				if (key_is(k, "seq") || key_is(k, "boot_uid"))
					continue;
				json_key(g, k);
				r = json_gen_tree(g, v->u.object.values[j], ENVELOPE_MAX_DEPTH - 2);
				if (r < 0)
					return r;
			}
			gen_envelope_members(g, seq, boot_uid);
			json_close(g);
			continue;
		}
		if (key_is(key, "time") && YAJL_IS_INTEGER(v))
			have_time = true;
		if (key_is(key, "time") && !YAJL_IS_INTEGER(v))
			continue; /* replaced below by a valid one */
		json_key(g, key);
		r = json_gen_tree(g, v, ENVELOPE_MAX_DEPTH - 1);
		if (r < 0)
			return r;
	}
	if (!have_time)
		json_int(g, "time", time_ms);
	if (!have_postured) {
		json_open(g, "postured");
		gen_envelope_members(g, seq, boot_uid);
		json_close(g);
	}
	yajl_gen_map_close(g);

	if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		return -EINVAL;
	out = strndup((const char *)buf, n);
	if (!out)
		return -ENOMEM;
	*ret_line = out;
	*ret_len = n;
	return 0;
}

int envelope_boot_uid(char ret[static ENVELOPE_BOOT_UID_LEN + 1])
{
	_cleanup_close_ int fd = -EBADF;
	char buf[64], out[ENVELOPE_BOOT_UID_LEN + 1];
	ssize_t n;
	size_t o = 0;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	for (ssize_t i = 0; i < n && o < ENVELOPE_BOOT_UID_LEN; i++) {
		char c = buf[i];

		if (c == '-' || c == '\n')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[o++] = c;
	}
	if (o != ENVELOPE_BOOT_UID_LEN)
		return -EINVAL;
	out[o] = '\0';
	memcpy(ret, out, sizeof(out));
	return 0;
}
