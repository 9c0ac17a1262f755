// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The registry and the shared fixture: a temporary directory with a test
 * PKI and a signed policy, and the main collector every table talks to.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

static unsigned n_passed, n_failed;

int harness_device_id(struct harness *t, const char *name, char *buf, size_t size)
{
	char path[512], file[64];
	char *data;
	int r;

	snprintf(file, sizeof(file), "%s.id", name);
	file_path(path, sizeof(path), t->pki, file);
	r = file_read(path, &data, NULL);
	if (r < 0)
		return r;
	snprintf(buf, size, "%.32s", data);
	free(data);
	return 0;
}

/*
 * Kills and reaps the collectors the test started and left running (a
 * CHECK returned before collector_stop()), so none outlives its test or
 * the run.  Returns how many there were.
 */
static unsigned reap_left_running(struct harness *t)
{
	unsigned left = 0;

	for (unsigned i = 0; i < t->n_started; i++) {
		/* 0: still running.  Reaped already (ECHILD) or just exited: nothing to do. */
		if (waitpid(t->started[i], NULL, WNOHANG) != 0)
			continue;
		kill(t->started[i], SIGKILL);
		waitpid(t->started[i], NULL, 0);
		left++;
	}
	t->n_started = 0;
	return left;
}

static void run_test(struct harness *t, const struct test *test)
{
	long long start = now_ms();
	int r;
	unsigned left;

	t->n_started = 0;
	r = test->run(t);
	left = reap_left_running(t);
	if (left > 0) {
		fprintf(stderr, "    %u collector(s) the test started were still running: killed\n",
			left);
		r = -1;
	}

	printf("%-44s %s (%lld ms)\n", test->name, r == 0 ? "ok" : "FAILED", now_ms() - start);
	fflush(stdout);
	if (r == 0)
		n_passed++;
	else
		n_failed++;
}

static int setup(struct harness *t)
{
	char key[512];
	const char *pol = "{\"id\": \"t\", \"serial\": 1, \"rules\": []}\n";
	char *const pki_argv[] = { (char *)t->pki_tool, t->pki, NULL };
	static const char *const extra[] = { "--max-body-bytes", "1M", "--max-inflated-bytes", "4M",
					     NULL };
	int exit_status = -1;

	snprintf(t->dir, sizeof(t->dir), "/tmp/collector-test.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	file_path(t->pki, sizeof(t->pki), t->dir, "pki");
	if (process_run(pki_argv, NULL, NULL) != 0) {
		fprintf(stderr, "make-test-pki failed\n");
		return -1;
	}
	if (harness_device_id(t, "device1", t->device1, sizeof(t->device1)) < 0 ||
	    harness_device_id(t, "device2", t->device2, sizeof(t->device2)) < 0)
		return -1;

	file_path(t->policy, sizeof(t->policy), t->dir, "policy.json");
	file_path(t->signature, sizeof(t->signature), t->dir, "policy.sig");
	file_path(key, sizeof(key), t->pki, "policy-signing.key");
	if (file_write(t->policy, pol, strlen(pol), 0644) < 0 ||
	    collector_sign_policy(t, key, t->policy, t->signature, NULL) != 0) {
		fprintf(stderr, "signing the test policy failed\n");
		return -1;
	}
	if (collector_start(t, &t->main, "main.db", extra, &exit_status) < 0) {
		char *log;

		fprintf(stderr, "the collector did not start (exit %d); its log:\n", exit_status);
		if (file_read(t->main.log, &log, NULL) == 0) {
			fputs(log, stderr);
			free(log);
		}
		return -1;
	}
	return 0;
}

static void cleanup_dir(const char *dir)
{
	char *const argv[] = { "/bin/rm", "-rf", (char *)dir, NULL };

	if (getenv("KEEP_TEST_DIR")) {
		fprintf(stderr, "keeping %s\n", dir);
		return;
	}
	process_run(argv, NULL, NULL);
}

void collector_keep(struct harness *t, const struct collector *c)
{
	for (unsigned i = 0; i < t->n_started; i++)
		if (t->started[i] == c->pid) {
			t->started[i] = t->started[--t->n_started];
			return;
		}
}

int harness_main(int argc, char **argv, const struct test *const suites[])
{
	struct harness t = {};
	int r;

	if (argc != 3) {
		fprintf(stderr, "Usage: %s POSTURE-COLLECTOR MAKE-TEST-PKI\n", argv[0]);
		return 2;
	}
	t.bin = argv[1];
	t.pki_tool = argv[2];
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (setup(&t) < 0) {
		printf("setup failed\n0 passed, 1 failed\n");
		return 1;
	}

	/* COLLECTOR_TESTS=PREFIX runs only the tests whose names start so (a developer's loop). */
	for (const struct test *const *suite = suites; *suite; suite++)
		for (const struct test *test = *suite; test->name; test++)
			if (!getenv("COLLECTOR_TESTS") ||
			    strncmp(test->name, getenv("COLLECTOR_TESTS"),
				    strlen(getenv("COLLECTOR_TESTS"))) == 0)
				run_test(&t, test);

	r = collector_stop(&t.main, SIGTERM);
	if (r != 0) {
		printf("main collector exit status %d\n", r);
		n_failed++;
	}
	if (n_failed > 0) {
		char *log;

		if (file_read(t.main.log, &log, NULL) == 0) {
			fprintf(stderr, "--- main collector log ---\n%s", log);
			free(log);
		}
		setenv("KEEP_TEST_DIR", "1", 1);
	}
	cleanup_dir(t.dir);
	curl_global_cleanup();
	printf("%u passed, %u failed\n", n_passed, n_failed);
	return n_failed > 0 ? 1 : 0;
}
