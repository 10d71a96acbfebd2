/* Planning (src/plan.c) as a pure function: subnets against the machine's routes and the other
 * labs, addresses, IPv6 /64s, topology routes, uid/gid ranges. No root, no kernel: every input is
 * given here. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ns.h"
#include "../src/plan.h"
#include "../src/topo.h"

static struct nets_prefix route(const char *cidr, const char *dev)
{
	struct nets_prefix p = { .family = strchr(cidr, ':') ? AF_INET6 : AF_INET };
	char addr[64];

	snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(cidr, "/"), cidr);
	cr_assert_eq(inet_pton(p.family, addr, p.addr), 1, "%s", cidr);
	p.prefix = atoi(strchr(cidr, '/') + 1);
	snprintf(p.dev, sizeof(p.dev), "%s", dev);
	return p;
}

static struct ipv4_net net4(const char *cidr)
{
	struct ipv4_net n;

	cr_assert_eq(ipv4_parse_net(cidr, &n, NULL), 0, "%s", cidr);
	return n;
}

static const char *fmt4(uint32_t a)
{
	static char buf[4][20];
	static int k;

	k = (k + 1) % 4;
	return ipv4_fmt(a, buf[k], sizeof(buf[k]));
}

static const char *fmt6(const uint8_t a[16])
{
	static char buf[4][IPV6_TEXT];
	static int k;

	k = (k + 1) % 4;
	return ipv6_fmt(a, buf[k], sizeof(buf[k]));
}

/* Plan; on failure the message (the plan is then empty), on success "". */
static const char *plan(const struct plan_input *in, struct lab *out)
{
	static char msg[512];
	struct lab_error *e = NULL;

	memset(out, 0, sizeof(*out));
	msg[0] = '\0';
	if (lab_plan(in, out, &e) < 0) {
		cr_assert_not_null(e, "a failure without a message");
		snprintf(msg, sizeof(msg), "%s", e->msg);
		cr_assert(!out->hosts && !out->segs, "a failed plan left something: %s", msg);
	} else {
		cr_assert_null(e, "success with a message: %s", e->msg);
	}
	lab_err_free(&e);
	return msg;
}

/* A lab that is up: its number, one segment, one host with its uid/gid range. */
struct other {
	struct lab lab;
	struct lab_segment seg;
	struct lab_host host;
};

static void other_lab(struct other *o, unsigned number, const char *subnet, uint32_t id_base)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->lab.name, sizeof(o->lab.name), "o%u", number);
	o->lab.number = number;
	o->seg.subnet = net4(subnet);
	o->seg.has6 = true;
	ipv6_lab_net(number, 1, &o->seg.subnet6);
	o->host.id_base = id_base;
	o->lab.segs = &o->seg;
	o->lab.nsegs = 1;
	o->lab.hosts = &o->host;
	o->lab.nhosts = 1;
}

static struct lab_spec up_n(unsigned hosts, unsigned empty)
{
	return (struct lab_spec){ .name = "tp", .hosts = hosts, .empty = empty };
}

static void parse_topo(const char *text, struct lab_topo *t)
{
	struct lab_error *e = NULL;

	cr_assert_eq(topo_parse(text, strlen(text), "lab.yaml", t, &e), 0, "%s", e ? e->msg : "");
}

