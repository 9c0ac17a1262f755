// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Screen lock: every active graphical session locks its screen within
 * max_idle_minutes of idle.  Sessions are logind's state files,
 * run/systemd/sessions/ID (ACTIVE=1, TYPE=x11 or wayland, CLASS=user); the
 * user's home comes from etc/passwd.  The settings are those of the
 * session's desktop:
 *   - GNOME (DESKTOP=gnome*, ubuntu*, pop): dconf, read as GVDB files: the
 *     dconf profile (etc/dconf/profile/user, else usr/share/dconf/profile/user,
 *     else "user-db:user") lists the user's database (HOME/.config/dconf/user)
 *     and the system ones (etc/dconf/db/NAME), whose ".locks" override the
 *     user's values as dconf does; unset keys take GNOME's schema defaults.
 *     Time to lock = idle-delay + lock-delay; idle-delay 0 never idles.
 *   - KDE (DESKTOP=KDE, plasma*): [Daemon] of kscreenlockerrc, the system's
 *     (etc/xdg) under the user's (HOME/.config) unless marked immutable
 *     ([$i]); time to lock = Timeout (minutes) + LockGrace (seconds).
 * Files in the user's home are opened without leaving it (openat2
 * RESOLVE_BENEATH), must be regular files, and are bounded; a FIFO or a
 * symlink to /proc planted there cannot hang the agent.
 *
 * No active graphical session is unknown, not pass: nobody is at a screen,
 * so nothing says which user's settings will apply when someone is.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "basic/cleanup.h"
#include "basic/fileio.h"
#include "checks.h"
#include "gvdb.h"

#define SESSIONS_REL	 "run/systemd/sessions"
#define SESSIONS_DIR	 "/" SESSIONS_REL
#define SESSIONS_MAX	 64
#define SESSION_SIZE_MAX (16 * 1024)
#define PASSWD_SIZE_MAX	 (1024 * 1024)
#define DCONF_SIZE_MAX	 (4 * 1024 * 1024)
#define KDE_SIZE_MAX	 (64 * 1024)
#define PROFILE_SIZE_MAX (16 * 1024)
#define SOURCES_MAX	 8
#define SHOW		 48 /* bytes of a user, desktop or database name put into a line */

struct session {
	char id[32];
	char user[64], desktop[64], type[16], class[16];
	long long uid;
	bool active;
};

struct who {
	const char *id;
	char user[SHOW + 1], desktop[SHOW + 1];
	const char *type;
};

/* ---- small readers ------------------------------------------------------------- */

/*
 * Reads home/rel below root into a new buffer of at most max bytes (NUL
 * added), never leaving home and only from a regular file.  Returns the byte
 * count; -ENOENT, -EFBIG, -EINVAL (not a regular file), -errno.
 */
static int read_user_file(const char *root, const char *home, const char *rel, size_t max,
			  char **ret)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	char path[4096];
	size_t size = 0; /* written by read_full_fd() on success; gcc's LTO cannot see it */
	int r;

	r = check_path(root, home, path, sizeof(path));
	if (r < 0)
		return r;
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = read_full_fd(fd, max, 0, ret, &size);
	if (r < 0)
		return r == -EISDIR || r == -EBADFD ? -EINVAL : r;
	return (int)size;
}

/* A system file below root into a new buffer of at most max bytes (NUL added). */
static int read_system_file(const char *root, const char *p, size_t max, char **ret)
{
	_cleanup_free_ char *buf = malloc(max + 2);
	int r;

	if (!buf)
		return -ENOMEM;
	r = check_read(root, p, buf, max + 2);
	if (r < 0)
		return r;
	if ((size_t)r > max)
		return -EFBIG;
	*ret = TAKE_PTR(buf);
	return r;
}

static const char *read_error(int r)
{
	return r == -EINVAL ? "not a regular file" : strerror(-r);
}

/* ---- sessions ------------------------------------------------------------------ */

