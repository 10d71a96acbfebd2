/* The text the CLI prints for each command's result (print.h). Host-made text is escaped. */
#include "print.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hostsetup.h"
#include "ipv4.h"
#include "ipv6.h"
#include "kathara_lab.h"
#include "output.h"
#include "rootfs.h"
#include "units.h"

static const char *const ns_word[] = { "user", "mnt", "pid", "net", "uts", "ipc" };

bool print_lab_dead(const struct lab *lab, const struct lab_host_info *info)
{
	if (!lab->complete || !lab->nhosts)
		return false;
	for (size_t i = 0; i < lab->nhosts; i++)
		if (info[i].alive)
			return false;
	return true;
}

unsigned print_seg_mtu(const struct lab_segment *g)
{
	return g->mtu ? g->mtu : LAB_MTU_DEFAULT;
}


/* "10.77.1.1/24 fd4e:4c00:1:1::1/64": an interface's planned addresses; on a segment where netlab
 * planned none (a Kathará lab's), those it has live (in: read after the startups), but for
 * link-local ones, or "(its own)" when it has none yet or could not be read. */
static const char *iface_addrs(const struct lab *lab, const struct lab_iface *x,
			       const struct lab_host_info *in, char *buf, size_t len)
{
	const struct lab_if_info *fi = in && in->alive ? lab_if_info_find(in, x->name) : NULL;
	char a[IPV6_TEXT];
	size_t n = 0;
	int m;

	if (lab->segs[x->seg].noaddr) {
		buf[0] = '\0';
		for (const char *p = fi ? fi->addrs : ""; *p; p += strspn(p, " ")) {
			size_t l = strcspn(p, " ");

			if (strncmp(p, "fe80:", 5) && n + l + 2 < len) {
				m = snprintf(buf + n, len - n, "%s%.*s", n ? " " : "", (int)l, p);
				n += m > 0 ? (size_t)m : 0;
			}
			p += l;
		}
		if (!n)
			snprintf(buf, len, "(its own)");
		return out_safe(buf);
	}
	m = snprintf(buf, len, "%s/%d", ipv4_fmt(x->addr, a, sizeof(a)),
		     lab->segs[x->seg].subnet.prefix);

	if (!ipv6_is_zero(x->addr6) && m > 0 && (size_t)m < len)
		snprintf(buf + m, len - (size_t)m, " %s/64", ipv6_fmt(x->addr6, a, sizeof(a)));
	return buf;
}


static const char *segment_nets(const struct lab_segment *g, char *buf, size_t len)
{
	char net[20], net6[IPV6_TEXT + 4];

	if (g->noaddr) {
		snprintf(buf, len, "no addresses of netlab's");
		return buf;
	}
	snprintf(buf, len, "%s%s%s", ipv4_fmt_net(&g->subnet, net, sizeof(net)), g->has6 ? ", " : "",
		 g->has6 ? ipv6_fmt_net(&g->subnet6, net6, sizeof(net6)) : "");
	return buf;
}


/* " (and nl1-b1-2..nl1-b1-8 joined to it)" when a segment's hosts are spread over bridges */
static const char *more_bridges(const struct lab *lab, size_t g, char *buf, size_t len)
{
	size_t n = lab_seg_bridges(lab, g);
	char first[IFNAMSIZ], last[IFNAMSIZ];

	buf[0] = '\0';
	if (n > 1 && lab_bridge_name(&lab->segs[g], 1, "", first, NULL) == 0 &&
	    lab_bridge_name(&lab->segs[g], n - 1, "", last, NULL) == 0)
		snprintf(buf, len, " (and %s%s%s joined to it)", n > 2 ? first : "", n > 2 ? ".." : "",
			 last);
	return buf;
}

/* The HOST column: as wide as the longest host name, at least 6 */
static int host_col(const struct lab *lab)
{
	size_t w = 6;

	for (size_t i = 0; i < lab->nhosts; i++)
		if (strlen(lab->hosts[i].name) > w)
			w = strlen(lab->hosts[i].name);
	return (int)w;
}


