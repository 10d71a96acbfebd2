/* `netlab down` and `netlab clean`. */
#include "lab_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup.h"
#include "util.h"

/* The state file cannot be trusted: rebuild the host list from what the kernel shows. The netns
 * mounts /run/netns/LAB-<host> name the hosts; the PID 1 of each is the process whose network
 * namespace is that mount's and which is PID 1 of its own PID namespace (NSpid ends in 1). */
static void recover_hosts(struct lab *lab)
{
	char path[300], buf[4096], prefix[LAB_NAME_MAX + 2];
	struct dirent *e;
	_cleanup_closedir_ DIR *d = opendir(LAB_NETNS_DIR);
	_cleanup_closedir_ DIR *proc = NULL;
	size_t cap = 0;

	if (!d)
		return;
	name_prefix(prefix, lab->name);
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

			netns_path(path, sizeof(path), lab->name, lab->hosts[i].name);
			if (stat(path, &mst) == 0 && mst.st_ino == st.st_ino && mst.st_dev == st.st_dev) {
				lab->hosts[i].pid = pid;
				lab->hosts[i].start = start;
			}
		}
	}
}

static int down_locked(int labfd, const char *name, void (*report)(const char *, void *),
		       void *arg, void (*explain)(const char *, void *), void *explain_arg,
		       struct lab_error **err)
{
	_cleanup_lab_ struct lab lab = { 0 };
	struct lab_error *bad = NULL;
	struct teardown t = { .lab = &lab, .labfd = labfd, .report = report, .arg = arg,
			      .explain = explain, .explain_arg = explain_arg };

	if (read_state_at(labfd, name, &lab, &bad) < 0) {
		/* a corrupt state file is not trusted: interfaces go by their alias, hosts are found
		 * from their netns mounts */
		memset(&lab, 0, sizeof(lab));
		snprintf(lab.name, sizeof(lab.name), "%s", name);
		if (report && bad)
			report(bad->msg, arg);
		lab_err_free(&bad);
		recover_hosts(&lab);
	} else {
		/* [hostsetup] a Kathará lab's shutdown files, before its hosts go; their failures
		 * do not stop down */
		(void)hostsetup_shutdown(labfd, &lab);
	}
	return teardown(&t, err);
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
	_cleanup_close_ int rundir = -1;
	int r = 0;

	cgroup_detect(&cg);
	rundir = run_dir_lock(false, NULL);
	if (cgroup_labs(&cg, &names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct stat st;

		if (rundir >= 0 && fstatat(rundir, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;	/* its lab is up (or being built) */
		if (cgroup_lab_remove(&cg, names[i], report, arg, err) < 0)
			r = -1;
	}
	cgroup_top_remove(&cg);
	lab_names_free(names, count);
	return r;
}

/* Labs whose `up` died (state still "building") or whose hosts are all dead, and labs whose state
 * is corrupt: down, each under its own lock; one an `up` or `down` holds is left alone. Returns < 0
 * when the labs cannot be listed; *failed when one of them could not be removed (the others
 * were). */
static int clean_labs(void (*report)(const char *what, void *arg), void *arg, bool *failed,
		      struct lab_error **err)
{
	char **names = NULL;
	size_t count = 0;

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
		if (down_locked(labfd, names[i], report, arg, NULL, NULL, err) < 0) {
			lab_err_wrap(err, "lab %s", names[i]);
			*failed = true;
		}
	}
	lab_names_free(names, count);
	return 0;
}

/* The lab numbers of the labs under /run/netlab (up, being built, or not yet cleaned), into
 * numbers[65536]. false when one of them cannot be read (its number unknown: nothing is deleted
 * by number then). Read after the links are listed: a link that existed then belongs to a lab
 * whose state was written before it (`up` records it before making anything). */
static bool lab_numbers(unsigned char *numbers)
{
	char **names = NULL;
	size_t count = 0;
	bool ok = lab_names(&names, &count, NULL) == 0;

	for (size_t i = 0; ok && i < count; i++) {
		_cleanup_lab_ struct lab lab = { 0 };

		ok = lab_load(names[i], &lab, NULL) == 0;
		if (ok)
			numbers[lab.number] = 1;
	}
	lab_names_free(names, count);
	return ok;
}

/* Interfaces of labs that have no state any more: marked as netlab's by their alias
 * (netlab:LAB:...), or, killed between creating a link and naming it, by both the name and the
 * netdevice group of a lab number (nlN-... in group LAB_GROUP_BASE + N) that no lab has. Returns
 * < 0 when the interfaces cannot be listed; *failed when one could not be deleted. */
static int clean_links(void (*report)(const char *what, void *arg), void *arg, bool *failed,
		       struct lab_error **err)
{
	_cleanup_nets_ struct nets *n = NULL;
	_cleanup_free_ struct nets_link *links = NULL;
	size_t nlinks = 0;
	_cleanup_free_ unsigned char *numbers = NULL;
	bool by_number = false;

	if (nets_open(&n, err) < 0 || nets_link_list(n, &links, &nlinks, err) < 0)
		return -1;
	for (size_t i = 0; i < nlinks && !numbers; i++) {
		unsigned num = link_name_number(links[i].name);

		if (num && num == link_group_number(links[i].group) && !links[i].alias[0]) {
			numbers = calloc(65536, 1);
			by_number = numbers && lab_numbers(numbers);
		}
	}
	for (size_t i = 0; i < nlinks; i++) {
		char lab[LAB_NAME_MAX + 1], what[128];
		unsigned num = link_name_number(links[i].name);
		struct stat st;
		char path[128];

		if (alias_lab(links[i].alias, lab)) {
			snprintf(path, sizeof(path), "%s/%s", LAB_RUN_DIR, lab);
			if (lstat(path, &st) == 0)
				continue;	/* its lab is up */
			snprintf(what, sizeof(what), "deleted interface %s (of lab %s)", links[i].name, lab);
		} else if (by_number && !links[i].alias[0] && num &&
			   num == link_group_number(links[i].group) && !numbers[num]) {
			snprintf(what, sizeof(what), "deleted interface %s (of lab number %u, unnamed)",
				 links[i].name, num);
		} else {
			continue;
		}
		/* one gone meanwhile is no failure (nets_link_del) */
		if (nets_link_del(n, links[i].ifindex, err) < 0) {
			*failed = true;
			continue;
		}
		if (report)
			report(what, arg);
	}
	return 0;
}

/* The nftables tables (netlab-LAB) of labs with no state. Returns < 0 when the tables cannot be
 * listed; *failed when one could not be deleted. */
static int clean_tables(void (*report)(const char *what, void *arg), void *arg, bool *failed,
			struct lab_error **err)
{
	char **names = NULL;
	size_t count = 0;

	if (nets_mld_table_labs(&names, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", LAB_RUN_DIR, names[i]);
		if (lstat(path, &st) == 0)
			continue;	/* its lab is up */
		if (nets_mld_table_del(NULL, names[i], err) < 0) {
			*failed = true;
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
	return 0;
}

int lab_clean(void (*report)(const char *what, void *arg), void *arg, struct lab_error **err)
{
	bool failed = false;

	if (geteuid() != 0)
		return lab_err(err, 0, "netlab clean needs root: run it with sudo");
	if (clean_labs(report, arg, &failed, err) < 0 || clean_links(report, arg, &failed, err) < 0 ||
	    clean_tables(report, arg, &failed, err) < 0)
		return -1;
	if (clean_cgroups(report, arg, err) < 0)
		failed = true;
	remove_empty_dirs();
	return failed ? -1 : 0;
}
