/* Who reaches whom: ICMP echo from sockets opened inside each source host's network namespace,
 * every pair at once, replies collected in one poll loop (no ping processes). */
#ifndef NETLAB_PING_H
#define NETLAB_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct ping_src {
	int pidfd;		/* a process in the source netns; -1 = no source (counts as unreachable) */
};

/* A destination: an IPv4 address (host byte order) or an IPv6 one, by the matrix's family. */
struct ping_dst {
	bool set;		/* false: none, that pair is unreachable by definition */
	uint32_t v4;
	uint8_t v6[16];
};

/* Send `count` echo requests (ICMP, or ICMPv6 when v6) from every source to every destination and
 * wait up to timeout_ms for replies. replies[s * ndst + d] gets the number of replies from
 * destination d to source s; pairs with s == d are skipped when skip_self. Returns 0, or < 0 if a
 * socket could not be made. */
int ping_matrix(const struct ping_src *src, size_t nsrc, const struct ping_dst *dst, size_t ndst,
		bool v6, unsigned count, int timeout_ms, int skip_self, unsigned *replies,
		struct lab_error **err);

#endif
