/* Scope-bound release of resources, as in systemd/crun/bubblewrap (HACKING.md, "Cleanup"). */
#ifndef NETLAB_CLEANUP_H
#define NETLAB_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

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

#define _cleanup_free_ __attribute__((cleanup(cleanup_freep)))
#define _cleanup_close_ __attribute__((cleanup(cleanup_closep)))

/* Hand ownership on: `*out_fd = TAKE_FD(fd);` leaves fd = -1 so the cleanup does nothing. */
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })

#endif
