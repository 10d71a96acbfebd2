/* Per-host cgroups with a pids and a memory limit: HIERARCHY/netlab/LAB/HOST in each cgroup
 * hierarchy of the machine that carries the pids or the memory controller (cgroup v2, or the v1
 * `pids` and `memory` hierarchies of a hybrid or legacy machine). */
#ifndef NETLAB_CGROUP_H
#define NETLAB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Defaults per host. 512 tasks: a host running FRR, sshd and a shell uses a few dozen; a fork bomb
 * stops there instead of at the machine's pid_max (32768 on many machines, shared by all). 512 MiB:
 * FRR, bird, nginx or apache2 need tens of MiB; a runaway allocation is OOM-killed inside the host
 * instead of pushing the machine into swap or its own OOM killer. */
#define CGROUP_PIDS_DEFAULT 512u
#define CGROUP_MEMORY_DEFAULT (512ull << 20)
#define CGROUP_PIDS_MIN 8u             /* init, a shell and a command, with room to spare */
#define CGROUP_PIDS_LIMIT 4194304u     /* the kernel's PID_MAX_LIMIT */
#define CGROUP_MEMORY_MIN (8ull << 20) /* below that the host's own setup fails */
#define CGROUP_UNLIMITED UINT64_MAX    /* "max": no limit */

/* 0 means "not given" (a default applies), CGROUP_UNLIMITED "max". */
struct cgroup_limits {
	uint64_t pids_max;
	uint64_t memory_max; /* bytes */
};

#define CGROUP_HIER_MAX 3

struct cgroup_hier {
	char path[128]; /* where it is mounted, e.g. /sys/fs/cgroup/pids */
	bool v2;
	bool pids, memory; /* the controllers netlab uses from it */
};

/* The hierarchies netlab uses on this machine: at most one per controller, cgroup v2 first. */
struct cgroup_set {
	size_t n;
	struct cgroup_hier h[CGROUP_HIER_MAX];
};

/* Find them in /proc/self/mountinfo (and, for v2, cgroup.controllers). Never fails: a machine with
 * neither controller gives n == 0, and hosts then run without limits (`doctor` warns). */
void cgroup_detect(struct cgroup_set *out);

/* "v1 pids at /sys/fs/cgroup/pids, v1 memory at /sys/fs/cgroup/memory", or "" (n == 0). */
void cgroup_describe(const struct cgroup_set *s, char *buf, size_t len);

/* Parse "512", "max" (pids) and "512M", "1G", "1048576", "max" (memory, binary units) within the
 * bounds above. 0 or -1. */
int cgroup_parse_pids(const char *s, uint64_t *out);
int cgroup_parse_memory(const char *s, uint64_t *out);

/* "512", "512M", "max": for messages and status. */
void cgroup_fmt(uint64_t v, bool bytes, char *buf, size_t len);

/* Make netlab/ (if needed) and netlab/LAB in each hierarchy (on v2 with the controllers enabled
 * for their children). Call under the /run/netlab lock. A v2 hierarchy whose root cannot hand a
 * controller down (the root of a container's cgroup namespace, which holds processes) loses that
 * controller from *s, or is dropped from it. Returns 0; -EEXIST (err filled) when netlab/LAB is
 * already there, left by a lab whose cleanup failed; < 0 on other errors, after removing what it
 * made. */
int cgroup_lab_create(struct cgroup_set *s, const char *lab, struct lab_error **err);

/* Make netlab/LAB/HOST in each hierarchy and set its limits (l's fields must be set, not 0).
 * On failure, removes what it made. */
int cgroup_host_create(const struct cgroup_set *s, const char *lab, const char *host,
		       const struct cgroup_limits *l, struct lab_error **err);

/* The cgroup.procs files of a host, NULL-terminated, into paths[CGROUP_HIER_MAX + 1] backed by
 * buf[CGROUP_HIER_MAX][160] (for struct ns_spec, which moves the spawner there before clone3). */
void cgroup_host_procs(const struct cgroup_set *s, const char *lab, const char *host,
		       char buf[][160], const char *paths[]);

/* Move the calling process into the host's cgroups (`netlab exec`: what runs in a host is
 * limited as the host is). A host without cgroups (no controller, or a lab made by an older
 * netlab) is not an error: returns 0. */
int cgroup_join(const char *lab, const char *host, struct lab_error **err);

/* Remove netlab/LAB/<every host> then netlab/LAB in each hierarchy, then netlab/ if it is empty.
 * Run after the hosts are dead: a cgroup that still has tasks a moment later (a `netlab exec`
 * whose command was killed) is waited for, up to about 2 s. report() is called once per removed
 * lab directory. Returns 1 when something was removed, 0 when nothing was there, < 0 on error. */
int cgroup_lab_remove(const struct cgroup_set *s, const char *lab,
		      void (*report)(const char *what, void *arg), void *arg,
		      struct lab_error **err);

/* The labs that have a netlab/LAB cgroup in any hierarchy (malloc'd, free with lab_names_free). */
/* Remove netlab/ from each hierarchy where it is empty (an `up` killed before it made netlab/LAB
 * leaves it); where any lab still has cgroups, it stays. */
void cgroup_top_remove(const struct cgroup_set *s);

int cgroup_labs(const struct cgroup_set *s, char ***out, size_t *out_count, struct lab_error **err);

/* A host's limits and use, read live from its cgroups; found is false when it has none. */
struct cgroup_usage {
	bool found;
	bool has_pids, has_memory;
	uint64_t pids_max, pids;     /* pids.max (CGROUP_UNLIMITED for "max"), pids.current */
	uint64_t memory_max, memory; /* bytes: memory.max or memory.limit_in_bytes, and usage */
};
void cgroup_host_usage(const struct cgroup_set *s, const char *lab, const char *host,
		       struct cgroup_usage *out);

#endif
