/* `netlab up`: reserve (lock, plan, allocate, record), build (bridges, the spawner pipeline, cabling,
 * netns mounts), commit; and the rollback when any step fails. */
#include "lab_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hostsetup.h"
#include "plan.h"
#include "topo.h"
#include "util.h"

#define READY_TIMEOUT_MS 30000	/* for a host to report ready */

/* Every step of `up` passes here: a pending SIGINT/SIGTERM/SIGHUP aborts it (and rolls back).
 * For tests: NETLAB_FAIL_AT=K makes step K fail; NETLAB_STOP_AT=K stops the process (SIGSTOP) at
 * step K, so that a test can kill it at exactly that point. */
int up_step(struct up *u, const char *what, struct lab_error **err)
{
	struct signalfd_siginfo si;

	u->step++;
	if (u->stop_at && u->step == u->stop_at)
		raise(SIGSTOP);
	if (u->fail_at && u->step == u->fail_at)
		return lab_err(err, 0, "injected failure at step %u (%s) [NETLAB_FAIL_AT]", u->step, what);
	if (u->sigfd >= 0 && read(u->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		return lab_err_interrupted(err, (int)si.ssi_signo, "interrupted by %s while %s",
					   strsignal((int)si.ssi_signo), what);
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

			if (u->lab->segs[x->seg].noaddr)	/* no address of netlab's */
				continue;
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

/* netlab/LAB in each cgroup hierarchy, under the /run/netlab lock (cgroup_lab_create). */
static int make_lab_cgroups(struct up *u, struct lab_error **err)
{
	cgroup_detect(&u->cg);
	if (cgroup_lab_create(&u->cg, u->lab->name, err) < 0)
		return -1;
	u->cg_made = true;
	return 0;
}

/* Refuse to build where something of the lab's names already is: an interface whose alias names
 * the lab (left by a lab of that name that crashed), an entry /run/netns/LAB-*, the nftables table
 * netlab-LAB. A failed `up` would otherwise remove them in its rollback, and `down` later. The
 * interfaces' own names are free by construction (the plan takes a number none uses). Runs under
 * the /run/netlab lock, before anything is made. */
static int check_clashes(struct up *u, struct lab_error **err)
{
	const char *name = u->lab->name;
	char prefix[LAB_NAME_MAX + 2], found[512] = "";
	_cleanup_free_ struct nets_link *links = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char **tables = NULL;
	size_t count = 0;
	struct dirent *e;
	int r;

	name_prefix(prefix, name);
	r = nets_link_list(u->root, &links, &count, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count && !found[0]; i++)
		if (alias_is_lab(links[i].alias, name))
			snprintf(found, sizeof(found), "interface %s is left from a lab '%s' that crashed: "
				 "run 'netlab clean'", links[i].name, name);
	if ((d = opendir(LAB_NETNS_DIR)))
		while (!found[0] && (e = readdir(d)))
			if (!strncmp(e->d_name, prefix, strlen(prefix)))
				snprintf(found, sizeof(found), "%s/%.64s exists and is not netlab's (a network "
					 "namespace made with 'ip netns add'?): remove it ('ip netns del %.64s') "
					 "or choose another --name", LAB_NETNS_DIR, e->d_name, e->d_name);
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

/* The other labs up or being built, as their states have them: what planning must go around. */
struct others {
	struct lab *v;
	size_t n;
};

static void others_free(struct others *o)
{
	for (size_t i = 0; i < o->n; i++)
		state_free(&o->v[i]);
	free(o->v);
}

static int load_others(const char *self, struct others *out, struct lab_error **err)
{
	char **names = NULL;
	size_t count = 0;

	if (lab_names(&names, &count, err) < 0)
		return -1;
	out->v = calloc(count + 1, sizeof(*out->v));
	if (!out->v) {
		lab_names_free(names, count);
		return lab_err(err, ENOMEM, "load the other labs");
	}
	for (size_t i = 0; i < count; i++) {
		struct lab_error *ignored = NULL;

		if (strcmp(names[i], self) && lab_load(names[i], &out->v[out->n], &ignored) == 0)
			out->n++;
		lab_err_free(&ignored);	/* a corrupt lab blocks nothing; clean reports it */
	}
	lab_names_free(names, count);
	return 0;
}

/* The ids this machine's users, groups and subordinate ranges use; a file that cannot be read
 * names none. */
static int read_id_uses(struct plan_ids **out, size_t *out_count, struct lab_error **err)
{
	static const struct { const char *path; bool subordinate; } files[] = {
		{ "/etc/subuid", true }, { "/etc/subgid", true },
		{ "/etc/passwd", false }, { "/etc/group", false },
	};
	struct plan_ids *v = NULL, one;
	size_t n = 0, cap = 0;
	char line[1024];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		_cleanup_fclose_ FILE *f = fopen(files[i].path, "re");

		while (f && fgets(line, sizeof(line), f)) {
			if (plan_ids_parse(line, files[i].subordinate, &one) < 0)
				continue;
			if (n == cap) {
				struct plan_ids *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*nv));

				if (!nv) {
					free(v);
					return lab_err(err, ENOMEM, "read %s", files[i].path);
				}
				v = nv;
			}
			v[n++] = one;
		}
	}
	*out = v;
	*out_count = n;
	return 0;
}

/* Plan the lab (plan.c) from what this machine has now: its routes, the other labs, its users'
 * ids. Under the /run/netlab lock, so that no other `up` plans meanwhile. */
/* The lab numbers the machine's interfaces have in their names or netdevice groups (kobj.c), so
 * that the plan takes none of them; *out malloc'd, two per interface at most. */
static int link_numbers(struct nets *root, unsigned **out, size_t *out_count, struct lab_error **err)
{
	_cleanup_free_ struct nets_link *links = NULL;
	size_t count = 0, n = 0;
	unsigned *v;

	if (nets_link_list(root, &links, &count, err) < 0)
		return -1;
	v = calloc(2 * count + 1, sizeof(*v));
	if (!v)
		return lab_err(err, ENOMEM, "list the machine's interfaces");
	for (size_t i = 0; i < count; i++) {
		if ((v[n] = link_name_number(links[i].name)))
			n++;
		if ((v[n] = link_group_number(links[i].group)))
			n++;
	}
	*out = v;
	*out_count = n;
	return 0;
}

static int plan(struct up *u, struct lab_error **err)
{
	_cleanup_free_ struct nets_prefix *routes = NULL;
	_cleanup_free_ struct plan_ids *ids = NULL;
	_cleanup_free_ unsigned *numbers = NULL;
	_cleanup_(others_free) struct others others = { 0 };
	struct plan_input in = { .spec = u->spec };
	struct lab *lab = u->lab;

	if (nets_route_prefixes(u->root, &routes, &in.nroutes, err) < 0 ||
	    link_numbers(u->root, &numbers, &in.nlink_numbers, err) < 0 ||
	    load_others(lab->name, &others, err) < 0 || read_id_uses(&ids, &in.nids, err) < 0)
		return -1;
	if (getrandom(&in.id_seed, sizeof(in.id_seed), GRND_NONBLOCK) != (ssize_t)sizeof(in.id_seed))
		in.id_seed = (uint32_t)util_now_ns();
	in.routes = routes;
	in.link_numbers = numbers;
	in.others = others.v;
	in.nothers = others.n;
	in.ids = ids;
	if (lab_plan(&in, lab, err) < 0)
		return -1;
	u->children = calloc(lab->nhosts + 1, sizeof(*u->children));
	if (!u->children)
		return lab_err(err, ENOMEM, "plan lab");
	for (size_t i = 0; i < lab->nhosts; i++)
		u->children[i].pidfd = u->children[i].sync_fd = -1;
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
		_cleanup_lab_ struct lab other = { 0 };

		if (errno != EEXIST)
			return lab_err(err, errno, "create %s/%s", LAB_RUN_DIR, lab->name);
		r = lab_load(lab->name, &other, &sub);
		lab_err_free(&sub);
		if (r == 0 && !other.complete)
			return lab_err(err, 0, "lab '%s' is being built, or its `netlab up` died: "
						    "run 'netlab clean' if no netlab up is running",
				       lab->name);
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
	r = check_clashes(u, err);
	if (r < 0)
		return r;
	if (plan(u, err) < 0 || make_lab_cgroups(u, err) < 0)
		return -1;
	lab->builder = getpid();
	util_proc_starttime(lab->builder, &lab->builder_start);
	/* recorded before anything is made: a killed `up` leaves a plan `clean` can follow */
	if (write_state_at(u->labfd, lab, err) < 0 || write_hosts_file(u, err) < 0)
		return -1;
	return 0;	/* the /run/netlab lock is released here: the name and subnet are ours */
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

/* A host's limits: its own in the topology file, else `up --pids-max/--memory-max`, else the file's
 * lab-wide ones, else the defaults (cgroup.h). */
struct cgroup_limits host_limits(const struct lab_spec *s, const struct lab_host *h)
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

/* Cabling's steps are up's (cable.c knows no struct up). */
static int cable_step(void *arg, const char *what, struct lab_error **err)
{
	return up_step(arg, what, err);
}

/* How many hosts the spawner may clone ahead of the one being cabled. */
#define SPAWN_AHEAD 2

static int build(struct up *u, struct lab_timing *t, struct lab_error **err)
{
	struct lab *lab = u->lab;
	struct cable_ctx *c = &u->cable;
	uint64_t t0 = util_now_ns();
	int r;

	*c = (struct cable_ctx){ .lab = lab, .root = u->root, .group = lab_group(lab),
				 .explain = u->spec->explain, .explain_arg = u->spec->explain_arg,
				 .step = cable_step, .step_arg = u };
	c->bridges = calloc(lab->nsegs * LAB_SEG_BRIDGES_MAX, sizeof(*c->bridges));
	c->ports = calloc(lab->nsegs, sizeof(*c->ports));
	if (!c->bridges || !c->ports)
		return lab_err(err, ENOMEM, "bridges");
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);

		for (size_t k = 0; k < n; k++)
			if ((r = add_bridge(c, g, k, err)) < 0)
				return lab->nsegs > 1 ? lab_err_wrap(err, "segment %s", lab->segs[g].name) : r;
	}
	if ((r = wall_off(c, err)) < 0)
		return r;
	c->neigh_fix = machine_neigh_differs();
	snprintf(u->hosts_path, sizeof(u->hosts_path), "%s/%s/hosts", LAB_RUN_DIR, lab->name);

	if (mkdir(LAB_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return lab_err(err, errno, "create %s", LAB_NETNS_DIR);
	/* the first host's mount point, made here: the others are hard links to it (ns_spec) */
	netns_path(u->anchor, sizeof(u->anchor), lab->name, lab->hosts[0].name);
	{
		_cleanup_close_ int fd = open(u->anchor, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					      O_CLOEXEC, 0);
		struct stat st;

		if (fd < 0)
			return lab_err(err, errno, "create %s", u->anchor);
		/* what the rollback may remove: this file and its hard links, not a file found there */
		if (fstat(fd, &st) == 0) {
			u->anchor_dev = st.st_dev;
			u->anchor_ino = st.st_ino;
		}
	}

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
		if (h->networked && (r = cable_host(c, h, u->children[j].pidfd, err)) < 0)
			return r;
		t->veth += util_now_ns() - c0;
	}
	t->spawn = util_now_ns() - t0;
	t0 = util_now_ns();
	/* after the hosts made their mounts private, so these never propagate into them */
	for (size_t i = 0; i < lab->nhosts; i++)
	{
		char path[128], v[NAMES_SHELL_VAR_LEN];

		netns_path(path, sizeof(path), lab->name, lab->hosts[i].name);
		explainf(u->spec->explain, u->spec->explain_arg,
			 "mkdir -p %s && touch %s && mount --bind /proc/$pid_%s/ns/net %s", LAB_NETNS_DIR,
			 path, names_shell_var(lab, &lab->hosts[i], v), path);
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

/* What an `up` holds until it ends, either way: its children's fds, the netlink socket, the lab's
 * directory (closing it releases the lab's lock), the signalfd. */
static void up_release(struct up *u)
{
	for (size_t i = 0; u->children && i < u->lab->nhosts; i++) {
		cleanup_closep(&u->children[i].pidfd);
		cleanup_closep(&u->children[i].sync_fd);
	}
	free(u->children);
	free(u->cable.bridges);
	free(u->cable.ports);
	nets_close(u->root);
	cleanup_closep(&u->labfd);
	cleanup_closep(&u->sigfd);
}

int lab_up(const struct lab_spec *spec, struct lab *out, struct lab_timing *timing,
	   struct lab_error **err)
{
	_cleanup_lab_ struct lab lab = { 0 };
	struct up u = { .spec = spec, .lab = &lab, .labfd = -1, .sigfd = -1,
			.spawner = { .pid = 0, .fd = -1 } };
	struct lab_timing t = { 0 };
	sigset_t block, old;
	unsigned long fail_at = 0;
	uint64_t t0 = util_now_ns(), t1;
	int r;

	if (check_preconditions(err) < 0)
		return -1;
	if (hostsetup_check(spec, err) < 0)	/* [hostsetup] */
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
	/* [hostsetup] a topology file's files:, sysctls: and exec:, before the lab is committed:
	 * a failure rolls it back like any other (hostsetup.c) */
	if (r >= 0 && spec->topo && hostsetup_any(spec->topo->setup) &&
	    (r = up_step(&u, "setting the hosts up", err)) >= 0)
		r = hostsetup_up(spec, &lab, u.children, u.labfd, u.sigfd, err);
	t1 = util_now_ns();
	if (r >= 0)
		r = commit(&u, err);
	t.commit = util_now_ns() - t1;

	if (r < 0)
		ns_spawner_abort(&u.spawner, u.children, u.children ? lab.nhosts : 0);
	else
		ns_spawner_finish(&u.spawner);
	if (r < 0 && u.created_dir) {
		struct teardown td = { .lab = &lab, .rollback = true, .children = u.children,
				       .labfd = u.labfd,
				       .anchor_dev = u.anchor_dev, .anchor_ino = u.anchor_ino,
				       .ready = u.ready, .mounted = u.mounted,
				       .made_table = u.cable.made_table,
				       .made_links = u.cable.bridges != NULL };
		struct lab_error *ignored = NULL;

		td.keep_cgroups = !u.cg_made;

		if (teardown(&td, &ignored) < 0 && *err && ignored)
			lab_err_wrap(err, "(rollback incomplete: %s; run 'netlab clean')", ignored->msg);
		lab_err_free(&ignored);
	}
	up_release(&u);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	t.total = util_now_ns() - t0;
	if (timing)
		*timing = t;
	*out = TAKE_STRUCT(lab);
	return 0;
}
