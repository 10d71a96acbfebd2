/* The JSON of `--json` (print.h), built with json-c: every string escaped by it, keys in the order
 * the README's schemas give them, printed as one line. */
#include "print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ipv4.h"
#include "ipv6.h"
#include "output.h"
#include "rootfs.h"

/* A json-c allocation failed while the document was built: print_json says so instead. */
static bool oom;

struct json_object *print_json_string(const char *s)
{
	struct json_object *o;
	char *fixed;

	if (out_utf8_valid(s))
		return json_object_new_string(s);
	if (!(fixed = out_utf8_dup(s)))
		return NULL;
	o = json_object_new_string(fixed);
	free(fixed);
	return o;
}

static struct json_object *new_obj(void)
{
	struct json_object *o = json_object_new_object();

	oom |= !o;
	return o;
}

static struct json_object *new_arr(void)
{
	struct json_object *o = json_object_new_array();

	oom |= !o;
	return o;
}

/* o[key] = v, which this takes; v NULL is a failed allocation. Keys are literals, each added once. */
static struct json_object *add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!o || !v || json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
								 JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
		json_object_put(v);
		oom = true;
		return NULL;
	}
	return v;
}

static void add_null(struct json_object *o, const char *key)
{
	if (!o || json_object_object_add_ex(o, key, NULL, JSON_C_OBJECT_ADD_KEY_IS_NEW |
							    JSON_C_OBJECT_KEY_IS_CONSTANT) < 0)
		oom = true;
}

static void push(struct json_object *a, struct json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		oom = true;
	}
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	add(o, key, print_json_string(s));
}

/* A string, or null when there is none (NULL or ""). */
static void add_opt(struct json_object *o, const char *key, const char *s)
{
	if (s && s[0])
		add_str(o, key, s);
	else
		add_null(o, key);
}

static void add_bool(struct json_object *o, const char *key, bool b)
{
	add(o, key, json_object_new_boolean(b));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	add(o, key, json_object_new_int64(v));
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	add(o, key, json_object_new_uint64(v));
}

int print_json(struct json_object *doc)
{
	struct lab_error *err = NULL;
	const char *text = doc && !oom ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;

	if (text)
		puts(text);
	json_object_put(doc);
	oom = false;
	if (text)
		return EXIT_OK;
	lab_err(&err, 0, "out of memory (building the JSON output)");
	return cli_fail(&err);
}

/* --- status --- */

/* "id_base": root of the host outside; "limits": its cgroups' (null: none; a null limit: "max"). */
static void limits_json(struct json_object *o, const struct lab *lab, const struct lab_host *h)
{
	struct json_object *l;
	struct cgroup_usage u;

	add_int(o, "id_base", h->id_base ? h->id_base : NS_ID_BASE);
	lab_host_limits(lab, h, &u);
	if (!u.found) {
		add_null(o, "limits");
		return;
	}
	l = add(o, "limits", new_obj());
	if (u.has_pids) {
		if (u.pids_max == CGROUP_UNLIMITED)
			add_null(l, "pids_max");
		else
			add_u64(l, "pids_max", u.pids_max);
		add_u64(l, "pids", u.pids);
	}
	if (u.has_memory) {
		if (u.memory_max == CGROUP_UNLIMITED)
			add_null(l, "memory_max");
		else
			add_u64(l, "memory_max", u.memory_max);
		add_u64(l, "memory", u.memory);
	}
}

/* An interface as planned, and as found inside the host (fi NULL: not found). */
static struct json_object *iface_json(const struct lab *lab, const struct lab_iface *x,
				      const struct lab_if_info *fi)
{
	struct json_object *o = new_obj(), *addrs;
	char a[IPV6_TEXT + 4], buf[sizeof(fi->addrs)], *save = NULL;

	add_str(o, "name", x->name);
	add_str(o, "segment", lab->segs[x->seg].name);
	add_str(o, "veth", x->veth);
	snprintf(buf, sizeof(buf), "%s/%d", ipv4_fmt(x->addr, a, sizeof(a)), lab->segs[x->seg].subnet.prefix);
	add_opt(o, "address", lab->segs[x->seg].noaddr ? NULL : buf);	/* noaddr: null */
	add_opt(o, "address6", ipv6_is_zero(x->addr6) ? NULL : ipv6_fmt(x->addr6, a, sizeof(a)));
	add_opt(o, "mac", fi ? fi->mac : NULL);
	add_bool(o, "up", fi && fi->up);
	addrs = add(o, "addresses", new_arr());
	snprintf(buf, sizeof(buf), "%s", fi ? fi->addrs : "");
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		push(addrs, print_json_string(t));
	add_opt(o, "shaping", fi ? fi->shaping : NULL);
	if (fi && fi->rate_bps)
		add_u64(o, "rate_bps", fi->rate_bps);
	else
		add_null(o, "rate_bps");
	if (fi)	/* as found inside the host */
		add_int(o, "mtu", fi->mtu);
	else
		add_null(o, "mtu");
	return o;
}

