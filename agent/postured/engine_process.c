// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process judge: compiles process rules into the kernel filter, judges
 * the execs it lets through with what only userspace can tell (the resolved
 * path, hashes, user and group names, parents), stops denied programs in
 * enforce mode through engine_ops, and follows which programs run for
 * monitor-mode deny rules (they fail meanwhile) and for require rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "basic/string-util.h"
#include "engine-internal.h"
#include "format.h"

/* Facts gathered for one evaluation, with room for the strings they point to. */
struct facts {
	struct policy_process pp;
	char path[EVENT_PATH_LEN];
	char script[EVENT_PATH_LEN]; /* a #! script as started; "" otherwise */
	char stdin_writer[EVENT_NAME_LEN];
	const struct decoded_stdio *stdio; /* the exec's three, NULL when not from an exec */
	char sha256[HASHCACHE_HEX_LEN + 1];
	char args[EVENT_ARGS_LEN + 1];
	char user[256], group[256];
	const struct proc_entry *ancestors[FINDING_CHAIN_MAX];
	size_t n_ancestors;
};

/* --- compiling into the kernel filter ------------------------------------- */

/* Whether the kernel alone kills for this rule, before the program's first instruction. */
static bool rule_kernel_kills(const policy_rule *r)
{
	_Static_assert(POLICY_KERNEL_NAME_MAX < FILTER_NAME_LEN, "kernel name keys hold the names");
	return policy_rule_effect(r) == POLICY_EFFECT_DENY &&
	       policy_rule_mode(r) == POLICY_MODE_ENFORCE && policy_rule_kernel_decidable(r);
}

/*
 * Adds the entries of exact path text with verdict v: the path, and the
 * executable's inode too, which catches it however it is started (a
 * symlink, a relative path).  A program installed after this is caught by
 * its path until the next reload.  Returns how many, or -errno.
 */
static int compile_path(engine *e, const char *text, const struct filter_verdict *v)
{
	struct stat st;
	int n = 0, k;

	k = e->ops->filter_add_path(e->ctx, text, v);
	if (k < 0 && k != -ENAMETOOLONG)
		return k;
	n += k >= 0;
	if (stat(text, &st) == 0 && S_ISREG(st.st_mode)) {
		k = e->ops->filter_add_inode(e->ctx, path_sb_dev(text, &st), st.st_ino, v);
		if (k < 0)
			return k;
		n++;
	}
	return n;
}

/*
 * The matcher of parent_path of clause k of r (0: "match", then the
 * excepts), or NULL.
 */
static const struct policy_matcher *parent_matcher(const policy_rule *r, size_t k)
{
	return k == 0 ? policy_rule_matcher(r, POLICY_FIELD_PARENT_PATH) :
			policy_rule_except_matcher(r, k - 1, POLICY_FIELD_PARENT_PATH);
}

/*
 * The parents r names in parent_path, in "match" or an except, reported by
 * the kernel: a parent is known only if its exec reached userspace (or it
 * ran before the agent), and once it did the kernel follows its children.
 * Returns how many entries, or -errno.
 */
static int compile_parents(engine *e, const policy_rule *r, const struct filter_verdict *rule_v)
{
	struct filter_verdict v = { .rule = rule_v->rule, .action = EVENT_ACTION_REPORT };
	int n = 0, k;

	for (size_t c = 0; c <= policy_rule_except_count(r); c++) {
		const struct policy_matcher *m = parent_matcher(r, c);

		for (size_t i = 0; m && m->exact && i < m->n_values; i++) {
			k = compile_path(e, m->values[i].text, &v);
			if (k < 0)
				return k;
			n += k;
		}
	}
	return n;
}

/* The probe's fact for a keyword of location or stdio (a matcher value's id). */
static unsigned keyword_fact(enum policy_field field, uint32_t id)
{
	if (field == POLICY_FIELD_STDIO)
		return EVENT_FACT_STDIO_NETWORK;
	return id == POLICY_LOCATION_MEMORY ? EVENT_FACT_MEMORY : EVENT_FACT_WORLD_WRITABLE;
}

