// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for what a compromised device's batch becomes on its way
 * to the SOC: the ingest's parse (collector/ingest.c), then for each record
 * the exported line (export_line.c), the fields a forwarder reads
 * (forward_record.c), the syslog message and the HEC event.  Invariants: a
 * line is one line of JSON with nothing below 0x20 in it, whatever the
 * record held; it parses again; the forwarder's fields come out of it; the
 * syslog message has no line end in its header.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../../collector/export.h"
#include "../../collector/forward.h"
#include "../../collector/ingest.h"
#include "fuzz.h"

#define DEVICE "0123456789abcdef0123456789abcdef"

static void check_line(const char *line, size_t len)
{
	struct forward_record r;
	char *msg = NULL, *copy;
	const char *space;
	size_t size;
	yajl_val root;

	/* One line: its newline last, nothing else below 0x20. */
	check(len > 1 && line[len - 1] == '\n');
	for (size_t i = 0; i + 1 < len; i++)
		check((unsigned char)line[i] >= 0x20);
	copy = strndup(line, len - 1);
	check(copy);
	root = yajl_tree_parse(copy, NULL, 0);
	check(root && YAJL_IS_OBJECT(root));
	yajl_tree_free(root);

	check(forward_record_parse(copy, len - 1, &r) == 0);
	check(!r.hostname || strlen(r.hostname) < sizeof(r.hostname_buf));
	if (forward_syslog_format(&r, 13, &msg, &size) == 0) {
		/* The header ends before the record: up to there no space-free field has a line end. */
		space = strstr(msg, " - {");
		check(space);
		check(!memchr(msg, '\n', (size_t)(space - msg)));
		free(msg);
	}
	if (forward_hec_format(&r, &msg, &size) == 0) {
		root = yajl_tree_parse(msg, NULL, 0);
		check(root);
		yajl_tree_free(root);
		free(msg);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_batch batch = {};
	struct ingest_error error;
	struct export_context ctx = { .device_id = DEVICE,
				      .received_ms = 1790000000000,
				      .owner = "Ada Lovelace" };
	char *body = malloc(size + 1);

	check(body);
	memcpy(body, data, size);
	body[size] = '\0';
	if (ingest_parse(body, size, 64 * 1024, DEVICE, &batch, &error) == 0) {
		for (size_t i = 0; i < batch.n_records; i++) {
			yajl_gen g = yajl_gen_alloc(NULL);
			const unsigned char *out;
			size_t len;

			check(g);
			check(export_line_append(g, &batch.records[i], &ctx) == 0);
			check(yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok);
			check_line((const char *)out, len);
			yajl_gen_free(g);
		}
		ingest_batch_done(&batch);
	}
	free(body);
	return 0;
}
