/* `netlab up`: what it builds (addresses, names, IPv6, no address of the machine on the lab's
 * links, MLD kept off the other ports, the bridges of a big segment), the subnets it picks and
 * refuses, what it refuses to build over, its Next: hint, --ns, and refusing without root or user
 * namespaces. Real labs on the real kernel, as root; each test its own lab name and subnet. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

/* The lab of the tests with .init = up_tcore: each test runs in its own process, in parallel, with
 * its own lab (h1, h2, e1), named after its PID, on the subnet netlab allocates (atomically) by
 * default. */
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

TestSuite(up, .timeout = 60);

Test(up, networked_host_has_exactly_lo_and_eth0_with_its_address,
     .init = up_tcore, .fini = down_tcore)
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

Test(up, empty_host_has_only_lo_and_it_is_down, .init = up_tcore, .fini = down_tcore)
{
	cr_assert_eq(nl(&r, "exec", E1, "--", "ip", "-br", "link", NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, ""), 1, "%s", r.out);
	cr_assert(!strncmp(r.out, "lo ", 3) && strstr(r.out, "DOWN"), "%s", r.out);
	cr_assert_eq(nl(&r, "exec", E1, "--", "ip", "-br", "addr", NULL), 0);
	cr_assert(!strstr(r.out, "127.0.0.1"), "lo has no address while down:\n%s", r.out);
}

Test(up, hosts_reach_each_other_by_address_and_name_and_the_empty_host_reaches_nobody,
     .init = up_tcore, .fini = down_tcore)
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

Test(up, hosts_have_a_unique_local_ipv6_address_a_link_local_one_and_reach_each_other,
     .init = up_tcore, .fini = down_tcore)
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

