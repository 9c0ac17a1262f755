/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The employee's language, for posturectl and postured-notify alike: our
 * words go through gettext in the "postured" text domain (po/postured.pot,
 * po/LANG.po); main() calls ctl_i18n_setup() before saying anything.
 */
#ifndef POSTURED_CTL_I18N_H
#define POSTURED_CTL_I18N_H

#include <libintl.h>

#define _(s)	       gettext(s)
#define N_(s)	       (s)

#define CTL_TEXTDOMAIN "postured"

/*
 * Sets the locale from the environment and binds the "postured" text domain
 * to $POSTURED_LOCALEDIR, else the installed locale directory.  For main()s.
 */
void ctl_i18n_setup(void);

#endif
