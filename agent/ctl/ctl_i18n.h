/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The employee's language, for posturectl and postured-notify alike: our
 * words go through gettext in the "postured" text domain (po/postured.pot,
 * po/LANG.po); main() calls ctl_i18n_setup() before saying anything.
 */
#ifndef POSTURED_CTL_I18N_H
#define POSTURED_CTL_I18N_H

#include <libintl.h>
#include <stdbool.h>

#define _(s)	       gettext(s)
#define N_(s)	       (s)

#define CTL_TEXTDOMAIN "postured"

/*
 * Sets the locale from the environment and binds the "postured" text domain
 * to ctl_i18n_localedir().  For main()s.
 */
void ctl_i18n_setup(void);

/*
 * The catalogue directory: $POSTURED_LOCALEDIR (ignored when setuid or
 * with file capabilities), else the build tree's build/locale when this
 * program's executable lies in the build tree, else the installed one.
 */
const char *ctl_i18n_localedir(void);

/*
 * Whether the executable at exe (an absolute, resolved path such as
 * /proc/self/exe gives) lies directly in build_dir, once build_dir is
 * resolved too.  False for anything else, a missing build_dir included.
 */
bool ctl_i18n_in_build_tree(const char *exe, const char *build_dir);

#endif
