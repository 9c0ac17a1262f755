// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl policy check` prints every error of every file the way
 * compilers do, so editors can jump to them; `posturectl policy explain`
 * says what a policy will do, for the IT team that writes it and for the
 * employee who wants to know, in English or Japanese after the locale.
 */
#include <errno.h>
#include <getopt.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/policy.h"
#include "basic/cleanup.h"
#include "ctl_policy.h"

/* Messages go through gettext (po/); explain's templates below have their own tables. */
#define _(s) gettext(s)

DEFINE_TRIVIAL_CLEANUP_FUNC(policy_errors *, policy_errors_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(policy *, policy_unref);

enum lang {
	LANG_EN,
	LANG_JA,
	_LANG_MAX,
};

/*
 * UI strings of `policy explain`, one table per language.  {1}..{9} are
 * replaced by arguments, in whatever order the language needs them.
 * TODO(gettext): these move to gettext with the rest of the UI strings.
 */
enum text {
	T_POLICY,
	T_MODE_MONITOR,
	T_MODE_ENFORCE,
	T_SETTINGS,
	T_S_CHECK,
	T_S_REPORT,
	T_S_ARGS_NO,
	T_S_ARGS_YES,
	T_S_AUDIT_NO,
	T_S_AUDIT_YES,
	T_S_GRACE,
	T_S_RETENTION,
	T_RULE_COUNT,
	T_RULE_COUNT_ONE,
	T_RULE_HEAD,
	T_DISABLED,
	T_DENY_MONITOR,
	T_DENY_ENFORCE_KERNEL,
	T_DENY_ENFORCE_USER,
	T_REQUIRE,
	T_CHECK,
	T_CHECK_PARAMS,
	T_PATH_IS,
	T_PATH_MATCHES,
	T_PATH_LIST,
	T_PATH_IN,
	T_NAME_IS,
	T_NAME_MATCHES,
	T_NAME_LIST,
	T_NAME_IN,
	T_SHA256_IS,
	T_SHA256_LIST,
	T_PARENT_IS,
	T_PARENT_MATCHES,
	T_PARENT_LIST,
	T_PARENT_IN,
	T_USER_IS,
	T_USER_LIST,
	T_GROUP_IS,
	T_GROUP_LIST,
	T_ARGS_IS,
	T_ARGS_LIST,
	T_UID,
	T_GID,
	T_SEVERITY,
	T_TAGS,
	T_CONTACT,
	T_MESSAGE,
	T_REMEDIATION,
	T_QUOTE,
	T_LIST_SEP,
	T_SEV_INFO,
	T_SEV_LOW,
	T_SEV_MEDIUM,
	T_SEV_HIGH,
	T_SEV_CRITICAL,
	_T_MAX,
};

static const char *const texts[_LANG_MAX][_T_MAX] = {
	[LANG_EN] = {
		[T_POLICY] = "Policy {1}, serial {2} ({3})",
		[T_MODE_MONITOR] = "Mode: monitor. Rules report what they find; no program is stopped.",
		[T_MODE_ENFORCE] = "Mode: enforce. Denied programs are stopped and reported; a rule may set monitor mode for itself.",
		[T_SETTINGS] = "Settings:",
		[T_S_CHECK] = "device posture checks run every {1} seconds",
		[T_S_REPORT] = "reports are sent every {1} seconds",
		[T_S_ARGS_NO] = "program arguments are not collected",
		[T_S_ARGS_YES] = "program arguments are collected (they can hold personal data)",
		[T_S_AUDIT_NO] = "only findings are reported, not every program started",
		[T_S_AUDIT_YES] = "every program started is reported (full exec audit trail)",
		[T_S_GRACE] = "a required program may be missing for {1} seconds before that is reported, unless its rule says otherwise",
		[T_S_RETENTION] = "the local record of what was sent is kept for {1} days",
		[T_RULE_COUNT] = "{1} rules, {2} enabled.",
		[T_RULE_COUNT_ONE] = "1 rule, {2} enabled.",
		[T_RULE_HEAD] = "{1}. {2}: {3}",
		[T_DISABLED] = "Disabled: this rule does nothing until \"enabled\" is set to true. Enabled, it would do this:",
		[T_DENY_MONITOR] = "Reports any program that matches all of the following; the program is not stopped (monitor mode):",
		[T_DENY_ENFORCE_KERNEL] = "Stops any program that matches all of the following before it runs a single instruction, and reports it (enforce mode):",
		[T_DENY_ENFORCE_USER] = "Stops any program that matches all of the following, and reports it (enforce mode). These conditions are checked just after the program starts, so it may run for a moment:",
		[T_REQUIRE] = "Expects a program that matches all of the following to be running; reports when none has run for {1} seconds, and again when one is back:",
		[T_CHECK] = "Checks this device's settings (the \"{1}\" check) at start and on every check interval; reports when the check fails or cannot tell, and again when it passes. Nothing is stopped.",
		[T_CHECK_PARAMS] = "With the parameters: {1}",
		[T_PATH_IS] = "its path is {1}",
		[T_PATH_MATCHES] = "its path matches {1}",
		[T_PATH_LIST] = "its path is or matches one of: {1}",
		[T_PATH_IN] = "its path is one of: {1}",
		[T_NAME_IS] = "its name is {1}",
		[T_NAME_MATCHES] = "its name matches {1}",
		[T_NAME_LIST] = "its name is or matches one of: {1}",
		[T_NAME_IN] = "its name is one of: {1}",
		[T_SHA256_IS] = "the SHA-256 of its file is {1}",
		[T_SHA256_LIST] = "the SHA-256 of its file is one of: {1}",
		[T_PARENT_IS] = "it was started by the program at {1}",
		[T_PARENT_MATCHES] = "it was started by a program whose path matches {1}",
		[T_PARENT_LIST] = "it was started by a program whose path is or matches one of: {1}",
		[T_PARENT_IN] = "it was started by a program whose path is one of: {1}",
		[T_USER_IS] = "it runs as user {1}",
		[T_USER_LIST] = "it runs as one of the users: {1}",
		[T_GROUP_IS] = "it runs with group {1}",
		[T_GROUP_LIST] = "it runs with one of the groups: {1}",
		[T_ARGS_IS] = "its arguments contain {1}",
		[T_ARGS_LIST] = "its arguments contain one of: {1}",
		[T_UID] = "uid {1}",
		[T_GID] = "gid {1}",
		[T_SEVERITY] = "Severity: {1}.",
		[T_TAGS] = "Tags: {1}.",
		[T_CONTACT] = "Contact: {1}",
		[T_MESSAGE] = "Message shown: {1}",
		[T_REMEDIATION] = "How to fix: {1}",
		[T_QUOTE] = "\"{1}\"",
		[T_LIST_SEP] = ", ",
		[T_SEV_INFO] = "info",
		[T_SEV_LOW] = "low",
		[T_SEV_MEDIUM] = "medium",
		[T_SEV_HIGH] = "high",
		[T_SEV_CRITICAL] = "critical",
	},
	[LANG_JA] = {
		[T_POLICY] = "ポリシー{1}（シリアル {2}、{3}）",
		[T_MODE_MONITOR] = "モード: 監視。ルールは見つけたものを報告するだけで、プログラムを停止しません。",
		[T_MODE_ENFORCE] = "モード: 強制。禁止されたプログラムは停止され、報告されます。ルールごとに監視モードを指定することもできます。",
		[T_SETTINGS] = "設定:",
		[T_S_CHECK] = "端末の状態チェックを {1} 秒ごとに実行します",
		[T_S_REPORT] = "レポートを {1} 秒ごとに送信します",
		[T_S_ARGS_NO] = "プログラムの引数は収集しません",
		[T_S_ARGS_YES] = "プログラムの引数を収集します（個人的な情報が含まれることがあります）",
		[T_S_AUDIT_NO] = "報告するのは検出結果だけで、起動したすべてのプログラムではありません",
		[T_S_AUDIT_YES] = "起動したすべてのプログラムを報告します（完全な実行監査記録）",
		[T_S_GRACE] = "必須のプログラムが {1} 秒間見つからないと報告します（ルールで別に指定されていない場合）",
		[T_S_RETENTION] = "送信した内容のローカル記録を {1} 日間保存します",
		[T_RULE_COUNT] = "ルール {1} 件（うち有効 {2} 件）",
		[T_RULE_COUNT_ONE] = "ルール 1 件（うち有効 {2} 件）",
		[T_RULE_HEAD] = "{1}. {2}: {3}",
		[T_DISABLED] = "無効: \"enabled\" を true にするまで、このルールは何もしません。有効にすると次のように動作します:",
		[T_DENY_MONITOR] = "次の条件をすべて満たすプログラムを報告します。プログラムは停止しません（監視モード）:",
		[T_DENY_ENFORCE_KERNEL] = "次の条件をすべて満たすプログラムを、最初の命令を実行する前に停止し、報告します（強制モード）:",
		[T_DENY_ENFORCE_USER] = "次の条件をすべて満たすプログラムを停止し、報告します（強制モード）。条件はプログラムの起動直後に判定するため、わずかな間動作することがあります:",
		[T_REQUIRE] = "次の条件をすべて満たすプログラムが動いていることを求めます。{1} 秒間見つからないと報告し、再び動き出したときにも報告します:",
		[T_CHECK] = "この端末の設定を調べます（「{1}」チェック）。起動時と毎回のチェック間隔で実行し、不合格または判定できないときに報告し、合格に戻ったときにも報告します。プログラムは停止しません。",
		[T_CHECK_PARAMS] = "パラメーター: {1}",
		[T_PATH_IS] = "パスが{1}",
		[T_PATH_MATCHES] = "パスがパターン{1}に一致",
		[T_PATH_LIST] = "パスが次のいずれかに一致: {1}",
		[T_PATH_IN] = "パスが次のいずれか: {1}",
		[T_NAME_IS] = "名前が{1}",
		[T_NAME_MATCHES] = "名前がパターン{1}に一致",
		[T_NAME_LIST] = "名前が次のいずれかに一致: {1}",
		[T_NAME_IN] = "名前が次のいずれか: {1}",
		[T_SHA256_IS] = "ファイルの SHA-256 が{1}",
		[T_SHA256_LIST] = "ファイルの SHA-256 が次のいずれか: {1}",
		[T_PARENT_IS] = "{1}のプログラムから起動された",
		[T_PARENT_MATCHES] = "パスがパターン{1}に一致するプログラムから起動された",
		[T_PARENT_LIST] = "パスが次のいずれかに一致するプログラムから起動された: {1}",
		[T_PARENT_IN] = "パスが次のいずれかのプログラムから起動された: {1}",
		[T_USER_IS] = "ユーザー{1}として実行",
		[T_USER_LIST] = "次のいずれかのユーザーとして実行: {1}",
		[T_GROUP_IS] = "グループ{1}で実行",
		[T_GROUP_LIST] = "次のいずれかのグループで実行: {1}",
		[T_ARGS_IS] = "引数に{1}を含む",
		[T_ARGS_LIST] = "引数に次のいずれかを含む: {1}",
		[T_UID] = "UID {1}",
		[T_GID] = "GID {1}",
		[T_SEVERITY] = "重大度: {1}",
		[T_TAGS] = "タグ: {1}",
		[T_CONTACT] = "問い合わせ先: {1}",
		[T_MESSAGE] = "表示されるメッセージ: {1}",
		[T_REMEDIATION] = "対処方法: {1}",
		[T_QUOTE] = "「{1}」",
		[T_LIST_SEP] = "、",
		[T_SEV_INFO] = "情報",
		[T_SEV_LOW] = "低",
		[T_SEV_MEDIUM] = "中",
		[T_SEV_HIGH] = "高",
		[T_SEV_CRITICAL] = "重大",
	},
};

/* The language tag whose rule texts to show, with the language of the templates. */
struct explain_lang {
	enum lang lang;
	const char *tag;
};

static struct explain_lang explain_lang_from_env(void)
{
	/* POSIX precedence: LC_ALL over LC_MESSAGES over LANG; the first one set decides. */
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		const char *v = getenv(vars[i]);

		if (!v || !*v)
			continue;
		if (strncmp(v, "ja", 2) == 0)
			return (struct explain_lang){ .lang = LANG_JA, .tag = "ja" };
		break;
	}
	return (struct explain_lang){ .lang = LANG_EN, .tag = "en" };
}

