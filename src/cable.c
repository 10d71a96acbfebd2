/* Cabling, as `up` builds: the bridges, each host's veths, the lab's nftables table and MLD filter,
 * the host's network configured from outside, its sysctls, its /run/netns mount. */
#include "lab_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Does the machine's net.ipv{4,6}.neigh.default differ from the kernel's own (what
 * nets_neigh_defaults sets)? A host's interfaces copy it, and a host has no default of its own to
 * write before they exist: read once per `up`, so a machine with the kernel's values pays nothing. */
bool machine_neigh_differs(void)
{
	static const char *const want[][3] = {	/* name, IPv4, IPv6 */
		{ "base_reachable_time_ms", "30000", "30000" }, { "retrans_time_ms", "1000", "1000" },
		{ "delay_first_probe_time", "5", "5" }, { "gc_stale_time", "60", "60" },
		{ "anycast_delay", "100", "100" }, { "proxy_delay", "80", "80" },
		{ "locktime", "100", "0" }, { "ucast_solicit", "3", "3" }, { "mcast_solicit", "3", "3" },
		{ "app_solicit", "0", "0" }, { "proxy_qlen", "64", "64" },
	};
	char path[96], buf[32];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (int f = 0; f < 2; f++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv%c/neigh/default/%s", f ? '6' : '4',
				 want[i][0]);
			if (util_read_file(path, buf, sizeof(buf), NULL) <= 0)
				continue;	/* no IPv6: nothing to copy */
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, want[i][1 + f]))
				return true;
		}
	return false;
}

/* Configure a networked host's netns from here, through a socket opened inside it: lo up; per
 * interface its addresses (IPv6 ones without DAD: planned, and DAD is multicast the bridge floods to
 * every port), up; routes; forwarding for routers; shaping. Doing it from this one thread, rather
 * than from each host, keeps a single user on the kernel's RTNL lock; hosts configuring themselves
 * concurrently made `up` super-linear. */
int host_net(const struct lab *lab, const struct lab_host *h, int pidfd,
	     const int ifindex_known[LAB_IFACES_MAX], bool neigh_fix, struct lab_error **err)
{
	_cleanup_nets_ struct nets *n = NULL;
	int r, ifindex[LAB_IFACES_MAX];

	r = nets_open_at(pidfd, &n, err);
	if (r < 0)
		return r;
	r = nets_link_set_up(n, 1, true, err);	/* lo is ifindex 1 in every netns */
	for (size_t k = 0; k < h->nifaces && r >= 0; k++) {
		const struct lab_iface *x = &h->ifaces[k];
		const struct lab_segment *g = &lab->segs[x->seg];
		uint32_t be = htonl(x->addr);

		ifindex[k] = ifindex_known[k];
		r = ifindex[k] ? 0 : nets_ifindex(n, x->name, &ifindex[k], err);
		if (g->noaddr) {	/* up, nothing more: the lab's startup files address it */
			if (r >= 0 && neigh_fix)
				r = nets_neigh_defaults(n, ifindex[k], true, err);
			if (r >= 0)
				r = nets_link_set_up(n, ifindex[k], true, err);
			if (r < 0)
				lab_err_wrap(err, "%s", x->name);
			continue;
		}
		if (r >= 0 && ipv6_is_zero(x->addr6))	/* IPv4 only: not even a link-local address */
			r = nets_link_no_ipv6(n, ifindex[k], err);
		if (r >= 0 && neigh_fix)
			r = nets_neigh_defaults(n, ifindex[k], !ipv6_is_zero(x->addr6), err);
		if (r >= 0)
			r = nets_addr_add(n, ifindex[k], AF_INET, &be, g->subnet.prefix, false, err);
		if (r >= 0 && !ipv6_is_zero(x->addr6))
			r = nets_addr_add(n, ifindex[k], AF_INET6, x->addr6, 64, true, err);
		if (r >= 0)
			r = nets_link_set_up(n, ifindex[k], true, err);
		if (r >= 0 && shaped(&x->shape))
			r = shape_one(n, ifindex[k], &x->shape, err);
		if (r < 0)
			lab_err_wrap(err, "%s", x->name);
	}
	for (size_t k = 0; k < h->nroutes && r >= 0; k++) {
		const struct lab_route *rt = &h->routes[k];
		uint32_t dst = htonl(rt->dst.addr), via = htonl(rt->via);

		r = rt->v6 ? nets_route_add(n, AF_INET6, rt->dst6.addr, rt->dst6.prefix, rt->via6, err)
			   : nets_route_add(n, AF_INET, &dst, rt->dst.prefix, &via, err);
	}
	return r;
}

