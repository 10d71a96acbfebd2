/* Who reaches whom: ICMP echo from sockets opened inside each source host's network namespace,
 * every pair at once, replies collected in one poll loop (no ping processes). Each echo is
 * confirmed at the destination: root inside the source controls its own namespace (an address of
 * the destination put on its lo answers locally), so a reply alone proves nothing. netlab's own
 * packet socket, in netlab's network namespace, must also see the request leave one of the
 * machine-side veths that lead to the destination (the frames the bridge hands to that host's
 * link, which no host can forge without knowing the run's random nonce). */
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
	/* ifindexes, in the caller's network namespace, of the machine-side ends of the links
	 * that lead into the destination (none: no echo to it can be confirmed) */
	const int *wire;
	size_t nwire;
	size_t host;		/* with skip_self: the source that is this destination's own host */
};

/* Send `count` echo requests (ICMP, or ICMPv6 when v6) from every source to every destination and
 * wait up to timeout_ms for replies. replies[s * ndst + d] gets the number of confirmed echoes
 * from s to d: a reply from d's address carrying this run's nonce reached s's socket, and the
 * request was seen leaving one of d's wires. Pairs with s == dst[d].host are skipped when
 * skip_self (a host's own address answers inside it). ndst * count is at most 65536 (the
 * sequence numbers of one source); more is an error (E2BIG).
 * unconfirmed (NULL: not wanted), like replies, gets the replies that came although their request
 * was never seen reaching d (answered inside s, or by another host): not counted in replies.
 * Returns 0, or < 0 if a socket could not be made. */
int ping_matrix(const struct ping_src *src, size_t nsrc, const struct ping_dst *dst, size_t ndst,
		bool v6, unsigned count, int timeout_ms, int skip_self, unsigned *replies,
		unsigned *unconfirmed, struct lab_error **err);

#endif
