/* Each host's upper layer (the writable half of its own root): /etc/hosts, hostname and
 * resolv.conf, the machine's secrets hidden, the systemctl shim, empty directories under its own mounts. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <grp.h>
#include <limits.h>
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

/* ------------------------------------------------------------------------ the host's upper layer */

/* Entries of the layer are made by root of the namespace writing it, with umask 0 (prepare_upper),
 * so a new one is 0:0 with the mode asked for: chown and chmod only where the lower's differ, or
 * where a set-group-ID directory made earlier may have passed its group on. */
static bool sgid_made;

/* Create upper/rel as the lower shows it (owner, mode): the lower is seen idmapped, through the
 * stage, so the ids come out right for whoever writes the upper (the host, or us for it).
 * if_lower: only if the lower has it. */
static int upper_dir(const char *upper, const char *rel, const char *xattr, bool if_lower,
		     struct lab_error **err)
{
	char lower[256], path[256];
	struct stat sb;
	bool made = false;
	int r;

	snprintf(lower, sizeof(lower), "%s/lower/%s", rootfs_st.slot, rel);
	snprintf(path, sizeof(path), "%s/%s", upper, rel);
	r = lstat(lower, &sb);
	/* as access(2) sees it: a symbolic link counts if it leads somewhere */
	if (if_lower && (r < 0 || (S_ISLNK(sb.st_mode) && access(lower, F_OK) < 0)))
		return 0;
	if (r < 0 || !S_ISDIR(sb.st_mode)) {
		rootfs_slot_path(lower, sizeof(lower), "lower");
		if (stat(lower, &sb) < 0)
			return lab_err(err, errno, "stat %s", lower);
		sb.st_mode = S_IFDIR | 0755;
	}
	if (*rel && mkdir(path, sb.st_mode & 01777) == 0)
		made = true;
	else if (*rel && errno != EEXIST)
		return lab_err(err, errno, "create %s in the host's layer", rel);
	if (((!made || sb.st_uid || sb.st_gid || sgid_made) && chown(path, sb.st_uid, sb.st_gid) < 0) ||
	    ((!made || (sb.st_mode & (S_ISUID | S_ISGID))) && chmod(path, sb.st_mode & 07777) < 0))
		return lab_err(err, errno, "set owner and mode of %s in the host's layer", rel);
	if (sb.st_mode & S_ISGID)
		sgid_made = true;
	/* an opaque directory: the lower's entries do not show through it */
	if (xattr && setxattr(path, xattr, "y", 1, 0) < 0)
		return lab_err(err, errno, "make %s opaque in the host's layer", rel);
	return 0;
}

static int upper_file(const char *upper, const char *rel, const char *data, size_t len, mode_t mode,
		      struct lab_error **err)
{
	char lower[256], path[256];
	_cleanup_close_ int fd = -1;
	struct stat sb;