/* Whether the kernel can pick out this rule's execs: by path, name or a fact it decides. */
static bool key_in_kernel(enum policy_field key)
{
	return key == POLICY_FIELD_PATH || key == POLICY_FIELD_NAME ||
	       key == POLICY_FIELD_LOCATION || key == POLICY_FIELD_STDIO;
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
	int n, k;

	n = compile_parents(e, r, &v);
	if (n < 0 || !key_in_kernel(key))
		return n;
	m = policy_rule_matcher(r, key);
	for (size_t i = 0; i < m->n_values; i++) {
		const char *text = m->values[i].text;

		if (key == POLICY_FIELD_LOCATION || key == POLICY_FIELD_STDIO) {
			k = e->ops->filter_add_fact(e->ctx, keyword_fact(key, m->values[i].id), &v);
			if (k < 0)
				return k;
			n++;
			continue;
		}
		k = key == POLICY_FIELD_NAME ? e->ops->filter_add_name(e->ctx, text, &v) :
					       compile_path(e, text, &v);
		if (k < 0)
			return k;
		n += key == POLICY_FIELD_NAME ? 1 : k;
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
		if (!key_in_kernel(key))
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

/*
 * Whether some enabled process rule names its parents by a pattern: the
 * kernel cannot pick those parents' execs out, so it passes every exec up,
 * or the parent would be unknown (and an except on it would not hold).
 */
static bool has_parent_patterns(const policy *p)
{
	for (size_t i = 0; i < policy_rule_count(p); i++) {
		const policy_rule *r = policy_rule_at(p, i);

		if (!policy_rule_enabled(r) || policy_rule_type(r) != POLICY_RULE_PROCESS)
			continue;
		for (size_t c = 0; c <= policy_rule_except_count(r); c++) {
			const struct policy_matcher *m = parent_matcher(r, c);

			if (m && !m->exact)
				return true;
		}
	}
	return false;
}

/* Whether every exec must come to userspace under p (a full exec audit asks for that too). */
static bool needs_every_exec(const policy *p)
{
	return (policy_needs(p) & POLICY_NEED_EVERY_EXEC) || has_userspace_keys(p) ||
	       has_parent_patterns(p);
}

int engine_process_compile(engine *e, const policy *p, size_t *ret_entries, bool *ret_open)
{
	size_t entries = 0;
	bool open;
	int r;

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
	if (r >= 0) {
		e->ops->filter_pipe_writers(e->ctx, policy_needs(p) & POLICY_NEED_STDIN_WRITER);
		r = e->ops->filter_commit(e->ctx, open);
	}
	if (r < 0)
		return r;
	*ret_entries = entries;
	*ret_open = open;
	return 0;
}

/* --- facts about a process ------------------------------------------------ */

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

/*
 * Where the program lies, as location keywords: the kernel's facts about the
 * executable, and for a #! script also where the script lies, which the
 * kernel could not see (its file is closed by then): a relative name by the
 * kernel's look at the working directory, an absolute one by the agent's.
 */
static unsigned exec_location(engine *e, const struct decoded_event *ev)
{
	unsigned loc = finding_exec_location(ev->exec.facts);

	if (ev->exec.script && !(loc & POLICY_LOCATION_WORLD_WRITABLE)) {
		if (ev->exec.filename[0] != '/') {
			if (ev->exec.cwd_world_writable)
				loc |= POLICY_LOCATION_WORLD_WRITABLE;
		} else if ((policy_needs(e->policy) & POLICY_NEED_LOCATION) &&
			   e->ops->in_world_writable &&
			   e->ops->in_world_writable(e->ctx, ev->exec.filename) == 1) {
			loc |= POLICY_LOCATION_WORLD_WRITABLE;
		}
	}
	return loc;
}

/* Who writes into the pipe on the program's standard input, as the kernel noted it. */
static const char *exec_stdin_writer(engine *e, const struct decoded_event *ev, struct facts *f)
{
	const struct decoded_stdio *in = &ev->exec.stdio[0];

	if (ev->exec.stdin_writer[0])
		return strbufcpy(f->stdin_writer, sizeof(f->stdin_writer), ev->exec.stdin_writer);
	/* The writer's exec may have come after this one: the kernel's map has it by now. */
	if (in->kind != EVENT_STDIO_PIPE || !(policy_needs(e->policy) & POLICY_NEED_STDIN_WRITER) ||
	    !e->ops->pipe_writer ||
	    e->ops->pipe_writer(e->ctx, in->ino, f->stdin_writer, sizeof(f->stdin_writer)) < 0)
		return NULL;
	return f->stdin_writer;
}

static void facts_from_exec(engine *e, const struct decoded_event *ev, struct facts *f)
{
	const char *path = ev->exec.filename;

	memset(&f->pp, 0, sizeof(f->pp));
	f->sha256[0] = '\0';
	f->script[0] = '\0';
	/*
	 * The kernel resolved the executable from its struct file at the exec,
	 * while the program surely still existed.  Where it could not (a path
	 * deeper than its walk), /proc may still have it; only where a rule
	 * could turn on it, for it costs a syscall: the kernel matched the
	 * executable, or some rule has no kernel key.  Failing both, the path
	 * as exec'd must do.
	 */
	if (ev->exec.exe_path[0] && !ev->exec.exe_path_truncated)
		path = strbufcpy(f->path, sizeof(f->path), ev->exec.exe_path);
	else if ((path[0] != '/' || e->userspace_keys ||
		  ev->exec.match_action != EVENT_ACTION_NONE) &&
		 e->ops->exe_path(e->ctx, ev->task.pid, ev->exec.exe_ino, f->path,
				  sizeof(f->path)) >= 0)
		path = f->path;
	f->pp.path = path;
	if (ev->exec.script)
		strbufcpy(f->script, sizeof(f->script), ev->exec.filename);
	f->pp.location = exec_location(e, ev);
	if (ev->exec.facts & 1U << EVENT_FACT_STDIO_NETWORK)
		f->pp.stdio |= POLICY_STDIO_NETWORK;
	f->pp.stdin_writer = exec_stdin_writer(e, ev, f);
	f->stdio = ev->exec.stdio;
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

/*
 * The arguments of a process known without its exec record, as much as the
 * kernel would have captured at its exec: none when it captures none (an
 * except on arguments then holds no more than at exec).
 */
static void facts_args_from_proc(engine *e, uint32_t pid, struct facts *f)
{
	char raw[EVENT_ARGS_LEN];
	int n;

	if (e->args_bytes == 0 || !e->ops->cmdline || !(policy_needs(e->policy) & POLICY_NEED_ARGS))
		return;
	n = e->ops->cmdline(e->ctx, pid, raw, MIN(sizeof(raw), (size_t)e->args_bytes));
	if (n <= 0)
		return;
	format_cmd_line(raw, (size_t)n, f->args, sizeof(f->args));
	f->pp.args = f->args;
}

/*
 * Where a program known from /proc lies: /proc/PID/exe says "/memfd:NAME
 * (deleted)" for a memfd.  It adds " (deleted)" to an unlinked file's path
 * too, but for a program that was running before the agent that is nearly
 * always a package upgrade that replaced its file, not a program started
 * from a deleted one: only memfds count as memory here, and the path without
 * the suffix is judged for where it lay.  What its standard descriptors were
 * at its exec is not known.
 */
static unsigned entry_location(engine *e, const char *exe)
{
	static const char deleted[] = " (deleted)";
	char path[EVENT_PATH_LEN];
	size_t len;

	if (!exe || exe[0] != '/' || !(policy_needs(e->policy) & POLICY_NEED_LOCATION))
		return 0;
	if (strncmp(exe, "/memfd:", strlen("/memfd:")) == 0)
		return POLICY_LOCATION_MEMORY;
	strbufcpy(path, sizeof(path), exe);
	len = strlen(path);
	if (len > strlen(deleted) && strcmp(path + len - strlen(deleted), deleted) == 0)
		path[len - strlen(deleted)] = '\0';
	if (e->ops->in_world_writable && e->ops->in_world_writable(e->ctx, path) == 1)
		return POLICY_LOCATION_WORLD_WRITABLE;
	return 0;
}

static void facts_from_entry(engine *e, const struct proc_entry *pe, struct facts *f)
{
	memset(&f->pp, 0, sizeof(f->pp));
	f->sha256[0] = '\0';
	f->script[0] = '\0';
	f->stdio = NULL;
	f->pp.path = pe->exe;
	f->pp.location = entry_location(e, pe->exe);
	if (!pe->exe && pe->comm[0])
		f->pp.name = pe->comm;
	f->pp.uid = pe->uid;
	f->pp.gid = pe->gid;
	facts_ancestors(e, pe->ppid, f);
	facts_names(e, f);
	facts_args_from_proc(e, pe->pid, f);
}

/* --- findings ------------------------------------------------------------- */

static void finding_fill_ancestors(struct finding *fd, const struct facts *f)
{
	fd->n_ancestors = f->n_ancestors;
	for (size_t i = 0; i < f->n_ancestors; i++) {
		fd->ancestors[i].pid = f->ancestors[i]->pid;
		strbufcpy(fd->ancestors[i].path, sizeof(fd->ancestors[i].path),
			  f->ancestors[i]->exe ? f->ancestors[i]->exe : "");
	}
}

void engine_process_fill_ancestors(engine *e, uint32_t ppid, struct finding *f)
{
	struct facts facts = {};

	facts_ancestors(e, ppid, &facts);
	finding_fill_ancestors(f, &facts);
}

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
	finding_process_set_name(p, f->pp.path, ev->task.comm);
	strbufcpy(p->sha256, sizeof(p->sha256), f->sha256);
	strbufcpy(p->cmd_line, sizeof(p->cmd_line), f->pp.args ? f->pp.args : "");
	p->location = f->pp.location;
	strbufcpy(p->script, sizeof(p->script), f->script);
	strbufcpy(p->stdin_from, sizeof(p->stdin_from),
		  f->pp.stdin_writer ? f->pp.stdin_writer : "");
	p->has_stdio = f->stdio != NULL;
	if (f->stdio)
		memcpy(p->stdio, f->stdio, sizeof(p->stdio));
	finding_fill_ancestors(fd, f);
}

/* --- deny rules ----------------------------------------------------------- */

/* A monitor-mode deny finding: the program runs on, and its rule fails until it exits. */
static void deny_violator_add(engine *e, const policy_rule *r, uint32_t pid)
{
	struct rule_state *st = engine_rule_state(e, r);

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
		engine_state_changed(e);
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
				engine_state_changed(e);
			}
			break;
		}
	}
}

