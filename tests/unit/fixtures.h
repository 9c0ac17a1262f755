/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the unit tests are written with, once: where the fixture files are,
 * whole files read, a record parsed back from JSON, a policy that must parse,
 * and the device and processes the formatters' tests describe.  A suite then
 * states its cases, not again how to set them up.
 *
 * The definitions are split by what they need, and the Makefile archives
 * them (libfixtures.a), so a suite links only the files it calls and never a
 * module it does not test:
 *
 *   fixtures.c          files and JSON: libc, cmocka, yajl, basic/
 *   fixtures_policy.c   policies: the policy library
 *   fixtures_checks.c   check results: the checks
 *   fixtures_records.c  the device, processes and records: no cmocka, so
 *                       that a benchmark can describe the same laptop
 *
 * Every function but those of fixtures_records.c fails the running test
 * (cmocka's fail_msg()) rather than return an error: a fixture that does not
 * load is a broken test, not a case.
 */
#ifndef POSTURED_TESTS_FIXTURES_H
#define POSTURED_TESTS_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "postured/checks/checks.h"
#include "postured/device.h"
#include "postured/finding.h"
#include "postured/proctab.h"
#include "policy.h"

/* --- files (fixtures.c) ------------------------------------------------------------ */

/* The most fixture_read() and fixture_read_stream() read; the largest fixture is 300 KiB. */
#define FIXTURE_READ_MAX (1U << 20)

/*
 * tests/fixtures/dir/name, found next to this source file, or below
 * $POSTURED_TEST_FIXTURES for out-of-tree runs; name may be "" for the
 * folder itself.  The string is static, valid until the next call.
 */
const char *fixture_path(const char *dir, const char *name);

/* The whole of path, NUL-terminated; its length in *ret_size (may be NULL).  The caller frees. */
char *fixture_read(const char *path, size_t *ret_size);

/* The whole of f from its start, NUL-terminated; f is closed.  The caller frees. */
char *fixture_read_stream(FILE *f);

/*
 * What g holds, which must be one line of one JSON object (the way the
 * agent writes a record), parsed back as the collector would; the caller
 * frees it with yajl_tree_free().
 */
yajl_val fixture_json_parse(yajl_gen g);

/* --- policies (fixtures_policy.c) -------------------------------------------------- */

/* text[0..size) parsed as a policy called name; on failure every error is printed. */
policy *fixture_policy_parse(const char *name, const char *text, size_t size);

/* The policy in path, loaded as the agent loads it; on failure every error is printed. */
policy *fixture_policy_load(const char *path);

/*
 * A policy "t" whose head (mode, settings) follows id and serial, of rules
 * r0, r1...: each with common after its id, then a title, a severity and
 * texts, then its own fields in rules[i]; parsed as fixture_policy_parse()
 * does, under name.
 */
policy *fixture_policy_build(const char *name, const char *head, const char *common,
			     const char *const *rules, size_t n);

/* --- check results (fixtures_checks.c) ---------------------------------------------- */

/* Whether one of res's evidence lines contains needle. */
bool fixture_check_has_evidence(const struct check_result *res, const char *needle);

/* Prints res, its status, reason and evidence, to stderr, as what: for a test about to fail. */
void fixture_check_dump(const char *what, const struct check_result *res);

/* --- the laptop and its processes (fixtures_records.c) ------------------------------ */

/*
 * The clock of the records: the real-time clock's offset from CLOCK_BOOTTIME,
 * when the record happened (BOOT), when the process started (START) and its
 * parent (PARENT), all in ns after boot.
 */
#define FIXTURE_OFFSET_NS 1700000000000000000LL
#define FIXTURE_BOOT_NS	  50000000000ULL /* 50 s after boot */
#define FIXTURE_START_NS  49000000000ULL /* 49 s after boot */
#define FIXTURE_PARENT_NS 10000000000ULL /* 10 s after boot */

/* A laptop with every field set: laptop-042, Debian 12. */
extern const struct device_info fixture_device;

/* ls (pid 4242, uid 1000, gid 1001) and its parent bash (pid 4000), as the process table has them. */
extern const struct proc_entry fixture_self, fixture_parent;

/*
 * A record of kind about fixture_self, as decode_event() hands it on at
 * FIXTURE_BOOT_NS: an exec of /usr/bin/ls without arguments, a fork or an
 * exit with status 0; what is particular to a kind the test sets.
 */
struct decoded_event fixture_event(enum event_kind kind);

/* The process a finding is about: /tmp/ncat, pid 300, with its two ancestors, bash and systemd. */
void fixture_finding_process(struct finding *f);

#endif
