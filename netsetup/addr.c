/* Addresses and routes. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include "nl.h"

/* The subnet's broadcast address, as `ip addr add ... brd +` and ifconfig set it (IFA_BROADCAST):
 * without it ifconfig shows "broadcast 0.0.0.0". /31 and /32 have none (RFC 3021). */
static int set_broadcast(struct rtnl_addr *a, const void *addr, int prefix)
{
	_cleanup_nladdr_ struct nl_addr *brd = NULL;
	uint32_t be;

	memcpy(&be, addr, sizeof(be));
	be |= htonl(prefix ? 0xffffffffu >> prefix : 0xffffffffu);
	brd = nl_addr_build(AF_INET, &be, sizeof(be));
	if (!brd)
		return -NLE_NOMEM;
	return rtnl_addr_set_broadcast(a, brd);	/* takes its own reference */
}

int nets_addr_add(struct nets *n, int ifindex, int family, const void *addr, int prefix,
		  bool nodad, struct lab_error **err)
{
	_cleanup_addr_ struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_nladdr_ struct nl_addr *local = NULL;
	size_t len = family == AF_INET6 ? 16 : 4;
	char what[96], text[INET6_ADDRSTRLEN];
	int r;

	if (!a)
		return lab_err(err, ENOMEM, "address");
	local = nl_addr_build(family, addr, len);
	if (!local)
		return lab_err(err, ENOMEM, "address");
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	r = rtnl_addr_set_local(a, local);
	if (r >= 0) {
		rtnl_addr_set_prefixlen(a, prefix);
		if (nodad)	/* static lab addresses: no duplicate detection, usable at once */
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		if (family == AF_INET && prefix < 31)
			r = set_broadcast(a, addr, prefix);
		if (r >= 0)
			r = rtnl_addr_add(n->sk, a, NLM_F_EXCL);
	}
	if (r < 0) {
		inet_ntop(family, addr, text, sizeof(text));
		snprintf(what, sizeof(what), "add address %s/%d to interface %d", text, prefix, ifindex);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_addr4_add(struct nets *n, int ifindex, uint32_t addr, int prefix, struct lab_error **err)
{
	uint32_t be = htonl(addr);

	return nets_addr_add(n, ifindex, AF_INET, &be, prefix, false, err);
}

int nets_route_add(struct nets *n, int family, const void *dst, int prefix, const void *via,
		   struct lab_error **err)
{
	_cleanup_route_ struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_nladdr_ struct nl_addr *d = NULL, *g = NULL;
	struct rtnl_nexthop *nh = NULL;
	size_t len = family == AF_INET6 ? 16 : 4;
	char what[160], dt[INET6_ADDRSTRLEN], gt[INET6_ADDRSTRLEN];
	int r;

	d = nl_addr_build(family, dst, len);
	g = nl_addr_build(family, via, len);
	if (!rt || !d || !g || !(nh = rtnl_route_nh_alloc()))
		return lab_err(err, ENOMEM, "route");
	nl_addr_set_prefixlen(d, prefix);
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(rt, RTN_UNICAST);
	r = rtnl_route_set_dst(rt, d);
	if (r >= 0) {
		rtnl_route_nh_set_gateway(nh, g);
		rtnl_route_add_nexthop(rt, nh);	/* the route owns nh now */
		r = rtnl_route_add(n->sk, rt, NLM_F_EXCL);
	} else {
		rtnl_route_nh_free(nh);
	}
	if (r < 0) {
		inet_ntop(family, dst, dt, sizeof(dt));
		inet_ntop(family, via, gt, sizeof(gt));
		snprintf(what, sizeof(what), "add route %s/%d via %s", dt, prefix, gt);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_addr_list(struct nets *n, struct nets_addr **out, size_t *out_count, struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct nets_addr *v;
	size_t count = 0;
	int r;

	r = rtnl_addr_alloc_cache(n->sk, &cache);
	if (r < 0)
		return nets_nlerr(err, r, "list addresses");
	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v)
		return lab_err(err, ENOMEM, "list addresses");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		struct nets_addr *e;

		if (!local)
			continue;
		e = &v[count++];
		e->ifindex = rtnl_addr_get_ifindex(a);
		e->family = rtnl_addr_get_family(a);
		e->prefix = rtnl_addr_get_prefixlen(a);
		inet_ntop(e->family, nl_addr_get_binary_addr(local), e->text, sizeof(e->text));
	}
	*out = v;
	*out_count = count;
	return 0;
}

/* Do two prefixes of len bytes overlap (the shorter prefix decides)? */
static bool prefix_overlap(const uint8_t *a, const uint8_t *b, int p)
{
	int full = p / 8, rest = p % 8;

	if (memcmp(a, b, (size_t)full))
		return false;
	return !rest || !((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest)));
}

const struct nets_prefix *nets_prefix_clash(const struct nets_prefix *routes, size_t n, int family,
					   const void *addr, int prefix)
{
	for (size_t i = 0; i < n; i++) {
		const struct nets_prefix *rt = &routes[i];

		if (rt->family != family)
			continue;
		if (rt->prefix == 0)	/* a default route covers everything; it is not a conflict */
			continue;
		if (family == AF_INET6 && rt->addr[0] == 0xfe)
			continue;	/* link-local and multicast: on every link, never a conflict */
		if (prefix_overlap(rt->addr, addr, rt->prefix < prefix ? rt->prefix : prefix))
			return rt;
	}
	return NULL;
}

/* The routes of one family, appended to v[*count] (room for them all is made here). */
static int route_prefixes(struct nets *n, int family, struct nets_prefix **v, size_t *count,
			  struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct nets_prefix *nv;
	int r;

	r = rtnl_route_alloc_cache(n->sk, family, 0, &cache);
	if (r < 0)
		return nets_nlerr(err, r, family == AF_INET6 ? "list IPv6 routes" : "list IPv4 routes");
	nv = realloc(*v, (*count + (size_t)nl_cache_nitems(cache) + 1) * sizeof(*nv));
	if (!nv)
		return lab_err(err, ENOMEM, "list routes");
	*v = nv;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh;
		struct nets_prefix *e;
		char dev[IF_NAMESIZE] = "?";
		size_t len;

		if (!dst || nl_addr_get_family(dst) != family || rtnl_route_get_table(rt) == RT_TABLE_LOCAL)
			continue;
		e = &nv[(*count)++];
		memset(e, 0, sizeof(*e));
		e->family = family;
		e->prefix = (int)nl_addr_get_prefixlen(dst);
		/* as long as the kernel sent it: a default route's is empty */
		len = nl_addr_get_len(dst);
		memcpy(e->addr, nl_addr_get_binary_addr(dst), len < sizeof(e->addr) ? len : sizeof(e->addr));
		nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
		if (nh)
			if_indextoname((unsigned)rtnl_route_nh_get_ifindex(nh), dev);
		snprintf(e->dev, sizeof(e->dev), "%s", dev);
	}
	return 0;
}