/* --- require rules -------------------------------------------------------- */

static bool require_has(const struct rule_state *s, uint32_t pid)
{
	for (size_t i = 0; i < s->require.n_pids; i++)
		if (s->require.pids[i] == pid)
			return true;
	return false;
}

void engine_process_require_finding(engine *e, struct rule_state *s, enum finding_kind kind,
				    usec_t now)
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
	engine_emit(e, &f);
	engine_state_changed(e);
}

static void require_add(engine *e, struct rule_state *s, uint32_t pid, usec_t now)
{
	if (require_has(s, pid) || s->require.n_pids >= REQUIRE_PIDS_MAX)
		return;
	s->require.pids[s->require.n_pids++] = pid;
	s->require.absent_since = 0;
	if (s->require.finding_open) {
		s->require.finding_open = false;
		engine_process_require_finding(e, s, FINDING_REQUIRE_RETURNED, now);
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
	for (size_t i = 0; i < engine_require_count(e); i++)
		require_remove(engine_require_state(e->policy, e->rules, i), pid, now);
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
		struct rule_state *st = engine_require_state(s->p, s->rules, i);

		if (st->require.n_pids < REQUIRE_PIDS_MAX &&
		    policy_rule_matches(st->rule, &s->facts.pp)) {
			st->require.pids[st->require.n_pids++] = pe->pid;
			/* Known from /proc, not from an exec the kernel matched: have it tracked. */
			(void)s->e->ops->track(s->e->ctx, pe->pid);
		}
	}
}

