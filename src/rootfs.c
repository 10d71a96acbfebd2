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

/* What the spawner learns once and every host it clones inherits (clone copies our memory). */
static struct {
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
} st;

static void slot_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", st.slot, rel);
}

const char *rootfs_mode_text(int mode)
{
	return mode == ROOTFS_SHARED ? "machine's root" : "own root";
}

bool rootfs_stage_per_host(const struct rootfs_spec *s)
{
	return s->mode == ROOTFS_OWN;
}

static int read_all_file(const char *path, char **out, size_t *out_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (fd < 0)
		return -1;
	buf = malloc(cap);
	for (;;) {
		ssize_t n;

		if (!buf)
			return -1;
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *b = realloc(buf, cap * 2);
			if (!b)
				free(buf);
			buf = b;
			cap *= 2;
		}
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* /etc/shadow or /etc/gshadow with every password field replaced by "*": accounts stay valid
 * (sshd, su and PAM look them up), hashes never reach a host. */
static void sanitize_shadow(char *text, size_t *len)
{
	char *out = text, *p = text, *end = text + *len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line_end = nl ? nl : end;
		char *c1 = memchr(p, ':', (size_t)(line_end - p));
		char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line_end - c1 - 1)) : NULL;

		if (c1 && c2) {
			size_t n1 = (size_t)(c1 + 1 - p), n2 = (size_t)(line_end - c2);

			memmove(out, p, n1);
			out += n1;
			*out++ = '*';
			memmove(out, c2, n2);
			out += n2;
		}
		if (nl)
			*out++ = '\n';
		p = line_end + 1;
	}
	*len = (size_t)(out - text);
}

static int upper_on_tmpfs_ok(void)
{
	const char *env = getenv("NETLAB_ROOTFS_UPPER");
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (env && !strcmp(env, "parent"))
		return 0;
	if (env && !strcmp(env, "tmpfs"))
		return 1;
	/* tmpfs has user.* xattrs (which overlayfs needs with userxattr) since Linux 6.6 */
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 6);
}

bool rootfs_upper_by_parent(void)
{
	return !upper_on_tmpfs_ok();
}

static int stage_dirs(struct lab_error **err)
{
	static const char *const dirs[] = { STAGE_HOST, STAGE_R, ROOTFS_STAGE "/a", ROOTFS_STAGE "/b",
					    ROOTFS_STAGE "/s", ROOTFS_STAGE "/s/lower" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755) < 0)
			return lab_err(err, errno, "create %s in the stage", dirs[i]);
	return 0;
}

/* A fresh tmpfs of SLOTS slots on batch b. */
static int batch_mount(int b, struct lab_error **err)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%c", ROOTFS_STAGE, 'a' + b);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return lab_err(err, errno, "mount the stage's batch %s", path);
	st.mounted[b] = true;
	for (int k = 0; k < SLOTS; k++) {
		static const char *const sub[] = { "", "/lower", "/up", "/root" };

		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			char d[96];

			snprintf(d, sizeof(d), "%s/%d%s", path, k, sub[i]);
			if (mkdir(d, 0755) < 0)
				return lab_err(err, errno, "create %s", d);
		}
		st.pids[b][k] = 0;
	}
	return 0;
}

