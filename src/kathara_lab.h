/* From a parsed Kathará lab (kathara.h) to what `netlab up DIR` builds: its collision domains as
 * segments, its devices as hosts with their interfaces, sysctls, files and startup steps, what the
 * images need, and the lines `up` prints for what it does not honour. Pure: it reads no file and
 * creates nothing; kathara_load_dir has already noted which files the lab's directory has.
 *
 * How the lab layer maps it (struct lab_topo, topo.h): one segment per kathara_seg, given no
 * address at all (the startup files address the interfaces); one host per kathara_host, in
 * `hosts` order (lab.dep's), its links in ports order (eth0, eth1, ...) with the MACs given, and
 * forwarding on, as in every Kathará device; then per host, before its startup: `sysctls` in order
 * (later ones win), `copies` in order (the device's directory
 * over /, its startup and shutdown files into /hostlab), the lab's shared/ at /shared; then
 * `startup` steps in order, each with /bin/bash -c, its output in the host's log (a failing step is
 * reported and the next still runs, as in Kathará), the hosts' startups at once, as Kathará starts
 * its devices, except that a host waits for the startups of its `after` (lab.dep) to end;
 * `shutdown` at down. */
#ifndef NETLAB_KATHARA_LAB_H
#define NETLAB_KATHARA_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kathara.h"
#include "names.h"

#define KATHARA_HOSTLAB "/hostlab"	/* where a device finds its startup and shutdown files */
#define KATHARA_SHARED "/shared"	/* where every device finds the lab's shared/ */

/* A collision domain, as a segment. */
struct kathara_seg {
	char domain[KATHARA_DOMAIN_MAX + 1];	/* as lab.conf names it: "A", "LAN_1" */
	char name[SEGMENT_NAME_MAX + 1];	/* netlab's name for it: the domain itself when
						 * that is a segment name (names.h: any of
						 * Kathará's up to 32 characters), else "cdN" */
	size_t nports;				/* interfaces on it */
};

/* Interface ethK of a host is ports[K]. */
struct kathara_port {
	size_t seg;				/* index into plan->segs */
	bool has_mac;				/* lab.conf's "DOMAIN/MAC" */
	uint8_t mac[6];
};

/* A file or directory of the lab's directory that goes into the host before its startup. */
struct kathara_copy {
	char *src;	/* relative to the lab's directory: "r1" (a directory), "r1.startup" */
	char *dst;	/* in the host: "/" (the directory's content over the root), "/hostlab/r1.startup" */
	bool tree;	/* src is a directory: its content goes under dst */
};

/* One command of a host's startup or shutdown, run with /bin/bash -c inside the host. */
struct kathara_step {
	char *label;	/* for reports: "shared.startup", "r1.startup", "[exec] 2", "prepare" */
	char *command;
	char *log;	/* the file inside the host that Kathará writes its output to
			 * ("/var/log/startup.log"), or NULL */
};

struct kathara_host {
	char name[KATHARA_DEVICE_MAX + 1];
	size_t device;				/* index into the lab's devices */
	size_t nports;
	struct kathara_port *ports;
	bool ipv6;				/* [ipv6], else Kathará's default: off */
	size_t nsysctls;			/* Kathará's defaults for a device, then the device's
						 * [sysctl] lines: all net.*, in order */
	struct kathara_kv *sysctls;
	size_t nenvs;				/* [env]: the environment of its startup steps */
	struct kathara_kv *envs;
	uint64_t memory_max;			/* [mem] in bytes; 0: not given (the lab's limit) */
	char *image;				/* [image] as written, or NULL */
	const char *packages;			/* the Debian packages the image implies ("" none);
						 * static storage */
	size_t ncopies;
	struct kathara_copy *copies;
	size_t nstartup;
	struct kathara_step *startup;
	size_t nshutdown;
	struct kathara_step *shutdown;
	size_t nafter;				/* lab.dep: the hosts (indexes into plan->hosts, all */
	size_t *after;				/* before this one) whose startups must have ended
						 * before this host's starts; the others run at once */
};

struct kathara_plan {
	size_t nsegs;
	struct kathara_seg *segs;		/* in the order lab.conf first names them */
	size_t nhosts;
	struct kathara_host *hosts;		/* in an order lab.dep allows, else lab.conf's; their
						 * startups run at once but for each host's `after` */
	bool shared;				/* DIR/shared/ is /shared in every host */
	size_t nnotes;				/* what `up` does not honour, one line each, to print */
	char **notes;
	size_t nrefusals;			/* why netlab cannot run the lab, one line each: `up`
						 * prints them and exits 1 before creating anything */
	char **refusals;
};

/* Make the plan of a loaded lab (kathara_load_dir). A value netlab cannot take ([mem] that is no
 * size) is an error "device r1: [mem]=...: ..." (errnum 0, exit 2); what netlab cannot run (an
 * image whose software Debian 12 does not ship, more interfaces or segments than a netlab lab has)
 * goes into refusals, not errors, so that `up` can list them all. On success *out owns its memory
 * (kathara_plan_free); on failure it is left empty. */
int kathara_plan_make(const struct kathara_lab *lab, struct kathara_plan *out,
		      struct lab_error **err);

/* The packages the plan's images need that `installed` says the machine lacks, one line each:
 * "frr (image kathara/frr of r1, r2, r3)", in the order the hosts first need them. `installed`
 * is asked once per package. On success *out (n lines) is the caller's to free (each line and the
 * array); 0 lines: nothing missing. */
int kathara_plan_missing(const struct kathara_plan *plan,
			 bool (*installed)(const char *package, void *arg), void *arg, char ***out,
			 size_t *n, struct lab_error **err);

void kathara_plan_free(struct kathara_plan *plan);

#endif
