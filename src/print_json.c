/* The JSON the CLI prints for `--json` (print.h); the schemas are the README's. */
#include "print.h"

#include <stdio.h>
#include <string.h>

#include "ipv4.h"
#include "ipv6.h"
#include "json.h"
#include "rootfs.h"


static void json_opt(FILE *f, const char *key, const char *value)
{
	fprintf(f, "\"%s\":", key);
	if (value && value[0])
		json_str(f, value);
	else
		fputs("null", f);
}


/* ,"live_routes":[...],"forwarding":{...},"forwarding_planned":B,"forwarding_as_planned":B */
static void print_live_json(FILE *f, const struct lab_host *h, const struct lab_host_info *in)
{
	static const char *const word[] = { "null", "false", "true" };

	fputs(",\"live_routes\":[", f);
	for (size_t k = 0; k < in->nroutes; k++) {
		const struct lab_live_route *lr = &in->routes[k];

		fprintf(f, "%s{\"to\":\"%s\",\"via\":\"%s\",\"dev\":", k ? "," : "", lr->to, lr->via);
		json_str(f, lr->dev);
		fprintf(f, ",\"planned\":%s}", lr->planned ? "true" : "false");
	}
	if (in->alive)
		fprintf(f, "],\"forwarding\":{\"ipv4\":%s,\"ipv6\":%s", word[in->forwarding4 + 1],
			word[in->forwarding6 + 1]);
	else
		fputs("],\"forwarding\":null", f);
	fprintf(f, "%s,\"forwarding_planned\":%s,\"forwarding_as_planned\":%s", in->alive ? "}" : "",
		h->router ? "true" : "false", lab_forwarding_differs(h, in) ? "false" : "true");
}


/* "id_base": root of the host outside; "limits": its cgroups' (null: none; a null limit: "max"). */
static void print_limits_json(FILE *f, const struct lab *lab, const struct lab_host *h)
{
	struct cgroup_usage u;

	fprintf(f, "\"id_base\":%u,\"limits\":", h->id_base ? h->id_base : NS_ID_BASE);
	lab_host_limits(lab, h, &u);
	if (!u.found) {
		fputs("null,", f);
		return;
	}
	fputc('{', f);
	if (u.has_pids) {
		if (u.pids_max == CGROUP_UNLIMITED)
			fputs("\"pids_max\":null,", f);
		else
			fprintf(f, "\"pids_max\":%llu,", (unsigned long long)u.pids_max);
		fprintf(f, "\"pids\":%llu%s", (unsigned long long)u.pids, u.has_memory ? "," : "");
	}
	if (u.has_memory) {
		if (u.memory_max == CGROUP_UNLIMITED)
			fputs("\"memory_max\":null,", f);
		else
			fprintf(f, "\"memory_max\":%llu,", (unsigned long long)u.memory_max);
		fprintf(f, "\"memory\":%llu", (unsigned long long)u.memory);
	}
	fputs("},", f);
}


void print_status_json(FILE *f, const struct lab *lab, const struct lab_host_info *info)
{
	char net[20], a[IPV6_TEXT], net6[IPV6_TEXT + 4];

	fputs("{\"name\":", f);
	json_str(f, lab->name);
	fprintf(f, ",\"state\":\"%s\",\"dead\":%s,\"from_file\":%s,\"segments\":[",
		lab->complete ? "up" : "building", print_lab_dead(lab, info) ? "true" : "false",
		lab->from_file ? "true" : "false");
	for (size_t g = 0; g < lab->nsegs; g++) {
		const struct lab_segment *seg = &lab->segs[g];

		fprintf(f, "%s{\"name\":\"%s\",\"bridge\":\"%s\",\"subnet\":\"%s\",", g ? "," : "",
			seg->name, seg->bridge, ipv4_fmt_net(&seg->subnet, net, sizeof(net)));
		json_opt(f, "subnet6", seg->has6 ? ipv6_fmt_net(&seg->subnet6, net6, sizeof(net6)) : NULL);
		fprintf(f, ",\"mtu\":%u}", print_seg_mtu(seg));
	}
	fputs("],\"hosts\":[", f);
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];

		fprintf(f, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"pid\":%d,\"alive\":%s,", i ? "," : "",
			h->name, !h->networked ? "empty" : h->router ? "router" : "host", (int)h->pid,
			in->alive ? "true" : "false");
		print_limits_json(f, lab, h);
		fprintf(f, "\"netns\":\"%s/%s-%s\",\"root\":\"%s\",\"interfaces\":[", LAB_NETNS_DIR,
			lab->name, h->name, lab->fs == ROOTFS_SHARED ? "shared" : "own");
		for (size_t k = 0; k < h->nifaces; k++) {
			const struct lab_iface *x = &h->ifaces[k];
			const struct lab_if_info *fi = lab_if_info_find(in, x->name);
			char *save = NULL, addrs[sizeof(fi->addrs)];
			bool first = true;

			fprintf(f, "%s{\"name\":\"%s\",\"segment\":\"%s\",\"veth\":\"%s\",\"address\":\"%s/%d\",",
				k ? "," : "", x->name, lab->segs[x->seg].name, x->veth,
				ipv4_fmt(x->addr, a, sizeof(a)), lab->segs[x->seg].subnet.prefix);
			json_opt(f, "address6", ipv6_is_zero(x->addr6) ? NULL : ipv6_fmt(x->addr6, a, sizeof(a)));
			fputc(',', f);
			json_opt(f, "mac", fi ? fi->mac : NULL);
			fprintf(f, ",\"up\":%s,\"addresses\":[", fi && fi->up ? "true" : "false");
			snprintf(addrs, sizeof(addrs), "%s", fi ? fi->addrs : "");
			for (char *t = strtok_r(addrs, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
				fprintf(f, "%s", first ? "" : ",");
				json_str(f, t);
				first = false;
			}
			fputs("],", f);
			json_opt(f, "shaping", fi ? fi->shaping : NULL);
			if (fi && fi->rate_bps)
				fprintf(f, ",\"rate_bps\":%llu", (unsigned long long)fi->rate_bps);
			else
				fputs(",\"rate_bps\":null", f);
			if (fi)	/* as found inside the host */
				fprintf(f, ",\"mtu\":%u}", fi->mtu);
			else
				fputs(",\"mtu\":null}", f);
		}
		fputs("],\"routes\":[", f);
		for (size_t k = 0; k < h->nroutes; k++) {
			const struct lab_route *rt = &h->routes[k];
			char d[IPV6_TEXT + 4], v[IPV6_TEXT];

			fprintf(f, "%s{\"to\":\"%s\",\"via\":\"%s\",\"live\":%s}", k ? "," : "",
				rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
				rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)),
				k < LAB_ROUTES_MAX && in->route_live[k] ? "true" : "false");
		}
		fputc(']', f);
		print_live_json(f, h, in);
		fputs(",\"namespaces\":{", f);
		for (int k = 0; k < NS_KINDS_ALL; k++)
			fprintf(f, "%s\"%s\":%lu", k ? "," : "", ns_kinds[k].name, in->ns[k]);
		fputs("}}", f);
	}
	fputs("]}", f);
}


