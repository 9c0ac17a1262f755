// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The device posture checks on fixture trees (tests/fixtures/rootfs-checks/:
 * pass, fail and unknown for every check), with the telework baseline's
 * parameters and with the defaults, and on this machine's "/".  Also check
 * rules in the policy language.  Run from the top of the tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "postured/checks/checks.h"
#include "postured/checks/gvdb.h"
#include "postured/checks/nft_ruleset.h"
#include "fixtures.h"

#define ROOTS	 "tests/fixtures/rootfs-checks"
#define BASELINE "policy/baselines/telework.json"

static policy *baseline;

static int setup(void **state)
{
	char path[256];
	struct timespec ts[2] = { { .tv_nsec = UTIME_NOW }, { .tv_nsec = UTIME_NOW } };

	baseline = fixture_policy_load(BASELINE);
	/* Git keeps no modification times: set the stamps the update check reads. */
	snprintf(path, sizeof(path), "%s/pass/var/lib/apt/periodic/unattended-upgrades-stamp",
		 ROOTS);
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		return -1;
	ts[1] = (struct timespec){ .tv_sec = time(NULL) - 30 * 86400 };
	snprintf(path, sizeof(path), "%s/fail/var/lib/apt/periodic/unattended-upgrades-stamp",
		 ROOTS);
	return utimensat(AT_FDCWD, path, ts, 0) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	baseline = policy_unref(baseline);
	return 0;
}

/* The baseline rule running check, or NULL (required_services is company-specific). */
static const policy_rule *baseline_rule(const char *check)
{
	for (size_t i = 0; i < policy_rule_count(baseline); i++) {
		const policy_rule *r = policy_rule_at(baseline, i);
		const char *c = policy_rule_check_name(r);

		if (c && strcmp(c, check) == 0)
			return r;
	}
	return NULL;
}

/* The baseline rule running check, so that the shipped parameters are what is tested. */
static const policy_rule *rule_for(const char *check)
{
	const policy_rule *r = baseline_rule(check);

	if (!r)
		fail_msg("no baseline rule runs %s", check);
	return r;
}

static void expect(const char *tree, const char *check, bool defaults, enum check_status want,
		   const char *reason, const char *evidence)
{
	struct check_result res;
	char root[256], what[256];

	snprintf(root, sizeof(root), "%s/%s", ROOTS, tree);
	assert_int_equal(checks_run(check, root, defaults ? NULL : rule_for(check), &res), 0);
	if (res.status != want) {
		snprintf(what, sizeof(what), "%s on %s", check, tree);
		fixture_check_dump(what, &res);
	}
	assert_int_equal(res.status, want);
	if (want == CHECK_PASS)
		assert_string_equal(res.reason, "");
	else
		assert_true(strlen(res.reason) > 0);
	if (reason && !strstr(res.reason, reason))
		fail_msg("%s on %s: reason \"%s\" lacks \"%s\"", check, tree, res.reason, reason);
	if (evidence && !fixture_check_has_evidence(&res, evidence))
		fail_msg("%s on %s: no evidence \"%s\"", check, tree, evidence);
}

static void test_disk_encryption(void **state)
{
	/* LVM on LUKS: / and /home are LVs whose slave is the crypt device; swap too. */
	expect("pass", "disk_encryption", false, CHECK_PASS, NULL,
	       "dm-0 is a dm-crypt device (CRYPT-LUKS2)");
	expect("pass", "disk_encryption", false, CHECK_PASS, NULL,
	       "dm-1 (LVM) sits on encrypted devices only");
	expect("pass", "disk_encryption", true, CHECK_PASS, NULL, "dm-3 (LVM)");
	expect("fail", "disk_encryption", false, CHECK_FAIL, "/ is not on an encrypted disk",
	       "sda2 is a plain disk or partition, not encrypted");
	expect("fail", "disk_encryption", false, CHECK_FAIL, NULL, "sda3 is a plain disk");
	expect("unknown", "disk_encryption", false, CHECK_UNKNOWN, "overlay filesystem", NULL);
	/* No tree at all: nothing to read. */
	expect("missing", "disk_encryption", true, CHECK_UNKNOWN, "proc/self/mountinfo", NULL);
}

