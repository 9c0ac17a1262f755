// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device facts read from the fixture root trees in tests/fixtures/rootfs,
 * the device type from fake sysfs and machine-info files made at test time
 * (hostile ones too), the SMBIOS chassis to OCSF device type mapping, and
 * env_file_value(), the os-release reader device.c shares with the checks,
 * on byte buffers.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic/string-util.h"
#include "postured/device.h"
#include "fixtures.h"

/* tests/fixtures/rootfs/name. */
static const char *rootfs(const char *name)
{
	return fixture_path("rootfs", name);
}

/* device_info_read() of the tree name gives want, every field of it, however d was before. */
static void assert_device(const char *name, const struct device_info *want)
{
	struct device_info d;

	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(device_info_read(rootfs(name), &d), 0);
	assert_string_equal(d.uid, want->uid);
	assert_string_equal(d.boot_uid, want->boot_uid);
	assert_string_equal(d.hostname, want->hostname);
	assert_int_equal(d.type_id, want->type_id);
	assert_string_equal(d.os_name, want->os_name);
	assert_string_equal(d.os_version, want->os_version);
	/* Only the real root has a running kernel to ask. */
	assert_string_equal(d.kernel_release, want->kernel_release);
}

static void test_laptop(void **state)
{
	/* Quoted os-release values, a chassis that says laptop. */
	static const struct device_info want = {
		.uid = "0123456789abcdef0123456789abcdef",
		.hostname = "laptop-042",
		.type_id = 3,
		.os_name = "Debian GNU/Linux",
		.os_version = "12",
	};

	assert_device("laptop", &want);
}

static void test_workstation(void **state)
{
	/*
	 * Unquoted and single-quoted values, os-release only under /usr/lib,
	 * a hostname without a newline, an upper-case machine id.
	 */
	static const struct device_info want = {
		.uid = "fedcba9876543210fedcba9876543210",
		.hostname = "ws-7",
		.type_id = 2,
		.os_name = "Arch",
		.os_version = "2024.01.01",
	};

	assert_device("workstation", &want);
}

static void test_minimal(void **state)
{
	/* Everything but the machine id is optional. */
	static const struct device_info want = {
		.uid = "00000000000000000000000000000001",
	};

	assert_device("minimal", &want);
}

static void test_long_values(void **state)
{
	struct device_info d;

	/* Values longer than their fields are cut, and terminated. */
	assert_int_equal(device_info_read(rootfs("long"), &d), 0);
	assert_int_equal(strlen(d.hostname), sizeof(d.hostname) - 1);
	assert_int_equal(strspn(d.hostname, "h"), sizeof(d.hostname) - 1);
	assert_int_equal(strlen(d.os_name), sizeof(d.os_name) - 1);
	assert_int_equal(strspn(d.os_name, "N"), sizeof(d.os_name) - 1);
	assert_int_equal(strlen(d.os_version), sizeof(d.os_version) - 1);
	assert_int_equal(strspn(d.os_version, "V"), sizeof(d.os_version) - 1);
}

static void assert_refused(const char *name, int expected)
{
	struct device_info d, before;

	memset(&d, 0x5a, sizeof(d));
	before = d;
	assert_int_equal(device_info_read(rootfs(name), &d), expected);
	assert_memory_equal(&d, &before, sizeof(d));
}

static void test_machine_id_required(void **state)
{
	assert_refused("no-machine-id", -ENOENT);
	assert_refused("bad-machine-id", -EINVAL);
	assert_refused("empty-machine-id", -EINVAL);
	assert_refused("does-not-exist", -ENOENT);
}

/* key's value in text is expected; NULL: key is not set, and buf keeps its default. */
static void assert_env_value(const char *text, const char *key, const char *expected)
{
	char buf[64] = "default";
	bool found = env_file_value(text, key, buf, sizeof(buf));

	assert_int_equal(found, expected != NULL);
	assert_string_equal(buf, expected ? expected : "default");
}

