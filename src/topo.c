/* Topology files, their grammar: segments, hosts, links, routes, limits and a host's files:,
 * sysctls: and exec:, each field checked where it is read, with its line (topo_yaml.c reads the
 * YAML and its values). */
#include "topo.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "hostsetup.h"
#include "topo_int.h"
#include "units.h"
#include "util.h"

static long find_segment(const struct lab *plan, const char *name)
{
	for (size_t i = 0; i < plan->nsegs; i++)
		if (!strcmp(plan->segs[i].name, name))
			return (long)i;
	return -1;
}

static long find_host(const struct lab *plan, const char *name)
{
	for (size_t i = 0; i < plan->nhosts; i++)
		if (!strcmp(plan->hosts[i].name, name))
			return (long)i;
	return -1;
}

static int parse_segment(struct parse *p, const yaml_node_t *key, const yaml_node_t *val,
			 bool ipv6, struct lab_segment *g)
{
	const char *name, *s;
	char what[48];
	struct lab_error *sub = NULL;

	if (ty_want_name(p, key, false, &name) < 0)
		return -1;
	util_copy(g->name, sizeof(g->name), name);
	g->has6 = ipv6;
	snprintf(what, sizeof(what), "segment %s", name);
	if (ty_is_null(val))
		return 0;
	if (ty_want_map(p, val, what) < 0)
		return -1;
	for (yaml_node_pair_t *e = val->data.mapping.pairs.start; e < val->data.mapping.pairs.top; e++) {
		const yaml_node_t *k = ty_node(p, e->key), *v = ty_node(p, e->value);
		const char *field = ty_scalar(k) ? ty_scalar(k) : "?";

		if (!strcmp(field, "subnet")) {
			if (ty_want_scalar(p, v, what, &s) < 0)
				return -1;
			if (ipv4_parse_net(s, &g->subnet, &sub) < 0)
				goto sub_fail;
		} else if (!strcmp(field, "subnet6")) {
			if (ty_want_scalar(p, v, what, &s) < 0)
				return -1;
			if (ipv6_parse_net(s, &g->subnet6, &sub) < 0)
				goto sub_fail;
		} else if (!strcmp(field, "ipv6")) {
			bool on;
			if (ty_want_bool(p, v, what, &on) < 0)
				return -1;
			g->has6 = g->has6 && on;
		} else if (!strcmp(field, "mtu")) {
			unsigned long m;
			if (ty_want_scalar(p, v, what, &s) < 0)
				return -1;
			if (util_parse_ulong(s, LAB_MTU_MIN, LAB_MTU_MAX, &m) < 0)
				return ty_fail(p, v, "%s: mtu \"%s\": expected a number of bytes from %d to %d",
					    what, s, LAB_MTU_MIN, LAB_MTU_MAX);
			g->mtu = (unsigned)m;
		} else {
			return ty_fail(p, k, "%s: unknown field \"%s\" (expected subnet, subnet6, ipv6 or "
				    "mtu)", what, field);
		}
		continue;
sub_fail:
		ty_fail(p, v, "%s: %s", what, sub->msg);
		lab_err_free(&sub);
		return -1;
	}
	if (g->mtu && g->mtu < LAB_MTU_MIN6 && g->has6)
		return ty_fail(p, val, "%s: mtu %u is below %d, which IPv6 needs: raise it, or give the "
			    "segment ipv6: false", what, g->mtu, LAB_MTU_MIN6);
	return 0;
}