/* The segments of a topology lab, one line each (a plain lab's one bridge is in its title). */
static void print_segments(const struct lab *lab)
{
	char nets[96];

	if (!lab->from_file)
		return;
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t ports = lab_seg_ports(lab, g);
		char more[64];

		printf("  segment %-6s bridge %-15s %s, %zu port%s%s\n", lab->segs[g].name,
		       lab->segs[g].bridge, segment_nets(&lab->segs[g], nets, sizeof(nets)), ports,
		       ports == 1 ? "" : "s", more_bridges(lab, g, more, sizeof(more)));
	}
}


/* info: as print_up's (NULL: the plan's roles) */
static void print_title(const struct lab *lab, const struct lab_host_info *info, const char *state,
			const char *tail, bool segments)
{
	unsigned nets = 0, empties = 0, routers = 0;
	char nets_text[96];

	for (size_t i = 0; i < lab->nhosts; i++) {
		lab->hosts[i].networked ? nets++ : empties++;
		routers += lab->hosts[i].networked &&
			   lab_host_is_router(lab, &lab->hosts[i], info ? &info[i] : NULL);
	}
	if (lab->from_file)
		printf("lab \"%s\" %s: %u host%s (%u router%s) + %u empty on %zu segment%s%s\n", lab->name,
		       state, nets, nets == 1 ? "" : "s", routers, routers == 1 ? "" : "s", empties,
		       lab->nsegs, lab->nsegs == 1 ? "" : "s", tail);
	else
	{
		char more[64];

		printf("lab \"%s\" %s: %u host%s + %u empty on bridge %s%s (%s)%s\n", lab->name,
		       state, nets, nets == 1 ? "" : "s", empties, lab->segs[0].bridge,
		       more_bridges(lab, 0, more, sizeof(more)),
		       segment_nets(&lab->segs[0], nets_text, sizeof(nets_text)), tail);
	}
	if (segments)
		print_segments(lab);
}


/* Commands to go on with, that work as printed: netlab as it was invoked, and LAB/HOST and
 * `down LAB` when another lab is up (a bare host name is then ambiguous). */
static void print_next(const struct lab *lab)
{
	const char *self = cli_self();
	struct lab_error *err = NULL;
	char **names = NULL, first[64], last[64];
	size_t count = 0;
	bool alone, dflt = !strcmp(lab->name, LAB_DEFAULT_NAME);

	if (lab_names(&names, &count, &err) < 0)
		lab_err_free(&err);
	lab_names_free(names, count);
	alone = count <= 1;
	snprintf(first, sizeof(first), "%s%s%s", alone ? "" : lab->name, alone ? "" : "/",
		 lab->nhosts ? lab->hosts[0].name : "h1");
	snprintf(last, sizeof(last), "%s%s%s", alone ? "" : lab->name, alone ? "" : "/",
		 lab->nhosts ? lab->hosts[lab->nhosts - 1].name : "e1");
	printf("Next: %s shell %s | %s exec %s -- ip addr | %s status | %s down%s%s\n", self, first,
	       self, last, self, self, alone && dflt ? "" : " ", alone && dflt ? "" : lab->name);
}


void print_up(const struct lab *lab, const struct lab_host_info *info, const struct lab_timing *t,
	      bool quiet)
{
	char a[128], tail[32];
	int w = host_col(lab);

	snprintf(tail, sizeof(tail), ", %.0f ms", (double)t->total / 1e6);
	print_title(lab, info, "up", tail, !quiet);
	if (quiet)
		return;
	printf("  %-*s %-8s %-4s %-34s %s\n", w, "HOST", "PID", "IF", "ADDRESSES", "NAMESPACES");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];

		printf("  %-*s %-8d %-4s %-34s uts ipc pid mnt user net%s%s%s\n", w, h->name, (int)h->pid,
		       h->nifaces ? h->ifaces[0].name : "-",
		       h->nifaces ? iface_addrs(lab, &h->ifaces[0], info ? &info[i] : NULL, a, sizeof(a)) : "-",
		       lab->extra_ns & LAB_NS_CGROUP ? " cgroup" : "",
		       lab->extra_ns & LAB_NS_TIME ? " time" : "",
		       h->networked ? (lab_host_is_router(lab, h, info ? &info[i] : NULL) ? " (router)" : "")
				    : " (empty netns)");
		for (size_t k = 1; k < h->nifaces; k++)
			printf("  %-*s %-8s %-4s %s\n", w, "", "", h->ifaces[k].name,
			       iface_addrs(lab, &h->ifaces[k], info ? &info[i] : NULL, a, sizeof(a)));
	}
	print_next(lab);
}


