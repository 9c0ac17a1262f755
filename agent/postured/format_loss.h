/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The spool's loss record (docs/events.md, "Loss record"): an OCSF Device
 * Inventory Info record (class 5001, activity Log) that counts the records
 * lost on the device.  Its own file rather than format.c because the spool
 * writes it and postured-sender links the spool: this needs ocsf.c and yajl
 * only, format.c the policy library and the checks.
 */
#ifndef POSTURED_FORMAT_LOSS_H
#define POSTURED_FORMAT_LOSS_H

#include <stdint.h>
#include <yajl/yajl_gen.h>

struct format_loss {
	long long time_ms;
	const char *device_uid; /* 32 hex digits, or NULL or "" when the spool was not told */
	uint64_t dropped; /* deleted from the full spool */
	uint64_t unwritten; /* never written: the disk was full */
	uint64_t lost_total; /* every record the spool has lost */
	uint64_t first_seq, last_seq; /* the span of the dropped ones, when dropped > 0 */
};

/* Writes the loss record l describes to g, as one JSON object. */
void format_loss(yajl_gen g, const struct format_loss *l);

#endif
