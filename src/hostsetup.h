/* A host's own setup from a topology file, after its network is up and before `up` returns:
 * `files:` (a directory tree laid over its root), `sysctls:` (of its own namespaces) and `exec:`
 * (commands run inside it, in order, their output in a log kept on the machine), and that log
 * (`netlab logs`). The format is in the README ("Topology files"). */
#ifndef NETLAB_HOSTSETUP_H
#define NETLAB_HOSTSETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "lab.h"

#define HOSTSETUP_EXEC_TIMEOUT_S 60	/* each exec: command, unless up --exec-timeout */
#define HOSTSETUP_EXEC_TIMEOUT_MS (HOSTSETUP_EXEC_TIMEOUT_S * 1000)
#define HOSTSETUP_EXEC_MAX 64		/* commands per host */
#define HOSTSETUP_CMD_MAX 4096		/* bytes of one command */
#define HOSTSETUP_SYSCTLS_MAX 256	/* per host */
#define HOSTSETUP_FILES_MAX 10000	/* entries of a files: tree (directories, files, links) */
#define HOSTSETUP_LOG_MAX (1 << 20)	/* a host's log keeps its last MiB */
#define HOSTSETUP_TAIL_LINES 10		/* of a failing command's output, in up's message */
#define HOSTSETUP_LOG_DIR "logs"	/* /run/netlab/LAB/logs/HOST: root-only, like the lab's dir */

struct hostsetup_sysctl {
	char *key;		/* as written: "net.ipv4.conf.all.rp_filter" (or with '/') */
	char *value;		/* written as is */
};

#define HOSTSETUP_SHUTDOWN_TIMEOUT_MS 10000	/* each shutdown command, at down */
#define HOSTSETUP_SHUTDOWN_FILE "shutdown"	/* /run/netlab/LAB/shutdown: "HOST\tCOMMAND" lines */
#define HOSTSETUP_ABOUT_FILE "about"		/* /run/netlab/LAB/about: lines `status` shows */

/* A file or a directory of the machine copied into a host (a Kathará lab's device directory over
 * /, its startup files into /hostlab, its shared/ into /shared). */
struct hostsetup_copy {
	char *src;		/* absolute path on the machine */
	char *dst;		/* absolute path in the host: "/", "/hostlab/r1.startup" */
	bool tree;		/* src is a directory: its content goes under dst (made if missing) */
};

/* What a topology file asks of one host beyond its network; all optional, all malloc'd. */
struct hostsetup_host {
	char *files;		/* a directory on the machine, already resolved against the
				 * topology file's directory; NULL: none */
	size_t ncopies;		/* after files:, in order (a later one wins) */
	struct hostsetup_copy *copies;
	size_t nshutdown;	/* commands run at `down` (/bin/bash -c), each within
				 * HOSTSETUP_SHUTDOWN_TIMEOUT_MS, before the hosts are killed;
				 * single lines */
	char **shutdown;
	size_t nsysctls;
	struct hostsetup_sysctl *sysctls;
	size_t nexec;
	char **exec;		/* each run as /bin/sh -c COMMAND inside the host */
	size_t nafter;		/* hostsetup.parallel: the hosts (indexes, each before this one)
				 * whose exec: must have ended before this host's starts */
	size_t *after;
};

/* One per host of the plan, in its order (plan.hosts[i] <-> host[i]). */
struct hostsetup {
	size_t n;
	struct hostsetup_host *host;
	bool keep_going;	/* Kathará's way: a failing exec command is reported (fail, with
				 * the count of the others), the next ones and hosts still run,
				 * and the lab is kept */
	bool parallel;		/* Kathará's way: the hosts' exec: run at once, each host's in
				 * order and after those of its `after`; else host after host */
	char *about;		/* lines `status` shows for the lab (a Kathará lab's directory and
				 * LAB_* metadata); NULL: none */
};

void hostsetup_free(struct hostsetup *s);

/* Whether host i has anything to set up. s may be NULL. */
bool hostsetup_any(const struct hostsetup *s);