/* "; forwarding (router)" as planned; what the kernel says, marked, when it is not. A host that
 * configures itself had no plan: what the kernel says, unmarked, and "(router)" when it is one. */
static const char *forwarding_text(const struct lab *lab, const struct lab_host *h,
				   const struct lab_host_info *in, char *buf, size_t len)
{
	static const char *const word[] = { "?", "off", "on" };

	if (lab_host_self_configured(lab, h)) {
		snprintf(buf, len, "; forwarding IPv4 %s, IPv6 %s%s", word[in->forwarding4 + 1],
			 word[in->forwarding6 + 1], lab_host_is_router(lab, h, in) ? " (router)" : "");
		return buf;
	}
	if (!lab_forwarding_differs(lab, h, in))
		return h->router ? "; forwarding (router)" : "";
	snprintf(buf, len, "; forwarding IPv4 %s, IPv6 %s: NOT AS PLANNED (%s)", word[in->forwarding4 + 1],
		 word[in->forwarding6 + 1], h->router ? "a router forwards" : "a host does not forward");
	return buf;
}


/* The routes the host has, read from inside it, then the planned ones it lacks. */
static void print_live_routes(const struct lab *lab, const struct lab_host *h,
			      const struct lab_host_info *in)
{
	for (size_t k = 0; k < in->nroutes; k++) {
		const struct lab_live_route *lr = &in->routes[k];

		/* with dynamic routing, the daemons' routes are the plan; a host that configures
		 * itself had none */
		printf("  %-6s route %s via %s%s%s%s\n", "", lr->to, lr->via, lr->dev[0] ? " dev " : "",
		       out_safe(lr->dev), lr->planned || lab->dynamic || lab_host_self_configured(lab, h)
						  ? "" : "  NOT PLANNED");
	}
	if (in->routes_more)
		printf("  %-6s (more routes than the %d shown)\n", "", LAB_LIVE_ROUTES_MAX);
	for (size_t k = 0; k < h->nroutes && k < LAB_ROUTES_MAX; k++) {
		const struct lab_route *rt = &h->routes[k];
		char d[IPV6_TEXT + 4], v[IPV6_TEXT];

		if (in->route_live[k])
			continue;
		printf("  %-6s route %s via %s  MISSING (planned, not in the kernel)\n", "",
		       rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
		       rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)));
	}
}


/* "ids 1000065536+65536, pids 3/512, memory 1.2M/512M" */
static void print_limits_text(const struct lab *lab, const struct lab_host *h)
{
	struct cgroup_usage u;
	char a[24], b[24];

	printf("  %-6s ids %u+%u", "", h->id_base ? h->id_base : NS_ID_BASE, NS_ID_COUNT);
	lab_host_limits(lab, h, &u);
	if (u.has_pids) {
		cgroup_fmt(u.pids_max, false, b, sizeof(b));
		printf(", pids %llu/%s", (unsigned long long)u.pids, b);
	}
	if (u.has_memory) {
		cgroup_fmt(u.memory, true, a, sizeof(a));
		cgroup_fmt(u.memory_max, true, b, sizeof(b));
		printf(", memory %s/%s", a, b);
	}
	printf("%s\n", u.found ? "" : ", no limits (no cgroup)");
}