static void session_parse(char *text, struct session *s)
{
	char *line, *next;

	for (line = text; line; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq || line[0] == '#')
			continue;
		*eq++ = '\0';
		if (strcmp(line, "ACTIVE") == 0)
			s->active = strcmp(eq, "1") == 0;
		else if (strcmp(line, "UID") == 0)
			s->uid = strspn(eq, "0123456789") == strlen(eq) && *eq && strlen(eq) < 11 ?
					 strtoll(eq, NULL, 10) :
					 -1;
		else if (strcmp(line, "USER") == 0)
			snprintf(s->user, sizeof(s->user), "%s", eq);
		else if (strcmp(line, "DESKTOP") == 0)
			snprintf(s->desktop, sizeof(s->desktop), "%s", eq);
		else if (strcmp(line, "TYPE") == 0)
			snprintf(s->type, sizeof(s->type), "%s", eq);
		else if (strcmp(line, "CLASS") == 0)
			snprintf(s->class, sizeof(s->class), "%s", eq);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The home directory of uid from etc/passwd into buf.  0, -ENOENT, -errno. */
static int passwd_home(const char *root, long long uid, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	int r = read_system_file(root, "/etc/passwd", PASSWD_SIZE_MAX, &text);

	if (r < 0)
		return r;
	for (char *line = text, *next; line; line = next) {
		char *f[7];
		size_t n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* name:password:uid:gid:gecos:home:shell */
		for (char *c = line; n < 7; n++) {
			f[n] = c;
			c = strchr(c, ':');
			if (!c) {
				n++;
				break;
			}
			*c++ = '\0';
		}
		if (n < 6 || strspn(f[2], "0123456789") != strlen(f[2]) || !*f[2] ||
		    strtoll(f[2], NULL, 10) != uid)
			continue;
		if (f[5][0] != '/' || strstr(f[5], "/../") || strlen(f[5]) >= size)
			return -EINVAL;
		snprintf(buf, size, "%s", f[5]);
		return 0;
	}
	return -ENOENT;
}

/* ---- GNOME: dconf ---------------------------------------------------------------- */

struct dconf_source {
	char name[SHOW + 1]; /* "user", "local" */
	bool user;
	char *data; /* NULL: the database does not exist */
	struct gvdb_table table;
	bool has_locks;
	struct gvdb_table locks;
};

struct dconf {
	struct dconf_source src[SOURCES_MAX];
	size_t n;
};

static void dconf_done(struct dconf *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->src[i].data);
	d->n = 0;
}

static bool db_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= SHOW && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The dconf profile's databases into d (names only); evidence for lines it does not read. */
static int dconf_profile(const char *root, struct dconf *d, char *where, size_t where_size,
			 struct check_result *res)
{
	static const char *const paths[] = { "/etc/dconf/profile/user",
					     "/usr/local/share/dconf/profile/user",
					     "/usr/share/dconf/profile/user" };
	_cleanup_free_ char *text = NULL;
	int r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(paths) && r == -ENOENT; i++) {
		snprintf(where, where_size, "%s", paths[i] + 1);
		r = read_system_file(root, paths[i], PROFILE_SIZE_MAX, &text);
	}
	if (r == -ENOENT) {
		snprintf(where, where_size, "dconf's default profile");
		snprintf(d->src[0].name, sizeof(d->src[0].name), "user");
		d->src[0].user = true;
		d->n = 1;
		return 0;
	}
	if (r < 0)
		return r;
	for (char *line = text, *next; line; line = next) {
		const char *v;
		bool user;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line += strspn(line, " \t");
		line[strcspn(line, " \t\r#")] = '\0';
		if (!*line)
			continue;
		if (strncmp(line, "user-db:", 8) == 0) {
			user = true;
			v = line + 8;
		} else if (strncmp(line, "system-db:", 10) == 0) {
			user = false;
			v = line + 10;
		} else {
			char buf[SHOW + 1];

			check_evidence(res, "%s: \"%s\" is not read (only user-db and system-db)",
				       where, check_printable(buf, sizeof(buf), line, SHOW));
			continue;
		}
		if (!db_name_ok(v) || d->n >= SOURCES_MAX)
			return -EINVAL;
		snprintf(d->src[d->n].name, sizeof(d->src[d->n].name), "%s", v);
		d->src[d->n++].user = user;
	}
	return 0;
}

