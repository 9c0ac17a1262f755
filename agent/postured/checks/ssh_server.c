// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SSH server: when etc/ssh/sshd_config exists, the effective PermitRootLogin
 * and PasswordAuthentication.  As in sshd the first value of a keyword wins,
 * Include'd files (globs, relative to /etc/ssh, sorted) are read in place,
 * and the defaults are those of OpenSSH 7.0 and later ("prohibit-password"
 * and "yes").  Match blocks apply to some connections only: they are skipped,
 * with a line of evidence saying so.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "basic/fileio.h"
#include "checks.h"

#define SSHD_CONFIG   "/etc/ssh/sshd_config"
#define FILE_SIZE_MAX (64 * 1024)
#define FILES_MAX     64
#define INCLUDE_DEPTH 8

struct setting {
	char value[32];
	char where[256]; /* "etc/ssh/sshd_config.d/50-x.conf:3" */
};

struct sshd {
	const char *root;
	size_t root_len;
	unsigned files;
	struct setting root_login, password;
	struct check_result *res;
};

/* The next word of *s, unquoting "..." as sshd does; false at the end of the line. */
static bool next_word(char **s, char **ret)
{
	char *c = *s;

	c += strspn(c, " \t");
	if (!*c)
		return false;
	if (*c == '"') {
		char *end = strchr(c + 1, '"');

		if (!end)
			return false;
		*end = '\0';
		*ret = c + 1;
		*s = end + 1;
		return true;
	}
	*ret = c;
	c += strcspn(c, " \t");
	if (*c)
		*c++ = '\0';
	*s = c;
	return true;
}

static void set_first(struct setting *s, const char *value, const char *file, unsigned line)
{
	if (s->value[0])
		return;
	snprintf(s->value, sizeof(s->value), "%s", value);
	for (char *c = s->value; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	snprintf(s->where, sizeof(s->where), "%s:%u", file + 1, line);
}

static int parse_file(struct sshd *st, const char *path, unsigned depth);

static int include(struct sshd *st, const char *pattern, unsigned depth)
{
	char full[4096], rel[4096];
	glob_t g = {};
	int r = 0;

	/* Relative patterns are relative to /etc/ssh, whichever file holds the Include. */
	if (snprintf(rel, sizeof(rel), "%s%s", pattern[0] == '/' ? "" : "/etc/ssh/", pattern) >=
	    (int)sizeof(rel))
		return -ENAMETOOLONG;
	if (check_path(st->root, rel, full, sizeof(full)) < 0)
		return -ENAMETOOLONG;
	if (glob(full, 0, NULL, &g) != 0)
		return 0; /* no match: sshd goes on too */
	for (size_t i = 0; i < g.gl_pathc && r >= 0; i++) {
		const char *p = g.gl_pathv[i] + st->root_len;

		r = parse_file(st, p, depth + 1);
	}
	globfree(&g);
	return r;
}

/* Reads path (below root) and the files it includes.  -errno when path cannot be read. */
static int parse_file(struct sshd *st, const char *path, unsigned depth)
{
	_cleanup_free_ char *text = NULL;
	bool in_match = false;
	unsigned lineno = 0;
	char *line, *next;
	int r;

	if (depth > INCLUDE_DEPTH || ++st->files > FILES_MAX) {
		check_set(st->res, CHECK_UNKNOWN,
			  "the sshd configuration includes too many files, or itself (at %s)",
			  path + 1);
		return 0;
	}
	text = malloc(FILE_SIZE_MAX);
	if (!text)
		return -ENOMEM;
	r = check_read(st->root, path, text, FILE_SIZE_MAX);
	if (r < 0)
		return r;
	for (line = text; line; line = next) {
		char *keyword, *value;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		/* "Keyword value", "Keyword=value" or "Keyword = value". */
		keyword = line;
		line += strcspn(line, " \t=");
		if (*line) {
			*line++ = '\0';
			line += strspn(line, " \t");
			if (*line == '=')
				line++;
		}
		if (strcasecmp(keyword, "match") == 0) {
			in_match = !(next_word(&line, &value) && strcasecmp(value, "all") == 0);
			if (in_match)
				check_evidence(st->res,
					       "%s:%u: Match block skipped (it applies to some "
					       "connections only)",
					       path + 1, lineno);
			continue;
		}
		if (in_match)
			continue;
		if (strcasecmp(keyword, "include") == 0) {
			while (next_word(&line, &value)) {
				r = include(st, value, depth);
				if (r == -ENOMEM)
					return r;
				if (r < 0)
					check_set(st->res, CHECK_UNKNOWN,
						  "could not read a file included at %s:%u: %s",
						  path + 1, lineno, strerror(-r));
			}
		} else if (strcasecmp(keyword, "permitrootlogin") == 0) {
			if (next_word(&line, &value))
				set_first(&st->root_login, value, path, lineno);
		} else if (strcasecmp(keyword, "passwordauthentication") == 0) {
			if (next_word(&line, &value))
				set_first(&st->password, value, path, lineno);
		}
	}
	return 0;
}

int check_ssh_server(const char *root, const policy_rule *rule, struct check_result *res)
{
	bool allow_key_only = check_param_bool(rule, "allow_prohibit_password", true);
	struct sshd st = { .root = root, .res = res };
	const char *rl, *pa;
	int r;

	st.root_len = strlen(root);
	while (st.root_len > 0 && root[st.root_len - 1] == '/')
		st.root_len--;

	r = parse_file(&st, SSHD_CONFIG, 0);
	if (r == -ENOENT) {
		check_evidence(res, "no etc/ssh/sshd_config: the SSH server is not installed");
		return 0;
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		check_set(res, CHECK_UNKNOWN, "could not read etc/ssh/sshd_config: %s",
			  strerror(-r));
		return 0;
	}

	rl = st.root_login.value[0] ? st.root_login.value : "prohibit-password";
	pa = st.password.value[0] ? st.password.value : "yes";
	check_evidence(res, "PermitRootLogin %s (%s)", rl,
		       st.root_login.value[0] ? st.root_login.where : "sshd's default");
	check_evidence(res, "PasswordAuthentication %s (%s)", pa,
		       st.password.value[0] ? st.password.where : "sshd's default");
	if (!(strcmp(rl, "no") == 0 || (allow_key_only && (strcmp(rl, "prohibit-password") == 0 ||
							   strcmp(rl, "without-password") == 0))))
		check_set(res, CHECK_FAIL, "the SSH server lets root log in (PermitRootLogin %s)",
			  rl);
	if (strcmp(pa, "no") != 0)
		check_set(res, CHECK_FAIL,
			  "the SSH server accepts passwords (PasswordAuthentication %s)", pa);
	return 0;
}