/* Has host pid copied our mount namespace (or is it gone)? */
static bool copied(pid_t pid)
{
	char path[64];
	struct stat sb;

	if (pid <= 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return stat(path, &sb) < 0 || sb.st_ino != st.own_mnt;
}

/* The next slot, for the host about to be cloned. When a batch is full, the other one is used,
 * after every host that took a slot of it has copied the stage; then all of it goes at once. */
static int slot_next(struct lab_error **err)
{
	if (st.used == SLOTS) {
		int b = 1 - st.batch;

		if (st.mounted[b]) {
			char path[64];

			for (int k = 0; k < SLOTS; k++) {
				int waited = 0;

				while (!copied(st.pids[b][k])) {
					if (waited++ > COPY_TIMEOUT_MS * 5)
						return lab_err(err, ETIMEDOUT, "host process %d did not copy its "
							       "staged root", (int)st.pids[b][k]);
					usleep(200);
				}
			}
			snprintf(path, sizeof(path), "%s/%c", ROOTFS_STAGE, 'a' + b);
			if (umount2(path, MNT_DETACH) < 0)
				return lab_err(err, errno, "detach the stage's batch %s", path);
			st.mounted[b] = false;
		}
		if (batch_mount(b, err) < 0)
			return -1;
		st.batch = b;
		st.used = 0;
	}
	snprintf(st.slot, sizeof(st.slot), "%s/%c/%zu", ROOTFS_STAGE, 'a' + st.batch, st.used);
	st.pids[st.batch][st.used++] = 0;
	return 0;
}

/* The host's lower layer: a non-recursive clone of /, idmapped with the host's user namespace
 * (any with the same map would do: the mount keeps a copy of it), read-only, nodev. */
static int attach_clone(int userns, struct lab_error **err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_IDMAP,
				   .userns_fd = (uint64_t)userns };
	_cleanup_close_ int mfd = -1;
	char lower[96];

	/* non-recursive: the root filesystem only, none of the machine's other mounts */
	mfd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0)
		return lab_err(err, errno, "open_tree(/): cannot clone the machine's root mount (Linux "
				       ">= 5.2 has it; or run 'netlab up --fs shared')");
	if (mount_setattr(mfd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return lab_err(err, errno, "idmapped mount of the machine's root refused (a host's "
				       "own root needs idmapped mounts: Linux >= 5.19 and a root "
				       "filesystem such as ext4, xfs or btrfs; or run 'netlab up "
				       "--fs shared' to give hosts the machine's root, read-only)");
	slot_path(lower, sizeof(lower), "lower");
	if (move_mount(mfd, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return lab_err(err, errno, "attach the clone of / at %s", lower);
	return 0;
}

/* Shared root: the machine's root filesystem, read-only, and under what the host mounts its own
 * /tmp, /run, ... on, empty locked tmpfs, so that unmounting them reveals nothing of the machine.
 * Plain mount(2) binds (no idmap is needed): this works where the new mount API does not. */
static int stage_shared(const struct rootfs_spec *s, struct lab_error **err)
{
	static const char *const blocked[] = { "tmp", "var/tmp", "run", "dev", "root", "home" };
	const unsigned long ro = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
	char lower[96], hosts[96];

	if (mount("tmpfs", ROOTFS_STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return lab_err(err, errno, "mount the stage tmpfs on %s", ROOTFS_STAGE);
	snprintf(st.slot, sizeof(st.slot), "%s/s", ROOTFS_STAGE);
	if (stage_dirs(err) < 0)
		return -1;
	slot_path(lower, sizeof(lower), "lower");
	/* non-recursive: the root filesystem only, none of the machine's other mounts */
	if (mount("/", lower, "none", MS_BIND, NULL) < 0 || mount("none", lower, "none", ro, NULL) < 0)
		return lab_err(err, errno, "bind the machine's root read-only at %s", lower);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		char path[128];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/lower/%s", st.slot, blocked[i]);
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=755,size=4k") < 0)
			return lab_err(err, errno, "cover %s", path);
	}
	slot_path(hosts, sizeof(hosts), "lower/etc/hosts");
	if (s->hosts_path && (mount(s->hosts_path, hosts, "none", MS_BIND, NULL) < 0 ||
			      mount("none", hosts, "none", ro, NULL) < 0))
		return lab_err(err, errno, "bind %s over the hosts' /etc/hosts", s->hosts_path);
	return 0;
}

static int rt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rt_entry *)a)->path, ((const struct rt_entry *)b)->path);
}

/* One tmpfiles.d line, if it makes something under /run at --create time without --boot: d/D
 * (a directory), f (an empty file), L (a symlink); no specifiers. The first line for a path wins,
 * as with systemd-tmpfiles. */
