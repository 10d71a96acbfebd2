#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../netsetup/netsetup.h"
#include "lab.h"
#include "ns.h"
#include "rootfs.h"
#include "util.h"

struct lines {
	struct doctor_line *v;
	size_t n, cap;
};

static void add(struct lines *l, enum doctor_level level, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(struct lines *l, enum doctor_level level, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (l->n == l->cap) {
		struct doctor_line *v = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof(*v));
		if (!v)
			return;
		l->v = v;
	}
	l->v[l->n].level = level;
	snprintf(l->v[l->n].what, sizeof(l->v[l->n].what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(l->v[l->n].detail, sizeof(l->v[l->n].detail), fmt, ap);
	va_end(ap);
	l->n++;
}

static long read_long(const char *path)
{
	char buf[32];
	unsigned long v;

	if (util_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return util_parse_ulong(buf, 0, ~0ul >> 1, &v) == 0 ? (long)v : -1;
}

enum { PROBE_VETH, PROBE_BRIDGE, PROBE_TBF, PROBE_NETEM, PROBE_MLD, PROBES };

/* In a forked child, in a network namespace of its own (so nothing can be left behind, even if
 * it crashes): create a veth pair and a bridge, put tbf and netem qdiscs on the veth, and the
 * MLD report filter (an nftables table, else an eBPF tc classifier on a shared block). */
static void probe_kernel(int results[PROBES])
{
	int pipe_fd = -1, status;
	pid_t pid;

	for (int i = 0; i < PROBES; i++)
		results[i] = -1;
	pid = util_fork_piped(&pipe_fd, NULL);
	if (pid < 0)
		return;
	if (pid == 0) {
		int res[PROBES] = { -1, -1, -1, -1, -1 }, a = 0, b = 0, fd;
		struct nets *n = NULL;
		struct nets_link_spec veth = { .name = "probe0", .up = true };
		struct nets_link_spec br = { .name = "probebr", .up = true };

		if (unshare(CLONE_NEWNET) == 0 && nets_open(&n, NULL) == 0) {
			res[PROBE_VETH] = nets_veth_add(n, &veth, "probe1", getpid(), NULL, &a, NULL, NULL) == 0;
			res[PROBE_BRIDGE] = nets_bridge_add(n, &br, &b, NULL) == 0;
			if (res[PROBE_VETH] == 1) {
				res[PROBE_TBF] = nets_qdisc_probe(n, a, "tbf", NULL) == 0;
				res[PROBE_NETEM] = nets_qdisc_probe(n, a, "netem", NULL) == 0;
				/* 2: one nftables rule per lab; 1: a tc filter per port; 0: none */
				if (nets_lab_table_add("probe", 1, true, NULL) == 0) {
					res[PROBE_MLD] = 2;
				} else {
					fd = nets_mld_program(NULL);
					res[PROBE_MLD] = fd >= 0 && nets_mld_block_port(n, a, 1, NULL) == 0 &&
							 nets_mld_block_filter(n, 1, fd, NULL) == 0;
				}
			}
			nets_close(n);
		}
		(void)!write(pipe_fd, res, sizeof(res));
		_exit(0);
	}
	if (util_read_all(pipe_fd, results, sizeof(int) * PROBES) != (ssize_t)(sizeof(int) * PROBES))
		for (int i = 0; i < PROBES; i++)
			results[i] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pipe_fd);
}

static void check_kernel(struct lines *l)
{
	struct utsname u;
	int major = 0, minor = 0, fd;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	if (major > 5 || (major == 5 && minor >= 8))
		add(l, DOCTOR_OK, "kernel", "%s (5.8 or later: clone3 with CLONE_PIDFD, setns with a pidfd)",
		    u.release);
	else
		add(l, DOCTOR_FAIL, "kernel", "%s is older than 5.8, which netlab needs (clone3 with "
					      "CLONE_PIDFD, setns with a pidfd): upgrade the kernel", u.release);
	/* clone3 with a NULL argument fails with EFAULT or EINVAL if it exists, ENOSYS if not */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS)
		add(l, DOCTOR_WARN, "clone3", "missing (ENOSYS): netlab falls back to clone(2)");
	fd = pidfd_open(getpid(), 0);
	if (fd >= 0) {
		close(fd);
		add(l, DOCTOR_OK, "pidfd", "pidfd_open works");
	} else {
		add(l, DOCTOR_FAIL, "pidfd", "pidfd_open: %s (Linux 5.3 or later needed)", strerror(errno));
	}
}

static void check_namespaces(struct lines *l)
{
	static const char *const kinds[] = { "user", "mnt", "pid", "net", "uts", "ipc" };
	char path[80], list[160] = "";
	size_t used = 0;
	bool zero = false;

	for (size_t i = 0; i < 6; i++) {
		long v;

		snprintf(path, sizeof(path), "/proc/sys/user/max_%s_namespaces", kinds[i]);
		v = read_long(path);
		if (v == 0) {
			zero = true;
			add(l, DOCTOR_FAIL, "namespaces", "%s is 0: run 'sysctl -w user.max_%s_namespaces=15000'%s",
			    path, kinds[i], i == 0 ? " (on CentOS 7 also boot with user_namespace.enable=1)" : "");
		}
		used += (size_t)snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s %ld",
					 i ? ", " : "", kinds[i], v);
	}
	if (!zero)
		add(l, DOCTOR_OK, "namespaces", "limits (user.max_*_namespaces): %s", list);
}

