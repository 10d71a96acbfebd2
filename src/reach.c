/* The reachability a lab's plan implies: what pingall and verify expect (reach.h). */
#include "reach.h"

#include <string.h>

#include "ipv4.h"
#include "ipv6.h"

/* An address of either family, as the simulation passes it around. */
struct where {
	bool v6;
	uint32_t a4;
	uint8_t a6[16];
};

static bool iface_has(const struct lab_iface *x, const struct where *w)
{
	return w->v6 ? !ipv6_is_zero(x->addr6) && !memcmp(x->addr6, w->a6, 16) : x->addr == w->a4;
}

static bool seg_holds(const struct lab_segment *g, const struct where *w)
{
	if (w->v6)
		return g->has6 && ipv6_in(&g->subnet6, w->a6);
	return (w->a4 & ipv4_mask(g->subnet.prefix)) == g->subnet.addr;
}

/* The host with address w on segment seg, or -1. */
static long owner_on(const struct lab *lab, unsigned seg, const struct where *w)
{
	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			if (lab->hosts[i].ifaces[k].seg == seg && iface_has(&lab->hosts[i].ifaces[k], w))
				return (long)i;
	return -1;
}

static bool host_has(const struct lab_host *h, const struct where *w)
{
	for (size_t k = 0; k < h->nifaces; k++)
		if (iface_has(&h->ifaces[k], w))
			return true;
	return false;
}

/* Where host x sends a packet for w: the interface and the next host on that segment (the
 * destination itself when it is on a segment of x). Returns false when x has no route. */
static bool next_hop(const struct lab *lab, const struct lab_host *x, const struct where *w,
		     size_t *out_iface, long *out_next)
{
	const struct lab_route *best = NULL;
	struct where via = { .v6 = w->v6 };

	for (size_t k = 0; k < x->nifaces; k++)
		if (seg_holds(&lab->segs[x->ifaces[k].seg], w)) {
			*out_iface = k;
			*out_next = owner_on(lab, x->ifaces[k].seg, w);
			return *out_next >= 0;
		}
	for (size_t r = 0; r < x->nroutes; r++) {	/* longest prefix wins */
		const struct lab_route *rt = &x->routes[r];

		if (rt->v6 != w->v6)
			continue;
		if (rt->v6 ? !ipv6_in(&rt->dst6, w->a6)
			   : (w->a4 & ipv4_mask(rt->dst.prefix)) != rt->dst.addr)
			continue;
		if (!best || (rt->v6 ? rt->dst6.prefix > best->dst6.prefix : rt->dst.prefix > best->dst.prefix))
			best = rt;
	}
	if (!best)
		return false;
	via.a4 = best->via;
	memcpy(via.a6, best->via6, 16);
	for (size_t k = 0; k < x->nifaces; k++)
		if (seg_holds(&lab->segs[x->ifaces[k].seg], &via)) {
			*out_iface = k;
			*out_next = owner_on(lab, x->ifaces[k].seg, &via);
			return *out_next >= 0;
		}
	return false;
}

/* Follow a packet from host `from` to address w; the host that accepts it, or -1. *src is the
 * address `from` sends it with (that of its outgoing interface). */
static long deliver(const struct lab *lab, size_t from, const struct where *w, struct where *src)
{
	size_t at = from;

	for (int ttl = 64; ttl > 0; ttl--) {
		const struct lab_host *x = &lab->hosts[at];
		size_t k;
		long next;

		if (host_has(x, w))
			return (long)at;
		if (at != from && !x->router)
			return -1;	/* not for it and it does not forward */
		if (!next_hop(lab, x, w, &k, &next))
			return -1;
		if (at == from && src) {
			src->v6 = w->v6;
			src->a4 = x->ifaces[k].addr;
			memcpy(src->a6, x->ifaces[k].addr6, 16);
			if (w->v6 && ipv6_is_zero(src->a6))
				return -1;
		}
		at = (size_t)next;
	}
	return -1;
}

/* Does the host have an address of that family (every networked host has an IPv4 one)? */
static bool has_family(const struct lab_host *h, bool v6)
{
	for (size_t k = 0; k < h->nifaces; k++)
		if (!v6 || !ipv6_is_zero(h->ifaces[k].addr6))
			return true;
	return false;
}

bool lab_expect_reach(const struct lab *lab, size_t from, size_t to, bool v6)
{
	const struct lab_host *t = &lab->hosts[to];
	struct where w = { .v6 = v6 }, src;

	if (from == to || !lab->hosts[from].networked || !t->networked)
		return false;
	if (lab->dynamic)	/* the daemons are to find a way between any two */
		return has_family(&lab->hosts[from], v6) && has_family(t, v6);
	w.a4 = t->ifaces[0].addr;
	memcpy(w.a6, t->ifaces[0].addr6, 16);
	if (v6 && ipv6_is_zero(w.a6))
		return false;
	return deliver(lab, from, &w, &src) == (long)to && deliver(lab, to, &src, NULL) == (long)from;
}
