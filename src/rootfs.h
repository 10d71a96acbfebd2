/* A host's root filesystem: its own copy-on-write view of the machine's root (an overlay over a
 * read-only idmapped clone of "/"), or, when asked, the machine's root read-only ("shared").
 *
 * The machine's files reach a host only through mounts that the kernel locks: they are staged in
 * the spawner's private mount namespace and the host copies that namespace into its own, less
 * privileged one, so that root in the host can neither make them writable nor unmount them
 * (fs/namespace.c: lock_mnt_tree, MNT_LOCK_READONLY). The host then builds its root on top, pivots
 * into it and detaches the old root: nothing of the machine's mount table stays reachable. */
#ifndef NETLAB_ROOTFS_H
#define NETLAB_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum rootfs_mode {
	ROOTFS_OWN = 0,		/* own root: overlay, upper layer per host, lower idmapped to it */
	ROOTFS_SHARED = 1,	/* the machine's root, read-only, its files owned by nobody */
};

/* Where the spawner stages the mounts hosts copy: a tmpfs over this directory, in the spawner's
 * own mount namespace only (the machine never sees it). Not /tmp: what runs in the spawner (say,
 * valgrind writing its log to a mktemp directory) may need the machine's /tmp. FHS has /mnt for
 * temporary mounts; the spawner needs nothing under it. */
#define ROOTFS_STAGE "/mnt"

struct rootfs_spec {
	int mode;		/* enum rootfs_mode */
	const char *hostname;	/* written to /etc/hostname (own root) */
	const char *hosts_path;	/* the lab's hosts file, the same for every host: copied into
				 * /etc/hosts (own root) or bound over it (shared); NULL: none */
	uint32_t id_base;	/* root of the host is this uid/gid outside (own root: the idmap) */
};

/* In the spawner, for host `pid` just cloned (its id maps written, still in our mount namespace):
 * the first call moves the calling process into a private mount namespace with the stage
 * (ROOTFS_STAGE); then, for an own root, the host's read-only idmapped clone of "/" is attached
 * there (and, with the "parent" upper, the whole overlay). The host must copy our mount namespace
 * (unshare(CLONE_NEWNS)) before rootfs_unstage. Errors say what to do instead (--fs shared). */
int rootfs_stage(const struct rootfs_spec *s, pid_t pid, struct lab_error **err);

/* Detach what rootfs_stage attached for one host (after the host copied the namespace). */
void rootfs_unstage(const struct rootfs_spec *s);

/* Whether hosts copy the namespace only after rootfs_stage (own root), or may be cloned into a
 * copy of it straight away (shared: the stage is the same for every host). */
bool rootfs_stage_per_host(const struct rootfs_spec *s);

/* In the host, in its own mount namespace (a copy of the stage), as root of its user namespace:
 * build the root (overlay or read-only bind, /etc files, masks, proc, sysfs, /dev, /run, /tmp,
 * /var/tmp), pivot_root into it and detach the old root. */
int rootfs_enter(const struct rootfs_spec *s, struct lab_error **err);

/* After rootfs_enter, still in the host: the runtime directories packages expect under /run. */
int rootfs_runtime_dirs(const struct rootfs_spec *s, struct lab_error **err);

/* "own root" / "machine's root" */
const char *rootfs_mode_text(int mode);

/* For up --explain, the by-hand equivalent of a host's root: prep, run as root on the machine
 * before the host's unshare (util-linux >= 2.39 for X-mount.idmap); inner, what the host's shell
 * runs inside its namespaces, up to pivot_root. By hand, the lower is not locked as netlab's is. */
void rootfs_explain(const struct rootfs_spec *s, char *prep, size_t plen, char *inner, size_t ilen);

/* Whether the overlay of an own root is mounted by the spawner ("parent": Linux < 6.6, where tmpfs
 * has no user.* xattrs, or NETLAB_ROOTFS_UPPER=parent) rather than by the host on its own tmpfs
 * with the userxattr option (NETLAB_ROOTFS_UPPER=tmpfs forces that). */
bool rootfs_upper_by_parent(void);

#endif
