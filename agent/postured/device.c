// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "basic/fileio.h"
#include "basic/string-util.h"
#include "device.h"

/* postured's application id: machine ids hashed with it cannot be joined with other apps'. */
#define POSTURED_APP_ID \
	SD_ID128_MAKE(5b, 0e, 83, 3c, 9a, 41, 4f, 2d, 8e, 67, 1d, 52, c4, a9, f0, 13)

static int machine_id_from_file(const char *root, sd_id128_t *ret)
{
	char path[4096], buf[64];
	int r;

	snprintf(path, sizeof(path), "%s/etc/machine-id", root);
	r = read_small_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	return sd_id128_from_string(buf, ret);
}

int device_info_read(const char *root, struct device_info *ret)
{
	struct device_info d = {};
	char path[4096], buf[4096];
	bool real_root = strcmp(root, "/") == 0;
	struct utsname u;
	sd_id128_t id;
	int r;

	if (real_root) {
		r = sd_id128_get_machine_app_specific(POSTURED_APP_ID, &id);
		if (r < 0)
			return r;
		sd_id128_to_string(id, d.uid);
		if (sd_id128_get_boot(&id) >= 0)
			sd_id128_to_string(id, d.boot_uid);
	} else {
		/* Fixture trees: the machine id is read as is, for predictable tests. */
		r = machine_id_from_file(root, &id);
		if (r < 0)
			return r;
		sd_id128_to_string(id, d.uid);
	}

	snprintf(path, sizeof(path), "%s/etc/os-release", root);
	if (read_small_file(path, buf, sizeof(buf)) < 0) {
		snprintf(path, sizeof(path), "%s/usr/lib/os-release", root);
		if (read_small_file(path, buf, sizeof(buf)) < 0)
			buf[0] = '\0';
	}
	env_file_value(buf, "NAME", d.os_name, sizeof(d.os_name));
	env_file_value(buf, "VERSION_ID", d.os_version, sizeof(d.os_version));

	d.type_id = device_type_read(root);

	if (real_root) {
		if (gethostname(d.hostname, sizeof(d.hostname) - 1) < 0)
			d.hostname[0] = '\0';
		if (uname(&u) == 0)
			strbufcpy(d.kernel_release, sizeof(d.kernel_release), u.release);
	} else {
		snprintf(path, sizeof(path), "%s/etc/hostname", root);
		if (read_small_file(path, buf, sizeof(buf)) >= 0) {
			buf[strcspn(buf, "\n")] = '\0';
			strbufcpy(d.hostname, sizeof(d.hostname), buf);
		}
	}
	*ret = d;
	return 0;
}
