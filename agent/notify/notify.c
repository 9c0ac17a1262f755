// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * postured-notify: the employee's desktop notices.  Runs in the user's
 * graphical session, subscribes to the agent's status socket
 * (docs/status-socket.md) and turns each new finding into a notification
 * through org.freedesktop.Notifications on the session bus.  "Details" runs
 * `posturectl explain RULE`.
 *
 * One rule notifies at most once per quiet interval; findings of the rule
 * inside that interval are counted and become one follow-up that replaces
 * the first notice when the interval ends.  The agent may restart: we
 * reconnect with back-off.  When the session bus goes away, or on SIGTERM,
 * we exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "basic/log.h"
#include "ctl/ctl_i18n.h"
#include "ctl/finding_text.h"
#include "ctl/statusclient.h"
#include "basic/version.h"

extern char **environ;

#define NOTIFY_BUS_NAME	 "org.freedesktop.Notifications"
#define NOTIFY_BUS_PATH	 "/org/freedesktop/Notifications"
#define NOTIFY_BUS_IFACE "org.freedesktop.Notifications"
/* Owned while we run, so that a session has one notifier. */
#define NOTIFY_OWN_NAME	     "org.postured.Notify"
#define NOTIFY_QUIET_DEFAULT (5 * 60)
#define NOTIFY_BACKOFF_MIN   (1 * USEC_PER_SEC)
#define NOTIFY_BACKOFF_MAX   (60 * USEC_PER_SEC)
/* Rules we keep state for; an idle one is reused when all are taken. */
#define NOTIFY_RULES_MAX 256
/* The body: about this many characters, cut at the end of a sentence. */
#define NOTIFY_BODY_CHARS 200

enum urgency {
	URGENCY_LOW = 0,
	URGENCY_NORMAL = 1,
	URGENCY_CRITICAL = 2,
};

/* What we remember about one rule's notices. */
struct rule_state {
	char *rule;
	char *summary; /* of the last notice, for the follow-up */
	char *body; /* the body under the count */
	uint8_t urgency;
	bool resolved; /* the last notice said "Fixed" */
	bool in_window; /* the quiet interval after a notice is running */
	unsigned pending_calls;
	uint32_t notice_id; /* the server's id of our notice, 0 until it answered */
	uint64_t repeats; /* findings held back in this window */
	usec_t last_used;
	sd_event_source *timer;
};

struct notifier {
	sd_event *event;
	sd_bus *bus;
	const char *socket_path;
	usec_t quiet;
	char lang[16];
	bool markup; /* the server interprets markup in bodies: escape ours */

	struct statusclient *client;
	sd_event_source *io;
	sd_event_source *reconnect;
	usec_t backoff;
	struct ratelimit connect_log;

	struct rule_state rules[NOTIFY_RULES_MAX];
	size_t n_rules;
};

static void rule_state_clear(struct rule_state *s)
{
	free(s->rule);
	free(s->summary);
	free(s->body);
	sd_event_source_disable_unref(s->timer);
	*s = (struct rule_state){};
}

/* --- texts ----------------------------------------------------------------- */

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t utf8_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80	      ? 1 :
		   (c & 0xe0) == 0xc0 ? 2 :
		   (c & 0xf0) == 0xe0 ? 3 :
		   (c & 0xf8) == 0xf0 ? 4 :
					1;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/*
 * The first sentences of s that fit in about NOTIFY_BODY_CHARS characters;
 * when not even the first sentence fits, cut at a space and end with "…".
 * Control characters become '?' and, when the server reads markup, &<> are
 * escaped.  Returns a malloc'd string or NULL when out of memory.
 */