static int parse_shape_field(struct parse *p, const yaml_node_t *k, const yaml_node_t *v,
			     const char *what, struct lab_shape *sh, bool *found)
{
	const char *field = ty_scalar(k), *s;
	int r = 0;

	*found = true;
	if (!strcmp(field, "rate")) {
		if (ty_want_scalar(p, v, what, &s) < 0)
			return -1;
		r = units_rate(s, &sh->rate_bps) < 0 ? ty_fail(p, v, "%s: rate \"%s\": expected a rate such "
						      "as 10mbit, 500kbit or 1gbit", what, s) : 0;
	} else if (!strcmp(field, "delay") || !strcmp(field, "jitter")) {
		if (ty_want_scalar(p, v, what, &s) < 0)
			return -1;
		r = units_time_us(s, field[0] == 'd' ? &sh->delay_us : &sh->jitter_us) < 0
			    ? ty_fail(p, v, "%s: %s \"%s\": expected a time such as 10ms", what, field, s)
			    : 0;
	} else if (!strcmp(field, "loss")) {
		if (ty_want_scalar(p, v, what, &s) < 0)
			return -1;
		r = units_percent(s, &sh->loss_percent) < 0
			    ? ty_fail(p, v, "%s: loss \"%s\": expected a percentage such as 1%%", what, s)
			    : 0;
	} else {
		*found = false;
	}
	return r;
}

/* One entry of a host's links: "lan1", or {segment: lan1, address: ..., rate: ...}. */
static int parse_link(struct parse *p, struct lab_host *h, const yaml_node_t *n)
{
	struct lab *plan = &p->t->plan;
	struct lab_iface *x = &h->ifaces[h->nifaces];
	const yaml_node_t *segnode = n, *addrnode = NULL;
	char what[48];
	const char *seg, *s;
	long gi;

	snprintf(x->name, sizeof(x->name), "eth%zu", h->nifaces);
	snprintf(what, sizeof(what), "host %s: %s", h->name, x->name);
	if (h->nifaces == LAB_IFACES_MAX)
		return ty_fail(p, n, "host %s: more than %d links", h->name, LAB_IFACES_MAX);
	if (n->type == YAML_MAPPING_NODE) {
		segnode = NULL;
		if (ty_want_map(p, n, what) < 0)
			return -1;
		for (yaml_node_pair_t *e = n->data.mapping.pairs.start; e < n->data.mapping.pairs.top; e++) {
			const yaml_node_t *k = ty_node(p, e->key), *v = ty_node(p, e->value);
			const char *field = ty_scalar(k) ? ty_scalar(k) : "?";
			bool shaping;

			if (!strcmp(field, "segment"))
				segnode = v;
			else if (!strcmp(field, "address"))
				addrnode = v;
			else if (parse_shape_field(p, k, v, what, &x->shape, &shaping) < 0)
				return -1;
			else if (!shaping)
				return ty_fail(p, k, "%s: unknown field \"%s\" (expected segment, address, "
						  "rate, delay, jitter or loss)", what, field);
		}
		if (!segnode)
			return ty_fail(p, n, "%s: which segment? (segment: NAME)", what);
	}
	if (ty_want_scalar(p, segnode, what, &seg) < 0)
		return -1;
	gi = find_segment(plan, seg);
	if (gi < 0)
		return ty_fail(p, segnode, "host %s: segment \"%s\" is not defined", h->name, seg);
	x->seg = (unsigned)gi;
	for (size_t k = 0; k < h->nifaces; k++)
		if (h->ifaces[k].seg == x->seg)
			return ty_fail(p, segnode, "host %s: linked to segment %s twice", h->name, seg);
	if (x->shape.rate_bps && (x->shape.delay_us || x->shape.jitter_us || x->shape.loss_percent > 0))
		return ty_fail(p, n, "%s: rate together with delay/jitter/loss is not supported yet: "
				  "give one of them", what);
	if (addrnode) {
		const struct lab_segment *g = &plan->segs[gi];
		uint32_t off;

		if (ty_want_scalar(p, addrnode, what, &s) < 0)
			return -1;
		if (ipv4_parse_addr(s, &x->addr) < 0)
			return ty_fail(p, addrnode, "%s: address \"%s\" is not an IPv4 address", what, s);
		if (!g->subnet.prefix)
			return ty_fail(p, addrnode, "%s: a fixed address needs a fixed subnet: give segment "
						 "%s a subnet (or leave the address out)", what, g->name);
		off = x->addr - g->subnet.addr;
		if ((x->addr & ipv4_mask(g->subnet.prefix)) != g->subnet.addr || !off ||
		    off > ipv4_capacity(g->subnet.prefix)) {
			char net[20];
			return ty_fail(p, addrnode, "%s: address %s is not a host address of segment %s "
						 "(%s)", what, s, g->name,
				    ipv4_fmt_net(&g->subnet, net, sizeof(net)));
		}
		for (size_t i = 0; i < plan->nhosts; i++)
			for (size_t k = 0; k < plan->hosts[i].nifaces; k++)
				if (plan->hosts[i].ifaces[k].seg == x->seg && plan->hosts[i].ifaces[k].addr == x->addr)
					return ty_fail(p, addrnode, "%s: address %s is already %s's", what, s,
						    plan->hosts[i].name);
	}
	h->nifaces++;
	h->networked = true;
	return 0;
}

