/* What a network namespace has now, for `status`: its routes, its forwarding, its shaping. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_sched.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"

#include <netlink/route/netconf.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>

int nets_route_list(struct nets *n, struct nets_route **out, size_t *out_count,
		    struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct nets_route *v;
	size_t count = 0;
	int r;

	*out = NULL;
	*out_count = 0;
	r = rtnl_route_alloc_cache(n->sk, AF_UNSPEC, 0, &cache);
	if (r < 0)
		return nets_nlerr(err, r, "list routes");
	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v)
		return lab_err(err, ENOMEM, "list routes");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(rt);
		struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
		struct nl_addr *gw = nh ? rtnl_route_nh_get_gateway(nh) : NULL;
		int family = (int)rtnl_route_get_family(rt);
		struct nets_route *e;

		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST ||
		    (family != AF_INET && family != AF_INET6) || !gw ||
		    nl_addr_get_family(gw) != family)
			continue;	/* the routes a plan can have: unicast via a gateway */
		e = &v[count++];
		e->family = family;
		e->prefix = dst ? (int)nl_addr_get_prefixlen(dst) : 0;
		if (dst && nl_addr_get_len(dst) <= sizeof(e->dst))
			memcpy(e->dst, nl_addr_get_binary_addr(dst), nl_addr_get_len(dst));
		if (nl_addr_get_len(gw) <= sizeof(e->via))
			memcpy(e->via, nl_addr_get_binary_addr(gw), nl_addr_get_len(gw));
		e->ifindex = rtnl_route_nh_get_ifindex(nh);
	}
	*out = v;
	*out_count = count;
	return 0;
}

int nets_forwarding(struct nets *n, int family, struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct rtnl_netconf *nc;
	int r, val = -1;

	r = rtnl_netconf_alloc_cache(n->sk, &cache);
	if (r < 0)
		return nets_nlerr(err, r, "read forwarding (netconf)");
	nc = rtnl_netconf_get_all(cache, family);
	if (!nc)
		return lab_err(err, ENOENT, "no netconf for %s", family == AF_INET6 ? "IPv6" : "IPv4");
	r = rtnl_netconf_get_forwarding(nc, &val);
	rtnl_netconf_put(nc);
	if (r < 0 || val < 0)
		return lab_err(err, ENOENT, "netconf without forwarding for %s",
			       family == AF_INET6 ? "IPv6" : "IPv4");
	return val ? 1 : 0;
}

int nets_shape_info(struct nets *n, int ifindex, struct nets_shape *out, struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	int r = rtnl_qdisc_alloc_cache(n->sk, &cache);

	memset(out, 0, sizeof(*out));
	if (r < 0)
		return nets_nlerr(err, r, "list qdiscs");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_qdisc *q = (struct rtnl_qdisc *)o;
		const char *kind = rtnl_tc_get_kind(TC_CAST(q));

		if (rtnl_tc_get_ifindex(TC_CAST(q)) != ifindex || rtnl_tc_get_parent(TC_CAST(q)) != TC_H_ROOT ||
		    !kind)
			continue;
		if (!strcmp(kind, "tbf")) {
			int rate = rtnl_qdisc_tbf_get_rate(q);	/* bytes per second */

			out->kind = NETS_SHAPE_RATE;
			out->rate_bps = rate > 0 ? (uint64_t)rate * 8 : 0;
		} else if (!strcmp(kind, "netem")) {
			int loss = rtnl_netem_get_loss(q), delay = rtnl_netem_get_delay(q),
			    jitter = rtnl_netem_get_jitter(q);

			out->kind = NETS_SHAPE_NETEM;
			out->delay_us = delay > 0 ? (uint32_t)delay : 0;
			out->jitter_us = jitter > 0 ? (uint32_t)jitter : 0;
			out->loss_percent = loss > 0 ? (double)(uint32_t)loss / 4294967295.0 * 100.0 : 0;
		}
	}
	return 0;
}
