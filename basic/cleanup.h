/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-bound cleanup in the manner of systemd: _cleanup_free_ and friends run
 * a destructor when the variable leaves scope, TAKE_PTR()/TAKE_FD() hand
 * ownership on and leave the variable empty.
 */
#ifndef POSTURED_BASIC_CLEANUP_H
#define POSTURED_BASIC_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define TAKE_GENERIC(var, type, nullvalue)    \
	({                                    \
		type *_pvar_ = &(var);        \
		type _var_ = *_pvar_;         \
		type _nullvalue_ = nullvalue; \
		*_pvar_ = _nullvalue_;        \
		_var_;                        \
	})
#define TAKE_PTR_TYPE(ptr, type) TAKE_GENERIC(ptr, type, NULL)
#define TAKE_PTR(ptr)		 TAKE_PTR_TYPE(ptr, __typeof__(ptr))
#define TAKE_FD(fd)		 TAKE_GENERIC(fd, int, -EBADF)

/* Defines func##p(type *p) that calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p)     \
	{                                       \
		if (*p)                         \
			func(*p);               \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -EBADF;
}

static inline void closep(int *fd)
{
	safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Frees p and returns NULL, for "p = mfree(p);". */
static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

/* Wipes and frees a NUL-terminated buffer that held key material; accepts NULL, returns NULL. */
static inline char *erase_and_free(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
	return NULL;
}

static inline void erase_and_freep(char **p)
{
	erase_and_free(*p);
}

#define _cleanup_free_	     _cleanup_(freep)
#define _cleanup_close_	     _cleanup_(closep)
#define _cleanup_fclose_     _cleanup_(fclosep)
#define _cleanup_erase_free_ _cleanup_(erase_and_freep)

#define STRINGIFY_(x)	     #x
#define STRINGIFY(x)	     STRINGIFY_(x)
#define ELEMENTSOF(x)	     (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b)	     ((a) < (b) ? (a) : (b))
#define MAX(a, b)	     ((a) > (b) ? (a) : (b))

#endif