Test(plan, a_picked_subnet_skips_the_machines_routes_and_other_labs)
{
	struct lab_spec spec = up_n(2, 1);
	struct nets_prefix routes[] = {
		route("0.0.0.0/0", "eth0"),		/* a default route clashes with nothing */
		route("10.77.2.0/24", "eth9"),
		route("fe80::/64", "eth9"),		/* nor link-local */
		route("10.77.4.0/23", "wg0"),
	};
	struct other o1, o3;
	struct lab others[2], lab;

	other_lab(&o1, 1, "10.77.1.0/24", 0);
	other_lab(&o3, 3, "10.77.3.0/25", 0);
	others[0] = o1.lab;
	others[1] = o3.lab;
	struct plan_input in = { .spec = &spec, .routes = routes, .nroutes = 4, .others = others,
				 .nothers = 2 };

	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_str_eq(lab.name, "tp");
	cr_assert_eq(lab.number, 2, "the lowest number no other lab has");
	cr_assert_eq(lab.nsegs, 1);
	cr_assert_str_eq(lab.segs[0].bridge, "nl2-b1", "named from the number");
	cr_assert_eq(lab.segs[0].subnet.addr, 0x0a4d0600, "got %s",
		     fmt4(lab.segs[0].subnet.addr));	/* .1 and .3 other labs, .2 and .4-.5 routes */
	cr_assert_eq(lab.segs[0].subnet.prefix, 24);
	cr_assert_eq(lab.nhosts, 3);
	cr_assert_str_eq(lab.hosts[0].name, "h1");
	cr_assert_str_eq(lab.hosts[0].ifaces[0].veth, "nl2-h1");
	cr_assert_str_eq(fmt4(lab.hosts[0].ifaces[0].addr), "10.77.6.1");
	cr_assert_str_eq(fmt4(lab.hosts[1].ifaces[0].addr), "10.77.6.2");
	cr_assert_str_eq(lab.hosts[2].name, "e1");
	cr_assert(!lab.hosts[2].networked && lab.hosts[2].nifaces == 0);
	state_free(&lab);

	/* with the machine's routes gone, the first free block is 10.77.2.0 */
	in.nroutes = 0;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_str_eq(fmt4(lab.segs[0].subnet.addr), "10.77.2.0");
	state_free(&lab);

	/* a number the machine's interfaces use (in a name nlN-..., or a group) is taken too */
	const unsigned used[] = { 2, 4 };

	in.link_numbers = used;
	in.nlink_numbers = 2;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_eq(lab.number, 5, "1, 3: other labs; 2, 4: interfaces");
	cr_assert_str_eq(lab.segs[0].bridge, "nl5-b1");
	state_free(&lab);
}

Test(plan, a_given_subnet_that_overlaps_a_route_or_another_lab_is_refused)
{
	struct lab_spec spec = up_n(1, 0);
	struct nets_prefix routes[] = { route("10.99.5.0/24", "troute0"), route("fd00:5::/48", "t6") };
	struct other o;
	struct lab lab;
	struct plan_input in = { .spec = &spec, .routes = routes, .nroutes = 2, .others = &o.lab,
				 .nothers = 1 };

	other_lab(&o, 1, "10.99.3.0/24", 0);
	spec.has_subnet = true;
	spec.subnet = net4("10.99.5.0/24");
	cr_assert_str_eq(plan(&in, &lab), "subnet 10.99.5.0/24 overlaps the route 10.99.5.0/24 dev "
		       "troute0 on this machine: choose another --subnet");
	spec.subnet = net4("10.99.3.128/25");
	cr_assert_str_eq(plan(&in, &lab), "subnet 10.99.3.128/25 overlaps 10.99.3.0/24 of another lab: "
		       "choose another --subnet");
	spec.subnet = net4("10.99.6.0/24");
	spec.has_subnet6 = true;
	cr_assert_eq(ipv6_parse_net("fd00:5:0:7::/64", &spec.subnet6, NULL), 0);
	cr_assert_str_eq(plan(&in, &lab), "subnet fd00:5:0:7::/64 overlaps the IPv6 route fd00:5::/48 "
		       "dev t6 on this machine: choose another --subnet6 (or --no-ipv6)");
	spec.no_ipv6 = true;
	spec.has_subnet6 = false;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_str_eq(fmt4(lab.hosts[0].ifaces[0].addr), "10.99.6.1");
	cr_assert(!lab.segs[0].has6 && ipv6_is_zero(lab.hosts[0].ifaces[0].addr6));
	state_free(&lab);
}