/*
 * Appends template t with {N} replaced by args[N-1] to *buf (a malloc'd
 * string, NULL at first).  Returns 0 or -ENOMEM.
 */
static int expand(char **buf, const char *t, const char *const *args, size_t n_args)
{
	_cleanup_free_ char *out = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&out, &size);
	if (!f)
		return -ENOMEM;
	if (*buf)
		fputs(*buf, f);
	for (const char *p = t; *p; p++) {
		if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}' &&
		    (size_t)(p[1] - '1') < n_args) {
			fputs(args[p[1] - '1'], f);
			p += 2;
		} else {
			fputc(*p, f);
		}
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	free(*buf);
	*buf = TAKE_PTR(out);
	return 0;
}

struct explain {
	enum lang lang;
	const char *tag;
	FILE *out;
};

static const char *txt(const struct explain *e, enum text t)
{
	return texts[e->lang][t];
}

/* Prints s indented, and a newline.  Texts may hold line breaks: their lines are indented too. */
static void print_indented(const struct explain *e, int indent, const char *s)
{
	fprintf(e->out, "%*s", indent, "");
	for (const char *p = s; *p; p++) {
		fputc(*p, e->out);
		if (*p == '\n')
			fprintf(e->out, "%*s", indent + 2, "");
	}
	fputc('\n', e->out);
}

