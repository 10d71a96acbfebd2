/* Integration tests: real labs on the real kernel, as root. Each test has its own lab name and
 * subnet (10.99.N.0/24) so that tests run in parallel, and leaves nothing behind. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

static const char *const ns6[] = { "user", "mnt", "pid", "net", "uts", "ipc" };

static unsigned long inode_of(pid_t pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void assert_gone(const char *lab, const pid_t *pids, size_t n)
{
	char what[256];

	cr_assert(!lab_leftovers(lab, pids, n, what, sizeof(what)), "lab %s left %s", lab, what);
}

/* ------------------------------------------------------------------ the lab as a student sees it */

/* Each test of this suite runs in its own process, in parallel: its own lab, named after its PID,
 * on the subnet netlab allocates (atomically) by default. */
static char LAB[16], NET[32];	/* "tc12345", "10.77.3." */
static char H1[64], H2[64], E1[64];

static void up_tcore(void)
{
	char path[64], line[128];
	FILE *f;

	snprintf(LAB, sizeof(LAB), "tc%d", (int)(getpid() % 100000));
	snprintf(H1, sizeof(H1), "%s/h1", LAB);
	snprintf(H2, sizeof(H2), "%s/h2", LAB);
	snprintf(E1, sizeof(E1), "%s/e1", LAB);
	nl(&r, "up", "2", "--name", LAB, "-q", NULL);
	cr_assert_eq(r.status, 0, "netlab up %s: %s", LAB, r.err);
	snprintf(path, sizeof(path), "/run/netlab/%s/state", LAB);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "segment %*s %*s %31[0-9.]", NET) == 1)
			break;
	fclose(f);
	*strrchr(NET, '.') = '\0';
	strcat(NET, ".");
}
static void down_tcore(void) { lab_down_quiet(LAB); }

static const char *addr_of(int host, const char *suffix)
{
	static char buf[2][64];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s%d%s", NET, host, suffix);
	return buf[k];
}

TestSuite(core, .init = up_tcore, .fini = down_tcore, .timeout = 60);


Test(core, networked_host_has_exactly_lo_and_eth0_with_its_address)
{
	cr_assert_eq(nl(&r, "exec", H1, "--", "ip", "-br", "-4", "addr", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, ""), 2, "expected lo and eth0 only:\n%s", r.out);
	cr_assert(strstr(r.out, "127.0.0.1/8"), "%s", r.out);
	cr_assert_eq(count_lines(r.out, "eth0"), 1, "%s", r.out);
	cr_assert(strstr(r.out, addr_of(1, "/24")), "%s", r.out);
	cr_assert_eq(nl(&r, "exec", H1, "--", "ip", "-br", "link", NULL), 0);
	cr_assert_eq(count_lines(r.out, ""), 2, "%s", r.out);
	cr_assert_eq(count_lines(r.out, " UP "), 1, "eth0 is up:\n%s", r.out);
}

Test(core, empty_host_has_only_lo_and_it_is_down)
{
	cr_assert_eq(nl(&r, "exec", E1, "--", "ip", "-br", "link", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, ""), 1, "%s", r.out);
	cr_assert(!strncmp(r.out, "lo ", 3) && strstr(r.out, "DOWN"), "%s", r.out);
	cr_assert_eq(nl(&r, "exec", E1, "--", "ip", "-br", "addr", NULL), 0);
	cr_assert(!strstr(r.out, "127.0.0.1"), "lo has no address while down:\n%s", r.out);
}

Test(core, hosts_reach_each_other_by_address_and_name_and_the_empty_host_reaches_nobody)
{
	cr_assert_eq(nl(&r, "exec", H1, "--", "ping", "-c1", "-W2", addr_of(2, ""), NULL), 0,
		     "%s%s", r.out, r.err);
	cr_assert_eq(nl(&r, "exec", H1, "--", "ping", "-4", "-c1", "-W2", "h2", NULL), 0, "%s%s",
		     r.out, r.err);
	cr_assert(strstr(r.out, addr_of(2, "")), "h2 resolves through the lab's /etc/hosts: %s", r.out);
	cr_assert_eq(nl(&r, "exec", H2, "--", "ping", "-c1", "-W2", "h1", NULL), 0);
	cr_assert_neq(nl(&r, "exec", E1, "--", "ping", "-c1", "-W1", addr_of(1, ""), NULL), 0,
		      "e1 must reach nobody: %s", r.out);
	cr_assert_neq(nl(&r, "exec", H1, "--", "ping", "-c1", "-W1", "192.0.2.1", NULL), 0,
		      "a host must not reach outside the lab");
}

Test(core, hosts_have_a_unique_local_ipv6_address_a_link_local_one_and_reach_each_other)
{
	char ll[64] = "", target[80];
	const char *p;

	/* the lab's /64 is recorded with its segment; h1 is host 1 in it */
	cr_assert_eq(nl(&r, "exec", H1, "--", "ip", "-6", "-br", "addr", "show", "dev", "eth0", NULL), 0);
	cr_assert(strstr(r.out, "fd4e:4c00:"), "no unique local address:\n%s", r.out);
	cr_assert(strstr(r.out, "::1/64"), "h1 is host 1 of the /64:\n%s", r.out);
	cr_assert(strstr(r.out, "fe80::"), "no link-local address:\n%s", r.out);
	/* /etc/hosts lists both of h2's addresses under its name */
	cr_assert_eq(nl(&r, "exec", H1, "--", "getent", "ahosts", "h2", NULL), 0);
	cr_assert(strstr(r.out, "fd4e:4c00:") && strstr(r.out, addr_of(2, "")), "%s", r.out);
	cr_assert_eq(nl(&r, "exec", H1, "--", "ping", "-6", "-c1", "-W2", "h2", NULL), 0, "%s%s",
		     r.out, r.err);
	/* and h2's link-local, scoped to h1's eth0, answers too */
	cr_assert_eq(nl(&r, "exec", H2, "--", "ip", "-6", "-br", "addr", "show", "dev", "eth0", NULL), 0);
	p = strstr(r.out, "fe80::");
	cr_assert_not_null(p, "%s", r.out);
	snprintf(ll, sizeof(ll), "%.*s", (int)strcspn(p, "/"), p);
	snprintf(target, sizeof(target), "%s%%eth0", ll);
	cr_assert_eq(nl(&r, "exec", H1, "--", "ping", "-c1", "-W2", target, NULL), 0, "%s%s", r.out,
		     r.err);
	cr_assert_eq(nl(&r, "pingall", LAB, "-6", NULL), 0, "%s", r.out);
	/* the empty host has no IPv6 beyond lo, and reaches nobody over it either */
	cr_assert_eq(nl(&r, "exec", E1, "--", "ip", "-6", "-br", "addr", NULL), 0);
	cr_assert(!strstr(r.out, "fd4e") && !strstr(r.out, "fe80"), "%s", r.out);
}

