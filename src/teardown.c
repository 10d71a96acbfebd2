/* Teardown: one routine for rollback, `down` and `clean`, in the reverse order of `up`:
 * netns mounts, then links (bridge and veths in one batched request), then processes, then state.
 * Best effort: every step runs; the first error is reported. */
#include "lab_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup.h"
#include "util.h"

#define EXIT_TIMEOUT_MS 10000	/* for a killed host to be gone */

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

/* Is host i's /run/netns entry this run's or this lab's to remove? `down` and `clean`: the lab's
 * recorded paths are its own (`up` refuses to start where one exists). Rollback: only the files
 * this run made: the anchor, the hard links to it, and those of hosts that reported ready. */
static bool netns_is_ours(const struct teardown *t, size_t i, const char *path)
{
	struct stat st;

	if (!t->rollback)
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

	netns_prefix(prefix, sizeof(prefix), lab);
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
	char path[128], left[512] = "", first[128] = "", prefix[64];
	size_t nleft = 0, covered;
	_cleanup_free_ bool *ours = NULL;
	_cleanup_free_ int *why = NULL;
	bool retry = false;

	if (!t->lab->nhosts)
		return 0;
	ours = calloc(t->lab->nhosts, sizeof(*ours));
	why = calloc(t->lab->nhosts, sizeof(*why));
	if (!ours || !why)
		return lab_err(err, ENOMEM, "remove %s entries", LAB_NETNS_DIR);
	for (size_t i = 0; i < t->lab->nhosts; i++) {
		netns_path(path, sizeof(path), t->lab->name, t->lab->hosts[i].name);
		if (!(ours[i] = netns_is_ours(t, i, path)))
			continue;
		explainf(t->explain, t->explain_arg, "umount -l %s; rm -f %s", path, path);
		/* in a rollback, only where this run mounted: another tool's mount is not ours */
		if ((!t->rollback || i < t->mounted) && umount_all(path))
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

		netns_prefix(prefix, sizeof(prefix), t->lab->name);
		explainf(t->explain, t->explain_arg, "unshare --mount --propagation private sh -c "
			 "'umount -l %s; umount -l %s*; rm -f %s*'   # under another mount of %s",
			 LAB_NETNS_DIR, prefix, prefix, LAB_NETNS_DIR);
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
		if (nleft++ < 4) {
			netns_path(path, sizeof(path), t->lab->name, t->lab->hosts[i].name);
			snprintf(left + used, sizeof(left) - used, "%s%s (%s)", used ? ", " : "", path,
				 strerror(why[i]));
		}
	}
	if (nleft > 4) {
		size_t used = strlen(left);

		snprintf(left + used, sizeof(left) - used, " and %zu more", nleft - 4);
	}
	if (nleft)
		return lab_err(err, 0, "could not remove %s", left);
	if (covered)
		return lab_err(err, 0, "%zu mount%s of the lab's network namespaces remain%s under "
				       "another mount, such as %s (see /proc/self/mountinfo)", covered,
			       covered == 1 ? "" : "s", covered == 1 ? "s" : "", first);
	return 0;
}

static int remove_links(const struct teardown *t, struct lab_error **err)
{
	_cleanup_nets_ struct nets *n = NULL;
	_cleanup_free_ struct nets_link *links = NULL;
	size_t count = 0, ours = 0;
	bool foreign = false;
	uint32_t group = t->lab->number ? lab_group(t->lab) : 0;
	int r;

	if ((r = nets_open(&n, err)) < 0 || (r = nets_link_list(n, &links, &count, err)) < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		if (link_is_ours(t->lab, &links[i]))
			ours++;
		else if (group && links[i].group == group)
			foreign = true;
	}
	if (ours == 0)
		return r;
	/* one request deletes the bridge and every veth (and so their peers inside the hosts) */
	if (group && !foreign) {
		explainf(t->explain, t->explain_arg, "ip link delete group %u", group);
		r = nets_group_del(n, group, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < count; i++) {
		if (!link_is_ours(t->lab, &links[i]))
			continue;
		if ((!group || foreign || links[i].group != group) &&
		    nets_link_del(n, links[i].ifindex, err) < 0 && r == 0)
			r = lab_err_wrap(err, "interface %s", links[i].name);
		say(t, "deleted interface %s", links[i].name);
	}
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
	_cleanup_free_ int *fds = NULL;
	int r = 0;

	if (t->rollback) {
		/* our own children: kill all, then reap all */
		for (size_t i = 0; t->children && i < lab->nhosts; i++)
			if (t->children[i].pid > 0)
				pidfd_send_signal(t->children[i].pidfd, SIGKILL, NULL, 0);
		for (size_t i = 0; t->children && i < lab->nhosts; i++)
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
	return r;
}

static int remove_state(const struct teardown *t, struct lab_error **err)
{
	_cleanup_close_ int rundir = open(LAB_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	static const char *const files[] = { "hosts", "state", ".state.tmp", ".hosts.tmp",
					     /* [hostsetup] a Kathará lab's records */
					     HOSTSETUP_ABOUT_FILE, "." HOSTSETUP_ABOUT_FILE ".tmp",
					     HOSTSETUP_SHUTDOWN_FILE, "." HOSTSETUP_SHUTDOWN_FILE ".tmp" };

	/* [hostsetup] the hosts' exec: logs (hostsetup.c) */
	if (hostsetup_logs_remove(t->labfd, err) < 0)
		return lab_err_wrap(err, "%s/%s", LAB_RUN_DIR, t->lab->name);
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

int teardown(const struct teardown *t, struct lab_error **err)
{
	struct nets *nf = NULL;
	struct lab_error *netns_err = NULL;
	int r = 0, netns_r;

	/* rolling back our own `up`: hosts first, since one still setting up may yet create its
	 * netns mount point (ns_spec); otherwise last, so the links are deleted while they exist */
	if (t->rollback && kill_hosts(t, err) < 0)
		r = -1;
	/* the MLD table first, its socket closed last: the kernel destroys the table meanwhile,
	 * where closing at once would wait for that (nets_nft_open); no nf_tables, no table */
	if ((!t->rollback || t->made_table) && nets_nft_open(&nf, NULL) == 0 &&
	    remove_mld_table(t, nf, err) < 0)
		r = -1;
	/* a /run/netns entry that cannot be removed (reported, path by path) holds no host and no
	 * link once these are gone: it must not keep the lab from being removed */
	netns_r = remove_netns_mounts(t, &netns_err);
	if ((!t->rollback || t->made_links) && remove_links(t, err) < 0)
		r = -1;
	if (!t->rollback && kill_hosts(t, err) < 0)
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
