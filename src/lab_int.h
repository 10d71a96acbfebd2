/* Inside the lab layer: what the files behind lab.h share (store.c, kobj.c, plan.c, up.c, cable.c,
 * explain.c, teardown.c, down.c, info.c, exec.c, shape.c). Nothing else includes it. */
#ifndef NETLAB_LAB_INT_H
#define NETLAB_LAB_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../netsetup/netsetup.h"
#include "cgroup.h"
#include "error.h"
#include "lab.h"
#include "ns.h"

/* store.c: /run/netlab, its lock, a lab's directory and state file */
int run_dir_lock(bool create, struct lab_error **err);
void remove_empty_dirs(void);
int open_lab_dir(int rundir, const char *name, struct lab_error **err);
int read_state_at(int labfd, const char *name, struct lab *out, struct lab_error **err);
int write_state_at(int labfd, const struct lab *lab, struct lab_error **err);

/* kobj.c: every name netlab gives a kernel object, and whether one is the lab's. Interface names
 * come from the lab's number and places, not from the names users give (kobj.c says why); names
 * that do not fit IFNAMSIZ are refused (names_ifname), never cut. */
/* "LAB-": what every /run/netns entry of the lab starts with */
void name_prefix(char out[LAB_NAME_MAX + 2], const char *lab);
/* the bridge of segment g (from 0): "nlN-b<g+1>"; needs lab->number */
int seg_bridge_name(const struct lab *lab, size_t g, char out[IFNAMSIZ], struct lab_error **err);
/* the machine's end of ethK of host i (from 0): "nlN-h<i+1>" for eth0, "nlN-h<i+1>-K" for the
 * others; needs lab->number */
int veth_name(const struct lab *lab, size_t i, size_t k, char out[IFNAMSIZ],
	      struct lab_error **err);
/* Name every bridge and veth of a planned lab (segs[].bridge, ifaces[].veth), once its number is
 * allocated. */
int name_links(struct lab *lab, struct lab_error **err);
/* The lab number an interface's name says ("nlN-..."), or 0; the one a netdevice group says
 * (LAB_GROUP_BASE + N), or 0. */
unsigned link_name_number(const char *name);
unsigned link_group_number(uint32_t group);
/* the alias of the lab's links (at most LINK_ALIAS_LEN with its NUL): "netlab:LAB:HOST" for a host's veth, "netlab:LAB:bridge" (host
 * NULL) for a bridge and the veths joining bridges */
#define LINK_ALIAS_LEN (sizeof("netlab:") + LAB_NAME_MAX + 1 + HOST_NAME_MAX_LEN)
void link_alias(char *out, size_t len, const char *lab, const char *host);
/* the MAC of the lab's n-th interface (n from 1) */
void iface_mac(const struct lab *lab, unsigned n, uint8_t mac[6]);
/* "/run/netns/LAB-HOST", the mount of a host's netns; "/run/netns/LAB-", the prefix of them all */
void netns_path(char *buf, size_t len, const char *lab, const char *host);
void netns_prefix(char *buf, size_t len, const char *lab);
/* Is alias one of lab's ("netlab:LAB:...")? alias_lab: whose lab's, if any, into out. */
bool alias_is_lab(const char *alias, const char *lab);
bool alias_lab(const char *alias, char out[LAB_NAME_MAX + 1]);
bool link_is_ours(const struct lab *lab, const struct nets_link *l);
bool host_name_like(const char *s);

/* teardown.c: what to undo, and undoing it */
struct teardown {
	const struct lab *lab;
	/* rolling back a failed `up`: what this run made, and so may undo (it never removes what it
	 * found); false: `down` and `clean`, which undo the whole lab */
	bool rollback;
	struct ns_child *children;	/* rolling back: our own children (NULL: none yet) */
	dev_t anchor_dev;		/* the first host's mount point file, made by this run; */
	ino_t anchor_ino;		/* 0: none (the others are hard links to it) */
	size_t ready;			/* hosts 0..ready-1 made their mount point file */
	size_t mounted;			/* hosts 0..mounted-1 had their netns mounted by this run */
	bool made_table;		/* this run made the nftables table */
	bool made_links;		/* this run got as far as making an interface */
	int labfd;
	void (*report)(const char *what, void *arg);
	void *arg;
	void (*explain)(const char *command, void *arg);
	void *explain_arg;
	bool keep_cgroups;		/* rollback of an `up` that made none */
};

