/* The isolation lesson as commands: pingall, verify, compare. Real measurements every time. */
#ifndef NETLAB_LESSON_H
#define NETLAB_LESSON_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "state.h"

struct pingall_result {
	bool v6;		/* ICMPv6 to the hosts' IPv6 addresses */
	size_t n;		/* hosts of the lab, in state order */
	unsigned *replies;	/* n*n: replies to [from * n + to] */
	bool *expected;		/* n*n: should `from` reach `to`? (by the lab's plan: lab_expect_reach) */
	unsigned *unconfirmed;	/* n*n: replies whose request never reached `to` (not counted) */
	unsigned pairs, reachable, expected_reachable, mismatches;
	double seconds;
	/* The kernel's IPv4 neighbour table is shared by all network namespaces and holds at most
	 * net.ipv4.neigh.default.gc_thresh3 entries: a lab whose full mesh needs more fails pairs. */
	unsigned neigh_needed, neigh_limit;
	/* The addresses pinged: each host's first (one per host, in host order, even an empty
	 * host's, which is not pinged); with dynamic routing, every address of the family on every
	 * interface that is up in its host. A pair (s, d) counts the replies of d's address that
	 * answered least (0 when d has none), and the unconfirmed replies of all of them. */
	size_t naddrs;
	size_t *addr_host;	/* naddrs: the host of each address */
	size_t *addr_iface;	/* naddrs: its interface, an index into that host's ifaces */
	unsigned *addr_replies;	/* n * naddrs: confirmed replies from host s to address a */
	uint32_t *live4;	/* [kathara] naddrs: the live address pinged, on a segment without
				 * netlab's addresses (lesson_noaddr) */
	uint8_t *live6;		/* 16 * naddrs, the same for IPv6 */
};

/* Every host pings every other host's first address (eth0); with dynamic routing, every
 * address of every other host (those on interfaces that are down in their host are left out:
 * no route leads there). */
int lesson_pingall(const struct lab *lab, bool v6, unsigned count, int timeout_ms,
		   struct pingall_result *out, struct lab_error **err);

/* Has the lab segments without netlab's addresses (a Kathará lab)? Then pingall and verify take
 * each host's live address (its first global one, in ifindex order) and expect every host with
 * one to reach every other. */
bool lesson_noaddr(const struct lab *lab);

/* Does the lab have IPv6 at all (a segment with a /64)? */
bool lesson_has_ipv6(const struct lab *lab);
void lesson_pingall_free(struct pingall_result *r);

struct check {
	char host[HOST_NAME_MAX_LEN + 1];
	char what[48];
	bool pass;
	char *evidence;		/* malloc'd, whole (never cut); may hold host-made bytes */
};

/* Every isolation claim of every host, checked. *out is malloc'd: lesson_checks_free it. */
int lesson_verify(const struct lab *lab, int timeout_ms, struct check **out, size_t *out_count,
		  struct lab_error **err);
void lesson_checks_free(struct check *v, size_t n);

/* How a `--wait` went: routing daemons take seconds to find their routes, so pingall and verify
 * can try again (a try every LESSON_RETRY_MS at most) until what they expect holds. */
#define LESSON_RETRY_MS 1000
struct lesson_wait {
	bool converged;		/* the last try found everything as expected */
	unsigned tries;
	double seconds;		/* from the start of the first try to the end of the last */
};

/* lesson_pingall until there is no mismatch or wait_ms (> 0) has passed; *out is the last
 * try's. A new try starts only before the deadline, and its replies are awaited at most until
 * it (but at least 200 ms), so a lab that does not converge fails within about wait_ms. */
int lesson_pingall_wait(const struct lab *lab, bool v6, unsigned count, int timeout_ms, int wait_ms,
			struct pingall_result *out, struct lesson_wait *w, struct lab_error **err);

/* lesson_verify until every check passes or wait_ms (> 0) has passed; *out is the last try's. */
int lesson_verify_wait(const struct lab *lab, int timeout_ms, int wait_ms, struct check **out,
		       size_t *out_count, struct lesson_wait *w, struct lab_error **err);

struct compare_row {
	char ns[8];
	char exercise[64];
	char value[3][96];	/* machine, host, other; "no answer" when the command timed out */
	char verdict[32];
	bool isolated;
	bool no_answer[3];	/* that column's command did not finish within LESSON_CMD_TIMEOUT_MS
				 * (or an earlier one of the same column did not, so it was not run) */
};

/* How long a command run inside a host for a report may take (root in the host decides what
 * `hostname` is: a bind mount makes it hang). */
#define LESSON_CMD_TIMEOUT_MS 5000

/* The exercises of each namespace run on the machine, in lab->hosts[host] and in
 * lab->hosts[other] (other may be (size_t)-1: none), then all eight namespace inodes. A column
 * whose command does not finish in time gets "no answer" there and in the rest of its rows. */
int lesson_compare(const struct lab *lab, size_t host, size_t other, struct compare_row **rows,
		   size_t *nrows, struct compare_row **inodes, size_t *ninodes, struct lab_error **err);

#endif
