/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Static device posture checks: is the disk encrypted, is the OS supported,
 * is the SSH server locked down...  Each check reads small files below a root
 * directory ("/" on a laptop, a fixture tree in tests), never runs a
 * program and never blocks on anything but reading those files (the checks
 * that ask services over the system bus: a bus call with a deadline, see
 * check_bus.h), and says pass, fail or unknown together with the evidence it
 * relied on.  runner.h runs them with a time bound each.
 *
 * Library code: nothing here logs.  docs/checks.md describes every check.
 */
#ifndef POSTURED_CHECKS_H
#define POSTURED_CHECKS_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "basic/cleanup.h"
#include "policy.h"

enum check_status {
	CHECK_PASS,
	CHECK_FAIL,
	CHECK_UNKNOWN,
};

#define CHECK_EVIDENCE_MAX 24 /* evidence lines kept; more are counted in n_dropped */
#define CHECK_LINE_MAX	   320 /* bytes of the reason and of each evidence line */

struct check_result {
	enum check_status status;
	char reason[CHECK_LINE_MAX]; /* why fail or unknown, in one line; "" on pass */
	size_t n_evidence;
	size_t n_dropped;
	char evidence[CHECK_EVIDENCE_MAX][CHECK_LINE_MAX];
};

/*
 * One check.  run() reads below root (a directory; "/" for this machine),
 * takes its parameters from rule (NULL: the defaults) and fills *result,
 * which the caller has set up with check_result_init().  It returns 0 when
 * the result is filled in, whatever the status; -ENOMEM only.
 */
struct check_info {
	const char *name; /* as in a check rule's "check" */
	const char *summary;
	int (*run)(const char *root, const policy_rule *rule, struct check_result *result);
};

size_t checks_count(void);
const struct check_info *checks_at(size_t i); /* NULL past the end */
const struct check_info *checks_find(const char *name); /* NULL when unknown */

/*
 * Runs the check called name below root (NULL: "/") with rule's parameters.
 * Returns 0 and the result in *ret; -ENOENT for a check this agent does not
 * have, -ENOMEM.
 */
int checks_run(const char *name, const char *root, const policy_rule *rule,
	       struct check_result *ret);

const char *check_status_to_string(enum check_status s); /* "pass", "fail", "unknown" */

/* ---- for the check modules ------------------------------------------------- */

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

void check_result_init(struct check_result *res);
/* Appends one line of evidence. */
void check_evidence(struct check_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Lowers the status to fail (from pass or unknown) or to unknown (from pass
 * only), and keeps the first reason given for that status.
 */
void check_set(struct check_result *res, enum check_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* root joined with the absolute path p into buf; -ENAMETOOLONG. */
int check_path(const char *root, const char *p, char *buf, size_t size);
/* Reads root + p with read_small_file(); returns the byte count or -errno. */
int check_read(const char *root, const char *p, char *buf, size_t size);

/* A parameter of rule, or def when the rule is NULL or does not set it. */
bool check_param_bool(const policy_rule *rule, const char *name, bool def);
unsigned long long check_param_number(const policy_rule *rule, const char *name,
				      unsigned long long def);
const char *check_param_string(const policy_rule *rule, const char *name, const char *def);
/* A list or map parameter, or NULL. */
const struct policy_param *check_param(const policy_rule *rule, const char *name);

/*
 * At most max bytes of s into buf (size bytes), control characters shown as
 * "?": a value read from a file or a service made fit for an evidence line.
 */
const char *check_printable(char *buf, size_t size, const char *s, size_t max);

/* Compares dotted versions numerically ("6.1.0" < "6.10"); stops at the first non-digit part. */
int check_version_compare(const char *a, const char *b);

/* The checks. */
int check_disk_encryption(const char *root, const policy_rule *rule, struct check_result *res);
int check_os_version(const char *root, const policy_rule *rule, struct check_result *res);
int check_ssh_server(const char *root, const policy_rule *rule, struct check_result *res);
int check_automatic_updates(const char *root, const policy_rule *rule, struct check_result *res);
int check_secure_boot(const char *root, const policy_rule *rule, struct check_result *res);
int check_usb_storage(const char *root, const policy_rule *rule, struct check_result *res);
/* The nftables ruleset through libnftables on "/" (CAP_NET_ADMIN), a saved one elsewhere. */
int check_firewall(const char *root, const policy_rule *rule, struct check_result *res);
int check_screen_lock(const char *root, const policy_rule *rule, struct check_result *res);
/* These two ask services over the system bus (check_bus.h) rather than read files. */
int check_required_services(const char *root, const policy_rule *rule, struct check_result *res);
int check_time_sync(const char *root, const policy_rule *rule, struct check_result *res);

#endif