static void rt_line(char *line)
{
	char type[8], path[128], mode[16], user[64], group[64], age[32], arg[128];
	struct rt_entry *e;
	int n = sscanf(line, "%7s %127s %15s %63s %63s %31s %127s", type, path, mode, user, group,
		       age, arg);

	if (n < 2 || strchr(type, '!') || strchr(path, '%') || strncmp(path, "/run/", 5) ||
	    !strchr("dDfL", type[0]) || st.nrt == sizeof(st.rt) / sizeof(st.rt[0]))
		return;
	for (size_t i = 0; i < st.nrt; i++)
		if (!strcmp(st.rt[i].path, path))
			return;
	e = &st.rt[st.nrt];
	memset(e, 0, sizeof(*e));
	e->type = type[0] == 'D' ? 'd' : type[0];
	if (util_copy(e->path, sizeof(e->path), path) < 0)
		return;
	if (e->type == 'L' && (n < 7 || util_copy(e->target, sizeof(e->target), arg) < 0))
		return;
	e->mode = e->type == 'd' ? 0755 : 0644;
	if (n >= 3 && strcmp(mode, "-"))
		e->mode = (mode_t)strtoul(mode[0] == '~' || mode[0] == ':' ? mode + 1 : mode, NULL, 8) & 07777;
	if (n >= 4 && strcmp(user, "-")) {
		struct passwd *pw = getpwnam(user);
		if (!pw)
			return;
		e->uid = pw->pw_uid;
	}
	if (n >= 5 && strcmp(group, "-")) {
		struct group *gr = getgrnam(group);
		if (!gr)
			return;
		e->gid = gr->gr_gid;
	}
	st.nrt++;
}

/* The machine's tmpfiles.d (/etc over /run over /usr/lib, by file name), for /run. */
static void rt_load(void)
{
	static const char *const dirs[] = { "/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/lib/tmpfiles.d" };
	glob_t g[3];
	char *names[256];
	size_t n = 0;

	for (int d = 0; d < 3; d++) {
		char pat[64];

		snprintf(pat, sizeof(pat), "%s/*.conf", dirs[d]);
		if (glob(pat, 0, NULL, &g[d]) != 0)
			g[d].gl_pathc = 0, g[d].gl_pathv = NULL;
		for (size_t i = 0; i < g[d].gl_pathc && n < 256; i++) {
			const char *base = strrchr(g[d].gl_pathv[i], '/') + 1;
			bool dup = false;

			for (size_t k = 0; k < n && !dup; k++)
				dup = !strcmp(strrchr(names[k], '/') + 1, base);
			if (!dup)
				names[n++] = g[d].gl_pathv[i];
		}
	}
	/* in the order of their names, whatever directory they are in */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(strrchr(names[k - 1], '/'), strrchr(names[k], '/')) > 0; k--) {
			char *t = names[k];
			names[k] = names[k - 1];
			names[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(names[i], "re");
		char line[512];

		while (f && fgets(line, sizeof(line), f))
			if (line[0] != '#')
				rt_line(line);
		if (f)
			fclose(f);
	}
	for (int d = 0; d < 3; d++)
		if (g[d].gl_pathv)
			globfree(&g[d]);
	/* parents before children */
	qsort(st.rt, st.nrt, sizeof(st.rt[0]), rt_cmp);
}

