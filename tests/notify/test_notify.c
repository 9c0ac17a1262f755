// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * postured-notify against a private session bus (its own dbus-daemon), a
 * test notification server that records the Notify calls, and a fake agent
 * (a status socket in a temporary directory that answers "subscribe" and then
 * writes the finding events the test builds).  Needs no root and no network.
 *
 *   test_notify BUILDDIR
 *
 * Ends with "N passed, N failed"; exit 0 when nothing failed, 77 (skipped)
 * without dbus-daemon.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "../helpers/private_bus.h"

#define QUIET_SECONDS 2

static int passed, failed;

#define CHECK(cond, ...)                                            \
	do {                                                        \
		if (cond) {                                         \
			passed++;                                   \
		} else {                                            \
			failed++;                                   \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                        \
			printf("\n");                               \
		}                                                   \
	} while (0)

/* --- the test notification server (its own thread and bus connection) ---- */

struct notice {
	char app[64];
	uint32_t replaces;
	char icon[64];
	char summary[256];
	char body[1024];
	char actions[256]; /* "key=label;..." */
	int urgency;
	uint32_t id;
};

#define NOTICES_MAX 512
static struct notice notices[NOTICES_MAX];
static int n_notices;
static uint32_t next_id = 100;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sd_bus *server_bus;
static volatile bool server_stop;
static volatile uint32_t invoke_id; /* the server thread emits ActionInvoked(id, "details") */

static int srv_notify(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct notice n = { .urgency = -1 };
	const char *app, *icon, *summary, *body, *s1, *s2;
	int32_t timeout;
	int r;

	r = sd_bus_message_read(m, "susss", &app, &n.replaces, &icon, &summary, &body);
	if (r < 0)
		return r;
	snprintf(n.app, sizeof(n.app), "%s", app);
	snprintf(n.icon, sizeof(n.icon), "%s", icon);
	snprintf(n.summary, sizeof(n.summary), "%s", summary);
	snprintf(n.body, sizeof(n.body), "%s", body);
	r = sd_bus_message_enter_container(m, 'a', "s");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(m, "ss", &s1, &s2)) > 0) {
		size_t l = strlen(n.actions);

		snprintf(n.actions + l, sizeof(n.actions) - l, "%s=%s;", s1, s2);
	}
	sd_bus_message_exit_container(m);
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		sd_bus_message_read(m, "s", &key);
		if (strcmp(key, "urgency") == 0) {
			uint8_t u;

			sd_bus_message_read(m, "v", "y", &u);
			n.urgency = u;
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	sd_bus_message_exit_container(m);
	sd_bus_message_read(m, "i", &timeout);

	pthread_mutex_lock(&lock);
	n.id = n.replaces ? n.replaces : next_id++;
	if (n_notices < NOTICES_MAX)
		notices[n_notices++] = n;
	pthread_mutex_unlock(&lock);
	return sd_bus_reply_method_return(m, "u", n.id);
}

static int srv_caps(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(m, "as", 2, "body", "actions");
}

static int srv_info(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return sd_bus_reply_method_return(m, "ssss", "test-notifications", "postured", "1", "1.2");
}

static const sd_bus_vtable srv_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Notify", "susssasa{sv}i", "u", srv_notify, 0),
	SD_BUS_METHOD("GetCapabilities", "", "as", srv_caps, 0),
	SD_BUS_METHOD("GetServerInformation", "", "ssss", srv_info, 0),
	SD_BUS_SIGNAL("ActionInvoked", "us", 0),
	SD_BUS_SIGNAL("NotificationClosed", "uu", 0),
	SD_BUS_VTABLE_END,
};

static void *server_thread(void *arg)
{
	while (!server_stop) {
		int r = sd_bus_process(server_bus, NULL);

		if (invoke_id) {
			sd_bus_emit_signal(server_bus, "/org/freedesktop/Notifications",
					   "org.freedesktop.Notifications", "ActionInvoked", "us",
					   invoke_id, "details");
			invoke_id = 0;
			continue;
		}
		if (r < 0)
			break;
		if (r > 0)
			continue;
		sd_bus_wait(server_bus, 50 * 1000);
	}
	return NULL;
}

static int server_count(void)
{
	int k;

	pthread_mutex_lock(&lock);
	k = n_notices;
	pthread_mutex_unlock(&lock);
	return k;
}

static struct notice server_get(int i)
{
	struct notice n;