static char *notify_body_text(const char *s, bool markup)
{
	size_t len = strlen(s), cut = len, sentence = 0, space = 0, chars = 0, i = 0;
	bool ellipsis = false;
	char *out, *p;

	for (i = 0; i < len && chars < NOTIFY_BODY_CHARS; chars++) {
		size_t n = utf8_len(s + i);

		if (n == 1 && (s[i] == '.' || s[i] == '!' || s[i] == '?') &&
		    (s[i + 1] == ' ' || s[i + 1] == '\0'))
			sentence = i + 1;
		else if (n == 3 &&
			 (memcmp(s + i, "\u3002", 3) == 0 || memcmp(s + i, "\uff01", 3) == 0 ||
			  memcmp(s + i, "\uff1f", 3) == 0))
			sentence = i + 3;
		else if (s[i] == ' ')
			space = i;
		i += n;
	}
	if (i < len) {
		if (sentence > 0)
			cut = sentence;
		else {
			cut = space > 0 ? space : i;
			ellipsis = true;
		}
	}

	out = malloc(cut * 5 + sizeof("\u2026"));
	if (!out)
		return NULL;
	p = out;
	for (i = 0; i < cut;) {
		size_t n = utf8_len(s + i);
		unsigned char c = (unsigned char)s[i];

		if (n == 1 && (c < 0x20 || c == 0x7f || c >= 0x80))
			*p++ = '?';
		else if (markup && c == '&')
			p = stpcpy(p, "&amp;");
		else if (markup && c == '<')
			p = stpcpy(p, "&lt;");
		else if (markup && c == '>')
			p = stpcpy(p, "&gt;");
		else
			p = mempcpy(p, s + i, n);
		i += n;
	}
	if (ellipsis)
		p = stpcpy(p, "\u2026");
	*p = '\0';
	return out;
}

static bool finding_resolved(yajl_val f)
{
	const char *kind = statusclient_get_str(statusclient_get(f, "postured"), "finding");

	return statusclient_get_int(f, "status_id", 0) == 4 ||
	       (kind && strcmp(kind, "required_returned") == 0);
}

static bool finding_stopped(yajl_val f)
{
	const char *action = statusclient_get_str(statusclient_get(f, "postured"), "action");

	return action && (strcmp(action, "killed") == 0 || strcmp(action, "denied") == 0);
}

/* How many events a finding stands for: the kernel counts network repeats. */
static uint64_t finding_count(yajl_val f)
{
	int64_t n = statusclient_get_int(
		statusclient_get(statusclient_get(f, "postured"), "network"), "count", 1);

	return n > 0 ? (uint64_t)n : 1;
}

static bool finding_is_network(yajl_val f)
{
	const char *kind = statusclient_get_str(statusclient_get(f, "postured"), "finding");

	return kind && strcmp(kind, "network") == 0;
}

static uint8_t finding_urgency(yajl_val f)
{
	int64_t sev = statusclient_get_int(f, "severity_id", 3);

	if (finding_resolved(f) || sev <= 2)
		return URGENCY_LOW;
	return sev >= 5 ? URGENCY_CRITICAL : URGENCY_NORMAL;
}

/* The summary line: the rule's title in plain words. */
static char *finding_summary(yajl_val f)
{
	const char *rule = finding_text_rule(f);
	const char *title = finding_text_title(f) ?: rule ?: _("A security setting");
	_cleanup_free_ char *t = notify_body_text(title, false);
	char *s = NULL;
	int r;

	if (!t)
		return NULL;
	if (finding_resolved(f))
		/* TRANSLATORS: summary of a notice; %s is the rule's title. */
		r = asprintf(&s, _("Fixed: %s"), t);
	else if (finding_stopped(f) && finding_is_network(f))
		/* TRANSLATORS: summary of a notice about a connection or listener postured refused; %s is the rule's title. */
		r = asprintf(&s, _("Blocked: %s"), t);
	else if (finding_stopped(f))
		/* TRANSLATORS: summary of a notice about a program postured stopped; %s is the rule's title. */
		r = asprintf(&s, _("Stopped: %s"), t);
	else
		r = asprintf(&s, "%s", t);
	return r < 0 ? NULL : s;
}

/* The body: what to do, in one sentence in the user's language. */
static char *finding_body(struct notifier *n, yajl_val f)
{
	_cleanup_free_ char *sentence = NULL;
	const char *text = NULL;

	if (!finding_resolved(f)) {
		text = statusclient_text(
			statusclient_get(statusclient_get(f, "postured"), "remediation"), n->lang);
		if (!text)
			text = statusclient_get_str(statusclient_get(f, "remediation"), "desc");
	}
	if (!text) {
		sentence = finding_text_sentence(f);
		if (!sentence)
			return NULL;
		text = sentence;
	}
	return notify_body_text(text, n->markup);
}