Test(core, the_machine_has_no_address_on_the_lab_links)
{
	/* the bridge and the machine's veth ends carry frames only: no IPv4, and no link-local
	 * address the hosts could reach the machine by (a bridge created up would get one) */
	char br[32], veth[32];

	snprintf(br, sizeof(br), "%s-br", LAB);
	snprintf(veth, sizeof(veth), "%s-h1", LAB);
	cr_assert_eq(run(&r, "ip", "-br", "addr", "show", "dev", br, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, br), "%s", r.out);
	cr_assert(!strchr(r.out, '/'), "the bridge has an address:\n%s", r.out);
	cr_assert_eq(run(&r, "ip", "-br", "addr", "show", "dev", veth, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, veth), "%s", r.out);
	cr_assert(!strchr(r.out, '/'), "h1's veth has an address on the machine:\n%s", r.out);
	/* nor any route: not even IPv6's multicast route (ff00::/8), one per port otherwise */
	for (int i = 0; i < 2; i++) {
		const char *dev = i ? veth : br;

		cr_assert_eq(run(&r, "ip", "-6", "route", "show", "table", "all", "dev", dev, NULL), 0,
			     "%s", r.err);
		cr_assert_str_empty(r.out, "the machine has IPv6 routes on %s:\n%s", dev, r.out);
		cr_assert_eq(run(&r, "ip", "-4", "route", "show", "table", "all", "dev", dev, NULL), 0,
			     "%s", r.err);
		cr_assert_str_empty(r.out, "the machine has IPv4 routes on %s:\n%s", dev, r.out);
	}
}

static unsigned long machine_counter(const char *dev, const char *stat)
{
	char path[128];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev, stat);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fscanf(f, "%lu", &v), 1, "%s", path);
	fclose(f);
	return v;
}

/* h1 (lab/h1) joins a new group; its MLD reports reach the bridge, and not h2 */
static void assert_mld_stays(const char *lab, const char *h1, const char *h2)
{
	char veth[32];
	unsigned long sent, seen;
	int tries = 0;

	snprintf(veth, sizeof(veth), "%s-h1", lab);
	cr_assert_eq(nl(&r, "exec", h2, "--", "cat", "/sys/class/net/eth0/statistics/rx_packets",
			NULL), 0, "%s", r.err);
	seen = strtoul(r.out, NULL, 10);
	sent = machine_counter(veth, "rx_packets");
	/* a new address joins a new solicited-node group: h1 sends MLDv2 reports to ff02::16
	 * (nodad: no neighbour solicitation, which h2 would rightly receive) */
	cr_assert_eq(nl(&r, "exec", h1, "--", "ip", "-6", "addr", "add", "fd4e:4c00:ffff:1::99/64",
			"dev", "eth0", "nodad", NULL), 0, "%s", r.err);
	while (machine_counter(veth, "rx_packets") == sent && tries++ < 100)
		usleep(20000);
	cr_assert_gt(machine_counter(veth, "rx_packets"), sent, "h1 sent no MLD report");
	usleep(200000);
	cr_assert_eq(nl(&r, "exec", h2, "--", "cat", "/sys/class/net/eth0/statistics/rx_packets",
			NULL), 0, "%s", r.err);
	cr_assert_eq(strtoul(r.out, NULL, 10), seen, "h2 received h1's MLD report (%lu frames before, "
		     "%s now)", seen, r.out);
}

Test(core, mld_reports_of_one_host_do_not_reach_the_others)
{
	char table[32];

	/* one nftables rule for the lab does it (nftables is among the dependencies) */
	snprintf(table, sizeof(table), "netlab-%s", LAB);
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", table, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "33:33:00:00:00:16 drop"), "%s", r.out);
	assert_mld_stays(LAB, H1, H2);
}

static void down_tmld(void) { lab_down_quiet("tmld"); }

Test(lifecycle, without_nftables_a_tc_filter_on_each_port_keeps_mld_reports_off,
     .fini = down_tmld)
{
	setenv("NETLAB_MLD_FILTER", "tc", 1);
	lab_up_or_die("tmld", "10.99.41.0/24", "2", "0");
	unsetenv("NETLAB_MLD_FILTER");
	/* the lab's table still walls it off from the machine (test_netiso.c), without an mld chain */
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", "netlab-tmld", NULL), 0, "%s", r.err);
	cr_assert(!strstr(r.out, "33:33:00:00:00:16"), "an nftables MLD rule after all:\n%s", r.out);
	cr_assert_eq(run(&r, "tc", "qdisc", "show", "dev", "tmld-h1", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "clsact"), "no clsact qdisc on tmld-h1:\n%s", r.out);
	assert_mld_stays("tmld", "tmld/h1", "tmld/h2");
	cr_assert_eq(nl(&r, "down", "tmld", NULL), 0, "%s", r.err);
	assert_gone("tmld", NULL, 0);
}

Test(core, six_namespaces_differ_from_the_machine_and_from_each_other)
{
	pid_t pids[3] = { host_pid(LAB, "h1"), host_pid(LAB, "h2"), host_pid(LAB, "e1") };

	for (int h = 0; h < 3; h++) {
		cr_assert_gt(pids[h], 0);
		for (int k = 0; k < 6; k++) {
			unsigned long mine = inode_of(pids[h], ns6[k]);
			cr_assert_neq(mine, 0);
			cr_assert_neq(mine, inode_of(0, ns6[k]), "host %d shares %s with the machine", h,
				      ns6[k]);
			for (int o = 0; o < h; o++)
				cr_assert_neq(mine, inode_of(pids[o], ns6[k]), "hosts %d and %d share %s",
					      h, o, ns6[k]);
		}
		/* not requested: shared with the machine */
		cr_assert_eq(inode_of(pids[h], "cgroup"), inode_of(0, "cgroup"));
	}
}

Test(core, uts_hostname_is_the_host_name)
{
	char real[256];

	gethostname(real, sizeof(real));
	cr_assert_eq(nl(&r, "exec", H2, "--", "hostname", NULL), 0);
	cr_assert_str_eq(r.out, "h2\n");
	cr_assert_eq(nl(&r, "exec", E1, "--", "hostname", NULL), 0);
	cr_assert_str_eq(r.out, "e1\n");
	char now[256];
	gethostname(now, sizeof(now));
	cr_assert_str_eq(now, real, "the machine's hostname is untouched");
}

Test(core, pid_namespace_has_netlab_init_as_pid1_and_nothing_else)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "cat /proc/1/comm; echo $$; ps -e --no-headers | wc -l"),
		     0, "%s", r.err);
	char comm[32];
	int shell_pid, nproc;
	cr_assert_eq(sscanf(r.out, "%31s %d %d", comm, &shell_pid, &nproc), 3, "%s", r.out);
	cr_assert_str_eq(comm, "netlab-init");
	cr_assert_lt(shell_pid, 10, "the shell's PID inside is small: %d", shell_pid);
	cr_assert_eq(nproc, 4, "init, sh, ps and wc only: %d", nproc);
	cr_assert_eq(nl(&r, "exec", H1, "--", "cat", "/proc/1/cmdline", NULL), 0);
	char title[64];
	snprintf(title, sizeof(title), "netlab-init %s/h1", LAB);
	cr_assert(strstr(r.out, title), "%s", r.out);
}

Test(core, ipc_queue_made_inside_is_invisible_outside_and_in_other_hosts)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ipcmk -Q >/dev/null && ipcs -q | awk '/^0x/ {print $1}'"),
		     0, "%s", r.err);
	char key[32] = "";
	sscanf(r.out, "%31s", key);
	cr_assert(!strncmp(key, "0x", 2), "no queue key in: %s", r.out);
	cr_assert_eq(run(&r, "ipcs", "-q", NULL), 0);
	cr_assert(!strstr(r.out, key), "queue %s leaked to the machine", key);
	cr_assert_eq(nl_sh(&r, LAB, "h2", "ipcs -q | grep -c '^0x' || true"), 0);
	cr_assert_str_eq(r.out, "0\n", "h2 sees h1's queue");
}

