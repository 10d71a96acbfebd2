/* A lab is walled off from the machine and behaves the same on every machine: real labs, real
 * kernel. Each test has its own lab name and subnet (10.99.6N.0/24), and its own test address
 * for the machine (10.98.6N.1, on an interface it makes and deletes), never the machine's
 * real ones. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"

static struct run r;	/* big: static, one per test process */

/* ------------------------------------------------------------------------ the wall (issue 19.2) */

static char WLAB[16], DUM[16];

static void wall_fini(void)
{
	if (WLAB[0])
		lab_down_quiet(WLAB);
	if (DUM[0])
		run(&r, "ip", "link", "del", DUM, NULL);	/* its address and route go with it */
}

static int bound_socket(int type, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_ANY);
	cr_assert_eq(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)a, &len), 0);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 8), 0);
	return fd;
}

/* A UDP socket on [::] (IPv6 only), any port. */
static int bound_socket6(struct sockaddr_in6 *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_addr = in6addr_any;
	cr_assert_eq(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

/* h2 of lab (on subnet net) points a /32 route at an address of the machine (addr, on an
 * interface made here) through its own eth0, then pings it, sends it UDP datagrams and a TCP SYN
 * to sockets bound to 0.0.0.0 on the machine. Nothing may arrive, no ARP answer may come back,
 * and the lab's own hosts still reach each other. Replies the machine would send to the lab go to
 * that interface (a route for the lab's subnet through it): nothing leaves the machine. The same
 * over IPv6 with datagrams only (they get no reply), and no neighbour advertisement. */
static void assert_walled_off(int n, bool tc)
{
	char net[32], addr[32], addr6[32], script[768], target[32], buf[64], peer[20];
	struct sockaddr_in ua, ta;
	struct sockaddr_in6 ua6;
	int u, t, u6;

	snprintf(WLAB, sizeof(WLAB), "tw%c%d", tc ? 't' : 'n', (int)(getpid() % 100000));
	snprintf(DUM, sizeof(DUM), "nlw%d", (int)(getpid() % 1000000));
	snprintf(net, sizeof(net), "10.99.%d.0/24", n);
	snprintf(addr, sizeof(addr), "10.98.%d.1", n);
	snprintf(addr6, sizeof(addr6), "fd98:%d::1", n);
	if (tc)
		setenv("NETLAB_MLD_FILTER", "tc", 1);
	lab_up_or_die(WLAB, net, "2", "0");
	unsetenv("NETLAB_MLD_FILTER");

	/* a veth pair with its peer down stands for a dummy interface (not every kernel has one):
	 * what is routed to it goes nowhere */
	snprintf(peer, sizeof(peer), "%sp", DUM);
	cr_assert_eq(run(&r, "ip", "link", "add", DUM, "type", "veth", "peer", "name", peer, NULL), 0,
		     "%s", r.err);
	snprintf(buf, sizeof(buf), "%s/32", addr);
	cr_assert_eq(run(&r, "ip", "addr", "add", buf, "dev", DUM, NULL), 0, "%s", r.err);
	snprintf(buf, sizeof(buf), "%s/128", addr6);
	cr_assert_eq(run(&r, "ip", "-6", "addr", "add", buf, "dev", DUM, "nodad", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "link", "set", DUM, "up", NULL), 0, "%s", r.err);
	cr_assert_eq(run(&r, "ip", "route", "add", net, "dev", DUM, NULL), 0, "%s", r.err);
	u = bound_socket(SOCK_DGRAM, &ua);
	t = bound_socket(SOCK_STREAM, &ta);
	u6 = bound_socket6(&ua6);

	snprintf(target, sizeof(target), "%s/h2", WLAB);
	snprintf(script, sizeof(script),
		 "ip route add %s/32 dev eth0 || exit 99; ping -c 2 -W 1 %s >/dev/null && echo PINGED; "
		 "for i in 1 2 3; do echo netlab >/dev/udp/%s/%u; done; "
		 "timeout 2 bash -c 'echo >/dev/tcp/%s/%u' 2>/dev/null && echo CONNECTED; "
		 "ip neigh show %s dev eth0; ip -6 route add %s/128 dev eth0 || exit 99; "
		 "for i in 1 2 3; do echo netlab >/dev/udp/%s/%u; sleep 0.3; done; "
		 "ip -6 neigh show %s dev eth0", addr, addr, addr, ntohs(ua.sin_port), addr,
		 ntohs(ta.sin_port), addr, addr6, addr6, ntohs(ua6.sin6_port), addr6);
	nl(&r, "exec", target, "--", "bash", "-c", script, NULL);
	cr_assert_neq(r.status, 99, "ip route add inside h2: %s", r.err);
	usleep(200000);
	cr_assert_lt(recv(u, buf, sizeof(buf), MSG_DONTWAIT), 0, "a datagram from h2 reached a "
		     "socket of the machine");
	cr_assert_eq(errno, EAGAIN);
	cr_assert_lt(accept(t, NULL, NULL), 0, "h2 reached a TCP socket of the machine");
	cr_assert_lt(recv(u6, buf, sizeof(buf), MSG_DONTWAIT), 0, "an IPv6 datagram from h2 reached "
		     "a socket of the machine");
	cr_assert(!strstr(r.out, "PINGED"), "h2 pinged the machine's %s:\n%s", addr, r.out);
	cr_assert(!strstr(r.out, "CONNECTED"), "h2 connected to the machine's %s:\n%s", addr, r.out);
	cr_assert(!strstr(r.out, "lladdr"), "the machine answered h2's ARP or neighbour solicitation "
		  "for %s or %s:\n%s", addr, addr6, r.out);
	close(u6);
	close(u);
	close(t);

	/* frames between the lab's ports still pass */
	snprintf(target, sizeof(target), "%s/h1", WLAB);
	snprintf(buf, sizeof(buf), "10.99.%d.2", n);
	cr_assert_eq(nl(&r, "exec", target, "--", "ping", "-c", "1", "-W", "2", buf, NULL), 0,
		     "h1 no longer reaches h2: %s%s", r.out, r.err);
}

Test(wall, a_host_cannot_reach_the_machines_own_stack, .fini = wall_fini, .timeout = 60)
{
	assert_walled_off(61, false);
}

Test(wall, nor_with_the_tc_mld_filter, .fini = wall_fini, .timeout = 60)
{
	char table[32];

	assert_walled_off(62, true);
	snprintf(table, sizeof(table), "netlab-%s", WLAB);
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", table, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "chain input") && !strstr(r.out, "33:33:00:00:00:16"),
		  "the wall without the MLD chain expected:\n%s", r.out);
}

/* ------------------------------------------------------------- the broadcast address (issue 18) */

static char BLAB[16];
static void brd_fini(void) { lab_down_quiet(BLAB); }

Test(addresses, ipv4_addresses_have_the_subnets_broadcast_address, .fini = brd_fini, .timeout = 60)
{
	char target[32];

	snprintf(BLAB, sizeof(BLAB), "tbrd%d", (int)(getpid() % 10000));
	lab_up_or_die(BLAB, "10.99.63.0/26", "1", "0");
	snprintf(target, sizeof(target), "%s/h1", BLAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "ip", "-4", "addr", "show", "dev", "eth0", NULL), 0,
		     "%s", r.err);
	cr_assert(strstr(r.out, "inet 10.99.63.1/26 brd 10.99.63.63 "), "no broadcast address:\n%s",
		  r.out);
}

