/* netsetup: the libnl-route layer. Bridges, veths, addresses, routes; nothing about hosts or labs.
 * Every function returns >= 0 on success and < 0 with *err filled (message from nl_geterror). */
#ifndef NETLAB_NETSETUP_H
#define NETLAB_NETSETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../src/error.h"

/* A NETLINK_ROUTE socket bound to the network namespace it was opened in. */
struct nets;

/* Open in the caller's network namespace. */
int nets_open(struct nets **out, struct lab_error **err);
/* Open in the network namespace of nsfd (a netns fd or a pidfd); the caller's netns is restored. */
int nets_open_at(int nsfd, struct nets **out, struct lab_error **err);
void nets_close(struct nets *n);	/* NULL: nothing */
static inline void nets_closep(struct nets **n)
{
	nets_close(*n);
}
/* `_cleanup_nets_ struct nets *n = NULL;`: closed at the end of its scope (src/cleanup.h) */
#define _cleanup_nets_ __attribute__((cleanup(nets_closep)))

struct nets_link_spec {
	const char *name;
	const char *alias;	/* IFLA_IFALIAS: netlab's ownership marker */
	uint32_t group;		/* IFLA_GROUP, 0 = default */
	int master;		/* ifindex of the bridge to enslave to, 0 = none */
	bool up;
	bool no_ipv6;		/* no IPv6 address generation (no link-local, DAD or MLD) */
	unsigned mtu;		/* bytes, IFLA_MTU (a veth: both ends); 0 = the kernel's default */
};

/* Create a Linux bridge (STP off, so ports forward at once; no multicast snooping): created down,
 * configured, then brought up if spec->up. NLM_F_EXCL: an existing name fails. */
int nets_bridge_add(struct nets *n, const struct nets_link_spec *spec, int *out_ifindex,
		    struct lab_error **err);

/* Create a veth pair in one request: this end as spec says, the peer created directly inside the
 * network namespace of peer_pid and named peer_name, with hardware address peer_mac (6 bytes;
 * NULL: the kernel picks one), down: bring it up from inside. The alias
 * takes a second request: the kernel ignores it on creation. peer_pid 0: the peer stays here,
 * down (nets_link_configure it). *out_peer_ifindex: the peer's ifindex in its netns, 0 when the
 * kernel (before 6.3) did not say: look it up there. */
int nets_veth_add(struct nets *n, const struct nets_link_spec *spec, const char *peer_name,
		  pid_t peer_pid, const uint8_t *peer_mac, int *out_ifindex, int *out_peer_ifindex,
		  struct lab_error **err);

/* An existing link, by name, as spec says: alias, no IPv6, master, group, up. */
int nets_link_configure(struct nets *n, const struct nets_link_spec *spec, struct lab_error **err);

int nets_ifindex(struct nets *n, const char *name, int *out_ifindex, struct lab_error **err);
int nets_link_set_up(struct nets *n, int ifindex, bool up, struct lab_error **err);
int nets_link_del(struct nets *n, int ifindex, struct lab_error **err);
/* No IPv6 address generation on this link; call before it gets carrier. */
int nets_link_no_ipv6(struct nets *n, int ifindex, struct lab_error **err);
/* The kernel's default neighbour parameters (reachable time, retransmit time, probes, delays,
 * locktime...) on one interface, for ARP and, with v6, IPv6 neighbour discovery: a new netns
 * copies its interfaces' from the machine's net.ipv4.neigh.default (and ipv6), and has no
 * "default" of its own to write. */
int nets_neigh_defaults(struct nets *n, int ifindex, bool v6, struct lab_error **err);
/* Delete every link in a netdevice group with one request: the kernel batches the work. */
int nets_group_del(struct nets *n, uint32_t group, struct lab_error **err);

/* MLDv2 reports (to ff02::16) dropped at the ingress of bridge ports, as a snooping switch with no
 * multicast router would not forward them (mld.c says why). nets_mld_program loads the eBPF
 * program (an fd to close once the filter holds it). Each port gets a clsact qdisc bound to the
 * shared tc block `block`; the block's one filter is added once, after its first port. */
int nets_mld_program(struct lab_error **err);
/* A lab's nftables table (bridge family), "netlab-LAB", in the caller's netns, in one batch
 * (nft.c): chain input drops every frame a bridge would pass up to the machine's own stack from an
 * interface in netdevice group `group` (the lab's ports: no ARP answer, no delivery, no routing by
 * the machine); with mld, chain mld also drops the MLD reports those interfaces send (the same for
 * a whole lab as the tc filter on each port). Fails (-errno in the error) where nftables has no
 * bridge family. Delete: 1 when it was there, 0 when there is no such table (or no nf_tables). */
int nets_lab_table_add(const char *lab, uint32_t group, bool mld, struct lab_error **err);
/* nf: a socket from nets_nft_open, or NULL for one of its own. Closing a netfilter socket waits
 * for the kernel to destroy the tables deleted before (an RCU grace period): delete first, then
 * do other work, then nets_close(nf). */
int nets_nft_open(struct nets **out, struct lab_error **err);
int nets_mld_table_del(struct nets *nf, const char *lab, struct lab_error **err);
/* The labs that have such a table (names malloc'd, the array too; none without nf_tables). */
int nets_mld_table_labs(char ***out, size_t *out_count, struct lab_error **err);
int nets_mld_block_port(struct nets *n, int ifindex, uint32_t block, struct lab_error **err);
int nets_mld_block_filter(struct nets *n, uint32_t block, int prog_fd, struct lab_error **err);