/* --- notices --------------------------------------------------------------- */

static void notifier_arm_window(struct notifier *n, struct rule_state *s);

static int on_notify_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct rule_state *s = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t id;
	int r;

	s->pending_calls--;
	if (e) {
		log_warning("Notification server refused the notice: %s", e->message ?: e->name);
		return 0;
	}
	r = sd_bus_message_read(m, "u", &id);
	if (r < 0) {
		log_warning_errno(r, "Notification server answered Notify oddly: %m");
		return 0;
	}
	s->notice_id = id;
	return 0;
}

/* Sends one notice for s, replacing its previous one when there is one. */
static int notifier_send(struct notifier *n, struct rule_state *s, const char *body)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(n->bus, &m, NOTIFY_BUS_NAME, NOTIFY_BUS_PATH,
					   NOTIFY_BUS_IFACE, "Notify");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "susss", "postured", s->notice_id, "security-medium",
				  s->summary, body);
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "as", 2, "details", _("Details"));
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "a{sv}", 2, "urgency", "y", s->urgency, "desktop-entry", "s",
				  "postured-notify");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "i", (int32_t)-1);
	if (r < 0)
		return r;
	r = sd_bus_call_async(n->bus, NULL, m, on_notify_reply, s, 0);
	if (r < 0)
		return r;
	s->pending_calls++;
	return 0;
}

static int on_window_end(sd_event_source *es, uint64_t usec, void *userdata);

static void notifier_arm_window(struct notifier *n, struct rule_state *s)
{
	int r;

	s->in_window = true;
	s->repeats = 0;
	s->timer = sd_event_source_disable_unref(s->timer);
	r = sd_event_add_time_relative(n->event, &s->timer, CLOCK_MONOTONIC, n->quiet,
				       USEC_PER_SEC / 10, on_window_end, n);
	if (r < 0) {
		/* Without a timer the window would never end: do not hold anything back. */
		log_warning_errno(r, "Failed to arm the quiet interval: %m");
		s->in_window = false;
		return;
	}
	sd_event_source_set_description(s->timer, "quiet-window");
}

/* The quiet interval ended: send the count, if there is one, and start another window. */
static int on_window_end(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct notifier *n = userdata;
	struct rule_state *s = NULL;
	_cleanup_free_ char *body = NULL;
	char count[256];
	int r;

	for (size_t i = 0; i < n->n_rules; i++)
		if (n->rules[i].timer == es)
			s = &n->rules[i];
	if (!s)
		return 0;
	s->timer = sd_event_source_disable_unref(s->timer);
	s->in_window = false;
	if (s->repeats == 0)
		return 0;

	snprintf(
		count, sizeof(count),
		/* TRANSLATORS: added to a notice when the same rule was hit again; %llu is how often. */
		ngettext("This happened %llu more time.", "This happened %llu more times.",
			 (unsigned long)MIN(s->repeats, (uint64_t)ULONG_MAX)),
		(unsigned long long)s->repeats);
	/* TRANSLATORS: the follow-up's body: the sentence above, then the first notice's body. */
	if (asprintf(&body, _("%s %s"), count, s->body ?: "") < 0)
		return log_oom(), 0;
	r = notifier_send(n, s, body);
	if (r < 0)
		log_warning_errno(r, "Failed to send the follow-up notice: %m");
	notifier_arm_window(n, s);
	return 0;
}

static struct rule_state *notifier_rule(struct notifier *n, const char *rule)
{
	struct rule_state *s = NULL;

	for (size_t i = 0; i < n->n_rules; i++)
		if (strcmp(n->rules[i].rule, rule) == 0)
			return &n->rules[i];
	if (n->n_rules < NOTIFY_RULES_MAX) {
		s = &n->rules[n->n_rules];
	} else {
		/* Reuse the least recently used rule that holds nothing back. */
		for (size_t i = 0; i < n->n_rules; i++) {
			struct rule_state *c = &n->rules[i];

			if (c->in_window || c->pending_calls > 0)
				continue;
			if (!s || c->last_used < s->last_used)
				s = c;
		}
		if (!s)
			return NULL;
		rule_state_clear(s);
	}
	s->rule = strdup(rule);
	if (!s->rule)
		return NULL;
	if (s == &n->rules[n->n_rules])
		n->n_rules++;
	return s;
}