int mount_netns(const struct lab *lab, const struct lab_host *h, struct lab_error **err)
{
	char path[128], src[64];

	netns_path(path, sizeof(path), lab->name, h->name);	/* the host created the file */
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)h->pid);
	if (mount(src, path, "none", MS_BIND, NULL) < 0) {
		int e = errno;
		unlink(path);
		return lab_err(err, e, "bind %s to %s", src, path);
	}
	return 0;
}

/* What a host writes under its own /proc/sys before it reports ready (ns_spec.sysctl): the
 * defaults its interfaces, cabled after that, start with. IPv6: the kernel makes the link-local
 * address (EUI-64, from the MAC we set) each time a link comes up; no duplicate detection and no
 * router solicitation, both multicast the bridge floods to every port; the unique local address
 * kept across `ip link set ethK down; up`, as IPv4 addresses are. A router forwards, in its own
 * netns only. In the host, not here: /proc/sys/net as the machine's /proc shows it has one dentry
 * per netns for each name, and every lookup walks them all (quadratic in the size of the lab).
 *
 * Every other setting that changes what a lab does is written too, to the kernel's own default:
 * a new netns copies net.ipv4.conf.{all,default} from the machine (net.core.devconf_inherit_init_net
 * 0 or 1; IPv6 too with 1 or 3), so a machine with rp_filter=1 (asymmetric routes fail), arp_ignore,
 * ip_forward=1 or accept_redirects=0 would otherwise make the same lab behave differently. For
 * rp_filter, arp_ignore and arp_announce the kernel takes the larger of "all" and the interface's
 * value; for arp_filter, proxy_arp and the rest, either: both are written. ip_forward first: its
 * change resets all.accept_redirects (inet_forward_change), written after it. */
#define SYSCTL_V4(fwd, redirects)                                                              \
	"net/ipv4/ip_forward=" fwd, "net/ipv4/conf/default/forwarding=" fwd,                   \
	"net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/default/rp_filter=0",                  \
	"net/ipv4/conf/all/accept_redirects=" redirects,                                      \
	"net/ipv4/conf/default/accept_redirects=1", "net/ipv4/conf/all/secure_redirects=1",    \
	"net/ipv4/conf/default/secure_redirects=1", "net/ipv4/conf/all/send_redirects=1",      \
	"net/ipv4/conf/default/send_redirects=1", "net/ipv4/conf/all/accept_source_route=0",   \
	"net/ipv4/conf/default/accept_source_route=0", "net/ipv4/conf/all/accept_local=0",     \
	"net/ipv4/conf/default/accept_local=0", "net/ipv4/conf/all/arp_ignore=0",              \
	"net/ipv4/conf/default/arp_ignore=0", "net/ipv4/conf/all/arp_announce=0",              \
	"net/ipv4/conf/default/arp_announce=0", "net/ipv4/conf/all/arp_filter=0",              \
	"net/ipv4/conf/default/arp_filter=0", "net/ipv4/conf/all/arp_accept=0",                \
	"net/ipv4/conf/default/arp_accept=0", "net/ipv4/conf/all/arp_notify=0",                \
	"net/ipv4/conf/default/arp_notify=0", "net/ipv4/conf/all/proxy_arp=0",                 \
	"net/ipv4/conf/default/proxy_arp=0", "net/ipv4/conf/all/promote_secondaries=0",        \
	"net/ipv4/conf/default/promote_secondaries=0"

/* IPv6 also takes the larger of "all" and the interface's accept_dad */
#define SYSCTL_V6(fwd)                                                                         \
	"net/ipv6/conf/all/disable_ipv6=0", "net/ipv6/conf/default/disable_ipv6=0",            \
	"net/ipv6/conf/all/forwarding=" fwd, "net/ipv6/conf/default/forwarding=" fwd,          \
	"net/ipv6/conf/all/accept_dad=0", "net/ipv6/conf/default/accept_dad=0",                \
	"net/ipv6/conf/all/accept_ra=0", "net/ipv6/conf/default/accept_ra=0",                  \
	"net/ipv6/conf/all/accept_redirects=1", "net/ipv6/conf/default/accept_redirects=1",    \
	"net/ipv6/conf/all/proxy_ndp=0", "net/ipv6/conf/default/proxy_ndp=0",                  \
	"net/ipv6/conf/default/keep_addr_on_down=1"

const char *const *host_sysctls(const struct lab_host *h)
{
	static const char *const host4[] = { SYSCTL_V4("0", "1"), NULL };
	static const char *const host6[] = { SYSCTL_V4("0", "1"), SYSCTL_V6("0"), NULL };
	static const char *const router4[] = { SYSCTL_V4("1", "0"), NULL };
	static const char *const router6[] = { SYSCTL_V4("1", "0"), SYSCTL_V6("1"), NULL };
	bool has6 = false;

	for (size_t k = 0; k < h->nifaces; k++)
		has6 |= !ipv6_is_zero(h->ifaces[k].addr6);
	if (h->router)
		return has6 ? router6 : router4;
	return has6 ? host6 : host4;
}

