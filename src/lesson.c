#include "lesson.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>
#include <unistd.h>

#include "ipv4.h"
#include "ipv6.h"
#include "lab.h"
#include "ns.h"
#include "ping.h"
#include "reach.h"
#include "util.h"

/* ------------------------------------------------------------------------------------ pingall */

bool lesson_has_ipv6(const struct lab *lab)
{
	for (size_t g = 0; g < lab->nsegs; g++)
		if (lab->segs[g].has6)
			return true;
	return false;
}

bool lesson_noaddr(const struct lab *lab)
{
	for (size_t g = 0; g < lab->nsegs; g++)
		if (lab->segs[g].noaddr)
			return true;
	return false;
}

/* [kathara] The first address of the family that interface x of host h has now (netlab gave it
 * none), neither loopback nor link-local. false when it has none. */
static bool live_addr(const struct lab_host_info *info, const struct lab_iface *x, bool v6,
		      uint32_t *a4, uint8_t a6[16])
{
	const struct lab_if_info *fi = lab_if_info_find(info, x->name);
	char buf[sizeof(fi->addrs)], *save = NULL;

	if (!fi)
		return false;
	snprintf(buf, sizeof(buf), "%s", fi->addrs);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		t[strcspn(t, "/")] = '\0';
		if (!v6 && ipv4_parse_addr(t, a4) == 0 && (*a4 >> 24) != 127 && (*a4 >> 16) != 0xa9fe)
			return true;
		if (v6 && ipv6_parse_addr(t, a6) == 0 && !(a6[0] == 0xfe && (a6[1] & 0xc0) == 0x80))
			return true;
	}
	return false;
}

/* Is interface k of host h up inside it, as far as can be told (a dead host's, or one that
 * cannot be read: yes, so that its addresses are pinged and found unreachable)? */
static bool iface_up(const struct lab_host *h, const struct lab_host_info *info, size_t k)
{
	const struct lab_if_info *fi;

	if (!info->alive)
		return true;
	fi = lab_if_info_find(info, h->ifaces[k].name);
	return !fi || fi->up;
}

/* The addresses pingall pings (see struct pingall_result), into out->addr_host/addr_iface. */
static int pick_addresses(const struct lab *lab, bool v6, struct pingall_result *out,
			  struct lab_error **err)
{
	size_t n = lab->nhosts, cap = 0;
	struct lab_host_info *info = NULL;

	for (size_t i = 0; i < n; i++)
		cap += lab->dynamic ? lab->hosts[i].nifaces : 1;
	out->addr_host = calloc(cap + 1, sizeof(*out->addr_host));
	out->addr_iface = calloc(cap + 1, sizeof(*out->addr_iface));
	out->live4 = calloc(cap + 1, sizeof(*out->live4));
	out->live6 = calloc(cap + 1, 16);
	if (!out->addr_host || !out->addr_iface || !out->live4 || !out->live6)
		return lab_err(err, ENOMEM, "pingall");
	if (!lab->dynamic) {
		for (size_t i = 0; i < n; i++)
			out->addr_host[i] = i;
		out->naddrs = n;
		return 0;
	}
	info = malloc(sizeof(*info));
	if (!info)
		return lab_err(err, ENOMEM, "pingall");
	for (size_t i = 0; i < n; i++) {
		const struct lab_host *h = &lab->hosts[i];
		struct lab_error *ignored = NULL;

		if (!h->networked)
			continue;
		if (lab_host_info(h, info, &ignored) < 0) {	/* unreadable: take them all */
			lab_err_free(&ignored);
			info->alive = false;
		}
		for (size_t k = 0; k < h->nifaces; k++) {
			size_t a = out->naddrs;

			if (lab->segs[h->ifaces[k].seg].noaddr) {
				/* [kathara] its live address, if it has one */
				if (!info->alive || !iface_up(h, info, k) ||
				    !live_addr(info, &h->ifaces[k], v6, &out->live4[a], &out->live6[a * 16]))
					continue;
			} else if ((v6 && ipv6_is_zero(h->ifaces[k].addr6)) || !iface_up(h, info, k)) {
				continue;
			}
			out->addr_host[out->naddrs] = i;
			out->addr_iface[out->naddrs++] = k;
		}
	}
	free(info);
	return 0;
}

