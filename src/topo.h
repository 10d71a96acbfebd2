/* Topology files (`netlab up -f lab.yaml`): segments, hosts, routers, routes and shaping, parsed
 * with libyaml and checked completely before anything is created. The format is in the README. */
#ifndef NETLAB_TOPO_H
#define NETLAB_TOPO_H

#include <stdbool.h>

#include "error.h"
#include "lab.h"

/* Parse and validate path. On success *out is filled (lab_topo_free it); out->plan.name is the
 * file's `name:`, "" when it has none. Errors read
 * "lab.yaml:12: host h3: segment \"lan9\" is not defined"; every one is the user's to fix (exit 2)
 * except a file that cannot be read (errnum set). */
int topo_load(const char *path, struct lab_topo *out, struct lab_error **err);

/* The same from text already in memory; `where` names it in errors. */
int topo_parse(const char *text, size_t len, const char *where, struct lab_topo *out,
	       struct lab_error **err);

#endif
