#include "lab.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "../netsetup/netsetup.h"
#include "cleanup.h"
#include "units.h"
#include "pty.h"
#include "rootfs.h"
#include "topo.h"
#include "util.h"

#define READY_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS 10000
#define ALIAS_PREFIX "netlab:"

/* ---------------------------------------------------------------------------------------------
 * /run/netlab: a root-only directory, one subdirectory per lab. flock on the top directory
 * serialises allocation (names, numbers, subnets); flock on a lab's directory is held by whoever
 * builds or tears that lab down.
 */

static int check_private_dir(int fd, const char *path, struct lab_error **err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return lab_err(err, errno, "stat %s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		return lab_err(err, 0, "refusing to use %s: not a root-owned directory with mode 0700 "
				       "(remove it and run netlab again)", path);
	return 0;
}

/* Open (creating if needed) /run/netlab, locked exclusively. Returns the fd. */
static int run_dir_lock(bool create, struct lab_error **err)
{
	for (int tries = 0; tries < 100; tries++) {
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (create && mkdir(LAB_RUN_DIR, 0700) < 0 && errno != EEXIST)
			return lab_err(err, errno, "create %s", LAB_RUN_DIR);
		fd = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !create)
				return -ENOENT;
			if (errno == ENOENT)
				continue;	/* removed between mkdir and open */
			return lab_err(err, errno, "open %s", LAB_RUN_DIR);
		}
		if (check_private_dir(fd, LAB_RUN_DIR, err) < 0)
			return -1;
		if (TEMP_FAILURE_RETRY(flock(fd, LOCK_EX)) < 0)
			return lab_err(err, errno, "lock %s", LAB_RUN_DIR);
		/* the last `down` may have removed it while we waited for the lock */
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return TAKE_FD(fd);
	}
	return lab_err(err, EAGAIN, "lock %s", LAB_RUN_DIR);
}

/* Remove /run/netlab and /run/netns if they are empty: leave the machine as it was. */
static void remove_empty_dirs(void)
{
	int fd = run_dir_lock(false, NULL);

	/* only when no other lab is up or being built, under the lock an `up` reserves under: a
	 * concurrent `up` may be between making /run/netns and its hosts' mount points there */
	if (fd >= 0) {
		/* rmdir fails with ENOTEMPTY while other labs are up; /run/netns goes only after it,
		 * and fails if not empty or if it is a mount point (iproute2's) */
		if (rmdir(LAB_RUN_DIR) == 0)
			rmdir(LAB_NETNS_DIR);
		close(fd);
	}
}

static int open_lab_dir(int rundir, const char *name, struct lab_error **err)
{
	int fd = openat(rundir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP || errno == ENOTDIR)
			return lab_err(err, errno, "%s/%s is not a directory", LAB_RUN_DIR, name);
		return lab_err(err, errno, "open %s/%s", LAB_RUN_DIR, name);
	}
	return fd;
}

static int read_state_at(int labfd, const char *name, struct lab *out, struct lab_error **err)
{
	char where[128], *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	ssize_t n;
	int r;

	snprintf(where, sizeof(where), "%s/%s/state", LAB_RUN_DIR, name);
	if (check_private_dir(labfd, where, err) < 0)
		return -1;
	fd = openat(labfd, "state", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return lab_err(err, ELOOP, "%s is a symbolic link; refusing to read it", where);
		return lab_err(err, errno, "open %s", where);
	}
	if (fstat(fd, &st) < 0)
		return lab_err(err, errno, "stat %s", where);
	if (!S_ISREG(st.st_mode) || st.st_size > 1 << 20)
		return lab_err(err, 0, "%s is not a regular state file", where);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return lab_err(err, ENOMEM, "read %s", where);
	n = util_read_all(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return lab_err(err, errno, "read %s", where);
	}
	buf[n] = '\0';
	r = state_parse(buf, where, out, err);
	free(buf);
	if (r == 0 && strcmp(out->name, name)) {
		state_free(out);
		return lab_err(err, 0, "%s names lab '%s'", where, out->name);
	}
	return r;
}

static int write_state_at(int labfd, const struct lab *lab, struct lab_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (state_format(lab, &text, &len, err) < 0)
		return -1;
	return util_write_atomic(labfd, "state", text, len, 0600, err);
}

