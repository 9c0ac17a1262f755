/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The store's upkeep on the collector's loop: today's roll-up of the fleet
 * view (at start, then every interval), and retention (records older than
 * the retention age deleted in bounded batches, between which the loop
 * serves requests; on PostgreSQL, whole days dropped) and the tables' own
 * upkeep.  Of several collectors on one store, one runs it at a time
 * (store_job_lock()).  State, roll-ups and exemptions are never deleted.
 */
#ifndef POSTURED_COLLECTOR_UPKEEP_H
#define POSTURED_COLLECTOR_UPKEEP_H

#include <stdint.h>
#include <systemd/sd-event.h>

#include "basic/cleanup.h"
#include "store.h"

#define UPKEEP_EXPIRE_BATCH 5000

struct upkeep;

/*
 * Starts the upkeep of store (borrowed) on e: a roll-up every
 * rollup_interval_sec, and, unless retention_sec is 0, retention.
 * Returns 0 or -errno.
 */
int upkeep_new(sd_event *e, struct store *store, uint64_t rollup_interval_sec,
	       uint64_t retention_sec, struct upkeep **ret);

struct upkeep *upkeep_free(struct upkeep *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct upkeep *, upkeep_free);

#endif