void print_status(const struct lab *lab, const struct lab_host_info *info)
{
	char tail[32];
	int w = host_col(lab);
	char dead[160];

	snprintf(tail, sizeof(tail), ", %zu hosts", lab->nhosts);
	/* every host gone (killed, or the machine's PIDs reused after a reboot): the lab is only
	 * state and links now, and says how to remove it */
	snprintf(dead, sizeof(dead), "dead (no host is running: 'netlab down %s' or 'netlab clean' "
		 "removes what is left)", lab->name);
	print_title(lab, info, !lab->complete ? "being built (or its netlab up died: netlab clean)"
			 : print_lab_dead(lab, info) ? dead : "up", tail, true);
	printf("  MTU");
	for (size_t g = 0; g < lab->nsegs; g++)
		printf("%s %s %u", g ? "," : "", lab->segs[g].name, print_seg_mtu(&lab->segs[g]));
	putchar('\n');
	if (lab_self_configured(lab))	/* [kathara] */
		printf("  addresses and routes: the lab's own (startup files, routing daemons): netlab "
		       "planned none, so what follows is as the hosts have it, unmarked; every host "
		       "should reach every address of every other\n");
	else if (lab->dynamic)
		printf("  routing dynamic: the hosts' routing daemons make the routes; every host should "
		       "reach every address of every other\n");
	printf("  %-*s %-8s %-6s %-4s %-18s %s\n", w, "HOST", "PID", "STATE", "IF", "MAC", "ADDRESSES");
	for (size_t i = 0; i < lab->nhosts; i++) {
		const struct lab_host *h = &lab->hosts[i];
		const struct lab_host_info *in = &info[i];

		for (size_t k = 0; k < (h->nifaces ? h->nifaces : 1); k++) {
			const struct lab_if_info *fi = h->nifaces ? lab_if_info_find(in, h->ifaces[k].name) : NULL;

			if (k == 0)
				printf("  %-*s %-8d %-6s ", w, h->name, (int)h->pid,
				       in->alive ? "alive" : "DEAD");
			else
				printf("  %-*s %-8s %-6s ", w, "", "", "");
			printf("%-4s %-18s %s%s\n", h->nifaces ? h->ifaces[k].name : "-",
			       fi && fi->mac[0] ? out_safe(fi->mac) : "-",
			       !in->alive ? "-" : fi ? (fi->addrs[0] ? out_safe(fi->addrs) : "no address")
				       : h->nifaces ? "MISSING" : "(empty netns: lo only)",
			       fi && !fi->up ? " (down)" : "");
			if (fi && fi->shaping[0])
				printf("  %-*s %-8s %-6s %-4s shaping: %s\n", w, "", "", "", "",
				       out_safe(fi->shaping));
			if (fi && fi->mtu != print_seg_mtu(&lab->segs[h->ifaces[k].seg]))
				printf("  %-*s %-8s %-6s %-4s MTU %u, not the segment's %u\n", w, "", "", "", "",
				       fi->mtu, print_seg_mtu(&lab->segs[h->ifaces[k].seg]));
		}
		if (in->alive) {
			char fwd[160];

			printf("  %-6s links: %s%s; %s\n", "", out_safe(in->links),
			       forwarding_text(lab, h, in, fwd, sizeof(fwd)), rootfs_mode_text(lab->fs));
			print_limits_text(lab, h);
			print_live_routes(lab, h, in);
			printf("  %-6s ns", "");
			for (int k = 0; k < NS_KINDS; k++)
				printf(" %s:%lu", ns_word[k], in->ns[k]);
			for (int k = NS_KINDS; k < NS_KINDS_ALL; k++)
				if (lab->extra_ns & ns_kinds[k].flag)
					printf(" %s:%lu", ns_kinds[k].name, in->ns[k]);
			putchar('\n');
		}
	}
}


