/* A lab: its hosts and their network, built, recorded, inspected and torn down. No libnl here. */
#ifndef NETLAB_LAB_H
#define NETLAB_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "error.h"
#include "ipv4.h"
#include "ns.h"
#include "state.h"

#define LAB_RUN_DIR "/run/netlab"
#define LAB_NETNS_DIR "/run/netns"
#define LAB_DEFAULT_NAME "lab"

struct lab_topo;	/* topo.h */
struct hostsetup_opts;	/* hostsetup.h */

struct lab_spec {
	const char *name;
	unsigned hosts;		/* networked hosts h1..hN */
	unsigned empty;		/* empty-netns control hosts e1..eM */
	bool has_subnet;
	struct ipv4_net subnet;
	bool no_ipv6;		/* --no-ipv6: IPv4 only */
	bool has_subnet6;
	struct ipv6_net subnet6;
	const struct lab_topo *topo;	/* up -f FILE: replaces hosts/empty/subnet */
	int extra_ns;		/* --ns +cgroup,+time: CLONE_NEWCGROUP | CLONE_NEWTIME */
	unsigned mtu;		/* --mtu: every segment without an mtu of its own; 0: 1500 */
	/* --pids-max, --memory-max (0: not given). Each host's limit is its own in the topology
	 * file, else this, else the file's lab-wide one, else CGROUP_*_DEFAULT */
	struct cgroup_limits limits;
	int fs;			/* --fs: ROOTFS_OWN (default) or ROOTFS_SHARED (rootfs.h) */
	/* --explain: called with the by-hand shell equivalent of each step, as it runs */
	void (*explain)(const char *command, void *arg);
	void *explain_arg;
	/* [hostsetup] --exec-timeout, --keep-on-error, and out, what a failing exec: was
	 * (hostsetup.h); NULL: the defaults */
	struct hostsetup_opts *setup;
};

/* A bridge's per-port work (adding a port, STP port selection, promiscuity, the adjacency list)
 * runs over all its ports: linear per port, quadratic per lab. So a segment's ports are spread
 * over bridges of at most LAB_BRIDGE_PORTS, the first one (the segment's bridge) joined to each
 * of the others by a veth pair: still one layer 2 segment. */
#define LAB_BRIDGE_PORTS 128
#define LAB_SEG_BRIDGES_MAX ((LAB_HOSTS_MAX + LAB_BRIDGE_PORTS - 1) / LAB_BRIDGE_PORTS)

/* Host interfaces on segment g, and the bridges they take (at least 1). */
size_t lab_seg_ports(const struct lab *lab, size_t g);
size_t lab_seg_bridges(const struct lab *lab, size_t g);
/* Bridge k of a segment (0: the segment's own, "nlN-bG"; k: "nlN-bG-<k+1>"), with a suffix: "" for
 * the bridge, "up" and "dn" for the ends of the veth pair joining it to bridge 0. */
int lab_bridge_name(const struct lab_segment *g, size_t k, const char *suffix, char out[IFNAMSIZ],
		    struct lab_error **err);

/* Wall time of each phase of `up`, in nanoseconds. */
struct lab_timing {
	uint64_t reserve, spawn, ready, mounts, commit, total;
	uint64_t clone, veth;	/* within spawn: waiting for the spawner (clone3, id maps), cabling */
};

/* Build a lab; on success *out describes it (state_free it). It refuses, before making anything,
 * where an interface with the alias netlab:LAB:*, an entry /run/netns/LAB-* or the nftables table
 * netlab-LAB exists, and takes a lab number no interface's name or group uses. On
 * failure everything this run made is undone in reverse order, and nothing it found;
 * err->signo is set when SIGINT/SIGTERM/SIGHUP interrupted it. */
int lab_up(const struct lab_spec *spec, struct lab *out, struct lab_timing *timing,
	   struct lab_error **err);