/* Opens the databases of d.  0; or unknown in res and -EBADMSG/-errno. */
static int dconf_open(const char *root, const char *home, struct dconf *d, const struct who *w,
		      struct check_result *res)
{
	for (size_t i = 0; i < d->n; i++) {
		struct dconf_source *s = &d->src[i];
		struct gvdb_error err = {};
		char rel[128];
		int r;

		if (s->user) {
			snprintf(rel, sizeof(rel), ".config/dconf/%s", s->name);
			r = read_user_file(root, home, rel, DCONF_SIZE_MAX, &s->data);
		} else {
			snprintf(rel, sizeof(rel), "/etc/dconf/db/%s", s->name);
			r = read_system_file(root, rel, DCONF_SIZE_MAX, &s->data);
		}
		if (r == -ENOENT)
			continue; /* nothing set there */
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			check_set(res, CHECK_UNKNOWN,
				  "the dconf database %s%s of %s (session %s) "
				  "cannot be read: %s",
				  s->user ? "~/" : "", rel + !s->user, w->user, w->id,
				  read_error(r));
			return r;
		}
		r = gvdb_open(s->data, (size_t)r, &s->table, &err);
		if (r >= 0) {
			r = gvdb_table_get_table(&s->table, ".locks", &s->locks, &err);
			s->has_locks = r >= 0;
			if (r == -ENOENT)
				r = 0;
		}
		if (r < 0) {
			check_set(res, CHECK_UNKNOWN,
				  "the dconf database %s%s of %s (session %s) is damaged at byte "
				  "%zu: %s",
				  s->user ? "~/" : "", rel + !s->user, w->user, w->id, err.offset,
				  err.what);
			return r;
		}
	}
	return 0;
}

struct setting {
	const char *key; /* "/org/gnome/desktop/screensaver/lock-enabled" */
	char type; /* 'b' or 'u' */
	long long def;
	long long value;
	char from[SHOW + 32]; /* "user's dconf", "system db local (locked)", "GNOME's default" */
};

/* Reads s as dconf would, through the sources' locks.  0; unknown in res and -EBADMSG. */
static int dconf_read(const struct dconf *d, struct setting *s, const struct who *w,
		      struct check_result *res)
{
	struct gvdb_error err = {};
	size_t lock_level = 0;
	int r;

