// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ocsf-validate SCHEMA_DIR [FILE...]: checks every line of the NDJSON files
 * (standard input without one) as an OCSF record of the class its
 * class_uid names, against the schema in SCHEMA_DIR (tests/fixtures/ocsf).
 * A line that is not one JSON object, or a record with problems, is
 * reported as FILE:LINE with each problem; the last line counts them.
 * Exits 0 when every line is a valid record, 1 when one is not, 2 on a
 * usage or schema error.  Built as build/tests/ocsf-validate; the
 * integration suites run it over a whole postured --print-events stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsf_validate.h"

/* Longer lines than a record can be are refused rather than read whole. */
#define LINE_MAX_BYTES (1024 * 1024)

struct counts {
	unsigned long records, invalid;
};

static int validate_stream(struct ocsf_schema *s, FILE *f, const char *name, struct counts *n)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) >= 0) {
		struct ocsf_report r = { .len = 0 };
		char err[256] = "";
		yajl_val v;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		n->records++;
		if (len > LINE_MAX_BYTES) {
			printf("%s:%lu: the line is %zd bytes, longer than a record may be (%d)\n",
			       name, lineno, len, LINE_MAX_BYTES);
			n->invalid++;
			continue;
		}
		v = yajl_tree_parse(line, err, sizeof(err));
		if (!v) {
			err[strcspn(err, "\n")] = '\0';
			printf("%s:%lu: not JSON: %s\n", name, lineno, err);
			n->invalid++;
			continue;
		}
		ocsf_validate_record(s, v, NULL, &r);
		yajl_tree_free(v);
		if (r.count > 0) {
			printf("%s:%lu: %u problems in \"%.80s%s\":\n%s", name, lineno, r.count,
			       line, len > 80 ? "..." : "", r.text);
			n->invalid++;
		}
	}
	free(line);
	if (ferror(f)) {
		fprintf(stderr, "ocsf-validate: reading %s: %s\n", name, strerror(errno));
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ocsf_schema *s = NULL;
	struct counts n = { 0 };
	char err[512];
	int bad_input = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: ocsf-validate SCHEMA_DIR [FILE...]\n"
			"Checks each line of the NDJSON FILEs (standard input without one) as an\n"
			"OCSF record against the schema in SCHEMA_DIR.\n");
		return argc < 2 ? 2 : 0;
	}
	if (ocsf_schema_load(argv[1], &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "ocsf-validate: the schema in %s cannot be used: %s\n", argv[1],
			err);
		return 2;
	}
	if (argc == 2) {
		if (validate_stream(s, stdin, "<stdin>", &n) < 0)
			bad_input = 1;
	}
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "re");

		if (!f) {
			fprintf(stderr, "ocsf-validate: cannot open %s: %s\n", argv[i],
				strerror(errno));
			bad_input = 1;
			continue;
		}
		if (validate_stream(s, f, argv[i], &n) < 0)
			bad_input = 1;
		fclose(f);
	}
	printf("%lu records, %lu valid, %lu invalid (OCSF %s)\n", n.records, n.records - n.invalid,
	       n.invalid, ocsf_schema_version(s));
	ocsf_schema_free(s);
	if (bad_input)
		return 2;
	return n.invalid > 0 ? 1 : 0;
}
