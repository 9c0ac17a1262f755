/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the net_enforce suite share: a test's files and its
 * agent (net_enforce.c), the net_client runs (net_enforce_client.c), and the
 * network findings and rule states they cause (net_enforce_findings.c).
 */
#ifndef POSTURED_TESTS_NET_ENFORCE_H
#define POSTURED_TESTS_NET_ENFORCE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* A finding must be printed, and a client or posturectl be done, within this long. */
#define FINDING_TIMEOUT_MS 3000
#define CHILD_TIMEOUT_MS   5000
#define NOBODY		   65534

#define NET_PREFILTER	   "\"finding\":\"network\""
#define POLICY_ID	   "net-enforce-it"

/* --- a test's files and its agent (net_enforce.c) --------------------------------- */

struct env {
	char *dir; /* the configuration, the link to the policy, the clients */
	char *pdir; /* the policy itself, where the agent does not watch */
	char client[PATH_MAX]; /* a copy of net_client */
	char policy[PATH_MAX];
	char config[PATH_MAX];
};

void env_done(struct env *e);

#define _cleanup_env_ _cleanup_(env_done)

/* A fresh env: the directories, a copy of net_client, the link to the policy, the config. */
int env_init(struct env *e);

/* Another copy of net_client under a name of its own; *ret is PATH_MAX bytes. */
int env_copy_client(struct env *e, char *ret);

/* One network rule of a test's policy. */
struct rule_spec {
	const char *id;
	const char *mode; /* NULL: the policy's */
	const char *direction;
	const char *protocol;
	const char *match; /* the inside of the "match" object */
	const char *except; /* the inside of the "except" array, or NULL */
	const char *effect;
};

/* Writes the policy (a new file renamed over the old, in the directory nobody watches). */
int env_write_policy(struct env *e, const char *mode, unsigned serial,
		     const struct rule_spec *rules, size_t n);

/* The inside of a "match" naming a:port, in buf; returns buf. */
const char *match_to(char *buf, size_t size, const struct harness_addr *a, uint16_t port);

/* The marker rule: a UDP datagram to a:port is reported (its match text in buf). */
struct rule_spec marker_rule(const struct harness_addr *a, uint16_t port, char *buf, size_t size);

int start_agent(const struct env *e, bool print_events, struct harness_agent **ret);

/*
 * The agent with a policy (serial 1, enforce) of one rule, id, denying TCP
 * connects to A:port, where a listener of ours (*ret_fd) holds the port.
 */
int start_one_deny(struct env *e, const char *id, const struct harness_addr *A, int *ret_fd,
		   uint16_t *ret_port, struct harness_agent **ret);

/* SIGHUP, and the policy of the given serial in force. */
int reload_sighup(struct harness_agent *a, unsigned serial);

/* --- clients (net_enforce_client.c) ----------------------------------------------- */

struct client {
	pid_t pid; /* while it runs */
	pid_t was; /* its pid, for the findings */
	int in_fd; /* its stdin while held */
	unsigned long ok, eperm, refused, other;
	char line[128];
};

void client_done(struct client *c);

#define _cleanup_client_ _cleanup_(client_done)
#define CLIENT_INIT	 ((struct client){ .in_fd = -EBADF })

struct client_opts {
	const char *path; /* NULL: the env's copy */
	bool hold; /* keeps running until client_finish() */
	bool scan; /* call n goes to port + n (a port scan) */
	unsigned long count; /* 0: 1 */
	uid_t uid; /* 0: as we are */
	int timeout_ms; /* 0: CHILD_TIMEOUT_MS */
};

/*
 * Runs a client: `what` (tcp, udp, bind, listen, udpconnect, udpsend) to
 * address:port, and waits
 * for its result line.  One not held has exited (and is reaped) when this
 * returns.
 */
int client_run(const struct env *e, const struct client_opts *co, const char *what,
	       const char *address, uint16_t port, struct client *c);

/* Lets a held client end, and reaps it. */
int client_finish(struct client *c);

/* The client's one call: refused with EPERM, or gone through (ok). */
#define EXPECT_EPERM(c, what)                                                            \
	CHECK((c).eperm == 1 && (c).ok + (c).refused + (c).other == 0,                   \
	      "%s should have failed with EPERM; the client (pid %d) says \"%s\"", what, \
	      (int)(c).was, (c).line)
#define EXPECT_OK(c, what)                                                                        \
	CHECK((c).ok == 1 && (c).eperm + (c).refused + (c).other == 0,                            \
	      "%s should have gone through; the client (pid %d) says \"%s\"", what, (int)(c).was, \
	      (c).line)

/* --- findings and rule states (net_enforce_findings.c) ---------------------------- */

struct net_wait {
	pid_t pid; /* the finding wanted is about this pid ... */
	const char *rule; /* ... under this rule */
	bool repeats; /* ... and sums up repeats (postured.network.repeats) */
	int timeout_ms; /* 0: FINDING_TIMEOUT_MS */
	pid_t forbid[4]; /* findings about these must not come before it */
	yajl_val found;
	unsigned seen;
	char seen_text[512];
	char forbidden[512];
};

/*
 * Waits for the network finding of rule about pid, and fails when one about
 * a pid of w->forbid came first.  *ret (may be NULL) is the caller's.
 */
int wait_net(struct harness_agent *a, struct net_wait *w, yajl_val *ret);

/* Runs the marker client and waits for its finding; none about the pids in forbid may come first. */
int expect_quiet(struct harness_agent *a, const struct env *e, const struct harness_addr *ma,
		 uint16_t mport, const pid_t *forbid, size_t n_forbid);

/* What a network finding must say. */
struct want {
	const char *rule;
	const char *action; /* postured.action: denied or reported */
	const char *mode; /* NULL: not checked */
	const char *direction; /* outbound or listen */
	const char *protocol; /* tcp or udp */
	const char *addr; /* the remote address (outbound) or the bound one (listen) */
	int ip_version; /* connection_info.protocol_ver_id; 0: not checked */
	uint16_t port;
	pid_t pid;
	const char *exe; /* evidences[0].process.file.path; NULL: not checked */
	unsigned serial; /* 0: not checked */
	const char *outcome; /* the TCP outcome counted, NULL: none */
	bool already_open;
};

/* The network finding f must say what w says (and what every network finding says). */
int check_net(yajl_val f, const struct want *w);

/* Waits for the finding of w->rule about w->pid and checks it. */
int expect_net(struct harness_agent *a, const struct want *w);

/* `posturectl status --json` as root, parsed; *ret is the caller's. */
int status_json(struct harness_agent *a, yajl_val *ret);

/* The state of rule id in `posturectl status --json`: passing or failing. */
int expect_rule_state(struct harness_agent *a, const char *id, const char *want);

/* The same, for a state that comes a moment later (the agent looks at listeners after a bind). */
int wait_rule_state(struct harness_agent *a, const char *id, const char *want, int timeout_ms);

/* --- the tables, in the order they run -------------------------------------------- */

extern const struct harness_table net_enforce_outbound_table, net_enforce_listen_table,
	net_enforce_rules_table, net_enforce_repeats_table, net_enforce_resolvers_table,
	net_enforce_attack_table;

#endif
