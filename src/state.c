#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns.h"
#include "rootfs.h"
#include "util.h"

#define STATE_MAGIC "netlab-state 2"

static void format_route(FILE *f, const struct lab_route *rt)
{
	char dst[IPV6_TEXT + 8], via[IPV6_TEXT];

	if (rt->v6)
		fprintf(f, "route %s %s\n", ipv6_fmt_net(&rt->dst6, dst, sizeof(dst)),
			ipv6_fmt(rt->via6, via, sizeof(via)));
	else
		fprintf(f, "route %s %s\n", ipv4_fmt_net(&rt->dst, dst, sizeof(dst)),
			ipv4_fmt(rt->via, via, sizeof(via)));
}

int state_format(const struct lab *lab, char **out, size_t *out_len, struct lab_error **err)
{
	char *buf = NULL, net[20], a[16], net6[IPV6_TEXT + 4], a6[IPV6_TEXT];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return lab_err(err, errno, "open_memstream");
	fprintf(f, "%s\nname %s\nnumber %u\nstatus %s\nbuilder %d %llu\nextra %d\nkind %s\n",
		STATE_MAGIC, lab->name, lab->number, lab->complete ? "up" : "building",
		(int)lab->builder, lab->builder_start, lab->extra_ns, lab->from_file ? "file" : "plain");
	fprintf(f, "fs %s\n", lab->fs == ROOTFS_SHARED ? "shared" : "own");
	if (lab->dynamic)	/* only then: state files of static labs stay as older netlabs wrote them */
		fputs("routing dynamic\n", f);
	fprintf(f, "segments %zu\n", lab->nsegs);
	for (size_t i = 0; i < lab->nsegs; i++) {
		const struct lab_segment *g = &lab->segs[i];
		/* the MTU only when one was given: older state files have none */
		/* a segment without addresses (noaddr): "-" for both subnets */
		fprintf(f, "segment %s %s %s %s", g->name, g->bridge,
			g->noaddr ? "-" : ipv4_fmt_net(&g->subnet, net, sizeof(net)),
			g->has6 && !g->noaddr ? ipv6_fmt_net(&g->subnet6, net6, sizeof(net6)) : "-");
		fprintf(f, g->mtu ? " %u\n" : "\n", g->mtu);
	}
	fprintf(f, "hosts %zu\n", lab->nhosts);
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];

		fprintf(f, "host %s %d %llu %s %zu %zu %u\n", h->name, (int)h->pid, h->start,
			h->router ? "router" : "host", h->nifaces, h->nroutes, h->id_base);
		for (size_t k = 0; k < h->nifaces; k++) {
			const struct lab_iface *x = &h->ifaces[k];
			fprintf(f, "iface %s %u %s %s %s\n", x->name, x->seg, ipv4_fmt(x->addr, a, sizeof(a)),
				ipv6_is_zero(x->addr6) ? "-" : ipv6_fmt(x->addr6, a6, sizeof(a6)), x->veth);
		}
		for (size_t k = 0; k < h->nroutes; k++)
			format_route(f, &h->routes[k]);
	}
	fputs("end\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return lab_err(err, ENOMEM, "format state");
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/* Next line of *p, NUL-terminated in place (text is our own copy). NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (!nl)	/* a last line without newline means a truncated file */
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

static bool ifname_ok(const char *name)
{
	struct lab_error *ignored = NULL;
	int r = names_check_ifname(name, &ignored);

	lab_err_free(&ignored);
	return r == 0;
}

static int parse_iface(const struct lab *lab, const struct lab_host *h, char *line,
		       struct lab_iface *x, struct lab_error **err)
{
	char name[20], addr[20], addr6[IPV6_TEXT + 1], veth[20], extra[2];
	unsigned seg;
	const struct lab_segment *g;

	if (sscanf(line, "iface %19s %u %19s %46s %19s %1s", name, &seg, addr, addr6, veth, extra) != 5)
		return lab_err(err, 0, "host %s: malformed iface line", h->name);
	if (!ifname_ok(name) || !ifname_ok(veth))
		return lab_err(err, 0, "host %s: bad interface name", h->name);
	util_copy(x->name, sizeof(x->name), name);
	util_copy(x->veth, sizeof(x->veth), veth);
	if (seg >= lab->nsegs)
		return lab_err(err, 0, "host %s: %s on segment %u of %zu", h->name, name, seg, lab->nsegs);
	x->seg = seg;
	g = &lab->segs[seg];
	if (g->noaddr) {	/* netlab gave it none */
		if (strcmp(addr, "0.0.0.0") || strcmp(addr6, "-"))
			return lab_err(err, 0, "host %s: an address on segment %s, which has none",
				       h->name, g->name);
		return 0;
	}
	if (ipv4_parse_addr(addr, &x->addr) < 0 ||
	    (x->addr & ipv4_mask(g->subnet.prefix)) != g->subnet.addr)
		return lab_err(err, 0, "host %s: bad address '%s'", h->name, addr);
	if (!strcmp(addr6, "-"))
		return g->has6 ? lab_err(err, 0, "host %s: no IPv6 address on %s", h->name, name) : 0;
	if (!g->has6 || ipv6_parse_addr(addr6, x->addr6) < 0 || !ipv6_in(&g->subnet6, x->addr6))
		return lab_err(err, 0, "host %s: bad IPv6 address '%s'", h->name, addr6);
	return 0;
}

static int parse_route(const struct lab_host *h, char *line, struct lab_route *rt,
		       struct lab_error **err)
{
	char dst[IPV6_TEXT + 8], via[IPV6_TEXT + 1], extra[2];
	struct lab_error *sub = NULL;
	int r;

	if (sscanf(line, "route %53s %46s %1s", dst, via, extra) != 2)
		return lab_err(err, 0, "host %s: malformed route line", h->name);
	rt->v6 = strchr(dst, ':') != NULL;
	r = rt->v6 ? ipv6_parse_prefix(dst, &rt->dst6, &sub) : ipv4_parse_prefix(dst, &rt->dst, &sub);
	lab_err_free(&sub);
	if (r < 0 || !strcmp(dst, "default") ||
	    (rt->v6 ? ipv6_parse_addr(via, rt->via6) : ipv4_parse_addr(via, &rt->via)) < 0)
		return lab_err(err, 0, "host %s: bad route '%s via %s'", h->name, dst, via);
	return 0;
}

static int parse_host(const struct lab *lab, char **p, struct lab_host *h, struct lab_error **err)
{
	char *line = next_line(p), name[64], kind[8], extra[2];
	struct lab_error *sub = NULL;
	unsigned long long start, ids = 0;
	unsigned long nif, nrt;
	long pid;
	int fields;

	/* the id base (7th field) is new: older netlabs wrote 6, and all their hosts had NS_ID_BASE */
	fields = line ? sscanf(line, "host %63s %ld %llu %7s %lu %lu %llu %1s", name, &pid, &start, kind,
			       &nif, &nrt, &ids, extra) : 0;
	if (fields != 6 && fields != 7)
		return lab_err(err, 0, "malformed host line");
	if (names_check_host(name, &sub) < 0) {	/* the file's failure, not the user's */
		lab_err(err, 0, "%s", sub->msg);
		lab_err_free(&sub);
		return -1;
	}
	util_copy(h->name, sizeof(h->name), name);
	if (pid < 0 || pid > 4194304)
		return lab_err(err, 0, "host %s: bad pid", name);
	h->pid = (pid_t)pid;
	h->start = start;
	if (ids && (ids < NS_ID_BASE || (ids - NS_ID_BASE) % NS_ID_COUNT ||
		    (ids - NS_ID_BASE) / NS_ID_COUNT >= NS_ID_SLOTS))
		return lab_err(err, 0, "host %s: bad id base %llu", name, ids);
	h->id_base = (uint32_t)ids;
	if (strcmp(kind, "host") && strcmp(kind, "router"))
		return lab_err(err, 0, "host %s: unknown kind '%s'", name, kind);
	h->router = !strcmp(kind, "router");
	if (nif > LAB_IFACES_MAX || nrt > LAB_ROUTES_MAX || (!nif && (nrt || h->router)))
		return lab_err(err, 0, "host %s: bad interface or route count", name);
	h->nifaces = nif;
	h->networked = nif > 0;
	for (size_t k = 0; k < nif; k++) {
		line = next_line(p);
		if (!line || strncmp(line, "iface ", 6))
			return lab_err(err, 0, "host %s: expected %lu iface lines", name, nif);
		if (parse_iface(lab, h, line, &h->ifaces[k], err) < 0)
			return -1;
	}
	h->routes = calloc(nrt ? nrt : 1, sizeof(*h->routes));
	if (!h->routes)
		return lab_err(err, ENOMEM, "state");
	h->nroutes = nrt;
	for (size_t k = 0; k < nrt; k++) {
		line = next_line(p);
		if (!line || strncmp(line, "route ", 6))
			return lab_err(err, 0, "host %s: expected %lu route lines", name, nrt);
		if (parse_route(h, line, &h->routes[k], err) < 0)
			return -1;
	}
	return 0;
}

static int parse_segment(char *line, struct lab_segment *g, struct lab_error **err)
{
	char name[64], bridge[20], net[24], net6[IPV6_TEXT + 8], mtu[8], extra[2];
	struct lab_error *sub = NULL;
	unsigned long m = 0;
	int n = sscanf(line, "segment %63s %19s %23s %53s %7s %1s", name, bridge, net, net6, mtu, extra);

	/* an MTU after the subnets, or none (state files before it, and the default) */
	if ((n != 4 && n != 5) || !ifname_ok(bridge) ||
	    (n == 5 && util_parse_ulong(mtu, LAB_MTU_MIN, LAB_MTU_MAX, &m) < 0))
		return lab_err(err, 0, "malformed segment line");
	if (names_check_segment(name, &sub) < 0) {	/* the file's failure, not the user's */
		lab_err(err, 0, "%s", sub->msg);
		lab_err_free(&sub);
		return -1;
	}
	g->mtu = (unsigned)m;
	util_copy(g->name, sizeof(g->name), name);
	util_copy(g->bridge, sizeof(g->bridge), bridge);
	if (!strcmp(net, "-")) {	/* noaddr: neither subnet */
		g->noaddr = true;
		if (strcmp(net6, "-"))
			return lab_err(err, 0, "segment %s: an IPv6 subnet without addresses", name);
		return 0;
	}
	if (ipv4_parse_net(net, &g->subnet, &sub) < 0 ||
	    (strcmp(net6, "-") && ipv6_parse_net(net6, &g->subnet6, &sub) < 0)) {
		lab_err_free(&sub);
		return lab_err(err, 0, "segment %s: bad subnet", name);
	}
	g->has6 = strcmp(net6, "-") != 0;
	return 0;
}

static int parse(char *p, struct lab *lab, struct lab_error **err)
{
	char *line, word[32], status[16], extra[2];
	unsigned long n;
	long builder;
	struct lab_error *sub = NULL;

	line = next_line(&p);
	if (!line || strcmp(line, STATE_MAGIC))
		return lab_err(err, 0, "not a netlab state file (or another version)");
	line = next_line(&p);
	if (!line || sscanf(line, "name %31s %1s", word, extra) != 1 || names_check_lab(word, &sub) < 0) {
		lab_err_free(&sub);
		return lab_err(err, 0, "bad name line");
	}
	util_copy(lab->name, sizeof(lab->name), word);
	line = next_line(&p);
	if (!line || sscanf(line, "number %lu %1s", &n, extra) != 1 || n < 1 || n > 65535)
		return lab_err(err, 0, "bad number line");
	lab->number = (unsigned)n;
	line = next_line(&p);
	if (!line || sscanf(line, "status %15s %1s", status, extra) != 1 ||
	    (strcmp(status, "up") && strcmp(status, "building")))
		return lab_err(err, 0, "bad status line");
	lab->complete = !strcmp(status, "up");
	line = next_line(&p);
	if (!line || sscanf(line, "builder %ld %llu %1s", &builder, &lab->builder_start, extra) != 2 ||
	    builder < 0 || builder > 4194304)
		return lab_err(err, 0, "bad builder line");
	lab->builder = (pid_t)builder;
	line = next_line(&p);
	if (!line || sscanf(line, "extra %d %1s", &lab->extra_ns, extra) != 1 ||
	    (lab->extra_ns & ~LAB_EXTRA_NS_MASK))
		return lab_err(err, 0, "bad extra line");
	line = next_line(&p);
	if (!line || sscanf(line, "kind %15s %1s", status, extra) != 1 ||
	    (strcmp(status, "plain") && strcmp(status, "file")))
		return lab_err(err, 0, "bad kind line");
	lab->from_file = !strcmp(status, "file");
	line = next_line(&p);
	/* "fs" came later: a lab recorded before it shares the machine's root */
	lab->fs = ROOTFS_SHARED;
	if (line && !strncmp(line, "fs ", 3)) {
		if (sscanf(line, "fs %15s %1s", status, extra) != 1 ||
		    (strcmp(status, "own") && strcmp(status, "shared")))
			return lab_err(err, 0, "bad fs line");
		lab->fs = !strcmp(status, "own") ? ROOTFS_OWN : ROOTFS_SHARED;
		line = next_line(&p);
	}
	/* "routing" came later still, and only for labs whose file says routing: dynamic */
	if (line && !strncmp(line, "routing ", 8)) {
		if (sscanf(line, "routing %15s %1s", status, extra) != 1 || strcmp(status, "dynamic") ||
		    !lab->from_file)
			return lab_err(err, 0, "bad routing line");
		lab->dynamic = true;
		line = next_line(&p);
	}
	if (!line || sscanf(line, "segments %lu %1s", &n, extra) != 1 || n > LAB_SEGMENTS_MAX)
		return lab_err(err, 0, "bad segments line");
	lab->segs = calloc(n ? n : 1, sizeof(*lab->segs));
	if (!lab->segs)
		return lab_err(err, ENOMEM, "state");
	lab->nsegs = n;
	for (size_t i = 0; i < n; i++) {
		line = next_line(&p);
		if (!line || strncmp(line, "segment ", 8))
			return lab_err(err, 0, "expected %lu segment lines, found %zu", n, i);
		if (parse_segment(line, &lab->segs[i], err) < 0)
			return -1;
	}
	line = next_line(&p);
	if (!line || sscanf(line, "hosts %lu %1s", &n, extra) != 1 || n > LAB_HOSTS_MAX + LAB_EMPTY_MAX)
		return lab_err(err, 0, "bad hosts line");
	lab->hosts = calloc(n ? n : 1, sizeof(*lab->hosts));
	if (!lab->hosts)
		return lab_err(err, ENOMEM, "state");
	lab->nhosts = n;
	for (size_t i = 0; i < n; i++) {
		if (parse_host(lab, &p, &lab->hosts[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(lab->hosts[j].name, lab->hosts[i].name))
				return lab_err(err, 0, "host %s listed twice", lab->hosts[i].name);
	}
	line = next_line(&p);
	if (!line || strcmp(line, "end") || *p)
		return lab_err(err, 0, "missing end line (truncated file?)");
	return 0;
}

int state_parse(const char *text, const char *where, struct lab *out, struct lab_error **err)
{
	char *copy = strdup(text);
	struct lab lab = { 0 };
	int r;

	if (!copy)
		return lab_err(err, ENOMEM, "state");
	r = parse(copy, &lab, err);
	free(copy);
	if (r < 0) {
		state_free(&lab);
		return lab_err_wrap(err, "state file %s is corrupt", where);
	}
	*out = lab;
	return 0;
}

void state_free(struct lab *lab)
{
	for (size_t i = 0; lab->hosts && i < lab->nhosts; i++)
		free(lab->hosts[i].routes);
	free(lab->segs);
	lab->segs = NULL;
	lab->nsegs = 0;
	free(lab->hosts);
	lab->hosts = NULL;
	lab->nhosts = 0;
}
