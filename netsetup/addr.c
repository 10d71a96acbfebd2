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

int nets_addr4_add(struct nets *n, int ifindex, uint32_t addr, int prefix, struct lab_error **err)
{
	_cleanup_addr_ struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_nladdr_ struct nl_addr *local = NULL;
	uint32_t be = htonl(addr);
	char what[80], text[INET_ADDRSTRLEN];
	int r;

	if (!a)
		return lab_err(err, ENOMEM, "address");
	local = nl_addr_build(AF_INET, &be, sizeof(be));
	if (!local)
		return lab_err(err, ENOMEM, "address");
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	r = rtnl_addr_set_local(a, local);
	if (r >= 0) {
		rtnl_addr_set_prefixlen(a, prefix);
		r = rtnl_addr_add(n->sk, a, NLM_F_EXCL);
	}
	if (r < 0) {
		inet_ntop(AF_INET, &be, text, sizeof(text));
		snprintf(what, sizeof(what), "add address %s/%d to interface %d", text, prefix, ifindex);
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

int nets_route4_overlap(struct nets *n, uint32_t addr, int prefix, char *desc, size_t desclen,
			struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	uint32_t mask = prefix ? ~((1u << (32 - prefix)) - 1) : 0;
	int r;

	r = rtnl_route_alloc_cache(n->sk, AF_INET, 0, &cache);
	if (r < 0)
		return nets_nlerr(err, r, "list IPv4 routes");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		uint32_t d, m;
		int p;

		if (!dst || nl_addr_get_family(dst) != AF_INET)
			continue;
		p = (int)nl_addr_get_prefixlen(dst);
		if (p == 0)	/* a default route covers everything; it is not a conflict */
			continue;
		memcpy(&d, nl_addr_get_binary_addr(dst), sizeof(d));
		d = ntohl(d);
		m = (p < prefix ? (p ? ~((1u << (32 - p)) - 1) : 0) : mask);
		if ((d & m) == (addr & m)) {
			char a[INET_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";
			uint32_t be = htonl(d);
			struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;

			if (nh)
				if_indextoname((unsigned)rtnl_route_nh_get_ifindex(nh), dev);
			inet_ntop(AF_INET, &be, a, sizeof(a));
			snprintf(desc, desclen, "%s/%d dev %s", a, p, dev);
			return 1;
		}
	}
	return 0;
}