static bool is_address(const char *s)
{
	uint32_t a4;
	uint8_t a6[16];

	return ipv4_parse_addr(s, &a4) == 0 || ipv6_parse_addr(s, a6) == 0;
}

/* {to: default | SEGMENT | PREFIX, via: HOST | ADDRESS}: checked as far as it can be before
 * addresses are picked (the rest when `up` resolves it). */
static int parse_route(struct parse *p, size_t hi, const yaml_node_t *n)
{
	struct lab *plan = &p->t->plan;
	const struct lab_host *h = &plan->hosts[hi];
	const yaml_node_t *tonode = NULL, *vianode = NULL;
	struct lab_topo_route *rt, *v;
	const char *to, *via;
	char what[48];

	snprintf(what, sizeof(what), "host %s: route", h->name);
	if (ty_want_map(p, n, what) < 0)
		return -1;
	for (yaml_node_pair_t *e = n->data.mapping.pairs.start; e < n->data.mapping.pairs.top; e++) {
		const yaml_node_t *k = ty_node(p, e->key);
		const char *field = ty_scalar(k) ? ty_scalar(k) : "?";

		if (!strcmp(field, "to"))
			tonode = ty_node(p, e->value);
		else if (!strcmp(field, "via"))
			vianode = ty_node(p, e->value);
		else
			return ty_fail(p, k, "%s: unknown field \"%s\" (expected to and via)", what, field);
	}
	if (!tonode || !vianode)
		return ty_fail(p, n, "%s: needs both to: (default, a segment or a prefix) and via: (a host "
				  "or an address)", what);
	if (ty_want_scalar(p, tonode, what, &to) < 0 || ty_want_scalar(p, vianode, what, &via) < 0)
		return -1;
	if (!h->nifaces)
		return ty_fail(p, n, "host %s has no links: it cannot have routes", h->name);
	if (strcmp(to, "default") && find_segment(plan, to) < 0) {
		struct ipv4_net n4;
		struct ipv6_net n6;
		struct lab_error *sub = NULL;
		int r = strchr(to, ':') ? ipv6_parse_prefix(to, &n6, &sub) : ipv4_parse_prefix(to, &n4, &sub);

		if (r < 0 || !strchr(to, '/')) {
			ty_fail(p, tonode, "%s: to \"%s\": not default, a segment of this file or a prefix "
					"(%s)", what, to, sub ? sub->msg : "no /length");
			lab_err_free(&sub);
			return -1;
		}
	}
	if (!is_address(via)) {
		long vi = find_host(plan, via);
		bool shared = false;

		if (vi < 0)
			return ty_fail(p, vianode, "%s: via \"%s\" is neither a host of this file nor an "
						"address", what, via);
		if ((size_t)vi == hi)
			return ty_fail(p, vianode, "%s: via itself", what);
		for (size_t a = 0; a < h->nifaces; a++)
			for (size_t b = 0; b < plan->hosts[vi].nifaces; b++)
				shared = shared || h->ifaces[a].seg == plan->hosts[vi].ifaces[b].seg;
		if (!shared)
			return ty_fail(p, vianode, "%s: via %s, but %s shares no segment with %s", what, via,
				    via, h->name);
	}
	if (p->t->nroutes >= (size_t)LAB_ROUTES_MAX * (plan->nhosts + 1))
		return ty_fail(p, n, "%s: too many routes", what);
	v = realloc(p->t->routes, (p->t->nroutes + 1) * sizeof(*v));
	if (!v)
		return lab_err(p->err, ENOMEM, "routes");
	p->t->routes = v;
	rt = &v[p->t->nroutes++];
	memset(rt, 0, sizeof(*rt));
	rt->host = hi;
	util_copy(rt->to, sizeof(rt->to), to);
	util_copy(rt->via, sizeof(rt->via), via);
	snprintf(rt->where, sizeof(rt->where), "%s:%zu", p->where, n->start_mark.line + 1);
	return 0;
}