	snprintf(lower, sizeof(lower), "%s/lower/%s", rootfs_st.slot, rel);
	snprintf(path, sizeof(path), "%s/%s", upper, rel);
	if (lstat(lower, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rootfs_slot_path(lower, sizeof(lower), "lower");
		if (stat(lower, &sb) < 0)
			return lab_err(err, errno, "stat %s", lower);
		sb.st_mode = mode;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, sb.st_mode & 0777);
	if (fd < 0)
		return lab_err(err, errno, "create %s in the host's layer", rel);
	if (len && util_write_all(fd, data, len) < 0)
		return lab_err(err, errno, "write %s in the host's layer", rel);
	if (((sb.st_uid || sb.st_gid || sgid_made) && fchown(fd, sb.st_uid, sb.st_gid) < 0) ||
	    ((sb.st_mode & 07000) && fchmod(fd, sb.st_mode & 07777) < 0))
		return lab_err(err, errno, "set owner and mode of %s in the host's layer", rel);
	return 0;
}

/* /etc/hosts: the lab's (every address netlab gave, up.c: write_hosts_file), and where that does
 * not name the host (it has no address of netlab's: a Kathará device, an empty host),
 * "127.0.1.1 NAME", as Debian's installer writes for a machine without a fixed address, so that
 * the host's own name resolves (apache2, sudo and `hostname -f` look it up). */
static int upper_hosts(const char *upper, const char *hostname, struct lab_error **err)
{
	char line[HOST_NAME_MAX + 16], tab[HOST_NAME_MAX + 3], path[256];	/* a UTS name: limits.h */
	const char *t = rootfs_st.hosts;
	size_t len = rootfs_st.hosts_len, n;
	_cleanup_close_ int fd = -1;
	bool named = false;

	if (upper_file(upper, "etc/hosts", t, len, 0644, err) < 0)
		return -1;
	snprintf(tab, sizeof(tab), "\t%s", hostname);
	n = strlen(tab);
	for (const char *p = t; !named && (p = memmem(p, len - (size_t)(p - t), tab, n)); p += n)
		named = p + n == t + len || p[n] == ' ' || p[n] == '\n';
	if (named)
		return 0;
	snprintf(line, sizeof(line), "127.0.1.1\t%s\n", hostname);
	snprintf(path, sizeof(path), "%s/etc/hosts", upper);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || util_write_all(fd, line, strlen(line)) < 0)
		return lab_err(err, errno, "write etc/hosts in the host's layer");
	return 0;
}

static int fill_upper(const char *upper, const char *xattr_ns, const char *hostname,
		      struct lab_error **err)
{
	static const char *const opaque[] = { "tmp", "run", "dev", "root", "home", "var/tmp",
					      "etc/ssl/private", "mnt", "media", "srv", "opt" };
	static const char *const dirs[] = { "etc", "var", "etc/ssl", "usr", "usr/local", "usr/local/bin",
					    "etc/default" };
	static const char shim[] =
		"#!/bin/sh\n"
		"# netlab: there is no systemd in a netlab host; units with an init script run it.\n"
		"# script_of NAME: the init script of unit NAME, through Debian's unit aliases (bind9 is named on\n"
		"# Debian 12, sshd is ssh): a unit symlink in /etc/systemd/system, or an Alias= line of a unit.\n"
		"script_of() {\n"
		"\tn=${1%.service}\n"
		"\tcase $n in ''|*/*|.*) return 1;; esac\n"
		"\t[ -x \"/etc/init.d/$n\" ] && { echo \"$n\"; return 0; }\n"
		"\tfor f in \"/etc/systemd/system/$n.service\" \"/lib/systemd/system/$n.service\"; do\n"
		"\t\t[ -L \"$f\" ] || continue\n"
		"\t\tt=$(readlink \"$f\"); t=${t##*/}; t=${t%.service}\n"
		"\t\t[ -x \"/etc/init.d/$t\" ] && { echo \"$t\"; return 0; }\n"
		"\tdone\n"
		"\tfor f in $(grep -l '^Alias=' /lib/systemd/system/*.service 2>/dev/null); do\n"
		"\t\tfor a in $(sed -n 's/^Alias=//p' \"$f\"); do\n"
		"\t\t\t[ \"$a\" = \"$n.service\" ] || continue\n"
		"\t\t\tt=${f##*/}; t=${t%.service}\n"
		"\t\t\t[ -x \"/etc/init.d/$t\" ] && { echo \"$t\"; return 0; }\n"
		"\t\tdone\n"
		"\tdone\n"
		"\treturn 1\n"
		"}\n"
		"act=$1; [ $# -gt 0 ] && shift\n"
		"case $act in\n"
		"start|stop|restart|reload|force-reload|status|try-restart|reload-or-restart)\n"
		"\t[ $# -gt 0 ] || { echo \"systemctl: no unit given\" >&2; exit 2; }\n"
		"\t[ \"$act\" = reload-or-restart ] && act=restart\n"
		"\trc=0\n"
		"\tfor u in \"$@\"; do\n"
		"\t\tif s=$(script_of \"$u\"); then \"/etc/init.d/$s\" \"$act\" || rc=$?\n"
		"\t\telse echo \"systemctl: no systemd in this netlab host and no /etc/init.d/${u%.service}:"
		" start ${u%.service}'s daemon by hand\" >&2; rc=1; fi\n"
		"\tdone\n"
		"\texit $rc;;\n"
		"is-active)\n"
		"\ts=$(script_of \"$1\") && \"/etc/init.d/$s\" status >/dev/null 2>&1 && { echo active; exit 0; };"
		" echo inactive; exit 3;;\n"
		"*)\n"
		"\techo \"systemctl $act: no systemd in this netlab host; use 'systemctl start|stop|restart|"
		"status NAME', 'service NAME start' or /etc/init.d/NAME start\" >&2; exit 1;;\n"
		"esac\n";
	char opq[64], name[128], line[80];