Test(plan, no_free_24_left_and_a_subnet_too_small_for_its_hosts_are_errors)
{
	struct lab_spec spec = up_n(2, 0);
	struct nets_prefix all = route("10.77.0.0/16", "big0");
	struct lab lab;
	struct plan_input in = { .spec = &spec, .routes = &all, .nroutes = 1 };

	cr_assert_str_eq(plan(&in, &lab), "no free subnet left in 10.77.0.0/16: give one with --subnet");

	/* every /24 of 10.77 (but 10.77.0.0) taken by other labs, but for the last one */
	static struct other o[255];
	static struct lab others[255];
	for (unsigned i = 0; i < 255; i++) {
		char cidr[24];

		snprintf(cidr, sizeof(cidr), "10.77.%u.0/24", i + 1);
		other_lab(&o[i], i + 1, cidr, 0);
		others[i] = o[i].lab;
	}
	in = (struct plan_input){ .spec = &spec, .others = others, .nothers = 254 };
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_str_eq(fmt4(lab.segs[0].subnet.addr), "10.77.255.0");
	cr_assert_eq(lab.number, 255);
	state_free(&lab);
	in.nothers = 255;
	cr_assert_str_eq(plan(&in, &lab), "no free subnet left in 10.77.0.0/16: give one with --subnet");

	/* a topology's picked subnets are /24s: 254 hosts at most */
	char text[16384];
	size_t used = (size_t)snprintf(text, sizeof(text), "segments: {lan: {}}\nhosts:\n");
	for (int i = 1; i <= 255; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "  h%d: {links: [lan]}\n", i);
	struct lab_topo t;
	parse_topo(text, &t);
	spec.topo = &t;
	in = (struct plan_input){ .spec = &spec };
	cr_assert_str_eq(plan(&in, &lab), "segment's subnet 10.77.1.0/24 holds 254 hosts, not 255: use "
		       "a larger one");
	lab_topo_free(&t);

	/* up 3 --subnet x/30 */
	spec = up_n(3, 0);
	spec.has_subnet = true;
	spec.subnet = net4("10.99.13.0/30");
	cr_assert_str_eq(plan(&in, &lab), "subnet 10.99.13.0/30 holds 2 hosts, not 3: use a larger one");
}

Test(plan, topology_addresses_given_stay_and_the_others_take_the_lowest_free)
{
	const char *text = "segments:\n  lan1: { subnet: 10.5.1.0/24 }\n  lan2: {}\n"
			   "hosts:\n"
			   "  h1: { links: [lan1] }\n"
			   "  r1:\n    router: true\n    links:\n"
			   "      - { segment: lan1, address: 10.5.1.1 }\n      - lan2\n"
			   "  h2: { links: [{ segment: lan2 }] }\n"
			   "  h3: { links: [{ segment: lan1, address: 10.5.1.3 }] }\n";
	struct lab_spec spec = up_n(0, 0);
	struct nets_prefix r = route("10.77.1.0/24", "eth1");
	struct lab_topo t;
	struct lab lab;
	struct plan_input in = { .spec = &spec, .routes = &r, .nroutes = 1 };

	parse_topo(text, &t);
	spec.topo = &t;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert(lab.from_file);
	cr_assert_eq(lab.nsegs, 2);
	cr_assert_str_eq(lab.segs[0].bridge, "nl1-b1");
	cr_assert_str_eq(fmt4(lab.segs[0].subnet.addr), "10.5.1.0", "given");
	cr_assert_str_eq(fmt4(lab.segs[1].subnet.addr), "10.77.2.0", "picked around the route");
	cr_assert_eq(lab.segs[1].subnet.prefix, 24);
	cr_assert_str_eq(fmt4(lab.hosts[1].ifaces[0].addr), "10.5.1.1", "r1's given address");
	cr_assert_str_eq(fmt4(lab.hosts[3].ifaces[0].addr), "10.5.1.3", "h3's given address");
	cr_assert_str_eq(fmt4(lab.hosts[0].ifaces[0].addr), "10.5.1.2", "h1: the lowest free one");
	cr_assert_str_eq(fmt4(lab.hosts[1].ifaces[1].addr), "10.77.2.1");
	cr_assert_str_eq(fmt4(lab.hosts[2].ifaces[0].addr), "10.77.2.2");
	cr_assert_str_eq(lab.hosts[1].ifaces[1].veth, "nl1-h2-1", "r1, host 2: its eth1");
	cr_assert(lab.hosts[1].router);
	state_free(&lab);
	lab_topo_free(&t);
}