void print_shape(const struct lab_host *h, size_t iface, const struct lab_shape *shape)
{
	const struct lab_iface *x = &h->ifaces[iface];
	char rate[32];

	if (shape->clear)
		printf("%s: shaping cleared on %s and %s\n", h->name, x->name, x->veth);
	else if (shape->rate_bps)
		printf("%s: rate %s in both directions (%s and %s)\n", h->name,
		       units_rate_fmt(shape->rate_bps, rate, sizeof(rate)), x->name, x->veth);
	else
		printf("%s: delay %u us, jitter %u us, loss %g%% in both directions (%s and %s)\n",
		       h->name, shape->delay_us, shape->jitter_us, shape->loss_percent, x->name, x->veth);
}

void print_neigh_note(const struct pingall_result *pr)
{
	/* a full mesh larger than the kernel's (machine-wide) neighbour table cannot all answer */
	if (!pr->neigh_limit || pr->neigh_needed <= pr->neigh_limit)
		return;
	fprintf(stderr,
		"netlab: note: all pairs of this lab need %u ARP entries at once, more than the kernel's "
		"limit net.ipv4.neigh.default.gc_thresh3=%u (one table for all namespaces); pairs beyond "
		"it may fail. To raise it: sysctl -w net.ipv4.neigh.default.gc_thresh3=%u "
		"net.ipv4.neigh.default.gc_thresh2=%u\n",
		pr->neigh_needed, pr->neigh_limit, pr->neigh_needed * 2, pr->neigh_needed);
}

void print_pingall(const struct lab *lab, const struct pingall_result *pr)
{
	size_t n = pr->n;

	printf("pingall lab \"%s\"%s: %u/%u pairs reachable (%u expected), %s, %.3f s\n", lab->name,
	       pr->v6 ? " over IPv6" : "", pr->reachable, pr->pairs, pr->expected_reachable,
	       pr->mismatches ? "NOT as expected" : "as expected", pr->seconds);
	if (n <= 16) {
		int w = host_col(lab) > 7 ? host_col(lab) : 7;	/* a column per host, as wide as */

		printf("  %-*s", w, "from\\to");	/* its name, at least 5 */
		for (size_t d = 0; d < n; d++)
			printf(" %-5s", lab->hosts[d].name);
		putchar('\n');
		for (size_t s = 0; s < n; s++) {
			printf("  %-*s", w, lab->hosts[s].name);
			for (size_t d = 0; d < n; d++) {
				bool got = pr->replies[s * n + d], exp = pr->expected[s * n + d];
				int pad = (int)strlen(lab->hosts[d].name) - 5;

				printf(" %s%*s", s == d ? "-    " : got == exp ? (got ? GREEN("ok   ") : "x    ")
						 : got ? RED("YES! ") : RED("NO!  "), pad > 0 ? pad : 0, "");
			}
			putchar('\n');
		}
		printf("  ok: reachable, x: unreachable as expected (%s), NO!/YES!: not as "
		       "expected\n", lab->from_file ? "no route, or an empty host" : "empty host");
	}
	/* replies that came from somewhere else than the destination: not counted, named */
	for (size_t s = 0; s < n; s++)
		for (size_t d = 0; d < n; d++)
			if (s != d && !pr->replies[s * n + d] && pr->unconfirmed[s * n + d])
				printf("  %s -> %s: a reply came, but the request never reached %s "
				       "(answered inside %s, or by another host): not counted\n",
				       lab->hosts[s].name, lab->hosts[d].name, lab->hosts[d].name,
				       lab->hosts[s].name);
	for (size_t s = 0; n > 16 && s < n; s++)
		for (size_t d = 0; d < n; d++)
			if (s != d && (pr->replies[s * n + d] > 0) != pr->expected[s * n + d])
				printf("  %s -> %s: %s\n", lab->hosts[s].name, lab->hosts[d].name,
				       pr->expected[s * n + d] ? "unreachable, expected reachable"
							       : "reachable, expected unreachable");
}

void print_wait(const struct lesson_wait *w, int wait_ms)
{
	if (wait_ms && w->converged)
		printf("converged after %.1f s (%u tr%s)\n", w->seconds, w->tries, w->tries == 1 ? "y" : "ies");
	else if (wait_ms)
		printf("not converged within %g s (%u tr%s, %.1f s)\n", wait_ms / 1e3, w->tries,
		       w->tries == 1 ? "y" : "ies", w->seconds);
}