int lesson_pingall(const struct lab *lab, bool v6, unsigned count, int timeout_ms,
		   struct pingall_result *out, struct lab_error **err)
{
	size_t n = lab->nhosts, na;
	struct ping_src *src = calloc(n + 1, sizeof(*src));
	struct ping_dst *dst = NULL;
	int *wires = calloc(n * LAB_IFACES_MAX + 1, sizeof(*wires));
	size_t *nwires = calloc(n + 1, sizeof(*nwires));
	unsigned *unconfirmed = NULL;
	uint64_t t0 = util_now_ns();
	int r;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->v6 = v6;
	out->replies = calloc(n * n + 1, sizeof(*out->replies));
	out->expected = calloc(n * n + 1, sizeof(*out->expected));
	out->unconfirmed = calloc(n * n + 1, sizeof(*out->unconfirmed));
	if (!src || !wires || !nwires || !out->replies || !out->expected || !out->unconfirmed) {
		r = lab_err(err, ENOMEM, "pingall");
		goto done;
	}
	if ((r = pick_addresses(lab, v6, out, err)) < 0)
		goto done;
	na = out->naddrs;
	dst = calloc(na + 1, sizeof(*dst));
	out->addr_replies = calloc(n * na + 1, sizeof(*out->addr_replies));
	unconfirmed = calloc(n * na + 1, sizeof(*unconfirmed));
	if (!dst || !out->addr_replies || !unconfirmed) {
		r = lab_err(err, ENOMEM, "pingall");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lab_host *h = &lab->hosts[i];

		src[i].pidfd = lab_host_pidfd(h);	/* dead host: no source */
		/* where an echo to h must be seen: the machine-side ends of h's links, which the
		 * host cannot reach into (by name: netlab made them, in this network namespace) */
		for (size_t k = 0; k < h->nifaces && k < LAB_IFACES_MAX; k++) {
			int ifindex = (int)if_nametoindex(h->ifaces[k].veth);

			if (ifindex > 0)
				wires[i * LAB_IFACES_MAX + nwires[i]++] = ifindex;
		}
	}
	for (size_t a = 0; a < na; a++) {
		const struct lab_host *h = &lab->hosts[out->addr_host[a]];
		const struct lab_iface *x = &h->ifaces[out->addr_iface[a]];

		dst[a].host = out->addr_host[a];
		if (!h->networked)
			continue;
		dst[a].v4 = x->addr;
		memcpy(dst[a].v6, x->addr6, 16);
		if (lab->segs[x->seg].noaddr) {	/* [kathara] found live by pick_addresses */
			dst[a].v4 = out->live4[a];
			memcpy(dst[a].v6, &out->live6[a * 16], 16);
		}
		dst[a].set = !v6 || !ipv6_is_zero(dst[a].v6);
		dst[a].wire = &wires[dst[a].host * LAB_IFACES_MAX];
		dst[a].nwire = nwires[dst[a].host];
	}
	{
		char buf[32];
		unsigned long limit = 0, nets = 0;

		for (size_t i = 0; i < n; i++)
			nets += lab->hosts[i].networked;
		out->neigh_needed = (unsigned)(nets * (nets ? nets - 1 : 0));
		if (util_read_file(v6 ? "/proc/sys/net/ipv6/neigh/default/gc_thresh3"
				      : "/proc/sys/net/ipv4/neigh/default/gc_thresh3", buf, sizeof(buf), NULL) > 0 &&
		    (buf[strcspn(buf, "\n")] = '\0', util_parse_ulong(buf, 0, ~0u, &limit) == 0))
			out->neigh_limit = (unsigned)limit;
	}
	r = ping_matrix(src, n, dst, na, v6, count, timeout_ms, 1, out->addr_replies, unconfirmed, err);
	/* a pair: the address of d that answered least, and every reply that came unconfirmed */
	for (size_t s = 0; s < n; s++) {
		for (size_t d = 0; d < n; d++)
			out->replies[s * n + d] = ~0u;
		for (size_t a = 0; a < na; a++) {
			unsigned *p = &out->replies[s * n + out->addr_host[a]];

			*p = out->addr_replies[s * na + a] < *p ? out->addr_replies[s * na + a] : *p;
			out->unconfirmed[s * n + out->addr_host[a]] += unconfirmed[s * na + a];
		}
		for (size_t d = 0; d < n; d++)
			if (out->replies[s * n + d] == ~0u)
				out->replies[s * n + d] = 0;	/* no address at all */
	}
	for (size_t s = 0; s < n; s++)
		for (size_t d = 0; d < n; d++) {
			bool exp = lab_expect_reach(lab, s, d, v6);
			bool got = out->replies[s * n + d] > 0;

			out->expected[s * n + d] = exp;
			if (s == d)
				continue;
			out->pairs++;
			out->reachable += got;
			out->expected_reachable += exp;
			out->mismatches += got != exp;
		}
	out->seconds = (double)(util_now_ns() - t0) / 1e9;
done:
	for (size_t i = 0; src && i < n; i++)
		if (src[i].pidfd >= 0)
			close(src[i].pidfd);
	free(src);
	free(dst);
	free(wires);
	free(nwires);
	free(unconfirmed);
	if (r < 0)
		lesson_pingall_free(out);
	return r;
}

