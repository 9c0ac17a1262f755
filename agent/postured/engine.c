// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "checks/checks.h"
#include "checks/runner.h"
#include "basic/string-util.h"
#include "engine.h"
#include "format.h"

/* Processes followed for one require rule; more instances than this are not told apart. */
#define REQUIRE_PIDS_MAX 1024
/* Deny rules one exec can match and be reported under. */
#define MATCHES_MAX 16

/* Programs a monitor-mode deny rule reported that still run: the rule fails meanwhile. */
#define VIOLATORS_MAX 64

/* Which judge keeps a rule's state: fixed by the rule's type and effect. */
enum rule_state_kind {
	RULE_STATE_DENY, /* a process rule other than an enabled require rule */
	RULE_STATE_REQUIRE, /* an enabled require rule, one of policy_require_at() */
	RULE_STATE_LISTEN, /* a network rule */
	RULE_STATE_CHECK, /* a check rule */
};

/*
 * What the engine knows about one rule of the policy in force: one array of
 * these, by rule index, is built with each policy and swapped in with it.
 */
struct rule_state {
	const policy_rule *rule;
	enum rule_state_kind kind;
	/*
	 * CLOCK_REALTIME of the last change the rule's judge keeps: a require
	 * finding opened or closed, a check's status, violators or violating
	 * listeners between none and some.  0: none since the policy came into
	 * force (or, for require and check rules, before it).
	 */
	usec_t changed;
	union {
		struct {
			uint32_t pids[VIOLATORS_MAX];
			size_t n_pids;
		} deny;
		struct {
			uint32_t *pids; /* REQUIRE_PIDS_MAX of them */
			size_t n_pids;
			usec_t absent_since; /* CLOCK_MONOTONIC; 0 while present */
			bool finding_open; /* an "absent" finding stands until the program returns */
		} require;
		struct {
			size_t n_open; /* as the last enumeration found them */
		} listen;
		struct {
			bool ran;
			struct check_result *result; /* the latest, once ran */
		} check;
	};
};

struct listen_key {
	size_t rule;
	unsigned protocol;
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t pid;
};

struct engine {
	const struct engine_ops *ops;
	void *ctx;
	proctab *procs;
	hashcache *hashes;
	bool open_filter;
	policy *policy;
	uint16_t gen; /* low 16 bits of the kernel filter generation of this policy */
	bool has_rules; /* any enabled process rule: else execs need no judging */
	bool userspace_keys; /* some enabled rule has no kernel key: judge every exec fully */
	struct rule_state *rules; /* one per rule of the policy in force, by index */
	size_t n_rules; /* 0 until a policy is in force */
	struct listen_key *listen_seen; /* violating listeners the last enumeration found */
	size_t n_listen_seen;
	usec_t loaded; /* CLOCK_REALTIME when the policy in force came into force */
	struct engine_stats stats;
};

/* Facts gathered for one evaluation, with room for the strings they point to. */
struct facts {
	struct policy_process pp;
	char path[EVENT_PATH_LEN];
	char sha256[HASHCACHE_HEX_LEN + 1];
	char args[EVENT_ARGS_LEN + 1];
	char user[256], group[256];
	const struct proc_entry *ancestors[FINDING_CHAIN_MAX];
	size_t n_ancestors;
};

engine *engine_new(const struct engine_ops *ops, void *ctx, proctab *procs, hashcache *hashes,
		   bool open_filter)
{
	engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->ops = ops;
	e->ctx = ctx;
	e->procs = procs;
	e->hashes = hashes;
	e->open_filter = open_filter;
	return e;
}

/* --- the per-rule states ---------------------------------------------------- */

static enum rule_state_kind rule_state_kind_of(const policy_rule *r)
{
	switch (policy_rule_type(r)) {
	case POLICY_RULE_NETWORK:
		return RULE_STATE_LISTEN;
	case POLICY_RULE_CHECK:
		return RULE_STATE_CHECK;
	case POLICY_RULE_PROCESS:
		break;
	}
	/* As policy_require_at() lists them. */
	if (policy_rule_enabled(r) && policy_rule_effect(r) == POLICY_EFFECT_REQUIRE)
		return RULE_STATE_REQUIRE;
	return RULE_STATE_DENY;
}

static struct rule_state *rule_states_free(struct rule_state *rules, size_t n)
{
	for (size_t i = 0; rules && i < n; i++) {
		if (rules[i].kind == RULE_STATE_REQUIRE)
			free(rules[i].require.pids);
		else if (rules[i].kind == RULE_STATE_CHECK)
			free(rules[i].check.result);
	}
	free(rules);
	return NULL;
}

/* The states of p's rules, as they are before anything is known. */
static struct rule_state *rule_states_new(const policy *p)
{
	size_t n = policy_rule_count(p);
	struct rule_state *rules = calloc(n ? n : 1, sizeof(*rules));

	if (!rules)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct rule_state *st = &rules[i];

		st->rule = policy_rule_at(p, i);
		st->kind = rule_state_kind_of(st->rule);
		if (st->kind == RULE_STATE_REQUIRE) {
			st->require.pids = calloc(REQUIRE_PIDS_MAX, sizeof(uint32_t));
			if (!st->require.pids)
				return rule_states_free(rules, i + 1);
		} else if (st->kind == RULE_STATE_CHECK) {
			st->check.result = calloc(1, sizeof(*st->check.result));
			if (!st->check.result)
				return rule_states_free(rules, i + 1);
		}
	}
	return rules;
}

/* The state of rule r of the policy in force, or NULL when r is not one of its rules. */
static struct rule_state *rule_state_of(engine *e, const policy_rule *r)
{
	size_t i = policy_rule_index(r);

	if (i >= e->n_rules || e->rules[i].rule != r)
		return NULL;
	return &e->rules[i];
}