/* A machine that forwards routes what reaches its stack; the lab's nftables wall keeps the labs'
 * own frames away, but a machine that forwards is one mistake from routing a lab to its uplink. */
static void check_forwarding(struct lines *l)
{
	long v4 = read_long("/proc/sys/net/ipv4/ip_forward");
	long v6 = read_long("/proc/sys/net/ipv6/conf/all/forwarding");

	if (v4 == 1 || v6 == 1)
		add(l, DOCTOR_WARN, "forwarding", "this machine forwards (%s%s%s): netlab's nftables "
			"table keeps lab traffic off its stack, but check that nothing else bridges or "
			"routes the lab bridges to the uplink; sysctl -w net.ipv4.ip_forward=0 "
			"net.ipv6.conf.all.forwarding=0 unless the machine is a router",
		    v4 == 1 ? "net.ipv4.ip_forward=1" : "", v4 == 1 && v6 == 1 ? ", " : "",
		    v6 == 1 ? "net.ipv6.conf.all.forwarding=1" : "");
	else
		add(l, DOCTOR_OK, "forwarding", "this machine routes nothing (ip_forward 0, IPv6 "
			"forwarding 0)");
}

static void check_network(struct lines *l)
{
	int probe[PROBES];
	struct nets *n = NULL;
	char desc[96];
	long v;

	if (geteuid() != 0)
		return;
	probe_kernel(probe);
	add(l, probe[PROBE_VETH] == 1 ? DOCTOR_OK : DOCTOR_FAIL, "veth",
	    probe[PROBE_VETH] == 1 ? "created and removed a test pair" : "cannot create a veth pair "
	    "(CONFIG_VETH): netlab up cannot cable hosts");
	add(l, probe[PROBE_BRIDGE] == 1 ? DOCTOR_OK : DOCTOR_FAIL, "bridge",
	    probe[PROBE_BRIDGE] == 1 ? "created and removed a test bridge" : "cannot create a Linux "
	    "bridge (CONFIG_BRIDGE): netlab up cannot join hosts");
	add(l, probe[PROBE_TBF] == 1 ? DOCTOR_OK : DOCTOR_WARN, "tbf",
	    probe[PROBE_TBF] == 1 ? "the tbf qdisc works (link rate shaping)" : "no tbf qdisc "
	    "(CONFIG_NET_SCH_TBF): link rate shaping is unavailable");
	add(l, probe[PROBE_NETEM] == 1 ? DOCTOR_OK : DOCTOR_WARN, "netem",
	    probe[PROBE_NETEM] == 1 ? "the netem qdisc works (delay, jitter, loss)" : "no netem qdisc "
	    "(CONFIG_NET_SCH_NETEM): delay, jitter and loss are unavailable; rate shaping still works");

	add(l, probe[PROBE_MLD] >= 1 ? DOCTOR_OK : DOCTOR_WARN, "MLD filter",
	    probe[PROBE_MLD] == 2 ? "one nftables rule per lab (bridge family) keeps each host's MLD "
	    "reports off the other ports"
	    : probe[PROBE_MLD] == 1 ? "an eBPF tc filter on each port keeps each host's MLD reports "
	    "off the other ports (no nftables bridge family: CONFIG_NF_TABLES_BRIDGE)"
	    : "neither nftables' bridge family nor an eBPF tc filter (bpf(2), CONFIG_NET_SCH_INGRESS, "
	    "CONFIG_NET_CLS_BPF): every MLD report is flooded to every host, and IPv6 labs of "
	    "hundreds of hosts come up slowly; --no-ipv6 avoids it");

	add(l, probe[PROBE_MLD] == 2 ? DOCTOR_OK : DOCTOR_FAIL, "lab wall",
	    probe[PROBE_MLD] == 2 ? "an nftables input chain (bridge family) keeps each lab's hosts "
	    "off this machine's own network stack"
	    : "no nftables bridge family (CONFIG_NF_TABLES_BRIDGE, nf_tables): netlab up refuses, "
	    "since nothing else would stop a host from reaching this machine's addresses");
	check_forwarding(l);

	v = read_long("/proc/sys/net/bridge/bridge-nf-call-iptables");
	if (v == 1)
		add(l, DOCTOR_WARN, "bridge netfilter", "net.bridge.bridge-nf-call-iptables is 1: bridged "
			"lab traffic goes through this machine's iptables FORWARD chain, and a DROP policy "
			"(Docker sets one) cuts hosts off from each other; allow the lab bridges there, or "
			"sysctl -w net.bridge.bridge-nf-call-iptables=0");
	else
		add(l, DOCTOR_OK, "bridge netfilter", "bridged traffic does not pass iptables");

	/* N hosts in full mesh need N(N-1) entries, as pingall's and verify's notes count: the
	 * largest N that fits is floor((1 + sqrt(1 + 4v)) / 2), 32 for the default 1024. */
	v = read_long("/proc/sys/net/ipv4/neigh/default/gc_thresh3");
	if (v >= 0 && v < 4096)
		add(l, DOCTOR_WARN, "ARP table", "net.ipv4.neigh.default.gc_thresh3 is %ld for all namespaces "
			"together: labs of more than about %d hosts talking all to all lose pairs; "
			"sysctl -w net.ipv4.neigh.default.gc_thresh3=8192 net.ipv4.neigh.default.gc_thresh2=4096",
		    v, (int)((1 + __builtin_sqrt(1 + 4 * (double)v)) / 2));
	else if (v >= 0)
		add(l, DOCTOR_OK, "ARP table", "gc_thresh3 %ld", v);

	if (nets_open(&n, NULL) == 0) {
		int r = nets_route4_overlap(n, 0x0a4d0000, 16, desc, sizeof(desc), NULL);
		if (r == 0)
			add(l, DOCTOR_OK, "subnets", "10.77.0.0/16, where labs get their subnets, is free");
		else if (r > 0)
			add(l, DOCTOR_WARN, "subnets", "the route %s is inside 10.77.0.0/16: netlab picks "
				"subnets around it, or give one with --subnet", desc);
		nets_close(n);
	}
}