static void notifier_finding(struct notifier *n, yajl_val f)
{
	static struct ratelimit rl = RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
	const char *rule = finding_text_rule(f) ?: "?";
	bool resolved = finding_resolved(f);
	struct rule_state *s;
	char *summary, *body;
	int r;

	s = notifier_rule(n, rule);
	if (!s) {
		if (ratelimit_below(&rl))
			log_warning("Too many rules to keep track of; a notice was dropped.");
		return;
	}
	s->last_used = now_usec(CLOCK_MONOTONIC);

	/*
	 * Inside the window a repeat is only counted.  A change between failing
	 * and fixed is news: it replaces the notice at once.
	 */
	if (s->in_window && s->resolved == resolved) {
		s->repeats += finding_count(f);
		return;
	}

	summary = finding_summary(f);
	body = finding_body(n, f);
	if (!summary || !body) {
		free(summary);
		free(body);
		log_oom();
		return;
	}
	free(s->summary);
	free(s->body);
	s->summary = summary;
	s->body = body;
	s->urgency = finding_urgency(f);
	s->resolved = resolved;
	r = notifier_send(n, s, s->body);
	if (r < 0 && ratelimit_below(&rl))
		log_warning_errno(r, "Failed to send a notice: %m");
	notifier_arm_window(n, s);
}

/* --- "Details" ------------------------------------------------------------- */

static bool in_path(const char *name)
{
	const char *path = getenv("PATH") ?: "/usr/bin:/bin";

	for (const char *p = path; *p;) {
		size_t k = strcspn(p, ":");
		_cleanup_free_ char *f = NULL;

		if (k > 0 && asprintf(&f, "%.*s/%s", (int)k, p, name) >= 0 && access(f, X_OK) == 0)
			return true;
		p += k;
		if (*p == ':')
			p++;
	}
	return false;
}

/*
 * Shows `posturectl explain RULE` in a terminal when there is one
 * (x-terminal-emulator, Debian's alternative), else runs it with its output
 * going where ours goes (the journal, under the user unit).  The rule id is
 * an argument, never part of a shell command line.
 */
static void notifier_details(struct notifier *n, const char *rule)
{
	_cleanup_free_ char *script = NULL;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	pid_t pid;
	int r;

	if (in_path("x-terminal-emulator")) {
		script = strdup(
			"posturectl explain --socket \"$2\" -- \"$1\"; echo; printf '%s' \"$3\"; "
			"read -r _");
		if (!script)
			return (void)log_oom();
	}

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETSID);
	if (script) {
		char *argv[] = { "x-terminal-emulator",
				 "-e",
				 "sh",
				 "-c",
				 script,
				 "sh",
				 (char *)rule,
				 (char *)n->socket_path,
				 _("Press Enter to close."),
				 NULL };

		r = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	} else {
		char *argv[] = { "posturectl", "explain",    "--socket", (char *)n->socket_path,
				 "--",	       (char *)rule, NULL };

		r = posix_spawnp(&pid, argv[0], NULL, &attr, argv, environ);
	}
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		log_warning_errno(r, "Failed to run posturectl explain: %m");
	else
		log_info("Showing details of rule %s (process %d).", rule, (int)pid);
}

static int on_action_invoked(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct notifier *n = userdata;
	const char *action;
	uint32_t id;
	int r;

	r = sd_bus_message_read(m, "us", &id, &action);
	if (r < 0 || id == 0 || strcmp(action, "details") != 0)
		return 0;
	for (size_t i = 0; i < n->n_rules; i++)
		if (n->rules[i].notice_id == id) {
			notifier_details(n, n->rules[i].rule);
			break;
		}
	return 0;
}