/* The state of p's i-th require rule (policy_require_at()), in p's states. */
static struct rule_state *require_state_at(const policy *p, struct rule_state *rules, size_t i)
{
	return &rules[policy_rule_index(policy_require_at(p, i))];
}

/* How many require rules the policy in force has. */
static size_t n_requires(engine *e)
{
	return e->policy ? policy_require_count(e->policy) : 0;
}

engine *engine_free(engine *e)
{
	if (!e)
		return NULL;
	e->rules = rule_states_free(e->rules, e->n_rules);
	free(e->listen_seen);
	policy_unref(e->policy);
	free(e);
	return NULL;
}

const policy *engine_policy(engine *e)
{
	return e->policy;
}

/* --- compiling into the kernel filter ------------------------------------- */

/* Whether the kernel alone kills for this rule, before the program's first instruction. */
static bool rule_kernel_kills(const policy_rule *r)
{
	_Static_assert(POLICY_KERNEL_NAME_MAX < FILTER_NAME_LEN, "kernel name keys hold the names");
	return policy_rule_effect(r) == POLICY_EFFECT_DENY &&
	       policy_rule_mode(r) == POLICY_MODE_ENFORCE && policy_rule_kernel_decidable(r);
}

/* Adds the kernel entries of one rule.  Returns how many, or -errno. */
static int compile_rule(engine *e, const policy_rule *r, size_t index)
{
	struct filter_verdict v = {
		.rule = (uint32_t)index + 1,
		.action = rule_kernel_kills(r) ? EVENT_ACTION_KILL : EVENT_ACTION_REPORT,
	};
	enum policy_field key = policy_rule_key_field(r);
	const struct policy_matcher *m;
	int n = 0, k;

	if (key != POLICY_FIELD_PATH && key != POLICY_FIELD_NAME)
		return 0;
	m = policy_rule_matcher(r, key);
	for (size_t i = 0; i < m->n_values; i++) {
		const char *text = m->values[i].text;

		if (key == POLICY_FIELD_NAME) {
			k = e->ops->filter_add_name(e->ctx, text, &v);
			if (k < 0)
				return k;
			n++;
			continue;
		}
		k = e->ops->filter_add_path(e->ctx, text, &v);
		if (k < 0 && k != -ENAMETOOLONG)
			return k;
		n += k >= 0;
		/*
		 * The executable's inode too: that catches it however it is
		 * started (a symlink, a relative path).  A program installed
		 * after this is caught by its path until the next reload.
		 */
		struct stat st;

		if (stat(text, &st) == 0 && S_ISREG(st.st_mode)) {
			k = e->ops->filter_add_inode(e->ctx, path_sb_dev(text, &st), st.st_ino, &v);
			if (k < 0)
				return k;
			n++;
		}
	}
	return n;
}

/* Whether some enabled process rule has no exact path or name the kernel can key on. */
static bool has_userspace_keys(const policy *p)
{
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);
		enum policy_field key;

		if (!policy_rule_enabled(r) || policy_rule_type(r) != POLICY_RULE_PROCESS)
			continue;
		key = policy_rule_key_field(r);
		if (key != POLICY_FIELD_PATH && key != POLICY_FIELD_NAME)
			return true;
	}
	return false;
}

static bool has_process_rules(const policy *p)
{
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (policy_rule_enabled(r) && policy_rule_type(r) == POLICY_RULE_PROCESS)
			return true;
	}
	return false;
}

/* Whether every exec must come to userspace under p (a full exec audit asks for that too). */
static bool needs_every_exec(const policy *p)
{
	return (policy_needs(p) & POLICY_NEED_EVERY_EXEC) || has_userspace_keys(p);
}

/* --- facts about a process -------------------------------------------------- */

static void facts_ancestors(engine *e, uint32_t ppid, struct facts *f)
{
	const struct proc_entry *a = proctab_get(e->procs, ppid);

	for (f->n_ancestors = 0; a && f->n_ancestors < FINDING_CHAIN_MAX; f->n_ancestors++) {
		f->ancestors[f->n_ancestors] = a;
		if (f->n_ancestors < POLICY_PARENT_DEPTH)
			f->pp.parent_path[f->n_ancestors] = a->exe;
		/* pid 1's parent is 0; a loop in stale entries must not hang us. */
		if (a->ppid == 0 || a->ppid == a->pid)
			break;
		a = proctab_get(e->procs, a->ppid);
	}
	if (a && f->n_ancestors < FINDING_CHAIN_MAX)
		f->n_ancestors++;
}

static void facts_names(engine *e, struct facts *f)
{
	unsigned needs = policy_needs(e->policy);
	char buf[4096];

	if (needs & POLICY_NEED_USER_NAME) {
		struct passwd pw, *res = NULL;

		if (getpwuid_r(f->pp.uid, &pw, buf, sizeof(buf), &res) == 0 && res)
			f->pp.user_name = strbufcpy(f->user, sizeof(f->user), res->pw_name);
	}
	if (needs & POLICY_NEED_GROUP_NAME) {
		struct group gr, *res = NULL;

		if (getgrgid_r(f->pp.gid, &gr, buf, sizeof(buf), &res) == 0 && res)
			f->pp.group_name = strbufcpy(f->group, sizeof(f->group), res->gr_name);
	}
}

/* Hashes the executable only when a rule could turn on it. */
static void facts_sha256(engine *e, uint32_t pid, struct facts *f)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!policy_needs_sha256_for(e->policy, &f->pp))
		return;
	fd = e->ops->exe_open(e->ctx, pid);
	if (fd < 0 && f->pp.path)
		fd = open(f->pp.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	r = fd < 0 ? fd : hashcache_get_fd(e->hashes, fd, f->sha256);
	if (r < 0) {
		e->stats.hash_failed++;
		return;
	}
	e->stats.hashed++;
	f->pp.sha256 = f->sha256;
}

