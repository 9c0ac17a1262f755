/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The facts about this device that every record carries. */
#ifndef POSTURED_DEVICE_H
#define POSTURED_DEVICE_H

struct device_info {
	char uid[33]; /* app-specific machine id: stable, not the raw machine-id */
	char boot_uid[33]; /* this boot */
	char hostname[65];
	int type_id; /* OCSF endpoint type: 1 server, 2 desktop, 3 laptop, 0 unknown */
	char os_name[128];
	char os_version[64];
	char kernel_release[65];
};

/*
 * Reads the device's facts below root ("/" normally).  Ids come from
 * sd-id128 for root "/" and from root/etc/machine-id otherwise; what cannot be
 * read is left empty.  Returns 0, or -errno when the machine id is unusable.
 */
int device_info_read(const char *root, struct device_info *ret);

/* OCSF endpoint type_id for an SMBIOS chassis type. */
int device_type_from_chassis(int chassis);

#endif