/* Prints template t with its arguments, indented, and a newline. */
static int say(const struct explain *e, int indent, enum text t, const char *const *args,
	       size_t n_args)
{
	_cleanup_free_ char *s = NULL;
	int r = expand(&s, txt(e, t), args, n_args);

	if (r < 0)
		return r;
	print_indented(e, indent, s);
	return 0;
}

static int say1(const struct explain *e, int indent, enum text t, const char *arg)
{
	return say(e, indent, t, &arg, arg ? 1 : 0);
}

static int quote(const struct explain *e, char **buf, const char *s)
{
	return expand(buf, txt(e, T_QUOTE), &s, 1);
}

/* One value of a matcher as it reads in the language: "x", uid 1000. */
static int value_words(const struct explain *e, char **buf, const struct policy_matcher *m,
		       const struct policy_value *v)
{
	char id[16];
	const char *arg = id;

	if (v->text)
		return quote(e, buf, v->text);
	snprintf(id, sizeof(id), "%u", v->id);
	return expand(buf, txt(e, m->field == POLICY_FIELD_USER ? T_UID : T_GID), &arg, 1);
}

static int explain_matcher(const struct explain *e, const struct policy_matcher *m)
{
	/* Per field: one exact value, one pattern, a list of exact values, a list with patterns. */
	static const enum text forms[_POLICY_FIELD_MAX][4] = {
		[POLICY_FIELD_PATH] = { T_PATH_IS, T_PATH_MATCHES, T_PATH_IN, T_PATH_LIST },
		[POLICY_FIELD_NAME] = { T_NAME_IS, T_NAME_MATCHES, T_NAME_IN, T_NAME_LIST },
		[POLICY_FIELD_SHA256] = { T_SHA256_IS, T_SHA256_IS, T_SHA256_LIST, T_SHA256_LIST },
		[POLICY_FIELD_PARENT_PATH] = { T_PARENT_IS, T_PARENT_MATCHES, T_PARENT_IN,
					       T_PARENT_LIST },
		[POLICY_FIELD_USER] = { T_USER_IS, T_USER_IS, T_USER_LIST, T_USER_LIST },
		[POLICY_FIELD_GROUP] = { T_GROUP_IS, T_GROUP_IS, T_GROUP_LIST, T_GROUP_LIST },
		[POLICY_FIELD_ARGS_CONTAINS] = { T_ARGS_IS, T_ARGS_IS, T_ARGS_LIST, T_ARGS_LIST },
	};
	_cleanup_free_ char *values = NULL, *line = NULL;
	const char *arg;
	int r;

	for (size_t i = 0; i < m->n_values; i++) {
		if (i > 0) {
			r = expand(&values, txt(e, T_LIST_SEP), NULL, 0);
			if (r < 0)
				return r;
		}
		r = value_words(e, &values, m, &m->values[i]);
		if (r < 0)
			return r;
	}
	arg = values;
	r = expand(&line, "- ", NULL, 0);
	if (r < 0)
		return r;
	r = expand(&line, txt(e, forms[m->field][(m->n_values > 1) * 2 + !m->exact]), &arg, 1);
	if (r < 0)
		return r;
	fprintf(e->out, "     %s\n", line);
	return 0;
}

