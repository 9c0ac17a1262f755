/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the suite finds what it runs: the build directory (postured, the
 * test helpers, posturectl, the collector) and the source tree (packaging/,
 * tests/fixtures/, tools/).  harness_main() finds both before the first test.
 */
#ifndef POSTURED_TESTS_HARNESS_PATHS_H
#define POSTURED_TESTS_HARNESS_PATHS_H

/*
 * Finds the build directory: $POSTURED_BUILD_DIR (tests/run-integration sets
 * it), else two levels above this binary (BUILD/tests/integration/NAME); and
 * the source tree: $POSTURED_SOURCE_DIR, else the build directory's parent.
 * Returns 0, or -1 when one cannot be resolved (it said why).
 */
int harness_paths_init(void);

/* The build directory harness_paths_init() found ("" before it ran). */
const char *harness_build_dir(void);

/*
 * BUILD/rel and SOURCE/rel, in one of eight static buffers the two share:
 * valid until the eighth call of either after this one.
 */
const char *harness_build_path(const char *rel);
const char *harness_source_path(const char *rel);

/* The path of a test helper program built in BUILD/tests/helpers/ (two static buffers). */
const char *harness_helper(const char *name);

/* The last component of path, within path itself. */
const char *harness_basename(const char *path);

#endif