static void facts_from_exec(engine *e, const struct decoded_event *ev, struct facts *f)
{
	const char *path = ev->exec.filename;

	memset(&f->pp, 0, sizeof(f->pp));
	f->sha256[0] = '\0';
	/*
	 * The kernel gives the path as exec'd: possibly relative or a symlink,
	 * while rules are about the executable itself.  /proc has it resolved.
	 * That costs a syscall, so only where a rule could turn on it: the
	 * kernel matched the executable, or some rule has no kernel key.  A
	 * program the kernel killed may be gone by now, and then its path as
	 * exec'd must do (its rule came with the record).
	 */
	if ((path[0] != '/' || e->userspace_keys || ev->exec.match_action != EVENT_ACTION_NONE) &&
	    e->ops->exe_path(e->ctx, ev->task.pid, ev->exec.exe_ino, f->path, sizeof(f->path)) >= 0)
		path = f->path;
	f->pp.path = path;
	f->pp.uid = ev->task.uid;
	f->pp.gid = ev->task.gid;
	if (ev->exec.args_size > 0) {
		format_cmd_line(ev->exec.args, ev->exec.args_size, f->args, sizeof(f->args));
		f->pp.args = f->args;
	}
	facts_ancestors(e, ev->task.ppid, f);
	facts_names(e, f);
	facts_sha256(e, ev->task.pid, f);
}

static void facts_from_entry(engine *e, const struct proc_entry *pe, struct facts *f)
{
	memset(&f->pp, 0, sizeof(f->pp));
	f->sha256[0] = '\0';
	f->pp.path = pe->exe;
	if (!pe->exe && pe->comm[0])
		f->pp.name = pe->comm;
	f->pp.uid = pe->uid;
	f->pp.gid = pe->gid;
	facts_ancestors(e, pe->ppid, f);
	facts_names(e, f);
}

/* --- findings --------------------------------------------------------------- */

static void finding_fill_process(struct finding *fd, const struct decoded_event *ev,
				 const struct facts *f)
{
	struct finding_process *p = &fd->process;

	fd->has_process = true;
	p->pid = ev->task.pid;
	p->ppid = ev->task.ppid;
	p->uid = ev->task.uid;
	p->gid = ev->task.gid;
	p->start_boot = ev->task.start_boot;
	strbufcpy(p->path, sizeof(p->path), f->pp.path ? f->pp.path : "");
	strbufcpy(p->name, sizeof(p->name), ev->task.comm);
	strbufcpy(p->sha256, sizeof(p->sha256), f->sha256);
	strbufcpy(p->cmd_line, sizeof(p->cmd_line), f->pp.args ? f->pp.args : "");
	fd->n_ancestors = f->n_ancestors;
	for (size_t i = 0; i < f->n_ancestors; i++) {
		fd->ancestors[i].pid = f->ancestors[i]->pid;
		strbufcpy(fd->ancestors[i].path, sizeof(fd->ancestors[i].path),
			  f->ancestors[i]->exe ? f->ancestors[i]->exe : "");
	}
}

static void emit(engine *e, const struct finding *f)
{
	e->ops->finding(e->ctx, f);
}

static void state_changed(engine *e)
{
	if (e->ops->state_changed)
		e->ops->state_changed(e->ctx);
}

/* A monitor-mode deny finding: the program runs on, and its rule fails until it exits. */
static void deny_violator_add(engine *e, const policy_rule *r, uint32_t pid)
{
	struct rule_state *st = rule_state_of(e, r);

	if (!st || st->kind != RULE_STATE_DENY)
		return;
	for (size_t k = 0; k < st->deny.n_pids; k++)
		if (st->deny.pids[k] == pid)
			return;
	if (st->deny.n_pids >= VIOLATORS_MAX)
		return;
	st->deny.pids[st->deny.n_pids++] = pid;
	if (st->deny.n_pids == 1) {
		st->changed = now_usec(CLOCK_REALTIME);
		state_changed(e);
	}
}

static void deny_violator_remove(engine *e, uint32_t pid)
{
	for (size_t i = 0; i < e->n_rules; i++) {
		struct rule_state *st = &e->rules[i];

		if (st->kind != RULE_STATE_DENY)
			continue;
		for (size_t k = 0; k < st->deny.n_pids; k++) {
			if (st->deny.pids[k] != pid)
				continue;
			st->deny.pids[k] = st->deny.pids[--st->deny.n_pids];
			if (st->deny.n_pids == 0) {
				st->changed = now_usec(CLOCK_REALTIME);
				state_changed(e);
			}
			break;
		}
	}
}

/* --- require rules ---------------------------------------------------------- */

static bool require_has(const struct rule_state *s, uint32_t pid)
{
	for (size_t i = 0; i < s->require.n_pids; i++)
		if (s->require.pids[i] == pid)
			return true;
	return false;
}

static void require_emit(engine *e, struct rule_state *s, enum finding_kind kind, usec_t now)
{
	struct finding f = {
		.kind = kind,
		.time_real = now_usec(CLOCK_REALTIME),
		.policy = e->policy,
		.rule = s->rule,
		.mode = policy_rule_mode(s->rule),
		.action = FINDING_ACTION_NONE,
	};

	s->changed = f.time_real;
	emit(e, &f);
	state_changed(e);
}

static void require_add(engine *e, struct rule_state *s, uint32_t pid, usec_t now)
{
	if (require_has(s, pid) || s->require.n_pids >= REQUIRE_PIDS_MAX)
		return;
	s->require.pids[s->require.n_pids++] = pid;
	s->require.absent_since = 0;
	if (s->require.finding_open) {
		s->require.finding_open = false;
		require_emit(e, s, FINDING_REQUIRE_RETURNED, now);
	}
}

static void require_remove(struct rule_state *s, uint32_t pid, usec_t now)
{
	for (size_t i = 0; i < s->require.n_pids; i++) {
		if (s->require.pids[i] != pid)
			continue;
		s->require.pids[i] = s->require.pids[--s->require.n_pids];
		if (s->require.n_pids == 0)
			s->require.absent_since = now ? now : 1;
		return;
	}
}