/* Put a root qdisc of this kind ("tbf" or "netem") with small test parameters on a link: tells
 * whether the kernel has it (doctor). */
int nets_qdisc_probe(struct nets *n, int ifindex, const char *kind, struct lab_error **err);

/* Link shaping on the egress of a link (root qdisc, replacing any): tbf for a rate; netem for
 * delay, jitter (microseconds) and loss (percent). A qdisc the kernel lacks (netem often)
 * returns -ENOENT. clear removes the root qdisc; nets_shape_info (below) reads it back. */
int nets_shape_rate(struct nets *n, int ifindex, uint64_t bits_per_s, struct lab_error **err);
int nets_shape_netem(struct nets *n, int ifindex, uint32_t delay_us, uint32_t jitter_us,
		     double loss_percent, struct lab_error **err);
int nets_shape_clear(struct nets *n, int ifindex, struct lab_error **err);

/* An address (network byte order: 4 bytes for AF_INET, 16 for AF_INET6). nodad: usable at once,
 * no duplicate address detection (a lab's addresses are planned, and DAD is multicast the bridge
 * floods to every port). */
int nets_addr_add(struct nets *n, int ifindex, int family, const void *addr, int prefix,
		  bool nodad, struct lab_error **err);
int nets_addr4_add(struct nets *n, int ifindex, uint32_t addr, int prefix, struct lab_error **err);

/* A static route in the main table: dst/prefix (prefix 0 = default) via a gateway. */
int nets_route_add(struct nets *n, int family, const void *dst, int prefix, const void *via,
		   struct lab_error **err);

/* Write sysctls of the network namespace of nsfd (a netns fd or a pidfd): names[i] under
 * /proc/sys/net/ gets values[i]. The caller's netns is restored. */
int nets_sysctl_at(int nsfd, const char *const names[], const char *const values[], size_t count,
		   struct lab_error **err);

struct nets_link {
	int ifindex;
	int master;
	uint32_t group;
	unsigned int flags;	/* IFF_* */
	unsigned mtu;		/* bytes */
	char name[16];
	char kind[16];
	char alias[128];
	char mac[18];		/* "" when the link has no hardware address */
};

struct nets_addr {
	int ifindex;
	int family;		/* AF_INET or AF_INET6 */
	int prefix;
	char text[48];		/* address without prefix */
};

/* One dump each. The arrays are malloc'd; free() them. */
int nets_link_list(struct nets *n, struct nets_link **out, size_t *out_count, struct lab_error **err);
int nets_addr_list(struct nets *n, struct nets_addr **out, size_t *out_count, struct lab_error **err);

/* A route of a network namespace: where it goes, and through which interface. */
struct nets_prefix {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* its destination, network byte order (the first 4 bytes for IPv4) */
	int prefix;		/* 0: a default route */
	char dev[16];		/* its first next hop's interface; "?" when it has none */
};

/* The routes of both families, in every table but local (the machine's own addresses); *out is
 * malloc'd (free it). */
int nets_route_prefixes(struct nets *n, struct nets_prefix **out, size_t *out_count,
			struct lab_error **err);

/* The first of routes[n] of this family that overlaps addr/prefix (network byte order), or NULL.
 * A default route covers everything and is no conflict; nor is an IPv6 link-local or multicast
 * route (fe80::/64, ff00::/8: on every link). Pure: planning (src/plan.c) calls it. */
const struct nets_prefix *nets_prefix_clash(const struct nets_prefix *routes, size_t n, int family,
					   const void *addr, int prefix);

/* Is there a route (any table but local, default routes excepted) overlapping addr/prefix?
 * Returns 1 and describes it in desc ("192.0.2.0/24 dev eth0"), 0 if none, < 0 on error. */
int nets_route_overlap(struct nets *n, int family, const void *addr, int prefix, char *desc,
		       size_t desclen, struct lab_error **err);
int nets_route4_overlap(struct nets *n, uint32_t addr, int prefix, char *desc, size_t desclen,
			struct lab_error **err);

/* What a network namespace has now (live.c), for status. */

/* A unicast route of the main table with a gateway (the kind a lab's plan has). */
struct nets_route {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t dst[16];	/* network byte order; all zero with prefix 0 for the default */
	int prefix;
	uint8_t via[16];
	int ifindex;
};

/* The namespace's gateway routes; *out is malloc'd (free it). */
int nets_route_list(struct nets *n, struct nets_route **out, size_t *out_count,
		    struct lab_error **err);

/* Forwarding for all interfaces of a family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding),
 * read through RTM_GETNETCONF: 1 on, 0 off, < 0 on error. */
int nets_forwarding(struct nets *n, int family, struct lab_error **err);

enum { NETS_SHAPE_NONE, NETS_SHAPE_RATE, NETS_SHAPE_NETEM };

/* The root qdisc of a link as netlab's shaping: a tbf rate, or netem delay/jitter/loss. */
struct nets_shape {
	int kind;		/* NETS_SHAPE_* */
	uint64_t rate_bps;	/* bits per second (tbf's rate: libnl reads 32 bits of bytes/s) */
	uint32_t delay_us, jitter_us;
	double loss_percent;
};

int nets_shape_info(struct nets *n, int ifindex, struct nets_shape *out, struct lab_error **err);

#endif
