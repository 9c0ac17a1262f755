// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <stdio.h>

#include "basic/json-util.h"
#include "format_loss.h"
#include "ocsf.h"

void format_loss(yajl_gen g, const struct format_loss *l)
{
	uint64_t count = l->dropped + l->unwritten;
	char message[128];

	ocsf_write_class(g, l->time_ms,
			 &(const struct ocsf_class){
				 .class_uid = OCSF_CLASS_DEVICE_INVENTORY_INFO,
				 .class_name = "Device Inventory Info",
				 .category_uid = 5,
				 .category_name = "Discovery",
				 .activity_id = 1,
				 .activity_name = "Log",
				 .severity_id = 3,
				 .severity = "Medium",
			 });
	snprintf(message, sizeof(message),
		 "%" PRIu64 " records were lost on the device before they could be sent", count);
	json_str(g, "message", message);
	ocsf_write_metadata(g, "records_lost", (const char *const[]){ "host", NULL });
	/* The class requires a device; the spool knows its id alone. */
	json_open(g, "device");
	json_int(g, "type_id", 0);
	if (l->device_uid && l->device_uid[0])
		json_str(g, "uid", l->device_uid);
	json_close(g);

	json_open(g, "postured");
	json_str(g, "event", "records_lost");
	json_u64(g, "count", count);
	json_u64(g, "dropped", l->dropped);
	json_u64(g, "unwritten", l->unwritten);
	json_u64(g, "lost_total", l->lost_total);
	if (l->dropped > 0) {
		json_u64(g, "first_seq", l->first_seq);
		json_u64(g, "last_seq", l->last_seq);
	}
	json_close(g);
	json_close(g);
}