void lesson_pingall_free(struct pingall_result *r)
{
	free(r->replies);
	free(r->expected);
	free(r->unconfirmed);
	free(r->addr_host);
	free(r->addr_iface);
	free(r->addr_replies);
	free(r->live4);
	free(r->live6);
	r->live4 = NULL;
	r->live6 = NULL;
	r->replies = NULL;
	r->expected = NULL;
	r->unconfirmed = NULL;
	r->addr_host = NULL;
	r->addr_iface = NULL;
	r->addr_replies = NULL;
}

/* ------------------------------------------------------------------------------------- verify */

struct checks {
	struct check *v;
	size_t n, cap;
};

static void add(struct checks *c, const char *host, bool pass, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add(struct checks *c, const char *host, bool pass, const char *what, const char *fmt, ...)
{
	va_list ap;
	struct check *k;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct check *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return;
		c->v = v;
		c->cap = cap;
	}
	k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->host, sizeof(k->host), "%s", host);
	snprintf(k->what, sizeof(k->what), "%s", what);
	k->pass = pass;
	va_start(ap, fmt);
	if (vasprintf(&k->evidence, fmt, ap) < 0)
		k->evidence = NULL;
	va_end(ap);
	if (!k->evidence)	/* out of memory: the check stands, without its evidence */
		k->evidence = strdup("");
}

void lesson_checks_free(struct check *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].evidence);
	free(v);
}

/* A process of the machine, with the inodes of its namespaces (ns_kinds order). */
struct proc_ns {
	pid_t pid;
	unsigned long ns[NS_KINDS_ALL];
	char comm[16];
};

/* Every process and its namespaces, in one pass over /proc. */
static struct proc_ns *scan_procs(size_t *out_count)
{
	struct proc_ns *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		char path[64], comm[32];
		struct proc_ns *p;

		if (pid <= 0)
			continue;
		if (n == cap) {
			struct proc_ns *nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		p = &v[n];
		p->pid = pid;
		for (int k = 0; k < NS_KINDS_ALL; k++)
			p->ns[k] = ns_inode(pid, ns_kinds[k].name);
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		if (util_read_file(path, comm, sizeof(comm), NULL) < 0)
			continue;	/* gone meanwhile */
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(p->comm, sizeof(p->comm), "%.15s", comm);
		if (p->ns[2])	/* pid */
			n++;
	}
	if (d)
		closedir(d);
	*out_count = n;
	return v;
}