/* Whatever pid was, it is no instance of a required program any more. */
static void require_remove_all(engine *e, uint32_t pid, usec_t now)
{
	for (size_t i = 0; i < n_requires(e); i++)
		require_remove(require_state_at(e->policy, e->rules, i), pid, now);
}

struct require_scan {
	engine *e;
	const policy *p;
	struct rule_state *rules;
	usec_t now;
	struct facts facts;
};

static void require_scan_one(void *userdata, const struct proc_entry *pe)
{
	struct require_scan *s = userdata;

	facts_from_entry(s->e, pe, &s->facts);
	for (size_t i = 0; i < policy_require_count(s->p); i++) {
		struct rule_state *st = require_state_at(s->p, s->rules, i);

		if (st->require.n_pids < REQUIRE_PIDS_MAX &&
		    policy_rule_matches(st->rule, &s->facts.pp)) {
			st->require.pids[st->require.n_pids++] = pe->pid;
			/* Known from /proc, not from an exec the kernel matched: have it tracked. */
			(void)s->e->ops->track(s->e->ctx, pe->pid);
		}
	}
}

/*
 * The require states in rules (p's, fresh from rule_states_new()) from the
 * processes known now.  A rule that was absent with a finding standing under
 * the old policy carries that over, so a reload neither repeats the finding
 * nor loses the return.
 */
static void require_build(engine *e, policy *p, struct rule_state *rules, usec_t now)
{
	struct require_scan scan = { .e = e, .p = p, .rules = rules, .now = now };
	policy *saved = e->policy;

	/* facts_names() reads the policy in force; judge by the new one. */
	e->policy = p;
	proctab_foreach(e->procs, require_scan_one, &scan);
	e->policy = saved;

	for (size_t i = 0; i < policy_require_count(p); i++) {
		struct rule_state *st = require_state_at(p, rules, i);
		const char *id = policy_rule_id(st->rule);

		if (st->require.n_pids == 0)
			st->require.absent_since = now ? now : 1;
		for (size_t j = 0; j < n_requires(e); j++) {
			const struct rule_state *old = require_state_at(e->policy, e->rules, j);

			if (strcmp(policy_rule_id(old->rule), id) != 0)
				continue;
			if (st->require.n_pids == 0 && old->require.absent_since)
				st->require.absent_since = old->require.absent_since;
			/*
			 * An absent finding stands on; if the program is running
			 * now, engine_set_policy() says it returned.
			 */
			st->require.finding_open = old->require.finding_open;
			st->changed = old->changed;
		}
	}
}

bool engine_require_present(engine *e, size_t i)
{
	return i < n_requires(e) && require_state_at(e->policy, e->rules, i)->require.n_pids > 0;
}

usec_t engine_tick(engine *e, usec_t now)
{
	usec_t next = USEC_INFINITY;

	for (size_t i = 0; i < n_requires(e); i++) {
		struct rule_state *s = require_state_at(e->policy, e->rules, i);
		usec_t due;

		if (s->require.n_pids > 0 || s->require.finding_open || !s->require.absent_since)
			continue;
		due = s->require.absent_since +
		      (usec_t)policy_rule_grace_seconds(s->rule) * USEC_PER_SEC;
		if (now >= due) {
			s->require.finding_open = true;
			require_emit(e, s, FINDING_REQUIRE_ABSENT, now);
		} else if (due < next) {
			next = due;
		}
	}
	return next;
}

/* --- the policy in force ---------------------------------------------------- */

/*
 * Check results carry over to a check rule of the same id in the policy
 * coming into force (its states: rules, n of them): a reload does not forget
 * them.
 */
static void checks_carry_over(engine *e, struct rule_state *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rule_state *st = &rules[i];

		if (st->kind != RULE_STATE_CHECK)
			continue;
		for (size_t j = 0; j < e->n_rules; j++) {
			const struct rule_state *old = &e->rules[j];

			if (old->kind != RULE_STATE_CHECK || !old->check.ran ||
			    strcmp(policy_rule_id(old->rule), policy_rule_id(st->rule)) != 0)
				continue;
			st->check.ran = true;
			*st->check.result = *old->check.result;
			st->changed = old->changed;
		}
	}
}

/*
 * A process the table knows, judged when a policy comes into force: it was
 * started before, so in enforce mode it is stopped now, after the fact.
 */
static void judge_running(void *userdata, const struct proc_entry *pe)
{
	engine *e = userdata;
	struct policy_match matches[MATCHES_MAX];
	struct facts facts;
	size_t n;
	bool killed = false;

	if (!e->has_rules || !pe->exe)
		return;
	facts_from_entry(e, pe, &facts);
	if (policy_needs_sha256_for(e->policy, &facts.pp)) {
		char hex[HASHCACHE_HEX_LEN + 1];
		_cleanup_close_ int fd = e->ops->exe_open(e->ctx, pe->pid);

		if (fd >= 0 && hashcache_get_fd(e->hashes, fd, hex) >= 0) {
			memcpy(facts.sha256, hex, sizeof(hex));
			facts.pp.sha256 = facts.sha256;
		}
	}
	n = policy_eval(e->policy, &facts.pp, matches, MATCHES_MAX);
	for (size_t i = 0; i < n && i < MATCHES_MAX; i++) {
		struct finding f = {
			.kind = FINDING_PROCESS_DENIED,
			.time_real = now_usec(CLOCK_REALTIME),
			.policy = e->policy,
			.rule = matches[i].rule,
			.mode = matches[i].mode,
			.action = FINDING_ACTION_REPORTED,
			.has_process = true,
		};

		if (killed) {
			f.action = FINDING_ACTION_KILLED;
		} else if (matches[i].mode == POLICY_MODE_ENFORCE) {
			int r = e->ops->kill(e->ctx, pe->pid, pe->start_boot);

			f.action = r >= 0      ? FINDING_ACTION_KILLED :
				   r == -ESRCH ? FINDING_ACTION_GONE :
						 FINDING_ACTION_KILL_FAILED;
			killed = r >= 0 || r == -ESRCH;
			if (r >= 0)
				e->stats.killed++;
			else if (r != -ESRCH)
				e->stats.kill_failed++;
		}
		if (f.action == FINDING_ACTION_REPORTED)
			deny_violator_add(e, matches[i].rule, pe->pid);
		e->stats.denied++;
		f.process = (struct finding_process){
			.pid = pe->pid,
			.ppid = pe->ppid,
			.uid = pe->uid,
			.gid = pe->gid,
			.start_boot = pe->start_boot,
		};
		strbufcpy(f.process.path, sizeof(f.process.path), pe->exe);
		strbufcpy(f.process.name, sizeof(f.process.name), pe->comm);
		strbufcpy(f.process.sha256, sizeof(f.process.sha256), facts.sha256);
		f.n_ancestors = facts.n_ancestors;
		for (size_t k = 0; k < facts.n_ancestors; k++) {
			f.ancestors[k].pid = facts.ancestors[k]->pid;
			strbufcpy(f.ancestors[k].path, sizeof(f.ancestors[k].path),
				  facts.ancestors[k]->exe ? facts.ancestors[k]->exe : "");
		}
		emit(e, &f);
	}
}

