/* The reachability a lab's plan implies (reach.c): what pingall and verify expect. Pure. */
#ifndef NETLAB_REACH_H
#define NETLAB_REACH_H

#include <stdbool.h>
#include <stddef.h>

#include "state.h"

/* Should `from` reach `to`'s first address and get the reply back, by the lab's plan? Hosts on a
 * shared segment reach each other; beyond that, packets follow the static routes, hop by hop,
 * through routers only (the kernel's rule: a host that is not a router does not forward).
 * With dynamic routing: every networked host reaches every address of every other networked
 * host of that family (over IPv6 when both have an IPv6 address). */
bool lab_expect_reach(const struct lab *lab, size_t from, size_t to, bool v6);

#endif