int lab_load(const char *name, struct lab *out, struct lab_error **err)
{
	_cleanup_close_ int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int labfd = -1;

	if (rundir < 0) {
		if (errno == ENOENT)
			return lab_err(err, 0, "no lab '%s' is up", name), -ENOENT;
		return lab_err(err, errno, "open %s", LAB_RUN_DIR);
	}
	labfd = open_lab_dir(rundir, name, err);
	if (labfd == -ENOENT)
		return lab_err(err, 0, "no lab '%s' is up", name), -ENOENT;
	if (labfd < 0)
		return -1;
	return read_state_at(labfd, name, out, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lab_names(char ***out, size_t *out_count, struct lab_error **err)
{
	DIR *d = opendir(LAB_RUN_DIR);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	*out_count = 0;
	if (!d)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", LAB_RUN_DIR);
	while ((e = readdir(d))) {
		char **nv;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || names_check_lab(e->d_name, NULL) < 0)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(e->d_name))) {
			v = nv ? nv : v;
			lab_names_free(v, n);
			closedir(d);
			return lab_err(err, ENOMEM, "list labs");
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*out_count = n;
	return 0;
}

void lab_names_free(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int lab_load_default(const char *name, struct lab *out, struct lab_error **err)
{
	char **names = NULL, only[LAB_NAME_MAX + 1] = "";
	size_t count = 0;

	if (name)
		return lab_load(name, out, err);
	if (lab_names(&names, &count, err) < 0)
		return -1;
	if (count == 1)
		util_copy(only, sizeof(only), names[0]);
	lab_names_free(names, count);
	if (count == 0)
		return lab_err(err, 0, "no lab is up (start one with 'netlab up')");
	if (count > 1)
		return lab_err(err, 0, "several labs are up: name one (see 'netlab status')");
	return lab_load(only, out, err);
}

int lab_resolve_host(const char *arg, const char *lab_name, struct lab *out_lab, size_t *out_index,
		     struct lab_error **err)
{
	char lab[LAB_NAME_MAX + 1], host[HOST_NAME_MAX_LEN + 1];
	char **names = NULL;
	size_t count = 0;
	int r;

	if (names_split_host(arg, lab, host, err) < 0)
		return -EINVAL;
	if (!lab[0] && lab_name)
		snprintf(lab, sizeof(lab), "%s", lab_name);
	if (!lab[0]) {
		if (lab_names(&names, &count, err) < 0)
			return -1;
		if (count == 1)
			snprintf(lab, sizeof(lab), "%s", names[0]);
		lab_names_free(names, count);
		if (count == 0)
			return lab_err(err, 0, "no lab is up (start one with 'netlab up')");
		if (count > 1)
			return lab_err(err, 0, "several labs are up: name the host as LAB/%s "
					       "(see 'netlab status')", host);
	}
	r = lab_load(lab, out_lab, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < out_lab->nhosts; i++) {
		if (!strcmp(out_lab->hosts[i].name, host)) {
			*out_index = i;
			return 0;
		}
	}
	lab_err(err, 0, "lab '%s' has no host '%s' (it has %s..%s)", lab, host,
		out_lab->nhosts ? out_lab->hosts[0].name : "none",
		out_lab->nhosts ? out_lab->hosts[out_lab->nhosts - 1].name : "none");
	state_free(out_lab);
	return -ENOENT;
}

/* ---------------------------------------------------------------------------------------------
 * Teardown: one routine for rollback, `down` and `clean`, in the reverse order of `up`:
 * netns mounts, then links (bridge and veths in one batched request), then processes, then state.
 * Best effort: every step runs; the first error is reported.
 */

struct teardown {
	const struct lab *lab;
	struct ns_child *children;	/* our own children during rollback, else NULL */
	/* rolling back: what this run made, and so may undo (it never removes what it found) */
	dev_t anchor_dev;		/* the first host's mount point file, made by this run; */
	ino_t anchor_ino;		/* 0: none (the others are hard links to it) */
	size_t ready;			/* hosts 0..ready-1 made their mount point file */
	size_t mounted;			/* hosts 0..mounted-1 had their netns mounted by this run */
	bool made_table;		/* this run made the nftables table */
	bool made_links;		/* this run got as far as making an interface */
	int labfd;
	void (*report)(const char *what, void *arg);
	void *arg;
	void (*explain)(const char *command, void *arg);
	void *explain_arg;
	bool keep_cgroups;		/* rollback of an `up` that made none */
};

/* The by-hand equivalent of a step, for --explain. */
static void explainf(void (*fn)(const char *, void *), void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void explainf(void (*fn)(const char *, void *), void *arg, const char *fmt, ...)
{
	char buf[4096];	/* a host's sysctls make long lines */
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(buf, arg);
}

static void say(const struct teardown *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct teardown *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!t->report)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->report(buf, t->arg);
}

size_t lab_seg_ports(const struct lab *lab, size_t g)
{
	size_t ports = 0;

	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			ports += lab->hosts[i].ifaces[k].seg == g;
	return ports;
}

size_t lab_seg_bridges(const struct lab *lab, size_t g)
{
	size_t ports = lab_seg_ports(lab, g);

	return ports > LAB_BRIDGE_PORTS ? (ports + LAB_BRIDGE_PORTS - 1) / LAB_BRIDGE_PORTS : 1;
}

int lab_bridge_name(const struct lab_segment *g, size_t k, const char *suffix, char out[16],
		    struct lab_error **err)
{
	if (k == 0)
		return names_ifname(out, err, "%s%s", g->bridge, suffix);
	return names_ifname(out, err, "%s%zu%s", g->bridge, k + 1, suffix);
}

static void netns_path(char *buf, size_t len, const char *lab, const char *host)
{
	snprintf(buf, len, "%s/%s-%s", LAB_NETNS_DIR, lab, host);
}

static bool host_name_like(const char *s);

/* Is host i's /run/netns entry this run's or this lab's to remove? `down` and `clean`: the lab's
 * recorded paths are its own (`up` refuses to start where one exists). Rollback: only the files
 * this run made: the anchor, the hard links to it, and those of hosts that reported ready. */
static bool netns_is_ours(const struct teardown *t, size_t i, const char *path)
{
	struct stat st;

	if (!t->children)
		return true;
	if (!t->anchor_ino)
		return false;	/* failed before making the first one: none is ours */
	if (i < t->ready)
		return true;
	return lstat(path, &st) == 0 && st.st_dev == t->anchor_dev && st.st_ino == t->anchor_ino;
}

/* How many mounts the caller's mount table still shows at the lab's /run/netns entries that are
 * ours[], reachable or covered by a later mount; the first one's path in first. */
static size_t netns_mounts_left(const struct teardown *t, const bool *ours, char *first, size_t len)
{
	const char *lab = t->lab->name;
	char prefix[64], *line = NULL;
	size_t cap = 0, n = 0, plen;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	snprintf(prefix, sizeof(prefix), "%s/%s-", LAB_NETNS_DIR, lab);
	plen = strlen(prefix);
	while (f && getline(&line, &cap, f) > 0) {
		char *p = line;

		/* "ID PARENT MAJ:MIN ROOT MOUNT-POINT ...": the fifth field */
		for (int field = 0; field < 4 && p; field++)
			if ((p = strchr(p, ' ')))
				p++;
		if (!p || strncmp(p, prefix, plen))
			continue;
		p[strcspn(p, " ")] = '\0';
		if (!host_name_like(p + plen))
			continue;
		size_t i = 0;
		while (i < t->lab->nhosts && (!ours[i] || strcmp(t->lab->hosts[i].name, p + plen)))
			i++;
		if (i == t->lab->nhosts)
			continue;	/* not one of ours */
		if (n++ == 0)
			snprintf(first, len, "%s", p);
	}
	free(line);
	if (f)
		fclose(f);
	return n;
}

/* Detach every mount at path, top first (someone may have stacked more on ours). */
static unsigned umount_all(const char *path)
{
	unsigned n = 0;

	while (n < 64 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		n++;
	return n;
}

/* Our mount points that a mount over /run/netns covers: `ip netns add` (or `attach`) run while a
 * lab is up makes /run/netns a recursive bind mount of itself, shared. Its copies of our mounts
 * come off (umount_all), but the originals under it cannot be reached by any path, and unlink
 * fails with EBUSY while they are there. So a child, in a mount namespace of its own whose mounts
 * are private (nothing it unmounts propagates back), peels the mounts off /run/netns one at a time
 * and unmounts and unlinks our files at each level. Unlinking a mount point detaches the mounts on
 * it in every mount namespace (Linux >= 3.18, detach_mounts): the machine's hidden ones too.
 * Returns 0, or the errno of the child's failure. */
static int unlink_covered(const struct teardown *t, const bool *ours)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		char path[128];

		if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(errno & 0xff);
		for (int level = 0; level < 64; level++) {
			for (size_t i = 0; i < t->lab->nhosts; i++) {
				if (!ours[i])
					continue;
				netns_path(path, sizeof(path), t->lab->name, t->lab->hosts[i].name);
				umount_all(path);
				unlink(path);
			}
			if (umount2(LAB_NETNS_DIR, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
				break;	/* the bottom: /run/netns is no mount point here any more */
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

/* Unmount and remove the lab's /run/netns entries, whatever other tools did to /run/netns since
 * (stacked mounts, a bind mount of /run/netns over itself, propagation changes). What still cannot
 * be removed is reported, each path with its reason; the rest of the teardown goes on. */
static int remove_netns_mounts(const struct teardown *t, struct lab_error **err)
{
	char path[128], left[512] = "", first[128] = "";
	size_t nleft = 0, covered;
	bool *ours, retry = false;
	int *why, r = 0;

	if (!t->lab->nhosts)
		return 0;
	ours = calloc(t->lab->nhosts, sizeof(*ours));
	why = calloc(t->lab->nhosts, sizeof(*why));
	if (!ours || !why) {
		free(ours);
		free(why);
		return lab_err(err, ENOMEM, "remove %s entries", LAB_NETNS_DIR);
	}
	for (size_t i = 0; i < t->lab->nhosts; i++) {
		netns_path(path, sizeof(path), t->lab->name, t->lab->hosts[i].name);
		if (!(ours[i] = netns_is_ours(t, i, path)))
			continue;
		explainf(t->explain, t->explain_arg, "umount -l %s; rm -f %s", path, path);
		/* in a rollback, only where this run mounted: another tool's mount is not ours */
		if ((!t->children || i < t->mounted) && umount_all(path))
			say(t, "unmounted %s", path);
		/* unlinking the mount point also detaches copies in other mount namespaces */
		if (unlink(path) < 0 && errno != ENOENT) {
			why[i] = errno;
			retry |= errno == EBUSY;
		}
	}
	covered = netns_mounts_left(t, ours, first, sizeof(first));
	if (retry || covered) {
		int e;

		explainf(t->explain, t->explain_arg, "unshare --mount --propagation private sh -c "
			 "'umount -l %s; umount -l %s/%s-*; rm -f %s/%s-*'   # under another mount of %s",
			 LAB_NETNS_DIR, LAB_NETNS_DIR, t->lab->name, LAB_NETNS_DIR, t->lab->name,
			 LAB_NETNS_DIR);
		e = unlink_covered(t, ours);
		for (size_t i = 0; i < t->lab->nhosts; i++) {
			if (!ours[i])
				continue;
			netns_path(path, sizeof(path), t->lab->name, t->lab->hosts[i].name);
			if (access(path, F_OK) < 0)
				why[i] = 0;
			else if (!why[i] || why[i] == EBUSY)
				why[i] = e ? e : EBUSY;
		}
		covered = netns_mounts_left(t, ours, first, sizeof(first));
	}
	for (size_t i = 0; i < t->lab->nhosts; i++) {
		size_t used = strlen(left);

		if (!ours[i] || !why[i])
			continue;
		if (nleft++ < 4)
			snprintf(left + used, sizeof(left) - used, "%s%s/%s-%s (%s)", used ? ", " : "",
				 LAB_NETNS_DIR, t->lab->name, t->lab->hosts[i].name, strerror(why[i]));
	}
	if (nleft > 4) {
		size_t used = strlen(left);

		snprintf(left + used, sizeof(left) - used, " and %zu more", nleft - 4);
	}
	if (nleft)
		r = lab_err(err, 0, "could not remove %s", left);
	else if (covered)
		r = lab_err(err, 0, "%zu mount%s of the lab's network namespaces remain%s under another "
				    "mount, such as %s (see /proc/self/mountinfo)", covered,
			    covered == 1 ? "" : "s", covered == 1 ? "s" : "", first);
	free(ours);
	free(why);
	return r;
}

static bool alias_is_lab(const char *alias, const char *lab)
{
	size_t n = strlen(lab);

	return !strncmp(alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX)) &&
	       !strncmp(alias + strlen(ALIAS_PREFIX), lab, n) && alias[strlen(ALIAS_PREFIX) + n] == ':';
}

/* Ours: the alias says so, or (killed between creating a link and naming it) the lab's group and
 * a name the lab planned. Two markers, never a name alone. */
static bool link_is_ours(const struct lab *lab, const struct nets_link *l)
{
	if (alias_is_lab(l->alias, lab->name))
		return true;
	if (!lab->number || l->group != lab_group(lab))
		return false;
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);
		char name[16];

		if (!strcmp(l->name, lab->segs[g].bridge))
			return true;
		for (size_t k = 1; k < n; k++)
			for (const char *const *x = (const char *const[]){ "", "-up", "-dn", NULL }; *x; x++)
				if (lab_bridge_name(&lab->segs[g], k, *x, name, NULL) == 0 &&
				    !strcmp(l->name, name))
					return true;
	}
	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			if (!strcmp(l->name, lab->hosts[i].ifaces[k].veth))
				return true;
	return false;
}

static int remove_links(const struct teardown *t, struct lab_error **err)
{
	struct nets *n = NULL;
	struct nets_link *links = NULL;
	size_t count = 0, ours = 0;
	bool foreign = false;
	uint32_t group = t->lab->number ? lab_group(t->lab) : 0;
	int r;

	r = nets_open(&n, err);
	if (r < 0)
		return r;
	r = nets_link_list(n, &links, &count, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < count; i++) {
		if (link_is_ours(t->lab, &links[i]))
			ours++;
		else if (group && links[i].group == group)
			foreign = true;
	}
	if (ours == 0)
		goto out;
	/* one request deletes the bridge and every veth (and so their peers inside the hosts) */
	if (group && !foreign) {
		explainf(t->explain, t->explain_arg, "ip link delete group %u", group);
		r = nets_group_del(n, group, err);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < count; i++) {
		if (!link_is_ours(t->lab, &links[i]))
			continue;
		if ((!group || foreign || links[i].group != group) &&
		    nets_link_del(n, links[i].ifindex, err) < 0 && r == 0)
			r = lab_err_wrap(err, "interface %s", links[i].name);
		say(t, "deleted interface %s", links[i].name);
	}
out:
	free(links);
	nets_close(n);
	return r;
}

static int wait_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r = TEMP_FAILURE_RETRY(poll(&p, 1, timeout_ms));

	return r == 1 ? 0 : -1;
}

static int kill_hosts(const struct teardown *t, struct lab_error **err)
{
	const struct lab *lab = t->lab;
	int *fds, r = 0;

	if (t->children) {
		/* our own children: kill all, then reap all */
		for (size_t i = 0; i < lab->nhosts; i++)
			if (t->children[i].pid > 0)
				pidfd_send_signal(t->children[i].pidfd, SIGKILL, NULL, 0);
		for (size_t i = 0; i < lab->nhosts; i++)
			ns_abort(&t->children[i]);
		return 0;
	}
	fds = malloc((lab->nhosts + 1) * sizeof(*fds));
	if (!fds)
		return lab_err(err, ENOMEM, "kill hosts");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		unsigned long long now;

		fds[i] = h->pid > 0 ? ns_pidfd_verified(h->pid, h->start, NULL) : -ESRCH;
		if (fds[i] == -ENOSYS && util_proc_starttime(h->pid, &now) == 0 && now == h->start) {
			/* no pidfd_open (valgrind): a plain kill, right after checking it is our host */
			explainf(t->explain, t->explain_arg, "kill -KILL %d", (int)h->pid);
			kill(h->pid, SIGKILL);
			say(t, "killed host %s (pid %d)", h->name, (int)h->pid);
			continue;
		}
		if (fds[i] < 0 && fds[i] != -ESRCH && fds[i] != -ENOSYS && r == 0)
			r = lab_err(err, -fds[i], "host %s (pid %d): pidfd_open", h->name, (int)h->pid);
		if (fds[i] >= 0) {
			explainf(t->explain, t->explain_arg, "kill -KILL %d", (int)h->pid);
			/* killing a PID 1 kills its whole PID namespace */
			if (pidfd_send_signal(fds[i], SIGKILL, NULL, 0) < 0 && errno != ESRCH)
				r = lab_err(err, errno, "kill host %s (pid %d)", h->name, (int)h->pid);
			say(t, "killed host %s (pid %d)", h->name, (int)h->pid);
		}
	}
	uint64_t deadline = util_now_ns() + (uint64_t)EXIT_TIMEOUT_MS * 1000000u;
	for (size_t i = 0; i < lab->nhosts; i++) {
		uint64_t now = util_now_ns();
		unsigned long long st;

		if (fds[i] == -ENOSYS) {	/* killed without a pidfd: watch /proc instead */
			while (util_proc_starttime(lab->hosts[i].pid, &st) == 0 && st == lab->hosts[i].start &&
			       util_now_ns() < deadline)
				usleep(1000);
			continue;
		}
		if (fds[i] < 0)
			continue;
		if (wait_exit(fds[i], now < deadline ? (int)((deadline - now) / 1000000u) : 0) < 0 &&
		    r == 0)
			r = lab_err(err, ETIMEDOUT, "host %s (pid %d) did not exit", lab->hosts[i].name,
				    (int)lab->hosts[i].pid);
		close(fds[i]);
	}
	free(fds);
	return r;
}

static int remove_state(const struct teardown *t, struct lab_error **err)
{
	_cleanup_close_ int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	static const char *const files[] = { "hosts", "state", ".state.tmp", ".hosts.tmp" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat(t->labfd, files[i], 0) < 0 && errno != ENOENT)
			return lab_err(err, errno, "remove %s/%s/%s", LAB_RUN_DIR, t->lab->name, files[i]);
	explainf(t->explain, t->explain_arg, "rm -r %s/%s", LAB_RUN_DIR, t->lab->name);
	if (rundir < 0 || unlinkat(rundir, t->lab->name, AT_REMOVEDIR) < 0)
		return lab_err(err, errno, "remove %s/%s", LAB_RUN_DIR, t->lab->name);
	say(t, "removed %s/%s", LAB_RUN_DIR, t->lab->name);
	return 0;
}

static int remove_mld_table(const struct teardown *t, struct nets *nf, struct lab_error **err)
{
	int r = nets_mld_table_del(nf, t->lab->name, err);

	if (r > 0) {
		explainf(t->explain, t->explain_arg, "nft delete table bridge netlab-%s", t->lab->name);
		say(t, "deleted the nftables table bridge netlab-%s", t->lab->name);
	}
	return r < 0 ? -1 : 0;
}

/* The lab's cgroups (cgroup.c), once its hosts are dead. A rollback whose `up` did not make them
 * (they were left over, and `up` stopped there) leaves them to `clean`. */
static int remove_cgroups(const struct teardown *t, struct lab_error **err)
{
	struct cgroup_set cg;
	int r;

	if (t->keep_cgroups)
		return 0;
	cgroup_detect(&cg);
	for (size_t i = 0; i < cg.n; i++)
		explainf(t->explain, t->explain_arg, "rmdir %s/netlab/%s/* %s/netlab/%s", cg.h[i].path,
			 t->lab->name, cg.h[i].path, t->lab->name);
	r = cgroup_lab_remove(&cg, t->lab->name, t->report, t->arg, err);
	return r < 0 ? -1 : 0;
}

static int teardown(const struct teardown *t, struct lab_error **err)
{
	struct nets *nf = NULL;
	struct lab_error *netns_err = NULL;
	int r = 0, netns_r;

	/* rolling back our own `up`: hosts first, since one still setting up may yet create its
	 * netns mount point (ns_spec); otherwise last, so the links are deleted while they exist */
	if (t->children && kill_hosts(t, err) < 0)
		r = -1;
	/* the MLD table first, its socket closed last: the kernel destroys the table meanwhile,
	 * where closing at once would wait for that (nets_nft_open); no nf_tables, no table */
	if ((!t->children || t->made_table) && nets_nft_open(&nf, NULL) == 0 &&
	    remove_mld_table(t, nf, err) < 0)
		r = -1;
	/* a /run/netns entry that cannot be removed (reported, path by path) holds no host and no
	 * link once these are gone: it must not keep the lab from being removed */
	netns_r = remove_netns_mounts(t, &netns_err);
	if ((!t->children || t->made_links) && remove_links(t, err) < 0)
		r = -1;
	if (!t->children && kill_hosts(t, err) < 0)
		r = -1;
	if (remove_cgroups(t, err) < 0)
		r = -1;
	nets_close(nf);
	/* keep the state while a host or a link could not be undone: `down` or `clean` can try
	 * again */
	if (r == 0 && remove_state(t, err) < 0)
		r = -1;
	remove_empty_dirs();
	if (netns_r < 0) {
		if (err && !*err) {
			*err = netns_err;
			netns_err = NULL;
		}
		lab_err_free(&netns_err);
		r = -1;
	}
	return r;
}

/* ---------------------------------------------------------------------------------------------
 * up
 */

struct up {
	const struct lab_spec *spec;
	enum { MLD_UNTRIED, MLD_TABLE, MLD_ON, MLD_OFF } mld;	/* nft table, tc block, or none */
	struct lab *lab;
	struct ns_child *children;
	struct nets *root;
	int labfd;
	int sigfd;
	int *bridges;		/* ifindex of bridge k of segment g: [g * LAB_SEG_BRIDGES_MAX + k] */
	size_t *ports;		/* of each segment, cabled so far */
	unsigned macs;		/* interfaces cabled so far: the last bytes of the next MAC */
	unsigned step, fail_at, stop_at;
	bool created_dir;
	bool made_table;	/* the lab's nftables table (wall_off) */
	bool neigh_fix;		/* the machine's neighbour defaults are not the kernel's */
	dev_t anchor_dev;	/* the first host's mount point file, once this run made it */
	ino_t anchor_ino;
	size_t ready, mounted;	/* hosts that reported ready, hosts whose netns is mounted */
	struct ns_spawner spawner;
	struct cgroup_set cg;	/* the hierarchies the hosts' cgroups are made in */
	bool cg_made;		/* netlab/LAB is ours to remove on rollback */
	char hosts_path[64];	/* for the spawner: the lab's hosts file */
	char anchor[128];	/* and the mount point the others are hard links to */
};

/* Every step of `up` passes here: a pending SIGINT/SIGTERM/SIGHUP aborts it (and rolls back).
 * For tests: NETLAB_FAIL_AT=K makes step K fail; NETLAB_STOP_AT=K stops the process (SIGSTOP) at
 * step K, so that a test can kill it at exactly that point. */
static int up_step(struct up *u, const char *what, struct lab_error **err)
{
	struct signalfd_siginfo si;

	u->step++;
	if (u->stop_at && u->step == u->stop_at)
		raise(SIGSTOP);
	if (u->fail_at && u->step == u->fail_at)
		return lab_err(err, 0, "injected failure at step %u (%s) [NETLAB_FAIL_AT]", u->step, what);
	if (u->sigfd >= 0 && read(u->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int r = lab_err(err, EINTR, "interrupted by %s while %s", strsignal((int)si.ssi_signo),
				what);
		if (*err)
			(*err)->signo = (int)si.ssi_signo;
		return r;
	}
	return 0;
}

static int check_preconditions(struct lab_error **err)
{
	char buf[32];
	unsigned long v;

	if (geteuid() != 0)
		return lab_err(err, 0, "netlab up needs root (it creates namespaces, a bridge and "
					   "veths): run it with sudo");
	if (util_read_file("/proc/sys/user/max_user_namespaces", buf, sizeof(buf), NULL) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (util_parse_ulong(buf, 0, ~0ul, &v) == 0 && v == 0)
			return lab_err(err, 0, "user namespaces are disabled "
					       "(/proc/sys/user/max_user_namespaces is 0): run "
					       "'sysctl -w user.max_user_namespaces=15000' (on CentOS 7 also "
					       "boot with user_namespace.enable=1)");
	}
	return 0;
}

static void raise_fd_limit(size_t hosts)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)hosts * 3 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* What the lab will be, before any address is known: from the topology file, or h1..hN on one
 * segment plus e1..eM. Names of bridges and veths follow. */
static int plan_hosts(struct up *u, struct lab_error **err)
{
	const struct lab_spec *s = u->spec;
	struct lab *lab = u->lab;
	const struct lab *topo = s->topo ? &s->topo->plan : NULL;

	lab->nsegs = topo ? topo->nsegs : 1;
	lab->nhosts = topo ? topo->nhosts : s->hosts + s->empty;
	lab->segs = calloc(lab->nsegs, sizeof(*lab->segs));
	lab->hosts = calloc(lab->nhosts, sizeof(*lab->hosts));
	u->children = calloc(lab->nhosts, sizeof(*u->children));
	if (!lab->segs || !lab->hosts || !u->children)
		return lab_err(err, ENOMEM, "plan lab");
	for (size_t i = 0; i < lab->nhosts; i++)
		u->children[i].pidfd = u->children[i].sync_fd = -1;
	if (topo) {
		lab->from_file = true;
		memcpy(lab->segs, topo->segs, lab->nsegs * sizeof(*lab->segs));
		for (size_t i = 0; i < lab->nhosts; i++) {
			lab->hosts[i] = topo->hosts[i];
			lab->hosts[i].routes = NULL;	/* resolved later, once addresses are known */
			lab->hosts[i].nroutes = 0;
		}
		for (size_t g = 0; g < lab->nsegs; g++)
			if (names_ifname(lab->segs[g].bridge, err, "%s-%s", lab->name, lab->segs[g].name) < 0)
				return lab_err_wrap(err, "segment %s (use a shorter lab name)", lab->segs[g].name);
		for (size_t g = 0; g < lab->nsegs; g++)	/* --mtu: segments without an mtu: */
			if (!lab->segs[g].mtu)
				lab->segs[g].mtu = s->mtu;
	} else {
		struct lab_segment *g = &lab->segs[0];

		snprintf(g->name, sizeof(g->name), "lan");
		if (names_ifname(g->bridge, err, "%s-br", lab->name) < 0)
			return -1;
		if (s->has_subnet)
			g->subnet = s->subnet;
		g->has6 = !s->no_ipv6;
		if (s->has_subnet6)
			g->subnet6 = s->subnet6;
		g->mtu = s->mtu;
		for (unsigned i = 0; i < s->hosts; i++) {
			struct lab_host *h = &lab->hosts[i];

			snprintf(h->name, sizeof(h->name), "h%u", i + 1);
			h->networked = true;
			h->nifaces = 1;
			snprintf(h->ifaces[0].name, sizeof(h->ifaces[0].name), "eth0");
		}
		for (unsigned i = 0; i < s->empty; i++)
			snprintf(lab->hosts[s->hosts + i].name, sizeof(lab->hosts[0].name), "e%u", i + 1);
	}
	for (size_t i = 0; i < lab->nhosts; i++) {
		struct lab_host *h = &lab->hosts[i];

		for (size_t k = 0; k < h->nifaces; k++) {
			int r = k ? names_ifname(h->ifaces[k].veth, err, "%s-%s-%zu", lab->name, h->name, k)
				  : names_ifname(h->ifaces[k].veth, err, "%s-%s", lab->name, h->name);
			if (r < 0)
				return lab_err_wrap(err, "host %s (use a shorter lab or host name)", h->name);
		}
	}
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);
		char name[16];

		if (n > LAB_SEG_BRIDGES_MAX)
			return lab_err(err, E2BIG, "segment %s: %zu hosts, at most %d",
				       lab->segs[g].name, lab_seg_ports(lab, g), LAB_HOSTS_MAX);
		if (n > 1 && lab_bridge_name(&lab->segs[g], n - 1, "-up", name, err) < 0)
			return lab_err_wrap(err, "segment %s: more than %d hosts take more bridges "
					    "(use a shorter lab or segment name)", lab->segs[g].name,
					    LAB_BRIDGE_PORTS);
	}
	return 0;
}