int teardown(const struct teardown *t, struct lab_error **err);

/* cable.c: what cabling needs of an `up`, and what it made */
struct cable_ctx {
	struct lab *lab;
	struct nets *root;	/* netlink, in the machine's netns */
	uint32_t group;		/* the lab's netdevice group (lab_group), and its tc block */
	void (*explain)(const char *command, void *arg);	/* --explain, or NULL */
	void *explain_arg;
	/* each step passes here first (up_step: signals, NETLAB_FAIL_AT); < 0 stops it */
	int (*step)(void *arg, const char *what, struct lab_error **err);
	void *step_arg;
	bool neigh_fix;		/* the machine's neighbour defaults are not the kernel's */
	enum { MLD_UNTRIED, MLD_TABLE, MLD_ON, MLD_OFF } mld;	/* nft table, tc block, or none */
	bool made_table;	/* the lab's nftables table (wall_off) */
	int *bridges;		/* ifindex of bridge k of segment g: [g * LAB_SEG_BRIDGES_MAX + k] */
	size_t *ports;		/* of each segment, cabled so far */
	unsigned macs;		/* interfaces cabled so far: the last bytes of the next MAC */
};

/* up.c: the state of one `up` */
struct up {
	const struct lab_spec *spec;
	struct lab *lab;
	struct ns_child *children;
	struct nets *root;
	int labfd;
	int sigfd;
	struct cable_ctx cable;	/* bridges, veths, the lab's table: what cabling made */
	unsigned step, fail_at, stop_at;
	bool created_dir;
	dev_t anchor_dev;	/* the first host's mount point file, once this run made it */
	ino_t anchor_ino;
	size_t ready, mounted;	/* hosts that reported ready, hosts whose netns is mounted */
	struct ns_spawner spawner;
	struct cgroup_set cg;	/* the hierarchies the hosts' cgroups are made in */
	bool cg_made;		/* netlab/LAB is ours to remove on rollback */
	char hosts_path[64];	/* for the spawner: the lab's hosts file */
	char anchor[128];	/* and the mount point the others are hard links to */
};


int up_step(struct up *u, const char *what, struct lab_error **err);
struct cgroup_limits host_limits(const struct lab_spec *s, const struct lab_host *h);

/* cable.c: bridges, veths, the host's network, its sysctls, its /run/netns mount */
bool machine_neigh_differs(void);
int host_net(const struct lab *lab, const struct lab_host *h, int pidfd,
	     const int ifindex_known[LAB_IFACES_MAX], bool neigh_fix, struct lab_error **err);
int mount_netns(const struct lab *lab, const struct lab_host *h, struct lab_error **err);
const char *const *host_sysctls(const struct lab_host *h);
int wall_off(struct cable_ctx *c, struct lab_error **err);
int cable_host(struct cable_ctx *c, const struct lab_host *h, int pidfd, struct lab_error **err);
int add_bridge(struct cable_ctx *c, size_t g, size_t k, struct lab_error **err);

/* explain.c: the by-hand equivalent of each step of `up` */
void explainf(void (*fn)(const char *, void *), void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void explain_hosts_file(const struct up *u, const char *text);
void explain_host(const struct up *u, const struct lab_host *h, const char *hosts_path);
void explain_iface(const struct cable_ctx *c, const struct lab_host *h, const struct lab_iface *x,
		   size_t k_br, const uint8_t mac[6]);
void explain_routes(const struct cable_ctx *c, const struct lab_host *h);

/* shape.c */
bool shaped(const struct lab_shape *s);
int shape_one(struct nets *n, int ifindex, const struct lab_shape *s, struct lab_error **err);

#endif