Test(up, the_machine_has_no_address_on_the_lab_links, .init = up_tcore, .fini = down_tcore)
{
	/* the bridge and the machine's veth ends carry frames only: no IPv4, and no link-local
	 * address the hosts could reach the machine by (a bridge created up would get one) */
	char br[16], veth[16];

	cr_assert(state_bridge(LAB, NULL, br) && state_veth(LAB, "h1", 0, veth));
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
	char veth[16];
	unsigned long sent, seen;
	int tries = 0;

	cr_assert(state_veth(lab, "h1", 0, veth), "%s", lab);
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

Test(up, mld_reports_of_one_host_do_not_reach_the_others, .init = up_tcore, .fini = down_tcore)
{
	char table[32];

	/* one nftables rule for the lab does it (nftables is among the dependencies) */
	snprintf(table, sizeof(table), "netlab-%s", LAB);
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", table, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "33:33:00:00:00:16 drop"), "%s", r.out);
	assert_mld_stays(LAB, H1, H2);
}

static void down_tmld(void) { lab_down_quiet("tmld"); }

Test(up, without_nftables_a_tc_filter_on_each_port_keeps_mld_reports_off,
     .fini = down_tmld)
{
	setenv("NETLAB_MLD_FILTER", "tc", 1);
	lab_up_or_die("tmld", "10.99.41.0/24", "2", "0");
	unsetenv("NETLAB_MLD_FILTER");
	/* the lab's table still walls it off from the machine (test_netiso.c), without an mld chain */
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", "netlab-tmld", NULL), 0, "%s", r.err);
	cr_assert(!strstr(r.out, "33:33:00:00:00:16"), "an nftables MLD rule after all:\n%s", r.out);
	char veth[16];

	cr_assert(state_veth("tmld", "h1", 0, veth));
	cr_assert_eq(run(&r, "tc", "qdisc", "show", "dev", veth, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "clsact"), "no clsact qdisc on %s (h1's):\n%s", veth, r.out);
	assert_mld_stays("tmld", "tmld/h1", "tmld/h2");
	cr_assert_eq(nl(&r, "down", "tmld", NULL), 0, "%s", r.err);
	assert_lab_gone("tmld", NULL, 0);
}

Test(up, netns_is_visible_to_ip_netns, .init = up_tcore, .fini = down_tcore)
{
	char ns[32];
	snprintf(ns, sizeof(ns), "%s-h2", LAB);
	cr_assert_eq(run(&r, "ip", "netns", "exec", ns, "ip", "-br", "-4", "addr", NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, addr_of(2, "/24")), "%s", r.out);
}

Test(up, status_json_is_parseable_and_true, .init = up_tcore, .fini = down_tcore)
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

/* 130 hosts: 128 on nlN-b1, 2 on nlN-b1-2, the two bridges joined by the veth pair nlN-b1-2dn (a
 * port of nlN-b1) / nlN-b1-2up (a port of nlN-b1-2) */
static void down_tbig(void) { lab_down_quiet("tbig"); }

Test(up, a_segment_of_more_than_128_hosts_spans_joined_bridges, .fini = down_tbig,
     .timeout = 120)
{
	static const char *const suffix[] = { "-2", "-2up", "-2dn" };
	char br[16], joined[3][24], prefix[16], want[2][32];

	/* a failure while making the second bridge, or while joining it, undoes everything */
	for (int k = 2; k <= 3; k++) {
		char env[16];

		snprintf(env, sizeof(env), "%d", k);
		setenv("NETLAB_FAIL_AT", env, 1);
		nl(&r, "up", "130", "--name", "tbig", "--subnet", "10.99.40.0/24", "-q", NULL);
		unsetenv("NETLAB_FAIL_AT");
		cr_assert_eq(r.status, 1, "step %d: %s", k, r.err);
		cr_assert(strstr(r.err, k == 2 ? "creating a bridge" : "joining two bridges"), "%s", r.err);
		assert_lab_gone("tbig", NULL, 0);
	}
	lab_up_or_die("tbig", "10.99.40.0/24", "130", "0");
	cr_assert(state_bridge("tbig", NULL, br));
	snprintf(prefix, sizeof(prefix), "nl%u-", state_number("tbig"));
	snprintf(want[0], sizeof(want[0]), "%sb1", prefix);
	cr_assert_str_eq(br, want[0], "the bridge of `up N`'s one segment");
	for (size_t i = 0; i < 3; i++)
		snprintf(joined[i], sizeof(joined[i]), "%s%s", br, suffix[i]);
	cr_assert_eq(run(&r, "ip", "-o", "link", "show", "master", br, NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, prefix), 129, "128 hosts and the join:\n%s", r.out);
	snprintf(want[0], sizeof(want[0]), ": %sh128@", prefix);
	snprintf(want[1], sizeof(want[1]), ": %s@", joined[2]);
	cr_assert(strstr(r.out, want[0]) && strstr(r.out, want[1]), "%s", r.out);
	cr_assert_eq(run(&r, "ip", "-o", "link", "show", "master", joined[0], NULL), 0, "%s", r.err);
	cr_assert_eq(count_lines(r.out, prefix), 3, "h129, h130 and the join:\n%s", r.out);
	snprintf(want[0], sizeof(want[0]), ": %sh129@", prefix);
	snprintf(want[1], sizeof(want[1]), ": %s@", joined[1]);
	cr_assert(strstr(r.out, want[0]) && strstr(r.out, want[1]), "%s", r.out);
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
	assert_lab_gone("tbig", NULL, 0);
}

Test(up, a_lab_cannot_be_up_twice_and_subnets_do_not_overlap, .timeout = 60)
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
	assert_lab_gone("tdup", NULL, 0);
	assert_lab_gone("tdup2", NULL, 0);
}

Test(up, a_subnet_overlapping_a_route_of_the_machine_is_refused, .timeout = 60)
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
	assert_lab_gone("troute", NULL, 0);
}

Test(up, default_subnet_avoids_other_labs, .timeout = 60)
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
	assert_lab_gone("tsub1", NULL, 0);
	assert_lab_gone("tsub2", NULL, 0);
}

static char CLASH[16];
static void down_clash(void) { if (*CLASH) lab_down_quiet(CLASH); }