	pthread_mutex_lock(&lock);
	n = notices[i];
	pthread_mutex_unlock(&lock);
	return n;
}

static bool wait_notices(int want, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (server_count() >= want)
			return true;
		usleep(20 * 1000);
	}
	return server_count() >= want;
}

/* --- the fake agent -------------------------------------------------------- */

static char sock_path[108];
static int listen_fd = -1;

static int agent_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	unlink(sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 4) < 0)
		return -errno;
	return 0;
}

static void agent_close_listener(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
}

/* Accepts a client and reads its request line; returns the fd, -1 on timeout. */
static int agent_accept(int ms, char *req, size_t size)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	size_t len = 0;
	int fd;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		struct pollfd q = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&q, 1, 3000) <= 0)
			break;
		k = read(fd, req + len, size - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		if (memchr(req, '\n', len))
			break;
	}
	req[len] = '\0';
	return fd;
}

static void agent_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t k = write(fd, s, len);

		if (k <= 0)
			return;
		s += k;
		len -= (size_t)k;
	}
}

/* A finding event line, as the agent writes it; the Japanese remediation is "ja FIX" unless given. */
static void agent_finding_in(int fd, const char *rule, const char *title, const char *kind,
			     const char *action, int severity_id, bool resolved, const char *fix,
			     const char *fix_ja)
{
	char line[4096], ja[1024];

	if (fix_ja)
		snprintf(ja, sizeof(ja), "%s", fix_ja);
	else
		snprintf(ja, sizeof(ja), "ja %s", fix);

	snprintf(line, sizeof(line),
		 "{\"event\":\"finding\",\"finding\":{\"time\":1795681500000,\"class_uid\":2003,"
		 "\"class_name\":\"Compliance Finding\",\"activity_id\":%d,\"severity_id\":%d,"
		 "\"status_id\":%d,\"status\":\"%s\","
		 "\"finding_info\":{\"uid\":\"f\",\"title\":\"%s\",\"types\":[\"%s\"]},"
		 "\"compliance\":{\"status_id\":%d,\"control\":\"%s\"},"
		 "\"evidences\":[{\"process\":{\"pid\":4300,\"name\":\"x11vnc\","
		 "\"file\":{\"path\":\"/usr/bin/x11vnc\",\"name\":\"x11vnc\"}}}],"
		 "\"postured\":{\"finding\":\"%s\",\"action\":\"%s\",\"rule_id\":\"%s\","
		 "\"remediation\":{\"en\":\"%s\",\"ja\":\"%s\"},"
		 "\"before_first_instruction\":true}}}\n",
		 resolved ? 3 : 1, severity_id, resolved ? 4 : 1, resolved ? "Resolved" : "New",
		 title, kind, resolved ? 1 : 3, rule, kind, action, rule, fix, ja);
	agent_write(fd, line);
}

/* A network finding the agent refused, standing for count connections (repeats the kernel counted). */
static void agent_network_finding(int fd, const char *rule, const char *title, unsigned count)
{
	char line[4096];

	snprintf(line, sizeof(line),
		 "{\"event\":\"finding\",\"finding\":{\"time\":1795681500000,\"class_uid\":2003,"
		 "\"class_name\":\"Compliance Finding\",\"activity_id\":1,\"severity_id\":4,"
		 "\"status_id\":1,\"status\":\"New\",\"count\":%u,"
		 "\"finding_info\":{\"uid\":\"n\",\"title\":\"%s\",\"types\":[\"network\"]},"
		 "\"compliance\":{\"status_id\":3,\"control\":\"%s\"},"
		 "\"evidences\":[{\"process\":{\"pid\":4400,\"name\":\"curl\","
		 "\"file\":{\"path\":\"/usr/bin/curl\",\"name\":\"curl\"}},"
		 "\"connection_info\":{\"protocol_name\":\"tcp\",\"direction_id\":2},"
		 "\"dst_endpoint\":{\"ip\":\"192.0.2.7\",\"port\":25}}],"
		 "\"postured\":{\"finding\":\"network\",\"action\":\"denied\",\"rule_id\":\"%s\","
		 "\"remediation\":{\"en\":\"Send mail through the company server.\"},"
		 "\"network\":{\"direction\":\"outbound\",\"protocol\":\"tcp\","
		 "\"remote_address\":\"192.0.2.7\",\"remote_port\":25,\"count\":%u%s}}}}\n",
		 count, title, rule, rule, count, count > 1 ? ",\"repeats\":true" : "");
	agent_write(fd, line);
}

