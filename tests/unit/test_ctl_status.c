// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `posturectl status|explain|events` and the status client library against a
 * fake agent: a forked child listening on a socket in a temporary directory
 * that answers with the canned lines of tests/fixtures/status/NAME.json.
 * Output is compared, in English and in Japanese, with NAME.VERB.LANG.txt.
 * Run from the top of the tree.  UPDATE_EXPECTED=1 rewrites the expected
 * files instead (review the diff before committing it).
 */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl_run.h"

#include "ctl/ctl_events.h"
#include "ctl/ctl_explain.h"
#include "ctl/ctl_i18n.h"
#include "ctl/ctl_sent.h"
#include "ctl/ctl_status.h"
#include "ctl/statusclient.h"

#define FIXTURES "tests/fixtures/status"
#ifndef TEST_LOCALEDIR
#define TEST_LOCALEDIR "build/locale"
#endif
#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "build"
#endif
#define NO_SOCKET "/nonexistent/postured/status.sock"

enum server_mode {
	SERVE_FIXTURE,
	SERVE_SILENT, /* accepts, reads, never answers */
	SERVE_LONG_LINE, /* a line over the limit, then an event, then the answer */
};

static char tmpdir[64];
static char sock_path[128];
static pid_t server_pid = -1;

/* --- the fake agent ---------------------------------------------------------- */