static void test_env_file_value(void **state)
{
	/* Unquoted, double- and single-quoted; the last line without its newline. */
	assert_env_value("ID=debian\n", "ID", "debian");
	assert_env_value("NAME=\"Debian GNU/Linux\"\n", "NAME", "Debian GNU/Linux");
	assert_env_value("ID=arch\nNAME='Arch Linux'", "NAME", "Arch Linux");
	/* A backslash escapes anything unquoted, only $ ` " \ in double quotes, nothing in single. */
	assert_env_value("A=a\\ b\\\\c\n", "A", "a b\\c");
	assert_env_value("A=\"say \\\"hi\\\" \\$HOME \\n\"\n", "A", "say \"hi\" $HOME \\n");
	assert_env_value("A='it'\\''s \\n'\n", "A", "it's \\n");
	/* Parts quoted differently are one value, as in a shell. */
	assert_env_value("A=\"a\"'b'c\n", "A", "abc");
	/* Blanks before the key and around an unquoted value go, quoted ones stay; CRs go. */
	assert_env_value("\tA=  x y \t\r\n", "A", "x y");
	assert_env_value("A=\" x \"\r\n", "A", " x ");
	assert_env_value("A = x\n", "A", NULL);
	/* The last assignment wins; comments, other keys and longer keys are not it. */
	assert_env_value("A=1\n# A=2\nAB=3\nB=A=4\nA=5\nAB=6\n", "A", "5");
	assert_env_value("#A=1\nAB=2\n", "A", NULL);
	assert_env_value("", "A", NULL);
	/* Set, but empty. */
	assert_env_value("A=\nB=1\n", "A", "");
	assert_env_value("A=\"\"\n", "A", "");
	/* An unclosed quote runs to the end of its line, not further. */
	assert_env_value("A=\"open\nB=1\n", "A", "open");
}

static void test_env_file_value_cut(void **state)
{
	char buf[4], one[1] = { 'x' };

	/* Cut to fit and terminated, inside quotes and escapes too. */
	assert_true(env_file_value("A=\"abcdef\"\n", "A", buf, sizeof(buf)));
	assert_string_equal(buf, "abc");
	assert_true(env_file_value("A=ab\\ cd\n", "A", buf, sizeof(buf)));
	assert_string_equal(buf, "ab ");
	assert_true(env_file_value("A=abc\n", "A", one, sizeof(one)));
	assert_int_equal(one[0], '\0');
	/* No room at all: nothing written, and the key is still set. */
	assert_true(env_file_value("A=abc\n", "A", NULL, 0));
}