Test(plan, each_segment_gets_its_own_64_and_each_host_its_v4_number_in_it)
{
	const char *text = "segments:\n  lan1: {}\n  lan2: {}\n  lan3: { ipv6: false }\n"
			   "  lan4: { subnet: 10.5.4.0/24, subnet6: fd00:78:2::/64 }\n"
			   "hosts:\n"
			   "  h1: { links: [lan1] }\n"
			   "  r1:\n    router: true\n    links: [lan1, lan2, lan3, lan4]\n"
			   "  h4: { links: [{ segment: lan4, address: 10.5.4.9 }] }\n";
	struct lab_spec spec = up_n(0, 0);
	struct other o1, o2;
	struct lab others[2], lab;
	struct lab_topo t;

	other_lab(&o1, 1, "10.77.1.0/24", 0);
	other_lab(&o2, 2, "10.77.2.0/24", 0);
	others[0] = o1.lab;
	others[1] = o2.lab;
	parse_topo(text, &t);
	spec.topo = &t;
	struct plan_input in = { .spec = &spec, .others = others, .nothers = 2 };
	char net[IPV6_TEXT + 4];

	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_eq(lab.number, 3);
	cr_assert_str_eq(ipv6_fmt_net(&lab.segs[0].subnet6, net, sizeof(net)), "fd4e:4c00:3:1::/64");
	cr_assert_str_eq(ipv6_fmt_net(&lab.segs[1].subnet6, net, sizeof(net)), "fd4e:4c00:3:2::/64");
	cr_assert(!lab.segs[2].has6, "ipv6: false");
	cr_assert_str_eq(ipv6_fmt_net(&lab.segs[3].subnet6, net, sizeof(net)), "fd00:78:2::/64");
	cr_assert_str_eq(fmt6(lab.hosts[0].ifaces[0].addr6), "fd4e:4c00:3:1::1");
	cr_assert_str_eq(fmt6(lab.hosts[1].ifaces[0].addr6), "fd4e:4c00:3:1::2");
	cr_assert_str_eq(fmt6(lab.hosts[1].ifaces[1].addr6), "fd4e:4c00:3:2::1");
	cr_assert(ipv6_is_zero(lab.hosts[1].ifaces[2].addr6), "no IPv6 on lan3");
	cr_assert_str_eq(fmt4(lab.hosts[1].ifaces[2].addr), "10.77.5.1", "lan1 and lan2 took .3 and .4");
	cr_assert_str_eq(fmt6(lab.hosts[2].ifaces[0].addr6), "fd00:78:2::9", "10.5.4.9 is host 9");
	cr_assert_str_eq(fmt6(lab.hosts[1].ifaces[3].addr6), "fd00:78:2::1");
	state_free(&lab);

	/* another lab's /64 is refused */
	ipv6_lab_net(3, 2, &o2.seg.subnet6);
	others[1] = o2.lab;
	cr_assert_str_eq(plan(&in, &lab), "segment lan2: subnet fd4e:4c00:3:2::/64 overlaps "
		       "fd4e:4c00:3:2::/64 of another lab: choose another subnet6");
	lab_topo_free(&t);
}