int engine_set_policy(engine *e, policy *p, usec_t now)
{
	struct rule_state *rules;
	size_t entries = 0;
	bool open;
	int r;

	rules = rule_states_new(p);
	if (!rules)
		return -ENOMEM;
	require_build(e, p, rules, now);

	/* Network rules first: if the kernel cannot take them, nothing changed yet. */
	if (e->ops->net_apply) {
		r = e->ops->net_apply(e->ctx, p);
		if (r < 0) {
			rule_states_free(rules, policy_rule_count(p));
			return r;
		}
	}

	r = e->ops->filter_begin(e->ctx);
	for (size_t i = 0; r >= 0 && i < policy_rule_count(p); i++) {
		const policy_rule *rule = policy_rule_at(p, i);

		if (!policy_rule_enabled(rule) || policy_rule_type(rule) != POLICY_RULE_PROCESS)
			continue;
		r = compile_rule(e, rule, i);
		if (r > 0)
			entries += (size_t)r;
	}
	open = e->open_filter || needs_every_exec(p);
	if (r >= 0)
		r = e->ops->filter_commit(e->ctx, open);
	if (r < 0) {
		rule_states_free(rules, policy_rule_count(p));
		/* Put the old policy's network rules back, as the process filter stayed. */
		if (e->ops->net_apply && e->policy)
			(void)e->ops->net_apply(e->ctx, e->policy);
		return r;
	}

	/* The kernel judges by p now; so does userspace, from here on. */
	checks_carry_over(e, rules, policy_rule_count(p));
	rule_states_free(e->rules, e->n_rules);
	e->rules = rules;
	e->n_rules = policy_rule_count(p);
	/* Listeners are judged afresh by the new rules: every violation is new. */
	e->n_listen_seen = 0;
	e->loaded = now_usec(CLOCK_REALTIME);
	policy_unref(e->policy);
	e->policy = policy_ref(p);
	e->gen = (uint16_t)(e->ops->filter_gen(e->ctx) & 0xffff);
	e->has_rules = has_process_rules(p);
	e->userspace_keys = has_userspace_keys(p);

	/* A required program found running again under the new policy has returned. */
	for (size_t i = 0; i < n_requires(e); i++) {
		struct rule_state *st = require_state_at(e->policy, e->rules, i);

		if (st->require.finding_open && st->require.n_pids > 0) {
			st->require.finding_open = false;
			require_emit(e, st, FINDING_REQUIRE_RETURNED, now);
		}
	}

	/* Denied programs that were running before this policy: judged now. */
	proctab_foreach(e->procs, judge_running, e);
	state_changed(e);
	e->stats.kernel_entries = entries;
	e->stats.kernel_filter_open = open;
	return 0;
}

void engine_report_invalid_policy(engine *e, const char *detail)
{
	struct finding f = {
		.kind = FINDING_POLICY_INVALID,
		.time_real = now_usec(CLOCK_REALTIME),
		.policy = e->policy,
		.mode = e->policy ? policy_mode(e->policy) : POLICY_MODE_MONITOR,
		.action = FINDING_ACTION_NONE,
	};

	strbufcpy(f.detail, sizeof(f.detail), detail);
	emit(e, &f);
}

/* --- records ---------------------------------------------------------------- */

/* The deny rule the kernel killed for, when it belongs to the policy in force. */
static const policy_rule *kernel_rule(engine *e, const struct decoded_event *ev)
{
	const policy_rule *r;

	if (ev->exec.match_rule == 0 || ev->exec.match_gen != e->gen)
		return NULL;
	r = policy_rule_at(e->policy, ev->exec.match_rule - 1);
	if (!r || policy_rule_effect(r) != POLICY_EFFECT_DENY)
		return NULL;
	return r;
}