/* Is a word starting with `word` ("10.77.1.1/24 " whole, or "fe80:" as a prefix) in a
 * blank-separated list? */
static bool has_addr(const char *list, const char *word)
{
	char padded[300], w[80];

	snprintf(padded, sizeof(padded), " %s ", list);
	snprintf(w, sizeof(w), " %s", word);
	return strstr(padded, w) != NULL;
}

/* Whose namespace is this inode: "h1's", "the machine's" or "another". */
static const char *owner_of(const struct lab *lab, const struct lab_host_info *info, int k,
			    unsigned long ino, unsigned long machine, char *buf, size_t len)
{
	if (ino == machine)
		return "the machine's";
	for (size_t o = 0; o < lab->nhosts; o++)
		if (info[o].alive && info[o].ns[k] == ino) {
			snprintf(buf, len, "%s's", lab->hosts[o].name);
			return buf;
		}
	return "another";
}

/* A pair's check in a lab with dynamic routing: "ICMP echo to 10.0.1.2: reply, 10.0.2.1: no
 * reply" over every address of d that was pinged. */
static void dynamic_pair(struct checks *c, const struct lab *lab, const struct pingall_result *pr,
			 size_t s, size_t d, const char *what, const char *arp)
{
	size_t n = lab->nhosts, used = 0, count = 0;
	char list[LAB_IFACES_MAX * 48] = "", a[IPV6_TEXT];
	bool got = pr->replies[s * n + d] > 0, exp = pr->expected[s * n + d];

	for (size_t k = 0; k < pr->naddrs && used < sizeof(list); k++) {
		const struct lab_iface *x;

		if (pr->addr_host[k] != d)
			continue;
		x = &lab->hosts[d].ifaces[pr->addr_iface[k]];
		bool live = lab->segs[x->seg].noaddr;	/* [kathara] the address pinged */
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s: %s", count++ ? ", " : "",
					 pr->v6 ? ipv6_fmt(live ? &pr->live6[k * 16] : x->addr6, a, sizeof(a))
						: ipv4_fmt(live ? pr->live4[k] : x->addr, a, sizeof(a)),
					 pr->addr_replies[s * pr->naddrs + k] ? "reply" : "no reply");
	}
	if (!count)
		add(c, lab->hosts[s].name, !exp, what, "no interface of %s is up", lab->hosts[d].name);
	else
		add(c, lab->hosts[s].name, got == exp, what, "ICMP echo to %s%s%s", list,
		    !got && pr->unconfirmed[s * n + d] ? " (a reply came whose request never reached "
							 "it: not counted)" : "",
		    got || !exp ? "" : arp);
}

/* Reachability, measured against the plan: per pair (up to 16 networked hosts), else per host.
 * IPv6 is summed up per host: the pairs are the same as IPv4's. */
static int reach_checks(const struct lab *lab, bool v6, int timeout_ms, struct checks *c,
			struct lab_error **err)
{
	struct pingall_result pr;
	size_t n = lab->nhosts, nets = 0;
	char arp[160] = "", what[64], a[IPV6_TEXT];

