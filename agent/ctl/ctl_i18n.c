// SPDX-License-Identifier: LGPL-2.1-or-later
#include <locale.h>
#include <stdlib.h>

#include "ctl_i18n.h"

#ifndef POSTURED_LOCALEDIR
#define POSTURED_LOCALEDIR "/usr/share/locale"
#endif

void ctl_i18n_setup(void)
{
	const char *dir = getenv("POSTURED_LOCALEDIR");

	setlocale(LC_ALL, "");
	/* Numbers in JSON and in messages keep the decimal point whatever the locale. */
	setlocale(LC_NUMERIC, "C");
	bindtextdomain(CTL_TEXTDOMAIN, dir && *dir ? dir : POSTURED_LOCALEDIR);
	bind_textdomain_codeset(CTL_TEXTDOMAIN, "UTF-8");
	textdomain(CTL_TEXTDOMAIN);
}