static void on_exec(engine *e, const struct decoded_event *ev, usec_t now)
{
	struct policy_match matches[MATCHES_MAX];
	const policy_rule *krule = kernel_rule(e, ev);
	struct facts facts;
	size_t n, n_req;
	bool denied = ev->exec.denied;
	bool killed = ev->exec.killed || denied, in_kernel = killed, kernel_rule_seen = false;

	/* Whatever this pid ran before, it runs something else now. */
	if (!ev->exec.denied)
		deny_violator_remove(e, ev->task.pid);
	facts_from_exec(e, ev, &facts);
	e->stats.evaluated++;
	n = policy_eval(e->policy, &facts.pp, matches, MATCHES_MAX);
	if (n > MATCHES_MAX)
		n = MATCHES_MAX;
	for (size_t i = 0; i < n; i++)
		kernel_rule_seen |= matches[i].rule == krule;
	/*
	 * The kernel matched the executable's inode, which userspace may not
	 * see again from a path that is gone or was reached through a link;
	 * when it killed, the rule it killed for is a match whatever the path.
	 */
	if (killed && krule && !kernel_rule_seen && n < MATCHES_MAX)
		matches[n++] =
			(struct policy_match){ .rule = krule, .mode = policy_rule_mode(krule) };

	for (size_t i = 0; i < n; i++) {
		struct finding f = {
			.kind = FINDING_PROCESS_DENIED,
			.time_real = ev->time_real,
			.policy = e->policy,
			.rule = matches[i].rule,
			.mode = matches[i].mode,
		};

		if (denied) {
			f.action = FINDING_ACTION_DENIED;
			f.in_kernel = true;
		} else if (killed) {
			f.action = FINDING_ACTION_KILLED;
			f.in_kernel = in_kernel;
		} else if (matches[i].mode == POLICY_MODE_ENFORCE) {
			/* Userspace had to decide: the program has started; stop it now. */
			int r = e->ops->kill(e->ctx, ev->task.pid, ev->task.start_boot);

			if (r >= 0) {
				killed = true;
				f.action = FINDING_ACTION_KILLED;
				e->stats.killed++;
			} else if (r == -ESRCH) {
				/* It ran to its end before userspace judged it: say so. */
				killed = true;
				f.action = FINDING_ACTION_GONE;
			} else {
				f.action = FINDING_ACTION_KILL_FAILED;
				e->stats.kill_failed++;
			}
		} else {
			f.action = FINDING_ACTION_REPORTED;
			deny_violator_add(e, matches[i].rule, ev->task.pid);
		}
		e->stats.denied++;
		finding_fill_process(&f, ev, &facts);
		emit(e, &f);
	}
	if (in_kernel)
		e->stats.killed++;

	/* Required programs: this pid is now one, or no longer one. */
	require_remove_all(e, ev->task.pid, now);
	if (killed)
		return;
	n_req = policy_eval_require(e->policy, &facts.pp, matches, MATCHES_MAX);
	for (size_t i = 0; i < n_req && i < MATCHES_MAX; i++) {
		struct rule_state *st = rule_state_of(e, matches[i].rule);

		if (st && st->kind == RULE_STATE_REQUIRE)
			require_add(e, st, ev->task.pid, now);
	}
}

void engine_on_event(engine *e, const struct decoded_event *ev, usec_t now)
{
	if (!e->policy)
		return;
	switch (ev->kind) {
	case EVENT_KIND_EXEC:
		/* A full exec audit with no process rules: nothing to judge. */
		if (e->has_rules)
			on_exec(e, ev, now);
		break;
	case EVENT_KIND_FORK:
		/* A child of a required program is another instance of it. */
		for (size_t i = 0; i < n_requires(e); i++) {
			struct rule_state *st = require_state_at(e->policy, e->rules, i);

			if (require_has(st, ev->task.ppid))
				require_add(e, st, ev->task.pid, now);
		}
		break;
	case EVENT_KIND_EXIT:
		deny_violator_remove(e, ev->task.pid);
		require_remove_all(e, ev->task.pid, now);
		break;
	default:
		break;
	}
}

void engine_get_stats(engine *e, struct engine_stats *ret)
{
	*ret = e->stats;
}

bool engine_rule_failing(engine *e, const policy_rule *r, usec_t *ret_since)
{
	const struct rule_state *st = rule_state_of(e, r);
	bool failing = false;

	if (!st)
		return false;
	switch (st->kind) {
	case RULE_STATE_DENY:
		failing = st->deny.n_pids > 0;
		break;
	case RULE_STATE_REQUIRE:
		failing = st->require.finding_open;
		break;
	case RULE_STATE_LISTEN:
		failing = st->listen.n_open > 0;
		break;
	case RULE_STATE_CHECK:
		failing = st->check.ran && st->check.result->status != CHECK_PASS;
		break;
	}
	if (ret_since)
		*ret_since = st->changed ? st->changed : e->loaded;
	return failing;
}

usec_t engine_policy_loaded(engine *e)
{
	return e->loaded;
}

/* Takes the result of check rule st; emits a finding when its status changed.  True if so. */
static bool check_done(engine *e, struct rule_state *st, const struct check_result *res)
{
	const policy_rule *r = st->rule;
	bool first = !st->check.ran;

	if (!first && st->check.result->status == res->status) {
		*st->check.result = *res; /* the evidence may have moved on */
		return false;
	}
	st->check.ran = true;
	*st->check.result = *res;
	st->changed = now_usec(CLOCK_REALTIME);
	if (first && res->status == CHECK_PASS)
		return true;

	struct finding f = {
		.kind = res->status == CHECK_PASS ? FINDING_CHECK_PASSING : FINDING_CHECK_FAILING,
		.time_real = st->changed,
		.policy = e->policy,
		.rule = r,
		.mode = policy_rule_mode(r),
		.action = FINDING_ACTION_NONE,
		.check = st->check.result,
	};

	emit(e, &f);
	return true;
}

size_t engine_check_jobs(engine *e, struct check_job *jobs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; e->policy && i < policy_rule_count(e->policy) && n < max; i++) {
		const policy_rule *r = policy_rule_at(e->policy, i);

		if (!policy_rule_enabled(r) || policy_rule_type(r) != POLICY_RULE_CHECK)
			continue;
		jobs[n++] = (struct check_job){ .check = policy_rule_check_name(r), .rule = r };
	}
	return n;
}

void engine_apply_check_results(engine *e, const policy *p, const struct check_job *jobs,
				const struct check_result *results, size_t n)
{
	bool changed = false;

	/* Results for a policy no longer in force are about rules that may be gone. */
	if (!e->policy || p != e->policy)
		return;
	for (size_t k = 0; k < n; k++) {
		struct rule_state *st = rule_state_of(e, jobs[k].rule);

		if (st && st->kind == RULE_STATE_CHECK)
			changed |= check_done(e, st, &results[k]);
	}
	if (changed)
		state_changed(e);
}