	/* A lock in a system database hides the values of the sources before it. */
	for (size_t i = d->n; i-- > 1;) {
		const struct dconf_source *src = &d->src[i];

		if (!src->data || !src->has_locks)
			continue;
		r = gvdb_table_has_value(&src->locks, s->key, &err);
		if (r < 0)
			goto damaged;
		if (r > 0) {
			lock_level = i;
			break;
		}
	}
	for (size_t i = lock_level; i < d->n; i++) {
		const struct dconf_source *src = &d->src[i];
		struct gvdb_value v;

		if (!src->data)
			continue;
		r = gvdb_table_get_value(&src->table, s->key, &v, &err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			goto damaged;
		if (s->type == 'b' && v.type == 'b') {
			s->value = v.boolean;
		} else if (s->type == 'u' &&
			   (v.type == 'u' || v.type == 'i' || v.type == 'x' || v.type == 't') &&
			   v.number >= 0) {
			s->value = v.number;
		} else {
			check_set(res, CHECK_UNKNOWN,
				  "%s is set to a value of type %s in dconf database %s of %s "
				  "(session %s); GNOME expects %c",
				  s->key, v.type_string, src->name, w->user, w->id, s->type);
			return -EBADMSG;
		}
		snprintf(s->from, sizeof(s->from), "%s%s", src->user ? "user's dconf" : src->name,
			 lock_level ? ", locked" : "");
		return 0;
	}
	s->value = s->def;
	snprintf(s->from, sizeof(s->from), "GNOME's default");
	return 0;

damaged:
	check_set(res, CHECK_UNKNOWN,
		  "a dconf database of %s (session %s) is damaged at byte %zu: %s", w->user, w->id,
		  err.offset, err.what);
	return -EBADMSG;
}

static int check_gnome(const char *root, const char *home, const struct who *w,
		       unsigned long long max_s, struct check_result *res)
{
	struct setting lock = { .key = "/org/gnome/desktop/screensaver/lock-enabled",
				.type = 'b',
				.def = 1 },
		       idle = { .key = "/org/gnome/desktop/session/idle-delay",
				.type = 'u',
				.def = 300 },
		       delay = { .key = "/org/gnome/desktop/screensaver/lock-delay",
				 .type = 'u',
				 .def = 0 },
		       disabled = { .key = "/org/gnome/desktop/lockdown/disable-lock-screen",
				    .type = 'b',
				    .def = 0 };
	struct setting *all[] = { &lock, &idle, &delay, &disabled };
	struct dconf d = {};
	char profile[64];
	unsigned long long total;
	int r;

	r = dconf_profile(root, &d, profile, sizeof(profile), res);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "the dconf profile %s cannot be used: %s", profile,
			  r == -EINVAL ? "a database name is not valid, or there are too many" :
					 strerror(-r));
		return 0;
	}
	r = dconf_open(root, home, &d, w, res);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(all); i++)
		r = dconf_read(&d, all[i], w, res);
	dconf_done(&d);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;

	total = (unsigned long long)idle.value + (unsigned long long)delay.value;
	check_evidence(res,
		       "session %s (%s, GNOME, %s): lock-enabled %s (%s), idle-delay %llu s (%s), "
		       "lock-delay %llu s (%s), disable-lock-screen %s (%s)",
		       w->id, w->user, w->type, lock.value ? "true" : "false", lock.from,
		       (unsigned long long)idle.value, idle.from, (unsigned long long)delay.value,
		       delay.from, disabled.value ? "true" : "false", disabled.from);
	if (lock.value && idle.value && !disabled.value)
		check_evidence(res, "session %s: the screen locks after %llu min %llu s idle",
			       w->id, total / 60, total % 60);
	if (disabled.value)
		check_set(res, CHECK_FAIL,
			  "the lock screen is turned off for %s (session %s, GNOME: "
			  "org.gnome.desktop.lockdown disable-lock-screen is true)",
			  w->user, w->id);
	else if (!lock.value)
		check_set(res, CHECK_FAIL,
			  "automatic screen lock is off for %s (session %s, GNOME: "
			  "org.gnome.desktop.screensaver lock-enabled is false)",
			  w->user, w->id);
	else if (idle.value == 0)
		check_set(
			res, CHECK_FAIL,
			"the screen never goes idle, so it never locks by itself, for %s (session "
			"%s, GNOME: org.gnome.desktop.session idle-delay is 0)",
			w->user, w->id);
	else if (total > max_s)
		check_set(res, CHECK_FAIL,
			  "the screen of %s (session %s, GNOME) locks only after %llu min %llu s "
			  "idle (idle-delay %llu s + lock-delay %llu s), more than %llu min",
			  w->user, w->id, total / 60, total % 60, (unsigned long long)idle.value,
			  (unsigned long long)delay.value, max_s / 60);
	return 0;
}

/* ---- KDE: kscreenlockerrc ------------------------------------------------------- */

struct kde_key {
	const char *name;
	bool is_bool;
	long long value;
	bool immutable;
	char from[40];
};

static bool kde_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *ret = true, true;
		if (strcasecmp(v, no[i]) == 0)
			return *ret = false, true;
	}
	return false;
}

/* Applies the [Daemon] keys of one kscreenlockerrc (text) to keys. -EINVAL with *bad_line. */
static int kde_apply(char *text, const char *from, struct kde_key *keys, size_t n_keys,
		     unsigned *bad_line)
{
	bool in_daemon = false, group_immutable = false, file_immutable = false;
	unsigned lineno = 0;

	for (char *line = text, *next; line; line = next) {
		char *eq, *key, *val;
		bool immutable;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			if (strcmp(line, "[$i]") == 0 && !in_daemon) {
				file_immutable = true;
				continue;
			}
			in_daemon = strncmp(line, "[Daemon]", 8) == 0 &&
				    (line[8] == '\0' || strcmp(line + 8, "[$i]") == 0);
			group_immutable = in_daemon && line[8] != '\0';
			continue;
		}
		if (!in_daemon)
			continue;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		key = line;
		val = eq + 1;
		val += strspn(val, " \t");
		for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		immutable = false;
		if (strlen(key) > 4 && strcmp(key + strlen(key) - 4, "[$i]") == 0) {
			key[strlen(key) - 4] = '\0';
			immutable = true;
		}
		for (size_t i = 0; i < n_keys; i++) {
			struct kde_key *k = &keys[i];
			bool b;
			char *end;
			long long v;

			if (strcmp(key, k->name) != 0 || k->immutable)
				continue;
			if (k->is_bool) {
				if (!kde_bool(val, &b)) {
					*bad_line = lineno;
					return -EINVAL;
				}
				k->value = b;
			} else {
				errno = 0;
				v = strtoll(val, &end, 10);
				if (errno || end == val || *end || v < 0 || v > 100000) {
					*bad_line = lineno;
					return -EINVAL;
				}
				k->value = v;
			}
			snprintf(k->from, sizeof(k->from), "%s", from);
			k->immutable = immutable || group_immutable || file_immutable;
		}
	}
	return 0;
}