/* pids-max: N | max, memory-max: SIZE | max (lab-wide, or a host's own). found: the key was one. */
static int parse_limit(struct parse *p, const yaml_node_t *k, const yaml_node_t *v, const char *what,
		       uint64_t *pids_max, uint64_t *memory_max, bool *found)
{
	const char *field = ty_scalar(k), *s;

	*found = !strcmp(field, "pids-max") || !strcmp(field, "memory-max");
	if (!*found)
		return 0;
	if (ty_want_scalar(p, v, what, &s) < 0)
		return -1;
	if (field[0] == 'p' && cgroup_parse_pids(s, pids_max) < 0)
		return ty_fail(p, v, "%s: pids-max \"%s\": expected a number of tasks from %u to %u, or max",
			    what, s, CGROUP_PIDS_MIN, CGROUP_PIDS_LIMIT);
	if (field[0] == 'm' && cgroup_parse_memory(s, memory_max) < 0)
		return ty_fail(p, v, "%s: memory-max \"%s\": expected a size such as 256M or 2G (at least "
				  "8M), or max", what, s);
	return 0;
}

/* [hostsetup] The setup of host hi (hostsetup.h), made on first use for every host of the file. */
static struct hostsetup_host *setup_of(struct parse *p, size_t hi)
{
	struct hostsetup *s = p->t->setup;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (s && !(s->host = calloc(p->hosts_total, sizeof(*s->host)))) {
			free(s);
			s = NULL;
		}
		if (!s) {
			lab_err(p->err, ENOMEM, "topology");
			return NULL;
		}
		s->n = p->hosts_total;
		p->t->setup = s;
	}
	return &s->host[hi];
}

/* files: DIR, relative to the file's own directory (p->where is its path). */
static int parse_files(struct parse *p, size_t hi, const yaml_node_t *v, const char *what)
{
	struct hostsetup_host *hs = setup_of(p, hi);
	const char *dir, *slash = strrchr(p->where, '/');
	struct stat st;
	char *path;

	if (!hs || ty_want_scalar(p, v, what, &dir) < 0)
		return -1;
	if (dir[0] == '/' || !slash)
		path = strdup(dir);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - p->where), p->where, dir) < 0)
		path = NULL;
	if (!path)
		return lab_err(p->err, ENOMEM, "topology");
	free(hs->files);
	hs->files = path;
	if (stat(path, &st) < 0)
		return ty_fail(p, v, "%s: files: %s: %s%s", what, path, strerror(errno),
			    errno == ENOENT && dir[0] != '/' ? " (a path relative to the topology "
							       "file's directory)" : "");
	if (!S_ISDIR(st.st_mode))
		return ty_fail(p, v, "%s: files: %s is not a directory: give a directory whose tree is "
				  "laid over the host's root", what, path);
	return 0;
}

