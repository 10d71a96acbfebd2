/* What `status` shows of a host, read live from inside it. */
#include "lab_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cleanup.h"
#include "units.h"
#include "util.h"

const struct lab_if_info *lab_if_info_find(const struct lab_host_info *info, const char *name)
{
	for (size_t i = 0; i < info->nifs; i++)
		if (!strcmp(info->ifs[i].name, name))
			return &info->ifs[i];
	return NULL;
}

/* Append " word" to a blank-separated list in buf[size], whole or not at all: when it does not
 * fit, the list ends in " ..." (once), never in half a name or address. */
static void append_word(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf), wl = strlen(word);

	if (len >= 4 && !strcmp(buf + len - 4, " ..."))
		return;
	if (len + (len ? 1 : 0) + wl < size) {
		snprintf(buf + len, size - len, "%s%s", len ? " " : "", word);
		return;
	}
	while (len > 0 && len + 4 >= size) {	/* make room for " ...": drop whole words */
		char *sp = strrchr(buf, ' ');

		len = sp ? (size_t)(sp - buf) : 0;
		buf[len] = '\0';
	}
	snprintf(buf + len, size - len, "%s...", len ? " " : "");
}

/* "rate 1 Gbit/s" or "delay 10000 us, jitter 0 us, loss 1%": the root qdisc of a link. */
static void shaping_text(struct nets *n, int ifindex, struct lab_if_info *f)
{
	struct nets_shape sh;
	char rate[32];

	if (nets_shape_info(n, ifindex, &sh, NULL) < 0)
		return;
	if (sh.kind == NETS_SHAPE_RATE) {
		f->rate_bps = sh.rate_bps;
		snprintf(f->shaping, sizeof(f->shaping), "rate %s",
			 units_rate_fmt(sh.rate_bps, rate, sizeof(rate)));
	} else if (sh.kind == NETS_SHAPE_NETEM) {
		int w = snprintf(f->shaping, sizeof(f->shaping), "delay %u us, jitter %u us", sh.delay_us,
				 sh.jitter_us);
		char loss[32];
		size_t l;

		if (!(sh.loss_percent > 0) || w < 0 || (size_t)w >= sizeof(f->shaping))
			return;
		/* "1%", "0.5%": at most three decimals, never an exponent */
		snprintf(loss, sizeof(loss), "%.3f", sh.loss_percent);
		for (l = strlen(loss); loss[l - 1] == '0'; l--)
			loss[l - 1] = '\0';
		if (loss[l - 1] == '.')
			loss[l - 1] = '\0';
		snprintf(f->shaping + w, sizeof(f->shaping) - (size_t)w, ", loss %s%%", loss);
	}
}

/* Is the planned route rt the live route e? */
static bool route_is(const struct lab_route *rt, const struct nets_route *e)
{
	if (rt->v6 != (e->family == AF_INET6))
		return false;
	if (rt->v6)
		return rt->dst6.prefix == e->prefix && !memcmp(rt->dst6.addr, e->dst, 16) &&
		       !memcmp(rt->via6, e->via, 16);
	uint32_t dst, via;

	memcpy(&dst, e->dst, 4);
	memcpy(&via, e->via, 4);
	return rt->dst.prefix == e->prefix && rt->dst.addr == ntohl(dst) && rt->via == ntohl(via);
}

/* The host's gateway routes, each marked planned or not; the plan's, each marked live or not. */
static int live_routes(struct nets *n, const struct lab_host *h, const struct nets_link *links,
		       size_t nl, struct lab_host_info *out, struct lab_error **err)
{
	_cleanup_free_ struct nets_route *v = NULL;
	size_t count = 0;
	int r = nets_route_list(n, &v, &count, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		struct lab_live_route *lr;
		bool planned = false;

		for (size_t k = 0; k < h->nroutes && k < LAB_ROUTES_MAX; k++)
			if (route_is(&h->routes[k], &v[i])) {
				out->route_live[k] = true;
				planned = true;
			}
		if (out->nroutes == LAB_LIVE_ROUTES_MAX) {
			out->routes_more = true;
			continue;
		}
		lr = &out->routes[out->nroutes++];
		lr->v6 = v[i].family == AF_INET6;
		lr->planned = planned;
		inet_ntop(v[i].family, v[i].dst, lr->to, sizeof(lr->to));
		snprintf(lr->to + strlen(lr->to), sizeof(lr->to) - strlen(lr->to), "/%d", v[i].prefix);
		inet_ntop(v[i].family, v[i].via, lr->via, sizeof(lr->via));
		for (size_t l = 0; l < nl; l++)
			if (links[l].ifindex == v[i].ifindex)
				util_copy(lr->dev, sizeof(lr->dev), links[l].name);
	}
	return 0;
}

bool lab_host_self_configured(const struct lab *lab, const struct lab_host *h)
{
	if (!h->networked)
		return false;
	for (size_t k = 0; k < h->nifaces; k++)
		if (h->ifaces[k].seg >= lab->nsegs || !lab->segs[h->ifaces[k].seg].noaddr)
			return false;
	return true;
}

