// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bodies to send: record lines as the agent writes them, batches of them, gzip. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness.h"

int records_printf(char **buf, size_t *size, const char *format, ...)
{
	va_list ap;
	char *line = NULL;
	char *p;
	int n;

	va_start(ap, format);
	n = vasprintf(&line, format, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	p = realloc(*buf, *size + (size_t)n + 1);
	if (!p) {
		free(line);
		return -ENOMEM;
	}
	memcpy(p + *size, line, (size_t)n + 1);
	*buf = p;
	*size += (size_t)n;
	free(line);
	return 0;
}

int records_append(char **buf, size_t *size, const char *uid, long long seq, int class_uid)
{
	return records_printf(buf, size,
			      "{\"class_uid\":%d,\"type_uid\":%d01,\"time\":%lld,"
			      "\"metadata\":{\"version\":\"1.3.0\",\"profiles\":[\"host\"]},"
			      "\"device\":{\"uid\":\"%s\"},"
			      "\"postured\":{\"seq\":%lld,\"boot_uid\":\"" BOOT_UID "\"}}\n",
			      class_uid, class_uid, 1790000000000LL + seq, uid, seq);
}

char *records_batch(const char *uid, long long first, long long last)
{
	static const int classes[] = { 1007, 4001, 2003, 5001 };
	char *buf = NULL;
	size_t size = 0;

	for (long long s = first; s <= last; s++)
		if (records_append(&buf, &size, uid, s, classes[s % 4]) < 0) {
			free(buf);
			return NULL;
		}
	return buf ? buf : strdup("");
}

int records_gzip(const void *in, size_t in_size, void **ret, size_t *ret_size)
{
	z_stream zs = {};
	size_t cap;
	unsigned char *out;
	int zr;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&zs, in_size);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)in_size;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	zr = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		free(out);
		return -1;
	}
	*ret = out;
	*ret_size = zs.total_out;
	return 0;
}