static int on_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct notifier *n = userdata;
	const char *cap;

	if (sd_bus_message_is_method_error(m, NULL))
		return 0;
	if (sd_bus_message_enter_container(m, 'a', "s") < 0)
		return 0;
	while (sd_bus_message_read(m, "s", &cap) > 0)
		if (strcmp(cap, "body-markup") == 0)
			n->markup = true;
	return 0;
}

/* --- the agent's socket ---------------------------------------------------- */

static void notifier_schedule_reconnect(struct notifier *n);

static void notifier_disconnect(struct notifier *n)
{
	n->io = sd_event_source_disable_unref(n->io);
	n->client = statusclient_free(n->client);
}

static int on_status_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct notifier *n = userdata;

	for (;;) {
		_cleanup_(yajl_tree_freep) yajl_val root = NULL;
		_cleanup_free_ char *line = NULL;
		const char *event;
		int r;

		r = statusclient_read_line(n->client, 0, &line);
		if (r == -EAGAIN)
			return 0;
		if (r == -EMSGSIZE)
			continue;
		if (r < 0) {
			log_info_errno(r, "The agent closed the connection; reconnecting: %m");
			notifier_disconnect(n);
			notifier_schedule_reconnect(n);
			return 0;
		}
		root = yajl_tree_parse(line, NULL, 0);
		if (!root || !YAJL_IS_OBJECT(root))
			continue;
		event = statusclient_get_str(root, "event");
		if (event) {
			if (strcmp(event, "finding") == 0)
				notifier_finding(n, statusclient_get(root, "finding"));
		} else if (statusclient_get(root, "error")) {
			log_warning(
				"The agent refused the subscription: %s",
				statusclient_get_str(statusclient_get(root, "error"), "message") ?:
					"?");
		} else if (statusclient_get_bool(statusclient_get(root, "result"), "subscribed",
						 false)) {
			log_info("Subscribed to the agent at %s.", n->socket_path);
			n->backoff = NOTIFY_BACKOFF_MIN;
		}
	}
}

static int notifier_connect(struct notifier *n)
{
	_cleanup_(statusclient_freep) struct statusclient *c = NULL;
	int r;

	r = statusclient_connect(n->socket_path, &c);
	if (r < 0)
		return r;
	r = statusclient_send(c, "subscribe", NULL, 0, STATUSCLIENT_TIMEOUT_USEC, NULL);
	if (r < 0)
		return r;
	r = sd_event_add_io(n->event, &n->io, statusclient_fd(c), EPOLLIN, on_status_io, n);
	if (r < 0)
		return r;
	sd_event_source_set_description(n->io, "status-socket");
	n->client = TAKE_PTR(c);
	return 0;
}

static int on_reconnect(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct notifier *n = userdata;
	int r;

	n->reconnect = sd_event_source_disable_unref(n->reconnect);
	r = notifier_connect(n);
	if (r < 0) {
		if (ratelimit_below(&n->connect_log))
			log_info_errno(
				r, "Cannot reach the agent at %s yet (%m); trying again in %llu s.",
				n->socket_path, (unsigned long long)(n->backoff / USEC_PER_SEC));
		notifier_schedule_reconnect(n);
	}
	return 0;
}

static void notifier_schedule_reconnect(struct notifier *n)
{
	usec_t delay = n->backoff;
	int r;

	n->backoff = MIN(n->backoff * 2, NOTIFY_BACKOFF_MAX);
	r = sd_event_add_time_relative(n->event, &n->reconnect, CLOCK_MONOTONIC, delay,
				       USEC_PER_SEC / 10, on_reconnect, n);
	if (r < 0) {
		log_error_errno(r, "Failed to schedule a reconnect: %m");
		sd_event_exit(n->event, EXIT_FAILURE);
	}
}

/* --- main ------------------------------------------------------------------ */

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	bool *terminated = userdata;

	*terminated = true;
	return sd_event_exit(sd_event_source_get_event(es), 0);
}