void print_verify(const struct check *checks, size_t n)
{
	size_t passed = 0;

	for (size_t i = 0; i < n; i++) {
		char *ev = out_escape_dup(checks[i].evidence);	/* whole: no buffer to cut it */

		passed += checks[i].pass;
		printf("%s  %-4s %-36s %s\n", checks[i].pass ? GREEN("PASS") : RED("FAIL"),
		       checks[i].host, checks[i].what, ev ? ev : "(out of memory)");
		free(ev);
	}
	printf("%zu passed, %zu failed\n", passed, n - passed);
}

static void print_row(const struct compare_row *r, int exw)
{
	printf("%-6s %-*.*s %-17.17s %-17.17s %-17.17s %s\n", r->ns, exw, exw, r->exercise,
	       out_safe(r->value[0]), out_safe(r->value[1]), out_safe(r->value[2]),
	       r->isolated ? GREEN("isolated") : strstr(r->verdict, "not requested") ? r->verdict
								 : RED("SHARED"));
}

void print_compare(const struct lab *lab, size_t host, size_t other, const struct compare_row *rows,
		   size_t nrows, const struct compare_row *inodes, size_t ninodes)
{
	const char *oname = other == (size_t)-1 ? "-" : lab->hosts[other].name;
	char hn[64];

	printf("compare %s (lab \"%s\") with the real machine and %s%s\n", lab->hosts[host].name,
	       lab->name, oname, other != (size_t)-1 && !lab->hosts[other].networked
					? " (empty netns)" : "");
	printf("(the machine's message queue count includes one netlab made for this report)\n\n");
	snprintf(hn, sizeof(hn), "%s", lab->hosts[host].name);
	printf("%-6s %-14s %-17s %-17s %-17s %s\n", "NS", "EXERCISE", "REAL MACHINE", hn, oname,
	       "VERDICT");
	for (size_t i = 0; i < nrows; i++)
		print_row(&rows[i], 14);
	printf("\n%-6s %-14s %-17s %-17s %-17s %s\n", "NS", "INODE OF", "REAL MACHINE", hn, oname,
	       "VERDICT");
	for (size_t i = 0; i < ninodes; i++)
		print_row(&inodes[i], 14);
}

bool print_no_answer(const struct lab *lab, size_t host, size_t other,
		     const struct compare_row *rows, size_t nrows)
{
	bool any = false;

	/* a host whose command hung: named, and the report is not a pass */
	for (int w = 0; w < 3; w++)
		for (size_t i = 0; i < nrows; i++) {
			if (!rows[i].no_answer[w])
				continue;
			fprintf(stderr, "netlab: %s%s did not answer '%s' within %d s: shown as 'no answer'%s\n",
				w == 0 ? "the real machine" : "host ",
				w == 0 ? "" : lab->hosts[w == 1 ? host : other].name, rows[i].exercise,
				LESSON_CMD_TIMEOUT_MS / 1000,
				i + 1 < nrows ? ", and its later exercises were not run" : "");
			any = true;
			break;
		}
	return any;
}

size_t print_doctor(const struct doctor_line *lines, size_t n)
{
	static const char *const word[] = { "ok  ", "warn", "FAIL" };
	size_t counts[3] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const char *w = word[lines[i].level];
		counts[lines[i].level]++;
		printf("  %s  %-17s %s\n",
		       !cli_colour() ? w : lines[i].level == DOCTOR_OK ? GREEN("ok  ")
					 : lines[i].level == DOCTOR_FAIL ? RED("FAIL") : YELLOW("warn"),
		       lines[i].what, lines[i].detail);
	}
	printf("doctor: %zu ok, %zu warning%s, %zu failure%s%s\n", counts[0], counts[1],
	       counts[1] == 1 ? "" : "s", counts[2], counts[2] == 1 ? "" : "s",
	       counts[2] ? ": netlab up will not work until the FAIL lines are fixed" : "");
	return counts[2];
}

