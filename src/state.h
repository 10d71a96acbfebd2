/* The lab as recorded under /run/netlab/LAB/state: serialise and parse (defensively). */
#ifndef NETLAB_STATE_H
#define NETLAB_STATE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ipv4.h"
#include "ipv6.h"
#include "names.h"

#define LAB_HOSTS_MAX 1000	/* networked hosts (on bridges of LAB_BRIDGE_PORTS) */
#define LAB_EMPTY_MAX 100
#define LAB_GROUP_BASE 0x4e4c0000u	/* "NL": netdevice group = base + lab number */
#define LAB_NS_CGROUP 0x02000000	/* CLONE_NEWCGROUP */
#define LAB_NS_TIME 0x00000080		/* CLONE_NEWTIME */
#define LAB_EXTRA_NS_MASK (LAB_NS_CGROUP | LAB_NS_TIME)

#define LAB_SEGMENTS_MAX 64
#define LAB_IFACES_MAX 8	/* eth0..eth7 per host */
#define LAB_ROUTES_MAX 32	/* static routes per host */
/* A segment's MTU (up --mtu, mtu: in a topology file): what Linux accepts on a veth and a bridge
 * (68, the IPv4 minimum, RFC 791; 65535, ETH_MAX_MTU); IPv6 needs 1280 (RFC 8200) on its links. */
#define LAB_MTU_MIN 68
#define LAB_MTU_MAX 65535
#define LAB_MTU_MIN6 1280
#define LAB_MTU_DEFAULT 1500

/* A link layer: one Linux bridge, one IPv4 subnet, optionally one IPv6 /64. `netlab up N` makes one
 * ("lan"); a topology file as many as it names. */
struct lab_segment {
	char name[SEGMENT_NAME_MAX + 1];
	char bridge[IFNAMSIZ];		/* on the machine: "nlN-bG" (kobj.c); older labs "LAB-SEG" */
	struct ipv4_net subnet;
	bool has6;
	struct ipv6_net subnet6;
	unsigned mtu;		/* bytes, on the bridges, both ends of each veth and inside; 0: 1500 */
	bool noaddr;		/* a Kathará collision domain: netlab assigns no address on it (no
				 * subnet, the interfaces' addr and addr6 zero); the lab's startup
				 * files do. Recorded as "-" for the subnets */
};

/* Link shaping of one interface, both directions (tbf for a rate, netem for the rest). */
struct lab_shape {
	uint64_t rate_bps;	/* tbf; 0 = no rate */
	uint32_t delay_us, jitter_us;
	double loss_percent;	/* netem when any of delay/jitter/loss is set */
	bool clear;
};

/* A host's interface ethK: the peer of a veth whose other end is a port of its segment's bridge. */
struct lab_iface {
	char name[IFNAMSIZ];		/* inside the host: eth0, eth1, ... */
	unsigned seg;			/* index into lab->segs */
	uint32_t addr;			/* IPv4, in seg's subnet */
	uint8_t addr6[16];		/* in seg's subnet6; all zero when the segment has no IPv6 */
	char veth[IFNAMSIZ];		/* the end on the bridge, on the machine: "nlN-hI[-K]"
					 * (kobj.c); older labs "LAB-HOST[-K]" */
	struct lab_shape shape;		/* from a topology file, applied by up; not recorded */
	bool has_mac;			/* mac given (a Kathará lab's "DOMAIN/MAC"); else netlab's
					 * (iface_mac). Applied by up; not recorded */
	uint8_t mac[6];
};

/* A static route of a host: dst (prefix 0 = default) via a neighbour on one of its segments. */
struct lab_route {
	bool v6;
	struct ipv4_net dst;
	uint32_t via;
	struct ipv6_net dst6;
	uint8_t via6[16];
};

struct lab_host {
	char name[HOST_NAME_MAX_LEN + 1];
	bool networked;			/* nifaces > 0; an empty host has only lo */
	bool router;			/* IPv4 and IPv6 forwarding on, in its own netns */
	size_t nifaces;
	struct lab_iface ifaces[LAB_IFACES_MAX];
	size_t nroutes;
	struct lab_route *routes;	/* malloc'd, nroutes long */
	pid_t pid;			/* its PID 1, as seen from the real machine; 0 = not started */
	unsigned long long start;	/* its start time: defeats PID reuse */
	uint32_t id_base;		/* root inside is this uid/gid outside (ns.h: NS_ID_BASE +
					 * k * NS_ID_COUNT); 0 in state files of older netlabs,
					 * whose hosts all shared NS_ID_BASE */
	uint64_t pids_max, memory_max;	/* a topology file's limits for it (cgroup.h); 0: the lab's.
					 * Not recorded: status reads them from the cgroups */
};

struct lab {
	char name[LAB_NAME_MAX + 1];
	unsigned number;		/* 1..65535, unique among the labs that are up */
	bool complete;			/* false while `up` is building it */
	bool from_file;			/* built from a topology file: reachability follows its routes */
	bool dynamic;			/* its file says `routing: dynamic`: routing daemons in the
					 * hosts make the routes, and every networked host should
					 * reach every address of every other (lab_expect_reach).
					 * State files without a "routing" line: false */
	pid_t builder;			/* the `up` process and its start time */
	unsigned long long builder_start;
	int extra_ns;			/* CLONE_NEWCGROUP | CLONE_NEWTIME beyond the six, or 0 */
	int fs;				/* the hosts' root: ROOTFS_OWN or ROOTFS_SHARED (rootfs.h);
					 * state files without an "fs" line: ROOTFS_SHARED */
	size_t nsegs;
	struct lab_segment *segs;
	size_t nhosts;
	struct lab_host *hosts;
};

static inline uint32_t lab_group(const struct lab *lab)
{
	return LAB_GROUP_BASE + lab->number;
}

/* Serialise into a malloc'd string. */
int state_format(const struct lab *lab, char **out, size_t *out_len, struct lab_error **err);

/* Parse text (NUL-terminated); `where` names the file in errors. On success *out is filled and owns
 * out->hosts. Never trusts the input: every field is checked. */
int state_parse(const char *text, const char *where, struct lab *out, struct lab_error **err);

/* Free what lab holds (not lab itself) and leave it empty: safe to call twice. */
void state_free(struct lab *lab);
/* `_cleanup_lab_ struct lab lab = { 0 };`: state_free at the end of its scope (cleanup.h) */
#define _cleanup_lab_ __attribute__((cleanup(state_free)))

#endif