static void json_row(const struct compare_row *r, bool first)
{
	printf("%s{\"namespace\":\"%s\",\"exercise\":", first ? "" : ",", r->ns);
	json_str(stdout, r->exercise);
	printf(",\"machine\":");
	json_str(stdout, r->value[0]);
	printf(",\"host\":");
	json_str(stdout, r->value[1]);
	printf(",\"other\":");
	json_str(stdout, r->value[2]);
	printf(",\"isolated\":%s,\"verdict\":\"%s\",\"no_answer\":[%s%s%s%s%s]}",
	       r->isolated ? "true" : "false", r->verdict, r->no_answer[0] ? "\"machine\"" : "",
	       r->no_answer[0] && (r->no_answer[1] || r->no_answer[2]) ? "," : "",
	       r->no_answer[1] ? "\"host\"" : "", r->no_answer[1] && r->no_answer[2] ? "," : "",
	       r->no_answer[2] ? "\"other\"" : "");
}


void print_pingall_json(const struct lab *lab, const struct pingall_result *pr)
{
	printf("{\"version\":1,\"lab\":\"%s\",\"family\":\"ipv%c\",\"pairs\":%u,\"reachable\":%u,\"expected_reachable\":%u,"
	       "\"mismatches\":%u,\"seconds\":%.3f,\"matrix\":[", lab->name, pr->v6 ? '6' : '4', pr->pairs, pr->reachable,
	       pr->expected_reachable, pr->mismatches, pr->seconds);
	for (size_t s = 0, first = 1; s < pr->n; s++)
		for (size_t d = 0; d < pr->n; d++) {
			if (s == d)
				continue;
			printf("%s{\"from\":\"%s\",\"to\":\"%s\",\"expected\":%s,\"reachable\":%s,"
			       "\"replies\":%u,\"unconfirmed\":%u}", first ? "" : ",", lab->hosts[s].name,
			       lab->hosts[d].name, pr->expected[s * pr->n + d] ? "true" : "false",
			       pr->replies[s * pr->n + d] ? "true" : "false", pr->replies[s * pr->n + d],
			       pr->unconfirmed[s * pr->n + d]);
			first = 0;
		}
	printf("]}\n");
}

void print_verify_json(const struct lab *lab, const struct check *checks, size_t n)
{
	size_t passed = 0;

	for (size_t i = 0; i < n; i++)
		passed += checks[i].pass;
	printf("{\"version\":1,\"lab\":\"%s\",\"passed\":%zu,\"failed\":%zu,\"checks\":[", lab->name,
	       passed, n - passed);
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"host\":\"%s\",\"check\":", i ? "," : "", checks[i].host);
		json_str(stdout, checks[i].what);
		printf(",\"pass\":%s,\"evidence\":", checks[i].pass ? "true" : "false");
		json_str(stdout, checks[i].evidence ? checks[i].evidence : "");
		putchar('}');
	}
	printf("]}\n");
}

void print_compare_json(const struct lab *lab, size_t host, size_t other,
			const struct compare_row *rows, size_t nrows,
			const struct compare_row *inodes, size_t ninodes)
{
	printf("{\"version\":1,\"lab\":\"%s\",\"host\":\"%s\",\"other\":", lab->name,
	       lab->hosts[host].name);
	if (other == (size_t)-1)
		printf("null");
	else
		printf("\"%s\"", lab->hosts[other].name);
	printf(",\"exercises\":[");
	for (size_t i = 0; i < nrows; i++)
		json_row(&rows[i], i == 0);
	printf("],\"inodes\":[");
	for (size_t i = 0; i < ninodes; i++)
		json_row(&inodes[i], i == 0);
	printf("]}\n");
}