/* Prefixes in use: by the other labs that are up, and by the segments of this one picked so far. */
struct taken {
	struct ipv4_net *v4;
	struct ipv6_net *v6;
	size_t n4, n6;
};

static int taken_add(struct taken *t, const struct lab_segment *g)
{
	struct ipv4_net *v4 = realloc(t->v4, (t->n4 + 1) * sizeof(*v4));
	struct ipv6_net *v6;

	if (!v4)
		return -1;
	t->v4 = v4;
	t->v4[t->n4++] = g->subnet;
	if (!g->has6)
		return 0;
	v6 = realloc(t->v6, (t->n6 + 1) * sizeof(*v6));
	if (!v6)
		return -1;
	t->v6 = v6;
	t->v6[t->n6++] = g->subnet6;
	return 0;
}

/* The subnet(s) of one segment: given ones are checked against every other lab and the machine's
 * routes, missing ones are the first free block of 10.77.0.0/16 (IPv6: fd4e:4c00:LAB:SEG::/64). */
static int allocate_segment(struct up *u, size_t gi, const struct taken *t, struct lab_error **err)
{
	struct lab_segment *g = &u->lab->segs[gi];
	bool given = g->subnet.prefix != 0, plain = !u->spec->topo;
	const char *opt = plain ? "another --subnet" : "another subnet";
	char desc[96], text[20], text6[IPV6_TEXT + 4], what[64];
	int r;

	snprintf(what, sizeof(what), plain ? "subnet" : "segment %s: subnet", g->name);
	if (g->has6) {
		if (!g->subnet6.prefix)
			ipv6_lab_net(u->lab->number, (unsigned)gi + 1, &g->subnet6);
		for (size_t i = 0; i < t->n6; i++)
			if (ipv6_overlap(&g->subnet6, &t->v6[i]))
				return lab_err(err, 0, "%s %s overlaps %s of another lab: choose %s%s", what,
					       ipv6_fmt_net(&g->subnet6, text6, sizeof(text6)),
					       ipv6_fmt_net(&t->v6[i], desc, sizeof(desc)),
					       plain ? "another --subnet6" : "another subnet6",
					       plain ? " (or --no-ipv6)" : "");
		r = nets_route_overlap(u->root, AF_INET6, g->subnet6.addr, 64, desc, sizeof(desc), err);
		if (r < 0)
			return r;
		if (r > 0)
			return lab_err(err, 0, "%s %s overlaps the IPv6 route %s on this machine: choose "
					       "another %s", what, ipv6_fmt_net(&g->subnet6, text6, sizeof(text6)),
				       desc, plain ? "--subnet6 (or --no-ipv6)" : "subnet6");
	}
	if (given) {
		for (size_t i = 0; i < t->n4; i++)
			if (ipv4_overlap(&g->subnet, &t->v4[i]))
				return lab_err(err, 0, "%s %s overlaps %s of another lab%s: choose %s", what,
					       ipv4_fmt_net(&g->subnet, text, sizeof(text)),
					       ipv4_fmt_net(&t->v4[i], desc, sizeof(desc)),
					       plain ? "" : " or segment", opt);
		r = nets_route4_overlap(u->root, g->subnet.addr, g->subnet.prefix, desc, sizeof(desc), err);
		if (r > 0)
			r = lab_err(err, 0, "%s %s overlaps the route %s on this machine: choose %s", what,
				    ipv4_fmt_net(&g->subnet, text, sizeof(text)), desc, opt);
		return r < 0 ? r : 0;
	}
	/* a /24 at least: room for students to add hosts */
	g->subnet.prefix = plain ? ipv4_prefix_for(u->spec->hosts) : 24;
	if (g->subnet.prefix > 24)
		g->subnet.prefix = 24;
	for (uint32_t a = 0x0a4d0100; a < 0x0a4e0000; a += 1u << (32 - g->subnet.prefix)) {
		bool clash = false;

		g->subnet.addr = a & ipv4_mask(g->subnet.prefix);
		if (g->subnet.addr < 0x0a4d0100)
			continue;
		for (size_t i = 0; i < t->n4 && !clash; i++)
			clash = ipv4_overlap(&g->subnet, &t->v4[i]);
		if (clash)
			continue;
		r = nets_route4_overlap(u->root, g->subnet.addr, g->subnet.prefix, desc, sizeof(desc), err);
		if (r <= 0)
			return r;
	}
	return lab_err(err, 0, "no free subnet left in 10.77.0.0/16: give one with %s",
		       plain ? "--subnet" : "subnet:");
}

/* Pick a lab number and subnets no other lab and no route of the machine uses. Runs under the
 * /run/netlab lock. */
static int allocate(struct up *u, struct lab_error **err)
{
	struct lab *lab = u->lab;
	char **names = NULL;
	size_t count = 0;
	struct taken t = { 0 };
	unsigned char *used = NULL;
	int r = 0;

	used = calloc(65536, 1);
	if (!used)
		return lab_err(err, ENOMEM, "allocate");
	r = lab_names(&names, &count, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < count; i++) {
		struct lab other;
		struct lab_error *ignored = NULL;

		if (!strcmp(names[i], lab->name))
			continue;
		if (lab_load(names[i], &other, &ignored) < 0) {
			lab_err_free(&ignored);	/* a corrupt lab blocks nothing; clean reports it */
			continue;
		}
		used[other.number] = 1;
		for (size_t g = 0; g < other.nsegs && r == 0; g++)
			if (taken_add(&t, &other.segs[g]) < 0)
				r = lab_err(err, ENOMEM, "allocate");
		state_free(&other);
	}
	if (r < 0)
		goto out;
	for (lab->number = 1; lab->number < 65536 && used[lab->number]; lab->number++)
		;
	if (lab->number >= 65536) {
		r = lab_err(err, 0, "too many labs are up");
		goto out;
	}
	/* given subnets first, so that picked ones go around them */
	for (int pass = 0; pass < 2 && r == 0; pass++)
		for (size_t g = 0; g < lab->nsegs && r == 0; g++) {
			if ((lab->segs[g].subnet.prefix != 0) != (pass == 0))
				continue;
			r = allocate_segment(u, g, &t, err);
			if (r == 0 && taken_add(&t, &lab->segs[g]) < 0)
				r = lab_err(err, ENOMEM, "allocate");
		}
out:
	lab_names_free(names, count);
	free(t.v4);
	free(t.v6);
	free(used);
	return r < 0 ? r : 0;
}

/* Addresses: given ones stay, the others take the lowest free host numbers of their segment, in
 * the order the hosts come. IPv6 addresses use the same host number in the segment's /64. */
static int assign_addresses(struct lab *lab, struct lab_error **err)
{
	for (size_t g = 0; g < lab->nsegs; g++) {
		const struct lab_segment *seg = &lab->segs[g];
		uint32_t cap = ipv4_capacity(seg->subnet.prefix), next = 1, want = 0;
		unsigned char *used = calloc(cap + 2, 1);
		char net[20];

		if (!used)
			return lab_err(err, ENOMEM, "assign addresses");
		for (size_t i = 0; i < lab->nhosts; i++)
			for (size_t k = 0; k < lab->hosts[i].nifaces; k++) {
				const struct lab_iface *x = &lab->hosts[i].ifaces[k];
				if (x->seg != g)
					continue;
				want++;
				if (x->addr && x->addr - seg->subnet.addr <= cap)
					used[x->addr - seg->subnet.addr] = 1;
			}
		if (want > cap) {
			free(used);
			return lab_err(err, 0, "%s %s holds %u hosts, not %u: use a larger one",
				       lab->from_file ? "segment's subnet" : "subnet",
				       ipv4_fmt_net(&seg->subnet, net, sizeof(net)), cap, want);
		}
		for (size_t i = 0; i < lab->nhosts; i++)
			for (size_t k = 0; k < lab->hosts[i].nifaces; k++) {
				struct lab_iface *x = &lab->hosts[i].ifaces[k];
				if (x->seg != g)
					continue;
				if (!x->addr) {
					while (used[next])
						next++;
					used[next] = 1;
					x->addr = ipv4_host(&seg->subnet, next);
				}
				if (seg->has6)
					ipv6_host(&seg->subnet6, x->addr - seg->subnet.addr, x->addr6);
			}
		free(used);
	}
	return 0;
}

/* A topology route's `via`: a host's address on a segment it shares with `from`, or a literal. */
static int resolve_via(const struct lab *lab, const struct lab_host *from, const char *via,
		       bool *has4, uint32_t *v4, bool *has6, uint8_t v6[16])
{
	*has4 = *has6 = false;
	if (ipv4_parse_addr(via, v4) == 0)
		return *has4 = true, 0;
	if (ipv6_parse_addr(via, v6) == 0)
		return *has6 = true, 0;
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];

		if (strcmp(h->name, via))
			continue;
		for (size_t k = 0; k < h->nifaces; k++)
			for (size_t m = 0; m < from->nifaces; m++)
				if (h->ifaces[k].seg == from->ifaces[m].seg) {
					*v4 = h->ifaces[k].addr;
					*has4 = true;
					memcpy(v6, h->ifaces[k].addr6, 16);
					*has6 = !ipv6_is_zero(v6);
					return 0;
				}
	}
	return -1;
}

/* Turn the file's routes into the kernel's: one IPv4 and (where both ends have it) one IPv6 route
 * per line. */
static int resolve_routes(struct up *u, struct lab_error **err)
{
	const struct lab_topo *topo = u->spec->topo;
	struct lab *lab = u->lab;

	for (size_t r = 0; topo && r < topo->nroutes; r++) {
		const struct lab_topo_route *tr = &topo->routes[r];
		struct lab_host *h = &lab->hosts[tr->host];
		struct lab_route rt4 = { 0 }, rt6 = { .v6 = true };
		bool d4 = false, d6 = false, g4, g6;
		struct lab_error *sub = NULL;
		struct lab_route *v;

		if (!strcmp(tr->to, "default")) {
			d4 = d6 = true;
		} else if (strchr(tr->to, '/')) {
			if (strchr(tr->to, ':'))
				d6 = ipv6_parse_prefix(tr->to, &rt6.dst6, &sub) == 0;
			else
				d4 = ipv4_parse_prefix(tr->to, &rt4.dst, &sub) == 0;
			lab_err_free(&sub);
		} else {
			for (size_t g = 0; g < lab->nsegs; g++)
				if (!strcmp(lab->segs[g].name, tr->to)) {
					rt4.dst = lab->segs[g].subnet;
					d4 = true;
					rt6.dst6 = lab->segs[g].subnet6;
					d6 = lab->segs[g].has6;
				}
		}
		if (resolve_via(lab, h, tr->via, &g4, &rt4.via, &g6, rt6.via6) < 0)
			return lab_err(err, 0, "%s: host %s: route via '%s': no such host on a segment of %s",
				       tr->where, h->name, tr->via, h->name);
		d4 = d4 && g4;
		d6 = d6 && g6;
		if (!d4 && !d6)
			return lab_err(err, 0, "%s: host %s: route to '%s' via '%s': no address family in "
					       "common", tr->where, h->name, tr->to, tr->via);
		if (h->nroutes + d4 + d6 > LAB_ROUTES_MAX)
			return lab_err(err, 0, "%s: host %s: more than %d routes", tr->where, h->name,
				       LAB_ROUTES_MAX);
		v = realloc(h->routes, (h->nroutes + 2) * sizeof(*v));
		if (!v)
			return lab_err(err, ENOMEM, "routes");
		h->routes = v;
		if (d4)
			h->routes[h->nroutes++] = rt4;
		if (d6)
			h->routes[h->nroutes++] = rt6;
	}
	return 0;
}

/* The lab's directory and its hosts file, by hand: printf lines of a few entries each, with the
 * file's tabs and newlines as printf escapes (it holds no quote, backslash or %). */
static void explain_hosts_file(const struct up *u, const char *text)
{
	char line[400];
	size_t used = 0;
	bool first = true;

	if (!u->spec->explain)
		return;
	/* -m applies to the directories named, not to parents -p makes: name both */
	explainf(u->spec->explain, u->spec->explain_arg, "mkdir -p -m 0700 %s %s/%s", LAB_RUN_DIR,
		 LAB_RUN_DIR, u->lab->name);
	for (const char *p = text; *p && used + 3 < sizeof(line); p++) {
		if (*p == '\t' || *p == '\n') {
			line[used++] = '\\';
			line[used++] = *p == '\t' ? 't' : 'n';
		} else {
			line[used++] = *p;
		}
		line[used] = '\0';
		if (*p == '\n' && (used > 200 || !p[1])) {
			explainf(u->spec->explain, u->spec->explain_arg, "printf '%s' %s %s/%s/hosts", line,
				 first ? ">" : ">>", LAB_RUN_DIR, u->lab->name);
			first = false;
			used = 0;
			line[0] = '\0';
		}
	}
}

static int write_hosts_file(struct up *u, struct lab_error **err)
{
	char *text = NULL, a[IPV6_TEXT];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f)
		return lab_err(err, errno, "hosts file");
	fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", f);
	/* every address of every host: its name for eth0, NAME-ethK for each interface */
	for (size_t i = 0; i < u->lab->nhosts; i++) {
		const struct lab_host *h = &u->lab->hosts[i];

		for (size_t k = 0; k < h->nifaces; k++) {
			const struct lab_iface *x = &h->ifaces[k];

			fprintf(f, "%s\t%s%s%s-%s\n", ipv4_fmt(x->addr, a, sizeof(a)), k ? "" : h->name,
				k ? "" : " ", h->name, x->name);
			if (!ipv6_is_zero(x->addr6))
				fprintf(f, "%s\t%s%s%s-%s\n", ipv6_fmt(x->addr6, a, sizeof(a)),
					k ? "" : h->name, k ? "" : " ", h->name, x->name);
		}
	}
	fclose(f);
	explain_hosts_file(u, text);
	r = util_write_atomic(u->labfd, "hosts", text, len, 0644, err);
	free(text);
	return r;
}

/* Slots k of NS_ID_BASE + k * NS_ID_COUNT that ids a or more (n of them) overlap. */
static void mark_ids(unsigned char *used, unsigned long long a, unsigned long long n)
{
	if (!n || n > 1ull << 32 || a > 1ull << 32 || a + n <= NS_ID_BASE)
		return;
	for (unsigned long long k = a < NS_ID_BASE ? 0 : (a - NS_ID_BASE) / NS_ID_COUNT;
	     k <= (a + n - 1 - NS_ID_BASE) / NS_ID_COUNT && k < NS_ID_SLOTS; k++)
		used[k] = 1;
}

/* The ids a passwd/group file (name:x:ID:...) or a subordinate id file (name:START:COUNT) uses. */
static void mark_ids_file(unsigned char *used, const char *path, bool subordinate)
{
	FILE *f = fopen(path, "re");
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *end;
		unsigned long long a, n = 1;

		if (!c2 || line[0] == '#')
			continue;
		a = strtoull(subordinate ? c1 + 1 : c2 + 1, &end, 10);
		if (end == (subordinate ? c1 + 1 : c2 + 1))
			continue;
		if (subordinate && ((n = strtoull(c2 + 1, &end, 10)) == 0 || end == c2 + 1))
			continue;
		mark_ids(used, a, n);
	}
	fclose(f);
}

