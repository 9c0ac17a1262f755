// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Network rules through the real daemon in the real kernel (issue #4): each
 * test writes a policy of network rules about 127.0.0.x or ::1 and ports it
 * holds sockets on, starts build/postured --print-events with it, runs
 * uniquely named copies of tests/helpers/net_client, and checks what the
 * kernel did to them (EPERM or not) and the network findings postured
 * printed (docs/events.md) or shows on its status socket (posturectl).
 * Tests that look at one policy from several sides (outbound_*, listen_*,
 * listeners_*) share its sockets and agent through a fixture (harness.h),
 * each named for the one behaviour it checks.
 *
 * The agent attaches its hooks at the cgroup v2 root, so its rules apply to
 * every program on this machine while a test runs: every rule is scoped to
 * an address and a port the test picked, and nothing listens on other than
 * loopback (a bind to 0.0.0.0 is only tried where it is refused).
 *
 * The policy file named in the configuration is a symlink to a file in a
 * directory of its own: the agent watches the configuration's directory, so
 * a new policy is put in force by SIGHUP (or a reload request) alone.
 *
 * "Nothing was reported" is asserted with a marker: a later datagram a
 * report rule matches.  Records come through one ring in the order the
 * kernel made them, so a finding about the earlier call would have come
 * before the marker's.  Needs root; tests/run-integration runs it.
 *
 * This file has the suite's files and agent and its main(); what the tests
 * share is declared in net_enforce.h.  net_enforce_client.c runs the
 * clients, net_enforce_findings.c waits for and checks the findings and the
 * rules' states; the tests are in net_enforce_outbound.c, net_enforce_listen.c
 * (binds and listeners), net_enforce_rules.c (a program's rule, a reload,
 * what a user sees, a client gone) and net_enforce_repeats.c (a storm, the
 * agent between sweeps), whose tables run in that order.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_enforce.h"

/* --- a test's files --------------------------------------------------------------- */

void env_done(struct env *e)
{
	harness_tmpdir_freep(&e->dir);
	harness_tmpdir_freep(&e->pdir);
}

/* Another copy of net_client under a name of its own; *ret is PATH_MAX bytes. */
int env_copy_client(struct env *e, char *ret)
{
	_cleanup_free_ char *path = NULL;

	TRY(harness_unique_copy(e->dir, harness_helper("net_client"), &path));
	snprintf(ret, PATH_MAX, "%s", path);
	return 0;
}

int env_init(struct env *e)
{
	char link[PATH_MAX + 16], text[2 * PATH_MAX];

	*e = (struct env){};
	TRY(harness_tmpdir_new(&e->dir));
	TRY(harness_tmpdir_new(&e->pdir));
	TRY(env_copy_client(e, e->client));
	snprintf(e->policy, sizeof(e->policy), "%s/policy.json", e->pdir);
	snprintf(link, sizeof(link), "%s/policy.json", e->dir);
	if (symlink(e->policy, link) < 0)
		return harness_fail("Cannot create the symlink %s: %m", link);
	snprintf(e->config, sizeof(e->config), "%s/postured.conf", e->dir);
	snprintf(text, sizeof(text), "{ \"policy_file\": \"%s\" }\n", link);
	return harness_write_file(e->config, text);
}

/* Writes the policy (a new file renamed over the old, in the directory nobody watches). */
int env_write_policy(struct env *e, const char *mode, unsigned serial,
		     const struct rule_spec *rules, size_t n)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return harness_fail("Out of memory");
	fprintf(f,
		"{\n\t\"id\": \"%s\",\n\t\"serial\": %u,\n\t\"description\": \"Network rules of "
		"tests/integration/net_enforce.c.\",\n\t\"mode\": \"%s\",\n\t\"rules\": [\n",
		POLICY_ID, serial, mode);
	for (size_t i = 0; i < n; i++) {
		const struct rule_spec *r = &rules[i];

		fprintf(f, "%s\t\t{\n\t\t\t\"id\": \"%s\",\n\t\t\t\"type\": \"network\",\n",
			i ? ",\n" : "", r->id);
		fprintf(f,
			"\t\t\t\"title\": \"Network test rule %s\",\n\t\t\t\"severity\": \"high\",\n",
			r->id);
		if (r->mode)
			fprintf(f, "\t\t\t\"mode\": \"%s\",\n", r->mode);
		fprintf(f, "\t\t\t\"direction\": \"%s\",\n\t\t\t\"protocol\": \"%s\",\n",
			r->direction, r->protocol);
		fprintf(f, "\t\t\t\"match\": { %s },\n", r->match);
		if (r->except)
			fprintf(f, "\t\t\t\"except\": [ %s ],\n", r->except);
		fprintf(f,
			"\t\t\t\"effect\": \"%s\",\n\t\t\t\"message\": { \"en\": \"The network "
			"test's rule matched.\" },\n\t\t\t\"remediation\": { \"en\": \"Nothing to "
			"do: this is a test.\" }\n\t\t}",
			r->effect);
	}
	fprintf(f, "\n\t]\n}\n");
	if (fclose(f) != 0)
		return harness_fail("Cannot build the policy text: %m");
	return harness_replace_file(e->policy, text);
}

/* The inside of a "match" naming a:port, in buf; returns buf. */
const char *match_to(char *buf, size_t size, const struct harness_addr *a, uint16_t port)
{
	snprintf(buf, size, "\"address\": \"%s\", \"port\": %u", a->text, port);
	return buf;
}

/* The marker rule: a UDP datagram to a:port is reported. */
struct rule_spec marker_rule(const struct harness_addr *a, uint16_t port, char *buf, size_t size)
{
	return (struct rule_spec){
		"net-marker", NULL, "outbound", "udp", match_to(buf, size, a, port), NULL, "report"
	};
}

/* --- the agent -------------------------------------------------------------------- */

int start_agent(const struct env *e, bool print_events, struct harness_agent **ret)
{
	struct harness_agent_opts o = { .config = e->config, .no_print_events = !print_events };

	return harness_agent_start(&o, ret);
}

/*
 * The agent with a policy (serial 1, enforce) of one rule, id, denying TCP
 * connects to A:port, where a listener of ours (*ret_fd) holds the port.
 */
int start_one_deny(struct env *e, const char *id, const struct harness_addr *A, int *ret_fd,
		   uint16_t *ret_port, struct harness_agent **ret)
{
	char m[128];

	TRY(env_init(e));
	TRY(harness_sock_open(A, SOCK_STREAM, ret_fd, ret_port));
	const struct rule_spec rules[] = {
		{ id, NULL, "outbound", "tcp", match_to(m, sizeof(m), A, *ret_port), NULL, "deny" },
	};
	TRY(env_write_policy(e, "enforce", 1, rules, ELEMENTSOF(rules)));
	return start_agent(e, true, ret);
}

/* SIGHUP, and the policy of the given serial in force. */
int reload_sighup(struct harness_agent *a, unsigned serial)
{
	char want[64];

	if (kill(a->pid, SIGHUP) < 0)
		return harness_fail("Cannot send SIGHUP to postured: %m");
	snprintf(want, sizeof(want), "(serial %u, ", serial);
	CHECK(harness_agent_wait_stderr(a, want, FINDING_TIMEOUT_MS) == 1,
	      "postured did not put the policy of serial %u in force after SIGHUP. Its stderr: %s",
	      serial, harness_agent_stderr(a));
	return 0;
}

HARNESS_MAIN_TABLES(&net_enforce_outbound_table, &net_enforce_listen_table,
		    &net_enforce_rules_table, &net_enforce_repeats_table,
		    &net_enforce_resolvers_table, &net_enforce_attack_table)
