/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Records checked against the OCSF schema itself (a directory laid out as
 * the schema's repository is: dictionary.json, categories.json, events/,
 * objects/, profiles/; the project carries the subset it needs in
 * tests/fixtures/ocsf): the required attributes are present, every *_id
 * with an enum holds a listed value, class_uid, category_uid and type_uid
 * follow from the class, each attribute has the JSON type its dictionary
 * entry says, and none is one the schema marks @deprecated.  Our own
 * fields, in the "postured" extension object, are not checked.
 *
 * Used by tests/unit/test_ocsf.c on every record kind the formatters write,
 * and by ocsf-validate (tests/ocsf/ocsf_validate_main.c) on whole NDJSON
 * streams, such as postured --print-events.
 */
#ifndef POSTURED_TESTS_OCSF_VALIDATE_H
#define POSTURED_TESTS_OCSF_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

struct ocsf_schema;

#define OCSF_REPORT_SIZE 8192

/* The problems found in one record: one line each, "  PATH: PROBLEM\n". */
struct ocsf_report {
	char text[OCSF_REPORT_SIZE];
	size_t len;
	unsigned count;
};

/*
 * Loads the schema in dir (its dictionary and categories now, the rest on
 * need).  Returns 0 and the schema in *ret (ocsf_schema_free()), or -errno
 * with a sentence in err naming the file and the reason.
 */
int ocsf_schema_load(const char *dir, struct ocsf_schema **ret, char *err, size_t err_size);
struct ocsf_schema *ocsf_schema_free(struct ocsf_schema *s);

/* version.json's version, or "" when it has none. */
const char *ocsf_schema_version(struct ocsf_schema *s);

/*
 * Checks rec against the class in the schema file class_rel
 * ("events/system/process_activity.json"); NULL: the class the record's
 * class_uid names.  The problems go to r, which the caller zeroes.
 */
void ocsf_validate_record(struct ocsf_schema *s, yajl_val rec, const char *class_rel,
			  struct ocsf_report *r);

#endif
