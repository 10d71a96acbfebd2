/* `netlab up DIR`: a Kathará lab directory loaded, planned (kathara_lab.h) and mapped onto what
 * `up` builds: a struct lab_topo (segments without addresses, hosts with their ethN and MACs) and
 * its struct hostsetup (sysctls, the device's files, /hostlab, /shared, the startup steps, the
 * shutdown steps, the lab's LAB_* lines for `status`). Reads the lab's files; creates nothing. */
#ifndef NETLAB_KATHARA_UP_H
#define NETLAB_KATHARA_UP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "kathara.h"
#include "kathara_lab.h"
#include "topo.h"

struct kathara_up {
	char *dir;			/* the lab's directory, absolute */
	struct kathara_lab lab;
	struct kathara_plan plan;
	size_t nmissing;		/* packages the machine lacks, one line each
					 * (kathara_plan_missing) */
	char **missing;
};

/* path names a Kathará lab: a directory, or a file whose name is lab.conf. */
bool kathara_up_is_lab(const char *path);

/* Load the lab at path (a directory or its lab.conf), plan it, and list the packages missing
 * on this machine (read from dpkg's status file). Errors: the lab's own mistakes ("DIR/lab.conf:3:
 * ..."; lab.ext) are usage errors; a file that cannot be read a failure. On success *out is the
 * caller's (kathara_up_free). Refusals and missing packages are not errors: the caller looks. */
int kathara_up_load(const char *path, struct kathara_up *out, struct lab_error **err);

/* The topology and host setup that `up` builds for a loaded lab, with no refusal. *out is the
 * caller's (lab_topo_free). A device or collision domain name netlab cannot take as a host or
 * segment name is a usage error. */
int kathara_up_topo(const struct kathara_up *k, struct lab_topo *out, struct lab_error **err);

void kathara_up_free(struct kathara_up *k);

#endif
