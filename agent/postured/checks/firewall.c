// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Firewall: incoming connections that no rule allows are dropped or
 * rejected.  Pass when
 *   - the nftables ruleset has, for IPv4 and for IPv6 (when the kernel has
 *     IPv6), a base chain of type filter on the input hook (family ip, ip6 or
 *     inet; any priority) that drops what no rule accepts: its policy is
 *     drop, or a rule without conditions ends it with drop or reject
 *     (jumps without conditions are followed, so ufw and firewalld chains are
 *     seen through, and so is a rule accepting everything);
 *   - or ufw is enabled (etc/ufw/ufw.conf), its chains are loaded and its
 *     default input policy (etc/default/ufw) is DROP or REJECT;
 *   - or firewalld is configured and running (its table "firewalld" is in
 *     the ruleset, or run/firewalld.pid names a live firewalld), and its
 *     default zone's target is not ACCEPT.
 * On "/" the ruleset is read from the kernel through libnftables (JSON output
 * into a buffer), which needs CAP_NET_ADMIN; below another root it is read
 * from RULESET_FILE, the same JSON saved there, so tests run the same parser.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "basic/cleanup.h"
#include "basic/string-util.h"
#include "checks.h"
#include "nft_ruleset.h"

#define RULESET_REL   "run/postured-test/nft-ruleset.json" /* below the root */
#define RULESET_FILE  "/" RULESET_REL
#define CONF_SIZE_MAX (64 * 1024)
#define EVIDENCE_NAME 64 /* bytes of a table or chain name put into evidence */
#define ZONE_NAME_MAX 64
#define ZONE_SIZE_MAX (64 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ruleset *, nft_ruleset_free);

static bool is_root_dir(const char *root)
{
	return root[strspn(root, "/")] == '\0';
}

static bool have_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d) < 0)
		return true; /* let libnftables say */
	return d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

/*
 * The live ruleset as JSON, from libnftables.  Returns 0 and a copy in *ret,
 * or -errno with the reason in res (unknown).
 */
static int ruleset_live(char **ret, size_t *ret_len, struct check_result *res)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;
	const char *out, *err;
	size_t len;
	char *copy;
	int r;

	/* Without it the kernel refuses every nfnetlink request; do not even ask. */
	if (!have_net_admin()) {
		check_set(res, CHECK_UNKNOWN,
			  "reading the nftables ruleset needs CAP_NET_ADMIN, which this process "
			  "does not have");
		return -EPERM;
	}
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
		return -ENOMEM;
	errno = 0;
	r = nft_run_cmd_from_buffer(ctx, "list ruleset");
	if (r != 0) {
		int e = errno ? errno : EIO;
		char msg[160];

		err = nft_ctx_get_error_buffer(ctx);
		check_printable(msg, sizeof(msg), err ? err + strspn(err, " \n") : "", 150);
		msg[strcspn(msg, "?")] = '\0'; /* the first line */
		if (e == EPERM || e == EACCES)
			check_set(res, CHECK_UNKNOWN,
				  "reading the nftables ruleset needs CAP_NET_ADMIN: %s", msg);
		else
			check_set(res, CHECK_UNKNOWN, "libnftables could not list the ruleset: %s",
				  *msg ? msg : strerror(e));
		return -e;
	}
	out = nft_ctx_get_output_buffer(ctx);
	len = out ? strlen(out) : 0;
	if (len > NFT_RULESET_SIZE_MAX) {
		check_set(res, CHECK_UNKNOWN,
			  "the nftables ruleset is %zu bytes of JSON, more than the %d this check "
			  "reads",
			  len, NFT_RULESET_SIZE_MAX);
		return -E2BIG;
	}
	copy = strndup(out ? out : "", len);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	*ret_len = len;
	return 0;
}