/* Tear a lab down. Returns 1 when it was up and is now gone, 0 when there was nothing to do.
 * Whatever other tools did to /run/netns meanwhile (a mount of it over itself, as `ip netns add`
 * makes, stacked or covering mounts), its entries are unmounted and removed; one that still
 * cannot be is named in *err with its reason, and the lab is removed all the same once its hosts
 * and links are gone (-1). A host or link that could not be removed keeps the state, for a retry. */
int lab_down(const char *name, void (*explain)(const char *command, void *arg), void *explain_arg,
	     struct lab_error **err);

/* Names of the labs under /run/netlab, sorted. Free with lab_names_free. */
int lab_names(char ***out, size_t *out_count, struct lab_error **err);
void lab_names_free(char **names, size_t count);

/* Read a lab's state. -ENOENT (with *err filled) when no such lab is up. */
int lab_load(const char *name, struct lab *out, struct lab_error **err);

/* name, or the only lab that is up when name is NULL. */
int lab_load_default(const char *name, struct lab *out, struct lab_error **err);

/* "h1" (when exactly one lab is up, or lab_name is given) or "LAB/h1" -> lab and host index. */
int lab_resolve_host(const char *arg, const char *lab_name, struct lab *out_lab, size_t *out_index,
		     struct lab_error **err);

/* Shape interface `iface` of a host, both directions (ethK inside, its veth on the bridge). */
int lab_shape(const struct lab *lab, const struct lab_host *h, size_t iface,
	      const struct lab_shape *s, struct lab_error **err);

struct lab_if_info {
	char name[16];			/* as found inside the host */
	bool up;
	char mac[18];
	char addrs[256];		/* "10.77.1.1/24 fd4e:4c00:1:1::1/64 fe80::4c:1ff:fe00:1/64" */
	char shaping[64];		/* "rate 10 Mbit/s", "" for none */
	uint64_t rate_bps;		/* the tbf rate in bit/s, 0 for none */
	unsigned mtu;			/* bytes */
};

/* A route the host has now (a gateway route of its main table), against the plan. */
struct lab_live_route {
	bool v6;
	char to[IPV6_TEXT + 4];		/* "0.0.0.0/0", "10.78.2.0/24", "::/0" */
	char via[IPV6_TEXT];
	char dev[16];			/* as named inside the host (host-made: escape it to print) */
	bool planned;			/* the plan has this route (same prefix and gateway) */
};

#define LAB_LIVE_ROUTES_MAX 64

struct lab_host_info {
	bool alive;
	unsigned long ns[NS_KINDS_ALL];	/* inodes of /proc/PID/ns/ entries, in ns_kinds order */
	char links[256];		/* "lo(up) eth0(up)" */
	size_t nifs;			/* interfaces other than lo, in ifindex order */
	struct lab_if_info ifs[LAB_IFACES_MAX + 2];
	/* live, read from inside the host, against the plan (h->routes, h->router) */
	size_t nroutes;			/* the first LAB_LIVE_ROUTES_MAX of them */
	bool routes_more;		/* the host has more than that */
	struct lab_live_route routes[LAB_LIVE_ROUTES_MAX];
	bool route_live[LAB_ROUTES_MAX];	/* h->routes[k] is in the kernel */
	int forwarding4, forwarding6;	/* 1 on, 0 off, -1 unknown (net.ipv4.ip_forward,
					 * net.ipv6.conf.all.forwarding) */
};

/* The interface of info named name, or NULL. */
const struct lab_if_info *lab_if_info_find(const struct lab_host_info *info, const char *name);

/* What a host has now, read from inside it through netlink: interfaces, addresses, MACs,
 * shaping, gateway routes and forwarding, each marked against the plan. A dead host: alive
 * false, nothing else. */
int lab_host_info(const struct lab_host *h, struct lab_host_info *out, struct lab_error **err);