Test(core, root_inside_is_an_unprivileged_id_outside)
{
	pid_t pid = host_pid(LAB, "h1");
	char path[64], line[256];
	FILE *f;
	unsigned uid = 0;

	cr_assert_eq(nl(&r, "exec", H1, "--", "id", "-u", NULL), 0);
	cr_assert_str_eq(r.out, "0\n");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &uid) == 1)
			break;
	fclose(f);
	/* a range of its own (issue 19): NS_ID_BASE + k * 65536 */
	cr_assert(uid >= 1000000000u && (uid - 1000000000u) % 65536 == 0, "uid outside is %u", uid);
	/* and so root in a host cannot write the real machine's files (its /etc is its own copy) */
	nl_sh(&r, LAB, "h1", "echo x > /etc/netlab-probe");
	cr_assert_eq(access("/etc/netlab-probe", F_OK), -1);
}

Test(core, mounts_inside_stay_inside_and_tmp_is_private)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1",
			   "mkdir -p /tmp/m && mount -t tmpfs x /tmp/m && grep -c ' /tmp/m ' /proc/mounts; "
			   "echo hi > /tmp/netlab-private-probe; pwd; echo $HOME"), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1\n/tmp\n/tmp\n");
	cr_assert_eq(run(&r, "findmnt", "/tmp/m", NULL), 1, "the mount leaked out");
	cr_assert_eq(access("/tmp/netlab-private-probe", F_OK), -1, "/tmp is not private");
	cr_assert_eq(nl_sh(&r, LAB, "h2", "ls /tmp/netlab-private-probe 2>/dev/null | wc -l"), 0);
	cr_assert_str_eq(r.out, "0\n");
	cr_assert_eq(nl_sh(&r, LAB, "h1", "ls /proc | grep -c '^[0-9]'"), 0);
	cr_assert_lt(atoi(r.out), 6, "a fresh /proc shows the host's processes only: %s", r.out);
}

Test(core, exec_passes_exit_status_through)
{
	cr_assert_eq(nl_sh(&r, LAB, "h1", "exit 7"), 7);
	cr_assert_eq(nl_sh(&r, LAB, "h1", "kill -TERM $$"), 143);
	cr_assert_eq(nl(&r, "exec", H1, "--", "/nonexistent-cmd", NULL), 127);
	cr_assert(strstr(r.err, "cannot run '/nonexistent-cmd'"), "%s", r.err);
	char h9[32];
	snprintf(h9, sizeof(h9), "%s/h9", LAB);
	cr_assert_eq(nl(&r, "exec", h9, "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "no host 'h9'"), "%s", r.err);
	cr_assert_eq(nl(&r, "exec", "--lab", LAB, "h2", "--", "true", NULL), 0, "%s", r.err);
}

Test(core, netns_is_visible_to_ip_netns)
{
	char ns[32];
	snprintf(ns, sizeof(ns), "%s-h2", LAB);
	cr_assert_eq(run(&r, "ip", "netns", "exec", ns, "ip", "-br", "-4", "addr", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, addr_of(2, "/24")), "%s", r.out);
}

Test(core, status_json_is_parseable_and_true)
{
	cr_assert_eq(nl(&r, "status", LAB, "--json", NULL), 0, "%s", r.err);
	struct json_object *root = json_tokener_parse(r.out), *labs, *lab, *hosts, *v;
	cr_assert_not_null(root, "not JSON: %s", r.out);
	cr_assert(json_object_object_get_ex(root, "version", &v) && json_object_get_int(v) == 2);
	cr_assert(json_object_object_get_ex(root, "labs", &labs));
	cr_assert_eq(json_object_array_length(labs), 1);
	lab = json_object_array_get_idx(labs, 0);
	cr_assert(json_object_object_get_ex(lab, "name", &v));
	cr_assert_str_eq(json_object_get_string(v), LAB);
	cr_assert(json_object_object_get_ex(lab, "segments", &v) && json_object_array_length(v) == 1);
	v = json_object_array_get_idx(v, 0);
	cr_assert(json_object_object_get_ex(v, "subnet", &v));
	cr_assert_str_eq(json_object_get_string(v), addr_of(0, "/24"));
	cr_assert(json_object_object_get_ex(lab, "hosts", &hosts));
	cr_assert_eq(json_object_array_length(hosts), 3);
	for (size_t i = 0; i < 3; i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i), *ns, *name, *pid, *alive, *mac,
				   *ifs, *eth0 = NULL;
		cr_assert(json_object_object_get_ex(h, "name", &name));
		cr_assert(json_object_object_get_ex(h, "pid", &pid));
		cr_assert(json_object_object_get_ex(h, "alive", &alive) && json_object_get_boolean(alive));
		cr_assert(json_object_object_get_ex(h, "namespaces", &ns));
		cr_assert_eq(json_object_object_length(ns), 8);
		cr_assert(json_object_object_get_ex(ns, "net", &v));
		cr_assert_eq((unsigned long)json_object_get_int64(v),
			     inode_of(json_object_get_int(pid), "net"));
		cr_assert(json_object_object_get_ex(h, "interfaces", &ifs));
		if (!strcmp(json_object_get_string(name), "e1")) {
			cr_assert_eq(json_object_array_length(ifs), 0, "an empty host has no interface");
			continue;
		}
		cr_assert_eq(json_object_array_length(ifs), 1);
		eth0 = json_object_array_get_idx(ifs, 0);
		cr_assert(json_object_object_get_ex(eth0, "mac", &mac));
		if (!strcmp(json_object_get_string(name), "h1")) {
			cr_assert(json_object_object_get_ex(eth0, "address", &v));
			cr_assert_str_eq(json_object_get_string(v), addr_of(1, "/24"));
			/* the MAC is eth0's as the host itself sees it */
			cr_assert_eq(nl(&r, "exec", H1, "--", "cat", "/sys/class/net/eth0/address",
					NULL), 0);
			r.out[strcspn(r.out, "\n")] = '\0';
			cr_assert_str_eq(json_object_get_string(mac), r.out);
		}
	}
	json_object_put(root);
}

/* --------------------------------------------------------------------------------- lifecycle */

Test(lifecycle, down_leaves_nothing_and_is_idempotent, .timeout = 60)
{
	pid_t pids[3];

	lab_up_or_die("tdown", "10.99.2.0/24", "2", "1");
	pids[0] = host_pid("tdown", "h1");
	pids[1] = host_pid("tdown", "h2");
	pids[2] = host_pid("tdown", "e1");
	cr_assert_eq(nl(&r, "down", "tdown", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "lab \"tdown\" down"), "%s", r.out);
	assert_gone("tdown", pids, 3);
	cr_assert_eq(nl(&r, "down", "tdown", NULL), 0);
	cr_assert(strstr(r.out, "nothing to do"), "%s", r.out);
}

/* 130 hosts: 128 on tbig-br, 2 on tbig-br2, the two bridges joined by the veth pair
 * tbig-br2-dn (a port of tbig-br) / tbig-br2-up (a port of tbig-br2) */
static void down_tbig(void) { lab_down_quiet("tbig"); }

Test(lifecycle, a_segment_of_more_than_128_hosts_spans_joined_bridges, .fini = down_tbig,
     .timeout = 120)
{
	static const char *const joined[] = { "tbig-br2", "tbig-br2-up", "tbig-br2-dn" };

	/* a failure while making the second bridge, or while joining it, undoes everything */
	for (int k = 2; k <= 3; k++) {
		char env[16];

		snprintf(env, sizeof(env), "%d", k);
		setenv("NETLAB_FAIL_AT", env, 1);
		nl(&r, "up", "130", "--name", "tbig", "--subnet", "10.99.40.0/24", "-q", NULL);
		unsetenv("NETLAB_FAIL_AT");
		cr_assert_eq(r.status, 1, "step %d: %s", k, r.err);
		cr_assert(strstr(r.err, k == 2 ? "creating a bridge" : "joining two bridges"), "%s", r.err);
		assert_gone("tbig", NULL, 0);
	}
	lab_up_or_die("tbig", "10.99.40.0/24", "130", "0");
	cr_assert_eq(run(&r, "ip", "-o", "link", "show", "master", "tbig-br", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "tbig-"), 129, "128 hosts and the join:\n%s", r.out);
	cr_assert(strstr(r.out, ": tbig-h128@") && strstr(r.out, ": tbig-br2-dn@"), "%s", r.out);
	cr_assert_eq(run(&r, "ip", "-o", "link", "show", "master", "tbig-br2", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "tbig-"), 3, "h129, h130 and the join:\n%s", r.out);
	cr_assert(strstr(r.out, ": tbig-h129@") && strstr(r.out, ": tbig-br2-up@"), "%s", r.out);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(run(&r, "ip", "-br", "addr", "show", "dev", joined[i], NULL), 0, "%s", r.err);
		cr_assert(strstr(r.out, joined[i]) && !strchr(r.out, '/'), "%s has an address:\n%s",
			  joined[i], r.out);
	}
	/* one layer 2 segment, over IPv4 and IPv6: from the first bridge to the second and back,
	 * and within the second (pingall of 130 hosts needs more ARP entries than the kernel's
	 * default limit for all namespaces, 1024) */
	for (size_t i = 0; i < 3; i++) {
		static const char *const from[] = { "tbig/h1", "tbig/h130", "tbig/h129" };
		static const char *const to[] = { "h130", "h1", "h130" };

		cr_assert_eq(nl(&r, "exec", from[i], "--", "ping", "-c1", "-W2", to[i], NULL), 0,
			     "%s -> %s: %s%s", from[i], to[i], r.out, r.err);
		cr_assert_eq(nl(&r, "exec", from[i], "--", "ping", "-6", "-c1", "-W2", to[i], NULL), 0,
			     "%s -> %s over IPv6: %s%s", from[i], to[i], r.out, r.err);
	}
	cr_assert_eq(nl(&r, "down", "tbig", NULL), 0, "%s", r.err);
	assert_gone("tbig", NULL, 0);
}