/* The saved ruleset below a root other than "/". */
static int ruleset_file(const char *root, char **ret, size_t *ret_len, struct check_result *res)
{
	_cleanup_free_ char *buf = malloc(NFT_RULESET_SIZE_MAX + 2);
	int r;

	if (!buf)
		return -ENOMEM;
	r = check_read(root, RULESET_FILE, buf, NFT_RULESET_SIZE_MAX + 2);
	if (r < 0) {
		check_set(
			res, CHECK_UNKNOWN,
			"the saved ruleset %s cannot be read (the live one is read for the root / "
			"only): %s",
			RULESET_REL, strerror(-r));
		return r;
	}
	if (r > NFT_RULESET_SIZE_MAX) {
		check_set(res, CHECK_UNKNOWN, "%s is larger than the %d bytes this check reads",
			  RULESET_REL, NFT_RULESET_SIZE_MAX);
		return -E2BIG;
	}
	*ret_len = (size_t)r;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* Reads and parses the ruleset; NULL in *ret (and unknown in res) when it cannot. */
static int ruleset_load(const char *root, struct nft_ruleset **ret, struct check_result *res)
{
	_cleanup_free_ char *text = NULL;
	const char *where = is_root_dir(root) ? "the nftables ruleset" : RULESET_REL;
	size_t len = 0;
	char err[256];
	int r;

	*ret = NULL;
	r = is_root_dir(root) ? ruleset_live(&text, &len, res) :
				ruleset_file(root, &text, &len, res);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	r = nft_ruleset_parse(text, len, ret, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		char msg[256];

		check_set(res, CHECK_UNKNOWN, "%s could not be read: %s", where,
			  check_printable(msg, sizeof(msg), err, 200));
		return 0;
	}
	check_evidence(res, "%s: %zu chain(s), %zu rule(s)", where, nft_ruleset_n_chains(*ret),
		       nft_ruleset_n_rules(*ret));
	return 0;
}

/* ---- nftables ------------------------------------------------------------------ */

struct coverage {
	bool v4, v6;
	size_t n_chains;
	char first_open
		[CHECK_LINE_MAX]; /* the first chain that lets everything through, for the reason */
	bool unknown;
};

static void check_chains(const struct nft_ruleset *rs, struct coverage *cov,
			 struct check_result *res)
{
	struct nft_input_chain c;

	for (size_t i = 0; nft_ruleset_input_chain(rs, i, &c) == 0; i++) {
		char table[EVIDENCE_NAME + 1], name[EVIDENCE_NAME + 1], why[sizeof(c.why)];
		const char *verdict;

		check_printable(table, sizeof(table), c.table, EVIDENCE_NAME);
		check_printable(name, sizeof(name), c.name, EVIDENCE_NAME);
		check_printable(why, sizeof(why), c.why, sizeof(why));
		cov->n_chains++;
		switch (c.fate) {
		case NFT_FATE_DROP:
			verdict = "drops what no rule accepts";
			cov->v4 |= strcmp(c.family, "ip6") != 0;
			cov->v6 |= strcmp(c.family, "ip") != 0;
			break;
		case NFT_FATE_ACCEPT:
			verdict = "lets through what no rule drops";
			if (!*cov->first_open)
				snprintf(cov->first_open, sizeof(cov->first_open),
					 "%s %s %s (%.150s)", c.family, table, name, why);
			break;
		case NFT_FATE_OTHER:
			verdict = "queues what no rule decides to a program";
			break;
		default:
			verdict = "cannot be followed";
			cov->unknown = true;
			break;
		}
		check_evidence(res, "input chain %s %s %s (priority %lld, %u rules): %s: %s",
			       c.family, table, name, c.prio, c.n_rules, verdict, why);
	}
}

/* Whether the kernel (of this root) has IPv6 on. */
static bool ipv6_on(const char *root)
{
	char buf[16];

	if (check_read(root, "/proc/sys/net/ipv6/conf/all/disable_ipv6", buf, sizeof(buf)) < 0)
		return false;
	return buf[0] != '1';
}

/* ---- ufw and firewalld ------------------------------------------------------- */

/* ufw: 1 on and blocking, 0 not, with evidence; *enabled says whether ufw.conf enables it. */
static int check_ufw(const char *root, const struct nft_ruleset *rs, bool *enabled,
		     struct check_result *res)
{
	_cleanup_free_ char *text = malloc(CONF_SIZE_MAX);
	char value[32], in_policy[32] = "DROP";
	const char *chain;
	int r;

	*enabled = false;
	if (!text)
		return -ENOMEM;
	r = check_read(root, "/etc/ufw/ufw.conf", text, CONF_SIZE_MAX);
	if (r < 0)
		return 0; /* not installed */
	*enabled = env_file_value(text, "ENABLED", value, sizeof(value)) &&
		   strcmp(value, "yes") == 0;
	if (!*enabled) {
		check_evidence(res, "ufw is installed but not enabled (etc/ufw/ufw.conf)");
		return 0;
	}
	if (check_read(root, "/etc/default/ufw", text, CONF_SIZE_MAX) >= 0)
		env_file_value(text, "DEFAULT_INPUT_POLICY", in_policy, sizeof(in_policy));
	chain = rs ? nft_ruleset_chain_with_prefix(rs, "ufw-") : NULL;
	if (!chain && rs)
		chain = nft_ruleset_chain_with_prefix(rs, "ufw6-");
	if (!chain) {
		check_evidence(res, "ufw is enabled in etc/ufw/ufw.conf, but %s",
			       rs ? "none of its chains (ufw-...) is in the nftables ruleset" :
				    "the ruleset could not be read to see it loaded");
		return 0;
	}
	check_evidence(res, "ufw is enabled and loaded (chain %.64s), default input policy %s",
		       chain, in_policy);
	return strcmp(in_policy, "DROP") == 0 || strcmp(in_policy, "REJECT") == 0;
}

static bool zone_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < ZONE_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* The target="..." of a zone file's <zone> element into buf; "default" when not given. */
static int zone_target(const char *root, const char *zone, char *buf, size_t size)
{
	static const char *const dirs[] = { "/etc/firewalld/zones", "/usr/lib/firewalld/zones" };
	_cleanup_free_ char *text = malloc(ZONE_SIZE_MAX);
	int r = -ENOENT;

	if (!text)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(dirs) && r == -ENOENT; i++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/%s.xml", dirs[i], zone);
		r = check_read(root, p, text, ZONE_SIZE_MAX);
	}
	if (r < 0)
		return r;
	snprintf(buf, size, "default");
	for (const char *z = strstr(text, "<zone"); z; z = NULL) {
		const char *end = strchr(z, '>'), *t = strstr(z, "target=");

		if (t && (!end || t < end) && (t[7] == '"' || t[7] == '\''))
			snprintf(buf, size, "%.*s", (int)MIN(strcspn(t + 8, "\"'>"), size - 1),
				 t + 8);
	}
	return 0;
}