static int explain_rule(const struct explain *e, const policy_rule *r)
{
	static const enum text severities[] = {
		[POLICY_SEVERITY_INFO] = T_SEV_INFO,	     [POLICY_SEVERITY_LOW] = T_SEV_LOW,
		[POLICY_SEVERITY_MEDIUM] = T_SEV_MEDIUM,     [POLICY_SEVERITY_HIGH] = T_SEV_HIGH,
		[POLICY_SEVERITY_CRITICAL] = T_SEV_CRITICAL,
	};
	char index[24], grace[16];
	const char *head[3] = { index, policy_rule_id(r), policy_rule_title(r) };
	const char *arg;
	enum text what;
	int r2;

	snprintf(index, sizeof(index), "%zu", policy_rule_index(r) + 1);
	r2 = say(e, 0, T_RULE_HEAD, head, 3);
	if (r2 < 0)
		return r2;
	if (!policy_rule_enabled(r)) {
		r2 = say(e, 3, T_DISABLED, NULL, 0);
		if (r2 < 0)
			return r2;
	}

	if (policy_rule_type(r) == POLICY_RULE_CHECK) {
		r2 = say1(e, 3, T_CHECK, policy_rule_check_name(r));
		if (r2 < 0)
			return r2;
		if (policy_rule_param_count(r) > 0) {
			_cleanup_free_ char *names = NULL;

			for (size_t i = 0; i < policy_rule_param_count(r); i++) {
				r2 = expand(
					&names, i ? "{1}{2}" : "{2}",
					(const char *const[]){ txt(e, T_LIST_SEP),
							       policy_rule_param_at(r, i)->name },
					2);
				if (r2 < 0)
					return r2;
			}
			r2 = say1(e, 3, T_CHECK_PARAMS, names);
			if (r2 < 0)
				return r2;
		}
		goto texts;
	}

	snprintf(grace, sizeof(grace), "%u", policy_rule_grace_seconds(r));
	if (policy_rule_effect(r) == POLICY_EFFECT_REQUIRE)
		what = T_REQUIRE;
	else if (policy_rule_mode(r) == POLICY_MODE_MONITOR)
		what = T_DENY_MONITOR;
	else if (policy_rule_kernel_decidable(r))
		what = T_DENY_ENFORCE_KERNEL;
	else
		what = T_DENY_ENFORCE_USER;
	r2 = say1(e, 3, what, grace);
	if (r2 < 0)
		return r2;
	for (enum policy_field f = 0; f < _POLICY_FIELD_MAX; f++) {
		const struct policy_matcher *m = policy_rule_matcher(r, f);

		if (m && (r2 = explain_matcher(e, m)) < 0)
			return r2;
	}

texts:
	arg = txt(e, severities[policy_rule_severity(r)]);
	r2 = say1(e, 3, T_SEVERITY, arg);
	if (r2 < 0)
		return r2;
	if (policy_rule_tag_count(r) > 0) {
		_cleanup_free_ char *tags = NULL;

		for (size_t i = 0; i < policy_rule_tag_count(r); i++) {
			const char *t = policy_rule_tag(r, i);

			r2 = expand(&tags, i ? "{1}{2}" : "{2}",
				    (const char *const[]){ txt(e, T_LIST_SEP), t }, 2);
			if (r2 < 0)
				return r2;
		}
		arg = tags;
		r2 = say1(e, 3, T_TAGS, arg);
		if (r2 < 0)
			return r2;
	}
	if (policy_rule_contact(r) && (r2 = say1(e, 3, T_CONTACT, policy_rule_contact(r))) < 0)
		return r2;
	r2 = say1(e, 3, T_MESSAGE, policy_rule_text(r, POLICY_TEXT_MESSAGE, e->tag));
	if (r2 < 0)
		return r2;
	r2 = say1(e, 3, T_REMEDIATION, policy_rule_text(r, POLICY_TEXT_REMEDIATION, e->tag));
	if (r2 < 0)
		return r2;
	fputc('\n', e->out);
	return 0;
}

