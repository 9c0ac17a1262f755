/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Turns decoded records into OCSF-shaped JSON objects: Process Activity
 * (class 1007) for exec, fork and exit, with our own fields under "postured".
 * This is the shape --print-events shows and the collector will receive.
 */
#ifndef POSTURED_FORMAT_H
#define POSTURED_FORMAT_H

#include <yajl/yajl_gen.h>

#include "decode.h"
#include "device.h"
#include "finding.h"
#include "ocsf.h"
#include "proctab.h"

/*
 * Writes one JSON object for ev to g.  self is the process table entry of the
 * process itself (the exiting one for exit, the new image for exec), parent
 * that of its parent; either may be NULL.  clock_offset converts boot times.
 */
void format_process_event(yajl_gen g, const struct decoded_event *ev, const struct proc_entry *self,
			  const struct proc_entry *parent, const struct device_info *dev,
			  int64_t clock_offset);

/*
 * Writes one finding as an OCSF Compliance Finding (class 2003): the rule as
 * the control, the action taken (security_control profile), the process as
 * evidence, and the rule's messages in every language it has under
 * "postured".  uid is the finding's unique id (32 hex digits).
 */
void format_finding(yajl_gen g, const struct finding *f, const char *uid,
		    const struct device_info *dev);

/*
 * Writes the posture snapshot: an OCSF Device Inventory Info record (class
 * 5001, activity Collect) about dev at time_ms, whose "postured" object's
 * contents write_postured() writes (the posture and its completeness).
 */
void format_snapshot(yajl_gen g, const struct device_info *dev, long long time_ms,
		     void (*write_postured)(void *userdata, yajl_gen g), void *userdata);

/* A rule's message or remediation as {"en": ..., "ja": ...} under key, every language it has. */
void format_rule_texts(yajl_gen g, const char *key, const policy_rule *r,
		       enum policy_text_kind kind);

/* The "device" object: what every record says of this machine. */
void format_write_device(yajl_gen g, const struct device_info *dev);

/*
 * A string that came from a process or a file under key: bytes that are
 * not well-formed UTF-8 are written as U+FFFD, so the line stays JSON.
 */
void format_write_text(yajl_gen g, const char *key, const char *value);

/*
 * An OCSF process object under key: pid, and what the table entry e knows
 * (name, file, user, created_time, with clock_offset converting boot
 * times); e may be NULL.
 */
void format_write_process(yajl_gen g, const char *key, uint32_t pid, const struct proc_entry *e,
			  int64_t clock_offset);

/* The NUL-separated argv as one command line, arguments separated by spaces. */
void format_cmd_line(const char *args, size_t size, char *out, size_t out_size);

#endif