/* A distinct uid/gid range for each host (ns.h), so that no two hosts, of this lab or of any other,
 * are the same user outside: free slots (no host of another lab up holds them, no user, group or
 * subordinate range of this machine overlaps them), consecutive from a random one. Not the lowest:
 * the kernel frees some of a user's things lazily (the keys of a host that is gone count against
 * its uid's key quota for minutes), so a range just freed is better not handed out again at once.
 * Under the /run/netlab lock; recorded in the state, freed when the state goes (`down`, `clean`). */
static int allocate_ids(struct up *u, struct lab_error **err)
{
	struct lab *lab = u->lab;
	unsigned char *used = calloc(NS_ID_SLOTS, 1);
	char **names = NULL;
	size_t count = 0, k = 0, seen = 0;
	uint32_t start;

	if (!used)
		return lab_err(err, ENOMEM, "allocate ids");
	if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != (ssize_t)sizeof(start))
		start = (uint32_t)util_now_ns();
	k = start % NS_ID_SLOTS;
	if (lab_names(&names, &count, err) < 0) {
		free(used);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		struct lab other;
		struct lab_error *ignored = NULL;

		if (!strcmp(names[i], lab->name) || lab_load(names[i], &other, &ignored) < 0) {
			lab_err_free(&ignored);
			continue;
		}
		for (size_t h = 0; h < other.nhosts; h++)	/* 0: an older netlab's NS_ID_BASE */
			mark_ids(used, other.hosts[h].id_base ? other.hosts[h].id_base : NS_ID_BASE, 1);
		state_free(&other);
	}
	lab_names_free(names, count);
	mark_ids_file(used, "/etc/subuid", true);
	mark_ids_file(used, "/etc/subgid", true);
	mark_ids_file(used, "/etc/passwd", false);
	mark_ids_file(used, "/etc/group", false);
	for (size_t i = 0; i < lab->nhosts; i++) {
		for (; seen < NS_ID_SLOTS && used[k]; seen++)
			k = (k + 1) % NS_ID_SLOTS;
		if (seen == NS_ID_SLOTS) {
			free(used);
			return lab_err(err, EUSERS, "no free uid/gid range for host %s: at most %u hosts "
						    "(of all labs) can be up at once", lab->hosts[i].name,
				       NS_ID_SLOTS);
		}
		used[k] = 1;
		lab->hosts[i].id_base = NS_ID_BASE + (uint32_t)k * NS_ID_COUNT;
	}
	free(used);
	return 0;
}

/* netlab/LAB in each cgroup hierarchy, under the /run/netlab lock (cgroup_lab_create). */
static int make_lab_cgroups(struct up *u, struct lab_error **err)
{
	cgroup_detect(&u->cg);
	if (cgroup_lab_create(&u->cg, u->lab->name, err) < 0)
		return -1;
	u->cg_made = true;
	return 0;
}

/* Refuse to build where something of the lab's names already is: an interface LAB-* (the MLD
 * rule matches every one of them), an entry /run/netns/LAB-*, the nftables table netlab-LAB. A
 * failed `up` would otherwise remove them in its rollback, and `down` later. Runs under the
 * /run/netlab lock, before anything is made. */
static int check_clashes(struct up *u, struct lab_error **err)
{
	const char *name = u->lab->name;
	char prefix[LAB_NAME_MAX + 2], alias[LAB_NAME_MAX + 16], found[512] = "";
	struct nets_link *links = NULL;
	char **tables = NULL;
	size_t count = 0;
	struct dirent *e;
	DIR *d;
	int r;

	snprintf(prefix, sizeof(prefix), "%s-", name);
	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s:", name);
	r = nets_link_list(u->root, &links, &count, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count && !found[0]; i++) {
		if (strncmp(links[i].name, prefix, strlen(prefix)))
			continue;
		if (!strncmp(links[i].alias, alias, strlen(alias)))
			snprintf(found, sizeof(found), "interface %s is left from a lab '%s' that crashed: "
				 "run 'netlab clean'", links[i].name, name);
		else
			snprintf(found, sizeof(found), "interface %s exists and is not netlab's (a lab's "
				 "interfaces are named %s*): delete it or choose another --name",
				 links[i].name, prefix);
	}
	free(links);
	if ((d = opendir(LAB_NETNS_DIR))) {
		while (!found[0] && (e = readdir(d)))
			if (!strncmp(e->d_name, prefix, strlen(prefix)))
				snprintf(found, sizeof(found), "%s/%.32s exists and is not netlab's (a network "
					 "namespace made with 'ip netns add'?): remove it ('ip netns del %.32s') "
					 "or choose another --name", LAB_NETNS_DIR, e->d_name, e->d_name);
		closedir(d);
	}
	if (!found[0] && nets_mld_table_labs(&tables, &count, NULL) == 0) {
		for (size_t i = 0; i < count && !found[0]; i++)
			if (!strcmp(tables[i], name))
				snprintf(found, sizeof(found), "the nftables table bridge netlab-%s exists: "
					 "left from a lab '%s' that crashed ('netlab clean' removes it) or "
					 "made by hand ('nft delete table bridge netlab-%s')", name, name, name);
		lab_names_free(tables, count);
	}
	if (found[0])
		return lab_err(err, 0, "lab '%s' cannot start: %s", name, found);
	return 0;
}

static int reserve(struct up *u, struct lab_error **err)
{
	struct lab *lab = u->lab;
	_cleanup_close_ int rundir = -1;
	struct lab_error *sub = NULL;
	int r;

	rundir = run_dir_lock(true, err);
	if (rundir < 0)
		return -1;
	if (mkdirat(rundir, lab->name, 0700) < 0) {
		struct lab other;

		if (errno != EEXIST)
			return lab_err(err, errno, "create %s/%s", LAB_RUN_DIR, lab->name);
		r = lab_load(lab->name, &other, &sub);
		if (r == 0 && !other.complete) {
			state_free(&other);
			return lab_err(err, 0, "lab '%s' is being built, or its `netlab up` died: "
						    "run 'netlab clean' if no netlab up is running",
				       lab->name);
		}
		if (r == 0)
			state_free(&other);
		lab_err_free(&sub);
		return lab_err(err, 0, "lab '%s' is already up (see 'netlab status %s', end it "
					    "with 'netlab down %s')", lab->name, lab->name, lab->name);
	}
	u->created_dir = true;
	u->labfd = open_lab_dir(rundir, lab->name, err);
	if (u->labfd < 0)
		return -1;
	if (flock(u->labfd, LOCK_EX | LOCK_NB) < 0)
		return lab_err(err, errno, "lock %s/%s", LAB_RUN_DIR, lab->name);
	r = nets_open(&u->root, err);
	if (r < 0)
		return r;
	if (plan_hosts(u, err) < 0)
		return -1;
	r = check_clashes(u, err);
	if (r < 0)
		return r;
	r = allocate(u, err);
	if (r < 0)
		return r;
	if (allocate_ids(u, err) < 0 || make_lab_cgroups(u, err) < 0)
		return -1;
	if (assign_addresses(lab, err) < 0 || resolve_routes(u, err) < 0)
		return -1;
	lab->builder = getpid();
	util_proc_starttime(lab->builder, &lab->builder_start);
	/* recorded before anything is made: a killed `up` leaves a plan `clean` can follow */
	if (write_state_at(u->labfd, lab, err) < 0 || write_hosts_file(u, err) < 0)
		return -1;
	return 0;	/* the /run/netlab lock is released here: the name and subnet are ours */
}

static bool shaped(const struct lab_shape *s)
{
	return s->rate_bps || s->delay_us || s->jitter_us || s->loss_percent > 0;
}

static int shape_one(struct nets *n, int ifindex, const struct lab_shape *s, struct lab_error **err);

/* Configure a networked host's netns from here, through a socket opened inside it: lo up; per
 * interface its addresses (IPv6 ones without DAD: planned, and DAD is multicast the bridge floods to
 * every port), up; routes; forwarding for routers; shaping. Doing it from this one thread, rather
 * than from each host, keeps a single user on the kernel's RTNL lock; hosts configuring themselves
 * concurrently made `up` super-linear. */
/* Does the machine's net.ipv{4,6}.neigh.default differ from the kernel's own (what
 * nets_neigh_defaults sets)? A host's interfaces copy it, and a host has no default of its own to
 * write before they exist: read once per `up`, so a machine with the kernel's values pays nothing. */
static bool machine_neigh_differs(void)
{
	static const char *const want[][3] = {	/* name, IPv4, IPv6 */
		{ "base_reachable_time_ms", "30000", "30000" }, { "retrans_time_ms", "1000", "1000" },
		{ "delay_first_probe_time", "5", "5" }, { "gc_stale_time", "60", "60" },
		{ "anycast_delay", "100", "100" }, { "proxy_delay", "80", "80" },
		{ "locktime", "100", "0" }, { "ucast_solicit", "3", "3" }, { "mcast_solicit", "3", "3" },
		{ "app_solicit", "0", "0" }, { "proxy_qlen", "64", "64" },
	};
	char path[96], buf[32];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		for (int f = 0; f < 2; f++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv%c/neigh/default/%s", f ? '6' : '4',
				 want[i][0]);
			if (util_read_file(path, buf, sizeof(buf), NULL) <= 0)
				continue;	/* no IPv6: nothing to copy */
			buf[strcspn(buf, "\n")] = '\0';
			if (strcmp(buf, want[i][1 + f]))
				return true;
		}
	return false;
}

static int host_net(const struct lab *lab, const struct lab_host *h, int pidfd,
		    const int ifindex_known[LAB_IFACES_MAX], bool neigh_fix, struct lab_error **err)
{
	struct nets *n = NULL;
	int r, ifindex[LAB_IFACES_MAX];

	r = nets_open_at(pidfd, &n, err);
	if (r < 0)
		return r;
	r = nets_link_set_up(n, 1, true, err);	/* lo is ifindex 1 in every netns */
	for (size_t k = 0; k < h->nifaces && r >= 0; k++) {
		const struct lab_iface *x = &h->ifaces[k];
		const struct lab_segment *g = &lab->segs[x->seg];
		uint32_t be = htonl(x->addr);

		ifindex[k] = ifindex_known[k];
		r = ifindex[k] ? 0 : nets_ifindex(n, x->name, &ifindex[k], err);
		if (r >= 0 && ipv6_is_zero(x->addr6))	/* IPv4 only: not even a link-local address */
			r = nets_link_no_ipv6(n, ifindex[k], err);
		if (r >= 0 && neigh_fix)
			r = nets_neigh_defaults(n, ifindex[k], !ipv6_is_zero(x->addr6), err);
		if (r >= 0)
			r = nets_addr_add(n, ifindex[k], AF_INET, &be, g->subnet.prefix, false, err);
		if (r >= 0 && !ipv6_is_zero(x->addr6))
			r = nets_addr_add(n, ifindex[k], AF_INET6, x->addr6, 64, true, err);
		if (r >= 0)
			r = nets_link_set_up(n, ifindex[k], true, err);
		if (r >= 0 && shaped(&x->shape))
			r = shape_one(n, ifindex[k], &x->shape, err);
		if (r < 0)
			lab_err_wrap(err, "%s", x->name);
	}
	for (size_t k = 0; k < h->nroutes && r >= 0; k++) {
		const struct lab_route *rt = &h->routes[k];
		uint32_t dst = htonl(rt->dst.addr), via = htonl(rt->via);

		r = rt->v6 ? nets_route_add(n, AF_INET6, rt->dst6.addr, rt->dst6.prefix, rt->via6, err)
			   : nets_route_add(n, AF_INET, &dst, rt->dst.prefix, &via, err);
	}
	nets_close(n);
	return r;
}

static int wait_ready(struct up *u, size_t i, struct lab_error **err)
{
	struct pollfd p[2] = { { .fd = u->children[i].sync_fd, .events = POLLIN },
			       { .fd = u->sigfd, .events = POLLIN } };
	int r = TEMP_FAILURE_RETRY(poll(p, 2, READY_TIMEOUT_MS));

	if (r == 0)
		return lab_err(err, ETIMEDOUT, "host %s did not report ready", u->lab->hosts[i].name);
	if (r < 0)
		return lab_err(err, errno, "wait for host %s", u->lab->hosts[i].name);
	if (p[1].revents & POLLIN)
		return up_step(u, "waiting for hosts", err);
	if (ns_read_ready(&u->children[i], err) < 0)
		return lab_err_wrap(err, "host %s", u->lab->hosts[i].name);
	return 0;
}

static int mount_netns(const struct lab *lab, const struct lab_host *h, struct lab_error **err)
{
	char path[128], src[64];

	netns_path(path, sizeof(path), lab->name, h->name);	/* the host created the file */
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)h->pid);
	if (mount(src, path, "none", MS_BIND, NULL) < 0) {
		int e = errno;
		unlink(path);
		return lab_err(err, e, "bind %s to %s", src, path);
	}
	return 0;
}

/* What a host writes under its own /proc/sys before it reports ready (ns_spec.sysctl): the
 * defaults its interfaces, cabled after that, start with. IPv6: the kernel makes the link-local
 * address (EUI-64, from the MAC we set) each time a link comes up; no duplicate detection and no
 * router solicitation, both multicast the bridge floods to every port; the unique local address
 * kept across `ip link set ethK down; up`, as IPv4 addresses are. A router forwards, in its own
 * netns only. In the host, not here: /proc/sys/net as the machine's /proc shows it has one dentry
 * per netns for each name, and every lookup walks them all (quadratic in the size of the lab).
 *
 * Every other setting that changes what a lab does is written too, to the kernel's own default:
 * a new netns copies net.ipv4.conf.{all,default} from the machine (net.core.devconf_inherit_init_net
 * 0 or 1; IPv6 too with 1 or 3), so a machine with rp_filter=1 (asymmetric routes fail), arp_ignore,
 * ip_forward=1 or accept_redirects=0 would otherwise make the same lab behave differently. For
 * rp_filter, arp_ignore and arp_announce the kernel takes the larger of "all" and the interface's
 * value; for arp_filter, proxy_arp and the rest, either: both are written. ip_forward first: its
 * change resets all.accept_redirects (inet_forward_change), written after it. */
#define SYSCTL_V4(fwd, redirects)                                                              \
	"net/ipv4/ip_forward=" fwd, "net/ipv4/conf/default/forwarding=" fwd,                   \
	"net/ipv4/conf/all/rp_filter=0", "net/ipv4/conf/default/rp_filter=0",                  \
	"net/ipv4/conf/all/accept_redirects=" redirects,                                      \
	"net/ipv4/conf/default/accept_redirects=1", "net/ipv4/conf/all/secure_redirects=1",    \
	"net/ipv4/conf/default/secure_redirects=1", "net/ipv4/conf/all/send_redirects=1",      \
	"net/ipv4/conf/default/send_redirects=1", "net/ipv4/conf/all/accept_source_route=0",   \
	"net/ipv4/conf/default/accept_source_route=0", "net/ipv4/conf/all/accept_local=0",     \
	"net/ipv4/conf/default/accept_local=0", "net/ipv4/conf/all/arp_ignore=0",              \
	"net/ipv4/conf/default/arp_ignore=0", "net/ipv4/conf/all/arp_announce=0",              \
	"net/ipv4/conf/default/arp_announce=0", "net/ipv4/conf/all/arp_filter=0",              \
	"net/ipv4/conf/default/arp_filter=0", "net/ipv4/conf/all/arp_accept=0",                \
	"net/ipv4/conf/default/arp_accept=0", "net/ipv4/conf/all/arp_notify=0",                \
	"net/ipv4/conf/default/arp_notify=0", "net/ipv4/conf/all/proxy_arp=0",                 \
	"net/ipv4/conf/default/proxy_arp=0", "net/ipv4/conf/all/promote_secondaries=0",        \
	"net/ipv4/conf/default/promote_secondaries=0"