/* ------------------------------------------------- the same lab on every machine (issue 14.5) */

/* A triangle of routers with one-way paths: h1 -> h2 goes r1 -> r2, h2 -> h1 goes r2 -> r3 -> r1,
 * so r1 gets h2's replies on the interface it would not use to reach h2: strict reverse-path
 * filtering (rp_filter=1) drops them. */
static const char triangle[] =
	"segments: { lan1: {}, lan2: {}, n12: {}, n23: {}, n31: {} }\n"
	"hosts:\n"
	"  h1: { links: [lan1], routes: [{ to: default, via: r1 }] }\n"
	"  h2: { links: [lan2], routes: [{ to: default, via: r2 }] }\n"
	"  r1:\n"
	"    router: true\n"
	"    links: [lan1, n12, n31]\n"
	"    routes: [{ to: lan2, via: r2 }, { to: n23, via: r2 }]\n"
	"  r2:\n"
	"    router: true\n"
	"    links: [lan2, n12, n23]\n"
	"    routes: [{ to: lan1, via: r3 }, { to: n31, via: r3 }]\n"
	"  r3:\n"
	"    router: true\n"
	"    links: [n23, n31]\n"
	"    routes: [{ to: lan1, via: r1 }, { to: lan2, via: r2 }, { to: n12, via: r1 }]\n";

