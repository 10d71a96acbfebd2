/* What the parts of hostsetup.c share: the children that join a host (hostsetup_child.c) and the
 * files:/sysctls: helper (hostsetup_files.c). Not for other modules: hostsetup.h is the interface. */
#ifndef NETLAB_HOSTSETUP_INT_H
#define NETLAB_HOSTSETUP_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "hostsetup.h"
#include "ns.h"

#define HOSTSETUP_DEPTH_MAX 64	/* directories deep in a files: tree */

int hs_wait_child(pid_t pid, int pidfd, uint64_t deadline, int sigfd, const char *what,
		      int *out_wstatus, struct lab_error **err);

int hs_keep_fds(const int *fds, int n);

void hs_kill_reap(pid_t pid);

pid_t hs_fork_reporting(int *out_errfd, int *out_pidfd, struct lab_error **err);

int hs_files_and_sysctls(const struct lab *lab, size_t i, const struct hostsetup_host *s,
			     const struct ns_child *c, uint64_t deadline, int sigfd,
			     struct lab_error **err);

#endif