static int explain_policy(const struct explain *e, const policy *p, const char *file)
{
	const struct policy_settings *s = policy_settings(p);
	_cleanup_free_ char *id = NULL;
	char serial[24], n[4][16], count[2][24];
	const char *head[3];
	size_t enabled = 0;
	int r;

	r = quote(e, &id, policy_id(p));
	if (r < 0)
		return r;
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)policy_serial(p));
	head[0] = id;
	head[1] = serial;
	head[2] = file;
	if ((r = say(e, 0, T_POLICY, head, 3)) < 0)
		return r;
	if (policy_description(p))
		print_indented(e, 0, policy_description(p));
	fputc('\n', e->out);
	r = say(e, 0, policy_mode(p) == POLICY_MODE_ENFORCE ? T_MODE_ENFORCE : T_MODE_MONITOR, NULL,
		0);
	if (r < 0)
		return r;

	snprintf(n[0], sizeof(n[0]), "%u", s->check_interval_seconds);
	snprintf(n[1], sizeof(n[1]), "%u", s->report_interval_seconds);
	snprintf(n[2], sizeof(n[2]), "%u", s->require_grace_seconds);
	snprintf(n[3], sizeof(n[3]), "%u", s->sent_retention_days);
	if ((r = say(e, 0, T_SETTINGS, NULL, 0)) < 0)
		return r;
	{
		const struct {
			enum text t;
			const char *arg;
		} lines[] = {
			{ T_S_CHECK, n[0] },
			{ T_S_REPORT, n[1] },
			{ s->collect_arguments ? T_S_ARGS_YES : T_S_ARGS_NO, NULL },
			{ s->exec_audit ? T_S_AUDIT_YES : T_S_AUDIT_NO, NULL },
			{ T_S_GRACE, n[2] },
			{ T_S_RETENTION, n[3] },
		};

		for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
			_cleanup_free_ char *line = NULL;

			r = expand(&line, "- ", NULL, 0);
			if (r >= 0)
				r = expand(&line, txt(e, lines[i].t), &lines[i].arg,
					   lines[i].arg ? 1 : 0);
			if (r < 0)
				return r;
			fprintf(e->out, "  %s\n", line);
		}
	}

	for (size_t i = 0; i < policy_rule_count(p); i++)
		if (policy_rule_enabled(policy_rule_at(p, i)))
			enabled++;
	snprintf(count[0], sizeof(count[0]), "%zu", policy_rule_count(p));
	snprintf(count[1], sizeof(count[1]), "%zu", enabled);
	fputc('\n', e->out);
	r = say(e, 0, policy_rule_count(p) == 1 ? T_RULE_COUNT_ONE : T_RULE_COUNT,
		(const char *const[]){ count[0], count[1] }, 2);
	if (r < 0)
		return r;
	fputc('\n', e->out);

	for (size_t i = 0; i < policy_rule_count(p); i++)
		if ((r = explain_rule(e, policy_rule_at(p, i))) < 0)
			return r;
	return 0;
}