static int parse_sysctls(struct parse *p, size_t hi, const yaml_node_t *v, const char *what)
{
	struct hostsetup_host *hs = setup_of(p, hi);
	char w[64];	/* "host NAME: sysctls" */
	size_t n;

	snprintf(w, sizeof(w), "%s: sysctls", what);
	if (!hs || ty_want_map(p, v, w) < 0)
		return -1;
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if (n > HOSTSETUP_SYSCTLS_MAX)
		return ty_fail(p, v, "%s: %zu of them, at most %d", w, n, HOSTSETUP_SYSCTLS_MAX);
	hs->sysctls = calloc(n + 1, sizeof(*hs->sysctls));
	if (!hs->sysctls)
		return lab_err(p->err, ENOMEM, "topology");
	for (yaml_node_pair_t *e = v->data.mapping.pairs.start; e < v->data.mapping.pairs.top; e++) {
		const yaml_node_t *k = ty_node(p, e->key), *val = ty_node(p, e->value);
		struct hostsetup_sysctl *sc = &hs->sysctls[hs->nsysctls];
		struct lab_error *why = NULL;
		const char *value;
		char path[320];

		if (hostsetup_sysctl_path(ty_scalar(k), path, sizeof(path), &why) < 0) {
			ty_fail(p, k, "%s: %s", w, why->msg);
			lab_err_free(&why);
			return -1;
		}
		if (ty_want_scalar(p, val, w, &value) < 0)
			return -1;
		sc->key = strdup(ty_scalar(k));
		sc->value = strdup(value);
		hs->nsysctls++;
		if (!sc->key || !sc->value)
			return lab_err(p->err, ENOMEM, "topology");
	}
	return 0;
}

static int parse_exec(struct parse *p, size_t hi, const yaml_node_t *v, const char *what)
{
	struct hostsetup_host *hs = setup_of(p, hi);
	char w[64];	/* "host NAME: exec" */
	size_t n;

	snprintf(w, sizeof(w), "%s: exec", what);
	if (!hs)
		return -1;
	if (v->type != YAML_SEQUENCE_NODE)
		return ty_fail(p, v, "%s: expected a list of commands, e.g. [\"service frr start\"]", w);
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n > HOSTSETUP_EXEC_MAX)
		return ty_fail(p, v, "%s: %zu commands, at most %d", w, n, HOSTSETUP_EXEC_MAX);
	hs->exec = calloc(n + 1, sizeof(*hs->exec));
	if (!hs->exec)
		return lab_err(p->err, ENOMEM, "topology");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const yaml_node_t *c = ty_node(p, *it);
		const char *cmd;

		if (ty_want_scalar(p, c, w, &cmd) < 0)
			return -1;
		if (!cmd[strspn(cmd, " \t\n")])
			return ty_fail(p, c, "%s: an empty command", w);
		if (strlen(cmd) >= HOSTSETUP_CMD_MAX)
			return ty_fail(p, c, "%s: a command of more than %d bytes", w, HOSTSETUP_CMD_MAX - 1);
		if (!(hs->exec[hs->nexec] = strdup(cmd)))
			return lab_err(p->err, ENOMEM, "topology");
		hs->nexec++;
	}
	return 0;
}