/* "routes" as planned, "live_routes" as the host has them, forwarding against the plan; for a host
 * that configures itself (a Kathará device) nothing was planned: "planned" and
 * "forwarding_planned" are null. */
static void routes_json(struct json_object *o, const struct lab *lab, const struct lab_host *h,
			const struct lab_host_info *in)
{
	struct json_object *a = add(o, "routes", new_arr()), *fwd;
	bool own = lab_host_self_configured(lab, h);

	for (size_t k = 0; k < h->nroutes; k++) {
		const struct lab_route *rt = &h->routes[k];
		struct json_object *r = new_obj();
		char d[IPV6_TEXT + 4], v[IPV6_TEXT];

		add_str(r, "to", rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)));
		add_str(r, "via", rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)));
		add_bool(r, "live", k < LAB_ROUTES_MAX && in->route_live[k]);
		push(a, r);
	}
	a = add(o, "live_routes", new_arr());
	for (size_t k = 0; k < in->nroutes; k++) {
		struct json_object *r = new_obj();

		add_str(r, "to", in->routes[k].to);
		add_str(r, "via", in->routes[k].via);
		add_str(r, "dev", in->routes[k].dev);
		if (own)
			add_null(r, "planned");
		else
			add_bool(r, "planned", in->routes[k].planned);
		push(a, r);
	}
	if (!in->alive) {
		add_null(o, "forwarding");
	} else {
		fwd = add(o, "forwarding", new_obj());
		if (in->forwarding4 < 0)
			add_null(fwd, "ipv4");
		else
			add_bool(fwd, "ipv4", in->forwarding4);
		if (in->forwarding6 < 0)
			add_null(fwd, "ipv6");
		else
			add_bool(fwd, "ipv6", in->forwarding6);
	}
	if (own)
		add_null(o, "forwarding_planned");
	else
		add_bool(o, "forwarding_planned", h->router);
	add_bool(o, "forwarding_as_planned", !lab_forwarding_differs(lab, h, in));
}

static struct json_object *host_json(const struct lab *lab, const struct lab_host *h,
				     const struct lab_host_info *in)
{
	struct json_object *o = new_obj(), *a;
	char netns[64];

	add_str(o, "name", h->name);
	add_str(o, "kind", !h->networked ? "empty" : lab_host_is_router(lab, h, in) ? "router" : "host");
	add_int(o, "pid", h->pid);
	add_bool(o, "alive", in->alive);
	limits_json(o, lab, h);
	snprintf(netns, sizeof(netns), "%s/%s-%s", LAB_NETNS_DIR, lab->name, h->name);
	add_str(o, "netns", netns);
	add_str(o, "root", lab->fs == ROOTFS_SHARED ? "shared" : "own");
	a = add(o, "interfaces", new_arr());
	for (size_t k = 0; k < h->nifaces; k++)
		push(a, iface_json(lab, &h->ifaces[k], lab_if_info_find(in, h->ifaces[k].name)));
	routes_json(o, lab, h, in);
	a = add(o, "namespaces", new_obj());
	for (int k = 0; k < NS_KINDS_ALL; k++)
		add_u64(a, ns_kinds[k].name, in->ns[k]);
	return o;
}

struct json_object *print_status_json_start(void)
{
	struct json_object *doc = new_obj();

	add_int(doc, "version", 2);
	add(doc, "labs", new_arr());
	return doc;
}

void print_status_json_add(struct json_object *doc, const struct lab *lab,
			   const struct lab_host_info *info)
{
	struct json_object *labs = NULL, *o = new_obj(), *a;
	char net[20], net6[IPV6_TEXT + 4];

	add_str(o, "name", lab->name);
	add_str(o, "state", lab->complete ? "up" : "building");
	add_bool(o, "dead", print_lab_dead(lab, info));
	add_bool(o, "from_file", lab->from_file);
	add_str(o, "routing", lab->dynamic ? "dynamic" : "static");
	a = add(o, "segments", new_arr());
	for (size_t g = 0; g < lab->nsegs; g++) {
		const struct lab_segment *seg = &lab->segs[g];
		struct json_object *s = new_obj();

		add_str(s, "name", seg->name);
		add_str(s, "bridge", seg->bridge);
		add_opt(s, "subnet", seg->noaddr ? NULL : ipv4_fmt_net(&seg->subnet, net, sizeof(net)));
		add_opt(s, "subnet6", seg->has6 ? ipv6_fmt_net(&seg->subnet6, net6, sizeof(net6)) : NULL);
		add_int(s, "mtu", print_seg_mtu(seg));
		push(a, s);
	}
	a = add(o, "hosts", new_arr());
	for (size_t i = 0; i < lab->nhosts; i++)
		push(a, host_json(lab, &lab->hosts[i], &info[i]));
	if (doc)
		json_object_object_get_ex(doc, "labs", &labs);
	push(labs, o);
}