static int check_kde(const char *root, const char *home, const struct who *w,
		     unsigned long long max_s, struct check_result *res)
{
	struct kde_key keys[] = {
		{ "Autolock", true, 1, false, "KDE's default" },
		{ "Timeout", false, 5, false, "KDE's default" },
		{ "LockOnResume", true, 1, false, "KDE's default" },
		{ "LockGrace", false, 5, false, "KDE's default" },
	};
	static const char *const from[] = { "etc/xdg/kscreenlockerrc",
					    "~/.config/kscreenlockerrc" };
	unsigned long long total;
	unsigned bad = 0;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(from); i++) {
		_cleanup_free_ char *text = NULL;

		r = i == 0 ? read_system_file(root, "/etc/xdg/kscreenlockerrc", KDE_SIZE_MAX,
					      &text) :
			     read_user_file(root, home, ".config/kscreenlockerrc", KDE_SIZE_MAX,
					    &text);
		if (r == -ENOENT)
			continue;
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			check_set(res, CHECK_UNKNOWN, "%s of %s (session %s) cannot be read: %s",
				  from[i], w->user, w->id, read_error(r));
			return 0;
		}
		if (kde_apply(text, from[i], keys, ELEMENTSOF(keys), &bad) < 0) {
			check_set(
				res, CHECK_UNKNOWN,
				"%s of %s (session %s), line %u: a screen locker setting this check "
				"cannot read",
				from[i], w->user, w->id, bad);
			return 0;
		}
	}

	total = (unsigned long long)keys[1].value * 60 + (unsigned long long)keys[3].value;
	check_evidence(res,
		       "session %s (%s, KDE, %s): Autolock %s (%s), Timeout %lld min (%s), "
		       "LockGrace %lld s (%s), LockOnResume %s (%s)",
		       w->id, w->user, w->type, keys[0].value ? "true" : "false", keys[0].from,
		       keys[1].value, keys[1].from, keys[3].value, keys[3].from,
		       keys[2].value ? "true" : "false", keys[2].from);
	if (keys[0].value && keys[1].value)
		check_evidence(res, "session %s: the screen locks after %llu min %llu s idle",
			       w->id, total / 60, total % 60);
	if (!keys[0].value)
		check_set(res, CHECK_FAIL,
			  "automatic screen lock is off for %s (session %s, KDE: [Daemon] Autolock "
			  "is false in %s)",
			  w->user, w->id, keys[0].from);
	else if (keys[1].value == 0)
		check_set(res, CHECK_FAIL,
			  "the screen never locks by itself for %s (session %s, KDE: [Daemon] "
			  "Timeout is 0)",
			  w->user, w->id);
	else if (total > max_s)
		check_set(
			res, CHECK_FAIL,
			"the screen of %s (session %s, KDE) locks only after %llu min %llu s idle "
			"(Timeout %lld min + LockGrace %lld s), more than %llu min",
			w->user, w->id, total / 60, total % 60, keys[1].value, keys[3].value,
			max_s / 60);
	if (!keys[2].value)
		check_set(res, CHECK_FAIL,
			  "the screen of %s (session %s, KDE) does not lock when the laptop wakes "
			  "from sleep ([Daemon] LockOnResume is false in %s)",
			  w->user, w->id, keys[2].from);
	return 0;
}

/* ---- the check ------------------------------------------------------------------ */

enum desktop { DESKTOP_OTHER, DESKTOP_GNOME, DESKTOP_KDE };

