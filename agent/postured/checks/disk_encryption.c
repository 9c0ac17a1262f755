// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Disk encryption: the filesystems holding / and /home (the "mounts"
 * parameter) and every swap area sit on dm-crypt.  The mount's device comes
 * from proc/self/mountinfo (major:minor, or the source for filesystems such
 * as btrfs that report an anonymous device), its name from sys/dev/block,
 * and what it is from sys/block/NAME/dm/uuid ("CRYPT-LUKS2-..." is dm-crypt).
 * Stacked devices are followed through sys/block/NAME/slaves/: LVM on LUKS
 * is an "LVM-" device whose slave is the crypt device.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "checks.h"

#define MOUNTINFO_MAX (512 * 1024)
#define STACK_DEPTH   8 /* dm on dm on ...: deeper is a loop or nonsense */
#define NAME_MAX_DEV  64

struct mount_entry {
	unsigned major, minor;
	char mountpoint[PATH_MAX];
	char fstype[64];
	char source[PATH_MAX];
};

/* Copies the next space-separated field of *s into buf, undoing mountinfo's \ooo escapes. */
static bool next_field(const char **s, char *buf, size_t size)
{
	const char *c = *s;
	size_t len = 0;

	while (*c == ' ')
		c++;
	if (!*c || *c == '\n')
		return false;
	while (*c && *c != ' ' && *c != '\n') {
		char ch = *c++;

		if (ch == '\\' && c[0] >= '0' && c[0] <= '3' && c[1] >= '0' && c[1] <= '7' &&
		    c[2] >= '0' && c[2] <= '7') {
			ch = (char)((c[0] - '0') * 64 + (c[1] - '0') * 8 + (c[2] - '0'));
			c += 3;
		}
		if (len + 1 < size)
			buf[len++] = ch;
	}
	buf[len] = '\0';
	*s = c;
	return true;
}

static bool parse_mount_line(const char *line, struct mount_entry *m)
{
	char field[PATH_MAX];
	const char *c = line;

	/* id parent major:minor root mountpoint options [optional...] - fstype source super */
	for (int i = 0; i < 5; i++) {
		if (!next_field(&c, field, sizeof(field)))
			return false;
		if (i == 2 && sscanf(field, "%u:%u", &m->major, &m->minor) != 2)
			return false;
		if (i == 4)
			snprintf(m->mountpoint, sizeof(m->mountpoint), "%s", field);
	}
	do {
		if (!next_field(&c, field, sizeof(field)))
			return false;
	} while (strcmp(field, "-") != 0);
	if (!next_field(&c, m->fstype, sizeof(m->fstype)) ||
	    !next_field(&c, m->source, sizeof(m->source)))
		return false;
	return true;
}

/* Whether mount point mp holds path: equal, or a parent directory of it. */
static size_t covers(const char *mp, const char *path)
{
	size_t len = strlen(mp);

	if (strcmp(mp, "/") == 0)
		return 1;
	if (strncmp(mp, path, len) == 0 && (path[len] == '\0' || path[len] == '/'))
		return len;
	return 0;
}

/* The mount holding path: the longest mount point over it, the last mounted on a tie. */
static bool find_mount(const char *mountinfo, const char *path, struct mount_entry *ret)
{
	struct mount_entry m;
	size_t best = 0;

	for (const char *line = mountinfo; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t l;

		if (parse_mount_line(line, &m) && (l = covers(m.mountpoint, path)) >= best &&
		    l > 0) {
			best = l;
			*ret = m;
		}
		line = eol ? eol + 1 : NULL;
	}
	return best > 0;
}

static void dev_dir(const char *root, const char *name, char *buf, size_t size)
{
	char p[PATH_MAX];
	struct stat st;

	/* Partitions are only under class/block; whole devices under both. */
	snprintf(p, sizeof(p), "/sys/class/block/%s", name);
	if (check_path(root, p, buf, size) == 0 && stat(buf, &st) == 0)
		return;
	snprintf(p, sizeof(p), "/sys/block/%s", name);
	if (check_path(root, p, buf, size) < 0)
		buf[0] = '\0';
}

static int copy_name(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, len + 1);
	return 0;
}

static void strip(char *s)
{
	s[strcspn(s, "\n")] = '\0';
}