	if (lesson_pingall(lab, v6, 1, timeout_ms, &pr, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		nets += lab->hosts[i].networked;
	if (pr.neigh_limit && pr.neigh_needed > pr.neigh_limit)
		snprintf(arp, sizeof(arp), " (the lab needs %u neighbour entries, the kernel's shared "
			 "table takes net.ipv%c.neigh.default.gc_thresh3=%u)", pr.neigh_needed,
			 v6 ? '6' : '4', pr.neigh_limit);
	for (size_t s = 0; s < n; s++) {
		const struct lab_host *h = &lab->hosts[s];

		if (!h->networked) {
			unsigned got = 0;
			for (size_t d = 0; d < n; d++)
				got += pr.replies[s * n + d] > 0;
			if (!v6)
				add(c, h->name, got == 0, "reaches nobody", "%u of %zu hosts answered", got,
				    n - 1);
			continue;
		}
		if (nets > 16 || v6) {	/* one line per host, not per pair: n^2 lines help nobody */
			char wrong[5 * (HOST_NAME_MAX_LEN + 2)] = "";	/* the first 5, whole */
			size_t right = 0, used = 0, shown = 0, expected = 0;

			for (size_t d = 0; d < n; d++) {
				bool got = pr.replies[s * n + d] > 0, exp = pr.expected[s * n + d];

				if (d == s || !lab->hosts[d].networked)
					continue;
				expected += exp;
				if (got == exp) {
					right++;
				} else if (shown++ < 5 && used < sizeof(wrong)) {
					used += (size_t)snprintf(wrong + used, sizeof(wrong) - used, "%s%s%s",
								 used ? " " : "", exp ? "" : "+",
								 lab->hosts[d].name);
				}
			}
			snprintf(what, sizeof(what), "%s",
				 lab->dynamic ? (v6 ? "reaches every address over IPv6"
						    : "reaches every address of every host")
				 : v6 ? (lab->from_file ? "IPv6 reachability as planned" : "reaches all over IPv6")
				    : (lab->from_file ? "reachability as planned" : "reaches every networked host"));
			add(c, h->name, right == nets - 1, what, "%zu of %zu as expected (%zu should answer)"
			    "%s%s%s%s", right, nets - 1, expected, right == nets - 1 ? "" : "; wrong: ", wrong,
			    shown > 5 ? " ..." : "", right == nets - 1 ? "" : arp);
			continue;
		}
		for (size_t d = 0; d < n; d++) {
			bool got = pr.replies[s * n + d] > 0, exp = pr.expected[s * n + d];

			if (d == s || !lab->hosts[d].networked)
				continue;
			snprintf(what, sizeof(what), "%s %s", exp ? "reaches" : "does not reach",
				 lab->hosts[d].name);
			ipv4_fmt(lab->hosts[d].ifaces[0].addr, a, sizeof(a));
			if (lab->dynamic)	/* every address of d, each with its answer */
				dynamic_pair(c, lab, &pr, s, d, what, arp);
			else if (!got && pr.unconfirmed[s * n + d])	/* the fake of issue 19.6, named */
				add(c, h->name, !exp, what, "ICMP echo to %s: a reply came, but the request "
				    "never reached %s (answered inside %s, or by another host)", a,
				    lab->hosts[d].name, h->name);
			else
				add(c, h->name, got == exp, what, "ICMP echo to %s: %s%s", a,
				    got ? "reply" : "no reply", got || !exp ? "" : arp);
		}
	}
	lesson_pingall_free(&pr);
	return 0;
}

int lesson_verify(const struct lab *lab, int timeout_ms, struct check **out, size_t *out_count,
		  struct lab_error **err)
{
	size_t nprocs = 0;
	struct proc_ns *procs;
	unsigned long machine_ns[NS_KINDS_ALL];
	struct checks c = { 0 };
	struct lab_host_info *info = calloc(lab->nhosts + 1, sizeof(*info));
	size_t n = lab->nhosts;
	char what[64], a[24];

	if (!info)
		return lab_err(err, ENOMEM, "verify");
	for (size_t i = 0; i < n; i++)
		if (lab_host_info(&lab->hosts[i], &info[i], err) < 0) {
			free(info);
			return -1;
		}
	procs = scan_procs(&nprocs);
	/* the machine's own namespaces, read once rather than per host and kind */
	for (int k = 0; k < NS_KINDS_ALL; k++)
		machine_ns[k] = ns_inode(getpid(), ns_kinds[k].name);
	for (size_t i = 0; i < n; i++) {
		const struct lab_host *h = &lab->hosts[i];

		add(&c, h->name, info[i].alive, "running", "pid %d%s", (int)h->pid,
		    info[i].alive ? "" : ": not running (or its PID now belongs to another process)");
		if (!info[i].alive)
			continue;
		for (int k = 0; k < NS_KINDS_ALL; k++) {
			unsigned long mine = info[i].ns[k], machine = machine_ns[k];
			const struct proc_ns *stray = NULL;

			if (k >= NS_KINDS && !(lab->extra_ns & ns_kinds[k].flag))
				continue;	/* cgroup, time: only when the lab asked for them */
			const char *twin = NULL;
			char whose[HOST_NAME_MAX_LEN + 4];

			for (size_t o = 0; o < n && !twin; o++)
				if (o != i && info[o].alive && info[o].ns[k] == mine)
					twin = lab->hosts[o].name;
			/* every process of the host (its PID namespace) must be in the host's namespaces:
			 * one joined to another netns (ip netns exec, nsenter) or left in the machine's
			 * IPC namespace breaks the isolation as surely as the init would */
			for (size_t p = 0; p < nprocs && !stray; p++)
				if (procs[p].ns[2] == info[i].ns[2] && procs[p].ns[k] != mine)
					stray = &procs[p];
			snprintf(what, sizeof(what), "%s namespace isolated", ns_kinds[k].name);
			if (mine == machine)
				add(&c, h->name, false, what, "%lu is the machine's own", mine);
			else if (twin)
				add(&c, h->name, false, what, "%lu is shared with %s", mine, twin);
			else if (stray)
				add(&c, h->name, false, what, "its process %d (%s) is in %s %s namespace",
				    (int)stray->pid, stray->comm,
				    owner_of(lab, info, k, stray->ns[k], machine, whose, sizeof(whose)),
				    ns_kinds[k].name);
			else
				add(&c, h->name, true, what, "%lu (machine %lu), no other host shares it", mine,
				    machine);
		}
		if (h->networked) {
			char links[128] = "lo(up)", names[40], seen[LAB_IFACES_MAX * 280] = "";
			bool ok = true;

			for (size_t k = 0; k < h->nifaces; k++) {
				const struct lab_iface *x = &h->ifaces[k];
				const struct lab_if_info *fi = lab_if_info_find(&info[i], x->name);
				char want[IPV6_TEXT + 8];
				size_t len = strlen(seen);

				snprintf(links + strlen(links), sizeof(links) - strlen(links), " %s(up)", x->name);
				snprintf(seen + len, sizeof(seen) - len, "%s%s: %s", len ? "; " : "", x->name,
					 fi && fi->addrs[0] ? fi->addrs : "no address");
				/* and the segment's MTU (a link whose ends differ drops big frames) */
				if (fi && fi->mtu != (lab->segs[x->seg].mtu ?: LAB_MTU_DEFAULT)) {
					len = strlen(seen);
					snprintf(seen + len, sizeof(seen) - len, " (MTU %u, not the segment's %u)",
						 fi->mtu, lab->segs[x->seg].mtu ?: LAB_MTU_DEFAULT);
					ok = false;
				}
				if (lab->segs[x->seg].noaddr)	/* [kathara] its own addresses */
					continue;
				snprintf(want, sizeof(want), "%s/%d ", ipv4_fmt(x->addr, a, sizeof(a)),
					 lab->segs[x->seg].subnet.prefix);
				ok = ok && fi && has_addr(fi->addrs, want);
				if (!ipv6_is_zero(x->addr6)) {
					snprintf(want, sizeof(want), "%s/64 ", ipv6_fmt(x->addr6, a, sizeof(a)));
					ok = ok && fi && has_addr(fi->addrs, want) && has_addr(fi->addrs, "fe80:");
				}
			}
			ok = ok && !strcmp(info[i].links, links);
			if (h->nifaces == 1)
				snprintf(names, sizeof(names), "lo, %.15s", h->ifaces[0].name);
			else
				snprintf(names, sizeof(names), "lo, eth0..eth%zu", h->nifaces - 1);
			snprintf(what, sizeof(what), "%.24s up with %s address%s", names,
				 h->nifaces == 1 ? "its" : "their", lesson_has_ipv6(lab) ? "es" : "");
			add(&c, h->name, ok, what, "links: %s; %s", info[i].links[0] ? info[i].links : "none",
			    seen);
		} else {
			bool only_lo = !strncmp(info[i].links, "lo(", 3) && !strchr(info[i].links, ' ');
			add(&c, h->name, only_lo, "only lo (empty netns)", "links: %s", info[i].links);
		}
	}
	free(procs);
	if (reach_checks(lab, false, timeout_ms, &c, err) < 0 ||
	    (lesson_has_ipv6(lab) && reach_checks(lab, true, timeout_ms, &c, err) < 0)) {
		free(info);
		lesson_checks_free(c.v, c.n);
		return -1;
	}
	free(info);
	*out = c.v;
	*out_count = c.n;
	return 0;
}

/* --------------------------------------------------------------------------------- --wait */

/* The reply timeout of a try: -W, but not past the deadline (and at least 200 ms). */
static int try_timeout(int timeout_ms, uint64_t deadline)
{
	uint64_t now = util_now_ns();
	int left = now < deadline ? (int)((deadline - now) / 1000000u) : 0;

	left = left < 200 ? 200 : left;
	return timeout_ms < left ? timeout_ms : left;
}

/* After a try that started at `start` and did not find everything as expected: sleep until
 * the next one is due and return true, or false when none is due before the deadline. */
static bool next_try(uint64_t start, uint64_t deadline)
{
	uint64_t due = start + (uint64_t)LESSON_RETRY_MS * 1000000u, now = util_now_ns();

	if (due >= deadline || now >= deadline)
		return false;
	if (due > now) {
		struct timespec ts = { .tv_sec = (time_t)((due - now) / 1000000000u),
				       .tv_nsec = (long)((due - now) % 1000000000u) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return true;
}

int lesson_pingall_wait(const struct lab *lab, bool v6, unsigned count, int timeout_ms, int wait_ms,
			struct pingall_result *out, struct lesson_wait *w, struct lab_error **err)
{
	uint64_t t0 = util_now_ns(), deadline = t0 + (uint64_t)wait_ms * 1000000u;

	memset(w, 0, sizeof(*w));
	for (;;) {
		uint64_t start = util_now_ns();

		if (lesson_pingall(lab, v6, count, try_timeout(timeout_ms, deadline), out, err) < 0)
			return -1;
		w->tries++;
		w->seconds = (double)(util_now_ns() - t0) / 1e9;
		w->converged = out->mismatches == 0;
		if (w->converged || !next_try(start, deadline))
			return 0;
		lesson_pingall_free(out);
	}
}

int lesson_verify_wait(const struct lab *lab, int timeout_ms, int wait_ms, struct check **out,
		       size_t *out_count, struct lesson_wait *w, struct lab_error **err)
{
	uint64_t t0 = util_now_ns(), deadline = t0 + (uint64_t)wait_ms * 1000000u;

	memset(w, 0, sizeof(*w));
	for (;;) {
		uint64_t start = util_now_ns();
		size_t passed = 0;

		/* verify waits for IPv4 then IPv6 replies: half the time left each */
		if (lesson_verify(lab, try_timeout(timeout_ms, start + (deadline > start ? deadline - start : 0) / 2),
				  out, out_count, err) < 0)
			return -1;
		for (size_t i = 0; i < *out_count; i++)
			passed += (*out)[i].pass;
		w->tries++;
		w->seconds = (double)(util_now_ns() - t0) / 1e9;
		w->converged = passed == *out_count;
		if (w->converged || !next_try(start, deadline))
			return 0;
		lesson_checks_free(*out, *out_count);
		*out = NULL;
		*out_count = 0;
	}
}