Test(lifecycle, a_lab_cannot_be_up_twice_and_subnets_do_not_overlap, .timeout = 60)
{
	lab_up_or_die("tdup", "10.99.3.0/24", "1", "0");
	cr_assert_eq(nl(&r, "up", "1", "--name", "tdup", "--subnet", "10.99.4.0/24", NULL), 1);
	cr_assert(strstr(r.err, "lab 'tdup' is already up"), "%s", r.err);
	cr_assert(strstr(r.err, "netlab down tdup')\n") && !strstr(r.err, "File exists"),
		  "the message ends with its own words: %s", r.err);
	cr_assert_eq(nl(&r, "up", "1", "--name", "tdup2", "--subnet", "10.99.3.128/25", NULL), 1);
	cr_assert(strstr(r.err, "overlaps 10.99.3.0/24 of another lab: choose another --subnet\n"),
		  "%s", r.err);
	cr_assert_eq(nl(&r, "exec", "tdup/h1", "--", "true", NULL), 0, "the first lab still works");
	lab_down_quiet("tdup");
	assert_gone("tdup", NULL, 0);
	assert_gone("tdup2", NULL, 0);
}

Test(lifecycle, a_subnet_overlapping_a_route_of_the_machine_is_refused, .timeout = 60)
{
	/* our own test interface and private address give the machine a route to collide with */
	cr_assert_eq(run(&r, "ip", "link", "add", "troute0", "type", "veth", "peer", "name", "troute1",
			 NULL), 0, "%s", r.err);
	run(&r, "ip", "link", "set", "troute0", "up", NULL);
	run(&r, "ip", "addr", "add", "10.99.5.1/24", "dev", "troute0", NULL);
	nl(&r, "up", "1", "--name", "troute", "--subnet", "10.99.5.0/24", NULL);
	int status = r.status;
	static char err[sizeof(r.err)];
	snprintf(err, sizeof(err), "%s", r.err);
	run(&r, "ip", "link", "del", "troute0", NULL);
	cr_assert_eq(status, 1, "%s", err);
	cr_assert(strstr(err, "overlaps the route 10.99.5.0/24 dev troute0 on this machine: choose "
			 "another --subnet\n"), "%s", err);
	assert_gone("troute", NULL, 0);
}

Test(lifecycle, default_subnet_avoids_other_labs, .timeout = 60)
{
	char first[64];

	cr_assert_eq(nl(&r, "up", "1", "--name", "tsub1", "--empty", "0", NULL), 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "(10.77."), "%s", r.out);
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(strstr(r.out, "(10.77."), ")") + 1,
		 strstr(r.out, "(10.77."));
	cr_assert_eq(nl(&r, "up", "1", "--name", "tsub2", "--empty", "0", NULL), 0, "%s", r.err);
	cr_assert(!strstr(r.out, first), "took the busy subnet %s: %s", first, r.out);
	cr_assert(strstr(r.out, "(10.77."), "%s", r.out);
	lab_down_quiet("tsub2");
	lab_down_quiet("tsub1");
	assert_gone("tsub1", NULL, 0);
	assert_gone("tsub2", NULL, 0);
}