static void test_os_version(void **state)
{
	expect("pass", "os_version", false, CHECK_PASS, NULL,
	       "debian 12 is at least the minimum 12");
	expect("fail", "os_version", false, CHECK_FAIL, "end of support", "kernel 4.19.0-27-amd64");
	expect("unknown", "os_version", false, CHECK_UNKNOWN, "no VERSION_ID", NULL);
	/* Without parameters there is nothing to fail on. */
	expect("fail", "os_version", true, CHECK_PASS, NULL, "ID=debian, VERSION_ID=10");
	expect("missing", "os_version", true, CHECK_UNKNOWN, "etc/os-release", NULL);
}

static void test_ssh_server(void **state)
{
	/* First value wins, Include'd files in place, Match blocks skipped. */
	expect("pass", "ssh_server", false, CHECK_PASS, NULL,
	       "PermitRootLogin no (etc/ssh/sshd_config.d/20-root.conf:1)");
	expect("pass", "ssh_server", false, CHECK_PASS, NULL, "Match block skipped");
	/* An Include before the "no" re-enables password logins. */
	expect("fail", "ssh_server", false, CHECK_FAIL, "PasswordAuthentication yes",
	       "etc/ssh/sshd_config.d/50-cloud-init.conf:2");
	expect("unknown", "ssh_server", false, CHECK_UNKNOWN, "etc/ssh/sshd_config", NULL);
	expect("missing", "ssh_server", true, CHECK_PASS, NULL, "not installed");
}

static void test_automatic_updates(void **state)
{
	expect("pass", "automatic_updates", false, CHECK_PASS, NULL, "last run 0 day(s) ago");
	expect("fail", "automatic_updates", false, CHECK_FAIL, "last ran 30 days ago", NULL);
	expect("unknown", "automatic_updates", false, CHECK_UNKNOWN, "neither apt nor dnf", NULL);
}

static void test_secure_boot(void **state)
{
	expect("pass", "secure_boot", false, CHECK_PASS, NULL, "kernel lockdown: integrity");
	expect("fail", "secure_boot", false, CHECK_FAIL, "Secure Boot is off",
	       "EFI variable SecureBoot = 0");
	expect("unknown", "secure_boot", false, CHECK_UNKNOWN, "sys/firmware", NULL);
}

static void test_usb_storage(void **state)
{
	expect("pass", "usb_storage", false, CHECK_PASS, NULL, "install usb-storage");
	expect("fail", "usb_storage", false, CHECK_FAIL, "no modprobe.d file", "is loaded");
	expect("unknown", "usb_storage", false, CHECK_UNKNOWN, "proc/modules", "blacklist");
}

/* Firewall trees: tests/fixtures/rootfs-checks/firewall/regen made their rulesets with nft. */
static void test_firewall(void **state)
{
	expect("firewall/drop", "firewall", false, CHECK_PASS, NULL,
	       "input chain inet filter input (priority 0, 6 rules): drops what no rule accepts: "
	       "policy drop");
	expect("firewall/accept", "firewall", false, CHECK_FAIL,
	       "let through by default: inet filter input (policy accept, no rule without "
	       "conditions ends the chain)",
	       "3 chain(s), 3 rule(s)");
	expect("firewall/no-input", "firewall", false, CHECK_FAIL, "has no input chain",
	       "2 chain(s), 2 rule(s)");
	expect("firewall/ipv4-only", "firewall", false, CHECK_FAIL,
	       "IPv4 input is filtered, but IPv6 input is not", "ip filter INPUT");
	/* A jump without conditions to a chain that accepts everything undoes the drop. */
	expect("firewall/accept-all-jump", "firewall", false, CHECK_FAIL,
	       "rule 1 of chain allow_home has no conditions and says accept", NULL);
	expect("firewall/ufw", "firewall", false, CHECK_PASS, NULL,
	       "ufw is enabled and loaded (chain ufw-before-logging-input), default input "
	       "policy DROP");
	expect("firewall/ufw", "firewall", false, CHECK_PASS, NULL, "ip6 filter INPUT");
	expect("firewall/ufw-not-loaded", "firewall", false, CHECK_FAIL,
	       "ufw is enabled but its rules are not loaded", "none of its chains");
	/* Policy accept, but the final reject of firewalld's chains, reached through a jump. */
	expect("firewall/firewalld", "firewall", false, CHECK_PASS, NULL,
	       "rule 6 of chain filter_INPUT_POLICIES has no conditions and says reject");
	expect("firewall/firewalld", "firewall", false, CHECK_PASS, NULL,
	       "default zone public has target default");
	expect("firewall/unparsable", "firewall", false, CHECK_UNKNOWN,
	       "run/postured-test/nft-ruleset.json could not be read: line 15, column 15: "
	       "lexical error",
	       NULL);
	expect("missing", "firewall", true, CHECK_UNKNOWN,
	       "run/postured-test/nft-ruleset.json cannot be read", NULL);
}