/* Before any host is cabled: the lab's nftables table (netsetup/nft.c), whose input chain keeps
 * every frame from the lab's ports off the machine's own network stack (no ARP answer for the
 * machine's addresses, nothing delivered to its sockets or routed by it), and whose mld chain
 * keeps the MLD reports off the other ports. NETLAB_MLD_FILTER=tc (tests): the table without its
 * mld chain, and a tc filter on each port for MLD instead (mld_block). No nftables bridge family:
 * `up` fails, since nothing else stops a host from reaching the machine (a tc filter on a port
 * sees frames before the bridge decides where they go). */
int wall_off(struct cable_ctx *c, struct lab_error **err)
{
	const char *want = getenv("NETLAB_MLD_FILTER");	/* "tc": the tc filter for MLD (tests) */
	const char *lab = c->lab->name;
	bool mld = !(want && !strcmp(want, "tc"));

	explainf(c->explain, c->explain_arg,
		 "nft add table bridge netlab-%s && nft add chain bridge netlab-%s input '{ type filter "
		 "hook input priority filter; }' && nft add rule bridge netlab-%s input meta iifgroup %u "
		 "drop   # nothing from the lab reaches the machine's own stack", lab, lab, lab, c->group);
	if (mld)
		explainf(c->explain, c->explain_arg,
			 "nft add chain bridge netlab-%s mld '{ type filter hook prerouting priority "
			 "filter; }' && nft add rule bridge netlab-%s mld meta iifgroup %u ether daddr "
			 "33:33:00:00:00:16 drop   # the MLDv2 reports to ff02::16", lab, lab, c->group);
	if (c->step(c->step_arg, "walling the lab off from the machine", err) < 0)
		return -1;
	if (nets_lab_table_add(lab, c->group, mld, err) < 0)
		return lab_err_wrap(err, "cannot keep the lab's hosts off this machine's own network "
				    "stack (nftables with its bridge family, CONFIG_NF_TABLES_BRIDGE, is "
				    "needed; see netlab doctor)");
	c->made_table = true;
	if (mld)
		c->mld = MLD_TABLE;
	return 0;
}

/* MLDv2 reports from this port go no further than the bridge (netsetup/mld.c). The lab's
 * nftables table (wall_off) does it for every port; with NETLAB_MLD_FILTER=tc, the lab's tc block,
 * numbered as its netdevice group, gets its filter with the first port, and each port a clsact
 * qdisc bound to it. Without the eBPF classifier, the reports flood, as on any Linux bridge. */
static int mld_block(struct cable_ctx *c, const struct lab_iface *x, int ifindex,
		     struct lab_error **err)
{
	uint32_t block = c->group;
	_cleanup_close_ int fd = -1;
	int r;

	if (c->mld == MLD_OFF || c->mld == MLD_TABLE)
		return 0;
	if (c->mld == MLD_UNTRIED && (fd = nets_mld_program(NULL)) < 0) {
		c->mld = MLD_OFF;
		return 0;
	}
	explainf(c->explain, c->explain_arg, "tc qdisc add dev %s ingress_block %u clsact", x->veth,
		 block);
	r = nets_mld_block_port(c->root, ifindex, block, c->mld == MLD_UNTRIED ? NULL : err);
	if (r < 0 && c->mld == MLD_UNTRIED) {
		c->mld = MLD_OFF;
		return 0;
	}
	if (r < 0 || c->mld == MLD_ON)
		return r;
	explainf(c->explain, c->explain_arg,
		 "tc filter add block %u protocol ipv6 pref 1 bpf da obj PROGRAM   # PROGRAM: drop "
		 "frames to 33:33:00:00:00:16, the MLDv2 reports to ff02::16", block);
	r = nets_mld_block_filter(c->root, block, fd, err);
	if (r < 0)
		return r;
	c->mld = MLD_ON;
	return 0;
}

/* Every interface of a host: a veth whose peer is created inside the host, named and with its
 * MAC (02:4c:LAB:LAB:n:n, locally administered, readable in ARP tables), then configured. */
