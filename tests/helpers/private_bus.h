/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A dbus-daemon of a test's own, for the suites that talk D-Bus without the
 * machine's buses: tests/checks_bus (a system bus that test services
 * answering as systemd, resolved or logind own) and tests/notify (a session
 * bus with a test notification server), and the test services started on
 * it.  The daemon prints its address on a pipe once it listens, so a
 * caller that has the address can connect at once.
 *
 * Static functions: a test program includes this header once.  They print
 * nothing; the caller says what failed.
 */
#ifndef POSTURED_TESTS_PRIVATE_BUS_H
#define POSTURED_TESTS_PRIVATE_BUS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Starts dbus-daemon with bus_arg ("--session", or "--config-file=PATH")
 * and reads the address it prints into address (size bytes).  With quiet,
 * its stderr goes to /dev/null: its warnings (it cannot raise the fd limit
 * unprivileged...) are not the test's.  Returns 0 and the daemon's pid in
 * *ret_pid, for the caller to SIGTERM and reap; -errno, or -EIO when it
 * printed no address (the daemon is gone then).
 */
static inline int private_bus_start(const char *bus_arg, bool quiet, char *address, size_t size,
				    pid_t *ret_pid)
{
	size_t len = 0;
	ssize_t k;
	pid_t pid;
	int p[2];

	if (size == 0)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			dup2(null, STDERR_FILENO);
		}
		/* dup2() clears O_CLOEXEC on the copy: fd 3 is the one the daemon inherits. */
		dup2(p[1], 3);
		execlp("dbus-daemon", "dbus-daemon", bus_arg, "--nofork", "--nopidfile",
		       "--print-address=3", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len + 1 < size && (k = read(p[0], address + len, size - 1 - len)) > 0) {
		len += (size_t)k;
		if (memchr(address, '\n', len))
			break;
	}
	close(p[0]);
	address[len] = '\0';
	address[strcspn(address, "\n")] = '\0';
	if (address[0] == '\0') {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -EIO;
	}
	*ret_pid = pid;
	return 0;
}

/*
 * Starts a system-like bus that lets everyone own and call anything, its
 * socket in socket_dir/system_bus_socket and its configuration written to
 * conf_dir/bus.conf; otherwise as private_bus_start() with quiet.
 */
static inline int private_bus_start_system(const char *conf_dir, const char *socket_dir,
					   char *address, size_t size, pid_t *ret_pid)
{
	char conf[512], arg[600];
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/bus.conf", conf_dir);
	f = fopen(conf, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <listen>unix:path=%s/system_bus_socket</listen>\n"
		"  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n"
		"    <allow user=\"*\"/>\n"
		"    <allow own=\"*\"/>\n"
		"    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
		"    <allow eavesdrop=\"true\"/>\n"
		"  </policy>\n"
		"</busconfig>\n",
		socket_dir);
	if (fclose(f) != 0)
		return -errno;
	snprintf(arg, sizeof(arg), "--config-file=%s", conf);
	return private_bus_start(arg, true, address, size, ret_pid);
}

/*
 * Starts a test service on the bus (argv[0] its path: tests/checks_bus/
 * fake_*), its stdin and stdout on pipes, and waits until its first line
 * is "READY" (it owns its names).  The line is read a byte at a time, so
 * what the service prints after it is all still on the pipe.  Returns 0,
 * the service's pid in *ret_pid (for the caller to SIGTERM and reap), the
 * write end of its stdin in *ret_in and the read end of its stdout in
 * *ret_out, both O_CLOEXEC (either may be NULL: that end is closed, and a
 * service that ends at the end of its input does not wait for it); -errno,
 * or -EIO when it said something else or nothing (it is killed and reaped).
 */
static inline int private_bus_spawn(char *const *argv, pid_t *ret_pid, int *ret_in, int *ret_out)
{
	char line[16];
	size_t len = 0;
	int in[2], out[2], r = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return r;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (len + 1 < sizeof(line) && read(out[0], line + len, 1) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	if (strcmp(line, "READY") != 0) {
		close(in[1]);
		close(out[0]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -EIO;
	}
	if (ret_in)
		*ret_in = in[1];
	else
		close(in[1]);
	if (ret_out)
		*ret_out = out[0];
	else
		close(out[0]);
	*ret_pid = pid;
	return 0;
}

#endif
