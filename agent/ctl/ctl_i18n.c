// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Where the catalogue is.  An installed program uses the installed locale
 * directory (POSTURED_LOCALEDIR, from the Makefile's LOCALEDIR).  A program
 * run from the build tree, as the quick start does (build/posturectl),
 * finds that tree's catalogue (build/locale), which `make` builds before any
 * program: the Makefile gives the build tree's absolute path
 * (POSTURED_BUILD_DIR), and the running executable (/proc/self/exe, which
 * the kernel resolves) must lie directly in that directory.  A package
 * build leaves POSTURED_BUILD_DIR out (I18N_BUILD_DIR=), so its binaries do
 * not carry the build tree's path and never look for it.  So an installed
 * copy never looks anywhere but the installed directory, whatever its
 * environment says, and a build tree that moved just falls back to it.
 * $POSTURED_LOCALEDIR overrides both for tests and translators; it is read
 * with secure_getenv(), so it is ignored in a setuid or file-capability
 * context.
 */
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_i18n.h"

#ifndef POSTURED_LOCALEDIR
#define POSTURED_LOCALEDIR "/usr/share/locale"
#endif

bool ctl_i18n_in_build_tree(const char *exe, const char *build_dir)
{
	char real_build[PATH_MAX];
	const char *slash;
	size_t n;

	if (!exe || !build_dir || !build_dir[0] || !realpath(build_dir, real_build))
		return false;
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	n = (size_t)(slash - exe);
	/* The build directory itself, not one below it (build/asan/...) nor "/". */
	return n > 0 && strlen(real_build) == n && memcmp(exe, real_build, n) == 0;
}

#ifdef POSTURED_BUILD_DIR
/* The build tree's catalogue when this program runs from there; NULL otherwise. */
static const char *build_tree_localedir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return ctl_i18n_in_build_tree(exe, POSTURED_BUILD_DIR) ? POSTURED_BUILD_DIR "/locale" :
								 NULL;
}
#else
static const char *build_tree_localedir(void)
{
	return NULL;
}
#endif

const char *ctl_i18n_localedir(void)
{
	const char *dir = secure_getenv("POSTURED_LOCALEDIR");

	if (dir && *dir)
		return dir;
	dir = build_tree_localedir();
	return dir ? dir : POSTURED_LOCALEDIR;
}

void ctl_i18n_setup(void)
{
	setlocale(LC_ALL, "");
	/* Numbers in JSON and in messages keep the decimal point whatever the locale. */
	setlocale(LC_NUMERIC, "C");
	bindtextdomain(CTL_TEXTDOMAIN, ctl_i18n_localedir());
	bind_textdomain_codeset(CTL_TEXTDOMAIN, "UTF-8");
	textdomain(CTL_TEXTDOMAIN);
}