/* --- pingall, verify, compare --- */

struct json_object *print_pingall_json(const struct lab *lab, const struct pingall_result *pr)
{
	struct json_object *doc = new_obj(), *m;
	char secs[32];
	size_t n = pr->n;

	add_int(doc, "version", 1);
	add_str(doc, "lab", lab->name);
	add_str(doc, "family", pr->v6 ? "ipv6" : "ipv4");
	add_int(doc, "pairs", pr->pairs);
	add_int(doc, "reachable", pr->reachable);
	add_int(doc, "expected_reachable", pr->expected_reachable);
	add_int(doc, "mismatches", pr->mismatches);
	snprintf(secs, sizeof(secs), "%.3f", pr->seconds);
	add(doc, "seconds", json_object_new_double_s(pr->seconds, secs));
	m = add(doc, "matrix", new_arr());
	for (size_t s = 0; s < n; s++)
		for (size_t d = 0; d < n; d++) {
			struct json_object *p;

			if (s == d)
				continue;
			p = new_obj();
			add_str(p, "from", lab->hosts[s].name);
			add_str(p, "to", lab->hosts[d].name);
			add_bool(p, "expected", pr->expected[s * n + d]);
			add_bool(p, "reachable", pr->replies[s * n + d]);
			add_int(p, "replies", pr->replies[s * n + d]);
			add_int(p, "unconfirmed", pr->unconfirmed[s * n + d]);
			push(m, p);
		}
	return doc;
}

void print_wait_json(struct json_object *doc, const struct lesson_wait *w, int wait_ms)
{
	struct json_object *o;
	char secs[32];

	if (!wait_ms) {
		add_null(doc, "wait");
		return;
	}
	o = add(doc, "wait", new_obj());
	snprintf(secs, sizeof(secs), "%.3f", wait_ms / 1e3);
	add(o, "limit", json_object_new_double_s(wait_ms / 1e3, secs));
	add_bool(o, "converged", w->converged);
	snprintf(secs, sizeof(secs), "%.3f", w->seconds);
	add(o, "seconds", json_object_new_double_s(w->seconds, secs));
	add_int(o, "tries", w->tries);
}

struct json_object *print_verify_json(const struct lab *lab, const struct check *checks, size_t n)
{
	struct json_object *doc = new_obj(), *a;
	size_t passed = 0;

	for (size_t i = 0; i < n; i++)
		passed += checks[i].pass;
	add_int(doc, "version", 1);
	add_str(doc, "lab", lab->name);
	add_int(doc, "passed", (int64_t)passed);
	add_int(doc, "failed", (int64_t)(n - passed));
	a = add(doc, "checks", new_arr());
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = new_obj();

		add_str(c, "host", checks[i].host);
		add_str(c, "check", checks[i].what);
		add_bool(c, "pass", checks[i].pass);
		add_str(c, "evidence", checks[i].evidence ? checks[i].evidence : "");
		push(a, c);
	}
	return doc;
}

static struct json_object *row_json(const struct compare_row *r)
{
	static const char *const column[] = { "machine", "host", "other" };
	struct json_object *o = new_obj(), *a;

	add_str(o, "namespace", r->ns);
	add_str(o, "exercise", r->exercise);
	for (int k = 0; k < 3; k++)
		add_str(o, column[k], r->value[k]);
	add_bool(o, "isolated", r->isolated);
	add_str(o, "verdict", r->verdict);
	a = add(o, "no_answer", new_arr());
	for (int k = 0; k < 3; k++)
		if (r->no_answer[k])
			push(a, print_json_string(column[k]));
	return o;
}

struct json_object *print_compare_json(const struct lab *lab, size_t host, size_t other,
				       const struct compare_row *rows, size_t nrows,
				       const struct compare_row *inodes, size_t ninodes)
{
	struct json_object *doc = new_obj(), *a;

	add_int(doc, "version", 1);
	add_str(doc, "lab", lab->name);
	add_str(doc, "host", lab->hosts[host].name);
	add_opt(doc, "other", other == (size_t)-1 ? NULL : lab->hosts[other].name);
	a = add(doc, "exercises", new_arr());
	for (size_t i = 0; i < nrows; i++)
		push(a, row_json(&rows[i]));
	a = add(doc, "inodes", new_arr());
	for (size_t i = 0; i < ninodes; i++)
		push(a, row_json(&inodes[i]));
	return doc;
}
