/* Who reaches whom: ICMP echo from sockets opened inside each source host's network namespace,
 * every pair at once, replies collected in one poll loop (no ping processes). */
#ifndef NETLAB_PING_H
#define NETLAB_PING_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct ping_src {
	int pidfd;		/* a process in the source netns; -1 = no source (counts as unreachable) */
};

/* Send `count` echo requests from every source to every destination address (0 = none: that pair
 * is unreachable by definition) and wait up to timeout_ms for replies. replies[s * ndst + d] gets
 * the number of replies from destination d to source s; pairs with s == d are skipped when
 * skip_self. Returns 0, or < 0 if a socket could not be made. */
int ping_matrix(const struct ping_src *src, size_t nsrc, const uint32_t *dst, size_t ndst,
		unsigned count, int timeout_ms, int skip_self, unsigned *replies, struct lab_error **err);

#endif