static enum desktop desktop_of(const char *d)
{
	if (strncasecmp(d, "gnome", 5) == 0 || strncasecmp(d, "ubuntu", 6) == 0 ||
	    strcasecmp(d, "pop") == 0)
		return DESKTOP_GNOME;
	if (strcasecmp(d, "kde") == 0 || strncasecmp(d, "plasma", 6) == 0)
		return DESKTOP_KDE;
	return DESKTOP_OTHER;
}

static int check_session(const char *root, const struct session *s, unsigned long long max_s,
			 struct check_result *res)
{
	struct who w = { .id = s->id, .type = s->type };
	char home[1024];
	int r;

	check_printable(w.user, sizeof(w.user), *s->user ? s->user : "?", SHOW);
	check_printable(w.desktop, sizeof(w.desktop), *s->desktop ? s->desktop : "(none)", SHOW);
	if (s->uid < 0) {
		check_set(res, CHECK_UNKNOWN, "session %s has no valid UID", s->id);
		return 0;
	}
	if (desktop_of(s->desktop) == DESKTOP_OTHER) {
		check_evidence(res, "session %s (%s, %s, %s)", w.id, w.user, w.desktop, w.type);
		check_set(
			res, CHECK_UNKNOWN,
			"session %s of %s runs the desktop \"%s\", whose screen lock settings this "
			"check cannot read (it reads GNOME and KDE)",
			w.id, w.user, w.desktop);
		return 0;
	}
	r = passwd_home(root, s->uid, home, sizeof(home));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN,
			  "the home directory of %s (uid %lld, session %s) is not in etc/passwd%s",
			  w.user, s->uid, w.id,
			  r == -ENOENT ? " (a network account?)" :
			  r == -EINVAL ? " as a plain absolute path" :
					 "");
		return 0;
	}
	if (desktop_of(s->desktop) == DESKTOP_GNOME)
		return check_gnome(root, home, &w, max_s, res);
	return check_kde(root, home, &w, max_s, res);
}

int check_screen_lock(const char *root, const policy_rule *rule, struct check_result *res)
{
	unsigned long long max_s = check_param_number(rule, "max_idle_minutes", 15) * 60;
	_cleanup_(closedirp) DIR *d = NULL;
	char *names[SESSIONS_MAX];
	size_t n = 0, graphical = 0, skipped = 0;
	struct dirent *de;
	char path[4096];
	int r = 0;

	if (check_path(root, SESSIONS_DIR, path, sizeof(path)) < 0)
		return 0;
	d = opendir(path);
	if (!d) {
		check_set(res, CHECK_UNKNOWN,
			  "no active graphical session: %s cannot be read (%s), so this check "
			  "cannot tell who is logged in",
			  SESSIONS_REL, strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		/* "2", "c1"; skip ".", "..", and the "2.ref" FIFOs. */
		if (strchr(de->d_name, '.') ||
		    strlen(de->d_name) >= sizeof(((struct session){}).id))
			continue;
		if (n == SESSIONS_MAX) {
			skipped++;
			continue;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		struct session s = { .uid = -1 };
		char p[128];

		snprintf(p, sizeof(p), "%s/%s", SESSIONS_DIR, names[i]);
		snprintf(s.id, sizeof(s.id), "%s", names[i]);
		r = read_system_file(root, p, SESSION_SIZE_MAX, &text);
		if (r == -ENOMEM)
			break;
		if (r < 0) {
			check_set(res, CHECK_UNKNOWN, "the session file %s cannot be read: %s",
				  p + 1, strerror(-r));
			r = 0;
			continue;
		}
		session_parse(text, &s);
		if (!s.active || !(strcmp(s.type, "x11") == 0 || strcmp(s.type, "wayland") == 0) ||
		    !(s.class[0] == '\0' || strcmp(s.class, "user") == 0)) {
			r = 0;
			continue;
		}
		graphical++;
		r = check_session(root, &s, max_s, res);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	if (r < 0)
		return r;
	if (skipped)
		check_set(res, CHECK_UNKNOWN, "more than %d sessions; %zu were not looked at",
			  SESSIONS_MAX, skipped);
	if (graphical == 0)
		check_set(res, CHECK_UNKNOWN,
			  "no active graphical session: nobody is at the screen, so there are no "
			  "user settings to read (%zu sessions in %s)",
			  n, SESSIONS_REL);
	return 0;
}
