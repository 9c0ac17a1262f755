/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The telework baseline (policy/baselines/telework.json), built into the
 * agent so that it watches by a sensible policy with nothing configured.
 */
#ifndef POSTURED_BASELINE_H
#define POSTURED_BASELINE_H

#include <stddef.h>

#define BASELINE_NAME "telework baseline (built in)"

/* The baseline's JSON bytes; *ret_size gets their length. */
const char *baseline_json(size_t *ret_size);

#endif
