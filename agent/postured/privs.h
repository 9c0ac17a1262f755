/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Giving up privileges the daemon no longer needs once its probes are in. */
#ifndef POSTURED_PRIVS_H
#define POSTURED_PRIVS_H

#include <stdint.h>

/*
 * Reduces the permitted, effective and inheritable capability sets to `keep`
 * (a mask of 1 << CAP_*), empties the bounding set of the rest, and sets
 * no_new_privs.  Returns 0 or -errno.
 */
int privs_drop_caps(uint64_t keep);

#endif
