/* Topology files (`netlab up -f lab.yaml`): segments, hosts, routers, routes and shaping, parsed
 * with libyaml and checked completely before anything is created. The format is in the README. */
#ifndef NETLAB_TOPO_H
#define NETLAB_TOPO_H

#include <stdbool.h>

#include "error.h"
#include "lab.h"

struct hostsetup;	/* hostsetup.h */

/* A static route as a topology file writes it, resolved once addresses are known. */
struct lab_topo_route {
	size_t host;		/* index into plan.hosts */
	char to[64];		/* "default", a segment's name, or a prefix (IPv4 or IPv6) */
	char via[64];		/* a host's name (its address on a shared segment), or an address */
	char where[96];		/* "lab.yaml:12", for errors */
};

/* A lab as a topology file describes it (topo.c): segments (subnet prefix 0 = netlab picks one),
 * hosts and their interfaces (address 0 = netlab picks one), routers, routes, shaping. */
struct lab_topo {
	struct lab plan;
	size_t nroutes;
	struct lab_topo_route *routes;
	struct cgroup_limits limits;	/* the file's lab-wide pids-max/memory-max; 0: not given */
	struct hostsetup *setup;	/* [hostsetup] files:, sysctls:, exec: per host (hostsetup.h);
					 * NULL: none */
};

/* Free what t holds (not t itself). */
void lab_topo_free(struct lab_topo *t);

/* Parse and validate path. On success *out is filled (lab_topo_free it); out->plan.name is the
 * file's `name:`, "" when it has none. Errors read
 * "lab.yaml:12: host h3: segment \"lan9\" is not defined"; every one is the user's to fix (a usage
 * error, exit 2) except a file that cannot be read (a failure, errnum set). */
int topo_load(const char *path, struct lab_topo *out, struct lab_error **err);

/* The same from text already in memory; `where` names it in errors. */
int topo_parse(const char *text, size_t len, const char *where, struct lab_topo *out,
	       struct lab_error **err);

#endif