bool lab_self_configured(const struct lab *lab)
{
	size_t n = 0;

	for (size_t i = 0; i < lab->nhosts; i++) {
		if (!lab->hosts[i].networked)
			continue;
		if (!lab_host_self_configured(lab, &lab->hosts[i]))
			return false;
		n++;
	}
	return n > 0;
}

bool lab_host_is_router(const struct lab *lab, const struct lab_host *h,
			const struct lab_host_info *in)
{
	size_t up = 0;

	if (!lab_host_self_configured(lab, h))
		return h->router;
	/* dead or unread: what Kathará's sysctls make of it (forwarding on, h->router) on two
	 * segments or more */
	if (!in || !in->alive)
		return h->router && h->nifaces >= 2;
	/* Kathará turns forwarding on in every device, so forwarding alone would make every PC a
	 * router: a router also has two interfaces up (the lab's or the ones its startup made,
	 * VLANs say) to forward between */
	for (size_t i = 0; i < in->nifs; i++)
		up += in->ifs[i].up;
	return (in->forwarding4 == 1 || in->forwarding6 == 1) && up >= 2;
}

bool lab_forwarding_differs(const struct lab *lab, const struct lab_host *h,
			    const struct lab_host_info *in)
{
	bool has6 = false;

	if (lab_host_self_configured(lab, h))	/* nothing planned: nothing to differ from */
		return false;
	for (size_t k = 0; k < h->nifaces; k++)
		has6 |= !ipv6_is_zero(h->ifaces[k].addr6);
	if (!in->alive)
		return false;
	if (in->forwarding4 >= 0 && in->forwarding4 != (h->router ? 1 : 0))
		return true;
	/* a host without IPv6 in the plan: its IPv6 forwarding is not netlab's business */
	return has6 && in->forwarding6 >= 0 && in->forwarding6 != (h->router ? 1 : 0);
}

int lab_host_info(const struct lab_host *h, struct lab_host_info *out, struct lab_error **err)
{
	_cleanup_close_ int pidfd = ns_pidfd_verified(h->pid, h->start, NULL);
	_cleanup_nets_ struct nets *n = NULL;
	_cleanup_free_ struct nets_link *links = NULL;
	_cleanup_free_ struct nets_addr *addrs = NULL;
	int ifindex[LAB_IFACES_MAX + 2];
	size_t nl = 0, na = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (pidfd < 0)
		return 0;
	out->alive = true;
	for (int i = 0; i < NS_KINDS_ALL; i++)
		out->ns[i] = ns_inode(h->pid, ns_kinds[i].name);
	r = nets_open_at(pidfd, &n, err);
	if (r < 0)
		return r;
	if ((r = nets_link_list(n, &links, &nl, err)) < 0 || (r = nets_addr_list(n, &addrs, &na, err)) < 0)
		return r;
	for (size_t i = 0; i < nl; i++) {
		struct lab_if_info *f;
		char word[32];

		snprintf(word, sizeof(word), "%s(%s)", links[i].name, (links[i].flags & IFF_UP) ? "up" : "down");
		append_word(out->links, sizeof(out->links), word);
		if (!strcmp(links[i].name, "lo") || out->nifs == sizeof(out->ifs) / sizeof(out->ifs[0]))
			continue;
		ifindex[out->nifs] = links[i].ifindex;
		f = &out->ifs[out->nifs++];
		util_copy(f->name, sizeof(f->name), links[i].name);
		f->up = links[i].flags & IFF_UP;
		f->mtu = links[i].mtu;
		util_copy(f->mac, sizeof(f->mac), links[i].mac);
		shaping_text(n, links[i].ifindex, f);
	}
	/* IPv4 first, then global IPv6, then link-local: the order a student reads them in */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < na; i++) {
			bool ll = !strncmp(addrs[i].text, "fe80:", 5);

			if (pass != (addrs[i].family == AF_INET ? 0 : ll ? 2 : 1))
				continue;
			for (size_t f = 0; f < out->nifs; f++) {
				char word[IPV6_TEXT + 8];

				if (ifindex[f] != addrs[i].ifindex)
					continue;
				snprintf(word, sizeof(word), "%s/%d", addrs[i].text, addrs[i].prefix);
				append_word(out->ifs[f].addrs, sizeof(out->ifs[f].addrs), word);
			}
		}
	r = live_routes(n, h, links, nl, out, err);
	out->forwarding4 = nets_forwarding(n, AF_INET, NULL);
	out->forwarding6 = nets_forwarding(n, AF_INET6, NULL);
	out->forwarding4 = out->forwarding4 < 0 ? -1 : out->forwarding4;
	out->forwarding6 = out->forwarding6 < 0 ? -1 : out->forwarding6;
	return r;
}

void lab_host_limits(const struct lab *lab, const struct lab_host *h, struct cgroup_usage *out)
{
	/* Found once per process: status asks for every host, and /proc/self/mountinfo has a line
	 * per host's /run/netns mount, so reading it per host was quadratic (1000 hosts: `status
	 * --json` 1.5-2.6 s, 0.42-0.65 s reading it once). Where the cgroup hierarchies are mounted
	 * does not change while a command runs. */
	static struct cgroup_set cg;
	static bool detected;

	if (!detected) {
		cgroup_detect(&cg);
		detected = true;
	}
	cgroup_host_usage(&cg, lab->name, h->name, out);
}
