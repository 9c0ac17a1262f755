// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Validation of single values: ids, path and name patterns, language tags,
 * user names.  Each returns NULL when the value is fine, else a message in
 * msg saying what is wrong with it.
 */
#include <stdio.h>
#include <string.h>

#include "basic/cleanup.h"
#include "policy-internal.h"

#define PATH_BYTES_MAX	  4095 /* PATH_MAX less the NUL */
#define SEGMENT_BYTES_MAX 255 /* NAME_MAX */

const char *policy_check_id(const char *s, char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(msg, POLICY_MSG_MAX, "an id must not be empty");
		return msg;
	}
	if (n > POLICY_ID_MAX || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789._-") != n) {
		snprintf(msg, POLICY_MSG_MAX,
			 "invalid id %s; use letters, digits, \".\", \"_\" and \"-\", at most %d",
			 policy_quote(q, s), POLICY_ID_MAX);
		return msg;
	}
	return NULL;
}

/*
 * Walks a glob as fnmatch(3) reads it, without FNM_NOESCAPE.  Sets *ret_glob
 * when it holds a wildcard or escape.  Returns NULL, or what is wrong.
 */
static const char *glob_scan(const char *s, bool in_path, bool *ret_glob)
{
	bool glob = false;

	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\':
			glob = true;
			if (!p[1])
				return "ends with a lone \"\\\"";
			p++;
			break;
		case '*':
			glob = true;
			if (p[1] == '*')
				return "uses \"**\", which is not supported; \"*\" matches within one "
				       "segment only";
			break;
		case '?':
			glob = true;
			break;
		case '[':
			glob = true;
			p++;
			if (*p == '!' || *p == '^')
				p++;
			if (*p == ']') /* a "]" first in the set is a member */
				p++;
			for (; *p && *p != ']'; p++) {
				if (*p == '/' && in_path)
					return "has \"/\" inside \"[...]\", which can never match";
				if (*p == '\\' && p[1]) {
					p++;
				} else if (*p == '[' &&
					   (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
					/* [:class:], [=equiv=], [.coll.] */
					const char end[3] = { p[1], ']', '\0' };
					const char *e = strstr(p + 2, end);

					if (!e)
						return "has a \"[\" without its closing \"]\"";
					p = e + 1;
				}
			}
			if (!*p)
				return "has a \"[\" without its closing \"]\"";
			break;
		}
	}
	*ret_glob = glob;
	return NULL;
}