/* IPv6 also takes the larger of "all" and the interface's accept_dad */
#define SYSCTL_V6(fwd)                                                                         \
	"net/ipv6/conf/all/disable_ipv6=0", "net/ipv6/conf/default/disable_ipv6=0",            \
	"net/ipv6/conf/all/forwarding=" fwd, "net/ipv6/conf/default/forwarding=" fwd,          \
	"net/ipv6/conf/all/accept_dad=0", "net/ipv6/conf/default/accept_dad=0",                \
	"net/ipv6/conf/all/accept_ra=0", "net/ipv6/conf/default/accept_ra=0",                  \
	"net/ipv6/conf/all/accept_redirects=1", "net/ipv6/conf/default/accept_redirects=1",    \
	"net/ipv6/conf/all/proxy_ndp=0", "net/ipv6/conf/default/proxy_ndp=0",                  \
	"net/ipv6/conf/default/keep_addr_on_down=1"

static const char *const *host_sysctls(const struct lab_host *h)
{
	static const char *const host4[] = { SYSCTL_V4("0", "1"), NULL };
	static const char *const host6[] = { SYSCTL_V4("0", "1"), SYSCTL_V6("0"), NULL };
	static const char *const router4[] = { SYSCTL_V4("1", "0"), NULL };
	static const char *const router6[] = { SYSCTL_V4("1", "0"), SYSCTL_V6("1"), NULL };
	bool has6 = false;

	for (size_t k = 0; k < h->nifaces; k++)
		has6 |= !ipv6_is_zero(h->ifaces[k].addr6);
	if (h->router)
		return has6 ? router6 : router4;
	return has6 ? host6 : host4;
}

static struct cgroup_limits host_limits(const struct lab_spec *s, const struct lab_host *h);

/* The host's cgroups, made before it (the spawner moves itself there: the host is born in them). */
static void explain_cgroups(const struct up *u, const struct lab_host *h)
{
	struct cgroup_limits l = host_limits(u->spec, h);

	for (size_t i = 0; i < u->cg.n; i++) {
		const struct cgroup_hier *g = &u->cg.h[i];
		char dir[256], pids[64] = "", mem[96] = "", v[24];

		snprintf(dir, sizeof(dir), "%s/netlab/%s/%s", g->path, u->lab->name, h->name);
		if (g->pids) {
			cgroup_fmt(l.pids_max, false, v, sizeof(v));
			snprintf(pids, sizeof(pids), " && echo %s > pids.max", v);
		}
		if (g->memory) {
			if (l.memory_max == CGROUP_UNLIMITED)
				snprintf(v, sizeof(v), "%s", g->v2 ? "max" : "-1");
			else
				snprintf(v, sizeof(v), "%llu", (unsigned long long)l.memory_max);
			snprintf(mem, sizeof(mem), " && echo %s > %s", v,
				 g->v2 ? "memory.max && echo 0 > memory.swap.max" : "memory.limit_in_bytes");
		}
		explainf(u->spec->explain, u->spec->explain_arg, "mkdir -p %s && cd %s%s%s && echo $$ > "
			 "cgroup.procs; cd /", dir, dir, pids, mem);
	}
}

/* What a host is, by hand, as a shell can run it; the following lines use its PID as $pid_HOST.
 * Its user namespace first, held by a sleep while its uid and gid maps are written from outside,
 * as netlab's parent writes them: unshare --map-users would need a range for root in /etc/subuid
 * and /etc/subgid (newuidmap), which a stock Debian does not have, and a program that unshare
 * runs before the maps exist has no capabilities left to become root. Then, as root of that user
 * namespace, the other namespaces (--kill-child: killing the unshare process kills the host); its
 * /etc/hosts, hostname, sysctls, /sys and /tmp from outside by nsenter (netlab's host does these
 * itself before it reports ready). */
static void explain_host(const struct up *u, const struct lab_host *h, const char *hosts_path)
{
	const char *const *sys = host_sysctls(h);
	const char *n = h->name;
	char sysctl[2048] = "";
	size_t used = 0;

	if (!u->spec->explain)
		return;
	for (size_t i = 0; sys && sys[i] && used < sizeof(sysctl); i++) {
		used += (size_t)snprintf(sysctl + used, sizeof(sysctl) - used, "%s%s", i ? " " : "sysctl -qw ",
					 sys[i]);
		for (char *c = sysctl + used - strlen(sys[i]); *c && *c != '='; c++)
			if (*c == '/')
				*c = '.';
	}
	if (used && used < sizeof(sysctl))
		snprintf(sysctl + used, sizeof(sysctl) - used, "; ");
	{
		/* the host's root by hand (rootfs.c): printed as a comment, since mount's
		 * X-mount.idmap needs util-linux 2.39 (Debian 12 has 2.38); the namespaces below
		 * then run as printed, on the machine's root */
		struct rootfs_spec rs = { .mode = u->lab->fs, .hostname = h->name,
					  .hosts_path = hosts_path, .id_base = h->id_base };
		char prep[1024], inner[1024];

		rootfs_explain(&rs, prep, sizeof(prep), inner, sizeof(inner));
		explainf(u->spec->explain, u->spec->explain_arg,
			 "# host %s: %s (by hand with util-linux >= 2.39): %s; then in its mount "
			 "namespace: %s", h->name, rootfs_mode_text(rs.mode), prep, inner);
	}
	explain_cgroups(u, h);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "unshare --user sleep infinity & user_%s=$!; until [ \"$(readlink /proc/$user_%s/ns/user)\" "
		 "!= \"$(readlink /proc/self/ns/user)\" ]; do sleep 0.01; done; echo '0 %u %u' > "
		 "/proc/$user_%s/uid_map && echo '0 %u %u' > /proc/$user_%s/gid_map   # host %s's user "
		 "namespace: root inside is uid and gid %u outside", n, n, h->id_base, NS_ID_COUNT, n,
		 h->id_base, NS_ID_COUNT, n, n, h->id_base);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "nsenter -t $user_%s -U --setuid 0 --setgid 0 unshare --mount --propagation private --pid "
		 "--fork --kill-child --mount-proc --net --uts --ipc%s sleep infinity & pid_%s=$!; until "
		 "[ \"$(readlink /proc/$pid_%s/ns/net)\" != \"$(readlink /proc/self/ns/net)\" ]; do sleep "
		 "0.01; done; kill $user_%s   # host %s (netlab's: pid %d)", n,
		 u->lab->extra_ns == LAB_EXTRA_NS_MASK ? " --cgroup --time"
		 : u->lab->extra_ns & LAB_NS_CGROUP ? " --cgroup" : u->lab->extra_ns ? " --time" : "",
		 n, n, n, n, (int)h->pid);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "nsenter -t $pid_%s -m -u -n sh -c 'mount --bind %s /etc/hosts; hostname %s; %smount -t "
		 "sysfs sysfs /sys; mount -t tmpfs -o mode=1777 tmpfs /tmp'", n, hosts_path, n, sysctl);
}

static void explain_iface(const struct up *u, const struct lab_host *h, const struct lab_iface *x,
			  size_t k_br, const uint8_t mac[6])
{
	const struct lab *lab = u->lab;
	const struct lab_segment *g = &lab->segs[x->seg];
	char alias[64], br[16], mtu[16] = "";

	if (!u->spec->explain || lab_bridge_name(g, k_br, "", br, NULL) < 0)
		return;
	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s:%s", lab->name, h->name);
	if (g->mtu)
		snprintf(mtu, sizeof(mtu), " mtu %u", g->mtu);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "ip link add %s%s group %u master %s up type veth peer name %s%s netns $pid_%s address "
		 "%02x:%02x:%02x:%02x:%02x:%02x && sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 && "
		 "ip link set %s alias %s addrgenmode none", x->veth, mtu, lab_group(lab), br, x->name,
		 mtu, h->name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], x->veth, x->veth, alias);
}

/* What host_net does inside the host, right after it: per interface its addresses and up, then
 * the routes. */
static void explain_routes(const struct up *u, const struct lab_host *h)
{
	char d[IPV6_TEXT + 4], v[IPV6_TEXT], a[IPV6_TEXT], v6[256];

	if (!u->spec->explain)
		return;
	for (size_t k = 0; k < h->nifaces; k++) {
		const struct lab_iface *x = &h->ifaces[k];

		if (!ipv6_is_zero(x->addr6))
			snprintf(v6, sizeof(v6), "ip addr add %s/64 dev %s nodad; ",
				 ipv6_fmt(x->addr6, a, sizeof(a)), x->name);
		else
			snprintf(v6, sizeof(v6), "ip link set %s addrgenmode none; ", x->name);
		explainf(u->spec->explain, u->spec->explain_arg,
			 "nsenter -t $pid_%s -U -n sh -c '%s%sip addr add %s/%d brd + dev "
			 "%s; ip link set %s up'", h->name, k ? "" : "ip link set lo up; ", v6,
			 ipv4_fmt(x->addr, a, sizeof(a)), u->lab->segs[x->seg].subnet.prefix, x->name,
			 x->name);
	}
	for (size_t k = 0; k < h->nroutes; k++) {
		const struct lab_route *rt = &h->routes[k];

		explainf(u->spec->explain, u->spec->explain_arg,
			 "nsenter -t $pid_%s -U -n ip %sroute add %s via %s", h->name,
			 rt->v6 ? "-6 " : "",
			 rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
			 rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)));
	}
}

/* Before any host is cabled: the lab's nftables table (netsetup/nft.c), whose input chain keeps
 * every frame from the lab's ports off the machine's own network stack (no ARP answer for the
 * machine's addresses, nothing delivered to its sockets or routed by it), and whose mld chain
 * keeps the MLD reports off the other ports. NETLAB_MLD_FILTER=tc (tests): the table without its
 * mld chain, and a tc filter on each port for MLD instead (mld_block). No nftables bridge family:
 * `up` fails, since nothing else stops a host from reaching the machine (a tc filter on a port
 * sees frames before the bridge decides where they go). */
static int wall_off(struct up *u, struct lab_error **err)
{
	const char *want = getenv("NETLAB_MLD_FILTER");	/* "tc": the tc filter for MLD (tests) */
	const char *lab = u->lab->name;
	bool mld = !(want && !strcmp(want, "tc"));

	explainf(u->spec->explain, u->spec->explain_arg,
		 "nft add table bridge netlab-%s && nft add chain bridge netlab-%s input '{ type filter "
		 "hook input priority filter; }' && nft add rule bridge netlab-%s input iifname '%s-*' "
		 "drop   # nothing from the lab reaches the machine's own stack", lab, lab, lab, lab);
	if (mld)
		explainf(u->spec->explain, u->spec->explain_arg,
			 "nft add chain bridge netlab-%s mld '{ type filter hook prerouting priority "
			 "filter; }' && nft add rule bridge netlab-%s mld iifname '%s-*' ether daddr "
			 "33:33:00:00:00:16 drop   # the MLDv2 reports to ff02::16", lab, lab, lab);
	if (up_step(u, "walling the lab off from the machine", err) < 0)
		return -1;
	if (nets_lab_table_add(lab, mld, err) < 0)
		return lab_err_wrap(err, "cannot keep the lab's hosts off this machine's own network "
				    "stack (nftables with its bridge family, CONFIG_NF_TABLES_BRIDGE, is "
				    "needed; see netlab doctor)");
	u->made_table = true;
	if (mld)
		u->mld = MLD_TABLE;
	return 0;
}

/* MLDv2 reports from this port go no further than the bridge (netsetup/mld.c). The lab's
 * nftables table (wall_off) does it for every port; with NETLAB_MLD_FILTER=tc, the lab's tc block,
 * numbered as its netdevice group, gets its filter with the first port, and each port a clsact
 * qdisc bound to it. Without the eBPF classifier, the reports flood, as on any Linux bridge. */
static int mld_block(struct up *u, const struct lab_iface *x, int ifindex, struct lab_error **err)
{
	uint32_t block = lab_group(u->lab);
	int fd = -1, r;

	if (u->mld == MLD_OFF || u->mld == MLD_TABLE)
		return 0;
	if (u->mld == MLD_UNTRIED && (fd = nets_mld_program(NULL)) < 0) {
		u->mld = MLD_OFF;
		return 0;
	}
	explainf(u->spec->explain, u->spec->explain_arg, "tc qdisc add dev %s ingress_block %u clsact",
		 x->veth, block);
	r = nets_mld_block_port(u->root, ifindex, block, u->mld == MLD_UNTRIED ? NULL : err);
	if (r < 0 && u->mld == MLD_UNTRIED) {
		close(fd);
		u->mld = MLD_OFF;
		return 0;
	}
	if (r < 0 || u->mld == MLD_ON)
		return r;
	explainf(u->spec->explain, u->spec->explain_arg,
		 "tc filter add block %u protocol ipv6 pref 1 bpf da obj PROGRAM   # PROGRAM: drop "
		 "frames to 33:33:00:00:00:16, the MLDv2 reports to ff02::16", block);
	r = nets_mld_block_filter(u->root, block, fd, err);
	close(fd);
	if (r < 0)
		return r;
	u->mld = MLD_ON;
	return 0;
}

/* Every interface of a host: a veth whose peer is created inside the host, named and with its
 * MAC (02:4c:LAB:LAB:n:n, locally administered, readable in ARP tables), then configured. */
static int cable_host(struct up *u, size_t i, struct lab_error **err)
{
	struct lab *lab = u->lab;
	const struct lab_host *h = &lab->hosts[i];
	char alias[64];
	int r, inside[LAB_IFACES_MAX] = { 0 };	/* each interface's ifindex inside the host */

	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s:%s", lab->name, h->name);
	for (size_t k = 0; k < h->nifaces; k++) {
		const struct lab_iface *x = &h->ifaces[k];
		size_t k_br = u->ports[x->seg]++ / LAB_BRIDGE_PORTS;
		struct nets_link_spec veth = { .name = x->veth, .alias = alias, .group = lab_group(lab),
					       .master = u->bridges[x->seg * LAB_SEG_BRIDGES_MAX + k_br],
					       .up = true, .no_ipv6 = true, .mtu = lab->segs[x->seg].mtu };
		unsigned m = ++u->macs;
		uint8_t mac[6];

		mac[0] = 0x02;
		mac[1] = 0x4c;
		mac[2] = (uint8_t)(lab->number >> 8);
		mac[3] = (uint8_t)lab->number;
		mac[4] = (uint8_t)(m >> 8);
		mac[5] = (uint8_t)m;
		bool v6 = !ipv6_is_zero(x->addr6);
		int ifindex;

		explain_iface(u, h, x, k_br, mac);
		if ((r = up_step(u, "creating a veth pair", err)) < 0 ||
		    (r = nets_veth_add(u->root, &veth, x->name, h->pid, mac, v6 ? &ifindex : NULL,
				       &inside[k], err)) < 0)
			return lab_err_wrap(err, "host %s", h->name);
		/* before the host's end comes up and reports its groups */
		if (v6 && ((r = up_step(u, "keeping MLD reports off the other ports", err)) < 0 ||
			   (r = mld_block(u, x, ifindex, err)) < 0))
			return lab_err_wrap(err, "host %s", h->name);
	}
	explain_routes(u, h);
	if ((r = host_net(lab, h, u->children[i].pidfd, inside, u->neigh_fix, err)) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	for (size_t k = 0; k < h->nifaces; k++) {	/* the machine's end of a shaped link */
		int ifindex;

		if (shaped(&h->ifaces[k].shape) &&
		    ((r = nets_ifindex(u->root, h->ifaces[k].veth, &ifindex, err)) < 0 ||
		     (r = shape_one(u->root, ifindex, &h->ifaces[k].shape, err)) < 0))
			return lab_err_wrap(err, "host %s: %s", h->name, h->ifaces[k].veth);
	}
	return 0;
}

/* Bridge k of segment g; for k > 0, joined to bridge 0 by a veth pair ("-dn" a port of bridge 0,
 * "-up" of bridge k). No IPv6 on any of them, so the machine has no address in the lab. */
static int add_bridge(struct up *u, size_t g, size_t k, struct lab_error **err)
{
	struct lab *lab = u->lab;
	int *ifindex = &u->bridges[g * LAB_SEG_BRIDGES_MAX];
	char alias[64], br[16], up[16], dn[16], mtu[16] = "";
	struct nets_link_spec spec = { .name = br, .alias = alias, .group = lab_group(lab), .up = true,
				       .no_ipv6 = true, .mtu = lab->segs[g].mtu };

	snprintf(alias, sizeof(alias), ALIAS_PREFIX "%s:bridge", lab->name);
	if (lab_bridge_name(&lab->segs[g], k, "", br, err) < 0 ||
	    lab_bridge_name(&lab->segs[g], k, "-up", up, err) < 0 ||
	    lab_bridge_name(&lab->segs[g], k, "-dn", dn, err) < 0)
		return -1;
	if (spec.mtu)
		snprintf(mtu, sizeof(mtu), " mtu %u", spec.mtu);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "ip link add %s%s group %u type bridge mcast_snooping 0 && sysctl -qw "
		 "net.ipv6.conf.%s.disable_ipv6=1 && ip link set %s alias %s addrgenmode none && "
		 "ip link set %s up", br, mtu, lab_group(lab), br, br, alias, br);
	if (up_step(u, "creating a bridge", err) < 0 || nets_bridge_add(u->root, &spec, &ifindex[k], err) < 0)
		return -1;
	if (k == 0)
		return 0;
	explainf(u->spec->explain, u->spec->explain_arg,
		 "ip link add %s%s group %u master %s up type veth peer name %s%s group %u && "
		 "sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 net.ipv6.conf.%s.disable_ipv6=1 && "
		 "ip link set %s alias %s addrgenmode none && "
		 "ip link set %s alias %s addrgenmode none master %s up", dn, mtu, lab_group(lab),
		 lab->segs[g].bridge, up, mtu, lab_group(lab), dn, up, dn, alias, up, alias, br);
	spec.name = dn;
	spec.master = ifindex[0];
	if (up_step(u, "joining two bridges", err) < 0 ||
	    nets_veth_add(u->root, &spec, up, 0, NULL, NULL, NULL, err) < 0)
		return -1;
	spec.name = up;
	spec.master = ifindex[k];
	return nets_link_configure(u->root, &spec, err);
}