Test(plan, a_route_via_a_host_name_goes_to_its_address_on_the_segment_they_share)
{
	const char *text = "segments:\n  lan1: { subnet: 10.5.1.0/24 }\n  lan2: { subnet: 10.5.2.0/24 }\n"
			   "  lan3: { subnet: 10.5.3.0/24, ipv6: false }\n"
			   "hosts:\n"
			   "  h1: { links: [lan1], routes: [{ to: lan2, via: r1 }, { to: default, via: r1 },"
			   " { to: 10.9.0.0/16, via: 10.5.1.200 }] }\n"
			   "  r1: { router: true, links: [lan2, { segment: lan1, address: 10.5.1.254 }] }\n"
			   "  h2: { links: [lan2, lan3], routes: [{ to: lan1, via: r1 }, { to: lan3, via: r2 }] }\n"
			   "  r2: { router: true, links: [lan3, lan2] }\n";
	struct lab_spec spec = up_n(0, 0);
	struct lab_topo t;
	struct lab lab;
	struct plan_input in = { .spec = &spec };
	char net[IPV6_TEXT + 4];

	parse_topo(text, &t);
	spec.topo = &t;
	cr_assert_str_empty(plan(&in, &lab));
	const struct lab_host *h1 = &lab.hosts[0], *h2 = &lab.hosts[2], *r1 = &lab.hosts[1];
	/* to lan2 and default: IPv4 and IPv6 each; the literal: IPv4 only */
	cr_assert_eq(h1->nroutes, 5);
	cr_assert(!h1->routes[0].v6);
	cr_assert_str_eq(ipv4_fmt_net(&h1->routes[0].dst, net, sizeof(net)), "10.5.2.0/24");
	cr_assert_str_eq(fmt4(h1->routes[0].via), "10.5.1.254", "r1's address on lan1, not lan2's");
	cr_assert(h1->routes[1].v6);
	cr_assert_str_eq(ipv6_fmt_net(&h1->routes[1].dst6, net, sizeof(net)), "fd4e:4c00:1:2::/64");
	cr_assert_str_eq(fmt6(h1->routes[1].via6), fmt6(r1->ifaces[1].addr6));
	cr_assert_str_eq(fmt6(h1->routes[1].via6), "fd4e:4c00:1:1::fe");
	cr_assert_eq(h1->routes[2].dst.prefix, 0, "default");
	cr_assert_str_eq(fmt4(h1->routes[2].via), "10.5.1.254");
	cr_assert(h1->routes[3].v6 && h1->routes[3].dst6.prefix == 0);
	cr_assert_str_eq(ipv4_fmt_net(&h1->routes[4].dst, net, sizeof(net)), "10.9.0.0/16");
	cr_assert_str_eq(fmt4(h1->routes[4].via), "10.5.1.200");
	/* h2 and r1 share lan2 only */
	cr_assert_eq(h2->nroutes, 3);
	cr_assert_str_eq(fmt4(h2->routes[0].via), fmt4(r1->ifaces[0].addr));
	cr_assert_str_eq(fmt6(h2->routes[1].via6), fmt6(r1->ifaces[0].addr6));
	/* h2 and r2 share lan2 and lan3: the first of r2's links that h2 has (lan3, without IPv6:
	 * one route, IPv4) */
	cr_assert_str_eq(ipv4_fmt_net(&h2->routes[2].dst, net, sizeof(net)), "10.5.3.0/24");
	cr_assert(!h2->routes[2].v6);
	cr_assert_str_eq(fmt4(h2->routes[2].via), fmt4(lab.hosts[3].ifaces[0].addr));
	state_free(&lab);
	lab_topo_free(&t);
}

Test(plan, a_route_via_a_host_on_no_shared_segment_is_refused)
{
	const char *text = "segments:\n  lan1: {}\n  lan2: {}\n"
			   "hosts:\n"
			   "  h1: { links: [lan1], routes: [{ to: lan2, via: r1 }] }\n"
			   "  r1: { router: true, links: [lan1, lan2] }\n"
			   "  h2: { links: [lan2] }\n";
	struct lab_spec spec = up_n(0, 0);
	struct lab_topo t;
	struct lab lab;
	struct plan_input in = { .spec = &spec };

	parse_topo(text, &t);	/* topo.c refuses this too; the plan does not rely on it */
	spec.topo = &t;
	snprintf(t.routes[0].via, sizeof(t.routes[0].via), "h2");
	cr_assert_str_eq(plan(&in, &lab), "lab.yaml:5: host h1: route via 'h2': no such host on a "
		       "segment of h1");
	snprintf(t.routes[0].via, sizeof(t.routes[0].via), "h9");
	cr_assert_str_eq(plan(&in, &lab), "lab.yaml:5: host h1: route via 'h9': no such host on a "
		       "segment of h1");
	snprintf(t.routes[0].to, sizeof(t.routes[0].to), "10.9.0.0/16");
	snprintf(t.routes[0].via, sizeof(t.routes[0].via), "fd00::1");
	cr_assert_str_eq(plan(&in, &lab), "lab.yaml:5: host h1: route to '10.9.0.0/16' via 'fd00::1': "
		       "no address family in common");
	snprintf(t.routes[0].via, sizeof(t.routes[0].via), "r1");
	cr_assert_str_empty(plan(&in, &lab));
	state_free(&lab);
	lab_topo_free(&t);
}