/* Which cgroup hierarchies carry the hosts' limits (cgroup.c). */
static void check_cgroups(struct lines *l)
{
	struct cgroup_set cg;
	bool pids = false, memory = false;
	char desc[300];

	cgroup_detect(&cg);
	cgroup_describe(&cg, desc, sizeof(desc));
	for (size_t i = 0; i < cg.n; i++) {
		pids |= cg.h[i].pids;
		memory |= cg.h[i].memory;
	}
	if (pids && memory)
		add(l, DOCTOR_OK, "cgroups", "hosts get pids and memory limits in netlab/LAB/HOST of %s",
		    desc);
	else if (pids || memory)
		add(l, DOCTOR_WARN, "cgroups", "only the %s controller is mounted (%s): hosts have no %s "
			"limit", pids ? "pids" : "memory", desc, pids ? "memory" : "pids");
	else
		add(l, DOCTOR_WARN, "cgroups", "neither the pids nor the memory cgroup controller is "
			"mounted (cgroup v2 or v1): hosts run without limits, and a fork bomb in one can "
			"take the machine down");
}

/* A throwaway host, built exactly as `up` builds one (ns_spawn in a forked child, which becomes
 * its spawner): can this machine give hosts their own root? */
static void check_rootfs(struct lines *l)
{
	struct ns_spec spec = { .hostname = "probe", .title = "netlab-doctor-probe", .fs = ROOTFS_OWN };
	int fd = -1, status = 0;
	char msg[300] = "";
	pid_t pid;

	if (geteuid() != 0)
		return;
	pid = util_fork_piped(&fd, NULL);
	if (pid == 0) {
		struct ns_child c = { .pid = 0, .pidfd = -1, .sync_fd = -1 };
		struct lab_error *e = NULL;
		char buf[300];
		int r;

		r = ns_spawn(&spec, &c, &e);
		if (r == 0 && (r = ns_go(&c, &e)) == 0)
			r = ns_read_ready(&c, &e);
		if (c.pid > 0)
			ns_abort(&c);
		if (r < 0)
			util_write_all(fd, lab_err_str(e, buf, sizeof(buf)), strlen(buf));
		_exit(r < 0);
	}
	if (pid > 0) {
		ssize_t n = util_read_all(fd, msg, sizeof(msg) - 1);

		msg[n > 0 ? n : 0] = '\0';
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		close(fd);
	}
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		add(l, DOCTOR_OK, "host roots", "each host gets its own root (an overlay over a read-only "
			"idmapped clone of /; upper layer %s)", rootfs_upper_by_parent()
			? "mounted by netlab (Linux < 6.6: no user xattrs on tmpfs)"
			: "on the host's own tmpfs, userxattr");
	else
		add(l, DOCTOR_WARN, "host roots", "hosts cannot get their own root here (%s): 'netlab up' "
			"fails; 'netlab up --fs shared' gives them the machine's root, read-only",
		    msg[0] ? msg : "the probe host died");
}

