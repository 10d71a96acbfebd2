/* The names of the kernel objects a lab makes, and how netlab recognises its own: bridges, veths,
 * their aliases and MACs, /run/netns entries. Every one starts with "LAB-" (or is "netlab:LAB:...",
 * an alias): the one place that says so, but for the nftables rules, which match "LAB-*" ports
 * (netsetup/nft.c: lab_rule_start), and the cgroups (cgroup.c: netlab/LAB/HOST). */
#include "lab_int.h"

#include <stdio.h>
#include <string.h>

#define ALIAS_PREFIX "netlab:"	/* a link's alias: netlab:LAB:HOST, netlab:LAB:bridge */

void name_prefix(char out[LAB_NAME_MAX + 2], const char *lab)
{
	snprintf(out, LAB_NAME_MAX + 2, "%s-", lab);
}

int seg_bridge_name(const char *lab, const char *seg, char out[IFNAMSIZ], struct lab_error **err)
{
	if (!seg)
		return names_ifname(out, err, "%s-br", lab);
	return names_ifname(out, err, "%s-%s", lab, seg);
}

int veth_name(const char *lab, const char *host, size_t k, char out[IFNAMSIZ],
	      struct lab_error **err)
{
	if (k)
		return names_ifname(out, err, "%s-%s-%zu", lab, host, k);
	return names_ifname(out, err, "%s-%s", lab, host);
}

void link_alias(char *out, size_t len, const char *lab, const char *host)
{
	snprintf(out, len, ALIAS_PREFIX "%s:%s", lab, host ? host : "bridge");
}

/* 02:4c:LAB:LAB:n:n: locally administered, readable in ARP tables */
void iface_mac(const struct lab *lab, unsigned n, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x4c;
	mac[2] = (uint8_t)(lab->number >> 8);
	mac[3] = (uint8_t)lab->number;
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

size_t lab_seg_ports(const struct lab *lab, size_t g)
{
	size_t ports = 0;

	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			ports += lab->hosts[i].ifaces[k].seg == g;
	return ports;
}

size_t lab_seg_bridges(const struct lab *lab, size_t g)
{
	size_t ports = lab_seg_ports(lab, g);

	return ports > LAB_BRIDGE_PORTS ? (ports + LAB_BRIDGE_PORTS - 1) / LAB_BRIDGE_PORTS : 1;
}

int lab_bridge_name(const struct lab_segment *g, size_t k, const char *suffix, char out[16],
		    struct lab_error **err)
{
	if (k == 0)
		return names_ifname(out, err, "%s%s", g->bridge, suffix);
	return names_ifname(out, err, "%s%zu%s", g->bridge, k + 1, suffix);
}

void netns_path(char *buf, size_t len, const char *lab, const char *host)
{
	snprintf(buf, len, "%s/%s-%s", LAB_NETNS_DIR, lab, host);
}

void netns_prefix(char *buf, size_t len, const char *lab)
{
	snprintf(buf, len, "%s/%s-", LAB_NETNS_DIR, lab);
}

bool alias_is_lab(const char *alias, const char *lab)
{
	size_t n = strlen(lab);

	return !strncmp(alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX)) &&
	       !strncmp(alias + strlen(ALIAS_PREFIX), lab, n) && alias[strlen(ALIAS_PREFIX) + n] == ':';
}

bool alias_lab(const char *alias, char out[LAB_NAME_MAX + 1])
{
	const char *a = alias, *colon;

	if (strncmp(a, ALIAS_PREFIX, strlen(ALIAS_PREFIX)))
		return false;
	a += strlen(ALIAS_PREFIX);
	colon = strchr(a, ':');
	if (!colon || colon - a > LAB_NAME_MAX)
		return false;
	snprintf(out, LAB_NAME_MAX + 1, "%.*s", (int)(colon - a), a);
	return true;
}

/* Ours: the alias says so, or (killed between creating a link and naming it) the lab's group and
 * a name the lab planned. Two markers, never a name alone. */
bool link_is_ours(const struct lab *lab, const struct nets_link *l)
{
	if (alias_is_lab(l->alias, lab->name))
		return true;
	if (!lab->number || l->group != lab_group(lab))
		return false;
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);
		char name[16];

		if (!strcmp(l->name, lab->segs[g].bridge))
			return true;
		for (size_t k = 1; k < n; k++)
			for (const char *const *x = (const char *const[]){ "", "-up", "-dn", NULL }; *x; x++)
				if (lab_bridge_name(&lab->segs[g], k, *x, name, NULL) == 0 &&
				    !strcmp(l->name, name))
					return true;
	}
	for (size_t i = 0; i < lab->nhosts; i++)
		for (size_t k = 0; k < lab->hosts[i].nifaces; k++)
			if (!strcmp(l->name, lab->hosts[i].ifaces[k].veth))
				return true;
	return false;
}

/* A host name as netlab takes them: a lowercase letter, then lowercase letters and digits. */
bool host_name_like(const char *s)
{
	return names_check_host(s, "host", NULL) == 0;
}