Test(lifecycle, a_dead_host_shows_dead_and_down_still_cleans_up, .timeout = 60)
{
	pid_t pids[2];

	lab_up_or_die("tdead", "10.99.6.0/24", "2", "0");
	pids[0] = host_pid("tdead", "h1");
	pids[1] = host_pid("tdead", "h2");
	cr_assert_eq(kill(pids[1], SIGKILL), 0);
	for (int i = 0; i < 100 && kill(pids[1], 0) == 0; i++) {
		char p[64];
		struct stat st;
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)pids[1]);
		FILE *f = fopen(p, "r");
		char buf[256] = "";
		if (f) {
			(void)!fgets(buf, sizeof(buf), f);
			fclose(f);
		}
		if (!f || strstr(buf, ") Z "))
			break;
		(void)st;
		usleep(20000);
	}
	cr_assert_eq(nl(&r, "status", "tdead", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, "DEAD"), 1, "%s", r.out);
	cr_assert_eq(nl(&r, "exec", "tdead/h2", "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "not running any more"), "%s", r.err);
	cr_assert_eq(nl(&r, "down", "tdead", NULL), 0, "%s", r.err);
	assert_gone("tdead", pids, 2);
}

Test(lifecycle, a_reused_pid_is_never_joined_or_signalled, .timeout = 60)
{
	char path[] = "/run/netlab/treuse/state", buf[4096], *p;
	pid_t pid;
	FILE *f;
	size_t n;

	lab_up_or_die("treuse", "10.99.7.0/24", "1", "0");
	pid = host_pid("treuse", "h1");
	/* make the record claim another start time: as if PID `pid` now were some other process */
	f = fopen(path, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "host h1 ");
	cr_assert_not_null(p);
	p = strchr(p + strlen("host h1 "), ' ');	/* "host h1 PID START ...": the start time */
	cr_assert_not_null(p);
	p[1] = p[1] == '9' ? '8' : p[1] + 1;
	f = fopen(path, "w");
	fputs(buf, f);
	fclose(f);

	cr_assert_eq(nl(&r, "exec", "treuse/h1", "--", "true", NULL), 1);
	cr_assert(strstr(r.err, "not running any more"), "%s", r.err);
	cr_assert_eq(nl(&r, "down", "treuse", NULL), 0, "%s", r.err);
	cr_assert_eq(kill(pid, 0), 0, "down signalled a process that is not (any more) its host");
	kill(pid, SIGKILL);	/* ours: the test made it look foreign */
	usleep(100000);
	assert_gone("treuse", &pid, 1);
}

/* ----------------------------------------------------- what other tools do to /run/netns, clashes */

/* These run in a mount namespace of the test's own whose mounts are private: `ip netns add`, a tmpfs
 * over /run/netns, a mount stacked on a host's entry change only the test's mount table, never the
 * machine's or the other tests' (the test process and the netlab it runs share it). The lab, the
 * files under /run/netns and the commands are real. */
static void own_mount_ns(void)
{
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
}

static bool is_mount_point(const char *path)
{
	char line[1024], needle[256];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	snprintf(needle, sizeof(needle), " %s ", path);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = line;
		for (int i = 0; i < 4 && p; i++)	/* the fifth field is the mount point */
			if ((p = strchr(p, ' ')))
				p++;
		found = p && !strncmp(p - 1, needle, strlen(needle));
	}
	if (f)
		fclose(f);
	return found;
}

/* `ip netns add` (and `del`) while the lab is up: /run/netns becomes a shared recursive bind mount of
 * itself, which covers the lab's mounts with copies */
static void cover_with_ip_netns(void)
{
	char other[32];

	snprintf(other, sizeof(other), "tnsother%d", (int)getpid());
	if (is_mount_point("/run/netns"))	/* already one: cover it the way ip netns would */
		cr_assert_eq(run(&r, "mount", "--rbind", "/run/netns", "/run/netns", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "netns", "add", other, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "netns", "del", other, NULL), 0, "%s", r.err);
	cr_assert(is_mount_point("/run/netns"), "ip netns add made /run/netns a mount point");
}

static char NSLAB[16];
static void down_nslab(void) { if (*NSLAB) lab_down_quiet(NSLAB); }

Test(lifecycle, down_finishes_after_ip_netns_add_covered_the_lab_mounts, .fini = down_nslab,
     .timeout = 60)
{
	pid_t pids[2];

	own_mount_ns();
	lab_up_unique(NSLAB, "tna", "2", "0");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "h2");
	cover_with_ip_netns();
	cr_assert_eq(nl(&r, "down", NSLAB, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, " down, "), "%s", r.out);
	assert_gone(NSLAB, pids, 2);
	cr_assert_eq(nl(&r, "status", NSLAB, NULL), 1, "the lab is gone: %s", r.out);
}

Test(lifecycle, clean_finishes_after_ip_netns_add_covered_a_dead_labs_mounts, .fini = down_nslab,
     .timeout = 60)
{
	pid_t pids[2];
	char want[64];

	own_mount_ns();
	lab_up_unique(NSLAB, "tnc", "2", "0");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "h2");
	cover_with_ip_netns();
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	for (int i = 0; i < 200 && (kill(pids[0], 0) == 0 || kill(pids[1], 0) == 0); i++)
		usleep(10000);	/* zombies count as gone for clean (it checks start times) */
	cr_assert_eq(nl(&r, "clean", NULL), 0, "%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "removed /run/netlab/%s\n", NSLAB);
	cr_assert(strstr(r.out, want), "%s", r.out);
	assert_gone(NSLAB, pids, 2);
}

Test(lifecycle, down_finishes_under_a_tmpfs_over_run_netns_and_stacked_mounts, .fini = down_nslab,
     .timeout = 60)
{
	char path[64];
	pid_t pids[2];
	int st;

	own_mount_ns();
	lab_up_unique(NSLAB, "tnt", "1", "1");
	pids[0] = host_pid(NSLAB, "h1");
	pids[1] = host_pid(NSLAB, "e1");
	snprintf(path, sizeof(path), "/run/netns/%s-h1", NSLAB);
	cr_assert_eq(run(&r, "mount", "--bind", "/etc/hostname", path, NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "mount", "-t", "tmpfs", "tnt", "/run/netns", NULL), 0, "%s", r.err);
	nl(&r, "down", NSLAB, NULL);
	st = r.status;
	umount2("/run/netns", MNT_DETACH);	/* the test's tmpfs: what is under it shows again */
	cr_assert_eq(st, 0, "%s", r.err);
	assert_gone(NSLAB, pids, 2);
}

static char CLASH[16];
static void down_clash(void) { if (*CLASH) lab_down_quiet(CLASH); }

Test(lifecycle, up_refuses_where_the_lab_names_are_taken_and_removes_nothing, .fini = down_clash,
     .timeout = 60)
{
	char ns[32], iface[32], peer[32], table[32], path[64];

	snprintf(CLASH, sizeof(CLASH), "tk%d", (int)(getpid() % 100000));
	own_mount_ns();	/* ip netns add makes /run/netns a mount point: in here only */
	snprintf(ns, sizeof(ns), "%s-h1", CLASH);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	cr_assert_eq(run(&r, "ip", "netns", "add", ns, NULL), 0, "%s", r.err);
	nl(&r, "up", "1", "--name", CLASH, NULL);
	int st = r.status;
	static char err[sizeof(r.err)];
	snprintf(err, sizeof(err), "%s", r.err);
	int kept = run(&r, "ip", "netns", "exec", ns, "true", NULL);
	run(&r, "ip", "netns", "del", ns, NULL);
	cr_assert_eq(st, 1, "%s", err);
	cr_assert(strstr(err, "cannot start: /run/netns/") && strstr(err, "exists and is not netlab's"),
		  "%s", err);
	cr_assert_eq(count_lines(err, "netlab: "), 1, "%s", err);
	cr_assert_eq(kept, 0, "up removed the network namespace %s it did not make", ns);
	assert_gone(CLASH, NULL, 0);

	/* an interface named like the lab's, and the lab's nftables table made by hand */
	snprintf(iface, sizeof(iface), "%s-x", CLASH);
	snprintf(peer, sizeof(peer), "%sp", CLASH);
	cr_assert_eq(run(&r, "ip", "link", "add", iface, "type", "veth", "peer", "name", peer, NULL), 0,
		     "%s", r.err);
	nl(&r, "up", "1", "--name", CLASH, NULL);
	st = r.status;
	snprintf(err, sizeof(err), "%s", r.err);
	kept = run(&r, "ip", "link", "show", iface, NULL);
	run(&r, "ip", "link", "del", iface, NULL);
	cr_assert_eq(st, 1, "%s", err);
	cr_assert(strstr(err, "exists and is not netlab's"), "%s", err);
	cr_assert_eq(kept, 0, "up removed the interface %s it did not make", iface);
	assert_gone(CLASH, NULL, 0);

	snprintf(table, sizeof(table), "netlab-%s", CLASH);
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", table, NULL), 0, "%s", r.err);
	nl(&r, "up", "1", "--name", CLASH, NULL);
	st = r.status;
	snprintf(err, sizeof(err), "%s", r.err);
	kept = run(&r, "nft", "list", "table", "bridge", table, NULL);
	run(&r, "nft", "delete", "table", "bridge", table, NULL);
	cr_assert_eq(st, 1, "%s", err);
	cr_assert(strstr(err, "the nftables table bridge netlab-"), "%s", err);
	cr_assert_eq(kept, 0, "up removed the table %s it did not make", table);
	assert_gone(CLASH, NULL, 0);

	/* nothing in the way: it comes up */
	lab_up_or_die(CLASH, "10.99.42.0/24", "1", "0");
	lab_down_quiet(CLASH);
	assert_gone(CLASH, NULL, 0);
}