int engine_run_checks(engine *e, const char *root)
{
	_cleanup_free_ struct check_job *jobs = NULL;
	_cleanup_free_ struct check_result *results = NULL;
	size_t n;
	int r;

	if (!e->policy || policy_rule_count(e->policy) == 0)
		return 0;
	jobs = calloc(policy_rule_count(e->policy), sizeof(*jobs));
	results = calloc(policy_rule_count(e->policy), sizeof(*results));
	if (!jobs || !results)
		return -ENOMEM;
	n = engine_check_jobs(e, jobs, policy_rule_count(e->policy));
	if (n == 0)
		return 0;
	/*
	 * Whoever waits here (root's run_checks on the status socket) holds up
	 * the agent's loop: all of it within 20 s, well inside the 30 s watchdog.
	 */
	r = check_runner_run(root, jobs, n,
			     &(struct check_runner_options){ .total_timeout = 20 * USEC_PER_SEC },
			     results);
	if (r < 0)
		return r;
	engine_apply_check_results(e, e->policy, jobs, results, n);
	return 0;
}

const struct check_result *engine_check_result(engine *e, const policy_rule *r)
{
	const struct rule_state *st = rule_state_of(e, r);

	if (!st || st->kind != RULE_STATE_CHECK || !st->check.ran)
		return NULL;
	return st->check.result;
}

/* --- network ---------------------------------------------------------------- */

/* Whether some enabled network rule names a user by name (not by uid). */
static bool net_needs_user_name(const policy *p)
{
	for (size_t i = 0; i < policy_net_rule_count(p); i++) {
		const policy_rule *r = policy_net_rule_at(p, i);

		for (size_t k = 0; k <= policy_rule_net_except_count(r); k++) {
			const struct policy_net_clause *c =
				k == 0 ? policy_rule_net_match(r) :
					 policy_rule_net_except_at(r, k - 1);

			for (size_t u = 0; c && u < c->n_users; u++)
				if (c->users[u].text)
					return true;
		}
	}
	return false;
}

static const char *user_name_of(uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) != 0 || !res)
		return NULL;
	return strbufcpy(buf, size, res->pw_name);
}

/* The rule a network record is about: the kernel's, or judged again here. */
static const policy_rule *network_rule(engine *e, const struct engine_network *n, const char *exe)
{
	struct policy_match m[1];
	struct policy_connection c = {
		.direction = n->net.direction,
		.protocol = n->net.protocol == IPPROTO_UDP ? POLICY_NET_UDP : POLICY_NET_TCP,
		.family = n->net.family,
		.path = exe,
		.uid = n->uid,
	};
	char user[256];

	if (n->rule_current) {
		const policy_rule *r = policy_rule_at(e->policy, n->rule_index);

		if (r && policy_rule_enabled(r) && policy_rule_type(r) == POLICY_RULE_NETWORK)
			return r;
	}
	/* Judged by a policy no longer in force: what does the one in force say? */
	if (n->net.direction == POLICY_NET_OUTBOUND) {
		memcpy(c.addr, n->net.remote_addr, sizeof(c.addr));
		c.port = n->net.remote_port;
	} else if (n->net.direction == POLICY_NET_INBOUND) {
		memcpy(c.addr, n->net.remote_addr, sizeof(c.addr));
		c.port = n->net.local_port;
	} else {
		memcpy(c.addr, n->net.local_addr, sizeof(c.addr));
		c.port = n->net.local_port;
	}
	if (net_needs_user_name(e->policy))
		c.user_name = user_name_of(n->uid, user, sizeof(user));
	if (policy_eval_net(e->policy, &c, m, 1) == 0)
		return NULL;
	return m[0].rule;
}

/* The process of a network finding: what the record says, completed from /proc and the table. */
static void network_fill_process(engine *e, struct finding *f, const struct engine_network *n,
				 const char *exe)
{
	const struct proc_entry *pe = proctab_get(e->procs, n->pid);
	struct finding_process *p = &f->process;
	struct facts facts = {};

	f->has_process = true;
	p->pid = n->pid;
	p->uid = n->uid;
	p->gid = n->gid;
	strbufcpy(p->path, sizeof(p->path), exe ? exe : "");
	strbufcpy(p->name, sizeof(p->name), n->comm);
	/* The table's entry is this process only if it runs the same executable. */
	if (pe && (!n->exe_ino || pe->exe_ino == n->exe_ino)) {
		p->ppid = pe->ppid;
		p->start_boot = pe->start_boot;
		facts_ancestors(e, pe->ppid, &facts);
		f->n_ancestors = facts.n_ancestors;
		for (size_t i = 0; i < facts.n_ancestors; i++) {
			f->ancestors[i].pid = facts.ancestors[i]->pid;
			strbufcpy(f->ancestors[i].path, sizeof(f->ancestors[i].path),
				  facts.ancestors[i]->exe ? facts.ancestors[i]->exe : "");
		}
	}
}

static bool listen_key_equal(const struct listen_key *a, const struct listen_key *b)
{
	return a->rule == b->rule && a->protocol == b->protocol && a->family == b->family &&
	       a->port == b->port && a->pid == b->pid && memcmp(a->addr, b->addr, 16) == 0;
}

static bool listen_seen_has(engine *e, const struct listen_key *k)
{
	for (size_t i = 0; i < e->n_listen_seen; i++)
		if (listen_key_equal(&e->listen_seen[i], k))
			return true;
	return false;
}

static void listen_set_open(engine *e, size_t rule, size_t n_open, usec_t now)
{
	struct rule_state *s = &e->rules[rule];
	bool was = s->listen.n_open > 0;

	s->listen.n_open = n_open;
	if (was != (n_open > 0)) {
		s->changed = now;
		state_changed(e);
	}
}

