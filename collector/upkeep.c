// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "basic/log.h"
#include "basic/time-util.h"
#include "store_fleet.h"
#include "upkeep.h"

struct upkeep {
	sd_event_source *timer;
	struct store *store;
	uint64_t interval_usec;
	uint64_t retention_ms;
	struct ratelimit log;
	bool running; /* holds the upkeep's job lock */
};

static int64_t now_ms(void)
{
	return (int64_t)(now_usec(CLOCK_REALTIME) / USEC_PER_MSEC);
}

static int upkeep_run(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct upkeep *u = userdata;
	uint64_t next = usec + u->interval_usec;
	unsigned deleted = 0;
	int r;

	/* Collectors sharing a store take turns: whoever holds the job's lock runs it. */
	r = store_job_lock(u->store, "upkeep");
	if (r < 0 && ratelimit_below(&u->log))
		log_warning_errno(r,
				  "Failed to ask whether this collector runs the upkeep: %m (%s)",
				  store_last_error(u->store));
	if (r > 0 && !u->running)
		log_info("This collector runs the store's upkeep (roll-ups, retention%s).",
			 u->retention_ms ? "" : " off");
	else if (r == 0 && u->running)
		log_info("Another collector runs the store's upkeep now.");
	u->running = r > 0;
	if (!u->running)
		goto next;

	r = store_maintain(u->store, now_ms());
	if (r < 0 && ratelimit_below(&u->log))
		log_warning_errno(r, "Failed to keep up the store's tables: %m (%s)",
				  store_last_error(u->store));
	r = store_fleet_rollup(u->store, now_ms());
	if (r < 0 && ratelimit_below(&u->log))
		log_warning_errno(r, "Failed to roll up the fleet view: %m (%s)",
				  store_last_error(u->store));
	if (u->retention_ms) {
		r = store_fleet_expire(u->store, now_ms() - (int64_t)u->retention_ms,
				       UPKEEP_EXPIRE_BATCH, &deleted);
		if (r < 0 && ratelimit_below(&u->log))
			log_warning_errno(r, "Failed to delete old records: %m (%s)",
					  store_last_error(u->store));
		else if (deleted > 0)
			log_debug("Deleted %u records past the retention age.", deleted);
		/* A full batch: more are due; the next batch after what is waiting now. */
		if (deleted == UPKEEP_EXPIRE_BATCH)
			next = usec + 10 * USEC_PER_MSEC;
	}
next:
	(void)sd_event_source_set_time(s, next);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int upkeep_new(sd_event *e, struct store *store, uint64_t rollup_interval_sec,
	       uint64_t retention_sec, struct upkeep **ret)
{
	_cleanup_(upkeep_freep) struct upkeep *u = NULL;
	uint64_t now;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->store = store;
	u->interval_usec = rollup_interval_sec * USEC_PER_SEC;
	u->retention_ms = retention_sec * 1000;
	u->log = RATELIMIT_INIT(60 * USEC_PER_SEC, 3);
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &u->timer, CLOCK_MONOTONIC, now, USEC_PER_MSEC, upkeep_run, u);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(u->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(u);
	return 0;
}

struct upkeep *upkeep_free(struct upkeep *u)
{
	if (!u)
		return NULL;
	sd_event_source_disable_unref(u->timer);
	free(u);
	return NULL;
}
