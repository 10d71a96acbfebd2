/* Inside a new host, before it runs anything: its overlay root, /proc, /sys, /dev, /run, /tmp,
 * pivot_root; then the runtime directories of /run; and the by-hand text for --explain. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "ns.h"
#include "util.h"
#include "rootfs_int.h"

/* -------------------------------------------------------------------------------- in the host */

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
	       const char *opts, struct lab_error **err)
{
	if (mount(src, dst, type ? type : "none", flags, opts) < 0)
		return lab_err(err, errno, "mount %s on %s", type ? type : src, dst);
	return 0;
}

static int make_dev(const char *r, struct lab_error **err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = { { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" } };
	char path[128], src[32];

	snprintf(path, sizeof(path), "%s/dev", r);
	if (mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k", err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/dev/%s", r, nodes[i]);
		snprintf(src, sizeof(src), "/dev/%s", nodes[i]);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return lab_err(err, errno, "create %s", path);
		close(fd);
		if (mnt(src, path, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/dev/%s", r, links[i][0]);
		if (symlink(links[i][1], path) < 0)
			return lab_err(err, errno, "symlink %s", path);
	}
	snprintf(path, sizeof(path), "%s/dev/pts", r);
	if (mkdir(path, 0755) < 0 ||
	    mnt("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620,gid=5", err) < 0)
		return lab_err(err, errno, "the host's devpts");
	snprintf(path, sizeof(path), "%s/dev/shm", r);
	if (mkdir(path, 0755) < 0 ||
	    mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
		return lab_err(err, errno, "the host's /dev/shm");
	snprintf(path, sizeof(path), "%s/dev/mqueue", r);
	if (mkdir(path, 0755) < 0 ||
	    mnt("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return lab_err(err, errno, "the host's /dev/mqueue");
	return 0;
}

int rootfs_enter(const struct rootfs_spec *s, struct lab_error **err)
{
	const char *r = STAGE_R;
	char path[128], lower[96], root[96];

	umask(022);
	rootfs_slot_path(lower, sizeof(lower), "lower");
	rootfs_slot_path(root, sizeof(root), "root");
	if (s->mode == ROOTFS_SHARED) {
		/* recursive: the locked covers come along (and stay locked) */
		if (mnt(lower, r, NULL, MS_BIND | MS_REC, NULL, err) < 0)
			return -1;
	} else if (rootfs_st.parent_upper) {
		if (mnt(root, r, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	} else {
		char opts[400];

		if (mnt("tmpfs", STAGE_HOST, "tmpfs", MS_NOSUID | MS_NODEV, UPPER_OPTS, err) < 0)
			return -1;
		if (mkdir(STAGE_HOST "/u", 0755) < 0 || mkdir(STAGE_HOST "/w", 0700) < 0)
			return lab_err(err, errno, "create the upper and work directories");
		if (rootfs_prepare_upper(STAGE_HOST "/u", "user.", s->hostname, err) < 0)
			return -1;
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/u,workdir=%s/w,userxattr",
			 lower, STAGE_HOST, STAGE_HOST);
		if (mount("overlay", r, "overlay", 0, opts) < 0)
			return lab_err(err, errno, "mount the overlay for the host's root (%s)", opts);
	}
	/* proc and sysfs before the old root goes: the kernel lets a user namespace mount them only
	 * where a full view of them is already mounted (fs/namespace.c: mount_too_revealing) */
	snprintf(path, sizeof(path), "%s/proc", r);
	if (mnt("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/sys", r);
	if (mnt("sysfs", path, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return -1;
	if (make_dev(r, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/run", r);
	if (mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755", err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tmp", r);
	if (mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/var/tmp", r);
	if (mnt("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
		return -1;
	if (chdir(r) < 0)
		return lab_err(err, errno, "chdir %s", r);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return lab_err(err, errno, "pivot_root into the host's root");
	/* the machine's mount table goes with the old root: nothing of it is reachable any more */
	if (umount2(".", MNT_DETACH) < 0)
		return lab_err(err, errno, "detach the old root");
	if (chdir("/") < 0)
		return lab_err(err, errno, "chdir /");
	return 0;
}

/* mkdir -p of path's parents, 0755 */
static void make_parents(const char *path)
{
	char p[128];

	snprintf(p, sizeof(p), "%s", path);
	for (char *c = p + 1; (c = strchr(c, '/')); c++) {
		*c = '\0';
		mkdir(p, 0755);
		*c = '/';
	}
}

int rootfs_runtime_dirs(const struct rootfs_spec *s, struct lab_error **err)
{
	/* what the packages' units make that tmpfiles.d does not (RuntimeDirectory=sshd in
	 * ssh.service; bird.service's prepare-environment) */
	struct rt_entry extra[] = { { .type = 'd', .mode = 01777, .path = "/run/lock" },
				    { .type = 'd', .mode = 0755, .path = "/run/sshd" },
				    { .type = 'd', .mode = 0775, .uid = rootfs_st.bird_uid, .gid = rootfs_st.bird_gid,
				      .path = "/run/bird" } };

	(void)s;
	for (size_t i = 0; i < rootfs_st.nrt + sizeof(extra) / sizeof(extra[0]); i++) {
		const struct rt_entry *e = i < rootfs_st.nrt ? &rootfs_st.rt[i] : &extra[i - rootfs_st.nrt];
		int r;

		for (int tries = 0; tries < 2; tries++) {
			if (e->type == 'd')
				r = mkdir(e->path, e->mode);
			else if (e->type == 'L')
				r = symlink(e->target, e->path);
			else
				r = mknod(e->path, S_IFREG | e->mode, 0);
			if (r == 0 || errno != ENOENT)
				break;
			make_parents(e->path);	/* tmpfiles.d need not list the parents */
		}
		if (r < 0 && errno == EEXIST)
			continue;	/* the first line for a path wins */
		if (r < 0)
			return lab_err(err, errno, "create %s", e->path);
		/* umask 022 took group and other write bits; setuid/setgid/sticky need chmod too */
		if (e->type != 'L' && (e->mode & 07022) && chmod(e->path, e->mode) < 0)
			return lab_err(err, errno, "chmod %s", e->path);
		if (e->type != 'L' && (e->uid || e->gid) && chown(e->path, e->uid, e->gid) < 0)
			return lab_err(err, errno, "chown %s", e->path);
	}
	return 0;
}

void rootfs_explain(const struct rootfs_spec *s, char *prep, size_t plen, char *inner, size_t ilen)
{
	unsigned id = s->id_base;
	char d[64];

	snprintf(d, sizeof(d), "/tmp/netlab-%s", s->hostname);
	if (s->mode == ROOTFS_SHARED)
		snprintf(prep, plen, "mkdir -p %1$s/root && mount --bind -o ro / %1$s/root && "
			 "mount --bind -o ro %2$s %1$s/root/etc/hosts", d, s->hosts_path ? s->hosts_path : "/etc/hosts");
	else
		snprintf(prep, plen, "mkdir -p %1$s && mount -t tmpfs tmpfs %1$s && mkdir %1$s/lower %1$s/upper "
			 "%1$s/work %1$s/root && mount --bind -o ro,X-mount.idmap=0:%2$u:%3$u / %1$s/lower && "
			 "chown %2$u:%2$u %1$s/upper && mount -t overlay overlay -o lowerdir=%1$s/lower,"
			 "upperdir=%1$s/upper,workdir=%1$s/work %1$s/root && install -o %2$u -g %2$u -m 644 "
			 "%4$s %1$s/root/etc/hosts && echo %5$s > %1$s/root/etc/hostname",
			 d, id, NS_ID_COUNT, s->hosts_path ? s->hosts_path : "/etc/hosts", s->hostname);
	snprintf(inner, ilen, "cd %1$s/root && mount --bind . . && cd %1$s/root && mount -t proc proc proc && "
		 "mount -t sysfs sysfs sys && mount -t tmpfs -o mode=755 tmpfs dev && for n in null zero "
		 "full random urandom tty; do touch dev/$n && mount --bind /dev/$n dev/$n; done && "
		 "mkdir dev/pts dev/shm dev/mqueue && mount -t devpts -o newinstance,ptmxmode=0666 devpts "
		 "dev/pts && ln -s pts/ptmx dev/ptmx && mount -t tmpfs -o mode=1777 tmpfs dev/shm && "
		 "mount -t mqueue mqueue dev/mqueue && mount -t tmpfs -o mode=755 tmpfs run && "
		 "mount -t tmpfs -o mode=1777 tmpfs tmp && mount -t tmpfs -o mode=1777 tmpfs var/tmp && "
		 "pivot_root . . && umount -l . && cd / && systemd-tmpfiles --create --prefix=/run; "
		 "mkdir -p /run/sshd /run/bird",
		 d);
}