Test(up, up_refuses_where_the_lab_names_are_taken_and_removes_nothing, .fini = down_clash,
     .timeout = 60)
{
	char ns[32], iface[32], peer[32], table[32], path[64], alias[64];

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
	assert_lab_gone(CLASH, NULL, 0);

	/* an interface with the lab's alias (as a lab of that name that crashed leaves it: up
	 * leaves it to clean), and the lab's nftables table made by hand */
	snprintf(iface, sizeof(iface), "%sx", CLASH);
	snprintf(peer, sizeof(peer), "%sp", CLASH);
	snprintf(alias, sizeof(alias), "netlab:%s:h1", CLASH);
	cr_assert_eq(run(&r, "ip", "link", "add", iface, "type", "veth", "peer", "name", peer, NULL), 0,
		     "%s", r.err);
	cr_assert_eq(run(&r, "ip", "link", "set", iface, "alias", alias, NULL), 0, "%s", r.err);
	nl(&r, "up", "1", "--name", CLASH, NULL);
	st = r.status;
	snprintf(err, sizeof(err), "%s", r.err);
	kept = run(&r, "ip", "link", "show", iface, NULL);
	run(&r, "ip", "link", "del", iface, NULL);
	cr_assert_eq(st, 1, "%s", err);
	cr_assert(strstr(err, "is left from a lab '") && strstr(err, "run 'netlab clean'"), "%s", err);
	cr_assert_eq(kept, 0, "up removed the interface %s it did not make", iface);
	assert_lab_gone(CLASH, NULL, 0);

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
	assert_lab_gone(CLASH, NULL, 0);

	/* nothing in the way: it comes up */
	lab_up_or_die(CLASH, "10.99.42.0/24", "1", "0");
	lab_down_quiet(CLASH);
	assert_lab_gone(CLASH, NULL, 0);
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

Test(up, the_next_hint_after_up_works_as_printed, .fini = down_hint, .timeout = 60)
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
	assert_lab_gone(HINT1, NULL, 0);
	assert_lab_gone(HINT2, NULL, 0);
}

Test(up, hosts_can_have_their_own_cgroup_and_time_namespaces_too, .timeout = 60)
{
	char lab[16], target[32], link[64];
	static const char *const kinds[] = { "cgroup", "time" };

	snprintf(lab, sizeof(lab), "tns%d", (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "2", "--name", lab, "--ns", "+cgroup,+time", "-q", NULL), 0, "%s", r.err);
	pid_t h1 = host_pid(lab, "h1"), h2 = host_pid(lab, "h2");
	for (int k = 0; k < 2; k++) {
		char a[64], b[64], self[64];
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)h1, kinds[k]);
		snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)h2, kinds[k]);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", kinds[k]);
		struct stat sa, sb, ss;
		cr_assert_eq(stat(a, &sa), 0);
		cr_assert_eq(stat(b, &sb), 0);
		cr_assert_eq(stat(self, &ss), 0);
		cr_assert_neq(sa.st_ino, ss.st_ino, "%s shared with the machine", kinds[k]);
		cr_assert_neq(sa.st_ino, sb.st_ino, "%s shared between hosts", kinds[k]);
		/* exec joins it too */
		snprintf(target, sizeof(target), "%s/h1", lab);
		snprintf(link, sizeof(link), "/proc/self/ns/%s", kinds[k]);
		cr_assert_eq(nl(&r, "exec", target, "--", "readlink", link, NULL), 0, "%s", r.err);
		char want[64];
		snprintf(want, sizeof(want), "%s:[%lu]", kinds[k], (unsigned long)sa.st_ino);
		cr_assert(strstr(r.out, want), "exec is in %s, not %s", r.out, want);
	}
	cr_assert_eq(nl(&r, "verify", lab, NULL), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "namespace isolated"), 3 * 8, "%s", r.out);
	snprintf(target, sizeof(target), "%s/h1", lab);
	cr_assert_eq(nl(&r, "compare", target, NULL), 0, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "isolated"), 16, "%s", r.out);
	cr_assert_eq(count_lines(r.out, "not requested"), 0, "%s", r.out);
	lab_down_quiet(lab);
	cr_assert_eq(nl(&r, "up", "1", "--name", lab, "--ns", "+net", NULL), 2);
}

Test(up, refuses_without_root_and_says_why)
{
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 (char *)netlab_bin(), "up", "--name", "tnoroot", NULL };

	run_argv(&r, argv);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "needs root"), "%s", r.err);
	cr_assert(strstr(r.err, "run it with sudo\n") && !strstr(r.err, "not permitted"),
		  "the message ends with its own words: %s", r.err);
	assert_lab_gone("tnoroot", NULL, 0);
}

Test(up, refuses_when_user_namespaces_are_disabled_and_names_the_fix)
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
	assert_lab_gone("tuserns", NULL, 0);
}