static int stage_init(const struct rootfs_spec *s, struct lab_error **err)
{
	glob_t g;

	/* ours alone: nothing staged here ever shows on the machine */
	if (unshare(CLONE_NEWNS) < 0)
		return lab_err(err, errno, "unshare a mount namespace for staging the hosts' roots");
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return lab_err(err, errno, "make the staging mounts private");
	st.mode = s->mode;
	rt_load();
	{
		struct passwd *pw = getpwnam("bird");
		struct group *gr = getgrnam("bird");

		st.bird_uid = pw ? pw->pw_uid : 0;
		st.bird_gid = gr ? gr->gr_gid : 0;
	}
	if (s->mode == ROOTFS_SHARED) {
		if (stage_shared(s, err) < 0)
			return -1;
		st.ready = true;
		return 0;
	}
	st.parent_upper = !upper_on_tmpfs_ok();
	if (s->hosts_path && read_all_file(s->hosts_path, &st.hosts, &st.hosts_len) < 0)
		return lab_err(err, errno, "read %s", s->hosts_path);
	if (read_all_file("/etc/shadow", &st.shadow, &st.shadow_len) == 0)
		sanitize_shadow(st.shadow, &st.shadow_len);
	if (read_all_file("/etc/gshadow", &st.gshadow, &st.gshadow_len) == 0)
		sanitize_shadow(st.gshadow, &st.gshadow_len);
	if (access("/etc/init.d/ssh", X_OK) == 0) {
		static const char hook[] = "\n# netlab: the host's own SSH host keys, made at its first sshd start\n"
					   "[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null 2>&1 || true\n";
		char *d = NULL;
		size_t n = 0;

		read_all_file("/etc/default/ssh", &d, &n);
		st.default_ssh = malloc(n + sizeof(hook));
		if (!st.default_ssh) {
			free(d);
			return lab_err(err, ENOMEM, "stage");
		}
		if (n)
			memcpy(st.default_ssh, d, n);
		memcpy(st.default_ssh + n, hook, sizeof(hook) - 1);
		st.default_ssh_len = n + sizeof(hook) - 1;
		free(d);
	}
	if (glob("/etc/ssh/ssh_host_*", GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && st.nkeys < 16; i++)
			util_copy(st.keys[st.nkeys++], sizeof(st.keys[0]), g.gl_pathv[i] + strlen("/etc/ssh/"));
		globfree(&g);
	}
	st.shim = access("/usr/local/bin/systemctl", F_OK) < 0;
	{
		struct stat sb;

		if (stat("/proc/self/ns/mnt", &sb) < 0)
			return lab_err(err, errno, "stat /proc/self/ns/mnt");
		st.own_mnt = sb.st_ino;
	}
	if (mount("tmpfs", ROOTFS_STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return lab_err(err, errno, "mount the stage tmpfs on %s", ROOTFS_STAGE);
	if (stage_dirs(err) < 0 || batch_mount(0, err) < 0)
		return -1;
	st.batch = 0;
	st.used = 0;
	st.ready = true;
	return 0;
}

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

	snprintf(lower, sizeof(lower), "%s/lower/%s", st.slot, rel);
	snprintf(path, sizeof(path), "%s/%s", upper, rel);
	r = lstat(lower, &sb);
	/* as access(2) sees it: a symbolic link counts if it leads somewhere */
	if (if_lower && (r < 0 || (S_ISLNK(sb.st_mode) && access(lower, F_OK) < 0)))
		return 0;
	if (r < 0 || !S_ISDIR(sb.st_mode)) {
		slot_path(lower, sizeof(lower), "lower");
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

	snprintf(lower, sizeof(lower), "%s/lower/%s", st.slot, rel);
	snprintf(path, sizeof(path), "%s/%s", upper, rel);
	if (lstat(lower, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		slot_path(lower, sizeof(lower), "lower");
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
	if (st.hosts && upper_file(upper, "etc/hosts", st.hosts, st.hosts_len, 0644, err) < 0)
		return -1;
	if (st.shadow && upper_file(upper, "etc/shadow", st.shadow, st.shadow_len, 0640, err) < 0)
		return -1;
	if (st.gshadow && upper_file(upper, "etc/gshadow", st.gshadow, st.gshadow_len, 0640, err) < 0)
		return -1;
	if (st.default_ssh &&
	    upper_file(upper, "etc/default/ssh", st.default_ssh, st.default_ssh_len, 0644, err) < 0)
		return -1;
	if (st.shim && upper_file(upper, "usr/local/bin/systemctl", shim, sizeof(shim) - 1, 0755, err) < 0)
		return -1;
	if (st.nkeys && upper_dir(upper, "etc/ssh", NULL, false, err) < 0)
		return -1;
	for (size_t i = 0; i < st.nkeys; i++) {
		/* a whiteout (char 0:0): the machine's key is gone from the host's view */
		snprintf(name, sizeof(name), "%s/etc/ssh/%s", upper, st.keys[i]);
		if (mknod(name, S_IFCHR, makedev(0, 0)) < 0)
			return lab_err(err, errno, "hide /etc/ssh/%s from the host", st.keys[i]);
	}
	return 0;
}

/* The host's layer before the overlay is mounted: its /etc/hosts and /etc/hostname, the machine's
 * secrets hidden (password hashes, SSH host keys, /root, /home), and empty directories under
 * what the host mounts its own filesystems on, so that unmounting one reveals nothing.
 * xattr_ns: "user." when the host mounts the overlay (userxattr), "trusted." when we do. */
static int prepare_upper(const char *upper, const char *xattr_ns, const char *hostname,
			 struct lab_error **err)
{
	mode_t old = umask(0);
	int r = fill_upper(upper, xattr_ns, hostname, err);

	umask(old);
	return r;
}

static int stage_own(const struct rootfs_spec *s, pid_t pid, struct lab_error **err)
{
	_cleanup_close_ int ufd = -1;
	char path[64], opts[400], up[96], u[96], w[96], root[96], lower[96];

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	ufd = open(path, O_RDONLY | O_CLOEXEC);
	if (ufd < 0)
		return lab_err(err, errno, "open %s", path);
	if (attach_clone(ufd, err) < 0)
		return -1;
	if (!st.parent_upper)
		return 0;
	/* Linux < 6.6: we mount the overlay (trusted.* xattrs work on tmpfs here), nodev; the host
	 * copies it with its namespace, so it cannot clear nodev or reach the lower. */
	slot_path(up, sizeof(up), "up");
	slot_path(u, sizeof(u), "up/u");
	slot_path(w, sizeof(w), "up/w");
	slot_path(root, sizeof(root), "root");
	slot_path(lower, sizeof(lower), "lower");
	if (mount("tmpfs", up, "tmpfs", MS_NOSUID | MS_NODEV, UPPER_OPTS) < 0)
		return lab_err(err, errno, "mount the host's upper tmpfs");
	if (mkdir(u, 0755) < 0 || mkdir(w, 0700) < 0)
		return lab_err(err, errno, "create the host's upper and work directories");
	if (prepare_upper(u, "trusted.", s->hostname, err) < 0)
		return -1;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, u, w);
	if (mount("overlay", root, "overlay", MS_NODEV, opts) < 0)
		return lab_err(err, errno, "mount the host's overlay (%s)", opts);
	return 0;
}

int rootfs_stage(const struct rootfs_spec *s, pid_t pid, struct lab_error **err)
{
	if (!st.ready && stage_init(s, err) < 0)
		return lab_err_wrap(err, "stage the hosts' roots");
	if (st.mode != s->mode)
		return lab_err(err, EINVAL, "hosts of one spawner must share their --fs mode");
	if (s->mode != ROOTFS_OWN)
		return 0;
	if (pid <= 0)
		return slot_next(err);
	if (stage_own(s, pid, err) < 0) {
		rootfs_unstage(s);
		return -1;
	}
	st.pids[st.batch][st.used - 1] = pid;
	return 0;
}

void rootfs_unstage(const struct rootfs_spec *s)
{
	static const char *const sub[] = { "root", "up", "lower" };

	if (s->mode != ROOTFS_OWN)
		return;
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char path[96];

		slot_path(path, sizeof(path), sub[i]);
		umount2(path, MNT_DETACH);
	}
}

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
	slot_path(lower, sizeof(lower), "lower");
	slot_path(root, sizeof(root), "root");
	if (s->mode == ROOTFS_SHARED) {
		/* recursive: the locked covers come along (and stay locked) */
		if (mnt(lower, r, NULL, MS_BIND | MS_REC, NULL, err) < 0)
			return -1;
	} else if (st.parent_upper) {
		if (mnt(root, r, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	} else {
		char opts[400];

		if (mnt("tmpfs", STAGE_HOST, "tmpfs", MS_NOSUID | MS_NODEV, UPPER_OPTS, err) < 0)
			return -1;
		if (mkdir(STAGE_HOST "/u", 0755) < 0 || mkdir(STAGE_HOST "/w", 0700) < 0)
			return lab_err(err, errno, "create the upper and work directories");
		if (prepare_upper(STAGE_HOST "/u", "user.", s->hostname, err) < 0)
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
				    { .type = 'd', .mode = 0775, .uid = st.bird_uid, .gid = st.bird_gid,
				      .path = "/run/bird" } };

	(void)s;
	for (size_t i = 0; i < st.nrt + sizeof(extra) / sizeof(extra[0]); i++) {
		const struct rt_entry *e = i < st.nrt ? &st.rt[i] : &extra[i - st.nrt];
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
