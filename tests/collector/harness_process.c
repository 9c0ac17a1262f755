// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The collector and its tools as child processes.  Readiness is the
 * collector's sd_notify READY=1 on a NOTIFY_SOCKET of our own, and the port
 * comes from its STATUS=: it listens on port 0, so parallel runs never race
 * for a port and no test sleeps waiting for it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

int process_run(char *const argv[], const char *out_path, const char *err_path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int out = open(out_path ? out_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int err = open(err_path ? err_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int notify_socket_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int port_free(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (fd < 0)
		return -errno;
	port = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			       getsockname(fd, (struct sockaddr *)&sa, &len) == 0 ?
		       ntohs(sa.sin_port) :
		       -errno;
	close(fd);
	return port;
}

bool port_accepts(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

pid_t process_spawn(const char *const argv[], const char *log_path)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int process_stop(pid_t pid, int sig)
{
	long long deadline = now_ms() + 10000;
	int status;

	if (pid <= 0 || kill(pid, sig) < 0)
		return -1;
	while (now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		msleep(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int collector_spawn(struct collector *c, const char *const argv[], const char *notify_path,
		    int *ret_exit)
{
	char buf[512];
	long long deadline;
	pid_t parent = getpid();
	int fd = notify_socket_open(notify_path);

	c->pid = 0;
	c->port = 0;
	c->ui_port = 0;
	if (fd < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0) {
		c->pid = 0;
		close(fd);
		unlink(notify_path);
		return -1;
	}
	if (c->pid == 0) {
		int log = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		/* No collector outlives a test run that dies before it could stop it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		setenv("POSTURED_LOG_LEVEL", "debug", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}

	deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int status;

		if (poll(&p, 1, 50) > 0) {
			ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
			const char *st, *colon;

			if (len <= 0)
				continue;
			buf[len] = '\0';
			st = strstr(buf, "Listening on ");
			if (!strstr(buf, "READY=1") || !st)
				continue;
			/* "Listening on ADDR:PORT[, fleet view on ADDR:PORT]" */
			colon = strchr(st, ',');
			colon = colon ? memrchr(st, ':', (size_t)(colon - st)) : strrchr(st, ':');
			c->port = colon ? atoi(colon + 1) : 0;
			st = strstr(st, "fleet view on ");
			colon = st ? strrchr(st, ':') : NULL;
			c->ui_port = colon ? atoi(colon + 1) : 0;
			close(fd);
			unlink(notify_path);
			return c->port > 0 ? 0 : -1;
		}
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			if (ret_exit)
				*ret_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			c->pid = 0;
			break;
		}
	}
	close(fd);
	unlink(notify_path);
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
	return -1;
}

int collector_spawn_pki(struct collector *c, const char *bin, const char *pki,
			const char *cert_name, const char *listen, const char *const *extra,
			const char *notify_path, int *ret_exit)
{
	char cert[512], key[512], ca[512];
	const char *argv[64];
	int n = 0;

	snprintf(cert, sizeof(cert), "%s/%s.crt", pki, cert_name);
	snprintf(key, sizeof(key), "%s/%s.key", pki, cert_name);
	file_path(ca, sizeof(ca), pki, "device-ca.crt");
	argv[n++] = bin;
	if (listen) {
		argv[n++] = "--listen";
		argv[n++] = listen;
	}
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--device-ca";
	argv[n++] = ca;
	argv[n++] = "--db";
	argv[n++] = c->db;
	for (const char *const *e = extra; e && *e && n < 62; e++) {
		/* Given after the defaults: for an option given twice, the last wins. */
		argv[n++] = *e;
	}
	argv[n] = NULL;
	return collector_spawn(c, argv, notify_path, ret_exit);
}

int collector_start(struct harness *t, struct collector *c, const char *db_name,
		    const char *const *extra, int *ret_exit)
{
	char notify_path[300], pub[512];
	/*
	 * Unpaced unless a test asks (a later --shed-above wins): a test of a
	 * store held busy would otherwise see the next ones refused for a
	 * second, as a fleet should be (test_catchup.c).
	 */
	const char *args[64] = { "--policy",
				 t->policy,
				 "--policy-signature",
				 t->signature,
				 "--policy-public-key",
				 pub,
				 "--shed-above",
				 "1" };
	bool has_listen = false;
	int n = 8;

	memset(c, 0, sizeof(*c));
	snprintf(notify_path, sizeof(notify_path), "%s/notify-%u", t->dir, ++t->instances);
	if (db_spec(c->db, sizeof(c->db), t->dir, db_name) < 0)
		return -1;
	snprintf(c->log, sizeof(c->log), "%s/collector-%u.log", t->dir, t->instances);
	file_path(pub, sizeof(pub), t->pki, "policy-signing.pub");

	for (const char *const *e = extra; e && *e; e++)
		has_listen = has_listen || strcmp(*e, "--listen") == 0;
	for (const char *const *e = extra; e && *e && n < 63; e++)
		args[n++] = *e;
	args[n] = NULL;
	if (collector_spawn_pki(c, t->bin, t->pki, "collector", has_listen ? NULL : "127.0.0.1:0",
				args, notify_path, ret_exit) < 0)
		return -1;
	if (t->n_started < sizeof(t->started) / sizeof(t->started[0]))
		t->started[t->n_started++] = c->pid;
	return 0;
}

int collector_stop(struct collector *c, int sig)
{
	long long deadline = now_ms() + 10000;
	int status;

	if (c->pid <= 0)
		return -1;
	kill(c->pid, sig);
	while (now_ms() < deadline) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		msleep(10);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
	return -1;
}

int collector_run_sign_policy(const char *bin, const char *key, const char *policy, const char *out,
			      const char *err)
{
	char *const argv[] = { (char *)bin, "sign-policy",  "--key",
			       (char *)key, (char *)policy, NULL };

	return process_run(argv, out, err);
}

int collector_sign_policy(struct harness *t, const char *key, const char *policy, const char *out,
			  const char *err)
{
	return collector_run_sign_policy(t->bin, key, policy, out, err);
}