/* Does the live forwarding of a host differ from its plan (a router forwards IPv4, and IPv6
 * when it has IPv6; a host does neither)? false when unknown, and for a host that configures
 * itself (lab_host_self_configured: nothing was planned). */
bool lab_forwarding_differs(const struct lab *lab, const struct lab_host *h,
			    const struct lab_host_info *in);

/* Does the host configure its own addresses and routes (a Kathará device: every interface on a
 * noaddr segment, so netlab planned no address, route or role for it)? false for an empty host. */
bool lab_host_self_configured(const struct lab *lab, const struct lab_host *h);

/* Do all the lab's networked hosts configure themselves (a Kathará lab), and is there one? */
bool lab_self_configured(const struct lab *lab);

/* Is the host a router? The plan's h->router; for a host that configures itself, what it is now
 * (in, read by lab_host_info): it forwards IPv4 or IPv6 and has two or more interfaces up. in
 * NULL or dead: its plan (Kathará's forwarding on) and two or more interfaces in lab.conf. */
bool lab_host_is_router(const struct lab *lab, const struct lab_host *h,
			const struct lab_host_info *in);

/* Run argv inside every namespace of the host, as its root, cwd /tmp. *out_status is the exit code
 * to pass on: the command's, 128+signal if it was killed, 126/127 if it could not be executed.
 * The command runs in a new session, and gets a new pseudo-terminal (see pty.h) when one of our
 * fds 0, 1, 2 is a terminal: the slave in place of each that is, the others as they are (a piped
 * stdin keeps its end of file; no terminal at all, no pty: nothing to protect or relay). No
 * descriptor of ours but 0, 1, 2 reaches it, and it gets a clean environment:
 * PATH (the host's standard one), HOME=/tmp, USER, LOGNAME, SHELL (the host's root's shell),
 * TERM, LANG, LANGUAGE and LC_* (ours), NETLAB_LAB, NETLAB_HOST, PS1 for a shell other than
 * bash and zsh (they set their own in their system rc files), then env
 * ("NAME=VALUE", NULL-terminated, may be NULL), which wins. argv NULL runs the host's root's
 * shell (its /etc/passwd, else /bin/bash, else /bin/sh). Not found is 127 with "command not
 * found" (errnum 0). */
int lab_exec(const struct lab *lab, const struct lab_host *h, char *const argv[],
	     const char *const env[], int *out_status, struct lab_error **err);

/* Like lab_exec, but stdout (and stderr, merged) is captured into out (NUL-terminated, cut at
 * len-1); h == NULL runs argv on the real machine instead, for side-by-side comparisons. With a
 * deadline: a host's command that has not exited within timeout_ms (with whatever it started in
 * its process group) is killed, and the result is -ETIMEDOUT with "host h1 did not answer
 * 'hostname' within 5 s" (out holds what it printed until then). Root inside a host decides what
 * its commands do: a report must not wait for them for ever. */
int lab_capture_timed(const struct lab *lab, const struct lab_host *h, char *const argv[], char *out,
		      size_t len, int timeout_ms, int *out_status, struct lab_error **err);
/* [hostsetup] In a child forked to run one lab_exec under a deadline (hostsetup.c): SIGTERM to it
 * then kills the command's whole process group, as lab_capture_timed's waiter does. */
void lab_exec_deadline_waiter(void);

/* A host's pids and memory limits and use, read live from its cgroups (out->found false: none). */
void lab_host_limits(const struct lab *lab, const struct lab_host *h, struct cgroup_usage *out);

/* Open a pidfd for a host, verified against PID reuse; -ESRCH if it is not running. */
int lab_host_pidfd(const struct lab_host *h);

/* Remove what crashed labs left: labs whose `up` died, labs whose hosts are all dead, interfaces
 * marked as netlab's that belong to no lab. report() is called once per thing removed. */
int lab_clean(void (*report)(const char *what, void *arg), void *arg, struct lab_error **err);

#endif