/* A host's limits: its own in the topology file, else `up --pids-max/--memory-max`, else the file's
 * lab-wide ones, else the defaults (cgroup.h). */
static struct cgroup_limits host_limits(const struct lab_spec *s, const struct lab_host *h)
{
	const struct cgroup_limits *file = s->topo ? &s->topo->limits : NULL;
	struct cgroup_limits l = { .pids_max = h->pids_max, .memory_max = h->memory_max };

	if (!l.pids_max)
		l.pids_max = s->limits.pids_max ? s->limits.pids_max
			     : file && file->pids_max ? file->pids_max : CGROUP_PIDS_DEFAULT;
	if (!l.memory_max)
		l.memory_max = s->limits.memory_max ? s->limits.memory_max
			       : file && file->memory_max ? file->memory_max : CGROUP_MEMORY_DEFAULT;
	return l;
}

/* In the spawner process: clone host i and let it set itself up. */
static int spawn_host(void *arg, size_t i, struct ns_child *c, struct lab_error **err)
{
	const struct up *u = arg;
	const struct lab_host *h = &u->lab->hosts[i];
	char title[64], mountpoint[128];
	struct ns_spec spec = { .hostname = h->name, .title = title, .hosts_path = u->hosts_path,
				.mountpoint = i ? mountpoint : NULL, .mountpoint_of = u->anchor,
				.sysctl = host_sysctls(h), .extra_flags = u->lab->extra_ns,
				.id_base = h->id_base, .fs = u->lab->fs };
	struct cgroup_limits limits = host_limits(u->spec, h);
	char cgbuf[CGROUP_HIER_MAX][160];
	const char *cgroups[CGROUP_HIER_MAX + 1];

	/* its cgroups, with their limits, before it exists: it is born in them (ns_spec) */
	if (cgroup_host_create(&u->cg, u->lab->name, h->name, &limits, err) < 0)
		return -1;
	cgroup_host_procs(&u->cg, u->lab->name, h->name, cgbuf, cgroups);
	spec.cgroup_procs = cgroups;
	snprintf(title, sizeof(title), "netlab-init %s/%s", u->lab->name, h->name);
	netns_path(mountpoint, sizeof(mountpoint), u->lab->name, h->name);
	if (ns_spawn(&spec, c, err) < 0)
		return -1;
	if (ns_go(c, err) < 0) {
		ns_abort(c);
		return -1;
	}
	return 0;
}

/* How many hosts the spawner may clone ahead of the one being cabled. */
#define SPAWN_AHEAD 2