static struct nft_ruleset *parse_ruleset(const char *text, int want, const char *err_part)
{
	struct nft_ruleset *rs = NULL;
	char err[256] = "";
	int r = nft_ruleset_parse(text, strlen(text), &rs, err, sizeof(err));

	if (r != want)
		fail_msg("parsing %.60s: %d (%s), not %d", text, r, err, want);
	if (err_part && !strstr(err, err_part))
		fail_msg("parsing %.60s: \"%s\" lacks \"%s\"", text, err, err_part);
	return rs;
}

static void test_nft_ruleset(void **state)
{
	static const char loop[] =
		"{\"nftables\": [{\"chain\": {\"family\": \"inet\", \"table\": \"t\", "
		"\"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, "
		"\"policy\": \"drop\"}}, {\"rule\": {\"family\": \"inet\", \"table\": \"t\", "
		"\"chain\": \"in\", \"expr\": [{\"jump\": {\"target\": \"a\"}}]}}, "
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"a\", "
		"\"expr\": [{\"counter\": null}, {\"goto\": {\"target\": \"in\"}}]}}]}";
	static const char cond[] =
		"{\"nftables\": [{\"rule\": {\"family\": \"ip\", \"table\": \"t\", "
		"\"chain\": \"in\", \"expr\": [{\"limit\": {\"rate\": 1}}, {\"accept\": null}]}}, "
		"{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"in\", "
		"\"type\": \"filter\", \"hook\": \"input\", \"prio\": -5, \"policy\": \"drop\"}}]}";
	struct nft_input_chain c;
	struct nft_ruleset *rs;
	char deep[300];

	/* A chain that jumps back to itself cannot be followed: unknown, not a pass. */
	rs = parse_ruleset(loop, 0, NULL);
	assert_int_equal(nft_ruleset_input_chain(rs, 0, &c), 0);
	assert_int_equal(c.fate, NFT_FATE_UNKNOWN);
	assert_int_equal(nft_ruleset_input_chain(rs, 1, &c), -ENOENT);
	nft_ruleset_free(rs);
	/* A rate-limited accept has a condition; the rule may come before its chain. */
	rs = parse_ruleset(cond, 0, NULL);
	assert_int_equal(nft_ruleset_input_chain(rs, 0, &c), 0);
	assert_int_equal(c.fate, NFT_FATE_DROP);
	assert_int_equal(c.prio, -5);
	assert_int_equal(c.n_rules, 1);
	nft_ruleset_free(rs);

	parse_ruleset("", -EINVAL, "line 1, column 1: premature EOF");
	parse_ruleset("{\"nftables\": [\n{\"table\": ", -EINVAL, "line 2, column 10");
	parse_ruleset("[]", -EINVAL, "an array, not an object");
	parse_ruleset("{\"nftables\": 5}", -EINVAL, "not a ruleset");
	parse_ruleset("{\"nftables\": [{\"rule\": {\"family\": \"ip\", \"expr\": []}}]}", -EINVAL,
		      "a rule without its family, table or chain");
	parse_ruleset("{\"nftables\": [{\"table\": {\"name\": \"a\\u0000b\"}}]}", -EINVAL,
		      "\\u0000");
	memset(deep, '[', sizeof(deep) - 1);
	deep[0] = '{';
	deep[1] = '"';
	deep[2] = 'x';
	deep[3] = '"';
	deep[4] = ':';
	deep[sizeof(deep) - 1] = '\0';
	parse_ruleset(deep, -E2BIG, "deeper than 64");
	{
		struct nft_ruleset *big = NULL;
		char err[128];

		assert_int_equal(nft_ruleset_parse("{}", NFT_RULESET_SIZE_MAX + 1, &big, err,
						   sizeof(err)),
				 -E2BIG);
	}
}