static void test_chassis(void **state)
{
	/* SMBIOS 3.x chassis types (DSP0134 7.4.1) to OCSF device type_id. */
	static const struct {
		int chassis, type_id;
	} map[] = {
		{ 1, 0 }, /* other */
		{ 2, 0 }, /* unknown */
		{ 3, 2 }, /* desktop */
		{ 4, 2 }, /* low-profile desktop */
		{ 5, 0 }, /* pizza box */
		{ 6, 2 }, /* mini tower */
		{ 7, 2 }, /* tower */
		{ 8, 3 }, /* portable */
		{ 9, 3 }, /* laptop */
		{ 10, 3 }, /* notebook */
		{ 11, 5 }, /* hand held: mobile */
		{ 12, 0 }, /* docking station */
		{ 13, 2 }, /* all in one */
		{ 14, 3 }, /* sub notebook */
		{ 15, 0 }, /* space-saving */
		{ 16, 0 }, /* lunch box */
		{ 17, 1 }, /* main server chassis */
		{ 18, 0 }, /* expansion chassis */
		{ 23, 1 }, /* rack mount */
		{ 24, 0 }, /* sealed-case PC */
		{ 28, 1 }, /* blade */
		{ 29, 1 }, /* blade enclosure */
		{ 30, 4 }, /* tablet */
		{ 31, 3 }, /* convertible */
		{ 32, 3 }, /* detachable */
		{ 33, 7 }, /* IoT gateway */
		{ 34, 0 }, /* embedded PC */
		{ 35, 2 }, /* mini PC */
		{ 36, 2 }, /* stick PC */
		{ 0, 0 },  { -1, 0 }, { 37, 0 }, { 255, 0 }, { INT_MAX, 0 }, { INT_MIN, 0 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (device_type_from_chassis(map[i].chassis) != map[i].type_id)
			fail_msg("chassis %d: expected type %d, got %d", map[i].chassis,
				 map[i].type_id, device_type_from_chassis(map[i].chassis));
}

/* --- the device type from fake sysfs trees ----------------------------------- */

static char type_root[] = "/tmp/test_device.XXXXXX";

/* Writes size bytes of data to type_root/rel, making its directories. */
static void put(const char *rel, const char *data, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", type_root, rel);
	for (char *p = path + strlen(type_root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

#define put_str(rel, s) put((rel), (s), strlen(s))

static void clear_tree(void)
{
	static const char *const files[] = {
		"etc/machine-info",
		"sys/class/dmi/id/chassis_type",
		"sys/class/dmi/id/product_name",
		"sys/class/dmi/id/sys_vendor",
		"sys/class/dmi/id/board_vendor",
		"sys/class/dmi/id/bios_vendor",
		"sys/firmware/acpi/pm_profile",
	};
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", type_root, files[i]);
		(void)unlink(path);
	}
}

static int type_setup(void **state)
{
	return mkdtemp(type_root) ? 0 : -1;
}

static int type_teardown(void **state)
{
	char cmd[128];

	clear_tree();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", type_root);
	return system(cmd) == 0 ? 0 : -1;
}

#define assert_type(want)                                                                      \
	do {                                                                                   \
		int got_ = device_type_read(type_root);                                        \
		if (got_ != (want))                                                            \
			fail_msg("line %d: expected device type %d, got %d", __LINE__, (want), \
				 got_);                                                        \
	} while (0)

static void test_type_chassis(void **state)
{
	clear_tree();
	assert_type(DEVICE_TYPE_UNKNOWN); /* nothing to tell */
	put_str("sys/class/dmi/id/chassis_type", "10\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	put_str("sys/class/dmi/id/chassis_type", "3");
	assert_type(DEVICE_TYPE_DESKTOP);
	put_str("sys/class/dmi/id/chassis_type", "  17 \n");
	assert_type(DEVICE_TYPE_UNKNOWN); /* digits only: leading blanks are not ours to guess */
	put_str("sys/class/dmi/id/chassis_type", "17 \n");
	assert_type(DEVICE_TYPE_SERVER); /* trailing blanks go */
	/* The lock bit (0x80) set by a firmware the kernel did not mask: 0x89 is a laptop. */
	put_str("sys/class/dmi/id/chassis_type", "137\n");
	assert_type(DEVICE_TYPE_LAPTOP);
}

static void test_type_hostile(void **state)
{
	static const char *const bad[] = {
		"9abc\n", "-9\n", "+9\n", "0x9\n", "1000\n", "256\n", "9\x01\n", "\n", "", "nine",
	};
	char big[65536];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clear_tree();
		put_str("sys/class/dmi/id/chassis_type", bad[i]);
		if (device_type_read(type_root) != DEVICE_TYPE_UNKNOWN)
			fail_msg("chassis_type \"%s\" should tell nothing, got %d", bad[i],
				 device_type_read(type_root));
	}
	/* A huge file is read only as far as a number could go, and refused. */
	memset(big, '9', sizeof(big));
	put("sys/class/dmi/id/chassis_type", big, sizeof(big));
	assert_type(DEVICE_TYPE_UNKNOWN);
	/* NUL bytes: the number stops there, and what is before it is not a chassis. */
	put("sys/class/dmi/id/chassis_type", "9\0\0\0", 4);
	assert_type(DEVICE_TYPE_LAPTOP);
	/* A directory where a file should be. */
	clear_tree();
	put_str("sys/class/dmi/id/product_name/x", "QEMU");
	put_str("sys/class/dmi/id/chassis_type", "9\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/sys/class/dmi/id/product_name/x", type_root);
		assert_int_equal(unlink(path), 0);
		snprintf(path, sizeof(path), "%s/sys/class/dmi/id/product_name", type_root);
		assert_int_equal(rmdir(path), 0);
	}
	/* A vendor string with control characters names nothing. */
	put_str("sys/class/dmi/id/sys_vendor", "QEMU\x1b[2J\n");
	assert_type(DEVICE_TYPE_LAPTOP);
}

static void test_type_virtual(void **state)
{
	/* QEMU's firmware says "Other" (1); its vendor says what it is. */
	clear_tree();
	put_str("sys/class/dmi/id/chassis_type", "1\n");
	put_str("sys/class/dmi/id/sys_vendor", "QEMU\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	/* VMware claims a desktop; the virtual machine wins, as in hostnamed. */
	clear_tree();
	put_str("sys/class/dmi/id/chassis_type", "3\n");
	put_str("sys/class/dmi/id/sys_vendor", "VMware, Inc.\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	clear_tree();
	put_str("sys/class/dmi/id/product_name", "VirtualBox\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	clear_tree();
	put_str("sys/class/dmi/id/bios_vendor", "Amazon EC2\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	/* Hyper-V says Microsoft and "Virtual Machine"; a Surface says Microsoft only. */
	clear_tree();
	put_str("sys/class/dmi/id/sys_vendor", "Microsoft Corporation\n");
	put_str("sys/class/dmi/id/product_name", "Virtual Machine\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	put_str("sys/class/dmi/id/product_name", "Surface Laptop 5\n");
	put_str("sys/class/dmi/id/chassis_type", "9\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	/* A vendor whose name starts like no hypervisor's. */
	put_str("sys/class/dmi/id/sys_vendor", "LENOVO\n");
	put_str("sys/class/dmi/id/board_vendor", "LENOVO\n");
	assert_type(DEVICE_TYPE_LAPTOP);
}

static void test_type_machine_info(void **state)
{
	/* The administrator's CHASSIS= comes first, quoted or not. */
	clear_tree();
	put_str("sys/class/dmi/id/chassis_type", "3\n");
	put_str("etc/machine-info", "PRETTY_HOSTNAME=\"Ana's laptop\"\nCHASSIS=\"laptop\"\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	put_str("etc/machine-info", "CHASSIS=vm\n");
	assert_type(DEVICE_TYPE_VIRTUAL);
	put_str("etc/machine-info", "CHASSIS=server\n");
	assert_type(DEVICE_TYPE_SERVER);
	/* What OCSF has no type for, or nonsense: the next source decides. */
	put_str("etc/machine-info", "CHASSIS=container\n");
	assert_type(DEVICE_TYPE_DESKTOP);
	put_str("etc/machine-info", "CHASSIS=laptopx\n");
	assert_type(DEVICE_TYPE_DESKTOP);
	put_str("etc/machine-info", "# CHASSIS=laptop\n");
	assert_type(DEVICE_TYPE_DESKTOP);
}

static void test_type_acpi(void **state)
{
	/* No DMI at all (many ARM laptops): the ACPI profile tells. */
	clear_tree();
	put_str("sys/firmware/acpi/pm_profile", "2\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	/* DMI says "Unknown" (2): ACPI still may. */
	put_str("sys/class/dmi/id/chassis_type", "2\n");
	put_str("sys/firmware/acpi/pm_profile", "4\n");
	assert_type(DEVICE_TYPE_SERVER);
	/* DMI's answer, when it has one, comes before ACPI's. */
	put_str("sys/class/dmi/id/chassis_type", "9\n");
	assert_type(DEVICE_TYPE_LAPTOP);
	clear_tree();
	put_str("sys/firmware/acpi/pm_profile", "0\n"); /* unspecified */
	assert_type(DEVICE_TYPE_UNKNOWN);
	put_str("sys/firmware/acpi/pm_profile", "2x\n");
	assert_type(DEVICE_TYPE_UNKNOWN);
}

static void test_type_names(void **state)
{
	assert_int_equal(device_type_from_hostnamed_chassis("desktop"), DEVICE_TYPE_DESKTOP);
	assert_int_equal(device_type_from_hostnamed_chassis("convertible"), DEVICE_TYPE_LAPTOP);
	assert_int_equal(device_type_from_hostnamed_chassis("tablet"), DEVICE_TYPE_TABLET);
	assert_int_equal(device_type_from_hostnamed_chassis("handset"), DEVICE_TYPE_MOBILE);
	assert_int_equal(device_type_from_hostnamed_chassis("embedded"), DEVICE_TYPE_UNKNOWN);
	assert_int_equal(device_type_from_hostnamed_chassis(""), DEVICE_TYPE_UNKNOWN);
	assert_int_equal(device_type_from_hostnamed_chassis("Laptop"), DEVICE_TYPE_UNKNOWN);
	for (int p = -1; p <= 9; p++)
		if ((device_type_from_acpi_profile(p) == DEVICE_TYPE_UNKNOWN) !=
		    (p <= 0 || p == 6 || p == 9))
			fail_msg("ACPI profile %d: type %d", p, device_type_from_acpi_profile(p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_laptop),
		cmocka_unit_test(test_workstation),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_machine_id_required),
		cmocka_unit_test(test_chassis),
		cmocka_unit_test(test_env_file_value),
		cmocka_unit_test(test_env_file_value_cut),
	};

	const struct CMUnitTest type_tests[] = {
		cmocka_unit_test(test_type_chassis), cmocka_unit_test(test_type_hostile),
		cmocka_unit_test(test_type_virtual), cmocka_unit_test(test_type_machine_info),
		cmocka_unit_test(test_type_acpi),    cmocka_unit_test(test_type_names),
	};
	int failed = cmocka_run_group_tests_name("device", tests, NULL, NULL);

	return failed +
	       cmocka_run_group_tests_name("device type", type_tests, type_setup, type_teardown);
}
