// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_child.h"
#include "harness_privs.h"
#include "harness_report.h"

void harness_child_setup(pid_t parent, int stdin_fd, int stdout_fd, int stderr_fd)
{
	sigset_t none;

	/* Dies with the test, whatever kills it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (stdin_fd < 0)
		stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (stdin_fd >= 0 && dup2(stdin_fd, STDIN_FILENO) < 0)
		_exit(127);
	if (stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0)
		_exit(127);
	if (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
}

int harness_pipe(int *ret_read, int *ret_write)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return harness_fail("pipe2: %m");
	*ret_read = fds[0];
	*ret_write = fds[1];
	return 0;
}

int harness_spawn(const char *path, char *const argv[], const struct harness_child_opts *o,
		  pid_t *ret_pid)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return harness_fail("fork: %m");
	if (pid == 0) {
		harness_child_setup(parent, o->stdin_fd, o->stdout_fd, -1);
		if (o->set_uid) {
			if (harness_become(o->uid, o->gid) < 0) {
				dprintf(STDERR_FILENO, "harness: cannot become uid %u: %m\n",
					(unsigned)o->uid);
				_exit(127);
			}
			/* A change of credentials cleared it. */
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		}
		execv(path, argv);
		dprintf(STDERR_FILENO, "harness: cannot execute %s: %m\n", path);
		_exit(127);
	}
	*ret_pid = pid;
	return 0;
}

int harness_wait_child(pid_t pid, int timeout_ms, int *ret_status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status;
	pid_t r;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int64_t deadline = harness_now_ms() + timeout_ms;

		for (;;) {
			int64_t left = deadline - harness_now_ms();
			int k = poll(&p, 1, left > 0 ? (int)left : 0);

			if (k > 0)
				break;
			if (k == 0 || (k < 0 && errno != EINTR)) {
				(void)kill(pid, SIGKILL);
				(void)waitpid(pid, NULL, 0);
				return harness_fail("Child %d did not end within %d ms; killed it",
						    (int)pid, timeout_ms);
			}
		}
	}
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return harness_fail("waitpid(%d): %m", (int)pid);
	*ret_status = status;
	return 0;
}

const char *harness_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned)status);
	return buf;
}

void harness_child_killp(pid_t *pid)
{
	if (*pid > 0) {
		(void)kill(*pid, SIGKILL);
		(void)waitpid(*pid, NULL, 0);
		*pid = 0;
	}
}

int harness_run(char *const argv[], int timeout_ms)
{
	struct harness_child_opts o = HARNESS_CHILD_OPTS_DEFAULT;
	char how[64];
	int status;
	pid_t pid;

	o.stdout_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (harness_spawn(argv[0], argv, &o, &pid) < 0) {
		safe_close(o.stdout_fd);
		return -1;
	}
	safe_close(o.stdout_fd);
	TRY(harness_wait_child(pid, timeout_ms, &status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed: %s", argv[0],
	      harness_describe_status(status, how, sizeof(how)));
	return 0;
}