static void test_screen_lock(void **state)
{
	/* IT's locked 10 minutes in etc/dconf/db/local override the user's "never". */
	expect("screen_lock/gnome-pass", "screen_lock", false, CHECK_PASS, NULL,
	       "session 2 (alice, GNOME, wayland): lock-enabled true (local, locked), idle-delay "
	       "600 s (local, locked), lock-delay 30 s (user's dconf)");
	expect("screen_lock/gnome-pass", "screen_lock", false, CHECK_PASS, NULL,
	       "the screen locks after 10 min 30 s idle");
	expect("screen_lock/gnome-lock-off", "screen_lock", false, CHECK_FAIL,
	       "automatic screen lock is off for alice (session 3, GNOME: "
	       "org.gnome.desktop.screensaver lock-enabled is false)",
	       NULL);
	expect("screen_lock/gnome-idle-0", "screen_lock", false, CHECK_FAIL,
	       "org.gnome.desktop.session idle-delay is 0", "idle-delay 0 s (user's dconf)");
	expect("screen_lock/gnome-corrupt", "screen_lock", false, CHECK_UNKNOWN,
	       "~/.config/dconf/user of alice (session 3) is damaged at byte 16", NULL);
	/* No dconf database at all: GNOME's defaults, 5 minutes. */
	expect("screen_lock/gnome-defaults", "screen_lock", false, CHECK_PASS, NULL,
	       "idle-delay 300 s (GNOME's default)");
	/* The system's immutable Timeout wins over the user's 60. */
	expect("screen_lock/kde-pass", "screen_lock", false, CHECK_PASS, NULL,
	       "Timeout 10 min (etc/xdg/kscreenlockerrc)");
	expect("screen_lock/kde-fail", "screen_lock", false, CHECK_FAIL,
	       "locks only after 30 min 5 s idle (Timeout 30 min + LockGrace 5 s), more than 15 "
	       "min",
	       "LockOnResume false");
	expect("screen_lock/other-de", "screen_lock", false, CHECK_UNKNOWN,
	       "runs the desktop \"XFCE\"", NULL);
	expect("screen_lock/no-session", "screen_lock", false, CHECK_UNKNOWN,
	       "no active graphical session", NULL);
	expect("missing", "screen_lock", true, CHECK_UNKNOWN, "run/systemd/sessions", NULL);
}

static int gvdb_poke(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "/org/gnome/desktop/session/idle-delay",
					    "/org/gnome/desktop/screensaver/lock-enabled",
					    "/org/gnome/desktop/screensaver/lock-delay",
					    "/org/gnome/desktop/interface/color-scheme",
					    "/",
					    "" };
	struct gvdb_table t, locks;
	struct gvdb_error err;
	int r = gvdb_open(data, size, &t, &err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct gvdb_value v;

		r = gvdb_table_get_value(&t, keys[i], &v, &err);
		assert_true(r == 0 || r == -ENOENT || r == -EBADMSG);
		r = gvdb_table_has_value(&t, keys[i], &err);
		assert_true(r == 0 || r == 1 || r == -EBADMSG);
	}
	r = gvdb_table_get_table(&t, ".locks", &locks, &err);
	assert_true(r == 0 || r == -ENOENT || r == -EBADMSG);
	if (r == 0)
		assert_true(gvdb_table_has_value(&locks, keys[0], &err) >= -EBADMSG);
	return 0;
}

