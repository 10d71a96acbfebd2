/* Scope-bound release of resources, as in systemd/crun/bubblewrap (HACKING.md, "Cleanup"). */
#ifndef NETLAB_CLEANUP_H
#define NETLAB_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* `_cleanup_(f) T x`: f(&x) when x goes out of scope, on every path (GCC and Clang). */
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;	/* a cleanup must not clobber the errno being reported */
		close(*fd);
		errno = saved;
	}
}

static inline void cleanup_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
/* and beside their types: _cleanup_nets_ (netsetup.h), _cleanup_lab_ (state.h) */

/* Hand ownership on: `*out_fd = TAKE_FD(fd);` leaves fd = -1 so the cleanup does nothing;
 * TAKE_PTR leaves NULL, TAKE_STRUCT all zero (`*out = TAKE_STRUCT(lab);`, as systemd's). */
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_STRUCT(s) ({ __typeof__(s) _s = (s); (s) = (__typeof__(s)){ 0 }; _s; })

#endif