/* The kernel's name of the device /dev/... (dm-0, nvme0n1p2), from sysfs.  -ENOENT. */
static int source_device(const char *root, const char *source, char *name, size_t size)
{
	char path[PATH_MAX], buf[256];
	struct stat st;
	const char *base;

	if (strncmp(source, "/dev/mapper/", 12) == 0) {
		_cleanup_(closedirp) DIR *d = NULL;
		struct dirent *de;

		if (check_path(root, "/sys/block", path, sizeof(path)) < 0)
			return -ENAMETOOLONG;
		d = opendir(path);
		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			char p[PATH_MAX];

			if (strncmp(de->d_name, "dm-", 3) != 0)
				continue;
			snprintf(p, sizeof(p), "/sys/block/%s/dm/name", de->d_name);
			if (check_read(root, p, buf, sizeof(buf)) < 0)
				continue;
			strip(buf);
			if (strcmp(buf, source + 12) == 0) {
				return copy_name(name, size, de->d_name);
			}
		}
		return -ENOENT;
	}
	if (strncmp(source, "/dev/", 5) != 0)
		return -ENOENT;
	base = strrchr(source, '/') + 1;
	dev_dir(root, base, path, sizeof(path));
	if (!*path || stat(path, &st) < 0)
		return -ENOENT;
	return copy_name(name, size, base);
}

/* The kernel's name of device major:minor, from the sys/dev/block link.  -errno. */
static int number_device(const char *root, unsigned major, unsigned minor, char *name, size_t size)
{
	char p[64], path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major, minor);
	if (check_path(root, p, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	return copy_name(name, size, strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/*
 * Whether device name is dm-crypt or sits only on dm-crypt devices: 1 yes, 0
 * no (with evidence saying where it is not), -errno when sysfs does not say.
 */
static int device_encrypted(const char *root, const char *name, unsigned depth,
			    struct check_result *res)
{
	char dir[PATH_MAX], p[PATH_MAX + 32], uuid[256] = "";
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	bool any = false;
	int r, verdict = 1;

	if (depth > STACK_DEPTH)
		return -ELOOP;
	if (strncmp(name, "zram", 4) == 0) {
		check_evidence(res, "%s is compressed memory, never written to disk", name);
		return 1;
	}
	dev_dir(root, name, dir, sizeof(dir));
	if (!*dir)
		return -ENAMETOOLONG;
	snprintf(p, sizeof(p), "%s/dm/uuid", dir);
	r = read_small_file(p, uuid, sizeof(uuid));
	if (r < 0 && r != -ENOENT)
		return r;
	strip(uuid);
	if (strncmp(uuid, "CRYPT-", 6) == 0) {
		/* "CRYPT-LUKS2-<uuid>-<name>": say the kind, not the identifiers. */
		check_evidence(res, "%s is a dm-crypt device (%.*s)", name,
			       (int)(6 + strcspn(uuid + 6, "-")), uuid);
		return 1;
	}

	snprintf(p, sizeof(p), "%s/slaves", dir);
	d = opendir(p);
	if (!d && errno != ENOENT)
		return -errno;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		any = true;
		r = device_encrypted(root, de->d_name, depth + 1, res);
		if (r < 0 && verdict > 0)
			verdict = r;
		else if (r == 0)
			verdict = 0;
	}
	if (!any) {
		struct stat st;

		if (stat(dir, &st) < 0)
			return -errno;
		if (*uuid)
			check_evidence(res, "%s is a device-mapper device (%.*s), not encrypted",
				       name, (int)strcspn(uuid, "-"), uuid);
		else
			check_evidence(res, "%s is a plain disk or partition, not encrypted", name);
		return 0;
	}
	if (verdict > 0 && *uuid)
		check_evidence(res, "%s (%.*s) sits on encrypted devices only", name,
			       (int)strcspn(uuid, "-"), uuid);
	return verdict;
}

/* Checks the filesystem of mount m, found for what ("/", "/home", "swap file X"). */
static void check_mount(const char *root, const struct mount_entry *m, const char *what,
			struct check_result *res)
{
	char name[NAME_MAX_DEV];
	int r;

	if (m->major != 0)
		r = number_device(root, m->major, m->minor, name, sizeof(name));
	else
		r = source_device(root, m->source, name, sizeof(name));
	if (r < 0) {
		if (m->major == 0)
			check_set(res, CHECK_UNKNOWN,
				  "%s is on a %s filesystem from \"%s\", not on a block device "
				  "this check can follow",
				  what, m->fstype, m->source);
		else
			check_set(res, CHECK_UNKNOWN,
				  "the block device %u:%u under %s is not in sys/dev/block: %s",
				  m->major, m->minor, what, strerror(-r));
		return;
	}
	check_evidence(res, "%s is mounted from %s (%s, device %s)", what, m->source, m->fstype,
		       name);
	r = device_encrypted(root, name, 0, res);
	if (r < 0)
		check_set(res, CHECK_UNKNOWN,
			  "could not tell whether %s (under %s) is encrypted: %s", name, what,
			  strerror(-r));
	else if (r == 0)
		check_set(res, CHECK_FAIL, "%s is not on an encrypted disk", what);
}

static void check_swap(const char *root, const char *mountinfo, struct check_result *res)
{
	char buf[16384];
	const char *line;
	unsigned n = 0;
	int r;

	r = check_read(root, "/proc/swaps", buf, sizeof(buf));
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "could not read proc/swaps: %s", strerror(-r));
		return;
	}
	line = strchr(buf, '\n'); /* the header */
	while (line && *++line) {
		char file[PATH_MAX], type[32], what[PATH_MAX + 16];
		const char *c = line;

		if (!next_field(&c, file, sizeof(file)) || !next_field(&c, type, sizeof(type)))
			break;
		n++;
		if (strcmp(type, "file") == 0) {
			struct mount_entry m;

			snprintf(what, sizeof(what), "the swap file %s", file);
			if (find_mount(mountinfo, file, &m))
				check_mount(root, &m, what, res);
			else
				check_set(res, CHECK_UNKNOWN, "no mount holds %s", what);
		} else {
			char name[NAME_MAX_DEV];

			snprintf(what, sizeof(what), "the swap device %s", file);
			r = source_device(root, file, name, sizeof(name));
			if (r < 0) {
				check_set(res, CHECK_UNKNOWN, "%s is not in sys/block: %s", what,
					  strerror(-r));
			} else {
				r = device_encrypted(root, name, 0, res);
				if (r < 0)
					check_set(res, CHECK_UNKNOWN,
						  "could not tell whether %s is encrypted: %s",
						  what, strerror(-r));
				else if (r == 0)
					check_set(res, CHECK_FAIL, "%s is not encrypted", what);
			}
		}
		line = strchr(line, '\n');
	}
	if (n == 0)
		check_evidence(res, "no swap is in use");
}