static void help(void)
{
	printf(_("Usage: %s [--socket PATH] [--quiet-seconds N]\n"
		 "Shows desktop notifications about this device's security settings.\n\n"
		 "  --socket PATH       the agent's socket (default %s)\n"
		 "  --quiet-seconds N   notify about the same rule at most once in N seconds (default %d)\n"
		 "  --version           show the version\n"),
	       program_invocation_short_name, STATUSCLIENT_SOCKET, NOTIFY_QUIET_DEFAULT);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "quiet-seconds", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	struct notifier n = {
		.socket_path = STATUSCLIENT_SOCKET,
		.quiet = NOTIFY_QUIET_DEFAULT * USEC_PER_SEC,
		.backoff = NOTIFY_BACKOFF_MIN,
		.connect_log = RATELIMIT_INIT(10 * 60 * USEC_PER_SEC, 3),
	};
	bool terminated = false;
	sigset_t mask;
	int c, r, ret = EXIT_FAILURE;

	ctl_i18n_setup();
	log_setup("postured-notify");
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			n.socket_path = optarg;
			break;
		case 'q': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v > 24 * 3600) {
				fprintf(stderr,
					_("%s: --quiet-seconds takes a number of seconds up to 86400\n"),
					program_invocation_short_name);
				return 2;
			}
			n.quiet = v * USEC_PER_SEC;
			break;
		}
		case 'h':
			help();
			return 0;
		case 'V':
			printf("postured-notify %s\n", POSTURED_VERSION);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, _("%s: unexpected argument '%s'\n"), program_invocation_short_name,
			argv[optind]);
		return 2;
	}
	statusclient_lang(n.lang, sizeof(n.lang));

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The "Details" programs we start are reaped by the kernel. */
	sigaction(SIGCHLD, &(struct sigaction){ .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT },
		  NULL);

	r = sd_event_default(&n.event);
	if (r < 0) {
		log_error_errno(r, "Failed to create the event loop: %m");
		goto finish;
	}
	(void)sd_event_add_signal(n.event, NULL, SIGTERM, on_signal, &terminated);
	(void)sd_event_add_signal(n.event, NULL, SIGINT, on_signal, &terminated);

	r = sd_bus_open_user(&n.bus);
	if (r < 0) {
		log_error_errno(r, "Failed to connect to the session bus: %m");
		goto finish;
	}
	/* The session is over when its bus goes away: the loop ends and we exit 0. */
	r = sd_bus_set_exit_on_disconnect(n.bus, true);
	if (r >= 0) {
		/*
		 * One notifier per session: the user unit and the XDG autostart
		 * entry may both start us.  The second one leaves quietly.
		 */
		r = sd_bus_request_name(n.bus, NOTIFY_OWN_NAME, 0);
		if (r == -EEXIST) {
			log_info("Another postured-notify runs in this session; exiting.");
			ret = EXIT_SUCCESS;
			goto finish;
		}
	}
	if (r >= 0)
		r = sd_bus_attach_event(n.bus, n.event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_match_signal(n.bus, NULL, NULL, NOTIFY_BUS_PATH, NOTIFY_BUS_IFACE,
					"ActionInvoked", on_action_invoked, &n);
	if (r >= 0)
		r = sd_bus_call_method_async(n.bus, NULL, NOTIFY_BUS_NAME, NOTIFY_BUS_PATH,
					     NOTIFY_BUS_IFACE, "GetCapabilities", on_capabilities,
					     &n, NULL);
	if (r < 0) {
		log_error_errno(r, "Failed to set up the session bus: %m");
		goto finish;
	}

	r = notifier_connect(&n);
	if (r < 0) {
		log_info_errno(r, "Cannot reach the agent at %s yet (%m); trying again.",
			       n.socket_path);
		notifier_schedule_reconnect(&n);
	}

	r = sd_event_loop(n.event);
	if (r < 0) {
		log_error_errno(r, "Event loop failed: %m");
		goto finish;
	}
	/* The bus is closed by now either way: sd_bus_attach_event() closes it when the loop ends. */
	if (!terminated)
		log_info("The session bus went away; exiting.");
	ret = EXIT_SUCCESS;

finish:
	notifier_disconnect(&n);
	n.reconnect = sd_event_source_disable_unref(n.reconnect);
	for (size_t i = 0; i < n.n_rules; i++)
		rule_state_clear(&n.rules[i]);
	sd_bus_flush_close_unref(n.bus);
	sd_event_unref(n.event);
	return ret;
}