Test(plan, id_lines_of_passwd_group_and_subuid)
{
	struct plan_ids ids;

	cr_assert_eq(plan_ids_parse("root:x:0:0:root:/root:/bin/bash\n", false, &ids), 0);
	cr_assert(ids.start == 0 && ids.count == 1);
	cr_assert_eq(plan_ids_parse("users:x:100:\n", false, &ids), 0);
	cr_assert(ids.start == 100 && ids.count == 1);
	cr_assert_eq(plan_ids_parse("alice:1000065536:131072\n", true, &ids), 0);
	cr_assert(ids.start == 1000065536ull && ids.count == 131072);
	cr_assert_eq(plan_ids_parse("# alice:100000:65536\n", true, &ids), -1);
	cr_assert_eq(plan_ids_parse("alice:100000\n", true, &ids), -1);
	cr_assert_eq(plan_ids_parse("alice:100000:0\n", true, &ids), -1);
	cr_assert_eq(plan_ids_parse("alice:x::\n", false, &ids), -1);
	cr_assert_eq(plan_ids_parse("\n", false, &ids), -1);
}

Test(plan, id_ranges_go_around_the_machines_ids_and_other_labs_hosts)
{
	struct lab_spec spec = up_n(2, 1);
	struct plan_ids ids[] = {
		{ NS_ID_BASE, 2 * NS_ID_COUNT },	/* a subuid range over slots 0 and 1 */
		{ NS_ID_BASE + 3 * NS_ID_COUNT + 7, 1 },	/* a user in slot 3 */
		{ 1000, 1 }, { 100000, 65536 },	/* below every slot: no matter */
	};
	struct other o;
	struct lab lab;
	struct plan_input in = { .spec = &spec, .others = &o.lab, .nothers = 1, .ids = ids, .nids = 4,
				 .id_seed = 0 };

	other_lab(&o, 1, "10.77.1.0/24", NS_ID_BASE + 2 * NS_ID_COUNT);	/* its host in slot 2 */
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_eq(lab.hosts[0].id_base, NS_ID_BASE + 4 * NS_ID_COUNT, "slot %u",
		     (lab.hosts[0].id_base - NS_ID_BASE) / NS_ID_COUNT);
	cr_assert_eq(lab.hosts[1].id_base, NS_ID_BASE + 5 * NS_ID_COUNT);
	cr_assert_eq(lab.hosts[2].id_base, NS_ID_BASE + 6 * NS_ID_COUNT, "the empty host too");
	state_free(&lab);

	/* from the seed's slot on, around the end */
	in.id_seed = NS_ID_SLOTS - 1;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_eq(lab.hosts[0].id_base, NS_ID_BASE + (NS_ID_SLOTS - 1) * NS_ID_COUNT);
	cr_assert_eq(lab.hosts[1].id_base, NS_ID_BASE + 4 * NS_ID_COUNT);
	state_free(&lab);
	/* an older netlab's host (id_base 0) held NS_ID_BASE: slot 0 */
	o.host.id_base = 0;
	ids[0].count = 0;
	in.id_seed = 0;
	cr_assert_str_empty(plan(&in, &lab));
	cr_assert_eq(lab.hosts[0].id_base, NS_ID_BASE + NS_ID_COUNT);
	state_free(&lab);

	/* all taken */
	ids[0] = (struct plan_ids){ NS_ID_BASE, (unsigned long long)NS_ID_SLOTS * NS_ID_COUNT };
	cr_assert(strstr(plan(&in, &lab), "no free uid/gid range for host h1"));
}