void print_host_text(FILE *f, const char *buf, size_t len, const char *indent)
{
	for (size_t i = 0; i < len;) {
		size_t end = i;

		while (end < len && buf[end] != '\n')
			end++;
		fputs(indent, f);
		for (size_t j = i; j < end;) {
			size_t k = j;
			char part[1024];

			while (k < end && buf[k] != '\0' && buf[k] != '\t' && k - j < sizeof(part) - 8)
				k++;
			/* cut where a UTF-8 character starts, so that none is split in two escapes */
			while (k < end && k > j + 1 && ((unsigned char)buf[k] & 0xc0) == 0x80)
				k--;
			memcpy(part, buf + j, k - j);
			part[k - j] = '\0';
			fputs(out_safe(part), f);
			if (k < end && (buf[k] == '\0' || buf[k] == '\t'))
				fputs(buf[k++] ? "\t" : "\\x00", f);
			j = k;
		}
		fputc('\n', f);
		i = end + 1;
	}
}

/* A step that exited 127 because a command is missing ("line 6: iptables: command not found", as
 * bash and dash say it): hosts run the machine's software, so say which Debian package gives it.
 * Quagga's init script ("/etc/init.d/zebra: not found") gets FRR's way instead. */
static void print_missing_software(const struct hostsetup_failure *f)
{
	static const struct {
		const char *command, *package;
	} known[] = {
		{ "iptables", "iptables" }, { "iptables-legacy", "iptables" }, { "ip6tables", "iptables" },
		{ "ifconfig", "net-tools" }, { "route", "net-tools" }, { "arp", "net-tools" },
		{ "netstat", "net-tools" }, { "brctl", "bridge-utils" }, { "tcpdump", "tcpdump" },
		{ "traceroute", "traceroute" }, { "dig", "bind9-dnsutils" }, { "nslookup", "bind9-dnsutils" },
		{ "host", "bind9-host" }, { "named", "bind9" }, { "curl", "curl" }, { "wget", "wget" },
		{ "links", "links" }, { "nc", "netcat-openbsd" }, { "telnet", "telnet" },
		{ "ethtool", "ethtool" }, { "iperf3", "iperf3" }, { "hping3", "hping3" },
		{ "vtysh", "frr" }, { "radvd", "radvd" }, { "dnsmasq", "dnsmasq" }, { "apache2", "apache2" },
		{ "nginx", "nginx-light" }, { "ovs-vsctl", "openvswitch-switch" }, { "bird", "bird2" },
	};
	/* bash, dash, and bash on a path ("/etc/init.d/zebra: No such file or directory") */
	static const char *const said[] = { ": command not found", ": not found",
					    ": No such file or directory" };
	const char *end = NULL, *start;
	char name[64];

	if (f->timed_out || f->status != 127)
		return;
	for (size_t k = 0; k < sizeof(said) / sizeof(said[0]) && !end; k++)
		for (const char *p = f->tail; (p = strstr(p, said[k])); p++)
			end = p;
	if (!end)
		return;
	for (start = end; start > f->tail && start[-1] != ' ' && start[-1] != '\n'; start--)
		;
	snprintf(name, sizeof(name), "%.*s", (int)(end - start), start);
	if (!strcmp(name, "/etc/init.d/zebra") || !strcmp(name, "/etc/init.d/quagga")) {
		fprintf(stderr, "netlab: %s is Quagga's, which Debian 12 does not ship: FRR replaced it "
				"(systemctl start frr, its configuration in /etc/frr)\n", name);
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i].command)) {
			fprintf(stderr, "netlab: %s is not installed on this machine, whose software the "
					"hosts run: apt-get install %s\n", name, known[i].package);
			return;
		}
	fprintf(stderr, "netlab: %s is not installed on this machine, whose software the hosts run: "
			"install the Debian package that has it\n", out_safe(name));
}

