// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/export_read.h"
#include "harness_file.h"
#include "harness_process.h"
#include "harness_siem.h"
#include "harness_time.h"

#define RSYSLOGD "/usr/sbin/rsyslogd"

static int siem_write_config(const struct siem *s, const char *pki, const char *path)
{
	char conf[4096];
	int n;

	/*
	 * maxMessageSize before the inputs, and imtcp's MaxFrameSize: records may be as large as
	 * the collector takes (rsyslog's defaults are 8 KiB and 200,000 bytes).
	 */
	n = snprintf(conf, sizeof(conf),
		     "global(workDirectory=\"%s/work\" maxMessageSize=\"4m\"\n"
		     "       DefaultNetstreamDriverCAFile=\"%s/server-ca.crt\"\n"
		     "       DefaultNetstreamDriverCertFile=\"%s/collector.crt\"\n"
		     "       DefaultNetstreamDriverKeyFile=\"%s/collector.key\")\n"
		     "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\"\n"
		     "       StreamDriver.AuthMode=\"anon\" MaxFrameSize=\"4000000\")\n"
		     "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\" ruleset=\"tls\")\n"
		     "module(load=\"imrelp\")\n"
		     "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"%d\" ruleset=\"relp\")\n"
		     "template(name=\"msgonly\" type=\"string\" string=\"%%msg%%\\n\")\n"
		     "ruleset(name=\"tls\") { action(type=\"omfile\" file=\"%s\" "
		     "template=\"msgonly\") }\n"
		     "ruleset(name=\"relp\") { action(type=\"omfile\" file=\"%s\" "
		     "template=\"msgonly\") }\n",
		     s->dir, pki, pki, pki, s->tls_port, s->relp_port, s->tls_log, s->relp_log);
	if (n < 0 || (size_t)n >= sizeof(conf))
		return -1;
	return file_write(path, conf, (size_t)n, 0600);
}

int siem_start(struct siem *s, const char *dir, const char *pki)
{
	char conf[600], pid_file[600], work[600], log[600];
	long long deadline;

	if (!s->dir[0]) {
		snprintf(s->dir, sizeof(s->dir), "%s", dir);
		s->tls_port = port_free();
		s->relp_port = port_free();
		if (s->tls_port <= 0 || s->relp_port <= 0 || s->tls_port == s->relp_port)
			return -1;
		file_path(s->tls_log, sizeof(s->tls_log), dir, "tls.log");
		file_path(s->relp_log, sizeof(s->relp_log), dir, "relp.log");
	}
	file_path(work, sizeof(work), s->dir, "work");
	file_path(conf, sizeof(conf), s->dir, "rsyslog.conf");
	file_path(pid_file, sizeof(pid_file), s->dir, "rsyslog.pid");
	file_path(log, sizeof(log), s->dir, "rsyslog.out");
	if ((mkdir(s->dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(work, 0700) < 0 && errno != EEXIST))
		return -1;
	if (siem_write_config(s, pki, conf) < 0)
		return -1;
	{
		const char *argv[] = { RSYSLOGD, "-n", "-f", conf, "-i", pid_file, NULL };

		s->pid = process_spawn(argv, log);
	}
	if (s->pid <= 0) {
		s->pid = 0;
		return -1;
	}
	deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		if (port_accepts(s->tls_port) && port_accepts(s->relp_port))
			return 0;
		msleep(20);
	}
	siem_stop(s);
	return -1;
}

int siem_stop(struct siem *s)
{
	int status = process_stop(s->pid, SIGTERM);

	s->pid = 0;
	return status == 0 ? 0 : -1;
}

pid_t forwarder_start(const char *bin, const char *export_dir, const char *name, const char *to,
		      const char *const *extra, const char *log)
{
	const char *argv[32] = { bin,	   "forward", "--export-dir", export_dir,
				 "--name", name,      "--to",	      to };
	size_t n = 8;

	for (size_t i = 0; extra && extra[i] && n + 1 < 32; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return process_spawn(argv, log);
}

int forwarder_wait(const char *export_dir, const char *name, unsigned long long want,
		   unsigned timeout_ms, unsigned long long *ret_forwarded)
{
	long long deadline = now_ms() + timeout_ms;
	int dir_fd = open(export_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct export_cursor c = {};
	int r = -1;

	if (dir_fd < 0)
		return -1;
	for (;;) {
		if (export_cursor_load(dir_fd, name, &c) == 0 && c.forwarded >= want) {
			r = 0;
			break;
		}
		if (now_ms() >= deadline)
			break;
		msleep(50);
	}
	close(dir_fd);
	if (ret_forwarded)
		*ret_forwarded = c.forwarded;
	return r;
}