static char SLAB[16], SFILE[64], saved_all[16], saved_default[16];

static void sysctl_read(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "%s", path);
	cr_assert_not_null(fgets(out, (int)len, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static void sysctl_write(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(value, f);
		fclose(f);
	}
}

#define RP_ALL "/proc/sys/net/ipv4/conf/all/rp_filter"
#define RP_DEFAULT "/proc/sys/net/ipv4/conf/default/rp_filter"

static void rp_fini(void)
{
	if (SLAB[0])
		lab_down_quiet(SLAB);
	if (saved_all[0])
		sysctl_write(RP_ALL, saved_all);
	if (saved_default[0])
		sysctl_write(RP_DEFAULT, saved_default);
	if (SFILE[0])
		unlink(SFILE);
}

Test(same_everywhere, strict_rp_filter_on_the_machine_changes_nothing_in_a_lab, .fini = rp_fini,
     .timeout = 90)
{
	char verify[sizeof(r.out)], target[32];
	FILE *f;

	snprintf(SLAB, sizeof(SLAB), "trp%d", (int)(getpid() % 1000));	/* LAB-lan1-up fits */
	snprintf(SFILE, sizeof(SFILE), "/tmp/netlab-%s.yaml", SLAB);
	f = fopen(SFILE, "w");
	cr_assert_not_null(f);
	fputs(triangle, f);
	fclose(f);
	/* the machine's values come back in .fini, whatever happens here */
	sysctl_read(RP_ALL, saved_all, sizeof(saved_all));
	sysctl_read(RP_DEFAULT, saved_default, sizeof(saved_default));
	sysctl_write(RP_DEFAULT, "1");
	sysctl_write(RP_ALL, "1");

	cr_assert_eq(nl(&r, "up", "-f", SFILE, "-n", SLAB, "-q", NULL), 0, "%s", r.err);
	nl(&r, "verify", SLAB, "-W", "2", NULL);
	memcpy(verify, r.out, sizeof(verify));
	cr_assert_eq(r.status, 0, "verify with the machine's rp_filter=1:\n%s", verify);
	cr_assert_eq(nl(&r, "pingall", SLAB, "-W", "2", NULL), 0, "pingall with the machine's "
		     "rp_filter=1:\n%s%s", r.out, r.err);
	snprintf(target, sizeof(target), "%s/r1", SLAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "cat", "/proc/sys/net/ipv4/conf/all/rp_filter",
			"/proc/sys/net/ipv4/conf/eth2/rp_filter", NULL), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0\n0\n");
}

/* ------------------------------------------------------------------------------ MTU (issue 14.8) */

#include <json-c/json.h>

#include "../src/state.h"
#include "../src/topo.h"

static char MLAB[16];
static void mtu_fini(void) { lab_down_quiet(MLAB); }

Test(mtu, jumbo_frames_cross_a_lab_up_with_mtu_9000_and_verify_checks_it, .fini = mtu_fini,
     .timeout = 60)
{
	char target[32];
	struct json_object *root, *j, *v;

	snprintf(MLAB, sizeof(MLAB), "tmtu%d", (int)(getpid() % 10000));
	cr_assert_eq(nl(&r, "up", "2", "--name", MLAB, "--subnet", "10.99.66.0/24", "--mtu", "9000",
			"-q", NULL), 0, "%s", r.err);
	snprintf(target, sizeof(target), "%s/h1", MLAB);
	/* 8000 bytes, not fragmented: the bridge, both veth ends and eth0 inside take 9000 */
	cr_assert_eq(nl(&r, "exec", target, "--", "ping", "-M", "do", "-s", "8000", "-c", "1", "-W",
			"2", "10.99.66.2", NULL), 0, "%s%s", r.out, r.err);
	cr_assert_eq(nl(&r, "status", MLAB, NULL), 0, "%s", r.err);
	cr_assert(strstr(r.out, "  MTU lan 9000\n"), "%s", r.out);
	cr_assert_eq(nl(&r, "status", MLAB, "--json", NULL), 0, "%s", r.err);
	root = json_tokener_parse(r.out);
	cr_assert_not_null(root, "%s", r.out);
	cr_assert(json_object_object_get_ex(root, "labs", &v));
	j = json_object_array_get_idx(v, 0);
	cr_assert(json_object_object_get_ex(j, "segments", &v));
	v = json_object_array_get_idx(v, 0);
	cr_assert(json_object_object_get_ex(v, "mtu", &v));
	cr_assert_eq(json_object_get_int(v), 9000);
	cr_assert(json_object_object_get_ex(j, "hosts", &v));
	v = json_object_array_get_idx(v, 0);
	cr_assert(json_object_object_get_ex(v, "interfaces", &v));
	v = json_object_array_get_idx(v, 0);
	cr_assert(json_object_object_get_ex(v, "mtu", &v));
	cr_assert_eq(json_object_get_int(v), 9000, "eth0 inside h1");
	json_object_put(root);
	cr_assert_eq(nl(&r, "verify", MLAB, "-W", "2", NULL), 0, "%s", r.out);

	/* a student sets eth0 of h2 back to 1500: the segment is broken for big frames */
	snprintf(target, sizeof(target), "%s/h2", MLAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "ip", "link", "set", "eth0", "mtu", "1500", NULL), 0,
		     "%s", r.err);
	cr_assert_eq(nl(&r, "verify", MLAB, "-W", "2", NULL), 1, "%s", r.out);
	cr_assert(strstr(r.out, "MTU 1500, not the segment's 9000"), "%s", r.out);
}