/* Prints the errors of one file from index `from` on, then a summary.  Always 1. */
static int print_errors(const char *file, const policy_errors *errors, size_t from)
{
	size_t n = policy_errors_count(errors) - from;

	for (size_t i = from; i < policy_errors_count(errors); i++) {
		_cleanup_free_ char *s = NULL;

		if (policy_error_format(policy_errors_get(errors, i), &s) < 0) {
			fputs(_("posturectl: out of memory\n"), stderr);
			return 1;
		}
		fprintf(stderr, "%s\n", s);
	}
	fprintf(stderr, ngettext("%s: invalid (%zu error)\n", "%s: invalid (%zu errors)\n", n),
		file, n);
	return 1;
}

/* Loads one file; on failure prints why and returns the exit status (1). */
static int load(const char *file, policy_errors *errors, policy **ret)
{
	size_t from = policy_errors_count(errors);
	int r = policy_load(file, errors, ret);

	if (r >= 0)
		return 0;
	if (r == -EINVAL || r == -EFBIG)
		return print_errors(file, errors, from);
	if (r == -ENOMEM)
		fputs(_("posturectl: out of memory\n"), stderr);
	else if (r == -EBADFD)
		fprintf(stderr, _("%s: error: cannot read the policy: not a regular file\n"), file);
	else
		fprintf(stderr, _("%s: error: cannot read the policy: %s\n"), file, strerror(-r));
	return 1;
}