void print_setup_failure(const struct hostsetup_failure *f, const char *lab)
{
	const char *self = cli_self();

	if (!f->failed)
		return;
	if (f->kept && f->timed_out)	/* as the error of a rollback says it */
		fprintf(stderr, "netlab: host %s: exec: command %zu of %zu, '%s', did not exit within "
				"%.3g s: killed, with what it started\n", f->host, f->index, f->count,
			out_safe(f->command), f->timeout_ms / 1000.0);
	else if (f->kept)
		fprintf(stderr, "netlab: host %s: exec: command %zu of %zu, '%s', exited with status "
				"%d\n", f->host, f->index, f->count, out_safe(f->command), f->status);
	if (f->tail[0])
		fprintf(stderr, "netlab: its last lines:\n");
	print_host_text(stderr, f->tail, strlen(f->tail), "  | ");
	print_missing_software(f);
	if (f->kept)
		fprintf(stderr, "netlab: lab \"%s\" is kept (--keep-on-error): the rest of the exec: "
				"commands did not run; see '%s logs %s/%s', end it with '%s down %s'\n",
			lab, self, lab, f->host, self, lab);
	else
		fprintf(stderr, "netlab: the lab was rolled back (up --keep-on-error keeps it)\n");
}

/* --- [kathara] up DIR --- */

void print_kathara_plan(const struct kathara_lab *lab, const struct kathara_plan *plan,
			const char *dir, bool quiet)
{
	const char *const keys[] = { "Description", "Version", "Author", "Email", "Web" };
	const char *const vals[] = { lab->description, lab->version, lab->author, lab->email,
				     lab->web };

	if (!quiet) {
		printf("Kathara lab %s: %zu devices, %zu collision domains\n", out_safe(dir),
		       plan->nhosts, plan->nsegs);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (vals[i])
				printf("  %-12s %s\n", keys[i], out_safe(vals[i]));
	}
	for (size_t i = 0; i < plan->nnotes; i++)
		printf("note: %s\n", out_safe(plan->notes[i]));
	fflush(stdout);
}

void print_kathara_refusal(const struct kathara_plan *plan, const char *const *missing,
			   size_t nmissing)
{
	for (size_t i = 0; i < plan->nrefusals; i++)
		fprintf(stderr, "netlab: %s\n", out_safe(plan->refusals[i]));
	if (nmissing) {
		fprintf(stderr, "netlab: this machine lacks what the lab's images imply:\n");
		for (size_t i = 0; i < nmissing; i++)
			fprintf(stderr, "  %s\n", out_safe(missing[i]));
		fprintf(stderr, "netlab: install with: apt-get install");
		for (size_t i = 0; i < nmissing; i++)
			fprintf(stderr, " %.*s", (int)strcspn(missing[i], " "), out_safe(missing[i]));
		fputc('\n', stderr);
	}
	fprintf(stderr, "netlab: nothing was created\n");
}

void print_startup_failure(const struct hostsetup_failure *f, const char *lab)
{
	const char *self = cli_self();

	if (!f->failed)
		return;
	fprintf(stderr, "netlab: warning: device %s: startup step %zu of %zu, '%s', %s", f->host,
		f->index, f->count, out_safe(f->command), f->timed_out ? "did not exit in time" : "");
	if (!f->timed_out)
		fprintf(stderr, "exited with status %d", f->status);
	fputc('\n', stderr);
	if (f->tail[0])
		fprintf(stderr, "netlab: its last lines:\n");
	print_host_text(stderr, f->tail, strlen(f->tail), "  | ");
	print_missing_software(f);
	if (f->others)
		fprintf(stderr, "netlab: %zu more startup step%s failed\n", f->others,
			f->others == 1 ? "" : "s");
	fprintf(stderr, "netlab: lab \"%s\" is up all the same, as in Kathara; see '%s logs %s/%s'\n",
		lab, self, lab, f->host);
}

void print_about(const char *about)
{
	char *copy = strdup(about ? about : ""), *save = NULL;

	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		size_t k = strcspn(l, " ");

		if (!l[k])
			continue;
		l[k] = '\0';
		printf("  %-12s %s\n", !strcmp(l, "kathara") ? "Kathara lab" : l, out_safe(l + k + 1));
	}
	free(copy);
}
