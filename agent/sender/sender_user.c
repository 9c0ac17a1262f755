// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which user the sender runs as.  The daemon asks it too, to give the
 * sender's policy hand-over directory to that user, so both must find the
 * same one: this file is linked into postured and postured-sender.
 */
#include <errno.h>
#include <pwd.h>

#include "sender.h"

int sender_user_lookup(const char *user, struct sender_user *ret)
{
	bool named = user && user[0];
	const char *name = named ? user : SENDER_DEFAULT_USER;
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw && !named) {
		name = SENDER_FALLBACK_USER;
		errno = 0;
		pw = getpwnam(name);
	}
	if (!pw)
		return errno > 0 ? -errno : -ESRCH;
	*ret = (struct sender_user){ .name = name, .uid = pw->pw_uid, .gid = pw->pw_gid };
	return 0;
}
