// SPDX-License-Identifier: LGPL-2.1-or-later
/* The registry of checks, and what the check modules share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "checks.h"

/* Sorted by name, in step with policy_check_names in policy/policy_parse.c. */
static const struct check_info checks[] = {
	{ "automatic_updates", "Automatic security updates are on and ran recently",
	  check_automatic_updates },
	{ "disk_encryption", "The disks holding /, /home and swap are encrypted",
	  check_disk_encryption },
	{ "firewall", "A firewall drops incoming connections that no rule allows", check_firewall },
	{ "os_version", "The operating system and kernel are supported versions",
	  check_os_version },
	{ "required_services", "The systemd services the company requires are running",
	  check_required_services },
	{ "screen_lock", "Every graphical session locks its screen when left idle",
	  check_screen_lock },
	{ "secure_boot", "Secure Boot is on, and kernel lockdown as required", check_secure_boot },
	{ "ssh_server", "The SSH server refuses root and password logins", check_ssh_server },
	{ "time_sync", "The clock is synchronised with network time", check_time_sync },
	{ "usb_storage", "USB storage devices are blocked", check_usb_storage },
};

size_t checks_count(void)
{
	return ELEMENTSOF(checks);
}

const struct check_info *checks_at(size_t i)
{
	return i < ELEMENTSOF(checks) ? &checks[i] : NULL;
}

const struct check_info *checks_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(checks); i++)
		if (strcmp(checks[i].name, name) == 0)
			return &checks[i];
	return NULL;
}

int checks_run(const char *name, const char *root, const policy_rule *rule,
	       struct check_result *ret)
{
	const struct check_info *c = checks_find(name);
	struct check_result *res;
	int r;

	if (!c)
		return -ENOENT;
	/* Built aside, so *ret is written only on success. */
	res = malloc(sizeof(*res));
	if (!res)
		return -ENOMEM;
	check_result_init(res);
	r = c->run(root ? root : "/", rule, res);
	if (r >= 0)
		*ret = *res;
	free(res);
	return r < 0 ? r : 0;
}

const char *check_status_to_string(enum check_status s)
{
	switch (s) {
	case CHECK_PASS:
		return "pass";
	case CHECK_FAIL:
		return "fail";
	case CHECK_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

void check_result_init(struct check_result *res)
{
	res->status = CHECK_PASS;
	res->reason[0] = '\0';
	res->n_evidence = 0;
	res->n_dropped = 0;
}

void check_evidence(struct check_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->n_evidence >= CHECK_EVIDENCE_MAX) {
		res->n_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(res->evidence[res->n_evidence++], CHECK_LINE_MAX, fmt, ap);
	va_end(ap);
}

void check_set(struct check_result *res, enum check_status s, const char *fmt, ...)
{
	va_list ap;

	/* fail outranks unknown outranks pass; the first reason of the winning status stays. */
	if (s == CHECK_PASS || s == res->status ||
	    (s == CHECK_UNKNOWN && res->status == CHECK_FAIL))
		return;
	res->status = s;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

int check_path(const char *root, const char *p, char *buf, size_t size)
{
	size_t len = strlen(root);
	int n;

	/* "/" + "/etc/x" is "/etc/x", "/tmp/t/" + "/etc/x" is "/tmp/t/etc/x". */
	while (len > 0 && root[len - 1] == '/')
		len--;
	n = snprintf(buf, size, "%.*s%s", (int)len, root, p);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int check_read(const char *root, const char *p, char *buf, size_t size)
{
	char path[4096];
	int r;

	r = check_path(root, p, path, sizeof(path));
	if (r < 0)
		return r;
	return read_small_file(path, buf, size);
}

const struct policy_param *check_param(const policy_rule *rule, const char *name)
{
	return rule ? policy_rule_param(rule, name) : NULL;
}

bool check_param_bool(const policy_rule *rule, const char *name, bool def)
{
	const struct policy_param *p = check_param(rule, name);

	return p && p->type == POLICY_PARAM_BOOL ? p->boolean : def;
}

unsigned long long check_param_number(const policy_rule *rule, const char *name,
				      unsigned long long def)
{
	const struct policy_param *p = check_param(rule, name);

	return p && p->type == POLICY_PARAM_NUMBER ? p->number : def;
}

const char *check_param_string(const policy_rule *rule, const char *name, const char *def)
{
	const struct policy_param *p = check_param(rule, name);

	return p && p->type == POLICY_PARAM_STRING ? p->string : def;
}

int check_version_compare(const char *a, const char *b)
{
	for (;;) {
		unsigned long x, y;
		char *ea, *eb;
		bool da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';

		if (!da && !db)
			return 0;
		/* "6.1" against "6.1.2": a missing part counts 0. */
		x = da ? strtoul(a, &ea, 10) : 0;
		y = db ? strtoul(b, &eb, 10) : 0;
		if (x != y)
			return x < y ? -1 : 1;
		a = da ? ea : a;
		b = db ? eb : b;
		a += *a == '.' && a[1] >= '0' && a[1] <= '9';
		b += *b == '.' && b[1] >= '0' && b[1] <= '9';
		if (!(*a >= '0' && *a <= '9') && !(*b >= '0' && *b <= '9'))
			return 0;
	}
}

const char *check_printable(char *buf, size_t size, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}
