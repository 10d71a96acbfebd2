/* Links: bridge, veth, up/down, delete, list. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "nl.h"

static int check_name(const char *name, struct lab_error **err)
{
	/* libnl would cut a long name silently; the caller checked, this is the last line */
	if (!name || !*name || strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return lab_err(err, EINVAL, "interface name '%s' is empty or too long",
			       name ? name : "");
	return 0;
}

static void apply_spec(struct rtnl_link *l, const struct nets_link_spec *spec)
{
	/* no alias here: the kernel applies IFLA_IFALIAS only to existing links (set_alias) */
	rtnl_link_set_name(l, spec->name);
	if (spec->group)
		rtnl_link_set_group(l, spec->group);
	if (spec->master)
		rtnl_link_set_master(l, spec->master);
	if (spec->up)
		rtnl_link_set_flags(l, IFF_UP);
	if (spec->mtu)
		rtnl_link_set_mtu(l, spec->mtu);
}

/* net.ipv6.conf.NAME.disable_ipv6 = 1, in the caller's netns. Address generation off leaves a
 * link up with carrier a multicast route (ff00::/8): one per port in the machine's table, all on
 * one node of the FIB, which each new one and each change of a port without carrier walk (a
 * quadratic cost). A kernel without IPv6 has no such file, and nothing to turn off. */
static int disable_ipv6(const char *name, struct lab_error **err)
{
	char path[96];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", path);
	if (write(fd, "1", 1) != 1)
		r = lab_err(err, errno, "write 1 to %s", path);
	close(fd);
	return r;
}

/* RTM_NEWLINK on an existing link (by index, or by name if ifindex is 0): the alias, and no IPv6
 * address generation. Both only take effect on existing links, and the latter must come before
 * the link has carrier: otherwise every link of a lab sends DAD and MLD multicast, which the
 * bridge floods to every port (quadratic in the size of the lab). On a link of the caller's own
 * netns (the machine's end), IPv6 is turned off altogether, first, while the link has no
 * carrier. libnl's change request wants a full "orig" object, so this one is built by hand. */
