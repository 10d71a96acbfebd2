/* Planning a lab, under the /run/netlab lock: its hosts and interfaces, a lab number and subnets
 * free among the other labs and the machine's routes, addresses, routes, uid/gid ranges. */
#include "lab_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "topo.h"
#include "util.h"

/* What the lab will be, before any address is known: from the topology file, or h1..hN on one
 * segment plus e1..eM. Names of bridges and veths follow. */
int plan_hosts(struct up *u, struct lab_error **err)
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
		lab->dynamic = topo->dynamic;	/* routing: dynamic (routing) */
		memcpy(lab->segs, topo->segs, lab->nsegs * sizeof(*lab->segs));
		for (size_t i = 0; i < lab->nhosts; i++) {
			lab->hosts[i] = topo->hosts[i];
			lab->hosts[i].routes = NULL;	/* resolved later, once addresses are known */
			lab->hosts[i].nroutes = 0;
		}
		for (size_t g = 0; g < lab->nsegs; g++)
			if (seg_bridge_name(lab->name, lab->segs[g].name, lab->segs[g].bridge, err) < 0)
				return lab_err_wrap(err, "segment %s (use a shorter lab name)", lab->segs[g].name);
		for (size_t g = 0; g < lab->nsegs; g++)	/* --mtu: segments without an mtu: */
			if (!lab->segs[g].mtu)
				lab->segs[g].mtu = s->mtu;
	} else {
		struct lab_segment *g = &lab->segs[0];

		snprintf(g->name, sizeof(g->name), "lan");
		if (seg_bridge_name(lab->name, NULL, g->bridge, err) < 0)
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
			if (veth_name(lab->name, h->name, k, h->ifaces[k].veth, err) < 0)
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
int allocate(struct up *u, struct lab_error **err)
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
int assign_addresses(struct lab *lab, struct lab_error **err)
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
int resolve_routes(struct up *u, struct lab_error **err)
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
int allocate_ids(struct up *u, struct lab_error **err)
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
