/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process lifecycle probe (probes/process.bpf.c): opens the skeleton,
 * sets its knobs, picks the best attachment the kernel allows, loads,
 * attaches, and exposes the ring buffer for the event loop.
 */
#ifndef POSTURED_PROBE_PROCESS_H
#define POSTURED_PROBE_PROCESS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probes/events.h"
#include "basic/cleanup.h"
#include "basic/time-util.h"
#include "probe_common.h"

enum probe_flavor {
	PROBE_FLAVOR_AUTO = 0,
	PROBE_FLAVOR_TP_BTF,
	PROBE_FLAVOR_TRACEPOINT,
};

struct probe_process_config {
	enum probe_flavor flavor;
	uint32_t args_size; /* argv bytes to capture from the start, 0 = none */
	enum event_wakeup_mode wakeup_mode;
	uint32_t ring_bytes; /* a power of two, at least a page */
	uint32_t wakeup_bytes; /* fill level that wakes the consumer at once */
	uint32_t wakeup_latency_ms; /* how long a record may wait for its batch */
};

#define PROBE_PROCESS_CONFIG_DEFAULT                                         \
	((struct probe_process_config){ .flavor = PROBE_FLAVOR_AUTO,         \
					.args_size = 0,                      \
					.wakeup_mode = EVENT_WAKEUP_BATCHED, \
					.ring_bytes = 1U << 20,              \
					.wakeup_bytes = 256U << 10,          \
					.wakeup_latency_ms = 50 })

/* Called for each record; returns 0, or < 0 to stop this drain. */
typedef int (*probe_process_sample_fn)(void *userdata, const void *data, size_t size);

typedef struct probe_process probe_process;

probe_process *probe_process_free(probe_process *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(probe_process *, probe_process_free);

/*
 * Loads and attaches the probe.  With PROBE_FLAVOR_AUTO, tp_btf is tried
 * where the kernel supports it and classic tracepoints otherwise or when
 * that fails.  Logs the reason and returns -errno on failure.
 */
int probe_process_new(const struct probe_process_config *cfg, const struct probe_features *f,
		      probe_process_sample_fn fn, void *userdata, probe_process **ret);

/* An fd that polls readable when records are waiting. */
int probe_process_fd(probe_process *p);

/* Hands every waiting record to the callback.  Returns how many, or -errno. */
int probe_process_drain(probe_process *p);

/*
 * Tells the probes the consumer will drain by itself before `deadline`
 * (CLOCK_BOOTTIME ns), so records until then need not wake it; 0 = wake now.
 */
void probe_process_set_deadline(probe_process *p, nsec_t deadline);

/* Sums the per-CPU counters into ret[_EVENT_STAT_MAX]. */
int probe_process_stats(probe_process *p, uint64_t *ret);

/*
 * The kernel filter (see probes/process.bpf.c).  A new set of entries is
 * built beside the one in force: filter_begin() starts the next generation,
 * filter_add_*() add entries to it (a key given twice keeps the stronger
 * action), and filter_commit() switches the kernel to it in one store, opens
 * or closes the filter, and deletes the old generation.  Until commit the
 * kernel keeps judging by the old entries.  Each returns 0 or -errno
 * (-E2BIG when a map is full).
 */
int probe_process_filter_begin(probe_process *p);
int probe_process_filter_add_inode(probe_process *p, uint64_t dev, uint64_t ino,
				   const struct filter_verdict *v);
int probe_process_filter_add_name(probe_process *p, const char *name,
				  const struct filter_verdict *v);
int probe_process_filter_add_path(probe_process *p, const char *path,
				  const struct filter_verdict *v);
/* An exec for which the probe finds fact (enum event_exec_fact), in the generation being filled. */
int probe_process_filter_add_fact(probe_process *p, unsigned fact, const struct filter_verdict *v);
/* Whether the generation being filled notes who writes into pipes (pipe_writers). */
void probe_process_filter_pipe_writers(probe_process *p, bool on);
int probe_process_filter_commit(probe_process *p, bool open);
/*
 * The file name the probe noted for the program writing into the pipe with
 * inode ino, into buf.  Returns 0, -ENOENT when it has none, -ENAMETOOLONG.
 */
int probe_process_pipe_writer(probe_process *p, uint64_t ino, char *buf, size_t size);
/* Has the kernel report pid's forks and exit although its exec did not match. */
int probe_process_track(probe_process *p, uint32_t pid);

/* The generation in force. */
uint32_t probe_process_filter_gen(probe_process *p);

/*
 * How many bytes of its arguments (argv, NUL-separated) each exec record
 * carries from now on, at most EVENT_ARGS_LEN; 0 for none, which keeps the
 * records short.  Records already in the ring buffer keep what they have.
 */
void probe_process_set_args_size(probe_process *p, uint32_t bytes);
uint32_t probe_process_args_size(probe_process *p);

enum probe_flavor probe_process_flavor(probe_process *p);
/*
 * The programs attached now and their links, at most max of them, into
 * out (the fds stay the probe's).  Returns how many.
 */
size_t probe_process_links(probe_process *p, struct probe_link *out, size_t max);
/* How a kill verdict is carried out, in words for logs and status. */
const char *probe_process_enforcement(probe_process *p);

/*
 * The words of the flavours, as the configuration and status say them.
 * Inline, so that what reads the configuration (config.c, posturectl) needs
 * no probe.
 */
static inline const char *probe_flavor_to_string(enum probe_flavor f)
{
	switch (f) {
	case PROBE_FLAVOR_AUTO:
		return "auto";
	case PROBE_FLAVOR_TP_BTF:
		return "tp_btf";
	case PROBE_FLAVOR_TRACEPOINT:
		return "tracepoint";
	}
	return "unknown";
}

static inline int probe_flavor_from_string(const char *s, enum probe_flavor *ret)
{
	static const enum probe_flavor all[] = { PROBE_FLAVOR_AUTO, PROBE_FLAVOR_TP_BTF,
						 PROBE_FLAVOR_TRACEPOINT };

	for (size_t i = 0; i < ELEMENTSOF(all); i++)
		if (strcmp(s, probe_flavor_to_string(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

#endif