static int set_link_attrs(struct nets *n, int ifindex, const char *name, const char *alias,
			  bool no_ipv6, bool bridge_no_snooping, struct lab_error **err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nlattr *af, *in6, *info, *data;
	struct nl_msg *msg;
	char what[96];
	int r;

	if (!alias && !no_ipv6 && !bridge_no_snooping)
		return 0;
	if (no_ipv6 && n->here && *name && disable_ipv6(name, err) < 0)
		return -1;
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	if (!msg)
		return lab_err(err, ENOMEM, "configure %s", name);
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (!ifindex && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    (alias && nla_put_string(msg, IFLA_IFALIAS, alias) < 0))
		goto nomem;
	if (no_ipv6) {
		if (!(af = nla_nest_start(msg, IFLA_AF_SPEC)) || !(in6 = nla_nest_start(msg, AF_INET6)) ||
		    nla_put_u8(msg, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
			goto nomem;
		nla_nest_end(msg, in6);
		nla_nest_end(msg, af);
	}
	if (bridge_no_snooping) {
		if (!(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
		    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
		    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
		    nla_put_u8(msg, IFLA_BR_MCAST_SNOOPING, 0) < 0)
			goto nomem;
		nla_nest_end(msg, data);
		nla_nest_end(msg, info);
	}
	r = nl_send_sync(n->sk, msg);	/* frees msg */
	if (r < 0) {
		snprintf(what, sizeof(what), "configure interface %s", name);
		return nets_nlerr(err, r, what);
	}
	return 0;
nomem:
	nlmsg_free(msg);
	return lab_err(err, ENOMEM, "configure %s", name);
}

int nets_link_no_ipv6(struct nets *n, int ifindex, struct lab_error **err)
{
	return set_link_attrs(n, ifindex, "", NULL, true, false, err);
}

/* The bridge is created down and brought up only after its alias and address generation mode
 * are set: a bridge created up gets a link-local address at once (and then sends DAD, MLD and
 * router solicitations into the lab), which would make the machine reachable from the hosts.
 * No multicast snooping: with no querier in a lab it forwards nothing better than flooding,
 * and the bridge would send its own IGMP and MLD reports (for the all-snoopers groups) to every
 * host. */
int nets_bridge_add(struct nets *n, const struct nets_link_spec *spec, int *out_ifindex,
		    struct lab_error **err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	struct nets_link_spec down = *spec;
	char what[64];
	int ifindex, r;

	if (check_name(spec->name, err) < 0)
		return -1;
	l = rtnl_link_bridge_alloc();
	if (!l)
		return lab_err(err, ENOMEM, "bridge %s", spec->name);
	down.up = false;
	apply_spec(l, &down);
	r = rtnl_link_add(n->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	snprintf(what, sizeof(what), "create bridge %s", spec->name);
	if (r < 0)
		return nets_nlerr(err, r, what);
	if (set_link_attrs(n, 0, spec->name, spec->alias, spec->no_ipv6, true, err) < 0 ||
	    nets_ifindex(n, spec->name, &ifindex, err) < 0 ||
	    (spec->up && nets_link_set_up(n, ifindex, true, err) < 0))
		return -1;
	if (out_ifindex)
		*out_ifindex = ifindex;
	return 0;
}

struct echo {
	int ifindex;	/* the new link */
	int link;	/* IFLA_LINK: a veth's peer, in the peer's netns */
};

static int on_echo(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct echo *e = arg;
	struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
		return NL_OK;
	e->ifindex = ((struct ifinfomsg *)nlmsg_data(h))->ifi_index;
	a = nlmsg_find_attr(h, sizeof(struct ifinfomsg), IFLA_LINK);
	if (a && nla_len(a) >= 4)
		e->link = (int)nla_get_u32(a);
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	*(bool *)arg = true;
	return NL_STOP;
}

/* RTM_NEWLINK with NLM_F_ECHO: the kernel (6.3 and later) answers with the new link, so its
 * ifindex and a veth peer's come without a lookup each. An older kernel only acks: *e stays 0. */
static int link_add_echo(struct nets *n, struct rtnl_link *l, struct echo *e)
{
	struct nl_msg *msg = NULL;
	struct nl_cb *sk_cb, *cb;
	bool acked = false;
	int r;

	r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, &msg);
	if (r < 0)
		return r;
	r = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	sk_cb = nl_socket_get_cb(n->sk);
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_echo, e);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &acked);
	do	/* one datagram each: the echo, then the ack (or the error) */
		r = nl_recvmsgs(n->sk, cb);
	while (r >= 0 && !acked);
	nl_cb_put(cb);
	return r < 0 ? r : 0;
}

int nets_veth_add(struct nets *n, const struct nets_link_spec *spec, const char *peer_name,
		  pid_t peer_pid, const uint8_t *peer_mac, int *out_ifindex, int *out_peer_ifindex,
		  struct lab_error **err)
{
	struct echo e = { 0 };
	_cleanup_link_ struct rtnl_link *l = NULL;
	_cleanup_link_ struct rtnl_link *peer = NULL;
	char what[96];
	int r;

	if (check_name(spec->name, err) < 0 || check_name(peer_name, err) < 0)
		return -1;
	l = rtnl_link_veth_alloc();
	if (!l)
		return lab_err(err, ENOMEM, "veth %s", spec->name);
	apply_spec(l, spec);
	peer = rtnl_link_veth_get_peer(l);	/* a new reference: put by the cleanup */
	rtnl_link_set_name(peer, peer_name);
	if (spec->mtu)	/* both ends of a link alike */
		rtnl_link_set_mtu(peer, spec->mtu);
	/* the peer cannot be set up here: the kernel refuses (ENOTCONN) an up peer in another netns */
	if (peer_pid)
		rtnl_link_set_ns_pid(peer, peer_pid);
	/* one queue each, from the start: a veth gets one per CPU, and cutting that down to one
	 * after registration waits for an RCU grace period (synchronize_net), twice per pair */
	rtnl_link_set_num_tx_queues(l, 1);
	rtnl_link_set_num_rx_queues(l, 1);
	rtnl_link_set_num_tx_queues(peer, 1);
	rtnl_link_set_num_rx_queues(peer, 1);
	if (peer_mac) {
		_cleanup_nladdr_ struct nl_addr *mac = nl_addr_build(AF_LLC, peer_mac, 6);

		if (!mac)
			return lab_err(err, ENOMEM, "veth %s", spec->name);
		rtnl_link_set_addr(peer, mac);
	}
	r = link_add_echo(n, l, &e);
	if (r < 0) {
		snprintf(what, sizeof(what), "create veth %s (peer %s in the netns of pid %d)",
			 spec->name, peer_name, (int)peer_pid);
		return nets_nlerr(err, r, what);
	}
	if (set_link_attrs(n, e.ifindex, spec->name, spec->alias, spec->no_ipv6, false, err) < 0)
		return -1;
	if (out_peer_ifindex)
		*out_peer_ifindex = e.link;
	if (out_ifindex && e.ifindex) {
		*out_ifindex = e.ifindex;
		return 0;
	}
	return out_ifindex ? nets_ifindex(n, spec->name, out_ifindex, err) : 0;
}

int nets_ifindex(struct nets *n, const char *name, int *out_ifindex, struct lab_error **err)
{
	_cleanup_link_ struct rtnl_link *l = NULL;
	char what[64];
	int r;

	if (check_name(name, err) < 0)
		return -1;
	r = rtnl_link_get_kernel(n->sk, 0, name, &l);
	if (r < 0) {
		snprintf(what, sizeof(what), "look up interface %s", name);
		return nets_nlerr(err, r, what);
	}
	*out_ifindex = rtnl_link_get_ifindex(l);
	return 0;
}

static int link_change(struct nets *n, int ifindex, int master, uint32_t group, bool up,
		       struct lab_error **err)
{
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	char what[64];
	int r;

	if (!l)
		return lab_err(err, ENOMEM, "link %d", ifindex);
	rtnl_link_set_ifindex(l, ifindex);
	if (master)
		rtnl_link_set_master(l, master);
	if (group)
		rtnl_link_set_group(l, group);
	if (up)
		rtnl_link_set_flags(l, IFF_UP);
	else
		rtnl_link_unset_flags(l, IFF_UP);
	r = rtnl_link_change(n->sk, l, l, 0);
	if (r < 0) {
		if (master)
			snprintf(what, sizeof(what), "enslave interface %d to %d", ifindex, master);
		else
			snprintf(what, sizeof(what), "set interface %d %s", ifindex, up ? "up" : "down");
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_link_set_up(struct nets *n, int ifindex, bool up, struct lab_error **err)
{
	return link_change(n, ifindex, 0, 0, up, err);
}

int nets_link_configure(struct nets *n, const struct nets_link_spec *spec, struct lab_error **err)
{
	int ifindex;

	if (check_name(spec->name, err) < 0 ||
	    set_link_attrs(n, 0, spec->name, spec->alias, spec->no_ipv6, false, err) < 0 ||
	    nets_ifindex(n, spec->name, &ifindex, err) < 0)
		return -1;
	return spec->master || spec->group || spec->up
		       ? link_change(n, ifindex, spec->master, spec->group, spec->up, err) : 0;
}

int nets_link_del(struct nets *n, int ifindex, struct lab_error **err)
{
	_cleanup_link_ struct rtnl_link *l = rtnl_link_alloc();
	char what[64];
	int r;

	if (!l)
		return lab_err(err, ENOMEM, "link %d", ifindex);
	rtnl_link_set_ifindex(l, ifindex);
	r = rtnl_link_delete(n->sk, l);
	/* gone already (say, with its veth peer, or its host's netns): done */
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV) {
		snprintf(what, sizeof(what), "delete interface %d", ifindex);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_group_del(struct nets *n, uint32_t group, struct lab_error **err)
{
	/* libnl's delete request wants an index or a name; RTM_DELLINK by IFLA_GROUP is built by hand */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELLINK, 0);
	char what[64];
	int r;

	if (!msg)
		return lab_err(err, ENOMEM, "delete group %u", group);
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, group) < 0) {
		nlmsg_free(msg);
		return lab_err(err, ENOMEM, "delete group %u", group);
	}
	r = nl_send_sync(n->sk, msg);	/* frees msg */
	if (r < 0) {
		snprintf(what, sizeof(what), "delete interfaces of group %u", group);
		return nets_nlerr(err, r, what);
	}
	return 0;
}

int nets_link_list(struct nets *n, struct nets_link **out, size_t *out_count, struct lab_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct nets_link *v;
	size_t count = 0;
	int r;

	r = rtnl_link_alloc_cache(n->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return nets_nlerr(err, r, "list interfaces");
	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v)
		return lab_err(err, ENOMEM, "list interfaces");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		struct nets_link *e = &v[count++];
		struct nl_addr *mac = rtnl_link_get_addr(l);
		const char *s;

		e->ifindex = rtnl_link_get_ifindex(l);
		e->master = rtnl_link_get_master(l);
		e->group = rtnl_link_get_group(l);
		e->flags = rtnl_link_get_flags(l);
		e->mtu = rtnl_link_get_mtu(l);
		snprintf(e->name, sizeof(e->name), "%s", rtnl_link_get_name(l) ?: "");
		s = rtnl_link_get_type(l);
		snprintf(e->kind, sizeof(e->kind), "%s", s ? s : "");
		s = rtnl_link_get_ifalias(l);
		snprintf(e->alias, sizeof(e->alias), "%s", s ? s : "");
		if (mac && nl_addr_get_len(mac) == 6) {
			const unsigned char *b = nl_addr_get_binary_addr(mac);
			snprintf(e->mac, sizeof(e->mac), "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1],
				 b[2], b[3], b[4], b[5]);
		}
	}
	*out = v;
	*out_count = count;
	return 0;
}