/* Pass 1 of a host: its name, kind and links (routes need every host's links: pass 2). */
static int parse_host(struct parse *p, const yaml_node_t *key, const yaml_node_t *val)
{
	struct lab *plan = &p->t->plan;
	struct lab_host *h = &plan->hosts[plan->nhosts];
	const char *name;
	char what[48];

	if (ty_want_name(p, key, true, &name) < 0)
		return -1;
	if (find_segment(plan, name) >= 0)
		return ty_fail(p, key, "host %s: a segment has that name too; rename one of them", name);
	util_copy(h->name, sizeof(h->name), name);
	plan->nhosts++;
	snprintf(what, sizeof(what), "host %s", name);
	if (ty_is_null(val))
		return 0;	/* no links: an empty-netns control host */
	if (ty_want_map(p, val, what) < 0)
		return -1;
	for (yaml_node_pair_t *e = val->data.mapping.pairs.start; e < val->data.mapping.pairs.top; e++) {
		const yaml_node_t *k = ty_node(p, e->key), *v = ty_node(p, e->value);
		const char *field = ty_scalar(k) ? ty_scalar(k) : "?";

		if (!strcmp(field, "router")) {
			if (ty_want_bool(p, v, what, &h->router) < 0)
				return -1;
		} else if (!strcmp(field, "links")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return ty_fail(p, v, "%s: links: expected a list, e.g. [lan1, lan2]", what);
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				if (parse_link(p, h, ty_node(p, *it)) < 0)
					return -1;
		} else if (!strcmp(field, "files")) {	/* [hostsetup] */
			if (parse_files(p, plan->nhosts - 1, v, what) < 0)
				return -1;
		} else if (!strcmp(field, "sysctls")) {
			if (parse_sysctls(p, plan->nhosts - 1, v, what) < 0)
				return -1;
		} else if (!strcmp(field, "exec")) {
			if (parse_exec(p, plan->nhosts - 1, v, what) < 0)
				return -1;
		} else if (strcmp(field, "routes")) {
			bool limit;

			if (parse_limit(p, k, v, what, &h->pids_max, &h->memory_max, &limit) < 0)
				return -1;
			if (!limit)
				return ty_fail(p, k, "%s: unknown field \"%s\" (expected links, router, routes, "
						  "pids-max, memory-max, files, sysctls or exec)", what, field);
		}
	}
	if (h->router && h->nifaces < 2)
		return ty_fail(p, key, "host %s is a router with %zu link%s: a router joins two segments "
				    "or more", name, h->nifaces, h->nifaces == 1 ? "" : "s");
	return 0;
}