Test(mtu, a_bad_mtu_is_a_usage_error_and_makes_nothing)
{
	static const char *const bad[][2] = { { "67", "from 68 to 65535" },
					      { "65536", "from 68 to 65535" },
					      { "9k", "from 68 to 65535" },
					      { "1000", "below 1280, which IPv6 needs" } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(nl(&r, "up", "1", "--name", "tmtubad", "--mtu", bad[i][0], NULL), 2,
			     "--mtu %s: %s", bad[i][0], r.err);
		cr_assert(strstr(r.err, bad[i][1]), "--mtu %s: %s", bad[i][0], r.err);
		cr_assert_eq(access("/run/netlab/tmtubad", F_OK), -1);
	}
}

Test(mtu, a_segments_mtu_in_a_topology_file_is_checked)
{
	struct lab_topo t;
	struct lab_error *err = NULL;
	static const char ok[] = "segments:\n  lan1: { mtu: 9000 }\n  lan2: { mtu: 1000, ipv6: false }\n"
				 "hosts:\n  h1: { links: [lan1, lan2] }\n";
	static const char *const bad[][2] = {
		{ "segments:\n  lan1: { mtu: 1000 }\nhosts:\n  h1: { links: [lan1] }\n",
		  "x.yaml:2: segment lan1: mtu 1000 is below 1280, which IPv6 needs" },
		{ "segments:\n  lan1: { mtu: 70000 }\nhosts:\n  h1: { links: [lan1] }\n",
		  "x.yaml:2: segment lan1: mtu \"70000\": expected a number of bytes from 68 to 65535" },
	};

	cr_assert_eq(topo_parse(ok, strlen(ok), "x.yaml", &t, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(t.plan.segs[0].mtu, 9000);
	cr_assert_eq(t.plan.segs[1].mtu, 1000);
	lab_topo_free(&t);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_lt(topo_parse(bad[i][0], strlen(bad[i][0]), "x.yaml", &t, &err), 0);
		cr_assert(!strncmp(err->msg, bad[i][1], strlen(bad[i][1])), "%s", err->msg);
		lab_err_free(&err);
	}
}

Test(mtu, the_state_file_keeps_the_mtu_and_old_ones_still_read)
{
	static const char old[] = "netlab-state 2\nname t\nnumber 1\nstatus up\nbuilder 1 1\nextra 0\n"
				  "kind plain\nsegments 1\nsegment lan t-br 10.99.67.0/24 -\nhosts 0\nend\n";
	struct lab lab;
	struct lab_error *err = NULL;
	char *text = NULL, *copy;
	size_t len;

	cr_assert_eq(state_parse(old, "old", &lab, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(lab.segs[0].mtu, 0, "no MTU: the default");
	lab.segs[0].mtu = 9000;
	cr_assert_eq(state_format(&lab, &text, &len, &err), 0);
	cr_assert(strstr(text, "segment lan t-br 10.99.67.0/24 - 9000\n"), "%s", text);
	state_free(&lab);
	copy = strdup(text);
	cr_assert_eq(state_parse(copy, "new", &lab, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(lab.segs[0].mtu, 9000);
	state_free(&lab);
	free(copy);
	free(text);
}

/* ------------------------------------------- a table netlab did not make is left alone (14.2) */

static void foreign_fini(void)
{
	lab_down_quiet("tnft");	/* only if it came up after all */
	run(&r, "nft", "delete", "table", "bridge", "netlab-tnft", NULL);
}

Test(wall, an_nftables_table_of_the_labs_name_is_refused_and_kept, .fini = foreign_fini,
     .timeout = 30)
{
	cr_assert_eq(run(&r, "nft", "add", "table", "bridge", "netlab-tnft", NULL), 0, "%s", r.err);
	cr_assert_eq(nl(&r, "up", "1", "--name", "tnft", "--subnet", "10.99.68.0/24", NULL), 1, "%s",
		     r.err);
	cr_assert(strstr(r.err, "netlab-tnft") && strstr(r.err, "exists"), "%s", r.err);
	cr_assert_eq(run(&r, "nft", "list", "table", "bridge", "netlab-tnft", NULL), 0,
		     "the rollback deleted a table netlab did not make");
	cr_assert_eq(access("/run/netlab/tnft", F_OK), -1, "state left behind");
}

/* The machine's neighbour defaults reach every interface made in a new netns (there is no
 * "default" of a host's own to write): netlab sets the kernel's values on the lab's interfaces. */
#define NB4 "/proc/sys/net/ipv4/neigh/default/base_reachable_time_ms"
#define NU6 "/proc/sys/net/ipv6/neigh/default/ucast_solicit"
static char NLAB[16], saved_nb4[16], saved_nu6[16];

static void neigh_fini(void)
{
	if (NLAB[0])
		lab_down_quiet(NLAB);
	if (saved_nb4[0])
		sysctl_write(NB4, saved_nb4);
	if (saved_nu6[0])
		sysctl_write(NU6, saved_nu6);
}

Test(same_everywhere, the_machines_neighbour_defaults_change_nothing_in_a_lab, .fini = neigh_fini,
     .timeout = 60)
{
	char target[32];

	snprintf(NLAB, sizeof(NLAB), "tnb%d", (int)(getpid() % 100000));
	sysctl_read(NB4, saved_nb4, sizeof(saved_nb4));
	sysctl_read(NU6, saved_nu6, sizeof(saved_nu6));
	sysctl_write(NB4, "12345");
	sysctl_write(NU6, "7");
	lab_up_or_die(NLAB, "10.99.69.0/24", "1", "0");
	snprintf(target, sizeof(target), "%s/h1", NLAB);
	cr_assert_eq(nl(&r, "exec", target, "--", "cat", "/proc/sys/net/ipv4/neigh/eth0/base_reachable_time_ms",
			"/proc/sys/net/ipv6/neigh/eth0/ucast_solicit", NULL), 0, "%s", r.err);
	cr_assert_str_eq(r.out, "30000\n3\n", "the kernel's values expected, not the machine's");
}