int cable_host(struct cable_ctx *c, const struct lab_host *h, int pidfd, struct lab_error **err)
{
	const struct lab *lab = c->lab;
	char alias[LINK_ALIAS_LEN];
	int r, inside[LAB_IFACES_MAX] = { 0 };	/* each interface's ifindex inside the host */

	link_alias(alias, sizeof(alias), lab->name, h->name);
	for (size_t k = 0; k < h->nifaces; k++) {
		const struct lab_iface *x = &h->ifaces[k];
		size_t k_br = c->ports[x->seg]++ / LAB_BRIDGE_PORTS;
		struct nets_link_spec veth = { .name = x->veth, .alias = alias, .group = c->group,
					       .master = c->bridges[x->seg * LAB_SEG_BRIDGES_MAX + k_br],
					       .up = true, .no_ipv6 = true, .mtu = lab->segs[x->seg].mtu };
		unsigned m = ++c->macs;
		uint8_t mac[6];

		if (x->has_mac)
			memcpy(mac, x->mac, sizeof(mac));
		else
			iface_mac(lab, m, mac);
		bool v6 = !ipv6_is_zero(x->addr6);
		int ifindex;

		explain_iface(c, h, x, k_br, mac);
		if ((r = c->step(c->step_arg, "creating a veth pair", err)) < 0 ||
		    (r = nets_veth_add(c->root, &veth, x->name, h->pid, mac, v6 ? &ifindex : NULL,
				       &inside[k], err)) < 0)
			return lab_err_wrap(err, "host %s", h->name);
		/* before the host's end comes up and reports its groups */
		if (v6 && ((r = c->step(c->step_arg, "keeping MLD reports off the other ports", err)) < 0 ||
			   (r = mld_block(c, x, ifindex, err)) < 0))
			return lab_err_wrap(err, "host %s", h->name);
	}
	explain_routes(c, h);
	if ((r = host_net(lab, h, pidfd, inside, c->neigh_fix, err)) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	for (size_t k = 0; k < h->nifaces; k++) {	/* the machine's end of a shaped link */
		int ifindex;

		if (shaped(&h->ifaces[k].shape) &&
		    ((r = nets_ifindex(c->root, h->ifaces[k].veth, &ifindex, err)) < 0 ||
		     (r = shape_one(c->root, ifindex, &h->ifaces[k].shape, err)) < 0))
			return lab_err_wrap(err, "host %s: %s", h->name, h->ifaces[k].veth);
	}
	return 0;
}

/* Bridge k of segment g; for k > 0, joined to bridge 0 by a veth pair ("dn" a port of bridge 0,
 * "up" of bridge k). No IPv6 on any of them, so the machine has no address in the lab. */
int add_bridge(struct cable_ctx *c, size_t g, size_t k, struct lab_error **err)
{
	const struct lab *lab = c->lab;
	int *ifindex = &c->bridges[g * LAB_SEG_BRIDGES_MAX];
	char alias[LINK_ALIAS_LEN], br[IFNAMSIZ], up[IFNAMSIZ], dn[IFNAMSIZ], mtu[16] = "";
	struct nets_link_spec spec = { .name = br, .alias = alias, .group = c->group, .up = true,
				       .no_ipv6 = true, .mtu = lab->segs[g].mtu };

	link_alias(alias, sizeof(alias), lab->name, NULL);
	if (lab_bridge_name(&lab->segs[g], k, "", br, err) < 0 ||
	    lab_bridge_name(&lab->segs[g], k, "up", up, err) < 0 ||
	    lab_bridge_name(&lab->segs[g], k, "dn", dn, err) < 0)
		return -1;
	if (spec.mtu)
		snprintf(mtu, sizeof(mtu), " mtu %u", spec.mtu);
	explainf(c->explain, c->explain_arg,
		 "ip link add %s%s group %u type bridge mcast_snooping 0 && sysctl -qw "
		 "net.ipv6.conf.%s.disable_ipv6=1 && ip link set %s alias %s addrgenmode none && "
		 "ip link set %s up", br, mtu, c->group, br, br, alias, br);
	if (c->step(c->step_arg, "creating a bridge", err) < 0 ||
	    nets_bridge_add(c->root, &spec, &ifindex[k], err) < 0)
		return -1;
	if (k == 0)
		return 0;
	explainf(c->explain, c->explain_arg,
		 "ip link add %s%s group %u master %s up type veth peer name %s%s group %u && "
		 "sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 net.ipv6.conf.%s.disable_ipv6=1 && "
		 "ip link set %s alias %s addrgenmode none && "
		 "ip link set %s alias %s addrgenmode none master %s up", dn, mtu, c->group,
		 lab->segs[g].bridge, up, mtu, c->group, dn, up, dn, alias, up, alias, br);
	spec.name = dn;
	spec.master = ifindex[0];
	if (c->step(c->step_arg, "joining two bridges", err) < 0 ||
	    nets_veth_add(c->root, &spec, up, 0, NULL, NULL, NULL, err) < 0)
		return -1;
	spec.name = up;
	spec.master = ifindex[k];
	return nets_link_configure(c->root, &spec, err);
}
