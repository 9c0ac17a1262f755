/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test's files: private temporary directories (gone with the test, or with
 * tests/run-integration's scratch directory when the suite is killed),
 * configurations and policies written from text or templates, and copies of
 * the helper programs under names no other run uses.  Every function that
 * can fail says why (harness_fail()) and returns -1.
 */
#ifndef POSTURED_TESTS_HARNESS_FILES_H
#define POSTURED_TESTS_HARNESS_FILES_H

#include "basic/cleanup.h"

/*
 * A fresh directory $TMPDIR/postured-it.XXXXXX (TMPDIR defaults to /tmp;
 * tests/run-integration points it at a directory it removes after the suite,
 * so even a killed run leaves nothing behind), searchable by everyone so a
 * test child that dropped to another user can exec from it.  *ret is the
 * caller's (harness_tmpdir_freep()).
 */
int harness_tmpdir_new(char **ret);

/* Removes dir and the plain files in it (all the harness ever puts there). */
void harness_tmpdir_remove(const char *dir);

/* Removes *dir as harness_tmpdir_remove() does, frees it and sets it to NULL; NULL is fine. */
void harness_tmpdir_freep(char **dir);

#define _cleanup_tmpdir_ _cleanup_(harness_tmpdir_freep)

/* Creates or truncates path, mode 0644, and writes text into it.  Returns 0 or -1. */
int harness_write_file(const char *path, const char *text);

/*
 * Replaces path with text atomically, as a careful tool would: writes
 * path.new and renames it over path, so a watcher sees one IN_MOVED_TO and
 * never half a file.  Returns 0 or -1.
 */
int harness_replace_file(const char *path, const char *text);

/* Reads a whole text file into *ret (NUL-terminated; the caller frees it).  Returns 0 or -1. */
int harness_read_text(const char *path, char **ret);

/*
 * Copies src to dst, a new file of mode 0755, closed before this returns so
 * that it can be exec'd at once (no ETXTBSY).  Returns 0 or -1.
 */
int harness_copy_file(const char *src, const char *dst);

/*
 * Copies src into dir under a name no other test run uses:
 * <basename>-<our pid>-<16 random hex digits>, mode 0755.  *ret is malloc'd
 * and the caller's.  Returns 0 or -1.
 */
int harness_unique_copy(const char *dir, const char *src, char **ret);

/*
 * Replaces every @KEY@ of vars (pairs of key and value, NULL-terminated) in
 * text.  Returns a new string (the caller's), or NULL when out of memory.
 */
char *harness_substitute(const char *text, const char *const *vars);

#endif
