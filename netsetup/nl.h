/* Private to netsetup: the libnl types behind the opaque handle. */
#ifndef NETLAB_NETSETUP_NL_H
#define NETLAB_NETSETUP_NL_H

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "netsetup.h"

struct nets {
	struct nl_sock *sk;
	bool here;	/* in the caller's netns (nets_open): /proc/sys/net is the socket's */
};

/* Fill *err with "what: nl_geterror(nlerr)" and return < 0. */
int nets_nlerr(struct lab_error **err, int nlerr, const char *what);

static inline void nets_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
static inline void nets_addr_putp(struct rtnl_addr **a)
{
	if (*a)
		rtnl_addr_put(*a);
}
static inline void nets_cache_putp(struct nl_cache **c)
{
	if (*c)
		nl_cache_put(*c);
}
static inline void nets_nladdr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
static inline void nets_route_putp(struct rtnl_route **r)
{
	if (*r)
		rtnl_route_put(*r);
}
static inline void nets_msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}
#define _cleanup_link_ __attribute__((cleanup(nets_link_putp)))
#define _cleanup_addr_ __attribute__((cleanup(nets_addr_putp)))
#define _cleanup_cache_ __attribute__((cleanup(nets_cache_putp)))
#define _cleanup_nladdr_ __attribute__((cleanup(nets_nladdr_putp)))
#define _cleanup_route_ __attribute__((cleanup(nets_route_putp)))
#define _cleanup_msg_ __attribute__((cleanup(nets_msg_freep)))

#endif
