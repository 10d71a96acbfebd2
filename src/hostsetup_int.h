/* What the parts of hostsetup.c share: the children that join a host (hostsetup_child.c), the
 * files:/sysctls: helper (hostsetup_files.c) and the exec: step (hostsetup_exec.c). Not for other modules: hostsetup.h is the interface. */
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

/* --explain's lines for host i's files: and sysctls: (nothing without spec->explain). */
void hs_explain_files(const struct lab_spec *spec, const struct lab *lab, const struct lab_host *h,
		      const struct hostsetup_host *s);

/* Run every host's exec: commands (s->host[i].exec, in order, each within timeout_ms), their
 * output into logsfd/HOST; the hosts one after another, or with s->parallel at once (a host after
 * those of its `after`). sigfd: up's signalfd (a signal stops all and fails, interrupted). A
 * failing command: fail filled (the first in the hosts' order) and -1, or with keep_going all
 * run and 0; *failures counts the commands that failed. Returns 0 or -1 with *err. */
int hs_exec(const struct lab_spec *spec, const struct lab *lab, const struct hostsetup *s,
	    int logsfd, int sigfd, unsigned timeout_ms, struct hostsetup_failure *fail,
	    size_t *failures, struct lab_error **err);

#endif