void engine_on_network(engine *e, const struct engine_network *n)
{
	char path[EVENT_PATH_LEN];
	const char *exe = n->exe;
	const policy_rule *r;
	usec_t now = now_usec(CLOCK_REALTIME);

	if (!e->policy)
		return;
	if (n->pid && !exe && e->ops->exe_path(e->ctx, n->pid, n->exe_ino, path, sizeof(path)) >= 0)
		exe = path;
	r = network_rule(e, n, exe);
	if (!r) {
		e->stats.net_stale++;
		return;
	}

	struct finding f = {
		.kind = FINDING_NETWORK,
		.time_real = n->net.last_real ? n->net.last_real : now,
		.policy = e->policy,
		.rule = r,
		.mode = policy_rule_mode(r),
		.action = n->denied ? FINDING_ACTION_DENIED : FINDING_ACTION_REPORTED,
		.in_kernel = n->denied,
		.has_network = true,
		.network = n->net,
	};

	f.network.has_owner = true;
	f.network.owner_uid = n->uid;
	if (n->pid)
		network_fill_process(e, &f, n, exe);
	e->stats.net_findings++;
	emit(e, &f);

	/*
	 * A reported bind: remembered, so that the enumeration that follows
	 * (the agent runs one shortly) does not report it again.  Whether the
	 * rule fails is the enumeration's to say: the bind may yet fail, or the
	 * socket close.
	 */
	if (n->net.direction == POLICY_NET_LISTEN && !n->denied && !n->net.aggregated &&
	    e->n_listen_seen < ENGINE_LISTENERS_MAX) {
		if (!e->listen_seen)
			e->listen_seen = calloc(ENGINE_LISTENERS_MAX, sizeof(*e->listen_seen));
		if (!e->listen_seen)
			return;
		struct listen_key k = {
			.rule = policy_rule_index(r),
			.protocol = n->net.protocol == IPPROTO_UDP ? POLICY_NET_UDP :
								     POLICY_NET_TCP,
			.family = n->net.family,
			.port = n->net.local_port,
			.pid = n->pid,
		};

		memcpy(k.addr, n->net.local_addr, sizeof(k.addr));
		if (!listen_seen_has(e, &k))
			e->listen_seen[e->n_listen_seen++] = k;
	}
}

void engine_judge_listeners(engine *e, const struct engine_listener *l, size_t n)
{
	_cleanup_free_ struct listen_key *seen = NULL;
	_cleanup_free_ size_t *open = NULL;
	size_t n_seen = 0, n_rules;
	usec_t now = now_usec(CLOCK_REALTIME);
	bool names;

	if (!e->policy || policy_net_rule_count(e->policy) == 0)
		return;
	n_rules = policy_rule_count(e->policy);
	n = MIN(n, (size_t)ENGINE_LISTENERS_MAX);
	seen = calloc(ENGINE_LISTENERS_MAX, sizeof(*seen));
	open = calloc(n_rules, sizeof(*open));
	if (!seen || !open)
		return;
	names = net_needs_user_name(e->policy);

	for (size_t i = 0; i < n; i++) {
		struct policy_match m[MATCHES_MAX];
		struct policy_connection c = {
			.direction = POLICY_NET_LISTEN,
			.protocol = l[i].protocol,
			.family = l[i].family,
			.port = l[i].port,
			.path = l[i].exe,
			.uid = l[i].uid,
		};
		char user[256];
		size_t k, w = 0;

		memcpy(c.addr, l[i].addr, sizeof(c.addr));
		if (names)
			c.user_name = user_name_of(l[i].uid, user, sizeof(user));
		k = MIN(policy_eval_net(e->policy, &c, m, MATCHES_MAX), (size_t)MATCHES_MAX);
		if (k == 0)
			continue;
		/* As the kernel chooses: the first rule that would refuse, else the first. */
		for (size_t j = 0; j < k; j++)
			if (policy_rule_effect(m[j].rule) == POLICY_EFFECT_DENY &&
			    m[j].mode == POLICY_MODE_ENFORCE) {
				w = j;
				break;
			}

		struct listen_key key = {
			.rule = policy_rule_index(m[w].rule),
			.protocol = l[i].protocol,
			.family = l[i].family,
			.port = l[i].port,
			.pid = l[i].pid,
		};

		memcpy(key.addr, l[i].addr, sizeof(key.addr));
		seen[n_seen++] = key;
		open[key.rule]++;
		if (listen_seen_has(e, &key))
			continue;

		struct finding f = {
			.kind = FINDING_NETWORK,
			.time_real = now,
			.policy = e->policy,
			.rule = m[w].rule,
			.mode = m[w].mode,
			/* It is open already: nothing the kernel could refuse any more. */
			.action = FINDING_ACTION_REPORTED,
			.has_network = true,
			.network = {
				.direction = POLICY_NET_LISTEN,
				.protocol = l[i].protocol == POLICY_NET_UDP ? IPPROTO_UDP : IPPROTO_TCP,
				.family = l[i].family,
				.has_local = true,
				.local_port = l[i].port,
				.count = 1,
				.first_real = now,
				.last_real = now,
				.has_owner = true,
				.owner_uid = l[i].uid,
				.preexisting = true,
			},
		};

		memcpy(f.network.local_addr, l[i].addr, sizeof(f.network.local_addr));
		if (l[i].pid) {
			struct engine_network en = { .pid = l[i].pid, .uid = l[i].uid };

			network_fill_process(e, &f, &en, l[i].exe);
		}
		e->stats.net_findings++;
		emit(e, &f);
	}

	free(e->listen_seen);
	e->listen_seen = TAKE_PTR(seen);
	e->n_listen_seen = n_seen;
	for (size_t i = 0; i < n_rules; i++)
		if (e->rules[i].kind == RULE_STATE_LISTEN)
			listen_set_open(e, i, open[i], now);
}