/* Real databases from `dconf compile`, then every prefix of one and every byte changed. */
static void test_gvdb(void **state)
{
	static const char user[] = ROOTS "/screen_lock/gnome-pass/home/alice/.config/dconf/user";
	static const char local[] = ROOTS "/screen_lock/gnome-pass/etc/dconf/db/local";
	uint8_t data[4096], copy[4096];
	struct gvdb_table t, locks;
	struct gvdb_error err;
	struct gvdb_value v;
	FILE *f;
	size_t n;

	f = fopen(user, "rb");
	assert_non_null(f);
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	assert_true(n > 24 && n < sizeof(data));
	assert_int_equal(gvdb_open(data, n, &t, &err), 0);
	assert_int_equal(
		gvdb_table_get_value(&t, "/org/gnome/desktop/screensaver/lock-delay", &v, &err), 0);
	assert_int_equal(v.type, 'u');
	assert_int_equal(v.number, 30);
	assert_int_equal(
		gvdb_table_get_value(&t, "/org/gnome/desktop/session/idle-delay", &v, &err), 0);
	assert_int_equal(v.number, 0);
	assert_int_equal(gvdb_table_get_value(&t, "/org/gnome/desktop/screensaver/lock-enabled", &v,
					      &err),
			 0);
	assert_true(v.type == 'b' && v.boolean);
	/* A string is read as its type only. */
	assert_int_equal(
		gvdb_table_get_value(&t, "/org/gnome/desktop/interface/color-scheme", &v, &err), 0);
	assert_int_equal(v.type, 0);
	assert_string_equal(v.type_string, "s");
	/* A directory is a list, not a value; a key's last part alone is not the key. */
	assert_int_equal(gvdb_table_get_value(&t, "/org/gnome/", &v, &err), -ENOENT);
	assert_int_equal(gvdb_table_get_value(&t, "lock-delay", &v, &err), -ENOENT);
	assert_int_equal(gvdb_table_get_table(&t, ".locks", &locks, &err), -ENOENT);

	for (size_t len = 0; len < n; len++)
		memcpy(copy, data, len), gvdb_poke(copy, len);
	for (size_t i = 0; i < n; i++) {
		static const uint8_t with[] = { 0x00, 0xff, 0x01, 0x80, 0x7f };

		for (size_t k = 0; k < sizeof(with); k++) {
			memcpy(copy, data, n);
			copy[i] = k < 2 ? with[k] : (uint8_t)(data[i] ^ with[k]);
			gvdb_poke(copy, n);
		}
	}
	assert_int_equal(gvdb_open(data, 23, &t, &err), -EBADMSG);
	assert_string_equal(err.what, "23 bytes, shorter than the 24-byte header");

	f = fopen(local, "rb");
	assert_non_null(f);
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	assert_int_equal(gvdb_open(data, n, &t, &err), 0);
	assert_int_equal(gvdb_table_get_table(&t, ".locks", &locks, &err), 0);
	assert_int_equal(
		gvdb_table_has_value(&locks, "/org/gnome/desktop/session/idle-delay", &err), 1);
	assert_int_equal(
		gvdb_table_has_value(&locks, "/org/gnome/desktop/screensaver/lock-delay", &err), 0);
}

