/* Namespaces: spawn a host (clone3 into new namespaces), its PID 1, and joining it later. */
#ifndef NETLAB_NS_H
#define NETLAB_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* The namespaces of a host, user first: the order setns and the tables follow (like nsenter). */
struct ns_kind {
	const char *name;	/* as in /proc/PID/ns/<name> */
	int flag;		/* CLONE_NEW* */
};
extern const struct ns_kind ns_kinds[];
#define NS_KINDS 6	/* user mnt pid net uts ipc: what every host gets */
#define NS_KINDS_ALL 8	/* ... plus cgroup and time, which the kernel also has */

/* Root inside a host is this uid/gid outside, with NS_ID_COUNT ids mapped from there. */
#define NS_ID_BASE 1000000000u
#define NS_ID_COUNT 65536u
/* Each host gets its own range: NS_ID_BASE + k * NS_ID_COUNT, k < NS_ID_SLOTS, so at most 17507
 * hosts (of all labs) can be up at once. The space ends at 2147338751, below systemd's "foreign"
 * range (2147352576...) and 2^31 (ids above it break tools that keep them in an int); it starts far
 * above regular users (1000...60000) and the usual /etc/subuid ranges (100000 + 65536 per user),
 * and netlab skips any slot that /etc/subuid, /etc/subgid, /etc/passwd or /etc/group uses. */
#define NS_ID_SLOTS 17507u

struct ns_spec {
	const char *hostname;
	const char *title;	/* what ps shows for the host's init, e.g. "netlab-init lab/h1" */
	const char *hosts_path;	/* the lab's hosts file, for /etc/hosts; NULL for none */
	const char *mountpoint;	/* made by the child; NULL for none. The parent binds the host's
				 * netns there: the child makes the file so that the
				 * filesystem's work runs beside the parent's, not in it */
	const char *mountpoint_of; /* an empty file: mountpoint is made a hard link to it (no new
				    * inode; ext4 without a journal scans all recently deleted
				    * inodes for each new one); NULL, or no hard links: created */
	const char *const *sysctl; /* "net/ipv4/ip_forward=1", ...: NULL-terminated, or NULL. The
				    * child writes them under its own /proc/sys, in its own netns,
				    * before it reports ready */
	int extra_flags;	/* CLONE_NEWCGROUP and/or CLONE_NEWTIME, beyond the six */
	uint32_t id_base;	/* root inside is this uid/gid outside, NS_ID_COUNT ids from there;
				 * 0: NS_ID_BASE */
	const char *const *cgroup_procs; /* NULL-terminated cgroup.procs files, or NULL: ns_spawn
					  * moves the calling process into each before clone3, so
					  * the child is born in them (limited before it runs
					  * anything, and a new cgroup namespace is rooted there) */
	int fs;			/* enum rootfs_mode: ROOTFS_OWN (0), its own root; ROOTFS_SHARED,
				 * the machine's root read-only. The same for every host a process
				 * spawns (rootfs.h: the first ns_spawn stages it) */
};

struct ns_child {
	pid_t pid;
	int pidfd;
	int sync_fd;		/* parent's end of the handshake socket */
	unsigned long long start;	/* its start time, as it reported when ready */
};

/* clone3 a child in new user, mnt, pid, net, uts and ipc namespaces (CLONE_PIDFD), write its
 * uid/gid maps, and leave it waiting for ns_go(). On failure nothing is left running. The first
 * call moves the calling process into a private mount namespace, where the hosts' roots are
 * staged (rootfs.h): call it only in a process made for spawning (ns_spawner_start). */
int ns_spawn(const struct ns_spec *spec, struct ns_child *out, struct lab_error **err);

/* Let the child set itself up: mounts, hostname, then report ready. */
int ns_go(struct ns_child *c, struct lab_error **err);

/* Read the child's report: 0 when it is ready (c->start set), < 0 with its error. Blocks. */
int ns_read_ready(struct ns_child *c, struct lab_error **err);

/* The lab is recorded: the child becomes a plain PID 1, to live until `down`, and its socket is
 * closed. Before this word, the end of the socket ends the child (`up` failed or died); it has
 * stopped dying with its parent when it reported ready, so `up` may exit right after. */
int ns_commit(struct ns_child *c, struct lab_error **err);

/* Kill (SIGKILL through the pidfd) and reap a child of ours; closes its fds. */
void ns_abort(struct ns_child *c);

/* A spawner: a helper process, forked while our fd table is still small, that clones the hosts
 * (ns_spawn and ns_go, by a callback) while we cable the ones before, and hands each back: its
 * pid, and its pidfd and socket by SCM_RIGHTS. Each clone copies the fd table of the process
 * that calls it, and each host closes what it inherited: from us, with two fds per host already
 * made, that was quadratic. Hosts are the helper's children; we are their subreaper until
 * ns_spawner_finish or ns_spawner_abort. */
struct ns_spawner {
	pid_t pid;
	int fd;			/* our end of the helper's socket */
};
typedef int ns_spawn_fn(void *arg, size_t i, struct ns_child *out, struct lab_error **err);

int ns_spawner_start(struct ns_spawner *s, ns_spawn_fn *fn, void *arg, struct lab_error **err);
/* Ask for child i; ask in order, take in the same order (several may be asked ahead). */
int ns_spawner_ask(struct ns_spawner *s, size_t i, struct lab_error **err);
int ns_spawner_take(struct ns_spawner *s, size_t i, struct ns_child *out, struct lab_error **err);
/* All children are committed (they no longer die with the helper): let the helper exit. */
void ns_spawner_finish(struct ns_spawner *s);
/* Kill the helper, the known children (their fds are closed, pids kept) and every child the
 * helper made but did not hand back yet (they die with it), and reap them all. */
void ns_spawner_abort(struct ns_spawner *s, struct ns_child *known, size_t n);

/* Open a pidfd for pid, but only if it is still the process that started at start_ticks.
 * Returns the pidfd, -ESRCH if that process is gone (or the PID was reused). */
int ns_pidfd_verified(pid_t pid, unsigned long long start_ticks, struct lab_error **err);

/* Enter all namespaces of the process behind pidfd (user first), then become root inside. The
 * calling process itself moves; children it forks are in the host's PID namespace. */
int ns_enter(int pidfd, int extra_flags, struct lab_error **err);

/* After ns_enter, in a forked child: become uid/gid 0 of the host (drops real root). */
int ns_become_root(struct lab_error **err);

/* Inode of /proc/PID/ns/<name>, 0 if unreadable. */
unsigned long ns_inode(pid_t pid, const char *name);

#endif