/*
 * A rule that was absent with a finding standing under the old policy
 * carries that over, so a reload neither repeats the finding nor loses the
 * return.
 */
void engine_process_require_build(engine *e, policy *p, struct rule_state *rules, usec_t now)
{
	struct require_scan scan = { .e = e, .p = p, .rules = rules, .now = now };
	policy *saved = e->policy;

	/* facts_names() reads the policy in force; judge by the new one. */
	e->policy = p;
	proctab_foreach(e->procs, require_scan_one, &scan);
	e->policy = saved;

	for (size_t i = 0; i < policy_require_count(p); i++) {
		struct rule_state *st = engine_require_state(p, rules, i);
		const char *id = policy_rule_id(st->rule);

		if (st->require.n_pids == 0)
			st->require.absent_since = now ? now : 1;
		for (size_t j = 0; j < engine_require_count(e); j++) {
			const struct rule_state *old = engine_require_state(e->policy, e->rules, j);

			if (strcmp(policy_rule_id(old->rule), id) != 0)
				continue;
			if (st->require.n_pids == 0 && old->require.absent_since)
				st->require.absent_since = old->require.absent_since;
			/*
			 * An absent finding stands on; if the program is running
			 * now, engine_process_policy_changed() says it returned.
			 */
			st->require.finding_open = old->require.finding_open;
			st->changed = old->changed;
		}
	}
}

