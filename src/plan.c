/* Planning a lab (plan.h): its hosts and interfaces, a lab number and subnets free among the other
 * labs and the machine's routes, addresses, routes, uid/gid ranges. A function of its inputs: no
 * I/O here (up.c: reserve gathers them). */
#include "plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "lab_int.h"
#include "topo.h"
#include "util.h"

/* What the lab will be, before any address is known: from the topology file, or h1..hN on one
 * segment plus e1..eM. Its bridges and veths are named once it has a number (name_links). */
static int plan_hosts(const struct lab_spec *s, struct lab *lab, struct lab_error **err)
{
	const struct lab *topo = s->topo ? &s->topo->plan : NULL;

	lab->nsegs = topo ? topo->nsegs : 1;
	lab->nhosts = topo ? topo->nhosts : s->hosts + s->empty;
	lab->segs = calloc(lab->nsegs, sizeof(*lab->segs));
	lab->hosts = calloc(lab->nhosts, sizeof(*lab->hosts));
	if (!lab->segs || !lab->hosts)
		return lab_err(err, ENOMEM, "plan lab");
	if (topo) {
		lab->from_file = true;
		lab->dynamic = topo->dynamic;	/* routing: dynamic (routing) */
		memcpy(lab->segs, topo->segs, lab->nsegs * sizeof(*lab->segs));
		for (size_t i = 0; i < lab->nhosts; i++) {
			lab->hosts[i] = topo->hosts[i];
			lab->hosts[i].routes = NULL;	/* resolved later, once addresses are known */
			lab->hosts[i].nroutes = 0;
		}
		for (size_t g = 0; g < lab->nsegs; g++)	/* --mtu: segments without an mtu: */
			if (!lab->segs[g].mtu)
				lab->segs[g].mtu = s->mtu;
	} else {
		struct lab_segment *g = &lab->segs[0];

		snprintf(g->name, sizeof(g->name), "lan");
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
	for (size_t g = 0; g < lab->nsegs; g++)
		if (lab_seg_bridges(lab, g) > LAB_SEG_BRIDGES_MAX)
			return lab_err(err, E2BIG, "segment %s: %zu hosts, at most %d",
				       lab->segs[g].name, lab_seg_ports(lab, g), LAB_HOSTS_MAX);
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
	struct ipv4_net *v4;
	struct ipv6_net *v6;

	if (g->noaddr)	/* takes no prefix */
		return 0;
	v4 = realloc(t->v4, (t->n4 + 1) * sizeof(*v4));
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

/* Does a route of the machine overlap addr/prefix? 1 and "10.99.5.0/24 dev eth1" in desc, or 0. */
static int route_clash(const struct plan_input *in, int family, const void *addr, int prefix,
		       char *desc, size_t len)
{
	const struct nets_prefix *rt = nets_prefix_clash(in->routes, in->nroutes, family, addr, prefix);
	char a[IPV6_TEXT];

	if (!rt)
		return 0;
	inet_ntop(family, rt->addr, a, sizeof(a));
	snprintf(desc, len, "%s/%d dev %s", a, rt->prefix, rt->dev);
	return 1;
}

static int route4_clash(const struct plan_input *in, const struct ipv4_net *net, char *desc,
			size_t len)
{
	uint32_t be = htonl(net->addr);

	return route_clash(in, AF_INET, &be, net->prefix, desc, len);
}

/* The subnet(s) of one segment: given ones are checked against every other lab and the machine's
 * routes, missing ones are the first free block of 10.77.0.0/16 (IPv6: fd4e:4c00:LAB:SEG::/64). */
static int allocate_segment(const struct plan_input *in, struct lab *lab, size_t gi,
			    const struct taken *t, struct lab_error **err)
{
	struct lab_segment *g = &lab->segs[gi];
	bool given = g->subnet.prefix != 0, plain = !in->spec->topo;
	const char *opt = plain ? "another --subnet" : "another subnet";
	char desc[96], text[20], text6[IPV6_TEXT + 4], what[64];

	snprintf(what, sizeof(what), plain ? "subnet" : "segment %s: subnet", g->name);
	if (g->has6) {
		if (!g->subnet6.prefix)
			ipv6_lab_net(lab->number, (unsigned)gi + 1, &g->subnet6);
		for (size_t i = 0; i < t->n6; i++)
			if (ipv6_overlap(&g->subnet6, &t->v6[i]))
				return lab_err(err, 0, "%s %s overlaps %s of another lab: choose %s%s", what,
					       ipv6_fmt_net(&g->subnet6, text6, sizeof(text6)),
					       ipv6_fmt_net(&t->v6[i], desc, sizeof(desc)),
					       plain ? "another --subnet6" : "another subnet6",
					       plain ? " (or --no-ipv6)" : "");
		if (route_clash(in, AF_INET6, g->subnet6.addr, 64, desc, sizeof(desc)))
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
		if (route4_clash(in, &g->subnet, desc, sizeof(desc)))
			return lab_err(err, 0, "%s %s overlaps the route %s on this machine: choose %s",
				       what, ipv4_fmt_net(&g->subnet, text, sizeof(text)), desc, opt);
		return 0;
	}
	/* a /24 at least: room for students to add hosts */
	g->subnet.prefix = plain ? ipv4_prefix_for(in->spec->hosts) : 24;
	if (g->subnet.prefix > 24)
		g->subnet.prefix = 24;
	for (uint32_t a = 0x0a4d0100; a < 0x0a4e0000; a += 1u << (32 - g->subnet.prefix)) {
		bool clash = false;

		g->subnet.addr = a & ipv4_mask(g->subnet.prefix);
		if (g->subnet.addr < 0x0a4d0100)
			continue;
		for (size_t i = 0; i < t->n4 && !clash; i++)
			clash = ipv4_overlap(&g->subnet, &t->v4[i]);
		if (!clash && !route4_clash(in, &g->subnet, desc, sizeof(desc)))
			return 0;
	}
	return lab_err(err, 0, "no free subnet left in 10.77.0.0/16: give one with %s",
		       plain ? "--subnet" : "subnet:");
}

/* Pick a lab number and subnets no other lab and no route of the machine uses, and a number no
 * interface on the machine has in its name or netdevice group: one left by a lab whose state is
 * gone, or someone's own "nl5-x", would clash with the names (kobj.c) or the group (the lab's
 * nftables rules) of the lab. */
static int allocate(const struct plan_input *in, struct lab *lab, struct lab_error **err)
{
	_cleanup_free_ unsigned char *used = calloc(65536, 1);
	struct taken t = { 0 };
	int r = 0;

	if (!used)
		return lab_err(err, ENOMEM, "allocate");
	for (size_t i = 0; i < in->nlink_numbers; i++)
		if (in->link_numbers[i] < 65536)
			used[in->link_numbers[i]] = 1;
	for (size_t i = 0; i < in->nothers && r == 0; i++) {
		const struct lab *other = &in->others[i];

		if (other->number < 65536)
			used[other->number] = 1;
		for (size_t g = 0; g < other->nsegs && r == 0; g++)
			if (taken_add(&t, &other->segs[g]) < 0)
				r = lab_err(err, ENOMEM, "allocate");
	}
	for (lab->number = 1; r == 0 && lab->number < 65536 && used[lab->number]; lab->number++)
		;
	if (r == 0 && lab->number >= 65536)
		r = lab_err(err, 0, "too many labs are up");
	/* given subnets first, so that picked ones go around them */
	for (int pass = 0; pass < 2 && r == 0; pass++)
		for (size_t g = 0; g < lab->nsegs && r == 0; g++) {
			if ((lab->segs[g].subnet.prefix != 0) != (pass == 0) || lab->segs[g].noaddr)
				continue;
			r = allocate_segment(in, lab, g, &t, err);
			if (r == 0 && taken_add(&t, &lab->segs[g]) < 0)
				r = lab_err(err, ENOMEM, "allocate");
		}
	free(t.v4);
	free(t.v6);
	return r < 0 ? r : 0;
}

/* Addresses: given ones stay, the others take the lowest free host numbers of their segment, in
 * the order the hosts come. IPv6 addresses use the same host number in the segment's /64. */
static int assign_addresses(struct lab *lab, struct lab_error **err)
{
	for (size_t g = 0; g < lab->nsegs; g++) {
		const struct lab_segment *seg = &lab->segs[g];
		uint32_t cap = ipv4_capacity(seg->subnet.prefix), next = 1, want = 0;
		_cleanup_free_ unsigned char *used = NULL;
		char net[20];

		if (seg->noaddr)	/* the lab's own startup files address it */
			continue;
		used = calloc(cap + 2, 1);
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
		if (want > cap)
			return lab_err(err, 0, "%s %s holds %u hosts, not %u: use a larger one",
				       lab->from_file ? "segment's subnet" : "subnet",
				       ipv4_fmt_net(&seg->subnet, net, sizeof(net)), cap, want);
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
static int resolve_routes(const struct lab_topo *topo, struct lab *lab, struct lab_error **err)
{
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

/* Slots k of NS_ID_BASE + k * NS_ID_COUNT that ids a or more (n of them) overlap. */
static void mark_ids(unsigned char *used, unsigned long long a, unsigned long long n)
{
	if (!n || n > 1ull << 32 || a > 1ull << 32 || a + n <= NS_ID_BASE)
		return;
	for (unsigned long long k = a < NS_ID_BASE ? 0 : (a - NS_ID_BASE) / NS_ID_COUNT;
	     k <= (a + n - 1 - NS_ID_BASE) / NS_ID_COUNT && k < NS_ID_SLOTS; k++)
		used[k] = 1;
}

int plan_ids_parse(const char *line, bool subordinate, struct plan_ids *out)
{
	const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *end;

	if (!c2 || line[0] == '#')
		return -1;
	out->count = 1;
	out->start = strtoull(subordinate ? c1 + 1 : c2 + 1, &end, 10);
	if (end == (subordinate ? c1 + 1 : c2 + 1))
		return -1;
	if (subordinate && ((out->count = strtoull(c2 + 1, &end, 10)) == 0 || end == c2 + 1))
		return -1;
	return 0;
}

/* A distinct uid/gid range for each host (ns.h), so that no two hosts, of this lab or of any other,
 * are the same user outside: free slots (no host of another lab up holds them, no user, group or
 * subordinate range of this machine overlaps them), consecutive from a random one (in->id_seed).
 * Not the lowest: the kernel frees some of a user's things lazily (the keys of a host that is gone
 * count against its uid's key quota for minutes), so a range just freed is better not handed out
 * again at once. Recorded in the state, freed when the state goes (`down`, `clean`). */
static int allocate_ids(const struct plan_input *in, struct lab *lab, struct lab_error **err)
{
	_cleanup_free_ unsigned char *used = calloc(NS_ID_SLOTS, 1);
	size_t k = in->id_seed % NS_ID_SLOTS, seen = 0;

	if (!used)
		return lab_err(err, ENOMEM, "allocate ids");
	for (size_t i = 0; i < in->nothers; i++) {
		const struct lab *other = &in->others[i];

		for (size_t h = 0; h < other->nhosts; h++)	/* 0: an older netlab's NS_ID_BASE */
			mark_ids(used, other->hosts[h].id_base ? other->hosts[h].id_base : NS_ID_BASE, 1);
	}
	for (size_t i = 0; i < in->nids; i++)
		mark_ids(used, in->ids[i].start, in->ids[i].count);
	for (size_t i = 0; i < lab->nhosts; i++) {
		for (; seen < NS_ID_SLOTS && used[k]; seen++)
			k = (k + 1) % NS_ID_SLOTS;
		if (seen == NS_ID_SLOTS)
			return lab_err(err, EUSERS, "no free uid/gid range for host %s: at most %u hosts "
						    "(of all labs) can be up at once", lab->hosts[i].name,
				       NS_ID_SLOTS);
		used[k] = 1;
		lab->hosts[i].id_base = NS_ID_BASE + (uint32_t)k * NS_ID_COUNT;
	}
	return 0;
}

int lab_plan(const struct plan_input *in, struct lab *out, struct lab_error **err)
{
	const struct lab_spec *s = in->spec;
	struct lab lab = { 0 };

	util_copy(lab.name, sizeof(lab.name), s->name);
	lab.extra_ns = s->extra_ns;
	lab.fs = s->fs;
	/* in the order a user fixes them: names, subnets, ids, addresses, routes */
	if (plan_hosts(s, &lab, err) < 0 || allocate(in, &lab, err) < 0 || name_links(&lab, err) < 0 ||
	    allocate_ids(in, &lab, err) < 0 || assign_addresses(&lab, err) < 0 ||
	    resolve_routes(s->topo, &lab, err) < 0) {
		state_free(&lab);
		return -1;
	}
	*out = lab;
	return 0;
}