static size_t read_lines(const char *file, char ***ret)
{
	FILE *f = fopen(file, "re");
	char **lines = NULL, *line = NULL;
	size_t n = 0, cap = 0;
	ssize_t k;

	if (!f)
		_exit(90);
	while ((k = getline(&line, &cap, f)) > 0) {
		if (line[k - 1] == '\n')
			line[k - 1] = '\0';
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	*ret = lines;
	return n;
}

static void write_str(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t k = write(fd, s, n);

		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

/* Answers one request line. */
static void answer(int fd, char **lines, size_t n, const char *req, enum server_mode mode)
{
	yajl_val r = yajl_tree_parse(req, NULL, 0), params;
	const char *method = statusclient_get_str(r, "method");
	const char *rule;
	int64_t id = statusclient_get_int(r, "id", 0);
	char head[64];
	bool found = false;

	if (mode == SERVE_SILENT || !method) {
		yajl_tree_free(r);
		return;
	}
	params = statusclient_get(r, "params");
	rule = statusclient_get_str(params, "rule");
	snprintf(head, sizeof(head), "{\"id\":%" PRId64 ",", id);

	if (mode == SERVE_LONG_LINE) {
		size_t big = STATUSCLIENT_LINE_MAX + 10;
		char *s = malloc(big + 2);

		memset(s, 'x', big);
		s[big] = '\n';
		s[big + 1] = '\0';
		write_str(fd, s);
		free(s);
		write_str(fd, "{\"event\":\"status\"}\n");
		write_str(fd, head);
		write_str(fd, "\"result\":{\"ok\":true}}\n");
		yajl_tree_free(r);
		return;
	}

	for (size_t i = 0; i < n && !found; i++) {
		yajl_val l = yajl_tree_parse(lines[i], NULL, 0);
		const char *m = statusclient_get_str(l, "method");
		const char *want = statusclient_get_str(l, "rule");

		if (m && strcmp(m, method) == 0 && (!want || (rule && strcmp(want, rule) == 0))) {
			write_str(fd, head);
			write_str(fd, lines[i] + 1);
			write_str(fd, "\n");
			found = true;
		}
		yajl_tree_free(l);
	}
	if (!found) {
		write_str(fd, head);
		write_str(
			fd,
			strcmp(method, "explain") == 0 ?
				"\"error\":{\"code\":\"unknown_rule\",\"message\":\"no such rule\"}}\n" :
				"\"error\":{\"code\":\"unknown_method\",\"message\":\"no\"}}\n");
	} else if (strcmp(method, "subscribe") == 0) {
		for (size_t i = 0; i < n; i++)
			if (strncmp(lines[i], "{\"event\"", 8) == 0) {
				write_str(fd, lines[i]);
				write_str(fd, "\n");
			}
	}
	yajl_tree_free(r);
}

static void serve(int lfd, const char *fixture, enum server_mode mode)
{
	char **lines = NULL;
	size_t n = 0;

	if (fixture) {
		char file[256];

		snprintf(file, sizeof(file), "%s/%s.json", FIXTURES, fixture);
		n = read_lines(file, &lines);
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		FILE *f;
		char *line = NULL;
		size_t cap = 0;
		ssize_t k;

		if (fd < 0)
			_exit(91);
		f = fdopen(dup(fd), "r");
		while ((k = getline(&line, &cap, f)) > 0) {
			answer(fd, lines, n, line, mode);
			/* The fake agent closes after the events of a subscription. */
			if (mode == SERVE_FIXTURE && strstr(line, "\"findings\"") &&
			    strstr(line, "limit") && getenv("TEST_CLOSE_AFTER_FINDINGS"))
				break;
		}
		free(line);
		fclose(f);
		close(fd);
	}
}

static void server_start(const char *fixture, enum server_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	strcpy(tmpdir, "/tmp/test_ctl_status.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sock_path, sizeof(sock_path), "%s/status.sock", tmpdir);
	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);

	fflush(NULL);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (server_pid == 0) {
		serve(lfd, fixture, mode);
		_exit(0);
	}
	close(lfd);
}

static int server_stop(void **state)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
	if (sock_path[0]) {
		unlink(sock_path);
		rmdir(tmpdir);
		sock_path[0] = '\0';
	}
	return 0;
}

/* --- running verbs ------------------------------------------------------------- */

/* Switches the language as a user would, with LC_ALL.  False when the locale is missing. */
static bool use_lang(const char *lang)
{
	const char *loc = strcmp(lang, "ja") == 0 ? "ja_JP.UTF-8" : "C.UTF-8";

	setenv("LC_ALL", loc, 1);
	unsetenv("LANGUAGE");
	setenv("POSTURED_LOCALEDIR", TEST_LOCALEDIR, 1);
	setenv("TZ", "UTC", 1);
	tzset();
	ctl_i18n_setup();
	/* setlocale() fails, keeping the previous locale, when the wanted one is not installed. */
	return strcmp(lang, "en") == 0 || strncmp(setlocale(LC_MESSAGES, NULL), lang, 2) == 0;
}

static bool skip_without(const char *lang)
{
	if (use_lang(lang))
		return false;
	print_message("SKIPPED: the %s locale is not available here (run tools/install-deps as "
		      "root to generate ja_JP.UTF-8)\n",
		      lang);
	skip();
	return true;
}

/* Compares text with FIXTURES/name, or writes it there under UPDATE_EXPECTED=1. */
static void expect_file(const char *text, const char *name)
{
	char file[256];
	FILE *f;
	char *want;

	snprintf(file, sizeof(file), "%s/%s", FIXTURES, name);
	if (getenv("UPDATE_EXPECTED")) {
		f = fopen(file, "we");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		return;
	}
	f = fopen(file, "re");
	if (!f)
		fail_msg("%s is missing; this is the output:\n%s", file, text);
	want = fixture_read_stream(f);
	if (strcmp(want, text) != 0)
		fail_msg("output differs from %s; got:\n%s", file, text);
	free(want);
}

/* --- posturectl status ---------------------------------------------------------- */

static void check_verb(const char *fixture, const char *lang, int (*fn)(int, char **),
		       const char *verb, const char *arg, int want_status)
{
	char name[128];
	struct run r;

	if (skip_without(lang))
		return;
	server_start(fixture, SERVE_FIXTURE);
	r = arg ? run_verb(fn, verb, "--socket", sock_path, arg, NULL) :
		  run_verb(fn, verb, "--socket", sock_path, NULL);
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, want_status);
	/* Never an escape sequence in a pipe: no colour, and none from the agent's data. */
	assert_null(strchr(r.out, '\033'));
	snprintf(name, sizeof(name), "%s.%s.%s.txt", fixture, verb, lang);
	expect_file(r.out, name);
	run_free(&r);
}

static void test_status_noncompliant_en(void **state)
{
	check_verb("noncompliant", "en", ctl_status_main, "status", NULL, 1);
}

static void test_status_noncompliant_ja(void **state)
{
	check_verb("noncompliant", "ja", ctl_status_main, "status", NULL, 1);
}

/*
 * The program itself, run from the build tree as the quick start says, with
 * nothing but a Japanese locale: exe (NULL: build/posturectl) status against
 * the fake agent, its stdout into *ret_out.  Returns the exit status.
 */
