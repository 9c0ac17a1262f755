/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The few scope-bound cleanup helpers the policy library uses, in the manner
 * of systemd.  Private to policy/: the library includes nothing from agent/.
 */
#ifndef POSTURED_POLICY_CLEANUP_H
#define POSTURED_POLICY_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_PTR(ptr)                             \
	({                                        \
		__typeof__(ptr) *_pptr_ = &(ptr); \
		__typeof__(ptr) _ptr_ = *_pptr_;  \
		*_pptr_ = NULL;                   \
		_ptr_;                            \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_	_cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define ELEMENTSOF(x)	(sizeof(x) / sizeof((x)[0]))

#endif