static char DN1[16], DN2[16];
static void down_dn(void)
{
	if (*DN1)
		lab_down_quiet(DN1);
	if (*DN2)
		lab_down_quiet(DN2);
}

Test(lifecycle, down_without_a_name_takes_the_only_lab_and_refuses_among_several, .fini = down_dn,
     .timeout = 60)
{
	char want[128], dir[64];

	/* on the machine: other tests' labs may be up too, so either answer, but never "lab" */
	lab_up_unique(DN1, "tdn", "1", "0");
	nl(&r, "down", NULL);
	if (r.status == 0) {
		snprintf(want, sizeof(want), "lab \"%s\" down", DN1);
		cr_assert(strstr(r.out, want), "%s", r.out);
	} else {
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert(strstr(r.err, "several labs are up: name one (") && strstr(r.err, DN1), "%s",
			  r.err);
		snprintf(want, sizeof(want), "%s/h1", DN1);
		cr_assert_eq(nl(&r, "exec", want, "--", "true", NULL), 0, "refused, and the lab is still up");
		lab_down_quiet(DN1);
	}
	assert_gone(DN1, NULL, 0);

	/* the exact cases, in a /run of the test's own (a tmpfs in its mount namespace, so that no
	 * other test's lab shows): two labs recorded, then one, then none */
	own_mount_ns();
	cr_assert_eq(run(&r, "mount", "-t", "tmpfs", "-o", "mode=0755", "tdn", "/run", NULL), 0, "%s",
		     r.err);
	cr_assert_eq(mkdir("/run/netlab", 0700), 0);
	snprintf(DN2, sizeof(DN2), "tdo%d", (int)(getpid() % 100000));
	snprintf(dir, sizeof(dir), "/run/netlab/%s", DN2);
	cr_assert_eq(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "/run/netlab/tdp%d", (int)(getpid() % 100000));
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(nl(&r, "down", NULL), 1, "%s", r.out);
	snprintf(want, sizeof(want), "several labs are up: name one (%s, %s)", DN2, dir + 12);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(nl(&r, "down", NULL), 0, "%s", r.err);
	snprintf(want, sizeof(want), "lab \"%s\" down", DN2);
	cr_assert(strstr(r.out, want), "%s", r.out);
	cr_assert_eq(nl(&r, "down", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "no lab is up: nothing to do"), "%s", r.out);
	umount2("/run", MNT_DETACH);
	*DN2 = '\0';
}

/* The Next: line's commands, run as printed. */
static void run_hint(const char *out, const char *what)
{
	char line[512], *argv[16], *save = NULL;
	const char *next = strstr(out, "Next: ");
	int n = 0;

	cr_assert_not_null(next, "%s", out);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(next + 6, "|\n"), next + 6);
	for (char *w = strtok_r(line, " ", &save); w && n < 15; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	cr_assert_gt(n, 2, "%s", out);
	argv[1] = "exec";	/* "shell HOST" -> "exec HOST -- true" */
	argv[3] = "--";
	argv[4] = "true";
	argv[5] = NULL;
	cr_assert_eq(run_argv(&r, argv), 0, "%s: '%s exec %s -- true' from the hint failed: %s", what,
		     argv[0], argv[2], r.err);
}

static char HINT1[16], HINT2[16];
static void down_hint(void)
{
	if (*HINT1)
		lab_down_quiet(HINT1);
	if (*HINT2)
		lab_down_quiet(HINT2);
}

Test(cli, the_next_hint_after_up_works_as_printed, .fini = down_hint, .timeout = 60)
{
	const char *bin = netlab_bin();
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL, want[256], dir[256];

	lab_up_unique(HINT1, "thn", "1", "0");
	snprintf(HINT2, sizeof(HINT2), "tho%d", (int)(getpid() % 100000));
	/* not on PATH: netlab as it was invoked, and LAB/HOST since another lab is up */
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	nl(&r, "up", "1", "--name", HINT2, "--empty", "0", NULL);
	setenv("PATH", path ? path : "/usr/bin:/bin", 1);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want), "Next: %s shell %s/h1 | %s exec %s/h1 -- ip addr | %s status | %s "
		 "down %s\n", bin, HINT2, bin, HINT2, bin, bin, HINT2);
	if (strchr(bin, '/') && access("/usr/local/bin/netlab", X_OK) != 0 &&
	    access("/usr/bin/netlab", X_OK) != 0)
		cr_assert(strstr(r.out, want), "want %s in:\n%s", want, r.out);
	run_hint(r.out, "not on PATH");
	lab_down_quiet(HINT2);

	/* on PATH: plain netlab */
	snprintf(dir, sizeof(dir), "%s", bin);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	char *dirpath = NULL;
	cr_assert(asprintf(&dirpath, "%s:%s", dir, path ? path : "/usr/bin:/bin") > 0);
	setenv("PATH", dirpath, 1);
	nl(&r, "up", "1", "--name", HINT2, "--empty", "0", NULL);
	snprintf(want, sizeof(want), "Next: netlab shell %s/h1 | netlab exec %s/h1 -- ip addr | netlab "
		 "status | netlab down %s\n", HINT2, HINT2, HINT2);
	bool found = strstr(r.out, want) != NULL;
	static char out[sizeof(r.out)];
	snprintf(out, sizeof(out), "%s", r.out);
	if (r.status == 0)
		run_hint(out, "on PATH");	/* with netlab on PATH */
	setenv("PATH", path ? path : "/usr/bin:/bin", 1);
	free(dirpath);
	free(path);
	cr_assert(found, "want %s in:\n%s", want, out);
	lab_down_quiet(HINT2);
	lab_down_quiet(HINT1);
	assert_gone(HINT1, NULL, 0);
	assert_gone(HINT2, NULL, 0);
}

/* ---------------------------------------------------------------------------- failures, rollback */