const char *policy_check_path_pattern(const char *s, const char *what, bool *ret_glob,
				      char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	const char *problem = NULL;
	size_t n = strlen(s);
	bool glob;

	if (n == 0) {
		snprintf(msg, POLICY_MSG_MAX, "%s must not be empty", what);
		return msg;
	}
	if (s[0] != '/') {
		snprintf(msg, POLICY_MSG_MAX,
			 "%s %s is not absolute; write the full path, starting with \"/\"", what,
			 policy_quote(q, s));
		return msg;
	}
	if (n > PATH_BYTES_MAX)
		problem = "is longer than 4095 bytes";
	else if (strstr(s, "//"))
		problem = "has an empty segment (\"//\")";
	else if (s[n - 1] == '/')
		problem = "ends with \"/\"; name the program's file, not a directory";
	if (!problem)
		for (const char *seg = s + 1; seg;
		     seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
			size_t len = strcspn(seg, "/");

			if ((len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.')) {
				problem =
					"has a \".\" or \"..\" segment; write the path as the kernel "
					"resolves it, without them";
				break;
			}
			if (len > SEGMENT_BYTES_MAX) {
				problem = "has a segment longer than 255 bytes";
				break;
			}
		}
	if (!problem)
		problem = glob_scan(s, true, &glob);
	if (problem) {
		snprintf(msg, POLICY_MSG_MAX, "%s %s %s", what, policy_quote(q, s), problem);
		return msg;
	}
	*ret_glob = glob;
	return NULL;
}

const char *policy_check_name_pattern(const char *s, bool *ret_glob,
				      char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	const char *problem = NULL;
	size_t n = strlen(s);
	bool glob;

	if (n == 0) {
		snprintf(msg, POLICY_MSG_MAX, "name must not be empty");
		return msg;
	}
	if (strchr(s, '/'))
		problem = "has a \"/\"; a name is the program's file name only (use \"path\" for "
			  "paths)";
	else if (n > SEGMENT_BYTES_MAX)
		problem = "is longer than 255 bytes";
	else if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		problem = "can never be a program's name";
	else
		problem = glob_scan(s, false, &glob);
	if (problem) {
		snprintf(msg, POLICY_MSG_MAX, "name %s %s", policy_quote(q, s), problem);
		return msg;
	}
	*ret_glob = glob;
	return NULL;
}

/*
 * ISO 639-1, then the ISO 639-2/3 codes we expect of languages without a
 * two-letter one; each followed by a space.
 */
static const char languages[] =
	"aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce "
	"ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr "
	"fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is "
	"it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln "
	"lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv "
	"ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk "
	"sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw "
	"ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu "
	"ast ceb chr ckb fil gsw haw hmn kab kok mai mni nds sat sco yue ";

/* Country codes written where a language belongs. */
static const struct {
	const char *wrong, *right;
} language_mistakes[] = {
	{ "jp", "ja" }, { "cn", "zh" }, { "kr", "ko" },	   { "gr", "el" },
	{ "dk", "da" }, { "cz", "cs" }, { "ua", "uk" },	   { "vn", "vi" },
	{ "in", "id" }, { "us", "en" }, { "gb", "en-GB" },
};

const char *policy_check_lang(const char *s, char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	size_t primary = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	bool known = false;
	const char *p;

	/* [a-z]{2,3}(-[A-Za-z0-9]{1,8})* */
	if (primary < 2 || primary > 3 || (s[primary] != '\0' && s[primary] != '-'))
		goto syntax;
	for (p = s + primary; *p; p += 1 + strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							 "abcdefghijklmnopqrstuvwxyz0123456789")) {
		size_t len;

		if (*p != '-')
			goto syntax;
		len = strspn(p + 1,
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		if (len < 1 || len > 8)
			goto syntax;
	}

	for (const char *l = languages; *l; l += strcspn(l, " ") + 1)
		if (strcspn(l, " ") == primary && strncmp(s, l, primary) == 0)
			known = true;
	/* Only an unknown code gets a suggestion: "se" or "uk" are languages too. */
	if (known)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(language_mistakes); i++)
		if (strlen(language_mistakes[i].wrong) == primary &&
		    strncmp(s, language_mistakes[i].wrong, primary) == 0) {
			snprintf(msg, POLICY_MSG_MAX,
				 "unknown language %s (a country code?); did you mean \"%s\"?",
				 policy_quote(q, s), language_mistakes[i].right);
			return msg;
		}
	snprintf(msg, POLICY_MSG_MAX,
		 "unknown language %s; expected an ISO 639 language code such as \"en\" or \"ja\"",
		 policy_quote(q, s));
	return msg;

syntax:
	snprintf(
		msg, POLICY_MSG_MAX,
		"invalid language tag %s; expected a BCP 47 tag such as \"en\", \"ja\" or \"pt-BR\"",
		policy_quote(q, s));
	return msg;
}

const char *policy_check_user_name(const char *s, const char *what, char msg[static POLICY_MSG_MAX])
{
	char q[POLICY_QUOTE_MAX];
	size_t n = strlen(s);

	if (n == 0) {
		snprintf(msg, POLICY_MSG_MAX, "%s name must not be empty", what);
		return msg;
	}
	if (strspn(s, "0123456789") == n) {
		snprintf(
			msg, POLICY_MSG_MAX,
			"%s %s is a string of digits; write a numeric %s as a number (%s) or use a name",
			what, policy_quote(q, s), strcmp(what, "user") == 0 ? "uid" : "gid", s);
		return msg;
	}
	/* The portable user name, as useradd(8) and systemd accept it. */
	if (n > 32 || !strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", s[0]) ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") <
		    n - (s[n - 1] == '$')) {
		snprintf(msg, POLICY_MSG_MAX,
			 "invalid %s name %s; expected letters, digits, \"_\", \".\" and \"-\", "
			 "starting with a letter or \"_\", at most 32",
			 what, policy_quote(q, s));
		return msg;
	}
	return NULL;
}