static int run_program(const char *exe, char **ret_out)
{
	char path[4096], *argv[] = { path, "status", "--socket", sock_path, NULL };
	char *envp[] = { "LC_ALL=ja_JP.UTF-8", "TZ=UTC", "PATH=/usr/bin:/bin", NULL };
	int fds[2], status;
	pid_t pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s", exe ? exe : TEST_BUILD_DIR "/posturectl");
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execve(path, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	assert_non_null(f);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		int c;

		assert_non_null(m);
		while ((c = fgetc(f)) != EOF)
			fputc(c, m);
		fclose(m);
		*ret_out = buf;
	}
	fclose(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *read_fixture(const char *name)
{
	char file[256];
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", FIXTURES, name);
	f = fopen(file, "re");
	if (!f)
		fail_msg("%s is missing", file);
	return fixture_read_stream(f);
}

/*
 * Fails when out holds a line of the English output en_file that the
 * Japanese ja_file does not: one of the program's own that did not change
 * language (the agent's data, rule titles say, are the same in both).
 */
static void assert_no_english_line(const char *out, const char *en_file, const char *ja_file)
{
	char *en = read_fixture(en_file), *ja = read_fixture(ja_file), *save = NULL;
	unsigned own = 0;

	for (char *l = strtok_r(en, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(ja, l))
			continue;
		own++;
		if (strstr(out, l))
			fail_msg("the Japanese run printed an English line of its own: \"%s\"", l);
	}
	/* The fixture has lines of the program's own to look for. */
	assert_true(own >= 5);
	free(en);
	free(ja);
}

static void test_status_build_tree_ja(void **state)
{
	char *out;

	/* The catalogue under test is the build tree's, found by the program alone. */
	unsetenv("POSTURED_LOCALEDIR");
#ifdef TEST_NO_BUILD_TREE
	print_message("SKIPPED: built with I18N_BUILD_DIR= (a package build), posturectl never "
		      "reads the build tree\n");
	skip();
	return;
#endif
	if (skip_without("ja"))
		return;
	server_start("noncompliant", SERVE_FIXTURE);
	assert_int_equal(run_program(NULL, &out), 1);
	assert_no_english_line(out, "noncompliant.status.en.txt", "noncompliant.status.ja.txt");
	expect_file(out, "noncompliant.status.ja.txt");
	free(out);
}

/* A copy outside the build tree is an installed program: it never reads build/locale. */
static void test_status_installed_copy(void **state)
{
	char copy[256], cmd[4096], *out;
	struct stat st;

	if (skip_without("ja"))
		return;
	if (stat(POSTURED_TEST_INSTALLED_MO, &st) == 0) {
		print_message("SKIPPED: a catalogue is installed at %s\n",
			      POSTURED_TEST_INSTALLED_MO);
		skip();
		return;
	}
	server_start("noncompliant", SERVE_FIXTURE);
	snprintf(copy, sizeof(copy), "%s/posturectl", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp '%s/posturectl' '%s'", TEST_BUILD_DIR, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_program(copy, &out), 1);
	/* Its own lines stay English (the rule texts come from the agent, in Japanese). */
	assert_non_null(strstr(out, "How to fix"));
	assert_null(strstr(out, "直し方"));
	free(out);
	unlink(copy);
}

static void test_in_build_tree(void **state)
{
	char exe[4096];

	snprintf(exe, sizeof(exe), "%s/posturectl", TEST_BUILD_DIR);
	assert_true(ctl_i18n_in_build_tree(exe, TEST_BUILD_DIR));
	/* A build tree named with a trailing slash or through "..": resolved first. */
	snprintf(exe, sizeof(exe), "%s/", TEST_BUILD_DIR);
	assert_true(ctl_i18n_in_build_tree(TEST_BUILD_DIR "/posturectl", exe));
	assert_true(
		ctl_i18n_in_build_tree(TEST_BUILD_DIR "/posturectl", TEST_BUILD_DIR "/locale/.."));
	/* Below it, beside it, above it, or not there: no. */
	assert_false(ctl_i18n_in_build_tree(TEST_BUILD_DIR "/asan/posturectl", TEST_BUILD_DIR));
	assert_false(ctl_i18n_in_build_tree(TEST_BUILD_DIR "x/posturectl", TEST_BUILD_DIR));
	assert_false(ctl_i18n_in_build_tree("/usr/bin/posturectl", TEST_BUILD_DIR));
	assert_false(ctl_i18n_in_build_tree("/posturectl", "/"));
	assert_false(ctl_i18n_in_build_tree("posturectl", TEST_BUILD_DIR));
	assert_false(ctl_i18n_in_build_tree("/nonexistent/posturectl", "/nonexistent"));
	assert_false(ctl_i18n_in_build_tree("/usr/bin/posturectl", ""));
}

static void test_status_compliant_en(void **state)
{
	check_verb("compliant", "en", ctl_status_main, "status", NULL, 0);
}

static void test_status_compliant_ja(void **state)
{
	check_verb("compliant", "ja", ctl_status_main, "status", NULL, 0);
}

/* Whether arguments are captured, and why: the policy asks; the configuration refuses. */
static void test_status_args_policy_en(void **state)
{
	check_verb("args-policy", "en", ctl_status_main, "status", NULL, 0);
}

static void test_status_args_refused_en(void **state)
{
	check_verb("args-refused", "en", ctl_status_main, "status", NULL, 0);
}

static void test_status_args_refused_ja(void **state)
{
	check_verb("args-refused", "ja", ctl_status_main, "status", NULL, 0);
}

static void test_status_json(void **state)
{
	yajl_val v;
	struct run r;

	use_lang("en");
	server_start("noncompliant", SERVE_FIXTURE);
	r = run_verb(ctl_status_main, "status", "--json", "--socket", sock_path, NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "");
	/* One line of JSON: the status result as the agent gave it. */
	assert_non_null(strchr(r.out, '\n'));
	assert_int_equal(strchr(r.out, '\n')[1], '\0');
	v = yajl_tree_parse(r.out, NULL, 0);
	assert_non_null(v);
	assert_false(statusclient_get_bool(v, "compliant", true));
	assert_string_equal(statusclient_get_str(statusclient_get(v, "policy"), "id"),
			    "telework-baseline");
	assert_true(statusclient_get(v, "rules")->u.array.len > 10);
	yajl_tree_free(v);
	run_free(&r);

	r = run_verb(ctl_status_main, "status", "--json", "--socket", NO_SOCKET, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	run_free(&r);
}

static void check_unreachable(const char *lang)
{
	char name[64];
	struct run r;

	if (skip_without(lang))
		return;
	r = run_verb(ctl_status_main, "status", "--socket", NO_SOCKET, NULL);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	snprintf(name, sizeof(name), "unreachable.%s.txt", lang);
	expect_file(r.err, name);
	run_free(&r);

	/* Every verb says the same. */
	r = run_verb(ctl_explain_main, "explain", "--socket", NO_SOCKET, "x", NULL);
	assert_int_equal(r.status, 2);
	expect_file(r.err, name);
	run_free(&r);
	r = run_verb(ctl_events_main, "events", "--socket", NO_SOCKET, "--follow", NULL);
	assert_int_equal(r.status, 2);
	expect_file(r.err, name);
	run_free(&r);
}

static void test_unreachable_en(void **state)
{
	check_unreachable("en");
}

static void test_unreachable_ja(void **state)
{
	check_unreachable("ja");
}

static void test_usage(void **state)
{
	struct run r;

	use_lang("en");
	r = run_verb(ctl_status_main, "status", "--bogus", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "posturectl status --help"));
	run_free(&r);
	r = run_verb(ctl_status_main, "status", "extra", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run_verb(ctl_explain_main, "explain", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run_verb(ctl_status_main, "status", "--follow", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run_verb(ctl_status_main, "status", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: posturectl status"));
	run_free(&r);
}

/* --- posturectl explain --------------------------------------------------------- */

/* Network findings: one line for each listener or connection found, not one per rule. */
static void test_status_network_en(void **state)
{
	check_verb("network", "en", ctl_status_main, "status", NULL, 1);
}

static void test_status_network_ja(void **state)
{
	check_verb("network", "ja", ctl_status_main, "status", NULL, 1);
}

/* Twelve listeners and one twice: ten lines, then how many more. */
static void test_explain_network_en(void **state)
{
	check_verb("network", "en", ctl_explain_main, "explain", "no-public-listeners", 0);
}

static void test_explain_network_ja(void **state)
{
	check_verb("network", "ja", ctl_explain_main, "explain", "no-public-listeners", 0);
}

static void test_explain_en(void **state)
{
	check_verb("noncompliant", "en", ctl_explain_main, "explain", "remote-desktop-x11vnc", 0);
}

static void test_explain_ja(void **state)
{
	check_verb("noncompliant", "ja", ctl_explain_main, "explain", "remote-desktop-x11vnc", 0);
}

static void test_explain_passing_en(void **state)
{
	check_verb("compliant", "en", ctl_explain_main, "explain", "require-vpn-client", 0);
}

static void test_explain_unknown(void **state)
{
	struct run r;

	use_lang("en");
	server_start("noncompliant", SERVE_FIXTURE);
	r = run_verb(ctl_explain_main, "explain", "--socket", sock_path, "no-such-rule", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "The policy in force has no rule 'no-such-rule'."));
	run_free(&r);
}

/* --- posturectl events ------------------------------------------------------------ */

static void test_events_en(void **state)
{
	check_verb("noncompliant", "en", ctl_events_main, "events", NULL, 0);
}

static void test_events_ja(void **state)
{
	check_verb("noncompliant", "ja", ctl_events_main, "events", NULL, 0);
}

static void test_events_none_en(void **state)
{
	check_verb("compliant", "en", ctl_events_main, "events", NULL, 0);
}

/* --follow: the recent ones, then new ones (a repeat of a listed one is not shown twice). */
static void check_follow(const char *lang)
{
	char name[64];
	struct run r;

	if (skip_without(lang))
		return;
	setenv("TEST_CLOSE_AFTER_FINDINGS", "1", 1);
	server_start("noncompliant", SERVE_FIXTURE);
	unsetenv("TEST_CLOSE_AFTER_FINDINGS");
	r = run_verb(ctl_events_main, "events", "--follow", "--socket", sock_path, NULL);
	/* The fake agent hangs up after the events: that ends --follow, saying so. */
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "posturectl events --follow"));
	assert_null(strchr(r.out, '\033'));
	snprintf(name, sizeof(name), "noncompliant.follow.%s.txt", lang);
	expect_file(r.out, name);
	run_free(&r);
}

static void test_follow_en(void **state)
{
	check_follow("en");
}

static void test_follow_ja(void **state)
{
	check_follow("ja");
}

/* --- posturectl sent --------------------------------------------------------------- */

static void test_sent_en(void **state)
{
	check_verb("sent", "en", ctl_sent_main, "sent", NULL, 0);
}

static void test_sent_ja(void **state)
{
	check_verb("sent", "ja", ctl_sent_main, "sent", NULL, 0);
}

static void test_sent_verbose_json(void **state)
{
	struct run r;

	use_lang("en");
	server_start("sent", SERVE_FIXTURE);
	r = run_verb(ctl_sent_main, "sent", "--socket", sock_path, "--verbose", "--since", "7d",
		     NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "    \"evidences\": ["));
	run_free(&r);
	r = run_verb(ctl_sent_main, "sent", "--socket", sock_path, "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "{\"seq\":1795680000000001,\"acked\":1795680605000,"
				      "\"record\":{\"time\":1795680600000,"));
	assert_int_equal(strchr(r.out, '\n') - r.out + 1 < (long)strlen(r.out), 1);
	run_free(&r);
	r = run_verb(ctl_sent_main, "sent", "--socket", sock_path, "--since", "yesterday", NULL);
	assert_int_equal(r.status, 2);
	run_free(&r);
	r = run_verb(ctl_sent_main, "sent", "--socket", NO_SOCKET, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot be reached"));
	run_free(&r);
}

/* --- the client library ------------------------------------------------------------ */

static void test_client_timeout(void **state)
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	yajl_val root = NULL, result = NULL;
	usec_t t0;

	server_start(NULL, SERVE_SILENT);
	assert_int_equal(statusclient_connect(sock_path, &c), 0);
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(statusclient_call(c, "status", NULL, 0, 200 * USEC_PER_MSEC, &root,
					   &result, NULL),
			 -ETIMEDOUT);
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 < 2 * USEC_PER_SEC);
}

static void test_client_long_line(void **state)
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	_cleanup_(yajl_tree_freep) yajl_val root = NULL;
	_cleanup_free_ char *line = NULL;
	yajl_val result = NULL;
	int r;

	server_start(NULL, SERVE_LONG_LINE);
	assert_int_equal(statusclient_connect(sock_path, &c), 0);
	/* The over-long line is refused, and the connection goes on. */
	r = statusclient_call(c, "status", NULL, 0, 5 * USEC_PER_SEC, &root, &result, NULL);
	assert_int_equal(r, -EMSGSIZE);
	r = statusclient_call(c, "status", NULL, 0, 5 * USEC_PER_SEC, &root, &result, NULL);
	/* The answer of the first request is skipped by its id; the second's too long again. */
	assert_int_equal(r, -EMSGSIZE);
	/* The event that came meanwhile was kept. */
	assert_int_equal(statusclient_read_line(c, 0, &line), 0);
	assert_string_equal(line, "{\"event\":\"status\"}");
}

static void test_client_errors(void **state)
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	struct statusclient_error e = {};
	yajl_val root = NULL, result = NULL;
	char lang[16];

	assert_int_equal(statusclient_connect(NO_SOCKET, &c), -ENOENT);
	assert_int_equal(
		statusclient_connect(
			"/tmp/" /* over sun_path */
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			&c),
		-ENAMETOOLONG);

	server_start("noncompliant", SERVE_FIXTURE);
	assert_int_equal(statusclient_connect(sock_path, &c), 0);
	assert_int_equal(statusclient_call(c, "nope", NULL, 0, 5 * USEC_PER_SEC, &root, &result,
					   &e),
			 -EREMOTEIO);
	assert_string_equal(e.code, "unknown_method");

	use_lang("en");
	assert_string_equal(statusclient_lang(lang, sizeof(lang)), "en");
	if (use_lang("ja"))
		assert_string_equal(statusclient_lang(lang, sizeof(lang)), "ja");
}