bool engine_require_present(engine *e, size_t i)
{
	return i < engine_require_count(e) &&
	       engine_require_state(e->policy, e->rules, i)->require.n_pids > 0;
}

/* --- the policy coming into force ----------------------------------------- */

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
		finding_process_set_name(&f.process, pe->exe, pe->comm);
		f.process.location = facts.pp.location;
		strbufcpy(f.process.sha256, sizeof(f.process.sha256), facts.sha256);
		strbufcpy(f.process.cmd_line, sizeof(f.process.cmd_line),
			  facts.pp.args ? facts.pp.args : "");
		finding_fill_ancestors(&f, &facts);
		engine_emit(e, &f);
	}
}

void engine_process_policy_changed(engine *e, usec_t now)
{
	const policy *p = e->policy;

	e->gen = (uint16_t)(e->ops->filter_gen(e->ctx) & 0xffff);
	e->has_rules = has_process_rules(p);
	e->userspace_keys = has_userspace_keys(p);

	/* A required program found running again under the new policy has returned. */
	for (size_t i = 0; i < engine_require_count(e); i++) {
		struct rule_state *st = engine_require_state(e->policy, e->rules, i);

		if (st->require.finding_open && st->require.n_pids > 0) {
			st->require.finding_open = false;
			engine_process_require_finding(e, st, FINDING_REQUIRE_RETURNED, now);
		}
	}

	/* Denied programs that were running before this policy: judged now. */
	proctab_foreach(e->procs, judge_running, e);
}

/* --- records -------------------------------------------------------------- */

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

void engine_process_exec(engine *e, const struct decoded_event *ev, usec_t now)
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
	/*
	 * The table has the path as exec'd; keep the resolved one, which is
	 * what parent_path means when this process starts others.  A refused
	 * exec changed nothing: the pid still runs the caller's program.
	 */
	if (facts.pp.path == facts.path && !denied)
		(void)proctab_set_exe(e->procs, ev->task.pid, facts.path);
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
		engine_emit(e, &f);
	}
	if (in_kernel)
		e->stats.killed++;

	/* Required programs: this pid is now one, or no longer one. */
	require_remove_all(e, ev->task.pid, now);
	if (killed)
		return;
	n_req = policy_eval_require(e->policy, &facts.pp, matches, MATCHES_MAX);
	for (size_t i = 0; i < n_req && i < MATCHES_MAX; i++) {
		struct rule_state *st = engine_rule_state(e, matches[i].rule);

		if (st && st->kind == RULE_STATE_REQUIRE)
			require_add(e, st, ev->task.pid, now);
	}
}

void engine_process_fork(engine *e, const struct decoded_event *ev, usec_t now)
{
	/* A child of a required program is another instance of it. */
	for (size_t i = 0; i < engine_require_count(e); i++) {
		struct rule_state *st = engine_require_state(e->policy, e->rules, i);

		if (require_has(st, ev->task.ppid))
			require_add(e, st, ev->task.pid, now);
	}
}

void engine_process_exit(engine *e, const struct decoded_event *ev, usec_t now)
{
	deny_violator_remove(e, ev->task.pid);
	require_remove_all(e, ev->task.pid, now);
}