/* firewalld: 1 on and blocking, 0 not (with evidence). */
static int check_firewalld(const char *root, const struct nft_ruleset *rs, struct check_result *res)
{
	_cleanup_free_ char *text = malloc(CONF_SIZE_MAX);
	char zone[ZONE_NAME_MAX] = "public", target[32], buf[64], path[64];
	bool running = false;
	int r;

	if (!text)
		return -ENOMEM;
	r = check_read(root, "/etc/firewalld/firewalld.conf", text, CONF_SIZE_MAX);
	if (r < 0)
		return 0; /* not installed */
	env_file_value(text, "DefaultZone", zone, sizeof(zone));
	if (rs && nft_ruleset_has_table(rs, "firewalld")) {
		running = true;
		check_evidence(res, "firewalld's table is in the nftables ruleset");
	} else if (check_read(root, "/run/firewalld.pid", buf, sizeof(buf)) > 0) {
		long pid = strtol(buf, NULL, 10);

		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		running = pid > 0 && check_read(root, path, buf, sizeof(buf)) > 0 &&
			  strncmp(buf, "firewalld", 9) == 0;
		if (running)
			check_evidence(res, "firewalld is running (pid %ld)", pid);
	}
	if (!running) {
		check_evidence(res, "firewalld is installed but not running");
		return 0;
	}
	if (!zone_name_ok(zone)) {
		check_evidence(res, "firewalld's DefaultZone is not a zone name");
		return 0;
	}
	r = zone_target(root, zone, target, sizeof(target));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		check_evidence(res, "firewalld's default zone %s has no zone file: %s", zone,
			       strerror(-r));
		return 0;
	}
	check_printable(buf, sizeof(buf), target, 31);
	check_evidence(res, "firewalld's default zone %s has target %s", zone, buf);
	return strcmp(target, "ACCEPT") != 0;
}