/* screen_lock's max_idle_minutes is 1 to 60; firewall takes no parameters. */
static void test_policy_new_check_params(void **state)
{
	static const char head[] = "{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", "
				   "\"type\": \"check\", \"title\": \"t\", \"severity\": \"low\", ";
	static const char tail[] = ", \"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": "
				   "\"r\"}}]}";
	static const struct {
		const char *rule;
		const char *error; /* NULL: valid */
	} cases[] = {
		{ "\"check\": \"screen_lock\", \"params\": {\"max_idle_minutes\": 5}", NULL },
		{ "\"check\": \"screen_lock\", \"params\": {\"max_idle_minutes\": 61}",
		  "\"max_idle_minutes\" is 61; expected a whole number from 1 to 60" },
		{ "\"check\": \"screen_lock\", \"params\": {\"max_idle_minutes\": 0}",
		  "\"max_idle_minutes\" is 0" },
		{ "\"check\": \"firewall\"", NULL },
		{ "\"check\": \"firewall\", \"params\": {\"strict\": true}",
		  "the check \"firewall\" takes no parameters" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_errors *errors = policy_errors_new();
		char text[1024], *msg = NULL;
		policy *p = NULL;
		int r;

		assert_non_null(errors);
		snprintf(text, sizeof(text), "%s%s%s", head, cases[i].rule, tail);
		r = policy_parse("inline.json", text, strlen(text), errors, &p);
		if (!cases[i].error) {
			assert_int_equal(r, 0);
			policy_unref(p);
		} else {
			assert_true(r < 0);
			assert_true(policy_errors_count(errors) > 0);
			assert_int_equal(policy_error_format(policy_errors_get(errors, 0), &msg),
					 0);
			if (!strstr(msg, cases[i].error))
				fail_msg("\"%s\" lacks \"%s\"", msg, cases[i].error);
			free(msg);
		}
		policy_errors_free(errors);
	}
}

/*
 * Time sync below a root other than "/" without a bus there: the file
 * systemd-timesyncd touches on synchronising, and which time service is
 * enabled.  tests/checks_bus/ asks timedated on a private bus.
 */
static void test_time_sync(void **state)
{
	expect("pass", "time_sync", false, CHECK_PASS, NULL,
	       "run/systemd/timesync/synchronized: systemd-timesyncd last synchronised the clock");
	expect("pass", "time_sync", false, CHECK_PASS, NULL,
	       "systemd-timesyncd is enabled "
	       "(etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service)");
	expect("fail", "time_sync", false, CHECK_FAIL, "no time synchronisation service is enabled",
	       "timedated: no system bus to ask: tests/fixtures/rootfs-checks/fail/run/dbus/"
	       "system_bus_socket");
	expect("unknown", "time_sync", false, CHECK_UNKNOWN,
	       "chrony is enabled, but whether it has synchronised the clock cannot be read from "
	       "files (chrony has no D-Bus interface)",
	       "chrony is enabled (etc/systemd/system/multi-user.target.wants/chrony.service)");
	expect("missing", "time_sync", true, CHECK_UNKNOWN, "no systemd configuration", NULL);
}

/* Required services without a bus: unknown, saying where it looked.  The rest: tests/checks_bus/. */
static void test_required_services(void **state)
{
	static const char text[] =
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": \"check\", "
		"\"title\": \"t\", \"severity\": \"low\", \"check\": \"required_services\", "
		"\"params\": {\"units\": [\"openvpn-client@work.service\", \"-.mount\", "
		"\"falcon-sensor.service\"]}, \"message\": {\"en\": \"m\"}, "
		"\"remediation\": {\"en\": \"r\"}}]}";
	const struct policy_param *units;
	struct check_result res;
	policy *p = NULL;

	assert_int_equal(policy_parse("inline.json", text, strlen(text), NULL, &p), 0);
	units = policy_rule_param(policy_rule_at(p, 0), "units");
	assert_non_null(units);
	assert_int_equal(units->n, 3);
	assert_string_equal(units->values[1], "-.mount");
	assert_int_equal(checks_run("required_services", ROOTS "/pass", policy_rule_at(p, 0), &res),
			 0);
	assert_int_equal(res.status, CHECK_UNKNOWN);
	assert_string_equal(res.reason, "systemd cannot be asked: no system bus to ask: "
					"tests/fixtures/rootfs-checks/pass/run/dbus/"
					"system_bus_socket: No such file or directory");
	/* Nothing required, nothing to ask. */
	expect("missing", "required_services", true, CHECK_PASS, NULL, "names no units");
	policy_unref(p);
}

/* On this build machine: every check says pass or fail, or unknown with a reason. */
static void test_this_machine(void **state)
{
	for (size_t i = 0; i < checks_count(); i++) {
		struct check_result res;

		assert_int_equal(checks_run(checks_at(i)->name, "/", NULL, &res), 0);
		if (res.status == CHECK_PASS)
			assert_string_equal(res.reason, "");
		else
			assert_true(strlen(res.reason) > 0);
		assert_int_equal(checks_run(checks_at(i)->name, NULL,
					    baseline_rule(checks_at(i)->name), &res),
				 0);
		assert_true(res.status == CHECK_PASS || strlen(res.reason) > 0);
	}
}

static void test_registry(void **state)
{
	struct check_result res = { .status = CHECK_FAIL };

	/* The agent runs every check the language knows, under the same names. */
	assert_int_equal(checks_count(), policy_check_name_count());
	for (size_t i = 0; i < checks_count(); i++)
		assert_string_equal(checks_at(i)->name, policy_check_name_at(i));
	assert_null(checks_at(checks_count()));
	assert_null(checks_find("antivirus"));
	/* ret_* written only on success. */
	assert_int_equal(checks_run("antivirus", "/", NULL, &res), -ENOENT);
	assert_int_equal(res.status, CHECK_FAIL);
}

static void test_version_compare(void **state)
{
	assert_true(check_version_compare("6.1.0-18-amd64", "5.15") > 0);
	assert_true(check_version_compare("6.1", "6.10") < 0);
	assert_int_equal(check_version_compare("12", "12.0"), 0);
	assert_true(check_version_compare("22.04", "22.10") < 0);
	assert_true(check_version_compare("4.19.0", "5") < 0);
}

static void test_policy_check_rule(void **state)
{
	static const char text[] =
		"{\"id\": \"p\", \"serial\": 1, \"rules\": [{\"id\": \"r\", \"type\": \"check\", "
		"\"title\": \"t\", \"severity\": \"low\", \"check\": \"os_version\", "
		"\"params\": {\"min_kernel\": \"6.1\", \"min_version\": {\"debian\": \"12\", "
		"\"ubuntu\": \"22.04\"}, \"end_of_support\": [\"debian:10\"]}, "
		"\"message\": {\"en\": \"m\"}, \"remediation\": {\"en\": \"r\"}}]}";
	const struct policy_param *pp;
	const policy_rule *r;
	policy *p = NULL;

	assert_int_equal(policy_parse("inline.json", text, strlen(text), NULL, &p), 0);
	r = policy_rule_at(p, 0);
	assert_int_equal(policy_rule_type(r), POLICY_RULE_CHECK);
	assert_string_equal(policy_rule_check_name(r), "os_version");
	assert_int_equal(policy_rule_param_count(r), 3);
	assert_string_equal(policy_rule_param_at(r, 0)->name, "min_kernel");
	assert_string_equal(policy_rule_param(r, "min_kernel")->string, "6.1");
	pp = policy_rule_param(r, "min_version");
	assert_int_equal(pp->type, POLICY_PARAM_MAP);
	assert_int_equal(pp->n, 2);
	assert_string_equal(pp->keys[1], "ubuntu");
	assert_string_equal(pp->values[1], "22.04");
	pp = policy_rule_param(r, "end_of_support");
	assert_int_equal(pp->type, POLICY_PARAM_LIST);
	assert_string_equal(pp->values[0], "debian:10");
	assert_null(policy_rule_param(r, "nothing"));
	assert_null(policy_rule_param_at(r, 3));
	/* Check rules are never evaluated as process rules. */
	assert_int_equal(policy_rule_count(p), 1);
	assert_int_equal(policy_require_count(p), 0);
	assert_false(policy_rule_kernel_decidable(r));
	assert_null(policy_rule_check_name(policy_rule_at(baseline, 0)));
	policy_unref(p);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disk_encryption),
		cmocka_unit_test(test_os_version),
		cmocka_unit_test(test_ssh_server),
		cmocka_unit_test(test_automatic_updates),
		cmocka_unit_test(test_secure_boot),
		cmocka_unit_test(test_usb_storage),
		cmocka_unit_test(test_firewall),
		cmocka_unit_test(test_nft_ruleset),
		cmocka_unit_test(test_screen_lock),
		cmocka_unit_test(test_gvdb),
		cmocka_unit_test(test_policy_new_check_params),
		cmocka_unit_test(test_time_sync),
		cmocka_unit_test(test_required_services),
		cmocka_unit_test(test_this_machine),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_version_compare),
		cmocka_unit_test(test_policy_check_rule),
	};

	return cmocka_run_group_tests_name("checks", tests, setup, teardown);
}
