// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for the GVDB reader (agent/postured/checks/gvdb.c), which the
 * screen lock check runs on dconf databases in users' homes.  Run by `make
 * fuzz` on tests/fuzz/corpus/gvdb/, whose seeds are the fixture databases
 * that `dconf compile` made (tests/fixtures/rootfs-checks/screen_lock/regen):
 * a user's database and a system one with ".locks".  Besides the
 * sanitizers' checks: every call answers one of its documented codes, and a
 * value read is of the type asked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postured/checks/gvdb.h"
#include "fuzz.h"

static const char *const keys[] = {
	"/org/gnome/desktop/screensaver/lock-enabled",
	"/org/gnome/desktop/session/idle-delay",
	"/org/gnome/desktop/screensaver/lock-delay",
	"/org/gnome/desktop/lockdown/disable-lock-screen",
	"/",
	"",
};

static void poke(const struct gvdb_table *t)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct gvdb_error err;
		struct gvdb_value v;
		int r = gvdb_table_get_value(t, keys[i], &v, &err);

		check(r == 0 || r == -ENOENT || r == -EBADMSG);
		if (r == 0)
			check(v.type == 0 || strchr("biuxt", v.type));
		if (r == -EBADMSG)
			check(memchr(err.what, '\0', sizeof(err.what)));
		r = gvdb_table_has_value(t, keys[i], &err);
		check(r == 0 || r == 1 || r == -EBADMSG);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gvdb_table t, locks;
	struct gvdb_error err;
	int r;

	if (gvdb_open(data, size, &t, &err) < 0)
		return 0;
	poke(&t);
	r = gvdb_table_get_table(&t, ".locks", &locks, &err);
	check(r == 0 || r == -ENOENT || r == -EBADMSG);
	if (r == 0)
		poke(&locks);
	return 0;
}