static int verb_check(int argc, char *argv[])
{
	_cleanup_(policy_errors_freep) policy_errors *errors = NULL;
	int status = 0;

	errors = policy_errors_new();
	if (!errors) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		_cleanup_(policy_unrefp) policy *p = NULL;

		if (load(argv[i], errors, &p) != 0) {
			status = 1;
			continue;
		}
		printf(ngettext("%s: valid (%zu rule)\n", "%s: valid (%zu rules)\n",
				policy_rule_count(p)),
		       argv[i], policy_rule_count(p));
	}
	return status;
}

static int verb_explain(const char *file)
{
	_cleanup_(policy_errors_freep) policy_errors *errors = NULL;
	_cleanup_(policy_unrefp) policy *p = NULL;
	struct explain_lang l = explain_lang_from_env();
	struct explain e = { .lang = l.lang, .tag = l.tag, .out = stdout };

	errors = policy_errors_new();
	if (!errors) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	if (load(file, errors, &p) != 0)
		return 1;
	if (explain_policy(&e, p, file) < 0) {
		fputs(_("posturectl: out of memory\n"), stderr);
		return 1;
	}
	return 0;
}

static void help(FILE *f)
{
	fprintf(f, _("Usage: posturectl policy check FILE...\n"
		     "       posturectl policy explain FILE\n"
		     "\n"
		     "check    Validate policy files: exit 0 when all are valid, 1 listing every\n"
		     "         error as FILE:LINE:COLUMN: error: MESSAGE (at /json/pointer)\n"
		     "explain  Say in words what a policy will do, rule by rule, in the language\n"
		     "         of the locale (Japanese for ja_*, English otherwise)\n"
		     "\n"
		     "Options:\n"
		     "  -h --help  Show this help\n"));
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("posturectl policy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(_(" Try 'posturectl policy --help'.\n"), stderr);
	return 2;
}

int ctl_policy_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *verb;
	int c;

	/* Options may come before or after the verb; operands stay in order. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return 0;
		default:
			return usage_error(_("unknown option '%s'."), argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", _("missing command: check or explain."));
	verb = argv[optind++];
	if (strcmp(verb, "check") == 0) {
		if (optind >= argc)
			return usage_error("%s", _("check needs at least one FILE."));
		return verb_check(argc - optind, argv + optind);
	}
	if (strcmp(verb, "explain") == 0) {
		if (argc - optind != 1)
			return usage_error("%s", _("explain takes exactly one FILE."));
		return verb_explain(argv[optind]);
	}
	return usage_error(_("unknown command '%s'."), verb);
}
