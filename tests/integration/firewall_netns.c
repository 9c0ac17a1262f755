// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The firewall check against the real kernel: each test forks a child that
 * enters a network namespace of its own (unshare(CLONE_NEWNET)), loads a
 * ruleset there through libnftables, runs the check on "/" (so the live
 * path: libnftables' JSON of "list ruleset"), and hands the result back
 * through a pipe.  This machine's own ruleset is never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#include "basic/fileio.h"
#include "postured/checks/checks.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nft_ctx *, nft_ctx_free);

static const char drop_ruleset[] = "table inet filter {\n"
				   "  chain input {\n"
				   "    type filter hook input priority filter; policy drop;\n"
				   "    ct state established,related accept\n"
				   "    iif \"lo\" accept\n"
				   "  }\n"
				   "}\n";

static const char accept_ruleset[] = "table inet filter {\n"
				     "  chain input {\n"
				     "    type filter hook input priority filter; policy accept;\n"
				     "    tcp dport 23 drop\n"
				     "  }\n"
				     "}\n";

static const char reject_ruleset[] =
	"table inet filter {\n"
	"  chain input {\n"
	"    type filter hook input priority filter + 10; policy accept;\n"
	"    ct state established,related accept\n"
	"    jump zones\n"
	"    counter reject with icmpx type admin-prohibited\n"
	"  }\n"
	"  chain zones {\n"
	"    tcp dport 22 accept\n"
	"  }\n"
	"}\n";

static const char ipv4_ruleset[] = "table ip filter {\n"
				   "  chain INPUT {\n"
				   "    type filter hook input priority 0; policy drop;\n"
				   "  }\n"
				   "}\n";

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* In the child: a new network namespace with ruleset (NULL: none) loaded.  Exit status 0 or why. */
static int child_setup(const char *ruleset)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("    unshare(CLONE_NEWNET): %m\n");
		return 10;
	}
	if (!ruleset)
		return 0;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx || nft_ctx_buffer_error(ctx) < 0)
		return 11;
	if (nft_run_cmd_from_buffer(ctx, ruleset) != 0) {
		printf("    libnftables refused the ruleset: %s\n", nft_ctx_get_error_buffer(ctx));
		return 12;
	}
	return 0;
}

/*
 * Runs the firewall check on "/" in a child inside its own network namespace
 * with ruleset loaded, without CAP_NET_ADMIN when drop_cap.  *ipv6 says
 * whether IPv6 is on in that namespace.
 */
static int run_in_netns(const char *ruleset, bool drop_cap, struct check_result *ret, bool *ipv6)
{
	struct {
		struct check_result res;
		bool ipv6;
	} out;
	_cleanup_close_ int rd = -EBADF;
	int fds[2], status;
	size_t have = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0) {
		char buf[8];
		int r;

		close(fds[0]);
		r = child_setup(ruleset);
		if (r)
			_exit(r);
		if (drop_cap && drop_net_admin() < 0)
			_exit(13);
		out.ipv6 = read_small_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", buf,
					   sizeof(buf)) > 0 &&
			   buf[0] == '0';
		if (checks_run("firewall", "/", NULL, &out.res) < 0)
			_exit(14);
		_exit(write(fds[1], &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 15);
	}
	close(fds[1]);
	rd = fds[0];
	while (have < sizeof(out)) {
		ssize_t n = read(rd, (char *)&out + have, sizeof(out) - have);

		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (waitpid(pid, &status, 0) < 0)
		return harness_fail("waitpid: %m");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child in the network namespace failed (status 0x%x)", status);
	CHECK(have == sizeof(out), "the child sent %zu of %zu bytes", have, sizeof(out));
	*ret = out.res;
	*ipv6 = out.ipv6;
	harness_note("%s: %s", check_status_to_string(ret->status),
		     *ret->reason ? ret->reason : "(no reason)");
	for (size_t i = 0; i < ret->n_evidence; i++)
		harness_note("  - %s", ret->evidence[i]);
	return 0;
}

static bool has_evidence(const struct check_result *res, const char *needle)
{
	for (size_t i = 0; i < res->n_evidence; i++)
		if (strstr(res->evidence[i], needle))
			return true;
	return false;
}

/* A ruleset, and what the check must say of it. */
struct ruleset_case {
	const char *ruleset; /* NULL: none at all */
	bool drop_cap; /* without CAP_NET_ADMIN */
	enum check_status want;
	const char *reason; /* what the reason says, or NULL */
	const char *evidence[2]; /* what one evidence each says, up to the first NULL */
};

static int test_ruleset(const void *arg)
{
	const struct ruleset_case *c = arg;
	struct check_result res;
	bool ipv6;

	TRY(run_in_netns(c->ruleset, c->drop_cap, &res, &ipv6));
	CHECK(res.status == c->want, "the check says %s, expected %s: %s",
	      check_status_to_string(res.status), check_status_to_string(c->want), res.reason);
	if (c->reason)
		CHECK(strstr(res.reason, c->reason), "reason: %s", res.reason);
	for (size_t i = 0; i < ELEMENTSOF(c->evidence) && c->evidence[i]; i++)
		CHECK(has_evidence(&res, c->evidence[i]), "no evidence saying \"%s\"",
		      c->evidence[i]);
	return 0;
}

/* IPv4 only fails where IPv6 is on; where it is off, only the pass can be checked. */
static int test_ipv4_only(const void *arg)
{
	struct check_result res;
	bool ipv6;

	TRY(run_in_netns(ipv4_ruleset, false, &res, &ipv6));
	if (!ipv6) {
		CHECK(res.status == CHECK_PASS, "IPv4 only without IPv6 is %s",
		      check_status_to_string(res.status));
		harness_note("IPv6 is off in the namespace: only the pass is checked");
		return 0;
	}
	CHECK(res.status == CHECK_FAIL, "IPv4 only is %s", check_status_to_string(res.status));
	CHECK(strstr(res.reason, "IPv6 input is not"), "reason: %s", res.reason);
	return 0;
}

#define RULESET_CASE(...) (&(const struct ruleset_case){ __VA_ARGS__ })

static const struct harness_test tests[] = {
	HARNESS_TEST("drop_policy_passes", test_ruleset,
		     RULESET_CASE(.ruleset = drop_ruleset, .want = CHECK_PASS,
				  .evidence = { "input chain inet filter input (priority 0, 2 "
						"rules): drops what no rule accepts: policy drop",
						"the nftables ruleset: 1 chain(s), 2 rule(s)" })),
	HARNESS_TEST("accept_policy_fails", test_ruleset,
		     RULESET_CASE(.ruleset = accept_ruleset, .want = CHECK_FAIL,
				  .reason = "let through by default: inet filter input (policy "
					    "accept")),
	HARNESS_TEST(
		"final_reject_through_jump_passes", test_ruleset,
		RULESET_CASE(.ruleset = reject_ruleset, .want = CHECK_PASS,
			     .evidence = { "(priority 10, 3 rules): drops what no rule accepts: "
					   "rule 3 of chain input has no conditions and says "
					   "reject" })),
	HARNESS_TEST("ipv4_only_fails_with_ipv6", test_ipv4_only, NULL),
	HARNESS_TEST("empty_ruleset_fails", test_ruleset,
		     RULESET_CASE(.want = CHECK_FAIL, .reason = "has no input chain")),
	HARNESS_TEST("without_cap_net_admin_unknown", test_ruleset,
		     RULESET_CASE(.ruleset = drop_ruleset, .drop_cap = true, .want = CHECK_UNKNOWN,
				  .reason = "reading the nftables ruleset needs CAP_NET_ADMIN")),
};

HARNESS_MAIN(tests)