int check_disk_encryption(const char *root, const policy_rule *rule, struct check_result *res)
{
	static const char *const default_mounts[] = { "/", "/home" };
	const struct policy_param *mounts = check_param(rule, "mounts");
	const char *const *list = mounts ? mounts->values : default_mounts;
	size_t n = mounts ? mounts->n : ELEMENTSOF(default_mounts);
	_cleanup_free_ char *mountinfo = NULL;
	int r;

	mountinfo = malloc(MOUNTINFO_MAX);
	if (!mountinfo)
		return -ENOMEM;
	r = check_read(root, "/proc/self/mountinfo", mountinfo, MOUNTINFO_MAX);
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "could not read proc/self/mountinfo: %s",
			  strerror(-r));
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct mount_entry m;

		if (!find_mount(mountinfo, list[i], &m)) {
			check_set(res, CHECK_UNKNOWN, "no mount holds %s", list[i]);
			continue;
		}
		if (strcmp(m.mountpoint, list[i]) != 0) {
			bool seen = false;

			for (size_t j = 0; j < i; j++)
				seen |= strcmp(list[j], m.mountpoint) == 0;
			check_evidence(res, "%s is part of the filesystem mounted on %s%s", list[i],
				       m.mountpoint, seen ? " (above)" : "");
			if (seen)
				continue;
		}
		check_mount(root, &m, list[i], res);
	}
	if (check_param_bool(rule, "swap", true))
		check_swap(root, mountinfo, res);
	return 0;
}
