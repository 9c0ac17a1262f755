// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What kind of device this is, as OCSF's device.type_id says it, from the
 * sources systemd-hostnamed reads for its Chassis property, in its order:
 * the administrator's CHASSIS= in /etc/machine-info, then a virtual
 * machine's DMI vendor strings, then the SMBIOS chassis type, then the
 * ACPI preferred power-management profile.  Reading the files ourselves
 * rather than asking hostnamed over D-Bus keeps start-up free of a bus
 * call that may activate a service; the answer is the same.
 *
 * Every file here is firmware's or an administrator's text: read bounded
 * (read_small_file() into a small buffer), parsed strictly (a number is
 * digits only; a name is compared whole), and anything else counts as "not
 * said", never as a guess.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "basic/fileio.h"
#include "basic/string-util.h"
#include "device.h"

int device_type_from_chassis(int chassis)
{
	/* SMBIOS 3.x (DSP0134 7.4.1); the kernel masks off the lock bit. */
	switch (chassis) {
	case 8: /* portable */
	case 9: /* laptop */
	case 10: /* notebook */
	case 14: /* sub notebook */
	case 31: /* convertible */
	case 32: /* detachable */
		return DEVICE_TYPE_LAPTOP;
	case 3: /* desktop */
	case 4: /* low-profile desktop */
	case 6: /* mini tower */
	case 7: /* tower */
	case 13: /* all in one */
	case 35: /* mini PC */
	case 36: /* stick PC */
		return DEVICE_TYPE_DESKTOP;
	case 17: /* main server chassis */
	case 23: /* rack mount */
	case 28: /* blade */
	case 29: /* blade enclosure */
		return DEVICE_TYPE_SERVER;
	case 11: /* hand held */
		return DEVICE_TYPE_MOBILE;
	case 30: /* tablet */
		return DEVICE_TYPE_TABLET;
	case 33: /* IoT gateway */
		return DEVICE_TYPE_IOT;
	default:
		return DEVICE_TYPE_UNKNOWN;
	}
}

int device_type_from_acpi_profile(int profile)
{
	/* ACPI 6.x FADT Preferred_PM_Profile. */
	switch (profile) {
	case 1: /* desktop */
	case 3: /* workstation */
		return DEVICE_TYPE_DESKTOP;
	case 2: /* mobile */
		return DEVICE_TYPE_LAPTOP;
	case 4: /* enterprise server */
	case 5: /* SOHO server */
	case 7: /* performance server */
		return DEVICE_TYPE_SERVER;
	case 8: /* tablet */
		return DEVICE_TYPE_TABLET;
	default:
		return DEVICE_TYPE_UNKNOWN;
	}
}

int device_type_from_hostnamed_chassis(const char *chassis)
{
	static const struct {
		const char *name;
		int type_id;
	} map[] = {
		{ "desktop", DEVICE_TYPE_DESKTOP },    { "laptop", DEVICE_TYPE_LAPTOP },
		{ "convertible", DEVICE_TYPE_LAPTOP }, { "server", DEVICE_TYPE_SERVER },
		{ "tablet", DEVICE_TYPE_TABLET },      { "handset", DEVICE_TYPE_MOBILE },
		{ "watch", DEVICE_TYPE_MOBILE },       { "vm", DEVICE_TYPE_VIRTUAL },
	};

	/* "embedded" and "container" have no OCSF device type of their own. */
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(chassis, map[i].name) == 0)
			return map[i].type_id;
	return DEVICE_TYPE_UNKNOWN;
}

/*
 * root/rel's first line, without the blanks around it, into buf; false when
 * it cannot be read, is empty, or holds a control character.
 */
static bool read_line(const char *root, const char *rel, char *buf, size_t size)
{
	char path[4096];
	size_t n;

	strbuf_printf(path, sizeof(path), "%s/%s", strcmp(root, "/") == 0 ? "" : root, rel);
	if (read_small_file(path, buf, size) < 0)
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
			return false;
	return n > 0;
}

/* root/rel as a decimal number from 0 to 255, digits only; -1 otherwise. */
static int read_byte(const char *root, const char *rel)
{
	char buf[16];
	int v = 0;

	if (!read_line(root, rel, buf, sizeof(buf)) || strlen(buf) > 3)
		return -1;
	for (const char *p = buf; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= 255 ? v : -1;
}

/*
 * Whether the DMI strings name a hypervisor's virtual hardware (the vendors
 * systemd-detect-virt knows from DMI).  Microsoft's own name alone is a
 * Surface as often as Hyper-V; its virtual machine says so in product_name.
 */
static bool dmi_says_virtual(const char *root)
{
	static const char *const files[] = {
		"sys/class/dmi/id/product_name",
		"sys/class/dmi/id/sys_vendor",
		"sys/class/dmi/id/board_vendor",
		"sys/class/dmi/id/bios_vendor",
	};
	static const char *const vendors[] = {
		"KVM",
		"OpenStack",
		"KubeVirt",
		"Amazon EC2",
		"QEMU",
		"VMware",
		"VMW",
		"innotek GmbH",
		"VirtualBox",
		"Xen",
		"Bochs",
		"Parallels",
		"BHYVE",
		"Hyper-V",
		"Apple Virtualization",
		"Google Compute Engine",
	};
	char buf[256], vendor[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!read_line(root, files[i], buf, sizeof(buf)))
			continue;
		for (size_t j = 0; j < sizeof(vendors) / sizeof(vendors[0]); j++)
			if (strncmp(buf, vendors[j], strlen(vendors[j])) == 0)
				return true;
	}
	return read_line(root, "sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor)) &&
	       strcmp(vendor, "Microsoft Corporation") == 0 &&
	       read_line(root, "sys/class/dmi/id/product_name", buf, sizeof(buf)) &&
	       strcmp(buf, "Virtual Machine") == 0;
}

int device_type_read(const char *root)
{
	char path[4096], buf[4096], chassis[32];
	int type_id, v;

	/* The administrator's word first, as hostnamed takes it. */
	strbuf_printf(path, sizeof(path), "%s/etc/machine-info",
		      strcmp(root, "/") == 0 ? "" : root);
	if (read_small_file(path, buf, sizeof(buf)) >= 0 &&
	    env_file_value(buf, "CHASSIS", chassis, sizeof(chassis))) {
		type_id = device_type_from_hostnamed_chassis(chassis);
		if (type_id != DEVICE_TYPE_UNKNOWN)
			return type_id;
	}
	/* A virtual machine's firmware often claims a chassis ("Other", even "Desktop"). */
	if (dmi_says_virtual(root))
		return DEVICE_TYPE_VIRTUAL;
	v = read_byte(root, "sys/class/dmi/id/chassis_type");
	type_id = v >= 0 ? device_type_from_chassis(v & 0x7f) : DEVICE_TYPE_UNKNOWN;
	if (type_id != DEVICE_TYPE_UNKNOWN)
		return type_id;
	/* No DMI (ARM laptops, some firmware) or "Other"/"Unknown": ACPI may tell. */
	v = read_byte(root, "sys/firmware/acpi/pm_profile");
	return v >= 0 ? device_type_from_acpi_profile(v) : DEVICE_TYPE_UNKNOWN;
}
