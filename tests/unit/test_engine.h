/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the test_engine*.c files, one cmocka binary as the engine is one
 * module: the fake system behind engine_ops, the fixtures, and the records
 * and checks the tests are written with (all in test_engine.c).  Each file
 * tests one of the engine's files and runs its tests as one group.
 */
#ifndef POSTURED_TESTS_TEST_ENGINE_H
#define POSTURED_TESTS_TEST_ENGINE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "postured/engine.h"

#define T0	 (1000 * USEC_PER_SEC) /* CLOCK_MONOTONIC of the first policy */
#define GRACE	 (60 * USEC_PER_SEC) /* require-vpn's grace_seconds */
#define ROOT_UID 0
#define USER_UID 1000

/* Rule numbers of engine.json as the kernel filter carries them (1-based). */
enum {
	RULE_KILL_NCAT = 1,
	RULE_KILL_PATH_TRUE,
	RULE_REPORT_SOCAT,
	RULE_LONG_NAME,
	RULE_FALSE_AS_ROOT,
	RULE_DISABLED,
	RULE_NC_AS_ROOT,
	RULE_REQUIRE_VPN,
	RULE_KILL_LONG_NAMES,
};

/* Longer than the 63 bytes of a name the kernel's filter keys hold. */
#define NAME_TOO_LONG "averyveryverylongnamethatgoesonandonpastthesixtythreebytesofthekernelkey"
#define NAME_63	      "a-name-of-exactly-sixty-three-bytes-which-the-kernel-keeps-whol"

/* --- the fake system ------------------------------------------------------- */

enum entry_type {
	ENTRY_INODE,
	ENTRY_NAME,
	ENTRY_PATH,
	ENTRY_FACT, /* ino holds the fact (enum event_exec_fact) */
};

struct entry {
	enum entry_type type;
	char key[EVENT_PATH_LEN];
	uint64_t dev, ino;
	struct filter_verdict v;
};

#define ENTRIES_MAX  64
#define FINDINGS_MAX 16
#define KILLS_MAX    8

/* What the engine did to the system, and what the system answers; zeroed by setup(). */
struct fake {
	/* The fill in progress, and what the last commit put in force. */
	struct entry filling[ENTRIES_MAX], committed[ENTRIES_MAX];
	size_t n_filling, n_committed;
	uint32_t gen;
	bool open;
	bool pipe_writers; /* as the last commit asked */
	bool pipe_writers_filling;
	const char *pipe_writer; /* what the kernel's pipe_writers map answers; NULL: nothing */
	int world_writable; /* what in_world_writable() answers */
	unsigned world_writable_calls;
	unsigned begins, commits, adds;
	int fail_add_at; /* the add (1-based, counted from the begin) that fails; 0: none */

	struct {
		uint32_t pid;
		nsec_t start_boot;
	} kills[KILLS_MAX];
	size_t n_kills;
	int kill_result;

	const char *exe_path; /* what /proc/PID/exe says; NULL: the process is gone */

	uint32_t tracked[KILLS_MAX]; /* pids handed to ops->track */
	size_t n_tracked;

	struct finding findings[FINDINGS_MAX];
	size_t n_findings;

	const policy *net_applied; /* what the last successful net_apply put in force */
	unsigned net_applies;
	const policy *net_applied_seq[8]; /* every successful net_apply, in order */
	int net_apply_result;
	unsigned state_changes;
};
extern struct fake fake;

/* The fake system without a network probe or state_changed; and with both. */
extern const struct engine_ops fake_ops, fake_ops_net;

/* --- fixtures -------------------------------------------------------------- */

/* tests/fixtures/agent-policies/name, or inline JSON; both fail the test when they do not load. */
policy *load_fixture(const char *name);
policy *parse_text(const char *json);
/* A policy of one deny rule matching `match` (a JSON object's inside), in enforce mode. */
policy *one_rule(const char *id, const char *match);

struct ctx {
	proctab *procs;
	hashcache *hashes;
	engine *e;
	policy *p; /* engine.json, unless a test put another in force */
};

/* A fresh fake system, process table and engine on fake_ops; engine.json loaded, not in force. */
int setup(void **state);
int teardown(void **state);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Puts engine.json in force at T0. */
struct ctx *start(void **state);
/* A new engine on fake_ops_net, and p (taken over) in force at T0. */
struct ctx *start_counting(void **state, policy *p);

/* --- records --------------------------------------------------------------- */

/* An exec as decode_event() hands it on: comm is the file name cut to 15 bytes. */
struct decoded_event exec_of(uint32_t pid, uint32_t ppid, uint32_t uid, const char *path);
/* The same exec, as the probe marks one a filter entry matched. */
struct decoded_event exec_matched(uint32_t pid, uint32_t ppid, const char *path, uint32_t rule,
				  uint16_t action, uint32_t gen);
struct decoded_event fork_of(uint32_t pid, uint32_t ppid, const char *comm);
struct decoded_event exit_of(uint32_t pid, uint32_t ppid);
/* As the agent does: the table sees exec and fork first, exit after the engine. */
void feed(struct ctx *c, const struct decoded_event *ev, usec_t now);
/* A process known before the policy: straight into the table. */
void known(struct ctx *c, uint32_t pid, uint32_t ppid, const char *path);

/* --- checks ---------------------------------------------------------------- */

/* The committed filter entry of type for key, or for path's inode; NULL when none. */
const struct entry *find_entry(enum entry_type type, const char *key);
const struct entry *find_inode(const char *path);
size_t entries_of_rule(uint32_t rule);
void assert_entry(const struct entry *e, uint32_t rule, uint32_t action);
const struct finding *only_finding(void);
void assert_denied(const struct finding *f, const char *rule_id, enum finding_action action,
		   bool in_kernel, uint32_t pid);
size_t count_kind(enum finding_kind k);

/* --- the groups, one a file ------------------------------------------------ */

int test_engine_process(void); /* test_engine_process.c */
int test_engine_checks(void); /* test_engine_checks.c */
int test_engine_net(void); /* test_engine_net.c */

#endif