Test(failure, every_failed_step_rolls_back_completely, .timeout = 120)
{
	int failed = 0, succeeded = 0;

	for (int k = 1; k <= 16; k++) {
		char env[32];
		snprintf(env, sizeof(env), "%d", k);
		setenv("NETLAB_FAIL_AT", env, 1);
		nl(&r, "up", "2", "--name", "tfail", "--subnet", "10.99.8.0/24", "--empty", "1", NULL);
		unsetenv("NETLAB_FAIL_AT");
		if (r.status == 0) {
			succeeded++;
			lab_down_quiet("tfail");
		} else {
			failed++;
			cr_assert_eq(r.status, 1, "step %d: exit %d: %s", k, r.status, r.err);
			cr_assert(strstr(r.err, "injected failure at step"), "step %d: %s", k, r.err);
		}
		char what[256];
		cr_assert(!lab_leftovers("tfail", NULL, 0, what, sizeof(what)), "step %d left %s (%s)", k,
			  what, r.err);
	}
	cr_assert_eq(failed, 13, "up 2 + 1 empty has 13 steps (bridge, the wall, 3 spawns, 2 veths, "
				 "2 MLD filters, 3 mounts, record); %d failed", failed);
	cr_assert_eq(succeeded, 3);
}

static pid_t start_stopped_up(const char *lab, const char *subnet, int step)
{
	char env[16];
	pid_t pid;
	int status;

	snprintf(env, sizeof(env), "%d", step);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("NETLAB_STOP_AT", env, 1);
		execl(netlab_bin(), "netlab", "up", "2", "--name", lab, "--subnet", subnet, NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(status), "netlab up did not stop at step %d (status %x)", step, status);
	return pid;
}

/* The clash check passed, then another tool made the first host's netns entry while `up` was
 * building (stopped at its first step, here): `up` fails on it, and its rollback leaves it. */
static char RBLAB[16];
static void down_rblab(void) { if (*RBLAB) lab_down_quiet(RBLAB); }

Test(failure, rollback_leaves_a_netns_entry_made_by_another_tool_meanwhile, .fini = down_rblab,
     .timeout = 60)
{
	char ns[32];
	pid_t pid;
	int status;

	snprintf(RBLAB, sizeof(RBLAB), "trb%d", (int)(getpid() % 100000));
	snprintf(ns, sizeof(ns), "%s-h1", RBLAB);
	own_mount_ns();	/* ip netns add makes /run/netns a mount point: in here only */
	pid = start_stopped_up(RBLAB, "10.99.43.0/24", 1);
	int made = run(&r, "ip", "netns", "add", ns, NULL);
	kill(pid, SIGCONT);
	waitpid(pid, &status, 0);
	int kept = run(&r, "ip", "netns", "exec", ns, "true", NULL);
	run(&r, "ip", "netns", "del", ns, NULL);
	cr_assert_eq(made, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "up: status %x", status);
	cr_assert_eq(kept, 0, "the rollback removed %s, which it did not make", ns);
	assert_gone(RBLAB, NULL, 0);
}

Test(failure, sigkill_at_any_step_then_clean_restores_the_machine, .timeout = 120)
{
	for (int k = 1; k <= 9; k++) {
		pid_t pid = start_stopped_up("tkill", "10.99.9.0/24", k);
		int status;

		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		usleep(20000);	/* hosts die by their parent-death signal */
		cr_assert_eq(nl(&r, "clean", NULL), 0, "step %d: %s", k, r.err);
		assert_gone("tkill", NULL, 0);
	}
}

Test(failure, sigterm_and_sigint_roll_back_and_exit_128_plus_signal, .timeout = 120)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	for (int k = 1; k <= 9; k++) {
		int sig = sigs[k % 3], status;
		pid_t pid = start_stopped_up("tterm", "10.99.10.0/24", k);

		kill(pid, sig);
		kill(pid, SIGCONT);
		waitpid(pid, &status, 0);
		cr_assert(WIFEXITED(status), "step %d: killed instead of rolling back", k);
		cr_assert_eq(WEXITSTATUS(status), 128 + sig, "step %d: exit %d", k, WEXITSTATUS(status));
		assert_gone("tterm", NULL, 0);
	}
}

Test(failure, clean_removes_a_crashed_lab_but_not_lookalikes_or_live_labs, .timeout = 60)
{
	pid_t pids[2];

	lab_up_or_die("tcln", "10.99.11.0/24", "2", "0");
	lab_up_or_die("tlive", "10.99.12.0/24", "1", "0");
	pids[0] = host_pid("tcln", "h1");
	pids[1] = host_pid("tcln", "h2");
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	usleep(100000);
	/* a look-alike that netlab did not make: same naming pattern, no marker */
	cr_assert_eq(run(&r, "ip", "link", "add", "tcln-h9", "type", "veth", "peer", "name", "tcln-h9p",
			 NULL), 0, "%s", r.err);
	/* the MLD table of a lab whose state is gone, and a table netlab did not make */
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", "netlab-tgone", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", "tclnkeep", NULL), 0, "%s", r.err);
	nl(&r, "clean", NULL);
	int status = r.status;
	static char out[sizeof(r.out)];
	snprintf(out, sizeof(out), "%s", r.out);
	int kept = run(&r, "ip", "link", "show", "tcln-h9", NULL);
	run(&r, "ip", "link", "del", "tcln-h9", NULL);
	int gone = run(&r, "nft", "list", "table", "bridge", "netlab-tgone", NULL);
	int kept_table = run(&r, "nft", "list", "table", "bridge", "tclnkeep", NULL);
	run(&r, "nft", "delete", "table", "bridge", "tclnkeep", NULL);
	cr_assert_eq(status, 0, "%s", out);
	cr_assert_neq(gone, 0, "clean left the table of a lab that is gone:\n%s", out);
	cr_assert(strstr(out, "deleted the nftables table bridge netlab-tgone"), "%s", out);
	cr_assert_eq(kept_table, 0, "clean removed a table netlab did not make");
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", "netlab-tlive", NULL), 0,
		     "clean removed a live lab's table");
	/* (its veths may have gone with the hosts' network namespaces already) */
	cr_assert(strstr(out, "deleted interface tcln-br\n"), "the bridge of the crashed lab: %s", out);
	cr_assert_eq(kept, 0, "clean removed an interface netlab did not make");
	assert_gone("tcln", pids, 2);
	cr_assert_eq(nl(&r, "exec", "tlive/h1", "--", "true", NULL), 0, "clean broke a live lab");
	lab_down_quiet("tlive");
	assert_gone("tlive", NULL, 0);
}

/* --------------------------------------------------------------------------------- bad input */

