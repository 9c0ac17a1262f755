/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who a child of the test runs as: another user, or root without any
 * capability.  Called in a forked child before its exec; they print nothing.
 */
#ifndef POSTURED_TESTS_HARNESS_PRIVS_H
#define POSTURED_TESTS_HARNESS_PRIVS_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Becomes uid and gid, with no supplementary groups; the kernel clears the
 * capabilities (and PR_SET_PDEATHSIG: set it again).  Returns 0 or -errno.
 */
int harness_become(uid_t uid, gid_t gid);

/*
 * Drops every capability, the bounding set and the ambient set included, so
 * not even uid 0's exec regains them.  Returns 0 or -errno.
 */
int harness_drop_all_caps(void);

/*
 * The capabilities postured.service grants: its CapabilityBoundingSet= line,
 * read from unit (packaging/systemd/postured.service.in), as a mask.
 * Returns 0, or -1 with why printed through harness_fail().
 */
int harness_unit_caps(const char *unit, uint64_t *ret);

/*
 * Shrinks the bounding set to keep, and the effective, permitted and
 * inheritable sets with it: uid 0 then has exactly those, across exec too,
 * as under the unit.  Returns 0 or -errno.
 */
int harness_keep_caps(uint64_t keep);

#endif