static void check_leftovers(struct lines *l)
{
	char **names = NULL;
	size_t count = 0, stale = 0;

	if (lab_names(&names, &count, NULL) < 0)
		return;
	for (size_t i = 0; i < count; i++) {
		struct lab lab;
		bool alive = false;

		if (lab_load(names[i], &lab, NULL) < 0) {
			add(l, DOCTOR_WARN, "leftovers", "lab %s has an unreadable state file: run netlab clean "
				"(or netlab down %s)", names[i], names[i]);
			stale++;
			continue;
		}
		for (size_t h = 0; h < lab.nhosts && !alive; h++) {
			int fd = lab_host_pidfd(&lab.hosts[h]);
			if (fd >= 0) {
				alive = true;
				close(fd);
			}
		}
		if (!alive) {
			add(l, DOCTOR_WARN, "leftovers", "lab %s has no running host (a crash?): run netlab clean",
			    names[i]);
			stale++;
		}
		state_free(&lab);
	}
	if (!stale)
		add(l, DOCTOR_OK, "leftovers", "%zu lab%s up, none left over from a crash", count,
		    count == 1 ? "" : "s");
	lab_names_free(names, count);
}

int doctor_run(struct doctor_line **out, size_t *out_count, struct lab_error **err)
{
	struct lines l = { 0 };

	if (geteuid() == 0)
		add(&l, DOCTOR_OK, "root", "running as root");
	else
		add(&l, DOCTOR_FAIL, "root", "netlab needs root (namespaces, bridges, veths): run it with sudo");
	check_kernel(&l);
	check_namespaces(&l);
	check_network(&l);
	check_cgroups(&l);
	check_rootfs(&l);
	check_leftovers(&l);
	if (!l.v)
		return lab_err(err, ENOMEM, "doctor");
	*out = l.v;
	*out_count = l.n;
	return 0;
}
