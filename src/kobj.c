/* The names of the kernel objects a lab makes, and how netlab recognises its own: bridges, veths,
 * their aliases, /run/netns entries. */
#include "lab_int.h"

#include <stdio.h>
#include <string.h>

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

static bool alias_is_lab(const char *alias, const char *lab)
{
	size_t n = strlen(lab);

	return !strncmp(alias, ALIAS_PREFIX, strlen(ALIAS_PREFIX)) &&
	       !strncmp(alias + strlen(ALIAS_PREFIX), lab, n) && alias[strlen(ALIAS_PREFIX) + n] == ':';
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