	snprintf(opq, sizeof(opq), "%soverlay.opaque", xattr_ns);
	sgid_made = false;
	if (upper_dir(upper, "", NULL, false, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (upper_dir(upper, dirs[i], NULL, false, err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(opaque) / sizeof(opaque[0]); i++)
		if (upper_dir(upper, opaque[i], opq, strcmp(opaque[i], "tmp") && strcmp(opaque[i], "run"),
			      err) < 0)
			return -1;
	snprintf(line, sizeof(line), "%s\n", hostname);
	if (upper_file(upper, "etc/hostname", line, strlen(line), 0644, err) < 0)
		return -1;
	if (rootfs_st.hosts && upper_hosts(upper, hostname, err) < 0)
		return -1;
	if (upper_file(upper, "etc/resolv.conf", rootfs_resolv_conf, strlen(rootfs_resolv_conf), 0644, err) < 0)
		return -1;
	if (rootfs_st.shadow && upper_file(upper, "etc/shadow", rootfs_st.shadow, rootfs_st.shadow_len, 0640, err) < 0)
		return -1;
	if (rootfs_st.gshadow && upper_file(upper, "etc/gshadow", rootfs_st.gshadow, rootfs_st.gshadow_len, 0640, err) < 0)
		return -1;
	if (rootfs_st.default_ssh &&
	    upper_file(upper, "etc/default/ssh", rootfs_st.default_ssh, rootfs_st.default_ssh_len, 0644, err) < 0)
		return -1;
	if (rootfs_st.shim && upper_file(upper, "usr/local/bin/systemctl", shim, sizeof(shim) - 1, 0755, err) < 0)
		return -1;
	if (rootfs_st.nkeys && upper_dir(upper, "etc/ssh", NULL, false, err) < 0)
		return -1;
	for (size_t i = 0; i < rootfs_st.nkeys; i++) {
		/* a whiteout (char 0:0): the machine's key is gone from the host's view */
		snprintf(name, sizeof(name), "%s/etc/ssh/%s", upper, rootfs_st.keys[i]);
		if (mknod(name, S_IFCHR, makedev(0, 0)) < 0)
			return lab_err(err, errno, "hide /etc/ssh/%s from the host", rootfs_st.keys[i]);
	}
	return 0;
}

/* The host's layer before the overlay is mounted: its /etc/hosts and /etc/hostname, the machine's
 * secrets hidden (password hashes, SSH host keys, /root, /home), and empty directories under
 * what the host mounts its own filesystems on, so that unmounting one reveals nothing.
 * xattr_ns: "user." when the host mounts the overlay (userxattr), "trusted." when we do. */
int rootfs_prepare_upper(const char *upper, const char *xattr_ns, const char *hostname,
			 struct lab_error **err)
{
	mode_t old = umask(0);
	int r = fill_upper(upper, xattr_ns, hostname, err);

	umask(old);
	return r;
}

