/* `up --explain`: the by-hand shell equivalent of each step, as it runs. */
#include "lab_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rootfs.h"

/* The by-hand equivalent of a step, for --explain. */

void explainf(void (*fn)(const char *, void *), void *arg, const char *fmt, ...)
{
	char buf[4096];	/* a host's sysctls make long lines */
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(buf, arg);
}

/* The lab's directory and its hosts file, by hand: printf lines of a few entries each, with the
 * file's tabs and newlines as printf escapes (it holds no quote, backslash or %). */
void explain_hosts_file(const struct up *u, const char *text)
{
	char line[400];
	size_t used = 0;
	bool first = true;

	if (!u->spec->explain)
		return;
	/* -m applies to the directories named, not to parents -p makes: name both */
	explainf(u->spec->explain, u->spec->explain_arg, "mkdir -p -m 0700 %s %s/%s", LAB_RUN_DIR,
		 LAB_RUN_DIR, u->lab->name);
	for (const char *p = text; *p && used + 3 < sizeof(line); p++) {
		if (*p == '\t' || *p == '\n') {
			line[used++] = '\\';
			line[used++] = *p == '\t' ? 't' : 'n';
		} else {
			line[used++] = *p;
		}
		line[used] = '\0';
		if (*p == '\n' && (used > 200 || !p[1])) {
			explainf(u->spec->explain, u->spec->explain_arg, "printf '%s' %s %s/%s/hosts", line,
				 first ? ">" : ">>", LAB_RUN_DIR, u->lab->name);
			first = false;
			used = 0;
			line[0] = '\0';
		}
	}
}

/* The host's cgroups, made before it (the spawner moves itself there: the host is born in them). */
static void explain_cgroups(const struct up *u, const struct lab_host *h)
{
	struct cgroup_limits l = host_limits(u->spec, h);

	for (size_t i = 0; i < u->cg.n; i++) {
		const struct cgroup_hier *g = &u->cg.h[i];
		char dir[256], pids[64] = "", mem[96] = "", v[24];

		snprintf(dir, sizeof(dir), "%s/netlab/%s/%s", g->path, u->lab->name, h->name);
		if (g->pids) {
			cgroup_fmt(l.pids_max, false, v, sizeof(v));
			snprintf(pids, sizeof(pids), " && echo %s > pids.max", v);
		}
		if (g->memory) {
			if (l.memory_max == CGROUP_UNLIMITED)
				snprintf(v, sizeof(v), "%s", g->v2 ? "max" : "-1");
			else
				snprintf(v, sizeof(v), "%llu", (unsigned long long)l.memory_max);
			snprintf(mem, sizeof(mem), " && echo %s > %s", v,
				 g->v2 ? "memory.max && echo 0 > memory.swap.max" : "memory.limit_in_bytes");
		}
		explainf(u->spec->explain, u->spec->explain_arg, "mkdir -p %s && cd %s%s%s && echo $$ > "
			 "cgroup.procs; cd /", dir, dir, pids, mem);
	}
}

/* What a host is, by hand, as a shell can run it; the following lines use its PID as $pid_HOST.
 * Its user namespace first, held by a sleep while its uid and gid maps are written from outside,
 * as netlab's parent writes them: unshare --map-users would need a range for root in /etc/subuid
 * and /etc/subgid (newuidmap), which a stock Debian does not have, and a program that unshare
 * runs before the maps exist has no capabilities left to become root. Then, as root of that user
 * namespace, the other namespaces (--kill-child: killing the unshare process kills the host); its
 * /etc/hosts, hostname, sysctls, /sys and /tmp from outside by nsenter (netlab's host does these
 * itself before it reports ready). */
