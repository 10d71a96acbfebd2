/* What the parts of rootfs.c share (rootfs.c: the spawner's stage; rootfs_upper.c: the host's
 * upper layer; rootfs_host.c: inside the host). Not for other modules: rootfs.h is the interface. */
#ifndef NETLAB_ROOTFS_INT_H
#define NETLAB_ROOTFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "rootfs.h"

/* The stage: ROOTFS_STAGE/host (the host's own tmpfs: upper and work), ROOTFS_STAGE/r (where it
 * assembles its root), and the slots: ROOTFS_STAGE/B/K, slot K of batch B (a or b), a tmpfs of
 * SLOTS slots, each holding one host's lower (the read-only clone of /), and for the "parent"
 * upper its tmpfs (up) and overlay (root). A host copies the stage when it is ready (at its own
 * pace: we do not wait), so a slot is never reused: once every host of a batch has copied it, the
 * whole batch is detached at once (one umount, not one per host: each costs an RCU grace period).
 * Shared roots: one slot, ROOTFS_STAGE/s, the same for every host. */
#define STAGE_HOST ROOTFS_STAGE "/host"
#define STAGE_R ROOTFS_STAGE "/r"
#define SLOTS 16
#define COPY_TIMEOUT_MS 10000

/* Upper layer size per host: a limit, not a reservation (tmpfs takes pages as they are written). */
#define UPPER_OPTS "mode=755,size=1g"

/* A host's /etc/resolv.conf: no name server. The machine's are never reachable from a host (lab
 * traffic stays in the lab), and asking them from a host with a default route into the lab made
 * every lookup wait for the resolver's timeouts (apache2 took 30 s to start). With none, glibc asks
 * 127.0.0.1 (resolv.conf(5)), which fails at once unless the host runs a server. A Kathará
 * device's etc/resolv.conf or a topology's files: replace it. */
extern const char rootfs_resolv_conf[];

/* What the spawner learns once and every host it clones inherits (clone copies our memory). */
struct rootfs_state {
	bool ready;
	int mode;
	bool parent_upper;	/* the overlay is mounted by us (kernels < 6.6: no user xattrs on
				 * tmpfs for an overlay mounted inside the host's user namespace) */
	char *hosts, *shadow, *gshadow, *default_ssh;
	size_t hosts_len, shadow_len, gshadow_len, default_ssh_len;
	size_t nkeys;
	char keys[16][64];	/* /etc/ssh/ssh_host_*: hidden, so sshd makes the host's own */
	uid_t bird_uid;
	gid_t bird_gid;
	bool shim;		/* the machine has no /usr/local/bin/systemctl of its own */
	size_t nrt;
	struct rt_entry {	/* what systemd-tmpfiles --create --prefix=/run would make */
		char type;	/* 'd', 'f' or 'L' */
		mode_t mode;
		uid_t uid;
		gid_t gid;
		char path[96], target[64];
	} rt[96];
	char slot[64];		/* this host's slot (chosen before its clone: it inherits it) */
	int batch;		/* the batch being filled: 0 (a) or 1 (b) */
	size_t used;		/* slots of it taken */
	bool mounted[2];
	pid_t pids[2][SLOTS];	/* who took each slot (0: nobody, or a failed clone) */
	ino_t own_mnt;		/* our mount namespace: a host has copied it once its own differs */
};
extern struct rootfs_state rootfs_st;

/* ROOTFS_STAGE/<this host's slot>/rel into out. */
void rootfs_slot_path(char *out, size_t len, const char *rel);

/* The host's layer before the overlay is mounted (rootfs_upper.c). xattr_ns: "user." when the
 * host mounts the overlay (userxattr), "trusted." when we do. */
int rootfs_prepare_upper(const char *upper, const char *xattr_ns, const char *hostname,
			 struct lab_error **err);

#endif
