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

struct rootfs_state rootfs_st;

void rootfs_slot_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", rootfs_st.slot, rel);
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
	rootfs_st.mounted[b] = true;
	for (int k = 0; k < SLOTS; k++) {
		static const char *const sub[] = { "", "/lower", "/up", "/root" };

		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			char d[96];

			snprintf(d, sizeof(d), "%s/%d%s", path, k, sub[i]);
			if (mkdir(d, 0755) < 0)
				return lab_err(err, errno, "create %s", d);
		}
		rootfs_st.pids[b][k] = 0;
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
	return stat(path, &sb) < 0 || sb.st_ino != rootfs_st.own_mnt;
}

/* The next slot, for the host about to be cloned. When a batch is full, the other one is used,
 * after every host that took a slot of it has copied the stage; then all of it goes at once. */
static int slot_next(struct lab_error **err)
{
	if (rootfs_st.used == SLOTS) {
		int b = 1 - rootfs_st.batch;

		if (rootfs_st.mounted[b]) {
			char path[64];

			for (int k = 0; k < SLOTS; k++) {
				int waited = 0;

				while (!copied(rootfs_st.pids[b][k])) {
					if (waited++ > COPY_TIMEOUT_MS * 5)
						return lab_err(err, ETIMEDOUT, "host process %d did not copy its "
							       "staged root", (int)rootfs_st.pids[b][k]);
					usleep(200);
				}
			}
			snprintf(path, sizeof(path), "%s/%c", ROOTFS_STAGE, 'a' + b);
			if (umount2(path, MNT_DETACH) < 0)
				return lab_err(err, errno, "detach the stage's batch %s", path);
			rootfs_st.mounted[b] = false;
		}
		if (batch_mount(b, err) < 0)
			return -1;
		rootfs_st.batch = b;
		rootfs_st.used = 0;
	}
	snprintf(rootfs_st.slot, sizeof(rootfs_st.slot), "%s/%c/%zu", ROOTFS_STAGE, 'a' + rootfs_st.batch, rootfs_st.used);
	rootfs_st.pids[rootfs_st.batch][rootfs_st.used++] = 0;
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
	rootfs_slot_path(lower, sizeof(lower), "lower");
	if (move_mount(mfd, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return lab_err(err, errno, "attach the clone of / at %s", lower);
	return 0;
}

const char rootfs_resolv_conf[] =
	"# netlab: this host does not reach the machine's name servers (lab traffic stays in the\n"
	"# lab). Name the lab's own here (nameserver ADDRESS); with none, the resolver asks\n"
	"# 127.0.0.1 and fails at once unless this host runs a name server.\n";

/* Shared root: the machine's root filesystem, read-only, and under what the host mounts its own
 * /tmp, /run, ... on, empty locked tmpfs, so that unmounting them reveals nothing of the machine.
 * Plain mount(2) binds (no idmap is needed): this works where the new mount API does not. */
static int stage_shared(const struct rootfs_spec *s, struct lab_error **err)
{
	static const char *const blocked[] = { "tmp", "var/tmp", "run", "dev", "root", "home" };
	const unsigned long ro = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV;
	char lower[96], hosts[96];
	struct stat sb;

	if (mount("tmpfs", ROOTFS_STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return lab_err(err, errno, "mount the stage tmpfs on %s", ROOTFS_STAGE);
	snprintf(rootfs_st.slot, sizeof(rootfs_st.slot), "%s/s", ROOTFS_STAGE);
	if (stage_dirs(err) < 0)
		return -1;
	rootfs_slot_path(lower, sizeof(lower), "lower");
	/* non-recursive: the root filesystem only, none of the machine's other mounts */
	if (mount("/", lower, "none", MS_BIND, NULL) < 0 || mount("none", lower, "none", ro, NULL) < 0)
		return lab_err(err, errno, "bind the machine's root read-only at %s", lower);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/lower/%s", rootfs_st.slot, blocked[i]);
		if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=755,size=4k") < 0)
			return lab_err(err, errno, "cover %s", path);
	}
	rootfs_slot_path(hosts, sizeof(hosts), "lower/etc/hosts");
	if (s->hosts_path && (mount(s->hosts_path, hosts, "none", MS_BIND, NULL) < 0 ||
			      mount("none", hosts, "none", ro, NULL) < 0))
		return lab_err(err, errno, "bind %s over the hosts' /etc/hosts", s->hosts_path);
	/* no name server (rootfs_int.h): an empty file over the machine's resolv.conf; a symbolic
	 * link into /run already leads nowhere under the cover */
	rootfs_slot_path(hosts, sizeof(hosts), "lower/etc/resolv.conf");
	if (lstat(hosts, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (mount("/dev/null", hosts, "none", MS_BIND, NULL) < 0 || mount("none", hosts, "none", ro, NULL) < 0))
		return lab_err(err, errno, "bind /dev/null over the hosts' /etc/resolv.conf");
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
	    !strchr("dDfL", type[0]) || rootfs_st.nrt == sizeof(rootfs_st.rt) / sizeof(rootfs_st.rt[0]))
		return;
	for (size_t i = 0; i < rootfs_st.nrt; i++)
		if (!strcmp(rootfs_st.rt[i].path, path))
			return;
	e = &rootfs_st.rt[rootfs_st.nrt];
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
	rootfs_st.nrt++;
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
	qsort(rootfs_st.rt, rootfs_st.nrt, sizeof(rootfs_st.rt[0]), rt_cmp);
}

static int stage_init(const struct rootfs_spec *s, struct lab_error **err)
{
	glob_t g;

	/* ours alone: nothing staged here ever shows on the machine */
	if (unshare(CLONE_NEWNS) < 0)
		return lab_err(err, errno, "unshare a mount namespace for staging the hosts' roots");
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return lab_err(err, errno, "make the staging mounts private");
	rootfs_st.mode = s->mode;
	rt_load();
	{
		struct passwd *pw = getpwnam("bird");
		struct group *gr = getgrnam("bird");

		rootfs_st.bird_uid = pw ? pw->pw_uid : 0;
		rootfs_st.bird_gid = gr ? gr->gr_gid : 0;
	}
	if (s->mode == ROOTFS_SHARED) {
		if (stage_shared(s, err) < 0)
			return -1;
		rootfs_st.ready = true;
		return 0;
	}
	rootfs_st.parent_upper = !upper_on_tmpfs_ok();
	if (s->hosts_path && read_all_file(s->hosts_path, &rootfs_st.hosts, &rootfs_st.hosts_len) < 0)
		return lab_err(err, errno, "read %s", s->hosts_path);
	if (read_all_file("/etc/shadow", &rootfs_st.shadow, &rootfs_st.shadow_len) == 0)
		sanitize_shadow(rootfs_st.shadow, &rootfs_st.shadow_len);
	if (read_all_file("/etc/gshadow", &rootfs_st.gshadow, &rootfs_st.gshadow_len) == 0)
		sanitize_shadow(rootfs_st.gshadow, &rootfs_st.gshadow_len);
	if (access("/etc/init.d/ssh", X_OK) == 0) {
		static const char hook[] = "\n# netlab: the host's own SSH host keys, made at its first sshd start\n"
					   "[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null 2>&1 || true\n";
		char *d = NULL;
		size_t n = 0;

		read_all_file("/etc/default/ssh", &d, &n);
		rootfs_st.default_ssh = malloc(n + sizeof(hook));
		if (!rootfs_st.default_ssh) {
			free(d);
			return lab_err(err, ENOMEM, "stage");
		}
		if (n)
			memcpy(rootfs_st.default_ssh, d, n);
		memcpy(rootfs_st.default_ssh + n, hook, sizeof(hook) - 1);
		rootfs_st.default_ssh_len = n + sizeof(hook) - 1;
		free(d);
	}
	if (glob("/etc/ssh/ssh_host_*", GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && rootfs_st.nkeys < 16; i++)
			util_copy(rootfs_st.keys[rootfs_st.nkeys++], sizeof(rootfs_st.keys[0]), g.gl_pathv[i] + strlen("/etc/ssh/"));
		globfree(&g);
	}
	rootfs_st.shim = access("/usr/local/bin/systemctl", F_OK) < 0;
	{
		struct stat sb;

		if (stat("/proc/self/ns/mnt", &sb) < 0)
			return lab_err(err, errno, "stat /proc/self/ns/mnt");
		rootfs_st.own_mnt = sb.st_ino;
	}
	if (mount("tmpfs", ROOTFS_STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
		return lab_err(err, errno, "mount the stage tmpfs on %s", ROOTFS_STAGE);
	if (stage_dirs(err) < 0 || batch_mount(0, err) < 0)
		return -1;
	rootfs_st.batch = 0;
	rootfs_st.used = 0;
	rootfs_st.ready = true;
	return 0;
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
	if (!rootfs_st.parent_upper)
		return 0;
	/* Linux < 6.6: we mount the overlay (trusted.* xattrs work on tmpfs here), nodev; the host
	 * copies it with its namespace, so it cannot clear nodev or reach the lower. */
	rootfs_slot_path(up, sizeof(up), "up");
	rootfs_slot_path(u, sizeof(u), "up/u");
	rootfs_slot_path(w, sizeof(w), "up/w");
	rootfs_slot_path(root, sizeof(root), "root");
	rootfs_slot_path(lower, sizeof(lower), "lower");
	if (mount("tmpfs", up, "tmpfs", MS_NOSUID | MS_NODEV, UPPER_OPTS) < 0)
		return lab_err(err, errno, "mount the host's upper tmpfs");
	if (mkdir(u, 0755) < 0 || mkdir(w, 0700) < 0)
		return lab_err(err, errno, "create the host's upper and work directories");
	if (rootfs_prepare_upper(u, "trusted.", s->hostname, err) < 0)
		return -1;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, u, w);
	if (mount("overlay", root, "overlay", MS_NODEV, opts) < 0)
		return lab_err(err, errno, "mount the host's overlay (%s)", opts);
	return 0;
}

int rootfs_stage(const struct rootfs_spec *s, pid_t pid, struct lab_error **err)
{
	if (!rootfs_st.ready && stage_init(s, err) < 0)
		return lab_err_wrap(err, "stage the hosts' roots");
	if (rootfs_st.mode != s->mode)
		return lab_err(err, EINVAL, "hosts of one spawner must share their --fs mode");
	if (s->mode != ROOTFS_OWN)
		return 0;
	if (pid <= 0)
		return slot_next(err);
	if (stage_own(s, pid, err) < 0) {
		rootfs_unstage(s);
		return -1;
	}
	rootfs_st.pids[rootfs_st.batch][rootfs_st.used - 1] = pid;
	return 0;
}

void rootfs_unstage(const struct rootfs_spec *s)
{
	static const char *const sub[] = { "root", "up", "lower" };

	if (s->mode != ROOTFS_OWN)
		return;
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char path[96];

		rootfs_slot_path(path, sizeof(path), sub[i]);
		umount2(path, MNT_DETACH);
	}
}