static void agent_finding(int fd, const char *rule, const char *title, const char *kind,
			  const char *action, int severity_id, bool resolved, const char *fix)
{
	agent_finding_in(fd, rule, title, kind, action, severity_id, resolved, fix, NULL);
}

/* --- the bus and the notifier ---------------------------------------------- */

static pid_t dbus_pid = -1;

/* Starts postured-notify; lang, when not NULL, is its LANG. */
static pid_t start_notifier(const char *build, const char *path_env, const char *lang)
{
	pid_t pid = fork();

	if (pid == 0) {
		char exe[4096], quiet[16];

		snprintf(exe, sizeof(exe), "%s/postured-notify", build);
		snprintf(quiet, sizeof(quiet), "%d", QUIET_SECONDS);
		setenv("PATH", path_env, 1);
		if (lang)
			setenv("LANG", lang, 1);
		execl(exe, exe, "--socket", sock_path, "--quiet-seconds", quiet, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits up to ms for pid; returns its wait status, or -1 when it is still running. */
static int wait_exit(pid_t pid, int ms)
{
	int status;

	for (int t = 0; t <= ms; t += 20) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(20 * 1000);
	}
	return -1;
}

static bool file_contains(const char *path, const char *what, int ms)
{
	for (int t = 0; t <= ms; t += 50) {
		char buf[1024] = "";
		FILE *f = fopen(path, "re");

		if (f) {
			size_t k = fread(buf, 1, sizeof(buf) - 1, f);

			buf[k] = '\0';
			fclose(f);
			if (strstr(buf, what))
				return true;
		}
		usleep(50 * 1000);
	}
	return false;
}

#define FIX_A                                                                                     \
	"If you do not need it, close x11vnc (for example: pkill x11vnc) and remove it with: "    \
	"sudo apt remove x11vnc. If you need someone to help you remotely, ask the IT help desk " \
	"for the supported remote-support tool."
#define FIX_A_CUT                                                                              \
	"If you do not need it, close x11vnc (for example: pkill x11vnc) and remove it with: " \
	"sudo apt remove x11vnc."
/* Four sentences, 222 characters: a body keeps the first three, 189 characters. */
#define FIX_A_JA_1 \
	"x11vnc が不要な場合は、終了して（例: pkill x11vnc）、sudo apt remove x11vnc で削除してください。"
#define FIX_A_JA_2 \
	"遠隔でサポートを受ける必要がある場合は、会社が用意しているリモートサポートツールについて IT ヘルプデスクに問い合わせてください。"
#define FIX_A_JA_3 \
	"そのツールなら、画面を共有するのはサポートを受けている間だけで、終わったあとに接続が残ることもありません。"
#define FIX_A_JA_4   "ご不明な点があれば、いつでも IT ヘルプデスクにご相談ください。"
#define FIX_A_JA_CUT FIX_A_JA_1 FIX_A_JA_2 FIX_A_JA_3
#define FIX_A_JA     FIX_A_JA_CUT FIX_A_JA_4

/*
 * The notifier in Japanese: a denial, its repeats and a fix, in the words of
 * po/ja.po and the policy's Japanese remediation.  Skipped without the locale.
 */
static void test_japanese(const char *build, const char *path_env)
{
	char req[4096];
	struct notice n;
	int fd, base, status;
	pid_t pid;

	if (!setlocale(LC_ALL, "ja_JP.UTF-8")) {
		printf("SKIP: the ja_JP.UTF-8 locale is not available here (run tools/install-deps "
		       "as root to generate it)\n");
		return;
	}
	setlocale(LC_ALL, "C");

	pid = start_notifier(build, path_env, "ja_JP.UTF-8");
	fd = agent_accept(5000, req, sizeof(req));
	CHECK(fd >= 0, "the Japanese notifier connected to the status socket");
	if (fd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	agent_write(fd, "{\"id\":1,\"result\":{\"subscribed\":true}}\n");

	/* A denial: the summary and the action from the catalogue, the body the ja remediation. */
	base = server_count();
	agent_finding_in(fd, "remote-desktop-x11vnc", "x11vnc remote desktop server",
			 "process_denied", "killed", 4, false, FIX_A, FIX_A_JA);
	CHECK(wait_notices(base + 1, 3000), "a denial produced a Japanese notice");
	n = server_get(base);
	CHECK(strcmp(n.summary, "停止しました: x11vnc remote desktop server") == 0,
	      "Japanese summary: %s", n.summary);
	CHECK(strcmp(n.body, FIX_A_JA_CUT) == 0,
	      "Japanese body is the ja remediation cut after a 。: %s", n.body);
	CHECK(strcmp(n.actions, "details=詳細;") == 0, "Japanese actions: %s", n.actions);

	/* Two more within the quiet interval: one follow-up that counts them, in Japanese. */
	for (int i = 0; i < 2; i++)
		agent_finding_in(fd, "remote-desktop-x11vnc", "x11vnc remote desktop server",
				 "process_denied", "killed", 4, false, FIX_A, FIX_A_JA);
	/* The follow-up comes when the quiet interval ends; however late, then no more. */
	(void)wait_notices(base + 2, QUIET_SECONDS * 1000 + 5000);
	usleep(500 * 1000);
	CHECK(server_count() - base == 2, "one Japanese follow-up (got %d notices)",
	      server_count() - base);
	if (server_count() - base >= 2) {
		n = server_get(base + 1);
		CHECK(strcmp(n.body, "このあと同じことがさらに 2 回ありました。" FIX_A_JA_CUT) == 0,
		      "the Japanese follow-up counts 2: %s", n.body);
		CHECK(strcmp(n.summary, "停止しました: x11vnc remote desktop server") == 0,
		      "the follow-up keeps the summary: %s", n.summary);
	}

	/* Fixed, with no remediation to show: the sentence of posturectl in Japanese. */
	base = server_count();
	agent_finding_in(fd, "require-vpn-client", "Company VPN client running",
			 "required_returned", "none", 4, true, "Connect the company VPN.",
			 "会社の VPN に接続してください。");
	CHECK(wait_notices(base + 1, 3000), "a fixed rule notifies in Japanese");
	n = server_get(base);
	CHECK(strcmp(n.summary, "解決しました: Company VPN client running") == 0,
	      "Japanese fixed summary: %s", n.summary);
	CHECK(strcmp(n.body, "必要なプログラムが再び動いています。") == 0,
	      "Japanese fixed body: %s", n.body);

	kill(pid, SIGTERM);
	status = wait_exit(pid, 5000);
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "SIGTERM ends the Japanese notifier with 0 (status %d)", status);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(fd);
}

int main(int argc, char *argv[])
{
	const char *build = argc > 1 ? argv[1] : "build";
	char tmp[] = "/tmp/postured-notify-test.XXXXXX";
	char address[512], req[4096], bindir[PATH_MAX + 64], marker[256];
	char path_env[PATH_MAX + 96], script[PATH_MAX + 80], terminal[PATH_MAX + 96];
	pthread_t thread;
	pid_t pid;
	int fd, status, k, base;
	struct notice n;
	FILE *f;

	if (system("command -v dbus-daemon >/dev/null 2>&1") != 0) {
		printf("SKIP: dbus-daemon is not installed\n0 passed, 0 failed\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/status.sock", tmp);
	/*
	 * The fake posturectl lives in the build tree, not in /tmp: a laptop
	 * running the baseline in enforce mode stops programs run from
	 * world-writable places, and a developer's tests should pass there.
	 */
	{
		char abs[PATH_MAX];

		if (!realpath(build, abs)) {
			perror(build);
			return 1;
		}
		if (snprintf(bindir, sizeof(bindir), "%s/tests/notify/bin.%d", abs,
			     (int)getpid()) >= (int)sizeof(bindir)) {
			fprintf(stderr, "%s: the build directory's path is too long\n", build);
			return 1;
		}
	}
	snprintf(marker, sizeof(marker), "%s/explain.out", tmp);
	snprintf(script, sizeof(script), "%s/posturectl", bindir);
	/*
	 * A posturectl that writes down how it was called, and a terminal
	 * (x-terminal-emulator, found before a machine's own) that runs what
	 * "Details" gives it with nobody to press Enter: the test does not
	 * depend on whether the machine has a terminal.
	 */
	mkdir(bindir, 0755);
	f = fopen(script, "we");
	if (!f)
		return 1;
	fprintf(f, "#!/bin/sh\necho \"$@\" > '%s'\n", marker);
	fclose(f);
	chmod(script, 0755);
	snprintf(terminal, sizeof(terminal), "%s/x-terminal-emulator", bindir);
	f = fopen(terminal, "we");
	if (!f)
		return 1;
	fprintf(f, "#!/bin/sh\n[ \"$1\" = -e ] && shift\nexec \"$@\" < /dev/null\n");
	fclose(f);
	chmod(terminal, 0755);
	snprintf(path_env, sizeof(path_env), "%s:/usr/bin:/bin", bindir);

	if (private_bus_start("--session", false, address, sizeof(address), &dbus_pid) < 0) {
		printf("FAIL: could not start dbus-daemon\n0 passed, 1 failed\n");
		return 1;
	}
	setenv("DBUS_SESSION_BUS_ADDRESS", address, 1);
	setenv("LANG", "C", 1);
	unsetenv("LC_ALL");
	unsetenv("LANGUAGE");
	unsetenv("LC_MESSAGES");
	{
		char loc[4096];

		snprintf(loc, sizeof(loc), "%s/locale", build);
		setenv("POSTURED_LOCALEDIR", loc, 1);
	}

	if (sd_bus_open_user(&server_bus) < 0 ||
	    sd_bus_add_object_vtable(server_bus, NULL, "/org/freedesktop/Notifications",
				     "org.freedesktop.Notifications", srv_vtable, NULL) < 0 ||
	    sd_bus_request_name(server_bus, "org.freedesktop.Notifications", 0) < 0) {
		printf("FAIL: could not set up the test notification server\n0 passed, 1 failed\n");
		kill(dbus_pid, SIGTERM);
		return 1;
	}
	pthread_create(&thread, NULL, server_thread, NULL);

	if (agent_listen() < 0) {
		printf("FAIL: could not listen on %s\n", sock_path);
		return 1;
	}
	pid = start_notifier(build, path_env, NULL);

	/* It connects and subscribes. */
	fd = agent_accept(5000, req, sizeof(req));
	CHECK(fd >= 0, "the notifier connected to the status socket");
	CHECK(strstr(req, "\"subscribe\"") != NULL, "first request is subscribe: %s", req);
	agent_write(fd, "{\"id\":1,\"result\":{\"subscribed\":true}}\n");

	/* One denial: exactly one notice. */
	agent_finding(fd, "remote-desktop-x11vnc", "x11vnc remote desktop server", "process_denied",
		      "killed", 4, false, FIX_A);
	CHECK(wait_notices(1, 3000), "a denial produced a notice");
	usleep(500 * 1000);
	CHECK(server_count() == 1, "exactly one notice for one denial (got %d)", server_count());
	n = server_get(0);
	CHECK(strcmp(n.app, "postured") == 0, "app_name: %s", n.app);
	CHECK(strcmp(n.icon, "security-medium") == 0, "icon: %s", n.icon);
	CHECK(n.replaces == 0, "a first notice replaces nothing");
	CHECK(strcmp(n.summary, "Stopped: x11vnc remote desktop server") == 0, "summary: %s",
	      n.summary);
	CHECK(strcmp(n.body, FIX_A_CUT) == 0, "body is the remediation cut at a sentence: %s",
	      n.body);
	CHECK(strcmp(n.actions, "details=Details;") == 0, "actions: %s", n.actions);
	CHECK(n.urgency == 1, "high severity is normal urgency (%d)", n.urgency);

	/* "Details" runs posturectl explain RULE. */
	invoke_id = n.id;
	CHECK(file_contains(marker, "explain", 3000) &&
		      file_contains(marker, "remote-desktop-x11vnc", 0),
	      "Details ran posturectl explain remote-desktop-x11vnc");

	/* 100 denials of another rule within a second: one notice and one follow-up with 99. */
	base = server_count();
	for (int i = 0; i < 100; i++)
		agent_finding(fd, "deny-storm", "Storm program", "process_denied", "denied", 3,
			      false, "Stop starting it.");
	CHECK(wait_notices(base + 1, 3000), "the storm produced a notice");
	/* The follow-up comes when the quiet interval ends; however late, then no more. */
	(void)wait_notices(base + 2, QUIET_SECONDS * 1000 + 5000);
	usleep(500 * 1000);
	k = server_count() - base;
	CHECK(k == 2, "a storm of 100 is one notice plus one follow-up (got %d)", k);
	if (k >= 2) {
		struct notice first = server_get(base), follow = server_get(base + 1);

		CHECK(strcmp(first.summary, "Stopped: Storm program") == 0, "storm summary: %s",
		      first.summary);
		CHECK(first.replaces == 0, "the storm's first notice is new");
		CHECK(follow.replaces == first.id,
		      "the follow-up replaces the first notice (%u, %u)", follow.replaces,
		      first.id);
		CHECK(strstr(follow.body, "99 more times") != NULL, "the follow-up counts 99: %s",
		      follow.body);
	}

	/*
	 * A refused connection says "Blocked"; the 4,999 repeats the kernel
	 * counted arrive as one finding with a count, and the follow-up says so.
	 */
	base = server_count();
	agent_network_finding(fd, "no-smtp-out", "Mail only through the company server", 1);
	CHECK(wait_notices(base + 1, 3000), "a refused connection produced a notice");
	agent_network_finding(fd, "no-smtp-out", "Mail only through the company server", 4999);
	/* The follow-up comes when the quiet interval ends; however late, then no more. */
	(void)wait_notices(base + 2, QUIET_SECONDS * 1000 + 5000);
	usleep(500 * 1000);
	k = server_count() - base;
	CHECK(k == 2, "5,000 refused connections are one notice plus one follow-up (got %d)", k);
	if (k >= 2) {
		struct notice first = server_get(base), follow = server_get(base + 1);

		CHECK(strcmp(first.summary, "Blocked: Mail only through the company server") == 0,
		      "network summary: %s", first.summary);
		CHECK(strcmp(first.body, "Send mail through the company server.") == 0,
		      "network body: %s", first.body);
		CHECK(strstr(follow.body, "4999 more times") != NULL,
		      "the follow-up counts the kernel's 4999: %s", follow.body);
	}

	/* Another rule: its own notice; a fixed rule says so at once. */
	base = server_count();
	agent_finding(fd, "require-vpn-client", "Company VPN client running", "required_absent",
		      "none", 4, false, "Connect the company VPN.");
	CHECK(wait_notices(base + 1, 3000), "another rule has its own notice");
	n = server_get(base);
	CHECK(strcmp(n.summary, "Company VPN client running") == 0, "reported summary: %s",
	      n.summary);
	CHECK(strcmp(n.body, "Connect the company VPN.") == 0, "reported body: %s", n.body);
	agent_finding(fd, "require-vpn-client", "Company VPN client running", "required_returned",
		      "none", 4, true, "Connect the company VPN.");
	CHECK(wait_notices(base + 2, 3000), "a fixed rule notifies");
	n = server_get(base + 1);
	CHECK(strcmp(n.summary, "Fixed: Company VPN client running") == 0, "fixed summary: %s",
	      n.summary);
	CHECK(strcmp(n.body, "The required program is running again.") == 0, "fixed body: %s",
	      n.body);
	CHECK(n.urgency == 0, "a fix is low urgency (%d)", n.urgency);

	/* The agent goes away and comes back: the notifier subscribes again. */
	close(fd);
	agent_close_listener();
	usleep(1500 * 1000);
	CHECK(wait_exit(pid, 0) == -1, "the notifier keeps running without the agent");
	agent_listen();
	fd = agent_accept(10000, req, sizeof(req));
	CHECK(fd >= 0 && strstr(req, "\"subscribe\""), "the notifier reconnected and subscribed");
	if (fd >= 0) {
		agent_write(fd, "{\"id\":1,\"result\":{\"subscribed\":true}}\n");
		base = server_count();
		agent_finding(fd, "after-restart", "After restart", "process_denied", "none", 2,
			      false, "Nothing to do.");
		CHECK(wait_notices(base + 1, 3000), "a finding after the reconnect notifies");
		if (server_count() > base)
			CHECK(server_get(base).urgency == 0, "low severity is low urgency");
	}

	/* SIGTERM: exit 0. */
	kill(pid, SIGTERM);
	status = wait_exit(pid, 5000);
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "SIGTERM ends the notifier with 0 (status %d)", status);
	if (fd >= 0)
		close(fd);

	test_japanese(build, path_env);

	/* The session bus goes away: exit 0. */
	pid = start_notifier(build, path_env, NULL);
	fd = agent_accept(5000, req, sizeof(req));
	CHECK(fd >= 0, "a second notifier connected");
	server_stop = true;
	pthread_join(thread, NULL);
	server_bus = sd_bus_flush_close_unref(server_bus);
	kill(dbus_pid, SIGTERM);
	waitpid(dbus_pid, NULL, 0);
	status = wait_exit(pid, 5000);
	CHECK(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the notifier exits 0 when the session bus goes away (status %d)", status);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (fd >= 0)
		close(fd);

	agent_close_listener();
	unlink(marker);
	unlink(script);
	unlink(terminal);
	rmdir(bindir);
	rmdir(tmp);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