static void test_text_pick(void **state)
{
	yajl_val v =
		yajl_tree_parse("{\"a\": {\"ja\": \"J\", \"en\": \"E\"}, \"b\": {\"de\": \"D\"},"
				" \"c\": \"S\", \"d\": 3}",
				NULL, 0);

	assert_non_null(v);
	assert_string_equal(statusclient_text(statusclient_get(v, "a"), "ja"), "J");
	assert_string_equal(statusclient_text(statusclient_get(v, "a"), "fr"), "E");
	assert_string_equal(statusclient_text(statusclient_get(v, "b"), "ja"), "D");
	assert_string_equal(statusclient_text(statusclient_get(v, "c"), "ja"), "S");
	assert_null(statusclient_text(statusclient_get(v, "d"), "ja"));
	assert_null(statusclient_text(statusclient_get(v, "e"), "ja"));
	yajl_tree_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_status_noncompliant_en, server_stop),
		cmocka_unit_test_teardown(test_status_network_en, server_stop),
		cmocka_unit_test_teardown(test_status_network_ja, server_stop),
		cmocka_unit_test_teardown(test_explain_network_en, server_stop),
		cmocka_unit_test_teardown(test_explain_network_ja, server_stop),
		cmocka_unit_test_teardown(test_status_noncompliant_ja, server_stop),
		cmocka_unit_test_teardown(test_status_build_tree_ja, server_stop),
		cmocka_unit_test_teardown(test_status_installed_copy, server_stop),
		cmocka_unit_test(test_in_build_tree),
		cmocka_unit_test_teardown(test_status_compliant_en, server_stop),
		cmocka_unit_test_teardown(test_status_compliant_ja, server_stop),
		cmocka_unit_test_teardown(test_status_args_policy_en, server_stop),
		cmocka_unit_test_teardown(test_status_args_refused_en, server_stop),
		cmocka_unit_test_teardown(test_status_args_refused_ja, server_stop),
		cmocka_unit_test_teardown(test_status_json, server_stop),
		cmocka_unit_test(test_unreachable_en),
		cmocka_unit_test(test_unreachable_ja),
		cmocka_unit_test(test_usage),
		cmocka_unit_test_teardown(test_explain_en, server_stop),
		cmocka_unit_test_teardown(test_explain_ja, server_stop),
		cmocka_unit_test_teardown(test_explain_passing_en, server_stop),
		cmocka_unit_test_teardown(test_explain_unknown, server_stop),
		cmocka_unit_test_teardown(test_events_en, server_stop),
		cmocka_unit_test_teardown(test_events_ja, server_stop),
		cmocka_unit_test_teardown(test_events_none_en, server_stop),
		cmocka_unit_test_teardown(test_follow_en, server_stop),
		cmocka_unit_test_teardown(test_follow_ja, server_stop),
		cmocka_unit_test_teardown(test_sent_en, server_stop),
		cmocka_unit_test_teardown(test_sent_ja, server_stop),
		cmocka_unit_test_teardown(test_sent_verbose_json, server_stop),
		cmocka_unit_test_teardown(test_client_timeout, server_stop),
		cmocka_unit_test_teardown(test_client_long_line, server_stop),
		cmocka_unit_test_teardown(test_client_errors, server_stop),
		cmocka_unit_test(test_text_pick),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