/* Rules loaded through iptables-legacy are not in the nftables ruleset. */
static bool iptables_legacy(const char *root)
{
	static const char *const files[] = { "/proc/net/ip_tables_names",
					     "/proc/net/ip6_tables_names" };
	char buf[256];

	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (check_read(root, files[i], buf, sizeof(buf)) > 0 && strstr(buf, "filter"))
			return true;
	return false;
}

int check_firewall(const char *root, const policy_rule *rule, struct check_result *res)
{
	_cleanup_(nft_ruleset_freep) struct nft_ruleset *rs = NULL;
	struct coverage cov = {};
	bool v6 = ipv6_on(root), ufw_enabled, nft_ok = false;
	int r, ufw, firewalld;

	r = ruleset_load(root, &rs, res);
	if (r < 0)
		return r;
	if (rs) {
		check_chains(rs, &cov, res);
		nft_ok = cov.v4 && (cov.v6 || !v6);
		if (cov.v4 && !cov.v6 && v6)
			check_evidence(res, "IPv6 is on, and no input chain of family ip6 or inet "
					    "drops by default");
	}
	ufw = check_ufw(root, rs, &ufw_enabled, res);
	if (ufw < 0)
		return ufw;
	firewalld = check_firewalld(root, rs, res);
	if (firewalld < 0)
		return firewalld;
	if (nft_ok || ufw > 0 || firewalld > 0) {
		/* A pass outranks a ruleset that could not be read, when firewalld says enough. */
		if (res->status == CHECK_UNKNOWN)
			check_evidence(res, "not read: %s", res->reason);
		res->status = CHECK_PASS;
		res->reason[0] = '\0';
		return 0;
	}
	if (!rs)
		return 0; /* unknown already, with the reason */
	if (iptables_legacy(root)) {
		check_set(
			res, CHECK_UNKNOWN,
			"iptables-legacy tables are loaded (proc/net/ip_tables_names); their rules "
			"are not in the nftables ruleset this check reads");
		return 0;
	}
	if (cov.unknown) {
		check_set(res, CHECK_UNKNOWN,
			  "an input chain jumps to a chain this check cannot follow");
		return 0;
	}
	if (ufw_enabled)
		check_set(res, CHECK_FAIL,
			  "ufw is enabled but its rules are not loaded, or its default input "
			  "policy lets connections in");
	else if (cov.v4 && v6)
		check_set(res, CHECK_FAIL, "IPv4 input is filtered, but IPv6 input is not");
	else if (*cov.first_open)
		check_set(res, CHECK_FAIL, "incoming connections are let through by default: %s",
			  cov.first_open);
	else if (cov.n_chains)
		check_set(res, CHECK_FAIL, "no input chain drops incoming connections by default");
	else
		check_set(res, CHECK_FAIL,
			  "no firewall filters incoming connections: the nftables ruleset has no "
			  "input chain, and neither ufw nor firewalld is on");
	return 0;
}