/* The kernel's own values for a device's neighbour parameters (net/ipv4/arp.c arp_tbl, and
 * net/ipv6/ndisc.c nd_tbl: the same but locktime 0), in one RTM_SETNEIGHTBL per family (built
 * here: libnl's rtnl_neightbl_change sends no NDTPA_IFINDEX, and the kernel then finds no
 * parameters to change). Times in ms. */
static struct nl_msg *neightbl_msg(int family, int ifindex)
{
	static const struct { int type; uint64_t v4, v6; } times[] = {
		{ NDTPA_BASE_REACHABLE_TIME, 30000, 30000 }, { NDTPA_RETRANS_TIME, 1000, 1000 },
		{ NDTPA_DELAY_PROBE_TIME, 5000, 5000 }, { NDTPA_GC_STALETIME, 60000, 60000 },
		{ NDTPA_ANYCAST_DELAY, 1000, 1000 }, { NDTPA_PROXY_DELAY, 800, 800 },
		{ NDTPA_LOCKTIME, 1000, 0 },
	};
	static const struct { int type; uint32_t v; } counts[] = {
		{ NDTPA_UCAST_PROBES, 3 }, { NDTPA_MCAST_PROBES, 3 }, { NDTPA_APP_PROBES, 0 },
		{ NDTPA_PROXY_QLEN, 64 },
	};
	struct ndtmsg t = { .ndtm_family = (uint8_t)family };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_SETNEIGHTBL, 0);
	struct nlattr *parms;

	if (!m || nlmsg_append(m, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(m, NDTA_NAME, family == AF_INET6 ? "ndisc_cache" : "arp_cache") < 0 ||
	    !(parms = nla_nest_start(m, NDTA_PARMS)) || nla_put_u32(m, NDTPA_IFINDEX, (uint32_t)ifindex) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (nla_put_u64(m, times[i].type, family == AF_INET6 ? times[i].v6 : times[i].v4) < 0)
			goto fail;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (nla_put_u32(m, counts[i].type, counts[i].v) < 0)
			goto fail;
	nla_nest_end(m, parms);
	return m;
fail:
	nlmsg_free(m);
	return NULL;
}

int nets_neigh_defaults(struct nets *n, int ifindex, bool v6, struct lab_error **err)
{
	for (int f = 0; f < (v6 ? 2 : 1); f++) {
		struct nl_msg *m = neightbl_msg(f ? AF_INET6 : AF_INET, ifindex);
		char what[96];
		int r;

		if (!m)
			return lab_err(err, ENOMEM, "neighbour table message");
		r = nl_send_sync(n->sk, m);	/* frees m */
		if (r < 0) {
			snprintf(what, sizeof(what), "set the kernel's %s parameters on interface %d",
				 f ? "IPv6 neighbour" : "ARP", ifindex);
			return nets_nlerr(err, r, what);
		}
	}
	return 0;
}