static int parse_doc(struct parse *p, const yaml_node_t *root)
{
	struct lab *plan = &p->t->plan;
	const yaml_node_t *segs = NULL, *hosts = NULL;
	bool ipv6 = true;

	if (!root || ty_is_null(root))
		return ty_fail(p, root, "the file is empty: it needs at least hosts:");
	if (ty_want_map(p, root, "top level") < 0)
		return -1;
	for (yaml_node_pair_t *e = root->data.mapping.pairs.start; e < root->data.mapping.pairs.top; e++) {
		const yaml_node_t *k = ty_node(p, e->key), *v = ty_node(p, e->value);
		const char *field = ty_scalar(k) ? ty_scalar(k) : "?", *s;
		struct lab_error *sub = NULL;

		if (!strcmp(field, "name")) {
			if (ty_want_scalar(p, v, "name", &s) < 0)
				return -1;
			if (names_check_lab(s, &sub) < 0) {
				ty_fail(p, v, "name: %s", sub->msg);
				lab_err_free(&sub);
				return -1;
			}
			util_copy(plan->name, sizeof(plan->name), s);
		} else if (!strcmp(field, "ipv6")) {
			if (ty_want_bool(p, v, "ipv6", &ipv6) < 0)
				return -1;
		} else if (!strcmp(field, "routing")) {	/* static (the default) | dynamic */
			if (ty_want_scalar(p, v, "routing", &s) < 0)
				return -1;
			if (strcmp(s, "static") && strcmp(s, "dynamic"))
				return ty_fail(p, v, "routing: \"%s\": expected static (routes: lines only) or "
						  "dynamic (routing daemons in the hosts)", s);
			plan->dynamic = !strcmp(s, "dynamic");
		} else if (!strcmp(field, "segments")) {
			segs = v;
		} else if (!strcmp(field, "hosts")) {
			hosts = v;
		} else {
			bool limit;

			if (parse_limit(p, k, v, "top level", &p->t->limits.pids_max,
					&p->t->limits.memory_max, &limit) < 0)
				return -1;
			if (!limit)
				return ty_fail(p, k, "unknown field \"%s\" (expected name, ipv6, routing, segments, "
						  "hosts, pids-max or memory-max)", field);
		}
	}
	if (!segs || ty_is_null(segs))
		return ty_fail(p, root, "no segments: define at least one, e.g. \"segments: {lan: {}}\"");
	if (!hosts || ty_is_null(hosts))
		return ty_fail(p, root, "no hosts: define at least one under hosts:");
	if (ty_want_map(p, segs, "segments") < 0 || ty_want_map(p, hosts, "hosts") < 0)
		return -1;

	plan->nsegs = (size_t)(segs->data.mapping.pairs.top - segs->data.mapping.pairs.start);
	plan->nhosts = (size_t)(hosts->data.mapping.pairs.top - hosts->data.mapping.pairs.start);
	if (plan->nsegs > LAB_SEGMENTS_MAX)
		return ty_fail(p, segs, "%zu segments: at most %d", plan->nsegs, LAB_SEGMENTS_MAX);
	if (plan->nhosts > LAB_HOSTS_MAX)
		return ty_fail(p, hosts, "%zu hosts: at most %d", plan->nhosts, LAB_HOSTS_MAX);
	p->hosts_total = plan->nhosts;
	plan->segs = calloc(plan->nsegs + 1, sizeof(*plan->segs));
	plan->hosts = calloc(plan->nhosts + 1, sizeof(*plan->hosts));
	if (!plan->segs || !plan->hosts)
		return lab_err(p->err, ENOMEM, "topology");
	plan->nsegs = plan->nhosts = 0;
	for (yaml_node_pair_t *e = segs->data.mapping.pairs.start; e < segs->data.mapping.pairs.top; e++) {
		struct lab_segment *g = &plan->segs[plan->nsegs];

		if (parse_segment(p, ty_node(p, e->key), ty_node(p, e->value), ipv6, g) < 0)
			return -1;
		for (size_t i = 0; i < plan->nsegs; i++)
			if (g->subnet.prefix && plan->segs[i].subnet.prefix &&
			    ipv4_overlap(&g->subnet, &plan->segs[i].subnet))
				return ty_fail(p, ty_node(p, e->value), "segment %s: subnet overlaps segment %s's",
					    g->name, plan->segs[i].name);
		plan->nsegs++;
	}
	for (yaml_node_pair_t *e = hosts->data.mapping.pairs.start; e < hosts->data.mapping.pairs.top; e++)
		if (parse_host(p, ty_node(p, e->key), ty_node(p, e->value)) < 0)
			return -1;
	/* pass 2: routes, now that every host's links are known */
	for (size_t hi = 0; hi < plan->nhosts; hi++) {
		const yaml_node_t *val = ty_node(p, hosts->data.mapping.pairs.start[hi].value);

		if (ty_is_null(val))
			continue;
		for (yaml_node_pair_t *e = val->data.mapping.pairs.start; e < val->data.mapping.pairs.top; e++) {
			const yaml_node_t *v = ty_node(p, e->value);

			if (strcmp(ty_scalar(ty_node(p, e->key)), "routes"))
				continue;
			if (v->type != YAML_SEQUENCE_NODE)
				return ty_fail(p, v, "host %s: routes: expected a list of {to: ..., via: ...}",
					    plan->hosts[hi].name);
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				if (parse_route(p, hi, ty_node(p, *it)) < 0)
					return -1;
		}
	}
	return 0;
}

void lab_topo_free(struct lab_topo *t)
{
	state_free(&t->plan);
	free(t->routes);
	t->routes = NULL;
	t->nroutes = 0;
	hostsetup_free(t->setup);	/* [hostsetup] */
	free(t->setup);
	t->setup = NULL;
}

int topo_parse(const char *text, size_t len, const char *where, struct lab_topo *out,
	       struct lab_error **err)
{
	struct parse p = { .where = where, .t = out, .err = err };
	int r;

	memset(out, 0, sizeof(*out));
	if (ty_load(&p, text, len) < 0)
		return -1;
	r = parse_doc(&p, yaml_document_get_root_node(&p.doc));
	yaml_document_delete(&p.doc);
	if (r < 0)
		lab_topo_free(out);
	return r;
}