Test(cli, usage_errors_exit_2_and_change_nothing)
{
	static const char *const cases[][8] = {
		{ "frobnicate", NULL },
		{ "up", "--bogus", NULL },
		{ "up", "0", "--name", "tbad", NULL },
		{ "up", "-1", "--name", "tbad", NULL },
		{ "up", "abc", "--name", "tbad", NULL },
		{ "up", "99999", "--name", "tbad", NULL },
		{ "up", "2", "3", "--name", "tbad", NULL },
		{ "up", "--name", NULL },
		{ "up", "--name", "tbad", "--subnet", "10.0.0.0/33", NULL },
		{ "up", "--name", "tbad", "--subnet", "10.99.13.7/24", NULL },
		{ "up", "--name", "tbad", "--subnet", "8.8.8.0/24", NULL },
		{ "up", "--name", "tbad", "--subnet", "banana", NULL },
		{ "up", "300", "--name", "tbad", "--subnet", "10.99.13.0/24", NULL },
		{ "up", "--name", "tbadtoolong", NULL },
		{ "up", "--name", "t/bad", NULL },
		{ "up", "--name", "..", NULL },
		{ "up", "--name", "t bad", NULL },
		{ "up", "--name", "t;rm", NULL },
		{ "up", "--empty", "1000", "--name", "tbad", NULL },
		{ "down", "a/b", NULL },
		{ "down", "--all", "lab", NULL },
		{ "exec", NULL },
		{ "exec", "h1", NULL },
		{ "exec", "h1", "--", NULL },
		{ "exec", "../h1", "--", "true", NULL },
		{ "shell", NULL },
		{ "status", "x-y", NULL },
		{ "clean", "extra", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[10] = { (char *)netlab_bin() };
		for (int j = 0; cases[i][j]; j++)
			argv[j + 1] = (char *)cases[i][j];
		run_argv(&r, argv);
		cr_expect_eq(r.status, 2, "case %zu (%s %s): exit %d", i, cases[i][0],
			     cases[i][1] ? cases[i][1] : "", r.status);
		cr_expect(strstr(r.err, "netlab: ") && strstr(r.err, "--help"), "case %zu: %s", i, r.err);
		cr_expect_eq(count_lines(r.err, "netlab: "), 1, "case %zu: one line: %s", i, r.err);
	}
	/* the README's wording */
	cr_assert_eq(nl(&r, "up", "--name", "tbad", "--subnet", "10.0.0.0/33", NULL), 2);
	cr_assert(strstr(r.err, "prefix length must be between /8 and /30"), "%s", r.err);
	assert_gone("tbad", NULL, 0);
}

Test(cli, help_and_version_exit_0)
{
	static const char *const cmds[] = { "up", "down", "status", "exec", "shell", "clean", "compare",
					    "verify", "pingall", "doctor", "link", "console" };

	cr_assert_eq(nl(&r, "--help", NULL), 0);
	cr_assert(strstr(r.out, "Usage: netlab"), "%s", r.out);
	cr_assert_eq(nl(&r, "--version", NULL), 0);
	cr_assert(!strncmp(r.out, "netlab ", 7));
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		cr_assert_eq(nl(&r, cmds[i], "--help", NULL), 0, "%s --help", cmds[i]);
		cr_assert(strstr(r.out, "Usage: netlab "), "%s", r.out);
	}
}

Test(cli, refuses_without_root_and_says_why)
{
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 (char *)netlab_bin(), "up", "--name", "tnoroot", NULL };

	run_argv(&r, argv);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "needs root"), "%s", r.err);
	cr_assert(strstr(r.err, "run it with sudo\n") && !strstr(r.err, "not permitted"),
		  "the message ends with its own words: %s", r.err);
	assert_gone("tnoroot", NULL, 0);
}

Test(cli, refuses_when_user_namespaces_are_disabled_and_names_the_fix)
{
	char script[512];

	/* a private mount namespace shows netlab a max_user_namespaces of 0; the machine is unchanged */
	snprintf(script, sizeof(script),
		 "echo 0 > /tmp/tuserns.$$ && mount --bind /tmp/tuserns.$$ "
		 "/proc/sys/user/max_user_namespaces && rm /tmp/tuserns.$$ && exec %s up --name tuserns",
		 netlab_bin());
	run(&r, "unshare", "-m", "sh", "-c", script, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "user.max_user_namespaces"), "%s", r.err);
	assert_gone("tuserns", NULL, 0);
}

/* -------------------------------------------------------------------------------------- doctor */

Test(doctor, its_kernel_probes_agree_with_tc_and_it_exits_0_when_up_can_work, .timeout = 60)
{
	int netem = run(&r, "unshare", "-n", "sh", "-c",
			"ip link add a type veth peer name b && tc qdisc add dev a root netem delay 10ms",
			NULL) == 0;

	cr_assert_eq(nl(&r, "doctor", NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(count_lines(r.out, "FAIL"), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "ok    veth"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "ok    bridge"), 1, "%s", r.out);
	cr_assert_eq(count_lines(r.out, netem ? "ok    netem" : "warn  netem"), 1,
		     "tc says netem %s:\n%s", netem ? "works" : "is missing", r.out);
	cr_assert(strstr(r.out, "doctor: "), "%s", r.out);
}

Test(doctor, without_root_it_fails_and_says_why)
{
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 (char *)netlab_bin(), "doctor", NULL };

	run_argv(&r, argv);
	cr_assert_eq(r.status, 1, "%s", r.out);
	cr_assert(strstr(r.out, "FAIL  root"), "%s", r.out);
}

Test(doctor, a_crashed_lab_is_reported_with_the_fix, .timeout = 60)
{
	pid_t pids[2];
	char want[96];

	lab_up_or_die("tdoc", "10.99.30.0/24", "2", "0");
	pids[0] = host_pid("tdoc", "h1");
	pids[1] = host_pid("tdoc", "h2");
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGKILL);
	usleep(100000);
	nl(&r, "doctor", NULL);
	lab_down_quiet("tdoc");
	snprintf(want, sizeof(want), "lab tdoc has no running host (a crash?): run netlab clean");
	cr_assert(strstr(r.out, want), "%s", r.out);
	assert_gone("tdoc", pids, 2);
}

/* --------------------------------------------------------------------------------------- shell */

Test(shell, an_interactive_shell_on_a_terminal_has_the_host_in_its_prompt, .timeout = 60)
{
	char lab[16], cmd[128];

	lab_up_unique(lab, "tsh", "1", "0");
	/* script(1) gives the shell a real terminal; the commands come in on it */
	snprintf(cmd, sizeof(cmd), "printf 'echo MARK$((40+2)); hostname; exit\\n' | "
		 "script -qfec '%s shell %s/h1' /dev/null", netlab_bin(), lab);
	run(&r, "sh", "-c", cmd, NULL);
	lab_down_quiet(lab);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "root@h1:"), "no root@h1 prompt in:\n%s", r.out);
	cr_assert(strstr(r.out, "MARK42"), "%s", r.out);
	cr_assert(strstr(r.out, "\nh1\r\n") || strstr(r.out, "\nh1\n"), "hostname inside: %s", r.out);
}

/* ------------------------------------------------------------------------------------- console */

Test(console, one_tmux_window_per_host_each_inside_its_host, .timeout = 60)
{
	char lab[16], session[32], win[48];
	static struct run t;

	lab_up_unique(lab, "tcn", "2", "1");
	snprintf(session, sizeof(session), "netlab-%s", lab);
	cr_assert_eq(nl(&r, "console", lab, "-d", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, session), "%s", r.out);
	run(&t, "tmux", "list-windows", "-t", session, "-F", "#W", NULL);
	int windows_ok = !strcmp(t.out, "h1\nh2\ne1\n");
	char windows[256];
	snprintf(windows, sizeof(windows), "%.255s", t.out);
	usleep(800000);	/* the shells start */
	snprintf(win, sizeof(win), "%s:h2", session);
	run(&t, "tmux", "send-keys", "-t", win, "hostname; echo MARK$((6*7))", "Enter", NULL);
	usleep(500000);
	run(&t, "tmux", "capture-pane", "-p", "-t", win, NULL);
	char pane[4096];
	snprintf(pane, sizeof(pane), "%.4095s", t.out);
	run(&t, "tmux", "kill-session", "-t", session, NULL);
	cr_assert(windows_ok, "windows: %s", windows);
	cr_assert(strstr(pane, "\nh2\n") && strstr(pane, "MARK42") && strstr(pane, "root@h2"), "%s", pane);
	/* closing the console leaves the lab up */
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	lab_down_quiet(lab);
}