int nets_route_prefixes(struct nets *n, struct nets_prefix **out, size_t *out_count,
			struct lab_error **err)
{
	struct nets_prefix *v = NULL;
	size_t count = 0;

	if (route_prefixes(n, AF_INET, &v, &count, err) < 0 ||
	    route_prefixes(n, AF_INET6, &v, &count, err) < 0) {
		free(v);
		return -1;
	}
	*out = v;
	*out_count = count;
	return 0;
}

int nets_route_overlap(struct nets *n, int family, const void *addr, int prefix, char *desc,
		       size_t desclen, struct lab_error **err)
{
	struct nets_prefix *v = NULL;
	const struct nets_prefix *hit;
	size_t count = 0;
	char a[INET6_ADDRSTRLEN];

	if (nets_route_prefixes(n, &v, &count, err) < 0)
		return -1;
	hit = nets_prefix_clash(v, count, family, addr, prefix);
	if (hit) {
		inet_ntop(family, hit->addr, a, sizeof(a));
		snprintf(desc, desclen, "%s/%d dev %s", a, hit->prefix, hit->dev);
	}
	free(v);
	return hit != NULL;
}

int nets_route4_overlap(struct nets *n, uint32_t addr, int prefix, char *desc, size_t desclen,
			struct lab_error **err)
{
	uint32_t be = htonl(addr);

	return nets_route_overlap(n, AF_INET, &be, prefix, desc, desclen, err);
}
