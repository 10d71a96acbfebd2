/* The names of the kernel objects a lab makes, and how netlab recognises its own: bridges, veths,
 * their aliases and MACs, /run/netns entries.
 *
 * Interfaces on the machine are named from the lab's number N (unique among the labs that are up,
 * and free of any interface at `up`: plan.c, allocate) and places, never from the names users
 * give, so any lab and host name fits the kernel's 15 characters: "nlN-bG" is the bridge of the
 * G-th segment (1: `up N`'s one), "nlN-hI" and "nlN-hI-K" the machine's end of ethK of the I-th
 * host (h1 is host 1 of `up N`), "nlN-bG-J" the J-th bridge of a large segment with "nlN-bG-Jup"
 * and "nlN-bG-Jdn" the veth pair joining it to the first. The longest, "nl65535-h1100-7" and
 * "nl65535-b64-8up", are 15. Their alias "netlab:LAB:HOST" ("netlab:LAB:bridge") carries the full
 * names, and each is in the lab's netdevice group, which the lab's nftables rules match
 * (netsetup/nft.c). Other objects are named after the lab: /run/netns/LAB-HOST (a lab name has no
 * '-'), the cgroups netlab/LAB/HOST (cgroup.c), the table netlab-LAB. Labs recorded by netlabs
 * before this scheme have "LAB-br", "LAB-HOST[-K]": their state names them, and teardown follows
 * the state and the aliases. */
#include "lab_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIAS_PREFIX "netlab:"	/* a link's alias: netlab:LAB:HOST, netlab:LAB:bridge */
#define IF_PREFIX "nl"		/* every interface netlab makes: nlN-... */

void name_prefix(char out[LAB_NAME_MAX + 2], const char *lab)
{
	snprintf(out, LAB_NAME_MAX + 2, "%s-", lab);
}

int seg_bridge_name(const struct lab *lab, size_t g, char out[IFNAMSIZ], struct lab_error **err)
{
	return names_ifname(out, err, IF_PREFIX "%u-b%zu", lab->number, g + 1);
}

int veth_name(const struct lab *lab, size_t i, size_t k, char out[IFNAMSIZ], struct lab_error **err)
{
	if (k)
		return names_ifname(out, err, IF_PREFIX "%u-h%zu-%zu", lab->number, i + 1, k);
	return names_ifname(out, err, IF_PREFIX "%u-h%zu", lab->number, i + 1);
}

int name_links(struct lab *lab, struct lab_error **err)
{
	for (size_t g = 0; g < lab->nsegs; g++) {
		size_t n = lab_seg_bridges(lab, g);
		char last[IFNAMSIZ];

		if (seg_bridge_name(lab, g, lab->segs[g].bridge, err) < 0 ||
		    (n > 1 && lab_bridge_name(&lab->segs[g], n - 1, "up", last, err) < 0))
			return lab_err_wrap(err, "segment %s", lab->segs[g].name);
	}
	for (size_t i = 0; i < lab->nhosts; i++) {
		struct lab_host *h = &lab->hosts[i];

		for (size_t k = 0; k < h->nifaces; k++)
			if (veth_name(lab, i, k, h->ifaces[k].veth, err) < 0)
				return lab_err_wrap(err, "host %s", h->name);
	}
	return 0;
}

unsigned link_name_number(const char *name)
{
	const char *p = name + strlen(IF_PREFIX);
	char *end;
	unsigned long n;

	if (strncmp(name, IF_PREFIX, strlen(IF_PREFIX)) || *p < '1' || *p > '9')
		return 0;
	n = strtoul(p, &end, 10);
	return *end == '-' && n <= 65535 ? (unsigned)n : 0;
}

unsigned link_group_number(uint32_t group)
{
	return group > LAB_GROUP_BASE && group - LAB_GROUP_BASE <= 65535 ? group - LAB_GROUP_BASE : 0;
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

int lab_bridge_name(const struct lab_segment *g, size_t k, const char *suffix, char out[IFNAMSIZ],
		    struct lab_error **err)
{
	if (k == 0)
		return names_ifname(out, err, "%s%s", g->bridge, suffix);
	return names_ifname(out, err, "%s-%zu%s", g->bridge, k + 1, suffix);
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
		char name[IFNAMSIZ];

		if (!strcmp(l->name, lab->segs[g].bridge))
			return true;
		for (size_t k = 1; k < n; k++)
			for (const char *const *x = (const char *const[]){ "", "up", "dn", NULL }; *x; x++)
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

/* A host name as netlab takes them (names.h). */
bool host_name_like(const char *s)
{
	return names_check_host(s, NULL) == 0;
}
