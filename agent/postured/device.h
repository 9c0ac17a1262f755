/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The facts about this device that every record carries. */
#ifndef POSTURED_DEVICE_H
#define POSTURED_DEVICE_H

struct device_info {
	char uid[33]; /* app-specific machine id: stable, not the raw machine-id */
	char boot_uid[33]; /* this boot */
	char hostname[65];
	int type_id; /* OCSF device type_id: DEVICE_TYPE_* */
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

/* OCSF's device (endpoint) type_id values this agent tells. */
enum {
	DEVICE_TYPE_UNKNOWN = 0,
	DEVICE_TYPE_SERVER = 1,
	DEVICE_TYPE_DESKTOP = 2,
	DEVICE_TYPE_LAPTOP = 3,
	DEVICE_TYPE_TABLET = 4,
	DEVICE_TYPE_MOBILE = 5,
	DEVICE_TYPE_VIRTUAL = 6,
	DEVICE_TYPE_IOT = 7,
};

/*
 * The OCSF device type_id of the device below root ("/" for this one), from
 * root/etc/machine-info's CHASSIS=, the DMI vendor strings (a virtual
 * machine), the DMI chassis type and the ACPI power-management profile, in
 * that order, as systemd-hostnamed decides its Chassis (device_type.c).
 * DEVICE_TYPE_UNKNOWN when none of them tells.
 */
int device_type_read(const char *root);

/* OCSF device type_id for an SMBIOS chassis type; for an ACPI Preferred_PM_Profile. */
int device_type_from_chassis(int chassis);
int device_type_from_acpi_profile(int profile);

/* ... for a hostnamed Chassis / machine-info(5) CHASSIS= value ("laptop", "vm", ...). */
int device_type_from_hostnamed_chassis(const char *chassis);

#endif