/* A sysctl key a host may set: one of its own network, UTS or IPC namespace (net.*,
 * kernel.domainname, the kernel.shm*, kernel.msg* and kernel.sem limits, fs.mqueue.*), written
 * with '.' or '/' between its parts. Returns 0, or -1 with why ("not one of the host's own
 * namespaces ...") in *err. The file's own path under /proc/sys into path on success. */
int hostsetup_sysctl_path(const char *key, char *path, size_t len, struct lab_error **err);

/* What a failing exec: was, for the CLI to print. tail is what the host wrote: escape it. */
struct hostsetup_failure {
	bool failed;		/* a command exited non-zero or was killed at its deadline */
	bool kept;		/* --keep-on-error: the lab is up all the same (lab_up returned 0) */
	char host[HOST_NAME_MAX_LEN + 1];
	char command[256];	/* the command, cut to fit */
	size_t index, count;	/* it was command index (1-based) of count */
	int status;		/* its exit status (128+N: killed by signal N) */
	bool timed_out;		/* no exit within timeout_ms: killed, with what it started */
	unsigned timeout_ms;
	char tail[4096];	/* its last HOSTSETUP_TAIL_LINES lines (at most), as written */
	size_t others;		/* keep_going: how many more commands failed after it */
};

/* up's options for this step (lab_spec.setup) and, out, what failed. */
struct hostsetup_opts {
	unsigned timeout_ms;	/* each exec: command's; 0: HOSTSETUP_EXEC_TIMEOUT_MS */
	bool keep_on_error;	/* a failing exec: keeps the lab (its failure is in fail) */
	struct hostsetup_failure fail;
};

/* Before anything is made: what the spec asks is possible (files: needs each host's own root,
 * not --fs shared). A usage error in *err otherwise. */
int hostsetup_check(const struct lab_spec *spec, struct lab_error **err);

/* In `up`, once every host is cabled and before the lab is committed (lab.c): for each host of
 * spec->topo in order, its files: then its sysctls:; then each host's exec: commands, in order,
 * host after host (or, hostsetup.parallel, the hosts at once, each after its `after`, at most
 * twice the CPUs' count of commands at a time), each in a new session inside all its namespaces
 * and cgroups as lab_exec runs them, its output (stdout and stderr, no terminal) appended to
 * /run/netlab/LAB/logs/HOST (labfd: the lab's locked directory). --explain prints each command
 * as it starts, or all of them in the hosts' order before a parallel run starts. children: the
 * hosts, not yet committed (their pidfds and start times; copied into lab->hosts[i].start).
 * sigfd: up's signalfd; a signal read there stops it (err->signo), every command under way
 * stopped and reaped. Returns 0 when all went well, or when an exec: failed and
 * spec->setup->keep_on_error is set (spec->setup->fail says what); < 0 otherwise (the caller
 * rolls back), with *err naming the host and the step, and spec->setup->fail filled when a
 * command failed. keep_going: fail names the first failing command in the hosts' order (not the
 * first to end), `others` counts the rest. */
int hostsetup_up(const struct lab_spec *spec, struct lab *lab, const struct ns_child *children,
		 int labfd, int sigfd, struct lab_error **err);

/* At `down`, before the hosts go: run the shutdown commands recorded by hostsetup_up in
 * /run/netlab/LAB/shutdown (labfd), in each host that is still alive, each within
 * HOSTSETUP_SHUTDOWN_TIMEOUT_MS. Their failures do not stop down: they are counted, not returned
 * (the return value is how many failed or could not run). */
int hostsetup_shutdown(int labfd, const struct lab *lab);

/* The lab's about lines (hostsetup.about), malloc'd into *out; NULL when it has none. */
int hostsetup_about_read(const char *lab, char **out, struct lab_error **err);

/* Remove the lab's logs (teardown, before its directory goes). labfd: /run/netlab/LAB. */
int hostsetup_logs_remove(int labfd, struct lab_error **err);

/* A host's log, whole, malloc'd into *out (NUL-terminated; *out_len without it: it may hold NUL
 * bytes). -ENOENT (with *err) when the host has none: no exec: ran in it. */
int hostsetup_log_read(const char *lab, const char *host, char **out, size_t *out_len,
		       struct lab_error **err);

#endif