void explain_host(const struct up *u, const struct lab_host *h, const char *hosts_path)
{
	const char *const *sys = host_sysctls(h);
	char n[NAMES_SHELL_VAR_LEN], sysctl[2048] = "";
	size_t used = 0;

	if (!u->spec->explain)
		return;
	for (size_t i = 0; sys && sys[i] && used < sizeof(sysctl); i++) {
		used += (size_t)snprintf(sysctl + used, sizeof(sysctl) - used, "%s%s", i ? " " : "sysctl -qw ",
					 sys[i]);
		for (char *c = sysctl + used - strlen(sys[i]); *c && *c != '='; c++)
			if (*c == '/')
				*c = '.';
	}
	if (used && used < sizeof(sysctl))
		snprintf(sysctl + used, sizeof(sysctl) - used, "; ");
	{
		/* the host's root by hand (rootfs.c): printed as a comment, since mount's
		 * X-mount.idmap needs util-linux 2.39 (Debian 12 has 2.38); the namespaces below
		 * then run as printed, on the machine's root */
		struct rootfs_spec rs = { .mode = u->lab->fs, .hostname = h->name,
					  .hosts_path = hosts_path, .id_base = h->id_base };
		char prep[1024], inner[1024];

		rootfs_explain(&rs, prep, sizeof(prep), inner, sizeof(inner));
		explainf(u->spec->explain, u->spec->explain_arg,
			 "# host %s: %s (by hand with util-linux >= 2.39): %s; then in its mount "
			 "namespace: %s", h->name, rootfs_mode_text(rs.mode), prep, inner);
	}
	explain_cgroups(u, h);
	names_shell_var(u->lab, h, n);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "unshare --user sleep infinity & user_%s=$!; until [ \"$(readlink /proc/$user_%s/ns/user)\" "
		 "!= \"$(readlink /proc/self/ns/user)\" ]; do sleep 0.01; done; echo '0 %u %u' > "
		 "/proc/$user_%s/uid_map && echo '0 %u %u' > /proc/$user_%s/gid_map   # host %s's user "
		 "namespace: root inside is uid and gid %u outside", n, n, h->id_base, NS_ID_COUNT, n,
		 h->id_base, NS_ID_COUNT, n, h->name, h->id_base);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "nsenter -t $user_%s -U --setuid 0 --setgid 0 unshare --mount --propagation private --pid "
		 "--fork --kill-child --mount-proc --net --uts --ipc%s sleep infinity & pid_%s=$!; until "
		 "[ \"$(readlink /proc/$pid_%s/ns/net)\" != \"$(readlink /proc/self/ns/net)\" ]; do sleep "
		 "0.01; done; kill $user_%s   # host %s (netlab's: pid %d)", n,
		 u->lab->extra_ns == LAB_EXTRA_NS_MASK ? " --cgroup --time"
		 : u->lab->extra_ns & LAB_NS_CGROUP ? " --cgroup" : u->lab->extra_ns ? " --time" : "",
		 n, n, n, h->name, (int)h->pid);
	explainf(u->spec->explain, u->spec->explain_arg,
		 "nsenter -t $pid_%s -m -u -n sh -c 'mount --bind %s /etc/hosts; hostname %s; %smount -t "
		 "sysfs sysfs /sys; mount -t tmpfs -o mode=1777 tmpfs /tmp'", n, hosts_path, h->name,
		 sysctl);
}

void explain_iface(const struct cable_ctx *c, const struct lab_host *h, const struct lab_iface *x,
		   size_t k_br, const uint8_t mac[6])
{
	const struct lab *lab = c->lab;
	const struct lab_segment *g = &lab->segs[x->seg];
	char alias[LINK_ALIAS_LEN], br[IFNAMSIZ], mtu[16] = "", v[NAMES_SHELL_VAR_LEN];

	if (!c->explain || lab_bridge_name(g, k_br, "", br, NULL) < 0)
		return;
	link_alias(alias, sizeof(alias), lab->name, h->name);
	names_shell_var(lab, h, v);
	if (g->mtu)
		snprintf(mtu, sizeof(mtu), " mtu %u", g->mtu);
	explainf(c->explain, c->explain_arg,
		 "ip link add %s%s group %u master %s up type veth peer name %s%s netns $pid_%s address "
		 "%02x:%02x:%02x:%02x:%02x:%02x && sysctl -qw net.ipv6.conf.%s.disable_ipv6=1 && "
		 "ip link set %s alias %s addrgenmode none", x->veth, mtu, lab_group(lab), br, x->name,
		 mtu, v, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], x->veth, x->veth, alias);
}

/* What host_net does inside the host, right after it: per interface its addresses and up, then
 * the routes. */
void explain_routes(const struct cable_ctx *c, const struct lab_host *h)
{
	char d[IPV6_TEXT + 4], v[IPV6_TEXT], a[IPV6_TEXT], v6[256], var[NAMES_SHELL_VAR_LEN];

	if (!c->explain)
		return;
	names_shell_var(c->lab, h, var);
	for (size_t k = 0; k < h->nifaces; k++) {
		const struct lab_iface *x = &h->ifaces[k];

		if (c->lab->segs[x->seg].noaddr) {
			explainf(c->explain, c->explain_arg,
				 "nsenter -t $pid_%s -U -n sh -c '%sip link set %s up'", var,
				 k ? "" : "ip link set lo up; ", x->name);
			continue;
		}
		if (!ipv6_is_zero(x->addr6))
			snprintf(v6, sizeof(v6), "ip addr add %s/64 dev %s nodad; ",
				 ipv6_fmt(x->addr6, a, sizeof(a)), x->name);
		else
			snprintf(v6, sizeof(v6), "ip link set %s addrgenmode none; ", x->name);
		explainf(c->explain, c->explain_arg,
			 "nsenter -t $pid_%s -U -n sh -c '%s%sip addr add %s/%d brd + dev "
			 "%s; ip link set %s up'", var, k ? "" : "ip link set lo up; ", v6,
			 ipv4_fmt(x->addr, a, sizeof(a)), c->lab->segs[x->seg].subnet.prefix, x->name,
			 x->name);
	}
	for (size_t k = 0; k < h->nroutes; k++) {
		const struct lab_route *rt = &h->routes[k];

		explainf(c->explain, c->explain_arg,
			 "nsenter -t $pid_%s -U -n ip %sroute add %s via %s", var,
			 rt->v6 ? "-6 " : "",
			 rt->v6 ? ipv6_fmt_net(&rt->dst6, d, sizeof(d)) : ipv4_fmt_net(&rt->dst, d, sizeof(d)),
			 rt->v6 ? ipv6_fmt(rt->via6, v, sizeof(v)) : ipv4_fmt(rt->via, v, sizeof(v)));
	}
}