static int build(struct up *u, struct lab_timing *t, struct lab_error **err)
{
	struct lab *lab = u->lab;
	uint64_t t0 = util_now_ns();
	int r;

	u->bridges = calloc(lab->nsegs * LAB_SEG_BRIDGES_MAX, sizeof(*u->bridges));
	u->ports = calloc(lab->nsegs, sizeof(*u->ports));
	if (!u->bridges || !u->ports)
		return lab_err(err, ENOMEM, "bridges");
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);

		for (size_t k = 0; k < n; k++)
			if ((r = add_bridge(u, g, k, err)) < 0)
				return lab->nsegs > 1 ? lab_err_wrap(err, "segment %s", lab->segs[g].name) : r;
	}
	if ((r = wall_off(u, err)) < 0)
		return r;
	u->neigh_fix = machine_neigh_differs();
	snprintf(u->hosts_path, sizeof(u->hosts_path), "%s/%s/hosts", LAB_RUN_DIR, lab->name);

	if (mkdir(LAB_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return lab_err(err, errno, "create %s", LAB_NETNS_DIR);
	/* the first host's mount point, made here: the others are hard links to it (ns_spec) */
	netns_path(u->anchor, sizeof(u->anchor), lab->name, lab->hosts[0].name);
	if ((r = open(u->anchor, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0)) < 0)
		return lab_err(err, errno, "create %s", u->anchor);
	{
		struct stat st;

		/* what the rollback may remove: this file and its hard links, not a file found there */
		if (fstat(r, &st) == 0) {
			u->anchor_dev = st.st_dev;
			u->anchor_ino = st.st_ino;
		}
	}
	close(r);

	/* A pipeline: the spawner clones host i, host i - 1 sets itself up (mounts, hostname,
	 * sysctls), and we cable host i - SPAWN_AHEAD, which has reported ready by then. */
	if (ns_spawner_start(&u->spawner, spawn_host, u, err) < 0)
		return -1;
	for (size_t i = 0; i < lab->nhosts + SPAWN_AHEAD; i++) {
		uint64_t c0 = util_now_ns();
		struct lab_host *h;
		size_t j;

		if (i < lab->nhosts && ((r = up_step(u, "spawning a host", err)) < 0 ||
					(r = ns_spawner_ask(&u->spawner, i, err)) < 0))
			return lab_err_wrap(err, "host %s", lab->hosts[i].name);
		if (i < SPAWN_AHEAD || (j = i - SPAWN_AHEAD) >= lab->nhosts)
			continue;
		h = &lab->hosts[j];
		if ((r = ns_spawner_take(&u->spawner, j, &u->children[j], err)) < 0)
			return lab_err_wrap(err, "host %s", h->name);
		h->pid = u->children[j].pid;
		explain_host(u, h, u->hosts_path);
		t->clone += util_now_ns() - c0;
		c0 = util_now_ns();
		if ((r = wait_ready(u, j, err)) < 0)
			return r;
		u->ready = j + 1;	/* it made its /run/netns mount point */
		t->ready += util_now_ns() - c0;
		c0 = util_now_ns();
		if (h->networked && (r = cable_host(u, j, err)) < 0)
			return r;
		t->veth += util_now_ns() - c0;
	}
	t->spawn = util_now_ns() - t0;
	t0 = util_now_ns();
	/* after the hosts made their mounts private, so these never propagate into them */
	for (size_t i = 0; i < lab->nhosts; i++)
	{
		char path[128];

		netns_path(path, sizeof(path), lab->name, lab->hosts[i].name);
		explainf(u->spec->explain, u->spec->explain_arg,
			 "mkdir -p %s && touch %s && mount --bind /proc/$pid_%s/ns/net %s", LAB_NETNS_DIR,
			 path, lab->hosts[i].name, path);
		if ((r = up_step(u, "mounting a netns", err)) < 0 ||
		    (r = mount_netns(lab, &lab->hosts[i], err)) < 0)
			return r;
		u->mounted = i + 1;
	}
	t->mounts = util_now_ns() - t0;
	return 0;
}

static int commit(struct up *u, struct lab_error **err)
{
	struct lab *lab = u->lab;
	int r;

	for (size_t i = 0; i < lab->nhosts; i++)
		lab->hosts[i].start = u->children[i].start;
	if ((r = up_step(u, "recording the lab", err)) < 0)
		return r;
	/* PIDs first, still "building": if we are killed while hosts are being committed (and so
	 * stop dying with us), `clean` can find and end every one of them */
	if (write_state_at(u->labfd, lab, err) < 0)
		return -1;
	for (size_t i = 0; i < lab->nhosts; i++)
		if ((r = ns_commit(&u->children[i], err)) < 0)
			return lab_err_wrap(err, "host %s", lab->hosts[i].name);
	/* every host outlives us now: the lab is complete */
	lab->complete = true;
	if (write_state_at(u->labfd, lab, err) < 0) {
		lab->complete = false;
		return -1;
	}
	return 0;
}

int lab_up(const struct lab_spec *spec, struct lab *out, struct lab_timing *timing,
	   struct lab_error **err)
{
	struct lab lab = { 0 };
	struct up u = { .spec = spec, .lab = &lab, .labfd = -1, .sigfd = -1,
			.spawner = { .pid = 0, .fd = -1 } };
	struct lab_timing t = { 0 };
	sigset_t block, old;
	unsigned long fail_at = 0;
	uint64_t t0 = util_now_ns(), t1;
	int r;

	if (check_preconditions(err) < 0)
		return -1;
	snprintf(lab.name, sizeof(lab.name), "%s", spec->name);
	lab.extra_ns = spec->extra_ns;
	lab.fs = spec->fs;
	if (getenv("NETLAB_FAIL_AT") && util_parse_ulong(getenv("NETLAB_FAIL_AT"), 1, ~0u, &fail_at) == 0)
		u.fail_at = (unsigned)fail_at;
	if (getenv("NETLAB_STOP_AT") && util_parse_ulong(getenv("NETLAB_STOP_AT"), 1, ~0u, &fail_at) == 0)
		u.stop_at = (unsigned)fail_at;
	raise_fd_limit(spec->hosts + spec->empty);

	/* SIGINT/SIGTERM/SIGHUP are read at each step and roll the lab back (exit 130/143/129) */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	u.sigfd = signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);

	r = reserve(&u, err);
	t.reserve = util_now_ns() - t0;
	if (r >= 0)
		r = build(&u, &t, err);
	t1 = util_now_ns();
	if (r >= 0)
		r = commit(&u, err);
	t.commit = util_now_ns() - t1;

	if (r < 0)
		ns_spawner_abort(&u.spawner, u.children, u.children ? lab.nhosts : 0);
	else
		ns_spawner_finish(&u.spawner);
	if (r < 0 && u.created_dir) {
		struct teardown td = { .lab = &lab, .children = u.children, .labfd = u.labfd,
				       .anchor_dev = u.anchor_dev, .anchor_ino = u.anchor_ino,
				       .ready = u.ready, .mounted = u.mounted,
				       .made_table = u.made_table,
				       .made_links = u.bridges != NULL };
		struct lab_error *ignored = NULL;

		td.keep_cgroups = !u.cg_made;

		if (teardown(&td, &ignored) < 0 && *err && ignored)
			lab_err_wrap(err, "(rollback incomplete: %s; run 'netlab clean')", ignored->msg);
		lab_err_free(&ignored);
	}
	for (size_t i = 0; u.children && i < lab.nhosts; i++) {
		if (u.children[i].pidfd >= 0)
			close(u.children[i].pidfd);
		if (u.children[i].sync_fd >= 0)
			close(u.children[i].sync_fd);
	}
	free(u.children);
	free(u.bridges);
	free(u.ports);
	nets_close(u.root);
	if (u.labfd >= 0)
		close(u.labfd);	/* releases the lab lock */
	if (u.sigfd >= 0)
		close(u.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		state_free(&lab);
		return r;
	}
	t.total = util_now_ns() - t0;
	if (timing)
		*timing = t;
	*out = lab;
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * down, clean
 */

/* A host name as netlab takes them: a lowercase letter, then lowercase letters and digits. */
static bool host_name_like(const char *s)
{
	return names_check_host(s, "host", NULL) == 0;
}

/* The state file cannot be trusted: rebuild the host list from what the kernel shows. The netns
 * mounts /run/netns/LAB-<host> name the hosts; the PID 1 of each is the process whose network
 * namespace is that mount's and which is PID 1 of its own PID namespace (NSpid ends in 1). */
static void recover_hosts(struct lab *lab)
{
	char path[300], buf[4096], prefix[LAB_NAME_MAX + 2];
	struct dirent *e;
	DIR *d = opendir(LAB_NETNS_DIR), *proc;
	size_t cap = 0;

	if (!d)
		return;
	snprintf(prefix, sizeof(prefix), "%s-", lab->name);
	while ((e = readdir(d))) {
		struct lab_host *h;

		if (strncmp(e->d_name, prefix, strlen(prefix)) || !host_name_like(e->d_name + strlen(prefix)))
			continue;
		if (lab->nhosts == cap) {
			struct lab_host *v = realloc(lab->hosts, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!v)
				break;
			lab->hosts = v;
		}
		h = &lab->hosts[lab->nhosts++];
		memset(h, 0, sizeof(*h));
		util_copy(h->name, sizeof(h->name), e->d_name + strlen(prefix));
	}
	closedir(d);
	if (!lab->nhosts || !(proc = opendir("/proc")))
		return;
	while ((e = readdir(proc))) {
		struct stat st;
		unsigned long long start;
		const char *nspid;
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if (util_read_file(path, buf, sizeof(buf), NULL) < 0 || !(nspid = strstr(buf, "\nNSpid:")))
			continue;
		nspid = nspid + strcspn(nspid + 1, "\n") + 1;	/* end of the NSpid line */
		if (nspid[-1] != '1' || nspid[-2] != '\t')
			continue;	/* not the PID 1 of a child PID namespace */
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if (stat(path, &st) < 0 || util_proc_starttime(pid, &start) < 0)
			continue;
		for (size_t i = 0; i < lab->nhosts; i++) {
			struct stat mst;

			snprintf(path, sizeof(path), "%s/%s-%s", LAB_NETNS_DIR, lab->name, lab->hosts[i].name);
			if (stat(path, &mst) == 0 && mst.st_ino == st.st_ino && mst.st_dev == st.st_dev) {
				lab->hosts[i].pid = pid;
				lab->hosts[i].start = start;
			}
		}
	}
	closedir(proc);
}

static int down_locked(int labfd, const char *name, void (*report)(const char *, void *),
		       void *arg, void (*explain)(const char *, void *), void *explain_arg,
		       struct lab_error **err)
{
	struct lab lab = { 0 };
	struct lab_error *bad = NULL;
	struct teardown t = { .lab = &lab, .labfd = labfd, .report = report, .arg = arg,
			      .explain = explain, .explain_arg = explain_arg };
	int r;

	r = read_state_at(labfd, name, &lab, &bad);
	if (r < 0) {
		/* a corrupt state file is not trusted: interfaces go by their alias, hosts are found
		 * from their netns mounts */
		memset(&lab, 0, sizeof(lab));
		snprintf(lab.name, sizeof(lab.name), "%s", name);
		if (report && bad)
			report(bad->msg, arg);
		lab_err_free(&bad);
		recover_hosts(&lab);
	}
	r = teardown(&t, err);
	state_free(&lab);
	return r;
}

int lab_down(const char *name, void (*explain)(const char *command, void *arg), void *explain_arg,
	     struct lab_error **err)
{
	_cleanup_close_ int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int labfd = -1;
	struct stat st;

	if (geteuid() != 0)
		return lab_err(err, 0, "netlab down needs root: run it with sudo");
	if (rundir < 0)
		return errno == ENOENT ? 0 : lab_err(err, errno, "open %s", LAB_RUN_DIR);
	labfd = open_lab_dir(rundir, name, err);
	if (labfd == -ENOENT)
		return 0;
	if (labfd < 0)
		return -1;
	/* wait for an `up` or `down` of the same lab to finish */
	if (TEMP_FAILURE_RETRY(flock(labfd, LOCK_EX)) < 0)
		return lab_err(err, errno, "lock %s/%s", LAB_RUN_DIR, name);
	if (fstat(labfd, &st) < 0 || st.st_nlink == 0)
		return 0;	/* removed while we waited */
	if (down_locked(labfd, name, NULL, NULL, explain, explain_arg, err) < 0)
		return lab_err_wrap(err, "lab %s", name);
	return 1;
}

static bool any_alive(const struct lab *lab)
{
	for (size_t i = 0; i < lab->nhosts; i++) {
		int fd = ns_pidfd_verified(lab->hosts[i].pid, lab->hosts[i].start, NULL);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

/* cgroups of labs with no state (a `down` that failed half-way, then lost its state): their hosts
 * are gone or orphaned, and what is left in them is the lab's. Under the /run/netlab lock, so that
 * no `up` is making one of them meanwhile. */
static int clean_cgroups(void (*report)(const char *what, void *arg), void *arg,
			 struct lab_error **err)
{
	struct cgroup_set cg;
	char **names = NULL;
	size_t count = 0;
	int rundir, r = 0;

	cgroup_detect(&cg);
	rundir = run_dir_lock(false, NULL);
	if (cgroup_labs(&cg, &names, &count, err) < 0) {
		if (rundir >= 0)
			close(rundir);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		struct stat st;

		if (rundir >= 0 && fstatat(rundir, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;	/* its lab is up (or being built) */
		if (cgroup_lab_remove(&cg, names[i], report, arg, err) < 0)
			r = -1;
	}
	cgroup_top_remove(&cg);
	lab_names_free(names, count);
	if (rundir >= 0)
		close(rundir);
	return r;
}

int lab_clean(void (*report)(const char *what, void *arg), void *arg, struct lab_error **err)
{
	char **names = NULL;
	size_t count = 0;
	struct nets *n = NULL;
	struct nets_link *links = NULL;
	size_t nlinks = 0;
	int r = 0;

	if (geteuid() != 0)
		return lab_err(err, 0, "netlab clean needs root: run it with sudo");
	if (lab_names(&names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		_cleanup_close_ int labfd = -1;
		struct lab lab = { 0 };
		struct lab_error *bad = NULL;
		bool stale;
		int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (rundir < 0)
			break;
		labfd = open_lab_dir(rundir, names[i], NULL);
		close(rundir);
		if (labfd < 0)
			continue;
		if (flock(labfd, LOCK_EX | LOCK_NB) < 0)
			continue;	/* an up/down is working on it right now */
		if (read_state_at(labfd, names[i], &lab, &bad) < 0)
			stale = true;	/* corrupt: nobody can use it */
		else
			stale = !lab.complete || !any_alive(&lab);
		state_free(&lab);
		lab_err_free(&bad);
		if (!stale)
			continue;
		if (down_locked(labfd, names[i], report, arg, NULL, NULL, err) < 0)
			r = lab_err_wrap(err, "lab %s", names[i]);
	}
	lab_names_free(names, count);

	/* interfaces marked as netlab's whose lab has no state any more */
	if (nets_open(&n, err) < 0)
		return -1;
	if (nets_link_list(n, &links, &nlinks, err) < 0) {
		nets_close(n);
		return -1;
	}
	for (size_t i = 0; i < nlinks; i++) {
		char lab[LAB_NAME_MAX + 2];
		const char *a = links[i].alias, *colon;
		struct stat st;
		char path[128];

		if (strncmp(a, ALIAS_PREFIX, strlen(ALIAS_PREFIX)))
			continue;
		a += strlen(ALIAS_PREFIX);
		colon = strchr(a, ':');
		if (!colon || colon - a > LAB_NAME_MAX)
			continue;
		snprintf(lab, sizeof(lab), "%.*s", (int)(colon - a), a);
		snprintf(path, sizeof(path), "%s/%s", LAB_RUN_DIR, lab);
		if (lstat(path, &st) == 0)
			continue;	/* its lab is up */
		if (nets_link_del(n, links[i].ifindex, err) < 0 && errno != ENODEV) {
			r = -1;
			continue;
		}
		if (report) {
			char what[96];
			snprintf(what, sizeof(what), "deleted interface %s (of lab %s)", links[i].name, lab);
			report(what, arg);
		}
	}
	free(links);
	nets_close(n);

	/* and the nftables tables of labs with no state */
	if (nets_mld_table_labs(&names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", LAB_RUN_DIR, names[i]);
		if (lstat(path, &st) == 0)
			continue;	/* its lab is up */
		if (nets_mld_table_del(NULL, names[i], err) < 0) {
			r = -1;
			continue;
		}
		if (report) {
			char what[96];
			snprintf(what, sizeof(what), "deleted the nftables table bridge netlab-%s",
				 names[i]);
			report(what, arg);
		}
	}
	lab_names_free(names, count);
	if (clean_cgroups(report, arg, err) < 0)
		r = -1;
	remove_empty_dirs();
	return r;
}

/* ---------------------------------------------------------------------------------------------
 * status, exec
 */

const struct lab_if_info *lab_if_info_find(const struct lab_host_info *info, const char *name)
{
	for (size_t i = 0; i < info->nifs; i++)
		if (!strcmp(info->ifs[i].name, name))
			return &info->ifs[i];
	return NULL;
}

/* Append " word" to a blank-separated list in buf[size], whole or not at all: when it does not
 * fit, the list ends in " ..." (once), never in half a name or address. */
static void append_word(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf), wl = strlen(word);

	if (len >= 4 && !strcmp(buf + len - 4, " ..."))
		return;
	if (len + (len ? 1 : 0) + wl < size) {
		snprintf(buf + len, size - len, "%s%s", len ? " " : "", word);
		return;
	}
	while (len > 0 && len + 4 >= size) {	/* make room for " ...": drop whole words */
		char *sp = strrchr(buf, ' ');

		len = sp ? (size_t)(sp - buf) : 0;
		buf[len] = '\0';
	}
	snprintf(buf + len, size - len, "%s...", len ? " " : "");
}

/* "rate 1 Gbit/s" or "delay 10000 us, jitter 0 us, loss 1%": the root qdisc of a link. */
static void shaping_text(struct nets *n, int ifindex, struct lab_if_info *f)
{
	struct nets_shape sh;
	char rate[32];

	if (nets_shape_info(n, ifindex, &sh, NULL) < 0)
		return;
	if (sh.kind == NETS_SHAPE_RATE) {
		f->rate_bps = sh.rate_bps;
		snprintf(f->shaping, sizeof(f->shaping), "rate %s",
			 units_rate_fmt(sh.rate_bps, rate, sizeof(rate)));
	} else if (sh.kind == NETS_SHAPE_NETEM) {
		int w = snprintf(f->shaping, sizeof(f->shaping), "delay %u us, jitter %u us", sh.delay_us,
				 sh.jitter_us);
		char loss[32];
		size_t l;

		if (!(sh.loss_percent > 0) || w < 0 || (size_t)w >= sizeof(f->shaping))
			return;
		/* "1%", "0.5%": at most three decimals, never an exponent */
		snprintf(loss, sizeof(loss), "%.3f", sh.loss_percent);
		for (l = strlen(loss); loss[l - 1] == '0'; l--)
			loss[l - 1] = '\0';
		if (loss[l - 1] == '.')
			loss[l - 1] = '\0';
		snprintf(f->shaping + w, sizeof(f->shaping) - (size_t)w, ", loss %s%%", loss);
	}
}

/* Is the planned route rt the live route e? */
static bool route_is(const struct lab_route *rt, const struct nets_route *e)
{
	if (rt->v6 != (e->family == AF_INET6))
		return false;
	if (rt->v6)
		return rt->dst6.prefix == e->prefix && !memcmp(rt->dst6.addr, e->dst, 16) &&
		       !memcmp(rt->via6, e->via, 16);
	uint32_t dst, via;

	memcpy(&dst, e->dst, 4);
	memcpy(&via, e->via, 4);
	return rt->dst.prefix == e->prefix && rt->dst.addr == ntohl(dst) && rt->via == ntohl(via);
}

/* The host's gateway routes, each marked planned or not; the plan's, each marked live or not. */
static int live_routes(struct nets *n, const struct lab_host *h, const struct nets_link *links,
		       size_t nl, struct lab_host_info *out, struct lab_error **err)
{
	struct nets_route *v = NULL;
	size_t count = 0;
	int r = nets_route_list(n, &v, &count, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		struct lab_live_route *lr;
		bool planned = false;

		for (size_t k = 0; k < h->nroutes && k < LAB_ROUTES_MAX; k++)
			if (route_is(&h->routes[k], &v[i])) {
				out->route_live[k] = true;
				planned = true;
			}
		if (out->nroutes == LAB_LIVE_ROUTES_MAX) {
			out->routes_more = true;
			continue;
		}
		lr = &out->routes[out->nroutes++];
		lr->v6 = v[i].family == AF_INET6;
		lr->planned = planned;
		inet_ntop(v[i].family, v[i].dst, lr->to, sizeof(lr->to));
		snprintf(lr->to + strlen(lr->to), sizeof(lr->to) - strlen(lr->to), "/%d", v[i].prefix);
		inet_ntop(v[i].family, v[i].via, lr->via, sizeof(lr->via));
		for (size_t l = 0; l < nl; l++)
			if (links[l].ifindex == v[i].ifindex)
				util_copy(lr->dev, sizeof(lr->dev), links[l].name);
	}
	free(v);
	return 0;
}

bool lab_forwarding_differs(const struct lab_host *h, const struct lab_host_info *in)
{
	bool has6 = false;

	for (size_t k = 0; k < h->nifaces; k++)
		has6 |= !ipv6_is_zero(h->ifaces[k].addr6);
	if (!in->alive)
		return false;
	if (in->forwarding4 >= 0 && in->forwarding4 != (h->router ? 1 : 0))
		return true;
	/* a host without IPv6 in the plan: its IPv6 forwarding is not netlab's business */
	return has6 && in->forwarding6 >= 0 && in->forwarding6 != (h->router ? 1 : 0);
}

int lab_host_info(const struct lab_host *h, struct lab_host_info *out, struct lab_error **err)
{
	_cleanup_close_ int pidfd = ns_pidfd_verified(h->pid, h->start, NULL);
	struct nets *n = NULL;
	struct nets_link *links = NULL;
	struct nets_addr *addrs = NULL;
	int ifindex[LAB_IFACES_MAX + 2];
	size_t nl = 0, na = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (pidfd < 0)
		return 0;
	out->alive = true;
	for (int i = 0; i < NS_KINDS_ALL; i++)
		out->ns[i] = ns_inode(h->pid, ns_kinds[i].name);
	r = nets_open_at(pidfd, &n, err);
	if (r < 0)
		return r;
	if ((r = nets_link_list(n, &links, &nl, err)) < 0 || (r = nets_addr_list(n, &addrs, &na, err)) < 0)
		goto out;
	for (size_t i = 0; i < nl; i++) {
		struct lab_if_info *f;
		char word[32];

		snprintf(word, sizeof(word), "%s(%s)", links[i].name, (links[i].flags & IFF_UP) ? "up" : "down");
		append_word(out->links, sizeof(out->links), word);
		if (!strcmp(links[i].name, "lo") || out->nifs == sizeof(out->ifs) / sizeof(out->ifs[0]))
			continue;
		ifindex[out->nifs] = links[i].ifindex;
		f = &out->ifs[out->nifs++];
		util_copy(f->name, sizeof(f->name), links[i].name);
		f->up = links[i].flags & IFF_UP;
		f->mtu = links[i].mtu;
		util_copy(f->mac, sizeof(f->mac), links[i].mac);
		shaping_text(n, links[i].ifindex, f);
	}
	/* IPv4 first, then global IPv6, then link-local: the order a student reads them in */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < na; i++) {
			bool ll = !strncmp(addrs[i].text, "fe80:", 5);

			if (pass != (addrs[i].family == AF_INET ? 0 : ll ? 2 : 1))
				continue;
			for (size_t f = 0; f < out->nifs; f++) {
				char word[IPV6_TEXT + 8];

				if (ifindex[f] != addrs[i].ifindex)
					continue;
				snprintf(word, sizeof(word), "%s/%d", addrs[i].text, addrs[i].prefix);
				append_word(out->ifs[f].addrs, sizeof(out->ifs[f].addrs), word);
			}
		}
	r = live_routes(n, h, links, nl, out, err);
	out->forwarding4 = nets_forwarding(n, AF_INET, NULL);
	out->forwarding6 = nets_forwarding(n, AF_INET6, NULL);
	out->forwarding4 = out->forwarding4 < 0 ? -1 : out->forwarding4;
	out->forwarding6 = out->forwarding6 < 0 ? -1 : out->forwarding6;
out:
	free(links);
	free(addrs);
	nets_close(n);
	return r;
}

/* A CLOEXEC pipe and a fork: the child gets pipefd[1] to write to, the parent pipefd[0]. */
static pid_t fork_piped(int pipefd[2], struct lab_error **err)
{
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return lab_err(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return lab_err(err, e, "fork");
	}
	if (pid > 0)
		close(pipefd[1]);
	else
		close(pipefd[0]);
	return pid;
}

/* waitpid, EINTR retried; *out_status as a shell would report it (128+signal if killed). */
static int wait_child(pid_t pid, int *out_status, struct lab_error **err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lab_err(err, errno, "waitpid %d", (int)pid);
	*out_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static pid_t exec_child;

/* Signals sent to netlab go on to the command, which is in a session of its own now: ^C and ^\
 * from a terminal reach its whole process group, as the terminal would have sent them. */
static bool exec_term_kills;	/* lab_capture_timed's waiter: SIGTERM ends the command's group */

static void forward_signal(int sig)
{
	if (exec_child <= 0)
		return;
	if (sig == SIGTERM && exec_term_kills)	/* a report's deadline: no second chance */
		kill(-exec_child, SIGKILL);
	else
		kill(sig == SIGINT || sig == SIGQUIT ? -exec_child : exec_child, sig);
}

/* The host's root's login shell, from the host's own /etc/passwd (as su and sshd choose it), if it
 * can be run; else /bin/bash, else /bin/sh. Read by hand: NSS could load modules or ask nscd. The
 * host owns that file: a FIFO or device bound over it must not block us, nor a huge file. */
static void host_shell(char *out, size_t len)
{
	char line[512];
	int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;

	if (!f && fd >= 0)
		close(fd);
	out[0] = '\0';
	for (int lines = 0; f && lines < 10000 && fgets(line, sizeof(line), f); lines++) {
		char *field = line;

		if (strncmp(line, "root:", 5))
			continue;
		for (int i = 0; i < 6 && field; i++)
			field = strchr(field, ':') ? strchr(field, ':') + 1 : NULL;
		if (field) {
			field[strcspn(field, "\r\n")] = '\0';
			snprintf(out, len, "%s", field);
		}
		break;
	}
	if (f)
		fclose(f);
	if (out[0] != '/' || access(out, X_OK) < 0)
		snprintf(out, len, "%s", access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh");
}

/* Add "NAME=VALUE" to env (at most max-1 entries, NULL-terminated), replacing one of that name. */
static int env_set(char **env, size_t max, char *entry, struct lab_error **err)
{
	size_t n, k;

	if (!entry)
		return lab_err(err, ENOMEM, "environment");
	k = strcspn(entry, "=");
	for (n = 0; env[n]; n++) {
		if (!strncmp(env[n], entry, k + 1)) {
			free(env[n]);
			env[n] = entry;
			return 0;
		}
	}
	if (n + 1 >= max) {
		free(entry);
		return lab_err(err, E2BIG, "too many environment variables (at most %zu)", max - 1);
	}
	env[n] = entry;
	env[n + 1] = NULL;
	return 0;
}

static char *env_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *env_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
}

#define HOST_ENV_MAX 256
#define HOST_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The command's whole environment: a host is another machine, so nothing of the caller's passes
 * but the terminal type and the locale (which describe the admin's terminal and language); then
 * the caller's extra, which win. A shell also gets a prompt naming the host. */
static int host_env(char **env, const struct lab *lab, const struct lab_host *h, const char *shell,
		    bool interactive, const char *const extra[], struct lab_error **err)
{
	extern char **environ;
	const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
	int r = 0;

	env[0] = NULL;
	r |= env_set(env, HOST_ENV_MAX, env_fmt("PATH=%s", HOST_PATH), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("HOME=/tmp"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("USER=root"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("LOGNAME=root"), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("SHELL=%s", shell), err);
	for (char **e = environ; r == 0 && e && *e; e++)
		if (!strncmp(*e, "TERM=", 5) || !strncmp(*e, "LANG=", 5) || !strncmp(*e, "LANGUAGE=", 9) ||
		    !strncmp(*e, "LC_", 3))
			r |= env_set(env, HOST_ENV_MAX, env_fmt("%s", *e), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("NETLAB_LAB=%s", lab->name), err);
	r |= env_set(env, HOST_ENV_MAX, env_fmt("NETLAB_HOST=%s", h->name), err);
	/* bash and zsh set their prompts in their system rc files (Debian's /etc/bash.bashrc says
	 * \u@\h:\w\$, unexported), so they get none from us: an exported one in their syntax would
	 * show raw in a shell started inside. dash and other POSIX shells expand only parameters. */
	if (interactive && strcmp(base, "bash") && strcmp(base, "zsh"))
		r |= env_set(env, HOST_ENV_MAX, env_fmt("PS1=root@%s:$PWD# ", h->name), err);
	for (size_t i = 0; r == 0 && extra && extra[i]; i++)
		r |= env_set(env, HOST_ENV_MAX, env_fmt("%s", extra[i]), err);
	if (r < 0) {
		env_free(env);
		env[0] = NULL;
		return -1;
	}
	return 0;
}

/* Join the host (this process) and run argv (NULL: the host's shell) in a child, in a new session
 * with nothing of ours but fds 0, 1, 2; ctty >= 0 is the fd it makes its controlling terminal. */
static int exec_joined(const struct lab *lab, const struct lab_host *h, char *const argv_in[],
		       const char *const extra[], int ctty, int *out_status, struct lab_error **err)
{
	extern char **environ;
	_cleanup_close_ int pidfd = -1;
	struct sigaction fwd = { .sa_handler = forward_signal };
	char *env[HOST_ENV_MAX], shell[256], *sh_argv[] = { shell, NULL };
	char *const *argv = argv_in ? argv_in : sh_argv;
	char **saved_environ = environ;
	int pipefd[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	pidfd = ns_pidfd_verified(h->pid, h->start, err);
	if (pidfd == -ESRCH)
		return lab_err(err, ESRCH, "host %s of lab %s (pid %d) is not running any more: "
					   "'netlab down %s' cleans the lab up",
			       h->name, lab->name, (int)h->pid, lab->name);
	if (pidfd < 0)
		return -1;
#ifdef __SANITIZE_ADDRESS__
	/* once we are in the host's user namespace LeakSanitizer can no longer ptrace this process
	 * (it would spin at exit): check for leaks now, which also disables the check at exit */
	__lsan_do_leak_check();
#endif
	/* its cgroups first, while we may still write the machine's cgroupfs: what runs in a host
	 * is limited as the host is */
	if (cgroup_join(lab->name, h->name, err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	/* no ptrace, no /proc/PID/mem, no core of us from inside, whatever fs.suid_dumpable says
	 * (runc CVE-2016-9962); the uid change below resets it to fs.suid_dumpable, so again after */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return lab_err(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (ns_enter(pidfd, lab->extra_ns, err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	/* root of the host, in its /tmp, from here on: we only wait for the command now */
	if (ns_become_root(err) < 0)
		return lab_err_wrap(err, "host %s", h->name);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return lab_err(err, errno, "prctl(PR_SET_DUMPABLE)");
	if (chdir("/tmp") < 0)
		return lab_err(err, errno, "host %s: chdir /tmp", h->name);
	host_shell(shell, sizeof(shell));
	if (host_env(env, lab, h, shell, !argv_in, extra, err) < 0)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		env_free(env);
		return lab_err(err, errno, "pipe");
	}
	/* execvp searches the PATH of environ: the host's, never the caller's */
	environ = env;
	sigaction(SIGINT, &fwd, NULL);
	sigaction(SIGQUIT, &fwd, NULL);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	/* vfork: the child only sets up its session and fds and execs (or reports why not), and we
	 * wait anyway; it saves copying our page tables, a fair part of what exec costs */
	pid = vfork();
	if (pid < 0) {
		int e = errno;
		environ = saved_environ;
		env_free(env);
		close(pipefd[0]);
		close(pipefd[1]);
		return lab_err(err, e, "vfork");
	}
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigset_t none;
		int e;

		/* a session of its own: the admin's terminal is not its controlling tty (TIOCSTI,
		 * /dev/tty); with a terminal it gets the pty's slave instead */
		if (setsid() < 0 || (ctty >= 0 && ioctl(ctty, TIOCSCTTY, 0) < 0))
			goto fail;
		/* every descriptor of ours but 0, 1, 2 closes at exec (runc does the same) */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			goto fail;
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGQUIT, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
fail:
		e = errno;
		(void)!write(pipefd[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	environ = saved_environ;
	env_free(env);
	close(pipefd[1]);
	exec_child = pid;
	n = util_read_all(pipefd[0], &child_errno, sizeof(child_errno));
	close(pipefd[0]);
	if (wait_child(pid, out_status, err) < 0)
		return -1;
	exec_child = 0;
	if (n == (ssize_t)sizeof(child_errno)) {
		*out_status = child_errno == ENOENT ? 127 : 126;
		if (child_errno == ENOENT && !strchr(argv[0], '/'))
			return lab_err(err, 0, "host %s: cannot run '%s': command not found (PATH=%s)",
				       h->name, argv[0], HOST_PATH);
		return lab_err(err, child_errno, "host %s: cannot run '%s'", h->name, argv[0]);
	}
	return 0;
}

void lab_host_limits(const struct lab *lab, const struct lab_host *h, struct cgroup_usage *out)
{
	struct cgroup_set cg;

	cgroup_detect(&cg);
	cgroup_host_usage(&cg, lab->name, h->name, out);
}

/* What the command's side of a pty run sends back when it fails: errnum, then the message. */
static void send_error(int fd, const struct lab_error *e)
{
	int errnum = e ? e->errnum : 0;
	const char *msg = e && e->msg ? e->msg : "failed";

	(void)!util_write_all(fd, &errnum, sizeof(errnum));
	(void)!util_write_all(fd, msg, strlen(msg));
}

static int recv_error(int fd, struct lab_error **err)
{
	char msg[1024];
	int errnum;
	ssize_t n;

	if (util_read_all(fd, &errnum, sizeof(errnum)) != (ssize_t)sizeof(errnum))
		return 0;
	n = util_read_all(fd, msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	return lab_err(err, errnum, "%s", msg);
}

int lab_exec(const struct lab *lab, const struct lab_host *h, char *const argv[],
	     const char *const env[], int *out_status, struct lab_error **err)
{
	struct pty p;
	sigset_t sigs, old;
	int errpipe[2], r;
	pid_t pid;

	*out_status = 1;
	{
		/* the host's root, for a pty in its own devpts (pty_open checks what it finds) */
		_cleanup_close_ int pidfd = lab_host_pidfd(h), root = -1;
		char path[64];

		if (pidfd >= 0) {
			snprintf(path, sizeof(path), "/proc/%d/root", (int)h->pid);
			root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (root >= 0 && pidfd_send_signal(pidfd, 0, NULL, 0) < 0)
				close(TAKE_FD(root));	/* gone, maybe its PID reused: not its root */
		}
		if (pty_open(&p, root, err) < 0)
			return -1;
	}
	if (p.master < 0)
		return exec_joined(lab, h, argv, env, -1, out_status, err);
	/* a terminal is involved: we stay outside with the admin's terminal and relay; a child
	 * joins the host with the pty's slave only */
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		pty_close(&p);
		return lab_err(err, errno, "pipe");
	}
	pty_signals(&sigs);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		pty_close(&p);
		close(errpipe[0]);
		close(errpipe[1]);
		return lab_err(err, e, "fork");
	}
	if (pid == 0) {
		struct lab_error *e = NULL;
		int st = 1, ctty;

		sigprocmask(SIG_SETMASK, &old, NULL);
		close(errpipe[0]);
		/* out of the admin's session at once, and nothing of the admin's terminal kept:
		 * the slave replaces it on 0, 1, 2, every other fd closes (errpipe moves to 3) */
		setsid();
		ctty = pty_child_fds(&p);
		if (ctty < 0 || (errpipe[1] != 3 && dup3(errpipe[1], 3, O_CLOEXEC) < 0))
			_exit(1);
		close_range(4, ~0U, 0);
		if (exec_joined(lab, h, argv, env, ctty, &st, &e) < 0) {
			send_error(3, e);
			lab_err_free(&e);
			st = st ? st : 1;
		}
		_exit(st);
	}
	close(errpipe[1]);
	close(p.slave);
	p.slave = -1;
	r = pty_relay(&p, pid, out_status, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		r = recv_error(errpipe[0], err);
	close(errpipe[0]);
	return r;
}


int lab_host_pidfd(const struct lab_host *h)
{
	return ns_pidfd_verified(h->pid, h->start, NULL);
}

/* The child of lab_capture*: stdin from /dev/null, stdout and stderr into wfd, then argv in the
 * host (lab_exec: it joins, so that the caller stays where it is) or, h NULL, on the machine. */
__attribute__((noreturn)) static void capture_child(const struct lab *lab, const struct lab_host *h,
						    char *const argv[], int wfd)
{
	struct lab_error *e = NULL;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), st = 127;

	dup2(fd, 0);
	dup2(wfd, 1);
	dup2(wfd, 2);
	if (h) {
		if (lab_exec(lab, h, argv, NULL, &st, &e) < 0)
			st = st ? st : 1;
	} else {
		execvp(argv[0], argv);
	}
	_exit(st);
}

int lab_capture(const struct lab *lab, const struct lab_host *h, char *const argv[], char *out,
		size_t len, int *out_status, struct lab_error **err)
{
	int pipefd[2];
	size_t got = 0;
	pid_t pid;

	pid = fork_piped(pipefd, err);
	if (pid < 0)
		return -1;
	if (pid == 0)
		capture_child(lab, h, argv, pipefd[1]);
	while (got + 1 < len) {
		ssize_t n = TEMP_FAILURE_RETRY(read(pipefd[0], out + got, len - 1 - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(pipefd[0]);	/* a command that prints more than we keep gets SIGPIPE: fine */
	return wait_child(pid, out_status, err);
}

int lab_capture_timed(const struct lab *lab, const struct lab_host *h, char *const argv[], char *out,
		      size_t len, int timeout_ms, int *out_status, struct lab_error **err)
{
	_cleanup_close_ int rd = -1;
	uint64_t deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000u;
	bool late = false;
	int pipefd[2];
	size_t got = 0;
	pid_t pid;

	pid = fork_piped(pipefd, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the command runs in a session of its own (exec_joined): on SIGTERM this waiter
		 * kills its whole process group, then reaps it and exits */
		exec_term_kills = true;
		setpgid(0, 0);
		capture_child(lab, h, argv, pipefd[1]);
	}
	setpgid(pid, pid);	/* also here: no race with the kill below */
	rd = pipefd[0];
	/* read until EOF, the buffer is full, or the deadline */
	while (got + 1 < len) {
		uint64_t now = util_now_ns();
		struct pollfd p = { .fd = rd, .events = POLLIN };
		ssize_t n;
		int w;

		if (now >= deadline) {
			late = true;
			break;
		}
		w = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (w < 0 && errno != EINTR)
			break;
		if (w <= 0)
			continue;
		n = TEMP_FAILURE_RETRY(read(rd, out + got, len - 1 - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	close(TAKE_FD(rd));	/* a command that prints more than we keep gets SIGPIPE: fine */
	/* then until it exits (a command may close its output and go on), or the deadline */
	while (!late) {
		siginfo_t si = { 0 };

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno != EINTR)
			break;
		if (si.si_pid)
			break;
		late = util_now_ns() >= deadline;
		if (!late)
			usleep(2000);
	}
	if (late) {
		/* the command and what it started, not the waiter: it reaps them inside the host (a
		 * killed waiter would hand them to the machine's init) and then exits by itself */
		for (int i = 0; i < 200; i++) {
			siginfo_t si = { 0 };

			/* again now and then: the word may come before the waiter knows the command */
			if (i % 20 == 0)
				kill(pid, SIGTERM);
			if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid)
				break;
			usleep(5000);
		}
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		wait_child(pid, out_status, NULL);
		return lab_err(err, ETIMEDOUT, "%s%s did not answer '%s' within %.3g s",
			       h ? "host " : "the machine", h ? h->name : "", argv[0], timeout_ms / 1000.0);
	}
	return wait_child(pid, out_status, err);
}

static int shape_one(struct nets *n, int ifindex, const struct lab_shape *s, struct lab_error **err)
{
	if (s->clear)
		return nets_shape_clear(n, ifindex, err);
	if (s->delay_us || s->jitter_us || s->loss_percent > 0)
		return nets_shape_netem(n, ifindex, s->delay_us, s->jitter_us, s->loss_percent, err);
	return nets_shape_rate(n, ifindex, s->rate_bps, err);
}

int lab_shape(const struct lab *lab, const struct lab_host *h, size_t iface,
	      const struct lab_shape *s, struct lab_error **err)
{
	_cleanup_close_ int pidfd = -1;
	struct nets *in = NULL, *out = NULL;
	const struct lab_iface *x = &h->ifaces[iface];
	int eth, veth, r;

	if (!h->networked)
		return lab_err(err, 0, "%s is an empty host: it has no link to shape", h->name);
	if (iface >= h->nifaces)
		return lab_err(err, 0, "host %s has no interface %zu", h->name, iface);
	pidfd = ns_pidfd_verified(h->pid, h->start, NULL);
	if (pidfd < 0)
		return lab_err(err, ESRCH, "host %s of lab %s is not running", h->name, lab->name);
	if ((r = nets_open_at(pidfd, &in, err)) < 0 || (r = nets_open(&out, err)) < 0 ||
	    (r = nets_ifindex(in, x->name, &eth, err)) < 0 || (r = nets_ifindex(out, x->veth, &veth, err)) < 0)
		goto done;
	/* the host's side first: if the kernel lacks the qdisc, nothing has changed yet */
	r = shape_one(in, eth, s, err);
	if (r == -ENOENT && !s->clear && (s->delay_us || s->jitter_us || s->loss_percent > 0)) {
		lab_err_free(err);
		r = lab_err(err, 0, "delay/loss need the kernel's netem qdisc (CONFIG_NET_SCH_NETEM), "
				    "which this kernel lacks; --rate still works");
		goto done;
	}
	if (r < 0)
		goto done;
	r = shape_one(out, veth, s, err);
	if (r < 0 && !s->clear)
		nets_shape_clear(in, eth, NULL);	/* undo the host's side */
done:
	nets_close(in);
	nets_close(out);
	return r < 0 ? lab_err_wrap(err, "host %s", h->name) : 0;
}
